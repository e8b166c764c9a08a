"""No fit returns a network trained to NaN (issue 23): the float32 quantile knots of the
default network, and the guard that stops a diverging fit (one network and the batched
trainer)."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skmi import MIClassifier
from skmi._batched import _Stack, train_members
from skmi._mlp import feature_quantiles, normal_scores
from skmi._warnings import NonFiniteLossError, NonFiniteLossWarning
from tests.test_batched import _flat, _member


def _gridded_table(seed, n=990, d=6):
    """The issue's repro: scores on a 0.01 grid, many tied values."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.beta(2, 5, size=(n, d)), 2)
    y = (X[:, 0] + 0.3 * rng.standard_normal(n) > 0.45).astype(int)
    return X, y


@pytest.mark.parametrize(
    "grid",
    [
        lambda rng, n: np.round(rng.beta(2, 5, n), 2),  # scores in steps of 0.01
        lambda rng, n: np.round(rng.lognormal(7, 1, n), 2),  # prices in cents
        lambda rng, n: 1e-9 * rng.integers(0, 50, n) + 0.1,  # steps far below float32's
        lambda rng, n: 3e38 * rng.integers(0, 2, n).astype(float),  # near float32's top
    ],
)
def test_float32_knots_are_strictly_increasing_on_tied_and_gridded_data(grid):
    rng = np.random.default_rng(0)
    for seed in range(20):
        X = np.column_stack([grid(np.random.default_rng(seed), 990) for _ in range(3)])
        table = feature_quantiles(X.astype(np.float32), random_state=seed)
        knots = table[0].astype(np.float32)
        assert np.all(np.diff(knots, axis=1) > 0)
        assert np.array_equal(knots, table[0])  # exact in the dtype they are stored in
        table32 = torch.as_tensor(table, dtype=torch.float32)
        scores = normal_scores(torch.as_tensor(X, dtype=torch.float32), table32)
        assert torch.isfinite(scores).all()
    # and the float64 knots of an unrounded table (scikit-learn's) stay as they were
    X = rng.normal(size=(500, 2))
    exact = feature_quantiles(X, dtype=np.float64)
    assert len(np.unique(exact[0, 0])) == 500


def test_a_table_saved_with_collapsed_knots_reads_finite_scores():
    # skmi 0.2.0 could store two equal knots at the start: x at the minimum divided 0 by 0
    table = torch.tensor([[[0.0, 0.0, 1.0, 2.0]], [[0.1, 0.2, 0.5, 0.9]]])
    scores = normal_scores(torch.tensor([[-1.0], [0.0], [1.5]]), table)
    assert torch.isfinite(scores).all()
    assert scores[1, 0] == pytest.approx(float(torch.special.ndtri(torch.tensor(0.2))))


def test_the_issue_repro_trains_normally_with_the_default_network():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score

    X, y = _gridded_table(7, n=1990)  # the issue's first 990 rows, and 1,000 more to test
    clf = MIClassifier(random_state=0, num_threads=1).fit(X[:990], y[:990])
    assert np.all(np.isfinite(clf.history[:, "valid_loss"]))
    assert np.all(np.isfinite(clf.history[:, "train_loss"]))
    predicted = clf.predict(X[990:])
    assert set(np.unique(predicted)) == {0, 1}  # 0.2.0 predicted class 0 only
    # the signal is weak (noise of 0.3 on a 0.45 threshold): as good as a linear model
    linear = LogisticRegression(class_weight="balanced").fit(X[:990], y[:990])
    ours = balanced_accuracy_score(y[990:], predicted)
    assert ours > balanced_accuracy_score(y[990:], linear.predict(X[990:])) - 0.03 > 0.6


