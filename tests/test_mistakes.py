"""Mistakes users make on real tables, and what skmi must say to each: no confident
wrong number, no disguised error, no torch stack trace. One test per mistake (what the
user did in the name, what skmi must say in the assertions)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.linear_model import LogisticRegression

from skmi import (
    MIClassifier,
    MIFeatureSelector,
    estimate_mi,
    feature_information,
    independence_test,
)
from skmi._cli import main
from skmi._leaks import suspicious_columns
from skmi._warnings import LeakWarning, SmallClassWarning

FAST = {"max_epochs": 2, "random_state": 0}
LR = LogisticRegression()


def _table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "weak": rng.normal(size=n) + 0.3 * y,
            "habit": rng.choice(["tea", "coffee", "water"], n),
            "noise": rng.normal(size=n),
        }
    )
    return frame, y


def _csv(tmp_path, frame, y):
    """The table with its label, saved as a CSV without its index."""
    path = tmp_path / "t.csv"
    frame.assign(label=y).to_csv(path, index=False)
    return path


def _leak_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, LeakWarning)]


def _estimate_warned(X, y, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = estimate_mi(X, y, estimator=LR, cv=3, random_state=0, **kwargs)
    return result, caught


# ---------------------------------------------------------------- leaks and identifiers


def test_a_csv_saved_with_its_index_and_sorted_by_the_label_is_named_before_the_result(
    tmp_path, capsys
):
    frame, y = _table()
    order = np.argsort(y, kind="stable")
    path = tmp_path / "saved.csv"
    frame.iloc[order].reset_index(drop=True).assign(label=y[order]).to_csv(path)  # index kept
    assert main(["estimate", str(path), "--target", "label", "--quiet"]) == 0
    out = capsys.readouterr().out
    warning_at = out.index("warning: Column 'Unnamed: 0'")
    assert warning_at < out.index("I(X;Y) =")  # before the figures it spoils


def test_dropping_the_saved_index_from_the_cli_removes_the_warning(tmp_path, capsys):
    frame, y = _table()
    path = tmp_path / "saved.csv"
    frame.assign(label=y).to_csv(path)
    assert (
        main(["estimate", str(path), "--target", "label", "--quiet", "--drop", "Unnamed: 0"]) == 0
    )
    assert "Unnamed: 0" not in capsys.readouterr().out


def test_dropping_a_column_that_is_not_there_names_the_columns(tmp_path, capsys):
    frame, y = _table()
    path = _csv(tmp_path, frame, y)
    assert main(["estimate", str(path), "--target", "label", "--drop", "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "'weak'" in err and err.count("\n") == 1


def test_the_label_left_inside_x_is_called_the_label():
    frame, y = _table()
    frame["outcome"] = np.where(y == 1, "yes", "no")
    _, caught = _estimate_warned(frame, y)
    assert any("'outcome' is the label under another name" in m for m in _leak_warnings(caught))


def test_a_shuffled_integer_identifier_is_flagged():
    frame, y = _table()
    frame["customer_id"] = np.random.default_rng(1).permutation(len(y)) + 5000
    _, caught = _estimate_warned(frame, y)
    assert any("'customer_id'" in m and "identifier" in m for m in _leak_warnings(caught))


def test_a_row_number_in_row_order_is_flagged_in_an_array_too():
    frame, y = _table()
    X = np.column_stack([frame[["weak", "noise"]].to_numpy(), np.arange(len(y))])
    _, caught = _estimate_warned(X, y)
    assert any("'x2'" in m and "row number" in m for m in _leak_warnings(caught))


def test_a_number_that_splits_the_classes_by_a_threshold_is_flagged():
    frame, y = _table()
    frame["discharge_code"] = y * 10.0 + np.random.default_rng(2).uniform(0, 1, len(y))
    _, caught = _estimate_warned(frame, y)
    assert any("'discharge_code' alone determines" in m for m in _leak_warnings(caught))


def test_a_category_whose_levels_each_hold_one_label_is_flagged():
    frame, y = _table()
    codes = np.where(y == 1, np.array(["A1", "A2"])[np.arange(len(y)) % 2], "B")
    frame["ward"] = codes
    _, caught = _estimate_warned(frame, y)
    assert any("'ward' alone determines the label" in m for m in _leak_warnings(caught))


@pytest.mark.parametrize("loader", [load_breast_cancer, load_iris, load_wine])
def test_real_tables_raise_no_false_alarm(loader):
    X, y = loader(return_X_y=True)
    assert suspicious_columns(X, y) == []


def test_an_informative_but_noisy_column_is_not_a_leak():
    frame, y = _table()
    frame["strong"] = y + np.random.default_rng(3).normal(scale=0.3, size=len(y))
    assert suspicious_columns(frame, y) == []


def test_feature_information_selector_and_test_warn_about_the_same_leak():
    frame, y = _table(200)
    X = np.column_stack([frame[["weak", "noise"]].to_numpy(), y])  # the label as column x2
    for call in (
        lambda: feature_information(X, y, estimator=LR, cv=3, random_state=0),
        lambda: MIFeatureSelector(estimator=LR, cv=3, random_state=0).fit(X, y),
        lambda: independence_test(X, y, estimator=LR, cv=3, n_permutations=9, random_state=0),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert any("'x2' is the label" in m for m in _leak_warnings(caught))


# ---------------------------------------------------------------- rare classes and errors


def test_a_299_to_1_table_keeps_its_candidates():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.zeros(300, dtype=int)
    y[7] = 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = estimate_mi(X, y, random_state=0)
    assert len(result.weights) >= 6  # the prior and at least 5 of the 7 candidates
    messages = [str(w.message) for w in caught if issubclass(w.category, SmallClassWarning)]
    assert any("1 (1 sample(s))" in m for m in messages)  # the class and its count
    assert any("held one class only" in m for m in messages)
    assert 0 <= result.ci[0] <= result.mi <= result.entropy


def test_a_class_smaller_than_the_folds_is_named_with_its_count():
    frame, y = _table()
    y = np.where(y == 1, "yes", "no").astype(object)
    y[:2] = "rare"
    _, caught = _estimate_warned(frame, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, SmallClassWarning)]
    assert any("'rare' (2 sample(s))" in m for m in messages)


class _BrokenReading(ClassifierMixin, BaseEstimator):
    """Fits, but its probabilities have the wrong shape: skmi's reading must say so."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.ones((len(X), 5))


