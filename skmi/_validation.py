"""Checks of what users pass: labels, priors, features, units and prediction arrays.

Every public entry point (MIClassifier, MIScorer, estimate_mi, skmi.metrics, plotting)
validates through these, so that a problem gets the same clear message everywhere.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils.validation import column_or_1d

_UNITS = {"nats": 1.0, "bits": 1.0 / np.log(2.0)}


def check_units(units: str) -> float:
    """Return the factor converting nats to ``units``."""
    if not isinstance(units, str) or units not in _UNITS:
        raise ValueError(f"units must be 'nats' or 'bits', got {units!r}.")
    return _UNITS[units]


def encode_labels(y_true, labels, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Map ``y_true`` to column indices ``0..n_columns-1``.

    ``labels`` gives the label of each column (as ``classes_`` does for a classifier);
    when it is None the sorted distinct values of ``y_true`` are used, which is only
    unambiguous when every column's label occurs in ``y_true``.
    """
    y_true = column_or_1d(np.asarray(y_true, dtype=object if _is_text(y_true) else None))
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty: at least one sample is needed.")
    if _has_nan(y_true):
        raise ValueError("y_true contains NaN.")
    if labels is None:
        labels = np.unique(y_true)
        if labels.shape[0] != n_columns:
            raise ValueError(
                f"y_true has {labels.shape[0]} distinct labels but the predictions have "
                f"{n_columns} columns; pass labels= to say which label each column is."
            )
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n_columns:
        raise ValueError(
            f"labels must list one label per column ({n_columns}), got shape {labels.shape}."
        )
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    try:
        position = np.searchsorted(sorted_labels, y_true)
    except TypeError as exc:  # e.g. str labels against int classes
        raise ValueError(
            f"y_true's labels cannot be compared with the known labels {labels.tolist()}."
        ) from exc
    position = np.clip(position, 0, n_columns - 1)
    unseen = sorted_labels[position] != y_true
    if np.any(unseen):
        raise ValueError(
            f"y_true contains labels the model was not trained on: "
            f"{np.unique(y_true[unseen]).tolist()}; known labels are {labels.tolist()}."
        )
    return order[position].astype(np.intp), labels


def check_labels(y, n_samples: int | None = None) -> np.ndarray:
    """y as a 1-D array of labels: no missing label (NaN, None or a blank string), and
    one per row when ``n_samples`` is given."""
    text = _is_text(y) or str(getattr(y, "dtype", "")) in ("category", "string", "str")
    values = np.asarray(y, dtype=object if text else None)
    values = column_or_1d(values, warn=True)
    if n_samples is not None and len(values) != n_samples:
        raise ValueError(f"X has {n_samples} rows but y has {len(values)} labels.")
    missing = _missing_labels(values)
    if missing:
        raise ValueError(
            f"y has {missing} missing label(s) (NaN, None or an empty string): drop those "
            "rows, or give them a label of their own."
        )
    if values.dtype == object:
        kinds = {type(v) for v in values}
        if len(kinds) == 1:
            values = np.asarray(values.tolist())  # plain str or int labels, as numpy holds them
    return values


def _missing_labels(y: np.ndarray) -> int:
    if y.dtype.kind == "f":
        return int(np.isnan(y).sum())
    if y.dtype.kind in "US":
        return int(sum(1 for v in y if not str(v).strip()))
    if y.dtype.kind == "O":
        return int(
            sum(
                1
                for v in y
                if v is None
                or (isinstance(v, Real) and v != v)
                or (isinstance(v, str) and not v.strip())
                or (type(v).__name__ in ("NAType", "NaTType"))
            )
        )
    return 0


def _is_text(y) -> bool:
    dtype = getattr(y, "dtype", None)
    return dtype is not None and dtype.kind in "OUS"


def _has_nan(y: np.ndarray) -> bool:
    if y.dtype.kind == "f":
        return bool(np.isnan(y).any())
    if y.dtype.kind == "O":
        return any(isinstance(v, Real) and v != v for v in y)
    return False


def check_prior(prior, n_classes: int, *, name: str = "prior") -> np.ndarray:
    """Validate a user-given class prior and return it as float64, summing to 1."""
    prior = np.asarray(prior, dtype=np.float64)
    if prior.ndim != 1 or prior.shape[0] != n_classes:
        raise ValueError(
            f"{name} must have one entry per class ({n_classes}), got shape {prior.shape}."
        )
    if not np.all(np.isfinite(prior)):
        raise ValueError(f"{name} contains NaN or inf: {prior.tolist()}.")
    if np.any(prior < 0):
        raise ValueError(f"{name} must be non-negative, got {prior.tolist()}.")
    if not np.isclose(prior.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1, got a sum of {prior.sum():.6g}.")
    return prior / prior.sum()


def check_2d_finite(values, name: str, n_samples: int | None = None) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_classes), got {values.ndim}-D.")
    if n_samples is not None and values.shape[0] != n_samples:
        raise ValueError(f"y_true has {n_samples} samples but {name} has {values.shape[0]} rows.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or inf.")
    return values


def check_sample_weight(sample_weight, y) -> np.ndarray | None:
    """Validate ``sample_weight`` against the labels: float64, 1-D, finite, >= 0, with a
    positive sum. None stays None. The user's array is not modified."""
    if sample_weight is None:
        return None
    if y is None:
        raise ValueError("sample_weight needs y.")
    try:
        weight = np.array(sample_weight, dtype=np.float64)  # a copy
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"sample_weight must be an array of numbers; got {type(sample_weight).__name__}."
        ) from exc
    n_samples = np.asarray(y).shape[0]
    if weight.ndim != 1 or weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per sample; got "
            f"shape {weight.shape}."
        )
    if not np.all(np.isfinite(weight)):
        raise ValueError("sample_weight contains NaN or inf.")
    if np.any(weight < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not weight.sum() > 0:
        raise ValueError(
            "sample_weight is zero for every sample: at least one needs a positive weight."
        )
    return weight


def plain(value):
    """A numpy scalar as the Python value it holds, for readable error messages."""
    return value.item() if isinstance(value, np.generic) else value


def check_numeric_features(X, owner: str) -> None:
    """Raise a ValueError naming text columns, before numpy's 'could not convert' error."""
    if getattr(X, "dtypes", None) is not None and hasattr(X, "items"):  # pandas DataFrame
        from pandas.api.types import infer_dtype

        text = [
            str(name)
            for name, column in X.items()
            if infer_dtype(column, skipna=True) in ("string", "bytes", "mixed", "categorical")
            and not (
                str(column.dtype) == "category"
                and infer_dtype(column.cat.categories, skipna=True) in ("integer", "floating")
            )
        ]
        if text:
            raise ValueError(
                f"{owner} needs numeric features; column(s) {text[:10]} hold text or "
                "categories. Encode them first (e.g. sklearn's OneHotEncoder in a Pipeline)."
            )
        return
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind in ("U", "S"):
        raise ValueError(
            f"{owner} needs numeric features; got an array of strings (dtype {X.dtype}). "
            "Encode them first (e.g. sklearn's OneHotEncoder in a Pipeline)."
        )
