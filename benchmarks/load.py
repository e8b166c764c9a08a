"""Load: estimate_mi with its defaults on n rows x 50 features (issue 7: n = 10^6).

Data: 50 standard-normal float32 features, y = [x1 + x2 + noise > 0] (a linear boundary,
so the per-fold selection may pick the logistic regression). Prints wall time, peak RSS
and the estimate. torch uses MIClassifier's default threads (half the cores).

Run: python benchmarks/load.py [--n 1e6] [--out docs/benchmarks]
Writes load.md to --out.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

from skmi import estimate_mi

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=float, default=1e6)
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("load.py", argv, threads="MIClassifier default (half the cores)")
    n = int(args.n)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 50)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] + rng.normal(size=n) > 0).astype(int)
    start = time.perf_counter()
    result = estimate_mi(X, y, random_state=0)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"n={n} d=50: {elapsed:.0f} s, peak RSS {peak:.0f} MB",
        str(result),
        f"mixture weights: {result.weights}",
        f"truth (1-D quadrature): {truth():.4f} nats",
    ]
    print("\n".join(lines))
    page = write_page(
        args.out,
        "load.md",
        [
            "# Load: estimate_mi on large data",
            "",
            f"Command: `{command}`",
            "",
            f"Environment: {env}",
            "",
            "```text",
            *lines,
            "```",
        ],
    )
    print(f"wrote {page}")


def truth() -> float:
    """I(X;Y) = H(Y) - E h(Phi(s)), s = x1 + x2 ~ N(0, 2), by quadrature."""
    from scipy.stats import norm

    s = np.linspace(-12, 12, 200_001)
    p = np.clip(norm.cdf(s), 1e-300, 1 - 1e-16)
    entropy = -(p * np.log(p) + (1 - p) * np.log1p(-p))
    return float(np.log(2) - np.trapezoid(entropy * norm.pdf(s, scale=np.sqrt(2)), s))


if __name__ == "__main__":
    main()
