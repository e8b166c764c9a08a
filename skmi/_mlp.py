"""The default network: a multilayer perceptron sized from the data."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from contextlib import contextmanager

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


# Periodic numerical embeddings (Gorishniy et al., NeurIPS 2022), the authors' package:
# each feature x_j becomes ReLU(Linear([sin(2 pi c x_j), cos(2 pi c x_j)])), learnt
# frequencies c; "lite": the linear layer is shared between features (as TabM uses it).
NUM_EMBEDDINGS = (None, "periodic")
_EMBEDDING_SIZE = 16


def numerical_embeddings(kind, n_features: int, module=None, embedded_features=None):
    """The embedding module of ``kind`` (None: none) and the width it hands the MLP.

    ``embedded_features``: the columns that are embedded (None: all); the others (0/1
    and small ordinal codes, where a periodic code adds mostly width: 102 of
    lending_club's 119 columns are 0/1) pass through as they are. Their index lists are
    buffers of ``module``.
    """
    if kind is None:
        return None, n_features
    n_embedded = n_features
    if embedded_features is not None:
        embedded = torch.as_tensor(np.asarray(embedded_features), dtype=torch.long).reshape(-1)
        passed = torch.as_tensor(
            np.setdiff1d(np.arange(n_features), embedded.numpy()), dtype=torch.long
        )
        module.register_buffer("embedded_features", embedded)
        module.register_buffer("passed_features", passed)
        n_embedded = len(embedded)
        if n_embedded == 0:  # every column passes through (a table of 0/1 columns)
            return None, n_features
    try:
        from rtdl_num_embeddings import PeriodicEmbeddings
    except ImportError as exc:  # an optional dependency
        raise ImportError(
            "num_embeddings='periodic' needs the rtdl-num-embeddings package (the "
            "embeddings' authors' implementation, a dependency of skmi): pip install "
            "rtdl-num-embeddings, or pass num_embeddings=None."
        ) from exc
    embeddings = PeriodicEmbeddings(n_embedded, _EMBEDDING_SIZE, lite=True)
    return embeddings, n_embedded * _EMBEDDING_SIZE + (n_features - n_embedded)


# Periodic embeddings take the columns with more than this many distinct values (counted
# on at most _DISTINCT_SAMPLE_ROWS rows spread over X). One-hot and small ordinal codes
# pass through: on Caravan (80 such columns of 85) embedding them made the default's fit
# 6 times slower (15.0 s against 2.5 s) for 0.012 of balanced accuracy, 0.003 over the
# six tables (benchmarks/ensemble.py, docs/imbalanced.md).
_EMBED_MIN_DISTINCT = 16
_DISTINCT_SAMPLE_ROWS = 10_000


def embedding_columns(X: np.ndarray) -> np.ndarray | None:
    """The columns of ``X`` with more than 16 distinct values, which the periodic
    embeddings take: None when that is every column (all are embedded), an empty array
    when it is none (all pass through, as a table of 0/1 columns)."""
    X = np.asarray(X)
    rows = X[:: max(1, len(X) // _DISTINCT_SAMPLE_ROWS)]
    many = np.array(
        [len(np.unique(rows[:, j])) > _EMBED_MIN_DISTINCT for j in range(X.shape[1])],
        dtype=bool,
    )
    if many.all():
        return None
    return np.flatnonzero(many)


def _embedded(module, X: torch.Tensor) -> torch.Tensor:
    # a network pickled before embeddings existed has no such attribute
    embeddings = getattr(module, "embeddings", None)
    if embeddings is None:
        return X
    columns = getattr(module, "embedded_features", None)
    if columns is None:
        return embeddings(X).flatten(1)
    return torch.cat([embeddings(X[:, columns]).flatten(1), X[:, module.passed_features]], 1)


def _register_standardisation(module, n_features, feature_mean, feature_scale) -> None:
    """The ``(x - mean) / scale`` input layer's buffers (saved and moved with the module)."""
    mean = np.zeros(n_features) if feature_mean is None else feature_mean
    scale = np.ones(n_features) if feature_scale is None else feature_scale
    module.register_buffer("feature_mean", torch.as_tensor(mean, dtype=torch.float32))
    module.register_buffer("feature_scale", torch.as_tensor(scale, dtype=torch.float32))


# Input scalings of the default network: "standard" is (x - mean) / scale; "quantile"
# maps each feature through its training quantiles to normal scores (scikit-learn's
# QuantileTransformer(output_distribution="normal"), inside the module): heavy tails,
# skewed counts and odd scales become N(0, 1)-shaped, which the MLP and the periodic
# embeddings handle far better (balanced accuracy on hpc_data 0.713 -> 0.743, and 0.766
# with periodic embeddings; benchmarks/ensemble.py, docs/imbalanced.md).
INPUT_SCALINGS = ("standard", "quantile")
_MAX_QUANTILES = 1000
_QUANTILE_SUBSAMPLE = 100_000
# as scikit-learn: levels are clipped to [1e-7, 1 - 1e-7] before the normal quantile
_LEVEL_CLIP = 1e-7


def feature_quantiles(
    X: np.ndarray, weight=None, random_state=None, dtype=np.float32
) -> np.ndarray:
    """Knots and levels of each feature's quantile map, shape ``(2, n_features, L)``.

    The training quantiles at ``L = min(1000, n)`` evenly spaced levels (of a random
    subsample of 100,000 rows on larger data), computed as ``np.quantile`` does (linear
    between order statistics); with ``weight``, a row of weight w counts as w rows (n is
    then the total weight), so integer weights give the quantiles of the repeated rows. A
    value repeated over several quantiles (a discrete feature) gets one knot at the mean
    of its levels; the features' knot lists are padded to one length with knots beyond
    the last that keep its level.

    The knots are strictly increasing in ``dtype``, the precision the network stores
    them in (float32): quantiles that differ in float64 but round to one float32 number
    (tied values on a grid: prices in cents, scores in steps of 0.01) are merged into
    one knot as tied ones are. Unmerged, two equal knots made `normal_scores` divide 0
    by 0 and the first step of training spread the NaN through the whole network.
    """
    n_samples, n_features = X.shape
    rows = np.arange(n_samples)
    if n_samples > _QUANTILE_SUBSAMPLE:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(n_samples, _QUANTILE_SUBSAMPLE, replace=False))
    w = np.ones(len(rows)) if weight is None else np.asarray(weight, dtype=np.float64)[rows]
    total = float(w.sum())
    n_levels = int(min(_MAX_QUANTILES, max(round(total), 2)))
    levels = np.linspace(0.0, 1.0, n_levels)
    position = (total - 1.0) * levels if total > 1 else np.zeros(n_levels)
    below = np.floor(position)
    fraction = position - below
    knots, knot_levels = [], []
    for j in range(n_features):
        order = np.argsort(X[rows, j], kind="stable")
        values = np.asarray(X[rows, j], dtype=np.float64)[order]
        cumulative = np.cumsum(w[order])
        # the k-th order statistic (0-based) of rows counted w times each
        low = values[np.minimum(np.searchsorted(cumulative, below, side="right"), len(values) - 1)]
        high = values[
            np.minimum(np.searchsorted(cumulative, below + 1, side="right"), len(values) - 1)
        ]
        quantiles = (low + fraction * (high - low)).astype(dtype)
        unique, inverse = np.unique(quantiles, return_inverse=True)
        mean_levels = np.bincount(inverse, weights=levels) / np.bincount(inverse)
        if len(unique) == 1:  # a constant feature: normal score 0 everywhere
            unique = _after(unique[0], 1)
            mean_levels = np.array([0.5, 0.5])
        knots.append(unique)
        knot_levels.append(mean_levels)
    width = max(len(k) for k in knots)
    table = np.zeros((2, n_features, width))
    for j, (values, mean_levels) in enumerate(zip(knots, knot_levels, strict=True)):
        pad = width - len(values)
        table[0, j] = np.concatenate([values, _after(values[-1], pad)[1:]])
        table[1, j] = np.concatenate([mean_levels, np.full(pad, mean_levels[-1])])
    return table


