"""estimate_mi's default candidates: the fast normal-score transform and the
transforms the candidates of one split share (skmi._candidates, skmi._crossfit)."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.preprocessing import QuantileTransformer

from skmi import _crossfit, estimate_mi
from skmi._candidates import _NormalScores
from skmi.datasets import make_task


def _awkward_table(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 7))
    X[:, 1] = np.round(X[:, 1])  # ties among the quantiles
    X[:, 2] = rng.integers(0, 3, n)  # three values: ties at the extreme quantiles
    X[:, 3] = np.exp(3 * X[:, 3])  # heavy tail
    X[::13, 4] = np.nan
    X[:, 5] = 1.0  # constant
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fit", [3000, 40])  # 40 rows: fewer than the 1,000 quantiles
def test_normal_scores_equal_scikit_learns_transform_exactly(dtype, n_fit):
    X = _awkward_table(3000, dtype)
    unseen = _awkward_table(500, dtype, seed=1) * 2  # outside the fitted range too
    unseen[:4, 2] = [0, 1, 2, -1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n_quantiles > rows
        theirs = QuantileTransformer(output_distribution="normal", random_state=0)
        theirs.fit(X[:n_fit])
    ours = _NormalScores(output_distribution="normal", random_state=0).fit(X[:n_fit])
    for Z in (X, unseen):
        expected = theirs.transform(Z)
        got = ours.transform(Z)
        assert got.dtype == expected.dtype == dtype
        np.testing.assert_array_equal(got, expected)  # bit for bit, NaN where NaN
        assert not np.shares_memory(got, Z)
    np.testing.assert_array_equal(ours.inverse_transform(got), theirs.inverse_transform(got))


def test_candidates_of_a_split_share_their_quantile_transform(monkeypatch):
    # the default candidates start with the same quantile transform: sharing it must
    # leave the estimate exactly as it is and transform fewer rows
    X, y, _ = make_task("xor", 400, random_state=0)
    transformed_rows = []
    original = _NormalScores.transform

    def counted(self, Z):
        transformed_rows.append(len(Z))
        return original(self, Z)

    monkeypatch.setattr(_NormalScores, "transform", counted)
    shared = estimate_mi(X, y, random_state=0)
    rows_shared, transformed_rows[:] = sum(transformed_rows), []
    monkeypatch.setattr(_crossfit, "shared_steps", lambda model: 0)
    alone = estimate_mi(X, y, random_state=0)
    rows_alone = sum(transformed_rows)
    assert shared.mi == alone.mi and shared.ci == alone.ci
    np.testing.assert_array_equal(shared.pmi, alone.pmi)
    assert shared.weights == alone.weights
    # 5 of the 7 default candidates on small data start with the transform
    assert rows_shared < 0.5 * rows_alone


def test_normal_scores_check_their_device():
    X = _awkward_table(50, np.float64)
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu' or 'cuda'"):
        _NormalScores(device="gpu").fit(X)
    ours = _NormalScores(output_distribution="normal", device="cpu").fit(X)
    assert ours._device_for(X).type == "cpu"
    assert _NormalScores(device="auto")._device_for(X).type == "cpu"  # 350 values: the CPU


def test_the_cuda_transform_stays_off_until_a_gpu_run_verified_it(monkeypatch):
    from skmi import _graphs
    from skmi._warnings import UnverifiedCUDAWarning

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    big = np.zeros((2**14, 64))  # 2^20 values: large enough for the GPU
    assert _graphs.GPU_EVIDENCE is None  # no stored GPU run yet (docs/gpu-check/)
    assert _NormalScores(device="auto")._device_for(big).type == "cpu"
    with pytest.warns(UnverifiedCUDAWarning, match="not yet passed scripts/gpu_check.sh"):
        assert _NormalScores(device="cuda")._device_for(big).type == "cuda"
    monkeypatch.setattr(_graphs, "GPU_EVIDENCE", "a GPU: docs/gpu-check/")
    assert _NormalScores(device="auto")._device_for(big).type == "cuda"
    assert _NormalScores(device="auto")._device_for(big[:10]).type == "cpu"


def test_sharing_keeps_user_pipelines_with_more_steps_as_they_are(monkeypatch):
    # pipelines that start with the same transform and go on differently (a resampler,
    # another scaler) share only the transform: the estimate is the unshared one
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = make_task("gaussian_imbalanced", 1200, random_state=1)

    def scores():
        return _NormalScores(output_distribution="normal", random_state=3)

    candidates = [
        make_imblearn_pipeline(scores(), RandomOverSampler(random_state=0), LogisticRegression()),
        make_pipeline(scores(), StandardScaler(), LogisticRegression(C=0.1)),
        make_pipeline(_NormalScores(output_distribution="uniform"), LogisticRegression()),
    ]
    shared = estimate_mi(X, y, estimator=candidates, random_state=0)
    monkeypatch.setattr(_crossfit, "shared_steps", lambda model: 0)
    alone = estimate_mi(X, y, estimator=candidates, random_state=0)
    assert shared.mi == alone.mi and shared.weights == alone.weights
    np.testing.assert_array_equal(shared.pmi, alone.pmi)


def test_normal_scores_leave_other_outputs_to_scikit_learn():
    # mutation testing (issue 23): only the normal output takes the torch search
    X = _awkward_table(2000, np.float64)
    ours = _NormalScores(output_distribution="uniform", random_state=0).fit(X)
    theirs = QuantileTransformer(output_distribution="uniform", random_state=0).fit(X)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
