#!/usr/bin/env bash
# gwd serving the per-request decisions: routes, auth, scope, limits, models, rewriting,
# provider auth, direct responses, bad input, secrets, access log and admin endpoints.
source "$(dirname "$0")/lib.bash" "$@"

start_mock
write_config "$TMP/tree"
compile "$TMP/tree" "$TMP/a.json"

check "a missing secret stops gwd at start, naming it and printing no secret value"
set +e
env -u APP_KEY "$GWD" --artifact "$TMP/a.json" > "$TMP/nostart.out" 2>&1
code=$?
set -e
[[ $code -eq 1 ]] || fail "exit $code, expected 1"
grep -q -F "secret 'APP_KEY' is missing or empty" "$TMP/nostart.out" || fail "no message naming APP_KEY: $(cat "$TMP/nostart.out")"
if grep -q -e "$MOCK_KEY" -e "$OTHER_KEY" "$TMP/nostart.out"; then fail "a secret value was printed"; fi

check "secrets are read from --secrets-dir when not in the environment"
mkdir -p "$TMP/secrets"
printf 'key-app\n' > "$TMP/secrets/APP_KEY"
(unset APP_KEY && start_gwd "$TMP/a.json" --secrets-dir "$TMP/secrets" && call /v1/chat/completions \
  -H 'x-api-key: key-app' --data '{}'; stop_gwd; [[ $STATUS == 200 ]]) || fail "secrets dir not used"

start_gwd "$TMP/a.json"

check "a direct response (respond) needs no key"
call /healthz
expect_status 200
[[ $(cat "$TMP/body") == ok ]] || fail "body '$(cat "$TMP/body")'"

check "no matching route is 404 with a JSON error"
call /v1/nothing
expect_status 404
expect_body_has '{"error":{"message":"no route matches this request","type":"not_found"}}'
call /healthz -X POST
expect_status 404

check "a missing key is 401; a wrong key is 401 and not echoed"
call /v1/chat/completions --data '{}'
expect_status 401
call /v1/chat/completions -H 'authorization: Bearer key-wrong-12345' --data '{}'
expect_status 401
expect_body_has '"invalid API key"'
if grep -q key-wrong-12345 "$TMP/body" "$TMP/gwd.out" "$TMP/gwd.err"; then fail "the wrong key was echoed"; fi

check "a consumer outside the route's scope is 403"
call /v1/chat/completions -H 'authorization: Bearer key-other' --data '{}'
expect_status 403
expect_body_has "consumer 'other' may not use route 'chat'"

check "a non-JSON body is 400; a model the route does not serve is 400"
chat --data 'not json'
expect_status 400
expect_body_has "the request body is not valid JSON"
call /v1/chat/completions -H 'authorization: Bearer key-app' --data '{"model":"gpt-17"}'
expect_status 400
expect_body_has "model 'gpt-17' is not served on route 'chat'"

check "the model is rewritten to the deployment id and the provider key replaces the client's"
mock_reset
call /v1/chat/completions -H 'authorization: Bearer key-app' -H 'x-request-id: r-1' --data '{"model":"backup","messages":[]}'
expect_status 200
expect_body_has '"model":"backup-2024"'
[[ $(mock_stat 'd["last_headers"].get("authorization")') == "Bearer $MOCK_KEY" ]] || fail "provider auth header not sent"
[[ $(mock_stat 'd["last_headers"].get("x-request-id")') == "r-1" ]] || fail "x-request-id not forwarded"
[[ $(mock_stat 'd["last_target"]') == "/v1/chat/completions" ]] || fail "wrong upstream path"

check "azure-openai deployments get the api-key header and the deployment path"
mock_reset
for _ in $(seq 1 60); do chat > /dev/null; done
[[ $(mock_stat 'd["by_model"].get("m-canary-2024", 0) > 0') == True ]] || fail "no request reached the canary"
mock_reset
mock_set '{"status": 500, "model": "m-primary-2024", "count": -1}'
chat
expect_status 200
grep -q -F '"model":"m-canary-2024"' "$TMP/body" || grep -q -F '"model":"backup-2024"' "$TMP/body" || fail "unexpected body"
mock_reset
# Only the canary left: every pick that survives the primary's failures goes there. Whether
# the primary is ejected yet depends on how many of the earlier successes are still in its
# window, so enough requests are sent for the 10 % canary to be picked even without ejection
# (30 requests of 3 attempts: a miss is 0.9^90, under 1 in 10,000).
mock_set '{"status": 503, "model": "m-primary-2024", "count": -1}'
for _ in $(seq 1 30); do chat > /dev/null; done
[[ $(mock_stat '"/openai/deployments/m-canary-2024/chat/completions?api-version=2024-10-21" in [d["last_target"]] or d["by_model"].get("m-canary-2024", 0) > 0') == True ]] ||
  fail "canary not reached"
mock_reset

check "429 with Retry-After once a request limit is used up, per consumer"
for i in 1 2; do
  call /v1/limited/chat/completions -H 'authorization: Bearer key-app' --data '{}'
  expect_status 200
done
call /v1/limited/chat/completions -H 'authorization: Bearer key-app' --data '{}'
expect_status 429
grep -i -q '^retry-after: [0-9]' "$TMP/headers" || fail "no Retry-After header"
expect_body_has '"type":"rate_limited"'
call /v1/limited/chat/completions -H 'authorization: Bearer key-other' --data '{}'
expect_status 200

