"""Mutation testing of the MI core with mutmut: how many planted bugs the tests catch.

mutmut (``pip install 'mutmut>=3.8'``, in the ``benchmarks`` extra) copies ``skmi/`` to
``mutants/``, plants one change at a time (an operator, a constant, a dropped argument...)
in the modules that ``[tool.mutmut] only_mutate`` in ``pyproject.toml`` names (the PMI
algebra ``_pmi.py``, the loss, the scorer, ``estimate_mi`` and the CLI; only lines the
tests execute) and runs the tests that reach the changed function
(``pytest_add_cli_args_test_selection``). A mutant is *killed* when a test fails.

Run: python benchmarks/mutation.py [--jobs 2] [--sample 60] [--out docs/benchmarks]
Writes mutation.md (kill rate per module, the surviving mutants) to --out. Testing every
mutant takes hours on 2 cores (a surviving mutant of estimate_mi runs its whole test
selection); ``--sample N`` tests N mutants drawn at random (seed 0) from each module with
more, and the page gives the kill rate with a 95 % Wilson interval. mutmut keeps its
results in mutants/, so a later run continues.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

KILLED = {"killed", "timeout"}  # a mutant that hangs the tests is caught too


def mutmut(*args: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mutmut", *args], capture_output=True, text=True, env=env
    )
    if done.returncode not in (0, 1) or "failed to collect stats" in done.stdout + done.stderr:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"mutmut {' '.join(args)} failed (exit code {done.returncode})")
    return done.stdout


def statuses(listing: str) -> dict[str, str]:
    """``mutant name -> status`` from ``mutmut results --all true``."""
    found = {}
    for line in listing.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name.startswith("skmi."):
            found[name] = status.strip()
    return found


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def kept(mutant: str, functions: list[str]) -> bool:
    """Whether a mutant is in the run: its module is not restricted by ``functions``
    (``MODULE:f1,f2``), or its function is one of those named."""
    for spec in functions:
        module, _, names = spec.partition(":")
        if module_of(mutant) == module:
            function = mutant[len(module) + 3 :].split("__mutmut_")[0]  # after ".x_"
            return function in names.split(",")
    return True


def module_of(mutant: str) -> str:
    match = re.match(r"(skmi(?:\.\w+)*?)\.x", mutant)
    return match.group(1) if match else mutant.split("__mutmut_")[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--out", default="docs/benchmarks")
    parser.add_argument("--sample", type=int, default=0, help="mutants tested per module (0: all)")
    parser.add_argument(
        "--functions",
        nargs="*",
        default=[
            "skmi._mlp:feature_quantiles,_after,normal_scores,_register_quantiles,_scaled_inputs"
        ],
        help="MODULE:f1,f2 keeps that module's mutants to those functions (default: the "
        "quantile scaling of skmi._mlp)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="write the page from the last run"
    )
    parser.add_argument(
        "--retest-survivors",
        action="store_true",
        help="test again the mutants that survived the last run (after adding tests)",
    )
    args = parser.parse_args(argv)
    command, env = announce("mutation.py", argv)
    if args.retest_survivors:
        last = statuses(mutmut("results", "--all", "true"))
        again = sorted(name for name, status in last.items() if status == "survived")
        if again:
            mutmut("run", "--max-children", str(args.jobs), *again)
    elif not args.report_only:
        if args.sample:
            # a run of one mutant makes mutmut generate them all and map the tests
            generated = statuses(mutmut("results", "--all", "true"))
            if not generated:
                mutmut(
                    "run",
                    "--max-children",
                    str(args.jobs),
                    "skmi._pmi.x_softmax_under_prior__mutmut_1",
                )
                generated = statuses(mutmut("results", "--all", "true"))
            names = [name for name in sorted(generated) if kept(name, args.functions)]
            rng = random.Random(0)
            chosen = []
            for module in sorted({module_of(name) for name in names}):
                members = [name for name in names if module_of(name) == module]
                chosen += (
                    members if len(members) <= args.sample else rng.sample(members, args.sample)
                )
            mutmut("run", "--max-children", str(args.jobs), *chosen)
        else:
            mutmut("run", "--max-children", str(args.jobs))
    found = {
        name: status
        for name, status in statuses(mutmut("results", "--all", "true")).items()
        if kept(name, args.functions)
    }
    if not found:
        raise SystemExit("mutmut reported no mutants")
    by_module = defaultdict(Counter)
    for name, status in found.items():
        by_module[module_of(name)][status] += 1
    all_status = sorted({s for counts in by_module.values() for s in counts})
    total = Counter()
    lines = [
        "# Mutation testing of the MI core",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}; mutmut with the configuration in `pyproject.toml` "
        "([tool.mutmut]: the modules mutated and the tests run).",
        "",
        "Kill rate: mutants killed (a test failed, or the tests timed out) over the mutants "
        "tested (all but `not checked`), with its 95 % Wilson interval. Mutants come only "
        "from lines the tests execute.",
        "",
        "| module | mutants | " + " | ".join(all_status) + " | kill rate | 95 % interval |",
        "|---|---|" + "---|" * len(all_status) + "---|---|",
    ]

    def row(label, counts):
        n = sum(counts.values())
        tested = n - counts["not checked"]
        killed = sum(counts[s] for s in KILLED)
        low, high = wilson(killed, tested)
        cells = " | ".join(str(counts[s]) for s in all_status)
        rate = f"{killed / tested:.1%}" if tested else "—"
        return f"| {label} | {n} | {cells} | {rate} | {low:.1%} to {high:.1%} |"

    for module in sorted(by_module):
        total.update(by_module[module])
        lines.append(row(f"`{module}`", by_module[module]))
    lines.append(row("**all tested**", total))
    # With --sample, modules are tested at different rates: weigh each by its mutants.
    estimate = sum(
        sum(c.values()) * sum(c[s] for s in KILLED) / (sum(c.values()) - c["not checked"])
        for c in by_module.values()
        if sum(c.values()) > c["not checked"]
    ) / sum(sum(c.values()) for c in by_module.values())
    lines += [
        "",
        f"Kill rate of all mutants, each module weighted by its mutants: **{estimate:.1%}**.",
    ]
    survivors = sorted(
        name for name, status in found.items() if status not in KILLED | {"not checked"}
    )
    lines += ["", f"## Not killed ({len(survivors)})", ""]
    lines += [f"- `{name}` ({found[name]})" for name in survivors]
    lines += ["", "`mutmut show NAME` prints a mutant's diff."]
    page = write_page(args.out, "mutation.md", lines)
    print("\n".join(lines[:20]))
    print(f"written to {page}")


if __name__ == "__main__":
    main()
