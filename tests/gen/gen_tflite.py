#!/usr/bin/python3
"""TFLite fixtures (tests/fixtures/tflite/), their goldens
(tests/golden/tflite_*.expect.json) and fuzz seeds (fuzz/corpus/tflite/).

TensorFlow is not needed: the flatbuffers are written by the tiny builder
below, which lays every table out front to back (children after their
parent, so every uoffset is positive; each vtable just before its table).
Field ids follow tensorflow/compiler/mlir/lite/schema/schema.fbs.  Malformed
files are patched byte by byte after building so that each structural check
of src/formats/flatbuffer.c and src/formats/tflite.c has a failing case.

Run from the repository root:  /usr/bin/python3 tests/gen/gen_tflite.py
"""
import io
import json
import os
import shutil
import struct
import zipfile

OUT = "tests/fixtures/tflite"
GOLD = "tests/golden"
FUZZ = "fuzz/corpus/tflite"

SCALARS = {"u8": "<B", "i8": "<b", "u16": "<H", "u32": "<I", "i32": "<i", "u64": "<Q", "i64": "<q", "f32": "<f"}


class T:
    """A table: fields = {name: (id, kind, value)}.  kinds: the scalar kinds
    above, "str", "bytes" (vector of ubyte), "i32s", "i64s", "f32s", "tab",
    "tabs" (vector of tables), "strs" (vector of strings)."""

    def __init__(self):
        self.fields = {}


def table(spec, **values):
    """spec: {name: (id, kind)}; values: name -> value (None = absent)."""
    t = T()
    for name, v in values.items():
        if v is None:
            continue
        fid, kind = spec[name]
        t.fields[name] = (fid, kind, v)
    return t


class Builder:
    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        while len(self.b) % n:
            self.b.append(0)

    def u32_at(self, pos, v):
        struct.pack_into("<I", self.b, pos, v & 0xFFFFFFFF)

    def table(self, t):
        # inline layout: soffset, then fields by decreasing size, naturally aligned
        items = sorted(t.fields.values(), key=lambda f: -self.size(f[1]))
        layout = []
        off = 4
        for fid, kind, v in items:
            sz = self.size(kind)
            while off % sz:
                off += 1
            layout.append((fid, kind, v, off))
            off += sz
        tsize = off
        nids = max([f[0] for f in items], default=-1) + 1
        vt = [0] * nids
        for fid, kind, v, o in layout:
            vt[fid] = o
        self.align(2)
        vtsize = 4 + 2 * nids
        # place the vtable so that the table after it starts 8-aligned
        while (len(self.b) + vtsize) % 8:
            self.b.append(0)
        vt_pos = len(self.b)
        self.b += struct.pack("<HH", vtsize, tsize) + b"".join(struct.pack("<H", x) for x in vt)
        pos = len(self.b)
        assert pos % 8 == 0
        self.b += bytes(tsize)
        struct.pack_into("<i", self.b, pos, pos - vt_pos)
        children = []
        for fid, kind, v, o in layout:
            if kind in SCALARS:
                struct.pack_into(SCALARS[kind], self.b, pos + o, v)
            else:
                children.append((pos + o, kind, v))
        for fpos, kind, v in children:
            target = self.obj(kind, v)
            self.u32_at(fpos, target - fpos)
        return pos

    @staticmethod
    def size(kind):
        if kind in SCALARS:
            return struct.calcsize(SCALARS[kind])
        return 4

    def obj(self, kind, v):
        if kind == "tab":
            return self.table(v)
        if kind == "str":
            data = v.encode() if isinstance(v, str) else v
            self.align(4)
            pos = len(self.b)
            self.b += struct.pack("<I", len(data)) + data + b"\0"
            return pos
        if kind == "bytes":
            # buffer data: force_align 16 for the payload
            while (len(self.b) + 4) % 16:
                self.b.append(0)
            pos = len(self.b)
            self.b += struct.pack("<I", len(v)) + v
            return pos
        if kind in ("i32s", "i64s", "f32s"):
            fmt = {"i32s": "<i", "i64s": "<q", "f32s": "<f"}[kind]
            while (len(self.b) + 4) % (8 if kind == "i64s" else 4):
                self.b.append(0)
            pos = len(self.b)
            self.b += struct.pack("<I", len(v)) + b"".join(struct.pack(fmt, x) for x in v)
            return pos
        if kind == "tabs" or kind == "strs":
            self.align(4)
            pos = len(self.b)
            self.b += struct.pack("<I", len(v)) + bytes(4 * len(v))
            for i, x in enumerate(v):
                slot = pos + 4 + 4 * i
                target = self.table(x) if kind == "tabs" else self.obj("str", x)
                self.u32_at(slot, target - slot)
            return pos
        raise ValueError(kind)

    def finish(self, root, ident=b"TFL3"):
        self.b += struct.pack("<I", 0) + ident
        pos = self.table(root)
        self.u32_at(0, pos)
        return bytes(self.b)


