import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skmi import MIClassifier, estimate_mi
from skmi.datasets import make_task


@pytest.fixture(scope="module")
def linear_task():
    return make_task("gaussian_binary", 3000, random_state=0)


def test_logistic_estimate_is_close_and_its_ci_covers_the_truth(linear_task):
    X, y, truth = linear_task  # 0.221 nats
    result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    assert abs(result.mi - truth) < 0.03
    assert result.ci[0] <= truth <= result.ci[1]
    sampling = result.pmi.std(ddof=1) / np.sqrt(3000)
    folds = np.std(result.fold_mi, ddof=1) / np.sqrt(5)
    correction = result.lower_bound - (2 * result.lower_bound - result.mi)  # full - half
    assert result.stderr == pytest.approx(np.hypot(max(sampling, folds), correction / 2))
    assert sum(result.per_class.values()) == pytest.approx(result.mi)
    assert result.mi_bits == pytest.approx(result.mi / np.log(2))
    assert result.entropy == pytest.approx(np.log(2), abs=0.001)
    assert len(result.fold_mi) == 5


def test_default_estimator_on_a_nonlinear_task():
    X, y, truth = make_task("xor", 3000, random_state=0)  # 0.368 nats, synergy only
    result = estimate_mi(X, y, random_state=0)
    assert abs(result.mi - truth) < 0.06
    assert result.lower_bound < truth + 0.02
    assert set(result.selected) == {"MIClassifier"}  # a linear model cannot see XOR


def test_independent_features_give_zero():
    X, y, _ = make_task("independent", 2000, random_state=0)
    result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    assert abs(result.mi) < 0.01
    assert result.ci[0] <= 0 <= result.ci[1]


def test_same_seed_same_answer(linear_task):
    X, y, _ = linear_task
    X, y = X[:800], y[:800]
    a = estimate_mi(X, y, estimator=MIClassifier(max_epochs=5), random_state=3)
    b = estimate_mi(X, y, estimator=MIClassifier(max_epochs=5), random_state=3)
    assert a.mi == b.mi
    np.testing.assert_array_equal(a.pmi, b.pmi)


def test_candidates_are_chosen_per_fold(linear_task):
    X, y, _ = linear_task
    result = estimate_mi(
        X,
        y,
        estimator=[DecisionTreeClassifier(random_state=0), LogisticRegression()],
        random_state=0,
    )
    assert result.selected == ["LogisticRegression"] * 5


def test_overfitting_estimator_warns(linear_task):
    X, y, _ = linear_task
    with pytest.warns(UserWarning, match="overfits"):
        estimate_mi(X, y, estimator=DecisionTreeClassifier(random_state=0), extrapolate=False)


def test_string_labels_and_plain_reading(linear_task):
    X, y, _ = linear_task
    labels = np.array(["no", "yes"])[y]
    result = estimate_mi(X, labels, estimator=LogisticRegression(), extrapolate=False)
    assert set(result.per_class) == {"no", "yes"}
    assert result.mi == result.lower_bound


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "match"),
    [
        (np.ones((10, 2)), [0] * 10, {}, ValueError, "at least 2 classes"),
        (np.ones((10, 2)), [0] * 9, {}, ValueError, "samples"),
        (np.ones((20, 2)), [0] * 17 + [1] * 3, {}, ValueError, "smallest class"),
        (np.full((20, 2), np.nan), [0, 1] * 10, {}, ValueError, "NaN"),
        (np.ones((20, 2)), [0, 1] * 10, {"estimator": LinearSVC()}, TypeError, "predict_proba"),
        (np.ones((20, 2)), [0, 1] * 10, {"confidence": 1.5}, ValueError, "confidence"),
    ],
)
def test_bad_input(X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        estimate_mi(X, y, **kwargs)


@pytest.mark.parametrize(
    ("n_samples", "patience"),
    [(None, 20), (1_000, 20), (70_000, 20), (80_000, 18), (400_000, 4), (8_000_000, 3)],
)
def test_default_network_patience_is_capped_in_optimiser_steps(n_samples, patience):
    from skmi._estimate import default_estimators

    network = default_estimators(random_state=0, n_samples=n_samples)[0][-1]
    assert isinstance(network, MIClassifier)
    assert network.n_iter_no_change == patience


@pytest.mark.parametrize(("cv", "n_train"), [(5, 400), (4, 375), (2, 250)])
def test_default_candidates_are_sized_for_a_training_fold(monkeypatch, cv, n_train):
    import skmi._estimate as estimate_module

    sizes = []

    def recording(random_state=None, n_samples=None):
        sizes.append(n_samples)
        return [LogisticRegression()]

    monkeypatch.setattr(estimate_module, "default_estimators", recording)
    X, y, _ = make_task("gaussian_binary", 500, random_state=0)
    estimate_mi(X, y, cv=cv, random_state=0)
    assert sizes == [n_train]


def test_default_candidates_fit_small_folds_without_warnings():
    import warnings

    X, y, _ = make_task("gaussian_binary", 300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn's n_quantiles warning among others
        result = estimate_mi(X, y, cv=3, random_state=0)
    assert 0 < result.mi < result.entropy
