"""estimate_mi: a cross-fitted estimate of I(X; Y) with an error bar.

Three steps, each in its module: the input checks (here), the cross-fitting
(`skmi._crossfit`, with the candidates of `skmi._candidates`) and the
summary with its bounds (`skmi._result`).
"""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from skmi._candidates import (
    candidate_names,
    candidates_for,
    default_estimators,
    training_rows_per_fold,
)
from skmi._crossfit import (
    SharedNetworkInputs,
    cross_fit,
    fitted_networks,
    make_splits,
    network_jobs,
    on_columns,
    plan_splits,
    resolve_repeats,
    train_networks,
)
from skmi._encoding import (
    TableEncoder,
    empty_cells_as_table,
    has_empty_cells,
    is_frame,
    needs_encoding,
)
from skmi._leaks import warn_suspicious_columns
from skmi._result import MIEstimate, conditional, summarise
from skmi._threads import limits_threads, parallel
from skmi._together import network_of
from skmi._validation import check_labels, check_numeric_features, check_sample_weight, plain
from skmi._warnings import EstimateWarning, SmallClassWarning

__all__ = [
    "EstimateWarning",
    "MIEstimate",
    "SmallClassWarning",
    "default_estimators",
    "estimate_mi",
]


@limits_threads
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
    batch_networks: bool | str = "auto",
    groups=None,
    sample_weight=None,
    given=None,
    n_jobs=None,
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
    probabilities of the repetitions are averaged. That average is an ensemble, and at
    half size its members (trained on different halves) together see most of the data,
    which flattens the learning curve; so the extrapolation reads both sizes one
    repetition at a time (one model per sample) and extrapolates that curve, and the
    estimate is never below the ensemble's own reading.

    With ``sample_weight`` the reading is the weighted one: the class prior and H(Y)
    are the weighted class frequencies and their entropy, each sample's pointwise MI
    counts with its weight (as MIScorer reads a weighted score), and every candidate is
    fitted with the weights of its training rows; integer weights read as repeated rows
    would on the same folds. The standard error is that of a weighted mean (Kish's
    effective sample size), not that of repeated rows, which are not independent draws.
    Candidates whose ``fit`` takes no ``sample_weight`` are left out (the default
    linear discriminant analysis silently; a candidate you passed with a warning).

    X may be a pandas DataFrame with numeric, boolean, text, categorical and date
    columns and missing cells: every candidate then gets a ``TableEncoder`` (one-hot or
    class-frequency encoding of categories, the median and a missing indicator for
    numbers; docs/tables.md) fitted on its own training rows only, so no held-out row
    shapes the encoding it is scored with. A numeric array with empty cells (NaN) is
    read the same way, as a DataFrame with columns ``x0``, ``x1``, ...

    Unlike [`sklearn.feature_selection.mutual_info_classif`](https://scikit-learn.org/stable/modules/generated/sklearn.feature_selection.mutual_info_classif.html), which gives one value
    per feature, this is the information of the features *jointly*.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels of any type.
    estimator : classifier, list of classifiers, or None, default=None
        Cloned and refitted on every fold. A list is a set of candidates whose held-out
        probabilities are mixed (see above). None uses [`default_estimators`][skmi.default_estimators] (an
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
    batch_networks : bool or "auto", default="auto"
        Train the candidates' networks (MIClassifiers with the default MLP, alone or at
        the end of a Pipeline) of every fold, full-size and half-size, at once as one
        batched network: each keeps its own initial weights, rows, validation split,
        optimizer state and early stopping, and the fitted models are read as any
        other. "auto" does it where the stacked inputs fit in memory (512 MiB on
        the CPU, half the free memory of a GPU); False fits them one after another. The
        two agree up to seed-level noise (the batches are drawn differently); on one
        CPU thread batching was 2 to 6 times faster in ``benchmarks/speed.py --together``.

    groups : array-like of shape (n_samples,) or None, default=None
        Group labels (a patient, a user, a site): no group has rows on both sides of a
        split, so every sample is scored by models that saw no row of its group. With an
        int ``cv`` the folds are ``StratifiedGroupKFold``; a splitter given as ``cv``
        gets the groups. The estimate is then the information that carries over to
        groups not seen in training, which is below I(X; Y) where rows of one group
        share what their features say about the label.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Non-negative weights of the rows (see above); every class needs a positive
        total weight.
    n_jobs : int or None, default=None
        Processes (joblib) that fit the splits at once: the networks of different
        splits in separate stacks, then the other candidates split by split. None or 1:
        all in this process. The reading is the same for every ``n_jobs``, to float
        rounding (each fit is seeded by its split, not by the process it runs in). Inside the call every
        native thread pool runs on one thread (torch, OpenMP, BLAS: pools of several
        threads spin when another process holds a core), so processes are how skmi
        uses more cores; ``joblib.parallel_config(backend="dask")`` sends them to a Dask
        cluster.
    given : array-like, DataFrame, column name(s) of X, or None, default=None
        Z, to estimate the conditional information I(X; Y | Z): what X tells about Y
        beyond what Z does. By the chain rule, I(X, Z; Y) - I(Z; Y), both cross-fitted
        on the same folds and rows with the same seeds; the interval comes from each
        sample's paired difference of the two, not from two independent intervals. The
        estimate lies in ``[0, H(Y) - I(Z;Y)]`` (the second term as estimated, in
        ``given_mi``) and the interval's top at most the population H(Y)'s upper
        limit. With a DataFrame X, ``given`` may name columns of X. A named pandas
        Series is one column of that name.

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
    >>> bool(0 <= result.ci[0] <= result.mi <= result.entropy)
    True
    >>> bool(result.mi <= result.ci[1] <= result.entropy_upper <= np.log(2))
    True
    """
    if not (isinstance(batch_networks, (bool, np.bool_)) or batch_networks == "auto"):
        raise ValueError(f"batch_networks must be True, False or 'auto'; got {batch_networks!r}.")
    options = {
        "estimator": estimator,
        "cv": cv,
        "n_repeats": n_repeats,
        "extrapolate": extrapolate,
        "confidence": confidence,
        "verbose": verbose,
        "batch_networks": batch_networks,
        "groups": groups,
        "sample_weight": sample_weight,
        "n_jobs": n_jobs,
    }
    X = empty_cells_as_table(X, "x")
    warn_suspicious_columns(X, y, stacklevel=4)
    if given is None:
        return _estimate(X, y, check_random_state(random_state), **options)[0]
    X, Z, names = _split_given(X, given)
    joint = _joined(X, Z)
    # one seed for both terms: the same folds, half-size rows and candidate seeds
    seed = check_random_state(random_state).randint(2**31 - 1)
    both, splits, weight = _estimate(joint, y, np.random.RandomState(seed), **options)
    alone = _estimate(Z, y, np.random.RandomState(seed), **options)[0]
    return conditional(both, alone, splits, names, confidence=confidence, sample_weight=weight)


def _estimate(X, y, rng, **options):
    """One estimate of I(X; Y), with its splits and checked weights."""
    reading = _estimate_many([X], y, [rng], **options)[0]
    return reading.result, reading.splits, reading.weight


@dataclass
class _Reading:
    """One of `_estimate_many`'s estimates, with what a caller needs to summarise its
    cross-fitting again with fewer candidates (`resummarised`)."""

    result: MIEstimate
    splits: list
    weight: np.ndarray | None
    fit: object  # the CrossFit
    candidates: list  # every candidate (unfitted), including any that could not be fitted
    summary_rng: np.random.RandomState  # the random state summarise started from
    y_index: np.ndarray
    labels: np.ndarray

    @property
    def candidate_names(self) -> list:
        return candidate_names(self.candidates)

    @property
    def networks(self) -> list:
        """Per candidate: whether it is a network that trains in a batch."""
        return [network_of(candidate) is not None for candidate in self.candidates]


@dataclass
class _Problem:
    """One estimate's checked inputs, candidates, splits and split plans."""

    X: object
    y: np.ndarray
    labels: np.ndarray
    y_index: np.ndarray
    weight: np.ndarray | None
    candidates: list
    splits: list
    plans: list
    rng: np.random.RandomState


def resummarised(reading: _Reading, keep: list, *, extrapolate: bool, confidence: float):
    """The reading's estimate from only the candidates at positions ``keep`` (of
    ``reading.candidate_names``): the same held-out probabilities, mixed again."""
    fit = copy.deepcopy(reading.fit)
    kept_names = [reading.candidate_names[m] for m in keep]
    # named as a reading fitting only these would name them (fewer namesakes to tell apart)
    new_names = candidate_names([reading.candidates[m] for m in keep])
    renamed = dict(zip(kept_names, new_names, strict=True))
    positions = [p for p, name in enumerate(fit.names) if name in kept_names]
    fit.full.keep(positions)
    if fit.half is not None:
        fit.half.keep(positions)
    fit.train_parts = [(train, true[positions]) for train, true in fit.train_parts]
    fit.names = [renamed[fit.names[p]] for p in positions]
    return summarise(
        fit,
        reading.y_index,
        reading.labels,
        extrapolate=extrapolate,
        confidence=confidence,
        rng=copy.deepcopy(reading.summary_rng),
        sample_weight=reading.weight,
    )


def _estimate_many(
    parts,
    y,
    rngs,
    *,
    estimator,
    cv,
    n_repeats,
    extrapolate,
    confidence,
    verbose,
    batch_networks,
    groups,
    sample_weight,
    keep=None,
    n_jobs=None,
    columns=None,
) -> list:
    """Estimates of I(X_p; Y) for several inputs X_p with the same rows (column subsets
    of one table), each with its own random state: per input, (result, splits, checked
    weights, the CrossFit).

    Where ``batch_networks`` allows, the networks of every input, split and size train
    as one batched network per layer shape (`skmi._together.fit_together` groups them;
    inputs of one width, such as the column sets left after dropping one column each,
    share one stack). The other candidates are fitted per input, ``n_jobs`` inputs at a
    time (joblib). Inputs whose random states are equal get equal folds, half-size rows
    and candidate seeds, so that their readings pair (`skmi._result.conditional`).
    ``keep``: positions of the candidates to use (the others are not fitted).
    ``columns``: per input (an array), the positions of the columns to read, or None
    for all; the candidates then read them through `skmi._crossfit.on_columns`, so
    that the networks of every input keep one shape (one stack) whatever the columns.
    Returns a `_Reading` per input.
    """
    columns = [None] * len(parts) if columns is None else columns
    settings = {
        "estimator": estimator,
        "cv": cv,
        "n_repeats": n_repeats,
        "extrapolate": extrapolate,
        "confidence": confidence,
        "groups": groups,
        "sample_weight": sample_weight,
        "keep": keep,
    }
    problems = [
        _prepared(X, y, rng, columns=cols, **settings)
        for X, rng, cols in zip(parts, rngs, columns, strict=True)
    ]
    networks = [None] * len(problems)
    if len(problems) > 1 and batch_networks and sample_weight is None:
        networks = _networks_of_all(problems, batch_networks)
    options = {
        "extrapolate": extrapolate,
        "confidence": confidence,
        "verbose": verbose,
        "batch_networks": batch_networks,
    }
    if len(problems) == 1:  # one input: its splits are what runs in parallel
        return [_finished(problems[0], networks[0], **options, n_jobs=n_jobs)]
    finish = functools.partial(_finished, **options)
    return parallel(finish, zip(problems, networks, strict=True), n_jobs)


def _prepared(
    X,
    y,
    rng,
    *,
    estimator,
    cv,
    n_repeats,
    extrapolate,
    confidence,
    groups,
    sample_weight,
    keep,
    columns,
) -> _Problem:
    X, y, labels, y_index = _checked_inputs(X, y, confidence)
    groups = _checked_groups(groups, len(y))
    weight = _checked_weights(sample_weight, y_index, labels)
    repeats = resolve_repeats(n_repeats, cv, len(y))
    candidates = candidates_for(estimator, rng, training_rows_per_fold(cv, X, y_index), len(labels))
    if keep is not None:
        candidates = [candidates[m] for m in keep]
    if columns is not None:
        candidates = [on_columns(candidate, columns) for candidate in candidates]
    if weight is not None:
        candidates = _taking_weights(candidates, quiet=estimator is None)
    if is_frame(X):
        candidates = [behind_table_encoder(candidate) for candidate in candidates]
    splits = make_splits(cv, repeats, X, y, y_index, rng, groups)
    plans = plan_splits(splits, y_index, rng, extrapolate)
    return _Problem(X, y, labels, y_index, weight, candidates, splits, plans, rng)


def _networks_of_all(problems, batch_networks) -> list:
    """Every problem's networks trained together: per problem, (prefit, failed) for
    `cross_fit`, or None for all when batching does not pay (then each trains its own)."""
    jobs, keys, spans = [], [], []  # spans: each problem's jobs, start and stop
    for problem in problems:
        problem_jobs, problem_keys = network_jobs(
            problem.candidates, problem.plans, problem.y_index
        )
        # the rows key: inputs that are one array share the networks' quantile maps
        jobs += [
            (model, problem.X, problem.y, rows, (id(problem.X), rows.tobytes()))
            for model, rows in problem_jobs
        ]
        spans.append((len(keys), len(keys) + len(problem_keys)))
        keys += problem_keys
    if not jobs:
        return [None] * len(problems)
    outcomes = train_networks(jobs, batch_networks, network_input=SharedNetworkInputs())
    if outcomes is None:
        return [None] * len(problems)
    out = []
    for problem, (start, stop) in zip(problems, spans, strict=True):
        failed: dict = {}
        prefit = fitted_networks(
            keys[start:stop], outcomes[start:stop], len(problem.candidates), failed
        )
        out.append((prefit, failed))
    return out


def _finished(
    problem: _Problem, networks, *, extrapolate, confidence, verbose, batch_networks, n_jobs=None
):
    """Cross-fit the problem (its networks prefit where ``networks`` says; ``n_jobs``
    splits at a time) and summarise."""
    prefit, failed = networks if networks is not None else (None, None)
    fit = cross_fit(
        problem.candidates,
        problem.X,
        problem.y,
        problem.labels,
        problem.y_index,
        problem.splits,
        extrapolate=extrapolate,
        plans=problem.plans,
        verbose=verbose,
        batch_networks=batch_networks,
        sample_weight=problem.weight,
        prefit=prefit,
        failed=failed,
        n_jobs=n_jobs,
    )
    summary_rng = copy.deepcopy(problem.rng)
    result = summarise(
        fit,
        problem.y_index,
        problem.labels,
        extrapolate=extrapolate,
        confidence=confidence,
        rng=problem.rng,
        sample_weight=problem.weight,
    )
    return _Reading(
        result,
        problem.splits,
        problem.weight,
        fit,
        problem.candidates,
        summary_rng,
        problem.y_index,
        problem.labels,
    )


def _split_given(X, given):
    """X without Z, Z, and Z's column names."""
    import pandas as pd

    names_given = isinstance(given, str) or (
        isinstance(given, (list, tuple)) and given and all(isinstance(g, str) for g in given)
    )
    if names_given:
        if not is_frame(X):
            raise TypeError("given= names columns only when X is a DataFrame.")
        names = [given] if isinstance(given, str) else list(given)
        missing = [n for n in names if n not in X.columns]
        if missing:
            raise ValueError(f"given names column(s) {missing} that X does not have.")
        rest = X.drop(columns=names)
        if rest.shape[1] == 0:
            raise ValueError("given= names every column of X: nothing is left to measure.")
        return rest, X[names], tuple(names)
    n = len(X)
    if getattr(given, "name", None) is not None and hasattr(given, "to_frame"):
        given = given.to_frame()  # a named pandas Series: one column of that name
    if is_frame(given):
        Z = given.reset_index(drop=True)
        names = tuple(str(c) for c in Z.columns)
    else:
        Z = np.asarray(given)
        if Z.ndim == 1:
            Z = Z.reshape(-1, 1)
        if Z.ndim != 2:
            raise ValueError(f"given must be 1-D or 2-D; got {Z.ndim} dimensions.")
        names = tuple(f"Z[{j}]" for j in range(Z.shape[1]))
        # text, a table X, or empty cells (read as a table's): Z joins as a DataFrame
        if Z.dtype.kind in "OUS" or is_frame(X) or has_empty_cells(Z):
            Z = pd.DataFrame(Z, columns=list(names))
    if len(Z) != n:
        raise ValueError(f"given has {len(Z)} rows but X has {n}.")
    return X, Z, names


def _joined(X, Z):
    """X and Z side by side (a DataFrame when either is one)."""
    import pandas as pd

    if not is_frame(X) and not is_frame(Z):
        return np.hstack([np.asarray(X, dtype=np.float64), np.asarray(Z, dtype=np.float64)])
    X = X.reset_index(drop=True) if is_frame(X) else pd.DataFrame(np.asarray(X)).add_prefix("X")
    Z = Z.reset_index(drop=True) if is_frame(Z) else pd.DataFrame(np.asarray(Z)).add_prefix("Z")
    clash = set(map(str, X.columns)) & set(map(str, Z.columns))
    if clash:
        Z = Z.add_prefix("given: ")
    return pd.concat([X, Z], axis=1)


def _checked_inputs(X, y, confidence):
    """X as a finite float array (or a checked DataFrame that needs encoding), y as 1-D
    labels, and the sorted labels with each sample's index among them."""
    if is_frame(X) and needs_encoding(X):
        y = check_labels(y, len(X))
        TableEncoder().validate_table(X, y)  # the whole table's problems, named, once
        X = X.set_axis([str(c) for c in X.columns], axis=1)
    else:
        check_numeric_features(X, "estimate_mi")
        X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if y.dtype.kind == "f" and np.isnan(y).any():
            raise ValueError(f"y contains NaN ({int(np.isnan(y).sum())} labels); drop those rows.")
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {len(y)}.")
        check_labels(y)
    check_classification_targets(y)
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    labels, y_index = np.unique(y, return_inverse=True)
    if len(labels) < 2:
        raise ValueError(f"estimate_mi needs at least 2 classes; got 1 ({plain(labels[0])!r}).")
    return X, y, labels, y_index


def _checked_groups(groups, n_samples: int):
    if groups is None:
        return None
    groups = column_or_1d(np.asarray(groups, dtype=object), warn=True)
    if len(groups) != n_samples:
        raise ValueError(f"groups has {len(groups)} entries but X has {n_samples} rows.")
    if any(g is None or (isinstance(g, float) and g != g) for g in groups):
        raise ValueError("groups has missing entries (None or NaN); give every row a group.")
    return np.unique(groups.astype(str), return_inverse=True)[1]


def _checked_weights(sample_weight, y_index, labels):
    if sample_weight is None:
        return None
    if np.size(sample_weight) != len(y_index):
        raise ValueError(
            f"sample_weight has {np.size(sample_weight)} entries but there are "
            f"{len(y_index)} samples."
        )
    weight = check_sample_weight(sample_weight, y_index)  # finite, non-negative
    totals = np.bincount(y_index, weights=weight, minlength=len(labels))
    if np.any(totals <= 0):
        empty = [plain(label) for label in labels[totals <= 0]]
        raise ValueError(f"classes {empty} have no positive sample_weight; every class needs some.")
    return weight


def _taking_weights(candidates, *, quiet: bool) -> list:
    """The candidates whose model takes ``sample_weight``; the others are left out (with
    a warning, unless they are defaults the user did not choose)."""
    from sklearn.utils.validation import has_fit_parameter

    from skmi._pmi import final_estimator

    kept, left = [], []
    for candidate in candidates:
        final = final_estimator(candidate)
        (kept if has_fit_parameter(final, "sample_weight") else left).append(candidate)
    if not kept:
        raise ValueError("No candidate takes sample_weight: pass estimators whose fit accepts it.")
    if left and not quiet:
        names = sorted({type(final_estimator(c)).__name__ for c in left})
        warnings.warn(
            f"{', '.join(names)} take(s) no sample_weight and were left out of the candidates.",
            EstimateWarning,
            stacklevel=3,
        )
    return kept


def behind_table_encoder(candidate):
    """The candidate with a TableEncoder as its first step (fitted, as the candidate is,
    on each training part), flattened into the candidate's own Pipeline."""
    encoder = ("tableencoder", TableEncoder(validate=False))
    if isinstance(candidate, Pipeline):
        return Pipeline([encoder, *candidate.steps], memory=candidate.memory)
    return Pipeline([encoder, ("model", candidate)])
