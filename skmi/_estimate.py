"""estimate_mi: a cross-fitted estimate of I(X; Y) with an error bar."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, check_cv, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from skmi._classifier import MIClassifier
from skmi._metrics import check_numeric_features, empirical_log_prior, plain
from skmi._scorer import _final_estimator, prior_free_logits

# Warn when the training-set reading exceeds the held-out one by more than this many nats
# and this fraction of the held-out value: the model has memorised its training folds.
_OVERFIT_GAP_NATS = 0.1
_OVERFIT_GAP_FRACTION = 0.25
# Early-stopping patience of the default network, in epochs, capped in optimiser steps.
_PATIENCE_EPOCHS = 20
_PATIENCE_STEPS = 5000


@dataclass
class MIEstimate:
    """Result of :func:`estimate_mi`. All values in nats unless the name says bits.

    Attributes
    ----------
    mi : float
        Cross-fitted estimate: the mean pointwise MI of every sample, each scored by a
        model that did not train on it.
    stderr : float
        Standard error of ``mi``: sampling error (or the fold-to-fold spread, whichever
        is larger) combined with the uncertainty of the extrapolation (half its size).
    ci : tuple of float
        Confidence interval ``mi ± z * stderr`` at level ``confidence``.
    confidence : float
    fold_mi : ndarray of shape (n_folds,)
        The estimate on each test fold.
    per_class : dict
        Each class's contribution ``pi_k * mean pmi over class k``; they sum to ``mi``.
    lower_bound : float
        The plain cross-fitted reading, without extrapolation: a lower bound on
        I(X; Y) in expectation.
    train_mi : float
        The plain reading on the training folds (an overestimate; shown for diagnosis).
    entropy : float
        ``H(Y)`` of the labels, an upper bound on I(X; Y).
    pmi : ndarray of shape (n_samples,)
        The out-of-fold pointwise MI of each sample (extrapolated when ``mi`` is).
    n_samples : int
    selected : list of str
        The estimator chosen in each fold.
    balanced_accuracy : float
        Out-of-fold balanced accuracy of the same models, predicting the class with the
        largest ``q(k|x) / pi_k`` (the balanced-error rule).
    labels : ndarray of shape (n_classes,)
        The sorted class labels.
    y_index : ndarray of shape (n_samples,)
        Each sample's class as a position in ``labels`` (to group ``pmi`` by class).
    """

    mi: float
    stderr: float
    ci: tuple[float, float]
    confidence: float
    fold_mi: np.ndarray
    per_class: dict
    lower_bound: float
    train_mi: float
    entropy: float
    n_samples: int
    selected: list
    balanced_accuracy: float
    pmi: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    y_index: np.ndarray = field(repr=False)

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


class _NormalScores(QuantileTransformer):
    """A QuantileTransformer that fits on fewer rows than ``n_quantiles`` without a warning.

    estimate_mi fits it on training folds, selection splits and half-size subsamples,
    often of fewer than 1,000 rows; scikit-learn then uses one quantile per row (exactly
    what is wanted) and warns each time, 20 warnings for one call on 1,000 rows.
    """

    def fit(self, X, y=None):
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="n_quantiles .* is greater than", category=UserWarning
            )
            return super().fit(X, y)


def default_estimators(random_state=None, n_samples: int | None = None) -> list:
    """The candidates :func:`estimate_mi` chooses between, per fold, when none is given.

    Both see the features through a quantile transform to normal scores, which leaves
    I(X; Y) unchanged (it is invertible and monotone per feature) and tames heavy tails
    and skewed scales:

    * an :class:`MIClassifier` (two ReLU layers sized from the data, no dropout,
      learning rate 3e-3, early stopping on 10 % of the training fold with patience 20
      epochs, up to 1,000 epochs);
    * a multinomial :class:`~sklearn.linear_model.LogisticRegression`, which wins when
      the Bayes posterior is (close to) linear in the features.

    Parameters
    ----------
    random_state : int, RandomState or None, default=None
    n_samples : int or None, default=None
        Rows the candidates will train on (estimate_mi passes the size of a training
        fold). On large data an epoch is thousands of optimiser steps, and 20 epochs of
        patience would cost far more than the network needs: patience is then cut to
        about 5,000 steps, and never below 3 epochs. Up to about 70,000 rows it stays 20.

    Returns
    -------
    candidates : list of two Pipelines
        Pass them, changed or not, as ``estimate_mi(..., estimator=candidates)``.

    Examples
    --------
    Choose where the network candidate runs (``"cuda"`` for a GPU) and pass the list on:

    >>> from skmi import default_estimators
    >>> candidates = default_estimators(random_state=0, n_samples=8000)
    >>> network = candidates[0].set_params(miclassifier__device="cpu")[-1]
    >>> network.device, network.n_iter_no_change
    ('cpu', 20)
    """
    seed = check_random_state(random_state).randint(2**31 - 1)

    def quantiles():
        return _NormalScores(output_distribution="normal", random_state=seed)

    network = MIClassifier(
        early_stopping=True,
        dropout=0.0,
        lr=3e-3,
        max_epochs=1000,
        random_state=seed,
    )
    network.set_params(n_iter_no_change=_patience_epochs(n_samples, network))
    return [
        make_pipeline(quantiles(), network),
        make_pipeline(quantiles(), LogisticRegression(C=10.0, max_iter=2000)),
    ]


def estimate_mi(
    X,
    y,
    *,
    estimator=None,
    cv=5,
    extrapolate: bool = True,
    confidence: float = 0.95,
    random_state=None,
    verbose: int = 0,
) -> MIEstimate:
    """Estimate the mutual information I(X; Y) between all features and the label.

    Cross-fitted: the data are split into ``cv`` stratified folds; a model trained on
    all but one fold scores the pointwise MI ``log q(y|x) - log pi_y`` of the samples of
    the held-out fold, so every sample is scored by a model that did not see it. The mean
    of these values is ``H(Y) - cross-entropy``, which in expectation lies below
    I(X; Y) by the model's excess cross-entropy (a variational lower bound:
    ``lower_bound`` in the result).

    That gap shrinks as the training set grows. With ``extrapolate=True`` each fold also
    trains a model on a random half of its training part, and the estimate is the
    extrapolation ``2 * full - half`` of the two readings to infinite data, which is exact
    when the gap falls as 1/n. Both readings score the same held-out samples, so the
    standard error stays close to that of the plain estimate.

    Unlike :func:`sklearn.feature_selection.mutual_info_classif`, which gives one value
    per feature, this is the information of the features *jointly*.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels of any type.
    estimator : classifier, list of classifiers, or None, default=None
        Cloned and refitted on every fold. A list is a set of candidates: in each fold
        the one with the lowest log-loss on a stratified 20 % of the training part is
        refitted on the whole training part. None uses :func:`default_estimators` (an
        MIClassifier and a logistic regression) sized for the training folds. An
        MIClassifier (also at the end of a Pipeline) is read through its prior-free
        logits; any other classifier through ``predict_proba``.
    cv : int or cross-validation splitter, default=5
        Number of stratified folds, or a splitter.
    extrapolate : bool, default=True
        Correct the finite-sample gap by extrapolating from half the training data.
    confidence : float, default=0.95
        Level of the confidence interval.
    random_state : int, RandomState or None, default=None
        Seeds the folds, the subsamples, the default estimators and every
        ``random_state`` parameter of the given estimators that is None. Same value,
        same answer (on the CPU).
    verbose : int, default=0
        1 shows a progress bar over the folds (on stderr).

    Returns
    -------
    MIEstimate

    Warns
    -----
    UserWarning
        When the training-fold reading exceeds the held-out one by more than 0.1 nats
        and 25 %: the model overfits, and the estimate is likely too low.

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
    check_numeric_features(X, "estimate_mi")
    X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite=True)
    y = column_or_1d(np.asarray(y), warn=True)
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"y contains NaN ({int(np.isnan(y).sum())} labels); drop those rows.")
    if len(y) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {len(y)}.")
    check_classification_targets(y)
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    labels, y_index = np.unique(y, return_inverse=True)
    if len(labels) < 2:
        raise ValueError(f"estimate_mi needs at least 2 classes; got 1 ({plain(labels[0])!r}).")
    rng = check_random_state(random_state)
    candidates = _candidates(estimator, rng, _training_rows(cv, X, y_index))
    if isinstance(cv, (int, np.integer)):
        # Every training part must hold every class, and the half-size and selection
        # splits inside it must be able to stratify it.
        needed = max(int(cv), 4) if (extrapolate or len(candidates) > 1) else int(cv)
        smallest = int(np.bincount(y_index).min())
        if smallest < needed:
            raise ValueError(
                f"The smallest class has {smallest} sample(s); cv={cv} folds need at least "
                f"{needed} per class so that every training set contains every class. "
                "Lower cv, set extrapolate=False, pass a single estimator or add data."
            )
        cv = StratifiedKFold(int(cv), shuffle=True, random_state=rng.randint(2**31 - 1))
    cv = check_cv(cv, y, classifier=True)

    log_prior = empirical_log_prior(y_index, len(labels))
    pmi_full = np.full(len(y), np.nan)
    pmi_half = np.full(len(y), np.nan)
    balanced_pred = np.full(len(y), -1)
    train_mi, train_weights, selected, test_folds = [], [], [], []
    folds = list(cv.split(X, y_index))
    progress = _progress(len(folds), verbose)
    for train, test in folds:
        test_folds.append(test)
        seed = rng.randint(2**31 - 1)
        choice = _select(candidates, X[train], y[train], seed)
        selected.append(choice)
        model = _seeded_clone(candidates[choice], seed).fit(X[train], y[train])
        pmi_test = _pointwise_all(model, X[test], labels, log_prior)
        pmi_full[test] = pmi_test[np.arange(len(test)), y_index[test]]
        balanced_pred[test] = np.argmax(pmi_test, axis=1)
        train_mi.append(_pointwise(model, X[train], y_index[train], labels, log_prior).mean())
        train_weights.append(len(train))
        if extrapolate:
            half, _ = train_test_split(
                train, train_size=0.5, stratify=y_index[train], random_state=seed
            )
            half_model = _seeded_clone(candidates[choice], seed).fit(X[half], y[half])
            pmi_half[test] = _pointwise(half_model, X[test], y_index[test], labels, log_prior)
        progress.update(1)
        progress.set_postfix_str(f"fold MI {pmi_full[test].mean():.3f} nats")
    progress.close()
    if np.isnan(pmi_full).any():
        raise ValueError("cv must put every sample in exactly one test fold.")

    pmi = 2 * pmi_full - pmi_half if extrapolate else pmi_full
    fold_mi = [float(pmi[test].mean()) for test in test_folds]
    mi = float(pmi.mean())
    stderr = _standard_error(pmi, fold_mi, pmi_full, pmi_half if extrapolate else None)
    z = float(norm.ppf(0.5 + confidence / 2))
    prior = np.exp(log_prior)
    per_class = {
        (label.item() if hasattr(label, "item") else label): float(
            prior[k] * pmi[y_index == k].mean()
        )
        for k, label in enumerate(labels)
    }
    lower_bound = float(pmi_full.mean())
    train_value = float(np.average(train_mi, weights=train_weights))
    gap = train_value - lower_bound
    if gap > _OVERFIT_GAP_NATS and gap > _OVERFIT_GAP_FRACTION * abs(lower_bound):
        warnings.warn(
            f"The training folds read {train_value:.3f} nats against {lower_bound:.3f} held "
            "out: the model overfits, so the estimate is likely too low. Try early stopping, "
            "a smaller network or more data.",
            UserWarning,
            stacklevel=2,
        )
    names = [_describe(candidates[i]) for i in selected]
    recalls = [np.mean(balanced_pred[y_index == k] == k) for k in range(len(labels))]
    return MIEstimate(
        mi=mi,
        stderr=stderr,
        ci=(mi - z * stderr, mi + z * stderr),
        confidence=confidence,
        fold_mi=np.asarray(fold_mi),
        per_class=per_class,
        lower_bound=lower_bound,
        train_mi=train_value,
        entropy=float(-(prior * log_prior).sum()),
        n_samples=len(y),
        selected=names,
        balanced_accuracy=float(np.mean(recalls)),
        pmi=pmi,
        labels=labels,
        y_index=y_index,
    )


