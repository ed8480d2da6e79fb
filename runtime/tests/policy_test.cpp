#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "gwd/ejection.hpp"
#include "gwd/limits.hpp"
#include "gwd/plan.hpp"

using namespace gwd;

TEST_CASE("a request limit refuses with 429 and a Retry-After once the bucket is empty, then refills") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");  // 2 requests per second per consumer
  const Consumer* web = &config->consumers[0];
  Limiter limiter;
  CHECK(!limiter.admit(chat, web, "1.2.3.4", 0));
  CHECK(!limiter.admit(chat, web, "1.2.3.4", 0));
  auto refused = limiter.admit(chat, web, "1.2.3.4", 0);
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(refused->retry_after == 500);
  CHECK(refused->message == "too many requests: a limit of 2 requests per 1000 ms is used up");
  CHECK(!limiter.admit(chat, web, "1.2.3.4", 500));
  CHECK(limiter.admit(chat, web, "1.2.3.4", 500));
}

TEST_CASE("consumer-keyed limits count each consumer apart") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  Limiter limiter;
  CHECK(!limiter.admit(chat, &config->consumers[0], "", 0));
  CHECK(!limiter.admit(chat, &config->consumers[0], "", 0));
  CHECK(!limiter.admit(chat, &config->consumers[1], "", 0));
}

TEST_CASE("a refused request takes nothing from the other buckets") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  Limiter limiter;
  const Consumer* web = &config->consumers[0];
  for (int i = 0; i < 5; ++i) limiter.admit(chat, web, "", 0);
  // The consumer's own bucket (100 a minute) lost only the 2 admitted requests: 98 more fit
  // on a route without limits of its own.
  int admitted = 0;
  while (!limiter.admit(*config->route("files"), web, "", 0)) ++admitted;
  CHECK(admitted == 98);
}

TEST_CASE("token limits refuse once the tokens charged in the window reach the limit, until the window ends") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");  // 100 tokens per minute for the whole route
  Limiter limiter;
  const Consumer* lab = &config->consumers[1];
  CHECK(!limiter.admit(chat, lab, "", 0));
  limiter.charge(chat, lab, "", 120, 0, 10);
  auto refused = limiter.admit(chat, &config->consumers[0], "", 20);
  REQUIRE(refused);
  CHECK(refused->retry_after == 59980);
  CHECK(!limiter.admit(chat, lab, "", 60000));
}

TEST_CASE("a budget refuses once the cost charged in its window reaches it") {
  auto config = test::fixture();
  const Route& files = *config->route("files");
  const Consumer* lab = &config->consumers[1];  // 0.50 USD a day
  Limiter limiter;
  CHECK(!limiter.admit(files, lab, "", 0));
  limiter.charge(files, lab, "", 10, 0.5, 0);
  auto refused = limiter.admit(files, lab, "", 1);
  REQUIRE(refused);
  CHECK(refused->message == "too many requests: a budget is used up");
}

namespace {
const Route::Eject policy{0.5, 10000, 4};
}

TEST_CASE("a deployment is not ejected before min_requests, whatever its error rate") {
  Ejector e;
  CHECK(e.record("p/m", true, policy, 0) == Ejector::Change::none);
  CHECK(e.record("p/m", true, policy, 1) == Ejector::Change::none);
  CHECK(e.record("p/m", true, policy, 2) == Ejector::Change::none);
  CHECK(!e.ejected("p/m", 3));
  CHECK(e.record("p/m", true, policy, 3) == Ejector::Change::ejected);
  CHECK(e.ejected("p/m", 4));
  CHECK(e.ejected_list(4) == std::vector<std::string>{"p/m"});
  CHECK(e.ejections() == 1);
}

TEST_CASE("an error rate at or under the threshold keeps the deployment in") {
  Ejector e;
  for (int i = 0; i < 10; ++i) CHECK(e.record("p/m", i % 2 == 1, policy, i) == Ejector::Change::none);
  CHECK(!e.ejected("p/m", 10));
}

TEST_CASE("failures older than the window are forgotten") {
  Ejector e;
  for (int i = 0; i < 3; ++i) e.record("p/m", true, policy, i);
  CHECK(e.record("p/m", true, policy, 20000) == Ejector::Change::none);
}

