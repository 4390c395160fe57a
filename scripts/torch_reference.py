"""
Independent PyTorch reference for Rank Lab's training engine (model, LoRA, heads, losses and optimizer).

Implements RoBERTa (HF RobertaModel semantics: padding-offset positions, post-LN, exact GELU, additive mask,
inverted dropout on embeddings, attention probabilities and hidden states), per-layer LoRA (PEFT scaling,
rsLoRA α/√r, dropout on the LoRA input), the two heads (HF classifier dropout), the multitask loss (constant
or DAO-adaptive task weights with class weights and the minority penalty), AdamW + warm-up/cosine +
clip_grad_norm_ directly in torch, in float64, reading model.safetensors by its documented format (8-byte LE
header length, JSON header, raw LE data) with struct/json/numpy only. Training mode: every dropout mask is
drawn from a seeded torch.Generator and written to the fixture, so the engine replays the same masks.
Writes tests/fixtures/reference/tiny-lora.json, which the Vitest check (cpu) and the browser e2e (webgpu,
wasm) compare against; a unit test re-runs this script into a temporary folder and requires the same bytes.

Usage: /usr/bin/python3 scripts/torch_reference.py              # regenerate the fixture
       /usr/bin/python3 scripts/torch_reference.py --out DIR    # write it into DIR instead
       /usr/bin/python3 scripts/torch_reference.py --bench      # one JSON line per bench case (torch-cpu)
"""
import base64
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
TARGETS = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"]


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


class Masks:
    """
    Dropout masks of one training step, drawn from a seeded torch.Generator in the order the engine applies
    dropout (embeddings, then per layer: LoRA inputs of query/key/value, attention probabilities, LoRA input
    of attention.output.dense, hidden, LoRA inputs of intermediate.dense and output.dense, hidden; then the
    classification head's two sites). Each site's keep-mask is recorded (packed bits) so the engine can
    apply exactly the same masks. In the last layer the engine computes the `<s>` query row only; `first`
    records that row of a full-shape mask (the other rows do not reach the `<s>` output).
    """

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.sites = []
        self.bits = []

    def __call__(self, x, rate, first=None):
        if rate <= 0:
            return x
        keep = torch.rand(x.shape, generator=self.gen, dtype=torch.float64) >= rate
        rec = keep if first is None else keep.narrow(first, 0, 1)
        self.sites.append([rate, int(rec.numel())])
        self.bits.append(rec.reshape(-1).numpy())
        return x * keep.to(x.dtype) / (1.0 - rate)

    def packed(self):
        bits = np.concatenate(self.bits).astype(np.uint8)
        return base64.b64encode(np.packbits(bits, bitorder="little").tobytes()).decode("ascii")


def no_dropout(x, rate, first=None):
    return x


