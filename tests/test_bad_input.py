"""A matrix of bad inputs: each gets a specific error (or is handled and documented), and
the caller's arrays are never modified."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from skmi import MIClassifier, MIScorer, estimate_mi

FAST = {"max_epochs": 2, "random_state": 0, "num_threads": 1}
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = np.array([0, 1, 2] * 20)


def with_nan(a, value=np.nan):
    a = a.astype(float)
    a[0] = value
    return a


BAD = {
    "nan in X": (with_nan(X), y, ValueError, "NaN"),
    "inf in X": (with_nan(X, np.inf), y, ValueError, "infinity"),
    "nan in y": (X, with_nan(y), ValueError, "NaN"),
    "empty X": (X[:0], y[:0], ValueError, "0 sample"),
    "one class": (X, np.zeros(60), ValueError, "at least 2 classes"),
    "mismatched lengths": (X, y[:-1], ValueError, "samples"),
    "1-D X": (X[:, 0], y, ValueError, "2D array"),
    "3-D X": (X.reshape(60, 3, 1), y, ValueError, "dim 3"),
    "string features": (np.array([["a", "b", "c"]] * 60), y, ValueError, "numeric features"),
    "empty label in a DataFrame's y": (
        pd.DataFrame({"x": X[:, 0], "city": ["a", "b"] * 30}),
        np.array(["u", "v", ""] * 20),
        ValueError,
        "missing label",
    ),
    "sparse X": (sp.csr_matrix(X), y, TypeError, "[Ss]parse"),
}


def _snapshot(values):
    return values.copy(deep=True) if isinstance(values, pd.DataFrame) else values.copy()


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif sp.issparse(a):
        assert (a != b).nnz == 0
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", [case for case in BAD if case != "nan in X"])
def test_miclassifier_fit_rejects_bad_input_clearly(case):
    X_bad, y_bad, error, match = BAD[case]
    X_before, y_before = _snapshot(X_bad), _snapshot(y_bad)
    with pytest.raises(error, match=match):
        MIClassifier(**FAST).fit(X_bad, y_bad)
    _same(X_bad, X_before)
    _same(y_bad, y_before)


# estimate_mi reads an array's empty cells as a table's (tests/test_conditional.py)
@pytest.mark.parametrize("case", [case for case in BAD if case != "nan in X"])
def test_estimate_mi_rejects_bad_input_clearly(case):
    X_bad, y_bad, error, match = BAD[case]
    if case == "3-D X":
        match = "dim 3|2D"
    with pytest.raises(error, match=match):
        estimate_mi(X_bad, y_bad, estimator=LogisticRegression(), random_state=0)


@pytest.fixture(scope="module")
def fitted():
    return MIClassifier(**FAST).fit(X, y)


@pytest.mark.parametrize(
    ("X_bad", "y_bad", "match"),
    [
        (X[:, :2], y, "2 features"),
        (with_nan(X), y, "NaN"),
        (X, np.r_[y[:-1], 5], r"not trained on: \[5\]"),
        (X, y[:-1], "samples"),
    ],
    ids=["wrong feature count", "nan in X", "unseen label", "mismatched lengths"],
)
def test_scorer_rejects_bad_input_clearly(fitted, X_bad, y_bad, match):
    with pytest.raises(ValueError, match=match):
        MIScorer()(fitted, X_bad, y_bad)


def test_prediction_with_the_wrong_feature_count(fitted):
    with pytest.raises(ValueError, match="2 features, but MIClassifier is expecting 3"):
        fitted.predict(X[:, :2])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"test_prior": [0.5, 0.5]}, "one entry per class"),
        ({"test_prior": [1.2, -0.1, -0.1]}, "non-negative"),
        ({"test_prior": [0.2, 0.2, 0.2]}, "sum to 1"),
        ({"tau": -1.0}, "tau must be >= 0"),
        ({"tau": float("nan")}, "finite"),
    ],
)
def test_bad_priors_and_tau(params, match):
    with pytest.raises(ValueError, match=match):
        MIClassifier(**{**FAST, **params}).fit(X, y).predict(X)


@pytest.mark.filterwarnings("ignore:The training folds read")  # X carries no information
@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 7, 11])[y],
        (y == 0),
        np.array(["cat", "dog", "eel"])[y],
        pd.Series(np.array(["cat", "dog", "eel"])[y]).astype("category"),
    ],
    ids=["int", "bool", "str", "pandas categorical"],
)
def test_label_types_round_trip(labels):
    clf = MIClassifier(**FAST).fit(X, labels)
    predicted = clf.predict(X)
    assert set(np.unique(predicted)) <= set(np.unique(np.asarray(labels)))
    assert np.isfinite(MIScorer()(clf, X, labels))
    result = estimate_mi(X, labels, estimator=LogisticRegression(), cv=3, random_state=0)
    assert set(result.per_class) == {
        v.item() if hasattr(v, "item") else v for v in np.unique(np.asarray(labels))
    }


def test_a_class_with_one_sample_trains_without_early_stopping():
    labels = np.r_[y[:-1], 3]
    clf = MIClassifier(**FAST).fit(X, labels)
    assert clf.early_stopping_ is False  # a single sample cannot be held out
    assert clf.class_prior_[3] == pytest.approx(1 / 60)


def test_a_class_with_fewer_samples_than_folds_is_explained():
    labels = np.r_[y[:-3], 3, 3, 3]
    with pytest.warns(UserWarning, match=r"fewer samples than the 5 folds: 3 \(3 sample"):
        result = estimate_mi(X, labels, estimator=LogisticRegression(), cv=5, random_state=0)
    # the training parts that lack the class give it the prior's share, never -inf
    assert np.all(np.isfinite(result.pmi))
    assert 0 <= result.ci[0] <= result.mi <= result.entropy
    assert result.mi <= result.ci[1] <= result.entropy_upper <= np.log(4)


def test_an_array_with_empty_cells_reads_as_in_estimate_mi():
    """MIClassifier reads a numeric array's NaN as estimate_mi does (a table with columns
    x0, x1, ...: the median and a missing indicator), and later arrays the same way."""
    X_nan = with_nan(X)
    before = X_nan.copy()
    clf = MIClassifier(**FAST).fit(X_nan, y)
    np.testing.assert_array_equal(X_nan, before)  # the user's array is not modified
    assert list(clf.feature_names_in_) == ["x0", "x1", "x2"]
    assert clf.predict_proba(X_nan).shape == (60, 3)
    assert clf.predict_proba(X).shape == (60, 3)  # no empty cell: read the same way
    as_frame = MIClassifier(**FAST).fit(pd.DataFrame(X_nan, columns=["x0", "x1", "x2"]), y)
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    np.testing.assert_allclose(clf.predict_proba(X), as_frame.predict_proba(frame), atol=1e-6)