TEST_CASE("after one window an ejected deployment is probed: a success restores it") {
  Ejector e;
  for (int i = 0; i < 4; ++i) e.record("p/m", true, policy, i);
  CHECK(e.ejected("p/m", 10002));
  CHECK(!e.ejected("p/m", 10003));
  CHECK(e.record("p/m", false, policy, 10010) == Ejector::Change::restored);
  CHECK(e.record("p/m", true, policy, 10020) == Ejector::Change::none);
}

TEST_CASE("a failed probe ejects again for twice as long") {
  Ejector e;
  for (int i = 0; i < 4; ++i) e.record("p/m", true, policy, i);
  CHECK(e.record("p/m", true, policy, 10010) == Ejector::Change::ejected);
  CHECK(e.ejected("p/m", 30009));
  CHECK(!e.ejected("p/m", 30010));
  CHECK(e.ejections() == 2);
}

TEST_CASE("retries on the same model with doubling backoff, then falls back along the fallbacks") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");  // retries 2, backoff 100..300, max_attempts 5
  AttemptPlan plan(*config, chat, *config->model("gpt"), 0);
  using K = AttemptPlan::Step::Kind;
  plan.begin_attempt();
  auto s1 = plan.next(Outcome::of_status(500), 10);
  CHECK(s1.kind == K::retry);
  CHECK(s1.delay == 100);
  plan.begin_attempt();
  auto s2 = plan.next(Outcome::of_status(500), 20);
  CHECK(s2.kind == K::retry);
  CHECK(s2.delay == 200);
  plan.begin_attempt();
  CHECK(plan.next(Outcome::of_status(500), 30).kind == K::fallback);
  CHECK(plan.model().name == "mini");
  plan.begin_attempt();
  CHECK(plan.next(Outcome::timed_out(), 40).kind == K::retry);
  plan.begin_attempt();
  CHECK(plan.attempts() == 5);
  CHECK(plan.next(Outcome::timed_out(), 50).kind == K::give_up);
}

TEST_CASE("an outcome only in fallback_on falls back at once, one in neither gives up") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  using K = AttemptPlan::Step::Kind;
  AttemptPlan plan(*config, chat, *config->model("gpt"), 0);
  plan.begin_attempt();
  CHECK(plan.next(Outcome::connect_failed(), 0).kind == K::fallback);
  plan.begin_attempt();
  CHECK(plan.next(Outcome::of_status(502), 0).kind == K::give_up);
  CHECK(!plan.is_failure(Outcome::of_status(502)));
  CHECK(plan.is_failure(Outcome::of_status(503)));
}

TEST_CASE("fallbacks are each tried once and a fallback's own fallbacks are not followed") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  using K = AttemptPlan::Step::Kind;
  AttemptPlan plan(*config, chat, *config->model("mini"), 0);  // mini falls back to gpt only
  plan.begin_attempt();
  CHECK(plan.next(Outcome::connect_failed(), 0).kind == K::fallback);
  CHECK(plan.model().name == "gpt");
  plan.begin_attempt();
  CHECK(plan.next(Outcome::connect_failed(), 0).kind == K::give_up);
}

TEST_CASE("no retry whose backoff would end after timeouts.total, the backoff is capped at max") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");  // total 10 s
  using K = AttemptPlan::Step::Kind;
  AttemptPlan plan(*config, chat, *config->model("sonnet"), 0);
  plan.begin_attempt();
  CHECK(plan.next(Outcome::of_status(429), 9950).kind == K::give_up);
  CHECK(plan.remaining(9950) == 50);
  CHECK(plan.remaining(20000) == 0);
  AttemptPlan late(*config, chat, *config->model("gpt"), 0);
  late.begin_attempt();
  CHECK(late.next(Outcome::of_status(429), 10000).kind == K::give_up);
}

TEST_CASE("an outcome without a response maps to 504 for timeouts and 502 otherwise") {
  CHECK(upstream_error(Outcome::timed_out()).status == 504);
  CHECK(upstream_error(Outcome::connect_failed()).status == 502);
  CHECK(upstream_error(Outcome::of_status(500)).message == "the upstream provider failed (status 500)");
}
