#!/usr/bin/env python3
"""Translates an ONNX graph, op by op, into a TensorFlow SavedModel written
without TensorFlow (wire format by tests/gen/tfproto.py).

Usage: /usr/bin/python3 tests/gen/onnx2savedmodel.py IN.onnx OUTDIR [--style tf2|tf1]

  tf2  what tf.saved_model.save / Keras write: Placeholders serving_default_<x>,
       one VarHandleOp per weight, StatefulPartitionedCall ->
       __inference_signature_wrapper_N -> __inference_<model>_call_M (resource
       arguments, ReadVariableOp inside), ONNX If -> StatelessIf with branch
       functions, the saver subgraph (__inference__traced_save_K /
       __inference__traced_restore_L), a saver_def, an object graph and
       variables/variables.{index,data-00000-of-00001} with the weights.
  tf1  frozen style: weights are Const nodes of the main graph, If is
       Switch/Merge (tf.compat.v1.cond), no function library.

The twin computes the same function as the ONNX graph: convolutions and
pools run in NHWC (the only layout TensorFlow's CPU kernels accept) between
Transposes, weights are stored already transposed (HWIO).  An op without a
translation raises Unsupported naming it.  No detection logic here.
"""
import argparse
import json
import os
import re
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfproto as tp  # noqa: E402
from tfproto import (a_b, a_f, a_func, a_i, a_list, a_s, a_shape, a_tensor, a_type,  # noqa: E402
                     DT_BOOL, DT_FLOAT, DT_INT32, DT_INT64, DT_RESOURCE, DT_STRING)


class Unsupported(Exception):
    pass


ONNX2DT = {1: tp.DT_FLOAT, 2: tp.DT_UINT8, 3: tp.DT_INT8, 4: tp.DT_UINT16, 5: tp.DT_INT16, 6: tp.DT_INT32,
           7: tp.DT_INT64, 8: tp.DT_STRING, 9: tp.DT_BOOL, 10: tp.DT_HALF, 11: tp.DT_DOUBLE, 12: tp.DT_UINT32,
           13: tp.DT_UINT64}
FLOATS = (tp.DT_FLOAT, tp.DT_DOUBLE, tp.DT_HALF)

# Output argument names of the TensorFlow ops emitted (OpDef output_arg), used
# for the "node:arg:index" references inside functions.  A trailing "*" marks
# a list output (every flat index belongs to it).
OUT_ARGS = {
    "Const": ["output"], "Identity": ["output"], "Placeholder": ["output"],
    "PlaceholderWithDefault": ["output"],
    "AddV2": ["z"], "Sub": ["z"], "Mul": ["z"], "RealDiv": ["z"], "TruncateDiv": ["z"], "FloorDiv": ["z"],
    "FloorMod": ["z"], "TruncateMod": ["z"], "Maximum": ["z"], "Minimum": ["z"], "Pow": ["z"],
    "SquaredDifference": ["z"], "Equal": ["z"], "NotEqual": ["z"], "Greater": ["z"], "Less": ["z"],
    "GreaterEqual": ["z"], "LessEqual": ["z"], "LogicalAnd": ["z"], "LogicalOr": ["z"], "LogicalNot": ["y"],
    "Relu": ["activations"], "Relu6": ["activations"], "Elu": ["activations"], "Selu": ["activations"],
    "LeakyRelu": ["activations"], "Softplus": ["activations"],
    "Sigmoid": ["y"], "Tanh": ["y"], "Abs": ["y"], "Neg": ["y"], "Sqrt": ["y"], "Rsqrt": ["y"], "Exp": ["y"],
    "Log": ["y"], "Erf": ["y"], "Floor": ["y"], "Ceil": ["y"], "Round": ["y"], "Sign": ["y"],
    "Reciprocal": ["y"], "Square": ["y"], "Sin": ["y"], "Cos": ["y"], "IsNan": ["y"], "IsInf": ["y"],
    "Cast": ["y"], "Transpose": ["y"], "ZerosLike": ["y"], "OnesLike": ["y"],
    "Softmax": ["softmax"], "LogSoftmax": ["logsoftmax"],
    "SelectV2": ["output"], "Select": ["output"],
    "Max": ["output"], "Min": ["output"], "Sum": ["output"], "Mean": ["output"], "Prod": ["output"],
    "All": ["output"], "Any": ["output"],
    "StridedSlice": ["output"], "GatherV2": ["output"], "ResourceGather": ["output"], "Reshape": ["output"],
    "ConcatV2": ["output"], "ExpandDims": ["output"], "Squeeze": ["output"], "Conv2D": ["output"],
    "DepthwiseConv2dNative": ["output"], "MatMul": ["product"], "BatchMatMulV2": ["output"],
    "BiasAdd": ["output"], "AvgPool": ["output"], "MaxPool": ["output"],
    "FusedBatchNormV3": ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2",
                         "reserve_space_3"],
    "ClipByValue": ["output"], "Shape": ["output"], "Size": ["output"], "Rank": ["output"],
    "StatelessIf": ["output*"], "If": ["output*"], "StatefulPartitionedCall": ["output*"],
    "PartitionedCall": ["output*"], "TopKV2": ["values", "indices"], "ArgMax": ["output"],
    "ArgMin": ["output"], "Switch": ["output_false", "output_true"], "Merge": ["output", "value_index"],
    "ReadVariableOp": ["value"], "VarHandleOp": ["resource"], "Pack": ["output"], "Fill": ["output"],
    "Tile": ["output"], "PadV2": ["output"], "MirrorPad": ["output"], "Range": ["output"],
    "Where": ["index"], "BroadcastTo": ["output"], "BroadcastArgs": ["r0"], "Einsum": ["output"],
    "Cumsum": ["out"], "SplitV": ["output*"], "TensorScatterUpdate": ["output"], "AddN": ["sum"],
    "RestoreV2": ["tensors*"], "StringJoin": ["output"], "ShardedFilename": ["filename"],
    "StaticRegexFullMatch": ["output"], "SaveV2": [], "MergeV2Checkpoints": [], "AssignVariableOp": [],
    "NoOp": [], "DisableCopyOnRead": [], "OneHot": ["output"], "GatherNd": ["output"],
    "NonMaxSuppressionV5": ["selected_indices", "selected_scores", "valid_outputs"],
    "ResizeBilinear": ["resized_images"], "ResizeNearestNeighbor": ["resized_images"],
}


def out_arg(op, idx):
    """(argument name, index within it) of flat output idx."""
    args = OUT_ARGS.get(op)
    if args is None:
        raise Unsupported("no output-arg table entry for TF op %s" % op)
    if len(args) == 1 and args[0].endswith("*"):
        return args[0][:-1], idx
    return args[idx], 0


def clean_name(s, lower=False):
    s = re.sub(r"[^A-Za-z0-9_./]", "_", s).strip("/")
    s = re.sub(r"/+", "/", s)
    if not s or not re.match(r"[A-Za-z0-9.]", s[0]):
        s = "n" + s
    if lower:
        s = re.sub(r"[^a-z0-9_]", "_", s.lower())
        if not re.match(r"[a-z]", s[0]):
            s = "a" + s
    return s


class TRef:
    """One TensorFlow tensor: output idx of node (or a function argument)."""
    __slots__ = ("node", "idx", "dtype", "op", "arg")

    def __init__(self, node, idx, dtype, op=None, arg=False):
        self.node, self.idx, self.dtype, self.op, self.arg = node, idx, dtype, op, arg


# ---- graph scopes ---------------------------------------------------------------

class Scope:
    """Nodes of one TensorFlow graph body: the main graph or a function."""

    def __init__(self, conv, kind, parent=None, fname=None):
        self.conv = conv
        self.kind = kind  # "main" | "function"
        self.parent = parent
        self.fname = fname
        self.nodes = []  # (name, op, inputs [TRef|"^name"], attrs)
        self.names = set()
        self.env = {}  # ONNX tensor name -> TRef
        self.args = []  # function args: (name, dtype)
        self.captures = []  # (parent TRef) for each captured arg, in arg order
        self.capture_map = {}
        self.weight_refs = {}
        self.const_cache = {}
        self.pivot = None  # tf1 cond branch: (pred TRef, branch bool, pivot node name, parent scope env)
        self.switch_cache = {}
        self.cond_parent = None

    def unique(self, hint):
        hint = clean_name(hint)
        n, i = hint, 0
        while n in self.names:
            i += 1
            n = "%s_%d" % (hint, i)
        self.names.add(n)
        return n

    def ref(self, t):
        if isinstance(t, str):
            return t
        if t.arg:
            return t.node if self.kind == "function" else t.node
        if self.kind == "function":
            a, k = out_arg(t.op, t.idx)
            return "%s:%s:%d" % (t.node, a, k)
        return t.node if t.idx == 0 else "%s:%d" % (t.node, t.idx)

    def op(self, op, inputs, attrs=None, name=None, dtypes=None, controls=()):
        """Adds a node; returns its output TRefs (dtypes: list, one per output)."""
        nm = self.unique(name or op)
        ins = list(inputs)
        if any(i is None for i in ins):
            raise Unsupported("internal: missing input for %s %s" % (op, nm))
        ctl = list(controls)
        if self.pivot is not None and not any(isinstance(x, TRef) for x in ins) and not ctl:
            ctl.append(self.pivot["pivot"])
        self.nodes.append((nm, op, ins + ["^" + c for c in ctl], dict(attrs or {})))
        return [TRef(nm, i, d, op) for i, d in enumerate(dtypes or [])]

    def op1(self, op, inputs, attrs=None, name=None, dtype=None, T=True):
        attrs = dict(attrs or {})
        if dtype is None:
            dtype = inputs[0].dtype
        if T and "T" not in attrs:
            attrs["T"] = a_type(inputs[0].dtype)
        return self.op(op, inputs, attrs, name, [dtype])[0]

    def const(self, value, name="Const", dtype=None):
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=tp.DT2NP[dtype])
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(np.float32)
        dt = tp.dt_of(arr)
        return self.op("Const", [], {"dtype": a_type(dt), "value": a_tensor(tp.tensor_proto(arr, dt))},
                       name, [dt])[0]

    def serialize_nodes(self):
        out = []
        for nm, op, ins, attrs in self.nodes:
            out.append(tp.node_def(nm, op, [self.ref(i) for i in ins], attrs))
        return out


# ---- converter --------------------------------------------------------------------

