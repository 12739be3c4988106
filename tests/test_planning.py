"""msc_frailty.planning: sample size against statsmodels' power classes and the textbook, posteriors and the
predictive distribution against numerical Bayes, assurance (exact t over the predictive distribution) against
adaptive quadrature and a seeded Monte Carlo of whole trials, the validation of alpha and the prior tail, and the
named assumptions file.

Textbook value: Cohen J (1988), Statistical Power Analysis for the Behavioral Sciences, 2nd ed., Table 2.4.1:
d = 0.5, power 0.80, two-sided alpha 0.05 -> n = 64 per group.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy import stats as st
from statsmodels.stats.power import TTestIndPower

from msc_frailty import planning
from msc_frailty.data import DataError
from msc_frailty.published import load_published


# ------------------------------------------------------------------ sample size
def test_textbook_value():
    assert planning.n_per_arm(0.5, 1.0, 0.80, 0.05) == 64
    assert planning.n_per_arm(5.0, 10.0, 0.80, 0.05) == 64        # the same in other units


@pytest.mark.parametrize("delta", [17.8, 20.0, 41.0, 50.0, 63.4])
@pytest.mark.parametrize("sd", [46.2, 50.9, 70.0])
@pytest.mark.parametrize("power", [0.8, 0.9])
def test_n_per_arm_is_statsmodels_solve_power_rounded_up(delta, sd, power):
    exact = TTestIndPower().solve_power(effect_size=delta / sd, power=power, alpha=0.05, ratio=1.0,
                                        alternative="two-sided")
    n = planning.n_per_arm(delta, sd, power)
    assert n == math.ceil(exact - 1e-9)
    assert planning.power_two_sample(delta, sd, n) >= power > planning.power_two_sample(delta, sd, n - 1)


@pytest.mark.parametrize("d, n", [(0.2, 50), (0.5, 20), (0.9, 12), (1.3, 5), (0.05, 400)])
def test_power_equals_statsmodels(d, n):
    assert planning.power_two_sample(d, 1.0, n) == pytest.approx(
        TTestIndPower().power(effect_size=d, nobs1=n, alpha=0.05, ratio=1.0, alternative="two-sided"), rel=1e-10)


@pytest.mark.parametrize("d", [3.0, 2.0, 1.5, 1.2, 0.9, 0.31, 0.11])
@pytest.mark.parametrize("power", [0.5, 0.8, 0.95])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_n_per_arm_is_the_first_n_of_a_plain_scan(d, power, alpha):
    # large effects (n at the floor of 2), loose and strict alphas: the step search from the normal
    # approximation agrees with counting up from 2
    n = 2
    while planning.power_two_sample(d, 1.0, n, alpha) < power:
        n += 1
    assert planning.n_per_arm(d, 1.0, power, alpha) == n


def test_n_per_arm_refuses_a_power_outside_0_1():
    with pytest.raises(ValueError, match="power"):
        planning.n_per_arm(0.5, 1.0, 1.0)


def test_negative_difference_gives_the_same_n():
    assert planning.n_per_arm(-63.4, 70.0) == planning.n_per_arm(63.4, 70.0)


def test_enrolled_inflates_for_dropout():
    assert planning.enrolled(21, 0.0) == 21
    assert planning.enrolled(21, 0.1) == 24          # 23.33 -> 24
    assert planning.enrolled(64, 0.2) == 80          # exactly 80, not 81 by round-off
    with pytest.raises(ValueError):
        planning.enrolled(10, 1.0)


def test_sample_size_table():
    t = planning.sample_size_table({"a": 50.0}, {"s": 70.0}, powers=(0.8, 0.9), dropouts=(0.0, 0.2))
    assert list(t.n_per_arm) == [planning.n_per_arm(50, 70, 0.8), planning.n_per_arm(50, 70, 0.9)]
    assert list(t.randomized_dropout_20pct) == [planning.enrolled(n, 0.2) for n in t.n_per_arm]


# ------------------------------------------------------------------ posteriors and assurance
def test_normal_posterior_equals_numerical_bayes():
    m0, s0, est, se = 0.0, 30.4, 63.4, 21.7
    m, s = planning.normal_posterior(m0, s0, est, se)
    post = lambda t: st.norm.pdf(t, m0, s0) * st.norm.pdf(est, t, se)  # noqa: E731
    z = integrate.quad(post, -400, 400)[0]
    mean = integrate.quad(lambda t: t * post(t), -400, 400)[0] / z
    var = integrate.quad(lambda t: (t - mean) ** 2 * post(t), -400, 400)[0] / z
    assert m == pytest.approx(mean, rel=1e-8) and s == pytest.approx(math.sqrt(var), rel=1e-8)


def test_sceptical_prior_gives_five_percent_above_the_effect():
    s = planning.sceptical_sd(50.0, 0.05)
    assert planning.prob_greater(0.0, s, 50.0) == pytest.approx(0.05, rel=1e-12)


def test_power_beside_the_sample_size_is_the_same_exact_t():
    # issue 16: at 21 per arm, SD 70 m and +63.4 m the z approximation gave 0.835, the exact t 0.817
    n = planning.n_per_arm(63.4, 70.0, 0.8)
    assert n == 21
    z = st.norm.sf(st.norm.isf(0.025) - 63.4 / planning.se_new_trial(70.0, n))
    assert round(z, 3) == 0.835
    assert round(planning.power_two_sample(63.4, 70.0, n), 3) == 0.817
    assert planning.power_two_sample(63.4, 70.0, n) == pytest.approx(
        TTestIndPower().power(effect_size=63.4 / 70.0, nobs1=n, alpha=0.05, ratio=1.0), rel=1e-10)
    # the favourable region alone differs by the other tail only
    assert planning.power_two_sample(63.4, 70.0, n) - planning.power_benefit(63.4, 70.0, n) == pytest.approx(
        st.nct.cdf(-st.t.isf(0.025, 40), 40, 63.4 / planning.se_new_trial(70.0, n)), rel=1e-6)


def _assurance_by_quad(mean, sd, sd_change, n, alpha=0.05):
    """Adaptive quadrature, the power curve's rise given to quad as breakpoints."""
    df, scale = 2 * n - 2, sd_change * math.sqrt(2 / n)
    crit = st.t.isf(alpha / 2, df)
    u0, w = (crit * scale - mean) / sd, scale / sd
    edges = sorted({-10.0, 10.0, *[x for x in (u0 - 40 * w, u0 - 10 * w, u0, u0 + 10 * w, u0 + 40 * w)
                                  if -10 < x < 10]})
    f = lambda u: st.nct.sf(crit, df, (mean + sd * u) / scale) * st.norm.pdf(u)  # noqa: E731
    return sum(integrate.quad(f, a, b, epsabs=1e-15, epsrel=1e-13, limit=1000)[0]
               for a, b in zip(edges[:-1], edges[1:]))


