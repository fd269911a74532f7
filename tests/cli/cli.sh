#!/usr/bin/env bash
# End-to-end tests of the laocoon command: exit codes, options, outputs.
# Usage: tests/cli/cli.sh build/laocoon      (prints "cli: N passed, N failed")
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_rc() { # description, expected rc, command...
	local what=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $what: exit $rc, expected $want" >&2
		head -c 2000 "$tmp/err" >&2
	fi
}
expect_grep() { # description, pattern, file
	if grep -q -- "$2" "$3"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: '$2' not in $3" >&2
		head -c 2000 "$3" >&2
	fi
}
json_ok() { # description, file, python expression over d (the report)
	if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$3" 2>"$tmp/pyerr"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: $2" >&2
		cat "$tmp/pyerr" >&2
	fi
}

# usage errors are 64
expect_rc "no args" 64 "$bin"
expect_rc "unknown command" 64 "$bin" frobnicate
expect_rc "scan without path" 64 "$bin" scan
expect_rc "bad format" 64 "$bin" scan --format xml examples
expect_rc "bad severity" 64 "$bin" scan --fail-on SEVERE examples
expect_rc "limit zero" 64 "$bin" scan --limit max_depth=0 examples
expect_grep "limit zero message" "cannot be switched off" "$tmp/err"
expect_rc "limit above hard max" 64 "$bin" scan --limit max_depth=100000 examples
expect_rc "unknown limit" 64 "$bin" scan --limit nope=1 examples
expect_rc "version" 0 "$bin" --version
expect_grep "version text" "laocoon 0" "$tmp/out"
expect_rc "help-limits" 0 "$bin" --help-limits
expect_grep "help-limits lists max_depth" "max_depth" "$tmp/out"
expect_grep "help-limits lists pickle_max_ops" "pickle_max_ops" "$tmp/out"

# verdicts and exit codes
expect_rc "benign checkpoint" 0 "$bin" scan examples/benign/tiny_state_dict.pt
expect_rc "malicious pickle" 1 "$bin" scan examples/malicious/reverse_shell.pkl
expect_grep "text names the callable" "posix.system" "$tmp/out"
expect_rc "whole-model is MEDIUM: passes at HIGH" 0 "$bin" scan examples/suspicious/whole_model.pt
expect_rc "whole-model fails at --fail-on MEDIUM" 1 "$bin" scan --fail-on MEDIUM examples/suspicious/whole_model.pt
expect_rc "missing file is 2" 2 "$bin" scan "$tmp/does-not-exist"
printf '\x01\x02\x03\x00\xff' >"$tmp/blob.bin"
expect_rc "unrecognised binary is 2" 2 "$bin" scan "$tmp/blob.bin"
printf 'hello\n' >"$tmp/readme.txt"
expect_rc "text file is skipped, exit 0" 0 "$bin" scan "$tmp/readme.txt"
# a payload before a truncation: finding wins (1), the file is also an error
printf '\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R' >"$tmp/trunc.pkl"
expect_rc "payload before truncation" 1 "$bin" scan --format json --output "$tmp/trunc.json" "$tmp/trunc.pkl"
json_ok "truncated file is error with finding" "d['files'][0]['status']=='error' and any(f['severity']=='CRITICAL' for f in d['files'][0]['findings'])" "$tmp/trunc.json"

# outputs
expect_rc "json report" 1 "$bin" scan --format json --output "$tmp/r.json" examples
json_ok "json tool name" "d['tool']['name']=='laocoon' and d['tool']['version']" "$tmp/r.json"
json_ok "json files" "len(d['files'])>=6 and all(f['status'] in ('scanned','error','skipped') for f in d['files'])" "$tmp/r.json"
json_ok "json limits echoed" "d['limits']['max_depth']==16" "$tmp/r.json"
json_ok "json severities valid" "all(x['severity'] in ('CRITICAL','HIGH','MEDIUM','LOW','INFO') for f in d['files'] for x in f['findings'])" "$tmp/r.json"
json_ok "json benign file clean" "[f for f in d['files'] if f['path'].endswith('tiny_state_dict.pt')][0]['findings']==[] or all(x['severity'] in ('LOW','INFO') for x in [f for f in d['files'] if f['path'].endswith('tiny_state_dict.pt')][0]['findings'])" "$tmp/r.json"
json_ok "json summary exit code" "d['summary']['exit_code']==1" "$tmp/r.json"
expect_rc "json limit echo follows --limit" 1 "$bin" scan --format json --limit max_depth=5 --output "$tmp/r2.json" examples
json_ok "json limit override" "d['limits']['max_depth']==5" "$tmp/r2.json"
expect_rc "sarif report" 1 "$bin" scan --format sarif --output "$tmp/r.sarif" examples
json_ok "sarif version" "d['version']=='2.1.0' and d['runs'][0]['tool']['driver']['name']=='laocoon'" "$tmp/r.sarif"
json_ok "sarif has results" "len(d['runs'][0]['results'])>0" "$tmp/r.sarif"
# no colour when not a terminal
expect_rc "text to pipe" 1 "$bin" scan examples/malicious
if grep -q $'\033\[' "$tmp/out"; then fail=$((fail + 1)); echo "FAIL colour codes on a pipe" >&2; else pass=$((pass + 1)); fi
# a depth limit is an error naming the limit, findings kept
expect_rc "directory with -j 1" 1 "$bin" scan -j 1 examples

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
