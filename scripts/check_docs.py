"""Open the built documentation in headless Chromium and check what a reader sees.

Every page of the site (``mkdocs build``) is loaded from disk in a real browser, after
MathJax has typeset it. A page fails when it shows

- raw LaTeX: a formula MathJax did not render, or TeX commands (``\\frac``, ``$$``...) in
  the text outside code;
- a raw Sphinx role (``:func:``, ``:class:``...), which mkdocstrings does not render;
- a broken image (not loaded, or zero width);
- an internal link whose page or anchor does not exist;
- a code block that scrolls sideways (its line ends, often the comments, hidden);
- a script, stylesheet or font loaded from the network (the site must work offline).

Screenshots of the main pages are saved to ``--screenshots`` (default: SITE/_screenshots).
With ``--readme README.md`` the README is rendered as a code host shows it (Python-Markdown,
tables and fenced code, links relative to the repository), checked the same way, its
links against the repository's files, and saved as ``README.png``.

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``) and
``pip install selenium``.
Usage: python scripts/check_docs.py SITE [--screenshots DIR] [--readme README.md]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

MAIN_PAGES = [
    "index.html",
    "getting-started/index.html",
    "theory/index.html",
    "estimation/index.html",
    "api/index.html",
    "benchmarks/index.html",
    "benchmarks/mi_accuracy/index.html",
]
SKIP = ("search/", "404.html", "javascripts/", "assets/", "_screenshots/")

# What the page shows: the text outside code and rendered formulas, the formulas MathJax
# left alone, images, links and code blocks wider than their box.
_INSPECT = r"""
const done = arguments[arguments.length - 1];
const ready = (window.MathJax && MathJax.startup && MathJax.startup.promise)
  ? MathJax.startup.promise : Promise.resolve();
ready.then(() => {
  const walker = document.createTreeWalker(document.querySelector("article") || document.body,
    NodeFilter.SHOW_TEXT, {acceptNode: (node) => {
      const skip = node.parentElement.closest("code, pre, script, style, mjx-container");
      return skip ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    }});
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode.textContent);
  const unrendered = [...document.querySelectorAll(".arithmatex")]
    .filter((el) => !el.querySelector("mjx-container")).map((el) => el.textContent.trim());
  const images = [...document.querySelectorAll("article img")].map((img) => ({
    src: img.getAttribute("src"), ok: img.complete && img.naturalWidth > 0}));
  const links = [...document.querySelectorAll("article a[href]")].map((a) => a.href);
  const remote = [...document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=preconnect]")]
    .map((el) => el.src || el.href).filter((url) => /^https?:/.test(url));
  // the block scrolls in the <code> (Material) or overflows its <pre> (plain pages)
  const wide = [...document.querySelectorAll("article pre")]
    .filter((pre) => [pre, pre.querySelector("code")].some((el) => el
      && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1))
    .map((pre) => pre.textContent.split("\n")[0].slice(0, 60));
  done({text: texts.join(" "), unrendered, images, links, wide, remote});
});
"""
_RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|\\(frac|mathrm|mathtt|log|sum|pi|tau|mid|texttt)\b")
_RAW_ROLE = re.compile(r":(func|class|meth|mod|attr|data|obj|exc):`?")


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600"):
        options.add_argument(flag)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser:
        options.binary_location = browser
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_script_timeout(30)
    return driver


def _link_problem(href: str, site: Path) -> str | None:
    url = urlparse(href)
    if url.scheme != "file":
        return None  # external: not checked (the build must work offline)
    path = Path(unquote(url.path))
    if path.is_dir():
        path = path / "index.html"
    if not path.exists():
        return f"link to a missing page: {path.relative_to(site) if site in path.parents else path}"
    if url.fragment and path.suffix == ".html":
        ids = set(re.findall(r'id="([^"]+)"', path.read_text(errors="replace")))
        if unquote(url.fragment) not in ids:
            return f"link to a missing anchor: #{url.fragment} in {path.relative_to(site)}"
    return None


def check_page(driver, page: Path, site: Path) -> list[str]:
    driver.get(page.as_uri())
    seen = driver.execute_async_script(_INSPECT)
    problems = [f"formula not rendered: {tex[:60]}" for tex in seen["unrendered"]]
    problems += [f"raw LaTeX in text: {m.group(0)!r}" for m in _RAW_TEX.finditer(seen["text"])]
    problems += [f"raw role in text: {m.group(0)!r}" for m in _RAW_ROLE.finditer(seen["text"])]
    problems += [f"broken image: {img['src']}" for img in seen["images"] if not img["ok"]]
    problems += [p for p in (_link_problem(href, site) for href in seen["links"]) if p]
    problems += [f"code block scrolls sideways: {first!r}" for first in seen["wide"]]
    problems += [f"loads from the network: {url}" for url in seen["remote"]]
    return sorted(set(problems))


_README_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><base href="{base}"><title>README</title>
<style>
body {{ font: 16px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; }}
article {{ max-width: 980px; margin: 32px auto; padding: 0 32px; }}
pre {{ background: #f6f8fa; padding: 16px; overflow: auto; font-size: 13.6px; }}
code {{ font-family: ui-monospace, Menlo, Consolas, monospace; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #d0d7de; padding: 6px 13px; }}
</style></head><body><article>{body}</article></body></html>
"""


def render_readme(readme: Path) -> str:
    """The README as an HTML page whose relative links resolve in the repository."""
    import markdown  # installed with mkdocs

    body = markdown.markdown(readme.read_text(), extensions=["tables", "fenced_code"])
    return _README_PAGE.format(base=readme.resolve().parent.as_uri() + "/", body=body)


def check_readme(driver, readme: Path, shots: Path) -> list[str]:
    """Check the rendered README like a page of the site and save its screenshot."""
    page = shots / "README.html"
    page.write_text(render_readme(readme))
    problems = check_page(driver, page, readme.resolve().parent)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 12000))
    driver.save_screenshot(str(shots / "README.png"))
    driver.set_window_size(1280, 1600)
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--readme", type=Path, default=None)
    args = parser.parse_args(argv)
    site = args.site.resolve()
    shots = (args.screenshots or site / "_screenshots").resolve()
    shots.mkdir(parents=True, exist_ok=True)
    pages = sorted(p for p in site.rglob("*.html") if not str(p.relative_to(site)).startswith(SKIP))
    driver = _driver()
    failures = 0
    try:
        for page in pages:
            name = str(page.relative_to(site))
            problems = check_page(driver, page, site)
            if name in MAIN_PAGES:
                height = driver.execute_script("return document.body.scrollHeight")
                driver.set_window_size(1280, min(max(int(height), 800), 12000))
                driver.save_screenshot(str(shots / (name.replace("/", "_") + ".png")))
                driver.set_window_size(1280, 1600)
            status = "ok" if not problems else f"{len(problems)} problem(s)"
            print(f"{name}: {status}")
            for problem in problems:
                print(f"    {problem}")
            failures += bool(problems)
        if args.readme is not None:
            problems = check_readme(driver, args.readme, shots)
            print(f"{args.readme} (rendered): {'ok' if not problems else problems}")
            failures += bool(problems)
    finally:
        driver.quit()
    print(f"{len(pages)} pages, {failures} with problems; screenshots in {shots}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
