"""The masked reader: I(X_S; Y) of many column sets S from one cross-fitting.

Refitting every candidate for every column set costs a cross-fitted reading per set,
so "which columns matter" grows with the width of the table. Here, within each training
part of the cross-fitting (each fold's training rows, and their random half for the
extrapolation), the candidates are trained once on rows whose columns are hidden at
random: a mask drawn per row, hidden cells set to the column's mean with a 0/1 "hidden"
indicator per column for the network and the linear model, and as missing (NaN) for
the boosted trees, which route missing values natively. A column set S is then read by
hiding the other columns of the held-out rows and predicting: one prediction pass per
set, no refit. This is the surrogate-model idea of Covert, Lundberg & Lee ("Explaining
by Removing", JMLR 2021; SAGE): a model of p(y | x_S) for every S at once.

Each set's held-out probabilities then go through the same mixture, extrapolation,
interval and bounds as a refitted reading (`skmi._result.summarise`), on the same
folds, half-size rows and seeds (`skmi._estimate._prepared`), so that two sets' readings
pair (`skmi._result.conditional`) as refitted ones do.

The mask distribution (`draw_masks`) puts weight on the sets that `feature_information`
and `MIFeatureSelector` read: all columns, all but one, one alone, and sets of a
uniformly drawn size (FastSHAP's and Covert et al.'s choice). Each training row of the
network is also seen, in the same batch, with one more of its visible columns hidden,
so that the network learns the differences that unique information reads.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit

from skmi._batched import _Stack
from skmi._budget import epochs_for_steps, steps_per_epoch
from skmi._candidates import _batch_size, _NormalScores, _validation_fraction
from skmi._crossfit import CrossFit, Readings, posterior, take
from skmi._encoding import TableEncoder, is_frame
from skmi._mlp import auto_hidden_layer_sizes, feature_standardisation
from skmi._pmi import empirical_log_prior, pmi_from_logits
from skmi._result import summarise
from skmi._threads import parallel

# The mask distribution: with these probabilities a row shows every column, all but
# one, or one alone; otherwise a set of uniformly drawn size (each column visible with
# a rate drawn uniformly: the size is then uniform on 0..G and the set uniform given it).
MASK_FULL, MASK_ALL_BUT_ONE, MASK_ONE = 0.4, 0.4, 0.1
# Masked copies of each training row for the boosted trees and the linear model (the
# network draws new masks every batch); fewer on large tables, at least 2.
_COPIES, _MAX_COPIED_ROWS = 8, 60_000
# The network's optimisation, as the default MIClassifier candidate's.
_LR, _WEIGHT_DECAY, _MAX_EPOCHS, _TOL = 3e-3, 0.01, 1000, 1e-3
_PATIENCE_EPOCHS, _PATIENCE_STEPS = 20, 5000
# The training rows whose probabilities give a reading's train_mi (a diagnostic only):
# a subsample keeps the prediction passes of hundreds of sets cheap.
_TRAIN_READ_ROWS = 1000
# The boosted trees: more rounds, leaves and patience than the defaults, since one model
# stands for p(y | x_S) of every set S (early stopping on masked held-out copies picks:
# with the default patience of 10 rounds they stopped after 24 to 71 on 3,000 x 50 and
# read the full set 0.13 nats against 0.16 with 40).
_TREE_ITERATIONS, _TREE_LEAVES, _TREE_LEAF_ROWS = 300, 63, 20
_TREE_PATIENCE = 40
# Whether the trees and the linear model also see every training row once unmasked.
_UNMASKED_COPY = False

CANDIDATES = (
    "masked network",
    "masked HistGradientBoostingClassifier",
    "masked LogisticRegression",
    "LinearDiscriminantAnalysis (marginalised)",
)


def atoms_of(n_columns: int, groups) -> list[list[int]]:
    """The finest partition of the columns that every group is a union of: columns
    in the same groups (or in none) form one atom, in order of their first column."""
    if groups is None:
        return [[c] for c in range(n_columns)]
    signature = [
        tuple(name for name, cols in groups.items() if c in cols) for c in range(n_columns)
    ]
    atoms: dict = {}
    for c, key in enumerate(signature):
        atoms.setdefault(key, []).append(c)
    return list(atoms.values())


def draw_masks(n_rows: int, n_atoms: int, generator: torch.Generator) -> torch.Tensor:
    """Which atoms each row shows, (n_rows, n_atoms) bool, from the mask distribution."""
    device = generator.device
    kind = torch.rand(n_rows, generator=generator, device=device)
    rate = torch.rand(n_rows, 1, generator=generator, device=device)
    visible = torch.rand(n_rows, n_atoms, generator=generator, device=device) < rate
    one = torch.randint(n_atoms, (n_rows,), generator=generator, device=device)
    one = F.one_hot(one, n_atoms).bool()
    full = kind < MASK_FULL
    all_but_one = (kind >= MASK_FULL) & (kind < MASK_FULL + MASK_ALL_BUT_ONE)
    alone = (kind >= MASK_FULL + MASK_ALL_BUT_ONE) & (
        kind < MASK_FULL + MASK_ALL_BUT_ONE + MASK_ONE
    )
    visible = torch.where(full[:, None], torch.ones_like(visible), visible)
    visible = torch.where(all_but_one[:, None], ~one, visible)
    return torch.where(alone[:, None], one, visible)


def one_more_hidden(visible: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The masks with one of each row's visible atoms (drawn at random) hidden too."""
    scores = torch.rand(visible.shape, generator=generator, device=visible.device)
    scores = torch.where(visible, scores, torch.full_like(scores, -1.0))
    chosen = F.one_hot(scores.argmax(-1), visible.shape[-1]).bool()
    return visible & ~chosen


