"""Mutual-information metrics computed from predicted probabilities or logits.

All functions work in float64 with log-sum-exp forms, so that neither very confident
predictions nor zero probabilities turn into a silent ``-inf`` or NaN.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils.validation import column_or_1d

from skmi._pmi import empirical_log_prior, pmi_from_logits, pmi_from_proba

_UNITS = {"nats": 1.0, "bits": 1.0 / np.log(2.0)}


def check_units(units: str) -> float:
    """Return the factor converting nats to ``units``."""
    if not isinstance(units, str) or units not in _UNITS:
        raise ValueError(f"units must be 'nats' or 'bits', got {units!r}.")
    return _UNITS[units]


def encode_labels(y_true, labels, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Map ``y_true`` to column indices ``0..n_columns-1``.

    ``labels`` gives the label of each column (as ``classes_`` does for a classifier);
    when it is None the sorted distinct values of ``y_true`` are used, which is only
    unambiguous when every column's label occurs in ``y_true``.
    """
    y_true = column_or_1d(np.asarray(y_true, dtype=object if _is_text(y_true) else None))
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty: at least one sample is needed.")
    if _has_nan(y_true):
        raise ValueError("y_true contains NaN.")
    if labels is None:
        labels = np.unique(y_true)
        if labels.shape[0] != n_columns:
            raise ValueError(
                f"y_true has {labels.shape[0]} distinct labels but the predictions have "
                f"{n_columns} columns; pass labels= to say which label each column is."
            )
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n_columns:
        raise ValueError(
            f"labels must list one label per column ({n_columns}), got shape {labels.shape}."
        )
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    try:
        position = np.searchsorted(sorted_labels, y_true)
    except TypeError as exc:  # e.g. str labels against int classes
        raise ValueError(
            f"y_true's labels cannot be compared with the known labels {labels.tolist()}."
        ) from exc
    position = np.clip(position, 0, n_columns - 1)
    unseen = sorted_labels[position] != y_true
    if np.any(unseen):
        raise ValueError(
            f"y_true contains labels the model was not trained on: "
            f"{np.unique(y_true[unseen]).tolist()}; known labels are {labels.tolist()}."
        )
    return order[position].astype(np.intp), labels


def _is_text(y) -> bool:
    dtype = getattr(y, "dtype", None)
    return dtype is not None and dtype.kind in "OUS"


def _has_nan(y: np.ndarray) -> bool:
    if y.dtype.kind == "f":
        return bool(np.isnan(y).any())
    if y.dtype.kind == "O":
        return any(isinstance(v, Real) and v != v for v in y)
    return False


def check_prior(prior, n_classes: int, *, name: str = "prior") -> np.ndarray:
    """Validate a user-given class prior and return it as float64, summing to 1."""
    prior = np.asarray(prior, dtype=np.float64)
    if prior.ndim != 1 or prior.shape[0] != n_classes:
        raise ValueError(
            f"{name} must have one entry per class ({n_classes}), got shape {prior.shape}."
        )
    if not np.all(np.isfinite(prior)):
        raise ValueError(f"{name} contains NaN or inf: {prior.tolist()}.")
    if np.any(prior < 0):
        raise ValueError(f"{name} must be non-negative, got {prior.tolist()}.")
    if not np.isclose(prior.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1, got a sum of {prior.sum():.6g}.")
    return prior / prior.sum()


def _log_prior(prior, y_index: np.ndarray, n_classes: int) -> np.ndarray:
    if prior is None:
        return empirical_log_prior(y_index, n_classes)
    with np.errstate(divide="ignore"):
        return np.log(check_prior(prior, n_classes))


def _check_2d_finite(values, name: str, n_samples: int | None = None) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_classes), got {values.ndim}-D.")
    if n_samples is not None and values.shape[0] != n_samples:
        raise ValueError(f"y_true has {n_samples} samples but {name} has {values.shape[0]} rows.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or inf.")
    return values


