"""The readers (msc_frailty.readers, through msc_frailty.data): CSV, SAS XPORT (v5, v8) and Dataset-JSON 1.1 give
the same trial, and the ADaM conventions of contract section 1 ("Real ADaM data") hold whichever form a table
comes in; faulty files (cut short, duplicated names, other encodings or separators, unbalanced quotes) are
refused naming the file or read with a notice (issue 17); the read cache gives the same table, numbers and
notices as a parse, and never trusts a damaged entry."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import write_dataset

from msc_frailty.analysis import change_from_baseline, tesae_proportions, vs_placebo
from msc_frailty.data import DataError, add_change, load_trial, table_paths
from msc_frailty import readers
from msc_frailty.publish import file_digest
from msc_frailty.readers import DataNotice, read_table

TABLES = ("adsl", "adeff", "adae")
#: Columns a trial team's XPORT or Dataset-JSON file stores as numbers.
NUMERIC = {"TRT01AN", "AGE", "AVISITN", "AVAL", "ASTDY"}
JSON_TYPES = {"TRT01AN": "integer", "AGE": "integer", "AVISITN": "integer", "AVAL": "double", "ASTDY": "integer"}


# ------------------------------------------------------------------------------------------ writers
def _read_csv(folder, name) -> pd.DataFrame:
    return pd.read_csv(Path(folder) / f"{name}.csv", dtype=str, keep_default_na=False)


def _typed(df: pd.DataFrame, numeric=NUMERIC) -> pd.DataFrame:
    """The table as a sponsor's SAS data set holds it: numeric columns as floats (missing = NaN)."""
    out = df.copy()
    for c in out.columns:
        if c in numeric:
            out[c] = pd.to_numeric(out[c].replace("", np.nan)).astype(float)
    return out


def write_xpt(df: pd.DataFrame, path: Path, version: int, numeric=NUMERIC):
    pyreadstat.write_xport(_typed(df, numeric), str(path), file_format_version=version,
                           table_name=path.stem.upper()[:8])


def _json_value(value, column, numeric):
    if column not in numeric:
        return None if value == "" else value
    if value == "" or (isinstance(value, float) and np.isnan(value)):
        return None
    number = float(value)
    return int(number) if JSON_TYPES.get(column) == "integer" and number.is_integer() else number


def write_json(df: pd.DataFrame, path: Path, numeric=NUMERIC, rows=None):
    """A CDISC Dataset-JSON 1.1 file of ``df`` (``rows`` overrides the row lists, to break them)."""
    name = path.stem.upper()
    columns = [{"itemOID": f"IT.{name}.{c}", "name": c, "label": c.title(),
                "dataType": JSON_TYPES.get(c, "double") if c in numeric else "string"} for c in df.columns]
    if rows is None:
        rows = [[_json_value(v, c, numeric) for c, v in zip(df.columns, r)] for r in df.itertuples(index=False)]
    doc = {"datasetJSONCreationDateTime": "2026-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
           "fileOID": f"F.{name}", "originator": "msc-frailty tests", "sourceSystem": {"name": "pytest"},
           "studyOID": "S.TOY", "metaDataVersionOID": "MDV.1", "itemGroupOID": f"IG.{name}", "name": name,
           "label": name, "records": len(rows), "columns": columns, "rows": rows}
    path.write_text(json.dumps(doc, indent=1))


def convert(folder: Path, name: str, form: str):
    """Replace ``<name>.csv`` in folder by the same table as ``xpt5``, ``xpt8`` or ``json``."""
    df = _read_csv(folder, name)
    (folder / f"{name}.csv").unlink()
    if form.startswith("xpt"):
        write_xpt(df, folder / f"{name}.xpt", int(form[-1]))
    else:
        write_json(df, folder / f"{name}.json")


def _edit(folder: Path, name: str, change):
    """Apply change(df) to the CSV table ``name`` and write it back."""
    df = _read_csv(folder, name)
    df = change(df)
    df.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    return df


