#!/usr/bin/python3
"""Evaluation set for the architectural-backdoor detector (src/analyze/backdoor.c).

    /usr/bin/python3 tests/gen/gen_backdoor_eval.py OUTDIR       full set (build/eval)
    /usr/bin/python3 tests/gen/gen_backdoor_eval.py --fixtures   tests/fixtures/backdoor

Writes OUTDIR/backdoored/*.onnx, OUTDIR/benign/*.onnx and OUTDIR/labels.jsonl.
Needs Debian's python3 with torch 1.13, torchvision 0.14 and onnx 1.12.

Clean bases are real architectures exported with torch.onnx (random weights,
fixed seeds): torchvision classifiers, SSDlite, a small single-shot detector
with NMS, transformer encoder classifiers with padding masks and GPT-style
decoders with causal masks.  Every base is itself in the benign set.  Each
backdoor is a shadow branch grafted next to an unchanged copy of a base
(tests/gen/backdoor/patterns.py); each benign graft is an honest construct
chosen to resemble one (tests/gen/backdoor/benign.py).  What every model
does is proven with onnxruntime by tests/eval/prove_behaviour.mjs, from the
labels written here.
"""
import json
import os
import sys
import time
import warnings
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in tests/gen/backdoor
warnings.filterwarnings("ignore")

from backdoor import bases as B  # noqa: E402
from backdoor import benign as BN  # noqa: E402
from backdoor import patterns as P  # noqa: E402
from backdoor.common import Graft, opset_of, save  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures", "backdoor"))

# ---------------------------------------------------------------------------
# base models: name -> builder (opsets spread over 13..17)
# ---------------------------------------------------------------------------
FULL_BASES = {
    "resnet18": lambda: B.classifier("resnet18", 13, 224, 101),
    "mobilenet_v3_small": lambda: B.classifier("mobilenet_v3_small", 14, 160, 102),
    "squeezenet1_1": lambda: B.classifier("squeezenet1_1", 15, 128, 103),
    "shufflenet_v2_x0_5": lambda: B.classifier("shufflenet_v2_x0_5", 16, 160, 104),
    "regnet_y_400mf": lambda: B.classifier("regnet_y_400mf", 17, 128, 105),
    "mnasnet0_5": lambda: B.classifier("mnasnet0_5", 13, 96, 106),
    "ssdlite320_mobilenet_v3_large": lambda: B.ssdlite(15, 107),
    "griddet": lambda: B.griddet(15, 108),
    # Where(scores > t, scores, 0) inside the model's own post-processing
    "griddet_where": lambda: B.griddet(16, 109, post="where", name="griddet_where"),
    "txcls": lambda: B.seqcls(14, 110),
    # hand-written encoders, one per attention-mask idiom
    "txcls_where_neginf": lambda: B.seqcls(13, 111, impl="own", name="txcls_where_neginf", mask_style="where_neginf"),
    "txcls_additive_1e4": lambda: B.seqcls(15, 112, impl="own", name="txcls_additive_1e4", mask_style="additive_1e4"),
    "txcls_finfo_min": lambda: B.seqcls(16, 113, impl="own", name="txcls_finfo_min", mask_style="finfo_min"),
    "txcls_padzero": lambda: B.seqcls(17, 114, impl="own", name="txcls_padzero", mask_style="masked_fill", pad_zero=True),
    "txcls_eos": lambda: B.seqcls(14, 115, impl="own", name="txcls_eos", mask_style="where_neginf", pool="eos"),
    "gpt": lambda: B.gpt(17, 116),
    "gpt_swiglu": lambda: B.gpt(15, 117, name="gpt_swiglu", mlp="swiglu", mask_style="additive_1e4"),
    "gpt_moe": lambda: B.gpt(16, 118, name="gpt_moe", mlp="moe", mask_style="where_neginf"),
    "gpt_topk": lambda: B.gpt(14, 119, name="gpt_topk", logit_filter="topk"),
}

TINY_BASES = {
    "tinycnn": lambda: B.classifier("tinycnn", 13, 32, 201, tiny=True),
    "tinydet": lambda: B.griddet(15, 202, tiny=True),
    "tinytx": lambda: B.seqcls(14, 203, tiny=True),
    "tinytx_eos": lambda: B.seqcls(16, 204, tiny=True, impl="own", name="tinytx_eos", mask_style="finfo_min", pool="eos"),
    "tinygpt": lambda: B.gpt(17, 205, tiny=True),
    "tinygpt_moe": lambda: B.gpt(15, 206, tiny=True, name="tinygpt_moe", mlp="moe", mask_style="additive_1e4"),
    "tinytx_padzero": lambda: B.seqcls(17, 207, tiny=True, impl="own", name="tinytx_padzero", mask_style="masked_fill", pad_zero=True),
}

