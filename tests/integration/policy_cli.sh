#!/usr/bin/env bash
# The policy engine through the real binary: a baseline round trip (write, accept, stale, a
# changed value is new), a team's declarative rules (rules/ and --rules), severity overrides,
# a broken rule file, and show's worst-case spend.
#   bash tests/integration/policy_cli.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

# A small, policy-clean tree in $1 with one route whose CORS origin can be made bad.
make_policy_tree() {
  local d=$1
  mkdir -p "$d/base" "$d/envs"
  printf 'environments: [dev, prod]\n' > "$d/gwctl.yaml"
  cat > "$d/base/gateway.yaml" << 'YAML'
version: 1
gateway:
  name: mini
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${secret:OPENAI_API_KEY}
models:
  gpt-4o:
    provider: openai
    id: gpt-4o-2024-11-20
    pricing: {input_per_mtok: 2.5, output_per_mtok: 10}
routes:
  - name: chat
    description: chat completions
    match: {path: /v1/chat/completions, methods: [POST]}
    models: [gpt-4o]
    default_model: gpt-4o
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {max_attempts: 2}
    limits: [{requests: 100, per: 1m, key: route}, {tokens: 100000, per: 1h, key: route}]
    cors: {origins: ["https://app.acme.com"]}
YAML
  printf 'gateway:\n  listen: 127.0.0.1:8080\n' > "$d/envs/dev.yaml"
  printf 'gateway:\n  replicas: 1\n' > "$d/envs/prod.yaml"
}

case_baseline_round_trip() {
  local d=$TMP/repo
  make_policy_tree "$d"
  check "a clean tree lints clean"
  gw -C "$d" lint
  expect_status 0

  sed -i 's|origins: \["https://app.acme.com"\]|origins: ["null"], credentials: true|' "$d/base/gateway.yaml"
  check "a 'null' CORS origin is GW402 at its line"
  gw -C "$d" lint
  expect_no_crash
  expect_status 1
  expect_output_has "base/gateway.yaml:23:22: error[GW402]"
  expect_output_has "credentials: true}"

  check "--write-baseline records it; the run still reports it"
  gw -C "$d" lint --write-baseline "$TMP/baseline.json"
  expect_status 1
  python3 -c 'import json, sys
b = json.load(open(sys.argv[1]))
assert b["format_version"] == 1, b
e = [x for x in b["entries"] if x["rule"] == "GW402"]
assert len(e) == 1 and e[0]["file"] == "base/gateway.yaml" and e[0]["entity"] == "routes[chat].cors.origins[0]", e
assert "line" not in e[0]' "$TMP/baseline.json" || fail "unexpected baseline content: $(cat "$TMP/baseline.json")"

  check "--baseline accepts it: exit 0, counted in the summary"
  gw -C "$d" lint --baseline "$TMP/baseline.json"
  expect_status 0
  expect_output_has "1 finding accepted by the baseline"

  check "lines inserted above do not break the baseline (keyed by entity, not line)"
  sed -i 's|^version: 1|# a comment\n# another\nversion: 1|' "$d/base/gateway.yaml"
  gw -C "$d" lint --baseline "$TMP/baseline.json"
  expect_status 0

  check "a changed offending value is a new finding, and the old entry is stale (GW118)"
  sed -i 's|origins: \["null"\]|origins: ["*"]|' "$d/base/gateway.yaml"
  gw -C "$d" lint --baseline "$TMP/baseline.json"
  expect_status 1
  expect_output_has "error[GW402]"
  expect_output_has "info[GW118]: baseline entry for GW402 in 'base/gateway.yaml' at routes[chat].cors.origins[0] no longer matches"

  check "a malformed baseline is exit 2 naming the file"
  printf '{"entries": 3}' > "$TMP/bad.json"
  gw -C "$d" lint --baseline "$TMP/bad.json"
  expect_status 2
  expect_output_has "the baseline '$TMP/bad.json' is malformed"
  check "a missing baseline is exit 2 naming the file"
  gw -C "$d" lint --baseline "$TMP/missing.json"
  expect_status 2
  expect_output_has "cannot read '$TMP/missing.json': no such file"
  check "a directory given as the baseline is exit 2 naming it, not an internal error"
  gw -C "$d" lint --baseline "$TMP"
  expect_no_crash
  expect_status 2
  expect_output_has "cannot read '$TMP': not a regular file"
  expect_output_lacks "internal error"
  check "an empty baseline is exit 2: malformed"
  : > "$TMP/empty.json"
  gw -C "$d" lint --baseline "$TMP/empty.json"
  expect_status 2
  expect_output_has "the baseline '$TMP/empty.json' is malformed: not a JSON object"
}

