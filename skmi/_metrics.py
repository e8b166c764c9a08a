"""Mutual-information metrics computed from predicted probabilities or logits.

All functions work in float64 with log-sum-exp forms, so that neither very confident
predictions nor zero probabilities turn into a silent ``-inf`` or NaN.
"""

from __future__ import annotations

import numpy as np

from skmi._pmi import empirical_log_prior, pmi_from_logits, pmi_from_proba
from skmi._validation import (
    check_2d_finite,
    check_prior,
    check_sample_weight,
    check_units,
    encode_labels,
)


def _log_prior(prior, y_index: np.ndarray, n_classes: int, weight=None) -> np.ndarray:
    if prior is None:
        return empirical_log_prior(y_index, n_classes, weight)
    with np.errstate(divide="ignore"):
        return np.log(check_prior(prior, n_classes))


def pointwise_mutual_info(
    y_true, logits, *, prior=None, labels=None, sample_weight=None
) -> np.ndarray:
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
        ``y_true`` (weighted by ``sample_weight`` when given).
    labels : array-like of shape (n_classes,), default=None
        Label of each column. None uses the sorted distinct values of ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples; they enter only the empirical prior.

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
    weight = check_sample_weight(sample_weight, y_index)
    logits = check_2d_finite(logits, "logits", y_index.shape[0])
    log_prior = _log_prior(prior, y_index, logits.shape[1], weight)
    return pmi_from_logits(logits, log_prior)[np.arange(y_index.shape[0]), y_index]


def mutual_info_from_logits(
    y_true, logits, *, prior=None, labels=None, units: str = "nats", sample_weight=None
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
        Prior-free logits (see [`pointwise_mutual_info`][skmi.metrics.pointwise_mutual_info]).
    prior : array-like of shape (n_classes,), default=None
        Class prior of the scored data; None uses the class frequencies of ``y_true``.
    labels : array-like of shape (n_classes,), default=None
        Label of each column.
    units : {"nats", "bits"}, default="nats"
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples: the weighted mean pointwise MI, under the weighted
        class frequencies when ``prior`` is None (integer weights read as repeated rows).

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
    pmi = pointwise_mutual_info(
        y_true, logits, prior=prior, labels=labels, sample_weight=sample_weight
    )
    return float(np.average(pmi, weights=sample_weight) * factor)


def mutual_info_from_proba(
    y_true, y_proba, *, labels=None, units: str = "nats", sample_weight=None
) -> float:
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
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples: weighted entropy and weighted log-loss (integer weights
        read as repeated rows).

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
    y_proba = check_2d_finite(y_proba, "y_proba", y_index.shape[0])
    if np.any(y_proba < 0) or not np.allclose(y_proba.sum(axis=1), 1.0, rtol=0, atol=1e-4):
        raise ValueError("y_proba must be non-negative with rows that sum to 1.")
    weight = check_sample_weight(sample_weight, y_index)
    log_prior = empirical_log_prior(y_index, y_proba.shape[1], weight)
    pmi = pmi_from_proba(y_proba, log_prior).true_class(y_index, stacklevel=3)
    return float(np.average(pmi, weights=weight) * factor)
