"""Why estimate_mi extrapolates one model's learning curve when it repeats the cross-fitting.

At small n, estimate_mi repeats the cross-fitting and averages each sample's held-out
probabilities over the repetitions. That average is an ensemble of models trained on
different subsamples, and it reads better than any one of them, the more so at half
size, where the members' training halves differ most. This prints, per task and seed,
the difference full - half (before shrinkage) read two ways on the same fits:

- ``ensemble``: from the repetitions' averaged probabilities;
- ``one model``: each repetition's own models, the readings then averaged (what
  estimate_mi extrapolates);

and the truth's gap to the plain reading, which a 1/n extrapolation of full - half should
close.

Run: python benchmarks/repeat_curve.py [--tasks gaussian_20_classes xor] [--n 300]
[--seeds 5] [--out docs/benchmarks]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from skmi import _estimate, _result, estimate_mi
from skmi._pmi import empirical_log_prior
from skmi.datasets import make_task

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

torch.set_num_threads(1)


def readings(task: str, n: int, seed: int) -> dict:
    """The two differences full - half, the plain reading and the truth, for one call."""
    seen = {}
    summarise = _result.summarise

    def spy(fit, y_index, labels, *, extrapolate, confidence, rng):
        prior = np.exp(empirical_log_prior(y_index, len(labels)))
        state = rng.get_state()  # read the weights without moving estimate_mi's stream
        full_w = fit.full.mixture_weights(y_index, prior, rng)
        half_w = fit.half.mixture_weights(y_index, prior, rng)
        rng.set_state(state)
        rows = np.arange(len(y_index))
        ensemble = [
            r.mixture_pmi(w, prior)[rows, y_index].mean()
            for r, w in ((fit.full, full_w), (fit.half, half_w))
        ]
        single = [
            r.per_repeat_readings(w, y_index, prior).mean()
            for r, w in ((fit.full, full_w), (fit.half, half_w))
        ]
        seen.update(
            plain=ensemble[0], ensemble=ensemble[0] - ensemble[1], single=single[0] - single[1]
        )
        return summarise(
            fit, y_index, labels, extrapolate=extrapolate, confidence=confidence, rng=rng
        )

    X, y, truth = make_task(task, n, random_state=seed)
    _estimate.summarise = spy
    try:
        result = estimate_mi(X, y, random_state=seed)
    finally:
        _estimate.summarise = summarise
    return {**seen, "truth": truth, "estimate": result.mi, "repeats": result.n_repeats}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tasks", nargs="+", default=["gaussian_20_classes", "xor", "noise_features"]
    )
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    command, env = announce("repeat_curve.py", argv)
    lines = [
        "# One model's learning curve against the repetitions' ensemble",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"n = {args.n}; nats. `full - half` read from the repetitions' averaged",
        "probabilities (ensemble) and one repetition at a time (one model); the plain",
        "reading's gap to the truth is what a 1/n extrapolation of `full - half` should",
        "close. `estimate` is estimate_mi's (one model's curve, never below the plain reading).",
        "",
        "| task | seed | repeats | truth - plain | full - half, ensemble | full - half, one model "
        "| ratio | estimate - truth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in args.tasks:
        for seed in range(args.seeds):
            r = readings(task, args.n, seed)
            ratio = r["ensemble"] / r["single"] if r["single"] > 0 else float("nan")
            lines.append(
                f"| {task} | {seed} | {r['repeats']} | {r['truth'] - r['plain']:+.4f} "
                f"| {r['ensemble']:+.4f} | {r['single']:+.4f} | {ratio:.2f} "
                f"| {r['estimate'] - r['truth']:+.4f} |"
            )
            print(lines[-1], flush=True)
    page = write_page(args.out, "repeat_curve.md", lines)
    print(f"wrote {page}")


if __name__ == "__main__":
    main()
