#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;

namespace {
std::map<std::string, std::string> flagged() {
  auto files = project_with("flags: {fallback: true}\n");
  files["gwctl.yaml"] = "environments: [dev, prod]\nflags: [fallback, canary]\n";
  files["flags/fallback.yaml"] =
      "models:\n  gpt-4o-mini: {provider: openai, id: gpt-4o-mini-2024-07-18}\n  gpt-4o:\n    fallbacks: "
      "[gpt-4o-mini]\n";
  files["flags/canary.yaml"] = "gateway:\n  replicas: 2\n";
  return files;
}
}  // namespace

TEST_CASE("an environment turns flags on and the command line can override them", "[pipeline]") {
  auto files = flagged();
  CHECK(compile(files, "prod", Stage::merge)->result.variant.flags == std::vector<std::string>{"fallback"});
  CHECK(compile(files, "dev", Stage::merge)->result.variant.flags.empty());
  CHECK(compile(files, "prod", Stage::merge, {{"fallback", false}})->result.variant.flags.empty());
  CHECK(compile(files, "prod", Stage::merge, {{"canary", true}})->result.variant.flags ==
        std::vector<std::string>{"fallback", "canary"});
}

TEST_CASE("flag overlays apply after the environment, in gwctl.yaml order", "[pipeline]") {
  auto files = flagged();
  files["envs/prod.yaml"] = "flags: {fallback: true, canary: true}\ngateway: {replicas: 5}\n";
  auto c = compile(files, "prod", Stage::merge);
  CHECK(c->result.merged->get("gateway")->get("replicas")->integer == 2);
}

TEST_CASE("an unknown flag in an environment is GW114 with a suggestion", "[pipeline]") {
  auto files = flagged();
  files["envs/prod.yaml"] = "flags: {fallbak: true}\n";
  auto c = compile(files, "prod", Stage::merge);
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].message == "unknown flag 'fallbak'");
  CHECK(c->result.diags.all()[0].hint == "did you mean 'fallback'?");
}

TEST_CASE("a flag overlay may not turn flags on", "[pipeline]") {
  auto files = flagged();
  files["flags/canary.yaml"] = "flags: {fallback: true}\n";
  auto c = compile(files, "prod", Stage::merge, {{"canary", true}});
  REQUIRE(c->has_errors());
  CHECK(c->result.diags.all()[0].message == "a flag overlay cannot turn flags on or off");
}

TEST_CASE("an environment listed in gwctl.yaml without an overlay is GW114", "[project]") {
  auto files = project_with("");
  files["gwctl.yaml"] = "environments: [dev, prod, staging]\n";
  auto c = compile(files, "prod");
  REQUIRE(c->load_diags.size() == 1);
  CHECK(c->load_diags.all()[0].message == "environment 'staging' has no overlay 'envs/staging.yaml'");
}

TEST_CASE("without gwctl.yaml the environments are the overlays found in envs/", "[project]") {
  auto files = project_with("gateway: {replicas: 1}\n");
  files.erase("gwctl.yaml");
  auto c = compile(files, "prod");
  CHECK(c->project.settings.environments == std::vector<std::string>{"dev", "prod"});
  CHECK_FALSE(c->has_errors());
}

TEST_CASE("an environment split over a folder merges its files in lexical order", "[project]") {
  auto files = project_with("");
  files.erase("envs/prod.yaml");
  files["envs/prod/a.yaml"] = "gateway: {replicas: 2}\n";
  files["envs/prod/b.yaml"] = "gateway: {replicas: 4}\n";
  auto c = compile(files, "prod");
  CHECK(c->result.artifact["config"]["gateway"]["replicas"] == 4);
}

TEST_CASE("lint checks each environment and each flag on top, and says where a finding arises", "[lint]") {
  auto files = flagged();
  files["flags/canary.yaml"] = "gateway:\n  replicas: lots\n";
  std::unique_ptr<Project> p;
  LintResult r = lint_files(files, p);
  // dev, dev+canary, dev+fallback, prod(fallback), prod+canary
  CHECK(r.variants.size() == 5);
  auto schema = of_rule(r, "GW104");
  REQUIRE(schema.size() == 1);
  const Finding& f = schema[0];
  CHECK(f.envs == std::vector<std::string>{"dev", "prod"});
  CHECK(f.flags == std::vector<std::string>{"canary"});
  CHECK(f.layer == "flag:canary");
  CHECK(f.fingerprint.size() == 32);
  json j = render_findings_json(r, p->sources);
  CHECK(j["format_version"] == 1);
  json schema_finding;
  for (const auto& x : j["findings"]) {
    if (x["rule"] == "GW104") schema_finding = x;
  }
  CHECK(schema_finding["file"] == "flags/canary.yaml");
  CHECK(schema_finding["line"] == 2);
  CHECK(schema_finding["path"] == "/gateway/replicas");
  CHECK(schema_finding["category"] == "structure");
  CHECK(j["summary"]["errors"] == 1);
}

