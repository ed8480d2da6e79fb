// gwctl test: the test file format, the runner (gwd's decisions, scripted upstreams) and the
// route coverage it reports.
#include <catch2/catch.hpp>

#include "gwctl/route_test.hpp"
#include "helpers.hpp"

namespace gwctl::test {

namespace {

const char* route_base = R"(version: 1
gateway: {name: t}
providers:
  openai: {kind: openai, base_url: 'https://api.openai.com/v1', api_key: '${secret:OPENAI_KEY}'}
  claude: {kind: anthropic, base_url: 'https://api.anthropic.com/v1', api_key: '${secret:ANTHROPIC_KEY}', api_version: '2023-06-01'}
models:
  big:
    deployments:
      - {provider: openai, id: big-2024-01-01, weight: 90}
      - {provider: claude, id: big-claude-20240101, weight: 10}
    fallbacks: [small]
  small: {provider: claude, id: small-20240101}
routes:
  - name: health
    match: {path: /healthz}
    auth: {type: none, public: true, reason: probe}
    respond: {status: 200, body: ok}
  - name: sso
    match: {path_prefix: /sso/}
    auth: {type: jwt, issuer: 'https://sso.example.com/', audiences: [a], jwks_file: jwks.json}
    models: [big]
    default_model: big
  - name: chat
    match: {path: /v1/chat/completions, methods: [POST]}
    auth: {type: api_key}
    models: [big, small]
    default_model: big
    resilience: {retries: 1, retry_on: [503], fallback_on: [503], max_attempts: 3}
    limits: [{requests: 5, per: 1m}]
consumers:
  - {name: app, api_keys: ['${secret:APP_KEY}'], routes: [chat], models: [big, small]}
  - {name: other, api_keys: ['${secret:OTHER_KEY}'], routes: [sso], models: [big]}
)";

struct Run {
  Project project;
  Diagnostics diags;
  std::vector<RouteTestFile> files;
  TestReport report;
  std::string text;
};

std::unique_ptr<Run> run_tests(const std::string& tests, RouteTestOptions options = {},
                               const std::string& base = route_base) {
  auto r = std::make_unique<Run>();
  MemoryReader reader = reader_of({{"gwctl.yaml", "environments: [dev, prod]\n"},
                                   {"base/all.yaml", base},
                                   {"envs/dev.yaml", "{}\n"},
                                   {"envs/prod.yaml", "routes: [{name: chat, limits: [{requests: 2, per: 1m}]}]\n"},
                                   {"keys/jwks.json", "{}"},
                                   {"tests/t.yaml", tests}});
  auto p = load_project(reader, ProjectOptions{}, r->diags);
  REQUIRE(p);
  r->project = std::move(*p);
  REQUIRE_FALSE(r->diags.has_errors());
  auto file = load_route_tests(reader, "tests/t.yaml", r->project.sources, r->diags);
  if (!file) return r;
  r->files.push_back(std::move(*file));
  r->report = run_route_tests(r->project, r->files, options, r->diags);
  r->text = render_tests_text(r->report, r->project.sources, {});
  return r;
}

}  // namespace

TEST_CASE("a passing test prints PASS with its file, line and environment", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: app reaches chat
    env: dev
    request: {path: /v1/chat/completions, consumer: app}
    expect:
      route: chat
      status: 200
      consumer: app
      model: big
      deployments: [{deployment: openai/big-2024-01-01, weight: 90%}, {deployment: claude/big-claude-20240101, weight: 10}]
      attempts: [big]
      upstream: {model: big-2024-01-01, auth: bearer, path: /v1/chat/completions}
)");
  REQUIRE(rendered(r->diags, r->project.sources) == "");
  REQUIRE(r->report.results.size() == 1);
  CHECK(r->report.results[0].passed());
  CHECK(r->text.starts_with("PASS tests/t.yaml:2: app reaches chat [dev]\n\n1 test run: 1 passed, 0 failed\n"));
}

TEST_CASE("a failing test lists every mismatching expectation at its own line", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: wrong on purpose
    env: dev
    request: {path: /v1/chat/completions, consumer: app, model: small}
    expect:
      route: sso
      status: 200
      model: big
      upstream: {auth: bearer}
)");
  REQUIRE(r->report.results.size() == 1);
  CHECK(
      r->text.starts_with("FAIL tests/t.yaml:2: wrong on purpose [dev]\n"
                          "  tests/t.yaml:6: route: expected 'sso', got 'chat'\n"
                          "  tests/t.yaml:8: model: expected 'big', got 'small'\n"
                          "  tests/t.yaml:9: upstream.auth: expected 'bearer', got 'x-api-key'\n"));
  CHECK(r->report.failed() == 1);
}

