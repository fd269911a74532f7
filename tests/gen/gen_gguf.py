#!/usr/bin/python3
"""GGUF, chat-template and tokenizer_config.json fixtures (tests/fixtures/gguf/).

GGUF files are assembled with struct so that every header field can lie;
no gguf library is used and nothing is ever rendered.  Each validation rule
of src/formats/gguf.c has a failing fixture and a golden in
tests/golden/gguf_*.expect.json.  Chat templates (tests/gen/chat_templates.py)
are written to tests/fixtures/gguf/templates/{benign,hostile}/ for
tests/unit/test_template.c; hostile files named crit_* must be CRITICAL.

Run from the repository root:  /usr/bin/python3 tests/gen/gen_gguf.py
Also seeds fuzz/corpus/gguf/.
"""
import json
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chat_templates  # noqa: E402

OUT = "tests/fixtures/gguf"
FUZZ = "fuzz/corpus/gguf"

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<B",
          U64: "<Q", I64: "<q", F64: "<d"}
# ggml type: (block size, bytes per block)
GGML = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q8_0": (8, 32, 34), "Q4_K": (12, 256, 144),
        "BF16": (30, 1, 2), "I8": (24, 1, 1)}


class W:
    def __init__(self, version=3):
        self.v = version

    def ln(self, n):
        return struct.pack("<I" if self.v == 1 else "<Q", n)

    def s(self, b):
        b = b.encode() if isinstance(b, str) else b
        return self.ln(len(b)) + b

    def val(self, t, v):
        if t == STR:
            return self.s(v)
        if t == ARR:
            et, items = v
            out = struct.pack("<I", et) + self.ln(len(items))
            for it in items:
                out += self.val(et, it)
            return out
        return struct.pack(SCALAR[t], v)

    def kv(self, key, t, v):
        return self.s(key) + struct.pack("<I", t) + self.val(t, v)


def gguf(kvs, tensors=(), version=3, alignment=32, n_kv=None, n_tensors=None, magic=b"GGUF",
         offsets=None, cut=0, extra=b"", raw_version=None):
    """kvs: list of (key, type, value) or raw bytes; tensors: (name, type, dims)."""
    w = W(version)
    out = magic + struct.pack("<I", raw_version if raw_version is not None else version)
    cnt = struct.pack("<I", n_tensors if n_tensors is not None else len(tensors)) if version == 1 else \
        struct.pack("<Q", n_tensors if n_tensors is not None else len(tensors))
    cnt += struct.pack("<I" if version == 1 else "<Q", n_kv if n_kv is not None else len(kvs))
    out += cnt
    for kv in kvs:
        out += kv if isinstance(kv, bytes) else w.kv(*kv)
    off = 0
    datas = []
    for i, (name, tname, dims) in enumerate(tensors):
        tid, blck, size = GGML[tname] if isinstance(tname, str) else tname
        n = 1
        for d in dims:
            n *= d
        nbytes = n // blck * size if blck else 0
        o = offsets[i] if offsets else off
        out += w.s(name) + struct.pack("<I", len(dims))
        for d in dims:
            out += struct.pack("<I" if version == 1 else "<Q", d)
        out += struct.pack("<IQ", tid, o)
        datas.append(nbytes)
        off += (nbytes + alignment - 1) // alignment * alignment
    if tensors:
        out += b"\0" * ((alignment - len(out) % alignment) % alignment)
        for nb in datas:
            if nb > 1 << 20:  # absurd sizes of malformed cases: the header is what is tested
                break
            out += bytes(i & 0xFF for i in range(nb))
            out += b"\0" * ((alignment - nb % alignment) % alignment)
    out += extra
    return out[:len(out) - cut] if cut else out


T = chat_templates


def base_kvs(template=T.BENIGN["llama_3"]):
    return [("general.architecture", STR, "llama"), ("general.name", STR, "tiny-test"),
            ("llama.context_length", U32, 2048), ("llama.rope.freq_base", F32, 10000.0),
            ("general.file_type", U32, 1), ("general.quantized", BOOL, 1), ("general.size", I64, -1),
            ("general.ratio", F64, 0.5), ("general.tags", ARR, (STR, ["test", "tiny"])),
            ("tokenizer.ggml.tokens", ARR, (STR, ["<s>", "</s>", "{{", "{%", "hello"])),
            ("tokenizer.ggml.scores", ARR, (F32, [0.0, 0.0, -1.0, -1.0, -2.0])),
            ("tokenizer.ggml.token_type", ARR, (I32, [3, 3, 1, 1, 1])),
            ("test.nested", ARR, (ARR, [(U8, [1, 2]), (U8, [3])])),
            ("tokenizer.chat_template", STR, template)]


