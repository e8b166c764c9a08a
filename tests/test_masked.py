"""The masked reader (skmi._masked): every column set read from one cross-fitting."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from skmi import MIFeatureSelector, feature_information
from skmi._masked import (
    MASK_ALL_BUT_ONE,
    MASK_FULL,
    MASK_ONE,
    atoms_of,
    draw_masks,
    network_inputs,
    one_more_hidden,
)


def _xor_with_noise(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    x, z, noise = rng.normal(size=(3, n))
    y = ((x > 0) ^ (z > 0)).astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    return pd.DataFrame({"x": x, "z": z, "noise": noise}), y


def test_atoms_are_the_finest_partition_the_groups_are_unions_of():
    assert atoms_of(3, None) == [[0], [1], [2]]
    groups = {"a": [0, 1], "b": [1, 2], "c": [4]}
    # 0: a only; 1: a and b; 2: b only; 3: in no group; 4: c
    assert atoms_of(5, groups) == [[0], [1], [2], [3], [4]]
    assert atoms_of(5, {"a": [0, 3], "b": [1]}) == [[0, 3], [1], [2, 4]]


def test_the_mask_distribution_shows_all_all_but_one_one_or_a_uniform_size():
    generator = torch.Generator().manual_seed(0)
    n_atoms, n_rows = 10, 200_000
    visible = draw_masks(n_rows, n_atoms, generator)
    sizes = visible.sum(1).numpy()
    uniform = 1 - MASK_FULL - MASK_ALL_BUT_ONE - MASK_ONE
    # a size of the uniform part has probability 1 / (n_atoms + 1)
    expected = {
        n_atoms: MASK_FULL + uniform / (n_atoms + 1),
        n_atoms - 1: MASK_ALL_BUT_ONE + uniform / (n_atoms + 1),
        1: MASK_ONE + uniform / (n_atoms + 1),
        5: uniform / (n_atoms + 1),
        0: uniform / (n_atoms + 1),
    }
    for size, share in expected.items():
        assert np.mean(sizes == size) == pytest.approx(share, abs=0.005)
    # every atom alike
    assert np.allclose(visible.float().mean(0).numpy(), visible.float().mean().item(), atol=0.01)
    again = draw_masks(n_rows, n_atoms, torch.Generator().manual_seed(0))
    assert torch.equal(visible, again)


def test_one_more_hidden_hides_one_visible_atom_and_nothing_else():
    generator = torch.Generator().manual_seed(1)
    visible = draw_masks(5000, 7, generator)
    fewer = one_more_hidden(visible, generator)
    shown = visible.sum(1)
    assert torch.equal(fewer.sum(1), (shown - 1).clamp(min=0))
    assert not torch.any(fewer & ~visible)  # nothing hidden is shown


def test_network_inputs_hide_the_cells_of_hidden_atoms_and_append_the_mask():
    X = torch.arange(1.0, 7.0).view(2, 3)
    visible = torch.tensor([[True, False], [False, True]])
    inputs = network_inputs(X, visible, torch.tensor([0, 0, 1]))  # columns 0, 1 are atom 0
    assert inputs.tolist() == [[1, 2, 0, 1, 0], [0, 0, 6, 0, 1]]


def test_a_masked_reading_finds_an_xor_pair_and_reads_noise_as_nothing():
    frame, y = _xor_with_noise()
    info = feature_information(frame, y, random_state=0, reader="masked")
    assert set(info.total.weights) == {
        "prior",
        "masked network",
        "masked HistGradientBoostingClassifier",
        "masked LogisticRegression",
        "LinearDiscriminantAnalysis (marginalised)",
    }
    for half in ("x", "z"):
        assert info.alone[half].mi < 0.05
        assert info.unique[half].mi > 0.2  # truth 0.3681
    assert info.alone["noise"].ci[0] == 0 and info.unique["noise"].ci[0] == 0
    for name in info.names:
        for result in (info.alone[name], info.unique[name]):
            assert 0 <= result.ci[0] <= result.mi <= result.ci[1] <= np.log(2)
            assert result.mi <= result.entropy
    # "auto" with the default candidates is the masked reader, reproducibly
    again = feature_information(frame, y, random_state=0)
    assert again.unique["x"].mi == info.unique["x"].mi
    assert again.total.ci == info.total.ci


def test_masked_and_refitted_readings_share_folds_and_read_alike():
    from skmi._features import _MaskedReadings, _PairedReadings

    frame, y = _xor_with_noise(n=600)
    columns = list(frame.columns)
    settings = (frame, y, columns, 3, None, 5, True, 0.95)
    masked = _MaskedReadings(*settings, None)
    refit = _PairedReadings(*settings, "auto")
    masked_total, masked_splits = masked.first([0, 1, 2])
    refit_total, refit_splits = refit.first([0, 1, 2])
    for (a_train, a_test), (b_train, b_test) in zip(masked_splits, refit_splits, strict=True):
        assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)
    assert abs(masked_total.mi - refit_total.mi) < 0.1  # truth 0.3681


def test_a_table_with_text_and_empty_cells_is_masked_by_its_columns():
    rng = np.random.default_rng(3)
    n = 900
    colour = rng.choice(["red", "green", "blue"], n)
    y = (colour == "red").astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    amount = rng.normal(size=n)
    amount[rng.random(n) < 0.2] = np.nan
    frame = pd.DataFrame({"colour": colour, "amount": amount, "noise": rng.normal(size=n)})
    original = frame.copy()
    info = feature_information(frame, y, random_state=0, reader="masked")
    table = info.to_frame().set_index("feature")
    assert table.loc["colour", "alone"] > 0.2 and table.loc["colour", "unique"] > 0.2
    assert table.loc["amount", "unique_low"] == 0 and table.loc["noise", "unique_low"] == 0
    pd.testing.assert_frame_equal(frame, original)  # nothing the user passed is modified


def test_reader_is_checked():
    frame, y = _xor_with_noise(n=300)
    with pytest.raises(ValueError, match="reader must be one of"):
        feature_information(frame, y, reader="fast")
    with pytest.raises(ValueError, match="cannot use estimator"):
        feature_information(frame, y, estimator=LogisticRegression(), reader="masked")
    with pytest.raises(ValueError, match="reader must be one of"):
        MIFeatureSelector(reader=None).fit(frame, y)


def test_a_masked_selector_takes_its_stopping_decision_on_refitted_readings(monkeypatch):
    from skmi._masked import MaskedReader

    widths = []
    fit = MaskedReader.fit

    def counted(self):
        widths.append(len(self.atoms))
        return fit(self)

    monkeypatch.setattr(MaskedReader, "fit", counted)
    rng = np.random.default_rng(0)
    n = 1200
    X = rng.normal(size=(n, 9))
    y = (X[:, 0] + 0.7 * X[:, 1] + 0.5 * rng.normal(size=n) > 0).astype(int)
    selector = MIFeatureSelector(random_state=0).fit(X, y)
    assert selector.get_support().tolist() == [True, True] + [False] * 7
    path = selector.mi_path_
    assert path[-1]["stopped"] and path[-1]["reader"] == "refit"
    assert path[-1]["change_ci"][0] > 0
    assert all(step["reader"] == "masked" for step in path[:-1])
    # trained on the 9 columns, and again on the 2 kept ones (at most a quarter of them)
    assert widths == [9, 2]
    # the kept set's information is a refitted reading (its candidates' names)
    assert "masked network" not in selector.mi_.weights
    assert 0 < selector.mi_.mi <= selector.mi_.entropy


def test_the_marginalised_gaussians_read_a_set_as_lda_fitted_on_it():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from skmi._masked import _ClassGaussians

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 2000)
    X = rng.normal(size=(2000, 4)) + np.array([[0.0, 1, 0, 2], [1, 0, 0, 0], [0, 0, 1, -1]])[y]
    log_prior = np.log(np.bincount(y) / len(y))
    gaussians = _ClassGaussians(X, y, 3)
    for columns in ([0, 1, 2, 3], [1, 3], [2]):
        lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(X[:, columns], y)
        expected = lda.predict_proba(X[:, columns])
        read = gaussians.posterior(X, np.array(columns), log_prior)
        # the shrinkage (estimated once on every column, here on the set's) differs
        assert np.abs(read - expected).mean() < 0.005
        assert np.abs(read - expected).max() < 0.03
    assert np.allclose(
        gaussians.posterior(X, np.array([], dtype=int), log_prior), np.exp(log_prior)
    )


def test_n_jobs_fits_the_parts_in_parallel_with_the_same_result():
    frame, y = _xor_with_noise(n=500)
    threads = torch.get_num_threads()
    one = feature_information(frame, y, random_state=1, reader="masked")
    two = feature_information(frame, y, random_state=1, reader="masked", n_jobs=2)
    assert torch.get_num_threads() == threads  # the user's setting is left alone
    for name in one.names:
        assert one.unique[name].mi == pytest.approx(two.unique[name].mi, abs=1e-9)
        assert one.alone[name].ci == pytest.approx(two.alone[name].ci, abs=1e-9)
