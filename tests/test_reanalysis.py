"""Published-basis reanalysis against independent computations and the issue's worked examples."""

import math

import numpy as np
import pytest
from scipy import stats as st

from msc_frailty import reanalysis, stats


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
    # a decrease: the mirror image, an upper bound open below
    down = reanalysis.implied_dz("p < .0001", 10, sign=-1)
    assert down["bound"] == "upper" and down["ci_low"] == -np.inf
    assert (down["estimate"], down["ci_high"]) == (-r["estimate"], -r["ci_low"])
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
    # the same two g as if each had its own placebo arm: Var(g_i) = 1/n_i + 1/n_c + g_i^2 / (2 (n_i + n_c))
    indep = math.sqrt(sum(1 / 10 + 1 / 10 + g**2 / 40 for g in (1.5, 1.0)))
    assert shared["estimate"] == 0.5 and shared["se"] < indep


def test_difference_of_corrected_dz_against_scipy():
    # independent: J(n - 1) dz per arm, scipy's noncentral-t variance of t / sqrt(n) times J^2, a normal interval
    r = reanalysis.difference_smc(-2.0, -0.5, 6, 10)
    g1, g2 = stats.hedges_correction(5) * -2.0, stats.hedges_correction(9) * -0.5
    var = sum(stats.hedges_correction(n - 1) ** 2 * float(st.nct(n - 1, g * math.sqrt(n)).var()) / n
              for g, n in ((g1, 6), (g2, 10)))
    assert r["estimate"] == pytest.approx(g1 - g2, rel=1e-12) and r["se"] == pytest.approx(math.sqrt(var), rel=1e-9)
    z = st.norm.isf(0.025)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((g1 - g2 - z * r["se"], g1 - g2 + z * r["se"]), rel=1e-12)
    assert r["p_value"] == pytest.approx(2 * st.norm.sf(abs(g1 - g2) / r["se"]), rel=1e-12) and not r["identical"]
    # the large-sample variance (1/n + g^2/2n) is far too small at n = 5
    dz = -6.951533
    exact = reanalysis.difference_smc(dz, dz, 5, 5)
    g = stats.hedges_correction(4) * dz
    assert exact["se"] > 1.5 * math.sqrt(2 * (1 / 5 + g**2 / 10))


def test_two_identical_printed_results_give_no_p():
    # the same printed p with the same n: the difference is 0 by construction, not a test (never p = 1)
    r = reanalysis.difference_smc(-6.951533, -6.951533, 5, 5)
    assert r["identical"] and r["estimate"] == 0.0 and np.isnan(r["p_value"])
    assert r["ci_low"] == -r["ci_high"] and round(r["ci_high"], 2) == 8.16
    row = reanalysis.published_dose()
    p1 = row[row.study == "CRATUS-P1"].iloc[0]
    assert p1.method == "implied_dz_difference_corrected" and np.isnan(p1.p_value)
    assert (p1.estimate, p1.ci_low, p1.ci_high) == pytest.approx((0.0, -r["ci_high"], r["ci_high"]))
    assert not reanalysis.difference_smc(-6.951533, -6.951533, 5, 6)["identical"]


def test_the_dose_rows_say_which_difference_is_0_by_construction(tmp_path):
    from msc_frailty.results import ESTIMATE_COLUMNS, write_estimates

    rows = reanalysis.published_estimates()
    flag = rows[reanalysis.BY_CONSTRUCTION]
    assert flag.dtype == bool
    # the flag is difference_smc's "identical", carried: only CRATUS-P1's TNF-alpha (both arms p = .0001, n = 5)
    assert rows[flag][["study", "paramcd", "method"]].values.tolist() == [
        ["CRATUS-P1", "TNFA", reanalysis.DZ_DIFFERENCE_METHOD]]
    assert rows[flag].estimate.iloc[0] == 0.0 and np.isnan(rows[flag].p_value.iloc[0])
    # not a column of estimates.csv (the contract's columns only): there the fact is the empty p beside the 0
    header = write_estimates(rows, tmp_path, "published", "all").read_text("utf-8").splitlines()[0]
    assert header.split(",") == ESTIMATE_COLUMNS


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95, -0.5, float("nan")])
def test_the_differences_refuse_a_confidence_outside_0_1(confidence):
    with pytest.raises(ValueError, match="confidence"):
        reanalysis.difference_smc(-2.0, -0.5, 6, 10, confidence)
    with pytest.raises(ValueError, match="confidence"):
        reanalysis.difference_smc_range(-2.0, 6, 0.65, 10, confidence)
    with pytest.raises(ValueError, match="confidence"):
        reanalysis.difference_shared_control(1.5, 1.0, 10, 10, 10, confidence)


