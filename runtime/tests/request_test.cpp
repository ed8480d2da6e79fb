// admit / prepare_attempt: the per-request sequence the server and `gwctl test` share.
#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "gwd/request.hpp"

using namespace gwd;
using Stage = Admission::Stage;

namespace {
Admission send(const Config& config, Limiter& limiter, std::string_view method, std::string_view target,
               const Headers& headers, std::string_view body = "{}") {
  return admit(config, limiter, {method, target, headers, body, "10.0.0.1"}, 0);
}
}  // namespace

TEST_CASE("admit stops at the first refusal, in gwd's order") {
  auto config = test::fixture();
  Limiter limiter;
  Headers none;
  Headers web{{{"authorization", "Bearer key-web"}}};
  Headers lab{{{"x-api-key", "key-lab"}}};

  auto a = send(*config, limiter, "GET", "/nowhere", none);
  CHECK(a.stage == Stage::no_route);
  CHECK(a.error->status == 404);

  a = send(*config, limiter, "GET", "/healthz?probe=1", none);
  CHECK(a.stage == Stage::respond);
  CHECK(a.route->name == "health");
  CHECK_FALSE(a.error);

  a = send(*config, limiter, "POST", "/v1/chat/completions", none);
  CHECK(a.stage == Stage::auth);
  CHECK(a.error->status == 401);

  a = send(*config, limiter, "POST", "/admin/x", web);
  CHECK(a.stage == Stage::auth);  // JWT routes are refused until gwd verifies JWTs

  a = send(*config, limiter, "POST", "/v1/chat/completions", web, "[1]");
  CHECK(a.stage == Stage::body);
  CHECK(a.consumer->name == "web");

  a = send(*config, limiter, "POST", "/v1/chat/completions", web, R"({"model":"sonnet"})");
  CHECK(a.stage == Stage::model);
  CHECK(a.error->status == 403);

  a = send(*config, limiter, "POST", "/v1/chat/completions", lab, R"({"model":"gpt"})");
  CHECK(a.stage == Stage::forward);  // the route's limit is per consumer: lab has its own

  a = send(*config, limiter, "POST", "/v1/chat/completions", web, R"({"model":"gpt"})");
  CHECK(a.stage == Stage::limit);  // web's two requests used its 2 per second
  CHECK(a.error->status == 429);
  CHECK(a.error->retry_after > 0);
}

TEST_CASE("admit forwards with the chosen model and the parsed body") {
  auto config = test::fixture();
  Limiter limiter;
  Headers web{{{"authorization", "Bearer key-web"}}};
  auto a = send(*config, limiter, "POST", "/v1/chat/completions", web, R"({"model":"gpt","stream":true})");
  REQUIRE(a.stage == Stage::forward);
  CHECK(a.route->name == "chat");
  CHECK(a.consumer->name == "web");
  CHECK(a.model->name == "gpt");
  CHECK(a.body.stream);

  auto p = prepare_attempt(*config, *a.model, a.body, nullptr, 0, "/v1/chat/completions", web);
  CHECK(p.deployment->key == "openai/gpt-4o-2024-11-20");
  CHECK(p.provider->name == "openai");
  CHECK(p.body == R"({"model":"gpt-4o-2024-11-20","stream":true})");
  CHECK(p.request.target == "/v1/chat/completions");
  // The client's key is never forwarded; the provider's is.
  bool provider_key = false;
  for (const auto& [n, v] : p.request.headers) {
    CHECK(v.find("key-web") == std::string::npos);
    provider_key = provider_key || (n == "authorization" && v == "Bearer sk-openai");
  }
  CHECK(provider_key);
}

TEST_CASE("a scope refusal comes before the limits are charged") {
  auto config = test::fixture();
  Limiter limiter;
  Headers web{{{"authorization", "Bearer key-web"}}};
  auto a = send(*config, limiter, "POST", "/v1/chat/completions", web, "{}");
  a = send(*config, limiter, "POST", "/v1/chat/completions",
           Headers{{{"x-team", "research"}, {"x-api-key", "key-web"}}});
  CHECK(a.stage == Stage::scope);
  CHECK(a.route->name == "research");
  a = send(*config, limiter, "POST", "/v1/chat/completions", web, "{}");
  CHECK(a.stage == Stage::forward);  // the refused request took nothing from the bucket of 2
}
