#!/usr/bin/env bash
# gwd relaying server-sent events: chunks reach the client as the upstream sends them, usage is
# read from the last event, a client that goes away ends the upstream request, and a stream
# that does not start in time is a 504.
source "$(dirname "$0")/lib.bash" "$@"

start_mock
write_config "$TMP/tree"
compile "$TMP/tree" "$TMP/a.json"
start_gwd "$TMP/a.json"

# stream_client READ_CHUNKS: streams a chat completion (5 chunks, 200 ms apart) and prints
# "first_ms total_ms events" after reading READ_CHUNKS events (0: all), then hangs up.
stream_client() {
  python3 - "$GWD_PORT" "$1" << 'PY'
import http.client, sys, time
port, limit = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
start = time.time()
c.request("POST", "/v1/chat/completions", body='{"stream": true, "messages": []}',
          headers={"authorization": "Bearer key-app", "x-mock-chunks": "5", "x-mock-chunk-delay-ms": "200"})
r = c.getresponse()
assert r.status == 200, r.status
assert r.getheader("content-type").startswith("text/event-stream")
first, events = None, 0
while True:
    line = r.fp.readline()
    if not line:
        break
    if line.startswith(b"data:"):
        events += 1
        if first is None:
            first = time.time() - start
        if limit and events >= limit:
            c.sock.close()
            break
        if line.strip() == b"data: [DONE]":
            break
print(int(first * 1000), int((time.time() - start) * 1000), events)
PY
}

check "stream chunks arrive as the upstream sends them, not at the end"
read -r first total events < <(stream_client 0)
[[ $events == 8 ]] || fail "got $events events, expected 8 (role, 5 chunks, usage, [DONE])"
[[ $((first + 600)) -lt $total ]] || fail "the first event came after $first ms of $total"
[[ $total -ge 1000 ]] || fail "the stream ended after $total ms, expected over 1000"

check "the usage of the last event is accounted"
sleep 0.1
tail -n 1 "$TMP/gwd.out" | grep -q '"stream":true,"tokens_in":10,"tokens_out":5' || fail "stream usage not logged: $(tail -n 1 "$TMP/gwd.out")"

check "a client that disconnects mid-stream ends the upstream request"
mock_reset
stream_client 2 > /dev/null
sleep 0.8
[[ $(mock_stat 'd["streams_cancelled"]') == 1 ]] || fail "the upstream stream was not cancelled: $(mock_stat 'd')"
chat
expect_status 200

check "a client that hangs up before the first byte ends the request and the upstream request at once"
n_closed=0
for stream in true false; do
  mock_reset
  body="{\"stream\":$stream}"
  start=$(date +%s%N)
  raw "$GWD_PORT" "POST /v1/chat/completions HTTP/1.1\r\nhost: t\r\nauthorization: Bearer key-app\r\nx-mock-delay-ms: 4000\r\ncontent-type: application/json\r\ncontent-length: ${#body}\r\n\r\n$body" 0.3 > "$TMP/raw.out"
  n_closed=$((n_closed + 1))
  for ((i = 0; i < 100; i++)); do
    (($(grep -a -c '"status":499' "$TMP/gwd.out") >= n_closed)) && break
    sleep 0.05
  done
  [[ $i -lt 100 ]] || fail "no access-log line with status 499 (stream $stream)"
  ms=$((($(date +%s%N) - start) / 1000000))
  [[ $ms -lt 2500 ]] || fail "the request ended $ms ms after it started, expected soon after the hang-up"
  grep -a '"status":499' "$TMP/gwd.out" | tail -n 1 | grep -q '"error":"client_closed"' || fail "access log: $(tail -n 1 "$TMP/gwd.out")"
  sleep 0.3
  [[ $(mock_stat 'd["waits_abandoned"]') == 1 ]] || fail "the upstream request was not ended: $(mock_stat 'd')"
done
chat
expect_status 200

check "a stream whose first byte does not come within first_byte is retried, then 504"
start=$(date +%s%N)
call /v1/chat/completions -H 'authorization: Bearer key-app' -H 'x-mock-delay-ms: 2500' --data '{"stream":true}'
expect_status 504
expect_body_has '"type":"upstream_timeout"'
ms=$((($(date +%s%N) - start) / 1000000))
[[ $ms -lt 9000 ]] || fail "took $ms ms"

kill -0 "$GWD_PID" || fail "gwd died"
done_ok