# ---- schema (field ids from schema.fbs) -------------------------------------
MODEL = {"version": (0, "u32"), "operator_codes": (1, "tabs"), "subgraphs": (2, "tabs"), "description": (3, "str"),
         "buffers": (4, "tabs"), "metadata_buffer": (5, "i32s"), "metadata": (6, "tabs"),
         "signature_defs": (7, "tabs")}
OPCODE = {"deprecated_builtin_code": (0, "i8"), "custom_code": (1, "str"), "version": (2, "i32"),
          "builtin_code": (3, "i32")}
SUBGRAPH = {"tensors": (0, "tabs"), "inputs": (1, "i32s"), "outputs": (2, "i32s"), "operators": (3, "tabs"),
            "name": (4, "str")}
TENSOR = {"shape": (0, "i32s"), "type": (1, "i8"), "buffer": (2, "u32"), "name": (3, "str"),
          "quantization": (4, "tab"), "is_variable": (5, "u8"), "shape_signature": (7, "i32s")}
QUANT = {"scale": (2, "f32s"), "zero_point": (3, "i64s")}
OPERATOR = {"opcode_index": (0, "u32"), "inputs": (1, "i32s"), "outputs": (2, "i32s"),
            "builtin_options_type": (3, "u8"), "builtin_options": (4, "tab"), "custom_options": (5, "bytes"),
            "intermediates": (8, "i32s")}
BUFFER = {"data": (0, "bytes"), "offset": (1, "u64"), "size": (2, "u64")}
METADATA = {"name": (0, "str"), "buffer": (1, "u32")}
TENSORMAP = {"name": (0, "str"), "tensor_index": (1, "u32")}
SIGDEF = {"inputs": (0, "tabs"), "outputs": (1, "tabs"), "signature_key": (2, "str"), "subgraph_index": (4, "u32")}
IF_OPTS = {"then_subgraph_index": (0, "i32"), "else_subgraph_index": (1, "i32")}
WHILE_OPTS = {"cond_subgraph_index": (0, "i32"), "body_subgraph_index": (1, "i32")}
ADD_OPTS = {"fused_activation_function": (0, "i8")}

ADD, MUL, CUSTOM, LESS, IF, WHILE = 0, 18, 32, 58, 118, 119
OPT_ADD, OPT_MUL, OPT_IF, OPT_WHILE = 11, 21, 92, 93
FLOAT32, INT32, BOOL = 0, 2, 6


def opcode(code, custom=None, version=1):
    return table(OPCODE, deprecated_builtin_code=min(code, 127), builtin_code=code, custom_code=custom,
                 version=version)


def tensor(name, shape, ttype=FLOAT32, buffer=0, quant=False):
    q = table(QUANT, scale=[0.5], zero_point=[0]) if quant else None
    return table(TENSOR, shape=shape, type=ttype, buffer=buffer, name=name, quantization=q)


def op(idx, ins, outs, opt_type=None, opts=None, custom_options=None):
    return table(OPERATOR, opcode_index=idx, inputs=ins, outputs=outs, builtin_options_type=opt_type,
                 builtin_options=opts, custom_options=custom_options)


