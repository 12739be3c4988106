"""msc_frailty.findings and msc_frailty.endpoints: analysis rows, sentences, tables and captions of the
efficacy notebooks, and the parameters, visits and arms they speak of."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from msc_frailty import endpoints, findings, style
from msc_frailty.analysis import ESTIMATE_COLUMNS
from test_plots import continuous, dose_data  # the same data as the figures' tests


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


def plan_data(arms, visits, n, whole=False, seed=2):
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"USUBJID": f"{a}-{i}", "TRT01A": a, "TRT01AN": float(k), "AVISITN": v,
                          "CHG": float(round(rng.normal(0, 2))) if whole else rng.normal(0, 2)}
                         for k, a in enumerate(arms) for i in range(n) for v in visits])


@pytest.mark.parametrize("arms, visits, gap", [(["P", "A", "B"], [3.0, 6.0, 12.0], 3.0),
                                               (["P", "A", "B", "C"], [4.0, 8.0], 4.0),
                                               (["P", "A"], [1.0, 2.0], 1.0)])
def test_time_course_plan_spreads_arms_over_under_a_third_of_the_gap(arms, visits, gap):
    plan = endpoints.time_course_plan(plan_data(arms, visits, 5))
    assert plan.gap == gap and plan.visits == visits and not plan.per_arm and plan.points
    assert plan.spread == pytest.approx(endpoints.OFFSET_SHARE * gap) and plan.spread <= gap / 3
    assert list(plan.offsets) == arms and sorted(plan.offsets.values()) == list(plan.offsets.values())
    assert sum(plan.offsets.values()) == pytest.approx(0.0)        # centred on the visit
    assert plan.step == pytest.approx(plan.spread / (len(arms) - 1))


def test_time_course_plan_one_panel_per_arm_when_crowded_or_a_score():
    crowded = endpoints.time_course_plan(plan_data(["P", "A", "B", "C", "D"], [3.0, 6.0], 9))   # 45 > 40 a visit
    assert crowded.per_arm and set(crowded.offsets.values()) == {0.0} and crowded.step == 0.0
    assert not endpoints.time_course_plan(plan_data(["P", "A", "B", "C"], [3.0], 10)).per_arm          # 40: fits
    score = endpoints.time_course_plan(plan_data(["P", "A"], [3.0], 5, whole=True))
    assert score.whole and score.per_arm
    assert not endpoints.time_course_plan(plan_data(["P", "A"], [3.0], 5, whole=True), panels=False).per_arm
    many = endpoints.time_course_plan(plan_data(["P", "A", "B", "C", "D"], [3.0], 31))   # no points: one panel
    assert not many.points and not many.per_arm and many.spread == pytest.approx(0.96)
    assert many.width == "single"                                   # no lanes of points to make room for
    assert endpoints.is_whole_score([0.0, 2.0, -1.0]) and not endpoints.is_whole_score(np.arange(40.0))


def test_pooled_arm_is_found_by_its_subjects():
    d = plan_data(["A", "B"], [3.0], 3)
    both = pd.concat([d, d.assign(TRT01A="All")])
    assert endpoints.pooled_arms(both, ["A", "B", "All"]) == ["All"]
    assert endpoints.time_course_plan(both, ["A", "B", "All"]).pooled == ["All"]
    assert endpoints.pooled_arms(d, ["A", "B"]) == []


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
    # one decimals rule for an estimate and its limits: two significant digits of the half-width (25 -> 0)
    assert findings.describe(row) == "+35 m (95% CI 10 to 60; p = 0.012; n = 10)"
    fev = {"paramcd": "FEV1", "estimate": 0.0563, "ci_low": -0.0141, "ci_high": 0.127, "p_value": 0.11, "n": 30}
    assert findings.describe(fev) == "+0.056 L (95% CI \u22120.014 to 0.127; p = 0.11; n = 30)"
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
    assert findings.multiplicity_note(rows, arms, "S").startswith("Smallest arm: 7 subjects allocated (each row's n is those it used).")
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


def readers_words(cap):
    """A caption fit to print: no internal name, no hyphen-minus, every abbreviation defined."""
    from msc_frailty import captions
    assert captions.wording_problems(cap) == [] and captions.undefined_abbreviations(cap) == [], cap
    return cap


def test_trajectory_caption_says_marks_offsets_n_per_visit_and_the_interval():
    d = continuous(change_data()).drop(index=[15])                 # Low-0 missed the 6-month visit
    cap = readers_words(findings.trajectory_caption(d, "SIXMWD", "synthetic", ["Placebo", "Low", "100M"]))
    assert cap.startswith("Change from baseline in 6-minute walk distance by arm and visit; large symbols are arm "
                          "means with their 95% intervals; small symbols are individual subjects")
    # the offsets drawn (endpoints.time_course_plan): 3 arms over 0.32 of the 3 months between visits
    plan = endpoints.time_course_plan(d, ["Placebo", "Low", "100M"])
    assert (plan.step, plan.spread, plan.gap) == pytest.approx((0.48, 0.96, 3.0))
    assert ("arms offset horizontally by 0.48 months from one another (0.96 months in all, under a third of the "
            "3 months between visits)") in cap
    assert ("small symbols are individual subjects, in a lane to the right of their arm's mean, clear of it and of "
            "the next arm's mean and interval") in cap
    assert "open symbols at 0 months mark baseline, where the change is 0 by definition" in cap
    assert "lines join the arm means as a guide to the eye" in cap
    assert "n per arm: 3 months: Placebo 3, Low 3, 100M 3; 6 months: Placebo 3, Low 2, 100M 3" in cap
    assert "a subject who missed a visit is left out of it" in cap
    assert "paired t interval of the mean change from baseline" in cap and cap.endswith(
        "SYNTHETIC DATA: generated, not trial results.")
    log = readers_words(findings.trajectory_caption(d.assign(LCHG=d.CHG / 100), "TNFA", "supplied", log=True))
    assert "log scale (supplementary)" in log and "where the ratio is 1 by definition" in log
    assert "back-transformed" in log and "SYNTHETIC" not in log


def test_trajectory_caption_of_one_panel_per_arm_and_of_stacked_scores():
    d = change_data()                                              # whole numbers: a score
    cap = readers_words(findings.trajectory_caption(d, "SIXMWD", "supplied", ["Placebo", "Low", "100M"]))
    assert "one panel per arm (a, Placebo; b, Low; c, 100M), shared axes" in cap
    assert "to the right of each mean (stacked side by side where subjects share a value)" in cap
    assert "offset" not in cap                                     # one arm a panel: nothing offset
    weeks = endpoints.Labels(visit_unit="weeks")
    assert "at 0 weeks" in findings.trajectory_caption(continuous(d), "SIXMWD", "supplied", labels=weeks)


def test_captions_of_large_arms_say_means_only():
    big = pd.DataFrame({"USUBJID": [f"s{i}" for i in range(62)], "TRT01A": ["A"] * 31 + ["B"] * 31,
                        "TRT01AN": [0.0] * 31 + [1.0] * 31, "PARAMCD": "SIXMWD", "AVISITN": 6.0, "CHG": 1.0})
    for cap in (findings.change_caption(big, "supplied"), findings.dose_response_caption(big, "supplied")):
        assert "means and intervals only: every arm has more than 30 subjects" in readers_words(cap)
        assert "n per arm: A 31, B 31" in cap and "SYNTHETIC" not in cap


def test_change_caption_names_the_panels_and_the_pooled_arm():
    d = continuous(change_data()).query("AVISITN == 6.0")
    d = pd.concat([d, d.assign(PARAMCD="SPPB", CHG=np.round(d.CHG))])
    active = d[d.TRT01A != "Placebo"]
    both = pd.concat([active, findings.pool_active(active)])
    cap = readers_words(findings.change_caption(both, "supplied", ["Low", "100M", "All"],
                                                visits={"SIXMWD": 6.0, "SPPB": 6.0}))
    assert "(a, 6MWD at 6 months; b, SPPB at 6 months)" in cap
    assert "All (the active arms pooled) is drawn as means only" in cap
    assert "whole-number scores are stacked side by side" in cap


def test_vs_placebo_caption_says_the_scale_the_n_the_model_and_the_directions():
    rows = pd.DataFrame({"paramcd": ["SIXMWD", "SQOLF", "TNFA"], "arm": "100M", "ref_arm": "Placebo",
                         "n": [10, 5, 10], "n_ref": [10, 5, 9], "sign": [1, 1, -1]})
    cap = readers_words(findings.vs_placebo_caption(rows, "Placebo", "synthetic", visits={"SIXMWD": 6.0}))
    assert cap.startswith("Each active arm compared with Placebo at each outcome's main visit: difference in change "
                          "from baseline, adjusted for baseline, one row per outcome and arm on one standardized axis")
    assert ("symbols (each arm's colour and marker) are the ANCOVA difference (arm \u2212 Placebo) divided by the "
            "pooled SD of change of that arm and Placebo, a standardized mean difference (SMD)") in cap
    assert "beside each row, the same difference and CI in the outcome's own unit, never reversed, and n (arm, " \
           "Placebo)" in cap
    assert ("for serum TNF-\u03b1, where lower is better, the sign of the SMD is reversed, so that right of 0 favours "
            "100M for every outcome with a stated direction") in cap
    assert ("n per arm: 6MWD: 100M 10, Placebo 10; SQOL-F: 100M 5, Placebo 5; Serum TNF-\u03b1: 100M 10, "
            "Placebo 9") in cap
    assert "(ANCOVA) of change on arm and baseline, fitted to that arm and Placebo only" in cap
    two = rows.iloc[:2].assign(arm=["100M", "200M"], paramcd="SIXMWD")
    both = readers_words(findings.vs_placebo_caption(two, "Placebo", "supplied"))
    assert "right of 0 favours the active arm" in both and "reversed" not in both
    crp = readers_words(findings.vs_placebo_caption(rows.iloc[:2].assign(paramcd=["SIXMWD", "CRP"],
                                                                         sign=[1, 0]), "Placebo", "supplied"))
    assert "CRP had no stated direction: drawn as measured, with open symbols, favouring no side" in crp
    only = readers_words(findings.vs_placebo_caption(rows.iloc[:1].assign(paramcd="CRP", sign=0), "Placebo",
                                                     "supplied"))
    assert "favours" not in only.replace("favouring no side", "")


def test_standardized_pairs_against_an_independent_computation():
    import statsmodels.formula.api as smf
    from msc_frailty.analysis import vs_arm

    chg = dose_data()
    chg = chg.drop(index=chg.index[(chg.USUBJID == "Mid-3") & (chg.PARAMCD == "TNFA")])   # a missing value
    rows = vs_arm(chg, "dose_comparison", "supplied", ["SIXMWD", "TNFA", "CRP"])
    rows = rows[rows.method == "ancova"]
    std = findings.standardized_pairs(rows, chg)
    assert len(std) == 9 and list(std.columns[:len(rows.columns)]) == list(rows.columns)
    for _, r in std.iterrows():
        two = chg[(chg.PARAMCD == r.paramcd) & chg.TRT01A.isin([r.arm, r.ref_arm])].copy()
        # the ANCOVA by statsmodels (the collection fits it with pingouin), arm minus ref_arm
        two["is_arm"] = (two.TRT01A == r.arm).astype(float)
        fit = smf.ols("CHG ~ is_arm + BASE", data=two).fit()
        (lo, hi), est = fit.conf_int().loc["is_arm"].to_numpy(), fit.params["is_arm"]
        assert (r.estimate, r.ci_low, r.ci_high) == pytest.approx((est, lo, hi), rel=1e-9)
        # the pooled SD of change of the two arms, by pandas
        a, b = two.loc[two.is_arm == 1, "CHG"], two.loc[two.is_arm == 0, "CHG"]
        sd = math.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
        assert r.sd == pytest.approx(sd, rel=1e-12)
        sign = {"SIXMWD": 1, "TNFA": -1, "CRP": 0}[r.paramcd]
        assert r.sign == sign
        flip = -1.0 if sign == -1 else 1.0
        assert r.smd == pytest.approx(flip * est / sd, rel=1e-9)
        assert (r.smd_low, r.smd_high) == pytest.approx(tuple(sorted((flip * lo / sd, flip * hi / sd))), rel=1e-9)
        # the standardized interval excludes 0 exactly when the ANCOVA interval does
        assert (r.smd_low > 0 or r.smd_high < 0) == (lo > 0 or hi < 0)
    # a row that is not of these data is refused
    with pytest.raises(ValueError, match="hold 8 and 8 subjects"):
        findings.standardized_pairs(rows.iloc[:1].assign(n=5), chg)
    # a direction stated by params.csv is used: CRP lower is better
    labels = endpoints.Labels(params={"CRP": endpoints.resolve_parameter("CRP", {"direction": "lower_better"})})
    assert set(findings.standardized_pairs(rows, chg, labels).query("paramcd == 'CRP'").sign) == {-1}


def dose_groups(means, sds, ns, arms=None, seed=5):
    """Subjects at doses 0, 25, 50, ... whose changes have exactly the given means and SDs per dose."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, (m, s, n) in enumerate(zip(means, sds, ns)):
        z = rng.normal(size=n)
        z = (z - z.mean()) / z.std(ddof=1)
        arm = arms[k] if arms else f"{25 * k}M"
        rows += [{"TRT01AN": 25.0 * k, "TRT01A": arm, "CHG": m + s * v} for v in z]
    return pd.DataFrame(rows)


