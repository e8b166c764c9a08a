"""Many MLPs of one shape trained as one batched network.

estimate_mi fits the same small network on every fold (a full-size and a half-size
model each): 10 to 30 fits of a few thousand steps. One at a time, each step of a small
MLP is some 30 kernel launches of microseconds and the Python between them, so the
fits cost time without using the hardware. Here the members' weights are stacked with
a leading member dimension and every step is one batched matrix product per layer for
all members at once.

Each member keeps what a fit of its own would have: its initial weights (taken from
the network it will be loaded back into), its training rows and validation rows (of
any size: batches are gathered per member, the ragged last batch is masked), its
shuffling stream, its optimizer state (the optimizers allowed are elementwise, so a
stacked parameter under one optimizer is the members' optimizers side by side) and its
early stopping (skorch's rule: ``patience`` epochs without a validation loss below the
best minus ``tol``; the best weights are kept). A member that stops is taken out of the
stack, so it stops updating and the others no longer pay for it. Members trained on the
same rows (an ensemble) are the special case of equal row sets.

On CUDA the step can be captured in a CUDA graph and replayed (``cuda_graphs=True``;
see `skmi._graphs` for the single network). A graph fixes the stack's shape, so a
member that stops is then *parked* instead of taken out: its batches are empty (its
loss and gradients zero) and its result is already kept. When half of the stack is
parked, the parked members are taken out and the smaller stack is captured again (at
most log2(members) captures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from skmi._finite import finite_weights
from skmi._graphs import (
    WARMUP_STEPS,
    ReplayCheck,
    can_capture,
    capturable_optimizer_kwargs,
    captured,
    on_side_stream,
    quiet_capturable,
    restore,
    snapshot,
    warn_fallback,
)
from skmi._mlp import stacked_forward

# Optimizers whose state is elementwise (one entry per weight, or a step count): for
# them a stacked parameter is exactly the members' own optimizers side by side.
ELEMENTWISE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


@dataclass
class Member:
    """One network to train: its initial weights, its data and its stopping rule.

    ``weights`` are ``(weight, bias)`` of each linear layer, in order (weight of shape
    ``(out, in)`` as in [`torch.nn.Linear`](https://docs.pytorch.org/docs/stable/generated/torch.nn.Linear.html)); the inputs are already standardised;
    ``log_prior`` is what the loss adds to the logits (``tau * log pi``). Without
    validation rows the member trains for ``max_epochs``.
    """

    weights: list
    X_train: torch.Tensor
    y_train: torch.Tensor
    log_prior: torch.Tensor
    max_epochs: int
    seed: int
    X_valid: torch.Tensor | None = None
    y_valid: torch.Tensor | None = None
    patience: int = 10
    tol: float = 0.0


@dataclass
class Trained:
    """What a member's training leaves: its final weights (the best epoch's when it
    stopped early) and its per-epoch losses. A member whose loss stops being finite
    stops at once and keeps the weights of its last epoch with finite losses (the best
    epoch's, with early stopping), as `skmi._finite.FiniteLossGuard` does for one
    network."""

    weights: list
    train_loss: list = field(default_factory=list)
    valid_loss: list = field(default_factory=list)
    best_epoch: int = 0
    # the epoch whose loss was not finite (training stopped there; ``weights`` are then
    # those of the last epoch with finite losses, or None when there was none)
    non_finite_epoch: int | None = None
    restored_epoch: int | None = None


def train_members(
    members: list[Member],
    *,
    optimizer=torch.optim.AdamW,
    optimizer_kwargs: dict | None = None,
    batch_size: int = 256,
    dropout: float = 0.0,
    cuda_graphs: bool = False,
) -> list[Trained]:
    """Train every member at once; members share layer shapes, optimizer and batch size.

    ``cuda_graphs=True`` replays the step from a CUDA graph on a CUDA device (stopped
    members parked, see the module's docstring); on the CPU it runs the same
    fixed-shape step eagerly (for tests: it trains exactly as the default).

    Dropout (where asked for) draws from torch's global generator: seed it around the
    call for a reproducible result. The members' data are stacked into one padded copy
    and released from the members (their ``X_train``... are set to None).
    """
    if not isinstance(optimizer, type) or not issubclass(optimizer, ELEMENTWISE_OPTIMIZERS):
        raise TypeError(f"train_members needs an elementwise optimizer; got {optimizer!r}.")
    if not members:
        return []
    kwargs = dict(optimizer_kwargs or {})
    return _Stack(members, optimizer, kwargs, batch_size, dropout, cuda_graphs).run()


class _Stack:
    """The active members' weights, data and optimizer state, stacked."""

    def __init__(self, members, optimizer, optimizer_kwargs, batch_size, dropout, graphed):
        self.members = members
        self.optimizer_class = optimizer
        self.batch_size = int(batch_size)
        self.dropout = float(dropout)
        device = members[0].X_train.device
        # graphed: the stack keeps its shape between captures (stopped members parked),
        # and on CUDA its step is captured (see the module's docstring)
        self.graphed = bool(graphed)
        self.capture = self.graphed and can_capture(device)
        self.parked: set = set()
        self.graph = None
        self.check = None
        self.step_losses = None
        self.eager_steps = 0
        self.X_train, self.y_train, self.n_train = _padded(
            [m.X_train for m in members], [m.y_train for m in members], device
        )
        has_valid = [m.X_valid is not None and len(m.y_valid) > 0 for m in members]
        self.has_valid = has_valid
        empty_X = members[0].X_train[:0]
        empty_y = members[0].y_train[:0]
        self.X_valid, self.y_valid, self.n_valid = _padded(
            [m.X_valid if v else empty_X for m, v in zip(members, has_valid, strict=True)],
            [m.y_valid if v else empty_y for m, v in zip(members, has_valid, strict=True)],
            device,
        )
        # the members' own copies are no longer needed: release them (large data)
        for member in members:
            member.X_train = member.y_train = member.X_valid = member.y_valid = None
        self.log_prior = torch.stack([m.log_prior.to(device) for m in members])[:, None, :]
        self.params = [
            torch.stack([m.weights[layer][part] for m in members]).to(device).requires_grad_()
            for layer in range(len(members[0].weights))
            for part in (0, 1)
        ]
        self.optimizer_kwargs = _with_fused_kernel(optimizer, optimizer_kwargs, self.params)
        if self.capture:  # Adam's step count on the device, readable inside a graph
            self.optimizer_kwargs = capturable_optimizer_kwargs(optimizer, self.optimizer_kwargs)
        self.optimizer = optimizer(self.params, **self.optimizer_kwargs)
        self.rows = list(range(len(members)))  # member id of each row of the stack
        # at least one (masked) step an epoch, so that a member without rows still ends
        self.steps_per_epoch = [max(1, math.ceil(int(n) / self.batch_size)) for n in self.n_train]
        self.generators = [torch.Generator().manual_seed(int(m.seed)) for m in members]
        self.order = torch.zeros_like(self.y_train)
        for member in self.rows:
            self._reshuffle(member)
        # batch index within the epoch, per member: in Python (to see epoch ends without
        # a device sync) and on the device (to gather the batches)
        self.position = [0] * len(members)
        self.positions = torch.zeros(len(members), dtype=torch.long, device=device)
        self.rows_tensor = torch.arange(len(members), device=device)
        self.loss_sums = torch.zeros(len(members), device=device)
        self.results = [Trained(weights=[]) for _ in members]
        self.best = [math.inf] * len(members)
        self.misses = [0] * len(members)
        self.best_weights = [None] * len(members)
        # members without validation rows: the weights of their last finite epoch
        self.last_finite = [(None, None)] * len(members)
        self.offsets = torch.arange(self.batch_size, device=device)

    # ------------------------------------------------------------------ training
    def run(self) -> list[Trained]:
        while len(self.parked) < len(self.rows):
            self._train_step()
            ended = []
            for row, member in enumerate(self.rows):
                if member in self.parked:
                    continue
                self.position[member] += 1
                if self.position[member] == self.steps_per_epoch[member]:
                    ended.append(row)
            if ended:
                self._end_epochs(ended)
        return self.results

    def _train_step(self) -> None:
        if not self.capture:
            with quiet_capturable():  # after a failed capture or check: eager steps
                self._step()
            return
        if self.graph is None:
            if self.eager_steps < WARMUP_STEPS:
                # warm-up steps (real ones) on a side stream, as capture needs: the
                # optimizer's moments and the libraries' workspaces are allocated here
                on_side_stream(self._step)
                if self.eager_steps == 0:
                    # each member's -log pi_min (its loss adds tau * log pi; with tau=0, 0)
                    floor = -self.log_prior[self.rows_tensor, 0].min(-1).values
                    self.check = ReplayCheck(floor=floor)
                self.check.record(self.step_losses)
                self.eager_steps += 1
                return
            self._capture()  # records this step without running it: replayed below
            if self.graph is None:  # the capture failed: eager from now on
                with quiet_capturable():
                    self._step()
                return
        self._replay()

    def _replay(self) -> None:
        """Replay the captured step; its first replays are checked (`ReplayCheck`), and
        one that fails is undone and run eagerly, as is every step after it."""
        if not self.check.due():
            self.graph.replay()
            return
        saved = snapshot(self.params, self.optimizer)
        counters = self.positions.clone(), self.loss_sums.clone()
        self.graph.replay()
        active = torch.tensor([m not in self.parked for m in self.rows], device=self.X_train.device)
        rows = active.nonzero()[:, 0]
        if self.check.accepts(self.step_losses, [p[rows] for p in self.params], keep=active):
            return
        restore(self.params, self.optimizer, saved)
        self.positions.copy_(counters[0])
        self.loss_sums.copy_(counters[1])
        self.graph, self.capture = None, False
        warn_fallback("batched training step")
        with quiet_capturable():
            self._step()

    def _capture(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.graph = captured(self._step, "batched training step")
        self.capture = self.graph is not None

    def _step(self) -> None:
        rows = self.rows_tensor  # member ids of the stack's rows, on the device
        slots = self.positions[rows][:, None] * self.batch_size + self.offsets[None, :]
        in_batch = slots < self.n_train[rows][:, None]
        index = self.order[rows[:, None], slots.clamp(max=self.order.shape[1] - 1)]
        X = self.X_train[rows[:, None], index]
        y = self.y_train[rows[:, None], index]
        losses = self._losses(self.params, X, y, self.log_prior[rows], training=True)
        mask = in_batch.to(losses.dtype)
        per_member = (losses * mask).sum(1) / mask.sum(1).clamp_min(1)
        self.step_losses = per_member.detach()  # what ReplayCheck reads
        self.optimizer.zero_grad(set_to_none=True)
        per_member.sum().backward()
        self.optimizer.step()
        self.loss_sums[rows] += (losses.detach() * mask).sum(1)
        self.positions[rows] += 1

    def _losses(self, params, X, y, log_prior, *, training: bool) -> torch.Tensor:
        """Per-sample loss of each member, shape (members, rows)."""
        layers = list(zip(params[0::2], params[1::2], strict=True))
        h = stacked_forward(X, layers, dropout=self.dropout, training=training)
        adjusted = h.float() + log_prior
        flat = F.cross_entropy(adjusted.flatten(0, 1), y.flatten(), reduction="none")
        return flat.view(y.shape)

    def _end_epochs(self, ended_rows: list[int]) -> None:
        members = [self.rows[row] for row in ended_rows]
        train_loss = (self.loss_sums[members] / self.n_train[members].clamp_min(1)).tolist()
        valid_loss = self._valid_losses(ended_rows, members)
        stopped = []
        for row, member, loss_train, loss_valid in zip(
            ended_rows, members, train_loss, valid_loss, strict=True
        ):
            result = self.results[member]
            result.train_loss.append(loss_train)
            self.loss_sums[member] = 0.0
            self.position[member] = 0
            self.positions[member] = 0
            self._reshuffle(member)
            epoch = len(result.train_loss)
            spec = self.members[member]
            if loss_valid is not None:
                result.valid_loss.append(loss_valid)
            losses_finite = math.isfinite(loss_train) and (
                loss_valid is None or math.isfinite(loss_valid)
            )
            # the training loss is read before the epoch's last update: check the weights
            if not (losses_finite and finite_weights(p[row] for p in self.params)):
                stopped.append(row)
                result.non_finite_epoch = epoch
                if loss_valid is None:
                    result.weights, result.restored_epoch = self.last_finite[member]
                elif self.best_weights[member] is not None:  # early stopping's best
                    result.weights = self.best_weights[member]
                    result.restored_epoch = result.best_epoch
                else:
                    result.weights = None
                continue
            if loss_valid is None and spec.max_epochs > epoch:
                self.last_finite[member] = (self._weights_of(row), epoch)
            if loss_valid is not None:
                if loss_valid < self.best[member] - spec.tol:
                    self.best[member] = loss_valid
                    self.misses[member] = 0
                    result.best_epoch = epoch
                    self.best_weights[member] = self._weights_of(row)
                else:
                    self.misses[member] += 1
            if epoch >= spec.max_epochs or (
                loss_valid is not None and self.misses[member] >= spec.patience
            ):
                stopped.append(row)
                best = self.best_weights[member]
                result.weights = best if best is not None else self._weights_of(row)
        if not stopped:
            return
        if not self.graphed:
            self._remove(stopped)
            return
        for row in stopped:
            member = self.rows[row]
            self.parked.add(member)
            # batches past the member's rows: empty from now on (the position still
            # grows by one a step; the gather is clamped)
            self.positions[member] = self.steps_per_epoch[member]
        if 2 * len(self.parked) >= len(self.rows) and len(self.parked) < len(self.rows):
            parked_rows = [row for row, member in enumerate(self.rows) if member in self.parked]
            self._remove(parked_rows)
            self.parked.clear()
            self.graph = None  # the stack changed shape: capture it again
            self.eager_steps = 0

    @torch.no_grad()
    def _valid_losses(self, ended_rows, members) -> list:
        with_valid = [(r, m) for r, m in zip(ended_rows, members, strict=True) if self.has_valid[m]]
        losses = dict.fromkeys(members)
        if not with_valid:
            return [None] * len(members)
        # the stacked parameters hold rows, not member ids; select the members' rows
        rows = torch.tensor([r for r, _ in with_valid], device=self.X_train.device)
        ids = [m for _, m in with_valid]
        params = [p[rows] for p in self.params]
        X, y = self.X_valid[ids], self.y_valid[ids]
        per_sample = self._losses(params, X, y, self.log_prior[ids], training=False)
        n_valid = self.n_valid[ids]
        mask = (torch.arange(X.shape[1], device=X.device)[None, :] < n_valid[:, None]).to(
            per_sample.dtype
        )
        means = ((per_sample * mask).sum(1) / n_valid).tolist()
        losses.update(zip(ids, means, strict=True))
        return [losses[m] for m in members]

    def _weights_of(self, row: int) -> list:
        return [
            (
                self.params[2 * layer][row].detach().clone(),
                self.params[2 * layer + 1][row].detach().clone(),
            )
            for layer in range(len(self.params) // 2)
        ]

    def _reshuffle(self, member: int) -> None:
        """A new epoch's order of the member's training rows, from its own stream."""
        n = int(self.n_train[member])
        order = torch.randperm(n, generator=self.generators[member])
        self.order[member, :n] = order.to(self.order.device)

    def _remove(self, stopped_rows: list[int]) -> None:
        """Take stopped members out of the stack, optimizer state included."""
        keep = [row for row in range(len(self.rows)) if row not in set(stopped_rows)]
        self.rows = [self.rows[row] for row in keep]
        if not self.rows:
            return
        index = torch.tensor(keep, device=self.X_train.device)
        self.rows_tensor = self.rows_tensor[index]
        old_state = self.optimizer.state
        new_params = [p.detach()[index].clone().requires_grad_() for p in self.params]
        optimizer = self.optimizer_class(new_params, **self.optimizer_kwargs)
        for old, new in zip(self.params, new_params, strict=True):
            state = old_state.get(old, {})
            optimizer.state[new] = {
                key: (
                    value[index].clone()
                    if torch.is_tensor(value) and value.shape == old.shape
                    else (value.clone() if torch.is_tensor(value) else value)
                )
                for key, value in state.items()
            }
        self.params, self.optimizer = new_params, optimizer


def _with_fused_kernel(optimizer, kwargs: dict, params) -> dict:
    """Adam and AdamW with their fused kernel (the same update in one kernel per
    parameter; a fifth less time per step on the CPU) unless the caller chose an
    implementation, or this torch or device has none."""
    if optimizer not in (torch.optim.Adam, torch.optim.AdamW) or {"fused", "foreach"} & set(kwargs):
        return kwargs
    fused = {**kwargs, "fused": True}
    try:
        optimizer([torch.zeros_like(params[0][:1]).requires_grad_()], **fused)
    except (RuntimeError, TypeError, ValueError):
        return kwargs
    return fused


def _padded(Xs, ys, device):
    """Stack ragged per-member arrays into zero-padded tensors, with each one's length."""
    lengths = torch.tensor([len(y) for y in ys], device=device)
    width = max(int(lengths.max()), 1)
    X = torch.zeros(len(Xs), width, Xs[0].shape[1], dtype=Xs[0].dtype, device=device)
    y = torch.zeros(len(ys), width, dtype=torch.long, device=device)
    for i, (rows_X, rows_y) in enumerate(zip(Xs, ys, strict=True)):
        X[i, : len(rows_y)] = rows_X.to(device)
        y[i, : len(rows_y)] = rows_y.to(device)
    return X, y, lengths
