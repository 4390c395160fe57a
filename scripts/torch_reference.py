"""
Independent PyTorch reference for Rank Lab's training engine (SPEC §3).

Implements RoBERTa (HF RobertaModel semantics: padding-offset positions, post-LN, exact GELU, additive mask),
per-layer LoRA (PEFT scaling), the two heads, the multitask loss, AdamW + warm-up/cosine + clip_grad_norm_
directly in torch, reading model.safetensors by its documented format (8-byte LE header length, JSON header,
raw LE data) with struct/json/numpy only. Writes tests/fixtures/reference/*.json that the Vitest test (and
the browser e2e on webgpu) compare against.

Usage: /usr/bin/python3 scripts/torch_reference.py            # regenerate fixtures
       /usr/bin/python3 scripts/torch_reference.py --bench    # one JSON line per bench case (torch-cpu)
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(ROOT, "public", "models", "tiny-roberta")
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "reference")
TARGETS = ["attention.self.query", "attention.self.value", "intermediate.dense"]


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = buf[base + b : base + end]
        if e["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif e["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif e["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{name}: unsupported dtype {e['dtype']}")
        out[name] = torch.from_numpy(arr.reshape(e["shape"]).copy())
    return out


def strip_prefix(w):
    return {(k[len("roberta.") :] if k.startswith("roberta.") else k): v for k, v in w.items()}


def position_ids(ids, pad):
    # HF create_position_ids_from_input_ids
    mask = (ids != pad).int()
    return (torch.cumsum(mask, dim=1) * mask).long() + pad


def encoder(w, cfg, ids, attn_mask, lora):
    """Returns the <s> hidden state [B, H]. lora: {(layer, target): (A, B, scale)}."""
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    dh = H // nh
    eps = cfg["layer_norm_eps"]
    pad = cfg["pad_token_id"]
    Bsz, S = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids]
    x = x + w["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
    x = x + w["embeddings.position_embeddings.weight"][position_ids(ids, pad)]
    x = F.layer_norm(x, (H,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    ext = (1.0 - attn_mask[:, None, None, :].to(x.dtype)) * torch.finfo(torch.float32).min

    def lin(l, t, v):
        p = f"encoder.layer.{l}.{t}"
        y = v @ w[p + ".weight"].T + w[p + ".bias"]
        if (l, t) in lora:
            A, Bm, s = lora[(l, t)]
            y = y + s * ((v @ A.T) @ Bm.T)
        return y

    for l in range(cfg["num_hidden_layers"]):
        def heads(t):
            return t.view(Bsz, S, nh, dh).permute(0, 2, 1, 3)

        q = heads(lin(l, "attention.self.query", x))
        k = heads(lin(l, "attention.self.key", x))
        v = heads(lin(l, "attention.self.value", x))
        sc = (q @ k.transpose(-1, -2)) / math.sqrt(dh) + ext
        pr = torch.softmax(sc, dim=-1)
        ctx = (pr @ v).permute(0, 2, 1, 3).reshape(Bsz, S, H)
        p = f"encoder.layer.{l}."
        a = lin(l, "attention.output.dense", ctx)
        x1 = F.layer_norm(a + x, (H,), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        i = F.gelu(lin(l, "intermediate.dense", x1))
        o = lin(l, "output.dense", i)
        x = F.layer_norm(o + x1, (H,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x[:, 0, :]


def head_forward(hp, h):
    z = torch.sigmoid(h @ hp["regression.dense.weight"].T + hp["regression.dense.bias"])
    score = (z @ hp["regression.out.weight"].T + hp["regression.out.bias"]).reshape(-1)
    zc = torch.tanh(h @ hp["classification.dense.weight"].T + hp["classification.dense.bias"])
    logits = zc @ hp["classification.out.weight"].T + hp["classification.out.bias"]
    return score, logits


def cosine_lambda(step, warmup, total):
    # transformers get_cosine_schedule_with_warmup, num_cycles=0.5
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))


def f32(a):
    """Float32 values written with 9 significant digits: exact float32 round trip."""
    return [float("%.9g" % v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def f64(a):
    """Reference results (computed in float64), 10 significant digits."""
    return [float("%.10g" % v) for v in np.asarray(a.detach() if hasattr(a, "detach") else a, dtype=np.float64).reshape(-1)]


def make_fixture():
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(TINY, "config.json")))
    # The reference runs in float64 from the fp32 weights: the "truth" the fp32 engine is compared with,
    # so the tolerance measures only the engine's rounding (torch fp32 itself deviates ~1e-4 on tiny gradients).
    w = {k: v.double() for k, v in strip_prefix(read_safetensors(os.path.join(TINY, "model.safetensors"))).items()}
    H, I, K = cfg["hidden_size"], cfg["intermediate_size"], 5
    pad = cfg["pad_token_id"]
    rng = np.random.default_rng(7)
    lengths = [12, 7, 9, 5]
    rows = []
    for n in lengths:
        body = rng.integers(3, cfg["vocab_size"], size=n - 2).tolist()
        rows.append([0] + body + [2])
    S = max(lengths)
    ids = torch.full((len(rows), S), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), S), dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, : len(r)] = torch.tensor(r)
        mask[b, : len(r)] = 1
    scores = [0.62, -0.31, 0.02, -0.77]
    labels = [4, 1, 2, 0]
    ranks = [0, 4, 8, 16]
    alphas = [8.0, 8.0, 16.0, 32.0]
    shapes = {"attention.self.query": (H, H), "attention.self.value": (H, H), "intermediate.dense": (I, H)}

    # Fixed initial values (B non-zero so gradients reach A), float32-exact in JSON.
    init_lora = {}
    for l, r in enumerate(ranks):
        if r == 0:
            continue
        for t in TARGETS:
            out_f, in_f = shapes[t]
            A = (rng.uniform(-1, 1, size=(r, in_f)) / math.sqrt(in_f)).astype(np.float32)
            Bm = (rng.normal(0, 0.02, size=(out_f, r))).astype(np.float32)
            init_lora[f"{l}.{t}"] = {"A": {"shape": [r, in_f], "data": f32(A)}, "B": {"shape": [out_f, r], "data": f32(Bm)}}
    head_shapes = {
        "regression.dense": (128, H), "regression.out": (1, 128),
        "classification.dense": (128, H), "classification.out": (K, 128),
    }
    init_heads = {}
    for p, (o, i) in head_shapes.items():
        bound = 1 / math.sqrt(i)
        init_heads[p + ".weight"] = {"shape": [o, i], "data": f32(rng.uniform(-bound, bound, size=(o, i)))}
        init_heads[p + ".bias"] = {"shape": [o], "data": f32(rng.uniform(-bound, bound, size=(o,)))}

    def tensor_of(e):
        return torch.tensor(np.array(e["data"], dtype=np.float32).astype(np.float64).reshape(e["shape"]), requires_grad=True)

    params = {}
    for k, v in init_lora.items():
        params[f"lora.{k}.A"] = tensor_of(v["A"])
        params[f"lora.{k}.B"] = tensor_of(v["B"])
    for k, v in init_heads.items():
        params[f"heads.{k}"] = tensor_of(v)

    def lora_map():
        m = {}
        for l, r in enumerate(ranks):
            if r == 0:
                continue
            for t in TARGETS:
                m[(l, t)] = (params[f"lora.{l}.{t}.A"], params[f"lora.{l}.{t}.B"], alphas[l] / r)
        return m

    hp = {k[len("heads.") :]: v for k, v in params.items() if k.startswith("heads.")}
    y = torch.tensor(scores, dtype=torch.float64)
    yc = torch.tensor(labels)
    reg_w, cls_w = 0.75, 0.25

    def losses():
        h = encoder(w, cfg, ids, mask, lora_map())
        score, logits = head_forward(hp, h)
        lr_ = F.mse_loss(score, y)
        lc = F.cross_entropy(logits, yc)
        return h, score, logits, lr_, lc, reg_w * lr_ + cls_w * lc

    h, score, logits, l_reg, l_cls, loss = losses()
    loss.backward()
    grads = {k: f64(p.grad) for k, p in params.items()}

    opt_settings = {"lr": 2e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.01, "warmupSteps": 2, "totalSteps": 5, "maxGradNorm": 1.0}
    for p in params.values():
        p.grad = None
    opt = torch.optim.AdamW(list(params.values()), lr=opt_settings["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_lambda(s, opt_settings["warmupSteps"], opt_settings["totalSteps"]))
    step_losses, step_lrs, grad_norms = [], [], []
    for _ in range(opt_settings["totalSteps"]):
        opt.zero_grad()
        *_, L = losses()
        L.backward()
        gn = torch.nn.utils.clip_grad_norm_(list(params.values()), opt_settings["maxGradNorm"])
        step_lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        step_losses.append(float(L))
        grad_norms.append(float(gn))
    after = {k: f64(p) for k, p in params.items()}

    fixture = {
        "description": "Generated by scripts/torch_reference.py (torch %s, computed in float64) from public/models/tiny-roberta/model.safetensors; do not edit." % torch.__version__,
        "model": "public/models/tiny-roberta",
        "rows": rows,
        "scores": scores,
        "labels": labels,
        "numClasses": K,
        "lora": {"targets": TARGETS, "ranks": ranks, "alphas": alphas, "rslora": False, "dropout": 0.0},
        "taskWeights": [reg_w, cls_w],
        "optimizer": opt_settings,
        "initLora": init_lora,
        "initHeads": init_heads,
        "features": f64(h),
        "score": f64(score),
        "logits": f64(logits),
        "regLoss": float(l_reg),
        "clsLoss": float(l_cls),
        "loss": float(loss),
        "grads": grads,
        "stepLosses": step_losses,
        "stepLrs": step_lrs,
        "gradNorms": grad_norms,
        "paramsAfter": after,
    }
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "tiny-lora.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes); loss {float(loss):.6f}")


def bench():
    """Same LoRA step as bench/train.ts: query+value rank 8, regression head, batch 10 × 64, AdamW."""
    cases = [("tiny", dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512)),
             ("roberta-base-shape", dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072))]
    torch.manual_seed(0)
    for name, shp in cases:
        cfg = dict(vocab_size=50265, max_position_embeddings=514, layer_norm_eps=1e-5, pad_token_id=1, **shp)
        H, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
        if name == "tiny":
            w = strip_prefix(read_safetensors(os.path.join(TINY, "model.safetensors")))
        else:
            w = {"embeddings.word_embeddings.weight": torch.randn(50265, H) * 0.02,
                 "embeddings.position_embeddings.weight": torch.randn(514, H) * 0.02,
                 "embeddings.token_type_embeddings.weight": torch.randn(1, H) * 0.02,
                 "embeddings.LayerNorm.weight": torch.ones(H), "embeddings.LayerNorm.bias": torch.zeros(H)}
            for l in range(L):
                p = f"encoder.layer.{l}."
                for t, (o, i) in {"attention.self.query": (H, H), "attention.self.key": (H, H), "attention.self.value": (H, H),
                                  "attention.output.dense": (H, H), "intermediate.dense": (I, H), "output.dense": (H, I)}.items():
                    w[p + t + ".weight"] = torch.randn(o, i) * 0.02
                    w[p + t + ".bias"] = torch.zeros(o)
                for ln in ["attention.output.LayerNorm", "output.LayerNorm"]:
                    w[p + ln + ".weight"] = torch.ones(H)
                    w[p + ln + ".bias"] = torch.zeros(H)
        Bsz, S, r = 10, 64, 8
        params, lora = [], {}
        for l in range(L):
            for t in ["attention.self.query", "attention.self.value"]:
                A = (torch.rand(r, H) * 2 - 1) / math.sqrt(H)
                Bm = torch.zeros(H, r)
                A.requires_grad_(True)
                Bm.requires_grad_(True)
                params += [A, Bm]
                lora[(l, t)] = (A, Bm, 16 / r)
        W1 = torch.randn(128, H, requires_grad=True)
        b1 = torch.zeros(128, requires_grad=True)
        W2 = torch.randn(1, 128, requires_grad=True)
        b2 = torch.zeros(1, requires_grad=True)
        params += [W1, b1, W2, b2]
        opt = torch.optim.AdamW(params, lr=1e-4)
        ids = torch.randint(3, 50265, (Bsz, S))
        ids[:, 0] = 0
        ids[:, -1] = 2
        mask = torch.ones(Bsz, S, dtype=torch.long)
        y = torch.rand(Bsz) * 2 - 1

        def step():
            opt.zero_grad()
            h = encoder(w, cfg, ids, mask, lora)
            score = (torch.sigmoid(h @ W1.T + b1) @ W2.T + b2).reshape(-1)
            loss = F.mse_loss(score, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()

        step()
        n = 3 if name != "tiny" else 10
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        dt = (time.perf_counter() - t0) / n
        print(json.dumps({"case": name, "backend": "torch-cpu", "batch": Bsz, "seqLen": S, "tokensPerSec": round(Bsz * S / dt, 1),
                          "msPerStep": round(dt * 1000, 1), "threads": torch.get_num_threads(), "torch": torch.__version__}))
        sys.stdout.flush()


if __name__ == "__main__":
    if "--bench" in sys.argv:
        bench()
    else:
        make_fixture()
