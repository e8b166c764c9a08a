"""The cross-fitting of estimate_mi: folds (repeated at small n), every candidate
fitted on each training part (and on a random half of it, for the extrapolation), and
the held-out class probabilities each sample gets from models that did not see it."""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    check_cv,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from skmi._candidates import _NormalScores, _SubsetColumns, candidate_names, seeded_clone
from skmi._encoding import TableEncoder
from skmi._pmi import empirical_log_prior, model_pmi_table, pmi_of_mixture
from skmi._threads import parallel
from skmi._together import fit_together, network_of, pays_to_batch
from skmi._validation import plain
from skmi._warnings import EstimateWarning, SmallClassWarning

# n_repeats="auto": repeat the cross-fitting until about this many rows have been scored
# (at most _MAX_REPEATS times): cheap at small n, where one split's luck dominates.
_AUTO_REPEAT_ROWS = 1000
_MAX_REPEATS = 3
# The mixture weights are fitted on at most this many rows (EM costs n x candidates).
_MIXTURE_ROWS = 200_000
# The prior's weight in the forced mixture of the interval's resolution: a floor under
# the candidates' zero probabilities (a reading is then at least log of it per sample).
_FORCED_PRIOR_WEIGHT = 1e-3


@dataclass
class CrossFit:
    """What the cross-fitting leaves: held-out probabilities of the full-size and the
    half-size models (``half`` is None without extrapolation), each split's training
    rows with the true-class probabilities there, the candidates' names and the splits."""

    full: Readings
    half: Readings | None
    train_parts: list
    names: list
    splits: list


def cross_fit(
    candidates,
    X,
    y,
    labels,
    y_index,
    splits,
    *,
    extrapolate,
    plans,
    verbose,
    batch_networks="auto",
    sample_weight=None,
    prefit=None,
    failed=None,
    n_jobs=None,
) -> CrossFit:
    """Fit every candidate on every split; a candidate that fails is left out, with a
    warning (the error is raised when it is the only one).

    The candidates' networks (MIClassifiers, alone or ending a Pipeline) of every
    split, full-size and half-size, are trained together as one batched network
    (`skmi._together`) where ``batch_networks`` says so; the other candidates are
    fitted one split at a time. With ``sample_weight`` every candidate is fitted with
    the weights of its rows (one at a time: the batched trainer takes none), and the
    held-out probabilities are read under the weighted class prior.

    ``plans`` are `plan_splits`'. ``prefit`` and ``failed``: networks already trained
    (with those of other column subsets, `skmi._estimate._estimate_many`), by (split,
    candidate), and the candidates whose training failed there; None trains them here.
    ``n_jobs``: splits fitted at a time, in joblib's processes.
    """
    n, n_classes = len(y), len(labels)
    log_prior = empirical_log_prior(y_index, n_classes, sample_weight)
    full = Readings(len(candidates), n, n_classes)
    half = Readings(len(candidates), n, n_classes) if extrapolate else None
    train_parts = []  # (training rows, true-class probabilities of each candidate)
    # candidate -> why it could not be fitted; it is then left out
    failed = {} if failed is None else dict(failed)
    progress = progress_bar(len(splits), verbose)
    if sample_weight is not None:
        batch_networks = False
    if prefit is None:
        prefit = _fit_networks_together(
            candidates,
            X,
            y,
            plans,
            batch_networks,
            failed,
            progress=progress,
            y_index=y_index,
            n_jobs=n_jobs,
        )
    _warn_one_class_parts(plans, y_index, labels)
    # each split's fits are independent: n_jobs processes take them (skmi._threads)
    fitted_splits = parallel(
        functools.partial(
            _fit_split,
            candidates=candidates,
            X=X,
            y=y,
            labels=labels,
            y_index=y_index,
            log_prior=log_prior,
            extrapolate=extrapolate,
            sample_weight=sample_weight,
            skip=dict(failed),
            single=len(candidates) == 1,
        ),
        [
            (plan, {m: models for (s, m), models in prefit.items() if s == i})
            for i, plan in enumerate(plans)
        ],
        n_jobs,
        on_done=lambda: progress.update(1),
    )
    for (train, test, _, _), (readings, train_true, failures) in zip(
        plans, fitted_splits, strict=True
    ):
        for m, (full_proba, half_proba) in enumerate(readings):
            full.add(m, test, full_proba)
            if extrapolate:
                half.add(m, test, half_proba)
        full.next_split(test)
        if extrapolate:
            half.next_split(test)
        train_parts.append((train, train_true))
        for m, reason in failures.items():
            failed.setdefault(m, reason)
    progress.close()
    if np.any(full.counts == 0):
        raise ValueError(
            f"cv must put every sample in a test fold; {int(np.sum(full.counts == 0))} "
            "sample(s) were never scored."
        )
    names = candidate_names(candidates)
    if failed:
        keep = [m for m in range(len(candidates)) if m not in failed]
        if not keep:
            raise ValueError(f"No candidate could be fitted: {list(failed.values())}")
        for m, reason in failed.items():
            warnings.warn(
                f"Candidate {names[m]} could not be fitted and was left out: {reason}",
                EstimateWarning,
                stacklevel=3,
            )
        names = [names[m] for m in keep]
        full.keep(keep)
        if extrapolate:
            half.keep(keep)
        train_parts = [(train, true[keep]) for train, true in train_parts]

    return CrossFit(full, half, train_parts, names, splits)


