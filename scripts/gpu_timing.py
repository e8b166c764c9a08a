"""Small fit/predict timing of MIClassifier on CUDA against the CPU (same model, data)."""

import platform
import time

import sklearn
import skorch
import torch
from sklearn.datasets import make_classification

from skmi import MIClassifier, MIScorer
from skmi._classifier import SINGLE_NETWORK


def main():
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, skorch "
        f"{skorch.__version__}, sklearn {sklearn.__version__}"
    )
    print(f"GPU: {torch.cuda.get_device_name(0)}; CPU threads: {torch.get_num_threads()}")
    X, y = make_classification(
        n_samples=100_000,
        n_features=20,
        n_informative=10,
        n_classes=2,
        weights=[0.9],
        random_state=0,
    )
    X_test, y_test = X[80_000:], y[80_000:]
    X, y = X[:80_000], y[:80_000]
    print("n_train=80,000, d=20, K=2, 2x128 MLP, batch 256, 5 epochs")
    for device, threads in [("cuda", "auto"), ("cpu", 8), ("cpu", 1)]:
        clf = MIClassifier(
            device=device,
            num_threads=threads,
            max_epochs=5,
            hidden_layer_sizes=(128, 128),
            random_state=0,
            **SINGLE_NETWORK,
        )
        start = time.perf_counter()
        clf.fit(X, y)
        if device == "cuda":
            torch.cuda.synchronize()
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        mi = MIScorer()(clf, X_test, y_test)
        predict_s = time.perf_counter() - start
        print(
            f"  {device:<4} threads={threads!s:<4} fit {fit_s:6.2f} s "
            f"({5 * len(y) / fit_s:,.0f} samples/s)  predict+score {predict_s:5.2f} s  "
            f"held-out MI {mi:.3f} nats"
        )


if __name__ == "__main__":
    main()
