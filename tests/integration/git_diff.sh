#!/usr/bin/env bash
# gwctl diff, compile --ref and lint --staged/--changed-since against real Git repositories made
# with the git CLI: two commits (auth, weights, a deleted route, a moved file, an overlay-only
# change), a merge base on a diverged branch, a shallow clone, staged vs unstaged, a detached
# HEAD, a linked worktree, a config root in a subfolder that is renamed, and revision typos.
#   bash tests/integration/git_diff.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

isolated_git

# Version 1 of a small config root in $1.
write_v1() {
  local d=$1
  mkdir -p "$d/base" "$d/envs"
  printf 'environments: [dev, prod]\n' > "$d/gwctl.yaml"
  cat > "$d/base/gateway.yaml" << 'EOF'
version: 1
gateway:
  name: shop-ai
  listen: 0.0.0.0:8080
  admin: {listen: 127.0.0.1:9901}
EOF
  cat > "$d/base/providers.yaml" << 'EOF'
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${secret:OPENAI_API_KEY}
  azure:
    kind: azure-openai
    base_url: https://acme.openai.azure.com/openai
    api_key: ${secret:AZURE_KEY}
EOF
  cat > "$d/base/models.yaml" << 'EOF'
models:
  gpt-4o:
    deployments:
      - {provider: openai, id: gpt-4o-2024-11-20, weight: 90}
      - {provider: azure, id: gpt-4o-2024-11-20, weight: 10}
    fallbacks: [mini]
  mini:
    provider: openai
    id: gpt-4o-mini-2024-07-18
EOF
  cat > "$d/base/routes.yaml" << 'EOF'
routes:
  - name: chat
    description: Chat completions for the shop.
    match: {path: /v1/chat/completions, methods: [POST]}
    auth: {type: api_key}
    models: [gpt-4o, mini]
    default_model: gpt-4o
    timeouts: {total: 60s}
    limits:
      - {requests: 600, per: 1m}
  - name: legacy
    match: {path: /v1/completions, methods: [POST]}
    auth: {type: api_key}
    models: [mini]
  - name: health
    match: {path: /healthz}
    auth: {type: none, public: true, reason: probe}
    respond: {status: 200, body: ok}
EOF
  cat > "$d/base/consumers.yaml" << 'EOF'
consumers:
  - name: web
    api_keys: ["${secret:WEB_KEY}"]
    routes: [chat]
    models: [gpt-4o]
EOF
  printf 'gateway:\n  replicas: 1\n' > "$d/envs/dev.yaml"
  printf 'gateway:\n  replicas: 3\n' > "$d/envs/prod.yaml"
}

set_weights() { # DIR OPENAI AZURE
  sed -i "s/weight: [0-9]*}$/weight: X}/" "$1/base/models.yaml"
  sed -i "0,/weight: X}/s//weight: $2}/; 0,/weight: X}/s//weight: $3}/" "$1/base/models.yaml"
}
drop_legacy() {
  python3 - "$1/base/routes.yaml" << 'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
start = s.index("  - name: legacy")
end = s.index("  - name: health")
open(p, "w").write(s[:start] + s[end:])
EOF
}
chat_public() {
  sed -i '0,/auth: {type: api_key}/s//auth: {type: none, public: true, reason: open beta}/' "$1/base/routes.yaml"
}

new_repo() { # DIR [SUBFOLDER]
  local root=$1/${2:-}
  mkdir -p "$1"
  git -C "$1" init -q -b main
  write_v1 "${root%/}"
  commit "$1" "v1"
}

# py EXPR: evaluates a Python expression over the JSON on stdout of the last gw (as `d`).
py() {
  python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
def env(name):
    return next(e for e in d['environments'] if e['env'] == name)
def change(name, kind, entity):
    return [c for c in env(name)['changes'] if c['kind'] == kind and c['name'] == entity]
r = $1
sys.exit(0 if r else 1)" "$TMP/out" || fail "JSON check failed: $1"
}

