"""Tables as users have them: a pandas DataFrame with numeric, boolean, text, categorical
and date columns and missing cells, encoded into the numeric matrix a network reads.

The encoding is scikit-learn's (a ``ColumnTransformer`` of ``SimpleImputer`` with
missing indicators, ``OneHotEncoder`` and ``TargetEncoder``), chosen per column by its
kind, fitted on the training rows only, and pickled with the model that owns it. What
is written here is what scikit-learn leaves to the user: deciding each column's kind,
refusing what cannot be encoded with a message that names the column, and checking at
prediction time that the table has the columns, and kinds, it was fitted on.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, TargetEncoder
from sklearn.utils.validation import check_is_fitted

from skmi._validation import plain

# Text or categorical columns with at most this many levels are one-hot encoded; with
# more, each level is replaced by its cross-fitted class frequencies (TargetEncoder),
# which keeps the network's first layer narrow.
MAX_ONE_HOT_LEVELS = 30
# A text column whose distinct values are more than this share of its filled cells (and
# more than MAX_ONE_HOT_LEVELS) is an identifier or free text, not a category.
FREE_TEXT_SHARE = 0.5
# The level that a missing cell of a text or categorical column becomes.
MISSING_LEVEL = "<missing>"

# kind of a column -> how it is encoded (said in errors, the CLI and the docs)
ENCODINGS = {
    "numeric": "as is; missing cells: median and a missing indicator",
    "boolean": "0/1; missing cells: median and a missing indicator",
    "datetime": "days since 1970, month and weekday; missing: median and an indicator",
    "categorical": "one-hot; missing cells are a level of their own; unseen levels: all zeros",
    "many-levels": (
        f"more than {MAX_ONE_HOT_LEVELS} levels: cross-fitted class frequencies of each "
        "level (TargetEncoder); missing cells are a level; unseen levels: the class prior"
    ),
}


def is_frame(X) -> bool:
    """A pandas (or pandas-like) DataFrame."""
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


# A text column is "numbers with a few bad tokens" when at least this share of its filled
# cells read as numbers.
_ALMOST_NUMERIC_SHARE = 0.9


def _almost_numeric(name, filled) -> str | None:
    """Why a text column of many values is numbers written badly (a few tokens such as
    '?' or 'n/a', or a decimal comma), with the way out; None when it is not."""
    import pandas as pd

    text = filled.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = text[numbers.isna()]
    if 0 < len(bad) and numbers.notna().mean() >= _ALMOST_NUMERIC_SHARE:
        shown = ", ".join(repr(v) for v in bad.unique()[:3])
        return (
            f"Column {name!r} is numeric except for {len(bad)} value(s) like {shown}: make "
            "them empty cells (pd.to_numeric(column, errors='coerce'), or na_values= when "
            "reading the file) and it is read as a number with a missing indicator."
        )
    with_comma = text[text.str.contains(",", regex=False)]
    commas = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    if len(with_comma) and commas.notna().mean() >= _ALMOST_NUMERIC_SHARE:
        return (
            f"Column {name!r} holds numbers with a decimal comma (like "
            f"{with_comma.iloc[0]!r}): read the file with decimal=',' or replace ',' by "
            "'.', and it is read as a number."
        )
    return None


def series_as_table(X, prefix: str = "x"):
    """A pandas Series as a table of one column (named as the Series, else
    ``prefix0``); anything else as it is. One column is a table like any other, text or
    numbers."""
    import sys

    pd = sys.modules.get("pandas")  # a Series exists only where pandas was imported
    if pd is None or not isinstance(X, pd.Series):
        return X
    return X.to_frame(name=X.name if X.name is not None else f"{prefix}0")


def array_as_table(X, prefix: str):
    """A 2-D array as a DataFrame with columns ``prefix0``, ``prefix1``, ..."""
    import pandas as pd

    values = np.asarray(X)
    return pd.DataFrame(values, columns=[f"{prefix}{j}" for j in range(values.shape[1])])


def empty_cells_as_table(X, prefix: str):
    """A 2-D float array with empty cells (NaN) as a DataFrame with columns ``prefix0``,
    ``prefix1``, ...: its empty cells then take the table route (the column's median
    and a missing indicator, as a DataFrame's empty cells), where a plain array would be
    refused. A pandas Series is a table of one column (`series_as_table`). Anything
    else (a sparse matrix too) is returned as it is."""
    X = series_as_table(X, prefix)
    if isinstance(X, (list, tuple)):
        try:
            values = np.asarray(X)
        except ValueError:  # ragged rows: refused later, as they were
            return X
    elif isinstance(X, np.ndarray):
        values = X
    else:
        return X
    if values.ndim != 2 or not has_empty_cells(values):
        return X
    return array_as_table(values, prefix)


def has_empty_cells(values: np.ndarray) -> bool:
    """Whether a numpy array of floats holds a NaN."""
    return values.dtype.kind == "f" and bool(np.isnan(values).any())


def needs_encoding(frame) -> bool:
    """Whether a DataFrame has a column that is not a plain number, or a missing cell:
    a table that numpy's float conversion would refuse or fill with NaN."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    for _, column in frame.items():
        if not (is_numeric_dtype(column.dtype) or is_bool_dtype(column.dtype)):
            return True
    return bool(frame.isna().to_numpy().any())


def column_group(column) -> str:
    """What a column holds, as checked between fit and predict: number, datetime, text,
    or mixed."""
    from pandas.api.types import (
        infer_dtype,
        is_bool_dtype,
        is_datetime64_any_dtype,
        is_numeric_dtype,
    )

    dtype = column.dtype
    if str(dtype) == "category":
        return "category"
    if is_bool_dtype(dtype):
        return "boolean"
    if is_numeric_dtype(dtype):
        return "numeric"
    if is_datetime64_any_dtype(dtype):
        return "datetime"
    inferred = infer_dtype(_without_blanks(column), skipna=True)
    if inferred in ("string", "bytes", "empty"):
        return "text"
    if inferred == "boolean":
        return "boolean"
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "numeric"
    if inferred in ("datetime64", "datetime", "date"):
        return "datetime"
    return "mixed"  # "mixed", "mixed-integer", and anything else


def _is_blank(value) -> bool:
    return isinstance(value, str) and not value.strip()


def blank_cells(values):
    """Where a Series or DataFrame holds an empty or blank string: a missing value as a
    CSV or a form leaves it."""
    return values.map(_is_blank).astype(bool)


def _as_text(frame):
    """Text and categorical cells as strings, a missing or blank cell as its own level."""
    out = frame.astype(object)
    missing = out.isna() | blank_cells(out)
    return out.where(~missing, MISSING_LEVEL).astype(str)


def _without_blanks(column):
    """An object column's empty or blank strings as missing values (a number column
    read with empty cells as "")."""
    if column.dtype != object:
        return column
    blank = blank_cells(column)
    return column.mask(blank) if blank.any() else column


def _as_float(frame):
    """Numbers and booleans (also in object columns, blanks as missing) as float64."""
    frame = frame.apply(_without_blanks)
    return frame.astype(object).where(frame.notna(), np.nan).astype(np.float64)


def _date_parts(frame):
    """Each date column as days since 1970, month and weekday (NaN where missing)."""
    import pandas as pd

    parts = {}
    for name, column in frame.items():
        dates = pd.to_datetime(column, errors="coerce")
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
        seconds = dates.astype("datetime64[s]").astype("int64").astype(np.float64)
        days = np.where(dates.isna(), np.nan, seconds / 86_400.0)
        parts[f"{name}_days"] = days
        parts[f"{name}_month"] = dates.dt.month.astype(np.float64)
        parts[f"{name}_weekday"] = dates.dt.day_of_week.astype(np.float64)
    return pd.DataFrame(parts, index=frame.index)


def _date_names(transformer, names):
    return np.asarray([f"{n}_{p}" for n in names for p in ("days", "month", "weekday")], object)


class TableEncoder(TransformerMixin, BaseEstimator):
    """Encode a DataFrame with mixed columns and missing cells into a float matrix.

    Each column is encoded by its kind (``column_kinds_``):

    - numeric: as is; a column with missing cells gets the training median in them and
      a 0/1 missing indicator (whether a value is missing is often informative);
    - boolean: 0/1, missing cells as for numbers;
    - datetime: days since 1970, month and weekday, missing as for numbers;
    - categorical (text or ``category`` dtype, at most ``MAX_ONE_HOT_LEVELS`` levels):
      one-hot; a missing or blank cell is a level of its own; a level not seen in
      training reads as all zeros (no level), never an error;
    - many-levels (more levels): each level's class frequencies, cross-fitted on the
      training rows (scikit-learn's ``TargetEncoder``); an unseen level reads as the
      class prior.

    Used by MIClassifier and estimate_mi when they are given such a DataFrame; it can
    also stand in a Pipeline of its own.

    Parameters
    ----------
    validate : bool, default=True
        Refuse, with a ValueError naming the columns, a column that is empty (all
        missing) or constant, one that mixes numbers and text, and text with so many
        distinct values that it is an identifier or free text. estimate_mi checks the
        whole table once and its per-fold encoders do not (a rare level may leave a
        column constant in one training fold).
    random_state : int or None, default=None
        Seeds the TargetEncoder's internal folds.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        The columns, in the order fitted on.
    column_kinds_ : dict
        Each column's kind: "numeric", "boolean", "datetime", "categorical" or
        "many-levels".
    n_features_out_ : int
        The width of the encoded matrix.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skmi._encoding import TableEncoder
    >>> frame = pd.DataFrame({"age": [30, np.nan, 50, 41], "city": ["a", "b", None, "a"]})
    >>> encoder = TableEncoder().fit(frame, [0, 1, 0, 1])
    >>> encoder.column_kinds_
    {'age': 'numeric', 'city': 'categorical'}
    >>> encoder.transform(frame).shape  # age, its indicator, 3 levels of city
    (4, 5)
    """

    def __init__(self, *, validate: bool = True, random_state=None):
        self.validate = validate
        self.random_state = random_state

    def fit(self, X, y=None):
        X = self._fit(X, y)
        self.transformer_.fit(X, y)
        self.n_features_out_ = len(self.transformer_.get_feature_names_out())
        return self

    def fit_transform(self, X, y=None, **fit_params):
        # TargetEncoder's fit_transform cross-fits the training rows' encodings: fit
        # followed by transform would hand every training row its own label's share
        X = self._fit(X, y)
        encoded = self._output(self.transformer_.fit_transform(X, y))
        self.n_features_out_ = encoded.shape[1]
        return encoded

    def transform(self, X):
        check_is_fitted(self, "transformer_")
        return self._output(self.transformer_.transform(self.check_table(X)))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "transformer_")
        return self.transformer_.get_feature_names_out()

    def validate_table(self, X, y=None) -> dict:
        """Check a whole table as ``fit`` would (with ``validate=True``) without fitting
        anything; return each column's kind."""
        checker = clone(self).set_params(validate=True)
        checker._fit(X, y)
        return checker.column_kinds_

    # ------------------------------------------------------------------ internals
    def _fit(self, X, y):
        if not is_frame(X):
            raise TypeError(f"TableEncoder needs a pandas DataFrame; got {type(X).__name__}.")
        check_columns(X)
        if len(X) == 0:
            raise ValueError("The table has no rows.")
        X = X.set_axis([str(c) for c in X.columns], axis=1)  # names select columns below
        kinds, groups = {}, {}
        for name, column in X.items():
            groups[name] = column_group(column)
            kinds[name] = self._kind(name, column, groups[name])
        if any(kind == "many-levels" for kind in kinds.values()) and y is None:
            raise ValueError(
                "Columns with more than "
                f"{MAX_ONE_HOT_LEVELS} levels are encoded by their class frequencies, "
                "which needs y."
            )
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.column_kinds_ = kinds
        self._groups_ = groups
        self.transformer_ = self._transformer(kinds)
        return X

    def _kind(self, name: str, column, group: str) -> str:
        filled = column.dropna()
        if group == "text":
            filled = filled[~blank_cells(filled)]
        if self.validate:
            if len(filled) == 0:
                raise ValueError(
                    f"Column {name!r} has no values (every cell is missing or blank): drop it."
                )
            if column.nunique(dropna=False) == 1:
                raise ValueError(
                    f"Column {name!r} is constant ({plain(filled.iloc[0])!r} in every row): it "
                    "carries no information; drop it."
                )
            if group == "mixed":
                kinds = sorted({type(v).__name__ for v in filled})
                raise ValueError(
                    f"Column {name!r} mixes types ({', '.join(kinds)}): make it all "
                    "numbers or all text (e.g. column.astype(str))."
                )
        if group in ("numeric", "boolean", "datetime"):
            return group
        if group == "mixed":  # not validated: read as text
            group = "text"
        levels = filled.astype(str).nunique()
        if levels <= MAX_ONE_HOT_LEVELS:
            return "categorical"
        if self.validate and group == "text" and levels > FREE_TEXT_SHARE * len(filled):
            # numbers with a few bad tokens, or a decimal comma, are not free text
            almost = _almost_numeric(name, filled)
            if almost:
                raise ValueError(almost)
            raise ValueError(
                f"Column {name!r} has {levels} distinct values in {len(filled)} filled "
                "cells: it looks like an identifier or free text, not a category. Drop "
                "it, or turn it into features first (lengths, counts, a category)."
            )
        return "many-levels"

    def _transformer(self, kinds: dict) -> ColumnTransformer:
        def named(kind):
            return [name for name, k in kinds.items() if k == kind]

        number = make_pipeline(
            FunctionTransformer(_as_float, feature_names_out="one-to-one"),
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        )
        dates = make_pipeline(
            FunctionTransformer(_date_parts, feature_names_out=_date_names),
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        )
        text = FunctionTransformer(_as_text, feature_names_out="one-to-one")
        parts = [
            ("numeric", number, named("numeric") + named("boolean")),
            ("datetime", dates, named("datetime")),
            (
                "categorical",
                Pipeline(
                    [
                        ("text", text),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="ignore", sparse_output=False, dtype=np.float64
                            ),
                        ),
                    ]
                ),
                named("categorical"),
            ),
            (
                "many_levels",
                Pipeline(
                    [
                        ("text", text),
                        ("target", _target_encoder(self.random_state)),
                    ]
                ),
                named("many-levels"),
            ),
        ]
        parts = [part for part in parts if part[2]]
        return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)

    def check_table(self, X):
        """X's columns in the fitted order, after checking that X is a table with the
        same columns holding the same kinds of values (a ValueError or TypeError that
        names what differs)."""
        if not is_frame(X):
            raise TypeError(
                f"This model was fitted on a DataFrame with columns "
                f"{list(self.feature_names_in_)[:10]}; pass one (got {type(X).__name__})."
            )
        check_columns(X)
        names = [str(c) for c in X.columns]
        expected = list(self.feature_names_in_)
        missing = [c for c in expected if c not in names]
        extra = [c for c in names if c not in expected]
        if missing or extra:
            said = []
            if missing:
                said.append(f"missing column(s) {missing[:10]}")
            if extra:
                said.append(f"unexpected column(s) {extra[:10]}")
            raise ValueError(
                "The table's columns differ from those fitted on: " + "; ".join(said) + "."
            )
        X = X.set_axis(names, axis=1)[expected]
        for name in expected:
            fitted, now = self._groups_[name], column_group(X[name])
            if fitted == now or X[name].isna().all():
                continue
            if {fitted, now} <= {"numeric", "boolean"}:
                continue
            raise ValueError(
                f"Column {name!r} held {fitted} values when fitted and holds {now} "
                "values now: convert it back (e.g. astype) before predicting."
            )
        return X

    @staticmethod
    def _output(values) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(
                "The table has infinite values in a numeric column: replace them (with "
                "NaN for a missing value) before fitting."
            )
        return values


