"""What reading features costs (issue 25): one estimate_mi call against feature_information
and MIFeatureSelector on 3,000 rows x 16 columns (an XOR pair, a column and its copy, 12
noise columns), the default candidates, one torch thread, every column set refitted (reader="refit"; the masked reader is
timed by wide_tables.py); with the networks of all
readings trained in one batched stack (on) and each network trained alone (off), with
n_jobs=1 and 2.

Run: python benchmarks/features_cost.py [--out docs/benchmarks/features_cost]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from skmi import MIFeatureSelector, estimate_mi, feature_information

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

# the targets, in multiples of one estimate_mi call (and seconds for the selector)
FEATURES_TARGET, SELECTOR_TARGET, SELECTOR_SECONDS = 5, 15, 120


def task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 16))
    y = (((X[:, 0] > 0) ^ (X[:, 1] > 0)) | (X[:, 2] > 0.8)).astype(int)
    X[:, 3] = X[:, 2] + 0.05 * rng.normal(size=3000)
    return X, y


def timed(function):
    start = time.perf_counter()
    out = function()
    return out, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/benchmarks/features_cost")
    args = parser.parse_args(argv)
    command, env = announce("features_cost.py", argv)
    torch.set_num_threads(1)
    X, y = task()
    # one call's time varies between runs on this shared machine: the median of three
    # calls (the same call) is the unit
    ones = [timed(lambda: estimate_mi(X, y, random_state=0))[1] for _ in range(3)]
    one = float(np.median(ones))
    print(f"estimate_mi: {', '.join(f'{t:.1f}' for t in ones)} s", flush=True)
    rows = []
    info = None
    for batched, n_jobs in (("auto", 1), (False, 1), ("auto", 2)):
        result, seconds = timed(
            lambda b=batched, j=n_jobs: feature_information(
                X, y, random_state=0, batch_networks=b, n_jobs=j, reader="refit"
            )
        )
        info = info or result
        rows.append(("feature_information", batched, n_jobs, seconds, "", ""))
        print(rows[-1], flush=True)
        selector, seconds = timed(
            lambda b=batched, j=n_jobs: MIFeatureSelector(
                random_state=0, batch_networks=b, n_jobs=j, reader="refit"
            ).fit(X, y)
        )
        kept = ", ".join(f"x{j}" for j in np.flatnonzero(selector.support_))
        ranked = sum(step["ranked"] for step in selector.mi_path_)
        rows.append(("MIFeatureSelector", batched, n_jobs, seconds, kept, ranked))
        print(rows[-1], flush=True)
    lines = [
        "# What reading features costs",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "3,000 rows x 16 columns (x0, x1: an XOR pair; x2 and its copy x3; 12 noise "
        "columns), default candidates, one torch thread. Batched: the networks of every "
        "reading, fold and size trained as one stack (on an array every reading's network "
        "sees all columns, the others set to 0) ('auto'), or each network alone (False).",
        "",
        f"One estimate_mi call: {one:.1f} s (the median of three: "
        f"{', '.join(f'{t:.1f}' for t in ones)} s).",
        "",
        "| call | batched | n_jobs | seconds | x one call | kept | ranked steps |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, batched, n_jobs, seconds, kept, ranked in rows:
        lines.append(
            f"| {name} | {batched} | {n_jobs} | {seconds:.1f} | {seconds / one:.1f} "
            f"| {kept} | {ranked} |"
        )
    lines += [
        "",
        f"Targets: feature_information {FEATURES_TARGET}x one call; MIFeatureSelector "
        f"{SELECTOR_TARGET}x one call and {SELECTOR_SECONDS} s.",
        "",
        "feature_information (batched, n_jobs=1), the six largest unique readings:",
        "",
        info.to_frame().head(6).to_markdown(index=False, floatfmt=".4f"),
    ]
    page = write_page(args.out, "features_cost.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