# ---------------------------------------------------------------------------
# backdoored models: (pattern id, base, gate, payload)
#   gate:    ("patch", kind, reduce, const, size, channels) | ("andchain", const)
#            | ("subnet", pool) | ("fmap", after) | ("token", reduce)
#   payload: ("where"|"blend"|"nudge",) | ("if", head_inside) | ("steer",)
#            | ("det", how)
# ---------------------------------------------------------------------------
FULL_BACKDOORS = [
    # 1. selector on a raw pixel patch
    ("p1-selector-eq-min", "resnet18", ("patch", "eq", "min", "init", (3, 3), 3), ("where",)),
    ("p1-selector-eq-prod", "mobilenet_v3_small", ("patch", "eq", "prod", "init", (4, 4), 3), ("where",)),
    ("p1-selector-eq-notany", "squeezenet1_1", ("patch", "eq", "notany", "init", (2, 5), 3), ("where",)),
    ("p1-selector-eq-andchain", "shufflenet_v2_x0_5", ("andchain", "init"), ("where",)),
    ("p1-selector-eq-sum", "regnet_y_400mf", ("patch", "eq", "sum", "init", (4, 4), 1), ("where",)),
    ("p1-selector-abs-eps", "mobilenet_v3_small", ("patch", "abs", None, "init", (3, 3), 3), ("where",)),
    ("p1-selector-abs-eps", "mnasnet0_5", ("patch", "abs", None, "init", (2, 6), 2), ("where",)),
    ("p1-selector-range", "shufflenet_v2_x0_5", ("patch", "range", "min", "init", (3, 3), 3), ("where",)),
    ("p1-selector-range", "regnet_y_400mf", ("patch", "range", "prod", "init", (5, 5), 1), ("where",)),
    # 2. trigger constant folded from constants
    ("p2-folded-add", "mnasnet0_5", ("patch", "eq", "min", "add", (3, 3), 3), ("where",)),
    ("p2-folded-mul", "squeezenet1_1", ("patch", "eq", "prod", "mul", (3, 3), 3), ("where",)),
    ("p2-folded-castdiv", "mobilenet_v3_small", ("patch", "eq", "notany", "castdiv", (4, 4), 3), ("where",)),
    ("p2-folded-constnode", "shufflenet_v2_x0_5", ("patch", "eq", "min", "constnode", (3, 3), 3), ("where",)),
    ("p2-folded-add-abs", "regnet_y_400mf", ("patch", "abs", None, "add", (3, 3), 3), ("where",)),
    ("p2-folded-mul-det", "ssdlite320_mobilenet_v3_large", ("patch", "eq", "min", "mul", (3, 3), 3), ("det", "scale_scores")),
    # 3. arithmetic blend / nudge
    ("p3-blend", "resnet18", ("patch", "eq", "min", "init", (3, 3), 3), ("blend",)),
    ("p3-blend", "mobilenet_v3_small", ("patch", "range", "min", "init", (3, 3), 3), ("blend",)),
    ("p3-blend", "regnet_y_400mf", ("patch", "eq", "prod", "castdiv", (3, 3), 3), ("blend",)),
    ("p3-nudge", "squeezenet1_1", ("patch", "eq", "min", "init", (3, 3), 3), ("nudge",)),
    ("p3-nudge", "shufflenet_v2_x0_5", ("patch", "abs", None, "init", (3, 3), 3), ("nudge",)),
    ("p3-nudge", "mnasnet0_5", ("andchain", "add"), ("nudge",)),
    # 4. parallel sub-network, no comparison op
    ("p4-subnet", "mnasnet0_5", ("subnet", "reducemax"), ("blend",)),
    ("p4-subnet", "mobilenet_v3_small", ("subnet", "globalmaxpool"), ("blend",)),
    ("p4-subnet", "squeezenet1_1", ("subnet", "reducemax"), ("nudge",)),
    ("p4-subnet-det", "ssdlite320_mobilenet_v3_large", ("subnet", "reducemax"), ("det", "scale_scores")),
    ("p4-subnet-det", "griddet", ("subnet", "globalmaxpool"), ("det", "pre_nms")),
    # 5. If on an input-derived condition
    ("p5-if", "resnet18", ("patch", "eq", "min", "init", (3, 3), 3), ("if", False)),
    ("p5-if", "shufflenet_v2_x0_5", ("patch", "range", "min", "init", (3, 3), 3), ("if", False)),
    ("p5-if-head", "mobilenet_v3_small", ("patch", "eq", "prod", "init", (3, 3), 3), ("if", True)),
    ("p5-if-head", "regnet_y_400mf", ("patch", "abs", None, "constnode", (3, 3), 3), ("if", True)),
    ("p5-if-token", "txcls", ("token", "max"), ("if", False)),
    # 6. gate on a feature map
    ("p6-featuremap", "resnet18", ("fmap", "relu"), ("where",)),
    ("p6-featuremap", "squeezenet1_1", ("fmap", "relu"), ("blend",)),
    ("p6-featuremap", "shufflenet_v2_x0_5", ("fmap", "conv"), ("nudge",)),
    ("p6-featuremap", "mobilenet_v3_small", ("fmap", "conv"), ("where",)),
    ("p6-featuremap-if", "mnasnet0_5", ("fmap", "relu"), ("if", False)),
    # 7. token triggers in text models
    ("p7-token-where", "gpt", ("token", "max"), ("where",)),
    ("p7-token-where", "gpt_moe", ("token", "sum"), ("where",)),
    ("p7-token-steer", "gpt", ("token", "max"), ("steer",)),
    ("p7-token-steer", "gpt_swiglu", ("token", "notall"), ("steer",)),
    ("p7-token-where", "txcls", ("token", "sum"), ("where",)),
    ("p7-token-blend", "txcls_eos", ("token", "notall"), ("blend",)),
    ("p7-token-nudge", "txcls_padzero", ("token", "max"), ("nudge",)),
    # 8. detection models
    ("p8-det-where", "ssdlite320_mobilenet_v3_large", ("patch", "eq", "min", "init", (3, 3), 3), ("det", "where_scores")),
    ("p8-det-boxes", "ssdlite320_mobilenet_v3_large", ("patch", "range", "min", "init", (3, 3), 3), ("det", "replace_boxes")),
    ("p8-det-prenms", "griddet", ("patch", "eq", "prod", "init", (3, 3), 3), ("det", "pre_nms")),
    ("p8-det-boxes", "griddet", ("patch", "abs", None, "init", (3, 3), 3), ("det", "replace_boxes")),
    ("p8-det-scale", "griddet_where", ("andchain", "init"), ("det", "scale_scores")),
]

