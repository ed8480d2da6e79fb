#!/usr/bin/env bash
# gwctl graph rendered by the real Graphviz `dot` (Debian package graphviz, installed by
# scripts/setup.sh): the SVG of examples/acme has every route, model, deployment and provider;
# names with quotes and backslashes survive; the same config gives the same bytes; a config
# with errors draws nothing.
#   bash tests/integration/graph.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

# setup.sh installs graphviz: without it this test fails rather than skips.
command -v dot > /dev/null || fail "'dot' is not installed: run scripts/setup.sh (Debian package graphviz)"

ACME=$REPO/examples/acme

# The node titles of an SVG made by dot, one per line (node ids as written in the DOT file).
svg_nodes() {
  python3 -c 'import sys, html, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
for g in root.iter("{http://www.w3.org/2000/svg}g"):
    if g.get("class") == "node":
        print(g.find("s:title", ns).text)' "$1"
}

case_acme_renders() {
  check "graph --env prod renders with dot -Tsvg"
  gw -C "$ACME" graph --env prod -o "$TMP/prod.dot"
  expect_no_crash
  expect_status 0
  expect_stdout_empty
  dot -Tsvg "$TMP/prod.dot" -o "$TMP/prod.svg" 2> "$TMP/dot.err" || fail "dot rejected the graph: $(cat "$TMP/dot.err")"
  [[ ! -s $TMP/dot.err ]] || fail "dot warned: $(cat "$TMP/dot.err")"
  svg_nodes "$TMP/prod.svg" | sort > "$TMP/nodes"

  check "every route, model, deployment and provider of the artifact is a node of the SVG"
  gw -C "$ACME" compile --env prod -o "$TMP/prod.json"
  expect_status 0
  python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["config"]
ids = ["route:" + r["name"] for r in c["routes"]] + ["model:" + m for m in c["models"]]
ids += ["provider:" + p for p in c["providers"]]
ids += sorted({"deployment:%s/%s" % (d["provider"], d["id"]) for m in c["models"].values() for d in m["deployments"]})
print("\n".join(sorted(ids)))' "$TMP/prod.json" > "$TMP/want"
  diff -u "$TMP/want" "$TMP/nodes" || fail "the SVG's nodes differ from the artifact's entities"
  grep -q 'route:health' "$TMP/nodes" || fail "no route:health node"

  check "edges: weights as percentages, dashed fallbacks, the public route marked"
  grep -q '>95%</text>' "$TMP/prod.svg" || fail "no 95% weight label in the SVG"
  grep -q '>5%</text>' "$TMP/prod.svg" || fail "no 5% weight label in the SVG"
  grep -q 'stroke-dasharray' "$TMP/prod.svg" || fail "no dashed edge in the SVG"
  grep -q '>fallback 1</text>' "$TMP/prod.svg" || fail "no fallback label in the SVG"
  grep -q '>public</text>' "$TMP/prod.svg" || fail "no public label in the SVG"

  check "the same config gives the same bytes; stdout and -o agree"
  gw -C "$ACME" graph --env prod
  cmp -s "$TMP/out" "$TMP/prod.dot" || fail "two runs differ"
}

case_hostile_names() {
  local d=$TMP/t
  make_tree "$d"
  cat > "$d/base/models.yaml" << 'EOF2'
providers:
  local:
    kind: openai-compatible
    base_url: http://127.0.0.1:9000/v1
models:
  m:
    floating: true
    deployments:
      - {provider: local, id: 'we"ird\N\model\', weight: 2}
      - {provider: local, id: 'plain-2024-01-01', weight: 1}
routes:
  - name: r
    match: {path: '/v1/"quoted"\path'}
    auth: {type: api_key}
    models: [m]
    resilience: {max_attempts: 2}
    limits: [{requests: 10, per: 1m}]
EOF2
  check "ids and paths with quotes and backslashes: dot parses the graph and shows them as written"
  gw -C "$d" graph --env prod -o "$TMP/h.dot"
  expect_no_crash
  expect_status 0
  dot -Tsvg "$TMP/h.dot" -o "$TMP/h.svg" 2> "$TMP/dot.err" || fail "dot rejected the graph: $(cat "$TMP/dot.err")"
  svg_nodes "$TMP/h.svg" > "$TMP/nodes"
  grep -q -F 'deployment:local/we"ird\\N\\model\\' "$TMP/nodes" || fail "the deployment's node id was mangled: $(cat "$TMP/nodes")"
  python3 -c 'import sys, xml.etree.ElementTree as ET
texts = [t.text for t in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}text")]
want = ["we\"ird\\N\\model\\", "/v1/\"quoted\"\\path", "66.67%", "33.33%"]
missing = [w for w in want if w not in texts]
sys.exit("missing labels: %r in %r" % (missing, texts) if missing else 0)' "$TMP/h.svg" || fail "labels not shown as written"
}

case_errors_draw_nothing() {
  check "a config with errors: exit 1, no graph written"
  gw -C "$REPO/examples/broken" graph --env prod -o "$TMP/b.dot"
  expect_no_crash
  expect_status 1
  expect_output_has "no graph written"
  [[ ! -e $TMP/b.dot ]] || fail "a graph was written from a config with errors"
  check "an unknown environment: exit 2"
  gw -C "$ACME" graph --env prd
  expect_status 2
  expect_output_has "did you mean 'prod'?"
}

run_cases case_acme_renders case_hostile_names case_errors_draw_nothing
