"""skmi: a neural-network classifier that doubles as a mutual-information estimator."""

from skmi import datasets, exceptions, metrics
from skmi._classifier import MIClassifier
from skmi._estimate import MIEstimate, default_estimators, estimate_mi
from skmi._features import FeatureInformation, MIFeatureSelector, feature_information
from skmi._independence import IndependenceTest, independence_test
from skmi._loss import PCSoftmaxLoss
from skmi._scorer import MIScorer

__version__ = "0.2.0"

__all__ = [
    "FeatureInformation",
    "IndependenceTest",
    "MIClassifier",
    "MIEstimate",
    "MIFeatureSelector",
    "MIScorer",
    "PCSoftmaxLoss",
    "datasets",
    "default_estimators",
    "estimate_mi",
    "exceptions",
    "feature_information",
    "independence_test",
    "metrics",
    "__version__",
]
