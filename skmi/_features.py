"""Which features carry the information: each feature's (or group's) information alone,
I(X_j; Y), and its unique information beyond all the others, I(X_j; Y | X_-j)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import check_random_state

from skmi._encoding import is_frame
from skmi._estimate import _estimate
from skmi._result import MIEstimate, conditional


@dataclass
class FeatureInformation:
    """Per feature (or named group of columns): ``alone`` I(X_j; Y) and ``unique``
    I(X_j; Y | all other features), each an [`MIEstimate`][skmi.MIEstimate] with its
    interval, and ``total`` I(X; Y) of all features (from the same folds and seeds as
    every ``unique``).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import feature_information
    >>> from skmi.datasets import make_conditional_task
    >>> import numpy as np
    >>> X, Z, y, _ = make_conditional_task("noisy_copy", 800, random_state=0)
    >>> info = feature_information(np.hstack([X, Z]), y, estimator=LogisticRegression(),
    ...                            random_state=0)
    >>> list(info.to_frame().columns[:3])
    ['feature', 'alone', 'alone_low']
    """

    names: list
    alone: dict
    unique: dict
    total: MIEstimate

    def to_frame(self):
        """One row per feature: alone and unique information with their intervals (nats),
        sorted by unique information."""
        import pandas as pd

        rows = []
        for name in self.names:
            a, u = self.alone[name], self.unique[name]
            rows.append(
                {
                    "feature": name,
                    "alone": a.mi,
                    "alone_low": a.ci[0],
                    "alone_high": a.ci[1],
                    "unique": u.mi,
                    "unique_low": u.ci[0],
                    "unique_high": u.ci[1],
                }
            )
        frame = pd.DataFrame(rows)
        return frame.sort_values(["unique", "alone"], ascending=False, ignore_index=True)


def feature_information(
    X,
    y,
    groups=None,
    *,
    estimator=None,
    cv=5,
    extrapolate: bool = True,
    confidence: float = 0.95,
    random_state=None,
    n_jobs=None,
) -> FeatureInformation:
    """Each feature's information about y alone, and what it adds beyond all the others.

    For each feature (or named group of columns) j: *alone*, ``estimate_mi(X_j, y)``;
    *unique*, I(X_j; Y | X_-j) = I(X; Y) - I(X_-j; Y), both terms on the same folds,
    rows and seeds, with the interval from the paired per-sample differences (as
    ``estimate_mi(..., given=...)``). The all-features term is estimated once and
    shared by every *unique*. A feature that matters only together with another (half of
    an XOR pair) reads 0 alone and a large unique value; of two redundant copies each
    reads high alone and about 0 unique.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    groups : dict or None, default=None
        ``{name: columns}`` (column names of a DataFrame, or indices) to read groups of
        columns together; None reads each column on its own.
    estimator, cv, extrapolate, confidence, random_state
        As for [`estimate_mi`][skmi.estimate_mi].
    n_jobs : int or None, default=None
        Features read in parallel (joblib; ``joblib.parallel_backend("dask")`` spreads
        them over a Dask cluster).

    Returns
    -------
    FeatureInformation
    """
    if is_frame(X):
        columns = [str(c) for c in X.columns]
        X = X.set_axis(columns, axis=1)
    else:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got {X.ndim} dimensions.")
        columns = [f"x{j}" for j in range(X.shape[1])]
    selection = _groups(groups, columns)
    if len(selection) < 2 and groups is None:
        raise ValueError("feature_information needs at least 2 features.")
    seed = check_random_state(random_state).randint(2**31 - 1)
    options = {
        "estimator": estimator,
        "cv": cv,
        "n_repeats": "auto",
        "extrapolate": extrapolate,
        "confidence": confidence,
        "verbose": 0,
        "batch_networks": "auto",
        "groups": None,
        "sample_weight": None,
    }

    def take(cols):
        if is_frame(X):
            return X[[columns[c] for c in cols]]
        return X[:, cols]

    def run(cols):
        return _estimate(take(cols), y, np.random.RandomState(seed), **options)

    names = list(selection)
    everything = list(range(len(columns)))
    rests = [[c for c in everything if c not in selection[name]] for name in names]
    jobs = [everything] + [selection[name] for name in names] + [r for r in rests if r]
    outcomes = Parallel(n_jobs=n_jobs)(delayed(run)(cols) for cols in jobs)
    (total, splits, _), outcomes = outcomes[0], outcomes[1:]
    alone = {name: outcomes[i][0] for i, name in enumerate(names)}
    rest_results = iter(outcomes[len(names) :])
    unique = {}
    for name, rest in zip(names, rests, strict=True):
        if not rest:  # the group is every column: its unique information is all of it
            unique[name] = total
            continue
        unique[name] = conditional(
            total,
            next(rest_results)[0],
            splits,
            [columns[c] for c in rest],
            confidence=confidence,
        )
    return FeatureInformation(names=names, alone=alone, unique=unique, total=total)


def _groups(groups, columns) -> dict:
    """``{name: column positions}``."""
    if groups is None:
        return {name: [j] for j, name in enumerate(columns)}
    if not isinstance(groups, dict) or not groups:
        raise TypeError("groups must be a non-empty dict {name: columns}.")
    out = {}
    for name, members in groups.items():
        members = [members] if isinstance(members, (str, int, np.integer)) else list(members)
        positions = []
        for m in members:
            if isinstance(m, str):
                if m not in columns:
                    raise ValueError(f"group {name!r} names column {m!r}, which X does not have.")
                positions.append(columns.index(m))
            else:
                if not 0 <= int(m) < len(columns):
                    raise ValueError(f"group {name!r} has column index {m}, out of range.")
                positions.append(int(m))
        if not positions:
            raise ValueError(f"group {name!r} has no columns.")
        out[str(name)] = sorted(set(positions))
    return out