check "an oversized body is 413; oversized headers are 413"
head -c 5000 /dev/zero | tr '\0' 'a' > "$TMP/big"
chat --data-binary "@$TMP/big"
expect_status 413
expect_body_has '"type":"payload_too_large"'
call /healthz -H "x-big: $(head -c 70000 /dev/zero | tr '\0' 'b')"
expect_status 413

check "malformed HTTP is 400 and does not stop gwd"
reply=$(raw "$GWD_PORT" 'NOT HTTP\r\n\r\n' 3)
[[ $reply == *"400 Bad Request"* ]] || fail "reply to garbage: '$reply'"
call /healthz
expect_status 200

check "a chunked request body with trailers is read whole; the trailers are ignored"
body='{"model":"m","messages":[]}'
trailer=$(head -c 3000 /dev/zero | tr '\0' 't')
reply=$(raw "$GWD_PORT" "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key-app\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n$(printf '%x' ${#body})\r\n$body\r\n0\r\nX-Trailer: $trailer\r\n\r\n" 5)
[[ $reply == *"200 OK"* && $reply == *'"model":"m-'* ]] || fail "reply: $(head -c 300 <<< "$reply")"
wait_for "$TMP/gwd.out" '"method":"POST","model":"m","route":"chat"'

check "a client that sends its headers too slowly is disconnected after header_timeout (1 s)"
reply=$(raw "$GWD_PORT" 'GET /healthz HTTP/1.1\r\nHost: x\r\n' 4)
ms=$(echo "$reply" | grep closed-after-ms | cut -d' ' -f2)
[[ $ms -ge 900 && $ms -lt 3500 ]] || fail "the slow client was kept $ms ms"

check "keep-alive: several requests on one connection"
out=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' "http://127.0.0.1:$GWD_PORT/healthz" \
  "http://127.0.0.1:$GWD_PORT/healthz" "http://127.0.0.1:$GWD_PORT/healthz")
[[ $out == "1 0 0 " ]] || fail "connections per request: '$out'"

check "on one kept-alive connection, each request is judged on the key it sends now"
# gwd remembers the digest of a connection's last key; a changed key must not ride on it.
python3 - "$GWD_PORT" << 'PY' || fail "keys on one connection were judged wrongly"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
body = '{"messages": [{"role": "user", "content": "hi"}]}'
want = [("key-app", 200), ("key-apX", 401), ("key-app", 200), ("key-other", 403), ("key-ap", 401), ("key-app", 200)]
sock = None
for key, status in want:
    c.request("POST", "/v1/chat/completions", body=body, headers={"authorization": "Bearer " + key})
    r = c.getresponse()
    r.read()
    if r.status != status:
        sys.exit(f"key {key}: {r.status}, expected {status}")
    if sock is not None and c.sock is not sock:
        sys.exit(f"key {key}: the connection was not kept alive")
    sock = c.sock
PY

check "one JSON access-log line per request, without keys or bodies"
lines=$(wc -l < "$TMP/gwd.out")
[[ $lines -ge 20 ]] || fail "only $lines access-log lines"
python3 - "$TMP/gwd.out" << 'PY' || fail "access log lines are not the expected JSON"
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    for k in ("route", "consumer", "model", "deployment", "status", "attempts", "latency_ms", "tokens_in", "tokens_out"):
        assert k in d, (k, d)
PY
if grep -q -e key-app -e key-other -e "$MOCK_KEY" -e "$AZ_KEY" -e '"messages"' "$TMP/gwd.out" "$TMP/gwd.err"; then
  fail "a key or a body reached the logs"
fi
grep -q '"consumer":"app","deployment":"primary/backup-2024"' "$TMP/gwd.out" || fail "no line for the backup request"

check "admin: /healthz, /readyz, /config and /metrics"
[[ $(curl -s "http://127.0.0.1:$ADMIN_PORT/healthz") == '{"status":"ok"}' ]] || fail "admin healthz"
[[ $(curl -s "http://127.0.0.1:$ADMIN_PORT/readyz") == '{"status":"ready"}' ]] || fail "admin readyz"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$TMP/a.json")
grep -q -F "\"digest\":\"$digest\"" <<< "$(admin_get /config)" || fail "admin /config lacks the digest"
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" > "$TMP/metrics"
# The primary's 503s (the canary check above) are certain; its single 500 is not (that request
# may have been sent to the canary).
for m in "gwd_config_info{digest=\"$digest\",environment=\"test\"} 1" 'gwd_requests_total{route="chat",model="m"' \
  'gwd_request_duration_seconds_bucket{route="chat",le="+Inf"}' 'gwd_upstream_attempts_total{deployment="primary/m-primary-2024",outcome="503"}' \
  'gwd_tokens_total{route="chat",model="m",kind="input"}' 'gwd_limit_rejections_total{route="limited"} 1' 'gwd_cost_usd_total{route="chat",model="m"}'; do
  grep -q -F "$m" "$TMP/metrics" || fail "metrics lack '$m'"
done

check "gwd is still alive"
kill -0 "$GWD_PID" || fail "gwd died"
done_ok
