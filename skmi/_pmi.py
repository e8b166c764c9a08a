"""The pointwise-MI algebra, in one place.

Every reading of mutual information in skmi (``MIClassifier``, ``MIScorer``,
``estimate_mi``, the CLI and [`skmi.metrics`][skmi.metrics]) goes through these functions, so that
the prior correction, the normaliser and the floor for zero probabilities cannot drift
apart between them.

Notation: raw network logits ``f``, training prior ``pi_train``, ``tau`` the scale of
``log pi_train`` in the loss. The *prior-free* logits ``g = f + (tau - 1) log pi_train``
satisfy ``g_y(x) = PMI(x, y) + c(x)`` at the optimum, whatever ``tau`` was; under a class
prior ``pi`` the posterior is ``softmax(g + log pi)`` and the pointwise MI is
``g_y - logsumexp_j(g_j + log pi_j)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

# A true class given probability 0 would read -inf; it is read at this floor instead
# (log eps = -36 nats), with a warning. estimate_mi never needs it: its probabilities are
# mixed with the prior, which bounds every pointwise value from below.
PROBA_FLOOR = float(np.finfo(np.float64).eps)


def prior_free_logits(raw_logits, tau: float, class_prior) -> np.ndarray:
    """``f + (tau - 1) log pi_train``: logits that no longer depend on the training prior."""
    logits = np.asarray(raw_logits, dtype=np.float64)
    if tau != 1:
        logits = logits + (float(tau) - 1.0) * np.log(np.asarray(class_prior, dtype=np.float64))
    return logits


def softmax_under_prior(logits, prior) -> np.ndarray:
    """Posterior ``softmax(logits + log prior)`` of prior-free logits; rows sum to 1."""
    with np.errstate(divide="ignore"):
        shifted = np.asarray(logits, dtype=np.float64) + np.log(np.asarray(prior, np.float64))
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    proba = np.exp(shifted)
    return proba / proba.sum(axis=1, keepdims=True)


def pmi_from_logits(logits, log_prior) -> np.ndarray:
    """``g_k - logsumexp_j(g_j + log pi_j)`` for every class k: shape (n_samples, n_classes).

    ``log_prior`` may hold ``-inf`` for classes absent from the scored data.
    """
    logits = np.asarray(logits, dtype=np.float64)
    return logits - logsumexp(logits + log_prior, axis=1, keepdims=True)


@dataclass
class PMITable:
    """Pointwise MI of every sample against every class, and where the floor was used."""

    values: np.ndarray  # (n_samples, n_classes)
    floored: np.ndarray | None = None  # True where a zero probability was floored

    def true_class(self, y_index, *, warn: bool = True, stacklevel: int = 3) -> np.ndarray:
        """The pmi of each sample's own class; warns when a floored value is among them."""
        rows = np.arange(len(y_index))
        if warn and self.floored is not None:
            n_zero = int(self.floored[rows, y_index].sum())
            if n_zero:
                warnings.warn(
                    f"{n_zero} sample(s) got probability 0 for their true class; read at "
                    f"{PROBA_FLOOR:.3g} so the estimate stays finite (it is very low).",
                    stacklevel=stacklevel,
                )
        return self.values[rows, y_index]


def pmi_from_proba(proba, log_prior) -> PMITable:
    """``log q(k|x) - log pi_k`` from probabilities, zero probabilities at the floor."""
    proba = np.asarray(proba, dtype=np.float64)
    floored = proba < PROBA_FLOOR
    with np.errstate(divide="ignore"):
        values = np.log(np.maximum(proba, PROBA_FLOOR)) - log_prior
    return PMITable(values, floored)