@pytest.mark.parametrize("mean, sd, sd_change, n", [(58.3, 34.7, 70.0, 21), (42.0, 17.6, 70.0, 21),
                                                     (63.4, 30.0, 70.0, 5), (-20.0, 5.0, 70.0, 300),
                                                     (10.0, 50.0, 70.0, 1000),
                                                     (40.0, 1000.0, 46.0, 3000), (20.0, 0.5, 50.9, 160)])
def test_assurance_equals_adaptive_quadrature(mean, sd, sd_change, n):
    assert planning.assurance(mean, sd, sd_change, n) == pytest.approx(
        _assurance_by_quad(mean, sd, sd_change, n), abs=1e-10)


@pytest.mark.parametrize("mean, sd, sd_change, n", [(58.3, 34.7, 70.0, 21), (42.0, 17.6, 70.0, 21),
                                                     (63.4, 0.0, 70.0, 21), (20.0, 25.0, 50.9, 40),
                                                     (-5.0, 20.0, 70.0, 8)])
def test_assurance_equals_a_seeded_monte_carlo_of_whole_trials(mean, sd, sd_change, n):
    # draw the new trial's true benefit, then the trial: difference in means N(theta, 2 SD^2 / n) and pooled
    # variance SD^2 chi2(2n - 2) / (2n - 2); success: two-sided t-test significant with the estimate above 0
    rng = np.random.default_rng(20260411)
    draws, df = 400_000, 2 * n - 2
    theta = rng.normal(mean, sd, draws) if sd > 0 else np.full(draws, mean)
    diff = rng.normal(theta, sd_change * math.sqrt(2 / n))
    pooled = sd_change * np.sqrt(rng.chisquare(df, draws) / df)
    t = diff / (pooled * math.sqrt(2 / n))
    mc = float(np.mean(t > st.t.isf(0.025, df)))
    exact = planning.assurance(mean, sd, sd_change, n)
    assert abs(mc - exact) < 4 * math.sqrt(exact * (1 - exact) / draws) + 1e-12


