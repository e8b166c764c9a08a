import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from skmi.datasets import (
    TASKS,
    gaussian_classes_truth,
    list_tasks,
    make_gaussian_classes,
    make_task,
    task_truth,
)


def test_at_least_twelve_tasks_each_reproducible():
    assert len(TASKS) >= 12
    for name in list_tasks():
        X1, y1, mi1 = make_task(name, 300, random_state=5)
        X2, y2, mi2 = make_task(name, 300, random_state=5)
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)
        assert mi1 == mi2
        assert X1.shape[0] == y1.shape[0] == 300
        truth = task_truth(name)
        assert truth.stderr <= 0.002
        assert 0 <= truth.mi <= np.log(len(np.unique(y1))) + 1e-9 or truth.mi == 0


def test_two_gaussian_truth_matches_quadrature():
    # gaussian_binary: means 1.5 apart, unit variance, balanced -> a 1-D integral
    def integrand(x):
        p0, p1 = norm.pdf(x, 0, 1), norm.pdf(x, 1.5, 1)
        px = 0.5 * (p0 + p1)
        return 0.5 * p0 * np.log(p0 / px) + 0.5 * p1 * np.log(p1 / px)

    exact, _ = quad(integrand, -12, 14)
    truth = task_truth("gaussian_binary")
    assert abs(truth.mi - exact) < 4 * truth.stderr + 1e-4


def test_imbalanced_two_gaussians_with_any_prior_match_quadrature():
    prior = np.array([0.99, 0.01])
    means = np.array([[0.0], [2.0]])

    def integrand(x):
        p = prior * norm.pdf(x, means[:, 0], 1)
        return np.sum(p * np.log(p / p.sum() / prior))

    exact, _ = quad(integrand, -12, 14)
    truth = gaussian_classes_truth(means, prior)
    assert abs(truth.mi - exact) < 4 * truth.stderr + 1e-4
    _, y, mi = make_gaussian_classes(2000, means=means, priors=prior, random_state=0)
    assert mi == truth.mi
    assert 0.005 < np.mean(y == 1) < 0.02


@pytest.mark.parametrize("name", ["xor", "parity3", "near_deterministic", "independent"])
def test_exact_truths_match_the_empirical_mi_under_the_true_posterior(name):
    X, y, truth = make_task(name, 200_000, random_state=1)
    if name in ("xor", "parity3"):
        order, noise = (2, 0.1) if name == "xor" else (3, 0.05)
        clean = np.sum(X[:, :order] > 0, axis=1) % 2
        p_true = np.where(y == clean, 1 - noise, noise)
    elif name == "near_deterministic":
        p_true = np.where(y == np.floor(X[:, 0]), 0.99, 0.01 / 3)
    else:
        p_true = np.where(y == 1, 0.3, 0.7)
    prior = np.bincount(y) / len(y)
    assert np.mean(np.log(p_true) - np.log(prior[y])) == pytest.approx(truth, abs=0.005)


def test_large_sample_logistic_regression_recovers_a_linear_task():
    X, y, truth = make_task("gaussian_binary", 200_000, random_state=2)
    model = LogisticRegression().fit(X[:100_000], y[:100_000])
    p = model.predict_proba(X[100_000:])[np.arange(100_000), y[100_000:]]
    assert np.mean(np.log(p) - np.log(0.5)) == pytest.approx(truth, abs=0.006)


def test_transformed_and_noisy_tasks_keep_the_truth():
    assert task_truth("transformed_gaussian").mi == task_truth("gaussian_binary").mi
    X, _, _ = make_task("noise_features", 10, random_state=0)
    assert X.shape[1] == 50


def test_bad_task_arguments():
    with pytest.raises(ValueError, match="unknown task"):
        make_task("nope")
    with pytest.raises(ValueError, match="n_samples"):
        make_task("xor", 0)
