#!/usr/bin/env bash
# `laocoon verify sigstore`: offline keyless verification against the
# sigstore vectors of the shared corpus (bundles the reference model_signing
# wrote; signing/vectors.json) and tampered copies of them.
#   every sigstore vector: "pass" exits 0 with a "verified" line, "fail"
#     exits 1 with "not verified: <cause>";
#   tampering (a model byte, the SET, the inclusion proof, its root hash, the
#     checkpoint, the integrated time, the log body, the certificate, the
#     identity, the issuer, another or expired CA, unknown CT or Rekor key)
#     exits 1 and the message names the failed check;
#   no trust root, --use-staging, a broken trust root: exit 2.
# The corpus lives beside the repository only in CI: without it this test
# says so and skips (the offline pieces are unit-tested in test_sigstore.c).
# Usage: tests/cli/sigstore_verify.sh build/laocoon [CORPUS_DIR]
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
[ "${bin#/}" = "$bin" ] && bin=$PWD/$bin
corpus=${2:-../shared/corpus}
vectors=$corpus/signing/vectors.json
if [ ! -f "$vectors" ]; then
	echo "sigstore_verify: skipped: corpus not found at $corpus (signing/vectors.json)"
	echo "sigstore_verify: 0 passed, 0 failed"
	exit 0
fi
corpus=$(cd "$corpus" && pwd)
base=$corpus/signing/sigstore-model-transparency
tc=$base/tests/_signing/testdata/custom_trust_config.json
id=stefanb@us.ibm.com
iss=https://sigstore.verify.ibm.com/oauth2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL $*" >&2
	head -c 1500 "$tmp/err" >&2
	head -c 500 "$tmp/out" >&2
}
# expect DESCRIPTION RC PATTERN COMMAND...: exit status RC and, for 1 and 2,
# PATTERN (grep -E) in stderr; for 0 a "verified" line on stdout.
expect() {
	local what=$1 want=$2 pat=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$what: exit $rc, expected $want"
		return
	fi
	if [ "$want" = 0 ]; then
		grep -q "^laocoon: verified" "$tmp/out" && grep -q "keyless signature by" "$tmp/out" && ok ||
			bad "$what: no 'verified' line"
	elif grep -Eq -- "$pat" "$tmp/err"; then
		ok
	else
		bad "$what: '$pat' not in the message"
	fi
}

# ---- every sigstore vector of the corpus ------------------------------------
python3 - "$vectors" "$corpus/signing" >"$tmp/list" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
base = os.path.join(sys.argv[2], os.path.relpath(doc["base"], "signing"))
j = lambda p: os.path.join(base, p)
for v in doc["verify"]:
    if v["mode"] != "sigstore":
        continue
    model = j(v["model"])
    args = ["sigstore", model, "--signature", j(v["signature"]), "--identity", v["identity"],
            "--identity-provider", v["issuer"], "--trust-config", j(v["trust_config"])]
    for ign in v["ignore"]:
        args += ["--ignore-paths", os.path.join(model, ign)]
    print("\t".join([v["id"], v["expect"]] + args))
PY
nvec=0
while IFS=$'\t' read -r -a f; do
	nvec=$((nvec + 1))
	if [ "${f[1]}" = pass ]; then
		expect "vector ${f[0]}" 0 "" "$bin" verify "${f[@]:2}"
	else
		expect "vector ${f[0]}" 1 "not verified: " "$bin" verify "${f[@]:2}"
	fi
done <"$tmp/list"
[ "$nvec" -ge 7 ] && ok || bad "only $nvec sigstore vectors in $vectors"
# the causes of the corpus's negative vectors
v=$base/scripts/tests
expect "wrong identity named" 1 "identity: the certificate's SANs \(stefanb@us.ibm.com\) do not include someone@example.com" \
	"$bin" verify sigstore "$v/v1.1.0-sigstore" --signature "$v/v1.1.0-sigstore/model.sig" \
	--identity someone@example.com --identity-provider "$iss" --trust-config "$tc"
expect "wrong issuer named" 1 "identity: the certificate's OIDC issuer is $iss, not https://accounts.google.com" \
	"$bin" verify sigstore "$v/v1.1.0-sigstore" --signature "$v/v1.1.0-sigstore/model.sig" \
	--identity "$id" --identity-provider https://accounts.google.com --trust-config "$tc"
expect "unsigned extra file named" 1 "ignore-me" \
	"$bin" verify sigstore "$v/v1.0.1-sigstore" --signature "$v/v1.0.1-sigstore/model.sig" \
	--identity "$id" --identity-provider "$iss" --trust-config "$tc"
