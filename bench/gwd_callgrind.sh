#!/usr/bin/env bash
# gwd instructions per request (issue 5): the steadiest figure of gwd's CPU cost, as wall-clock
# figures drift on a shared machine. gwd (--threads 1 --busy-poll 0, the bench config of
# bench/gwd.sh) runs under callgrind in front of gwd-mock; a client keeps CONNS keep-alive
# connections busy, 500 requests warm up, callgrind's counters are dumped, then REQUESTS more
# are counted. Prints the instructions per request of the worker thread and the top functions.
#
# usage: bench/gwd_callgrind.sh      environment: CONNS (default 32), REQUESTS (default 2000)
# Needs valgrind (Debian package). Builds build/release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
conns=${CONNS:-32}
requests=${REQUESTS:-2000}
command -v valgrind > /dev/null || { echo "bench: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
# shellcheck source=bench/lib.sh
source bench/lib.sh
release_gwd
work=$(mktemp -d "${TMPDIR:-/tmp}/gwd-callgrind.XXXXXX")
pids=()
trap stop_and_clean EXIT

start_gwd_mock "$work"
pids+=("$MOCK_PID")
gwd_bench_artifact "$work" "$MOCK_PORT"
start_gwd "$work" valgrind --tool=callgrind --separate-threads=yes --compress-strings=no \
  --callgrind-out-file="$work/cg.out" -- --threads 1 --busy-poll 0
pids+=("$GWD_PID")
gwd_port=$GWD_PORT

# A client that keeps CONNS connections each with one request in flight.
cat > "$work/drive.py" << 'PY'
import selectors, socket, sys
port, conns, total = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = b'{"model":"fast","messages":[{"role":"user","content":"hello"}]}'
req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
       b"Authorization: Bearer key-bench\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
sel = selectors.DefaultSelector()
pending, sent, done = {}, 0, 0
for _ in range(min(conns, total)):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req); sent += 1; pending[s] = b""
    sel.register(s, selectors.EVENT_READ)
while done < total:
    for key, _ in sel.select():
        s = key.fileobj
        data = s.recv(65536)
        if not data:
            sys.exit("bench: gwd closed a connection")
        pending[s] += data
        got = pending[s]
        end = got.find(b"\r\n\r\n")
        if end < 0:
            continue
        length = int(got[:end].lower().split(b"content-length:")[1].split(b"\r\n")[0])
        if len(got) < end + 4 + length:
            continue
        if not got.startswith(b"HTTP/1.1 200"):
            sys.exit("bench: gwd answered " + got[:200].decode("latin-1"))
        pending[s] = got[end + 4 + length:]
        done += 1
        if sent < total:
            s.sendall(req); sent += 1
PY
python3 "$work/drive.py" "$gwd_port" "$conns" 500
callgrind_control -d > /dev/null 2>&1
python3 "$work/drive.py" "$gwd_port" "$conns" "$requests"
callgrind_control -d > /dev/null 2>&1
sleep 1

# The second dump of each thread holds the counted requests; the busiest thread is the worker.
python3 - "$requests" "$conns" "$work"/cg.out.2-* << 'PY'
import collections, sys
requests, conns, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
best = None
for path in files:
    cost, fn, after_call = collections.Counter(), None, False
    for line in open(path, errors="replace"):
        if line.startswith("fn="):
            fn, after_call = line[3:].strip(), False
        elif line.startswith("calls="):
            after_call = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            parts = line.split()
            if len(parts) >= 2:
                if after_call:
                    after_call = False  # the inclusive cost of a call, counted in the callee
                else:
                    cost[fn] += int(parts[1])
    if best is None or sum(cost.values()) > sum(best.values()):
        best = cost
total = sum(best.values())
print(f"gwd worker thread: {total / requests:.0f} instructions per request "
      f"({requests} requests over {conns} connections, after 500 of warm-up)\n")
for fn, c in best.most_common(15):
    print(f"{c / requests:8.0f}  {fn[:110]}")
PY
