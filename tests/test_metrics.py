import numpy as np
import pytest
from scipy.special import softmax

from skmi.metrics import mutual_info_from_logits, mutual_info_from_proba, pointwise_mutual_info


def test_logits_and_proba_forms_agree():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(200, 3)) * 2
    y = rng.integers(0, 3, 200)
    prior = np.bincount(y) / len(y)
    proba = softmax(logits + np.log(prior), axis=1)
    assert mutual_info_from_logits(y, logits) == pytest.approx(mutual_info_from_proba(y, proba))


def test_pmi_formula_and_units():
    y = np.array([0, 1, 1, 1])
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [0.5, 0.5], [3.0, -1.0]])
    log_prior = np.log([0.25, 0.75])
    expected = logits[np.arange(4), y] - np.log(np.exp(logits + log_prior).sum(axis=1))
    np.testing.assert_allclose(pointwise_mutual_info(y, logits), expected)
    nats = mutual_info_from_logits(y, logits)
    assert mutual_info_from_logits(y, logits, units="bits") == pytest.approx(nats / np.log(2))


def test_perfect_predictions_give_label_entropy():
    y = np.array(["a", "b", "b", "c"])
    proba = np.eye(3)[[0, 1, 1, 2]]
    h_y = -(0.25 * np.log(0.25) * 2 + 0.5 * np.log(0.5))
    assert mutual_info_from_proba(y, proba) == pytest.approx(h_y)


def test_uninformative_predictions_give_zero():
    y = np.array([0, 0, 0, 1])
    proba = np.tile([0.75, 0.25], (4, 1))
    assert mutual_info_from_proba(y, proba) == pytest.approx(0.0, abs=1e-12)


def test_zero_probability_warns_and_stays_finite():
    with pytest.warns(UserWarning, match="probability 0"):
        mi = mutual_info_from_proba([0, 1], [[1.0, 0.0], [1.0, 0.0]])
    assert np.isfinite(mi)


def test_huge_logits_stay_finite():
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]])
    assert mutual_info_from_logits([0, 1], logits) == pytest.approx(np.log(2))


def test_labels_map_columns_and_reject_unseen_labels():
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    # columns are ["yes", "no"]: the first sample is "yes" with 0.9
    mi = mutual_info_from_proba(["yes", "no"], proba, labels=["yes", "no"])
    assert mi == pytest.approx(np.mean(np.log([0.9, 0.8]) - np.log(0.5)))
    with pytest.raises(ValueError, match="not trained on.*maybe"):
        mutual_info_from_proba(["yes", "maybe"], proba, labels=["yes", "no"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y_true": [], "y_proba": np.empty((0, 2)), "labels": [0, 1]}, "empty"),
        ({"y_true": [0, 1], "y_proba": [[0.5, 0.5]]}, "rows"),
        ({"y_true": [0, 1], "y_proba": [[np.nan, 1], [0.5, 0.5]]}, "NaN"),
        ({"y_true": [0, 1], "y_proba": [[0.6, 0.6], [0.5, 0.5]]}, "sum to 1"),
        ({"y_true": [0, 1], "y_proba": [[1.0, 0.0], [0.0, 1.0]], "units": "dits"}, "units"),
        ({"y_true": [0, 0], "y_proba": [[1.0, 0.0], [0.0, 1.0]]}, "pass labels"),
        ({"y_true": [0.0, np.nan], "y_proba": [[1.0, 0.0], [0.0, 1.0]]}, "NaN"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mutual_info_from_proba(**kwargs)


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        ([0.5, 0.2, 0.3], "one entry per class"),
        ([1.2, -0.2], "non-negative"),
        ([0.3, 0.3], "sum to 1"),
    ],
)
def test_bad_prior_raises(prior, match):
    with pytest.raises(ValueError, match=match):
        mutual_info_from_logits([0, 1], np.zeros((2, 2)), prior=prior)