def test_dose_steps_are_welch_t_statistics():
    d = dose_groups([0.4, -0.8, 28.0], [70.0, 60.0, 80.0], [27, 33, 12])
    steps = findings.dose_steps(d)
    assert len(steps) == 3                                          # every pair of doses, lower first
    for _, r in steps.iterrows():
        lo, hi = (d.loc[d.TRT01AN == v, "CHG"] for v in (r.dose_low, r.dose_high))
        assert r.difference == pytest.approx(hi.mean() - lo.mean())
        assert r.z == pytest.approx(st.ttest_ind(hi, lo, equal_var=False).statistic, rel=1e-9)   # scipy
        assert r.se == pytest.approx(math.sqrt(hi.var() / len(hi) + lo.var() / len(lo)))
        assert r.clear == (abs(r.z) > 1.0)
    with pytest.raises(ValueError, match="threshold"):
        findings.dose_steps(d, threshold=-1.0)


def test_dose_pattern_calls_a_rise_and_fall_only_beyond_its_noise():
    # the reviewer's LOMECEL-P2B 6MWD: 0.4, -0.8, -6.8, 28, 43 m; the dips are far inside their standard errors
    six = dose_groups([0.4, -0.8, -6.8, 28.0, 43.0], [63.0, 66.0, 70.0, 60.0, 75.0], [27, 33, 27, 31, 12])
    assert findings.dose_pattern(six) == "rising" and findings.rise_and_fall(six) == ""
    assert findings.dose_shape(six) == "no fall between two doses is larger than its standard error"
    # CRATUS-P2 serum TNF-alpha: -0.46 against -0.42 pg/mL (SD about 0.55, 10 an arm): no rise beyond noise
    tnf = dose_groups([0.13, -0.46, -0.42], [0.55, 0.55, 0.6], [10, 10, 10], ["Placebo", "100M", "200M"])
    assert findings.dose_pattern(tnf) == "falling"
    # a peak at the middle dose, each step 2.5 standard errors: a rise and a fall
    peak = dose_groups([0.0, 10.0, 0.0], [10.0, 10.0, 10.0], [10, 10, 10], ["Placebo", "100M", "200M"])
    assert findings.dose_pattern(peak) == "not monotone"
    se = 10.0 * math.sqrt(2 / 10)                                   # of a difference of two means of 10
    assert findings.rise_and_fall(peak) == ("a rise from 0.0 in Placebo to 10.0 in 100M, standard error 4.5, and "
                                            "a fall from 10.0 in 100M to 0.0 in 200M, standard error 4.5")
    assert f"{se:.2g}" == "4.5"
    assert findings.dose_shape(peak).startswith("the means rise and fall: a rise from 0.0 in Placebo")
    # the same shape within its noise (steps of 0.5 standard errors) is not called one
    assert findings.dose_pattern(dose_groups([0.0, 2.0, 0.0], [10.0] * 3, [10] * 3)) == "level"
    assert findings.dose_pattern(peak, threshold=3.0) == "level"     # the threshold is the rule's one parameter
    d = pd.DataFrame({"TRT01AN": [0, 0, 25, 25, 50, 50], "CHG": [1.0, 3.0, 2.0, 2.0, 5.0, 7.0]})
    assert findings.dose_pattern(d) == "rising"                     # no hue column: doses named by their dose
    assert findings.dose_pattern(d.assign(CHG=-d.CHG)) == "falling"
    assert findings.dose_pattern(d[d.TRT01AN == 0]) is None


