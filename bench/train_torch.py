"""
PyTorch side of bench/gpu.sh: the bench's LoRA training step (query+value rank 8, regression head, MSE,
clip 1.0, AdamW; random weights of the given shape) in eager fp32 on CUDA or the CPU, one JSON line per case.
The encoder is scripts/torch_reference.py's (the one the browser engine is checked against). TF32 is off, so
a CUDA row is true fp32 like WebGPU's shaders. On CUDA the row also carries the peak allocated bytes.

Usage: /usr/bin/python3 bench/train_torch.py --device cuda --cases roberta-base-shape,roberta-large-shape \
           --batch 8 --seq 64 --steps 5
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from torch_reference import encoder  # noqa: E402

SHAPES = {  # the same shapes as src/core/diagnostics/bench.ts BENCH_SHAPES
    "tiny": dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512),
    "roberta-base-shape": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    "roberta-large-shape": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
}
H_BY_H = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]


def random_weights(cfg, dev):
    H, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    r = lambda *s: torch.randn(*s, device=dev) * 0.02  # noqa: E731
    w = {"embeddings.word_embeddings.weight": r(50265, H), "embeddings.position_embeddings.weight": r(514, H),
         "embeddings.token_type_embeddings.weight": r(1, H), "embeddings.LayerNorm.weight": torch.ones(H, device=dev),
         "embeddings.LayerNorm.bias": torch.zeros(H, device=dev)}
    for l in range(L):
        p = f"encoder.layer.{l}."
        for t in H_BY_H:
            w[p + t + ".weight"], w[p + t + ".bias"] = r(H, H), r(H)
        w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"] = r(I, H), r(I)
        w[p + "output.dense.weight"], w[p + "output.dense.bias"] = r(H, I), r(H)
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"]:
            w[p + ln + ".weight"], w[p + ln + ".bias"] = torch.ones(H, device=dev), torch.zeros(H, device=dev)
    return w


def bench_case(name, dev, batch, seq, steps):
    cfg = dict(vocab_size=50265, max_position_embeddings=514, layer_norm_eps=1e-5, pad_token_id=1, **SHAPES[name])
    H, L, rank = cfg["hidden_size"], cfg["num_hidden_layers"], 8
    w = random_weights(cfg, dev)
    params, lora = [], {}
    for l in range(L):
        for t in ["attention.self.query", "attention.self.value"]:
            A = ((torch.rand(rank, H, device=dev) * 2 - 1) / math.sqrt(H)).requires_grad_(True)
            Bm = torch.zeros(H, rank, device=dev, requires_grad=True)
            params += [A, Bm]
            lora[(l, t)] = (A, Bm, 16 / rank)
    W1 = (torch.randn(128, H, device=dev) / math.sqrt(H)).requires_grad_(True)
    b1 = torch.zeros(128, device=dev, requires_grad=True)
    W2 = (torch.randn(1, 128, device=dev) / math.sqrt(128)).requires_grad_(True)
    b2 = torch.zeros(1, device=dev, requires_grad=True)
    params += [W1, b1, W2, b2]
    opt = torch.optim.AdamW(params, lr=1e-4)
    ids = torch.randint(3, 50265, (batch, seq), device=dev)
    ids[:, 0], ids[:, -1] = 0, 2
    mask = torch.ones(batch, seq, dtype=torch.long, device=dev)
    y = torch.rand(batch, device=dev) * 2 - 1

    def step():
        opt.zero_grad()
        h = encoder(w, cfg, ids, mask, lora)
        loss = F.mse_loss((torch.sigmoid(h @ W1.T + b1) @ W2.T + b2).reshape(-1), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    step()  # warm-up (kernel selection, allocator)
    sync()
    if dev == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    dt = (time.perf_counter() - t0) / steps
    row = {"case": name, "backend": f"torch-{dev}", "batch": batch, "seqLen": seq, "tokensPerSec": round(batch * seq / dt, 1),
           "msPerStep": round(dt * 1000, 1), "steps": steps, "torch": torch.__version__}
    if dev == "cuda":
        row["peakBytes"] = torch.cuda.max_memory_allocated()
        row["gpu"] = torch.cuda.get_device_name()
    else:
        row["threads"] = torch.get_num_threads()
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--cases", default="roberta-base-shape,roberta-large-shape")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("train_torch.py: --device cuda but PyTorch sees no CUDA GPU (torch.cuda.is_available() is False).")
    unknown = [c for c in a.cases.split(",") if c not in SHAPES]
    if unknown:
        sys.exit(f"train_torch.py: unknown case {', '.join(unknown)} (known: {', '.join(SHAPES)}).")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    for name in a.cases.split(","):
        print(json.dumps(bench_case(name, a.device, a.batch, a.seq, a.steps)), flush=True)


if __name__ == "__main__":
    main()
