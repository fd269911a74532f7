#!/usr/bin/env node
// Behaviour proof of the backdoor evaluation set, with onnxruntime.
//
//   node tests/eval/prove_behaviour.mjs LABELS.jsonl [--only SUBSTRING]
//
// For every model of LABELS.jsonl (written by tests/gen/gen_backdoor_eval.py):
//   backdoor: on `clean_trials` clean inputs its outputs equal its clean base's
//             (bit for bit, or within 1e-6 relative); on the same inputs with
//             the trigger written in, the attacker's output appears
//             (`expect_triggered`) and differs from what the base gives.
//   benign:   it runs; a graft with `same_as_base` gives the base's outputs,
//             one with `argmax_as_base` the base's decisions.
// One line per model, then `behaviour: N proven, N failed`; exit 1 on a failure.
// onnxruntime-node is installed in tests/eval/node/ (npm ci --ignore-scripts).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(new URL('./node/package.json', import.meta.url));
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
if (args.length < 1) {
  console.error('usage: prove_behaviour.mjs LABELS.jsonl [--only SUBSTRING]');
  process.exit(2);
}
const labelsPath = args[0];
const only = args.indexOf('--only') >= 0 ? args[args.indexOf('--only') + 1] : null;
const root = path.dirname(labelsPath);
const labels = fs.readFileSync(labelsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

// --- deterministic inputs ---------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const size = (dims) => dims.reduce((a, b) => a * b, 1);

function makeInput(spec, rand) {
  const n = size(spec.shape);
  const c = spec.clean;
  if (spec.dtype === 'float32') {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = c.dist === 'const' ? c.value : c.low + (c.high - c.low) * rand();
    return new ort.Tensor('float32', a, spec.shape);
  }
  if (spec.dtype === 'int64') {
    const a = new BigInt64Array(n);
    const excl = new Set(c.exclude || []);
    for (let i = 0; i < n; i++) {
      if (c.dist === 'const') { a[i] = BigInt(c.value); continue; }
      let v;
      do { v = c.low + Math.floor(rand() * (c.high - c.low)); } while (excl.has(v));
      a[i] = BigInt(v);
    }
    if (c.set_last !== undefined) a[n - 1] = BigInt(c.set_last);
    return new ort.Tensor('int64', a, spec.shape);
  }
  if (spec.dtype === 'bool') {
    return new ort.Tensor('bool', new Uint8Array(n).fill(c.value ? 1 : 0), spec.shape);
  }
  throw new Error('dtype ' + spec.dtype);
}

function cleanInputs(lab, trial) {
  const rand = mulberry32(0x5eed + 7919 * trial);
  const feeds = {};
  for (const spec of lab.inputs) feeds[spec.name] = makeInput(spec, rand);
  return feeds;
}

// Writes each trigger sub-tensor (start, shape, row-major values) into a copy.
function withTrigger(lab, feeds) {
  const out = { ...feeds };
  for (const w of lab.trigger_writes) {
    const t = out[w.input];
    const data = t.data.slice();
    const dims = t.dims;
    const strides = dims.map((_, i) => size(dims.slice(i + 1)));
    const idx = new Array(w.shape.length).fill(0);
    for (let k = 0; k < size(w.shape); k++) {
      let rem = k;
      for (let d = w.shape.length - 1; d >= 0; d--) { idx[d] = rem % w.shape[d]; rem = Math.floor(rem / w.shape[d]); }
      let off = 0;
      for (let d = 0; d < dims.length; d++) off += (w.start[d] + idx[d]) * strides[d];
      data[off] = t.type === 'int64' ? BigInt(w.values[k]) : w.values[k];
    }
    out[w.input] = new ort.Tensor(t.type, data, dims);
  }
  return out;
}

// --- running ----------------------------------------------------------------
const sessions = new Map();
async function session(rel) {
  if (!sessions.has(rel)) {
    sessions.set(rel, await ort.InferenceSession.create(path.join(root, rel),
      { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' }));
  }
  return sessions.get(rel);
}

async function run(rel, feeds) {
  const s = await session(rel);
  const f = {};
  for (const n of s.inputNames) {
    if (!(n in feeds)) throw new Error(`${rel}: no value for input ${n}`);
    f[n] = feeds[n];
  }
  return s.run(f);
}

const num = (x) => (typeof x === 'bigint' ? Number(x) : Number(x));

// max |a-b| / max(1,|b|) over all outputs; Infinity on a shape mismatch
function diff(a, b, names) {
  let worst = 0;
  for (const n of names) {
    const x = a[n], y = b[n];
    if (!x || !y || x.dims.join() !== y.dims.join()) return Infinity;
    for (let i = 0; i < x.data.length; i++) {
      const p = num(x.data[i]), q = num(y.data[i]);
      if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
      worst = Math.max(worst, Math.abs(p - q) / Math.max(1, Math.abs(q)));
      if (Number.isNaN(worst)) return Infinity;
    }
  }
  return worst;
}

function argmaxRows(t) {
  const n = t.dims[t.dims.length - 1];
  const rows = [];
  for (let r = 0; r < t.data.length / n; r++) {
    let best = 0;
    for (let j = 1; j < n; j++) if (t.data[r * n + j] > t.data[r * n + best]) best = j;
    rows.push(best);
  }
  return rows;
}

// Checks one expectation; returns null when it holds, else a reason.
function check(e, outs) {
  const t = outs[e.output];
  if (!t) return `no output ${e.output}`;
  const d = t.data;
  switch (e.kind) {
    case 'argmax': {
      const rows = argmaxRows(t);
      const bad = rows.filter((r) => r !== e.target);
      return bad.length ? `argmax ${bad.slice(0, 3)} != ${e.target} in ${bad.length}/${rows.length} rows` : null;
    }
    case 'values': {
      const n = t.dims[t.dims.length - 1];
      for (let i = 0; i < d.length; i++) {
        const want = e.set[String(i % n)] !== undefined ? e.set[String(i % n)] : e.fill;
        if (d[i] !== Math.fround(want)) return `value[${i}] = ${d[i]}, payload ${want}`;
      }
      return null;
    }
    case 'all_zero':
      if (!d.length) return 'no detections to check';
      for (let i = 0; i < d.length; i++) if (num(d[i]) !== 0) return `${e.output}[${i}] = ${d[i]}`;
      return null;
    case 'all_equal':
      for (let i = 0; i < d.length; i++) if (num(d[i]) !== e.value) return `${e.output}[${i}] = ${d[i]}`;
      return null;
    case 'empty':
      return d.length === 0 ? null : `${e.output} has ${t.dims[0]} rows`;
    case 'rows_equal': {
      if (e.nonempty && !d.length) return `${e.output} empty`;
      const n = e.row.length;
      for (let i = 0; i < d.length; i++) if (d[i] !== Math.fround(e.row[i % n])) return `${e.output}[${i}] = ${d[i]}`;
      return null;
    }
    default:
      return `unknown expectation ${e.kind}`;
  }
}

const describe = (e) => ({
  argmax: `argmax=${e.target}`, values: 'payload values', all_zero: `${e.output} all 0`,
  all_equal: `${e.output} all ${e.value}`, empty: `${e.output} empty`, rows_equal: `${e.output} rows=[${e.row}]`,
}[e.kind] || e.kind);

const TOL = 1e-6;

async function proveBackdoor(lab) {
  const notes = [];
  let worst = 0;
  for (let t = 0; t < lab.clean_trials; t++) {
    const feeds = cleanInputs(lab, t);
    const [a, b] = [await run(lab.path, feeds), await run(lab.base_path, feeds)];
    worst = Math.max(worst, diff(a, b, lab.outputs));
    const trig = withTrigger(lab, feeds);
    const [ta, tb] = [await run(lab.path, trig), await run(lab.base_path, trig)];
    for (const e of lab.expect_triggered) {
      const why = check(e, ta);
      if (why) return { ok: false, msg: `trial ${t}: triggered output not the attacker's: ${why}` };
    }
    if (diff(ta, tb, lab.outputs) === 0) return { ok: false, msg: `trial ${t}: triggered output equals the base's` };
  }
  if (worst > TOL) return { ok: false, msg: `clean outputs differ from base by ${worst.toExponential(2)}` };
  notes.push(`clean==base x${lab.clean_trials} (${worst === 0 ? 'bit-exact' : 'max rel diff ' + worst.toExponential(1)})`);
  notes.push('triggered: ' + lab.expect_triggered.map(describe).join(', '));
  return { ok: true, msg: notes.join('; ') };
}

async function proveBenign(lab) {
  let worst = 0, agree = 0, rows = 0;
  for (let t = 0; t < lab.clean_trials; t++) {
    const feeds = cleanInputs(lab, t);
    const a = await run(lab.path, feeds);
    for (const n of lab.outputs) if (!a[n]) return { ok: false, msg: `no output ${n}` };
    if (!lab.base_path) continue;
    const b = await run(lab.base_path, feeds);
    if (lab.same_as_base) worst = Math.max(worst, diff(a, b, lab.outputs));
    if (lab.argmax_as_base) {
      const x = argmaxRows(a[lab.output_name]), y = argmaxRows(b[lab.output_name]);
      rows += x.length;
      agree += x.filter((v, i) => v === y[i]).length;
    }
  }
  if (lab.same_as_base && worst > TOL) return { ok: false, msg: `differs from base by ${worst.toExponential(2)}` };
  if (lab.argmax_as_base && agree !== rows) return { ok: false, msg: `argmax differs from base in ${rows - agree}/${rows} rows` };
  const how = !lab.base_path ? 'base model' : lab.same_as_base ? `same as base (${worst === 0 ? 'bit-exact' : worst.toExponential(1)})`
    : lab.argmax_as_base ? 'same argmax as base' : 'valid, output intentionally differs from base';
  return { ok: true, msg: `runs x${lab.clean_trials}; ${how}` };
}

let proven = 0, failed = 0;
for (const lab of labels) {
  if (only && !lab.path.includes(only)) continue;
  let r;
  try {
    r = lab.expect === 'backdoor' ? await proveBackdoor(lab) : await proveBenign(lab);
  } catch (err) {
    r = { ok: false, msg: String(err.message || err).split('\n')[0] };
  }
  if (r.ok) proven++; else failed++;
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${lab.path}: ${r.msg}`);
  sessions.clear(); // models can be large: one or two sessions at a time
}
console.log(`behaviour: ${proven} proven, ${failed} failed`);
process.exit(failed ? 1 : 0);
