# Shared helpers of the gwd integration scripts (sourced; ctest registers the other *.sh).
#
# Every script is run as `bash script.sh GWD GWD_MOCK GWCTL REPO_ROOT`. After sourcing:
#   $GWD $MOCK $GWCTL $REPO   absolute paths        $TMP  a private temp dir, removed on exit
#   check "what" / fail "why" / done_ok               as in tests/integration/lib.bash
#   start_mock                starts gwd-mock on an ephemeral port: $MOCK_PORT
#   write_config DIR          a config root using the mock (see below); edit before compiling
#   compile DIR OUT           gwctl compile --env test
#   start_gwd ARTIFACT [ARGS] starts gwd (secrets in the environment): $GWD_PID $GWD_PORT $ADMIN_PORT;
#                             its stdout (access log) in $TMP/gwd.out, stderr in $TMP/gwd.err
#   call PATH [CURL ARGS]     POST-less curl to gwd: $STATUS, body in $TMP/body, headers in $TMP/headers
#   chat [CURL ARGS]          POST /v1/chat/completions with key-app and a small body
#   mock_stat EXPR            a value of the mock's /mock/stats, e.g. mock_stat 'd["requests"]'
#   mock_set JSON             the mock's program for the next requests
#   digest_of FILE            an artifact's digest;   served FIELD   a field of gwd's admin /config
#   replace FILE              puts FILE in place of $TMP/live.json atomically (as gwctl writes)
#   wait_digest DIGEST        waits (5 s at most) until gwd serves DIGEST
# Processes started here are stopped on exit.
# shellcheck disable=SC2034
set -euo pipefail

