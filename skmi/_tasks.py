"""Classification tasks with a known mutual information I(X; Y), for checking estimators.

Every generator returns ``X, y, true_mi`` (nats). Where a closed form exists the truth is
exact; otherwise it is a Monte-Carlo average of ``KL(p(y|x) || pi)`` over 10^6 draws of
x from a fixed generator (the same for every ``random_state``), whose standard error is
reported by [`task_truth`][skmi.datasets.task_truth] and is at most 0.002 nats.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from scipy.special import gammaln, logsumexp
from sklearn.utils import check_random_state

_MC_SAMPLES = 1_000_000
_MC_SEED = 20_211_002
_MC_CHUNK = 100_000


@dataclass(frozen=True)
class Truth:
    """Ground-truth I(X; Y) in nats and its standard error (0 when exact).

    Examples
    --------
    >>> from skmi.datasets import task_truth
    >>> truth = task_truth("xor")
    >>> round(truth.mi, 4), truth.stderr
    (0.3681, 0.0)
    """

    mi: float
    stderr: float
    method: str


def _entropy(p) -> float:
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


# --------------------------------------------------------------------------- models
class _Mixture:
    """Class-conditional densities p(x | y) given as log-density + sampler per class."""

    def __init__(self, priors, sample_class, log_density):
        self.priors = np.asarray(priors, dtype=float)
        self.sample_class = sample_class  # (k, n, rng) -> (n, d)
        self.log_density = log_density  # (X) -> (n, K) log p(x | k)

    def sample(self, n, rng):
        y = rng.choice(len(self.priors), size=n, p=self.priors)
        counts = np.bincount(y, minlength=len(self.priors))
        X = np.empty((n, self._dim(rng)))
        for k, count in enumerate(counts):
            if count:
                X[y == k] = self.sample_class(k, count, rng)
        return X, y

    def _dim(self, rng):
        return self.sample_class(0, 1, np.random.default_rng(0)).shape[1]

    def truth(self) -> Truth:
        rng = np.random.default_rng(_MC_SEED)
        log_prior = np.log(self.priors)
        kls = []
        for _ in range(_MC_SAMPLES // _MC_CHUNK):
            X, _ = self.sample(_MC_CHUNK, rng)
            log_joint = self.log_density(X) + log_prior
            log_post = log_joint - logsumexp(log_joint, axis=1, keepdims=True)
            post = np.exp(log_post)
            # KL(p(.|x) || pi), Rao-Blackwellised over y: lower variance than log-ratios
            kls.append(np.sum(post * (log_post - log_prior), axis=1))
        kl = np.concatenate(kls)
        return Truth(float(kl.mean()), float(kl.std(ddof=1) / np.sqrt(kl.size)), "monte-carlo")


def _gaussian(means, priors, scales=None) -> _Mixture:
    """Classes N(means[k], scales[k]^2 I)."""
    means = np.asarray(means, dtype=float)
    scales = np.ones(len(means)) if scales is None else np.asarray(scales, dtype=float)
    d = means.shape[1]

    def sample_class(k, n, rng):
        return means[k] + scales[k] * rng.standard_normal((n, d))

    def log_density(X):
        sq = ((X[:, None, :] - means[None]) ** 2).sum(axis=2)
        return -0.5 * sq / scales**2 - d * np.log(scales)

    return _Mixture(priors, sample_class, log_density)


def _student_t(locs, priors, df) -> _Mixture:
    """Classes with independent Student-t coordinates (df degrees of freedom)."""
    locs = np.asarray(locs, dtype=float)
    d = locs.shape[1]
    const = gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * np.log(df * np.pi)

    def sample_class(k, n, rng):
        return locs[k] + rng.standard_t(df, size=(n, d))

    def log_density(X):
        z = X[:, None, :] - locs[None]
        return (const - (df + 1) / 2 * np.log1p(z**2 / df)).sum(axis=2)

    return _Mixture(priors, sample_class, log_density)


def _gaussian_mixture_classes(components, priors) -> _Mixture:
    """Each class is an equal-weight mixture of unit Gaussians at the given centres."""
    components = [np.asarray(c, dtype=float) for c in components]
    d = components[0].shape[1]

    def sample_class(k, n, rng):
        centres = components[k]
        pick = rng.integers(0, len(centres), size=n)
        return centres[pick] + rng.standard_normal((n, d))

    def log_density(X):
        out = []
        for centres in components:
            sq = ((X[:, None, :] - centres[None]) ** 2).sum(axis=2)
            out.append(logsumexp(-0.5 * sq, axis=1) - np.log(len(centres)))
        return np.stack(out, axis=1)

    return _Mixture(priors, sample_class, log_density)


# --------------------------------------------------------------------------- tasks
def _binary_means(d=5, separation=1.5):
    means = np.zeros((2, d))
    means[1] = separation / np.sqrt(d)  # distance between means = separation
    return means


def _exponential_prior(k, ratio):
    prior = ratio ** (-np.arange(k) / (k - 1))
    return prior / prior.sum()


def _sphere_means(k, d, radius, seed=7):
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((k, d))
    return radius * means / np.linalg.norm(means, axis=1, keepdims=True)


def _transform(X):
    """An invertible, MI-preserving distortion: rotation, then monotone maps per column."""
    d = X.shape[1]
    rotation = np.linalg.qr(np.random.default_rng(11).standard_normal((d, d)))[0]
    Z = X @ rotation
    out = np.empty_like(Z)
    out[:, 0::3] = np.sinh(Z[:, 0::3])
    out[:, 1::3] = np.exp(Z[:, 1::3] / 2)
    out[:, 2::3] = Z[:, 2::3] ** 3
    return out


_MODELS = {
    "gaussian_binary": lambda: _gaussian(_binary_means(), [0.5, 0.5]),
    "gaussian_imbalanced": lambda: _gaussian(
        [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 2.5, 0.0]], [0.89, 0.10, 0.01]
    ),
    "gaussian_20_classes": lambda: _gaussian(
        _sphere_means(20, 10, radius=2.0), _exponential_prior(20, 10.0)
    ),
    "unequal_covariance": lambda: _gaussian(np.zeros((2, 4)), [0.5, 0.5], scales=[1.0, 1.8]),
    "student_t": lambda: _student_t([[0.0, 0.0], [1.5, 1.5]], [0.7, 0.3], df=2.0),
    # rare classes (issue 23): a 3 % class nearly separable (its mean 4 apart in 1-d,
    # with two noise coordinates), and four 3 % classes around a common one
    "rare_nearly_separable": lambda: _gaussian([[0.0, 0.0, 0.0], [4.0, 0.0, 0.0]], [0.97, 0.03]),
    "several_rare": lambda: _gaussian(
        [[0.0, 0.0, 0.0, 0.0]] + [list(3.0 * row) for row in np.eye(4)],
        [0.88, 0.03, 0.03, 0.03, 0.03],
    ),
    "multimodal": lambda: _gaussian_mixture_classes(
        [[[-3.0, 0.0], [3.0, 0.0]], [[0.0, -3.0], [0.0, 3.0]], [[0.0, 0.0]]], [0.4, 0.4, 0.2]
    ),
}


@cache
def _model_truth(name: str) -> Truth:
    return _MODELS[name]().truth()


def _xor_truth(noise: float) -> Truth:
    return Truth(float(np.log(2)) - _entropy([noise, 1 - noise]), 0.0, "exact")


def _near_deterministic_truth(k: int, noise: float) -> Truth:
    # y = the interval x falls in, replaced w.p. noise by one of the other k-1 classes
    h_y_given_x = _entropy([1 - noise] + [noise / (k - 1)] * (k - 1))
    return Truth(float(np.log(k)) - h_y_given_x, 0.0, "exact")


@dataclass(frozen=True)
class _Task:
    description: str
    truth: callable
    generate: callable  # (n, rng) -> X, y


def _from_model(name, post=None):
    def generate(n, rng):
        X, y = _MODELS[name]().sample(n, rng)
        return (post(X) if post is not None else X), y

    return generate


def _xor_generate(order, noise, n_features):
    def generate(n, rng):
        X = rng.uniform(-1, 1, size=(n, n_features))
        y = (np.sum(X[:, :order] > 0, axis=1) % 2).astype(int)
        flip = rng.random(n) < noise
        return X, np.where(flip, 1 - y, y)

    return generate


def _near_deterministic_generate(k, noise):
    def generate(n, rng):
        x = rng.uniform(0, k, size=n)
        y = np.floor(x).astype(int)
        other = (y + rng.integers(1, k, size=n)) % k
        y = np.where(rng.random(n) < noise, other, y)
        return np.column_stack([x, rng.standard_normal(n)]), y

    return generate


def _rare_separable_generate(n, rng):
    # class 1 (3 %) has x1 in [2, 3], class 0 in [-1, 1]: a gap, so H(Y|X) = 0
    y = (rng.random(n) < _RARE_PRIOR).astype(int)
    x1 = np.where(y == 1, rng.uniform(2, 3, n), rng.uniform(-1, 1, n))
    return np.column_stack([x1, rng.standard_normal((n, 2))]), y


_RARE_PRIOR = 0.03


def _independent_generate(n, rng):
    X = rng.standard_normal((n, 5))
    return X, rng.choice(2, size=n, p=[0.7, 0.3])


def _noise_features_generate(n, rng):
    X, y = _MODELS["gaussian_binary"]().sample(n, rng)
    return np.hstack([X, rng.standard_normal((n, 45))]), y


TASKS: dict[str, _Task] = {
    "gaussian_binary": _Task(
        "2 classes N(mu_k, I) in 5-d, means 1.5 apart, balanced",
        lambda: _model_truth("gaussian_binary"),
        _from_model("gaussian_binary"),
    ),
    "gaussian_imbalanced": _Task(
        "3 Gaussian classes in 3-d, priors 0.89 / 0.10 / 0.01",
        lambda: _model_truth("gaussian_imbalanced"),
        _from_model("gaussian_imbalanced"),
    ),
    "gaussian_20_classes": _Task(
        "20 Gaussian classes in 10-d (means on a sphere of radius 2), long-tailed prior 10:1",
        lambda: _model_truth("gaussian_20_classes"),
        _from_model("gaussian_20_classes"),
    ),
    "unequal_covariance": _Task(
        "2 classes N(0, I) vs N(0, 1.8^2 I) in 4-d: a quadratic boundary",
        lambda: _model_truth("unequal_covariance"),
        _from_model("unequal_covariance"),
    ),
    "transformed_gaussian": _Task(
        "gaussian_binary after a rotation and sinh / exp / cube maps (MI unchanged)",
        lambda: _model_truth("gaussian_binary"),
        _from_model("gaussian_binary", post=_transform),
    ),
    "noise_features": _Task(
        "gaussian_binary plus 45 pure-noise features (50 in all)",
        lambda: _model_truth("gaussian_binary"),
        _noise_features_generate,
    ),
    "student_t": _Task(
        "2 classes with Student-t (df=2) coordinates in 2-d, priors 0.7 / 0.3: heavy tails",
        lambda: _model_truth("student_t"),
        _from_model("student_t"),
    ),
    "multimodal": _Task(
        "3 classes, two of them bimodal Gaussian mixtures, in 2-d",
        lambda: _model_truth("multimodal"),
        _from_model("multimodal"),
    ),
    "xor": _Task(
        "y = XOR of the signs of x1, x2 (uniform on [-1, 1]^4), 10% label noise: exact",
        lambda: _xor_truth(0.1),
        _xor_generate(2, 0.1, 4),
    ),
    "parity3": _Task(
        "y = parity of the signs of x1..x3 (uniform on [-1, 1]^5), 5% label noise: exact",
        lambda: _xor_truth(0.05),
        _xor_generate(3, 0.05, 5),
    ),
    "independent": _Task(
        "5 standard-normal features independent of y (priors 0.7 / 0.3): MI = 0 exactly",
        lambda: Truth(0.0, 0.0, "exact"),
        _independent_generate,
    ),
    "rare_separable": _Task(
        "a 3 % class that x1 separates perfectly (a gap between [-1, 1] and [2, 3]), plus "
        "2 noise features: MI = H(Y) exactly",
        lambda: Truth(_entropy([1 - _RARE_PRIOR, _RARE_PRIOR]), 0.0, "exact"),
        _rare_separable_generate,
    ),
    "rare_nearly_separable": _Task(
        "a 3 % Gaussian class 4 standard deviations from the other in 3-d: nearly separable",
        lambda: _model_truth("rare_nearly_separable"),
        _from_model("rare_nearly_separable"),
    ),
    "several_rare": _Task(
        "5 Gaussian classes in 4-d: four of 3 % each, 3 apart from a common one (88 %)",
        lambda: _model_truth("several_rare"),
        _from_model("several_rare"),
    ),
    "near_deterministic": _Task(
        "y = floor(x), x uniform on [0, 4), 1% of labels replaced, plus a noise feature: "
        "MI close to H(Y), exact",
        lambda: _near_deterministic_truth(4, 0.01),
        _near_deterministic_generate(4, 0.01),
    ),
}


def task_truth(name: str) -> Truth:
    """The ground truth of a task: ``Truth(mi, stderr, method)`` in nats.

    Examples
    --------
    >>> from skmi.datasets import task_truth
    >>> round(task_truth("independent").mi, 4)
    0.0
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {sorted(TASKS)}.")
    return TASKS[name].truth()


