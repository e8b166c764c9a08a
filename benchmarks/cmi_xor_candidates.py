"""Why xor_given reads low at n = 2,000 (issue 25): the joint term I(X, Z; Y) of the
xor_given task, read by the default mixture and by each of its non-linear candidates
alone, with the held-out reading (lower bound) and the extrapolation's correction.

Run: python benchmarks/cmi_xor_candidates.py [--n 2000] [--seeds 5]
     [--out docs/benchmarks/cmi_xor_candidates]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from skmi import default_estimators, estimate_mi
from skmi.datasets import make_conditional_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

# the candidates read alone: those that can see an interaction (the linear ones read 0)
ALONE = ("MIClassifier", "RandomForestClassifier", "HistGradientBoostingClassifier")


def final_name(candidate) -> str:
    return type(candidate[-1] if hasattr(candidate, "steps") else candidate).__name__


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default="docs/benchmarks/cmi_xor_candidates")
    args = parser.parse_args(argv)
    command, env = announce("cmi_xor_candidates.py", argv)
    torch.set_num_threads(1)
    rows = []
    for seed in range(args.seeds):
        # I(Z; Y) = 0 on this task: the truth of I(X; Y | Z) is that of the joint term
        X, Z, y, truth = make_conditional_task("xor_given", args.n, random_state=seed)
        joint = np.hstack([X, Z])
        mixture = estimate_mi(joint, y, random_state=0)
        rows.append(("default mixture", seed, mixture, truth))
        candidates = default_estimators(random_state=0, n_samples=int(0.8 * args.n))
        for candidate in candidates:
            if final_name(candidate) in ALONE:
                reading = estimate_mi(joint, y, estimator=candidate, random_state=0)
                rows.append((f"{final_name(candidate)} alone", seed, reading, truth))
        print(f"seed {seed}: mixture {mixture.mi:.4f}", flush=True)
    frame = pd.DataFrame(
        [
            {
                "reader": name,
                "seed": seed,
                "estimate": r.mi,
                "held-out reading": r.lower_bound,
                "correction": r.correction,
                "error": r.mi - truth,
            }
            for name, seed, r, truth in rows
        ]
    )
    summary = frame.groupby("reader", sort=False)[
        ["estimate", "held-out reading", "correction", "error"]
    ].mean()
    weights = pd.DataFrame([r.weights for name, _, r, _ in rows if name == "default mixture"])
    lines = [
        "# xor_given: the joint term by the mixture and by its candidates alone",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"n = {args.n}, seeds 0 to {args.seeds - 1}; I(X, Z; Y) = {truth:.4f} nats (the "
        "truth of I(X; Y | Z) too, as I(Z; Y) = 0). Means over the seeds; error = "
        "estimate - truth.",
        "",
        summary.to_markdown(floatfmt=".4f"),
        "",
        "The default mixture's weights (mean over the seeds):",
        "",
        weights.mean().to_frame("weight").to_markdown(floatfmt=".3f"),
        "",
        "Every run:",
        "",
        frame.to_markdown(index=False, floatfmt=".4f"),
    ]
    page = write_page(args.out, "cmi_xor_candidates.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
