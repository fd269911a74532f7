"""Clean base models: real architectures exported with torch.onnx (random
weights, fixed seeds).  Each builder returns a `Base` describing the model's
interface so that grafts and the behaviour proof know what to feed it.

`tiny=True` gives the committed-fixture variants (a few KB each).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as Fn

from .common import export_torch


class Base:
    def __init__(self, name, model, kind, inputs, outputs, **info):
        self.name = name          # file stem, e.g. "resnet18"
        self.model = model        # onnx ModelProto
        self.kind = kind          # classifier | detector | seqcls | lm
        self.inputs = inputs      # [{"name","dtype","shape","clean":{...}}]
        self.outputs = outputs    # graph output names, first = primary
        self.info = info          # num_classes, vocab, seq, torch module ...

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        return self.outputs[0]


def image_input(name, shape):
    return {"name": name, "dtype": "float32", "shape": list(shape),
            "clean": {"dist": "uniform", "low": 0.0, "high": 1.0}}


# ---------------------------------------------------------------------------
# image classifiers
# ---------------------------------------------------------------------------
class TinyCNN(nn.Module):
    """Fixture-sized classifier: conv-bn-relu x2, global pool, fc."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = Fn.relu(self.bn1(self.conv1(x)))
        x = Fn.relu(self.conv2(x))
        return self.fc(torch.flatten(Fn.adaptive_avg_pool2d(x, 1), 1))


def classifier(arch, opset, hw, seed, tiny=False):
    import torchvision
    torch.manual_seed(seed)
    if tiny:
        mod = TinyCNN(10)
    else:
        mod = getattr(torchvision.models, arch)(weights=None)
    mod.eval()
    if tiny:  # non-trivial BN statistics so that folding matters
        with torch.no_grad():
            mod.bn1.running_mean.uniform_(-0.1, 0.1)
            mod.bn1.running_var.uniform_(0.5, 1.5)
    shape = (1, 3, hw, hw)
    m = export_torch(mod, (torch.rand(shape),), ["input"], ["logits"], opset)
    classes = 10 if tiny else 1000
    return Base(arch if not tiny else "tinycnn", m, "classifier", [image_input("input", shape)],
                ["logits"], num_classes=classes, hw=hw)


# ---------------------------------------------------------------------------
# detection
# ---------------------------------------------------------------------------
class GridDet(nn.Module):
    """A small single-shot detector with honest post-processing: anchor box
    decoding (exp of size deltas), objectness x class score, score threshold,
    TopK pre-selection, NonMaxSuppression, clip to image."""

    def __init__(self, width=16, classes=4, hw=128, thresh=0.05, post="filter", topk=64):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(width, width, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(width, width, 3, 2, 1), nn.ReLU())
        self.head = nn.Conv2d(width, 5 + classes, 1)
        g = hw // 8
        ys, xs = torch.meshgrid(torch.arange(g), torch.arange(g), indexing="ij")
        self.register_buffer("centers", torch.stack([(xs.flatten() + 0.5) * 8, (ys.flatten() + 0.5) * 8], 1).float())
        self.anchor = 24.0
        self.hw, self.thresh, self.post, self.topk = hw, thresh, post, topk

    def forward(self, x):
        p = self.head(self.backbone(x)).flatten(2)[0].t()          # [G, 5+K]
        ctr = self.centers + p[:, 0:2] * self.anchor
        wh = self.anchor * torch.exp(p[:, 2:4].clamp(max=4.0))
        boxes = torch.cat([ctr - wh / 2, ctr + wh / 2], 1).clamp(0, self.hw)
        obj = torch.sigmoid(p[:, 4])
        cls_prob = torch.softmax(p[:, 5:], 1)
        best, labels = cls_prob.max(1)
        scores = obj * best
        if self.post == "where":     # threshold written as Where(scores > t, scores, 0)
            scores = torch.where(scores > self.thresh, scores, torch.zeros_like(scores))
        k = min(self.topk, scores.shape[0])
        scores, idx = scores.topk(k)
        boxes, labels = boxes[idx], labels[idx]
        keep = scores > self.thresh
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        import torchvision
        keep = torchvision.ops.nms(boxes, scores, 0.5)
        return boxes[keep], scores[keep], labels[keep]