def network_inputs(X: torch.Tensor, visible: torch.Tensor, atom_of_column) -> torch.Tensor:
    """Standardised cells with the hidden ones at 0 (the column's mean), and the
    atoms' 0/1 visibility after them."""
    shown = visible[..., atom_of_column].to(X.dtype)
    return torch.cat([X * shown, visible.to(X.dtype)], dim=-1)


class _MaskedStack(_Stack):
    """The batched trainer (`skmi._batched`) with a new mask per training row and
    step, each row also in the same batch with one more atom hidden; validation rows
    come masked (fixed masks), so early stopping reads the masked objective."""

    def __init__(self, members, *, atom_of_column, n_atoms, seed, batch_size):
        device = members[0].X_train.device
        self.atom_of_column = torch.as_tensor(atom_of_column, device=device)
        self.n_atoms = n_atoms
        self.mask_generator = torch.Generator(device=device).manual_seed(int(seed))
        optimizer_kwargs = {"lr": _LR, "weight_decay": _WEIGHT_DECAY}
        super().__init__(members, torch.optim.AdamW, optimizer_kwargs, batch_size, 0.0, False)

    def _losses(self, params, X, y, log_prior, *, training: bool) -> torch.Tensor:
        if not training:  # validation rows: masked already
            return super()._losses(params, X, y, log_prior, training=False)
        members, rows, _ = X.shape
        visible = draw_masks(members * rows, self.n_atoms, self.mask_generator)
        fewer = one_more_hidden(visible, self.mask_generator)
        visible = visible.view(members, rows, -1)
        fewer = fewer.view(members, rows, -1)
        both = torch.cat(
            [
                network_inputs(X, visible, self.atom_of_column),
                network_inputs(X, fewer, self.atom_of_column),
            ],
            dim=1,
        )
        losses = super()._losses(params, both, torch.cat([y, y], 1), log_prior, training=True)
        return 0.5 * (losses[:, :rows] + losses[:, rows:])


class _Part:
    """One training part (a fold's training rows or their half): every row encoded
    and scaled as fitted on the part's rows, and the candidates trained on them."""

    def __init__(self, rows, seed):
        self.rows, self.seed = rows, int(seed)
        self.standardised = None  # (n, p) float32: every row, scaled on the part's rows
        self.network = None  # the trained weights
        self.trees = None
        self.linear = None
        self.gaussian = None


