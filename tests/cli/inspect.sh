#!/usr/bin/env bash
# End-to-end tests of `laocoon inspect` on the ONNX fixtures (tests/gen/gen_onnx.py).
# Usage: tests/cli/inspect.sh build/laocoon      (prints "inspect: N passed, N failed")
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fx=tests/fixtures/onnx

ok() { # description, command...
	local what=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $what" >&2; fi
}
rc_is() { # description, expected rc, command...
	local what=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	ok "$what: exit $rc, expected $want" test "$rc" = "$want"
}
has() { ok "$1: '$2' not in output" grep -qF -- "$2" "$tmp/out"; }
json() { # description, python expression over d
	ok "$1: $2" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$tmp/out"
}

rc_is "text mlp" 0 "$bin" inspect "$fx/mlp.onnx"
has "text mlp" "producer    laocoon-gen 1"
has "text mlp" "x  float32[?,4]"
has "text mlp" "parameters  56 (224 B) in 3 initializers"
has "text mlp" "       2  MatMul"

rc_is "json mlp" 0 "$bin" inspect --format json "$fx/mlp.onnx"
json "json mlp" "d['inspect_version'] == 1 and d['exit_code'] == 0"
json "json mlp" "d['files'][0]['graph']['parameters'] == 56 and d['files'][0]['graph']['parameter_bytes'] == 224"
json "json mlp" "d['files'][0]['graph']['inputs'] == [{'name': 'x', 'dtype': 'float32', 'shape': [None, 4]}]"
json "json mlp" "d['files'][0]['graph']['ops'][0] == {'domain': '', 'op': 'MatMul', 'count': 2, 'custom': False}"

rc_is "json control flow" 0 "$bin" inspect -f json "$fx/control_flow.onnx"
json "nested subgraphs" "sorted(s['name'] for s in d['files'][0]['graph']['subgraphs'] if s['kind'] == 'nested') == ['else_body', 'inner_else', 'inner_then', 'loop_body', 'scan_body', 'then_body']"
json "parent links" "[(s['parent_op'], s['parent_node']) for s in d['files'][0]['graph']['subgraphs'] if s['name'] == 'inner_then'] == [('If', 'inner_if')]"
json "node count" "d['files'][0]['graph']['nodes'] == 11"

rc_is "json function" 0 "$bin" inspect -f json "$fx/function.onnx"
json "function listed, not custom" "any(s['kind'] == 'function' and s['name'] == 'Swish' and s['nodes'] == 2 for s in d['files'][0]['graph']['subgraphs']) and d['files'][0]['graph']['custom_ops'] == []"

rc_is "hostile custom op" 1 "$bin" inspect -f json "$fx/python_script.onnx"
json "custom op listed" "d['files'][0]['graph']['custom_ops'] == [{'domain': 'custom_domain', 'op': 'Transform', 'count': 1}]"
json "verdict" "d['files'][0]['verdict'] == 'malicious' and d['files'][0]['finding_rules'][0]['rule'] == 'onnx.custom-op.python'"

rc_is "truncated" 2 "$bin" inspect "$fx/truncated.onnx"
has "truncated" "INCOMPLETE"
rc_is "not a graph" 0 "$bin" inspect tests/fixtures/safetensors/valid_small.safetensors
has "not a graph" "(none: not a graph format)"
rc_is "usage" 64 "$bin" inspect
rc_is "bad format" 64 "$bin" inspect --format sarif "$fx/mlp.onnx"
rc_is "help" 0 "$bin" inspect --help
has "help" "usage: laocoon inspect"

echo "inspect: $pass passed, $fail failed"
[ "$fail" = 0 ]