case_two_commits() {
  local r=$TMP/r
  new_repo "$r"
  set_weights "$r" 30 70
  drop_legacy "$r"
  chat_public "$r"
  git -C "$r" mv base/consumers.yaml base/access.yaml
  printf 'gateway:\n  replicas: 5\n' > "$r/envs/prod.yaml"
  commit "$r" "v2"

  check "diff HEAD~1 → HEAD: entity changes with risk, per environment"
  gw -C "$r" diff --base HEAD~1 --head HEAD --format json
  expect_no_crash
  expect_status 0
  py "d['format_version'] == 1 and d['risk'] == 'high'"
  check "auth removed and route made public are high, with reasons"
  py "any('authentication removed' in x['text'] for x in change('prod', 'route', 'chat')[0]['reasons'])"
  py "any(x['text'] == 'route made public' for x in change('prod', 'route', 'chat')[0]['reasons'])"
  check "a 60% weight shift is high; fields show before and after"
  py "change('dev', 'model', 'gpt-4o')[0]['risk'] == 'high'"
  py "{'path': 'deployments[azure/gpt-4o-2024-11-20].weight', 'before': 1000, 'after': 7000} in change('dev', 'model', 'gpt-4o')[0]['fields']"
  check "the deleted route is a delete, high, shown once in each environment"
  py "all(len(change(e, 'route', 'legacy')) == 1 and change(e, 'route', 'legacy')[0]['action'] == 'delete' and change(e, 'route', 'legacy')[0]['risk'] == 'high' for e in ('dev', 'prod'))"
  check "the moved consumers file changes no entity, but is listed as a file change"
  py "not change('dev', 'consumer', 'web') and {'path': 'base/access.yaml', 'change': 'added'} in env('dev')['files']"
  check "the overlay-only change is in prod only"
  py "change('prod', 'gateway', 'gateway')[0]['fields'] == [{'path': 'replicas', 'before': 3, 'after': 5}] and not change('dev', 'gateway', 'gateway')"

  check "--env narrows to one environment"
  gw -C "$r" diff --base HEAD~1 --head HEAD --format json --env prod
  expect_status 0
  py "[e['env'] for e in d['environments']] == ['prod']"

  check "--fail-on high trips (exit 1); --fail-on never does not"
  gw -C "$r" diff --base HEAD~1 --head HEAD --fail-on high
  expect_status 1
  expect_output_has "route 'legacy' [high]"
  gw -C "$r" diff --base HEAD~1 --head HEAD --fail-on never
  expect_status 0

  check "the work tree equals HEAD: no changes, exit 0"
  gw -C "$r" diff
  expect_status 0
  expect_output_has "2 environments checked, 0 changed; risk none"

  check "a commit that only moves a file: no entity changes"
  git -C "$r" mv base/models.yaml base/zz-models.yaml
  commit "$r" "move"
  gw -C "$r" diff --base HEAD~1 --head HEAD --format json --fail-on low
  expect_status 0
  py "all(not e['changes'] for e in d['environments']) and {'path': 'base/zz-models.yaml', 'change': 'added'} in env('prod')['files']"

  check "compile --ref compiles a past revision; source.commit is its SHA, dirty false"
  local sha
  sha=$(git -C "$r" rev-parse HEAD~2)
  gw -C "$r" compile --env prod --ref HEAD~2
  expect_status 0
  python3 -c "import json, sys
a = json.load(open(sys.argv[1]))
assert a['source']['commit'] == sys.argv[2] and a['source']['dirty'] is False, a['source']
assert [r['name'] for r in a['config']['routes']] == ['chat', 'legacy', 'health']" "$TMP/out" "$sha" ||
    fail "compile --ref HEAD~2: wrong source or config"
  check "the compiled past revision equals the same files compiled from disk (but for source.commit)"
  git -C "$r" worktree add -q "$TMP/old" HEAD~2
  cp "$TMP/out" "$TMP/ref.json"
  gw -C "$TMP/old" compile --env prod
  expect_status 0
  python3 -c "import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a['config'] == b['config'] and a['source']['files'] == b['source']['files']" "$TMP/ref.json" "$TMP/out" ||
    fail "compile --ref and compile of a checkout differ"
}

