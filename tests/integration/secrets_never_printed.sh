#!/usr/bin/env bash
# Secret literals are never printed. A tree puts literal keys (sk-proj- + 48 random characters,
# made up at test time) where secret references belong; lint (text, JSON, to a file) and
# compile (stdout, stderr, -o) must report GW111 without ever showing a literal.
# `show` prints the merged config as written; what it does with a literal is reported here
# (not asserted) until the intended behaviour is decided.
#   bash tests/integration/secrets_never_printed.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

random_key() {
  python3 -c 'import secrets, string
alphabet = string.ascii_letters + string.digits
print("sk-proj-" + "".join(secrets.choice(alphabet) for _ in range(48)))'
}

KEY_PROVIDER=$(random_key) # providers.openai.api_key, block style, in base/
KEY_CONSUMER=$(random_key) # consumers[web-app].api_keys, quoted in a flow sequence, in base/
KEY_ADMIN=$(random_key)    # gateway.admin.api_keys, block sequence in the prod overlay, over a reference
KEY_OVERLAY=$(random_key)  # providers.anthropic.api_key: the prod overlay replaces a reference
KEY_NEXTLINE=$(random_key) # providers.azure.api_key, the value on the line after the key
KEY_ANCHOR=$(random_key)   # providers.compat.api_key: *alias of an anchored string in vars
KEYS=("$KEY_PROVIDER" "$KEY_CONSUMER" "$KEY_ADMIN" "$KEY_OVERLAY" "$KEY_NEXTLINE" "$KEY_ANCHOR")

T=$TMP/tree
make_tree "$T"
cat > "$T/base/gateway.yaml" << EOF
version: 1
gateway:
  name: mini
  admin: {api_keys: ["\${secret:ADMIN_KEY}"]}
EOF
cat > "$T/base/providers.yaml" << EOF
vars:
  fallback_key: &fallback $KEY_ANCHOR
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: $KEY_PROVIDER
  anthropic:
    kind: anthropic
    base_url: https://api.anthropic.com/v1
    api_key: \${secret:ANTHROPIC_API_KEY}
  azure:
    kind: azure-openai
    base_url: https://acme.openai.azure.com/openai
    api_key:
      $KEY_NEXTLINE
  compat:
    kind: openai-compatible
    base_url: https://llm.internal.example/v1
    api_key: *fallback
consumers:
  - name: web-app
    api_keys: ["$KEY_CONSUMER"]
EOF
cat > "$T/envs/prod.yaml" << EOF
gateway:
  replicas: 2
  admin:
    api_keys:
      - $KEY_ADMIN
providers:
  anthropic:
    api_key: "$KEY_OVERLAY"
EOF

# Counts the literals (a 24-character piece of each) found in FILE (default: the last output).
count_literals() {
  local file=${1:-$TMP/all} k n=0
  for k in "${KEYS[@]}"; do
    if grep -a -q -F -e "${k:8:24}" "$file"; then n=$((n + 1)); fi
  done
  echo "$n"
}
expect_no_literal() {
  local where=$1 file=${2:-$TMP/all} k line
  for k in "${KEYS[@]}"; do
    if grep -a -q -F -e "${k:8:24}" "$file"; then
      line=$(grep -a -n -F -e "${k:8:24}" "$file" | head -n 1 | cut -d: -f1)
      fail "$where: $(count_literals "$file") of the ${#KEYS[@]} secret literals appear in the output (first at line $line); a literal must never be printed"
    fi
  done
}

case_lint_text() {
  check "lint (text): exit 1, each literal reported (GW301 names the provider), no literal printed"
  gw -C "$T" lint
  expect_no_crash
  expect_status 1
  expect_output_has "GW301"
  expect_no_literal "lint (text)"
}