def _edit_lines(folder: Path, name: str, replace: dict, insert: dict | None = None):
    """Edit the lines of ``<name>.csv`` as text: ``replace`` {line index: (old, new)}, then ``insert`` {index: line}."""
    lines = (folder / f"{name}.csv").read_text().splitlines()
    for i, (old, new) in replace.items():
        assert old in lines[i]
        lines[i] = lines[i].replace(old, new)
    for i, line in (insert or {}).items():
        lines.insert(i, line)
    (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")


def _same(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def _raises(folder, file, column, numbers, unit, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        load_trial(folder, **kwargs)
    err = info.value
    assert Path(err.file).name == file, str(err)
    assert file in str(err)
    if column is not None:
        assert err.column == column and f"column {column}" in str(err), str(err)
    if numbers is not None:
        assert err.rows == numbers, str(err)
        assert err.unit == unit
        assert f"{unit} {', '.join(map(str, numbers[:10]))}" in str(err), str(err)
    return err


FORMS = ["xpt5", "xpt8", "json"]


# ------------------------------------------------------------------------------- same trial in every form
@pytest.fixture
def labelled(tmp_path) -> Path:
    """The toy data set with the optional label columns PARAM and AVISIT and a date, all as CSV."""
    folder = write_dataset(tmp_path / "csv")
    _edit(folder, "adeff", lambda d: d.assign(
        PARAM=d["PARAMCD"].map({"SIXMWD": "6-minute walk distance (m)", "TNFA": "Serum TNF-alpha (pg/mL)"}),
        AVISIT=d["AVISITN"].map(lambda v: "Baseline" if v == "0" else f"Month {v}")))
    _edit(folder, "adsl", lambda d: d.assign(RACE="WHITE", BMI=[f"{20 + i / 4:g}" for i in range(len(d))]))
    return folder


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in TABLES:
        (dst / f"{name}.csv").write_bytes((src / f"{name}.csv").read_bytes())
    return dst


def _results(trial) -> pd.DataFrame:
    chg = add_change(trial)
    return pd.concat([change_from_baseline(chg, "physical_performance", trial.basis),
                      vs_placebo(chg.query("STUDYID == 'TOY-1'"), "physical_performance", trial.basis),
                      tesae_proportions(trial)], ignore_index=True)


@pytest.mark.parametrize("form", FORMS)
def test_every_form_gives_the_csv_tables_and_results(labelled, tmp_path, form):
    folder = _copy(labelled, tmp_path / form)
    for name in TABLES:
        convert(folder, name, form)
    assert not list(folder.glob("*.csv"))
    want, got = load_trial(labelled), load_trial(folder)
    for name in TABLES:
        _same(getattr(want, name), getattr(got, name))
    assert got.adeff["PARAM"].iloc[0] == "6-minute walk distance (m)" and got.adeff["AVISIT"].iloc[4] == "Month 4"
    assert got.adsl["BMI"].iloc[1] == "20.25"   # an extra numeric column is text, as from CSV
    assert got.basis == want.basis == "supplied"
    _same(_results(want), _results(got))
    assert len(_results(got)) > 10


def test_mixed_folder(labelled, tmp_path):
    folder = _copy(labelled, tmp_path / "mixed")
    convert(folder, "adsl", "xpt5")
    convert(folder, "adeff", "json")
    got = load_trial(folder)
    assert {k: p.name for k, p in got.files.items()} == {"adsl": "adsl.xpt", "adeff": "adeff.json",
                                                         "adae": "adae.csv"}
    want = load_trial(labelled)
    for name in TABLES:
        _same(getattr(want, name), getattr(got, name))


def test_upper_case_file_names_are_found(toy_data):
    df = _read_csv(toy_data, "adsl")
    (toy_data / "adsl.csv").unlink()
    write_xpt(df, toy_data / "ADSL.XPT", 5)
    assert table_paths(toy_data)["adsl"].name == "ADSL.XPT"
    assert len(load_trial(toy_data).adsl) == 36


@pytest.mark.parametrize("form", FORMS)
def test_numeric_ids_are_text_without_a_decimal_point(toy_data, form):
    # a sponsor may store STUDYID as a number: it must read "1", as in a CSV file, not "1.0"
    for name in TABLES:
        _edit(toy_data, name, lambda d: d.assign(STUDYID=d["STUDYID"].map({"TOY-1": "1", "TOY-2": "2"})))
    want = load_trial(toy_data)
    for name in TABLES:
        df = _read_csv(toy_data, name)
        (toy_data / f"{name}.csv").unlink()
        numeric = NUMERIC | {"STUDYID"}
        if form == "json":
            write_json(df, toy_data / f"{name}.json", numeric=numeric)
        else:
            write_xpt(df, toy_data / f"{name}.xpt", int(form[-1]), numeric=numeric)
    got = load_trial(toy_data)
    assert got.studies == ["1", "2"]
    for name in TABLES:
        _same(getattr(want, name), getattr(got, name))


@pytest.mark.parametrize("form", FORMS)
def test_header_only_adae_in_every_form(tmp_path, form):
    folder = write_dataset(tmp_path / form, empty_ae=True)
    convert(folder, "adae", form)
    trial = load_trial(folder)
    assert len(trial.adae) == 0 and trial.adae["ASTDY"].dtype == float


def test_table_paths(toy_data):
    convert(toy_data, "adeff", "json")
    paths = table_paths(toy_data)
    assert paths == {"adsl": toy_data / "adsl.csv", "adeff": toy_data / "adeff.json", "adae": toy_data / "adae.csv"}
    (toy_data / "adae.csv").unlink()
    with pytest.raises(DataError, match="adae.csv.*missing.*adae.xpt"):
        table_paths(toy_data)


# --------------------------------------------------------------------------------------- bad files
@pytest.mark.parametrize("other", ["xpt5", "json"])
def test_two_forms_of_one_table(toy_data, other):
    df = _read_csv(toy_data, "adsl")
    if other == "json":
        write_json(df, toy_data / "adsl.json")
    else:
        write_xpt(df, toy_data / "adsl.xpt", 5)
    ext = "json" if other == "json" else "xpt"
    for call in (load_trial, table_paths):
        with pytest.raises(DataError) as info:
            call(toy_data)
        assert "adsl.csv" in str(info.value) and f"adsl.{ext}" in str(info.value)


def test_unreadable_xpt(toy_data):
    (toy_data / "adeff.csv").unlink()
    (toy_data / "adeff.xpt").write_bytes(np.random.default_rng(7).bytes(4000))
    err = _raises(toy_data, "adeff.xpt", None, None, None)
    assert "XPORT" in str(err)


def test_json_rows_that_do_not_match_the_columns(toy_data):
    df = _read_csv(toy_data, "adeff")
    (toy_data / "adeff.csv").unlink()
    rows = [list(r) for r in df.itertuples(index=False)]
    rows[2] = rows[2][:-1]          # record 3 is one value short
    rows[6] = rows[6] + ["extra"]   # record 7 has one too many
    write_json(df, toy_data / "adeff.json", numeric=set(), rows=rows)
    err = _raises(toy_data, "adeff.json", None, [3, 7], "records")
    assert "5 columns" in str(err)


@pytest.mark.parametrize("text, says", [
    ("{not json", "not valid JSON"),
    ('{"datasetJSONVersion": "1.1.0", "rows": []}', "'columns'"),
    ('{"datasetJSONVersion": "1.1.0", "columns": [{"name": "STUDYID"}]}', "'rows'"),
    ('[1, 2]', "not an object"),
    ('{"datasetJSONVersion": "1.0.0", "clinicalData": {}}', "1.0"),
])
def test_json_that_is_not_dataset_json_1_1(toy_data, text, says):
    (toy_data / "adae.csv").unlink()
    (toy_data / "adae.json").write_text(text)
    err = _raises(toy_data, "adae.json", None, None, None)
    assert says in str(err)


def test_json_record_count_must_match(toy_data):
    df = _read_csv(toy_data, "adsl")
    (toy_data / "adsl.csv").unlink()
    write_json(df, toy_data / "adsl.json")
    doc = json.loads((toy_data / "adsl.json").read_text())
    doc["records"] = len(doc["rows"]) + 5
    (toy_data / "adsl.json").write_text(json.dumps(doc))
    _raises(toy_data, "adsl.json", None, None, None)


@pytest.mark.parametrize("form", FORMS)
def test_bad_flag_names_records(toy_data, form):
    _edit(toy_data, "adsl", lambda d: d.assign(SAFFL=["X" if i == 4 else "Y" for i in range(len(d))]))
    convert(toy_data, "adsl", form)
    ext = "json" if form == "json" else "xpt"
    _raises(toy_data, f"adsl.{ext}", "SAFFL", [5], "records")


@pytest.mark.parametrize("form", FORMS)
def test_missing_required_column(toy_data, form):
    _edit(toy_data, "adeff", lambda d: d.drop(columns="AVAL"))
    convert(toy_data, "adeff", form)
    _raises(toy_data, f"adeff.{'json' if form == 'json' else 'xpt'}", "AVAL", None, None)


def test_non_numeric_json_value_names_records(toy_data):
    df = _read_csv(toy_data, "adae")
    df.loc[3, "ASTDY"] = "day 2"
    (toy_data / "adae.csv").unlink()
    write_json(df, toy_data / "adae.json", numeric=set())   # every value a string, as for dataType decimal
    _raises(toy_data, "adae.json", "ASTDY", [4], "records")


@pytest.mark.parametrize("form", FORMS)
def test_unknown_subject_names_records_and_file(toy_data, form):
    _edit(toy_data, "adae", lambda d: d.assign(USUBJID=["NOBODY" if i == 1 else u for i, u in enumerate(d["USUBJID"])]))
    convert(toy_data, "adsl", form)
    convert(toy_data, "adae", form)
    ext = "json" if form == "json" else "xpt"
    err = _raises(toy_data, f"adae.{ext}", "USUBJID", [2], "records")
    assert f"not in adsl.{ext}" in str(err)


# ------------------------------------------------------------------------------------ ADaM conventions
@pytest.mark.parametrize("form", ["csv"] + FORMS)
def test_null_flags_mean_not_flagged(toy_data, form):
    out = {"T1-H01", "T2-A03"}
    _edit(toy_data, "adsl", lambda d: d.assign(SAFFL=["" if u in out else "Y" for u in d["USUBJID"]]))
    _edit(toy_data, "adae", lambda d: d.assign(TRTEMFL=["" if u == "T1-H03" else t for u, t in
                                                        zip(d["USUBJID"], d["TRTEMFL"])],
                                               AESER=["" if a == "N" else a for a in d["AESER"]]))
    if form != "csv":
        for name in ("adsl", "adae"):
            convert(toy_data, name, form)
    trial = load_trial(toy_data)
    chg = add_change(trial)
    assert not chg["USUBJID"].isin(out).any() and len(chg) == 34 * 2 * 2
    assert trial.adae.loc[trial.adae.USUBJID == "T1-H03", "TRTEMFL"].tolist() == [""]
    # T1-H03's serious event is no longer treatment-emergent: no TE-SAE within 30 days in any arm
    # (with TRTEMFL = Y the High arm has 1 of 8)
    props = tesae_proportions(trial).query("comparison == 'proportion'")
    assert len(props) == 5 and (props["estimate"] == 0).all()


@pytest.mark.parametrize("form", ["csv"] + FORMS)
def test_missing_astdy_is_accepted(toy_data, form):
    _edit(toy_data, "adae", lambda d: d.assign(ASTDY=["" if i == 2 else v for i, v in enumerate(d["ASTDY"])]))
    if form != "csv":
        convert(toy_data, "adae", form)
    adae = load_trial(toy_data).adae
    assert adae["ASTDY"].dtype == float
    assert np.isnan(adae["ASTDY"].iloc[2]) and adae["ASTDY"].notna().sum() == 5


def _with_analysis_columns(folder: Path) -> pd.DataFrame:
    """adeff with ANL01FL = Y and DTYPE null everywhere, plus:

    - T1-L02 SIXMWD visit 4: the observed record is gone and a LOCF record (ANL01FL = Y) stands in;
    - T1-C01 TNFA visit 2: a second, not-for-analysis record (ANL01FL null, another value);
    - T1-H04 SIXMWD visit 2: a LOCF record without ANL01FL (dropped under both rules).
    """
    def change(d):
        d = d.assign(ANL01FL="Y", DTYPE="")
        key = lambda s, p, v: (d.USUBJID == s) & (d.PARAMCD == p) & (d.AVISITN == v)
        locf = d[key("T1-L02", "SIXMWD", "2")].assign(AVISITN="4", DTYPE="LOCF")
        extra = d[key("T1-C01", "TNFA", "2")].assign(AVAL="99.5", ANL01FL="")
        both = d[key("T1-H04", "SIXMWD", "2")].assign(DTYPE="LOCF", ANL01FL="", AVISITN="")
        d = d[~key("T1-L02", "SIXMWD", "4")]
        return pd.concat([d, locf, extra, both], ignore_index=True)
    return _edit(folder, "adeff", change)


@pytest.mark.parametrize("form", ["csv"] + FORMS)
def test_imputed_and_unflagged_records_are_left_out_by_default(toy_data, form):
    _with_analysis_columns(toy_data)
    if form != "csv":
        convert(toy_data, "adeff", form)
    trial = load_trial(toy_data)
    eff = trial.adeff
    assert len(eff) == 36 * 3 * 2 - 1
    assert not ((eff.USUBJID == "T1-L02") & (eff.PARAMCD == "SIXMWD") & (eff.AVISITN == 4)).any()
    assert (eff["DTYPE"] == "").all() and (eff["ANL01FL"] == "Y").all()
    assert 99.5 not in set(eff["AVAL"])
    dropped = {(r.STUDYID, r.table, r.reason): r.n for r in trial.dropped.itertuples(index=False)}
    assert dropped == {("TOY-1", "adeff", "ANL01FL not Y"): 2, ("TOY-1", "adeff", "DTYPE = LOCF (imputed)"): 1}
    assert trial.study("TOY-1").dropped["n"].sum() == 3 and trial.study("TOY-2").dropped.empty


@pytest.mark.parametrize("form", ["csv", "json"])
def test_as_flagged_keeps_imputed_analysis_records(toy_data, form):
    _with_analysis_columns(toy_data)
    if form != "csv":
        convert(toy_data, "adeff", form)
    trial = load_trial(toy_data, records="as_flagged")
    eff = trial.adeff
    assert len(eff) == 36 * 3 * 2
    locf = eff[(eff.USUBJID == "T1-L02") & (eff.PARAMCD == "SIXMWD") & (eff.AVISITN == 4)]
    assert locf["DTYPE"].tolist() == ["LOCF"]
    assert trial.dropped[["reason", "n"]].values.tolist() == [["ANL01FL not Y", 2]]
    chg = add_change(trial)
    assert ((chg.USUBJID == "T1-L02") & (chg.PARAMCD == "SIXMWD") & (chg.AVISITN == 4)).sum() == 1


def test_no_analysis_columns_keeps_every_record(toy_data):
    trial = load_trial(toy_data)
    assert len(trial.adeff) == 36 * 3 * 2 and trial.dropped.empty
    assert list(trial.dropped.columns) == ["STUDYID", "table", "reason", "n"]


def test_records_argument_is_checked(toy_data):
    with pytest.raises(ValueError, match="records"):
        load_trial(toy_data, records="all")


@pytest.mark.parametrize("form", ["csv", "xpt8"])
def test_duplicates_left_after_the_rule(toy_data, form):
    d = _with_analysis_columns(toy_data)
    # T1-C01 TNFA visit 2's second record is flagged for analysis too: two analysis records, one visit
    extra = int(np.flatnonzero((d.USUBJID == "T1-C01") & (d.PARAMCD == "TNFA") & (d.AVISITN == "2")
                               & (d.ANL01FL == ""))[0])
    first = int(np.flatnonzero((d.USUBJID == "T1-C01") & (d.PARAMCD == "TNFA") & (d.AVISITN == "2"))[0])
    _edit(toy_data, "adeff", lambda df: df.assign(ANL01FL=["Y" if i == extra else v
                                                           for i, v in enumerate(df["ANL01FL"])]))
    if form == "csv":
        _raises(toy_data, "adeff.csv", "AVISITN", [first + 2, extra + 2], "rows")
    else:
        convert(toy_data, "adeff", form)
        err = _raises(toy_data, "adeff.xpt", "AVISITN", [first + 1, extra + 1], "records")
        assert "ANL01FL/DTYPE" in str(err)


def test_locf_duplicating_an_observed_record_only_matters_as_flagged(toy_data):
    def change(d):
        d = d.assign(ANL01FL="Y", DTYPE="")
        locf = d[(d.USUBJID == "T2-B03") & (d.PARAMCD == "SIXMWD") & (d.AVISITN == "4")].assign(DTYPE="LOCF")
        return pd.concat([d, locf], ignore_index=True)
    d = _edit(toy_data, "adeff", change)
    assert len(load_trial(toy_data).adeff) == 36 * 3 * 2
    rows = [int(i) + 2 for i in np.flatnonzero((d.USUBJID == "T2-B03") & (d.PARAMCD == "SIXMWD") & (d.AVISITN == "4"))]
    _raises(toy_data, "adeff.csv", "AVISITN", rows, "rows", records="as_flagged")


@pytest.mark.parametrize("form", ["csv", "json"])
def test_bad_anl01fl_value(toy_data, form):
    _edit(toy_data, "adeff", lambda d: d.assign(ANL01FL=["X" if i in (3, 8) else "Y" for i in range(len(d))]))
    if form == "csv":
        _raises(toy_data, "adeff.csv", "ANL01FL", [5, 10], "rows")
    else:
        convert(toy_data, "adeff", form)
        _raises(toy_data, "adeff.json", "ANL01FL", [4, 9], "records")


def test_dropped_records_are_not_checked_for_numbers(toy_data):
    # an unscheduled record not flagged for analysis may have no AVISITN or AVAL
    def change(d):
        d = d.assign(ANL01FL="Y")
        extra = d.iloc[[0]].assign(AVISITN="", AVAL="", ANL01FL="")
        return pd.concat([d, extra], ignore_index=True)
    _edit(toy_data, "adeff", change)
    assert len(load_trial(toy_data).adeff) == 36 * 3 * 2


def test_imputed_records_are_checked_when_used(toy_data):
    # no ANL01FL column: a DTYPE record with no value is left out by default, an error when used
    def change(d):
        d = d.assign(DTYPE="")
        extra = d.iloc[[0]].assign(AVISITN="6", AVAL="", DTYPE="LOCF")
        return pd.concat([d, extra], ignore_index=True)
    _edit(toy_data, "adeff", change)
    assert load_trial(toy_data).dropped["reason"].tolist() == ["DTYPE = LOCF (imputed)"]
    _raises(toy_data, "adeff.csv", "AVAL", [36 * 3 * 2 + 2], "rows", records="as_flagged")


# ----------------------------------------------------------------------------------------- params.csv
PARAMS = ("PARAMCD,PARAM,unit,direction,finding\n"
          "SIXMWD,6-minute walk distance,m,higher_better,physical_performance\n"
          "TNFA,Serum TNF-alpha,pg/mL,lower_better,inflammation\n"
          "NEWP,A new parameter,,,\n")


def test_params_csv_is_loaded(toy_data):
    (toy_data / "params.csv").write_text(PARAMS)
    params = load_trial(toy_data).params
    assert list(params.columns) == ["PARAMCD", "PARAM", "unit", "direction", "finding"]
    assert params["direction"].tolist() == ["higher_better", "lower_better", ""]
    assert params.loc[2, "unit"] == "" and params.loc[1, "PARAM"] == "Serum TNF-alpha"


def test_no_params_csv_gives_an_empty_table(toy_data):
    params = load_trial(toy_data).params
    assert params.empty and list(params.columns) == ["PARAMCD", "PARAM", "unit", "direction", "finding"]


@pytest.mark.parametrize("edit, column, lines", [
    (lambda t: t.replace("lower_better", "down"), "direction", [3]),
    (lambda t: t + "SIXMWD,again,m,higher_better,x\n", "PARAMCD", [2, 5]),
    (lambda t: t.replace(",finding", ",findings"), "finding", None),
    (lambda t: t.replace("NEWP,", ",", 1), "PARAMCD", [4]),
])
def test_bad_params_csv(toy_data, edit, column, lines):
    (toy_data / "params.csv").write_text(edit(PARAMS))
    _raises(toy_data, "params.csv", column, lines, "rows")


# ------------------------------------------------------------------------------- line vs record numbers
def test_csv_keeps_line_numbers_while_xpt_counts_records(toy_data):
    _edit(toy_data, "adeff", lambda d: d.assign(AVAL=["-" if i == 9 else v for i, v in enumerate(d["AVAL"])]))
    err = _raises(toy_data, "adeff.csv", "AVAL", [11], "rows")
    assert "rows 11" in str(err)
    df = _read_csv(toy_data, "adeff")
    (toy_data / "adeff.csv").unlink()
    write_json(df, toy_data / "adeff.json", numeric={"AVISITN"})
    err = _raises(toy_data, "adeff.json", "AVAL", [10], "records")
    assert "records 10" in str(err) and "rows" not in str(err)


def test_random_bytes_named_json_are_not_valid_json(toy_data):
    (toy_data / "adsl.csv").unlink()
    (toy_data / "adsl.json").write_bytes(os.urandom(64) + b"\xff")
    err = _raises(toy_data, "adsl.json", None, None, None)
    assert "not valid JSON" in str(err)



# ------------------------------------------------------------------------- faulty files (issue 17)
DEFAULT = Path(__file__).resolve().parents[1] / "data" / "synthetic"


def _default_copy(folder: Path) -> Path:
    """The embedded default data set's three tables, as CSV, in ``folder``."""
    folder.mkdir(parents=True)
    for name in TABLES:
        (folder / f"{name}.csv").write_bytes((DEFAULT / f"{name}.csv").read_bytes())
    return folder


def _cut(path: Path, fraction: float = 0.6) -> bytes:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * fraction)])
    return data