case_merge_base() {
  local r=$TMP/r
  new_repo "$r"
  git -C "$r" checkout -q -b feature
  set_weights "$r" 80 20
  commit "$r" "weights"
  git -C "$r" checkout -q main
  sed -i 's/total: 60s/total: 20s/' "$r/base/routes.yaml"
  commit "$r" "timeouts on main"
  git -C "$r" checkout -q feature

  check "--base main diffs from the merge base: only the branch's own change"
  gw -C "$r" diff --base main --format json
  expect_status 0
  py "[(c['kind'], c['name']) for c in env('prod')['changes']] == [('model', 'gpt-4o')] and d['base'].startswith('merge base of main and HEAD')"
  py "'10% of traffic' in change('prod', 'model', 'gpt-4o')[0]['reasons'][0]['text'] and change('prod', 'model', 'gpt-4o')[0]['risk'] == 'medium'"
  check "--no-merge-base compares with main itself: main's timeout change shows, reversed"
  gw -C "$r" diff --base main --no-merge-base --format json
  expect_status 0
  py "{'path': 'timeouts.total', 'before': 20000, 'after': 60000, 'unit': 'ms'} in change('prod', 'route', 'chat')[0]['fields']"

  check "a detached HEAD works: diff and compile --ref"
  git -C "$r" checkout -q --detach HEAD~1
  gw -C "$r" diff --base feature --format json
  expect_status 0
  py "d['risk'] == 'none'"
  gw -C "$r" diff --base feature --no-merge-base --format json
  expect_status 0
  py "change('prod', 'model', 'gpt-4o')[0]['action'] == 'update'"
  gw -C "$r" compile --env dev --ref feature
  expect_status 0

  check "a linked worktree on another branch reads its own HEAD"
  git -C "$r" worktree add -q "$TMP/linked" main
  gw -C "$TMP/linked" diff --base feature --no-merge-base --format json
  expect_status 0
  py "change('prod', 'model', 'gpt-4o')[0]['fields'][0]['before'] == 8000"
}

case_shallow_clone() {
  local r=$TMP/r
  new_repo "$r"
  set_weights "$r" 50 50
  commit "$r" "v2"
  git -C "$r" checkout -q -b feature
  chat_public "$r"
  commit "$r" "feature"
  git clone -q --depth 1 --branch feature "file://$r" "$TMP/shallow"

  check "a shallow clone asked for HEAD~1: exit 2 naming the revision and the fix, never 'no changes'"
  gw -C "$TMP/shallow" diff --base HEAD~1
  expect_no_crash
  expect_status 2
  expect_output_has "revision 'HEAD~1' is not in this clone"
  expect_output_has "fetch-depth: 0"
  expect_output_has "git fetch --deepen=N"
  expect_output_lacks "no changes"
  expect_stdout_empty

  check "a remote branch that was not fetched: exit 2 with 'git fetch origin main'"
  gw -C "$TMP/shallow" diff --base origin/main
  expect_status 2
  expect_output_has "git fetch origin main"
  expect_stdout_empty

  check "fetched at depth 1: the merge base is missing: exit 2 with the fix"
  git -C "$TMP/shallow" fetch -q --depth 1 origin main:refs/remotes/origin/main
  gw -C "$TMP/shallow" diff --base origin/main
  expect_status 2
  expect_output_has "the merge base of 'origin/main' and 'HEAD' is not in this clone"
  expect_output_has "fetch-depth: 0"
  expect_stdout_empty
  check "lint --changed-since needs the same history: exit 2"
  gw -C "$TMP/shallow" lint --changed-since origin/main
  expect_status 2
  expect_output_has "fetch-depth: 0"

  check "--no-merge-base works with what is there"
  gw -C "$TMP/shallow" diff --base origin/main --no-merge-base --format json
  expect_status 0
  py "change('prod', 'route', 'chat')[0]['risk'] == 'high'"

  check "after 'git fetch --unshallow' the merge base is found"
  git -C "$TMP/shallow" fetch -q --unshallow
  gw -C "$TMP/shallow" diff --base origin/main --format json
  expect_status 0
  py "change('prod', 'route', 'chat')[0]['risk'] == 'high'"
}

