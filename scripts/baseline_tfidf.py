#!/usr/bin/python3
"""TF-IDF baseline on a given train/validation split (called by `npm run finetune`, src/cli/finetune.ts).

Reads a JSON file {"train": [{"text", "score"?, "label"?}], "val": [...]} and fits
TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1) on the training texts, then
Ridge(alpha=1.0) on the scores and/or LogisticRegression(max_iter=1000) on the labels. Prints one JSON line
with the fine-tune's metric names: mse, r2, pearson, predStd, targetStd, baselineMse (training-mean
predictor) for scores; accuracy, f1 (weighted), macroF1, majorityAccuracy for labels; seconds.

Usage: /usr/bin/python3 scripts/baseline_tfidf.py SPLIT.json
"""
import json
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score


def pearson(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def main(path):
    with open(path, encoding="utf-8") as f:
        split = json.load(f)
    train, val = split["train"], split["val"]
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    x_train = vec.fit_transform([r["text"] for r in train])
    x_val = vec.transform([r["text"] for r in val])
    out = {}
    models = []
    if all(r.get("score") is not None for r in train + val):
        y_train = np.array([r["score"] for r in train], float)
        y_val = np.array([r["score"] for r in val], float)
        pred = Ridge(alpha=1.0).fit(x_train, y_train).predict(x_val)
        out.update(
            mse=float(mean_squared_error(y_val, pred)),
            r2=float(r2_score(y_val, pred)),
            pearson=pearson(pred, y_val),
            predStd=float(pred.std()),
            targetStd=float(y_val.std()),
            baselineMse=float(mean_squared_error(y_val, np.full_like(y_val, y_train.mean()))),
        )
        models.append("ridge")
    if all(r.get("label") is not None for r in train + val):
        l_train = [r["label"] for r in train]
        l_val = [r["label"] for r in val]
        classes, counts = np.unique(l_train, return_counts=True)
        majority = classes[np.argmax(counts)]
        if len(classes) > 1:
            pred = LogisticRegression(max_iter=1000).fit(x_train, l_train).predict(x_val)
        else:
            pred = np.array([majority] * len(l_val))
        out.update(
            accuracy=float(accuracy_score(l_val, pred)),
            f1=float(f1_score(l_val, pred, average="weighted", zero_division=0)),
            macroF1=float(f1_score(l_val, pred, average="macro", zero_division=0)),
            majorityAccuracy=float(np.mean([l == majority for l in l_val])),
        )
        models.append("logreg")
    if not models:
        raise SystemExit("baseline_tfidf.py: the split has neither a score nor a label on every row")
    line = {"model": "tfidf-" + "+".join(models), "trainRows": len(train), "valRows": len(val)}
    line.update(out)
    line["seconds"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(line))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1])
