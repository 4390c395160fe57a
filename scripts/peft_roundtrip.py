#!/usr/bin/python3
"""
PyTorch check of a Rank Lab PEFT export, without the `peft` or `safetensors` packages.

Loads the base RoBERTa weights (model.safetensors) and an exported adapter (zip or folder), decides which
modules carry LoRA exactly as PEFT would from adapter_config.json (target_modules suffix / regex match,
layers_to_transform, rank_pattern / alpha_pattern via PEFT's get_pattern_key rule), merges
W' = W + s * B @ A with s = alpha / r (alpha / sqrt(r) with use_rslora), runs a compact RobertaModel
forward (padding-offset positions, post-LayerNorm, exact GELU, additive mask) and the heads on the
first token, and prints predictions as JSON.

Usage:
  /usr/bin/python3 scripts/peft_roundtrip.py --model-dir public/models/tiny-roberta \
      --adapter adapter.zip --ids '[[0, 713, 16, 2], [0, 100, 2]]'
Output: {"score": [...] | null, "logits": [[...]] | null, "probs": [[...]] | null, "lora_modules": [...]}
"""
import argparse
import io
import json
import math
import os
import re
import struct
import sys
import zipfile

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "F64": np.float64}
TARGETS = ["attention.self.query", "attention.self.key", "attention.self.value",
           "attention.output.dense", "intermediate.dense", "output.dense"]