class _CannotFit(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise ValueError("this model needs more rows")

    def predict_proba(self, X):  # never reached
        raise AssertionError


def test_an_error_reading_a_candidate_is_raised_not_called_a_failed_fit():
    frame, y = _table()
    with pytest.raises(ValueError) as info:
        estimate_mi(frame[["weak"]], y, estimator=[LR, _BrokenReading()], cv=3, random_state=0)
    assert "could not be fitted" not in str(info.value)


def test_a_candidate_whose_own_fit_fails_is_left_out_by_name():
    frame, y = _table()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = estimate_mi(frame[["weak"]], y, estimator=[LR, _CannotFit()], cv=3, random_state=0)
    assert "_CannotFit" not in result.weights
    assert any("_CannotFit could not be fitted" in str(w.message) for w in caught)


# ---------------------------------------------------------------- devices


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_asking_for_cuda_on_a_cpu_build_says_what_torch_sees():
    frame, y = _table()
    with pytest.raises(ValueError, match=r"device='cuda' is not available: torch .* CPU"):
        MIClassifier(device="cuda", **FAST).fit(frame[["weak", "noise"]], y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_the_cli_says_a_missing_gpu_in_one_line(tmp_path, capsys):
    frame, y = _table()
    path = _csv(tmp_path, frame, y)
    assert main(["estimate", str(path), "--target", "label", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not available" in err and "Traceback" not in err


def test_a_device_torch_does_not_know_is_a_value_error():
    frame, y = _table()
    with pytest.raises(ValueError, match="device must be"):
        MIClassifier(device="tpu", **FAST).fit(frame[["weak"]], y)


# ---------------------------------------------------------------- shapes of X


def test_a_text_series_is_a_one_column_table():
    frame, y = _table()
    clf = MIClassifier(**FAST).fit(frame["habit"], y)
    assert list(clf.feature_names_in_) == ["habit"]
    assert clf.predict(frame["habit"]).shape == y.shape
    result = estimate_mi(frame["habit"], y, estimator=LR, cv=3, random_state=0)
    assert 0 <= result.mi <= result.entropy


def test_a_numeric_series_reads_as_its_one_column_frame():
    frame, y = _table()
    series = estimate_mi(frame["weak"], y, estimator=LR, cv=3, random_state=0)
    as_frame = estimate_mi(frame[["weak"]], y, estimator=LR, cv=3, random_state=0)
    assert series.mi == pytest.approx(as_frame.mi)


def test_an_array_with_empty_cells_reads_the_same_in_the_classifier_and_the_estimate():
    frame, y = _table()
    X = frame[["weak", "noise"]].to_numpy(copy=True)
    X[::7, 0] = np.nan
    clf = MIClassifier(**FAST).fit(X, y)  # refused before: one reading everywhere now
    assert np.isfinite(clf.predict_proba(X)).all()
    result = estimate_mi(X, y, estimator=LR, cv=3, random_state=0)
    assert 0 <= result.mi <= result.entropy


# ---------------------------------------------------------------- the command line


def test_every_warning_of_a_cli_run_is_shown_once_with_its_count(tmp_path, capsys, monkeypatch):
    import skmi

    frame, y = _table()
    path = _csv(tmp_path, frame, y)
    real = skmi.estimate_mi

    def chatty(*args, **kwargs):
        for _ in range(3):
            warnings.warn(
                "a fit was restored after a non-finite loss", RuntimeWarning, stacklevel=2
            )
        return real(*args, **{**kwargs, "estimator": LR})

    monkeypatch.setattr(skmi, "estimate_mi", chatty)
    assert main(["estimate", str(path), "--target", "label", "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    restored = [n for n in report["warnings"] if "non-finite" in n]
    assert restored == ["RuntimeWarning: a fit was restored after a non-finite loss (3 times)"]


def test_zero_jobs_is_refused_by_the_cli(tmp_path, capsys):
    frame, y = _table()
    path = _csv(tmp_path, frame, y)
    with pytest.raises(SystemExit):
        main(["estimate", str(path), "--target", "label", "--jobs", "0"])
    assert "--jobs" in capsys.readouterr().err


def test_a_mistyped_target_gets_the_closest_column(tmp_path, capsys):
    frame, y = _table()
    path = _csv(tmp_path, frame, y)
    assert main(["estimate", str(path), "--target", "lable"]) == 2
    assert "Did you mean 'label'?" in capsys.readouterr().err


def test_the_version_is_one_flag_away(capsys):
    import skmi

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skmi {skmi.__version__}"


def test_a_p_value_at_its_floor_says_so():
    frame, y = _table()
    X = np.column_stack([frame["weak"] + 3 * y, frame["noise"]])
    test = independence_test(X, y, estimator=LR, cv=3, n_permutations=19, random_state=0)
    assert test.p_value == pytest.approx(test.p_value_floor) == pytest.approx(3 / 20)
    assert "the smallest p-value 3 folds of 19 permutations can give" in str(test)


# ---------------------------------------------------------------- results that read at a glance


def test_printing_the_results_shows_figures_not_arrays():
    frame, y = _table(200)
    X = frame[["weak", "noise"]].assign(extra=frame["weak"] * 0.5 + frame["noise"])
    info = feature_information(X, y, estimator=LR, cv=3, random_state=0)
    for text in (str(info), repr(info)):
        assert "array(" not in text and len(text) < 2000
        assert all(name in text for name in ("weak", "noise", "extra"))
        assert f"{info.total.mi:.4f}" in text
    assert "<table" in info._repr_html_()
    estimate = info.total
    assert repr(estimate).startswith("MIEstimate(mi=") and len(repr(estimate)) < 200
    assert "array(" not in repr(estimate) and "<table>" in estimate._repr_html_()
    test = independence_test(X, y, estimator=LR, cv=3, n_permutations=9, random_state=0)
    assert repr(test).startswith("IndependenceTest(") and "array(" not in repr(test)


# ---------------------------------------------------------------- numbers written badly


def test_a_numeric_column_with_a_few_question_marks_is_diagnosed_as_such(tmp_path, capsys):
    frame, y = _table()
    dose = frame["weak"].round(3).astype(str)
    dose.iloc[[3, 50, 90]] = "?"
    frame["dose"] = dose
    with pytest.raises(ValueError, match=r"'dose' is numeric except for 3 value\(s\) like '\?'"):
        estimate_mi(frame, y, estimator=LR, cv=3, random_state=0)
    path = _csv(tmp_path, frame, y)
    assert main(["estimate", str(path), "--target", "label", "--quiet"]) == 0
    assert "dose (is numeric except for 3 value(s) like '?')" in capsys.readouterr().out


def test_a_decimal_comma_is_named_with_the_way_out():
    frame, y = _table()
    frame["price"] = frame["weak"].round(3).astype(str).str.replace(".", ",", regex=False)
    with pytest.raises(ValueError, match=r"'price' holds numbers with a decimal comma"):
        estimate_mi(frame, y, estimator=LR, cv=3, random_state=0)
