"""Which columns matter on wide tables: what feature_information and MIFeatureSelector
cost with the masked reader (and with refitting, where it is affordable), in calls of
one estimate_mi on the same data, beside permutation importance and
mutual_info_classif, and what each finds.

Synthetic tables with a known informative set: x0, x1 an XOR pair (an interaction), x2
a threshold column and x3 its noisy copy (redundancy), x4 and x5 linear effects, the
other columns noise; 3,000 x 16 (the task of features_cost.py), 3,000 x 50 and
5,000 x 200. Real tables shipped by scikit-learn: breast cancer (569 x 30) and digits
(1,797 x 64), each with two planted columns: a row-shuffled copy of a column (no
information) and an exact copy of a column (no unique information).

Run: python benchmarks/wide_tables.py [--tables t16 t50 t200 cancer digits]
     [--refit t16 t50] [--out docs/benchmarks/wide_tables]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_selection import mutual_info_classif
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

from skmi import MIFeatureSelector, estimate_mi, feature_information

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from features_cost import task as features_cost_task

# the informative groups of the synthetic tables (one column of each is enough)
INFORMATIVE = [{0}, {1}, {2, 3}, {4}, {5}]
SIZES = {"t16": (3000, 16), "t50": (3000, 50), "t200": (5000, 200)}


def synthetic(n: int, d: int, seed: int = 0):
    if (n, d) == (3000, 16):
        X, y = features_cost_task()
        return X, y, [{0}, {1}, {2, 3}]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 3] = X[:, 2] + 0.1 * rng.normal(size=n)
    xor = (X[:, 0] > 0) ^ (X[:, 1] > 0)
    logit = 3.0 * (xor - 0.5) + 2.0 * (X[:, 2] > 0.5) + 0.8 * X[:, 4] + 0.6 * X[:, 5]
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * logit))).astype(int)
    return X, y, INFORMATIVE


def real(name: str, seed: int = 0):
    """A real table with a row-shuffled column and an exact copy of a column added."""
    data = load_breast_cancer() if name == "cancer" else load_digits()
    X = np.asarray(data.data, dtype=np.float64)
    if name == "digits":  # columns that are 0 in (almost) every image say nothing
        X = X[:, X.std(0) > 0.5]
    rng = np.random.default_rng(seed)
    # the column most informative alone (by a quick kNN reading) is the one copied
    strongest = int(np.argmax(mutual_info_classif(X, data.target, random_state=0)))
    shuffled = rng.permutation(X[:, strongest])
    X = np.column_stack([X, shuffled, X[:, strongest]])
    return X, data.target, strongest


def timed(function):
    start = time.perf_counter()
    out = function()
    return out, time.perf_counter() - start


def top_recall(scores, informative, k) -> str:
    """Informative groups with a column among the k highest scores, of all groups."""
    top = set(np.argsort(-np.asarray(scores), kind="stable")[:k].tolist())
    return f"{sum(bool(group & top) for group in informative)}/{len(informative)}"


def exact_recovery(kept, informative) -> bool:
    kept = set(kept)
    return all(len(group & kept) == 1 for group in informative) and len(kept) == len(informative)


def baselines(X, y, seed=0):
    """Permutation importance of a fitted HistGradientBoosting on held-out rows
    (n_repeats=10), and mutual_info_classif: scores and seconds."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )

    def importance():
        model = HistGradientBoostingClassifier(random_state=seed).fit(X_train, y_train)
        return permutation_importance(
            model, X_test, y_test, n_repeats=10, random_state=seed, scoring="neg_log_loss"
        ).importances_mean

    permuted, permuted_seconds = timed(importance)
    marginal, marginal_seconds = timed(lambda: mutual_info_classif(X, y, random_state=seed))
    return permuted, permuted_seconds, marginal, marginal_seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["t16", "t50", "t200", "cancer", "digits"])
    parser.add_argument("--refit", nargs="*", default=["t16"])
    parser.add_argument("--selector", nargs="*", default=["t16", "t50"])
    parser.add_argument("--out", default="docs/benchmarks/wide_tables")
    args = parser.parse_args(argv)
    command, env = announce("wide_tables.py", argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    cost_rows, find_rows, zero_rows = [], [], []
    for name in args.tables:
        if name in SIZES:
            X, y, informative = synthetic(*SIZES[name])
        else:
            X, y, strongest = real(name)
            informative = None
        n, d = X.shape
        label = f"{name} ({n:,} x {d})"
        # one call's time varies between runs on a shared machine: on tables of up to
        # 50 columns the unit is the median of three calls (the same call)
        repeats = 3 if d <= 50 else 1
        ones = [timed(lambda X=X, y=y: estimate_mi(X, y, random_state=0)) for _ in range(repeats)]
        one = ones[0][0]
        one_seconds = float(np.median([seconds for _, seconds in ones]))
        spread = ", ".join(f"{seconds:.1f}" for _, seconds in ones)
        print(f"{label}: one estimate_mi call {one_seconds:.1f} s ({spread})", flush=True)

        def cost(call, seconds, note="", label=label, one_seconds=one_seconds):
            cost_rows.append(
                {
                    "table": label,
                    "call": call,
                    "seconds": round(seconds, 1),
                    "x one call": round(seconds / one_seconds, 1),
                    "note": note,
                }
            )
            print(cost_rows[-1], flush=True)

        cost("estimate_mi (the unit)", one_seconds, f"I(X;Y) {one.mi:.4f}; calls took {spread} s")
        readers = ["masked"] + (["refit"] if name in args.refit else [])
        infos = {}
        for reader in readers:
            info, seconds = timed(
                lambda X=X, y=y, r=reader: feature_information(X, y, random_state=0, reader=r)
            )
            infos[reader] = info
            cost(f"feature_information ({reader})", seconds, f"total {info.total.mi:.4f}")
        if name in args.selector:
            for reader in readers:
                selector, seconds = timed(
                    lambda X=X, y=y, r=reader: MIFeatureSelector(random_state=0, reader=r).fit(X, y)
                )
                kept = np.flatnonzero(selector.support_).tolist()
                note = f"kept {kept}"
                if informative is not None:
                    note += f", exact recovery: {exact_recovery(kept, informative)}"
                cost(f"MIFeatureSelector ({reader})", seconds, note)
        permuted, permuted_seconds, marginal, marginal_seconds = baselines(X, y)
        cost("permutation_importance (HGB, n_repeats=10)", permuted_seconds)
        cost("mutual_info_classif", marginal_seconds)
        if informative is not None:
            k = len(informative) + 1  # a group of two copies may fill two places
            row = {"table": label, "k": k}
            for reader, info in infos.items():
                unique = [info.unique[f"x{j}"].mi for j in range(d)]
                alone = [info.alone[f"x{j}"].mi for j in range(d)]
                row[f"unique ({reader})"] = top_recall(unique, informative, k)
                row[f"alone ({reader})"] = top_recall(alone, informative, k)
                flagged = [
                    j
                    for j in range(d)
                    if info.unique[f"x{j}"].ci[0] > 0 and not any(j in g for g in informative)
                ]
                row[f"noise columns with unique > 0 ({reader})"] = len(flagged)
            row["permutation importance"] = top_recall(permuted, informative, k)
            row["mutual_info_classif"] = top_recall(marginal, informative, k)
            find_rows.append(row)
        else:
            for reader, info in infos.items():
                for planted, column in (("row-shuffled", d - 2), ("exact copy", d - 1)):
                    unique = info.unique[f"x{column}"]
                    zero_rows.append(
                        {
                            "table": label,
                            "reader": reader,
                            "column": f"{planted} (x{column})",
                            "alone": round(info.alone[f"x{column}"].mi, 4),
                            "unique": round(unique.mi, 4),
                            "unique interval": f"[{unique.ci[0]:.4f}, {unique.ci[1]:.4f}]",
                            "includes 0": unique.ci[0] == 0,
                        }
                    )
                copied = info.unique[f"x{strongest}"]
                zero_rows.append(
                    {
                        "table": label,
                        "reader": reader,
                        "column": f"the copied column (x{strongest})",
                        "alone": round(info.alone[f"x{strongest}"].mi, 4),
                        "unique": round(copied.mi, 4),
                        "unique interval": f"[{copied.ci[0]:.4f}, {copied.ci[1]:.4f}]",
                        "includes 0": copied.ci[0] == 0,
                    }
                )
    lines = [
        "# Which columns matter on wide tables: cost and findings",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "Default candidates, one torch thread, n_jobs=1. 'x one call': the call's time in "
        "units of one estimate_mi call on the same table.",
        "",
        "## Cost",
        "",
        pd.DataFrame(cost_rows).to_markdown(index=False),
        "",
    ]
    if find_rows:
        lines += [
            "## What each finds on the synthetic tables",
            "",
            "Informative groups (x0, x1: XOR pair; x2 or its copy x3; x4, x5 linear; on "
            "3,000 x 16 the first three) with a column among the k highest scores; "
            "noise columns whose unique-information interval excludes 0.",
            "",
            pd.DataFrame(find_rows).to_markdown(index=False),
            "",
        ]
    if zero_rows:
        lines += [
            "## Near zero on real tables",
            "",
            "A row-shuffled copy of the column most informative alone, and an exact copy "
            "of it: neither has unique information (nor has the copied column, beside its "
            "copy).",
            "",
            pd.DataFrame(zero_rows).to_markdown(index=False),
            "",
        ]
    page = write_page(args.out, "wide_tables.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
