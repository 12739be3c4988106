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
    # values survive: empty strings for missing text and numbers, floats to 6 significant digits,
    # counts as integers
    first = raw.iloc[0]
    assert first["ref_arm"] == "" and first["n_ref"] == ""
    assert first["estimate"] == "0.333333" and first["ci_low"] == "-0.666667" and first["ci_high"] == "1.33333"
    assert first["n"] == "10" and first["p_value"] == "0.04"
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


# --------------------------------------------------------------------------------------------- precision

def test_round_significant_is_correctly_rounded():
    got = results.round_significant([0.12345649999, 0.1234565001, -0.4999999998, 17.00000001, 1234567.0,
                                     -1e-300, -0.0, np.nan, np.inf])
    assert got[:5].tolist() == [0.123456, 0.123457, -0.5, 17.0, 1234570.0]
    assert got[5] == -1e-300              # rounding alone keeps a tiny value: only the row rule snaps it
    assert not np.signbit(got[6])         # -0 is written as 0
    assert np.isnan(got[7]) and np.isinf(got[8])


def test_values_within_noise_of_zero_are_written_as_zero(tmp_path):
    # an ANCOVA difference that is zero up to BLAS noise, its interval +-0.43 (from the issue report)
    rows = _rows("dose_comparison", "S1", [("TNFA", 3.0, "vs_arm", "ancova", "25M", "50M", 0.0)])
    rows[["estimate", "ci_low", "ci_high", "p_value"]] = [[-2.312978975e-11, -0.4320900027, 0.4320900026,
                                                           0.9999999999]]
    raw = _read_raw(results.write_estimates(rows, tmp_path, "dose_comparison", "S1")).iloc[0]
    assert (raw["estimate"], raw["ci_low"], raw["ci_high"], raw["p_value"]) == ("0", "-0.43209", "0.43209", "1")
    # a small value that is not noise relative to its own interval is kept
    rows[["estimate", "ci_low", "ci_high"]] = [[2.5e-8, 1e-8, 4e-8]]
    raw = _read_raw(results.write_estimates(rows, tmp_path, "dose_comparison", "S1")).iloc[0]
    assert (raw["estimate"], raw["ci_low"], raw["ci_high"]) == ("2.5e-08", "1e-08", "4e-08")
    # p-values are never snapped: a tiny p is a result, not noise
    rows[["estimate", "ci_low", "ci_high", "p_value"]] = [[120.0, 100.0, 140.0, 3.2e-21]]
    raw = _read_raw(results.write_estimates(rows, tmp_path, "dose_comparison", "S1")).iloc[0]
    assert raw["p_value"] == "3.2e-21"


def test_machine_noise_does_not_change_the_bytes(tmp_path):
    # the same rows perturbed at the 1e-10 relative level (what another processor's BLAS kernels do)
    # are written as the same bytes
    rng = np.random.default_rng(7)
    base = _rows("physical_performance", "S1", [("SIXMWD", float(v), "vs_placebo", "ancova", f"A{v}", "Placebo",
                                                 e) for v, e in enumerate(rng.normal(0, 30, 200))])
    base["p_value"] = rng.uniform(0, 1, len(base))
    base.loc[0, ["estimate", "ci_low", "ci_high"]] = [0.0, -5.0, 5.0]
    noisy = base.copy()
    cols = ["estimate", "ci_low", "ci_high", "p_value"]
    values = base[cols].to_numpy(float) * (1 + rng.uniform(-1e-10, 1e-10, (len(base), 4)))
    values[0, 0] = -3e-12                 # the zero estimate comes out as noise
    noisy[cols] = values
    a = results.write_estimates(base, tmp_path / "a", "physical_performance", "S1").read_bytes()
    b = results.write_estimates(noisy, tmp_path / "b", "physical_performance", "S1").read_bytes()
    assert a == b


def test_large_counts_stay_whole_numbers(tmp_path):
    rows = _rows("cohort", "S1", [("ENROLLED", np.nan, "count", "count", "All arms", "", 1234567.0)])
    rows[["n", "n_ref"]] = [[1234567, np.nan]]
    raw = _read_raw(results.write_estimates(rows, tmp_path, "cohort", "S1")).iloc[0]
    assert raw["n"] == "1234567" and raw["n_ref"] == ""
    rows["n"] = 2.5
    with pytest.raises(ValueError, match="whole counts"):
        results.write_estimates(rows, tmp_path, "cohort", "S1")


def test_rounding_is_idempotent_and_keeps_other_columns():
    rows = PHYS_S2.assign(estimate=[30.123456789, 40.25, 1 / 7])
    once = results.round_estimates(rows)
    assert once.equals(results.round_estimates(once))
    assert once["estimate"].tolist() == [30.1235, 40.25, 0.142857]
    assert once[["finding", "arm", "n", "method"]].equals(rows[["finding", "arm", "n", "method"]])


