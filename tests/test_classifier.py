import io
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy.special import softmax
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV
from skorch.exceptions import DeviceWarning, NotInitializedError

from skmi import MIClassifier

from ._tasks import gaussian_task

FAST = {"max_epochs": 15, "random_state": 0, "num_threads": 1}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.6, 0.3, 0.1],
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return MIClassifier(**FAST).fit(X, y)


def test_class_prior_is_the_label_frequency(fitted, data):
    _, y = data
    np.testing.assert_allclose(fitted.class_prior_, np.bincount(y) / len(y))
    assert fitted.n_features_in_ == 6
    np.testing.assert_array_equal(fitted.classes_, [0, 1, 2])


def test_all_samples_train_without_early_stopping(data):
    X, y = data
    clf = MIClassifier(max_epochs=1, batch_size=64, early_stopping=False, random_state=0)
    clf.fit(X, y)
    assert clf.early_stopping_ is False
    assert sum(clf.history[-1, "batches", :, "train_batch_size"]) == len(y)
    assert "valid_loss" not in clf.history[-1]


def test_auto_early_stopping_holds_out_a_stratified_tenth(data):
    X, y = data
    clf = MIClassifier(max_epochs=1, batch_size=64, random_state=0).fit(X, y)
    assert clf.early_stopping_ is True
    assert sum(clf.history[-1, "batches", :, "train_batch_size"]) == 270
    assert np.isfinite(clf.history[-1, "valid_loss"])


def test_auto_early_stopping_is_off_when_a_class_cannot_be_held_out():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.array([0] * 29 + [1])
    clf = MIClassifier(max_epochs=2, random_state=0, num_threads=1).fit(X, y)
    assert clf.early_stopping_ is False
    assert sum(clf.history[-1, "batches", :, "train_batch_size"]) == 30


def test_auto_early_stopping_yields_to_a_user_train_split(data):
    from skorch.dataset import ValidSplit

    X, y = data
    clf = MIClassifier(max_epochs=1, train_split=ValidSplit(5), random_state=0, num_threads=1)
    clf.fit(X, y)
    assert clf.early_stopping_ is False
    assert sum(clf.history[-1, "batches", :, "train_batch_size"]) == 240


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("test_prior", ["balanced", "training", [0.2, 0.3, 0.5]])
def test_probabilities_follow_the_documented_formula(data, tau, test_prior):
    X, y = data
    clf = MIClassifier(tau=tau, test_prior=test_prior, **FAST).fit(X, y)
    raw = clf.decision_function(X)
    target = {"balanced": np.full(3, 1 / 3), "training": clf.class_prior_}.get(
        test_prior if isinstance(test_prior, str) else "", np.asarray(test_prior)
    )
    expected = softmax(raw + (tau - 1) * np.log(clf.class_prior_) + np.log(target), axis=1)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_named_methods_are_parameter_changes(data):
    X, y = data
    plain = MIClassifier(tau=0.0, test_prior="training", **FAST).fit(X, y)
    # tau=0 with the training prior is ordinary softmax of the logits
    np.testing.assert_allclose(plain.predict_proba(X), softmax(plain.decision_function(X), 1))
    # tau=1 with a balanced prior predicts the argmax of the raw logits
    pc = MIClassifier(tau=1.0, **FAST).fit(X, y)
    np.testing.assert_array_equal(pc.predict(X), pc.decision_function(X).argmax(axis=1))
    # post-hoc logit adjustment: plain softmax logits minus log prior
    plain.set_params(test_prior="balanced")
    adjusted = plain.decision_function(X) - np.log(plain.class_prior_)
    np.testing.assert_array_equal(plain.predict(X), adjusted.argmax(axis=1))


def test_decision_function_is_the_module_output(fitted, data):
    X, _ = data
    device = next(fitted.module_.parameters()).device
    with torch.no_grad():
        fitted.module_.eval()
        raw = fitted.module_(torch.as_tensor(X, dtype=torch.float32, device=device)).cpu().numpy()
    np.testing.assert_allclose(fitted.decision_function(X), raw, rtol=1e-6, atol=1e-6)


