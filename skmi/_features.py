"""Which features carry the information: each feature's (or group's) information alone,
I(X_j; Y), and its unique information beyond all the others, I(X_j; Y | X_-j)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skmi._encoding import empty_cells_as_table, is_frame, series_as_table
from skmi._estimate import _estimate_many, _prepared, resummarised
from skmi._leaks import warn_suspicious_columns
from skmi._masked import MaskedReader, atoms_of
from skmi._result import MIEstimate, conditional
from skmi._threads import limits_threads

READERS = ("auto", "masked", "refit")
# features listed by str() and repr() (to_frame() has every one)
_SHOWN_ROWS = 20


def _with_interval(estimate) -> str:
    low, high = estimate.ci
    return f"{estimate.mi:.4f} [{low:.4f}, {high:.4f}]"


# Default candidates (but the network) with less weight than this in the all-features
# reading's mixture are not fitted for the column subsets: on 3,000 x 16 the random
# forest cost more than half of each reading and took no weight where the boosted
# trees fitted (benchmarks/features_cost.py times both).
_USED_WEIGHT = 0.01


@dataclass
class FeatureInformation:
    """Per feature (or named group of columns): ``alone`` I(X_j; Y) and ``unique``
    I(X_j; Y | all other features), each an [`MIEstimate`][skmi.MIEstimate] with its
    interval, and ``total`` I(X; Y) of all features (from the same folds, seeds and
    candidates as every ``unique``).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import feature_information
    >>> from skmi.datasets import make_conditional_task
    >>> import numpy as np
    >>> X, Z, y, _ = make_conditional_task("noisy_copy", 800, random_state=0)
    >>> info = feature_information(np.hstack([X, Z]), y, estimator=LogisticRegression(),
    ...                            random_state=0)
    >>> list(info.to_frame().columns[:3])
    ['feature', 'alone', 'alone_low']
    """

    names: list
    alone: dict
    unique: dict
    total: MIEstimate

    def _rows(self) -> list:
        """(name, alone, unique) sorted by unique information, then alone."""
        rows = [(name, self.alone[name], self.unique[name]) for name in self.names]
        return sorted(rows, key=lambda row: (row[2].mi, row[1].mi), reverse=True)

    def __repr__(self) -> str:
        return self.__str__()

    def __str__(self) -> str:
        """The total, then a line per feature (alone and unique, with intervals)."""
        low, high = self.total.ci
        width = max([7, *(len(str(name)) for name in self.names)])
        lines = [
            f"I(X;Y) of all {len(self.names)} features = {self.total.mi:.4f} nats "
            f"[{low:.4f}, {high:.4f}]; per feature (nats, {self.total.confidence:.0%} CI):",
            f"{'feature':<{width}}  {'alone':>26}  {'unique':>26}",
        ]
        rows = self._rows()
        for name, alone, unique in rows[:_SHOWN_ROWS]:
            lines.append(
                f"{name!s:<{width}}  {_with_interval(alone):>26}  {_with_interval(unique):>26}"
            )
        if len(rows) > _SHOWN_ROWS:
            lines.append(f"... {len(rows) - _SHOWN_ROWS} more (to_frame() has them all)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A notebook's view: `to_frame` as a table."""
        return self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4f}")

    def to_frame(self):
        """One row per feature: alone and unique information with their intervals (nats),
        sorted by unique information."""
        import pandas as pd

        rows = []
        for name in self.names:
            a, u = self.alone[name], self.unique[name]
            rows.append(
                {
                    "feature": name,
                    "alone": a.mi,
                    "alone_low": a.ci[0],
                    "alone_high": a.ci[1],
                    "unique": u.mi,
                    "unique_low": u.ci[0],
                    "unique_high": u.ci[1],
                }
            )
        frame = pd.DataFrame(rows)
        return frame.sort_values(["unique", "alone"], ascending=False, ignore_index=True)


