# Shared helpers of the integration scripts (sourced; not a test itself: ctest registers *.sh).
#
# Every script is run as `bash script.sh GWCTL REPO_ROOT`. After sourcing this file:
#   $GWCTL  absolute path of the binary     $REPO  absolute path of the repository
#   $TMP    a private temp dir, removed on exit
#   check "what"            prints the check being made
#   fail "why"              prints FAIL and exits 1
#   gw ARGS...              runs gwctl (NO_COLOR=1, stdin /dev/null, `timeout 60`) with
#                           stdout in $TMP/out, stderr in $TMP/err, both in $TMP/all, the status
#                           in $GW_STATUS and, when it can be measured, the peak RSS in KiB
#                           in $GW_RSS (else empty)
#   gw_in DIR ARGS...       the same, run in DIR
#   expect_status N...      fails unless $GW_STATUS is one of N...
#   expect_no_crash         fails on a signal / timeout / sanitizer report
#   expect_output_has STR / expect_output_lacks STR   (fixed strings, stdout+stderr)
# The GW_* and other globals set here are read by the scripts that source this file.
# shellcheck disable=SC2034
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: bash $0 GWCTL REPO_ROOT" >&2
  exit 2
fi
GWCTL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
REPO=$(cd "$2" && pwd)
[[ -x $GWCTL ]] || { echo "FAIL: '$GWCTL' is not executable" >&2; exit 1; }
command -v python3 > /dev/null || { echo "FAIL: these tests need python3 (for JSON); install it" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gwctl-it.XXXXXX")
cleanup() {
  # Undo permission games so that rm can remove everything.
  chmod -R u+rwX "$TMP" 2> /dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
mkdir "$TMP/.run"

SCRIPT_NAME=$(basename "$0" .sh)
CHECKS=0

check() {
  CHECKS=$((CHECKS + 1))
  echo "[$SCRIPT_NAME] check: $*"
}
fail() {
  echo "[$SCRIPT_NAME] FAIL: $*" >&2
  if [[ -f $TMP/.run/all ]]; then
    echo "----- last gwctl command: gwctl ${GW_LAST_ARGS:-} (exit ${GW_STATUS:-?}); output (first 40 lines, 200 chars each):" >&2
    head -n 40 "$TMP/.run/all" | cut -c1-200 >&2
    echo "-----" >&2
  fi
  exit 1
}
done_ok() {
  echo "[$SCRIPT_NAME] ok: $CHECKS checks passed"
}

# Sanitizer builds need a lot of virtual memory and carry their own overhead.
GW_ASAN=0
# (Not `ldd | grep -q`: under pipefail, grep quitting at its first match can fail ldd's write.)
libs=$(ldd "$GWCTL" 2> /dev/null || true)
if [[ $libs == *asan* || $libs == *ubsan* ]]; then GW_ASAN=1; fi
GW_TIME=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o /dev/null true 2> /dev/null; then
  GW_TIME=/usr/bin/time
fi

GW_STATUS=0
GW_RSS=""
GW_LAST_ARGS=""
gw() {
  GW_LAST_ARGS="$*"
  local run=$TMP/.run
  rm -f "$run/out" "$run/err" "$run/all" "$run/rss"
  set +e
  if [[ -n $GW_TIME ]]; then
    NO_COLOR=1 timeout 60 "$GW_TIME" -f %M -o "$run/rss" "$GWCTL" "$@" < /dev/null > "$run/out" 2> "$run/err"
  elif [[ $GW_ASAN -eq 0 ]]; then
    # No way to measure: cap the address space at 4 GiB instead (not under ASan, which
    # reserves terabytes of virtual memory for its shadow).
    (ulimit -v 4194304 && NO_COLOR=1 exec timeout 60 "$GWCTL" "$@") < /dev/null > "$run/out" 2> "$run/err"
  else
    NO_COLOR=1 timeout 60 "$GWCTL" "$@" < /dev/null > "$run/out" 2> "$run/err"
  fi
  GW_STATUS=$?
  set -e
  GW_RSS=""
  if [[ -s $run/rss ]]; then GW_RSS=$(grep -E '^[0-9]+$' "$run/rss" | tail -n 1 || true); fi
  cat "$run/out" "$run/err" > "$run/all"
  cp "$run/out" "$TMP/out"
  cp "$run/err" "$TMP/err"
  cp "$run/all" "$TMP/all"
}

# gw_in DIR ARGS...: gw with DIR as the working directory (no subshell: $GW_STATUS survives).
gw_in() {
  local dir=$1
  shift
  pushd "$dir" > /dev/null
  gw "$@"
  popd > /dev/null
}

expect_status() {
  local s
  for s in "$@"; do
    [[ $GW_STATUS -eq $s ]] && return 0
  done
  fail "gwctl $GW_LAST_ARGS: exit $GW_STATUS, expected ${*// / or }"
}
expect_no_crash() {
  if [[ $GW_STATUS -eq 124 ]]; then fail "gwctl $GW_LAST_ARGS: still running after 60 s (killed by timeout)"; fi
  if [[ $GW_STATUS -ge 128 ]]; then fail "gwctl $GW_LAST_ARGS: died with status $GW_STATUS (signal $((GW_STATUS - 128)))"; fi
  if grep -a -q -e 'AddressSanitizer' -e 'LeakSanitizer' -e 'runtime error:' -e 'internal error' "$TMP/all"; then
    fail "gwctl $GW_LAST_ARGS: sanitizer report or internal error in the output"
  fi
}
expect_output_has() {
  grep -a -q -F -e "$1" "$TMP/all" || fail "gwctl $GW_LAST_ARGS: the output does not contain '$1'"
}
expect_output_lacks() {
  if grep -a -q -F -e "$1" "$TMP/all"; then
    fail "gwctl $GW_LAST_ARGS: the output contains '$1' (line $(grep -a -n -F -e "$1" "$TMP/all" | head -n 1 | cut -d: -f1))"
  fi
}
expect_stdout_empty() {
  [[ ! -s $TMP/out ]] || fail "gwctl $GW_LAST_ARGS: expected nothing on stdout, got $(wc -c < "$TMP/out") bytes"
}

# For scripts that make Git repositories: git is required, and no user or system Git
# configuration leaks in (HOME is a fresh folder under $TMP; commits have a fixed author).
isolated_git() {
  command -v git > /dev/null || fail "these tests need git"
  export HOME=$TMP/home GIT_CONFIG_NOSYSTEM=1
  export GIT_AUTHOR_NAME=gwctl-test GIT_AUTHOR_EMAIL=test@example.invalid
  export GIT_COMMITTER_NAME=gwctl-test GIT_COMMITTER_EMAIL=test@example.invalid
  mkdir -p "$HOME"
}

# commit DIR MESSAGE: stages everything in the repository DIR and commits it.
commit() {
  git -C "$1" add -A
  git -C "$1" commit -q -m "$2"
}

# A minimal valid config root in $1: environments dev and prod, one base file.
make_tree() {
  local d=$1
  mkdir -p "$d/base" "$d/envs"
  printf 'environments: [dev, prod]\n' > "$d/gwctl.yaml"
  printf 'version: 1\ngateway:\n  name: mini\n' > "$d/base/gateway.yaml"
  printf 'gateway:\n  listen: 127.0.0.1:8080\n' > "$d/envs/dev.yaml"
  printf 'gateway:\n  replicas: 2\n' > "$d/envs/prod.yaml"
}

# Environments of a config root, one per line, as lint reports them.
envs_of() {
  NO_COLOR=1 "$GWCTL" -C "$1" lint --format json --fail-on never < /dev/null |
    python3 -c 'import json, sys
seen = []
for c in json.load(sys.stdin)["summary"]["checked"]:
    if c["env"] not in seen:
        seen.append(c["env"])
print("\n".join(seen))'
}

# run_cases FN...: runs each case function in its own process (so that one failure does not
# hide the next), then reports. In the child, GWCTL_IT_CASE names the one function to run.
run_cases() {
  if [[ -n ${GWCTL_IT_CASE:-} ]]; then
    "$GWCTL_IT_CASE"
    echo "[$SCRIPT_NAME] $GWCTL_IT_CASE: ok"
    return 0
  fi
  local fn failed=() n=0
  for fn in "$@"; do
    n=$((n + 1))
    if ! GWCTL_IT_CASE=$fn bash "$0" "$GWCTL" "$REPO"; then
      failed+=("$fn")
    fi
  done
  if [[ ${#failed[@]} -gt 0 ]]; then
    echo "[$SCRIPT_NAME] FAILED ${#failed[@]} of $n cases: ${failed[*]}" >&2
    exit 1
  fi
  echo "[$SCRIPT_NAME] ok: all $n cases passed"
}
