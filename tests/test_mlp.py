import numpy as np
import pytest
import torch

from skmi._mlp import MLP, auto_hidden_layer_sizes, feature_standardisation


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standardisation_matches_numpy_across_blocks(dtype):
    # 20,001 rows span three accumulation blocks; the offset punishes naive sums of squares
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(20_001, 5)) * [1.0, 10.0, 0.1, 3.0, 1.0] + 1e4).astype(dtype)
    X[:, 4] = 7.0  # a constant column
    original = X.copy()
    mean, scale = feature_standardisation(X)
    reference_scale = X.std(axis=0, dtype=np.float64)
    np.testing.assert_allclose(mean, X.mean(axis=0, dtype=np.float64), rtol=1e-12)
    np.testing.assert_allclose(scale[:4], reference_scale[:4], rtol=1e-9)
    assert scale[4] == 1.0  # not a division by zero
    np.testing.assert_array_equal(X, original)


def test_standardisation_of_one_row():
    mean, scale = feature_standardisation(np.array([[1.0, -2.0]]))
    np.testing.assert_array_equal(mean, [1.0, -2.0])
    np.testing.assert_array_equal(scale, [1.0, 1.0])


def test_auto_width_is_clipped():
    assert auto_hidden_layer_sizes(2, 2) == (64, 64)
    assert auto_hidden_layer_sizes(30, 10) == (160, 160)
    assert auto_hidden_layer_sizes(500, 10) == (256, 256)


def test_cpu_inference_does_not_depend_on_the_other_rows_in_the_batch():
    torch.manual_seed(0)
    module = MLP(7, 3, (32, 32)).eval()
    X = torch.randn(1000, 7)
    with torch.no_grad():
        whole = module(X)
        pieces = torch.cat([module(X[:1]), module(X[1:300]), module(X[300:])])
    assert torch.equal(whole, pieces)
