#!/usr/bin/env bash
# Runs every test binary of a build directory and adds up their
# "N passed, N failed" lines into one closing line that CI reads.
# Usage: tests/run-tests.sh BUILD_DIR
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 2
total_pass=0
total_fail=0
broken=0
run() { # name, command...
	local name=$1
	shift
	local out rc line p f
	out=$("$@" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$line" ]; then
		printf '%s\n' "$out" | tail -n 20
		echo "$name: no result line (exit $rc)"
		broken=$((broken + 1))
		return
	fi
	p=$(printf '%s' "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		printf '%s\n' "$out" | grep -v ': [0-9]* passed, [0-9]* failed$' | tail -n 40
		[ "$f" = 0 ] && f=1
	fi
	echo "$line"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done
[ -x "$build/tests/golden_runner" ] && run golden "$build/tests/golden_runner" tests/golden
for r in "$build"/tests/fuzz_replay_*; do
	[ -x "$r" ] || continue
	name=${r##*/fuzz_replay_}
	# every target replays its own corpus and the scan corpus
	run "fuzz_replay_$name" "$r" "fuzz/corpus/$name" fuzz/corpus/scan
done
for s in tests/cli/*.sh; do
	[ -f "$s" ] || continue
	run "$(basename "$s" .sh)" bash "$s" "$build/laocoon"
done
total_fail=$((total_fail + broken))
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" = 0 ]
