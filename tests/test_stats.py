"""msc_frailty.stats against independent references (scipy, statsmodels, published values).

No expected value here comes from our own output: each is either another library's result, a value
printed in a cited source, or the defining equation of the quantity checked numerically. pingouin
computes the t-tests and the ANCOVA/trend fits (issue 9), so it is never the reference here; the
"wiring" tests check that it is what computes them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import special
from scipy import stats as st
from statsmodels.stats.proportion import proportion_confint

from msc_frailty import stats

SEEDS = [1, 2, 3]


def _sample(seed, n, loc=0.0, scale=1.0):
    return np.random.default_rng(seed).normal(loc, scale, n)


# --------------------------------------------------------------------------------------- paired_t
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [3, 8, 25])
@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_paired_t_matches_scipy_ttest_1samp(seed, n, confidence):
    x = _sample(seed, n, loc=0.4, scale=1.3)
    ref = st.ttest_1samp(x, 0.0)
    ci = ref.confidence_interval(confidence_level=confidence)
    r = stats.paired_t(x, confidence)
    assert r["n"] == n and r["df"] == n - 1
    assert r["estimate"] == pytest.approx(np.mean(x), rel=1e-12)
    assert r["ci_low"] == pytest.approx(ci.low, rel=1e-10)
    assert r["ci_high"] == pytest.approx(ci.high, rel=1e-10)
    assert r["t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_paired_t_of_the_change_is_scipy_ttest_rel(seed, confidence):
    # the paired t-test of follow-up against baseline, from the two visits (scipy.stats.ttest_rel)
    rng = np.random.default_rng(seed)
    pre = rng.normal(300, 50, 12)
    post = pre + rng.normal(15, 30, 12)
    ref = st.ttest_rel(post, pre)
    ci = ref.confidence_interval(confidence_level=confidence)
    r = stats.paired_t(post - pre, confidence)
    assert r["n"] == 12 and r["df"] == 11
    assert r["estimate"] == pytest.approx(np.mean(post - pre), rel=1e-12)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert r["t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    # Cohen's dz, signed like the mean change: mean / SD of the differences
    d = post - pre
    assert r["cohen_dz"] == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-10)
    assert stats.paired_t(-d)["cohen_dz"] == pytest.approx(-r["cohen_dz"], rel=1e-12)


def test_paired_t_rejects_single_value():
    with pytest.raises(ValueError):
        stats.paired_t([1.0])
    with pytest.raises(ValueError):
        stats.paired_t([])


@pytest.mark.filterwarnings("error")
def test_paired_t_without_spread():
    # all differences equal: the interval is the point, t is infinite and p = 0 (NaN when all are 0)
    r = stats.paired_t([2.0, 2.0, 2.0])
    assert (r["estimate"], r["ci_low"], r["ci_high"], r["t"], r["df"], r["p_value"]) == (2.0, 2.0, 2.0, np.inf, 2, 0.0)
    r = stats.paired_t([-1.0, -1.0])
    assert (r["ci_low"], r["ci_high"], r["t"], r["p_value"]) == (-1.0, -1.0, -np.inf, 0.0)
    r = stats.paired_t([0.0, 0.0, 0.0])
    assert (r["estimate"], r["ci_low"], r["ci_high"]) == (0.0, 0.0, 0.0)
    assert np.isnan(r["t"]) and np.isnan(r["p_value"])
    r = stats.paired_t([0.1, 0.1, 0.1])  # identical values whose float mean is not exactly 0.1
    assert r["ci_low"] == r["ci_high"] == r["estimate"] == pytest.approx(0.1) and r["p_value"] == 0.0


@pytest.mark.parametrize("x", [[1.0, np.nan, 3.0], [np.nan, np.nan], [1.0, 2.0, np.inf]])
def test_paired_t_missing_values_give_nan_not_a_smaller_n(x):
    # pingouin would drop the NaN and test the rest; the collection keeps n and returns NaN
    r = stats.paired_t(x)
    assert r["n"] == len(x) and r["df"] == len(x) - 1
    for key in ("ci_low", "ci_high", "t", "p_value"):
        assert np.isnan(r[key]), key
    assert not np.isfinite(r["estimate"])


# ---------------------------------------------------------------------------------------- welch_t
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("nx, ny", [(4, 9), (10, 10), (15, 6)])
@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_welch_t_matches_scipy_ttest_ind_unequal_var(seed, nx, ny, confidence):
    # (10, 10): equal sizes, where pingouin's default ("auto") would not apply Welch's correction
    x = _sample(seed, nx, loc=1.0, scale=2.0)
    y = _sample(seed + 100, ny, loc=0.0, scale=0.7)
    ref = st.ttest_ind(x, y, equal_var=False)
    ci = ref.confidence_interval(confidence_level=confidence)
    r = stats.welch_t(x, y, confidence)
    assert (r["n"], r["n_ref"]) == (nx, ny)
    assert r["estimate"] == pytest.approx(np.mean(x) - np.mean(y), rel=1e-12)  # x minus y
    assert r["t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert r["df"] == pytest.approx(ref.df, rel=1e-10)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert r["ci_low"] == pytest.approx(ci.low, rel=1e-10)
    assert r["ci_high"] == pytest.approx(ci.high, rel=1e-10)
    # Cohen's d with the pooled SD, signed x minus y
    sp = math.sqrt(((nx - 1) * np.var(x, ddof=1) + (ny - 1) * np.var(y, ddof=1)) / (nx + ny - 2))
    assert r["cohen_d"] == pytest.approx((np.mean(x) - np.mean(y)) / sp, rel=1e-10)


@pytest.mark.parametrize("x, y", [([1.0], [1.0, 2.0]), ([1.0, 2.0], [1.0]), ([], [1.0, 2.0]),
                                  ([1.0, 2.0, np.nan], [1.0, 5.0, 3.0]), ([1.0, 2.0, 3.0], [np.inf, 1.0])])
def test_welch_t_too_few_or_missing_values_give_nan(x, y):
    # a one-value y is not turned into a one-sample test, and NaN is not dropped
    r = stats.welch_t(x, y)
    assert (r["n"], r["n_ref"]) == (len(x), len(y))
    for key in ("ci_low", "ci_high", "t", "df", "p_value", "cohen_d"):
        assert np.isnan(r[key]), key
    if len(x) and len(y):
        assert r["estimate"] == pytest.approx(np.mean(x) - np.mean(y), nan_ok=True)


@pytest.mark.filterwarnings("error")
def test_welch_t_without_spread():
    r = stats.welch_t([1.0, 1.0], [2.0, 2.0])
    assert r["estimate"] == -1.0 and r["t"] == -np.inf
    assert all(np.isnan(r[k]) for k in ("ci_low", "ci_high", "df", "p_value"))
    r = stats.welch_t([1.0, 1.0], [1.0, 1.0])
    assert r["estimate"] == 0.0 and np.isnan(r["t"])
    # one group without spread is an ordinary Welch test (df = n_y - 1)
    # (and is exact: no "precision loss" warning from scipy)
    r = stats.welch_t([3.0, 3.0, 3.0], [1.0, 2.0, 4.0, 5.0])
    t = (3.0 - 3.0) / math.sqrt(np.var([1.0, 2.0, 4.0, 5.0], ddof=1) / 4)
    assert r["df"] == pytest.approx(3.0) and r["t"] == t == 0.0 and r["p_value"] == pytest.approx(1.0)
    r = stats.welch_t([0.1, 0.1, 0.1], [1.0, 2.0, 4.0, 5.0])
    se = math.sqrt(np.var([1.0, 2.0, 4.0, 5.0], ddof=1) / 4)
    assert r["t"] == pytest.approx((0.1 - 3.0) / se, rel=1e-12)
    assert r["p_value"] == pytest.approx(2 * st.t.sf(abs(r["t"]), 3), rel=1e-9)


# ------------------------------------------------------------- mean_t_interval and mann_whitney (no baseline)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [2, 5, 30])
@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_mean_t_interval_matches_scipy_t_interval(seed, n, confidence):
    x = np.round(_sample(seed, n, loc=4.0, scale=1.5))          # ratings are whole numbers; nothing depends on it
    x[0] = x[1] + 1.0                                           # some spread
    r = stats.mean_t_interval(x, confidence)
    lo, hi = st.t.interval(confidence, n - 1, loc=np.mean(x), scale=st.sem(x))
    assert r["n"] == n and r["estimate"] == pytest.approx(np.mean(x), rel=1e-12)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
    assert r["sd"] == pytest.approx(np.std(x, ddof=1), rel=1e-12)


def test_mean_t_interval_degenerate_inputs():
    # no spread: the t interval with SD 0 is the mean itself (scipy's t.interval refuses scale 0)
    r = stats.mean_t_interval([3.0, 3.0, 3.0])
    assert (r["estimate"], r["ci_low"], r["ci_high"], r["sd"]) == (3.0, 3.0, 3.0, 0.0)
    r = stats.mean_t_interval([3.0, np.nan, 4.0])                # a missing value is not dropped
    assert np.isnan(r["ci_low"]) and np.isnan(r["ci_high"]) and r["n"] == 3
    with pytest.raises(ValueError, match="at least 2"):
        stats.mean_t_interval([3.0])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("nx, ny", [(5, 6), (8, 8), (12, 30)])
def test_mann_whitney_matches_scipy_and_the_rank_biserial_definition(seed, nx, ny):
    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(rng.normal(3.0, 1.3, nx)), 1, 7)        # a 1-7 rating: ties, so scipy's tie correction
    y = np.clip(np.rint(rng.normal(4.0, 1.3, ny)), 1, 7)
    ref = st.mannwhitneyu(x, y, alternative="two-sided")
    r = stats.mann_whitney(x, y)
    assert (r["n"], r["n_ref"]) == (nx, ny)
    assert r["u"] == ref.statistic and r["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    # RBC = P(x > y) - P(x < y), counted over every pair: positive when x tends to be higher
    diff = x[:, None] - y[None, :]
    assert r["rbc"] == pytest.approx((diff > 0).mean() - (diff < 0).mean(), rel=1e-12, abs=1e-15)
    assert r["rbc"] == pytest.approx(2 * ref.statistic / (nx * ny) - 1, rel=1e-12, abs=1e-15)
    assert r["cles"] == pytest.approx((diff > 0).mean() + 0.5 * (diff == 0).mean(), rel=1e-12)
    swapped = stats.mann_whitney(y, x)
    assert swapped["rbc"] == pytest.approx(-r["rbc"]) and swapped["p_value"] == pytest.approx(r["p_value"])


def test_mann_whitney_degenerate_inputs():
    # every value tied: nothing to rank, so no test (scipy would say p = 1, as it says p = 0 for a Welch test of
    # two constant groups); RBC 0 and U its null value
    r = stats.mann_whitney([3.0, 3.0, 3.0], [3.0, 3.0])
    assert np.isnan(r["p_value"]) and st.mannwhitneyu([3.0] * 3, [3.0] * 2).pvalue == 1.0
    assert r["rbc"] == 0.0 and r["u"] == st.mannwhitneyu([3.0] * 3, [3.0] * 2).statistic == 3.0
    # fewer than 2 values or a missing value: nothing, not a silent drop
    for x, y in (([1.0], [2.0, 3.0]), ([1.0, 2.0], []), ([1.0, np.nan], [2.0, 3.0])):
        r = stats.mann_whitney(x, y)
        assert all(np.isnan(r[k]) for k in ("u", "p_value", "rbc", "cles")) and (r["n"], r["n_ref"]) == (len(x), len(y))


def test_mann_whitney_is_pingouin_mwu_at_full_precision(monkeypatch):
    monkeypatch.setattr(pg, "mwu", _boom)
    with pytest.raises(RuntimeError, match="pingouin was called"):
        stats.mann_whitney([1.0, 2.0, 3.0], [2.0, 4.0, 5.0])
    monkeypatch.undo()
    monkeypatch.setitem(pg.options, "round", 1)
    x, y = [1.0, 2.0, 2.0, 5.0], [3.0, 4.0, 4.0, 6.0, 7.0]
    assert stats.mann_whitney(x, y)["p_value"] == st.mannwhitneyu(x, y).pvalue     # not rounded to 0.1


# ----------------------------------------------------------------------------------------- ancova
def _ancova_data(seed, n_arm=9, n_ref=11, effect=12.0):
    rng = np.random.default_rng(seed)
    arm = np.array(["trt"] * n_arm + ["ref"] * n_ref)
    base = rng.normal(300, 50, arm.size)
    chg = 0.2 * (300 - base) + np.where(arm == "trt", effect, 0.0) + rng.normal(0, 20, arm.size)
    return pd.DataFrame({"arm": arm, "BASE": base, "CHG": chg})


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_ancova_matches_statsmodels_formula(seed, confidence):
    # the reference uses the raw (uncentred) baseline: centring changes neither the fit nor the estimate
    df = _ancova_data(seed)
    fit = smf.ols("CHG ~ C(arm, Treatment(reference='ref')) + BASE", data=df).fit()
    term = "C(arm, Treatment(reference='ref'))[T.trt]"
    lo, hi = fit.conf_int(alpha=1 - confidence).loc[term]
    r = stats.ancova(df["CHG"], df["BASE"], df["arm"] == "trt", confidence)
    assert (r["n"], r["n_ref"]) == (9, 11)
    assert r["estimate"] == pytest.approx(fit.params[term], rel=1e-9)
    assert r["ci_low"] == pytest.approx(lo, rel=1e-9)
    assert r["ci_high"] == pytest.approx(hi, rel=1e-9)
    assert r["p_value"] == pytest.approx(fit.pvalues[term], rel=1e-8)
    assert r["t"] == pytest.approx(fit.tvalues[term], rel=1e-9)
    assert r["df"] == pytest.approx(fit.df_resid)
    assert r["slope"] == pytest.approx(fit.params["BASE"], rel=1e-9)


def test_ancova_sign_is_arm_minus_reference():
    # Noise-free: change = 50 in the arm, 0 in the reference, no baseline effect -> estimate exactly +50.
    base = np.array([250.0, 300, 350, 280, 320, 260, 340, 310])
    is_arm = np.array([True, True, True, True, False, False, False, False])
    chg = np.where(is_arm, 50.0, 0.0) + np.array([1.0, -1, 0.5, -0.5, 1, -1, 0.5, -0.5])
    r = stats.ancova(chg, base, is_arm)
    assert r["estimate"] > 0
    flipped = stats.ancova(chg, base, ~is_arm)
    assert flipped["estimate"] == pytest.approx(-r["estimate"], rel=1e-9)
    assert flipped["p_value"] == pytest.approx(r["p_value"], rel=1e-9)


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pingouin 0.7.0's ancova under pandas 3
@pytest.mark.parametrize("seed", SEEDS)
def test_ancova_p_is_the_arm_term_of_statsmodels_anova_and_pingouin_ancova(seed):
    # one df for the arm: the type II ANCOVA F of the arm is t^2 and has the same p
    df = _ancova_data(seed).assign(trt=lambda d: (d["arm"] == "trt").astype(int))
    r = stats.ancova(df["CHG"], df["BASE"], df["trt"] == 1)
    table = sm.stats.anova_lm(smf.ols("CHG ~ C(trt) + BASE", data=df).fit(), typ=2)
    assert table.loc["C(trt)", "F"] == pytest.approx(r["t"] ** 2, rel=1e-9)
    assert table.loc["C(trt)", "PR(>F)"] == pytest.approx(r["p_value"], rel=1e-8)
    aov = pg.ancova(data=df, dv="CHG", between="trt", covar="BASE").set_index("Source")
    assert aov.loc["trt", "p_unc"] == pytest.approx(r["p_value"], rel=1e-8)


def test_ancova_needs_both_arms():
    with pytest.raises(ValueError):
        stats.ancova([1.0, 2, 3, 4], [1.0, 2, 3, 4], [True, True, True, True])
    with pytest.raises(ValueError):
        stats.ancova([1.0, 2, 3], [1.0, 2, 3], [True, False, False])


def test_ancova_missing_values():
    base, arm = [5.0, 6, 7, 8, 2], [True, True, False, False, False]
    r = stats.ancova([1.0, np.nan, 3, 4, 5], base, arm)  # a missing change: NaN, n kept
    assert (r["n"], r["n_ref"], r["df"]) == (2, 3, 2.0)
    assert all(np.isnan(r[k]) for k in ("estimate", "ci_low", "ci_high", "t", "p_value", "slope"))
    with pytest.raises(ValueError, match="baseline"):
        stats.ancova([1.0, 2, 3, 4, 5], [5.0, 6, np.nan, 8, 2], arm)
    with pytest.raises(ValueError, match="length"):
        stats.ancova([1.0, 2, 3, 4, 5], base[:4], arm)


def test_ancova_constant_baseline_is_the_difference_in_means():
    # no baseline variation: the adjusted difference is the plain difference, tested with n - 2 df
    chg = np.array([1.0, 3, 2, 6, 5, 9])
    is_arm = np.array([True, True, True, False, False, False])
    with pytest.warns(UserWarning, match="rank deficient"):
        r = stats.ancova(chg, np.full(6, 300.0), is_arm)
    ref = st.ttest_ind(chg[is_arm], chg[~is_arm], equal_var=True)
    assert r["estimate"] == pytest.approx(chg[is_arm].mean() - chg[~is_arm].mean(), rel=1e-12)
    assert r["df"] == 4.0 and r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert r["slope"] == 0.0


# ----------------------------------------------------------------------------------- linear_trend
@pytest.mark.parametrize("seed", SEEDS)
def test_linear_trend_matches_statsmodels_formula(seed):
    rng = np.random.default_rng(seed)
    dose = np.repeat([0.0, 20, 100, 200], 6)
    base = rng.normal(300, 40, dose.size)
    chg = 0.1 * dose - 0.3 * (base - 300) + rng.normal(0, 25, dose.size)
    df = pd.DataFrame({"CHG": chg, "BASE": base, "dose": dose})
    fit = smf.ols("CHG ~ I(dose / 100) + BASE", data=df).fit()
    term = "I(dose / 100)"
    lo, hi = fit.conf_int(alpha=0.05).loc[term]
    r = stats.linear_trend(chg, base, dose)
    assert r["n"] == dose.size
    assert r["estimate"] == pytest.approx(fit.params[term], rel=1e-9)  # change per 100 million cells
    assert r["ci_low"] == pytest.approx(lo, rel=1e-9)
    assert r["ci_high"] == pytest.approx(hi, rel=1e-9)
    assert r["p_value"] == pytest.approx(fit.pvalues[term], rel=1e-8)
    assert r["df"] == pytest.approx(fit.df_resid)
    assert r["t"] == pytest.approx(fit.tvalues[term], rel=1e-9)


def test_linear_trend_needs_four_subjects_and_two_doses():
    with pytest.raises(ValueError, match="4 subjects"):
        stats.linear_trend([1.0, 2, 3], [1.0, 5, 3], [0.0, 100, 200])
    with pytest.raises(ValueError, match="2 dose levels"):
        stats.linear_trend([1.0, 2, 3, 4], [1.0, 5, 3, 2], [100.0] * 4)
    with pytest.raises(ValueError, match="dose"):
        stats.linear_trend([1.0, 2, 3, 4, 6], [1.0, 5, 3, 2, 2], [0.0, 0, 200, np.nan, 100])
    r = stats.linear_trend([1.0, np.nan, 3, 4, 6], [1.0, 5, 3, 2, 2], [0.0, 0, 200, 200, 100])
    assert r["n"] == 5 and r["df"] == 2.0
    assert all(np.isnan(r[k]) for k in ("estimate", "ci_low", "ci_high", "t", "p_value"))


# ------------------------------------------------------------------- pingouin computes the tests
def _boom(*args, **kwargs):
    raise RuntimeError("pingouin was called")


@pytest.mark.parametrize("name, call", [
    ("ttest", lambda: stats.paired_t([1.0, 2.5, 4.0])),
    ("ttest", lambda: stats.welch_t([1.0, 2.5, 4.0], [0.0, 1.0, 0.5, 2.0])),
    ("linear_regression", lambda: stats.ancova([1.0, 2, 3, 4, 6], [5.0, 6, 7, 8, 2], [1, 1, 0, 0, 0])),
    ("linear_regression", lambda: stats.linear_trend([1.0, 2, 3, 4, 6], [1.0, 5, 3, 2, 2], [0.0, 0, 200, 200, 100])),
    ("compute_effsize", lambda: stats.hedges_g([1.0, 2.5, 4.0], [0.0, 1.0, 0.5])),
    ("compute_effsize", lambda: stats.cohen_dz([1.0, 2.5, 4.0])),
])
def test_pingouin_computes_the_tests(monkeypatch, name, call):
    monkeypatch.setattr(pg, name, _boom)
    with pytest.raises(RuntimeError, match="pingouin was called"):
        call()


def test_pingouin_is_called_as_documented(monkeypatch):
    calls = []
    real = pg.ttest

    def spy(x, y, **kwargs):
        calls.append((np.asarray(y), kwargs))
        return real(x, y, **kwargs)

    monkeypatch.setattr(pg, "ttest", spy)
    stats.paired_t([1.0, 2.5, 4.0], confidence=0.9)
    stats.welch_t([1.0, 2.5, 4.0], [0.0, 1.0, 0.5])
    (y1, k1), (_, k2) = calls
    assert y1.size == 1 and y1.item() == 0.0 and k1 == {"confidence": 0.9}    # one-sample t of the change
    assert k2 == {"paired": False, "correction": True, "confidence": 0.95}   # Welch, also at equal n


def test_pingouin_rounding_options_do_not_reach_the_results(monkeypatch):
    # pingouin rounds CI95 to 2 decimals by default and any column by pg.options["round"]
    x, y = _sample(1, 9, loc=0.37, scale=1.1), _sample(2, 7)
    before = dict(pg.options)
    monkeypatch.setitem(pg.options, "round", 1)
    monkeypatch.setitem(pg.options, "round.column.CI90", 0)
    r, w = stats.paired_t(x, 0.90), stats.welch_t(x, y)
    ci = st.ttest_1samp(x, 0.0).confidence_interval(0.90)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert r["p_value"] == pytest.approx(st.ttest_1samp(x, 0.0).pvalue, rel=1e-9)
    ci = st.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert (w["ci_low"], w["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert pg.options == before | {"round": 1, "round.column.CI90": 0}     # the user's options are restored

GRID = [(k, n) for n in (1, 2, 5, 8, 10, 13, 20, 40) for k in sorted({0, 1, n // 2, n - 1, n}) if 0 <= k <= n]


@pytest.mark.parametrize("k, n", GRID)
def test_clopper_pearson_matches_statsmodels_and_scipy(k, n):
    lo, hi = stats.clopper_pearson(k, n)
    sm_lo, sm_hi = proportion_confint(k, n, alpha=0.05, method="beta")
    sc = st.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert lo == pytest.approx(sm_lo, abs=1e-12)
    assert hi == pytest.approx(sm_hi, abs=1e-12)
    assert lo == pytest.approx(sc.low, abs=1e-10)
    assert hi == pytest.approx(sc.high, abs=1e-10)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_clopper_pearson_zero_events_textbook_values():
    # Upper limit with zero events: 1 - (alpha/2)^(1/n); 0.5218 at n = 5 and 0.3085 at n = 10.
    assert [round(v, 4) for v in stats.clopper_pearson(0, 5)] == [0.0, 0.5218]
    assert [round(v, 4) for v in stats.clopper_pearson(0, 10)] == [0.0, 0.3085]
    for n in (5, 10, 24):
        assert stats.clopper_pearson(0, n)[1] == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-10)
        assert stats.clopper_pearson(n, n)[0] == pytest.approx(0.025 ** (1 / n), rel=1e-10)
        assert stats.clopper_pearson(n, n)[1] == 1.0


def test_clopper_pearson_other_confidence():
    lo, hi = stats.clopper_pearson(3, 12, confidence=0.90)
    ref = proportion_confint(3, 12, alpha=0.10, method="beta")
    assert (lo, hi) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("k, n", [(-1, 5), (6, 5), (0, 0)])
def test_clopper_pearson_rejects_bad_counts(k, n):
    with pytest.raises(ValueError):
        stats.clopper_pearson(k, n)


# ----------------------------------------------------------------------------------- nct_interval
@pytest.mark.parametrize("t, df", [(2.0, 10), (-1.3, 7), (0.0, 15), (5.5, 9), (0.4, 3), (-8.0, 30)])
@pytest.mark.parametrize("confidence", [0.95, 0.80])
def test_nct_interval_solves_defining_equations(t, df, confidence):
    lo, hi = stats.nct_interval(t, df, confidence)
    a = 1 - confidence
    # lower limit: t is the upper a/2 quantile; upper limit: t is the lower a/2 quantile
    assert st.nct.cdf(t, df, lo) == pytest.approx(1 - a / 2, abs=1e-8)
    assert st.nct.cdf(t, df, hi) == pytest.approx(a / 2, abs=1e-8)
    assert lo < t < hi or (t == 0 and lo < 0 < hi)


def test_nct_interval_symmetric_at_zero():
    lo, hi = stats.nct_interval(0.0, 12)
    assert lo == pytest.approx(-hi, rel=1e-8)


def test_nct_interval_published_reference():
    # README of "ConfidenceIntervals-Noncentral" (Steiger & Fouladi 1997 method):
    # confint.ncp.t(3.04, 314, alpha=.99) -> lower 0.4429486, upper 5.632345 (99% interval).
    lo, hi = stats.nct_interval(3.04, 314, confidence=0.99)
    assert lo == pytest.approx(0.4429486, abs=5e-7)
    assert hi == pytest.approx(5.632345, abs=5e-6)


def test_nct_interval_large_df_approaches_normal_theory():
    # For large df the noncentral t is close to N(ncp, 1 + ncp^2 / (2 df)), so the ncp interval is
    # close to t -+ z sqrt(1 + t^2/(2 df)); in the dz metric (ncp / sqrt(n)) this is the familiar
    # normal-theory interval dz -+ z sqrt(1/n + dz^2/(2n)).
    z = st.norm.ppf(0.975)
    for t, df in [(2.5, 20000), (-4.0, 50000)]:
        lo, hi = stats.nct_interval(t, df)
        half = z * math.sqrt(1 + t**2 / (2 * df))
        assert lo == pytest.approx(t - half, abs=2e-3)
        assert hi == pytest.approx(t + half, abs=2e-3)
    n, dz_true = 40000, 0.3
    x = np.random.default_rng(5).normal(dz_true, 1.0, n)
    r = stats.cohen_dz(x)
    se = math.sqrt(1 / n + r["dz"] ** 2 / (2 * n))
    assert r["ci_low"] == pytest.approx(r["dz"] - z * se, abs=2e-4)
    assert r["ci_high"] == pytest.approx(r["dz"] + z * se, abs=2e-4)


# --------------------------------------------------------------------------------------- cohen_dz
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [5, 10, 30])
def test_cohen_dz_value_and_interval(seed, n):
    x = _sample(seed, n, loc=0.6, scale=1.5)
    r = stats.cohen_dz(x)
    assert r["n"] == n
    assert r["dz"] == pytest.approx(np.mean(x) / np.std(x, ddof=1), rel=1e-12)
    t = st.ttest_1samp(x, 0.0).statistic  # t = dz * sqrt(n)
    assert st.nct.cdf(t, n - 1, r["ci_low"] * math.sqrt(n)) == pytest.approx(0.975, abs=1e-8)
    assert st.nct.cdf(t, n - 1, r["ci_high"] * math.sqrt(n)) == pytest.approx(0.025, abs=1e-8)
    assert r["ci_low"] < r["dz"] < r["ci_high"]


def test_cohen_dz_needs_two_values():
    with pytest.raises(ValueError):
        stats.cohen_dz([1.0])


def test_cohen_dz_without_spread_or_with_missing_values():
    r = stats.cohen_dz([2.0, 2.0, 2.0])  # undefined; this used to search for the interval forever
    assert r["n"] == 3 and all(np.isnan(r[k]) for k in ("dz", "ci_low", "ci_high"))
    with pytest.raises(ValueError, match="NaN"):
        stats.cohen_dz([1.0, np.nan, 2.0])


# --------------------------------------------------------------------------------------- hedges_g
def _exact_j(df):
    return special.gamma(df / 2) / (math.sqrt(df / 2) * special.gamma((df - 1) / 2))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("nx, ny", [(4, 4), (8, 10), (20, 12)])
def test_hedges_g_d_and_g(seed, nx, ny):
    x = _sample(seed, nx, loc=1.0, scale=1.2)
    y = _sample(seed + 50, ny, loc=0.2, scale=0.9)
    r = stats.hedges_g(x, y)
    sp = math.sqrt(((nx - 1) * np.var(x, ddof=1) + (ny - 1) * np.var(y, ddof=1)) / (nx + ny - 2))
    d_ref = (np.mean(x) - np.mean(y)) / sp  # pooled-SD Cohen's d, by its definition
    assert (r["n_x"], r["n_y"]) == (nx, ny)
    assert r["d"] == pytest.approx(d_ref, rel=1e-10)
    assert r["g"] == pytest.approx(_exact_j(nx + ny - 2) * d_ref, rel=1e-10)
    # sign: x minus y
    assert np.sign(r["d"]) == np.sign(np.mean(x) - np.mean(y))


def test_hedges_correction_exact_formula_and_limit():
    for df in (2, 6, 14, 18, 60):
        assert stats.hedges_correction(df) == pytest.approx(_exact_j(df), rel=1e-12)
    # the usual approximation 1 - 3/(4 df - 1) is good to < 1e-4 at df = 60
    assert stats.hedges_correction(60) == pytest.approx(1 - 3 / (4 * 60 - 1), abs=1e-4)


def _with_exact_smd(n1, n2, d, seed=11):
    """Two samples whose pooled-SD standardized mean difference is exactly d."""
    rng = np.random.default_rng(seed)
    out = []
    for n in (n1, n2):
        a = rng.normal(size=n)
        out.append((a - a.mean()) / a.std(ddof=1))
    return out[0] + d, out[1]


def test_hedges_g_interval_matches_mbess_ci_smd():
    # MBESS::ci.smd(smd = 0.3062566, n.1 = 50, n.2 = 26) printed in A. Solomon Kurz, "Example power
    # analysis report" (blog post, 2021-07-02): 95% [-0.1712149, 0.7816834], 50% [0.1412595, 0.4691839].
    x, y = _with_exact_smd(50, 26, 0.3062566)
    r = stats.hedges_g(x, y)
    assert r["d"] == pytest.approx(0.3062566, abs=1e-9)
    assert r["ci_low"] == pytest.approx(-0.1712149, abs=5e-7)
    assert r["ci_high"] == pytest.approx(0.7816834, abs=5e-7)
    r50 = stats.hedges_g(x, y, confidence=0.5)
    assert r50["ci_low"] == pytest.approx(0.1412595, abs=5e-7)
    assert r50["ci_high"] == pytest.approx(0.4691839, abs=5e-7)


@pytest.mark.parametrize("nx, ny", [(5, 5), (10, 8)])
def test_hedges_g_interval_defining_equations(nx, ny):
    x = _sample(3, nx, loc=0.8)
    y = _sample(4, ny)
    r = stats.hedges_g(x, y)
    t = st.ttest_ind(x, y, equal_var=True).statistic
    scale = math.sqrt(nx * ny / (nx + ny))
    assert st.nct.cdf(t, nx + ny - 2, r["ci_low"] * scale) == pytest.approx(0.975, abs=1e-8)
    assert st.nct.cdf(t, nx + ny - 2, r["ci_high"] * scale) == pytest.approx(0.025, abs=1e-8)


def test_hedges_g_needs_two_per_group():
    with pytest.raises(ValueError):
        stats.hedges_g([1.0], [1.0, 2.0])


def test_hedges_g_without_spread_or_with_missing_values():
    r = stats.hedges_g([1.0, 1.0], [2.0, 2.0])  # undefined; this used to search for the interval forever
    assert all(np.isnan(r[k]) for k in ("d", "g", "ci_low", "ci_high"))
    with pytest.raises(ValueError, match="NaN"):
        stats.hedges_g([1.0, np.nan, 3.0], [2.0, 2.0, 5.0])


@pytest.mark.parametrize("t, df", [(np.inf, 10), (np.nan, 10), (1.0, 0), (1.0, np.nan)])
def test_nct_interval_rejects_undefined_input(t, df):
    with pytest.raises(ValueError):
        stats.nct_interval(t, df)


# --------------------------------------------------------------------------- fisher_freeman_halton
def _brute_force_p(table):
    """Freeman-Halton p by enumerating every r x 2 table with the observed margins (independent code)."""
    rows = [a + b for a, b in table]
    events = sum(a for a, _ in table)
    n = sum(rows)

    def prob(col):
        num = 1
        for r, a in zip(rows, col):
            num *= math.comb(r, a)
        return num / math.comb(n, events)

    p_obs = prob([a for a, _ in table])
    total = 0.0
    for col in itertools.product(*[range(r + 1) for r in rows]):
        if sum(col) == events:
            p = prob(col)
            if p <= p_obs * (1 + 1e-7):
                total += p
    return total


@pytest.mark.parametrize("table", [[[0, 10], [3, 7]], [[1, 9], [1, 9]], [[5, 0], [0, 5]], [[2, 8], [7, 3]],
                                   [[0, 8], [1, 7]], [[4, 16], [0, 20]], [[3, 3], [3, 3]]])
def test_fisher_freeman_halton_2x2_equals_scipy_fisher_exact(table):
    assert stats.fisher_freeman_halton(table) == pytest.approx(
        st.fisher_exact(table, alternative="two-sided").pvalue, rel=1e-9)


@pytest.mark.parametrize("table", [[[0, 10], [0, 10], [3, 7]], [[1, 9], [0, 10], [4, 6]],
                                   [[0, 8], [0, 8], [1, 7]], [[2, 3], [0, 5], [1, 4], [3, 2]],
                                   [[1, 14], [2, 13], [6, 9]]])
def test_fisher_freeman_halton_rx2_equals_brute_force(table):
    assert stats.fisher_freeman_halton(table) == pytest.approx(_brute_force_p(table), rel=1e-9)


def test_fisher_freeman_halton_hand_value():
    # [[0, 10], [0, 10], [3, 7]]: 3 events among 30 subjects, rows of 10. P(all 3 in row 3) =
    # C(10,3)/C(30,3) = 120/4060; the tables as or less likely are the three "all in one row" ones,
    # so p = 3 * 120 / 4060.
    assert stats.fisher_freeman_halton([[0, 10], [0, 10], [3, 7]]) == pytest.approx(360 / 4060, rel=1e-12)


def test_fisher_freeman_halton_no_events_is_one():
    assert stats.fisher_freeman_halton([[0, 10], [0, 10], [0, 10]]) == 1.0
    assert stats.fisher_freeman_halton([[0, 5], [0, 15]]) == 1.0


def test_fisher_freeman_halton_rejects_non_two_column_tables():
    with pytest.raises(ValueError):
        stats.fisher_freeman_halton([[1, 2, 3], [4, 5, 6]])


# ------------------------------------------------------------------------------------ confidence
@pytest.mark.parametrize("bad", [0.0, 1.0, 95])
def test_confidence_outside_unit_interval_raises(bad):
    with pytest.raises(ValueError):
        stats.paired_t([1.0, 2.0, 3.0], confidence=bad)
