#!/usr/bin/env bash
# Same inputs, same bytes: compile is deterministic across runs, absolute paths and mtimes, and
# `-o` writes atomically: on failure it leaves neither a partial artifact nor a temp file, and
# never replaces an existing file with nothing.
#   bash tests/integration/determinism.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

ACME=$REPO/examples/acme
BROKEN=$REPO/examples/broken
mapfile -t ENVS < <(envs_of "$ACME")
[[ ${#ENVS[@]} -gt 0 ]] || fail "examples/acme has no environments"

# A copy of examples/acme outside the repository (so outside Git), at an unrelated path.
copy_acme() {
  mkdir -p "$(dirname "$1")"
  cp -R "$ACME" "$1"
}

# Artifacts made outside a Git repository have source.commit and source.dirty null; made inside
# one they may record the commit. Copies are compared byte for byte with each other, and with
# the in-repo artifact once its commit and dirty flag (and so the digest) are set aside.
strip_git() {
  python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))
a["source"]["commit"] = a["source"]["dirty"] = None
a.pop("digest", None)
print(json.dumps(a, sort_keys=True))' "$1"
}

case_same_run_twice() {
  local env
  for env in "${ENVS[@]}"; do
    check "compile --env $env twice: identical bytes"
    gw -C "$ACME" compile --env "$env"
    expect_no_crash
    expect_status 0
    cp "$TMP/out" "$TMP/a1-$env.json"
    gw -C "$ACME" compile --env "$env"
    expect_status 0
    cmp -s "$TMP/a1-$env.json" "$TMP/out" || fail "compile --env $env: two runs differ"
    [[ -s $TMP/out ]] || fail "compile --env $env: empty artifact"
  done
  check "every environment gives a different artifact (digests differ)"
  local digests
  digests=$(for env in "${ENVS[@]}"; do python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["digest"])' "$TMP/a1-$env.json"; done | sort -u | wc -l)
  [[ $digests -eq ${#ENVS[@]} ]] || fail "$digests distinct digests for ${#ENVS[@]} environments"
}

case_other_absolute_path() {
  local env
  copy_acme "$TMP/one/acme"
  copy_acme "$TMP/somewhere/else/entirely/config-root"
  for env in "${ENVS[@]}"; do
    check "compile --env $env from two copies at different absolute paths: identical bytes"
    gw -C "$TMP/one/acme" compile --env "$env"
    expect_status 0
    cp "$TMP/out" "$TMP/c1.json"
    gw_in "$TMP/somewhere/else" -C entirely/config-root compile --env "$env"
    expect_status 0
    cmp -s "$TMP/c1.json" "$TMP/out" || fail "compile --env $env: the artifact depends on the root's path"
    check "compile --env $env: the copy matches the in-repo artifact (git fields aside)"
    gw -C "$ACME" compile --env "$env"
    expect_status 0
    cp "$TMP/out" "$TMP/in-repo.json"
    [[ $(strip_git "$TMP/c1.json") == "$(strip_git "$TMP/in-repo.json")" ]] ||
      fail "compile --env $env: a copy of examples/acme compiles differently"
    if [[ $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["source"]["commit"])' "$TMP/in-repo.json") == None ]]; then
      cmp -s "$TMP/c1.json" "$TMP/in-repo.json" || fail "compile --env $env: copy and original differ byte-wise"
    fi
  done
}

case_mtimes_and_environment() {
  local env
  copy_acme "$TMP/m/acme"
  for env in "${ENVS[@]}"; do
    gw -C "$TMP/m/acme" compile --env "$env"
    expect_status 0
    cp "$TMP/out" "$TMP/before-$env.json"
  done
  check "touch every file (old and new mtimes): identical bytes"
  find "$TMP/m/acme" -type f -exec touch -d '2001-02-03 04:05:06' {} +
  for env in "${ENVS[@]}"; do
    gw -C "$TMP/m/acme" compile --env "$env"
    cmp -s "$TMP/before-$env.json" "$TMP/out" || fail "compile --env $env: depends on mtimes (old)"
  done
  find "$TMP/m/acme" -type f -exec touch {} +
  for env in "${ENVS[@]}"; do
    gw -C "$TMP/m/acme" compile --env "$env"
    cmp -s "$TMP/before-$env.json" "$TMP/out" || fail "compile --env $env: depends on mtimes (now)"
  done
  check "another TZ, locale, HOME and secret-named env vars: identical bytes (compile is hermetic)"
  for env in "${ENVS[@]}"; do
    set +e
    TZ=Asia/Kathmandu LC_ALL=C.UTF-8 HOME=/nonexistent OPENAI_API_KEY=gwctl-env-leak-7f3a ADMIN_KEY=gwctl-env-leak-7f3a \
      NO_COLOR=1 timeout 60 "$GWCTL" -C "$TMP/m/acme" compile --env "$env" < /dev/null > "$TMP/env.json" 2> "$TMP/env.err"
    local s=$?
    set -e
    [[ $s -eq 0 ]] || fail "compile --env $env under another environment: exit $s"
    cmp -s "$TMP/before-$env.json" "$TMP/env.json" || fail "compile --env $env: depends on the process environment"
    if grep -q gwctl-env-leak-7f3a "$TMP/env.json"; then fail "compile --env $env: an environment variable's value reached the artifact"; fi
  done
}

case_output_file_atomic() {
  local env=${ENVS[0]} left
  check "compile -o FILE writes exactly what stdout gets"
  gw -C "$ACME" compile --env "$env"
  cp "$TMP/out" "$TMP/stdout.json"
  mkdir "$TMP/outdir"
  gw -C "$ACME" compile --env "$env" -o "$TMP/outdir/a.json"
  expect_status 0
  expect_stdout_empty
  cmp -s "$TMP/stdout.json" "$TMP/outdir/a.json" || fail "-o content differs from stdout"
  left=$(find "$TMP/outdir" -mindepth 1 ! -name a.json)
  [[ -z $left ]] || fail "-o left extra files behind: $left"

  check "compile -o FILE over an existing file replaces it"
  printf 'old\n' > "$TMP/outdir/b.json"
  gw -C "$ACME" compile --env "$env" -o "$TMP/outdir/b.json"
  expect_status 0
  cmp -s "$TMP/stdout.json" "$TMP/outdir/b.json" || fail "-o did not replace an existing file"

  check "compile -o into a read-only directory: exit 2, no file, no temp file left"
  mkdir "$TMP/ro"
  chmod 555 "$TMP/ro"
  if [[ $(id -u) -ne 0 ]]; then
    gw -C "$ACME" compile --env "$env" -o "$TMP/ro/a.json"
  elif command -v setpriv > /dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null; then
    # root writes anywhere; run gwctl as nobody. It must reach the binary and examples/acme.
    chmod 755 "$TMP"
    set +e
    NO_COLOR=1 timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$GWCTL" -C "$ACME" compile --env "$env" -o "$TMP/ro/a.json" < /dev/null > "$TMP/out" 2> "$TMP/err"
    GW_STATUS=$?
    set -e
    cat "$TMP/out" "$TMP/err" > "$TMP/all"
    cp "$TMP/all" "$TMP/.run/all"
    GW_LAST_ARGS="-C $ACME compile --env $env -o $TMP/ro/a.json (as uid 65534)"
    if grep -q -i -e 'cannot read the config root' -e 'permission denied.*examples' "$TMP/all"; then
      echo "[$SCRIPT_NAME] skip: uid 65534 cannot read $ACME"
      GW_STATUS=skip
    fi
  else
    echo "[$SCRIPT_NAME] skip: root, and cannot switch to uid 65534"
    GW_STATUS=skip
  fi
  if [[ $GW_STATUS != skip ]]; then
    expect_no_crash
    expect_status 2
    expect_stdout_empty
    left=$(find "$TMP/ro" -mindepth 1)
    [[ -z $left ]] || fail "read-only directory: files left behind: $left"
  fi

  check "compile -o into a missing directory, and onto a directory: exit 2, nothing left behind"
  gw -C "$ACME" compile --env "$env" -o "$TMP/missing/dir/a.json"
  expect_no_crash
  expect_status 2
  [[ ! -e $TMP/missing ]] || fail "-o created directories"
  mkdir "$TMP/isdir"
  gw -C "$ACME" compile --env "$env" -o "$TMP/isdir"
  expect_no_crash
  expect_status 2
  [[ -d $TMP/isdir ]] || fail "-o replaced a directory"
  left=$(find "$TMP" -maxdepth 2 -name '*.tmp*')
  [[ -z $left ]] || fail "temp files left behind: $left"
}

case_broken_never_writes() {
  check "examples/broken compile --env prod -o out.json: exit 1, out.json not created"
  mkdir "$TMP/w"
  gw_in "$TMP/w" -C "$BROKEN" compile --env prod -o out.json
  expect_no_crash
  expect_status 1
  [[ ! -e $TMP/w/out.json ]] || fail "an artifact was written from a config with errors"
  local left
  left=$(find "$TMP/w" -mindepth 1)
  [[ -z $left ]] || fail "files left behind: $left"

  check "examples/broken compile --env prod -o out.json over an existing out.json: left untouched"
  printf '{"previous": "artifact"}\n' > "$TMP/w/out.json"
  cp "$TMP/w/out.json" "$TMP/w.orig"
  touch -d '2001-02-03 04:05:06' "$TMP/w/out.json"
  local before
  before=$(stat -c '%i %Y %s' "$TMP/w/out.json")
  gw_in "$TMP/w" -C "$BROKEN" compile --env prod -o out.json
  expect_status 1
  cmp -s "$TMP/w.orig" "$TMP/w/out.json" || fail "the existing out.json was changed"
  [[ $(stat -c '%i %Y %s' "$TMP/w/out.json") == "$before" ]] || fail "the existing out.json was replaced (inode or mtime changed)"
  left=$(find "$TMP/w" -mindepth 1 ! -name out.json)
  [[ -z $left ]] || fail "files left behind: $left"
}

run_cases case_same_run_twice case_other_absolute_path case_mtimes_and_environment \
  case_output_file_atomic case_broken_never_writes
