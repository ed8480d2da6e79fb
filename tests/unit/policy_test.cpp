// The policy rules (GW2xx references, GW4xx auth, GW5xx resilience, GW6xx cost): each fires on
// the smallest config that breaks it, at the layer line that set the offending value, and stays
// quiet on the closest correct config.
#include <catch2/catch.hpp>

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gwctl/policy.hpp"
#include "gwctl/rules.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

namespace {

// A base layer with two providers and a model on each; `routes` (a YAML list, indented by two)
// follows `routes:`.
std::string two_providers(const std::string& routes) {
  return R"(version: 1
gateway:
  name: test
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${secret:OPENAI_API_KEY}
  anthropic:
    kind: anthropic
    base_url: https://api.anthropic.com/v1
    api_key: ${secret:ANTHROPIC_API_KEY}
models:
  gpt-4o:
    provider: openai
    id: gpt-4o-2024-11-20
  claude:
    provider: anthropic
    id: claude-3-5-sonnet-20241022
routes:
)" + routes;
}

// The chat route of two_providers(), correct for every policy rule.
const char* chat_route = R"(  - name: chat
    match: {path: /v1/chat/completions, methods: [POST]}
    models: [gpt-4o, claude]
    default_model: gpt-4o
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {max_attempts: 2}
    limits: [{requests: 100, per: 1m}]
)";

// A route that satisfies every rule but GW203 (which the test is about).
std::string route(const std::string& name, const std::string& match) {
  return fmt::format(R"(  - name: {}
    match: {}
    models: [gpt-4o]
    default_model: gpt-4o
    timeouts: {{total: 60s, first_byte: 20s, idle: 20s}}
    resilience: {{max_attempts: 2}}
    limits: [{{requests: 100, per: 1m}}]
)",
                     name, match);
}

// Environments dev and prod over `base`; `prod` is prod's overlay.
Linted lint_prod(const std::string& prod, const std::string& base = minimal_base) {
  return lint_project(project_with(prod, base));
}

}  // namespace

TEST_CASE("the minimal project used by the tests satisfies every policy rule", "[policy]") {
  auto l = lint_prod("");
  INFO(l.dump());
  CHECK(l.result.findings.empty());
  auto two = lint_prod("", two_providers(chat_route));
  INFO(two.dump());
  CHECK(two.result.findings.empty());
}

// ---------------------------------------------------------------------------------------------
// GW2xx references and consistency

TEST_CASE("a route naming an undefined model is GW201 with a suggestion", "[policy][GW201]") {
  std::string prod = "routes:\n  - name: chat\n    models: [gpt-4o, gpt4o]\n";
  auto l = lint_prod(prod);
  auto f = l.of("GW201");
  INFO(l.dump());
  REQUIRE(f.size() == 1);
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "gpt4o"));
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].diag.message == "model 'gpt4o' is not defined");
  CHECK(f[0].diag.hint == "did you mean 'gpt-4o'?");
  CHECK(f[0].envs == std::vector<std::string>{"prod"});
  CHECK(f[0].entity == "routes[chat].models[1]");
}

TEST_CASE("undefined providers, fallbacks and consumer grants are GW201 too", "[policy][GW201]") {
  std::string prod = R"(models:
  mini: {provider: opnai, id: gpt-4o-mini-2024-07-18}
  gpt-4o:
    fallbacks: [clade]
consumers:
  - name: web
    api_keys: ["${secret:WEB_KEY}"]
    routes: [chta]
    models: [gpt-4o, nope]
)";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW201");
  REQUIRE(f.size() == 4);
  // Findings come sorted by position.
  CHECK(f[0].diag.message == "provider 'opnai' is not defined");
  CHECK(f[0].diag.hint == "did you mean 'openai'?");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "opnai"));
  CHECK(f[1].diag.message == "fallback model 'clade' is not defined");
  CHECK(l.at(f[1]) == "envs/prod.yaml:" + pos(prod, "clade"));
  CHECK(f[2].diag.message == "route 'chta' is not defined");
  CHECK(f[2].diag.hint == "did you mean 'chat'?");
  CHECK(l.at(f[2]) == "envs/prod.yaml:" + pos(prod, "chta"));
  CHECK(f[3].diag.message == "model 'nope' is not defined");
  CHECK(f[3].diag.hint == "define it under 'models', or fix the name");
}

TEST_CASE("references that resolve are not GW201", "[policy][GW201]") {
  auto l = lint_prod(R"(consumers:
  - name: web
    api_keys: ["${secret:WEB_KEY}"]
    routes: [chat]
    models: [gpt-4o]
    limits: [{requests: 10, per: 1m}]
)");
  INFO(l.dump());
  CHECK(l.of("GW201").empty());
  CHECK(l.result.findings.empty());
}

TEST_CASE("two consumers sharing one API key secret is GW202 with a note at the first", "[policy][GW202]") {
  std::string prod = R"(consumers:
  - name: web
    api_keys: ["${secret:SHARED_KEY}"]
    routes: [chat]
  - name: batch
    api_keys: ["${secret:OTHER}", "${secret:SHARED_KEY}"]
    routes: [chat]
)";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW202");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message == "consumers 'web' and 'batch' share the API key secret 'SHARED_KEY'");
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "\"${secret:SHARED_KEY}\"", 2));
  REQUIRE(f[0].diag.notes.size() == 1);
  CHECK(l.at(f[0].diag.notes[0].span) == "envs/prod.yaml:" + pos(prod, "\"${secret:SHARED_KEY}\"", 1));
}

TEST_CASE("a consumer listing its own key twice, or consumers with distinct keys, is not GW202", "[policy][GW202]") {
  auto l = lint_prod(R"(consumers:
  - name: web
    api_keys: ["${secret:WEB_KEY}", "${secret:WEB_KEY_NEXT}"]
    routes: [chat]
  - name: batch
    api_keys: ["${secret:BATCH_KEY}"]
    routes: [chat]
)");
  INFO(l.dump());
  CHECK(l.of("GW202").empty());
}

TEST_CASE("a route name used twice in one layer is GW202", "[policy][GW202]") {
  std::string base = two_providers(std::string(chat_route) + route("chat", "{path: /v1/embeddings}"));
  auto l = lint_prod("", base);
  INFO(l.dump());
  // Either the merge or the policy rule must say that the name is used twice.
  auto f = l.of("GW202");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message == "route name 'chat' is used twice");
  CHECK(l.at(f[0]) == "base/gateway.yaml:" + pos(base, "chat\n    match: {path: /v1/embeddings"));
  REQUIRE(f[0].diag.notes.size() == 1);
  CHECK(f[0].diag.notes[0].message == "first defined here");
  CHECK(l.at(f[0].diag.notes[0].span) == "base/gateway.yaml:" + pos(base, "chat\n"));
}

