"""What taking a table as it is costs (issue 24): encoding time in MIClassifier and the CLI.

A generated table of ``--rows`` rows and 20 columns: 12 numeric, 8 categorical (3 to 24
levels), 5 % of the cells of every column empty, a binary label from a rule on both
kinds of column. One torch thread.

- MIClassifier (its default) fitted on the DataFrame, against the same network fitted
  on the already encoded numeric matrix (the same numbers, so the same training: the
  difference is the encoding, fitted inside ``fit``, and the schema checks);
- ``skmi estimate FILE.csv`` (a fresh process: start-up, reading the CSV, reading the
  columns, then estimate_mi) against ``estimate_mi`` on the DataFrame in this process.

Run: python benchmarks/table_speed.py [--rows 100000] [--reps 2] [--out docs/benchmarks/table_speed]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from skmi import MIClassifier, estimate_mi
from skmi._encoding import TableEncoder

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page


def make_table(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    columns = {f"x{j}": rng.normal(size=n) for j in range(12)}
    for j in range(8):
        levels = 3 + 3 * j
        columns[f"c{j}"] = np.asarray([f"level{v}" for v in range(levels)])[
            rng.integers(0, levels, n)
        ]
    frame = pd.DataFrame(columns)
    score = frame.x0 + frame.x1 - frame.x2 + (frame.c0 == "level0") - (frame.c3 == "level5")
    y = np.where(score + rng.normal(size=n) > 0.3, "yes", "no")
    for name in frame.columns:
        frame.loc[rng.random(n) < 0.05, name] = np.nan
    return frame, y


def timed(function, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--out", default="docs/benchmarks/table_speed")
    args = parser.parse_args(argv)
    command, env = announce("table_speed.py", argv)
    torch.set_num_threads(1)
    frame, y = make_table(args.rows)
    encoded = TableEncoder(random_state=0).fit_transform(frame, y).astype(np.float32)

    def network():
        return MIClassifier(random_state=0, num_threads=1)

    fit_frame = timed(lambda: network().fit(frame, y), args.reps)
    fit_numeric = timed(lambda: network().fit(encoded, y), args.reps)
    encode_alone = timed(lambda: TableEncoder(random_state=0).fit_transform(frame, y), args.reps)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        frame.assign(label=y).to_csv(path, index=False)
        script = Path(sys.executable).parent / "skmi"  # the installed command
        cli = [str(script), "estimate", str(path), "--target", "label"]
        cli_env = {**os.environ, "OMP_NUM_THREADS": "1"}
        cli_seconds = timed(
            lambda: subprocess.run([*cli, "--quiet"], check=True, capture_output=True, env=cli_env),
            1,
        )
    library_seconds = timed(lambda: estimate_mi(frame, y, random_state=0), 1)
    rows = [
        ("MIClassifier.fit on the DataFrame", fit_frame),
        ("MIClassifier.fit on the encoded matrix", fit_numeric),
        ("TableEncoder.fit_transform alone", encode_alone),
        ("skmi estimate FILE.csv (fresh process)", cli_seconds),
        ("estimate_mi on the DataFrame", library_seconds),
    ]
    lines = [
        "# Taking a table as it is: what the encoding costs",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"{args.rows:,} rows x 20 columns (12 numeric, 8 categorical of 3 to 24 levels), 5 % "
        f"of the cells empty; {encoded.shape[1]} encoded features. Medians of {args.reps} "
        "fits; the two estimates once each.",
        "",
        "| what | seconds |",
        "|---|---|",
        *(f"| {name} | {seconds:.2f} |" for name, seconds in rows),
        "",
        f"Fit on the DataFrame / fit on the encoded matrix: {fit_frame / fit_numeric:.3f}x "
        "(target at most 1.15x).",
        "",
        f"CLI / estimate_mi: {cli_seconds / library_seconds:.3f}x (target at most 1.2x).",
    ]
    page = write_page(args.out, "table_speed.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