TENSORS = [("token_embd.weight", "F16", [8, 5]), ("blk.0.attn_q.weight", "Q4_0", [32, 2]),
           ("blk.0.ffn.weight", "Q4_K", [256, 1]), ("output_norm.weight", "F32", [8])]


def nested_array(depth):
    """Raw kv bytes: an array of arrays ... depth levels deep."""
    w = W(3)
    inner = struct.pack("<I", U8) + w.ln(1) + b"\x07"
    for _ in range(depth - 1):
        inner = struct.pack("<I", ARR) + w.ln(1) + inner
    return w.s("test.deep") + struct.pack("<I", ARR) + inner


def cases():
    c = {}
    w3 = W(3)
    # ---- valid ----
    c["valid_tiny"] = gguf(base_kvs() + [("general.alignment", U32, 64)], TENSORS, alignment=64)
    c["valid_v1"] = gguf([("general.architecture", STR, "llama"), ("tokenizer.ggml.tokens", ARR, (STR, ["a", "b"]))],
                         [("w", "F32", [4, 2])], version=1)
    c["valid_v2"] = gguf([("general.architecture", STR, "gpt2")], [("w", "F16", [4])], version=2)
    c["valid_vocab_only"] = gguf(base_kvs(T.BENIGN["qwen3_0_6b"]))
    c["valid_zero_dim"] = gguf([("general.architecture", STR, "llama")], [("empty", "F32", [0, 4]), ("w", "F32", [2])])
    c["trailing_data"] = gguf(base_kvs(), TENSORS, extra=b"\xde\xad" * 64)
    # ---- hostile templates ----
    c["evil_template_cycler"] = gguf(base_kvs(T.HOSTILE["cycler_globals_os_popen"]), TENSORS)
    c["evil_template_obfuscated"] = gguf(base_kvs("{% set x = '__cla' ~ 'ss__' %}{{ x }}"), TENSORS)
    c["evil_named_template"] = gguf(base_kvs() + [("tokenizer.chat_templates", ARR, (STR, ["tool_use"])),
                                                  ("tokenizer.chat_template.tool_use", STR,
                                                   T.HOSTILE["chatml_with_payload"])], TENSORS)
    c["evil_other_key_template"] = gguf(base_kvs() + [("general.description", STR,
                                                       "{{ lipsum.__globals__['os'].popen('id').read() }}")])
    # ---- malformed ----
    c["bad_version"] = gguf(base_kvs(), raw_version=4)
    c["big_endian"] = gguf(base_kvs(), raw_version=0x03000000)
    c["truncated_header"] = b"GGUF" + struct.pack("<I", 3) + b"\x01\x00"
    c["kv_count_limit"] = gguf([], n_kv=1 << 40)
    c["tensor_count_limit"] = gguf([], n_tensors=1 << 40)
    c["kv_count_past_eof"] = gguf([("a", U8, 1)], n_kv=1000)
    c["dup_key"] = gguf([("general.name", STR, "a"), ("general.name", STR, "b")])
    c["bad_value_type"] = gguf([w3.s("general.x") + struct.pack("<I", 13) + b"\0" * 8])
    c["string_past_eof"] = gguf([w3.s("general.name") + struct.pack("<I", STR) + struct.pack("<Q", 1 << 30) + b"abc"])
    c["key_past_eof"] = gguf([struct.pack("<Q", 1 << 62) + b"general"])
    c["array_past_eof"] = gguf([w3.s("a") + struct.pack("<I", ARR) + struct.pack("<IQ", U32, 1 << 40) + b"\0" * 16])
    c["array_strings_past_eof"] = gguf([w3.s("a") + struct.pack("<I", ARR) + struct.pack("<IQ", STR, 1 << 20) + b"\0" * 16])
    c["array_unknown_type"] = gguf([w3.s("a") + struct.pack("<I", ARR) + struct.pack("<IQ", 99, 1) + b"\0" * 8])
    c["array_nesting"] = gguf([nested_array(12)])
    c["alignment_type"] = gguf([("general.alignment", U64, 32)])
    c["alignment_not_pow2"] = gguf([("general.alignment", U32, 48)])
    c["alignment_zero"] = gguf([("general.alignment", U32, 0)])
    c["tensor_name_long"] = gguf([], [("x" * 64, "F32", [1])])
    c["tensor_dup_name"] = gguf([], [("w", "F32", [4]), ("w", "F32", [4])])
    c["tensor_ndims"] = gguf([], [("w", "F32", [1, 1, 1, 1, 1])])
    c["tensor_bad_type"] = gguf([], [("w", (4, 1, 1), [4])])
    c["tensor_type_beyond"] = gguf([], [("w", (1000, 1, 1), [4])])
    c["tensor_block"] = gguf([], [("w", "Q4_0", [33])])
    c["tensor_overflow"] = gguf([], [("w", "F32", [1 << 32, 1 << 32])])
    c["tensor_negative_dim"] = gguf([], [("w", "F32", [1 << 63])])
    c["tensor_offset_gap"] = gguf([], [("a", "F32", [8]), ("b", "F32", [8])], offsets=[0, 64])
    c["tensor_offset_misaligned"] = gguf([], [("a", "F32", [8]), ("b", "F32", [8])], offsets=[0, 33])
    c["tensor_overlap"] = gguf([], [("a", "F32", [16]), ("b", "F32", [8])], offsets=[0, 32])
    c["tensor_first_offset"] = gguf([], [("a", "F32", [8])], offsets=[32])
    c["tensor_data_past_eof"] = gguf([], [("a", "F32", [64])], cut=100)
    c["tensor_info_past_eof"] = gguf([], [("a", "F32", [64])])[:40]
    # corrupted text round-trip like the corpus samples: bytes >= 0x80 -> U+FFFD
    good = gguf(base_kvs(), TENSORS)
    c["utf8_roundtrip"] = good.decode("latin-1").encode("utf-8", "replace").replace(
        "Ã".encode(), b"\xef\xbf\xbd")[:len(good) + 64]
    return c


