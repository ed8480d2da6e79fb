#!/usr/bin/env bash
# The shipped examples do what their READMEs say: examples/acme lints clean and every
# environment compiles to a valid artifact; examples/broken has exactly one finding, the typo at
# envs/prod.yaml:22:7, and once fixed compiles to the same artifacts as acme.
#   bash tests/integration/examples.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

ACME=$REPO/examples/acme
BROKEN=$REPO/examples/broken
SCHEMA=$REPO/schemas/artifact.schema.json

# validate_artifact FILE ENV ROOT: structure, digest, source file hashes, secrets as references.
validate_artifact() {
  python3 - "$1" "$2" "$3" "$SCHEMA" << 'EOF'
import hashlib, json, os, re, sys

path, env, root, schema_path = sys.argv[1:5]
raw = open(path, "rb").read()
a = json.loads(raw)
problems = []

keys = ["format", "environment", "flags", "source", "config", "digest", "promoted_from", "signature"]
missing = [k for k in keys if k not in a]
if missing:
    problems.append(f"missing top-level keys: {missing}")
extra = sorted(set(a) - set(keys))
if extra:
    problems.append(f"unexpected top-level keys: {extra}")
if a.get("format") != "gwctl.artifact/v1":
    problems.append(f"format is {a.get('format')!r}")
if a.get("environment") != env:
    problems.append(f"environment is {a.get('environment')!r}, expected {env!r}")
if a.get("promoted_from") is not None or a.get("signature") is not None:
    problems.append("promoted_from and signature must be null in a compiled artifact")
flags = a.get("flags")
if not isinstance(flags, list) or flags != sorted(flags):
    problems.append(f"flags must be a sorted list, got {flags!r}")

digest = a.get("digest", "")
if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
    problems.append(f"digest {digest!r} is not sha256: + 64 lowercase hex")
else:
    covered = {k: v for k, v in a.items() if k not in ("digest", "signature")}
    covered_text = json.dumps(covered, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if "sha256:" + hashlib.sha256(covered_text.encode()).hexdigest() != digest:
        problems.append("digest does not match the SHA-256 of the canonical JSON of the artifact without digest and signature")

# Canonical form: sorted keys, 2-space indent, trailing newline.
canonical = json.dumps(a, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
if raw.decode() != canonical:
    problems.append("the file is not in canonical form (sorted keys, 2-space indent, one trailing newline)")

files = a.get("source", {}).get("files", [])
paths = [f["path"] for f in files]
if paths != sorted(paths):
    problems.append("source.files is not sorted by path")
for f in files:
    p = os.path.join(root, f["path"])
    if not os.path.isfile(p):
        problems.append(f"source file {f['path']} does not exist")
    elif hashlib.sha256(open(p, "rb").read()).hexdigest() != f["sha256"]:
        problems.append(f"source file {f['path']}: sha256 does not match the file")
if "gwctl.yaml" not in paths or not any(p.startswith("envs/" + env) for p in paths):
    problems.append("source.files lacks gwctl.yaml or the environment's overlay")

def walk(node, where):
    if isinstance(node, dict):
        if "$secret" in node and set(node) != {"$secret"}:
            problems.append(f"{where}: a $secret object with other keys")
        for k, v in node.items():
            walk(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{where}/{i}")
    elif isinstance(node, str) and "${" in node:
        problems.append(f"{where}: an unresolved reference {node!r}")
    elif isinstance(node, float) and node != node:
        problems.append(f"{where}: NaN")
walk(a.get("config"), "/config")
for k in ("vars", "flags"):
    if k in a.get("config", {}):
        problems.append(f"config still has '{k}'")

try:
    import jsonschema
except ImportError:
    jsonschema = None
if jsonschema is not None and os.path.exists(schema_path):
    schema = json.load(open(schema_path))
    v = jsonschema.Draft7Validator(schema)
    for e in sorted(v.iter_errors(a), key=lambda e: list(e.path))[:5]:
        problems.append("schema: /" + "/".join(map(str, e.path)) + ": " + e.message[:200])

if problems:
    print("\n".join(problems))
    sys.exit(1)
EOF
}

case_acme_lints_clean() {
  check "examples/acme lint: exit 0, '0 errors, 0 warnings, 0 infos'"
  gw -C "$ACME" lint
  expect_no_crash
  expect_status 0
  expect_output_has "0 errors, 0 warnings, 0 infos"
  check "examples/acme lint --format json: format_version 1, no findings"
  gw -C "$ACME" lint --format json
  expect_status 0
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["format_version"] == 1, r["format_version"]
assert r["findings"] == [], r["findings"]' "$TMP/out" || fail "lint JSON of acme is not clean"
  check "examples/acme lint --fail-on info: still exit 0"
  gw -C "$ACME" lint --fail-on info
  expect_status 0
}

case_acme_compiles() {
  local env n=0 problems all=""
  python3 -c 'import jsonschema' 2> /dev/null ||
    echo "[$SCRIPT_NAME] note: python3 jsonschema not installed; artifacts not validated against $SCHEMA"
  while IFS= read -r env; do
    n=$((n + 1))
    check "examples/acme compile --env $env: exit 0, nothing on stderr, a valid artifact"
    gw -C "$ACME" compile --env "$env"
    expect_no_crash
    expect_status 0
    [[ ! -s $TMP/err ]] || fail "compile --env $env printed on stderr: $(head -c 300 "$TMP/err")"
    if ! problems=$(validate_artifact "$TMP/out" "$env" "$ACME"); then
      all+="compile --env $env: invalid artifact:
$problems
"
    fi
  done < <(envs_of "$ACME")
  [[ $n -eq 3 ]] || fail "examples/acme: $n environments, expected 3 (dev, staging, prod)"
  [[ -z $all ]] || fail "$all"
}

case_acme_flag_overrides() {
  check "examples/acme compile --env prod --flag files-api: the flag is listed in the artifact"
  gw -C "$ACME" compile --env prod --flag files-api
  expect_status 0
  python3 -c 'import json, sys; assert "files-api" in json.load(open(sys.argv[1]))["flags"]' "$TMP/out" ||
    fail "--flag files-api is not in the artifact's flags"
  local problems
  problems=$(validate_artifact "$TMP/out" prod "$ACME") || fail "--flag files-api: invalid artifact:
$problems"
  check "examples/acme compile --env prod --flag anthropic-fallback=false: the flag is off"
  gw -C "$ACME" compile --env prod --flag anthropic-fallback=false
  expect_status 0
  python3 -c 'import json, sys; assert "anthropic-fallback" not in json.load(open(sys.argv[1]))["flags"]' "$TMP/out" ||
    fail "--flag anthropic-fallback=false left the flag on"
}

case_broken_lint() {
  check "examples/broken lint: exit 1, envs/prod.yaml:22:7 and did you mean 'retries'"
  gw -C "$BROKEN" lint
  expect_no_crash
  expect_status 1
  expect_output_has "envs/prod.yaml:22:7"
  expect_output_has "did you mean 'retries'"
  expect_output_has "error[GW102]"
  expect_output_has "1 error, 0 warnings"

  check "examples/broken lint --format json: exactly one finding, GW102 at envs/prod.yaml:22:7, env prod only"
  gw -C "$BROKEN" lint --format json
  expect_status 1
  python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))["findings"]
assert len(f) == 1, f
f = f[0]
assert (f["rule"], f["file"], f["line"], f["column"], f["env"]) == ("GW102", "envs/prod.yaml", 22, 7, ["prod"]), f' "$TMP/out" ||
    fail "lint JSON of examples/broken is not the single expected finding"

  check "examples/broken lint --env dev --env staging: exit 0 (the typo is prod's)"
  gw -C "$BROKEN" lint --env dev --env staging
  expect_status 0

  check "examples/broken compile --env prod: exit 1, nothing on stdout"
  gw -C "$BROKEN" compile --env prod
  expect_no_crash
  expect_status 1
  expect_stdout_empty
  expect_output_has "envs/prod.yaml:22:7"
}

case_broken_fixed_equals_acme() {
  check "examples/broken with the typo fixed compiles to acme's artifacts (git fields aside)"
  cp -R "$BROKEN" "$TMP/fixed"
  cp -R "$ACME" "$TMP/acme"
  sed -i 's/retires: 3/retries: 3/' "$TMP/fixed/envs/prod.yaml"
  local d
  d=$(diff -r "$TMP/acme" "$TMP/fixed" | grep -v -e '^diff ' -e '^[<>-]' -e '^[0-9]' || true)
  [[ -z $d ]] || fail "examples/acme and the fixed examples/broken differ in more than the README: $d"
  diff -r -q -x README.md "$TMP/acme" "$TMP/fixed" > /dev/null ||
    fail "examples/acme and the fixed examples/broken differ in more than the README"
  local env
  while IFS= read -r env; do
    gw -C "$TMP/acme" compile --env "$env"
    expect_status 0
    cp "$TMP/out" "$TMP/acme-$env.json"
    gw -C "$TMP/fixed" compile --env "$env"
    expect_status 0
    cmp -s "$TMP/acme-$env.json" "$TMP/out" || fail "compile --env $env: fixed broken differs from acme"
  done < <(envs_of "$ACME")
}

run_cases case_acme_lints_clean case_acme_compiles case_acme_flag_overrides case_broken_lint \
  case_broken_fixed_equals_acme
