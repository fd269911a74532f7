#!/usr/bin/env python3
"""Hostile and benign pickles for laocoon's tests, assembled byte by byte.

Run from the repository root (standard library only):
    python3 tests/gen/gen_pickles.py

Writes tests/fixtures/pickle/*.pkl, their golden expectations
tests/golden/pickle_*.expect.json, and seeds for the fuzzer in
fuzz/corpus/pickle/.  Nothing here ever unpickles anything: every file is a
literal opcode sequence built with struct, so the generator itself cannot be
tricked and the bytes are exactly what each test means.

Each case states what the scan must report; the expectations live next to
the bytes so that a reader sees the trick and the verdict together.
"""
import json
import os
import struct

FIX = "tests/fixtures/pickle"
GOLD = "tests/golden"
FUZZ = "fuzz/corpus/pickle"

# ---- opcode helpers -------------------------------------------------------


def proto(n):
    return b"\x80" + bytes([n])


def frame(n):
    return b"\x95" + struct.pack("<Q", n)


def sbu(s):  # SHORT_BINUNICODE
    b = s.encode()
    assert len(b) < 256
    return b"\x8c" + bytes([len(b)]) + b


def bu(s):  # BINUNICODE
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def bu8(s):  # BINUNICODE8
    b = s.encode()
    return b"\x8d" + struct.pack("<Q", len(b)) + b


def unicode0(s, escape_backslash=True):  # UNICODE, escaped as pickle.py's save_str does
    if escape_backslash:
        s = s.replace("\\", "\\u005c")
    s = s.replace("\0", "\\u0000").replace("\n", "\\u000a").replace("\r", "\\u000d").replace("\x1a", "\\u001a")
    return b"V" + s.encode("raw_unicode_escape") + b"\n"


def string0(s):  # STRING, repr-quoted
    return b"S'" + s.encode() + b"'\n"


def binstring(s):
    b = s.encode()
    return b"T" + struct.pack("<i", len(b)) + b


def sbs(s):  # SHORT_BINSTRING
    b = s.encode()
    return b"U" + bytes([len(b)]) + b


def binbytes(b):
    return b"B" + struct.pack("<I", len(b)) + b


def sbb(b):
    return b"C" + bytes([len(b)]) + b


def binbytes8(b):
    return b"\x8e" + struct.pack("<Q", len(b)) + b


def bytearray8(b):
    return b"\x96" + struct.pack("<Q", len(b)) + b


def glob(mod, name):  # GLOBAL
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def sglob(mod, name):  # STACK_GLOBAL from two SHORT_BINUNICODE
    return sbu(mod) + sbu(name) + b"\x93"


def binint1(n):
    return b"K" + bytes([n])


def binint(n):
    return b"J" + struct.pack("<i", n)


def binput(i):
    return b"q" + bytes([i])


def binget(i):
    return b"h" + bytes([i])


def long_binput(i):
    return b"r" + struct.pack("<I", i)


def long_binget(i):
    return b"j" + struct.pack("<I", i)


MARK, STOP, POP, TUPLE, TUPLE1, TUPLE2, TUPLE3 = b"(", b".", b"0", b"t", b"\x85", b"\x86", b"\x87"
REDUCE, BUILD, NEWOBJ, NEWOBJ_EX, MEMOIZE, STACK_GLOBAL = b"R", b"b", b"\x81", b"\x92", b"\x94", b"\x93"
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, EMPTY_SET = b"}", b"]", b")", b"\x8f"
SETITEM, SETITEMS, APPEND, APPENDS, ADDITEMS = b"s", b"u", b"a", b"e", b"\x90"
NONE, NEWTRUE, NEWFALSE, DUP, POP_MARK = b"N", b"\x88", b"\x89", b"2", b"1"


def call1(callable_ops, arg_ops):
    """callable(arg) with REDUCE"""
    return callable_ops + arg_ops + TUPLE1 + REDUCE


# an inner pickle that calls posix.system('id') (protocol 2)
EVIL_INNER = proto(2) + glob("posix", "system") + binput(0) + sbu("id") + TUPLE1 + REDUCE + STOP
BENIGN_INNER = proto(4) + EMPTY_DICT + sbu("k") + sbu("v") + SETITEM + STOP

# ---- cases ----------------------------------------------------------------

CASES = []


def case(name, data, status, findings=(), exact=True, max_severity=None, fmt="pickle", seed=True,
         error_contains=None):
    CASES.append(dict(name=name, data=data, status=status, findings=list(findings), exact=exact,
                      max_severity=max_severity, fmt=fmt, seed=seed, error_contains=error_contains))