class _PoisonAt(Callback):
    """Turns every weight into NaN at the start of one epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:  # the epoch that begins
            with torch.no_grad():
                for parameter in net.module_.parameters():
                    parameter.fill_(float("nan"))


@pytest.mark.parametrize("n_members", [1, 4])
def test_a_diverging_fit_restores_its_last_finite_weights_with_a_warning(n_members):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    params = dict(n_members=n_members, early_stopping=False, random_state=0, num_threads=1)
    three = MIClassifier(max_epochs=3, **params).fit(X, y)
    poisoned = MIClassifier(max_epochs=10, callbacks=[_PoisonAt(4)], **params)
    with pytest.warns(NonFiniteLossWarning, match="epoch 4.*weights of epoch 3"):
        poisoned.fit(X, y)
    assert len(poisoned.history) == 4  # stopped at the first non-finite epoch
    assert not np.isfinite(poisoned.history[-1, "train_loss"])
    np.testing.assert_allclose(poisoned.predict_proba(X), three.predict_proba(X), rtol=1e-6)
    assert np.isfinite(poisoned.decision_function(X)).all()


def test_a_fit_that_diverges_in_its_first_epoch_raises():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = MIClassifier(
        optimizer=torch.optim.SGD, optimizer__lr=1e30, max_epochs=5, random_state=0, num_threads=1
    )
    with pytest.raises(NonFiniteLossError, match="epoch 1.*no trained weights"):
        clf.fit(X, y)


def test_partial_fit_returns_to_the_weights_it_started_from():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = MIClassifier(n_members=1, max_epochs=2, random_state=0, num_threads=1).fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(callbacks=[_PoisonAt(len(clf.history) + 1)])
    clf.initialize_callbacks()
    with pytest.warns(NonFiniteLossWarning, match="start of this call"):
        clf.partial_fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), before, rtol=1e-6)


@pytest.mark.parametrize("valid", [0, 30])
def test_a_batched_member_that_diverges_stops_with_its_last_finite_weights(monkeypatch, valid):
    # one step an epoch (full batches); member 1's weights turn NaN in the 4th step
    calls = {"n": 0}
    step = _Stack._step

    def poisoning_step(self):
        step(self)
        calls["n"] += 1
        if calls["n"] == 4:
            with torch.no_grad():
                for parameter in self.params:
                    parameter[1].fill_(float("nan"))

    def members():
        return [
            _member(50, 0, max_epochs=8, valid=valid),
            _member(50, 1, max_epochs=8, valid=valid),
        ]

    clean = train_members(members(), batch_size=64, optimizer_kwargs={"lr": 1e-2})
    three = train_members(
        [_member(50, 1, max_epochs=3, valid=valid)], batch_size=64, optimizer_kwargs={"lr": 1e-2}
    )[0]
    monkeypatch.setattr(_Stack, "_step", poisoning_step)
    poisoned = train_members(members(), batch_size=64, optimizer_kwargs={"lr": 1e-2})
    assert torch.equal(_flat(poisoned[0].weights), _flat(clean[0].weights))  # unaffected
    assert poisoned[0].non_finite_epoch is None
    result = poisoned[1]
    assert result.non_finite_epoch == 4 and len(result.train_loss) == 4
    if valid:  # early stopping's best epoch, which the 4th cannot be
        assert result.restored_epoch == result.best_epoch <= 3
        assert torch.isfinite(_flat(result.weights)).all()
    else:
        assert result.restored_epoch == 3
        assert torch.equal(_flat(result.weights), _flat(three.weights))


def test_a_batched_network_with_no_finite_epoch_comes_back_as_the_error(monkeypatch):
    from skmi._together import fit_together

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    step = _Stack._step

    def poisoning_step(self):
        step(self)
        with torch.no_grad():
            self.params[0][0].fill_(float("nan"))

    monkeypatch.setattr(_Stack, "_step", poisoning_step)
    params = dict(
        n_members=1, num_embeddings=None, input_scaling="standard", max_epochs=3, num_threads=1
    )
    models = [MIClassifier(random_state=s, **params) for s in (0, 1)]
    with pytest.warns(NonFiniteLossWarning, match="epoch 2.*weights of epoch 1"):
        outcomes = fit_together((model, X, y) for model in models)
    assert isinstance(outcomes[0], NonFiniteLossError)
    # once the first is taken out, the second is row 0 of the stack: poisoned from its
    # second epoch on, it returns its first epoch's weights
    assert outcomes[1] is models[1]
    assert np.isfinite(models[1].decision_function(X)).all()
