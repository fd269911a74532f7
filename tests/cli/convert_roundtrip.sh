#!/usr/bin/env bash
# laocoon convert: PyTorch checkpoints -> safetensors, checked without torch.
#
#   - every tests/fixtures/convert/*.pt with an expected file converts (exit
#     0) to exactly the tensors torch.load sees (names, dtypes, shapes, bytes:
#     tests/cli/st_compare.py), and to the same bytes as the reference layout;
#   - checkpoints safetensors cannot hold or that are not flat state dicts
#     are refused (exit 1), as are hand-made hostile ones (out-of-bounds
#     views, short storages, calls besides the tensor rebuilders);
#   - the public corpus (../shared/corpus, read in place, when present):
#     every hostile PyTorch file and a few hostile pickles are refused
#     (exit 1), the real benign legacy checkpoint converts.
#
# Usage: bash tests/cli/convert_roundtrip.sh build/laocoon
# Last line: "convert_roundtrip: N passed, N failed".
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
case $bin in /*) ;; *) bin="$root/$bin" ;; esac
fx=tests/fixtures/convert
corpus=../shared/corpus

pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
finish() {
	echo "convert_roundtrip: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}
[ -x "$bin" ] || {
	ko "no CLI binary at $bin (run make)"
	finish
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- round trips ----------------------------------------------------------
n=0
for pt in "$fx"/*.pt; do
	b=$(basename "$pt" .pt)
	case $b in refuse_*) continue ;; esac
	ref=${b%_legacy}
	ref=${ref%_bigendian}
	exp="$fx/$ref.expected.safetensors"
	[ -f "$exp" ] || {
		ko "$pt: no expected file $exp"
		continue
	}
	n=$((n + 1))
	out="$tmp/$b.safetensors"
	"$bin" convert "$pt" "$out" >"$tmp/log" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		ko "$pt: exit $rc: $(cat "$tmp/log")"
		continue
	fi
	if diff=$(python3 tests/cli/st_compare.py "$out" "$exp"); then ok; else ko "$pt: tensors differ: $diff"; fi
	# The reference writer's layout exactly (sort order, header, padding).
	if cmp -s "$out" "$exp"; then ok; else ko "$pt: not byte-identical to $exp"; fi
	# laocoon's own strict safetensors reader accepts the output.
	"$bin" scan --fail-on MEDIUM "$out" >/dev/null 2>&1 && ok || ko "$pt: laocoon scan rejects the output"
done
[ "$n" -ge 14 ] && ok || ko "only $n convert fixtures (run /usr/bin/python3 tests/gen/gen_convert.py)"

# ---- refusals -------------------------------------------------------------
refused() { # file, expected text in the message
	local f=$1 want=$2
	rm -f "$tmp/out.safetensors"
	"$bin" convert "$f" "$tmp/out.safetensors" >"$tmp/log" 2>&1
	rc=$?
	if [ "$rc" != 1 ]; then
		ko "$f: exit $rc, expected 1 (refused): $(head -3 "$tmp/log")"
	elif ! grep -q -- "$want" "$tmp/log"; then
		ko "$f: refused without '$want': $(head -3 "$tmp/log")"
	elif [ -e "$tmp/out.safetensors" ] || ls "$tmp"/out.safetensors.tmp* >/dev/null 2>&1; then
		ko "$f: refused but left an output file"
	else
		ok
	fi
}
refused "$fx/refuse_complex128.pt" "ComplexDoubleStorage"
refused "$fx/refuse_nested.pt" "nested checkpoint"
refused "$fx/refuse_non_tensor.pt" "entry \"step\""

# Hand-made state dicts (stdlib only): protocol-2 opcodes as torch writes them.
python3 - "$tmp" <<'EOF' || ko "could not build the hostile checkpoints"
import struct, sys, zipfile

def X(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b

def I(n):
    return b"J" + struct.pack("<i", n)

def L1(n):  # LONG1, as the pickler writes ints past 2^31
    b = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(b)]) + b

ENC = I

def tup(xs):
    return b"(" + b"".join(ENC(x) for x in xs) + b"t"

OD = b"ccollections\nOrderedDict\n)R"

def tensor(key, typ, numel, off, size, stride):
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + X("storage") + b"ctorch\n" + typ.encode() + b"\n"
            + X(key) + X("cpu") + ENC(numel) + b"tQ" + ENC(off) + tup(size) + tup(stride) + b"\x89" + OD + b"tR")

def sd(entries, extra=b""):
    body = b"".join(X(name) + t for name, t in entries)
    return b"\x80\x02" + OD + b"(" + body + extra + b"u."

def save(name, pkl, storages):
    with zipfile.ZipFile(f"{sys.argv[1]}/{name}.pt", "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        for k, v in storages.items():
            z.writestr(f"archive/data/{k}", v)
        z.writestr("archive/version", b"3\n")

ten = struct.pack("<10f", *range(10))
# The round trip of the hand-made layout itself must work ...
save("ok_handmade", sd([("w", tensor("0", "FloatStorage", 10, 2, [2, 3], [3, 1]))]), {"0": ten})
# The same with every int as LONG1 (how numel and offsets past 2^31 look).
ENC = L1
save("ok_long1", sd([("w", tensor("0", "FloatStorage", 10, 2, [2, 3], [3, 1]))]), {"0": ten})
save("long1_oob", sd([("w", tensor("0", "FloatStorage", 10, 2**40, [1], [1]))]), {"0": ten})
ENC = I
# ... and each of these must be refused.
save("oob_offset", sd([("w", tensor("0", "FloatStorage", 10, 8, [4], [1]))]), {"0": ten})
save("oob_stride", sd([("w", tensor("0", "FloatStorage", 10, 0, [3, 2], [5, 1]))]), {"0": ten})
save("huge_stride", sd([("w", tensor("0", "FloatStorage", 10, 0, [2], [2**30]))]), {"0": ten})
save("short_storage", sd([("w", tensor("0", "FloatStorage", 10, 0, [10], [1]))]), {"0": ten[:20]})
save("missing_storage", sd([("w", tensor("7", "FloatStorage", 10, 0, [10], [1]))]), {"0": ten})
save("qint_storage", sd([("w", tensor("0", "QInt8Storage", 10, 0, [10], [1]))]), {"0": ten[:10]})
save("reserved_name", sd([("__metadata__", tensor("0", "FloatStorage", 10, 0, [10], [1]))]), {"0": ten})
save("dims_mismatch", sd([("w", tensor("0", "FloatStorage", 10, 0, [2, 5], [1]))]), {"0": ten})
# A stride-0 view of one float claiming 2^31 x 2^31 elements (an expand bomb).
save("expand_bomb", sd([("w", tensor("0", "FloatStorage", 1, 0, [2**31 - 1, 2**31 - 1], [0, 0]))]), {"0": ten[:4]})
# torch.Size is allowlisted by the scan policy (no finding) but is no tensor rebuild.
size_call = X("shape") + b"ctorch\nSize\n" + tup([2, 5]) + b"\x85R"
save("foreign_call", sd([("w", tensor("0", "FloatStorage", 10, 0, [10], [1]))], size_call), {"0": ten})
EOF
for h in ok_handmade ok_long1; do
	if "$bin" convert "$tmp/$h.pt" "$tmp/$h.safetensors" >"$tmp/log" 2>&1; then
		# a 10-float storage viewed as [2,3] from offset 2: values 2..7
		got=$(python3 -c 'import sys,struct; d=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",d[:8])[0]; print(struct.unpack("<6f", d[8+n:]))' "$tmp/$h.safetensors")
		[ "$got" = "(2.0, 3.0, 4.0, 5.0, 6.0, 7.0)" ] && ok || ko "$h: values $got"
	else
		ko "$h: $(cat "$tmp/log")"
	fi
done
refused "$tmp/long1_oob.pt" "addresses element 1099511627776"
refused "$tmp/oob_offset.pt" "addresses element 11 of storage 0, which holds 10"
refused "$tmp/oob_stride.pt" "addresses element 11"
refused "$tmp/huge_stride.pt" "addresses element"
refused "$tmp/short_storage.pt" "holds 20 bytes"
refused "$tmp/missing_storage.pt" "has no zip member"
refused "$tmp/qint_storage.pt" "QInt8Storage"
refused "$tmp/reserved_name.pt" "__metadata__"
refused "$tmp/dims_mismatch.pt" "different lengths"
refused "$tmp/foreign_call.pt" "calls torch.Size"
refused "$tmp/expand_bomb.pt" "would write more than"
# Not a checkpoint at all.
printf '\x80\x02}q\x00.' >"$tmp/plain.pkl"
refused "$tmp/plain.pkl" "not a torch.save checkpoint"

# ---- usage ----------------------------------------------------------------
"$bin" convert >/dev/null 2>&1
[ $? = 64 ] && ok || ko "convert without arguments: expected exit 64"
"$bin" convert "$fx/mlp.pt" >/dev/null 2>&1
[ $? = 64 ] && ok || ko "convert with one argument: expected exit 64"
"$bin" convert "$tmp/nonexistent.pt" "$tmp/x.safetensors" >/dev/null 2>&1
[ $? = 2 ] && ok || ko "missing input: expected exit 2"

# ---- public corpus (read in place, never copied) ----------------------------
if [ -d "$corpus/pytorch" ]; then
	for f in \
		"$corpus/pytorch/protectai-modelscan/unsafe_zip_pytorch.pt" \
		"$corpus/pytorch/promptfoo-modelaudit/samples/pytorch/malicious_eval.pt" \
		"$corpus/pytorch/mmaitre314-picklescan/data/pytorch_magic_bypass.pt"; do
		[ -f "$f" ] && refused "$f" "MEDIUM or above"
	done
	refused "$corpus/pytorch/binaryninja-Malicious-Models/malicious_model_torchscript.pt" "not a torch.save"
	refused "$corpus/pytorch/mmaitre314-picklescan/data/bad_pytorch.pt" "could not fully analyse"
	npk=0
	for f in "$corpus"/pickle/mmaitre314-picklescan/data/malicious*.pkl; do
		[ -f "$f" ] || continue
		npk=$((npk + 1))
		[ "$npk" -le 8 ] || break
		"$bin" convert "$f" "$tmp/out.safetensors" >/dev/null 2>&1
		rc=$?
		[ "$rc" = 1 ] && ok || ko "$f: exit $rc, expected 1 (refused)"
	done
	# A real third-party legacy checkpoint converts and validates.
	f="$corpus/pytorch/mmaitre314-picklescan/data/pytorch_model.bin"
	if "$bin" convert "$f" "$tmp/real.safetensors" >"$tmp/log" 2>&1 &&
		"$bin" scan --fail-on MEDIUM "$tmp/real.safetensors" >/dev/null 2>&1; then
		ok
	else
		ko "$f: did not convert: $(cat "$tmp/log")"
	fi
else
	echo "note: $corpus not present; corpus refusals not run"
fi
finish