def pmi_of_mixture(weights, probabilities, prior) -> np.ndarray:
    """Pointwise MI of the mixture ``q = w_0 pi + sum_m w_m q_m``: ``log q - log pi``.

    ``weights`` has the prior's weight first; ``probabilities`` stacks the candidates'
    ``q_m`` on its first axis, the other axes broadcasting with ``prior`` (a table of
    every class, or each sample's true-class probability with ``pi_y``). Each value is
    at least ``log w_0`` and at most ``-log pi``: the prior in the mixture is the floor
    that keeps a zero probability finite.
    """
    weights = np.asarray(weights, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    mixed = np.tensordot(weights[1:], probabilities, axes=1) + weights[0] * prior
    with np.errstate(divide="ignore"):
        return np.log(mixed) - np.log(prior)


def empirical_log_prior(y_index: np.ndarray, n_classes: int, weight=None) -> np.ndarray:
    """Log of the (weighted) class frequencies of ``y_index`` (``-inf`` for absent
    classes)."""
    counts = np.bincount(y_index, weights=weight, minlength=n_classes)
    with np.errstate(divide="ignore"):
        return np.log(counts / counts.sum())


def final_estimator(estimator):
    """The estimator that makes the predictions: unwrap fitted searches and pipelines."""
    from sklearn.pipeline import Pipeline  # imblearn's Pipeline subclasses it

    while True:
        if hasattr(estimator, "best_estimator_") and hasattr(estimator, "cv_results_"):
            estimator = estimator.best_estimator_
        elif isinstance(estimator, Pipeline):
            estimator = estimator.steps[-1][1]
        else:
            return estimator


def reads_logits(estimator) -> bool:
    """Whether ``estimator`` ends in a model read through its prior-free logits.

    That is an MIClassifier, or any classifier with its interface: ``decision_function``
    logits ``f``, ``tau`` and ``class_prior_`` (the prior-free logits are ``f + (tau - 1)
    log class_prior_``) and a ``prior_free_logits`` method. Checked by interface, not by
    class, so that this algebra module does not import the classifier built on it.
    """
    final = final_estimator(estimator)
    return all(
        hasattr(final, name)
        for name in ("prior_free_logits", "decision_function", "tau", "class_prior_")
    )


def model_prior_free_logits(estimator, X) -> np.ndarray:
    """Prior-free logits of the MIClassifier that ends ``estimator`` (itself, a Pipeline
    or a fitted search), for raw input ``X``: the whole estimator transforms X (samplers
    do nothing at predict time)."""
    final = final_estimator(estimator)
    logits = np.asarray(estimator.decision_function(X), dtype=np.float64)
    if logits.ndim == 1:  # binary: sklearn's f_1 - f_0; PMI is shift-invariant per row
        logits = np.column_stack([np.zeros_like(logits), logits])
    return prior_free_logits(logits, final.tau, final.class_prior_)


def model_pmi_table(estimator, X, log_prior, labels=None) -> PMITable:
    """Pointwise MI of ``X`` against every label under the class prior ``exp(log_prior)``.

    ``labels`` orders the columns (default: the model's ``classes_``); labels the model
    does not know get probability 0. An MIClassifier (also at the end of a pipeline or
    inside a fitted search) is read through its prior-free logits, exactly; any other
    classifier through ``predict_proba``, which assumes its probabilities are calibrated
    to the scored data's prior.
    """
    final = final_estimator(estimator)
    model_classes = np.asarray(final.classes_)
    labels = model_classes if labels is None else np.asarray(labels)
    columns = column_positions(model_classes, labels)
    log_prior = np.asarray(log_prior, dtype=np.float64)
    if reads_logits(estimator):
        known = model_prior_free_logits(estimator, X)
        logits = np.full((known.shape[0], len(labels)), -np.inf)
        logits[:, columns] = known
        return PMITable(pmi_from_logits(logits, log_prior))
    known = np.asarray(estimator.predict_proba(X))
    proba = np.zeros((known.shape[0], len(labels)))
    proba[:, columns] = known
    return pmi_from_proba(proba, log_prior)


def column_positions(model_classes, labels) -> np.ndarray:
    """Position in ``labels`` (sorted) of each of the model's classes."""
    labels = np.asarray(labels)
    order = np.argsort(labels)  # labels are unique: any sort order is the same
    sorted_labels = labels[order]
    # A class past the last label lands on the last label, which then differs from it.
    clipped = np.minimum(np.searchsorted(sorted_labels, model_classes), len(labels) - 1)
    if np.any(sorted_labels[clipped] != model_classes):
        raise ValueError("The model's classes_ are not among the labels of y.")
    return order[clipped]
