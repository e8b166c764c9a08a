"""The thread policy (skmi._threads): one thread per native pool inside every entry point,
the caller's settings back afterwards (also after an error), processes for parallelism."""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from skorch.callbacks import Callback
from threadpoolctl import threadpool_info, threadpool_limits

import skmi
from skmi import MIClassifier, MIFeatureSelector, MIScorer, estimate_mi, feature_information
from skmi._cli import main as cli_main
from skmi._threads import limited_threads, parallel


def _pools() -> dict:
    """Every native pool's thread count, and torch's."""
    counts = {f"{i['user_api']}:{i['filepath']}": i["num_threads"] for i in threadpool_info()}
    counts["torch"] = torch.get_num_threads()
    return counts


class _Recorder(ClassifierMixin, BaseEstimator):
    """A logistic regression that records the pools' thread counts when it is fitted."""

    seen: list = []  # noqa: RUF012 (shared on purpose: clones record into one list)

    def fit(self, X, y):
        type(self).seen.append(_pools())
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        type(self).seen.append(_pools())
        return self.model_.predict_proba(X)


class _EpochRecorder(Callback):
    def __init__(self):
        self.seen = []

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(_pools())


@pytest.fixture
def caller_threads():
    """The caller runs with 2 threads everywhere (the pools' default on 2 cores), so that
    a limit to 1 inside a call and its restoration are both visible."""
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    with threadpool_limits(limits=2):
        before = _pools()
        yield before
    torch.set_num_threads(previous)


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _all_one(records) -> bool:
    return bool(records) and all(set(r.values()) == {1} for r in records)


def test_estimate_mi_runs_candidates_on_one_thread_and_restores(caller_threads):
    _Recorder.seen = []
    X, y = _data()
    estimate_mi(X, y, estimator=[_Recorder()], cv=3, extrapolate=False, random_state=0)
    assert _all_one(_Recorder.seen), _Recorder.seen[:1]
    assert _pools() == caller_threads


def test_classifier_fit_and_predict_run_on_one_thread_and_restore(caller_threads):
    X, y = _data()
    recorder = _EpochRecorder()
    net = MIClassifier(max_epochs=2, callbacks=[recorder], random_state=0).fit(X, y)
    assert _all_one(recorder.seen), recorder.seen[:1]
    assert _pools() == caller_threads
    net.predict_proba(X)
    assert _pools() == caller_threads


def test_explicit_num_threads_sets_torch_and_none_leaves_every_pool(caller_threads):
    X, y = _data()
    recorder = _EpochRecorder()
    MIClassifier(max_epochs=1, num_threads=3, callbacks=[recorder], random_state=0).fit(X, y)
    assert {r["torch"] for r in recorder.seen} == {3}
    # torch's own OpenMP runtime follows torch's count; every other pool is limited
    others = {v for r in recorder.seen for k, v in r.items() if "torch" not in k}
    assert others == {1}
    untouched = _EpochRecorder()
    MIClassifier(max_epochs=1, num_threads=None, callbacks=[untouched], random_state=0).fit(X, y)
    assert untouched.seen and all(r == caller_threads for r in untouched.seen)
    assert _pools() == caller_threads


def test_settings_are_restored_after_an_error(caller_threads):
    X, _ = _data()
    with pytest.raises(ValueError):
        estimate_mi(X, np.zeros(len(X)), random_state=0)  # one class
    assert _pools() == caller_threads
    with pytest.raises(ValueError):
        MIClassifier(max_epochs=1).fit(X, np.zeros(len(X)))
    assert _pools() == caller_threads


def test_other_entry_points_run_on_one_thread(caller_threads):
    X, y = _data(150)
    _Recorder.seen = []
    feature_information(X, y, estimator=_Recorder(), cv=3, extrapolate=False, random_state=0)
    assert _all_one(_Recorder.seen)
    _Recorder.seen = []
    MIFeatureSelector(estimator=_Recorder(), cv=3, random_state=0).fit(X, y)
    assert _all_one(_Recorder.seen)
    _Recorder.seen = []
    skmi.independence_test(X, y, estimator=_Recorder(), cv=3, n_permutations=9, random_state=0)
    assert _all_one(_Recorder.seen)
    _Recorder.seen = []
    model = _Recorder().fit(X, y)
    _Recorder.seen = []
    MIScorer()(model, X, y)
    assert _all_one(_Recorder.seen)
    assert _pools() == caller_threads


def test_a_callers_lower_torch_limit_is_kept():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with limited_threads("auto"):
            assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(previous)


def test_nested_entry_points_keep_the_limits(caller_threads):
    X, y = _data()
    with limited_threads():
        MIClassifier(max_epochs=1, random_state=0).fit(X, y)
        assert set(_pools().values()) == {1}  # the inner call did not restore 2
    assert _pools() == caller_threads


def _pools_in_task(_):
    return _pools()


def test_parallel_tasks_run_on_one_thread_in_their_worker():
    seen = parallel(_pools_in_task, [(0,), (1,)], n_jobs=2)
    assert _all_one(seen)


def test_cross_val_score_with_scorer_restores(caller_threads):
    X, y = _data()
    scores = cross_val_score(
        MIClassifier(max_epochs=2, random_state=0), X, y, cv=2, scoring=MIScorer()
    )
    assert np.all(np.isfinite(scores))
    assert _pools() == caller_threads


def test_cli_runs_on_one_thread_and_restores(tmp_path, caller_threads, capsys):
    pd = pytest.importorskip("pandas")
    X, y = _data(150)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=y)
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    assert cli_main(["estimate", str(path), "--target", "label", "--quiet", "--seed", "0"]) == 0
    assert "I(X;Y)" in capsys.readouterr().out
    assert _pools() == caller_threads


def test_n_jobs_gives_the_same_reading():
    from skmi.datasets import make_task

    X, y, _ = make_task("gaussian_binary", 240, random_state=1)
    one = estimate_mi(X, y, cv=3, n_repeats=1, random_state=0)
    two = estimate_mi(X, y, cv=3, n_repeats=1, random_state=0, n_jobs=2)
    assert two.mi == pytest.approx(one.mi, abs=1e-9)
    assert two.ci == pytest.approx(one.ci, abs=1e-9)
    assert two.weights.keys() == one.weights.keys()


def test_independence_test_n_jobs_gives_the_same_p_value():
    X, y = _data(150)
    kwargs = {"estimator": LogisticRegression(), "cv": 3, "n_permutations": 19, "random_state": 0}
    one = skmi.independence_test(X, y, **kwargs)
    two = skmi.independence_test(X, y, **kwargs, n_jobs=2)
    assert two.p_value == one.p_value
    np.testing.assert_allclose(two.statistics, one.statistics)
