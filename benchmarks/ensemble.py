"""MIClassifier as an ensemble (n_members) against one network and balanced forests.

On the six tabular sets of benchmarks/imbalanced.py, the same outer stratified folds for
every method, no tuning for any (each method with its defaults: the same, zero, tuning
budget):

- ``MIClassifier`` (one network) and ``MIClassifier(n_members=k)`` for each ``--members``;
- ``"MIClassifier default"``: ``MIClassifier()`` as a user gets it;
- imbalanced-learn's ``BalancedRandomForestClassifier`` (100 trees), scikit-learn's
  ``HistGradientBoostingClassifier(class_weight="balanced")``,
  ``BalancedBaggingClassifier`` (30 trees) and a balanced logistic regression, built by
  benchmarks/imbalanced.py's ``bar_method`` (without its grids).

Reports balanced accuracy, G-mean, the MIScorer reading on the held-out fold (networks
only) and fit seconds (one torch thread). Writes ensemble.md and ensemble.csv to --out.

With ``--embeddings`` also one network and the largest ensemble with periodic numerical
embeddings (``num_embeddings="periodic"``). ``--methods`` names the methods instead,
e.g. ``"MIClassifier n_members=4 quantile periodic"`` (``quantile``:
``input_scaling="quantile"``).

Run: python benchmarks/ensemble.py [--members 4 8] [--embeddings] [--folds 3] [--seeds 1]
[--jobs 2] [--datasets ...]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from imblearn.metrics import geometric_mean_score
from joblib import Parallel, delayed
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from skmi import MIClassifier, MIScorer

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from _imbalanced_data import TABULAR, load_tabular
from imbalanced import bar_method


def make_method(name: str, seed: int):
    if name == "MIClassifier default":  # what MIClassifier() gives a user today
        return MIClassifier(random_state=seed)
    if name == "HistGradientBoosting balanced":
        return HistGradientBoostingClassifier(class_weight="balanced", random_state=seed)
    if name.startswith("MIClassifier"):
        # "MIClassifier[ n_members=k][ dropout=p][ quantile][ periodic]"
        words = name.split()
        given = dict(w.split("=") for w in words if "=" in w)
        return MIClassifier(
            n_members=int(given.get("n_members", 1)),
            dropout=float(given.get("dropout", 0.1)),
            num_embeddings="periodic" if "periodic" in words else None,
            input_scaling="quantile" if "quantile" in words else "standard",
            random_state=seed,
            num_threads=1,
        )
    return bar_method(name, seed)[0]  # the forests and LR of imbalanced.py, untuned


def evaluate(table, name, fold, seed, train, test):
    torch.set_num_threads(1)
    X, y = load_tabular(table)
    model = make_method(name, seed)
    start = time.perf_counter()
    # one thread in every native pool for every method, the forests' OpenMP too
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        model.fit(X[train], y[train])
    seconds = time.perf_counter() - start
    pred = model.predict(X[test])
    mi = MIScorer()(model, X[test], y[test]) if name.startswith("MIClassifier") else np.nan
    return {
        "table": table,
        "method": name,
        "fold": fold,
        "seed": seed,
        "balanced_accuracy": balanced_accuracy_score(y[test], pred),
        # the geometric mean of the per-class recalls (binary: sqrt(TPR * TNR))
        "g_mean": geometric_mean_score(y[test], pred, average="multiclass"),
        "mi_nats": mi,
        "fit_seconds": seconds,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[4, 8])
    parser.add_argument(
        "--embeddings",
        action="store_true",
        help="also one network and the largest ensemble with periodic numerical embeddings",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        help="instead of the list above: names such as 'MIClassifier n_members=4 quantile "
        "periodic' and the bar's 'BalancedRandomForest', 'BalancedBagging', "
        "'LogisticRegression balanced'",
    )
    parser.add_argument("--datasets", nargs="+", default=list(TABULAR))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("ensemble.py", argv, threads=f"1 thread per job, {args.jobs} jobs")
    methods = [
        "MIClassifier",
        *(f"MIClassifier n_members={k}" for k in args.members),
        *(
            ["MIClassifier periodic", f"MIClassifier n_members={max(args.members)} periodic"]
            if args.embeddings
            else []
        ),
        "BalancedRandomForest",
        "BalancedBagging",
        "LogisticRegression balanced",
    ]
    methods = args.methods or methods
    jobs = []
    for table in args.datasets:
        _, y = load_tabular(table)
        for seed in range(args.seeds):
            folds = StratifiedKFold(args.folds, shuffle=True, random_state=seed)
            for fold, (train, test) in enumerate(folds.split(np.zeros(len(y)), y)):
                jobs += [(table, m, fold, seed, train, test) for m in methods]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    results = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(evaluate)(*job) for job in jobs
    )
    for row in results:  # written as they come, so a stopped run keeps what it did
        rows.append(row)
        pd.DataFrame(rows).to_csv(out / "ensemble.csv", index=False)
        print(
            f"{len(rows)}/{len(jobs)} {row['table']} {row['method']} fold {row['fold']}: "
            f"bacc {row['balanced_accuracy']:.3f} ({row['fit_seconds']:.0f}s)",
            flush=True,
        )
    frame = pd.DataFrame(rows)
    per_table = frame.pivot_table(
        index="method", columns="table", values="balanced_accuracy", aggfunc="mean"
    ).reindex(methods)
    per_table["mean"] = per_table.mean(axis=1)
    summary = frame.groupby("method")[["balanced_accuracy", "g_mean", "mi_nats", "fit_seconds"]]
    summary = summary.mean().reindex(methods)
    mi = frame.pivot_table(index="method", columns="table", values="mi_nats", aggfunc="mean")
    seconds = frame.pivot_table(
        index="method", columns="table", values="fit_seconds", aggfunc="mean"
    ).reindex(methods)
    text = [
        "# MIClassifier ensembles against one network and balanced forests",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"{args.folds}-fold outer CV, {args.seeds} seed(s), no tuning for any method.",
        "",
        "## Balanced accuracy per table (mean over folds)",
        "",
        per_table.to_markdown(floatfmt=".3f"),
        "",
        "## Means over tables and folds",
        "",
        summary.to_markdown(floatfmt=".3f"),
        "",
        "## MIScorer reading on the held-out folds (nats, networks only)",
        "",
        mi.dropna(how="all").to_markdown(floatfmt=".4f"),
        "",
        "## Fit seconds per table (mean over folds, one torch thread)",
        "",
        seconds.to_markdown(floatfmt=".1f"),
    ]
    page = write_page(out, "ensemble.md", text)
    print("\n".join(text))
    print(f"wrote {page}")


if __name__ == "__main__":
    main()
