"""skorch's AccelerateMixin (Hugging Face Accelerate) with MIClassifier, in CPU mode: the
multi-GPU path of docs/scaling.md, smoke-tested without GPUs."""

import numpy as np
import pytest

from skmi import MIClassifier, MIScorer

accelerate = pytest.importorskip("accelerate")
from skorch.hf import AccelerateMixin  # noqa: E402


class AcceleratedMIClassifier(AccelerateMixin, MIClassifier):
    """MIClassifier whose training loop Accelerate drives."""


def test_accelerated_fit_matches_the_plain_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=600) > 0.8).astype(int)
    net = AcceleratedMIClassifier(
        accelerator=accelerate.Accelerator(cpu=True),
        device=None,  # Accelerate places the module and the batches
        max_epochs=5,
        random_state=0,
        num_threads=1,
        callbacks__print_log__sink=lambda *args, **kwargs: None,
    ).fit(X, y)
    plain = MIClassifier(max_epochs=5, random_state=0, num_threads=1, device="cpu").fit(X, y)
    np.testing.assert_allclose(net.predict_proba(X), plain.predict_proba(X), rtol=1e-6)
    assert net.early_stopping_ and len(net.history) == 5
    assert MIScorer()(net, X, y) == pytest.approx(MIScorer()(plain, X, y), rel=1e-6)