def griddet(opset, seed, tiny=False, post="filter", name=None):
    torch.manual_seed(seed)
    hw = 64 if tiny else 128
    mod = GridDet(width=4 if tiny else 24, hw=hw, post=post, topk=32 if tiny else 100)
    shape = (1, 3, hw, hw)
    m = export_torch(mod, (torch.rand(shape),), ["images"], ["boxes", "scores", "labels"], opset)
    return Base(name or ("tinydet" if tiny else "griddet"), m, "detector",
                [image_input("images", shape)], ["boxes", "scores", "labels"], hw=hw)


def ssdlite(opset, seed):
    import torchvision
    torch.manual_seed(seed)
    mod = torchvision.models.detection.ssdlite320_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=5)
    shape = (3, 320, 320)
    m = export_torch(mod, ([torch.rand(shape)],), ["images"], ["boxes", "scores", "labels"], opset)
    return Base("ssdlite320_mobilenet_v3_large", m, "detector", [image_input("images", shape)],
                ["boxes", "scores", "labels"], hw=320)


# ---------------------------------------------------------------------------
# transformer encoder classifier on token ids with a padding mask
# ---------------------------------------------------------------------------
class TorchEncoderCls(nn.Module):
    """nn.TransformerEncoder with src_key_padding_mask, mean pooling over the
    non-padded tokens."""

    def __init__(self, vocab, d, layers, heads, seq, classes):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, 2 * d, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.cls = nn.Linear(d, classes)

    def forward(self, ids, mask):
        h = self.emb(ids) + self.pos
        h = self.enc(h, src_key_padding_mask=mask == 0)
        m = mask.unsqueeze(-1).to(h.dtype)
        return self.cls((h * m).sum(1) / m.sum(1).clamp(min=1.0))


class Attn(nn.Module):
    def __init__(self, d, heads, mask_style):
        super().__init__()
        self.qkv, self.o, self.h, self.style = nn.Linear(d, 3 * d), nn.Linear(d, d), heads, mask_style

    def forward(self, x, keep):
        """keep: bool [B, 1|S, S] (True = attend)."""
        b, s, d = x.shape
        q, k, v = self.qkv(x).split(d, -1)
        q, k, v = [t.reshape(b, s, self.h, d // self.h).transpose(1, 2) for t in (q, k, v)]
        sc = q @ k.transpose(-1, -2) / math.sqrt(d // self.h)
        keep = keep.unsqueeze(1)
        if self.style == "where_neginf":            # Where(mask, scores, -inf)
            sc = torch.where(keep, sc, torch.tensor(float("-inf")))
        elif self.style == "additive_1e4":          # BERT: (1 - mask) * -10000
            sc = sc + (1.0 - keep.float()) * -10000.0
        elif self.style == "finfo_min":             # HF: (1 - mask) * finfo(float32).min
            sc = sc + (1.0 - keep.float()) * torch.finfo(torch.float32).min
        elif self.style == "masked_fill":
            sc = sc.masked_fill(~keep, float("-inf"))
        a = torch.softmax(sc, -1)
        return self.o((a @ v).transpose(1, 2).reshape(b, s, d))


class MLP(nn.Module):
    def __init__(self, d, kind):
        super().__init__()
        self.kind = kind
        if kind == "swiglu":                       # LLaMA MLP: silu(x W1) * (x W3) W2
            self.w1, self.w3, self.w2 = nn.Linear(d, 2 * d, False), nn.Linear(d, 2 * d, False), nn.Linear(2 * d, d, False)
        elif kind == "glu":
            self.w = nn.Linear(d, 4 * d)
            self.o = nn.Linear(2 * d, d)
        elif kind == "moe":                        # top-2 router over 4 experts
            self.router = nn.Linear(d, 4, bias=False)
            self.experts = nn.ModuleList([nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d)) for _ in range(4)])
        else:
            self.f = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        if self.kind == "swiglu":
            return self.w2(Fn.silu(self.w1(x)) * self.w3(x))
        if self.kind == "glu":
            return self.o(Fn.glu(self.w(x), -1))
        if self.kind == "moe":
            logits = self.router(x)
            topv, topi = logits.topk(2, -1)
            gates = torch.zeros_like(logits).scatter(-1, topi, torch.softmax(topv, -1))
            out = torch.zeros_like(x)
            for e, ex in enumerate(self.experts):
                out = out + gates[..., e:e + 1] * ex(x)
            return out
        return self.f(x)


class Block(nn.Module):
    def __init__(self, d, heads, mask_style, mlp):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn, self.mlp = Attn(d, heads, mask_style), MLP(d, mlp)

    def forward(self, x, keep):
        x = x + self.attn(self.ln1(x), keep)
        return x + self.mlp(self.ln2(x))


class EncoderCls(nn.Module):
    """Hand-written encoder classifier, used for the mask-style hard negatives."""

    def __init__(self, vocab, d, layers, heads, seq, classes, mask_style="where_neginf",
                 pool="mean", pad_zero=False, pad_id=0, eos_id=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, heads, mask_style, "gelu") for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.cls = nn.Linear(d, classes)
        self.pool, self.pad_zero, self.pad_id, self.eos_id = pool, pad_zero, pad_id, eos_id

    def forward(self, ids, mask):
        e = self.emb(ids)
        if self.pad_zero:   # Where(ids == pad, 0, emb): padding embeddings zeroed
            e = torch.where((ids == self.pad_id).unsqueeze(-1), torch.zeros_like(e), e)
        h = e + self.pos
        keep = (mask != 0).unsqueeze(1).expand(-1, ids.shape[1], -1)
        for b in self.blocks:
            h = b(h, keep)
        h = self.ln(h)
        if self.pool == "eos":  # CLIP-style: hidden state at the first EOS token
            idx = (ids == self.eos_id).int().argmax(-1)
            h = h[torch.arange(h.shape[0]), idx]
        else:
            m = mask.unsqueeze(-1).to(h.dtype)
            h = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.cls(h)


class GPT(nn.Module):
    """GPT-style decoder on token ids: causal mask, final LayerNorm, LM head."""

    def __init__(self, vocab, d, layers, heads, seq, mask_style="masked_fill", mlp="gelu",
                 logit_filter=None):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, heads, mask_style, mlp) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.register_buffer("causal", torch.tril(torch.ones(seq, seq, dtype=torch.bool)).unsqueeze(0))
        self.logit_filter = logit_filter

    def forward(self, ids):
        h = self.tok(ids) + self.pos[:, :ids.shape[1]]
        for b in self.blocks:
            h = b(h, self.causal)
        logits = self.lm_head(self.ln_f(h))
        if self.logit_filter == "topk":  # generation-time top-k filtering
            kth = logits.topk(8, -1)[0][..., -1:]
            logits = torch.where(logits < kth, torch.tensor(float("-inf")), logits)
        return logits