def _after(value, count: int) -> np.ndarray:
    """``value`` and ``count`` numbers above it, strictly increasing in ``value``'s dtype
    (float32: ``value + k * |value|`` could round to equal numbers or overflow)."""
    value = np.asarray(value)
    step = max(abs(float(value)), 1.0)
    with np.errstate(over="ignore"):
        spaced = (float(value) + step * np.arange(count + 1.0)).astype(value.dtype)
    if np.all(np.isfinite(spaced)) and np.all(np.diff(spaced) > 0):
        return spaced
    out = [value]
    for _ in range(count):  # next to the largest numbers of the dtype: one ulp apart
        out.append(np.nextafter(out[-1], np.asarray(np.inf, dtype=value.dtype)))
    return np.array(out, dtype=value.dtype)


def normal_scores(X: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """``X`` through each feature's quantile map (``table`` from `feature_quantiles`),
    then the standard normal quantile function: piecewise-linear between the knots,
    constant beyond the first and the last."""
    knots, levels = table[0], table[1]  # (d, L)
    columns = X.T.contiguous().to(knots.dtype)  # (d, n)
    right = torch.searchsorted(knots, columns).clamp(1, knots.shape[1] - 1)
    left = right - 1
    x0, x1 = knots.gather(1, left), knots.gather(1, right)
    y0, y1 = levels.gather(1, left), levels.gather(1, right)
    # feature_quantiles' knots are strictly increasing; a table saved by skmi 0.2.0 may
    # hold two equal ones (float32-collapsed): read such a step as its right end, not 0/0
    span = x1 - x0
    t = torch.where(span > 0, (columns - x0) / torch.where(span > 0, span, 1.0), 1.0)
    t = t.clamp(0.0, 1.0)
    level = (y0 + t * (y1 - y0)).clamp(_LEVEL_CLIP, 1 - _LEVEL_CLIP)
    return torch.special.ndtri(level).T.to(X.dtype)


def _register_quantiles(module, n_features, input_scaling, quantiles) -> None:
    if input_scaling not in INPUT_SCALINGS:
        raise ValueError(f"input_scaling must be one of {INPUT_SCALINGS}; got {input_scaling!r}.")
    if input_scaling == "standard":
        module.quantiles = None
        return
    if quantiles is None:  # a placeholder until load_state_dict fills it
        quantiles = np.zeros((2, n_features, 2))
    module.register_buffer("quantiles", torch.as_tensor(quantiles, dtype=torch.float32))


def _register_inputs(
    module,
    n_features: int,
    *,
    feature_mean,
    feature_scale,
    input_scaling,
    feature_quantiles,
    num_embeddings,
    embedded_features,
) -> int:
    """The input stage shared by `MLP` and `EnsembleMLP` (scaling, then embeddings):
    its buffers and ``module.embeddings``; returns the width it hands the first layer."""
    _register_standardisation(module, n_features, feature_mean, feature_scale)
    _register_quantiles(module, n_features, input_scaling, feature_quantiles)
    module.embeddings, width = numerical_embeddings(
        num_embeddings, n_features, module, embedded_features
    )
    return width


def _inputs(module, X: torch.Tensor) -> torch.Tensor:
    """``X`` through the input stage of `_register_inputs`."""
    return _embedded(module, _scaled_inputs(module, X))


def _scaled_inputs(module, X: torch.Tensor) -> torch.Tensor:
    if getattr(module, "inputs_scaled", False):  # see scaled_once
        return X
    # a network pickled before input scalings existed has no such attribute
    quantiles = getattr(module, "quantiles", None)
    if quantiles is not None:
        return normal_scores(X, quantiles)
    return (X - module.feature_mean) / module.feature_scale


@contextmanager
def scaled_once(module, X: np.ndarray):
    """``X`` through ``module``'s input scaling, once, and the module reading its
    inputs as already scaled inside the block.

    Training scales the same rows every epoch (a quantile map is a binary search over
    up to 1,000 knots per feature and value: 13 % of the default network's fit time
    at 10^5 x 20). The scaling is elementwise, so scaling all rows once gives the very
    numbers that scaling each batch gives. ``X`` itself is not modified.
    """
    device = module.feature_mean.device
    scaled = np.empty(X.shape, dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(X), _STATS_BLOCK_ROWS):
            block = torch.as_tensor(X[start : start + _STATS_BLOCK_ROWS], device=device)
            scaled[start : start + len(block)] = _scaled_inputs(module, block).cpu().numpy()
    module.inputs_scaled = True
    try:
        yield scaled
    finally:
        module.inputs_scaled = False


def stacked_forward(h, layers, *, dropout: float = 0.0, training: bool = False):
    """Members' MLPs with stacked weights: ``h`` of shape (members, rows, features),
    ``layers`` the ``(weight (members, out, in), bias (members, out))`` pairs; ReLU
    (and dropout when training) between layers, one batched product per layer."""
    last = len(layers) - 1
    for layer, (weight, bias) in enumerate(layers):
        h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
        if layer < last:
            h = torch.relu(h)
            if training and dropout > 0:
                h = nn.functional.dropout(h, dropout, training=True)
    return h


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
        num_embeddings=None,
        input_scaling="standard",
        feature_quantiles=None,
        embedded_features=None,
    ):
        super().__init__()
        width_in = _register_inputs(
            self,
            n_features,
            feature_mean=feature_mean,
            feature_scale=feature_scale,
            input_scaling=input_scaling,
            feature_quantiles=feature_quantiles,
            num_embeddings=num_embeddings,
            embedded_features=embedded_features,
        )
        layers: list[nn.Module] = []
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
        X = _inputs(self, X)
        return self.output(self.hidden(X))


