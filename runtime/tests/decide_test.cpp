#include <catch2/catch.hpp>

#include <random>

#include "fixture.hpp"
#include "gwd/decide.hpp"

using namespace gwd;
using json = nlohmann::json;

namespace {
Headers headers(std::initializer_list<std::pair<std::string_view, std::string_view>> items) {
  return Headers{items};
}
// A checked body; the literal outlives it.
RequestBody body(std::string_view text) {
  BodyResult parsed = parse_body(text);
  REQUIRE_FALSE(parsed.error);
  return parsed.body;
}
}  // namespace

TEST_CASE("an exact path matches only itself, and the method must be listed") {
  auto config = test::fixture();
  CHECK(match_route(*config, "GET", "/healthz", {})->name == "health");
  CHECK(match_route(*config, "POST", "/healthz", {}) == nullptr);
  CHECK(match_route(*config, "GET", "/healthz/x", {}) == nullptr);
}

TEST_CASE("a path prefix matches every path below it, any method when none are listed") {
  auto config = test::fixture();
  CHECK(match_route(*config, "DELETE", "/v1/files/abc", {})->name == "files");
  CHECK(match_route(*config, "GET", "/v1/files", {})->name == "files");
  CHECK(match_route(*config, "GET", "/v2/files", {}) == nullptr);
}

TEST_CASE("header matches are case-insensitive on names and exact on values, and the first match wins") {
  auto config = test::fixture();
  CHECK(match_route(*config, "POST", "/v1/chat/completions", headers({{"X-Team", "research"}}))->name == "research");
  CHECK(match_route(*config, "POST", "/v1/chat/completions", headers({{"x-team", "Research"}}))->name == "chat");
  CHECK(match_route(*config, "POST", "/v1/chat/completions", {})->name == "chat");
}

TEST_CASE("a key is accepted as a bearer token or as x-api-key, and names its consumer") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  auto a = authenticate(*config, chat, headers({{"Authorization", "Bearer key-web"}}));
  REQUIRE(a.consumer != nullptr);
  CHECK(a.consumer->name == "web");
  auto b = authenticate(*config, chat, headers({{"x-api-key", "key-lab-old"}}));
  REQUIRE(b.consumer != nullptr);
  CHECK(b.consumer->name == "lab");
  auto c = authenticate(*config, chat, headers({{"authorization", "bearer   key-lab  "}}));
  REQUIRE(c.consumer != nullptr);
  CHECK(c.consumer->name == "lab");
}

TEST_CASE("a missing, unknown or malformed key is 401 and the message never echoes the key") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  auto missing = authenticate(*config, chat, {});
  REQUIRE(missing.error);
  CHECK(missing.error->status == 401);
  CHECK(missing.error->message == "missing API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY'");
  auto wrong = authenticate(*config, chat, headers({{"authorization", "Bearer key-webX"}}));
  REQUIRE(wrong.error);
  CHECK(wrong.error->status == 401);
  CHECK(wrong.error->message == "invalid API key");
  auto basic = authenticate(*config, chat, headers({{"authorization", "Basic a2V5LXdlYg=="}}));
  REQUIRE(basic.error);
  CHECK(basic.error->status == 401);
  CHECK(error_body(*wrong.error) == R"({"error":{"message":"invalid API key","type":"unauthorized"}})");
}

TEST_CASE("auth none admits without a consumer, jwt routes are refused until gwd verifies JWTs") {
  auto config = test::fixture();
  auto none = authenticate(*config, *config->route("health"), {});
  CHECK(!none.error);
  CHECK(none.consumer == nullptr);
  auto jwt = authenticate(*config, *config->route("sso"), headers({{"authorization", "Bearer key-web"}}));
  REQUIRE(jwt.error);
  CHECK(jwt.error->status == 401);
}

TEST_CASE("key comparison finds a key among many and refuses prefixes and extensions") {
  std::vector<KeyDigest> keys = {digest_key("alpha"), digest_key("beta")};
  CHECK(key_matches(keys, "beta"));
  CHECK(!key_matches(keys, "bet"));
  CHECK(!key_matches(keys, "betaa"));
  CHECK(!key_matches({}, "beta"));
}

