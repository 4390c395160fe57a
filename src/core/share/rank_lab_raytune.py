#!/usr/bin/env python3
"""
Rank Lab search, exported to run on a cluster with Ray Tune (transformers + peft + ray[tune]).

Same search as the lab: per-group LoRA ranks (expanded to layers and given to PEFT via rank_pattern),
the parameter budget filter, the objective metric and direction, the seed, and multi-fidelity with ASHA
(epochs are the resource). Data come from your CSV (the text never left your machine in the lab either).

  pip install "torch" "transformers>=4.40" "peft>=0.11" "ray[tune]>=2.9" numpy
  python rank_lab_raytune.py data.csv --out results.jsonl [--text-column text] [--score-column score]
         [--label-column label] [--split-column split] [--num-samples 64] [--gpus-per-trial 1]
  python rank_lab_raytune.py --list-configs      # print the feasible configurations and exit

Results file (import it in Rank Lab: History > Import results), JSON Lines, UTF-8:
  line 1: {"kind": "header", "format": "rank-lab-raytune", "version": 1, "model": {...},
           "settings": {...}, "dataset": {"sha256", "rows", "task", "score"?, "classes"?}}
  then one line per trial:
          {"kind": "trial", "config": "384@512@256", "group_ranks": [384, 512, 256],
           "layer_ranks": [...], "params": 1234, "metrics": {"mse": 0.0186, ...},
           "epochs": 3, "time_s": 812.4, "status": "done" | "pruned" | "failed",
           "curve": [objective after epoch 1, 2, ...]}
Split: a split column (train/val/test) when given (export it from the lab to get the lab's exact split);
otherwise a seeded 90/10 shuffle with numpy, which is NOT the lab's split.
"""
import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import os
import random
import re
import sys
import time

# Rank Lab writes this script from this file (src/core/share/rayTune.ts): the placeholder name below
# becomes a Python string literal holding the run's settings as JSON. Nothing heavy (torch, transformers, peft, ray)
# is imported at module level, so --list-configs and py_compile work on a machine without them.
SETTINGS = json.loads(__SETTINGS_JSON__)
MODEL = SETTINGS["model"]
S = SETTINGS["settings"]
NUM_SAMPLES_DEFAULT = SETTINGS["numSamples"]
# Written by the lab from its own rules, so the script never restates them: the parameters one unit of
# rank costs in one layer (sum over the targets of out + in), PEFT's short name of each target, the metric
# names of a results file, and the classes derived from a score (names and cut points).
COST_PER_RANK = SETTINGS["costPerRank"]
TARGET_SHORT = SETTINGS["targetShort"]
METRIC_NAMES = SETTINGS["metricNames"]
DERIVED_CLASSES = SETTINGS["derivedClasses"]


# ------------------------------------------------------------------ search space (no heavy imports)

def layer_ranks(group_ranks):
    out = []
    for size, r in zip(S["groups"], group_ranks):
        out.extend([r] * size)
    return out


def param_count(group_ranks):
    return sum(layer_ranks(group_ranks)) * COST_PER_RANK


def feasible_configs():
    """Every per-group rank tuple within the budget (all-zero excluded: it trains no adapter)."""
    out = []
    for ranks in itertools.product(sorted(S["rankChoices"]), repeat=len(S["groups"])):
        if any(ranks) and param_count(ranks) <= S["budget"]:
            out.append(list(ranks))
    return out


def chosen_configs(num_samples):
    configs = feasible_configs()
    if len(configs) <= num_samples:
        return configs
    rng = random.Random(S["seed"])
    return sorted(rng.sample(configs, num_samples))


def config_name(group_ranks):
    return "@".join(str(r) for r in group_ranks)


# ------------------------------------------------------------------ data

def derived_class(y):
    """The class of a score among the lab's derived classes: cut points t0 < t1 < t2 < t3, the middle class
    closed on both sides."""
    t = DERIVED_CLASSES["thresholds"]
    if y < t[0]:
        return 0
    if y < t[1]:
        return 1
    if y <= t[2]:
        return 2
    if y <= t[3]:
        return 3
    return 4


