"""msc_frailty.analysis (the statistical analysis plan, contract section 3) on the toy data set.

References are computed independently from the raw CSV files: changes by hand, scipy for the paired t,
statsmodels formula OLS for the ANCOVA and dose trend, scipy's exact binomial interval for proportions.
pingouin, which computes the t-tests and fits (msc_frailty.stats), is not a reference here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf
from conftest import RATING, RATING_VISITS, TOY_ARMS, write_dataset
from scipy import special
from scipy import stats as st

from msc_frailty import analysis
from msc_frailty.analysis import ESTIMATE_COLUMNS
from msc_frailty.data import add_change, load_trial

CONTRACT_COLUMNS = ["finding", "study", "paramcd", "visit", "comparison", "arm", "ref_arm", "n", "n_ref",
                    "estimate", "ci_low", "ci_high", "p_value", "method", "basis"]


def _hand(folder) -> pd.DataFrame:
    """Change from baseline per subject, parameter and visit, computed from the raw CSVs."""
    adsl = pd.read_csv(folder / "adsl.csv")
    eff = pd.read_csv(folder / "adeff.csv")
    wide = eff.pivot_table(index=["STUDYID", "USUBJID", "PARAMCD"], columns="AVISITN", values="AVAL")
    rows = []
    for (study, subj, param), r in wide.iterrows():
        for visit in (2, 4):
            rows.append({"STUDYID": study, "USUBJID": subj, "PARAMCD": param, "AVISITN": visit,
                         "BASE": r[0], "CHG": r[visit] - r[0]})
    out = pd.DataFrame(rows).merge(adsl[["STUDYID", "USUBJID", "TRT01A", "TRT01AN"]], on=["STUDYID", "USUBJID"])
    return out


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    folder = write_dataset(tmp_path_factory.mktemp("analysis") / "toy")
    trial = load_trial(folder)
    return folder, trial, add_change(trial), _hand(folder)


def _row(df, **where):
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (where, len(sel))
    return sel.iloc[0]


def _ols_two_arms(hand, study, param, visit, arm, ref):
    d = hand[(hand.STUDYID == study) & (hand.PARAMCD == param) & (hand.AVISITN == visit)
             & hand.TRT01A.isin([arm, ref])].copy()
    fit = smf.ols(f"CHG ~ C(TRT01A, Treatment(reference='{ref}')) + BASE", data=d).fit()
    term = f"C(TRT01A, Treatment(reference='{ref}'))[T.{arm}]"
    lo, hi = fit.conf_int(alpha=0.05).loc[term]
    return d, fit.params[term], lo, hi, fit.pvalues[term]


# ----------------------------------------------------------------------------- change_from_baseline
def test_change_from_baseline_matches_scipy(toy):
    folder, trial, chg, hand = toy
    out = analysis.change_from_baseline(chg, "physical_performance", trial.basis)
    # the contract's columns in its order, then the added `bound` (empty for patient-level estimates)
    assert list(out.columns) == CONTRACT_COLUMNS + ["bound"] == ESTIMATE_COLUMNS
    assert (out["bound"] == "").all()
    # 5 arms x 2 parameters x 2 visits
    assert len(out) == 20
    for (study, param, visit, arm), cell in hand.groupby(["STUDYID", "PARAMCD", "AVISITN", "TRT01A"]):
        ref = st.ttest_1samp(cell["CHG"], 0.0)
        ci = ref.confidence_interval(0.95)
        r = _row(out, study=study, paramcd=param, visit=visit, arm=arm)
        assert r["n"] == len(cell)
        assert r["estimate"] == pytest.approx(cell["CHG"].mean(), rel=1e-9)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
        assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-8)
        assert r["comparison"] == "change_from_baseline" and r["method"] == "paired_t"
        assert r["ref_arm"] == "" and pd.isna(r["n_ref"])
        assert r["finding"] == "physical_performance" and r["basis"] == "supplied"


def test_change_from_baseline_params_filter(toy):
    _, trial, chg, _ = toy
    out = analysis.change_from_baseline(chg, "inflammation", trial.basis, params=["TNFA"])
    assert set(out["paramcd"]) == {"TNFA"} and len(out) == 10


# -------------------------------------------------------------------------------------- vs_placebo
def test_vs_placebo_ancova_matches_statsmodels(toy):
    folder, trial, chg, hand = toy
    out = analysis.vs_placebo(chg, "physical_performance", trial.basis)
    assert list(out.columns) == CONTRACT_COLUMNS + ["bound"]
    assert set(out["study"]) == {"TOY-1"}  # TOY-2 has no placebo: no rows
    anc = out[out["method"] == "ancova"]
    assert len(anc) == 2 * 2 * 2  # (Low, High) x 2 params x 2 visits
    for param in ("SIXMWD", "TNFA"):
        for visit in (2, 4):
            for arm in ("Low", "High"):
                d, est, lo, hi, p = _ols_two_arms(hand, "TOY-1", param, visit, arm, "Control")
                r = _row(anc, paramcd=param, visit=visit, arm=arm)
                assert r["ref_arm"] == "Control" and r["comparison"] == "vs_placebo"
                assert (r["n"], r["n_ref"]) == (8, 8)
                assert r["estimate"] == pytest.approx(est, rel=1e-8)
                assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), rel=1e-8)
                assert r["p_value"] == pytest.approx(p, rel=1e-7)


def test_vs_placebo_secondary_rows(toy):
    _, trial, chg, hand = toy
    out = analysis.vs_placebo(chg, "physical_performance", trial.basis, params=["SIXMWD"])
    for arm in ("Low", "High"):
        cell = hand[(hand.STUDYID == "TOY-1") & (hand.PARAMCD == "SIXMWD") & (hand.AVISITN == 4)]
        x, y = cell.loc[cell.TRT01A == arm, "CHG"], cell.loc[cell.TRT01A == "Control", "CHG"]
        w = _row(out, paramcd="SIXMWD", visit=4, arm=arm, method="welch_t")
        ref = st.ttest_ind(x, y, equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert w["estimate"] == pytest.approx(x.mean() - y.mean(), rel=1e-9)
        assert (w["ci_low"], w["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
        assert w["p_value"] == pytest.approx(ref.pvalue, rel=1e-8)
        g = _row(out, paramcd="SIXMWD", visit=4, arm=arm, method="hedges_g")
        df = len(x) + len(y) - 2
        j = special.gamma(df / 2) / (math.sqrt(df / 2) * special.gamma((df - 1) / 2))
        sp = math.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / df)
        d = (x.mean() - y.mean()) / sp  # pooled-SD Cohen's d, by its definition
        assert g["estimate"] == pytest.approx(j * d, rel=1e-9)
        assert pd.isna(g["p_value"])
        # exact interval of delta: t is the 97.5% / 2.5% quantile of the noncentral t at the limits
        t, scale = st.ttest_ind(x, y).statistic, math.sqrt(len(x) * len(y) / (len(x) + len(y)))
        assert st.nct.cdf(t, df, g["ci_low"] * scale) == pytest.approx(0.975, abs=1e-8)
        assert st.nct.cdf(t, df, g["ci_high"] * scale) == pytest.approx(0.025, abs=1e-8)


@pytest.mark.parametrize("name, plan", [("ttest", "change_from_baseline"), ("ttest", "vs_placebo"),
                                        ("linear_regression", "vs_placebo"), ("linear_regression", "vs_arm"),
                                        ("linear_regression", "dose_trend")])
def test_pingouin_computes_the_rows(toy, monkeypatch, name, plan):
    _, trial, chg, _ = toy

    def boom(*args, **kwargs):
        raise RuntimeError("pingouin was called")

    monkeypatch.setattr(pg, name, boom)
    with pytest.raises(RuntimeError, match="pingouin was called"):
        getattr(analysis, plan)(chg, "physical_performance", trial.basis)


def test_arms_without_spread_give_rows_not_a_hang():
    # every subject of both arms changes by the same amount: the standardized difference is undefined
    # (this used to search for Hedges' g interval forever); the rows are written with NaN where undefined
    chg = pd.DataFrame({"STUDYID": "S", "PARAMCD": "SPPB", "AVISITN": 6.0,
                        "TRT01A": ["Placebo"] * 4 + ["100M"] * 4, "TRT01AN": [0.0] * 4 + [100.0] * 4,
                        "BASE": [6.0, 8, 7, 9, 7, 6, 9, 8], "CHG": [0.0] * 4 + [1.0] * 4})
    out = analysis.vs_placebo(chg, "physical_performance", "synthetic")
    g, w = _row(out, method="hedges_g"), _row(out, method="welch_t")
    assert np.isnan(g["estimate"]) and np.isnan(g["ci_low"]) and np.isnan(w["p_value"])
    assert w["estimate"] == 1.0
    a = _row(out, method="ancova")
    assert a["estimate"] == pytest.approx(1.0, rel=1e-12)
    cfb = analysis.change_from_baseline(chg, "physical_performance", "synthetic")
    r = _row(cfb, arm="100M")
    assert (r["estimate"], r["ci_low"], r["ci_high"], r["p_value"]) == (1.0, 1.0, 1.0, 0.0)
    assert np.isnan(_row(cfb, arm="Placebo")["p_value"])


def test_no_placebo_study_gives_no_vs_placebo_rows(toy):
    _, trial, _, _ = toy
    only2 = add_change(trial.study("TOY-2"))
    out = analysis.vs_placebo(only2, "physical_performance", trial.basis)
    assert out.empty and list(out.columns) == CONTRACT_COLUMNS + ["bound"]


# ------------------------------------------------------------------------------------------ vs_arm
def test_vs_arm_lower_dose_is_arm_and_estimate_is_arm_minus_ref(toy):
    _, trial, chg, hand = toy
    out = analysis.vs_arm(chg, "dose_comparison", trial.basis)
    anc = out[out["method"] == "ancova"]
    pairs = set(zip(anc["study"], anc["arm"], anc["ref_arm"]))
    assert pairs == {("TOY-1", "Low", "High"), ("TOY-2", "A", "B")}  # placebo never in vs_arm
    for study, arm, ref in [("TOY-1", "Low", "High"), ("TOY-2", "A", "B")]:
        for param in ("SIXMWD", "TNFA"):
            for visit in (2, 4):
                d, est, lo, hi, p = _ols_two_arms(hand, study, param, visit, arm, ref)
                r = _row(anc, study=study, paramcd=param, visit=visit)
                assert r["comparison"] == "vs_arm"
                n_arm = dict((a, n) for a, _, n, _ in TOY_ARMS[study])
                assert (r["n"], r["n_ref"]) == (n_arm[arm], n_arm[ref])
                assert r["estimate"] == pytest.approx(est, rel=1e-8)
                assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), rel=1e-8)
                assert r["p_value"] == pytest.approx(p, rel=1e-7)
    w = _row(out, study="TOY-1", paramcd="SIXMWD", visit=4, method="welch_t")
    cell = hand[(hand.STUDYID == "TOY-1") & (hand.PARAMCD == "SIXMWD") & (hand.AVISITN == 4)]
    assert w["estimate"] == pytest.approx(cell.loc[cell.TRT01A == "Low", "CHG"].mean()
                                          - cell.loc[cell.TRT01A == "High", "CHG"].mean(), rel=1e-9)


def test_vs_arm_order_follows_dose_not_label(tmp_path):
    # Rename so that alphabetical order contradicts dose order: "Alpha" is the 30 M arm.
    folder = write_dataset(tmp_path / "t", studies=("TOY-1",))
    adsl = pd.read_csv(folder / "adsl.csv")
    adsl["TRT01A"] = adsl["TRT01A"].replace({"High": "Alpha", "Low": "Zulu"})
    adsl.to_csv(folder / "adsl.csv", index=False)
    trial = load_trial(folder)
    anc = analysis.vs_arm(add_change(trial), "dose_comparison", trial.basis)
    anc = anc[anc["method"] == "ancova"]
    assert set(anc["arm"]) == {"Zulu"} and set(anc["ref_arm"]) == {"Alpha"}


# -------------------------------------------------------------------------------------- dose_trend
def test_dose_trend_matches_statsmodels(toy):
    _, trial, chg, hand = toy
    out = analysis.dose_trend(chg, "dose_comparison", trial.basis)
    assert list(out.columns) == CONTRACT_COLUMNS + ["bound"]
    for study in ("TOY-1", "TOY-2"):
        for param in ("SIXMWD", "TNFA"):
            for visit in (2, 4):
                d = hand[(hand.STUDYID == study) & (hand.PARAMCD == param) & (hand.AVISITN == visit)]
                fit = smf.ols("CHG ~ I(TRT01AN / 100) + BASE", data=d).fit()
                term = "I(TRT01AN / 100)"
                r = _row(out, study=study, paramcd=param, visit=visit)
                assert r["n"] == len(d) and r["arm"] == "per_100M" and r["method"] == "linear_trend"
                assert r["estimate"] == pytest.approx(fit.params[term], rel=1e-8)
                assert (r["ci_low"], r["ci_high"]) == pytest.approx(tuple(fit.conf_int().loc[term]), rel=1e-8)
                assert r["p_value"] == pytest.approx(fit.pvalues[term], rel=1e-7)


def test_dose_trend_without_placebo(toy):
    _, trial, chg, hand = toy
    out = analysis.dose_trend(chg, "dose_comparison", trial.basis, params=["SIXMWD"], include_placebo=False)
    r = _row(out, study="TOY-1", visit=4)
    d = hand[(hand.STUDYID == "TOY-1") & (hand.PARAMCD == "SIXMWD") & (hand.AVISITN == 4) & (hand.TRT01AN > 0)]
    fit = smf.ols("CHG ~ I(TRT01AN / 100) + BASE", data=d).fit()
    assert r["n"] == 16
    assert r["estimate"] == pytest.approx(fit.params["I(TRT01AN / 100)"], rel=1e-8)


# ------------------------------------------------------------------------------- tesae_proportions
def _exact(k, n):
    ci = st.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return ci.low, ci.high


def test_tesae_proportions_counts_and_intervals(toy):
    _, trial, _, _ = toy
    out = analysis.tesae_proportions(trial)
    assert list(out.columns) == CONTRACT_COLUMNS + ["bound"]
    prop = out[out["comparison"] == "proportion"]
    # Only T1-H03 (day 12) counts; the serious day-45 event in Low is outside the window.
    expected = {("TOY-1", "Control"): (0, 8), ("TOY-1", "Low"): (0, 8), ("TOY-1", "High"): (1, 8),
                ("TOY-2", "A"): (0, 6), ("TOY-2", "B"): (0, 6)}
    assert set(zip(prop["study"], prop["arm"])) == set(expected)
    for (study, arm), (k, n) in expected.items():
        r = _row(prop, study=study, arm=arm)
        assert r["paramcd"] == "TESAE30" and r["method"] == "clopper_pearson" and pd.isna(r["visit"])
        assert r["n"] == n and r["estimate"] == pytest.approx(k / n)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx(_exact(k, n), abs=1e-10)
        assert r["finding"] == "safety" and r["basis"] == "supplied"
    across = out[out["comparison"] == "across_arms"]
    assert set(across["study"]) == {"TOY-1", "TOY-2"}
    # TOY-1: one event among 24, rows of 8: every table is equally likely (prob 8/24 each) -> p = 1.
    assert _row(across, study="TOY-1")["p_value"] == pytest.approx(1.0)
    assert _row(across, study="TOY-2")["p_value"] == pytest.approx(1.0)  # no events


def _with_aes(tmp_path, extra):
    folder = write_dataset(tmp_path / "ae")
    adae = pd.read_csv(folder / "adae.csv", dtype=str, keep_default_na=False)
    adae = pd.concat([adae, pd.DataFrame(extra, columns=adae.columns)], ignore_index=True)
    adae.to_csv(folder / "adae.csv", index=False)
    return load_trial(folder)


def _k(trial, arm):
    """Number of subjects with a TESAE30 event in arm (estimate x n)."""
    out = analysis.tesae_proportions(trial)
    r = _row(out[out.comparison == "proportion"], arm=arm)
    return int(round(r["estimate"] * r["n"]))


@pytest.mark.parametrize("event, counts", [
    (("TOY-1", "T1-L02", "Fall", "Y", "Y", "30", "RECOVERED"), True),     # last day of the window
    (("TOY-1", "T1-L02", "Fall", "Y", "Y", "1", "RECOVERED"), True),      # infusion day
    (("TOY-1", "T1-L02", "Fall", "Y", "Y", "31", "RECOVERED"), False),    # day after the window
    (("TOY-1", "T1-L02", "Fall", "Y", "Y", "0", "RECOVERED"), False),     # before infusion
    (("TOY-1", "T1-L02", "Fall", "Y", "Y", "-3", "RECOVERED"), False),    # before infusion
    (("TOY-1", "T1-L02", "Fall", "Y", "N", "10", "RECOVERED"), False),    # not treatment-emergent
    (("TOY-1", "T1-L02", "Fall", "N", "Y", "10", "RECOVERED"), False),    # not serious
])
def test_tesae_window_and_flags(tmp_path, event, counts):
    trial = _with_aes(tmp_path, [event])
    assert _k(trial, "Low") == (1 if counts else 0)


def test_tesae_counts_subjects_not_events(tmp_path):
    trial = _with_aes(tmp_path, [("TOY-1", "T1-H03", "Sepsis", "Y", "Y", "14", "FATAL")])
    assert _k(trial, "High") == 1


def test_tesae_excludes_safety_population_n(tmp_path):
    folder = write_dataset(tmp_path / "s")
    adsl = pd.read_csv(folder / "adsl.csv", dtype=str, keep_default_na=False)
    adsl.loc[adsl.USUBJID == "T1-H03", "SAFFL"] = "N"
    adsl.to_csv(folder / "adsl.csv", index=False)
    out = analysis.tesae_proportions(load_trial(folder))
    r = _row(out[out.comparison == "proportion"], arm="High")
    assert r["n"] == 7 and r["estimate"] == 0


def test_tesae_with_header_only_adae(tmp_path):
    trial = load_trial(write_dataset(tmp_path / "e", empty_ae=True))
    out = analysis.tesae_proportions(trial)
    prop = out[out.comparison == "proportion"]
    assert (prop["estimate"] == 0).all() and len(prop) == 5
    r = _row(prop, arm="Control")
    assert r["ci_high"] == pytest.approx(1 - 0.025 ** (1 / 8), rel=1e-10)


def test_empty_input_gives_empty_frame_with_contract_columns(toy):
    _, _, chg, _ = toy
    for fn in (analysis.change_from_baseline, analysis.vs_placebo, analysis.vs_arm, analysis.dose_trend):
        out = fn(chg, "x", "supplied", params=["NOPE"])
        assert out.empty and list(out.columns) == CONTRACT_COLUMNS + ["bound"]


def test_unknown_onset_gets_a_worst_case_row(tmp_path):
    # a serious treatment-emergent event with no onset day (ASTDY missing) in Low: outside the window in
    # the TESAE30 rows, inside in the TESAE30_WORST rows, which only its study gets; listed, never dropped
    trial = _with_aes(tmp_path, [("TOY-1", "T1-L02", "Fall", "Y", "Y", "", "RECOVERED")])
    listed = analysis.unknown_onset_events(trial)
    assert listed[["USUBJID", "TRT01A", "AEDECOD"]].values.tolist() == [["T1-L02", "Low", "Fall"]]
    out = analysis.tesae_proportions(trial)
    primary = _row(out[(out.paramcd == "TESAE30") & (out.comparison == "proportion")], arm="Low")
    assert primary["estimate"] == 0 and primary["n"] == 8
    worst = out[(out.paramcd == analysis.TESAE_WORST_CASE) & (out.comparison == "proportion")]
    assert set(worst["study"]) == {"TOY-1"}
    expected = {"Control": (0, 8), "Low": (1, 8), "High": (1, 8)}    # High: T1-H03 on day 12, as before
    for arm, (k, n) in expected.items():
        r = _row(worst, arm=arm)
        assert r["n"] == n and r["estimate"] == pytest.approx(k / n) and r["method"] == "clopper_pearson"
        assert (r["ci_low"], r["ci_high"]) == pytest.approx(_exact(k, n), abs=1e-10)
    across = out[(out.paramcd == analysis.TESAE_WORST_CASE) & (out.comparison == "across_arms")]
    assert len(across) == 1
    # without unknown onsets there are no worst-case rows at all
    plain = analysis.tesae_proportions(_with_aes(tmp_path / "x", []))
    assert analysis.TESAE_WORST_CASE not in set(plain.paramcd)


# ------------------------------------------------------------- parameters without a baseline record (at visit)
# References from the raw CSV files and scipy only: the rating's values per arm and visit, scipy.stats.t.interval,
# scipy.stats.ttest_ind(equal_var=False) and scipy.stats.mannwhitneyu.

@pytest.fixture(scope="module")
def rated(tmp_path_factory):
    """The toy data set with the 1-7 rating PGIC without a baseline record (conftest.write_dataset(rating=True)); one
    subject of TOY-1's High arm is outside the safety population and one Low value at visit 4 is missing."""
    folder = write_dataset(tmp_path_factory.mktemp("rated") / "toy", rating=True)
    adsl, eff = pd.read_csv(folder / "adsl.csv"), pd.read_csv(folder / "adeff.csv", keep_default_na=False)
    adsl.loc[adsl.USUBJID == "T1-H08", "SAFFL"] = ""
    eff = eff[~((eff.USUBJID == "T1-L03") & (eff.PARAMCD == RATING) & (eff.AVISITN == 4))]
    adsl.to_csv(folder / "adsl.csv", index=False)
    eff.to_csv(folder / "adeff.csv", index=False)
    hand = eff[eff.PARAMCD == RATING].merge(adsl[adsl.SAFFL == "Y"], on=["STUDYID", "USUBJID"])
    return load_trial(folder), hand


