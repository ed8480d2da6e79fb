#!/usr/bin/env bash
# gwd benchmark (issue 5): requests/s and latency on 127.0.0.1 for
#   direct   wrk → gwd-mock
#   nginx    wrk → nginx (1 worker, keep-alive upstream) → gwd-mock
#   gwd      wrk → gwd (auth + limits + model rewrite) → gwd-mock
# at 1 and 32 connections, then gwd's RSS holding 1,000 idle keep-alive connections.
#
# usage: bench/gwd.sh          environment: DURATION (seconds per run, default 5),
#                                           GWD_THREADS (gwd worker threads, default 2)
# Installs wrk and nginx-light from Debian when missing (needs root). Uses build/release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-5}
gwd_threads=${GWD_THREADS:-2}

if ! command -v wrk > /dev/null || ! command -v nginx > /dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "bench: need root to install wrk and nginx-light" >&2; exit 2; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light > /dev/null
fi
if [[ ! -x build/release/bin/gwd || ! -x build/release/bin/gwd-mock ]]; then
  cmake --preset release > /dev/null
  cmake --build --preset release
fi
bin=build/release/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/gwd-bench.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; sleep 0.2; rm -rf "$work"' EXIT
ulimit -n 8192 2> /dev/null || true

wait_line() { until grep -q "$2" "$1" 2> /dev/null; do sleep 0.05; done; }

"$bin/gwd-mock" --listen 127.0.0.1:0 --threads 1 > "$work/mock.out" &
pids+=($!)
wait_line "$work/mock.out" listening
mock_port=$(grep -o '127.0.0.1:[0-9]*' "$work/mock.out" | cut -d: -f2)

# gwd: one route with api_key auth, a request limit and a token limit, model rewrite.
mkdir -p "$work/tree/base" "$work/tree/envs"
printf 'environments: [bench]\n' > "$work/tree/gwctl.yaml"
printf 'gateway:\n  replicas: 1\n' > "$work/tree/envs/bench.yaml"
cat > "$work/tree/base/gateway.yaml" << YAML
version: 1
gateway:
  name: bench
  listen: 127.0.0.1:0
  admin: {listen: 127.0.0.1:0}
providers:
  mock:
    kind: openai-compatible
    base_url: http://127.0.0.1:$mock_port/v1
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
build/release/bin/gwctl -C "$work/tree" compile --env bench -o "$work/a.json" > /dev/null ||
  { echo "bench: gwctl compile of the bench config failed" >&2; exit 1; }
BENCH_PROVIDER_KEY=sk-bench BENCH_KEY=key-bench "$bin/gwd" --artifact "$work/a.json" --threads "$gwd_threads" \
  > /dev/null 2> "$work/gwd.err" &
gwd_pid=$!
pids+=($gwd_pid)
wait_line "$work/gwd.err" '"event":"listening"'
gwd_port=$(grep -o '"listen":"[^"]*"' "$work/gwd.err" | grep -o '[0-9]*"$' | tr -d '"')

# nginx: one worker, HTTP/1.1 keep-alive to the mock, no access log.
nginx_port=$((mock_port + 1))
while (echo > "/dev/tcp/127.0.0.1/$nginx_port") 2> /dev/null; do nginx_port=$((nginx_port + 1)); done
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" << CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  upstream mock { server 127.0.0.1:$mock_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" &
pids+=($!)
until (echo > "/dev/tcp/127.0.0.1/$nginx_port") 2> /dev/null; do sleep 0.05; done

cat > "$work/post.lua" << 'LUA'
wrk.method = "POST"
wrk.body = '{"model":"fast","messages":[{"role":"user","content":"hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer key-bench"
LUA