case_lint_json() {
  check "lint --format json: exit 1, one finding per literal (GW3xx, or GW111 when not recognised), no literal printed"
  gw -C "$T" lint --format json
  expect_no_crash
  expect_status 1
  local n
  n=$(python3 -c 'import json, sys
print(sum(1 for f in json.load(open(sys.argv[1]))["findings"] if f["rule"] == "GW111" or f["rule"].startswith("GW3")))' "$TMP/out")
  [[ $n -eq ${#KEYS[@]} ]] || fail "lint --format json: $n secret findings, expected ${#KEYS[@]} (one per literal)"
  expect_no_literal "lint --format json"
}

case_lint_report_files() {
  check "lint -o FILE, text and json: no literal in the report files"
  gw -C "$T" lint -o "$TMP/report.txt"
  expect_status 1
  [[ -s $TMP/report.txt ]] || fail "lint -o wrote no report"
  expect_no_literal "lint -o report.txt" "$TMP/report.txt"
  gw -C "$T" lint --format json -o "$TMP/report.json"
  expect_status 1
  expect_no_literal "lint --format json -o report.json" "$TMP/report.json"
}

case_compile() {
  local env
  for env in dev prod; do
    check "compile --env $env: exit 1, nothing on stdout, GW111 on stderr, no literal printed"
    gw -C "$T" compile --env "$env"
    expect_no_crash
    expect_status 1
    expect_stdout_empty
    expect_output_has "GW111"
    expect_no_literal "compile --env $env"

    check "compile --env $env -o FILE: exit 1, no file written, no literal printed"
    gw -C "$T" compile --env "$env" -o "$TMP/artifact-$env.json"
    expect_status 1
    [[ ! -e $TMP/artifact-$env.json ]] || fail "compile wrote an artifact from a config with errors"
    expect_no_literal "compile --env $env -o"
  done
}

case_show_report() {
  local args
  for args in "show --env prod" "show --env prod --provenance" "show --env prod --format json"; do
    # shellcheck disable=SC2086
    gw -C "$T" $args
    expect_no_crash
    echo "[$SCRIPT_NAME] note (not asserted): 'gwctl $args' exits $GW_STATUS and prints" \
      "$(count_literals) of the ${#KEYS[@]} literals"
  done
}

# Credentials of other formats (GW301-GW306), made up at test time, in comments, in a flag
# overlay, in gwctl.yaml, in fields that are not secret-bearing (a URL's password, a variable)
# and base64-encoded: lint reports each once, compile refuses to write an artifact, show
# redacts them; none is ever printed.
other_tokens() {
  python3 -c 'import base64, secrets, string
a = string.ascii_letters + string.digits
r = lambda n, al=a: "".join(secrets.choice(al) for _ in range(n))
print("ghp_" + r(36))
print("sk-ant-api03-" + r(93) + "AA")
print("AKIA" + r(16, string.ascii_uppercase + "234567"))
print(r(20))
print("xoxb-" + r(11, string.digits) + "-" + r(24))
print(base64.b64encode(("GROQ_API_KEY=gsk_" + r(52)).encode()).decode())
print("glpat-" + r(20))'
}
mapfile -t OTHER < <(other_tokens)
T2=$TMP/tree2
make_tree "$T2"
mkdir -p "$T2/flags"
cat >> "$T2/base/gateway.yaml" << EOF
  # config sync: ${OTHER[0]}
providers:
  openai:
    kind: openai
    base_url: https://proxy:${OTHER[3]}@llm-proxy.internal/v1
    api_key: \${secret:OPENAI_API_KEY}
vars:
  notify: ${OTHER[4]}
  blob: ${OTHER[5]}
EOF
printf '# before the migration: %s\ngateway:\n  replicas: 2\n' "${OTHER[1]}" > "$T2/envs/prod.yaml"
printf '# bedrock: %s\ngateway: {replicas: 3}\n' "${OTHER[2]}" > "$T2/flags/big.yaml"
printf 'environments: [dev, prod]\n# gitlab mirror: %s\n' "${OTHER[6]}" > "$T2/gwctl.yaml"

expect_no_other() {
  local where=$1 file=${2:-$TMP/all} k
  for k in "${OTHER[@]}"; do
    if grep -a -q -F -e "${k:6:16}" "$file"; then
      fail "$where: a planted credential appears in the output (line $(grep -a -n -F -e "${k:6:16}" "$file" | head -n 1 | cut -d: -f1))"
    fi
  done
}

case_other_formats_lint() {
  local format n
  for format in text json sarif junit github gitlab; do
    check "lint --format $format: planted credentials of other formats are never printed"
    gw -C "$T2" lint --format "$format"
    expect_no_crash
    expect_status 1
    expect_no_other "lint --format $format"
  done
  check "lint --format json: one GW3xx finding per planted credential"
  gw -C "$T2" lint --format json
  n=$(python3 -c 'import json, sys
print(sum(1 for f in json.load(open(sys.argv[1]))["findings"] if f["rule"].startswith("GW3")))' "$TMP/out")
  [[ $n -eq ${#OTHER[@]} ]] || fail "lint --format json: $n GW3xx findings, expected ${#OTHER[@]} (one per credential)"
}

case_other_formats_compile_show() {
  check "compile --env prod: no artifact with a literal credential in a value, none printed"
  gw -C "$T2" compile --env prod -o "$TMP/other.json"
  expect_no_crash
  expect_status 1
  expect_output_has "GW305"
  [[ ! -e $TMP/other.json ]] || fail "compile wrote an artifact holding a literal credential"
  expect_no_other "compile --env prod"
  local args
  for args in "show --env prod" "show --env prod --provenance" "show --env prod --format json" "show --env dev --flag big"; do
    check "gwctl $args: no planted credential printed"
    # shellcheck disable=SC2086
    gw -C "$T2" $args
    expect_no_crash
    expect_no_other "gwctl $args"
  done
}

# A provider only prod's overlay defines drifts between the environments as a whole (GW701
# quotes it): the password in its URL must not come along.
case_drift_quotes_no_password() {
  local d=$TMP/tree3 password format
  password=$(python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(18)))')
  make_tree "$d"
  # shellcheck disable=SC2016  # ${secret:…} is YAML, not shell
  printf 'providers:\n  openai:\n    kind: openai\n    base_url: https://api.openai.com/v1\n    api_key: ${secret:OPENAI_API_KEY}\n' \
    >> "$d/base/gateway.yaml"
  # shellcheck disable=SC2016
  printf 'providers:\n  backup:\n    kind: openai-compatible\n    base_url: https://bob:%s@llm.internal/v1\n    api_key: ${secret:B}\n' \
    "$password" >> "$d/envs/prod.yaml"
  for format in text json sarif junit github gitlab; do
    check "lint --format $format: GW701 on an overlay-only provider does not quote its URL password"
    gw -C "$d" lint --format "$format"
    expect_no_crash
    expect_status 1
    expect_output_has "GW701"
    expect_output_lacks "${password:0:8}"
  done
}

run_cases case_lint_text case_lint_json case_lint_report_files case_compile case_show_report \
  case_other_formats_lint case_other_formats_compile_show case_drift_quotes_no_password