def _fit_split(
    plan,
    prefit,
    *,
    candidates,
    X,
    y,
    labels,
    y_index,
    log_prior,
    extrapolate,
    sample_weight,
    skip,
    single,
):
    """One split's fits: per candidate the held-out probabilities (full size, half
    size), the true-class probabilities on the training rows, and the candidates that
    failed there with why (a candidate's own ValueError, e.g. a validation split too
    small for a class; raised when it is the only candidate). ``prefit``: this split's
    networks trained elsewhere, by candidate; ``skip``: candidates already left out."""
    train, test, seed, half_rows = plan
    n_classes = len(labels)
    train_true = np.zeros((len(candidates), len(train)))
    inputs = SharedInputs(X, y, {"train": train, "test": test, "half": half_rows}, sample_weight)
    nothing = np.zeros((len(test), n_classes))
    readings, failures = [], {}
    for m, candidate in enumerate(candidates):
        if m in skip:
            readings.append((nothing, nothing))
            continue
        # only the candidate's own fit may fail (and be left out); skmi's reading of a
        # fitted model raises like any other error of skmi's
        try:
            if m in prefit:
                model, half_model = prefit[m]
                inputs.add(model, "train")
                if half_model is not None:
                    inputs.add(half_model, "half")
            else:
                model = _fit_or_frequencies(inputs, candidate, seed, "train", labels, y_index)
                half_model = None
                if extrapolate:
                    half_model = _fit_or_frequencies(
                        inputs, candidate, seed, "half", labels, y_index
                    )
        except ValueError as exc:  # e.g. a validation split too small for a class
            if single:
                raise
            failures[m] = str(exc)
            readings.append((nothing, nothing))
            continue
        full_proba = inputs.posterior(model, "test", labels, log_prior)
        train_true[m] = inputs.posterior(model, "train", labels, log_prior)[
            np.arange(len(train)), y_index[train]
        ]
        half_proba = nothing
        if extrapolate:
            half_proba = inputs.posterior(half_model, "test", labels, log_prior)
        readings.append((full_proba, half_proba))
    return readings, train_true, failures


class ClassFrequencies(ClassifierMixin, BaseEstimator):
    """What a training part of one class can teach: the class frequencies of its rows,
    with one pseudo-row of each label (a label it never saw keeps a small probability).
    A candidate is not fitted on such a part (most classifiers refuse one class), and
    this reads in its place there."""

    def __init__(self, labels=()):
        self.labels = labels

    def fit(self, X, y):
        self.classes_ = np.asarray(self.labels)
        counts = np.array([np.sum(y == label) for label in self.classes_], dtype=float)
        self.frequencies_ = (counts + 1) / (counts.sum() + len(counts))
        return self

    def predict_proba(self, X):
        return np.tile(self.frequencies_, (len(X), 1))