class EnsembleMLP(nn.Module):
    """``n_members`` ReLU MLPs of one shape, trained at once and read as one network.

    Each member has its own weights (stacked with a leading member dimension: one batched
    matrix product per layer for all members) and its own dropout masks; the input
    standardisation is shared. In training mode the module returns every member's logits,
    shape ``(n, n_members, n_classes)``, and `PCSoftmaxLoss` averages the
    members' losses, so each member is trained as a network of its own. In evaluation mode
    it returns the ensemble's logits ``f`` with
    ``softmax(f + shift) = mean_m softmax(f_m + shift)``, where ``shift = tau * log pi``:
    the ensemble's posterior under the training prior is the members' average, and the
    prior-free logits, predictions and pointwise MI follow from ``f`` as for one network.
    By Jensen's inequality the averaged posterior's log-loss is never above the members'
    mean log-loss, so the held-out MI bound of the ensemble is at least the members'
    average.

    Parameters
    ----------
    n_features, n_classes, hidden_layer_sizes, dropout, feature_mean, feature_scale
        As for `MLP`.
    n_members : int, default=8
    shift : array-like of shape (n_classes,), optional
        ``tau * log pi`` of the training prior (zeros if omitted); a buffer.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_layer_sizes: Sequence[int] = (64, 64),
        dropout: float = 0.0,
        feature_mean=None,
        feature_scale=None,
        n_members: int = 8,
        shift=None,
        num_embeddings=None,
        input_scaling="standard",
        feature_quantiles=None,
        embedded_features=None,
    ):
        super().__init__()
        # the input stage (and its embeddings) is shared by the members, as in TabM
        width_in = _register_inputs(
            self,
            n_features,
            feature_mean=feature_mean,
            feature_scale=feature_scale,
            input_scaling=input_scaling,
            feature_quantiles=feature_quantiles,
            num_embeddings=num_embeddings,
            embedded_features=embedded_features,
        )
        shift = np.zeros(n_classes) if shift is None else shift
        self.register_buffer("shift", torch.as_tensor(shift, dtype=torch.float32))
        self.n_members = int(n_members)
        self.dropout = float(dropout)
        sizes = [width_in, *hidden_layer_sizes, n_classes]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for width_in, width_out in itertools.pairwise(sizes):
            # nn.Linear's default initialisation, drawn for each member
            bound = 1.0 / np.sqrt(width_in)
            weight = torch.empty(self.n_members, width_out, width_in).uniform_(-bound, bound)
            bias = torch.empty(self.n_members, width_out).uniform_(-bound, bound)
            self.weights.append(nn.Parameter(weight))
            self.biases.append(nn.Parameter(bias))

    # fixed-size blocks at inference on the CPU, as the single network (batch invariance)
    forward = MLP.forward

    def _logits(self, X: torch.Tensor) -> torch.Tensor:
        X = _inputs(self, X)
        h = X.unsqueeze(0).expand(self.n_members, *X.shape)
        layers = list(zip(self.weights, self.biases, strict=True))
        h = stacked_forward(h, layers, dropout=self.dropout, training=self.training)
        members = h.transpose(0, 1)  # (n, members, classes)
        if self.training:
            return members
        log_q = torch.log_softmax(members.float() + self.shift, dim=-1)
        return torch.logsumexp(log_q, dim=1) - np.log(self.n_members) - self.shift

    def set_shift(self, shift) -> None:
        """Replace ``tau * log pi`` in place (a warm-started fit's new prior)."""
        self.shift = torch.as_tensor(shift, dtype=torch.float32, device=self.shift.device)


def mlp_shape_from_state_dict(state: dict) -> dict:
    """Recover the constructor arguments of an `MLP` from its ``state_dict``."""
    if "weights.0" in state:  # an EnsembleMLP
        widths = [int(state[f"weights.{i}"].shape[1]) for i in range(_count(state, "weights."))]
        return {
            "n_features": int(state["feature_mean"].numel()),
            "n_classes": widths[-1],
            "hidden_layer_sizes": tuple(widths[:-1]),
            "n_members": int(state["weights.0"].shape[0]),
            "num_embeddings": _embedding_kind(state),
            **_scaling_of(state),
            **_embedded_of(state),
        }
    hidden_keys = sorted(
        (k for k in state if k.startswith("hidden.") and k.endswith(".weight")),
        key=lambda k: int(k.split(".")[1]),
    )
    return {
        "n_members": 1,
        "num_embeddings": _embedding_kind(state),
        "n_features": int(state["feature_mean"].numel()),
        "n_classes": int(state["output.weight"].shape[0]),
        "hidden_layer_sizes": tuple(int(state[k].shape[0]) for k in hidden_keys),
        **_scaling_of(state),
        **_embedded_of(state),
    }


def _embedded_of(state: dict) -> dict:
    """How many columns a saved network embeds (None: all)."""
    if "embedded_features" in state:
        return {"n_embedded": int(state["embedded_features"].numel())}
    return {"n_embedded": None}


def _scaling_of(state: dict) -> dict:
    """The input scaling of a saved network, and the shape of its quantile table."""
    if "quantiles" in state:
        return {"input_scaling": "quantile", "quantiles_shape": tuple(state["quantiles"].shape)}
    return {"input_scaling": "standard", "quantiles_shape": None}


def _embedding_kind(state: dict):
    # a periodic network whose columns all pass through has the index buffers only
    embedded = any(k.startswith("embeddings.") for k in state) or "embedded_features" in state
    return "periodic" if embedded else None


def _count(state: dict, prefix: str) -> int:
    return len({k.split(".")[1] for k in state if k.startswith(prefix)})


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


__all__ = [
    "MLP",
    "EnsembleMLP",
    "auto_hidden_layer_sizes",
    "feature_quantiles",
    "feature_standardisation",
    "normal_scores",
    "stacked_forward",
]