@pytest.mark.parametrize("version", [5, 8])
@pytest.mark.parametrize("name", ["adeff", "adae"])
def test_an_xpt_file_cut_at_60_percent_is_refused(tmp_path, name, version):
    # issue 17: a cut adeff.xpt read 1,174 of 1,979 records, a cut adae.xpt lost 78 of 174 events, exit 0
    folder = _default_copy(tmp_path / "d")
    convert(folder, name, f"xpt{version}")
    whole = load_trial(folder)
    assert len(getattr(whole, name)) == len(_read_csv(DEFAULT, name)) or name == "adeff"
    size = len(_cut(folder / f"{name}.xpt"))
    with pytest.raises(DataError) as info:
        load_trial(folder)
    err = str(info.value)
    assert info.value.file == str(folder / f"{name}.xpt") and "cut short" in err, err
    if name == "adae" and version == 5:
        # 60% of adae.xpt ends on an 80-byte line: the record length tells it is cut inside record 105
        assert int(size * 0.6) % 80 == 0 and "ends inside record 105" in err, err
    if name == "adae" and version == 8:
        assert "records 188 records" in err, err


def _xpt_data_start(path: Path) -> int:
    data = path.read_bytes()
    for marker in (b"OBS     HEADER", b"OBSV8   HEADER"):
        at = data.find(b"HEADER RECORD*******" + marker)
        if at >= 0:
            return at + 80
    raise AssertionError("no OBS header")