class Converter:
    def __init__(self, model, style, model_name):
        self.model = model
        self.style = style
        self.model_name = clean_name(model_name, lower=True)
        try:
            self.inferred = shape_inference.infer_shapes(model, data_prop=True)
        except Exception:
            try:
                self.inferred = shape_inference.infer_shapes(model)
            except Exception:
                self.inferred = model
        self.types = {}
        self.shapes = {}
        self._collect_info(self.inferred.graph)
        self.opset = 13
        for o in model.opset_import:
            if o.domain in ("", "ai.onnx"):
                self.opset = o.version
        self.variables = []  # (var name, array)
        self.var_by_key = {}
        self.functions = []  # serialized FunctionDefs (branch functions etc.)
        self.fn_counter = [1000]
        self.used_ops = set()
        self.nonzero = set()

    def _collect_info(self, g):
        for vi in list(g.input) + list(g.output) + list(g.value_info):
            tt = vi.type.tensor_type
            if tt.elem_type:
                self.types[vi.name] = ONNX2DT.get(tt.elem_type)
            if tt.HasField("shape"):
                self.shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        for t in g.initializer:
            self.types[t.name] = ONNX2DT.get(t.data_type)
            self.shapes[t.name] = list(t.dims)
        for n in g.node:
            if n.op_type == "Constant":
                for a in n.attribute:
                    if a.name == "value":
                        self.types[n.output[0]] = ONNX2DT.get(a.t.data_type)
                        self.shapes[n.output[0]] = list(a.t.dims)
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    self._collect_info(a.g)

    def fn_name(self, base):
        self.fn_counter[0] += 7
        return "__inference_%s_%d" % (base, self.fn_counter[0])

    # --- weights -------------------------------------------------------------------
    def weight(self, scope, key, array, name_hint):
        """A TRef in `scope` holding `array` (a weight): a Const (tf1), a
        ReadVariableOp of a resource argument (tf2 call function), or a captured
        argument (tf2 nested function)."""
        array = np.ascontiguousarray(array)
        if self.style == "tf1" or array.dtype.kind not in "f" or array.size <= 1:
            if key in scope.const_cache:
                return scope.const_cache[key]
            if self.style == "tf1" and scope.pivot is not None and array.size > 1:
                # weights of a cond branch are Consts of the outer frame, switched in
                outer = self.weight(scope.pivot["outer"], key, array, name_hint)
                return self.switched(scope, outer)
            r = scope.const(array, name=name_hint)
            scope.const_cache[key] = r
            return r
        if scope.kind == "function" and scope.parent is not None and scope.parent.kind == "function":
            outer = self.weight(scope.parent, key, array, name_hint)
            return self.capture(scope, outer)
        if key in scope.weight_refs:
            return scope.weight_refs[key]
        handle = self.resource_arg(scope, key, array, name_hint)
        vn, arr = self.variables[self.var_by_key[key]]
        r = scope.op("ReadVariableOp", [handle], {"dtype": a_type(tp.dt_of(arr))},
                     vn.split("/")[-1] + "/ReadVariableOp", [tp.dt_of(arr)])[0]
        scope.weight_refs[key] = r
        return r

    def resource_arg(self, scope, key, array, name_hint):
        """The resource argument of the (tf2) call function for a weight."""
        if key not in self.var_by_key:
            base = clean_name(name_hint).replace(".", "_")
            names = {v[0] for v in self.variables}
            vn, i = base, 0
            while vn in names:
                i += 1
                vn = "%s_%d" % (base, i)
            self.variables.append((vn, array))
            self.var_by_key[key] = len(self.variables) - 1
        vi = self.var_by_key[key]
        for an, v in scope.resource_args:
            if v == vi:
                return TRef(an, 0, DT_RESOURCE, arg=True)
        vn, arr = self.variables[vi]
        argname = clean_name(vn.replace("/", "_") + "_readvariableop_resource", lower=True)
        used = {a[0] for a in scope.args}
        a0, j = argname, 0
        while argname in used:
            j += 1
            argname = "%s_%d" % (a0, j)
        scope.args.append((argname, DT_RESOURCE))
        scope.resource_args.append((argname, vi))
        return TRef(argname, 0, DT_RESOURCE, arg=True)

    def capture(self, scope, outer):
        k = (outer.node, outer.idx, outer.arg)
        if k in scope.capture_map:
            return scope.capture_map[k]
        nm = clean_name(outer.node.split("/")[-1] + ("_%d" % outer.idx if outer.idx else ""), lower=True)
        used = {a[0] for a in scope.args}
        n0, j = nm, 0
        while nm in used:
            j += 1
            nm = "%s_%d" % (n0, j)
        scope.args.append((nm, outer.dtype))
        scope.captures.append(outer)
        r = TRef(nm, 0, outer.dtype, arg=True)
        scope.capture_map[k] = r
        return r

    def switched(self, scope, outer):
        """tf1 cond: an outer tensor seen from a branch goes through Switch."""
        pv = scope.pivot
        k = (outer.node, outer.idx)
        if k in pv["cache"]:
            sw = pv["cache"][k]
        else:
            sw = scope.op("Switch", [outer, pv["pred"]], {"T": a_type(outer.dtype)},
                          pv["prefix"] + "/Switch", [outer.dtype, outer.dtype])
            pv["cache"][k] = sw
        return sw[1] if pv["branch"] else sw[0]

    # --- ONNX value lookup ------------------------------------------------------------
    def lookup(self, scope, name):
        if name in scope.env:
            return scope.env[name]
        init = scope.inits.get(name)
        if init is not None:
            return self.weight(scope, ("w", name, None), init, name)
        if scope.onnx_parent is not None:
            outer_scope = scope.onnx_parent
            outer = self.lookup(outer_scope, name)
            if self.style == "tf1":
                return self.switched(scope, outer)
            return self.capture(scope, outer)
        raise Unsupported("tensor %r has no producer" % name)

    def const_value(self, scope, name):
        s = scope
        while s is not None:
            if name in s.inits:
                return s.inits[name]
            if name in s.env:
                return s.constvals.get(name)
            s = s.onnx_parent
        return None

    # --- graph conversion -------------------------------------------------------------
    def convert_graph(self, g, scope):
        for t in g.initializer:
            scope.inits[t.name] = numpy_helper.to_array(t)
        for n in g.node:
            self.used_ops.add(n.op_type)
            if n.domain not in ("", "ai.onnx"):
                raise Unsupported("op %s::%s" % (n.domain, n.op_type))
            fn = OPS.get(n.op_type)
            if fn is None:
                raise Unsupported("ONNX op %s" % n.op_type)
            ctx = NodeCtx(self, scope, n)
            outs = fn(ctx)
            if not isinstance(outs, (list, tuple)):
                outs = [outs]
            self._track_nonzero(n, scope)
            self._fill_rank(n)
            for name, r in zip(n.output, outs):
                if name:
                    if r is None:
                        raise Unsupported("%s output %s is not translated" % (n.op_type, name))
                    scope.env[name] = r
            for i, name in enumerate(n.output):
                if name and i >= len(outs):
                    raise Unsupported("%s output #%d (%s) is not translated" % (n.op_type, i, name))

    SAME_RANK = {"Relu", "Sigmoid", "Tanh", "Abs", "Neg", "Sqrt", "Exp", "Log", "Erf", "Floor", "Ceil", "Clip",
                 "Identity", "Cast", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                 "BatchNormalization", "Softmax", "LogSoftmax", "HardSigmoid", "HardSwish", "LeakyRelu", "Not",
                 "Concat", "Split", "Slice", "Dropout", "Pad", "Resize", "LayerNormalization", "IsNaN", "Round",
                 "Sign", "Reciprocal", "PRelu", "Elu", "CumSum", "ScatterElements", "ScatterND", "Tile"}
    ELEMWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Greater", "Less", "GreaterOrEqual",
                "LessOrEqual", "And", "Or", "Xor", "Where", "Max", "Min", "Sum", "Mean"}

    def _fill_rank(self, n):
        """Ranks the ONNX shape inference left unknown (computed shapes)."""
        def rank(name):
            sh = self.shapes.get(name)
            return None if sh is None else len(sh)
        outs = [o for o in n.output if o and self.shapes.get(o) is None]
        if not outs:
            return
        t = n.op_type
        r = None
        if t in self.SAME_RANK:
            r = rank(n.input[0])
        elif t in self.ELEMWISE:
            rs = [rank(i) for i in n.input if i]
            r = None if any(x is None for x in rs) else max(rs)
        elif t == "Reshape":
            sh = self.shapes.get(n.input[1])
            r = sh[0] if sh and len(sh) == 1 else None
        elif t == "Transpose":
            perm = [onnx.helper.get_attribute_value(a) for a in n.attribute if a.name == "perm"]
            r = len(perm[0]) if perm else rank(n.input[0])
        if r is not None:
            for o in outs:
                self.shapes[o] = [None] * r

    def _track_nonzero(self, n, scope):
        """Integer tensors known to hold no 0 (shape arithmetic), so that a
        computed Reshape target needs no 0 -> "copy the input dim" rewrite."""
        nz = self.nonzero
        t = n.op_type
        ok = False
        if t == "Shape":
            ok = True
        elif t == "Constant":
            v = self.const_value(scope, n.output[0]) if n.output[0] in scope.constvals else None
            for a in n.attribute:
                if a.name == "value":
                    v = numpy_helper.to_array(a.t)
                elif a.name in ("value_int", "value_ints"):
                    v = np.array(onnx.helper.get_attribute_value(a))
            ok = v is not None and v.dtype.kind in "iu" and not np.any(v == 0)
        elif t in ("Concat", "Mul", "Max"):
            ok = all(self._nz(scope, i) for i in n.input if i)
        elif t in ("Slice", "Gather", "Unsqueeze", "Squeeze", "Reshape", "Identity", "Cast", "Expand", "Tile"):
            ok = self._nz(scope, n.input[0])
        if ok:
            for o in n.output:
                nz.add(o)

    def _nz(self, scope, name):
        if name in self.nonzero:
            return True
        v = self.const_value(scope, name)
        return v is not None and v.dtype.kind in "iu" and not np.any(v == 0)

    def new_scope(self, kind, parent=None, onnx_parent=None, fname=None):
        s = Scope(self, kind, parent, fname)
        s.inits = {}
        s.onnx_parent = onnx_parent
        s.resource_args = []
        s.constvals = {}
        return s


class NodeCtx:
    def __init__(self, conv, scope, node):
        self.c, self.s, self.n = conv, scope, node
        self.attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        base = node.name or (node.op_type + "_" + (node.output[0] if node.output else ""))
        self.hint = clean_name(base)

    def attr(self, k, default=None):
        v = self.attrs.get(k, default)
        if isinstance(v, bytes):
            v = v.decode()
        return v

    def has(self, i):
        return len(self.n.input) > i and self.n.input[i] != ""

    def inp(self, i):
        if not self.has(i):
            return None
        return self.c.lookup(self.s, self.n.input[i])

    def cval(self, i):
        if not self.has(i):
            return None
        return self.c.const_value(self.s, self.n.input[i])

    def rank(self, i=0):
        sh = self.c.shapes.get(self.n.input[i])
        return None if sh is None else len(sh)

    def shape(self, i=0):
        return self.c.shapes.get(self.n.input[i])

    def out_shape(self, i=0):
        return self.c.shapes.get(self.n.output[i])

    def out_dtype(self, i=0, default=None):
        return self.c.types.get(self.n.output[i]) or default

    def op(self, op, inputs, attrs=None, suffix=None, dtype=None, T=True):
        return self.s.op1(op, inputs, attrs, self.hint + ("/" + suffix if suffix else ""), dtype, T)

    def opn(self, op, inputs, attrs, dtypes, suffix=None):
        return self.s.op(op, inputs, attrs, self.hint + ("/" + suffix if suffix else ""), dtypes)

    def const(self, v, suffix="Const", dtype=None):
        return self.s.const(v, self.hint + "/" + suffix, dtype)

    def weight(self, i, transform=None, key=None, suffix=None):
        """Input i as a weight when it is a constant (optionally transformed)."""
        v = self.cval(i)
        if v is None:
            return None
        if transform is not None:
            v = transform(v)
        name = self.n.input[i]
        if suffix:
            name = name + "/" + suffix
        return self.c.weight(self.s, ("w", self.n.input[i], key), v, name)

    def mark_const(self, out_name_idx, value):
        self.s.constvals[self.n.output[out_name_idx]] = value


def norm_axis(a, r):
    return a + r if a < 0 else a


# ---- op translations ------------------------------------------------------------------

BINARY = {"Add": "AddV2", "Sub": "Sub", "Mul": "Mul", "Pow": "Pow", "Equal": "Equal", "Greater": "Greater",
          "Less": "Less", "GreaterOrEqual": "GreaterEqual", "LessOrEqual": "LessEqual", "And": "LogicalAnd",
          "Or": "LogicalOr", "Xor": "NotEqual", "BitShift": None}
COMPARE = {"Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor"}
UNARY = {"Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Abs": "Abs", "Neg": "Neg", "Sqrt": "Sqrt",
         "Exp": "Exp", "Log": "Log", "Erf": "Erf", "Floor": "Floor", "Ceil": "Ceil", "Round": "Round",
         "Sign": "Sign", "Reciprocal": "Reciprocal", "Sin": "Sin", "Cos": "Cos", "Softplus": "Softplus",
         "Identity": "Identity", "Not": "LogicalNot", "IsNaN": "IsNan"}


def op_binary(c):
    t = c.n.op_type
    a, b = c.inp(0), c.inp(1)
    if t == "Pow" and b.dtype != a.dtype:
        b = c.op("Cast", [b], {"SrcT": a_type(b.dtype), "DstT": a_type(a.dtype), "Truncate": a_b(False)},
                 "Cast", a.dtype, T=False)
    dt = DT_BOOL if t in COMPARE else a.dtype
    attrs = {}
    if t == "Equal":
        attrs["incompatible_shape_error"] = a_b(True)
    if t in ("And", "Or"):
        return c.op(BINARY[t], [a, b], attrs, dtype=DT_BOOL, T=False)
    if t == "Xor":
        attrs["incompatible_shape_error"] = a_b(True)
    return c.op(BINARY[t], [a, b], attrs, dtype=dt)


def op_div(c):
    a, b = c.inp(0), c.inp(1)
    return c.op("RealDiv" if a.dtype in FLOATS else "TruncateDiv", [a, b])


def op_mod(c):
    a, b = c.inp(0), c.inp(1)
    return c.op("TruncateMod" if c.attr("fmod", 0) else "FloorMod", [a, b])


def op_unary(c):
    t = c.n.op_type
    x = c.inp(0)
    if t == "Not":
        return c.op("LogicalNot", [x], dtype=DT_BOOL, T=False)
    if t == "IsNaN":
        return c.op("IsNan", [x], dtype=DT_BOOL)
    if t == "Identity" and x.dtype == DT_RESOURCE:
        raise Unsupported("Identity of a resource")
    return c.op(UNARY[t], [x])


def op_dropout(c):
    if len(c.n.output) > 1 and c.n.output[1]:
        raise Unsupported("Dropout mask output")
    return c.op("Identity", [c.inp(0)])


def op_isinf(c):
    x = c.inp(0)
    pos, neg = c.attr("detect_positive", 1), c.attr("detect_negative", 1)
    inf = c.op("IsInf", [x], dtype=DT_BOOL)
    if pos and neg:
        return inf
    z = c.const(np.zeros((), tp.DT2NP[x.dtype]), "zero")
    side = c.op("Greater" if pos else "Less", [x, z], suffix="sign", dtype=DT_BOOL)
    if not pos and not neg:
        return c.op("LogicalAnd", [inf, c.op("LogicalNot", [inf], suffix="not", dtype=DT_BOOL, T=False)],
                    suffix="none", dtype=DT_BOOL, T=False)
    return c.op("LogicalAnd", [inf, side], suffix="and", dtype=DT_BOOL, T=False)


def op_leakyrelu(c):
    return c.op("LeakyRelu", [c.inp(0)], {"alpha": a_f(c.attr("alpha", 0.01))})


