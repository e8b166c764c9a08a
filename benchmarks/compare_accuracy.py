"""Compare two stored runs of benchmarks/mi_accuracy.py on the tasks and seeds they share.

estimate_mi's mean absolute error and CI coverage per n: the MAE of the new run on the
(task, seed) pairs of the old one (the same draws, so a change in MAE is the code's), the
new run's coverage on all its tasks, and the rare-class tasks alone.

Run: python benchmarks/compare_accuracy.py OLD.csv NEW.csv [--out PAGE.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ESTIMATOR = "skmi estimate_mi"
RARE = ("rare_separable", "rare_nearly_separable", "several_rare")


def with_sample_cut(frame: pd.DataFrame) -> pd.Series:
    """Whether each interval would cover with its top cut at the sample's H(Y) (the
    earlier rule), the rest of it unchanged."""
    top = frame[["ci_high", "entropy"]].min(axis=1)
    return ((frame.ci_low <= frame.truth) & (frame.truth <= top)).astype(float)


def per_rare_task(new: pd.DataFrame) -> pd.DataFrame:
    new = new[(new.estimator == ESTIMATOR) & new.task.isin(RARE)]
    return (
        new.assign(cut=with_sample_cut(new))
        .groupby("task")
        .agg(
            runs=("covered", "size"),
            coverage=("covered", "mean"),
            **{"coverage, top cut at the sample's H(Y)": ("cut", "mean")},
            MAE=("error", lambda e: e.abs().mean()),
        )
        .reset_index()
    )


def compare(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    old, new = (f[f.estimator == ESTIMATOR] for f in (old, new))
    keys = ["task", "n", "seed"]
    shared = new.merge(old[keys], on=keys)
    rows = []
    for n, group in new.groupby("n"):
        before = old[old.n == n]
        after = shared[shared.n == n]
        rare = group[group.task.isin(RARE)]
        rows.append(
            {
                "n": int(n),
                "old MAE": before.error.abs().mean() if len(before) else float("nan"),
                "new MAE, same draws": after.error.abs().mean() if len(after) else float("nan"),
                "change": (after.error.abs().mean() - before.error.abs().mean())
                if len(before)
                else float("nan"),
                "old coverage": before.covered.mean() if len(before) else float("nan"),
                "new coverage, same draws": after.covered.mean() if len(after) else float("nan"),
                "intervals": int(group.covered.notna().sum()),
                "new coverage, all tasks": group.covered.mean(),
                "top cut at the sample's H(Y)": with_sample_cut(group).mean(),
                "new MAE, all tasks": group.error.abs().mean(),
                "rare-class coverage": rare.covered.mean(),
                "rare-class MAE": rare.error.abs().mean(),
                "out of bounds": int(group.out_of_bounds.sum()),
            }
        )
    return pd.DataFrame(rows)


def same_draws(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Per n, on the (task, seed) pairs both runs drew: how far the estimates moved, and
    the intervals' mean width and coverage in each run."""
    old, new = (f[f.estimator == ESTIMATOR] for f in (old, new))
    both = old.merge(new, on=["task", "n", "seed"], suffixes=(" old", " new"))
    both["moved"] = (both["estimate old"] - both["estimate new"]).abs()
    for run in ("old", "new"):
        both[f"width {run}"] = both[f"ci_high {run}"] - both[f"ci_low {run}"]
    return (
        both.groupby("n")
        .agg(
            draws=("moved", "size"),
            **{
                "largest estimate change": ("moved", "max"),
                "old mean width": ("width old", "mean"),
                "new mean width": ("width new", "mean"),
                "old coverage": ("covered old", "mean"),
                "new coverage": ("covered new", "mean"),
            },
        )
        .reset_index()
        .astype({"n": str, "draws": str})
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    table = compare(pd.read_csv(args.old), pd.read_csv(args.new))
    for column in ("n", "intervals", "out of bounds"):
        table[column] = table[column].map("{:,}".format)
    command = f"python benchmarks/compare_accuracy.py {args.old} {args.new}" + (
        f" --out {args.out}" if args.out else ""
    )
    text = (
        f"# estimate_mi: two runs of mi_accuracy.py compared\n\nCommand: `{command}`\n\n"
        + table.to_markdown(index=False, floatfmt=".4f")
        + "\n\nCoverage with the top cut at the sample's H(Y): the same intervals with the "
        "earlier rule applied to them.\n\n## The rare-class tasks of the new run\n\n"
        + per_rare_task(pd.read_csv(args.new)).to_markdown(index=False, floatfmt=".4f")
        + "\n\n## The draws both runs made\n\n"
        + same_draws(pd.read_csv(args.old), pd.read_csv(args.new)).to_markdown(
            index=False, floatfmt=".4f"
        )
        + "\n"
    )
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
