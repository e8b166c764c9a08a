"""estimate_mi with its networks trained together (one batched network) or one at a time.

For each known-MI task x size x seed, on the same data and the same random_state:

- ``batched``: ``estimate_mi(X, y, batch_networks=True)`` (the default where memory allows);
- ``one at a time``: ``estimate_mi(X, y, batch_networks=False)``;
- ``one at a time, reseeded``: the same with ``random_state`` + 1000, to show the size of
  seed-level noise: the batched estimate should differ from the one-at-a-time one by no
  more than a new seed does.

Prints and writes (``--out``, default docs/benchmarks) together.md and together.csv:
seconds of each call, the estimates and their errors, and the differences.

Run: python benchmarks/together.py [--sizes 300 1000] [--large-size 10000]
[--large-tasks ...] [--seeds 1] [--jobs 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed

from skmi import default_estimators, estimate_mi
from skmi.datasets import list_tasks, make_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

RESEED = 1000


def _one(task, n, seed, device):
    torch.set_num_threads(1)
    X, y, truth = make_task(task, n, random_state=seed)
    row = {"task": task, "n": n, "seed": seed, "truth": truth}
    for name, batched, state in (
        ("batched", True, seed),
        ("alone", False, seed),
        ("reseeded", False, seed + RESEED),
    ):
        estimator = None
        if device != "cpu":
            n_train = n - n // 5
            estimator = default_estimators(
                random_state=state, n_samples=n_train, n_classes=len(np.unique(y))
            )
            estimator[0].set_params(miclassifier__device=device)
        start = time.perf_counter()
        result = estimate_mi(X, y, estimator=estimator, random_state=state, batch_networks=batched)
        row[f"{name}_s"] = time.perf_counter() - start
        row[f"{name}_mi"] = result.mi
        row[f"{name}_covers"] = result.ci[0] <= truth <= result.ci[1]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--large-size", type=int, default=10000)
    parser.add_argument(
        "--large-tasks",
        nargs="*",
        default=["gaussian_binary", "gaussian_20_classes", "near_deterministic", "parity3"],
    )
    parser.add_argument("--tasks", nargs="*", default=None)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("together.py", argv, threads="1 thread per job")
    tasks = args.tasks or list_tasks()
    cases = [(t, n, s) for n in args.sizes for t in tasks for s in range(args.seeds)]
    if args.large_size:
        cases += [(t, args.large_size, s) for t in args.large_tasks for s in range(args.seeds)]
    rows = Parallel(n_jobs=args.jobs)(delayed(_one)(t, n, s, args.device) for t, n, s in cases)
    table = pd.DataFrame(rows)
    table["batched_vs_alone"] = (table.batched_mi - table.alone_mi).abs()
    table["reseeded_vs_alone"] = (table.reseeded_mi - table.alone_mi).abs()
    summary = table.groupby("n").apply(
        lambda g: pd.Series(
            {
                "calls": len(g),
                "batched s (mean)": g.batched_s.mean(),
                "one at a time s (mean)": g.alone_s.mean(),
                "speed-up (ratio of sums)": g.alone_s.sum() / g.batched_s.sum(),
                "slowest batched s": g.batched_s.max(),
                "batched MAE": (g.batched_mi - g.truth).abs().mean(),
                "one at a time MAE": (g.alone_mi - g.truth).abs().mean(),
                "mean |batched - one at a time|": g.batched_vs_alone.mean(),
                "mean |reseeded - one at a time|": g.reseeded_vs_alone.mean(),
                "batched CI coverage": g.batched_covers.mean(),
                "one at a time CI coverage": g.alone_covers.mean(),
            }
        ),
        include_groups=False,
    )
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "together.csv", index=False, float_format="%.5f")
    lines = [
        "# estimate_mi: networks trained together or one at a time",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}; device {args.device}.",
        "",
        "Same data and random_state for `batched` and `one at a time`; `reseeded` is the "
        f"one-at-a-time call with random_state + {RESEED}: the size of seed-level noise.",
        "",
        summary.to_markdown(floatfmt=".4f"),
        "",
        "## Every call",
        "",
        table.to_markdown(index=False, floatfmt=".4f"),
    ]
    page = write_page(out, "together.md", lines)
    print(f"wrote {page}")


if __name__ == "__main__":
    main()
