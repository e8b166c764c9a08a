"""What estimate_mi warns about."""

from __future__ import annotations


class EstimateWarning(UserWarning):
    """What estimate_mi warns about: overfitting, classes smaller than the folds, a
    candidate left out. A UserWarning, so filters on UserWarning still catch it."""


class SmallClassWarning(EstimateWarning):
    """A class has fewer samples than folds (front ends add how to change the folds)."""


class NonFiniteLossWarning(UserWarning):
    """A fit's loss became NaN or infinite; the weights of the last epoch whose losses
    were finite were restored and training stopped there."""


class NonFiniteLossError(ValueError):
    """A fit's loss was NaN or infinite before any epoch finished with finite losses:
    there are no trained weights to return. A ValueError, so estimate_mi leaves such a
    candidate out as it does any candidate that cannot be fitted."""
