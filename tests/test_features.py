"""feature_information (issue 25): each feature alone and beyond the others."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from skmi import MIFeatureSelector, feature_information

CANDIDATES = [LogisticRegression(), HistGradientBoostingClassifier(max_iter=100)]


def _xor_with_noise(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    x, z, noise = rng.normal(size=(3, n))
    y = ((x > 0) ^ (z > 0)).astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    return pd.DataFrame({"x": x, "z": z, "noise": noise}), y


def test_an_xor_pair_reads_nothing_alone_and_everything_together():
    frame, y = _xor_with_noise()
    info = feature_information(frame, y, estimator=CANDIDATES, random_state=0)
    table = info.to_frame().set_index("feature")
    for half in ("x", "z"):
        assert table.loc[half, "alone"] < 0.05
        assert table.loc[half, "unique"] > 0.2  # truth 0.3681
    assert table.loc["noise", "alone"] < 0.05 and table.loc["noise", "unique"] < 0.05
    assert list(info.to_frame().feature[:2]) in (["x", "z"], ["z", "x"])  # sorted by unique
    for name in info.names:
        for result in (info.alone[name], info.unique[name]):
            assert 0 <= result.ci[0] <= result.mi <= result.ci[1] <= np.log(2)
    assert info.unique["x"].conditioned_on == ("z", "noise")


def test_redundant_copies_read_high_alone_and_little_unique():
    rng = np.random.default_rng(1)
    n = 1500
    y = rng.integers(0, 2, n)
    w = np.where(y == 1, 1.0, -1.0) + rng.normal(size=n)
    X = np.column_stack([w, w + 0.05 * rng.normal(size=n)])
    info = feature_information(X, y, estimator=CANDIDATES, random_state=0)
    for name in ("x0", "x1"):
        assert info.alone[name].mi > 0.25
        assert info.unique[name].mi < 0.05


def test_groups_of_columns_are_read_together():
    frame, y = _xor_with_noise(n=800)
    info = feature_information(
        frame, y, groups={"pair": ["x", "z"], "rest": "noise"}, estimator=CANDIDATES
    )
    assert info.names == ["pair", "rest"]
    assert info.alone["pair"].mi > 0.2 and info.alone["rest"].mi < 0.05
    with pytest.raises(ValueError, match="which X does not have"):
        feature_information(frame, y, groups={"a": ["w"]}, estimator=CANDIDATES)
    with pytest.raises(ValueError, match="at least 2 features"):
        feature_information(frame[["x"]], y, estimator=CANDIDATES)


def _selection_task(n=1500, seed=0):
    """x, z: an XOR pair (only jointly informative); w and its copy: redundant; two noise
    columns. The informative set is {x, z} and one of {w, w_copy}."""
    rng = np.random.default_rng(seed)
    x, z, noise1, noise2 = rng.normal(size=(4, n))
    xor = (x > 0) ^ (z > 0)
    w = rng.normal(size=n)
    y = (xor.astype(int) + (w > 0.5).astype(int) >= 1).astype(int)
    frame = pd.DataFrame(
        {
            "x": x,
            "noise1": noise1,
            "w": w,
            "z": z,
            "w_copy": w + 0.02 * rng.normal(size=n),
            "noise2": noise2,
        }
    )
    return frame, y


def test_the_selector_finds_an_interaction_pair_and_keeps_one_of_two_copies(monkeypatch):
    from skmi._features import _PairedReadings

    sets_read = []
    read = _PairedReadings.__call__

    def counted(self, column_sets, **kwargs):
        sets_read.extend(column_sets)
        return read(self, column_sets, **kwargs)

    monkeypatch.setattr(_PairedReadings, "__call__", counted)
    frame, y = _selection_task()
    selector = MIFeatureSelector(estimator=CANDIDATES, random_state=0).fit(frame, y)
    # ranked once; the rest of that ranking's order read as one chain of drops (4 sets),
    # the third losing information: ranked again (6 + 4 + 3 readings; ranking at every
    # step would read 6 + 5 + 4 + 3)
    assert [s["ranked"] for s in selector.mi_path_] == [True, False, False, True]
    assert len(sets_read) == 13
    kept = set(selector.get_feature_names_out())
    assert {"x", "z"} <= kept and len(kept & {"w", "w_copy"}) == 1 and len(kept) == 3
    assert selector.transform(frame).columns.tolist() == [c for c in frame if c in kept]
    steps = selector.mi_path_
    assert [s["stopped"] for s in steps] == [False, False, False, True]
    assert all(s["change_ci"][0] == 0 for s in steps[:-1]) and steps[-1]["change_ci"][0] > 0
    # what all the drops lost together, against all the features: nothing clear until
    # the step not taken
    assert all(s["lost_ci"][0] == 0 for s in steps[:-1]) and steps[-1]["lost_ci"][0] > 0
    assert steps[-1]["lost"] >= steps[-1]["change"] - 0.05
    assert 0 <= selector.mi_.mi <= selector.mi_.entropy


def test_the_selector_works_in_a_pipeline_and_a_search():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 1] + 0.5 * rng.normal(size=400) > 0).astype(int)
    pipe = make_pipeline(
        MIFeatureSelector(estimator=LogisticRegression(), random_state=0), LogisticRegression()
    )
    search = GridSearchCV(pipe, {"mifeatureselector__n_features_to_select": [1, 2]}, cv=3)
    search.fit(X, y)
    selector = search.best_estimator_[0]
    assert (
        selector.get_support().sum()
        == search.best_params_["mifeatureselector__n_features_to_select"]
    )
    assert selector.get_support()[1]  # the informative column survives either way
    with pytest.raises(ValueError, match="n_features_to_select must be"):
        MIFeatureSelector(n_features_to_select=0).fit(X, y)


def _options(**changes) -> dict:
    """`skmi._estimate._estimate_many`'s options: one repetition, extrapolated."""
    options = {
        "estimator": None,
        "cv": 5,
        "n_repeats": 1,
        "extrapolate": True,
        "confidence": 0.95,
        "verbose": 0,
        "batch_networks": "auto",
        "groups": None,
        "sample_weight": None,
    }
    return {**options, **changes}


