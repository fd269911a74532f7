#!/usr/bin/env bash
# make bench: builds the inputs once (bench/data/, about 2.1 GB, git-ignored),
# warms the page cache, and prints time and peak RSS of whole `laocoon scan`
# processes.  Targets (issue "The scanning engine..."): big.pkl < 30 ms and
# < 16 MB; bytes1g.pkl and ckpt1g.pt < 10 ms; members20k.pt < 50 ms.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
data=bench/data
"$build/bench/bench_gen" gen "$data"
bin="$build/laocoon"
runs=${BENCH_RUNS:-11}
# Warm the page cache: the targets are for a warm cache, like CI reruns.
cat "$data"/*.pkl "$data"/*.pt "$data"/*.safetensors "$data"/*.xz "$data"/*.zip > /dev/null
find "$data/dir1000" -type f -exec cat {} + > /dev/null
printf '%-28s %s\n' "input" "whole process (best of $runs; median; peak RSS)"
for input in big.pkl bytes1g.pkl ckpt1g.pt members20k.pt dir1000 st1g.safetensors bomb.zip; do
	printf '%-28s ' "$input ($(du -sh "$data/$input" | cut -f1))"
	"$build/bench/bench_gen" measure "$runs" -- "$bin" scan --format json "$data/$input"
done
# Decompression-bound: report the throughput over the compressed size.
input=joblib100m.xz
printf '%-28s ' "$input ($(du -sh "$data/$input" | cut -f1))"
line=$("$build/bench/bench_gen" measure 3 -- "$bin" scan --format json "$data/$input")
ms=$(printf '%s' "$line" | sed -E 's/.*median ([0-9.]+) ms.*/\1/')
bytes=$(stat -c %s "$data/$input")
printf '%s  (%s MB/s of compressed input)\n' "$line" "$(awk -v b="$bytes" -v ms="$ms" 'BEGIN { printf "%.1f", b / 1e6 / (ms / 1e3) }')"
echo "bomb.zip must exit 2 (an error naming max_ratio), never 0:"
"$bin" scan --format text "$data/bomb.zip" | head -n 3 || true

# Model signing (issue "Supply chain"): `laocoon sign key` hashes every file of
# a 4 GiB model (3 x 1 GiB + 2000 x 512 KiB) on a warm cache.  Its rate is
# compared with single-stream tools on the same files and with the machine's
# limit: OpenSSL's own SHA-256 speed on one core times the cores (target:
# >= 85 %), and `openssl speed -multi` measured on all cores at once.
s4=$data/sign4g
sbytes=$(find "$s4" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
cores=$(nproc)
stmp=$(mktemp -d)
openssl ecparam -name prime256v1 -genkey -noout -out "$stmp/key.pem" 2>/dev/null
openssl pkey -in "$stmp/key.pem" -pubout -out "$stmp/pub.pem" 2>/dev/null
find "$s4" -type f -print0 | xargs -0 cat >/dev/null
rate() { # ms -> GB/s over sbytes
	awk -v b="$sbytes" -v ms="$1" 'BEGIN { printf "%.2f", b / 1e9 / (ms / 1e3) }'
}
median() { printf '%s' "$1" | sed -E 's/.*median ([0-9.]+) ms.*/\1/'; }
echo
echo "model signing: sign4g/ ($(awk -v b="$sbytes" 'BEGIN { printf "%.2f GB", b / 1e9 }'), 2003 files, $cores cores, warm cache)"
line=$("$build/bench/bench_gen" measure 5 -- "$bin" sign key "$s4" --private-key "$stmp/key.pem" --signature "$stmp/model.sig")
sign_ms=$(median "$line")
printf '%-34s %s  %s GB/s\n' "laocoon sign key" "$line" "$(rate "$sign_ms")"
line=$("$build/bench/bench_gen" measure 5 -- "$bin" verify key "$s4" --signature "$stmp/model.sig" --public-key "$stmp/pub.pem")
printf '%-34s %s  %s GB/s\n' "laocoon verify key" "$line" "$(rate "$(median "$line")")"
line=$("$build/bench/bench_gen" measure 3 -- sh -c "find '$s4' -type f -print0 | xargs -0 sha256sum")
printf '%-34s %s  %s GB/s\n' "sha256sum (one stream)" "$line" "$(rate "$(median "$line")")"
line=$("$build/bench/bench_gen" measure 3 -- sh -c "find '$s4' -type f -print0 | xargs -0 openssl dgst -sha256")
printf '%-34s %s  %s GB/s\n' "openssl dgst -sha256 (one stream)" "$line" "$(rate "$(median "$line")")"
one=$(openssl speed -evp sha256 -bytes 16384 -seconds 2 2>/dev/null | awk '$1 == "sha256" { sub("k", "", $2); print $2 * 1000 }')
multi=$(openssl speed -multi "$cores" -evp sha256 -bytes 16384 -seconds 2 2>/dev/null | awk '$1 == "sha256" { sub("k", "", $2); print $2 * 1000 }' | tail -n 1)
awk -v one="$one" -v multi="$multi" -v c="$cores" -v b="$sbytes" -v ms="$sign_ms" 'BEGIN {
	got = b / (ms / 1e3)
	printf "openssl speed -evp sha256 (16 KiB): %.2f GB/s on one core; limit %d x %.2f = %.2f GB/s\n", one / 1e9, c, one / 1e9, c * one / 1e9
	printf "openssl speed -multi %d:             %.2f GB/s on all cores at once\n", c, multi / 1e9
	printf "laocoon sign: %.0f %% of cores x one-core speed (target >= 85 %%), %.0f %% of -multi\n", 100 * got / (c * one), 100 * got / multi
}'
rm -rf "$stmp"

# ONNX (issue "Graph formats"): a 1 GiB model with embedded weights must read
# in well under a second without touching the weights; a 200k-node graph in
# under 200 ms; the scan includes the backdoor analysis (issue "Architectural
# backdoors": under 500 ms for 200k nodes; onnx200k-gated gives it a selector,
# a comparison and a gate in every block).  `laocoon inspect` builds and prints
# the whole graph.
cat "$data/onnx1g.onnx" "$data/onnx200k.onnx" "$data/onnx200k-gated.onnx" > /dev/null
echo
for input in onnx1g.onnx onnx200k.onnx onnx200k-gated.onnx; do
	printf '%-28s ' "$input ($(du -sh "$data/$input" | cut -f1))"
	"$build/bench/bench_gen" measure "$runs" -- "$bin" scan --format json "$data/$input"
	printf '%-28s ' "  inspect"
	"$build/bench/bench_gen" measure "$runs" -- "$bin" inspect --format json "$data/$input"
done
