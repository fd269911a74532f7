#!/usr/bin/env bash
# Runs the public conformance corpus once over every family, prints every
# failure, and fails only on the families listed in .ci/conformance-families
# (those whose issue has landed).  Usage: tests/conformance.sh BIN CORPUS
set -uo pipefail
bin=${1:-build/laocoon}
corpus=${2:-../shared/corpus}
cd "$(dirname "$0")/.." || exit 2
out=$(python3 "$corpus/run-conformance" "$bin" --corpus "$corpus")
rc=$?
# The runner's own closing line counts every family, gated or not; it is
# reworded so that a reader of CI logs does not take it for the verdict.
printf '%s\n' "$out" | sed -E 's/^conformance: ([0-9]+) passed, ([0-9]+) failed$/all families (informational): \1 samples pass, \2 do not/'
[ $rc -le 1 ] || { echo "conformance: could not run (exit $rc)"; exit 2; }
mapfile -t families < <(grep -v '^\s*#' .ci/conformance-families | grep -v '^\s*$')
gated_fail=0
other_fail=0
while IFS= read -r line; do
	case $line in FAIL\ *) ;; *) continue ;; esac
	path=${line#FAIL }
	hit=0
	for f in "${families[@]}"; do
		case $path in "$f"*) hit=1 ;; esac
	done
	if [ $hit = 1 ]; then gated_fail=$((gated_fail + 1)); else other_fail=$((other_fail + 1)); fi
done <<<"$out"
total=$(python3 - "$corpus" "${families[@]}" <<'PY'
import json, sys
corpus, fams = sys.argv[1], sys.argv[2:]
n = 0
for line in open(corpus + "/labels.jsonl", encoding="utf-8"):
    line = line.strip()
    if line and any(json.loads(line)["path"].startswith(f) for f in fams):
        n += 1
print(n)
PY
)
echo "conformance: families not yet gated (${other_fail} failing) are reported above, not enforced"
echo "gated families: ${families[*]}"
echo "conformance: $((total - gated_fail)) passed, ${gated_fail} failed"
[ $gated_fail = 0 ]
