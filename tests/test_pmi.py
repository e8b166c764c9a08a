"""The one PMI path: skmi._pmi, pinned against formulas written out by hand."""

import inspect
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmi import MIClassifier
from skmi._pmi import (
    PROBA_FLOOR,
    column_positions,
    empirical_log_prior,
    final_estimator,
    model_pmi_table,
    model_prior_free_logits,
    pmi_from_logits,
    pmi_from_proba,
    prior_free_logits,
    reads_logits,
    softmax_under_prior,
)

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(6, 3)) * 2
PRIOR = np.array([0.6, 0.3, 0.1])


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
def test_prior_free_logits_remove_tau_minus_one_log_prior(tau):
    expected = LOGITS + (tau - 1.0) * np.log(PRIOR)
    np.testing.assert_allclose(prior_free_logits(LOGITS, tau, PRIOR), expected)
    if tau == 1.0:
        np.testing.assert_array_equal(prior_free_logits(LOGITS, tau, PRIOR), LOGITS)


def test_softmax_under_prior_is_the_posterior():
    joint = PRIOR * np.exp(LOGITS)
    expected = joint / joint.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax_under_prior(LOGITS, PRIOR), expected)
    proba = softmax_under_prior(LOGITS * 300, [0.5, 0.5, 0.0])  # huge logits, a zero prior
    assert np.all(np.isfinite(proba)) and np.all(proba[:, 2] == 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_pmi_from_logits_is_g_minus_log_sum_pi_exp_g():
    expected = LOGITS - np.log((PRIOR * np.exp(LOGITS)).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(pmi_from_logits(LOGITS, np.log(PRIOR)), expected)
    # it is log q(k|x) - log pi_k: the same as going through the posterior
    log_q = np.log(softmax_under_prior(LOGITS, PRIOR))
    np.testing.assert_allclose(pmi_from_logits(LOGITS, np.log(PRIOR)), log_q - np.log(PRIOR))


def test_pmi_from_logits_with_an_absent_class():
    log_prior = np.array([np.log(0.5), np.log(0.5), -np.inf])
    values = pmi_from_logits(LOGITS, log_prior)
    assert np.all(np.isfinite(values))  # the absent class only drops out of the normaliser
    expected = LOGITS - np.log((0.5 * np.exp(LOGITS[:, :2])).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(values, expected)


def test_pmi_from_proba_floors_zero_probabilities_and_warns_once_per_call():
    proba = np.array([[1.0, 0.0], [0.2, 0.8], [0.0, 1.0]])
    log_prior = np.log([0.5, 0.5])
    table = pmi_from_proba(proba, log_prior)
    np.testing.assert_array_equal(table.floored, proba < PROBA_FLOOR)
    assert table.values[0, 1] == pytest.approx(np.log(PROBA_FLOOR) - np.log(0.5))
    assert table.values[1, 1] == pytest.approx(np.log(0.8 / 0.5))
    with pytest.warns(UserWarning, match="2 sample") as caught:
        values = table.true_class(np.array([1, 1, 0]))
    assert len(caught) == 1
    assert values[0] == values[2] == pytest.approx(np.log(PROBA_FLOOR / 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table.true_class(np.array([0, 1, 1]))  # no floored true class: silent
        table.true_class(np.array([1, 1, 0]), warn=False)


def test_empirical_log_prior():
    np.testing.assert_allclose(
        empirical_log_prior(np.array([0, 0, 0, 2]), 3), [np.log(0.75), -np.inf, np.log(0.25)]
    )


def test_column_positions_follow_the_labels_order():
    np.testing.assert_array_equal(column_positions(np.array([1, 2]), np.array([2, 0, 1])), [2, 0])
    np.testing.assert_array_equal(column_positions(np.array(["a", "b"]), ["a", "b"]), [0, 1])
    with pytest.raises(ValueError, match="not among the labels"):
        column_positions(np.array([0, 5]), np.array([0, 1]))
    with pytest.raises(ValueError, match="not among the labels"):
        column_positions(np.array([9]), np.array([0, 1]))


@pytest.fixture(scope="module")
def binary_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0.5).astype(int)  # imbalanced
    return X, y


def test_binary_miclassifier_logits_are_expanded_and_prior_corrected(binary_data):
    X, y = binary_data
    clf = MIClassifier(tau=0.0, max_epochs=3, random_state=0, num_threads=1).fit(X, y)
    raw = clf.decision_function(X)  # f_1 - f_0
    expected = np.column_stack([np.zeros_like(raw), raw]) - np.log(clf.class_prior_)
    logits = model_prior_free_logits(clf, X)
    # PMI is invariant to a per-row shift, so compare the row-centred logits
    centred = logits - logits.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(centred, expected - expected.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(
        pmi_from_logits(logits, np.log(clf.class_prior_)),
        pmi_from_logits(expected, np.log(clf.class_prior_)),
    )


def test_unwrapping_pipelines_and_searches(binary_data):
    X, y = binary_data
    net = MIClassifier(max_epochs=2, random_state=0, num_threads=1)
    pipe = make_pipeline(StandardScaler(), net).fit(X, y)
    assert final_estimator(pipe) is pipe[-1] and reads_logits(pipe)
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), {}, cv=2)
    search.fit(X, y)
    assert isinstance(final_estimator(search), LogisticRegression)
    assert not reads_logits(search)


class _Constant(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.tile([0.25, 0.75], (len(X), 1))


def test_model_table_puts_unknown_labels_at_probability_zero(binary_data):
    X, y = binary_data
    model = _Constant().fit(X, np.where(y == 1, "b", "a"))
    labels = np.array(["a", "b", "c"])
    log_prior = np.log([0.5, 0.25, 0.25])
    table = model_pmi_table(model, X[:4], log_prior, labels)
    np.testing.assert_allclose(table.values[:, 0], np.log(0.25 / 0.5))
    np.testing.assert_allclose(table.values[:, 1], np.log(0.75 / 0.25))
    assert np.all(table.floored[:, 2]) and not np.any(table.floored[:, :2])


def test_pmi_of_mixture_is_bounded_by_the_prior_weight_and_the_ceiling():
    from skmi._pmi import pmi_of_mixture

    probabilities = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.9, 0.1], [0.0, 1.0]]])  # (2, 2, 2)
    prior = np.array([0.8, 0.2])
    weights = np.array([0.1, 0.6, 0.3])
    table = pmi_of_mixture(weights, probabilities, prior)
    mixed = 0.1 * prior + 0.6 * probabilities[0] + 0.3 * probabilities[1]
    np.testing.assert_allclose(table, np.log(mixed) - np.log(prior))
    assert np.all(table >= np.log(0.1)) and np.all(table <= -np.log(prior))
    # the prior alone reads exactly 0
    np.testing.assert_allclose(pmi_of_mixture([1.0, 0.0, 0.0], probabilities, prior), 0.0)


