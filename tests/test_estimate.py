import re
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skmi import MIClassifier, estimate_mi
from skmi._warnings import SmallClassWarning
from skmi.datasets import make_task


@pytest.fixture(scope="module")
def linear_task():
    return make_task("gaussian_binary", 3000, random_state=0)


def test_logistic_estimate_is_close_and_its_ci_covers_the_truth(linear_task):
    X, y, truth = linear_task  # 0.221 nats
    result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    assert abs(result.mi - truth) < 0.03
    assert result.ci[0] <= truth <= result.ci[1]
    assert result.n_repeats == 1 and len(result.fold_mi) == 5
    assert result.mi == pytest.approx(result.lower_bound + result.correction)
    assert result.correction >= 0 and result.extrapolated == (result.correction > 0)
    sampling = result.pmi.std(ddof=1) / np.sqrt(3000)
    assert result.stderr >= sampling and result.stderr >= result.correction / 2
    assert sum(result.per_class.values()) == pytest.approx(result.mi)
    assert sum(result.weights.values()) == pytest.approx(1.0)
    assert result.weights["LogisticRegression"] > 0.95  # the model, barely any prior
    assert result.mi_bits == pytest.approx(result.mi / np.log(2))
    assert result.entropy == pytest.approx(np.log(2), abs=0.001)
    assert result.bounds_active == ()


def test_plain_reading_error_bar_is_the_larger_of_sampling_and_fold_spread(linear_task):
    X, y, _ = linear_task
    result = estimate_mi(
        X, y, estimator=LogisticRegression(), extrapolate=False, n_repeats=1, random_state=0
    )
    assert result.correction == 0 and result.mi == result.lower_bound
    sampling = result.pmi.std(ddof=1) / np.sqrt(len(y))
    folds = np.std(result.fold_mi, ddof=1) / np.sqrt(5)
    assert result.stderr == pytest.approx(max(sampling, folds))
    z = 1.959964
    assert result.ci == pytest.approx(
        (result.mi - z * result.stderr, result.mi + z * result.stderr)
    )


def test_repeats_score_every_sample_several_times(linear_task):
    X, y, _ = linear_task
    X, y = X[:300], y[:300]
    result = estimate_mi(X, y, estimator=LogisticRegression(), n_repeats=3, random_state=0)
    assert result.n_repeats == 3 and len(result.fold_mi) == 15
    auto = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    assert auto.n_repeats == 3  # "auto": about 1,000 scored rows


def test_default_estimator_on_a_nonlinear_task():
    X, y, truth = make_task("xor", 3000, random_state=0)  # 0.368 nats, synergy only
    result = estimate_mi(X, y, random_state=0)
    assert abs(result.mi - truth) < 0.06
    assert result.lower_bound < truth + 0.02
    # a linear model cannot see XOR: the network and the trees share the weight
    linear = sum(w for name, w in result.weights.items() if name.startswith("Logistic"))
    assert linear < 0.05 and result.weights["MIClassifier"] > 0.1


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


def test_candidates_are_mixed_by_held_out_likelihood(linear_task):
    X, y, truth = linear_task
    result = estimate_mi(
        X,
        y,
        estimator=[DecisionTreeClassifier(random_state=0), LogisticRegression()],
        random_state=0,
    )
    # a fully grown tree puts probability 0 on many true classes: it gets little weight
    assert result.weights["LogisticRegression"] > 0.9
    assert abs(result.mi - truth) < 0.03


def test_overfitting_estimator_warns(linear_task):
    X, y, _ = linear_task
    with pytest.warns(UserWarning, match="overfits"):
        estimate_mi(X, y, estimator=DecisionTreeClassifier(random_state=0), extrapolate=False)