def F(rule, sev, contains=None):
    d = {"rule": rule, "severity": sev}
    if contains:
        d["contains"] = contains
    return d


CALL_D = "pickle.callable.dangerous"
IMP_D = "pickle.import.dangerous"

# protocol 0: text opcodes, posix.system called
case("proto0_posix_system",
     glob("posix", "system") + b"p0\n" + MARK + string0("echo proto0") + b"p1\n" + TUPLE + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "posix.system")])

# protocol 1: BINSTRING/SHORT_BINSTRING and BINPUT
case("proto1_os_system",
     glob("os", "system") + binput(0) + MARK + sbs("id") + TUPLE + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "os.system")])

# protocol 2: __builtin__.eval goes through fix_imports to builtins.eval
case("proto2_builtin_eval",
     proto(2) + glob("__builtin__", "eval") + binstring("1+1") + TUPLE1 + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "builtins.eval")])

# protocol 2: copy_reg._reconstructor(__main__.Net, object, None): a whole
# model saved without torch: reconstruction of an unknown class is MEDIUM
case("proto2_reconstructor_unknown",
     proto(2) + glob("copy_reg", "_reconstructor") + MARK + glob("__main__", "Net") +
     glob("__builtin__", "object") + NONE + TUPLE + REDUCE + EMPTY_DICT + sbu("w") + binint1(3) +
     SETITEM + BUILD + STOP,
     "scanned", [F("pickle.class.unknown", "MEDIUM", "__main__.Net")], max_severity="MEDIUM")

# protocol 3: no fix_imports, __builtin__ stays as written (still denied)
case("proto3_no_fix_imports",
     proto(3) + glob("__builtin__", "exec") + bu("print(1)") + TUPLE1 + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "__builtin__.exec")])

# protocol 4: STACK_GLOBAL with a dotted name reaching os through torch
case("proto4_dotted_torch_os",
     proto(4) + frame(0) + sglob("torch", "os.system") + sbu("id") + TUPLE1 + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "torch.os.system")])

# dotted, referenced only: still CRITICAL (import.dangerous)
case("proto4_dotted_serialization_ref",
     proto(4) + sglob("torch.serialization", "os.system") + STOP,
     "scanned", [F(IMP_D, "CRITICAL", "os.system")])

# protocol 5: bytearray8 + out-of-band buffers, all inert
case("proto5_buffers_benign",
     proto(5) + MARK + bytearray8(b"\x00\x01\x02") + b"\x97" + b"\x98" + binbytes8(b"abc") +
     sbb(b"xy") + binbytes(b"z") + b"l" + STOP,
     "scanned", [], max_severity="INFO")

# posix.system imported and returned, never called
case("import_only_posix",
     proto(4) + sglob("posix", "system") + STOP,
     "scanned", [F(IMP_D, "CRITICAL", "posix.system")])

# FRAME whose opcodes cross the frame boundary (CPython reads linearly)
body = proto(4) + frame(6) + EMPTY_LIST + sbu("abcdefgh") + APPEND + STOP
case("frame_crossing_benign", body, "scanned", [], max_severity="INFO")

# FRAME longer than the file: CPython fails there, the payload behind it is
# still reported
case("frame_beyond_eof",
     proto(4) + frame(1000) + sglob("posix", "system") + sbu("id") + TUPLE1 + REDUCE + STOP,
     "error", [F(CALL_D, "CRITICAL", "posix.system")], error_contains="FRAME")

# names memoized as decoys, resolved from the memo by STACK_GLOBAL
case("memo_decoys",
     proto(4) + sbu("torch") + MEMOIZE + POP + sbu("FloatStorage") + MEMOIZE + POP +
     sbu("os") + MEMOIZE + POP + sbu("system") + MEMOIZE + POP +
     binget(2) + binget(3) + STACK_GLOBAL + sbu("id") + TUPLE1 + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "os.system")])

# MEMOIZE index = memo length, mixed with explicit indices and a huge
# LONG_BINPUT index
case("memo_mixed_indices",
     proto(4) + sbu("subprocess") + long_binput(0xFFFFFFF0) + MEMOIZE + POP +  # and memo[1]
     sbu("check_output") + binput(7) + MEMOIZE + POP +  # memo[7], memo[3] (length was 3)
     long_binget(0xFFFFFFF0) + binget(3) + STACK_GLOBAL + MARK + sbu("id") + b"l" + TUPLE1 + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "subprocess.check_output")])