def _values(hand, study, visit, arm):
    cell = hand[(hand.STUDYID == study) & (hand.AVISITN == visit) & (hand.TRT01A == arm)]
    return cell["AVAL"].to_numpy(dtype=float)


def test_no_baseline_parameters_are_found_and_kept(rated):
    trial, hand = rated
    assert analysis.no_baseline_params(trial.adeff) == [RATING]
    assert set(add_change(trial)["PARAMCD"]) == {"SIXMWD", "TNFA"}        # the change data cannot hold it
    values = analysis.values_at_visits(trial)
    assert set(values["PARAMCD"]) == {RATING} and set(values["AVISITN"]) == set(RATING_VISITS)
    counts = values.groupby(["STUDYID", "AVISITN", "TRT01A"])["USUBJID"].nunique()
    expected = hand.groupby(["STUDYID", "AVISITN", "TRT01A"])["USUBJID"].nunique()
    assert counts.to_dict() == {(s, float(v), a): n for (s, v, a), n in expected.items()}
    assert counts[("TOY-1", 4, "High")] == 7 and counts[("TOY-1", 4, "Low")] == 7 and counts[("TOY-1", 2, "Low")] == 8
    # the record counts of every estimate: change data and values together
    both = analysis.analysed_records(trial)
    assert len(both) == len(add_change(trial)) + len(values) and both.loc[both.PARAMCD == RATING, "CHG"].isna().all()


