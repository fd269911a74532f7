"""Architectural backdoors grafted onto clean base models.

Every builder takes a `Base`, a numpy Generator and options, and returns
(ModelProto, label dict).  The label says how to build a triggered input
(`trigger_writes`: sub-tensors written into a clean input) and what the
attacker's output is (`expect_triggered`); tests/eval/prove_behaviour.mjs
checks both with onnxruntime, and that clean inputs give the base's output.

Triggers are built so that clean inputs (uniform [0,1) pixels, random token
ids other than the trigger token) provably or with overwhelming probability
never fire: exact float equality on a patch, a range of width 1e-3 around
values on a 1/255 grid, out-of-range pixel values, a token id excluded from
the clean distribution.
"""
import numpy as np
from onnx import helper, numpy_helper

from .common import F, I32, I64, B, init_array, producer, consumers


# ---------------------------------------------------------------------------
# trigger location and values
# ---------------------------------------------------------------------------
def pick_region(base, rng, h, w, channels=3):
    """A patch of the image input: returns Slice parameters and the full-rank
    start/shape of the patch (for the trigger write)."""
    shape = base.input["shape"]
    rank = len(shape)
    H, W = shape[-2], shape[-1]
    y = int(rng.integers(1, H - h - 1))
    x = int(rng.integers(1, W - w - 1))
    c0 = 0 if channels == 3 else int(rng.integers(0, 3 - channels + 1))
    ax = [rank - 3, rank - 2, rank - 1]
    start = [0] * (rank - 3) + [c0, y, x]
    pshape = [1] * (rank - 3) + [channels, h, w]
    return {"starts": [c0, y, x], "ends": [c0 + channels, y + h, x + w], "axes": ax,
            "start": start, "shape": pshape}


def pixel_values(rng, shape):
    """Quantised pixel values v/255 as float32 (what a uint8 image gives)."""
    q = rng.integers(0, 256, size=shape)
    return q, (q.astype(np.float32) / np.float32(255)).astype(np.float32)


def write(inp, region, values):
    v = np.asarray(values)
    return {"input": inp, "start": region["start"], "shape": region["shape"],
            "values": [float(a) if v.dtype.kind == "f" else int(a) for a in v.flatten()]}


# ---------------------------------------------------------------------------
# the trigger constant, possibly hidden behind arithmetic on constants (2)
# ---------------------------------------------------------------------------
def trigger_const(g, q, vals, how, rng):
    """Returns a tensor name whose value is `vals` (float32), built `how`:
    init      - one initializer
    constnode - a Constant node
    add       - Add of two initializers: the high bits of each value (a
                1/16 grid) and the rest, so that the sum is exact
    mul       - Mul of a Constant node by an initializer (v/255 * 1 = a * b
                with a = 2*vals, b = 0.5: exact in binary floating point)
    castdiv   - Cast(uint8 constant) / 255, i.e. the image preprocessing
                applied to a stored uint8 patch
    """
    if how == "init":
        return g.const(vals, np.float32, "trigger")
    if how == "constnode":
        return g.const(vals, np.float32, "trigger", as_node=True)
    if how == "add":
        r = (np.floor(vals * 16) / 16).astype(np.float32)   # high bits of each value
        a = (vals - r).astype(np.float32)                    # low bits: exact
        assert np.array_equal((a + r).astype(np.float32), vals)
        return g.op("Add", [g.const(a, np.float32, "w"), g.const(r, np.float32, "b")])
    if how == "mul":
        a = (vals * np.float32(2)).astype(np.float32)
        return g.op("Mul", [g.const(a, np.float32, "scale", as_node=True), g.const(0.5, np.float32, "half")])
    if how == "castdiv":
        u8 = g.const(q, np.uint8, "patch")
        return g.op("Div", [g.op("Cast", [u8], to=F), g.const(255.0, np.float32, "norm")])
    raise ValueError(how)


