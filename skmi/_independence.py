"""independence_test: a permutation test of I(X;Y) = 0 or I(X;Y|Z) = 0 on held-out rows.

The candidates of `estimate_mi` are fitted once per fold on its training rows. The
statistic of a fold is the best candidate's mean held-out pointwise MI on the fold's
test rows; its null distribution comes from re-scoring the same fitted models on test
rows whose link to y is broken, with no refit:

- I(X;Y) = 0: the labels of the test rows are permuted. Under independence the test
  rows' labels are exchangeable given their features and the models (fitted on other
  rows), so the fold's p-value is exact.
- I(X;Y|Z) = 0: the models read (X, Z); X is permuted among test rows whose Z are
  near neighbours (clusters of about ``neighbours`` rows), which keeps Z, y and the
  link of X to Z (a holdout randomization test with a local permutation for the model
  of X given Z). Permuting X over all rows would test X independent of (Y, Z): with Z
  informative and X screened off by Z it rejects a true null. Within neighbours the
  test is exact where Z is discrete, approximate where it is continuous (measured in
  docs/estimation.md).

One p-value per fold, ``(1 + #{permuted >= observed}) / (1 + B)`` (never 0), combined
by Holm's step-down over the folds; the test's p-value is the smallest adjusted one.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state

from skmi._candidates import seeded_clone
from skmi._crossfit import _FORCED_PRIOR_WEIGHT, posterior, take
from skmi._encoding import TableEncoder, empty_cells_as_table, is_frame, needs_encoding
from skmi._leaks import warn_suspicious_columns
from skmi._pmi import empirical_log_prior, pmi_of_mixture
from skmi._threads import limits_threads, parallel


@dataclass
class IndependenceTest:
    """Result of [`independence_test`][skmi.independence_test].

    Attributes
    ----------
    p_value : float
        The test's p-value: the smallest Holm-adjusted fold p-value (at most 1, at
        least ``n_folds / (1 + n_permutations)``).
    fold_p_values : ndarray of shape (n_folds,)
        Each fold's permutation p-value, ``(1 + #{permuted >= observed}) / (1 + B)``.
    adjusted_p_values : ndarray of shape (n_folds,)
        Holm's step-down adjustment of ``fold_p_values``.
    statistics : ndarray of shape (n_folds,)
        Each fold's statistic: the best candidate's mean held-out pointwise MI, nats.
    null : str
        ``"I(X;Y) = 0"`` or ``"I(X;Y|Z) = 0"``.
    n_permutations : int
    conditioned_on : tuple of str
        The columns of Z (empty for the marginal test).
    """

    p_value: float
    fold_p_values: np.ndarray
    adjusted_p_values: np.ndarray
    statistics: np.ndarray
    null: str
    n_permutations: int
    conditioned_on: tuple = ()

    def rejects(self, alpha: float = 0.05) -> bool:
        """Whether the test rejects its null at level ``alpha``."""
        return bool(self.p_value <= alpha)

    @property
    def p_value_floor(self) -> float:
        """The smallest p-value this test can give: ``n_folds / (1 + n_permutations)``
        (Holm's factor on the smallest fold p-value ``1 / (1 + B)``)."""
        return min(1.0, len(self.fold_p_values) / (1 + self.n_permutations))

    def __repr__(self) -> str:
        return (
            f"IndependenceTest(null={self.null!r}, p_value={self.p_value:.4g}, "
            f"n_folds={len(self.fold_p_values)}, n_permutations={self.n_permutations})"
        )

    def __str__(self) -> str:
        floor = self.p_value_floor
        at_floor = (
            f"; the smallest p-value {len(self.fold_p_values)} folds of "
            f"{self.n_permutations} permutations can give (more permutations go lower)"
            if self.p_value <= floor * (1 + 1e-9)
            else f"; it cannot go below {floor:.4g}"
        )
        return (
            f"test of {self.null}: p = {self.p_value:.4g} (Holm over "
            f"{len(self.fold_p_values)} folds, {self.n_permutations} permutations each"
            f"{at_floor})"
        )


@limits_threads
def independence_test(
    X,
    y,
    *,
    given=None,
    estimator=None,
    cv: int = 5,
    n_permutations: int = 199,
    neighbours: int = 5,
    random_state=None,
    n_jobs=None,
) -> IndependenceTest:
    """Test I(X; Y) = 0, or I(X; Y | Z) = 0 with ``given=Z``, by permutations of
    held-out rows.

    The candidates of [`estimate_mi`][skmi.estimate_mi] (or ``estimator``) are fitted
    once on the training rows of each of ``cv`` stratified folds. A fold's statistic is
    the best candidate's mean pointwise MI on its held-out rows. Its null distribution
    re-scores the same models, without refitting, on held-out rows whose link to y is
    broken: the labels permuted (marginal test), or X permuted among rows whose Z are
    near neighbours (conditional test: Z, y and the link of X to Z are kept, so an X
    screened off by an informative Z is not flagged). Each fold gives a p-value
    ``(1 + #) / (1 + B)``, never 0; Holm's step-down combines the folds, and the
    smallest adjusted p-value is the test's.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    given : array-like, DataFrame, column name(s) of X, or None, default=None
        Z, as in `estimate_mi`.
    estimator : classifier, list of classifiers, or None, default=None
        The candidates, as in `estimate_mi`.
    cv : int, default=5
        Number of stratified folds.
    n_permutations : int, default=199
        Permutations per fold (B). The p-value is at least ``cv / (1 + B)``.
    neighbours : int, default=5
        Conditional test: the mean number of held-out rows in a cluster of Z within
        which X is permuted (smaller: closer to the exact conditional null; larger:
        more power).
    random_state : int, RandomState or None, default=None
    n_jobs : int or None, default=None
        Folds tested at once, in joblib's processes (see `estimate_mi`); the same
        p-value for every ``n_jobs``.

    Returns
    -------
    IndependenceTest

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import independence_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3))
    >>> y = (X[:, 0] + rng.normal(size=600) > 0).astype(int)
    >>> independence_test(X, y, estimator=LogisticRegression(), random_state=0).rejects()
    True
    >>> noise = rng.normal(size=(600, 3))
    >>> test = independence_test(noise, y, estimator=LogisticRegression(), random_state=0)
    >>> bool(test.p_value >= 5 / 200)
    True
    """
    from skmi._estimate import _joined, _prepared, _split_given

    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer; got {n_permutations!r}.")
    if not isinstance(neighbours, (int, np.integer)) or neighbours < 2:
        raise ValueError(f"neighbours must be an integer of at least 2; got {neighbours!r}.")
    if not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an integer of at least 2; got {cv!r}.")
    rng = check_random_state(random_state)
    X = empty_cells_as_table(X, "x")
    warn_suspicious_columns(X, y, stacklevel=4)
    names: tuple = ()
    Z = None
    X_columns = None
    if given is not None:
        X, Z, names = _split_given(X, given)
        X_columns = X.shape[1]
        data = _joined(X, Z)
    else:
        data = X
    problem = _prepared(
        data,
        y,
        rng,
        estimator=estimator,
        cv=cv,
        n_repeats=1,
        extrapolate=False,
        confidence=0.95,
        groups=None,
        sample_weight=None,
        keep=None,
        columns=None,
    )
    labels, y_index = problem.labels, problem.y_index
    log_prior = empirical_log_prior(y_index, len(labels))
    fold = functools.partial(
        _fold_test,
        problem=problem,
        log_prior=log_prior,
        Z=Z,
        X_columns=X_columns,
        n_permutations=n_permutations,
        neighbours=neighbours,
    )
    # the folds are independent: n_jobs processes take them (skmi._threads)
    outcomes = parallel(fold, [(plan,) for plan in problem.plans], n_jobs)
    statistics = [observed for observed, _ in outcomes]
    p_values = [p for _, p in outcomes]
    p_values = np.asarray(p_values)
    adjusted = holm(p_values)
    return IndependenceTest(
        p_value=float(adjusted.min()),
        fold_p_values=p_values,
        adjusted_p_values=adjusted,
        statistics=np.asarray(statistics),
        null="I(X;Y|Z) = 0" if Z is not None else "I(X;Y) = 0",
        n_permutations=int(n_permutations),
        conditioned_on=tuple(names),
    )


def _fold_test(plan, *, problem, log_prior, Z, X_columns, n_permutations, neighbours):
    """One fold's statistic and p-value: the candidates fitted on its training rows,
    its held-out rows scored as they are and under ``n_permutations`` permutations."""
    train, test, seed, _ = plan
    labels, y_index = problem.labels, problem.y_index
    models = [
        seeded_clone(c, seed).fit(take(problem.X, train), problem.y[train])
        for c in problem.candidates
    ]
    stream = np.random.default_rng(seed)
    if Z is None:
        tables = _pmi_tables(models, take(problem.X, test), labels, log_prior)
        observed = _statistic(tables, y_index[test])
        permuted = np.array(
            [_statistic(tables, stream.permutation(y_index[test])) for _ in range(n_permutations)]
        )
    else:
        clusters = _z_clusters(Z, train, test, neighbours, seed)
        rows = take(problem.X, test)
        observed = _statistic(_pmi_tables(models, rows, labels, log_prior), y_index[test])
        orders = [_within(clusters, stream) for _ in range(n_permutations)]
        shuffled = _with_x_rows(rows, X_columns, orders)
        tables = _pmi_tables(models, shuffled, labels, log_prior)  # (M, B * r, K)
        y_rep = np.tile(y_index[test], n_permutations)
        picked = tables[:, np.arange(len(y_rep)), y_rep].reshape(
            len(models), n_permutations, len(test)
        )
        permuted = picked.mean(axis=2).max(axis=0)
    return observed, (1 + np.sum(permuted >= observed - 1e-12)) / (1 + n_permutations)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (monotone, at most 1)."""
    p_values = np.asarray(p_values, dtype=np.float64)
    m = len(p_values)
    order = np.argsort(p_values)
    scaled = np.minimum(1.0, (m - np.arange(m)) * p_values[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def _pmi_tables(models, X, labels, log_prior) -> np.ndarray:
    """Per model, the pointwise MI of every row and class, the model mixed with the prior
    at the forced mixture's floor (as the interval's resolution reads candidates)."""
    weights = np.array([_FORCED_PRIOR_WEIGHT, 1 - _FORCED_PRIOR_WEIGHT])
    prior = np.exp(log_prior)
    return np.stack(
        [pmi_of_mixture(weights, posterior(m, X, labels, log_prior)[None], prior) for m in models]
    )


def _statistic(tables, y_index) -> float:
    """The best model's mean pointwise MI of these labels."""
    return float(tables[:, np.arange(len(y_index)), y_index].mean(axis=1).max())


