#!/usr/bin/python3
"""Pretrain the embedded tiny RoBERTa with masked-language modelling (MLM) and write its weights.

Reproduces public/models/tiny-roberta/model.safetensors (F16, Hugging Face RobertaForMaskedLM key layout:
`roberta.*` plus the MLM head `lm_head.*`, decoder tied to the word embeddings) from text that Debian
packages install (see scripts/pretrain/build-corpus.ts and the model's NOTICE.md).

    apt-get install -y python3-torch libopenblas0-pthread wordnet-base python3.11-doc
    /usr/bin/python3 scripts/pretrain-tiny.py [--steps 6000] [--threads 2] [--out public/models/tiny-roberta]

Seeded and resumable: it checkpoints to .cache/pretrain/ every --ckpt-every steps and, when started again
with the same arguments, continues from the last checkpoint and ends with the same weights as an
uninterrupted run (each step's batch and masks are a function of the seed and the step number only).
Progress (loss, masked-token accuracy, tokens/s, ETA) is printed every --log-every steps.

The architecture is RoBERTa's exactly (the loader in src/core/model is the one that reads hub models):
learned absolute positions offset by pad_token_id + 1, post-LayerNorm blocks, exact (erf) GELU.
"""
import argparse
import hashlib
import json
import math
import os
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
MASK_ID = 50264  # <mask> in the RoBERTa vocabulary
BOS, PAD, EOS = 0, 1, 2
FIRST_REAL = 4  # ids 0..3 are <s>, <pad>, </s>, <unk>
# Arguments that do not change the result (a checkpoint made with other values of these still resumes).
NOT_SETTINGS = ('threads', 'log_every', 'export_checkpoint')


# ----------------------------------------------------------------------------- model (HF RoBERTa layout)
class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, I = c['hidden_size'], c['intermediate_size']
        self.heads = c['num_attention_heads']
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.attn_out, self.attn_ln = nn.Linear(H, H), nn.LayerNorm(H, eps=c['layer_norm_eps'])
        self.inter, self.out, self.out_ln = nn.Linear(H, I), nn.Linear(I, H), nn.LayerNorm(H, eps=c['layer_norm_eps'])
        self.drop = c['hidden_dropout_prob']

    def forward(self, x, bias):
        B, T, H = x.shape
        h = self.heads
        split = lambda t: t.view(B, T, h, H // h).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // h) + bias, -1)
        a = F.dropout(probs, self.drop, self.training) @ v
        a = a.transpose(1, 2).reshape(B, T, H)
        x = self.attn_ln(x + F.dropout(self.attn_out(a), self.drop, self.training))
        y = self.out(F.gelu(self.inter(x)))
        return self.out_ln(x + F.dropout(y, self.drop, self.training))

    def state(self, p):
        return {
            f'{p}attention.self.query': self.query, f'{p}attention.self.key': self.key, f'{p}attention.self.value': self.value,
            f'{p}attention.output.dense': self.attn_out, f'{p}attention.output.LayerNorm': self.attn_ln,
            f'{p}intermediate.dense': self.inter, f'{p}output.dense': self.out, f'{p}output.LayerNorm': self.out_ln,
        }


class RobertaMLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c['hidden_size']
        self.c = c
        self.word = nn.Embedding(c['vocab_size'], H, padding_idx=c['pad_token_id'])
        self.pos = nn.Embedding(c['max_position_embeddings'], H, padding_idx=c['pad_token_id'])
        self.tok_type = nn.Embedding(c['type_vocab_size'], H)
        self.emb_ln = nn.LayerNorm(H, eps=c['layer_norm_eps'])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c['num_hidden_layers'])])
        self.pooler = nn.Linear(H, H)  # not trained by MLM (HF keeps it in RobertaModel); initialised like HF
        self.lm_dense, self.lm_ln = nn.Linear(H, H), nn.LayerNorm(H, eps=c['layer_norm_eps'])
        self.lm_bias = nn.Parameter(torch.zeros(c['vocab_size']))
        self.drop = c['hidden_dropout_prob']
        # HF _init_weights: normal(0, initializer_range) for Linear/Embedding, zero biases, LayerNorm = (1, 0).
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, c['initializer_range'])
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)
                elif m.padding_idx is not None:
                    with torch.no_grad():
                        m.weight[m.padding_idx].zero_()

    def encode(self, ids):
        mask = (ids != PAD)
        pos = torch.cumsum(mask.int(), 1) * mask + PAD  # create_position_ids_from_input_ids
        x = self.word(ids) + self.pos(pos) + self.tok_type(torch.zeros_like(ids))
        x = F.dropout(self.emb_ln(x), self.drop, self.training)
        bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(~mask, float('-inf'))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        return x

    def mlm_logits(self, hidden, cand=None):
        # Tied decoder (RobertaLMHead): dense → gelu → LayerNorm → word embeddingsᵀ + bias.
        # cand: score only these token ids (the batch's own vocabulary; see mlm_step_loss).
        h = self.lm_ln(F.gelu(self.lm_dense(hidden)))
        if cand is None:
            return h @ self.word.weight.t() + self.lm_bias
        return h @ self.word.weight[cand].t() + self.lm_bias[cand]

    def hf_tensors(self):
        """Tensors named as in a Hugging Face RobertaForMaskedLM checkpoint."""
        out = {
            'roberta.embeddings.word_embeddings.weight': self.word.weight,
            'roberta.embeddings.position_embeddings.weight': self.pos.weight,
            'roberta.embeddings.token_type_embeddings.weight': self.tok_type.weight,
            'roberta.embeddings.LayerNorm.weight': self.emb_ln.weight,
            'roberta.embeddings.LayerNorm.bias': self.emb_ln.bias,
            'roberta.pooler.dense.weight': self.pooler.weight, 'roberta.pooler.dense.bias': self.pooler.bias,
            'lm_head.dense.weight': self.lm_dense.weight, 'lm_head.dense.bias': self.lm_dense.bias,
            'lm_head.layer_norm.weight': self.lm_ln.weight, 'lm_head.layer_norm.bias': self.lm_ln.bias,
            'lm_head.bias': self.lm_bias,
        }
        for i, layer in enumerate(self.layers):
            for name, mod in layer.state(f'roberta.encoder.layer.{i}.').items():
                out[f'{name}.weight'], out[f'{name}.bias'] = mod.weight, mod.bias
        return out


