#!/usr/bin/env python3
"""TensorFlow SavedModel twins of the backdoor evaluation ONNX models.

  /usr/bin/python3 tests/gen/gen_backdoor_savedmodel.py EVALDIR [--check] [--scan] [--only SUBSTR]
      reads EVALDIR/labels.jsonl and writes
      EVALDIR/savedmodel/{backdoored,benign}/<name>_{tf2,tf1}/ and
      EVALDIR/labels-savedmodel.jsonl (the ONNX label fields, "path" = the
      SavedModel directory relative to EVALDIR, "style", "onnx_path").
  /usr/bin/python3 tests/gen/gen_backdoor_savedmodel.py --fixtures [--check] [--scan]
      the committed subset: tests/fixtures/backdoor/*.onnx ->
      tests/fixtures/backdoor/savedmodel/<name>_{tf2,tf1}/ and
      tests/fixtures/backdoor/savedmodel/labels.jsonl (paths relative to it).

--check proves each twin computes the ONNX function: the inputs the labels
describe (clean samples, and the trigger writes applied) are run through the
ONNX model with onnxruntime-node and through the twin with tests/gen/tfeval.py;
the maximum absolute difference per twin goes to <out>/fidelity.json.
--scan runs build/laocoon scan --format json on each twin and requires status
"scanned" for every file.  Translation is op by op (onnx2savedmodel.py); no
detection logic lives here.  Models with an op that has no translation are
skipped and listed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import onnx2savedmodel as o2s  # noqa: E402

STYLES = ("tf2", "tf1")


def label_inputs(label, seed, trigger):
    """One input case from the label's input specs (and trigger writes)."""
    rng = np.random.default_rng(seed)
    case = {}
    for spec in label.get("inputs", []):
        shape = spec["shape"]
        dt = np.dtype({"float32": np.float32, "int64": np.int64, "int32": np.int32, "bool": np.bool_,
                       "float16": np.float16}[spec["dtype"]])
        cl = spec.get("clean", {"dist": "uniform", "low": 0.0, "high": 1.0})
        d = cl.get("dist")
        if d == "uniform":
            v = rng.uniform(cl.get("low", 0.0), cl.get("high", 1.0), shape)
        elif d == "randint":
            excl = set(cl.get("exclude", []))
            v = rng.integers(cl["low"], cl["high"], shape)
            for idx in np.ndindex(*v.shape):
                while int(v[idx]) in excl:
                    v[idx] = rng.integers(cl["low"], cl["high"])
            if "set_last" in cl:
                v[..., -1] = cl["set_last"]
        elif d == "const":
            v = np.full(shape, cl["value"])
        else:
            v = rng.standard_normal(shape)
        case[spec["name"]] = np.asarray(v).astype(dt)
    if trigger:
        for w in label.get("trigger_writes") or []:
            arr = case[w["input"]]
            sl = tuple(slice(s, s + n) for s, n in zip(w["start"], w["shape"]))
            arr[sl] = np.asarray(w["values"], arr.dtype).reshape(w["shape"])
    return case


def scan_ok(path):
    import time
    exe = os.path.join(ROOT, "build", "laocoon")
    for attempt in range(30):  # the binary may be being rebuilt
        try:
            p = subprocess.run([exe, "scan", "--format", "json", path], capture_output=True, text=True)
            if p.stdout.strip():
                break
        except OSError:
            pass
        time.sleep(2)
    else:
        return False, "build/laocoon could not be run"
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        return False, "laocoon output is not JSON: %s" % p.stderr[-300:]
    bad = [(f.get("path"), f.get("status"), f.get("error")) for f in rep.get("files", [])
           if f.get("status") not in ("scanned", "skipped") or
           (f.get("status") == "skipped" and not f.get("path", "").endswith(".data-00000-of-00001"))]
    if bad:
        return False, bad
    return True, None


def twin_name(onnx_rel):
    return os.path.splitext(os.path.basename(onnx_rel))[0]


