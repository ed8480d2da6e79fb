#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gwctl/lint_scope.hpp"
#include "gwctl/project_diff.hpp"
#include "gwctl/semantic_diff.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;

namespace {

// The normalized config of `files` for `env`.
json model_of(const std::map<std::string, std::string>& files, const std::string& env = "prod") {
  auto c = compile(files, env, Stage::emit, {}, PipelineOptions{.policy = false});
  INFO(c->all_rendered());
  REQUIRE_FALSE(c->has_errors());
  return c->result.artifact["config"];
}

json model_with(const std::string& base) {
  return model_of(project_with("gateway: {replicas: 1}\n", base));
}

const EntityChange* find(const std::vector<EntityChange>& changes, const std::string& kind, const std::string& name) {
  for (const auto& c : changes) {
    if (c.kind == kind && c.name == name) return &c;
  }
  return nullptr;
}

bool has_reason(const EntityChange& c, Risk risk, const std::string& words) {
  for (const auto& r : c.reasons) {
    if (r.risk == risk && r.text.find(words) != std::string::npos) return true;
  }
  return false;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// minimal_base with a second provider, 'azure'.
std::string two_providers() {
  std::string s = minimal_base;
  return s.replace(s.find("models:\n"), 8, R"(  azure:
    kind: azure-openai
    base_url: https://acme.openai.azure.com/openai
    api_key: ${secret:AZURE_KEY}
models:
)");
}

// minimal_base with `route_fields` added to its route 'chat' (replacing its limits line when
// they set limits), then `extra` routes.
std::string base_with_routes(const std::string& route_fields, const std::string& extra = "") {
  std::string base = minimal_base;
  if (route_fields.find("    limits:") != std::string::npos) {
    auto at = base.find("    limits: [{requests: 100, per: 1m}]\n");
    if (at != std::string::npos) base.erase(at, std::string("    limits: [{requests: 100, per: 1m}]\n").size());
  }
  return base + route_fields + extra;
}

}  // namespace

TEST_CASE("identical models have no changes", "[diff]") {
  json m = model_with(minimal_base);
  CHECK(diff_models(m, m).empty());
}

TEST_CASE("key order, flow style, explicit defaults and moving a definition to another file make no difference",
          "[diff]") {
  json before = model_with(minimal_base);
  std::map<std::string, std::string> files = project_with("gateway: {replicas: 1}\n", R"(version: 1
gateway: {name: test}
routes:
  - default_model: gpt-4o
    models: [gpt-4o]
    match: {methods: [POST], path: /v1/chat/completions}
    name: chat
    limits:
      - {per: 1m, requests: 100}
    resilience: {max_attempts: 2}
    timeouts: {idle: 20s, total: 60s, first_byte: 20s}
)");
  files["base/providers.yaml"] = R"(providers:
  openai:
    api_key: ${secret:OPENAI_API_KEY}
    tls: {verify: true}
    base_url: https://api.openai.com/v1
    kind: openai
models:
  gpt-4o: {deployments: [{provider: openai, id: gpt-4o-2024-11-20, weight: 1}]}
)";
  CHECK(diff_models(before, model_of(files)).empty());
}

