"""msc_frailty.data readers: CSV, SAS XPORT (v5, v8) and Dataset-JSON 1.1 give the same trial, and the
ADaM conventions of contract section 1 ("Real ADaM data") hold whichever form a table comes in."""

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