def model(codes, subgraphs, buffers, sigs=None, metadata=None, version=3, description="laocoon test"):
    return table(MODEL, version=version, operator_codes=codes, subgraphs=subgraphs, description=description,
                 buffers=buffers, signature_defs=sigs, metadata=metadata)


def buf(data=None):
    return table(BUFFER, data=data)


def f32(*xs):
    return b"".join(struct.pack("<f", x) for x in xs)


def add_mul(custom_codes=None):
    """y = (x * a) + b, with a signature; optionally one more op per custom code."""
    codes = [opcode(MUL), opcode(ADD)]
    tensors = [tensor("x", [1, 4]), tensor("a", [4], buffer=1), tensor("b", [4], buffer=2, quant=True),
               tensor("", [1, 4]), tensor("y", [1, 4])]
    ops = [op(0, [0, 1], [3], OPT_MUL, table(ADD_OPTS)),
           op(1, [3, 2], [4], OPT_ADD, table(ADD_OPTS, fused_activation_function=0))]
    outs = [4]
    for name in custom_codes or []:
        codes.append(opcode(CUSTOM, name))
        tensors.append(tensor("%s_out" % name, [1, 4]))
        ops.append(op(len(codes) - 1, [4], [len(tensors) - 1], custom_options=b"\x01\x02\x03"))
        outs = [len(tensors) - 1]
    sg = table(SUBGRAPH, tensors=tensors, inputs=[0], outputs=outs, operators=ops, name="main")
    sig = table(SIGDEF, inputs=[table(TENSORMAP, name="input_x", tensor_index=0)],
                outputs=[table(TENSORMAP, name="output_y", tensor_index=outs[0])], signature_key="serving_default",
                subgraph_index=0)
    return model(codes, [sg], [buf(), buf(f32(1, 2, 3, 4)), buf(f32(5, 6, 7, 8)), buf(b"1.5.0\0")],
                 sigs=[sig], metadata=[table(METADATA, name="min_runtime_version", buffer=3)])


def control_flow():
    """main: WHILE(cond=1, body=2) then IF(then=3, else=4)."""
    codes = [opcode(WHILE), opcode(IF), opcode(LESS), opcode(ADD)]
    main = table(SUBGRAPH, name="main", inputs=[0], outputs=[3], tensors=[
        tensor("i", [], INT32), tensor("i_final", [], INT32), tensor("pred", [], BOOL), tensor("out", [], INT32)],
        operators=[op(0, [0], [1], OPT_WHILE, table(WHILE_OPTS, cond_subgraph_index=1, body_subgraph_index=2)),
                   op(1, [2, 1], [3], OPT_IF, table(IF_OPTS, then_subgraph_index=3, else_subgraph_index=4))])
    cond = table(SUBGRAPH, name="cond", inputs=[0], outputs=[2], tensors=[
        tensor("i", [], INT32), tensor("limit", [], INT32, buffer=1), tensor("lt", [], BOOL)],
        operators=[op(2, [0, 1], [2])])

    def adder(name):
        return table(SUBGRAPH, name=name, inputs=[0], outputs=[2], tensors=[
            tensor("i", [], INT32), tensor("one", [], INT32, buffer=2), tensor("next", [], INT32)],
            operators=[op(3, [0, 1], [2], OPT_ADD, table(ADD_OPTS))])
    return model(codes, [main, cond, adder("body"), adder("then"), adder("else")],
                 [buf(), buf(struct.pack("<i", 10)), buf(struct.pack("<i", 1))])


def write(name, data):
    with open(os.path.join(OUT, name + ".tflite"), "wb") as f:
        f.write(data)


