"""Metrics that read mutual information off a classifier's predictions.

In the spirit of [`sklearn.metrics.mutual_info_score`](https://scikit-learn.org/stable/modules/generated/sklearn.metrics.mutual_info_score.html), but for the information that
the *features* carry about the label: labels and predictions in, ``I(X; Y)`` out.
"""

from skmi._metrics import (
    mutual_info_from_logits,
    mutual_info_from_proba,
    pointwise_mutual_info,
)

__all__ = ["mutual_info_from_logits", "mutual_info_from_proba", "pointwise_mutual_info"]
