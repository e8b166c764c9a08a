"""How a network is trained with the class prior: the layer between the fast skorch
base and MIClassifier's PC-softmax meaning.

It owns what fit and partial_fit share: input and label checks, the class prior from
(weighted) label counts, the loss built with that prior (also refreshed by warm-started
and incremental fits), the default MLP sized from the data, the early-stopping split,
and the training length. MIClassifier adds the meaning of the logits: ``tau``,
``test_prior``, predictions and pointwise MI.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data
from skorch.callbacks import EarlyStopping, EpochTimer, PassthroughScoring, PrintLog
from skorch.dataset import ValidSplit
from skorch.exceptions import NotInitializedError
from torch.utils.data import Subset

from skmi._budget import epochs_for_steps, steps_per_epoch
from skmi._encoding import (
    TableEncoder,
    array_as_table,
    empty_cells_as_table,
    encoder_bytes,
    is_frame,
    needs_encoding,
    series_as_table,
)
from skmi._fastnet import FastNeuralNetClassifier
from skmi._finite import FiniteLossGuard
from skmi._graphs import (
    GraphedForward,
    GraphedTrainStep,
    capturable_optimizer_kwargs,
    on_cuda,
    resolve_cuda_graphs,
)
from skmi._loss import PCSoftmaxLoss
from skmi._mlp import (
    MLP,
    EnsembleMLP,
    auto_hidden_layer_sizes,
    embedding_columns,
    feature_quantiles,
    feature_standardisation,
    scaled_once,
)
from skmi._params import check_params
from skmi._persistence import LoadParamsMixin
from skmi._validation import (
    check_labels,
    check_numeric_features,
    check_sample_weight,
    encode_labels,
    plain,
)

# "auto" training length: about this many optimiser steps, within these epoch bounds.
# Small data gets many short epochs, large data few long ones; time stays linear in n.
_AUTO_STEPS = 2000
_AUTO_MIN_EPOCHS, _AUTO_MAX_EPOCHS = 10, 200


# What scikit-learn's validate_data records about the training input.
_INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_", "table_encoder_", "array_as_table_")


class PriorCorrectedNet(LoadParamsMixin, FastNeuralNetClassifier):
    """Training with the class prior of the data; see [`skmi.MIClassifier`][skmi.MIClassifier]."""

    # ------------------------------------------------------------------ validation
    def _validate_X(self, X, *, reset: bool, y=None):
        """Check X (and y) the sklearn way and return float32 arrays.

        Datasets and dicts go to skorch untouched (only with a custom module), so that
        skorch's own input types keep working.
        """
        if sp.issparse(X):
            raise TypeError(
                "Sparse input is not supported by MIClassifier; convert it with X.toarray()."
            )
        if isinstance(X, (Mapping, torch.utils.data.Dataset)):
            if self.module is None:
                raise TypeError(
                    "The default MLP needs array-like X (numpy, pandas, torch tensor); "
                    f"got {type(X).__name__}. Pass module= to use other inputs."
                )
            if reset:
                self.n_features_in_ = None
            return X if y is None else (X, np.asarray(y))
        if torch.is_tensor(X):
            X = X.detach().cpu().numpy()
        if torch.is_tensor(y):
            y = y.detach().cpu().numpy()
        X = self._as_estimate_mi_reads(X, reset=reset)
        if is_frame(X) and ((reset and needs_encoding(X)) or (not reset and self._encodes())):
            return self._encoded(X, y, reset=reset)
        if reset:
            vars(self).pop("table_encoder_", None)
        elif self._encodes():  # fitted on a table: an array is refused, naming the columns
            self.table_encoder_.check_table(X)
        check_numeric_features(X, type(self).__name__)
        allow_nd = self.module is not None
        kwargs = {"dtype": [np.float32, np.float64], "allow_nd": allow_nd}
        if y is None and not reset:
            X = validate_data(self, X, reset=False, **kwargs)
        else:
            X, y = validate_data(self, X, y, reset=reset, **kwargs)
        X = np.asarray(X, dtype=np.float32)
        if y is not None:
            check_labels(y)  # a missing label (NaN, None, "") is refused by name
        return X if y is None else (X, y)

    def _as_estimate_mi_reads(self, X, *, reset: bool):
        """X read as estimate_mi reads it: a Series is a table of one column, and a
        numeric array with empty cells a table with columns x0, x1, ... (the median and a
        missing indicator per column, fitted on the training rows). A model fitted on
        such an array reads later arrays the same way, with or without empty cells."""
        if reset:
            converted = empty_cells_as_table(X, "x")
            is_array = isinstance(X, (np.ndarray, list, tuple))
            vars(self)["array_as_table_"] = is_array and is_frame(converted)
            return converted
        X = series_as_table(X)
        if vars(self).get("array_as_table_") and not is_frame(X) and np.ndim(X) == 2:
            return array_as_table(X, "x")
        return X  # a model fitted on a plain array refuses empty cells by name

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the default MLP reads empty cells as estimate_mi does (_as_estimate_mi_reads)
        tags.input_tags.allow_nan = self.module is None
        return tags

    def _encodes(self) -> bool:
        return vars(self).get("table_encoder_") is not None

    def _encoded(self, X, y, *, reset: bool):
        """A DataFrame with text, categorical or date columns or missing cells, encoded
        (skmi._encoding.TableEncoder, fitted here on a new fit), as float32."""
        if y is not None:
            y = check_labels(y, len(X))
        if reset:
            seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else None
            encoder = TableEncoder(random_state=seed)
            encoded = encoder.fit_transform(X, y)
            self.table_encoder_ = encoder
            self.n_features_in_ = encoder.n_features_in_
            self.feature_names_in_ = encoder.feature_names_in_
        else:
            encoded = self.table_encoder_.transform(X)
        encoded = np.asarray(encoded, dtype=np.float32)
        return encoded if y is None else (encoded, y)

    def _input_width(self) -> int:
        """The network's input width: the encoded table's, or the number of features."""
        encoder = vars(self).get("table_encoder_")
        return self.n_features_in_ if encoder is None else encoder.n_features_out_

    def _class_weights(self, labels, counts):
        weight = self.class_weight
        if weight is None:
            return None
        if isinstance(weight, str):
            if weight != "balanced":
                raise ValueError(
                    f"class_weight must be None, 'balanced', a dict or an array; got {weight!r}."
                )
            return counts.sum() / (len(counts) * counts)
        if isinstance(weight, Mapping):
            unknown = set(weight) - set(labels.tolist())
            if unknown:
                raise ValueError(f"class_weight names labels not in y: {sorted(unknown, key=str)}.")
            weight = [weight.get(label, 1.0) for label in labels.tolist()]
        weight = np.asarray(weight, dtype=np.float64)
        if weight.shape != counts.shape or not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError(
                f"class_weight must hold {len(counts)} finite non-negative weights; got {weight!r}."
            )
        return weight

    # ------------------------------------------------------------------ skorch hooks
    @property
    def _default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            # after the losses are recorded, before early stopping reads them
            ("finite_loss", FiniteLossGuard()),
        ]
        # get_params reads this property, so it must not fail on a not-yet-validated value;
        # "auto" is resolved in fit (early_stopping_) before the callbacks are built.
        explicit = isinstance(self.early_stopping, (bool, np.bool_)) and bool(self.early_stopping)
        if getattr(self, "early_stopping_", explicit):
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="abs",
                        load_best=True,
                    ),
                )
            )
        callbacks.append(("print_log", PrintLog()))
        return callbacks

    def initialize_module(self):
        if self.module is not None:
            return super().initialize_module()
        if getattr(self, "n_features_in_", None) is None:
            raise NotInitializedError(
                "The default MLP is sized from the data: call fit(X, y), or "
                "load_params(f_params=..., f_criterion=...) on an unfitted MIClassifier."
            )
        hidden = getattr(self, "_hidden_layer_sizes_", None) or self._hidden_sizes()
        kwargs = {
            "n_features": self._input_width(),
            "n_classes": self.class_prior_.shape[0],
            "hidden_layer_sizes": hidden,
            "dropout": self.dropout,
            "feature_mean": getattr(self, "_feature_mean_", None),
            "feature_scale": getattr(self, "_feature_scale_", None),
            "num_embeddings": getattr(self, "num_embeddings", None),
            "input_scaling": getattr(self, "input_scaling", "standard"),
            "feature_quantiles": getattr(self, "_feature_quantiles_", None),
            "embedded_features": getattr(self, "_embedded_features_", None),
            **self.get_params_for("module"),
        }
        n_members = int(getattr(self, "n_members", 1))
        if n_members == 1:
            self.module_ = MLP(**kwargs)
            return self
        self.module_ = EnsembleMLP(**kwargs, n_members=n_members, shift=self._ensemble_shift())
        return self

    def _ensemble_shift(self) -> np.ndarray:
        """``tau * log pi``: what an ensemble adds to its members' logits to average
        their posteriors under the training prior."""
        return self.tau * np.log(self.class_prior_)

    def _hidden_sizes(self) -> tuple[int, ...]:
        if isinstance(self.hidden_layer_sizes, str):
            return auto_hidden_layer_sizes(self._input_width(), self.class_prior_.shape[0])
        return tuple(int(w) for w in self.hidden_layer_sizes)

    def initialize_criterion(self):
        prior = getattr(self, "class_prior_", None)
        if prior is None:
            prior = np.ones(1)  # placeholder until load_params restores the saved prior
        kwargs = self.get_params_for("criterion")
        weight = getattr(self, "class_weight_", None)
        self.criterion_ = self.criterion(
            class_prior=prior, tau=self.tau, class_weight=weight, **kwargs
        )
        encoder = vars(self).get("table_encoder_")
        if encoder is not None and isinstance(self.criterion_, PCSoftmaxLoss):
            # saved with the prior by save_params(f_criterion=...), restored by load_params
            self.criterion_.table_encoding = encoder_bytes(encoder)
        return self

    def check_data(self, X, y):
        # skorch would set classes_inferred_ from y, which here is already encoded.
        pass

    def get_split_datasets(self, X, y=None, **fit_params):
        if not getattr(self, "early_stopping_", False):
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        classes = y[:, 0] if getattr(y, "ndim", 1) == 2 else y  # (index, weight) rows
        classes = np.asarray(classes).astype(np.int64)
        counts = np.bincount(classes)
        if not np.any(counts == 1):
            split = ValidSplit(
                self.validation_fraction, stratified=True, random_state=self._split_seed_
            )
            return split(dataset, classes)
        # A class of one row cannot be on both sides: it stays in the training part, and
        # the other classes are split stratified.
        alone = np.isin(classes, np.flatnonzero(counts == 1))
        rest = np.flatnonzero(~alone)
        n_valid = math.ceil(self.validation_fraction * len(classes))
        splitter = StratifiedShuffleSplit(1, test_size=n_valid, random_state=self._split_seed_)
        train, valid = next(splitter.split(rest, classes[rest]))
        train = np.sort(np.concatenate([rest[train], np.flatnonzero(alone)]))
        return Subset(dataset, train), Subset(dataset, rest[valid])

    def _fit(self, X, y, *, sample_weight, classes, incremental: bool, **fit_params):
        """fit and partial_fit: everything is checked before any fitted state changes,
        so a call that fails leaves a fitted model as it was."""
        X, y_train, keep_network, continuing = self._start_fit(
            X, y, sample_weight=sample_weight, classes=classes, incremental=incremental
        )
        with self._runtime(), self._seeded(None if continuing else self._torch_seed_):
            if keep_network:
                self.criterion_.set_prior(self.class_prior_, self.class_weight_)
                if isinstance(self.module_, EnsembleMLP):
                    self.module_.set_shift(self._ensemble_shift())
            else:
                self.initialize()
            self.epochs_planned_ = self._n_epochs(len(y_train))
            if getattr(self, "cuda_graphs_", False):
                self._graph_step = GraphedTrainStep(self, capture=on_cuda(self))
                self._graph_forward = GraphedForward(self, capture=on_cuda(self))
            try:
                with self._inputs_scaled_once(X) as X_in:
                    # skorch's partial_fit trains without re-initialising (its fit would).
                    super().partial_fit(
                        X_in,
                        y_train,
                        _routing_method="partial_fit" if incremental else "fit",
                        epochs=self.epochs_planned_,
                        **fit_params,
                    )
            finally:
                for name in ("_graph_step", "_graph_forward"):
                    graphs = vars(self).pop(name, None)
                    if graphs is not None:
                        graphs.release()
        return self

    @contextmanager
    def _inputs_scaled_once(self, X):
        """The default MLP's training rows scaled once for all epochs
        (`skmi._mlp.scaled_once`); other modules and inputs as they are."""
        # only the quantile map pays for the copy (a standardisation is two operations)
        quantiles = getattr(vars(self).get("module_"), "quantiles", None)
        if self.module is not None or quantiles is None or not isinstance(X, np.ndarray):
            yield X
            return
        with scaled_once(self.module_, X) as scaled:
            yield scaled

    @contextmanager
    def _raw_inputs(self):
        """The module scaling its inputs itself: a prediction during a fit (a user's
        callback) reads raw X while the training rows are scaled once."""
        module = vars(self).get("module_")
        if not getattr(module, "inputs_scaled", False):
            yield
            return
        module.inputs_scaled = False
        try:
            yield
        finally:
            module.inputs_scaled = True

    def forward_iter(self, X, training=False, device="cpu"):
        # prediction passes replay the forward pass from CUDA graphs (skmi._graphs),
        # captured for this pass only: nothing outlives it or goes stale
        if training or "_graph_forward" in vars(self) or not getattr(self, "cuda_graphs_", False):
            yield from super().forward_iter(X, training=training, device=device)
            return
        self._graph_forward = GraphedForward(self, capture=on_cuda(self))
        try:
            yield from super().forward_iter(X, training=training, device=device)
        finally:
            vars(self).pop("_graph_forward").release()

    def infer(self, x, **fit_params):
        graphs = vars(self).get("_graph_forward")
        if (
            graphs is not None
            and not fit_params
            and torch.is_tensor(x)
            and not torch.is_grad_enabled()
            and not self.module_.training
        ):
            return graphs(x.to(self.device))
        return super().infer(x, **fit_params)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        graph_step = vars(self).get("_graph_step")
        if training and graph_step is not None:
            step_fn = graph_step  # the captured step (skmi._graphs)
        return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def initialize_optimizer(self, *args, **kwargs):
        if not (getattr(self, "cuda_graphs_", False) and on_cuda(self)):
            return super().initialize_optimizer(*args, **kwargs)
        args, kwargs = self.get_params_for_optimizer("optimizer", self.get_all_learnable_params())
        self.optimizer_ = self.optimizer(
            *args, **capturable_optimizer_kwargs(self.optimizer, kwargs)
        )
        return self

    def _initialize_for(self, X, y):
        """What fit does before its first epoch (the checks, the prior, the input
        standardisation and the seeded initial weights), for a network that is then
        trained elsewhere (skmi._together). Returns the checked X and the label indices."""
        X, y_train, _, _ = self._start_fit(
            X, y, sample_weight=None, classes=None, incremental=False
        )
        with self._runtime(), self._seeded(self._torch_seed_):
            self.initialize()
        self.epochs_planned_ = self._n_epochs(len(y_train))
        return X, y_train

    def _start_fit(self, X, y, *, sample_weight, classes, incremental: bool):
        """The checks and the fitted state of the data, before any training: the
        checked X, the training targets, and whether the network is kept (and whether
        its counts carry on)."""
        check_params(self)
        keep_network = bool(self.initialized_) and hasattr(self, "class_prior_")
        keep_network = keep_network and (incremental or bool(self.warm_start))
        continuing = incremental and keep_network  # counts and RNG stream carry on
        weight = check_sample_weight(sample_weight, y)
        # validate_data(reset=True) records the new X's width and names before the labels
        # are checked: put them back if any check fails.
        recorded = {k: v for k, v in vars(self).items() if k in _INPUT_ATTRIBUTES}
        try:
            X, y = self._validate_X(X, y=y, reset=not keep_network)
            check_classification_targets(y)
            if keep_network:
                labels = self.classes_
                y_index = encode_labels(y, labels, len(labels))[0]
            else:
                labels, y_index = self._fit_labels(y, classes)
            counts = np.bincount(y_index, weights=weight, minlength=len(labels))
            if continuing:
                counts = counts + self._previous_counts(counts.sum())
            self._check_class_counts(labels, counts, weight, allow_absent=incremental)
        except (ValueError, TypeError):
            for name in _INPUT_ATTRIBUTES:
                vars(self).pop(name, None)
            vars(self).update(recorded)
            raise

        seen = counts > 0
        self._class_counts_ = counts
        if not seen.all():  # partial_fit only: a class that has not occurred yet
            one_sample = 1.0 if weight is None else float(weight.mean())
            counts = np.where(seen, counts, one_sample)
        self.classes_inferred_ = labels
        self.class_prior_ = counts / counts.sum()
        self.class_weight_ = self._class_weights(labels, counts)
        y_train = y_index.astype(np.int64)
        if weight is not None:
            # the weights travel with the labels through splits, batches and devices;
            # PCSoftmaxLoss reads (index, weight) rows as a weighted cross-entropy
            y_train = np.column_stack([y_index.astype(np.float64), weight])
        if not keep_network:
            self._prepare_fit(X, y_index, weight)
        elif not incremental:
            self._reseed()
        return X, y_train, keep_network, continuing

    def _previous_counts(self, batch_total: float) -> np.ndarray:
        """Class counts of the data trained on so far. A model loaded from saved
        parameters (or pickled by an older skmi) knows only its prior: that counts as
        much as the new batch."""
        counts = getattr(self, "_class_counts_", None)
        return self.class_prior_ * batch_total if counts is None else counts

    def _fit_labels(self, y, classes):
        """Class labels (from ``classes``, the ``classes`` parameter or ``y``) and the
        column index of each label of ``y``."""
        if self.classes is not None and len(self.classes):
            classes = self.classes
        if classes is None:
            labels, y_index = np.unique(y, return_inverse=True)
        else:
            labels = np.asarray(classes)
            if np.unique(labels).shape[0] != labels.shape[0]:
                raise ValueError(f"classes must not repeat labels; got {labels.tolist()}.")
            y_index = encode_labels(y, labels, len(labels))[0]
        if labels.shape[0] < 2:
            raise ValueError(
                "MIClassifier needs samples of at least 2 classes; got 1 class "
                f"({plain(labels[0])!r})."
            )
        return labels, y_index

    @staticmethod
    def _check_class_counts(labels, counts, weight, *, allow_absent: bool) -> None:
        absent = counts <= 0
        if not absent.any() or (allow_absent and not absent.all()):
            return
        missing = labels[absent].tolist()
        if weight is not None:
            raise ValueError(
                f"classes {missing} have no samples with a positive sample_weight; every "
                "class needs some so that its prior is positive."
            )
        raise ValueError(
            f"classes {missing} have no samples in y; every class must occur so that "
            "its prior is positive (partial_fit accepts them with classes=)."
        )

    def _prepare_fit(self, X, y_index, weight=None) -> None:
        self._reseed()
        self._hidden_layer_sizes_ = None
        if self.module is None:
            self._feature_mean_, self._feature_scale_ = feature_standardisation(X, weight)
            self._feature_quantiles_ = None
            self._embedded_features_ = None
            if self.num_embeddings is not None:
                self._embedded_features_ = embedding_columns(X)
            if self.input_scaling == "quantile":
                self._feature_quantiles_ = feature_quantiles(
                    X, weight, random_state=self._split_seed_
                )
        self.early_stopping_ = self._resolve_early_stopping(y_index)
        self.cuda_graphs_ = resolve_cuda_graphs(self)

    def _reseed(self) -> None:
        rng = check_random_state(self.random_state)
        seeded = self.random_state is not None
        self._torch_seed_ = int(rng.randint(2**31 - 1)) if seeded else None
        self._split_seed_ = int(rng.randint(2**31 - 1)) if seeded else None

    def _resolve_early_stopping(self, y_index) -> bool:
        if not isinstance(self.early_stopping, str) and not self.early_stopping:
            return False
        n_classes = self.class_prior_.shape[0]
        n_valid = math.ceil(self.validation_fraction * len(y_index))
        counts = np.bincount(y_index, minlength=n_classes)
        # Explicit early stopping keeps classes of one row in the training part (see
        # get_split_datasets) and needs a row of each other class (at least two of them)
        # on each side; "auto" turns it on only when every class can be held out.
        split = counts[counts >= 2]
        feasible = len(split) >= 2 and len(split) <= n_valid <= split.sum() - len(split)
        if self.early_stopping == "auto":
            every_class = len(split) == n_classes
            return bool(feasible and every_class and self.train_split is None)
        if not feasible:
            raise ValueError(
                "early_stopping needs a stratified validation split: at least 2 classes "
                "with 2 or more rows (one on each side; a class of one row stays in "
                f"training) and a validation row for each of them. Here {len(split)} of "
                f"{n_classes} classes have 2 or more rows, and validation_fraction="
                f"{self.validation_fraction} of {len(y_index)} samples gives {n_valid} "
                "validation rows. Raise validation_fraction or turn early_stopping off."
            )
        return True

    def _n_epochs(self, n_samples: int) -> int:
        """Epochs of a fit: ``max_steps`` or ``max_epochs`` through the one budget rule."""
        explicit = not isinstance(self.max_epochs, str)
        if self.max_steps is None and explicit:
            return int(self.max_epochs)
        held_out = self.validation_fraction if getattr(self, "early_stopping_", False) else 0.0
        per_epoch = steps_per_epoch(n_samples, self.batch_size, held_out)
        if self.max_steps is not None:
            cap = int(self.max_epochs) if explicit else math.inf
            return epochs_for_steps(self.max_steps, per_epoch, min_epochs=1, max_epochs=cap)
        return epochs_for_steps(
            _AUTO_STEPS, per_epoch, min_epochs=_AUTO_MIN_EPOCHS, max_epochs=_AUTO_MAX_EPOCHS
        )

    def _check_fitted(self) -> None:
        self.check_is_fitted()
        if not hasattr(self, "class_prior_"):
            raise NotInitializedError(
                f"This {type(self).__name__} is initialized but not fitted; call fit "
                "or load_params first."
            )

    def _raw_logits(self, X) -> np.ndarray:
        self._check_fitted()
        X = self._validate_X(X, reset=False)
        chunks = []
        # fork_rng: iterating a DataLoader draws a seed from torch's global generator,
        # and predicting should not change the caller's random stream.
        with self._runtime(), torch.random.fork_rng(devices=[]), self._raw_inputs():
            for out in self.forward_iter(X, training=False):
                out = out[0] if isinstance(out, tuple) else out
                chunks.append(out.detach().to("cpu", torch.float64).numpy())
        logits = np.concatenate(chunks, 0) if chunks else np.empty((0, len(self.classes_)))
        if logits.ndim != 2 or logits.shape[1] != self.class_prior_.shape[0]:
            raise ValueError(
                f"The module must return (n_samples, {self.class_prior_.shape[0]}) logits; "
                f"got shape {logits.shape}."
            )
        return logits