def _patience_epochs(n_samples: int | None, network: MIClassifier) -> int:
    """Early-stopping patience of the default network: 20 epochs, or about
    ``_PATIENCE_STEPS`` optimiser steps when 20 epochs would be many more."""
    if n_samples is None:
        return _PATIENCE_EPOCHS
    n_train = (1 - network.validation_fraction) * n_samples  # the rest validates
    steps_per_epoch = max(1, math.ceil(n_train / network.batch_size))
    return int(np.clip(math.ceil(_PATIENCE_STEPS / steps_per_epoch), 3, _PATIENCE_EPOCHS))


def _progress(total: int, verbose: int):
    from tqdm.auto import tqdm  # a dependency of skorch

    return tqdm(total=total, desc="estimate_mi folds", unit="fold", disable=not verbose)


def _standard_error(pmi, fold_mi, pmi_full, pmi_half) -> float:
    """Standard error of the estimate, from three sources of error.

    * sampling: the spread of the per-sample values over sqrt(n);
    * model fitting: the spread of the fold estimates over sqrt(n_folds) (each fold has
      its own fitted model); the larger of these two is used, as they overlap;
    * extrapolation: the correction ``full - half`` assumes the gap falls like 1/n; it
      falls like 1/n^a with a unknown (between 1/2 and 2 for the tasks we benchmark), so
      half the correction is taken as its standard deviation.
    """
    sampling = pmi.std(ddof=1) / np.sqrt(len(pmi))
    folds = np.std(fold_mi, ddof=1) / np.sqrt(len(fold_mi)) if len(fold_mi) > 1 else 0.0
    correction = 0.0 if pmi_half is None else float(pmi_full.mean() - pmi_half.mean())
    return float(np.sqrt(max(sampling, folds) ** 2 + (correction / 2) ** 2))


