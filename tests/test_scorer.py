import numpy as np
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skmi import MIClassifier, MIScorer
from skmi._classifier import SINGLE_NETWORK
from skmi.metrics import mutual_info_from_proba

from ._tasks import gaussian_task

CV = StratifiedKFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def imbalanced_task():
    return gaussian_task(3000, priors=(0.8, 0.15, 0.05), separation=1.5, n_features=3)


def test_cross_validated_estimate_is_close_to_the_truth(imbalanced_task):
    X, y, truth = imbalanced_task  # truth 0.227 nats
    clf = MIClassifier(early_stopping=True, random_state=0, num_threads=1)
    scores = cross_val_score(clf, X, y, cv=CV, scoring=MIScorer())
    # a held-out lower bound: below the truth by the model's excess cross-entropy
    assert truth - 0.05 < scores.mean() < truth + 0.02
    bits = cross_val_score(clf, X, y, cv=CV, scoring=MIScorer(units="bits"))
    np.testing.assert_allclose(bits, scores / np.log(2))


def test_logistic_regression_is_scored_as_h_minus_log_loss(imbalanced_task):
    X, y, truth = imbalanced_task
    scores = cross_val_score(LogisticRegression(), X, y, cv=CV, scoring=MIScorer())
    # the Bayes posterior is linear here, so logistic regression is nearly exact
    assert abs(scores.mean() - truth) < 0.03
    model = LogisticRegression().fit(X, y)
    expected = mutual_info_from_proba(y, model.predict_proba(X))
    assert MIScorer()(model, X, y) == pytest.approx(expected)


def test_training_data_estimate_exceeds_the_held_out_one(imbalanced_task):
    X, y, _ = imbalanced_task
    clf = MIClassifier(
        hidden_layer_sizes=(256, 256), dropout=0.0, max_epochs=60, random_state=0, **SINGLE_NETWORK
    )
    clf.fit(X[:1000], y[:1000])
    assert MIScorer()(clf, X[:1000], y[:1000]) > MIScorer()(clf, X[1000:], y[1000:]) + 0.02


def test_uninformative_classifier_scores_zero(imbalanced_task):
    X, y, _ = imbalanced_task
    dummy = DummyClassifier(strategy="prior").fit(X, y)
    assert MIScorer()(dummy, X, y) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("sampler", "epochs"),
    [
        (RandomOverSampler(random_state=0), 20),
        (SMOTE(random_state=0), 20),
        # about 300 rows remain: more epochs for a similar number of optimiser steps
        (RandomUnderSampler(random_state=0), 150),
    ],
    ids=["ros", "smote", "rus"],
)
def test_resampler_pipeline_estimate_uses_the_data_prior(imbalanced_task, sampler, epochs):
    X, y, truth = imbalanced_task
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("sample", sampler),
            ("clf", MIClassifier(tau=0.0, max_epochs=epochs, random_state=0, num_threads=1)),
        ]
    )
    scores = cross_val_score(pipe, X, y, cv=CV, scoring=MIScorer())
    # Reading the logits with the resampled (uniform) prior would overshoot by far more.
    assert truth - 0.08 < scores.mean() < truth + 0.03


def test_grid_search_with_balanced_accuracy_and_mi(imbalanced_task):
    X, y, truth = imbalanced_task
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("sample", RandomOverSampler(random_state=0)),
            ("clf", MIClassifier(tau=0.0, max_epochs=15, random_state=0, num_threads=1)),
        ]
    )
    grid = {
        "sample": [RandomOverSampler(random_state=0), RandomUnderSampler(random_state=0)],
        "clf__lr": [1e-3, 3e-3],
    }
    search = GridSearchCV(
        pipe, grid, cv=CV, scoring={"bacc": "balanced_accuracy", "mi": MIScorer()}, refit="mi"
    )
    search.fit(X, y)
    mi = search.cv_results_["mean_test_mi"]
    bacc = search.cv_results_["mean_test_bacc"]
    # never above the truth (the failure mode of reading with the resampled prior);
    # the undersampled runs are short of training, hence only a loose lower limit
    assert np.all((mi > 0) & (mi < truth + 0.03))
    assert search.best_score_ > truth - 0.05
    assert np.all(bacc > 0.4)  # chance is 1/3
    # the fitted search itself can be scored: it unwraps to the final MIClassifier
    assert MIScorer()(search, X, y) == pytest.approx(MIScorer()(search.best_estimator_, X, y))


def test_grid_search_over_tau_alone(imbalanced_task):
    X, y, _ = imbalanced_task
    search = GridSearchCV(
        MIClassifier(max_epochs=15, random_state=0, num_threads=1),
        {"tau": [0.0, 1.0]},
        cv=CV,
        scoring={"bacc": "balanced_accuracy", "mi": MIScorer()},
        refit="bacc",
    )
    search.fit(X, y)
    bacc = dict(
        zip(search.cv_results_["param_tau"], search.cv_results_["mean_test_bacc"], strict=True)
    )
    assert bacc[1.0] > bacc[0.0]  # PC-softmax wins balanced accuracy on imbalanced data


