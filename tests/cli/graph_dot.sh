#!/usr/bin/env bash
# End-to-end tests of `laocoon graph`: DOT that Graphviz parses, names from a
# hostile model escaped (tests/gen/gen_graph_names.py), the node bound, JSON,
# SVG through dot (and without it), exit codes.
# Usage: tests/cli/graph_dot.sh build/laocoon      (prints "graph_dot: N passed, N failed")
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fx=tests/fixtures
have_dot=0
command -v dot >/dev/null 2>&1 && have_dot=1
[ $have_dot = 1 ] || echo "graph_dot: Graphviz's dot not on PATH: rendering checks skipped" >&2

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
has() { ok "$1: '$2' not in output" grep -qF -- "$2" "$tmp/out"; }
err_has() { ok "$1: '$2' not on stderr" grep -qF -- "$2" "$tmp/err"; }
json() { # description, python expression over d
	ok "$1: $2" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$tmp/out"
}
renders() { # description: $tmp/out is DOT that dot turns into SVG without a word on stderr
	[ $have_dot = 1 ] || return 0
	dot -Tsvg "$tmp/out" >"$tmp/svg" 2>"$tmp/dot.err"
	local rc=$?
	ok "$1: dot -Tsvg exit $rc: $(head -c 300 "$tmp/dot.err")" test "$rc" = 0
	ok "$1: dot warned: $(head -c 300 "$tmp/dot.err")" test ! -s "$tmp/dot.err"
}
# python over the rendered SVG: n = {title: [texts]} of nodes, e = [edge titles]
svg() { # description, python expression
	[ $have_dot = 1 ] || return 0
	ok "$1: $2" python3 - "$tmp/svg" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
S = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
n, e = {}, []
for g in root.iter(S + "g"):
    t = g.find(S + "title")
    cls = (g.get("class") or "").split()
    if cls[:1] == ["node"]:
        n[t.text] = [x.text or "" for x in g.iter(S + "text")]
    elif cls[:1] == ["edge"]:
        e.append(t.text)
texts = [x for v in n.values() for x in v]
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}

# ---- whole graph ------------------------------------------------------------
rc_is "mlp" 0 "$bin" graph "$fx/onnx/mlp.onnx"
has "mlp" "digraph laocoon {"
has "mlp" 's0_n0 [label="MatMul\nfc1\n(+ w1)"'
has "mlp input shape" 'shape=invhouse'
has "mlp output shape" 'label="output: y"'
has "mlp edge by value" 's0_n0 -> s0_n1 [arrowsize=0.6, label="h0"]'
ok "mlp: initializers folded, not nodes" test "$(grep -c 'label="w1' "$tmp/out")" = 0
renders "mlp"
svg "mlp" "len(n) == 6 and len(e) == 5 and ['MatMul', 'fc1', '(+ w1)'] in n.values()"

rc_is "control flow" 0 "$bin" graph "$fx/onnx/control_flow.onnx"
has "control flow: If lists its branches" '{else_body, then_body}'
renders "control flow"
rc_is "nested subgraph by name" 0 "$bin" graph --subgraph inner_then "$fx/onnx/control_flow.onnx"
has "nested subgraph" "nested subgraph inner_then"
has "nested subgraph: outer value dashed" 'style="dashed", label="acc_in"'
renders "nested subgraph"
rc_is "subgraph by index" 0 "$bin" graph --subgraph 0 "$fx/onnx/control_flow.onnx"
has "subgraph by index" "main subgraph control_flow"
rc_is "unknown subgraph" 2 "$bin" graph --subgraph nosuch "$fx/onnx/control_flow.onnx"
err_has "unknown subgraph" "no subgraph 'nosuch'"

rc_is "SavedModel directory" 0 "$bin" graph "$fx/tf/benign_tf1"
has "SavedModel: placeholder is the input" 'label="Placeholder\nx", tooltip="Placeholder x", shape=invhouse'
has "SavedModel: output by node" 's0_n5 -> s0_o0'
renders "SavedModel"
for f in "$fx/tflite/control_flow.tflite" "$fx/keras/k3_functional.keras" "$fx/onnx/function.onnx"; do
	rc_is "$f" 0 "$bin" graph "$f"
	renders "$f"