TEST_CASE("a finding's fingerprint survives the file moving down by a few lines", "[lint]") {
  auto files = project_with("gateway:\n  replicas: lots\n");
  auto fingerprint = [](const std::map<std::string, std::string>& f) {
    std::unique_ptr<Project> p;
    return lint_files(f, p).findings.at(0).fingerprint;
  };
  std::string before = fingerprint(files);
  files["envs/prod.yaml"] = "# a comment\n\ngateway:\n  replicas: lots\n";
  CHECK(fingerprint(files) == before);
}

TEST_CASE("path and symlink escapes are refused by the readers", "[source][hostile]") {
  MemoryReader r = reader_of({{"base/a.yaml", "x: 1\n"}});
  auto up = r.read("../etc/passwd", 1000);
  REQUIRE_FALSE(up);
  CHECK(up.error().kind == IoError::Kind::escapes_root);
  auto abs = r.read("/etc/passwd", 1000);
  REQUIRE_FALSE(abs);
  CHECK(abs.error().kind == IoError::Kind::escapes_root);
}

TEST_CASE("flags turned on only on the command line apply last, in command-line order", "[pipeline]") {
  auto files = flagged();
  files["gwctl.yaml"] = "environments: [dev, prod]\nflags: [canary, fallback]\n";
  files["flags/canary.yaml"] = "gateway:\n  replicas: 2\n";
  files["flags/fallback.yaml"] = "gateway:\n  replicas: 3\n";
  files["envs/prod.yaml"] = "flags: {fallback: true}\n";
  // The environment turns fallback on; canary comes from the command line, so it wins.
  auto c = compile(files, "prod", Stage::merge, {{"canary", true}});
  CHECK(c->result.variant.flags == std::vector<std::string>{"fallback", "canary"});
  CHECK(c->result.merged->get("gateway")->get("replicas")->integer == 2);
}

TEST_CASE("lint with --flag F=false does not check F's overlay anywhere", "[lint]") {
  auto files = flagged();
  files["flags/canary.yaml"] = "gateway:\n  replicas: lots\n";
  LintOptions options;
  options.overrides = {{"canary", false}};
  std::unique_ptr<Project> p;
  LintResult r = lint_files(files, p, options);
  CHECK(of_rule(r, "GW104").empty());
  for (const auto& v : r.variants) CHECK(std::find(v.flags.begin(), v.flags.end(), "canary") == v.flags.end());
}

TEST_CASE("an unknown var is reported once, not again as a type error", "[pipeline]") {
  auto files = project_with("gateway:\n  replicas: ${var:replica}\n");
  auto c = compile(files, "prod", Stage::validate);
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].rule == "GW110");
}

TEST_CASE("a secret reference outside a secret-bearing field is GW115", "[validate]") {
  auto c = compile(project_with("routes:\n  - name: chat\n    match: {headers: {x-team: '${secret:TEAM}'}}\n"), "prod");
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].rule == "GW115");
  CHECK(c->result.diags.all()[0].message ==
        "'routes[chat].match.headers.x-team' is not a secret-bearing field; a secret reference is not resolved here");
}

TEST_CASE("a suppression with a reason on the line or the line above silences the finding", "[lint][suppress]") {
  std::unique_ptr<Project> p;
  auto same = lint_files(project_with("gateway:\n  replicas: lots  # gwctl:ignore GW104 reason=\"load test\"\n"), p);
  CHECK(same.findings.empty());
  CHECK(same.suppressed == 1);
  auto above = lint_files(
      project_with("gateway:\n  # gwctl:ignore GW104 reason=\"load test\" until=2027-01-01\n  replicas: lots\n"), p);
  CHECK(above.findings.empty());
}

TEST_CASE("a suppression for another rule silences nothing", "[lint][suppress]") {
  std::unique_ptr<Project> p;
  auto r = lint_files(project_with("gateway:\n  replicas: lots  # gwctl:ignore GW405 reason=\"x\"\n"), p);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].diag.rule == "GW104");
}

TEST_CASE("a suppression without a reason or past its date is GW116 and silences nothing", "[lint][suppress]") {
  std::unique_ptr<Project> p;
  auto bare = lint_files(project_with("gateway:\n  replicas: lots  # gwctl:ignore GW104\n"), p);
  REQUIRE(bare.findings.size() == 2);
  CHECK(bare.findings[0].diag.rule == "GW104");
  CHECK(bare.findings[1].diag.rule == "GW116");
  CHECK(bare.findings[1].diag.message == "a suppression needs a reason: reason=\"why this is fine\"");
  auto expired =
      lint_files(project_with("gateway:\n  replicas: lots  # gwctl:ignore GW104 reason=\"x\" until=2026-01-01\n"), p);
  REQUIRE(expired.findings.size() == 2);
  CHECK(expired.findings[1].diag.message == "this suppression expired on 2026-01-01");
  auto bad_date =
      lint_files(project_with("gateway:\n  replicas: lots  # gwctl:ignore GW104 reason=\"x\" until=soon\n"), p);
  CHECK(bad_date.findings[1].diag.message == "'until=soon' is not a date like 2027-01-31");
}
