"""Graph surgery helpers for the backdoor evaluation set (python3-onnx 1.12).

A graft never changes what the original graph computes: it renames one tensor
(a graph output, a graph input's uses, or the input of one node), adds the new
nodes and initializers, and re-sorts the node list topologically.  Every
helper emits ops whose signature is the same from opset 13 to opset 17
(ReduceMax/Min/Prod take `axes` as an attribute there, ReduceSum, Squeeze
and Unsqueeze take it as an input).
"""
import copy
import io

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NP2ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
           np.dtype(np.int32): TensorProto.INT32, np.dtype(np.bool_): TensorProto.BOOL,
           np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
           np.dtype(np.float16): TensorProto.FLOAT16}
F, I64, I32, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32, TensorProto.BOOL


def export_torch(module, args, input_names, output_names, opset, dynamic_axes=None):
    """torch.onnx.export into memory; eval mode, constant folding on (BN folded into Conv)."""
    import torch
    module.eval()
    f = io.BytesIO()
    # Not under no_grad: nn.TransformerEncoder would take its fused fast path,
    # which torch.onnx cannot export.
    torch.onnx.export(module, args, f, opset_version=opset, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes,
                      do_constant_folding=True)
    m = onnx.load_from_string(f.getvalue())
    m.producer_name, m.producer_version = "pytorch", "1.13.0"
    return m


def opset_of(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return 0


def init_array(model, name):
    for t in model.graph.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    for n in model.graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return numpy_helper.to_array(n.attribute[0].t)
        if n.op_type == "Identity" and n.output[0] == name:  # torch dedups equal initializers
            return init_array(model, n.input[0])
    return None


def producer(model, tensor):
    for n in model.graph.node:
        if tensor in n.output:
            return n
    return None


def consumers(model, tensor):
    return [n for n in model.graph.node if tensor in n.input]


def toposort(graph):
    """Kahn's algorithm over the top-level nodes (subgraph outer-scope
    references count as inputs of the node that owns the subgraph)."""
    avail = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    nodes = list(graph.node)

    def needs(n):
        req = set(n.input)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                req |= _outer_refs(a.g)
        return req
    reqs = [needs(n) for n in nodes]
    out, done = [], [False] * len(nodes)
    progress = True
    while progress:
        progress = False
        for i, n in enumerate(nodes):
            if not done[i] and reqs[i] <= avail:
                out.append(n)
                avail |= set(n.output)
                done[i] = progress = True
    if not all(done):
        missing = [nodes[i].name for i in range(len(nodes)) if not done[i]]
        raise RuntimeError("graph not sortable, stuck at %s" % missing[:5])
    del graph.node[:]
    graph.node.extend(out)


def _outer_refs(g):
    local = {i.name for i in g.input} | {t.name for t in g.initializer}
    refs = set()
    for n in g.node:
        for x in n.input:
            if x and x not in local:
                refs.add(x)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                refs |= _outer_refs(a.g) - local
        local |= set(n.output)
    for o in g.output:
        if o.name not in local:
            refs.add(o.name)
    return refs


class Graft:
    """Adds a shadow branch to a copy of `model`.

    `prefix` names the new nodes the way torch.onnx names its own ("/head/..."),
    so nothing but the structure gives the branch away."""

    def __init__(self, model, prefix="/head"):
        self.m = copy.deepcopy(model)
        self.g = self.m.graph
        self.prefix = prefix
        self.opset = opset_of(self.m)
        self.n = 0
        self.names = {n.name for n in self.g.node} | {t.name for t in self.g.initializer}
        for n in self.g.node:
            self.names |= set(n.output)

    # -- naming ---------------------------------------------------------------
    def fresh(self, hint):
        while True:
            self.n += 1
            s = "%s/%s_%d" % (self.prefix, hint, self.n)
            if s not in self.names:
                self.names.add(s)
                return s

    # -- building -------------------------------------------------------------
    def const(self, value, dtype=np.float32, hint="Constant", as_node=False):
        arr = np.asarray(value, dtype=dtype)
        # `hint` only documents the call site: names stay neutral (torch-like)
        # so that a detector cannot key on words such as "payload".
        name = self.fresh("Constant_output_0")
        if as_node:  # a Constant node instead of an initializer
            self.g.node.append(helper.make_node("Constant", [], [name], name=self.fresh("Constant"),
                                                value=numpy_helper.from_array(arr, name)))
        else:
            self.g.initializer.append(numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type, inputs, n_out=1, out=None, domain=None, **attrs):
        outs = [out] if out else [self.fresh(op_type + "_output_0") for _ in range(n_out)]
        node = helper.make_node(op_type, list(inputs), outs, name=self.fresh(op_type), **attrs)
        if domain:
            node.domain = domain
        self.g.node.append(node)
        return outs[0] if n_out == 1 else outs

    def reduce(self, op_type, x, axes=None, keepdims=0):
        """ReduceX with the opset-13..17 signature (ReduceSum: axes input)."""
        if op_type == "ReduceSum":
            ins = [x] if axes is None else [x, self.const(axes, np.int64, "axes")]
            return self.op(op_type, ins, keepdims=keepdims)
        if axes is None:
            return self.op(op_type, [x], keepdims=keepdims)
        return self.op(op_type, [x], keepdims=keepdims, axes=list(axes))

    def slice(self, x, starts, ends, axes, steps=None, const_node=False):
        ins = [x, self.const(starts, np.int64, "starts", const_node),
               self.const(ends, np.int64, "ends", const_node),
               self.const(axes, np.int64, "axes", const_node)]
        if steps is not None:
            ins.append(self.const(steps, np.int64, "steps", const_node))
        return self.op("Slice", ins)

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", [x, self.const(axes, np.int64, "axes")])

    def subgraph(self, name, nodes, outputs, initializers=()):
        return helper.make_graph(nodes, name, [], outputs, list(initializers))

    # -- rewiring -------------------------------------------------------------
    def take_output(self, out_name):
        """Renames the tensor behind graph output `out_name`; returns the new
        internal name.  The caller must produce `out_name` again."""
        prod = next((n.op_type for n in self.g.node if out_name in n.output), "Identity")
        inner = self.fresh(prod + "_output_0")
        self._rename(out_name, inner, skip_graph_outputs=True)
        return inner

    def take_input(self, in_name):
        """Detaches every use of graph input `in_name` (the caller produces the
        returned name from `in_name`)."""
        inner = self.fresh("Identity_output_0")
        for n in self.g.node:
            for i, x in enumerate(n.input):
                if x == in_name:
                    n.input[i] = inner
        return inner

    def take_edge(self, node, idx):
        """Detaches input `idx` of `node`; returns (old tensor, new tensor name)."""
        old = node.input[idx]
        new = self.fresh("Add_output_0")
        node.input[idx] = new
        return old, new

    def _rename(self, old, new, skip_graph_outputs):
        for n in self.g.node:
            for i, x in enumerate(n.output):
                if x == old:
                    n.output[i] = new
            for i, x in enumerate(n.input):
                if x == old:
                    n.input[i] = new
        for vi in self.g.value_info:
            if vi.name == old:
                vi.name = new

    def add_input(self, name, elem_type, shape):
        self.g.input.append(helper.make_tensor_value_info(name, elem_type, shape))

    def finish(self, doc=None):
        toposort(self.g)
        if doc:
            self.m.doc_string = doc
        onnx.checker.check_model(self.m)
        return self.m


def save(model, path):
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
