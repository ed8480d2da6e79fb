#!/usr/bin/env bash
# gwctl promote against real Git repositories made with the git CLI: an artifact compiled at
# commit A is promoted after commit B changed a route (B must not leak in), parity drift,
# dirty and Git-less artifacts, a skipped environment (refused, then forced and recorded),
# hand-edited artifacts, a commit missing from a shallow clone; and what compile records of
# the work tree (HEAD's commit, dirty).
#   bash tests/integration/promote.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

isolated_git

# A config root with dev → staging → prod in $1 (a new repository), committed as "A".
make_repo() {
  local d=$1
  mkdir -p "$d/base" "$d/envs"
  git init -q "$d"
  cat > "$d/gwctl.yaml" << 'EOF'
environments: [dev, staging, prod]
parity:
  may_differ: [/gateway/listen, /gateway/replicas, /providers/*/base_url, /routes/*/limits]
EOF
  cat > "$d/base/gateway.yaml" << 'EOF'
version: 1
gateway:
  name: shop-ai
  admin: {listen: 127.0.0.1:9901}
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${secret:OPENAI_API_KEY}
models:
  gpt-4o:
    provider: openai
    id: gpt-4o-2024-11-20
EOF
  cat > "$d/base/routes.yaml" << 'EOF'
routes:
  - name: chat
    match: {path: /v1/chat/completions, methods: [POST]}
    auth: {type: api_key}
    models: [gpt-4o]
    timeouts: {total: 60s}
    limits: [{requests: 600, per: 1m}]
EOF
  printf 'gateway:\n  listen: 127.0.0.1:8080\n' > "$d/envs/dev.yaml"
  printf 'gateway:\n  replicas: 2\n' > "$d/envs/staging.yaml"
  printf 'gateway:\n  replicas: 6\n' > "$d/envs/prod.yaml"
  commit "$d" A
}
# json FILE EXPR: evaluates a Python expression over the artifact `a`; fails when false.
json_ok() {
  python3 -c "import json, sys
a = json.load(open(sys.argv[1]))
sys.exit(0 if ($2) else 1)" "$1" || fail "$1: expected $2"
}

case_history() {
  local r=$TMP/r a b
  make_repo "$r"
  a=$(git -C "$r" rev-parse HEAD)
  check "compile of a clean work tree records HEAD's commit with dirty false"
  gw -C "$r" compile --env staging -o "$TMP/staging.json"
  expect_status 0
  json_ok "$TMP/staging.json" "a['source']['commit'] == '$a' and a['source']['dirty'] is False"

  check "commit B changes a route; promote compiles A for prod, not the work tree"
  sed -i 's/total: 60s/total: 15s/; s|/v1/chat/completions|/v2/chat|' "$r/base/routes.yaml"
  commit "$r" B
  b=$(git -C "$r" rev-parse HEAD)
  gw -C "$r" promote "$TMP/staging.json" --to prod
  expect_no_crash
  expect_status 0
  expect_output_has "promoted 'staging'"
  [[ -f $TMP/prod.json ]] || fail "no prod.json next to staging.json"
  json_ok "$TMP/prod.json" "a['environment'] == 'prod' and a['source']['commit'] == '$a' and a['source']['dirty'] is False"
  json_ok "$TMP/prod.json" "a['config']['routes'][0]['timeouts']['total'] == 60000 and a['config']['routes'][0]['match']['path'] == '/v1/chat/completions'"
  json_ok "$TMP/prod.json" "a['config']['gateway']['replicas'] == 6"
  local sd
  sd=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["digest"])' "$TMP/staging.json")
  json_ok "$TMP/prod.json" "a['promoted_from'] == {'environment': 'staging', 'digest': '$sd'} and a['signature'] is None"
  [[ $(git -C "$r" rev-parse HEAD) == "$b" ]] || fail "promote moved HEAD"
  git -C "$r" diff --quiet HEAD || fail "promote changed the work tree"
  grep -q 'total: 15s' "$r/base/routes.yaml" || fail "the work tree is not at B any more"

  check "the promoted config is exactly compile --env prod --ref A; the work tree's prod differs"
  gw -C "$r" compile --env prod --ref "$a"
  expect_status 0
  cp "$TMP/out" "$TMP/prod-at-a.json"
  python3 -c "import json, sys
