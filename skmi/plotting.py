"""Figures for MI estimates and MIClassifier training (needs matplotlib: ``skmi[plot]``).

- [`plot_pmi`][skmi.plotting.plot_pmi]: the distribution of out-of-fold pointwise MI per class, with the
  estimate and its confidence interval;
- [`plot_estimates`][skmi.plotting.plot_estimates]: estimates with their intervals against known truths;
- [`plot_learning_curve`][skmi.plotting.plot_learning_curve]: held-out (and training) MI of an MIClassifier per epoch;
- [`plot_feature_information`][skmi.plotting.plot_feature_information]: each feature's information alone and its unique information.

Each function draws on ``ax`` when given, else on a new figure, and returns the figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from skmi._validation import check_units

__all__ = ["plot_estimates", "plot_feature_information", "plot_learning_curve", "plot_pmi"]


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def plot_pmi(result, *, ax=None, units: str = "nats"):
    """Per-class distributions of the out-of-fold pointwise MI, and the estimate.

    Parameters
    ----------
    result : MIEstimate
        What [`skmi.estimate_mi`][skmi.estimate_mi] returned.
    ax : matplotlib Axes, optional
    units : {"nats", "bits"}, default="nats"

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import estimate_mi
    >>> from skmi.datasets import make_task
    >>> from skmi.plotting import plot_pmi
    >>> X, y, _ = make_task("gaussian_binary", 500, random_state=0)
    >>> result = estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    >>> fig = plot_pmi(result)
    >>> len(fig.axes)
    1
    """
    scale = check_units(units)
    fig, ax = _axes(ax, (max(4.5, 1.1 * len(result.labels) + 2.5), 3.6))
    groups = [result.pmi[result.y_index == k] * scale for k in range(len(result.labels))]
    positions = np.arange(len(groups))
    parts = ax.violinplot(groups, positions=positions, showmedians=True, widths=0.8)
    for body in parts["bodies"]:
        body.set_alpha(0.45)
    means = [g.mean() for g in groups]
    ax.scatter(positions, means, color="black", zorder=3, s=18, label="class mean PMI")
    low, high = (v * scale for v in result.ci)
    ax.axhspan(
        low, high, color="tab:red", alpha=0.15, label=f"{result.confidence:.0%} CI of I(X;Y)"
    )
    reading = "extrapolated estimate" if result.extrapolated else "estimate"
    ax.axhline(
        result.mi * scale,
        color="tab:red",
        lw=1.5,
        label=f"I(X;Y) {reading} = {result.mi * scale:.3f}",
    )
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    # each class's pointwise MI is at most -log pi_y (q(y|x) <= 1): mark the ceilings
    prior = np.bincount(result.y_index, minlength=len(groups)) / len(result.y_index)
    ceilings = -np.log(prior) * scale
    ax.hlines(
        ceilings,
        positions - 0.4,
        positions + 0.4,
        colors="black",
        lw=1,
        ls="--",
        label="ceiling -log π_y",
    )
    # a few confidently wrong samples have PMI far below zero; show the bulk (1-99 %)
    values = np.concatenate(groups)
    bottom = min(np.percentile(values, 1), low, 0.0)
    top = max(np.percentile(values, 99), high, float(np.max(ceilings)))
    pad = 0.08 * (top - bottom + 1e-9)
    ax.set_ylim(bottom - pad, top + pad)
    ax.set_xticks(positions)
    ax.set_xticklabels([str(label) for label in result.labels], rotation=20)
    ax.set_xlabel("class")
    ax.set_ylabel(f"plain out-of-fold pointwise MI ({units}), 1-99 %")
    ax.set_title(
        f"I(X;Y) = {result.mi * scale:.3f} [{low:.3f}, {high:.3f}] {units}; "
        f"H(Y) = {result.entropy * scale:.3f}",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot_estimates(
    estimates: Sequence,
    truths: Sequence[float],
    *,
    names: Sequence[str] | None = None,
    ax=None,
    units: str = "nats",
):
    """Estimates with their confidence intervals against the true values.

    Parameters
    ----------
    estimates : sequence of MIEstimate
    truths : sequence of float
        The true I(X;Y) of each, in nats.
    names : sequence of str, optional
        Labels for the points.
    ax : matplotlib Axes, optional
    units : {"nats", "bits"}, default="nats"

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import estimate_mi
    >>> from skmi.datasets import make_task
    >>> from skmi.plotting import plot_estimates
    >>> runs = [make_task(name, 400, random_state=0) for name in ("xor", "gaussian_binary")]
    >>> results = [estimate_mi(X, y, estimator=LogisticRegression(), random_state=0)
    ...            for X, y, _ in runs]
    >>> fig = plot_estimates(results, [mi for _, _, mi in runs], names=["xor", "gaussian"])
    >>> [text.get_text() for text in fig.axes[0].texts]
    ['xor', 'gaussian']
    """
    if len(estimates) != len(truths):
        raise ValueError(f"got {len(estimates)} estimates but {len(truths)} truths")
    scale = check_units(units)
    fig, ax = _axes(ax, (4.2, 4.0))
    truth = np.asarray(truths, dtype=float) * scale
    mi = np.array([e.mi for e in estimates]) * scale
    ci = np.array([e.ci for e in estimates]) * scale
    err = np.abs(ci.T - mi)
    covered = (ci[:, 0] <= truth) & (truth <= ci[:, 1])
    ax.errorbar(truth, mi, yerr=err, fmt="o", ms=4, capsize=2, color="tab:blue", zorder=3)
    ax.scatter(truth[~covered], mi[~covered], color="tab:red", zorder=4, s=20, label="CI misses")
    top = max(truth.max(initial=0), ci.max(initial=0)) * 1.05 + 1e-9
    ax.plot([0, top], [0, top], color="grey", lw=1, ls="--", label="estimate = truth")
    ax.set_xlabel(f"true I(X;Y) ({units})")
    ax.set_ylabel(f"estimate ({units})")
    ax.set_title(f"{covered.sum()} of {len(covered)} intervals cover the truth", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    if names is not None:
        bars = [(x, lo, hi) for x, (lo, hi) in zip(truth, ci, strict=True)]
        _label_points(ax, list(zip(truth, mi, strict=True)), [str(n) for n in names], bars)
    return fig


# Where a point's label may go (points right/left, above/below), nearest first.
_LABEL_OFFSETS = [
    (4, 3),
    (4, -9),
    (-4, 3),
    (-4, -9),
    (4, 11),
    (4, -17),
    (-4, 11),
    (-4, -17),
    (8, 19),
    (8, -25),
    (-8, 19),
    (-8, -25),
]


def _label_points(ax, points, names, bars=()) -> None:
    """Label each point at the first offset whose text stays inside the axes and meets
    no label placed before, no point and no error bar (tasks with similar truths and
    estimates put their points, and labels, together)."""
    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    to_pixels = ax.transData.transform
    frame = ax.get_window_extent(renderer)
    obstacles = []
    for x, y in points:
        px, py = to_pixels((x, y))
        obstacles.append(Bbox.from_extents(px - 3, py - 3, px + 3, py + 3))
    for x, low, high in bars:
        (px, p_low), (_, p_high) = to_pixels([(x, low), (x, high)])
        obstacles.append(Bbox.from_extents(px - 1, p_low, px + 1, p_high))
    placed = []
    for (x, y), name in zip(points, names, strict=False):
        for dx, dy in _LABEL_OFFSETS:
            text = ax.annotate(
                name,
                (x, y),
                fontsize=6,
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else "right",
            )
            box = text.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1
            inside = inside and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(o) for o in placed + obstacles):
                break
            if (dx, dy) != _LABEL_OFFSETS[-1]:
                text.remove()  # the last offset stays even if it overlaps: every point is named
        placed.append(box)


def plot_learning_curve(clf, *, ax=None, units: str = "nats"):
    """Held-out and training MI of a fitted MIClassifier at every epoch.

    Read from the training history: MI = H(Y) - loss, where the loss is the PC-softmax
    cross-entropy and H(Y) the entropy of the training prior. Held-out values need a
    validation split (``early_stopping`` on, the default when possible). Only meaningful
    for ``tau=1`` without class weights, where the loss is the cross-entropy of q(y|x).
    The training curve is read with dropout active, so it sits below a clean reading.

    Parameters
    ----------
    clf : MIClassifier
        Fitted.
    ax : matplotlib Axes, optional
    units : {"nats", "bits"}, default="nats"

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmi import MIClassifier
    >>> from skmi.datasets import make_task
    >>> from skmi.plotting import plot_learning_curve
    >>> X, y, _ = make_task("gaussian_binary", 600, random_state=0)
    >>> clf = MIClassifier(max_epochs=10, random_state=0, num_threads=1).fit(X, y)
    >>> fig = plot_learning_curve(clf)
    >>> len(fig.axes[0].lines) >= 2  # held-out and training MI
    True
    """
    if not hasattr(clf, "class_prior_"):
        raise ValueError("plot_learning_curve needs a fitted MIClassifier.")
    if clf.tau != 1 or getattr(clf, "class_weight_", None) is not None:
        raise ValueError(
            "the loss is the cross-entropy of q(y|x) only for tau=1 without class weights; "
            f"got tau={clf.tau!r}, class_weight={clf.class_weight!r}."
        )
    scale = check_units(units)
    prior = np.asarray(clf.class_prior_, dtype=float)
    entropy = float(-(prior * np.log(prior)).sum())
    epochs = np.arange(1, len(clf.history) + 1)
    fig, ax = _axes(ax, (4.8, 3.4))
    train = entropy - np.asarray(clf.history[:, "train_loss"], dtype=float)
    ax.plot(epochs, train * scale, label="training batches (with dropout)", color="tab:grey")
    if "valid_loss" in clf.history[-1]:
        valid = entropy - np.asarray(clf.history[:, "valid_loss"], dtype=float)
        ax.plot(epochs, valid * scale, label="held-out split", color="tab:blue")
        best = int(np.argmax(valid))
        ax.scatter([epochs[best]], [valid[best] * scale], color="tab:blue", zorder=3)
        ax.annotate(
            f"best {valid[best] * scale:.3f}",
            (epochs[best], valid[best] * scale),
            fontsize=7,
            xytext=(4, -10),
            textcoords="offset points",
        )
    ax.axhline(entropy * scale, color="grey", lw=0.8, ls=":", label="H(Y)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"MI = H(Y) - loss ({units})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_feature_information(info, *, ax=None, units: str = "nats"):
    """Each feature's information alone and its unique information, as sorted bars with
    their confidence intervals.

    Parameters
    ----------
    info : FeatureInformation
        From [`feature_information`][skmi.feature_information].
    ax : matplotlib Axes, optional
    units : {"nats", "bits"}, default="nats"

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmi import feature_information
    >>> from skmi.datasets import make_conditional_task
    >>> from skmi.plotting import plot_feature_information
    >>> X, Z, y, _ = make_conditional_task("noisy_copy", 600, random_state=0)
    >>> info = feature_information(np.hstack([X, Z]), y, estimator=LogisticRegression(),
    ...                            random_state=0)
    >>> fig = plot_feature_information(info)
    >>> len(fig.axes[0].patches)  # two bars a feature
    4
    """
    scale = check_units(units)
    frame = info.to_frame()
    fig, ax = _axes(ax, (5.2, 0.5 + 0.45 * len(frame)))
    rows = np.arange(len(frame))[::-1]  # the most unique information at the top
    height = 0.38
    for offset, kind, colour in (
        (height / 2, "alone", "tab:grey"),
        (-height / 2, "unique", "tab:blue"),
    ):
        values = frame[kind].to_numpy() * scale
        errors = np.vstack(
            [
                values - frame[f"{kind}_low"].to_numpy() * scale,
                frame[f"{kind}_high"].to_numpy() * scale - values,
            ]
        )
        ax.barh(
            rows + offset,
            values,
            height=height,
            xerr=np.clip(errors, 0, None),
            color=colour,
            label=f"{kind}: I(X_j;Y)" if kind == "alone" else "unique: I(X_j;Y | others)",
            error_kw={"lw": 0.8, "capsize": 2},
        )
    ax.set_yticks(rows, frame["feature"])
    ax.set_xlabel(f"information about the label ({units})")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
