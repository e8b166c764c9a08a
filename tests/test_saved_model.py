"""A model saved by skmi 0.1.0 (tests/data, written by make_saved_model.py) still loads and
predicts the same, pickled and through skorch's save_params/load_params."""

import pickle
from pathlib import Path

import numpy as np
import pytest

from skmi import MIClassifier, MIScorer
from skmi._classifier import SINGLE_NETWORK

DATA = Path(__file__).parent / "data"
VERSIONS = sorted(
    p.name[len("miclassifier-") : -len(".pkl")] for p in DATA.glob("miclassifier-*.pkl")
)


def fixture_data():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_saved_model", DATA / "make_saved_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fixture_data()


@pytest.mark.parametrize("version", VERSIONS)
def test_pickled_model_predicts_as_when_saved(version):
    X, y = fixture_data()
    expected = np.load(DATA / f"miclassifier-{version}-expected.npz")
    with open(DATA / f"miclassifier-{version}.pkl", "rb") as f:
        clf = pickle.load(f)
    np.testing.assert_array_equal(clf.classes_, expected["classes"])
    np.testing.assert_allclose(clf.predict_proba(X), expected["proba"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(clf.decision_function(X), expected["logits"], rtol=1e-6, atol=1e-6)
    assert np.isfinite(MIScorer()(clf, X, y))


@pytest.mark.parametrize("version", VERSIONS)
def test_saved_params_load_into_a_new_model(version):
    X, _ = fixture_data()
    expected = np.load(DATA / f"miclassifier-{version}-expected.npz")
    clf = MIClassifier(classes=expected["classes"], device="cpu", num_threads=1, **SINGLE_NETWORK)
    clf.load_params(
        f_params=DATA / f"miclassifier-{version}-params.pt",
        f_criterion=DATA / f"miclassifier-{version}-criterion.pt",
    )
    np.testing.assert_allclose(clf.predict_proba(X), expected["proba"], rtol=1e-6, atol=1e-7)


def test_there_is_a_fixture_for_at_least_one_version():
    assert "0.1.0" in VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_a_model_pickled_before_new_parameters_trains_on(version):
    # parameters added since (tol, max_steps) get their defaults when unpickled
    X, y = fixture_data()
    with open(DATA / f"miclassifier-{version}.pkl", "rb") as f:
        clf = pickle.load(f)
    params = clf.get_params()
    assert params["max_steps"] is None and params["tol"] == MIClassifier().tol
    clf.set_params(max_epochs=1).partial_fit(X, y)
    assert np.isfinite(MIScorer()(clf, X, y))


@pytest.mark.parametrize("version", VERSIONS)
def test_loaded_params_train_on_with_partial_fit(version):
    X, y = fixture_data()
    expected = np.load(DATA / f"miclassifier-{version}-expected.npz")
    clf = MIClassifier(
        classes=expected["classes"], device="cpu", num_threads=1, max_epochs=1, **SINGLE_NETWORK
    )
    clf.load_params(
        f_params=DATA / f"miclassifier-{version}-params.pt",
        f_criterion=DATA / f"miclassifier-{version}-criterion.pt",
    )
    saved_prior = clf.class_prior_.copy()
    clf.partial_fit(X, y)
    batch = np.bincount(np.searchsorted(clf.classes_, y), minlength=len(saved_prior)) / len(y)
    np.testing.assert_allclose(clf.class_prior_, (saved_prior + batch) / 2)