@pytest.mark.parametrize("version", [5, 8])
def test_a_cut_at_a_record_and_line_end(tmp_path, version):
    """A v5 file records no count: cut at the end of a record that is also the end of an 80-byte line, it
    reads as a shorter whole (the module says so). A v8 file records its count: refused."""
    df = _read_csv(DEFAULT, "adae")
    path = tmp_path / "adae.xpt"
    write_xpt(df, path, version)
    start, width = _xpt_data_start(path), 88          # adae's record: 11+15+33+1+1+8+18+1 bytes
    records = 100                                     # 100 * 88 bytes = 110 lines of 80
    path.write_bytes(path.read_bytes()[:start + records * width])
    if version == 5:
        assert len(read_table(path, cache=False)[0]) == records
    else:
        with pytest.raises(DataError, match=r"header records 188 records, but the file holds only 100"):
            read_table(path, cache=False)


def test_an_xpt_file_of_two_members_is_refused(tmp_path):
    one, two = tmp_path / "one.xpt", tmp_path / "adae.xpt"
    write_xpt(_read_csv(DEFAULT, "adsl"), one, 5)
    write_xpt(_read_csv(DEFAULT, "adae"), two, 5)
    path = tmp_path / "adsl.xpt"
    # a library of two members: the second member's header follows the first member's data
    path.write_bytes(one.read_bytes().replace(b"ONE     ", b"ADSL    ", 1) + two.read_bytes()[3 * 80:])
    with pytest.raises(DataError, match=r"adsl\.xpt: holds 2 SAS XPORT members \(ADSL, ADAE\)"):
        read_table(path, cache=False)


