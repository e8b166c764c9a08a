"""estimate_mi: a cross-fitted estimate of I(X; Y) with an error bar."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm
from sklearn.base import clone, is_classifier
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, check_cv
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from skmi._budget import epochs_for_steps, steps_per_epoch
from skmi._classifier import MIClassifier
from skmi._pmi import empirical_log_prior, final_estimator, model_pmi_table, pmi_of_mixture
from skmi._validation import check_numeric_features, plain

# Warn when the training-set reading exceeds the held-out one by more than this many nats
# and this fraction of the held-out value: the model has memorised its training folds.
_OVERFIT_GAP_NATS = 0.1
_OVERFIT_GAP_FRACTION = 0.25
# Early-stopping patience of the default network, in epochs, capped in optimiser steps.
_PATIENCE_EPOCHS = 20
_PATIENCE_STEPS = 5000
# Early stopping ignores validation-loss gains below this (nats): on separable data the
# loss keeps shrinking by ever smaller amounts and training ran to max_epochs.
_TOL = 1e-3
# Up to this many training rows the default candidates include more regularised logistic
# regressions and tree ensembles (cheap there; no single model family is reliable).
_SMALL_DATA_ROWS = 5000
_BOOSTING_MAX_CLASSES = 5
# Batch-size range of the default network (see _batch_size).
_MIN_BATCH, _MAX_BATCH = 32, 256
# n_repeats="auto": repeat the cross-fitting until about this many rows have been scored
# (at most _MAX_REPEATS times): cheap at small n, where one split's luck dominates.
_AUTO_REPEAT_ROWS = 1000
_MAX_REPEATS = 3
# Learning-curve exponents a (gap ~ 1/n^a) that the confidence interval allows for; the
# point estimate assumes a = 1. Between 1/2 and 2 on the tasks we benchmark.
_EXPONENT_RANGE = (0.5, 2.0)
# The mixture weights are fitted on at most this many rows (EM costs n x candidates).
_MIXTURE_ROWS = 200_000


class EstimateWarning(UserWarning):
    """What estimate_mi warns about: overfitting, classes smaller than the folds, a
    candidate left out. A UserWarning, so filters on UserWarning still catch it."""


class SmallClassWarning(EstimateWarning):
    """A class has fewer samples than folds (front ends add how to change the folds)."""


@dataclass
class MIEstimate:
    """Result of :func:`estimate_mi`. All values in nats unless the name says bits.

    Every reported value respects what mutual information can be:
    ``0 <= mi <= entropy``, the interval lies within ``[0, entropy]``, each class's
    contribution within ``[0, -pi_k log pi_k]`` and each fold value within
    ``[0, entropy]``. ``bounds_active`` names the values that a bound changed.

    Attributes
    ----------
    mi : float
        The estimate: the plain cross-fitted reading ``lower_bound`` plus the
        extrapolation ``correction`` to infinite training data, within ``[0, H(Y)]``.
    stderr : float
        Standard error of ``mi``: sampling error of the held-out values, the spread of
        the repeated cross-fittings (or of the folds when there is one), the noise of
        the extrapolation and half its size (its model uncertainty), combined.
    ci : tuple of float
        Confidence interval at level ``confidence``. Without extrapolation it is
        ``mi ± z * stderr``. With it, the extrapolation is allowed any learning-curve
        exponent between 1/2 and 2 (the gap falling like 1/n^a; the point estimate
        takes a = 1): the upper end extrapolates the top of the correction's own
        interval along the slowest curve, the lower end the applied correction along
        the fastest, each widened by ``z`` times the sampling and fitting noise, so the
        interval reaches further up than down. Then it is intersected with
        ``[0, H(Y)]`` (where I(X; Y) must lie, so the cut never loses coverage).
    confidence : float
    fold_mi : ndarray of shape (n_splits,)
        The estimate (plain reading plus the same relative correction) on each test
        fold of each repetition.
    per_class : dict
        Each class's contribution to ``mi``; they sum to ``mi``.
    lower_bound : float
        The plain cross-fitted reading, without extrapolation: a lower bound on
        I(X; Y) in expectation (up to the small optimism of fitting the mixture
        weights on the same rows).
    correction : float
        What the extrapolation added to ``lower_bound`` (0 with ``extrapolate=False``).
    train_mi : float
        The plain reading on the training folds (an overestimate; shown for diagnosis).
    entropy : float
        ``H(Y)`` of the labels, an upper bound on I(X; Y).
    n_samples : int
    weights : dict
        Weight of each candidate model in the mixture that is scored, and of the class
        prior (key ``"prior"``); they sum to 1.
    n_repeats : int
        How many times each sample was scored (repetitions of the cross-fitting).
    balanced_accuracy : float
        Out-of-fold balanced accuracy of the same mixture, predicting the class with
        the largest ``q(k|x) / pi_k`` (the balanced-error rule).
    bounds_active : tuple of str
        Which of ``"mi"``, ``"ci"``, ``"per_class"``, ``"fold_mi"`` a bound of
        ``[0, H(Y)]`` (or a class's ceiling) changed; empty when none did.
    pmi : ndarray of shape (n_samples,)
        The plain out-of-fold pointwise MI of each sample (no extrapolation), always
        within ``[log w_prior, -log pi_y]``.
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
    correction: float
    train_mi: float
    entropy: float
    n_samples: int
    weights: dict
    n_repeats: int
    balanced_accuracy: float
    bounds_active: tuple = ()
    pmi: np.ndarray = field(default=None, repr=False)
    labels: np.ndarray = field(default=None, repr=False)
    y_index: np.ndarray = field(default=None, repr=False)

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

    @property
    def extrapolated(self) -> bool:
        """Whether ``mi`` includes an extrapolation (``mi != lower_bound``)."""
        return self.correction != 0.0

    def __str__(self) -> str:
        low, high = self.ci
        reading = "extrapolated" if self.extrapolated else "plain held-out reading"
        text = (
            f"I(X;Y) = {self.mi:.4f} nats ({self.mi_bits:.4f} bits, {reading}), "
            f"{self.confidence:.0%} CI [{low:.4f}, {high:.4f}] nats, "
            f"stderr {self.stderr:.4f}; H(Y) = {self.entropy:.4f} nats; "
            f"n = {self.n_samples}"
        )
        if self.bounds_active:
            text += f"; bounds active: {', '.join(self.bounds_active)}"
        return text


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
            return super().fit(X)  # y is not used by a transformer


def default_estimators(
    random_state=None, n_samples: int | None = None, n_classes: int | None = None
) -> list:
    """The candidates whose held-out probabilities :func:`estimate_mi` mixes, when none
    are given.

    Always, behind a quantile transform to normal scores (which leaves I(X; Y) unchanged:
    it is invertible and monotone per feature, and it tames heavy tails and skewed
    scales):

    * an :class:`MIClassifier` (two ReLU layers sized from the data, no dropout,
      learning rate 3e-3, batch 256 (down to 32 on small data, so that an epoch is about
      8 steps), early stopping on 10 % of the training fold with patience 20 epochs and
      tolerance 10⁻³ nats, up to 1,000 epochs);
    * a multinomial :class:`~sklearn.linear_model.LogisticRegression` (``C=10``), which
      wins when the Bayes posterior is (close to) linear in the features.

    On small data (up to 5,000 training rows, where fitting is cheap and no single model
    family is reliable) also:

    * two more regularised logistic regressions (``C=1`` and ``C=0.1``: many features
      or classes for few rows);
    * a :class:`~sklearn.ensemble.RandomForestClassifier` (100 trees, at least 3 rows a
      leaf) and, for up to 5 classes, a
      :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (axis-aligned
      thresholds and interactions: ``y = floor(x)``, XOR);
    * a :class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis` with
      Ledoit-Wolf shrinkage of the shared covariance (many classes or features for few
      rows: on the MI benchmark at n = 150 it raised CI coverage from 88 % to 92 %).

    Parameters
    ----------
    random_state : int, RandomState or None, default=None
    n_samples : int or None, default=None
        Rows the candidates will train on (estimate_mi passes the size of a training
        fold). On large data an epoch is thousands of optimiser steps, and 20 epochs of
        patience would cost far more than the network needs: patience is then cut to
        about 5,000 steps, and never below 3 epochs. Up to about 70,000 rows it stays 20.
        None gives the two candidates of large data.
    n_classes : int or None, default=None
        Number of classes (the gradient-boosting candidate is left out above 5, where
        it fits one tree per class and iteration). None: assume few.

    Returns
    -------
    candidates : list of Pipelines and classifiers
        Pass them, changed or not, as ``estimate_mi(..., estimator=candidates)``.

    Examples
    --------
    Choose where the network candidate runs (``"cuda"`` for a GPU) and pass the list on:

    >>> from skmi import default_estimators
    >>> candidates = default_estimators(random_state=0, n_samples=8000)
    >>> network = candidates[0].set_params(miclassifier__device="cpu")[-1]
    >>> network.device, network.n_iter_no_change, len(candidates)
    ('cpu', 20, 2)
    >>> len(default_estimators(random_state=0, n_samples=400, n_classes=3))
    7
    """
    seed = check_random_state(random_state).randint(2**31 - 1)

    def quantiles():
        return _NormalScores(output_distribution="normal", random_state=seed)

    network = MIClassifier(
        early_stopping=True,
        dropout=0.0,
        lr=3e-3,
        max_epochs=1000,
        batch_size=_batch_size(n_samples),
        tol=_TOL,
        random_state=seed,
    )
    network.set_params(n_iter_no_change=_patience_epochs(n_samples, network))
    candidates = [
        make_pipeline(quantiles(), network),
        make_pipeline(quantiles(), LogisticRegression(C=10.0, max_iter=2000, random_state=seed)),
    ]
    if n_samples is not None and n_samples <= _SMALL_DATA_ROWS:
        candidates += [
            make_pipeline(quantiles(), LogisticRegression(C=c, max_iter=2000, random_state=seed))
            for c in (1.0, 0.1)
        ]
        candidates.append(
            RandomForestClassifier(n_estimators=100, min_samples_leaf=3, random_state=seed)
        )
        if n_classes is None or n_classes <= _BOOSTING_MAX_CLASSES:
            candidates.append(HistGradientBoostingClassifier(random_state=seed))
        shrunk = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
        candidates.append(make_pipeline(quantiles(), shrunk))
    return candidates


def estimate_mi(
    X,
    y,
    *,
    estimator=None,
    cv=5,
    n_repeats="auto",
    extrapolate: bool = True,
    confidence: float = 0.95,
    random_state=None,
    verbose: int = 0,
) -> MIEstimate:
    """Estimate the mutual information I(X; Y) between all features and the label.

    Cross-fitted: the data are split into ``cv`` stratified folds; models trained on
    all but one fold give the probabilities ``q(k|x)`` of the samples of the held-out
    fold, so every sample is scored by models that did not see it. The candidate models'
    held-out probabilities are mixed with the class prior,
    ``q = sum_m w_m q_m + w_0 pi``, with weights that maximise the held-out likelihood,
    and the pointwise MI is ``log q(y|x) - log pi_y``. Its mean is
    ``H(Y) - cross-entropy``, which in expectation lies below I(X; Y) by the mixture's
    excess cross-entropy (a variational lower bound: ``lower_bound`` in the result). The
    prior in the mixture keeps one confident mistake from dominating the mean (each
    pointwise value is at least ``log w_0``) and makes the reading non-negative; each
    pointwise value is at most ``-log pi_y``, so the reading is at most H(Y).

    The gap to the truth shrinks as the training set grows. With ``extrapolate=True``
    each fold also trains the models on a random half of its training part, and the
    difference of the two readings (a 1/n extrapolation, exact when the gap falls as
    1/n) is added, shrunk towards zero when it is not clearly larger than its own noise.
    At small n the cross-fitting is repeated with new folds (``n_repeats``) and the
    probabilities of the repetitions are averaged.

    Unlike :func:`sklearn.feature_selection.mutual_info_classif`, which gives one value
    per feature, this is the information of the features *jointly*.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels of any type.
    estimator : classifier, list of classifiers, or None, default=None
        Cloned and refitted on every fold. A list is a set of candidates whose held-out
        probabilities are mixed (see above). None uses :func:`default_estimators` (an
        MIClassifier and a logistic regression) sized for the training folds. An
        MIClassifier (also at the end of a Pipeline) is read through its prior-free
        logits; any other classifier through ``predict_proba``.
    cv : int or cross-validation splitter, default=5
        Number of stratified folds, or a splitter (which may put a sample in several
        test folds, e.g. ``RepeatedStratifiedKFold``: its readings are averaged).
    n_repeats : int or "auto", default="auto"
        Repetitions of the ``cv``-fold cross-fitting with new folds (an int ``cv``
        only). "auto" repeats until about 1,000 rows have been scored, at most 3 times:
        3 at up to 333 rows, 2 up to 500, 1 from 1,000 rows on.
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
    UserWarning (EstimateWarning)
        When a single model is given and its training-fold reading exceeds the held-out
        one by more than 0.1 nats and 25 %: it overfits, and the estimate is likely too
        low. When a class
        has fewer samples than folds: some training parts lack it, and its contribution
        is underestimated.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import estimate_mi
    >>> from skmi.datasets import make_task
    >>> X, y, truth = make_task("gaussian_binary", 2000, random_state=0)
    >>> result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    >>> round(truth, 3), bool(abs(result.mi - truth) < 0.05)
    (0.221, True)
    >>> bool(0 <= result.ci[0] <= result.mi <= result.ci[1] <= result.entropy)
    True
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
    repeats = _resolve_repeats(n_repeats, cv, len(y))
    candidates = _candidates(estimator, rng, _training_rows(cv, X, y_index), len(labels))
    splits = _splits(cv, repeats, X, y, y_index, rng)

    n, n_classes = len(y), len(labels)
    log_prior = empirical_log_prior(y_index, n_classes)
    prior = np.exp(log_prior)
    full = _Readings(len(candidates), n, n_classes)
    half = _Readings(len(candidates), n, n_classes) if extrapolate else None
    train_parts = []  # (training rows, true-class probabilities of each candidate)
    failed = {}  # candidate -> why it could not be fitted; it is then left out
    progress = _progress(len(splits), verbose)
    for train, test in splits:
        seed = rng.randint(2**31 - 1)
        half_rows = _half_split(train, y_index, seed) if extrapolate else None
        train_true = np.zeros((len(candidates), len(train)))
        for m, candidate in enumerate(candidates):
            nothing = np.zeros((len(test), n_classes))
            readings = [nothing, nothing]  # full, half
            if m not in failed:
                try:
                    model = _seeded_clone(candidate, seed).fit(X[train], y[train])
                    readings[0] = _posterior(model, X[test], labels, log_prior)
                    train_true[m] = _posterior(model, X[train], labels, log_prior)[
                        np.arange(len(train)), y_index[train]
                    ]
                    if extrapolate:
                        half_model = _seeded_clone(candidate, seed).fit(X[half_rows], y[half_rows])
                        readings[1] = _posterior(half_model, X[test], labels, log_prior)
                except ValueError as exc:  # e.g. a validation split too small for a class
                    if len(candidates) == 1:
                        raise
                    failed[m] = str(exc)
            full.add(m, test, readings[0])
            if extrapolate:
                half.add(m, test, readings[1])
        full.next_split(test)
        if extrapolate:
            half.next_split(test)
        train_parts.append((train, train_true))
        progress.update(1)
    progress.close()
    if np.any(full.counts == 0):
        raise ValueError(
            f"cv must put every sample in a test fold; {int(np.sum(full.counts == 0))} "
            "sample(s) were never scored."
        )
    names = _names(candidates)
    if failed:
        keep = [m for m in range(len(candidates)) if m not in failed]
        if not keep:
            raise ValueError(f"No candidate could be fitted: {list(failed.values())}")
        for m, reason in failed.items():
            warnings.warn(
                f"Candidate {names[m]} could not be fitted and was left out: {reason}",
                EstimateWarning,
                stacklevel=2,
            )
        names = [names[m] for m in keep]
        full.keep(keep)
        if extrapolate:
            half.keep(keep)
        train_parts = [(train, true[keep]) for train, true in train_parts]

    weights = full.mixture_weights(y_index, prior, rng)
    pmi_table = full.mixture_pmi(weights, prior)
    pmi_full = pmi_table[np.arange(n), y_index]
    lower_bound = float(pmi_full.mean())
    repeat_readings = full.per_repeat_readings(weights, y_index, prior)
    if extrapolate:
        half_weights = half.mixture_weights(y_index, prior, rng)
        pmi_half = half.mixture_pmi(half_weights, prior)[np.arange(n), y_index]
        correction, correction_se, raw_correction = _shrunk_correction(
            pmi_full - pmi_half,
            repeat_readings - half.per_repeat_readings(half_weights, y_index, prior),
        )
        scale = correction / raw_correction if raw_correction > 0 else 0.0
        values = pmi_full + scale * (pmi_full - pmi_half)
    else:
        correction = correction_se = raw_correction = 0.0
        values = pmi_full
    raw_mi = lower_bound + correction
    fold_raw = np.array([values[test].mean() for _, test in splits])
    spread = _spread(values, repeat_readings, fold_raw)
    stderr = float(math.sqrt(spread**2 + correction_se**2 + (correction / 2) ** 2))
    entropy = float(-(prior * log_prior).sum())
    z = float(norm.ppf(0.5 + confidence / 2))
    # The 1/n extrapolation adds `correction` once; a gap falling like 1/n^a adds
    # correction / (2^a - 1): a third of it for a = 2, 2.41 times it for a = 1/2. The
    # upper end takes the slowest curve and the top of the correction's own interval
    # (a flat learning curve between n/2 and n may hide a gap), the lower end the
    # fastest curve and the applied, shrunk correction.
    if extrapolate:
        top = max(raw_correction + z * correction_se, 0.0) / (2 ** _EXPONENT_RANGE[0] - 1)
        bottom = correction / (2 ** _EXPONENT_RANGE[1] - 1)
        raw_ci = (
            lower_bound + bottom - z * math.hypot(spread, correction_se),
            lower_bound + top + z * spread,
        )
    else:
        raw_ci = (raw_mi - z * spread, raw_mi + z * spread)
    active = []
    mi = _within(raw_mi, 0.0, entropy, "mi", active)
    ci = (float(np.clip(raw_ci[0], 0.0, entropy)), float(np.clip(raw_ci[1], 0.0, entropy)))
    if ci != raw_ci:
        active.append("ci")
    ceilings = -prior * log_prior
    shares = np.array([prior[k] * values[y_index == k].mean() for k in range(n_classes)])
    projected = _project_shares(shares, ceilings, mi)
    if not np.allclose(projected, shares, rtol=0, atol=1e-12):
        active.append("per_class")
    fold_mi = np.clip(fold_raw, 0.0, entropy)
    if np.any(fold_mi != fold_raw):
        active.append("fold_mi")

    train_value = _training_reading(train_parts, weights, y_index, prior)
    gap = train_value - lower_bound
    # Only for one model: a mixture weighs its candidates by held-out likelihood, so a
    # memorising candidate (a random forest reads far higher on its training rows) gets
    # little weight and no warning is due.
    single = len(names) == 1
    if single and gap > _OVERFIT_GAP_NATS and gap > _OVERFIT_GAP_FRACTION * abs(lower_bound):
        warnings.warn(
            f"The training folds read {train_value:.3f} nats against {lower_bound:.3f} held "
            "out: the model overfits, so the estimate is likely too low. Try early stopping, "
            "a smaller network or more data.",
            EstimateWarning,
            stacklevel=2,
        )
    recalls = [np.mean(np.argmax(pmi_table[y_index == k], 1) == k) for k in range(n_classes)]
    return MIEstimate(
        mi=mi,
        stderr=stderr,
        ci=ci,
        confidence=confidence,
        fold_mi=fold_mi,
        per_class={
            (label.item() if hasattr(label, "item") else label): float(projected[k])
            for k, label in enumerate(labels)
        },
        lower_bound=lower_bound,
        correction=float(correction),
        train_mi=train_value,
        entropy=entropy,
        n_samples=n,
        weights={
            "prior": float(weights[0]),
            **dict(zip(names, map(float, weights[1:]), strict=True)),
        },
        n_repeats=int(full.counts.min()),
        balanced_accuracy=float(np.mean(recalls)),
        bounds_active=tuple(active),
        pmi=pmi_full,
        labels=labels,
        y_index=y_index,
    )


class _Readings:
    """Held-out class probabilities of each candidate, averaged over the test folds that
    each sample falls in, and each repetition's true-class probabilities."""

    def __init__(self, n_candidates: int, n_samples: int, n_classes: int):
        self.sums = np.zeros((n_candidates, n_samples, n_classes))
        self.counts = np.zeros(n_samples, dtype=int)
        self.repeats = []  # per repetition: (rows, probabilities (candidates, rows, classes))
        self._pending = {}
        self._mean = None  # mean_proba, once all splits are in

    def add(self, candidate: int, test, proba) -> None:
        self._mean = None
        self.sums[candidate, test] += proba
        self._pending[candidate] = proba

    def next_split(self, test) -> None:
        """Close a split: file its probabilities under each sample's repetition."""
        stacked = np.stack([self._pending[m] for m in sorted(self._pending)])
        for repeat in np.unique(self.counts[test]):
            rows = self.counts[test] == repeat
            while len(self.repeats) <= repeat:
                self.repeats.append([])
            self.repeats[repeat].append((test[rows], stacked[:, rows]))
        self.counts[test] += 1
        self._pending = {}

    def keep(self, candidates: list) -> None:
        """Leave out every candidate not listed (those that could not be fitted)."""
        self.sums = self.sums[candidates]
        self._mean = None
        self.repeats = [[(rows, p[candidates]) for rows, p in parts] for parts in self.repeats]

    def mean_proba(self) -> np.ndarray:
        # (candidates, n, classes): read by the weights and by the table; built once
        if self._mean is None:
            self._mean = self.sums / np.maximum(self.counts, 1)[None, :, None]
        return self._mean

    def mixture_weights(self, y_index, prior, rng) -> np.ndarray:
        """Mixture weights (prior first) maximising the mean log-likelihood of the labels."""
        proba = self.mean_proba()
        true = proba[:, np.arange(len(y_index)), y_index]  # (candidates, n)
        columns = np.vstack([prior[y_index][None, :], true]).T
        if len(columns) > _MIXTURE_ROWS:
            columns = columns[rng.choice(len(columns), _MIXTURE_ROWS, replace=False)]
        return _em_mixture_weights(columns)

    def mixture_pmi(self, weights, prior) -> np.ndarray:
        """``log q(k|x) - log pi_k`` of the mixture, for every sample and class."""
        return pmi_of_mixture(weights, self.mean_proba(), prior)

    def per_repeat_readings(self, weights, y_index, prior) -> np.ndarray:
        """The plain reading of each complete repetition, under the given weights."""
        n = len(self.counts)
        readings = []
        for parts in self.repeats:
            rows = np.concatenate([r for r, _ in parts])
            if len(rows) != n:
                continue  # a splitter that scores only some samples this many times
            true = np.concatenate(
                [p[:, np.arange(len(r)), y_index[r]] for r, p in parts], axis=1
            )  # (candidates, n) in the order of rows
            readings.append(float(pmi_of_mixture(weights, true, prior[y_index[rows]]).mean()))
        return np.asarray(readings)


def _em_mixture_weights(columns: np.ndarray, n_iter: int = 2000, tol: float = 1e-10):
    """Weights on the simplex maximising ``mean log(columns @ w)`` (EM; the objective is
    concave, so EM climbs to its maximum). Column 0 is the prior, positive everywhere.

    EM approaches a maximum on the simplex's edge slowly; where it stops short of the
    prior alone (weight 1 on column 0, which reads exactly 0), the prior alone is taken,
    so the reading is never below 0.
    """
    weights = np.full(columns.shape[1], 1.0 / columns.shape[1])
    for _ in range(n_iter):
        mixed = columns @ weights
        updated = weights * (columns / mixed[:, None]).mean(axis=0)
        updated /= updated.sum()
        done = np.max(np.abs(updated - weights)) < tol
        weights = updated
        if done:
            break
    prior_only = np.eye(columns.shape[1])[0]
    if np.mean(np.log(columns @ weights)) < np.mean(np.log(columns[:, 0])):
        return prior_only
    return weights


def _shrunk_correction(differences, repeat_differences) -> tuple[float, float, float]:
    """The extrapolation ``mean(full - half)``, shrunk towards 0 by its signal-to-noise.

    Returns ``(applied, its standard error, raw)``. The correction cannot be negative in
    expectation (more training data cannot hurt a consistent model), so a negative one
    is noise and gives 0. Otherwise it is multiplied by ``c^2 / (c^2 + se^2)``, the
    factor that minimises the mean squared error of a normal estimate of known noise.
    """
    raw = float(np.mean(differences))
    se = float(np.std(differences, ddof=1) / np.sqrt(len(differences)))
    if len(repeat_differences) > 1:
        se = max(se, float(np.std(repeat_differences, ddof=1) / np.sqrt(len(repeat_differences))))
    if raw <= 0:
        return 0.0, se, raw
    return raw * raw**2 / (raw**2 + se**2), se, raw


def _spread(values, repeat_readings, fold_readings) -> float:
    """Standard error of the estimate from sampling and model fitting.

    * sampling: the spread of the per-sample values over sqrt(n);
    * model fitting: with repeated cross-fitting, the spread of the repetitions'
      readings over sqrt(repeats); with one, the spread of the fold readings over
      sqrt(folds), or the sampling error if larger (the two overlap).
    """
    sampling = float(values.std(ddof=1) / np.sqrt(len(values)))
    if len(repeat_readings) > 1:
        fitting = float(np.std(repeat_readings, ddof=1) / np.sqrt(len(repeat_readings)))
        return math.hypot(sampling, fitting)
    k = len(fold_readings)
    folds = float(np.std(fold_readings, ddof=1) / np.sqrt(k)) if k > 1 else 0.0
    return max(sampling, folds)


def _within(value: float, low: float, high: float, name: str, active: list) -> float:
    clipped = float(min(max(value, low), high))
    if clipped != value:
        active.append(name)
    return clipped


def _project_shares(shares, ceilings, total) -> np.ndarray:
    """The per-class vector nearest ``shares`` with each entry in ``[0, ceiling]`` and
    the sum ``total`` (Euclidean projection: a common shift, then the box)."""
    if np.all((shares >= 0) & (shares <= ceilings)) and np.isclose(shares.sum(), total):
        return shares
    low, high = float(np.min(shares - ceilings)), float(np.max(shares))
    for _ in range(200):  # bisection on the shift: the clipped sum falls as it grows
        shift = (low + high) / 2
        if np.clip(shares - shift, 0, ceilings).sum() > total:
            low = shift
        else:
            high = shift
    return np.clip(shares - (low + high) / 2, 0, ceilings)


def _training_reading(train_parts, weights, y_index, prior) -> float:
    """The mixture's plain reading on the training folds, averaged by their sizes."""
    readings, sizes = [], []
    for train, true in train_parts:
        readings.append(float(pmi_of_mixture(weights, true, prior[y_index[train]]).mean()))
        sizes.append(len(train))
    return float(np.average(readings, weights=sizes))


def _resolve_repeats(n_repeats, cv, n_samples: int) -> int:
    if isinstance(n_repeats, str):
        if n_repeats != "auto":
            raise ValueError(f"n_repeats must be a positive int or 'auto'; got {n_repeats!r}.")
        if not isinstance(cv, (int, np.integer)):
            return 1
        return int(np.clip(math.ceil(_AUTO_REPEAT_ROWS / n_samples), 1, _MAX_REPEATS))
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)):
        raise ValueError(f"n_repeats must be a positive int or 'auto'; got {n_repeats!r}.")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1; got {n_repeats}.")
    if n_repeats > 1 and not isinstance(cv, (int, np.integer)):
        raise ValueError("n_repeats > 1 needs an int cv; pass a repeated splitter as cv instead.")
    return int(n_repeats)