def test_dose_pattern_error_rates_in_a_seeded_monte_carlo():
    """The rates CLEAR_STEP_SE documents, three doses of 10 (500 draws each: 3 standard errors of tolerance)."""
    rng = np.random.default_rng(2026)
    doses = np.repeat([0.0, 100.0, 200.0], 10)

    def rate(means, draws=500):
        return np.mean([findings.dose_pattern(pd.DataFrame({"TRT01AN": doses, "CHG": rng.normal(np.repeat(means, 10))}))
                        == "not monotone" for _ in range(draws)])

    assert rate([0.0, 0.35, 0.7]) == pytest.approx(0.074, abs=0.035)    # a true straight line: about 7%
    assert rate([0.0, 0.5, 0.0]) == pytest.approx(0.40, abs=0.065)      # a true peak of 0.5 SD: about 40%


def test_interval_texts_follow_the_manuscript_numbers():
    from msc_frailty import numbers

    for est, lo, hi in [(-32.4, -127.0, 62.2), (0.25185, 0.0465, 0.457), (25.3, 5.52, 45.2),
                        (-0.0123, -0.0251, -0.0011), (1234.5, 1100.0, 1370.0), (0.0436, -10.9, 10.9)]:
        e, a, b = findings.interval_texts(est, lo, hi)
        text = numbers.format_value({"paramcd": "X", "method": "ancova", "estimate": est, "ci_low": lo, "ci_high": hi,
                                     "p_value": None, "n": 10, "n_ref": None, "bound": ""})
        assert text["estimate_text"] == e and text["interval_text"] == f"95% CI {a} to {b}"
        assert len({len(v.split(".")[1]) if "." in v else 0 for v in (e, a, b)}) == 1
    assert findings.interval_texts(0.0436, -10.9, 10.9, signed=True)[0] == "0"         # no sign on a rounded zero
    assert findings.interval_texts(float("nan"), 1.0, 2.0) == ("NA", "", "")