done

# ---- hostile names -----------------------------------------------------------
h=$fx/graph/hostile_names.onnx
rc_is "hostile names" 0 "$bin" graph "$h"
ok "hostile: one DOT statement per line (no raw newline in a string)" \
	test "$(grep -cvE '^(digraph laocoon \{|  (graph|node|edge) \[.*\];|    s0_[ino][0-9]+ \[.*\];|  s0_[in][0-9]+ -> s0_[no][0-9]+ \[.*\];|\})$' "$tmp/out")" = 0
ok "hostile: labels cut (longest line under 1 kB)" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$tmp/out")" -lt 1000
has "hostile: quote" 's0_n0 [label="Identity\nquote\"name"'
has "hostile: backslashes doubled" 'back\\slash\\N\\G\\l\\"'
has "hostile: newline shown" 'new\\x0aline\\x0dcr\\x09tab'
has "hostile: entities neutralised" '&amp;amp; &amp;#0; &amp;lt;'
has "hostile: bidi shown" '\\u202eevil\\u200bzw'
has "hostile: not UTF-8" 'bad\\xff\\xfe\\xc3(\\xe2\\x82zz\\xf0\\x9f'
renders "hostile"
svg "hostile: exactly the model's nodes" "sorted(n) == sorted(['s0_i0', 's0_o0'] + ['s0_n%d' % i for i in range(10)]) and len(e) == 11"
svg "hostile: quote and brace name intact" "'}; evil [label=\"pwned\"]; {' in texts and 'quote\"name' in texts"
svg "hostile: backslashes literal" "'back\\\\slash\\\\N\\\\G\\\\l\\\\' in texts"
svg "hostile: entities literal" "'<b>html</b> &amp; &#0; &lt;' in texts"
svg "hostile: control and bidi characters visible" "'new\\\\x0aline\\\\x0dcr\\\\x09tab' in texts and '\\\\u202eevil\\\\u200bzw' in texts and not any(c in t for t in texts for c in '\\n\\r\\u202e\\u200b')"
svg "hostile: 100 kB name cut" "max(len(t) for t in texts) < 120 and 'A' * 13 + '...' + 'A' * 25 + '\"}' in texts"
svg "hostile: multi-byte cut on a character" "any(t.startswith('\\u00e9' * 6 + '...') for t in texts)"
svg "hostile: custom op and domain" "['evil\"dom\\\\::Op\\\\\"x\\\\x0a', 'custom'] in n.values()"
rc_is "hostile json" 0 "$bin" graph --format json "$h"
json "hostile json" "d['candidates'] == [] and d['format'] == 'onnx' and d['file'].endswith('hostile_names.onnx')"
rc_is "hostile highlight" 0 "$bin" graph --highlight "$h"
err_has "hostile highlight" "no suspicious subgraph"
renders "hostile highlight (empty graph)"
svg "empty highlight has no nodes" "len(n) == 0 and len(e) == 0"

# ---- bound ---------------------------------------------------------------------
rc_is "big graph" 0 "$bin" graph "$fx/graph/big_chain.onnx"
err_has "big graph" "2100 nodes: only the first 2000 drawn; use --highlight"
ok "big graph: 2000 operator nodes" test "$(grep -cE '^    s0_n[0-9]+ \[' "$tmp/out")" = 2000
has "big graph: says so" "100 more nodes not drawn"
renders "big graph"

# ---- JSON ------------------------------------------------------------------------
rc_is "json" 0 "$bin" graph -f json "$fx/onnx/mlp.onnx"
json "json shape" "set(d) == {'graph_version', 'file', 'format', 'complete', 'candidates'} and d['graph_version'] == 1 and d['complete'] is True and d['candidates'] == []"
if command -v jq >/dev/null 2>&1; then
	ok "json: jq parses it" sh -c 'jq -e ".candidates | length == 0" "$1" >/dev/null' sh "$tmp/out"
