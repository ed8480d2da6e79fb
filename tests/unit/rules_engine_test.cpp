// Rule files: the built-in documentation (rules/GW*.yaml), declarative rules (built-in and the
// team's own), broken rule files (GW117), severity overrides (GW114) and suppressions of a team's
// rule.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "gwctl/policy.hpp"
#include "gwctl/rules.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

namespace {

Linted lint_with(const std::map<std::string, std::string>& files, const ProjectOptions& options = {}) {
  return lint_project(files, {}, options);
}

// A team's rule: route names carry a version suffix.
const char* acme_rule = R"(id: ACME001
title: versioned route name
severity: error
select: /routes/*
schema:
  properties:
    name: {pattern: '^[a-z]+-v[0-9]+$'}
message: "{path} needs a versioned name such as chat-v1"
rationale: Clients pin a route version.
fix: Rename the route.
)";

// Splits a rule's `example` into project files: a line `# path/file.yaml` starts that file; a
// snippet without one is the prod overlay (rules/README.md).
std::map<std::string, std::string> example_files(const std::string& snippet) {
  auto files = project_with("");
  std::string current = "envs/prod.yaml";
  std::map<std::string, std::string> parts;
  std::istringstream in(snippet);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# ") && (line.ends_with(".yaml") || line.ends_with(".yml")) &&
        line.find(' ', 2) == std::string::npos) {
      current = line.substr(2);
      continue;
    }
    parts[current] += line + "\n";
  }
  for (const auto& [path, text] : parts) {
    // Base parts go on top of the minimal base; any environment's part is prod's overlay.
    if (path.starts_with("base/")) {
      files["base/zz-example.yaml"] += text;
    } else if (path.starts_with("envs/")) {
      files["envs/prod.yaml"] += text;
    } else {
      files[path] += text;
    }
  }
  return files;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Built-in rule files

TEST_CASE("every built-in rule file parses and is documented", "[rules]") {
  namespace fs = std::filesystem;
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(fs::path(GWCTL_SOURCE_DIR) / "rules")) {
    std::string name = e.path().filename().string();
    if (name.starts_with("GW") && name.ends_with(".yaml")) on_disk.insert(name.substr(0, name.size() - 5));
  }
  REQUIRE_FALSE(on_disk.empty());
  std::set<std::string> documented;
  for (const auto& d : rule_docs()) documented.insert(d.id);
  // A file that fails to parse is silently missing from rule_docs(): compare both ways.
  CHECK(documented == on_disk);
  const std::set<std::string> categories = {"structure",  "references", "secrets", "auth",
                                            "resilience", "cost",       "parity"};
  for (const auto& d : rule_docs()) {
    INFO(d.id);
    CHECK(d.title.size() > 3);
    CHECK(categories.count(d.category) == 1);
    CHECK(d.category == std::string(rule_category(d.id)));
    CHECK(parse_severity(d.severity).has_value());
    CHECK(d.rationale.size() > 20);
    CHECK(d.fix.size() > 10);
    CHECK(find_rule_doc(d.id) == &d);
  }
  CHECK(std::is_sorted(rule_docs().begin(), rule_docs().end(),
                       [](const RuleDoc& a, const RuleDoc& b) { return a.id < b.id; }));
}

TEST_CASE("a rule is found by id in any case, and an unknown id is not", "[rules]") {
  REQUIRE(find_rule_doc("GW403") != nullptr);
  CHECK(find_rule_doc("gw403") == find_rule_doc("GW403"));
  CHECK(find_rule_doc("GW999") == nullptr);
  CHECK(find_rule_doc("") == nullptr);
}

TEST_CASE("the declarative built-in rules carry a selector and a schema", "[rules]") {
  std::set<std::string> ids;
  for (const auto& r : builtin_declarative_rules()) {
    ids.insert(r.doc.id);
    INFO(r.doc.id);
    CHECK(r.select.starts_with("/"));
    CHECK(r.schema != nullptr);
    CHECK_FALSE(r.message.empty());
    CHECK(find_rule_doc(r.doc.id) != nullptr);
  }
  for (const char* id : {"GW403", "GW404", "GW408", "GW409", "GW506"}) CHECK(ids.count(id) == 1);
}

TEST_CASE("the example of each declarative built-in rule fires it, and the fixed one does not", "[rules]") {
  for (const auto& r : builtin_declarative_rules()) {
    INFO(r.doc.id << " example:\n" << r.doc.example);
    REQUIRE_FALSE(r.doc.example.empty());
    auto bad = lint_with(example_files(r.doc.example));
    INFO(bad.dump());
    auto fired = bad.of(r.doc.id);
    REQUIRE_FALSE(fired.empty());
    CHECK(fired[0].diag.severity == parse_severity(r.doc.severity));
    CHECK(bad.project->sources.file(fired[0].diag.span.file).path == "envs/prod.yaml");
    if (!r.doc.fixed.empty()) {
      auto good = lint_with(example_files(r.doc.fixed));
      INFO("fixed:\n" << r.doc.fixed << good.dump());
      CHECK(good.of(r.doc.id).empty());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A team's rules

TEST_CASE("a team rule from rules/ fires with its own id, severity and message", "[rules][custom]") {
  auto files = project_with("");
  files["rules/acme001.yaml"] = acme_rule;
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.loaded("GW117").empty());
  auto f = l.of("ACME001");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].diag.message == "routes[chat] needs a versioned name such as chat-v1");
  // At the name that fails the pattern.
  CHECK(l.at(f[0].diag.span) == "base/gateway.yaml:14:11");
  CHECK(f[0].diag.path == "/routes/0/name");
  CHECK(f[0].diag.hint == "Rename the route.");
  CHECK(f[0].envs == std::vector<std::string>{"dev", "prod"});
  REQUIRE(l.result.custom_rules.size() == 1);
  CHECK(l.result.custom_rules[0].id == "ACME001");
  CHECK(l.result.custom_rules[0].category == "custom");
  const RuleDoc* doc = find_rule_doc(l.result, "ACME001");
  REQUIRE(doc != nullptr);
  CHECK(doc->title == "versioned route name");
  CHECK(rule_category("ACME001") == "custom");
}

TEST_CASE("a team rule's pattern is checked with RE2 and a matching value passes", "[rules][custom]") {
  auto files = project_with("");
  std::string base = minimal_base;
  base.replace(base.find("name: chat"), 10, "name: chat-v2");
  files["base/gateway.yaml"] = base;
  files["rules/acme001.yaml"] = acme_rule;
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.of("ACME001").empty());
  CHECK(l.result.findings.empty());
}

TEST_CASE("a pattern under items and additionalProperties checks every element", "[rules][custom]") {
  auto files = project_with("providers:\n  openai:\n    tags: [team-ml, Bad Tag]\n");
  files["rules/acme002.yaml"] = R"(id: ACME002
title: tags are kebab-case
severity: warning
select: /providers/*
schema:
  properties:
    tags:
      items: {pattern: '^[a-z][a-z0-9-]*$'}
message: "{path} has a tag that is not kebab-case"
)";
  auto l = lint_with(files);
  INFO(l.dump());
  auto f = l.of("ACME002");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.path == "/providers/openai/tags/1");
  CHECK(l.at(f[0].diag.span) == "envs/prod.yaml:3:21");
  CHECK(f[0].diag.message == "providers.openai has a tag that is not kebab-case");
}

TEST_CASE("a team rule targets the effective model by default and the written config on request", "[rules][custom]") {
  // Timeouts are filled in by defaults in the model, but the embed route does not write them.
  std::string base = std::string(minimal_base) + R"(  - name: embed
    match: {path: /v1/embeddings}
    models: [gpt-4o]
    timeouts: {first_byte: 10s}
    resilience: {max_attempts: 2}
    limits: [{requests: 100, per: 1m}]
)";
  auto rule = [](const char* target) {
    return fmt::format(R"(id: ACME003
title: total timeout written down
severity: warning
{}select: /routes/*/timeouts
schema: {{required: [total]}}
)",
                       target);
  };
  auto files = project_with("", base);
  files["rules/acme003.yaml"] = rule("");
  auto on_model = lint_with(files);
  INFO(on_model.dump());
  CHECK(on_model.of("ACME003").empty());

  files["rules/acme003.yaml"] = rule("target: config\n");
  auto on_config = lint_with(files);
  INFO(on_config.dump());
  auto f = on_config.of("ACME003");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.path == "/routes/1/timeouts");
  CHECK(f[0].diag.message == "total timeout written down at routes[embed].timeouts");
  CHECK(on_config.at(f[0].diag.span) == "base/gateway.yaml:24:15");
}