def test_dose_forest_caption_says_the_scale_and_what_is_reversed():
    from msc_frailty.analysis import vs_arm

    chg = dose_data()
    rows = vs_arm(chg, "dose_comparison", "supplied", ["SIXMWD", "TNFA", "CRP"])
    std = findings.standardized_pairs(rows[rows.method == "ancova"], chg)
    cap = readers_words(findings.dose_forest_caption(std, "supplied"))
    assert "divided by the pooled SD of change of the two doses, a standardized mean difference (SMD)" in cap
    assert "for serum TNF-\u03b1, where lower is better, the sign of the SMD is reversed" in cap
    assert "CRP had no stated direction: drawn as measured, with open symbols, favouring no side" in cap
    assert "n per arm: Low 8, Mid 8, High 8" in cap and "no adjustment for multiplicity" in cap
    plain = readers_words(findings.dose_forest_caption(std[std.paramcd == "SIXMWD"], "published"))
    assert "reversed" not in plain and "no stated direction" not in plain
    assert plain.endswith("From published summaries.")


def test_dose_response_caption_gives_the_trend_test_and_says_not_monotone():
    from msc_frailty.analysis import dose_trend

    d = change_data().query("AVISITN == 6.0")
    bump = d.assign(PARAMCD="FEV1", CHG=np.where(d.TRT01A == "Low", d.CHG + 40.0, d.CHG))
    both = pd.concat([d, bump])
    trend = dose_trend(both, "dose_comparison", "supplied")
    cap = readers_words(findings.dose_response_caption(both, "synthetic", trend=trend,
                                                       visits={"SIXMWD": 6.0, "FEV1": 6.0}))
    assert ("for FEV1 at 6 months (b) the means rise and fall, so the linear trend summarizes them only roughly: a "
            "rise from 2.0 in Placebo to 48.0 in Low, standard error 1.9, and a fall from 48.0 in Low to 24.0 in "
            "100M, standard error 3.3") in cap             # sqrt(7/3 + 4/3) and sqrt(4/3 + 28/3), by hand
    assert "6MWD at 6 months (a)" in cap and "for 6MWD at 6 months (a) the means rise" not in cap
    assert ("a rise or a fall between two doses counts only when it is larger than the standard error of that "
            "difference; in the other panel the means do not both rise and fall by that much") in cap
    assert "no straight line" not in cap and "not monotone" not in cap
    for _, r in trend.iterrows():                     # slope, interval and p of each parameter, from the rows
        assert findings.describe(r) in cap
    assert cap.count("a rough summary of means that rise and fall") == 1
    assert "slope of change per 100 million cells" in cap and "(placebo as dose 0)" in cap
    assert "Trend test" not in findings.dose_response_caption(both, "synthetic")