# a memo key that was never stored: error after the payload
case("memo_missing_key",
     proto(4) + glob("os", "system") + sbu("id") + TUPLE1 + REDUCE + POP + binget(9) + STOP,
     "error", [F(CALL_D, "CRITICAL", "os.system")], error_contains="Memo value not found")

# STACK_GLOBAL with a memoized non-str operand: unresolved + CPython's error
case("stack_global_nonstr",
     proto(4) + binint(42) + MEMOIZE + sbu("system") + STACK_GLOBAL + STOP,
     "error", [F("pickle.callable.unresolved", "HIGH", "STACK_GLOBAL")], error_contains="requires str")

# getattr(__import__('os'), 'system')('id')
case("getattr_chain",
     proto(2) + glob("__builtin__", "getattr") + glob("__builtin__", "__import__") + sbu("os") + TUPLE1 +
     REDUCE + sbu("system") + TUPLE2 + REDUCE + sbu("id") + TUPLE1 + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "builtins.getattr"), F(CALL_D, "CRITICAL", "builtins.__import__"),
                 F(CALL_D, "CRITICAL", "os.system(\"id\")")], exact=False)

# getattr on an allowlisted module resolves precisely: the later call of
# torch._utils._rebuild_tensor is not flagged, getattr is
case("getattr_resolves_allowed",
     proto(4) + sglob("builtins", "getattr") + sglob("torch", "_utils") + sbu("_rebuild_tensor") + TUPLE2 +
     REDUCE + EMPTY_TUPLE + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "builtins.getattr"), F("pickle.import.unknown", "LOW", "torch._utils")])

# INST calls the class with the marked arguments
case("inst_subprocess",
     MARK + sbs("id") + b"isubprocess\ncheck_output\n" + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "subprocess.check_output")])

# OBJ on an unknown class: a call, HIGH
case("obj_unknown",
     proto(1) + MARK + glob("mylib.models", "Thing") + binint1(1) + b"o" + STOP,
     "scanned", [F("pickle.callable.unknown", "HIGH", "mylib.models.Thing")])

# NEWOBJ + BUILD of an unknown class: reconstruction, MEDIUM only
case("newobj_unknown",
     proto(2) + glob("__main__", "Net") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + sbu("training") + NEWTRUE +
     SETITEM + BUILD + STOP,
     "scanned", [F("pickle.class.unknown", "MEDIUM", "__main__.Net")], max_severity="MEDIUM")

# NEWOBJ_EX of an unknown class
case("newobj_ex_unknown",
     proto(4) + sglob("mylib", "Model") + EMPTY_TUPLE + EMPTY_DICT + NEWOBJ_EX + STOP,
     "scanned", [F("pickle.class.unknown", "MEDIUM", "mylib.Model")], max_severity="MEDIUM")

# NEWOBJ of torch.nn modules is expected in whole-model checkpoints
case("newobj_torch_module",
     proto(2) + glob("torch.nn.modules.linear", "Linear") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + BUILD + STOP,
     "scanned", [], max_severity="INFO")

# REDUCE of an unknown callable: HIGH
case("reduce_unknown",
     proto(4) + sglob("mylib.helpers", "prepare") + sbu("x") + TUPLE1 + REDUCE + STOP,
     "scanned", [F("pickle.callable.unknown", "HIGH", "mylib.helpers.prepare")])

# an unknown global referenced, never called: LOW
case("import_unknown",
     proto(4) + sglob("mylib", "CONSTANT") + STOP,
     "scanned", [F("pickle.import.unknown", "LOW", "mylib.CONSTANT")], max_severity="LOW")

# BUILD on the torch._utils module overwrites _rebuild_tensor, then the
# "allowlisted" name is read back: both are caught
case("build_module_overwrite",
     proto(4) + sglob("torch", "_utils") + EMPTY_DICT + sbu("_rebuild_tensor") + sglob("builtins", "eval") +
     SETITEM + BUILD + POP + sglob("torch._utils", "_rebuild_tensor") + sbu("1+1") + TUPLE1 + REDUCE + STOP,
     "scanned", [F("pickle.module.overwrite", "CRITICAL", "torch._utils"),
                 F(CALL_D, "CRITICAL", "builtins.eval")], exact=False)