@pytest.mark.parametrize("form", ["xpt5", "xpt8", "json"])
def test_a_member_named_for_another_table_gives_a_notice(tmp_path, form):
    folder = write_dataset(tmp_path / "d")
    df = _read_csv(folder, "adae")
    other = tmp_path / "adae.xpt"
    if form == "json":
        write_json(df, folder / "adsl.json")
        doc = json.loads((folder / "adsl.json").read_text())
        doc["name"] = "ADAE"
        (folder / "adsl.json").write_text(json.dumps(doc))
        path = folder / "adsl.json"
    else:
        write_xpt(df, other, int(form[-1]))          # member ADAE, then renamed adsl.xpt
        path = other.rename(folder / "adsl.xpt")
    with pytest.warns(DataNotice, match=rf"{path.name}: the .* inside is (named )?ADAE, not ADSL") as seen:
        got, source = read_table(path, cache=False)
    assert len(seen) == 1 and source.notices == (str(seen[0].message),)
    assert len(got) == 6                             # read: the notice says which file to check
    (folder / "adsl.csv").unlink()
    with pytest.warns(DataNotice), pytest.raises(DataError, match="required column"):
        load_trial(folder)                           # and the adverse events are no subject table


def test_an_xpt_member_named_as_its_file_gives_no_notice(toy_data, recwarn):
    convert(toy_data, "adsl", "xpt5")
    read_table(toy_data / "adsl.xpt", cache=False)
    assert not [w for w in recwarn if issubclass(w.category, DataNotice)]


def test_a_json_file_cut_at_60_percent_is_refused(tmp_path):
    folder = _default_copy(tmp_path / "d")
    convert(folder, "adae", "json")
    _cut(folder / "adae.json")
    with pytest.raises(DataError, match=r"adae\.json: not valid JSON: .* it is cut short"):
        load_trial(folder)


@pytest.mark.parametrize("fraction, says", [
    (0.6, r"adae\.csv, rows 116: record\(s\) without one value for each of the header's 8 columns \(line 116 "
          r"has 2 value\(s\) and is the last line, with no line end: the file is cut short\)"),
    (0.3, r"adae\.csv, rows 59: record\(s\) without one value for each of the header's 8 columns \(line 59 "
          r"has 7 value\(s\) and is the last line, with no line end: the file is cut short\)"),
])
def test_a_csv_file_cut_mid_record_is_refused(tmp_path, fraction, says):
    folder = _default_copy(tmp_path / "d")
    _cut(folder / "adae.csv", fraction)
    with pytest.raises(DataError, match=says):
        load_trial(folder)


def test_a_csv_file_cut_inside_a_quoted_value_is_refused(toy_data):
    text = (toy_data / "adae.csv").read_text().replace("Atrial fibrillation", '"Atrial, fibrillation"')
    cut = text.index("Atrial,") + 3
    (toy_data / "adae.csv").write_text(text[:cut])
    _raises(toy_data, "adae.csv", None, [3], "rows")
    with pytest.raises(DataError, match=r"a quoted value that begins on line 3 is never closed"):
        load_trial(toy_data)


def test_a_csv_file_cut_at_a_line_end_without_one_gives_a_notice(toy_data):
    text = (toy_data / "adae.csv").read_text()
    (toy_data / "adae.csv").write_text(text.rstrip("\n"))
    with pytest.warns(DataNotice, match=r"adae\.csv: the last line \(7\) has no line end"):
        assert len(load_trial(toy_data).adae) == 6


