#include <catch2/catch.hpp>

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