def test_binary_decision_function_is_the_logit_difference():
    X, y = make_classification(n_samples=120, random_state=1)
    clf = MIClassifier(**FAST).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(
        clf.decision_function(X), np.log(proba[:, 1] / proba[:, 0]), atol=1e-6
    )


def test_dict_test_prior_is_in_label_order():
    X, y = make_classification(n_samples=120, random_state=1)
    labels = np.where(y == 1, "spam", "ham")
    clf = MIClassifier(test_prior={"spam": 0.9, "ham": 0.1}, **FAST).fit(X, labels)
    as_array = clone(clf).set_params(test_prior=[0.1, 0.9]).fit(X, labels)  # ham, spam
    np.testing.assert_allclose(clf.predict_proba(X), as_array.predict_proba(X))


def test_pointwise_mutual_info_mean_is_h_minus_cross_entropy(fitted, data):
    X, y = data
    pmi = fitted.pointwise_mutual_info(X, y)
    proba = fitted.set_params(test_prior="training").predict_proba(X)
    fitted.set_params(test_prior="balanced")
    prior = fitted.class_prior_
    expected = np.log(proba[np.arange(len(y)), y]) - np.log(prior[y])
    np.testing.assert_allclose(pmi, expected, atol=1e-6)


def test_string_and_noncontiguous_labels_map_back():
    X, y = make_classification(n_samples=150, n_classes=3, n_informative=3, random_state=0)
    for labels in (np.array(["cat", "dog", "eel"])[y], np.array([-5, 10, 70])[y]):
        clf = MIClassifier(**FAST).fit(X, labels)
        assert set(clf.predict(X)) <= set(labels)
        np.testing.assert_array_equal(clf.classes_, np.unique(labels))
        assert balanced_accuracy_score(labels, clf.predict(X)) > 0.6


def test_float32_float64_and_pandas_give_the_same_model(data):
    X, y = data
    a = MIClassifier(**FAST).fit(X, y).predict_proba(X)
    b = MIClassifier(**FAST).fit(X.astype(np.float32), y).predict_proba(X)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    c = MIClassifier(**FAST).fit(frame, pd.Series(y)).predict_proba(frame)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_random_state_makes_fits_identical_and_leaves_global_rng(data):
    X, y = data
    before = torch.random.get_rng_state()
    a = MIClassifier(**FAST).fit(X, y).predict_proba(X)
    assert torch.equal(before, torch.random.get_rng_state())
    b = MIClassifier(**FAST).fit(X, y).predict_proba(X)
    c = MIClassifier(**{**FAST, "random_state": 1}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_input_is_not_modified(data):
    X, y = data
    X_copy, y_copy = X.copy(), y.copy()
    MIClassifier(**FAST).fit(X, y).predict(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_early_stopping_holds_out_a_split_and_stops(data):
    X, y = data
    clf = MIClassifier(early_stopping=True, n_iter_no_change=3, max_epochs=300, random_state=0)
    clf.fit(X, y)
    assert len(clf.history) < 300
    n_train = sum(clf.history[-1, "batches", :, "train_batch_size"])
    assert n_train == pytest.approx(0.9 * len(y), abs=2)
    assert np.isfinite(clf.history[-1, "valid_loss"])


def test_auto_epochs_rule():
    clf = MIClassifier()
    assert clf._n_epochs(100) == 200
    assert clf._n_epochs(10_000) == 50
    assert clf._n_epochs(1_000_000) == 10


def test_custom_cnn_module_with_grid_searchable_parameters():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 1, 8, 8)[:600]
    y = y[:600]

    class SmallCNN(torch.nn.Module):
        def __init__(self, channels=4):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Conv2d(1, channels, 3, padding=1),
                torch.nn.ReLU(),
                torch.nn.AdaptiveAvgPool2d(4),
                torch.nn.Flatten(),
                torch.nn.Linear(channels * 16, 10),
            )

        def forward(self, X):
            return self.body(X)

    net = MIClassifier(SmallCNN, max_epochs=15, lr=1e-2, random_state=0, num_threads=1)
    search = GridSearchCV(net, {"module__channels": [2, 8]}, cv=2, scoring="balanced_accuracy")
    search.fit(X, y)
    assert search.best_params_["module__channels"] in (2, 8)
    assert (
        search.best_estimator_.module_.body[0].out_channels
        == search.best_params_["module__channels"]
    )
    assert search.best_score_ > 0.5