TEST_CASE("a consumer name used twice is GW202", "[policy][GW202]") {
  std::string base = std::string(minimal_base) + R"(consumers:
  - name: web
    api_keys: ["${secret:WEB_KEY}"]
    routes: [chat]
  - name: web
    api_keys: ["${secret:WEB_KEY_2}"]
    routes: [chat]
)";
  auto l = lint_prod("", base);
  INFO(l.dump());
  auto f = l.of("GW202");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].diag.message == "consumer name 'web' is used twice");
}

TEST_CASE("a route shadowed by an earlier prefix route is unreachable", "[policy][GW203]") {
  std::string base = two_providers(route("v1", "{path_prefix: /v1/}") +
                                   route("chat", "{path: /v1/chat/completions, methods: [POST]}"));
  auto l = lint_prod("", base);
  INFO(l.dump());
  auto f = l.of("GW203");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message ==
        "route 'chat' is unreachable: the earlier route 'v1' matches every request it matches (first match wins)");
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(l.at(f[0]) == "base/gateway.yaml:" + pos(base, "{path: /v1/chat/completions, methods: [POST]}"));
  REQUIRE(f[0].diag.notes.size() == 1);
  CHECK(f[0].diag.notes[0].message == "route 'v1' is matched first");
  CHECK(l.at(f[0].diag.notes[0].span) == "base/gateway.yaml:" + pos(base, "{path_prefix: /v1/}"));
  CHECK(f[0].envs == std::vector<std::string>{"dev", "prod"});
}

TEST_CASE("an earlier route shadows a later one only if it matches a superset", "[policy][GW203]") {
  struct Case {
    const char* earlier;
    const char* later;
    bool shadowed;
  };
  const Case cases[] = {
      // the same exact path
      {"{path: /v1/embeddings}", "{path: /v1/embeddings, methods: [POST]}", true},
      // a broader prefix before a narrower one
      {"{path_prefix: /v1/}", "{path_prefix: /v1/chat/}", true},
      {"{path_prefix: /v1/chat/}", "{path_prefix: /v1/}", false},
      // methods: the earlier must take every method the later takes
      {"{path_prefix: /v1/, methods: [POST]}", "{path: /v1/chat/completions, methods: [POST]}", true},
      {"{path_prefix: /v1/, methods: [POST, GET]}", "{path: /v1/models, methods: [GET]}", true},
      {"{path_prefix: /v1/, methods: [POST]}", "{path: /v1/chat/completions, methods: [GET, POST]}", false},
      {"{path_prefix: /v1/, methods: [POST]}", "{path: /v1/chat/completions}", false},
      // headers: the earlier's required headers must be required by the later too
      {"{path: /v1/chat/completions, headers: {x-team: research}}", "{path: /v1/chat/completions}", false},
      {"{path: /v1/chat/completions}", "{path: /v1/chat/completions, headers: {x-team: research}}", true},
      {"{path_prefix: /v1/, headers: {X-Team: research}}",
       "{path: /v1/chat/completions, headers: {x-team: research, x-env: prod}}", true},
      {"{path_prefix: /v1/, headers: {x-team: research}}", "{path: /v1/chat/completions, headers: {x-team: ads}}",
       false},
      // different paths
      {"{path: /v1/completions}", "{path: /v1/chat/completions}", false},
      {"{path_prefix: /v2/}", "{path: /v1/chat/completions}", false},
  };
  for (const auto& c : cases) {
    std::string base = two_providers(route("first", c.earlier) + route("second", c.later));
    auto l = lint_prod("", base);
    INFO("earlier " << c.earlier << ", later " << c.later << "\n" << l.dump());
    auto f = l.of("GW203");
    CHECK(f.size() == (c.shadowed ? 1u : 0u));
    if (!f.empty()) CHECK(contains(f[0].diag.message, "route 'second' is unreachable"));
  }
}

TEST_CASE("a fallback cycle is GW204, reported once", "[policy][GW204]") {
  std::string prod = "models:\n  gpt-4o:\n    fallbacks: [claude]\n  claude:\n    fallbacks: [gpt-4o]\n";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW204");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK((f[0].diag.message == "fallback cycle: claude → gpt-4o → claude" ||
         f[0].diag.message == "fallback cycle: gpt-4o → claude → gpt-4o"));
  // At one of the two edges of the cycle, in the overlay that added it.
  std::string at = l.at(f[0]);
  CHECK((at == "envs/prod.yaml:" + pos(prod, "claude]") || at == "envs/prod.yaml:" + pos(prod, "gpt-4o]")));
  CHECK(f[0].envs == std::vector<std::string>{"prod"});
}

TEST_CASE("a longer fallback cycle is reported once and names every model on it", "[policy][GW204]") {
  std::string prod = R"(models:
  m1: {provider: openai, id: m1-2024-01-01, fallbacks: [m2]}
  m2: {provider: anthropic, id: m2-2024-01-01, fallbacks: [m3]}
  m3: {provider: openai, id: m3-2024-01-01, fallbacks: [m1]}
)";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW204");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message == "fallback cycle: m1 → m2 → m3 → m1");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "m1]"));
}

TEST_CASE("a fallback chain that ends is not a cycle", "[policy][GW204]") {
  // A diamond: two paths to the same model are not a cycle.
  auto l = lint_prod(R"(models:
  m1: {provider: openai, id: m1-2024-01-01, fallbacks: [m2, m3]}
  m2: {provider: anthropic, id: m2-2024-01-01, fallbacks: [m3]}
  m3: {provider: openai, id: m3-2024-01-01}
)",
                     two_providers(chat_route));
  INFO(l.dump());
  CHECK(l.of("GW204").empty());
}

TEST_CASE("a fallback chain four models deep is GW205, three is fine", "[policy][GW205]") {
  std::string chain = R"(models:
  m1: {provider: openai, id: m1-2024-01-01, fallbacks: [m2]}
  m2: {provider: anthropic, id: m2-2024-01-01, fallbacks: [m3]}
  m3: {provider: openai, id: m3-2024-01-01, fallbacks: [m4]}
  m4: {provider: anthropic, id: m4-2024-01-01}
)";
  auto three = lint_prod(chain, two_providers(chat_route));
  INFO(three.dump());
  CHECK(three.of("GW205").empty());

  std::string four =
      chain.substr(0, chain.rfind('}')) + ", fallbacks: [m5]}\n  m5: {provider: openai, id: m5-2024-01-01}\n";
  auto l = lint_prod(four, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW205");
  REQUIRE(f.size() == 1);  // only m1; m2 is three deep
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(contains(f[0].diag.message, "model 'm1' falls back through 4 models in a row"));
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(four, "[m2]"));
}

