#!/usr/bin/env bash
# Golden CLI test runner.
#
#   bash tests/golden/run.sh GWCTL CASE_DIR [--update]
#
# A case folder holds:
#   cmd       one line: the arguments after `gwctl` (split on blanks; no quoting, no globbing)
#   README    one line saying what the case shows
#   tree/     the input config root, usually (cmd says `-C tree ...`); cases may instead point
#             at the examples, e.g. `-C ../../../examples/broken lint`
#   expected  the exact combined output: stdout, a line `--- stderr`, stderr, a line `--- exit N`
#   forbid    optional: strings (one per line) that must never appear in the output, e.g. a
#             secret literal; checked on every run; --update refuses to record such output
#
# gwctl runs with the case folder as its working directory, stdin from /dev/null and a fixed,
# minimal environment (NO_COLOR=1, LC_ALL=C, TZ=UTC, HOME unset-ish, Git's search for a
# repository stopped at tests/golden). The output is compared byte
# for byte; on mismatch a unified diff is printed and the exit status is 1. With --update the
# output is written to `expected` instead (review the diff before committing), unless it fails
# one of the checks --update does not waive: a forbidden string, a crash or sanitizer report,
# or a change to the case folder.
set -euo pipefail

usage() {
  echo "usage: $0 GWCTL CASE_DIR [--update]" >&2
  exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage
bin=$1
case_dir=$2
update=0
if [[ $# -eq 3 ]]; then
  [[ $3 == --update ]] || usage
  update=1
fi

[[ -x $bin ]] || { echo "golden: '$bin' is not an executable" >&2; exit 2; }
[[ -d $case_dir ]] || { echo "golden: '$case_dir' is not a directory" >&2; exit 2; }
[[ -f $case_dir/cmd ]] || { echo "golden: '$case_dir/cmd' is missing" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
case_dir=$(cd "$case_dir" && pwd)
name=$(basename "$case_dir")

read -r -a args < "$case_dir/cmd" || true
if [[ ${#args[@]} -eq 0 ]]; then
  echo "golden[$name]: 'cmd' is empty" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gwctl-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A fingerprint of the case folder (names, types, contents), to catch a gwctl that writes into
# its input. `expected` is ours to rewrite, so it is left out.
fingerprint() {
  (cd "$case_dir" && find . -path ./expected -prune -o -printf '%y %p %l\n' | LC_ALL=C sort &&
    find . -type f ! -path ./expected -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}
fingerprint > "$work/before"

# The fixed environment. Sanitizer settings pass through so that ASan builds behave as ctest
# asks them to.
# GIT_CEILING_DIRECTORIES keeps a case's tree out of this repository, as a config kept
# outside Git: an artifact's source.commit would otherwise change with every commit.
fixed_env=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent LC_ALL=C LANG=C TZ=UTC NO_COLOR=1 TERM=dumb
  "GIT_CEILING_DIRECTORIES=$(dirname "$case_dir")")
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
  if [[ -n ${!v:-} ]]; then fixed_env+=("$v=${!v}"); fi
done

set +e
(cd "$case_dir" && exec env -i "${fixed_env[@]}" "$bin" "${args[@]}" < /dev/null > "$work/stdout" 2> "$work/stderr")
status=$?
set -e

# Appends a stream; marks a missing final newline so that the separators stay on their own lines.
append_stream() {
  local file=$1 label=$2
  cat "$file"
  if [[ -s $file && $(tail -c 1 "$file" | od -An -c | tr -d ' ') != '\n' ]]; then
    printf '\n\\ no newline at end of %s\n' "$label"
  fi
}
{
  append_stream "$work/stdout" stdout
  echo "--- stderr"
  append_stream "$work/stderr" stderr
  echo "--- exit $status"
} > "$work/actual"

fail=0

fingerprint > "$work/after"
if ! cmp -s "$work/before" "$work/after"; then
  echo "golden[$name]: FAIL: gwctl changed files in the case folder:" >&2
  diff -u --label before --label after "$work/before" "$work/after" >&2 || true
  fail=1
fi

if [[ $status -ge 128 ]]; then
  echo "golden[$name]: FAIL: gwctl died with status $status (a signal or a crash)" >&2
  fail=1
fi
if grep -a -q -e 'AddressSanitizer' -e 'runtime error:' -e 'LeakSanitizer' "$work/actual"; then
  echo "golden[$name]: FAIL: sanitizer report in the output" >&2
  fail=1
fi

if [[ -f $case_dir/forbid ]]; then
  while IFS= read -r needle || [[ -n $needle ]]; do
    [[ -z $needle ]] && continue
    if grep -a -n -F -e "$needle" "$work/actual" > "$work/hits"; then
      echo "golden[$name]: FAIL: forbidden string '$needle' appears in the output, at output line(s):" >&2
      cut -d: -f1 "$work/hits" | tr '\n' ' ' >&2
      echo >&2
      fail=1
    fi
  done < "$case_dir/forbid"
fi

if [[ $update -eq 1 ]]; then
  if [[ $fail -ne 0 ]]; then
    echo "golden[$name]: not updating 'expected': the output fails a check that --update does not waive" >&2
    exit 1
  fi
  if [[ -f $case_dir/expected ]] && cmp -s "$case_dir/expected" "$work/actual"; then
    echo "golden[$name]: unchanged"
  else
    cp "$work/actual" "$case_dir/expected"
    echo "golden[$name]: updated $case_dir/expected"
  fi
  exit "$fail"
fi

echo "golden[$name]: gwctl ${args[*]}  (exit $status)"
if [[ ! -f $case_dir/expected ]]; then
  echo "golden[$name]: FAIL: no 'expected' file; create it with: bash $0 $bin $case_dir --update" >&2
  echo "----- actual output -----" >&2
  cat "$work/actual" >&2
  exit 1
fi
if ! cmp -s "$case_dir/expected" "$work/actual"; then
  echo "golden[$name]: FAIL: output differs from 'expected' (- expected, + actual):" >&2
  diff -u --label "$name/expected" --label "$name/actual" "$case_dir/expected" "$work/actual" >&2 || true
  echo "golden[$name]: if the new output is right: bash $0 $bin $case_dir --update" >&2
  fail=1
fi
if [[ $fail -eq 0 ]]; then
  echo "golden[$name]: ok"
fi
exit "$fail"
