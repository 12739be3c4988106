"""msc_frailty.results: parts, the combined sorted estimates.csv, replacement of own rows, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from msc_frailty import results
from msc_frailty.analysis import ESTIMATE_COLUMNS, PLAN_COLUMNS


def _rows(finding, study, items, basis="synthetic"):
    """items: (paramcd, visit, comparison, method, arm, ref_arm, estimate)."""
    return pd.DataFrame(
        [[finding, study, p, v, c, a, r, 10, np.nan if r == "" else 10, e, e - 1, e + 1,
          np.nan if m == "hedges_g" else 0.04, m, basis] for p, v, c, m, a, r, e in items],
        columns=PLAN_COLUMNS).assign(bound="")


PHYS_S2 = _rows("physical_performance", "S2", [
    ("SIXMWD", 6.0, "vs_placebo", "ancova", "100M", "Placebo", 30.5),
    ("SIXMWD", 6.0, "change_from_baseline", "paired_t", "100M", "", 40.25),
    ("SIXMWD", 3.0, "change_from_baseline", "paired_t", "100M", "", 20.0),
])
PHYS_S1 = _rows("physical_performance", "S1", [
    ("SIXMWD", 6.0, "change_from_baseline", "paired_t", "20M", "", 1 / 3),
])
SAFETY_S1 = _rows("safety", "S1", [
    ("TESAE30", np.nan, "proportion", "clopper_pearson", "Placebo", "", 0.0),
    ("TESAE30", np.nan, "across_arms", "fisher_exact", "", "", np.nan),
])


def _read_raw(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_write_parts_and_combined_sorted(tmp_path):
    out = results.write_estimates(PHYS_S2, tmp_path, "physical_performance", "S2")
    results.write_estimates(SAFETY_S1, tmp_path, "safety", "S1")
    out2 = results.write_estimates(PHYS_S1, tmp_path, "physical_performance", "S1")
    assert out == out2 == tmp_path / "results" / "estimates.csv"
    parts = sorted(p.name for p in (tmp_path / "results" / "parts").glob("*.csv"))
    assert parts == ["physical_performance__S1.csv", "physical_performance__S2.csv", "safety__S1.csv"]
    assert len(_read_raw(tmp_path / "results" / "parts" / "physical_performance__S2.csv")) == 3

    raw = _read_raw(out)
    assert list(raw.columns) == ESTIMATE_COLUMNS
    # sorted by finding, study, paramcd, visit, comparison, method, arm, ref_arm (written out by hand)
    expected = [
        ("physical_performance", "S1", "SIXMWD", "6", "change_from_baseline"),
        ("physical_performance", "S2", "SIXMWD", "3", "change_from_baseline"),
        ("physical_performance", "S2", "SIXMWD", "6", "change_from_baseline"),
        ("physical_performance", "S2", "SIXMWD", "6", "vs_placebo"),
        ("safety", "S1", "TESAE30", "", "across_arms"),
        ("safety", "S1", "TESAE30", "", "proportion"),
    ]
    assert list(raw[["finding", "study", "paramcd", "visit", "comparison"]].itertuples(index=False, name=None)) \
        == expected
    # values survive: empty strings for missing text and numbers, floats to 10 significant digits
    first = raw.iloc[0]
    assert first["ref_arm"] == "" and first["n_ref"] == ""
    assert float(first["estimate"]) == pytest.approx(1 / 3, rel=1e-9)
    assert first["estimate"] == "0.3333333333"
    assert raw.iloc[4]["arm"] == "" and raw.iloc[4]["estimate"] == ""


def test_rerun_replaces_only_its_own_rows(tmp_path):
    results.write_estimates(PHYS_S2, tmp_path, "physical_performance", "S2")
    results.write_estimates(PHYS_S1, tmp_path, "physical_performance", "S1")
    results.write_estimates(SAFETY_S1, tmp_path, "safety", "S1")
    assert len(_read_raw(tmp_path / "results" / "estimates.csv")) == 6
    new = _rows("physical_performance", "S2", [("SIXMWD", 6.0, "vs_placebo", "ancova", "100M", "Placebo", 99.0)])
    results.write_estimates(new, tmp_path, "physical_performance", "S2")
    est = results.read_estimates(tmp_path)
    assert len(est) == 4
    s2 = est[est.study == "S2"]
    assert len(s2) == 1 and s2.iloc[0]["estimate"] == 99.0
    assert len(est[(est.study == "S1") & (est.finding == "physical_performance")]) == 1
    assert len(est[est.finding == "safety"]) == 2


def test_empty_rows_remove_a_findings_rows(tmp_path):
    results.write_estimates(PHYS_S2, tmp_path, "physical_performance", "S2")
    results.write_estimates(SAFETY_S1, tmp_path, "safety", "S1")
    results.write_estimates(PHYS_S2.iloc[0:0], tmp_path, "physical_performance", "S2")
    est = results.read_estimates(tmp_path)
    assert set(est["finding"]) == {"safety"} and len(est) == 2


def test_read_estimates_keeps_empty_strings(tmp_path):
    results.write_estimates(SAFETY_S1, tmp_path, "safety", "S1")
    est = results.read_estimates(tmp_path)
    assert (est["ref_arm"] == "").all()
    assert est["visit"].isna().all()
    assert est.loc[est.comparison == "across_arms", "arm"].iloc[0] == ""


def test_bad_basis_raises(tmp_path):
    bad = PHYS_S1.assign(basis="real")
    with pytest.raises(ValueError, match="basis"):
        results.write_estimates(bad, tmp_path, "physical_performance", "S1")
    assert not (tmp_path / "results" / "estimates.csv").exists()


@pytest.mark.parametrize("column", ["p_value", "basis", "ref_arm"])
def test_missing_column_raises(tmp_path, column):
    with pytest.raises(ValueError, match=column):
        results.write_estimates(PHYS_S1.drop(columns=column), tmp_path, "physical_performance", "S1")
    assert not (tmp_path / "results" / "parts").exists() or not any((tmp_path / "results" / "parts").iterdir())


def test_extra_columns_are_dropped_and_order_fixed(tmp_path):
    shuffled = PHYS_S1[ESTIMATE_COLUMNS[::-1]].assign(note="scratch")
    out = results.write_estimates(shuffled, tmp_path, "physical_performance", "S1")
    assert list(_read_raw(out).columns) == ESTIMATE_COLUMNS


def test_bytes_identical_when_written_twice(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    # different write orders, same rows
    for f, s, rows in [("physical_performance", "S2", PHYS_S2), ("safety", "S1", SAFETY_S1),
                       ("physical_performance", "S1", PHYS_S1)]:
        results.write_estimates(rows, a, f, s)
    for f, s, rows in [("physical_performance", "S1", PHYS_S1), ("physical_performance", "S2", PHYS_S2),
                       ("safety", "S1", SAFETY_S1)]:
        results.write_estimates(rows, b, f, s)
    first = (a / "results" / "estimates.csv").read_bytes()
    assert first == (b / "results" / "estimates.csv").read_bytes()
    results.write_estimates(PHYS_S2, a, "physical_performance", "S2")  # rewrite the same rows
    assert (a / "results" / "estimates.csv").read_bytes() == first
    assert b"\r\n" not in first
    assert not list((a / "results").glob(".*.tmp"))  # no temporary files left behind


def test_numeric_looking_text_is_kept_verbatim(tmp_path):
    # STUDYID and TRT01A are text (contract section 1): a study "0042" or an arm labelled "10" must come
    # back as written, not as 42 or "10.0".
    rows = _rows("safety", "0042", [
        ("TESAE30", np.nan, "proportion", "clopper_pearson", "10", "", 0.0),
        ("TESAE30", np.nan, "across_arms", "fisher_exact", "", "", np.nan),
    ], basis="supplied")
    out = results.write_estimates(rows, tmp_path, "safety", "0042")
    raw = _read_raw(out)
    assert set(raw["study"]) == {"0042"}
    assert sorted(raw["arm"]) == ["", "10"]
    est = results.read_estimates(tmp_path)
    assert set(est["study"]) == {"0042"}