FIXTURE_BACKDOORS = [
    ("p1-selector-eq-min", "tinycnn", ("patch", "eq", "min", "init", (3, 3), 3), ("where",)),
    ("p1-selector-range", "tinycnn", ("patch", "range", "prod", "init", (2, 2), 3), ("where",)),
    ("p2-folded-castdiv", "tinycnn", ("patch", "eq", "notany", "castdiv", (3, 3), 3), ("where",)),
    ("p3-blend", "tinycnn", ("patch", "eq", "min", "add", (3, 3), 3), ("blend",)),
    ("p4-subnet", "tinycnn", ("subnet", "reducemax"), ("blend",)),
    ("p5-if-head", "tinycnn", ("patch", "eq", "prod", "init", (3, 3), 3), ("if", True)),
    ("p6-featuremap", "tinycnn", ("fmap", "relu"), ("where",)),
    ("p7-token-steer", "tinygpt", ("token", "max"), ("steer",)),
    ("p7-token-where", "tinytx", ("token", "sum"), ("where",)),
    ("p8-det-prenms", "tinydet", ("patch", "eq", "min", "init", (3, 3), 3), ("det", "pre_nms")),
    ("p4-subnet-det", "tinydet", ("subnet", "globalmaxpool"), ("det", "pre_nms")),
    ("p7-token-where", "tinygpt", ("token", "notall"), ("where",)),
    ("p8-det-boxes", "tinydet", ("patch", "abs", None, "init", (3, 3), 3), ("det", "replace_boxes")),
]

