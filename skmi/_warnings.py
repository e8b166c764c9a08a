"""What estimate_mi warns about."""

from __future__ import annotations


class EstimateWarning(UserWarning):
    """What estimate_mi warns about: overfitting, classes smaller than the folds, a
    candidate left out. A UserWarning, so filters on UserWarning still catch it."""


class SmallClassWarning(EstimateWarning):
    """A class has fewer samples than folds (front ends add how to change the folds)."""


class LeakWarning(EstimateWarning):
    """A column that is the label, alone determines it, or is a row number or an
    identifier: the estimate would read it as information about the label."""


class NonFiniteLossWarning(UserWarning):
    """A fit's loss became NaN or infinite; the weights of the last epoch whose losses
    were finite were restored and training stopped there."""


class NonFiniteLossError(ValueError):
    """A fit's loss was NaN or infinite before any epoch finished with finite losses:
    there are no trained weights to return. A ValueError, so estimate_mi leaves such a
    candidate out as it does any candidate that cannot be fitted."""


class UnverifiedCUDAWarning(UserWarning):
    """A CUDA path that has not yet passed ``scripts/gpu_check.sh`` on a real GPU (CUDA
    graphs, the CUDA quantile transform) was asked for explicitly."""


class GraphFallbackWarning(RuntimeWarning):
    """A step replayed from a CUDA graph failed its check (a loss or weight that is not
    finite, or a loss far above the eager warm-up steps'): the step was undone, run
    eagerly, and the fit goes on eagerly."""
