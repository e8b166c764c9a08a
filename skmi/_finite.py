"""No fit returns a network trained to NaN (issue 23).

A NaN or an infinity in one optimiser step spreads through every weight in the next,
and a network of NaN weights predicts one class and reads no information, while the fit
"succeeds". `FiniteLossGuard` checks each epoch's losses: at the first one that is not
finite it puts back the weights (and optimizer state) of the last epoch whose losses
were finite, warns, and stops training; with no such epoch it raises. The rule is the
same in the batched trainer (`skmi._batched`), per member.
"""

from __future__ import annotations

import copy
import math
import warnings

import torch
from skorch.callbacks import Callback

from skmi._warnings import NonFiniteLossError, NonFiniteLossWarning

# the losses a guard reads at the end of each epoch (skorch's history keys)
LOSS_KEYS = ("train_loss", "valid_loss")


def non_finite_message(epoch: int, losses: dict, restored_epoch: int | None) -> str:
    """What the warning (``restored_epoch`` given) or the error says."""
    read = ", ".join(f"{key} = {value}" for key, value in losses.items())
    if restored_epoch is None:
        return (
            f"Training diverged in epoch {epoch}: a loss or a weight was not finite "
            f"({read}), and no epoch before it ended with finite ones: there are no "
            "trained weights to return. Check the inputs for extreme values, or lower the "
            "learning rate (optimizer__lr)."
        )
    where = f"epoch {restored_epoch}" if restored_epoch else "the start of this call"
    return (
        f"Training diverged in epoch {epoch}: a loss or a weight was not finite "
        f"({read}). Training stopped there and the weights of {where}, the last that "
        "were finite with finite losses, were restored. Lower the learning rate "
        "(optimizer__lr) if this recurs."
    )


def finite(value) -> bool:
    return value is None or math.isfinite(float(value))


def finite_weights(tensors) -> bool:
    """Whether every tensor (a module's parameters, a stack member's) is finite (one
    device sync)."""
    checks = [torch.isfinite(t).all() for t in tensors]
    return bool(torch.stack(checks).all()) if checks else True


class FiniteLossGuard(Callback):
    """Stop at the first epoch with a non-finite loss (or weight) and restore the
    last finite weights (warning `NonFiniteLossWarning`), or raise `NonFiniteLossError` when no
    epoch of a fresh fit had finite losses.

    Runs after the loss scorings (which record the epoch's mean losses) and before
    early stopping. A network that continues training (``partial_fit``, warm start)
    counts its weights at the start of the call as finite ones to return to.
    """

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.saved_ = None
        self.saved_epoch_ = None
        if len(net.history) > 0:  # trained before this call: those weights are finite
            self._save(net, epoch=0)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {key: row[key] for key in LOSS_KEYS if key in row}
        # the epoch's training loss is read before its last update: that update may
        # still have made a weight NaN, so the weights are checked too
        if all(finite(value) for value in losses.values()) and finite_weights(
            net.module_.parameters()
        ):
            self._save(net, epoch=int(row["epoch"]))
            return
        message = non_finite_message(int(row["epoch"]), losses, self.saved_epoch_)
        if self.saved_ is None:
            raise NonFiniteLossError(message)
        module_state, optimizer_state = self.saved_
        net.module_.load_state_dict(module_state)
        optimizer = getattr(net, "optimizer_", None)
        if optimizer is not None and optimizer_state is not None:
            optimizer.load_state_dict(optimizer_state)
        warnings.warn(message, NonFiniteLossWarning, stacklevel=2)
        raise KeyboardInterrupt  # skorch's way for a callback to end training

    def _save(self, net, *, epoch: int) -> None:
        module_state = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        optimizer = getattr(net, "optimizer_", None)
        optimizer_state = None
        if isinstance(optimizer, torch.optim.Optimizer):
            optimizer_state = copy.deepcopy(optimizer.state_dict())
        self.saved_ = (module_state, optimizer_state)
        self.saved_epoch_ = epoch
