"""How accurate is skmi's MI estimate? Every task of skmi.datasets x seeds x sizes.

Estimators, all on the same draw of each (task, seed, n):

- ``skmi``: ``estimate_mi(X, y)`` with its defaults (5-fold cross-fitting, per-fold choice
  between an MIClassifier and a logistic regression, extrapolation from half the data);
- ``MIClassifier tau=0, paper reading``: plain-softmax networks cross-fitted on the same
  5 folds, read the way the paper's code does: mean log softmax + log K;
- ``MIClassifier tau=0, training prior``: the same networks, read as
  mean [log softmax_y - log pi_y] (what MIScorer does);
- ``LogisticRegression`` and ``MLPClassifier``: H(Y) - 5-fold cross-validated log-loss;
- ``mutual_info_classif summed``: scikit-learn's per-feature estimates, added up;
- ``kNN joint (Ross 2014)``: the multivariate k-nearest-neighbour estimator, k=3.

Run: python benchmarks/mi_accuracy.py [--sizes 1000 10000] [--seeds 3] [--tasks ...]
Writes mi_accuracy.md, mi_accuracy.csv and mi_accuracy.png to --out (default
docs/benchmarks).
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
from scipy.special import log_softmax
from sklearn.feature_selection import mutual_info_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmi import MIClassifier, estimate_mi
from skmi.datasets import list_tasks, make_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce
from _knn_mi import knn_mutual_info

torch.set_num_threads(1)


def cross_fitted_plain_softmax(X, y, seed):
    """Out-of-fold raw logits of tau=0 networks (same folds for both readings)."""
    labels, y_index = np.unique(y, return_inverse=True)
    logits = np.zeros((len(y), len(labels)))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    for train, test in folds.split(X, y_index):
        net = MIClassifier(tau=0.0, early_stopping=True, dropout=0.0, random_state=seed)
        net.fit(X[train], y_index[train])
        raw = net.decision_function(X[test])
        logits[test] = np.column_stack([np.zeros_like(raw), raw]) if raw.ndim == 1 else raw
    log_q = log_softmax(logits, axis=1)[np.arange(len(y)), y_index]
    prior = np.bincount(y_index) / len(y)
    paper = log_q + np.log(len(labels))
    training_prior = log_q - np.log(prior[y_index])
    return paper, training_prior


def with_ci(values):
    values = np.asarray(values)
    se = values.std(ddof=1) / np.sqrt(len(values))
    return values.mean(), values.mean() - 1.96 * se, values.mean() + 1.96 * se


def run_one(name, n, seed):
    X, y, truth = make_task(name, n, random_state=seed)
    rows = []

    def record(estimator, start, value, low=np.nan, high=np.nan):
        rows.append(
            dict(
                task=name,
                n=n,
                seed=seed,
                estimator=estimator,
                truth=truth,
                estimate=value,
                ci_low=low,
                ci_high=high,
                seconds=time.perf_counter() - start,
            )
        )

    start = time.perf_counter()
    result = estimate_mi(X, y, random_state=seed)
    record("skmi estimate_mi", start, result.mi, *result.ci)

    start = time.perf_counter()
    paper, training_prior = cross_fitted_plain_softmax(X, y, seed)
    elapsed = time.perf_counter() - start
    for label, values in (
        ("MIClassifier tau=0, paper reading", paper),
        ("MIClassifier tau=0, training prior", training_prior),
    ):
        value, low, high = with_ci(values)
        rows.append(
            dict(
                task=name,
                n=n,
                seed=seed,
                estimator=label,
                truth=truth,
                estimate=value,
                ci_low=low,
                ci_high=high,
                seconds=elapsed,
            )
        )

    for label, model in (
        (
            "LogisticRegression (H - CV log-loss)",
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        ),
        (
            "MLPClassifier (H - CV log-loss)",
            make_pipeline(
                StandardScaler(),
                MLPClassifier(early_stopping=True, max_iter=300, random_state=seed),
            ),
        ),
    ):
        start = time.perf_counter()
        res = estimate_mi(X, y, estimator=model, extrapolate=False, random_state=seed)
        record(label, start, res.mi, *res.ci)

    start = time.perf_counter()
    record(
        "mutual_info_classif summed",
        start,
        float(mutual_info_classif(X, y, random_state=seed).sum()),
    )
    start = time.perf_counter()
    record("kNN joint (Ross 2014)", start, knn_mutual_info(X, y))
    return rows


def summarise(frame):
    frame = frame.assign(error=frame.estimate - frame.truth)
    covered = (frame.ci_low <= frame.truth) & (frame.truth <= frame.ci_high)
    frame["covered"] = covered.astype(float).where(frame.ci_low.notna())
    summary = frame.groupby(["n", "estimator"], sort=False).agg(
        bias=("error", "mean"),
        mae=("error", lambda e: e.abs().mean()),
        worst_task_mae=("error", lambda e: np.nan),
        coverage=("covered", "mean"),
        seconds=("seconds", "mean"),
    )
    per_task = frame.groupby(["n", "estimator", "task"]).error.apply(lambda e: e.abs().mean())
    summary["worst_task_mae"] = per_task.groupby(level=[0, 1]).max()
    return frame, summary, per_task


def markdown(frame, summary, per_task, command, env):
    lines = ["# MI accuracy benchmark", "", f"Command: `{command}`", "", f"Environment: {env}", ""]
    lines += [
        "Errors in nats (estimate - truth), over every task and seed. Coverage: share of "
        "(task, seed) pairs whose 95 % CI contains the truth (estimators with a CI).",
        "",
    ]
    lines += [
        "| n | estimator | bias | MAE | worst task MAE | CI coverage | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for (n, est), row in summary.iterrows():
        cov = "—" if np.isnan(row.coverage) else f"{row.coverage:.0%}"
        lines.append(
            f"| {n:,} | {est} | {row.bias:+.4f} | {row.mae:.4f} | "
            f"{row.worst_task_mae:.4f} | {cov} | {row.seconds:.1f} |"
        )
    for n in sorted(frame.n.unique()):
        table = per_task.loc[n].unstack(level=0)
        lines += ["", f"## Mean absolute error per task, n = {n:,}", ""]
        names = list(table.columns)
        lines.append("| task | truth | " + " | ".join(names) + " |")
        lines.append("|---|---|" + "---|" * len(names))
        truths = frame[frame.n == n].groupby("task").truth.first()
        for task in table.index:
            cells = " | ".join(f"{table.loc[task, c]:.4f}" for c in names)
            lines.append(f"| {task} | {truths[task]:.4f} | {cells} |")
    return "\n".join(lines) + "\n"


def plot(frame, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(frame.n.unique())
    estimators = list(dict.fromkeys(frame.estimator))
    fig, axes = plt.subplots(1, len(sizes), figsize=(6.5 * len(sizes), 6), squeeze=False)
    for ax, n in zip(axes[0], sizes, strict=True):
        sub = frame[frame.n == n]
        for est in estimators:
            part = sub[sub.estimator == est]
            ax.scatter(part.truth, part.estimate, s=14, alpha=0.7, label=est)
        top = max(sub.truth.max(), 1.5)
        ax.plot([0, top], [0, top], "k--", lw=1)
        ax.set_ylim(-0.1, top * 1.6)
        ax.set_xlabel("true I(X;Y), nats")
        ax.set_ylabel("estimate, nats")
        ax.set_title(f"n = {n:,}")
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=list(list_tasks()))
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    command, env = announce("mi_accuracy.py", argv)
    rows = []
    for n in args.sizes:
        for name in args.tasks:
            for seed in range(args.seeds):
                new = run_one(name, n, seed)
                rows += new
                est = {r["estimator"]: r["estimate"] for r in new}
                print(
                    f"n={n:>6} {name:<22} seed {seed} truth {new[0]['truth']:.4f} "
                    f"skmi {est['skmi estimate_mi']:.4f} ({new[0]['seconds']:.0f}s)",
                    flush=True,
                )
    frame, summary, per_task = summarise(pd.DataFrame(rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "mi_accuracy.csv", index=False)
    text = markdown(frame, summary, per_task, command, env)
    (out / "mi_accuracy.md").write_text(text)
    plot(frame, out / "mi_accuracy.png")
    print(text)


if __name__ == "__main__":
    main()
