#!/usr/bin/python3
"""NumPy (.npy/.npz) and joblib fixtures for the numpy and joblib readers.

Run from the repository root with Debian's python (python3-numpy,
python3-joblib, python3-sklearn, python3-lz4):
    /usr/bin/python3 tests/gen/gen_numpy_joblib.py

Benign files are written by the real libraries (numpy.save, numpy.savez,
joblib.dump).  Hostile files are assembled by hand from those bytes (struct
and byte splicing, pickletools.genops to find opcode boundaries); nothing
is ever loaded.  Writes tests/fixtures/{numpy,joblib}/ (each file < 50 KB),
their golden expectations tests/golden/{numpy,joblib}_*.expect.json and the
fuzz seeds fuzz/corpus/numpy/.
"""
import bz2
import gzip
import io
import json
import lzma
import os
import pickletools
import struct
import zipfile
import zlib

import joblib
import numpy as np
from joblib.numpy_pickle_compat import write_zfile

ROOT = os.getcwd()
FIX_NPY = "tests/fixtures/numpy"
FIX_JL = "tests/fixtures/joblib"
GOLD = "tests/golden"
SEEDS = "fuzz/corpus/numpy"

# A pickle (protocol 2) that calls posix.system('id') when loaded.
EVIL_P2 = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
# The same call as bare opcodes, result popped: spliced into a stream.
EVIL_OPS = b"cposix\nsystem\nX\x02\x00\x00\x00id\x85R0"
# cloudpickle-like code object construction, result popped.
CODE_OPS = (b"ccloudpickle.cloudpickle\n_builtin_type\nX\x08\x00\x00\x00CodeType\x85R"
            b"(K\x00K\x00K\x00K\x00K\x01K\x40C\x02d\x00)))X\x01\x00\x00\x00fX\x01\x00\x00\x00gK\x01C\x00tR0")


def golden(prefix, name, path, status, fmt=None, findings=(), exact=True, max_sev=None, error=None,
           exit_code=None):
    g = {"input": path, "status": status}
    if fmt:
        g["format"] = fmt
    g["findings"] = [dict(zip(("rule", "severity", "contains"), f)) if len(f) == 3 else
                     dict(zip(("rule", "severity"), f)) for f in findings]
    g["exact"] = exact
    if max_sev:
        g["max_severity"] = max_sev
    if error:
        g["error_contains"] = error
    if exit_code is not None:
        g["exit"] = exit_code
    with open(os.path.join(GOLD, "%s_%s.expect.json" % (prefix, name)), "w") as f:
        json.dump(g, f, indent=2)
        f.write("\n")


def put(d, name, data):
    path = os.path.join(d, name)
    assert len(data) < 50000, (name, len(data))
    with open(path, "wb") as f:
        f.write(data)
    print(path, len(data))
    return path


def npy_bytes(arr, version=None):
    b = io.BytesIO()
    if version:
        np.lib.format.write_array(b, arr, version=version)
    else:
        np.save(b, arr, allow_pickle=True)
    return b.getvalue()


def npy_header(descr, shape, version=(1, 0)):
    """A header exactly as numpy writes it, for hand-built bodies."""
    h = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, shape)
    fmt = "<H" if version == (1, 0) else "<I"
    pre = 6 + 2 + struct.calcsize(fmt)
    h += " " * ((64 - (pre + len(h) + 1) % 64) % 64) + "\n"
    hb = h.encode("latin1")
    return b"\x93NUMPY" + bytes(version) + struct.pack(fmt, len(hb)) + hb


