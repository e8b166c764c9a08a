"""Where the time of feature_information goes (issue 25): on the task of
features_cost.py (3,000 rows x 16 columns, default candidates, one torch thread, the
networks in one batched stack, n_jobs=1), the seconds spent fitting each kind of
candidate, in one estimate_mi call and in one feature_information call.

Every fit is timed where it runs (the candidates' fit methods and skmi's network
training are wrapped with a clock for the run); what is left is cross-fitting's own
work: the quantile maps, the held-out probabilities, the mixture weights and the
summaries. The target of issue 25 is feature_information within 5 estimate_mi calls.

Run: python benchmarks/features_time.py [--out docs/benchmarks/features_time]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import skmi._candidates
import skmi._crossfit
import skmi._estimate
from skmi import estimate_mi, feature_information

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from features_cost import FEATURES_TARGET, task

# what is timed: (module or class, attribute, the row it counts under)
TIMED = [
    (HistGradientBoostingClassifier, "fit", "boosted trees"),
    (RandomForestClassifier, "fit", "random forest"),
    (LogisticRegression, "fit", "logistic regressions"),
    (skmi._candidates._ShrunkLDA, "fit", "shrunk LDA"),
    (skmi._estimate, "train_networks", "networks (batched stack)"),
    (skmi._crossfit, "train_networks", "networks (batched stack)"),
]


@contextmanager
def clocked(seconds: dict, calls: dict):
    """Wrap every TIMED callable with a clock that adds to ``seconds[row]``."""
    originals = []
    for owner, attribute, row in TIMED:
        original = getattr(owner, attribute)
        originals.append((owner, attribute, original))

        def wrapped(*args, _original=original, _row=row, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                seconds[_row] += time.perf_counter() - start
                calls[_row] += 1

        setattr(owner, attribute, wrapped)
    try:
        yield
    finally:
        for owner, attribute, original in originals:
            setattr(owner, attribute, original)


def breakdown(function) -> tuple[dict, dict, float]:
    seconds, calls = defaultdict(float), defaultdict(int)
    with clocked(seconds, calls):
        start = time.perf_counter()
        function()
        total = time.perf_counter() - start
    return dict(seconds), dict(calls), total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/benchmarks/features_time")
    args = parser.parse_args(argv)
    command, env = announce("features_time.py", argv)
    torch.set_num_threads(1)
    X, y = task()
    runs = {}
    ones = []
    for _ in range(3):  # as in features_cost: the median of three calls is the unit
        runs["estimate_mi"] = breakdown(lambda: estimate_mi(X, y, random_state=0))
        ones.append(runs["estimate_mi"][2])
        print(f"estimate_mi: {ones[-1]:.1f} s", flush=True)
    one = float(np.median(ones))
    runs["feature_information"] = breakdown(
        lambda: feature_information(X, y, random_state=0, reader="refit")
    )
    print(f"feature_information: {runs['feature_information'][2]:.1f} s", flush=True)
    rows = sorted({row for _, _, row in TIMED}, key=lambda r: [t[2] for t in TIMED].index(r))
    lines = [
        "# Where the time of feature_information goes",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "The task of features_cost.py (3,000 rows x 16 columns), default candidates, one "
        "torch thread, the networks of all readings in one batched stack, n_jobs=1. Each "
        "fit timed where it runs; 'the rest' is cross-fitting's own work (quantile maps, "
        "held-out probabilities, mixture weights, summaries).",
        "",
        f"One estimate_mi call: {one:.1f} s (the median of three: "
        f"{', '.join(f'{t:.1f}' for t in ones)} s); the breakdown below is of the last.",
        "",
        "| call | part | fits | seconds | x one call |",
        "|---|---|---|---|---|",
    ]
    for name, (seconds, calls, total) in runs.items():
        for row in rows:
            if row in seconds:
                lines.append(
                    f"| {name} | {row} | {calls[row]} | {seconds[row]:.1f} "
                    f"| {seconds[row] / one:.1f} |"
                )
        rest = total - sum(seconds.values())
        lines.append(f"| {name} | the rest | | {rest:.1f} | {rest / one:.1f} |")
        lines.append(f"| {name} | **total** | | {total:.1f} | {total / one:.1f} |")
    seconds, _, total = runs["feature_information"]
    trees = seconds.get("boosted trees", 0.0)
    lines += [
        "",
        f"feature_information's target: {FEATURES_TARGET}x one call, "
        f"{FEATURES_TARGET * one:.1f} s. Its boosted trees alone took {trees:.1f} s "
        f"({trees / one:.1f}x one call).",
    ]
    page = write_page(args.out, "features_time.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
