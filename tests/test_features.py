"""feature_information (issue 25): each feature alone and beyond the others."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from skmi import feature_information

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


def test_the_selector_finds_an_interaction_pair_and_keeps_one_of_two_copies():
    from skmi import MIFeatureSelector

    frame, y = _selection_task()
    selector = MIFeatureSelector(estimator=CANDIDATES, random_state=0).fit(frame, y)
    kept = set(selector.get_feature_names_out())
    assert {"x", "z"} <= kept and len(kept & {"w", "w_copy"}) == 1 and len(kept) == 3
    assert selector.transform(frame).columns.tolist() == [c for c in frame if c in kept]
    steps = selector.mi_path_
    assert [s["stopped"] for s in steps] == [False, False, False, True]
    assert all(s["change_ci"][0] == 0 for s in steps[:-1]) and steps[-1]["change_ci"][0] > 0
    assert 0 <= selector.mi_.mi <= selector.mi_.entropy


def test_the_selector_works_in_a_pipeline_and_a_search():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from skmi import MIFeatureSelector

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