def test_string_labels_and_plain_reading(linear_task):
    X, y, _ = linear_task
    labels = np.array(["no", "yes"])[y]
    result = estimate_mi(X, labels, estimator=LogisticRegression(), extrapolate=False)
    assert set(result.per_class) == {"no", "yes"}
    assert result.mi == result.lower_bound and not result.extrapolated


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "match"),
    [
        (np.ones((10, 2)), [0] * 10, {}, ValueError, "at least 2 classes"),
        (np.ones((10, 2)), [0] * 9, {}, ValueError, "samples"),
        (np.ones((20, 2)), [0, 1] * 10, {"n_repeats": 0}, ValueError, "n_repeats"),
        (np.ones((20, 2)), [0, 1] * 10, {"n_repeats": "many"}, ValueError, "n_repeats"),
        (np.ones((20, 2)), [0, 1] * 10, {"cv": 1}, ValueError, "cv must be at least 2"),
        # an array's empty cells are read as a table's: an empty column is named
        (np.full((20, 2), np.nan), [0, 1] * 10, {}, ValueError, "'x0' has no values"),
        (np.full((20, 2), np.inf), [0, 1] * 10, {}, ValueError, "infinity"),
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
    from skmi._candidates import default_estimators

    network = default_estimators(random_state=0, n_samples=n_samples)[0][-1]
    assert isinstance(network, MIClassifier)
    assert network.n_iter_no_change == patience


@pytest.mark.parametrize(("cv", "n_train"), [(5, 400), (4, 375), (2, 250)])
def test_default_candidates_are_sized_for_a_training_fold(monkeypatch, cv, n_train):
    import skmi._candidates as estimate_module

    sizes = []

    def recording(random_state=None, n_samples=None, n_classes=None):
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


def test_a_class_of_one_row_in_a_training_part_fits_without_warnings():
    import warnings

    X, y, _ = make_task("gaussian_imbalanced", 300, random_state=0)
    rare = np.flatnonzero(y == 2)[6:]  # keep 6 rows of the rarest class
    keep = np.setdiff1d(np.arange(300), rare)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SmallClassWarning)  # not a model's warning
        result = estimate_mi(X[keep], y[keep], random_state=0)
    assert "LinearDiscriminantAnalysis" in result.weights


@pytest.mark.parametrize(
    ("n_samples", "n_classes", "fraction"),
    [(None, 20, 0.1), (240, 3, 0.1), (240, 20, 21 / 120), (4000, 20, 0.1), (60, 20, 0.3)],
)
def test_network_validation_split_holds_every_class_of_the_half_size_fit(
    n_samples, n_classes, fraction
):
    from skmi._candidates import default_estimators

    network = default_estimators(0, n_samples=n_samples, n_classes=n_classes)[0][-1]
    assert network.validation_fraction == pytest.approx(fraction)


class _FixedProba(ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are a fixed function of X (fit learns nothing):
    class 1 with probability sigmoid(3 x0), and exactly 0 or 1 where |x0| > 2."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p1 = 1 / (1 + np.exp(-3 * X[:, 0]))
        p1 = np.where(X[:, 0] > 2, 1.0, np.where(X[:, 0] < -2, 0.0, p1))
        return np.column_stack([1 - p1, p1])


def _fixed_task(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-3 * X[:, 0]))).astype(int)
    y[np.argmax(X[:, 0])] = 0  # a confident mistake: probability 0 for its true class
    return X, y


def test_estimate_and_scorer_read_the_same_pointwise_mi():
    """One PMI path: estimate_mi's per-sample reading is MIScorer's, for an MIClassifier
    (logits, tau != 1) and for a predict_proba model with zero probabilities."""
    from skmi import MIScorer
    from skmi._crossfit import posterior as _posterior
    from skmi._pmi import empirical_log_prior

    X, y = _fixed_task()
    labels, y_index = np.unique(y, return_inverse=True)
    log_prior = empirical_log_prior(y_index, 2)
    network = MIClassifier(tau=0.0, max_epochs=5, random_state=0, num_threads=1).fit(X, y)
    for model in (network, _FixedProba().fit(X, y)):
        q = _posterior(model, X, labels, log_prior)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the zero probability's warning
            per_sample = np.log(q[np.arange(len(y)), y_index]) - log_prior[y_index]
            assert per_sample.mean() == pytest.approx(MIScorer()(model, X, y), abs=1e-12)