TEST_CASE("a fallback to itself or to a model on the same single provider is GW206", "[policy][GW206]") {
  std::string prod = R"(models:
  mini: {provider: openai, id: gpt-4o-mini-2024-07-18}
  gpt-4o:
    fallbacks: [gpt-4o, mini]
)";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW206");
  REQUIRE(f.size() == 2);
  CHECK(f[0].diag.message == "model 'gpt-4o' falls back to itself");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "gpt-4o, mini"));
  CHECK(f[1].diag.message ==
        "fallback 'mini' of model 'gpt-4o' runs on the same single provider 'openai': an outage of 'openai' takes "
        "both down");
  CHECK(l.at(f[1]) == "envs/prod.yaml:" + pos(prod, "mini]"));
  CHECK(f[1].diag.severity == Severity::warning);
  // A self-loop is not also a cycle.
  CHECK(l.of("GW204").empty());
}

TEST_CASE("a fallback to a model on another provider, or from a multi-provider pool, is not GW206", "[policy][GW206]") {
  auto other = lint_prod("models:\n  gpt-4o:\n    fallbacks: [claude]\n", two_providers(chat_route));
  INFO(other.dump());
  CHECK(other.of("GW206").empty());
  auto pool = lint_prod(R"(models:
  pool:
    deployments:
      - {provider: openai, id: gpt-4o-2024-11-20}
      - {provider: anthropic, id: claude-3-5-sonnet-20241022}
    fallbacks: [gpt-4o]
)",
                        two_providers(chat_route));
  INFO(pool.dump());
  CHECK(pool.of("GW206").empty());
}

TEST_CASE("weights on some deployments of a model but not all is GW207", "[policy][GW207]") {
  std::string prod = R"(models:
  pool:
    deployments:
      - {provider: openai, id: gpt-4o-2024-11-20, weight: 90}
      - {provider: anthropic, id: claude-3-5-sonnet-20241022}
)";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW207");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message == "model 'pool' gives weights to some deployments but not to this one");
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "{provider: anthropic"));
  CHECK(l.of("GW208").empty());
}

TEST_CASE("weights on every deployment or on none are not GW207", "[policy][GW207]") {
  for (const char* weights : {"weight: 90", "weight: 0"}) {
    auto all = lint_prod(fmt::format(R"(models:
  pool:
    deployments:
      - {{provider: openai, id: gpt-4o-2024-11-20, {}}}
      - {{provider: anthropic, id: claude-3-5-sonnet-20241022, weight: 10}}
)",
                                     weights),
                         two_providers(chat_route));
    INFO(all.dump());
    CHECK(all.of("GW207").empty());
    CHECK(all.of("GW208").empty());
  }
  auto none = lint_prod(R"(models:
  pool:
    deployments:
      - {provider: openai, id: gpt-4o-2024-11-20}
      - {provider: anthropic, id: claude-3-5-sonnet-20241022}
)",
                        two_providers(chat_route));
  INFO(none.dump());
  CHECK(none.of("GW207").empty());
  CHECK(none.of("GW208").empty());
}

TEST_CASE("a model whose deployments all weigh 0 is GW208, not GW207", "[policy][GW208]") {
  std::string prod = R"(models:
  pool:
    deployments:
      - {provider: openai, id: gpt-4o-2024-11-20, weight: 0}
      - {provider: anthropic, id: claude-3-5-sonnet-20241022, weight: 0}
)";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW208");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message == "every deployment of model 'pool' has weight 0: the model can serve no request");
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].entity == "models.pool.deployments");
  CHECK(l.at(f[0]).starts_with("envs/prod.yaml:3:"));
  CHECK(l.of("GW207").empty());
}

TEST_CASE("a default model outside the route's models is GW209", "[policy][GW209]") {
  std::string prod = "routes:\n  - name: chat\n    models: [gpt-4o]\n    default_model: claude\n";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW209");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message == "default model 'claude' of route 'chat' is not one of its models");
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "claude"));
  // A default that is not defined at all is GW201, not GW209.
  auto undefined = lint_prod("routes:\n  - name: chat\n    default_model: gpt-5\n", two_providers(chat_route));
  CHECK(undefined.of("GW209").empty());
  CHECK(undefined.of("GW201").size() == 1);
}

TEST_CASE("a default model among the route's models is not GW209", "[policy][GW209]") {
  auto l = lint_prod("routes:\n  - name: chat\n    default_model: claude\n", two_providers(chat_route));
  INFO(l.dump());
  CHECK(l.of("GW209").empty());
}

TEST_CASE("an unused provider and an unreachable model are GW210 infos", "[policy][GW210]") {
  std::string extra = R"(providers:
  anthropic:
    kind: anthropic
    base_url: https://api.anthropic.com/v1
    api_key: ${secret:ANTHROPIC_API_KEY}
models:
  mini: {provider: openai, id: gpt-4o-mini-2024-07-18}
)";
  auto files = project_with("");
  files["base/more.yaml"] = extra;
  auto l = lint_project(files);
  INFO(l.dump());
  auto f = l.of("GW210");
  REQUIRE(f.size() == 2);
  CHECK(f[0].diag.severity == Severity::info);
  CHECK(f[1].diag.severity == Severity::info);
  CHECK(f[0].diag.message == "provider 'anthropic' is not used by any model");
  CHECK(l.at(f[0]).starts_with("base/more.yaml:"));
  CHECK(f[1].diag.message == "model 'mini' is not reachable from any route (nor as a fallback)");
  CHECK(l.at(f[1]) == "base/more.yaml:" + pos(extra, "{provider: openai"));
}

TEST_CASE("a model reachable only as a fallback is used, not GW210", "[policy][GW210]") {
  auto l = lint_prod("routes:\n  - name: chat\n    models: [gpt-4o]\nmodels:\n  gpt-4o:\n    fallbacks: [claude]\n",
                     two_providers(chat_route));
  INFO(l.dump());
  CHECK(l.of("GW210").empty());
}

// ---------------------------------------------------------------------------------------------
// GW4xx auth and exposure

TEST_CASE("a route without auth that is not declared public with a reason is GW401", "[policy][GW401]") {
  for (const char* auth : {"{type: none}", "{type: none, public: true}"}) {
    std::string prod = fmt::format("routes:\n  - name: chat\n    auth: {}\n", auth);
    auto l = lint_prod(prod);
    INFO(l.dump());
    auto f = l.of("GW401");
    REQUIRE(f.size() == 1);
    CHECK(f[0].diag.message == "route 'chat' has no authentication but is not declared public with a reason");
    CHECK(f[0].diag.severity == Severity::error);
    CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "none"));
  }
}

TEST_CASE("a public route with a reason, or an authenticated one, is not GW401", "[policy][GW401]") {
  std::string base = std::string(minimal_base) + R"(  - name: health
    match: {path: /healthz}
    auth: {type: none, public: true, reason: load balancer probe}
    respond: {status: 200, body: ok}
)";
  auto l = lint_prod("", base);
  INFO(l.dump());
  CHECK(l.of("GW401").empty());
  CHECK(l.result.findings.empty());
}

