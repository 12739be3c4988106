"""The browsable report: built from the executed notebooks, every page and figure loads in headless Chromium."""

import os
import shutil
from pathlib import Path

import pytest

from msc_frailty.report import build_report
from msc_frailty.runner import notebooks, scope_of

pytestmark = pytest.mark.notebooks
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def report(default_run, tmp_path_factory):
    index = build_report(default_run / "notebooks", tmp_path_factory.mktemp("report") / "site",
                         default_run / "results")
    return index


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


def test_every_page_and_figure_loads_in_chromium(report, browser, default_run):
    import pandas as pd

    # a page shows a figure wherever its notebook made one for that study (other_endpoints makes none on
    # the default data, which has no parameter the collection does not know)
    manifest = pd.read_csv(default_run / "figures" / "MANIFEST.csv", keep_default_na=False)
    made = {(Path(nb).stem, f.split("/")[1] if not f.startswith("figures/published/") else "all")
            for nb, f in zip(manifest.notebook, manifest.figure)}
    pages = [report] + sorted(report.parent.glob("*/*.html"))
    pages = [p for p in pages if p.parent.name not in ("_sources", "_static")]
    assert len(pages) >= 1 + 5 * 3 + 1
    for page in pages:
        browser.get(page.as_uri())
        assert browser.title and "404" not in browser.title, page
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0]);")
        broken = [src for src, ok in images if not ok]
        assert not broken, f"{page}: images that did not load: {broken[:3]}"
        if page != report and (page.stem, page.parent.name) in made:
            assert images, f"{page} shows no figure"