# EXT codes: registry objects, calling one is unresolved
case("ext_codes",
     proto(2) + b"\x82\x05" + sbu("x") + TUPLE1 + REDUCE + POP + b"\x83\x00\x01" + POP +
     b"\x84" + struct.pack("<i", 70000) + STOP,
     "scanned", [F("pickle.ext-code", "MEDIUM", "5"), F("pickle.ext-code", "MEDIUM", "256"),
                 F("pickle.ext-code", "MEDIUM", "70000"), F("pickle.callable.unresolved", "HIGH", "EXT")])

# torch-style persistent ids (BINPERSID) and a text PERSID: inert
case("persid_torch_benign",
     proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE +
     sbu("w") + glob("torch._utils", "_rebuild_tensor_v2") + MARK +
     MARK + sbu("storage") + glob("torch", "FloatStorage") + sbu("0") + sbu("cpu") + binint1(4) + TUPLE +
     b"Q" + binint1(0) + binint1(4) + TUPLE1 + binint1(1) + TUPLE1 + NEWFALSE +
     glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE + SETITEM +
     sbu("p") + b"Pdata/1\n" + SETITEM + STOP,
     "scanned", [], max_severity="INFO")

# a benign pickle, then a second one that calls requests.get
case("second_stream_payload",
     proto(4) + EMPTY_LIST + STOP + proto(4) + sglob("requests.api", "get") + sbu("http://x") + TUPLE1 +
     REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "requests.api.get")])

# payload, then the stream breaks: finding kept, file in error
case("payload_then_malformed",
     proto(2) + glob("os", "system") + sbu("id") + TUPLE1 + REDUCE + b"\xff\xfe",
     "error", [F(CALL_D, "CRITICAL", "os.system")], error_contains="invalid load key")

# trailing padding / junk after a complete pickle: LOW
case("trailing_junk",
     proto(4) + EMPTY_DICT + STOP + b"\n\n\x00\x00\xfe\xfe junk",
     "scanned", [F("pickle.trailing-data", "LOW")], max_severity="LOW")
case("trailing_padding",
     proto(4) + EMPTY_DICT + STOP + b"\x00" * 64,
     "scanned", [F("pickle.trailing-data", "LOW", "padding")], max_severity="LOW")

# pickle.loads(_codecs.encode(<inner pickle as str>, 'latin1')): the loader
# is CRITICAL and the inner posix.system is found by scanning the bytes
inner_str = EVIL_INNER.decode("latin1")
case("nested_codecs_loads",
     proto(2) + glob("pickle", "loads") + glob("_codecs", "encode") + bu(inner_str) + sbu("latin1") +
     TUPLE2 + REDUCE + TUPLE1 + REDUCE + STOP,
     "scanned", [F("pickle.nested-loader", "CRITICAL", "pickle.loads"),
                 F(CALL_D, "CRITICAL", "posix.system")])

# the same through protocol 0 UNICODE (raw-unicode-escape) and _pickle
case("nested_unicode_loads",
     glob("_pickle", "loads") + MARK + glob("_codecs", "encode") + MARK + unicode0(inner_str) +
     unicode0("latin-1") + TUPLE + REDUCE + TUPLE + REDUCE + STOP,
     "scanned", [F("pickle.nested-loader", "CRITICAL", "_pickle.loads"),
                 F(CALL_D, "CRITICAL", "posix.system")])

# pickle.loads of a plain bytes constant holding a harmless pickle
case("nested_bytes_benign_inner",
     proto(3) + glob("pickle", "loads") + binbytes(BENIGN_INNER) + TUPLE1 + REDUCE + STOP,
     "scanned", [F("pickle.nested-loader", "CRITICAL", "pickle.loads")])

# base64 on the way: pickle.loads(base64.b64decode('...'))
import base64  # noqa: E402
case("nested_b64_loads",
     proto(4) + sglob("pickle", "loads") + sglob("base64", "b64decode") +
     sbu(base64.b64encode(EVIL_INNER).decode()) + TUPLE1 + REDUCE + TUPLE1 + REDUCE + STOP,
     "scanned", [F("pickle.nested-loader", "CRITICAL", "pickle.loads"),
                 F(CALL_D, "CRITICAL", "posix.system")])

# bytes of a malicious pickle kept as plain data: inert, nothing to report
case("inert_inner_bytes",
     proto(4) + EMPTY_DICT + sbu("blob") + binbytes(EVIL_INNER) + SETITEM + STOP,
     "scanned", [], max_severity="INFO")

