"""msc_frailty.meta against documented reference values (metafor) and statsmodels.

Reference values, each as printed at its source (compared at the printed precision, at least 4 significant
digits unless the source prints fewer):

- metafor's dat.bcg (13 BCG vaccine trials, log risk ratios; data: https://wviechtb.github.io/metafor/reference/dat.bcg.html,
  the same 2x2 tables printed at https://www.metafor-project.org/doku.php/analyses:vanhouwelingen2002):
  * DerSimonian-Laird, checked by metafor against Stata's metan: estimate -0.7141, CI [-1.0644, -0.3638],
    z -3.9952, tau^2 0.3088, I^2 92.1173, QE 152.2330 --
    https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r
  * confint() of the DL fit (Q-profile): tau^2 [0.1197, 1.1115], I^2 92.1173 [81.9177, 97.6781],
    H^2 12.6861 [5.5303, 43.0680] -- https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_misc_confint.r
  * iterated DL (whose fixed point is the Paule-Mandel equation Q(tau^2) = k - 1): tau^2 0.3181 --
    https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_misc_rma_uni.r
  * Berkey et al. (1995), with smoothed sampling variances, method "EB" (identical to Paule-Mandel):
    RE -0.5429 (SE 0.1842), tau^2 0.268; meta-regression on ablat - 33.46: -0.6303, -0.0268 (SE 0.1591,
    0.0110), tau^2 0.157; fixed-effect meta-regression -0.5949, -0.0282 (SE 0.0696, 0.0040) --
    https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_analysis_example_berkey1995.r
    (analysis page https://www.metafor-project.org/doku.php/analyses:berkey1995)
- Kacker (2004), as metafor prints it (rma(..., method="PM"/"DL", test="knha"), full precision), recorded in
  statsmodels' test results: https://github.com/statsmodels/statsmodels/blob/main/statsmodels/stats/tests/results/results_meta.py
- Prediction interval: Raudenbush (2009) REML fit as metafor prints it (estimate 0.0837, z 1.6208,
  tau^2 0.0188; pi [-0.2036, 0.3711]) --
  https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_analysis_example_raudenbush2009.r
  (metafor's predict() formula: https://wviechtb.github.io/metafor/reference/predict.rma.html)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.meta_analysis import combine_effects

from msc_frailty import meta, reanalysis

# dat.bcg: tpos, tneg, cpos, cneg, ablat
BCG = np.array([
    [4, 119, 11, 128, 44], [6, 300, 29, 274, 55], [3, 228, 11, 209, 42], [62, 13536, 248, 12619, 52],
    [33, 5036, 47, 5761, 13], [180, 1361, 372, 1079, 44], [8, 2537, 10, 619, 19], [505, 87886, 499, 87892, 13],
    [29, 7470, 45, 7232, 27], [17, 1699, 65, 1600, 42], [186, 50448, 141, 27197, 18], [5, 2493, 3, 2338, 33],
    [27, 16886, 29, 17825, 33]], float)
TPOS, TNEG, CPOS, CNEG, ABLAT = BCG.T
# escalc(measure="RR"): log risk ratio and its sampling variance
YI = np.log(TPOS / (TPOS + TNEG)) - np.log(CPOS / (CPOS + CNEG))
VI = 1 / TPOS - 1 / (TPOS + TNEG) + 1 / CPOS - 1 / (CPOS + CNEG)
# Berkey et al. (1995) "smoothed" sampling variances
VI_SMOOTH = np.sum(TNEG / TPOS) / (13 * (TNEG + TPOS)) + np.sum(CNEG / CPOS) / (13 * (CNEG + CPOS))

# Kacker (2004), example 1
KACKER_Y = [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]
KACKER_V = [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]


def printed(value: float, reference: str) -> bool:
    """Does ``value`` round to the printed ``reference`` at the number of decimals printed?"""
    decimals = len(reference.split(".")[1]) if "." in reference else 0
    return abs(value - float(reference)) <= 0.5 * 10 ** -decimals * (1 + 1e-9)


# ------------------------------------------------------------------ metafor's dat.bcg, DerSimonian-Laird
def test_dl_reproduces_metafor_and_metan():
    r = meta.random_effects(YI, VI, "dl")
    assert printed(r.estimate, "-0.7141")
    assert printed(r.ci[0], "-1.0644") and printed(r.ci[1], "-0.3638")
    assert printed(r.estimate / r.se, "-3.9952")
    assert printed(r.tau2, "0.3088")
    assert printed(r.i2, "92.1173")
    assert printed(r.q, "152.2330")
    assert printed(r.h2, "12.6861")
    assert not r.truncated and r.k == 13


def test_q_profile_reproduces_metafor_confint():
    r = meta.random_effects(YI, VI, "dl")
    assert printed(r.tau2_ci[0], "0.1197") and printed(r.tau2_ci[1], "1.1115")
    assert printed(r.i2_ci[1], "97.6781")
    # metafor finds the limits with uniroot at tol = .Machine$double.eps^0.25 (1.2e-4 on tau^2): its limits
    # are 1e-5 to 2e-5 from the exact roots found here (both print as 0.1197 and 1.1115), which moves I^2 and
    # H^2 at the limits in their 5th significant digit: they agree to 4 significant digits, and metafor's
    # printed values lie within what its tolerance allows
    for mine, theirs in ((r.i2_ci[0], 81.9177), (r.h2_ci[0], 5.5303), (r.h2_ci[1], 43.0680)):
        assert f"{mine:.4g}" == f"{theirs:.4g}" or abs(mine - theirs) / theirs < 2e-4
    s2 = meta.typical_variance(VI)
    tol = 1.2e-4
    assert 1 + (r.tau2_ci[0] - tol) / s2 <= 5.5303 <= 1 + (r.tau2_ci[0] + tol) / s2
    assert 1 + (r.tau2_ci[1] - tol) / s2 <= 43.0680 <= 1 + (r.tau2_ci[1] + tol) / s2
    # the limits solve the Q-profile equations exactly
    assert math.isclose(meta.generalized_q(r.tau2_ci[0], YI, VI), st.chi2.isf(0.025, 12), rel_tol=1e-10)
    assert math.isclose(meta.generalized_q(r.tau2_ci[1], YI, VI), st.chi2.ppf(0.025, 12), rel_tol=1e-10)


def test_pm_reproduces_metafor_iterated_dl():
    r = meta.random_effects(YI, VI, "pm")
    assert printed(r.tau2, "0.3181")
    assert math.isclose(meta.generalized_q(r.tau2, YI, VI), 12, rel_tol=1e-12)
    # at the PM solution the HKSJ scale is exactly 1: HKSJ and model-based standard errors coincide
    assert math.isclose(r.se_hksj, r.se, rel_tol=1e-10)


# ------------------------------------------------------------------ Kacker (2004) as metafor prints it
def test_kacker_pm_matches_metafor_to_full_precision():
    r = meta.random_effects(KACKER_Y, KACKER_V, "pm")
    assert math.isclose(r.tau2, 0.705395309224248, rel_tol=1e-9)
    assert math.isclose(r.estimate, 62.4076199113286, rel_tol=1e-12)
    assert math.isclose(r.se, 0.338030602684471, rel_tol=1e-9)
    assert math.isclose(r.ci[0], 61.7450921043947, rel_tol=1e-11)
    assert math.isclose(r.ci[1], 63.0701477182625, rel_tol=1e-11)
    assert math.isclose(r.i2, 83.7218626490482, rel_tol=1e-9)
    assert math.isclose(r.h2, 6.14320900751909, rel_tol=1e-9)
    assert math.isclose(r.q, 24.801897741835, rel_tol=1e-11)


def test_kacker_dl_and_hksj_match_metafor_knha():
    r = meta.random_effects(KACKER_Y, KACKER_V, "dl")
    assert math.isclose(r.tau2, 0.288049246973751, rel_tol=1e-10)
    assert math.isclose(r.estimate, 62.3901386044504, rel_tol=1e-12)
    assert math.isclose(r.se, 0.245749668040304, rel_tol=1e-10)
    assert math.isclose(r.se_hksj, 0.29477605699879, rel_tol=1e-10)           # test="knha"
    assert math.isclose(r.ci_hksj[0], 61.710383798052, rel_tol=1e-11)
    assert math.isclose(r.ci_hksj[1], 63.0698934108488, rel_tol=1e-11)
    assert math.isclose(r.i2, 67.744403741711, rel_tol=1e-9)
    # scale 1.44 > 1: the modified HKSJ interval is the HKSJ one
    assert r.ci_hksj_mod == r.ci_hksj


# ------------------------------------------------------------------ meta-regression, Berkey et al. (1995)
def test_berkey1995_random_effects_pm():
    r = meta.random_effects(YI, VI_SMOOTH, "pm")
    assert printed(r.estimate, "-0.5429") and printed(r.se, "0.1842") and printed(r.tau2, "0.268")


def test_berkey1995_meta_regression_pm():
    m = meta.meta_regression(YI, VI_SMOOTH, ABLAT - 33.46, "pm")
    assert printed(m.params[0], "-0.6303") and printed(m.params[1], "-0.0268")
    assert printed(m.se[0], "0.1591") and printed(m.se[1], "0.0110")
    assert printed(m.tau2, "0.157")
    # PM sets QE(tau^2) = k - p, so the HKSJ scale is 1 and the HKSJ interval differs only by t(11)
    assert np.allclose(m.se_hksj, m.se, rtol=1e-9) and m.df == 11
    crit = st.t.isf(0.025, 11)
    assert np.allclose(m.ci_hksj[:, 1] - m.params, crit * m.se, rtol=1e-9)


def test_berkey1995_fixed_effect_meta_regression():
    X = np.column_stack([np.ones(13), ABLAT - 33.46])
    fit = WLS(YI, X, weights=1 / VI_SMOOTH).fit(cov_type="fixed_scale")
    assert printed(fit.params[0], "-0.5949") and printed(fit.params[1], "-0.0282")
    assert printed(fit.bse[0], "0.0696") and printed(fit.bse[1], "0.0040")
    assert meta.generalized_q(0.0, YI, VI_SMOOTH, X) == pytest.approx(
        float(np.sum((YI - X @ fit.params) ** 2 / VI_SMOOTH)), rel=1e-12)


def test_meta_regression_dl_is_the_method_of_moments():
    X = np.column_stack([np.ones(13), ABLAT])
    w = 1 / VI
    fe = WLS(YI, X, weights=w).fit()
    qe = float(np.sum(w * fe.resid**2))
    W = np.diag(w)
    P = W - W @ X @ np.linalg.inv(X.T @ W @ X) @ X.T @ W
    assert meta.tau2_dl(YI, VI, X) == pytest.approx((qe - 11) / np.trace(P), rel=1e-12)
    m = meta.meta_regression(YI, VI, ABLAT, "dl")
    fit = WLS(YI, X, weights=1 / (VI + m.tau2)).fit()
    assert np.allclose(m.params, fit.params, rtol=1e-12) and np.allclose(m.se_hksj, fit.bse, rtol=1e-12)


# ------------------------------------------------------------------ prediction interval
def test_prediction_interval_reproduces_metafor_predict():
    # the REML fit of dat.raudenbush1985 as metafor prints it: estimate 0.0837, z 1.6208, tau^2 0.0188, and
    # predict() pi.lb -0.2036, pi.ub 0.3711. The inputs are printed to 4 decimals, so the formula is checked
    # by interval arithmetic: metafor's printed limits lie within the limits the formula gives over every
    # input consistent with what is printed
    import itertools

    h = 0.00005
    corners = [meta.prediction_interval(mu, mu / z, t2)
               for mu, z, t2 in itertools.product((0.0837 - h, 0.0837 + h), (1.6208 - h, 1.6208 + h),
                                                  (0.0188 - h, 0.0188 + h))]
    lows, highs = [c[0] for c in corners], [c[1] for c in corners]
    assert min(lows) - h <= -0.2036 <= max(lows) + h
    assert min(highs) - h <= 0.3711 <= max(highs) + h
    assert max(lows) - min(lows) < 1e-3           # and the check is tight


def test_prediction_interval_with_t_is_wider():
    z = meta.prediction_interval(0.0, 0.1, 0.05)
    t = meta.prediction_interval(0.0, 0.1, 0.05, df=1)
    assert t[1] / z[1] == pytest.approx(st.t.isf(0.025, 1) / st.norm.isf(0.025))


# ------------------------------------------------------------------ statsmodels as a cross-check
def test_pooled_quantities_equal_statsmodels_combine_effects():
    r = meta.random_effects(YI, VI, "dl")
    res = combine_effects(YI, VI, method_re="dl")
    assert r.tau2 == pytest.approx(res.tau2, rel=1e-12)
    assert r.estimate == pytest.approx(res.mean_effect_re, rel=1e-12)
    assert r.se == pytest.approx(res.sd_eff_w_re, rel=1e-12)
    assert r.se_hksj == pytest.approx(math.sqrt(res.var_hksj_re), rel=1e-10)
    assert r.ci_hksj == pytest.approx(tuple(res.conf_int(use_t=True)[3]), rel=1e-10)   # HKSJ, t on k - 1
    assert r.ci == pytest.approx(tuple(res.conf_int(use_t=False)[1]), rel=1e-12)
    assert r.q == pytest.approx(res.q, rel=1e-12)


def test_pm_agrees_with_statsmodels_to_its_tolerance():
    r = meta.random_effects(YI, VI, "pm")
    res = combine_effects(YI, VI, method_re="pm")          # default tolerance 1e-5 on Q
    assert res.tau2 == pytest.approx(r.tau2, rel=1e-4)
    assert res.mean_effect_re == pytest.approx(r.estimate, rel=1e-5)
    w = 1 / (VI + r.tau2)
    mu = float(np.sum(w * YI) / np.sum(w))
    assert r.estimate == pytest.approx(mu, rel=1e-12)
    assert r.se == pytest.approx(math.sqrt(1 / np.sum(w)), rel=1e-12)
    assert r.se_hksj ** 2 == pytest.approx(np.sum(w / w.sum() * (YI - mu) ** 2) / 12, rel=1e-10)


def test_generic_pm_and_dl_with_an_intercept_equal_the_intercept_only_estimators():
    ones = np.ones((13, 1))
    assert meta.tau2_dl(YI, VI, ones) == pytest.approx(meta.random_effects(YI, VI, "dl").tau2, rel=1e-12)
    assert meta.tau2_pm(YI, VI, ones) == pytest.approx(meta.tau2_pm(YI, VI), rel=1e-14)


def test_dl_is_truncated_at_zero_where_statsmodels_is_not():
    y, v = [0.10, 0.12, 0.11], [0.04, 0.05, 0.06]       # Q far below k - 1
    with np.errstate(invalid="ignore"):
        raw = combine_effects(np.array(y), np.array(v), method_re="dl").tau2
    assert raw < 0
    r = meta.random_effects(y, v, "dl")
    assert r.tau2 == 0 and r.truncated and r.i2 == 0
    w = 1 / np.array(v)
    assert r.estimate == pytest.approx(float(np.sum(w * y) / w.sum()), rel=1e-12)
    assert r.tau2_ci == (0.0, 0.0) or r.tau2_ci[0] == 0.0


def test_pm_is_the_root_where_statsmodels_iteration_resets_to_zero():
    # CRATUS-P1 and CRATUS-P2 100M serum TNF-alpha (dz): k = 2, Q = 7.29 > 1, so tau^2 > 0
    y, v = [-6.951533, -0.813908], [5.032381, 0.133122]
    r = meta.random_effects(y, v, "pm")
    assert r.tau2 == pytest.approx(((y[0] - y[1]) ** 2 - v[0] - v[1]) / 2, rel=1e-10)   # k = 2 closed form
    assert meta.random_effects(y, v, "dl").tau2 == pytest.approx(r.tau2, rel=1e-10)      # DL = PM at k = 2


# ------------------------------------------------------------------ few studies
def test_two_studies_that_agree_make_plain_hksj_narrower_than_the_standard_interval():
    r = meta.random_effects([1.069, 1.028], [0.1048, 0.1528], "dl")
    assert r.df == 1 and r.tau2 == 0
    assert r.se_hksj < r.se                                   # the k = 2 pathology of plain HKSJ
    assert r.se_hksj_mod == r.se                              # the modified version keeps scale >= 1
    half = r.ci_hksj_mod[1] - r.estimate
    assert half == pytest.approx(st.t.isf(0.025, 1) * r.se)   # 12.7 standard errors
    assert r.tau2_ci[1] > 0.5                                 # tau^2 up to large values is compatible


def test_bounds_are_refused():
    with pytest.raises(ValueError, match="bound is not a value"):
        meta.random_effects([1.0, np.nan], [0.1, 0.1])
    with pytest.raises(ValueError, match="bound is not a value"):
        meta.random_effects([1.0, np.inf], [0.1, 0.1])
    with pytest.raises(ValueError, match="at least two"):
        meta.random_effects([1.0], [0.1])


def test_saturated_meta_regression_is_refused():
    with pytest.raises(ValueError, match="saturated"):
        meta.meta_regression([1.0, 2.0], [0.1, 0.1], [0.0, 1.0])


# ------------------------------------------------------------------ the record
@pytest.fixture(scope="module")
def table():
    return meta.pooling_table(reanalysis.published_estimates())


def test_bounds_of_the_record_are_carried_as_bounds_not_values(table):
    assert table.pooled.sum() > 0
    out = table[~table.pooled]
    assert (out.why != "").all()
    assert set(out[out.arm.ne("Placebo")].bound) <= {"range", "lower"}
    assert out[out.bound.isin(["range", "lower"])].variance.isna().all()
    assert table[table.pooled].bound.eq("").all() and table[table.pooled].variance.gt(0).all()
    assert not table[table.pooled].arm.eq("Placebo").any()


def test_sets_hold_what_the_record_prints(table):
    pooled = table[table.pooled].groupby("set").apply(lambda d: sorted(zip(d.study, d.arm)), include_groups=False)
    assert pooled["sixmwd_msc_arms"] == [("CRATUS-P1", "all"), ("CRATUS-P2", "100M")]
    assert pooled["tnfa_100m"] == [("CRATUS-P1", "100M"), ("CRATUS-P2", "100M")]
    assert pooled["tnfa_msc_arms"] == [("CRATUS-P1", "100M"), ("CRATUS-P1", "200M"), ("CRATUS-P2", "100M")]
    assert pooled["dose_100m_vs_200m"] == [("CRATUS-P1", "100M"), ("CRATUS-P2", "100M")]
    assert meta.pool(table, "sixmwd_100m") is None and meta.pool(table, "tnfa_200m") is None


def test_variances_are_those_of_the_reanalysis(table):
    r = table[(table.set == "tnfa_100m") & (table.study == "CRATUS-P2")].iloc[0]
    assert r.variance == pytest.approx(1 / 10 + r.estimate**2 / 20)
    d = table[(table.set == "dose_100m_vs_200m") & table.pooled & (table.study == "CRATUS-P2")].iloc[0]
    assert math.sqrt(d.variance) * 2 * st.norm.isf(0.025) == pytest.approx(d.ci_high - d.ci_low)


def test_estimate_rows_follow_the_contract(table):
    from msc_frailty.results import check_estimates

    r = meta.pool(table, "tnfa_100m", "pm")
    rows = meta.estimate_rows(r, "tnfa_100m", table)
    checked = check_estimates(rows)
    assert set(checked.basis) == {"published"} and set(checked.finding) == {"synthesis"}
    assert list(rows.method) == ["re_pm_hksj", "re_pm_hksj_mod", "re_pm_wald", "re_pm_prediction",
                                 "re_pm_tau2_qprofile", "re_pm_i2_qprofile"]
    assert rows.n.iloc[0] == 15
