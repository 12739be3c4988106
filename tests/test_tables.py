"""msc_frailty.data: efficacy in several BDS tables (contract section 1, "Real ADaM data"), tables left out,
the values no delivery holds, and ``make check-data`` refusing exactly what ``make reproduce`` refuses.

The delivery built here is the toy data set (conftest) with its efficacy records split as a trial team
delivers them, each table in another form: ``adft.xpt`` (SIXMWD, SPPB), ``adlb.json`` (TNFA, IL6, with
PARAM), ``adqs.csv`` (SF36PCS, and PGIC, a rating with no baseline, with PARAM and AVISIT) and
``adtte.xpt`` (time to event: no AVISITN, so not efficacy data). The reference folder holds the same
records in one ``adeff.csv``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import write_dataset

from msc_frailty import data, runner
from msc_frailty.data import DataError, add_change, load_trial

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
NUMERIC = ("AVISITN", "AVAL")


# ------------------------------------------------------------------------------------------ writers
def _xpt(df: pd.DataFrame, path: Path, numeric=NUMERIC):
    """A SAS XPORT v5 file of ``df``, the ``numeric`` columns stored as numbers (as SAS stores them)."""
    out = df.copy()
    for c in numeric:
        out[c] = pd.to_numeric(out[c].replace("", np.nan)).astype(float)
    pyreadstat.write_xport(out, str(path), file_format_version=5, table_name=path.stem.upper()[:8])


def _json(df: pd.DataFrame, path: Path, numeric=NUMERIC):
    """A CDISC Dataset-JSON 1.1 file of ``df`` (top-level ``columns`` and ``rows``; see msc_frailty.data)."""
    def value(v, c):
        return None if v == "" else float(v) if c in numeric else v
    columns = [{"itemOID": f"IT.{c}", "name": c, "label": c, "dataType": "double" if c in numeric else "string"}
               for c in df.columns]
    rows = [[value(v, c) for c, v in zip(df.columns, r)] for r in df.itertuples(index=False)]
    path.write_text(json.dumps({"datasetJSONVersion": "1.1.0", "name": path.stem.upper(), "records": len(rows),
                                "columns": columns, "rows": rows}))


def _read_xpt(path: Path) -> pd.DataFrame:
    df, _ = pyreadstat.read_xport(str(path))
    return df


def _csv(df: pd.DataFrame, path: Path):
    df.to_csv(path, index=False, lineterminator="\n")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _efficacy_tables(toy: Path) -> dict[str, pd.DataFrame]:
    """The toy's efficacy records and four more parameters, split into adft, adlb and adqs (text, as CSV)."""
    adeff = _read(toy / "adeff.csv")
    rng = np.random.default_rng(17)
    bds = ["STUDYID", "USUBJID", "PARAMCD", "AVISITN", "AVAL"]

    def new(code, visits, draw):
        subjects = adeff[adeff.PARAMCD == "SIXMWD"][["STUDYID", "USUBJID"]].drop_duplicates()
        rows = [(s, u, code, str(v), draw()) for s, u in subjects.itertuples(index=False) for v in visits]
        return pd.DataFrame(rows, columns=bds)

    adft = pd.concat([adeff[adeff.PARAMCD == "SIXMWD"],
                      new("SPPB", [0, 2, 4], lambda: str(int(rng.integers(0, 13))))], ignore_index=True)
    adlb = pd.concat([adeff[adeff.PARAMCD == "TNFA"],
                      new("IL6", [0, 2, 4], lambda: f"{rng.gamma(2.0, 1.5):.2f}")], ignore_index=True)
    adlb["PARAM"] = adlb["PARAMCD"].map({"TNFA": "Serum TNF-alpha (pg/mL)", "IL6": "Interleukin-6 (pg/mL)"})
    adqs = pd.concat([new("SF36PCS", [0, 2, 4], lambda: f"{rng.normal(40, 8):.1f}"),
                      new("PGIC", [2, 4], lambda: str(int(rng.integers(1, 8))))], ignore_index=True)
    adqs["PARAM"] = adqs["PARAMCD"].map({"SF36PCS": "SF-36 physical component score",
                                         "PGIC": "Patient global impression of change (1-7)"})
    adqs["AVISIT"] = adqs["AVISITN"].map(lambda v: "Baseline" if v == "0" else f"Month {v}")
    return {"adft": adft[bds], "adlb": adlb, "adqs": adqs}