TEST_CASE("a rule reaches a key with a slash through ~1, in select and in a pattern's properties", "[rules][custom]") {
  std::string prod = R"(routes:
  - name: health
    match: {path: /healthz, headers: {x/trace: nope}}
    auth: {type: none, public: true, reason: probe}
    respond: {status: 200, body: ok}
)";
  auto files = project_with(prod);
  files["rules/long.yaml"] =
      "id: ACME010\ntitle: long header\nseverity: warning\nselect: /routes/*/match/headers/x~1trace\nschema: "
      "{minLength: 5}\n";
  files["rules/ok.yaml"] =
      "id: ACME011\ntitle: ok header\nseverity: warning\nselect: /routes/*/match/headers\nschema: {properties: "
      "{x/trace: {pattern: '^ok'}}}\n";
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.loaded("GW117").empty());
  auto selected = l.of("ACME010");
  REQUIRE(selected.size() == 1);
  CHECK(selected[0].diag.path == "/routes/1/match/headers/x~1trace");
  CHECK(selected[0].diag.message == "long header at routes[health].match.headers.x/trace");
  CHECK(l.at(selected[0].diag.span) == "envs/prod.yaml:" + pos(prod, "nope"));
  auto patterned = l.of("ACME011");
  REQUIRE(patterned.size() == 1);
  CHECK(patterned[0].diag.path == "/routes/1/match/headers/x~1trace");
  CHECK(l.at(patterned[0].diag.span) == "envs/prod.yaml:" + pos(prod, "nope"));
}

