"""Figure captions as data (``figures/captions.csv``) and the example manuscript (``make manuscript``).

``figures/captions.csv`` has one row per figure, written by the runner next to ``MANIFEST.csv``:

- ``figure``: the figure's stem under ``figures/``, e.g. ``CRATUS-P2/six_minute_walk`` (files ``.pdf``, ``.svg``,
  ``.png``);
- ``caption``: the caption embedded in its PNG (:func:`msc_frailty.captions.read_caption`; empty when it has none);
- ``basis``: the basis stamped on the figure's face, as ``MANIFEST.csv`` records it
  (:func:`msc_frailty.captions.figure_basis`, read by the runner);
- ``notebook``: the notebook that made it (as in MANIFEST.csv).

``make manuscript`` (:func:`build_manuscript`) compiles ``manuscript/manuscript.typ`` with Typst (the ``typst``
package, pinned; only the fonts embedded in it, so the PDF does not depend on the machine's fonts) into
``build/manuscript/manuscript.pdf``. Every number in it comes from ``results/numbers.typ``
(:mod:`msc_frailty.numbers`) and every figure from ``figures/`` through ``msc-figure`` of
``manuscript/msc.typ``, with its caption from ``figures/captions.csv``. The build is refused, with every
problem named, when:

- a numbers file is missing or stale (it differs from what estimates.csv and scorecard.csv give:
  :func:`msc_frailty.numbers.check_numbers`);
- the manuscript quotes a name that ``numbers.typ`` does not have (Typst stops with the name);
- a figure it shows is missing, not in ``figures/MANIFEST.csv``, or not the file the manifest lists (its sha256
  differs: the figure is not current).

Figures are included as PDF: Typst 0.15 reads PNG, JPEG, GIF, WebP, SVG and PDF, but an SVG's text is
set again in Typst's own fonts (matplotlib writes it as text in DejaVu Sans, which Typst does not embed),
so the SVG would not look like the figure; the PDF carries its own fonts.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from .paths import BUILD, FIGURES, RESULTS, ROOT, resolve

#: Columns of figures/captions.csv.
CAPTION_COLUMNS = ["figure", "caption", "basis", "notebook"]
#: The example manuscript and where ``make manuscript`` writes its PDF.
SOURCE = ROOT / "manuscript" / "manuscript.typ"
OUTPUT = BUILD / "manuscript" / "manuscript.pdf"
#: Metadata labels the manuscript's helpers leave for every quoted value and every figure shown.
NUMBER_LABEL, FIGURE_LABEL = "<msc-number>", "<msc-figure>"

class ManuscriptError(RuntimeError):
    """The manuscript cannot be built from the current results: each problem is named."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("the manuscript was not built:\n" + "\n".join(f"- {p}" for p in self.problems))


# --- captions.csv -------------------------------------------------------------------------------------

def captions_table(figures_dir) -> pd.DataFrame:
    """One row per figure listed in ``<figures_dir>/MANIFEST.csv`` (:data:`CAPTION_COLUMNS`), sorted.

    Examples
    --------
    >>> captions_table("figures").columns.tolist()
    ['figure', 'caption', 'basis', 'notebook']
    """
    from .captions import read_caption

    figures_dir = resolve(figures_dir)
    manifest = pd.read_csv(figures_dir / "MANIFEST.csv", keep_default_na=False, dtype=str)
    rows = {}
    for r in manifest.to_dict("records"):
        stem = str(Path(r["figure"]).relative_to("figures").with_suffix("").as_posix())
        rows.setdefault(stem, r)
    out = []
    for stem, r in sorted(rows.items()):
        png = figures_dir / f"{stem}.png"
        out.append({"figure": stem, "caption": read_caption(png) if png.is_file() else "",
                    "basis": r["basis"], "notebook": r["notebook"]})
    return pd.DataFrame(out, columns=CAPTION_COLUMNS)


def write_captions(figures_dir) -> Path:
    """Write ``<figures_dir>/captions.csv`` from its figures and ``MANIFEST.csv`` (module docstring).

    Text cells that a spreadsheet would run as a formula get a leading ``'``, as in every CSV of the
    collection (:func:`msc_frailty.results.escape_formulas`); :func:`read_captions` removes it again.
    """
    from .results import atomic_write_csv

    path = resolve(figures_dir) / "captions.csv"
    atomic_write_csv(captions_table(figures_dir), path)
    return path


def read_captions(figures_dir) -> pd.DataFrame:
    """``<figures_dir>/captions.csv`` as written (text cells unescaped)."""
    from .names import unescape_cell

    table = pd.read_csv(resolve(figures_dir) / "captions.csv", keep_default_na=False, dtype=str)
    return table.map(unescape_cell)


# --- the manuscript -----------------------------------------------------------------------------------

