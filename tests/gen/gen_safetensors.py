#!/usr/bin/python3
"""safetensors fixtures for laocoon's safetensors reader (tests/fixtures/safetensors/).

Every file is assembled byte by byte (struct + json) so that each header
field can be made to lie; no safetensors library is used.  Each validation
rule of src/formats/safetensors.c has a failing fixture and a golden in
tests/golden/safetensors_*.expect.json.

Run from the repository root:  /usr/bin/python3 tests/gen/gen_safetensors.py
Also seeds fuzz/corpus/safetensors/.
"""
import json
import os
import shutil
import struct

OUT = "tests/fixtures/safetensors"
FUZZ = "fuzz/corpus/safetensors"
SIZES = {"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16, "U16": 16,
         "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64, "U64": 64,
         "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6}


def nbytes(dtype, shape):
    n = 1
    for d in shape:
        n *= d
    return n * SIZES[dtype] // 8


def raw(header_bytes, data=b"", pad=True, length=None):
    """Length field + header text (+ the writer's space padding) + data."""
    if pad:
        header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    n = len(header_bytes) if length is None else length
    return struct.pack("<Q", n) + header_bytes + data


def build(tensors, metadata=None, extra=b"", order=None):
    """tensors: list of (name, dtype, shape); laid out contiguously."""
    hdr = {}
    if metadata is not None:
        hdr["__metadata__"] = metadata
    off = 0
    data = b""
    entries = []
    for name, dtype, shape in tensors:
        n = nbytes(dtype, shape)
        entries.append((name, {"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}))
        data += bytes((off + i) & 0xFF for i in range(n))
        off += n
    if order:
        entries = [entries[i] for i in order]
    for name, e in entries:
        hdr[name] = e
    return raw(json.dumps(hdr, separators=(",", ":")).encode(), data + extra)


def hdr_file(header_text, data=b"", **kw):
    return raw(header_text.encode() if isinstance(header_text, str) else header_text, data, **kw)


def cases():
    c = {}
    # ---- valid ----
    c["valid_small"] = build([("model.embed.weight", "F32", [4, 3]), ("model.norm.weight", "F16", [3]),
                              ("model.position_ids", "I64", [1, 4])], {"format": "pt"})
    c["valid_empty"] = build([])
    c["valid_zero_size"] = build([("a", "F32", [0, 4]), ("b", "F32", [2])])
    c["valid_all_dtypes"] = build([("t_" + d.lower(), d, [8]) for d in SIZES])
    c["valid_unsorted_header"] = build([("z", "F32", [2]), ("a", "I8", [3]), ("m", "BF16", [5])],
                                       order=[2, 0, 1])
    c["metadata_code"] = build([("w", "F32", [2])],
                               {"format": "pt", "note": "import subprocess; subprocess.run(['id'])",
                                "homepage": "https://example.org/model"})
    # ---- malformed ----
    c["header_past_eof"] = hdr_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4,
                                    length=4096)
    c["header_too_large"] = hdr_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4,
                                     length=200_000_000)
    c["leading_space"] = hdr_file(' {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4)
    c["not_json"] = hdr_file('{"a": }', b"")
    c["trailing_garbage"] = hdr_file('{} x', b"")
    c["dup_key"] = hdr_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                            '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8)
    c["bad_utf8"] = hdr_file(b'{"\xff\xfe":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4)
    c["unknown_dtype"] = hdr_file('{"a":{"dtype":"F13","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4)
    c["missing_shape"] = hdr_file('{"a":{"dtype":"F32","data_offsets":[0,4]}}', b"\0" * 4)
    c["extra_key"] = hdr_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"foo":1}}', b"\0" * 4)
    c["entry_not_object"] = hdr_file('{"a":[1,2,3]}', b"")
    c["shape_negative"] = hdr_file('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', b"\0" * 4)
    c["shape_float"] = hdr_file('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', b"\0" * 4)
    c["offsets_short"] = hdr_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', b"\0" * 4)
    c["offsets_reversed"] = hdr_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}', b"\0" * 8)
    c["size_mismatch"] = hdr_file('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', b"\0" * 12)
    c["shape_overflow"] = hdr_file('{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],'
                                   '"data_offsets":[0,4]}}', b"\0" * 4)
    c["f4_partial_byte"] = hdr_file('{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}', b"\0" * 2)
    c["offsets_gap"] = hdr_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                '"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}', b"\0" * 24)
    c["offsets_overlap"] = hdr_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                    '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\0" * 12)
    c["first_not_zero"] = hdr_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', b"\0" * 16)
    c["trailing_bytes"] = hdr_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b"\0" * 40)
    c["data_past_eof"] = hdr_file('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b"\0" * 8)
    c["metadata_not_strings"] = hdr_file('{"__metadata__":{"epochs":3}}', b"")
    c["metadata_not_object"] = hdr_file('{"__metadata__":"pt"}', b"")
    # A pickle wearing a .safetensors name: scanned as what it is.
    c["pickle_named"] = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
    return c


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(FUZZ, exist_ok=True)
    for name, data in sorted(cases().items()):
        with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
            f.write(data)
    seeds = ["valid_small", "valid_empty", "valid_zero_size", "valid_all_dtypes", "valid_unsorted_header",
             "metadata_code", "dup_key", "offsets_gap", "size_mismatch", "header_past_eof", "shape_overflow"]
    for s in seeds:
        shutil.copy(os.path.join(OUT, s + ".safetensors"), os.path.join(FUZZ, s))


if __name__ == "__main__":
    main()
