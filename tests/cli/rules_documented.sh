#!/usr/bin/env bash
# Every rule id that the sources emit must have a row in src/report/rules.c
# (its SARIF description and help): a rule a user cannot look up is a defect.
# Usage: tests/cli/rules_documented.sh [BIN]   (BIN unused; same call shape as the other CLI tests)
set -u
cd "$(dirname "$0")/../.." || exit 2
pass=0
fail=0
# Rule ids appear as the string right after a severity in lc_finding_add
# calls, and as the return values of rule-name helpers.
ids=$( (grep -rhoE 'LC_SEV_[A-Z]+, "[a-z0-9_-]+\.[a-z0-9._-]+"' src | sed -E 's/.*"(.*)"/\1/'
	grep -rhoE 'return "[a-z0-9_-]+\.[a-z0-9._-]+";' src/analyze src/formats | sed -E 's/return "(.*)";/\1/') | sort -u)
for id in $ids; do
	if grep -qF "{\"$id\"," src/report/rules.c; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "rule $id has no row in src/report/rules.c" >&2
	fi
done
echo "rules_documented: $pass passed, $fail failed"
[ "$fail" = 0 ]
