"""CUDA checks: skipped without a GPU; run by scripts/gpu_check.sh on a GPU machine."""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from sklearn.model_selection import StratifiedKFold, cross_val_score

from skmi import MIClassifier, MIScorer
from skmi._classifier import SINGLE_NETWORK
from skmi._warnings import UnverifiedCUDAWarning

from ._tasks import gaussian_task

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
    # these tests ask for the unverified paths on purpose; a replay that fails its
    # check (and falls back to eager steps) is a failure here
    pytest.mark.filterwarnings("ignore::skmi._warnings.UnverifiedCUDAWarning"),
    pytest.mark.filterwarnings("error::skmi._warnings.GraphFallbackWarning"),
]


@pytest.fixture
def replays(monkeypatch):
    """Every CUDA-graph replay of the test, counted: the path was taken."""
    counted = []
    original = torch.cuda.CUDAGraph.replay
    monkeypatch.setattr(
        torch.cuda.CUDAGraph, "replay", lambda self: counted.append(1) or original(self)
    )
    return counted


@pytest.fixture
def batched(monkeypatch):
    """The number of members of each batched training: the batched path was taken."""
    from skmi import _together

    sizes = []
    original = _together.train_members

    def counted(members, **kwargs):
        sizes.append(len(members))
        return original(members, **kwargs)

    monkeypatch.setattr(_together, "train_members", counted)
    return sizes


@pytest.fixture(scope="module")
def task():
    return gaussian_task(3000, priors=(0.8, 0.15, 0.05), separation=1.5, n_features=3)


def test_fit_and_predict_on_cuda(task):
    X, y, _ = task
    clf = MIClassifier(device="cuda", max_epochs=20, random_state=0).fit(X, y)
    assert next(clf.module_.parameters()).is_cuda
    assert clf.criterion_.log_prior.is_cuda
    proba = clf.predict_proba(X)
    assert isinstance(proba, np.ndarray)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    cpu = MIClassifier(device="cpu", max_epochs=20, random_state=0).fit(X, y)
    # different kernels, same seed and data: close, not bit-identical
    assert np.mean(clf.predict(X) == cpu.predict(X)) > 0.95


def test_auto_device_uses_cuda(task):
    X, y, _ = task
    clf = MIClassifier(max_epochs=2, random_state=0).fit(X, y)
    assert clf.get_params()["device"] == "auto" and clf.device == "cuda"
    clf.forward(X)  # skorch methods get a real device
    assert next(clf.module_.parameters()).is_cuda


def test_cuda_estimate_matches_the_truth(task):
    X, y, truth = task
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    clf = MIClassifier(device="cuda", early_stopping=True, random_state=0)
    scores = cross_val_score(clf, X, y, cv=cv, scoring=MIScorer())
    assert truth - 0.05 < scores.mean() < truth + 0.02


def test_cuda_fits_are_reproducible(task):
    X, y, _ = task
    a = MIClassifier(device="cuda", max_epochs=5, random_state=0).fit(X, y).predict_proba(X)
    b = MIClassifier(device="cuda", max_epochs=5, random_state=0).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize("device", ["cuda", "auto"])