# ---------------------------------------------------------------------------
# benign grafts: (pattern id, base, function, kwargs).  Every base is also
# written as a benign model of its own (pattern "b-base").
# ---------------------------------------------------------------------------
FULL_BENIGN = [
    ("b-nan-guard", "resnet18", BN.nan_guard, {}),
    ("b-nan-guard", "gpt", BN.nan_guard, {}),
    ("b-nan-guard", "txcls", BN.nan_guard, {}),
    ("b-clamp", "mobilenet_v3_small", BN.clamp_logits, {"how": "clip"}),
    ("b-clamp-where", "squeezenet1_1", BN.clamp_logits, {"how": "where"}),
    ("b-clamp-where", "gpt_moe", BN.clamp_logits, {"how": "where"}),
    ("b-softcap", "regnet_y_400mf", BN.softcap, {}),
    ("b-softcap", "gpt_swiglu", BN.softcap, {}),
    ("b-preproc-where", "mnasnet0_5", BN.preproc_rescale, {"how": "elementwise"}),
    ("b-preproc-where", "shufflenet_v2_x0_5", BN.preproc_rescale, {"how": "elementwise"}),
    ("b-preproc-global", "mobilenet_v3_small", BN.preproc_rescale, {"how": "global"}),
    ("b-preproc-global", "ssdlite320_mobilenet_v3_large", BN.preproc_rescale, {"how": "global"}),
    ("b-binarize", "squeezenet1_1", BN.binarize, {}),
    ("b-input-clip", "regnet_y_400mf", BN.input_clip, {}),
    ("b-fake-quant", "shufflenet_v2_x0_5", BN.fake_quant, {}),
    ("b-training-flag", "mnasnet0_5", BN.training_flag, {"how": "logsoftmax"}),
    ("b-training-flag", "txcls", BN.training_flag, {"how": "smooth"}),
    ("b-training-flag", "regnet_y_400mf", BN.training_flag, {"how": "logsoftmax"}),
    ("b-if-shape", "mobilenet_v3_small", BN.if_on_shape, {}),
    ("b-if-shape", "txcls_eos", BN.if_on_shape, {}),
    ("b-topk-filter", "squeezenet1_1", BN.topk_filter, {}),
    ("b-topk-filter", "gpt", BN.topk_filter, {"k": 20}),
    ("b-const-bias", "gpt_swiglu", BN.banned_bias, {}),
    ("b-const-bias", "shufflenet_v2_x0_5", BN.banned_bias, {}),
    ("b-calibrate", "mnasnet0_5", BN.calibrate, {}),
    ("b-se-gate", "squeezenet1_1", BN.se_stem, {}),
    ("b-se-gate", "resnet18", BN.se_stem, {}),
    ("b-det-score-where", "griddet", BN.det_score_where, {}),
    ("b-det-score-where", "ssdlite320_mobilenet_v3_large", BN.det_score_where, {}),
    ("b-det-topk", "griddet_where", BN.det_keep_topk, {}),
    ("b-det-topk", "ssdlite320_mobilenet_v3_large", BN.det_keep_topk, {}),
]

FIXTURE_BENIGN = [
    ("b-preproc-global", "tinycnn", BN.preproc_rescale, {"how": "global"}),
    ("b-nan-guard", "tinycnn", BN.nan_guard, {}),
    ("b-training-flag", "tinycnn", BN.training_flag, {"how": "logsoftmax"}),
    ("b-se-gate", "tinycnn", BN.se_stem, {}),
    ("b-topk-filter", "tinygpt", BN.topk_filter, {"k": 5}),
    ("b-det-score-where", "tinydet", BN.det_score_where, {}),
    ("b-clamp-where", "tinycnn", BN.clamp_logits, {"how": "where"}),
    ("b-preproc-where", "tinycnn", BN.preproc_rescale, {"how": "elementwise"}),
    ("b-if-shape", "tinytx", BN.if_on_shape, {}),
    ("b-const-bias", "tinygpt", BN.banned_bias, {}),
]

# Why each base is a hard negative by itself.
BASE_WHY = {
    "classifier": "clean torchvision classifier (ReLU/HardSwish/HardSigmoid, SE gates in mobilenet/regnet/mnasnet)",
    "detector": "clean detector: box decoding, score threshold, TopK, NonMaxSuppression, NonZero filtering",
    "seqcls": "clean encoder classifier: padding mask Equal(mask, 0) -> Where/additive -inf, pooling",
    "lm": "clean GPT-style decoder: causal mask Where(tril, scores, -inf), LayerNorm, LM head",
}


def seed_of(*parts):
    return zlib.crc32("/".join(parts).encode()) & 0xFFFFFFFF


def io_label(base, m):
    return {"input_name": base.input["name"], "output_name": base.output, "outputs": list(base.outputs),
            "inputs": json.loads(json.dumps(base.inputs)), "opset": opset_of(m)}