def gen_numpy():
    os.makedirs(FIX_NPY, exist_ok=True)
    P = "numpy"
    f = npy_bytes(np.arange(6, dtype="<f8").reshape(2, 3))
    golden(P, "float", put(FIX_NPY, "float.npy", f), "scanned", "npy", max_sev="INFO")
    golden(P, "fortran", put(FIX_NPY, "fortran.npy", npy_bytes(np.asfortranarray(
        np.arange(6, dtype="<i2").reshape(2, 3)))), "scanned", "npy", max_sev="INFO")
    st = np.zeros(3, dtype=[("a", "<i4"), ("b", [("x", "<f8", (2, 2)), ("y", "S3")]), ("c", "<U2")])
    golden(P, "structured", put(FIX_NPY, "structured.npy", npy_bytes(st)), "scanned", "npy", max_sev="INFO")
    golden(P, "v2", put(FIX_NPY, "v2.npy", npy_bytes(np.arange(5, dtype="<u8"), (2, 0))), "scanned", "npy",
           max_sev="INFO")
    # a non-latin-1 field name makes numpy write format 3.0 (utf-8 header)
    u = np.zeros(2, dtype=[("\u00e9t\u00e9\u4e2d", "<f4"), ("n", "|b1")])
    v3 = npy_bytes(u)
    assert v3[6] == 3, v3[:8]
    golden(P, "v3_utf8", put(FIX_NPY, "v3_utf8.npy", v3), "scanned", "npy", max_sev="INFO")
    golden(P, "datetime", put(FIX_NPY, "datetime.npy", npy_bytes(
        np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[ns]"))), "scanned", "npy", max_sev="INFO")
    golden(P, "scalar", put(FIX_NPY, "scalar.npy", npy_bytes(np.float32(2.5))), "scanned", "npy",
           max_sev="INFO")
    obj = npy_bytes(np.array([1, "a", None, 2.5], dtype=object))
    golden(P, "object_benign", put(FIX_NPY, "object_benign.npy", obj), "scanned", "npy",
           [("npy.object-array", "INFO")], max_sev="INFO")
    # hostile: object dtype, body is a pickle that runs posix.system
    golden(P, "object_evil", put(FIX_NPY, "object_evil.npy", npy_header("|O", (1,)) + EVIL_P2), "scanned",
           "npy", [("npy.object-array", "INFO"), ("pickle.callable.dangerous", "CRITICAL", "posix.system")],
           exit_code=1)
    # hostile: the object field is buried in a nested structured dtype
    golden(P, "struct_object_evil", put(FIX_NPY, "struct_object_evil.npy", npy_header(
        [("a", "<i4"), ("b", [("c", "<f8"), ("d", "|O", (2,))])], (1,)) + EVIL_P2), "scanned", "npy",
        [("npy.object-array", "INFO"), ("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    # comma-string dtype with an object part
    golden(P, "commastr_object_evil", put(FIX_NPY, "commastr_object_evil.npy", npy_header(
        "i4,O", (1,)) + EVIL_P2), "scanned", "npy",
        [("npy.object-array", "INFO"), ("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    # hostile: a pickle appended after plain float data (numpy.load ignores it)
    golden(P, "trailing_pickle", put(FIX_NPY, "trailing_pickle.npy", f + EVIL_P2), "scanned", "npy",
           [("npy.trailing-data", "LOW"), ("pickle.callable.dangerous", "CRITICAL", "posix.system")],
           exit_code=1)
    golden(P, "truncated", put(FIX_NPY, "truncated.npy", f[:-5]), "error", "npy", error="needs 48 bytes")
    bad = npy_header("<f8", (1,)).replace(b"'fortran_order': False", b"'fortran_order': f(1)")
    golden(P, "header_call", put(FIX_NPY, "header_call.npy", bad + b"\0" * 8), "error", "npy",
           error="cannot parse header")
    golden(P, "bad_version", put(FIX_NPY, "bad_version.npy", b"\x93NUMPY\x04\x00" + f[8:]), "error", "npy",
           error="format version")
    golden(P, "shape_overflow", put(FIX_NPY, "shape_overflow.npy",
                                    npy_header("<f8", (2 ** 62, 2 ** 62))), "error", "npy",
           error="overflows")
    # npz: numpy.savez (stored) and savez_compressed, object array inside
    b = io.BytesIO()
    np.savez(b, w=np.arange(4.0), o=np.array([1, None], dtype=object))
    golden(P, "npz_mixed", put(FIX_NPY, "mixed.npz", b.getvalue()), "scanned", "npz",
           [("npy.object-array", "INFO", "o.npy")], max_sev="INFO")
    b = io.BytesIO()
    np.savez_compressed(b, w=np.arange(4.0), i=np.arange(3))
    golden(P, "npz_compressed", put(FIX_NPY, "compressed.npz", b.getvalue()), "scanned", "npz",
           max_sev="INFO")
    # hostile npz: a deflated member named weights.txt holding an evil object array
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("w.npy", npy_bytes(np.arange(4.0)))
        z.writestr("weights.txt", npy_header("|O", (1,)) + EVIL_P2)
    golden(P, "npz_evil", put(FIX_NPY, "evil.npz", b.getvalue()), "scanned", "zip",
           [("npy.object-array", "INFO", "weights.txt"),
            ("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    # fuzz seeds
    os.makedirs(SEEDS, exist_ok=True)
    for name in ("float.npy", "structured.npy", "v2.npy", "v3_utf8.npy", "object_benign.npy",
                 "struct_object_evil.npy", "trailing_pickle.npy", "datetime.npy", "mixed.npz",
                 "commastr_object_evil.npy"):
        with open(os.path.join(FIX_NPY, name), "rb") as src, open(os.path.join(SEEDS, name), "wb") as dst:
            dst.write(src.read())


def ops(data):
    """(opcode name, arg, pos) of one pickle, from pickletools (parses only)."""
    out = []
    try:
        for o, a, p in pickletools.genops(data):
            out.append((o.name, a, p))
    except ValueError:  # the raw array bytes after a wrapper's BUILD
        pass
    return out


def jl_dump(obj, protocol=None, **kw):
    path = "/tmp/_laocoon_gen.joblib"
    joblib.dump(obj, path, protocol=protocol, **kw)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


def gen_joblib():
    os.makedirs(FIX_JL, exist_ok=True)
    P = "joblib"
    data = {"f": np.arange(6, dtype="<f8").reshape(2, 3), "i": np.arange(5, dtype="<i4"),
            "o": np.array([1, "a", None], dtype=object),
            "s": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8", (2,)), ("c", "S3")]),
            "F": np.asfortranarray(np.arange(4, dtype="<i8").reshape(2, 2)), "scalar": 3}
    plain = jl_dump(data)
    golden(P, "dict", put(FIX_JL, "dict.joblib", plain), "scanned", "pickle", max_sev="INFO")
    golden(P, "dict_p2", put(FIX_JL, "dict_p2.joblib", jl_dump(data, protocol=2)), "scanned", "pickle",
           max_sev="INFO")
    golden(P, "dict_p0", put(FIX_JL, "dict_p0.joblib", jl_dump(data, protocol=0)), "scanned", "pickle",
           max_sev="INFO")
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    X, y = load_iris(return_X_y=True)
    X, y = X[::5], y[::5]
    golden(P, "logreg", put(FIX_JL, "logreg.joblib", jl_dump(LogisticRegression(max_iter=300).fit(X, y))),
           "scanned", "pickle", max_sev="INFO")
    golden(P, "forest", put(FIX_JL, "forest.joblib", jl_dump(
        RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y))), "scanned", "pickle",
        max_sev="INFO")
    for meth, ext, fmt in (("zlib", "z", "zlib"), ("gzip", "gz", "gzip"), ("bz2", "bz2", "bzip2"),
                           ("xz", "xz", "xz"), ("lzma", "lzma", "lzma"), ("lz4", "lz4", "lz4")):
        golden(P, "compressed_" + meth, put(FIX_JL, "dict.joblib." + ext, jl_dump(data, compress=(meth, 3))),
               "scanned", fmt, max_sev="INFO")
    # joblib < 0.10 Z-file around a plain pickle (write_zfile is joblib's own writer)
    b = io.BytesIO()
    write_zfile(b, jl_dump({"a": [1, 2, 3]}, protocol=2))
    golden(P, "zfile", put(FIX_JL, "legacy.zfile", b.getvalue()), "scanned", "joblib-zfile", max_sev="INFO")

    # ---- hostile ----
    # 1. payload spliced right after the raw bytes of the first array
    #    (protocol 2: no frames).  Only a VM that skips exactly the padding
    #    and the array bytes reads these opcodes.
    p2 = jl_dump([np.arange(3, dtype="<f8"), 7], protocol=2)
    raw = struct.pack("<3d", 0, 1, 2)
    at = p2.index(raw) + len(raw)
    evil = p2[:at] + EVIL_OPS + p2[at:]
    golden(P, "payload_after_array", put(FIX_JL, "payload_after_array.joblib", evil), "scanned", "pickle",
           [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    golden(P, "gz_payload_after_array", put(FIX_JL, "payload_after_array.joblib.gz", gzip.compress(evil)),
           "scanned", "gzip", [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    golden(P, "zlib_payload_after_array", put(FIX_JL, "payload_after_array.joblib.z", zlib.compress(evil)),
           "scanned", "zlib", [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    golden(P, "xz_payload_after_array", put(FIX_JL, "payload_after_array.joblib.xz", lzma.compress(evil)),
           "scanned", "xz", [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    golden(P, "lzma_payload_after_array", put(FIX_JL, "payload_after_array.joblib.lzma", lzma.compress(
        evil, format=lzma.FORMAT_ALONE)), "scanned", "lzma",
        [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    golden(P, "bz2_payload_after_array", put(FIX_JL, "payload_after_array.joblib.bz2", bz2.compress(evil)),
           "scanned", "bzip2", [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    b = io.BytesIO()
    write_zfile(b, evil)
    golden(P, "zfile_payload_after_array", put(FIX_JL, "payload_after_array.zfile", b.getvalue()), "scanned",
           "joblib-zfile", [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    # 2. cloudpickle-style code object after an array
    golden(P, "code_after_array", put(FIX_JL, "code_after_array.joblib", p2[:at] + CODE_OPS + p2[at:]),
           "scanned", "pickle", [("pickle.code-object", "CRITICAL", "cloudpickle")], exact=False, exit_code=1)
    # 3. protocol 4: the payload sits inside the wrapper's frame after BUILD;
    #    the unpickler reads the array from after the frame, then the rest
    #    of the frame (the payload), then skips past the array.
    p4 = jl_dump([np.arange(3, dtype="<f8"), 7], protocol=4)
    o = ops(p4[:p4.index(raw)])  # opcodes up to the array data
    fr = [x for x in o if x[0] == "FRAME"][0]
    build = [x for x in o if x[0] == "BUILD"][-1]
    assert build[2] + 1 == fr[2] + 9 + fr[1], "BUILD ends the first frame"
    n = fr[1] + len(EVIL_OPS)
    ev4 = p4[:fr[2] + 1] + struct.pack("<Q", n) + p4[fr[2] + 9:build[2] + 1] + EVIL_OPS + p4[build[2] + 1:]
    golden(P, "payload_in_frame", put(FIX_JL, "payload_in_frame.joblib", ev4), "scanned", "pickle",
           [("pickle.callable.dangerous", "CRITICAL", "posix.system")], exit_code=1)
    # 4. padding-length byte 0x80 = PROTO: pickle.load would run the padding
    ri = p2.index(raw)
    k = [k for k in range(ri - 257, ri - 1) if p2[k] == ord("b") and p2[k + 1] == ri - k - 2][-1]
    # BUILD at k, then [padding length][padding][array]: the length byte
    # becomes 0x80 (PROTO) and the padding "\x02" + payload + STOP
    pad = (b"\x02" + EVIL_OPS + b"N.").ljust(0x80, b"\xff")
    ev_pad = p2[:k + 1] + b"\x80" + pad + p2[ri:]
    golden(P, "padding_pickle", put(FIX_JL, "padding_pickle.joblib", ev_pad), "scanned", "pickle",
           [("joblib.array-data-pickle", "MEDIUM"), ("pickle.callable.dangerous", "CRITICAL", "posix.system"),
            ("pickle.trailing-data", "LOW")],
           exit_code=1)
    # 5. object array whose nested pickle.load carries the payload
    po = jl_dump([np.array([1, "a"], dtype=object), 7], protocol=2)
    nstart = po.index(b"\x80\x02", 2)
    nend = nstart + ops(po[nstart:])[-1][2] + 1
    ev_obj = po[:nstart] + EVIL_P2 + po[nend:]
    golden(P, "object_array_evil", put(FIX_JL, "object_array_evil.joblib", ev_obj), "scanned", "pickle",
           [("pickle.callable.dangerous", "CRITICAL", "joblib object array")], exit_code=1)
    # 6. truncated inside the array data
    golden(P, "truncated_array", put(FIX_JL, "truncated_array.joblib", p2[:p2.index(raw) + 10]), "error",
           "pickle", error="EOF reading array data")
    # 7. joblib < 0.10 NDArrayWrapper: data in a separate file (hand-built, protocol 2)
    def ndwrap(fname):
        fb = fname.encode()
        return (b"\x80\x02cjoblib.numpy_pickle\nNDArrayWrapper\nq\x00)\x81q\x01}q\x02(X\x08\x00\x00\x00filename"
                b"q\x03X" + struct.pack("<I", len(fb)) + fb + b"q\x04X\x08\x00\x00\x00subclassq\x05cnumpy\nndarray"
                b"\nq\x06X\n\x00\x00\x00allow_mmapq\x07\x88ub.")
    golden(P, "ndarraywrapper", put(FIX_JL, "ndarraywrapper.pkl", ndwrap("model.pkl_01.npy")), "scanned",
           "pickle", [("joblib.external-array", "LOW", "model.pkl_01.npy")])
    golden(P, "ndarraywrapper_outside", put(FIX_JL, "ndarraywrapper_outside.pkl",
                                            ndwrap("../../tmp/evil.npy")), "scanned", "pickle",
           [("joblib.external-array", "MEDIUM", "../../tmp/evil.npy")])
    # joblib seeds reach the VM's array-wrapper framing through the same scan
    for name in ("dict_p2.joblib", "payload_in_frame.joblib", "object_array_evil.joblib"):
        with open(os.path.join(FIX_JL, name), "rb") as src, open(os.path.join(SEEDS, name), "wb") as dst:
            dst.write(src.read())


if __name__ == "__main__":
    gen_numpy()
    gen_joblib()