case_staged_vs_unstaged() {
  local r=$TMP/r
  new_repo "$r"
  set_weights "$r" 60 40
  git -C "$r" add -A
  chat_public "$r"

  check "--staged sees only what is staged (the weights)"
  gw -C "$r" diff --staged --format json
  expect_status 0
  py "[(c['kind'], c['name']) for c in env('dev')['changes']] == [('model', 'gpt-4o')] and d['head'] == 'index (staged)'"
  check "the work tree has both"
  gw -C "$r" diff --format json
  expect_status 0
  py "[(c['kind'], c['name']) for c in env('dev')['changes']] == [('model', 'gpt-4o'), ('route', 'chat')]"

  check "lint --staged ignores an unstaged error"
  printf 'gateway:\n  replicas: many\n' > "$r/envs/dev.yaml"
  gw -C "$r" lint --staged
  expect_status 0
  gw -C "$r" lint
  expect_status 1
  check "lint --staged reports a staged error at its file and line"
  git -C "$r" add envs/dev.yaml
  git -C "$r" checkout -q -- . 2> /dev/null || true
  printf 'gateway:\n  replicas: 1\n' > "$r/envs/dev.yaml"
  gw -C "$r" lint --staged
  expect_status 1
  expect_output_has "envs/dev.yaml:2:13"
  gw -C "$r" lint
  expect_status 0

  check "diff of a head with errors: exit 1 with the errors, not 'no changes'"
  gw -C "$r" diff --staged --env dev
  expect_status 1
  expect_output_has "envs/dev.yaml:2:13"
  expect_output_has "dev: not compared: the config has errors"
  expect_output_lacks "no changes"
}

case_lint_changed_since() {
  local r=$TMP/r
  new_repo "$r"
  # An error in 'legacy', committed; then a change to 'chat' only.
  sed -i '0,/models: \[mini\]/s//models: [mini]\n    resilience: {retries: 50}/' "$r/base/routes.yaml"
  commit "$r" "legacy retries"
  sed -i 's/requests: 600/requests: 500/' "$r/base/routes.yaml"

  check "plain lint reports the old error"
  gw -C "$r" lint
  expect_status 1
  check "--changed-since HEAD hides findings in unchanged entities (with a note), exit 0"
  gw -C "$r" lint --changed-since HEAD
  expect_status 0
  expect_output_has "finding outside the changes since HEAD"
  expect_output_lacks "retries"
  check "a new error in the changed entity is reported"
  sed -i 's/timeouts: {total: 60s}/timeouts: {total: 60s}\n    resilience: {retries: 11}/' "$r/base/routes.yaml"
  gw -C "$r" lint --changed-since HEAD --format json
  expect_status 1
  python3 -c "import json, sys
f = json.load(open(sys.argv[1]))['findings']
assert len(f) == 1 and '11' in f[0]['message'], f" "$TMP/out" || fail "expected exactly the new finding"
  check "a revision typo is exit 2 with 'did you mean'"
  gw -C "$r" lint --changed-since mian
  expect_status 2
  expect_output_has "did you mean 'main'?"
}

case_subfolder_renamed() {
  local r=$TMP/r
  new_repo "$r" gateway
  echo "# the app" > "$r/README.md"
  commit "$r" "readme"
  git -C "$r" mv gateway config
  set_weights "$r/config" 85 15
  commit "$r" "rename the config root"

  check "a config root in a subfolder renamed between revisions: the old path is found, noted"
  gw -C "$r/config" diff --base HEAD~1 --format json
  expect_status 0
  expect_output_has "the config root was 'gateway'"
  py "[(c['kind'], c['name']) for c in env('prod')['changes']] == [('model', 'gpt-4o')] and not env('prod')['files'][1:]"
  check "run from inside the subfolder with relative -C"
  gw_in "$r/config/base" -C .. diff --base HEAD~1 --head HEAD --format json
  expect_status 0
  py "change('dev', 'model', 'gpt-4o')[0]['risk'] == 'medium'"
  check "a revision without the config and no rename: exit 2"
  gw -C "$r/config" compile --env dev --ref HEAD~2
  expect_status 2
  expect_output_has "the config root 'config' does not exist in revision 'HEAD~2'"
  mkdir -p "$r/other"
  write_v1 "$r/other"
  commit "$r" "other"
  gw -C "$r/other" diff --base HEAD~1
  expect_status 2
  expect_output_has "the config root 'other' does not exist in revision"
}

