# Shared by the bench scripts (sourced, from the repository root): `die`, the gwctl binary to
# measure in $GWCTL (the release build, built when needed, unless GWCTL is set), and the gwd
# benches' setup: gwd-mock, the bench config, gwd started on it.
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # MOCK_PORT, GWD_PID are read, pids and work set, by the sourcing script
die() { echo "bench: $*" >&2; exit 2; }

release_gwctl() {
  if [ -z "${GWCTL:-}" ]; then
    GWCTL=$PWD/build/release/bin/gwctl
    [ -f build/release/CMakeCache.txt ] || cmake --preset release > /dev/null || die "cmake --preset release failed"
    cmake --build --preset release > /dev/null || die "cmake --build --preset release failed"
  fi
  [ -x "$GWCTL" ] || die "gwctl binary '$GWCTL' not found or not executable"
}

# --- gwd (bench/gwd.sh, bench/gwd_callgrind.sh) ---------------------------------------------

GWD_BIN=build/release/bin

# gwd, gwd-mock and gwctl brought up to date in the release preset: a stale binary would
# measure old code.
release_gwd() {
  [ -f build/release/CMakeCache.txt ] || cmake --preset release > /dev/null || die "cmake --preset release failed"
  cmake --build --preset release --target gwd gwd-mock gwctl > /dev/null || die "building gwd failed"
}

# An EXIT trap: ends the processes in the array `pids` and removes the directory `work`.
stop_and_clean() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  sleep 0.3
  rm -rf "$work"
}

# wait_line FILE TEXT: until FILE holds TEXT.
wait_line() { until grep -aq "$2" "$1" 2> /dev/null; do sleep 0.05; done; }

# start_gwd_mock WORK: gwd-mock on an ephemeral port of 127.0.0.1; sets MOCK_PID and MOCK_PORT.
start_gwd_mock() {
  "$GWD_BIN/gwd-mock" --listen 127.0.0.1:0 --threads 1 > "$1/mock.out" &
  MOCK_PID=$!
  wait_line "$1/mock.out" listening
  MOCK_PORT=$(grep -o '127.0.0.1:[0-9]*' "$1/mock.out" | cut -d: -f2)
}

# gwd_bench_artifact WORK MOCK_PORT: the bench config compiled to WORK/a.json: one route with
# api_key auth (key-bench), a request limit and a token limit, and the model rewritten to the
# provider's id. Its secrets: BENCH_PROVIDER_KEY and BENCH_KEY (see start_gwd).
gwd_bench_artifact() {
  mkdir -p "$1/tree/base" "$1/tree/envs"
  printf 'environments: [bench]\n' > "$1/tree/gwctl.yaml"
  printf 'gateway:\n  replicas: 1\n' > "$1/tree/envs/bench.yaml"
  cat > "$1/tree/base/gateway.yaml" << YAML
version: 1
gateway:
  name: bench
  listen: 127.0.0.1:0
  admin: {listen: 127.0.0.1:0}
providers:
  mock:
    kind: openai-compatible
    base_url: http://127.0.0.1:$2/v1
    api_key: \${secret:BENCH_PROVIDER_KEY}
models:
  fast:
    provider: mock
    id: fast-2024-01-01
routes:
  - name: chat
    match: {path: /v1/chat/completions, methods: [POST]}
    auth: {type: api_key}
    models: [fast]
    default_model: fast
    timeouts: {total: 30s, first_byte: 10s, idle: 10s}
    resilience: {retries: 1, max_attempts: 2}
    limits:
      - {requests: 1000000000, per: 1m, key: consumer}
      - {tokens: 1000000000000, per: 1m, key: consumer}
consumers:
  - name: bench
    api_keys: ["\${secret:BENCH_KEY}"]
    routes: [chat]
    models: [fast]
YAML
  "$GWD_BIN/gwctl" -C "$1/tree" compile --env bench -o "$1/a.json" > /dev/null || die "gwctl compile of the bench config failed"
}

# start_gwd WORK [COMMAND PREFIX...] -- [GWD ARGS...]: gwd serving WORK/a.json with the bench
# secrets, stderr in WORK/gwd.err; sets GWD_PID (of the prefix, when one is given) and GWD_PORT.
start_gwd() {
  local work=$1 prefix=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do prefix+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  BENCH_PROVIDER_KEY=sk-bench BENCH_KEY=key-bench "${prefix[@]}" "$GWD_BIN/gwd" --artifact "$work/a.json" "$@" \
    > /dev/null 2> "$work/gwd.err" &
  GWD_PID=$!
  wait_line "$work/gwd.err" '"event":"listening"'
  GWD_PORT=$(grep -ao '"listen":"[^"]*"' "$work/gwd.err" | grep -o '[0-9]*"$' | tr -d '"')
}
