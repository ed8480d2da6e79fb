#!/usr/bin/env bash
# gwd benchmark (issue 5): requests/s and latency on 127.0.0.1 for
#   direct   wrk → gwd-mock
#   nginx    wrk → nginx (1 worker, keep-alive upstream) → gwd-mock
#   gwd      wrk → gwd (auth + limits + model rewrite) → gwd-mock
# at 1 and 32 connections, then gwd's RSS holding 1,000 idle keep-alive connections.
#
# usage: bench/gwd.sh          environment: DURATION (seconds per run, default 5),
#                                           GWD_THREADS (gwd worker threads, default 1),
#                                           ROUNDS (runs of each path, interleaved, default 5)
# gwd runs one worker thread, as nginx runs one worker process: both proxies get one event
# loop. On a 2-core machine that also runs wrk and the mock, a second gwd worker only adds
# context switches (GWD_THREADS=2 to see it).
# Each figure is the median of ROUNDS runs taken in turn (direct, nginx, gwd, direct, ...), so
# that a slow spell of a shared machine falls on every path alike. The CPU time each proxy
# spent per request (user + system, from /proc) is printed too: it is the steadier figure.
# Installs wrk and nginx-light from Debian when missing (needs root). Builds build/release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-5}
gwd_threads=${GWD_THREADS:-1}
rounds=${ROUNDS:-5}

if ! command -v wrk > /dev/null || ! command -v nginx > /dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "bench: need root to install wrk and nginx-light" >&2; exit 2; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light > /dev/null
fi
# shellcheck source=bench/lib.sh
source bench/lib.sh
release_gwd
work=$(mktemp -d "${TMPDIR:-/tmp}/gwd-bench.XXXXXX")
pids=()
trap stop_and_clean EXIT
ulimit -n 8192 2> /dev/null || true

start_gwd_mock "$work"
pids+=("$MOCK_PID")
mock_port=$MOCK_PORT
gwd_bench_artifact "$work" "$mock_port"
start_gwd "$work" -- --threads "$gwd_threads"
gwd_pid=$GWD_PID
pids+=("$gwd_pid")
gwd_port=$GWD_PORT

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
pids+=("$!")
until (echo > "/dev/tcp/127.0.0.1/$nginx_port") 2> /dev/null; do sleep 0.05; done

cat > "$work/post.lua" << 'LUA'
wrk.method = "POST"
wrk.body = '{"model":"fast","messages":[{"role":"user","content":"hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer key-bench"
LUA

# run NAME PORT CONNS [PID]: prints "rps p50_us p99_us cpu_us_per_request" (cpu 0 without PID).
ticks() { [[ -n ${1:-} ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
run() {
  local out t0 t1
  t0=$(ticks "${4:-}")
  out=$(wrk -t1 -c"$3" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$2/v1/chat/completions")
  t1=$(ticks "${4:-}")
  echo "$out" > "$work/wrk-$1-$3.txt"
  if echo "$out" | grep -q 'Non-2xx'; then echo "bench: $1 answered non-2xx: $out" >&2; exit 1; fi
  python3 - "$work/wrk-$1-$3.txt" "$((t1 - t0))" "$(getconf CLK_TCK)" << 'PY'
import re, sys
text = open(sys.argv[1]).read()
def us(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    if not m:
        sys.exit(f"bench: cannot read the latency {s!r} in wrk's output:\n{text}")
    v, unit = m.groups()
    return float(v) * {"us": 1, "ms": 1000, "s": 1e6, "m": 6e7}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
p50 = us(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = us(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
cpu = int(sys.argv[2]) / int(sys.argv[3]) * 1e6 / max(requests, 1)
print(f"{rps:.0f} {p50:.0f} {p99:.0f} {cpu:.1f}")
PY
}

# warm up every path once
for p in "$mock_port" "$nginx_port" "$gwd_port"; do
  wrk -t1 -c4 -d1s -s "$work/post.lua" "http://127.0.0.1:$p/v1/chat/completions" > /dev/null
done
nginx_worker=$(pgrep -P "$(cat "$work/nginx/nginx.pid")" | head -n 1)

declare -A R
for conns in 1 32; do
  for ((round = 1; round <= rounds; round++)); do
    R[direct-$conns]+="$(run direct "$mock_port" "$conns");"
    R[nginx-$conns]+="$(run nginx "$nginx_port" "$conns" "$nginx_worker");"
    R[gwd-$conns]+="$(run gwd "$gwd_port" "$conns" "$gwd_pid");"
  done
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
pids+=("$idle_pid")
until [[ -f $work/idle.ready ]]; do
  kill -0 "$idle_pid" 2> /dev/null || { echo "bench: the idle-connection client failed" >&2; exit 1; }
  sleep 0.1
done
sleep 0.5
rss_kb=$(grep VmRSS "/proc/$gwd_pid/status" | awk '{print $2}')
conns=$(ls "/proc/$gwd_pid/fd" | wc -l)
touch "$work/idle.stop"
wait "$idle_pid" 2> /dev/null || true

python3 - "${R[direct-1]}" "${R[nginx-1]}" "${R[gwd-1]}" "${R[direct-32]}" "${R[nginx-32]}" "${R[gwd-32]}" "$rss_kb" "$conns" "$duration" "$gwd_threads" "$rounds" << 'PY'
import statistics, sys
runs = [[list(map(float, r.split())) for r in a.split(";") if r] for a in sys.argv[1:7]]
rss_mb, fds, dur, threads, rounds = int(sys.argv[7]) / 1024, int(sys.argv[8]), sys.argv[9], sys.argv[10], sys.argv[11]
med = [[statistics.median(r[k] for r in path) for k in range(4)] for path in runs]
names = ["direct (mock)", "nginx → mock", "gwd → mock"]
print(f"wrk -t1, {dur} s per run, median of {rounds} interleaved runs, 127.0.0.1, POST /v1/chat/completions "
      f"(JSON body, bearer key), gwd --threads {threads}\n")
print("| path | conns | req/s | p50 µs | p99 µs | proxy CPU µs/request |")
print("|---|---:|---:|---:|---:|---:|")
for i, conns in ((0, 1), (3, 32)):
    for j in range(3):
        rps, p50, p99, cpu = med[i + j]
        print(f"| {names[j]} | {conns} | {rps:.0f} | {p50:.0f} | {p99:.0f} | {'' if j == 0 else f'{cpu:.1f}'} |")
d1, n1, g1, d32, n32, g32 = med
ratios = [g[0] / n[0] for g, n in zip(runs[5], runs[4])]
print()
print(f"gwd / nginx throughput at 32 conns: {g32[0] / n32[0]:.2f} (target ≥ 1.00; each round: "
      f"{', '.join(f'{r:.2f}' for r in ratios)})")
print(f"gwd / nginx throughput at 1 conn:   {g1[0] / n1[0]:.2f}")
print(f"added p50 at 1 conn: gwd {g1[1] - d1[1]:.0f} µs (target ≤ 30), nginx {n1[1] - d1[1]:.0f} µs")
print(f"gwd RSS with 1,000 idle keep-alive connections: {rss_mb:.1f} MB ({fds} fds; target < 64 MB)")
PY