case_typos_and_outside_git() {
  local r=$TMP/r
  new_repo "$r"
  git -C "$r" branch release-2026
  git -C "$r" tag v1.0
  check "a revision typo: exit 2 with 'did you mean' over branch names"
  gw -C "$r" diff --base mian
  expect_status 2
  expect_output_has "unknown revision 'mian'"
  expect_output_has "did you mean 'main'?"
  gw -C "$r" diff --base release-2025
  expect_status 2
  expect_output_has "did you mean 'release-2026'?"
  gw -C "$r" compile --env dev --ref v1.1
  expect_status 2
  expect_output_has "did you mean 'v1.0'?"
  check "an unknown environment: exit 2 with did you mean"
  gw -C "$r" diff --env prdo
  expect_status 2
  expect_output_has "did you mean 'prod'?"
  check "a suffix that does not walk ancestors is not blamed on missing ancestors"
  gw -C "$r" diff --base 'HEAD@{upstream}'
  expect_status 2
  expect_output_has "revision 'HEAD@{upstream}' does not exist"
  expect_output_lacks "fewer ancestors"
  gw -C "$r" diff --base HEAD~3
  expect_status 2
  expect_output_has "hint: 'HEAD' has fewer ancestors than that"
  check "a repository without commits: exit 2 saying so, for diff, compile --ref and lint --changed-since"
  mkdir -p "$TMP/unborn"
  git -C "$TMP/unborn" init -q
  write_v1 "$TMP/unborn"
  for args in "diff" "compile --env dev --ref HEAD" "lint --changed-since HEAD"; do
    # shellcheck disable=SC2086 # the arguments are split on purpose
    gw -C "$TMP/unborn" $args
    expect_status 2
    expect_output_has "the repository has no commit yet, so 'HEAD' names nothing"
    expect_stdout_empty
  done
  check "an empty revision (an unset CI variable) is a usage error, not the default"
  gw -C "$r" compile --env dev --ref ""
  expect_status 2
  expect_output_has "--ref: the revision is empty"
  expect_stdout_empty
  gw -C "$r" diff --base ""
  expect_status 2
  expect_output_has "--base: the revision is empty"
  expect_stdout_empty
  gw -C "$r" lint --changed-since ""
  expect_status 2
  expect_output_has "--changed-since: the revision is empty"
  expect_stdout_empty
  check "--staged with --head: usage error"
  gw -C "$r" diff --staged --head HEAD
  expect_status 2
  check "outside any Git repository: exit 2"
  mkdir -p "$TMP/plain"
  write_v1 "$TMP/plain"
  GIT_CEILING_DIRECTORIES=$TMP gw -C "$TMP/plain" diff
  expect_status 2
  expect_output_has "not inside a Git repository"
}

case_secrets_never_printed() {
  local r=$TMP/r
  new_repo "$r"
  sed -i 's/${secret:AZURE_KEY}/${secret:AZURE_KEY_V2}/' "$r/base/providers.yaml"
  check "a changed secret reference is shown by name"
  gw -C "$r" diff --format markdown
  expect_status 0
  expect_output_has '`${secret:AZURE_KEY}` → `${secret:AZURE_KEY_V2}`'
  check "a literal key is refused by compile, so diff reports errors without echoing it"
  sed -i 's/${secret:AZURE_KEY_V2}/sk-live-abcdefghijklmnop0123/' "$r/base/providers.yaml"
  for fmt in text json markdown; do
    gw -C "$r" diff --format "$fmt"
    expect_no_crash
    expect_status 1
    expect_output_has "error[GW111]: 'providers.azure.api_key' holds a literal value"
    expect_output_lacks "sk-live-abcdefghijklmnop0123"
  done
  expect_output_has "prod: **not compared: the config has errors**"
}