TEST_CASE("a deleted route is a high-risk delete and a new route a medium-risk create", "[diff][risk]") {
  json before = model_with(base_with_routes("", R"(  - name: old
    match: {path: /old}
    models: [gpt-4o]
)"));
  json after = model_with(base_with_routes("", R"(  - name: new
    match: {path: /new}
    models: [gpt-4o]
)"));
  auto changes = diff_models(before, after);
  REQUIRE(changes.size() == 2);
  const EntityChange* old = find(changes, "route", "old");
  REQUIRE(old);
  CHECK(old->action == ChangeAction::remove);
  CHECK(old->risk == Risk::high);
  CHECK(has_reason(*old, Risk::high, "route deleted"));
  const EntityChange* created = find(changes, "route", "new");
  REQUIRE(created);
  CHECK(created->action == ChangeAction::create);
  CHECK(created->risk == Risk::medium);
}

TEST_CASE("removing authentication and making a route public are high, with before and after", "[diff][risk]") {
  json before = model_with(base_with_routes("    auth: {type: api_key}\n"));
  json after = model_with(base_with_routes("    auth: {type: none, public: true, reason: beta}\n"));
  auto changes = diff_models(before, after);
  const EntityChange* chat = find(changes, "route", "chat");
  REQUIRE(chat);
  CHECK(chat->risk == Risk::high);
  CHECK(has_reason(*chat, Risk::high, "authentication removed ('api_key' → 'none')"));
  CHECK(has_reason(*chat, Risk::high, "route made public"));
  bool type_field = false;
  for (const auto& f : chat->fields) {
    if (f.path == "auth.type") type_field = f.before == json("api_key") && f.after == json("none");
  }
  CHECK(type_field);
}

TEST_CASE("a rate limit raised more than 2x or removed is high, raised less is medium", "[diff][risk]") {
  auto with_limit = [](const std::string& limit) {
    return model_with(base_with_routes(limit.empty() ? "    limits: []\n" : "    limits:\n      - " + limit + "\n"));
  };
  json base = with_limit("{requests: 100, per: 1m}");
  SECTION("raised 3x") {
    auto c = diff_models(base, with_limit("{requests: 300, per: 1m}"));
    CHECK(has_reason(*find(c, "route", "chat"), Risk::high, "rate limit raised more than 2×"));
  }
  SECTION("the same rate over a longer window is no raise") {
    auto c = diff_models(base, with_limit("{requests: 6000, per: 1h}"));
    CHECK(find(c, "route", "chat")->risk == Risk::medium);
  }
  SECTION("raised 1.5x") {
    auto c = diff_models(base, with_limit("{requests: 150, per: 1m}"));
    CHECK(find(c, "route", "chat")->risk == Risk::medium);
    CHECK(has_reason(*find(c, "route", "chat"), Risk::medium, "rate limit changed"));
  }
  SECTION("removed") {
    auto c = diff_models(base, with_limit(""));
    CHECK(has_reason(*find(c, "route", "chat"), Risk::high, "rate limit removed: 100 requests per 1m"));
  }
}

TEST_CASE("a budget removed or raised more than 2x is high", "[diff][risk]") {
  json base = model_with(base_with_routes("    budget: {usd: 100, per: 1d}\n"));
  CHECK(has_reason(*find(diff_models(base, model_with(base_with_routes(""))), "route", "chat"), Risk::high,
                   "budget removed"));
  CHECK(has_reason(
      *find(diff_models(base, model_with(base_with_routes("    budget: {usd: 500, per: 1d}\n"))), "route", "chat"),
      Risk::high, "budget raised more than 2×"));
}

TEST_CASE("weights shifting more than half of the traffic are high, less is medium, in percent", "[diff][risk]") {
  auto with_weights = [](int a, int b) {
    return model_with(replace(two_providers(), "    provider: openai\n    id: gpt-4o-2024-11-20\n",
                              fmt::format("    deployments:\n      - {{provider: openai, id: gpt-4o-2024-11-20, "
                                          "weight: {}}}\n      - {{provider: azure, id: gpt-4o-2024-11-20, "
                                          "weight: {}}}\n",
                                          a, b)));
  };
  json base = with_weights(95, 5);
  auto small = diff_models(base, with_weights(80, 20));
  REQUIRE(find(small, "model", "gpt-4o"));
  CHECK(find(small, "model", "gpt-4o")->risk == Risk::medium);
  CHECK(has_reason(*find(small, "model", "gpt-4o"), Risk::medium, "15% of traffic shifted"));
  auto big = diff_models(base, with_weights(40, 60));
  CHECK(has_reason(*find(big, "model", "gpt-4o"), Risk::high, "55% of traffic shifted"));
}

TEST_CASE("unpinning a model and removing a fallback are high", "[diff][risk]") {
  std::string base =
      replace(minimal_base, "routes:\n", "  mini:\n    provider: openai\n    id: gpt-4o-mini-2024-07-18\nroutes:\n");
  std::string pinned =
      replace(base, "    id: gpt-4o-2024-11-20\n", "    id: gpt-4o-2024-11-20\n    fallbacks: [mini]\n");
  std::string floating = replace(base, "    id: gpt-4o-2024-11-20\n", "    id: gpt-4o\n    floating: true\n");
  auto c = diff_models(model_with(pinned), model_with(floating));
  const EntityChange* m = find(c, "model", "gpt-4o");
  REQUIRE(m);
  CHECK(has_reason(*m, Risk::high, "model unpinned"));
  CHECK(has_reason(*m, Risk::high, "fallback removed: 'mini'"));
}

TEST_CASE("TLS verification turned off is high, a new provider is low", "[diff][risk]") {
  std::string off = replace(std::string(minimal_base), "    api_key: ${secret:OPENAI_API_KEY}\n",
                            "    api_key: ${secret:OPENAI_API_KEY}\n    tls: {verify: false}\n");
  auto c = diff_models(model_with(minimal_base), model_with(off));
  CHECK(has_reason(*find(c, "provider", "openai"), Risk::high, "TLS verification turned off"));
  auto added = diff_models(model_with(minimal_base), model_with(two_providers()));
  CHECK(find(added, "provider", "azure")->risk == Risk::low);
}

TEST_CASE("widening a consumer's scope is high, a new consumer is medium, a description is low", "[diff][risk]") {
  auto with_consumer = [](const std::string& routes, const std::string& extra = "") {
    return model_with(std::string(minimal_base) + "  - name: other\n    match: {path: /other}\n    models: [gpt-4o]\n" +
                      "consumers:\n  - name: web\n    api_keys: [\"${secret:WEB_KEY}\"]\n    routes: " + routes + "\n" +
                      extra);
  };
  json base = with_consumer("[chat]");
  CHECK(has_reason(*find(diff_models(base, with_consumer("[chat, other]")), "consumer", "web"), Risk::high,
                   "scope widened: routes + 'other'"));
  CHECK(has_reason(*find(diff_models(base, with_consumer("['*']")), "consumer", "web"), Risk::high, "routes now '*'"));
  auto created = diff_models(model_with(minimal_base), base);
  CHECK(find(created, "consumer", "web")->risk == Risk::medium);
  auto doc = diff_models(base, with_consumer("[chat]", "    description: the web shop\n"));
  REQUIRE(find(doc, "consumer", "web"));
  CHECK(find(doc, "consumer", "web")->risk == Risk::low);
}

TEST_CASE("reordering routes is a medium change of the gateway settings", "[diff][risk]") {
  std::string two = std::string(minimal_base) + "  - name: other\n    match: {path: /other}\n    models: [gpt-4o]\n";
  std::string swapped =
      replace(minimal_base, "routes:\n", "routes:\n  - name: other\n    match: {path: /other}\n    models: [gpt-4o]\n");
  auto c = diff_models(model_with(two), model_with(swapped));
  REQUIRE(c.size() == 1);
  CHECK(c[0].kind == "gateway");
  CHECK(has_reason(c[0], Risk::medium, "route order changed"));
}

TEST_CASE("secret references are shown by name and literal credentials masked", "[diff][secrets]") {
  json before = model_with(minimal_base);
  json after = before;
  after["providers"]["openai"]["api_key"] = "sk-live-1234567890abcdef";
  auto c = diff_models(before, after);
  const EntityChange* p = find(c, "provider", "openai");
  REQUIRE(p);
  REQUIRE(p->fields.size() == 1);
  CHECK(display_value(*p->fields[0].before, "") == "${secret:OPENAI_API_KEY}");
  CHECK(display_value(*p->fields[0].after, "") == "********");
  CHECK(has_reason(*p, Risk::high, "a literal credential in 'api_key'"));
  DiffReport report;
  report.envs.push_back({"prod", "changed", {}, c, Risk::none});
  summarize(report);
  for (const std::string& text :
       {render_diff_text(report, false), render_diff_json(report), render_diff_markdown(report)}) {
    CHECK(text.find("sk-live") == std::string::npos);
    CHECK(text.find("OPENAI_API_KEY") != std::string::npos);
  }
}

TEST_CASE("durations and sizes are shown in their units", "[diff]") {
  CHECK(display_value(json(60000), "ms") == "1m");
  CHECK(display_value(json(1500), "ms") == "1500ms");
  CHECK(display_value(json(1048576), "bytes") == "1MiB");
  CHECK(display_value(json("x"), "") == "\"x\"");
}

TEST_CASE("diff JSON starts with format_version and keeps its field order", "[diff]") {
  DiffReport report;
  report.base_label = "HEAD (abc)";
  report.head_label = "work tree";
  report.envs.push_back({"dev", "unchanged", {}, {}, Risk::none});
  summarize(report);
  CHECK(render_diff_json(report) == R"J({
  "format_version": 1,
  "base": "HEAD (abc)",
  "head": "work tree",
  "risk": "none",
  "environments": [
    {
      "env": "dev",
      "status": "unchanged",
      "risk": "none",
      "files": [],
      "changes": []
    }
  ]
}
)J");
}

namespace {
struct Side {
  Project project;
  Diagnostics diags;
};
std::unique_ptr<Side> load_side(const std::map<std::string, std::string>& files) {
  auto s = std::make_unique<Side>();
  MemoryReader reader = reader_of(files);
  auto p = load_project(reader, {}, s->diags);
  if (!p) throw std::runtime_error(p.error().message);
  s->project = std::move(*p);
  return s;
}
}  // namespace

TEST_CASE("a base file change shows once in every environment, an overlay change only in its own", "[diff]") {
  auto base = load_side(project_with("gateway: {replicas: 1}\n"));
  auto files = project_with("gateway: {replicas: 4}\n", replace(minimal_base, "name: test", "name: renamed"));
  auto head = load_side(files);
  ProjectDiff d = diff_projects(base->project, base->diags, head->project, head->diags, {});
  REQUIRE(d.report.envs.size() == 2);
  for (const auto& env : d.report.envs) {
    REQUIRE(env.changes.size() == 1);
    const auto& fields = env.changes[0].fields;
    bool renamed = std::any_of(fields.begin(), fields.end(), [](const FieldChange& f) { return f.path == "name"; });
    bool replicas =
        std::any_of(fields.begin(), fields.end(), [](const FieldChange& f) { return f.path == "replicas"; });
    CHECK(renamed);
    CHECK(replicas == (env.env == "prod"));
  }
}

TEST_CASE("an environment whose files are unchanged is reported unchanged without compiling", "[diff]") {
  auto files = project_with("gateway: {replicas: 1}\n");
  auto base = load_side(files);
  files["envs/prod.yaml"] = "gateway: {replicas: 2}\n";
  auto head = load_side(files);
  ProjectDiff d = diff_projects(base->project, base->diags, head->project, head->diags, {});
  REQUIRE(d.report.envs.size() == 2);
  CHECK(d.report.envs[0].env == "dev");
  CHECK(d.report.envs[0].status == "unchanged");
  CHECK(d.report.envs[1].status == "changed");
  CHECK(d.report.envs[1].files.size() == 1);
}

TEST_CASE("a head that does not compile is reported failed, not unchanged", "[diff]") {
  auto base = load_side(project_with("gateway: {replicas: 1}\n"));
  auto head = load_side(project_with("gateway: {replicas: lots}\n"));
  ProjectDiff d = diff_projects(base->project, base->diags, head->project, head->diags, {});
  CHECK(d.head_failed);
  CHECK_FALSE(d.base_failed);
  CHECK(d.report.envs[1].status == "failed");
  CHECK(d.head_diags.has_errors());
}

TEST_CASE("lint scope keeps findings in changed entities and changed files only", "[diff][lint]") {
  std::string two = std::string(minimal_base) + "  - name: other\n    match: {path: /other}\n    models: [gpt-4o]\n";
  auto before_files =
      project_with("gateway: {replicas: 1}\n",
                   replace(two, "  - name: other\n", "  - name: other\n    resilience: {retries: 50}\n"));
  auto base = load_side(before_files);
  auto after_files = before_files;
  after_files["base/gateway.yaml"] = replace(before_files["base/gateway.yaml"], "    resilience: {max_attempts: 2}\n",
                                             "    resilience: {max_attempts: 2, retries: 11}\n");
  std::unique_ptr<Project> keep;
  LintResult all = lint_files(after_files, keep);
  REQUIRE(all.findings.size() == 2);
  Diagnostics none;
  ChangeScope scope = change_scope(base->project, base->diags, *keep, none);
  CHECK(scope.entities.count({"route", "chat"}));
  CHECK_FALSE(scope.entities.count({"route", "other"}));
  auto kept = findings_in_scope(*keep, all.findings, scope);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].diag.message.find("11") != std::string::npos);
}

