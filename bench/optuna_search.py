#!/usr/bin/env python3
"""Optuna as an outside anchor for `npm run bench:search` (bench/search.ts).

Reads the problems bench/search.ts exported (per landscape and seed: the discrete space, every evaluable
configuration's observed value, the top-3 configurations and the evaluation cap), runs Optuna's samplers over
the same space and prints, as JSON, the order in which each sampler evaluated configurations. The TS bench
scores those sequences exactly as it scores its own strategies.

Counting is the same as the TS engine's: a configuration is evaluated once; Optuna proposing it again is
answered from the cache and not counted. A configuration outside the table (a replay table's missing row) or
over the budget is infeasible: it costs nothing and is reported to TPE through `constraints_func` (Optuna's
constrained TPE), and to the other samplers as the worst value in the table. A run stops at the cap, or once a
top-3 configuration has been evaluated and at least `minEvals` configurations have (the bench's metrics need
nothing later), or after 5 × cap proposals (TPE keeps proposing configurations it has seen).

Samplers: tpe (TPESampler over categorical ranks, Optuna's defaults), tpe-int (TPESampler over the rank's
index as an ordered integer), random (RandomSampler), qmc (QMCSampler, scrambled Sobol over the rank index),
cmaes (CmaEsSampler over the rank index; needs Debian's python3-cmaes).

    /usr/bin/python3 bench/optuna_search.py problems.json > sequences.json
Runs in parallel on every core (OPTUNA_BENCH_JOBS=N to change).
Needs Debian's python3-optuna (3.1) or any Optuna ≥ 3.0.
"""
import json
import os
import sys
import warnings
from multiprocessing import Pool

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def make_sampler(name, seed):
    if name in ("tpe", "tpe-int"):
        return optuna.samplers.TPESampler(seed=seed, constraints_func=constraints)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False)
    if name == "cmaes":
        # CMA-ES needs ordered numbers: it runs over the rank index (an integer), like tpe-int and qmc.
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    raise SystemExit(f"unknown sampler {name!r}")


def constraints(trial):
    # ≤ 0 is feasible.
    return [0.0 if trial.user_attrs.get("feasible", False) else 1.0]


def run(problem, sampler_name):
    ranks = problem["ranks"]
    groups = problem["groups"]
    values = problem["values"]
    top3 = set(problem["top3"])
    max_evals = problem["maxEvals"]
    min_evals = problem["minEvals"]
    worst = max(values.values())
    by_index = sampler_name in ("tpe-int", "qmc", "cmaes")
    order = []
    seen = set()

    def objective(trial):
        if by_index:
            g = [ranks[trial.suggest_int(f"g{i}", 0, len(ranks) - 1)] for i in range(groups)]
        else:
            g = [trial.suggest_categorical(f"g{i}", ranks) for i in range(groups)]
        name = "@".join(str(r) for r in g)
        value = values.get(name)
        trial.set_user_attr("feasible", value is not None)
        if value is None:
            return worst
        if name not in seen:
            seen.add(name)
            order.append(name)
        return value

    def stop(study, _trial):
        if len(order) >= max_evals or (len(order) >= min_evals and any(n in top3 for n in order)):
            study.stop()

    study = optuna.create_study(direction="minimize", sampler=make_sampler(sampler_name, problem["seed"]))
    study.optimize(objective, n_trials=5 * max_evals, callbacks=[stop])
    return order


def run_task(task):
    sampler, problem = task
    return {"sampler": sampler, "id": problem["id"], "sequence": run(problem, sampler)}


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: optuna_search.py problems.json")
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    tasks = [(sampler, problem) for sampler in spec["samplers"] for problem in spec["problems"]]
    # Independent runs: one per core (OPTUNA_BENCH_JOBS overrides), results in task order.
    jobs = int(os.environ.get("OPTUNA_BENCH_JOBS", os.cpu_count() or 1))
    if jobs > 1 and len(tasks) > 1:
        with Pool(min(jobs, len(tasks))) as pool:
            results = pool.map(run_task, tasks, chunksize=1)
    else:
        results = [run_task(t) for t in tasks]
    json.dump({"optuna": optuna.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