@limits_threads
def feature_information(
    X,
    y,
    groups=None,
    *,
    estimator=None,
    cv=5,
    extrapolate: bool = True,
    confidence: float = 0.95,
    random_state=None,
    n_jobs=None,
    batch_networks: bool | str = "auto",
    reader: str = "auto",
) -> FeatureInformation:
    """Each feature's information about y alone, and what it adds beyond all the others.

    For each feature (or named group of columns) j: *alone*, ``estimate_mi(X_j, y)``;
    *unique*, I(X_j; Y | X_-j) = I(X; Y) - I(X_-j; Y), both terms on the same folds,
    rows and seeds, with the interval from the paired per-sample differences (as
    ``estimate_mi(..., given=...)``). The all-features term is estimated once and
    shared by every *unique*. A feature that matters only together with another (half of
    an XOR pair) reads 0 alone and a large unique value; of two redundant copies each
    reads high alone and about 0 unique.

    The networks of all the readings train as one batched stack (on an array through
    per-member input masks: a reading's network sees the other columns as 0). With the
    default candidates, the readings after the all-features one fit only the network
    and the candidates that took at least 1 % of the all-features mixture's weight, and
    ``total`` is that reading mixed again from the same candidates, so that every
    difference pairs (docs/features.md, "What it costs").

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        A DataFrame may hold text, categories and empty cells (as for
        [`estimate_mi`][skmi.estimate_mi]); an array's empty cells (NaN) are read as a
        DataFrame's, its columns named ``x0``, ``x1``, ...
    y : array-like of shape (n_samples,)
    groups : dict or None, default=None
        ``{name: columns}`` (column names of a DataFrame, or indices) to read groups of
        columns together; None reads each column on its own.
    estimator, cv, extrapolate, confidence, random_state
        As for [`estimate_mi`][skmi.estimate_mi].
    n_jobs : int or None, default=None
        Features read in parallel (joblib; ``joblib.parallel_backend("dask")`` spreads
        them over a Dask cluster): the candidates other than the networks.
    batch_networks : bool or "auto", default="auto"
        With ``reader="refit"``: train the networks of every reading (all columns, each
        feature alone, all but each feature), fold and size together as one batched
        network (on a DataFrame, one per input width; as in
        [`estimate_mi`][skmi.estimate_mi]); False trains each reading's own.
    reader : {"auto", "masked", "refit"}, default="auto"
        How the column sets are read. "masked": every candidate is trained once per
        training part on rows with columns hidden at random, and each set is read by
        hiding the other columns of the held-out rows (one prediction pass a set: the
        cost hardly grows with the number of features); "refit": every set is a
        cross-fitted reading of its own, every candidate refitted (exact, the cost
        grows with the width). "auto" is "masked" with the default candidates and
        "refit" with an ``estimator`` (the masked reader trains its own candidates).
        The masked reader may read the unique information of a strongly correlated
        column high and of a sharp interaction low: docs/features.md says where it is
        exact enough and when to ask for refitting.

    Returns
    -------
    FeatureInformation
    """
    X, columns = _named_columns(X)
    warn_suspicious_columns(X, y, stacklevel=4)
    selection = _groups(groups, columns)
    if len(selection) < 2 and groups is None:
        raise ValueError("feature_information needs at least 2 features.")
    settings = (X, y, columns, random_state, estimator, cv, extrapolate, confidence)
    if _resolved_reader(reader, estimator) == "masked":
        read = _MaskedReadings(*settings, selection, n_jobs=n_jobs)
    else:
        read = _PairedReadings(*settings, batch_networks)

    names = list(selection)
    everything = list(range(len(columns)))
    rests = [[c for c in everything if c not in selection[name]] for name in names]
    total, splits = read.first(everything)
    jobs = [selection[name] for name in names] + [r for r in rests if r]
    outcomes = read(jobs, n_jobs=n_jobs)
    alone = {name: outcomes[i] for i, name in enumerate(names)}
    rest_results = iter(outcomes[len(names) :])
    unique = {}
    for name, rest in zip(names, rests, strict=True):
        if not rest:  # the group is every column: its unique information is all of it
            unique[name] = total
            continue
        unique[name] = conditional(
            total,
            next(rest_results),
            splits,
            [columns[c] for c in rest],
            confidence=confidence,
        )
    return FeatureInformation(names=names, alone=alone, unique=unique, total=total)