TEST_CASE("diff text is coloured only when asked, and says so for risks and actions", "[diff]") {
  json before = model_with(minimal_base);
  json after = before;
  after["routes"] = json::array();
  DiffReport report;
  report.envs.push_back({"prod", "changed", {}, diff_models(before, after), Risk::none});
  summarize(report);
  std::string plain = render_diff_text(report, false);
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(plain.find("  - route 'chat' [high]\n      high: route deleted: its clients get 404\n") != std::string::npos);
  std::string colored = render_diff_text(report, true);
  CHECK(colored.find("\x1b[31m-\x1b[0m route 'chat' [\x1b[1;31mhigh\x1b[0m]") != std::string::npos);
}

TEST_CASE("two artifacts compare as one environment with their changed source files", "[diff]") {
  auto artifact = [](const std::string& env, json files, json config) {
    return json{{"environment", env}, {"source", {{"files", std::move(files)}}}, {"config", std::move(config)}};
  };
  json model = model_with(minimal_base);
  json lax = model;
  lax["providers"]["openai"]["tls"]["verify"] = false;
  json before = artifact("staging",
                         json::array({{{"path", "base/a.yaml"}, {"sha256", "1"}},
                                      {{"path", "base/b.yaml"}, {"sha256", "2"}},
                                      {{"path", "envs/staging.yaml"}, {"sha256", "3"}}}),
                         model);
  json after = artifact("prod",
                        json::array({{{"path", "base/a.yaml"}, {"sha256", "1"}},
                                     {{"path", "base/b.yaml"}, {"sha256", "9"}},
                                     {{"path", "envs/prod.yaml"}, {"sha256", "4"}},
                                     {{"path", 7}, {"sha256", "not a path"}}}),
                        lax);
  EnvironmentDiff d = diff_artifacts(before, after);
  CHECK(d.env == "staging → prod");
  CHECK(d.status == "changed");
  std::vector<std::string> files;
  for (const auto& f : d.files) files.push_back(f.change + " " + f.path);
  CHECK(files == std::vector<std::string>{"modified base/b.yaml", "added envs/prod.yaml", "deleted envs/staging.yaml"});
  REQUIRE(d.changes.size() == 1);
  CHECK(has_reason(d.changes[0], Risk::high, "TLS verification turned off"));

  EnvironmentDiff same = diff_artifacts(before, artifact("staging", before["source"]["files"], model));
  CHECK(same.env == "staging");
  CHECK(same.status == "unchanged");
  CHECK(same.files.empty());
  CHECK(same.changes.empty());
}