def _fit_or_frequencies(inputs, candidate, seed, rows: str, labels, y_index):
    """The candidate fitted on ``rows``, or `ClassFrequencies` where they hold one class."""
    if len(np.unique(y_index[inputs.rows[rows]])) < 2:
        return ClassFrequencies(labels=tuple(labels)).fit(None, inputs.y[inputs.rows[rows]])
    return inputs.fit(seeded_clone(candidate, seed), rows)


def plan_splits(splits, y_index, rng, extrapolate: bool) -> list:
    """Per split: its training and test rows, its seed and its half-size rows (None
    without extrapolation)."""
    plans = []
    for train, test in splits:
        seed = rng.randint(2**31 - 1)
        plans.append((train, test, seed, half_split(train, y_index, seed) if extrapolate else None))
    return plans


def _fit_networks_together(
    candidates, X, y, plans, batch_networks, failed, *, progress, y_index, n_jobs=None
):
    """The batched networks' fitted models, by (split, candidate): (full, half or None).

    A candidate whose fit fails on some split is entered in ``failed`` (or its error
    raised when it is the only candidate), as in the one-at-a-time path. With
    ``n_jobs`` > 1 the splits are dealt out to that many stacks, trained in joblib's
    processes (each network's initial weights, rows, batches and stopping are its own:
    which stack it trains in does not change it).
    """
    if not batch_networks:  # False (or numpy's False)
        return {}
    jobs, keys = network_jobs(candidates, plans, y_index)
    if not jobs:
        return {}
    progress.set_postfix_str(f"training {len(jobs)} networks together")
    stacks = _dealt_by_split(keys, 1 if n_jobs in (None, 1) else n_jobs)
    trained = parallel(
        train_networks,
        [
            ([(jobs[i][0], X, y, jobs[i][1], None) for i in stack], batch_networks)
            for stack in stacks
        ],
        n_jobs,
    )
    progress.set_postfix_str("")
    # a stack where batching does not pay (None) leaves its networks to the splits
    done = [(stack, outcomes) for stack, outcomes in zip(stacks, trained, strict=True) if outcomes]
    return fitted_networks(
        [keys[i] for stack, _ in done for i in stack],
        [outcome for _, outcomes in done for outcome in outcomes],
        len(candidates),
        failed,
    )


