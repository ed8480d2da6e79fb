#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "gwd/upstream.hpp"

using namespace gwd;

namespace {
std::string header(const UpstreamRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return std::string(v);
  }
  return "<none>";
}
}  // namespace

TEST_CASE("the operation is the client path after its first /v1 segment") {
  CHECK(upstream_operation("/v1/chat/completions") == "/chat/completions");
  CHECK(upstream_operation("/internal/v1/embeddings") == "/embeddings");
  CHECK(upstream_operation("/v1") == "");
  CHECK(upstream_operation("/v10/x") == "/v10/x");
  CHECK(upstream_operation("/healthz") == "/healthz");
}

TEST_CASE("openai gets a bearer key on base path + operation, with the client query kept") {
  auto config = test::fixture();
  const Model& gpt = *config->model("gpt");
  const Deployment& d = gpt.deployments[0];
  auto r = build_upstream_request(config->providers[d.provider], d, "/v1/chat/completions?x=1",
                                  Headers{{{"Authorization", "Bearer key-web"},
                                           {"x-request-id", "abc"},
                                           {"Connection", "keep-alive"},
                                           {"Content-Type", "application/json"}}});
  CHECK(r.target == "/v1/chat/completions?x=1");
  CHECK(header(r, "authorization") == "Bearer sk-openai");
  CHECK(header(r, "Authorization") == "<none>");
  CHECK(header(r, "x-request-id") == "abc");
  CHECK(header(r, "Content-Type") == "application/json");
  CHECK(header(r, "Connection") == "<none>");
  CHECK(header(r, "accept-encoding") == "identity");
}

TEST_CASE("azure-openai gets an api-key header and the deployment path with api-version") {
  auto config = test::fixture();
  const Deployment& d = config->model("gpt")->deployments[1];
  auto r = build_upstream_request(config->providers[d.provider], d, "/v1/chat/completions",
                                  Headers{{{"x-api-key", "key-web"}}});
  CHECK(r.target == "/openai/deployments/gpt-4o-canary/chat/completions?api-version=2024-10-21");
  CHECK(header(r, "api-key") == "az-key");
  CHECK(header(r, "x-api-key") == "<none>");
  CHECK(header(r, "authorization") == "<none>");
}

TEST_CASE("anthropic gets x-api-key and anthropic-version") {
  auto config = test::fixture();
  const Deployment& d = config->model("sonnet")->deployments[0];
  auto r = build_upstream_request(config->providers[d.provider], d, "/v1/chat/completions",
                                  Headers{{{"anthropic-version", "1999-01-01"}}});
  CHECK(r.target == "/v1/chat/completions");
  CHECK(header(r, "x-api-key") == "ant-key");
  CHECK(header(r, "anthropic-version") == "2023-06-01");
}

TEST_CASE("the upstream request on the wire: request line, Host with a non-default port, every header, length, body") {
  Provider p;
  p.base = *parse_url("http://127.0.0.1:8080/v1");
  UpstreamRequest r{"/v1/chat/completions?x=1", {{"x-tag", "a"}, {"x-tag", "b"}, {"authorization", "Bearer k"}}};
  CHECK(upstream_wire("POST", p, r, R"({"model":"m"})") ==
        "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-tag: a\r\nx-tag: b\r\n"
        "authorization: Bearer k\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}");
  p.base = *parse_url("https://api.example.com");
  CHECK(upstream_wire("GET", p, {"/", {}}, "") ==
        "GET / HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("usage is read from OpenAI and Anthropic responses, and costed at the model's pricing") {
  auto openai = usage_of_body(R"({"usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}})");
  REQUIRE(openai);
  CHECK(openai->total() == 1500);
  auto anthropic = usage_of_body(R"({"usage": {"input_tokens": 7, "output_tokens": 3}})");
  REQUIRE(anthropic);
  CHECK(anthropic->input == 7);
  CHECK(!usage_of_body("not json"));
  CHECK(!usage_of_body(R"({"usage": "lots"})"));
  // Only the top-level usage counts, wherever it sits among the other members.
  auto nested =
      usage_of_body(R"({"choices": [{"message": {"usage": {"prompt_tokens": 99}}, "usage": {"prompt_tokens": 98}}],)"
                    R"( "usage": {"prompt_tokens": 4, "completion_tokens": 2}, "model": "m"})");
  REQUIRE(nested);
  CHECK(nested->input == 4);
  CHECK(nested->output == 2);
  CHECK(!usage_of_body(R"({"choices": [{"usage": {"prompt_tokens": 99}}]})"));
  CHECK(!usage_of_body(R"({"choices": [{"usage": {"prompt_tokens": 99}}], "truncated": )"));
  auto config = test::fixture();
  CHECK(cost_usd(*config->model("gpt"), *openai) == Approx(0.0075));
}

TEST_CASE("the usage of a stream is the last event's, even when split across chunks") {
  SseUsageScanner scanner;
  scanner.feed("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n");
  CHECK(!scanner.usage());
  scanner.feed("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"compl");
  scanner.feed("etion_tokens\":4}}\r\n\r\ndata: [DONE]\n\n");
  REQUIRE(scanner.usage());
  CHECK(scanner.usage()->input == 11);
  CHECK(scanner.usage()->output == 4);
}

TEST_CASE("an Anthropic stream keeps input tokens from the start and output tokens from the end") {
  SseUsageScanner scanner;
  scanner.feed("event: message_start\ndata: {\"message\":{\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n");
  scanner.feed("event: message_delta\ndata: {\"usage\":{\"output_tokens\":15}}\n\n");
  REQUIRE(scanner.usage());
  CHECK(scanner.usage()->input == 25);
  CHECK(scanner.usage()->output == 15);
}

TEST_CASE("an overlong SSE line is skipped without growing the buffer") {
  SseUsageScanner scanner;
  std::string big(2 << 20, 'x');
  scanner.feed("data: ");
  scanner.feed(big);
  scanner.feed("\ndata: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n");
  REQUIRE(scanner.usage());
  CHECK(scanner.usage()->output == 2);
}