def load_data(path, text_col, score_col, label_col, split_col):
    with open(path, "rb") as f:
        raw = f.read()
    sha = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8-sig")
    sample = text[:4096]
    delim = "\t" if sample.count("\t") > sample.count(",") else (";" if sample.count(";") > sample.count(",") else ",")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delim)
    columns = reader.fieldnames or []
    for c in (text_col, score_col, label_col, split_col):
        if c and c not in columns:
            raise SystemExit(f"{path}: no column '{c}' (columns: {', '.join(columns)}); pass the right --*-column option")
    rows = []
    for n, row in enumerate(reader, start=2):
        t = (row.get(text_col) or "").strip()
        if not t:
            raise SystemExit(f"{path}: line {n}: empty text in column '{text_col}'")
        r = {"text": t}
        if score_col:
            try:
                r["score"] = float(row[score_col])
            except (KeyError, TypeError, ValueError):
                raise SystemExit(f"{path}: line {n}: score {row.get(score_col)!r} in column '{score_col}' is not a number")
        if label_col:
            r["label"] = (row.get(label_col) or "").strip()
        if split_col:
            r["split"] = (row.get(split_col) or "").strip().lower()
        rows.append(r)
    return rows, sha


def split_rows(rows, seed):
    if rows and "split" in rows[0]:
        train = [r for r in rows if r["split"] == "train"]
        val = [r for r in rows if r["split"] in ("val", "validation", "dev")]
        return train, val
    import numpy as np
    idx = np.random.default_rng(seed).permutation(len(rows))
    n_val = max(1, round(len(rows) * 0.1))
    return [rows[i] for i in idx[n_val:]], [rows[i] for i in idx[:n_val]]


def fingerprint(rows, sha, class_names):
    fp = {"sha256": sha, "rows": len(rows)}
    has_score = "score" in rows[0]
    has_label = "label" in rows[0]
    fp["task"] = "both" if has_score and has_label else ("score" if has_score else "label")
    if has_score:
        ys = [r["score"] for r in rows]
        m = sum(ys) / len(ys)
        lo, hi = min(ys), max(ys)
        hist = [0] * 20
        for y in ys:
            hist[min(19, int((y - lo) / ((hi - lo) or 1) * 20))] += 1
        fp["score"] = {"mean": m, "sd": math.sqrt(sum((y - m) ** 2 for y in ys) / len(ys)), "min": lo, "max": hi, "histogram": hist}
    if class_names:
        fp["classes"] = {"names": class_names, "counts": [sum(1 for r in rows if r["cls"] == k) for k in range(len(class_names))]}
    return fp


# ------------------------------------------------------------------ model (heavy imports inside)

def peft_config(group_ranks, modules_to_save):
    from peft import LoraConfig
    ranks = layer_ranks(group_ranks)
    adapted = [i for i, r in enumerate(ranks) if r > 0]
    lora = S.get("lora") or {"alpha": 16, "alphaPerRank": False, "dropout": 0.1, "rslora": False}
    alphas = [lora["alpha"] * r if lora["alphaPerRank"] else lora["alpha"] for r in ranks]
    counts = {}
    for i in adapted:
        counts[ranks[i]] = counts.get(ranks[i], 0) + 1
    r0 = min(counts, key=lambda r: (-counts[r], r))
    a0 = alphas[adapted[0]] if not lora["alphaPerRank"] else lora["alpha"] * r0
    rank_pattern, alpha_pattern = {}, {}
    for i in adapted:
        for t in S["targets"]:
            key = f"roberta.encoder.layer.{i}.{t}"
            if ranks[i] != r0:
                rank_pattern[key] = ranks[i]
            if alphas[i] != a0:
                alpha_pattern[key] = alphas[i]
    kwargs = {}
    # PEFT matches short names as suffixes: "output.dense" alone would also catch "attention.output.dense".
    if "output.dense" in S["targets"] and "attention.output.dense" not in S["targets"]:
        targets = r"^(.*\.)?encoder\.layer\.(" + "|".join(map(str, adapted)) + r")\.(" + "|".join(re.escape(t) for t in S["targets"]) + r")$"
    else:
        targets = [TARGET_SHORT[t] for t in S["targets"]]
        if len(adapted) < len(ranks):
            kwargs = {"layers_to_transform": adapted, "layers_pattern": "layer"}
    return LoraConfig(r=r0, lora_alpha=a0, rank_pattern=rank_pattern, alpha_pattern=alpha_pattern,
                      target_modules=targets, lora_dropout=lora["dropout"], use_rslora=lora["rslora"],
                      bias="none", modules_to_save=modules_to_save, **kwargs)


