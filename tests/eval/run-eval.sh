#!/usr/bin/env bash
# Measures the architectural-backdoor detector on the evaluation set (make eval).
#
#   1. generates build/eval with tests/gen/gen_backdoor_eval.py (skipped when
#      labels.jsonl is newer than the generator);
#   2. if tests/gen/gen_backdoor_savedmodel.py exists, converts the set into
#      TensorFlow SavedModel twins (build/eval/labels-savedmodel.jsonl);
#   3. proves with onnxruntime what every ONNX model does
#      (tests/eval/prove_behaviour.mjs; log in build/eval/behaviour.log);
#   4. scans every model with `laocoon scan --format json` and prints the
#      highest severity per model, then per format
#      `eval: backdoored N/N detected (HIGH+), benign N/N below HIGH (FORMAT)`
#      with the misses and false positives.
#
# Exit status: 0 when everything ran (whatever the detection rate: this is a
# measurement), 1 when the behaviour proof failed (the labels would be
# wrong), 2 when a step could not run.
#
# Environment: EVAL_OUT (default build/eval), LAOCOON (default build/laocoon),
# PYTHON (default /usr/bin/python3: Debian's, with torch and onnx).
# SAVEDMODEL_GEN (default tests/gen/gen_backdoor_savedmodel.py).
set -u
cd "$(dirname "$0")/../.."

OUT=${EVAL_OUT:-build/eval}
LAOCOON=${LAOCOON:-build/laocoon}
PYTHON=${PYTHON:-/usr/bin/python3}
GEN=tests/gen/gen_backdoor_eval.py
SM_GEN=${SAVEDMODEL_GEN:-tests/gen/gen_backdoor_savedmodel.py}
status=0

die() { echo "run-eval: $*" >&2; exit 2; }
[ -x "$LAOCOON" ] || die "$LAOCOON not built (make)"

# newer_than STAMP FILE...: true when STAMP is missing or a FILE is newer.
stale() {
    local stamp=$1; shift
    [ -f "$stamp" ] || return 0
    [ -n "$(find "$@" -newer "$stamp" -print -quit 2>/dev/null)" ]
}

# 1. the ONNX set
if stale "$OUT/labels.jsonl" "$GEN" tests/gen/backdoor; then
    echo "run-eval: generating $OUT"
    rm -rf "$OUT/backdoored" "$OUT/benign" "$OUT/labels.jsonl"
    "$PYTHON" "$GEN" "$OUT" || die "generation failed"
else
    echo "run-eval: $OUT is up to date"
fi

# 2. SavedModel twins (written by another helper script, when present)
formats=onnx
if [ -f "$SM_GEN" ]; then
    if stale "$OUT/labels-savedmodel.jsonl" "$SM_GEN" "$OUT/labels.jsonl"; then
        echo "run-eval: converting to SavedModel ($SM_GEN)"
        rm -f "$OUT/labels-savedmodel.jsonl"
        "$PYTHON" "$SM_GEN" "$OUT"
        if [ $? -ne 0 ] || [ ! -f "$OUT/labels-savedmodel.jsonl" ]; then
            echo "run-eval: SavedModel conversion failed; measuring ONNX only" >&2
            status=2
        fi
    fi
    [ -f "$OUT/labels-savedmodel.jsonl" ] && formats="onnx savedmodel"
fi

# 3. behaviour proof (onnxruntime-node from tests/eval/node)
if [ ! -d tests/eval/node/node_modules/onnxruntime-node ]; then
    echo "run-eval: installing onnxruntime-node in tests/eval/node"
    (cd tests/eval/node && npm ci --ignore-scripts --no-audit --no-fund) || die "npm ci failed"
fi
node tests/eval/prove_behaviour.mjs "$OUT/labels.jsonl" > "$OUT/behaviour.log" 2>&1
proof=$?
grep -v -e '^ok ' -e '^behaviour:' "$OUT/behaviour.log"
if [ $proof -ne 0 ]; then
    echo "run-eval: behaviour proof FAILED (see $OUT/behaviour.log)" >&2
    status=1
fi

# 4. detection
node - "$LAOCOON" "$OUT" $formats <<'EOF' || status=2
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const [laocoon, out, ...formats] = process.argv.slice(2);
const RANK = { INFO: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
let broken = 0;
const summaries = [];
for (const fmt of formats) {
  const file = path.join(out, fmt === 'onnx' ? 'labels.jsonl' : `labels-${fmt}.jsonl`);
  const labels = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const bd = { n: 0, hit: 0, miss: [] }, bn = { n: 0, ok: 0, fp: [] };
  for (const lab of labels) {
    const p = path.join(out, lab.path);
    const r = spawnSync(laocoon, ['scan', '--format', 'json', p], { encoding: 'utf8', maxBuffer: 1 << 28 });
    let sev = null, rules = new Set(), note = '';
    if (r.status === null || r.status > 2) {
      note = ` [laocoon exit ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n')[0]}]`;
      broken++;
    } else {
      try {
        const j = JSON.parse(r.stdout);
        for (const f of j.files) {
          if (f.status !== 'scanned') note += ` [${f.status}: ${f.path}]`;
          for (const x of f.findings) {
            if (!sev || RANK[x.severity] > RANK[sev]) sev = x.severity;
            if (RANK[x.severity] >= RANK.HIGH) rules.add(x.rule);
          }
        }
      } catch (e) {
        note = ` [bad JSON: ${e.message}]`;
        broken++;
      }
    }
    const high = sev !== null && RANK[sev] >= RANK.HIGH;
    const tag = lab.expect === 'backdoor' ? (high ? 'detected' : 'MISSED') : (high ? 'FALSE-POSITIVE' : 'ok');
    console.log(`${(sev || '-').padEnd(8)} ${tag.padEnd(14)} ${fmt.padEnd(10)} ${lab.path}${rules.size ? '  ' + [...rules].join(',') : ''}${note}`);
    if (lab.expect === 'backdoor') {
      bd.n++;
      if (high) bd.hit++; else bd.miss.push(`${lab.path} (${lab.pattern}, max ${sev || 'none'})`);
    } else {
      bn.n++;
      if (!high) bn.ok++; else bn.fp.push(`${lab.path} (${lab.pattern}: ${sev} ${[...rules].join(',')})`);
    }
  }
  summaries.push({ fmt, bd, bn });
}
console.log('');
for (const { fmt, bd, bn } of summaries) {
  console.log(`eval: backdoored ${bd.hit}/${bd.n} detected (HIGH+), benign ${bn.ok}/${bn.n} below HIGH (${fmt})`);
  if (bd.miss.length) console.log(`  misses (${fmt}):\n` + bd.miss.map((m) => '    ' + m).join('\n'));
  if (bn.fp.length) console.log(`  false positives (${fmt}):\n` + bn.fp.map((m) => '    ' + m).join('\n'));
}
process.exit(broken ? 1 : 0);
EOF

grep '^behaviour:' "$OUT/behaviour.log" || echo "behaviour: proof did not run"
exit $status