def make_task(name: str, n_samples: int = 1000, *, random_state=None):
    """Draw ``n_samples`` from a task with known mutual information.

    Parameters
    ----------
    name : str
        A key of ``TASKS`` (see [`list_tasks`][skmi.datasets.list_tasks]).
    n_samples : int, default=1000
    random_state : int, RandomState or None
        Seeds the draw; the truth does not depend on it.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    true_mi : float
        I(X; Y) in nats (exact, or Monte Carlo with standard error <= 0.002).

    Examples
    --------
    >>> from skmi.datasets import make_task
    >>> X, y, mi = make_task("xor", 500, random_state=0)
    >>> X.shape, round(mi, 4)
    ((500, 4), 0.3681)
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {sorted(TASKS)}.")
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
    seed = check_random_state(random_state).randint(2**31 - 1)
    X, y = TASKS[name].generate(int(n_samples), np.random.default_rng(seed))
    return X, y, task_truth(name).mi


def list_tasks() -> dict[str, str]:
    """Task names and one-line descriptions.

    Examples
    --------
    >>> from skmi.datasets import list_tasks
    >>> tasks = list_tasks()
    >>> len(tasks), tasks["xor"][:29]
    (15, 'y = XOR of the signs of x1, x')
    """
    return {name: task.description for name, task in TASKS.items()}


def make_gaussian_classes(
    n_samples: int = 1000,
    *,
    means,
    priors=None,
    scales=None,
    random_state=None,
):
    """Gaussian classes ``N(means[k], scales[k]^2 I)`` with any prior, and their MI.

    Parameters
    ----------
    n_samples : int
    means : array-like of shape (n_classes, n_features)
    priors : array-like of shape (n_classes,), default=None (uniform)
    scales : array-like of shape (n_classes,), default=None (all 1)
    random_state : int, RandomState or None

    Returns
    -------
    X, y, true_mi
        ``true_mi`` is a Monte-Carlo value over 10^6 draws (standard error <= 0.002 nats
        for the tasks shipped here; check it with
        [`gaussian_classes_truth`][skmi.datasets.gaussian_classes_truth]).

    Examples
    --------
    >>> import numpy as np
    >>> from skmi.datasets import make_gaussian_classes
    >>> X, y, mi = make_gaussian_classes(400, means=[[0, 0], [2, 0]], random_state=0)
    >>> X.shape, bool(0 < mi < np.log(2))
    ((400, 2), True)
    """
    means = np.asarray(means, dtype=float)
    priors = np.full(len(means), 1 / len(means)) if priors is None else np.asarray(priors, float)
    model = _gaussian(means, priors, scales)
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    X, y = model.sample(n_samples, rng)
    return X, y, gaussian_classes_truth(means, priors, scales).mi


def gaussian_classes_truth(means, priors=None, scales=None) -> Truth:
    """Monte-Carlo I(X; Y) of Gaussian classes (see
    [`make_gaussian_classes`][skmi.datasets.make_gaussian_classes]).

    Examples
    --------
    >>> from skmi.datasets import gaussian_classes_truth
    >>> truth = gaussian_classes_truth([[0, 0], [2, 0]])
    >>> round(truth.mi, 2), truth.method, bool(truth.stderr < 0.002)
    (0.34, 'monte-carlo', True)
    """
    means = np.asarray(means, dtype=float)
    priors = np.full(len(means), 1 / len(means)) if priors is None else np.asarray(priors, float)
    key = (
        means.tobytes(),
        means.shape,
        priors.tobytes(),
        None if scales is None else tuple(scales),
    )
    return _gaussian_truth_cached(key)


@lru_cache(maxsize=64)
def _gaussian_truth_cached(key) -> Truth:
    means_bytes, shape, priors_bytes, scales = key
    means = np.frombuffer(means_bytes).reshape(shape)
    priors = np.frombuffer(priors_bytes)
    return _gaussian(means, priors, scales).truth()
