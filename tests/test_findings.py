"""msc_frailty.findings and msc_frailty.endpoints: analysis rows, sentences, tables and captions of the
efficacy notebooks, and the parameters, visits and arms they speak of."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from msc_frailty import endpoints, findings, style
from msc_frailty.analysis import ESTIMATE_COLUMNS


def change_data():
    """Two arms (Placebo, 100M) x visits 3 and 6 x 3 subjects, plus an unknown arm 'Low' (dose 10)."""
    rows = []
    values = {("Placebo", 3): [1.0, 2.0, 3.0], ("Placebo", 6): [0.0, 1.0, 5.0],
              ("100M", 3): [10.0, 12.0, 14.0], ("100M", 6): [20.0, 22.0, 30.0],
              ("Low", 3): [4.0, 5.0, 6.0], ("Low", 6): [6.0, 8.0, 10.0]}
    dose = {"Placebo": 0.0, "Low": 10.0, "100M": 100.0}
    for (arm, visit), chg in values.items():
        for i, c in enumerate(chg):
            base = 300.0 + 10 * i
            rows.append({"STUDYID": "S", "USUBJID": f"{arm}-{i}", "PARAMCD": "SIXMWD", "AVISITN": float(visit),
                         "TRT01A": arm, "TRT01AN": dose[arm], "BASE": base, "AVAL": base + c, "CHG": c})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- endpoints

def test_parameter_info_known_and_unknown():
    tnf = endpoints.parameter_info("TNFA")
    assert tnf["higher_is_better"] is False and tnf["unit"] == "pg/mL" and tnf["known"]
    assert endpoints.parameter_info("SPPB")["unit"] == "points"  # "points (0-12)" shortened for axes
    crp = endpoints.parameter_info("CRP")
    # an unknown code: no unit, no direction (nobody gave one), analysed as an "other endpoint"
    assert crp == {"paramcd": "CRP", "label": "CRP", "short": "CRP", "unit": "", "higher_is_better": None,
                   "known": False, "finding": "other_endpoints"}
    assert endpoints.parameter_info("SIXMWD")["finding"] == "physical_performance"


def test_axis_labels_state_direction():
    assert endpoints.axis_label("SIXMWD") == "Change in 6MWD (m)\n(higher is better)"
    assert endpoints.axis_label("TNFA", "difference").endswith("(lower is better)")
    assert endpoints.axis_label("CRP") == "Change in CRP"  # no direction stated: none claimed
    assert endpoints.axis_label("BCTNFA", "ratio").startswith("B-cell TNF-\u03b1, ratio to baseline")


def test_figure_names_are_stable():
    assert [endpoints.figure_name(p) for p in ("SIXMWD", "SPPB", "FEV1", "TNFA", "BCTNFA")] == [
        "six_minute_walk", "sppb", "fev1", "tnf_alpha", "b_cell_tnf_alpha"]
    assert endpoints.figure_name("IL-6 (serum)") == "il_6_serum"


def test_main_visit_and_params():
    assert endpoints.main_visit([0, 3, 6, 12]) == 6.0
    assert endpoints.main_visit([0, 2, 4]) == 4.0
    assert endpoints.main_visit([0]) is None
    assert endpoints.ordered_params(["SQOLF", "TNFA", "SIXMWD"], endpoints.PHYSICAL) == ["SIXMWD", "SQOLF"]
    assert endpoints.ordered_params(["ZZZ", "CRP", "BCTNFA", "SPPB"], exclude=endpoints.PHYSICAL) == [
        "BCTNFA", "CRP", "ZZZ"]


def test_arm_order_counts_and_the_points_rule():
    d = change_data()
    assert endpoints.arm_order(d) == ["Placebo", "Low", "100M"]
    d = d.drop(index=[15])                                       # Low-0 at 6 months
    assert endpoints.arm_counts(d) == {"Placebo": 3, "Low": 3, "100M": 3}
    by_visit = endpoints.arm_counts(d, by="AVISITN")
    assert by_visit == {"Placebo": [3], "Low": [2, 3], "100M": [3]}
    assert [endpoints.n_label(a, n) for a, n in by_visit.items()] == [
        "Placebo (n = 3)", "Low (n = 2\u20133)", "100M (n = 3)"]
    assert endpoints.n_label("100M", 10) == style.arm_n_label("100M", 10)
    assert endpoints.shows_points({"A": 30, "B": 200}) and not endpoints.shows_points({"A": 31, "B": [31, 40]})


def test_row_counts_from_arm_and_reference():
    rows = pd.DataFrame({"arm": ["20M", "20M", "100M"], "ref_arm": ["100M", "200M", "200M"],
                         "n": [5, 5, 4], "n_ref": [4, 5, 5]})
    assert endpoints.row_counts(rows) == {"20M": [5], "100M": [4], "200M": [5]}
    placebo = pd.DataFrame({"arm": ["A"], "ref_arm": [""], "n": [3], "n_ref": [np.nan]})
    assert endpoints.row_counts(placebo) == {"A": [3]}


# ---------------------------------------------------------------------------------------------- rows and words

def test_at_visits_per_parameter_and_empty():
    rows = pd.DataFrame({"paramcd": ["A", "A", "B", "B"], "visit": [3.0, 6.0, 2.0, 4.0]})
    assert findings.at_visits(rows, {"A": 6.0, "B": 4.0}).index.tolist() == [1, 3]
    empty = findings.at_visits(rows.iloc[:0], {})
    assert list(empty.columns) == ["paramcd", "visit"] and len(empty) == 0


def test_format_and_describe_and_verdict():
    assert findings.format_p(0.0123) == "p = 0.012" and findings.format_p(1e-6) == "p < 0.001"
    assert findings.format_p(float("nan")) == "p = NA"
    row = {"paramcd": "SIXMWD", "estimate": 35.2, "ci_low": 10.1, "ci_high": 60.3, "p_value": 0.012, "n": 10,
           "n_ref": np.nan}
    assert findings.describe(row) == "+35.2 m (95% CI 10.1 to 60.3; p = 0.012; n = 10)"
    assert findings.describe({**row, "n_ref": 9}).endswith("n = 10 vs 9)")
    assert findings.verdict(row) == "favourable"
    assert findings.verdict({**row, "paramcd": "TNFA"}) == "unfavourable"  # an increase in TNF-alpha
    assert findings.verdict({**row, "ci_low": -1.0}) == "inconclusive"
    assert findings.verdict({"paramcd": "TNFA", "ci_low": 0.6, "ci_high": 0.9}, ref=1.0) == "favourable"


def test_basis_banner():
    assert "SYNTHETIC DATA" in findings.basis_banner("synthetic", "X")
    assert "BY CONSTRUCTION" in findings.basis_banner("synthetic", "X")
    assert "SYNTHETIC" not in findings.basis_banner("supplied", "X")


def test_pool_active_drops_placebo():
    pooled = findings.pool_active(change_data())
    assert set(pooled["TRT01A"]) == {"All"} and len(pooled) == 12 and pooled["TRT01AN"].isna().all()


def test_log_ratio_paired_and_vs_placebo():
    d = change_data().copy()
    d["PARAMCD"] = "TNFA"
    d["BASE"] = 3.0 + np.arange(len(d)) % 3
    d["AVAL"] = d["BASE"] * np.exp(d["CHG"] / 100)  # log ratio = CHG / 100 exactly
    d.loc[0, "AVAL"] = 0.0  # cannot be logged: left out
    rows = findings.log_ratio(d, "inflammation", "supplied")
    assert list(rows.columns) == ESTIMATE_COLUMNS
    assert set(rows["method"]) == {"log_ratio_paired_t"} and set(rows["comparison"]) == {"ratio_to_baseline"}
    r = rows[(rows.arm == "100M") & (rows.visit == 6.0)].iloc[0]
    assert r["estimate"] == pytest.approx(math.exp(0.24)) and r["n"] == 3
    lo, hi = st.t.interval(0.95, 2, loc=0.24, scale=st.sem([0.20, 0.22, 0.30]))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((math.exp(lo), math.exp(hi)))
    assert rows[(rows.arm == "Placebo") & (rows.visit == 3.0)]["n"].item() == 2
    vs = findings.log_ratio(d, "inflammation", "supplied", comparison="vs_placebo")
    assert set(vs["method"]) == {"log_ratio_ancova"} and set(vs["ref_arm"]) == {"Placebo"}
    assert set(vs["arm"]) == {"Low", "100M"}
    assert (vs["estimate"] > 0).all() and (vs["ci_low"] < vs["estimate"]).all()
    assert len(findings.log_ratio(d[d.TRT01A != "Placebo"], "x", "supplied", comparison="vs_placebo")) == 0
    with pytest.raises(ValueError, match="comparison"):
        findings.log_ratio(d, "x", "supplied", comparison="nonsense")


def test_efficacy_rows_plan_and_pooled():
    d = change_data()
    rows = findings.efficacy_rows(d, "physical_performance", "supplied", ["SIXMWD"])
    assert list(rows.columns) == ESTIMATE_COLUMNS
    assert set(rows["comparison"]) == {"change_from_baseline", "vs_placebo"}
    assert set(rows.loc[rows.comparison == "vs_placebo", "method"]) == {"ancova", "hedges_g", "welch_t"}
    assert "All" not in set(rows["arm"])
    pooled = findings.efficacy_rows(d[d.TRT01A != "Placebo"], "x", "supplied", ["SIXMWD"], pool=True)
    # no placebo: vs placebo not estimable; the pooled arm has its own comparison and method names, so
    # the plan's change_from_baseline / paired_t rows stay one per TRT01A arm
    assert set(pooled["comparison"]) == {"change_from_baseline", "pooled_change_from_baseline"}
    assert "All" not in set(pooled.loc[pooled.method == "paired_t", "arm"])
    allrow = pooled[(pooled.arm == "All") & (pooled.visit == 6.0)].iloc[0]
    assert (allrow.comparison, allrow.method) == ("pooled_change_from_baseline", "paired_t_pooled")
    assert allrow["n"] == 6 and allrow["estimate"] == pytest.approx(np.mean([20, 22, 30, 6, 8, 10]))
    assert len(findings.efficacy_rows(d, "x", "supplied", [])) == 0


def test_findings_lines_arms_with_and_notes():
    d = change_data()
    rows = findings.efficacy_rows(d, "physical_performance", "supplied", ["SIXMWD"])
    main = {"SIXMWD": 6.0}
    at = findings.at_visits(rows, main)
    ch = at[at.comparison == "change_from_baseline"]
    pl = at[(at.comparison == "vs_placebo") & (at.method == "ancova")]
    lines = findings.findings_lines(ch, pl, ["SIXMWD"], main)
    assert lines[0] == "6-minute walk distance at 6 months (higher is better)"
    assert sum(line.startswith("  change in ") for line in lines) == 3
    assert sum("(ANCOVA)" in line for line in lines) == 2
    assert findings.arms_with(ch) == "SIXMWD: Low, 100M"  # placebo's interval includes 0
    assert findings.arms_with(ch.iloc[:0]) == "none"
    arms = pd.DataFrame({"arm": ["A"], "dose": [0.0], "subjects": [7]})
    assert findings.multiplicity_note(rows, arms, "S").startswith("Smallest arm: 7 subjects.")
    assert "NOT ESTIMABLE" in findings.placebo_note([]) and findings.placebo_note(["Control"]) == "Placebo arm: Control."


def test_visit_counts_columns_in_arm_order():
    counts = findings.visit_counts(change_data(), ["Placebo", "Low", "100M", "200M"])
    assert list(counts.columns) == ["Placebo", "Low", "100M"]
    assert counts.loc[("SIXMWD", 6.0)].tolist() == [3, 3, 3]


def test_arms_table_on_toy_data(toy_data):
    from msc_frailty.data import add_change, load_trial

    trial = load_trial(toy_data).study("TOY-1")
    arms = findings.arms_table(trial)
    assert arms.to_dict("list") == {"arm": ["Control", "Low", "High"], "dose": [0.0, 10.0, 30.0],
                                    "subjects": [8, 8, 8]}
    chg = add_change(trial)
    main = {p: endpoints.main_visit(chg.loc[chg.PARAMCD == p, "AVISITN"]) for p in ["SIXMWD", "TNFA"]}
    assert main == {"SIXMWD": 4.0, "TNFA": 4.0}


# ---------------------------------------------------------------------------------------------- captions

def test_n_per_arm_groups_panels_with_the_same_numbers():
    same = {"6MWD": {"Placebo": 10, "100M": 9}, "SPPB": {"Placebo": 10, "100M": 9}}
    assert findings.n_per_arm(same) == "n per arm: Placebo 10, 100M 9"
    differ = {"6MWD": {"P": 10}, "FEV1": {"P": 10}, "SQOL-F": {"P": [4, 5]}}
    assert findings.n_per_arm(differ) == "n per arm: 6MWD, FEV1: P 10; SQOL-F: P 4\u20135"
    assert findings.n_per_arm({"6MWD": {"20M": 5, "All": 15}}) == (
        "n per arm: 20M 5, All 15 (All: the active arms pooled)")


def test_trajectory_caption_says_what_n_the_test_and_synthetic():
    d = change_data().drop(index=[15])
    cap = findings.trajectory_caption(d, "SIXMWD", "synthetic", ["Placebo", "Low", "100M"])
    assert cap.startswith("Change from baseline in 6-minute walk distance by arm and visit; each small symbol is "
                          "one subject")
    assert "n per arm: 3 months: Placebo 3, Low 3, 100M 3; 6 months: Placebo 3, Low 2, 100M 3" in cap
    assert "95% t interval (paired t" in cap and cap.endswith("SYNTHETIC DATA: generated, not trial results.")
    log = findings.trajectory_caption(d, "TNFA", "supplied", log=True)
    assert "log scale (supplementary)" in log and "log_ratio_paired_t" in log and "SYNTHETIC" not in log


def test_captions_of_large_arms_say_means_only():
    big = pd.DataFrame({"USUBJID": [f"s{i}" for i in range(62)], "TRT01A": ["A"] * 31 + ["B"] * 31,
                        "TRT01AN": [0.0] * 31 + [1.0] * 31, "PARAMCD": "SIXMWD", "AVISITN": 6.0, "CHG": 1.0})
    for cap in (findings.change_caption(big, "supplied"), findings.dose_response_caption(big, "supplied")):
        assert "means and intervals only: every arm has more than 30 subjects" in cap
        assert "n per arm: A 31, B 31" in cap and "SYNTHETIC" not in cap


def test_forest_captions_give_each_panels_n_and_the_model():
    rows = pd.DataFrame({"paramcd": ["SIXMWD", "SQOLF"], "arm": "100M", "ref_arm": "Placebo", "n": [10, 5],
                         "n_ref": [10, 5]})
    cap = findings.vs_placebo_caption(rows, "Placebo", "synthetic")
    assert "each active arm \u2212 Placebo" in cap and "ANCOVA of change on arm and baseline" in cap
    assert "n per arm: 6MWD: 100M 10, Placebo 10; SQOL-F: 100M 5, Placebo 5" in cap
    pairs = rows.assign(ref_arm="200M")
    cap = findings.dose_forest_caption(pairs, "published")
    assert "lower \u2212 higher" in cap and "vs_arm rows" in cap and cap.endswith("From published summaries.")
