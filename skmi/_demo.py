"""``skmi demo``: PC-softmax against plain softmax and a resampler on embedded data.

The data are scikit-learn's bundled handwritten digits (no download). As in the
CIFAR-LT protocol, the data are split first; the training half is made long-tailed
with an exponential profile (the most frequent class 20 times the rarest), and the test
half stays balanced.
"""

from __future__ import annotations

import platform
import sys
import time

import numpy as np
from imblearn.datasets import make_imbalance
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

IMBALANCE_RATIO = 20


def long_tailed_digits(imbalance_ratio: float = IMBALANCE_RATIO, random_state: int = 0):
    """Digits split in half; the training half long-tailed, the test half balanced.

    Returns ``X_train, X_test, y_train, y_test`` (pixel values 0-16 as float64).
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=random_state
    )
    classes, counts = np.unique(y_train, return_counts=True)
    n_max = counts.min()
    profile = imbalance_ratio ** (-np.arange(len(classes)) / (len(classes) - 1))
    wanted = {c: max(2, round(n_max * r)) for c, r in zip(classes, profile, strict=True)}
    X_train, y_train = make_imbalance(
        X_train, y_train, sampling_strategy=wanted, random_state=random_state
    )
    return X_train, X_test, y_train, y_test


class _EpochProgress(Callback):
    """Report training progress: a live counter on a terminal, else a line per 25 %;
    and, when training ends, after how many epochs and why."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream

    def on_epoch_end(self, net, **kwargs):
        stream = self.stream or sys.stderr
        epoch, total = len(net.history), net.epochs_planned_
        text = f"  training {self.label:<30} epoch {epoch:>3}/{total}"
        if stream.isatty():
            stream.write("\r" + text)
        elif epoch % max(1, total // 4) == 0 and epoch < total:
            stream.write(text + "\n")
        stream.flush()

    def on_train_end(self, net, **kwargs):
        stream = self.stream or sys.stderr
        epoch, total = len(net.history), net.epochs_planned_
        if epoch < total:
            best = [i for i, row in enumerate(net.history, 1) if row.get("valid_loss_best")]
            kept = f"; kept epoch {best[-1]}, the best on validation" if best else ""
            why = f"early stopping after {epoch} of {total} epochs{kept}"
        else:
            why = f"all {total} epochs"
        text = f"  trained  {self.label:<30} {why}"
        stream.write(("\r" if stream.isatty() else "") + text + "\n")
        stream.flush()


MODEL_NAMES = (
    "MIClassifier (PC-softmax, tau=1)",
    "plain softmax (tau=0)",
    "plain softmax + post-hoc logit adj.",
    "RandomOverSampler + plain softmax",
)


def _fit_models(X_train, y_train, random_state: int, quiet: bool) -> dict:
    """The same MLP four ways; post-hoc adjustment reuses the plain network."""
    from skmi import MIClassifier
    from skmi._classifier import SINGLE_NETWORK

    def net(label, **params):
        callbacks = (
            [] if quiet else [("progress", _EpochProgress(f"{label} (seed {random_state})"))]
        )
        # the single network with dropout 0.1 (the demo's stored output,
        # docs/benchmarks/demo.md, is its; MIClassifier's default dropout is 0 since 0.3)
        return MIClassifier(
            **SINGLE_NETWORK, dropout=0.1, random_state=random_state, callbacks=callbacks, **params
        )

    pc_softmax = net("PC-softmax").fit(X_train, y_train)
    plain = net("plain softmax", tau=0.0, test_prior="training").fit(X_train, y_train)
    resampled = make_pipeline(
        RandomOverSampler(random_state=random_state),
        net("oversampler + plain", tau=0.0, test_prior="training"),
    ).fit(X_train, y_train)
    # Post-hoc logit adjustment needs no new training: the same plain-softmax network,
    # predicting under a balanced test prior.
    post_hoc = clone_fitted_with(plain, test_prior="balanced")
    return dict(zip(MODEL_NAMES, (pc_softmax, plain, post_hoc, resampled), strict=True))


def run_demo(*, seeds: int = 3, quiet: bool = False, out=None) -> dict:
    """Train the models for each seed, print the comparison and return the figures.

    Each seed draws a new split and long-tailed training half and new network weights.
    """
    from skmi import MIScorer

    out = out or sys.stdout

    def say(text=""):
        print(text, file=out, flush=True)

    X_train, _, y_train, y_test = long_tailed_digits(random_state=0)
    counts = np.bincount(y_train)
    say("skmi demo: digits (bundled with scikit-learn), training half made long-tailed")
    say(
        f"  train: {len(y_train)} images, class counts {counts.tolist()} "
        f"({counts.max() / counts.min():.0f}:1); test: {len(y_test)} images, balanced"
    )
    say(
        f"  {seeds} seeds (split, imbalance and weights); the same MLP for every model; "
        f"python {platform.python_version()}"
    )

    nats, bits = MIScorer(), MIScorer(units="bits")
    bacc = {name: [] for name in MODEL_NAMES}
    mi = {name: [] for name in MODEL_NAMES}
    mi_bits = []
    start = time.perf_counter()
    for seed in range(seeds):
        X_train, X_test, y_train, y_test = long_tailed_digits(random_state=seed)
        models = _fit_models(X_train, y_train, seed, quiet)
        for name, model in models.items():
            bacc[name].append(balanced_accuracy_score(y_test, model.predict(X_test)))
            mi[name].append(nats(model, X_test, y_test))
        mi_bits.append(bits(models[MODEL_NAMES[0]], X_test, y_test))
    elapsed = time.perf_counter() - start

    say()
    say(f"{'model':<38} {'balanced accuracy':>18} {'held-out MI (nats)':>19}")
    for name in MODEL_NAMES:
        say(
            f"{name:<38} {np.mean(bacc[name]):>11.3f} ± {np.std(bacc[name]):.3f} "
            f"{np.mean(mi[name]):>12.3f} ± {np.std(mi[name]):.3f}"
        )
    mi_nats = float(np.mean(mi[MODEL_NAMES[0]]))
    say()
    say(
        f"I(X;Y) estimate from MIClassifier on the held-out test half: {mi_nats:.3f} nats "
        f"= {np.mean(mi_bits):.3f} bits (mean ± std over seeds: ± {np.std(mi_bits):.3f} bits)"
    )
    say(
        f"  H(Y) = {np.log(10):.3f} nats = {np.log2(10):.3f} bits bounds it; the estimate is "
        "a lower bound in expectation."
    )
    say(f"Trained {3 * seeds} networks in {elapsed:.0f} s.")
    return {
        "mi_nats": mi_nats,
        "mi_bits": float(np.mean(mi_bits)),
        "models": {
            name: {
                "balanced_accuracy": float(np.mean(bacc[name])),
                "mi_nats": float(np.mean(mi[name])),
            }
            for name in MODEL_NAMES
        },
    }


def clone_fitted_with(model, **params):
    """A copy of a fitted model with prediction-time parameters changed (no refit)."""
    import copy

    return copy.deepcopy(model).set_params(**params)