fi
rc_is "json -o" 0 "$bin" graph -f json -o "$tmp/g.json" "$fx/onnx/mlp.onnx"
ok "json -o: written to the file, nothing on stdout" test -s "$tmp/g.json" -a ! -s "$tmp/out"
ok "json -o: valid" python3 -m json.tool "$tmp/g.json" /dev/null

# ---- SVG -------------------------------------------------------------------------
if [ $have_dot = 1 ]; then
	rc_is "svg" 0 "$bin" graph -f svg "$fx/onnx/mlp.onnx"
	has "svg" "<svg"
	ok "svg parses as XML" python3 -c "import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])" "$tmp/out"
	rc_is "svg -o" 0 "$bin" graph -f svg -o "$tmp/g.svg" "$fx/graph/hostile_names.onnx"
	ok "svg -o parses as XML" python3 -c "import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])" "$tmp/g.svg"
fi
rc_is "svg without dot" 2 env PATH=/nonexistent "$bin" graph -f svg "$fx/onnx/mlp.onnx"
err_has "svg without dot" "install graphviz or use --format dot"
ok "svg without dot: nothing written" test ! -s "$tmp/out"
rc_is "svg without PATH" 2 env -u PATH "$bin" graph -f svg "$fx/onnx/mlp.onnx"
# a stand-in dot: the DOT reaches it on stdin and its output is ours
mkdir -p "$tmp/fakebin"
printf '#!/bin/sh\nexec /bin/cat\n' >"$tmp/fakebin/dot"
printf '#!/bin/sh\nexit 3\n' >"$tmp/fakebin/failing"
chmod +x "$tmp/fakebin/dot" "$tmp/fakebin/failing"
rc_is "svg through dot's stdin" 0 env PATH="$tmp/fakebin" "$bin" graph -f svg "$fx/onnx/mlp.onnx"
has "svg through dot's stdin" 'digraph laocoon {'
mkdir -p "$tmp/failbin"
cp "$tmp/fakebin/failing" "$tmp/failbin/dot"
rc_is "dot fails" 2 env PATH="$tmp/failbin" "$bin" graph -f svg -o "$tmp/fail.svg" "$fx/onnx/mlp.onnx"
err_has "dot fails" "dot failed (exit status 3)"
ok "dot fails: no output file left" test ! -e "$tmp/fail.svg"

# ---- exit codes ----------------------------------------------------------------------
rc_is "finding at HIGH in the file" 1 "$bin" graph "$fx/onnx/python_script.onnx"
err_has "finding at HIGH" "see laocoon scan"
renders "python_script"
rc_is "truncated model" 2 "$bin" graph "$fx/onnx/truncated.onnx"
err_has "truncated model" "not fully analysed"
rc_is "no graph" 2 "$bin" graph "$fx/safetensors/valid_small.safetensors"
err_has "no graph" "no model graph in"
rc_is "missing path" 2 "$bin" graph "$tmp/nosuch.onnx"
rc_is "usage: no path" 64 "$bin" graph
rc_is "usage: two paths" 64 "$bin" graph "$fx/onnx/mlp.onnx" "$fx/onnx/mlp.onnx"
rc_is "usage: bad format" 64 "$bin" graph --format png "$fx/onnx/mlp.onnx"
rc_is "usage: bad depth" 64 "$bin" graph --highlight --depth x "$fx/onnx/mlp.onnx"
rc_is "usage: --subgraph with --highlight" 64 "$bin" graph --highlight --subgraph main "$fx/onnx/mlp.onnx"
rc_is "usage: unknown option" 64 "$bin" graph --frobnicate "$fx/onnx/mlp.onnx"
rc_is "help" 0 "$bin" graph --help
has "help" "usage: laocoon graph"
rc_is "listed in laocoon --help" 0 "$bin" --help
has "listed in laocoon --help" "  graph "

echo "graph_dot: $pass passed, $fail failed"
[ "$fail" = 0 ]