class MaskedReader:
    """Trains the masked candidates on every training part of a cross-fitting and reads
    column sets from them (see the module's docstring).

    ``problem`` is `skmi._estimate._prepared`'s (its folds, half-size rows and seeds);
    ``atoms`` the column groups that are hidden or shown together (`atoms_of`).
    """

    def __init__(self, problem, atoms, *, extrapolate, confidence, n_jobs=None):
        self.problem = problem
        self.atoms = atoms
        self.extrapolate = extrapolate
        self.confidence = confidence
        self.n_jobs = n_jobs
        self.summary_seed = int(problem.rng.randint(2**31 - 1))

    # ------------------------------------------------------------------ training
    def fit(self) -> MaskedReader:
        problem = self.problem
        n_classes = len(problem.labels)
        self.log_prior = empirical_log_prior(problem.y_index, n_classes)
        parts = []
        for train, _, seed, half_rows in problem.plans:
            parts.append(_Part(train, seed))
            if self.extrapolate:
                parts.append(_Part(half_rows, seed + 1))
        self.parts = parts
        encoded, origin = _encoded_parts(problem.X, problem.y, [p.rows for p in parts])
        atom_of = np.empty(sum(len(atom) for atom in self.atoms), dtype=int)
        for a, atom in enumerate(self.atoms):
            atom_of[atom] = a
        self.atom_of_column = atom_of_column = atom_of[origin]  # per encoded column
        for part, values in zip(parts, encoded, strict=True):
            scores = _NormalScores(output_distribution="normal", random_state=part.seed)
            scores.fit(values[part.rows])
            values = scores.transform(values)
            mean, scale = feature_standardisation(values[part.rows])
            part.standardised = ((values - mean) / scale).astype(np.float32)
        self._train_networks()
        fitted = parallel(
            _fit_sklearn_candidates,
            [
                (
                    part.standardised[part.rows],
                    problem.y_index[part.rows],
                    atom_of_column,
                    len(self.atoms),
                    part.seed,
                )
                for part in parts
            ],
            self.n_jobs,
        )
        for part, (trees, linear) in zip(parts, fitted, strict=True):
            part.trees, part.linear = trees, linear
            part.gaussian = _ClassGaussians(
                part.standardised[part.rows], problem.y_index[part.rows], n_classes
            )
        return self

    def _train_networks(self) -> None:
        problem = self.problem
        n_classes = len(problem.labels)
        n_atoms = len(self.atoms)
        width = self.parts[0].standardised.shape[1] + n_atoms
        n_train = len(self.parts[0].rows)
        batch = _batch_size(n_train)
        fraction = _validation_fraction(n_train, n_classes)
        per_epoch = steps_per_epoch(n_train, batch, fraction)
        patience = epochs_for_steps(
            _PATIENCE_STEPS,
            per_epoch,
            min_epochs=3,
            max_epochs=_PATIENCE_EPOCHS,
            rounding=math.ceil,
        )
        hidden = auto_hidden_layer_sizes(width, n_classes)
        members = []
        for part in self.parts:
            members.append(
                _member(
                    part,
                    problem.y_index,
                    n_classes,
                    self.atom_of_column,
                    n_atoms,
                    (width, *hidden, n_classes),
                    fraction,
                    patience,
                )
            )
        trained = _MaskedStack(
            members,
            atom_of_column=self.atom_of_column,
            n_atoms=n_atoms,
            seed=self.parts[0].seed,
            batch_size=batch,
        ).run()
        for part, result in zip(self.parts, trained, strict=True):
            if result.weights is None:
                raise ValueError("The masked network's training loss was not finite.")
            part.network = result.weights

    # ------------------------------------------------------------------ reading
    def read(self, column_sets) -> list:
        """The estimate of I(X_S; Y) for each column set S (column positions; a union
        of atoms)."""
        return [self._read(self._visible_atoms(columns)) for columns in column_sets]

    def _visible_atoms(self, columns) -> np.ndarray:
        columns = set(int(c) for c in columns)
        visible = np.array([all(c in columns for c in atom) for atom in self.atoms])
        shown = {c for atom, v in zip(self.atoms, visible, strict=True) if v for c in atom}
        if shown != columns:
            raise ValueError("A column set to read must be a union of the masked atoms.")
        return visible

    def _read(self, visible: np.ndarray):
        problem = self.problem
        n, n_classes = len(problem.y_index), len(problem.labels)
        full = Readings(len(CANDIDATES), n, n_classes)
        half = Readings(len(CANDIDATES), n, n_classes) if self.extrapolate else None
        train_parts = []
        step = 2 if self.extrapolate else 1
        for s, (train, test, _, _) in enumerate(problem.plans):
            part = self.parts[step * s]
            train_rows = _subsample(train, part.seed)
            probabilities = self._posteriors(part, np.concatenate([test, train_rows]), visible)
            for m, proba in enumerate(probabilities):
                full.add(m, test, proba[: len(test)])
            full.next_split(test)
            true = np.stack(
                [
                    proba[len(test) :][np.arange(len(train_rows)), problem.y_index[train_rows]]
                    for proba in probabilities
                ]
            )
            train_parts.append((train_rows, true))
            if self.extrapolate:
                for m, proba in enumerate(self._posteriors(self.parts[2 * s + 1], test, visible)):
                    half.add(m, test, proba)
                half.next_split(test)
        fit = CrossFit(full, half, train_parts, list(CANDIDATES), problem.splits)
        return summarise(
            fit,
            problem.y_index,
            problem.labels,
            extrapolate=self.extrapolate,
            confidence=self.confidence,
            rng=np.random.RandomState(self.summary_seed),
        )

    def _posteriors(self, part: _Part, rows, visible: np.ndarray) -> list:
        """q(k|x) of the rows with only the visible atoms shown, per candidate."""
        X = part.standardised[rows]
        n_classes = len(self.problem.labels)
        shown = visible[self.atom_of_column]
        inputs = np.hstack([X * shown, np.broadcast_to(visible, (len(rows), len(visible)))])
        logits = _forward(part.network, torch.as_tensor(inputs, dtype=torch.float32))
        network = np.exp(pmi_from_logits(logits, self.log_prior) + self.log_prior)
        labels = np.arange(n_classes)
        with_nan = np.where(shown, X, np.nan)
        trees = posterior(part.trees, with_nan, labels, self.log_prior)
        linear = posterior(part.linear, inputs, labels, self.log_prior)
        gaussian = part.gaussian.posterior(X, np.flatnonzero(shown), self.log_prior)
        return [network, trees, linear, gaussian]