def build_model(group_ranks, num_classes, has_score):
    import torch
    from torch import nn
    from transformers import AutoModel
    from peft import get_peft_model

    class RegressionHead(nn.Module):
        """dense -> sigmoid -> out (Rank Lab's regression head)."""

        def __init__(self, h):
            super().__init__()
            self.dense, self.out = nn.Linear(h, 128), nn.Linear(128, 1)

        def forward(self, x):
            return self.out(torch.sigmoid(self.dense(x)))[:, 0]

    class ClassificationHead(nn.Module):
        """dropout -> dense -> tanh -> dropout -> out_proj (transformers' RobertaClassificationHead layout)."""

        def __init__(self, h, k, p):
            super().__init__()
            self.dense, self.out_proj, self.dropout = nn.Linear(h, 128), nn.Linear(128, k), nn.Dropout(p)

        def forward(self, x):
            return self.out_proj(self.dropout(torch.tanh(self.dense(self.dropout(x)))))

    class RankLabModel(nn.Module):
        """RoBERTa encoder + heads on the first token, named as in the lab's PEFT export (so save_pretrained
        writes an adapter the lab imports)."""

        def __init__(self):
            super().__init__()
            self.roberta = AutoModel.from_pretrained(MODEL["id"], add_pooling_layer=False)
            h = self.roberta.config.hidden_size
            self.regression = RegressionHead(h) if has_score else None
            self.classifier = ClassificationHead(h, num_classes, self.roberta.config.hidden_dropout_prob) if num_classes else None

        def forward(self, input_ids=None, attention_mask=None, **_):
            x = self.roberta(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state[:, 0]
            score = self.regression(x) if self.regression is not None else None
            logits = self.classifier(x) if self.classifier is not None else None
            return score, logits

    modules = (["regression"] if has_score else []) + (["classifier"] if num_classes else [])
    return get_peft_model(RankLabModel(), peft_config(group_ranks, modules))


def metrics_for(scores, ys, preds, cls):
    import numpy as np
    out = {}
    if scores is not None:
        s, y = np.asarray(scores), np.asarray(ys)
        mse = float(np.mean((s - y) ** 2))
        ss_tot = float(np.sum((y - y.mean()) ** 2))
        out.update(mse=mse, mae=float(np.mean(np.abs(s - y))), rmse=math.sqrt(mse),
                   r2=1.0 - float(np.sum((s - y) ** 2)) / ss_tot if ss_tot > 0 else 0.0)
    if preds is not None:
        p, c = np.asarray(preds), np.asarray(cls)
        out["accuracy"] = float(np.mean(p == c))
        prec = rec = f1 = 0.0
        for k in np.unique(c):
            support = float(np.mean(c == k))
            tp = float(np.sum((p == k) & (c == k)))
            pk = tp / max(1.0, float(np.sum(p == k)))
            rk = tp / max(1.0, float(np.sum(c == k)))
            prec += support * pk
            rec += support * rk
            f1 += support * (2 * pk * rk / (pk + rk) if pk + rk > 0 else 0.0)
        out.update(precision=prec, recall=rec, f1=f1)
        # Macro F1: unweighted mean over the labels in y_true and y_pred (shows a collapse to one class).
        per_class = []
        for k in np.union1d(c, p):
            tp = float(np.sum((p == k) & (c == k)))
            denom = 2 * tp + float(np.sum((p == k) & (c != k))) + float(np.sum((p != k) & (c == k)))
            per_class.append(2 * tp / denom if denom > 0 else 0.0)
        out["f1_macro"] = float(np.mean(per_class))
    return out


def report(metrics):
    """Ray's reporting call moved between versions: ray.tune.report (>= 2.41), ray.train.report
    (2.7 to 2.40), ray.air.session.report (2.0 to 2.6). Use the first that works."""
    def _tune(m):
        from ray import tune
        return tune.report(m)

    def _train(m):
        from ray import train
        return train.report(m)

    def _session(m):
        from ray.air import session
        return session.report(m)

    last = None
    for fn in (_tune, _train, _session):
        try:
            return fn(metrics)
        except (ImportError, AttributeError, TypeError, DeprecationWarning, RuntimeError) as e:
            last = e
    raise last


def train_trial(config, data):
    import numpy as np
    import torch
    from transformers import AutoTokenizer, get_cosine_schedule_with_warmup, set_seed

    set_seed(S["seed"])
    group_ranks = config["group_ranks"]
    train, val, num_classes, has_score = data["train"], data["val"], data["num_classes"], data["has_score"]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tok = AutoTokenizer.from_pretrained(MODEL["id"])
    model = build_model(group_ranks, num_classes, has_score).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=S["lr"], eps=1e-8, weight_decay=0.01)
    bs = S["batchSize"]
    steps = S["epochs"] * math.ceil(len(train) / bs)
    sched = get_cosine_schedule_with_warmup(opt, int(0.06 * steps), steps)
    lw = S["lossWeights"]
    if lw["mode"] != "constant":
        print("note: adaptive loss weighting is not reproduced here; using the constant weights", file=sys.stderr)
    a, b = (lw["regression"], lw["classification"]) if has_score and num_classes else (1.0, 1.0)
    g = torch.Generator().manual_seed(S["seed"])

    def batches(rows, shuffle):
        order = torch.randperm(len(rows), generator=g).tolist() if shuffle else range(len(rows))
        order = list(order)
        for i in range(0, len(order), bs):
            chunk = [rows[j] for j in order[i:i + bs]]
            enc = tok([r["text"] for r in chunk], truncation=True, max_length=S["maxLength"], padding=True, return_tensors="pt")
            yield chunk, {k: v.to(device) for k, v in enc.items()}

    curve = []
    for epoch in range(1, S["epochs"] + 1):
        model.train()
        for chunk, enc in batches(train, True):
            score, logits = model(**enc)
            loss = 0.0
            if has_score:
                y = torch.tensor([r["score"] for r in chunk], device=device, dtype=score.dtype)
                loss = loss + a * torch.nn.functional.mse_loss(score, y)
            if num_classes:
                c = torch.tensor([r["cls"] for r in chunk], device=device)
                loss = loss + b * torch.nn.functional.cross_entropy(logits, c)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
        model.eval()
        scores, preds = [], []
        with torch.no_grad():
            for chunk, enc in batches(val, False):
                score, logits = model(**enc)
                if has_score:
                    scores.extend(score.float().cpu().tolist())
                if num_classes:
                    preds.extend(logits.argmax(-1).cpu().tolist())
        m = metrics_for(scores if has_score else None, [r.get("score") for r in val],
                        preds if num_classes else None, [r.get("cls") for r in val])
        curve.append(m[S["objective"]["metric"]])
        report({**m, "epoch": epoch, "params": param_count(group_ranks), "curve": json.dumps(curve)})


