#!/usr/bin/python3
"""Noise and spread of a replay table with several training seeds per configuration (bench/landscapes):

    /usr/bin/python3 bench/landscape_stats.py bench/landscapes/tiny-3g-mse.csv [--metric mse]

Per configuration, the mean and std over seeds at full fidelity (the table's largest epoch count); then the
seed-to-seed std (pooled: root mean of the per-configuration variances), the between-configuration spread
(std of the configuration means), the range of the means, and how much of the spread of single-seed values is
seed noise. A between-configuration spread of the means still contains noise/√seeds.
"""
import argparse
import csv
import math
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('table')
    ap.add_argument('--metric', default='mse')
    args = ap.parse_args()
    rows = list(csv.DictReader(line for line in open(args.table) if not line.startswith('#')))
    full = max(int(r['epochs']) for r in rows) if rows and 'epochs' in rows[0] else None
    by = defaultdict(list)
    for r in rows:
        if full is not None and int(r['epochs']) != full:
            continue
        by[r['ranks']].append(float(r[args.metric]))
    seeds = sorted({len(v) for v in by.values()})
    means = {k: sum(v) / len(v) for k, v in by.items()}
    var = [sum((x - means[k]) ** 2 for x in v) / (len(v) - 1) for k, v in by.items() if len(v) > 1]
    noise = math.sqrt(sum(var) / len(var)) if var else float('nan')
    m = list(means.values())
    mu = sum(m) / len(m)
    spread = math.sqrt(sum((x - mu) ** 2 for x in m) / (len(m) - 1))
    n = seeds[0] if seeds else 1
    # Spread of the true means once the noise left in a mean of n seeds is taken out.
    signal = math.sqrt(max(0.0, spread ** 2 - noise ** 2 / n))
    best = sorted(means, key=means.get)
    print(f'{args.table}: {len(by)} configurations, seeds per configuration {seeds}, full fidelity = {full} epochs')
    print(f'{args.metric}: mean {mu:.5f}; best {best[0]} {means[best[0]]:.5f}, worst {best[-1]} {means[best[-1]]:.5f} (range {means[best[-1]] - means[best[0]]:.5f} = {100 * (means[best[-1]] - means[best[0]]) / mu:.1f} % of the mean)')
    print(f'seed-to-seed std (pooled) {noise:.5f} = {100 * noise / mu:.2f} % of the mean')
    print(f'between-configuration std of the {n}-seed means {spread:.5f} = {100 * spread / mu:.2f} % of the mean')
    print(f'  of which not explained by seed noise: {signal:.5f}; noise/signal = {noise / signal if signal > 0 else float("inf"):.2f}')
    print(f'top 5: {", ".join(f"{k} {means[k]:.5f}" for k in best[:5])}')


if __name__ == '__main__':
    main()
