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
cat "$data"/*.pkl "$data"/*.pt > /dev/null
find "$data/dir1000" -type f -exec cat {} + > /dev/null
printf '%-28s %s\n' "input" "whole process (best of $runs; median; peak RSS)"
for input in big.pkl bytes1g.pkl ckpt1g.pt members20k.pt dir1000; do
	printf '%-28s ' "$input ($(du -sh "$data/$input" | cut -f1))"
	"$build/bench/bench_gen" measure "$runs" -- "$bin" scan --format json "$data/$input"
done
