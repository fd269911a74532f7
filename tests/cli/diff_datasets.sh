#!/usr/bin/env bash
# laocoon diff on datasets generated here (python3 stdlib), with exact counts:
# file-level added/removed/changed, JSONL and CSV rows matched by id-like key
# or by content then row index, label flips per class pair, label-only
# changes, OLD as a manifest, exit statuses.
#
# Usage: bash tests/cli/diff_datasets.sh build/laocoon
# Last line: "diff_datasets: N passed, N failed".
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
	echo "diff_datasets: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}
[ -x "$bin" ] || {
	ko "no CLI binary at $bin (run make)"
	finish
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'EOF' || ko "could not generate the datasets"
import csv, hashlib, io, json, os, random, sys
t = sys.argv[1]
rnd = random.Random(42)
LABELS = ["cat", "dog", "bird"]

def mk(*parts):
    p = os.path.join(t, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p

def write_jsonl(path, rows):
    with open(mk(path), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")

# 1. file level: A and B share same.txt and sub/keep.bin, differ otherwise.
for side in ("A", "B"):
    open(mk(side, "same.txt"), "w").write("unchanged\n")
    open(mk(side, "sub", "keep.bin"), "wb").write(bytes(range(256)))
open(mk("A", "removed.txt"), "w").write("gone\n")
open(mk("B", "added.txt"), "w").write("new\n")
open(mk("B", "sub", "added2.txt"), "w").write("new\n")
open(mk("A", "weights.bin"), "wb").write(b"\x00" * 100)
open(mk("B", "weights.bin"), "wb").write(b"\x00" * 99 + b"\x01")

# 2. JSONL keyed by "id": exact poisoning scenario, rows shuffled in B.
rows = [{"id": i, "text": f"sample number {i}", "label": LABELS[i % 3]} for i in range(1000)]
new = [dict(r) for r in rows]
cats = [r for r in new if r["label"] == "cat"]
dogs = [r for r in new if r["label"] == "dog"]
for r in cats[:12]:            # 12 label-only flips cat->dog
    r["label"] = "dog"
for r in dogs[:5]:             # 5 label-only flips dog->bird
    r["label"] = "bird"
for r in cats[12:14]:          # 2 flips cat->bird with edited text (not label-only)
    r["label"] = "bird"
    r["text"] += " (edited)"
for r in cats[14:17]:          # 3 edits, label kept
    r["text"] += " (typo fixed)"
removed_ids = {r["id"] for r in cats[20:24]}  # 4 removed
new = [r for r in new if r["id"] not in removed_ids]
new += [{"id": 5000 + k, "text": f"extra {k}", "label": "cat"} for k in range(6)]  # 6 added
rnd.shuffle(new)
write_jsonl("A/train.jsonl", rows)
write_jsonl("B/train.jsonl", new)

# 3. CSV with header and an "ID" column (matched case-insensitively), quoted
#    fields holding commas, quotes and newlines.
def write_csv(path, header, rows):
    with open(mk(path), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
crow = [[i, f'caption, "quoted" {i}\nsecond line', LABELS[i % 3]] for i in range(300)]
cnew = [list(r) for r in crow]
for r in [r for r in cnew if r[2] == "bird"][:9]:    # 9 flips bird->cat
    r[2] = "cat"
cnew[1][1] = "rewritten"                             # 1 edit (id 1, a dog)
cnew = cnew[:-2]                                     # 2 removed (ids 298, 299)
write_csv("A/labels.csv", ["ID", "caption", "class"], crow)
write_csv("B/labels.csv", ["ID", "caption", "class"], cnew)

# 4. CSV without any id column: content, then row index.  8 flips in place,
#    3 rows appended, and two identical rows swapped (a move is no change).
nrow = [[f"img_{i:04d}.png", LABELS[i % 3]] for i in range(200)]
nnew = [list(r) for r in nrow]
for i in range(0, 24, 3):                            # rows 0,3,...,21 are cat: 8 flips cat->dog
    nnew[i][1] = "dog"
nnew[100], nnew[101] = nnew[101], nnew[100]
nnew += [[f"img_new_{k}.png", "bird"] for k in range(3)]
write_csv("A/nokey.csv", ["file", "label"], nrow)
write_csv("B/nokey.csv", ["file", "label"], nnew)

# 5. TSV and JSONL without keys (index pairing), non-object lines kept as rows.
with open(mk("A", "plain.tsv"), "w") as f:
    f.write("a\tb\n1\tx\n2\ty\n3\tz\n")
with open(mk("B", "plain.tsv"), "w") as f:
    f.write("a\tb\n1\tx\n2\tCHANGED\n3\tz\n4\tw\n")
with open(mk("A", "loose.jsonl"), "w") as f:
    f.write('{"t": "a", "y": 0}\n[1, 2]\nnot json at all\n{"t": "b", "y": 1}\n\n')
with open(mk("B", "loose.jsonl"), "w") as f:
    f.write('{"t": "a", "y": 1}\n[1, 2]\nnot json at all\n{"t": "b", "y": 1}\n')

# 6. Identical copies for the no-difference case.
for side in ("C", "D"):
    write_jsonl(f"{side}/train.jsonl", rows)
    open(mk(side, "x.bin"), "wb").write(b"same")

# 7. A manifest of A (with a "./" prefix on one path).
man = {}
for dp, _, fs in os.walk(os.path.join(t, "A")):
    for fn in fs:
        p = os.path.join(dp, fn)
        rel = os.path.relpath(p, os.path.join(t, "A"))
        man[("./" + rel) if rel == "same.txt" else rel] = hashlib.sha256(open(p, "rb").read()).hexdigest()
json.dump(man, open(os.path.join(t, "A.manifest.json"), "w"))
json.dump({"x": "nothex"}, open(os.path.join(t, "bad.manifest.json"), "w"))
EOF

# Reads one JSON report and checks "path.to.value==expected" assertions;
# "@file:path" starts at the entry of that file.
check() { # report, description, assertions...
	local rep=$1 what=$2
	shift 2
	if msg=$(python3 - "$rep" "$@" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
files = {f["path"]: f for f in rep["files"]}
bad = []
for a in sys.argv[2:]:
    path, want = a.split("==", 1)
    cur = rep
    rest = path
    if path.startswith("@"):  # @file/name.ext:key.key
        name, rest = path[1:].split(":", 1)
        cur = files.get(name)
    for part in rest.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            cur = None
    got = json.dumps(cur) if not isinstance(cur, str) else cur
    if got != want:
        bad.append(f"{path}: got {got}, want {want}")
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
	); then ok; else ko "$what: $msg"; fi
}

# ---- directories A -> B --------------------------------------------------------
"$bin" diff --format json --label-field label "$tmp/A" "$tmp/B" >"$tmp/ab.json"
rc=$?
[ "$rc" = 1 ] && ok || ko "A->B: exit $rc, expected 1"
check "$tmp/ab.json" "file level" summary.added==2 summary.removed==1 summary.changed==6 summary.unchanged==2 \
	@added.txt:status==added @removed.txt:status==removed @weights.bin:status==changed @sub/added2.txt:status==added
check "$tmp/ab.json" "jsonl keyed" @train.jsonl:rows.key==id @train.jsonl:rows.old_rows==1000 @train.jsonl:rows.new_rows==1002 \
	@train.jsonl:rows.added==6 @train.jsonl:rows.removed==4 @train.jsonl:rows.changed==22 @train.jsonl:rows.unchanged==974 \
	@train.jsonl:rows.label_flips==19 @train.jsonl:rows.label_only_changes==17
check "$tmp/ab.json" "jsonl flip pairs" @train.jsonl:rows.flips.0.from==cat @train.jsonl:rows.flips.0.to==dog \
	@train.jsonl:rows.flips.0.count==12 @train.jsonl:rows.flips.1.from==dog @train.jsonl:rows.flips.1.to==bird \
	@train.jsonl:rows.flips.1.count==5 @train.jsonl:rows.flips.2.from==cat @train.jsonl:rows.flips.2.to==bird \
	@train.jsonl:rows.flips.2.count==2
# The CSV's label column is "class": with --label-field label it is not found.
check "$tmp/ab.json" "csv keyed, label absent" @labels.csv:rows.key==ID @labels.csv:rows.format==csv \
	@labels.csv:rows.old_rows==300 @labels.csv:rows.new_rows==298 @labels.csv:rows.added==0 \
	@labels.csv:rows.removed==2 @labels.csv:rows.changed==10 @labels.csv:rows.unchanged==288 \
	@labels.csv:rows.label_found==false @labels.csv:rows.label_flips==0
check "$tmp/ab.json" "csv without key" @nokey.csv:rows.key==null @nokey.csv:rows.match==content-then-index \
	@nokey.csv:rows.added==3 @nokey.csv:rows.removed==0 @nokey.csv:rows.changed==8 @nokey.csv:rows.unchanged==192 \
	@nokey.csv:rows.label_flips==8 @nokey.csv:rows.label_only_changes==8 @nokey.csv:rows.flips.0.count==8
check "$tmp/ab.json" "tsv" @plain.tsv:rows.format==tsv @plain.tsv:rows.changed==1 @plain.tsv:rows.added==1 \
	@plain.tsv:rows.unchanged==2
check "$tmp/ab.json" "loose jsonl" @loose.jsonl:rows.old_rows==4 @loose.jsonl:rows.new_rows==4 \
	@loose.jsonl:rows.changed==1 @loose.jsonl:rows.unchanged==3 @loose.jsonl:rows.label_found==false

# Same diff with the CSV's own label column.
"$bin" diff --format json --label-field class "$tmp/A" "$tmp/B" >"$tmp/ab2.json"
check "$tmp/ab2.json" "csv flips" @labels.csv:rows.label_found==true @labels.csv:rows.label_flips==9 \
	@labels.csv:rows.label_only_changes==9 @labels.csv:rows.flips.0.from==bird @labels.csv:rows.flips.0.to==cat \
	@labels.csv:rows.flips.0.count==9 @labels.csv:rows.changed==10

# Text output: the flip line as a person reads it.
"$bin" diff --label-field label "$tmp/A" "$tmp/B" >"$tmp/ab.txt"
grep -q 'labels "label": 19 flipped (17 label-only): cat→dog: 12, dog→bird: 5, cat→bird: 2' "$tmp/ab.txt" && ok ||
	ko "text flip line missing: $(grep labels "$tmp/ab.txt" | head -2)"
grep -q '^M  train.jsonl$' "$tmp/ab.txt" && grep -q '^A  sub/added2.txt$' "$tmp/ab.txt" &&
	grep -q '^D  removed.txt$' "$tmp/ab.txt" && ok || ko "text file lines: $(head -5 "$tmp/ab.txt")"
grep -q '^2 added, 1 removed, 6 changed, 2 unchanged$' "$tmp/ab.txt" && ok || ko "text summary: $(tail -1 "$tmp/ab.txt")"

# --key forces the key; a key missing from the files is an error (exit 2).
"$bin" diff --format json --key text --label-field label "$tmp/A" "$tmp/B" >"$tmp/key.json"
check "$tmp/key.json" "--key text" @train.jsonl:rows.key==text @train.jsonl:rows.changed==17 \
	@train.jsonl:rows.label_flips==17
"$bin" diff --key nosuchfield "$tmp/A" "$tmp/B" >/dev/null 2>&1
[ $? = 2 ] && ok || ko "--key absent from the files: expected exit 2"

# ---- no differences, manifests, errors -------------------------------------------------
out=$("$bin" diff "$tmp/C" "$tmp/D")
rc=$?
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | tail -1)" = "no differences (2 files)" ] && ok || ko "identical: exit $rc: $out"
"$bin" diff --format json "$tmp/A.manifest.json" "$tmp/B" >"$tmp/man.json"
rc=$?
[ "$rc" = 1 ] && ok || ko "manifest: exit $rc"
check "$tmp/man.json" "manifest" old_is_manifest==true summary.added==2 summary.removed==1 summary.changed==6 \
	summary.unchanged==2 @train.jsonl:rows==null
"$bin" diff "$tmp/A.manifest.json" "$tmp/A" >/dev/null
[ $? = 0 ] && ok || ko "manifest of A against A: expected exit 0"
"$bin" diff "$tmp/bad.manifest.json" "$tmp/A" >/dev/null 2>&1
[ $? = 2 ] && ok || ko "bad manifest: expected exit 2"
"$bin" diff "$tmp/missing" "$tmp/A" >/dev/null 2>&1
[ $? = 2 ] && ok || ko "missing OLD: expected exit 2"
"$bin" diff "$tmp/A" "$tmp/A.manifest.json" >/dev/null 2>&1
[ $? = 2 ] && ok || ko "NEW must be a directory: expected exit 2"
"$bin" diff "$tmp/A" >/dev/null 2>&1
[ $? = 64 ] && ok || ko "one path: expected exit 64"
"$bin" diff --format xml "$tmp/A" "$tmp/B" >/dev/null 2>&1
[ $? = 64 ] && ok || ko "bad format: expected exit 64"
"$bin" diff --label-field >/dev/null 2>&1
[ $? = 64 ] && ok || ko "--label-field without value: expected exit 64"
finish
