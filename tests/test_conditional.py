"""I(X; Y | Z) (issue 25): the known-truth tasks and estimate_mi(X, y, given=Z)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from skmi import estimate_mi
from skmi._conditional_tasks import gaussian_pair_mi
from skmi.datasets import CONDITIONAL_TASKS, make_conditional_task


def _monte_carlo_pair_mi(separation, n=400_000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = np.where(y == 1, separation / 2, -separation / 2) + rng.normal(size=n)
    log_odds = separation * x  # log p(y=1|x) / p(y=0|x)
    p1 = 1 / (1 + np.exp(-log_odds))
    p_true = np.where(y == 1, p1, 1 - p1)
    return float(np.mean(np.log(p_true / 0.5)))


@pytest.mark.parametrize("separation", [0.5, 2.0, 4.0])
def test_the_quadrature_truth_agrees_with_monte_carlo(separation):
    assert gaussian_pair_mi(separation) == pytest.approx(_monte_carlo_pair_mi(separation), abs=3e-3)
    assert gaussian_pair_mi(0.0) == 0.0


def test_each_task_draws_what_it_says():
    for name in CONDITIONAL_TASKS:
        X, Z, y, truth = make_conditional_task(name, 300, random_state=1)
        assert len(X) == len(Z) == len(y) == 300 and truth >= 0
        again = make_conditional_task(name, 300, random_state=1)
        np.testing.assert_array_equal(again[0], X)
    assert make_conditional_task("screened_off", 10, random_state=0)[3] == 0.0
    assert make_conditional_task("xor_given", 10, random_state=0)[3] == pytest.approx(
        0.3681, abs=1e-4
    )
    with pytest.raises(ValueError, match="unknown task"):
        make_conditional_task("nope")


CANDIDATES = [LogisticRegression(), HistGradientBoostingClassifier(max_iter=100)]


@pytest.mark.parametrize("name", ["xor_given", "screened_off", "irrelevant_given"])
def test_conditional_estimates_cover_the_truth_and_respect_the_bounds(name):
    X, Z, y, truth = make_conditional_task(name, 2000, random_state=0)
    result = estimate_mi(X, y, given=Z, estimator=CANDIDATES, random_state=0)
    assert result.conditioned_on and result.given_mi >= 0
    assert 0 <= result.ci[0] <= result.mi <= result.ci[1] <= np.log(2)
    assert result.mi <= result.entropy - result.given_mi + 1e-12
    assert result.ci[0] - 0.01 <= truth <= result.ci[1] + 0.01
    assert abs(result.mi - truth) < 0.05
    assert np.all(result.fold_mi >= 0)
    assert all(v >= 0 for v in result.per_class.values())
    assert sum(result.per_class.values()) == pytest.approx(result.mi)


def test_the_paired_interval_is_narrower_than_two_independent_ones():
    X, Z, y, _ = make_conditional_task("noisy_copy", 2000, random_state=0)
    kwargs = {"estimator": CANDIDATES, "random_state": 0}
    paired = estimate_mi(X, y, given=Z, **kwargs)
    joint = estimate_mi(np.hstack([X, Z]), y, **kwargs)
    alone = estimate_mi(Z, y, **kwargs)
    # a user with two intervals can only subtract them: [low_j - high_z, high_j - low_z]
    independent = (joint.ci[1] - joint.ci[0]) + (alone.ci[1] - alone.ci[0])
    assert paired.ci[1] - paired.ci[0] < 0.5 * independent
    # both terms run from one seed drawn from random_state: with that seed, each is the
    # estimate estimate_mi gives on its own columns (the same folds, rows and seeds)
    seed = np.random.RandomState(0).randint(2**31 - 1)
    joint_seeded = estimate_mi(np.hstack([X, Z]), y, estimator=CANDIDATES, random_state=seed)
    alone_seeded = estimate_mi(Z, y, estimator=CANDIDATES, random_state=seed)
    assert paired.given_mi == alone_seeded.mi
    np.testing.assert_allclose(
        paired.pointwise, joint_seeded.pointwise - alone_seeded.pointwise, rtol=0, atol=1e-12
    )


def test_given_may_name_columns_of_a_dataframe():
    X, Z, y, _ = make_conditional_task("xor_given", 600, random_state=0)
    frame = pd.DataFrame({"x": X[:, 0], "z": Z[:, 0], "colour": np.where(y, "a", "b")[::-1]})
    by_name = estimate_mi(frame, y, given="z", estimator=CANDIDATES, random_state=0)
    assert by_name.conditioned_on == ("z",)
    with pytest.raises(ValueError, match="that X does not have"):
        estimate_mi(frame, y, given=["w"], estimator=CANDIDATES)
    with pytest.raises(ValueError, match="every column"):
        estimate_mi(frame[["z"]], y, given="z", estimator=CANDIDATES)
    with pytest.raises(ValueError, match="given has 5 rows but X has 600"):
        estimate_mi(X, y, given=Z[:5], estimator=CANDIDATES)
    with pytest.raises(TypeError, match="only when X is a DataFrame"):
        estimate_mi(X, y, given="z", estimator=CANDIDATES)


def test_an_array_with_empty_cells_is_read_as_a_table_with_those_cells():
    X, Z, y, _ = make_conditional_task("noisy_copy", 600, random_state=0)
    X, Z = X.copy(), Z.copy()
    X[::7, 0] = np.nan
    Z[::5, 0] = np.nan
    original = X.copy()
    as_array = estimate_mi(X, y, given=Z, estimator=CANDIDATES, random_state=0)
    as_table = estimate_mi(
        pd.DataFrame(X).add_prefix("x"),
        y,
        given=pd.DataFrame(Z, columns=["Z[0]"]),
        estimator=CANDIDATES,
        random_state=0,
    )
    assert as_array.mi == as_table.mi and as_array.ci == as_table.ci
    assert 0 <= as_array.ci[0] <= as_array.mi <= as_array.ci[1] <= np.log(2)
    alone = estimate_mi(X, y, estimator=CANDIDATES, random_state=0)
    assert (
        alone.mi
        == estimate_mi(pd.DataFrame(X).add_prefix("x"), y, estimator=CANDIDATES, random_state=0).mi
    )
    np.testing.assert_array_equal(X, original)  # nothing the user passed is modified
    X[0, 0] = np.inf  # an infinite cell is not an empty one: still refused
    with pytest.raises(ValueError, match="infinity"):
        estimate_mi(X, y, estimator=CANDIDATES)


def test_a_named_series_given_is_one_column_of_that_name():
    X, Z, y, _ = make_conditional_task("screened_off", 400, random_state=0)
    named = estimate_mi(
        X, y, given=pd.Series(Z[:, 0], name="z"), estimator=CANDIDATES, random_state=0
    )
    framed = estimate_mi(
        X, y, given=pd.DataFrame({"z": Z[:, 0]}), estimator=CANDIDATES, random_state=0
    )
    assert named.conditioned_on == ("z",) and named.mi == framed.mi
    unnamed = estimate_mi(X, y, given=pd.Series(Z[:, 0]), estimator=CANDIDATES, random_state=0)
    assert unnamed.conditioned_on == ("Z[0]",)