def _member(part, y_index, n_classes, atom_of_column, n_atoms, widths, fraction, patience):
    """The network of one training part: seeded initial weights, its rows split into
    training and (masked, fixed) validation rows."""
    from skmi._batched import Member

    rows = part.rows
    y_part = y_index[rows]
    fit_rows, valid_rows = _validation_split(y_part, fraction, part.seed)
    generator = torch.Generator().manual_seed(part.seed)
    weights = []
    for width_in, width_out in itertools.pairwise(widths):
        # nn.Linear's initialisation, from the part's own stream (not torch's global one)
        bound = 1.0 / math.sqrt(width_in)
        weight = torch.empty(width_out, width_in).uniform_(-bound, bound, generator=generator)
        bias = torch.empty(width_out).uniform_(-bound, bound, generator=generator)
        weights.append((weight, bias))
    X = torch.as_tensor(part.standardised[rows])
    y = torch.as_tensor(y_part, dtype=torch.long)
    counts = np.bincount(y_part[fit_rows], minlength=n_classes)
    with np.errstate(divide="ignore"):
        log_prior = torch.as_tensor(np.log(counts / counts.sum()), dtype=torch.float32)
    member = Member(
        weights=weights,
        X_train=X[fit_rows],
        y_train=y[fit_rows],
        log_prior=log_prior,
        max_epochs=_MAX_EPOCHS,
        seed=part.seed + 1,
        patience=patience,
        tol=_TOL,
    )
    if len(valid_rows):
        visible = draw_masks(len(valid_rows), n_atoms, generator)
        member.X_valid = network_inputs(X[valid_rows], visible, torch.as_tensor(atom_of_column))
        member.y_valid = y[valid_rows]
    return member


def _validation_split(y, fraction: float, seed: int):
    """Stratified training and validation positions (every row trains when a class
    has a single row and nothing else can be held out)."""
    n_valid = math.ceil(fraction * len(y))
    counts = np.bincount(y)
    if np.any(counts[counts > 0] < 2) or n_valid < np.count_nonzero(counts):
        return np.arange(len(y)), np.array([], dtype=int)
    splitter = StratifiedShuffleSplit(1, test_size=n_valid, random_state=seed)
    fit_rows, valid_rows = next(splitter.split(np.zeros(len(y)), y))
    return np.sort(fit_rows), np.sort(valid_rows)


