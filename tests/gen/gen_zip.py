#!/usr/bin/python3
"""Hostile zip structures for laocoon's zip reader (tests/fixtures/zip/).

Every archive is assembled byte by byte with struct so that each header
field can be made to lie; nothing is ever unpickled or extracted.  Hostile
pickles are literal opcode bytes (never built by importing the callable).

Run from the repository root:  /usr/bin/python3 tests/gen/gen_zip.py
Also seeds fuzz/corpus/zip/ with small copies.
"""
import os
import shutil
import struct
import zlib

OUT = "tests/fixtures/zip"
FUZZ = "fuzz/corpus/zip"

# posix.system('id') -- protocol 2, literal opcodes
EVIL = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
# builtins.eval("1") -- protocol 4 framed
EVIL4 = (b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94"
         b"\x8c\x011\x94\x85\x94R\x94.")
# {'a': 1}
BENIGN = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s."


def deflate(data, level=9):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


class Entry:
    def __init__(self, name, data, method=0, flags=0, **kw):
        self.name = name.encode() if isinstance(name, str) else name
        self.data = data                       # uncompressed content
        self.method = method
        self.flags = flags
        self.payload = kw.pop("payload", None)  # bytes stored (default: data or deflate(data))
        self.crc = kw.pop("crc", None)
        self.lname = kw.pop("lname", None)      # local header name if different
        self.usize = kw.pop("usize", None)
        self.zip64 = kw.pop("zip64", False)
        self.lho = kw.pop("lho", None)          # force the central record's offset
        self.in_cd = kw.pop("in_cd", True)
        assert not kw, kw


def build(entries, prepend=b"", append=b"", comment=b"", fix_offsets=True, zip64_end=False,
          declare=None, cd_cut=None, gap=b""):
    out = bytearray(prepend)
    base = 0 if fix_offsets else len(prepend)
    recs = []
    for e in entries:
        payload = e.payload if e.payload is not None else (deflate(e.data) if e.method == 8 else e.data)
        crc = e.crc if e.crc is not None else zlib.crc32(e.data) & 0xffffffff
        usize = e.usize if e.usize is not None else len(e.data)
        lname = e.lname if e.lname is not None else e.name
        off = len(out) - base
        if e.zip64:
            lextra = struct.pack("<HHQQ", 1, 16, usize, len(payload))
            out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, e.flags, e.method, 0, 0x21, crc,
                               0xffffffff, 0xffffffff, len(lname), len(lextra)) + lname + lextra
        else:
            out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, e.flags, e.method, 0, 0x21, crc,
                               len(payload), usize, len(lname), 0) + lname
        out += payload
        out += gap
        if e.in_cd:
            recs.append((e, off if e.lho is None else e.lho, crc, len(payload), usize))
    cd_off = len(out) - base
    cd = bytearray()
    for e, off, crc, csize, usize in recs:
        if e.zip64:
            extra = struct.pack("<HHQQQ", 1, 24, usize, csize, off)
            cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x031e, 45, e.flags, e.method, 0, 0x21,
                              crc, 0xffffffff, 0xffffffff, len(e.name), len(extra), 0, 0, 0, 0,
                              0xffffffff) + e.name + extra
        else:
            cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x031e, 20, e.flags, e.method, 0, 0x21,
                              crc, csize, usize, len(e.name), 0, 0, 0, 0, 0, off) + e.name
    if cd_cut is not None:
        cd = cd[:cd_cut]
    out += cd
    n = len(recs) if declare is None else declare
    if zip64_end:
        e64 = len(out) - base
        out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n, len(cd), cd_off)
        out += struct.pack("<IIQI", 0x07064b50, 0, e64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff,
                           len(comment)) + comment
    else:
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(cd), cd_off, len(comment)) + comment
    out += append
    return bytes(out)


def fixtures():
    f = {}
    f["crc_mismatch.zip"] = build([Entry("data.pkl", EVIL, crc=0x12345678)])
    f["flag_encrypted.zip"] = build([Entry("model/config.pkl", EVIL, flags=0x1)])
    f["flag_patched.zip"] = build([Entry("model/config.pkl", EVIL4, flags=0x20)])
    f["flag_strong.zip"] = build([Entry("model/config.pkl", EVIL, method=8, flags=0x40)])
    # really encrypted: ZipCrypto header + ciphertext, CRC of the (unknown) plaintext
    f["really_encrypted.zip"] = build([Entry("secret.pkl", b"x" * 20, flags=0x1,
                                             payload=bytes((i * 73 + 41) & 0xff for i in range(32)))])
    f["name_mismatch.zip"] = build([Entry("data.pkl", EVIL, lname=b"datap.kl")])
    f["duplicate.zip"] = build([Entry("data.pkl", BENIGN), Entry("data.pkl", EVIL)])
    # second central record points at the first local header: overlap
    f["overlap.zip"] = build([Entry("a.pkl", BENIGN), Entry("b.pkl", BENIGN, lho=0)])
    f["prepended.zip"] = build([Entry("data.pkl", EVIL)], prepend=b"#!/bin/sh\necho hi\nexit 0\n")
    f["prepended_relative.zip"] = build([Entry("data.pkl", EVIL)], prepend=b"JUNKJUNKJUNK" * 4,
                                        fix_offsets=False)
    f["appended_pickle.zip"] = build([Entry("notes.txt", b"hello\n")], append=EVIL)
    f["zip64.zip"] = build([Entry("data.pkl", EVIL, zip64=True), Entry("b.txt", b"hi\n", zip64=True)],
                           zip64_end=True)
    f["deflate.zip"] = build([Entry("dir/model.pkl", EVIL4, method=8), Entry("readme.txt", b"r" * 300,
                                                                                 method=8)])
    f["data_descriptor.zip"] = build([Entry("data.pkl", EVIL, flags=0x8)], gap=struct.pack(
        "<IIII", 0x08074b50, zlib.crc32(EVIL), len(EVIL), len(EVIL)))
    f["truncated_cd.zip"] = build([Entry("data.pkl", EVIL), Entry("b.pkl", BENIGN),
                                   Entry("c.pkl", BENIGN)], declare=3, cd_cut=46 + 8 + 20)
    # a fake end record hidden in the comment of the real one
    fake = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0, 0, 0, 0, 0)
    f["eocd_comment.zip"] = build([Entry("data.pkl", BENIGN)], comment=b"c" * 10 + fake)
    f["path_traversal.zip"] = build([Entry("../../../tmp/evil.pkl", EVIL), Entry("/etc/x.txt", b"x")])
    f["wrong_ext.zip"] = build([Entry("data.txt", EVIL)])
    f["many_members.zip"] = build([Entry("m%03d.txt" % i, b"t\n") for i in range(40)])
    f["hidden_local.zip"] = build([Entry("hidden.pkl", EVIL, in_cd=False), Entry("ok.txt", b"ok\n")])
    f["bzip2_method.zip"] = build([Entry("a.bin", b"x", method=12, payload=b"BZh91AY&SY"),
                                   Entry("data.pkl", EVIL)])
    f["bomb.zip"] = build([Entry("zeros.bin", b"\0" * (8 << 20), method=8)])
    f["benign.zip"] = build([Entry("data.pkl", BENIGN), Entry("readme.txt", b"hello\n", method=8)])
    f["empty.zip"] = build([])
    return f


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(FUZZ, exist_ok=True)
    for name, data in sorted(fixtures().items()):
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(data)
        if name != "bomb.zip" and len(data) < 4096:
            shutil.copyfile(os.path.join(OUT, name), os.path.join(FUZZ, name))


if __name__ == "__main__":
    main()
