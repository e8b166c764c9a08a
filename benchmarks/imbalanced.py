"""Imbalanced classification on real data: PC-softmax against the usual remedies.

Every neural method is the same network (MIClassifier's default MLP on tables, one small
CNN on images) with the same budget of optimiser steps; only the remedy differs:

- PC-softmax (tau=1) - MIClassifier's default;
- softmax (tau=0) - plain cross-entropy, predictions under the training prior;
- softmax + class weights - inverse-frequency weights in the loss;
- softmax + post-hoc logit adjustment - tau=0 network, balanced test prior;
- ROS / SMOTE / RUS + softmax - imbalanced-learn resamplers in a Pipeline.

On tables, the practitioner's bar: BalancedRandomForest, BalancedBagging and
LogisticRegression(class_weight="balanced").

Protocol: stratified 5-fold CV on tables, a fixed split on images (training part made
long-tailed, test part balanced); 3 seeds for the neural methods; every method's
hyper-parameters chosen by GridSearchCV on 2 inner folds with a grid of the same size
(4 points), scored by balanced accuracy. Metrics on the outer test folds: balanced
accuracy (headline), G-mean, macro-F1, accuracy and the MIScorer estimate (nats; not for
class-weighted models, whose probabilities are biased).

Run: python benchmarks/imbalanced.py [--smoke] [--datasets ...] [--seeds 3] [--jobs 2]
Needs the datasets of the benchmarks extra (see _imbalanced_data.py).
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
from imblearn.ensemble import BalancedBaggingClassifier, BalancedRandomForestClassifier
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from torch import nn

from skmi import MIClassifier, MIScorer
from skmi._budget import epochs_for_steps, steps_per_epoch
from skmi._classifier import SINGLE_NETWORK

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce
from _imbalanced_data import TABULAR, load_images, load_tabular

NEURAL = (
    "PC-softmax (tau=1)",
    "softmax (tau=0)",
    "softmax + class weights",
    "softmax + post-hoc LA",
    "ROS + softmax",
    "SMOTE + softmax",
    "RUS + softmax",
)
BAR = ("BalancedRandomForest", "BalancedBagging", "LogisticRegression balanced")
IMAGE_SETS = (
    ("digits", 10, "exponential"),
    ("digits", 10, "step"),
    ("mnist5k", 10, "exponential"),
    ("mnist5k", 100, "exponential"),
    ("mnist5k", 10, "step"),
)


class BudgetMIClassifier(MIClassifier):
    """MIClassifier with a cap of optimiser steps (the shared budget).

    With resamplers the data a network sees change size; a cap in steps, not in epochs,
    keeps the budget the same for every method. Early stopping (MIClassifier's default,
    on the held-out loss of the method's own criterion) ends most fits before the cap.
    It is ``MIClassifier(max_steps=steps)`` (the same budget rule, skmi._budget) with
    the bounds of 3 to 500 epochs that the stored figures were measured with.
    """

    def __init__(self, module=None, *, steps=1000, **kwargs):
        super().__init__(module, **kwargs)
        self.steps = steps

    def _n_epochs(self, n_samples):
        held_out = self.validation_fraction if getattr(self, "early_stopping_", False) else 0.0
        per_epoch = steps_per_epoch(n_samples, self.batch_size, held_out)
        return epochs_for_steps(self.steps, per_epoch, min_epochs=3, max_epochs=500)


class SmallCNN(nn.Module):
    """Two conv layers and a linear head; the same CNN for every image method.

    ``downsample=2`` average-pools 28x28 MNIST to 14x14 first: on one CPU thread a
    28x28 step costs about 13 times an 8x8 one, more than the budget allows.
    """

    def __init__(self, n_classes=10, channels=8, downsample=1, side=None):
        super().__init__()
        # resamplers need 2-D input: images arrive flattened and are put back in shape
        self.side = side
        self.body = nn.Sequential(
            nn.AvgPool2d(downsample) if downsample > 1 else nn.Identity(),
            nn.Conv2d(1, channels, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(32 * channels, n_classes),
        )

    def forward(self, X):
        if X.ndim == 2:
            X = X.reshape(-1, 1, self.side, self.side)
        return self.body(X)


NEURAL_GRID = {"lr": [1e-3, 3e-3], "optimizer__weight_decay": [1e-4, 1e-2]}


def neural_method(name, seed, steps, smallest_class, module=None, downsample=1, side=None):
    # the single network (this page compares losses and resamplers on one network; the
    # ensemble default is benchmarked in ensemble.py)
    kwargs = dict(steps=steps, random_state=seed, num_threads=1, dropout=0.1, **SINGLE_NETWORK)
    if module is not None:
        kwargs.update(
            module=module, module__n_classes=10, module__downsample=downsample, module__side=side
        )
    if name == "PC-softmax (tau=1)":
        return BudgetMIClassifier(tau=1.0, **kwargs), NEURAL_GRID
    plain = dict(tau=0.0, test_prior="training", **kwargs)
    if name == "softmax (tau=0)":
        return BudgetMIClassifier(**plain), NEURAL_GRID
    if name == "softmax + class weights":
        return BudgetMIClassifier(class_weight="balanced", **plain), NEURAL_GRID
    if name == "softmax + post-hoc LA":
        return BudgetMIClassifier(**{**plain, "test_prior": "balanced"}), NEURAL_GRID
    kind = name.split()[0]
    if kind == "SMOTE":
        # SMOTE needs k_neighbors < the smallest class of the data it sees: an inner fold
        # holds half of the outer training part (MNIST rho=100 keeps 4 images of a class).
        sampler = SMOTE(k_neighbors=max(1, min(5, smallest_class // 2 - 1)), random_state=seed)
    else:
        sampler = {"ROS": RandomOverSampler, "RUS": RandomUnderSampler}[kind](random_state=seed)
    pipe = Pipeline([("sample", sampler), ("clf", BudgetMIClassifier(**plain))])
    return pipe, {f"clf__{k}": v for k, v in NEURAL_GRID.items()}


def bar_method(name, seed):
    if name == "BalancedRandomForest":
        return BalancedRandomForestClassifier(
            n_estimators=100,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=seed,
            n_jobs=1,
        ), {"max_features": ["sqrt", 0.5], "min_samples_leaf": [1, 5]}
    if name == "BalancedBagging":
        return BalancedBaggingClassifier(
            estimator=DecisionTreeClassifier(), n_estimators=30, random_state=seed, n_jobs=1
        ), {"max_samples": [0.5, 1.0], "estimator__min_samples_leaf": [1, 5]}
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("lr", LogisticRegression(class_weight="balanced", max_iter=3000)),
        ]
    ), {"lr__C": [0.01, 0.1, 1.0, 10.0]}


def evaluate(name, model, grid, X_train, y_train, X_test, y_test, seed, setting, fold):
    torch.set_num_threads(1)
    start = time.perf_counter()
    inner = StratifiedKFold(2, shuffle=True, random_state=seed)
    search = GridSearchCV(model, grid, cv=inner, scoring="balanced_accuracy", error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X_train, y_train)
        pred = search.predict(X_test)
        mi = (
            np.nan
            if "class weights" in name or "balanced" in name
            else MIScorer()(search.best_estimator_, X_test, y_test)
        )
    return dict(
        setting=setting,
        fold=fold,
        seed=seed,
        method=name,
        balanced_accuracy=balanced_accuracy_score(y_test, pred),
        g_mean=geometric_mean_score(
            y_test, pred, average="multiclass" if len(np.unique(y_test)) > 2 else "binary"
        ),
        macro_f1=f1_score(y_test, pred, average="macro"),
        accuracy=accuracy_score(y_test, pred),
        mi_nats=mi,
        seconds=time.perf_counter() - start,
        best_params=str(search.best_params_),
    )


def tabular_jobs(names, seeds, steps):
    for name in names:
        X, y = load_tabular(name)
        y = LabelEncoder().fit_transform(y)
        for fold, (train, test) in enumerate(
            StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)
        ):
            for seed in range(seeds):
                for method in NEURAL:
                    model, grid = neural_method(method, seed, steps, np.bincount(y[train]).min())
                    yield (
                        method,
                        model,
                        grid,
                        X[train],
                        y[train],
                        X[test],
                        y[test],
                        seed,
                        name,
                        fold,
                    )
            for method in BAR:  # deterministic given the seed; one seed is enough
                model, grid = bar_method(method, 0)
                yield (method, model, grid, X[train], y[train], X[test], y[test], 0, name, fold)


def image_jobs(sets, seeds, steps):
    for name, ratio, profile in sets:
        data = load_images(name, ratio, profile)
        if data is None:
            continue
        X_train, X_test, y_train, y_test, _ = data
        side = X_train.shape[-1]
        # flattened for the resamplers; SmallCNN reshapes them back
        X_train, X_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
        setting = f"{name} {profile} rho={ratio}"
        for seed in range(seeds):
            for method in NEURAL:
                model, grid = neural_method(
                    method,
                    seed,
                    steps,
                    np.bincount(y_train).min(),
                    module=SmallCNN,
                    downsample=2 if name == "mnist5k" else 1,
                    side=side,
                )
                yield (method, model, grid, X_train, y_train, X_test, y_test, seed, setting, 0)


def summarise(frame):
    metrics = ["balanced_accuracy", "g_mean", "macro_f1", "accuracy", "mi_nats"]
    # mean over folds and seeds; std over the (fold, seed) runs
    grouped = frame.groupby(["setting", "method"], sort=False)
    mean, std = grouped[metrics].mean(), grouped[metrics].std()
    return mean, std


def win_tie_loss(mean, std):
    """PC-softmax against each same-network baseline, per setting, on balanced accuracy.

    A difference smaller than the larger of the two fold-to-fold stds is a tie.
    """
    rows = []
    for setting in mean.index.get_level_values(0).unique():
        ours = mean.loc[(setting, NEURAL[0]), "balanced_accuracy"]
        ours_std = std.loc[(setting, NEURAL[0]), "balanced_accuracy"]
        for method in NEURAL[1:]:
            if (setting, method) not in mean.index:
                continue
            theirs = mean.loc[(setting, method), "balanced_accuracy"]
            noise = max(ours_std, std.loc[(setting, method), "balanced_accuracy"])
            diff = ours - theirs
            rows.append(
                dict(
                    setting=setting,
                    method=method,
                    diff=diff,
                    result="tie" if abs(diff) < noise else ("win" if diff > 0 else "loss"),
                )
            )
    return pd.DataFrame(rows)


def markdown(frame, command, env, elapsed):
    mean, std = summarise(frame)
    wtl = win_tie_loss(mean, std)
    lines = [
        "# Imbalanced classification benchmark",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"Wall time: {elapsed / 60:.1f} min.",
        "",
    ]
    lines += ["Balanced accuracy, mean ± std over outer folds and seeds (images: over seeds).", ""]
    settings = list(dict.fromkeys(frame.setting))
    methods = list(dict.fromkeys(frame.method))
    lines.append("| method | " + " | ".join(settings) + " |")
    lines.append("|---|" + "---|" * len(settings))
    for method in methods:
        cells = []
        for setting in settings:
            if (setting, method) in mean.index:
                cells.append(
                    f"{mean.loc[(setting, method), 'balanced_accuracy']:.3f} ± "
                    f"{std.loc[(setting, method), 'balanced_accuracy']:.3f}"
                )
            else:
                cells.append("—")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## PC-softmax against each same-network baseline (balanced accuracy)",
        "",
        "A difference smaller than the larger fold-to-fold std counts as a tie.",
        "",
    ]
    if len(wtl):
        counts = wtl.groupby("method").result.value_counts().unstack(fill_value=0)
        lines.append("| baseline | win | tie | loss |")
        lines.append("|---|---|---|---|")
        for method, row in counts.iterrows():
            lines.append(
                f"| {method} | {row.get('win', 0)} | {row.get('tie', 0)} | {row.get('loss', 0)} |"
            )
        per_setting = wtl.groupby("setting").result.apply(lambda r: (r != "loss").all())
        lines += [
            "",
            f"Settings where PC-softmax is at least tied with every same-network "
            f"baseline: {int(per_setting.sum())} of {len(per_setting)}.",
        ]
    lines += ["", "## All metrics (mean over folds and seeds)", ""]
    lines.append(
        "| setting | method | balanced acc. | G-mean | macro-F1 | accuracy | MI (nats) | seconds |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    seconds = frame.groupby(["setting", "method"], sort=False).seconds.mean()
    for (setting, method), row in mean.iterrows():
        mi = "—" if np.isnan(row.mi_nats) else f"{row.mi_nats:.3f}"
        lines.append(
            f"| {setting} | {method} | {row.balanced_accuracy:.3f} | {row.g_mean:.3f} | "
            f"{row.macro_f1:.3f} | {row.accuracy:.3f} | {mi} | {seconds[(setting, method)]:.1f} |"
        )
    return "\n".join(lines) + "\n"


def plot(frame, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mean, std = summarise(frame)
    settings = list(dict.fromkeys(frame.setting))
    methods = list(dict.fromkeys(frame.method))
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(settings)), 5))
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        xs, ys, es = [], [], []
        for j, setting in enumerate(settings):
            if (setting, method) in mean.index:
                xs.append(j + i * width)
                ys.append(mean.loc[(setting, method), "balanced_accuracy"])
                es.append(std.loc[(setting, method), "balanced_accuracy"])
        ax.bar(xs, ys, width, yerr=es, label=method)
    ax.set_xticks(np.arange(len(settings)) + 0.4 - width / 2)
    ax.set_xticklabels(settings, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("balanced accuracy")
    ax.set_ylim(0.4, 1.0)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=[*TABULAR, "images"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1000, help="cap of optimiser steps (MLP)")
    parser.add_argument("--image-steps", type=int, default=400, help="cap of optimiser steps (CNN)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="page_blocks0, 1 seed, 2 folds' worth")
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("imbalanced.py", argv, threads=f"1 thread per job, {args.jobs} jobs")
    if args.smoke:
        jobs = [j for j in tabular_jobs(["page_blocks0"], 1, 100) if j[-1] == 0]
    else:
        tables = [d for d in args.datasets if d in TABULAR]
        jobs = list(tabular_jobs(tables, args.seeds, args.steps))
        if "images" in args.datasets:
            jobs += list(image_jobs(IMAGE_SETS, args.seeds, args.image_steps))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "imbalanced_smoke" if args.smoke else "imbalanced"
    start = time.perf_counter()
    rows = []
    results = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(evaluate)(*job) for job in jobs
    )
    for row in results:  # written as they come, so a stopped run keeps what it did
        rows.append(row)
        pd.DataFrame(rows).to_csv(out / f"{stem}.csv", index=False)
        print(
            f"{len(rows)}/{len(jobs)} {row['setting']} {row['method']} "
            f"bacc {row['balanced_accuracy']:.3f} ({row['seconds']:.0f}s)",
            flush=True,
        )
    elapsed = time.perf_counter() - start
    frame = pd.DataFrame(rows)
    text = markdown(frame, command, env, elapsed)
    if not args.smoke:
        plot(frame, out / f"{stem}.png")
        text += f"\n## Plot\n\n![Balanced accuracy per method and set]({stem}.png)\n"
    (out / f"{stem}.md").write_text(text)
    print(text)
    return frame


if __name__ == "__main__":
    main()
