#!/usr/bin/python3
"""PyTorch carriers for laocoon's tests (tests/fixtures/pytorch/, tests/fixtures/archive/).

Run from the repository root with Debian's python (it has python3-torch):
    /usr/bin/python3 tests/gen/gen_torch.py

Benign files come from real torch.save / torch.jit.save.  Hostile variants
are built by rewriting bytes and zip members (zipfile, struct, tarfile);
nothing is ever loaded, and hostile pickles are literal opcode bytes.
"""
import bz2
import gzip
import io
import lzma
import os
import pickle
import shutil
import struct
import subprocess
import tarfile
import zipfile

import torch
from torch import nn

PT = "tests/fixtures/pytorch"
AR = "tests/fixtures/archive"

# posix.system('id'), protocol 2 literal opcodes
EVIL = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return torch.relu(self.fc(x))


def save(obj, path, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    data = buf.getvalue()
    with open(path, "wb") as fh:
        fh.write(data)
    return data


def rezip(src, dst, replace=None, add=None, rename_root=None):
    """Copies a zip member by member, replacing/adding members (stored)."""
    replace = replace or {}
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            name = info.filename
            data = replace.get(name, zin.read(name))
            if rename_root:
                name = rename_root + name[name.index("/"):]
            zout.writestr(name, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)


def legacy_stream(main_pickle, keys_pickle=None, tail=b""):
    """Stacked pickles of torch's legacy format around a chosen object pickle."""
    out = pickle.dumps(LEGACY_MAGIC, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    out += main_pickle
    out += keys_pickle if keys_pickle is not None else pickle.dumps([], protocol=2)
    return out + tail


def legacy_tar(path, storages_tail_pickle=None):
    """torch < 0.4 layout: members sys_info, pickle, storages, tensors."""
    float_storage = b"ctorch\nFloatStorage\nq\x02"
    hdr = b"\x80\x02X\x01\x00\x00\x000q\x00X\x03\x00\x00\x00cpuq\x01" + float_storage + b"\x87q\x03."
    storages = pickle.dumps(1, protocol=2) + hdr + struct.pack("<q", 4) + struct.pack("<4f", 1, 2, 3, 4)
    storages += storages_tail_pickle if storages_tail_pickle else pickle.dumps([], protocol=2)
    thdr = (b"\x80\x02X\x01\x00\x00\x000q\x00X\x01\x00\x00\x000q\x01ctorch\nFloatTensor\nq\x02\x87q\x03.")
    tensors = pickle.dumps(1, protocol=2) + thdr + struct.pack("<i", 1) + b"\0" * 4
    tensors += struct.pack("<q", 4) + struct.pack("<q", 1) + struct.pack("<q", 0)
    members = {
        "sys_info": pickle.dumps({"protocol_version": 1001, "little_endian": True,
                                  "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2),
        "pickle": pickle.dumps({"weight": "0"}, protocol=2),
        "storages": storages,
        "tensors": tensors,
    }
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("sys_info", "pickle", "storages", "tensors"):
            ti = tarfile.TarInfo(name)
            ti.size = len(members[name])
            ti.mtime = 0
            tar.addfile(ti, io.BytesIO(members[name]))


def main():
    os.makedirs(PT, exist_ok=True)
    os.makedirs(AR, exist_ok=True)
    torch.manual_seed(0)
    net = TinyNet()
    sd = net.state_dict()

    zdata = save(sd, os.path.join(PT, "state_dict.pt"))
    save(sd, os.path.join(PT, "state_dict_legacy.pt"), _use_new_zipfile_serialization=False)
    save(net, os.path.join(PT, "whole_model.pt"))
    torch.jit.save(torch.jit.script(net), os.path.join(PT, "torchscript.pt"))

    # legacy stream: payload in the 4th (object) pickle, then in the 5th (keys)
    with open(os.path.join(PT, "legacy_payload_object.pt"), "wb") as fh:
        fh.write(legacy_stream(EVIL))
    with open(os.path.join(PT, "legacy_payload_keys.pt"), "wb") as fh:
        fh.write(legacy_stream(pickle.dumps({}, protocol=2), keys_pickle=EVIL))
    # legacy stream with data appended after the last storage
    with open(os.path.join(PT, "legacy_appended.pt"), "wb") as fh:
        fh.write(legacy_stream(pickle.dumps({}, protocol=2), tail=b"\0" * 16))

    root = zipfile.ZipFile(io.BytesIO(zdata)).namelist()[0].split("/")[0]
    # a pickle hidden as a tensor storage
    rezip(zdata, os.path.join(PT, "pickle_in_storage.pt"), replace={root + "/data/0": EVIL})
    # payload pickle under an odd root folder, named like data
    rezip(zdata, os.path.join(PT, "odd_root.pt"), rename_root="weird root.v2",
          add={"weird root.v2/extra/blob.bin": EVIL})
    # data.pkl itself replaced
    rezip(zdata, os.path.join(PT, "evil_data_pkl.pt"), replace={root + "/data.pkl": EVIL})

    legacy_tar(os.path.join(PT, "legacy_tar.pt"))
    legacy_tar(os.path.join(PT, "legacy_tar_payload.pt"), storages_tail_pickle=EVIL)

    # single-stream compressors and tar around a hostile pickle
    with open(os.path.join(AR, "evil.pkl.gz"), "wb") as fh:
        fh.write(gzip.compress(EVIL, mtime=0))
    with open(os.path.join(AR, "evil.pkl.bz2"), "wb") as fh:
        fh.write(bz2.compress(EVIL))
    with open(os.path.join(AR, "evil.pkl.xz"), "wb") as fh:
        fh.write(lzma.compress(EVIL))
    for tool, ext in (("zstd", "zst"), ("lz4", "lz4")):
        if shutil.which(tool):
            out = subprocess.run([tool, "-q", "-c"], input=EVIL, stdout=subprocess.PIPE, check=True).stdout
            with open(os.path.join(AR, "evil.pkl." + ext), "wb") as fh:
                fh.write(out)
    for mode, name in (("w", "evil.tar"), ("w:gz", "evil.tar.gz")):
        with tarfile.open(os.path.join(AR, name), mode, format=tarfile.GNU_FORMAT) as tar:
            for n, data in (("model/readme.txt", b"hello\n"), ("model/weights.bin", EVIL)):
                ti = tarfile.TarInfo(n)
                ti.size = len(data)
                ti.mtime = 0
                tar.addfile(ti, io.BytesIO(data))
    with tarfile.open(os.path.join(AR, "traversal.tar"), "w", format=tarfile.USTAR_FORMAT) as tar:
        ti = tarfile.TarInfo("../../etc/cron.d/x")
        ti.size = 3
        ti.mtime = 0
        tar.addfile(ti, io.BytesIO(b"hi\n"))
    with open(os.path.join(AR, "benign.pkl.gz"), "wb") as fh:
        fh.write(gzip.compress(pickle.dumps({"a": 1}, protocol=2), mtime=0))
    # a gzip bomb: 32 MiB of zeros
    with open(os.path.join(AR, "bomb.gz"), "wb") as fh:
        fh.write(gzip.compress(b"\0" * (32 << 20), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
