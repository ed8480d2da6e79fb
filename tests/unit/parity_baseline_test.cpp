// Parity between environments (GW701 drift, GW702 flags out of promotion order) and baselines
// (findings accepted for now, keyed by entity and value rather than line; GW118 stale entries).
#include <catch2/catch.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gwctl/parity.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

namespace {

// Lints with parity on; a baseline (whose tests are not about parity) turns it off.
Linted lint_with(const std::map<std::string, std::string>& files, const Baseline* baseline = nullptr,
                 bool parity = true) {
  LintOptions options;
  options.baseline = baseline;
  options.parity = parity;
  return lint_project(files, options);
}

// The project's drift between dev and prod.
std::vector<Drift> drift_of(const std::map<std::string, std::string>& files,
                            const std::vector<std::string>& envs = {"dev", "prod"}) {
  MemoryReader reader = reader_of(files);
  Diagnostics diags;
  auto p = load_project(reader, {}, diags);
  if (!p) throw std::runtime_error(p.error().message);
  Project project = std::move(*p);
  Pipeline pipeline(project);
  return parity_drift(pipeline, envs);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// GW701 drift

TEST_CASE("a value an env overlay sets differently is GW701 at the overlay line", "[parity][GW701]") {
  std::string prod = "routes:\n  - name: chat\n    timeouts: {total: 30s}\n";
  auto l = lint_with(project_with(prod));
  INFO(l.dump());
  auto f = l.of("GW701");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message ==
        "'routes[chat].timeouts.total' differs between environments (dev: 60s, prod: 30s) outside parity.may_differ");
  CHECK(l.at(f[0].diag.span) == "envs/prod.yaml:" + pos(prod, "30s"));
  CHECK(f[0].diag.path == "/routes/chat/timeouts/total");
  CHECK(f[0].envs == std::vector<std::string>{"prod"});
  CHECK(f[0].layer == "env:prod");
  CHECK_FALSE(f[0].diag.hint.empty());
}

TEST_CASE("each overlay that sets a drifting value is blamed", "[parity][GW701]") {
  auto files = project_with("routes:\n  - name: chat\n    timeouts: {total: 30s}\n");
  files["envs/dev.yaml"] = "gateway: {listen: '127.0.0.1:8080'}\nroutes:\n  - name: chat\n    timeouts: {total: 45s}\n";
  auto l = lint_with(files);
  INFO(l.dump());
  auto f = l.of("GW701");
  REQUIRE(f.size() == 2);
  CHECK(l.at(f[0].diag.span) == "envs/dev.yaml:" + pos(files["envs/dev.yaml"], "45s"));
  CHECK(f[0].envs == std::vector<std::string>{"dev"});
  CHECK(l.at(f[1].diag.span) == "envs/prod.yaml:" + pos(files["envs/prod.yaml"], "30s"));
  CHECK(f[1].envs == std::vector<std::string>{"prod"});
  CHECK(f[0].diag.message == f[1].diag.message);
  CHECK(f[0].diag.message ==
        "'routes[chat].timeouts.total' differs between environments (dev: 45s, prod: 30s) outside parity.may_differ");
}

TEST_CASE("values under parity.may_differ may differ between environments", "[parity][GW701]") {
  // The default list: listen, replicas, provider base_url, route limits, consumers.
  auto l = lint_with(project_with(R"(gateway: {replicas: 1}
providers:
  openai: {base_url: https://eu.api.openai.com/v1}
routes:
  - name: chat
    limits: [{requests: 10, per: 1m}]
consumers:
  - name: web
    api_keys: ["${secret:WEB_KEY}"]
    routes: [chat]
)"));
  INFO(l.dump());
  CHECK(l.of("GW701").empty());
}

TEST_CASE("parity.may_differ in gwctl.yaml replaces the default list", "[parity][GW701]") {
  auto files = project_with("routes:\n  - name: chat\n    timeouts: {total: 30s}\n");
  files["gwctl.yaml"] = "environments: [dev, prod]\nparity:\n  may_differ: [/routes/*/timeouts]\n";
  auto l = lint_with(files);
  INFO(l.dump());
  auto f = l.of("GW701");
  // The timeouts may differ now; the listen address of dev's overlay may not.
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.path == "/gateway/listen");
  CHECK(l.at(f[0].diag.span) == "envs/dev.yaml:1:19");
  CHECK(f[0].diag.message ==
        "'gateway.listen' differs between environments (dev: 127.0.0.1:8080, prod: (absent)) outside "
        "parity.may_differ");
}

TEST_CASE("a flag overlay's values are not drift, and a flag on everywhere is fine", "[parity][GW701][GW702]") {
  auto files = project_with("flags: {fast: true}\n");
  files["envs/dev.yaml"] = "gateway: {listen: '127.0.0.1:8080'}\nflags: {fast: true}\n";
  files["flags/fast.yaml"] = "routes:\n  - name: chat\n    timeouts: {total: 10s, first_byte: 5s, idle: 5s}\n";
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.of("GW701").empty());
  CHECK(l.of("GW702").empty());
}

TEST_CASE("a value that differs through a ${var:} set per environment is GW701", "[parity][GW701]") {
  std::string base = minimal_base;
  base.replace(base.find("total: 60s"), 10, "total: \"${var:total}\"");
  auto files = project_with("vars: {total: 30s}\n", base);
  files["envs/dev.yaml"] = "gateway: {listen: '127.0.0.1:8080'}\nvars: {total: 60s}\n";
  auto l = lint_with(files);
  INFO(l.dump());
  auto f = l.of("GW701");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.message ==
        "'routes[chat].timeouts.total' differs between environments (dev: 60s, prod: 30s) outside parity.may_differ");
  // Neither overlay sets the value itself: the finding points at the line that uses the var.
  CHECK(l.at(f[0].diag.span) == "base/gateway.yaml:" + pos(base, "\"${var:total}\""));
}

