"""What the quantile transforms cost in estimate_mi, and what sharing them saves.

estimate_mi's default candidates (the network, the logistic regressions, the shrunk LDA)
each start with the same quantile transform to normal scores. This prints:

1. scikit-learn's ``QuantileTransformer`` against skmi's ``_NormalScores`` (its batched
   torch search) on ``--rows`` x 50: seconds per transform, and whether the outputs are
   equal bit for bit;
2. per ``--sizes`` n (load.py's data: 50 normal features, y = [x1 + x2 + noise > 0]):
   estimate_mi with the candidates of a split sharing one transform per row set (the
   default) and with each candidate transforming for itself (the earlier behaviour,
   restored by switching the sharing off): seconds, rows transformed, and the estimates
   (which must be equal).

Run: python benchmarks/shared_inputs.py [--rows 240000] [--sizes 3000 30000 100000]
[--threads 1] [--out docs/benchmarks]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from sklearn.preprocessing import QuantileTransformer
from threadpoolctl import threadpool_limits

from skmi import _crossfit, estimate_mi
from skmi._candidates import _NormalScores

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page


def load_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 50)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] + rng.normal(size=n) > 0).astype(int)
    return X, y


def time_transforms(rows: int, reps: int = 3) -> dict:
    X, _ = load_data(rows)
    X[:, 1] = np.round(X[:, 1])  # ties
    theirs = QuantileTransformer(output_distribution="normal", random_state=0).fit(X)
    ours = _NormalScores(output_distribution="normal", random_state=0).fit(X)
    timings = {}
    for name, transformer in (("scikit-learn", theirs), ("skmi", ours)):
        seconds = []
        for _ in range(reps):
            start = time.perf_counter()
            out = transformer.transform(X)
            seconds.append(time.perf_counter() - start)
        timings[name] = (min(seconds), out)
    equal = np.array_equal(timings["scikit-learn"][1], timings["skmi"][1], equal_nan=True)
    return {
        "rows": rows,
        "scikit-learn s": timings["scikit-learn"][0],
        "skmi s": timings["skmi"][0],
        "equal": equal,
    }


def time_estimate(n: int, shared: bool) -> dict:
    X, y = load_data(n)
    rows = []
    original = _NormalScores.transform

    def counted(self, Z):
        rows.append(len(Z))
        return original(self, Z)

    patches = [mock.patch.object(_NormalScores, "transform", counted)]
    if not shared:
        patches.append(mock.patch.object(_crossfit, "_shared_step", lambda model: None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for patch in patches:
            patch.start()
        try:
            start = time.perf_counter()
            result = estimate_mi(X, y, random_state=0)
            seconds = time.perf_counter() - start
        finally:
            for patch in patches:
                patch.stop()
    return {"seconds": seconds, "rows": sum(rows), "mi": result.mi, "ci": result.ci}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=240_000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[3000, 30000, 100000])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="folder for shared_inputs.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    command, env = announce("shared_inputs.py", argv, threads=f"{args.threads} thread(s)")

    t = time_transforms(args.rows)
    lines = [
        "# Quantile transforms in estimate_mi",
        "",
        f"`{command}`",
        "",
        env,
        "",
        f"## One transform of {t['rows']:,} x 50 (float32, one column with ties)",
        "",
        "| scikit-learn QuantileTransformer | skmi _NormalScores | equal bit for bit |",
        "|---|---|---|",
        f"| {t['scikit-learn s']:.2f} s | {t['skmi s']:.2f} s | {t['equal']} |",
        "",
        "## estimate_mi, default candidates",
        "",
        "| n | shared: s | shared: rows transformed | each its own: s | each its own: rows "
        "transformed | speed-up | estimates equal |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines[-10:-5]), flush=True)
    for n in args.sizes:
        shared = time_estimate(n, shared=True)
        alone = time_estimate(n, shared=False)
        equal = shared["mi"] == alone["mi"] and shared["ci"] == alone["ci"]
        line = (
            f"| {n:,} | {shared['seconds']:.1f} | {shared['rows']:,} | {alone['seconds']:.1f} | "
            f"{alone['rows']:,} | {alone['seconds'] / shared['seconds']:.2f}x | {equal} |"
        )
        lines.append(line)
        print(line, f"(mi {shared['mi']:.4f})", flush=True)
    if args.out:
        page = write_page(args.out, "shared_inputs.md", lines)
        print(f"wrote {page}")


if __name__ == "__main__":
    main()
