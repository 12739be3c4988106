"""Untrusted identifiers (issue 8, item 6): values from the data never become paths unchecked, and text
from the data in a CSV output cannot start a spreadsheet formula.

- hostile STUDYIDs stop the runner with file, column and rows named, a non-zero exit, nothing written
  outside OUT and OUT's previous content intact;
- the writers (figures, estimates, tables) refuse a study or name that is not one safe file name;
- PARAMCDs map to safe figure names; the known names are those of the committed figures; no collisions;
- text cells starting a formula are escaped, numbers are not, and the committed outputs are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import write_dataset

from msc_frailty import consort, names, plots, results, style
from msc_frailty.analysis import PLAN_COLUMNS
from msc_frailty.paths import FIGURES, NOTEBOOKS, RESULTS

HOSTILE = ["../../escape", "a/b", ".hidden", "x\x01y", "..", ".", "", "a\\b", "x\ny", "x\x7fy",
           "\u202eevil", "z" * 101, "\u00e9" * 60]
SAFE = ["CRATUS-P2", "LOMECEL-P2B", "TOY-1", "0042", "study 1", "a..b", "\u00e9tude", "z" * 100]


def listing(folder: Path, skip: Path | None = None) -> dict:
    """{relative path: sha256 or 'dir'} of everything under folder, except under ``skip``."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if skip is not None and (p == skip or p.is_relative_to(skip)):
            continue
        out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


# --- which names are safe ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused(name):
    assert names.component_problem(name) is not None
    with pytest.raises(ValueError, match="cannot be used in a file name"):
        names.check_component(name, "study")


@pytest.mark.parametrize("name", SAFE)
def test_safe_names_pass(name):
    assert names.component_problem(name) is None
    assert names.study_problem(name) is None


@pytest.mark.parametrize("study", ["all", "ALL", "published", "Published"])
def test_reserved_study_names(study):
    assert names.component_problem(study) is None
    assert "reserved" in names.study_problem(study)


def test_inside_refuses_a_symbolic_link_out(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path / "elsewhere")
    assert names.inside(tmp_path / "out", "figures", "x.png") == tmp_path / "out" / "figures" / "x.png"
    with pytest.raises(ValueError, match="resolves outside"):
        names.inside(tmp_path / "out", "link", "x.png")
    with pytest.raises(ValueError, match="path separator"):
        names.inside(tmp_path / "out", "../x.png")


# --- the writers refuse what a notebook passes them directly (papermill -p study ...) -------------------

def _rows(study="S1", arm="100M"):
    return pd.DataFrame([["physical_performance", study, "SIXMWD", 6.0, "change_from_baseline", arm, "", 10,
                          np.nan, -12.5, -20.0, -5.0, 0.01, "paired_t", "supplied"]],
                        columns=PLAN_COLUMNS).assign(bound="")


@pytest.mark.parametrize("study", ["../../escape", "a/b", ".hidden", "x\x01y", ".."])
def test_write_estimates_refuses_an_escaping_study(tmp_path, study):
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    before = listing(tmp_path)
    with pytest.raises(ValueError, match="study"):
        results.write_estimates(_rows(study), out, "physical_performance", study)
    assert listing(tmp_path) == before


@pytest.mark.parametrize("study", ["../../escape", "a/b", ".hidden", "x\x01y"])
def test_save_figure_refuses_an_escaping_study_or_name(tmp_path, study):
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    before = listing(tmp_path)
    for kwargs in ({"name": "fig", "study": study}, {"name": study, "study": "S1"}):
        fig, _ = plt.subplots()
        with pytest.raises(ValueError, match="cannot be used in a file name"):
            style.save_figure(fig, output_dir=out, basis="supplied", **kwargs)
        plt.close(fig)
    assert listing(tmp_path) == before


@pytest.mark.parametrize("name", ["table1_../../escape", "../table1", ".table1", "table1_x\x01y"])
def test_save_table_refuses_an_escaping_name(tmp_path, name):
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    before = listing(tmp_path)
    with pytest.raises(ValueError, match="cannot be used in a file name"):
        consort.save_table(pd.DataFrame({"x": [1]}), out, name)
    assert listing(tmp_path) == before


def test_save_figure_refuses_a_figures_folder_linked_outside(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "figures").symlink_to(elsewhere)
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="resolves outside"):
        style.save_figure(fig, "fig", out, "S1", "supplied")
    plt.close(fig)
    assert not list(elsewhere.iterdir())