def test_float32_inputs_are_read_in_float64():
    logits32 = LOGITS.astype(np.float32)
    for out in (
        prior_free_logits(logits32, 0.0, PRIOR.astype(np.float32)),
        pmi_from_logits(logits32, np.log(PRIOR)),
        softmax_under_prior(logits32 * 40, PRIOR),
    ):
        assert out.dtype == np.float64
    large = (LOGITS * 40).astype(np.float32)  # float32 sums would lose these digits
    np.testing.assert_allclose(
        pmi_from_logits(large, np.log(PRIOR)),
        pmi_from_logits(large.astype(np.float64), np.log(PRIOR)),
        rtol=0,
        atol=1e-12,
    )


def test_empirical_log_prior_keeps_absent_last_classes():
    log_prior = empirical_log_prior(np.array([0, 1, 1, 0]), 4)
    assert log_prior.shape == (4,)
    np.testing.assert_array_equal(log_prior[2:], -np.inf)


def test_empirical_log_prior_of_an_absent_class_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0) = -inf is the intended value, not a warning
        log_prior = empirical_log_prior(np.array([1, 1, 1]), 2)
    assert log_prior.dtype == np.float64
    np.testing.assert_array_equal(log_prior, [-np.inf, 0.0])


def test_a_zero_prior_gives_probability_zero_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0) = -inf is intended here
        proba = softmax_under_prior(LOGITS, [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(proba[:, 2], 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.skipif(
    "mutants" in Path(__file__).parts, reason="mutmut's trampoline adds a stack frame"
)
def test_the_floor_warning_points_at_the_callers_caller():
    # true_class is called by a reader (metrics, estimate_mi) on behalf of user code: the
    # warning names the line of user code that called the reader.
    table = pmi_from_proba(np.array([[1.0, 0.0]]), np.log([0.5, 0.5]))

    def reader():
        return table.true_class(np.array([1]))

    with pytest.warns(UserWarning) as caught:
        line = inspect.currentframe().f_lineno + 1
        reader()
    assert caught[0].filename == __file__ and caught[0].lineno == line


def test_softmax_under_prior_reads_a_float32_prior_in_float64():
    # the prior's log is taken in float64 whatever its dtype (mutation testing, issue 23)
    prior32 = np.asarray(PRIOR, dtype=np.float32)
    exact = softmax_under_prior(LOGITS, prior32.astype(np.float64))
    np.testing.assert_array_equal(softmax_under_prior(LOGITS, prior32), exact)
