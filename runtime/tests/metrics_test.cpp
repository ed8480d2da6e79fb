// Metrics: what /metrics exposes after requests, attempts and tokens are counted.
#include <catch2/catch.hpp>

#include <string>

#include "metrics.hpp"

using gwd::Metrics;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}
}  // namespace

TEST_CASE("requests, attempts and tokens are counted per label set") {
  Metrics m;
  std::string route = "chat";
  std::string model = "gpt";
  std::string deployment = "openai/gpt-4o";
  for (int i = 0; i < 3; ++i) m.request(route, model, deployment, 200, 0.002);
  m.request(route, model, deployment, 502, 0.3);
  m.attempt(deployment, "200");
  m.attempt(deployment, "200");
  m.attempt(deployment, "timeout");
  m.tokens(route, model, 10, 5, 0.25);
  m.tokens(route, model, 1, 2, 0.5);
  std::string text = m.render("sha256:x", "prod", {}, 0);
  CHECK(has_line(text, R"(gwd_requests_total{route="chat",model="gpt",deployment="openai/gpt-4o",status="200"} 3)"));
  CHECK(has_line(text, R"(gwd_requests_total{route="chat",model="gpt",deployment="openai/gpt-4o",status="502"} 1)"));
  CHECK(has_line(text, R"(gwd_request_duration_seconds_count{route="chat"} 4)"));
  CHECK(has_line(text, R"(gwd_request_duration_seconds_bucket{route="chat",le="0.0025"} 3)"));
  CHECK(has_line(text, R"(gwd_upstream_attempts_total{deployment="openai/gpt-4o",outcome="200"} 2)"));
  CHECK(has_line(text, R"(gwd_upstream_attempts_total{deployment="openai/gpt-4o",outcome="timeout"} 1)"));
  CHECK(has_line(text, R"(gwd_tokens_total{route="chat",model="gpt",kind="input"} 11)"));
  CHECK(has_line(text, R"(gwd_tokens_total{route="chat",model="gpt",kind="output"} 7)"));
  CHECK(has_line(text, R"(gwd_cost_usd_total{route="chat",model="gpt"} 0.75)"));
}

TEST_CASE("a label value whose text changes in place, as after a reload, counts in its own series") {
  Metrics m;
  std::string route = "chat";  // same buffer, new text: the series cache must not be fooled
  std::string model = "gpt";
  std::string deployment = "a/b";
  m.request(route, model, deployment, 200, 0.01);
  route[0] = 'C';
  m.request(route, model, deployment, 200, 0.01);
  std::string text = m.render("d", "e", {}, 0);
  CHECK(has_line(text, R"(gwd_requests_total{route="chat",model="gpt",deployment="a/b",status="200"} 1)"));
  CHECK(has_line(text, R"(gwd_requests_total{route="Chat",model="gpt",deployment="a/b",status="200"} 1)"));
}

TEST_CASE("two Metrics in one thread keep their own counts") {
  std::string route = "r";
  std::string model = "m";
  std::string deployment = "p/d";
  Metrics first;
  first.request(route, model, deployment, 200, 0.01);
  Metrics second;
  second.request(route, model, deployment, 200, 0.01);
  second.request(route, model, deployment, 200, 0.01);
  CHECK(has_line(first.render("d", "e", {}, 0),
                 R"(gwd_requests_total{route="r",model="m",deployment="p/d",status="200"} 1)"));
  CHECK(has_line(second.render("d", "e", {}, 0),
                 R"(gwd_requests_total{route="r",model="m",deployment="p/d",status="200"} 2)"));
}

TEST_CASE("label values are escaped") {
  Metrics m;
  m.request("a\"b\\c\nd", "m", "p/d", 200, 0.01);
  CHECK(has_line(m.render("d", "e", {}, 0),
                 R"(gwd_requests_total{route="a\"b\\c\nd",model="m",deployment="p/d",status="200"} 1)"));
}
