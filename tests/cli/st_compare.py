#!/usr/bin/env python3
"""Compares two safetensors files tensor by tensor (stdlib only, no torch).

    st_compare.py GOT EXPECTED

Checks that GOT has a well-formed layout (header length, JSON, offsets
contiguous from 0 and covering the data exactly, shape x dtype size = span),
then that both files hold the same tensor names, and for each the same dtype,
shape and bytes, and the same __metadata__.  Prints one line per difference;
exit status 0 equal, 1 different, 2 unreadable.
"""
import json
import struct
import sys

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "I16": 2, "U16": 2,
         "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "C64": 8, "F64": 8, "I64": 8, "U64": 8}


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8 or n % 8:
        raise ValueError(f"{path}: header length {n} is beyond the file or not a multiple of 8")
    text = raw[8:8 + n].decode("utf-8")
    if not text.startswith("{"):
        raise ValueError(f"{path}: header does not start with '{{'")
    header = json.loads(text)
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None)
    spans = sorted((tuple(v["data_offsets"]), k) for k, v in header.items())
    pos = 0
    for (b, e), k in spans:
        info = header[k]
        count = 1
        for d in info["shape"]:
            count *= d
        if b != pos or e - b != count * SIZES[info["dtype"]]:
            raise ValueError(f"{path}: tensor {k}: offsets {b},{e} do not follow {pos} or do not match its shape")
        pos = e
    if pos != len(data):
        raise ValueError(f"{path}: data section is {len(data)} bytes, tensors cover {pos}")
    out = {k: (v["dtype"], list(v["shape"]), data[v["data_offsets"][0]:v["data_offsets"][1]])
           for k, v in header.items()}
    return meta, out


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        gm, got = load(sys.argv[1])
        em, exp = load(sys.argv[2])
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"unreadable: {e}")
        return 2
    diffs = []
    if gm != em:
        diffs.append(f"__metadata__ {gm!r} != {em!r}")
    for k in sorted(set(got) | set(exp)):
        if k not in got:
            diffs.append(f"{k}: missing")
        elif k not in exp:
            diffs.append(f"{k}: unexpected")
        else:
            (gd, gs, gb), (ed, es, eb) = got[k], exp[k]
            if gd != ed:
                diffs.append(f"{k}: dtype {gd} != {ed}")
            if gs != es:
                diffs.append(f"{k}: shape {gs} != {es}")
            if gb != eb:
                diffs.append(f"{k}: bytes differ")
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
