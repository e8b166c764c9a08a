"""Writes the saved-model fixture that tests/test_saved_model.py loads.

Run once per release whose format should stay loadable:
    python tests/data/make_saved_model.py
It fits a small MIClassifier on fixed data and saves it three ways (pickle, skorch
save_params files) with the predictions it made, so later versions can check that they
load it and predict the same.
"""

import pickle
from pathlib import Path

import numpy as np

import skmi
from skmi import MIClassifier

HERE = Path(__file__).parent


def fixture_data():
    rng = np.random.default_rng(12345)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = np.array(["low", "mid", "high"])[np.argmax(X[:, :3] + rng.normal(size=(300, 3)), axis=1)]
    return X, y


def main():
    X, y = fixture_data()
    clf = MIClassifier(
        hidden_layer_sizes=(16,), max_epochs=5, random_state=0, num_threads=1, device="cpu"
    ).fit(X, y)
    stem = HERE / f"miclassifier-{skmi.__version__}"
    with open(f"{stem}.pkl", "wb") as f:
        pickle.dump(clf, f)
    clf.save_params(f_params=f"{stem}-params.pt", f_criterion=f"{stem}-criterion.pt")
    np.savez(
        f"{stem}-expected.npz",
        proba=clf.predict_proba(X),
        logits=clf.decision_function(X),
        classes=clf.classes_,
    )
    print(f"wrote {stem}.*")


if __name__ == "__main__":
    main()