def _splits(cv, repeats: int, X, y, y_index, rng) -> list:
    if isinstance(cv, (int, np.integer)):
        if cv < 2:
            raise ValueError(f"cv must be at least 2; got {cv}.")
        smallest = int(np.bincount(y_index).min())
        if smallest < cv:
            warnings.warn(
                f"The smallest class has {smallest} sample(s), fewer than the {int(cv)} "
                "folds: some training parts lack it, and its share of the estimate is "
                "underestimated.",
                SmallClassWarning,
                stacklevel=3,
            )
        seed = rng.randint(2**31 - 1)
        if repeats == 1:
            cv = StratifiedKFold(int(cv), shuffle=True, random_state=seed)
        else:
            cv = RepeatedStratifiedKFold(n_splits=int(cv), n_repeats=repeats, random_state=seed)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            return list(cv.split(X, y_index))
    return list(check_cv(cv, y, classifier=True).split(X, y_index))


def _half_split(train, y_index, seed) -> np.ndarray:
    """A random half of ``train``, stratified: ceil(n_k / 2) rows of each class k."""
    rng = np.random.RandomState(seed)
    chosen = []
    for k in np.unique(y_index[train]):
        members = train[y_index[train] == k]
        chosen.append(rng.permutation(members)[: math.ceil(len(members) / 2)])
    return np.sort(np.concatenate(chosen))


