"""How often does the CUDA-graph replay check reject a correct replay? (issue 23)

The check (``skmi._graphs.ReplayCheck``) accepts a replayed step whose loss is at most
the eager warm-up losses' largest plus 3 times their spread plus their mean. On the CPU,
with each graph replaced by a recorded step (a correct replay runs the step again, as in
tests/test_graphs.py), every rejection is a false alarm. This runs MIClassifier fits on
the known-MI tasks at several batch sizes, single network and the 4-member default, and
counts the checked replays and the rejections; the same for the batched stack of
estimate_mi's networks.

Run: python benchmarks/replay_check.py [--n 1000] [--batch-sizes 8 32 256] [--out docs/benchmarks]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import torch

from skmi import MIClassifier, _batched, _graphs, _training
from skmi._classifier import SINGLE_NETWORK
from skmi.datasets import list_tasks, make_task
from skmi.exceptions import GraphFallbackWarning

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

torch.set_num_threads(1)


def recorded_graphs():
    """Graphs replaced by recorded steps (as tests/test_graphs.py does)."""

    def record(run, what):
        return SimpleNamespace(replay=run)

    _graphs.can_capture = lambda device: True
    _batched.can_capture = lambda device: True
    _training.capturable_optimizer_kwargs = lambda opt, kwargs: kwargs
    _batched.capturable_optimizer_kwargs = lambda opt, kwargs: kwargs
    _graphs.on_side_stream = lambda run: run()
    _batched.on_side_stream = lambda run: run()
    _graphs.captured = record
    _batched.captured = record


def counted_checks():
    """Count ReplayCheck.accepts calls and rejections."""
    counts = {"checked": 0, "rejected": 0}
    original = _graphs.ReplayCheck.accepts

    def accepts(self, loss, params, keep=None):
        ok = original(self, loss, params, keep)
        counts["checked"] += 1
        counts["rejected"] += not ok
        return ok

    _graphs.ReplayCheck.accepts = accepts
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 32, 256])
    parser.add_argument("--out", default="docs/benchmarks")
    args = parser.parse_args(argv)
    command, env = announce("replay_check.py", argv)
    recorded_graphs()
    counts = counted_checks()
    rows = []
    for name in list_tasks():
        X, y, _ = make_task(name, args.n, random_state=0)
        for batch_size in args.batch_sizes:
            for label, network in (("single", SINGLE_NETWORK), ("default", {})):
                before = dict(counts)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    MIClassifier(
                        device="cpu",
                        cuda_graphs=True,
                        batch_size=batch_size,
                        max_epochs=20,
                        random_state=0,
                        num_threads=1,
                        **network,
                    ).fit(X, y)
                rows.append(
                    (
                        name,
                        batch_size,
                        label,
                        counts["checked"] - before["checked"],
                        counts["rejected"] - before["rejected"],
                    )
                )
        # the batched stack: five networks of different sizes, as estimate_mi trains them
        from skmi._together import fit_together

        before = dict(counts)
        jobs = [
            (
                MIClassifier(
                    device="cpu",
                    cuda_graphs=True,
                    batch_size=32,
                    max_epochs=20,
                    random_state=s,
                    num_threads=1,
                    **SINGLE_NETWORK,
                ),
                X[: args.n - 100 * s],
                y[: args.n - 100 * s],
            )
            for s in range(5)
        ]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit_together(jobs)
        rejected_stack = counts["rejected"] - before["rejected"]
        assert rejected_stack == sum(issubclass(w.category, GraphFallbackWarning) for w in caught)
        rows.append(
            (name, 32, "batched stack of 5", counts["checked"] - before["checked"], rejected_stack)
        )
        print(name, rows[-1], flush=True)
    total_checked = sum(r[3] for r in rows)
    total_rejected = sum(r[4] for r in rows)
    lines = [
        "# The replay check against correct replays",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "Each graph a recorded step (a correct replay); every rejection is a false alarm. "
        f"{len(list_tasks())} known-MI tasks at n = {args.n}, 20 epochs.",
        "",
        f"**Checked replays: {total_checked}; rejected: {total_rejected} "
        f"({total_rejected / max(total_checked, 1):.4f}).**",
        "",
        "| task | batch size | network | checked replays | rejected |",
        "|---|---|---|---|---|",
        *[f"| {t} | {b} | {lab} | {c} | {r} |" for t, b, lab, c, r in rows],
    ]
    write_page(args.out, "replay_check.md", lines)
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