def test_duplicated_csv_column_names_are_refused(toy_data):
    # pandas would read the second AVAL as AVAL.1 and the analysis would run on the first
    text = (toy_data / "adeff.csv").read_text().splitlines()
    text = [f"{line},{line.split(',')[-1] if i else 'AVAL'}" for i, line in enumerate(text)]
    (toy_data / "adeff.csv").write_text("\n".join(text) + "\n")
    err = _raises(toy_data, "adeff.csv", "AVAL", [1], "rows")
    assert "appears 2 times in the header" in str(err)


def test_names_that_differ_only_by_padding_are_the_same_name(toy_data):
    text = (toy_data / "adeff.csv").read_text()
    (toy_data / "adeff.csv").write_text(text.replace("AVAL", "AVAL,AVAL ", 1).replace("\n", ",\n")
                                        .replace(",\n", "\n", 1))
    _raises(toy_data, "adeff.csv", "AVAL", [1], "rows")


def test_a_latin_1_csv_file_is_read_and_says_so(toy_data):
    df = _read_csv(toy_data, "adae")
    want = load_trial(toy_data).adae
    df.loc[2, "AEDECOD"] = "Céphalée"
    df.loc[4, "AEDECOD"] = "Œdème, 5 µg"
    df.to_csv(toy_data / "adae.csv", index=False, lineterminator="\n", encoding="cp1252")
    with pytest.warns(DataNotice, match=r"adae\.csv: is not UTF-8 text: read as Windows-1252 \(Latin-1\), which "
                                        r"gives 'µèéŒ' on line\(s\) 4, 6"):
        got = load_trial(toy_data).adae
    assert got["AEDECOD"].tolist()[2] == "Céphalée" and got["AEDECOD"].tolist()[4] == "Œdème, 5 µg"
    _same(got.drop(columns="AEDECOD"), want.drop(columns="AEDECOD"))


@pytest.mark.parametrize("content, says, line", [
    ("Céphalée".encode("cp1252") + "Œdème".encode("utf-8"), "two encodings in one file", 4),
    (b"Bad \x81 byte", "neither UTF-8 nor Windows-1252", 4),
])
def test_text_that_is_not_one_encoding_is_refused(toy_data, content, says, line):
    lines = (toy_data / "adae.csv").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"Headache", content)
    (toy_data / "adae.csv").write_bytes(b"\n".join(lines))
    err = _raises(toy_data, "adae.csv", None, [line], "rows")
    assert says in str(err) and "save the file as UTF-8" in str(err)


def test_a_utf_16_csv_file_is_refused(toy_data):
    (toy_data / "adsl.csv").write_bytes((toy_data / "adsl.csv").read_text().encode("utf-16"))
    with pytest.raises(DataError, match=r"adsl\.csv: is UTF-16 text: save the file as UTF-8"):
        load_trial(toy_data)


def test_a_utf_8_byte_order_mark_is_read(toy_data):
    want = load_trial(toy_data).adsl
    (toy_data / "adsl.csv").write_bytes(b"\xef\xbb\xbf" + (toy_data / "adsl.csv").read_bytes())
    _same(load_trial(toy_data).adsl, want)


def test_an_unbalanced_quote_names_the_line(toy_data):
    _edit_lines(toy_data, "adae", {2: ("Atrial fibrillation", '"Atrial fibrillation')})
    with pytest.raises(DataError, match=r"adae\.csv, rows 3: a quoted value that begins on line 3 is never closed"):
        load_trial(toy_data)


def test_a_quote_closed_lines_later_names_the_lines(toy_data):
    _edit_lines(toy_data, "adae", {2: ("Atrial fibrillation", '"Atrial fibrillation'), 4: ("Fatigue", 'Fatigue"')})
    # the stray quotes fall in one column: the record has the header's 7 values, with lines 3-5 in AEDECOD
    with pytest.warns(DataNotice, match=r"adae\.csv: 1 record\(s\) run over several lines \(lines 3-5\)"):
        adae, _ = read_table(toy_data / "adae.csv", cache=False)
    assert len(adae) == 4 and "\n" in adae["AEDECOD"].iloc[1]
    _edit_lines(toy_data, "adae", {4: ('Fatigue",N,Y,2,RECOVERED', 'Fatigue,N,Y,2,RECOVERED"')})
    with pytest.raises(DataError, match=r"rows 3: .*line 3 has 3 value\(s\) and runs over lines 3-5 \(a quote "
                                        r"not closed where it should be\?\)"):
        read_table(toy_data / "adae.csv", cache=False)


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_otherwise_gets_a_hint(toy_data, sep, name):
    df = _read_csv(toy_data, "adsl")
    df.to_csv(toy_data / "adsl.csv", index=False, sep=sep, lineterminator="\n")
    err = _raises(toy_data, "adsl.csv", None, [1], "rows")
    assert f"looks separated by {name} ({sep!r}), not commas" in str(err)
    assert "required column" not in str(err)


@pytest.mark.parametrize("edit, line, count", [
    (lambda t: t + "TOY-1,T1-C03,Headache,N\n", 8, 4),               # a record cut short
    (lambda t: t.replace(",RECOVERED\n", ",RECOVERED,extra\n", 1), 2, 8),   # one value too many
])
def test_a_record_of_another_length_is_refused(toy_data, edit, line, count):
    (toy_data / "adae.csv").write_text(edit((toy_data / "adae.csv").read_text()))
    err = _raises(toy_data, "adae.csv", None, [line], "rows")
    assert f"line {line} has {count} value(s)" in str(err)


def test_blank_lines_keep_the_line_numbers(toy_data):
    _edit_lines(toy_data, "adae", {3: (",N,", ",S,")}, insert={2: "", 3: "   "})
    _raises(toy_data, "adae.csv", "AESER", [6], "rows")


def test_a_value_over_several_lines_keeps_the_line_numbers(toy_data):
    _edit_lines(toy_data, "adae", {1: ("Pneumonia", '"Pneumonia,\nlobar"'), 4: (",N,", ",S,")})
    with pytest.warns(DataNotice, match=r"1 record\(s\) run over several lines \(lines 2-3\)"):
        adae, source = read_table(toy_data / "adae.csv", cache=False)
    assert adae["AEDECOD"].iloc[0] == "Pneumonia,\nlobar" and source.numbers([0, 1, 3]) == [2, 4, 6]
    with pytest.warns(DataNotice):    # a line end inside a term is refused by the validator, at the record's first line
        _raises(toy_data, "adae.csv", "AEDECOD", [2], "rows")