TEST_CASE("rules.paths in gwctl.yaml names the folders of the team's rules", "[rules][custom]") {
  auto files = project_with("");
  files["gwctl.yaml"] = "environments: [dev, prod]\nrules:\n  paths: [policy/team]\n";
  files["policy/team/acme.yaml"] = acme_rule;
  files["rules/ignored.yaml"] = "not: a rule\n";  // rules/ is not read when paths are given
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.loaded("GW117").empty());
  CHECK(l.of("ACME001").size() == 1);
}

TEST_CASE("a folder named in rules.paths that does not exist is GW117", "[rules][custom]") {
  auto files = project_with("");
  files["gwctl.yaml"] = "environments: [dev, prod]\nrules:\n  paths: [policy/missing]\n";
  auto l = lint_with(files);
  INFO(l.dump());
  auto d = l.loaded("GW117");
  REQUIRE(d.size() == 1);
  CHECK(contains(d[0].message, "cannot read the rule folder 'policy/missing/'"));
  CHECK(l.at(d[0].span).starts_with("gwctl.yaml:"));
}

TEST_CASE("lint --rules adds a folder outside the project, named by its label", "[rules][custom]") {
  MemoryReader extra = reader_of({{"acme.yaml", acme_rule}, {"broken.yaml", "id: ACME009\ntitle: x\n"}});
  ProjectOptions options;
  options.extra_rule_dirs = {{"../team-rules", &extra}};
  auto l = lint_with(project_with(""), options);
  INFO(l.dump());
  CHECK(l.of("ACME001").size() == 1);
  auto bad = l.loaded("GW117");
  REQUIRE(bad.size() == 1);
  CHECK(l.at(bad[0].span) == "../team-rules/broken.yaml:1:1");
  CHECK(bad[0].message == "rule ACME009: 'severity' must be error, warning or info");
}

// ---------------------------------------------------------------------------------------------
// Broken rule files

namespace {

// The GW117 diagnostics of loading a project with this one team rule file.
std::vector<Diagnostic> broken(const std::string& text, Linted& l) {
  auto files = project_with("");
  files["rules/r.yaml"] = text;
  l = lint_with(files);
  return l.loaded("GW117");
}

}  // namespace

TEST_CASE("a rule file that is not YAML is GW117", "[rules][broken]") {
  Linted l;
  auto d = broken("id: [ACME001\n", l);
  REQUIRE(d.size() == 1);
  CHECK(d[0].severity == Severity::error);
  CHECK(d[0].message == "the rule file could not be read as YAML");
  CHECK(l.at(d[0].span) == "rules/r.yaml:1:1");
  // and the finding reaches the lint report
  CHECK(l.of("GW117").size() == 1);
}

