"""Checks of MIClassifier's own parameters, run at the start of fit.

skorch shadows scikit-learn's parameter machinery, so these run explicitly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np

from skmi._loss import PCSoftmaxLoss
from skmi._runtime import check_device, check_num_threads


def check_params(clf) -> None:
    """Validate skmi's parameters of ``clf``."""
    tau = clf.tau
    if isinstance(tau, bool) or not isinstance(tau, Real) or not math.isfinite(tau):
        raise ValueError(f"tau must be a finite number >= 0; got {tau!r}.")
    if tau < 0:
        raise ValueError(f"tau must be >= 0; got {tau!r}.")
    if isinstance(clf.test_prior, str) and clf.test_prior not in ("balanced", "training"):
        raise ValueError(
            "test_prior must be 'balanced', 'training', an array of class "
            f"probabilities or a {{label: probability}} dict; got {clf.test_prior!r}."
        )
    if not (isinstance(clf.hidden_layer_sizes, str) and clf.hidden_layer_sizes == "auto"):
        sizes = clf.hidden_layer_sizes
        if (
            not isinstance(sizes, Sequence)
            or isinstance(sizes, str)
            or not all(
                isinstance(w, Integral) and not isinstance(w, bool) and w >= 1 for w in sizes
            )
        ):
            raise ValueError(
                f"hidden_layer_sizes must be 'auto' or a sequence of positive ints; got {sizes!r}."
            )
    if not isinstance(clf.dropout, Real) or not 0 <= clf.dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); got {clf.dropout!r}.")
    if not (isinstance(clf.max_epochs, str) and clf.max_epochs == "auto"):
        if not _is_positive_int(clf.max_epochs):
            raise ValueError(f"max_epochs must be 'auto' or an int >= 1; got {clf.max_epochs!r}.")
    if not (_is_positive_int(clf.batch_size) or clf.batch_size == -1):
        raise ValueError(f"batch_size must be an int >= 1 (or -1); got {clf.batch_size!r}.")
    tol = clf.tol
    if isinstance(tol, bool) or not isinstance(tol, Real) or not (0 <= tol < math.inf):
        raise ValueError(f"tol must be a finite number >= 0; got {tol!r}.")
    if not isinstance(clf.lr, Real) or not clf.lr > 0:
        raise ValueError(f"lr must be a number > 0; got {clf.lr!r}.")
    if not (
        isinstance(clf.early_stopping, (bool, np.bool_))
        or (isinstance(clf.early_stopping, str) and clf.early_stopping == "auto")
    ):
        raise ValueError(
            f"early_stopping must be 'auto', True or False; got {clf.early_stopping!r}."
        )
    if isinstance(clf.early_stopping, str) or clf.early_stopping:
        if not isinstance(clf.validation_fraction, Real) or not 0 < clf.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in (0, 1); got {clf.validation_fraction!r}."
            )
        if not _is_positive_int(clf.n_iter_no_change):
            raise ValueError(f"n_iter_no_change must be an int >= 1; got {clf.n_iter_no_change!r}.")
        if not isinstance(clf.early_stopping, str) and clf.train_split is not None:
            raise ValueError(
                "early_stopping=True makes its own validation split; leave train_split=None."
            )
    if not (isinstance(clf.precision, str) and clf.precision in ("float32", "bf16")):
        raise ValueError(f"precision must be 'float32' or 'bf16'; got {clf.precision!r}.")
    if not (isinstance(clf.criterion, type) and issubclass(clf.criterion, PCSoftmaxLoss)):
        raise TypeError(
            f"criterion must be PCSoftmaxLoss or a subclass of it; got {clf.criterion!r}."
        )
    if not isinstance(clf.callbacks, (list, type(None))):
        raise TypeError(f"callbacks must be a list or None; got {clf.callbacks!r}.")
    check_device(clf.device)
    check_num_threads(clf.num_threads)


def _is_positive_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 1
