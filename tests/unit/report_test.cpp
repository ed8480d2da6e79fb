#include <catch2/catch.hpp>

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