def test_cuda_model_loads_on_a_cpu_only_process(task, tmp_path, device):
    X, y, _ = task
    clf = MIClassifier(device=device, max_epochs=5, random_state=0).fit(X, y)
    expected = clf.predict_proba(X[:50])
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(clf))
    clf.save_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    np.save(tmp_path / "X.npy", X[:50])
    script = textwrap.dedent(
        f"""
        import pickle, warnings, numpy as np, torch
        assert not torch.cuda.is_available()
        from skmi import MIClassifier
        X = np.load({str(tmp_path / "X.npy")!r})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = pickle.loads(open({str(tmp_path / "model.pkl")!r}, "rb").read())
        assert not next(clf.module_.parameters()).is_cuda
        np.save({str(tmp_path / "pickled.npy")!r}, clf.predict_proba(X))
        new = MIClassifier(device={device!r})
        new.load_params(f_params={str(tmp_path / "p.pt")!r}, f_criterion={str(tmp_path / "c.pt")!r})
        np.save({str(tmp_path / "loaded.npy")!r}, new.predict_proba(X))
        """
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    np.testing.assert_allclose(np.load(tmp_path / "pickled.npy"), expected, atol=1e-4)
    np.testing.assert_allclose(np.load(tmp_path / "loaded.npy"), expected, atol=1e-4)


def test_training_data_live_on_the_gpu_and_prediction_streams(task):
    X, y, _ = task
    clf = MIClassifier(device="cuda", max_epochs=2, random_state=0).fit(X, y)
    dataset = clf.get_dataset(X.astype(np.float32), np.asarray(y, dtype=np.int64))
    assert dataset.X.is_cuda and dataset.y.is_cuda
    assert not torch.is_tensor(clf.get_dataset(X.astype(np.float32)).X)
    assert clf.get_iterator(clf.get_dataset(X), training=False).batch_size == 4096


def test_bf16_autocast_trains_and_predicts_like_float32(task):
    X, y, _ = task
    if not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    bf16 = MIClassifier(device="cuda", precision="bf16", max_epochs=20, random_state=0)
    fp32 = MIClassifier(device="cuda", max_epochs=20, random_state=0)
    bf16.fit(X, y), fp32.fit(X, y)
    assert np.isfinite(bf16.decision_function(X)).all()
    assert np.mean(bf16.predict(X) == fp32.predict(X)) > 0.95


def test_networks_trained_together_on_cuda_equal_their_own_fits(task, batched):
    # one batch an epoch: the stacked CUDA training must reproduce each model's own fit
    # (the single network: the 4-member default does not train in a batch)
    from skmi._together import fit_together, network_of, pays_to_batch

    X, y, _ = task
    settings = {
        "device": "cuda",
        "batch_size": 4096,
        "max_epochs": 10,
        "dropout": 0.0,
        "cuda_graphs": False,
        **SINGLE_NETWORK,
    }
    rows = [np.arange(0, 3000), np.arange(0, 2000)]
    jobs = [(MIClassifier(**settings, random_state=s), X[r], y[r]) for s, r in enumerate(rows)]
    assert all(network_of(net) is not None for net, _, _ in jobs)
    assert pays_to_batch([net for net, _, _ in jobs], 10**6)
    fitted = fit_together(jobs)
    assert batched == [2]  # both trained as one stack
    for s, (r, model) in enumerate(zip(rows, fitted, strict=True)):
        assert next(model.module_.parameters()).is_cuda
        alone = MIClassifier(**settings, random_state=s).fit(X[r], y[r])
        np.testing.assert_allclose(
            model.decision_function(X), alone.decision_function(X), atol=1e-3
        )


def test_batched_networks_replayed_from_cuda_graphs_match_their_eager_training(
    task, replays, batched
):
    # five members of different sizes that stop at different epochs: parked members,
    # compaction and recapture all happen; the results must be the eager ones
    from skmi._together import fit_together

    X, y, _ = task
    settings = dict(
        device="cuda",
        batch_size=128,
        dropout=0.0,
        early_stopping=True,
        n_iter_no_change=3,
        **SINGLE_NETWORK,
    )
    sizes = (3000, 2500, 2000, 1500, 1000)

    def fitted(cuda_graphs):
        jobs = [
            (
                MIClassifier(
                    **settings, max_epochs=10 + 5 * s, cuda_graphs=cuda_graphs, random_state=s
                ),
                X[:n],
                y[:n],
            )
            for s, n in enumerate(sizes)
        ]
        return fit_together(jobs)

    graphed = fitted(True)
    n_replays = len(replays)
    eager = fitted(False)
    assert batched == [5, 5]  # each time one stack of five
    assert n_replays > 100 and len(replays) == n_replays
    for a, b in zip(graphed, eager, strict=True):
        assert len(a.history) == len(b.history)
        np.testing.assert_allclose(a.decision_function(X), b.decision_function(X), atol=1e-4)


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_cuda_graph_training_matches_the_eager_steps(task, replays, dropout):
    from skmi import _graphs

    X, y, _ = task  # 3,000 rows, batch 256: a ragged last batch of 184
    params = dict(
        device="cuda",
        max_epochs=8,
        early_stopping=False,
        dropout=dropout,
        random_state=0,
        cuda_graphs=True,
    )
    graphed = MIClassifier(**params).fit(X, y)
    assert graphed.cuda_graphs_ is True
    n_replays = len(replays)
    eager = MIClassifier(**{**params, "cuda_graphs": False}).fit(X, y)
    assert eager.cuda_graphs_ is False and len(replays) == n_replays
    # 12 batches an epoch, 8 epochs; all but the 3 warm-up steps of each shape replay
    assert n_replays == 12 * 8 - 2 * _graphs.WARMUP_STEPS
    np.testing.assert_allclose(
        graphed.history[:, "train_loss"], eager.history[:, "train_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(graphed.predict_proba(X), eager.predict_proba(X), atol=1e-4)


def test_cuda_graphs_with_early_stopping_keep_the_best_weights(task, replays):
    X, y, _ = task
    params = dict(device="cuda", max_epochs=60, early_stopping=True, random_state=0)
    graphed = MIClassifier(n_iter_no_change=3, cuda_graphs=True, **params).fit(X, y)
    assert graphed.cuda_graphs_ is True and len(replays) > 100
    eager = MIClassifier(n_iter_no_change=3, cuda_graphs=False, **params).fit(X, y)
    assert len(graphed.history) == len(eager.history)
    np.testing.assert_allclose(graphed.predict_proba(X), eager.predict_proba(X), atol=1e-4)


def test_cuda_graph_prediction_matches_the_eager_pass(task, replays):
    X, y, _ = task
    clf = MIClassifier(device="cuda", max_epochs=3, random_state=0, cuda_graphs=True).fit(X, y)
    assert clf.cuda_graphs_ is True
    X_many = np.tile(X, (17, 1))  # 51,000 rows: 12 batches of 4,096 and one of 1,848
    replays.clear()
    graphed = clf.predict_proba(X_many)
    from skmi import _graphs

    assert len(replays) == 12 - _graphs.WARMUP_STEPS  # the last shape is seen once
    clf.cuda_graphs_ = False
    np.testing.assert_allclose(graphed, clf.predict_proba(X_many), atol=1e-6)
    assert "_graph_forward" not in vars(clf)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_scores_on_cuda_equal_scikit_learns(dtype, monkeypatch):
    from sklearn.preprocessing import QuantileTransformer

    from skmi import _candidates
    from skmi._candidates import _NormalScores

    from .test_candidates import _awkward_table

    devices = []
    original = _candidates._interpolated_levels

    def recorded(x, *args):
        devices.append(x.device.type)
        return original(x, *args)

    monkeypatch.setattr(_candidates, "_interpolated_levels", recorded)
    X = _awkward_table(20000, dtype)
    theirs = QuantileTransformer(output_distribution="normal", random_state=0).fit(X)
    ours = _NormalScores(output_distribution="normal", random_state=0, device="cuda").fit(X)
    for Z in (X, _awkward_table(3000, dtype, seed=1) * 2):
        np.testing.assert_array_equal(ours.transform(Z), theirs.transform(Z))
    assert devices and set(devices) == {"cuda"}  # the search ran on the GPU


def test_defaults_on_cuda_run_eagerly_until_verified(task, replays):
    from skmi import _graphs

    X, y, _ = task
    clf = MIClassifier(device="cuda", max_epochs=2, random_state=0).fit(X, y)
    clf.predict_proba(np.tile(X, (10, 1)))
    assert clf.cuda_graphs_ is (_graphs.GPU_EVIDENCE is not None)
    if _graphs.GPU_EVIDENCE is None:
        assert replays == []
        with pytest.warns(UnverifiedCUDAWarning):
            MIClassifier(device="cuda", max_epochs=1, cuda_graphs=True).fit(X, y)
