"""Conditional MI I(X; Y | Z) against known truth (issue 25).

The five tasks of ``skmi.datasets.CONDITIONAL_TASKS`` (exact truths), at each
``--sizes`` n and ``--seeds`` seeds. Methods:

- skmi ``estimate_mi(X, y, given=Z)``: the chain rule on the same folds, rows and seeds,
  the interval from paired per-sample differences;
- two independent ``estimate_mi`` calls (what a user can do without ``given``): the
  joint reading minus Z's, each with its own seed; the interval is the difference of the
  two intervals, ``[low_joint - high_Z, high_joint - low_Z]``;
- the kNN chain rule (Ross 2014, ``benchmarks/_knn_mi.py``): kNN(X, Z) - kNN(Z);
- the logistic-regression chain rule: H(Y) - 5-fold log-loss, of (X, Z) minus of Z.

Reports MAE, coverage of the 95 % interval, mean interval width, readings below 0, and
seconds. Writes cmi_accuracy.md and cmi_accuracy.csv to --out.

Run: python benchmarks/cmi_accuracy.py [--sizes 500 2000 10000] [--seeds 5] [--jobs 2]
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
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from skmi import estimate_mi
from skmi.datasets import CONDITIONAL_TASKS, make_conditional_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from _knn_mi import knn_mutual_info


def lr_reading(X, y, seed) -> float:
    proba = cross_val_predict(
        LogisticRegression(max_iter=2000),
        X,
        y,
        cv=StratifiedKFold(5, shuffle=True, random_state=seed),
        method="predict_proba",
    )
    counts = np.bincount(y) / len(y)
    entropy = -np.sum(counts * np.log(counts))
    return float(entropy + np.mean(np.log(np.clip(proba[np.arange(len(y)), y], 1e-15, 1))))


def run(task: str, n: int, seed: int) -> list[dict]:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, Z, y, truth = make_conditional_task(task, n, random_state=seed)
    XZ = np.hstack([X, Z])
    rows = []

    def add(method, value, ci, seconds):
        rows.append(
            {
                "task": task,
                "n": n,
                "seed": seed,
                "method": method,
                "truth": truth,
                "estimate": value,
                "ci_low": ci[0],
                "ci_high": ci[1],
                "seconds": seconds,
            }
        )

    start = time.perf_counter()
    paired = estimate_mi(X, y, given=Z, random_state=seed)
    add("skmi given=Z (paired)", paired.mi, paired.ci, time.perf_counter() - start)
    start = time.perf_counter()
    joint = estimate_mi(XZ, y, random_state=seed)
    alone = estimate_mi(Z, y, random_state=seed + 1000)
    add(
        "two independent estimate_mi calls",
        joint.mi - alone.mi,
        (joint.ci[0] - alone.ci[1], joint.ci[1] - alone.ci[0]),
        time.perf_counter() - start,
    )
    start = time.perf_counter()
    knn = knn_mutual_info(XZ, y) - knn_mutual_info(Z, y)
    add("kNN chain (Ross 2014)", knn, (np.nan, np.nan), time.perf_counter() - start)
    start = time.perf_counter()
    lr = lr_reading(XZ, y, seed) - lr_reading(Z, y, seed)
    add("logistic-regression chain", lr, (np.nan, np.nan), time.perf_counter() - start)
    print(f"{task} n={n} seed={seed}: done", flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="docs/benchmarks/cmi_accuracy")
    args = parser.parse_args(argv)
    command, env = announce("cmi_accuracy.py", argv, threads="1 thread per job")
    start = time.perf_counter()
    jobs = itertools.product(CONDITIONAL_TASKS, args.sizes, range(args.seeds))
    parts = Parallel(n_jobs=args.jobs)(delayed(run)(t, n, s) for t, n, s in jobs)
    frame = pd.DataFrame([row for part in parts for row in part])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame["error"] = frame.estimate - frame.truth
    covered = (frame.ci_low <= frame.truth) & (frame.truth <= frame.ci_high)
    frame["covered"] = covered.astype(float).where(frame.ci_low.notna())
    frame["width"] = frame.ci_high - frame.ci_low
    frame.to_csv(out / "cmi_accuracy.csv", index=False)
    summary = (
        frame.assign(abs_error=frame.error.abs(), negative=frame.estimate < 0)
        .groupby(["n", "method"], sort=False)
        .agg(
            MAE=("abs_error", "mean"),
            coverage=("covered", "mean"),
            mean_width=("width", "mean"),
            below_zero=("negative", "sum"),
            runs=("estimate", "size"),
            seconds=("seconds", "mean"),
        )
        .reset_index()
    )
    per_task = frame.assign(abs_error=frame.error.abs()).pivot_table(
        index=["n", "task"], columns="method", values="abs_error", aggfunc="mean"
    )
    # the interval's width per task: pairing cancels what the two terms share, so it
    # narrows the interval where Z says something about y, and not where I(Z;Y) = 0
    widths = frame[frame.ci_low.notna()].pivot_table(
        index=["n", "task"], columns="method", values="width", aggfunc="mean"
    )
    widths["paired / independent"] = (
        widths["skmi given=Z (paired)"] / widths["two independent estimate_mi calls"]
    )
    wall = (time.perf_counter() - start) / 60
    lines = [
        "# Conditional MI against known truth",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"Wall time: {wall:.1f} min. {len(CONDITIONAL_TASKS)} tasks x {args.seeds} seeds "
        "per n; nats.",
        "",
        summary.to_markdown(index=False, floatfmt=".4f"),
        "",
        "## Mean absolute error per task",
        "",
        per_task.to_markdown(floatfmt=".4f"),
        "",
        "## Mean interval width per task",
        "",
        widths.to_markdown(floatfmt=".4f"),
    ]
    page = write_page(out, "cmi_accuracy.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