TEST_CASE("a description that mentions a masked value is not a literal credential", "[diff][secrets]") {
  json before = model_with(minimal_base);
  json after = before;
  after["providers"]["openai"]["description"] = "the key looks like ******** in the logs";
  auto c = diff_models(before, after);
  const EntityChange* p = find(c, "provider", "openai");
  REQUIRE(p);
  CHECK(p->risk == Risk::low);
  CHECK_FALSE(has_reason(*p, Risk::high, "a literal credential"));
}

TEST_CASE("a password in a URL is masked in the diff and is a literal credential", "[diff][secrets]") {
  json before = model_with(minimal_base);
  json after = before;
  after["providers"]["openai"]["base_url"] = "https://bob:x7Gq9LmZp2Kw8VrT@proxy.example.com/v1";
  auto c = diff_models(before, after);
  const EntityChange* p = find(c, "provider", "openai");
  REQUIRE(p);
  REQUIRE(p->fields.size() == 1);
  std::string shown = display_value(*p->fields[0].after, "");
  CHECK(shown.find("x7Gq9LmZp2Kw8VrT") == std::string::npos);
  CHECK(shown.find("proxy.example.com") != std::string::npos);
  CHECK(has_reason(*p, Risk::high, "a literal credential in 'base_url'"));
  DiffReport report;
  report.envs.push_back({"prod", "changed", {}, c, Risk::none});
  summarize(report);
  for (const std::string& text :
       {render_diff_text(report, false), render_diff_json(report), render_diff_markdown(report)}) {
    CHECK(text.find("x7Gq9LmZp2Kw8VrT") == std::string::npos);
  }
}

TEST_CASE("markdown shows values in code spans as written: no entities, pipes escaped only in tables", "[diff]") {
  json before = model_with(minimal_base);
  json after = before;
  after["routes"][0]["description"] = "a <b> | c";
  DiffReport report;
  report.envs.push_back({"prod", "changed", {}, diff_models(before, after), Risk::none});
  summarize(report);
  std::string md = render_diff_markdown(report);
  CHECK(md.find("| update | route | `chat` | low | description changed (documentation only) |\n") != std::string::npos);
  CHECK(md.find("- `description`: `(absent)` → `\"a <b> | c\"`\n") != std::string::npos);
  CHECK(md.find("&lt;") == std::string::npos);
}