@pytest.mark.parametrize("form", ["csv", "xpt5", "xpt8", "json"])
def test_control_characters_are_kept_for_the_validator(toy_data, form):
    # pyreadstat ends an XPORT value at a NUL; the reader reads such values from the bytes
    df = _read_csv(toy_data, "adsl")
    df["TRT01A"] = df["TRT01A"].replace({"Control": "Con@trol", "Low": "Lo\x1fw"})
    df.to_csv(toy_data / "adsl.csv", index=False, lineterminator="\n")
    if form != "csv":
        convert(toy_data, "adsl", form)     # pyreadstat's writer too ends a value at a NUL: put it in after
    path = next(toy_data.glob("adsl.*"))
    nul = b"\\u0000" if form == "json" else b"\x00"
    path.write_bytes(path.read_bytes().replace(b"Con@trol", b"Con" + nul + b"trol"))
    got, _ = read_table(path, cache=False)
    assert set(got["TRT01A"]) == {"Con\x00trol", "Lo\x1fw", "High", "A", "B"}


@pytest.mark.parametrize("version", [5, 8])
def test_a_windows_1252_xpt_file_is_read_and_says_so(toy_data, version):
    df = _read_csv(toy_data, "adae")
    want = load_trial(toy_data).adae
    (toy_data / "adae.csv").unlink()
    path = toy_data / "adae.xpt"
    write_xpt(df, path, version)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Headache", "Céphalée".encode("cp1252"), 1))
    with pytest.warns(DataNotice, match=r"adae\.xpt: text is not UTF-8: read as Windows-1252 .*column AEDECOD, "
                                        r"records 3\b"):
        got = load_trial(toy_data).adae
    assert got["AEDECOD"].iloc[2] == "Céphalée"
    _same(got.drop(columns="AEDECOD"), want.drop(columns="AEDECOD"))
    path.write_bytes(path.read_bytes().replace(b"Fatigue ", "Fatigué".encode("utf-8"), 1))
    err = _raises(toy_data, "adae.xpt", "AEDECOD", [3, 4], "records")
    assert "UTF-8 in others" in str(err)


def test_not_an_xpt_file(toy_data):
    (toy_data / "adsl.csv").unlink()
    (toy_data / "adsl.xpt").write_bytes(b"**COMPRESSED** **COMPRESSED** " * 40)
    with pytest.raises(DataError, match=r"adsl\.xpt: not a SAS XPORT .*CPORT"):
        load_trial(toy_data)


def test_a_json_value_that_is_a_list_is_refused(toy_data):
    df = _read_csv(toy_data, "adae")
    rows = [list(r) for r in df.itertuples(index=False)]
    rows[1][2] = ["Pneumonia", "lobar"]
    (toy_data / "adae.csv").unlink()
    write_json(df, toy_data / "adae.json", numeric=set(), rows=rows)
    _raises(toy_data, "adae.json", "AEDECOD", [2], "records")