def test_labels_unseen_in_fit_are_a_clear_error(imbalanced_task):
    X, y, _ = imbalanced_task
    clf = MIClassifier(max_epochs=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="not trained on.*7"):
        MIScorer()(clf, X[:5], np.array([0, 1, 2, 7, 0]))
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="not trained on"):
        MIScorer()(model, X[:2], [0, 9])


def test_scorer_errors_name_the_problem(imbalanced_task):
    X, y, _ = imbalanced_task
    with pytest.raises(TypeError, match="predict_proba; SVC does not"):
        MIScorer()(SVC().fit(X[:200], y[:200]), X[:50], y[:50])
    with pytest.raises(ValueError, match="units"):
        MIScorer(units="dits")(LogisticRegression().fit(X, y), X, y)
    with pytest.raises(ValueError, match="needs an MIClassifier; LogisticRegression is scored"):
        MIScorer(prior=[0.8, 0.15, 0.05])(LogisticRegression().fit(X, y), X, y)


def test_explicit_prior_matches_empirical_when_equal(imbalanced_task):
    X, y, _ = imbalanced_task
    clf = MIClassifier(max_epochs=5, random_state=0).fit(X, y)
    prior = np.bincount(y) / len(y)
    assert MIScorer(prior=prior)(clf, X, y) == pytest.approx(MIScorer()(clf, X, y))


def _pmi_by_hand(logits, y, prior):
    """g_y - log sum_j pi_j exp(g_j), written out without skmi's helpers."""
    norm = np.log(np.sum(prior * np.exp(logits), axis=1))
    return logits[np.arange(len(y)), y] - norm


def test_explicit_prior_is_the_one_used(imbalanced_task):
    X, y, _ = imbalanced_task
    clf = MIClassifier(max_epochs=5, random_state=0, num_threads=1).fit(X, y)
    given = np.array([0.5, 0.3, 0.2])  # not the data's 0.8 / 0.15 / 0.05
    expected = _pmi_by_hand(clf.prior_free_logits(X), y, given).mean()
    assert MIScorer(prior=given)(clf, X, y) == pytest.approx(expected, abs=1e-9)
    assert abs(MIScorer(prior=given)(clf, X, y) - MIScorer()(clf, X, y)) > 0.05


def test_plain_softmax_model_is_read_through_its_prior_free_logits(imbalanced_task):
    """tau=0 logits carry log pi_train; the scorer must take it out (f - log pi)."""
    X, y, truth = imbalanced_task
    clf = MIClassifier(tau=0.0, early_stopping=True, random_state=0, num_threads=1)
    clf.fit(X[:2000], y[:2000])
    X_test, y_test = X[2000:], y[2000:]
    raw = clf.decision_function(X_test)  # multiclass: (n, 3) raw logits f
    logits = raw - np.log(clf.class_prior_)
    prior = np.bincount(y_test, minlength=3) / len(y_test)
    expected = _pmi_by_hand(logits, y_test, prior).mean()
    score = MIScorer()(clf, X_test, y_test)
    assert score == pytest.approx(expected, abs=1e-9)
    assert abs(score - truth) < 0.05  # reading raw f instead would be far off
    naive = _pmi_by_hand(raw, y_test, prior).mean()
    assert abs(naive - score) > 0.05


def test_pipeline_with_miclassifier_alone_in_grid_search(imbalanced_task):
    X, y, truth = imbalanced_task
    pipe = Pipeline(
        [("scale", StandardScaler()), ("clf", MIClassifier(random_state=0, num_threads=1))]
    )
    search = GridSearchCV(
        pipe,
        {"clf__max_epochs": [10, 30]},
        cv=CV,
        scoring={"bacc": "balanced_accuracy", "mi": MIScorer()},
        refit="mi",
    )
    search.fit(X, y)
    assert truth - 0.06 < search.best_score_ < truth + 0.02
    assert np.all(search.cv_results_["mean_test_bacc"] > 0.5)


def test_scoring_a_class_weighted_model_warns(imbalanced_task):
    X, y, _ = imbalanced_task
    clf = MIClassifier(tau=0.0, class_weight="balanced", max_epochs=2, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="^This MIClassifier was trained with class_weight"):
        MIScorer()(clf, X, y)


def test_a_step_named_parameter_does_not_confuse_unwrapping(imbalanced_task):
    # A subclass with a `steps` parameter is not a Pipeline.
    X, y, _ = imbalanced_task

    class StepsClassifier(MIClassifier):
        def __init__(self, module=None, *, steps=5, **kwargs):
            super().__init__(module, **kwargs)
            self.steps = steps

    clf = StepsClassifier(max_epochs=2, random_state=0).fit(X, y)
    assert np.isfinite(MIScorer()(clf, X, y))


def test_the_scorer_asks_for_sample_weight_only_when_told():
    default = MIScorer().get_metadata_routing()
    assert default.owner == "MIScorer"
    assert default.score.requests == {"sample_weight": None}
    asked = MIScorer().set_score_request(sample_weight=True).get_metadata_routing()
    assert asked.score.requests == {"sample_weight": True}