TEST_CASE("a flag on in prod but off in the environment before is GW702", "[parity][GW702]") {
  std::string prod = "flags: {fast: true}\n";
  auto files = project_with(prod);
  files["flags/fast.yaml"] = "routes:\n  - name: chat\n    timeouts: {total: 10s, first_byte: 5s, idle: 5s}\n";
  auto l = lint_with(files);
  INFO(l.dump());
  auto f = l.of("GW702");
  REQUIRE(f.size() == 1);
  CHECK(f[0].diag.severity == Severity::warning);
  CHECK(f[0].diag.message == "flag 'fast' is on in 'prod' but off in 'dev', which comes before it in promotion order");
  CHECK(l.at(f[0].diag.span) == "envs/prod.yaml:" + pos(prod, "true"));
  CHECK(f[0].envs == std::vector<std::string>{"prod"});
  CHECK(f[0].diag.hint == "turn it on in 'dev' first, so that it runs there before 'prod'");
  // The flag's own values are not drift.
  CHECK(l.of("GW701").empty());
}

TEST_CASE("a flag on in dev but off in prod is not GW702", "[parity][GW702]") {
  auto files = project_with("");
  files["envs/dev.yaml"] = "gateway: {listen: '127.0.0.1:8080'}\nflags: {fast: true}\n";
  files["flags/fast.yaml"] = "routes:\n  - name: chat\n    timeouts: {total: 10s, first_byte: 5s, idle: 5s}\n";
  auto l = lint_with(files);
  INFO(l.dump());
  CHECK(l.of("GW702").empty());
}

TEST_CASE("parity_drift lists each drifting value per environment, sorted by path", "[parity]") {
  std::string prod = "routes:\n  - name: chat\n    timeouts: {total: 30s}\n    cache: {ttl: 5m}\n";
  auto drift = drift_of(project_with(prod));
  REQUIRE(drift.size() == 2);
  CHECK(drift[0].path == "/routes/chat/cache");
  CHECK(drift[0].where == "routes[chat].cache");
  REQUIRE(drift[0].values.size() == 2);
  CHECK(drift[0].values[0].env == "dev");
  CHECK(drift[0].values[0].text == "(absent)");
  CHECK_FALSE(drift[0].values[0].span.valid());
  CHECK_FALSE(drift[0].values[0].by_overlay);
  CHECK(drift[0].values[1].env == "prod");
  CHECK(drift[0].values[1].text == R"({"ttl":"5m"})");
  CHECK(drift[0].values[1].by_overlay);

  CHECK(drift[1].path == "/routes/chat/timeouts/total");
  CHECK(drift[1].where == "routes[chat].timeouts.total");
  CHECK(drift[1].values[0].text == "60s");
  CHECK_FALSE(drift[1].values[0].by_overlay);
  CHECK(drift[1].values[0].span.line == 18);
  CHECK(drift[1].values[1].text == "30s");
  CHECK(drift[1].values[1].by_overlay);
  CHECK(drift[1].values[1].span.line == 3);
}

