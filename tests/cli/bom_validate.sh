#!/usr/bin/env bash
# laocoon bom: CycloneDX 1.6 ML-BOMs of examples/ and fixture trees, validated
# against the official JSON schema shipped in the npm package
# @cyclonedx/cyclonedx-library (tools/node) by tools/bom_check.py, then
# checked against the scan itself: one component per file, hashes equal to
# sha256sum's, one vulnerability per non-inventory finding with the mapped
# severity, tensor inventory properties on safetensors/GGUF files.
# The schema is required: without it this test FAILS (it does not skip).
#
# Usage: bash tests/cli/bom_validate.sh build/laocoon
# Last line: "bom_validate: N passed, N failed".
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
case $bin in /*) ;; *) bin="$root/$bin" ;; esac

pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
finish() {
	echo "bom_validate: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}
[ -x "$bin" ] || {
	ko "no CLI binary at $bin (run make)"
	finish
}
schema=tools/node/node_modules/@cyclonedx/cyclonedx-library/res/schema
py=""
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import jsonschema' 2>/dev/null; then
		py=$cand
		break
	fi
done
if [ ! -f "$schema/bom-1.6.SNAPSHOT.schema.json" ] || [ -z "$py" ]; then
	ko "CycloneDX 1.6 schema or python3 jsonschema missing: run tools/install-deps.sh (npm ci --ignore-scripts in tools/node, python3-jsonschema)"
	finish
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A generated tree: odd names, an empty file, a hostile pickle, a nested dir.
gen="$tmp/gen model"
mkdir -p "$gen/sub dir"
printf 'hello\n' >"$gen/README.md"
: >"$gen/empty.bin"
printf '\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.' >"$gen/sub dir/evil ü:#%.pkl"
printf '\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.' >"$gen/$(printf 'bad\xffname.pkl')" 2>/dev/null || true
cp tests/fixtures/convert/mlp.pt "$gen/model.pt"
ln -s model.pt "$gen/link.pt" 2>/dev/null || true
ln -s /etc/passwd "$gen/escape.pt" 2>/dev/null || true

inputs=(examples tests/fixtures/convert tests/fixtures/safetensors tests/fixtures/gguf tests/fixtures/pytorch
	tests/fixtures/repo/hf_benign "$gen" examples/benign/tiny_state_dict.pt)
boms=()
i=0
for in in "${inputs[@]}"; do
	i=$((i + 1))
	out="$tmp/bom$i.json"
	"$bin" bom --output "$out" "$in" 2>"$tmp/err$i"
	rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 2 ]; then
		ko "bom $in: exit $rc: $(head -3 "$tmp/err$i")"
		continue
	fi
	[ -s "$out" ] || {
		ko "bom $in: no output"
		continue
	}
	boms+=("$out")
	"$bin" scan --format json --fail-on CRITICAL "$in" >"$tmp/scan$i.json" 2>/dev/null
	# The BOM against the scan of the same input.
	if msg=$("$py" - "$out" "$tmp/scan$i.json" "$in" <<'EOF'
import hashlib, json, os, sys
bom = json.load(open(sys.argv[1]))
scan = json.load(open(sys.argv[2]))
root = sys.argv[3]
files = [f for f in scan["files"] if f.get("format") != "directory"]
errs = []
comps = bom["components"]
if len(comps) != len(files):
    errs.append(f"{len(comps)} components for {len(files)} scanned files")
sev = {"CRITICAL": "critical", "HIGH": "high", "MEDIUM": "medium", "LOW": "low", "INFO": "info"}
want = sorted((f["rule"], sev[f["severity"]]) for fr in files for f in fr["findings"]
              if not (f["rule"].endswith(".inventory") and not f.get("member")))
got = sorted((next(p["value"] for p in v["properties"] if p["name"] == "laocoon:rule"), v["ratings"][0]["severity"])
             for v in bom.get("vulnerabilities", []))
if want != got:
    errs.append(f"vulnerabilities {got[:5]}... differ from the scan's findings {want[:5]}...")
for c in comps:
    props = {p["name"]: p["value"] for p in c["properties"]}
    path = root if os.path.isfile(root) else os.path.join(root, c["name"])
    if os.path.isfile(path) and not os.path.islink(path):
        data = open(path, "rb").read()
        hs = {h["alg"]: h["content"] for h in c.get("hashes", [])}
        if hs.get("SHA-256") != hashlib.sha256(data).hexdigest() or hs.get("SHA-512") != hashlib.sha512(data).hexdigest():
            errs.append(f"{c['name']}: wrong hashes")
        if props.get("laocoon:size") != str(len(data)):
            errs.append(f"{c['name']}: laocoon:size {props.get('laocoon:size')} != {len(data)}")
    fmt = props.get("laocoon:format", "")
    if fmt.endswith("-config") or fmt in ("npy", "npz"):
        want_type = "data"
    elif fmt.startswith(("pytorch", "pickle", "safetensors", "gguf", "torchscript")):
        want_type = "machine-learning-model"
    elif fmt in ("unknown", "python", "native", "elf", "zip", "archive", "git-lfs-pointer", "symlink"):
        want_type = "file"
    else:
        want_type = c["type"]  # a format this test does not know
    if c["type"] != want_type:
        errs.append(f"{c['name']}: type {c['type']} for format {fmt}")
    if fmt in ("safetensors", "gguf") and props.get("laocoon:status") == "scanned" and "laocoon:tensors" not in props:
        errs.append(f"{c['name']}: no tensor inventory")
print("; ".join(errs))
sys.exit(1 if errs else 0)
EOF
	); then ok; else ko "bom $in: $msg"; fi
done

# Schema validation of every BOM (fails the test on any error).
if "$py" tools/bom_check.py "$schema" "${boms[@]}" >"$tmp/check" 2>&1; then
	ok
else
	ko "schema validation: $(grep -v '^ok ' "$tmp/check" | head -20)"
fi
n_ok=$(grep -c '^ok ' "$tmp/check")
[ "$n_ok" = "${#inputs[@]}" ] && ok || ko "$n_ok of ${#inputs[@]} BOMs valid"
# The validator does reject a broken BOM (it is not a no-op).
"$py" - "${boms[0]}" "$tmp/broken.json" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
b["components"][0]["type"] = "model"
b["vulnerabilities"][0]["ratings"][0]["severity"] = "severe"
json.dump(b, open(sys.argv[2], "w"))
EOF
if "$py" tools/bom_check.py "$schema" "$tmp/broken.json" >/dev/null 2>&1; then ko "a broken BOM validates"; else ok; fi

# Exit statuses and details.
"$bin" bom examples >"$tmp/a.json" 2>/dev/null && ok || ko "bom examples: expected exit 0 (findings do not change it)"
"$bin" bom examples >"$tmp/b.json" 2>/dev/null
sa=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["serialNumber"])' "$tmp/a.json")
sb=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["serialNumber"])' "$tmp/b.json")
[ -n "$sa" ] && [ "$sa" != "$sb" ] && ok || ko "serial numbers not random: $sa $sb"
nv=$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("vulnerabilities",[])))' "$tmp/a.json")
[ "$nv" -ge 4 ] && ok || ko "examples/: only $nv vulnerabilities"
"$bin" bom "$tmp/missing" >/dev/null 2>&1
[ $? = 2 ] && ok || ko "bom of a missing path: expected exit 2"
"$bin" bom >/dev/null 2>&1
[ $? = 64 ] && ok || ko "bom without PATH: expected exit 64"
"$bin" bom examples tests >/dev/null 2>&1
[ $? = 64 ] && ok || ko "bom with two paths: expected exit 64"
# A file no reader recognises makes the BOM incomplete: exit 2, still valid.
head -c 4096 /dev/urandom >"$tmp/random.bin" 2>/dev/null || printf '\x01\x02\xff\xfe' >"$tmp/random.bin"
"$bin" bom -o "$tmp/rand.json" "$tmp/random.bin" 2>/dev/null
[ $? = 2 ] && ok || ko "bom of unrecognised binary: expected exit 2"
"$py" tools/bom_check.py "$schema" "$tmp/rand.json" >/dev/null 2>&1 && ok || ko "BOM of an unrecognised file is invalid"
finish
