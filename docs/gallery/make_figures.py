"""Builds the figures of the gallery page (docs/gallery.md).

Run: python docs/gallery/make_figures.py   (about a minute on one CPU core)
Prints the numbers the gallery quotes and stores them in docs/gallery/make_figures.txt.
"""

import platform
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import torch
from sklearn.datasets import load_breast_cancer

import skmi
from skmi import MIClassifier, estimate_mi
from skmi.datasets import make_task
from skmi.plotting import plot_estimates, plot_learning_curve, plot_pmi

OUT = Path(__file__).parent
torch.set_num_threads(1)
LOG = []


def say(*parts) -> None:
    """Print, and keep for make_figures.txt (the stored output the gallery quotes)."""
    line = " ".join(str(p) for p in parts)
    print(line)
    LOG.append(line)


say("python docs/gallery/make_figures.py")
say(
    f"Python {platform.python_version()}, torch {torch.__version__} (1 thread), "
    f"skmi {skmi.__version__}; {platform.machine()}"
)

# 1. per-class PMI of a real dataset
X, y = load_breast_cancer(return_X_y=True)
result = estimate_mi(X, y, random_state=0)
say("breast cancer:", result)
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
    say(f"{name}: truth {truth:.3f}, {estimates[-1]}")
plot_estimates(estimates, truths, names=tasks).savefig(OUT / "estimates_vs_truth.png", dpi=110)

# 3. held-out MI per epoch, early stopping's choice marked
X, y, _ = make_task("gaussian_imbalanced", 5000, random_state=0)
clf = MIClassifier(max_epochs=150, n_iter_no_change=40, random_state=0).fit(X, y)
plot_learning_curve(clf).savefig(OUT / "learning_curve.png", dpi=110)
best = int(clf.history[:, "valid_loss"].index(min(clf.history[:, "valid_loss"]))) + 1
say(f"learning curve: {len(clf.history)} epochs, best epoch {best}, default network")
(OUT / "make_figures.txt").write_text("\n".join(LOG) + "\n")
print("figures and make_figures.txt written to", OUT, file=sys.stderr)
