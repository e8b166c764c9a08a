"""The interval's resolution: no interval claims I(X;Y) = 0 exactly."""

import numpy as np
import pytest
from scipy.stats import chi2
from sklearn.linear_model import LogisticRegression

from skmi import estimate_mi
from skmi._crossfit import _FORCED_PRIOR_WEIGHT, Readings
from skmi._result import resolution_floor

LR = LogisticRegression(max_iter=1000)


def test_the_floor_is_the_chi_square_quantile_over_2n():
    assert resolution_floor(1000, 2, 1.959963984540054) == pytest.approx(chi2.ppf(0.95, 1) / 2000)
    assert resolution_floor(1000, 3, 1.959963984540054) == pytest.approx(chi2.ppf(0.95, 2) / 2000)
    assert resolution_floor(4000, 2, 1.96) < resolution_floor(1000, 2, 1.96)


def test_the_forced_mixture_holds_the_prior_at_its_floor():
    readings = Readings(2, 4, 2)
    readings.add(0, np.arange(4), np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]))
    readings.add(1, np.arange(4), np.full((4, 2), 0.5))
    weights = readings.forced_weights(np.array([0, 1, 0, 1]), np.array([0.5, 0.5]), None)
    assert weights[0] == _FORCED_PRIOR_WEIGHT
    assert weights.sum() == pytest.approx(1.0) and np.all(weights >= 0)
    assert weights[1] > weights[2]  # the informative candidate carries the mixture


@pytest.mark.parametrize("extrapolate", [True, False])
def test_labels_independent_of_x_give_an_interval_from_0_to_above_0(extrapolate):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(600, 4)), rng.integers(0, 2, 600)
    result = estimate_mi(X, y, estimator=LR, extrapolate=extrapolate, random_state=0)
    low, high = result.ci
    assert low == 0.0
    assert high >= resolution_floor(600, 2, 1.959963984540054) > 0
    assert high < 0.1  # a resolution, not the whole of H(Y)


def test_a_constant_feature_still_gets_the_ideal_tests_resolution():
    # every candidate reads the prior exactly: the forced mixture shows nothing either
    y = np.arange(400) % 2
    result = estimate_mi(np.ones((400, 1)), y, estimator=LR, random_state=0)
    assert result.mi == 0.0
    assert result.ci[1] == pytest.approx(resolution_floor(400, 2, 1.959963984540054))


def test_the_top_shrinks_as_n_grows():
    tops = []
    for n in (500, 4000):
        rng = np.random.default_rng(1)
        X, y = rng.normal(size=(n, 3)), rng.integers(0, 2, n)
        tops.append(estimate_mi(X, y, estimator=LR, random_state=0).ci[1])
    assert 0 < tops[1] < tops[0]


def test_conditional_readings_of_nothing_have_a_positive_top():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(800, 2))
    y = (Z[:, 0] > 0).astype(int)
    noise = rng.normal(size=(800, 2))
    result = estimate_mi(noise, y, given=Z, estimator=LR, random_state=0)
    assert result.ci[0] == 0.0
    assert 0 < result.ci[1] < 0.1


def test_a_clear_signal_keeps_its_interval():
    # where the candidates carry the mixture, the forced mixture is the same mixture
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1000, 2))
    y = (X[:, 0] + 0.5 * rng.normal(size=1000) > 0).astype(int)
    result = estimate_mi(X, y, estimator=LR, random_state=0)
    assert result.ci[0] > 0.2
    assert result.ci[1] - result.mi < 0.1