def test_a_range_needs_a_positive_finite_limit():
    for limit in (0.0, -0.65, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="limit2"):
            reanalysis.difference_smc_range(-2.0, 6, limit, 10)


@pytest.mark.parametrize("n", [1, 0, 4.5, float("nan"), "5"])
def test_the_rounding_of_a_printed_p_needs_a_whole_n(n):
    with pytest.raises(ValueError, match="whole number"):
        reanalysis.implied_dz_rounding("p = .0001", n)


def test_the_finding_notebooks_print_the_record_from_one_function():
    rows = reanalysis.published_estimates()
    lines = reanalysis.published_lines(rows)
    assert len(lines) == len(rows)
    dose = reanalysis.published_lines(reanalysis.published_estimates("dose_comparison", "CRATUS-P1"))
    # the 0 by construction is said to be one, never printed as an estimate of 0
    assert dose == ["TNFA, 100M vs 200M, month 6 (implied_dz_difference_corrected, n = 5): 0 by construction "
                    "[-8.16, 8.16] (both arms printed the same p with the same n: no p)"]
    p2 = reanalysis.published_lines(reanalysis.published_estimates("dose_comparison", "CRATUS-P2"))
    assert any(line.startswith("SIXMWD, 100M vs 200M, month 6") and "only a range" in line for line in p2)
    bound = [line for line in lines if line.startswith("BCTNFA, 100M, month 6 (implied_dz")]
    assert bound and "at least" in bound[0]


def test_a_printed_p_covers_a_range_of_dz():
    assert reanalysis.p_rounding_range("p = .0001") == (0.00005, 0.00015)
    assert reanalysis.p_rounding_range("p = .01") == (0.005, 0.015)
    lo, hi = reanalysis.implied_dz_rounding("p = .0001", 5)
    assert lo == pytest.approx(st.t.isf(0.000075, 4) / math.sqrt(5), rel=1e-12)
    assert hi == pytest.approx(st.t.isf(0.000025, 4) / math.sqrt(5), rel=1e-12)
    assert lo < abs(reanalysis.implied_dz("p = .0001", 5)["estimate"]) < hi
    assert (round(lo, 2), round(hi, 2)) == (6.27, 8.28)
    for bad in ("p < .0001", "not significant"):
        with pytest.raises(ValueError, match="exact"):
            reanalysis.p_rounding_range(bad)


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
    # "p < .0001" is a bound, and shown as one: a decrease, so the change is at most the estimate, open below
    bound = rows[(rows.study == "CRATUS-P2") & (rows.paramcd == "BCTNFA") & (rows.arm == "100M")
                 & (rows.comparison == "change_from_baseline")].iloc[0]
    assert bound.bound == "upper" and np.isnan(bound.p_value)
    assert bound.estimate < 0 and bound.ci_low == -np.inf and bound.estimate < bound.ci_high < 0
    # no effect is implied for SQOL-F: the number of women per arm is not printed
    assert not (rows.paramcd == "SQOLF").any()


def test_the_dose_question_is_a_difference_with_an_interval():
    d = reanalysis.published_dose()
    b = d[d.paramcd == "BCTNFA"].iloc[0]
    assert (b.arm, b.ref_arm, b.method) == ("100M", "200M", "implied_g_difference")
    assert b.ci_low < 0 < b.ci_high          # the record cannot separate the doses
    phys = d[d.paramcd == "SIXMWD"].iloc[0]
    assert phys.bound == "range" and phys.ci_low < 0 < phys.ci_high
    assert phys.method == reanalysis.DZ_DIFFERENCE_METHOD
    # the widest interval over every 200M value the record allows, with exact variances of the corrected dz
    limit = reanalysis.implied_dz("not significant", 10)["limit"]
    d100 = reanalysis.implied_dz("p = .01", 10)["estimate"]
    ends = [e for g in (-limit, limit) for e in (lambda r: (r["ci_low"], r["ci_high"]))(
        reanalysis.difference_smc(d100, g, 10, 10))]
    assert (phys.ci_low, phys.ci_high) == pytest.approx((min(ends), max(ends)), rel=1e-12)
    assert (round(phys.ci_low, 2), round(phys.ci_high, 2)) == (-0.81, 2.69)