def test_clone_and_pickle_round_trip(fitted, data):
    X, _ = data
    cloned = clone(fitted)
    assert not hasattr(cloned, "class_prior_")
    assert cloned.get_params()["tau"] == fitted.tau
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert restored.get_params()["device"] == "auto"


def test_save_params_load_params_round_trip(data):
    X, y = data
    labels = np.array(["a", "b", "c"])[y]
    clf = MIClassifier(**FAST).fit(X, labels)
    f_params, f_criterion = io.BytesIO(), io.BytesIO()
    clf.save_params(f_params=f_params, f_criterion=f_criterion)
    f_params.seek(0)
    f_criterion.seek(0)
    new = MIClassifier(classes=["a", "b", "c"], **FAST)
    new.load_params(f_params=f_params, f_criterion=f_criterion)
    np.testing.assert_array_equal(new.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(new.predict(X), clf.predict(X))
    np.testing.assert_allclose(new.class_prior_, clf.class_prior_, rtol=1e-6)


def test_load_params_without_criterion_is_a_clear_error(fitted, tmp_path):
    fitted.save_params(f_params=tmp_path / "p.pt")
    with pytest.raises(ValueError, match="f_criterion"):
        MIClassifier().load_params(f_params=tmp_path / "p.pt")


def test_imbalanced_task_pc_softmax_beats_plain_softmax():
    X, y, _ = gaussian_task(4000, priors=(0.95, 0.05), separation=2.0, random_state=3)
    X_test, y_test, _ = gaussian_task(4000, priors=(0.95, 0.05), separation=2.0, random_state=4)
    pc = MIClassifier(random_state=0, num_threads=1, max_epochs=30).fit(X, y)
    plain = MIClassifier(
        tau=0.0, test_prior="training", random_state=0, num_threads=1, max_epochs=30
    )
    plain.fit(X, y)
    bacc_pc = balanced_accuracy_score(y_test, pc.predict(X_test))
    bacc_plain = balanced_accuracy_score(y_test, plain.predict(X_test))
    # Bayes balanced accuracy here is Phi(1) = 0.841; plain softmax favours the majority.
    assert bacc_pc > bacc_plain + 0.05
    assert bacc_pc > 0.80


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        # (an array's NaN is read as estimate_mi reads it: tests/test_bad_input.py)
        (np.array([[np.inf, 1.0], [1.0, 2.0]]), [0, 1], ValueError, "infinity"),
        (np.empty((0, 2)), [], ValueError, "0 sample"),
        (np.ones((4, 2)), [1, 1, 1, 1], ValueError, "at least 2 classes"),
        (np.ones((4, 2)), [0, 1, 0], ValueError, "inconsistent numbers of samples"),
        (sp.csr_matrix(np.eye(4)), [0, 1, 0, 1], TypeError, "[Ss]parse"),
        (np.ones(4), [0, 1, 0, 1], ValueError, "2D array"),
        (np.ones((4, 2)), [0.5, 1.5, 2.5, 3.5], ValueError, "Unknown label type"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), [0, 1], ValueError, "convert"),
        (np.ones((4, 2)), [0.0, 1.0, np.nan, 1.0], ValueError, "NaN"),
    ],
)
def test_bad_fit_input_raises_clear_errors(X, y, error, match):
    with pytest.raises(error, match=match):
        MIClassifier(**FAST).fit(X, y)