def _network_and_linear(n_samples):
    from skmi import default_estimators

    network, linear = default_estimators(random_state=0, n_samples=n_samples)[:2]
    return [network, linear]


def test_readings_trained_in_one_stack_equal_readings_trained_alone():
    # the networks of several column sets train as one batched network (one stack per
    # width); each set's reading is what its own call gives
    from skmi._estimate import _estimate_many

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
    options = _options(estimator=_network_and_linear(400), batch_networks=True)
    sets = [[0, 1, 2], [0, 2, 3], [1]]
    parts = [X[:, cols] for cols in sets]
    together = _estimate_many(parts, y, [np.random.RandomState(7) for _ in sets], **options)
    for part, reading in zip(parts, together, strict=True):
        alone = _estimate_many([part], y, [np.random.RandomState(7)], **options)[0]
        assert reading.result.mi == pytest.approx(alone.result.mi, abs=1e-6)
        # float32 sums in stacks of another size: equal up to rounding
        np.testing.assert_allclose(reading.result.pmi, alone.result.pmi, atol=1e-4)
    assert together[0].result.mi > 0.3 > 0.05 > together[1].result.mi  # the pair matters


def test_column_sets_of_an_array_train_their_networks_in_one_stack(monkeypatch):
    # the network reads a column set with the other columns set to 0 (one shape for
    # every set); the other candidates read the columns themselves
    import skmi._together
    from skmi._estimate import _estimate_many

    stacks = []
    train = skmi._together.train_members

    def counted(members, **kwargs):
        stacks.append(len(members))
        return train(members, **kwargs)

    monkeypatch.setattr(skmi._together, "train_members", counted)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
    options = _options(batch_networks=True)
    del options["estimator"]
    sets = [[0, 1, 2], [1], [0, 1], [2, 3]]
    readings = _estimate_many(
        [X] * 4,
        y,
        [np.random.RandomState(7) for _ in sets],
        estimator=_network_and_linear(400),
        columns=sets,
        **options,
    )
    assert stacks == [4 * 5 * 2]  # 4 sets x 5 folds x 2 sizes, one stack
    pair, half_of_it, pair_only, noise = (r.result.mi for r in readings)
    assert pair > 0.3 and pair_only > 0.3 and half_of_it < 0.05 and noise < 0.05
    # the linear model reads exactly the columns themselves
    linear = [LogisticRegression(max_iter=2000, random_state=1)]
    masked = _estimate_many(
        [X], y, [np.random.RandomState(7)], estimator=linear, columns=[[0, 2]], **options
    )[0]
    plain = _estimate_many(
        [X[:, [0, 2]]], y, [np.random.RandomState(7)], estimator=linear, **options
    )[0]
    assert masked.result.mi == pytest.approx(plain.result.mi, abs=1e-12)


def test_a_reading_summarised_again_with_fewer_candidates_pairs_with_one_that_fitted_them():
    from skmi._estimate import _estimate_many, resummarised

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    options = _options(estimator=_network_and_linear(320), cv=4)
    both = _estimate_many([X], y, [np.random.RandomState(3)], **options)[0]
    linear_only = _estimate_many([X], y, [np.random.RandomState(3)], keep=[1], **options)[0]
    again = resummarised(both, [1], extrapolate=True, confidence=0.95)
    assert list(again.weights) == ["prior", "LogisticRegression"]
    assert again.mi == pytest.approx(linear_only.result.mi, abs=1e-9)
    assert again.ci == pytest.approx(linear_only.result.ci, abs=1e-9)
    assert again.mi != pytest.approx(both.result.mi, abs=1e-6)  # the mixture did change


def test_with_the_default_candidates_later_readings_fit_the_network_and_the_weighted_ones():
    from skmi._features import _PairedReadings

    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=600) > 0).astype(int)
    read = _PairedReadings(X, y, ["a", "b", "c"], 0, None, 5, True, 0.95, "auto")
    first, _ = read.first([0, 1, 2])
    later = read([[0, 1]])[0]
    assert "MIClassifier" in first.weights and "MIClassifier" in later.weights
    assert set(later.weights) == set(first.weights)  # the same candidates, paired
    assert 1 < len(read.keep) < 7  # some of the 7 defaults carried no weight: not refitted
    assert len(first.weights) == len(read.keep) + 1  # and the prior
    assert first.mi > 0.2


def test_an_array_with_empty_cells_is_read_as_a_table():
    frame, y = _xor_with_noise(n=800)
    X = frame.to_numpy(copy=True)
    X[::6, 2] = np.nan
    as_array = feature_information(X, y, estimator=CANDIDATES, random_state=0).to_frame()
    as_table = feature_information(
        pd.DataFrame(X, columns=["x0", "x1", "x2"]), y, estimator=CANDIDATES, random_state=0
    ).to_frame()
    pd.testing.assert_frame_equal(as_array, as_table)
    assert set(as_array.feature) == {"x0", "x1", "x2"}
    assert as_array.set_index("feature").loc["x0", "unique"] > 0.2
    selector = MIFeatureSelector(CANDIDATES, n_features_to_select=2, random_state=0).fit(X, y)
    assert list(selector.get_feature_names_out()) == ["x0", "x1"]
    np.testing.assert_array_equal(selector.transform(X), X[:, :2])
