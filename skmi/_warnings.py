"""What estimate_mi warns about."""

from __future__ import annotations


class EstimateWarning(UserWarning):
    """What estimate_mi warns about: overfitting, classes smaller than the folds, a
    candidate left out. A UserWarning, so filters on UserWarning still catch it."""


class SmallClassWarning(EstimateWarning):
    """A class has fewer samples than folds (front ends add how to change the folds)."""
