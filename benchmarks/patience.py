"""estimate_mi's default network on large data: patience of 20 epochs vs ~5,000 steps.

At 10^6 rows an epoch is about 3,500 optimiser steps, so 20 epochs of early-stopping
patience train the network for 70,000 steps after its best epoch. skmi's default
candidates therefore cap the patience at about 5,000 steps (at least 3 epochs; unchanged
up to ~70,000 training rows). This benchmark runs estimate_mi with the default
candidates both ways on the same data, folds and seeds, and prints time and estimate
against the known truth.

Run: python benchmarks/patience.py [--n 3e5] [--tasks parity3 multimodal]
Writes docs/benchmarks/patience.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from skmi import default_estimators, estimate_mi
from skmi.datasets import make_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=float, default=3e5)
    parser.add_argument("--tasks", nargs="+", default=["parity3", "multimodal"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("patience.py", argv, threads="MIClassifier default (half the cores)")
    n = int(args.n)
    n_train = n - n // 5  # estimate_mi's default: 5 folds
    lines = [
        f"n = {n} rows, 5-fold cross-fitting (training folds of {n_train} rows)",
        "",
        "| task | truth | patience | estimate [95% CI] | error | models | time |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for task in args.tasks:
        X, y, truth = make_task(task, n, random_state=args.seed)
        for label, rows in (("20 epochs", None), ("capped", n_train)):
            candidates = default_estimators(random_state=args.seed, n_samples=rows)
            patience = candidates[0][-1].n_iter_no_change
            start = time.perf_counter()
            result = estimate_mi(X, y, estimator=candidates, random_state=args.seed)
            elapsed = time.perf_counter() - start
            low, high = result.ci
            models = ", ".join(f"{k} {v:.2f}" for k, v in result.weights.items())
            lines.append(
                f"| {task} | {truth:.4f} | {label} ({patience}) | {result.mi:.4f} "
                f"[{low:.4f}, {high:.4f}] | {result.mi - truth:+.4f} | {models} "
                f"| {elapsed:.0f} s |"
            )
            print(lines[-1], flush=True)
    header = [
        "# Early-stopping patience of estimate_mi's default network",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "Patience in epochs (in brackets); error = estimate - truth, in nats.",
        "",
    ]
    print(f"wrote {write_page(args.out, 'patience.md', header + lines)}")


if __name__ == "__main__":
    main()
