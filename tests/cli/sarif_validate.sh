#!/usr/bin/env bash
# Runs the CLI on every fixture and example, and on a few generated hostile
# inputs, with --format sarif and --format json, then checks:
#   - every SARIF log passes Microsoft's SARIF multitool (no error-level
#     result) and tools/sarif_check.py (schema + cross-references);
#   - every JSON report parses, and its summary.exit_code and verdict agree
#     with the CLI's exit status;
#   - the CLI never exits with anything but 0, 1 or 2 (no crash, no usage error).
# The validator is required: without it this test FAILS (it does not skip),
# so that CI cannot go green without checking SARIF.
#
# Usage: bash tests/cli/sarif_validate.sh build/laocoon
# Last line: "sarif_validate: N passed, N failed".
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
	echo "sarif_validate: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

if [ ! -x "$bin" ]; then
	ko "no CLI binary at $bin (run make)"
	finish
fi
validator=tools/sarif-validate.sh
pkg=tools/node/node_modules/@microsoft/sarif-multitool-linux
if [ ! -f "$pkg/Sarif.Multitool" ] || [ ! -f "$pkg/sarif-2.1.0.json" ] ||
	! python3 -c 'import jsonschema' 2>/dev/null; then
	ko "SARIF validator not installed: run tools/install-deps.sh (npm ci --ignore-scripts in tools/node, python3 jsonschema)"
	finish
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Generated inputs: names and contents a real scan can meet.
gen="$tmp/gen"
mkdir -p "$gen/sub dir"
printf 'hello\n' >"$gen/readme.txt"
: >"$gen/empty.pkl"
printf '\x80\x04\x95' >"$gen/truncated.pkl"
head -c 4096 /dev/urandom >"$gen/random.bin" 2>/dev/null || printf '\x01\x02\xff\xfe' >"$gen/random.bin"
# A protocol-2 pickle calling os.system('id'): GLOBAL, MARK-less TUPLE1, REDUCE.
printf '\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.' >"$gen/sub dir/evil ü:#%.pkl"
printf '\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.' >"$gen/$(printf 'bad\xffname\x1b.pkl')" 2>/dev/null || true

# Input sets: one per file, plus each tree as a whole, plus a missing path.
sets=()
while IFS= read -r -d '' f; do sets+=("$f"); done < <(
	find tests/fixtures examples "$gen" -type f -print0 2>/dev/null | sort -z)
for d in tests/fixtures examples "$gen"; do
	[ -d "$d" ] && sets+=("$d")
done
sets+=("$tmp/does-not-exist.pkl")

logs=()
declare -A input_of=()
n=0
for input in "${sets[@]}"; do
	n=$((n + 1))
	sarif="$tmp/$n.sarif"
	json="$tmp/$n.json"
	"$bin" scan --format sarif --output "$sarif" "$input" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -gt 2 ]; then
		ko "sarif scan of '$input' exited $rc: $(head -c 300 "$tmp/err")"
		continue
	fi
	if [ ! -s "$sarif" ]; then
		ko "sarif scan of '$input' wrote no log"
		continue
	fi
	logs+=("$sarif")
	input_of["$sarif"]=$input

	"$bin" scan --format json --output "$json" "$input" >"$tmp/out" 2>"$tmp/err"
	jrc=$?
	if [ $jrc -gt 2 ]; then
		ko "json scan of '$input' exited $jrc: $(head -c 300 "$tmp/err")"
		continue
	fi
	[ $jrc = $rc ] && ok || ko "'$input': sarif run exited $rc, json run exited $jrc"
	if msg=$(python3 - "$json" "$jrc" <<'EOF' 2>&1
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:  # strict UTF-8
    text = f.read()
doc = json.loads(text)
assert text.endswith("}\n") and not text.endswith("\n\n"), "not one document + newline"
s = doc["summary"]
rc = int(sys.argv[2])
assert s["exit_code"] == rc, f"summary.exit_code {s['exit_code']} != CLI exit {rc}"
want = {1: "malicious", 2: "incomplete"}.get(rc)
assert (s["verdict"] == want) if want else s["verdict"] in ("clean", "suspicious"), s["verdict"]
assert s["files"] == len(doc["files"]) == s["scanned"] + s["errors"] + s["skipped"]
assert sum(s["findings"].values()) == sum(len(f["findings"]) for f in doc["files"])
EOF
	); then
		ok
	else
		ko "json report of '$input': $(printf '%s' "$msg" | tail -n 1)"
	fi
done

if [ ${#logs[@]} -eq 0 ]; then
	ko "no SARIF log produced"
	finish
fi
bash "$validator" "${logs[@]}" >"$tmp/validate.out" 2>&1
vrc=$?
if [ $vrc -ge 2 ]; then
	cat "$tmp/validate.out"
	ko "validator did not run (exit $vrc)"
	finish
fi
for log in "${logs[@]}"; do
	if grep -qxF "ok $log" "$tmp/validate.out"; then
		ok
	else
		grep -F "$log: " "$tmp/validate.out" | head -n 5
		ko "SARIF log for '${input_of[$log]}' is invalid"
	fi
done
finish
