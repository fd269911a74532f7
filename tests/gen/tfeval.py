#!/usr/bin/env python3
"""A small numpy reference interpreter for the TensorFlow ops that
tests/gen/onnx2savedmodel.py emits, used to prove that a SavedModel twin
computes the same function as its ONNX original without TensorFlow.

It decodes the SavedModel back from the wire format (tfproto.decode), runs
the restore function of the saver (RestoreV2 from variables/, then
AssignVariableOp) for TF2 exports, then the serving_default signature:
function calls are inlined (StatefulPartitionedCall, StatelessIf), TF1
conds run with dead-tensor propagation (Switch/Merge).

Usage:
  /usr/bin/python3 tests/gen/tfeval.py SAVEDMODEL_DIR INPUTS.npz [OUT.npz]
  /usr/bin/python3 tests/gen/tfeval.py --compare MODEL.onnx SAVEDMODEL_DIR...
      runs the ONNX model with onnxruntime-node (tests/eval/node or
      /tmp/ortprobe) on random and edge-case inputs, runs the twins here and
      prints the maximum absolute difference.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfproto as tp  # noqa: E402
from onnx2savedmodel import OUT_ARGS  # noqa: E402


class Dead:
    """A dead tensor (the untaken side of a Switch)."""


DEAD = Dead()


class Resource:
    def __init__(self, name):
        self.name = name


class EvalError(Exception):
    pass


def attr_val(a):
    if a is None:
        return None
    if "list" in a:
        lv = a["list"]
        for k in ("i", "f", "type", "s", "shape", "b", "func"):
            if k in lv:
                return lv[k]
        return []
    for k in ("i", "f", "b", "type", "s", "shape", "tensor", "func", "placeholder"):
        if k in a:
            return a[k]
    # proto3 defaults are omitted: an empty AttrValue
    return 0


def npdt(t):
    return tp.DT2NP[t]


# ---- kernels ----------------------------------------------------------------------------

def _pad_nhwc(x, pads, value):
    return np.pad(x, [(pads[0], pads[1]), (pads[2], pads[3]), (pads[4], pads[5]), (pads[6], pads[7])],
                  constant_values=value)


def _same_pads(in_size, k, s, d):
    ek = (k - 1) * d + 1
    out = -(-in_size // s)
    total = max((out - 1) * s + ek - in_size, 0)
    return total // 2, total - total // 2


def conv2d_nhwc(x, w, strides, dil, padding, explicit, depthwise=False):
    n, h, wd, c = x.shape
    kh, kw = w.shape[0], w.shape[1]
    if padding == "EXPLICIT":
        x = _pad_nhwc(x, explicit, 0)
    elif padding == "SAME":
        ph = _same_pads(h, kh, strides[1], dil[1])
        pw = _same_pads(wd, kw, strides[2], dil[2])
        x = _pad_nhwc(x, [0, 0, ph[0], ph[1], pw[0], pw[1], 0, 0], 0)
    n, h, wd, c = x.shape
    sh, sw = strides[1], strides[2]
    dh, dw = dil[1], dil[2]
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (wd - (kw - 1) * dw - 1) // sw + 1
    acc_t = np.float64
    if depthwise:
        mult = w.shape[3]
        out = np.zeros((n, oh, ow, c, mult), acc_t)
        for i in range(kh):
            for j in range(kw):
                patch = x[:, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw, :]
                out += patch[..., None].astype(acc_t) * w[i, j].astype(acc_t)[None, None, None]
        return out.reshape(n, oh, ow, c * mult).astype(x.dtype)
    cin_g = w.shape[2]
    if c % cin_g:
        raise EvalError("Conv2D input depth %d not a multiple of the filter depth %d" % (c, cin_g))
    groups = c // cin_g
    cout = w.shape[3]
    cout_g = cout // groups
    out = np.zeros((n, oh, ow, cout), acc_t)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw, :]
            patch = patch.astype(acc_t)
            for g in range(groups):
                # grouped convolution: input channels g*cin_g.., output channels g*cout_g..
                out[..., g * cout_g:(g + 1) * cout_g] += np.tensordot(
                    patch[..., g * cin_g:(g + 1) * cin_g], w[i, j, :, g * cout_g:(g + 1) * cout_g].astype(acc_t),
                    axes=([3], [0]))
    return out.astype(x.dtype)


def pool_nhwc(x, ksize, strides, padding, kind):
    n, h, wd, c = x.shape
    kh, kw = ksize[1], ksize[2]
    sh, sw = strides[1], strides[2]
    if padding == "SAME":
        ph = _same_pads(h, kh, sh, 1)
        pw = _same_pads(wd, kw, sw, 1)
        fill = -np.inf if kind == "max" else np.nan
        x = np.pad(x.astype(np.float64), [(0, 0), ph, pw, (0, 0)], constant_values=fill)
        n, h, wd, c = x.shape
    oh = (h - kh) // sh + 1
    ow = (wd - kw) // sw + 1
    stack = []
    for i in range(kh):
        for j in range(kw):
            stack.append(x[:, i: i + sh * (oh - 1) + 1: sh, j: j + sw * (ow - 1) + 1: sw, :])
    st = np.stack(stack, 0)
    if kind == "max":
        return st.max(0).astype(x.dtype if padding != "SAME" else np.float32)
    return np.nanmean(st.astype(np.float64), 0).astype(np.float32)


def strided_slice(x, begin, end, strides, bm, em, shrink, ellipsis=0, newaxis=0):
    if ellipsis or newaxis:
        raise EvalError("StridedSlice ellipsis/new_axis masks")
    sl = []
    for i in range(len(begin)):
        b = None if (bm >> i) & 1 else int(begin[i])
        e = None if (em >> i) & 1 else int(end[i])
        s = int(strides[i])
        if (shrink >> i) & 1:
            sl.append(int(begin[i]))
        else:
            sl.append(slice(b, e, s))
    return np.asarray(x[tuple(sl)])


def _bcast(x, y):
    return x, y


def erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64)).astype(x.dtype)


UNARY = {
    "Relu": lambda x: np.maximum(x, 0).astype(x.dtype), "Sigmoid": lambda x: (1 / (1 + np.exp(-x.astype(np.float64)))
                                                                             ).astype(x.dtype),
    "Tanh": np.tanh, "Abs": np.abs, "Neg": np.negative, "Sqrt": np.sqrt,
    "Rsqrt": lambda x: (1 / np.sqrt(x.astype(np.float64))).astype(x.dtype), "Exp": np.exp, "Log": np.log,
    "Erf": erf, "Floor": np.floor, "Ceil": np.ceil, "Round": np.round, "Sign": np.sign,
    "Reciprocal": lambda x: (1 / x).astype(x.dtype), "Square": np.square, "Sin": np.sin, "Cos": np.cos,
    "IsNan": np.isnan, "IsInf": np.isinf, "LogicalNot": np.logical_not,
    "Softplus": lambda x: np.logaddexp(0, x.astype(np.float64)).astype(x.dtype),
    "Elu": lambda x: np.where(x < 0, np.expm1(x.astype(np.float64)), x).astype(x.dtype),
    "Relu6": lambda x: np.clip(x, 0, 6), "ZerosLike": np.zeros_like, "OnesLike": np.ones_like,
}


def _tdiv(a, b):
    if np.issubdtype(a.dtype, np.integer):
        q = np.abs(a) // np.abs(b)
        return (np.sign(a) * np.sign(b) * q).astype(a.dtype)
    return (a / b).astype(a.dtype)


BINARY = {
    "AddV2": np.add, "Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
    "RealDiv": lambda a, b: (a / b).astype(a.dtype), "TruncateDiv": _tdiv,
    "FloorDiv": np.floor_divide, "FloorMod": np.mod, "TruncateMod": np.fmod, "Maximum": np.maximum,
    "Minimum": np.minimum, "Pow": lambda a, b: np.power(a, b).astype(a.dtype),
    "SquaredDifference": lambda a, b: np.square(a - b), "Equal": np.equal, "NotEqual": np.not_equal,
    "Greater": np.greater, "Less": np.less, "GreaterEqual": np.greater_equal, "LessEqual": np.less_equal,
    "LogicalAnd": np.logical_and, "LogicalOr": np.logical_or,
}

REDUCE = {"Max": np.max, "Min": np.min, "Sum": np.sum, "Mean": np.mean, "Prod": np.prod, "All": np.all,
          "Any": np.any}


def softmax(x):
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(x.dtype)


def run_kernel(op, ins, at, interp):
    """ins: input values; at(name) -> attribute value."""
    if op in UNARY:
        return [np.asarray(UNARY[op](ins[0]))]
    if op in BINARY:
        a, b = ins
        r = np.asarray(BINARY[op](a, b))
        if r.dtype != np.bool_ and r.dtype != a.dtype:
            r = r.astype(a.dtype)
        return [r]
    if op in ("Identity", "StopGradient"):
        return [ins[0]]
    if op == "Const":
        return [tp.tensor_to_numpy(at("value"))]
    if op == "LeakyRelu":
        x = ins[0]
        return [np.where(x < 0, x * np.float32(at("alpha")), x).astype(x.dtype)]
    if op in ("SelectV2", "Select"):
        return [np.where(ins[0], ins[1], ins[2])]
    if op == "Cast":
        x = ins[0]
        return [x.astype(npdt(at("DstT")))]
    if op in REDUCE:
        x, axes = ins
        axes = tuple(int(a) % max(x.ndim, 1) for a in np.asarray(axes).reshape(-1))
        keep = bool(at("keep_dims"))
        if op == "Mean":
            r = np.mean(x.astype(np.float64), axis=axes, keepdims=keep).astype(x.dtype)
        elif op == "Sum" and x.dtype.kind == "f":
            r = np.sum(x.astype(np.float64), axis=axes, keepdims=keep).astype(x.dtype)
        else:
            r = REDUCE[op](x, axis=axes, keepdims=keep)
        return [np.asarray(r).astype(x.dtype)]
    if op == "ArgMax" or op == "ArgMin":
        x, d = ins
        f = np.argmax if op == "ArgMax" else np.argmin
        return [f(x, axis=int(d)).astype(npdt(at("output_type") or tp.DT_INT64))]
    if op == "Softmax":
        return [softmax(ins[0])]
    if op == "LogSoftmax":
        x64 = ins[0].astype(np.float64)
        m = x64.max(-1, keepdims=True)
        return [(x64 - m - np.log(np.exp(x64 - m).sum(-1, keepdims=True))).astype(ins[0].dtype)]
    if op == "MatMul":
        a, b = ins
        if at("transpose_a"):
            a = a.T
        if at("transpose_b"):
            b = b.T
        return [(a.astype(np.float64) @ b.astype(np.float64)).astype(ins[0].dtype)]
    if op == "BatchMatMulV2":
        a, b = ins
        if at("adj_x"):
            a = np.swapaxes(a, -1, -2)
        if at("adj_y"):
            b = np.swapaxes(b, -1, -2)
        return [np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(ins[0].dtype)]
    if op == "BiasAdd":
        x, b = ins
        if at("data_format") == b"NCHW":
            return [x + b.reshape((-1,) + (1,) * (x.ndim - 2))]
        return [x + b]
    if op in ("Conv2D", "DepthwiseConv2dNative"):
        if at("data_format") not in (b"NHWC", 0, None, b""):
            raise EvalError("Conv2D data_format %r" % at("data_format"))
        return [conv2d_nhwc(ins[0], ins[1], at("strides"), at("dilations") or [1, 1, 1, 1],
                            at("padding").decode(), at("explicit_paddings"), op == "DepthwiseConv2dNative")]
    if op in ("MaxPool", "AvgPool"):
        return [pool_nhwc(ins[0], at("ksize"), at("strides"), at("padding").decode(),
                          "max" if op == "MaxPool" else "avg").astype(ins[0].dtype)]
    if op == "FusedBatchNormV3":
        x, sc, b, m, v = ins
        if at("is_training"):
            raise EvalError("FusedBatchNormV3 training")
        eps = at("epsilon") or 1e-4
        y = ((x.astype(np.float64) - m) / np.sqrt(v.astype(np.float64) + np.float32(eps)) * sc + b).astype(x.dtype)
        return [y, m, v, m, v, np.zeros(0, np.float32)]
    if op == "Transpose":
        return [np.transpose(ins[0], [int(p) for p in ins[1]])]
    if op == "Reshape":
        return [ins[0].reshape([int(s) for s in np.asarray(ins[1]).reshape(-1)])]
    if op == "Squeeze":
        dims = at("squeeze_dims") or []
        x = ins[0]
        if not dims:
            return [np.squeeze(x)]
        return [np.squeeze(x, axis=tuple(int(d) % x.ndim for d in dims))]
    if op == "ExpandDims":
        x = ins[0]
        a = int(np.asarray(ins[1]).reshape(-1)[0])
        if a < 0:
            a += x.ndim + 1
        return [np.expand_dims(x, a)]
    if op == "ConcatV2":
        n = at("N")
        ax = int(ins[n])
        return [np.concatenate(ins[:n], axis=ax)]
    if op == "Pack":
        return [np.stack(ins, axis=int(at("axis") or 0))]
    if op == "SplitV":
        x, sizes, dim = ins
        idx = np.cumsum([int(s) for s in sizes])[:-1]
        return list(np.split(x, idx, axis=int(dim)))
    if op == "StridedSlice":
        return [strided_slice(ins[0], ins[1], ins[2], ins[3], at("begin_mask"), at("end_mask"),
                              at("shrink_axis_mask"), at("ellipsis_mask"), at("new_axis_mask"))]
    if op == "GatherV2":
        x, i, ax = ins
        if at("batch_dims"):
            raise EvalError("GatherV2 batch_dims")
        if np.any(i < 0) or np.any(i >= x.shape[int(ax)]):
            raise EvalError("GatherV2 index out of range")
        return [np.take(x, i, axis=int(ax))]
    if op == "ResourceGather":
        h, i = ins
        x = interp.variables[h.name]
        if np.any(i < 0) or np.any(i >= x.shape[0]):
            raise EvalError("ResourceGather index out of range")
        return [np.take(x, i, axis=0)]
    if op == "GatherNd":
        x, i = ins
        return [x[tuple(np.moveaxis(i, -1, 0))]]
    if op == "ClipByValue":
        x, lo, hi = ins
        return [np.minimum(np.maximum(x, lo), hi).astype(x.dtype)]
    if op == "Shape":
        return [np.array(ins[0].shape, npdt(at("out_type") or tp.DT_INT32))]
    if op == "Size":
        return [np.array(ins[0].size, npdt(at("out_type") or tp.DT_INT32))]
    if op == "Rank":
        return [np.array(ins[0].ndim, np.int32)]
    if op == "Fill":
        return [np.full([int(s) for s in ins[0]], ins[1])]
    if op == "BroadcastArgs":
        return [np.array(np.broadcast_shapes(tuple(int(s) for s in ins[0]), tuple(int(s) for s in ins[1])),
                         ins[0].dtype)]
    if op == "BroadcastTo":
        return [np.broadcast_to(ins[0], [int(s) for s in ins[1]]).copy()]
    if op == "Tile":
        return [np.tile(ins[0], [int(s) for s in ins[1]])]
    if op == "Range":
        return [np.arange(ins[0], ins[1], ins[2]).astype(ins[0].dtype)]
    if op == "PadV2":
        return [np.pad(ins[0], [(int(a), int(b)) for a, b in ins[1]], constant_values=ins[2])]
    if op == "MirrorPad":
        mode = at("mode").decode().lower()
        return [np.pad(ins[0], [(int(a), int(b)) for a, b in ins[1]], mode="reflect" if mode == "reflect"
                       else "symmetric")]
    if op == "TopKV2":
        x, k = ins
        k = int(k)
        idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
        return [np.take_along_axis(x, idx, -1), idx.astype(np.int32)]
    if op == "Where":
        return [np.argwhere(ins[0]).astype(np.int64)]
    if op == "Einsum":
        return [np.einsum(at("equation").decode(), *ins)]
    if op == "Cumsum":
        x, ax = ins
        ax = int(ax)
        if at("reverse"):
            x = np.flip(x, ax)
        r = np.cumsum(x, axis=ax, dtype=x.dtype)
        if at("exclusive"):
            r = r - x
        if at("reverse"):
            r = np.flip(r, ax)
        return [r]
    if op == "TensorScatterUpdate":
        x, i, u = ins
        r = x.copy()
        r[tuple(np.moveaxis(i, -1, 0))] = u
        return [r]
    if op == "AddN":
        r = ins[0]
        for v in ins[1:]:
            r = r + v
        return [r]
    if op == "NonMaxSuppressionV5":
        boxes, scores, max_out, iou_t, score_t, sigma = ins
        if float(sigma) != 0.0:
            raise EvalError("soft NMS")
        b = boxes.astype(np.float64)
        y1, x1 = np.minimum(b[:, 0], b[:, 2]), np.minimum(b[:, 1], b[:, 3])
        y2, x2 = np.maximum(b[:, 0], b[:, 2]), np.maximum(b[:, 1], b[:, 3])
        area = (y2 - y1) * (x2 - x1)
        order = [i for i in np.argsort(-scores, kind="stable") if scores[i] > score_t]
        sel = []
        for i in order:
            if len(sel) >= int(max_out):
                break
            ok = True
            for j in sel:
                iy1, ix1 = max(y1[i], y1[j]), max(x1[i], x1[j])
                iy2, ix2 = min(y2[i], y2[j]), min(x2[i], x2[j])
                inter = max(iy2 - iy1, 0) * max(ix2 - ix1, 0)
                union = area[i] + area[j] - inter
                iou = inter / union if area[i] > 0 and area[j] > 0 and union > 0 else 0.0
                if iou > float(iou_t):
                    ok = False
                    break
            if ok:
                sel.append(i)
        sel = np.array(sel, np.int32)
        return [sel, scores[sel], np.array(len(sel), np.int32)]
    if op == "ResizeBilinear":
        x, size = ins
        oh, ow = int(size[0]), int(size[1])
        n, h, w, ch = x.shape
        hp, ac = at("half_pixel_centers"), at("align_corners")

        def src(o, insz, outsz):
            if ac and outsz > 1:
                sc = (insz - 1) / (outsz - 1)
            else:
                sc = insz / outsz
            o = np.arange(o, dtype=np.float64)
            f = (o + 0.5) * sc - 0.5 if hp else o * sc
            lo = np.floor(f)
            lerp = f - lo
            lo_i = np.clip(lo, 0, insz - 1).astype(int)
            hi_i = np.clip(np.ceil(f), 0, insz - 1).astype(int)
            return lo_i, hi_i, lerp
        ylo, yhi, yl = src(oh, h, oh)
        xlo, xhi, xl = src(ow, w, ow)
        x64 = x.astype(np.float64)
        top = x64[:, ylo][:, :, xlo] + (x64[:, ylo][:, :, xhi] - x64[:, ylo][:, :, xlo]) * xl[None, None, :, None]
        bot = x64[:, yhi][:, :, xlo] + (x64[:, yhi][:, :, xhi] - x64[:, yhi][:, :, xlo]) * xl[None, None, :, None]
        return [(top + (bot - top) * yl[None, :, None, None]).astype(np.float32)]
    if op == "ResizeNearestNeighbor":
        x, size = ins
        oh, ow = int(size[0]), int(size[1])
        n, h, w, ch = x.shape
        yi = np.minimum(np.floor(np.arange(oh) * (h / oh)).astype(int), h - 1)
        xi = np.minimum(np.floor(np.arange(ow) * (w / ow)).astype(int), w - 1)
        return [x[:, yi][:, :, xi]]
    if op == "NoOp" or op == "DisableCopyOnRead":
        return []
    raise EvalError("no kernel for TF op %s" % op)


# ---- interpreter --------------------------------------------------------------------------

class Interp:
    def __init__(self, path):
        self.path = path
        self.sm = tp.read_saved_model(path)
        mg = self.sm["meta_graphs"][0]
        self.mg = mg
        self.graph = mg["graph_def"]
        self.functions = {f["signature"]["name"]: f for f in self.graph.get("library", {}).get("function", [])}
        self.variables = {}
        self.ops_seen = set()

    # a "frame" evaluates one graph body (main graph or function)
    def run_body(self, nodes, feeds, wanted, in_function):
        by_name = {n["name"]: n for n in nodes}
        cache = {}

        def out_index(node, ref_parts):
            # function refs: node:arg:k ; main refs: node:k
            if not in_function:
                return int(ref_parts[0]) if ref_parts else 0
            if not ref_parts:
                return 0
            arg = ref_parts[0]
            k = int(ref_parts[1]) if len(ref_parts) > 1 else 0
            args = OUT_ARGS.get(node["op"])
            if args is None:
                raise EvalError("output arg table has no %s" % node["op"])
            if len(args) == 1 and args[0].endswith("*"):
                return k
            return args.index(arg) + k

        def value(ref):
            if ref.startswith("^"):
                return evaluate(ref[1:])  # control: the node's liveness
            parts = ref.split(":")
            name = parts[0]
            if name in feeds and len(parts) == 1:
                return feeds[name]
            if name in feeds and not in_function:
                return feeds[name]
            if name not in by_name:
                raise EvalError("reference to unknown node %r" % ref)
            outs = evaluate(name)
            if outs is DEAD:
                return DEAD
            i = out_index(by_name[name], parts[1:])
            return outs[i]

        def evaluate(name):
            if name in cache:
                return cache[name]
            stack = [name]
            # iterative post-order to avoid deep recursion on long graphs
            while stack:
                cur = stack[-1]
                if cur in cache:
                    stack.pop()
                    continue
                n = by_name.get(cur)
                if n is None:
                    raise EvalError("unknown node %r" % cur)
                pending = []
                for r in n.get("input", []):
                    nm = r.lstrip("^").split(":")[0]
                    if nm in feeds and not r.startswith("^"):
                        continue
                    if nm not in cache:
                        if nm not in by_name:
                            if nm in feeds:
                                continue
                            raise EvalError("reference to unknown node %r" % r)
                        pending.append(nm)
                if n["op"] == "Merge":
                    pass
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                cache[cur] = self.exec_node(n, value, in_function)
            return cache[name]

        return [value(w) for w in wanted]

    def exec_node(self, n, value, in_function):
        op = n["op"]
        self.ops_seen.add(op)
        attrs = n.get("attr", {})

        def at(k):
            return attr_val(attrs.get(k))
        data = [r for r in n.get("input", []) if not r.startswith("^")]
        ctrl = [r for r in n.get("input", []) if r.startswith("^")]
        ins = [value(r) for r in data]
        ctl = [value(r) for r in ctrl]
        if op == "Merge":
            for i, v in enumerate(ins):
                if v is not DEAD:
                    return [v, np.array(i, np.int32)]
            return DEAD
        if any(v is DEAD for v in ins) or any(v is DEAD for v in ctl):
            return DEAD
        if op == "Switch":
            x, p = ins
            return [DEAD, x] if bool(np.asarray(p).reshape(())) else [x, DEAD]
        if op == "VarHandleOp":
            return [Resource(at("shared_name").decode() or n["name"])]
        if op == "ReadVariableOp":
            h = ins[0]
            if h.name not in self.variables:
                raise EvalError("variable %s read before it was restored" % h.name)
            return [self.variables[h.name]]
        if op == "AssignVariableOp":
            self.variables[ins[0].name] = np.asarray(ins[1]).astype(npdt(at("dtype")))
            return []
        if op in ("Placeholder", "PlaceholderWithDefault"):
            raise EvalError("placeholder %s not fed" % n["name"])
        if op in ("StatefulPartitionedCall", "PartitionedCall"):
            return self.call(at("f")["name"], ins)
        if op in ("StatelessIf", "If"):
            cond = bool(np.asarray(ins[0]).reshape(-1)[0]) if np.asarray(ins[0]).size else False
            if np.asarray(ins[0]).dtype != np.bool_ and np.asarray(ins[0]).size:
                cond = bool(np.asarray(ins[0]).reshape(-1)[0] != 0)
            fn = at("then_branch" if cond else "else_branch")["name"]
            return self.call(fn, ins[1:])
        if op == "RestoreV2":
            prefix, names, slices = ins
            tensors = tp.read_bundle(prefix if isinstance(prefix, str) else prefix.reshape(()).item().decode())
            out = []
            for nm in names.reshape(-1):
                nm = nm.decode() if isinstance(nm, bytes) else nm
                out.append(tensors[nm])
            return out
        if op in ("SaveV2", "MergeV2Checkpoints", "StringJoin", "ShardedFilename", "StaticRegexFullMatch"):
            raise EvalError("the save path is not evaluated")
        return run_kernel(op, ins, at, self)

    def call(self, fname, args):
        f = self.functions.get(fname)
        if f is None:
            raise EvalError("call of unknown function %s" % fname)
        sig = f["signature"]
        in_args = sig.get("input_arg", [])
        if len(in_args) != len(args):
            raise EvalError("%s takes %d args, got %d" % (fname, len(in_args), len(args)))
        feeds = {a["name"]: v for a, v in zip(in_args, args)}
        rets = f.get("ret", {})
        wanted = [rets[a["name"]] for a in sig.get("output_arg", [])]
        wanted += ["^" + v for v in f.get("control_ret", {}).values()]
        vals = self.run_body(f.get("node_def", []), feeds, wanted, True)
        return vals[:len(sig.get("output_arg", []))]

    def restore(self):
        sd = self.mg.get("saver_def")
        if not sd or not os.path.isdir(os.path.join(self.path, "variables")):
            return
        fname = sd["filename_tensor_name"].split(":")[0]
        feeds = {fname: np.array(os.path.join(self.path, "variables", "variables").encode(), dtype=object)}
        self.run_body(self.graph["node"], feeds, ["^" + sd["restore_op_name"]], False)

    def run(self, inputs, signature="serving_default"):
        """inputs: {signature input key: array} -> {output key: array}."""
        self.restore()
        sig = self.mg["signature_def"][signature]
        feeds = {}
        for k, ti in sig.get("inputs", {}).items():
            feeds[ti["name"].split(":")[0]] = inputs[k]
        keys = sorted(sig.get("outputs", {}))
        wanted = [sig["outputs"][k]["name"] for k in keys]
        wanted = [w[:-2] if w.endswith(":0") else w for w in wanted]
        vals = self.run_body(self.graph["node"], feeds, wanted, False)
        return {k: v for k, v in zip(keys, vals)}


# ---- reference: onnxruntime-node ------------------------------------------------------------

ORT_JS = r"""
const path = require('path');
const fs = require('fs');
const [,, modDir, model, inJson, outJson] = process.argv;
const ort = require(path.join(modDir, 'onnxruntime-node'));
const T = {float32: Float32Array, int64: BigInt64Array, int32: Int32Array, bool: Uint8Array, float64: Float64Array,
           uint8: Uint8Array, int8: Int8Array};
