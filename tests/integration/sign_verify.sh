#!/usr/bin/env bash
# Signed artifacts end to end with the real gwctl on examples/acme: keygen's files and modes,
# sign in place, verify (exit 0), and the refusals: one byte tampered, another key, unsigned
# when a key is given (exit 1); a garbage key file, a missing artifact, usage (exit 2); the
# --previous promotion chain, on hand-made promotions and on what `gwctl promote` writes.
#   bash tests/integration/sign_verify.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

ACME=$REPO/examples/acme

mode_of() { stat -c %a "$1"; }
digest_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["digest"])' "$1"; }
key_id_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["signature"]["key_id"])' "$1"; }

# recompute_digest FILE: rewrites FILE's digest over its canonical form (sorted keys, two-space
# indent, final newline, everything but digest and signature), as gwctl computes it. Used to
# make a promoted artifact without the Git history `gwctl promote` needs (promote.sh runs the
# real command); checked against a compiled artifact first.
recompute_digest() {
  python3 - "$1" << 'PY'
import hashlib, json, sys
path = sys.argv[1]
a = json.load(open(path))
covered = {k: v for k, v in a.items() if k not in ("digest", "signature")}
text = json.dumps(covered, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
a["digest"] = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
open(path, "w").write(json.dumps(a, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
PY
}

gw -C "$ACME" compile --env dev -o "$TMP/dev.json"
expect_status 0
gw -C "$ACME" compile --env staging -o "$TMP/staging.json"
expect_status 0

check "keygen writes PREFIX.key 0600 and PREFIX.pub 0644, PEM, and names the key"
gw keygen -o "$TMP/release"
expect_no_crash
expect_status 0
[[ $(mode_of "$TMP/release.key") == 600 ]] || fail "release.key has mode $(mode_of "$TMP/release.key")"
[[ $(mode_of "$TMP/release.pub") == 644 ]] || fail "release.pub has mode $(mode_of "$TMP/release.pub")"
head -n 1 "$TMP/release.key" | grep -q -x -e '-----BEGIN PRIVATE KEY-----' || fail "release.key is not PKCS#8 PEM"
head -n 1 "$TMP/release.pub" | grep -q -x -e '-----BEGIN PUBLIC KEY-----' || fail "release.pub is not SPKI PEM"
expect_output_has "wrote $TMP/release.key (private, mode 0600) and $TMP/release.pub; key ed25519:"
# No key material in the output: neither PEM line nor the base64 body.
expect_output_lacks "BEGIN"
expect_output_lacks "$(sed -n 2p "$TMP/release.key")"
KEY_ID=$(grep -o 'ed25519:[0-9a-f]*' "$TMP/out")
[[ ${#KEY_ID} -eq 24 ]] || fail "key id '$KEY_ID' is not ed25519: + 16 hex digits"

check "keygen refuses to overwrite a key, --force replaces it"
cp "$TMP/release.key" "$TMP/release.key.orig"
gw keygen -o "$TMP/release"
expect_status 2
expect_output_has "gwctl: error: '$TMP/release.key' already exists; pass --force to replace it"
cmp -s "$TMP/release.key" "$TMP/release.key.orig" || fail "the refused keygen changed release.key"
gw keygen -o "$TMP/spare" --force
expect_status 0
gw keygen -o "$TMP/other"
expect_status 0
OTHER_ID=$(grep -o 'ed25519:[0-9a-f]*' "$TMP/out")

check "sign adds the signature in place; only the signature changes"
cp "$TMP/dev.json" "$TMP/signed.json"
gw sign "$TMP/signed.json" --key "$TMP/release.key"
expect_no_crash
expect_status 0
expect_output_has "$TMP/signed.json: signed with key $KEY_ID (digest $(digest_of "$TMP/dev.json"))"
[[ $(key_id_of "$TMP/signed.json") == "$KEY_ID" ]] || fail "the signature does not name $KEY_ID"
python3 - "$TMP/dev.json" "$TMP/signed.json" << 'PY' || fail "signing changed more than the signature"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["signature"] is None and b["signature"]["algorithm"] == "ed25519", b["signature"]
b["signature"] = None
assert a == b
PY
expect_output_lacks "$(sed -n 2p "$TMP/release.key")"

check "verify with the public key: exit 0, one line naming digest and key"
gw verify "$TMP/signed.json" --public-key "$TMP/release.pub"
expect_status 0
[[ $(cat "$TMP/out") == "$TMP/signed.json: digest ok (dev, $(digest_of "$TMP/dev.json" | cut -c1-19)…), signature ok (key $KEY_ID)" ]] ||
  fail "unexpected verify output: $(cat "$TMP/all")"

check "verify without a key reports the signature unchecked; an unsigned artifact passes as not signed"
gw verify "$TMP/signed.json"
expect_status 0
expect_output_has "signed by key $KEY_ID (not checked: no --public-key)"
gw verify "$TMP/dev.json"
expect_status 0
expect_output_has "$TMP/dev.json: digest ok (dev, "
expect_output_has "), not signed"

check "verify --format json"
gw verify "$TMP/signed.json" --public-key "$TMP/release.pub" --format json
expect_status 0
python3 - "$TMP/out" "$KEY_ID" << 'PY' || fail "unexpected JSON: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format_version"] == 1 and d["ok"] is True, d
[a] = d["artifacts"]
assert a["status"] == "ok" and a["signature"] == "verified" and a["signed_by"] == sys.argv[2], a
assert a["environment"] == "dev" and a["message"] is None and d["promotion"] is None, d
PY

check "one byte changed after signing: exit 1, digest mismatch"
# "dev" -> "dew" in the environment name: one byte.
sed 's/"environment": "dev"/"environment": "dew"/' "$TMP/signed.json" > "$TMP/tampered.json"
[[ $(cmp -l "$TMP/signed.json" "$TMP/tampered.json" | wc -l) -eq 1 ]] || fail "the tampering is not one byte"
gw verify "$TMP/tampered.json" --public-key "$TMP/release.pub"
expect_status 1
expect_output_has "$TMP/tampered.json: error: the artifact digest '$(digest_of "$TMP/signed.json")' does not match its content"
expect_stdout_empty

check "a changed signature: exit 1, the signature does not match"
python3 - "$TMP/signed.json" "$TMP/badsig.json" << 'PY'
import base64, json, sys
a = json.load(open(sys.argv[1]))
raw = bytearray(base64.b64decode(a["signature"]["value"]))
raw[0] ^= 1
a["signature"]["value"] = base64.b64encode(bytes(raw)).decode()
open(sys.argv[2], "w").write(json.dumps(a, indent=2, sort_keys=True) + "\n")
PY
gw verify "$TMP/badsig.json" --public-key "$TMP/release.pub"
expect_status 1
expect_output_has "$TMP/badsig.json: error: the signature does not match (signed by key $KEY_ID)"

check "the wrong public key: exit 1, signed by another key"
gw verify "$TMP/signed.json" --public-key "$TMP/other.pub"
expect_status 1
expect_output_has "error: the artifact is signed by another key: $KEY_ID, not the given key $OTHER_ID"

check "an unsigned artifact when a key is given: exit 1"
gw verify "$TMP/dev.json" --public-key "$TMP/release.pub"
expect_status 1
expect_output_has "$TMP/dev.json: error: the artifact is not signed (expected a signature by key $KEY_ID)"

check "sign refuses a tampered artifact (exit 1) and leaves it as it was"
cp "$TMP/tampered.json" "$TMP/tampered.before"
gw sign "$TMP/tampered.json" --key "$TMP/release.key"
expect_status 1
expect_output_has "; not signed"
cmp -s "$TMP/tampered.json" "$TMP/tampered.before" || fail "sign changed a tampered artifact"

check "re-signing with another key replaces the signature"
cp "$TMP/signed.json" "$TMP/resigned.json"
gw sign "$TMP/resigned.json" --key "$TMP/other.key"
expect_status 0
expect_output_has "replacing the signature by key $KEY_ID"
gw verify "$TMP/resigned.json" --public-key "$TMP/other.pub"
expect_status 0

check "bad key files: exit 2 with the file named"
printf 'this is not a key\n' > "$TMP/garbage.pem"
gw verify "$TMP/signed.json" --public-key "$TMP/garbage.pem"
expect_status 2
expect_output_has "gwctl: error: '$TMP/garbage.pem' is not a PEM key file"
gw sign "$TMP/signed.json" --key "$TMP/garbage.pem"
expect_status 2
gw sign "$TMP/signed.json" --key "$TMP/release.pub"
expect_status 2
expect_output_has "'$TMP/release.pub' is a public key; signing takes the private key"
gw verify "$TMP/signed.json" --public-key "$TMP/release.key"
expect_status 2
expect_output_has "'$TMP/release.key' is a private key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/ec.key" 2> /dev/null
gw sign "$TMP/signed.json" --key "$TMP/ec.key"
expect_status 2
expect_output_has "'$TMP/ec.key' holds an EC key; gwctl signs with ed25519 keys only"
gw verify "$TMP/signed.json" --public-key "$TMP/nope.pub"
expect_status 2
expect_output_has "cannot read the key '$TMP/nope.pub': no such file"

check "a missing artifact, a folder and a file that is not JSON: exit 2"
gw verify "$TMP/missing.json" --public-key "$TMP/release.pub"
expect_status 2
expect_output_has "gwctl: error: cannot read '$TMP/missing.json': no such file"
gw sign "$TMP/missing.json" --key "$TMP/release.key"
expect_status 2
[[ ! -e $TMP/missing.json ]] || fail "sign created the missing artifact"
gw verify "$TMP"
expect_status 2
expect_output_has "not a regular file"
printf 'not json' > "$TMP/notjson.json"
gw verify "$TMP/notjson.json"
expect_status 2
expect_output_has "$TMP/notjson.json: error: the artifact is not valid JSON"

check "usage errors: exit 2"
gw verify
expect_status 2
gw sign "$TMP/signed.json"
expect_status 2
gw keygen
expect_status 2
gw verify "$TMP/signed.json" --format yaml
expect_status 2

check "the digest helper agrees with gwctl"
cp "$TMP/staging.json" "$TMP/check.json"
recompute_digest "$TMP/check.json"
cmp -s "$TMP/staging.json" "$TMP/check.json" || fail "recompute_digest does not reproduce a compiled artifact"

check "--previous: a promoted artifact names the earlier one; both verify"
cp "$TMP/dev.json" "$TMP/prev.json"
gw sign "$TMP/prev.json" --key "$TMP/release.key"
expect_status 0
# What gwctl promote writes: the staging artifact recording dev's digest (plus an optional
# 'forced', which the chain check must tolerate).
python3 - "$TMP/staging.json" "$TMP/promoted.json" "$(digest_of "$TMP/prev.json")" << 'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["promoted_from"] = {"environment": "dev", "digest": sys.argv[3]}
open(sys.argv[2], "w").write(json.dumps(a, indent=2, sort_keys=True) + "\n")
PY
recompute_digest "$TMP/promoted.json"
gw sign "$TMP/promoted.json" --key "$TMP/release.key"
expect_status 0
gw verify "$TMP/promoted.json" --public-key "$TMP/release.pub" --previous "$TMP/prev.json"
expect_status 0
expect_output_has "$TMP/promoted.json: digest ok (staging, "
expect_output_has "$TMP/prev.json: digest ok (dev, "
expect_output_has "$TMP/promoted.json: promoted from dev ($TMP/prev.json, "
expect_output_has "): chain ok"
gw verify "$TMP/promoted.json" --public-key "$TMP/release.pub" --previous "$TMP/prev.json" --format json
expect_status 0
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["promotion"] == {"ok": True, "message": None}, d; assert [a["role"] for a in d["artifacts"]] == ["artifact", "previous"]' "$TMP/out" ||
  fail "unexpected JSON: $(cat "$TMP/out")"

check "--previous: the wrong earlier artifact, or one that does not verify, is exit 1"
gw verify "$TMP/promoted.json" --previous "$TMP/staging.json"
expect_status 1
expect_output_has "$TMP/promoted.json: error: the artifact was promoted from dev $(digest_of "$TMP/prev.json"), not from the earlier artifact (staging $(digest_of "$TMP/staging.json"))"
# The digest does not cover the signature: the unsigned dev artifact is the same earlier one.
gw verify "$TMP/promoted.json" --previous "$TMP/dev.json"
expect_status 0
# ... but with the key it must be signed too.
gw verify "$TMP/promoted.json" --public-key "$TMP/release.pub" --previous "$TMP/dev.json"
expect_status 1
expect_output_has "$TMP/dev.json: error: the artifact is not signed"
expect_output_lacks "chain ok"
gw verify "$TMP/staging.json" --previous "$TMP/prev.json"
expect_status 1
expect_output_has "records no promotion (promoted_from is null)"
gw verify "$TMP/promoted.json" --public-key "$TMP/release.pub" --previous "$TMP/tampered.json"
expect_status 1
expect_output_has "$TMP/tampered.json: error: the artifact digest"
python3 - "$TMP/promoted.json" << 'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["promoted_from"]["forced"] = True
a["signature"] = None
open(sys.argv[1] + ".forced", "w").write(json.dumps(a, indent=2, sort_keys=True) + "\n")
PY
check "--previous: promoted_from.forced does not disturb the chain check"
recompute_digest "$TMP/promoted.json.forced"
gw verify "$TMP/promoted.json.forced" --previous "$TMP/prev.json"
expect_status 0
expect_output_has "chain ok"

check "--previous: what the real gwctl promote writes from a signed artifact chains to it"
isolated_git
cp -R "$ACME" "$TMP/repo"
git init -q "$TMP/repo"
git -C "$TMP/repo" add -A
git -C "$TMP/repo" commit -q -m A
gw -C "$TMP/repo" compile --env dev -o "$TMP/real-dev.json"
expect_status 0
gw sign "$TMP/real-dev.json" --key "$TMP/release.key"
expect_status 0
gw -C "$TMP/repo" promote "$TMP/real-dev.json" --to staging -o "$TMP/real-staging.json"
expect_status 0
gw sign "$TMP/real-staging.json" --key "$TMP/release.key"
expect_status 0
gw verify "$TMP/real-staging.json" --public-key "$TMP/release.pub" --previous "$TMP/real-dev.json"
expect_status 0
expect_output_has "$TMP/real-staging.json: promoted from dev ($TMP/real-dev.json, "
expect_output_has "): chain ok"
done_ok
