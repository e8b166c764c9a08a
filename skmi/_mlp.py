"""The default network: a multilayer perceptron sized from the data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

EVAL_BLOCK_ROWS = 256
_STATS_BLOCK_ROWS = 8192


def auto_hidden_layer_sizes(n_features: int, n_classes: int) -> tuple[int, int]:
    """Two hidden layers of width ``clip(4 * (n_features + n_classes), 64, 256)``.

    Wide enough that the network is not the bottleneck on the tabular problems we
    benchmark, narrow enough that a fit on 10^4 rows takes seconds on one CPU thread.
    """
    width = int(min(256, max(64, 4 * (n_features + n_classes))))
    return (width, width)


class MLP(nn.Module):
    """ReLU MLP with an input standardisation layer fixed at construction.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_classes : int
        Number of output logits.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.
    feature_mean, feature_scale : array-like of shape (n_features,), optional
        Inputs are mapped to ``(x - mean) / scale`` inside the network, so the model
        accepts raw features at predict time. Both are buffers: saved in the
        ``state_dict`` and moved with the module.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_layer_sizes: Sequence[int] = (64, 64),
        dropout: float = 0.0,
        feature_mean=None,
        feature_scale=None,
    ):
        super().__init__()
        mean = np.zeros(n_features) if feature_mean is None else feature_mean
        scale = np.ones(n_features) if feature_scale is None else feature_scale
        self.register_buffer("feature_mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("feature_scale", torch.as_tensor(scale, dtype=torch.float32))
        layers: list[nn.Module] = []
        width_in = n_features
        for width in hidden_layer_sizes:
            layers += [nn.Linear(width_in, width), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width_in = width
        self.hidden = nn.Sequential(*layers)
        self.output = nn.Linear(width_in, n_classes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.training or X.device.type != "cpu":
            return self._logits(X)
        # At inference on the CPU, run fixed-size blocks (the last one zero-padded):
        # float32 matrix products round differently for different batch shapes, and
        # padding makes a row's logits independent of which other rows are predicted
        # with it. On a GPU whole batches run at once: speed first, as GPU kernels
        # promise no batch invariance anyway.
        blocks = []
        for start in range(0, X.shape[0], EVAL_BLOCK_ROWS):
            block = X[start : start + EVAL_BLOCK_ROWS]
            n_rows = block.shape[0]
            if n_rows < EVAL_BLOCK_ROWS:
                block = torch.cat(
                    [block, block.new_zeros(EVAL_BLOCK_ROWS - n_rows, *block.shape[1:])]
                )
            blocks.append(self._logits(block)[:n_rows])
        if not blocks:
            return self._logits(X)
        return torch.cat(blocks)

    def _logits(self, X: torch.Tensor) -> torch.Tensor:
        X = (X - self.feature_mean) / self.feature_scale
        return self.output(self.hidden(X))


def mlp_shape_from_state_dict(state: dict) -> dict:
    """Recover the constructor arguments of an `MLP` from its ``state_dict``."""
    hidden_keys = sorted(
        (k for k in state if k.startswith("hidden.") and k.endswith(".weight")),
        key=lambda k: int(k.split(".")[1]),
    )
    return {
        "n_features": int(state["feature_mean"].numel()),
        "n_classes": int(state["output.weight"].shape[0]),
        "hidden_layer_sizes": tuple(int(state[k].shape[0]) for k in hidden_keys),
    }


def feature_standardisation(X: np.ndarray, weight=None) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scales; constant columns get scale 1 (not a division by 0).

    Accumulated in float64 over blocks of rows (Chan et al.'s pairwise update), which is
    as exact as ``X.std(axis=0, dtype=np.float64)`` but never holds a float64 copy of
    ``X``: on 10^6 x 200 float32 that copy is 1.6 GB and costs twice the time.
    """
    n_samples, n_features = X.shape
    if weight is not None:
        return _weighted_standardisation(X, np.asarray(weight, dtype=np.float64))
    mean, sum_sq, count = np.zeros(n_features), np.zeros(n_features), 0
    for start in range(0, n_samples, _STATS_BLOCK_ROWS):
        block = np.asarray(X[start : start + _STATS_BLOCK_ROWS], dtype=np.float64)
        rows = block.shape[0]
        block_mean = block.mean(axis=0)
        block = block - block_mean  # a new array: the block may be a view of X
        delta = block_mean - mean
        total = count + rows
        mean += delta * (rows / total)
        sum_sq += np.einsum("ij,ij->j", block, block) + delta**2 * (count * rows / total)
        count = total
    return mean, _safe_scale(np.sqrt(sum_sq / max(count, 1)))


def _weighted_standardisation(X, weight) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and standard deviation (weights as frequencies: a weight of 2 is a
    repeated row), in two passes over blocks of rows."""
    total = weight.sum()
    mean = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], _STATS_BLOCK_ROWS):
        block = np.asarray(X[start : start + _STATS_BLOCK_ROWS], dtype=np.float64)
        mean += weight[start : start + _STATS_BLOCK_ROWS] @ block
    mean /= total
    sum_sq = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], _STATS_BLOCK_ROWS):
        block = np.asarray(X[start : start + _STATS_BLOCK_ROWS], dtype=np.float64) - mean
        sum_sq += weight[start : start + _STATS_BLOCK_ROWS] @ (block * block)
    return mean, _safe_scale(np.sqrt(sum_sq / total))


def _safe_scale(scale: np.ndarray) -> np.ndarray:
    scale[~(scale > 1e3 * np.finfo(np.float32).tiny)] = 1.0
    return scale


__all__ = ["MLP", "auto_hidden_layer_sizes", "feature_standardisation"]
