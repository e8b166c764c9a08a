"""The one rule for a training budget: optimiser steps per epoch, and epochs for steps.

MIClassifier's ``max_epochs="auto"``, estimate_mi's early-stopping patience and the
benchmarks' step caps all convert between epochs and optimiser steps; they do it here,
with the split that early stopping really makes (skorch's stratified ValidSplit holds
out ``ceil(validation_fraction * n)`` rows).
"""

from __future__ import annotations

import math


def training_rows(n_samples: int, validation_fraction: float = 0.0) -> int:
    """Rows left for training after a validation split of ``validation_fraction``."""
    held_out = math.ceil(validation_fraction * n_samples) if validation_fraction else 0
    return max(1, n_samples - held_out)


def steps_per_epoch(n_samples: int, batch_size: int, validation_fraction: float = 0.0) -> int:
    """Optimiser steps in one epoch over ``n_samples`` rows (``batch_size=-1``: one)."""
    rows = training_rows(n_samples, validation_fraction)
    batch = rows if batch_size == -1 else batch_size
    return max(1, math.ceil(rows / batch))


def epochs_for_steps(
    steps: float, per_epoch: int, *, min_epochs: int, max_epochs: int, rounding=round
) -> int:
    """About ``steps`` optimiser steps as whole epochs, within the epoch bounds."""
    return int(min(max_epochs, max(min_epochs, rounding(steps / per_epoch))))
