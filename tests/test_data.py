"""msc_frailty.data: loading, the errors required on bad input (contract section 1), add_change."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_dataset

from msc_frailty.data import DataError, add_change, load_trial

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"


def _read(folder, name) -> pd.DataFrame:
    return pd.read_csv(Path(folder) / name, dtype=str, keep_default_na=False)


def _write(folder, name, df: pd.DataFrame):
    df.to_csv(Path(folder) / name, index=False, lineterminator="\n")


def _line(df: pd.DataFrame, mask) -> list[int]:
    """CSV line numbers (header = line 1) of the rows selected by mask."""
    return [int(i) + 2 for i in np.flatnonzero(np.asarray(mask))]


def _raises(folder, file, column, lines, **kwargs) -> DataError:
    """load_trial must raise a DataError naming file, column and lines (in the message and attributes)."""
    with pytest.raises(DataError) as info:
        load_trial(folder, **kwargs)
    err = info.value
    msg = str(err)
    assert file in msg, msg
    assert Path(err.file).name == file
    if column is not None:
        assert err.column == column
        assert f"column {column}" in msg, msg
    if lines is not None:
        assert err.rows == lines
        shown = re.search(r"rows ([0-9, ]+)", msg)
        assert shown, msg
        assert [int(v) for v in shown.group(1).replace(" ", "").strip(",").split(",")] == lines[:10]
    return err


# ------------------------------------------------------------------------------------ good input
def test_load_toy_supplied(toy_data):
    trial = load_trial(toy_data)
    assert trial.basis == "supplied"
    assert trial.studies == ["TOY-1", "TOY-2"]
    arms = trial.arms()
    assert list(arms["TRT01A"]) == ["Control", "Low", "High", "A", "B"]
    assert list(arms["n"]) == [8, 8, 8, 6, 6]
    assert trial.adeff["AVAL"].dtype == float and trial.adsl["TRT01AN"].dtype == float
    assert len(trial.adeff) == 36 * 3 * 2
    assert len(trial.adae) == 6
    one = trial.study("TOY-2")
    assert one.studies == ["TOY-2"] and len(one.adsl) == 12 and set(one.adae["USUBJID"]) == {"T2-B02"}


def test_values_round_trip(toy_data):
    raw = _read(toy_data, "adeff.csv")
    trial = load_trial(toy_data)
    np.testing.assert_array_equal(trial.adeff["AVAL"].to_numpy(), raw["AVAL"].astype(float).to_numpy())


def test_synthetic_flag_gives_synthetic_basis(tmp_path):
    trial = load_trial(write_dataset(tmp_path, synthetic=True))
    assert trial.basis == "synthetic"
    trial = load_trial(write_dataset(tmp_path / "e", synthetic=True, empty_ae=True))
    assert trial.basis == "synthetic"


@pytest.mark.parametrize("how", ["one_row_N", "column_missing_in_adeff"])
def test_mixed_synthetic_flag_raises(tmp_path, how):
    folder = write_dataset(tmp_path, synthetic=True)
    if how == "one_row_N":
        adsl = _read(folder, "adsl.csv")
        adsl.loc[3, "SYNTHFL"] = "N"
        _write(folder, "adsl.csv", adsl)
    else:
        _write(folder, "adeff.csv", _read(folder, "adeff.csv").drop(columns="SYNTHFL"))
    with pytest.raises(DataError, match="SYNTHFL"):
        load_trial(folder)


def test_header_only_adae_is_valid(tmp_path):
    folder = write_dataset(tmp_path, empty_ae=True)
    assert (folder / "adae.csv").read_text().strip().count("\n") == 0
    trial = load_trial(folder)
    assert len(trial.adae) == 0
    assert "ASTDY" in trial.adae.columns


def test_extra_columns_are_carried_through(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl["RACE"] = "WHITE"
    _write(toy_data, "adsl.csv", adsl)
    assert (load_trial(toy_data).adsl["RACE"] == "WHITE").all()


def test_relative_path_is_taken_from_repository_root(tmp_path, monkeypatch):
    folder = write_dataset(tmp_path / "toy")
    monkeypatch.chdir(tmp_path)  # a cwd-relative "toy" would work here; the root-relative path must be used
    relative = os.path.relpath(folder, ROOT)
    assert load_trial(relative).data_dir == folder.resolve()
    with pytest.raises(DataError, match="does not exist"):
        load_trial("toy")


def test_unknown_study_selection_raises(toy_data):
    with pytest.raises(DataError, match="TOY-9"):
        load_trial(toy_data).study("TOY-9")


# ------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", ["adsl.csv", "adae.csv"])
def test_missing_file(toy_data, name):
    (toy_data / name).unlink()
    err = _raises(toy_data, name, None, None)
    assert "missing" in str(err)


def test_missing_efficacy_table_says_what_was_looked_for(toy_data):
    (toy_data / "adeff.csv").unlink()
    with pytest.raises(DataError) as info:
        load_trial(toy_data)
    err = info.value
    assert Path(err.file) == toy_data and err.column is None and err.rows == []
    assert str(err) == (f"{toy_data}: no efficacy table: looked for ad<name>.csv, .xpt or .json files other than "
                        "adsl and adae (such as adeff.csv, adft.xpt, adlb.json) holding the BDS columns "
                        "STUDYID, USUBJID, PARAMCD, AVISITN, AVAL; found none")


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_trial(tmp_path / "nope")


@pytest.mark.parametrize("name, column", [("adsl.csv", "TRT01AN"), ("adsl.csv", "SAFFL"),
                                          ("adeff.csv", "AVAL"), ("adeff.csv", "PARAMCD"),
                                          ("adae.csv", "ASTDY"), ("adae.csv", "AESER")])
def test_missing_column(toy_data, name, column):
    _write(toy_data, name, _read(toy_data, name).drop(columns=column))
    err = _raises(toy_data, name, column, None)
    if name == "adeff.csv":     # without a BDS column adeff is not efficacy data, and there is no other
        assert "no efficacy table" in str(err) and f"adeff.csv has no {column}" in str(err)


def test_missing_column_in_header_only_adae(tmp_path):
    folder = write_dataset(tmp_path, empty_ae=True)
    (folder / "adae.csv").write_text("STUDYID,USUBJID,AEDECOD,AESER,TRTEMFL,AEOUT\n")
    _raises(folder, "adae.csv", "ASTDY", None)


@pytest.mark.parametrize("value", ["abc", "", "NA", "12,5"])
def test_non_numeric_or_empty_aval(toy_data, value):
    adeff = _read(toy_data, "adeff.csv")
    adeff.loc[[4, 17], "AVAL"] = value
    _write(toy_data, "adeff.csv", adeff)
    _raises(toy_data, "adeff.csv", "AVAL", [6, 19])


def test_negative_dose(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl.loc[adsl["USUBJID"] == "T1-C03", "TRT01AN"] = "-1"
    _write(toy_data, "adsl.csv", adsl)
    _raises(toy_data, "adsl.csv", "TRT01AN", [4])  # T1-C03 is the 3rd subject


def test_duplicated_subject_parameter_visit(toy_data):
    adeff = _read(toy_data, "adeff.csv")
    row = adeff.iloc[[9]]
    adeff = pd.concat([adeff, row], ignore_index=True)  # appended as the last line
    _write(toy_data, "adeff.csv", adeff)
    _raises(toy_data, "adeff.csv", "AVISITN", [11, len(adeff) + 1])


def test_duplicated_subject_in_adsl(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl = pd.concat([adsl, adsl.iloc[[2]]], ignore_index=True)
    _write(toy_data, "adsl.csv", adsl)
    _raises(toy_data, "adsl.csv", "USUBJID", [4, len(adsl) + 1])


def test_same_usubjid_in_two_studies_is_allowed(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adeff = _read(toy_data, "adeff.csv")
    for df in (adsl, adeff):
        df.loc[df["USUBJID"] == "T2-A01", "USUBJID"] = "T1-C01"  # same id, other study
    _write(toy_data, "adsl.csv", adsl)
    _write(toy_data, "adeff.csv", adeff)
    assert len(load_trial(toy_data).adsl) == 36


def test_unknown_subject_in_adeff(toy_data):
    adeff = _read(toy_data, "adeff.csv")
    adeff.loc[[7, 30], "USUBJID"] = "T1-X99"
    _write(toy_data, "adeff.csv", adeff)
    err = _raises(toy_data, "adeff.csv", "USUBJID", [9, 32])
    assert "T1-X99" in str(err)


def test_subject_known_only_in_another_study_is_unknown(toy_data):
    adeff = _read(toy_data, "adeff.csv")
    adeff.loc[0, "STUDYID"] = "TOY-2"  # T1-C01 exists only in TOY-1
    _write(toy_data, "adeff.csv", adeff)
    _raises(toy_data, "adeff.csv", "USUBJID", [2])


def test_unknown_subject_in_adae(toy_data):
    adae = _read(toy_data, "adae.csv")
    adae.loc[2, "USUBJID"] = "NOBODY"
    _write(toy_data, "adae.csv", adae)
    err = _raises(toy_data, "adae.csv", "USUBJID", [4])
    assert "NOBODY" in str(err)


def test_header_only_adsl(toy_data):
    (toy_data / "adsl.csv").write_text("STUDYID,USUBJID,TRT01A,TRT01AN,AGE,SEX,SAFFL\n")
    err = _raises(toy_data, "adsl.csv", None, None)
    assert "no rows" in str(err)


def test_completely_empty_file(toy_data):
    (toy_data / "adeff.csv").write_text("")
    _raises(toy_data, "adeff.csv", None, None)


@pytest.mark.parametrize("name, column, row, value, line", [
    ("adsl.csv", "SEX", 6, "female", 8),
    ("adsl.csv", "SEX", 0, "", 2),
    ("adsl.csv", "SAFFL", 11, "yes", 13),
    ("adae.csv", "AESER", 1, "S", 3),
    ("adae.csv", "TRTEMFL", 4, "1", 6),
])
def test_bad_codes(toy_data, name, column, row, value, line):
    df = _read(toy_data, name)
    df.loc[row, column] = value
    _write(toy_data, name, df)
    _raises(toy_data, name, column, [line])


def test_non_numeric_astdy(toy_data):
    adae = _read(toy_data, "adae.csv")
    adae.loc[3, "ASTDY"] = "day 2"
    _write(toy_data, "adae.csv", adae)
    _raises(toy_data, "adae.csv", "ASTDY", [5])


def _rename_study(folder, old, new):
    for name in ("adsl.csv", "adeff.csv", "adae.csv"):
        df = _read(folder, name)
        df.loc[df["STUDYID"] == old, "STUDYID"] = new
        _write(folder, name, df)


def test_placebo_controlled_study_without_placebo(toy_data):
    _rename_study(toy_data, "TOY-2", "CRATUS-P2")  # TOY-2 has arms A and B only
    adsl = _read(toy_data, "adsl.csv")
    err = _raises(toy_data, "adsl.csv", "TRT01AN", _line(adsl, adsl["STUDYID"] == "CRATUS-P2"))
    assert "CRATUS-P2" in str(err) and "placebo" in str(err)


def test_placebo_controlled_study_with_placebo_loads(toy_data):
    _rename_study(toy_data, "TOY-1", "CRATUS-P2")
    assert "CRATUS-P2" in load_trial(toy_data).studies


def test_require_placebo_argument(toy_data):
    assert load_trial(toy_data, require_placebo=["TOY-1"]).studies == ["TOY-1", "TOY-2"]
    adsl = _read(toy_data, "adsl.csv")
    _raises(toy_data, "adsl.csv", "TRT01AN", _line(adsl, adsl["STUDYID"] == "TOY-2"), require_placebo=["TOY-2"])


def test_arm_label_with_two_doses(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl.loc[adsl["USUBJID"] == "T1-L04", "TRT01AN"] = "20"
    _write(toy_data, "adsl.csv", adsl)
    err = _raises(toy_data, "adsl.csv", "TRT01AN", _line(adsl, adsl["TRT01A"] == "Low"))
    assert "Low" in str(err)


def test_one_dose_with_two_arm_labels(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl.loc[adsl["USUBJID"] == "T1-H02", "TRT01A"] = "High dose"
    _write(toy_data, "adsl.csv", adsl)
    _raises(toy_data, "adsl.csv", "TRT01A", _line(adsl, (adsl["STUDYID"] == "TOY-1") & (adsl["TRT01AN"] == "30")))


def test_many_bad_rows_are_summarised(toy_data):
    adeff = _read(toy_data, "adeff.csv")
    adeff.loc[0:14, "AVAL"] = "x"
    _write(toy_data, "adeff.csv", adeff)
    err = _raises(toy_data, "adeff.csv", "AVAL", list(range(2, 17)))
    assert "and 5 more" in str(err)


# ------------------------------------------------------------------------------------------- CLI
def _cli(folder):
    return subprocess.run([str(PYTHON), "-m", "msc_frailty.data", str(folder)], capture_output=True, text=True,
                          timeout=60)


def test_cli_good_folder_exits_zero(toy_data):
    res = _cli(toy_data)
    assert res.returncode == 0, res.stderr
    assert "supplied" in res.stdout and "TOY-1" in res.stdout and "Control" in res.stdout


def test_cli_bad_folder_exits_one_with_message_on_stderr(toy_data):
    adeff = _read(toy_data, "adeff.csv")
    adeff.loc[5, "AVAL"] = "oops"
    _write(toy_data, "adeff.csv", adeff)
    res = _cli(toy_data)
    assert res.returncode == 1
    assert "adeff.csv" in res.stderr and "column AVAL" in res.stderr and "rows 7" in res.stderr
    assert res.stdout == ""


def test_cli_missing_folder_exits_one(tmp_path):
    res = _cli(tmp_path / "absent")
    assert res.returncode == 1 and "does not exist" in res.stderr


# ------------------------------------------------------------------------------------ add_change
def _hand_changes(folder) -> dict:
    """{(study, subject, param, visit): (base, chg)} computed from the raw CSV with plain Python."""
    rows = _read(folder, "adeff.csv")
    values = {}
    for r in rows.itertuples(index=False):
        values[(r.STUDYID, r.USUBJID, r.PARAMCD, float(r.AVISITN))] = float(r.AVAL)
    out = {}
    for (study, subj, param, visit), v in values.items():
        base = values.get((study, subj, param, 0.0))
        if visit > 0 and base is not None:
            out[(study, subj, param, visit)] = (base, v - base)
    return out


def test_add_change_matches_hand_computation(toy_data):
    chg = add_change(load_trial(toy_data))
    hand = _hand_changes(toy_data)
    got = {(r.STUDYID, r.USUBJID, r.PARAMCD, r.AVISITN): (r.BASE, r.CHG) for r in chg.itertuples(index=False)}
    assert set(got) == set(hand)
    for key, (base, c) in hand.items():
        assert got[key][0] == base
        assert got[key][1] == pytest.approx(c, abs=1e-9)
    assert (chg["AVISITN"] > 0).all()
    assert {"TRT01A", "TRT01AN"} <= set(chg.columns)
    arm_of = dict(zip(_read(toy_data, "adsl.csv")["USUBJID"], _read(toy_data, "adsl.csv")["TRT01A"]))
    assert all(arm_of[s] == a for s, a in zip(chg["USUBJID"], chg["TRT01A"]))


def test_add_change_drops_subjects_without_baseline(toy_data):
    adeff = _read(toy_data, "adeff.csv")
    gone = (adeff["USUBJID"] == "T1-L02") & (adeff["PARAMCD"] == "SIXMWD") & (adeff["AVISITN"] == "0")
    assert gone.sum() == 1
    _write(toy_data, "adeff.csv", adeff[~gone])
    chg = add_change(load_trial(toy_data))
    subj = chg[chg["USUBJID"] == "T1-L02"]
    assert set(subj["PARAMCD"]) == {"TNFA"}  # TNFA still has its baseline
    assert len(subj) == 2
    assert len(chg) == 36 * 2 * 2 - 2


def test_add_change_excludes_saffl_n(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl.loc[adsl["USUBJID"].isin(["T1-H01", "T2-A03"]), "SAFFL"] = "N"
    _write(toy_data, "adsl.csv", adsl)
    chg = add_change(load_trial(toy_data))
    assert not chg["USUBJID"].isin(["T1-H01", "T2-A03"]).any()
    assert len(chg) == 34 * 2 * 2


def test_line_numbers_count_blank_lines(toy_data):
    # The contract numbers rows by their line in the CSV file (header = line 1). A blank line in the
    # middle of a file is still a line: the bad value below sits on line 12 of the file.
    path = toy_data / "adeff.csv"
    lines = path.read_text().split("\n")
    lines.insert(3, "")  # blank line 4
    lines[11] = lines[11].rsplit(",", 1)[0] + ",bad"  # line 12
    path.write_text("\n".join(lines))
    _raises(toy_data, "adeff.csv", "AVAL", [12])


# ------------------------------------------------------------------ ADaM conventions (CSV form; see test_readers)
def test_any_fl_column_is_a_flag(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl["ITTFL"] = "Y"
    adsl.loc[[5, 20], "ITTFL"] = ["X", "yes"]
    _write(toy_data, "adsl.csv", adsl)
    err = _raises(toy_data, "adsl.csv", "ITTFL", [7, 22])
    assert "'X'" in str(err) and "'yes'" in str(err)


def test_null_saffl_and_aeser_are_accepted(toy_data):
    adsl = _read(toy_data, "adsl.csv")
    adsl.loc[adsl["USUBJID"] == "T1-C04", "SAFFL"] = ""
    _write(toy_data, "adsl.csv", adsl)
    adae = _read(toy_data, "adae.csv")
    adae.loc[adae["AESER"] == "N", "AESER"] = ""
    _write(toy_data, "adae.csv", adae)
    trial = load_trial(toy_data)
    assert trial.adsl.loc[trial.adsl.USUBJID == "T1-C04", "SAFFL"].tolist() == [""]
    assert "T1-C04" not in set(add_change(trial)["USUBJID"])
    assert sorted(trial.adae["AESER"]) == ["", "", "", "", "Y", "Y"]


def test_empty_astdy_is_nan_but_text_is_an_error(toy_data):
    adae = _read(toy_data, "adae.csv")
    adae.loc[1, "ASTDY"] = ""
    _write(toy_data, "adae.csv", adae)
    assert np.isnan(load_trial(toy_data).adae["ASTDY"].iloc[1])
    adae.loc[4, "ASTDY"] = "NA"
    _write(toy_data, "adae.csv", adae)
    _raises(toy_data, "adae.csv", "ASTDY", [6])


def test_two_forms_of_adsl_name_both_files(toy_data):
    (toy_data / "adsl.json").write_text("{}")
    with pytest.raises(DataError, match=r"adsl\.csv and adsl\.json"):
        load_trial(toy_data)


@pytest.mark.parametrize("records", ["observed", "as_flagged"])
def test_csv_without_analysis_columns_loads_the_same_under_either_rule(toy_data, records):
    trial = load_trial(toy_data, records=records)
    pd.testing.assert_frame_equal(trial.adeff, load_trial(toy_data).adeff)
    assert trial.dropped.empty and trial.params.empty