def test_at_visit_rows_match_scipy_t_interval(rated):
    trial, hand = rated
    out = analysis.at_visit(analysis.values_at_visits(trial), "other_endpoints", trial.basis)
    assert list(out.columns) == ESTIMATE_COLUMNS
    assert set(out["comparison"]) == {"at_visit"} and set(out["method"]) == {"t_interval"}
    assert out["p_value"].isna().all() and (out["ref_arm"] == "").all()
    assert len(out) == 2 * (3 + 2)                                       # visits x arms of both studies
    for _, r in out.iterrows():
        x = _values(hand, r["study"], r["visit"], r["arm"])
        lo, hi = st.t.interval(0.95, x.size - 1, loc=x.mean(), scale=st.sem(x))
        assert r["n"] == x.size and r["estimate"] == pytest.approx(x.mean(), rel=1e-12)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)


def test_at_visit_vs_placebo_and_vs_arm_match_scipy(rated):
    trial, hand = rated
    values = analysis.values_at_visits(trial)
    placebo = analysis.at_visit_vs_placebo(values, "other_endpoints", trial.basis)
    doses = analysis.at_visit_vs_arm(values, "dose_comparison", trial.basis)
    assert set(zip(placebo.study, placebo.arm, placebo.ref_arm)) == {("TOY-1", "Low", "Control"),
                                                                     ("TOY-1", "High", "Control")}  # TOY-2: none
    assert set(zip(doses.study, doses.arm, doses.ref_arm)) == {("TOY-1", "Low", "High"), ("TOY-2", "A", "B")}
    for out, comparison in ((placebo, "vs_placebo"), (doses, "vs_arm")):
        assert set(out["comparison"]) == {comparison}
        assert set(out["method"]) == {"welch_t", "mann_whitney", "rank_biserial"}     # a 1-7 rating is ordinal
        for (study, visit, arm, ref), cell in out.groupby(["study", "visit", "arm", "ref_arm"]):
            x, y = _values(hand, study, visit, arm), _values(hand, study, visit, ref)
            welch = st.ttest_ind(x, y, equal_var=False)
            ci = welch.confidence_interval(0.95)
            w = _row(cell, method="welch_t")
            assert (w["n"], w["n_ref"]) == (x.size, y.size)
            assert w["estimate"] == pytest.approx(x.mean() - y.mean(), rel=1e-12, abs=1e-14)   # arm minus ref_arm
            assert (w["ci_low"], w["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
            assert w["p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
            ranks = st.mannwhitneyu(x, y, alternative="two-sided")
            m, b = _row(cell, method="mann_whitney"), _row(cell, method="rank_biserial")
            assert m["p_value"] == pytest.approx(ranks.pvalue, rel=1e-12) and np.isnan(m["estimate"])
            assert b["estimate"] == pytest.approx(2 * ranks.statistic / (x.size * y.size) - 1, rel=1e-12, abs=1e-15)
            assert np.isnan(b["p_value"]) and np.isnan(b["ci_low"])
    # High has 7 in the safety population at visit 4 (T1-H08 is not), Low 7 (T1-L03 has no value)
    assert tuple(_row(doses, study="TOY-1", visit=4, method="welch_t")[["n", "n_ref"]]) == (7, 7)


def _cells(arms, visit=6.0, param="PGIC"):
    """Values of one visit: ``{arm: (dose, [values])}``."""
    rows = [{"STUDYID": "S", "PARAMCD": param, "AVISITN": visit, "TRT01A": a, "TRT01AN": dose, "USUBJID": f"{a}{i}",
             "AVAL": v} for a, (dose, vals) in arms.items() for i, v in enumerate(vals)]
    return pd.DataFrame(rows)


def _arms(*names_doses):
    return pd.DataFrame([{"STUDYID": "S", "TRT01A": a, "TRT01AN": d} for a, d in names_doses])


def test_a_value_that_is_not_ordinal_gets_no_rank_test():
    values = _cells({"Placebo": (0.0, [1.5, 2.25, 3.0]), "100M": (100.0, [2.0, 3.5, 4.0])})
    out = analysis.at_visit_vs_placebo(values, "other_endpoints", "supplied")
    assert out["method"].tolist() == ["welch_t"]
    wide = _cells({"Placebo": (0.0, [0.0, 12.0, 6.0]), "100M": (100.0, [3.0, 9.0, 11.0])})   # 0-12: not short
    assert analysis.at_visit_vs_placebo(wide, "x", "supplied")["method"].tolist() == ["welch_t"]
    assert analysis.is_ordinal_score([1, 7, 4]) and not analysis.is_ordinal_score([0, 12])


def test_one_subject_per_arm_is_not_estimable_with_its_reason():
    values = _cells({"Placebo": (0.0, [4.0]), "100M": (100.0, [2.0])})
    arms = _arms(("Placebo", 0.0), ("100M", 100.0))
    assert analysis.at_visit(values, "x", "supplied").empty
    assert analysis.at_visit_vs_placebo(values, "x", "supplied").empty
    per_arm = analysis.not_estimable(values, arms, "at_visit")
    assert per_arm["reason"].tolist() == ["one subject in Placebo", "one subject in 100M"]
    pair = analysis.not_estimable(values, arms, "vs_placebo")
    assert pair[["arm", "ref_arm", "reason"]].values.tolist() == [["100M", "Placebo",
                                                                    "one subject in 100M; one subject in Placebo"]]
    assert "too few" not in " ".join(pair["reason"])


def test_an_arm_without_values_at_a_visit_and_a_study_without_placebo():
    values = _cells({"Placebo": (0.0, [4.0, 5.0, 3.0]), "100M": (100.0, [2.0, 3.0])})
    arms = _arms(("Placebo", 0.0), ("100M", 100.0), ("200M", 200.0))
    out = analysis.at_visit_vs_placebo(values, "x", "supplied")
    assert set(out["arm"]) == {"100M"}                                  # 200M has no value: no row, and why
    why = analysis.not_estimable(values, arms, "vs_placebo")
    assert why[["arm", "reason"]].values.tolist() == [["200M", "no value in 200M at that visit"]]
    assert analysis.not_estimable(values, arms, "at_visit")["reason"].tolist() == ["no value in 200M at that visit"]
    active = _cells({"100M": (100.0, [2.0, 3.0]), "200M": (200.0, [1.0, 2.0])})
    reason = analysis.not_estimable(active, _arms(("100M", 100.0), ("200M", 200.0)), "vs_placebo")
    assert reason[["visit", "reason"]].values.tolist()[0][1] == "no placebo arm" and reason["visit"].isna().all()
    assert analysis.not_estimable(active, _arms(("100M", 100.0)), "vs_arm")["reason"].tolist() == \
        ["fewer than two active arms"]
    with pytest.raises(ValueError, match="comparison must be one of"):
        analysis.not_estimable(active, _arms(("100M", 100.0)), "dose_trend")


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")
def test_zero_variance_arms():
    # one arm without spread: an ordinary Welch test, as scipy computes it
    values = _cells({"Placebo": (0.0, [4.0, 4.0, 4.0]), "100M": (100.0, [2.0, 3.0, 5.0, 1.0])})
    w = _row(analysis.at_visit_vs_placebo(values, "x", "supplied"), method="welch_t")
    ref = st.ttest_ind([2.0, 3.0, 5.0, 1.0], [4.0, 4.0, 4.0], equal_var=False)
    assert w["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (w["ci_low"], w["ci_high"]) == pytest.approx(tuple(ref.confidence_interval(0.95)), rel=1e-10)
    # both without spread: the difference, with no interval and no p (scipy says t = -inf, p = 0: a degenerate
    # test gives no p-value, never 0), and the per-arm interval is the mean itself
    flat = _cells({"Placebo": (0.0, [4.0, 4.0]), "100M": (100.0, [2.0, 2.0, 2.0])})
    out = analysis.at_visit_vs_placebo(flat, "x", "supplied")
    w = _row(out, method="welch_t")
    assert w["estimate"] == -2.0 and np.isnan(w["ci_low"]) and np.isnan(w["p_value"])
    assert st.ttest_ind([2.0] * 3, [4.0] * 2, equal_var=False).pvalue == 0.0
    assert _row(out, method="rank_biserial")["estimate"] == -1.0
    r = _row(analysis.at_visit(flat, "x", "supplied"), arm="100M")
    assert (r["estimate"], r["ci_low"], r["ci_high"]) == (2.0, 2.0, 2.0)
    why = analysis.not_estimable(flat, _arms(("Placebo", 0.0), ("100M", 100.0)), "vs_placebo")
    assert why["reason"].tolist() == ["no spread in either arm: a difference without an interval or p"]


def test_change_data_give_their_own_reasons(toy):
    _, trial, chg, _ = toy
    one = chg[~((chg.STUDYID == "TOY-1") & (chg.TRT01A == "Low") & (chg.USUBJID != "T1-L01"))]
    why = analysis.not_estimable(one, trial.arms(), "vs_placebo", params=["SIXMWD"])
    assert set(why["reason"]) == {"one subject in Low", "no placebo arm"}          # TOY-2 has none
    none = chg[~((chg.STUDYID == "TOY-1") & (chg.TRT01A == "Low"))]
    why = analysis.not_estimable(none, trial.arms(), "change_from_baseline", params=["SIXMWD"])
    assert set(why["reason"]) == {"no subject in Low with a baseline value and a value at that visit"}
