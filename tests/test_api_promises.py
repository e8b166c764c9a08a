"""What scikit-learn and skorch users do with a classifier, at the edges of both APIs:
the device parameter, warm starts, sample weights (also through metadata routing),
get_params, and partial_fit with classes that have not occurred yet."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, cross_validate

from skmi import MIClassifier, MIScorer
from skmi._classifier import SINGLE_NETWORK
from skmi.metrics import pointwise_mutual_info

FAST = {"max_epochs": 15, "random_state": 0, "num_threads": 1}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * rng.normal(size=400) > 0.8).astype(int)
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    return MIClassifier(**FAST).fit(*data)


# ------------------------------------------------------------------ device
def test_skorch_methods_work_after_a_fit_with_device_auto(fitted, data):
    X, _ = data
    assert fitted.get_params()["device"] == "auto" and fitted.device in ("cpu", "cuda")
    logits = fitted.forward(X)
    assert logits.shape == (len(X), 2)
    first = next(iter(fitted.forward_iter(X)))
    torch.testing.assert_close(first, logits[: len(first)])
    step = fitted.evaluation_step((torch.as_tensor(X), None))
    torch.testing.assert_close(step, logits)
    np.testing.assert_allclose(fitted.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)
    assert clone(fitted).get_params()["device"] == "auto"
    assert "device" not in repr(fitted)  # the default, unchanged


def test_setting_the_device_takes_effect_and_is_the_parameter(fitted):
    clf = clone(fitted).set_params(device="cpu")
    assert clf.get_params()["device"] == "cpu" and clf.device == "cpu"
    clf.set_params(device="auto")
    assert clf.get_params()["device"] == "auto" and clf.device in ("cpu", "cuda")


def test_get_params_holds_only_parameters(fitted):
    params = fitted.get_params()
    assert not [name for name in params if name.startswith("_")]
    assert "_params_to_validate" not in repr(fitted)
    assert set(clone(fitted).get_params(deep=False)) == set(fitted.get_params(deep=False))


# ------------------------------------------------------------------ warm start
def test_a_warm_started_fit_trains_with_the_prior_of_its_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 3)).astype(np.float32)
    balanced = (X[:, 0] > 0).astype(int)
    skewed = (X[:, 0] + 0.3 * rng.normal(size=3000) > 1.35).astype(int)  # about 9 % ones
    clf = MIClassifier(warm_start=True, **SINGLE_NETWORK, **FAST).fit(X, balanced)
    first_weights = clf.module_.output.weight.detach().clone()
    clf.fit(X, skewed)
    expected = np.bincount(skewed) / len(skewed)
    np.testing.assert_allclose(clf.class_prior_, expected)
    trained_with = clf.criterion_.log_prior.exp().numpy()
    np.testing.assert_allclose(trained_with, expected, rtol=1e-5)
    # it did go on from the first fit's weights (no re-initialisation) ...
    cold = MIClassifier(**SINGLE_NETWORK, **FAST).fit(X, skewed)
    assert not torch.equal(clf.module_.output.weight, cold.module_.output.weight)
    assert not torch.equal(clf.module_.output.weight, first_weights)
    # ... and its balanced-error rule is as good as a cold fit's
    bacc = balanced_accuracy_score(skewed, clf.predict(X))
    assert bacc > balanced_accuracy_score(skewed, cold.predict(X)) - 0.03


def test_a_warm_start_with_other_classes_is_refused_and_keeps_the_model(data):
    X, y = data
    clf = MIClassifier(warm_start=True, **FAST).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="not trained on"):
        clf.fit(X, np.where(y == 1, 2, y) + (np.arange(len(y)) % 3 == 0))
    np.testing.assert_array_equal(clf.predict_proba(X), before)


# ------------------------------------------------------------------ sample_weight
def test_sample_weight_is_equivalent_to_repeating_rows():
    # Deterministic training (no dropout, no held-out split, one full batch): the
    # weighted fit and the fit on repeated rows differ only by float32 rounding.
    rng = np.random.RandomState(42)
    X, y = rng.rand(40, 6), rng.randint(0, 3, size=40)
    weight = rng.randint(0, 4, size=40)
    params = dict(dropout=0.0, early_stopping=False, max_epochs=30, random_state=0)
    weighted = MIClassifier(**params).fit(X, y, sample_weight=weight)
    repeated = MIClassifier(**params).fit(X.repeat(weight, axis=0), y.repeat(weight))
    np.testing.assert_allclose(weighted.class_prior_, repeated.class_prior_)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-5)
    unweighted = MIClassifier(**params).fit(X, y)
    assert np.abs(unweighted.predict_proba(X) - repeated.predict_proba(X)).max() > 1e-3


def test_the_class_prior_comes_from_weighted_counts(data):
    X, y = data
    weight = np.where(y == 1, 3.0, 0.5)
    untouched = weight.copy()
    clf = MIClassifier(**FAST).fit(X, y, sample_weight=weight)
    counts = np.array([weight[y == 0].sum(), weight[y == 1].sum()])
    np.testing.assert_allclose(clf.class_prior_, counts / counts.sum())
    np.testing.assert_allclose(clf.criterion_.log_prior.exp().numpy(), clf.class_prior_, rtol=1e-5)
    np.testing.assert_array_equal(weight, untouched)  # the user's array is not modified


@pytest.mark.parametrize(
    "weight, message",
    [
        (np.ones(5), r"shape \(400,\)"),
        (np.full(400, -1.0), "non-negative"),
        (np.full(400, np.nan), "NaN"),
        (np.zeros(400), "zero for every sample"),
        ("heavy", "array of numbers"),
    ],
)
def test_bad_sample_weight_fails_before_the_fitted_model_is_touched(fitted, data, weight, message):
    X, y = data
    clf = clone(fitted).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises((ValueError, TypeError), match=message):
        clf.fit(X[:, :3], y, sample_weight=weight)  # another width too: nothing is reset
    assert clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_a_refit_with_bad_labels_keeps_the_fitted_model(fitted, data):
    X, y = data
    clf = clone(fitted).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X[:, :3], np.zeros(len(y)))  # another width, one class
    assert clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_a_class_with_zero_total_weight_is_named(data):
    X, y = data
    with pytest.raises(ValueError, match=r"classes \[1\] have no samples with a positive"):
        MIClassifier(**FAST).fit(X, y, sample_weight=(y == 0).astype(float))


def test_the_scorer_weights_pointwise_mi_under_the_weighted_prior(fitted, data):
    X, y = data
    weight = np.random.default_rng(3).integers(0, 4, size=len(y))
    score = MIScorer()(fitted, X, y, sample_weight=weight)
    repeated = MIScorer()(fitted, X.repeat(weight, axis=0), y.repeat(weight))
    assert score == pytest.approx(repeated, rel=1e-9)
    counts = np.bincount(y, weights=weight)
    pmi = pointwise_mutual_info(
        y, fitted.prior_free_logits(X), prior=counts / counts.sum(), labels=fitted.classes_
    )
    assert score == pytest.approx(np.average(pmi, weights=weight), rel=1e-9)
    assert abs(score - MIScorer()(fitted, X, y)) > 1e-3
    model = LogisticRegression().fit(X, y)
    repeated = MIScorer()(model, X.repeat(weight, axis=0), y.repeat(weight))
    assert MIScorer()(model, X, y, sample_weight=weight) == pytest.approx(repeated, rel=1e-9)


def test_sample_weight_is_routed_to_fit_and_to_the_scorer(data):
    X, y = data
    weight = np.where(y == 1, 4.0, 1.0)
    counts = np.bincount(y, weights=weight)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = MIClassifier(**FAST).set_fit_request(sample_weight=True)
        scorer = MIScorer().set_score_request(sample_weight=True)
        search = GridSearchCV(clf, {"tau": [1.0]}, cv=3, scoring=scorer)
        search.fit(X, y, sample_weight=weight)
        np.testing.assert_allclose(search.best_estimator_.class_prior_, counts / counts.sum())
        result = cross_validate(clf, X, y, cv=3, scoring=scorer, params={"sample_weight": weight})
        unweighted = cross_validate(MIClassifier(**FAST), X, y, cv=3, scoring=MIScorer())
        assert np.all(np.abs(result["test_score"] - unweighted["test_score"]) > 1e-4)
        with pytest.raises(Exception, match="sample_weight"):  # not requested: refused
            cross_validate(
                MIClassifier(**FAST),
                X,
                y,
                cv=3,
                scoring=MIScorer(),
                params={"sample_weight": weight},
            )


# ------------------------------------------------------------------ partial_fit
def test_partial_fit_accepts_classes_absent_from_the_first_batch(data):
    X, y = data
    labels = np.where(X[:, 1] > 1.0, 2, y)  # a third class
    first = labels != 2
    clf = MIClassifier(**FAST).partial_fit(X[first][:100], labels[first][:100], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert np.all(clf.class_prior_ > 0)
    assert clf.predict_proba(X).shape == (len(X), 3)
    clf.partial_fit(X, labels)
    seen = np.concatenate([labels[first][:100], labels])
    np.testing.assert_allclose(clf.class_prior_, np.bincount(seen) / len(seen))
    np.testing.assert_allclose(clf.criterion_.log_prior.exp().numpy(), clf.class_prior_, rtol=1e-5)
    with pytest.raises(ValueError, match="not trained on"):
        clf.partial_fit(X[:10], np.full(10, 7))


def test_fit_still_needs_every_class(data):
    X, y = data
    with pytest.raises(ValueError, match="have no samples in y"):
        MIClassifier(classes=[0, 1, 2], **FAST).fit(X, y)


def test_a_class_not_seen_yet_counts_as_one_sample_at_every_call(data):
    X, y = data
    clf = MIClassifier(**FAST).partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    clf.partial_fit(X[100:200], y[100:200])  # class 2 still absent
    counts = np.r_[np.bincount(y[:200], minlength=2), 1.0]
    np.testing.assert_allclose(clf.class_prior_, counts / counts.sum())
