"""The browser check of the docs (scripts/check_docs.py) finds what it promises to find.

Runs where Chromium, its driver and selenium are installed (CI installs them)."""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("selenium")
pytestmark = pytest.mark.skipif(
    shutil.which("chromedriver") is None, reason="needs Chromium's driver (chromedriver)"
)

BAD = (
    r"""<!doctype html><html><head>
<script src="https://cdn.example.org/mathjax.js"></script></head><body><article>
<p>Unlike :func:`mutual_info_classif`, the loss is $$q = \frac{a}{b}$$.</p>
<p><span class="arithmatex">\(x^2\)</span></p>
<img src="missing.png">
<a href="other.html">a page that does not exist</a> <a href="#nowhere">an anchor</a>
<pre><code>"""
    + "x = 1  # "
    + "a comment that runs far past the edge of its box " * 8
    + """</code></pre>
</article></body></html>"""
)
GOOD = """<!doctype html><html><head><style>pre code {white-space: pre-wrap}</style></head>
<body><article><h2 id="here">Plain</h2><p>Text with <code>:func:</code> in code.</p>
<a href="#here">here</a> <a href="bad.html">the other page</a></article></body></html>"""


@pytest.fixture(scope="module")
def checker():
    spec = importlib.util.spec_from_file_location("check_docs", ROOT / "scripts/check_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_kind_of_problem_is_found_and_a_clean_page_passes(checker, tmp_path):
    (tmp_path / "bad.html").write_text(BAD)
    (tmp_path / "good.html").write_text(GOOD)
    driver = checker._driver()
    try:
        bad = " | ".join(checker.check_page(driver, tmp_path / "bad.html", tmp_path))
        good = checker.check_page(driver, tmp_path / "good.html", tmp_path)
    finally:
        driver.quit()
    for expected in (
        "formula not rendered: \\(x^2\\)",
        "raw LaTeX in text: '$$'",
        "raw role in text: ':func:`'",
        "broken image: missing.png",
        "link to a missing page: other.html",
        "link to a missing anchor: #nowhere",
        "code block scrolls sideways",
        "loads from the network: https://cdn.example.org/mathjax.js",
    ):
        assert expected in bad
    assert good == []
