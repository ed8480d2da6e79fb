#!/usr/bin/env bash
# Secret scanning benchmark: `gwctl lint` (every rule, every environment and flag) against
# secretlint with its recommended preset (secrets only), on the 10,000-route repository of
# bench/gen_config.py with secrets planted in a few files and comments. Also checks that gwctl
# finds every planted secret. See bench/README.md.
#
# usage: bench/secrets.sh
# environment:
#   GWCTL=PATH         gwctl binary (default build/release/bin/gwctl, built if needed)
#   ROUTES=N           size of the generated repository (default 10000)
#   RUNS=N             timed runs of each tool; the median is reported (default 3)
#   NPM_DIR=DIR        where secretlint is installed (default build/npm)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh

routes=${ROUTES:-10000}
runs=${RUNS:-3}
npm_dir=${NPM_DIR:-$root/build/npm}
work=$(mktemp -d "${TMPDIR:-/tmp}/gwctl-secrets-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT

release_gwctl

# --- the tree, with secrets planted (made up now, so that no file of ours holds one) -------
tree=$work/tree
python3 bench/gen_config.py "$routes" "$tree" >/dev/null || die "gen_config.py failed"
python3 - "$tree" > "$work/planted" << 'EOF' || die "planting secrets failed"
import base64, os, secrets, string, sys
tree = sys.argv[1]
alnum = string.ascii_letters + string.digits
def rnd(n, alphabet=alnum):
    return "".join(secrets.choice(alphabet) for _ in range(n))
b64 = string.ascii_letters + string.digits + "+/"
pem_body = "\n".join("# " + rnd(64, b64) for _ in range(6))
plants = [
    # (file, text appended, what)
    ("base/routes-003.yaml", "# old key, rotated: sk-proj-" + rnd(48) + "\n", "OpenAI key in a comment"),
    ("base/gateway.yaml", "# anthropic: sk-ant-api03-" + rnd(93) + "AA\n", "Anthropic key in a comment"),
    ("envs/prod.yaml", "# sync token ghp_" + rnd(36) + "\n", "GitHub token in a comment"),
    ("flags/f3.yaml", "# bedrock: AKIA" + rnd(16, string.ascii_uppercase + "234567") + "\n", "AWS key id in a flag overlay"),
    ("gwctl.yaml", "# alerts: https://hooks.slack.com/services/T" + rnd(10, string.ascii_uppercase + string.digits)
     + "/B" + rnd(10, string.ascii_uppercase + string.digits) + "/" + rnd(24) + "\n", "Slack webhook in gwctl.yaml"),
    ("base/models.yaml", "# -----BEGIN RSA PRIVATE KEY-----\n" + pem_body + "\n# -----END RSA PRIVATE KEY-----\n",
     "RSA private key in comments"),
]
for path, text, what in plants:
    with open(os.path.join(tree, path), "a") as f:
        f.write(text)
    print(f"{path}\t{what}")
EOF
files=$(find "$tree" -name '*.yaml' | wc -l)
bytes=$(find "$tree" -name '*.yaml' -print0 | xargs -0 cat | wc -c)
planted=$(wc -l < "$work/planted")

# "WALL CPU": median wall time and median CPU time (user + system, all threads) in ms of RUNS
# runs of a command, output discarded. CPU time is the fairer figure on a busy machine.
median_ms() {
  python3 - "$runs" "$@" << 'PY'
import resource, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
walls, cpus = [], []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls.append((time.perf_counter() - start) * 1000)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
med = lambda v: sorted(v)[len(v) // 2]
print(f"{med(walls):.1f} {med(cpus):.1f}")
PY
}

# --- gwctl ----------------------------------------------------------------------------------
"$GWCTL" -C "$tree" lint --format json -o "$work/gwctl.json" >/dev/null 2>&1
found=$(python3 - "$work/gwctl.json" "$work/planted" << 'EOF'
import json, sys
findings = [f for f in json.load(open(sys.argv[1]))["findings"] if f["rule"].startswith("GW3")]
files = {f["file"] for f in findings}
missing = [l.split("\t")[0] for l in open(sys.argv[2]).read().splitlines() if l.split("\t")[0] not in files]
print(len(findings), len(files), " ".join(missing) or "-")
EOF
)
read -r gw_findings gw_files gw_missing <<< "$found"
read -r gw_ms gw_cpu <<< "$(median_ms "$GWCTL" -C "$tree" lint)"
scan_bin=$(dirname "$GWCTL")/gwctl-secret-scan
scan_line="not measured ($scan_bin is missing)"
if [ -x "$scan_bin" ]; then
  mapfile -t yaml_files < <(find "$tree" -name '*.yaml' | sort)
  scan_line=$("$scan_bin" --runs 5 "${yaml_files[@]}")
fi

# --- secretlint -----------------------------------------------------------------------------
sl_ms="" sl_note=""
if [ ! -x "$npm_dir/node_modules/.bin/secretlint" ]; then
  command -v npm >/dev/null || sl_note="npm is not installed"
  if [ -z "$sl_note" ]; then
    mkdir -p "$npm_dir"
    echo "bench: installing secretlint into $npm_dir" >&2
    if ! (cd "$npm_dir" && timeout 300 npm install --no-audit --no-fund --prefix . \
      secretlint @secretlint/secretlint-rule-preset-recommend > "$work/npm.log" 2>&1); then
      sl_note="could not install secretlint from the npm registry (unreachable?): $(tail -n 1 "$work/npm.log")"
    fi
  fi
fi
if [ -z "$sl_note" ]; then
  echo '{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}' > "$work/secretlintrc.json"
  sl() { (cd "$npm_dir" && node_modules/.bin/secretlint --secretlintrc "$work/secretlintrc.json" "$tree/**/*.yaml" "$@"); }
  sl --format json > "$work/secretlint.json" 2>/dev/null
  sl_found=$(python3 -c 'import json, sys
try:
    data = json.load(open(sys.argv[1]))
except Exception:
    print("?"); sys.exit()
print(sum(len(f.get("messages", [])) for f in data))' "$work/secretlint.json")
  read -r sl_ms sl_cpu <<< "$(cd "$npm_dir" && median_ms node_modules/.bin/secretlint --secretlintrc \
    "$work/secretlintrc.json" "$tree/**/*.yaml")"
fi

# --- report ---------------------------------------------------------------------------------
echo "tree: $routes routes, $files YAML files, $bytes bytes, $planted secrets planted:"
sed 's/^/  /; s/\t/: /' "$work/planted"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "gwctl lint (all rules):        wall ${gw_ms} ms, cpu ${gw_cpu} ms (medians of $runs); $gw_findings GW3xx findings in $gw_files files; planted files missed: $gw_missing"
echo "gwctl secret scan alone:       $scan_line"
if [ -n "$sl_note" ]; then
  echo "secretlint: not measured: $sl_note"
else
  echo "secretlint (preset-recommend): wall ${sl_ms} ms, cpu ${sl_cpu} ms (medians of $runs); $sl_found findings"
  python3 -c 'import sys
gw, gc, sw, sc = map(float, sys.argv[1:])
verdict = lambda r: "pass" if r >= 5 else "FAIL"
print(f"secretlint / gwctl lint: wall {sw / gw:.1f}x ({verdict(sw / gw)}), cpu {sc / gc:.1f}x ({verdict(sc / gc)}); target >= 5x")' \
    "$gw_ms" "$gw_cpu" "$sl_ms" "$sl_cpu"
fi
[ "$gw_missing" = "-" ] || { echo "bench: gwctl missed planted secrets in: $gw_missing" >&2; exit 1; }