def _named_columns(X):
    """X (a DataFrame with str column names, or a 2-D array) and its column names."""
    X = series_as_table(X)
    if is_frame(X):
        columns = [str(c) for c in X.columns]
        return X.set_axis(columns, axis=1), columns
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D; got {X.ndim} dimensions.")
    if X.dtype.kind in "biu":  # as estimate_mi reads it, once (not once per reading)
        X = X.astype(np.float64)
    # empty cells are read as a DataFrame's are (a missing indicator and the median)
    return empty_cells_as_table(X, "x"), [f"x{j}" for j in range(X.shape[1])]


class _PairedReadings:
    """Estimates of I(X_S; Y) for column sets S, every one from the same seed: the same
    folds, half-size rows and candidate seeds, so that any two readings can be paired
    (`skmi._result.conditional`). The sets asked for at once train their networks as
    one batched stack (`skmi._estimate._estimate_many`; on an array through input
    masks, on a DataFrame one stack per width)."""

    def __init__(
        self, X, y, columns, random_state, estimator, cv, extrapolate, confidence, batch_networks
    ):
        self.X, self.y, self.columns = X, y, columns
        self.seed = check_random_state(random_state).randint(2**31 - 1)
        self.keep = None  # positions of the candidates to fit (None: all)
        self.options = {
            "estimator": estimator,
            "cv": cv,
            "n_repeats": "auto",
            "extrapolate": extrapolate,
            "confidence": confidence,
            "verbose": 0,
            "batch_networks": batch_networks,
            "groups": None,
            "sample_weight": None,
        }

    def first(self, columns) -> tuple:
        """The estimate of the columns (all of them, first), and its splits; with the
        default candidates it also chooses the candidates of every later reading: the
        network, and the others with at least ``_USED_WEIGHT`` in this reading's mixture
        (the estimate returned is then this reading's mixture of those, so that it
        pairs with the later ones)."""
        reading = self._readings([columns], keep=None)[0]
        if self.options["estimator"] is not None:
            return reading.result, reading.splits
        weights = reading.result.weights
        names, networks = reading.candidate_names, reading.networks
        # the network stays: a column subset may need what no other candidate of the
        # all-features mixture sees (one column's step, read low by boosted trees
        # alone), and it trains with the other readings' networks in one stack
        self.keep = [
            m
            for m, (name, network) in enumerate(zip(names, networks, strict=True))
            if network or weights.get(name, 0.0) >= _USED_WEIGHT
        ]
        if len(self.keep) == len(reading.candidate_names):
            return reading.result, reading.splits
        options = {k: self.options[k] for k in ("extrapolate", "confidence")}
        return resummarised(reading, self.keep, **options), reading.splits

    def __call__(self, column_sets, *, n_jobs=None) -> list:
        """Per column set (positions): its estimate."""
        readings = self._readings(column_sets, keep=self.keep, n_jobs=n_jobs)
        return [reading.result for reading in readings]

    def _readings(self, column_sets, *, keep, n_jobs=None) -> list:
        rngs = [np.random.RandomState(self.seed) for _ in column_sets]
        if is_frame(self.X):
            names = [[self.columns[c] for c in cols] for cols in column_sets]
            parts, columns = [self.X[n] for n in names], None
        else:  # every set read from the whole array: its networks then share one stack
            parts, columns = [self.X] * len(column_sets), column_sets
        return _estimate_many(
            parts, self.y, rngs, n_jobs=n_jobs, keep=keep, columns=columns, **self.options
        )


def _resolved_reader(reader, estimator) -> str:
    """ "masked" or "refit" (see feature_information's ``reader``)."""
    if not isinstance(reader, str) or reader not in READERS:
        raise ValueError(f"reader must be one of {READERS}; got {reader!r}.")
    if reader == "auto":
        return "masked" if estimator is None else "refit"
    if reader == "masked" and estimator is not None:
        raise ValueError(
            "reader='masked' trains its own candidates and cannot use estimator=; pass "
            "reader='refit' to read the column sets with the estimator given."
        )
    return reader


