"""What every benchmark prints first: the command that reproduces it and the machine."""

import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import imblearn
import sklearn
import skorch
import torch

import skmi


def code_commit() -> str:
    """The repository's commit, with "+ uncommitted changes to skmi/" when the library's
    files differ from it (benchmarks' own edits do not change what is measured)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args):
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return (
        f"{head} + uncommitted changes to skmi/"
        if git("status", "--porcelain", "--", "skmi")
        else head
    )


def announce(script: str, argv=None, threads: str = "1 thread") -> tuple[str, str]:
    """Print and return ``(command, environment)``; the environment names the commit."""
    args = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", f"benchmarks/{script}", *args])
    env = (
        f"Python {platform.python_version()}, torch {torch.__version__} ({threads}), "
        f"skorch {skorch.__version__}, scikit-learn {sklearn.__version__}, imbalanced-learn "
        f"{imblearn.__version__}, skmi {skmi.__version__}; {platform.machine()}, "
        f"{os.cpu_count()} CPU cores; commit {code_commit()}"
    )
    print(command)
    print(env, flush=True)
    return command, env


def table_section(title: str, frame, floatfmt: str) -> list[str]:
    """A ``## title`` section holding ``frame`` as a markdown table."""
    return [f"## {title}", "", frame.to_markdown(floatfmt=floatfmt), ""]


def write_page(folder, name: str, lines: list[str]) -> Path:
    """Write ``lines`` as the markdown page ``folder/name`` (creating the folder)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    page = out / name
    page.write_text("\n".join(lines) + "\n")
    return page