TEST_CASE("a connection's key memo hashes a repeated key once and never mistakes another key for it") {
  KeyMemo memo;
  CHECK(memo.digest("key-web") == digest_key("key-web"));
  CHECK(memo.digest("key-web") == digest_key("key-web"));
  CHECK(memo.digest("key-weX") == digest_key("key-weX"));  // same length, other bytes
  CHECK(memo.digest("key-we") == digest_key("key-we"));    // a prefix of the last one
  CHECK(memo.digest("key-web") == digest_key("key-web"));
  std::string long_key(600, 'k');  // over what a memo keeps: hashed every time
  CHECK(memo.digest(long_key) == digest_key(long_key));
  CHECK(memo.digest("key-web") == digest_key("key-web"));

  // Through authenticate: a connection that switches keys is judged on the key it sends now.
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  KeyMemo conn;
  auto web = authenticate(*config, chat, headers({{"Authorization", "Bearer key-web"}}), &conn);
  REQUIRE(web.consumer != nullptr);
  CHECK(web.consumer->name == "web");
  auto wrong = authenticate(*config, chat, headers({{"Authorization", "Bearer key-weX"}}), &conn);
  REQUIRE(wrong.error);
  CHECK(wrong.error->status == 401);
  auto lab = authenticate(*config, chat, headers({{"x-api-key", "key-lab-old"}}), &conn);
  REQUIRE(lab.consumer != nullptr);
  CHECK(lab.consumer->name == "lab");
}

TEST_CASE("a consumer outside the route's scope is 403, a '*' scope allows every route") {
  auto config = test::fixture();
  const Consumer* web = &config->consumers[0];
  const Consumer* lab = &config->consumers[1];
  auto err = check_scope(*config->route("research"), web);
  REQUIRE(err);
  CHECK(err->status == 403);
  CHECK(err->message == "consumer 'web' may not use route 'research'");
  CHECK(!check_scope(*config->route("research"), lab));
  CHECK(!check_scope(*config->route("health"), nullptr));
}

TEST_CASE("a body that is not a JSON object is 400") {
  CHECK(parse_body("{\"model\": \"gpt\"}").body.model == "gpt");
  auto bad = parse_body("model=gpt");
  REQUIRE(bad.error);
  CHECK(bad.error->status == 400);
  CHECK(bad.error->message == "the request body is not valid JSON");
  auto list = parse_body("[1]");
  REQUIRE(list.error);
  CHECK(list.error->message == "the request body must be a JSON object");
  CHECK(parse_body("").error);
}

TEST_CASE("the body's model is used when the route allows it, else the route's default when none is named") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  const Consumer* web = &config->consumers[0];
  CHECK(choose_model(*config, chat, web, body(R"({"model": "gpt"})")).model->name == "gpt");
  CHECK(choose_model(*config, chat, web, body("{}")).model->name == "mini");
  CHECK(choose_model(*config, chat, web, body(R"({"model": null})")).model->name == "mini");
  // Escapes are decoded, and a duplicated member counts with its last value.
  CHECK(choose_model(*config, chat, web, body(R"({"model": "sonnet", "model": "g\u0070t"})")).model->name == "gpt");
}

TEST_CASE("a model the route does not serve is 400 listing the allowed ones") {
  auto config = test::fixture();
  auto c = choose_model(*config, *config->route("chat"), nullptr, body(R"({"model": "gpt-5"})"));
  REQUIRE(c.error);
  CHECK(c.error->status == 400);
  CHECK(c.error->message == "model 'gpt-5' is not served on route 'chat' (expected one of 'gpt', 'mini', 'sonnet')");
  auto n = choose_model(*config, *config->route("chat"), nullptr, body(R"({"model": 4})"));
  REQUIRE(n.error);
  CHECK(n.error->status == 400);
}

