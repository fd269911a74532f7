#!/usr/bin/env python3
"""Hand-written protobuf wire encoder/decoder for the TensorFlow messages a
SavedModel needs, plus a TensorBundle (variables.index / variables.data-*)
writer and reader.  TensorFlow cannot be installed here, so nothing imports
its generated classes.

Field numbers are TensorFlow's own (checked against
tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape,
function,op_def,types,versions}.proto and tensorflow/core/protobuf/
{saved_model,meta_graph,saver,saved_object_graph,trackable_object_graph,
tensor_bundle}.proto):

  SavedModel        saved_model_schema_version 1, meta_graphs 2
  MetaGraphDef      meta_info_def 1, graph_def 2, saver_def 3, collection_def 4,
                    signature_def 5 (map), asset_file_def 6, object_graph_def 7
  MetaInfoDef       meta_graph_version 1, stripped_op_list 2, any_info 3, tags 4,
                    tensorflow_version 5, tensorflow_git_version 6,
                    stripped_default_attrs 7, function_aliases 8
  GraphDef          node 1, library 2, version 3 (deprecated), versions 4
  VersionDef        producer 1, min_consumer 2, bad_consumers 3
  NodeDef           name 1, op 2, input 3, device 4, attr 5 (map)
  AttrValue         list 1, s 2, i 3, f 4, b 5, type 6, shape 7, tensor 8,
                    placeholder 9, func 10
  AttrValue.ListValue s 2, i 3, f 4, b 5, type 6, shape 7, tensor 8, func 9
  NameAttrList      name 1, attr 2 (map)
  TensorProto       dtype 1, tensor_shape 2, version_number 3, tensor_content 4,
                    float_val 5, double_val 6, int_val 7, string_val 8,
                    int64_val 10, bool_val 11, half_val 13
  TensorShapeProto  dim 2 (Dim: size 1, name 2), unknown_rank 3
  FunctionDefLibrary function 1, gradient 2
  FunctionDef       signature 1, node_def 3, ret 4 (map), attr 5 (map),
                    control_ret 6 (map), arg_attr 7 (map)
  OpDef             name 1, input_arg 2, output_arg 3, attr 4, control_output 20,
                    is_stateful 17
  OpDef.ArgDef      name 1, description 2, type 3, type_attr 4, number_attr 5,
                    type_list_attr 6
  SignatureDef      inputs 1 (map), outputs 2 (map), method_name 3
  TensorInfo        name 1, dtype 2, tensor_shape 3
  SaverDef          filename_tensor_name 1, save_tensor_name 2, restore_op_name 3,
                    max_to_keep 4, sharded 5, keep_checkpoint_every_n_hours 6,
                    version 7
  SavedObjectGraph  nodes 1, concrete_functions 2 (map)
  SavedObject       children 1, user_object 4, function 6, variable 7,
                    bare_concrete_function 8, saveable_objects 11 (map),
                    dependencies 15
  BundleHeaderProto num_shards 1, endianness 2, version 3
  BundleEntryProto  dtype 1, shape 2, shard_id 3, offset 4, size 5, crc32c 6
  TrackableObjectGraph nodes 1; TrackableObject children 1, attributes 2;
                    ObjectReference node_id 1, local_name 2; SerializedTensor
                    name 1, full_name 2, checkpoint_key 3

Standard library and numpy only.
"""
import os
import struct

import numpy as np

# ---- DataType ---------------------------------------------------------------

DT_INVALID, DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING = 0, 1, 2, 3, 4, 5, 6, 7
DT_COMPLEX64, DT_INT64, DT_BOOL = 8, 9, 10
DT_BFLOAT16, DT_UINT16, DT_HALF, DT_RESOURCE, DT_VARIANT, DT_UINT32, DT_UINT64 = 14, 17, 19, 20, 21, 22, 23

