#!/usr/bin/env bash
# `gwctl init` writes a starter repository that lints clean and compiles for every environment,
# and refuses to overwrite an existing one without --force.
#   bash tests/integration/init.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

# Lint clean, and every environment compiles to an artifact with a digest.
expect_starter_ok() {
  local dir=$1 env n=0
  check "gwctl -C $(basename "$dir") lint: exit 0"
  gw -C "$dir" lint
  expect_no_crash
  expect_status 0
  while IFS= read -r env; do
    n=$((n + 1))
    check "gwctl -C $(basename "$dir") compile --env $env: exit 0, an artifact for '$env'"
    gw -C "$dir" compile --env "$env"
    expect_no_crash
    expect_status 0
    python3 -c 'import json, re, sys
a = json.load(open(sys.argv[1]))
assert a["environment"] == sys.argv[2], a["environment"]
assert re.fullmatch(r"sha256:[0-9a-f]{64}", a["digest"]), a["digest"]' "$TMP/out" "$env" ||
      fail "compile --env $env: not a valid artifact"
  done < <(envs_of "$dir")
  [[ $n -gt 0 ]] || fail "the starter repository has no environments"
}

case_init_dir() {
  check "gwctl init DIR: exit 0, DIR created with gwctl.yaml, base/, envs/"
  gw init "$TMP/starter"
  expect_no_crash
  expect_status 0
  [[ -f $TMP/starter/gwctl.yaml && -d $TMP/starter/base && -d $TMP/starter/envs ]] ||
    fail "init did not write gwctl.yaml, base/ and envs/"
  expect_starter_ok "$TMP/starter"

  check "gwctl init DIR again: exit 2 without --force, files unchanged, the refusal names them"
  printf '# edited by hand\n' >> "$TMP/starter/gwctl.yaml"
  (cd "$TMP/starter" && find . -type f -exec sha256sum {} + | LC_ALL=C sort) > "$TMP/before"
  gw init "$TMP/starter"
  expect_no_crash
  expect_status 2
  expect_output_has "gwctl.yaml"
  expect_output_has "--force"
  (cd "$TMP/starter" && find . -type f -exec sha256sum {} + | LC_ALL=C sort) > "$TMP/after"
  cmp -s "$TMP/before" "$TMP/after" || fail "init without --force changed files"

  check "gwctl init DIR --force: exit 0, the starter files are restored"
  gw init "$TMP/starter" --force
  expect_no_crash
  expect_status 0
  if grep -q 'edited by hand' "$TMP/starter/gwctl.yaml"; then fail "--force did not overwrite gwctl.yaml"; fi
  expect_starter_ok "$TMP/starter"
}

case_init_in_cwd() {
  check "gwctl init (no DIR) in an empty working directory: writes there"
  mkdir "$TMP/here"
  gw_in "$TMP/here" init
  expect_no_crash
  expect_status 0
  [[ -f $TMP/here/gwctl.yaml ]] || fail "init without DIR did not write ./gwctl.yaml"
  expect_starter_ok "$TMP/here"
}

case_init_same_bytes() {
  check "two inits write identical files"
  gw init "$TMP/one"
  expect_status 0
  gw init "$TMP/two"
  expect_status 0
  diff -r "$TMP/one" "$TMP/two" > /dev/null || fail "init is not deterministic"
}

case_init_into_file() {
  check "gwctl init onto a path that is a regular file: exit 2, no crash"
  : > "$TMP/a-file"
  gw init "$TMP/a-file"
  expect_no_crash
  expect_status 2
}

run_cases case_init_dir case_init_in_cwd case_init_same_bytes case_init_into_file