def _z_clusters(Z, train, test, neighbours: int, seed: int) -> list:
    """The test rows grouped by their Z (positions among ``test``): clusters of about
    ``neighbours`` rows, Z encoded and scaled on the training rows."""
    if is_frame(Z) and needs_encoding(Z):
        encoder = TableEncoder().fit(take(Z, train))
        train_z = np.asarray(encoder.transform(take(Z, train)), dtype=np.float64)
        test_z = np.asarray(encoder.transform(take(Z, test)), dtype=np.float64)
    else:
        values = np.asarray(Z, dtype=np.float64)
        train_z, test_z = values[train], values[test]
    scale = train_z.std(axis=0)
    test_z = (test_z - train_z.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    n_clusters = max(1, math.ceil(len(test) / neighbours))
    if test_z.shape[1] == 1:  # one column: neighbours along it
        order = np.argsort(test_z[:, 0], kind="stable")
        return [order[i : i + neighbours] for i in range(0, len(order), neighbours)]
    assignment = KMeans(n_clusters, n_init=1, random_state=seed).fit_predict(test_z)
    return [np.flatnonzero(assignment == c) for c in range(n_clusters)]


def _within(clusters, stream) -> np.ndarray:
    """A permutation of the test rows that moves rows only within their cluster."""
    order = np.arange(sum(len(c) for c in clusters))
    for cluster in clusters:
        order[cluster] = cluster[stream.permutation(len(cluster))]
    return order


def _with_x_rows(rows, n_x: int, orders) -> object:
    """The test rows once per order, X's columns (the first ``n_x``) taken in that
    order and Z's as they are: all copies stacked, as one array or DataFrame."""
    if is_frame(rows):
        import pandas as pd

        rows = rows.reset_index(drop=True)
        copies = []
        for order in orders:
            copy = rows.copy()
            for column in rows.columns[:n_x]:  # column by column: each keeps its dtype
                copy[column] = rows[column].to_numpy()[order]
            copies.append(copy)
        return pd.concat(copies, ignore_index=True)
    rows = np.asarray(rows)
    copies = np.tile(rows, (len(orders), 1))
    for b, order in enumerate(orders):
        copies[b * len(rows) : (b + 1) * len(rows), :n_x] = rows[order, :n_x]
    return copies
