"""Tables as users have them (issue 24): TableEncoder, and DataFrames with text,
categories, dates and missing cells in MIClassifier, estimate_mi and the CLI."""

import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score

from skmi import MIClassifier, estimate_mi
from skmi._cli import main
from skmi._crossfit import make_splits
from skmi._encoding import MISSING_LEVEL, TableEncoder, needs_encoding

FAST = {"random_state": 0, "max_epochs": 30, "n_members": 1, "num_embeddings": None}


def _table(n=600, seed=0):
    """A table whose label lives in a category, a number and whether a cell is missing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n).round(1),
            "city": rng.choice(["north", "south", "east"], n),
            "plan": pd.Categorical(rng.choice(["basic", "plus"], n)),
            "member": rng.choice([True, False], n),
            "joined": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
        }
    )
    y = np.where((frame.city == "north") | (frame.income > 60), "churn", "stay")
    unanswered = rng.random(n) < 0.25  # missing only among some of the churners' incomes
    frame.loc[unanswered & (y == "churn"), "income"] = np.nan
    frame.loc[rng.random(n) < 0.1, "city"] = None
    return frame, y


def test_each_kind_of_column_is_encoded_as_documented():
    frame, y = _table()
    encoder = TableEncoder(random_state=0)
    encoded = encoder.fit_transform(frame, y)
    assert encoder.column_kinds_ == {
        "income": "numeric",
        "city": "categorical",
        "plan": "categorical",
        "member": "boolean",
        "joined": "datetime",
    }
    names = list(encoder.get_feature_names_out())
    # income and its missing indicator, member; 3 date parts; city with a missing level
    assert "numeric__missingindicator_income" in names
    assert f"categorical__city_{MISSING_LEVEL}" in names
    assert {"datetime__joined_days", "datetime__joined_month"} <= set(names)
    assert encoded.shape == (len(frame), len(names)) and np.isfinite(encoded).all()
    income = encoded[:, names.index("numeric__income")]
    missing = frame.income.isna().to_numpy()
    assert np.all(income[missing] == np.nanmedian(frame.income))
    np.testing.assert_array_equal(
        encoded[:, names.index("numeric__missingindicator_income")], missing
    )


def test_an_unseen_level_is_no_error_and_no_level():
    frame, y = _table()
    encoder = TableEncoder().fit(frame, y)
    new = frame.head(3).copy()
    new["city"] = ["west", "north", ""]  # unseen, seen, blank (= missing)
    names = list(encoder.get_feature_names_out())
    city = [i for i, n in enumerate(names) if n.startswith("categorical__city_")]
    encoded = encoder.transform(new)[:, city]
    assert encoded[0].sum() == 0  # an unseen level: all zeros
    assert encoded[1][[names[i] for i in city].index("categorical__city_north")] == 1
    assert encoded[2][[names[i] for i in city].index(f"categorical__city_{MISSING_LEVEL}")] == 1


def test_many_levels_are_encoded_by_cross_fitted_class_frequencies():
    rng = np.random.default_rng(1)
    shop = rng.integers(0, 120, 2000)
    frame = pd.DataFrame({"shop": [f"s{k}" for k in shop], "x": rng.normal(size=2000)})
    y = (shop % 2 == 0).astype(int)  # the shop's parity is the label
    encoder = TableEncoder(random_state=0)
    encoded = encoder.fit_transform(frame, y)
    assert encoder.column_kinds_["shop"] == "many-levels"
    assert encoded.shape[1] == 2  # one class-frequency column, x
    names = list(encoder.get_feature_names_out())
    column = encoded[:, names.index("many_levels__shop")]
    assert column[y == 1].mean() > 0.9 and column[y == 0].mean() < 0.1


BAD_TABLES = {
    "all-missing column": (lambda f: f.assign(empty=np.nan), "'empty' has no values"),
    "constant column": (lambda f: f.assign(country="NL"), "'country' is constant"),
    "mixed types": (
        lambda f: f.assign(code=[1, "a"] * (len(f) // 2)),
        "'code' mixes types",
    ),
    "free text": (
        lambda f: f.assign(note=[f"comment number {i}" for i in range(len(f))]),
        "identifier or free text",
    ),
    "duplicate names": (
        lambda f: pd.concat([f, f[["city"]]], axis=1),
        r"duplicate column names: \['city'\]",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_tables_get_a_clear_error_everywhere(case):
    make, match = BAD_TABLES[case]
    frame, y = _table(n=10_000 if case == "free text" else 200)
    bad = make(frame)
    before = bad.copy(deep=True)
    with pytest.raises(ValueError, match=match):
        MIClassifier(**FAST).fit(bad, y)
    with pytest.raises(ValueError, match=match):
        estimate_mi(bad, y, estimator=LogisticRegression(), random_state=0)
    pd.testing.assert_frame_equal(bad, before)  # nothing the user passed is modified


@pytest.mark.parametrize("missing", [np.nan, None, "", "  "])
def test_a_missing_label_is_refused(missing):
    frame, y = _table(n=200)
    y = y.astype(object)
    y[3] = missing
    with pytest.raises(ValueError, match="missing label"):
        MIClassifier(**FAST).fit(frame, y)
    with pytest.raises(ValueError, match="missing label"):
        estimate_mi(frame, y, estimator=LogisticRegression(), random_state=0)


def test_groups_of_the_wrong_length_are_refused():
    frame, y = _table(n=200)
    with pytest.raises(ValueError, match="groups has 199 entries but X has 200 rows"):
        estimate_mi(frame, y, groups=np.arange(199), estimator=LogisticRegression())


@pytest.fixture(scope="module")
def fitted():
    frame, y = _table()
    return MIClassifier(**FAST).fit(frame, y), frame, y


def test_the_classifier_learns_from_categories_and_missingness(fitted):
    model, frame, _ = fitted
    test, y_test = _table(n=2000, seed=5)
    assert balanced_accuracy_score(y_test, model.predict(test)) > 0.9
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.n_features_in_ == frame.shape[1]
    assert model.table_encoder_.column_kinds_["income"] == "numeric"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.rename(columns={"city": "town"}), r"missing column\(s\) \['city'\]"),
        (lambda f: f.drop(columns="plan"), r"missing column\(s\) \['plan'\]"),
        (lambda f: f.assign(income=f.income.astype(str)), "'income' held numeric"),
        (lambda f: f.to_numpy(), "fitted on a DataFrame"),
    ],
    ids=["renamed", "missing", "re-typed", "an array"],
)
def test_prediction_checks_the_schema(fitted, change, match):
    model, frame, _ = fitted
    with pytest.raises((ValueError, TypeError), match=match):
        model.predict(change(frame))


def test_columns_in_another_order_are_read_by_name(fitted):
    model, frame, _ = fitted
    np.testing.assert_array_equal(
        model.predict_proba(frame[frame.columns[::-1]]), model.predict_proba(frame)
    )


def test_the_encoding_is_saved_with_the_model(fitted):
    model, frame, _ = fitted
    expected = model.predict_proba(frame)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(frame), expected)
    params, criterion = io.BytesIO(), io.BytesIO()
    model.save_params(f_params=params, f_criterion=criterion)
    params.seek(0)
    criterion.seek(0)
    loaded = MIClassifier(**FAST, classes=model.classes_).load_params(
        f_params=params, f_criterion=criterion
    )
    np.testing.assert_allclose(loaded.predict_proba(frame), expected, rtol=1e-6)
    assert list(loaded.feature_names_in_) == list(frame.columns)


def test_a_failed_fit_leaves_the_fitted_model_as_it_was(fitted):
    model, frame, _ = fitted
    model = pickle.loads(pickle.dumps(model))
    before, encoder = model.predict_proba(frame), model.table_encoder_
    bad, y_bad = _table(n=200, seed=3)
    with pytest.raises(ValueError, match="constant"):
        model.fit(bad.assign(country="NL"), y_bad)
    assert model.table_encoder_ is encoder
    np.testing.assert_array_equal(model.predict_proba(frame), before)


def test_a_numeric_table_is_read_exactly_as_its_array():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] > 0).astype(int)
    frame = pd.DataFrame(X, columns=list("abcd"))
    assert not needs_encoding(frame)
    from_frame = MIClassifier(**FAST).fit(frame, y)
    from_array = MIClassifier(**FAST).fit(X, y)
    assert not hasattr(from_frame, "table_encoder_")
    np.testing.assert_array_equal(from_frame.predict_proba(frame), from_array.predict_proba(X))


def test_estimate_mi_fits_the_encoding_inside_each_training_fold():
    # a 150-level column that says nothing about y: an encoding fitted on all rows would
    # carry the held-out rows' own labels into their class-frequency code and read > 0
    rng = np.random.default_rng(0)
    n = 1500
    frame = pd.DataFrame(
        {"shop": [f"s{k}" for k in rng.integers(0, 150, n)], "x": rng.normal(size=n)}
    )
    frame.loc[::10, "x"] = np.nan
    y = rng.integers(0, 2, n)
    result = estimate_mi(frame, y, estimator=LogisticRegression(), random_state=0)
    assert 0 <= result.lower_bound < 0.01
    leaky = TableEncoder(random_state=0).fit(frame, y).transform(frame)
    plain_leak = estimate_mi(leaky, y, estimator=LogisticRegression(), random_state=0)
    assert plain_leak.lower_bound > result.lower_bound + 0.02  # the test can fail


def test_estimate_mi_reads_a_table_with_text_categories_and_missing_cells():
    frame, y = _table(n=1000)
    result = estimate_mi(frame, y, estimator=LogisticRegression(max_iter=500), random_state=0)
    assert 0.3 < result.lower_bound <= result.entropy
    assert result.ci[1] <= result.entropy_upper


def test_with_groups_no_group_is_on_both_sides_and_group_memory_is_not_read():
    rng = np.random.default_rng(0)
    n_groups, n = 60, 1200
    group = rng.integers(0, n_groups, n)
    label_of_group = rng.integers(0, 2, n_groups)
    frame = pd.DataFrame({"who": [f"g{g}" for g in group], "noise": rng.normal(size=n)})
    y = label_of_group[group]  # the label is the group's: nothing carries to a new group
    splits = make_splits(5, 2, frame, y, y, np.random.RandomState(0), group)
    assert len(splits) == 10
    for train, test in splits:
        assert not set(group[train]) & set(group[test])
    kwargs = {"estimator": LogisticRegression(), "random_state": 0}
    within = estimate_mi(frame, y, **kwargs)
    across = estimate_mi(frame, y, groups=group, **kwargs)
    assert within.lower_bound > 0.4  # rows of a seen group give its label away
    assert across.lower_bound < 0.05


def test_the_cli_takes_the_table_as_it_is(tmp_path, capsys):
    frame, y = _table(n=400)
    frame["label"] = y
    frame["customer"] = [f"c{i}" for i in range(len(frame))]  # an identifier
    frame["joined"] = frame.joined.dt.strftime("%Y-%m-%d")  # dates as text, as in a CSV
    frame["site"] = np.arange(len(frame)) % 8
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    text = path.read_text()
    assert ",," in text  # empty cells
    options = ["--groups", "site", "--json", "--quiet", "--cv", "3", "--no-extrapolate"]
    code = main(["estimate", str(path), "--target", "label", *options])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["columns_left_out"]) == ["customer"]
    assert report["dates_parsed"] == ["joined"]
    assert report["column_kinds"]["joined"] == "datetime"
    assert report["column_kinds"]["city"] == "categorical"
    assert report["missing_cells"] > 0 and report["rows_dropped"] == 0
    assert report["groups"] == {"column": "site", "count": 8}
    assert 0.2 < report["mi_nats"] <= report["entropy_nats"]


def test_integer_weights_read_as_repeated_rows_on_the_same_folds():
    rng = np.random.default_rng(0)
    n = 300
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.7 * rng.normal(size=n) > 0.3).astype(int)
    weight = rng.integers(1, 4, n)
    rows = np.repeat(np.arange(n), weight)  # each row as often as its weight
    folds = np.arange(n) % 5
    splits = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(5)]
    repeated = [
        (np.flatnonzero(folds[rows] != f), np.flatnonzero(folds[rows] == f)) for f in range(5)
    ]
    model = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000)
    kwargs = {"estimator": model, "extrapolate": False, "random_state": 0}
    weighted = estimate_mi(X, y, sample_weight=weight, cv=splits, **kwargs)
    as_rows = estimate_mi(X[rows], y[rows], cv=repeated, **kwargs)
    unweighted = estimate_mi(X, y, cv=splits, **kwargs)
    assert weighted.entropy == pytest.approx(as_rows.entropy, abs=1e-12)
    assert weighted.lower_bound == pytest.approx(as_rows.lower_bound, abs=1e-6)
    for label in (0, 1):
        assert weighted.per_class[label] == pytest.approx(as_rows.per_class[label], abs=1e-6)
    assert weighted.balanced_accuracy == pytest.approx(as_rows.balanced_accuracy, abs=1e-9)
    assert abs(weighted.lower_bound - unweighted.lower_bound) > 1e-4  # the weights count
    # the error bar is that of weighted draws, wider than repeated rows pretend
    assert weighted.stderr > as_rows.stderr


def test_sample_weight_is_checked_and_candidates_without_it_are_left_out():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError, match="sample_weight has 199 entries"):
        estimate_mi(X, y, sample_weight=np.ones(199), estimator=LogisticRegression())
    with pytest.raises(ValueError, match="non-negative"):
        estimate_mi(X, y, sample_weight=-np.ones(200), estimator=LogisticRegression())
    with pytest.raises(ValueError, match=r"classes \[1\] have no positive sample_weight"):
        estimate_mi(X, y, sample_weight=(y == 0).astype(float), estimator=LogisticRegression())
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    with pytest.warns(UserWarning, match="LinearDiscriminantAnalysis take"):
        result = estimate_mi(
            X,
            y,
            sample_weight=np.ones(200),
            estimator=[LogisticRegression(), LinearDiscriminantAnalysis()],
            random_state=0,
        )
    assert list(result.weights) == ["prior", "LogisticRegression"]


def test_blank_strings_in_a_number_column_are_missing_values():
    frame = pd.DataFrame({"a": [1.5, "", 2.0, " ", 3.0, 4.0] * 20, "b": list("xyzxyz") * 20})
    encoder = TableEncoder().fit(frame, [0, 1] * 60)
    assert encoder.column_kinds_["a"] == "numeric"
    encoded = encoder.transform(frame)
    names = list(encoder.get_feature_names_out())
    np.testing.assert_array_equal(
        encoded[:6, names.index("numeric__missingindicator_a")], [0, 1, 0, 1, 0, 0]
    )


def test_a_table_works_in_cross_validation_and_a_search():
    from sklearn.model_selection import GridSearchCV, cross_val_score

    from skmi import MIScorer

    frame, y = _table(n=400)
    scores = cross_val_score(MIClassifier(**FAST), frame, y, cv=3, scoring=MIScorer())
    assert np.all(scores > 0.2)
    search = GridSearchCV(MIClassifier(**FAST), {"tau": [0.0, 1.0]}, cv=3, scoring=MIScorer())
    search.fit(frame, y)
    assert search.best_estimator_.table_encoder_.column_kinds_["city"] == "categorical"
    assert search.predict(frame.head()).shape == (5,)
