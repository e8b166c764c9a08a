"""estimate_mi: a cross-fitted estimate of I(X; Y) with an error bar."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm
from sklearn.base import clone, is_classifier
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from skmi._classifier import MIClassifier
from skmi._metrics import empirical_log_prior
from skmi._scorer import _final_estimator

# Warn when the training-set reading exceeds the held-out one by more than this many nats
# and this fraction of the held-out value: the model has memorised its training folds.
_OVERFIT_GAP_NATS = 0.05
_OVERFIT_GAP_FRACTION = 0.2


@dataclass
class MIEstimate:
    """Result of :func:`estimate_mi`. All values in nats unless the name says bits.

    Attributes
    ----------
    mi : float
        Cross-fitted estimate: the mean pointwise MI of every sample, each scored by a
        model that did not train on it.
    stderr : float
        Standard error of ``mi`` from the spread of the per-sample values.
    ci : tuple of float
        Confidence interval ``mi ± z * stderr`` at level ``confidence``.
    confidence : float
    fold_mi : ndarray of shape (n_folds,)
        The estimate on each test fold.
    per_class : dict
        Each class's contribution ``pi_k * mean pmi over class k``; they sum to ``mi``.
    train_mi : float
        The same reading on the training folds (an overestimate; shown for diagnosis).
    entropy : float
        ``H(Y)`` of the labels, an upper bound on I(X; Y).
    pmi : ndarray of shape (n_samples,)
        The out-of-fold pointwise MI of each sample.
    n_samples : int
    """

    mi: float
    stderr: float
    ci: tuple[float, float]
    confidence: float
    fold_mi: np.ndarray
    per_class: dict
    train_mi: float
    entropy: float
    n_samples: int
    pmi: np.ndarray = field(repr=False)

    @property
    def mi_bits(self) -> float:
        return self.mi / np.log(2)

    @property
    def ci_bits(self) -> tuple[float, float]:
        return (self.ci[0] / np.log(2), self.ci[1] / np.log(2))

    @property
    def stderr_bits(self) -> float:
        return self.stderr / np.log(2)

    @property
    def fraction_of_entropy(self) -> float:
        """I(X; Y) / H(Y): the share of label uncertainty the features explain."""
        return self.mi / self.entropy if self.entropy > 0 else 0.0

    def __str__(self) -> str:
        low, high = self.ci
        return (
            f"I(X;Y) = {self.mi:.4f} nats ({self.mi_bits:.4f} bits), "
            f"{self.confidence:.0%} CI [{low:.4f}, {high:.4f}] nats, "
            f"stderr {self.stderr:.4f}; H(Y) = {self.entropy:.4f} nats; "
            f"n = {self.n_samples}"
        )


def default_estimator(random_state=None) -> MIClassifier:
    """The MIClassifier that :func:`estimate_mi` uses when none is given."""
    return MIClassifier(early_stopping=True, dropout=0.0, random_state=random_state)


def estimate_mi(
    X,
    y,
    *,
    estimator=None,
    cv=5,
    confidence: float = 0.95,
    random_state=None,
) -> MIEstimate:
    """Estimate the mutual information I(X; Y) between all features and the label.

    Cross-fitted: the data are split into ``cv`` stratified folds, a model is trained on
    all but one and scores the pointwise MI of the samples of the held-out one, so every
    sample is scored by a model that did not see it. The estimate is the mean of those
    values, ``H(Y) - cross-entropy``, which in expectation lies below I(X; Y) by the
    model's excess cross-entropy (a variational lower bound).

    Unlike :func:`sklearn.feature_selection.mutual_info_classif`, which gives one value
    per feature, this is the information of the features *jointly*.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels of any type.
    estimator : classifier with predict_proba, default=None
        Refitted (cloned) on every fold. None uses an :class:`MIClassifier` with early
        stopping on a validation split of each training fold. An MIClassifier (also at
        the end of a Pipeline) is read through its prior-free logits; any other
        classifier as ``log p(y|x) - log pi_y`` from ``predict_proba``.
    cv : int or cross-validation splitter, default=5
        Number of stratified folds, or a splitter.
    confidence : float, default=0.95
        Level of the confidence interval.
    random_state : int, RandomState or None, default=None
        Seeds the folds and the default estimator. Same value, same answer.

    Returns
    -------
    MIEstimate

    Warns
    -----
    UserWarning
        When the training-fold reading exceeds the held-out one by more than 0.05 nats
        and 20 %: the model overfits, and the estimate is likely too low.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import estimate_mi
    >>> from skmi.datasets import make_task
    >>> X, y, truth = make_task("gaussian_binary", 2000, random_state=0)
    >>> result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    >>> round(truth, 3), bool(abs(result.mi - truth) < 0.05)
    (0.221, True)
    """
    X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite=True)
    y = column_or_1d(np.asarray(y), warn=True)
    if len(y) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {len(y)}.")
    check_classification_targets(y)
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    labels, y_index = np.unique(y, return_inverse=True)
    if len(labels) < 2:
        raise ValueError(f"estimate_mi needs at least 2 classes; got 1 ({labels[0]!r}).")
    rng = check_random_state(random_state)
    if isinstance(cv, (int, np.integer)):
        smallest = int(np.bincount(y_index).min())
        if smallest < cv:
            raise ValueError(
                f"The smallest class has {smallest} sample(s), fewer than cv={cv} folds: "
                "every fold's training part must contain every class. Lower cv or add data."
            )
        cv = StratifiedKFold(int(cv), shuffle=True, random_state=rng.randint(2**31 - 1))
    cv = check_cv(cv, y, classifier=True)
    if estimator is None:
        estimator = default_estimator(random_state=rng.randint(2**31 - 1))
    elif not hasattr(estimator, "predict_proba") and not isinstance(
        _final_estimator(estimator), MIClassifier
    ):
        raise TypeError(f"estimator must have predict_proba; {type(estimator).__name__} does not.")
    if not is_classifier(estimator):
        warnings.warn("estimator does not declare itself a classifier.", UserWarning, stacklevel=2)

    log_prior = empirical_log_prior(y_index, len(labels))
    pmi = np.full(len(y), np.nan)
    fold_mi, train_mi, train_weights = [], [], []
    for train, test in cv.split(X, y_index):
        model = clone(estimator).fit(X[train], y[train])
        pmi[test] = _pointwise(model, X[test], y_index[test], labels, log_prior)
        fold_mi.append(float(pmi[test].mean()))
        train_mi.append(float(_pointwise(model, X[train], y_index[train], labels, log_prior).mean()))
        train_weights.append(len(train))
    if np.isnan(pmi).any():
        raise ValueError("cv must put every sample in exactly one test fold.")

    mi = float(pmi.mean())
    stderr = float(pmi.std(ddof=1) / np.sqrt(len(pmi)))
    z = float(norm.ppf(0.5 + confidence / 2))
    prior = np.exp(log_prior)
    per_class = {
        label.item() if hasattr(label, "item") else label: float(prior[k] * pmi[y_index == k].mean())
        for k, label in enumerate(labels)
    }
    train_value = float(np.average(train_mi, weights=train_weights))
    gap = train_value - mi
    if gap > _OVERFIT_GAP_NATS and gap > _OVERFIT_GAP_FRACTION * abs(mi):
        warnings.warn(
            f"The training folds read {train_value:.3f} nats against {mi:.3f} held out: the "
            "model overfits, so the estimate is likely too low. Try early stopping, a "
            "smaller network or more data.",
            UserWarning,
            stacklevel=2,
        )
    return MIEstimate(
        mi=mi,
        stderr=stderr,
        ci=(mi - z * stderr, mi + z * stderr),
        confidence=confidence,
        fold_mi=np.asarray(fold_mi),
        per_class=per_class,
        train_mi=train_value,
        entropy=float(-(prior[prior > 0] * log_prior[prior > 0]).sum()),
        n_samples=len(y),
        pmi=pmi,
    )


def _pointwise(model, X, y_index, labels, log_prior) -> np.ndarray:
    """log q(y|x) - log pi_y under the data prior, from the model's logits or probabilities."""
    final = _final_estimator(model)
    columns = _column_positions(final.classes_, labels)
    if isinstance(final, MIClassifier):
        logits = np.asarray(model.decision_function(X), dtype=np.float64)
        if logits.ndim == 1:
            logits = np.column_stack([np.zeros_like(logits), logits])
        if final.tau != 1:
            logits = logits + (final.tau - 1.0) * np.log(final.class_prior_)
        full = np.full((len(X), len(labels)), -np.inf)
        full[:, columns] = logits
        with np.errstate(invalid="ignore"):
            shifted = full + log_prior
            norm_ = np.logaddexp.reduce(shifted, axis=1)
        return full[np.arange(len(X)), y_index] - norm_
    proba = np.zeros((len(X), len(labels)))
    proba[:, columns] = model.predict_proba(X)
    p_true = np.maximum(proba[np.arange(len(X)), y_index], np.finfo(np.float64).tiny)
    return np.log(p_true) - log_prior[y_index]


def _column_positions(model_classes, labels) -> np.ndarray:
    positions = np.searchsorted(labels, model_classes)
    if np.any(positions >= len(labels)) or np.any(labels[np.minimum(positions, len(labels) - 1)] != model_classes):
        raise ValueError("The model's classes_ are not among the labels of y.")
    return positions
