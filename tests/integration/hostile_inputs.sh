#!/usr/bin/env bash
# Hostile inputs: every one must end in a diagnostic naming the file (and line, where there is
# one), exit 1 (a finding) or 2 (could not do the job), and never crash, hang (timeout 60), use
# more than MAX_RSS_KIB of memory, or print a report out of proportion to its input.
#   bash tests/integration/hostile_inputs.sh GWCTL REPO_ROOT
# Each case runs in its own process so that one failure does not hide the others; to run one:
#   GWCTL_IT_CASE=case_alias_bomb bash tests/integration/hostile_inputs.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

MAX_RSS_KIB=300000                    # peak resident memory of one gwctl run
if [[ $GW_ASAN -eq 1 ]]; then
  MAX_RSS_KIB=450000                  # ASan: ~90 MB of its own at start, plus shadow memory
fi
MAX_OUTPUT_BYTES=$((8 * 1024 * 1024)) # a report this large is unusable in CI logs

# The bounds every run must respect, whatever it reports.
expect_bounded() {
  expect_no_crash
  if [[ -n $GW_RSS && $GW_RSS -ge $MAX_RSS_KIB ]]; then
    fail "gwctl $GW_LAST_ARGS: peak RSS $GW_RSS KiB, limit $MAX_RSS_KIB KiB"
  fi
  local size
  size=$(wc -c < "$TMP/all")
  if [[ $size -gt $MAX_OUTPUT_BYTES ]]; then
    fail "gwctl $GW_LAST_ARGS: $size bytes of output (limit $MAX_OUTPUT_BYTES); diagnostics should be capped"
  fi
}

# hostile NAME ROOT WHERE_REGEX: lint and compile ROOT; both must fail cleanly (exit 1 or 2) with
# a diagnostic matching WHERE_REGEX (an extended regex: the file, line and rule), within bounds.
hostile() {
  local name=$1 root=$2 where=$3
  check "$name: lint ends in a diagnostic matching /$where/, exit 1 or 2, bounded"
  gw -C "$root" lint
  echo "    lint: exit $GW_STATUS, peak RSS ${GW_RSS:-?} KiB, $(wc -c < "$TMP/all") bytes of output"
  expect_bounded
  expect_status 1 2
  grep -a -q -E -e "$where" "$TMP/all" || fail "$name: lint output does not match /$where/"

  check "$name: compile --env dev fails cleanly (exit 1 or 2), nothing on stdout"
  gw -C "$root" compile --env dev
  expect_bounded
  expect_status 1 2
  expect_stdout_empty
  grep -a -q -E -e "$where" "$TMP/all" || fail "$name: compile output does not match /$where/"
}

# repeat STRING N: STRING N times, no newline added; '\n' in STRING is a newline. (Not
# `yes | head`: the SIGPIPE that ends `yes` is a failure under pipefail.)
repeat() {
  python3 -c 'import sys; sys.stdout.write(sys.argv[1].replace("\\n", "\n") * int(sys.argv[2]))' "$1" "$2"
}

