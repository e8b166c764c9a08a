"""Many MLPs trained as one stacked network: each member as if trained alone."""

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skmi._batched import Member, train_members


def _member(n, seed, *, d=3, k=3, widths=(8,), valid=0, max_epochs=30, patience=4, tol=0.0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n + valid, d, generator=gen)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 1).long() * (k - 2)
    sizes = (d, *widths, k)
    weights = [
        (torch.randn(o, i, generator=gen) / math.sqrt(i), torch.zeros(o))
        for i, o in itertools.pairwise(sizes)
    ]
    prior = torch.bincount(y[:n], minlength=k).float().clamp_min(1)
    member = Member(
        weights=weights,
        X_train=X[:n],
        y_train=y[:n],
        log_prior=torch.log(prior / prior.sum()),
        max_epochs=max_epochs,
        seed=seed,
        patience=patience,
        tol=tol,
    )
    if valid:
        member.X_valid, member.y_valid = X[n:], y[n:]
    return member


def _alone(member, epochs, lr=1e-2):
    """The same network trained the plain way: full batches, AdamW, the PC-softmax loss."""
    params = [t.clone().requires_grad_() for pair in member.weights for t in pair]
    optimizer = torch.optim.AdamW(params, lr=lr)
    for _ in range(epochs):
        h = member.X_train
        for layer in range(len(params) // 2):
            h = h @ params[2 * layer].T + params[2 * layer + 1]
            if layer < len(params) // 2 - 1:
                h = torch.relu(h)
        loss = F.cross_entropy(h + member.log_prior, member.y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return [p.detach() for p in params]


def _flat(weights):
    return torch.cat([t.flatten() for pair in weights for t in pair])


def test_each_member_trains_as_its_own_network():
    # full batches make the batches independent of shuffling: the stacked training of
    # members of different sizes must then equal each one's plain training
    members = [_member(n, seed, max_epochs=25) for n, seed in ((40, 0), (57, 1), (23, 2))]
    expected = [torch.cat([p.flatten() for p in _alone(member, 25)]) for member in members]
    trained = train_members(members, optimizer_kwargs={"lr": 1e-2}, batch_size=64)
    for member, result, alone in zip(members, trained, expected, strict=True):
        assert torch.allclose(_flat(result.weights), alone, atol=2e-5)
        assert len(result.train_loss) == 25 and result.valid_loss == []
        assert not torch.allclose(_flat(result.weights), _flat(member.weights))
        assert member.X_train is None  # released once stacked


def test_a_member_is_not_changed_by_the_others_or_by_their_stopping():
    alone = train_members([_member(50, 3, valid=20)], batch_size=16)[0]
    stops_early = _member(30, 4, max_epochs=3)
    together = train_members([stops_early, _member(50, 3, valid=20)], batch_size=16)
    assert len(together[0].train_loss) == 3
    # the second member's optimizer state survived the first one's removal
    assert torch.allclose(_flat(together[1].weights), _flat(alone.weights), atol=1e-6)
    assert together[1].valid_loss == pytest.approx(alone.valid_loss, abs=1e-6)


def test_early_stopping_keeps_the_best_weights():
    member = _member(60, 5, widths=(32, 32), valid=60, max_epochs=400, patience=5)
    X_valid, y_valid = member.X_valid, member.y_valid
    result = train_members([member], optimizer_kwargs={"lr": 3e-2}, batch_size=8)[0]
    losses = result.valid_loss
    assert len(losses) < 400  # it stopped: the tiny validation set is overfitted
    assert result.best_epoch == int(np.argmin(losses)) + 1
    assert len(losses) == result.best_epoch + member.patience
    # the weights returned are those of the best epoch: they give its validation loss
    h = X_valid
    for layer, (weight, bias) in enumerate(result.weights):
        h = h @ weight.T + bias
        h = torch.relu(h) if layer < len(result.weights) - 1 else h
    loss = F.cross_entropy(h + member.log_prior, y_valid).item()
    assert loss == pytest.approx(min(losses), abs=1e-5)


def test_tolerance_counts_small_gains_as_misses():
    strict = train_members([_member(60, 6, valid=40, max_epochs=300, tol=0.0)], batch_size=8)
    tolerant = train_members([_member(60, 6, valid=40, max_epochs=300, tol=0.05)], batch_size=8)
    assert len(tolerant[0].valid_loss) < len(strict[0].valid_loss)


def test_ragged_last_batches_see_every_row_once_an_epoch():
    # 37 rows in batches of 16: 3 steps an epoch; the train loss of an epoch is the mean
    # over its rows, so with lr=0 it is the loss of the initial network on all rows
    member = _member(37, 7, max_epochs=2)
    X_train, y_train = member.X_train, member.y_train
    result = train_members([member], optimizer_kwargs={"lr": 0.0}, batch_size=16)[0]
    h = X_train
    for layer, (weight, bias) in enumerate(member.weights):
        h = h @ weight.T + bias
        h = torch.relu(h) if layer < len(member.weights) - 1 else h
    expected = F.cross_entropy(h + member.log_prior, y_train).item()
    assert result.train_loss == pytest.approx([expected, expected], abs=1e-6)


def test_only_elementwise_optimizers_are_accepted():
    with pytest.raises(TypeError, match="elementwise optimizer"):
        train_members([_member(10, 0)], optimizer=torch.optim.LBFGS)
    assert train_members([], optimizer=torch.optim.SGD) == []


def test_a_member_without_rows_still_ends_and_leaves_the_others_alone():
    empty = _member(20, 8, max_epochs=3)
    empty.X_train, empty.y_train = empty.X_train[:0], empty.y_train[:0]
    alone = train_members([_member(30, 9, max_epochs=5)], batch_size=8)[0]
    results = train_members([empty, _member(30, 9, max_epochs=5)], batch_size=8)
    assert results[0].train_loss == [0.0, 0.0, 0.0]
    assert torch.allclose(_flat(results[1].weights), _flat(alone.weights), atol=1e-6)


def _stopping_members():
    # four members that stop at different epochs (max_epochs, or early stopping)
    return [
        _member(40, 10, valid=20, max_epochs=3),
        _member(33, 11, valid=15, max_epochs=60, patience=30),
        _member(50, 12, max_epochs=9),
        _member(27, 13, valid=10, max_epochs=14),
    ]


def test_the_fixed_shape_stack_trains_as_the_shrinking_one(monkeypatch):
    # the CUDA-graph mode parks stopped members instead of taking them out at once; on
    # the CPU it runs the same fixed-shape step eagerly and must give the same results
    from skmi import _batched

    removed = []
    original = _batched._Stack._remove

    def counted(self, rows):
        removed.append((len(self.rows), len(rows)))
        return original(self, rows)

    monkeypatch.setattr(_batched._Stack, "_remove", counted)
    shrinking = train_members(_stopping_members(), batch_size=8)
    eager_removals, removed[:] = list(removed), []
    fixed = train_members(_stopping_members(), batch_size=8, cuda_graphs=True)
    for a, b in zip(shrinking, fixed, strict=True):
        assert torch.allclose(_flat(a.weights), _flat(b.weights), atol=1e-6)
        assert b.train_loss == pytest.approx(a.train_loss, abs=1e-6)
        assert b.valid_loss == pytest.approx(a.valid_loss, abs=1e-6)
        assert a.best_epoch == b.best_epoch
    assert [len(r.train_loss) for r in fixed] == [3, 60, 9, 14]
    assert len(eager_removals) == 4  # one removal per stopped member, at once
    # parked until half the stack has stopped: 4 -> 2 (two parked) -> 1 (one parked)
    assert removed == [(4, 2), (2, 1)]


def test_a_parked_member_does_not_move_the_others():
    # one member parked in a stack of three (below half): the two others train on
    alone = train_members([_member(50, 3, valid=20), _member(45, 14)], batch_size=16)
    with_parked = train_members(
        [_member(30, 4, max_epochs=2), _member(50, 3, valid=20), _member(45, 14)],
        batch_size=16,
        cuda_graphs=True,
    )
    assert len(with_parked[0].train_loss) == 2
    for a, b in zip(alone, with_parked[1:], strict=True):
        assert torch.allclose(_flat(a.weights), _flat(b.weights), atol=1e-6)


class _RecordedGraph:
    """A stand-in for a CUDA graph on the CPU: capturing records the step (without
    running it), replaying runs it again, which is what a captured graph does."""

    def __init__(self, run):
        self.run = run

    def replay(self):
        self.run()


def test_the_capture_logic_with_recorded_steps_trains_as_the_eager_stack(monkeypatch):
    # warm-up, capture, replay, parking and recapture as on CUDA, each step run by a
    # recorded graph: the results must be the eager ones and every step taken once
    from skmi import _batched

    captures, steps = [], []
    original_step = _batched._Stack._step

    def counted_step(self):
        steps.append(len(self.rows))
        return original_step(self)

    monkeypatch.setattr(_batched._Stack, "_step", counted_step)
    eager = train_members(_stopping_members(), batch_size=8)
    eager_steps, steps[:] = len(steps), []
    monkeypatch.setattr(_batched, "can_capture", lambda device: True)
    monkeypatch.setattr(_batched, "capturable_optimizer_kwargs", lambda opt, kwargs: kwargs)
    monkeypatch.setattr(_batched, "on_side_stream", lambda run: run())

    def record(run, what):
        captures.append(len(steps))
        return _RecordedGraph(run)

    monkeypatch.setattr(_batched, "captured", record)
    replayed = train_members(_stopping_members(), batch_size=8, cuda_graphs=True)
    for a, b in zip(eager, replayed, strict=True):
        assert torch.allclose(_flat(a.weights), _flat(b.weights), atol=1e-6)
        assert b.train_loss == pytest.approx(a.train_loss, abs=1e-6)
        assert b.valid_loss == pytest.approx(a.valid_loss, abs=1e-6)
    assert len(steps) == eager_steps  # one step a loop: nothing run twice or skipped
    # captured after 3 warm-up steps, then again after each compaction (4 -> 2 -> 1)
    assert len(captures) == 3 and captures[0] == _batched.WARMUP_STEPS
    assert steps[: captures[0]] == [4] * captures[0]
    assert sorted(set(steps)) == [1, 2, 4]


def test_a_replayed_stack_step_that_fails_its_check_is_undone_and_training_goes_on_eagerly(
    monkeypatch,
):
    from skmi import _batched
    from skmi._warnings import GraphFallbackWarning

    eager = train_members(_stopping_members(), batch_size=8)
    monkeypatch.setattr(_batched, "can_capture", lambda device: True)
    monkeypatch.setattr(_batched, "capturable_optimizer_kwargs", lambda opt, kwargs: kwargs)
    monkeypatch.setattr(_batched, "on_side_stream", lambda run: run())
    replays = []

    def record(run, what):
        def replay():
            replays.append(what)
            run()
            if len(replays) == 2:  # the second replay leaves a member's weights NaN
                with torch.no_grad():
                    graph_stack[0].params[0][1].fill_(float("nan"))

        return SimpleNamespace(replay=replay)

    graph_stack = []
    original_capture = _batched._Stack._capture

    def keep(self):
        graph_stack.append(self)
        original_capture(self)

    monkeypatch.setattr(_batched._Stack, "_capture", keep)
    monkeypatch.setattr(_batched, "captured", record)
    with pytest.warns(GraphFallbackWarning, match="batched training step"):
        checked = train_members(_stopping_members(), batch_size=8, cuda_graphs=True)
    assert len(replays) == 2  # eager after the failed check
    for a, b in zip(eager, checked, strict=True):
        assert torch.allclose(_flat(a.weights), _flat(b.weights), atol=1e-6)
        assert b.train_loss == pytest.approx(a.train_loss, abs=1e-6)