# ------------------------------------------------------------------- parameters without a baseline record
def rating_data(per_arm=4, visits=(3.0, 6.0)):
    """A 1-7 rating (PGIC) without baseline: Placebo and 100M, ``per_arm`` subjects each, at ``visits``."""
    rng = np.random.default_rng(7)
    rows = [{"STUDYID": "S", "USUBJID": f"{arm}-{i}", "PARAMCD": "PGIC", "AVISITN": v, "TRT01A": arm,
             "TRT01AN": dose, "AVAL": float(np.clip(np.rint(rng.normal(mean, 1.2)), 1, 7))}
            for arm, dose, mean in (("Placebo", 0.0, 4.5), ("100M", 100.0, 3.0)) for i in range(per_arm)
            for v in visits]
    return pd.DataFrame(rows)


def test_markdown_of_findings_lines():
    md = findings.markdown(["A at 6 months (higher is better)", "  change in X: +1  -> favourable", "",
                            "B at 6 months", "  mean in X: 2"])
    assert md.split("\n") == ["A at 6 months (higher is better)", "", "- change in X: +1 \u2192 favourable", "",
                              "B at 6 months", "", "- mean in X: 2"]


def test_at_visit_lines_give_the_mean_the_welch_difference_and_the_rank_test():
    from msc_frailty import analysis

    values = rating_data(per_arm=6)
    rows = findings.at_visit_rows(values, "other_endpoints", "supplied", ["PGIC"])
    assert set(rows["method"]) == {"t_interval", "welch_t", "mann_whitney", "rank_biserial"}
    lines = findings.at_visit_lines(rows, ["PGIC"], {"PGIC": 6.0})
    assert lines[0] == f"PGIC at 6 months (direction not stated; {analysis.NO_BASELINE})"
    welch = rows[(rows.method == "welch_t") & (rows.visit == 6.0)].iloc[0]
    rank = rows[(rows.method == "mann_whitney") & (rows.visit == 6.0)].iloc[0]
    text = "\n".join(lines)
    assert f"100M vs Placebo (difference in means, Welch): {findings.describe(welch)}" in text
    assert f"Mann-Whitney rank test {findings.format_p(rank['p_value'])}, rank-biserial correlation" in text
    assert "mean in Placebo: " in text and "mean in 100M: " in text