def _training_rows(cv, X, y_index) -> int:
    """About how many rows each fold trains on (all rows when the splitter won't say)."""
    try:
        n_splits = int(cv) if isinstance(cv, (int, np.integer)) else cv.get_n_splits(X, y_index)
    except (AttributeError, TypeError, ValueError):
        return len(y_index)
    return len(y_index) - len(y_index) // max(int(n_splits), 1)


def _candidates(estimator, rng, n_train: int) -> list:
    if estimator is None:
        return default_estimators(random_state=rng.randint(2**31 - 1), n_samples=n_train)
    candidates = list(estimator) if isinstance(estimator, (list, tuple)) else [estimator]
    if not candidates:
        raise ValueError("estimator must not be an empty list.")
    for candidate in candidates:
        if not hasattr(candidate, "predict_proba"):
            raise TypeError(
                f"estimator must have predict_proba; {type(candidate).__name__} does not."
            )
        if not is_classifier(candidate):
            raise TypeError(f"estimator must be a classifier; got {type(candidate).__name__}.")
    return candidates


def _select(candidates, X, y, seed) -> int:
    """Index of the candidate with the lowest log-loss on a stratified 20 % split."""
    if len(candidates) == 1:
        return 0
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=seed
    )
    labels, y_index = np.unique(y, return_inverse=True)
    log_prior = empirical_log_prior(y_index, len(labels))
    val_index = np.searchsorted(labels, y_val)
    losses = []
    for candidate in candidates:
        model = _seeded_clone(candidate, seed).fit(X_fit, y_fit)
        losses.append(-_pointwise(model, X_val, val_index, labels, log_prior).mean())
    return int(np.argmin(losses))


