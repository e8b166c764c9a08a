"""The candidate models of estimate_mi: the defaults, sized for the training folds,
seeded from estimate_mi's random_state, and named for the result."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from scipy import sparse, special
from sklearn.base import BaseEstimator, TransformerMixin, clone, is_classifier
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils import check_random_state

import skmi._graphs as _graphs
from skmi._budget import epochs_for_steps, steps_per_epoch
from skmi._classifier import SINGLE_NETWORK, MIClassifier
from skmi._graphs import warn_unverified
from skmi._pmi import final_estimator

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
# The network's early-stopping split: 10 %, raised (up to this) until the split of the
# half-size fit can hold every class (see _validation_fraction).
_VALIDATION_FRACTION, _MAX_VALIDATION_FRACTION = 0.1, 0.3
# Batch-size range of the default network (see _batch_size).
_MIN_BATCH, _MAX_BATCH = 32, 256


class _NormalScores(QuantileTransformer):
    """scikit-learn's QuantileTransformer to normal scores, with a faster transform.

    estimate_mi fits it on training folds, selection splits and half-size subsamples,
    often of fewer than 1,000 rows; scikit-learn then uses one quantile per row (exactly
    what is wanted) and warns each time, 20 warnings for one call on 1,000 rows: here
    it does not warn.

    scikit-learn transforms one column at a time with two ``np.interp`` calls and
    ``scipy.stats.norm.ppf``: 3.3 s for 240,000 x 50 on one core. Each of estimate_mi's
    5 folds transforms its training rows, half of them and the test rows. The dense
    forward transform here computes the
    same values (``_interpolated_levels``: the same interpolation, the same bounds,
    ``ndtri`` and clipping; on the CPU equal bit for bit) with one batched binary
    search over all columns in torch, on torch's threads, or on a CUDA device.

    Parameters
    ----------
    device : "auto", "cpu" or "cuda", default="auto"
        Where the transform runs. "auto" is the CPU until the CUDA path has passed
        ``scripts/gpu_check.sh`` on a real GPU (``skmi._graphs.GPU_EVIDENCE``; issue 23);
        then a CUDA device where torch sees one and the array has at least 2^20 values
        (below that the transfers cost more than the search). "cuda" runs there with a
        warning that it is unverified: its results have not been compared with the
        CPU's on a GPU (``tests/test_cuda.py`` compares them with scikit-learn's).
    """

    def __init__(
        self,
        *,
        n_quantiles=1000,
        output_distribution="uniform",
        ignore_implicit_zeros=False,
        subsample=10_000,
        random_state=None,
        copy=True,
        device="auto",
    ):
        super().__init__(
            n_quantiles=n_quantiles,
            output_distribution=output_distribution,
            ignore_implicit_zeros=ignore_implicit_zeros,
            subsample=subsample,
            random_state=random_state,
            copy=copy,
        )
        self.device = device

    def fit(self, X, y=None):
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda'; got {self.device!r}.")
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="n_quantiles .* is greater than", category=UserWarning
            )
            return super().fit(X)  # y is not used by a transformer

    def _transform(self, X, inverse=False):
        if inverse or sparse.issparse(X) or self.output_distribution != "normal":
            return super()._transform(X, inverse)
        device = self._device_for(X)
        quantiles = torch.as_tensor(self.quantiles_.T, dtype=torch.float64, device=device)
        quantiles = quantiles.contiguous()
        references = torch.as_tensor(self.references_, dtype=torch.float64, device=device)
        lowest, highest = quantiles[:, 0], quantiles[:, -1]
        first_of_ties = torch.searchsorted(quantiles, quantiles, right=False)
        clip = special.ndtri(np.array([_BOUNDS - np.spacing(1), 1 - (_BOUNDS - np.spacing(1))]))
        for start in range(0, X.shape[0], _TRANSFORM_ROWS):
            block = X[start : start + _TRANSFORM_ROWS]
            x = torch.from_numpy(block).to(device)
            columns = x.T.to(torch.float64).contiguous()
            # as scikit-learn does it: the levels rounded to X's dtype, the bounds
            # tested in X's dtype (a float32 tie at the largest quantile is not bounded,
            # a float64 one is), the ppf of the rounded levels
            levels = _interpolated_levels(columns, quantiles, references, first_of_ties)
            levels = levels.T.to(x.dtype)
            levels = torch.where(x + _BOUNDS > highest, 1.0, levels)
            levels = torch.where(x - _BOUNDS < lowest, 0.0, levels)
            if x.dtype == torch.float32:
                # scipy's float32 ndtri computes in float64 and rounds: so does this
                scores = torch.special.ndtri(levels.double()).float()
                block[...] = scores.clamp(float(clip[0]), float(clip[1])).cpu().numpy()
            else:  # torch's float64 ndtri differs from scipy's by an ulp at times
                block[...] = np.clip(special.ndtri(levels.cpu().numpy()), clip[0], clip[1])
        return X

    def _device_for(self, X) -> torch.device:
        if self.device == "cuda":
            warn_unverified("_NormalScores(device='cuda')")
            return torch.device("cuda")
        if (
            self.device == "auto"
            and _graphs.GPU_EVIDENCE is not None  # off until a GPU run verified it
            and X.size >= _CUDA_MIN_VALUES
            and torch.cuda.is_available()
        ):
            return torch.device("cuda")
        return torch.device("cpu")


# scikit-learn's BOUNDS_THRESHOLD: values within it of the extreme quantiles map to 0 / 1
_BOUNDS = 1e-7
# rows transformed at once (a float64 copy of them, and the search's indices)
_TRANSFORM_ROWS = 16384
# device="auto" transforms on CUDA from this many values
_CUDA_MIN_VALUES = 2**20


def _interpolated_levels(x, quantiles, references, first_of_ties):
    """scikit-learn's interpolated quantile levels: for each row of ``x`` (one
    feature's values) and of ``quantiles`` (its sorted quantiles), the mean of
    ``np.interp`` from the left and from the right (ties among quantiles get their
    middle level). NaN stays NaN. ``first_of_ties``: for each quantile, the index of
    the first one equal to it (``searchsorted(quantiles, quantiles)``).

    Not `skmi._mlp.normal_scores` (MIClassifier's own quantile scaling): that map puts
    a tie at its mean level and interpolates between those levels, which differs from
    scikit-learn's next to ties; here the candidates must read exactly what
    scikit-learn's transform gives, so that estimates do not move."""
    n_quantiles = quantiles.shape[1]
    first, last = quantiles[:, :1], quantiles[:, -1:]
    # forward interp: the segment starting at the last quantile <= x
    right = torch.searchsorted(quantiles, x, right=True)
    j = (right - 1).clamp(0, n_quantiles - 2)
    q0, q1 = quantiles.gather(1, j), quantiles.gather(1, j + 1)
    r0, r1 = references[j], references[j + 1]
    forward = torch.where(x == q0, r0, (r1 - r0) / (q1 - q0) * (x - q0) + r0)
    forward = torch.where(x >= last, references[-1], forward)
    forward = torch.where(x < first, references[0], forward)
    # interp of the reversed, negated arrays: the segment ending at the first quantile
    # >= x; without a second search: that is j + 1, or the first of x's ties when x is
    # a quantile
    i = torch.where(x == q0, first_of_ties.gather(1, j), j + 1).clamp(1, n_quantiles - 1)
    p0, p1 = quantiles.gather(1, i - 1), quantiles.gather(1, i)
    s0, s1 = references[i - 1], references[i]
    backward = torch.where(x == p1, s1, s1 - (s1 - s0) / (p1 - p0) * (p1 - x))
    backward = torch.where(x <= first, references[0], backward)
    backward = torch.where(x > last, references[-1], backward)
    levels = 0.5 * (forward + backward)
    return torch.where(torch.isnan(x), x, levels)


class _SubsetColumns(TransformerMixin, BaseEstimator):
    """The columns at ``columns`` of an array; with ``zero_others=True`` every column,
    the others set to 0 (a network's input mask: see `skmi._crossfit.on_columns`)."""

    def __init__(self, columns=(), zero_others=False):
        self.columns = columns
        self.zero_others = zero_others

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        columns = list(self.columns)
        if not self.zero_others:
            return X[:, columns]
        masked = np.zeros_like(X)
        masked[:, columns] = X[:, columns]
        return masked


class _ShrunkLDA(LinearDiscriminantAnalysis):
    """LinearDiscriminantAnalysis without scikit-learn's warning for a class of one row.

    A half-size training part of a small table can hold a class once; its covariance
    term is then zero and the shrunk pooled covariance is still well defined, but
    scikit-learn warns twice per fit, dozens of times for one estimate_mi call.
    """

    def fit(self, X, y):
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Only one sample available", category=UserWarning
            )
            return super().fit(X, y)