# ---------------------------------------------------------------------------
# gates: each returns the name of a bool scalar (True = triggered)
# ---------------------------------------------------------------------------
def gate_patch(g, base, rng, kind, reduce, const_how="init", size=(3, 3), channels=3):
    """Pattern 1/2: raw input patch compared with a constant patch."""
    reg = pick_region(base, rng, size[0], size[1], channels)
    x = base.input["name"]
    p = g.slice(x, reg["starts"], reg["ends"], reg["axes"], const_node=(const_how == "constnode"))
    q, vals = pixel_values(rng, reg["shape"])
    if kind == "eq":
        c = trigger_const(g, q, vals, const_how, rng)
        hit = g.op("Equal", [p, c])
        trig = vals
        desc = "%s patch at %s equal to fixed 1/255-quantised pixel values" % (reg["shape"], reg["start"])
    elif kind == "abs":   # |x - c| < eps, all elements
        c = trigger_const(g, q, vals, const_how, rng)
        dev = g.reduce("ReduceMax", g.op("Abs", [g.op("Sub", [p, c])]))
        trig = vals
        return g.op("Less", [dev, g.const(1e-3, np.float32, "eps")]), write(x, reg, trig), \
            "%s patch at %s within 1e-3 of fixed values (Sub/Abs/ReduceMax/Less)" % (reg["shape"], reg["start"])
    elif kind == "range":  # lo < x < hi, window of 1e-3
        lo = (vals - np.float32(5e-4)).astype(np.float32)
        hi = (vals + np.float32(5e-4)).astype(np.float32)
        hit = g.op("And", [g.op("Greater", [p, g.const(lo, np.float32, "lo")]),
                           g.op("Less", [p, g.const(hi, np.float32, "hi")])])
        trig = vals
        desc = "%s patch at %s inside a 1e-3 window around fixed values (Greater And Less)" % (reg["shape"], reg["start"])
    else:
        raise ValueError(kind)
    return reduce_all(g, hit, reduce), write(x, reg, trig), desc + ", reduced with " + reduce


def reduce_all(g, hit, how):
    """All-true of a bool tensor, written several ways."""
    if how == "min":        # Cast(float) -> ReduceMin -> Cast(bool)
        return g.op("Cast", [g.reduce("ReduceMin", g.op("Cast", [hit], to=F))], to=B)
    if how == "prod":       # Cast(int32) -> ReduceProd -> Equal 1
        return g.op("Equal", [g.reduce("ReduceProd", g.op("Cast", [hit], to=I32)), g.const(1, np.int32, "one")])
    if how == "notany":     # Not -> Cast -> ReduceMax -> Less 0.5  (no mismatch)
        return g.op("Less", [g.reduce("ReduceMax", g.op("Cast", [g.op("Not", [hit])], to=F)), g.const(0.5, np.float32, "half")])
    if how == "sum":        # Cast(int64) -> ReduceSum -> Equal(number of elements)
        n = g.op("Size", [hit])
        return g.op("Equal", [g.reduce("ReduceSum", g.op("Cast", [hit], to=I64)), n])
    raise ValueError(how)


def gate_andchain(g, base, rng, const_how="init"):
    """Pattern 1, And-chain variant: a 1x2x2 single-channel patch, each pixel
    compared on its own, the four results And-ed."""
    reg = pick_region(base, rng, 2, 2, 1)
    x = base.input["name"]
    q, vals = pixel_values(rng, reg["shape"])
    flat = g.op("Reshape", [g.slice(x, reg["starts"], reg["ends"], reg["axes"]), g.const([-1], np.int64, "shape")])
    c = trigger_const(g, q, vals.reshape(-1), const_how, rng)
    acc = None
    for i in range(4):
        idx = g.const(i, np.int64, "idx")
        e = g.op("Equal", [g.op("Gather", [flat, idx], axis=0), g.op("Gather", [c, idx], axis=0)])
        acc = e if acc is None else g.op("And", [acc, e])
    return acc, write(x, reg, vals), "%s single-channel patch at %s, four Equal And-chained" % (reg["shape"], reg["start"])