# --- parameter codes to figure names ---------------------------------------------------------------------

def test_known_figure_names_are_those_of_the_committed_figures():
    assert {code: plots.figure_name(code) for code in names.FIGURE_NAMES} == {
        "SIXMWD": "six_minute_walk", "SPPB": "sppb", "FEV1": "fev1", "SF36PCS": "sf36_pcs", "SQOLF": "sqol_f",
        "TNFA": "tnf_alpha", "BCTNFA": "b_cell_tnf_alpha"}
    allowed = names.RESERVED_FIGURE_NAMES
    for folder in (p for p in FIGURES.iterdir() if p.is_dir()):
        for f in folder.glob("*.png"):
            assert f.stem in allowed, f"committed figure {f} has a name the collection no longer gives"


def test_every_fixed_figure_name_of_the_notebooks_is_reserved():
    literals = set()
    for nb in NOTEBOOKS.glob("*.ipynb"):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            literals |= set(re.findall(r"save_(?:and_show|figure)\(\s*\w+\s*,\s*\"([^\"]+)\"", source))
    assert literals, "the pattern no longer finds the notebooks' figure names"
    assert literals <= names.FIXED_FIGURE_NAMES, sorted(literals - names.FIXED_FIGURE_NAMES)


@pytest.mark.parametrize("code", HOSTILE + ["CONSORT", "Safety Events", "tnf alpha", "TNF alpha log ratio",
                                            "SIX_MINUTE_WALK", "IL-6 (serum)", "%%%", "\u00e9\u00e9"])
def test_unknown_codes_map_to_one_safe_name_of_their_own(code):
    for suffix in ("", "_log_ratio"):
        name = plots.figure_name(code, suffix)
        assert re.fullmatch(r"[a-z0-9][a-z0-9_]*", name), name
        assert names.component_problem(name) is None
    if code not in names.FIGURE_NAMES:
        assert plots.figure_name(code) not in names.RESERVED_FIGURE_NAMES
        assert len(plots.figure_name(code)) <= names.MAX_FILE_STEM + 1 + names.HASH_CHARS


def test_mapping_is_readable_when_safe_and_stable_across_processes():
    assert plots.figure_name("IL-6 (serum)") == "il_6_serum"
    assert plots.figure_name("CRP") == "crp"
    # plots.figure_name is endpoints.figure_name: the new process imports less
    from msc_frailty import endpoints

    assert plots.figure_name is endpoints.figure_name
    code = "from msc_frailty.endpoints import figure_name; print(figure_name('CONSORT'), figure_name('..'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == [plots.figure_name("CONSORT"), plots.figure_name("..")]
    assert plots.figure_name("CONSORT") == "consort_570ab4d8"   # the documented hash: sha256, 8 hex digits


def test_names_that_would_collide_are_hashed_apart_or_reported():
    codes = ["CONSORT", "consort", "SIXMWD", "SIX MINUTE WALK", "..", "...", "x" * 60, "x" * 61]
    taken = [plots.figure_name(c) for c in codes]
    assert len(set(taken)) == len(codes), taken
    assert names.figure_name_clashes(codes) == {}
    assert names.figure_name_clashes(["IL-6", "il 6", "TNFA"]) == {"il_6": ["IL-6", "il 6"],
                                                                     "il_6_log_ratio": ["IL-6", "il 6"]}


# --- formulas in CSV cells ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)",
                                  "\t=1", "\r=1", "'quoted", "-", "-inf", "=HYPERLINK(\"http://x\")"])
def test_formula_text_is_escaped_and_read_back_unchanged(text):
    assert names.escape_cell(text) == "'" + text
    assert names.unescape_cell(names.escape_cell(text)) == text


@pytest.mark.parametrize("value", ["-2.05", "+63.4", "-1e-05", "-.5", "Placebo", "100M", "", -2.05, -3, np.nan])
def test_numbers_and_ordinary_text_are_not_escaped(value):
    assert names.escape_cell(value) is value


def test_estimates_escape_text_cells_only(tmp_path):
    rows = _rows("S1", arm="=HYPERLINK(\"http://x\",\"100M\")")
    path = results.write_estimates(rows, tmp_path, "physical_performance", "S1")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw.loc[0, "arm"] == "'=HYPERLINK(\"http://x\",\"100M\")"
    assert (raw.loc[0, "estimate"], raw.loc[0, "ci_low"], raw.loc[0, "ci_high"]) == ("-12.5", "-20", "-5")
    assert results.read_estimates(tmp_path).loc[0, "arm"] == rows.loc[0, "arm"]
    # rebuilding from the parts does not escape twice
    again = results.combine_estimates(tmp_path)
    assert pd.read_csv(again, dtype=str, keep_default_na=False).loc[0, "arm"] == raw.loc[0, "arm"]


