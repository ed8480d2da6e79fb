#!/usr/bin/env bash
# gwd's resilience: retries then fallback on 500s and on timeouts, max_attempts, connection
# failures and garbage from the upstream, ejection of a failing deployment and its recovery.
source "$(dirname "$0")/lib.bash" "$@"

start_mock
write_config "$TMP/tree"
compile "$TMP/tree" "$TMP/a.json"
start_gwd "$TMP/a.json"
attempts_of_last() { tail -n 1 "$TMP/gwd.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["attempts"])'; }

check "a failing deployment is ejected: its traffic goes to the others, an event is logged, a metric exported"
mock_set '{"status": 500, "model": "m-primary", "count": -1}'
for _ in $(seq 1 30); do
  chat > /dev/null
  if grep -q '"event":"deployment_ejected"' "$TMP/gwd.err"; then break; fi
done
grep -q '"deployment":"primary/m-primary-2024","event":"deployment_ejected"' "$TMP/gwd.err" || fail "no ejection event"
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" > "$TMP/metrics"
grep -q 'gwd_ejections_total{deployment="primary/m-primary-2024"}' "$TMP/metrics" || fail "no ejection metric"
grep -q 'gwd_deployment_ejected{deployment="primary/m-primary-2024"} 1' "$TMP/metrics" || fail "not shown as ejected"
grep -q '"ejected":\[[^]]*"primary/m-primary-2024"' <<< "$(admin_get /config)" || fail "/config lacks it"
before=$(mock_stat 'd["by_model"].get("m-primary-2024", 0)')
for _ in $(seq 1 10); do
  chat
  expect_status 200
done
after=$(mock_stat 'd["by_model"].get("m-primary-2024", 0)')
# (Only while it is still out: on a slow machine the 3 s window may have ended meanwhile.)
if grep -q '"ejected":\[[^]]*"primary/m-primary-2024"' <<< "$(admin_get /config)"; then
  [[ $before == "$after" ]] || fail "the ejected deployment still got traffic ($before → $after)"
fi

check "after the window it is probed back in and restored on success"
mock_reset
sleep 3.1
for _ in $(seq 1 30); do chat > /dev/null; done
grep -q '"deployment":"primary/m-primary-2024","event":"deployment_restored"' "$TMP/gwd.err" || fail "no restore event"
[[ $(mock_stat 'd["by_model"].get("m-primary-2024", 0) > 10') == True ]] || fail "the primary gets no traffic again"

mock_reset

check "500s are retried on the model, then the request falls back to the next alias"
mock_set '{"status": 500, "model": "m-", "count": -1}'
chat
expect_status 200
expect_body_has '"model":"backup-2024"'
[[ $(mock_stat 'sum(v for k, v in d["by_model"].items() if k.startswith("m-"))') == 3 ]] || fail "expected 1 try + 2 retries on m"
[[ $(attempts_of_last) == 4 ]] || fail "access log attempts $(attempts_of_last), expected 4"
mock_reset

check "a first byte slower than timeouts.first_byte is a timeout: retried, then fallen back"
mock_set '{"delay_ms": 1500, "model": "m-", "count": -1}'
start=$(date +%s%N)
chat
expect_status 200
expect_body_has '"model":"backup-2024"'
ms=$((($(date +%s%N) - start) / 1000000))
[[ $ms -ge 2900 && $ms -lt 8000 ]] || fail "took $ms ms, expected 3 timeouts of 1 s"
mock_reset

check "when every alias fails, max_attempts bounds the attempts and the last upstream answer is relayed"
mock_set '{"status": 503, "count": -1}'
chat
expect_status 503
expect_body_has 'gwd-mock was told to fail'
[[ $(attempts_of_last) == 5 ]] || fail "attempts $(attempts_of_last), expected max_attempts (5)"
mock_reset

check "an upstream that answers garbage is 502 with a JSON error"
mock_set '{"mode": "garbage", "count": -1}'
chat
expect_status 502
expect_body_has '"type":"bad_upstream_response"'
mock_reset

check "a provider that refuses connections is 502 upstream_unavailable"
"$GWD" --artifact "$TMP/a.json" --listen 127.0.0.1:0 --admin 127.0.0.1:0 --provider-url '*=http://127.0.0.1:1/v1' \
  > "$TMP/dead.out" 2> "$TMP/dead.err" &
PIDS+=($!)
wait_for "$TMP/dead.err" '"event":"listening"'
dead_port=$(grep -o '"listen":"[^"]*"' "$TMP/dead.err" | grep -o '[0-9]*"$' | tr -d '"')
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' "http://127.0.0.1:$dead_port/v1/chat/completions" \
  -H 'authorization: Bearer key-app' --data '{}')
expect_status 502
expect_body_has '"type":"upstream_unavailable"'

check "interim 1xx answers of a provider are skipped: the client gets the real one, and so does the next request"
ask() { call /v1/chat/completions -H 'authorization: Bearer key-app' --data "{\"model\":\"$1\",\"messages\":[]}" "${@:2}"; }
ask backup -H 'x-mock-interim: 1'
expect_status 200
expect_body_has '"model":"backup-2024"'
for _ in 1 2 3; do
  # The pooled connection carries nothing over: each answer is its own request's.
  ask m
  expect_status 200
  expect_body_has '"model":"m-'
done

check "a provider that accepts the connection but never completes TLS fails within timeouts.connect"
python3 - "$TMP/stuck.port" << 'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # never answers the TLS client hello
PY
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s $TMP/stuck.port ]] && break; sleep 0.05; done
mkdir -p "$TMP/stuck"
cp -r "$TMP/tree/." "$TMP/stuck/"
python3 - "$TMP/stuck/base/gateway.yaml" "$(cat "$TMP/stuck.port")" << 'PY'
import re, sys
path, port = sys.argv[1], sys.argv[2]
text = open(path).read()
# The first provider ("primary", which serves model backup) becomes the stuck TLS endpoint.
text = re.sub(r"    base_url: http://127\.0\.0\.1:\d+/v1",
              f"    timeouts: {{connect: 1s}}\n    base_url: https://127.0.0.1:{port}/v1", text, count=1)
open(path, "w").write(text)
PY
compile "$TMP/stuck" "$TMP/stuck.json"
"$GWD" --artifact "$TMP/stuck.json" --listen 127.0.0.1:0 --admin 127.0.0.1:0 > "$TMP/stuck.out" 2> "$TMP/stuck.err" &
PIDS+=($!)
wait_for "$TMP/stuck.err" '"event":"listening"'
stuck_port=$(grep -o '"listen":"[^"]*"' "$TMP/stuck.err" | grep -o '[0-9]*"$' | tr -d '"')
start=$(date +%s%N)
STATUS=$(curl -s -m 20 -o "$TMP/body" -w '%{http_code}' "http://127.0.0.1:$stuck_port/v1/chat/completions" \
  -H 'authorization: Bearer key-app' --data '{"model":"backup","messages":[]}')
ms=$((($(date +%s%N) - start) / 1000000))
expect_status 502
expect_body_has '"type":"upstream_unavailable"'
grep -q 'TLS handshake timed out' "$TMP/stuck.err" || fail "no handshake timeout logged: $(tail -n 2 "$TMP/stuck.err")"
[[ $ms -lt 6000 ]] || fail "took $ms ms"

kill -0 "$GWD_PID" || fail "gwd died"
done_ok