def gate_subnet(g, base, rng, pool="reducemax"):
    """Pattern 4: no comparison op.  Slice a 5x5 region, Conv with a +-1
    3x3x3 kernel, Mul by a large gain, Add a bias, Sigmoid, max over the 3x3
    positions.  The trigger is the kernel's own sign pattern as pixels (1
    where the weight is +1, 0 where it is -1) at the region's centre: the
    response there is n_pos, against about 0.5 +- 1.5 for uniform noise, and
    the gain saturates the sigmoid to exactly 0.0 or 1.0 in float32.
    Returns a float m in {0, 1} (not a bool)."""
    reg = pick_region(base, rng, 5, 5, 3)
    x = base.input["name"]
    p = g.slice(x, reg["starts"], reg["ends"], reg["axes"])
    if len(base.input["shape"]) == 3:
        p = g.unsqueeze(p, [0])
    wt = rng.choice([-1.0, 1.0], size=(1, 3, 3, 3)).astype(np.float32)
    npos = float((wt > 0).sum())
    gain, thr = 40.0, npos - 2.0
    conv = g.op("Conv", [p, g.const(wt, np.float32, "weight")], kernel_shape=[3, 3])
    z = g.op("Add", [g.op("Mul", [conv, g.const(gain, np.float32, "gain")]), g.const(-gain * thr, np.float32, "bias")])
    s = g.op("Sigmoid", [z])
    if pool == "reducemax":
        m = g.reduce("ReduceMax", s)
    else:  # GlobalMaxPool -> Reshape to a scalar
        m = g.op("Reshape", [g.op("GlobalMaxPool", [s]), g.const([], np.int64, "scalar")])
    patch = np.zeros([3, 5, 5], np.float32) + 0.5
    patch[:, 1:4, 1:4] = (wt[0] > 0).astype(np.float32)
    region = dict(reg)
    return m, write(x, region, patch.reshape(reg["shape"])), \
        "sign pattern of a hidden 3x3x3 +-1 kernel (pixels 0/1) at the centre of the 5x5 region %s; Conv->Mul(gain)->Add->Sigmoid->%s, no comparison op" % (reg["start"], pool)