def _dealt_by_split(keys, n_stacks: int) -> list:
    """Positions of ``keys`` ((split, candidate, size)) in ``n_stacks`` groups of whole
    splits, of about equal numbers of splits."""
    splits = sorted({key[0] for key in keys})
    stack_of = {s: i * n_stacks // len(splits) for i, s in enumerate(splits)}
    stacks = [[p for p, key in enumerate(keys) if stack_of[key[0]] == k] for k in range(n_stacks)]
    return [stack for stack in stacks if stack]


def train_networks(jobs, batch_networks, network_input=None) -> list | None:
    """`fit_together` over ``(model, X, y, rows, rows key)`` jobs, or None where
    ``batch_networks`` is "auto" and batching does not pay (`pays_to_batch`)."""
    nets = [network_of(model) for model, *_ in jobs]
    # float32 copies of every network's inputs
    input_bytes = sum(4 * len(rows) * X.shape[1] for _, X, _, rows, _ in jobs)
    if isinstance(batch_networks, str) and not pays_to_batch(nets, input_bytes):
        return None
    # a generator: each job's rows are copied out of X only while it is prepared
    return fit_together(
        ((model, take(X, rows), y[rows], key) for model, X, y, rows, key in jobs),
        network_input=network_input,
    )


def network_jobs(candidates, plans, y_index=None) -> tuple[list, list]:
    """The networks to train for these candidates and splits: (model, its training
    rows) and their keys (split, candidate, 0 for full size or 1 for half). A part
    whose rows hold one class (of ``y_index``) trains no network (`ClassFrequencies`
    reads there)."""
    batched = [m for m, candidate in enumerate(candidates) if network_of(candidate) is not None]
    jobs, keys = [], []
    for s, (train, _, seed, half_rows) in enumerate(plans):
        for m in batched:
            for part, rows in ((0, train), (1, half_rows)):
                one_class = y_index is not None and rows is not None and _one_class(y_index[rows])
                if rows is not None and not one_class:
                    jobs.append((seeded_clone(candidates[m], seed), rows))
                    keys.append((s, m, part))
    return jobs, keys


def _warn_one_class_parts(plans, y_index, labels) -> None:
    """Say where a training part held one class (`ClassFrequencies` read there)."""
    parts = [
        rows
        for train, _, _, half_rows in plans
        for rows in (train, half_rows)
        if rows is not None and _one_class(y_index[rows])
    ]
    if not parts:
        return
    counts = np.bincount(y_index, minlength=len(labels))
    rarest = int(np.argmin(counts))
    warnings.warn(
        f"{len(parts)} training part(s) of the cross-fitting held one class only (class "
        f"{plain(labels[rarest])!r} has {int(counts[rarest])} row(s)): the candidates read "
        "its class frequencies there, so what they learnt elsewhere about the missing "
        "classes is not used for those rows.",
        SmallClassWarning,
        stacklevel=4,
    )


def _one_class(y_rows) -> bool:
    return len(np.unique(y_rows)) < 2


def fitted_networks(keys, outcomes, n_candidates: int, failed: dict) -> dict:
    """`fit_together`'s outcomes by (split, candidate): (full, half or None); a
    candidate that failed anywhere is entered in ``failed`` and left out (its error is
    raised when it is the only candidate)."""
    prefit: dict = {}
    for (s, m, part), outcome in zip(keys, outcomes, strict=True):
        if isinstance(outcome, ValueError):
            if n_candidates == 1:
                raise outcome
            failed.setdefault(m, str(outcome))
            continue
        prefit.setdefault((s, m), [None, None])[part] = outcome
    return {key: tuple(models) for key, models in prefit.items() if key[1] not in failed}


class Readings:
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

    def mixture_weights(self, y_index, prior, rng, sample_weight=None) -> np.ndarray:
        """Mixture weights (prior first) maximising the (weighted) mean log-likelihood of
        the labels."""
        proba = self.mean_proba()
        true = proba[:, np.arange(len(y_index)), y_index]  # (candidates, n)
        columns = np.vstack([prior[y_index][None, :], true]).T
        return _em_on_rows(columns, rng, sample_weight)

    def forced_weights(self, y_index, prior, rng, sample_weight=None) -> np.ndarray:
        """Mixture weights (prior first) with the prior's weight held at
        ``_FORCED_PRIOR_WEIGHT``: the candidates must read, the prior only floors their
        zero probabilities (the interval's resolution, see `summarise`)."""
        proba = self.mean_proba()
        true = proba[:, np.arange(len(y_index)), y_index]  # (candidates, n)
        floor = _FORCED_PRIOR_WEIGHT
        columns = ((1 - floor) * true + floor * prior[y_index][None, :]).T
        candidates = _em_on_rows(columns, rng, sample_weight)
        return np.concatenate([[floor], (1 - floor) * candidates])

    def mixture_pmi(self, weights, prior) -> np.ndarray:
        """``log q(k|x) - log pi_k`` of the mixture, for every sample and class."""
        return pmi_of_mixture(weights, self.mean_proba(), prior)

    def per_repeat_readings(self, weights, y_index, prior) -> np.ndarray:
        """The plain reading of each complete repetition, under the given weights."""
        return np.asarray([float(pmi.mean()) for pmi in self.repeat_pmi(weights, y_index, prior)])

    def single_model_pmi(self, weights, y_index, prior) -> np.ndarray | None:
        """Each sample's pointwise MI under the models of one repetition, averaged over
        the repetitions (see `single_model_mean`)."""
        return self.single_model_mean(self.repeat_pmi(weights, y_index, prior))

    def single_model_mean(self, repeat_pmi: list) -> np.ndarray | None:
        """The mean over repetitions of ``repeat_pmi`` (from `repeat_pmi`): the mean of
        logs, not the log of the averaged probabilities.

        None unless every sample was scored in each of two or more complete
        repetitions, or where a repetition's model gives a sample's class no
        probability that the mixture could floor (no prior weight).
        """
        n_repeats = len(self.repeats)
        if n_repeats < 2 or np.any(self.counts != n_repeats) or len(repeat_pmi) != n_repeats:
            return None
        pmi = np.mean(repeat_pmi, axis=0)
        return pmi if np.all(np.isfinite(pmi)) else None

    def repeat_pmi(self, weights, y_index, prior) -> list:
        """Pointwise MI of the samples (in sample order) of each complete repetition,
        under its models."""
        n = len(self.counts)
        out = []
        for parts in self.repeats:
            rows = np.concatenate([r for r, _ in parts])
            if len(rows) != n:
                continue  # a splitter that scores only some samples this many times
            true = np.concatenate(
                [p[:, np.arange(len(r)), y_index[r]] for r, p in parts], axis=1
            )  # (candidates, n) in the order of rows
            out.append(pmi_of_mixture(weights, true, prior[y_index[rows]])[np.argsort(rows)])
        return out


def _em_on_rows(columns: np.ndarray, rng, sample_weight=None) -> np.ndarray:
    """`_em_mixture_weights` on at most ``_MIXTURE_ROWS`` rows (a random subset)."""
    if len(columns) > _MIXTURE_ROWS:
        rows = rng.choice(len(columns), _MIXTURE_ROWS, replace=False)
        columns = columns[rows]
        sample_weight = None if sample_weight is None else sample_weight[rows]
    return _em_mixture_weights(columns, sample_weight=sample_weight)


def _em_mixture_weights(
    columns: np.ndarray, n_iter: int = 2000, tol: float = 1e-10, sample_weight=None
):
    """Weights on the simplex maximising ``mean log(columns @ w)`` (EM; the objective is
    concave, so EM climbs to its maximum). Column 0 is the prior, positive everywhere.

    EM approaches a maximum on the simplex's edge slowly; where it stops short of the
    prior alone (weight 1 on column 0, which reads exactly 0), the prior alone is taken,
    so the reading is never below 0.
    """

    def mean(values, axis=None):
        if sample_weight is None:
            return values.mean(axis=axis)
        return np.average(values, axis=axis, weights=sample_weight)

    # each row's share of the mean: the update's column means are one matrix product
    share = (
        np.full(len(columns), 1.0 / len(columns))
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64) / np.sum(sample_weight)
    )
    transposed = np.ascontiguousarray(columns.T)
    weights = np.full(columns.shape[1], 1.0 / columns.shape[1])
    for _ in range(n_iter):
        mixed = columns @ weights
        updated = weights * (transposed @ (share / mixed))
        updated /= updated.sum()
        done = np.max(np.abs(updated - weights)) < tol
        weights = updated
        if done:
            break
    prior_only = np.eye(columns.shape[1])[0]
    if mean(np.log(columns @ weights)) < mean(np.log(columns[:, 0])):
        return prior_only
    return weights


