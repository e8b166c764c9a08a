"""Intervals near 0: false detections on null tasks and coverage of weak signals.

The tasks of ``benchmarks/_weak_tasks.py``: two with no information (an array and a
DataFrame with text and empty cells) and six with 0.005 to 0.05 nats (a shift of one
feature, three classes on a circle, a noisy XOR), at each ``--sizes`` n and ``--seeds``
seeds. One ``estimate_mi`` call per run, its defaults. Reports, per task and n: the
share of intervals that cover the truth, detections (the interval's low end above 0:
false on the null tasks), intervals of zero width, the mean top and width, the MAE.
Writes weak_signals.md and weak_signals.csv to --out.

Run: python benchmarks/weak_signals.py [--sizes 600 3000 10000] [--seeds 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import torch
from joblib import Parallel, delayed

from skmi import estimate_mi

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, table_section, write_page
from _weak_tasks import NULL_TASKS, WEAK_TASKS, make_weak_task


def run(task: str, n: int, seed: int) -> dict:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y, truth = make_weak_task(task, n, random_state=seed)
    start = time.perf_counter()
    result = estimate_mi(X, y, random_state=seed)
    low, high = result.ci
    return {
        "task": task,
        "n": n,
        "seed": seed,
        "truth": truth,
        "estimate": result.mi,
        "ci_low": low,
        "ci_high": high,
        "covered": float(low <= truth <= high),
        "detected": float(low > 0),
        "zero_width": float(high - low <= 1e-12),
        "prior_weight": result.weights["prior"],
        "seconds": time.perf_counter() - start,
    }


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    grouped = frame.assign(
        abs_error=(frame.estimate - frame.truth).abs(), width=frame.ci_high - frame.ci_low
    ).groupby(["task", "n"], sort=False)
    return grouped.agg(
        truth=("truth", "first"),
        runs=("seed", "size"),
        coverage=("covered", "mean"),
        detected=("detected", "mean"),
        zero_width=("zero_width", "sum"),
        mean_top=("ci_high", "mean"),
        mean_width=("width", "mean"),
        MAE=("abs_error", "mean"),
        seconds=("seconds", "mean"),
    ).reset_index()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[600, 3000, 10000])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tasks", nargs="+", default=[*NULL_TASKS, *WEAK_TASKS])
    parser.add_argument("--out", default="docs/benchmarks/weak_signals")
    args = parser.parse_args(argv)
    command, env = announce("weak_signals.py", argv, threads="1 thread per job")
    start = time.perf_counter()
    runs = itertools.product(args.tasks, args.sizes, range(args.seeds))
    rows = Parallel(n_jobs=args.jobs)(delayed(run)(*r) for r in runs)
    frame = pd.DataFrame(rows)
    table = summary(frame)
    nulls = frame[frame.truth == 0]
    weak = frame[frame.truth > 0]
    lines = [
        "# Intervals near 0: null tasks and weak signals",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"Wall time: {(time.perf_counter() - start) / 60:.1f} min. {args.seeds} seeds per "
        "task and n; estimate_mi with its defaults; nats. Detected: the interval's low end "
        "above 0 (on a null task, a false detection).",
        "",
        f"**False detections on the null tasks: {int(nulls.detected.sum())} of "
        f"{len(nulls)} ({nulls.detected.mean():.4f}). Coverage of the weak signals: "
        f"{weak.covered.mean():.4f} ({int(weak.covered.sum())} of {len(weak)}). Intervals "
        f"of zero width: {int(frame.zero_width.sum())} of {len(frame)}.**",
        "",
        "Coverage of the weak signals per n: "
        + ", ".join(f"n = {n:,}: {c:.4f}" for n, c in weak.groupby("n").covered.mean().items())
        + ".",
        "",
        *table_section("Per task and n", table, ".4f"),
    ]
    write_page(args.out, "weak_signals.md", lines)
    frame.to_csv(Path(args.out) / "weak_signals.csv", index=False)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
