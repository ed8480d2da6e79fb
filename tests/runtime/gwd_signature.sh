#!/usr/bin/env bash
# gwd --require-signature KEY: an unsigned, tampered or otherwise-signed artifact is refused at
# start (exit 1, the reason on stderr); a signed one is served; on reload (SIGHUP) an unsigned
# or tampered replacement is refused and logged while the old config keeps serving; a signed
# replacement is taken. A bad key file is exit 2.
source "$(dirname "$0")/lib.bash" "$@"

start_mock
write_config "$TMP/tree"
compile "$TMP/tree" "$TMP/a.json"
"$GWCTL" keygen -o "$TMP/release" > /dev/null || fail "gwctl keygen failed"
"$GWCTL" keygen -o "$TMP/other" > /dev/null || fail "gwctl keygen failed"
KEY_ID=$(python3 - "$TMP/release.pub" << 'PY'
import base64, hashlib, sys
der = base64.b64decode("".join(l for l in open(sys.argv[1]) if not l.startswith("-----")))
print("ed25519:" + hashlib.sha256(der).hexdigest()[:16])
PY
)

# expect_start_refused ARTIFACT MESSAGE: gwd exits 1 at once with MESSAGE on stderr.
expect_start_refused() {
  set +e
  timeout 10 "$GWD" --artifact "$1" --require-signature "$TMP/release.pub" --threads 1 > "$TMP/start.out" 2> "$TMP/start.err"
  local code=$?
  set -e
  [[ $code -eq 1 ]] || fail "gwd exited $code for $(basename "$1"), expected 1: $(cat "$TMP/start.err")"
  { grep -q -F -e "gwd: error: " "$TMP/start.err" && grep -q -F -e "$2" "$TMP/start.err"; } ||
    fail "gwd's refusal does not say '$2': $(cat "$TMP/start.err")"
  if grep -q '"event":"listening"' "$TMP/start.err"; then fail "gwd listened with $(basename "$1")"; fi
}

check "an unsigned artifact is refused at start"
expect_start_refused "$TMP/a.json" "gwd: error: the artifact is not signed (expected a signature by key $KEY_ID)"

check "an artifact signed by another key is refused at start"
cp "$TMP/a.json" "$TMP/other.json"
"$GWCTL" sign "$TMP/other.json" --key "$TMP/other.key" > /dev/null || fail "gwctl sign failed"
expect_start_refused "$TMP/other.json" "the artifact is signed by another key"

check "a signed artifact tampered by one byte is refused at start"
cp "$TMP/a.json" "$TMP/signed.json"
"$GWCTL" sign "$TMP/signed.json" --key "$TMP/release.key" > /dev/null || fail "gwctl sign failed"
sed 's/"name": "health"/"name": "hEalth"/' "$TMP/signed.json" > "$TMP/tampered.json"
[[ $(cmp -l "$TMP/signed.json" "$TMP/tampered.json" | wc -l) -eq 1 ]] || fail "the tampering is not one byte"
expect_start_refused "$TMP/tampered.json" "does not match its content"

check "a key file that is not a key is exit 2"
printf 'garbage\n' > "$TMP/garbage.pub"
set +e
"$GWD" --artifact "$TMP/signed.json" --require-signature "$TMP/garbage.pub" > /dev/null 2> "$TMP/start.err"
code=$?
set -e
[[ $code -eq 2 ]] || fail "gwd exited $code with a garbage key, expected 2"
grep -q -F "gwd: error: --require-signature: '$TMP/garbage.pub' is not a PEM key file" "$TMP/start.err" ||
  fail "unexpected message: $(cat "$TMP/start.err")"

check "a signed artifact is served, and /config names its key"
cp "$TMP/signed.json" "$TMP/live.json"
# No file watch: only SIGHUP reloads, so each refusal below is the SIGHUP's.
start_gwd "$TMP/live.json" --require-signature "$TMP/release.pub" --watch-interval 0
[[ $(served digest) == "$(digest_of "$TMP/signed.json")" ]] || fail "gwd does not serve the signed artifact"
[[ $(served signed_by) == "$KEY_ID" ]] || fail "/config says signed_by $(served signed_by)"
grep -q '"event":"listening".*"signed_by":"'"$KEY_ID"'"' "$TMP/gwd.err" || fail "the listening event does not name the key"
call /healthz
expect_status 200

refusals() { grep -c '"event":"reload_refused"' "$TMP/gwd.err" || true; }
# sighup_refused FILE MESSAGE: FILE in place, SIGHUP, a refusal saying MESSAGE, old config kept.
sighup_refused() {
  local before
  before=$(refusals)
  replace "$1"
  kill -HUP "$GWD_PID"
  local i
  for ((i = 0; i < 200; i++)); do
    [[ $(refusals) -gt $before ]] && break
    sleep 0.05
  done
  [[ $(refusals) -gt $before ]] || fail "no reload_refused after SIGHUP with $(basename "$1")"
  grep '"event":"reload_refused"' "$TMP/gwd.err" | tail -n 1 | grep -q -F -e "$2" ||
    fail "the refusal does not say '$2': $(grep '"event":"reload_refused"' "$TMP/gwd.err" | tail -n 1)"
  [[ $(served digest) == "$(digest_of "$TMP/signed.json")" ]] || fail "the refused artifact replaced the signed one"
  call /healthz
  expect_status 200
}

check "SIGHUP with an unsigned replacement: refused, logged, the old config keeps serving"
sighup_refused "$TMP/a.json" "the artifact is not signed"

check "SIGHUP with a tampered replacement: refused, logged, the old config keeps serving"
sighup_refused "$TMP/tampered.json" "does not match its content"

check "SIGHUP with a replacement signed by another key: refused"
sighup_refused "$TMP/other.json" "signed by another key"

check "SIGHUP with a new signed artifact: served"
cat >> "$TMP/tree/envs/test.yaml" << 'YAML'
routes:
  - name: fresh
    match: {path: /fresh}
    auth: {type: none, public: true, reason: test}
    respond: {status: 200, body: fresh}
YAML
compile "$TMP/tree" "$TMP/b.json"
"$GWCTL" sign "$TMP/b.json" --key "$TMP/release.key" > /dev/null || fail "gwctl sign failed"
replace "$TMP/b.json"
kill -HUP "$GWD_PID"
wait_digest "$(digest_of "$TMP/b.json")"
call /fresh
expect_status 200
grep -q 'gwd_reloads_total{result="refused"} 3' <<< "$(admin_get /metrics)" || fail "refusals not counted"
stop_gwd
done_ok
