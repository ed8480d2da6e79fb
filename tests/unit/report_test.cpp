#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "gwctl/schema.hpp"
#include "gwctl/show.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

TEST_CASE("did_you_mean finds close names and ignores far ones", "[report]") {
  CHECK(did_you_mean("retires", {"retries", "retry_on", "backoff"}) == "retries");
  CHECK(did_you_mean("zzzz", {"retries", "backoff"}) == "");
  CHECK(did_you_mean("prdo", {"dev", "staging", "prod"}) == "prod");
}

TEST_CASE("colour is only added when asked for", "[report]") {
  auto l = load_text("a: 1\na: 2\n");
  std::string plain = render_diagnostics(l.diags, l.sources, {false});
  std::string colour = render_diagnostics(l.diags, l.sources, {true});
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(colour.find("\x1b[1;31merror") != std::string::npos);
}

TEST_CASE("the caret lines up under multi-byte characters", "[report]") {
  auto l = load_text("naïve: 1\nnaïve: 2\n");
  std::string text = rendered(l.diags, l.sources);
  CHECK(text.find(" 2 | naïve: 2\n   | ^~~~~") != std::string::npos);
}

TEST_CASE("a literal credential on a source line is masked in rendered diagnostics", "[report][secrets]") {
  auto c = compile(project_with("providers:\n  openai: {api_key: sk-proj-abcdefghijklmnopqrstuvwx}\n"), "prod");
  std::string text = c->all_rendered();
  CHECK(text.find("sk-proj") == std::string::npos);
  CHECK(text.find("api_key: ****") != std::string::npos);
  auto block =
      compile(project_with("providers:\n  openai:\n    api_key: sk-proj-abcdefghijklmnopqrstuvwx  # old\n"), "prod");
  CHECK(block->all_rendered().find("sk-proj") == std::string::npos);
  CHECK(block->all_rendered().find("  # old") != std::string::npos);
}

TEST_CASE("secret references on a source line are shown as written", "[report][secrets]") {
  auto c = compile(project_with("providers:\n  openai: {api_key: '${secret:X}', kind: nope}\n"), "prod");
  CHECK(c->all_rendered().find("api_key: '${secret:X}'") != std::string::npos);
}

TEST_CASE("show masks a literal in a secret-bearing field and keeps references", "[show][secrets]") {
  auto c = compile(project_with("providers:\n  openai: {api_key: sk-proj-abcdefghijklmnopqrstuvwx}\n"), "prod",
                   Stage::merge);
  NodePtr shown = redact_secret_literals(c->result.merged.root, Schema::config());
  std::string yaml = show_yaml(*shown, c->project.sources, true);
  CHECK(yaml.find("sk-proj") == std::string::npos);
  CHECK(yaml.find("api_key: \"<redacted: not a secret reference>\"") != std::string::npos);
  auto ok = compile(project_with("gateway: {replicas: 1}\n"), "prod", Stage::merge);
  std::string plain =
      show_yaml(*redact_secret_literals(ok->result.merged.root, Schema::config()), ok->project.sources, false);
  CHECK(plain.find("api_key: \"${secret:OPENAI_API_KEY}\"") != std::string::npos);
}

TEST_CASE("show --provenance names the file and line of each value and what it replaced", "[show]") {
  auto c = compile(project_with("gateway:\n  replicas: 4\n"), "prod", Stage::merge);
  std::string yaml = show_yaml(*c->result.merged, c->project.sources, true);
  CHECK(yaml.find("  replicas: 4  # envs/prod.yaml:2:13\n") != std::string::npos);
  CHECK(yaml.find("  name: test  # base/gateway.yaml:3:9\n") != std::string::npos);
}

TEST_CASE("a credential next to a reference is masked in the GW115 message", "[report][secrets]") {
  auto c = compile(project_with("providers:\n  openai:\n    api_key: sk-live-abcdefghijklmnop ${secret:K}\n"), "prod");
  std::string text = c->all_rendered();
  CHECK(text.find("GW115") != std::string::npos);
  CHECK(text.find("sk-live") == std::string::npos);
}

