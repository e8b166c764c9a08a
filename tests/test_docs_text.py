"""README.md and docs/ read as the library's front door, not as its development log."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".md", ".txt", ".csv", ".yml", ".py"}
# "issue 23", "issues 3, 12", "issue #14", "Issue 25's": the tracker's numbers; "session"
DEVELOPMENT_LOG = re.compile(r"\bissues?\s*#?\d+|\bsessions?\b", re.IGNORECASE)
README_WORDS = 900


def _published_texts() -> list[Path]:
    docs = [p for p in (ROOT / "docs").rglob("*") if p.suffix in TEXT_SUFFIXES]
    docs = [p for p in docs if "javascripts" not in p.parts]  # vendored MathJax
    return [ROOT / "README.md", ROOT / "mkdocs.yml", *sorted(docs)]


def _log_phrases(text: str) -> list[str]:
    return [m.group(0) for m in DEVELOPMENT_LOG.finditer(text)]


def test_the_check_finds_issue_numbers_and_sessions():
    assert _log_phrases("as issue 23 asks; issues 3, 12; Issue #14; the session") == [
        "issue 23",
        "issues 3",
        "Issue #14",
        "session",
    ]
    assert _log_phrases("an issue with ties; sessionize; 23 issues") == []


def test_no_issue_numbers_or_sessions_in_readme_or_docs():
    found = [
        f"{path.relative_to(ROOT)}: {phrase!r}"
        for path in _published_texts()
        for phrase in _log_phrases(path.read_text(errors="replace"))
    ]
    assert not found, "development-log phrases:\n" + "\n".join(found)


def test_readme_is_at_most_900_words():
    words = len((ROOT / "README.md").read_text().split())
    assert words <= README_WORDS, f"README.md has {words} words"


def test_readme_links_point_at_files_of_the_repository():
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t)]
    assert len(local) >= 10  # the results table and the documentation links
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_readme_results_link_their_stored_benchmark_pages():
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| question | result | page |") :].split("\n\n")[0]
    rows = [r for r in table.splitlines()[2:] if r.startswith("|")]
    assert len(rows) >= 5
    for row in rows:
        pages = re.findall(r"\]\((docs/benchmarks/[^)]+\.md)\)", row)
        assert pages, f"a results row links no stored page: {row}"
        for page in pages:
            assert "Command" in (ROOT / page).read_text(), f"{page} is not a stored output"


def test_the_home_page_shows_the_picture_its_benchmark_drew():
    home = (ROOT / "docs" / "index.md").read_text()
    (image,) = re.findall(r"\]\((benchmarks/home_figure/[^)]+\.png)\)", home)
    picture = ROOT / "docs" / image
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (ROOT / "docs" / "benchmarks" / "home_figure" / "home_figure.md").read_text()
    assert "python benchmarks/home_figure.py" in page
    assert picture.name in page


def test_the_benchmarks_menu_is_grouped_by_question():
    nav = (ROOT / "mkdocs.yml").read_text()
    section = nav[nav.index("  - Benchmarks:") : nav.index("  - API reference")]
    groups = re.findall(r"^      - ([^:\n]+):\n", section, re.M)
    assert groups == [
        "MI accuracy",
        "Conditional MI and selection",
        "Imbalanced classification",
        "Tables",
        "Speed and scale",
        "GPU",
        "Testing",
        "History",
    ]
    for index in re.findall(r"benchmarks/groups/[\w-]+/index\.md", section):
        assert (ROOT / "docs" / index).is_file()
    # every stored benchmark page is in the menu, once
    listed = re.findall(r"(benchmarks/\S+\.md)", section)
    assert len(listed) == len(set(listed))
    stored = {
        str(p.relative_to(ROOT / "docs"))
        for p in (ROOT / "docs" / "benchmarks").rglob("*.md")
        if "groups" not in p.parts
    }
    assert stored <= set(listed), sorted(stored - set(listed))


def test_the_gpu_status_is_said_in_one_place():
    pages = {p: p.read_text() for p in (ROOT / "docs").glob("*.md")}
    pages[ROOT / "README.md"] = (ROOT / "README.md").read_text()
    status = re.compile(r"not yet run on a GPU", re.IGNORECASE)
    elsewhere = [str(p.relative_to(ROOT)) for p, t in pages.items() if status.search(t)]
    assert elsewhere == ["docs/gpu.md"]
    assert "## Status on a GPU" in pages[ROOT / "docs" / "gpu.md"]