TEST_CASE("a test without env runs in every environment, and only in --env when given", "[route_test]") {
  std::string tests = R"(tests:
  - name: probe
    request: {method: GET, path: /healthz}
    expect: {route: health, status: 200}
)";
  auto all = run_tests(tests);
  REQUIRE(all->report.results.size() == 2);
  CHECK(all->report.results[0].env == "dev");
  CHECK(all->report.results[1].env == "prod");
  RouteTestOptions only_prod;
  only_prod.env = "prod";
  auto prod = run_tests(tests, only_prod);
  REQUIRE(prod->report.results.size() == 1);
  CHECK(prod->report.results[0].env == "prod");
  REQUIRE(prod->report.coverage.envs.size() == 1);
  CHECK(prod->report.coverage.envs[0].env == "prod");
}

TEST_CASE("repeat reaches the request limit of each environment with gwd's Retry-After", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: sixth request in dev
    env: dev
    request: {path: /v1/chat/completions, consumer: app, repeat: 6}
    expect: {status: 429, error: rate_limited, retry_after: 12s}
  - name: fifth request in dev still passes
    env: dev
    request: {path: /v1/chat/completions, consumer: app, repeat: 5}
    expect: {status: 200}
  - name: third request in prod
    env: prod
    request: {path: /v1/chat/completions, consumer: app, repeat: 3}
    expect: {status: 429, retry_after: 30s}
)");
  REQUIRE(r->report.results.size() == 3);
  for (const auto& t : r->report.results) CHECK(t.mismatches.empty());
}

TEST_CASE("scripted upstream failures walk gwd's retry and fallback plan", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: big falls back to small after its retry
    env: dev
    request: {path: /v1/chat/completions, consumer: app}
    upstream: {big: 503}
    expect: {status: 200, attempts: [big, big, small], upstream: {deployment: claude/small-20240101, auth: x-api-key}}
  - name: everything fails
    env: dev
    request: {path: /v1/chat/completions, consumer: app}
    upstream: {big: 503, small: 503}
    expect: {status: 503, attempts: [big, big, small]}
  - name: timeouts are 504 from the gateway
    env: dev
    request: {path: /v1/chat/completions, consumer: app, model: small}
    upstream: {small: timeout}
    expect: {status: 504, error: upstream_timeout, attempts: [small]}
)");
  REQUIRE(rendered(r->diags, r->project.sources) == "");
  REQUIRE(r->report.results.size() == 3);
  for (const auto& t : r->report.results) {
    INFO(t.test->name);
    CHECK(t.mismatches.empty());
  }
}

TEST_CASE("a provider without api_key gets no auth header, and a test can expect auth none", "[route_test]") {
  const char* keyless = R"(version: 1
gateway: {name: t}
providers:
  local: {kind: openai-compatible, base_url: 'https://llm.internal.example/v1'}
models:
  m: {provider: local, id: m-20240101}
routes:
  - name: chat
    match: {path: /v1/chat/completions}
    auth: {type: none, public: true, reason: internal lab}
    models: [m]
    default_model: m
)";
  auto r = run_tests(R"(tests:
  - name: keyless provider
    env: dev
    request: {path: /v1/chat/completions}
    expect: {status: 200, upstream: {deployment: local/m-20240101, auth: none}}
  - name: expects a key that is not there
    env: dev
    request: {path: /v1/chat/completions}
    expect: {upstream: {auth: bearer}}
)",
                     {}, keyless);
  REQUIRE(rendered(r->diags, r->project.sources) == "");
  REQUIRE(r->report.results.size() == 2);
  CHECK(r->report.results[0].passed());
  CHECK(r->text.find("FAIL tests/t.yaml:6: expects a key that is not there [dev]\n"
                     "  tests/t.yaml:9: upstream.auth: expected 'bearer', got 'none'\n") != std::string::npos);
}