case_team_rules_and_overrides() {
  local d=$TMP/repo
  make_policy_tree "$d"
  mkdir -p "$d/rules" "$TMP/org-rules"
  cat > "$d/rules/ACME001.yaml" << 'YAML'
id: ACME001
title: route without an owner tag
severity: warning
select: /routes/*
target: config
schema: {required: [tags]}
message: "{path} has no tags; every route names its owning team"
fix: add tags [team-NAME]
YAML
  check "a team rule in rules/ fires with its own id, severity and message"
  gw -C "$d" lint --fail-on warning
  expect_status 1
  expect_output_has "base/gateway.yaml:15:5: warning[ACME001]: routes[chat] has no tags; every route names its owning team"

  check "explain prints a team rule's documentation, without empty sections for what it leaves out"
  gw -C "$d" explain ACME001
  expect_status 0
  printf 'ACME001: route without an owner tag\ncategory: custom, default severity: warning\n\nHow to fix:\nadd tags [team-NAME]\n' > "$TMP/want"
  diff "$TMP/want" "$TMP/out" || fail "unexpected explain output"
  check "explain suggests a team rule's id"
  gw -C "$d" explain ACME01
  expect_status 2
  expect_output_has "no rule 'ACME01' (did you mean 'ACME001'?)"

  check "a suppression naming the team rule silences it"
  sed -i 's|^  - name: chat|  # gwctl:ignore ACME001 reason="owner tags land next sprint"\n  - name: chat|' "$d/base/gateway.yaml"
  gw -C "$d" lint --fail-on warning
  expect_status 0
  expect_output_has "1 finding suppressed by gwctl:ignore"

  check "--rules DIR adds rules from outside the config root; SARIF carries their help"
  cat > "$TMP/org-rules/ORG100.yaml" << 'YAML'
id: ORG100
title: provider not on https
severity: error
category: auth
select: /providers/*
schema: {properties: {base_url: {pattern: '^https://api\.'}}}
message: "{path} must use an official https API endpoint"
fix: use the vendor's https://api. endpoint
YAML
  sed -i 's|https://api.openai.com/v1|https://openai-proxy.acme.com/v1|' "$d/base/gateway.yaml"
  gw -C "$d" lint --rules "$TMP/org-rules" --format sarif
  expect_status 1
  python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
run = s["runs"][0]
rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
assert "ORG100" in rules and rules["ORG100"]["help"]["text"].startswith("use the vendor"), rules.keys()
r = [x for x in run["results"] if x["ruleId"] == "ORG100"]
assert r and r[0]["level"] == "error", r' "$TMP/out" || fail "SARIF lacks the --rules finding"

  check "rules.severity turns a rule off, rules.env_severity raises one for prod only"
  printf 'environments: [dev, prod]\nrules:\n  severity: {ACME001: "off"}\n  env_severity: {prod: {GW210: error}}\n' > "$d/gwctl.yaml"
  cat >> "$d/base/gateway.yaml" << 'YAML'
  spare:
    provider: openai
    id: gpt-4o-mini-2024-07-18
YAML
  # The appended model lands under routes: move it under models instead.
  python3 - "$d/base/gateway.yaml" << 'PY'
import sys
p = sys.argv[1]
t = open(p).read().replace("  spare:\n    provider: openai\n    id: gpt-4o-mini-2024-07-18\n", "")
t = t.replace("routes:\n", "  spare:\n    provider: openai\n    id: gpt-4o-mini-2024-07-18\nroutes:\n", 1)
open(p, "w").write(t)
PY
  gw -C "$d" lint --format json --fail-on never
  expect_status 0
  python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))["findings"]
assert not [x for x in f if x["rule"] == "ACME001"], "ACME001 should be off"
g = [x for x in f if x["rule"] == "GW210"]
sev = {(tuple(x["env"]), x["severity"]) for x in g}
assert (("prod",), "error") in sev and (("dev",), "info") in sev, sev' "$TMP/out" || fail "overrides not applied: $(head -c 600 "$TMP/out")"

  check "a GW1xx override is refused (GW114)"
  printf 'environments: [dev, prod]\nrules:\n  severity: {GW102: "off"}\n' > "$d/gwctl.yaml"
  gw -C "$d" lint
  expect_status 1
  expect_output_has "error[GW114]: structure rule GW102 cannot be overridden"

  check "a broken rule file is GW117 with its location and exit 2, even with --fail-on never"
  printf 'environments: [dev, prod]\n' > "$d/gwctl.yaml"
  printf 'id: ACME002\ntitle: x\nseverity: warning\nselect: /routes/*\nshema: {}\n' > "$d/rules/ACME002.yaml"
  gw -C "$d" lint
  expect_no_crash
  expect_status 2
  expect_output_has "rules/ACME002.yaml:5:1: error[GW117]: unknown key 'shema' in a rule file"
  expect_output_has "did you mean 'schema'?"
  gw -C "$d" lint --fail-on never
  expect_status 2
}

case_show_spend() {
  local d=$TMP/repo
  make_policy_tree "$d"
  check "show --spend: 100000 tokens/h × 24 × \$10/Mtok = \$24.00/day, capped by the token limit"
  gw -C "$d" show --env prod --spend
  expect_status 0
  expect_output_has "chat   \$24.00/day, capped by its token limit"
  check "show (YAML) ends with the same table as comments"
  gw -C "$d" show --env prod
  expect_status 0
  expect_output_has "# Worst-case daily spend in 'prod'"
  check "show --spend --format json"
  gw -C "$d" show --env prod --spend --format json
  python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
r = j["routes"][0]
assert j["format_version"] == 1 and r["route"] == "chat" and abs(r["usd_per_day"] - 24.0) < 1e-9 and r["bound_by"] == "token limit", j' "$TMP/out" || fail "bad spend JSON"
}

run_cases case_baseline_round_trip case_team_rules_and_overrides case_show_spend
