"""The browsable report, for reviewers: built from the executed notebooks of a default run.

- every page and figure loads in headless Chromium;
- the Jupyter Book theme, with nothing fetched from a CDN; the SYNTHETIC DATA statement on every page;
- code cells folded (a reader unfolds one);
- under each figure its caption (figures/captions.csv, else the PNG's) and a link to its MANIFEST lines, whose
  figure_sha256 is the sha256 of the image the page shows;
- neither the executed notebooks nor any file of the site names a folder of the machine that built them.
"""

import csv
import functools
import hashlib
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from bs4 import BeautifulSoup
from test_paths_in_outputs import injected, leaks, machine_places, notebook_leaks

from msc_frailty.report import build_report
from msc_frailty.runner import notebooks, scope_of
from msc_frailty.style import read_caption

pytestmark = pytest.mark.notebooks
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
TEXT_FILES = (".html", ".js", ".css", ".txt", ".json", ".svg")


@pytest.fixture(scope="module")
def report(default_run, tmp_path_factory):
    index = build_report(default_run / "notebooks", tmp_path_factory.mktemp("report") / "site",
                         default_run / "results")
    return index


def pages_of(report) -> list[Path]:
    """index.html, the notebook pages and the MANIFEST page (not Sphinx's search and index pages)."""
    pages = [report] + sorted(report.parent.glob("*/*.html")) + [report.parent / "manifest.html"]
    return [p for p in pages if p.parent.name not in ("_sources", "_static")]


def notebook_pages(report) -> list[Path]:
    return [p for p in pages_of(report) if p.parent != report.parent]


@functools.lru_cache(maxsize=None)
def soup(page) -> BeautifulSoup:
    """A page parsed once for the whole module (pages of several MB; the tests only read them)."""
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    yield driver
    driver.quit()


def test_index_links_every_executed_notebook(report):
    html = report.read_text()
    assert "SYNTHETIC DATA" in html
    for nb in notebooks():
        for study in (["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"] if scope_of(nb) == "study" else ["all"]):
            page = report.parent / study / f"{nb.stem}.html"
            assert page.is_file(), page
            assert f'{study}/{nb.stem}.html' in html


def test_executed_notebooks_name_no_folder_of_the_machine(default_run):
    places = machine_places(default_run)
    assert notebook_leaks(default_run / "notebooks", places) == {}
    for nb in (default_run / "notebooks").glob("*/*.ipynb"):   # data inside the repository, OUT outside it
        assert {k: v for k, v in injected(nb).items() if k != "study"} == {"data_dir": "data/synthetic",
                                                                             "output_dir": "<OUT>"}, nb


def test_report_names_no_folder_of_the_machine(report, default_run):
    places = machine_places(default_run, report.parent)
    found = {str(p.relative_to(report.parent)): leaks(p.read_text(encoding="utf-8", errors="replace"), places)
             for p in report.parent.rglob("*") if p.is_file() and p.suffix in TEXT_FILES}
    assert {k: v for k, v in found.items() if v} == {}


def test_report_uses_the_book_theme_offline_with_the_basis_on_every_page(report):
    for page in pages_of(report):
        doc = soup(page)
        styles = [link.get("href", "") for link in doc.find_all("link", rel="stylesheet")]
        assert any("sphinx-book-theme.css" in s for s in styles), page
        remote = [u for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"))
                  for u in (t.get(attr, "") for t in doc.find_all(tag)) if urlparse(u).scheme or u.startswith("//")]
        assert not remote, f"{page}: fetched from the network: {remote[:3]}"
        banner = doc.select_one(".bd-header-announcement")
        assert banner is not None and "SYNTHETIC DATA" in banner.get_text(), page


def test_code_cells_are_folded(report):
    """Every code cell, the injected-parameters cell included, has its source inside a closed <details>."""
    for page in notebook_pages(report):
        cells = soup(page).select("div.cell")
        assert cells, page
        for cell in cells:
            source = cell.select_one(".cell_input")
            assert source is not None and source.find_parent("details") is not None, (page, cell.get("class"))
            assert not source.find_parent("details").has_attr("open"), page
        assert soup(page).select("div.cell.tag_injected-parameters details .cell_input"), page