def _forward(weights, X: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        h = X
        for layer, (weight, bias) in enumerate(weights):
            h = F.linear(h, weight, bias)
            if layer < len(weights) - 1:
                h = torch.relu(h)
    return h.double().numpy()


def _fit_sklearn_candidates(X, y, atom_of_column, n_atoms, seed):
    """The boosted trees (hidden cells missing) and the logistic regression (hidden
    cells at the mean, with the visibility indicators) on masked copies of the rows;
    the trees stop early on masked copies of held-out rows (copies of one row never
    on both sides)."""
    copies = int(np.clip(_MAX_COPIED_ROWS // max(len(y), 1), 2, _COPIES))
    generator = torch.Generator().manual_seed(seed + 2)
    fit_rows, valid_rows = _validation_split(y, 0.1, seed)

    def masked(rows):
        visible = draw_masks(len(rows) * copies, n_atoms, generator).numpy()
        if _UNMASKED_COPY:
            visible[: len(rows)] = True
        shown = visible[:, atom_of_column]
        cells = np.tile(X[rows], (copies, 1))
        return (
            np.where(shown, cells, np.nan),
            np.hstack([cells * shown, visible]),
            np.tile(y[rows], copies),
        )

    tree_X, linear_X, tree_y = masked(fit_rows)
    # a leaf holds as many distinct rows as the default's 20: copies of one row count once
    trees = HistGradientBoostingClassifier(
        max_iter=_TREE_ITERATIONS,
        max_leaf_nodes=_TREE_LEAVES,
        min_samples_leaf=_TREE_LEAF_ROWS * copies,
        n_iter_no_change=_TREE_PATIENCE,
        random_state=seed,
    )
    if len(valid_rows):
        valid_X, _, valid_y = masked(valid_rows)
        trees.set_params(early_stopping=True)
        trees.fit(tree_X, tree_y, X_val=valid_X, y_val=valid_y)
    else:
        trees.fit(tree_X, tree_y)
    linear = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(linear_X, tree_y)
    return trees, linear


class _ClassGaussians:
    """Class-conditional Gaussians with one shared covariance (linear discriminant
    analysis, Ledoit-Wolf shrinkage) fitted once; any column set is read exactly by
    marginalising them: the set's block of the means and the covariance. So this
    candidate needs no masks, and reads each set as an LDA fitted on it would (up to
    the shrinkage, estimated once on every column)."""

    def __init__(self, X, y, n_classes: int):
        from sklearn.covariance import ledoit_wolf

        self.means = np.zeros((n_classes, X.shape[1]))
        present = np.bincount(y, minlength=n_classes) > 0
        for k in np.flatnonzero(present):
            self.means[k] = X[y == k].mean(0)
        self.present = present
        centred = X - self.means[y]
        self.covariance = ledoit_wolf(centred, assume_centered=True)[0]

    def posterior(self, X, columns, log_prior) -> np.ndarray:
        """q(k|x) from the columns at ``columns`` (positions), under the scored data's
        class prior."""
        logits = np.zeros((len(X), len(self.means)))
        if len(columns):
            means = self.means[:, columns]
            block = self.covariance[np.ix_(columns, columns)]
            solved = np.linalg.solve(block, means.T)  # (columns, classes)
            logits = X[:, columns] @ solved - 0.5 * np.sum(means * solved.T, axis=1)
        logits = np.where(self.present, logits, -np.inf)
        return np.exp(pmi_from_logits(logits, log_prior) + log_prior)


def _subsample(rows, seed: int) -> np.ndarray:
    if len(rows) <= _TRAIN_READ_ROWS:
        return rows
    chosen = np.random.RandomState(seed).choice(len(rows), _TRAIN_READ_ROWS, replace=False)
    return rows[np.sort(chosen)]


def _encoded_parts(X, y, part_rows) -> tuple[list, np.ndarray]:
    """Per training part, every row encoded by encoders fitted on the part's rows, in
    one layout shared by the parts (a level one part never saw is 0 there, as its own
    encoder reads it), and the original column of each encoded column."""
    if not is_frame(X):
        values = np.asarray(X, dtype=np.float64)
        return [values] * len(part_rows), np.arange(values.shape[1])
    per_part = [dict() for _ in part_rows]  # encoded name -> values
    origin = {}
    for c, name in enumerate(X.columns):
        column = X[[name]]
        if column[name].dtype.kind in "biuf" and not column[name].isna().any():
            values = column[name].to_numpy(dtype=np.float64)
            for encoded in per_part:
                encoded[f"{c}:{name}"] = values
            origin[f"{c}:{name}"] = c
            continue
        for rows, encoded in zip(part_rows, per_part, strict=True):
            encoder = TableEncoder(validate=False)
            fitted_rows = encoder.fit_transform(take(column, rows), y[rows])
            everything = encoder.transform(column)
            everything[rows] = fitted_rows  # cross-fitted encodings of the part's own rows
            for j, out in enumerate(encoder.get_feature_names_out()):
                encoded[f"{c}:{out}"] = everything[:, j]
                origin[f"{c}:{out}"] = c
    names = list(origin)
    zeros = np.zeros(len(X))
    matrices = [np.column_stack([e.get(k, zeros) for k in names]) for e in per_part]
    return matrices, np.array([origin[k] for k in names])