def op_elu(c):
    x = c.inp(0)
    alpha = c.attr("alpha", 1.0)
    if alpha == 1.0:
        return c.op("Elu", [x])
    e = c.op("Elu", [x], suffix="elu")
    neg = c.op("Mul", [e, c.const(np.array(alpha, tp.DT2NP[x.dtype]), "alpha")], suffix="scaled")
    zero = c.const(np.zeros((), tp.DT2NP[x.dtype]), "zero")
    return c.op("SelectV2", [c.op("Less", [x, zero], suffix="neg", dtype=DT_BOOL), neg, x])


def op_hardsigmoid(c):
    x = c.inp(0)
    npd = tp.DT2NP[x.dtype]
    y = c.op("AddV2", [c.op("Mul", [x, c.const(np.array(c.attr("alpha", 0.2), npd), "alpha")], suffix="mul"),
                       c.const(np.array(c.attr("beta", 0.5), npd), "beta")], suffix="add")
    return c.op("ClipByValue", [y, c.const(np.array(0, npd), "lo"), c.const(np.array(1, npd), "hi")])


def op_prelu(c):
    x = c.inp(0)
    slope = c.weight(1) or c.inp(1)
    zero = c.const(np.zeros((), tp.DT2NP[x.dtype]), "zero")
    pos = c.op("Greater", [x, zero], suffix="pos", dtype=DT_BOOL)
    return c.op("SelectV2", [pos, x, c.op("Mul", [x, slope], suffix="mul")])


def op_nary(c):
    t = c.n.op_type
    tfop = {"Max": "Maximum", "Min": "Minimum", "Sum": "AddV2", "Mean": "AddV2"}[t]
    ins = [c.inp(i) for i in range(len(c.n.input))]
    acc = ins[0]
    for i, x in enumerate(ins[1:]):
        acc = c.op(tfop, [acc, x], suffix=None if (i == len(ins) - 2 and t != "Mean") else "acc%d" % i)
    if len(ins) == 1:
        acc = c.op("Identity", [acc])
    if t == "Mean":
        acc = c.op("RealDiv", [acc, c.const(np.array(len(ins), tp.DT2NP[acc.dtype]), "n")])
    return acc


def op_where(c):
    return c.op("SelectV2", [c.inp(0), c.inp(1), c.inp(2)], {"T": a_type(c.inp(1).dtype)}, dtype=c.inp(1).dtype)


def op_cast(c):
    x = c.inp(0)
    to = ONNX2DT[c.attr("to")] if c.n.op_type == "Cast" else c.inp(1).dtype
    return c.op("Cast", [x], {"SrcT": a_type(x.dtype), "DstT": a_type(to), "Truncate": a_b(False)},
                dtype=to, T=False)


def op_clip(c):
    x = c.inp(0)
    npd = tp.DT2NP[x.dtype]
    if c.c.opset < 11:
        lo, hi = c.attr("min"), c.attr("max")
        lo = c.const(np.array(-np.inf if lo is None else lo, npd), "min")
        hi = c.const(np.array(np.inf if hi is None else hi, npd), "max")
    else:
        info = np.finfo(npd) if npd.kind == "f" else np.iinfo(npd)
        lo = c.inp(1) if c.has(1) else c.const(np.array(-np.inf if npd.kind == "f" else info.min, npd), "min")
        hi = c.inp(2) if c.has(2) else c.const(np.array(np.inf if npd.kind == "f" else info.max, npd), "max")
    # ClipByValue is min(max(x, lo), hi), as ONNX Clip
    return c.op("ClipByValue", [x, lo, hi])


def reduce_axes(c):
    axes = c.attr("axes")
    if axes is None and c.has(1):
        axes = c.cval(1)
        if axes is None:
            raise Unsupported("%s with computed axes" % c.n.op_type)
        axes = [int(a) for a in np.asarray(axes).reshape(-1)]
    return axes


def op_reduce(c):
    t = c.n.op_type
    x = c.inp(0)
    axes = reduce_axes(c)
    keep = bool(c.attr("keepdims", 1))
    r = c.rank(0)
    if not axes:
        if c.attr("noop_with_empty_axes", 0):
            return c.op("Identity", [x])
        if r is None:
            raise Unsupported("%s over all axes of unknown rank" % t)
        axes = list(range(r))
    tfop = {"ReduceMax": "Max", "ReduceMin": "Min", "ReduceSum": "Sum", "ReduceMean": "Mean",
            "ReduceProd": "Prod", "ReduceL2": "Sum", "ReduceSumSquare": "Sum", "ReduceL1": "Sum",
            "ReduceLogSumExp": None, "ReduceLogSum": "Sum"}[t]
    idx = c.const(np.array(axes, np.int32), "reduction_indices")
    attrs = {"keep_dims": a_b(keep), "Tidx": a_type(DT_INT32)}
    if x.dtype == DT_BOOL and t in ("ReduceMax", "ReduceMin"):
        return c.op("Any" if t == "ReduceMax" else "All", [x, idx], attrs, dtype=DT_BOOL, T=False)
    if t == "ReduceL2":
        s = c.op("Sum", [c.op("Square", [x], suffix="square"), idx], attrs, suffix="sum")
        return c.op("Sqrt", [s])
    if t == "ReduceSumSquare":
        return c.op("Sum", [c.op("Square", [x], suffix="square"), idx], attrs)
    if t == "ReduceL1":
        return c.op("Sum", [c.op("Abs", [x], suffix="abs"), idx], attrs)
    if t == "ReduceLogSum":
        return c.op("Log", [c.op("Sum", [x, idx], attrs, suffix="sum")])
    if tfop is None:
        raise Unsupported(t)
    return c.op(tfop, [x, idx], attrs)


def op_argmax(c):
    x = c.inp(0)
    if c.attr("select_last_index", 0):
        raise Unsupported("%s select_last_index" % c.n.op_type)
    r = c.rank(0)
    axis = c.attr("axis", 0)
    if axis < 0:
        if r is None:
            raise Unsupported("ArgMax negative axis, unknown rank")
        axis += r
    y = c.op("ArgMax" if c.n.op_type == "ArgMax" else "ArgMin", [x, c.const(np.array(axis, np.int32), "dimension")],
             {"Tidx": a_type(DT_INT32), "output_type": a_type(DT_INT64)},
             suffix="arg" if c.attr("keepdims", 1) else None, dtype=DT_INT64)
    if c.attr("keepdims", 1):
        y = c.op("ExpandDims", [y, c.const(np.array(axis, np.int32), "axis")], {"Tdim": a_type(DT_INT32)})
    return y


def softmax_axis(c):
    r = c.rank(0)
    axis = c.attr("axis", -1 if c.c.opset >= 13 else 1)
    if r is None:
        if axis == -1:
            return -1, None
        raise Unsupported("Softmax with unknown rank")
    return norm_axis(axis, r), r


def op_softmax(c):
    x = c.inp(0)
    tfop = "Softmax" if c.n.op_type == "Softmax" else "LogSoftmax"
    axis, r = softmax_axis(c)
    if r is None or axis == r - 1:
        return c.op(tfop, [x])
    if c.c.opset >= 13:
        perm = list(range(r))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        p = c.const(np.array(perm, np.int32), "perm")
        t = c.op("Transpose", [x, p], {"Tperm": a_type(DT_INT32)}, suffix="transpose_in")
        y = c.op(tfop, [t], suffix="softmax")
        return c.op("Transpose", [y, p], {"Tperm": a_type(DT_INT32)})
    sh = c.shape(0)
    if sh is None or any(d is None for d in sh[axis:]):
        raise Unsupported("opset<13 Softmax on a non-last axis with dynamic shape")
    inner = int(np.prod(sh[axis:]))
    t = c.op("Reshape", [x, c.const(np.array([-1, inner], np.int64), "shape2d")], {"Tshape": a_type(DT_INT64)},
             suffix="flat")
    y = c.op(tfop, [t], suffix="softmax")
    shp = c.op("Shape", [x], {"out_type": a_type(DT_INT64)}, suffix="shape", dtype=DT_INT64)
    return c.op("Reshape", [y, shp], {"Tshape": a_type(DT_INT64)})


def op_matmul(c):
    a, b = c.inp(0), c.inp(1)
    ra, rb = c.rank(0), c.rank(1)
    bw = c.weight(1)
    if bw is not None:
        b = bw
    if ra == 2 and rb == 2:
        return c.op("MatMul", [a, b], {"transpose_a": a_b(False), "transpose_b": a_b(False)})
    if ra is None or rb is None:
        raise Unsupported("MatMul with unknown ranks")
    if ra == 1 or rb == 1:
        a2 = c.op("ExpandDims", [a, c.const(np.array(0, np.int32), "ax0")], {"Tdim": a_type(DT_INT32)},
                  suffix="expand_a") if ra == 1 else a
        b2 = c.op("ExpandDims", [b, c.const(np.array(-1, np.int32), "ax1")], {"Tdim": a_type(DT_INT32)},
                  suffix="expand_b") if rb == 1 else b
        y = c.op("BatchMatMulV2", [a2, b2], {"adj_x": a_b(False), "adj_y": a_b(False)}, suffix="bmm")
        sq = ([-2] if ra == 1 else []) + ([-1] if rb == 1 else [])
        return c.op("Squeeze", [y], {"squeeze_dims": a_list(i=sq)})
    return c.op("BatchMatMulV2", [a, b], {"adj_x": a_b(False), "adj_y": a_b(False)})


def op_gemm(c):
    alpha, beta = c.attr("alpha", 1.0), c.attr("beta", 1.0)
    ta, tb = c.attr("transA", 0), c.attr("transB", 0)
    a = c.inp(0)
    bw = c.cval(1)
    if bw is not None:
        # store the kernel the way Keras Dense does: [in, out]
        b = c.weight(1, transform=(lambda w: np.ascontiguousarray(w.T)) if tb else None,
                     key="T" if tb else None, suffix="kernel" if tb else None)
        tb = 0
    else:
        b = c.inp(1)
    y = c.op("MatMul", [a, b], {"transpose_a": a_b(bool(ta)), "transpose_b": a_b(bool(tb))},
             suffix="MatMul" if (c.has(2) or alpha != 1.0) else None)
    if alpha != 1.0:
        y = c.op("Mul", [y, c.const(np.array(alpha, np.float32), "alpha")],
                 suffix="alpha" if c.has(2) else None)
    if c.has(2):
        cv = c.cval(2)
        if cv is not None and beta == 1.0 and cv.ndim == 1:
            return c.op("BiasAdd", [y, c.weight(2)], {"data_format": a_s("NHWC")})
        cc = c.weight(2) if cv is not None else c.inp(2)
        if beta != 1.0:
            cc = c.op("Mul", [cc, c.const(np.array(beta, np.float32), "beta")], suffix="beta")
        return c.op("AddV2", [y, cc])
    return y


NCHW2NHWC = [0, 2, 3, 1]
NHWC2NCHW = [0, 3, 1, 2]


def transpose(c, x, perm, suffix):
    # cancel a transpose of a transpose (NHWC -> NCHW -> NHWC)
    src = getattr(c.s, "transposes", {}).get((x.node, x.idx))
    if src is not None:
        inner, p0 = src
        if [p0[i] for i in perm] == list(range(len(perm))):
            return inner
    y = c.op("Transpose", [x, c.const(np.array(perm, np.int32), suffix + "/perm")], {"Tperm": a_type(DT_INT32)},
             suffix=suffix)
    if not hasattr(c.s, "transposes"):
        c.s.transposes = {}
    c.s.transposes[(y.node, y.idx)] = (x, perm)
    return y


def spatial_padding(c, kshape, nd=2):
    """TF padding attrs for ONNX pads/auto_pad: (padding, explicit list or None)."""
    ap = c.attr("auto_pad", "NOTSET")
    if ap == "VALID":
        return "VALID", None
    if ap in ("SAME_UPPER",):
        return "SAME", None
    if ap == "SAME_LOWER":
        raise Unsupported("auto_pad SAME_LOWER")
    pads = c.attr("pads", [0] * (2 * nd))
    if not any(pads):
        return "VALID", None
    return "EXPLICIT", [0, 0] + [v for i in range(nd) for v in (pads[i], pads[i + nd])] + [0, 0]