def write_templates():
    for sub in ("benign", "hostile"):
        d = os.path.join(OUT, "templates", sub)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
    for name, t in T.BENIGN.items():
        with open(os.path.join(OUT, "templates", "benign", name + ".jinja"), "w", encoding="utf-8") as f:
            f.write(t)
    for name, t in T.HOSTILE.items():
        prefix = "crit_" if name in T.CRITICAL else "high_"
        with open(os.path.join(OUT, "templates", "hostile", prefix + name + ".jinja"), "w", encoding="utf-8") as f:
            f.write(t)


def tokenizer_configs():
    c = {}
    c["tokenizer_config_benign"] = {
        "add_bos_token": True, "bos_token": "<s>", "eos_token": "</s>",
        "model_max_length": 1000000000000000019884624838656,
        "added_tokens_decoder": {"0": {"content": "<unk>", "special": True}},
        "chat_template": T.BENIGN["mistral_nemo_2407"], "tokenizer_class": "LlamaTokenizer"}
    c["tokenizer_config_evil"] = {
        "bos_token": "<s>", "chat_template": T.HOSTILE["chatml_with_payload"], "tokenizer_class": "LlamaTokenizer"}
    c["tokenizer_config_named_evil"] = {
        "chat_template": [{"name": "default", "template": T.BENIGN["llama_3"]},
                          {"name": "tool_use", "template": T.HOSTILE["dict_join"]}]}
    c["tokenizer_config_bad_type"] = {"chat_template": 42}
    return c


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(FUZZ, exist_ok=True)
    for name, data in sorted(cases().items()):
        with open(os.path.join(OUT, name + ".gguf"), "wb") as f:
            f.write(data)
    for name, obj in tokenizer_configs().items():
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")
    write_templates()
    seeds = ["valid_tiny", "valid_v1", "valid_v2", "valid_vocab_only", "valid_zero_dim", "evil_template_cycler",
             "evil_named_template", "array_nesting", "tensor_offset_gap", "tensor_block", "dup_key"]
    for s in seeds:
        shutil.copy(os.path.join(OUT, s + ".gguf"), os.path.join(FUZZ, s))
    shutil.copy(os.path.join(OUT, "tokenizer_config_evil.json"), os.path.join(FUZZ, "tokenizer_config_evil"))


if __name__ == "__main__":
    main()