class _MaskedReadings:
    """Estimates of I(X_S; Y) for column sets S, every one read from one masked
    cross-fitting (`skmi._masked`): the folds, half-size rows and seeds of
    `_PairedReadings` with the same ``random_state``, and the same summary, so that any
    two readings pair. The masked candidates are trained on the first call."""

    def __init__(
        self,
        X,
        y,
        columns,
        random_state,
        estimator,
        cv,
        extrapolate,
        confidence,
        groups,
        *,
        n_jobs=None,
        only=None,
    ):
        # ``only``: positions of the columns to train on (all: None); sets are still
        # given by positions in X
        self.position = None
        if only is not None:
            X = X.iloc[:, list(only)] if is_frame(X) else X[:, list(only)]
            columns = [columns[c] for c in only]
            self.position = {c: i for i, c in enumerate(only)}
        seed = check_random_state(random_state).randint(2**31 - 1)
        self.problem = _prepared(
            X,
            y,
            np.random.RandomState(seed),
            estimator=None,
            cv=cv,
            n_repeats="auto",
            extrapolate=extrapolate,
            confidence=confidence,
            groups=None,
            sample_weight=None,
            keep=None,
            columns=None,
        )
        self.atoms = atoms_of(len(columns), groups)
        self.options = {"extrapolate": extrapolate, "confidence": confidence, "n_jobs": n_jobs}
        self.reader = None

    def first(self, columns) -> tuple:
        """The estimate of the columns (all of them, first), and its splits."""
        self.reader = MaskedReader(self.problem, self.atoms, **self.options).fit()
        return self.reader.read(self._local([columns]))[0], self.problem.splits

    def __call__(self, column_sets, *, n_jobs=None) -> list:
        """Per column set (positions): its estimate."""
        return self.reader.read(self._local(column_sets))

    @property
    def width(self) -> int:
        """How many columns the masked candidates were trained on."""
        return len(self.problem.X.columns) if is_frame(self.problem.X) else self.problem.X.shape[1]

    def _local(self, column_sets) -> list:
        if self.position is None:
            return column_sets
        return [[self.position[c] for c in columns] for columns in column_sets]


def _groups(groups, columns) -> dict:
    """``{name: column positions}``."""
    if groups is None:
        return {name: [j] for j, name in enumerate(columns)}
    if not isinstance(groups, dict) or not groups:
        raise TypeError("groups must be a non-empty dict {name: columns}.")
    out = {}
    for name, members in groups.items():
        members = [members] if isinstance(members, (str, int, np.integer)) else list(members)
        positions = []
        for m in members:
            if isinstance(m, str):
                if m not in columns:
                    raise ValueError(f"group {name!r} names column {m!r}, which X does not have.")
                positions.append(columns.index(m))
            else:
                if not 0 <= int(m) < len(columns):
                    raise ValueError(f"group {name!r} has column index {m}, out of range.")
                positions.append(int(m))
        if not positions:
            raise ValueError(f"group {name!r} has no columns.")
        out[str(name)] = sorted(set(positions))
    return out


