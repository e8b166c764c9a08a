import numpy as np
import pytest

from skmi import MIClassifier
from skmi._budget import epochs_for_steps, steps_per_epoch, training_rows


def test_training_rows_are_what_the_early_stopping_split_leaves():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(101, 3)), np.arange(101) % 2
    clf = MIClassifier(early_stopping=True, max_epochs=1, random_state=0, num_threads=1)
    clf.fit(X, y)
    batches = clf.history_[0]["batches"]
    seen = sum(batch.get("train_batch_size", 0) for batch in batches)
    assert seen == training_rows(101, clf.validation_fraction) == 90


@pytest.mark.parametrize(
    ("n", "batch", "fraction", "steps"),
    [
        (300, 256, 0.0, 2),
        (256, 256, 0.0, 1),
        (300, 256, 0.1, 2),
        (285, 256, 0.1, 1),
        (286, 256, 0.1, 2),
        (284, 32, 0.1, 8),
        (50, -1, 0.2, 1),
    ],
)
def test_steps_per_epoch(n, batch, fraction, steps):
    assert steps_per_epoch(n, batch, fraction) == steps


def test_epochs_for_steps_rounds_within_bounds():
    assert epochs_for_steps(2000, 3, min_epochs=10, max_epochs=200) == 200
    assert epochs_for_steps(2000, 40, min_epochs=10, max_epochs=200) == 50
    assert epochs_for_steps(2000, 1000, min_epochs=10, max_epochs=200) == 10
    assert epochs_for_steps(5000, 3000, min_epochs=1, max_epochs=20, rounding=np.ceil) == 2
    assert epochs_for_steps(5000, 3000, min_epochs=1, max_epochs=20) == 2


def test_auto_epochs_follow_the_rule():
    clf = MIClassifier(early_stopping=False, random_state=0, num_threads=1, max_epochs="auto")
    assert clf._n_epochs(1000) == 200  # 4 steps an epoch: 500 epochs, capped at 200
    clf.set_params(batch_size=8)
    assert clf._n_epochs(1000) == 16  # 125 steps an epoch


def test_max_steps_is_a_budget_in_optimiser_steps():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(1000, 3)), np.arange(1000) % 2
    params = dict(early_stopping=False, random_state=0, num_threads=1, batch_size=256)
    clf = MIClassifier(max_steps=100, **params).fit(X, y)
    assert clf.epochs_planned_ == len(clf.history_) == 25  # 4 steps an epoch
    assert sum(row["train_batch_count"] for row in clf.history_) == 100
    assert MIClassifier(max_steps=100, max_epochs=10, **params)._n_epochs(1000) == 10
    assert MIClassifier(max_steps=1, **params)._n_epochs(1000) == 1  # at least one epoch
    with pytest.raises(ValueError, match="max_steps must be None or an int >= 1"):
        MIClassifier(max_steps=0, **params).fit(X, y)