def test_assurance_is_below_the_power_at_the_point_estimate():
    power = planning.power_benefit(63.4, 70.0, 21)
    assert power > 0.5
    for sd in (5.0, 20.0, 50.0):
        assert planning.assurance(63.4, sd, 70.0, 21) < power
    assert planning.assurance(63.4, 0.0, 70.0, 21) == pytest.approx(power, rel=1e-12)
    assert planning.assurance(63.4, 1e-6, 70.0, 21) == pytest.approx(power, rel=1e-9)


def test_predictive_equals_numerical_bayes():
    # mu ~ N(0, s0^2); the printed trial's effect theta_1 ~ N(mu, tau^2), its estimate ~ N(theta_1, se^2); a new
    # trial's effect theta ~ N(mu, tau^2): its predictive mean and variance by direct integration over mu
    s0, est, se, tau = 100.0, 63.4, 21.7, 20.0
    p = planning.predictive(0.0, s0, est, se, tau)
    post = lambda mu: st.norm.pdf(mu, 0, s0) * st.norm.pdf(est, mu, math.sqrt(se**2 + tau**2))  # noqa: E731
    z = integrate.quad(post, -600, 600)[0]
    mean = integrate.quad(lambda mu: mu * post(mu), -600, 600)[0] / z
    var_mu = integrate.quad(lambda mu: (mu - mean) ** 2 * post(mu), -600, 600)[0] / z
    assert p["mean"] == pytest.approx(mean, rel=1e-8) and p["sd"] == pytest.approx(math.sqrt(var_mu), rel=1e-8)
    assert p["predictive_sd"] == pytest.approx(math.sqrt(var_mu + tau**2), rel=1e-8)
    same = planning.predictive(0.0, s0, est, se, 0.0)
    assert (same["mean"], same["sd"]) == pytest.approx(planning.normal_posterior(0.0, s0, est, se))
    with pytest.raises(ValueError, match="tau"):
        planning.predictive(0.0, s0, est, se, -1.0)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.05, 1.5, float("nan"), "0.05"])
def test_alpha_outside_0_1_is_refused(alpha):
    # alpha = 0 used to raise OverflowError from an infinite critical value
    for call in (lambda: planning.n_per_arm(0.5, 1.0, 0.8, alpha),
                 lambda: planning.power_two_sample(0.5, 1.0, 20, alpha),
                 lambda: planning.assurance(50.0, 20.0, 70.0, 21, alpha=alpha),
                 lambda: planning.sample_size_table({"a": 50.0}, {"s": 70.0}, alpha=alpha)):
        with pytest.raises(ValueError, match="alpha"):
            call()


@pytest.mark.parametrize("tail", [0.5, 0.7, 0.0, -0.1, 1.0, float("nan")])
def test_a_prior_tail_outside_0_half_is_refused(tail):
    # a tail of 0.5 or more would give a zero or negative SD
    with pytest.raises(ValueError, match="tail"):
        planning.sceptical_sd(50.0, tail)


def test_other_planning_inputs_are_validated():
    with pytest.raises(ValueError, match="effect"):
        planning.sceptical_sd(-50.0)
    with pytest.raises(ValueError, match="sd"):
        planning.power_two_sample(0.5, 0.0, 20)
    with pytest.raises(ValueError, match="at least 2"):
        planning.assurance(50.0, 10.0, 70.0, 1)
    with pytest.raises(ValueError, match="sd must"):
        planning.assurance(50.0, -1.0, 70.0, 20)
    with pytest.raises(ValueError, match="difference"):
        planning.n_per_arm(0.0, 1.0)


