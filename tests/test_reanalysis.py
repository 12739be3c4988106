"""Published-basis reanalysis against independent computations and the issue's worked examples."""

import math

import numpy as np
import pytest
from scipy import stats as st

from msc_frailty import reanalysis


def test_issue_examples():
    # p = .002 with n = 10, paired, gives |dz| = 1.359; 0 of 10 gives an upper bound of 0.3085
    assert abs(reanalysis.implied_dz("p = .002", 10)["estimate"]) == pytest.approx(1.359, abs=5e-4)
    assert reanalysis.zero_event_upper(10) == pytest.approx(0.3085, abs=5e-5)


def test_implied_dz_inverts_the_paired_t():
    r = reanalysis.implied_dz("p = .03", 12, sign=-1)
    t = -r["estimate"] * math.sqrt(12)
    assert 2 * st.t.sf(t, 11) == pytest.approx(0.03, rel=1e-10)
    # the exact interval: the observed t is the 97.5% / 2.5% quantile at the limits
    assert st.nct.cdf(t, 11, -r["ci_high"] * math.sqrt(12)) == pytest.approx(0.975, abs=1e-8)
    assert st.nct.cdf(t, 11, -r["ci_low"] * math.sqrt(12)) == pytest.approx(0.025, abs=1e-8)
    assert r["ci_low"] < r["estimate"] < r["ci_high"] < 0 and r["bound"] == ""


def test_inequality_gives_a_bound_not_a_value():
    r = reanalysis.implied_dz("p < .0001", 10)
    assert r["bound"] == "lower" and r["ci_high"] == np.inf
    assert r["estimate"] == pytest.approx(st.t.isf(0.00005, 9) / math.sqrt(10))
    ns = reanalysis.implied_dz("not significant", 10)
    assert ns["bound"] == "range" and np.isnan(ns["estimate"])
    assert ns["limit"] == pytest.approx(st.t.isf(0.025, 9) / math.sqrt(10))
    assert ns["ci_low"] == pytest.approx(-ns["ci_high"])


def test_implied_g_matches_a_two_sample_t():
    rng = np.random.default_rng(5)
    x, y = rng.normal(1, 1, 9), rng.normal(0, 1, 11)
    res = st.ttest_ind(x, y)
    r = reanalysis.implied_g(f"p = {float(res.pvalue)!r}", 9, 11, sign=np.sign(res.statistic))
    sp = math.sqrt((8 * x.var(ddof=1) + 10 * y.var(ddof=1)) / 18)
    d = (x.mean() - y.mean()) / sp
    j = math.exp(math.lgamma(9) - math.log(math.sqrt(9)) - math.lgamma(8.5))
    assert r["estimate"] == pytest.approx(j * d, rel=1e-8)


def test_sample_sizes_by_brute_force():
    for rate in (0.01, 0.05, 0.1, 0.3):
        n = reanalysis.n_to_observe_event(rate)
        assert 1 - (1 - rate) ** n >= 0.95 > 1 - (1 - rate) ** (n - 1)
        m = reanalysis.n_to_exclude_rate(rate)
        assert reanalysis.zero_event_upper(m) < rate <= reanalysis.zero_event_upper(m - 1)


def test_shared_control_difference_is_narrower_than_independent():
    shared = reanalysis.difference_shared_control(1.5, 1.0, 10, 10, 10)
    indep = reanalysis.difference_independent(1.5, 1.0, 10, 10)
    assert shared["estimate"] == indep["estimate"] == 0.5
    assert shared["se"] < indep["se"]


def test_published_rows_cover_the_four_findings():
    rows = reanalysis.published_estimates()
    assert set(rows.basis) == {"published"}
    for finding in ("safety", "physical_performance", "inflammation", "dose_comparison"):
        assert (rows.finding == finding).any(), finding
    b = rows[(rows.study == "CRATUS-P2") & (rows.paramcd == "BCTNFA") & (rows.arm == "200M")
             & (rows.comparison == "change_from_baseline")].iloc[0]
    assert b.estimate == pytest.approx(-1.359, abs=5e-4) and b.p_value == 0.002
    safety = rows[(rows.study == "CRATUS-P2") & (rows.arm == "100M") & (rows.method == "clopper_pearson")].iloc[0]
    assert safety.ci_high == pytest.approx(0.3085, abs=5e-5)
    pooled = rows[(rows.study == "CRATUS-P2") & (rows.arm == "All active")].iloc[0]
    assert pooled.n == 20 and pooled.ci_high == pytest.approx(1 - 0.025 ** (1 / 20))
    # "p < .0001" is a bound, and shown as one
    bound = rows[(rows.study == "CRATUS-P2") & (rows.paramcd == "BCTNFA") & (rows.arm == "100M")
                 & (rows.comparison == "change_from_baseline")].iloc[0]
    assert bound.bound == "lower" and np.isnan(bound.p_value)
    # no effect is implied for SQOL-F: the number of women per arm is not printed
    assert not (rows.paramcd == "SQOLF").any()


def test_the_dose_question_is_a_difference_with_an_interval():
    d = reanalysis.published_dose()
    b = d[d.paramcd == "BCTNFA"].iloc[0]
    assert (b.arm, b.ref_arm, b.method) == ("100M", "200M", "implied_g_difference")
    assert b.ci_low < 0 < b.ci_high          # the record cannot separate the doses
    phys = d[d.paramcd == "SIXMWD"].iloc[0]
    assert phys.bound == "range" and phys.ci_low < 0 < phys.ci_high