# the reference's underscore spellings, and the model given as "." from inside it
expect "underscore options, model '.'" 0 "" sh -c 'cd "$1" && shift && exec "$@"' sh "$v/v1.1.0-sigstore" \
	"$bin" verify sigstore . --signature model.sig --identity "$id" --identity_provider "$iss" \
	--trust_config "$tc" --ignore-paths ignore-me

# ---- tampered copies --------------------------------------------------------
# fresh copy of v1.1.0-sigstore in $tmp/m; edit its bundle with python3
fresh() {
	chmod -R u+w "$tmp/m" 2>/dev/null
	rm -rf "$tmp/m"
	cp -r "$v/v1.1.0-sigstore" "$tmp/m"
	chmod -R u+w "$tmp/m"
}
edit() { # python statements over b (the bundle), e (its tlog entry), helpers
	python3 - "$tmp/m/model.sig" "$1" <<'PY'
import base64, json, sys
path, code = sys.argv[1], sys.argv[2]
b = json.load(open(path))
e = b["verificationMaterial"]["tlogEntries"][0]
def flip(s, i=0):  # base64 string with byte i changed
    d = bytearray(base64.b64decode(s)); d[i] ^= 1
    return base64.b64encode(bytes(d)).decode()
exec(code)
json.dump(b, open(path, "w"), indent=2)
PY
}
vs() { # DESCRIPTION RC PATTERN [extra args]: verify $tmp/m
	local what=$1 want=$2 pat=$3
	shift 3
	expect "$what" "$want" "$pat" "$bin" verify sigstore "$tmp/m" --signature "$tmp/m/model.sig" \
		--identity "$id" --identity-provider "$iss" --trust-config "${TC:-$tc}" "$@"
}

fresh
vs "untampered copy" 0 ""
printf 'signme-3' >"$tmp/m/signme-2"
vs "one model byte changed" 1 "not verified: the model does not match.*|signme-2"
grep -q "signme-2" "$tmp/err" && ok || bad "the changed file is not named"

fresh
edit 'e["inclusionPromise"]["signedEntryTimestamp"] = flip(e["inclusionPromise"]["signedEntryTimestamp"], 10)'
vs "SET byte changed" 1 "Rekor inclusion promise \(SET\) does not verify"
fresh
edit 'e["integratedTime"] = str(int(e["integratedTime"]) + 1)'
vs "integrated time changed" 1 "Rekor inclusion promise \(SET\) does not verify"
fresh
edit 'e["logIndex"] = str(int(e["logIndex"]) + 1)'
vs "log index changed" 1 "Rekor inclusion promise \(SET\) does not verify"
fresh
edit 'h = e["inclusionProof"]["hashes"]; h[3] = flip(h[3], 5)'
vs "inclusion proof hash changed" 1 "inclusion proof: the audit path of the entry leads to"
fresh
edit 'e["inclusionProof"]["hashes"].pop()'
vs "inclusion proof shortened" 1 "inclusion proof: .*fewer than the path"
fresh
edit 'p = e["inclusionProof"]; p["treeSize"] = str(int(p["treeSize"]) + 1000)'
vs "inclusion proof tree size changed" 1 "inclusion proof"
fresh
edit 'p = e["inclusionProof"]; p["rootHash"] = flip(p["rootHash"])'
vs "inclusion proof root hash changed" 1 "inclusion proof: the audit path .* not to rootHash"
fresh
edit '
c = e["inclusionProof"]["checkpoint"]
head, sig = c["envelope"].split("\n\n")
name, s = sig.rstrip("\n").rsplit(" ", 1)
c["envelope"] = head + "\n\n" + name + " " + flip(s, 12) + "\n"'
vs "checkpoint signature changed" 1 "checkpoint: the signature of rekor.sigstore.dev does not verify"
fresh
edit '
c = e["inclusionProof"]["checkpoint"]
lines = c["envelope"].split("\n"); lines[1] = str(int(lines[1]) + 1)
c["envelope"] = "\n".join(lines)'
vs "checkpoint size changed" 1 "checkpoint: it commits to a tree of size"
fresh
edit '
body = json.loads(base64.b64decode(e["canonicalizedBody"]))
body["spec"]["payloadHash"]["value"] = "0" * 64
e["canonicalizedBody"] = base64.b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()'
vs "log body payload hash changed" 1 "Rekor entry: its payload hash 0{64} is not the envelope payload's"
fresh
edit 'e["kindVersion"]["kind"] = "hashedrekord"'
vs "log entry kind changed" 1 "Rekor entry: kindVersion hashedrekord/0.0.1 does not match"
fresh
edit '
p = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
p["subject"][0]["name"] = "other"
b["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(p).encode()).decode()'
vs "DSSE payload changed" 1 "Rekor entry: its payload hash"
fresh
other=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verificationMaterial"]["certificate"]["rawBytes"])' \
	"$v/v1.0.0-sigstore/model.sig")
edit "b['verificationMaterial']['certificate']['rawBytes'] = '$other'"
vs "another signing certificate" 1 "Rekor entry: its verifier is not the bundle's signing certificate"
fresh
edit 'del b["verificationMaterial"]["tlogEntries"][0]'
vs "no log entry" 1 "exactly one transparency log entry"
fresh
edit 'e["logId"]["keyId"] = flip(e["logId"]["keyId"])'
vs "log id changed" 1 "Rekor entry: log id [0-9a-f]{64} is not a transparency log of the trust root"
fresh
edit 'del e["inclusionPromise"]; b["verificationMaterial"]["timestampVerificationData"] = {}'
vs "no inclusion promise and no timestamp: no verified time" 1 "no verified time"

# trust roots edited: expired or other CA, unknown CT log, unknown Rekor key
fresh
tedit() { # NAME CODE over t (the ClientTrustConfig), r (its trustedRoot)
	python3 - "$tc" "$tmp/$1.json" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); r = t["trustedRoot"]
exec(sys.argv[3])
json.dump(t, open(sys.argv[2], "w"))
PY
}
tedit expired 'r["certificateAuthorities"][1]["validFor"]["end"] = "2024-01-01T00:00:00Z"'
TC=$tmp/expired.json vs "Fulcio CA expired before the signing time" 1 \
	"certificate chain: the signing certificate does not chain to a Fulcio CA of the trust root at 2025-10-10T02:12:20Z: no Fulcio CA"