TEST_CASE("parity_drift compares three environments in the order asked", "[parity]") {
  auto files = project_with("routes:\n  - name: chat\n    timeouts: {total: 30s}\n");
  files["gwctl.yaml"] = "environments: [dev, staging, prod]\n";
  files["envs/staging.yaml"] = "routes:\n  - name: chat\n    timeouts: {total: 30s}\n";
  auto drift = drift_of(files, {"dev", "staging", "prod"});
  REQUIRE(drift.size() == 1);
  REQUIRE(drift[0].values.size() == 3);
  CHECK(drift[0].values[0].text == "60s");
  CHECK(drift[0].values[1].text == "30s");
  CHECK(drift[0].values[1].by_overlay);
  CHECK(drift[0].values[2].env == "prod");
  CHECK(drift_of(files, {"staging", "prod"}).empty());
  CHECK(drift_of(files, {"prod"}).empty());
}

TEST_CASE("parity_drift never shows a credential's value", "[parity][secrets]") {
  auto drift = drift_of(project_with("providers:\n  openai:\n    api_key: sk-proj-abcdefghijklmnopqrstuvwxyz0123\n"));
  REQUIRE(drift.size() == 1);
  CHECK(drift[0].path == "/providers/openai/api_key");
  CHECK(drift[0].values[0].text == "${secret:OPENAI_API_KEY}");
  CHECK(drift[0].values[1].text == "<secret>");
}

TEST_CASE("a drifting entity never shows a credential inside it", "[parity][secrets]") {
  // A provider only prod has: its whole mapping is the drifting value.
  std::string prod = R"(providers:
  backup:
    kind: openai-compatible
    base_url: https://bob:x7Gq9LmZ2vRt@llm.internal/v1
    api_key: ${secret:B}
)";
  auto files = project_with(prod);
  files["gwctl.yaml"] = "environments: [dev, prod]\nparity:\n  may_differ: [/gateway/listen]\n";
  auto drift = drift_of(files);
  auto backup = std::find_if(drift.begin(), drift.end(), [](const Drift& d) { return d.path == "/providers/backup"; });
  REQUIRE(backup != drift.end());
  CHECK(backup->values[0].text == "(absent)");
  CHECK(backup->values[1].text == R"({"api_key":"${secret:B}","base_url":"https://bob:********...)");
  // and so does lint's GW701, which quotes it
  auto l = lint_with(files);
  INFO(l.dump());
  auto f = l.of("GW701");
  REQUIRE_FALSE(f.empty());
  for (const auto& one : f) CHECK_FALSE(contains(one.diag.message, "x7Gq9LmZ"));
}

TEST_CASE("a drifting scalar never shows a credential the scan recognises", "[parity][secrets]") {
  auto files = project_with("providers:\n  openai:\n    base_url: https://bob:x7Gq9LmZ2vRt@api.openai.com/v1\n");
  files["gwctl.yaml"] = "environments: [dev, prod]\nparity:\n  may_differ: [/gateway/listen]\n";
  auto drift = drift_of(files);
  REQUIRE(drift.size() == 1);
  CHECK(drift[0].path == "/providers/openai/base_url");
  CHECK(drift[0].values[1].text == "https://bob:************@api.openai.com/v1");
}

// ---------------------------------------------------------------------------------------------
// Baselines

namespace {

// TLS verification off and a pattern-like origin: GW403 and GW402 in prod.
const char* risky = R"(providers:
  openai:
    tls: {verify: false}
routes:
  - name: chat
    cors: {origins: ["https://*.acme.com"]}
)";

// Lints without parity: an overlay's every value would also be GW701 drift.
Linted lint_only(const std::map<std::string, std::string>& files, const Baseline* baseline = nullptr) {
  return lint_with(files, baseline, false);
}

Baseline baseline_of(const std::map<std::string, std::string>& files) {
  auto l = lint_only(files);
  return make_baseline(l.result, l.project->sources);
}

std::vector<std::string> rules_of(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.diag.rule);
  return out;
}

}  // namespace