TEST_CASE("a JWT route refuses every request: gwd does not verify JWTs yet", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: sso
    env: dev
    request: {path: /sso/x, consumer: other}
    expect: {route: sso, status: 401, error: unauthorized}
)");
  REQUIRE(r->report.results.size() == 1);
  CHECK(r->report.results[0].passed());
}

TEST_CASE("the deployment choice is the same on every run (fixed seed)", "[route_test]") {
  std::string tests = R"(tests:
  - name: pick
    env: dev
    request: {path: /v1/chat/completions, consumer: app}
    expect: {status: 200}
)";
  auto a = run_tests(tests);
  auto b = run_tests(tests);
  REQUIRE(a->report.results.size() == 1);
  CHECK(a->report.results[0].actual.upstream_deployment == b->report.results[0].actual.upstream_deployment);
  CHECK_FALSE(a->report.results[0].actual.upstream_deployment.empty());
}

TEST_CASE("coverage lists each route's branches and which tests exercised", "[route_test][coverage]") {
  auto r = run_tests(R"(tests:
  - name: forwarded
    env: dev
    request: {path: /v1/chat/completions, consumer: app}
    expect: {status: 200}
  - name: no key
    env: dev
    request: {path: /v1/chat/completions}
    expect: {status: 401}
  - name: fallback
    env: dev
    request: {path: /v1/chat/completions, consumer: app}
    upstream: {big: 503}
    expect: {status: 200}
)");
  REQUIRE(r->report.coverage.envs.size() == 2);
  const EnvCoverage& dev = r->report.coverage.envs[0];
  std::vector<std::string> branches;
  for (const auto& b : dev.branches) branches.push_back(b.route + ":" + b.branch + (b.covered ? "+" : "-"));
  CHECK(branches == std::vector<std::string>{"health:matched-", "health:respond-", "sso:matched-", "sso:auth-",
                                             "chat:matched+", "chat:forwarded+", "chat:auth+", "chat:scope-",
                                             "chat:limit-", "chat:fallback big -> small+"});
  CHECK(dev.routes == 3);
  CHECK(dev.routes_covered == 1);
  CHECK(r->report.coverage.covered() == 4);
  CHECK(r->report.coverage.total() == 20);
  CHECK(r->text.find("  dev: health: matched, respond\n") == std::string::npos);
  CHECK(r->text.find("untested:\n  dev health: matched, respond\n  dev sso: matched, auth\n"
                     "  dev chat: scope, limit\n") != std::string::npos);
  CHECK(r->text.find("  total" + std::string(29, ' ') + "4/20    20.0%\n") != std::string::npos);
}

TEST_CASE("coverage leaves out fallbacks the plan cannot reach and models no consumer may use",
          "[route_test][coverage]") {
  nlohmann::json config = nlohmann::json::parse(R"({
    "models": {"a": {"deployments": [{}], "fallbacks": ["b", "c"]}, "b": {"deployments": [{}]},
               "c": {"deployments": [{}]}, "d": {"deployments": [{}], "fallbacks": ["a"]}},
    "consumers": [{"name": "x", "routes": ["r"], "models": ["a"]}],
    "routes": [{"name": "r", "auth": {"type": "api_key"}, "models": ["a", "d"],
                "resilience": {"retries": 1, "retry_on": [503], "fallback_on": [503], "max_attempts": 4}}]})");
  EnvCoverage cov = coverage_branches("dev", config);
  std::vector<std::string> branches;
  for (const auto& b : cov.branches) branches.push_back(b.branch);
  // a -> b takes 2 attempts then falls back (3 <= max 4 - 1); a -> b -> c would need 4 before it.
  CHECK(branches == std::vector<std::string>{"matched", "forwarded", "auth", "fallback a -> b"});
}

TEST_CASE("a test naming an unknown consumer, route or flag is GW119 with a suggestion", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: typo
    env: dev
    flags: [canery]
    request: {path: /v1/chat/completions, consumer: ap}
    expect: {route: chatt}
  - name: typo 2
    env: dev
    request: {path: /v1/chat/completions, consumer: ap}
    expect: {route: chatt}
)");
  std::string out = messages(r->diags);
  CHECK(out ==
        "GW119: unknown flag 'canery'\n"
        "GW119: unknown consumer 'ap' in environment 'dev'\n"
        "GW119: unknown route 'chatt' in environment 'dev'\n");
  CHECK(r->report.results.empty());
}