def test_not_estimable_lines_say_the_true_reason():
    reasons = pd.DataFrame({"study": "S", "paramcd": ["PGIC", "PGIC", "PGIC", "TNFA"],
                            "visit": [3.0, 6.0, 6.0, np.nan], "comparison": "vs_placebo",
                            "arm": ["100M", "100M", "200M", ""], "ref_arm": ["Placebo", "Placebo", "Placebo", ""],
                            "reason": ["one subject in 100M", "one subject in 100M",
                                       "no value in 200M at that visit", "no placebo arm"]})
    assert findings.not_estimable_lines(reasons) == [
        "Serum TNF-\u03b1: not estimable: no placebo arm",
        "PGIC, 100M vs Placebo at 3 and 6 months: not estimable: one subject in 100M",
        "PGIC, 200M vs Placebo at 6 months: not estimable: no value in 200M at that visit"]
    at_main = findings.not_estimable_lines(reasons, visits={"PGIC": 3.0, "TNFA": 6.0})
    assert at_main == ["Serum TNF-\u03b1: not estimable: no placebo arm",
                       "PGIC, 100M vs Placebo at 3 months: not estimable: one subject in 100M"]
    assert findings.not_estimable_lines(reasons.iloc[:0]) == []


def test_finding_data_routes_parameters_and_keeps_the_ones_without_baseline(tmp_path):
    from conftest import RATING, write_dataset
    from msc_frailty.data import load_trial

    trial = load_trial(write_dataset(tmp_path / "a", rating=True, studies=("TOY-1",)))
    labels = endpoints.resolve_labels(trial)
    other = findings.finding_data(trial, endpoints.OTHER, labels)           # no params.csv: other_endpoints
    assert (other.change_params, other.value_params, other.main) == ([], [RATING], {RATING: 4.0})
    assert len(other.values) == 48 and other.change.empty
    everything = findings.finding_data(trial, None, labels)                  # the dose comparison: all of them
    assert everything.params == ["SIXMWD", "TNFA", RATING] and everything.value_params == [RATING]
    assert findings.finding_data(trial, "physical_performance", labels).params == ["SIXMWD"]
    (tmp_path / "a" / "params.csv").write_text("PARAMCD,PARAM,unit,direction,finding\n"
                                               f"{RATING},,points,lower_better,physical_performance\n")
    trial = load_trial(tmp_path / "a")
    labels = endpoints.resolve_labels(trial)
    physical = findings.finding_data(trial, "physical_performance", labels)  # params.csv first
    assert physical.params == ["SIXMWD", RATING] and physical.value_params == [RATING]
    assert findings.finding_data(trial, endpoints.OTHER, labels).params == []
    table = findings.parameters_table(physical, labels)
    assert table.set_index("code").loc[RATING, "analysed as"] == "value at each visit (no baseline record)"
    assert table.set_index("code").loc["SIXMWD", "analysed as"] == "change from baseline"