TEST_CASE("dangerous CORS origins are GW402", "[policy][GW402]") {
  std::string prod = R"(routes:
  - name: chat
    cors:
      origins: ["*", "null", "~https://.*\\.acme\\.com", "https://*.acme.com"]
      credentials: true
)";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW402");
  REQUIRE(f.size() == 4);
  for (const auto& x : f) CHECK(x.diag.severity == Severity::error);
  CHECK(contains(f[0].diag.message, "route 'chat' allows any origin with credentials"));
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "\"*\""));
  CHECK(contains(f[1].diag.message, "route 'chat' allows the origin 'null'"));
  CHECK(l.at(f[1]) == "envs/prod.yaml:" + pos(prod, "\"null\""));
  CHECK(contains(f[2].diag.message, "origin pattern '~https://.*\\.acme\\.com' of route 'chat' is not anchored"));
  CHECK(contains(f[3].diag.message,
                 "origin 'https://*.acme.com' of route 'chat' looks like a pattern but origins are compared exactly"));
  CHECK(f[3].entity == "routes[chat].cors.origins[3]");
}

TEST_CASE("explicit origins, an anchored pattern, or * without credentials are not GW402", "[policy][GW402]") {
  auto l = lint_prod(R"(routes:
  - name: chat
    cors:
      origins: ["https://app.acme.com", "http://localhost:3000", "~^https://[a-z0-9-]+\\.acme\\.com$"]
      credentials: true
  - name: open
    match: {path: /v1/models}
    models: [gpt-4o]
    timeouts: {total: 10s, first_byte: 5s, idle: 5s}
    resilience: {max_attempts: 1}
    limits: [{requests: 100, per: 1m}]
    cors: {origins: ["*"]}
)");
  INFO(l.dump());
  CHECK(l.of("GW402").empty());
}

TEST_CASE("TLS verification turned off by an overlay is GW403, blamed on the overlay", "[policy][GW403]") {
  std::string prod = "providers:\n  openai:\n    tls: {verify: false}\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW403");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].diag.message == "providers.openai turns TLS certificate verification off");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "false"));
  CHECK(f[0].envs == std::vector<std::string>{"prod"});
  CHECK(f[0].layer == "env:prod");
  CHECK_FALSE(f[0].diag.hint.empty());
}

TEST_CASE("TLS verification on, or a private CA, is not GW403", "[policy][GW403]") {
  auto on = lint_prod("providers:\n  openai:\n    tls: {verify: true, ca_file: certs/ca.pem}\n");
  INFO(on.dump());
  CHECK(on.of("GW403").empty());
}

TEST_CASE("plain http to a remote provider is GW404", "[policy][GW404]") {
  for (const char* url : {"http://api.openai.com/v1", "http://localhost.evil.example/v1", "http://127.0.0.1.nip.io/v1",
                          "http://10.0.0.7:8000/v1"}) {
    std::string prod = fmt::format("providers:\n  openai:\n    base_url: {}\n", url);
    auto l = lint_prod(prod);
    INFO(url << "\n" << l.dump());
    auto f = l.of("GW404");
    REQUIRE(f.size() == 1);
    CHECK(f[0].diag.severity == Severity::error);
    CHECK(f[0].diag.message == "providers.openai is reached over plain http:// on a non-loopback address");
    CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "http"));
  }
}

TEST_CASE("https, or http to a loopback sidecar, is not GW404", "[policy][GW404]") {
  for (const char* url :
       {"https://api.openai.com/v1", "http://localhost:8000/v1", "http://127.0.0.1:11434", "http://[::1]:8000/v1"}) {
    auto l = lint_prod(fmt::format("providers:\n  openai:\n    base_url: {}\n", url));
    INFO(url << "\n" << l.dump());
    CHECK(l.of("GW404").empty());
  }
}

TEST_CASE("an admin listener on the network without API keys is GW405", "[policy][GW405]") {
  for (const char* listen : {"0.0.0.0:9901", "'[::]:9901'", "':9901'", "10.1.2.3:9901"}) {
    std::string prod = fmt::format("gateway:\n  admin: {{listen: {}}}\n", listen);
    auto l = lint_prod(prod);
    INFO(listen << "\n" << l.dump());
    auto f = l.of("GW405");
    REQUIRE(f.size() == 1);
    CHECK(f[0].diag.severity == Severity::error);
    CHECK(contains(f[0].diag.message, "is reachable from the network without authentication"));
    CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, listen));
  }
}

TEST_CASE("an admin listener on loopback, or with API keys, is not GW405", "[policy][GW405]") {
  for (const char* admin : {"{listen: 127.0.0.1:9901}", "{listen: 'localhost:9901'}", "{listen: '[::1]:9901'}",
                            "{listen: 0.0.0.0:9901, api_keys: [\"${secret:ADMIN_KEY}\"]}"}) {
    auto l = lint_prod(fmt::format("gateway:\n  admin: {}\n", admin));
    INFO(admin << "\n" << l.dump());
    CHECK(l.of("GW405").empty());
  }
}

TEST_CASE("a consumer granted every route is a GW406 warning, an error without limit or budget", "[policy][GW406]") {
  std::string prod = R"(consumers:
  - name: bounded
    api_keys: ["${secret:BOUNDED_KEY}"]
    routes: ["*"]
    budget: {usd: 10}
  - name: unbounded
    api_keys: ["${secret:UNBOUNDED_KEY}"]
    routes: [chat]
    models: ["*"]
)";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW406");
  REQUIRE(f.size() == 2);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "consumer 'bounded' is granted every route (\"*\")");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "\"*\"", 1));
  CHECK(f[1].diag.severity == Severity::error);
  CHECK(f[1].diag.message == "consumer 'unbounded' is granted every model (\"*\") and has no limit or budget");
  CHECK(l.at(f[1]) == "envs/prod.yaml:" + pos(prod, "\"*\"", 2));
}

TEST_CASE("a consumer granted named routes and models is not GW406", "[policy][GW406]") {
  auto l = lint_prod(R"(consumers:
  - name: web
    api_keys: ["${secret:WEB_KEY}"]
    routes: [chat]
    models: [gpt-4o]
)");
  INFO(l.dump());
  CHECK(l.of("GW406").empty());
}

