"""The CUDA-graph training step (skmi._graphs). Without a GPU the same static-buffer
step runs eagerly, and must train exactly as skorch's own step; the capture itself is
tested in tests/test_cuda.py."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from skmi import MIClassifier, _graphs, _training

from ._tasks import gaussian_task


@pytest.fixture(scope="module")
def task():
    return gaussian_task(530, priors=(0.7, 0.2, 0.1), separation=1.5, n_features=4)


def _fit(X, y, static_step: bool, monkeypatch, **params):
    """A fit, and the batch sizes that went through the static-buffer step."""
    monkeypatch.setattr(_training, "resolve_cuda_graphs", lambda net: static_step)
    steps = []
    original = _graphs.GraphedTrainStep.__call__

    def counted(self, batch, **fit_params):
        steps.append(len(batch[0]))
        return original(self, batch, **fit_params)

    with monkeypatch.context() as patch:
        patch.setattr(_graphs.GraphedTrainStep, "__call__", counted)
        clf = MIClassifier(random_state=0, num_threads=1, **params).fit(X, y)
    return clf, steps


@pytest.mark.parametrize(
    "params",
    [
        {"max_epochs": 6, "batch_size": 64},  # 530 rows: a ragged last batch of 18
        {"max_epochs": 30, "batch_size": 128, "early_stopping": True, "n_iter_no_change": 3},
        {"max_epochs": 4, "batch_size": 100, "dropout": 0.3, "n_members": 3},
    ],
)
def test_the_static_buffer_step_trains_as_the_eager_one(task, monkeypatch, params):
    X, y, _ = task
    eager, no_steps = _fit(X, y, False, monkeypatch, **params)
    static, steps = _fit(X, y, True, monkeypatch, **params)
    assert not no_steps and steps  # the static step ran, and only where asked
    # every training row once per epoch: the ragged last batch is its own shape
    epochs = len(static.history)
    per_epoch = len(steps) // epochs
    assert len(steps) == per_epoch * epochs
    held_out = int(np.ceil(0.1 * len(X))) if static.early_stopping_ else 0
    assert sum(steps[:per_epoch]) == len(X) - held_out
    np.testing.assert_allclose(
        static.history[:, "train_loss"], eager.history[:, "train_loss"], rtol=1e-6
    )
    np.testing.assert_allclose(static.predict_proba(X), eager.predict_proba(X), atol=1e-6)
    assert "_graph_step" not in vars(static)  # released at the end of the fit


def test_the_static_buffer_forward_validates_and_predicts_as_the_eager_one(task, monkeypatch):
    # validation batches (during fit) and prediction batches (after it) go through the
    # graphed forward pass; without a GPU it runs the same pass on a static copy
    X, y, _ = task
    calls = []
    original = _graphs.GraphedForward.__call__

    def counted(self, x):
        calls.append(len(x))
        return original(self, x)

    monkeypatch.setattr(_graphs.GraphedForward, "__call__", counted)
    params = {"max_epochs": 12, "batch_size": 64, "early_stopping": True, "n_iter_no_change": 4}
    eager, _ = _fit(X, y, False, monkeypatch, **params)
    assert calls == []
    static, _ = _fit(X, y, True, monkeypatch, **params)
    held_out = int(np.ceil(0.1 * len(X)))
    assert calls == [held_out] * len(static.history)  # one validation batch an epoch
    np.testing.assert_array_equal(static.history[:, "valid_loss"], eager.history[:, "valid_loss"])
    calls.clear()
    X_many = np.tile(X, (10, 1))  # 5,300 rows: batches of 4,096 and 1,204
    np.testing.assert_array_equal(static.predict_proba(X_many), eager.predict_proba(X_many))
    assert calls == [4096, len(X_many) - 4096]
    assert "_graph_forward" not in vars(static)  # released after each pass


class _RecordedGraph:
    """A CUDA graph's stand-in on the CPU: the capture records the step without running
    it, each replay runs it again (what a captured graph does)."""

    def __init__(self, run):
        self.run = run

    def replay(self):
        self.run()


def test_the_capture_logic_with_recorded_steps_fits_and_predicts_as_the_eager_net(
    task, monkeypatch
):
    # warm-up steps, one capture per batch shape, replays for training, validation and
    # prediction, as on CUDA, each graph a recorded step: the fit must be the eager one
    X, y, _ = task
    params = dict(max_epochs=12, batch_size=64, early_stopping=True, n_iter_no_change=20)
    eager = MIClassifier(random_state=0, num_threads=1, device="cpu", **params).fit(X, y)
    captures, replays = [], []

    def record(run, what):
        captures.append(what)

        def replay():
            replays.append(what)
            run()

        return SimpleNamespace(replay=replay)

    monkeypatch.setattr(_graphs, "can_capture", lambda device: True)
    monkeypatch.setattr(_training, "capturable_optimizer_kwargs", lambda opt, kwargs: kwargs)
    monkeypatch.setattr(_graphs, "on_side_stream", lambda run: run())
    monkeypatch.setattr(_graphs, "captured", record)
    with pytest.warns(_graphs.UnverifiedCUDAWarning):
        replayed = MIClassifier(
            random_state=0, num_threads=1, device="cpu", cuda_graphs=True, **params
        ).fit(X, y)
    assert replayed.cuda_graphs_ is True and len(replayed.history) == 12
    np.testing.assert_allclose(
        replayed.history[:, "train_loss"], eager.history[:, "train_loss"], rtol=1e-6
    )
    np.testing.assert_allclose(
        replayed.history[:, "valid_loss"], eager.history[:, "valid_loss"], rtol=1e-6
    )
    # 477 training rows in batches of 64: 7 full ones and a ragged one an epoch, each
    # shape captured after 3 warm-up steps; one validation batch an epoch
    assert sorted(captures) == ["forward pass", "training step", "training step"]
    assert replays.count("training step") == 12 * 8 - 2 * _graphs.WARMUP_STEPS
    assert replays.count("forward pass") == 12 - _graphs.WARMUP_STEPS
    captures.clear(), replays.clear()
    X_many = np.tile(X, (40, 1))  # 21,200 rows: 5 batches of 4,096 and one of 736
    np.testing.assert_allclose(
        replayed.predict_proba(X_many), eager.predict_proba(X_many), atol=1e-6
    )
    # the full batches: 3 warm-up passes, then captured and replayed; the last batch
    # (seen once) is not worth a capture
    assert captures == ["forward pass"] and replays == ["forward pass"] * 2


def _net(**attributes):
    defaults = {
        "device": "cuda",
        "optimizer": torch.optim.AdamW,
        "callbacks": None,
        "precision": "float32",
        "module": None,
        "cuda_graphs": "auto",
    }
    return SimpleNamespace(**{**defaults, **attributes})


def test_auto_is_eager_until_a_gpu_run_verified_the_graphs(monkeypatch):
    from skmi._warnings import UnverifiedCUDAWarning

    assert _graphs.GPU_EVIDENCE is None  # no stored GPU run yet (docs/gpu-check/)
    assert not _graphs.resolve_cuda_graphs(_net())
    with pytest.warns(UnverifiedCUDAWarning, match="cuda_graphs=True.*not yet passed"):
        assert _graphs.resolve_cuda_graphs(_net(cuda_graphs=True))
    monkeypatch.setattr(_graphs, "GPU_EVIDENCE", "a GPU: docs/gpu-check/")
    assert _graphs.resolve_cuda_graphs(_net())


def test_auto_captures_only_where_it_is_safe(monkeypatch):
    monkeypatch.setattr(_graphs, "GPU_EVIDENCE", "a GPU: docs/gpu-check/")
    assert _graphs.resolve_cuda_graphs(_net())
    assert not _graphs.resolve_cuda_graphs(_net(device="cpu"))
    assert not _graphs.resolve_cuda_graphs(_net(optimizer=torch.optim.LBFGS))
    assert not _graphs.resolve_cuda_graphs(_net(callbacks=[object()]))
    assert not _graphs.resolve_cuda_graphs(_net(precision="bf16"))
    assert not _graphs.resolve_cuda_graphs(_net(module=torch.nn.Linear))  # may branch
    assert _graphs.resolve_cuda_graphs(_net(module=torch.nn.Linear, cuda_graphs=True))
    assert not _graphs.resolve_cuda_graphs(_net(cuda_graphs=False))


def test_insisting_on_graphs_names_what_prevents_them():
    with pytest.raises(ValueError, match="device is 'cpu'.*not Adam, AdamW or SGD"):
        _graphs.resolve_cuda_graphs(
            _net(device="cpu", optimizer=torch.optim.LBFGS, cuda_graphs=True)
        )
    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 2
    with pytest.raises(ValueError, match="cuda_graphs=True cannot capture"):
        MIClassifier(device="cpu", cuda_graphs=True, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="cuda_graphs must be"):
        MIClassifier(cuda_graphs="yes", max_epochs=1).fit(X, y)


def test_a_cpu_fit_does_not_capture():
    X, y = np.random.default_rng(0).normal(size=(60, 2)), np.arange(60) % 2
    clf = MIClassifier(max_epochs=1, device="cpu").fit(X, y)
    assert clf.cuda_graphs_ is False and clf.get_params()["cuda_graphs"] == "auto"


def test_adam_and_adamw_are_made_capturable():
    assert _graphs.capturable_optimizer_kwargs(torch.optim.AdamW, {"lr": 1e-3}) == {
        "capturable": True,
        "lr": 1e-3,
    }
    assert _graphs.capturable_optimizer_kwargs(torch.optim.SGD, {"lr": 1e-3}) == {"lr": 1e-3}
    # the user's own setting is kept
    assert _graphs.capturable_optimizer_kwargs(torch.optim.Adam, {"capturable": False}) == {
        "capturable": False
    }


def _recorded_graphs(monkeypatch, corrupt=None):
    """CUDA graphs replaced by recorded steps on the CPU (as above); ``corrupt(replay)``
    may spoil the n-th replay after it ran (what a wrong graph would do)."""
    replays = []

    def record(run, what):
        def replay():
            replays.append(what)
            run()
            if corrupt is not None:
                corrupt(len(replays))

        return SimpleNamespace(replay=replay)

    monkeypatch.setattr(_graphs, "can_capture", lambda device: True)
    monkeypatch.setattr(_training, "capturable_optimizer_kwargs", lambda opt, kwargs: kwargs)
    monkeypatch.setattr(_graphs, "on_side_stream", lambda run: run())
    monkeypatch.setattr(_graphs, "captured", record)
    monkeypatch.setattr(_graphs, "GPU_EVIDENCE", "a GPU: docs/gpu-check/")
    return replays


@pytest.mark.parametrize("spoil", ["nan weights", "loss far up"])
def test_a_replayed_step_that_fails_its_check_is_undone_and_the_fit_goes_on_eagerly(
    task, monkeypatch, spoil
):
    X, y, _ = task
    params = dict(max_epochs=6, batch_size=64, early_stopping=False, dropout=0.0, n_members=1)
    eager = MIClassifier(random_state=0, num_threads=1, device="cpu", **params).fit(X, y)
    nets = []
    original_init = _graphs.GraphedTrainStep.__init__

    def keep(self, net, capture):
        nets.append(net)
        original_init(self, net, capture)

    monkeypatch.setattr(_graphs.GraphedTrainStep, "__init__", keep)

    def corrupt(n):
        if n != 2:  # the second replay (a checked one) goes wrong
            return
        step = nets[0]._graph_step
        shape = next(s for s in step.shapes.values() if s.graph is not None)
        with torch.no_grad():
            if spoil == "nan weights":
                next(nets[0].module_.parameters()).fill_(float("nan"))
            else:
                shape.loss = shape.loss * 10 + 10

    replays = _recorded_graphs(monkeypatch, corrupt)
    with pytest.warns(_graphs.GraphFallbackWarning, match="undone and run eagerly"):
        checked = MIClassifier(random_state=0, num_threads=1, device="cpu", **params).fit(X, y)
    assert checked.cuda_graphs_ is True
    assert replays.count("training step") == 2  # none after the failed one
    # the spoilt step was undone and run eagerly: the fit is the eager fit
    np.testing.assert_allclose(
        checked.history[:, "train_loss"], eager.history[:, "train_loss"], rtol=1e-6
    )
    np.testing.assert_allclose(checked.predict_proba(X), eager.predict_proba(X), atol=1e-6)


def test_the_replay_check_accepts_a_falling_loss_and_rejects_a_rise():
    check = _graphs.ReplayCheck()
    for loss in (0.70, 0.69, 0.71):
        check.record(torch.tensor(loss))
    weights = [torch.ones(3)]
    assert check.accepts(torch.tensor(0.2), weights)  # a loss that falls
    assert check.accepts(torch.tensor(2.1), weights)  # 3 * 0.71 + 3 * 0.01 = 2.16
    assert not check.accepts(torch.tensor(2.2), weights)
    assert not check.due()  # the first 3 replays only
    rare = _graphs.ReplayCheck(floor=-np.log(0.01))  # a 1 % class: a batch may read 4.6 more
    for loss in (0.1, 0.1, 0.1):
        rare.record(torch.tensor(loss))
    assert rare.accepts(torch.tensor(4.9), weights) and not rare.accepts(torch.tensor(5.0), weights)
    stack = _graphs.ReplayCheck()
    for losses in ([0.7, 1.1], [0.6, 1.0], [0.65, float("nan")]):
        stack.record(torch.tensor(losses))
    keep = torch.tensor([True, False])  # the second member is parked
    assert stack.accepts(torch.tensor([0.6, float("nan")]), weights, keep=keep)
    assert not stack.accepts(torch.tensor([0.6, 0.5]), [torch.tensor([float("nan")])])


def test_the_gpu_evidence_names_a_stored_passing_run():
    # cuda_graphs="auto" and the CUDA transform turn on only from a stored GPU run
    # (issue 23): GPU_EVIDENCE is "GPU name: folder under docs/gpu-check/"
    from pathlib import Path

    evidence = _graphs.GPU_EVIDENCE
    if evidence is None:
        return
    gpu, folder = (part.strip() for part in evidence.split(":", 1))
    stored = Path(__file__).parents[1] / folder
    tests = (stored / "cuda_tests.txt").read_text()
    assert " passed" in tests and "failed" not in tests and "skipped" not in tests
    assert gpu and gpu in (stored / "environment.txt").read_text()
