"""figures/captions.csv and `make manuscript`: the example manuscript compiles to PDF from numbers.typ and
figures/, and refuses a quoted name that does not exist, stale numbers and a figure that is not current.

The runs are built in scratch folders from the committed estimates.csv, scorecard.csv and figures/, so these
tests do not depend on whether the committed numbers files exist yet. pypdf is not a dependency: what the PDF
shows is read back from the compiled document with ``typst query`` (every quoted value leaves metadata).
"""

import hashlib
import json
import os
import re
import shutil
import subprocess

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from msc_frailty import manuscript as M
from msc_frailty import numbers as N
from msc_frailty import style
from msc_frailty.paths import FIGURES, RESULTS, ROOT

FIGS = ["CRATUS-P2/six_minute_walk", "published/safety_bounds"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run folder (results/, figures/) made from the committed outputs, with numbers and captions written."""
    out = tmp_path_factory.mktemp("run")
    (out / "results").mkdir()
    for name in ("estimates.csv", "scorecard.csv"):
        shutil.copy(RESULTS / name, out / "results" / name)
    shutil.copytree(FIGURES, out / "figures", ignore=shutil.ignore_patterns("captions.csv"))
    N.write_numbers(out / "results")
    M.write_captions(out / "figures")
    return out


@pytest.fixture
def copy(run, tmp_path):
    """A copy of the run and of manuscript/ that a test may break."""
    shutil.copytree(run, tmp_path / "run")
    shutil.copytree(ROOT / "manuscript", tmp_path / "manuscript", ignore=shutil.ignore_patterns("build"))
    return tmp_path


def build(folder):
    return M.build_manuscript(folder / "manuscript" / "manuscript.typ", folder / "out.pdf",
                              folder / "run" / "results", folder / "run" / "figures")


# --- captions.csv ---------------------------------------------------------------------------------------

def test_captions_has_one_row_per_figure_with_its_basis(run):
    captions = M.read_captions(run / "figures")
    assert list(captions.columns) == M.CAPTION_COLUMNS
    manifest = pd.read_csv(run / "figures" / "MANIFEST.csv", keep_default_na=False)
    stems = sorted({f.removeprefix("figures/").rsplit(".", 1)[0] for f in manifest.figure})
    assert list(captions.figure) == stems
    by = captions.set_index("figure")
    # the basis stamped on each face: published summaries for the published figures, except the scorecard
    assert by.loc["published/forest_implied_effects", "basis"] == "published"
    assert by.loc["published/scorecard", "basis"] == "synthetic"
    assert by.loc["CRATUS-P2/six_minute_walk", "basis"] == "synthetic"
    assert by.loc["CRATUS-P2/six_minute_walk", "notebook"] == "notebooks/physical_performance.ipynb"
    for stem, caption in by.caption.items():   # what the PNG holds, "" while a figure has none
        assert caption == style.read_caption(run / "figures" / f"{stem}.png")


def test_captions_are_read_from_the_png_and_escaped_for_spreadsheets(tmp_path):
    out = tmp_path / "o"
    rows = []
    for study, text in (("S1", style.caption("Change by arm", "n per arm: A 5", "Mean and 95% t interval", "supplied")),
                        ("S2", "=HYPERLINK(1)")):
        fig = plt.figure(figsize=(85 / 25.4, 2))  # a print width
        fig.text(0.5, 0.5, "x")
        for path in style.save_figure(fig, "f", out, study, "supplied", caption=text):
            rows.append({"figure": f"figures/{study}/{path.name}", "notebook": "notebooks/n.ipynb", "basis": "supplied",
                         "figure_sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    pd.DataFrame(rows).to_csv(out / "figures" / "MANIFEST.csv", index=False)
    M.write_captions(out / "figures")
    assert "'=HYPERLINK(1)" in (out / "figures" / "captions.csv").read_text()
    captions = M.read_captions(out / "figures").set_index("figure")
    assert captions.loc["S1/f", "caption"] == ("Change by arm. n per arm: A 5. Mean and 95% t interval. "
                                               "Supplied patient-level data.")
    assert captions.loc["S2/f", "caption"] == "=HYPERLINK(1)"
    assert set(captions.basis) == {"supplied"}


# --- the manuscript -----------------------------------------------------------------------------------------

def test_manuscript_builds_to_pdf_with_the_generated_numbers_and_current_figures(copy):
    pdf = build(copy)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    compiler = M._compiler(copy / "manuscript" / "manuscript.typ", copy / "run" / "results", copy / "run" / "figures")
    quoted = M._query(compiler, M.NUMBER_LABEL)
    numbers = json.loads((copy / "run" / "results" / "numbers.json").read_text())["numbers"]
    # every value in the document is the one numbers.json has, and the results paragraph quotes the main ones
    for q in quoted:
        assert q["value"] == numbers[q["name"]][q["field"]]
    names = {q["name"] for q in quoted}
    assert {"cratus-p2.sixmwd.v6.100m-vs-placebo.ancova", "cratus-p2.tesae30.100m.clopper-pearson",
            "cratus-p2.tesae30.across-arms.fisher-exact"} <= names
    assert numbers["cratus-p2.sixmwd.v6.100m-vs-placebo.ancova"]["text"] == "34 m (95% CI −4 to 71; P = .07)"
    assert [f["stem"] for f in M._query(compiler, M.FIGURE_LABEL)] == FIGS
    # the same bytes again, and only Typst's embedded fonts (plus those the figures embed) in it
    assert build(copy).read_bytes() == data
    assert b"LibertinusSerif" in data


def test_synthetic_label_is_on_the_face_only_for_synthetic_data(copy):
    # the manuscript shows numbers.typ's `notice` in a box (and the page header) when it says synthetic
    src = copy / "manuscript" / "manuscript.typ"
    compiler = M._compiler(src, copy / "run" / "results", copy / "run" / "figures")
    assert M._query(compiler, "<msc-notice>") == ["SYNTHETIC DATA: generated, not trial results"]
    typ = copy / "run" / "results" / "numbers.typ"
    typ.write_text(typ.read_text().replace("#let synthetic = true", "#let synthetic = false"))
    compiler = M._compiler(src, copy / "run" / "results", copy / "run" / "figures")
    assert M._query(compiler, "<msc-notice>") == []


def test_a_name_numbers_does_not_have_stops_the_build(copy):
    src = copy / "manuscript" / "manuscript.typ"
    src.write_text(src.read_text() + '\nAlso #num("cratus-p2.sixmwd.v6.100m-vs-placebo.anova").\n')
    with pytest.raises(M.ManuscriptError, match='no value named "cratus-p2.sixmwd.v6.100m-vs-placebo.anova"'):
        build(copy)
    assert not (copy / "out.pdf").exists()


def test_a_figure_that_is_not_current_or_missing_stops_the_build(copy):
    figure = copy / "run" / "figures" / "CRATUS-P2" / "six_minute_walk.pdf"
    figure.write_bytes(figure.read_bytes().replace(b"%%EOF", b"%%EOF\n% changed after the run"))
    with pytest.raises(M.ManuscriptError, match="six_minute_walk.pdf is not current"):
        build(copy)
    assert not (copy / "out.pdf").exists()
    manifest = copy / "run" / "figures" / "MANIFEST.csv"
    text = manifest.read_text()
    manifest.write_text("\n".join(x for x in text.splitlines() if "six_minute_walk.pdf" not in x) + "\n")
    with pytest.raises(M.ManuscriptError, match="six_minute_walk.pdf is not in"):
        build(copy)
    figure.unlink()
    with pytest.raises(M.ManuscriptError, match="six_minute_walk.pdf"):
        build(copy)


def test_an_estimate_changed_without_rerunning_stops_the_build(copy):
    est = copy / "run" / "results" / "estimates.csv"
    text = est.read_text()
    # the quoted CRATUS-P2 6MWD 100M-vs-placebo ANCOVA row, its estimate moved by 1 m
    row = re.search(r"\nphysical_performance,CRATUS-P2,SIXMWD,6,vs_placebo,100M,Placebo,10,10,([^,]+),.*,ancova,", text)
    assert row is not None
    edited = row.group(0).replace(f",{row.group(1)},", f",{float(row.group(1)) + 1:g},", 1)
    est.write_text(text.replace(row.group(0), edited))
    with pytest.raises(M.ManuscriptError, match="numbers.json differs from what estimates.csv"):
        build(copy)


def test_missing_numbers_are_named(copy):
    (copy / "run" / "results" / "numbers.typ").unlink()
    with pytest.raises(M.ManuscriptError, match="numbers.typ is missing"):
        build(copy)


def test_make_manuscript(run, tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON", "PYTHON_SYSTEM", "VENV")}
    pdf = tmp_path / "m.pdf"
    proc = subprocess.run(["make", "--no-print-directory", "manuscript", f"OUT={run}", f"MANUSCRIPT_PDF={pdf}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    # a stale run fails, naming the problem, with a non-zero exit
    broken = tmp_path / "broken"
    shutil.copytree(run, broken)
    (broken / "results" / "numbers.json").write_text("{}")
    proc = subprocess.run(["make", "--no-print-directory", "manuscript", f"OUT={broken}",
                           f"MANUSCRIPT_PDF={tmp_path / 'no.pdf'}"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0 and "numbers.json differs" in proc.stderr
    assert not (tmp_path / "no.pdf").exists()


def test_every_committed_figure_has_its_generated_caption():
    """Issue 9: a caption per figure (what, n, test, basis), and synthetic figures say so in it."""
    import csv

    figures = ROOT / "figures"
    with open(figures / "captions.csv", newline="", encoding="utf-8") as f:
        rows = {r["figure"]: r for r in csv.DictReader(f)}
    pngs = {str(p.relative_to(figures).with_suffix("")) for p in figures.rglob("*.png")}
    assert set(rows) == pngs
    for name, row in rows.items():
        assert row["caption"].strip(), f"{name} has no caption"
        assert (row["basis"] == "synthetic") == ("SYNTHETIC DATA" in row["caption"]), name
        assert row["caption"] == style.read_caption(figures / f"{name}.png"), name