NP2DT = {
    np.dtype(np.float32): DT_FLOAT, np.dtype(np.float64): DT_DOUBLE, np.dtype(np.int32): DT_INT32,
    np.dtype(np.uint8): DT_UINT8, np.dtype(np.int16): DT_INT16, np.dtype(np.int8): DT_INT8,
    np.dtype(np.int64): DT_INT64, np.dtype(np.bool_): DT_BOOL, np.dtype(np.uint16): DT_UINT16,
    np.dtype(np.float16): DT_HALF, np.dtype(np.uint32): DT_UINT32, np.dtype(np.uint64): DT_UINT64,
    np.dtype(object): DT_STRING,
}
DT2NP = {v: k for k, v in NP2DT.items()}

DT_NAMES = {DT_FLOAT: "float32", DT_DOUBLE: "float64", DT_INT32: "int32", DT_UINT8: "uint8",
            DT_INT16: "int16", DT_INT8: "int8", DT_STRING: "string", DT_INT64: "int64", DT_BOOL: "bool",
            DT_HALF: "float16", DT_RESOURCE: "resource", DT_UINT16: "uint16", DT_UINT32: "uint32",
            DT_UINT64: "uint64"}


def dt_of(arr_or_dtype):
    d = np.dtype(arr_or_dtype.dtype if hasattr(arr_or_dtype, "dtype") else arr_or_dtype)
    if d.kind in "SUO":
        return DT_STRING
    return NP2DT[d]


# ---- wire format: encoding --------------------------------------------------

def varint(n):
    if n < 0:
        n &= 0xFFFFFFFFFFFFFFFF
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
    """varint field (int32/int64/uint/bool/enum); skipped when zero (proto3)."""
    if not v:
        return b""
    return key(num, 0) + varint(int(v))


def fv_always(num, v):
    return key(num, 0) + varint(int(v))


def fb(num, b):
    """length-delimited field (string/bytes/message)."""
    if isinstance(b, str):
        b = b.encode()
    return key(num, 2) + varint(len(b)) + b


def fb_opt(num, b):
    return fb(num, b) if b else b""


def ff32(num, x):
    return key(num, 5) + struct.pack("<f", x)


def ffix32(num, x):
    return key(num, 5) + struct.pack("<I", x & 0xFFFFFFFF)


def packed_varints(num, values):
    if not len(values):
        return b""
    return fb(num, b"".join(varint(int(v)) for v in values))


def packed_floats(num, values):
    if not len(values):
        return b""
    return fb(num, struct.pack("<%df" % len(values), *values))


def map_entry(num, k, v_bytes):
    """A map<string, Message/string> entry: key 1, value 2."""
    return fb(num, fb(1, k) + fb(2, v_bytes))


# ---- TensorFlow messages ----------------------------------------------------

def shape_proto(dims, unknown_rank=False):
    if dims is None or unknown_rank:
        return fv(3, 1)
    return b"".join(fb(2, b"" if (d is not None and int(d) == 0) else fv_always(1, -1 if d is None else int(d)))
                    for d in dims)


def _string_bytes(v):
    if isinstance(v, bytes):
        return v
    return str(v).encode()


def tensor_proto(arr, dtype=None):
    """TensorProto from a numpy array (or a Python scalar / list)."""
    if dtype is None:
        if isinstance(arr, (bytes, str)):
            arr = np.array([arr], dtype=object).reshape(())
        arr = np.asarray(arr)
        dtype = dt_of(arr)
    b = fv(1, dtype) + fb(2, shape_proto(arr.shape))
    if dtype == DT_STRING:
        for v in np.asarray(arr, dtype=object).reshape(-1):
            b += fb(8, _string_bytes(v))
        return b
    a = np.ascontiguousarray(np.asarray(arr, dtype=DT2NP[dtype]))
    if a.size == 1 and a.ndim == 0:
        # scalars the way TensorFlow writes them: the typed repeated field
        v = a.reshape(-1)[0]
        if dtype == DT_FLOAT:
            return b + key(5, 2) + varint(4) + struct.pack("<f", v)
        if dtype == DT_DOUBLE:
            return b + key(6, 2) + varint(8) + struct.pack("<d", v)
        if dtype in (DT_INT32, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16):
            return b + fb(7, varint(int(v)))
        if dtype == DT_INT64:
            return b + fb(10, varint(int(v)))
        if dtype == DT_BOOL:
            return b + fb(11, varint(int(v)))
    if a.size == 0:
        return b
    return b + fb(4, a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())