p, q = (json.load(open(x)) for x in sys.argv[1:3])
assert p['config'] == q['config'] and p['source'] == q['source']" "$TMP/prod.json" "$TMP/prod-at-a.json" ||
    fail "promoted config differs from compile --ref A"
  gw -C "$r" compile --env prod
  json_ok "$TMP/out" "a['config']['routes'][0]['timeouts']['total'] == 15000 and a['source']['commit'] == '$b'"

  check "the promoted artifact is a valid artifact: diff with the direct compile shows no change"
  gw diff "$TMP/prod-at-a.json" "$TMP/prod.json" --fail-on low
  expect_status 0

  check "-o FILE and -o - (stdout)"
  gw -C "$r" promote "$TMP/staging.json" --to prod -o "$TMP/elsewhere.json"
  expect_status 0
  cmp -s "$TMP/prod.json" "$TMP/elsewhere.json" || fail "-o wrote different bytes"
  gw -C "$r" promote "$TMP/staging.json" --to prod -o -
  expect_status 0
  cmp -s "$TMP/prod.json" "$TMP/out" || fail "-o - wrote different bytes"

  check "promoting the promoted prod artifact backwards is refused, even with --force"
  gw -C "$r" promote "$TMP/prod.json" --to staging --force -o "$TMP/back.json"
  expect_status 1
  expect_output_has "'staging' comes before 'prod' in the promotion order (dev → staging → prod)"
  [[ ! -e $TMP/back.json ]] || fail "an artifact was written"

  check "an unknown target environment: exit 2 with a suggestion"
  gw -C "$r" promote "$TMP/staging.json" --to prd
  expect_status 2
  expect_output_has "unknown environment 'prd' (did you mean 'prod'?)"
}

case_drift() {
  local r=$TMP/r
  make_repo "$r"
  printf 'gateway:\n  replicas: 6\nroutes:\n  - name: chat\n    timeouts: {total: 20s}\n' > "$r/envs/prod.yaml"
  commit "$r" "prod: shorter timeout"
  gw -C "$r" compile --env staging -o "$TMP/staging.json"
  expect_status 0
  check "an env overlay value outside parity.may_differ: exit 1, both values listed, nothing written"
  gw -C "$r" promote "$TMP/staging.json" --to prod
  expect_no_crash
  expect_status 1
  expect_output_has "cannot promote 'staging' to 'prod': 1 value differs outside parity.may_differ"
  expect_output_has "  routes[chat].timeouts.total"
  expect_output_has "    staging: 60s (base/routes.yaml:6:23)"
  expect_output_has "    prod: 20s (envs/prod.yaml:5:23)"
  [[ ! -e $TMP/prod.json ]] || fail "an artifact was written despite drift"
  check "values under parity.may_differ (replicas) are no drift"
  expect_output_lacks "replicas"
}