def golden(name, status, findings=(), exact=True, error=None, exit_code=None, limits=None, fmt="tflite"):
    g = {"input": "%s/%s.tflite" % (OUT, name), "status": status}
    if fmt:
        g["format"] = fmt
    if findings:
        g["findings"] = [{"rule": r, "severity": s, "contains": c} for r, s, c in findings]
    g["exact"] = exact
    if error:
        g["error_contains"] = error
    if limits:
        g["limits"] = limits
    if exit_code is not None:
        g["exit"] = exit_code
    with open(os.path.join(GOLD, "tflite_%s.expect.json" % name), "w") as f:
        json.dump(g, f, indent=2)
        f.write("\n")


def root_pos(data):
    return struct.unpack_from("<I", data, 0)[0]


def field_pos(data, table_pos, fid):
    vt = table_pos - struct.unpack_from("<i", data, table_pos)[0]
    return table_pos + struct.unpack_from("<H", data, vt + 4 + 2 * fid)[0]


def main():
    for d in (OUT, FUZZ):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    os.makedirs(GOLD, exist_ok=True)

    # ---- well-formed ----
    base = Builder().finish(add_mul())
    write("add_mul", base)
    golden("add_mul", "scanned", exit_code=0)
    write("control_flow", Builder().finish(control_flow()))
    golden("control_flow", "scanned", exit_code=0)
    write("custom_unknown", Builder().finish(add_mul(["MyPrivateKernel"])))
    golden("custom_unknown", "scanned", [("tflite.custom-op", "MEDIUM", "MyPrivateKernel")], exit_code=0)
    write("custom_vendor", Builder().finish(add_mul(["TFLite_Detection_PostProcess", "SignalWindow", "ethos-u"])))
    golden("custom_vendor", "scanned", [("tflite.custom-op", "INFO", "TFLite_Detection_PostProcess"),
                                        ("tflite.custom-op", "INFO", "SignalWindow"),
                                        ("tflite.custom-op", "INFO", "ethos-u")], exit_code=0)
    write("flex_readfile", Builder().finish(add_mul(["FlexReadFile", "FlexWriteFile"])))
    golden("flex_readfile", "scanned", [("tflite.flex-op", "HIGH", "FlexReadFile"),
                                        ("tflite.flex-op", "HIGH", "FlexWriteFile")], exit_code=1)
    write("flex_pyfunc", Builder().finish(add_mul(["FlexPyFunc"])))
    golden("flex_pyfunc", "scanned", [("tflite.flex-op", "CRITICAL", "FlexPyFunc")], exit_code=1)
    write("flex_benign", Builder().finish(add_mul(["FlexRFFT"])))
    golden("flex_benign", "scanned", [("tflite.flex-op", "MEDIUM", "FlexRFFT")], exit_code=0)

    # associated files: a zip appended after the flatbuffer, here with a
    # pickle that calls os.system (bytes only, never loaded)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("labels.txt", "cat\ndog\n")
        zf.writestr("evil.pkl", b"cos\nsystem\n(S'echo pwned'\ntR.")
    write("assoc_zip_evil", base + z.getvalue())
    golden("assoc_zip_evil", "scanned", [("pickle.callable.dangerous", "CRITICAL", "system"),
                                         ("tflite.associated-files", "INFO", "zip")], exact=False, exit_code=1)

    # >2 GB layout: a buffer stored after the flatbuffer, found by offset/size
    def external(extra):
        m = add_mul()
        m.fields["buffers"][2][1] = table(BUFFER, offset=0, size=16)
        n = len(Builder().finish(m))
        start = (n + 15) // 16 * 16
        m.fields["buffers"][2][1] = table(BUFFER, offset=start + extra, size=16)
        data = Builder().finish(m)
        assert len(data) == n
        return data + bytes(start - n) + f32(1, 2, 3, 4)
    write("external_buffer", external(0))
    golden("external_buffer", "scanned", exit_code=0)
    write("external_out_of_range", external(8))
    golden("external_out_of_range", "error", error="is outside the file", exit_code=2)

    # tensor names are not unique in TFLite; the graph model needs them to be
    m = add_mul()
    m.fields["subgraphs"][2][0].fields["tensors"][2][3] = tensor("x", [1, 4])
    write("dup_names", Builder().finish(m))
    golden("dup_names", "scanned", exit_code=0)

    # ---- malformed ----
    rp = root_pos(base)
    bad = bytearray(base)
    struct.pack_into("<i", bad, rp, -0x7FFFFFF0)  # vtable far after the end
    write("vtable_out_of_range", bytes(bad))
    golden("vtable_out_of_range", "error", error="vtable of the table", exit_code=2)

    bad = bytearray(base)
    vt = rp - struct.unpack_from("<i", base, rp)[0]
    struct.pack_into("<H", bad, vt, 0xFFF0)  # vtable claims 64 KiB, runs past the end
    write("vtable_size", bytes(bad))
    golden("vtable_size", "error", error="runs past the end", exit_code=2)

    bad = bytearray(base)
    fp = field_pos(base, rp, 1)  # operator_codes uoffset
    struct.pack_into("<I", bad, fp, 0xFFFFFFF0)
    write("offset_overflow", bytes(bad))
    golden("offset_overflow", "error", error="past the end of the buffer", exit_code=2)

    bad = bytearray(base)
    fp = field_pos(base, rp, 4)  # buffers vector: huge count
    vec = fp + struct.unpack_from("<I", base, fp)[0]
    struct.pack_into("<I", bad, vec, 0x40000000)
    write("huge_vector", bytes(bad))
    golden("huge_vector", "error", error="claims 1073741824 elements", exit_code=2)

    write("truncated", base[:len(base) // 2])
    golden("truncated", "error", error="past the end", exit_code=2)

    def variant(name, mutate, error):
        m = add_mul()
        mutate(m)
        write(name, Builder().finish(m))
        golden(name, "error", error=error, exit_code=2)

    def sub0(m):
        return m.fields["subgraphs"][2][0]

    variant("opcode_out_of_range",
            lambda m: sub0(m).fields["operators"][2][0].fields.update(opcode_index=(0, "u32", 7)),
            "opcode_index 7 out of range (2 operator codes)")
    variant("tensor_out_of_range",
            lambda m: sub0(m).fields["operators"][2][1].fields.update(inputs=(1, "i32s", [3, 99])),
            "tensor index 99 out of range (5 tensors)")
    variant("buffer_out_of_range",
            lambda m: sub0(m).fields["tensors"][2][1].fields.update(buffer=(2, "u32", 40)),
            "buffer index 40 out of range")
    variant("bad_version", lambda m: m.fields.update(version=(0, "u32", 2)), "schema version 2")
    variant("custom_no_name",
            lambda m: m.fields["operator_codes"][2].append(opcode(CUSTOM)),
            "CUSTOM operator code without a custom_code name")
    variant("signature_out_of_range",
            lambda m: m.fields["signature_defs"][2][0].fields.update(subgraph_index=(4, "u32", 3)),
            "subgraph_index 3 out of range")

    cf = control_flow()
    cf.fields["subgraphs"][2][0].fields["operators"][2][1].fields["builtin_options"][2].fields.update(
        else_subgraph_index=(1, "i32", 9))
    write("if_out_of_range", Builder().finish(cf))
    golden("if_out_of_range", "error", error="else_subgraph_index 9 out of range (5 subgraphs)", exit_code=2)

    # a limit: table visits
    write("tables_limit", base)
    golden("tables_limit", "error", error="fb_max_tables", limits={"fb_max_tables": 5}, exit_code=2)
    os.remove(os.path.join(OUT, "tables_limit.tflite"))
    with open(os.path.join(GOLD, "tflite_tables_limit.expect.json")) as f:
        g = json.load(f)
    g["input"] = "%s/add_mul.tflite" % OUT
    g["limit"] = "fb_max_tables"
    with open(os.path.join(GOLD, "tflite_tables_limit.expect.json"), "w") as f:
        json.dump(g, f, indent=2)
        f.write("\n")

    # ---- fuzz seeds: every fixture ----
    for n in sorted(os.listdir(OUT)):
        shutil.copy(os.path.join(OUT, n), os.path.join(FUZZ, n[:-len(".tflite")]))


if __name__ == "__main__":
    main()
