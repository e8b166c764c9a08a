"""The warnings and errors skmi raises, to filter or catch them by class.

Examples
--------
>>> import warnings
>>> from skmi.exceptions import NonFiniteLossError, NonFiniteLossWarning
>>> issubclass(NonFiniteLossError, ValueError), issubclass(NonFiniteLossWarning, UserWarning)
(True, True)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("error", NonFiniteLossWarning)  # a restored fit fails loudly
"""

from skmi._warnings import (
    EstimateWarning,
    GraphFallbackWarning,
    LeakWarning,
    NonFiniteLossError,
    NonFiniteLossWarning,
    SmallClassWarning,
    UnverifiedCUDAWarning,
)

__all__ = [
    "EstimateWarning",
    "GraphFallbackWarning",
    "LeakWarning",
    "NonFiniteLossError",
    "NonFiniteLossWarning",
    "SmallClassWarning",
    "UnverifiedCUDAWarning",
]
