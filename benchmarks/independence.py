"""Tests of independence: type-I error on null tasks and power on weak signals.

Marginal, I(X;Y) = 0: the null tasks and weak signals of ``benchmarks/_weak_tasks.py``
(an array and a DataFrame with text and empty cells; one shifted feature, a noisy XOR).
Conditional, I(X;Y|Z) = 0: ``screened_off`` of ``skmi.datasets`` (Z informative, X a
noisy copy of Z: the null holds), a DataFrame null of the same kind with a text column
in X, and ``noisy_copy`` (X adds 0.0483 nats beyond Z). Methods, each at ``--alpha``
with ``--permutations`` permutations:

- ``skmi.independence_test`` (its defaults: the candidates of estimate_mi, labels or X
  within Z-neighbours permuted on held-out rows, Holm over 5 folds);
- a logistic-regression permutation test: scikit-learn's ``permutation_test_score``
  (5-fold log-loss, labels permuted and the model refitted); for the conditional null
  the same with X's rows permuted over all rows, Z and y kept (what a global
  permutation tests: X independent of (Y, Z));
- ``mutual_info_classif`` summed over the features, labels permuted (marginal only).

Writes independence.md and independence.csv to --out.

Run: python benchmarks/independence.py [--sizes 600 3000] [--null-seeds 20]
     [--signal-seeds 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.feature_selection import mutual_info_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score, permutation_test_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmi import independence_test
from skmi._encoding import TableEncoder
from skmi.datasets import make_conditional_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, table_section, write_page
from _weak_tasks import make_weak_task

MARGINAL = {
    "null_binary": True,
    "null_table": True,
    "shift_0.01": False,
    "shift_0.02": False,
    "shift_0.05": False,
    "xor_0.02": False,
}
CONDITIONAL = {"screened_off": True, "screened_table": True, "noisy_copy": False}


def conditional_task(name: str, n: int, seed: int):
    """``(X, Z, y, truth)``."""
    if name != "screened_table":
        return make_conditional_task(name, n, random_state=seed)
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    y = (z + 0.7 * rng.normal(size=n) > 0).astype(int)
    copy = z + 0.5 * rng.normal(size=n)
    copy[rng.random(n) < 0.1] = np.nan
    X = pd.DataFrame({"copy": copy, "word": rng.choice(["red", "green", "blue"], n)})
    return X, pd.DataFrame({"z": z}), y, 0.0


def lr_model(X):
    """Logistic regression on standardised columns (a table encoded first)."""
    first = TableEncoder() if isinstance(X, pd.DataFrame) else StandardScaler()
    return make_pipeline(first, LogisticRegression(max_iter=2000))


def lr_marginal(X, y, permutations, seed) -> float:
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    *_, p = permutation_test_score(
        lr_model(X),
        X,
        y,
        scoring="neg_log_loss",
        cv=cv,
        n_permutations=permutations,
        random_state=seed,
    )
    return float(p)


def lr_global_conditional(X, Z, y, permutations, seed) -> float:
    """X's rows permuted over all rows (Z and y kept), LR refitted: the p-value of the
    5-fold log-loss of (X, Z)."""
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    X, Z = pd.DataFrame(X).add_prefix("x"), pd.DataFrame(Z).add_prefix("z")

    def score(frame):
        return cross_val_score(lr_model(None), frame, y, scoring="neg_log_loss", cv=cv).mean()

    observed = score(pd.concat([X, Z], axis=1))
    rng = np.random.default_rng(seed)
    permuted = [
        score(pd.concat([X.iloc[rng.permutation(len(X))].reset_index(drop=True), Z], axis=1))
        for _ in range(permutations)
    ]
    return float((1 + np.sum(np.asarray(permuted) >= observed)) / (1 + permutations))


def mic_marginal(X, y, permutations, seed) -> float:
    def statistic(labels):
        return mutual_info_classif(X, labels, random_state=seed).sum()

    observed = statistic(y)
    rng = np.random.default_rng(seed)
    permuted = [statistic(rng.permutation(y)) for _ in range(permutations)]
    return float((1 + np.sum(np.asarray(permuted) >= observed)) / (1 + permutations))


def encoded_once(X):
    """A table as numbers for the baselines, encoded once (the encoding reads no labels
    at these few levels, so permuting labels after it is sound)."""
    if not isinstance(X, pd.DataFrame):
        return X
    return np.asarray(TableEncoder().fit_transform(X), dtype=float)


def run(
    kind: str, task: str, n: int, seed: int, permutations: int, alpha: float, skmi_only=False
) -> list:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    rows = []

    def add(method, p, seconds):
        null = (MARGINAL if kind == "marginal" else CONDITIONAL)[task]
        rows.append(
            {
                "kind": kind,
                "task": task,
                "null": null,
                "n": n,
                "seed": seed,
                "method": method,
                "p_value": p,
                "rejected": float(p <= alpha),
                "seconds": seconds,
            }
        )

    if kind == "marginal":
        X, y, _ = make_weak_task(task, n, random_state=seed)
        start = time.perf_counter()
        p = independence_test(X, y, n_permutations=permutations, random_state=seed).p_value
        add("skmi independence_test", p, time.perf_counter() - start)
        if skmi_only:
            return rows
        start = time.perf_counter()
        encoded = encoded_once(X)
        p = lr_marginal(encoded, y, permutations, seed)
        add("LR permutation test", p, time.perf_counter() - start)
        start = time.perf_counter()
        p = mic_marginal(encoded, y, permutations, seed)
        add("mutual_info_classif permuted", p, time.perf_counter() - start)
    else:
        X, Z, y, _ = conditional_task(task, n, seed)
        start = time.perf_counter()
        p = independence_test(X, y, given=Z, n_permutations=permutations, random_state=seed)
        add("skmi independence_test", p.p_value, time.perf_counter() - start)
        if skmi_only:
            return rows
        start = time.perf_counter()
        p = lr_global_conditional(encoded_once(X), encoded_once(Z), y, permutations, seed)
        add("LR, X permuted over all rows", p, time.perf_counter() - start)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[600, 3000])
    parser.add_argument("--null-seeds", type=int, default=20)
    parser.add_argument("--signal-seeds", type=int, default=10)
    parser.add_argument("--permutations", type=int, default=199)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skmi-only", action="store_true", help="skmi's test alone")
    parser.add_argument("--nulls-only", action="store_true", help="the null tasks alone")
    parser.add_argument("--out", default="docs/benchmarks/independence")
    args = parser.parse_args(argv)
    command, env = announce("independence.py", argv, threads="1 thread per job")
    start = time.perf_counter()
    runs = []
    for kind, tasks in (("marginal", MARGINAL), ("conditional", CONDITIONAL)):
        for task, null in tasks.items():
            if args.nulls_only and not null:
                continue
            seeds = args.null_seeds if null else args.signal_seeds
            runs += [(kind, task, n, s) for n, s in itertools.product(args.sizes, range(seeds))]
    rows = Parallel(n_jobs=args.jobs)(
        delayed(run)(*r, args.permutations, args.alpha, args.skmi_only) for r in runs
    )
    frame = pd.DataFrame([row for part in rows for row in part])
    table = (
        frame.groupby(["kind", "task", "null", "n", "method"], sort=False)
        .agg(runs=("seed", "size"), rejected=("rejected", "mean"), seconds=("seconds", "mean"))
        .reset_index()
    )
    overall = frame.groupby(["null", "kind", "method"], sort=False).rejected.mean().reset_index()
    lines = [
        "# Tests of independence: type-I error and power",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"Wall time: {(time.perf_counter() - start) / 60:.1f} min. alpha = {args.alpha}, "
        f"{args.permutations} permutations per test. 'rejected': the share of runs with "
        "p <= alpha (on a null task, the type-I error; on a signal, the power).",
        "",
        *table_section(
            "Rejection rate over all sizes (null: type-I error; else power)", overall, ".4f"
        ),
        *table_section("Per task, n and method", table, ".4f"),
    ]
    write_page(args.out, "independence.md", lines)
    frame.to_csv(Path(args.out) / "independence.csv", index=False)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
