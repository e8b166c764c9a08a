"""The experiment of Qin, Kim & Gedeon (arXiv:2106.10471), reproduced with skmi.

Five Gaussian classes N(mu_k * 1, I_d), mu in {0, +2, -2, +4, -4}, d in {1, 2, 5, 10}.
Balanced: 10,000 training and 2,000 test samples per class. Imbalanced: 5,000 / 10,000 /
15,000 / 20,000 / 25,000 training samples (in the order of mu), test a fifth of that.

For each setting: the ground truth (the paper's 10^6-sample Monte Carlo, and skmi's own
Monte Carlo over 10^6 draws); skmi's estimate (MIClassifier, tau=1, read by MIScorer on
the test set); the paper's reading of a plain-softmax network (tau=0): mean log softmax +
log K, which assumes a uniform prior; the same network read with the class prior
(mean log softmax - log pi_y); and the per-class mean accuracy (balanced accuracy) of
tau=1 against tau=0.

Run: python benchmarks/paper_gaussians.py [--out docs/benchmarks]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.special import log_softmax
from sklearn.metrics import balanced_accuracy_score

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

from skmi import MIClassifier, MIScorer
from skmi._classifier import SINGLE_NETWORK
from skmi.datasets import gaussian_classes_truth

torch.set_num_threads(1)

MUS = np.array([0.0, 2.0, -2.0, 4.0, -4.0])
PAPER_TRUTH = {
    ("balanced", 1): 1.0305,
    ("balanced", 2): 1.3012,
    ("balanced", 5): 1.5539,
    ("balanced", 10): 1.6056,
    ("imbalanced", 1): 1.0217,
    ("imbalanced", 2): 1.2399,
    ("imbalanced", 5): 1.4449,
    ("imbalanced", 10): 1.4867,
}
TRAIN_COUNTS = {"balanced": [10_000] * 5, "imbalanced": [5_000, 10_000, 15_000, 20_000, 25_000]}


def sample(counts, d, rng):
    y = np.repeat(np.arange(5), counts)
    X = MUS[y][:, None] + rng.standard_normal((len(y), d))
    return X, y


def net(tau, seed):
    return MIClassifier(
        tau=tau,
        test_prior="balanced" if tau == 1 else "training",
        early_stopping=True,
        dropout=0.0,
        max_epochs=100,
        n_iter_no_change=10,
        random_state=seed,
        **SINGLE_NETWORK,
    )


def run_setting(kind, d, seed=0):
    rng = np.random.default_rng(seed)
    train_counts = np.array(TRAIN_COUNTS[kind])
    X, y = sample(train_counts, d, rng)
    X_test, y_test = sample(train_counts // 5, d, rng)
    prior = train_counts / train_counts.sum()
    truth = gaussian_classes_truth(MUS[:, None] * np.ones((5, d)), prior)

    start = time.perf_counter()
    pc = net(1.0, seed).fit(X, y)
    plain = net(0.0, seed).fit(X, y)
    pmi = pc.pointwise_mutual_info(X_test, y_test, prior="empirical")
    skmi_mi = MIScorer()(pc, X_test, y_test)
    raw = plain.decision_function(X_test)
    log_q = log_softmax(raw, axis=1)[np.arange(len(y_test)), y_test]
    paper_reading = float(np.mean(log_q) + np.log(5))
    prior_reading = float(np.mean(log_q - np.log(prior[y_test])))
    return {
        "setting": kind,
        "d": d,
        "paper_truth": PAPER_TRUTH[(kind, d)],
        "skmi_truth": truth.mi,
        "skmi_truth_se": truth.stderr,
        "skmi": skmi_mi,
        "skmi_se": float(pmi.std(ddof=1) / np.sqrt(len(pmi))),
        "paper_reading": paper_reading,
        "prior_reading": prior_reading,
        "bacc_tau1": balanced_accuracy_score(y_test, pc.predict(X_test)),
        "bacc_tau0": balanced_accuracy_score(y_test, plain.predict(X_test)),
        "seconds": time.perf_counter() - start,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("paper_gaussians.py", argv)
    rows = []
    for kind in ("balanced", "imbalanced"):
        for d in (1, 2, 5, 10):
            row = run_setting(kind, d)
            rows.append(row)
            print(
                f"{kind:<10} d={d:<2} truth {row['paper_truth']:.4f} skmi {row['skmi']:.4f} "
                f"paper reading {row['paper_reading']:.4f} ({row['seconds']:.0f}s)",
                flush=True,
            )
    lines = [
        "# The paper's Gaussian experiment, reproduced",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "MI in nats on the test set. *skmi*: MIClassifier (tau=1) read by MIScorer, with the "
        "standard error of the test-set mean. *paper reading*: a tau=0 network read as mean "
        "log softmax + log K; *prior reading*: the same network read as mean log softmax - "
        "log pi_y. Balanced accuracy = per-class mean accuracy on the test set.",
        "",
        "| setting | d | truth (paper) | truth (skmi MC ± se) | skmi ± se | skmi - truth | "
        "paper reading | paper - truth | prior reading | bal. acc. tau=1 | bal. acc. tau=0 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setting']} | {r['d']} | {r['paper_truth']:.4f} | {r['skmi_truth']:.4f} ± "
            f"{r['skmi_truth_se']:.4f} | {r['skmi']:.4f} ± {r['skmi_se']:.4f} | "
            f"{r['skmi'] - r['paper_truth']:+.4f} | {r['paper_reading']:.4f} | "
            f"{r['paper_reading'] - r['paper_truth']:+.4f} | {r['prior_reading']:.4f} | "
            f"{r['bacc_tau1']:.4f} | {r['bacc_tau0']:.4f} |"
        )
    print(write_page(args.out, "paper_gaussians.md", lines).read_text())


if __name__ == "__main__":
    main()