case_dirty() {
  local r=$TMP/r
  make_repo "$r"
  check "an uncommitted edit of a file the environment reads: dirty true, refused"
  printf 'gateway:\n  replicas: 3\n' > "$r/envs/staging.yaml"
  gw -C "$r" compile --env staging -o "$TMP/staging.json"
  expect_status 0
  json_ok "$TMP/staging.json" "a['source']['dirty'] is True"
  gw -C "$r" promote "$TMP/staging.json" --to prod
  expect_status 1
  expect_output_has "was compiled from uncommitted changes (source.dirty is true)"
  expect_output_has "hint: commit the changes"
  [[ ! -e $TMP/prod.json ]] || fail "an artifact was written from a dirty source"

  check "staged, untracked and deleted files the environment reads make it dirty; others do not"
  git -C "$r" checkout -q -- envs/staging.yaml
  gw -C "$r" compile --env staging
  json_ok "$TMP/out" "a['source']['dirty'] is False"
  printf '{}\n' > "$r/staging.json"
  printf 'gateway:\n  replicas: 1\n' > "$r/envs/dev.yaml"
  gw -C "$r" compile --env staging
  json_ok "$TMP/out" "a['source']['dirty'] is False"
  gw -C "$r" compile --env dev
  json_ok "$TMP/out" "a['source']['dirty'] is True"
  git -C "$r" checkout -q -- envs/dev.yaml
  printf 'vars: {x: 1}\n' > "$r/base/zz-new.yaml"
  gw -C "$r" compile --env staging
  json_ok "$TMP/out" "a['source']['dirty'] is True"
  printf 'base/zz-new.yaml\n' > "$r/.gitignore"
  gw -C "$r" compile --env staging
  json_ok "$TMP/out" "a['source']['dirty'] is False"
  rm "$r/.gitignore" "$r/base/zz-new.yaml"
  git -C "$r" rm -q --cached envs/staging.yaml
  gw -C "$r" compile --env staging
  json_ok "$TMP/out" "a['source']['dirty'] is True"

  check "outside Git: commit and dirty null, and promote refuses it"
  mkdir "$TMP/plain"
  cp -R "$r/base" "$r/envs" "$r/gwctl.yaml" "$TMP/plain/"
  gw -C "$TMP/plain" compile --env staging -o "$TMP/plain.json"
  expect_status 0
  json_ok "$TMP/plain.json" "a['source']['commit'] is None and a['source']['dirty'] is None"
  gw -C "$r" promote "$TMP/plain.json" --to prod
  expect_status 1
  expect_output_has "was not compiled from a Git commit (source.commit is null)"
}

case_dirty_subfolder() {
  local r=$TMP/r
  mkdir -p "$r"
  git init -q "$r"
  make_tree "$r/gateway"
  make_tree "$r/gateway2"
  echo "# the app" > "$r/README.md"
  commit "$r" A
  check "a config root in a subfolder: changes outside it, or in a sibling folder, leave it clean"
  echo "more" >> "$r/README.md"
  printf 'gateway:\n  listen: 127.0.0.1:9999\n' > "$r/gateway2/envs/dev.yaml"
  gw -C "$r/gateway" compile --env dev
  expect_status 0
  json_ok "$TMP/out" "a['source']['commit'] == '$(git -C "$r" rev-parse HEAD)' and a['source']['dirty'] is False"
  check "an edit of one of its layers, or an untracked file in one, makes it dirty"
  printf 'gateway:\n  listen: 127.0.0.1:9999\n' > "$r/gateway/envs/dev.yaml"
  gw -C "$r/gateway" compile --env dev
  json_ok "$TMP/out" "a['source']['dirty'] is True"
  gw -C "$r/gateway" compile --env prod
  json_ok "$TMP/out" "a['source']['dirty'] is False"
  git -C "$r" checkout -q -- gateway/envs/dev.yaml
  printf 'vars: {x: 1}\n' > "$r/gateway/base/zz-new.yaml"
  gw_in "$r/gateway/base" -C .. compile --env prod
  json_ok "$TMP/out" "a['source']['dirty'] is True"
}