def resolve_repeats(n_repeats, cv, n_samples: int) -> int:
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


def make_splits(cv, repeats: int, X, y, y_index, rng, groups=None) -> list:
    """The (training rows, test rows) of each split. With ``groups`` no group has rows on
    both sides of a split (an int ``cv`` is then a StratifiedGroupKFold, repeated with
    new seeds)."""
    if isinstance(cv, (int, np.integer)):
        if cv < 2:
            raise ValueError(f"cv must be at least 2; got {cv}.")
        counts = np.bincount(y_index)
        smallest = int(counts.min())
        if smallest < cv:
            few = [
                f"{plain(label)!r} ({int(count)} sample(s))"
                for label, count in zip(np.unique(y), counts, strict=True)
                if count < cv
            ]
            warnings.warn(
                f"Classes with fewer samples than the {int(cv)} folds: {', '.join(few)}. "
                "Some training parts lack them, and their share of the estimate is "
                "underestimated.",
                SmallClassWarning,
                stacklevel=3,
            )
        seed = rng.randint(2**31 - 1)
        if groups is not None:
            if len(np.unique(groups)) < cv:
                raise ValueError(
                    f"cv={int(cv)} folds need at least {int(cv)} groups; got "
                    f"{len(np.unique(groups))}."
                )
            splits = []
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The least populated class")
                for r in range(repeats):
                    splitter = StratifiedGroupKFold(int(cv), shuffle=True, random_state=seed + r)
                    splits.extend(splitter.split(X, y_index, groups))
            return splits
        if repeats == 1:
            cv = StratifiedKFold(int(cv), shuffle=True, random_state=seed)
        else:
            cv = RepeatedStratifiedKFold(n_splits=int(cv), n_repeats=repeats, random_state=seed)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            return list(cv.split(X, y_index))
    return list(check_cv(cv, y, classifier=True).split(X, y_index, groups))