def pointwise_mutual_info(y_true, logits, *, prior=None, labels=None) -> np.ndarray:
    """Pointwise mutual information ``log p(y|x) / p(y)`` of each (x, y) pair, in nats.

    ``logits`` are prior-free, as MIClassifier's are: the model's posterior under a
    class prior ``pi`` is ``softmax(logits + log pi)``. Then
    ``pmi_i = logits[i, y_i] - logsumexp_j(logits[i, j] + log pi_j)``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    logits : array-like of shape (n_samples, n_classes)
        Prior-free logits; column ``j`` belongs to ``labels[j]``.
    prior : array-like of shape (n_classes,), default=None
        Class prior of the data being scored. None uses the class frequencies of
        ``y_true``.
    labels : array-like of shape (n_classes,), default=None
        Label of each column. None uses the sorted distinct values of ``y_true``.

    Returns
    -------
    pmi : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skmi.metrics import pointwise_mutual_info
    >>> pointwise_mutual_info([0, 1], [[0.0, 0.0], [0.0, 0.0]]).tolist()
    [0.0, 0.0]
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (n_samples, n_classes), got {logits.ndim}-D.")
    y_index, _ = encode_labels(y_true, labels, logits.shape[1])
    logits = _check_2d_finite(logits, "logits", y_index.shape[0])
    log_prior = _log_prior(prior, y_index, logits.shape[1])
    return pmi_from_logits(logits, log_prior)[np.arange(y_index.shape[0]), y_index]


def mutual_info_from_logits(
    y_true, logits, *, prior=None, labels=None, units: str = "nats"
) -> float:
    """Mutual-information estimate: the mean pointwise MI of held-out pairs.

    Equal to ``H(Y) - cross_entropy(q)``, where ``q = softmax(logits + log prior)``. On
    samples the model did not train on, this is (in expectation) a lower bound on
    ``I(X; Y)``; on training samples it overestimates.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    logits : array-like of shape (n_samples, n_classes)
        Prior-free logits (see :func:`pointwise_mutual_info`).
    prior : array-like of shape (n_classes,), default=None
        Class prior of the scored data; None uses the class frequencies of ``y_true``.
    labels : array-like of shape (n_classes,), default=None
        Label of each column.
    units : {"nats", "bits"}, default="nats"

    Returns
    -------
    mi : float

    Examples
    --------
    >>> from skmi.metrics import mutual_info_from_logits
    >>> y = [0, 0, 1, 1]
    >>> logits = [[5.0, -5.0], [5.0, -5.0], [-5.0, 5.0], [-5.0, 5.0]]
    >>> round(mutual_info_from_logits(y, logits, units="bits"), 3)  # H(Y) = 1 bit
    1.0
    """
    factor = check_units(units)
    pmi = pointwise_mutual_info(y_true, logits, prior=prior, labels=labels)
    return float(pmi.mean() * factor)


def mutual_info_from_proba(y_true, y_proba, *, labels=None, units: str = "nats") -> float:
    """Mutual-information estimate ``H(Y) - log_loss`` from predicted probabilities.

    ``H(Y)`` is the entropy of the class frequencies of ``y_true``; the log-loss is
    that of ``y_proba``. This works for any probabilistic classifier and assumes its
    probabilities are calibrated to the class prior of the data being scored (a
    classifier trained on resampled data is calibrated to the resampled prior
    instead, and then this reading is biased).

    A true class predicted with probability 0 is clipped to machine epsilon, with a
    warning, instead of giving ``-inf``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; a 1-D array is the positive-class probability of a
        binary problem.
    labels : array-like of shape (n_classes,), default=None
        Label of each column (``classes_``). None uses the sorted labels of ``y_true``.
    units : {"nats", "bits"}, default="nats"

    Returns
    -------
    mi : float

    Examples
    --------
    >>> from skmi.metrics import mutual_info_from_proba
    >>> mutual_info_from_proba([0, 1, 0, 1], [[1, 0], [0, 1], [1, 0], [0, 1]], units="bits")
    1.0
    """
    factor = check_units(units)
    y_proba = np.asarray(y_proba, dtype=np.float64)
    if y_proba.ndim == 1:
        y_proba = np.column_stack([1.0 - y_proba, y_proba])
    if y_proba.ndim != 2:
        raise ValueError(f"y_proba must be 2-D (n_samples, n_classes), got {y_proba.ndim}-D.")
    y_index, _ = encode_labels(y_true, labels, y_proba.shape[1])
    y_proba = _check_2d_finite(y_proba, "y_proba", y_index.shape[0])
    if np.any(y_proba < 0) or not np.allclose(y_proba.sum(axis=1), 1.0, rtol=0, atol=1e-4):
        raise ValueError("y_proba must be non-negative with rows that sum to 1.")
    log_prior = empirical_log_prior(y_index, y_proba.shape[1])
    pmi = pmi_from_proba(y_proba, log_prior).true_class(y_index, stacklevel=3)
    return float(pmi.mean() * factor)


def plain(value):
    """A numpy scalar as the Python value it holds, for readable error messages."""
    return value.item() if isinstance(value, np.generic) else value


def check_numeric_features(X, owner: str) -> None:
    """Raise a ValueError naming text columns, before numpy's 'could not convert' error."""
    if getattr(X, "dtypes", None) is not None and hasattr(X, "items"):  # pandas DataFrame
        from pandas.api.types import infer_dtype

        text = [
            str(name)
            for name, column in X.items()
            if infer_dtype(column, skipna=True) in ("string", "bytes", "mixed", "categorical")
            and not (
                str(column.dtype) == "category"
                and infer_dtype(column.cat.categories, skipna=True) in ("integer", "floating")
            )
        ]
        if text:
            raise ValueError(
                f"{owner} needs numeric features; column(s) {text[:10]} hold text or "
                "categories. Encode them first (e.g. sklearn's OneHotEncoder in a Pipeline)."
            )
        return
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind in ("U", "S"):
        raise ValueError(
            f"{owner} needs numeric features; got an array of strings (dtype {X.dtype}). "
            "Encode them first (e.g. sklearn's OneHotEncoder in a Pipeline)."
        )