TEST_CASE("an empty rule file is GW117 saying so", "[rules][broken]") {
  for (const char* text : {"", "# nothing yet\n", "---\n"}) {
    INFO(text);
    Linted l;
    auto d = broken(text, l);
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "the rule file is empty");
    CHECK(l.at(d[0].span) == "rules/r.yaml:1:1");
  }
}

TEST_CASE("an unknown key in a rule file is GW117 with a suggestion", "[rules][broken]") {
  Linted l;
  auto d = broken("id: ACME001\ntitle: t\nseverity: error\nselct: /routes/*\nschema: {required: [name]}\n", l);
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "unknown key 'selct' in a rule file");
  CHECK(d[0].hint == "did you mean 'select'?");
  CHECK(l.at(d[0].span) == "rules/r.yaml:4:1");
}

TEST_CASE("a team rule without select and schema is GW117", "[rules][broken]") {
  Linted l;
  auto d = broken("id: ACME001\ntitle: t\nseverity: error\nrationale: r\n", l);
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "rule ACME001 needs 'select' and 'schema'");
  CHECK(l.at(d[0].span) == "rules/r.yaml:1:1");
  auto only_select = broken("id: ACME001\ntitle: t\nseverity: error\nselect: /routes/*\n", l);
  REQUIRE(only_select.size() == 1);
  CHECK(only_select[0].message == "rule ACME001: 'schema' must be a JSON Schema (a mapping)");
  auto bad_select = broken("id: ACME001\ntitle: t\nseverity: error\nselect: routes\nschema: {}\n", l);
  REQUIRE(bad_select.size() == 1);
  CHECK(bad_select[0].message == "rule ACME001: 'select' must be a JSON-pointer glob such as /routes/*/cache");
  CHECK(l.at(bad_select[0].span) == "rules/r.yaml:4:9");
}

TEST_CASE("a team rule with a GW id or a lower-case id is GW117 at the id", "[rules][broken]") {
  for (const char* id : {"GW999", "acme001", "ACME", "Acme001"}) {
    Linted l;
    auto d = broken(fmt::format("id: {}\ntitle: t\nseverity: error\nselect: /routes/*\nschema: {{}}\n", id), l);
    INFO(id);
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == fmt::format("'{}' is not a valid id for a team's rule: use upper-case letters then digits, "
                                      "such as ACME001 (ids starting with GW are gwctl's)",
                                      id));
    CHECK(l.at(d[0].span) == "rules/r.yaml:1:5");
  }
}

TEST_CASE("a bad severity or target in a rule file is GW117 at the value", "[rules][broken]") {
  Linted l;
  auto sev = broken("id: ACME001\ntitle: t\nseverity: fatal\nselect: /routes/*\nschema: {}\n", l);
  REQUIRE(sev.size() == 1);
  CHECK(sev[0].message == "rule ACME001: 'severity' must be error, warning or info");
  CHECK(l.at(sev[0].span) == "rules/r.yaml:3:11");
  auto target = broken("id: ACME001\ntitle: t\nseverity: info\ntarget: merged\nselect: /routes/*\nschema: {}\n", l);
  REQUIRE(target.size() == 1);
  CHECK(target[0].message == "rule ACME001: 'target' must be model or config");
  CHECK(l.at(target[0].span) == "rules/r.yaml:4:9");
}

TEST_CASE("a pattern RE2 cannot compile is GW117", "[rules][broken]") {
  Linted l;
  auto d = broken(
      "id: ACME001\ntitle: t\nseverity: error\nselect: /routes/*\nschema:\n  properties:\n    name: {pattern: "
      "'^(?!tmp)'}\n",
      l);
  REQUIRE(d.size() == 1);
  CHECK(contains(d[0].message, "rule ACME001: the pattern at 'schema/properties/name' is not a valid RE2 expression"));
  // At the schema that holds it (the message names the pattern's place inside).
  CHECK(l.at(d[0].span) == "rules/r.yaml:5:1");
}

TEST_CASE("a pattern inside anyOf is GW117: its instance position is not known", "[rules][broken]") {
  Linted l;
  auto d = broken(
      "id: ACME001\ntitle: t\nseverity: error\nselect: /routes/*\nschema:\n  anyOf:\n    - properties: {name: "
      "{pattern: '^a'}}\n    - required: [tags]\n",
      l);
  REQUIRE(d.size() == 1);
  CHECK(d[0].message ==
        "rule ACME001: 'pattern' is supported under properties, items, additionalProperties and allOf, not inside "
        "'anyOf'");
}