class MIFeatureSelector(SelectorMixin, BaseEstimator):
    """Keep the features that carry the information about y, dropping the others one
    at a time by their unique information (backward elimination).

    Every remaining feature's unique information, I(X_j; Y | the other remaining
    features), is estimated on the same folds, rows and seeds as the remaining set's
    I(X_S; Y) (paired, as ``estimate_mi(..., given=...)``), and the feature with the
    least is dropped. Backward, not forward: a feature that matters only with another
    (half of an XOR pair) adds nothing alone, so forward selection never takes it, while
    backward elimination sees that dropping it loses the pair's information. Of two
    redundant copies, the first dropped has no unique information; the second then has
    it all and is kept.

    Ranking every remaining feature at every step costs d + (d - 1) + ... readings.
    So after a ranking the next features are dropped in its order, each drop's change
    read on the set it leaves (paired as above), while the change is not clearly above
    0; the first whose change's interval excludes 0 sends the selector back to rank the
    remaining features again. The sets that dropping them one after another leaves are
    read at once (their networks in one stack, the other candidates ``n_jobs`` at a
    time); those after the first such drop are read in vain. With the default candidates,
    the readings after the first use the network and the candidates that carry weight
    in the all-features reading's mixture (at least 1 %).

    X may be an array (its empty cells, NaN, read as a DataFrame's) or a DataFrame with
    text, categories and empty cells, as for [`estimate_mi`][skmi.estimate_mi].

    Parameters
    ----------
    estimator, cv, extrapolate, confidence, random_state
        As for [`estimate_mi`][skmi.estimate_mi].
    n_features_to_select : "auto" or int, default="auto"
        "auto" stops at the first step that would lose information: whose change's
        interval excludes 0, or where the information lost by every drop so far,
        I(X_dropped; Y | X_kept) against the all-features reading, has an interval
        that excludes 0 (each drop may lose too little to show, their sum not); an int
        keeps that many. "auto" drops what its rows cannot show to matter, and it reads
        each loss on the rows it chose the drop by, so that reading leans low: check
        the kept set on other rows with ``estimate_mi(X[dropped], y, given=X[kept])``
        (docs/features.md, "On real tables").
    n_jobs : int or None, default=None
        Features of a step read in parallel (joblib): the candidates other than the
        networks.
    batch_networks : bool or "auto", default="auto"
        Train the networks of a step's refitted readings (all folds and sizes)
        together, as one batched network (as in [`estimate_mi`][skmi.estimate_mi]);
        False trains each reading's own.
    reader : {"auto", "masked", "refit"}, default="auto"
        How the column sets are read (as for
        [`feature_information`][skmi.feature_information]); "auto" is "masked" with the
        default candidates. The masked selector trains its reader again on the kept
        columns whenever they are at most a quarter of those it was trained on (small sets
        of many columns are its rarest masks). Every stopping decision is taken again on
        refitted readings, and the kept set's loss against all the features is
        refitted at the end: where the drops together lost information, the
        selector goes back to the longest run of its drops that did not, and goes on
        refitting from there. ``mi_`` is a refitted reading.

    Attributes
    ----------
    support_ : ndarray of bool
    n_features_in_ : int
    feature_names_in_ : ndarray of str (DataFrame input)
    mi_ : MIEstimate
        I(X_selected; Y) of the kept features.
    mi_path_ : list of dict
        One entry per step: ``dropped``, ``mi`` and ``mi_ci`` of the set left, ``change``
        and ``change_ci`` (the dropped feature's unique information, the information the
        step lost), ``lost`` and ``lost_ci`` (what every drop so far lost, against all
        the features), ``ranked`` (True when every remaining feature was read at that
        step, False when the feature was the next of the last ranking), ``stopped`` for
        the step that was not taken, and ``reader``: whose readings the step was taken
        on ("masked" or "refit").

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import MIFeatureSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3))
    >>> y = (X[:, 0] + 0.5 * rng.normal(size=600) > 0).astype(int)
    >>> selector = MIFeatureSelector(estimator=LogisticRegression(), random_state=0)
    >>> selector.fit(X, y).get_support().tolist()
    [True, False, False]
    """

    def __init__(
        self,
        estimator=None,
        *,
        n_features_to_select="auto",
        cv=5,
        extrapolate: bool = True,
        confidence: float = 0.95,
        random_state=None,
        n_jobs=None,
        batch_networks="auto",
        reader="auto",
    ):
        self.estimator = estimator
        self.n_features_to_select = n_features_to_select
        self.cv = cv
        self.extrapolate = extrapolate
        self.confidence = confidence
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.batch_networks = batch_networks
        self.reader = reader

    @limits_threads
    def fit(self, X, y):
        frame = is_frame(X)
        X, columns = _named_columns(X)
        warn_suspicious_columns(X, y, stacklevel=4)
        d = len(columns)
        target = self.n_features_to_select
        if target != "auto" and not (
            isinstance(target, (int, np.integer))
            and not isinstance(target, bool)
            and 1 <= target <= d
        ):
            raise ValueError(
                f"n_features_to_select must be 'auto' or an int in [1, {d}]; got {target!r}."
            )
        settings = (
            X,
            y,
            columns,
            self.random_state,
            self.estimator,
            self.cv,
            self.extrapolate,
            self.confidence,
        )
        masked = _resolved_reader(self.reader, self.estimator) == "masked"
        exact = _PairedReadings(*settings, self.batch_networks)
        read = _MaskedReadings(*settings, None, n_jobs=self.n_jobs) if masked else exact
        kept = list(range(d))
        current, splits = read.first(kept)
        everything = current
        confirmed = {}  # the refitted readings of a masked selector's confirmations

        def refitted(sets) -> list:
            """Refitted readings of these sets (the all-features one first, once)."""
            if "everything" not in confirmed:
                confirmed["everything"] = exact.first(list(range(d)))[0]
            wanted = list(dict.fromkeys(tuple(s) for s in sets if tuple(s) not in confirmed))
            if wanted:
                for key, result in zip(wanted, exact(wanted, n_jobs=self.n_jobs), strict=True):
                    confirmed[key] = result
            return [confirmed[tuple(s)] for s in sets]

        def change_of(before, rest, left):
            names = [columns[c] for c in rest]
            return conditional(before, left, splits, names, confidence=self.confidence)

        def losing(rest, left, change, base):
            """Whether the drop loses information: this step's change, or everything
            dropped so far, I(X_dropped; Y | X_rest) against ``base``, the all-features
            reading (small losses add up), clearly above 0; and that loss."""
            lost = change_of(base, rest, left)
            if target != "auto":  # a number of features was asked for: no stopping rule
                return change.ci[0] > 0, lost
            return change.ci[0] > 0 or lost.ci[0] > 0, lost

        def confirm(before, rest):
            """A masked stopping decision, read again by refitting: whether dropping
            the feature loses information, with the refitted readings."""
            left_before, left = refitted([before, rest])
            change = change_of(left_before, rest, left)
            lost = conditional(
                confirmed["everything"],
                left,
                splits,
                [columns[c] for c in rest],
                confidence=self.confidence,
            )
            return change.ci[0] > 0 or lost.ci[0] > 0, left_before, left, change, lost

        def step(j, left, change, lost, ranked, stopped, reader):
            return {
                "dropped": columns[j],
                "mi": left.mi,
                "mi_ci": left.ci,
                "change": change.mi,
                "change_ci": change.ci,
                "lost": lost.mi,
                "lost_ci": lost.ci,
                "ranked": ranked,
                "stopped": stopped,
                "reader": reader,
            }

        path = []
        floor = 1 if target == "auto" else target

        def eliminate(kept, current, read, masked, base):
            """Backward elimination from ``kept`` (read as ``current``) with the reader
            ``read`` (``base``: its all-features reading): the features kept and the
            last reading."""
            label = "masked" if masked else "refit"
            queue = []  # features of the last full ranking not yet dropped, least unique first
            while len(kept) > floor:
                if masked and 4 * len(kept) <= read.width:
                    # a masked reader reads small sets of many columns least well (they
                    # are the rarest masks): trained again on the kept columns, it
                    # reads the sets left of them as it read the wide ones
                    read = _MaskedReadings(*settings, None, n_jobs=self.n_jobs, only=kept)
                    current = read.first(kept)[0]
                    queue = []
                if not queue:  # every remaining feature's unique information, one batch
                    rests = [[c for c in kept if c != j] for j in kept]
                    lefts = read(rests, n_jobs=self.n_jobs)
                    changes = [change_of(current, r, x) for r, x in zip(rests, lefts, strict=True)]
                    order = np.argsort([change.mi for change in changes], kind="stable")
                    first, left, change = order[0], lefts[order[0]], changes[order[0]]
                    loses, lost = losing(rests[first], left, change, base)
                    if target == "auto" and loses and masked:
                        # a masked reading may read a drop's loss high (a column that copies
                        # another, read without it): the decision is taken on refitted ones
                        loses, before, exact_left, change, lost = confirm(kept, rests[first])
                        path.append(
                            step(kept[first], exact_left, change, lost, True, loses, "refit")
                        )
                        if loses:
                            current = before
                            break
                        queue = [kept[i] for i in order[1:]]
                        kept, current = rests[first], left
                        continue
                    if target == "auto" and loses:  # dropping it would lose information
                        path.append(step(kept[first], left, change, lost, True, True, label))
                        break
                    path.append(step(kept[first], left, change, lost, True, False, label))
                    queue = [kept[i] for i in order[1:]]
                    kept, current = rests[first], left
                    continue
                # the next features of that ranking: the sets left by dropping them one after
                # another, read at once; the drops are taken in order while each loses
                # nothing clear, as one reading at a time would take them
                chain = queue[: len(kept) - floor]
                sets = [[c for c in kept if c not in chain[: i + 1]] for i in range(len(chain))]
                lefts = read(sets, n_jobs=self.n_jobs)
                for j, rest, left in zip(chain, sets, lefts, strict=True):
                    change = change_of(current, rest, left)
                    loses, lost = losing(rest, left, change, base)
                    if loses:  # the ranking may be stale: rank the remaining features
                        queue = []
                        break
                    path.append(step(j, left, change, lost, False, False, label))
                    kept, current = rest, left
                    queue.remove(j)
            return kept, current

        def lost_by(drops):
            """The set left by these drops, its refitted reading and what it lost
            against all the features (refitted)."""
            rest = [c for c in range(d) if c not in drops]
            if not drops:
                return rest, confirmed["everything"], None
            left = refitted([rest])[0]
            names = [columns[c] for c in rest]
            lost = conditional(
                confirmed["everything"], left, splits, names, confidence=self.confidence
            )
            return rest, left, lost

        def recheck():
            """Whether the masked drops together lost information that refitted
            readings show (each drop may read too little to show on the masked
            readings); if so, the longest run of the drops, in their order, that loses
            nothing clear (a search over the prefixes), the path cut back to it."""
            refitted([])  # the refitted all-features reading, once
            taken = [columns.index(entry["dropped"]) for entry in path if not entry["stopped"]]
            rest, left, lost = lost_by(taken)
            if lost is None or lost.ci[0] <= 0:
                return rest, left, False
            good, bad = 0, len(taken)
            while bad - good > 1:
                middle = (good + bad) // 2
                if lost_by(taken[:middle])[2].ci[0] > 0:
                    bad = middle
                else:
                    good = middle
            del path[good:]
            rest, left, _ = lost_by(taken[:good])
            return rest, left, True

        kept, current = eliminate(kept, current, read, masked, everything)
        if masked and target == "auto":
            kept, current, cut_back = recheck()
            if cut_back:  # from there on, every set refitted
                kept, current = eliminate(kept, current, exact, False, confirmed["everything"])
        if masked:  # the kept set's information as a refitted reading
            current = refitted([kept])[0]
        self.support_ = np.zeros(d, dtype=bool)
        self.support_[kept] = True
        self.n_features_in_ = d
        if frame:
            self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.mi_ = current
        self.mi_path_ = path
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def transform(self, X):
        check_is_fitted(self, "support_")
        if is_frame(X):
            names = [str(c) for c in X.columns]
            expected = list(getattr(self, "feature_names_in_", names))
            if names != expected:
                raise ValueError(
                    f"X has columns {names[:10]}; the selector was fitted on {expected[:10]}."
                )
            return X.loc[:, list(np.asarray(X.columns)[self.support_])]
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[-1]} features; the selector was fitted on {self.n_features_in_}."
            )
        return X[:, self.support_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags
