#!/usr/bin/env python3
"""Generates tests/fixtures/graph/ for tests/cli/graph_*.sh
(run with Debian's /usr/bin/python3 and python3-onnx 1.12; the tests need
neither).

A small valid ONNX graph whose graph, node, value, input and output names and
one custom op are hostile to a DOT writer: quotes, backslashes and Graphviz's
escapes (\\N \\G \\l), newlines, braces that would close the graph, HTML and
entities, bidi and zero-width characters, a 100 kB name, multi-byte
characters around the truncation point, and bytes that are not UTF-8 (patched
into the serialized model in place of a placeholder of the same length, which
protobuf would otherwise refuse to write).  Written only, never loaded.

big_chain.onnx: 2100 Relu nodes in a chain, over the 2000 nodes a whole-graph
drawing shows.
"""
import os

import onnx
from onnx import TensorProto, helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "graph")

INVALID_PLACEHOLDER = "INVALIDUTF8XX"
INVALID_BYTES = b"bad\xff\xfe\xc3(\xe2\x82zz\xf0\x9f"
assert len(INVALID_PLACEHOLDER.encode()) == len(INVALID_BYTES)

NAMES = [
    'quote"name',
    "back\\slash\\N\\G\\l\\",
    "new\nline\rcr\ttab",
    '}; evil [label="pwned"]; {',
    "<b>html</b> &amp; &#0; &lt;",
    "\u202eevil\u200bzw",
    "A" * 100000 + '"}',
    "\u00e9" * 30 + "\U0001F600" * 10,
    INVALID_PLACEHOLDER,
]


def main():
    # a chain x -> n0 -> n1 -> ... -> y, each node and value named hostile
    nodes = []
    prev = 'in"put\\'
    for i, name in enumerate(NAMES):
        out = 'v"%d\\\n' % i if i % 2 else "val_" + name[:12]
        nodes.append(helper.make_node("Relu" if i % 2 else "Identity", [prev], [out], name=name))
        prev = out
    # a custom op with a hostile domain and type (onnx.custom-op, MEDIUM)
    nodes.append(helper.make_node('Op\\"x\n', [prev], ['out"\\put'], name="custom", domain='evil"dom\\'))
    g = helper.make_graph(nodes, 'graph"name\\\n}', [helper.make_tensor_value_info('in"put\\', TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info('out"\\put', TensorProto.FLOAT, [2])])
    m = helper.make_model(g, opset_imports=[helper.make_operatorsetid("", 13),
                                            helper.make_operatorsetid('evil"dom\\', 1)],
                          producer_name="laocoon-gen", producer_version="1")
    m.ir_version = 8
    data = m.SerializeToString()
    assert data.count(INVALID_PLACEHOLDER.encode()) >= 1
    data = data.replace(INVALID_PLACEHOLDER.encode(), INVALID_BYTES)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "hostile_names.onnx"), "wb") as f:
        f.write(data)


def big_chain(n=2100):
    nodes = [helper.make_node("Relu", ["x" if i == 0 else "v%d" % (i - 1)], ["y" if i == n - 1 else "v%d" % i])
             for i in range(n)]
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    m = helper.make_model(g, opset_imports=[helper.make_operatorsetid("", 13)], producer_name="laocoon-gen",
                          producer_version="1")
    m.ir_version = 8
    with open(os.path.join(OUT, "big_chain.onnx"), "wb") as f:
        f.write(m.SerializeToString())


if __name__ == "__main__":
    main()
    big_chain()