case_symlinks() {
  local r=$TMP/r
  new_repo "$r" gateway
  ln -s prod.yaml "$r/gateway/envs/staging.yaml"
  printf 'environments: [dev, staging, prod]\n' > "$r/gateway/gwctl.yaml"
  commit "$r" "staging is prod"
  check "a symlink inside the config root is read from Git as from the work tree"
  gw -C "$r/gateway" compile --env staging --ref HEAD
  expect_status 0
  cp "$TMP/out" "$TMP/from-git.json"
  gw -C "$r/gateway" compile --env staging
  expect_status 0
  python3 -c "import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a['config'] == b['config'] and a['source'] == b['source'], (a['source'], b['source'])
assert a['config']['gateway']['replicas'] == 3" "$TMP/from-git.json" "$TMP/out" || fail "compile --ref and the work tree differ"
  gw -C "$r/gateway" diff --base HEAD~1 --format json
  expect_status 0
  py "env('staging')['status'] == 'added' and env('prod')['changes'] == []"
  check "a symlink that leaves the config root is refused from Git as from the work tree: exit 2"
  echo 'vars: {x: 1}' > "$r/outside.yaml"
  ln -s ../../outside.yaml "$r/gateway/base/zz-out.yaml"
  commit "$r" "a symlink out"
  gw -C "$r/gateway" compile --env dev --ref HEAD
  expect_status 2
  expect_output_has "'base/zz-out.yaml' is a symlink that leaves the config root"
  gw -C "$r/gateway" compile --env dev
  expect_status 2
  expect_output_has "'base/zz-out.yaml' is a symlink that leaves the config root"
}

case_artifact_files() {
  local r=$TMP/r
  new_repo "$r"
  gw -C "$r" compile --env prod -o "$TMP/old.json"
  expect_status 0
  set_weights "$r" 30 70
  gw -C "$r" compile --env prod -o "$TMP/new.json"
  expect_status 0

  check "two artifacts: the changed file and the entity with its risk; --fail-on high trips"
  gw diff "$TMP/old.json" "$TMP/new.json" --format json --fail-on high
  expect_status 1
  py "env('prod')['files'] == [{'path': 'base/models.yaml', 'change': 'modified'}]"
  py "[(c['kind'], c['name'], c['risk']) for c in env('prod')['changes']] == [('model', 'gpt-4o', 'high')]"

  check "-o into a FIFO writes through it and leaves it a FIFO (as for /dev/null)"
  mkfifo "$TMP/pipe"
  timeout 20 cat "$TMP/pipe" > "$TMP/from-pipe" &
  gw diff "$TMP/old.json" "$TMP/new.json" -o "$TMP/pipe"
  wait
  expect_status 0
  [[ -p $TMP/pipe ]] || fail "-o replaced the FIFO with a regular file"
  grep -q -F "1 environment checked, 1 changed; risk high" "$TMP/from-pipe" || fail "the report did not go through the FIFO"

  check "-o into a directory: exit 2, the directory left alone"
  mkdir "$TMP/outdir"
  gw diff "$TMP/old.json" "$TMP/new.json" -o "$TMP/outdir"
  expect_status 2
  expect_output_has "cannot write '$TMP/outdir': it is a directory"
  [[ -d $TMP/outdir ]] || fail "the directory was replaced"

  check "files that are not artifacts: exit 2 naming the file, nothing on stdout"
  : > "$TMP/empty.json"
  gw diff "$TMP/empty.json" "$TMP/new.json"
  expect_status 2
  expect_output_has "'$TMP/empty.json' is not JSON"
  expect_stdout_empty
  mkdir "$TMP/dir.json"
  gw diff "$TMP/old.json" "$TMP/dir.json"
  expect_status 2
  expect_output_has "cannot read '$TMP/dir.json': not a regular file"
  gw diff "$TMP/missing.json" "$TMP/new.json"
  expect_status 2
  expect_output_has "cannot read '$TMP/missing.json': no such file"
  python3 -c "import sys
text = open(sys.argv[1]).read().replace('\"gateway\": {', '\"gateway\": {\"deep\": ' + '[' * 100000 + ']' * 100000 + ', ', 1)
open(sys.argv[2], 'w').write(text)" "$TMP/old.json" "$TMP/deep.json"
  cp "$TMP/deep.json" "$TMP/deep2.json"
  gw diff "$TMP/deep.json" "$TMP/deep2.json"
  expect_no_crash
  expect_status 2
  expect_output_has "'$TMP/deep.json' is nested more than 64 levels deep"
}

run_cases case_two_commits case_merge_base case_shallow_clone case_staged_vs_unstaged case_lint_changed_since \
  case_subfolder_renamed case_typos_and_outside_git case_secrets_never_printed case_symlinks case_artifact_files
