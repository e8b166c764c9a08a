"""Every figure quoted in README.md and docs/ comes from a stored output.

A paragraph or list item that quotes measured figures ends with a mark naming the stored
outputs they come from::

    ... a mean absolute error of 0.0958 nats ... <!-- source: docs/benchmarks/mi_accuracy.md -->

Each decimal number of a marked paragraph (``0.0958``, ``24.1``, ``1.36``) must occur in
one of the named files as written. Integers and percentages are not checked (they are
counts, sizes and settings more often than measurements). Decimals that are settings,
versions or arithmetic rather than measurements are listed in a ``settings:`` mark, which
may stand alone or follow the sources::

    dropout 0.1, lr 1e-3 <!-- settings: 0.1 -->
    0.34 to 0.50 of it; 2.41 times <!-- source: docs/benchmarks/repeat_curve.md; settings: 2.41 -->

Every paragraph of README.md, docs/*.md and the benchmark index and group pages with a
decimal number carries a mark.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
MARK = re.compile(
    r"<!--\s*(?=source:|settings:)(?:source:\s*(?P<paths>[^;>]*?)\s*)?;?\s*"
    r"(?:settings:\s*(?P<settings>[^>]*?)\s*)?-->"
)
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.]*\d)")
# (file, a phrase that starts the paragraph): quoted figures that must be marked
MUST_BE_MARKED = [
    ("README.md", "| question | result | page |"),
    ("README.md", "The demo trains on digits"),
    ("docs/index.md", "What skmi gives"),
    ("docs/benchmarks/index.md", "| question | headline | group |"),
    ("docs/benchmarks/groups/mi-accuracy/index.md", "Headline:"),
    ("docs/comparison.md", "| | skmi `estimate_mi`"),
    ("docs/gpu.md", "| n | calls | batched s (mean)"),
    ("docs/estimation.md", "| n | coverage, 15 tasks"),
    ("docs/estimation.md", "The slowest call at n ≤ 1,000"),
]


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks, list items each their own; a block that is only a
    mark belongs to the block before it (a mark on its own line under a table)."""
    blocks = []
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # code is not prose
    for block in re.split(r"\n\s*\n", text):
        if blocks and MARK.fullmatch(block.strip()):
            blocks[-1] += "\n" + block
            continue
        blocks.extend(re.split(r"\n(?=- )", block))
    return blocks


def _figures(paragraph: str) -> list[str]:
    """The decimal numbers of a paragraph, outside marks, link targets and code blocks."""
    if paragraph.lstrip().startswith("```"):
        return []
    text = MARK.sub("", paragraph)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets are not figures
    return DECIMAL.findall(text)


def _documents() -> list[Path]:
    """The written pages: README, the guide and the benchmark index and group pages (the
    other pages under docs/benchmarks/ are stored outputs, the sources themselves)."""
    docs = [*(ROOT / "docs").glob("*.md"), ROOT / "docs" / "benchmarks" / "index.md"]
    docs += (ROOT / "docs" / "benchmarks" / "groups").glob("*/index.md")
    return [ROOT / "README.md", *sorted(docs)]


def _marked(text: str):
    """(paragraph, sources, settings) of each marked paragraph of a document's text."""
    for paragraph in _paragraphs(text):
        marks = list(MARK.finditer(paragraph))
        if marks:
            sources = [p for m in marks for p in (m.group("paths") or "").split()]
            settings = [f for m in marks for f in (m.group("settings") or "").split()]
            yield paragraph, sources, settings


def _unbacked(paragraph: str, sources: list[str], settings: list[str]) -> list[str]:
    """What is wrong with one marked paragraph: figures in no source, stale settings."""
    stored = ""
    for source in sources:
        path = ROOT / source
        assert path.is_file(), f"the mark names {source}, which does not exist"
        stored += path.read_text()
    figures = _figures(paragraph)
    problems = [f"{f} not in {sources}" for f in figures if f not in settings and f not in stored]
    problems += [f"settings: {f} is not in the paragraph" for f in settings if f not in figures]
    return problems


def test_every_marked_figure_is_in_its_stored_output():
    missing = []
    for doc in _documents():
        for paragraph, sources, settings in _marked(doc.read_text()):
            missing += [
                f"{doc.relative_to(ROOT)}: {p}" for p in _unbacked(paragraph, sources, settings)
            ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(("name", "start"), MUST_BE_MARKED)
def test_the_quoted_figures_are_marked(name, start):
    paragraphs = [p for p in _paragraphs((ROOT / name).read_text()) if p.startswith(start)]
    assert paragraphs, f"{name}: no paragraph starts with {start!r}"
    assert all(MARK.search(p) for p in paragraphs), f"{name}: {start!r} has no source mark"


def test_the_check_finds_a_figure_that_is_not_stored(tmp_path):
    stored = tmp_path / "out.md"
    stored.write_text("| 3,000 | 1.36x |\n")
    paragraph = f"shared inputs: 1.35x faster <!-- source: {stored} -->"
    ((paragraph, sources, settings),) = list(_marked(paragraph))
    assert _unbacked(paragraph, sources, settings) == [f"1.35 not in {[str(stored)]}"]
    fixed = paragraph.replace("1.35x", "1.36x")
    assert _unbacked(*next(_marked(fixed))) == []
    assert DECIMAL.findall("0.0958 / 0.0558 nats, 24.1 s, v0.2.0, 1e-7") == [
        "0.0958",
        "0.0558",
        "24.1",
    ]


def test_settings_are_exempt_and_stale_settings_are_caught(tmp_path):
    stored = tmp_path / "out.md"
    stored.write_text("ratio 0.34\n")
    both = f"0.34 of it; 2.41 times <!-- source: {stored}; settings: 2.41 -->"
    assert _unbacked(*next(_marked(both))) == []
    assert _unbacked(*next(_marked("dropout 0.1 <!-- settings: 0.1 -->"))) == []
    stale = "dropout 0.2 <!-- settings: 0.1 -->"
    assert _unbacked(*next(_marked(stale))) == [
        "0.2 not in []",
        "settings: 0.1 is not in the paragraph",
    ]
    assert not MARK.search("<!-- a comment -->")


def test_every_paragraph_with_figures_is_marked():
    unmarked = []
    for doc in _documents():
        for p in _paragraphs(doc.read_text()):
            if _figures(p) and not MARK.search(p):
                unmarked.append(f"{doc.relative_to(ROOT)}: {p[:70]!r}")
    assert not unmarked, "paragraphs with figures and no mark:\n" + "\n".join(unmarked)