def test_wrong_feature_count_at_predict(fitted):
    with pytest.raises(ValueError, match="features"):
        fitted.predict(np.ones((3, 4)))


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotInitializedError):
        MIClassifier().predict(np.ones((2, 2)))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"tau": -1.0}, "tau"),
        ({"tau": float("nan")}, "tau"),
        ({"test_prior": "uniform"}, "test_prior"),
        ({"test_prior": [0.5, 0.5]}, "one entry per class"),
        ({"test_prior": [1.5, -0.25, -0.25]}, "non-negative"),
        ({"test_prior": [0.2, 0.2, 0.2]}, "sum to 1"),
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
        ({"dropout": 1.0}, "dropout"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"device": "tpu9"}, "device"),
        ({"num_threads": 0}, "num_threads"),
        ({"early_stopping": True, "validation_fraction": 1.5}, "validation_fraction"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"early_stopping": "yes"}, "early_stopping"),
        ({"precision": "fp8"}, "precision"),
    ],
)
def test_bad_parameters_raise_clear_errors(data, params, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        MIClassifier(**{**FAST, **params}).fit(X, y).predict(X)


def test_early_stopping_with_too_rare_class_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.array([0] * 29 + [1])
    with pytest.raises(ValueError, match="Here 1 of 2 classes have 2 or more rows"):
        MIClassifier(early_stopping=True, **FAST).fit(X, y)


def test_explicit_early_stopping_keeps_a_class_of_one_row_in_training():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.array([0] * 30 + [1] * 29 + [2])
    clf = MIClassifier(early_stopping=True, validation_fraction=0.2, **FAST)
    train, valid = clf.fit(X, y).get_split_datasets(X.astype(np.float32), y)
    train, valid = np.asarray(train.indices), np.asarray(valid.indices)
    assert 59 in train and len(valid) == 12 and len(np.intersect1d(train, valid)) == 0
    assert len(train) + len(valid) == 60
    assert set(y[valid]) == {0, 1} and abs(np.sum(y[valid] == 0) - 6) <= 1  # stratified
    assert clf.early_stopping_ and clf.predict_proba(X).shape == (60, 3)
    # "auto" does not: it holds out every class or stops on nothing
    assert MIClassifier(**FAST).fit(X, y).early_stopping_ is False


def test_device_auto_resolves_to_cpu_without_cuda(data, monkeypatch):
    X, y = data
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    clf = MIClassifier(**FAST).fit(X, y)
    assert next(clf.module_.parameters()).device.type == "cpu"
    clf.predict(X)
    assert clf.get_params()["device"] == "auto" and clf.device == "cpu"


def test_cuda_request_loads_on_cpu_with_a_warning(fitted, data, monkeypatch, tmp_path):
    X, _ = data
    fitted.save_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    expected = fitted.predict_proba(X)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    new = MIClassifier(device="cuda")
    with pytest.warns(DeviceWarning, match="CUDA is not available"):
        new.load_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    assert new.device == "cpu"
    np.testing.assert_allclose(new.predict_proba(X), expected, atol=1e-5)


@pytest.mark.parametrize(
    "make_labels",
    [
        lambda y: y == 1,
        lambda y: pd.Series(pd.Categorical(np.array(["lo", "mid", "hi"])[y])),
        lambda y: y.astype(np.int32) * 7,
    ],
    ids=["bool", "pandas-categorical", "int32"],
)
def test_more_label_types(make_labels):
    X, y = make_classification(n_samples=150, n_classes=3, n_informative=3, random_state=0)
    labels = make_labels(y)
    clf = MIClassifier(**FAST).fit(X, labels)
    predicted = clf.predict(X)
    assert set(np.unique(predicted)) <= set(np.unique(np.asarray(labels)))
    assert clf.pointwise_mutual_info(X, labels).shape == (150,)


def test_balanced_class_weight_is_inverse_frequency_in_the_loss(data):
    X, y = data
    clf = MIClassifier(tau=0.0, class_weight="balanced", **FAST).fit(X, y)
    counts = np.bincount(y)
    expected = len(y) / (3 * counts)
    np.testing.assert_allclose(clf.class_weight_, expected)
    np.testing.assert_allclose(clf.criterion_.class_weight.cpu().numpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="class_weight"):
        MIClassifier(class_weight="inverse", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="class_weight"):
        MIClassifier(class_weight=[1.0, -1.0, 1.0], **FAST).fit(X, y)
    weighted = MIClassifier(class_weight={0: 1.0, 1: 1.0, 2: 5.0}, **FAST).fit(X, y)
    np.testing.assert_allclose(weighted.class_weight_, [1.0, 1.0, 5.0])


def test_bf16_autocast_on_the_cpu_gives_finite_float_logits(data):
    X, y = data
    clf = MIClassifier(precision="bf16", **FAST).fit(X, y)
    logits = clf.decision_function(X)
    assert logits.dtype == np.float64 and np.isfinite(logits).all()
    reference = MIClassifier(**FAST).fit(X, y)
    assert np.mean(clf.predict(X) == reference.predict(X)) > 0.9


def test_prediction_batches_are_large_unless_set(data):
    X, y = data
    clf = MIClassifier(**FAST).fit(X, y)
    assert clf.get_iterator(clf.get_dataset(X), training=False).batch_size == 4096
    assert clf.get_iterator(clf.get_dataset(X, y), training=True).batch_size == 256
    clf = MIClassifier(iterator_valid__batch_size=32, **FAST).fit(X, y)
    assert clf.get_iterator(clf.get_dataset(X), training=False).batch_size == 32


def test_deferred_loss_sync_records_the_same_history(data, monkeypatch):
    # the CUDA path (batch losses read once per epoch), forced on the CPU
    X, y = data
    reference = MIClassifier(**FAST).fit(X, y)
    monkeypatch.setattr(MIClassifier, "_defers_loss_sync", lambda self: True)
    deferred = MIClassifier(**FAST).fit(X, y)
    for key in ("train_loss", "valid_loss", "train_batch_count", "valid_batch_count"):
        np.testing.assert_allclose(deferred.history[:, key], reference.history[:, key], rtol=1e-6)
    batch_losses = deferred.history[-1, "batches", :, "train_loss"]
    assert all(isinstance(v, float) for v in batch_losses)
    np.testing.assert_allclose(batch_losses, reference.history[-1, "batches", :, "train_loss"])
    np.testing.assert_array_equal(deferred.predict_proba(X), reference.predict_proba(X))


class _ModeRecorder(torch.nn.Module):
    """A linear model that logs whether each forward pass ran in training mode."""

    def __init__(self, n_features=6, n_classes=3):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, n_classes)
        self.modes = []

    def forward(self, X):
        self.modes.append((self.training, self.linear.training, X.shape[0]))
        return self.linear(X.float())


def test_train_steps_run_in_training_mode_and_the_rest_in_eval_mode(data):
    # MIClassifier only switches modules whose mode differs (skorch switches every step)
    X, y = data
    clf = MIClassifier(
        module=_ModeRecorder,
        early_stopping=True,
        max_epochs=3,
        batch_size=64,
        random_state=0,
        num_threads=1,
    ).fit(X, y)
    modes = clf.module_.modes  # 300 rows: 270 train and 30 validate in each of 3 epochs
    assert all(top == sub for top, sub, _ in modes)
    assert sum(size for training, _, size in modes if training) == 3 * 270
    assert sum(size for training, _, size in modes if not training) == 3 * 30
    clf.module_.modes.clear()
    clf.predict(X)
    assert clf.module_.modes and not any(top or sub for top, sub, _ in clf.module_.modes)
