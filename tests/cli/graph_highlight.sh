#!/usr/bin/env bash
# End-to-end tests of `laocoon graph --highlight` and its JSON on the tiny
# backdoored and benign models of tests/fixtures/backdoor/ (labels in
# labels.jsonl): the selector and the trigger path drawn in red, the payload
# in orange, the model's branch in blue, paths that cross into If branches,
# the neighbourhood bound by --depth, exit codes.
# Usage: tests/cli/graph_highlight.sh build/laocoon   (prints "graph_highlight: N passed, N failed")
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bd=tests/fixtures/backdoor
have_dot=0
command -v dot >/dev/null 2>&1 && have_dot=1
[ $have_dot = 1 ] || echo "graph_highlight: Graphviz's dot not on PATH: rendering checks skipped" >&2

ok() { # description, command...
	local what=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $what" >&2; fi
}
rc_is() { # description, expected rc, command...  (stdout in $tmp/out, stderr in $tmp/err)
	local what=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	ok "$what: exit $rc, expected $want ($(head -c 300 "$tmp/err"))" test "$rc" = "$want"
}
err_has() { ok "$1: '$2' not on stderr" grep -qF -- "$2" "$tmp/err"; }
py() { # description, file, python expression over d (JSON) or the DOT text t
	ok "$1: $3" python3 - "$2" "$3" <<'PY'
import json, re, sys
t = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    d = json.loads(t)
except ValueError:
    d = None
# DOT: node id -> attribute text, merged over every statement naming it
nodes = {}
for m in re.finditer(r'^\s+(s\d+_[inovx]\d+) \[(.*)\];$', t, re.M):
    nodes[m.group(1)] = nodes.get(m.group(1), "") + " " + m.group(2)
def red(op):  # some node whose label starts with op is red and bold
    return any(a.strip().startswith('label="' + op + '\\n') and 'color="red"' in a and "bold" in a for a in nodes.values())
def colored(op, c):
    return any(a.strip().startswith('label="' + op + '\\n') and 'color="%s"' % c in a for a in nodes.values())
def cls(c):
    return sum(1 for a in nodes.values() if 'class="%s"' % c in a)
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
renders() { # description: $tmp/out renders; SVG in $tmp/svg
	[ $have_dot = 1 ] || return 0
	dot -Tsvg "$tmp/out" >"$tmp/svg" 2>"$tmp/dot.err"
	local rc=$?
	ok "$1: dot -Tsvg exit $rc: $(head -c 300 "$tmp/dot.err")" test "$rc" = 0 -a ! -s "$tmp/dot.err"
}
svg_red() { # description, op: the rendered node of op has a red outline
	[ $have_dot = 1 ] || return 0
	ok "$1: $2 drawn red in the SVG" python3 - "$tmp/svg" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
S = "{http://www.w3.org/2000/svg}"
for g in ET.parse(sys.argv[1]).getroot().iter(S + "g"):
    if (g.get("class") or "").split()[:1] != ["node"]:
        continue
    texts = [x.text for x in g.iter(S + "text")]
    if texts and texts[0] == sys.argv[2] and any(p.get("stroke") == "red" for p in g.iter(S + "path")):
        sys.exit(0)
sys.exit(1)
PY
}

for f in backdoored/p1-selector-eq-min_tinycnn.onnx backdoored/p5-if-head_tinycnn.onnx \
	backdoored/p7-token-where_tinytx.onnx benign/tinycnn.onnx benign/b-se-gate_tinycnn.onnx benign/tinytx.onnx \
	benign/tinydet.onnx; do
	ok "fixture $bd/$f present (tests/gen/gen_backdoor*)" test -f "$bd/$f"
done

# ---- a Where selector fed by a pixel-patch trigger ---------------------------------
p1=$bd/backdoored/p1-selector-eq-min_tinycnn.onnx
rc_is "p1 highlight" 1 "$bin" graph --highlight "$p1"
cp "$tmp/out" "$tmp/p1.dot"
py "p1: selector in red" "$tmp/p1.dot" "red('Where') and cls('selector') == 1"
py "p1: trigger path in red" "$tmp/p1.dot" "red('Slice') and red('Equal') and red('ReduceMin') and cls('trigger') >= 4"
py "p1: the input the trigger reads in red" "$tmp/p1.dot" "any('input: input' in a and 'color=\"red\"' in a for a in nodes.values())"
py "p1: model branch in blue" "$tmp/p1.dot" "colored('Gemm', 'blue')"
py "p1: payload in orange" "$tmp/p1.dot" "any('color=\"orange\"' in a and 'class=\"payload\"' in a for a in nodes.values())"
py "p1: neighbourhood grey" "$tmp/p1.dot" "cls('near') >= 1"
py "p1: the compared constant noted on its node" "$tmp/p1.dot" "any(a.strip().startswith('label=\"Equal') and '[#1 trigger] [' in a for a in nodes.values())"
py "p1: legend with rule and severity" "$tmp/p1.dot" "'#1 backdoor.select-override  CRITICAL  score' in t and 'legend_trigger' in t"
py "p1: red edges along the trigger path" "$tmp/p1.dot" "len(re.findall(r'-> s0_n\d+ \[arrowsize=0.6, color=\"red\"', t)) >= 4"
renders "p1"
svg_red "p1" "Where"
svg_red "p1" "Equal"
svg_red "p1" "Slice"

rc_is "p1 json" 1 "$bin" graph --format json "$p1"
py "p1 json: one candidate at HIGH or above" "$tmp/out" "len(d['candidates']) == 1 and d['candidates'][0]['severity'] in ('HIGH', 'CRITICAL') and d['candidates'][0]['rule'].startswith('backdoor.')"
py "p1 json: reads input 'input', overrides 'logits'" "$tmp/out" "d['candidates'][0]['input'] == 'input' and d['candidates'][0]['output'] == 'logits'"
py "p1 json: path names the input" "$tmp/out" "any(s['role'] == 'input' and s['value'] == 'input' for s in d['candidates'][0]['path'])"
py "p1 json: path names the selector" "$tmp/out" "any(s['role'] == 'selector' and s['op'] == 'Where' and s['node'] for s in d['candidates'][0]['path'])"
py "p1 json: trigger, payload and model steps" "$tmp/out" "{'trigger', 'payload', 'model'} <= {s['role'] for s in d['candidates'][0]['path']}"
py "p1 json: fields" "$tmp/out" "all(set(s) == {'subgraph', 'node', 'op', 'value', 'role', 'note'} for s in d['candidates'][0]['path']) and isinstance(d['candidates'][0]['signals'], list) and d['candidates'][0]['signals'] and isinstance(d['candidates'][0]['score'], int)"

rc_is "p1 depth 0" 1 "$bin" graph --highlight --depth 0 "$p1"
py "p1 depth 0: no neighbourhood" "$tmp/out" "cls('near') == 0 and red('Where')"
rc_is "p1 depth 3" 1 "$bin" graph --highlight --depth 3 "$p1"
py "p1 depth 3: wider neighbourhood" "$tmp/out" "cls('near') > $(grep -c 'class="near"' "$tmp/p1.dot")"
if [ $have_dot = 1 ]; then
	rc_is "p1 svg" 1 "$bin" graph --highlight -f svg -o "$tmp/p1.svg" "$p1"
	ok "p1 svg: XML" python3 -c "import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])" "$tmp/p1.svg"
fi

# ---- an If whose branch holds the payload (the path crosses subgraphs) --------------
p5=$bd/backdoored/p5-if-head_tinycnn.onnx
rc_is "p5 highlight" 1 "$bin" graph --highlight "$p5"
py "p5: If selector red" "$tmp/out" "red('If') and red('Equal')"
py "p5: branches drawn as clusters" "$tmp/out" "'subgraph cluster_s' in t and 'nested then_branch (in If' in t"
py "p5: payload inside a branch" "$tmp/out" "any(not k.startswith('s0_') and 'class=\"payload\"' in a for k, a in nodes.items())"
renders "p5"
rc_is "p5 json" 1 "$bin" graph -f json "$p5"
py "p5 json: selector If, payload in a branch" "$tmp/out" "any(s['role'] == 'selector' and s['op'] == 'If' for s in d['candidates'][0]['path']) and any(s['role'] == 'payload' and s['subgraph'] != d['candidates'][0]['path'][0]['subgraph'] for s in d['candidates'][0]['path'])"

# ---- token trigger in a transformer ----------------------------------------------------
p7=$bd/backdoored/p7-token-where_tinytx.onnx
rc_is "p7 highlight" 1 "$bin" graph --highlight "$p7"
py "p7: token compare and selector red" "$tmp/out" "red('Equal') and red('Where')"
renders "p7"

# ---- benign models ------------------------------------------------------------------------
for f in "$bd/benign/tinycnn.onnx" "$bd/benign/b-se-gate_tinycnn.onnx" "$bd/benign/tinytx.onnx"; do
	rc_is "benign $f" 0 "$bin" graph --highlight "$f"
	err_has "benign $f" "no suspicious subgraph"
	py "benign $f: empty graph" "$tmp/out" "t.startswith('digraph laocoon {') and not nodes"
	renders "benign $f"
	rc_is "benign json $f" 0 "$bin" graph -f json "$f"
	py "benign json $f" "$tmp/out" "d['candidates'] == [] and d['complete'] is True"
done

# ---- --all: candidates below HIGH listed and drawn too; the exit status
# counts only those at HIGH and above ---------------------------------------------------------
low=$bd/benign/tinydet.onnx
rc_is "json without --all" 0 "$bin" graph -f json "$low"
cp "$tmp/out" "$tmp/low.json"
"$bin" graph -f json --all "$low" >"$tmp/out" 2>"$tmp/err"
rc=$?
py "--all lists a superset" "$tmp/out" "len(d['candidates']) >= len(json.load(open('$tmp/low.json'))['candidates'])"
py "--all: exit $rc matches the severities" "$tmp/out" "($rc == 1) == any(c['severity'] in ('HIGH', 'CRITICAL') for c in d['candidates'])"
rc_is "--all highlight" "$rc" "$bin" graph --highlight --all "$low"
renders "--all highlight"

echo "graph_highlight: $pass passed, $fail failed"
[ "$fail" = 0 ]
