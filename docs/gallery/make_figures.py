"""Builds the figures of the gallery page (docs/gallery.md).

Run: python docs/gallery/make_figures.py   (about a minute on one CPU core)
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import torch
from sklearn.datasets import load_breast_cancer

from skmi import MIClassifier, estimate_mi
from skmi.datasets import make_task
from skmi.plotting import plot_estimates, plot_learning_curve, plot_pmi

OUT = Path(__file__).parent
torch.set_num_threads(1)

# 1. per-class PMI of a real dataset
X, y = load_breast_cancer(return_X_y=True)
result = estimate_mi(X, y, random_state=0)
print("breast cancer:", result)
plot_pmi(result, units="bits").savefig(OUT / "pmi_breast_cancer.png", dpi=110)

# 2. estimates against known truths
tasks = [
    "gaussian_binary",
    "gaussian_imbalanced",
    "unequal_covariance",
    "xor",
    "multimodal",
    "independent",
]
estimates, truths = [], []
for name in tasks:
    X, y, truth = make_task(name, 3000, random_state=0)
    estimates.append(estimate_mi(X, y, random_state=0))
    truths.append(truth)
    print(f"{name}: truth {truth:.3f}, {estimates[-1]}")
plot_estimates(estimates, truths, names=tasks).savefig(OUT / "estimates_vs_truth.png", dpi=110)

# 3. held-out MI per epoch, early stopping's choice marked
X, y, _ = make_task("gaussian_imbalanced", 5000, random_state=0)
clf = MIClassifier(max_epochs=150, n_iter_no_change=40, random_state=0).fit(X, y)
plot_learning_curve(clf).savefig(OUT / "learning_curve.png", dpi=110)
print("figures written to", OUT)