def encoder(w, cfg, ids, attn_mask, lora, drop=no_dropout, lora_p=0.0):
    """Returns the <s> hidden state [B, H]. lora: {(layer, target): (A, B, scale)}; drop: dropout (Masks)."""
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    dh = H // nh
    eps = cfg["layer_norm_eps"]
    pad = cfg["pad_token_id"]
    p_hid, p_att = cfg.get("hidden_dropout_prob", 0.0), cfg.get("attention_probs_dropout_prob", 0.0)
    Bsz, S = ids.shape
    L = cfg["num_hidden_layers"]
    x = w["embeddings.word_embeddings.weight"][ids]
    x = x + w["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
    x = x + w["embeddings.position_embeddings.weight"][position_ids(ids, pad)]
    x = F.layer_norm(x, (H,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    x = drop(x, p_hid)
    ext = (1.0 - attn_mask[:, None, None, :].to(x.dtype)) * torch.finfo(torch.float32).min

    for l in range(L):
        last = 1 if l == L - 1 else None

        def lin(t, v, first=last):
            # PEFT LoRA: base(x) + scale · B A dropout(x)
            p = f"encoder.layer.{l}.{t}"
            y = v @ w[p + ".weight"].T + w[p + ".bias"]
            if (l, t) in lora:
                A, Bm, s = lora[(l, t)]
                y = y + s * ((drop(v, lora_p, first) @ A.T) @ Bm.T)
            return y

        def heads(t):
            return t.view(Bsz, S, nh, dh).permute(0, 2, 1, 3)

        q = heads(lin("attention.self.query", x))
        k = heads(lin("attention.self.key", x, None))
        v = heads(lin("attention.self.value", x, None))
        sc = (q @ k.transpose(-1, -2)) / math.sqrt(dh) + ext
        pr = drop(torch.softmax(sc, dim=-1), p_att, 2 if last else None)
        ctx = (pr @ v).permute(0, 2, 1, 3).reshape(Bsz, S, H)
        p = f"encoder.layer.{l}."
        a = drop(lin("attention.output.dense", ctx), p_hid, last)
        x1 = F.layer_norm(a + x, (H,), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        i = F.gelu(lin("intermediate.dense", x1))
        o = drop(lin("output.dense", i), p_hid, last)
        x = F.layer_norm(o + x1, (H,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x[:, 0, :]


def regression_head(hp, h):
    z = torch.sigmoid(h @ hp["regression.dense.weight"].T + hp["regression.dense.bias"])
    return (z @ hp["regression.out.weight"].T + hp["regression.out.bias"]).reshape(-1)


def classification_head(hp, h, drop=no_dropout, p=0.0):
    # HF RobertaClassificationHead: dropout → dense → tanh → dropout → out_proj
    zc = torch.tanh(drop(h, p) @ hp["classification.dense.weight"].T + hp["classification.dense.bias"])
    return drop(zc, p) @ hp["classification.out.weight"].T + hp["classification.out.bias"]


def head_forward(hp, h):
    return regression_head(hp, h), classification_head(hp, h)


def cosine_lambda(step, warmup, total):
    # transformers get_cosine_schedule_with_warmup, num_cycles=0.5
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))


def class_weights(labels, K, lo=0.2, hi=5.0):
    """Inverse class frequency, n / (present · count), clipped; absent classes 1 (the engine's rule)."""
    counts = np.bincount(labels, minlength=K)
    present = int((counts > 0).sum())
    return [min(hi, max(lo, len(labels) / (present * c))) if c > 0 else 1.0 for c in counts]


def minority_mask(labels, K):
    counts = np.bincount(labels, minlength=K)
    return [1.0 if c > 0 and c / len(labels) < 1 / (2 * K) else 0.0 for c in counts]


def b64f32(a):
    """Float32 values, little-endian, base64: what the engine loads (initial values) or compares with."""
    return base64.b64encode(np.ascontiguousarray(np.asarray(a.detach() if hasattr(a, "detach") else a, dtype="<f4").reshape(-1)).tobytes()).decode("ascii")


def f64(a):
    """Small reference results (computed in float64), 10 significant digits."""
    return [float("%.10g" % v) for v in np.asarray(a.detach() if hasattr(a, "detach") else a, dtype=np.float64).reshape(-1)]


# Two cases through the training step in training mode (dropout on, same masks as the engine), LoRA on all
# six linear layers with a different scale per layer (and a rank-0 layer), weight decay that moves the
# parameters measurably, clipping active on some steps, warm-up + cosine.
CASES = [
    dict(name="constant", rslora=False, mode="constant", ranks=[2, 4, 0, 8], alphas=[4.0, 12.0, 6.0, 20.0], lora_dropout=0.2,
         lr=1e-2, weight_decay=0.5, max_grad_norm=0.3, seed=11),
    dict(name="adaptive", rslora=True, mode="adaptive", ranks=[4, 0, 2, 8], alphas=[6.0, 6.0, 3.0, 16.0], lora_dropout=0.15,
         lr=1e-2, weight_decay=0.5, max_grad_norm=0.3, seed=12),
]


def make_case(spec, cfg, w):
    H, I, K = cfg["hidden_size"], cfg["intermediate_size"], 5
    pad = cfg["pad_token_id"]
    rng = np.random.default_rng(spec["seed"])
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
    # Labels of the (notional) training split the class weights and minority classes come from.
    train_labels = [1] * 8 + [2] * 6 + [3] * 5 + [4] * 3 + [0] * 1
    ranks, alphas, rs = spec["ranks"], spec["alphas"], spec["rslora"]
    shapes = {"attention.self.query": (H, H), "attention.self.key": (H, H), "attention.self.value": (H, H),
              "attention.output.dense": (H, H), "intermediate.dense": (I, H), "output.dense": (H, I)}

    # Fixed initial values (B non-zero so gradients reach A), float32-exact in JSON.
    init_lora = {}
    for l, r in enumerate(ranks):
        if r == 0:
            continue
        for t in TARGETS:
            out_f, in_f = shapes[t]
            A = rng.uniform(-1, 1, size=(r, in_f)) / math.sqrt(in_f)
            Bm = rng.normal(0, 0.02, size=(out_f, r))
            init_lora[f"{l}.{t}"] = {"A": {"shape": [r, in_f], "data": b64f32(A)}, "B": {"shape": [out_f, r], "data": b64f32(Bm)}}
    head_shapes = {
        "regression.dense": (128, H), "regression.out": (1, 128),
        "classification.dense": (128, H), "classification.out": (K, 128),
    }
    init_heads = {}
    for p, (o, i) in head_shapes.items():
        bound = 1 / math.sqrt(i)
        init_heads[p + ".weight"] = {"shape": [o, i], "data": b64f32(rng.uniform(-bound, bound, size=(o, i)))}
        init_heads[p + ".bias"] = {"shape": [o], "data": b64f32(rng.uniform(-bound, bound, size=(o,)))}

    def tensor_of(e):
        # The float32 values the engine loads, computed with in float64.
        v = np.frombuffer(base64.b64decode(e["data"]), dtype="<f4").astype(np.float64)
        return torch.tensor(v.reshape(e["shape"]), requires_grad=True)

    params = {}
    for k, v in init_lora.items():
        params[f"lora.{k}.A"] = tensor_of(v["A"])
        params[f"lora.{k}.B"] = tensor_of(v["B"])
    for k, v in init_heads.items():
        params[f"heads.{k}"] = tensor_of(v)
    init = {k: p.detach().clone() for k, p in params.items()}

    def lora_map():
        m = {}
        for l, r in enumerate(ranks):
            if r == 0:
                continue
            scale = alphas[l] / math.sqrt(r) if rs else alphas[l] / r  # rsLoRA: alpha / √r
            for t in TARGETS:
                m[(l, t)] = (params[f"lora.{l}.{t}.A"], params[f"lora.{l}.{t}.B"], scale)
        return m

    hp = {k[len("heads.") :]: v for k, v in params.items() if k.startswith("heads.")}
    y = torch.tensor(scores, dtype=torch.float64)
    yc = torch.tensor(labels)
    adaptive = spec["mode"] == "adaptive"
    reg_w, cls_w, smoothing, lam = 0.75, 0.25, 0.9, 0.1
    cw = class_weights(train_labels, K)
    mm = minority_mask(train_labels, K)
    cw_t, mm_t = torch.tensor(cw, dtype=torch.float64), torch.tensor(mm, dtype=torch.float64)
    p_heads = cfg["hidden_dropout_prob"]

    def step_masks(step):
        return Masks(spec["seed"] * 1000 + step)

    def losses(drop, prev_ema):
        """Training-mode forward with `drop`; returns features, outputs, losses, task weights, new EMA."""
        h = encoder(w, cfg, ids, mask, lora_map(), drop, spec["lora_dropout"])
        score = regression_head(hp, h)
        logits = classification_head(hp, h, drop, p_heads)
        l_reg = F.mse_loss(score, y)
        if not adaptive:
            l_cls = F.cross_entropy(logits, yc)
            return h, score, logits, l_reg, l_cls, reg_w * l_reg + cls_w * l_cls, [reg_w, cls_w], None
        # DAO: class-weighted CE + minority penalty; task weights ∝ 1 / EMA of ‖∂L_t/∂h‖, held constant.
        p_true = torch.softmax(logits, -1)[torch.arange(len(labels)), yc]
        l_cls = F.cross_entropy(logits, yc, weight=cw_t) + lam * (mm_t[yc] * (1 - p_true)).mean()
        g_reg = torch.autograd.grad(l_reg, h, retain_graph=True)[0]
        g_cls = torch.autograd.grad(l_cls, h, retain_graph=True)[0]
        norms = torch.stack([g_reg.norm(), g_cls.norm()]).detach()
        ema = norms if prev_ema is None else smoothing * prev_ema + (1 - smoothing) * norms
        inv = 1.0 / (ema + 1e-8)
        tw = inv / inv.sum()
        return h, score, logits, l_reg, l_cls, tw[0] * l_reg + tw[1] * l_cls, [float(tw[0]), float(tw[1])], ema

    m0 = step_masks(0)
    h, score, logits, l_reg, l_cls, loss, tw0, _ = losses(m0, None)
    loss.backward()
    grads = {k: b64f32(p.grad) for k, p in params.items()}
    sites = m0.sites

    o = {"lr": spec["lr"], "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": spec["weight_decay"], "warmupSteps": 2, "totalSteps": 5,
         "maxGradNorm": spec["max_grad_norm"]}
    for p in params.values():
        p.grad = None
    opt = torch.optim.AdamW(list(params.values()), lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weightDecay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_lambda(s, o["warmupSteps"], o["totalSteps"]))
    rec = {k: [] for k in ["stepLosses", "stepRegLosses", "stepClsLosses", "stepTaskWeights", "stepLrs", "gradNorms"]}
    masks, ema = [], None
    for step in range(o["totalSteps"]):
        opt.zero_grad()
        ms = step_masks(step)
        *_, lr_, lc_, L, tw, ema = losses(ms, ema)
        assert ms.sites == sites
        masks.append(ms.packed())
        L.backward()
        gn = torch.nn.utils.clip_grad_norm_(list(params.values()), o["maxGradNorm"])
        rec["stepLrs"].append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        rec["stepLosses"].append(float(L))
        rec["stepRegLosses"].append(float(lr_))
        rec["stepClsLosses"].append(float(lc_))
        rec["stepTaskWeights"].append(tw)
        rec["gradNorms"].append(float(gn))
    changes = {k: b64f32(p.detach() - init[k]) for k, p in params.items()}

    return {
        "name": spec["name"],
        "rows": rows,
        "scores": scores,
        "labels": labels,
        "trainLabels": train_labels,
        "numClasses": K,
        "lora": {"targets": TARGETS, "ranks": ranks, "alphas": alphas, "rslora": rs, "dropout": spec["lora_dropout"]},
        "objective": {"mode": spec["mode"], "regWeight": reg_w, "clsWeight": cls_w, "smoothing": smoothing, "minorityLambda": lam,
                 "classWeights": cw if adaptive else None, "minorityMask": mm if adaptive else None},
        "dropout": {"hidden": cfg["hidden_dropout_prob"], "attention": cfg["attention_probs_dropout_prob"], "heads": p_heads,
                    "lora": spec["lora_dropout"], "sites": sites, "masks": masks},
        "optimizer": o,
        "initLora": init_lora,
        "initHeads": init_heads,
        "features": f64(h),
        "score": f64(score),
        "logits": f64(logits),
        "regLoss": float(l_reg),
        "clsLoss": float(l_cls),
        "loss": float(loss),
        "taskWeights": tw0,
        "grads": grads,
        **rec,
        "paramChanges": changes,
    }


def make_fixture(out_dir=OUT_DIR):
    # One thread: the float64 sums (and so every written digit) do not depend on the machine's core count.
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(TINY, "config.json")))
    # The reference runs in float64 from the fp32 weights: the "truth" the fp32 engine is compared with,
    # so the tolerance measures only the engine's rounding (torch fp32 itself deviates ~1e-4 on tiny gradients).
    w = {k: v.double() for k, v in strip_prefix(read_safetensors(os.path.join(TINY, "model.safetensors"))).items()}
    fixture = {
        "description": "Generated by scripts/torch_reference.py (torch %s, computed in float64) from public/models/tiny-roberta/model.safetensors; do not edit." % torch.__version__.split("a")[0].split("+")[0],
        "model": "public/models/tiny-roberta",
        "cases": [make_case(spec, cfg, w) for spec in CASES],
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "tiny-lora.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    for c in fixture["cases"]:
        print(f"{c['name']}: loss {c['loss']:.6f}, grad norms {[round(g, 4) for g in c['gradNorms']]}, lrs {c['stepLrs']}, task weights {c['stepTaskWeights'][-1]}")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


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
    elif "--out" in sys.argv:
        make_fixture(sys.argv[sys.argv.index("--out") + 1])
    else:
        make_fixture()