# collections.defaultdict(os.system): the factory is judged on its own
case("defaultdict_factory",
     proto(2) + glob("collections", "defaultdict") + glob("os", "system") + TUPLE1 + REDUCE + STOP,
     "scanned", [F(IMP_D, "CRITICAL", "os.system")])

# functools.partial(os.system, 'id')(): calling the partial calls os.system
case("partial_call",
     proto(4) + sglob("functools", "partial") + sglob("os", "system") + sbu("id") + TUPLE2 + REDUCE +
     EMPTY_TUPLE + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "os.system")])

# names spelt with escapes: UNICODE \u0073, STRING \x73 and octal
case("escaped_names",
     unicode0("o\\u0073", escape_backslash=False) + b"p0\n" + string0("sy\\x73t\\145m") + b"p1\n" + STACK_GLOBAL +
     MARK + string0("id") + TUPLE + REDUCE + STOP,
     "scanned", [F(CALL_D, "CRITICAL", "os.system")])

# proto-0 nt/posix alias without PROTO and with INT/LONG/FLOAT/bools
case("proto0_scalars_benign",
     MARK + b"I42\n" + b"I01\n" + b"I00\n" + b"L123456789012345678901234567890L\n" + b"F1.5e3\n" +
     b"G" + struct.pack(">d", 2.5) + b"\x8a\x02\xff\x7f" + b"\x8b" + struct.pack("<i", 9) + b"\x01" * 9 +
     b"M\x01\x02" + NONE + b"l" + STOP,
     "scanned", [], max_severity="INFO")

# sets, frozensets, POP_MARK, DUP, dict via DICT/SETITEMS: inert
case("containers_benign",
     proto(4) + EMPTY_SET + MARK + binint1(1) + binint1(2) + ADDITEMS + MARK + binint1(3) + b"\x91" +
     MARK + binint1(9) + POP_MARK + DUP + POP + MARK + sbu("a") + binint1(1) + b"d" + EMPTY_DICT + MARK +
     sbu("b") + binint1(2) + sbu("c") + binint1(3) + SETITEMS + TUPLE3 + STOP,
     "scanned", [], max_severity="INFO")

# the first pickle is malformed: error with a precise reason
case("truncated_binunicode",
     proto(3) + b"X" + struct.pack("<I", 100) + b"abc",
     "error", [], error_contains="BINUNICODE")

# numpy / builtins the allowlist knows, called through copyreg.__newobj__
case("newobj_copyreg_builtin",
     proto(2) + glob("copyreg", "__newobj__") + glob("collections", "OrderedDict") + TUPLE1 + REDUCE + STOP,
     "scanned", [], max_severity="INFO")

# a large benign pickle: many ints and memoized strings in batched APPENDS
big = bytearray(proto(4) + EMPTY_LIST + MEMOIZE)
for batch in range(11):  # just over the 64 KiB probe window
    big += MARK
    for i in range(1000):
        if i % 2:
            big += binint(batch * 1000 + i)
        else:
            big += sbu("s%d" % (batch * 1000 + i)) + MEMOIZE
    big += APPENDS
big += STOP
case("large_benign", bytes(big), "scanned", [], max_severity="INFO", seed=False)

# not pickles
case("empty", b"", "skipped", [], fmt=None)
case("one_byte", b"N", "skipped", [], fmt=None)
case("global_bad_utf8", b"cmod\n\xf8\n", "skipped", [], fmt=None)


def main():
    os.makedirs(FIX, exist_ok=True)
    os.makedirs(GOLD, exist_ok=True)
    os.makedirs(FUZZ, exist_ok=True)
    for c in CASES:
        path = os.path.join(FIX, c["name"] + ".pkl")
        with open(path, "wb") as f:
            f.write(c["data"])
        g = {"input": path, "status": c["status"]}
        if c["fmt"] and c["status"] != "skipped":
            g["format"] = c["fmt"]
        g["findings"] = c["findings"]
        g["exact"] = c["exact"]
        if c["max_severity"]:
            g["max_severity"] = c["max_severity"]
        if c["error_contains"]:
            g["error_contains"] = c["error_contains"]
        with open(os.path.join(GOLD, "pickle_" + c["name"] + ".expect.json"), "w") as f:
            json.dump(g, f, indent=2)
            f.write("\n")
        if c["seed"] and c["data"]:
            with open(os.path.join(FUZZ, c["name"] + ".pkl"), "wb") as f:
                f.write(c["data"])
    print("wrote %d cases" % len(CASES))


if __name__ == "__main__":
    main()