# named as the estimator it is in results (pickle finds the class by its __qualname__)
_ShrunkLDA.__name__ = "LinearDiscriminantAnalysis"


def default_estimators(
    random_state=None, n_samples: int | None = None, n_classes: int | None = None
) -> list:
    """The candidates whose held-out probabilities [`estimate_mi`][skmi.estimate_mi] mixes, when none
    are given.

    Always, behind a quantile transform to normal scores (which leaves I(X; Y) unchanged:
    it is invertible and monotone per feature, and it tames heavy tails and skewed
    scales):

    * an [`MIClassifier`][skmi.MIClassifier] (two ReLU layers sized from the data, no dropout,
      learning rate 3e-3, batch 256 (down to 32 on small data, so that an epoch is about
      8 steps), early stopping on 10 % of the training fold with patience 20 epochs and
      tolerance 10⁻³ nats, up to 1,000 epochs);
    * a multinomial [`LogisticRegression`](https://scikit-learn.org/stable/modules/generated/sklearn.linear_model.LogisticRegression.html) (``C=10``), which
      wins when the Bayes posterior is (close to) linear in the features.

    On small data (up to 5,000 training rows, where fitting is cheap and no single model
    family is reliable) also:

    * two more regularised logistic regressions (``C=1`` and ``C=0.1``: many features
      or classes for few rows);
    * a [`RandomForestClassifier`](https://scikit-learn.org/stable/modules/generated/sklearn.ensemble.RandomForestClassifier.html) (100 trees, at least 3 rows a
      leaf) and, for up to 5 classes, a
      [`HistGradientBoostingClassifier`](https://scikit-learn.org/stable/modules/generated/sklearn.ensemble.HistGradientBoostingClassifier.html) (axis-aligned
      thresholds and interactions: ``y = floor(x)``, XOR);
    * a [`LinearDiscriminantAnalysis`](https://scikit-learn.org/stable/modules/generated/sklearn.discriminant_analysis.LinearDiscriminantAnalysis.html) with
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
        **SINGLE_NETWORK,
        early_stopping=True,
        dropout=0.0,
        lr=3e-3,
        max_epochs=1000,
        batch_size=_batch_size(n_samples),
        validation_fraction=_validation_fraction(n_samples, n_classes),
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
        shrunk = _ShrunkLDA(solver="lsqr", shrinkage="auto")
        candidates.append(make_pipeline(quantiles(), shrunk))
    return candidates


def _batch_size(n_samples: int | None) -> int:
    """Batch of the default network: 256, or fewer on small data so that an epoch is at
    least about 8 optimiser steps (on 120 rows one full batch per epoch trained for
    hundreds of epochs, each paying skorch's per-epoch cost, and learnt less)."""
    if n_samples is None:
        return _MAX_BATCH
    return int(np.clip(2 ** round(math.log2(max(n_samples, 1) / 8)), _MIN_BATCH, _MAX_BATCH))


def _validation_fraction(n_samples: int | None, n_classes: int | None) -> float:
    """10 % of the training rows, or more where that would hold fewer rows than classes
    in the half-size fit's split (the network then could not be fitted and was left
    out: 20 classes in 300 rows gave a split of 12 rows of 120)."""
    if n_samples is None or n_classes is None:
        return _VALIDATION_FRACTION
    needed = (n_classes + 1) / max(n_samples // 2, 1)
    return float(min(_MAX_VALIDATION_FRACTION, max(_VALIDATION_FRACTION, needed)))


def _patience_epochs(n_samples: int | None, network: MIClassifier) -> int:
    """Early-stopping patience of the default network: 20 epochs, or about
    ``_PATIENCE_STEPS`` optimiser steps when 20 epochs would be many more."""
    if n_samples is None:
        return _PATIENCE_EPOCHS
    per_epoch = steps_per_epoch(n_samples, network.batch_size, network.validation_fraction)
    return epochs_for_steps(
        _PATIENCE_STEPS, per_epoch, min_epochs=3, max_epochs=_PATIENCE_EPOCHS, rounding=math.ceil
    )


def training_rows_per_fold(cv, X, y_index) -> int:
    """About how many rows each fold trains on (all rows when the splitter won't say)."""
    try:
        n_splits = int(cv) if isinstance(cv, (int, np.integer)) else cv.get_n_splits(X, y_index)
    except (AttributeError, TypeError, ValueError):
        return len(y_index)
    return len(y_index) - len(y_index) // max(int(n_splits), 1)


def candidates_for(estimator, rng, n_train: int, n_classes: int) -> list:
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


def seeded_clone(estimator, seed):
    """A clone whose unset ``random_state`` parameters (nested ones too) get ``seed``.

    So that estimate_mi's own random_state makes the whole estimate reproducible.
    """
    model = clone(estimator)
    unset = {
        key: seed
        for key, value in model.get_params(deep=True).items()
        if key.split("__")[-1] == "random_state" and value is None
    }
    return model.set_params(**unset)  # no keys: the clone as it is


def candidate_names(candidates) -> list[str]:
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