# No line of /etc/passwd may appear in the last output.
passwd_must_not_leak() {
  local line
  while IFS= read -r line; do
    [[ ${#line} -ge 8 ]] || continue
    expect_output_lacks "$line"
  done < /etc/passwd
}

case_alias_bomb() {
  # Billion laughs: 10 levels of 10 aliases, 10^10 nodes once expanded.
  local t=$TMP/alias-bomb i j
  make_tree "$t"
  {
    echo "vars:"
    echo "  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"
    for i in 1 2 3 4 5 6 7 8 9; do
      printf '  l%d: &l%d [' "$i" "$i"
      for j in 1 2 3 4 5 6 7 8 9 10; do
        printf '*l%d' $((i - 1))
        if [[ $j -lt 10 ]]; then printf ', '; fi
      done
      printf ']\n'
    done
  } > "$t/base/bomb.yaml"
  hostile "alias bomb (billion laughs)" "$t" 'base/bomb\.yaml:[0-9]+:[0-9]+: error\[GW105\]'
}

case_deep_flow_sequences() {
  local t=$TMP/deep
  make_tree "$t"
  { printf 'vars:\n  x: '; repeat '[' 10000; repeat ']' 10000; echo; } > "$t/base/deep.yaml"
  hostile "10,000-deep flow sequences [[[...]]]" "$t" 'base/deep\.yaml:[0-9]+:[0-9]+: error\[GW105\]'
}

case_deep_flow_mappings() {
  local t=$TMP/deep
  make_tree "$t"
  { printf 'vars:\n  x: '; repeat '{a: ' 10000; printf 'v'; repeat '}' 10000; echo; } > "$t/base/deep.yaml"
  hostile "10,000-deep flow mappings {a: {a: ...}}" "$t" 'base/deep\.yaml:[0-9]+:[0-9]+: error\[GW105\]'
}

case_deep_flow_mapping_keys() {
  # {{{...}}}: mappings nested as keys; refused as complex keys or for their depth.
  local t=$TMP/deep
  make_tree "$t"
  { printf 'vars:\n  x: '; repeat '{' 10000; repeat '}' 10000; echo; } > "$t/base/deep.yaml"
  hostile "10,000-deep mappings as keys {{{...}}}" "$t" 'base/deep\.yaml:[0-9]+:[0-9]+: error\[GW10[57]\]'
}

case_deep_block_sequences() {
  local t=$TMP/deep
  make_tree "$t"
  { printf 'vars:\n  x:\n    '; repeat '- ' 10000; echo v; } > "$t/base/deep.yaml"
  hostile "10,000-deep block sequences (- - - ...)" "$t" 'base/deep\.yaml:[0-9]+:[0-9]+: error\[GW105\]'
}

case_deep_block_mappings() {
  # Block mappings need one more column of indentation per level: 10,000 levels would be a
  # 50 MB file (refused for its size, which case_50mb_file covers); 5,000 levels is 12.5 MB,
  # under the 16 MiB file limit and still far beyond any sane depth.
  local t=$TMP/deep
  make_tree "$t"
  python3 - "$t/base/deep.yaml" << 'EOF'
import sys
n = 5000
with open(sys.argv[1], "w") as f:
    f.write("vars:\n")
    for i in range(n):
        f.write(" " * (i + 1) + "k:\n")
    f.write(" " * (n + 1) + "v\n")
EOF
  hostile "5,000-deep block mappings" "$t" 'base/deep\.yaml:[0-9]+:[0-9]+: error\[GW105\]'
}

case_50mb_file() {
  # Generated here, never committed.
  local t=$TMP/big size
  make_tree "$t"
  { printf 'vars:\n  pad:\n'; repeat '    - xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n' 666667; } \
    > "$t/base/big.yaml"
  size=$(wc -c < "$t/base/big.yaml")
  [[ $size -ge 50000000 ]] || fail "could not generate the 50 MB file (got $size bytes)"
  hostile "a 50 MB file in base/" "$t" 'base/big\.yaml(:[0-9]+:[0-9]+)?: error\[GW105\]'
}

case_15mb_line() {
  # One unterminated 15 MB line, under the size limit: the report must not echo it.
  local t=$TMP/long-line
  make_tree "$t"
  { printf 'vars: {x: "'; repeat a 15000000; echo; } > "$t/base/long.yaml"
  hostile "a 15 MB unterminated line" "$t" 'base/long\.yaml:[0-9]+:[0-9]+: error\[GW101\]'
}

case_duplicate_key() {
  local t=$TMP/dup
  make_tree "$t"
  printf 'version: 1\ngateway:\n  name: mini\n  name: again\n' > "$t/base/gateway.yaml"
  hostile "a duplicate key" "$t" 'base/gateway\.yaml:4:3: error\[GW103\]'
}

case_200k_duplicate_keys() {
  # A 1.4 MB file; one diagnostic per duplicate would be a ~45 MB report.
  local t=$TMP/dups
  make_tree "$t"
  { echo "vars:"; repeat '  k: v\n' 200000; } > "$t/base/dups.yaml"
  hostile "200,000 duplicate keys" "$t" 'base/dups\.yaml:[0-9]+:[0-9]+: error\[GW103\]'
}

case_invalid_utf8() {
  local t=$TMP/utf8
  make_tree "$t"
  printf 'vars:\n  x: "caf\xff"\n' > "$t/base/vars.yaml"
  hostile "invalid UTF-8 (a 0xff byte)" "$t" 'base/vars\.yaml:2:[0-9]+: error\[GW106\]'
}

case_binary_file() {
  local t=$TMP/binary
  make_tree "$t"
  printf 'vars:\n  x: 1\n\x00\x00\x00\x01\x02\x7fELF\x00binary\n' > "$t/base/x.yaml"
  hostile "a binary file (NUL bytes) named base/x.yaml" "$t" 'base/x\.yaml(:[0-9]+:[0-9]+)?: error\[GW106\]'
}

case_symlink_to_etc_passwd() {
  local t=$TMP/symlink
  make_tree "$t"
  ln -s /etc/passwd "$t/base/evil.yaml"
  hostile "base/evil.yaml -> /etc/passwd" "$t" 'base/evil\.yaml(:[0-9]+:[0-9]+)?: error\[GW113\]'
  check "base/evil.yaml -> /etc/passwd: no line of /etc/passwd in lint (text, json) or show output"
  gw -C "$t" lint
  passwd_must_not_leak
  gw -C "$t" lint --format json
  passwd_must_not_leak
  gw -C "$t" show --env dev
  passwd_must_not_leak
}

case_relative_symlink_escape() {
  local t=$TMP/symlink
  make_tree "$t"
  ln -s ../../../../../../../../../../../../etc/passwd "$t/base/sneaky.yaml"
  hostile "base/sneaky.yaml -> ../../…/etc/passwd" "$t" 'base/sneaky\.yaml(:[0-9]+:[0-9]+)?: error\[GW113\]'
  gw -C "$t" lint
  passwd_must_not_leak
}

case_symlink_project_file() {
  local t=$TMP/symlink
  make_tree "$t"
  rm "$t/gwctl.yaml"
  ln -s /etc/passwd "$t/gwctl.yaml"
  hostile "gwctl.yaml -> /etc/passwd" "$t" 'gwctl\.yaml.*GW113|GW113.*gwctl\.yaml'
  check "gwctl.yaml -> /etc/passwd: no line of /etc/passwd in the output"
  gw -C "$t" lint
  passwd_must_not_leak
}

case_symlinked_dir_outside_root() {
  local t=$TMP/symlink
  make_tree "$t"
  rm -r "$t/envs"
  ln -s / "$t/envs"
  hostile "envs -> / (a directory outside the root)" "$t" "GW113.*'envs"
}

case_symlink_loop() {
  local t=$TMP/symlink
  make_tree "$t"
  ln -s loop.yaml "$t/base/loop.yaml"
  hostile "base/loop.yaml -> itself" "$t" 'base/loop\.yaml(:[0-9]+:[0-9]+)?: error\[GW113\]'
}

case_fifo() {
  local t=$TMP/fifo
  make_tree "$t"
  mkfifo "$t/base/fifo.yaml"
  hostile "a FIFO named base/fifo.yaml (must not block)" "$t" 'base/fifo\.yaml(:[0-9]+:[0-9]+)?: error\[GW113\]'
}

case_unreadable_file() {
  local t=$TMP/unreadable
  make_tree "$t"
  printf 'vars:\n  x: 1\n' > "$t/base/locked.yaml"
  chmod 000 "$t/base/locked.yaml"
  if [[ $(id -u) -ne 0 ]]; then
    hostile "unreadable base/locked.yaml" "$t" 'base/locked\.yaml(:[0-9]+:[0-9]+)?: error\[GW113\]'
    return
  fi
  # root reads anything; run gwctl as nobody to get a real EACCES.
  if ! command -v setpriv > /dev/null || ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null; then
    echo "[$SCRIPT_NAME] skip: unreadable file (root, and cannot switch to uid 65534)"
    return
  fi
  chmod 755 "$TMP" "$t" "$t/base" "$t/envs"
  chmod 644 "$t/gwctl.yaml" "$t/base/gateway.yaml" "$t/envs/"*.yaml
  check "unreadable base/locked.yaml (gwctl as uid 65534): GW113 naming the file, exit 1 or 2"
  set +e
  NO_COLOR=1 timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups "$GWCTL" -C "$t" lint \
    < /dev/null > "$TMP/all" 2>&1
  GW_STATUS=$?
  set -e
  GW_LAST_ARGS="-C $t lint (as uid 65534)"
  cp "$TMP/all" "$TMP/.run/all"
  expect_no_crash
  expect_status 1 2
  grep -a -q -E 'base/locked\.yaml.*GW113|GW113.*base/locked\.yaml' "$TMP/all" ||
    fail "unreadable file: no GW113 naming base/locked.yaml"
}

case_empty_and_comment_files_beside_valid() {
  local t=$TMP/odd
  make_tree "$t"
  : > "$t/base/empty.yaml"
  printf '# only a comment\n\n# and another\n' > "$t/base/comments.yaml"
  check "an empty file and a comments-only file beside a valid base: lint is clean (exit 0)"
  gw -C "$t" lint
  expect_bounded
  expect_status 0
  check "... and compile --env prod succeeds (exit 0)"
  gw -C "$t" compile --env prod
  expect_bounded
  expect_status 0
}

case_only_file_empty() {
  local t=$TMP/empty
  make_tree "$t"
  : > "$t/base/gateway.yaml"
  check "the only base file is empty: lint reports a GW1xx error (exit 1)"
  gw -C "$t" lint
  expect_bounded
  expect_status 1
  grep -a -q -E 'error\[GW1[0-9][0-9]\]' "$TMP/all" || fail "empty config: no GW1xx error"
}

case_only_file_comments() {
  local t=$TMP/comments
  make_tree "$t"
  printf '# version: 1\n# gateway: {name: x}\n' > "$t/base/gateway.yaml"
  check "the only base file holds only comments: lint reports a GW1xx error (exit 1)"
  gw -C "$t" lint
  expect_bounded
  expect_status 1
  grep -a -q -E 'error\[GW1[0-9][0-9]\]' "$TMP/all" || fail "comments-only config: no GW1xx error"
}

case_unreadable_root() {
  check "-C /nonexistent lint: exit 2, naming the directory"
  gw -C /nonexistent lint
  expect_no_crash
  expect_status 2
  expect_output_has "/nonexistent"

  check "-C /nonexistent compile --env dev: exit 2, nothing on stdout"
  gw -C /nonexistent compile --env dev
  expect_no_crash
  expect_status 2
  expect_stdout_empty

  check "-C a regular file: exit 2, naming it"
  : > "$TMP/plain-file"
  gw -C "$TMP/plain-file" lint
  expect_no_crash
  expect_status 2
  expect_output_has "plain-file"
}

if [[ -z ${GWCTL_IT_CASE:-} ]]; then
  if [[ -n $GW_TIME ]]; then
    echo "[$SCRIPT_NAME] memory: peak RSS measured with $GW_TIME, limit $MAX_RSS_KIB KiB"
  elif [[ $GW_ASAN -eq 0 ]]; then
    echo "[$SCRIPT_NAME] memory: /usr/bin/time unavailable; address space capped at 4 GiB (ulimit -v)"
  else
    echo "[$SCRIPT_NAME] memory: /usr/bin/time unavailable and an ASan build: memory not bounded"
  fi
fi

run_cases \
  case_alias_bomb \
  case_deep_flow_sequences case_deep_flow_mappings case_deep_flow_mapping_keys \
  case_deep_block_sequences case_deep_block_mappings \
  case_50mb_file case_15mb_line \
  case_duplicate_key case_200k_duplicate_keys \
  case_invalid_utf8 case_binary_file \
  case_symlink_to_etc_passwd case_relative_symlink_escape case_symlink_project_file \
  case_symlinked_dir_outside_root case_symlink_loop \
  case_fifo case_unreadable_file \
  case_empty_and_comment_files_beside_valid case_only_file_empty case_only_file_comments \
  case_unreadable_root