def test_mixture_with_the_prior_bounds_a_confident_mistake():
    X, y = _fixed_task()
    with pytest.warns(UserWarning, match="probability 0"):
        from skmi import MIScorer

        scored = MIScorer()(_FixedProba().fit(X, y), X, y)
    result = estimate_mi(X, y, estimator=_FixedProba(), extrapolate=False, random_state=0)
    # the scorer reads the mistake at log(eps) = -36 nats; the mixture at log(w_prior)
    assert result.weights["prior"] > 0
    assert result.pmi.min() >= np.log(result.weights["prior"]) - 1e-9
    assert result.mi > scored + 0.05
    # the mistake's q(y|x) is w_prior * pi_y: its pmi is exactly log(w_prior)
    assert result.pmi.min() == pytest.approx(np.log(result.weights["prior"]))


@pytest.mark.parametrize("task", ["independent", "near_deterministic", "gaussian_imbalanced"])
def test_every_reported_value_respects_the_bounds(task):
    X, y, _ = make_task(task, 150, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # near_deterministic: classes smaller than cv
        result = estimate_mi(X, y, estimator=LogisticRegression(C=10.0), random_state=0)
    h = result.entropy
    assert 0 <= result.ci[0] <= result.mi <= h
    assert result.mi <= result.ci[1] <= result.entropy_upper <= np.log(len(result.labels))
    assert np.all((result.fold_mi >= 0) & (result.fold_mi <= h))
    prior = np.bincount(result.y_index) / len(y)
    shares = np.array(list(result.per_class.values()))
    assert np.all(shares >= 0) and np.all(shares <= -prior * np.log(prior) + 1e-12)
    assert sum(shares) == pytest.approx(result.mi)
    assert np.all(result.pmi <= -np.log(prior[result.y_index]) + 1e-12)


def test_bounds_are_reported_when_active():
    X, y, _ = make_task("independent", 300, random_state=0)
    result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    assert result.ci[0] == 0.0 and "ci" in result.bounds_active  # MI 0: the CI meets 0
    assert "bounds active: ci" in str(result)


def test_projection_of_class_shares():
    from skmi._result import _project_shares

    ceilings = np.array([0.3, 0.2, 0.1])
    inside = np.array([0.1, 0.05, 0.02])
    np.testing.assert_array_equal(_project_shares(inside, ceilings, inside.sum()), inside)
    shares = np.array([0.35, -0.05, 0.05])
    projected = _project_shares(shares, ceilings, 0.32)
    assert projected.sum() == pytest.approx(0.32)
    assert np.all(projected >= 0) and np.all(projected <= ceilings)
    assert projected[1] == 0 and projected[0] == pytest.approx(0.3)


def test_correction_is_shrunk_by_its_noise():
    from skmi._result import _shrunk_correction

    rng = np.random.default_rng(0)
    clear = rng.normal(0.05, 0.01, 10_000)  # se 1e-4: kept
    applied, se, raw = _shrunk_correction(clear, np.array([]))
    assert applied == pytest.approx(raw, rel=1e-3) and se == pytest.approx(1e-4, rel=0.05)
    noisy = rng.normal(0.01, 1.0, 100)  # se 0.1 >> mean: shrunk towards 0
    applied, se, raw = _shrunk_correction(noisy, np.array([]))
    assert 0 <= applied < 0.1 * abs(raw) or raw <= 0
    assert _shrunk_correction(-clear, np.array([]))[0] == 0.0  # more data cannot hurt
    # the spread of repeated cross-fittings counts when it is larger
    assert _shrunk_correction(clear, np.array([0.0, 0.1]))[1] == pytest.approx(0.05)


def test_em_mixture_weights_maximise_the_likelihood():
    from skmi._crossfit import _em_mixture_weights

    rng = np.random.default_rng(0)
    columns = rng.random((500, 3)) + 0.01
    weights = _em_mixture_weights(columns)
    best = np.mean(np.log(columns @ weights))
    for _ in range(200):
        other = rng.dirichlet(np.ones(3))
        assert np.mean(np.log(columns @ other)) <= best + 1e-9


def test_mixture_weights_never_read_below_the_prior_alone():
    from skmi._crossfit import _em_mixture_weights

    rng = np.random.default_rng(0)
    prior = np.full(400, 0.5)
    noise = np.clip(0.5 + rng.normal(0, 0.05, 400), 0.01, 0.99)  # a model that knows nothing
    weights = _em_mixture_weights(np.column_stack([prior, noise]), n_iter=3)
    assert np.mean(np.log(np.column_stack([prior, noise]) @ weights)) >= np.mean(np.log(prior))


def test_independent_features_read_exactly_zero_or_more():
    X, y, _ = make_task("independent", 1000, random_state=0)
    result = estimate_mi(X, y, estimator=LogisticRegression(), extrapolate=False, random_state=0)
    assert result.lower_bound >= 0 and "mi" not in result.bounds_active


def test_the_printed_result_says_which_reading_it_is(linear_task):
    X, y, _ = linear_task
    plain = estimate_mi(X[:500], y[:500], estimator=LogisticRegression(), extrapolate=False)
    assert "plain held-out reading" in str(plain) and "extrapolated" not in str(plain)
    default = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    assert default.extrapolated and "bits, extrapolated)" in str(default)


def test_default_candidates_are_reproducible_on_small_data():
    X, y, _ = make_task("xor", 150, random_state=0)
    a = estimate_mi(X, y, random_state=5)  # trees, boosting and networks, all seeded
    b = estimate_mi(X, y, random_state=5)
    assert a.mi == b.mi and a.weights == b.weights


def test_one_repeat_with_a_splitter_is_allowed():
    from sklearn.model_selection import KFold

    X, y, _ = make_task("gaussian_binary", 200, random_state=0)
    splitter = KFold(4, shuffle=True, random_state=0)
    result = estimate_mi(X, y, estimator=LogisticRegression(), cv=splitter, n_repeats=1)
    assert result.n_repeats == 1 and len(result.fold_mi) == 4
    with pytest.raises(ValueError, match="n_repeats > 1 needs an int cv"):
        estimate_mi(X, y, estimator=LogisticRegression(), cv=splitter, n_repeats=2)


def test_twin_candidates_are_named_by_the_parameters_that_differ():
    from sklearn.ensemble import RandomForestClassifier

    from skmi._candidates import candidate_names as _names

    candidates = [
        LogisticRegression(C=1.0),
        LogisticRegression(C=0.1),
        RandomForestClassifier(),
        DecisionTreeClassifier(),
        DecisionTreeClassifier(),
    ]
    assert _names(candidates) == [
        "LogisticRegression(C=1.0)",
        "LogisticRegression(C=0.1)",
        "RandomForestClassifier",
        "DecisionTreeClassifier #1",
        "DecisionTreeClassifier #2",
    ]


def test_verbose_shows_a_progress_bar_over_the_folds(capsys):
    X, y, _ = make_task("gaussian_binary", 200, random_state=0)
    estimate_mi(X, y, estimator=LogisticRegression(), n_repeats=1, verbose=1, random_state=0)
    err = capsys.readouterr().err  # shown even when stderr is not a terminal
    assert "estimate_mi folds" in err and re.search(r"\bfold/s|s/fold\b", err)
    assert "5/5" in err
    estimate_mi(X, y, estimator=LogisticRegression(), n_repeats=1, random_state=0)
    assert capsys.readouterr().err == ""


def test_normal_scores_fit_on_few_rows_without_a_warning():
    from skmi._candidates import _NormalScores

    X = np.random.default_rng(0).normal(size=(40, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = _NormalScores(output_distribution="normal").fit(X).transform(X)
    assert scores.shape == X.shape and abs(np.median(scores)) < 0.1


def test_every_default_candidate_is_seeded():
    from skmi._candidates import default_estimators

    for candidate in default_estimators(random_state=3, n_samples=400, n_classes=3):
        seeds = {k: v for k, v in candidate.get_params().items() if k.endswith("random_state")}
        assert seeds and all(isinstance(v, int) for v in seeds.values()), candidate


def test_the_printed_result_names_the_active_bounds(linear_task):
    import dataclasses

    X, y, _ = linear_task
    result = estimate_mi(X[:400], y[:400], estimator=LogisticRegression(), random_state=0)
    text = str(dataclasses.replace(result, bounds_active=("mi", "ci")))
    assert text.startswith("I(X;Y) = ") and text.endswith("; bounds active: mi, ci")
    assert "bounds active" not in str(dataclasses.replace(result, bounds_active=()))


def test_the_default_network_batch_follows_the_training_rows():
    from skmi._candidates import default_estimators

    def batch(n):
        return default_estimators(random_state=0, n_samples=n)[0][-1].batch_size

    assert batch(400) == 64 and batch(120) == 32 and batch(8000) == 256
    assert default_estimators(random_state=0)[0][-1].batch_size == 256


def test_the_small_data_candidates_are_the_documented_ones():
    from skmi._candidates import _NormalScores, candidate_names, default_estimators

    candidates = default_estimators(random_state=0, n_samples=400, n_classes=3)
    assert candidate_names(candidates) == [
        "MIClassifier",
        "LogisticRegression(C=10.0)",
        "LogisticRegression(C=1.0)",
        "LogisticRegression(C=0.1)",
        "RandomForestClassifier",
        "HistGradientBoostingClassifier",
        "LinearDiscriminantAnalysis",
    ]
    # every model but the trees reads normal scores of the features
    for candidate in candidates:
        steps = getattr(candidate, "steps", None)
        assert steps is None or isinstance(steps[0][1], _NormalScores)
    assert sum(hasattr(c, "steps") for c in candidates) == 5
    many_classes = default_estimators(random_state=0, n_samples=400, n_classes=8)
    assert "HistGradientBoostingClassifier" not in candidate_names(many_classes)
    assert len(default_estimators(random_state=0, n_samples=6000)) == 2


def test_training_rows_per_fold_reads_splitters_too():
    from sklearn.model_selection import KFold, LeaveOneOut

    from skmi._candidates import training_rows_per_fold

    X, y_index = np.zeros((103, 2)), np.arange(103) % 2
    assert training_rows_per_fold(5, X, y_index) == 103 - 103 // 5
    assert training_rows_per_fold(KFold(4), X, y_index) == 103 - 103 // 4
    assert training_rows_per_fold(LeaveOneOut(), X, y_index) == 102
    assert training_rows_per_fold(object(), X, y_index) == 103  # a splitter that won't say


def test_the_spread_combines_sampling_and_fitting():
    from skmi._result import _spread

    values = np.array([0.1, 0.3, 0.2, 0.6])
    sampling = values.std(ddof=1) / 2
    repeats = np.array([0.2, 0.3, 0.1])
    fitting = repeats.std(ddof=1) / np.sqrt(3)
    assert _spread(values, repeats, np.zeros(5)) == pytest.approx(np.hypot(sampling, fitting))
    wide_folds = np.array([0.0, 1.0, 0.0, 1.0])
    assert _spread(values, repeats[:1], wide_folds) == pytest.approx(wide_folds.std(ddof=1) / 2)
    assert _spread(values, repeats[:1], wide_folds[:1]) == pytest.approx(sampling)


def test_the_correction_standard_error_is_the_sample_one():
    from skmi._result import _shrunk_correction

    differences = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    applied, se, raw = _shrunk_correction(differences, np.array([0.3]))
    assert raw == pytest.approx(0.3) and se == pytest.approx(differences.std(ddof=1) / np.sqrt(5))
    assert applied == pytest.approx(raw * raw**2 / (raw**2 + se**2))


def test_estimate_mi_input_messages():
    import pandas as pd
    from sklearn.exceptions import DataConversionWarning

    X, y, _ = make_task("gaussian_binary", 200, random_state=0)
    # a text column in a DataFrame is encoded (issue 24); in an array it is refused
    frame = pd.DataFrame(X).assign(colour=np.where(y == 1, "red", "blue"))
    assert estimate_mi(frame, y, estimator=LogisticRegression()).lower_bound > 0.5
    with pytest.raises(ValueError, match="estimate_mi needs numeric features"):
        estimate_mi(frame.to_numpy().astype(str), y, estimator=LogisticRegression())
    with pytest.raises(ValueError, match=r"y contains NaN \(1 labels\)"):
        estimate_mi(X, np.r_[y[:-1], np.nan].astype(float), estimator=LogisticRegression())
    with pytest.warns(DataConversionWarning):
        estimate_mi(X, y.reshape(-1, 1), estimator=LogisticRegression(), n_repeats=1)


def test_a_single_candidate_that_fails_raises_its_own_error():
    class Failing(LogisticRegression):
        def fit(self, X, y):
            raise ValueError("boom")

    X, y, _ = make_task("gaussian_binary", 200, random_state=0)
    with pytest.raises(ValueError, match="^boom$"):
        estimate_mi(X, y, estimator=Failing())


def test_a_stratified_splitter_object_is_used_as_given():
    from sklearn.model_selection import StratifiedKFold

    X, y, _ = make_task("gaussian_binary", 200, random_state=0)
    splitter = StratifiedKFold(4, shuffle=True, random_state=0)
    result = estimate_mi(X, y, estimator=LogisticRegression(), cv=splitter, n_repeats=1)
    assert len(result.fold_mi) == 4


def _repeated_readings(true_class_proba, y_index, n_classes=2):
    """Readings of one candidate over repetitions of a 2-fold split; row r of
    ``true_class_proba`` is each sample's true-class probability in repetition r."""
    from skmi._crossfit import Readings

    n = len(y_index)
    readings = Readings(1, n, n_classes)
    folds = [np.arange(0, n, 2), np.arange(1, n, 2)]
    for proba in true_class_proba:
        table = np.zeros((n, n_classes))
        table[np.arange(n), y_index] = proba
        table[np.arange(n), 1 - y_index] = 1 - proba
        for test in folds:
            readings.add(0, test, table[test])
            readings.next_split(test)
    splits = [(folds[1 - i], test) for _ in true_class_proba for i, test in enumerate(folds)]
    train_parts = [(train, np.full((1, len(train)), 0.8)) for train, _ in splits]
    return readings, splits, train_parts


def test_the_extrapolation_follows_one_model_when_the_cross_fitting_is_repeated():
    # Half-size models whose errors differ between repetitions: their averaged
    # probabilities (an ensemble whose members saw different halves) read almost as well
    # as the full-size models, but each one alone reads much worse. The learning curve
    # is one model's, so the extrapolation must see the single models' gap.
    from skmi._crossfit import CrossFit
    from skmi._result import _shrunk_correction, summarise

    rng = np.random.default_rng(0)
    n, repeats = 400, 3
    y_index = np.arange(n) % 2
    full_proba = np.full((repeats, n), 0.8)
    half_proba = np.clip(0.8 + rng.choice([-0.3, 0.15], size=(repeats, n)), 0.05, 0.95)
    full, splits, train_parts = _repeated_readings(full_proba, y_index)
    half, _, _ = _repeated_readings(half_proba, y_index)
    fit = CrossFit(full, half, train_parts, ["model"], splits)
    result = summarise(
        fit,
        y_index,
        np.array([0, 1]),
        extrapolate=True,
        confidence=0.95,
        rng=np.random.RandomState(0),
    )
    prior = np.array([0.5, 0.5])
    w_full = full.mixture_weights(y_index, prior, np.random.RandomState(0))
    w_half = half.mixture_weights(y_index, prior, np.random.RandomState(0))

    def single(proba, w):  # mean over repetitions of log q - log pi
        return np.mean(np.log(w[1] * proba + w[0] * 0.5) - np.log(0.5), axis=0)

    single_full, single_half = single(full_proba, w_full), single(half_proba, w_half)
    np.testing.assert_allclose(full.single_model_pmi(w_full, y_index, prior), single_full)
    ensemble_gap = result.lower_bound - float(
        np.mean(half.mixture_pmi(w_half, prior)[np.arange(n), y_index])
    )
    shrunk, _, _ = _shrunk_correction(
        single_full - single_half,
        full.per_repeat_readings(w_full, y_index, prior)
        - half.per_repeat_readings(w_half, y_index, prior),
    )
    expected = single_full.mean() + shrunk
    assert result.mi == pytest.approx(expected, abs=1e-9)
    assert result.correction > 1.3 * ensemble_gap > 0  # the averaged probabilities hide part
    # the parts add up: each class's share and each fold value follow the same values
    assert sum(result.per_class.values()) == pytest.approx(result.mi)
    assert np.mean(result.fold_mi) == pytest.approx(result.mi)


def test_the_extrapolated_estimate_never_falls_below_the_ensemble_reading():
    # Half-size models as good as the full ones: no gap to extrapolate; the single
    # models read below the ensemble of the repetitions, which stays the estimate.
    from skmi._crossfit import CrossFit
    from skmi._result import summarise

    rng = np.random.default_rng(1)
    n, repeats = 400, 3
    y_index = np.arange(n) % 2
    noisy = np.clip(0.75 + rng.normal(0, 0.15, size=(repeats, n)), 0.05, 0.95)
    full, splits, train_parts = _repeated_readings(noisy, y_index)
    half, _, _ = _repeated_readings(noisy[::-1], y_index)
    result = summarise(
        CrossFit(full, half, train_parts, ["model"], splits),
        y_index,
        np.array([0, 1]),
        extrapolate=True,
        confidence=0.95,
        rng=np.random.RandomState(0),
    )
    assert result.correction == 0.0 and result.mi == result.lower_bound
    assert result.ci[0] <= result.mi <= result.ci[1]


def test_the_entropy_upper_limit_of_the_population():
    from skmi._result import entropy_upper_limit

    h = float(-(0.97 * np.log(0.97) + 0.03 * np.log(0.03)))
    limit = entropy_upper_limit([970, 30], 0.95, h)
    # about h + 1.96 standard errors of the plug-in entropy (0.0187 at n = 1,000)
    assert h + 0.025 < limit < h + 0.05
    assert entropy_upper_limit([970, 30], 0.5, h) < limit  # a lower confidence, lower
    assert entropy_upper_limit([500, 500], 0.95, np.log(2)) == np.log(2)  # never past log K
    more = entropy_upper_limit([9700, 300], 0.95, h)
    assert h < more < h + 0.012  # ten times the rows: a third of the margin
    assert entropy_upper_limit([1000, 0], 0.95, 0.0) > 0  # an unseen class may exist


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_interval_of_a_separable_rare_class_may_pass_the_samples_entropy(seed):
    # issue 23: a 3 % class the features separate; truth = the population's H(Y). Capped
    # at the sample's H(Y), the interval missed the truth whenever the sample held fewer
    # rare rows than 3 %; now its top may reach the population's upper limit
    X, y, truth = make_task("rare_separable", 1000, random_state=seed)
    result = estimate_mi(X, y, estimator=LogisticRegression(C=100.0), random_state=0)
    assert result.mi <= result.entropy  # the estimate stays within the sample's bound
    assert result.entropy < result.ci[1] <= result.entropy_upper < np.log(2)
    assert result.ci[0] <= truth <= result.ci[1]


def test_every_active_bound_is_named(monkeypatch):
    # mutation testing (issue 23): each bound that changes a value is named in
    # bounds_active with its own label
    from skmi import _result

    active = []
    assert _result._within(0.8, 0.0, 0.69, "mi", active) == 0.69 and active == ["mi"]
    assert _result._within(0.5, 0.0, 0.69, "mi", active) == 0.5 and active == ["mi"]
    X, y, _ = make_task("rare_separable", 300, random_state=1)
    model = LogisticRegression(C=100.0, max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a class of few rows
        shares = estimate_mi(X, y, estimator=model, random_state=1)
        # an extrapolation far beyond H(Y): the estimate is cut at it, and says so
        monkeypatch.setattr(_result, "_shrunk_correction", lambda *args: (5.0, 0.0, 5.0))
        capped = estimate_mi(X, y, estimator=model, random_state=1)
    assert "per_class" in shares.bounds_active
    assert capped.mi == capped.entropy and "mi" in capped.bounds_active
    allowed = {"mi", "ci", "per_class", "fold_mi"}
    assert set(shares.bounds_active) <= allowed and set(capped.bounds_active) <= allowed