def check_figures(files, figures_dir) -> list[str]:
    """Problems with figure files (paths under ``figures_dir``, e.g. ``CRATUS-P2/consort.pdf``): missing, not
    in MANIFEST.csv, or not the file MANIFEST.csv lists (sha256)."""
    from .publish import file_digest   # the digest the runner writes to MANIFEST.csv

    figures_dir = resolve(figures_dir)
    manifest_path = figures_dir / "MANIFEST.csv"
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing: rerun the notebooks (make reproduce)"]
    with open(manifest_path, newline="", encoding="utf-8") as f:
        listed = {r["figure"]: r["figure_sha256"] for r in csv.DictReader(f)}
    problems = []
    for rel in sorted(set(files)):
        path, key = figures_dir / rel, f"figures/{rel}"
        if not path.is_file():
            problems.append(f"figure {rel} is missing from {figures_dir}")
        elif key not in listed:
            problems.append(f"figure {rel} is not in {manifest_path}")
        elif file_digest(path) != listed[key]:
            problems.append(f"figure {rel} is not current: its sha256 differs from {manifest_path} "
                            "(rerun the notebooks: make reproduce)")
    return problems


def _typst_path(path: Path, root: Path) -> str:
    return "/" + path.relative_to(root).as_posix()


def _compiler(source: Path, results_dir: Path, figures_dir: Path):
    """A Typst compiler for ``source`` reading numbers and figures from the given folders: the root is their
    common folder, and only Typst's embedded fonts are used (no system font lookup)."""
    import typst

    root = Path(os.path.commonpath([source.parent, results_dir, figures_dir]))
    inputs = {"numbers": _typst_path(results_dir / "numbers.typ", root),
              "figures": _typst_path(figures_dir, root),
              "captions": _typst_path(figures_dir / "captions.csv", root)}
    return typst.Compiler(str(source), root=str(root), font_paths=[], ignore_system_fonts=True, sys_inputs=inputs)


def _query(compiler, label: str) -> list:
    return [item["value"] for item in json.loads(compiler.query(label))]


def check_manuscript(source=SOURCE, results_dir=RESULTS, figures_dir=FIGURES) -> tuple[bytes | None, list[str]]:
    """Compile ``source`` and list what is wrong: stale numbers, a quoted name that does not exist, a figure
    that is missing or not current (module docstring).

    Returns
    -------
    pdf : bytes or None
        The compiled PDF (None when Typst stopped).
    problems : list of str
        Empty when the manuscript may be built.
    """
    import typst

    from .numbers import check_numbers, read_numbers

    source, results_dir, figures_dir = resolve(source), resolve(results_dir), resolve(figures_dir)
    problems = check_numbers(results_dir)
    missing = [p for p in (results_dir / "numbers.typ", figures_dir / "captions.csv") if not p.is_file()]
    if missing:
        return None, problems + [f"{p} is missing: rerun the notebooks (make reproduce)" for p in missing
                                 if not any(str(p) in q for q in problems)]
    compiler = _compiler(source, results_dir, figures_dir)
    try:
        pdf = compiler.compile()
    except typst.TypstError as err:
        return None, problems + [f"{source}: {err}"]
    if not problems:   # numbers.json is current (so it agrees with numbers.typ): every quoted name is in it
        known = read_numbers(results_dir)["numbers"]
        quoted = {q["name"] for q in _query(compiler, NUMBER_LABEL)}
        problems += [f"{source} quotes {n!r}, which {results_dir / 'numbers.json'} does not have"
                     for n in sorted(quoted - set(known))]
    problems += check_figures([f["file"] for f in _query(compiler, FIGURE_LABEL)], figures_dir)
    return pdf, problems


def build_manuscript(source=SOURCE, output=OUTPUT, results_dir=RESULTS, figures_dir=FIGURES) -> Path:
    """Compile the example manuscript to PDF, refusing stale numbers, unknown names and figures that are not
    current (:class:`ManuscriptError` lists them all); nothing is written then.

    Parameters
    ----------
    source : str or Path
        The Typst source (default ``manuscript/manuscript.typ``).
    output : str or Path
        The PDF (default ``build/manuscript/manuscript.pdf``, ignored by git).
    results_dir, figures_dir : str or Path
        A run's ``results/`` and ``figures/`` (default the repository's; ``make manuscript OUT=<folder>`` uses
        those of a ``make reproduce OUT=<folder>`` run).

    Returns
    -------
    Path
        The PDF.
    """
    pdf, problems = check_manuscript(source, results_dir, figures_dir)
    if problems:
        raise ManuscriptError(problems)
    output = resolve(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(pdf)
    os.replace(tmp, output)
    return output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the example manuscript from results/ and figures/.")
    parser.add_argument("--source", default=str(SOURCE), help="Typst source (default manuscript/manuscript.typ)")
    parser.add_argument("--out", default=None, help="a run's OUT folder: read its results/ and figures/")
    parser.add_argument("--pdf", default=str(OUTPUT), help="the PDF to write (default build/manuscript/manuscript.pdf)")
    args = parser.parse_args(argv)
    results_dir, figures_dir = (RESULTS, FIGURES) if args.out is None else (
        resolve(args.out) / "results", resolve(args.out) / "figures")
    try:
        path = build_manuscript(args.source, args.pdf, results_dir, figures_dir)
    except ManuscriptError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"manuscript: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