# --- spreadsheet safety: no cell a spreadsheet reads as a formula, bounds written empty ----------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_cells(folder) -> list[str]:
    """Every cell of every CSV file under ``folder`` (headers too) that a spreadsheet would read as a formula:
    text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return that is not a plain number (``-0.5``
    is a number; ``-inf`` is not), and any infinite or NaN number written as text."""
    import csv
    from pathlib import Path

    from msc_frailty.names import _PLAIN_NUMBER

    found = []
    for path in sorted(Path(folder).rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for line, row in enumerate(csv.reader(f), 1):
                for cell in row:
                    if ((cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell))
                            or cell.strip().lower().lstrip("+-") in ("inf", "infinity", "nan")):
                        found.append(f"{path.relative_to(folder)}:{line}: {cell!r}")
    return found


BOUNDS = _rows("physical_performance", "S1", [
    ("SF36PCS", 3.0, "change_from_baseline", "implied_dz", "100M", "", 1.24166),
    ("TNFA", 6.0, "change_from_baseline", "implied_dz", "all", "", -1.38483),
    ("FEV1", 6.0, "change_from_baseline", "implied_dz", "200M", "", np.nan),
]).assign(basis="published", p_value=np.nan, bound=["lower", "upper", "range"],
          ci_low=[0.0, -np.inf, -1.4002], ci_high=[np.inf, -0.655639, 1.4002])


def test_a_one_sided_bound_is_written_with_an_empty_open_limit(tmp_path):
    path = results.write_estimates(BOUNDS, tmp_path, "physical_performance", "S1")
    raw = _read_raw(path).set_index("paramcd")
    assert raw.loc["SF36PCS", ["estimate", "ci_low", "ci_high", "bound"]].tolist() == ["1.24166", "0", "", "lower"]
    assert raw.loc["TNFA", ["estimate", "ci_low", "ci_high", "bound"]].tolist() == ["-1.38483", "", "-0.655639",
                                                                                     "upper"]
    assert raw.loc["FEV1", ["estimate", "ci_low", "ci_high", "bound"]].tolist() == ["", "-1.4002", "1.4002", "range"]
    # read back as meant: the open side infinite
    est = results.read_estimates(tmp_path).set_index("paramcd")
    assert est.loc["SF36PCS", "ci_high"] == np.inf and est.loc["TNFA", "ci_low"] == -np.inf
    assert np.isnan(est.loc["FEV1", "estimate"])
    # numbers.csv likewise, and its text says the bound as a journal prints it
    from msc_frailty import numbers

    numbers.write_numbers(tmp_path / "results")
    table = _read_raw(tmp_path / "results" / "numbers.csv").set_index("text")
    assert list(table.columns[3:7]) == ["ci_low", "ci_high", "bound", "p"]
    assert table.loc["\u2265 1.24 (95% CI 0 to \u221e)", ["ci_low", "ci_high", "bound"]].tolist() == ["0", "", "lower"]
    assert table.loc["\u2264 \u22121.38 (95% CI \u2212\u221e to \u22120.66)", ["ci_low", "ci_high", "bound"]].tolist() \
        == ["", "-0.655639", "upper"]
    assert formula_cells(tmp_path) == []


def test_an_infinite_value_no_bound_explains_is_refused(tmp_path):
    for column, value, bound in (("ci_high", np.inf, ""), ("estimate", -np.inf, "lower"), ("ci_low", -np.inf, "lower"),
                                 ("ci_high", np.inf, "upper")):
        rows = BOUNDS.iloc[[0]].assign(**{column: value, "bound": bound})
        with pytest.raises(ValueError, match="infinite"):
            results.write_estimates(rows, tmp_path, "physical_performance", "S1")
    with pytest.raises(ValueError, match="bound must be one of"):
        results.write_estimates(BOUNDS.assign(bound="open"), tmp_path, "physical_performance", "S1")


def test_a_file_written_before_upper_existed_is_read_as_meant(tmp_path):
    """An upper bound written as ``lower`` with ``-inf`` (results of earlier versions) reads as ``upper``."""
    (tmp_path / "results").mkdir()
    path = tmp_path / "results" / "estimates.csv"
    pd.DataFrame([BOUNDS.iloc[1]]).assign(bound="lower").to_csv(path, index=False)
    assert "-inf" in path.read_text()
    est = results.read_estimates(tmp_path)
    assert est.loc[0, "bound"] == "upper" and est.loc[0, "ci_low"] == -np.inf


def test_text_from_the_data_that_a_spreadsheet_would_run_is_escaped(tmp_path):
    hostile = '=HYPERLINK("http://example.org/x","100M")'
    rows = BOUNDS.assign(arm=[hostile, "@SUM(1)", "-cmd"], study="+S1")
    results.write_estimates(rows, tmp_path, "physical_performance", "S1")
    raw = _read_raw(tmp_path / "results" / "estimates.csv")
    assert set(raw.arm) == {"'" + hostile, "'@SUM(1)", "'-cmd"} and set(raw.study) == {"'+S1"}
    assert formula_cells(tmp_path) == []
    assert set(results.read_estimates(tmp_path).arm) == {hostile, "@SUM(1)", "-cmd"}   # read back as they were


def test_results_are_written_readable_like_the_figures(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = results.write_estimates(BOUNDS, tmp_path, "physical_performance", "S1")
    finally:
        os.umask(old)
    for p in (path, *(tmp_path / "results" / "parts").iterdir()):
        assert p.stat().st_mode & 0o777 == 0o644, p