def a_s(s):
    return fb(2, s) if s else key(2, 2) + b"\0"


def a_i(i):
    return key(3, 0) + varint(int(i))


def a_f(x):
    return ff32(4, x)


def a_b(v):
    return key(5, 0) + varint(1 if v else 0)


def a_type(t):
    return key(6, 0) + varint(t)


def a_shape(dims, unknown_rank=False):
    return fb(7, shape_proto(dims, unknown_rank))


def a_tensor(t):
    return fb(8, t)


def a_func(name, attrs=None):
    b = fb(1, name)
    for k, v in (attrs or {}).items():
        b += map_entry(2, k, v)
    return fb(10, b)


def a_list(s=None, i=None, f=None, b=None, type=None, shape=None, func=None):
    out = b""
    for x in s or ():
        out += fb(2, x)
    if i:
        out += packed_varints(3, i)
    if f:
        out += packed_floats(4, f)
    if b:
        out += packed_varints(5, [1 if x else 0 for x in b])
    if type:
        out += packed_varints(6, type)
    for sh in shape or ():
        out += fb(7, shape_proto(sh))
    for fn in func or ():
        out += fb(9, fb(1, fn))
    return key(1, 2) + varint(len(out)) + out


def node_def(name, op, inputs=(), attrs=None, device=""):
    b = fb(1, name) + fb(2, op)
    for i in inputs:
        b += fb(3, i)
    if device:
        b += fb(4, device)
    for k in sorted(attrs or {}):
        b += map_entry(5, k, attrs[k])
    return b


def version_def(producer, min_consumer=0):
    return fv(1, producer) + fv(2, min_consumer)


def graph_def(nodes, functions=(), producer=1645):
    b = b"".join(fb(1, n) for n in nodes)
    if functions:
        b += fb(2, b"".join(fb(1, f) for f in functions))
    return b + fb(4, version_def(producer))


def arg_def(name, dtype):
    return fb(1, name) + fv(3, dtype)


def function_def(name, inputs, outputs, nodes, ret, attrs=None, control_ret=None, is_stateful=False,
                 arg_attrs=None):
    """inputs/outputs: [(name, dtype)], ret: {output name: "node:arg:idx"}."""
    sig = fb(1, name)
    for n, t in inputs:
        sig += fb(2, arg_def(n, t))
    for n, t in outputs:
        sig += fb(3, arg_def(n, t))
    if is_stateful:
        sig += fv(17, 1)
    for c in sorted(control_ret or {}):
        sig += fb(20, c)
    b = fb(1, sig)
    for n in nodes:
        b += fb(3, n)
    for k in sorted(ret):
        b += map_entry(4, k, ret[k])
    for k in sorted(attrs or {}):
        b += map_entry(5, k, attrs[k])
    for k in sorted(control_ret or {}):
        b += map_entry(6, k, control_ret[k])
    for idx in sorted(arg_attrs or {}):
        inner = b"".join(map_entry(1, k, v) for k, v in sorted(arg_attrs[idx].items()))
        b += fb(7, fv_always(1, idx) + fb(2, inner))
    return b


def tensor_info(name, dtype, dims):
    return fb(1, name) + fv(2, dtype) + fb(3, shape_proto(dims))


def signature_def(inputs, outputs, method="tensorflow/serving/predict"):
    """inputs/outputs: [(key, tensor_info bytes)]."""
    b = b""
    for k, ti in sorted(inputs):
        b += map_entry(1, k, ti)
    for k, ti in sorted(outputs):
        b += map_entry(2, k, ti)
    return b + fb(3, method)


