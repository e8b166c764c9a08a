import io

import numpy as np

from skmi._cli import main
from skmi._demo import long_tailed_digits, run_demo


def test_long_tailed_digits_profile():
    _, _, y_train, y_test = long_tailed_digits()
    counts = np.bincount(y_train)
    assert counts.max() / counts.min() >= 15
    assert np.all(np.diff(counts) <= 0)  # exponential, most frequent first
    test_counts = np.bincount(y_test)
    assert test_counts.max() / test_counts.min() < 1.1  # the test half keeps digits' balance


def test_demo_prints_the_estimate_and_the_comparison(capsys):
    out = io.StringIO()
    result = run_demo(seeds=1, quiet=True, out=out)
    text = out.getvalue()
    assert "nats" in text and "bits" in text
    assert 0 < result["mi_nats"] < np.log(10)
    assert np.isclose(result["mi_bits"], result["mi_nats"] / np.log(2))
    bacc = {name: r["balanced_accuracy"] for name, r in result["models"].items()}
    assert bacc["MIClassifier (PC-softmax, tau=1)"] > bacc["plain softmax (tau=0)"]
    assert all(f"{value:.3f} ± 0.000" in text for value in bacc.values())


def test_cli_demo_entry_point(capsys):
    assert main(["demo", "--quiet", "--seeds", "1"]) == 0
    assert "I(X;Y) estimate" in capsys.readouterr().out