TEST_CASE("a credential under a misspelt secret key is masked in messages and in show", "[report][secrets]") {
  auto c = compile(project_with("providers:\n  openai:\n    api_kye: sk-live-abcdefghijklmnop\n"), "prod");
  std::string text = c->all_rendered();
  CHECK(text.find("did you mean 'api_key'") != std::string::npos);
  CHECK(text.find("sk-live") == std::string::npos);
  std::string yaml =
      show_yaml(*redact_secret_literals(c->result.merged.root, Schema::config()), c->project.sources, false);
  CHECK(yaml.find("sk-live") == std::string::npos);
}

TEST_CASE("control characters in user text cannot break out of a diagnostic line", "[report]") {
  auto c = compile(project_with("gateway:\n  \"x\\n::error file=a::b\\e[2J\": 1\n"), "prod");
  std::string text = c->all_rendered();
  CHECK(text.find("\n::error") == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
}

namespace {
LintResult lint_broken(std::unique_ptr<Project>& keep) {
  DiskReader reader(std::filesystem::path(GWCTL_SOURCE_DIR) / "examples/broken");
  Diagnostics load_diags;
  auto p = load_project(reader, {}, load_diags);
  keep = std::make_unique<Project>(std::move(*p));
  return lint(*keep, load_diags, {});
}
}  // namespace

TEST_CASE("SARIF output validates against the SARIF 2.1.0 schema and carries a region and rule help",
          "[report][sarif]") {
  std::unique_ptr<Project> project;
  LintResult r = lint_broken(project);
  REQUIRE(r.findings.size() == 1);
  nlohmann::json sarif = render_findings_sarif(r, project->sources, "gwctl.yaml");
  std::ifstream in(std::filesystem::path(GWCTL_SOURCE_DIR) / "tests/data/sarif-schema-2.1.0.json");
  std::string schema_text{std::istreambuf_iterator<char>(in), {}};
  Schema sarif_schema(schema_text);
  CHECK(sarif_schema.check(sarif).empty());
  const auto& result = sarif["runs"][0]["results"][0];
  CHECK(result["ruleId"] == "GW102");
  CHECK(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "envs/prod.yaml");
  CHECK(result["locations"][0]["physicalLocation"]["region"]["startLine"] == 22);
  CHECK(sarif["runs"][0]["tool"]["driver"]["rules"][0]["help"]["text"].get<std::string>().find("Rename") == 0);
}

TEST_CASE("GitHub workflow commands escape message data and properties", "[report][github]") {
  std::unique_ptr<Project> project;
  LintResult r = lint_broken(project);
  CHECK(render_findings_github(r, project->sources) ==
        "::error file=envs/prod.yaml,line=22,col=7,title=GW102 unknown key::unknown key 'retires' in "
        "routes[chat].resilience; did you mean 'retries'?\n");
}

TEST_CASE("GitLab Code Quality entries carry a stable fingerprint, severity and location", "[report][gitlab]") {
  std::unique_ptr<Project> project;
  LintResult r = lint_broken(project);
  nlohmann::json cq = render_findings_gitlab(r, project->sources, "gwctl.yaml");
  REQUIRE(cq.size() == 1);
  CHECK(cq[0]["severity"] == "critical");
  CHECK(cq[0]["check_name"] == "GW102");
  CHECK(cq[0]["location"]["path"] == "envs/prod.yaml");
  CHECK(cq[0]["location"]["lines"]["begin"] == 22);
  CHECK(cq[0]["fingerprint"] == r.findings[0].fingerprint);
}

TEST_CASE("JUnit output has a failing testcase per finding, grouped by file, with XML escaped", "[report][junit]") {
  std::unique_ptr<Project> project;
  LintResult r = lint_broken(project);
  std::string xml = render_findings_junit(r, project->sources, "gwctl.yaml");
  CHECK(xml.find("<testsuite name=\"envs/prod.yaml\" tests=\"1\" failures=\"1\">") != std::string::npos);
  CHECK(xml.find("unknown key &apos;retires&apos;") != std::string::npos);
  CHECK(xml.find("<failure message=") != std::string::npos);
}