TEST_CASE("unknown keys and wrong types in a test file are errors at their line", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: bad
    request: {path: /v1/chat/completions, consumr: app}
    expect: {status: ok}
)");
  CHECK(rendered(r->diags, r->project.sources) ==
        "tests/t.yaml:3:43: error[GW102]: unknown key 'consumr' in tests[bad].request; did you mean 'consumer'?\n"
        " 3 |     request: {path: /v1/chat/completions, consumr: app}\n"
        "   |                                           ^~~~~~~\n"
        "tests/t.yaml:4:22: error[GW104]: 'status' must be an integer, not the string 'ok'\n"
        " 4 |     expect: {status: ok}\n"
        "   |                      ^~\n");
  CHECK(r->files.empty());
}

TEST_CASE("duplicate test names in a file are GW119", "[route_test]") {
  auto r = run_tests(R"(tests:
  - {name: same, request: {path: /healthz}, expect: {status: 200}}
  - {name: same, request: {path: /healthz}, expect: {status: 200}}
)");
  CHECK(messages(r->diags) == "GW119: duplicate test name 'same' in this file\n");
}

TEST_CASE("a request that would not be the one written is GW119 at its line", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: two keys
    request: {path: /v1/chat/completions, consumer: app, headers: {Authorization: Bearer mine}}
    expect: {status: 200}
  - name: a key header and api_key
    request: {path: /v1/chat/completions, api_key: wrong, headers: {x-api-key: other}}
    expect: {status: 401}
  - name: both kinds of key
    request: {path: /v1/chat/completions, api_key: wrong, consumer: app}
    expect: {status: 401}
  - name: model into a list
    request: {path: /v1/chat/completions, consumer: app, body: [1], model: big}
    expect: {status: 400}
  - name: a header that is not a key is fine
    request: {path: /v1/chat/completions, consumer: app, headers: {authorization: Basic abc, x-team: a}}
    expect: {status: 200}
)");
  // The renderer masks api_key and x-api-key values in the source line.
  CHECK(rendered(r->diags, r->project.sources) ==
        "tests/t.yaml:3:68: error[GW119]: header 'Authorization' presents a key, and so does 'consumer': the "
        "request would carry two keys; drop the header\n"
        " 3 |     request: {path: /v1/chat/completions, consumer: app, headers: {Authorization: ****** ****}}\n"
        "   |                                                                    ^~~~~~~~~~~~~\n"
        "tests/t.yaml:6:69: error[GW119]: header 'x-api-key' presents a key, and so does 'api_key': the request "
        "would carry two keys; drop the header\n"
        " 6 |     request: {path: /v1/chat/completions, api_key: *****, headers: {x-api-key: *****}}\n"
        "   |                                                                     ^~~~~~~~~\n"
        "tests/t.yaml:9:69: error[GW119]: a request presents either 'consumer' or 'api_key', not both\n"
        " 9 |     request: {path: /v1/chat/completions, api_key: *****, consumer: app}\n"
        "   |                                                                     ^~~\n"
        "tests/t.yaml:12:64: error[GW119]: 'model' and 'stream' are written into 'body', and this body is not a "
        "mapping; drop them to send the body as it is (gwd refuses it with 400)\n"
        " 12 |     request: {path: /v1/chat/completions, consumer: app, body: [1], model: big}\n"
        "    |                                                                ^\n");
  CHECK(r->files.empty());
}

TEST_CASE("JSON and JUnit reports carry every test run and the coverage", "[route_test]") {
  auto r = run_tests(R"(tests:
  - name: probe <fails>
    env: dev
    request: {method: GET, path: /healthz}
    expect: {status: 204}
)");
  auto j = render_tests_json(r->report, r->project.sources, {});
  CHECK(j["format_version"] == 1);
  CHECK(j["tests"][0]["result"] == "fail");
  CHECK(j["tests"][0]["failures"][0]["field"] == "status");
  CHECK(j["summary"]["failed"] == 1);
  CHECK(j["coverage"]["branches_total"] == 20);
  std::string x = render_tests_junit(r->report, r->project.sources);
  CHECK(x.find("<testsuite name=\"tests/t.yaml\" tests=\"1\" failures=\"1\">") != std::string::npos);
  CHECK(x.find("name=\"probe &lt;fails&gt; [dev]\"") != std::string::npos);
  CHECK(x.find("<failure message=\"status: expected 204, got 200\">") != std::string::npos);
}

}  // namespace gwctl::test
