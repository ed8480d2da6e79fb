#!/usr/bin/env bash
# gwd's lifecycle: reload on file change and on SIGHUP under load with no failed request, a bad
# artifact refused with the old one still serving, and SIGTERM draining in-flight requests.
source "$(dirname "$0")/lib.bash" "$@"

start_mock
write_config "$TMP/tree"
# The load below must not meet the chat route's request limit.
sed -i 's/requests: 600, per: 1m/requests: 10000000, per: 1m/' "$TMP/tree/base/gateway.yaml"
compile "$TMP/tree" "$TMP/a.json"
cp "$TMP/a.json" "$TMP/live.json"
start_gwd "$TMP/live.json" --watch-interval 100

# Load: two clients sending chat requests back to back until $TMP/stop exists.
python3 - "$GWD_PORT" "$TMP/stop" > "$TMP/load.json" << 'PY' &
import http.client, json, os, sys, threading
port, stop = int(sys.argv[1]), sys.argv[2]
counts, lock = {}, threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not os.path.exists(stop):
        try:
            c.request("POST", "/v1/chat/completions", body='{"messages": []}', headers={"authorization": "Bearer key-app"})
            r = c.getresponse()
            r.read()
            key = str(r.status)
        except Exception as e:
            key = type(e).__name__
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            counts[key] = counts.get(key, 0) + 1
threads = [threading.Thread(target=client) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(counts))
PY
load_pid=$!
PIDS+=("$load_pid")
sleep 0.3

check "a new artifact written over the file is picked up and served"
cat >> "$TMP/tree/envs/test.yaml" << 'YAML'
routes:
  - name: fresh
    match: {path: /fresh}
    auth: {type: none, public: true, reason: test}
    respond: {status: 200, body: fresh}
YAML
compile "$TMP/tree" "$TMP/b.json"
replace "$TMP/b.json"
wait_digest "$(digest_of "$TMP/b.json")"
call /fresh
expect_status 200
grep -q '"event":"reloaded","previous":"'"$(digest_of "$TMP/a.json")"'","reason":"file changed"' "$TMP/gwd.err" ||
  grep -q '"reason":"file changed"' "$TMP/gwd.err" || fail "no reload event"

check "SIGHUP reloads"
kill -HUP "$GWD_PID"
wait_for "$TMP/gwd.err" '"reason":"SIGHUP"'

check "an artifact whose digest does not match is refused, logged, and the old one keeps serving"
sed 's/"name": "fresh"/"name": "frash"/' "$TMP/b.json" > "$TMP/tampered.json"
cmp -s "$TMP/b.json" "$TMP/tampered.json" && fail "tampering changed nothing"
replace "$TMP/tampered.json"
wait_for "$TMP/gwd.err" '"event":"reload_refused"'
grep -q 'does not match its content' <<< "$(grep -a '"event":"reload_refused"' "$TMP/gwd.err")" || fail "refusal does not say why"
[[ $(served digest) == "$(digest_of "$TMP/b.json")" ]] || fail "the refused artifact replaced the good one"
call /fresh
expect_status 200

check "a file that is not JSON is refused too"
printf '{"format": "gwctl.artifact/v1", ' > "$TMP/half.json"
replace "$TMP/half.json"
wait_for "$TMP/gwd.err" 'the artifact is not valid JSON'
[[ $(served digest) == "$(digest_of "$TMP/b.json")" ]] || fail "the broken file replaced the good one"
grep -q 'gwd_reloads_total{result="refused"} 2' <<< "$(admin_get /metrics)" || fail "refusals not counted"

check "no request failed during the reloads"
touch "$TMP/stop"
wait "$load_pid"
python3 - "$TMP/load.json" << 'PY' || fail "requests failed under reload: $(cat "$TMP/load.json")"
import json, sys
counts = json.load(open(sys.argv[1]))
assert counts.get("200", 0) > 50 and set(counts) == {"200"}, counts
PY

check "SIGTERM drains: a stream in flight completes, new connections are refused, gwd exits 0"
curl -s -N --max-time 10 "http://127.0.0.1:$GWD_PORT/v1/chat/completions" -H 'authorization: Bearer key-app' \
  -H 'x-mock-chunks: 4' -H 'x-mock-chunk-delay-ms: 250' --data '{"stream":true}' > "$TMP/stream.out" &
stream_pid=$!
sleep 0.3
kill -TERM "$GWD_PID"
wait_for "$TMP/gwd.err" '"event":"draining"'
[[ $(curl -s "http://127.0.0.1:$ADMIN_PORT/readyz") == '{"status":"draining"}' ]] || fail "readyz does not say draining"
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$GWD_PORT/healthz"; then fail "a new connection was accepted while draining"; fi
wait "$stream_pid" || fail "the stream in flight failed"
grep -q 'data: \[DONE\]' "$TMP/stream.out" || fail "the stream in flight was cut: $(tail -c 200 "$TMP/stream.out")"
set +e
wait "$GWD_PID"
code=$?
set -e
[[ $code -eq 0 ]] || fail "gwd exited $code after the drain"
grep -q '"abandoned":0,"event":"stopped"' "$TMP/gwd.err" || fail "requests were abandoned"
done_ok