def make_delivery(folder: Path) -> Path:
    """The toy's adsl and adae (CSV), adft.xpt, adlb.json, adqs.csv and adtte.xpt (no AVISITN)."""
    toy = write_dataset(folder)
    tables = _efficacy_tables(toy)
    (toy / "adeff.csv").unlink()
    _xpt(tables["adft"], toy / "adft.xpt")
    _json(tables["adlb"], toy / "adlb.json")
    _csv(tables["adqs"], toy / "adqs.csv")
    adsl = _read(toy / "adsl.csv")
    adtte = adsl[["STUDYID", "USUBJID"]].assign(PARAMCD="TTDEATH", AVAL=[f"{365 - i}" for i in range(len(adsl))],
                                               CNSR="1")
    _xpt(adtte, toy / "adtte.xpt", numeric=("AVAL",))
    return toy


def make_reference(folder: Path) -> Path:
    """The same records in one adeff.csv (the tables in the order of their names, their columns' union)."""
    toy = write_dataset(folder)
    tables = _efficacy_tables(toy)
    _csv(pd.concat(tables.values(), ignore_index=True).fillna(""), toy / "adeff.csv")
    return toy


@pytest.fixture
def delivery(tmp_path) -> Path:
    return make_delivery(tmp_path / "delivery")


def _raises(folder, file, column, unit, rows, **kwargs) -> DataError:
    """load_trial must raise a DataError naming file, column and rows; check-data must print it and exit 1."""
    with pytest.raises(DataError) as info:
        load_trial(folder, **kwargs)
    err = info.value
    assert Path(err.file).name == file and str(err).startswith(f"{err.file}, column {column}, "), str(err)
    assert err.column == column and err.unit == unit and err.rows == rows, str(err)
    assert f"{unit} {', '.join(map(str, rows[:10]))}" in str(err), str(err)
    return err


def _check_data(folder, capsys, *args) -> tuple[int, str, str]:
    """``python -m msc_frailty.data FOLDER`` (what ``make check-data`` runs), in this process."""
    code = data.main([str(folder), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------------------ several BDS tables
def test_mixed_delivery_loads_as_one_adeff(delivery, tmp_path):
    got, want = load_trial(delivery), load_trial(make_reference(tmp_path / "reference"))
    for name in ("adsl", "adeff", "adae"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name))
    pd.testing.assert_frame_equal(add_change(got), add_change(want))
    assert sorted(set(got.adeff["PARAMCD"])) == ["IL6", "PGIC", "SF36PCS", "SIXMWD", "SPPB", "TNFA"]
    assert list(got.adeff.columns) == ["STUDYID", "USUBJID", "PARAMCD", "AVISITN", "AVAL", "PARAM", "AVISIT"]
    assert got.adeff.loc[got.adeff.PARAMCD == "SIXMWD", "PARAM"].eq("").all()   # adft has no PARAM
    assert {k: p.name for k, p in got.files.items()} == {
        "adsl": "adsl.csv", "adft": "adft.xpt", "adlb": "adlb.json", "adqs": "adqs.csv", "adtte": "adtte.xpt",
        "adae": "adae.csv"}
    n_ft, n_lb, n_qs = 36 * 3 * 2, 36 * 3 * 2, 36 * 5
    assert got.tables.values.tolist() == [
        ["adsl", "adsl.csv", "subjects", 36, ""], ["adft", "adft.xpt", "efficacy", n_ft, "SIXMWD, SPPB"],
        ["adlb", "adlb.json", "efficacy", n_lb, "IL6, TNFA"], ["adqs", "adqs.csv", "efficacy", n_qs, "PGIC, SF36PCS"],
        ["adae", "adae.csv", "adverse events", 6, ""]]
    # each record keeps its own table and row: records of XPORT / Dataset-JSON from 1, CSV lines from 2
    assert got.origin.groupby("table", sort=False)["row"].agg(["min", "max"]).reset_index().values.tolist() == [
        ["adft", 1, n_ft], ["adlb", 1, n_lb], ["adqs", 2, n_qs + 1]]
    assert (got.origin.index == got.adeff.index).all()


def test_efficacy_table_names_in_any_case_and_two_forms_of_one(delivery):
    (delivery / "adlb.json").rename(delivery / "ADLB.JSON")
    trial = load_trial(delivery)
    assert trial.files["adlb"].name == "ADLB.JSON" and {"IL6", "TNFA"} <= set(trial.adeff["PARAMCD"])
    _csv(_read_xpt(delivery / "adft.xpt").astype(str), delivery / "adft.csv")
    with pytest.raises(DataError, match=r"adft\.csv: table adft is here in 2 forms \(adft\.csv and adft\.xpt\)"):
        load_trial(delivery)


def test_table_left_out_with_a_notice(delivery):
    trial = load_trial(delivery)
    assert trial.left_out.values.tolist() == [
        ["adtte", "adtte.xpt", 36, "AVISITN", "not efficacy data (no column AVISITN)"]]
    # the notebooks' "Left out" lines read dropped: the table's records per study
    assert trial.dropped.values.tolist() == [["TOY-1", "adtte", "not efficacy data (no column AVISITN)", 24],
                                             ["TOY-2", "adtte", "not efficacy data (no column AVISITN)", 12]]
    assert trial.study("TOY-2").dropped["n"].tolist() == [12]


def test_table_without_studyid_is_counted_for_every_study(delivery):
    adtte = _read_xpt(delivery / "adtte.xpt").drop(columns="STUDYID")
    pyreadstat.write_xport(adtte, str(delivery / "adtte.xpt"), file_format_version=5, table_name="ADTTE")
    trial = load_trial(delivery)
    assert trial.left_out["missing"].tolist() == ["STUDYID, AVISITN"]
    assert trial.dropped.values.tolist() == [
        ["TOY-1", "adtte", "not efficacy data (no columns STUDYID, AVISITN); counted over all studies", 36],
        ["TOY-2", "adtte", "not efficacy data (no columns STUDYID, AVISITN); counted over all studies", 36]]


def test_one_study_keeps_each_records_origin(delivery):
    trial = load_trial(delivery)
    one = trial.study("TOY-2")
    assert len(one.origin) == len(one.adeff) == (trial.adeff.STUDYID == "TOY-2").sum()
    want = trial.origin[(trial.adeff.STUDYID == "TOY-2").to_numpy()].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.origin, want)
    tables = {"SIXMWD": "adft", "SPPB": "adft", "TNFA": "adlb", "IL6": "adlb", "SF36PCS": "adqs", "PGIC": "adqs"}
    assert (one.origin["table"] == one.adeff["PARAMCD"].map(tables)).all()