if [[ $# -lt 4 ]]; then
  echo "usage: bash $0 GWD GWD_MOCK GWCTL REPO_ROOT" >&2
  exit 2
fi
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
GWD=$(abspath "$1")
MOCK=$(abspath "$2")
GWCTL=$(abspath "$3")
REPO=$(cd "$4" && pwd)
for b in "$GWD" "$MOCK" "$GWCTL"; do [[ -x $b ]] || { echo "FAIL: '$b' is not executable" >&2; exit 1; }; done
command -v curl > /dev/null || { echo "FAIL: these tests need curl" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gwd-it.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2> /dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

SCRIPT_NAME=$(basename "$0" .sh)
CHECKS=0
check() {
  CHECKS=$((CHECKS + 1))
  echo "[$SCRIPT_NAME] check: $*"
}
fail() {
  echo "[$SCRIPT_NAME] FAIL: $*" >&2
  for f in gwd.err gwd.out body; do
    if [[ -s $TMP/$f ]]; then
      echo "----- $f (last 15 lines):" >&2
      tail -n 15 "$TMP/$f" | cut -c1-300 >&2
    fi
  done
  exit 1
}
done_ok() { echo "[$SCRIPT_NAME] ok: $CHECKS checks passed"; }

# The secrets of write_config's tree.
export MOCK_KEY=sk-mock-provider-secret AZ_KEY=az-mock-provider-secret APP_KEY=key-app OTHER_KEY=key-other

# wait_for FILE REGEX: up to 10 s for a line of FILE to match.
wait_for() {
  local i
  for ((i = 0; i < 200; i++)); do
    if grep -q -E "$2" "$1" 2> /dev/null; then return 0; fi
    sleep 0.05
  done
  fail "timed out waiting for /$2/ in $(basename "$1")"
}

start_mock() {
  "$MOCK" --listen 127.0.0.1:0 > "$TMP/mock.out" 2>&1 &
  PIDS+=($!)
  wait_for "$TMP/mock.out" '"listening"'
  MOCK_PORT=$(grep -o '127.0.0.1:[0-9]*' "$TMP/mock.out" | head -n 1 | cut -d: -f2)
}

# A config root: providers "primary" (openai-compatible) and "canary" (azure-openai) on the
# mock; model "m" (90/10 over them, falling back to "backup"); routes health (respond), chat
# (api_key, 600 requests a minute, retries, fallback, ejection over 3 s windows; first_byte and idle timeouts 1 s), limited (2 requests a minute per consumer); consumers
# app (every route, models m and backup) and other (route limited only).
write_config() {
  local d=$1
  mkdir -p "$d/base" "$d/envs"
  printf 'environments: [test]\n' > "$d/gwctl.yaml"
  printf 'gateway:\n  replicas: 1\n' > "$d/envs/test.yaml"
  cat > "$d/base/gateway.yaml" << YAML
version: 1
gateway:
  name: it
  listen: 127.0.0.1:0
  admin: {listen: 127.0.0.1:0}
  limits: {max_request_bytes: 4KiB, header_timeout: 1s, idle_timeout: 5s}
providers:
  primary:
    kind: openai-compatible
    base_url: http://127.0.0.1:$MOCK_PORT/v1
    api_key: \${secret:MOCK_KEY}
  canary:
    kind: azure-openai
    base_url: http://127.0.0.1:$MOCK_PORT/openai
    api_key: \${secret:AZ_KEY}
    api_version: 2024-10-21
models:
  m:
    deployments:
      - {provider: primary, id: m-primary-2024, weight: 90}
      - {provider: canary, id: m-canary-2024, weight: 10}
    fallbacks: [backup]
    pricing: {input_per_mtok: 1.0, output_per_mtok: 2.0}
  backup:
    provider: primary
    id: backup-2024
routes:
  - name: health
    match: {path: /healthz, methods: [GET]}
    auth: {type: none, public: true, reason: probe}
    respond: {status: 200, body: ok}
  - name: limited
    match: {path: /v1/limited/chat/completions, methods: [POST]}
    auth: {type: api_key}
    models: [m]
    default_model: m
    limits:
      - {requests: 2, per: 1m, key: consumer}
  - name: chat
    match: {path: /v1/chat/completions, methods: [POST]}
    auth: {type: api_key}
    models: [m, backup]
    default_model: m
    resilience:
      retries: 2
      backoff: {base: 10ms, max: 50ms}
      retry_on: [500, 503, timeout]
      fallback_on: [500, 502, 503, timeout, connect_error]
      max_attempts: 5
      eject: {error_rate: 0.5, window: 3s, min_requests: 4}
    timeouts: {total: 10s, first_byte: 1s, idle: 1s}
    limits:
      - {requests: 600, per: 1m, key: consumer}
consumers:
  - name: app
    api_keys: ["\${secret:APP_KEY}"]
    routes: [health, limited, chat]
    models: [m, backup]
  - name: other
    api_keys: ["\${secret:OTHER_KEY}"]
    routes: [limited]
    models: [m]
YAML
}

compile() {
  "$GWCTL" -C "$1" compile --env test -o "$2" > "$TMP/compile.out" 2>&1 || {
    cat "$TMP/compile.out" >&2
    fail "gwctl compile failed"
  }
}

start_gwd() {
  local artifact=$1
  shift
  : > "$TMP/gwd.err"
  "$GWD" --artifact "$artifact" --threads 2 "$@" > "$TMP/gwd.out" 2> "$TMP/gwd.err" &
  GWD_PID=$!
  PIDS+=("$GWD_PID")
  wait_for "$TMP/gwd.err" '"event":"listening"'
  GWD_PORT=$(grep -a '"event":"listening"' "$TMP/gwd.err" | grep -o '"listen":"[^"]*"' | grep -o '[0-9]*"$' | tr -d '"')
  ADMIN_PORT=$(grep -a '"event":"listening"' "$TMP/gwd.err" | grep -o '"admin":"[^"]*"' | grep -o '[0-9]*"$' | tr -d '"')
}

# Stops the gwd started last and waits for it to exit, so that its last log lines cannot land
# in the next gwd's log file.
stop_gwd() {
  kill "$GWD_PID" 2> /dev/null || true
  wait "$GWD_PID" 2> /dev/null || true
}

digest_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$1"; }
served() { curl -s "http://127.0.0.1:$ADMIN_PORT/config" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
# An admin endpoint's whole body. Grep it from a variable, never as `curl | grep -q`: under
# pipefail, grep quitting at its first match makes curl fail writing the rest.
admin_get() { curl -s "http://127.0.0.1:$ADMIN_PORT$1"; }
replace() {
  cp "$1" "$TMP/live.tmp"
  mv "$TMP/live.tmp" "$TMP/live.json"
}
wait_digest() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(served digest) == "$1" ]] && return 0
    sleep 0.05
  done
  fail "gwd serves $(served digest), expected $1"
}

call() {
  local path=$1
  shift
  STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' --max-time 20 "$@" "http://127.0.0.1:$GWD_PORT$path" || true)
}
chat() {
  call /v1/chat/completions -H 'authorization: Bearer key-app' -H 'content-type: application/json' \
    --data '{"messages":[{"role":"user","content":"hi"}]}' "$@"
}
expect_status() { [[ $STATUS == "$1" ]] || fail "status $STATUS, expected $1; body: $(head -c 300 "$TMP/body")"; }
expect_body_has() { grep -q -F -e "$1" "$TMP/body" || fail "the body lacks '$1': $(head -c 300 "$TMP/body")"; }

mock_stat() {
  curl -s "http://127.0.0.1:$MOCK_PORT/mock/stats" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
mock_set() { curl -s -o /dev/null "http://127.0.0.1:$MOCK_PORT/mock/set" --data "$1"; }
mock_reset() { curl -s -o /dev/null -X POST "http://127.0.0.1:$MOCK_PORT/mock/reset"; }

# raw PORT DATA HOLD: sends DATA (printf escapes) on a new connection, keeps it open up to HOLD
# seconds, prints what came back (and how many ms until the server closed) on stdout.
raw() {
  python3 - "$1" "$2" "$3" << 'PY'
import socket, sys, time
port, data, hold = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1"), float(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(data)
s.settimeout(hold)
start, got = time.time(), b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
except socket.timeout:
    pass
print(got.decode("latin-1"))
print("closed-after-ms", int((time.time() - start) * 1000))
PY
}