TEST_CASE("a JWT route accepting alg none, or mixing HS and RS algorithms, is GW407", "[policy][GW407]") {
  std::string prod = R"(routes:
  - name: chat
    auth:
      type: jwt
      issuer: https://auth.acme.com/
      jwks_file: keys/jwks.json
      algorithms: [RS256, none]
)";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW407");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].diag.message == "route 'chat' accepts unsigned JWTs (alg: none): anyone can forge a token");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "none"));

  std::string mixed = R"(routes:
  - name: chat
    auth:
      type: jwt
      issuer: https://auth.acme.com/
      jwks_file: keys/jwks.json
      algorithms: [HS256, RS256]
)";
  auto m = lint_prod(mixed);
  INFO(m.dump());
  auto g = m.of("GW407");
  REQUIRE(g.size() == 1);
  CHECK(contains(g[0].diag.message, "route 'chat' mixes HMAC (HS*) and public-key algorithms"));
  CHECK(m.at(g[0]) == "envs/prod.yaml:" + pos(mixed, "[HS256"));
}

TEST_CASE("a JWT route with one family of signed algorithms is not GW407", "[policy][GW407]") {
  for (const char* algs : {"[RS256, ES256, PS256]", "[HS256, HS512]", "[EdDSA]"}) {
    auto l = lint_prod(fmt::format(R"(routes:
  - name: chat
    auth:
      type: jwt
      issuer: https://auth.acme.com/
      jwks_file: keys/jwks.json
      algorithms: {}
)",
                                   algs));
    INFO(algs << "\n" << l.dump());
    CHECK(l.of("GW407").empty());
  }
}

TEST_CASE("full body logging without redaction is GW408", "[policy][GW408]") {
  std::string prod = "routes:\n  - name: chat\n    log: {bodies: true}\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW408");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "routes[chat].log logs full request and response bodies without redacting anything");
  CHECK(l.at(f[0]).starts_with("envs/prod.yaml:3:"));
}

TEST_CASE("body logging with redaction, or no body logging, is not GW408", "[policy][GW408]") {
  for (const char* log : {"{bodies: true, redact: [email]}", "{bodies: false}", "{redact: [email]}"}) {
    auto l = lint_prod(fmt::format("routes:\n  - name: chat\n    log: {}\n", log));
    INFO(log << "\n" << l.dump());
    CHECK(l.of("GW408").empty());
  }
}

TEST_CASE("a cache shared across consumers on an authenticated route is GW409", "[policy][GW409]") {
  std::string prod = "routes:\n  - name: chat\n    cache: {ttl: 5m, scope: global}\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW409");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "routes[chat] caches responses across consumers although it authenticates them");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "global"));
}

TEST_CASE("a per-consumer cache, or a shared cache on a public route, is not GW409", "[policy][GW409]") {
  auto scoped = lint_prod("routes:\n  - name: chat\n    cache: {ttl: 5m, scope: consumer}\n");
  INFO(scoped.dump());
  CHECK(scoped.of("GW409").empty());
  auto defaulted = lint_prod("routes:\n  - name: chat\n    cache: {ttl: 5m}\n");
  CHECK(defaulted.of("GW409").empty());
  auto open = lint_prod(
      "routes:\n  - name: chat\n    auth: {type: none, public: true, reason: docs demo}\n    cache: {ttl: 5m, scope: "
      "global}\n");
  INFO(open.dump());
  CHECK(open.of("GW409").empty());
}

TEST_CASE("an overlay that turns a route's auth off is GW410 on the overlay line, noting the base line",
          "[policy][GW410]") {
  std::string base = std::string(minimal_base) + "    auth: {type: api_key}\n";
  std::string prod = "routes:\n  - name: chat\n    auth: {type: none, public: true, reason: demo day}\n";
  auto l = lint_prod(prod, base);
  INFO(l.dump());
  auto f = l.of("GW410");
  REQUIRE(f.size() >= 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].diag.message == "an overlay turns authentication of route 'chat' off (the base uses api_key)");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "none"));
  CHECK(f[0].envs == std::vector<std::string>{"prod"});
  REQUIRE(f[0].diag.notes.size() == 1);
  CHECK(f[0].diag.notes[0].message == "the base layer sets it here");
  CHECK(l.at(f[0].diag.notes[0].span) == "base/gateway.yaml:" + pos(base, "api_key}"));
  // Making it public is blamed on the overlay too.
  REQUIRE(f.size() == 2);
  CHECK(f[1].diag.message == "an overlay makes route 'chat' public");
  CHECK(l.at(f[1]) == "envs/prod.yaml:" + pos(prod, "true"));
  // The route is declared public with a reason in prod: not GW401.
  CHECK(l.of("GW401").empty());
}

TEST_CASE("an overlay dropping auth from a base that relies on the default is GW410 too", "[policy][GW410]") {
  std::string prod = "routes:\n  - name: chat\n    auth: {type: none, public: true, reason: demo day}\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW410");
  REQUIRE_FALSE(f.empty());
  CHECK(f[0].diag.message == "an overlay turns authentication of route 'chat' off (the base uses api_key)");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "none"));
}

TEST_CASE("a flag overlay that drops auth is GW410 on the flag's line, only where the flag is on", "[policy][GW410]") {
  auto files = project_with("");
  std::string flag = "routes:\n  - name: chat\n    auth: {type: none, public: true, reason: hackathon}\n";
  files["flags/open.yaml"] = flag;
  auto l = lint_project(files);
  INFO(l.dump());
  auto f = l.of("GW410");
  REQUIRE_FALSE(f.empty());
  CHECK(l.at(f[0]) == "flags/open.yaml:" + pos(flag, "none"));
  CHECK(f[0].layer == "flag:open");
  CHECK(f[0].flags == std::vector<std::string>{"open"});
  CHECK(f[0].envs == std::vector<std::string>{"dev", "prod"});
}

TEST_CASE("a base that is itself auth none and public is not GW410", "[policy][GW410]") {
  std::string base = std::string(minimal_base) + "    auth: {type: none, public: true, reason: open beta}\n";
  auto same = lint_prod("", base);
  INFO(same.dump());
  CHECK(same.of("GW410").empty());
  // An overlay restating the same choice does not weaken anything either.
  auto restated = lint_prod("routes:\n  - name: chat\n    auth: {type: none, public: true, reason: open beta}\n", base);
  INFO(restated.dump());
  CHECK(restated.of("GW410").empty());
  // Strengthening is fine.
  auto stronger = lint_prod("routes:\n  - name: chat\n    auth: {type: api_key, public: false}\n", base);
  INFO(stronger.dump());
  CHECK(stronger.of("GW410").empty());
}

// ---------------------------------------------------------------------------------------------
// GW5xx resilience and operations

TEST_CASE("a proxying route without timeouts is GW501", "[policy][GW501]") {
  std::string base = std::string(minimal_base) + R"(  - name: embed
    match: {path: /v1/embeddings}
    models: [gpt-4o]
    resilience: {max_attempts: 2}
    limits: [{requests: 100, per: 1m}]
)";
  auto l = lint_prod("", base);
  INFO(l.dump());
  auto f = l.of("GW501");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "route 'embed' sets no timeouts; it relies on the defaults");
  CHECK(f[0].entity == "routes[embed]");
  CHECK(l.at(f[0]) == "base/gateway.yaml:" + pos(base, "name: embed"));
}

