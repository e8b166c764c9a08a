"""The probability-corrected softmax (PC-softmax) loss and the logit algebra around it.

Notation follows Qin, Kim & Gedeon, "Neural Network Classifier as Mutual Information
Evaluator" (arXiv:2106.10471): logits ``f(x)``, training class prior ``pi``. The model's
posterior under the training prior is ``q(y|x) = softmax(f + tau * log pi)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PCSoftmaxLoss"]


class PCSoftmaxLoss(nn.Module):
    """Cross-entropy of the probability-corrected softmax.

    Computes ``cross_entropy(logits + tau * log(prior), y)``. With ``tau=1`` this is the
    PC-softmax loss of Qin et al. (2021), which has the same gradients as the
    logit-adjusted loss of Menon et al. (ICLR 2021) and Balanced Softmax (Ren et al.,
    NeurIPS 2020). With ``tau=0`` it is plain softmax cross-entropy.

    At the optimum ``f_y(x) + tau * log pi_y = log p(y|x) + c(x)``, so with ``tau=1`` the
    logits estimate the pointwise mutual information ``log p(x|y) / p(x)`` up to a
    per-sample constant.

    Parameters
    ----------
    class_prior : array-like of shape (n_classes,)
        Class frequencies of the training labels. Stored as a buffer so that it moves
        with the module between devices and is saved in its ``state_dict``.
    tau : float, default=1.0
        Scale of ``log(prior)`` added to the logits.
    class_weight : array-like of shape (n_classes,), default=None
        Per-class weights of the cross-entropy (the reweighting baseline). Weights bias
        the fitted posterior, so MI read from a weighted model is not an estimate.

    Examples
    --------
    >>> import torch
    >>> from skmi import PCSoftmaxLoss
    >>> loss = PCSoftmaxLoss(class_prior=[0.9, 0.1])
    >>> logits = torch.zeros(2, 2)
    >>> round(loss(logits, torch.tensor([0, 1])).item(), 4)  # -(log .9 + log .1) / 2
    1.204
    """

    def __init__(self, class_prior, tau: float = 1.0, class_weight=None):
        super().__init__()
        prior = torch.as_tensor(class_prior, dtype=torch.float32)
        # log(0) = -inf would make a class unreachable; fit never builds a zero prior
        # because the prior is the frequency of classes present in y.
        self.register_buffer("log_prior", torch.log(prior))
        self.tau = float(tau)
        weight = (
            None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32)
        )
        self.register_buffer("class_weight", weight)
        # the pickled skmi._encoding.TableEncoder of a model fitted on a DataFrame (uint8),
        # so that save_params(f_criterion=...) keeps the encoding with the prior
        self.register_buffer("table_encoding", None)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of ``softmax(logits + tau log pi)``.

        ``target`` holds class indices, or ``(index, sample weight)`` rows (shape
        ``(n, 2)``, as MIClassifier passes them for ``fit(..., sample_weight=w)``); then
        the mean is weighted, ``sum_i w_i l_i / sum_i w_i``. Logits of shape
        ``(n, members, classes)`` (an ensemble in training) give the members' mean loss.
        """
        if logits.ndim == 3:
            # an ensemble's members' logits (n, members, classes): each member's loss,
            # averaged over members (each is trained as a network of its own)
            n_rows, n_members, n_classes = logits.shape
            logits = logits.reshape(n_rows * n_members, n_classes)
            target = target.repeat_interleave(n_members, dim=0)
        # Compute in float32 at least: under bf16/fp16 autocast the log-sum-exp of large
        # logits loses the digits that the MI estimate is made of.
        adjusted = logits.float() + self.tau * self.log_prior
        if target.ndim == 1:
            return F.cross_entropy(adjusted, target, weight=self.class_weight)
        index, weight = target[:, 0].long(), target[:, 1].float()
        losses = F.cross_entropy(adjusted, index, reduction="none")
        if self.class_weight is not None:  # as F.cross_entropy's mean: weighted by both
            weight = weight * self.class_weight[index]
        # a batch whose weights are all 0 adds nothing (not 0 / 0)
        return (losses * weight).sum() / weight.sum().clamp_min(torch.finfo(torch.float32).tiny)

    def set_prior(self, class_prior, class_weight=None) -> None:
        """Replace the class prior (and class weights) in place, on the module's device:
        a warm-started or incremental fit trains with the prior of its own data."""
        prior = torch.as_tensor(class_prior, dtype=torch.float32, device=self.log_prior.device)
        if prior.shape != self.log_prior.shape:
            raise ValueError(
                f"class_prior must have {self.log_prior.numel()} entries; got {prior.numel()}."
            )
        self.log_prior = torch.log(prior)
        self.class_weight = (
            None
            if class_weight is None
            else torch.as_tensor(class_weight, dtype=torch.float32, device=prior.device)
        )

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # A criterion built before the prior is known (load_params on a fresh net) holds
        # a placeholder; take the saved prior's shape instead of failing on a mismatch.
        key = prefix + "log_prior"
        if key in state_dict and state_dict[key].shape != self.log_prior.shape:
            self.log_prior = torch.empty_like(state_dict[key], device=self.log_prior.device)
        key = prefix + "class_weight"
        if key in state_dict and (
            self.class_weight is None or state_dict[key].shape != self.class_weight.shape
        ):
            self.class_weight = torch.empty_like(state_dict[key], device=self.log_prior.device)
        key = prefix + "table_encoding"
        if key in state_dict and (
            self.table_encoding is None or state_dict[key].shape != self.table_encoding.shape
        ):
            self.table_encoding = torch.empty_like(state_dict[key], device=self.log_prior.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return f"n_classes={self.log_prior.numel()}, tau={self.tau}"
