#!/usr/bin/env bash
# gwctl diff benchmark: a generated repository with 10,000 routes and 2,000 commits of history.
#
#   gwctl diff --base HEAD~1      and   gwctl diff --base HEAD~1999
# each against two `gwctl compile`s of the same environment. Target (issue 4): under 2x, and
# the cost does not grow with history depth: a revision is read straight from its tree.
#
# The history is written with `git fast-import` in seconds: commit 1 holds the generated
# repository, each later commit rewrites base/zz-bench.yaml (a base file: every environment
# changes) with a new description for one route.
#
# usage: bench/diff.sh
# environment:
#   GWCTL=PATH       gwctl binary to measure (default build/release/bin/gwctl, built if needed)
#   BENCH_ROUTES=N   routes (default 10000)    BENCH_COMMITS=N  commits (default 2000)
#   BENCH_CACHE=DIR  where the repository is cached (default $TMPDIR/gwctl-bench)
#   BENCH_RUNS=N     timed runs per command (median; default 5)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh

routes=${BENCH_ROUTES:-10000}
commits=${BENCH_COMMITS:-2000}
runs=${BENCH_RUNS:-5}
cache=${BENCH_CACHE:-${TMPDIR:-/tmp}/gwctl-bench}
mkdir -p "$cache" || die "cannot create '$cache'"
work=$(mktemp -d "${TMPDIR:-/tmp}/gwctl-bench-diff.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT

release_gwctl

export GIT_CONFIG_NOSYSTEM=1 HOME=$work
key=$( (cat bench/gen_config.py bench/diff.sh) | sha256sum | cut -c1-12)
repo=$cache/history-$routes-$commits-$key
if [ ! -f "$repo/.complete" ]; then
  rm -rf "$repo"
  echo "bench: generating $routes routes and $commits commits in $repo" >&2
  python3 bench/gen_config.py "$routes" "$repo" >/dev/null || die "gen_config.py failed"
  git -C "$repo" init -q -b main || die "git init failed"
  python3 - "$repo" "$commits" "$routes" > "$work/stream" << 'PY' || die "writing the fast-import stream failed"
import os, sys
repo, commits, routes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
def data(b):
    out.write(b"data %d\n" % len(b) + b + b"\n")
def bench_file(i):
    return ("routes:\n  - name: r%d\n    description: bench change %d\n" % (i % routes, i)).encode()
files = []
for d, _, names in os.walk(repo):
    if "/.git" in d or d.endswith(".git"):
        continue
    for n in names:
        p = os.path.relpath(os.path.join(d, n), repo)
        files.append(p)
files.sort()
t = 1700000000
for i in range(commits):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer bench <bench@example.invalid> %d +0000\n" % (t + i))
    data(b"bench commit %d" % i)
    if i == 0:
        for p in files:
            out.write(b"M 100644 inline %s\n" % p.encode())
            data(open(os.path.join(repo, p), "rb").read())
    out.write(b"M 100644 inline base/zz-bench.yaml\n")
    data(bench_file(i))
    out.write(b"\n")
PY
  git -C "$repo" fast-import --quiet < "$work/stream" || die "git fast-import failed"
  git -C "$repo" reset -q --hard main || die "git reset failed"
  git -C "$repo" gc -q --aggressive 2>/dev/null || true
  touch "$repo/.complete"
fi
echo "repository: $repo ($(git -C "$repo" rev-list --count HEAD) commits, $(du -sh "$repo/.git" | cut -f1) of history)"

# measure CMD...: MEDIAN_MS (wall) and CPU_MS (user + system) of $runs runs, after one
# warm-up; RC of the last. CPU time is the steadier figure on a shared machine.
measure() {
  local times=() cpus=() t0 t1 k
  "$@" >/dev/null 2>&1
  for ((k = 0; k < runs; k++)); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" >"$work/out" 2>"$work/err"
    RC=$?
    t1=$(date +%s%N)
    times+=($((t1 - t0)))
    cpus+=("$(tail -n 1 "$work/cpu" | awk '{ printf "%.0f", ($1 + $2) * 1e9 }')")
  done
  MEDIAN_MS=$(median "${times[@]}")
  CPU_MS=$(median "${cpus[@]}")
}
median() {
  printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 }
    END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f", m / 1e6 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

rows=()
for env_args in "--env prod" ""; do
  label=${env_args:-"(every env: dev, staging, prod)"}
  envs=${env_args#--env }
  [ -z "$env_args" ] && envs="dev staging prod"
  # Two compiles per environment diffed: what a diff must do at least.
  compile_total=0 compile_cpu=0
  for e in $envs; do
    measure "$GWCTL" -C "$repo" compile --env "$e" -o "$work/a.json"
    [ "$RC" -eq 0 ] || die "compile --env $e failed: $(head -c 400 "$work/err")"
    compile_total=$((compile_total + 2 * MEDIAN_MS))
    compile_cpu=$((compile_cpu + 2 * CPU_MS))
  done
  for base in HEAD~1 HEAD~$((commits - 1)); do
    # shellcheck disable=SC2086
    measure "$GWCTL" -C "$repo" diff --base "$base" $env_args --format json
    [ "$RC" -eq 0 ] || die "diff --base $base failed: $(head -c 400 "$work/err")"
    n=$(python3 -c 'import json,sys; print(sum(len(e["changes"]) for e in json.load(open(sys.argv[1]))["environments"]))' "$work/out")
    r=$(ratio "$MEDIAN_MS" "$compile_total")
    rc=$(ratio "$CPU_MS" "$compile_cpu")
    verdict=$(awk -v r="$r" 'BEGIN { print (r < 2) ? "pass" : "FAIL" }')
    rows+=("| \`diff --base $base\` | $label | $MEDIAN_MS | $compile_total | $r | $CPU_MS | $compile_cpu | $rc | $n | $verdict |")
  done
done

echo
echo "| command | environments | diff wall ms | 2 compiles per env, wall ms | ratio | diff CPU ms | 2 compiles, CPU ms | CPU ratio | entity changes | wall < 2x |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
echo "(median of $runs runs after a warm-up; $routes routes; gwctl $("$GWCTL" --version | head -n 1);"
echo " load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
exit 0
