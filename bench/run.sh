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