TEST_CASE("a model outside the consumer's models is 403") {
  auto config = test::fixture();
  auto c = choose_model(*config, *config->route("chat"), &config->consumers[0], body(R"({"model": "sonnet"})"));
  REQUIRE(c.error);
  CHECK(c.error->status == 403);
  CHECK(c.error->message == "consumer 'web' may not use model 'sonnet'");
}

TEST_CASE("deployments are picked by weight: 90/10 within 1.5 points over 10,000 decisions with a fixed seed") {
  auto config = test::fixture();
  const Model& gpt = *config->model("gpt");
  std::mt19937_64 rng(42);
  int canary = 0;
  for (int i = 0; i < 10000; ++i) {
    if (pick_deployment(gpt, nullptr, rng())->id == "gpt-4o-canary") ++canary;
  }
  CHECK(canary > 850);
  CHECK(canary < 1150);
}

TEST_CASE("an ejected deployment gets no traffic and its weight goes to the others") {
  auto config = test::fixture();
  const Model& gpt = *config->model("gpt");
  std::mt19937_64 rng(7);
  auto out = [](const Deployment& d) { return d.id == "gpt-4o-2024-11-20"; };
  for (int i = 0; i < 1000; ++i) CHECK(pick_deployment(gpt, out, rng())->id == "gpt-4o-canary");
}

TEST_CASE("when every deployment is ejected the pick still follows the weights") {
  auto config = test::fixture();
  const Model& gpt = *config->model("gpt");
  std::mt19937_64 rng(7);
  int primary = 0;
  for (int i = 0; i < 1000; ++i)
    primary += pick_deployment(
                   gpt, [](const Deployment&) { return true; }, rng())
                   ->weight == 9000;
  CHECK(primary > 850);
}

TEST_CASE("the model is spliced into the client's body, which is otherwise forwarded byte for byte") {
  Deployment d;
  d.id = "gpt-4o-2024-11-20";
  CHECK(rewrite_model(body(R"( {"messages": [{"model": "x"}],  "model" : "gpt", "n": 1.50} )"), d) ==
        R"( {"messages": [{"model": "x"}],  "model" : "gpt-4o-2024-11-20", "n": 1.50} )");
  // Every top-level "model" is rewritten, so the upstream cannot read another one.
  CHECK(rewrite_model(body(R"({"model":"a","model":null})"), d) ==
        R"({"model":"gpt-4o-2024-11-20","model":"gpt-4o-2024-11-20"})");
  // A body without one gets it as its first member.
  CHECK(rewrite_model(body(R"({ "messages": []})"), d) == R"({"model":"gpt-4o-2024-11-20", "messages": []})");
  CHECK(rewrite_model(body("{ }"), d) == R"({"model":"gpt-4o-2024-11-20" })");
  // A byte-order mark is not forwarded.
  CHECK(rewrite_model(body("\xEF\xBB\xBF{\"model\": \"gpt\"}"), d) == R"({"model": "gpt-4o-2024-11-20"})");
  CHECK(rewrite_model(body("\xEF\xBB\xBF {}"), d) == R"( {"model":"gpt-4o-2024-11-20"})");
  d.id = "acme/\"quoted\"\n";
  CHECK(rewrite_model(body("{}"), d) == R"({"model":"acme/\"quoted\"\n"})");
  CHECK(json::parse(rewrite_model(body(R"({"model": "gpt", "stream": true})"), d))["model"] == d.id);
}

TEST_CASE("stream is read only when the top-level stream is true") {
  CHECK(wants_stream(body(R"({"model": "gpt", "stream": true})")));
  CHECK(!wants_stream(body(R"({"stream": "yes"})")));
  auto twice = parse_body(R"({"stream": true, "stream": false})");
  REQUIRE(twice.error);
  CHECK(twice.error->status == 400);
  CHECK(twice.error->message == "the request body names \"stream\" more than once");
  CHECK(!wants_stream(body(R"({"options": {"stream": true}})")));
  CHECK(!wants_stream(body("{}")));
}
