"""Reading a data file for the command line: features and target, encoded for a network."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# A text column with more distinct values than this is an identifier or free text, not a
# category: one-hot encoding it would add a column per row.
MAX_CATEGORIES = 50


class TableError(ValueError):
    """A problem with the user's data file, worded for the command line."""


def read_table(path: str | Path):
    """A pandas DataFrame from a CSV (any delimiter pandas sniffs) or parquet file."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise TableError(f"no such file: {path}")
    if path.is_dir():
        raise TableError(f"{path} is a directory, not a data file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".tsv", ".tab"):
            return pd.read_csv(path, sep="\t")
        return pd.read_csv(path, sep=None, engine="python")
    except ImportError as exc:
        raise TableError(f"reading {path.name} needs an extra package: {exc}") from exc
    except Exception as exc:  # pandas raises many types for unreadable files
        raise TableError(f"could not read {path} as a table: {exc}") from exc


def encode_table(frame, target: str, *, dropna: bool = False):
    """``X`` (float64), ``y`` (labels) and a description of the encoding.

    Numeric and boolean columns are used as they are; text and categorical columns with
    at most :data:`MAX_CATEGORIES` distinct values are one-hot encoded. The caller's
    frame is not modified.
    """
    import pandas as pd

    if target not in frame.columns:
        close = [c for c in frame.columns if str(c).strip().lower() == target.strip().lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:20])
        more = " ..." if frame.shape[1] > 20 else ""
        raise TableError(f"no column {target!r} in the file.{hint} Columns: {shown}{more}")
    frame = frame.copy()
    n_dropped = 0
    missing = frame.isna().any(axis=1)
    if missing.any():
        if not dropna:
            columns = [str(c) for c in frame.columns[frame.isna().any()]]
            raise TableError(
                f"{int(missing.sum())} row(s) have missing values (columns: "
                f"{', '.join(columns[:10])}). Pass --dropna to leave those rows out."
            )
        n_dropped = int(missing.sum())
        frame = frame.loc[~missing]
    if len(frame) == 0:
        raise TableError("the table has no rows" + (" left after --dropna" if n_dropped else ""))
    y = frame.pop(target).to_numpy()
    classes, counts = np.unique(y.astype(str), return_counts=True)
    if len(classes) < 2:
        raise TableError(
            f"the target {target!r} has a single class ({classes[0]!r}): there is no "
            "information to measure"
        )
    if frame.shape[1] == 0:
        raise TableError(f"no feature columns besides the target {target!r}")
    encoded, notes = [], []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            values = column.to_numpy(dtype=np.float64)
            if not np.isfinite(values).all():
                raise TableError(f"column {str(name)!r} has infinite values")
            encoded.append(pd.DataFrame({str(name): values}, index=frame.index))
            continue
        levels = column.astype(str).nunique()
        if levels > MAX_CATEGORIES:
            raise TableError(
                f"column {str(name)!r} is not numeric and has {levels} distinct values "
                f"(more than {MAX_CATEGORIES}): it looks like an identifier or free text. "
                "Drop it or convert it to numbers."
            )
        encoded.append(pd.get_dummies(column.astype(str), prefix=str(name), dtype=np.float64))
        notes.append(f"{name} ({levels} categories)")
    X = pd.concat(encoded, axis=1).to_numpy(dtype=np.float64)
    info = {
        "rows": len(frame),
        "rows_dropped": n_dropped,
        "feature_columns": int(frame.shape[1]),
        "encoded_features": int(X.shape[1]),
        "one_hot_columns": notes,
        "class_counts": {str(c): int(n) for c, n in zip(classes, counts, strict=True)},
    }
    return X, y, info