TEST_CASE("two rule files with the same id are GW117", "[rules][broken]") {
  auto files = project_with("");
  files["rules/a.yaml"] = acme_rule;
  files["rules/b.yaml"] = acme_rule;
  auto l = lint_with(files);
  auto d = l.loaded("GW117");
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "rule ACME001 is defined twice, in 'rules/a.yaml' and 'rules/b.yaml'");
  CHECK(l.at(d[0].span) == "rules/b.yaml:1:1");
  // The first definition still runs, once.
  CHECK(l.of("ACME001").size() == 1);
}

TEST_CASE("a rule file with a schema valijson cannot use is GW117", "[rules][broken]") {
  Linted l;
  auto d = broken("id: ACME001\ntitle: t\nseverity: error\nselect: /routes/*\nschema: {type: 12}\n", l);
  REQUIRE(d.size() == 1);
  CHECK(contains(d[0].message, "rule ACME001: 'schema' is not a JSON Schema gwctl can use"));
}

// ---------------------------------------------------------------------------------------------
// Severity overrides

namespace {

// Body logging without redaction (GW408, a warning) in every environment.
std::map<std::string, std::string> logging(const std::string& rules) {
  std::string base = std::string(minimal_base) + "    log: {bodies: true}\n";
  auto files = project_with("", base);
  files["gwctl.yaml"] = "environments: [dev, prod]\n" + rules;
  return files;
}

}  // namespace

TEST_CASE("a severity override of off drops the rule's findings", "[rules][severity]") {
  auto before = lint_with(logging(""));
  REQUIRE(before.of("GW408").size() == 1);
  CHECK(before.of("GW408")[0].diag.severity == Severity::warning);
  auto l = lint_with(logging("rules:\n  severity: {GW408: off}\n"));
  INFO(l.dump());
  CHECK(l.of("GW408").empty());
  CHECK(l.loaded("GW114").empty());
}

TEST_CASE("a severity override of error raises the rule's findings", "[rules][severity]") {
  auto l = lint_with(logging("rules:\n  severity: {GW408: error}\n"));
  INFO(l.dump());
  auto f = l.of("GW408");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::error);
  CHECK(f[0].envs == std::vector<std::string>{"dev", "prod"});
}

TEST_CASE("an env_severity override wins for its environment only", "[rules][severity]") {
  auto l = lint_with(logging("rules:\n  severity: {GW408: info}\n  env_severity: {prod: {GW408: error}}\n"));
  INFO(l.dump());
  auto f = l.of("GW408");
  REQUIRE(f.size() == 2);
  for (const auto& x : f) {
    REQUIRE(x.envs.size() == 1);
    if (x.envs[0] == "prod") {
      CHECK(x.diag.severity == Severity::error);
    } else {
      CHECK(x.envs[0] == "dev");
      CHECK(x.diag.severity == Severity::info);
    }
  }
  auto off_in_dev = lint_with(logging("rules:\n  env_severity: {dev: {GW408: off}}\n"));
  auto g = off_in_dev.of("GW408");
  REQUIRE(g.size() == 1);
  CHECK(g[0].envs == std::vector<std::string>{"prod"});
  CHECK(g[0].diag.severity == Severity::warning);
}

TEST_CASE("a severity override for a structure rule is a GW114 error and changes nothing", "[rules][severity]") {
  auto files = logging("rules:\n  severity: {GW104: off}\n");
  files["envs/prod.yaml"] = "gateway: {replicas: lots}\n";
  auto l = lint_with(files);
  INFO(l.dump());
  auto d = l.loaded("GW114");
  REQUIRE(d.size() == 1);
  CHECK(d[0].severity == Severity::error);
  CHECK(d[0].message == "structure rule GW104 cannot be overridden");
  CHECK(l.at(d[0].span) == "gwctl.yaml:3:14");
  REQUIRE(l.of("GW104").size() == 1);
  CHECK(l.of("GW104")[0].diag.severity == Severity::error);
}