def test_data_main_exits_1_naming_the_file(tmp_path, capsys):
    from msc_frailty.data import main

    folder = _default_copy(tmp_path / "d")
    convert(folder, "adeff", "xpt5")
    _cut(folder / "adeff.xpt")
    assert main([str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"data error: {folder / 'adeff.xpt'}: is ") and "cut short" in err
    assert "Traceback" not in err


def test_read_table_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(DataError, match=r"nothing\.csv: file is missing"):
        read_table(tmp_path / "nothing.csv")
    (tmp_path / "adsl.sas7bdat").write_bytes(b"x")
    with pytest.raises(DataError, match=r"adsl\.sas7bdat: not a table file"):
        read_table(tmp_path / "adsl.sas7bdat")


# ------------------------------------------------------------------------------------------ the read cache
@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A cache folder of its own, used for files of any size."""
    monkeypatch.setattr(readers, "CACHE_MIN_BYTES", 0)
    folder = tmp_path / "cache"
    monkeypatch.setenv(readers.CACHE_ENV, str(folder))
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def _no_parsing(monkeypatch):
    def refuse(*args):
        raise AssertionError("parsed instead of read from the cache")
    monkeypatch.setattr(readers, "_parse", refuse)


def _awkward_table(folder: Path, form: str) -> Path:
    """adae with what numbering and notices depend on: blank lines, a value over two lines, a missing number,
    a Windows-1252 letter (CSV); a member named for another table (XPORT, Dataset-JSON)."""
    df = _read_csv(folder, "adae")
    df.loc[2, "ASTDY"] = ""
    if form == "csv":
        text = df.to_csv(index=False, lineterminator="\n").splitlines()
        text[1] = text[1].replace("Pneumonia", '"Pneumonia,\nlobar"')
        text[3] = text[3].replace("Headache", "Céphalée")
        text.insert(4, "")
        path = folder / "adverse.csv"
        path.write_bytes(("\n".join(text) + "\n").encode("cp1252"))
        return path
    path = folder / ("adverse.json" if form == "json" else "adverse.xpt")
    if form == "json":
        write_json(df, path)
        doc = json.loads(path.read_text())
        doc["name"] = "ADAE"
        path.write_text(json.dumps(doc))
    else:
        write_xpt(df, folder / "adae.xpt", int(form[-1]))
        (folder / "adae.xpt").rename(path)
    return path


@pytest.mark.parametrize("form", ["csv", "xpt5", "xpt8", "json"])
def test_a_cached_read_gives_the_same_table_numbers_and_notices(toy_data, cache, monkeypatch, form):
    path = _awkward_table(toy_data, form)
    with pytest.warns(DataNotice) as direct_notices:
        want, want_src = read_table(path, cache=False)
    assert not cache.exists()
    with pytest.warns(DataNotice):
        first, _ = read_table(path)                  # parsed, and kept
    assert len(_entries(cache)) == 1
    _no_parsing(monkeypatch)
    with pytest.warns(DataNotice) as cached_notices:
        got, src = read_table(path)
    pd.testing.assert_frame_equal(got, want, check_index_type=True, check_column_type=True)
    pd.testing.assert_frame_equal(first, want, check_index_type=True, check_column_type=True)
    assert src.numbers(got.index) == want_src.numbers(want.index) and src.records == want_src.records
    assert src.notices == want_src.notices and [str(w.message) for w in cached_notices] == \
        [str(w.message) for w in direct_notices]
    if form == "csv":
        assert src.numbers(got.index) == [2, 4, 5, 7, 8, 9] and got["AEDECOD"].iloc[0] == "Pneumonia,\nlobar"


def test_load_trial_reads_each_file_once(tmp_path, cache, monkeypatch):
    folder = _default_copy(tmp_path / "d")
    for name, form in (("adsl", "xpt5"), ("adeff", "json")):
        convert(folder, name, form)
    want = load_trial(folder)
    assert len(_entries(cache)) == 3
    _no_parsing(monkeypatch)
    got = load_trial(folder)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name))


@pytest.mark.parametrize("damage", ["cut", "flipped", "garbage", "empty", "another file's"])
def test_a_damaged_cache_entry_is_never_trusted(toy_data, cache, monkeypatch, damage):
    path = toy_data / "adeff.csv"
    want, _ = read_table(path, cache=False)
    read_table(path)
    read_table(toy_data / "adsl.csv")
    entry, = [e for e in _entries(cache) if e.name.startswith(file_digest(path))]
    data = entry.read_bytes()
    if damage == "cut":
        entry.write_bytes(data[:len(data) // 2])
    elif damage == "flipped":                    # one byte of the values' text (the archive's CRC tells)
        at = data.index(b"T1-C01")
        entry.write_bytes(data[:at] + b"T1-X01" + data[at + 6:])
    elif damage == "garbage":
        entry.write_bytes(np.random.default_rng(3).bytes(len(data)))
    elif damage == "empty":
        entry.write_bytes(b"")
    else:                                        # a whole entry, but made from another file
        other, = [e for e in _entries(cache) if e != entry]
        entry.write_bytes(other.read_bytes())
    got, _ = read_table(path)
    pd.testing.assert_frame_equal(got, want)
    _no_parsing(monkeypatch)                     # and the entry was written again, whole
    pd.testing.assert_frame_equal(read_table(path)[0], want)


def test_a_changed_file_is_read_again(toy_data, cache):
    path = toy_data / "adsl.csv"
    read_table(path)
    _edit(toy_data, "adsl", lambda d: d.assign(AGE="70"))
    assert set(read_table(path)[0]["AGE"]) == {"70"} and len(_entries(cache)) == 2


@pytest.mark.parametrize("where", ["the data folder", "inside it"])
def test_the_cache_is_never_in_the_data_folder(toy_data, monkeypatch, where):
    monkeypatch.setattr(readers, "CACHE_MIN_BYTES", 0)
    folder = toy_data if where == "the data folder" else toy_data / "cache"
    monkeypatch.setenv(readers.CACHE_ENV, str(folder))
    before = sorted(toy_data.rglob("*"))
    load_trial(toy_data)
    assert sorted(toy_data.rglob("*")) == before


def test_no_cache_when_turned_off_or_unwritable(toy_data, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv(readers.CACHE_ENV, str(tmp_path / "cache"))
    want = load_trial(toy_data).adsl
    assert _entries(tmp_path / "cache")
    monkeypatch.setenv(readers.CACHE_ENV, "off")
    assert readers.cache_folder() is None
    _same(load_trial(toy_data).adsl, want)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv(readers.CACHE_ENV, str(blocked))
    _same(load_trial(toy_data).adsl, want)
    assert blocked.read_text().startswith("a file")


def test_small_files_are_parsed_directly(toy_data, tmp_path, monkeypatch):
    monkeypatch.setenv(readers.CACHE_ENV, str(tmp_path / "cache"))
    assert (toy_data / "adeff.csv").stat().st_size < readers.CACHE_MIN_BYTES
    load_trial(toy_data)
    assert not (tmp_path / "cache").exists()


def test_entries_are_private_and_the_least_recent_go(toy_data, cache, monkeypatch):
    monkeypatch.setattr(readers, "CACHE_MAX_ENTRIES", 2)
    for name in TABLES:
        read_table(toy_data / f"{name}.csv")
    entries = _entries(cache)
    assert len(entries) == 2 and all(e.stat().st_mode & 0o777 == 0o600 for e in entries)
    assert cache.stat().st_mode & 0o077 == 0
    kept = {e.name.split("-")[0] for e in entries}
    assert kept == {file_digest(toy_data / f"{n}.csv") for n in ("adeff", "adae")}


def test_two_readers_at_once_parse_the_file_once(toy_data, cache, monkeypatch):
    import threading
    import time

    calls = []
    parse = readers._parse

    def slow(*args):
        calls.append(1)
        time.sleep(0.3)
        return parse(*args)

    monkeypatch.setattr(readers, "_parse", slow)
    out = []
    threads = [threading.Thread(target=lambda: out.append(read_table(toy_data / "adeff.csv")[0])) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(out) == 2
    pd.testing.assert_frame_equal(out[0], out[1])


@pytest.mark.parametrize("values, texts", [
    (["a", None, "b", "a"], ["a", "", "b", "a"]),
    ([1, 1.0, 2.5, None, float("nan"), -0.0, 0], ["1", "1", "2.5", "", "", "0", "0"]),
    ([True, 1, False, 0, 1.0, None], ["true", "1", "false", "0", "1", ""]),     # equal in Python, written apart
    ([2 ** 60, float(2 ** 60), 3, 3.0], [str(2 ** 60), "1.152921504606847e+18", "3", "3"]),
    (["1", 1, "1.0", 1.5, "true", True], ["1", "1", "1.0", "1.5", "true", "true"]),
])
def test_json_values_read_as_the_text_a_csv_file_holds(tmp_path, values, texts):
    path = tmp_path / "adsl.json"
    write_json(pd.DataFrame({"X": values}), path, numeric=set(), rows=[[v] for v in values])
    got, _ = read_table(path, cache=False)
    # a record whose every value is empty carries nothing and is left out; the index keeps the record numbers
    assert got["X"].tolist() == [t for t in texts if t]
    assert got.index.tolist() == [i for i, t in enumerate(texts) if t]


def test_utf16_without_a_byte_order_mark_is_named(toy_data):
    """UTF-16 text without a BOM decodes as UTF-8 with a NUL beside every letter: refused as what it is."""
    path = toy_data / "adsl.csv"
    path.write_bytes(path.read_text().encode("utf-16-le"))
    with pytest.raises(DataError, match="UTF-16 text without a byte-order mark") as err:
        read_table(path, cache=False)
    assert err.value.file == str(path)


def test_a_semicolon_file_whose_header_holds_a_comma_gets_the_delimiter_hint(toy_data):
    """A ';' file is one column only when no name holds a comma; with "Dose, mg" in the header, the hint still comes."""
    path = toy_data / "adsl.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0].replace(",", ";") + ";Dose, mg"] +
                              [line.replace(",", ";") + ";1" for line in lines[1:]]) + "\n")
    with pytest.raises(DataError, match=r"separated by semicolons \(';'\)") as err:
        read_table(path, cache=False)
    assert err.value.rows[0] == 2
