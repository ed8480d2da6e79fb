// The runner of `gwctl test`: compiles the variants the tests name and sends each test's
// request through gwd's decision library (gwd/request.hpp), in the order gwd takes them.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <fmt/format.h>

#include "gwctl/artifact.hpp"
#include "gwctl/route_test.hpp"
#include "gwd/config.hpp"
#include "gwd/plan.hpp"
#include "gwd/request.hpp"

namespace gwctl {

namespace {

using json = nlohmann::json;

constexpr gwd::Millis test_clock_start = 1'000'000'000;   // any fixed instant
constexpr std::string_view test_client_ip = "192.0.2.1";  // TEST-NET-1

// Every secret becomes a value derived from its name: distinct per name, the same every run,
// never a real credential, never printed.
std::string fake_secret(const std::string& name) {
  return "gwctl-test-" + sha256_hex("gwctl test secret\n" + name).substr(0, 32);
}

std::string fallback_branch(const std::vector<std::string>& chain) {
  std::string out = "fallback";
  for (std::size_t i = 0; i < chain.size(); ++i) out += (i == 0 ? " " : " -> ") + chain[i];
  return out;
}

bool lists(const json& names, const std::string& name) {
  if (!names.is_array()) return false;
  return std::any_of(names.begin(), names.end(), [&](const json& n) { return n == "*" || n == name; });
}

bool has_request_limit(const json& limits) {
  if (!limits.is_array()) return false;
  return std::any_of(limits.begin(), limits.end(), [](const json& l) { return l.contains("requests"); });
}

std::string join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

std::string quoted(const std::optional<std::string>& v, std::string_view none) {
  return v ? "'" + *v + "'" : std::string(none);
}

std::string percent(double p) {
  double r = std::round(p * 100) / 100;
  if (r == std::floor(r)) return fmt::format("{}%", static_cast<long long>(r));
  return fmt::format("{:.2f}%", r);
}

std::string duration_text(std::int64_t ms) {
  if (ms % 1000 != 0) return fmt::format("{}ms", ms);
  std::int64_t s = ms / 1000;
  if (s % 3600 == 0 && s > 0) return fmt::format("{}h", s / 3600);
  if (s % 60 == 0 && s > 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

struct Compiled {
  bool ok = false;
  json config;  // the artifact's "config"
  std::shared_ptr<const gwd::Config> decisions;
  std::map<std::string, std::string, std::less<>> consumer_key;  // consumer → its first key (fake)
  std::map<std::string, std::vector<std::string>> names;         // "routes", "consumers", "models"
  std::map<std::string, std::set<std::string, std::less<>>> name_set;
};

class Runner {
 public:
  Runner(const Project& project, const RouteTestOptions& options, Diagnostics& diags)
      : project_(project), pipeline_(project, PipelineOptions{false}), options_(options), diags_(diags) {
    envs_ = project.settings.environments;
    if (envs_.empty()) {
      for (const auto& [name, layer] : project.envs) envs_.push_back(name);
    }
  }

  TestReport run(const std::vector<RouteTestFile>& files) {
    TestReport report;
    std::vector<std::string> cover_envs = options_.env ? std::vector<std::string>{*options_.env} : envs_;
    for (const RouteTestFile& file : files) {
      for (const RouteTest& test : file.tests) {
        if (test.env && std::find(envs_.begin(), envs_.end(), *test.env) == envs_.end()) {
          std::string guess = did_you_mean(*test.env, envs_);
          Diagnostic& d = diags_.error("GW119", "unknown environment '" + *test.env + "'", test.env_span);
          if (!guess.empty()) d.hint = "did you mean '" + guess + "'?";
          continue;
        }
        if (!known_flags(test)) continue;
        std::vector<std::string> run_envs;
        if (test.env) {
          if (!options_.env || *options_.env == *test.env) run_envs.push_back(*test.env);
        } else {
          run_envs = cover_envs;
        }
        for (const std::string& env : run_envs) {
          const Compiled* c = compiled(env, test.flags, test.span);
          if (c == nullptr || !references_ok(test, *c, env)) continue;
          report.results.push_back(run_one(file.file, test, env, *c));
        }
      }
    }
    for (const std::string& env : cover_envs) {
      const Compiled* c = compiled(env, {}, Span{});
      if (c == nullptr) continue;
      EnvCoverage cov = coverage_branches(env, c->config);
      const auto& hit = hits_[env];
      for (CoverageBranch& b : cov.branches) {
        b.covered = hit.count(b.route + '\n' + b.branch) > 0;
        if (b.branch == "matched" && b.covered) ++cov.routes_covered;
      }
      report.coverage.envs.push_back(std::move(cov));
    }
    return report;
  }

 private:
  bool known_flags(const RouteTest& test) {
    bool ok = true;
    for (std::size_t i = 0; i < test.flags.size(); ++i) {
      const std::string& name = test.flags[i].name;
      if (project_.flags.count(name)) continue;
      Diagnostic& d = diags_.error("GW119", "unknown flag '" + name + "'", test.flag_spans[i]);
      std::string guess = did_you_mean(name, project_.flag_names);
      if (!guess.empty()) d.hint = "did you mean '" + guess + "'?";
      ok = false;
    }
    return ok;
  }

  // The variant compiled once, or nullptr (reported once) when it does not compile.
  const Compiled* compiled(const std::string& env, const std::vector<FlagOverride>& flags, Span by) {
    std::string key = env;
    for (const FlagOverride& f : flags) key += (f.on ? "\n+" : "\n-") + f.name;
    auto [it, fresh] = variants_.try_emplace(key);
    Compiled& c = it->second;
    if (!fresh) return c.ok ? &c : nullptr;
    PipelineResult result = pipeline_.run(env, flags, Stage::emit);
    bool broken = result.artifact.is_null() || result.diags.has_errors();
    if (!broken) {
      c.config = result.artifact["config"];
      auto loaded = gwd::load_config(
          result.artifact, [](const std::string& name) -> std::optional<std::string> { return fake_secret(name); });
      if (loaded.ok()) {
        c.decisions = *loaded.value;
      } else {
        broken = true;
        diags_.error("GW119", "environment '" + env + "' cannot be loaded by gwd: " + loaded.error, by);
      }
    }
    if (broken) {
      if (result.diags.has_errors()) {
        diags_.error("GW119", "environment '" + env + "' does not compile; its errors follow", by);
        for (const Diagnostic& d : result.diags.all()) {
          if (d.severity == Severity::error) diags_.report(d);
        }
      }
      return nullptr;
    }
    for (const char* collection : {"routes", "consumers", "models"}) {
      auto& names = c.names[collection];
      auto found = c.config.find(collection);
      if (found != c.config.end() && found->is_object()) {
        for (const auto& [k, v] : found->items()) names.push_back(k);
      } else if (found != c.config.end() && found->is_array()) {
        for (const json& item : *found) names.push_back(item.value("name", ""));
      }
      c.name_set[collection] = {names.begin(), names.end()};
    }
    if (auto consumers = c.config.find("consumers"); consumers != c.config.end()) {
      for (const json& consumer : *consumers) {
        auto keys = consumer.find("api_keys");
        if (keys != consumer.end() && !keys->empty() && (*keys)[0].contains("$secret")) {
          c.consumer_key[consumer.value("name", "")] = fake_secret((*keys)[0]["$secret"].get<std::string>());
        }
      }
    }
    c.ok = true;
    return &c;
  }

  // A name the test uses must exist in the environment it runs in.
  bool references_ok(const RouteTest& test, const Compiled& c, const std::string& env) {
    std::size_t before = diags_.error_count();
    auto check = [&](const std::string& what, const char* collection, const std::string& name, Span at) {
      if (c.name_set.at(collection).count(name)) return;
      Diagnostic& d = diags_.error("GW119", fmt::format("unknown {} '{}' in environment '{}'", what, name, env), at);
      std::string guess = did_you_mean(name, c.names.at(collection));
      if (!guess.empty()) d.hint = "did you mean '" + guess + "'?";
    };
    if (test.request.consumer) {
      check("consumer", "consumers", *test.request.consumer, test.request.consumer_span);
      if (diags_.error_count() == before && !c.consumer_key.count(*test.request.consumer)) {
        diags_.error("GW119",
                     fmt::format("consumer '{}' has no API key in environment '{}'", *test.request.consumer, env),
                     test.request.consumer_span);
      }
    }
    const auto& x = test.expect;
    if (x.route && x.route->value) check("route", "routes", *x.route->value, x.route->span);
    if (x.consumer && x.consumer->value) check("consumer", "consumers", *x.consumer->value, x.consumer->span);
    if (x.model) check("model", "models", x.model->value, x.model->span);
    if (x.attempts) {
      for (const std::string& a : x.attempts->value) check("model", "models", a, x.attempts->span);
    }
    for (const auto& u : test.upstream) check("model", "models", u.alias, u.span);
    return diags_.error_count() == before;
  }

  TestResult run_one(std::uint32_t file, const RouteTest& test, const std::string& env, const Compiled& c) {
    TestResult r;
    r.test = &test;
    r.file = file;
    r.env = env;
    for (const FlagOverride& f : test.flags) r.flags.push_back(f.on ? f.name : f.name + "=false");
    const gwd::Config& config = *c.decisions;
    auto& hit = hits_[env];
    auto mark = [&](const std::string& route, const std::string& branch) { hit.insert(route + '\n' + branch); };

    // The request, as gwd would see it.
    std::vector<std::pair<std::string, std::string>> owned = test.request.headers;
    std::optional<std::string> key = test.request.api_key;
    if (test.request.consumer) key = c.consumer_key.at(*test.request.consumer);
    if (key) {
      if (test.request.x_api_key) {
        owned.emplace_back("x-api-key", *key);
      } else {
        owned.emplace_back("authorization", "Bearer " + *key);
      }
    }
    gwd::Headers headers;
    for (const auto& [n, v] : owned) headers.items.emplace_back(n, v);
    std::string body_text = test.request.body.dump();
    gwd::ClientRequest request{test.request.method, test.request.target, headers, body_text, test_client_ip};

    gwd::Limiter limiter;
    gwd::Millis now = test_clock_start;
    gwd::Admission admission;
    for (int i = 0; i < test.request.repeat; ++i) admission = gwd::admit(config, limiter, request, now);

    TestActual& a = r.actual;
    if (admission.route != nullptr) {
      a.route = admission.route->name;
      mark(*a.route, "matched");
    }
    if (admission.consumer != nullptr) a.consumer = admission.consumer->name;
    using Stage = gwd::Admission::Stage;
    if (admission.error) {
      a.status = admission.error->status;
      a.error = admission.error->type;
      a.error_message = admission.error->message;
      a.retry_after = admission.error->retry_after;
      if (admission.stage == Stage::auth) mark(*a.route, "auth");
      if (admission.stage == Stage::scope) mark(*a.route, "scope");
      if (admission.stage == Stage::limit) mark(*a.route, "limit");
    } else if (admission.stage == Stage::respond) {
      a.status = admission.route->respond->status;
      mark(*a.route, "respond");
    } else {
      forward(test, config, headers, admission, a, now);
      mark(*a.route, "forwarded");
      std::vector<std::string> chain;
      for (const std::string& m : a.attempts) {
        if (chain.empty() || chain.back() != m) {
          chain.push_back(m);
          if (chain.size() > 1) mark(*a.route, fallback_branch(chain));
        }
      }
    }
    compare(test, r);
    return r;
  }

  // The retry / fallback plan against the scripted outcomes, as the server walks it; time
  // passes only by backoff delays and timed-out attempts.
  void forward(const RouteTest& test, const gwd::Config& config, const gwd::Headers& headers, gwd::Admission& admission,
               TestActual& a, gwd::Millis now) {
    const gwd::Route& route = *admission.route;
    a.forwarded = true;
    a.model = admission.model->name;
    for (const gwd::Deployment& d : admission.model->deployments) a.deployments.emplace_back(d.key, d.weight);
    std::mt19937_64 rng(options_.seed);
    gwd::AttemptPlan plan(config, route, *admission.model, now);
    for (;;) {
      const gwd::Model& model = plan.model();
      gwd::PreparedAttempt p =
          gwd::prepare_attempt(config, model, admission.body, nullptr, rng(), test.request.target, headers);
      a.attempts.push_back(model.name);
      a.upstream_deployment = p.deployment->key;
      a.upstream_model = p.deployment->id;
      a.upstream_path = p.request.target;
      a.upstream_auth = "none";
      for (const auto& [name, value] : p.request.headers) {
        if (name == "authorization") a.upstream_auth = "bearer";
        if (name == "api-key" || name == "x-api-key") a.upstream_auth = name;
      }
      plan.begin_attempt();
      gwd::Millis left = plan.remaining(now);
      gwd::Outcome outcome = gwd::Outcome::of_status(200);
      for (const auto& u : test.upstream) {
        if (u.alias != model.name) continue;
        if (u.outcome.kind == ScriptedOutcome::Kind::timeout) outcome = gwd::Outcome::timed_out();
        if (u.outcome.kind == ScriptedOutcome::Kind::connect_error) outcome = gwd::Outcome::connect_failed();
        if (u.outcome.kind == ScriptedOutcome::Kind::status) outcome = gwd::Outcome::of_status(u.outcome.status);
      }
      if (left <= 0) outcome = gwd::Outcome::timed_out();
      if (outcome.kind == gwd::Outcome::Kind::timeout) now += std::min(route.first_byte_timeout, left);
      bool failed = plan.is_failure(outcome);
      if (!failed && outcome.kind == gwd::Outcome::Kind::status) {
        a.status = outcome.status;
        return;
      }
      auto step = plan.next(outcome, now);
      if (step.kind == gwd::AttemptPlan::Step::Kind::give_up) {
        if (outcome.kind == gwd::Outcome::Kind::status) {
          a.status = outcome.status;  // relayed as the upstream sent it
        } else {
          gwd::Error e = gwd::upstream_error(outcome);
          a.status = e.status;
          a.error = e.type;
          a.error_message = e.message;
        }
        return;
      }
      now += step.delay;
    }
  }

  static void compare(const RouteTest& test, TestResult& r) {
    const auto& x = test.expect;
    const TestActual& a = r.actual;
    auto miss = [&](std::string field, std::string expected, std::string actual, Span at) {
      r.mismatches.push_back({std::move(field), std::move(expected), std::move(actual), at});
    };
    if (x.route && x.route->value != a.route) {
      miss("route", quoted(x.route->value, "no route"), quoted(a.route, "no route"), x.route->span);
    }
    if (x.status && x.status->value != a.status) {
      std::string got = std::to_string(a.status);
      if (!a.error.empty()) got += " (" + a.error + ": " + a.error_message + ")";
      miss("status", std::to_string(x.status->value), got, x.status->span);
    }
    if (x.error && x.error->value != a.error) {
      miss("error", "'" + x.error->value + "'", a.error.empty() ? "none" : "'" + a.error + "'", x.error->span);
    }
    if (x.consumer && x.consumer->value != a.consumer) {
      miss("consumer", quoted(x.consumer->value, "none"), quoted(a.consumer, "none"), x.consumer->span);
    }
    if (x.model && std::optional<std::string>(x.model->value) != a.model) {
      miss("model", "'" + x.model->value + "'", quoted(a.model, "none (not forwarded)"), x.model->span);
    }
    if (x.deployments) {
      const auto& want = x.deployments->value;
      bool same = want.size() == a.deployments.size();
      for (std::size_t i = 0; same && i < want.size(); ++i) {
        same = want[i].first == a.deployments[i].first &&
               std::abs(want[i].second - a.deployments[i].second / 100.0) < 0.005;
      }
      if (!same) {
        std::vector<std::string> w, g;
        for (const auto& [d, p] : want) w.push_back(d + " " + percent(p));
        for (const auto& [d, bp] : a.deployments) g.push_back(d + " " + percent(bp / 100.0));
        miss("deployments", join(w), a.forwarded ? join(g) : "none (not forwarded)", x.deployments->span);
      }
    }
    if (x.attempts && x.attempts->value != a.attempts) {
      miss("attempts", join(x.attempts->value), join(a.attempts), x.attempts->span);
    }
    auto upstream = [&](const char* field, const auto& want, const std::string& got) {
      if (want && (!a.forwarded || want->value != got)) {
        miss(field, "'" + want->value + "'", a.forwarded ? "'" + got + "'" : "none (not forwarded)", want->span);
      }
    };
    upstream("upstream.deployment", x.upstream_deployment, a.upstream_deployment);
    upstream("upstream.model", x.upstream_model, a.upstream_model);
    upstream("upstream.auth", x.upstream_auth, a.upstream_auth);
    upstream("upstream.path", x.upstream_path, a.upstream_path);
    if (x.retry_after) {
      // What the client sees: Retry-After in whole seconds, rounded up.
      std::int64_t header = a.retry_after > 0 ? (a.retry_after + 999) / 1000 * 1000 : 0;
      if (header != x.retry_after->value) {
        miss("retry_after", duration_text(x.retry_after->value), header ? duration_text(header) : "none",
             x.retry_after->span);
      }
    }
  }

  const Project& project_;
  Pipeline pipeline_;
  RouteTestOptions options_;
  Diagnostics& diags_;
  std::vector<std::string> envs_;
  std::map<std::string, Compiled> variants_;
  std::map<std::string, std::set<std::string>> hits_;  // env → "route\nbranch"
};

}  // namespace

EnvCoverage coverage_branches(const std::string& env, const json& config) {
  EnvCoverage cov;
  cov.env = env;
  static const json none_array = json::array();
  static const json none_object = json::object();
  auto field = [](const json& j, const char* key, const json& fallback) -> const json& {
    auto it = j.find(key);
    return it != j.end() ? *it : fallback;
  };
  const json& consumers = field(config, "consumers", none_array);
  const json& models = field(config, "models", none_object);
  // The consumers allowed on each route (by name, or "*" for all), looked up once.
  std::map<std::string, std::vector<const json*>, std::less<>> scoped;
  std::vector<const json*> everywhere;
  for (const json& c : consumers) {
    for (const json& r : field(c, "routes", none_array)) {
      if (r == "*") {
        everywhere.push_back(&c);
        break;
      }
      scoped[r.get<std::string>()].push_back(&c);
    }
  }
  for (const json& route : field(config, "routes", none_array)) {
    std::string name = route.value("name", "");
    ++cov.routes;
    auto add = [&](std::string branch) { cov.branches.push_back({name, std::move(branch), false}); };
    add("matched");
    if (route.contains("respond")) {
      add("respond");
      continue;
    }
    std::string auth = route.contains("auth") ? route["auth"].value("type", "api_key") : "api_key";
    if (auth == "jwt") {
      add("auth");  // gwd answers 401 to every request on a JWT route until it verifies JWTs
      continue;
    }
    add("forwarded");
    bool keys = auth == "api_key";
    std::vector<const json*> allowed = everywhere;
    if (auto it = scoped.find(name); it != scoped.end()) {
      allowed.insert(allowed.end(), it->second.begin(), it->second.end());
      std::sort(allowed.begin(), allowed.end());
      allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    }
    if (keys) add("auth");
    if (keys && allowed.size() < consumers.size()) add("scope");
    bool limited = has_request_limit(field(route, "limits", none_array));
    if (keys) {
      for (const json* c : allowed) limited = limited || has_request_limit(field(*c, "limits", none_array));
    }
    if (limited) add("limit");
    // Fallback edges the plan can reach within max_attempts: each step to the next alias
    // costs one attempt when some outcome falls back without a retry, else retries + 1.
    const json& res = field(route, "resilience", none_object);
    const json& fallback_on = field(res, "fallback_on", none_array);
    if (fallback_on.empty()) continue;
    const json& retry_on = field(res, "retry_on", none_array);
    int retries = res.value("retries", 1);
    int max_attempts = res.value("max_attempts", 3);
    bool fast = retries == 0 || std::any_of(fallback_on.begin(), fallback_on.end(), [&](const json& o) {
                  return std::find(retry_on.begin(), retry_on.end(), o) == retry_on.end();
                });
    int step_cost = fast ? 1 : retries + 1;
    for (const json& alias : field(route, "models", none_array)) {
      std::string first = alias.get<std::string>();
      if (!models.contains(first)) continue;
      // On a keyed route, a model that no consumer allowed on the route may use is never served.
      if (keys && std::none_of(allowed.begin(), allowed.end(),
                               [&](const json* c) { return lists(field(*c, "models", none_array), first); })) {
        continue;
      }
      std::vector<std::string> chain{first};
      for (const json& f : field(models[first], "fallbacks", none_array)) {
        std::string fb = f.get<std::string>();
        if (!models.contains(fb) || field(models[fb], "deployments", none_array).empty()) continue;
        if (std::find(chain.begin(), chain.end(), fb) != chain.end()) continue;
        chain.push_back(fb);
      }
      for (std::size_t k = 1; k < chain.size(); ++k) {
        if (static_cast<int>(k) * step_cost > max_attempts - 1) break;
        add(fallback_branch(std::vector<std::string>(chain.begin(), chain.begin() + static_cast<long>(k) + 1)));
      }
    }
  }
  return cov;
}

std::size_t EnvCoverage::covered() const {
  return static_cast<std::size_t>(
      std::count_if(branches.begin(), branches.end(), [](const auto& b) { return b.covered; }));
}

std::size_t Coverage::covered() const {
  std::size_t n = 0;
  for (const auto& e : envs) n += e.covered();
  return n;
}

std::size_t Coverage::total() const {
  std::size_t n = 0;
  for (const auto& e : envs) n += e.branches.size();
  return n;
}

double Coverage::percent() const {
  return total() == 0 ? 100.0 : 100.0 * static_cast<double>(covered()) / static_cast<double>(total());
}

std::size_t TestReport::failed() const {
  return static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const auto& r) { return !r.passed(); }));
}

TestReport run_route_tests(const Project& project, const std::vector<RouteTestFile>& files,
                           const RouteTestOptions& options, Diagnostics& diags) {
  Runner runner(project, options, diags);
  return runner.run(files);
}

}  // namespace gwctl