def _posterior(model, X, labels, log_prior) -> np.ndarray:
    """``q(k|x)`` under the scored data's prior, columns in the order of ``labels``."""
    table = model_pmi_table(model, X, log_prior, labels)
    return np.exp(table.values + log_prior)


def _batch_size(n_samples: int | None) -> int:
    """Batch of the default network: 256, or fewer on small data so that an epoch is at
    least about 8 optimiser steps (on 120 rows one full batch per epoch trained for
    hundreds of epochs, each paying skorch's per-epoch cost, and learnt less)."""
    if n_samples is None:
        return _MAX_BATCH
    return int(np.clip(2 ** round(math.log2(max(n_samples, 1) / 8)), _MIN_BATCH, _MAX_BATCH))


def _patience_epochs(n_samples: int | None, network: MIClassifier) -> int:
    """Early-stopping patience of the default network: 20 epochs, or about
    ``_PATIENCE_STEPS`` optimiser steps when 20 epochs would be many more."""
    if n_samples is None:
        return _PATIENCE_EPOCHS
    per_epoch = steps_per_epoch(n_samples, network.batch_size, network.validation_fraction)
    return epochs_for_steps(
        _PATIENCE_STEPS, per_epoch, min_epochs=3, max_epochs=_PATIENCE_EPOCHS, rounding=math.ceil
    )


