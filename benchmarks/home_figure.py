"""The docs home page's picture, drawn from a stored run of benchmarks/mi_accuracy.py.

Four known-truth tasks of ``skmi.datasets`` (one panel each) and the mean absolute error
over all tasks: skmi's ``estimate_mi`` with its 95 % interval, the kNN estimator of Ross
(2014) and a logistic regression's held-out reading (H(Y) minus its cross-validated
log-loss) with its interval, at every n of the run, one mark per seed. Nothing is rerun:
the figures are the stored CSV's.

Run: python benchmarks/home_figure.py [--csv docs/benchmarks/mi_accuracy.csv]
     [--out docs/benchmarks/home_figure]
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ESTIMATORS = {  # the CSV's name -> the legend's, colour
    "skmi estimate_mi": ("skmi estimate_mi, 95 % interval", "#1f5fa8"),
    "kNN joint (Ross 2014)": ("kNN (Ross 2014)", "#d98a00"),
    "LogisticRegression (H - CV log-loss)": ("logistic regression, 95 % interval", "#7a7a7a"),
}
TASKS = ("gaussian_binary", "xor", "multimodal", "gaussian_20_classes")


def mean_absolute_errors(frame: pd.DataFrame) -> pd.DataFrame:
    """MAE over every task and seed, per n (rows) and estimator (columns)."""
    chosen = frame[frame.estimator.isin(ESTIMATORS) & (frame.failed == 0)]
    table = chosen.assign(abs_error=chosen.error.abs()).pivot_table(
        index="n", columns="estimator", values="abs_error", aggfunc="mean"
    )
    return table[list(ESTIMATORS)]


def draw(frame: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(frame.n.unique())
    fig, grid = plt.subplots(2, 3, figsize=(10, 6.2))
    axes = list(grid.ravel())
    offsets = np.linspace(-0.25, 0.25, len(ESTIMATORS))
    for ax, task in zip(axes, TASKS, strict=False):  # the first four panels
        part = frame[frame.task == task]
        for offset, (name, (label, colour)) in zip(offsets, ESTIMATORS.items(), strict=True):
            runs = part[part.estimator == name]
            for position, n in enumerate(sizes):
                at_n = runs[runs.n == n].sort_values("seed")
                xs = position + offset + np.linspace(-0.06, 0.06, max(len(at_n), 1))[: len(at_n)]
                low = (at_n.estimate - at_n.ci_low).clip(lower=0).fillna(0)
                high = (at_n.ci_high - at_n.estimate).clip(lower=0).fillna(0)
                ax.errorbar(
                    xs,
                    at_n.estimate,
                    yerr=[low, high],
                    fmt="o",
                    ms=3,
                    lw=1,
                    color=colour,
                    label=label if position == 0 else None,
                )
        ax.axhline(part.truth.iloc[0], color="black", ls="--", lw=1, label="true I(X;Y)")
        ax.set_xticks(range(len(sizes)), [f"{n:,}" for n in sizes])
        ax.set_xlabel("n (rows)")
        ax.set_title(task, fontsize=10)
        ax.set_ylim(bottom=-0.05)
    for ax in (axes[0], axes[3]):
        ax.set_ylabel("I(X;Y), nats")
    errors = mean_absolute_errors(frame)
    ax = axes[len(TASKS)]
    for name, (_, colour) in ESTIMATORS.items():
        ax.plot(range(len(sizes)), errors[name].to_numpy(), "o-", color=colour)
    ax.set_xticks(range(len(sizes)), [f"{n:,}" for n in sizes])
    ax.set_yscale("log")
    ax.set_xlabel("n (rows)")
    ax.set_title(f"mean absolute error, {frame.task.nunique()} tasks", fontsize=10)
    ax.set_ylabel("nats")
    handles, labels = axes[0].get_legend_handles_labels()
    legend = axes[-1]
    legend.axis("off")
    legend.legend(handles, labels, loc="center", frameon=False, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default="docs/benchmarks/mi_accuracy.csv")
    parser.add_argument("--out", default="docs/benchmarks/home_figure")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "benchmarks/home_figure.py", *sys.argv[1:]])
    print(command)
    frame = pd.read_csv(args.csv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    draw(frame, out / "estimates.png")
    errors = mean_absolute_errors(frame)
    errors.index = [f"{n:,}" for n in errors.index]
    seeds = frame.groupby("n").seed.nunique()
    lines = [
        "# The home page's picture",
        "",
        f"Command: `{command}`",
        "",
        f"Drawn from `{args.csv}` (a stored run of `benchmarks/mi_accuracy.py`; its page "
        "gives the command and machine of that run). Seeds per n: "
        + ", ".join(f"{n:,}: {s}" for n, s in seeds.items())
        + ".",
        "",
        "![Estimates against the truth](estimates.png)",
        "",
        f"## Mean absolute error over the {frame.task.nunique()} tasks, nats",
        "",
        errors.to_markdown(floatfmt=".4f"),
        "",
    ]
    (out / "home_figure.md").write_text("\n".join(lines) + "\n")
    print(errors.to_markdown(floatfmt=".4f"))


if __name__ == "__main__":
    main()