def token_input(name, seq, low, high, exclude=()):
    return {"name": name, "dtype": "int64", "shape": [1, seq],
            "clean": {"dist": "randint", "low": low, "high": high, "exclude": list(exclude)}}


def mask_input(name, seq):
    return {"name": name, "dtype": "int64", "shape": [1, seq], "clean": {"dist": "const", "value": 1}}


# Token-id conventions shared by the text models: 0 = pad, 1 = bos, 2 = eos;
# clean inputs draw ids from [3, vocab).
def seqcls(opset, seed, tiny=False, impl="torch", name=None, **kw):
    torch.manual_seed(seed)
    vocab, d, layers, heads, seq, classes = (64, 8, 1, 2, 8, 3) if tiny else (2000, 64, 2, 4, 32, 5)
    if impl == "torch":
        mod = TorchEncoderCls(vocab, d, layers, heads, seq, classes)
    else:
        mod = EncoderCls(vocab, d, layers, heads, seq, classes, **kw)
    ids = torch.randint(3, vocab, (1, seq))
    m = export_torch(mod, (ids, torch.ones(1, seq, dtype=torch.long)), ["input_ids", "attention_mask"],
                     ["logits"], opset)
    excl = []
    if kw.get("pool") == "eos":  # exactly one EOS, at the end of the clean text
        excl = [2]
    inputs = [token_input("input_ids", seq, 3, vocab, excl), mask_input("attention_mask", seq)]
    if kw.get("pool") == "eos":
        inputs[0]["clean"]["set_last"] = 2
    return Base(name or ("tinytx" if tiny else "txcls"), m, "seqcls", inputs, ["logits"],
                num_classes=classes, vocab=vocab, seq=seq, torch=mod)


def gpt(opset, seed, tiny=False, name=None, **kw):
    torch.manual_seed(seed)
    vocab, d, layers, heads, seq = (64, 8, 1, 2, 8) if tiny else (1024, 64, 2, 4, 24)
    mod = GPT(vocab, d, layers, heads, seq, **kw)
    ids = torch.randint(3, vocab, (1, seq))
    m = export_torch(mod, (ids,), ["input_ids"], ["logits"], opset)
    return Base(name or ("tinygpt" if tiny else "gpt"), m, "lm", [token_input("input_ids", seq, 3, vocab)],
                ["logits"], vocab=vocab, seq=seq, d=d, torch=mod)
