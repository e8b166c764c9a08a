import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skmi import MIClassifier, estimate_mi
from skmi.datasets import make_task
from skmi.plotting import plot_estimates, plot_learning_curve, plot_pmi


@pytest.fixture(scope="module")
def result():
    X, y, truth = make_task("gaussian_imbalanced", 600, random_state=0)
    return estimate_mi(X, y, estimator=LogisticRegression(), cv=3, random_state=0), truth


def test_plot_pmi_draws_one_violin_per_class_and_the_ci(result):
    estimate, _ = result
    fig = plot_pmi(estimate)
    ax = fig.axes[0]
    assert len(ax.get_xticklabels()) == len(estimate.labels)
    mi_line = [line for line in ax.lines if np.allclose(line.get_ydata(), estimate.mi)]
    assert mi_line, "the estimate is drawn as a horizontal line"
    bits = plot_pmi(estimate, units="bits").axes[0]
    assert any(np.allclose(line.get_ydata(), estimate.mi_bits) for line in bits.lines)


def test_violins_stay_below_each_class_ceiling_which_is_drawn(result):
    estimate, _ = result
    ax = plot_pmi(estimate).axes[0]
    prior = np.bincount(estimate.y_index) / len(estimate.y_index)
    ceilings = -np.log(prior)
    marks = [c for c in ax.collections if c.get_label() == "ceiling -log π_y"]
    assert len(marks) == 1
    drawn = sorted(segment[0][1] for segment in marks[0].get_segments())
    np.testing.assert_allclose(drawn, sorted(ceilings))
    bodies = [c for c in ax.collections if c.get_label() != "ceiling -log π_y"][: len(prior)]
    for k, body in enumerate(bodies):
        top = body.get_paths()[0].vertices[:, 1].max()
        assert top <= ceilings[k] + 1e-9
    assert "extrapolated" in ax.get_legend_handles_labels()[1][-2] or not estimate.extrapolated


def test_point_labels_do_not_overlap(result):
    estimate, truth = result
    fig = plot_estimates(
        [estimate] * 4,
        [truth, truth + 1e-3, truth + 2e-3, truth + 3e-3],
        names=["first task", "second task", "third task", "fourth task"],
    )
    renderer = fig.canvas.get_renderer()
    boxes = [text.get_window_extent(renderer) for text in fig.axes[0].texts]
    assert len(boxes) == 4
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[i + 1 :])


def test_plot_estimates_counts_covering_intervals(result):
    estimate, truth = result
    fig = plot_estimates([estimate, estimate], [truth, truth + 10], names=["ok", "far"])
    assert fig.axes[0].get_title() == "1 of 2 intervals cover the truth"
    with pytest.raises(ValueError, match="2 estimates but 1 truths"):
        plot_estimates([estimate, estimate], [truth])


def test_learning_curve_reads_h_minus_loss():
    X, y, _ = make_task("gaussian_binary", 1000, random_state=0)
    clf = MIClassifier(max_epochs=20, random_state=0, num_threads=1).fit(X, y)
    ax = plot_learning_curve(clf).axes[0]
    prior = clf.class_prior_
    entropy = -(prior * np.log(prior)).sum()
    valid = next(line for line in ax.lines if line.get_label() == "held-out split")
    np.testing.assert_allclose(valid.get_ydata(), entropy - np.array(clf.history[:, "valid_loss"]))
    with pytest.raises(ValueError, match="tau=1"):
        plot_learning_curve(MIClassifier(tau=0, max_epochs=2, num_threads=1).fit(X, y))


def test_units_are_checked(result):
    with pytest.raises(ValueError, match="units"):
        plot_pmi(result[0], units="hartleys")