def main():
    ap = argparse.ArgumentParser(description="Rank Lab search on Ray Tune", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("csv", nargs="?", help="your labelled CSV (the file you used in the lab)")
    ap.add_argument("--out", default="rank_lab_results.jsonl", help="results file to import into Rank Lab")
    ap.add_argument("--text-column", default=SETTINGS["columns"]["text"])
    ap.add_argument("--score-column", default=SETTINGS["columns"].get("score"))
    ap.add_argument("--label-column", default=SETTINGS["columns"].get("label"))
    ap.add_argument("--split-column", default=None, help="column with train/val values (the lab's split)")
    ap.add_argument("--num-samples", type=int, default=NUM_SAMPLES_DEFAULT, help="configurations to try")
    ap.add_argument("--gpus-per-trial", type=float, default=1.0)
    ap.add_argument("--cpus-per-trial", type=float, default=4.0)
    ap.add_argument("--list-configs", action="store_true", help="print the configurations that would run and exit")
    ap.add_argument("--dry-run", action="store_true", help="load and split the data, print the results-file header, train nothing")
    args = ap.parse_args()

    configs = chosen_configs(args.num_samples)
    if args.list_configs:
        json.dump({"feasible": len(feasible_configs()), "chosen": [{"config": config_name(c), "group_ranks": c, "params": param_count(c)} for c in configs]}, sys.stdout)
        print()
        return
    if not args.csv:
        ap.error("the CSV path is required (or use --list-configs)")
    if not configs:
        raise SystemExit("no configuration fits the budget")

    rows, sha = load_data(args.csv, args.text_column, args.score_column, args.label_column, args.split_column)
    has_score = bool(args.score_column)
    class_names = []
    if args.label_column:
        class_names = sorted({r["label"] for r in rows})
        for r in rows:
            r["cls"] = class_names.index(r["label"])
    elif has_score and S["lossWeights"]["classification"] > 0:
        class_names = list(DERIVED_CLASSES["names"])
        for r in rows:
            r["cls"] = derived_class(r["score"])
    train, val = split_rows(rows, S["seed"])
    if not train or not val:
        raise SystemExit("the split left no training or no validation rows")
    header = {"kind": "header", "format": "rank-lab-raytune", "version": 1, "model": MODEL, "settings": S,
              "dataset": fingerprint(rows, sha, class_names)}
    if args.dry_run:
        print(json.dumps({**header, "split": {"train": len(train), "val": len(val)}, "configs": len(configs)}))
        return

    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    ray.init(ignore_reinit_error=True)
    data = {"train": train, "val": val, "num_classes": len(class_names), "has_score": has_score}
    fid = S.get("fidelity") or {"minEpochs": S["epochs"], "eta": 3}
    scheduler = ASHAScheduler(time_attr="epoch", max_t=S["epochs"], grace_period=min(fid["minEpochs"], S["epochs"]), reduction_factor=fid["eta"])
    trainable = tune.with_resources(tune.with_parameters(train_trial, data=data), {"cpu": args.cpus_per_trial, "gpu": args.gpus_per_trial})
    tuner = tune.Tuner(
        trainable,
        param_space={"group_ranks": tune.grid_search(configs)},
        tune_config=tune.TuneConfig(metric=S["objective"]["metric"], mode=S["objective"]["direction"], scheduler=scheduler),
    )
    started = time.time()
    results = tuner.fit()

    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n")
        for res in results:
            gr = list(res.config["group_ranks"])
            m = dict(res.metrics or {})
            epochs = int(m.get("epoch", 0) or 0)
            status = "failed" if res.error else ("done" if epochs >= S["epochs"] else "pruned")
            line = {"kind": "trial", "config": config_name(gr), "group_ranks": gr, "layer_ranks": layer_ranks(gr),
                    "params": param_count(gr), "metrics": {k: m[k] for k in METRIC_NAMES if isinstance(m.get(k), (int, float)) and math.isfinite(m[k])},
                    "epochs": epochs, "time_s": float(m.get("time_total_s", 0.0) or 0.0), "status": status,
                    "curve": json.loads(m["curve"]) if isinstance(m.get("curve"), str) else []}
            f.write(json.dumps(line) + "\n")
    print(f"wrote {args.out} ({len(configs)} trials, {time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
