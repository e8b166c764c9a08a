"""MIClassifiers fitted together as one batch: prepared by their own fit code, trained
stacked, loaded back as ordinary fitted models."""

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import EpochScoring

from skmi import MIClassifier, estimate_mi
from skmi._classifier import SINGLE_NETWORK
from skmi._together import fit_together, network_of, pays_to_batch
from skmi.datasets import make_task


@pytest.fixture(scope="module")
def task():
    return make_task("gaussian_imbalanced", 300, random_state=0)


def _net(**kwargs):
    params = {"dropout": 0.0, "random_state": 0, "lr": 1e-2, **SINGLE_NETWORK}
    return MIClassifier(**{**params, **kwargs})


def test_full_batch_fits_equal_the_one_at_a_time_fits(task):
    # with one batch an epoch, shuffling plays no part: the batched fit of each model
    # (its standardisation, initial weights, prior, optimizer) must equal its own fit
    X, y, _ = task
    rows = [np.arange(0, 300), np.arange(0, 200), np.arange(100, 260)]
    settings = {"batch_size": 512, "max_epochs": 15, "early_stopping": False}
    jobs = [(_net(**settings, random_state=s), X[r], y[r]) for s, r in enumerate(rows)]
    together = fit_together(jobs)
    for s, (r, model) in enumerate(zip(rows, together, strict=True)):
        alone = _net(**settings, random_state=s).fit(X[r], y[r])
        np.testing.assert_allclose(
            model.decision_function(X), alone.decision_function(X), atol=1e-4
        )
        assert len(model.history_) == 15
        assert model.history_[-1, "train_loss"] == pytest.approx(
            alone.history_[-1, "train_loss"], abs=1e-5
        )


def test_pipelines_and_early_stopping(task):
    X, y, _ = task
    jobs = [(make_pipeline(StandardScaler(), _net(random_state=s)), X, y) for s in range(3)]
    models = fit_together(jobs)
    for model in models:
        net = model[-1]
        assert hasattr(model[0], "mean_")  # the scaler was fitted on the job's rows
        epochs = len(net.history_)
        assert net.early_stopping_ and 1 <= epochs < net.epochs_planned_
        losses = net.history_[:, "valid_loss"]
        best = int(np.argmin(losses)) + 1
        assert epochs - best == net.n_iter_no_change
        assert net.history_[:, "valid_loss_best"][best - 1]
        proba = model.predict_proba(X)
        assert proba.shape == (300, 3) and np.allclose(proba.sum(1), 1)
    # different seeds, different networks
    assert not np.allclose(models[0].predict_proba(X), models[1].predict_proba(X))


def test_jobs_on_the_same_rows_share_their_quantile_map(task):
    # column sets read through a mask (skmi._crossfit.on_columns): the map before the
    # mask sees every column, so one fit serves every job on the same rows
    from skmi._candidates import _NormalScores
    from skmi._crossfit import SharedNetworkInputs, on_columns

    X, y, _ = task
    settings = {"batch_size": 512, "max_epochs": 3, "early_stopping": False}

    def model(columns):
        base = make_pipeline(_NormalScores(output_distribution="normal", random_state=0), _net())
        return on_columns(
            base.set_params(
                miclassifier__random_state=1,
                **{f"miclassifier__{k}": v for k, v in settings.items()},
            ),
            columns,
        )

    rows = np.arange(250)
    sets = [[0, 1], [1], [0, 1]]
    shared = fit_together(
        [(model(c), X[rows], y[rows], "rows 0-249") for c in sets],
        network_input=SharedNetworkInputs(),
    )
    alone = fit_together([(model(c), X[rows], y[rows]) for c in sets])
    assert shared[0][0] is shared[1][0] is shared[2][0]  # one fitted map
    assert alone[0][0] is not alone[1][0]
    for a, b in zip(shared, alone, strict=True):
        np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)
    # the masked column reaches the network as 0: the one-column model ignores x0
    moved = X.copy()
    moved[:, 0] += 5.0
    np.testing.assert_allclose(shared[1].predict_proba(moved), shared[1].predict_proba(X))
    assert not np.allclose(shared[0].predict_proba(moved), shared[0].predict_proba(X))


def test_a_failing_job_returns_its_error_and_the_others_still_fit(task):
    X, y, _ = task
    lone = np.r_[np.flatnonzero(y == 0)[:40], np.flatnonzero(y == 2)[:1]]
    outcomes = fit_together([(_net(early_stopping=True), X[lone], y[lone]), (_net(), X, y)])
    assert isinstance(outcomes[0], ValueError) and "validation split" in str(outcomes[0])
    assert isinstance(outcomes[1], MIClassifier) and hasattr(outcomes[1], "classes_")


@pytest.mark.parametrize(
    "model",
    [
        _net(callbacks=[("acc", EpochScoring("accuracy"))]),
        _net(module=torch.nn.Linear),
        _net(optimizer=torch.optim.LBFGS),
        _net(precision="bf16"),
        _net(class_weight="balanced"),
        _net(verbose=1),
        _net(module__dropout=0.2),
        type("Custom", (MIClassifier,), {})(),
    ],
    ids=["callbacks", "module", "lbfgs", "bf16", "class_weight", "verbose", "module_param", "sub"],
)
def test_what_the_batched_trainer_does_not_reproduce_fits_alone(model, task):
    assert network_of(model) is None
    assert network_of(make_pipeline(StandardScaler(), model)) is None


def test_plain_networks_are_batched_where_memory_allows():
    nets = [_net(), _net(optimizer=torch.optim.SGD)]
    assert all(network_of(net) is net for net in nets)
    assert pays_to_batch(nets, 10**6) and not pays_to_batch(nets, 10**10)
    assert not pays_to_batch(nets[:1], 10**6)  # one network: nothing to share


def test_estimate_is_the_same_up_to_seed_noise_batched_or_not():
    X, y, truth = make_task("gaussian_binary", 400, random_state=1)
    batched = estimate_mi(X, y, random_state=0, batch_networks=True)
    alone = estimate_mi(X, y, random_state=0, batch_networks=False)
    assert abs(batched.mi - alone.mi) < 0.03
    assert batched.ci[0] <= truth <= batched.ci[1]
    assert set(batched.weights) == set(alone.weights)
    with pytest.raises(ValueError, match="batch_networks"):
        estimate_mi(X, y, batch_networks="yes")


def test_the_optimizer_settings_and_the_history_reach_the_batched_models(task):
    # mutation testing (issue 23): optimizer__ parameters are passed to the stack, and
    # each model's history numbers its epochs as fit would
    X, y, _ = task
    frozen = [_net(optimizer__lr=0.0, max_epochs=3, random_state=s) for s in (0, 1)]
    fitted = fit_together((model, X, y) for model in frozen)
    assert all(isinstance(model, MIClassifier) for model in fitted)
    assert fitted[0].history[:, "epoch"] == [1, 2, 3]
    # lr = 0: the weights are the seeded initial ones (AdamW's decay is scaled by lr)
    alone = _net(optimizer__lr=0.0, max_epochs=3, random_state=0).fit(X, y)
    for batched, own in zip(
        fitted[0].module_.parameters(), alone.module_.parameters(), strict=True
    ):
        torch.testing.assert_close(batched, own)
    moved = fit_together((_net(max_epochs=3, random_state=s), X, y) for s in (0, 1))
    assert not torch.equal(next(moved[0].module_.parameters()), next(alone.module_.parameters()))
