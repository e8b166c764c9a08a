"""independence_test: per-fold permutation p-values on held-out rows, Holm-combined."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skmi import IndependenceTest, independence_test
from skmi._independence import _within, _z_clusters, holm

LR = LogisticRegression(max_iter=1000)


def test_holm_matches_the_step_down_by_hand():
    # sorted 0.01, 0.02, 0.03, 0.5 -> 4*0.01, max(0.04, 3*0.02), max(., 2*0.03), max(., 0.5)
    adjusted = holm([0.03, 0.01, 0.5, 0.02])
    np.testing.assert_allclose(adjusted, [0.06, 0.04, 0.5, 0.06])
    assert holm([0.9, 0.8]).max() <= 1.0


def test_a_clear_signal_is_detected_at_the_smallest_p_value_and_p_is_never_0():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = (X[:, 0] > 0).astype(int)
    result = independence_test(X, y, estimator=LR, n_permutations=99, random_state=0)
    assert isinstance(result, IndependenceTest)
    assert result.p_value == pytest.approx(5 / 100)  # every fold at 1 / (1 + B), times 5
    assert np.all(result.fold_p_values == 1 / 100)
    assert result.rejects(0.05) and not result.rejects(0.04)
    assert result.null == "I(X;Y) = 0"


def test_labels_independent_of_x_give_uniform_fold_p_values():
    # 20 null data sets x 5 folds: the fold p-values are (1 + #) / (1 + B) under an exact
    # permutation null, so about a tenth fall at or below 0.1
    p_values = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(200, 2)), rng.integers(0, 2, 200)
        p_values += list(
            independence_test(
                X, y, estimator=LR, n_permutations=49, random_state=seed
            ).fold_p_values
        )
    p_values = np.asarray(p_values)
    assert 0.02 <= np.mean(p_values <= 0.1) <= 0.22
    assert 0.35 <= np.mean(p_values) <= 0.65


def test_x_screened_off_by_an_informative_z_is_not_flagged_but_extra_information_is():
    rng = np.random.default_rng(1)
    n = 1000
    Z = rng.normal(size=(n, 1))
    y = (Z[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    copy = Z + 0.3 * rng.normal(size=(n, 1))  # tells about y only through Z
    screened = independence_test(copy, y, given=Z, estimator=LR, random_state=0)
    assert screened.null == "I(X;Y|Z) = 0" and screened.conditioned_on == ("Z[0]",)
    assert screened.p_value > 0.05
    # X permuted over all rows would break X's link to Z and read as information
    extra = rng.normal(size=(n, 1))
    y2 = (Z[:, 0] + extra[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    assert independence_test(extra, y2, given=Z, estimator=LR, random_state=0).rejects()


def test_a_dataframe_with_text_and_given_column_names():
    rng = np.random.default_rng(2)
    n = 400
    z = rng.normal(size=n)
    frame = pd.DataFrame(
        {"x": z + 0.3 * rng.normal(size=n), "word": rng.choice(["a", "b"], n), "z": z}
    )
    frame.loc[::7, "x"] = np.nan
    y = (z > 0).astype(int)
    result = independence_test(frame, y, given="z", estimator=LR, n_permutations=49, random_state=0)
    assert result.conditioned_on == ("z",)
    assert 0 < result.p_value <= 1
    assert frame["x"].isna().sum() == len(range(0, n, 7))  # the input is not modified


def test_permutations_stay_within_clusters_of_z():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(100, 2))
    clusters = _z_clusters(Z, np.arange(50), np.arange(50, 100), 5, seed=0)
    assert sorted(np.concatenate(clusters)) == list(range(50))
    order = _within(clusters, np.random.default_rng(0))
    for cluster in clusters:
        assert set(order[cluster]) == set(cluster)
    one_column = _z_clusters(Z[:, :1], np.arange(50), np.arange(50, 100), 5, seed=0)
    values = Z[50:, 0]
    assert all(len(c) <= 5 for c in one_column)
    assert max(values[one_column[0]]) <= min(values[one_column[1]])  # neighbours along Z


def test_same_seed_same_p_values():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(300, 2)), rng.integers(0, 2, 300)
    first = independence_test(X, y, estimator=LR, n_permutations=29, random_state=5)
    second = independence_test(X, y, estimator=LR, n_permutations=29, random_state=5)
    np.testing.assert_array_equal(first.fold_p_values, second.fold_p_values)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_permutations": 0}, "n_permutations"),
        ({"neighbours": 1}, "neighbours"),
        ({"cv": 1}, "cv"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    X, y = np.zeros((20, 2)), np.arange(20) % 2
    with pytest.raises(ValueError, match=message):
        independence_test(X, y, **kwargs)