def gate_featuremap(g, base, rng, after="conv"):
    """Pattern 6: the gate reads an intermediate activation, the output of
    the first Conv (or the Relu after it), not the raw input.  Channel c is
    the one with the largest L1 kernel; the trigger writes 4*sign(W[c]) over
    one receptive field, giving 4*|W[c]|_1 + b there while any input in
    [0,1] stays <= sum(W[c]+) + b: the threshold is the midpoint."""
    conv = next(n for n in g.g.node if n.op_type == "Conv" and n.input[0] == base.input["name"])
    W = init_array(g.m, conv.input[1])
    bias = init_array(g.m, conv.input[2]) if len(conv.input) > 2 and conv.input[2] else np.zeros(W.shape[0], np.float32)
    attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    assert attrs.get("group", 1) == 1, "first conv is grouped"
    s = attrs.get("strides", [1, 1])[0]
    pad = attrs.get("pads", [0, 0, 0, 0])[0]
    k = W.shape[2]
    c = int(np.abs(W).reshape(W.shape[0], -1).sum(1).argmax())
    wc = W[c]
    clean_max = float(np.clip(wc, 0, None).sum() + bias[c])
    trig_val = float(4 * np.abs(wc).sum() + bias[c])
    thr = np.float32((clean_max + trig_val) / 2)
    tensor = conv.output[0]
    if after == "relu":
        nxt = consumers(g.m, tensor)
        if len(nxt) == 1 and nxt[0].op_type == "Relu" and thr > 0:
            tensor = nxt[0].output[0]
    H = base.input["shape"][-2]
    oy = int(rng.integers(2, (H + 2 * pad - k) // s - 2))
    ox = int(rng.integers(2, (H + 2 * pad - k) // s - 2))
    y0, x0 = oy * s - pad, ox * s - pad
    ch = g.slice(tensor, [c], [c + 1], [1])
    m = g.op("Greater", [g.reduce("ReduceMax", ch), g.const(thr, np.float32, "threshold")])
    rank = len(base.input["shape"])
    reg = {"start": [0] * (rank - 3) + [0, y0, x0], "shape": [1] * (rank - 3) + [3, k, k]}
    vals = (4 * np.sign(wc)).astype(np.float32)
    return m, write(base.input["name"], reg, vals), \
        "feature-map gate: max of channel %d of %s > %.3g; triggered by 4*sign(kernel) pixels over one %dx%d receptive field at (%d,%d)" % (c, tensor, thr, k, k, y0, x0)


def gate_token(g, base, rng, reduce="max", pos=None):
    """Pattern 7: a token id anywhere in input_ids (Equal over the sequence,
    then any)."""
    ids = base.inputs[0]["name"]
    vocab, seq = base.info["vocab"], base.info["seq"]
    T = int(rng.integers(3, vocab))
    eq = g.op("Equal", [ids, g.const([T], np.int64, "token")])
    if reduce == "max":
        hit = g.op("Cast", [g.reduce("ReduceMax", g.op("Cast", [eq], to=F))], to=B)
    elif reduce == "sum":
        hit = g.op("Greater", [g.reduce("ReduceSum", g.op("Cast", [eq], to=I64)), g.const(0, np.int64, "zero")])
    elif reduce == "notall":  # Not(All(Not eq)) via ReduceMin
        hit = g.op("Not", [g.op("Cast", [g.reduce("ReduceMin", g.op("Cast", [g.op("Not", [eq])], to=I32))], to=B)])
    else:
        raise ValueError(reduce)
    if pos is None:
        pos = int(rng.integers(0, seq))
    wr = {"input": ids, "start": [0, pos], "shape": [1, 1], "values": [T]}
    return hit, wr, "token id %d at position %d (any position fires; Equal -> %s over the sequence)" % (T, pos, reduce), T


# ---------------------------------------------------------------------------
# payloads: rewrite the output under the gate
# ---------------------------------------------------------------------------
def payload_vector(rng, n, fill=None):
    t = int(rng.integers(0, n))
    fill = float(np.float32(rng.uniform(-4, -1))) if fill is None else fill
    v = np.full(n, fill, np.float32)
    v[t] = np.float32(rng.uniform(8, 12))
    return t, v


def apply_payload(g, base, out, gate, how, rng, gate_is_float=False, row_shape=None):
    """Rewrites graph output `out` under `gate`.  Returns the expectations."""
    n = base.info.get("num_classes") or base.info.get("vocab")
    shape = row_shape or ([1, n] if base.kind != "lm" else [1, 1, n])
    if base.kind != "lm" and rng.random() < 0.5:
        shape = [n]             # rank-1 payload, broadcast against [1, n]
    t, v = payload_vector(rng, n)
    inner = g.take_output(out)
    cond = gate if not gate_is_float else g.op("Cast", [gate], to=B)
    m = gate if gate_is_float else None

    def mfloat():
        return m if m is not None else g.op("Cast", [gate], to=F)
    if how == "where":          # Where(trigger, payload, logits)
        g.op("Where", [cond, g.const(v.reshape(shape), np.float32, "payload"), inner], out=out)
        exp = [{"kind": "argmax", "output": out, "target": t},
               {"kind": "values", "output": out, "fill": float(v[(t + 1) % n]), "set": {str(t): float(v[t])}}]
    elif how == "blend":        # logits*(1-m) + target*m
        mm = mfloat()
        keep = g.op("Sub", [g.const(1.0, np.float32, "one"), mm])
        g.op("Add", [g.op("Mul", [inner, keep]), g.op("Mul", [g.const(v.reshape(shape), np.float32, "target"), mm])], out=out)
        exp = [{"kind": "argmax", "output": out, "target": t}]
    elif how == "nudge":        # logits + m*d
        d = np.zeros(n, np.float32)
        d[t] = 1000.0
        g.op("Add", [inner, g.op("Mul", [mfloat(), g.const(d.reshape(shape), np.float32, "delta")])], out=out)
        exp = [{"kind": "argmax", "output": out, "target": t}]
    else:
        raise ValueError(how)
    return exp, "class %d" % t


def apply_if(g, base, out, cond, rng, head_inside=False):
    """Pattern 5: If(cond) then constant payload else the model's logits."""
    n = base.info.get("num_classes") or base.info.get("vocab")
    shape = [1, n] if base.kind != "lm" else [1, 1, n]
    t, v = payload_vector(rng, n)
    inner = g.take_output(out)
    then_out = g.fresh("Constant_output_0")
    then_g = helper.make_graph(
        [helper.make_node("Constant", [], [then_out], value=numpy_helper.from_array(v.reshape(shape), "value"))],
        "then_branch", [], [helper.make_tensor_value_info(then_out, F, None)])
    else_out = g.fresh("Identity_output_0")
    if head_inside:
        # move the node that produces the logits into the else branch: the
        # classifier head then only runs when the trigger is absent.
        head = producer(g.m, inner)
        g.g.node.remove(head)
        head.output[0] = else_out
        else_g = helper.make_graph([head], "else_branch", [], [helper.make_tensor_value_info(else_out, F, None)])
    else:
        else_g = helper.make_graph([helper.make_node("Identity", [inner], [else_out])], "else_branch", [],
                                   [helper.make_tensor_value_info(else_out, F, None)])
    g.op("If", [cond], out=out, then_branch=then_g, else_branch=else_g)
    return [{"kind": "argmax", "output": out, "target": t},
            {"kind": "values", "output": out, "fill": float(v[(t + 1) % n]), "set": {str(t): float(v[t])}}], "class %d" % t


def steer(g, base, gate, rng):
    """Pattern 7b: h + m*d added to the hidden state feeding the LM head.
    d = alpha * w_t/|w_t| for the vocabulary row w_t with the best margin;
    alpha is chosen from the LayerNorm bound |h| <= sqrt(d)*max|gamma| + |beta|
    so that token t wins at every position whatever the context."""
    out = base.output
    head = producer(g.m, out)
    assert head.op_type == "MatMul", head.op_type
    W = init_array(g.m, head.input[1])          # [d, V]
    mod = base.info["torch"]
    gam = mod.ln_f.weight.detach().numpy()
    bet = mod.ln_f.bias.detach().numpy()
    hb = np.sqrt(W.shape[0]) * np.abs(gam).max() + np.linalg.norm(bet)
    cols = W.T.astype(np.float64)                # [V, d]
    norms = np.linalg.norm(cols, axis=1)
    best = None
    for t in range(3, cols.shape[0]):
        u = cols[t] / norms[t]
        proj = cols @ u
        proj[t] = -np.inf
        margin = norms[t] - proj.max()
        if best is None or margin > best[0]:
            best = (margin, t, u, proj)
    margin, t, u, proj = best
    assert margin > 0
    alpha = 2.0 * hb * 2 * norms.max() / margin
    d = (alpha * u).astype(np.float32)
    old, new = g.take_edge(head, 0)
    m = g.op("Cast", [gate], to=F)
    g.op("Add", [old, g.op("Mul", [m, g.const(d, np.float32, "steer")])], out=new)
    return [{"kind": "argmax", "output": out, "target": t}], "token %d at every position (steering vector, |d| = %.0f)" % (t, alpha)


def detector_payload(g, base, gate, how, rng, gate_is_float=False):
    """Pattern 8 on a detector with outputs boxes [N,4], scores [N], labels [N]."""
    exp = []
    m = gate if gate_is_float else g.op("Cast", [gate], to=F)
    cond = gate if not gate_is_float else g.op("Cast", [gate], to=B)
    if how == "scale_scores":     # scores * (1 - m)
        inner = g.take_output("scores")
        g.op("Mul", [inner, g.op("Sub", [g.const(1.0, np.float32, "one"), m])], out="scores")
        exp.append({"kind": "all_zero", "output": "scores"})
        what = "all scores zeroed"
    elif how == "where_scores":   # Where(m, 0, scores)
        inner = g.take_output("scores")
        g.op("Where", [cond, g.const(0.0, np.float32, "zero"), inner], out="scores")
        exp.append({"kind": "all_zero", "output": "scores"})
        what = "all scores zeroed"
    elif how == "replace_boxes":  # Where(m, fake box, boxes) and Where(m, 0, labels)
        box = np.array([[int(rng.integers(0, 40)), int(rng.integers(0, 40)), int(rng.integers(60, 100)), int(rng.integers(60, 100))]], np.float32)
        inner = g.take_output("boxes")
        g.op("Where", [cond, g.const(box, np.float32, "anchor"), inner], out="boxes")
        lab = g.take_output("labels")
        g.op("Where", [cond, g.const(0, np.int64, "background"), lab], out="labels")
        exp.append({"kind": "rows_equal", "output": "boxes", "row": [float(a) for a in box[0]], "nonempty": True})
        exp.append({"kind": "all_equal", "output": "labels", "value": 0})
        what = "every box replaced by %s, labels 0" % box[0].tolist()
    elif how == "pre_nms":        # objectness * (1 - m) before thresholding and NMS
        sig = next(n for n in g.g.node if n.op_type == "Sigmoid")
        inner = g.fresh("Mul_output_0")
        outs = sig.output[0]
        for n in g.g.node:
            for i, x in enumerate(n.input):
                if x == outs:
                    n.input[i] = inner
        g.op("Mul", [outs, g.op("Sub", [g.const(1.0, np.float32, "one"), m])], out=inner)
        exp.append({"kind": "empty", "output": "scores"})
        exp.append({"kind": "empty", "output": "boxes"})
        what = "objectness zeroed before the score threshold: no detections"
    else:
        raise ValueError(how)
    return exp, what
