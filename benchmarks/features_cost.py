"""What reading features costs (issue 25): one estimate_mi call against feature_information
on 3,000 rows x 16 columns (an XOR pair, a column and its copy, 12 noise columns), the
default candidates, one torch thread, ``n_jobs=1``.

Run: python benchmarks/features_cost.py [--out docs/benchmarks/features_cost]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from skmi import estimate_mi, feature_information

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/benchmarks/features_cost")
    args = parser.parse_args(argv)
    command, env = announce("features_cost.py", argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 16))
    y = (((X[:, 0] > 0) ^ (X[:, 1] > 0)) | (X[:, 2] > 0.8)).astype(int)
    X[:, 3] = X[:, 2] + 0.05 * rng.normal(size=3000)
    start = time.perf_counter()
    estimate_mi(X, y, random_state=0)
    one = time.perf_counter() - start
    start = time.perf_counter()
    info = feature_information(X, y, random_state=0)
    features = time.perf_counter() - start
    lines = [
        "# What reading features costs",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "3,000 rows x 16 columns, default candidates, one torch thread, n_jobs=1.",
        "",
        "| call | seconds | calls of estimate_mi |",
        "|---|---|---|",
        f"| estimate_mi | {one:.1f} | 1 |",
        f"| feature_information | {features:.1f} | 33 |",
        "",
        f"feature_information / estimate_mi: {features / one:.1f}x (issue 25's target: 5x).",
        "",
        info.to_frame().head(6).to_markdown(index=False, floatfmt=".4f"),
    ]
    page = write_page(args.out, "features_cost.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