TEST_CASE("a baseline written from a lint run hides every finding of the same config", "[baseline]") {
  auto files = project_with(risky);
  auto first = lint_only(files);
  REQUIRE(rules_of(first.result.findings) == std::vector<std::string>{"GW403", "GW402"});
  Baseline b = make_baseline(first.result, first.project->sources);
  REQUIRE(b.entries.size() == 2);
  for (const auto& e : b.entries) {
    CHECK(e.file == "envs/prod.yaml");
    CHECK(e.value.size() == 16);
  }
  CHECK(b.entries[0].rule == "GW402");
  CHECK(b.entries[0].entity == "routes[chat].cors.origins[0]");
  CHECK(b.entries[1].rule == "GW403");
  CHECK(b.entries[1].entity == "providers.openai.tls.verify");

  auto again = lint_only(files, &b);
  INFO(again.dump());
  CHECK(again.result.findings.empty());
  CHECK(again.result.baselined == 2);
  CHECK(rules_of(again.result.accepted) == std::vector<std::string>{"GW403", "GW402"});
}

TEST_CASE("a hand-edited baseline matches in any order, and a repeated entry is not stale", "[baseline]") {
  auto files = project_with(risky);
  Baseline b = baseline_of(files);
  REQUIRE(b.entries.size() == 2);
  std::reverse(b.entries.begin(), b.entries.end());
  b.entries.push_back(b.entries.front());
  auto l = lint_only(files, &b);
  INFO(l.dump());
  CHECK(l.result.findings.empty());
  CHECK(l.result.baselined == 2);
}

TEST_CASE("a baseline survives lines inserted above the findings", "[baseline]") {
  Baseline b = baseline_of(project_with(risky));
  auto moved = lint_only(project_with(std::string("# prod overrides\n\n# reviewed by security\n") + risky), &b);
  INFO(moved.dump());
  CHECK(moved.result.findings.empty());
  CHECK(moved.result.baselined == 2);
}

TEST_CASE("a changed offending value is a new finding and its old entry goes stale", "[baseline][GW118]") {
  Baseline b = baseline_of(project_with(risky));
  std::string changed = risky;
  changed.replace(changed.find("acme.com"), 8, "evil.com");
  auto l = lint_only(project_with(changed), &b);
  INFO(l.dump());
  CHECK(l.result.baselined == 1);  // the TLS finding is unchanged
  auto origin = l.of("GW402");
  REQUIRE(origin.size() == 1);
  CHECK(origin[0].diag.message ==
        "origin 'https://*.evil.com' of route 'chat' looks like a pattern but origins are compared exactly");
  auto stale = l.of("GW118");
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].diag.severity == Severity::info);
  CHECK(stale[0].diag.message ==
        "baseline entry for GW402 in 'envs/prod.yaml' at routes[chat].cors.origins[0] no longer matches a finding");
}

TEST_CASE("a fixed finding leaves its baseline entry stale as GW118 info", "[baseline][GW118]") {
  Baseline b = baseline_of(project_with(risky));
  std::string fixed = risky;
  fixed.replace(fixed.find("verify: false"), 13, "verify: true");
  auto l = lint_only(project_with(fixed), &b);
  INFO(l.dump());
  REQUIRE(l.result.findings.size() == 1);
  const Finding& f = l.result.findings[0];
  CHECK(f.diag.rule == "GW118");
  CHECK(f.diag.severity == Severity::info);
  CHECK(f.diag.message ==
        "baseline entry for GW403 in 'envs/prod.yaml' at providers.openai.tls.verify no longer matches a finding");
  CHECK(f.diag.hint == "the problem was fixed or its value changed: refresh the baseline with --write-baseline");
  CHECK(f.fingerprint.size() == 32);
}

TEST_CASE("the same finding on another entity is not covered by the baseline", "[baseline]") {
  Baseline b = baseline_of(project_with(risky));
  std::string more = std::string(risky) + R"(  - name: embed
    match: {path: /v1/embeddings}
    models: [gpt-4o]
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {max_attempts: 2}
    limits: [{requests: 100, per: 1m}]
    cors: {origins: ["https://*.acme.com"]}
)";
  auto l = lint_only(project_with(more), &b);
  INFO(l.dump());
  auto f = l.of("GW402");
  REQUIRE(f.size() == 1);
  CHECK(f[0].entity == "routes[embed].cors.origins[0]");
  CHECK(l.of("GW118").empty());
}