TEST_CASE("a route with timeouts, or one that answers itself, is not GW501", "[policy][GW501]") {
  std::string base = std::string(minimal_base) + R"(  - name: health
    match: {path: /healthz}
    auth: {type: none, public: true, reason: probe}
    respond: {status: 200, body: ok}
)";
  auto l = lint_prod("", base);
  INFO(l.dump());
  CHECK(l.of("GW501").empty());
}

TEST_CASE("first_byte or idle above total is GW502", "[policy][GW502]") {
  std::string prod = "routes:\n  - name: chat\n    timeouts: {total: 60s, first_byte: 90s, idle: 2m}\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW502");
  REQUIRE(f.size() == 2);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message ==
        "timeouts.first_byte (90s) of route 'chat' is longer than timeouts.total (60s), so it never applies");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "90s"));
  CHECK(contains(f[1].diag.message, "timeouts.idle (120s) of route 'chat'"));
  CHECK(l.at(f[1]) == "envs/prod.yaml:" + pos(prod, "2m"));
}

TEST_CASE("first_byte and idle up to total are not GW502", "[policy][GW502]") {
  auto l = lint_prod("routes:\n  - name: chat\n    timeouts: {total: 60s, first_byte: 60s, idle: 30s}\n");
  INFO(l.dump());
  CHECK(l.of("GW502").empty());
}

TEST_CASE("retrying on a 4xx other than 408, 409 and 429 is GW503", "[policy][GW503]") {
  std::string prod = "routes:\n  - name: chat\n    resilience:\n      retry_on: [408, 400, 429, 422, 503]\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW503");
  REQUIRE(f.size() == 2);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "route 'chat' retries on 400, which the same request will get again");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "400"));
  CHECK(f[1].diag.message == "route 'chat' retries on 422, which the same request will get again");
  CHECK(f[1].entity == "routes[chat].resilience.retry_on[3]");
}

TEST_CASE("retrying on 408, 409, 429, 5xx and conditions is not GW503", "[policy][GW503]") {
  auto l = lint_prod(
      "routes:\n  - name: chat\n    resilience:\n      retry_on: [408, 409, 429, 500, 503, timeout, connect_error]\n");
  INFO(l.dump());
  CHECK(l.of("GW503").empty());
}

TEST_CASE("retries without max_attempts are GW504", "[policy][GW504]") {
  std::string base = std::string(minimal_base) + R"(  - name: embed
    match: {path: /v1/embeddings}
    models: [gpt-4o]
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {retries: 2}
    limits: [{requests: 100, per: 1m}]
)";
  auto l = lint_prod("", base);
  INFO(l.dump());
  auto f = l.of("GW504");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "route 'embed' retries or falls back but sets no resilience.max_attempts");
  CHECK(f[0].entity == "routes[embed].resilience");
  CHECK(l.at(f[0]) == "base/gateway.yaml:" + pos(base, "{retries: 2}"));
}

TEST_CASE("max_attempts set, or neither retries nor fallbacks, is not GW504", "[policy][GW504]") {
  std::string base = std::string(minimal_base) + R"(  - name: embed
    match: {path: /v1/embeddings}
    models: [gpt-4o]
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {retries: 0}
    limits: [{requests: 100, per: 1m}]
)";
  auto l = lint_prod("", base);
  INFO(l.dump());
  CHECK(l.of("GW504").empty());
}

TEST_CASE("a fallback that max_attempts never reaches is GW505", "[policy][GW505]") {
  std::string prod = R"(models:
  gpt-4o:
    fallbacks: [claude]
routes:
  - name: chat
    resilience: {retries: 2, max_attempts: 3}
)";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW505");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message ==
        "route 'chat' can never fall back from 'gpt-4o' to 'claude': max_attempts (3) is used up by the attempts "
        "before it");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "3}"));
}

TEST_CASE("a fallback plan that cannot fit in timeouts.total is GW505", "[policy][GW505]") {
  // gpt-4o: 20s + 1s backoff + 20s = 41s before claude could start; total is 40s.
  std::string prod = R"(models:
  gpt-4o:
    fallbacks: [claude]
routes:
  - name: chat
    timeouts: {total: 40s, first_byte: 20s, idle: 20s}
    resilience: {retries: 1, backoff: {base: 1s, max: 5s}, max_attempts: 6}
)";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW505");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message ==
        "route 'chat' can never fall back from 'gpt-4o' to 'claude': the attempts before it can take 41s (each up to "
        "first_byte "
        "20s plus backoff), and timeouts.total is 40s");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "40s"));
}

TEST_CASE("a fallback plan that fits in time and attempts is not GW505", "[policy][GW505]") {
  // gpt-4o: 10s + 1s + 10s = 21s, then claude: 2 more attempts; max_attempts 4 and total 60s.
  auto l = lint_prod(R"(models:
  gpt-4o:
    fallbacks: [claude]
routes:
  - name: chat
    timeouts: {total: 60s, first_byte: 10s, idle: 10s}
    resilience: {retries: 1, backoff: {base: 1s, max: 5s}, max_attempts: 4}
)",
                     two_providers(chat_route));
  INFO(l.dump());
  CHECK(l.of("GW505").empty());
}

TEST_CASE("falling back on 401 or 403 is GW506", "[policy][GW506]") {
  std::string prod = "routes:\n  - name: chat\n    resilience:\n      fallback_on: [401, 429, 503]\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW506");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "routes[chat].resilience.fallback_on falls back on 401 or 403");
  CHECK(l.at(f[0]).starts_with("envs/prod.yaml:4:"));
}

TEST_CASE("falling back on 429 and 5xx only is not GW506", "[policy][GW506]") {
  auto l = lint_prod("routes:\n  - name: chat\n    resilience:\n      fallback_on: [429, 500, 503, timeout]\n");
  INFO(l.dump());
  CHECK(l.of("GW506").empty());
}

TEST_CASE("dated and versioned upstream ids are pinned, not GW507", "[policy][GW507]") {
  for (const char* id : {"gpt-4o-2024-11-20", "claude-3-5-sonnet-20241022", "mistral-large-2411", "gemini-1.5-pro-002",
                         "anthropic.claude-3-sonnet-20240229-v1:0", "gpt-4-0613", "claude-3-5-sonnet@20241022"}) {
    auto l = lint_prod(fmt::format("models:\n  gpt-4o:\n    id: {}\n", id));
    INFO(id << "\n" << l.dump());
    CHECK(l.of("GW507").empty());
  }
}

