#!/usr/bin/env bash
# The real pre-commit framework (Debian's package, installed when missing) runs the hooks that
# .pre-commit-hooks.yaml at the repository root declares, against this build of gwctl: a commit
# with a planted error is refused, a clean one goes through, and the manual gwctl-diff hook
# fails on a high-risk staged change. Nothing is downloaded: the hooks are `language: system`.
#   bash tests/integration/pre_commit.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

if ! command -v pre-commit > /dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get > /dev/null; then
    echo "[$SCRIPT_NAME] installing Debian's pre-commit"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends pre-commit > /dev/null 2>&1 ||
      { apt-get update -qq > /dev/null 2>&1 && apt-get install -y -qq --no-install-recommends pre-commit > /dev/null 2>&1; } ||
      fail "could not install pre-commit (apt-get install pre-commit)"
  else
    fail "pre-commit is not installed; install it with: apt-get install pre-commit"
  fi
fi

isolated_git
export PRE_COMMIT_HOME=$TMP/pre-commit-cache NO_COLOR=1
mkdir -p "$TMP/bin"
# `language: system` runs the gwctl on PATH: this build.
ln -s "$GWCTL" "$TMP/bin/gwctl"
export PATH=$TMP/bin:$PATH

# The hook repository: this repository's .pre-commit-hooks.yaml, committed on its own.
hooks=$TMP/gwctl-hooks
mkdir -p "$hooks"
cp "$REPO/.pre-commit-hooks.yaml" "$hooks/"
git -C "$hooks" init -q -b main
git -C "$hooks" add -A
git -C "$hooks" commit -q -m hooks
rev=$(git -C "$hooks" rev-parse HEAD)

# The config repository, its config root in gateway/.
cfg=$TMP/config-repo
make_tree "$cfg/gateway"
cat > "$cfg/.pre-commit-config.yaml" << EOF
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: gwctl-lint
        args: [-C, gateway]
      - id: gwctl-diff
        args: [-C, gateway]
EOF
git -C "$cfg" init -q -b main
git -C "$cfg" add -A
git -C "$cfg" commit -q -m "initial, before the hooks"
(cd "$cfg" && pre-commit install > "$TMP/install.log" 2>&1) || { cat "$TMP/install.log"; fail "pre-commit install failed"; }

commit_in_cfg() { # MESSAGE: commits what is staged; sets STATUS; output in $TMP/commit.log
  set +e
  (cd "$cfg" && git commit -q -m "$1") > "$TMP/commit.log" 2>&1
  STATUS=$?
  set -e
}

check "a commit with a planted error is refused, with the finding's file and line"
printf 'gateway:\n  replicas: many\n' > "$cfg/gateway/envs/prod.yaml"
git -C "$cfg" add -A
commit_in_cfg "planted error"
[[ $STATUS -ne 0 ]] || { cat "$TMP/commit.log"; fail "the commit went through"; }
grep -q "gwctl lint (staged)" "$TMP/commit.log" || { cat "$TMP/commit.log"; fail "the gwctl-lint hook did not run"; }
grep -q "envs/prod.yaml:2:13" "$TMP/commit.log" || { cat "$TMP/commit.log"; fail "no finding location in the hook output"; }
[[ $(git -C "$cfg" rev-list --count HEAD) -eq 1 ]] || fail "a commit was made"

check "the hook lints the index: fixing the work tree alone does not let the commit through"
printf 'gateway:\n  replicas: 2\n' > "$cfg/gateway/envs/prod.yaml"
commit_in_cfg "still staged error"
[[ $STATUS -ne 0 ]] || { cat "$TMP/commit.log"; fail "the commit went through with the error still staged"; }

check "a clean commit goes through"
git -C "$cfg" add -A
printf 'gateway:\n  replicas: 4\n' > "$cfg/gateway/envs/prod.yaml"
git -C "$cfg" add -A
commit_in_cfg "clean change"
[[ $STATUS -eq 0 ]] || { cat "$TMP/commit.log"; fail "the clean commit was refused"; }
[[ $(git -C "$cfg" rev-list --count HEAD) -eq 2 ]] || fail "no commit was made"

check "gwctl-diff is manual: it did not run on commit"
if grep -q "gwctl diff" "$TMP/commit.log"; then fail "gwctl-diff ran at commit time"; fi

check "gwctl-diff --hook-stage manual fails on a high-risk staged change and prints the diff"
cat >> "$cfg/gateway/base/gateway.yaml" << 'EOF'
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${secret:OPENAI_API_KEY}
models:
  gpt:
    provider: openai
    id: gpt-4o-2024-11-20
routes:
  - name: open
    match: {path: /v1/open}
    auth: {type: none, public: true, reason: demo}
    models: [gpt]
EOF
git -C "$cfg" add -A
set +e
(cd "$cfg" && pre-commit run gwctl-diff --hook-stage manual) > "$TMP/diff.log" 2>&1
STATUS=$?
set -e
[[ $STATUS -ne 0 ]] || { cat "$TMP/diff.log"; fail "gwctl-diff passed a new public route"; }
grep -q "new public route" "$TMP/diff.log" || { cat "$TMP/diff.log"; fail "the diff is not in the hook output"; }

check "pre-commit downloaded nothing: its cache holds only the cloned hook repository"
if [[ -n $(find "$PRE_COMMIT_HOME" -name 'py_env-*' -o -name 'node_env-*') ]]; then
  fail "pre-commit created a language environment"
fi

done_ok
