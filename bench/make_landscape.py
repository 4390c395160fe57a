#!/usr/bin/python3
"""Real rank landscapes of the embedded tiny RoBERTa: LoRA fine-tunes of every rank configuration over a few
layer groups, several training seeds each, written as a replay table for `npm run bench:search` and
`npm run search -- --replay`.

    npx tsx bench/landscapes/tokenize.ts           # the demo data through the app's tokenizer (once)
    /usr/bin/python3 bench/make_landscape.py --groups 3 --ranks 2,4,8,16 --seeds 1,2,3 --epochs 3 \
        --out bench/landscapes/tiny-3g.csv

The training follows the app's "Browser default" settings so the tables describe what a user of the app
would see: LoRA on query and value with alpha 16 whatever the rank (scale 16/r, the app's default), LoRA
dropout 0.05, the model's own hidden/attention dropout (0.1), the regression head (Linear(H→128) → sigmoid →
Linear(128→1)) and the 5-class head (dropout → Linear(H→128) → tanh → dropout → Linear(128→5)) on <s>,
loss 0.75 · MSE + 0.25 · cross-entropy, AdamW (lr 1e-3, weight decay 0.01), clipping at 1, warm-up 6 % then
cosine decay, batch 16, max length 64 (set at tokenization). The 90/10 split is seeded once (--split-seed)
and is the same for every configuration and training seed; a training seed sets the initialisation, the
dropout masks and the batch order. Validation metrics are written after every epoch, so the table has
low-fidelity rows (epochs < --epochs) for multi-fidelity strategies; those are truncated runs of the same
schedule, not shorter schedules.

--train-rows N trains on the first N training rows of the seeded order (the validation rows stay the same),
to fit a grid into a small CPU budget.

Resumable: rows already in --out are kept and their (ranks, seed) skipped. Single-threaded by default
(--threads) so its CPU time is easy to budget.
"""
import argparse
import csv
import hashlib
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
MODEL = os.path.join(ROOT, 'public/models/tiny-roberta')
TARGETS = ('query', 'value')


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == '__metadata__':
            continue
        dt = {'F16': np.float16, 'F32': np.float32}[h['dtype']]
        a, b = h['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dt).astype(np.float32).reshape(h['shape']))
    return out


def contiguous_groups(layers, groups):
    """Same split as the app's contiguousGroups: sizes differ by at most one, earlier groups get the extra."""
    base, extra = divmod(layers, groups)
    out, start = [], 0
    for g in range(groups):
        size = base + (1 if g < extra else 0)
        out.append(range(start, start + size))
        start += size
    return out


class Encoder:
    """Frozen RoBERTa (HF layout, post-LayerNorm, erf GELU) with LoRA on query/value."""

    def __init__(self, cfg, w):
        self.c = cfg
        self.w = w
        self.L = cfg['num_hidden_layers']
        self.H = cfg['hidden_size']
        self.heads = cfg['num_attention_heads']
        self.eps = cfg['layer_norm_eps']
        self.p = cfg['hidden_dropout_prob']
        self.pa = cfg['attention_probs_dropout_prob']

    def forward(self, ids, lora, training):
        w, H, eps = self.w, self.H, self.eps
        pad = self.c['pad_token_id']
        mask = ids != pad
        pos = torch.cumsum(mask.int(), 1) * mask + pad
        e = 'roberta.embeddings.'
        x = w[e + 'word_embeddings.weight'][ids] + w[e + 'position_embeddings.weight'][pos] + w[e + 'token_type_embeddings.weight'][0]
        x = F.dropout(F.layer_norm(x, (H,), w[e + 'LayerNorm.weight'], w[e + 'LayerNorm.bias'], eps), self.p, training)
        bias = torch.zeros(mask.shape).masked_fill(~mask, float('-inf'))[:, None, None, :]
        B, T, _ = x.shape
        h = self.heads
        for i in range(self.L):
            p = f'roberta.encoder.layer.{i}.'
            lin = lambda t, name: F.linear(t, w[p + name + '.weight'], w[p + name + '.bias'])

            def proj(t, target):
                y = lin(t, 'attention.self.' + target)
                ad = lora.get((i, target))
                if ad is not None:
                    A, Bm, scale = ad
                    y = y + scale * F.linear(F.linear(F.dropout(t, 0.05, training), A), Bm)
                return y

            split = lambda t: t.view(B, T, h, H // h).transpose(1, 2)
            q, k, v = split(proj(x, 'query')), split(lin(x, 'attention.self.key')), split(proj(x, 'value'))
            probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // h) + bias, -1)
            a = (F.dropout(probs, self.pa, training) @ v).transpose(1, 2).reshape(B, T, H)
            x = F.layer_norm(x + F.dropout(lin(a, 'attention.output.dense'), self.p, training), (H,),
                             w[p + 'attention.output.LayerNorm.weight'], w[p + 'attention.output.LayerNorm.bias'], eps)
            y = lin(F.gelu(lin(x, 'intermediate.dense')), 'output.dense')
            x = F.layer_norm(x + F.dropout(y, self.p, training), (H,), w[p + 'output.LayerNorm.weight'], w[p + 'output.LayerNorm.bias'], eps)
        return x[:, 0]


def linear_init(out_f, in_f, gen):
    """torch.nn.Linear's default: weight and bias U(±1/√in)."""
    b = 1 / math.sqrt(in_f)
    return ((torch.rand(out_f, in_f, generator=gen) * 2 - 1) * b).requires_grad_(), ((torch.rand(out_f, generator=gen) * 2 - 1) * b).requires_grad_()


def macro_f1(y, p, k):
    f1s = []
    for c in range(k):
        tp = int(((p == c) & (y == c)).sum())
        fp = int(((p == c) & (y != c)).sum())
        fn = int(((p != c) & (y == c)).sum())
        if tp + fp + fn == 0:
            continue  # class absent from both: sklearn's labels=present classes
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s)


def train_one(enc, data, layer_ranks, seed, args):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout masks
    H = enc.H
    lora, params = {}, []
    for i, r in enumerate(layer_ranks):
        if r == 0:
            continue
        for t in TARGETS:
            A = ((torch.rand(r, H, generator=gen) * 2 - 1) / math.sqrt(H)).requires_grad_()  # kaiming_uniform(a=√5)
            Bm = torch.zeros(H, r, requires_grad=True)
            lora[(i, t)] = (A, Bm, args.alpha / r)
            params += [A, Bm]
    rd_w, rd_b = linear_init(128, H, gen)
    ro_w, ro_b = linear_init(1, 128, gen)
    cd_w, cd_b = linear_init(128, H, gen)
    co_w, co_b = linear_init(5, 128, gen)
    params += [rd_w, rd_b, ro_w, ro_b, cd_w, cd_b, co_w, co_b]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    tr_ids, tr_y, tr_c, va_ids, va_y, va_c = data
    n = tr_ids.shape[0]
    steps_per_epoch = math.ceil(n / args.batch)
    total = steps_per_epoch * args.epochs
    warm = math.ceil(0.06 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: s / max(1, warm) if s < warm else max(0.0, 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm)))))
    out = []
    for epoch in range(args.epochs):
        perm = torch.randperm(n, generator=gen)
        for b in range(steps_per_epoch):
            idx = perm[b * args.batch:(b + 1) * args.batch]
            ids = tr_ids[idx]
            ids = ids[:, : int((ids != 1).sum(1).max())]
            h = enc.forward(ids, lora, True)
            score = F.linear(torch.sigmoid(F.linear(h, rd_w, rd_b)), ro_w, ro_b)[:, 0]
            z = torch.tanh(F.linear(F.dropout(h, enc.p, True), cd_w, cd_b))
            logits = F.linear(F.dropout(z, enc.p, True), co_w, co_b)
            loss = 0.75 * F.mse_loss(score, tr_y[idx]) + 0.25 * F.cross_entropy(logits, tr_c[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
        with torch.no_grad():
            h = enc.forward(va_ids, lora, False)
            score = F.linear(torch.sigmoid(F.linear(h, rd_w, rd_b)), ro_w, ro_b)[:, 0]
            pred = F.linear(torch.tanh(F.linear(h, cd_w, cd_b)), co_w, co_b).argmax(1)
            mse = float(((score - va_y) ** 2).mean())
            out.append({'epochs': epoch + 1, 'mse': mse, 'mae': float((score - va_y).abs().mean()),
                        'r2': 1 - mse / float(((va_y - va_y.mean()) ** 2).mean()),
                        'accuracy': float((pred == va_c).float().mean()), 'f1_macro': macro_f1(va_c, pred, 5)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--groups', type=int, default=3)
    ap.add_argument('--ranks', default='2,4,8,16')
    ap.add_argument('--seeds', default='1,2,3')
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--alpha', type=float, default=16)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--split-seed', type=int, default=42)
    ap.add_argument('--tokens', default=os.path.join(ROOT, '.cache/landscapes/semeval-tokens.json'))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--train-rows', type=int, default=0, help='train on a seeded subset of this many training rows (0: all)')
    ap.add_argument('--limit', type=int, default=0, help='train on at most this many configurations (timing)')
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = json.load(open(os.path.join(MODEL, 'config.json')))
    weights_path = os.path.join(MODEL, 'model.safetensors')
    sha = hashlib.sha256(open(weights_path, 'rb').read()).hexdigest()
    enc = Encoder(cfg, read_safetensors(weights_path))
    tok = json.load(open(args.tokens))
    rows = tok['rows']
    T = max(len(r['ids']) for r in rows)
    ids = torch.full((len(rows), T), tok['padId'], dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r['ids'])] = torch.tensor(r['ids'])
    y = torch.tensor([r['score'] for r in rows], dtype=torch.float32)
    c = torch.tensor([r['cls'] for r in rows], dtype=torch.long)
    perm = torch.randperm(len(rows), generator=torch.Generator().manual_seed(args.split_seed))
    n_val = round(0.1 * len(rows))
    va, tr = perm[:n_val], perm[n_val:]
    if args.train_rows:
        tr = tr[: args.train_rows]  # the first rows of the seeded order: a seeded subset, the same for every run
    data = (ids[tr], y[tr], c[tr], ids[va], y[va], c[va])
    ranks = [int(r) for r in args.ranks.split(',')]
    seeds = [int(s) for s in args.seeds.split(',')]
    groups = contiguous_groups(cfg['num_hidden_layers'], args.groups)
    configs = [[]]
    for _ in range(args.groups):
        configs = [c_ + [r] for c_ in configs for r in ranks]
    fields = ['ranks', 'seed', 'epochs', 'mse', 'mae', 'r2', 'accuracy', 'f1_macro', 'seconds']
    done = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            for r in csv.DictReader(line for line in f if not line.startswith('#')):
                done.add((r['ranks'], int(r['seed'])))
    new = not os.path.exists(args.out)
    f = open(args.out, 'a', newline='')
    w = csv.writer(f)
    if new:
        w.writerow(fields)
    print(f'model sha256 {sha}; {len(tr)} train / {len(va)} validation rows; {len(configs)} configurations × {len(seeds)} seeds', file=sys.stderr)
    t_all, trained = time.time(), 0
    todo = [(g, s) for s in seeds for g in configs if ('@'.join(map(str, g)), s) not in done]
    if args.limit:
        todo = todo[: args.limit]
    for k, (g, s) in enumerate(todo):
        name = '@'.join(map(str, g))
        layer_ranks = [0] * cfg['num_hidden_layers']
        for gi, rg in enumerate(groups):
            for l in rg:
                layer_ranks[l] = g[gi]
        t = time.time()
        res = train_one(enc, data, layer_ranks, s, args)
        dt = time.time() - t
        for r in res:
            w.writerow([name, s, r['epochs']] + [f"{r[m]:.6g}" for m in fields[3:8]] + [f'{dt:.1f}' if r['epochs'] == args.epochs else ''])
        f.flush()
        trained += 1
        el = time.time() - t_all
        print(f'[{k + 1}/{len(todo)}] {name} seed {s}: mse {res[-1]["mse"]:.5f} acc {res[-1]["accuracy"]:.3f} ({dt:.1f} s, ETA {el / trained * (len(todo) - k - 1) / 60:.1f} min)', file=sys.stderr)


if __name__ == '__main__':
    main()
