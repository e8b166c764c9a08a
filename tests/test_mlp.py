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


def test_quantile_normal_scores_match_scikit_learn_on_continuous_and_inner_tied_values():
    from sklearn.preprocessing import QuantileTransformer

    from skmi._mlp import feature_quantiles, normal_scores

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.exponential(size=3000), rng.normal(size=3000) ** 3])
    T = rng.normal(size=(400, 2)) * 3
    ours = normal_scores(torch.tensor(T), torch.tensor(feature_quantiles(X))).numpy()
    reference = QuantileTransformer(output_distribution="normal").fit(X).transform(T)
    np.testing.assert_allclose(ours, reference, atol=1e-7)
    # a discrete feature: a value repeated over quantiles reads the mean of its levels
    counts = rng.integers(0, 4, 3000).astype(float)[:, None]
    table = torch.tensor(feature_quantiles(counts))
    inner = normal_scores(torch.tensor([[1.0], [2.0]]), table).numpy()[:, 0]
    reference = QuantileTransformer(output_distribution="normal").fit(counts)
    np.testing.assert_allclose(inner, reference.transform([[1.0], [2.0]])[:, 0], atol=1e-7)
    share = np.mean(counts[:, 0] <= 1)  # level of value 1: middle of its quantiles
    assert inner[0] == pytest.approx(
        float(torch.special.ndtri(torch.tensor(share - np.mean(counts[:, 0] == 1) / 2))),
        abs=0.01,
    )
    # a constant feature reads 0; the ends are finite (clipped levels)
    flat = normal_scores(
        torch.tensor([[5.0], [-1e9], [1e9]]), torch.tensor(feature_quantiles(np.ones((50, 1))))
    )
    np.testing.assert_array_equal(flat.numpy()[:, 0], 0.0)
    ends = normal_scores(torch.tensor([[-1e9], [1e9]]), torch.tensor(feature_quantiles(X[:, :1])))
    assert np.all(np.isfinite(ends.numpy())) and ends[0, 0] < -5 < 5 < ends[1, 0]


def test_quantile_scaling_makes_the_network_blind_to_monotone_feature_maps():
    from skmi import MIClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.normal(size=600) > 1).astype(int)
    warped = np.column_stack([np.exp(X[:, 0]), X[:, 1] ** 3, 10 * X[:, 2] + 3])
    params = dict(input_scaling="quantile", max_epochs=5, random_state=0, num_threads=1)
    plain = MIClassifier(**params).fit(X, y)
    bent = MIClassifier(**params).fit(warped, y)
    np.testing.assert_allclose(plain.predict_proba(X), bent.predict_proba(warped), atol=1e-4)
    standard = MIClassifier(input_scaling="standard", max_epochs=5, random_state=0, num_threads=1)
    moved = standard.fit(X, y).predict_proba(X) - standard.fit(warped, y).predict_proba(warped)
    assert np.abs(moved).max() > 0.01  # the standard scaling is not blind to them


def test_quantile_scaling_is_saved_and_loaded_with_the_network(tmp_path):
    from skmi import MIClassifier

    rng = np.random.default_rng(1)
    X = rng.lognormal(size=(300, 4))
    y = (X[:, 0] > 1).astype(int)
    clf = MIClassifier(input_scaling="quantile", max_epochs=3, random_state=0).fit(X, y)
    clf.save_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    loaded = MIClassifier(input_scaling="quantile", classes=clf.classes_)
    loaded.load_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    with pytest.raises(ValueError, match="input_scaling='quantile'"):
        MIClassifier(input_scaling="standard", classes=clf.classes_).load_params(
            f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt"
        )
    with pytest.raises(ValueError, match="input_scaling must be"):
        MIClassifier(input_scaling="robust").fit(X, y)


def test_periodic_embeddings_leave_columns_of_few_values_as_they_are(tmp_path):
    pytest.importorskip("rtdl_num_embeddings")
    from skmi import MIClassifier
    from skmi._mlp import embedding_columns

    rng = np.random.default_rng(0)
    X = np.column_stack(
        [
            rng.normal(size=400),
            rng.integers(0, 2, 400),
            rng.exponential(size=400),
            rng.integers(0, 16, 400),  # an ordinal code of 16 values: passed through
        ]
    )
    y = (X[:, 0] + X[:, 1] > 0.5).astype(int)
    assert embedding_columns(X).tolist() == [0, 2]
    assert embedding_columns(np.column_stack([X, rng.integers(0, 17, 400)])).tolist() == [0, 2, 4]
    assert embedding_columns(X[:, [0, 2]]) is None  # every column is embedded
    assert embedding_columns(X[:, [1, 3]]).tolist() == []  # none is (issue 23)
    clf = MIClassifier(n_members=1, num_embeddings="periodic", max_epochs=2, random_state=0)
    clf.fit(X, y)
    first = clf.module_.hidden[0]
    assert first.in_features == 2 * 16 + 2  # two embedded columns, two passed through
    assert clf.module_.passed_features.tolist() == [1, 3]
    clf.save_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    loaded = MIClassifier(n_members=1, num_embeddings="periodic", classes=clf.classes_)
    loaded.load_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    ensemble = MIClassifier(n_members=2, num_embeddings="periodic", max_epochs=1).fit(X, y)
    assert ensemble.module_.weights[0].shape[-1] == 2 * 16 + 2


def test_a_table_of_binary_columns_is_not_embedded(tmp_path):
    # 0.2.0 embedded every column when none had more than 16 values (issue 23)
    pytest.importorskip("rtdl_num_embeddings")
    from skmi import MIClassifier

    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(300, 5)).astype(float)
    y = (X[:, 0] + X[:, 1] + rng.integers(0, 2, 300) > 1).astype(int)
    clf = MIClassifier(
        n_members=1, num_embeddings="periodic", max_epochs=2, random_state=0, num_threads=1
    ).fit(X, y)
    assert clf.module_.embeddings is None
    assert clf.module_.hidden[0].in_features == 5  # the columns as they are
    assert clf.module_.passed_features.tolist() == [0, 1, 2, 3, 4]
    clf.save_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    loaded = MIClassifier(n_members=1, num_embeddings="periodic", classes=clf.classes_)
    loaded.load_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    ensemble = MIClassifier(
        num_embeddings="periodic", max_epochs=1, random_state=0, num_threads=1
    ).fit(X, y)
    assert ensemble.module_.embeddings is None
    assert ensemble.module_.weights[0].shape[-1] == 5


def test_padding_knots_and_the_scores_dtype():
    # mutation testing (issue 23): ordinary pads are value + k * max(|value|, 1), and the
    # scores come back in X's dtype whatever the table's
    from skmi._mlp import _after, feature_quantiles, normal_scores

    np.testing.assert_array_equal(_after(np.float32(0.5), 2), np.float32([0.5, 1.5, 2.5]))
    np.testing.assert_array_equal(_after(np.float32(-4.0), 2), np.float32([-4.0, 0.0, 4.0]))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    table = torch.as_tensor(feature_quantiles(X), dtype=torch.float32)
    assert normal_scores(torch.as_tensor(X), table).dtype == torch.float64
    assert normal_scores(torch.as_tensor(X, dtype=torch.float32), table).dtype == torch.float32