def read_safetensors(buf):
    """safetensors format: u64 little-endian header size N, N bytes JSON header, raw little-endian data."""
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = buf[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[b:end]
        if e["dtype"] == "BF16":
            u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")).astype(np.float32)
        out[name] = torch.from_numpy(arr.reshape(e["shape"]).copy()).double()
    return out


def read_adapter(path):
    files = {}
    if os.path.isdir(path):
        for name in os.listdir(path):
            with open(os.path.join(path, name), "rb") as f:
                files[name] = f.read()
    else:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                files[os.path.basename(name)] = z.read(name)
    config = json.loads(files["adapter_config.json"])
    weights = read_safetensors(files["adapter_model.safetensors"])
    return config, weights


def get_pattern_key(pattern_keys, key_to_match):
    """PEFT's rule (peft/utils/other.py): first pattern key k with re.match(rf"(.*\\.)?({k})$", name)."""
    for key in pattern_keys:
        if re.match(rf"(.*\.)?({key})$", key_to_match):
            return key
    return key_to_match


def peft_targets_module(config, key):
    """PEFT's check_target_module_exists for LoRA configs (list/regex targets, layers_to_transform)."""
    tm = config["target_modules"]
    if isinstance(tm, str):
        return re.fullmatch(tm, key) is not None
    if key in tm:
        return True
    found = any(key.endswith("." + t) for t in tm)
    layers = config.get("layers_to_transform")
    if found and layers is not None and layers != []:
        pattern = config.get("layers_pattern")
        patterns = [pattern] if isinstance(pattern, str) else (pattern or [])
        m = None
        if not patterns:
            m = re.match(r".*?\.[^.]*\.(\d+)\.", key)
        for p in patterns:
            m = re.match(rf".*?\.{p}\.(\d+)\.", key)
            if m:
                break
        if m is None:
            return False
        idx = int(m.group(1))
        return idx == layers if isinstance(layers, int) else idx in layers
    return found


def load_model(model_dir, adapter_path):
    with open(os.path.join(model_dir, "config.json")) as f:
        mcfg = json.load(f)
    with open(os.path.join(model_dir, "model.safetensors"), "rb") as f:
        w = read_safetensors(f.read())
    # Accept both "roberta.encoder…" and bare "encoder…" checkpoints.
    w = {(k if k.startswith("roberta.") else "roberta." + k): v for k, v in w.items()}
    config, aw = read_adapter(adapter_path)
    prefix = "base_model.model."
    lora_modules = []
    for i in range(mcfg["num_hidden_layers"]):
        for t in TARGETS:
            mod = f"roberta.encoder.layer.{i}.{t}"
            has_weights = (prefix + mod + ".lora_A.weight") in aw
            targeted = peft_targets_module(config, mod)
            if has_weights != targeted:
                raise SystemExit(f"adapter_config.json disagrees with the weights for {mod}: "
                                 f"PEFT would {'target' if targeted else 'skip'} it, weights {'present' if has_weights else 'absent'}")
            if not targeted:
                continue
            A = aw[prefix + mod + ".lora_A.weight"]
            B = aw[prefix + mod + ".lora_B.weight"]
            r = config["rank_pattern"].get(get_pattern_key(config["rank_pattern"].keys(), mod), config["r"])
            alpha = config["alpha_pattern"].get(get_pattern_key(config["alpha_pattern"].keys(), mod), config["lora_alpha"])
            if A.shape[0] != r or B.shape[1] != r:
                raise SystemExit(f"{mod}: config rank {r} but A {tuple(A.shape)} B {tuple(B.shape)}")
            scale = alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r
            w[mod + ".weight"] = w[mod + ".weight"] + scale * (B @ A)
            lora_modules.append(mod)
    heads = {k[len(prefix):]: v for k, v in aw.items() if ".lora_" not in k}
    return mcfg, w, heads, lora_modules


def forward(mcfg, w, heads, ids):
    H = mcfg["hidden_size"]
    nh = mcfg["num_attention_heads"]
    eps = mcfg["layer_norm_eps"]
    pad = mcfg["pad_token_id"]
    T = max(len(s) for s in ids)
    input_ids = torch.tensor([s + [pad] * (T - len(s)) for s in ids], dtype=torch.long)
    mask = torch.tensor([[1] * len(s) + [0] * (T - len(s)) for s in ids], dtype=torch.double)
    # HF create_position_ids_from_input_ids: positions count non-pad tokens, offset by padding_idx.
    nonpad = (input_ids != pad).long()
    pos = torch.cumsum(nonpad, dim=1) * nonpad + pad
    p = "roberta."
    x = w[p + "embeddings.word_embeddings.weight"][input_ids] + w[p + "embeddings.position_embeddings.weight"][pos] \
        + w[p + "embeddings.token_type_embeddings.weight"][0]
    ln = lambda v, n: torch.nn.functional.layer_norm(v, (H,), w[n + ".weight"], w[n + ".bias"], eps)
    lin = lambda v, n: v @ w[n + ".weight"].T + w[n + ".bias"]
    x = ln(x, p + "embeddings.LayerNorm")
    add_mask = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.double).min
    dh = H // nh
    B_, _ = input_ids.shape
    split = lambda v: v.view(B_, T, nh, dh).transpose(1, 2)
    for i in range(mcfg["num_hidden_layers"]):
        q = f"{p}encoder.layer.{i}."
        Q, K, V = (split(lin(x, q + f"attention.self.{n}")) for n in ("query", "key", "value"))
        att = torch.softmax(Q @ K.transpose(-1, -2) / math.sqrt(dh) + add_mask, dim=-1)
        ctx = (att @ V).transpose(1, 2).reshape(B_, T, H)
        x = ln(lin(ctx, q + "attention.output.dense") + x, q + "attention.output.LayerNorm")
        h = torch.nn.functional.gelu(lin(x, q + "intermediate.dense"))  # exact (erf) GELU
        x = ln(lin(h, q + "output.dense") + x, q + "output.LayerNorm")
    cls = x[:, 0]
    hl = lambda v, n: v @ heads[n + ".weight"].T + heads[n + ".bias"]
    out = {"score": None, "logits": None, "probs": None}
    if "regression.dense.weight" in heads:
        out["score"] = hl(torch.sigmoid(hl(cls, "regression.dense")), "regression.out")[:, 0].tolist()
    if "classifier.dense.weight" in heads:
        logits = hl(torch.tanh(hl(cls, "classifier.dense")), "classifier.out_proj")
        out["logits"] = logits.tolist()
        out["probs"] = torch.softmax(logits, dim=-1).tolist()
    out["cls"] = cls.tolist()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, help="folder with config.json and model.safetensors")
    ap.add_argument("--adapter", required=True, help="exported adapter .zip or folder")
    ap.add_argument("--ids", required=True, help="JSON list of token-id lists, or @file.json")
    args = ap.parse_args()
    ids_text = open(args.ids[1:]).read() if args.ids.startswith("@") else args.ids
    ids = json.loads(ids_text)
    mcfg, w, heads, mods = load_model(args.model_dir, args.adapter)
    with torch.no_grad():
        out = forward(mcfg, w, heads, ids)
    out["lora_modules"] = mods
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
