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
    """Report training progress: a live counter on a terminal, else a line per 25 %."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream

    def on_epoch_end(self, net, **kwargs):
        stream = self.stream or sys.stderr
        epoch, total = len(net.history), net.epochs_planned_
        text = f"  training {self.label:<30} epoch {epoch:>3}/{total}"
        if stream.isatty():
            stream.write("\r" + text + ("\n" if epoch == total else ""))
        elif epoch == total or epoch % max(1, total // 4) == 0:
            stream.write(text + "\n")
        stream.flush()


def run_demo(*, random_state: int = 0, quiet: bool = False, out=None) -> dict:
    """Train the models, print the comparison and return the figures."""
    from skmi import MIClassifier, MIScorer

    out = out or sys.stdout
    X_train, X_test, y_train, y_test = long_tailed_digits(random_state=random_state)
    counts = np.bincount(y_train)

    def say(text=""):
        print(text, file=out, flush=True)

    say("skmi demo: digits (bundled with scikit-learn), training half made long-tailed")
    say(
        f"  train: {len(y_train)} images, class counts {counts.tolist()} "
        f"({counts.max() / counts.min():.0f}:1); test: {len(y_test)} images, balanced"
    )
    say(f"  python {platform.python_version()}, seed {random_state}; same MLP for every model")

    def net(label, **params):
        callbacks = [] if quiet else [("progress", _EpochProgress(label))]
        return MIClassifier(random_state=random_state, callbacks=callbacks, **params)

    start = time.perf_counter()
    pc_softmax = net("PC-softmax").fit(X_train, y_train)
    plain = net("plain softmax", tau=0.0, test_prior="training").fit(X_train, y_train)
    resampled = make_pipeline(
        RandomOverSampler(random_state=random_state),
        net("oversampler + plain softmax", tau=0.0, test_prior="training"),
    ).fit(X_train, y_train)
    # Post-hoc logit adjustment needs no new training: the same plain-softmax network,
    # predicting under a balanced test prior.
    post_hoc = clone_fitted_with(plain, test_prior="balanced")
    elapsed = time.perf_counter() - start

    rows = [
        ("MIClassifier (PC-softmax, tau=1)", pc_softmax),
        ("plain softmax (tau=0)", plain),
        ("plain softmax + post-hoc logit adj.", post_hoc),
        ("RandomOverSampler + plain softmax", resampled),
    ]
    nats, bits = MIScorer(), MIScorer(units="bits")
    results = {}
    say()
    say(f"{'model':<38} {'balanced acc':>12} {'held-out MI (nats)':>19}")
    for name, model in rows:
        bacc = balanced_accuracy_score(y_test, model.predict(X_test))
        mi = nats(model, X_test, y_test)
        results[name] = {"balanced_accuracy": bacc, "mi_nats": mi}
        say(f"{name:<38} {bacc:>12.3f} {mi:>19.3f}")
    mi_nats = results[rows[0][0]]["mi_nats"]
    mi_bits = bits(pc_softmax, X_test, y_test)
    say()
    say(
        f"I(X;Y) estimate from MIClassifier on the held-out test half: {mi_nats:.3f} nats "
        f"= {mi_bits:.3f} bits"
    )
    say(
        f"  (H(Y) = {np.log(10):.3f} nats = {np.log2(10):.3f} bits bounds it; the estimate is "
        "a lower bound in expectation)"
    )
    say(f"Trained 3 networks in {elapsed:.0f} s.")
    return {"mi_nats": mi_nats, "mi_bits": mi_bits, "models": results}


def clone_fitted_with(model, **params):
    """A copy of a fitted model with prediction-time parameters changed (no refit)."""
    import copy

    return copy.deepcopy(model).set_params(**params)
