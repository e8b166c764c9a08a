"""Reading a data file for the command line: the features as a DataFrame (encoded inside
each training fold by skmi._encoding), the target and the groups."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np


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


def prepare_table(frame, target: str, *, dropna: bool = False, groups: str | None = None):
    """``X`` (a DataFrame, encoded later inside each training fold), ``y``, the groups
    (or None) and a description of what was done with each column.

    Empty cells are missing values. Columns of text that read as dates become dates;
    columns that cannot inform a model (empty, constant, or text with a distinct value
    in most rows: an identifier or free text) are left out, and the description says so.
    The caller's frame is not modified.
    """
    import pandas as pd

    from skmi._encoding import TableEncoder, blank_cells, check_columns, column_group, describe

    for name, role in ((target, "target"), (groups, "groups")):
        if name is not None and name not in frame.columns:
            columns = [str(c) for c in frame.columns]
            close = [c for c in columns if c.strip().lower() == name.strip().lower()]
            # else the nearest spelling (a typo: "lable" for "label")
            close = close or difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:20])
            more = " ..." if frame.shape[1] > 20 else ""
            raise TableError(f"no {role} column {name!r} in the file.{hint} Columns: {shown}{more}")
    if groups is not None and groups == target:
        raise TableError("--groups must name a column other than the target")
    frame = frame.copy()
    frame = frame.mask(blank_cells(frame))  # an empty or blank cell is a missing value
    n_dropped = 0
    if dropna:
        missing = frame.isna().any(axis=1)
        n_dropped = int(missing.sum())
        frame = frame.loc[~missing]
    if len(frame) == 0:
        raise TableError("the table has no rows" + (" left after --dropna" if n_dropped else ""))
    no_label = frame[target].isna()
    if no_label.any():
        raise TableError(
            f"{int(no_label.sum())} row(s) have no value in the target {target!r}; "
            "pass --dropna to leave out rows with missing values"
        )
    y = frame.pop(target).to_numpy()
    y = y.astype(str) if y.dtype == object else y
    group_labels = None if groups is None else frame.pop(groups).astype(str).to_numpy()
    classes, counts = np.unique(y.astype(str), return_counts=True)
    if len(classes) < 2:
        raise TableError(
            f"the target {target!r} has a single class ({classes[0]!r}): there is no "
            "information to measure"
        )
    try:
        check_columns(frame)
    except ValueError as exc:
        raise TableError(str(exc)) from exc
    left_out, dates, kinds = {}, [], {}
    for name in list(frame.columns):
        column = frame[name]
        if column_group(column) == "text" and _reads_as_dates(column):
            frame[name] = pd.to_datetime(column, errors="coerce", format="mixed")
            dates.append(str(name))
        try:
            kinds.update(TableEncoder().validate_table(frame[[name]], y))
        except ValueError as exc:
            left_out[str(name)] = str(exc).split(":")[0].replace(f"Column {str(name)!r} ", "")
            frame = frame.drop(columns=name)
    if frame.shape[1] == 0:
        raise TableError(
            f"no usable feature columns besides the target {target!r}"
            + (f" (left out: {', '.join(left_out)})" if left_out else "")
        )
    # the columns are checked (one at a time, above): fitted only to count its output
    encoded = TableEncoder(validate=False, random_state=0).fit(frame, y).n_features_out_
    info = {
        "rows": len(frame),
        "rows_dropped": n_dropped,
        "feature_columns": int(frame.shape[1]),
        "encoded_features": int(encoded),
        "column_kinds": kinds,
        "columns_left_out": left_out,
        "dates_parsed": dates,
        "encoding": describe(kinds),
        "missing_cells": int(frame.isna().to_numpy().sum()),
        "class_counts": {str(c): int(n) for c, n in zip(classes, counts, strict=True)},
    }
    if groups is not None:
        info["groups"] = {"column": groups, "count": len(np.unique(group_labels))}
    return frame, y, group_labels, info


def _reads_as_dates(column) -> bool:
    """A text column whose filled cells nearly all parse as dates (and are not numbers)."""
    import warnings

    import pandas as pd

    filled = column.dropna().astype(str)
    if len(filled) == 0 or pd.to_numeric(filled, errors="coerce").notna().mean() > 0.5:
        return False
    sample = filled.iloc[:500]
    if not sample.str.contains(r"\d", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)
