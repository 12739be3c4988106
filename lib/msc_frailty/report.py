"""A static HTML site of the executed notebooks, for reviewers (Sphinx + MyST-NB; nothing is re-executed).

``python -m msc_frailty.report --notebooks build/notebooks --out build/report`` (what ``make report``
runs after ``make reproduce``). The site reads as a paper:

- the Jupyter Book theme (``sphinx-book-theme``, on the PyData theme), built offline: every script, style
  sheet and font comes with the theme, nothing is fetched from a CDN;
- every code cell is folded (tag ``hide-input`` on the copies the site renders, never on the notebooks
  themselves), the injected-parameters cell too; a reader unfolds one with "Show code";
- under every figure its generated caption (``figures/captions.csv``, else the caption embedded in the PNG,
  :func:`msc_frailty.captions.read_caption`) and a link to its lines of ``figures/MANIFEST.csv`` on the page
  ``manifest.html``, one anchor per figure (:func:`figure_anchor`). A figure shown in a notebook is matched
  to its file by the sha256 of the PNG bytes, which MANIFEST.csv lists as ``figure_sha256``;
- the data basis on the index and, for SYNTHETIC data, a banner on every page.

The executed notebooks carry no path of the machine that ran them (:func:`msc_frailty.runner.portable_notebook`),
and neither does the site: no sources are copied into it and Sphinx's pickled environment stays in the build
folder beside it (``<out>-src``).
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .paths import BUILD, RESULTS, resolve

TITLE = "MSC in aging frailty: executed notebooks"
#: The banner on every page of a site made from the synthetic default.
SYNTHETIC_BANNER = ("<strong>SYNTHETIC DATA.</strong> Generated from the published record plus named assumptions: "
                    "agreement with the papers is by construction; these are not trial results.")
#: The page listing figures/MANIFEST.csv, one anchor per figure.
MANIFEST_PAGE = "manifest"
TAG = "hide-input"
#: The MANIFEST fields a figure's entry on the MANIFEST page sums up above its lines.
SUMMARY = ("notebook", "parameters", "basis", "package_version", "commit")

CONF = '''
project = {title!r}
author = "The msc-frailty contributors"
extensions = ["myst_nb"]
nb_execution_mode = "off"           # the runner executed them; the site only renders
nb_code_prompt_show = "Show code"
nb_code_prompt_hide = "Hide code"
html_theme = "sphinx_book_theme"    # pinned; its scripts, styles and fonts ship with it (no CDN)
html_title = project
html_theme_options = {{
    "announcement": {announcement!r},
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,   # the downloads would be the site's copies, not the executed notebooks
    "use_fullscreen_button": True,
}}
html_static_path = ["_static"]
html_css_files = ["msc-report.css"]
html_copy_source = False            # no source copies in the site
html_show_sourcelink = False
html_last_updated_fmt = None
exclude_patterns = ["_build", "_doctrees"]
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]
'''

CSS = """\
.msc-caption { font-size: 0.9em; line-height: 1.45; margin: 0.25em 0 1.5em; max-width: 46em; }
.msc-caption .msc-figure-label { font-weight: 600; }
.msc-caption .msc-provenance { color: var(--pst-color-text-muted); }
.msc-manifest-entry pre { font-size: 0.75em; white-space: pre; overflow-x: auto; }
.msc-manifest-entry h3 { font-size: 1.05em; }
"""


# --- MANIFEST.csv and captions ---------------------------------------------------------------------------

def read_manifest(figures) -> list[dict]:
    """The lines of ``<figures>/MANIFEST.csv``: its fields, plus ``line`` (the CSV line as written, for quoting)
    and ``stem`` (the figure under ``figures/`` without extension, e.g. ``CRATUS-P2/dose_forest``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "MANIFEST.csv").write_text("figure,figure_sha256\\nfigures/S1/walk.png,ab12\\n")
    >>> [(r["stem"], r["line"]) for r in read_manifest(folder)]
    [('S1/walk', 'figures/S1/walk.png,ab12')]
    """
    path = resolve(figures) / "MANIFEST.csv"
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader(lines[:1]))
    rows = []
    for line in lines[1:]:
        row = dict(zip(header, next(csv.reader([line]))))
        row["line"] = line
        row["stem"] = str(Path(row["figure"]).relative_to("figures").with_suffix("").as_posix())
        rows.append(row)
    return rows


def read_captions(figures, stems) -> dict[str, str]:
    """The caption of each figure ``stem``: from ``<figures>/captions.csv`` when it has one, else the caption
    embedded in ``<figures>/<stem>.png`` (:func:`msc_frailty.captions.read_caption`), else ``""``."""
    from .names import unescape_cell
    from .captions import read_caption

    figures = resolve(figures)
    table = {}
    if (figures / "captions.csv").is_file():
        with open(figures / "captions.csv", newline="", encoding="utf-8") as f:
            table = {unescape_cell(r["figure"]): unescape_cell(r.get("caption") or "") for r in csv.DictReader(f)}
    out = {}
    for stem in stems:
        png = figures / f"{stem}.png"
        out[stem] = table.get(stem) or (read_caption(png) if png.is_file() else "")
    return out


def figure_anchor(stem: str, taken: set | None = None) -> str:
    """The HTML id of a figure on the MANIFEST page: ``figure-`` and its stem, every run of other characters than
    ``A-Za-z0-9_-`` made ``-``; the first 8 hex digits of the stem's sha256 are appended when that id is in ``taken``.

    Examples
    --------
    >>> figure_anchor("CRATUS-P2/six_minute_walk")
    'figure-CRATUS-P2-six_minute_walk'
    >>> figure_anchor("A B/x", taken={"figure-A-B-x"})
    'figure-A-B-x-f9338566'
    """
    anchor = "figure-" + re.sub(r"[^A-Za-z0-9_-]+", "-", stem)
    if taken and anchor in taken:
        anchor += "-" + hashlib.sha256(stem.encode()).hexdigest()[:8]
    return anchor


# --- the notebooks' copies -------------------------------------------------------------------------------

def caption_html(number: int, stem: str, caption: str, manifest_href: str) -> str:
    """The HTML under a figure: its number on the page, its caption, its files and a link to its MANIFEST lines.

    Examples
    --------
    >>> print(caption_html(1, "S1/walk", "Change in 6MWD <by arm>.",
    ...                    "../manifest.html#figure-S1-walk"))  # doctest: +NORMALIZE_WHITESPACE
    <p class="msc-caption" id="figure-S1-walk"><span class="msc-figure-label">Figure 1.</span>
    Change in 6MWD &lt;by arm&gt;. <span class="msc-provenance">(<code>figures/S1/walk.{pdf,svg,png}</code>;
    <a class="msc-manifest-link" href="../manifest.html#figure-S1-walk">MANIFEST line</a>)</span></p>
    """
    anchor = manifest_href.rpartition("#")[2]
    return (f'<p class="msc-caption" id="{anchor}"><span class="msc-figure-label">Figure {number}.</span> '
            + (f"{html.escape(caption)} " if caption else "")
            + f'<span class="msc-provenance">(<code>figures/{html.escape(stem)}.{{pdf,svg,png}}</code>; '
            f'<a class="msc-manifest-link" href="{html.escape(manifest_href)}">MANIFEST line</a>)</span></p>')


def fold_and_caption(nb: dict, figures_by_sha: dict, captions: dict, anchors: dict, prefix: str) -> list[str]:
    """Prepare a notebook's copy for the site, in place: tag every code cell ``hide-input`` (folded), and put
    :func:`caption_html` after every figure output whose PNG bytes are a figure of MANIFEST.csv.

    Parameters
    ----------
    nb : dict
        The notebook's JSON.
    figures_by_sha : dict
        sha256 of a PNG file -> its figure stem.
    captions, anchors : dict
        Figure stem -> caption, and -> its id on the MANIFEST page.
    prefix : str
        The way from the page to the site's root (``"../"`` for ``<study>/<name>.html``).

    Returns
    -------
    list of str
        The stems of the figures shown, in page order.
    """
    shown = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if TAG not in tags:
            tags.append(TAG)
        outputs = []
        for output in cell.get("outputs", []):
            outputs.append(output)
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            data = "".join(png) if isinstance(png, list) else png
            stem = figures_by_sha.get(hashlib.sha256(base64.b64decode(data)).hexdigest())
            if stem is None:
                continue
            shown.append(stem)
            href = f"{prefix}{MANIFEST_PAGE}.html#{anchors[stem]}"
            outputs.append({"output_type": "display_data", "metadata": {},
                            "data": {"text/html": caption_html(len(shown), stem, captions.get(stem, ""), href)}})
        if "outputs" in cell:
            cell["outputs"] = outputs
    return shown


# --- pages -----------------------------------------------------------------------------------------------

def manifest_page(manifest: list[dict], captions: dict, anchors: dict, shown_on: dict) -> str:
    """The MyST source of the MANIFEST page: for each figure (anchor :func:`figure_anchor`) its caption, the
    page that shows it and its lines of MANIFEST.csv as written, under the header line."""
    header = ",".join(k for k in manifest[0] if k not in ("line", "stem")) if manifest else ""
    lines = ["# Figure provenance (MANIFEST.csv)", "",
             "Every figure file with what made it: the notebook and its parameters, the data basis, the sha256 of the "
             "input data, of all inputs together and of the file, the package version and the commit of the inputs. "
             "Quote a figure's line when you cite it.", "", "```{raw} html"]
    by_stem: dict[str, list[dict]] = {}
    for row in manifest:
        by_stem.setdefault(row["stem"], []).append(row)
    for stem, rows in sorted(by_stem.items()):
        pages = ", ".join(f'<a href="{html.escape(page)}.html#{anchors[stem]}">{html.escape(page)}</a>'
                          for page in shown_on.get(stem, []))
        lines += [f'<section class="msc-manifest-entry" id="{anchors[stem]}">',
                  f'<h3>{html.escape(stem)} <a class="headerlink" href="#{anchors[stem]}">#</a></h3>',
                  f"<p>{html.escape(captions.get(stem, ''))}</p>" if captions.get(stem) else "",
                  f"<p>Shown in {pages}.</p>" if pages else "<p>Not shown in an executed notebook.</p>",
                  "<p>" + " · ".join(html.escape(f"{k} {rows[0][k]}") for k in SUMMARY if rows[0].get(k)) + "</p>",
                  "<pre>" + html.escape("\n".join([header] + [r["line"] for r in rows])) + "</pre>",
                  "</section>"]
    lines += ["```", ""]
    return "\n".join(lines)


def index_page(studies: dict, basis: str) -> str:
    """The MyST source of the index: the data basis, how to read the pages, a table of contents per study."""
    lines = [f"# {TITLE}", ""]
    if basis == "synthetic":
        lines += ["**SYNTHETIC DATA.** These notebooks ran on the embedded synthetic default, generated from the "
                  "published record plus named assumptions; agreement with the papers is by construction and "
                  "says nothing new about the trials.", ""]
    else:
        lines += [f"Data basis: {basis}.", ""]
    lines += ["Each page is one notebook as the runner executed it. Code is folded (**Show code** unfolds it); "
              "every figure has its generated caption under it and a link to its line of "
              f"[MANIFEST.csv]({MANIFEST_PAGE}.md), which names the inputs that made it.", ""]
    for study, pages in studies.items():
        title = study if study != "all" else "All studies"
        lines += ["```{toctree}", ":maxdepth: 1", f":caption: {title}", "", *pages, "```", ""]
    lines += ["```{toctree}", ":hidden:", ":caption: Provenance", "", MANIFEST_PAGE, "```", ""]
    return "\n".join(lines)


def build_report(notebooks, out, results=RESULTS, figures=None) -> Path:
    """Build the site from a folder of executed notebooks (``<study>/<name>.ipynb``); returns index.html.

    Parameters
    ----------
    notebooks : str or Path
        The executed notebooks (``build/notebooks``, or ``<OUT>/notebooks``).
    out : str or Path
        The site's folder (replaced); Sphinx's sources and environment go to ``<out>-src`` beside it.
    results : str or Path
        The run's results folder (``run.json`` gives the data basis).
    figures : str or Path, optional
        The run's figures folder (``MANIFEST.csv``, ``captions.csv``, the PNGs); default: beside ``results``.

    Returns
    -------
    Path
        ``<out>/index.html``.

    Raises
    ------
    FileNotFoundError
        When there is no executed notebook under ``notebooks``.
    RuntimeError
        When Sphinx fails (its last messages included).

    Examples
    --------
    >>> build_report("build/notebooks", "build/report")  # doctest: +SKIP
    PosixPath('.../build/report/index.html')
    """
    notebooks, out, results = resolve(notebooks), resolve(out), resolve(results)
    figures = results.parent / "figures" if figures is None else resolve(figures)
    sources = sorted(notebooks.glob("*/*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no executed notebooks under {notebooks}: run `make reproduce` first")
    run = json.loads((results / "run.json").read_text()) if (results / "run.json").is_file() else {}
    basis = run.get("basis", "unknown")

    manifest = read_manifest(figures)
    stems = sorted({r["stem"] for r in manifest})
    captions = read_captions(figures, stems)
    anchors: dict[str, str] = {}
    for stem in stems:
        anchors[stem] = figure_anchor(stem, set(anchors.values()))
    figures_by_sha = {r["figure_sha256"]: r["stem"] for r in manifest if r["figure"].endswith(".png")}

    src = out.with_name(out.name + "-src")
    shutil.rmtree(src, ignore_errors=True)
    (src / "_static").mkdir(parents=True)
    (src / "_static" / "msc-report.css").write_text(CSS)
    banner = SYNTHETIC_BANNER if basis == "synthetic" else ""
    (src / "conf.py").write_text(CONF.format(title=TITLE, announcement=banner))
    studies: dict[str, list[str]] = {}
    shown_on: dict[str, list[str]] = {}
    for source in sources:
        study, page = source.parent.name, f"{source.parent.name}/{source.stem}"
        nb = json.loads(source.read_text(encoding="utf-8"))
        for stem in fold_and_caption(nb, figures_by_sha, captions, anchors, prefix="../"):
            shown_on.setdefault(stem, []).append(page)
        (src / study).mkdir(exist_ok=True)
        (src / study / source.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        studies.setdefault(study, []).append(page)
    (src / "index.md").write_text(index_page(studies, basis), encoding="utf-8")
    (src / f"{MANIFEST_PAGE}.md").write_text(manifest_page(manifest, captions, anchors, shown_on), encoding="utf-8")

    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(src / "_doctrees"),
                           str(src), str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"sphinx-build failed:\n{proc.stderr[-3000:]}")
    return out / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the static HTML report of the executed notebooks.")
    parser.add_argument("--notebooks", default=str(BUILD / "notebooks"))
    parser.add_argument("--out", default=str(BUILD / "report"))
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--figures", default=None, help="figures folder (default: beside --results)")
    args = parser.parse_args(argv)
    try:
        index = build_report(args.notebooks, args.out, args.results, args.figures)
    except (FileNotFoundError, RuntimeError) as err:
        print(f"report: {err}", file=sys.stderr)
        return 1
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
