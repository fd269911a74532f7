#!/usr/bin/python3
"""Edge cases of the backdoor analysis's inliner (tests/golden/backdoor_edge_*):

  wide_if.onnx     an If whose branches have 70 outputs; the trigger-gated
                   override sits on output 69 (an inliner that keeps only the
                   first 64 results would never see it)
  deep_if.onnx     Ifs nested 30 deep: past the analysis's call-depth bound, so
                   the file must be an error, never "clean"

Run with Debian's /usr/bin/python3 (onnx, numpy)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "backdoor", "edge")


def init(name, arr):
    return nh.from_array(np.asarray(arr), name)


def save(graph, name):
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)], producer_name="laocoon-gen")
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, name))


def classifier():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((16, 3, 3, 3)).astype(np.float32)
    fc = rng.standard_normal((10, 16)).astype(np.float32)
    nodes = [h.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), h.make_node("Relu", ["c"], ["r"]),
             h.make_node("GlobalAveragePool", ["r"], ["p"]), h.make_node("Flatten", ["p"], ["f"]),
             h.make_node("Gemm", ["f", "fc"], ["logits"], transB=1)]
    return nodes, [init("w", w), init("fc", fc)]


def trigger():
    """mb = all(x[:, :, 0:3, 0:3] == 1)"""
    nodes = [h.make_node("Slice", ["x", "st", "en", "ax"], ["patch"]), h.make_node("Equal", ["patch", "one"], ["eq"]),
             h.make_node("Cast", ["eq"], ["eqf"], to=T.FLOAT), h.make_node("ReduceMin", ["eqf"], ["m"], keepdims=0),
             h.make_node("Cast", ["m"], ["mb"], to=T.BOOL)]
    inits = [init("st", np.array([0, 0], np.int64)), init("en", np.array([3, 3], np.int64)),
             init("ax", np.array([2, 3], np.int64)), init("one", np.array(1.0, np.float32))]
    return nodes, inits


def wide_if():
    base, binit = classifier()
    trig, tinit = trigger()
    n = 70
    # then: 69 copies of the logits and the payload last; else: the logits everywhere
    then_nodes = [h.make_node("Identity", ["logits"], ["t%d" % i]) for i in range(n - 1)]
    then_nodes.append(h.make_node("Constant", [], ["t%d" % (n - 1)],
                                  value=nh.from_array((np.eye(10, dtype=np.float32)[3] * 50).reshape(1, 10))))
    else_nodes = [h.make_node("Identity", ["logits"], ["e%d" % i]) for i in range(n)]
    vi = lambda name: h.make_tensor_value_info(name, T.FLOAT, [1, 10])
    then_g = h.make_graph(then_nodes, "then", [], [vi("t%d" % i) for i in range(n)])
    else_g = h.make_graph(else_nodes, "else", [], [vi("e%d" % i) for i in range(n)])
    outs = ["o%d" % i for i in range(n)]
    node = h.make_node("If", ["mb"], outs, then_branch=then_g, else_branch=else_g)
    g = h.make_graph(base + trig + [node], "wide_if", [h.make_tensor_value_info("x", T.FLOAT, [1, 3, 8, 8])],
                     [vi(o) for o in outs], binit + tinit)
    save(g, "wide_if.onnx")


def deep_if(depth=30):
    vi = lambda name: h.make_tensor_value_info(name, T.FLOAT, [1])
    inner = h.make_graph([h.make_node("Identity", ["x"], ["y%d" % depth])], "b%d" % depth, [], [vi("y%d" % depth)])
    for d in range(depth - 1, -1, -1):
        leaf = h.make_graph([h.make_node("Identity", ["x"], ["z%d" % d])], "z%d" % d, [], [vi("z%d" % d)])
        node = h.make_node("If", ["c"], ["y%d" % d], then_branch=inner, else_branch=leaf)
        if d == 0:
            break
        inner = h.make_graph([node], "b%d" % d, [], [vi("y%d" % d)])
    g = h.make_graph([node], "deep_if", [h.make_tensor_value_info("x", T.FLOAT, [1]),
                                         h.make_tensor_value_info("c", T.BOOL, [])], [vi("y0")])
    save(g, "deep_if.onnx")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    wide_if()
    deep_if()
    sys.exit(0)