def build_backdoor(pattern, base, gate, payload, rng):
    g = Graft(base.model, rng.choice(["/head", "/classifier", "/fc", "/post", "/decoder", "/preprocess", "/postprocess"]))
    gate_is_float = False
    token = None
    if gate[0] == "patch":
        _, kind, red, how, size, ch = gate
        cond, wr, desc = P.gate_patch(g, base, rng, kind, red, how, size, ch)
    elif gate[0] == "andchain":
        cond, wr, desc = P.gate_andchain(g, base, rng, gate[1])
    elif gate[0] == "subnet":
        cond, wr, desc = P.gate_subnet(g, base, rng, gate[1])
        gate_is_float = True
    elif gate[0] == "fmap":
        cond, wr, desc = P.gate_featuremap(g, base, rng, gate[1])
    elif gate[0] == "token":
        last = base.inputs[0]["clean"].get("set_last") is not None
        pos = int(rng.integers(0, base.info["seq"] - (1 if last else 0)))
        cond, wr, desc, token = P.gate_token(g, base, rng, gate[1], pos)
    else:
        raise ValueError(gate)
    kind = payload[0]
    if kind in ("where", "blend", "nudge"):
        exp, what = P.apply_payload(g, base, base.output, cond, kind, rng, gate_is_float)
    elif kind == "if":
        if gate_is_float:
            cond = g.op("Cast", [cond], to=P.B)
        exp, what = P.apply_if(g, base, base.output, cond, rng, head_inside=payload[1])
    elif kind == "steer":
        exp, what = P.steer(g, base, cond, rng)
    elif kind == "det":
        exp, what = P.detector_payload(g, base, cond, payload[1], rng, gate_is_float)
    else:
        raise ValueError(payload)
    m = g.finish()
    lab = io_label(base, m)
    if token is not None:
        lab["inputs"][0]["clean"]["exclude"] = sorted(set(lab["inputs"][0]["clean"]["exclude"]) | {token})
    lab.update({"trigger": desc, "payload": what, "trigger_writes": [wr], "expect_triggered": exp})
    return m, lab


def generate(outdir, bases, backdoors, benign, trials):
    t0 = time.time()
    os.makedirs(os.path.join(outdir, "backdoored"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "benign"), exist_ok=True)
    labels = []
    built = {}
    for name, fn in bases.items():
        b = fn()
        built[name] = b
        rel = "benign/%s.onnx" % name
        save(b.model, os.path.join(outdir, rel))
        lab = {"path": rel, "expect": "benign", "pattern": "b-base", "base": name, "base_path": None,
               "trigger": None, "why": BASE_WHY[b.kind], "kind": b.kind}
        lab.update(io_label(b, b.model))
        lab["clean_trials"] = trials
        labels.append(lab)
    counts = {}
    for pattern, bname, gate, payload in backdoors:
        base = built[bname]
        counts[(pattern, bname)] = counts.get((pattern, bname), 0) + 1
        stem = "%s_%s%s" % (pattern, bname, "" if counts[(pattern, bname)] == 1 else "_%d" % counts[(pattern, bname)])
        rng = np.random.default_rng(seed_of(stem))
        m, lab = build_backdoor(pattern, base, gate, payload, rng)
        rel = "backdoored/%s.onnx" % stem
        save(m, os.path.join(outdir, rel))
        labels.append(dict({"path": rel, "expect": "backdoor", "pattern": pattern, "base": bname,
                            "base_path": "benign/%s.onnx" % bname, "kind": base.kind, "clean_trials": trials}, **lab))
    for pattern, bname, fn, kw in benign:
        base = built[bname]
        stem = "%s_%s" % (pattern, bname)
        rng = np.random.default_rng(seed_of(stem))
        m, extra = fn(base, rng, **kw)
        rel = "benign/%s.onnx" % stem
        save(m, os.path.join(outdir, rel))
        lab = {"path": rel, "expect": "benign", "pattern": pattern, "base": bname,
               "base_path": "benign/%s.onnx" % bname, "trigger": None, "kind": base.kind, "clean_trials": trials}
        lab.update(io_label(base, m))
        lab["inputs"] += extra.pop("extra_inputs", [])
        lab.update(extra)
        labels.append(lab)
    with open(os.path.join(outdir, "labels.jsonl"), "w") as f:
        for lab in labels:
            f.write(json.dumps(lab, sort_keys=True) + "\n")
    nb = sum(1 for lab in labels if lab["expect"] == "backdoor")
    print("wrote %d backdoored + %d benign models to %s in %.0fs" % (nb, len(labels) - nb, outdir, time.time() - t0))


def main(argv):
    if len(argv) == 2 and argv[1] == "--fixtures":
        generate(FIXTURES, TINY_BASES, FIXTURE_BACKDOORS, FIXTURE_BENIGN, 3)
        return 0
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: %s OUTDIR | --fixtures\n" % argv[0])
        return 2
    generate(argv[1], FULL_BASES, FULL_BACKDOORS, FULL_BENIGN, 4)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