case_skipped_env() {
  local r=$TMP/r
  make_repo "$r"
  gw -C "$r" compile --env dev -o "$TMP/dev.json"
  expect_status 0
  check "dev → prod skips staging: refused, naming the next environment"
  gw -C "$r" promote "$TMP/dev.json" --to prod
  expect_status 1
  expect_output_has "'prod' is not the next environment after 'dev' in the promotion order (dev → staging → prod): the next is 'staging'"
  [[ ! -e $TMP/prod.json ]] || fail "an artifact was written"
  check "with --force it is allowed and recorded as promoted_from.forced"
  gw -C "$r" promote "$TMP/dev.json" --to prod --force
  expect_status 0
  expect_output_has "forced past the promotion order"
  json_ok "$TMP/prod.json" "a['promoted_from']['environment'] == 'dev' and a['promoted_from']['forced'] is True"
  check "dev → staging → prod in steps: each promoted_from names the step before"
  gw -C "$r" promote "$TMP/dev.json" --to staging
  expect_status 0
  json_ok "$TMP/staging.json" "a['promoted_from']['environment'] == 'dev' and 'forced' not in a['promoted_from']"
  gw -C "$r" promote "$TMP/staging.json" --to prod
  expect_status 0
  json_ok "$TMP/prod.json" "a['promoted_from']['environment'] == 'staging' and 'forced' not in a['promoted_from']"
}

case_edited_artifact() {
  local r=$TMP/r
  make_repo "$r"
  gw -C "$r" compile --env staging -o "$TMP/staging.json"
  check "a hand-edited artifact (digest no longer matches): exit 1"
  sed 's/"replicas": 2/"replicas": 9/' "$TMP/staging.json" > "$TMP/edited.json"
  cmp -s "$TMP/staging.json" "$TMP/edited.json" && fail "the edit did not apply"
  gw -C "$r" promote "$TMP/edited.json" --to prod
  expect_status 1
  expect_output_has "does not match its content"
  [[ ! -e $TMP/prod.json ]] || fail "an artifact was written"
  check "a hand-edited artifact with its digest recomputed: exit 1, not what the commit compiles"
  python3 -c "import json, sys, hashlib
a = json.load(open(sys.argv[1]))
a.pop('digest'); a.pop('signature')
text = json.dumps(a, indent=2, sort_keys=True, ensure_ascii=False) + '\n'
a['digest'] = 'sha256:' + hashlib.sha256(text.encode()).hexdigest()
a['signature'] = None
open(sys.argv[1], 'w').write(json.dumps(a, indent=2, sort_keys=True, ensure_ascii=False) + '\n')" "$TMP/edited.json"
  gw -C "$r" promote "$TMP/edited.json" --to prod
  expect_status 1
  expect_output_has "is not what commit"
  expect_output_has "its config differs from the commit's compile"
  check "not an artifact, and no such file: exit 2"
  printf '{"format": "something else"}\n' > "$TMP/bogus.json"
  gw -C "$r" promote "$TMP/bogus.json" --to prod
  expect_status 2
  expect_output_has "is not a gwctl artifact"
  gw -C "$r" promote "$TMP/nope.json" --to prod
  expect_status 2
  expect_output_has "cannot read '$TMP/nope.json'"
}

case_missing_commit() {
  local r=$TMP/r
  make_repo "$r"
  gw -C "$r" compile --env staging -o "$TMP/staging.json"
  printf 'gateway:\n  replicas: 3\n' > "$r/envs/staging.yaml"
  commit "$r" B
  check "the artifact's commit is not in a shallow clone: exit 2 with the fetch hint"
  git clone -q --depth 1 "file://$r" "$TMP/shallow"
  gw -C "$TMP/shallow" promote "$TMP/staging.json" --to prod
  expect_no_crash
  expect_status 2
  expect_output_has "is not in this repository (a shallow clone)"
  expect_output_has "fetch-depth: 0"
  [[ ! -e $TMP/prod.json ]] || fail "an artifact was written"
  check "after deepening the clone it promotes"
  git -C "$TMP/shallow" fetch -q --unshallow
  gw -C "$TMP/shallow" promote "$TMP/staging.json" --to prod
  expect_status 0
  check "promote outside any repository: exit 2"
  mkdir "$TMP/nogit"
  gw -C "$TMP/nogit" promote "$TMP/staging.json" --to prod -o "$TMP/x.json"
  expect_status 2
  expect_output_has "is not inside a Git repository"
}

run_cases case_history case_drift case_dirty case_dirty_subfolder case_skipped_env case_edited_artifact case_missing_commit