def test_check_data_lists_the_tables_read_and_left_out(delivery):
    res = subprocess.run([str(PYTHON), "-m", "msc_frailty.data", str(delivery)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == f"{delivery}: supplied data, studies TOY-1, TOY-2"
    assert lines[1:8] == [
        "tables read:",
        "  adsl  adsl.csv        36 records  subjects",
        "  adft  adft.xpt       216 records  efficacy: SIXMWD, SPPB",
        "  adlb  adlb.json      216 records  efficacy: IL6, TNFA",
        "  adqs  adqs.csv       180 records  efficacy: PGIC, SF36PCS",
        "  adae  adae.csv         6 records  adverse events",
        "tables left out:"]
    assert lines[8] == ("  adtte (adtte.xpt, 36 records): not efficacy data (no column AVISITN); an efficacy table "
                        "has the columns STUDYID, USUBJID, PARAMCD, AVISITN, AVAL")
    assert "arms:" in lines and any("Control" in line for line in lines)     # the arms are still printed
    assert "left out of the analysis: 24 adtte record(s) of TOY-1: not efficacy data (no column AVISITN)" in lines


def test_records_rule_applies_to_every_efficacy_table(delivery):
    adlb = json.loads((delivery / "adlb.json").read_text())
    adlb["columns"].append({"itemOID": "IT.ANL01FL", "name": "ANL01FL", "label": "flag", "dataType": "string"})
    for i, row in enumerate(adlb["rows"]):
        row.append(None if i in (4, 9) else "Y")                         # records 5 and 10 not for analysis
    (delivery / "adlb.json").write_text(json.dumps(adlb))
    adqs = _read(delivery / "adqs.csv")
    extra = adqs[adqs.PARAMCD == "PGIC"].iloc[[0, 2]].assign(AVISITN="6", AVISIT="Month 6", DTYPE="LOCF")
    _csv(pd.concat([adqs.assign(DTYPE=""), extra], ignore_index=True), delivery / "adqs.csv")
    observed, flagged = load_trial(delivery), load_trial(delivery, records="as_flagged")
    assert observed.dropped[observed.dropped.table != "adtte"].values.tolist() == [
        ["TOY-1", "adlb", "ANL01FL not Y", 2], ["TOY-1", "adqs", "DTYPE = LOCF (imputed)", 2]]
    assert len(observed.adeff) == 216 + 216 - 2 + 180 and len(flagged.adeff) == len(observed.adeff) + 2
    assert (flagged.adeff.AVISITN == 6).sum() == 2
    assert flagged.origin[(flagged.adeff.AVISITN == 6).to_numpy()].values.tolist() == [["adqs", 182], ["adqs", 183]]


# ------------------------------------------------------------------ errors name each record's own file
def test_paramcd_in_two_tables_names_both_files(delivery, capsys):
    adqs = _read(delivery / "adqs.csv")
    adqs.loc[adqs.PARAMCD == "SF36PCS", "PARAMCD"] = "SIXMWD"
    _csv(adqs, delivery / "adqs.csv")
    adft = _read_xpt(delivery / "adft.xpt")
    records = [i + 1 for i in np.flatnonzero(adft.PARAMCD == "SIXMWD")]
    err = _raises(delivery, "adft.xpt", "PARAMCD", "records", records)
    lines = [i + 2 for i in np.flatnonzero(adqs.PARAMCD == "SIXMWD")]
    assert f"PARAMCD 'SIXMWD' is in 2 tables: here and in adqs.csv, column PARAMCD, rows {lines[0]}, {lines[1]}," \
        in str(err)
    code, out, stderr = _check_data(delivery, capsys)
    assert code == 1 and out == "" and stderr == f"data error: {err}\n"


def test_no_efficacy_table_names_the_tables_left_out(delivery, capsys):
    for name in ("adft.xpt", "adlb.json", "adqs.csv"):
        (delivery / name).unlink()
    with pytest.raises(DataError) as info:
        load_trial(delivery)
    err = info.value
    assert Path(err.file).name == "adtte.xpt" and err.column == "AVISITN"
    assert "no efficacy table: looked for ad<name>.csv, .xpt or .json files other than adsl and adae" in str(err)
    assert str(err).endswith("holding the BDS columns STUDYID, USUBJID, PARAMCD, AVISITN, AVAL; adtte.xpt has no "
                             "AVISITN")
    code, _, stderr = _check_data(delivery, capsys)
    assert code == 1 and "no efficacy table" in stderr


def test_non_numeric_avisitn_in_one_bds_table(delivery):
    adlb = json.loads((delivery / "adlb.json").read_text())
    adlb["columns"][3]["dataType"] = "string"
    for i, row in enumerate(adlb["rows"]):
        row[3] = "Week 4" if i in (2, 40) else str(int(row[3]))
    (delivery / "adlb.json").write_text(json.dumps(adlb))
    err = _raises(delivery, "adlb.json", "AVISITN", "records", [3, 41])
    assert "'Week 4'" in str(err)


def test_errors_in_a_csv_table_among_others_name_its_lines(delivery):
    adqs = _read(delivery / "adqs.csv")
    adqs.loc[[5, 100], "AVAL"] = "n/a"
    _csv(adqs, delivery / "adqs.csv")
    _raises(delivery, "adqs.csv", "AVAL", "rows", [7, 102])


def test_duplicated_record_in_an_xpt_table(delivery):
    adft = _read_xpt(delivery / "adft.xpt")
    adft = pd.concat([adft, adft.iloc[[3]]], ignore_index=True)
    pyreadstat.write_xport(adft, str(delivery / "adft.xpt"), file_format_version=5, table_name="ADFT")
    _raises(delivery, "adft.xpt", "AVISITN", "records", [4, len(adft)])


def test_figure_name_clash_across_tables_names_both_files(delivery):
    adlb = json.loads((delivery / "adlb.json").read_text())
    for row in adlb["rows"]:
        row[2] = "IL-6" if row[2] == "IL6" else row[2]
    (delivery / "adlb.json").write_text(json.dumps(adlb))
    adqs = _read(delivery / "adqs.csv")
    adqs.loc[adqs.PARAMCD == "SF36PCS", "PARAMCD"] = "IL 6"
    _csv(adqs, delivery / "adqs.csv")
    il6 = [i + 1 for i, row in enumerate(adlb["rows"]) if row[2] == "IL-6"]
    err = _raises(delivery, "adlb.json", "PARAMCD", "records", il6)
    assert "PARAMCDs ['IL 6', 'IL-6'] would all be saved as the figure 'il_6'" in str(err)
    assert "(also adqs.csv, column PARAMCD, rows 2, 3, 4," in str(err)


# ------------------------------------------------- check-data refuses exactly what reproduce refuses
def _set_study(folder: Path, old: str, new: str):
    for name in ("adsl.csv", "adeff.csv", "adae.csv"):
        df = _read(folder / name)
        df.loc[df["STUDYID"] == old, "STUDYID"] = new
        _csv(df, folder / name)


def _clashing_paramcds(folder: Path):
    adeff = _read(folder / "adeff.csv")
    adeff.loc[(adeff.PARAMCD == "TNFA") & (adeff.STUDYID == "TOY-1"), "PARAMCD"] = "IL-6"
    adeff.loc[(adeff.PARAMCD == "TNFA") & (adeff.STUDYID == "TOY-2"), "PARAMCD"] = "IL 6"
    _csv(adeff, folder / "adeff.csv")


@pytest.mark.parametrize("case, column, want", [
    (lambda f: _set_study(f, "TOY-2", "../.."), "STUDYID", "STUDYID '../..' cannot be used as a file or folder name"),
    (lambda f: _set_study(f, "TOY-2", "toy-1"), "STUDYID", "STUDYIDs ['TOY-1', 'toy-1'] differ only in case"),
    (_clashing_paramcds, "PARAMCD", "PARAMCDs ['IL 6', 'IL-6'] would all be saved as the figure 'il_6'"),
])
def test_check_data_and_reproduce_refuse_the_same(toy_data, tmp_path, capsys, case, column, want):
    case(toy_data)
    with pytest.raises(DataError) as info:
        runner.run(toy_data, tmp_path / "out")          # refused before anything is written
    assert not (tmp_path / "out").exists()
    err = info.value
    assert err.column == column and want in str(err) and err.rows, str(err)
    code, out, stderr = _check_data(toy_data, capsys)
    assert code == 1 and out == "" and stderr == f"data error: {err}\n"


# ---------------------------------------------------------------------- values no delivery holds
def _edit(folder: Path, name: str, column: str, rows: list[int], value):
    df = _read(folder / name)
    df.loc[rows, column] = value(df.loc[rows, column]) if callable(value) else value
    _csv(df, folder / name)


LOW = list(range(8, 16))                      # adsl rows of TOY-1's arm Low (T1-L01..T1-L08)


@pytest.mark.parametrize("name, column, rows, value, message", [
    ("adsl.csv", "USUBJID", [2], lambda v: v.str.replace("-", "-\x00"), "U+0000"),   # numpy would drop a final NUL
    ("adsl.csv", "TRT01A", LOW, "Lo\x00w", "U+0000"),
    ("adeff.csv", "PARAMCD", [0, 2], "SIX\x1bMWD", "U+001B"),
    ("adeff.csv", "AVISIT", [3], "Month\x7f2", "U+007F"),
    ("adeff.csv", "PARAM", [1], "Serum\tTNF", "U+0009"),
    ("adae.csv", "AEDECOD", [2], "Head\u202eache", "U+202E"),
    ("adsl.csv", "AGE", [5], "131", "value(s) above 130: [131] (AGE is in years; at most 130 is accepted)"),
    ("adsl.csv", "AGE", [6], "1e300", "value(s) above 130: [1e+300]"),
    ("adeff.csv", "PARAMCD", [4, 6], "X" * 41, "longer than 40 characters (ADaM allows 8; at most 40 are accepted)"),
    ("adeff.csv", "PARAMCD", [8], "P" * 5000, "longer than 40 characters"),
    ("adeff.csv", "PARAM", [1], "Interleukin " * 20, "longer than 200 characters"),
    ("adeff.csv", "AVISIT", [0], "V" * 201, "longer than 200 characters"),
    ("adsl.csv", "TRT01A", LOW, "L" * 201, "longer than 200 characters"),
    ("adeff.csv", "AVAL", [9], "1e308", "implausible value(s) [1e+308]: a magnitude above 1e+15 is a data error"),
    ("adeff.csv", "AVAL", [10, 11], "-2e15", "implausible value(s) [-2000000000000000.0]"),
    ("adae.csv", "ASTDY", [1], "1e16", "implausible value(s)"),
])
def test_values_no_delivery_holds_are_refused(toy_data, capsys, name, column, rows, value, message):
    if column in ("PARAM", "AVISIT"):          # the optional label columns, added to every row first
        adeff = _read(toy_data / "adeff.csv")
        adeff["PARAM"] = adeff["PARAMCD"]
        adeff["AVISIT"] = "Month " + adeff["AVISITN"]
        _csv(adeff, toy_data / "adeff.csv")
    _edit(toy_data, name, column, rows, value)
    err = _raises(toy_data, name, column, "rows", [r + 2 for r in rows])
    assert message in str(err), str(err)
    code, out, stderr = _check_data(toy_data, capsys)
    assert code == 1 and out == "" and stderr == f"data error: {err}\n"


def test_control_character_in_a_dataset_json_label_names_the_record(delivery):
    adlb = json.loads((delivery / "adlb.json").read_text())
    adlb["rows"][6][5] = "Serum TNF\x00alpha"
    (delivery / "adlb.json").write_text(json.dumps(adlb))
    err = _raises(delivery, "adlb.json", "PARAM", "records", [7])
    assert "U+0000" in str(err)


def test_age_at_the_bound_and_large_real_values_are_accepted(toy_data):
    _edit(toy_data, "adsl.csv", "AGE", [0], "130")
    _edit(toy_data, "adeff.csv", "AVAL", [0], "5.2e12")       # red cells per litre, in raw units
    trial = load_trial(toy_data)
    assert trial.adsl["AGE"].max() == 130 and trial.adeff["AVAL"].max() == 5.2e12


# ------------------------------------------------------------------------------------- params.csv
PARAMS = ("PARAMCD,PARAM,unit,direction,finding,short_name\n"
          "SIXMWD,6-minute walk distance,m,higher_better,physical_performance,6MWD\n"
          "TNFA,Interleukin-6 Serum Concentration Central Laboratory,pg/mL,lower_better,inflammation,IL-6\n")


def test_params_short_name_is_read(toy_data):
    (toy_data / "params.csv").write_text(PARAMS)
    params = load_trial(toy_data).params
    assert list(params.columns) == ["PARAMCD", "PARAM", "unit", "direction", "finding", "short_name"]
    assert params["short_name"].tolist() == ["6MWD", "IL-6"]


@pytest.mark.parametrize("edit, column, message", [
    (lambda t: t.replace(",IL-6\n", "," + "I" * 41 + "\n"), "short_name",
     "longer than 40 characters (a short name is a figure label of at most 40)"),
    (lambda t: t.replace(",IL-6\n", ",IL\x006\n"), "short_name", "U+0000"),
    (lambda t: t.replace("Central", "Central\x0bLab"), "PARAM", "U+000B"),
    (lambda t: t.replace("\nTNFA,", "\n" + "T" * 41 + ","), "PARAMCD", "longer than 40 characters"),
])
def test_bad_params_csv_values(toy_data, capsys, edit, column, message):
    (toy_data / "params.csv").write_text(edit(PARAMS))
    err = _raises(toy_data, "params.csv", column, "rows", [3])
    assert message in str(err)
    code, _, stderr = _check_data(toy_data, capsys)
    assert code == 1 and re.search(r"params\.csv, column \w+, rows 3", stderr)


def test_check_data_lists_what_the_readers_said_as_notices(tmp_path, capsys):
    """A Latin-1 file is read, and check-data says so under 'notices:', naming the file and the line."""
    from msc_frailty import data
    folder = write_dataset(tmp_path / "d")
    adae = folder / "adae.csv"
    lines = adae.read_bytes().split(b"\n")
    term = lines[0].split(b",").index(b"AEDECOD")
    fields = lines[1].split(b",")
    fields[term] += b" \xe9"                                # the event term of line 2 gains a Latin-1 letter
    lines[1] = b",".join(fields)
    adae.write_bytes(b"\n".join(lines))
    assert data.main([str(folder)]) == 0
    out = capsys.readouterr().out
    notices = out.split("notices:\n")[1]
    assert "adae.csv" in notices and "Windows-1252" in notices and "line(s) 2" in notices
