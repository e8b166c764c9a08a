"""Does MIClassifier's early_stopping="auto" default pay off on real imbalanced tables?

MIClassifier's single network (``n_members=1, num_embeddings=None,
input_scaling="standard"``: the default before the ensemble, on which early_stopping="auto"
was chosen), early stopping on (the default) against off, on the six tabular sets of the
imbalanced benchmark: stratified 5-fold CV, one seed, balanced accuracy on the outer test
folds (test_prior="balanced") and seconds per fit. No tuning.

Run: python benchmarks/early_stopping.py [--jobs 2]
Writes docs/benchmarks/early_stopping.md.
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
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import LabelEncoder

from skmi import MIClassifier
from skmi._classifier import SINGLE_NETWORK

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page
from _imbalanced_data import TABULAR, load_tabular

VARIANTS = {"early stopping on (default)": "auto", "early stopping off": False}


def fit_one(setting, variant, fold, X_train, y_train, X_test, y_test):
    torch.set_num_threads(1)
    start = time.perf_counter()
    clf = MIClassifier(
        early_stopping=VARIANTS[variant],
        random_state=0,
        num_threads=1,
        dropout=0.1,  # the single network as this page measured it (the default before 0.3)
        **SINGLE_NETWORK,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X_train, y_train)
        bacc = balanced_accuracy_score(y_test, clf.predict(X_test))
    return dict(
        setting=setting,
        variant=variant,
        fold=fold,
        balanced_accuracy=bacc,
        epochs=len(clf.history),
        seconds=time.perf_counter() - start,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(TABULAR))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce(
        "early_stopping.py", argv, threads=f"1 thread per job, {args.jobs} jobs"
    )
    jobs = []
    for name in args.datasets:
        X, y = load_tabular(name)
        y = LabelEncoder().fit_transform(y)
        folds = StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)
        for fold, (train, test) in enumerate(folds):
            for variant in VARIANTS:
                jobs.append((name, variant, fold, X[train], y[train], X[test], y[test]))
    start = time.perf_counter()
    rows = Parallel(n_jobs=args.jobs)(delayed(fit_one)(*job) for job in jobs)
    elapsed = time.perf_counter() - start
    frame = pd.DataFrame(rows)
    table = frame.groupby(["setting", "variant"], sort=False).agg(
        bacc=("balanced_accuracy", "mean"),
        std=("balanced_accuracy", "std"),
        epochs=("epochs", "mean"),
        seconds=("seconds", "mean"),
    )
    lines = [
        "# MIClassifier defaults: early stopping on or off",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"Wall time: {elapsed / 60:.1f} min. Stratified 5-fold CV, one seed, "
        "MIClassifier(random_state=0) untuned; balanced accuracy mean ± std over folds.",
        "",
        "| dataset | early stopping on (default) | off | difference | epochs on / off "
        "| s per fit on / off |",
        "|---|---|---|---|---|---|",
    ]
    for setting in dict.fromkeys(frame.setting):
        on = table.loc[(setting, "early stopping on (default)")]
        off = table.loc[(setting, "early stopping off")]
        lines.append(
            f"| {setting} | {on.bacc:.3f} ± {on['std']:.3f} | {off.bacc:.3f} ± {off['std']:.3f} "
            f"| {on.bacc - off.bacc:+.3f} | {on.epochs:.0f} / {off.epochs:.0f} "
            f"| {on.seconds:.1f} / {off.seconds:.1f} |"
        )
    print(write_page(args.out, "early_stopping.md", lines).read_text())


if __name__ == "__main__":
    main()
