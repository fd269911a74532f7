#!/usr/bin/env bash
# Runs `laocoon verify` on every OpenSSF model-signing vector of the shared
# corpus (signing/vectors.json: bundles the reference tool wrote, v0.2.0 to
# v1.1.0) and checks the exit status:
#   key, certificate and sigstore (keyless, verified offline against the
#   corpus's trust config) vectors: "pass" must exit 0, "fail" must exit 1.
#   tests/cli/sigstore_verify.sh tampers with the keyless ones.
# Usage: tests/cli/signing_vectors.sh build/laocoon [CORPUS_DIR]
# Prints "signing_vectors: N passed, N failed".
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
corpus=${2:-../shared/corpus}
vectors=$corpus/signing/vectors.json
if [ ! -f "$vectors" ]; then
	echo "signing_vectors: corpus not found at $corpus (nothing to run)"
	echo "signing_vectors: 0 passed, 0 failed"
	exit 0
fi
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per vector: id, expect, mode, then the laocoon arguments (NUL-free,
# tab-separated), built by python3 from the JSON.
python3 - "$vectors" "$corpus/signing" >"$tmp/list" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
base = os.path.join(sys.argv[2], os.path.relpath(doc["base"], "signing"))
j = lambda p: os.path.join(base, p)
for v in doc["verify"]:
    model = j(v["model"])
    args = [v["mode"], model, "--signature", j(v["signature"])]
    if v["mode"] == "key":
        args += ["--public-key", j(v["public_key"])]
    elif v["mode"] == "certificate":
        for t in v["trust_anchors"]:
            args += ["--certificate-chain", j(t)]
    else:
        args += ["--identity", v["identity"], "--identity-provider", v["issuer"],
                 "--trust-config", j(v["trust_config"])]
    for ign in v["ignore"]:
        args += ["--ignore-paths", os.path.join(model, ign)]
    print("\t".join([v["id"], v["expect"], v["mode"]] + args))
PY
[ -s "$tmp/list" ] || { echo "signing_vectors: cannot read $vectors"; echo "signing_vectors: 0 passed, 1 failed"; exit 1; }

while IFS=$'\t' read -r -a f; do
	id=${f[0]} expect=${f[1]} mode=${f[2]}
	"$bin" verify "${f[@]:3}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$expect" = pass ]; then
		want=0
	else
		want=1
	fi
	if [ "$rc" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $id ($mode, expect $expect): exit $rc, wanted $want" >&2
		head -c 1500 "$tmp/err" >&2
	fi
	# a passing vector must say what it verified; a failing one must say why
	if [ "$want" = 0 ]; then
		if grep -q "^laocoon: verified" "$tmp/out"; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL $id: no 'verified' line" >&2; fi
	elif [ "$want" = 1 ]; then
		if grep -q "not verified" "$tmp/err"; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL $id: no 'not verified' reason" >&2; fi
	fi
done <"$tmp/list"

echo "signing_vectors: $(wc -l <"$tmp/list") vectors ($(grep -c "	sigstore	" "$tmp/list") keyless)"
echo "signing_vectors: $pass passed, $fail failed"
[ "$fail" = 0 ]