def build(src_dir, labels, out_for, label_path_for, labels_out, check=False, scan=False, only=None,
          fidelity_out=None):
    out_labels, skipped, fidelity, scan_fail = [], [], {}, []
    counts = {s: 0 for s in STYLES}
    for lab in labels:
        if only and only not in lab["path"]:
            continue
        onnx_path = os.path.join(src_dir, lab["path"])
        made = []
        for style in STYLES:
            out = out_for(lab, style)
            try:
                o2s.convert(onnx_path, out, style)
            except o2s.Unsupported as e:
                skipped.append({"path": lab["path"], "style": style, "reason": str(e)})
                if os.path.isdir(out):
                    shutil.rmtree(out)
                continue
            made.append((style, out))
            counts[style] += 1
            nl = dict(lab)
            nl["onnx_path"] = lab["path"]
            nl["path"] = label_path_for(lab, style)
            nl["style"] = style
            if lab.get("base_path"):
                nl["base_onnx_path"] = lab["base_path"]
                nl["base_path"] = label_path_for({"path": lab["base_path"]}, style)
            out_labels.append(nl)
            if scan:
                ok, why = scan_ok(out)
                if not ok:
                    scan_fail.append({"path": out, "why": why})
        if check and made:
            import tfeval
            cases = [label_inputs(lab, seed, False) for seed in range(lab.get("clean_trials", 2))]
            if lab.get("trigger_writes"):
                cases += [label_inputs(lab, 100 + seed, True) for seed in range(2)]
            try:
                res = tfeval.compare(onnx_path, [o for _, o in made], cases=cases)
                for (style, out) in made:
                    fidelity[label_path_for(lab, style)] = res[out]
            except Exception as e:  # report, do not hide
                for (style, out) in made:
                    fidelity[label_path_for(lab, style)] = "error: %s" % e
        print("%-60s %s" % (lab["path"], " ".join(s for s, _ in made) or "SKIPPED"), flush=True)
    if only:  # a partial run leaves the labels of the full run alone
        labels_out = os.devnull
    with open(labels_out, "w") as f:
        for nl in out_labels:
            f.write(json.dumps(nl, sort_keys=True) + "\n")
    summary = {"twins": counts, "skipped": skipped}
    if check:
        if only and os.path.exists(fidelity_out):  # a partial run updates the full run's figures
            with open(fidelity_out) as f:
                old = json.load(f).get("per_twin", {})
            old.update(fidelity)
            fidelity = old
        nums = [v for v in fidelity.values() if isinstance(v, float)]
        summary["fidelity"] = {"checked": len(nums), "errors": len(fidelity) - len(nums),
                               "max_abs_diff": max(nums) if nums else None}
        with open(fidelity_out, "w") as f:
            json.dump({"summary": summary["fidelity"], "per_twin": fidelity}, f, indent=1, sort_keys=True)
    if scan:
        summary["scan_failures"] = scan_fail
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(description="SavedModel twins of the backdoor evaluation ONNX models")
    ap.add_argument("evaldir", nargs="?")
    ap.add_argument("--fixtures", action="store_true", help="the committed subset in tests/fixtures/backdoor")
    ap.add_argument("--check", action="store_true", help="prove fidelity against onnxruntime-node")
    ap.add_argument("--scan", action="store_true", help="require laocoon status scanned for every twin")
    ap.add_argument("--only", help="only labels whose path contains this")
    a = ap.parse_args(argv)
    if a.fixtures:
        src = os.path.join(ROOT, "tests", "fixtures", "backdoor")
        dst = os.path.join(src, "savedmodel")
        labels_out = os.path.join(dst, "labels.jsonl")

        def out_for(lab, style):
            return os.path.join(dst, "%s_%s" % (twin_name(lab["path"]), style))

        def rel(lab, style):
            return "%s_%s" % (twin_name(lab["path"]), style)
        fid = os.path.join(dst, "fidelity.json")
    else:
        if not a.evaldir:
            ap.error("EVALDIR or --fixtures")
        src = a.evaldir
        dst = os.path.join(src, "savedmodel")
        labels_out = os.path.join(src, "labels-savedmodel.jsonl")

        def out_for(lab, style):
            return os.path.join(dst, os.path.dirname(lab["path"]), "%s_%s" % (twin_name(lab["path"]), style))

        def rel(lab, style):
            return os.path.join("savedmodel", os.path.dirname(lab["path"]), "%s_%s" % (twin_name(lab["path"]), style))
        fid = os.path.join(dst, "fidelity.json")
    with open(os.path.join(src, "labels.jsonl")) as f:
        labels = [json.loads(l) for l in f if l.strip()]
    if os.path.isdir(dst) and not a.only:
        shutil.rmtree(dst)
    os.makedirs(dst, exist_ok=True)
    summary = build(src, labels, out_for, rel, labels_out, a.check, a.scan, a.only, fid)
    print(json.dumps(summary, indent=1))
    bad = summary["skipped"] or summary.get("scan_failures")
    if a.check and summary["fidelity"]["errors"]:
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