def test_prior_sensitivity_moves_to_the_likelihood():
    t = planning.prior_sensitivity(63.4, 21.7, [50.0], [1.0, 30.0, 1e6])
    assert t.probability.is_monotonic_increasing
    assert t.probability.iloc[-1] == pytest.approx(st.norm.sf((50 - 63.4) / 21.7), rel=1e-6)


# ------------------------------------------------------------------ named assumptions
def test_shipped_assumptions_validate_and_carry_their_sources():
    a = planning.load_assumptions()
    assert a.assumption_id.is_unique
    assert set(a.kind) <= set(planning.KINDS)
    sourced = a[a.kind.isin(["literature", "record_derived"])]
    assert sourced.source_url.str.match(r"https?://").all()
    assert a.citation.str.strip().ne("").all()
    assert {"MCID_6MWD_SMALL", "MCID_6MWD_SUBSTANTIAL", "SD_CHANGE_6MWD_BASE", "SD_CHANGE_6MWD_RECORD_MIN",
            "PRIOR_SCEPTICAL_TAIL", "PRIOR_WEAK_6MWD_SD", "TAU_6MWD"} <= set(a.index)
    # the base SD of change and tau are design choices: no source prints them for these trials
    assert set(a.loc[["SD_CHANGE_6MWD_BASE", "TAU_6MWD"], "kind"]) == {"design_choice"}
    assert a.loc["SD_CHANGE_6MWD_BASE", "source_url"] == ""
    assert planning.assumption(a, "MCID_6MWD_SMALL") == 20 and planning.assumption(a, "MCID_6MWD_SUBSTANTIAL") == 50


def test_record_derived_sd_is_what_the_record_gives():
    a = planning.load_assumptions()
    bound = planning.sd_change_lower_bound()
    assert bound["n"] == 16 and bound["n_ref"] == 30 and bound["alpha"] == 0.0125
    assert planning.assumption(a, "SD_CHANGE_6MWD_RECORD_MIN") == pytest.approx(bound["sd"], abs=0.05)
    # at that SD the printed 41 m sits exactly at Hochberg's least level
    t = 41 / (bound["sd"] * math.sqrt(1 / 16 + 1 / 30))
    assert 2 * st.t.sf(t, 44) == pytest.approx(0.0125, rel=1e-9)
    assert planning.assumption(a, "SD_CHANGE_6MWD_BASE") > bound["sd"]


def test_printed_differences_come_from_the_record():
    tables = load_published()
    d9 = planning.printed_difference("P2B-6MWD-200M-9M", tables)
    assert (d9["value"], d9["printed"], d9["arm"], d9["ref_arm"], d9["n"], d9["n_ref"], d9["visit"]) == \
        (63.4, "+63.4", "200M", "Placebo", 16, 30, 9.0)
    assert planning.printed_difference("P2B-6MWD-200M-6M", tables)["value"] == 41.0


def _bad_copy(tmp_path, edit):
    path = tmp_path / "assumptions.csv"
    shutil.copy(planning.ASSUMPTIONS, path)
    edit(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    return path


def _cell(column, row, value):
    def edit(df):
        df.loc[row, column] = df.loc[0, column] if value is None else value
        return df
    return edit


@pytest.mark.parametrize("edit, column", [
    (_cell("kind", 1, "guess"), "kind"),
    (_cell("value", 2, "about 20"), "value"),
    (_cell("assumption_id", 3, None), "assumption_id"),       # a duplicate of the first
    (_cell("source_url", 0, ""), "source_url"),               # a literature row without its source
    (_cell("citation", 5, ""), "citation"),
])
def test_bad_assumptions_are_refused_naming_the_column_and_line(tmp_path, edit, column):
    path = _bad_copy(tmp_path, edit)
    with pytest.raises(DataError) as err:
        planning.load_assumptions(path)
    assert err.value.column == column and err.value.rows


def test_missing_column_is_refused(tmp_path):
    path = _bad_copy(tmp_path, lambda d: d.drop(columns="citation"))
    with pytest.raises(DataError, match="citation"):
        planning.load_assumptions(path)