TEST_CASE("an undated upstream id is a GW507 error in the last environment and a warning before", "[policy][GW507]") {
  for (const char* id : {"gpt-4o", "claude-3-5-sonnet-latest", "mistral-large-latest", "gpt-4o-mini"}) {
    std::string base = minimal_base;
    base.replace(base.find("gpt-4o-2024-11-20"), 17, id);
    auto l = lint_prod("", base);
    INFO(id << "\n" << l.dump());
    auto f = l.of("GW507");
    REQUIRE(f.size() == 2);
    // Same place, two severities: one finding per environment.
    const Finding& dev = f[0].envs == std::vector<std::string>{"dev"} ? f[0] : f[1];
    const Finding& prod = f[0].envs == std::vector<std::string>{"dev"} ? f[1] : f[0];
    CHECK(dev.envs == std::vector<std::string>{"dev"});
    CHECK(dev.diag.severity == Severity::warning);
    CHECK(prod.envs == std::vector<std::string>{"prod"});
    CHECK(prod.diag.severity == Severity::error);
    CHECK(contains(prod.diag.message, fmt::format("model 'gpt-4o' uses the undated upstream id '{}'", id)));
    CHECK(l.at(prod) == "base/gateway.yaml:" + pos(base, id + std::string("\n")));
  }
}

TEST_CASE("an undated id in a deployment list is GW507 at that deployment", "[policy][GW507]") {
  std::string prod = R"(models:
  pool:
    deployments:
      - {provider: openai, id: gpt-4o-2024-11-20}
      - {provider: anthropic, id: claude-3-5-sonnet-latest}
)";
  auto l = lint_prod(prod, two_providers(chat_route));
  INFO(l.dump());
  auto f = l.of("GW507");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "claude-3-5-sonnet-latest"));
  CHECK(f[0].entity == "models.pool.deployments[1].id");
}

TEST_CASE("floating: true accepts an undated id on purpose", "[policy][GW507]") {
  auto l = lint_prod("models:\n  gpt-4o:\n    id: gpt-4o\n    floating: true\n");
  INFO(l.dump());
  CHECK(l.of("GW507").empty());
}

TEST_CASE("ejection on a model with a single deployment is GW508", "[policy][GW508]") {
  std::string prod = R"(routes:
  - name: chat
    resilience:
      max_attempts: 2
      eject: {error_rate: 0.05, window: 30s}
)";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW508");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(contains(f[0].diag.message,
                 "route 'chat' ejects failing deployments, but model 'gpt-4o' has a single deployment"));
  CHECK(l.at(f[0]).starts_with("envs/prod.yaml:5:"));
}

TEST_CASE("ejection on a model with several deployments is not GW508", "[policy][GW508]") {
  auto l = lint_prod(R"(models:
  pool:
    deployments:
      - {provider: openai, id: gpt-4o-2024-11-20}
      - {provider: anthropic, id: claude-3-5-sonnet-20241022}
routes:
  - name: chat
    models: [pool]
    default_model: pool
    resilience:
      max_attempts: 2
      eject: {error_rate: 0.05, window: 30s}
)",
                     two_providers(chat_route));
  INFO(l.dump());
  CHECK(l.of("GW508").empty());
}

// ---------------------------------------------------------------------------------------------
// GW6xx cost and limits

TEST_CASE("an authenticated route without a request or token limit is GW601", "[policy][GW601]") {
  std::string base = std::string(minimal_base) + R"(  - name: embed
    match: {path: /v1/embeddings}
    models: [gpt-4o]
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {max_attempts: 2}
)";
  auto l = lint_prod("", base);
  INFO(l.dump());
  auto f = l.of("GW601");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "route 'embed' has no request or token limit");
  CHECK(f[0].entity == "routes[embed]");
  CHECK(f[0].envs == std::vector<std::string>{"dev", "prod"});
}

TEST_CASE("a token limit, or a public route, is enough for GW601", "[policy][GW601]") {
  auto tokens = lint_prod("routes:\n  - name: chat\n    limits: [{tokens: 100000, per: 1m}]\n");
  INFO(tokens.dump());
  CHECK(tokens.of("GW601").empty());
  std::string base = std::string(minimal_base) + R"(  - name: open
    match: {path: /v1/models}
    auth: {type: none, public: true, reason: model list}
    models: [gpt-4o]
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {max_attempts: 2}
)";
  auto open = lint_prod("", base);
  INFO(open.dump());
  CHECK(open.of("GW601").empty());
}

TEST_CASE("replicas with local limits is GW602", "[policy][GW602]") {
  std::string prod = "gateway:\n  replicas: 3\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW602");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message ==
        "3 replicas each enforce the limits locally: the real limits are 3 times what the config says");
  CHECK(l.at(f[0]) == "envs/prod.yaml:" + pos(prod, "3"));
}

TEST_CASE("replicas with a shared redis store, or one replica, is not GW602", "[policy][GW602]") {
  auto shared = lint_prod("gateway:\n  replicas: 3\n  rate_limit_store: redis://redis.internal:6379\n");
  INFO(shared.dump());
  CHECK(shared.of("GW602").empty());
  auto one = lint_prod("gateway:\n  replicas: 1\n");
  CHECK(one.of("GW602").empty());
}

TEST_CASE("a route serving priced models without budget or token limit is GW603", "[policy][GW603]") {
  std::string prod = "models:\n  gpt-4o:\n    pricing: {input_per_mtok: 2.5, output_per_mtok: 10}\n";
  auto l = lint_prod(prod);
  INFO(l.dump());
  auto f = l.of("GW603");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "route 'chat' serves priced models with neither a budget nor a token limit");
  CHECK(f[0].entity == "routes[chat]");
  CHECK(f[0].envs == std::vector<std::string>{"prod"});
}

TEST_CASE("a priced model reached only as a fallback still needs a budget (GW603)", "[policy][GW603]") {
  auto l = lint_prod(
      "models:\n  gpt-4o:\n    fallbacks: [claude]\n  claude:\n    pricing: {input_per_mtok: 3, output_per_mtok: 15}\n"
      "routes:\n  - name: chat\n    models: [gpt-4o]\n",
      two_providers(chat_route));
  INFO(l.dump());
  CHECK(l.of("GW603").size() == 1);
}

TEST_CASE("a budget or a token limit on a route with priced models is not GW603", "[policy][GW603]") {
  const char* pricing = "models:\n  gpt-4o:\n    pricing: {input_per_mtok: 2.5, output_per_mtok: 10}\n";
  auto budget = lint_prod(std::string(pricing) + "routes:\n  - name: chat\n    budget: {usd: 100, per: 1d}\n");
  INFO(budget.dump());
  CHECK(budget.of("GW603").empty());
  auto tokens = lint_prod(std::string(pricing) + "routes:\n  - name: chat\n    limits: [{tokens: 100000, per: 1m}]\n");
  INFO(tokens.dump());
  CHECK(tokens.of("GW603").empty());
}