def half_split(train, y_index, seed) -> np.ndarray:
    """A random half of ``train``, stratified: ceil(n_k / 2) rows of each class k."""
    rng = np.random.RandomState(seed)
    chosen = []
    for k in np.unique(y_index[train]):
        members = train[y_index[train] == k]
        chosen.append(rng.permutation(members)[: math.ceil(len(members) / 2)])
    return np.sort(np.concatenate(chosen))


class SharedInputs:
    """One split's rows (``"train"``, ``"test"``, ``"half"``), and the input steps that
    candidates starting with the same ones share.

    The default candidates all start with the same ``_NormalScores`` (same parameters,
    same seed), behind the same ``TableEncoder`` when X is a table: fitted on the same
    rows they are the same transform, so they are fitted once per row set and each row
    set is transformed once by them, instead of once per candidate and use (a fit, and
    the training and test rows' posteriors): the same numbers, 1.36x faster calls at
    n = 3,000 on the CPU (benchmarks/shared_inputs.py). Other candidates are fitted and
    read as they are.
    """

    def __init__(self, X, y, rows: dict, sample_weight=None):
        self.X, self.y, self.rows = X, y, rows
        self.sample_weight = sample_weight
        self.fitted = {}  # (rows fitted on, the steps' parameters) -> the fitted steps
        self.outputs = {}  # (id of fitted steps, rows) -> the rows transformed

    def add(self, model, fitted_on: str) -> None:
        """A model fitted elsewhere on ``fitted_on``: its input steps may be shared."""
        k = shared_steps(model)
        # not a TableEncoder's: its training rows' output (cross-fitted class frequencies
        # of many-level columns) was not kept, and transform would not reproduce it
        if k and type(model.steps[0][1]) is not TableEncoder:
            self.fitted.setdefault((fitted_on, _params_key(model[:k])), model[:k])

    def fit(self, model, rows: str):
        k = shared_steps(model)
        y = self.y[self.rows[rows]]
        weight = None if self.sample_weight is None else self.sample_weight[self.rows[rows]]
        if not k:
            return model.fit(take(self.X, self.rows[rows]), y, **weight_params(model, weight))
        key = (rows, _params_key(model[:k]))
        if key in self.fitted:  # X's rows are not copied again: their output is kept
            steps = self.fitted[key]
            transformed = self.transformed(steps, rows)
        else:
            steps = model[:k]
            transformed = steps.fit_transform(take(self.X, self.rows[rows]), y)
            self.fitted[key] = steps
            self.outputs[_identity(steps), rows] = transformed
        model.steps[:k] = steps.steps
        rest = model[k:]  # the slice holds the model's own steps
        rest.fit(transformed, y, **weight_params(rest, weight))
        return model

    def transformed(self, steps, rows: str) -> np.ndarray:
        key = (_identity(steps), rows)
        if key not in self.outputs:
            self.outputs[key] = steps.transform(take(self.X, self.rows[rows]))
        return self.outputs[key]

    def posterior(self, model, rows: str, labels, log_prior) -> np.ndarray:
        k = shared_steps(model)
        if not k:
            return posterior(model, take(self.X, self.rows[rows]), labels, log_prior)
        return posterior(model[k:], self.transformed(model[:k], rows), labels, log_prior)