TEST_CASE("a rotated literal secret is a new finding", "[baseline][secrets]") {
  auto files = project_with("providers:\n  openai:\n    api_key: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789AB\n");
  Baseline b = baseline_of(files);
  REQUIRE_FALSE(b.entries.empty());
  CHECK(lint_only(files, &b).result.findings.empty());
  auto rotated = project_with("providers:\n  openai:\n    api_key: sk-proj-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ab\n");
  auto l = lint_only(rotated, &b);
  INFO(l.dump());
  std::size_t fresh = 0;
  for (const auto& f : l.result.findings) fresh += f.diag.rule != "GW118" ? 1 : 0;
  CHECK(fresh >= 1);
  CHECK(l.result.baselined == 0);
}

TEST_CASE("a baseline round-trips through its JSON form", "[baseline]") {
  Baseline b = baseline_of(project_with(risky));
  nlohmann::json j = baseline_to_json(b);
  CHECK(j["format_version"] == 1);
  CHECK(j["tool"] == "gwctl");
  REQUIRE(j["entries"].size() == 2);
  CHECK(j["entries"][0]["rule"] == "GW402");
  std::string error;
  auto parsed = parse_baseline(j.dump(2), error);
  REQUIRE(parsed);
  CHECK(error.empty());
  CHECK(parsed->entries == b.entries);
}

TEST_CASE("parse_baseline rejects malformed input with a message", "[baseline]") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "not a JSON object (write one with 'gwctl lint --write-baseline FILE')"},
      {"baseline", "not a JSON object (write one with 'gwctl lint --write-baseline FILE')"},
      {"[]", "not a JSON object (write one with 'gwctl lint --write-baseline FILE')"},
      {R"({"entries": []})", "unsupported format_version (expected 1)"},
      {R"({"format_version": 2, "entries": []})", "unsupported format_version (expected 1)"},
      {R"({"format_version": 1})", "'entries' must be a list"},
      {R"({"format_version": 1, "entries": {}})", "'entries' must be a list"},
      {R"({"format_version": 1, "entries": [{"rule": "GW402", "file": "a.yaml", "entity": "x"}]})",
       "entry 1 needs 'rule' and 'value'"},
      {R"({"format_version": 1, "entries": [{"rule": "GW402", "value": "ab"}, 42]})",
       "entry 2 needs 'rule' and 'value'"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string error;
    auto b = parse_baseline(c.text, error);
    CHECK_FALSE(b);
    CHECK(error == c.error);
  }
  std::string error;
  auto empty = parse_baseline(R"({"format_version": 1, "entries": []})", error);
  REQUIRE(empty);
  CHECK(empty->entries.empty());
}

// A hand-edited baseline with a quoted version is refused with a message, not an exception.
TEST_CASE("parse_baseline rejects a format_version that is not a number", "[baseline]") {
  std::string error;
  std::optional<Baseline> b;
  REQUIRE_NOTHROW(b = parse_baseline(R"({"format_version": "1", "entries": []})", error));
  CHECK_FALSE(b);
  CHECK(error == "unsupported format_version (expected 1)");
}

TEST_CASE("a rewritten baseline keeps the accepted findings, adds new ones and drops stale ones", "[baseline]") {
  Baseline b = baseline_of(project_with(risky));
  // Unchanged config: the rewrite is the same baseline.
  auto same = lint_only(project_with(risky), &b);
  CHECK(make_baseline(same.result, same.project->sources).entries == b.entries);

  // TLS fixed, body logging added: GW403 goes, GW408 comes, GW402 stays.
  std::string next = risky;
  next.replace(next.find("verify: false"), 13, "verify: true");
  next += "    log: {bodies: true}\n";
  auto l = lint_only(project_with(next), &b);
  INFO(l.dump());
  CHECK(rules_of(l.result.accepted) == std::vector<std::string>{"GW402"});
  Baseline rewritten = make_baseline(l.result, l.project->sources);
  std::vector<std::string> rules;
  for (const auto& e : rewritten.entries) rules.push_back(e.rule);
  CHECK(rules == std::vector<std::string>{"GW402", "GW408"});
  CHECK(rewritten.entries[0] == b.entries[0]);
}
