"""The README's commands are what CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_has_two_commands_and_ci_runs_the_test_one():
    demo, tests = _readme_commands()
    assert demo.endswith("skmi demo")
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_the_cpu_only_step_comes_before_the_commands_and_makes_the_venv_first():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Two commands") :]
    cpu_step = section.index("download.pytorch.org/whl/cpu")
    assert cpu_step < section.index("```bash")
    line = section[: section.index("\n", cpu_step)].rsplit("\n", 1)[-1]
    assert line.index("python3 -m venv .venv") < line.index(".venv/bin/pip")