def _seeded_clone(estimator, seed):
    """A clone whose unset ``random_state`` parameters (nested ones too) get ``seed``.

    So that estimate_mi's own random_state makes the whole estimate reproducible.
    """
    model = clone(estimator)
    unset = {
        key: seed
        for key, value in model.get_params(deep=True).items()
        if key.split("__")[-1] == "random_state" and value is None
    }
    return model.set_params(**unset) if unset else model


def _describe(estimator) -> str:
    final = _final_estimator(estimator)
    return type(final).__name__


def _pointwise(model, X, y_index, labels, log_prior) -> np.ndarray:
    """log q(y|x) - log pi_y under the data prior, from the model's logits or probabilities."""
    return _pointwise_all(model, X, labels, log_prior)[np.arange(len(X)), y_index]


def _pointwise_all(model, X, labels, log_prior) -> np.ndarray:
    """``log q(k|x) - log pi_k`` for every class k: shape (n_samples, n_classes).

    Its argmax over k is the balanced-error prediction (``q(k|x) / pi_k`` largest).
    """
    final = _final_estimator(model)
    columns = _column_positions(final.classes_, labels)
    if isinstance(final, MIClassifier):
        logits = prior_free_logits(model, final, X)
        full = np.full((len(X), len(labels)), -np.inf)
        full[:, columns] = logits
        with np.errstate(invalid="ignore"):
            norm_ = np.logaddexp.reduce(full + log_prior, axis=1)
        return full - norm_[:, None]
    proba = np.zeros((len(X), len(labels)))
    proba[:, columns] = model.predict_proba(X)
    return np.log(np.maximum(proba, np.finfo(np.float64).tiny)) - log_prior


def _column_positions(model_classes, labels) -> np.ndarray:
    positions = np.searchsorted(labels, model_classes)
    if np.any(positions >= len(labels)) or np.any(
        labels[np.minimum(positions, len(labels) - 1)] != model_classes
    ):
        raise ValueError("The model's classes_ are not among the labels of y.")
    return positions