def saver_def(filename, save, restore, max_to_keep=5, sharded=True, every_n_hours=10000.0):
    return (fb(1, filename) + fb(2, save) + fb(3, restore) + fv(4, max_to_keep) + fv(5, sharded) +
            ff32(6, every_n_hours) + fv(7, 2))


def meta_info_def(tags=("serve",), tf_version="2.15.0", git_version="v2.15.0-2-g0b15fdfcb3f",
                  stripped_default_attrs=True, function_aliases=None):
    b = b"".join(fb(4, t) for t in tags) + fb(5, tf_version) + fb(6, git_version)
    b += fv(7, stripped_default_attrs)
    for k, v in sorted((function_aliases or {}).items()):
        b += fb(8, fb(1, k) + fb(2, v))
    return b


def meta_graph_def(info, graph, signatures=(), saver=b"", object_graph=b""):
    b = fb(1, info) + fb(2, graph)
    if saver:
        b += fb(3, saver)
    for k, sd in sorted(signatures):
        b += map_entry(5, k, sd)
    if object_graph:
        b += fb(7, object_graph)
    return b


def saved_model(*metas):
    return fv(1, 1) + b"".join(fb(2, m) for m in metas)


# ---- object graphs ------------------------------------------------------------

def object_reference(node_id, local_name):
    return fv(1, node_id) + fb(2, local_name)


def saved_object(children=(), kind_field=None, kind=b"", saveables=None, dependencies=()):
    """children: [(node_id, local_name)]; kind_field: 4 user_object, 6 function,
    7 variable, 8 bare_concrete_function; saveables {name: (save_id, restore_id)}."""
    b = b"".join(fb(1, object_reference(n, l)) for n, l in children)
    if kind_field:
        b += fb(kind_field, kind)
    for k, (s, r) in sorted((saveables or {}).items()):
        b += map_entry(11, k, fv(2, s) + fv(3, r))
    b += b"".join(fb(15, object_reference(n, l)) for n, l in dependencies)
    return b


def user_object(identifier, producer=1, min_consumer=1):
    return fb(1, identifier) + fb(2, version_def(producer, min_consumer))


def saved_variable(dtype, dims, name, trainable=True):
    # synchronization 4 = VARIABLE_SYNCHRONIZATION_AUTO (1), aggregation 5 = NONE (1)
    return fv(1, dtype) + fb(2, shape_proto(dims)) + fv(3, trainable) + fv(4, 1) + fv(5, 1) + fb(6, name)


def bare_concrete_function(name, argument_keywords=(), allowed_positional=0):
    return fb(1, name) + b"".join(fb(2, a) for a in argument_keywords) + fv(3, allowed_positional)


def saved_object_graph(nodes, concrete_functions=None):
    """concrete_functions: {name: [bound input node ids]}."""
    b = b"".join(fb(1, n) for n in nodes)
    for k, bound in sorted((concrete_functions or {}).items()):
        b += map_entry(2, k, packed_varints(2, bound))
    return b


def trackable_object_graph(nodes):
    """nodes: [(children [(id, name)], attributes [(name, full_name, key)])]."""
    out = b""
    for children, attrs in nodes:
        b = b"".join(fb(1, object_reference(n, l)) for n, l in children)
        b += b"".join(fb(2, fb(1, n) + fb_opt(2, f) + fb(3, k)) for n, f, k in attrs)
        out += fb(1, b)
    return out


# ---- CRC32C -------------------------------------------------------------------

