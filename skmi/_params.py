"""MIClassifier's parameter constraints, as a table, checked at the start of fit.

In the style of scikit-learn's ``_parameter_constraints``: each parameter lists the
kinds of value it accepts, and a value that matches none gets one message naming the
parameter, what it accepts and what it got. skorch shadows scikit-learn's parameter
machinery (and that machinery is private), so the table is checked here, explicitly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from skmi._loss import PCSoftmaxLoss
from skmi._runtime import check_device, requested_device
from skmi._threads import check_num_threads


@dataclass(frozen=True)
class Accepts:
    """One kind of value a parameter accepts: its description and its test."""

    words: str
    test: Callable[[object], bool]


def options(*values) -> Accepts:
    words = " or ".join(repr(v) for v in values)
    return Accepts(words, lambda v: any(_same(v, option) for option in values))


def interval(low: float, high: float, closed: str) -> Accepts:
    """Finite real numbers between ``low`` and ``high``; ``closed`` in {"left", "right",
    "both", "neither"} says which ends belong."""
    left, right = closed in ("left", "both"), closed in ("right", "both")
    if math.isinf(high):
        words = f"{'>=' if left else '>'} {low:g} and finite"
    else:
        words = f"in {'[' if left else '('}{low:g}, {high:g}{']' if right else ')'}"

    def test(v) -> bool:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, Real) or not math.isfinite(v):
            return False
        above = v >= low if left else v > low
        below = v <= high if right else v < high
        return above and below

    return Accepts(words, test)


def _same(value, option) -> bool:
    if option is None:
        return value is None
    if isinstance(option, str):
        return isinstance(value, str) and value == option
    return not isinstance(value, (bool, np.bool_, str)) and value == option


def _positive_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, (bool, np.bool_)) and v >= 1


def _widths(v) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, str) and all(_positive_int(w) for w in v)


POSITIVE_INT = Accepts("an int >= 1", _positive_int)
BOOL = Accepts("a bool", lambda v: isinstance(v, (bool, np.bool_)))

# name -> (accepted kinds, error raised). Array-like and dict test priors are checked
# against the classes at prediction time, when their length is known.
PARAMETER_CONSTRAINTS: dict[str, tuple[list[Accepts], type[Exception]]] = {
    "tau": ([interval(0, math.inf, "left")], ValueError),
    "test_prior": (
        [
            options("balanced", "training"),
            Accepts("an array of class probabilities", lambda v: not isinstance(v, str)),
            Accepts("a {label: probability} dict", lambda v: isinstance(v, Mapping)),
        ],
        ValueError,
    ),
    "hidden_layer_sizes": (
        [options("auto"), Accepts("a sequence of positive ints", _widths)],
        ValueError,
    ),
    "dropout": ([interval(0, 1, "left")], ValueError),
    "n_members": ([POSITIVE_INT], ValueError),
    "num_embeddings": ([options(None, "periodic")], ValueError),
    "input_scaling": ([options("standard", "quantile")], ValueError),
    "max_epochs": ([options("auto"), POSITIVE_INT], ValueError),
    "max_steps": ([options(None), POSITIVE_INT], ValueError),
    "batch_size": ([POSITIVE_INT, options(-1)], ValueError),
    "tol": ([interval(0, math.inf, "left")], ValueError),
    "lr": ([interval(0, math.inf, "neither")], ValueError),
    "early_stopping": ([options("auto"), BOOL], ValueError),
    "precision": ([options("float32", "bf16")], ValueError),
    "cuda_graphs": ([options("auto"), BOOL], ValueError),
    "criterion": (
        [
            Accepts(
                "PCSoftmaxLoss or a subclass of it",
                lambda v: isinstance(v, type) and issubclass(v, PCSoftmaxLoss),
            )
        ],
        TypeError,
    ),
    "callbacks": (
        [Accepts("a list or None", lambda v: isinstance(v, (list, type(None))))],
        TypeError,
    ),
}

# Checked only when early stopping may run (early_stopping True or "auto").
EARLY_STOPPING_CONSTRAINTS: dict[str, tuple[list[Accepts], type[Exception]]] = {
    "validation_fraction": ([interval(0, 1, "neither")], ValueError),
    "n_iter_no_change": ([POSITIVE_INT], ValueError),
}


def check_params(clf) -> None:
    """Raise a ValueError or TypeError naming the first parameter of ``clf`` that its
    constraints refuse."""
    _check_table(clf, PARAMETER_CONSTRAINTS)
    early_stopping = clf.early_stopping
    if isinstance(early_stopping, str) or early_stopping:
        _check_table(clf, EARLY_STOPPING_CONSTRAINTS)
        if not isinstance(early_stopping, str) and clf.train_split is not None:
            raise ValueError(
                "early_stopping=True makes its own validation split; leave train_split=None."
            )
    check_device(requested_device(clf))  # the value the user set, e.g. "auto"
    check_num_threads(clf.num_threads)


def _check_table(clf, table) -> None:
    for name, (accepted, error) in table.items():
        value = getattr(clf, name)
        if not any(kind.test(value) for kind in accepted):
            words = ", ".join(kind.words for kind in accepted[:-1])
            words = f"{words} or {accepted[-1].words}" if words else accepted[0].words
            raise error(f"{name} must be {words}; got {value!r}.")
