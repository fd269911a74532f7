#!/usr/bin/python3
"""Checkpoints for `laocoon convert` (tests/fixtures/convert/).

Run from the repository root with Debian's python (it has python3-torch):
    /usr/bin/python3 tests/gen/gen_convert.py

For every case it writes NAME.pt (torch.save, zip format) and
NAME_legacy.pt (_use_new_zipfile_serialization=False), plus
NAME.expected.safetensors: the tensors as torch itself sees them after
torch.load, written by the small safetensors writer below (not by the
safetensors package), in the layout the reference crate produces (tensors
sorted by descending dtype rank then name, header padded with spaces to a
multiple of 8, __metadata__ {"format": "pt"}).  tests/cli/convert_roundtrip.sh
compares `laocoon convert` output with these files without torch.
"""
import json
import os
import struct
import zipfile

import torch
from torch import nn

OUT = "tests/fixtures/convert"

# Rank = position in the crate's Dtype enum (safetensors 0.6); the writer
# sorts by descending rank, then by name (bytes).
RANK = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16",
        "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]
DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL", torch.complex64: "C64",
}


def tensor_bytes(t):
    """Little-endian bytes of t in C order, without numpy for the dtypes it lacks."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    items = sorted(tensors.items(), key=lambda kv: (-RANK.index(DTYPES[kv[1].dtype]), kv[0].encode()))
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    off = 0
    for name, t in items:
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Linear(4, 2)


class EmbLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.lstm = nn.LSTM(6, 5, num_layers=1)
        self.out = nn.Linear(5, 20)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Embedding(10, 4)
        self.dec = nn.Linear(4, 10, bias=False)
        self.dec.weight = self.enc.weight  # one Parameter under two names


def cases():
    torch.manual_seed(1234)
    mlp = MLP()
    yield "mlp", mlp.state_dict()

    cnn = CNN()
    cnn.train()
    cnn.bn(torch.randn(2, 4, 5, 5))  # running stats move, num_batches_tracked = 1
    cnn.bn(torch.randn(2, 4, 5, 5))
    yield "cnn_bn", cnn.state_dict()

    yield "emb_lstm", EmbLSTM().state_dict()
    yield "tied", Tied().state_dict()

    base = torch.arange(48, dtype=torch.float32).reshape(6, 8)
    flat = torch.arange(100, dtype=torch.int32)
    yield "views", {
        "base": base,
        "transposed": base.t(),                    # stride (1, 8): non-contiguous
        "slice_rows": base[2:5],                   # storage_offset 16
        "slice_cols": base[:, 3:6],                # offset and gaps
        "strided": flat[5:95:7],                   # stride 7, offset 5
        "expanded": torch.tensor([1.5, 2.5]).expand(3, 2),  # stride 0
        "scalar": torch.tensor(3.25),              # shape []
        "empty": torch.zeros(0, 4),                # no data
        "empty_view": base[6:],                    # zero rows at the end of a storage
        "permuted": torch.arange(24, dtype=torch.int64).reshape(2, 3, 4).permute(2, 0, 1),
        "shared_a": flat[:10],                     # two views of one storage
        "shared_b": flat[50:60].reshape(2, 5),
    }

    g = torch.Generator().manual_seed(7)
    f = torch.randn(3, 4, generator=g)
    yield "dtypes", {
        "f64": f.double(), "f32": f, "f16": f.half(), "bf16": f.bfloat16(),
        "i64": torch.tensor([-(2 ** 40), 0, 2 ** 40 + 3]), "i32": torch.tensor([-7, 0, 70000], dtype=torch.int32),
        "i16": torch.tensor([-300, 2, 300], dtype=torch.int16), "i8": torch.tensor([-100, 0, 100], dtype=torch.int8),
        "u8": torch.tensor([0, 128, 255], dtype=torch.uint8), "bool": torch.tensor([True, False, True]),
        "param": nn.Parameter(torch.ones(2, 2)),   # _rebuild_parameter around _rebuild_tensor_v2
    }


def big_endian_copy(src, dst, elem_size):
    """src rewritten as a big-endian machine's torch.save would write it
    (torch >= 2.0 records <root>/byteorder; storages in native order)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        root = zin.namelist()[0].split("/")[0]
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith(f"{root}/data/"):
                data = b"".join(data[i:i + elem_size][::-1] for i in range(0, len(data), elem_size))
            zout.writestr(info.filename, data)
        zout.writestr(f"{root}/byteorder", b"big")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, sd in cases():
        torch.save(sd, f"{OUT}/{name}.pt")
        torch.save(sd, f"{OUT}/{name}_legacy.pt", _use_new_zipfile_serialization=False)
        # What torch.load gives back is the reference, not the objects above.
        back = torch.load(f"{OUT}/{name}.pt")
        back_legacy = torch.load(f"{OUT}/{name}_legacy.pt")
        for k in sd:
            assert torch.equal(back[k], back_legacy[k]), k
        write_safetensors(f"{OUT}/{name}.expected.safetensors", dict(back))
    big_endian_copy(f"{OUT}/mlp.pt", f"{OUT}/mlp_bigendian.pt", 4)  # all float32
    # A complex64 tensor: the crate has C64, so this converts too.
    torch.save({"c": torch.tensor([1 + 2j, -3.5j], dtype=torch.complex64)}, f"{OUT}/complex64.pt")
    write_safetensors(f"{OUT}/complex64.expected.safetensors",
                      dict(torch.load(f"{OUT}/complex64.pt")))
    # complex128 has no safetensors dtype: convert must refuse it.
    torch.save({"c": torch.tensor([1 + 2j], dtype=torch.complex128)}, f"{OUT}/refuse_complex128.pt")
    # Not a state dict: a whole module object (class reference) and a nested dict.
    torch.save({"model": MLP().state_dict(), "epoch": 3}, f"{OUT}/refuse_nested.pt")
    torch.save({"w": torch.ones(2), "step": 5}, f"{OUT}/refuse_non_tensor.pt")
    for f in sorted(os.listdir(OUT)):
        size = os.path.getsize(f"{OUT}/{f}")
        assert size < 50_000, (f, size)
        print(f"{OUT}/{f}: {size} bytes")


if __name__ == "__main__":
    main()
