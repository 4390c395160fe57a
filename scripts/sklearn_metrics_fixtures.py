"""Regenerate tests/fixtures/metrics/*.json: seeded cases scored by scikit-learn itself.

Run: /usr/bin/python3 scripts/sklearn_metrics_fixtures.py [--out DIR]   (default: tests/fixtures/metrics)
The Vitest test src/core/train/metrics.test.ts recomputes every case in TypeScript and compares to 1e-9.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, f1_score, mean_absolute_error, mean_squared_error,
                             precision_recall_fscore_support, r2_score)

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'metrics')


def scores_case(rng, n):
    y = rng.uniform(-1, 1, n)
    p = np.clip(y + rng.normal(0, 0.3, n), -1, 1)
    return y, p


def classes_expected(t, p):
    pr, rc, f1, _ = precision_recall_fscore_support(t, p, average='weighted', zero_division=0)
    # Macro F1: the unweighted mean over the labels in y_true ∪ y_pred (sklearn's default labels).
    f1_macro = f1_score(t, p, average='macro', zero_division=0)
    return {'accuracy': accuracy_score(t, p), 'precision': pr, 'recall': rc, 'f1': f1, 'f1_macro': f1_macro}


def scores_expected(t, p):
    mse = mean_squared_error(t, p)
    return {'mse': mse, 'mae': mean_absolute_error(t, p), 'rmse': float(np.sqrt(mse)), 'r2': r2_score(t, p)}


def main():
    out = sys.argv[sys.argv.index('--out') + 1] if '--out' in sys.argv else OUT
    os.makedirs(out, exist_ok=True)
    cases = []
    for seed, n in [(1, 20), (2, 173), (3, 1000)]:
        rng = np.random.default_rng(seed)
        t, p = scores_case(rng, n)
        k = 5
        ct = rng.integers(0, k, n)
        cp = np.where(rng.random(n) < 0.6, ct, rng.integers(0, k, n))
        cases.append({'name': f'random-seed{seed}-n{n}', 'scores': {'true': t, 'pred': p},
                      'classes': {'true': ct, 'pred': cp, 'numClasses': k}})
    rng = np.random.default_rng(7)
    # Class 3 is never predicted; class 4 is predicted but absent from y_true.
    ct = rng.choice([0, 1, 2, 3], 60)
    cp = np.where(ct == 3, rng.choice([0, 1, 4], 60), np.where(rng.random(60) < 0.7, ct, 4))
    cases.append({'name': 'never-predicted-and-absent-class', 'classes': {'true': ct, 'pred': cp, 'numClasses': 5}})
    # Only one class ever predicted (a collapsed classifier): precision of the others is 0, not NaN.
    ct = np.random.default_rng(8).integers(0, 3, 40)
    cases.append({'name': 'collapsed-classifier', 'classes': {'true': ct, 'pred': np.ones(40, dtype=int), 'numClasses': 3}})
    # numClasses 4 but class 3 appears in neither y_true nor y_pred: it is no label for sklearn (not averaged).
    rng = np.random.default_rng(9)
    ct = rng.integers(0, 2, 30)
    cases.append({'name': 'class-in-neither', 'classes': {'true': ct, 'pred': np.where(rng.random(30) < 0.7, ct, 2), 'numClasses': 4}})
    # Constant target: sklearn's force_finite gives r2 = 0 (imperfect) / 1 (perfect).
    cases.append({'name': 'constant-target', 'scores': {'true': np.full(10, 0.25), 'pred': np.linspace(0, 0.5, 10)}})
    cases.append({'name': 'perfect', 'scores': {'true': np.linspace(-1, 1, 11), 'pred': np.linspace(-1, 1, 11)},
                  'classes': {'true': np.arange(11) % 3, 'pred': np.arange(11) % 3, 'numClasses': 3}})
    for c in cases:
        expected = {}
        if 'scores' in c:
            expected.update(scores_expected(c['scores']['true'], c['scores']['pred']))
            c['scores'] = {k: [float(x) for x in v] for k, v in c['scores'].items()}
        if 'classes' in c:
            expected.update(classes_expected(c['classes']['true'], c['classes']['pred']))
            c['classes'] = {'true': [int(x) for x in c['classes']['true']], 'pred': [int(x) for x in c['classes']['pred']],
                            'numClasses': c['classes']['numClasses']}
        c['expected'] = {k: float(v) for k, v in expected.items()}
        c['sklearn'] = sklearn.__version__
        with open(os.path.join(out, c['name'] + '.json'), 'w') as f:
            json.dump(c, f, indent=1)
    print(f'wrote {len(cases)} cases to {os.path.normpath(out)}')


if __name__ == '__main__':
    main()
