"""estimate_mi with MIClassifier's default ensemble as its network candidate.

estimate_mi's default network candidate is one standardised MLP (``SINGLE_NETWORK``),
whose networks of all folds train together as one batched network. This runs, on the
known-MI tasks of skmi.datasets, the same candidate lists twice with the same
random_state:

- ``single network``: ``default_estimators(...)`` as estimate_mi builds them;
- ``ensemble network``: the same list with the network candidate made the default
  ensemble (``n_members=4, num_embeddings="periodic", input_scaling="quantile"``; its
  other settings, early stopping, learning rate and batch, unchanged). Ensembles are
  fitted one fold at a time (the batched training takes single networks).

Prints and writes (``--out``) mi_ensemble.md: mean absolute error, CI coverage and
seconds per call, per n and per task.

Run: python benchmarks/mi_ensemble.py [--sizes 1000] [--seeds 2] [--jobs 2]
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

from skmi import default_estimators, estimate_mi
from skmi._candidates import training_rows_per_fold
from skmi.datasets import list_tasks, make_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, table_section, write_page

ENSEMBLE = {
    "miclassifier__n_members": 4,
    "miclassifier__num_embeddings": "periodic",
    "miclassifier__input_scaling": "quantile",
}


def run_one(task: str, n: int, seed: int) -> list[dict]:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y, truth = make_task(task, n, random_state=seed)
    _, y_index = np.unique(y, return_inverse=True)
    rows = []
    for variant in ("single network", "ensemble network"):
        candidates = default_estimators(
            random_state=seed,
            n_samples=training_rows_per_fold(5, X, y_index),
            n_classes=int(y_index.max()) + 1,
        )
        if variant == "ensemble network":
            candidates[0].set_params(**ENSEMBLE)
        start = time.perf_counter()
        result = estimate_mi(X, y, estimator=candidates, random_state=seed)
        rows.append(
            dict(
                task=task,
                n=n,
                seed=seed,
                variant=variant,
                truth=truth,
                estimate=result.mi,
                error=result.mi - truth,
                covered=result.ci[0] <= truth <= result.ci[1],
                seconds=time.perf_counter() - start,
            )
        )
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--tasks", nargs="+", default=list(list_tasks()))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("mi_ensemble.py", argv, threads=f"1 thread per job, {args.jobs} jobs")
    units = [(t, n, s) for n in args.sizes for t in args.tasks for s in range(args.seeds)]
    rows = []
    for new in Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run_one)(*unit) for unit in units
    ):
        rows += new
        for row in new:
            print(
                f"n={row['n']} {row['task']} seed {row['seed']} {row['variant']}: "
                f"error {row['error']:+.4f} ({row['seconds']:.0f}s)",
                flush=True,
            )
    frame = pd.DataFrame(rows)
    frame["abs_error"] = frame.error.abs()
    summary = frame.groupby(["n", "variant"]).agg(
        MAE=("abs_error", "mean"),
        coverage=("covered", "mean"),
        mean_seconds=("seconds", "mean"),
        max_seconds=("seconds", "max"),
    )
    per_task = frame.pivot_table(index="task", columns=["n", "variant"], values="abs_error")
    lines = [
        "# estimate_mi with the ensemble as its network candidate",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"{args.seeds} seed(s) per task and n; errors in nats; coverage of the 95 % interval.",
        "",
        *table_section("Summary", summary, ".4f"),
        *table_section("Mean absolute error per task", per_task, ".4f"),
    ]
    page = write_page(args.out, "mi_ensemble.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")


if __name__ == "__main__":
    main()