# run NAME PORT CONNS: prints "rps p50_us p99_us".
run() {
  local out
  out=$(wrk -t1 -c"$3" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$2/v1/chat/completions")
  echo "$out" > "$work/wrk-$1-$3.txt"
  if echo "$out" | grep -q 'Non-2xx'; then echo "bench: $1 answered non-2xx: $out" >&2; exit 1; fi
  python3 - "$work/wrk-$1-$3.txt" << 'PY'
import re, sys
text = open(sys.argv[1]).read()
def us(s):
    v, unit = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 1, "ms": 1000, "s": 1e6}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = us(re.search(r"50%\s+(\S+)", text).group(1))
p99 = us(re.search(r"99%\s+(\S+)", text).group(1))
print(f"{rps:.0f} {p50:.0f} {p99:.0f}")
PY
}

# warm up every path once
for p in "$mock_port" "$nginx_port" "$gwd_port"; do
  wrk -t1 -c4 -d1s -s "$work/post.lua" "http://127.0.0.1:$p/v1/chat/completions" > /dev/null
done

declare -A R
for conns in 1 32; do
  R[direct-$conns]=$(run direct "$mock_port" "$conns")
  R[nginx-$conns]=$(run nginx "$nginx_port" "$conns")
  R[gwd-$conns]=$(run gwd "$gwd_port" "$conns")
done

# 1,000 idle keep-alive connections, each after one request.
python3 - "$gwd_port" "$work/idle.ready" "$work/idle.stop" << 'PY' &
import os, socket, sys, time
port, ready, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key-bench\r\n"
       b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
socks = []
for _ in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
for s in socks:
    got = b""
    while b"\r\n\r\n" not in got or not got.endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("bench: gwd closed a connection before answering: " + got[:200].decode("latin-1"))
        got += chunk
open(ready, "w").close()
while not os.path.exists(stop):
    time.sleep(0.05)
PY
idle_pid=$!
pids+=($idle_pid)
until [[ -f $work/idle.ready ]]; do
  kill -0 "$idle_pid" 2> /dev/null || { echo "bench: the idle-connection client failed" >&2; exit 1; }
  sleep 0.1
done
sleep 0.5
rss_kb=$(grep VmRSS "/proc/$gwd_pid/status" | awk '{print $2}')
conns=$(ls "/proc/$gwd_pid/fd" | wc -l)
touch "$work/idle.stop"
wait "$idle_pid" 2> /dev/null || true

python3 - "${R[direct-1]}" "${R[nginx-1]}" "${R[gwd-1]}" "${R[direct-32]}" "${R[nginx-32]}" "${R[gwd-32]}" "$rss_kb" "$conns" "$duration" "$gwd_threads" << 'PY'
import sys
vals = [list(map(float, a.split())) for a in sys.argv[1:7]]
rss_mb, fds, dur, threads = int(sys.argv[7]) / 1024, int(sys.argv[8]), sys.argv[9], sys.argv[10]
names = ["direct (mock)", "nginx → mock", "gwd → mock"]
print(f"wrk -t1, {dur} s per run, 127.0.0.1, POST /v1/chat/completions (JSON body, bearer key), gwd --threads {threads}\n")
print("| path | conns | req/s | p50 µs | p99 µs |")
print("|---|---:|---:|---:|---:|")
for i, conns in ((0, 1), (3, 32)):
    for j in range(3):
        rps, p50, p99 = vals[i + j]
        print(f"| {names[j]} | {conns} | {rps:.0f} | {p50:.0f} | {p99:.0f} |")
d1, n1, g1 = vals[0], vals[1], vals[2]
d32, n32, g32 = vals[3], vals[4], vals[5]
print()
print(f"gwd / nginx throughput at 32 conns: {g32[0] / n32[0]:.2f} (target ≥ 1.00)")
print(f"gwd / nginx throughput at 1 conn:   {g1[0] / n1[0]:.2f}")
print(f"added p50 at 1 conn: gwd {g1[1] - d1[1]:.0f} µs (target ≤ 30), nginx {n1[1] - d1[1]:.0f} µs")
print(f"gwd RSS with 1,000 idle keep-alive connections: {rss_mb:.1f} MB ({fds} fds; target < 64 MB)")
PY