TEST_CASE("a severity override for an unknown rule is a GW114 warning with a suggestion", "[rules][severity]") {
  auto l = lint_with(logging("rules:\n  severity: {GW4080: off}\n  env_severity: {prd: {GW408: error}}\n"));
  INFO(l.dump());
  auto d = l.loaded("GW114");
  REQUIRE(d.size() == 2);
  CHECK(d[0].severity == Severity::warning);
  CHECK(d[0].message == "severity override for unknown rule 'GW4080'");
  CHECK(d[0].hint == "did you mean 'GW408'?");
  CHECK(l.at(d[0].span) == "gwctl.yaml:3:14");
  CHECK(d[1].severity == Severity::warning);
  CHECK(d[1].message == "severity overrides for unknown environment 'prd'");
  CHECK(d[1].hint == "did you mean 'prod'?");
  // The unknown override is ignored.
  REQUIRE(l.of("GW408").size() == 1);
  CHECK(l.of("GW408")[0].diag.severity == Severity::warning);
}

TEST_CASE("a severity override may name a team rule", "[rules][severity][custom]") {
  auto files = project_with("");
  files["gwctl.yaml"] = "environments: [dev, prod]\nrules:\n  severity: {ACME001: info}\n";
  files["rules/acme001.yaml"] = acme_rule;
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.loaded("GW114").empty());
  auto f = l.of("ACME001");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::info);
}

TEST_CASE("apply_severity_overrides leaves structure rules alone", "[rules][severity]") {
  SeverityOverrides o;
  o.all = {{"GW104", "off"}, {"GW408", "error"}, {"GW409", "off"}};
  o.by_env = {{"prod", {{"GW408", "info"}}}};
  auto make = [] {
    Diagnostics d;
    d.error("GW104", "schema", Span{});
    d.warning("GW408", "logs", Span{});
    d.warning("GW409", "cache", Span{});
    return d;
  };
  Diagnostics dev = make();
  apply_severity_overrides(o, "dev", dev);
  REQUIRE(dev.all().size() == 2);
  CHECK(dev.all()[0].rule == "GW104");
  CHECK(dev.all()[1].severity == Severity::error);
  Diagnostics prod = make();
  apply_severity_overrides(o, "prod", prod);
  REQUIRE(prod.all().size() == 2);
  CHECK(prod.all()[1].severity == Severity::info);
  CHECK(o.lookup("prod", "GW408") == "info");
  CHECK(o.lookup("dev", "GW408") == "error");
  CHECK(o.lookup("dev", "GW201").empty());
}

// ---------------------------------------------------------------------------------------------
// Suppressions of a team's rule

TEST_CASE("a suppression naming a team rule's id silences it", "[rules][custom][suppress]") {
  std::string base = minimal_base;
  base.replace(base.find("  - name: chat\n"), 15, "  - name: chat  # gwctl:ignore ACME001 reason=\"legacy clients\"\n");
  auto files = project_with("", base);
  files["rules/acme001.yaml"] = acme_rule;
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.of("ACME001").empty());
  CHECK(l.of("GW116").empty());
  CHECK(l.result.suppressed == 1);
}

TEST_CASE("a suppression naming another team id silences nothing", "[rules][custom][suppress]") {
  std::string base = minimal_base;
  base.replace(base.find("  - name: chat\n"), 15, "  - name: chat  # gwctl:ignore ACME002 reason=\"legacy clients\"\n");
  auto files = project_with("", base);
  files["rules/acme001.yaml"] = acme_rule;
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.of("ACME001").size() == 1);
  CHECK(l.result.suppressed == 0);
}

TEST_CASE("team rule ids are upper-case letters then digits and never GW", "[rules]") {
  CHECK(valid_custom_rule_id("ACME001"));
  CHECK(valid_custom_rule_id("SEC1"));
  CHECK_FALSE(valid_custom_rule_id("GW999"));
  CHECK_FALSE(valid_custom_rule_id("GWX001"));
  CHECK_FALSE(valid_custom_rule_id("acme001"));
  CHECK_FALSE(valid_custom_rule_id("ACME"));
  CHECK_FALSE(valid_custom_rule_id("001"));
  CHECK_FALSE(valid_custom_rule_id("ACME-001"));
  CHECK(looks_like_rule_id("GW408"));
  CHECK(looks_like_rule_id("ACME001"));
  CHECK_FALSE(looks_like_rule_id("GW40"));
  CHECK_FALSE(looks_like_rule_id("gw408"));
}
