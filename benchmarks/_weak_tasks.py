"""Tasks with no information or a weak, known amount of it (0.005 to 0.05 nats).

Not in ``skmi.datasets``: these are the benchmarks' own, made to check what an interval
says near 0 and what a test of independence detects.

- ``null_binary``: 5 standard-normal features, y ~ Bernoulli(0.3) independent of them.
- ``null_table``: a DataFrame (2 numbers with 10 % empty cells, a 4-level category, a
  text column of 3 words), 3 classes (0.5 / 0.3 / 0.2) independent of it.
- ``shift_<I>``: 5 standard-normal features, balanced binary y shifts the first by
  ``+-delta`` (delta solved for I by quadrature).
- ``three_class_<I>``: 4 features, 3 balanced classes with means on a circle of radius
  ``delta`` in the first two (2-D quadrature).
- ``xor_<I>``: 4 features; y is the sign of x0 * x1, flipped with probability eps:
  I = log 2 - H(eps) exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit
from scipy.stats import norm

NULL_TASKS = ("null_binary", "null_table")
WEAK_TASKS = (
    "shift_0.005",
    "shift_0.01",
    "shift_0.02",
    "shift_0.05",
    "three_class_0.02",
    "xor_0.02",
)


def _binary_entropy(p):
    p = np.clip(p, 1e-300, 1 - 1e-16)
    return -(p * np.log(p) + (1 - p) * np.log1p(-p))


def _shift_mi(delta: float) -> float:
    x = np.linspace(-14, 14, 40001)
    density = 0.5 * (norm.pdf(x - delta) + norm.pdf(x + delta))
    posterior = expit(2 * delta * x)
    return float(np.log(2) - np.trapezoid(density * _binary_entropy(posterior), x))


def _circle_means(delta: float) -> np.ndarray:
    angles = 2 * np.pi * np.arange(3) / 3
    return delta * np.column_stack([np.cos(angles), np.sin(angles)])


def _three_class_mi(delta: float) -> float:
    grid = np.linspace(-9, 9, 601)
    xx, yy = np.meshgrid(grid, grid)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    logs = np.stack([norm.logpdf(points - m).sum(1) for m in _circle_means(delta)])  # (3, points)
    joint = np.exp(logs) / 3
    marginal = joint.sum(0)
    posterior = joint / np.maximum(marginal, 1e-300)
    conditional = -(posterior * np.log(np.maximum(posterior, 1e-300))).sum(0)
    step = (grid[1] - grid[0]) ** 2
    return float(np.log(3) - np.sum(marginal * conditional) * step)


def _solve(function, target: float, high: float) -> float:
    return float(brentq(lambda v: function(v) - target, 1e-6, high, xtol=1e-10))


def make_weak_task(name: str, n: int, random_state: int = 0):
    """``(X, y, truth)`` of a task of this module (truth in nats)."""
    rng = np.random.default_rng(random_state)
    if name == "null_binary":
        return rng.normal(size=(n, 5)), (rng.random(n) < 0.3).astype(int), 0.0
    if name == "null_table":
        numbers = rng.normal(size=(n, 2))
        numbers[rng.random((n, 2)) < 0.1] = np.nan
        table = pd.DataFrame(
            {
                "a": numbers[:, 0],
                "b": numbers[:, 1],
                "colour": rng.choice(["red", "green", "blue", "grey"], n),
                "word": rng.choice(["alpha", "beta", "gamma"], n),
            }
        )
        return table, rng.choice(3, n, p=[0.5, 0.3, 0.2]), 0.0
    kind, _, amount = name.rpartition("_")
    target = float(amount)
    if kind == "shift":
        delta = _solve(_shift_mi, target, 3.0)
        y = rng.integers(0, 2, n)
        X = rng.normal(size=(n, 5))
        X[:, 0] += delta * (2 * y - 1)
        return X, y, _shift_mi(delta)
    if kind == "three_class":
        delta = _solve(_three_class_mi, target, 3.0)
        y = rng.integers(0, 3, n)
        X = rng.normal(size=(n, 4))
        X[:, :2] += _circle_means(delta)[y]
        return X, y, _three_class_mi(delta)
    if kind == "xor":
        eps = brentq(lambda e: np.log(2) - _binary_entropy(e) - target, 1e-9, 0.5 - 1e-12)
        X = rng.normal(size=(n, 4))
        flip = rng.random(n) < eps
        y = ((X[:, 0] * X[:, 1] > 0) ^ flip).astype(int)
        return X, y, float(np.log(2) - _binary_entropy(eps))
    raise ValueError(f"Unknown task {name!r}.")