(async () => {
  const sess = await ort.InferenceSession.create(model);
  const cases = JSON.parse(fs.readFileSync(inJson));
  const results = [];
  for (const c of cases) {
    const feeds = {};
    for (const [k, v] of Object.entries(c)) {
      const buf = Buffer.from(v.b64, 'base64');
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
      feeds[k] = new ort.Tensor(v.dtype, new T[v.dtype](ab), v.shape);
    }
    const out = await sess.run(feeds);
    const r = {};
    for (const [k, t] of Object.entries(out)) {
      const d = t.data;
      r[k] = {dtype: t.type, shape: t.dims,
              b64: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64')};
    }
    results.push(r);
  }
  fs.writeFileSync(outJson, JSON.stringify(results));
})().catch(e => { console.error(String(e)); process.exit(1); });
"""

NP_OF = {"float32": np.float32, "int64": np.int64, "int32": np.int32, "bool": np.bool_, "float64": np.float64,
         "uint8": np.uint8, "int8": np.int8}


def node_modules():
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "..", "eval", "node", "node_modules"), "/tmp/ortprobe/node_modules"):
        if os.path.isdir(os.path.join(d, "onnxruntime-node")):
            return os.path.abspath(d)
    raise EvalError("onnxruntime-node not found (tests/eval/node or /tmp/ortprobe)")


def ort_run(model_path, cases):
    mods = node_modules()
    with tempfile.TemporaryDirectory() as td:
        js = os.path.join(td, "run.cjs")
        with open(js, "w") as f:
            f.write(ORT_JS)
        enc = []
        for c in cases:
            e = {}
            for k, v in c.items():
                v = np.ascontiguousarray(v)
                dt = {np.dtype(np.bool_): "bool"}.get(v.dtype, str(v.dtype))
                raw = v.astype(np.uint8).tobytes() if v.dtype == np.bool_ else v.tobytes()
                import base64
                e[k] = {"dtype": dt, "shape": list(v.shape), "b64": base64.b64encode(raw).decode()}
            enc.append(e)
        inp, outp = os.path.join(td, "in.json"), os.path.join(td, "out.json")
        with open(inp, "w") as f:
            json.dump(enc, f)
        p = subprocess.run(["node", js, mods, os.path.abspath(model_path), inp, outp], capture_output=True,
                           text=True)
        if p.returncode:
            raise EvalError("onnxruntime-node: %s" % p.stderr.strip()[-500:])
        import base64
        res = []
        for r in json.load(open(outp)):
            d = {}
            for k, v in r.items():
                arr = np.frombuffer(base64.b64decode(v["b64"]), dtype=NP_OF[v["dtype"]] if v["dtype"] != "bool"
                                    else np.uint8).reshape(v["shape"])
                d[k] = arr.astype(np.bool_) if v["dtype"] == "bool" else arr
            res.append(d)
        return res


def make_cases(model, n_random=3, seed=0, extra=()):
    """Random inputs plus edge cases for every graph input."""
    import onnx
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    specs = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 2 for d in tt.shape.dim]
        specs.append((vi.name, np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[tt.elem_type]), dims))
    cases = []
    for i in range(n_random):
        c = {}
        for name, dt, dims in specs:
            if dt.kind == "f":
                c[name] = (rng.standard_normal(dims) * (1 + i)).astype(dt)
            elif dt.kind == "b":
                c[name] = rng.random(dims) < 0.5
            else:
                c[name] = rng.integers(0, 4, dims).astype(dt)
        cases.append(c)
    for fill in (0.0, 1.0, 255.0):
        c = {}
        for name, dt, dims in specs:
            c[name] = np.full(dims, fill if dt.kind == "f" else int(min(fill, 1)), dtype=dt)
        cases.append(c)
    cases.extend(extra)
    return cases


def compare(onnx_path, twin_dirs, extra_cases=(), seed=0, cases=None):
    """Runs ONNX (onnxruntime-node) and each twin (this interpreter) on the
    same inputs: returns {twin dir: max abs diff} (nan-aware: NaN == NaN)."""
    import onnx
    model = onnx.load(onnx_path)
    if cases is None:
        cases = make_cases(model, seed=seed, extra=extra_cases)
    ref = ort_run(onnx_path, cases)
    out_names = [o.name for o in model.graph.output]
    res = {}
    for d in twin_dirs:
        worst = 0.0
        for case, r in zip(cases, ref):
            it = Interp(d)
            sig = it.mg["signature_def"]["serving_default"]
            # signature keys are the ONNX names with non [A-Za-z0-9_] mapped to "_", in order
            in_keys = sorted(sig["inputs"])
            feed = {}
            for k in in_keys:
                for name in case:
                    if _key(name) == k:
                        feed[k] = case[name]
            got = it.run(feed)
            for name in out_names:
                a = np.asarray(r[name])
                b = np.asarray(got[_key(name)])
                if a.shape != b.shape:
                    raise EvalError("%s: output %s shape %s vs ONNX %s" % (d, name, b.shape, a.shape))
                if a.dtype == np.bool_ or b.dtype == np.bool_ or a.dtype.kind in "iu":
                    diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
                else:
                    a64, b64 = a.astype(np.float64), b.astype(np.float64)
                    both_nan = np.isnan(a64) & np.isnan(b64)
                    same_inf = np.isinf(a64) & (a64 == b64)
                    with np.errstate(invalid="ignore"):
                        dd = np.where(both_nan | same_inf, 0.0, np.abs(a64 - b64))
                    diff = float(np.nanmax(np.where(np.isnan(dd), np.inf, dd))) if a.size else 0.0
                worst = max(worst, diff)
        res[d] = worst
    return res


def _key(name):
    import re
    return re.sub(r"[^A-Za-z0-9_]", "_", name) or "x"


def main(argv):
    if argv and argv[0] == "--compare":
        onnx_path, dirs = argv[1], argv[2:]
        print(json.dumps(compare(onnx_path, dirs), indent=1))
        return 0
    if len(argv) < 2:
        print(__doc__)
        return 2
    it = Interp(argv[0])
    inputs = dict(np.load(argv[1]))
    out = it.run(inputs)
    if len(argv) > 2:
        np.savez(argv[2], **out)
    else:
        for k, v in out.items():
            print(k, v.dtype, v.shape, v.reshape(-1)[:8])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