def _progress(total: int, verbose: int):
    from tqdm.auto import tqdm  # a dependency of skorch

    return tqdm(total=total, desc="estimate_mi folds", unit="fold", disable=not verbose)


def _training_rows(cv, X, y_index) -> int:
    """About how many rows each fold trains on (all rows when the splitter won't say)."""
    try:
        n_splits = int(cv) if isinstance(cv, (int, np.integer)) else cv.get_n_splits(X, y_index)
    except (AttributeError, TypeError, ValueError):
        return len(y_index)
    return len(y_index) - len(y_index) // max(int(n_splits), 1)


def _candidates(estimator, rng, n_train: int, n_classes: int) -> list:
    if estimator is None:
        seed = rng.randint(2**31 - 1)
        return default_estimators(random_state=seed, n_samples=n_train, n_classes=n_classes)
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


def _names(candidates) -> list[str]:
    """Each candidate's final estimator's class name; where names repeat, with the
    parameters that tell them apart (``LogisticRegression(C=0.1)``), else numbered."""
    finals = [final_estimator(c) for c in candidates]
    names = [type(f).__name__ for f in finals]
    out = []
    for i, (name, final) in enumerate(zip(names, finals, strict=True)):
        twins = [f for f, other in zip(finals, names, strict=True) if other == name]
        if len(twins) == 1:
            out.append(name)
            continue
        params = [t.get_params(deep=False) for t in twins]
        differing = sorted(
            key
            for key in params[0]
            if any(repr(p.get(key)) != repr(params[0][key]) for p in params[1:])
        )
        mine = final.get_params(deep=False)
        label = ", ".join(f"{key}={mine[key]!r}" for key in differing)
        out.append(f"{name}({label})" if label else f"{name} #{names[:i].count(name) + 1}")
    return out
