"""Joint k-nearest-neighbour MI estimator for continuous X and discrete y (Ross 2014).

B. C. Ross, "Mutual Information between Discrete and Continuous Data Sets", PLoS ONE
9(2): e87357, 2014. scikit-learn implements the same estimator for one feature at a time
(``sklearn.feature_selection._mutual_info._compute_mi_cd``); this is the multivariate
version, used as a peer baseline in the benchmark.
"""

import numpy as np
from scipy.special import digamma
from sklearn.neighbors import KDTree, NearestNeighbors
from sklearn.preprocessing import StandardScaler


def knn_mutual_info(X, y, n_neighbors: int = 3) -> float:
    """I(X; Y) in nats: psi(N) - <psi(N_y)> + psi(k) - <psi(m)>, max-norm distances.

    Features are standardised first (kNN distances depend on scale). Classes with a
    single sample are dropped, as in scikit-learn.
    """
    X = StandardScaler().fit_transform(np.asarray(X, dtype=float))
    y = np.asarray(y)
    n = len(y)
    radius = np.empty(n)
    label_counts = np.empty(n)
    keep = np.ones(n, dtype=bool)
    for label in np.unique(y):
        mask = y == label
        count = int(mask.sum())
        if count < 2:
            keep[mask] = False
            continue
        k = min(n_neighbors, count - 1)
        nn = NearestNeighbors(n_neighbors=k, metric="chebyshev").fit(X[mask])
        distances, _ = nn.kneighbors()
        radius[mask] = np.nextafter(distances[:, -1], 0)
        label_counts[mask] = count
    X, radius, label_counts = X[keep], radius[keep], label_counts[keep]
    n = len(X)
    tree = KDTree(X, metric="chebyshev")
    # the count includes the point itself, as in scikit-learn's implementation
    m = tree.query_radius(X, radius, count_only=True, return_distance=False)
    k = np.minimum(n_neighbors, label_counts - 1)
    value = digamma(n) + np.mean(digamma(k)) - np.mean(digamma(label_counts)) - np.mean(digamma(m))
    return float(max(value, 0.0))