# ----------------------------------------------------------------------------- data
def read_docs(path):
    raw = open(path, 'rb').read()
    docs, off = [], 0
    while off < len(raw):
        (n,) = struct.unpack_from('<I', raw, off)
        docs.append(np.frombuffer(raw, dtype='<u2', count=n, offset=off + 4).astype(np.int64))
        off += 4 + 2 * n
    return docs


def chunks(docs, max_body):
    """Split long documents into pieces of at most max_body tokens (each becomes <s> piece </s>)."""
    out = []
    for d in docs:
        for i in range(0, len(d), max_body):
            if len(d) - i >= 3:
                out.append(d[i:i + max_body])
    return out


def epoch_batches(seqs, seed, epoch, tokens_per_batch):
    """Length-bucketed batches (little padding), in a seeded order: a function of (seed, epoch) only."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(seqs))
    # Sort within windows of 100 batches' worth so that batches have similar lengths but stay mixed.
    lens = np.array([len(seqs[i]) + 2 for i in order])
    window = max(1, int(100 * tokens_per_batch / max(1, lens.mean())))
    batches = []
    for w in range(0, len(order), window):
        idx = order[w:w + window]
        idx = idx[np.argsort(lens[w:w + window], kind='stable')]
        cur, longest = [], 0
        for i in idx:
            L = len(seqs[i]) + 2
            if cur and max(longest, L) * (len(cur) + 1) > tokens_per_batch:
                batches.append(cur)
                cur, longest = [], 0
            cur.append(int(i))
            longest = max(longest, L)
        if cur:
            batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(seqs, idx):
    T = max(len(seqs[i]) for i in idx) + 2
    ids = torch.full((len(idx), T), PAD, dtype=torch.long)
    for r, i in enumerate(idx):
        s = torch.from_numpy(seqs[i])
        ids[r, 0] = BOS
        ids[r, 1:1 + len(s)] = s
        ids[r, 1 + len(s)] = EOS
    return ids


def mask_tokens(ids, gen, vocab, prob=0.15):
    """BERT/RoBERTa masking: 15 % of real tokens are targets; of those 80 % <mask>, 10 % random, 10 % kept."""
    real = ids >= FIRST_REAL
    target = (torch.rand(ids.shape, generator=gen) < prob) & real
    # At least one target per batch row that has real tokens (short documents).
    none = real.any(1) & ~target.any(1)
    if none.any():
        first = real.float().argmax(1)
        target[none, first[none]] = True
    r = torch.rand(ids.shape, generator=gen)
    inp = ids.clone()
    inp[target & (r < 0.8)] = MASK_ID
    rand_tok = torch.randint(FIRST_REAL, vocab - 1, ids.shape, generator=gen)
    swap = target & (r >= 0.8) & (r < 0.9)
    inp[swap] = rand_tok[swap]
    return inp, target


def mlm_step_loss(model, ids, gen, vocab, softmax='full'):
    inp, target = mask_tokens(ids, gen, vocab)
    hidden = model.encode(inp)[target]  # only masked positions go through the head
    labels = ids[target]
    if softmax == 'batch':
        # Softmax over the tokens of this batch only. With the full 50k-way softmax every absent word's
        # (tied) embedding gets the same small push each step, which Adam scales up to full-size steps:
        # rare words' embeddings all move alike and end up nearly identical (cosine ≈ 0.97), so a
        # fine-tune cannot tell "bullish" from "downgrade". Here a word's row moves only when it occurs.
        cand = torch.unique(ids[ids >= FIRST_REAL])
        logits = model.mlm_logits(hidden, cand)
        local = torch.searchsorted(cand, labels)
        return F.cross_entropy(logits, local), (logits.argmax(-1) == local).sum().item(), labels.numel()
    logits = model.mlm_logits(hidden)
    return F.cross_entropy(logits, labels), (logits.argmax(-1) == labels).sum().item(), labels.numel()


@torch.no_grad()
def evaluate(model, seqs, seed, vocab, tokens_per_batch=8192):
    """Masked-token accuracy and loss on the held-out slice, with masks fixed by the seed."""
    model.eval()
    gen = torch.Generator().manual_seed(seed + 99991)
    correct = total = 0
    loss_sum = 0.0
    for b in epoch_batches(seqs, seed, 1_000_000, tokens_per_batch):
        loss, c, n = mlm_step_loss(model, collate(seqs, b), gen, vocab)
        correct, total, loss_sum = correct + c, total + n, loss_sum + loss.item() * n
    model.train()
    return {'accuracy': correct / total, 'loss': loss_sum / total, 'tokens': total}


# ----------------------------------------------------------------------------- output
def write_safetensors(path, tensors, dtype=torch.float16):
    names = sorted(tensors)
    header, blobs, off = {}, [], 0
    for n in names:
        a = tensors[n].detach().to(dtype).contiguous().numpy()
        b = a.astype('<f2' if dtype == torch.float16 else '<f4').tobytes()
        header[n] = {'dtype': 'F16' if dtype == torch.float16 else 'F32', 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header['__metadata__'] = {'format': 'pt'}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def lr_at(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, (total - step) / max(1, total - warmup))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--steps', type=int, default=3600)
    ap.add_argument('--tokens-per-batch', type=int, default=2048)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=200)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--dropout', type=float, default=0.0, help='hidden/attention dropout while pretraining (0: the model underfits this corpus)')
    ap.add_argument('--softmax', choices=['full', 'batch'], default='full',
                    help="MLM softmax over the whole vocabulary or over the batch's own tokens (held-out accuracy is always full)")
    ap.add_argument('--max-len', type=int, default=128, help='longest pretraining sequence (with <s> and </s>)')
    ap.add_argument('--seed', type=int, default=20171)
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--ckpt-every', type=int, default=200)
    ap.add_argument('--log-every', type=int, default=50)
    ap.add_argument('--eval-every', type=int, default=500)
    ap.add_argument('--work', default=os.path.join(ROOT, '.cache', 'pretrain'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'public', 'models', 'tiny-roberta'))
    ap.add_argument('--export-checkpoint', metavar='DIR', help='only write the latest checkpoint\'s weights (and config.json) into DIR, e.g. to try a run that is still going')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    corpus = os.path.join(args.work, 'corpus')
    if not os.path.exists(os.path.join(corpus, 'train.bin')):
        print('[pretrain] building the corpus (WordNet + Python docs, RoBERTa tokenizer)…', flush=True)
        subprocess.run(['npx', 'tsx', 'scripts/pretrain/build-corpus.ts', corpus], cwd=ROOT, check=True)
    train = chunks(read_docs(os.path.join(corpus, 'train.bin')), args.max_len - 2)
    heldout = chunks(read_docs(os.path.join(corpus, 'heldout.bin')), args.max_len - 2)
    print(f'[pretrain] corpus: {len(train)} training sequences ({sum(map(len, train))} tokens), '
          f'{len(heldout)} held-out ({sum(map(len, heldout))} tokens); {args.threads} threads', flush=True)

    config = json.load(open(os.path.join(args.out, 'config.json')))
    c = dict(config, hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout)
    model = RobertaMLM(c)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)

    os.makedirs(args.work, exist_ok=True)
    ckpt_path = os.path.join(args.work, f'ckpt-seed{args.seed}.pt')
    step, history = 0, {}
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False)
        if ck['args'] != {k: v for k, v in vars(args).items() if k not in NOT_SETTINGS}:
            sys.exit(f'[pretrain] {ckpt_path} was made with other settings; delete it to start over.')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        step, history = ck['step'], ck['history']
        print(f'[pretrain] resumed at step {step}', flush=True)
    else:
        history['before'] = evaluate(model, heldout, args.seed, c['vocab_size'])
        print(f'[pretrain] held-out before: {json.dumps(history["before"])}', flush=True)

    if args.export_checkpoint:
        os.makedirs(args.export_checkpoint, exist_ok=True)
        write_safetensors(os.path.join(args.export_checkpoint, 'model.safetensors'), model.hf_tensors())
        json.dump(config, open(os.path.join(args.export_checkpoint, 'config.json'), 'w'), indent=2)
        print(f'[pretrain] exported step {step} to {args.export_checkpoint}', flush=True)
        return

    batches_cache = {}
    def batch_at(s):
        # Epoch e's order is fixed by (seed, e): step s → (epoch, index) needs only the per-epoch count.
        e, i = 0, s
        while True:
            if e not in batches_cache:
                batches_cache[e] = epoch_batches(train, args.seed, e, args.tokens_per_batch)
            if i < len(batches_cache[e]):
                return e, batches_cache[e][i]
            i -= len(batches_cache[e])
            e += 1

    def save_ckpt():
        tmp = ckpt_path + '.tmp'
        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step, 'history': history,
                    'args': {k: v for k, v in vars(args).items() if k not in NOT_SETTINGS}}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    t0, tok0, acc_c, acc_n, loss_sum, loss_n = time.time(), 0, 0, 0, 0.0, 0
    while step < args.steps:
        epoch, idx = batch_at(step)
        ids = collate(train, idx)
        gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        torch.manual_seed(args.seed * 7_919 + step)  # dropout
        for g in opt.param_groups:
            g['lr'] = lr_at(step, args.steps, args.warmup, args.lr)
        loss, c_ok, n = mlm_step_loss(model, ids, gen, c['vocab_size'], args.softmax)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tok0 += int((ids != PAD).sum())
        acc_c, acc_n, loss_sum, loss_n = acc_c + c_ok, acc_n + n, loss_sum + loss.item(), loss_n + 1
        if step % args.log_every == 0:
            dt = time.time() - t0
            rate = tok0 / dt
            eta = (args.steps - step) * dt / max(1, loss_n) if loss_n else 0
            print(f'[pretrain] step {step}/{args.steps} epoch {epoch} loss {loss_sum / loss_n:.3f} '
                  f'masked acc {acc_c / acc_n:.3f} lr {opt.param_groups[0]["lr"]:.2e} {rate:.0f} tok/s ETA {eta / 60:.1f} min', flush=True)
            t0, tok0, acc_c, acc_n, loss_sum, loss_n = time.time(), 0, 0, 0, 0.0, 0
        if step % args.eval_every == 0 or step == args.steps:
            history[f'step{step}'] = evaluate(model, heldout, args.seed, c['vocab_size'])
            print(f'[pretrain] held-out at step {step}: {json.dumps(history[f"step{step}"])}', flush=True)
        if step % args.ckpt_every == 0 or step == args.steps:
            save_ckpt()

    history['after'] = history[f'step{step}']
    out = os.path.join(args.out, 'model.safetensors')
    write_safetensors(out, model.hf_tensors())
    sha = hashlib.sha256(open(out, 'rb').read()).hexdigest()
    summary = {'sha256': sha, 'steps': args.steps, 'seed': args.seed, 'tokensPerBatch': args.tokens_per_batch,
               'lr': args.lr, 'maxLen': args.max_len, 'dropout': args.dropout, 'softmax': args.softmax, 'heldout': {'before': history['before'], 'after': history['after']}}
    with open(os.path.join(args.out, 'pretraining.json'), 'w') as f:
        json.dump(summary, f, indent=2)
        f.write('\n')
    print(f'[pretrain] wrote {out} (sha256 {sha})', flush=True)
    print(f'[pretrain] {json.dumps(summary)}', flush=True)


if __name__ == '__main__':
    main()
