"""The result of estimate_mi: the mixture's reading, the extrapolation, the error bar
and the bounds every reported value respects."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import entropy as scipy_entropy
from scipy.stats import norm

from skmi._pmi import empirical_log_prior, pmi_of_mixture
from skmi._warnings import EstimateWarning

# Warn when the training-set reading exceeds the held-out one by more than this many nats
# and this fraction of the held-out value: the model has memorised its training folds.
_OVERFIT_GAP_NATS = 0.1
_OVERFIT_GAP_FRACTION = 0.25
# Learning-curve exponents a (gap ~ 1/n^a) that the confidence interval allows for; the
# point estimate assumes a = 1. Between 1/2 and 2 on the tasks we benchmark.
_EXPONENT_RANGE = (0.5, 2.0)


@dataclass
class MIEstimate:
    """Result of [`estimate_mi`][skmi.estimate_mi]. All values in nats unless the name says bits.

    Every reported value respects what mutual information can be:
    ``0 <= mi <= entropy`` (the sample's H(Y)), each class's contribution within
    ``[0, -pi_k log pi_k]`` and each fold value within ``[0, entropy]``. The interval is
    for the population's I(X; Y), whose H(Y) is itself uncertain: it lies within
    ``[0, entropy_upper]``, where ``entropy_upper`` (at most log K) is the upper
    confidence limit of the population's H(Y); its top may pass the sample's H(Y).
    ``bounds_active`` names the values that a bound changed.

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
        interval reaches further up than down. The top is never below the data's
        resolution, so no interval is ``[0, 0]``: the same top computed for the
        candidates forced to read (the prior only a floor under their probabilities:
        their held-out reading is I(X; Y) less what learning costs them, which their
        learning curve gives back), and at least ``chi2_{K-1}(confidence) / (2 n)``,
        the least information an ideal likelihood-ratio test tells from 0 at n rows.
        The lower end stays at 0 where nothing is shown. Then it is intersected with
        ``[0, entropy_upper]``: the population's I(X; Y) lies below its H(Y), and that
        lies below ``entropy_upper`` with the interval's confidence (a cut at the
        sample's H(Y) missed the truth where a rare class is separable: 30 rare rows in
        1,000 might as well have been 24 or 36).
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
        ``H(Y)`` of the labels (the sample's), an upper bound on the sample's reading.
    entropy_upper : float
        Upper confidence limit (at ``confidence``, one-sided at ``(1 + confidence) / 2``
        as the interval's top) of the population's H(Y), from the class counts: the
        quantile of H under the Dirichlet posterior of the class frequencies (Jeffreys
        prior, counts + 1/2), never above log K nor below ``entropy``.
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
        Which of ``"mi"``, ``"ci"``, ``"per_class"``, ``"fold_mi"`` a bound changed
        (``[0, H(Y)]``, ``[0, entropy_upper]`` for the interval, or a class's
        ceiling); empty when none did.
    pmi : ndarray of shape (n_samples,)
        The plain out-of-fold pointwise MI of each sample (no extrapolation), always
        within ``[log w_prior, -log pi_y]``.
    labels : ndarray of shape (n_classes,)
        The sorted class labels.
    y_index : ndarray of shape (n_samples,)
        Each sample's class as a position in ``labels`` (to group ``pmi`` by class).
    pointwise : ndarray of shape (n_samples,)
        Each sample's value of the estimate before the bounds: ``pmi`` plus its share
        of the extrapolation (their mean is the unbounded estimate).
    conditioned_on : tuple of str
        For ``estimate_mi(X, y, given=Z)``: the columns of Z (or ``"Z[j]"``); the
        estimate is then I(X; Y | Z), by the chain rule I(X, Z; Y) - I(Z; Y) on the same
        folds and rows, and ``pmi``, ``pointwise``, ``lower_bound`` and ``correction``
        are the differences of the two. Empty otherwise.
    given_mi : float or None
        With ``given``: the estimate of I(Z; Y) (the second term of the chain rule).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import estimate_mi
    >>> from skmi.datasets import make_task
    >>> X, y, _ = make_task("gaussian_imbalanced", 1000, random_state=0)
    >>> result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    >>> bool(0 <= result.ci[0] <= result.mi <= result.entropy)
    True
    >>> bool(result.ci[1] <= result.entropy_upper <= np.log(3))
    True
    >>> bool(abs(sum(result.per_class.values()) - result.mi) < 1e-9), len(result.pmi)
    (True, 1000)
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
    entropy_upper: float = None
    pmi: np.ndarray = field(default=None, repr=False)
    labels: np.ndarray = field(default=None, repr=False)
    y_index: np.ndarray = field(default=None, repr=False)
    pointwise: np.ndarray = field(default=None, repr=False)
    conditioned_on: tuple = ()
    given_mi: float = None
    # the extrapolation's per-sample learning curve (full - half size), for pairing
    _curve: np.ndarray = field(default=None, repr=False)
    # the forced mixture's reading (the interval's resolution), for pairing
    _forced: object = field(default=None, repr=False)

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

    def __repr__(self) -> str:
        # the figures a reader wants at a glance; the arrays stay attributes
        low, high = self.ci
        given = f", given={list(self.conditioned_on)!r}" if self.conditioned_on else ""
        return (
            f"MIEstimate(mi={self.mi:.4f}, ci=({low:.4f}, {high:.4f}), "
            f"entropy={self.entropy:.4f}, n_samples={self.n_samples}{given})"
        )

    def _repr_html_(self) -> str:
        """A notebook's view: the estimate, its interval, H(Y) and each class's share."""
        from html import escape

        low, high = self.ci
        name = "I(X;Y|Z)" if self.conditioned_on else "I(X;Y)"
        rows = [
            (name, f"{self.mi:.4f} nats ({self.mi_bits:.4f} bits)"),
            (f"{self.confidence:.0%} CI", f"[{low:.4f}, {high:.4f}] nats"),
            ("H(Y)", f"{self.entropy:.4f} nats"),
            ("n", f"{self.n_samples}"),
            *((f"class {label}", f"{share:+.4f} nats") for label, share in self.per_class.items()),
        ]
        cells = "".join(
            f"<tr><th style='text-align:left'>{escape(str(k))}</th><td>{escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table>{cells}</table>"

    def __str__(self) -> str:
        low, high = self.ci
        reading = "extrapolated" if self.extrapolated else "plain held-out reading"
        name = "I(X;Y|Z)" if self.conditioned_on else "I(X;Y)"
        text = (
            f"{name} = {self.mi:.4f} nats ({self.mi_bits:.4f} bits, {reading}), "
            f"{self.confidence:.0%} CI [{low:.4f}, {high:.4f}] nats, "
            f"stderr {self.stderr:.4f}; H(Y) = {self.entropy:.4f} nats "
            f"(population's at most {self.entropy_upper:.4f}); "
            f"n = {self.n_samples}"
        )
        if self.conditioned_on:
            shown = ", ".join(self.conditioned_on[:5])
            more = " ..." if len(self.conditioned_on) > 5 else ""
            text += f"; given {shown}{more} (I(Z;Y) = {self.given_mi:.4f} nats)"
        if self.bounds_active:
            text += f"; bounds active: {', '.join(self.bounds_active)}"
        return text


def summarise(
    fit, y_index, labels, *, extrapolate, confidence, rng, sample_weight=None
) -> MIEstimate:
    """Mixture weights, the reading and its extrapolation, the interval, the class
    shares and the fold values, each held within its bounds.

    With ``sample_weight`` every mean over samples is the weighted mean (the prior and
    H(Y) too, as MIScorer reads them), and the sampling error is that of a weighted
    mean (Kish's effective sample size)."""
    w = sample_weight

    def avg(values, rows=None):
        return _mean(values, w, rows)

    full, half, train_parts, names, splits = (
        fit.full,
        fit.half,
        fit.train_parts,
        fit.names,
        fit.splits,
    )
    n, n_classes = len(y_index), len(labels)
    log_prior = empirical_log_prior(y_index, n_classes, w)
    prior = np.exp(log_prior)
    z = float(norm.ppf(0.5 + confidence / 2))
    weights = full.mixture_weights(y_index, prior, rng, w)
    half_weights = half.mixture_weights(y_index, prior, rng, w) if extrapolate else None
    reading = _read(full, half, weights, half_weights, y_index, prior, splits, z, w)
    pmi_table = reading.table
    pmi_full, lower_bound, values = reading.pmi, reading.lower_bound, reading.values
    correction, raw_mi, curve = reading.correction, reading.raw_mi, reading.curve
    correction_se, spread = reading.correction_se, reading.spread
    fold_raw = reading.fold_raw
    raw_ci = (reading.bottom, reading.top)
    stderr = float(math.sqrt(spread**2 + correction_se**2 + (correction / 2) ** 2))
    entropy = float(-(prior * log_prior).sum())
    # The resolution: what the data cannot rule out. The mixture may put all its weight
    # on the prior (it reads exactly 0 where no candidate beats it), and then the
    # interval above would be [0, 0]: as if finite data could show I(X;Y) = 0. The
    # candidates forced to read (the prior only a floor) lose what learning costs them
    # at this n (held out, their reading is I minus that cost), and their learning
    # curve from n/2 to n gives the cost back: the top of their extrapolated reading is
    # the most information the candidates could have missed.
    subsample = np.random.default_rng(0)  # (rows for EM past 200,000; rng left as it was)
    forced = _read(
        full,
        half,
        full.forced_weights(y_index, prior, subsample, w),
        half.forced_weights(y_index, prior, subsample, w) if extrapolate else None,
        y_index,
        prior,
        splits,
        z,
        w,
    )
    raw_ci = (raw_ci[0], max(raw_ci[1], forced.top, resolution_floor(n, n_classes, z)))
    active = []
    mi = _within(raw_mi, 0.0, entropy, "mi", active)
    counts = np.bincount(y_index, minlength=n_classes)
    if w is not None:  # the weighted frequencies, as many rows as the weights are worth
        counts = prior * _effective_size(w)
    entropy_upper = entropy_upper_limit(counts, confidence, entropy)
    ci = (
        float(np.clip(raw_ci[0], 0.0, min(entropy, mi))),
        float(np.clip(raw_ci[1], max(mi, 0.0), entropy_upper)),
    )
    if ci != raw_ci:
        active.append("ci")
    projected = _class_shares(values, prior, y_index, mi, w, active)
    fold_mi = np.clip(fold_raw, 0.0, entropy)
    if np.any(fold_mi != fold_raw):
        active.append("fold_mi")

    train_value = _training_reading(train_parts, weights, y_index, prior, w)
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
            stacklevel=3,
        )
    hits = (np.argmax(pmi_table, 1) == y_index).astype(np.float64)
    recalls = [avg(hits, y_index == k) for k in range(n_classes)]
    return MIEstimate(
        mi=mi,
        stderr=stderr,
        ci=ci,
        confidence=confidence,
        fold_mi=fold_mi,
        per_class=_by_label(labels, projected),
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
        entropy_upper=entropy_upper,
        pmi=pmi_full,
        labels=labels,
        y_index=y_index,
        pointwise=values,
        _curve=curve,
        _forced=forced,
    )


@dataclass
class _Reading:
    """One mixture's held-out reading, its extrapolation and the interval's raw ends."""

    table: np.ndarray  # the mixture's pointwise MI of every sample and class
    pmi: np.ndarray  # the mixture's pointwise MI of each sample's class
    lower_bound: float  # its mean: the plain held-out reading
    values: np.ndarray  # each sample's value of the estimate (pmi plus the correction)
    curve: np.ndarray | None  # full - half, per sample (None without extrapolation)
    correction: float
    correction_se: float
    spread: float
    fold_raw: np.ndarray
    raw_mi: float
    bottom: float
    top: float


def _read(full, half, weights, half_weights, y_index, prior, splits, z, w) -> _Reading:
    """The reading of the mixture with these weights (``half_weights`` None: no
    extrapolation), the same code for the estimate and for its resolution."""

    def avg(values, rows=None):
        return _mean(values, w, rows)

    n = len(y_index)
    table = full.mixture_pmi(weights, prior)
    pmi_full = table[np.arange(n), y_index]
    lower_bound = avg(pmi_full)
    full_repeats = full.repeat_pmi(weights, y_index, prior)
    repeat_readings = np.asarray([avg(pmi) for pmi in full_repeats])
    if half_weights is not None:
        pmi_half = half.mixture_pmi(half_weights, prior)[np.arange(n), y_index]
        # The learning curve is that of one model: with repeated cross-fitting the
        # averaged probabilities are an ensemble of the repetitions' models, and the
        # half-size ensemble's members, trained on different halves, together see most
        # of the data, which flattens full - half (on 20 classes in 300 rows it hid
        # two thirds of the gap). So both sizes are read per repetition (one model per
        # sample) and extrapolated; the estimate never falls below the ensemble's
        # own reading, itself a lower bound in expectation.
        half_repeats = half.repeat_pmi(half_weights, y_index, prior)
        single_full = full.single_model_mean(full_repeats)
        single_half = half.single_model_mean(half_repeats)
        if single_full is None or single_half is None:  # one repetition: the same thing
            single_full, single_half = pmi_full, pmi_half
        repeat_differences = repeat_readings - np.asarray([avg(pmi) for pmi in half_repeats])
        curve_start = avg(single_full)  # what one model reads, where the curve starts
        curve = single_full - single_half
        shrunk, correction_se, raw_correction = _shrunk_correction(curve, repeat_differences, w)
        correction = max(curve_start + shrunk - lower_bound, 0.0)
        if correction > 0:
            scale = shrunk / raw_correction if raw_correction > 0 else 0.0
            values = single_full + scale * (single_full - single_half)
        else:
            values = pmi_full
    else:
        correction = correction_se = raw_correction = shrunk = 0.0
        curve_start = lower_bound
        values = pmi_full
        curve = None
    raw_mi = lower_bound + correction
    fold_raw = np.array([avg(values, test) for _, test in splits])
    spread = _spread(values, repeat_readings, fold_raw, w)
    # The 1/n extrapolation adds the curve's `correction` once; a gap falling like 1/n^a
    # adds correction / (2^a - 1): a third of it for a = 2, 2.41 times it for a = 1/2.
    # The upper end takes the slowest curve and the top of the correction's own
    # interval (a flat learning curve between n/2 and n may hide a gap), the lower end
    # the fastest curve and the applied, shrunk correction; neither below the
    # ensemble's reading.
    if half_weights is not None:
        top = max(raw_correction + z * correction_se, 0.0) / (2 ** _EXPONENT_RANGE[0] - 1)
        bottom = shrunk / (2 ** _EXPONENT_RANGE[1] - 1)
        low = max(curve_start + bottom, lower_bound) - z * math.hypot(spread, correction_se)
        high = max(curve_start + top, lower_bound) + z * spread
    else:
        # no learning curve: a reading below 0 is the cost of learning at this n, which
        # as much information could have paid
        low = raw_mi - z * spread
        high = max(raw_mi, -raw_mi) + z * spread
    return _Reading(
        table,
        pmi_full,
        lower_bound,
        values,
        curve,
        correction,
        correction_se,
        spread,
        fold_raw,
        raw_mi,
        low,
        high,
    )


def resolution_floor(n: float, n_classes: int, z: float) -> float:
    """The least information an ideal test tells from 0 at n samples: where twice n
    times the reading, chi-square with K - 1 degrees of freedom under independence (the
    likelihood-ratio statistic of K - 1 class contrasts), passes its quantile. No
    interval's top is below it: finite data never show I(X;Y) = 0 exactly."""
    from scipy.stats import chi2

    level = 2 * norm.cdf(z) - 1  # the interval's confidence
    return float(chi2.ppf(level, max(n_classes - 1, 1)) / (2 * max(n, 1.0)))


def _paired(joint, alone, plain, correction, curves, splits, z, w, signed=False):
    """The paired difference of two readings' per-sample values and its interval's raw
    ends: ``(difference, mean, spread, correction, correction_se, fold means, (low,
    high))``. ``signed``: a difference below 0 (the cost of learning the extra
    columns, where there is no learning curve) counts towards the top as well."""

    def avg(values, rows=None):
        return _mean(values, w, rows)

    difference = joint - alone
    raw = avg(difference)
    fold_raw = np.array([avg(difference, test) for _, test in splits])
    spread = _spread(difference, [], fold_raw, w)
    curves = [c for c in curves if c is not None]
    if len(curves) == 2:
        correction_se = _weighted_se(curves[0] - curves[1], w)
    elif curves:
        correction_se = _weighted_se(curves[0], w)
    else:
        correction_se = 0.0
    if correction != 0.0 or curves:
        # as for one estimate: the gap may fall like 1/n^a for a in the exponent range,
        # so the extrapolated difference may be up to 1/(2^a - 1) times the correction
        top = max(correction + z * correction_se, 0.0) / (2 ** _EXPONENT_RANGE[0] - 1)
        bottom = max(correction, 0.0) / (2 ** _EXPONENT_RANGE[1] - 1)
        raw_ci = (
            min(plain + bottom, raw) - z * math.hypot(spread, correction_se),
            max(plain + top, raw) + z * spread,
        )
    else:
        stderr = math.hypot(spread, correction / 2)
        high = max(raw, -raw) if signed else raw
        raw_ci = (raw - z * stderr, high + z * stderr)
    return difference, raw, spread, correction, correction_se, fold_raw, raw_ci


# Draws of the class frequencies for entropy_upper_limit (a fixed stream: the limit is a
# function of the counts).
_ENTROPY_DRAWS = 4000


def entropy_upper_limit(counts, confidence: float, entropy: float) -> float:
    """Upper confidence limit of the population's H(Y) given the class counts.

    The ``(1 + confidence) / 2`` quantile of H(pi) for pi from the Dirichlet posterior
    with Jeffreys' prior (counts + 1/2), which covers a rare class's frequency better
    than the delta method does; held within ``[entropy, log K]`` (H(Y) cannot pass
    log K, and the limit is not meant to fall below the sample's own value).
    """
    counts = np.asarray(counts, dtype=np.float64)
    log_k = float(np.log(len(counts)))
    rng = np.random.default_rng(20231)
    draws = rng.dirichlet(counts + 0.5, size=_ENTROPY_DRAWS)
    entropies = scipy_entropy(draws, axis=1)
    limit = float(np.quantile(entropies, 0.5 + confidence / 2))
    return float(min(max(limit, entropy), log_k))


def _class_shares(values, prior, y_index, total, sample_weight, active) -> np.ndarray:
    """Each class's share of ``total`` (its prior times its mean value), held within
    ``[0, -pi_k log pi_k]`` and summing to ``total``; notes in ``active`` if a bound
    moved them."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ceilings = np.where(prior > 0, -prior * np.log(prior), 0.0)
    shares = np.array(
        [prior[k] * _mean(values, sample_weight, y_index == k) for k in range(len(prior))]
    )
    projected = _project_shares(shares, ceilings, total)
    if not np.allclose(projected, shares, rtol=0, atol=1e-12):
        active.append("per_class")
    return projected


def _by_label(labels, values) -> dict:
    return {
        (label.item() if hasattr(label, "item") else label): float(values[k])
        for k, label in enumerate(labels)
    }


def _mean(values, sample_weight=None, rows=None) -> float:
    """The (weighted) mean of ``values``, or of its ``rows``."""
    if rows is not None:
        values = values[rows]
        sample_weight = None if sample_weight is None else sample_weight[rows]
    if sample_weight is None:
        return float(values.mean())
    return float(np.average(values, weights=sample_weight))


def _effective_size(sample_weight) -> float:
    """Kish's effective sample size of weighted rows: (sum w)^2 / sum w^2."""
    return float(sample_weight.sum() ** 2 / np.sum(sample_weight**2))


def _weighted_se(values, sample_weight) -> float:
    """Standard error of the (weighted) mean of ``values``."""
    if sample_weight is None:
        return float(np.std(values, ddof=1) / np.sqrt(len(values)))
    mean = np.average(values, weights=sample_weight)
    variance = np.average((values - mean) ** 2, weights=sample_weight)
    n = _effective_size(sample_weight)
    return float(np.sqrt(variance * n / max(n - 1, 1.0) / n))


def _shrunk_correction(
    differences, repeat_differences, sample_weight=None
) -> tuple[float, float, float]:
    """The extrapolation ``mean(full - half)``, shrunk towards 0 by its signal-to-noise.

    Returns ``(applied, its standard error, raw)``. The correction cannot be negative in
    expectation (more training data cannot hurt a consistent model), so a negative one
    is noise and gives 0. Otherwise it is multiplied by ``c^2 / (c^2 + se^2)``, the
    factor that minimises the mean squared error of a normal estimate of known noise.
    """
    if sample_weight is None:
        raw = float(np.mean(differences))
    else:
        raw = float(np.average(differences, weights=sample_weight))
    se = _weighted_se(differences, sample_weight)
    if len(repeat_differences) > 1:
        se = max(se, float(np.std(repeat_differences, ddof=1) / np.sqrt(len(repeat_differences))))
    if raw <= 0:
        return 0.0, se, raw
    return raw * raw**2 / (raw**2 + se**2), se, raw


def _spread(values, repeat_readings, fold_readings, sample_weight=None) -> float:
    """Standard error of the estimate from sampling and model fitting.

    * sampling: the spread of the per-sample values over sqrt(n);
    * model fitting: with repeated cross-fitting, the spread of the repetitions'
      readings over sqrt(repeats); with one, the spread of the fold readings over
      sqrt(folds), or the sampling error if larger (the two overlap).
    """
    sampling = _weighted_se(values, sample_weight)
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


def _training_reading(train_parts, weights, y_index, prior, sample_weight=None) -> float:
    """The mixture's plain reading on the training folds, averaged by their sizes."""
    readings, sizes = [], []
    for train, true in train_parts:
        pmi = pmi_of_mixture(weights, true, prior[y_index[train]])
        if sample_weight is None:
            readings.append(float(pmi.mean()))
            sizes.append(len(train))
        else:
            readings.append(float(np.average(pmi, weights=sample_weight[train])))
            sizes.append(float(sample_weight[train].sum()))
    return float(np.average(readings, weights=sizes))


def conditional(
    joint: MIEstimate, alone: MIEstimate, splits, names, *, confidence, sample_weight=None
) -> MIEstimate:
    """I(X; Y | Z) = I(X, Z; Y) - I(Z; Y) from the two estimates, made on the same folds
    and rows with the same seeds: the difference of each sample's two values, so the
    interval comes from the paired differences (what the two readings share cancels)."""
    w = sample_weight
    z = float(norm.ppf(0.5 + confidence / 2))
    difference, raw, spread, correction, correction_se, fold_raw, raw_ci = _paired(
        joint.pointwise,
        alone.pointwise,
        joint.lower_bound - alone.lower_bound,
        joint.correction - alone.correction,
        (joint._curve, alone._curve),
        splits,
        z,
        w,
    )
    stderr = float(math.sqrt(spread**2 + correction_se**2 + (correction / 2) ** 2))
    entropy = joint.entropy
    # the sample's reading of I(X;Y|Z) is at most what I(Z;Y) leaves of H(Y)
    ceiling = max(entropy - alone.mi, 0.0)
    active = []
    mi = _within(raw, 0.0, ceiling, "mi", active)
    # the resolution, as for one estimate (`summarise`): the two forced mixtures' paired
    # difference, and never below what an ideal test could tell from 0
    rows = joint.n_samples if w is None else _effective_size(w)
    top = resolution_floor(rows, len(joint.labels), z)
    if joint._forced is not None and alone._forced is not None:
        forced = (joint._forced, alone._forced)
        *_, forced_ci = _paired(
            forced[0].values,
            forced[1].values,
            forced[0].lower_bound - forced[1].lower_bound,
            forced[0].correction - forced[1].correction,
            (forced[0].curve, forced[1].curve),
            splits,
            z,
            w,
            signed=True,
        )
        top = max(top, forced_ci[1])
    raw_ci = (raw_ci[0], max(raw_ci[1], top))
    ci = (
        float(np.clip(raw_ci[0], 0.0, mi)),
        float(np.clip(raw_ci[1], mi, joint.entropy_upper)),
    )
    if ci != raw_ci:
        active.append("ci")
    prior = np.bincount(joint.y_index, weights=w, minlength=len(joint.labels))
    prior = prior / prior.sum()
    projected = _class_shares(difference, prior, joint.y_index, mi, w, active)
    fold_mi = np.clip(fold_raw, 0.0, ceiling)
    if np.any(fold_mi != fold_raw):
        active.append("fold_mi")
    return MIEstimate(
        mi=mi,
        stderr=stderr,
        ci=ci,
        confidence=confidence,
        fold_mi=fold_mi,
        per_class=_by_label(joint.labels, projected),
        lower_bound=joint.lower_bound - alone.lower_bound,
        correction=float(correction),
        train_mi=joint.train_mi - alone.train_mi,
        entropy=entropy,
        n_samples=joint.n_samples,
        weights=joint.weights,
        n_repeats=joint.n_repeats,
        balanced_accuracy=joint.balanced_accuracy,
        bounds_active=tuple(active),
        entropy_upper=joint.entropy_upper,
        pmi=joint.pmi - alone.pmi,
        labels=joint.labels,
        y_index=joint.y_index,
        pointwise=difference,
        conditioned_on=tuple(names),
        given_mi=alone.mi,
    )
