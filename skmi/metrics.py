"""Metrics that read mutual information off a classifier's predictions.

In the spirit of :func:`sklearn.metrics.mutual_info_score`, but for the information that
the *features* carry about the label: labels and predictions in, ``I(X; Y)`` out.
"""

from skmi._metrics import (
    mutual_info_from_logits,
    mutual_info_from_proba,
    pointwise_mutual_info,
)

__all__ = ["mutual_info_from_logits", "mutual_info_from_proba", "pointwise_mutual_info"]