tedit otherca 'r["certificateAuthorities"] = [r["certificateAuthorities"][0]]; r["certificateAuthorities"][0]["validFor"] = {"start": "2021-01-01T00:00:00Z"}'
TC=$tmp/otherca.json vs "another Fulcio CA" 1 "certificate chain: the signing certificate does not chain to a Fulcio CA"
tedit noct 'r["ctlogs"] = [r["ctlogs"][0]]; r["ctlogs"][0]["publicKey"]["validFor"] = {"start": "2021-01-01T00:00:00Z"}'
TC=$tmp/noct.json vs "SCT from a CT log absent from the trust root" 1 "SCT: no embedded SCT verifies .*not a CT log of the trust root"
tedit ctexpired 'r["ctlogs"][1]["publicKey"]["validFor"]["end"] = "2023-01-01T00:00:00Z"'
TC=$tmp/ctexpired.json vs "CT log key expired at the SCT time" 1 "SCT: no embedded SCT verifies .*outside the validity"
tedit otherrekor 'r["tlogs"][0]["publicKey"] = dict(r["ctlogs"][1]["publicKey"])'
TC=$tmp/otherrekor.json vs "Rekor key absent from the trust root" 1 "is not a transparency log of the trust root"
tedit rekorlate 'r["tlogs"][0]["publicKey"]["validFor"]["start"] = "2026-01-01T00:00:00Z"'
TC=$tmp/rekorlate.json vs "Rekor key not yet valid at the integrated time" 1 "was not valid at the integrated time"
# Sigstore's public-good timestamp authority (its public chain, as published
# in the production trusted_root.json): the v1.1.0 bundle's RFC 3161
# timestamp then verifies and counts as a second verified time
tedit tsa 'r["timestampAuthorities"].append({"uri": "https://timestamp.sigstore.dev/api/v1/timestamp",
 "validFor": {"start": "2025-07-04T00:00:00Z"}, "certChain": {"certificates": [{"rawBytes":
 "MIICEDCCAZagAwIBAgIUOhNULwyQYe68wUMvy4qOiyojiwwwCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTA0MDgwNjU5NDNaFw0zNTA0MDYwNjU5NDNaMC4xFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEVMBMGA1UEAxMMc2lnc3RvcmUtdHNhMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE4ra2Z8hKNig2T9kFjCAToGG30jky+WQv3BzL+mKvh1SKNR/UwuwsfNCg4sryoYAd8E6isovVA3M4aoNdm9QDi50Z8nTEyvqgfDPtTIwXItfiW/AFf1V7uwkbkAoj0xxco2owaDAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFIn9eUOHz9BlRsMCRscsc1t9tOsDMB8GA1UdIwQYMBaAFJjsAe9/u1H/1JUeb4qImFMHic6/MBYGA1UdJQEB/wQMMAoGCCsGAQUFBwMIMAoGCCqGSM49BAMDA2gAMGUCMDtpsV/6KaO0qyF/UMsX2aSUXKQFdoGTptQGc0ftq1csulHPGG6dsmyMNd3JB+G3EQIxAOajvBcjpJmKb4Nv+2Taoj8Uc5+b6ih6FXCCKraSqupe07zqswMcXJTe1cExvHvvlw=="},
 {"rawBytes":
 "MIIB9zCCAXygAwIBAgIUV7f0GLDOoEzIh8LXSW80OJiUp14wCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTA0MDgwNjU5NDNaFw0zNTA0MDYwNjU5NDNaMDkxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEgMB4GA1UEAxMXc2lnc3RvcmUtdHNhLXNlbGZzaWduZWQwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAQUQNtfRT/ou3YATa6wB/kKTe70cfJwyRIBovMnt8RcJph/COE82uyS6FmppLLL1VBPGcPfpQPYJNXzWwi8icwhKQ6W/Qe2h3oebBb2FHpwNJDqo+TMaC/tdfkv/ElJB72jRTBDMA4GA1UdDwEB/wQEAwIBBjASBgNVHRMBAf8ECDAGAQH/AgEAMB0GA1UdDgQWBBSY7AHvf7tR/9SVHm+KiJhTB4nOvzAKBggqhkjOPQQDAwNpADBmAjEAwGEGrfGZR1cen1R8/DTVMI943LssZmJRtDp/i7SfGHmGRP6gRbuj9vOK3b67Z0QQAjEAuT2H673LQEaHTcyQSZrkp4mX7WwkmF+sVbkYY5mXN+RMH13KUEHHOqASaemYWK/E"}]}})'