def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC = _crc_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    tab = _CRC
    for b in data:
        crc = tab[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc_mask(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def crc_unmask(m):
    r = (m - 0xA282EAD8) & 0xFFFFFFFF
    return ((r >> 17) | (r << 15)) & 0xFFFFFFFF


# ---- table file (tensorflow/core/lib/io/table_builder.cc) ---------------------

def _block(entries, restart_interval=16):
    out = bytearray()
    restarts = []
    prev = b""
    for n, (k, v) in enumerate(entries):
        if n % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            while shared < min(len(prev), len(k)) and prev[shared] == k[shared]:
                shared += 1
        out += varint(shared) + varint(len(k) - shared) + varint(len(v)) + k[shared:] + v
        prev = k
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def _with_trailer(block):
    # compression type 0 (none) + masked crc32c of block and type byte
    t = b"\0"
    return block + t + struct.pack("<I", crc_mask(crc32c(block + t)))


def table_file(entries, block_size=4096):
    """entries: sorted [(key bytes, value bytes)]."""
    out = bytearray()
    index = []
    cur = []
    cur_size = 0

    def flush():
        nonlocal cur, cur_size
        if not cur:
            return
        blk = _block(cur)
        handle = varint(len(out)) + varint(len(blk))
        out.extend(_with_trailer(blk))
        index.append((cur[-1][0], handle))
        cur, cur_size = [], 0

    last = None
    for k, v in entries:
        assert last is None or k > last, "table keys must be strictly increasing"
        last = k
        cur.append((k, v))
        cur_size += len(k) + len(v) + 8
        if cur_size >= block_size:
            flush()
    flush()
    meta = _block([])
    meta_handle = varint(len(out)) + varint(len(meta))
    out += _with_trailer(meta)
    idx = _block(index, restart_interval=1)
    idx_handle = varint(len(out)) + varint(len(idx))
    out += _with_trailer(idx)
    footer = meta_handle + idx_handle
    footer += b"\0" * (40 - len(footer)) + struct.pack("<Q", 0xDB4775248B80FB57)
    return bytes(out + footer)


def read_table(data):
    """[(key, value)] of a table file (uncompressed blocks only)."""
    assert struct.unpack("<Q", data[-8:])[0] == 0xDB4775248B80FB57, "bad table magic"
    p = len(data) - 48

    def rv(buf, i):
        v = s = 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << s
            s += 7
            if not b & 0x80:
                return v, i
    _, p = rv(data, p)
    _, p = rv(data, p)
    ioff, p = rv(data, p)
    isz, p = rv(data, p)

    def block_entries(off, size):
        blk = data[off:off + size]
        assert data[off + size] == 0, "compressed table blocks are not supported here"
        crc = struct.unpack("<I", data[off + size + 1:off + size + 5])[0]
        assert crc_unmask(crc) == crc32c(data[off:off + size + 1]), "table block crc mismatch"
        nres = struct.unpack("<I", blk[-4:])[0]
        end = len(blk) - 4 - 4 * nres
        i = 0
        prev = b""
        res = []
        while i < end:
            sh, i = rv(blk, i)
            ns, i = rv(blk, i)
            vl, i = rv(blk, i)
            k = prev[:sh] + blk[i:i + ns]
            i += ns
            res.append((k, blk[i:i + vl]))
            i += vl
            prev = k
        return res
    out = []
    for _, h in block_entries(ioff, isz):
        off, j = rv(h, 0)
        size, j = rv(h, j)
        out.extend(block_entries(off, size))
    return out


# ---- TensorBundle -------------------------------------------------------------

def _string_tensor_bytes(values):
    vals = [_string_bytes(v) for v in values]
    lens = b"".join(varint(len(v)) for v in vals)
    # lengths (varint64), masked crc32c over the lengths as written by
    # WriteStringTensor (it checksums each length as a uint64), then the bytes
    crc = 0
    for v in vals:
        crc = crc32c(struct.pack("<Q", len(v)), crc)
    return lens + struct.pack("<I", crc_mask(crc)), crc, vals


def write_bundle(prefix, tensors):
    """Writes prefix.index and prefix.data-00000-of-00001 (TensorBundle V2,
    one shard, little endian).  tensors: {name: numpy array or bytes}."""
    data = bytearray()
    entries = [(b"", fv(1, 1) + fb(3, version_def(1)))]
    for name in sorted(tensors):
        arr = tensors[name]
        if isinstance(arr, (bytes, str)):
            arr = np.array([arr], dtype=object).reshape(())
        arr = np.asarray(arr)
        dt = dt_of(arr)
        off = len(data)
        if dt == DT_STRING:
            head, crc, vals = _string_tensor_bytes(arr.reshape(-1))
            payload = head + b"".join(vals)
            # the checksum of a string tensor: crc over lengths, then the
            # masked length checksum, then the bytes
            c = crc32c(struct.pack("<I", crc_mask(crc)), crc)
            for v in vals:
                c = crc32c(v, c)
        else:
            payload = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
            c = crc32c(payload)
        data += payload
        e = fv(1, dt) + fb(2, shape_proto(arr.shape)) + fv(4, off) + fv(5, len(payload)) + ffix32(6, crc_mask(c))
        entries.append((name.encode(), e))
    with open(prefix + ".index", "wb") as f:
        f.write(table_file(entries))
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        f.write(bytes(data))


# ---- wire format: decoding ----------------------------------------------------

def read_varint(buf, i):
    v = s = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << s
        s += 7
        if not b & 0x80:
            return v, i


def fields(buf):
    """Yields (field number, wire type, value) of a message."""
    i, n = 0, len(buf)
    while i < n:
        k, i = read_varint(buf, i)
        num, wt = k >> 3, k & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 2:
            ln, i = read_varint(buf, i)
            v = buf[i:i + ln]
            if len(v) != ln:
                raise ValueError("truncated length-delimited field")
            i += ln
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, v


def s64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


# Schemas: field -> (name, kind, repeated).  kind: "u" varint, "i" signed
# varint, "s" string, "y" bytes, "f" float, "fx32" fixed32, "pu"/"pi"/"pf"
# packed repeated, a schema dict for a message, ("map", value kind) for maps.
SHAPE = {3: ("unknown_rank", "u", False)}
DIM = {1: ("size", "i", False), 2: ("name", "s", False)}
SHAPE[2] = ("dim", DIM, True)
TENSOR = {1: ("dtype", "u", False), 2: ("tensor_shape", SHAPE, False), 3: ("version_number", "u", False),
          4: ("tensor_content", "y", False), 5: ("float_val", "pf", True), 6: ("double_val", "pd", True),
          7: ("int_val", "pi", True), 8: ("string_val", "y", True), 10: ("int64_val", "pi", True),
          11: ("bool_val", "pu", True), 13: ("half_val", "pi", True)}
NAMEATTR = {1: ("name", "s", False)}
LISTVALUE = {2: ("s", "y", True), 3: ("i", "pi", True), 4: ("f", "pf", True), 5: ("b", "pu", True),
             6: ("type", "pu", True), 7: ("shape", SHAPE, True), 8: ("tensor", TENSOR, True),
             9: ("func", NAMEATTR, True)}
ATTR = {1: ("list", LISTVALUE, False), 2: ("s", "y", False), 3: ("i", "i", False), 4: ("f", "f", False),
        5: ("b", "u", False), 6: ("type", "u", False), 7: ("shape", SHAPE, False), 8: ("tensor", TENSOR, False),
        9: ("placeholder", "s", False), 10: ("func", NAMEATTR, False)}
NAMEATTR[2] = ("attr", ("map", ATTR), False)
NODE = {1: ("name", "s", False), 2: ("op", "s", False), 3: ("input", "s", True), 4: ("device", "s", False),
        5: ("attr", ("map", ATTR), False)}
ARGDEF = {1: ("name", "s", False), 3: ("type", "u", False), 4: ("type_attr", "s", False),
          5: ("number_attr", "s", False), 6: ("type_list_attr", "s", False)}
OPDEF = {1: ("name", "s", False), 2: ("input_arg", ARGDEF, True), 3: ("output_arg", ARGDEF, True),
         17: ("is_stateful", "u", False), 20: ("control_output", "s", True)}
FUNCTION = {1: ("signature", OPDEF, False), 3: ("node_def", NODE, True), 4: ("ret", ("map", "s"), False),
            5: ("attr", ("map", ATTR), False), 6: ("control_ret", ("map", "s"), False)}
LIBRARY = {1: ("function", FUNCTION, True)}
VERSIONS = {1: ("producer", "u", False), 2: ("min_consumer", "u", False)}
GRAPH = {1: ("node", NODE, True), 2: ("library", LIBRARY, False), 4: ("versions", VERSIONS, False)}
TENSORINFO = {1: ("name", "s", False), 2: ("dtype", "u", False), 3: ("tensor_shape", SHAPE, False)}
SIGNATURE = {1: ("inputs", ("map", TENSORINFO), False), 2: ("outputs", ("map", TENSORINFO), False),
             3: ("method_name", "s", False)}
SAVER = {1: ("filename_tensor_name", "s", False), 2: ("save_tensor_name", "s", False),
         3: ("restore_op_name", "s", False), 4: ("max_to_keep", "u", False), 5: ("sharded", "u", False),
         6: ("keep_checkpoint_every_n_hours", "f", False), 7: ("version", "u", False)}
METAINFO = {1: ("meta_graph_version", "s", False), 4: ("tags", "s", True), 5: ("tensorflow_version", "s", False),
            6: ("tensorflow_git_version", "s", False), 7: ("stripped_default_attrs", "u", False),
            8: ("function_aliases", ("map", "s"), False)}
OBJREF = {1: ("node_id", "u", False), 2: ("local_name", "s", False)}
SAVEDOBJ = {1: ("children", OBJREF, True), 4: ("user_object", {1: ("identifier", "s", False)}, False),
            6: ("function", {1: ("concrete_functions", "s", True)}, False),
            7: ("variable", {1: ("dtype", "u", False), 2: ("shape", SHAPE, False), 6: ("name", "s", False)}, False),
            8: ("bare_concrete_function", {1: ("concrete_function_name", "s", False),
                                           2: ("argument_keywords", "s", True)}, False),
            15: ("dependencies", OBJREF, True)}
OBJGRAPH = {1: ("nodes", SAVEDOBJ, True),
            2: ("concrete_functions", ("map", {2: ("bound_inputs", "pu", True)}), False)}
METAGRAPH = {1: ("meta_info_def", METAINFO, False), 2: ("graph_def", GRAPH, False), 3: ("saver_def", SAVER, False),
             5: ("signature_def", ("map", SIGNATURE), False), 7: ("object_graph_def", OBJGRAPH, False)}
SAVEDMODEL = {1: ("saved_model_schema_version", "u", False), 2: ("meta_graphs", METAGRAPH, True)}
BUNDLE_ENTRY = {1: ("dtype", "u", False), 2: ("shape", SHAPE, False), 3: ("shard_id", "u", False),
                4: ("offset", "u", False), 5: ("size", "u", False), 6: ("crc32c", "fx32", False)}
BUNDLE_HEADER = {1: ("num_shards", "u", False), 2: ("endianness", "u", False), 3: ("version", VERSIONS, False)}


def _packed(kind, wt, v):
    if wt != 2:  # unpacked single element
        if kind == "pf":
            return [struct.unpack("<f", v)[0]]
        if kind == "pd":
            return [struct.unpack("<d", v)[0]]
        return [s64(v) if kind == "pi" else v]
    if kind == "pf":
        return list(struct.unpack("<%df" % (len(v) // 4), v))
    if kind == "pd":
        return list(struct.unpack("<%dd" % (len(v) // 8), v))
    out, i = [], 0
    while i < len(v):
        x, i = read_varint(v, i)
        out.append(s64(x) if kind == "pi" else x)
    return out


def decode(buf, schema):
    """Decodes a message into a dict (unknown fields kept under '_unknown')."""
    msg = {}
    for num, wt, v in fields(buf):
        if num not in schema:
            msg.setdefault("_unknown", []).append((num, wt))
            continue
        name, kind, rep = schema[num]
        if isinstance(kind, tuple):  # map
            vk = kind[1]
            k = val = None
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    k = v2.decode() if isinstance(v2, (bytes, bytearray)) else v2
                elif n2 == 2:
                    val = v2
            if isinstance(vk, dict):
                val = decode(val or b"", vk)
            else:
                val = (val or b"").decode()
            msg.setdefault(name, {})[k] = val
            continue
        if isinstance(kind, dict):
            val = decode(v, kind)
        elif kind in ("pu", "pi", "pf", "pd"):
            msg.setdefault(name, []).extend(_packed(kind, wt, v))
            continue
        elif kind == "s":
            val = bytes(v).decode()
        elif kind == "y":
            val = bytes(v)
        elif kind == "u":
            val = v
        elif kind == "i":
            val = s64(v)
        elif kind == "f":
            val = struct.unpack("<f", v)[0]
        elif kind == "fx32":
            val = struct.unpack("<I", v)[0]
        else:
            raise ValueError(kind)
        if rep:
            msg.setdefault(name, []).append(val)
        else:
            msg[name] = val
    return msg


def shape_dims(shape):
    if shape.get("unknown_rank"):
        return None
    return [d.get("size", 0) for d in shape.get("dim", [])]


def tensor_to_numpy(t):
    dt = t.get("dtype", 0)
    dims = shape_dims(t.get("tensor_shape", {})) or []
    n = int(np.prod(dims)) if dims else 1
    if dt == DT_STRING:
        vals = t.get("string_val", [])
        if len(vals) == 1 and n > 1:
            vals = vals * n
        return np.array(vals, dtype=object).reshape(dims)
    npd = DT2NP[dt]
    if "tensor_content" in t:
        return np.frombuffer(t["tensor_content"], dtype=npd.newbyteorder("<")).astype(npd).reshape(dims)
    field = {DT_FLOAT: "float_val", DT_DOUBLE: "double_val", DT_INT64: "int64_val", DT_BOOL: "bool_val",
             DT_HALF: "half_val"}.get(dt, "int_val")
    vals = t.get(field, [])
    if dt == DT_HALF:
        vals = np.array(vals, dtype=np.uint16).view(np.float16)
    if len(vals) == 0:
        return np.zeros(dims, dtype=npd)
    arr = np.array(vals).astype(npd)
    if arr.size < n:  # the last value repeats to fill the shape
        arr = np.concatenate([arr, np.full(n - arr.size, arr[-1], dtype=npd)])
    return arr.reshape(dims)


def read_bundle(prefix):
    """{name: numpy array} of a one-shard TensorBundle."""
    with open(prefix + ".index", "rb") as f:
        idx = f.read()
    with open(prefix + ".data-00000-of-00001", "rb") as f:
        data = f.read()
    out = {}
    for k, v in read_table(idx):
        if k == b"":
            continue
        e = decode(v, BUNDLE_ENTRY)
        off, size = e.get("offset", 0), e.get("size", 0)
        raw = data[off:off + size]
        dt = e.get("dtype", 0)
        dims = shape_dims(e.get("shape", {})) or []
        if dt == DT_STRING:
            n = int(np.prod(dims)) if dims else 1
            lens, i = [], 0
            for _ in range(n):
                ln, i = read_varint(raw, i)
                lens.append(ln)
            i += 4
            vals = []
            for ln in lens:
                vals.append(raw[i:i + ln])
                i += ln
            out[k.decode()] = np.array(vals, dtype=object).reshape(dims)
        else:
            if crc_unmask(e.get("crc32c", 0)) != crc32c(raw):
                raise ValueError("checkpoint crc mismatch for %r" % k)
            out[k.decode()] = np.frombuffer(raw, dtype=DT2NP[dt]).reshape(dims).copy()
    return out


def read_saved_model(path):
    if os.path.isdir(path):
        path = os.path.join(path, "saved_model.pb")
    with open(path, "rb") as f:
        return decode(f.read(), SAVEDMODEL)