def op_conv(c):
    x = c.inp(0)
    r = c.rank(0)
    if r != 4:
        raise Unsupported("Conv with rank %s input (only 2-D convolutions)" % r)
    w = c.cval(1)
    group = c.attr("group", 1)
    strides = c.attr("strides", [1, 1])
    dil = c.attr("dilations", [1, 1])
    wshape = list(w.shape) if w is not None else c.shape(1)
    if wshape is None or any(d is None for d in wshape) or len(wshape) != 4:
        raise Unsupported("Conv with a kernel of unknown shape")
    cout, cin_g, kh, kw = wshape
    padding, explicit = spatial_padding(c, (kh, kw))
    xt = transpose(c, x, NCHW2NHWC, "to_nhwc")
    attrs = {"strides": a_list(i=[1] + list(strides) + [1]), "dilations": a_list(i=[1] + list(dil) + [1]),
             "padding": a_s(padding), "data_format": a_s("NHWC")}
    if explicit:
        attrs["explicit_paddings"] = a_list(i=explicit)
    depthwise = group > 1 and cin_g == 1
    if w is not None:
        if depthwise:
            mult = cout // group
            k = c.weight(1, transform=lambda v: np.ascontiguousarray(
                v.reshape(group, mult, kh, kw).transpose(2, 3, 0, 1)), key="depthwise", suffix="depthwise_kernel")
        else:
            k = c.weight(1, transform=lambda v: np.ascontiguousarray(v.transpose(2, 3, 1, 0)), key="HWIO",
                         suffix="kernel")
    else:
        # a computed kernel (e.g. an Identity of a shared initializer): OIHW -> HWIO at run time
        k = c.inp(1)
        if depthwise:
            k = c.op("Reshape", [k, c.const(np.array([group, cout // group, kh, kw], np.int64), "kernel_shape")],
                     {"Tshape": a_type(DT_INT64)}, suffix="kernel_reshape")
            k = c.op("Transpose", [k, c.const(np.array([2, 3, 0, 1], np.int32), "kernel_perm")],
                     {"Tperm": a_type(DT_INT32)}, suffix="depthwise_kernel")
        else:
            k = c.op("Transpose", [k, c.const(np.array([2, 3, 1, 0], np.int32), "kernel_perm")],
                     {"Tperm": a_type(DT_INT32)}, suffix="kernel")
    if depthwise:
        y = c.op("DepthwiseConv2dNative", [xt, k], attrs, suffix="depthwise")
    else:
        # group > 1 with C_in/group > 1 is a grouped convolution, written the way
        # Keras Conv2D(groups=g) does: the filter's in-depth is C_in / g
        attrs["use_cudnn_on_gpu"] = a_b(True)
        y = c.op("Conv2D", [xt, k], attrs, suffix="Conv2D")
    if c.has(2):
        y = c.op("BiasAdd", [y, c.weight(2) or c.inp(2)], {"data_format": a_s("NHWC")}, suffix="BiasAdd")
    return transpose(c, y, NHWC2NCHW, "to_nchw")


def op_pool(c):
    t = c.n.op_type
    x = c.inp(0)
    if c.rank(0) != 4:
        raise Unsupported("%s on rank %s" % (t, c.rank(0)))
    if len(c.n.output) > 1 and c.n.output[1]:
        raise Unsupported("MaxPool indices output")
    xt = transpose(c, x, NCHW2NHWC, "to_nhwc")
    if t in ("GlobalAveragePool", "GlobalMaxPool"):
        y = c.op("Mean" if t == "GlobalAveragePool" else "Max", [x, c.const(np.array([2, 3], np.int32), "axes")],
                 {"keep_dims": a_b(True), "Tidx": a_type(DT_INT32)})
        return y
    k = c.attr("kernel_shape")
    strides = c.attr("strides", [1, 1])
    if any(d != 1 for d in c.attr("dilations", [1, 1])):
        raise Unsupported("%s dilations" % t)
    padding, explicit = spatial_padding(c, k)
    if c.attr("ceil_mode", 0):
        # ceil_mode: pad the end so the last partial window exists (the
        # window must start inside the input or the begin padding)
        sh = c.shape(0)
        if t != "MaxPool" or padding == "SAME" or sh is None or sh[2] is None or sh[3] is None:
            raise Unsupported("%s ceil_mode" % t)
        pads = explicit or [0] * 8
        for d, (ib, ie) in enumerate(((2, 3), (4, 5))):
            size = sh[2 + d] + pads[ib] + pads[ie]
            out = -(-(size - k[d]) // strides[d]) + 1
            if (out - 1) * strides[d] >= sh[2 + d] + pads[ib]:
                out -= 1
            need = (out - 1) * strides[d] + k[d] - size
            if need > 0:
                pads[ie] += need
        explicit = pads if any(pads) else None
        padding = "EXPLICIT" if explicit else "VALID"
    attrs = {"ksize": a_list(i=[1] + list(k) + [1]), "strides": a_list(i=[1] + list(strides) + [1]),
             "data_format": a_s("NHWC")}
    if explicit:
        pads = explicit
        if t == "MaxPool":
            fill = np.array(-np.inf if tp.DT2NP[x.dtype].kind == "f" else np.iinfo(tp.DT2NP[x.dtype]).min,
                            tp.DT2NP[x.dtype])
        else:
            if not c.attr("count_include_pad", 0):
                raise Unsupported("AveragePool with explicit pads and count_include_pad=0")
            fill = np.zeros((), tp.DT2NP[x.dtype])
        xt = c.op("PadV2", [xt, c.const(np.array(pads, np.int32).reshape(4, 2), "paddings"), c.const(fill, "fill")],
                  {"Tpaddings": a_type(DT_INT32)}, suffix="pad")
        padding = "VALID"
    attrs["padding"] = a_s(padding)
    if t == "AveragePool" and padding == "SAME" and c.attr("count_include_pad", 0):
        raise Unsupported("AveragePool SAME with count_include_pad")
    y = c.op("MaxPool" if t == "MaxPool" else "AvgPool", [xt], attrs, suffix="pool")
    return transpose(c, y, NHWC2NCHW, "to_nchw")


def op_batchnorm(c):
    x = c.inp(0)
    if c.attr("training_mode", 0) or (len(c.n.output) > 1 and any(c.n.output[1:])):
        raise Unsupported("BatchNormalization in training mode")
    eps = c.attr("epsilon", 1e-5)
    r = c.rank(0)
    if r == 4 and x.dtype == DT_FLOAT:
        xt = transpose(c, x, NCHW2NHWC, "to_nhwc")
        ins = [xt] + [(c.weight(i) or c.inp(i)) for i in (1, 2, 3, 4)]
        y = c.opn("FusedBatchNormV3", ins, {"T": a_type(DT_FLOAT), "U": a_type(DT_FLOAT), "epsilon": a_f(eps),
                                              "data_format": a_s("NHWC"), "is_training": a_b(False),
                                              "exponential_avg_factor": a_f(1.0)},
                  [DT_FLOAT] * 6, suffix="FusedBatchNormV3")[0]
        return transpose(c, y, NHWC2NCHW, "to_nchw")
    # other ranks: y = (x - mean) * scale / sqrt(var + eps) + bias, per channel (axis 1)
    if r is None:
        raise Unsupported("BatchNormalization with unknown rank")
    shp = [1, -1] + [1] * (r - 2)
    sc, b, m, v = (c.cval(i) for i in (1, 2, 3, 4))
    if any(t is None for t in (sc, b, m, v)):
        raise Unsupported("BatchNormalization with computed statistics")
    npd = tp.DT2NP[x.dtype]
    mul = (sc / np.sqrt(v.astype(np.float32) + np.float32(eps))).astype(npd)
    add = (b - m * mul).astype(npd)
    y = c.op("Mul", [x, c.c.weight(c.s, ("bn_mul", c.n.input[1]), mul.reshape(shp), c.n.input[1] + "/mul")],
             suffix="mul")
    return c.op("AddV2", [y, c.c.weight(c.s, ("bn_add", c.n.input[2]), add.reshape(shp), c.n.input[2] + "/add")])


def op_layernorm(c):
    x = c.inp(0)
    if len(c.n.output) > 1 and any(c.n.output[1:]):
        raise Unsupported("LayerNormalization Mean/InvStdDev outputs")
    r = c.rank(0)
    axis = c.attr("axis", -1)
    if r is None:
        if axis != -1:
            raise Unsupported("LayerNormalization with unknown rank")
        axes = [-1]
    else:
        axes = list(range(norm_axis(axis, r), r))
    eps = c.attr("epsilon", 1e-5)
    npd = tp.DT2NP[x.dtype]
    idx = c.const(np.array(axes, np.int32), "axes")
    ka = {"keep_dims": a_b(True), "Tidx": a_type(DT_INT32)}
    mean = c.op("Mean", [x, idx], ka, suffix="mean")
    d = c.op("Sub", [x, mean], suffix="sub")
    var = c.op("Mean", [c.op("Square", [d], suffix="square"), idx], ka, suffix="variance")
    inv = c.op("Rsqrt", [c.op("AddV2", [var, c.const(np.array(eps, npd), "epsilon")], suffix="add_eps")],
               suffix="rsqrt")
    y = c.op("Mul", [d, inv], suffix="normalized")
    y = c.op("Mul", [y, c.weight(1) or c.inp(1)], suffix="scale" if c.has(2) else None)
    if c.has(2):
        y = c.op("AddV2", [y, c.weight(2) or c.inp(2)])
    return y


def op_reshape(c):
    x = c.inp(0)
    shp = c.cval(1)
    if shp is None:
        s = c.inp(1)
        if c.attr("allowzero", 0) or c.c._nz(c.s, c.n.input[1]):
            return c.op("Reshape", [x, s], {"Tshape": a_type(s.dtype)})
        # a computed target may hold 0 = "copy that input dim": select it in
        sl = c.shape(1)
        n = sl[0] if sl else None
        r = c.rank(0)
        if n is None or r is None or n > r:
            raise Unsupported("Reshape with a computed shape that may hold 0")
        ish = c.op("Shape", [x], {"out_type": a_type(s.dtype)}, suffix="input_shape", dtype=s.dtype)
        if n < r:
            ish = strided_slice(c, ish, [0], [n], [1], {}, suffix="input_dims", idx_dtype=np.int32)
        z = c.op("Equal", [s, c.const(np.zeros((), tp.DT2NP[s.dtype]), "zero")],
                 {"incompatible_shape_error": a_b(True)}, suffix="is_zero", dtype=DT_BOOL)
        s = c.op("SelectV2", [z, ish, s], suffix="shape")
        return c.op("Reshape", [x, s], {"Tshape": a_type(s.dtype)})
    shp = [int(v) for v in np.asarray(shp).reshape(-1)]
    if 0 in shp and not c.attr("allowzero", 0):
        ish = c.shape(0)
        for i, v in enumerate(shp):
            if v == 0:
                if ish is None or ish[i] is None:
                    if -1 in shp:
                        raise Unsupported("Reshape with 0 on a dynamic dim and a -1")
                    shp[i] = -1
                else:
                    shp[i] = ish[i]
    return c.op("Reshape", [x, c.const(np.array(shp, np.int64), "shape")], {"Tshape": a_type(DT_INT64)})


def op_flatten(c):
    x = c.inp(0)
    axis = c.attr("axis", 1)
    sh = c.shape(0)
    if sh is None:
        raise Unsupported("Flatten of unknown rank")
    axis = norm_axis(axis, len(sh))
    lead, tail = sh[:axis], sh[axis:]
    a = int(np.prod(lead)) if all(d is not None for d in lead) else -1
    b = int(np.prod(tail)) if all(d is not None for d in tail) else -1
    if a == -1 and b == -1:
        raise Unsupported("Flatten with unknown dims on both sides")
    return c.op("Reshape", [x, c.const(np.array([a, b], np.int64), "shape")], {"Tshape": a_type(DT_INT64)})


def op_transpose(c):
    x = c.inp(0)
    perm = c.attr("perm")
    if perm is None:
        r = c.rank(0)
        perm = list(range(r))[::-1]
    return c.op("Transpose", [x, c.const(np.array(perm, np.int32), "perm")], {"Tperm": a_type(DT_INT32)})


def op_squeeze(c):
    x = c.inp(0)
    axes = c.attr("axes")
    if axes is None and c.has(1):
        axes = c.cval(1)
        if axes is None:
            raise Unsupported("Squeeze with computed axes")
        axes = [int(a) for a in np.asarray(axes).reshape(-1)]
    return c.op("Squeeze", [x], {"squeeze_dims": a_list(i=list(axes or []))} if axes else
                {"squeeze_dims": a_list()})


def op_unsqueeze(c):
    x = c.inp(0)
    axes = c.attr("axes")
    if axes is None:
        axes = c.cval(1)
        if axes is None:
            raise Unsupported("Unsqueeze with computed axes")
        axes = [int(a) for a in np.asarray(axes).reshape(-1)]
    r = c.rank(0)
    out_r = (r + len(axes)) if r is not None else None
    if any(a < 0 for a in axes):
        if out_r is None:
            raise Unsupported("Unsqueeze negative axes, unknown rank")
        axes = [norm_axis(a, out_r) for a in axes]
    axes = sorted(axes)
    y = x
    for j, a in enumerate(axes):
        y = c.op("ExpandDims", [y, c.const(np.array(a, np.int32), "dim%d" % j)], {"Tdim": a_type(DT_INT32)},
                 suffix=None if j == len(axes) - 1 else "expand%d" % j)
    return y


def op_concat(c):
    ins = [c.inp(i) for i in range(len(c.n.input)) if c.has(i)]
    axis = c.attr("axis")
    attrs = {"N": a_i(len(ins)), "T": a_type(ins[0].dtype), "Tidx": a_type(DT_INT32)}
    return c.op("ConcatV2", ins + [c.const(np.array(axis, np.int32), "axis")], attrs, dtype=ins[0].dtype, T=False)


def op_split(c):
    x = c.inp(0)
    axis = c.attr("axis", 0)
    n = len(c.n.output)
    split = c.attr("split")
    if split is None and c.has(1):
        split = c.cval(1)
        if split is None:
            raise Unsupported("Split with computed sizes")
    if split is None:
        sh = c.shape(0)
        r = len(sh) if sh else None
        d = sh[norm_axis(axis, r)] if sh else None
        if d is None:
            raise Unsupported("Split of an unknown dim")
        split = [d // n] * n
    split = [int(v) for v in np.asarray(split).reshape(-1)]
    return c.opn("SplitV", [x, c.const(np.array(split, np.int64), "size_splits"),
                            c.const(np.array(axis, np.int32), "split_dim")],
                 {"T": a_type(x.dtype), "Tlen": a_type(DT_INT64), "num_split": a_i(n)}, [x.dtype] * n)


def strided_slice(c, x, begin, end, strides, masks, suffix=None, idx_dtype=np.int64):
    attrs = {"Index": a_type(tp.dt_of(np.dtype(idx_dtype))), "T": a_type(x.dtype),
             "begin_mask": a_i(masks.get("begin", 0)), "end_mask": a_i(masks.get("end", 0)),
             "ellipsis_mask": a_i(0), "new_axis_mask": a_i(0), "shrink_axis_mask": a_i(masks.get("shrink", 0))}
    return c.op("StridedSlice", [x, c.const(np.array(begin, idx_dtype), (suffix or "") + "stack"),
                                 c.const(np.array(end, idx_dtype), (suffix or "") + "stack_1"),
                                 c.const(np.array(strides, idx_dtype), (suffix or "") + "stack_2")],
                attrs, suffix=suffix, T=False)


def op_slice(c):
    x = c.inp(0)
    r = c.rank(0)
    if r is None:
        raise Unsupported("Slice of unknown rank")
    big = 2 ** 62
    if c.c.opset < 10:
        starts, ends, axes, steps = c.attr("starts"), c.attr("ends"), c.attr("axes"), None
    else:
        starts, ends = c.cval(1), c.cval(2)
        axes = c.cval(3) if c.has(3) else None
        steps = c.cval(4) if c.has(4) else None
        if (c.has(3) and axes is None) or (c.has(4) and steps is None):
            raise Unsupported("Slice with computed axes or steps")
        if starts is None or ends is None:
            return dynamic_slice(c, x, r, axes, steps)
    starts = [int(v) for v in np.asarray(starts).reshape(-1)]
    ends = [int(v) for v in np.asarray(ends).reshape(-1)]
    axes = list(range(len(starts))) if axes is None else [norm_axis(int(a), r) for a in np.asarray(axes).reshape(-1)]
    steps = [1] * len(starts) if steps is None else [int(v) for v in np.asarray(steps).reshape(-1)]
    begin, end, stride = [0] * r, [0] * r, [1] * r
    bm = em = (1 << r) - 1
    for a, s0, e0, st in zip(axes, starts, ends, steps):
        # ONNX clamps INT64 extremes; keep them inside int64 for StridedSlice
        begin[a] = max(min(s0, big), -big)
        end[a] = max(min(e0, big), -big)
        stride[a] = st
        bm &= ~(1 << a)
        em &= ~(1 << a)
    return strided_slice(c, x, begin, end, stride, {"begin": bm, "end": em})


def dynamic_slice(c, x, r, axes, steps):
    """Slice whose starts/ends are tensors: scatter them into full-rank
    begin/end vectors (ConcatV2 of pieces), untouched axes masked."""
    n = (c.shape(1) or [None])[0]
    if axes is None:
        if n is None:
            raise Unsupported("Slice with computed bounds of unknown length")
        axes = list(range(n))
    axes = [norm_axis(int(a), r) for a in np.asarray(axes).reshape(-1)]
    steps = [1] * len(axes) if steps is None else [int(v) for v in np.asarray(steps).reshape(-1)]
    pieces = {}
    for which, i in (("begin", 1), ("end", 2)):
        v = c.inp(i)
        cv = c.cval(i)
        parts = []
        for d in range(r):
            if d in axes:
                j = axes.index(d)
                if cv is not None:
                    parts.append(c.const(np.array([int(np.asarray(cv).reshape(-1)[j])], tp.DT2NP[v.dtype]),
                                         "%s%d" % (which, d)))
                else:
                    parts.append(strided_slice(c, v, [j], [j + 1], [1], {}, suffix="%s%d" % (which, d),
                                               idx_dtype=np.int32))
            else:
                parts.append(c.const(np.zeros(1, tp.DT2NP[v.dtype]), "%s%d" % (which, d)))
        if len(parts) == 1:
            pieces[which] = parts[0]
        else:
            pieces[which] = c.op("ConcatV2", parts + [c.const(np.array(0, np.int32), which + "_axis")],
                                 {"N": a_i(len(parts)), "T": a_type(v.dtype), "Tidx": a_type(DT_INT32)},
                                 suffix=which, dtype=v.dtype, T=False)
    stride = [1] * r
    for a, st in zip(axes, steps):
        stride[a] = st
    mask = (1 << r) - 1
    for a in axes:
        mask &= ~(1 << a)
    it = pieces["begin"].dtype
    if pieces["end"].dtype != it:
        raise Unsupported("Slice with mixed index types")
    attrs = {"Index": a_type(it), "T": a_type(x.dtype), "begin_mask": a_i(mask), "end_mask": a_i(mask),
             "ellipsis_mask": a_i(0), "new_axis_mask": a_i(0), "shrink_axis_mask": a_i(0)}
    return c.op("StridedSlice", [x, pieces["begin"], pieces["end"],
                                 c.const(np.array(stride, tp.DT2NP[it]), "strides")], attrs, T=False)


def op_gather(c):
    x = c.inp(0)
    axis = c.attr("axis", 0)
    r = c.rank(0)
    if axis < 0:
        axis = norm_axis(axis, r)
    iv = c.cval(1)
    data_const = c.cval(0)
    if iv is not None:
        sh = c.shape(0)
        dim = sh[axis] if sh else None
        if np.any(iv < 0):
            if dim is None:
                raise Unsupported("Gather negative constant indices on unknown dim")
            iv = np.where(iv < 0, iv + dim, iv)
        idx = c.const(iv.astype(np.int64), "indices")
    else:
        idx = c.inp(1)
        # ONNX accepts negative indices; TF's kernels do not: wrap them
        zero = c.const(np.zeros((), tp.DT2NP[idx.dtype]), "zero")
        neg = c.op("Less", [idx, zero], suffix="is_negative", dtype=DT_BOOL)
        dimv = c.op("Shape", [x], {"out_type": a_type(idx.dtype)}, suffix="shape", dtype=idx.dtype)
        dim = strided_slice(c, dimv, [axis], [axis + 1], [1], {"shrink": 1}, suffix="dim", idx_dtype=np.int32)
        idx = c.op("SelectV2", [neg, c.op("AddV2", [idx, dim], suffix="wrapped"), idx], suffix="indices")
    if (c.c.style == "tf2" and data_const is not None and axis == 0 and data_const.dtype.kind == "f"
            and data_const.size > 1 and c.s.kind == "function" and
            (c.s.parent is None or c.s.parent.kind != "function")):
        # an embedding: ResourceGather straight from the variable
        handle = c.c.resource_arg(c.s, ("w", c.n.input[0], None), data_const, c.n.input[0])
        dt = tp.dt_of(data_const)
        return c.op("ResourceGather", [handle, idx], {"dtype": a_type(dt), "Tindices": a_type(idx.dtype),
                                                       "batch_dims": a_i(0), "validate_indices": a_b(True)},
                    dtype=dt, T=False)
    if data_const is not None:
        x = c.weight(0) or x
    return c.op("GatherV2", [x, idx, c.const(np.array(axis, np.int32), "axis")],
                {"Tparams": a_type(x.dtype), "Tindices": a_type(idx.dtype), "Taxis": a_type(DT_INT32),
                 "batch_dims": a_i(0)}, dtype=x.dtype, T=False)


def op_shape(c):
    x = c.inp(0)
    y = c.op("Shape", [x], {"out_type": a_type(DT_INT64)}, dtype=DT_INT64,
             suffix="shape" if ("start" in c.attrs or "end" in c.attrs) else None)
    r = c.rank(0)
    if "start" in c.attrs or "end" in c.attrs:
        if r is None:
            raise Unsupported("Shape start/end with unknown rank")
        s = norm_axis(c.attr("start", 0), r)
        e = norm_axis(c.attr("end", r), r)
        y = strided_slice(c, y, [s], [e], [1], {}, idx_dtype=np.int32)
    sh = c.shape(0)
    if sh is not None and all(d is not None for d in sh):
        c.mark_const(0, np.array(sh, np.int64)[c.attr("start", 0): c.attr("end", len(sh))])
    return y


def op_size(c):
    return c.op("Size", [c.inp(0)], {"out_type": a_type(DT_INT64)}, dtype=DT_INT64)


def op_constant(c):
    for k in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if k in c.attrs:
            v = c.attrs[k]
            if k == "value":
                arr = numpy_helper.to_array(v)
            elif k in ("value_float", "value_floats"):
                arr = np.array(v, np.float32)
            else:
                arr = np.array(v, np.int64)
            c.mark_const(0, arr)
            if arr.dtype.kind == "f" and arr.size > 1 and c.c.style == "tf2":
                return c.c.weight(c.s, ("const", id(c.s), c.n.output[0]), arr, c.n.output[0])
            return c.s.const(arr, c.hint)
    raise Unsupported("Constant without a value")


def op_constantofshape(c):
    val = c.attrs.get("value")
    arr = numpy_helper.to_array(val).reshape(()) if val is not None else np.zeros((), np.float32)
    shp = c.cval(0)
    if shp is not None:
        full = np.full([int(v) for v in shp], arr, dtype=arr.dtype)
        c.mark_const(0, full)
        return c.s.const(full, c.hint)
    return c.op("Fill", [c.inp(0), c.const(arr, "value")], {"T": a_type(tp.dt_of(arr)),
                                                            "index_type": a_type(c.inp(0).dtype)},
                dtype=tp.dt_of(arr), T=False)


def op_expand(c):
    x = c.inp(0)
    shp = c.inp(1)
    bs = c.op("BroadcastArgs", [c.op("Shape", [x], {"out_type": a_type(shp.dtype)}, suffix="shape",
                                     dtype=shp.dtype), shp], {"T": a_type(shp.dtype)}, suffix="BroadcastArgs",
              dtype=shp.dtype, T=False)
    return c.op("BroadcastTo", [x, bs], {"Tidx": a_type(shp.dtype)})


def op_tile(c):
    return c.op("Tile", [c.inp(0), c.inp(1)], {"Tmultiples": a_type(c.inp(1).dtype)})


def op_range(c):
    a, b, d = c.inp(0), c.inp(1), c.inp(2)
    return c.op("Range", [a, b, d], {"Tidx": a_type(a.dtype)}, T=False)


def op_pad(c):
    x = c.inp(0)
    mode = c.attr("mode", "constant")
    pads = c.attr("pads") if c.c.opset < 11 else c.cval(1)
    if c.has(3):
        raise Unsupported("Pad with axes")
    if pads is None:
        # computed pads [b1..bn, e1..en] -> paddings [[b1, e1], ...]
        r = c.rank(0)
        if r is None or mode not in ("constant", "reflect"):
            raise Unsupported("Pad with computed pads")
        pv = c.inp(1)
        pp = c.op("Reshape", [pv, c.const(np.array([2, r], np.int64), "shape")], {"Tshape": a_type(DT_INT64)},
                  suffix="pads_2xn")
        pp = c.op("Transpose", [pp, c.const(np.array([1, 0], np.int32), "perm")], {"Tperm": a_type(DT_INT32)},
                  suffix="paddings")
        if mode == "reflect":
            return c.op("MirrorPad", [x, pp], {"Tpaddings": a_type(pv.dtype), "mode": a_s("REFLECT")})
        val = c.inp(2) if c.has(2) else c.const(np.zeros((), tp.DT2NP[x.dtype]), "constant_values")
        return c.op("PadV2", [x, pp, val], {"Tpaddings": a_type(pv.dtype)})
    pads = [int(v) for v in np.asarray(pads).reshape(-1)]
    r = len(pads) // 2
    if any(p < 0 for p in pads):
        raise Unsupported("Pad with negative pads")
    pp = np.array([[pads[i], pads[i + r]] for i in range(r)], np.int64)
    if mode == "constant":
        if c.c.opset < 11:
            val = c.const(np.array(c.attr("value", 0.0), tp.DT2NP[x.dtype]), "constant_values")
        else:
            val = c.inp(2) if c.has(2) else c.const(np.zeros((), tp.DT2NP[x.dtype]), "constant_values")
        return c.op("PadV2", [x, c.const(pp, "paddings"), val], {"Tpaddings": a_type(DT_INT64)})
    if mode == "reflect":
        return c.op("MirrorPad", [x, c.const(pp, "paddings")], {"Tpaddings": a_type(DT_INT64),
                                                                 "mode": a_s("REFLECT")})
    raise Unsupported("Pad mode %s" % mode)


def op_topk(c):
    x = c.inp(0)
    r = c.rank(0)
    axis = c.attr("axis", -1)
    if r is None or norm_axis(axis, r) != r - 1:
        raise Unsupported("TopK on a non-last axis")
    if not c.attr("sorted", 1):
        raise Unsupported("TopK sorted=0")
    kv = c.cval(1) if c.c.opset >= 10 else np.array([c.attr("k")])
    if kv is None:
        k = c.op("Cast", [c.op("Reshape", [c.inp(1), c.const(np.array([], np.int32), "scalar")],
                               {"Tshape": a_type(DT_INT32)}, suffix="k_scalar")],
                 {"SrcT": a_type(c.inp(1).dtype), "DstT": a_type(DT_INT32), "Truncate": a_b(False)},
                 suffix="k", dtype=DT_INT32, T=False)
    else:
        k = c.const(np.array(int(np.asarray(kv).reshape(-1)[0]), np.int32), "k")
    largest = c.attr("largest", 1)
    src = x if largest else c.op("Neg", [x], suffix="neg")
    v, i = c.opn("TopKV2", [src, k], {"T": a_type(x.dtype), "sorted": a_b(True)}, [x.dtype, DT_INT32],
                 suffix="TopKV2")
    if not largest:
        v = c.op("Neg", [v], suffix="values")
    i = c.op("Cast", [i], {"SrcT": a_type(DT_INT32), "DstT": a_type(DT_INT64), "Truncate": a_b(False)},
             suffix="indices", dtype=DT_INT64, T=False)
    return [v, i]


def op_einsum(c):
    ins = [c.inp(i) for i in range(len(c.n.input))]
    return c.op("Einsum", ins, {"equation": a_s(c.attr("equation")), "N": a_i(len(ins))})


def op_cumsum(c):
    if c.attr("exclusive", 0) or c.attr("reverse", 0):
        ex, rv = bool(c.attr("exclusive", 0)), bool(c.attr("reverse", 0))
    else:
        ex = rv = False
    ax = c.inp(1)
    return c.op("Cumsum", [c.inp(0), ax], {"exclusive": a_b(ex), "reverse": a_b(rv), "Tidx": a_type(ax.dtype)})


def op_nonzero(c):
    w = c.op("Where", [c.inp(0)], suffix="Where", dtype=DT_INT64)
    return c.op("Transpose", [w, c.const(np.array([1, 0], np.int32), "perm")], {"Tperm": a_type(DT_INT32)})


def op_gathernd(c):
    if c.attr("batch_dims", 0):
        raise Unsupported("GatherND batch_dims")
    x, i = c.inp(0), c.inp(1)
    return c.op("GatherNd", [x, i], {"Tparams": a_type(x.dtype), "Tindices": a_type(i.dtype)}, T=False)


def op_scatternd(c):
    if c.attr("reduction", "none") != "none":
        raise Unsupported("ScatterND reduction")
    x, i, u = c.inp(0), c.inp(1), c.inp(2)
    return c.op("TensorScatterUpdate", [x, i, u], {"Tindices": a_type(i.dtype)})


def op_if(c):
    cond = c.inp(0)
    then_g, else_g = c.attrs["then_branch"], c.attrs["else_branch"]
    outs_t = [o.name for o in then_g.output]
    outs_e = [o.name for o in else_g.output]
    dts = [c.out_dtype(i) for i in range(len(c.n.output))]
    if c.c.style == "tf1":
        return if_switch_merge(c, cond, then_g, else_g, dts)
    # tf2: StatelessIf whose branches are functions taking every captured tensor
    branches = []
    for g, tag in ((then_g, "true"), (else_g, "false")):
        fname = c.c.fn_name("cond_%s" % tag)
        s = c.c.new_scope("function", parent=c.s, onnx_parent=c.s, fname=fname)
        c.c.convert_graph(g, s)
        rets = [c.c.lookup(s, o.name) for o in g.output]
        branches.append((s, rets, fname))
    for i, d in enumerate(dts):
        if d is None:
            dts[i] = branches[0][1][i].dtype
    # unify the argument lists: every branch takes the union of captures
    caps = []
    keyset = {}
    for s, _, _ in branches:
        for outer in s.captures:
            k = (outer.node, outer.idx, outer.arg)
            if k not in keyset:
                keyset[k] = len(caps)
                caps.append(outer)
    for s, rets, fname in branches:
        have = {(o.node, o.idx, o.arg): j for j, o in enumerate(s.captures)}
        args = []
        for outer in caps:
            k = (outer.node, outer.idx, outer.arg)
            if k in have:
                args.append(s.args[have[k]])
            else:
                nm = "unused_%d" % len(args)
                args.append((nm, outer.dtype))
        nodes = []
        ret = {}
        outs = []
        for j, r in enumerate(rets):
            idn = s.op("Identity", [r], {"T": a_type(r.dtype)}, "Identity", [r.dtype])[0]
            outs.append(("identity" if j == 0 else "identity_%d" % j, r.dtype))
            ret[outs[-1][0]] = s.ref(idn)
        nodes = s.serialize_nodes()
        c.c.functions.append(tp.function_def(
            fname, args, outs, nodes, ret,
            attrs={"_construction_context": a_s("kEagerRuntime"),
                   "_input_shapes": a_list(shape=[None] * len(args))}))
    ins = [cond] + caps
    attrs = {"Tcond": a_type(cond.dtype), "Tin": a_list(type=[x.dtype for x in caps]), "Tout": a_list(type=dts),
             "then_branch": a_func(branches[0][2]), "else_branch": a_func(branches[1][2]),
             "output_shapes": a_list(shape=[c.out_shape(i) for i in range(len(dts))]),
             "_lower_using_switch_merge": a_b(True), "_read_only_resource_inputs": a_list()}
    return c.s.op("StatelessIf", ins, attrs, c.hint, dts)


def if_switch_merge(c, cond, then_g, else_g, dts):
    """tf.compat.v1.cond: Switch on the predicate, branch bodies in the main
    graph reading outer tensors through Switch, Merge of the two results."""
    prefix = c.hint + "/cond"
    sw = c.s.op("Switch", [cond, cond], {"T": a_type(cond.dtype)}, prefix + "/Switch", [cond.dtype, cond.dtype])
    pred = c.s.op("Identity", [cond], {"T": a_type(cond.dtype)}, prefix + "/pred_id", [cond.dtype])[0]
    results = []
    switch_cache = {}
    for g, branch in ((then_g, True), (else_g, False)):
        piv = c.s.op("Identity", [sw[1] if branch else sw[0]], {"T": a_type(cond.dtype)},
                     prefix + ("/switch_t" if branch else "/switch_f"), [cond.dtype])[0]
        s = c.c.new_scope("main", onnx_parent=c.s)
        # the branch shares the main graph's node list and names
        s.nodes, s.names = c.s.nodes, c.s.names
        s.pivot = {"pred": pred, "branch": branch, "pivot": piv.node, "prefix": prefix, "outer": c.s,
                   "cache": switch_cache}
        c.c.convert_graph(g, s)
        rets = []
        for o in g.output:
            r = c.c.lookup(s, o.name)
            # every branch result depends on the pivot
            r = s.op("Identity", [r], {"T": a_type(r.dtype)}, prefix + ("/then" if branch else "/else"),
                     [r.dtype], controls=[piv.node] if not s.pivot else [])[0]
            rets.append(r)
        results.append(rets)
    outs = []
    for j, (t, e) in enumerate(zip(*results)):
        m = c.s.op("Merge", [e, t], {"T": a_type(t.dtype), "N": a_i(2)}, prefix + "/Merge", [t.dtype, DT_INT32])
        outs.append(m[0])
    return outs


def op_hardswish(c):
    # ONNX HardSwish: x * max(0, min(1, x / 6 + 0.5))
    x = c.inp(0)
    npd = tp.DT2NP[x.dtype]
    y = c.op("AddV2", [c.op("Mul", [x, c.const(np.array(1 / 6, npd), "alpha")], suffix="mul"),
                       c.const(np.array(0.5, npd), "beta")], suffix="add")
    y = c.op("ClipByValue", [y, c.const(np.array(0, npd), "lo"), c.const(np.array(1, npd), "hi")], suffix="clip")
    return c.op("Mul", [x, y])


def op_nms(c):
    """ONNX NonMaxSuppression for one batch and one class (what the
    evaluation detectors export) -> NonMaxSuppressionV5 + [0, 0, index] rows."""
    bs, ss = c.shape(0), c.shape(1)
    if not bs or not ss or bs[0] != 1 or ss[0] != 1 or ss[1] != 1:
        raise Unsupported("NonMaxSuppression with batch or classes other than 1 (%s, %s)" % (bs, ss))
    if c.attr("center_point_box", 0):
        raise Unsupported("NonMaxSuppression center_point_box")
    boxes = strided_slice(c, c.inp(0), [0, 0, 0], [1, 0, 0], [1, 1, 1], {"end": 6, "begin": 6, "shrink": 1},
                          suffix="boxes")
    scores = strided_slice(c, c.inp(1), [0, 0, 0], [1, 1, 0], [1, 1, 1], {"end": 4, "begin": 4, "shrink": 3},
                           suffix="scores")
    npd = tp.DT2NP[boxes.dtype]

    def scalar(i, default, dt, nm):
        v = c.cval(i) if c.has(i) else None
        if c.has(i) and v is None:
            raise Unsupported("NonMaxSuppression with computed %s" % nm)
        v = default if v is None else np.asarray(v).reshape(-1)[0]
        return c.const(np.array(v, dt), nm)
    mo = c.cval(2) if c.has(2) else np.array([0])
    if mo is None:
        raise Unsupported("NonMaxSuppression with computed max_output_boxes_per_class")
    mo = int(np.asarray(mo).reshape(-1)[0])
    mo = min(mo, 2 ** 31 - 1)
    max_out = c.const(np.array(mo, np.int32), "max_output_size")
    iou = scalar(3, 0.0, npd, "iou_threshold")
    sth = scalar(4, -np.inf, npd, "score_threshold")
    sigma = c.const(np.array(0.0, npd), "soft_nms_sigma")
    sel = c.opn("NonMaxSuppressionV5", [boxes, scores, max_out, iou, sth, sigma],
                {"T": a_type(boxes.dtype), "pad_to_max_output_size": a_b(False)},
                [DT_INT32, boxes.dtype, DT_INT32], suffix="NonMaxSuppressionV5")[0]
    idx = c.op("Cast", [sel], {"SrcT": a_type(DT_INT32), "DstT": a_type(DT_INT64), "Truncate": a_b(False)},
               suffix="selected", dtype=DT_INT64, T=False)
    col = c.op("ExpandDims", [idx, c.const(np.array(1, np.int32), "axis")], {"Tdim": a_type(DT_INT32)},
               suffix="column")
    zeros = c.op("ZerosLike", [col], suffix="batch_class")
    return c.op("ConcatV2", [zeros, zeros, col, c.const(np.array(1, np.int32), "concat_axis")],
                {"N": a_i(3), "T": a_type(DT_INT64), "Tidx": a_type(DT_INT32)}, dtype=DT_INT64, T=False)


def op_resize(c):
    x = c.inp(0)
    mode = c.attr("mode", "nearest")
    ctm = c.attr("coordinate_transformation_mode", "half_pixel")
    if c.rank(0) != 4:
        raise Unsupported("Resize of rank %s" % c.rank(0))
    if c.attr("antialias", 0) or c.attr("exclude_outside", 0):
        raise Unsupported("Resize antialias/exclude_outside")
    if c.has(3):
        sizes = c.inp(3)
        size = strided_slice(c, sizes, [2], [4], [1], {}, suffix="size_hw", idx_dtype=np.int32)
        size = c.op("Cast", [size], {"SrcT": a_type(sizes.dtype), "DstT": a_type(DT_INT32), "Truncate": a_b(False)},
                    suffix="size", dtype=DT_INT32, T=False)
    else:
        sc = c.cval(2)
        sh = c.shape(0)
        if sc is None or sh is None or sh[2] is None or sh[3] is None:
            raise Unsupported("Resize with computed scales or unknown spatial dims")
        sc = np.asarray(sc, np.float32)
        if sc[0] != 1 or sc[1] != 1:
            raise Unsupported("Resize of batch/channel dims")
        hw = [int(np.floor(sh[2] * sc[2])), int(np.floor(sh[3] * sc[3]))]
        if abs(hw[0] / sh[2] - sc[2]) > 1e-6 or abs(hw[1] / sh[3] - sc[3]) > 1e-6:
            raise Unsupported("Resize with scales that are not size ratios")
        size = c.const(np.array(hw, np.int32), "size")
    xt = transpose(c, x, NCHW2NHWC, "to_nhwc")
    if mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"):
        if ctm == "pytorch_half_pixel":
            raise Unsupported("Resize pytorch_half_pixel")
        y = c.op("ResizeBilinear", [xt, size], {"align_corners": a_b(ctm == "align_corners"),
                                                "half_pixel_centers": a_b(ctm == "half_pixel")}, suffix="resize",
                 dtype=DT_FLOAT)
    elif mode == "nearest" and ctm == "asymmetric" and c.attr("nearest_mode", "round_prefer_floor") == "floor":
        y = c.op("ResizeNearestNeighbor", [xt, size], {"align_corners": a_b(False),
                                                       "half_pixel_centers": a_b(False)}, suffix="resize")
    else:
        raise Unsupported("Resize mode %s / %s" % (mode, ctm))
    return transpose(c, y, NHWC2NCHW, "to_nchw")


def op_scatterelements(c):
    """ScatterElements(data, indices, updates, axis) -> TensorScatterUpdate with
    full coordinates built from Range/meshgrid-style broadcasting."""
    if c.attr("reduction", "none") != "none":
        raise Unsupported("ScatterElements reduction")
    x, idx, upd = c.inp(0), c.inp(1), c.inp(2)
    ish = c.shape(1)
    r = len(ish) if ish is not None else None
    if r is None:
        raise Unsupported("ScatterElements with unknown rank")
    axis = norm_axis(c.attr("axis", 0), r)
    it = idx.dtype
    # wrap negative indices like ONNX
    xs = c.op("Shape", [x], {"out_type": a_type(it)}, suffix="data_shape", dtype=it)
    dim = strided_slice(c, xs, [axis], [axis + 1], [1], {"shrink": 1}, suffix="axis_dim", idx_dtype=np.int32)
    neg = c.op("Less", [idx, c.const(np.zeros((), tp.DT2NP[it]), "zero")], suffix="is_negative", dtype=DT_BOOL)
    idx = c.op("SelectV2", [neg, c.op("AddV2", [idx, dim], suffix="wrapped"), idx], suffix="indices")
    ishape = c.op("Shape", [idx], {"out_type": a_type(it)}, suffix="indices_shape", dtype=it)
    coords = []
    for d in range(r):
        if d == axis:
            coords.append(idx)
            continue
        n_d = strided_slice(c, ishape, [d], [d + 1], [1], {"shrink": 1}, suffix="dim%d" % d, idx_dtype=np.int32)
        rg = c.op("Range", [c.const(np.zeros((), tp.DT2NP[it]), "start%d" % d), n_d,
                            c.const(np.ones((), tp.DT2NP[it]), "delta%d" % d)], {"Tidx": a_type(it)},
                  suffix="range%d" % d, T=False)
        shp = [1] * r
        shp[d] = -1
        rg = c.op("Reshape", [rg, c.const(np.array(shp, np.int64), "shape%d" % d)], {"Tshape": a_type(DT_INT64)},
                  suffix="axis%d" % d)
        coords.append(c.op("BroadcastTo", [rg, ishape], {"Tidx": a_type(it)}, suffix="coord%d" % d))
    full = c.opn("Pack", coords, {"N": a_i(r), "T": a_type(it), "axis": a_i(-1)}, [it], suffix="coords")[0]
    return c.op("TensorScatterUpdate", [x, full, upd], {"Tindices": a_type(it)})


def op_quantize(c):
    x = c.inp(0)
    if c.attr("axis", 1) != 1 and c.rank(1) not in (0, None):
        pass
    sc = c.inp(1)
    zp = c.inp(2) if c.has(2) else None
    zdt = zp.dtype if zp is not None else tp.DT_UINT8
    if c.rank(1) not in (0, None) or (zp is not None and c.rank(2) not in (0, None)):
        raise Unsupported("per-axis QuantizeLinear")
    info = np.iinfo(tp.DT2NP[zdt])
    y = c.op("Round", [c.op("RealDiv", [x, sc], suffix="div")], suffix="round")
    if zp is not None:
        zf = c.op("Cast", [zp], {"SrcT": a_type(zdt), "DstT": a_type(x.dtype), "Truncate": a_b(False)},
                  suffix="zero_point", dtype=x.dtype, T=False)
        y = c.op("AddV2", [y, zf], suffix="add")
    npd = tp.DT2NP[x.dtype]
    y = c.op("ClipByValue", [y, c.const(np.array(info.min, npd), "qmin"), c.const(np.array(info.max, npd), "qmax")],
             suffix="saturate")
    return c.op("Cast", [y], {"SrcT": a_type(x.dtype), "DstT": a_type(zdt), "Truncate": a_b(False)}, dtype=zdt,
                T=False)


def op_dequantize(c):
    x, sc = c.inp(0), c.inp(1)
    zp = c.inp(2) if c.has(2) else None
    if c.rank(1) not in (0, None) or (zp is not None and c.rank(2) not in (0, None)):
        raise Unsupported("per-axis DequantizeLinear")
    xf = c.op("Cast", [x], {"SrcT": a_type(x.dtype), "DstT": a_type(sc.dtype), "Truncate": a_b(False)},
              suffix="cast", dtype=sc.dtype, T=False)
    if zp is not None:
        zf = c.op("Cast", [zp], {"SrcT": a_type(zp.dtype), "DstT": a_type(sc.dtype), "Truncate": a_b(False)},
                  suffix="zero_point", dtype=sc.dtype, T=False)
        xf = c.op("Sub", [xf, zf], suffix="sub")
    return c.op("Mul", [xf, sc])


OPS = {}
for k in BINARY:
    if BINARY[k]:
        OPS[k] = op_binary
for k in UNARY:
    OPS[k] = op_unary
OPS.update({
    "Div": op_div, "Mod": op_mod, "Dropout": op_dropout, "IsInf": op_isinf, "LeakyRelu": op_leakyrelu,
    "Elu": op_elu, "HardSigmoid": op_hardsigmoid, "PRelu": op_prelu, "Max": op_nary, "Min": op_nary,
    "Sum": op_nary, "Mean": op_nary, "Where": op_where, "Cast": op_cast, "CastLike": op_cast, "Clip": op_clip,
    "ReduceMax": op_reduce, "ReduceMin": op_reduce, "ReduceSum": op_reduce, "ReduceMean": op_reduce,
    "ReduceProd": op_reduce, "ReduceL2": op_reduce, "ReduceL1": op_reduce, "ReduceSumSquare": op_reduce,
    "ReduceLogSum": op_reduce, "ArgMax": op_argmax, "ArgMin": op_argmax,
    "Softmax": op_softmax, "LogSoftmax": op_softmax, "MatMul": op_matmul, "Gemm": op_gemm, "Conv": op_conv,
    "MaxPool": op_pool, "AveragePool": op_pool, "GlobalAveragePool": op_pool, "GlobalMaxPool": op_pool,
    "BatchNormalization": op_batchnorm, "LayerNormalization": op_layernorm, "Reshape": op_reshape,
    "Flatten": op_flatten, "Transpose": op_transpose, "Squeeze": op_squeeze, "Unsqueeze": op_unsqueeze,
    "Concat": op_concat, "Split": op_split, "Slice": op_slice, "Gather": op_gather, "Shape": op_shape,
    "Size": op_size, "Constant": op_constant, "ConstantOfShape": op_constantofshape, "Expand": op_expand,
    "Tile": op_tile, "Range": op_range, "Pad": op_pad, "TopK": op_topk, "Einsum": op_einsum,
    "CumSum": op_cumsum, "NonZero": op_nonzero, "GatherND": op_gathernd, "ScatterND": op_scatternd,
    "If": op_if, "HardSwish": op_hardswish, "NonMaxSuppression": op_nms, "Resize": op_resize,
    "ScatterElements": op_scatterelements, "QuantizeLinear": op_quantize, "DequantizeLinear": op_dequantize,
})


# ---- SavedModel assembly ----------------------------------------------------------------

CONFIG_PROTO = b"\x82\x01\x008\x012\x02J\x00\n\x07\n\x03CPU\x10\x01\n\x07\n\x03GPU\x10\x00"


def onnx_io(model, conv):
    inits = {t.name for t in model.graph.initializer}
    ins = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
        ins.append((vi.name, ONNX2DT[tt.elem_type], dims))
    outs = []
    for vi in model.graph.output:
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim] if tt.HasField("shape") \
            else None
        outs.append((vi.name, ONNX2DT.get(tt.elem_type) or conv.types.get(vi.name), dims))
    return ins, outs


def sig_key(name, used):
    k = re.sub(r"[^A-Za-z0-9_]", "_", name) or "x"
    k0, i = k, 0
    while k in used:
        i += 1
        k = "%s_%d" % (k0, i)
    used.add(k)
    return k


def build_tf1(conv, model):
    main = conv.new_scope("main")
    ins, outs = onnx_io(model, conv)
    used = set()
    sig_in = []
    for name, dt, dims in ins:
        key = sig_key(name, used)
        ph = main.op("Placeholder", [], {"dtype": a_type(dt), "shape": a_shape(dims)}, key, [dt])[0]
        main.env[name] = ph
        sig_in.append((key, tp.tensor_info(ph.node + ":0", dt, dims)))
    conv.convert_graph(model.graph, main)
    sig_out = []
    used = set()
    for name, dt, dims in outs:
        r = main.env.get(name) or conv.lookup(main, name)
        key = sig_key(name, used)
        y = main.op("Identity", [r], {"T": a_type(r.dtype)}, key, [r.dtype])[0]
        sig_out.append((key, tp.tensor_info(y.node + ":0", r.dtype, dims)))
    graph = tp.graph_def(main.serialize_nodes(), producer=1645)
    sigs = [("serving_default", tp.signature_def(sig_in, sig_out))]
    meta = tp.meta_graph_def(tp.meta_info_def(tf_version="1.15.5", git_version="v1.15.4-39-g3db52be"), graph,
                             sigs)
    return tp.saved_model(meta), {}


def build_tf2(conv, model):
    ins, outs = onnx_io(model, conv)
    call_name = conv.fn_name("%s_call" % conv.model_name) if False else None
    # the model's call function
    call = conv.new_scope("function", fname="call")
    used = set()
    in_keys = []
    for name, dt, dims in ins:
        key = sig_key(name, used)
        an = clean_name(key, lower=True)
        call.args.append((an, dt))
        call.env[name] = TRef(an, 0, dt, arg=True)
        in_keys.append((key, an, dt, dims))
    conv.convert_graph(model.graph, call)
    used = set()
    rets = {}
    out_args = []
    out_keys = []
    call_out_refs = []
    for j, (name, dt, dims) in enumerate(outs):
        r = call.env.get(name) or conv.lookup(call, name)
        call_out_refs.append(r)
    reads = [nm for nm, op, _, _ in call.nodes if op == "ReadVariableOp"]
    for j, r in enumerate(call_out_refs):
        idn = call.op("Identity", [r], {"T": a_type(r.dtype)}, "Identity", [r.dtype],
                      controls=["NoOp"] if reads else ())[0]
        an = "identity" if j == 0 else "identity_%d" % j
        out_args.append((an, r.dtype))
        rets[an] = call.ref(idn)
        out_keys.append((sig_key(outs[j][0], used), r.dtype, outs[j][2]))
    if reads:
        call.nodes.append(("NoOp", "NoOp", ["^" + n for n in reads], {}))
        call.names.add("NoOp")
    nvars = len(conv.variables)
    conv.fn_counter[0] += 100
    call_fn = "__inference_%s_call_%d" % (conv.model_name, conv.fn_counter[0])
    # resource args must follow the data args, in variable order
    data_args = [a for a in call.args if a[1] != DT_RESOURCE]
    res_by_var = {vi: an for an, vi in call.resource_args}
    var_order = sorted(res_by_var)
    call_args = data_args + [(res_by_var[vi], DT_RESOURCE) for vi in var_order]
    in_shapes = [k[3] for k in in_keys] + [[] for _ in var_order]
    fn_attrs = {"_construction_context": a_s("kEagerRuntime"), "_input_shapes": a_list(shape=in_shapes)}
    conv.functions.append(tp.function_def(
        call_fn, call_args, out_args, call.serialize_nodes(), rets, attrs=fn_attrs,
        control_ret={n: n for n in reads} if reads else None, is_stateful=True))
    # signature wrapper: (inputs, unknown, unknown_0, ...) -> StatefulPartitionedCall(call)
    conv.fn_counter[0] += 10
    wrap_fn = "__inference_signature_wrapper_%d" % conv.fn_counter[0]
    w = conv.new_scope("function", fname=wrap_fn)
    w_args = [(an, dt) for _, an, dt, _ in in_keys]
    res_names = ["unknown"] + ["unknown_%d" % i for i in range(len(var_order) - 1)]
    w_args += [(n, DT_RESOURCE) for n in res_names[:len(var_order)]]
    types_in = [dt for _, dt in w_args]
    types_out = [dt for _, dt in out_args]
    call_attrs = {"Tin": a_list(type=types_in), "Tout": a_list(type=types_out), "f": a_func(call_fn),
                  "config": a_s(""), "config_proto": a_s(CONFIG_PROTO), "executor_type": a_s(""),
                  "_collective_manager_ids": a_list(),
                  "_read_only_resource_inputs": a_list(i=list(range(len(in_keys), len(w_args))))}
    spc = w.op("StatefulPartitionedCall", [TRef(n, 0, dt, arg=True) for n, dt in w_args], call_attrs,
               "StatefulPartitionedCall", types_out)
    w_rets = {}
    for j, r in enumerate(spc):
        idn = w.op("Identity", [r], {"T": a_type(r.dtype)}, "Identity", [r.dtype], controls=["NoOp"])[0]
        w_rets[out_args[j][0]] = w.ref(idn)
    w.nodes.append(("NoOp", "NoOp", ["^StatefulPartitionedCall"], {}))
    w.names.add("NoOp")
    conv.functions.append(tp.function_def(
        wrap_fn, w_args, out_args, w.serialize_nodes(), w_rets,
        attrs={"_construction_context": a_s("kEagerRuntime"), "_input_shapes": a_list(shape=in_shapes)},
        control_ret={"StatefulPartitionedCall": "StatefulPartitionedCall"}, is_stateful=True))

    # ---- main graph
    main = conv.new_scope("main")
    var_nodes = []
    for vi in var_order:
        vn, arr = conv.variables[vi]
        dt = tp.dt_of(arr)
        main.names.add(vn)
        main.nodes.append((vn, "VarHandleOp", [], {
            "_output_shapes": a_list(shape=[[]]), "allowed_devices": a_list(), "container": a_s(""),
            "debug_name": a_s(vn + "/"), "dtype": a_type(dt), "shape": a_shape(list(arr.shape)),
            "shared_name": a_s(vn)}))
        var_nodes.append(TRef(vn, 0, DT_RESOURCE, "VarHandleOp"))
        rd = main.op("ReadVariableOp", [var_nodes[-1]], {"dtype": a_type(dt)}, vn + "/Read/ReadVariableOp", [dt])
    phs = []
    for key, an, dt, dims in in_keys:
        ph = main.op("Placeholder", [], {"dtype": a_type(dt), "shape": a_shape(dims),
                                         "_output_shapes": a_list(shape=[dims])},
                     "serving_default_" + key, [dt])[0]
        phs.append(ph)
    sp = main.op("StatefulPartitionedCall", phs + var_nodes,
                 dict(call_attrs, f=a_func(wrap_fn)), "StatefulPartitionedCall", types_out)
    main.nodes.append(("NoOp", "NoOp", [], {}))
    main.names.add("NoOp")

    # checkpoint keys and object graphs: root -> variables (children named
    # after the variables), root -> signatures -> serving_default
    ckpt_keys = []
    for vi in var_order:
        vn, _ = conv.variables[vi]
        ckpt_keys.append("%s/.ATTRIBUTES/VARIABLE_VALUE" % ckpt_escape(vn))
    nv = len(var_order)
    # TrackableObjectGraph written into the checkpoint: node 0 root, 1..nv variables
    tog = tp.trackable_object_graph(
        [([(1 + i, conv.variables[vi][0]) for i, vi in enumerate(var_order)], [])] +
        [([], [("VARIABLE_VALUE", conv.variables[vi][0], ckpt_keys[i])]) for i, vi in enumerate(var_order)])
    tog_const = main.const(np.array(tog, dtype=object).reshape(()), "Const")
    fname_ph = main.op("Placeholder", [], {"dtype": a_type(DT_STRING), "shape": a_shape([]),
                                           "_output_shapes": a_list(shape=[[]])}, "saver_filename", [DT_STRING])[0]
    conv.fn_counter[0] += 13
    save_fn = "__inference__traced_save_%d" % conv.fn_counter[0]
    conv.fn_counter[0] += 9
    restore_fn = "__inference__traced_restore_%d" % conv.fn_counter[0]
    base_call = {"config": a_s(""), "config_proto": a_s(CONFIG_PROTO), "executor_type": a_s(""),
                 "_collective_manager_ids": a_list(), "_read_only_resource_inputs": a_list()}
    main.op("StatefulPartitionedCall", [fname_ph] + var_nodes + [tog_const],
            dict(base_call, Tin=a_list(type=[DT_STRING] + [DT_RESOURCE] * nv + [DT_STRING]),
                 Tout=a_list(type=[DT_STRING]), f=a_func(save_fn)), "StatefulPartitionedCall_1", [DT_STRING])
    main.op("StatefulPartitionedCall", [fname_ph] + var_nodes,
            dict(base_call, Tin=a_list(type=[DT_STRING] + [DT_RESOURCE] * nv),
                 Tout=a_list(type=[DT_STRING]), f=a_func(restore_fn)), "StatefulPartitionedCall_2", [DT_STRING])
    dtypes = [tp.dt_of(conv.variables[vi][1]) for vi in var_order] + [DT_STRING]
    conv.functions.append(traced_save(save_fn, [conv.variables[vi][0] for vi in var_order], dtypes,
                                      ckpt_keys + ["_CHECKPOINTABLE_OBJECT_GRAPH"]))
    conv.functions.append(traced_restore(restore_fn, [conv.variables[vi][0] for vi in var_order], dtypes,
                                         ckpt_keys + ["_CHECKPOINTABLE_OBJECT_GRAPH"]))

    graph = tp.graph_def(main.serialize_nodes(), conv.functions, producer=1645)
    sig_in = [(key, tp.tensor_info("serving_default_%s:0" % key, dt, dims)) for key, an, dt, dims in in_keys]
    sig_out = [(k, tp.tensor_info("StatefulPartitionedCall:%d" % j, dt, dims))
               for j, (k, dt, dims) in enumerate(out_keys)]
    sigs = [("serving_default", tp.signature_def(sig_in, sig_out)),
            ("__saved_model_init_op", tp.signature_def([], [("__saved_model_init_op",
                                                               tp.tensor_info("NoOp", 0, None))], method=""))]
    saver = tp.saver_def("saver_filename:0", "StatefulPartitionedCall_1:0", "StatefulPartitionedCall_2")
    # SavedObjectGraph: 0 root, 1..nv variables, nv+1 signature map, nv+2 serving_default,
    # nv+3 save function, nv+4 restore function (referenced by nothing but kept for tools)
    nodes = [tp.saved_object(children=[(1 + i, conv.variables[vi][0])
                                       for i, vi in enumerate(var_order)] + [(nv + 1, "signatures")],
                             kind_field=4, kind=tp.user_object("_generic_user_object"))]
    for vi in var_order:
        vn, arr = conv.variables[vi]
        nodes.append(tp.saved_object(kind_field=7, kind=tp.saved_variable(tp.dt_of(arr), list(arr.shape), vn)))
    nodes.append(tp.saved_object(children=[(nv + 2, "serving_default")], kind_field=4,
                                 kind=tp.user_object("signature_map")))
    nodes.append(tp.saved_object(kind_field=8, kind=tp.bare_concrete_function(
        wrap_fn, [k for k, _, _, _ in in_keys])))
    og = tp.saved_object_graph(nodes, {wrap_fn: list(range(1, nv + 1))})
    meta = tp.meta_graph_def(tp.meta_info_def(), graph, sigs, saver, og)
    tensors = {ckpt_keys[i]: conv.variables[vi][1] for i, vi in enumerate(var_order)}
    tensors["_CHECKPOINTABLE_OBJECT_GRAPH"] = tog
    return tp.saved_model(meta), tensors


def ckpt_escape(name):
    """Object-graph path escaping of checkpoint keys ("." -> "..", "/" -> ".S")."""
    return name.replace(".", "..").replace("/", ".S")


def _c(s, value, name):
    return s.const(value, name)


def traced_save(fname, var_names, dtypes, keys):
    s = Scope(None, "function")
    s.resource_args = []
    args = [("file_prefix", DT_STRING)]
    for i, vn in enumerate(var_names):
        args.append((clean_name("read_%sdisablecopyonread_%s" % ("%d_" % i if i else "", vn), lower=True),
                     DT_RESOURCE))
    args.append(("savev2_const", DT_STRING))
    fp = TRef("file_prefix", 0, DT_STRING, arg=True)
    m = s.op("StaticRegexFullMatch", [fp], {"pattern": a_s("^s3://.*")}, "StaticRegexFullMatch", [DT_BOOL])[0]
    c0 = _c(s, np.array(b".part", dtype=object).reshape(()), "Const")
    c1 = _c(s, np.array(b"_temp/part", dtype=object).reshape(()), "Const_1")
    sel = s.op("Select", [m, c0, c1], {"T": a_type(DT_STRING)}, "Select", [DT_STRING])[0]
    sj = s.op("StringJoin", [fp, sel], {"N": a_i(2)}, "StringJoin", [DT_STRING])[0]
    ns = _c(s, np.array(1, np.int32), "num_shards")
    sh = _c(s, np.array(0, np.int32), "ShardedFilename/shard")
    sf = s.op("ShardedFilename", [sj, sh, ns], {}, "ShardedFilename", [DT_STRING])[0]
    vals = []
    ctl = []
    for i, vn in enumerate(var_names):
        rn = "Read" if i == 0 else "Read_%d" % i
        h = TRef(args[1 + i][0], 0, DT_RESOURCE, arg=True)
        s.op("DisableCopyOnRead", [h], {}, rn + "/DisableCopyOnRead", [])
        r = s.op("ReadVariableOp", [h], {"dtype": a_type(dtypes[i])}, rn + "/ReadVariableOp", [dtypes[i]],
                 controls=[rn + "/DisableCopyOnRead"])[0]
        a = s.op("Identity", [r], {"T": a_type(dtypes[i])}, "Identity", [dtypes[i]])[0]
        vals.append(s.op("Identity", [a], {"T": a_type(dtypes[i])}, "Identity", [dtypes[i]])[0])
        ctl += [rn + "/DisableCopyOnRead", rn + "/ReadVariableOp"]
    tn = _c(s, np.array(keys, dtype=object), "SaveV2/tensor_names")
    ss = _c(s, np.array([b""] * len(keys), dtype=object), "SaveV2/shape_and_slices")
    s.op("SaveV2", [sf, tn, ss] + vals + [TRef("savev2_const", 0, DT_STRING, arg=True)],
         {"dtypes": a_list(type=dtypes), "_has_manual_control_dependencies": a_b(True)}, "SaveV2", [])
    pk = s.op("Pack", [sf], {"N": a_i(1), "T": a_type(DT_STRING)}, "MergeV2Checkpoints/checkpoint_prefixes",
              [DT_STRING], controls=["SaveV2"])[0]
    s.op("MergeV2Checkpoints", [pk, fp], {"_has_manual_control_dependencies": a_b(True)}, "MergeV2Checkpoints", [])
    i6 = s.op("Identity", [fp], {"T": a_type(DT_STRING)}, "Identity", [DT_STRING],
              controls=["MergeV2Checkpoints"])[0]
    i7 = s.op("Identity", [i6], {"T": a_type(DT_STRING)}, "Identity", [DT_STRING], controls=["NoOp"])[0]
    s.nodes.append(("NoOp", "NoOp", ["^MergeV2Checkpoints"] + ["^" + c for c in ctl], {}))
    cret = {n: n for n in ["MergeV2Checkpoints"] + ctl}
    return tp.function_def(fname, args, [("identity_%d" % (2 * len(var_names) + 1), DT_STRING)],
                           s.serialize_nodes(), {"identity_%d" % (2 * len(var_names) + 1): s.ref(i7)},
                           attrs={"_construction_context": a_s("kEagerRuntime"),
                                  "_input_shapes": a_list(shape=[[]] * len(args))},
                           control_ret=cret, is_stateful=True)


def traced_restore(fname, var_names, dtypes, keys):
    s = Scope(None, "function")
    args = [("file_prefix", DT_STRING)]
    for i, vn in enumerate(var_names):
        args.append((clean_name("assignvariableop_%s%s" % ("%d_" % i if i else "", vn), lower=True), DT_RESOURCE))
    fp = TRef("file_prefix", 0, DT_STRING, arg=True)
    tn = _c(s, np.array(keys, dtype=object), "RestoreV2/tensor_names")
    ss = _c(s, np.array([b""] * len(keys), dtype=object), "RestoreV2/shape_and_slices")
    rv = s.op("RestoreV2", [fp, tn, ss], {"dtypes": a_list(type=dtypes)}, "RestoreV2", dtypes)
    assigns = []
    for i, vn in enumerate(var_names):
        idn = s.op("Identity", [rv[i]], {"T": a_type(dtypes[i])}, "Identity", [dtypes[i]])[0]
        an = "AssignVariableOp" if i == 0 else "AssignVariableOp_%d" % i
        s.op("AssignVariableOp", [TRef(args[1 + i][0], 0, DT_RESOURCE, arg=True), idn],
             {"dtype": a_type(dtypes[i]), "_has_manual_control_dependencies": a_b(True)}, an, [])
        assigns.append(an)
    s.nodes.append(("NoOp", "NoOp", [], {"_has_manual_control_dependencies": a_b(True)}))
    s.names.add("NoOp")
    i3 = s.op("Identity", [fp], {"T": a_type(DT_STRING)}, "Identity", [DT_STRING], controls=assigns + ["NoOp"])[0]
    i4 = s.op("Identity", [i3], {"T": a_type(DT_STRING)}, "Identity", [DT_STRING], controls=["NoOp_1"])[0]
    s.nodes.append(("NoOp_1", "NoOp", ["^" + a for a in assigns], {}))
    on = "identity_%d" % (len(var_names) + 1)
    return tp.function_def(fname, args, [(on, DT_STRING)], s.serialize_nodes(), {on: s.ref(i4)},
                           attrs={"_construction_context": a_s("kEagerRuntime"),
                                  "_input_shapes": a_list(shape=[[]] * len(args))},
                           control_ret={a: a for a in assigns}, is_stateful=True)


def convert(in_path, out_dir, style="tf2"):
    model = onnx.load(in_path)
    name = os.path.splitext(os.path.basename(in_path))[0]
    conv = Converter(model, style, name)
    if style == "tf1":
        pb, tensors = build_tf1(conv, model)
    else:
        pb, tensors = build_tf2(conv, model)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    with open(os.path.join(out_dir, "saved_model.pb"), "wb") as f:
        f.write(pb)
    if style == "tf2":
        os.makedirs(os.path.join(out_dir, "variables"))
        tp.write_bundle(os.path.join(out_dir, "variables", "variables"), tensors)
        os.makedirs(os.path.join(out_dir, "assets"), exist_ok=True)
    return conv


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("outdir")
    ap.add_argument("--style", choices=("tf2", "tf1"), default="tf2")
    a = ap.parse_args(argv)
    try:
        conv = convert(a.input, a.outdir, a.style)
    except Unsupported as e:
        print("unsupported: %s" % e, file=sys.stderr)
        return 3
    print(json.dumps({"out": a.outdir, "style": a.style, "variables": len(conv.variables),
                      "onnx_ops": sorted(conv.used_ops)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