def _expected_captions(figures: Path) -> dict:
    """Figure stem -> caption: figures/captions.csv when present, else read from the PNG."""
    if (figures / "captions.csv").is_file():
        with open(figures / "captions.csv", newline="", encoding="utf-8") as f:
            return {r["figure"].lstrip("'"): r["caption"].lstrip("'") for r in csv.DictReader(f)}
    return {str(p.relative_to(figures).with_suffix("").as_posix()): read_caption(p) for p in figures.rglob("*.png")}


def test_every_figure_has_its_caption_and_manifest_line(report, default_run):
    figures = default_run / "figures"
    with open(figures / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        manifest = {r["figure_sha256"]: r for r in csv.DictReader(f)}
    captions = _expected_captions(figures)
    manifest_page = soup(report.parent / "manifest.html")
    shown = 0
    for page in notebook_pages(report):
        for output in soup(page).select(".cell_output"):
            items = output.select("img, p.msc-caption")
            images = [i for i in items if i.name == "img"]
            # each image is followed by its caption, before any other image
            assert [i.name for i in items] == ["img", "p"] * len(images), page
            for img, caption in zip(items[::2], items[1::2]):
                shown += 1
                png = (page.parent / unquote(img["src"])).resolve()
                row = manifest[hashlib.sha256(png.read_bytes()).hexdigest()]   # the file the page shows
                stem = row["figure"].removeprefix("figures/").removesuffix(".png")
                assert f"figures/{stem}." in caption.get_text(), page
                assert captions[stem] in caption.get_text(), (page, stem)
                href = caption.select_one("a.msc-manifest-link")["href"]
                assert href.startswith("../manifest.html#"), href
                entry = manifest_page.find(id=href.partition("#")[2])
                assert entry is not None, href
                lines = entry.select_one("pre").get_text().splitlines()
                assert any(line.startswith(row["figure"] + ",") and row["figure_sha256"] in line for line in lines)
    assert shown >= len({r["figure"] for r in manifest.values() if r["figure"].endswith(".png")})


def test_every_page_and_figure_loads_in_chromium(report, browser, default_run):
    import pandas as pd

    # a page shows a figure wherever its notebook made one for that study (other_endpoints makes none on
    # the default data, which has no parameter the collection does not know)
    manifest = pd.read_csv(default_run / "figures" / "MANIFEST.csv", keep_default_na=False)
    made = {(Path(nb).stem, f.split("/")[1] if not f.startswith("figures/published/") else "all")
            for nb, f in zip(manifest.notebook, manifest.figure)}
    pages = pages_of(report)
    assert len(pages) >= 1 + 5 * 3 + 1 + 1
    for page in pages:
        browser.get(page.as_uri())
        assert browser.title and "404" not in browser.title, page
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0]);")
        broken = [src for src, ok in images if not ok]
        assert not broken, f"{page}: images that did not load: {broken[:3]}"
        if page in notebook_pages(report) and (page.stem, page.parent.name) in made:
            assert images, f"{page} shows no figure"
            # the caption is drawn under its figure
            below = browser.execute_script(
                "return Array.from(document.querySelectorAll('p.msc-caption')).map(c => {"
                "  const img = c.closest('.cell_output').querySelectorAll('img');"
                "  const before = Array.from(img).filter(i => i.compareDocumentPosition(c) & 4).pop();"
                "  return before.getBoundingClientRect().bottom <= c.getBoundingClientRect().top + 1; });")
            assert below and all(below), page


def test_a_reader_unfolds_the_code(report, browser):
    from selenium.webdriver.common.by import By

    browser.get((report.parent / "CRATUS-P2" / "cohort.html").as_uri())
    cell = browser.find_element(By.CSS_SELECTOR, "div.cell.tag_injected-parameters")
    code = cell.find_element(By.CSS_SELECTOR, ".cell_input")
    assert not code.is_displayed()
    cell.find_element(By.TAG_NAME, "summary").click()
    # the theme opens <details> from a click handler: wait for it rather than race it (it failed on a loaded CI)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda _: code.is_displayed())
    assert 'data_dir = "data/synthetic"' in code.text
