"""Columns that make an estimate confidently wrong: the label itself, a column that alone
determines it, and row numbers or identifiers (a saved index sorted by the label reads as
nearly all of H(Y)). Each gets a warning that names it and says why, before any fit.

The checks read each column once (its distinct values and, for numbers, one sort), so
they cost little next to one fit; they are meant to have no false alarms on real tables:
a column is flagged only when the pattern is exact, not when it is merely informative.
"""

from __future__ import annotations

import warnings

import numpy as np

from skmi._warnings import LeakWarning

# A column is checked for identifiers and saved indices from this many rows on (on a
# handful of rows every column of distinct integers would look like one).
_MIN_ROWS = 20
# Distinct integers spread over at most this many times the rows read as row numbers or
# identifiers (a saved index of a shuffled or filtered table keeps a narrow range).
_ID_SPAN = 2.0
# A column determines the label only when it has at most this share of distinct values
# per row (fewer: an identifier, which the check above covers, separates any labels).
_MAX_DISTINCT_SHARE = 0.5
# pandas' name for a CSV's unnamed first column: the index, saved with the table
_SAVED_INDEX_PREFIX = "Unnamed: "


def suspicious_columns(X, y) -> list[tuple[str, str]]:
    """``(column, why)`` for each column of ``X`` (a DataFrame or a 2-D array) that is
    the label, alone determines it, or is a row number or an identifier. ``y``: the
    labels, one per row. Nothing is flagged where ``X`` or ``y`` cannot be read (their
    own checks then raise)."""
    try:
        columns, names = _columns_of(X)
        labels = np.asarray(y, dtype=object).astype(str)
        if not columns or labels.ndim != 1 or len(labels) != len(columns[0]):
            return []
    except (TypeError, ValueError, IndexError):
        return []
    _, y_index = np.unique(labels, return_inverse=True)
    found = []
    for name, values in zip(names, columns, strict=True):
        why = _why_suspicious(name, values, y_index)
        if why:
            found.append((name, why))
    return found


def warn_suspicious_columns(X, y, *, stacklevel: int = 3) -> list[tuple[str, str]]:
    """`suspicious_columns`, each as a `LeakWarning`; returns them."""
    found = suspicious_columns(X, y)
    for name, why in found:
        warnings.warn(f"Column {name!r} {why}", LeakWarning, stacklevel=stacklevel)
    return found


def _columns_of(X) -> tuple[list, list[str]]:
    if hasattr(X, "columns") and hasattr(X, "iloc"):  # a DataFrame
        return [X.iloc[:, j].to_numpy() for j in range(X.shape[1])], [str(c) for c in X.columns]
    values = np.asarray(X)
    if values.ndim != 2:
        raise ValueError("not a table")
    return [values[:, j] for j in range(values.shape[1])], [f"x{j}" for j in range(values.shape[1])]


def _why_suspicious(name: str, values, y_index) -> str | None:
    n = len(values)
    if name.startswith(_SAVED_INDEX_PREFIX) and name[len(_SAVED_INDEX_PREFIX) :].isdigit():
        return (
            "is an unnamed column, as pandas reads a table's index saved with it "
            "(to_csv without index=False): row numbers, not a feature. Drop it "
            "(skmi estimate --drop, or X.drop(columns=...))."
        )
    present = _present(values)
    if present is None or present.sum() < 2:
        return None
    kept, codes = values[present], y_index[present]
    uniques, inverse = _distinct(kept)
    n_distinct, n_classes = len(uniques), len(np.unique(codes))
    numbers = _as_numbers(kept)
    if n >= _MIN_ROWS and n_distinct == len(kept):
        if numbers is not None and np.all(numbers == np.round(numbers)):
            span = numbers.max() - numbers.min() + 1
            steps = np.diff(numbers)
            if np.all(steps > 0) or np.all(steps < 0):
                return (
                    "holds a different integer in every row, in the rows' order: a row "
                    "number or a saved index, not a feature. Drop it."
                )
            if span <= _ID_SPAN * len(numbers):
                return (
                    f"holds a different integer in every row, all within a range of "
                    f"{int(span)}: an identifier or a saved index (of a table that was "
                    "sorted or shuffled), not a feature. Drop it."
                )
    pairs = len(np.unique(inverse.astype(np.int64) * (n_classes + 1) + codes))
    # a value in every row is trivially pure: only a clean threshold says something then
    if pairs == n_distinct and n_classes >= 2 and n_distinct < len(kept):
        if n_distinct == n_classes:
            return (
                "is the label under another name: its values and the label's pair one "
                "to one. Remove it from the features."
            )
        if n_distinct <= _MAX_DISTINCT_SHARE * len(kept):
            return (
                f"alone determines the label: each of its {n_distinct} values occurs with "
                "one label only. If it was recorded after the label (a leak), remove it."
            )
    if numbers is not None and n_classes >= 2 and _separates(numbers, codes):
        return (
            "alone determines the label: sorted by it, the rows fall into one block per "
            "class. If it was recorded after the label (a leak), remove it."
        )
    return None


def _present(values) -> np.ndarray | None:
    """Which cells hold a value (not NaN or None)."""
    try:
        import pandas as pd

        return ~np.asarray(pd.isna(values), dtype=bool)
    except ImportError:  # pragma: no cover - pandas comes with the table route
        numbers = _as_numbers(values)
        return None if numbers is None else ~np.isnan(numbers)


def _distinct(values):
    try:
        return np.unique(values, return_inverse=True)
    except TypeError:  # mixed types in an object column: compare their text
        return np.unique(values.astype(str), return_inverse=True)


def _as_numbers(values) -> np.ndarray | None:
    if values.dtype.kind in "biuf":
        numbers = values.astype(np.float64)
        return numbers if np.all(np.isfinite(numbers)) else None
    return None


def _separates(numbers, codes) -> bool:
    """Whether thresholds on ``numbers`` split the rows into one block per class (ties
    within a block only)."""
    order = np.argsort(numbers, kind="stable")
    sorted_codes, sorted_numbers = codes[order], numbers[order]
    changes = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1])
    if len(changes) != len(np.unique(codes)) - 1:
        return False
    # a change of label between equal values is not a clean threshold
    return bool(np.all(sorted_numbers[changes + 1] > sorted_numbers[changes]))