// ---------------------------------------------------------------------------------------------
// Worst-case daily spend

namespace {

// One model at $2 in / $8 out per million tokens, 100,000-token context, 10,000 output tokens;
// routes by name with the given limits and budget.
nlohmann::json spend_model(const std::string& gateway, const std::string& routes, const std::string& consumers = "") {
  std::string base = "version: 1\ngateway:\n  name: test\n" + gateway + R"(providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${secret:OPENAI_API_KEY}
models:
  m:
    provider: openai
    id: m-2024-11-20
    pricing: {input_per_mtok: 2, output_per_mtok: 8}
    context_window: 100000
    max_output_tokens: 10000
  free:
    provider: openai
    id: free-2024-11-20
routes:
)" + routes + consumers;
  auto c = compile(project_with("", base), "prod", Stage::emit);
  INFO(c->all_rendered());
  REQUIRE(c->result.artifact.is_object());
  return c->result.artifact["config"];
}

std::string spend_route(const std::string& name, const std::string& limits, const std::string& extra = "") {
  return fmt::format(R"(  - name: {}
    match: {{path: /{}}}
    models: [m]
    timeouts: {{total: 60s, first_byte: 20s, idle: 20s}}
    resilience: {{max_attempts: 2}}
    limits: {}
{})",
                     name, name, limits, extra);
}

const RouteSpend& spend_of(const std::vector<RouteSpend>& all, const std::string& route) {
  for (const auto& s : all) {
    if (s.route == route) return s;
  }
  FAIL("no spend for route " << route);
  return all.front();
}

}  // namespace

TEST_CASE("worst-case spend under a token limit is tokens per day at the higher price", "[policy][spend]") {
  // 100,000 tokens a minute, 1,440 minutes: 144 M tokens at $8 = $1,152.
  auto model = spend_model("", spend_route("tok", "[{tokens: 100000, per: 1m, key: route}]"));
  auto s = spend_of(worst_case_spend(model), "tok");
  CHECK(s.priced);
  CHECK(s.bounded);
  CHECK(s.bound_by == "token limit");
  CHECK(s.usd_per_day == Approx(1152.0));
}

TEST_CASE("worst-case spend under a request limit assumes full-context requests", "[policy][spend]") {
  // One request: 100,000 in × $2 + 10,000 out × $8 = $0.28; 10 a minute for a day = $4,032.
  auto model = spend_model("", spend_route("req", "[{requests: 10, per: 1m, key: route}]"));
  auto s = spend_of(worst_case_spend(model), "req");
  CHECK(s.bounded);
  CHECK(s.bound_by == "request limit");
  CHECK(s.usd_per_day == Approx(4032.0));
}

TEST_CASE("worst-case spend is capped by the smallest bound, e.g. a budget", "[policy][spend]") {
  auto model = spend_model(
      "", spend_route("bud", "[{requests: 10, per: 1m, key: route}]", "    budget: {usd: 5, per: 1h}\n") +
              spend_route("day", "[{tokens: 1000, per: 1m, key: route}]", "    budget: {usd: 500, per: 1d}\n"));
  auto all = worst_case_spend(model);
  auto bud = spend_of(all, "bud");
  CHECK(bud.bound_by == "budget");
  CHECK(bud.usd_per_day == Approx(120.0));
  // 1,000 tokens a minute: 1.44 M tokens at $8 = $11.52, below the $500 budget.
  auto day = spend_of(all, "day");
  CHECK(day.bound_by == "token limit");
  CHECK(day.usd_per_day == Approx(11.52));
}

TEST_CASE("local limits count once per replica, a shared store once", "[policy][spend]") {
  auto routes = spend_route("tok", "[{tokens: 100000, per: 1m, key: route}]");
  auto local = spend_model("  replicas: 2\n", routes);
  CHECK(spend_of(worst_case_spend(local), "tok").usd_per_day == Approx(2304.0));
  auto shared = spend_model("  replicas: 2\n  rate_limit_store: redis://redis:6379\n", routes);
  CHECK(spend_of(worst_case_spend(shared), "tok").usd_per_day == Approx(1152.0));
}

TEST_CASE("a per-consumer limit counts once per consumer granted the route", "[policy][spend]") {
  std::string consumers = R"(consumers:
  - name: a
    api_keys: ["${secret:A_KEY}"]
    routes: [tok]
  - name: b
    api_keys: ["${secret:B_KEY}"]
    routes: ["*"]
    limits: [{requests: 1, per: 1m}]
  - name: c
    api_keys: ["${secret:C_KEY}"]
    routes: [other]
)";
  auto model = spend_model("",
                           spend_route("tok", "[{tokens: 100000, per: 1m}]") +
                               spend_route("other", "[{tokens: 100000, per: 1m, key: route}]"),
                           consumers);
  // a and b may call tok: 2 × $1,152.
  CHECK(spend_of(worst_case_spend(model), "tok").usd_per_day == Approx(2304.0));
}

TEST_CASE("a per-IP limit bounds nothing, and unpriced or answering routes cost nothing", "[policy][spend]") {
  std::string routes = spend_route("ip", "[{requests: 10, per: 1m, key: ip}]") + R"(  - name: unpriced
    match: {path: /unpriced}
    models: [free]
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {max_attempts: 2}
    limits: [{requests: 10, per: 1m}]
  - name: health
    match: {path: /healthz}
    auth: {type: none, public: true, reason: probe}
    respond: {status: 200, body: ok}
)";
  auto all = worst_case_spend(spend_model("", routes));
  REQUIRE(all.size() == 3);
  CHECK(all[0].route == "ip");
  CHECK(all[0].priced);
  CHECK_FALSE(all[0].bounded);
  CHECK(all[1].route == "unpriced");
  CHECK_FALSE(all[1].priced);
  CHECK(all[1].usd_per_day == 0);
  CHECK(all[2].route == "health");
  CHECK_FALSE(all[2].priced);
  CHECK(all[2].bounded);
}

// With JWT auth the consumer is the token's `sub`: a per-consumer limit admits any number of
// callers, so it bounds nothing.
TEST_CASE("a per-consumer limit on a JWT route with no declared consumers does not bound spend", "[policy][spend]") {
  auto model = spend_model("", spend_route("jwt", "[{tokens: 100000, per: 1m}]",
                                           "    auth: {type: jwt, issuer: 'https://auth.acme.com/', jwks_file: "
                                           "keys/jwks.json, algorithms: [RS256]}\n"));
  auto s = spend_of(worst_case_spend(model), "jwt");
  CHECK(s.priced);
  CHECK_FALSE((s.bounded && s.usd_per_day == 0));
}