def _target_encoder(random_state) -> TargetEncoder:
    """A TargetEncoder with seeded internal folds (scikit-learn 1.9 takes them as cv=)."""
    if TargetEncoder().get_params().get("shuffle") == "deprecated":
        return TargetEncoder(cv=KFold(5, shuffle=True, random_state=random_state))
    return TargetEncoder(shuffle=True, random_state=random_state)


def encoder_bytes(encoder: TableEncoder):
    """A fitted encoder as a uint8 tensor, to be saved in a state dict."""
    import pickle

    import torch

    return torch.frombuffer(bytearray(pickle.dumps(encoder)), dtype=torch.uint8).clone()


def encoder_from_bytes(values) -> TableEncoder:
    """The encoder that `encoder_bytes` saved (a pickle: load only files you trust)."""
    import pickle

    return pickle.loads(values.detach().cpu().numpy().tobytes())


def check_columns(frame) -> None:
    """Column names must be unique: a table with two columns of one name is ambiguous."""
    names = [str(c) for c in frame.columns]
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise ValueError(f"The table has duplicate column names: {repeated[:10]}; rename them.")


def describe(kinds: dict) -> list[str]:
    """One line per column kind: which columns, and what was done with them."""
    lines = []
    for kind, how in ENCODINGS.items():
        names = [name for name, k in kinds.items() if k == kind]
        if names:
            shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            lines.append(f"{kind} ({len(names)}): {shown} - {how}")
    return lines
