"""Tasks with a known conditional mutual information I(X; Y | Z), for checking
``estimate_mi(X, y, given=Z)`` and any other estimator of it.

Every truth is exact up to quadrature (a fine grid over one dimension): the classes are
balanced and Gaussian with unit variance, so each I(.; Y) is that of two 1-d Gaussians
some distance apart, and I(X; Y | Z) = I(X, Z; Y) - I(Z; Y) (the chain rule).
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.utils import check_random_state

_LOG2 = math.log(2.0)


def gaussian_pair_mi(separation: float) -> float:
    """I(X; Y) in nats for balanced binary Y and X | Y ~ N(+-separation/2, 1) (1-d):
    ``log 2 - E[h(P(Y=1 | X))]``, by quadrature (error far below 1e-8)."""
    if separation == 0:
        return 0.0
    grid = np.linspace(-14 - separation, 14 + separation, 400_001)
    half = separation / 2
    density = 0.5 * (np.exp(-0.5 * (grid - half) ** 2) + np.exp(-0.5 * (grid + half) ** 2))
    density /= math.sqrt(2 * math.pi)
    p = 1 / (1 + np.exp(-separation * grid))
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log(p), 0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0))
    f = density * h
    return float(_LOG2 - np.sum((f[1:] + f[:-1]) / 2 * np.diff(grid)))  # trapezoid rule


def _binary_entropy(p: float) -> float:
    return float(-(p * math.log(p) + (1 - p) * math.log(1 - p)))


def _labels(n, rng):
    return rng.integers(0, 2, n)


def _gaussian_split(n, rng):
    # 4-d classes N(+-m, I); X the first two coordinates, Z the last two
    m = np.array([0.5, 0.3, 0.4, 0.2])
    y = _labels(n, rng)
    sign = np.where(y == 1, 1.0, -1.0)[:, None]
    points = sign * m + rng.normal(size=(n, 4))
    truth = gaussian_pair_mi(2 * np.linalg.norm(m)) - gaussian_pair_mi(2 * np.linalg.norm(m[2:]))
    return points[:, :2], points[:, 2:], y, truth


def _xor(n, rng):
    # y = [x > 0] xor [z > 0], 10 % of the labels flipped: X alone and Z alone say nothing
    x, z = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    y = ((x[:, 0] > 0) ^ (z[:, 0] > 0)).astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    return x, z, y, _LOG2 - _binary_entropy(0.1)


def _noisy_copy(n, rng):
    # Z is a noisy copy of X: it repeats most of what X says, X keeps the rest
    y = _labels(n, rng)
    x = np.where(y == 1, 1.0, -1.0) + rng.normal(size=n)
    z = x + 0.5 * rng.normal(size=n)
    truth = gaussian_pair_mi(2.0) - gaussian_pair_mi(2.0 / math.sqrt(1.25))
    return x[:, None], z[:, None], y, truth


def _irrelevant_given(n, rng):
    # Z is noise: I(X;Y|Z) = I(X;Y)
    y = _labels(n, rng)
    m = np.array([0.6, 0.4])
    x = np.where(y == 1, 1.0, -1.0)[:, None] * m + rng.normal(size=(n, 2))
    z = rng.normal(size=(n, 3))
    return x, z, y, gaussian_pair_mi(2 * np.linalg.norm(m))


def _screened_off(n, rng):
    # Y -> Z -> X: X is informative alone, but says nothing that Z does not
    y = _labels(n, rng)
    z = np.where(y == 1, 1.0, -1.0) + rng.normal(size=n)
    x = z + 0.5 * rng.normal(size=n)
    return x[:, None], z[:, None], y, 0.0


CONDITIONAL_TASKS = {
    "gaussian_split": _gaussian_split,
    "xor_given": _xor,
    "noisy_copy": _noisy_copy,
    "irrelevant_given": _irrelevant_given,
    "screened_off": _screened_off,
}


def make_conditional_task(name: str, n_samples: int = 1000, *, random_state=None):
    """Draw a task with a known conditional mutual information I(X; Y | Z).

    Parameters
    ----------
    name : str
        One of ``CONDITIONAL_TASKS``: ``"gaussian_split"`` (a Gaussian class pair in
        4-d, split into two column sets), ``"xor_given"`` (y = XOR of the signs of x and
        z: X alone says nothing), ``"noisy_copy"`` (Z a noisy copy of X: redundancy),
        ``"irrelevant_given"`` (Z is noise: I(X;Y|Z) = I(X;Y)) and ``"screened_off"``
        (Y -> Z -> X: X informative alone, truth 0).
    n_samples : int, default=1000
    random_state : int, RandomState or None

    Returns
    -------
    X : ndarray of shape (n_samples, n_x)
    Z : ndarray of shape (n_samples, n_z)
    y : ndarray of shape (n_samples,)
    truth : float
        I(X; Y | Z) in nats (exact up to quadrature).

    Examples
    --------
    >>> from skmi.datasets import make_conditional_task
    >>> X, Z, y, truth = make_conditional_task("xor_given", 500, random_state=0)
    >>> X.shape, Z.shape, round(truth, 4)
    ((500, 1), (500, 1), 0.3681)
    """
    if name not in CONDITIONAL_TASKS:
        raise ValueError(f"unknown task {name!r}; known: {sorted(CONDITIONAL_TASKS)}.")
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    X, Z, y, truth = CONDITIONAL_TASKS[name](int(n_samples), rng)
    return X, Z, y, float(truth)


def _interaction_pair(n, rng):
    x = rng.normal(size=(n, 6))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    return x, y, [(0,), (1,)]


def _redundant_copies(n, rng):
    x = rng.normal(size=(n, 6))
    y = (x[:, 0] + 0.8 * x[:, 1] + 0.6 * rng.normal(size=n) > 0).astype(int)
    x[:, 2] = x[:, 0] + 0.05 * rng.normal(size=n)  # a noisy copy of column 0
    return x, y, [(0, 2), (1,)]


def _pair_and_copies(n, rng):
    x = rng.normal(size=(n, 7))
    y = (((x[:, 0] > 0) ^ (x[:, 1] > 0)) | (x[:, 2] > 0.8)).astype(int)
    x[:, 3] = x[:, 2] + 0.05 * rng.normal(size=n)
    return x, y, [(0,), (1,), (2, 3)]


SELECTION_TASKS = {
    "interaction_pair": _interaction_pair,
    "redundant_copies": _redundant_copies,
    "pair_and_copies": _pair_and_copies,
}


def make_selection_task(name: str, n_samples: int = 1000, *, random_state=None):
    """Draw a feature-selection task with a known informative set.

    Parameters
    ----------
    name : str
        One of ``SELECTION_TASKS``: ``"interaction_pair"`` (y = XOR of columns 0 and 1,
        10 % noise, 4 noise columns), ``"redundant_copies"`` (y from columns 0 and 1;
        column 2 a copy of column 0; 3 noise columns), ``"pair_and_copies"`` (an XOR pair,
        a column and its copy, 3 noise columns).
    n_samples : int, default=1000
    random_state : int, RandomState or None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    informative : list of tuple
        One tuple per piece of information: the columns that carry it, any one of which
        is enough (copies). A selection recovers the set exactly when it holds one
        column of each tuple and nothing else (see `exact_recovery`).

    Examples
    --------
    >>> from skmi.datasets import exact_recovery, make_selection_task
    >>> X, y, informative = make_selection_task("redundant_copies", 300, random_state=0)
    >>> informative
    [(0, 2), (1,)]
    >>> exact_recovery([1, 2], informative), exact_recovery([0, 1, 2], informative)
    (True, False)
    """
    if name not in SELECTION_TASKS:
        raise ValueError(f"unknown task {name!r}; known: {sorted(SELECTION_TASKS)}.")
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    return SELECTION_TASKS[name](int(n_samples), rng)


def exact_recovery(selected, informative) -> bool:
    """Whether ``selected`` (column indices) holds exactly one column of each tuple of
    ``informative`` and nothing else."""
    selected = set(int(s) for s in selected)
    if len(selected) != len(informative):
        return False
    return all(len(selected & set(group)) == 1 for group in informative)
