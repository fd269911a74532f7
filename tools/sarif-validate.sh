#!/usr/bin/env bash
# Validates SARIF logs with Microsoft's SARIF multitool and with
# tools/sarif_check.py (JSON Schema + cross-references the multitool skips).
#
#   tools/sarif-validate.sh LOG.sarif...
#
# Prints one line per problem ("LOG: error: ...") and, per log, "ok LOG" or
# "FAIL LOG".  Exit status: 0 all valid, 1 some log invalid, 3 the validator
# is not installed (run tools/install-deps.sh).
#
# Only error-level multitool results fail a log: its warnings and notes are
# style advice (rule id format, snippets, help URIs ...).  The multitool exits
# 0 even when it reports errors, so its output log is read instead of its
# exit status.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pkg="$here/node/node_modules/@microsoft/sarif-multitool-linux"
tool="$pkg/Sarif.Multitool"
schema="$pkg/sarif-2.1.0.json"

if [ ! -f "$tool" ] || [ ! -f "$schema" ]; then
	echo "sarif-validate: SARIF multitool not installed ($tool); run tools/install-deps.sh" >&2
	exit 3
fi
# npm install --ignore-scripts skips the package's postinstall chmod.
[ -x "$tool" ] || chmod u+x "$tool" 2>/dev/null
# The first python3 that has jsonschema: PATH's, else Debian's (python3-jsonschema).
py=""
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import jsonschema' 2>/dev/null; then
		py=$cand
		break
	fi
done
if [ -z "$py" ]; then
	echo "sarif-validate: python3 module jsonschema missing; run tools/install-deps.sh" >&2
	exit 3
fi
[ $# -gt 0 ] || {
	echo "usage: $0 LOG.sarif..." >&2
	exit 2
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# .NET without ICU: the multitool needs invariant globalization on minimal
# systems; no telemetry, no first-run banner.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

declare -A bad=()
# One multitool run for all logs (it takes a second to start), then its
# error-level results are attributed to the log named in their location.
if ! "$tool" validate --output "$tmp/mt.sarif" "$@" >"$tmp/mt.out" 2>&1 ||
	[ ! -s "$tmp/mt.sarif" ]; then
	cat "$tmp/mt.out" >&2
	echo "sarif-validate: the multitool failed to run" >&2
	exit 1
fi
while IFS=$'\t' read -r file msg; do
	[ -n "$file" ] || continue
	echo "$file: error: multitool: $msg"
	bad["$file"]=1
done < <("$py" - "$tmp/mt.sarif" "$@" <<'EOF'
import json, os, sys, urllib.parse
log = json.load(open(sys.argv[1]))
inputs = {os.path.realpath(p): p for p in sys.argv[2:]}
for run in log.get("runs", []):
    for res in run.get("results", []):
        # A result without "level" is a warning (SARIF default).
        if res.get("level", "warning") != "error":
            continue
        uri = ""
        for loc in res.get("locations", []):
            uri = loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")
        path = urllib.parse.unquote(urllib.parse.urlparse(uri).path) if uri else ""
        name = inputs.get(os.path.realpath(path), path or "?")
        msg = res.get("message", {})
        text = msg.get("text") or (msg.get("id", "") + " " + " ".join(map(str, msg.get("arguments", []))))
        print(f"{name}\t{res.get('ruleId')}: {text}".replace("\n", " "))
EOF
)
"$py" "$here/sarif_check.py" "$schema" "$@" >"$tmp/check.out" 2>&1
rc=$?
if [ $rc -ge 2 ]; then
	cat "$tmp/check.out" >&2
	exit 3
fi
while IFS= read -r line; do
	echo "$line"
	bad["${line%%: error: *}"]=1
done <"$tmp/check.out"

status=0
declare -A given=()
for f in "$@"; do given["$f"]=1; done
for f in "${!bad[@]}"; do
	# An error the multitool could not tie to one log fails the whole run.
	if [ -z "${given[$f]+x}" ]; then
		echo "FAIL (error not attributed to a log: $f)"
		status=1
	fi
done
for f in "$@"; do
	if [ -n "${bad[$f]+x}" ]; then
		echo "FAIL $f"
		status=1
	else
		echo "ok $f"
	fi
done
exit $status