def test_summary_table_and_the_count_of_endpoints():
    values = rating_data(per_arm=5)
    rows = findings.at_visit_rows(values, "other_endpoints", "supplied", ["PGIC"])
    table = findings.summary_table(rows, ["PGIC"], {"PGIC": 6.0}, ["Placebo", "100M"], value_params=["PGIC"])
    r = table.iloc[0]
    assert (r["analysed as"], r["visit"], r["n per arm"]) == ("value at the visit (no baseline)", "6 months",
                                                              "Placebo 5, 100M 5")
    mean = rows[(rows.comparison == "at_visit") & (rows.arm == "100M") & (rows.visit == 6.0)].iloc[0]
    est, lo, hi = findings.interval_texts(mean["estimate"], mean["ci_low"], mean["ci_high"])
    assert r["100M"] == f"{est} ({lo} to {hi})"
    assert r["100M vs Placebo"].endswith(findings.format_p(
        rows[(rows.method == "welch_t") & (rows.visit == 6.0)].iloc[0]["p_value"]))
    assert findings.endpoints_sentence(["CRP", "IL6", "PGIC"], ["PGIC"]).startswith("3 other endpoints: CRP, IL6 and")
    assert findings.endpoints_sentence([], []) == "No other endpoint in this data set."


def test_at_visit_caption_says_value_not_change():
    cap = readers_words(findings.at_visit_caption(rating_data(), "PGIC", "supplied", ["Placebo", "100M"]))
    assert cap.startswith("PGIC by arm and visit: the value at each visit, not a change from baseline")
    assert "one panel per arm (a, Placebo; b, 100M), shared axes" in cap       # a whole-number score: stacked
    assert "stacked side by side where subjects share a value" in cap
    assert "n per arm: Placebo 4, 100M 4" in cap and "t interval of the mean value at the visit" in cap
    assert "baseline, where" not in cap and "open symbols" not in cap          # nothing drawn at baseline
    big = readers_words(findings.at_visit_caption(rating_data(per_arm=35), "PGIC", "supplied"))
    assert "means and intervals only" in big
    assert "b, the share of each arm's subjects at each level of the score at 6 months" in big


