#!/usr/bin/env bash
# gwctl benchmark: compile and lint time and peak memory against a yaml-cpp parse floor,
# on generated config repositories of 100, 1,000 and 10,000 routes, plus lint of the
# bundled example, and `gwctl test` of the generated one-test-per-route suites. See bench/README.md for the targets.
#
# usage: bench/run.sh
# environment:
#   GWCTL=PATH          gwctl binary to measure (default build/release/bin/gwctl, built if needed)
#   PARSE_FLOOR=PATH    gwctl-parse-floor binary (default build/release/bin/gwctl-parse-floor,
#                       else compiled standalone from bench/parse_floor.cpp into the cache)
#   BENCH_SIZES="..."   route counts (default "100 1000 10000")
#   BENCH_CACHE=DIR     where generated repositories are cached (default $TMPDIR/gwctl-bench)
#   BENCH_GIT=0         do not make each generated repository a git repository
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# shellcheck source=bench/lib.sh
source bench/lib.sh

sizes=${BENCH_SIZES:-100 1000 10000}
cache=${BENCH_CACHE:-${TMPDIR:-/tmp}/gwctl-bench}
mkdir -p "$cache" || die "cannot create cache directory '$cache'"
work=$(mktemp -d "${TMPDIR:-/tmp}/gwctl-bench-run.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT

# --- tools -------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bench: installing the Debian 'time' package for peak-RSS measurement" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; } \
      || die "could not install the 'time' package"
  else
    die "/usr/bin/time is missing; install it with: sudo apt-get install time"
  fi
fi

release_gwctl

if [ -z "${PARSE_FLOOR:-}" ]; then
  PARSE_FLOOR=$root/build/release/bin/gwctl-parse-floor
  if [ ! -x "$PARSE_FLOOR" ]; then
    # bench/ not (yet) part of the CMake build: compile the floor standalone.
    PARSE_FLOOR=$cache/gwctl-parse-floor
    if [ ! -x "$PARSE_FLOOR" ] || [ bench/parse_floor.cpp -nt "$PARSE_FLOOR" ]; then
      ${CXX:-c++} -O2 -std=c++20 bench/parse_floor.cpp -lyaml-cpp -o "$PARSE_FLOOR" \
        || die "could not build $PARSE_FLOOR"
    fi
  fi
fi
[ -x "$PARSE_FLOOR" ] || die "parse floor binary '$PARSE_FLOOR' not found"

# --- helpers -----------------------------------------------------------------------------
# measure RUNS CMD...: sets MEDIAN_MS (median wall time) and RC (exit code of the last run).
measure() {
  local runs=$1; shift
  local times=() t0 t1 k
  for ((k = 0; k < runs; k++)); do
    t0=$(date +%s%N)
    "$@" >"$work/out" 2>&1
    RC=$?
    t1=$(date +%s%N)
    times+=($((t1 - t0)))
  done
  MEDIAN_MS=$(printf '%s\n' "${times[@]}" | sort -n | awk '
    { a[NR] = $1 }
    END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1e6 }')
}

# peak_rss CMD...: one run under /usr/bin/time (also the warm-up); sets RSS_MB and RC.
peak_rss() {
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out" 2>&1
  RC=$?
  # On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
  RSS_MB=$(tail -n 1 "$work/rss" | awk '{ printf "%.1f", $1 / 1024 }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# gen N: prints the directory of a cached generated repository with N routes.
gen() {
  local n=$1 key dir
  key=$(cat bench/gen_config.py | sha256sum | cut -c1-12)
  dir=$cache/routes-$n-$key
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    python3 bench/gen_config.py "$n" "$dir" >&2 || die "gen_config.py $n failed"
    if [ "${BENCH_GIT:-1}" != 0 ] && command -v git >/dev/null; then
      git -C "$dir" init -q \
        && git -C "$dir" add -A \
        && git -C "$dir" -c user.name=bench -c user.email=bench@example.invalid \
             -c commit.gpgsign=false commit -q -m "generated: $n routes" \
        || die "git init of '$dir' failed"
    fi
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# --- measurements ------------------------------------------------------------------------
echo "gwctl: $GWCTL ($("$GWCTL" --version 2>/dev/null | head -n 1))"
echo "parse floor: $PARSE_FLOOR"
echo "cache: $cache"
echo

rows=()
declare -A compile_ms lint_ms floor_ms c_rss_mb l_rss_mb test_ms
for n in $sizes; do
  dir=$(gen "$n")
  mapfile -t files < <(cd "$dir" && { ls gwctl.yaml 2>/dev/null; find base envs flags -name '*.yaml' | sort; })
  paths=("${files[@]/#/$dir/}")
  nfiles=${#files[@]}
  bytes=$(cat "${paths[@]}" | wc -c)
  runs=5
  [ "$n" -gt 1000 ] && runs=3

  echo "N=$n: $nfiles files, $bytes bytes, $runs runs each" >&2

  peak_rss "$PARSE_FLOOR" "${paths[@]}"
  [ "$RC" -eq 0 ] || { cat "$work/out" >&2; die "parse floor failed on N=$n"; }
  measure "$runs" "$PARSE_FLOOR" "${paths[@]}"
  floor=$MEDIAN_MS

  peak_rss "$GWCTL" -C "$dir" compile --env prod -o "$work/x.json"
  c_rss=$RSS_MB
  cp "$work/out" "$cache/compile-$n.log"
  measure "$runs" "$GWCTL" -C "$dir" compile --env prod -o "$work/x.json"
  comp=$MEDIAN_MS c_rc=$RC

  peak_rss "$GWCTL" -C "$dir" lint
  l_rss=$RSS_MB
  cp "$work/out" "$cache/lint-$n.log"
  measure "$runs" "$GWCTL" -C "$dir" lint
  lint=$MEDIAN_MS l_rc=$RC

  # gwctl test: N tests (one per route) in prod, with the compile of prod they need.
  "$GWCTL" -C "$dir" test --env prod >"$cache/test-$n.log" 2>&1   # warm-up
  measure "$runs" "$GWCTL" -C "$dir" test --env prod
  tst=$MEDIAN_MS t_rc=$RC

  compile_ms[$n]=$comp lint_ms[$n]=$lint test_ms[$n]=$tst
  rows+=("| $n | $nfiles | $bytes | $floor | $comp | $(ratio "$comp" "$floor") | $lint | $l_rss | $c_rss | $tst | $c_rc | $l_rc | $t_rc |")
  floor_ms[$n]=$floor c_rss_mb[$n]=$c_rss l_rss_mb[$n]=$l_rss
done

example_line="examples/acme not found: example lint not measured"
if [ -d examples/acme ]; then
  "$GWCTL" -C examples/acme lint >"$cache/lint-example.log" 2>&1   # warm-up
  measure 20 "$GWCTL" -C examples/acme lint
  example_ms=$MEDIAN_MS
  example_line="example (examples/acme) lint: median $MEDIAN_MS ms over 20 runs, exit $RC"
fi

echo
echo "| N | files | bytes | parse floor ms | compile ms | compile/floor | lint ms | lint peak RSS MB | compile peak RSS MB | test ms | compile exit | lint exit | test exit |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "$example_line"
echo "(compile: gwctl compile --env prod; lint: gwctl lint, all environments and flags;"
echo " test: gwctl test --env prod, N route tests; exit 1 = findings or failed tests,"
echo " see $cache/{compile,lint,test}-N.log)"

# --- targets -----------------------------------------------------------------------------
check() {  # check NAME VALUE OP LIMIT
  local verdict
  verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
    ok = (op == "<") ? (v < l) : (v <= l); print ok ? "pass" : "FAIL" }')
  printf -- '- %-44s %10s %s %-6s %s\n' "$1" "$2" "$3" "$4" "$verdict"
}
echo
echo "targets:"
[ -n "${example_ms:-}" ] && check "example lint median ms (all rules; issue 3)" "$example_ms" "<" 40
if [ -n "${compile_ms[10000]:-}" ]; then
  check "10k compile ms" "${compile_ms[10000]}" "<" 1000
  check "10k compile / parse floor" "$(ratio "${compile_ms[10000]}" "${floor_ms[10000]}")" "<" 3
  check "10k lint, all rules (all envs and flags) ms" "${lint_ms[10000]}" "<" 4000
  check "10k lint peak RSS MB" "${l_rss_mb[10000]}" "<" 400
  check "10k compile peak RSS MB" "${c_rss_mb[10000]}" "<" 400
  check "10k gwctl test, 10,000 tests ms" "${test_ms[10000]}" "<" 2000
fi
if [ -n "${compile_ms[1000]:-}" ] && [ -n "${compile_ms[10000]:-}" ]; then
  check "compile growth 1k -> 10k (10x input)" "$(ratio "${compile_ms[10000]}" "${compile_ms[1000]}")" "<=" 12
  check "lint growth 1k -> 10k (10x input)" "$(ratio "${lint_ms[10000]}" "${lint_ms[1000]}")" "<=" 12
fi
exit 0