TC=$tmp/tsa.json vs "RFC 3161 timestamp from a trusted TSA" 0 ""
grep -q "and RFC 3161 timestamped" "$tmp/out" && ! grep -q "warning" "$tmp/err" && ok || bad "the timestamp was not verified"
# the same TSA without the timestamp-only time source: TSA time alone suffices
edit 'del e["inclusionPromise"]'
TC=$tmp/tsa.json vs "TSA time only (no inclusion promise)" 0 ""
fresh
edit 'ts = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]; ts.append(dict(ts[0]))'
vs "duplicate RFC 3161 timestamp" 1 "timestamps: RFC 3161 timestamp 1 is a duplicate"
fresh
edit 'b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] = "MAA="'
vs "malformed RFC 3161 timestamp" 1 "timestamps: RFC 3161 timestamp 0 is malformed"
fresh
tedit bare 't.clear(); t.update(r)'
TC=$tmp/bare.json vs "a bare TrustedRoot is accepted" 0 ""
tedit badtype 't["mediaType"] = "application/json"'
TC=$tmp/badtype.json vs "unknown trust config media type" 2 "unsupported trust root media type"
printf '{"mediaType": ' >"$tmp/broken.json"
TC=$tmp/broken.json vs "trust config not JSON" 2 "not a JSON object"

# no network: no trust root, or staging, cannot complete
expect "no --trust-config" 2 "needs a trust root.*--trust-config" \
	"$bin" verify sigstore "$tmp/m" --signature "$tmp/m/model.sig" --identity "$id" --identity-provider "$iss"
expect "--use-staging" 2 "use-staging needs the network" \
	"$bin" verify sigstore "$tmp/m" --signature "$tmp/m/model.sig" --identity "$id" --identity-provider "$iss" \
	--use_staging --trust-config "$tc"
# the other methods' bundles are not keyless
expect "sigstore mode on a certificate bundle" 1 "no keyless verification material" \
	"$bin" verify sigstore "$v/v1.1.0-certificate" --signature "$v/v1.1.0-certificate/model.sig" \
	--identity "$id" --identity-provider "$iss" --trust-config "$tc"
expect "key mode on a keyless bundle" 1 "no public-key verification material" \
	"$bin" verify key "$v/v1.1.0-sigstore" --signature "$v/v1.1.0-sigstore/model.sig" \
	--public-key "$v/keys/certificate/signing-key-pub.pem"

echo "sigstore_verify: $nvec corpus vectors; tampered copies and trust roots checked"
echo "sigstore_verify: $pass passed, $fail failed"
[ "$fail" = 0 ]