def test_dose_forest_at_visit_caption_names_welch_and_the_rank_test():
    values = rating_data(per_arm=6).assign(TRT01A=lambda d: d.TRT01A.replace({"Placebo": "50M"}),
                                           TRT01AN=lambda d: d.TRT01AN.replace({0.0: 50.0}))
    from msc_frailty import analysis

    rows = analysis.at_visit_vs_arm(values, "dose_comparison", "supplied")
    at6 = rows[rows.visit == 6.0]
    std = findings.standardized_pairs(at6[at6.method == "welch_t"], values, y="AVAL")
    x, y = (values[(values.AVISITN == 6.0) & (values.TRT01A == a)]["AVAL"] for a in ("50M", "100M"))
    assert std["sd"].iloc[0] == pytest.approx(findings.pooled_sd(x, y))
    assert std["smd"].iloc[0] == pytest.approx((x.mean() - y.mean()) / findings.pooled_sd(x, y))
    cap = readers_words(findings.dose_forest_at_visit_caption(std, "supplied",
                                                              ranks=at6[at6.method == "mann_whitney"]))
    assert "the Welch difference (lower \u2212 higher dose) divided by the pooled SD of the value" in cap
    assert "Mann-Whitney rank test of each pair of an ordinal score, not drawn: PGIC at 6 months, 50M vs 100M, p" in cap
    assert "ANCOVA" not in cap and "adjusted for baseline" not in cap


def test_one_subject_per_arm_is_reported_as_not_estimable_with_the_reason():
    from msc_frailty import analysis

    values = rating_data(per_arm=1)
    data = findings.FindingData(change=pd.DataFrame(), values=values, change_params=[], value_params=["PGIC"],
                                main={"PGIC": 6.0})
    arms = pd.DataFrame({"STUDYID": "S", "TRT01A": ["Placebo", "100M"], "TRT01AN": [0.0, 100.0]})
    assert findings.at_visit_rows(values, "other_endpoints", "supplied", ["PGIC"]).empty
    text = findings.not_estimable_markdown(data, arms)
    assert text.split("\n") == ["**Not estimated at the main visit, and why:**", "",
                                "- PGIC, Placebo at 6 months: not estimable: one subject in Placebo",
                                "- PGIC, 100M at 6 months: not estimable: one subject in 100M",
                                "- PGIC, 100M vs Placebo at 6 months: not estimable: one subject in 100M; one subject "
                                "in Placebo"]
    assert analysis.NO_BASELINE == "no baseline record: analysed as the value at each visit"
    two = rating_data(per_arm=2)
    assert findings.not_estimable_markdown(dataclasses.replace(data, values=two), arms) == ""
