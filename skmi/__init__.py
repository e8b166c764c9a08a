"""skmi: a neural-network classifier that doubles as a mutual-information estimator."""

from skmi import metrics
from skmi._classifier import MIClassifier
from skmi._loss import PCSoftmaxLoss
from skmi._scorer import MIScorer

__version__ = "0.1.0"

__all__ = ["MIClassifier", "MIScorer", "PCSoftmaxLoss", "metrics", "__version__"]