def on_columns(candidate, columns):
    """The candidate reading only ``columns`` of an array.

    A network (an MIClassifier that trains in a batch) keeps every column, the others
    set to 0 just before it (after its input steps, such as the quantile map, which are
    then the same for every column set and fitted once per training part:
    `SharedNetworkInputs`): constant, they reach its first layer as 0 (its
    standardisation gives a constant column scale 1), so they neither add to its output
    nor get a gradient, while its layers keep the shapes of the network of all the
    columns. Networks of any column subsets of one table then train in one batched
    stack, and every subset is read by the same architecture. Other candidates get the
    columns themselves.
    """
    step = _SubsetColumns(columns=tuple(int(c) for c in columns))
    steps = candidate.steps if isinstance(candidate, Pipeline) else [("model", candidate)]
    if network_of(candidate) is not None:
        step.set_params(zero_others=True)
        return Pipeline([*steps[:-1], ("subsetcolumns", step), steps[-1]])
    return Pipeline([("subsetcolumns", step), *steps])


class SharedNetworkInputs:
    """For `skmi._together.fit_together`: what a job's network is fed, X through the
    pipeline's steps before it, with a leading quantile map (``_NormalScores``) fitted
    once per rows key and parameters. Jobs on the same rows of one array (column sets
    read through `on_columns`, where the map sees every column) then share one fitted
    map and its output."""

    def __init__(self):
        self.maps: dict = {}  # (rows key, the map's parameters) -> (fitted map, its output)

    def __call__(self, model, X, y, rows_key):
        if rows_key is None or type(model.steps[0][1]) is not _NormalScores or len(model) < 3:
            return model[:-1].fit_transform(X, y)
        key = (rows_key, _params_key(model[:1]))
        if key not in self.maps:
            first = model[:1]
            self.maps[key] = (first, first.fit_transform(X, y))
        first, output = self.maps[key]
        model.steps[:1] = first.steps
        return model[1:-1].fit_transform(output, y)


def shared_steps(model) -> int:
    """How many leading steps of a pipeline can be shared: a TableEncoder, a column
    subset (`skmi._crossfit.on_columns`), a quantile transform, in that order, or
    some of them; 0 when none (or nothing would be left to fit)."""
    if not isinstance(model, Pipeline):
        return 0
    k = 0
    if k < len(model.steps) and type(model.steps[k][1]) is TableEncoder:
        k += 1
    if k < len(model.steps) and type(model.steps[k][1]) is _SubsetColumns:
        k += 1
    if k < len(model.steps) and type(model.steps[k][1]) is _NormalScores:
        k += 1
    return k if k < len(model.steps) else 0


def weight_params(model, weight) -> dict:
    """The fit parameters that pass ``weight`` to a model (a Pipeline's last step)."""
    if weight is None:
        return {}
    if isinstance(model, Pipeline):
        return {f"{model.steps[-1][0]}__sample_weight": weight}
    return {"sample_weight": weight}


def _identity(steps) -> tuple:
    """The fitted step objects of a pipeline slice (slices are new objects each time)."""
    return tuple(id(step) for _, step in steps.steps)


def take(X, rows):
    """Rows of an array or a DataFrame."""
    return _safe_indexing(X, rows)


def _params_key(steps) -> tuple:
    return tuple(
        (type(step).__name__, tuple(sorted((n, repr(v)) for n, v in step.get_params().items())))
        for _, step in steps.steps
    )


def posterior(model, X, labels, log_prior) -> np.ndarray:
    """``q(k|x)`` under the scored data's prior, columns in the order of ``labels``."""
    table = model_pmi_table(model, X, log_prior, labels)
    return np.exp(table.values + log_prior)


def progress_bar(total: int, verbose: int):
    from tqdm.auto import tqdm  # a dependency of skorch

    return tqdm(total=total, desc="estimate_mi folds", unit="fold", disable=not verbose)
