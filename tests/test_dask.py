"""Grid searches and cross-validation of MIClassifier/MIScorer on a Dask cluster, through
joblib's Dask backend (a LocalCluster with 2 worker processes stands in for a real one)."""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from skmi import MIClassifier, MIScorer

from ._tasks import gaussian_task

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture(scope="module")
def task():
    return gaussian_task(900, priors=(0.7, 0.3), separation=1.5, n_features=3)


def test_cross_val_score_on_dask_matches_local_run(client, task):
    X, y, _ = task
    clf = MIClassifier(max_epochs=15, random_state=0, num_threads=1)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    local = cross_val_score(clf, X, y, scoring=MIScorer(), cv=cv)
    with parallel_config(backend="dask"):
        remote = cross_val_score(clf, X, y, scoring=MIScorer(), cv=cv, n_jobs=-1)
    # same seeds, same CPU kernels: the workers reproduce the local folds
    np.testing.assert_allclose(remote, local, rtol=1e-6)
    workers = client.run(lambda: "ok")
    assert len(workers) == 2


def test_grid_search_on_dask_picks_the_same_model(client, task):
    X, y, _ = task

    def search(**kwargs):
        return GridSearchCV(
            MIClassifier(max_epochs=10, random_state=0, num_threads=1),
            {"lr": [1e-3, 1e-2], "tau": [0.0, 1.0]},
            scoring={"mi": MIScorer(), "bacc": "balanced_accuracy"},
            refit="mi",
            cv=3,
            **kwargs,
        )

    with parallel_config(backend="dask"):
        remote = search(n_jobs=-1).fit(X, y)
    local = search().fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_mi"], local.cv_results_["mean_test_mi"], rtol=1e-6
    )


def test_feature_information_on_dask_matches_local_run(client):
    # issue 25: the features are read with joblib, so a Dask cluster can take them
    from sklearn.linear_model import LogisticRegression

    from skmi import feature_information

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=600) > 0).astype(int)
    kwargs = {"estimator": LogisticRegression(), "random_state": 0}
    local = feature_information(X, y, **kwargs).to_frame()
    with parallel_config(backend="dask"):
        remote = feature_information(X, y, n_jobs=-1, **kwargs).to_frame()
    np.testing.assert_allclose(remote[["alone", "unique"]], local[["alone", "unique"]], rtol=1e-9)
    assert remote.feature.tolist() == local.feature.tolist()


def test_estimate_mi_splits_on_dask_read_as_the_local_call(client, task):
    from sklearn.linear_model import LogisticRegression

    from skmi import estimate_mi

    X, y, _ = task
    candidates = [LogisticRegression(), MIClassifier(max_epochs=10, n_members=1)]
    kwargs = {"estimator": candidates, "cv": 3, "n_repeats": 1, "random_state": 0}
    local = estimate_mi(X, y, **kwargs)
    with parallel_config(backend="dask"):
        remote = estimate_mi(X, y, **kwargs, n_jobs=-1)
    assert remote.mi == pytest.approx(local.mi, abs=1e-9)
    assert remote.ci == pytest.approx(local.ci, abs=1e-9)
