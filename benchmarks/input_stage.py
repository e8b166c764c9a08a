"""The default network's input stage: MIClassifier against a plain loop on the same module.

At ``--rows`` x 20 (Gaussian features, a binary label), 3 epochs, batch 256, AdamW
(lr 1e-3), early stopping off, threads as MIClassifier sets them by default (one):
``MIClassifier()``'s default network (its settings are printed in the table) and the
single network (``n_members=1, num_embeddings=None, input_scaling="standard"``), each
against a hand-written loop that
trains the very module MIClassifier built (a copy, its weights reset), with
MIClassifier's loss. MIClassifier's time includes everything ``fit`` does (checks, the
quantiles, the embedding columns, the seeded initialisation); the loop's only the epochs.
Repetitions are interleaved; medians reported.

Run: python benchmarks/input_stage.py [--rows 100000] [--reps 3] [--out docs/benchmarks/input_stage]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch

from skmi import MIClassifier
from skmi._loss import PCSoftmaxLoss

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

SINGLE = {"n_members": 1, "num_embeddings": None, "input_scaling": "standard"}
EPOCHS, BATCH = 3, 256


def fit_classifier(X, y, params):
    net = MIClassifier(random_state=0, early_stopping=False, max_epochs=EPOCHS, **params)
    start = time.perf_counter()
    net.fit(X, y)
    return net, time.perf_counter() - start


def plain_loop(net, X, y) -> float:
    """The epochs alone, on a copy of the module MIClassifier built (weights reset)."""
    module = copy.deepcopy(net.module_)
    torch.manual_seed(0)
    for layer in module.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3)
    loss_of = PCSoftmaxLoss(net.class_prior_)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    module.train()
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(y))
        for first in range(0, len(y), BATCH):
            rows = order[first : first + BATCH]
            loss = loss_of(module(X_t[rows]), y_t[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", default="docs/benchmarks/input_stage")
    args = parser.parse_args(argv)
    command, env = announce("input_stage.py", argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, 20)).astype(np.float32)
    y = (X[:, :3].sum(1) + rng.normal(size=args.rows) > 0).astype(np.int64)
    default = MIClassifier().get_params()
    settings = ", ".join(
        f"{k}={default[k]!r}" for k in ("n_members", "input_scaling", "num_embeddings", "dropout")
    )
    configs = {
        f"default ({settings})": {},
        "single network": SINGLE,
        # what the default was before: periodic embeddings and dropout 0.1
        "0.2 default (4 members, quantile, periodic, dropout 0.1)": {
            "num_embeddings": "periodic",
            "dropout": 0.1,
        },
        "4 members, quantile, dropout 0.1": {"dropout": 0.1, "num_embeddings": None},
    }
    times = {name: {"MIClassifier": [], "plain loop": []} for name in configs}
    for params in configs.values():
        fit_classifier(X[:5000], y[:5000], params)  # warm-up
    for _ in range(args.reps):
        for name, params in configs.items():
            net, seconds = fit_classifier(X, y, params)
            times[name]["MIClassifier"].append(seconds)
            times[name]["plain loop"].append(plain_loop(net, X, y))
    lines = [
        "# The default network's input stage",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"{args.rows:,} rows x 20 features, 3 epochs, batch 256; medians of {args.reps} "
        "interleaved repetitions (seconds).",
        "",
        "| network | MIClassifier fit | / single network's fit | plain loop, same module | "
        "fit / loop | all MIClassifier fits | all loops |",
        "|---|---|---|---|---|---|---|",
    ]
    single_s = np.median(times["single network"]["MIClassifier"])
    for name, measured in times.items():
        net_s, loop_s = np.median(measured["MIClassifier"]), np.median(measured["plain loop"])
        lines.append(
            f"| {name} | {net_s:.2f} | {net_s / single_s:.2f}x | {loop_s:.2f} | "
            f"{net_s / loop_s:.3f}x | "
            + ", ".join(f"{t:.2f}" for t in measured["MIClassifier"])
            + " | "
            + ", ".join(f"{t:.2f}" for t in measured["plain loop"])
            + " |"
        )
    page = write_page(args.out, "input_stage.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