def test_tables_escape_text_cells_and_headers(tmp_path):
    table = pd.DataFrame({"variable": ["=cmd", "Age"], "@arm": ["-x", "72 (5)"], "n": [-3, 4]})
    raw = pd.read_csv(consort.save_table(table, tmp_path, "table1_S1"), dtype=str, keep_default_na=False)
    assert list(raw.columns) == ["variable", "'@arm", "n"]
    assert raw["variable"].tolist() == ["'=cmd", "Age"]
    assert raw["'@arm"].tolist() == ["'-x", "72 (5)"] and raw["n"].tolist() == ["-3", "4"]


def test_committed_outputs_are_unchanged_by_the_writer(tmp_path):
    shutil.copytree(RESULTS, tmp_path / "results")
    rebuilt = results.combine_estimates(tmp_path)
    assert rebuilt.read_bytes() == (RESULTS / "estimates.csv").read_bytes()
    for path in [RESULTS / "scorecard.csv", *sorted(RESULTS.glob("table1_*.csv"))]:
        copy = tmp_path / path.name
        results.atomic_write_csv(pd.read_csv(path, keep_default_na=False), copy)
        assert copy.read_bytes() == path.read_bytes(), path.name


# --- the runner on hostile data -------------------------------------------------------------------------

def _set_study(folder: Path, old: str, new: str):
    for name in ("adsl.csv", "adeff.csv", "adae.csv"):
        df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        df.loc[df["STUDYID"] == old, "STUDYID"] = new
        df.to_csv(folder / name, index=False, lineterminator="\n")


@pytest.mark.parametrize("study", ["../../escape", "a/b", ".hidden", "x\x01y", "all"])
def test_runner_refuses_a_hostile_studyid_and_writes_nothing(tmp_path, study, runner_cli):
    root = tmp_path / "root"
    data = write_dataset(root / "data")
    _set_study(data, "TOY-2", study)
    out = root / "deep" / "er" / "out"
    (out / "figures" / "TOY-1").mkdir(parents=True)
    (out / "figures" / "TOY-1" / "previous.png").write_bytes(b"previous run")
    before = listing(tmp_path)
    proc = runner_cli("--data", data, "--out", out)
    assert proc.returncode != 0
    assert "data error" in proc.stderr and "adsl.csv" in proc.stderr and "column STUDYID" in proc.stderr
    # TOY-2's subjects are lines 26-37 of adsl.csv (24 TOY-1 subjects after the header)
    assert "rows 26, 27, 28" in proc.stderr, proc.stderr
    assert repr(study) in proc.stderr
    assert listing(tmp_path) == before, "a refused run wrote or changed something"


def test_runner_refuses_studyids_differing_only_in_case(tmp_path, runner_cli):
    data = write_dataset(tmp_path / "data")
    _set_study(data, "TOY-2", "toy-1")
    proc = runner_cli("--data", data, "--out", tmp_path / "out")
    assert proc.returncode != 0 and "column STUDYID" in proc.stderr and "differ only in case" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_runner_refuses_paramcds_that_share_a_figure_name(tmp_path, runner_cli):
    data = write_dataset(tmp_path / "data")
    adeff = pd.read_csv(data / "adeff.csv", dtype=str, keep_default_na=False)
    adeff.loc[(adeff.PARAMCD == "TNFA") & (adeff.STUDYID == "TOY-1"), "PARAMCD"] = "IL-6"
    adeff.loc[(adeff.PARAMCD == "TNFA") & (adeff.STUDYID == "TOY-2"), "PARAMCD"] = "IL 6"
    adeff.to_csv(data / "adeff.csv", index=False, lineterminator="\n")
    proc = runner_cli("--data", data, "--out", tmp_path / "out")
    assert proc.returncode != 0
    assert "adeff.csv" in proc.stderr and "column PARAMCD" in proc.stderr and "'il_6'" in proc.stderr
    assert "rows 3, 5" in proc.stderr, proc.stderr   # TNFA is every second line from line 3
    assert not (tmp_path / "out").exists()
