"""Reanalysis of what the trials actually published (rows with ``basis = "published"``).

The public record is thin: arm sizes, p-values, a few differences and zero-event statements. From
those this module derives the strongest honest quantities it supports:

- implied standardized effects from a printed p and n, with exact noncentral-t intervals
  (:func:`implied_dz` within an arm, :func:`implied_g` between arms); a printed inequality gives a
  bound, and the row says so in ``bound``;
- exact (Clopper-Pearson) bounds for zero events, per arm and pooled, and the sample sizes needed to
  see an SAE of a given rate;
- the dose question estimated as a difference (Gelman & Stern 2006), not read off "significant in one
  arm, not in the other"; a difference of within-arm dz carries the small-sample correction and the exact
  variance that holds at n = 5 (:func:`difference_smc`).

Every function is pure; :func:`published_estimates` turns ``data/published/claims.csv`` into rows of
``estimates.csv``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as st

from . import stats
from .stats import smc_corrected, var_smc_exact
from .analysis import ESTIMATE_COLUMNS
from .data import PARAMETERS
from .published import load_published, parse_p
from .results import ONE_SIDED

FINDING_OF = {"SIXMWD": "physical_performance", "SPPB": "physical_performance", "FEV1": "physical_performance",
              "SF36PCS": "physical_performance", "SQOLF": "physical_performance", "TNFA": "inflammation",
              "BCTNFA": "inflammation", "TESAE30": "safety", "SAE": "safety", "DEATH": "safety"}
STUDIES = ("CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B")

#: "Not significant after Hochberg adjustment" of four doses: the least an adjusted non-rejection
#: says of any one raw p is p > alpha / 4 (the smallest p must exceed alpha / m).
HOCHBERG_NOT_SIGNIFICANT_ALPHA = 0.05 / 4


#: Parameters whose test n is not printed: SQOL-F is answered by women only, and how many women each
#: arm had is not public, so no effect size can be implied from its p.
N_NOT_PRINTED = {"SQOLF"}


def _t_of_p(p: float, df: float) -> float:
    return float(st.t.isf(p / 2, df))


def implied_dz(p_printed: str, n: int, sign: int = 1, confidence: float = 0.95, alpha: float = 0.05) -> dict:
    """Standardized mean change dz implied by a printed paired-t p-value and n.

    Inverts the paired t-test: ``t = t_{1 - p/2, n-1}``, ``dz = t / sqrt(n)``, with the exact interval
    from inverting the noncentral t (:func:`msc_frailty.stats.nct_interval`).

    Parameters
    ----------
    p_printed : str
        As printed: ``"p = .002"``, ``"p < .0001"``, ``"significant"``, ``"not significant"``.
    n : int
        Subjects in the test.
    sign : {1, -1}
        Direction of the change as printed (-1 for a decrease).
    confidence : float
        Coverage of the interval.
    alpha : float
        The level a bare "significant" / "not significant" refers to.

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high``, ``bound`` and ``t``. For an exact p, ``bound`` is empty.
        For ``p < x`` (or "significant") a one-sided bound: |dz| is at least |``estimate``| and the
        interval is the one at the boundary, open on the far side: ``bound = "lower"`` (dz >= estimate,
        ``ci_high`` infinite) for an increase, ``"upper"`` (dz <= estimate, ``ci_low`` infinite) for a decrease. For "not significant",
        ``bound = "range"``: only |dz| < the critical value is known; ``estimate`` is NaN and the
        interval is the widest consistent with the record.

    References
    ----------
    Steiger JH, Fouladi RT (1997). Noncentrality interval estimation. In: What if there were no
    significance tests?

    Examples
    --------
    >>> r = implied_dz("p = .002", 10)
    >>> round(r["estimate"], 3)
    1.359
    """
    return _implied(parse_p(p_printed, alpha=alpha), n - 1, math.sqrt(n), sign, confidence)


def implied_g(p_printed: str, n1: int, n2: int, sign: int = 1, confidence: float = 0.95,
              alpha: float = 0.05) -> dict:
    """Hedges' g between two independent arms implied by a printed two-sample p and the arm sizes.

    Assumes a two-sample t-test with n1 + n2 - 2 degrees of freedom (the papers' exact tests are not
    public; an ANCOVA would lose one more degree of freedom). ``d = t * sqrt(1/n1 + 1/n2)``,
    ``g = J(df) * d``; the interval is the exact one of delta (noncentral t), as in
    :func:`msc_frailty.stats.hedges_g`.

    Examples
    --------
    >>> r = implied_g("p = .003", 10, 10)
    >>> round(r["estimate"], 3)
    1.468
    """
    df = n1 + n2 - 2
    out = _implied(parse_p(p_printed, alpha=alpha), df, 1 / math.sqrt(1 / n1 + 1 / n2), sign, confidence)
    if not np.isnan(out["estimate"]):
        out["estimate"] *= stats.hedges_correction(df)
    return out


def _implied(p: dict, df: float, scale: float, sign: int, confidence: float) -> dict:
    """Common inversion: effect = t / scale with an exact noncentral-t interval."""
    if p["kind"] == "none":
        raise ValueError("no p-value printed")
    t = _t_of_p(p["value"], df)
    lo, hi = stats.nct_interval(t, df, confidence)
    if p["kind"] == "exact":
        est, lo, hi, bound = t / scale, lo / scale, hi / scale, ""
    elif p["kind"] == "upper_bound":           # p < x: |t| > t_x, so |effect| > t_x / scale
        est, lo, hi, bound = t / scale, lo / scale, np.inf, "lower"
    else:                                      # p > x: |t| < t_x
        neg_lo = stats.nct_interval(-t, df, confidence)[0]
        return {"estimate": np.nan, "ci_low": neg_lo / scale, "ci_high": hi / scale, "bound": "range",
                "t": t, "limit": t / scale}
    if sign < 0:
        est, lo, hi = -est, -hi, -lo
        bound = {"lower": "upper"}.get(bound, bound)   # a decrease: the effect is at most -|bound|
    return {"estimate": est, "ci_low": lo, "ci_high": hi, "bound": bound, "t": t, "limit": t / scale}


def zero_event_upper(n: int, confidence: float = 0.95) -> float:
    """Exact two-sided upper limit for 0 events in n: 1 - ((1 - confidence) / 2) ** (1 / n).

    Examples
    --------
    >>> round(zero_event_upper(10), 4)
    0.3085
    """
    return stats.clopper_pearson(0, n, confidence)[1]


def n_to_observe_event(rate: float, probability: float = 0.95) -> int:
    """Smallest n with at least ``probability`` of seeing one or more events at true ``rate``.

    Examples
    --------
    >>> n_to_observe_event(0.05)
    59
    """
    return int(math.ceil(math.log(1 - probability) / math.log(1 - rate)))


def n_to_exclude_rate(rate: float, confidence: float = 0.95) -> int:
    """Smallest n for which 0 events puts the exact two-sided upper limit below ``rate``.

    Examples
    --------
    >>> n_to_exclude_rate(0.10)
    36
    """
    alpha = 1 - confidence
    return int(math.floor(math.log(alpha / 2) / math.log(1 - rate))) + 1


def difference_shared_control(g1: float, g2: float, n1: int, n2: int, n_control: int,
                              confidence: float = 0.95) -> dict:
    """Difference of two standardized effects that share one control arm (g1 - g2), with a normal interval.

    Var(g_i) = 1/n_i + 1/n_c + g_i^2 / (2 (n_i + n_c)); Cov(g_1, g_2) = 1/n_c + g_1 g_2 / (2 N), N the total
    (Gleser & Olkin 2009, multiple-treatment studies). The shared placebo makes the two effects
    positively correlated, so the difference is estimated more precisely than if they were independent.

    References
    ----------
    Gleser LJ, Olkin I (2009). Stochastically dependent effect sizes. The Handbook of Research
    Synthesis and Meta-Analysis, 2nd ed.
    """
    z = st.norm.isf(stats.check_confidence(confidence) / 2)
    big_n = n1 + n2 + n_control
    v1 = 1 / n1 + 1 / n_control + g1**2 / (2 * (n1 + n_control))
    v2 = 1 / n2 + 1 / n_control + g2**2 / (2 * (n2 + n_control))
    cov = 1 / n_control + g1 * g2 / (2 * big_n)
    se = math.sqrt(v1 + v2 - 2 * cov)
    d = g1 - g2
    return {"estimate": d, "ci_low": d - z * se, "ci_high": d + z * se, "se": se,
            "p_value": float(2 * st.norm.sf(abs(d) / se))}


def difference_smc(dz1: float, dz2: float, n1: int, n2: int, confidence: float = 0.95) -> dict:
    """Difference of two within-arm standardized mean changes from independent arms, each small-sample corrected,
    with the exact variance that holds at n = 5 and a normal interval.

    Each arm's dz (uncorrected, as the record implies it: :func:`implied_dz`) becomes ``g = J(n - 1) dz``
    (:func:`msc_frailty.stats.smc_corrected`, metafor's ``escalc(measure="SMCC")``), with the exact variance of
    that corrected estimator under the noncentral t at delta = g (:func:`msc_frailty.stats.var_smc_exact`); the
    large-sample variance 1/n + g^2 / 2n is several times too small at n = 5. The difference is ``g1 - g2``
    with ``se = sqrt(Var g1 + Var g2)``.

    When the two inputs are identical (the same printed p and n: the difference is 0 by construction, not an
    estimate of no difference) ``p_value`` is NaN and ``identical`` True: a z of exactly 0 (p = 1) would read as
    a test result. The interval stays: it says how far apart two arms with these printed results could be.

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high``, ``se``, ``p_value`` (NaN for identical inputs), ``identical``.

    Examples
    --------
    >>> r = difference_smc(-6.951533, -6.951533, 5, 5)     # CRATUS-P1 serum TNF-alpha: both arms p = .0001
    >>> round(r["ci_high"], 2), bool(np.isnan(r["p_value"]))
    (8.16, True)
    """

    z = st.norm.isf(stats.check_confidence(confidence) / 2)
    g1, g2 = smc_corrected(dz1, n1), smc_corrected(dz2, n2)
    se = math.sqrt(var_smc_exact(g1, n1) + var_smc_exact(g2, n2))
    d = g1 - g2
    identical = bool(dz1 == dz2 and n1 == n2)
    return {"estimate": d, "ci_low": float(d - z * se), "ci_high": float(d + z * se), "se": se, "identical": identical,
            "p_value": np.nan if identical else float(2 * st.norm.sf(abs(d) / se))}


def difference_smc_range(dz1: float, n1: int, limit2: float, n2: int, confidence: float = 0.95) -> dict:
    """:func:`difference_smc` when the second arm printed only "not significant": its dz is only known to lie
    within +-``limit2`` (:func:`implied_dz`'s ``limit``). The widest interval of ``g1 - g2`` over every value the
    record allows (``bound = "range"``, no estimate): its ends are reached at the two ends of the range."""
    stats.check_confidence(confidence)
    if not (np.isfinite(limit2) and limit2 > 0):
        raise ValueError(f"limit2 must be a finite |dz| bound > 0, got {limit2!r}")
    ends = []
    for dz2 in (-limit2, limit2):
        r = difference_smc(dz1, dz2, n1, n2, confidence)
        ends += [r["ci_low"], r["ci_high"]]
    return {"estimate": np.nan, "ci_low": min(ends), "ci_high": max(ends), "bound": "range"}


def p_rounding_range(p_printed: str) -> tuple[float, float]:
    """The p-values that round to a printed exact p at its printed decimals: ``[p - h, p + h)`` with h half a
    unit in the last printed place.

    Examples
    --------
    >>> p_rounding_range("p = .0001")
    (5e-05, 0.00015)
    """
    p = parse_p(p_printed)
    if p["kind"] != "exact" or p["decimals"] is None:
        raise ValueError(f"only an exact printed p has a rounding range, got {p_printed!r}")
    half = 0.5 * 10.0 ** -p["decimals"]
    return float(round(p["value"] - half, p["decimals"] + 1)), float(round(p["value"] + half, p["decimals"] + 1))


def implied_dz_rounding(p_printed: str, n: int) -> tuple[float, float]:
    """The |dz| implied by every p that rounds to the printed one (:func:`p_rounding_range`) with n subjects:
    (least, greatest). At n = 5 a printed p = .0001 covers |dz| from about 6.3 to 8.3.

    Examples
    --------
    >>> lo, hi = implied_dz_rounding("p = .0001", 5)
    >>> round(lo, 2), round(hi, 2)
    (6.27, 8.28)
    """
    n = stats.check_n(n)
    lo, hi = p_rounding_range(p_printed)
    return (float(st.t.isf(hi / 2, n - 1) / math.sqrt(n)), float(st.t.isf(lo / 2, n - 1) / math.sqrt(n)))


# --- rows from the published record -----------------------------------------------------------

def arm_sizes(tables) -> dict:
    """{(trial, arm): n} from arms.csv (the printed arm sizes)."""
    arms = tables["arms"]
    out = {}
    for r in arms.itertuples():
        digits = "".join(ch for ch in r.n_printed if ch.isdigit())
        if digits and r.arm:
            out[(r.trial, r.arm)] = int(digits)
    return out


def change_sign(direction: str, paramcd: str) -> int:
    """+1 or -1: the raw direction of a printed change ("decreased", or "improved" on a lower-is-better scale)."""
    if direction == "decreased":
        return -1
    if direction == "improved" and not PARAMETERS.get(paramcd, {}).get("higher_is_better", True):
        return -1
    return 1


def _n_of(sizes, trial, arm):
    if arm == "all":
        return sum(n for (t, a), n in sizes.items() if t == trial and a not in ("all", "Placebo"))
    return sizes.get((trial, arm))


def _row(finding, study, paramcd, visit, comparison, arm, ref_arm, n, n_ref, r, method, p=np.nan):
    return [finding, study, paramcd, visit, comparison, arm, ref_arm, n, n_ref, r["estimate"], r["ci_low"],
            r["ci_high"], p, method, "published", r.get("bound", "")]


def published_effects(tables=None, confidence: float = 0.95) -> pd.DataFrame:
    """Implied dz / g for every printed p-value of the three trials whose arms and n are known.

    Within-arm claims (``change_from_baseline``) give ``implied_dz`` rows, between-arm claims
    (``vs_placebo``) ``implied_g`` rows; the printed p goes in ``p_value`` when exact. LOMECEL-P2B's
    "not significant after Hochberg" is read at alpha / 4 (:data:`HOCHBERG_NOT_SIGNIFICANT_ALPHA`).
    Printed differences without a spread (+63.4 m) become ``reported_difference`` rows with no
    interval.
    """
    tables = tables or load_published()
    claims, sizes = tables["claims"], arm_sizes(tables)
    rows = []
    for c in claims.itertuples():
        if c.trial not in STUDIES or c.paramcd not in FINDING_OF or c.paramcd in N_NOT_PRINTED:
            continue
        finding, visit = FINDING_OF[c.paramcd], float(c.visit) if c.visit else np.nan
        if c.statistic == "p" and c.comparison == "change_from_baseline":
            n = _n_of(sizes, c.trial, c.arm)
            r = implied_dz(c.value_printed, n, change_sign(c.direction, c.paramcd), confidence)
            p = parse_p(c.value_printed)
            rows.append(_row(finding, c.trial, c.paramcd, visit, "change_from_baseline", c.arm, "", n, np.nan, r,
                             "implied_dz", p["value"] if p["kind"] == "exact" else np.nan))
        elif c.comparison == "change_from_baseline" and c.direction == "not_improved":
            # "not in the 200M- or placebo groups": read as not significant at .05, a range of dz
            n = _n_of(sizes, c.trial, c.arm)
            r = implied_dz("not significant", n, 1, confidence)
            rows.append(_row(finding, c.trial, c.paramcd, visit, "change_from_baseline", c.arm, "", n, np.nan, r,
                             "implied_dz"))
        elif c.statistic == "p" and c.comparison == "vs_placebo":
            n1, n2 = _n_of(sizes, c.trial, c.arm), _n_of(sizes, c.trial, c.ref_arm)
            alpha = HOCHBERG_NOT_SIGNIFICANT_ALPHA if "Hochberg" in (c.quote + c.notes) else 0.05
            r = implied_g(c.value_printed, n1, n2, change_sign(c.direction, c.paramcd), confidence, alpha=alpha)
            p = parse_p(c.value_printed)
            rows.append(_row(finding, c.trial, c.paramcd, visit, "vs_placebo", c.arm, c.ref_arm, n1, n2, r,
                             "implied_g", p["value"] if p["kind"] == "exact" else np.nan))
        elif c.statistic == "difference" and c.comparison == "vs_placebo":
            value = float("".join(ch for ch in c.value_printed if ch.isdigit() or ch in ".-"))
            r = {"estimate": value, "ci_low": np.nan, "ci_high": np.nan, "bound": ""}
            rows.append(_row(finding, c.trial, c.paramcd, visit, "vs_placebo", c.arm, c.ref_arm,
                             _n_of(sizes, c.trial, c.arm), _n_of(sizes, c.trial, c.ref_arm), r,
                             "reported_difference"))
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)


def published_safety(tables=None, confidence: float = 0.95) -> pd.DataFrame:
    """Exact intervals for the printed zero-event statements and the CRATUS-P1 death.

    Per arm and pooled over the active arms (arm ``All active``) and over all arms (``All``):
    CRATUS-P1 and CRATUS-P2 no TE-SAE at 1 month (TESAE30; CRATUS-P2 prints "therapy-related", read as
    all TE-SAE); LOMECEL-P2B "no serious adverse events" (SAE, whole follow-up); CRATUS-P1 one death of
    5 in 200M and of 15 overall (DEATH).
    """
    tables = tables or load_published()
    sizes = arm_sizes(tables)
    rows = []
    for trial, param in (("CRATUS-P1", "TESAE30"), ("CRATUS-P2", "TESAE30"), ("LOMECEL-P2B", "SAE")):
        arms = [(a, n) for (t, a), n in sizes.items() if t == trial and a != "all"]
        groups = arms + [("All active", sum(n for a, n in arms if a != "Placebo"))]
        if any(a == "Placebo" for a, _ in arms):
            groups.append(("All", sum(n for _, n in arms)))
        for arm, n in groups:
            lo, hi = stats.clopper_pearson(0, n, confidence)
            rows.append(["safety", trial, param, np.nan, "proportion", arm, "", n, np.nan, 0.0, lo, hi, np.nan,
                         "clopper_pearson", "published", ""])
    for arm, n, k in (("200M", sizes[("CRATUS-P1", "200M")], 1),
                      ("All", sum(n for (t, a), n in sizes.items() if t == "CRATUS-P1" and a != "all"), 1)):
        lo, hi = stats.clopper_pearson(k, n, confidence)
        rows.append(["safety", "CRATUS-P1", "DEATH", np.nan, "proportion", arm, "", n, np.nan, k / n, lo, hi,
                     np.nan, "clopper_pearson", "published", ""])
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)


def sample_size_table(rates=(0.01, 0.02, 0.05, 0.10, 0.20), confidence: float = 0.95) -> pd.DataFrame:
    """For each true SAE rate: n to see at least one event with 95% probability, and n for which zero
    events would exclude the rate (exact upper limit below it)."""
    return pd.DataFrame({"rate": list(rates),
                         "n_to_observe_one_event": [n_to_observe_event(r, confidence) for r in rates],
                         "n_to_exclude_rate_with_zero_events": [n_to_exclude_rate(r, confidence) for r in rates]})


#: Method of the dose rows that are differences of two arms' within-arm standardized changes: each arm's implied
#: dz small-sample corrected, with its exact variance (:func:`difference_smc`).
DZ_DIFFERENCE_METHOD = "implied_dz_difference_corrected"
#: A column of the rows of :func:`published_dose` and :func:`published_estimates` beyond the contract's: True where a
#: difference is 0 by construction (two arms that printed the same p with the same n, :func:`difference_smc`'s
#: ``identical``), not an estimate of no difference; False elsewhere. It is not a ``bound`` (the 0 is exact, not a
#: bound of the effect's size) and it is not written: :func:`msc_frailty.results.check_estimates` keeps the contract's
#: columns only, so ``estimates.csv`` carries the fact as an empty p beside the estimate 0.
BY_CONSTRUCTION = "by_construction"


def published_dose(tables=None, confidence: float = 0.95, effects: pd.DataFrame | None = None) -> pd.DataFrame:
    """The dose question on the published record, as differences with intervals (Gelman & Stern 2006).

    - CRATUS-P2 B-cell TNF-alpha: g(100M vs placebo) - g(200M vs placebo), shared placebo
      (:func:`difference_shared_control`, large-sample variances with the covariance of the shared placebo);
      method ``implied_g_difference``; negative favours 100M (lower is better).
    - CRATUS-P2 6MWD, SPPB, FEV1 at 6 months: corrected dz(100M) from "p = .01" minus corrected dz(200M), of
      which only "not significant" is printed: a ``range`` row, the widest interval consistent with the record
      (:func:`difference_smc_range`).
    - CRATUS-P1 TNF-alpha: corrected dz(100M) - corrected dz(200M), independent arms of 5 (:func:`difference_smc`).
      Both arms printed the same p with the same n, so the difference is 0 by construction: its p is left empty
      (a test of a difference built to be 0 is no test).

    The dz differences (method :data:`DZ_DIFFERENCE_METHOD`) take each arm's implied dz with the small-sample
    correction J(n - 1) and the exact noncentral-t variance of the corrected estimator (which holds at n = 5), and
    a normal interval; the evidence synthesis draws these same rows. ``effects`` are the rows of
    :func:`published_effects` when the caller has them already.

    Rows have finding ``dose_comparison``, comparison ``vs_arm``, arm = lower dose, ref_arm = higher, and the
    columns of ``estimates.csv`` plus :data:`BY_CONSTRUCTION` (True for the CRATUS-P1 difference).
    """
    tables = tables or load_published()
    eff = published_effects(tables, confidence) if effects is None else effects
    sizes = arm_sizes(tables)
    rows = []

    def pick(study, param, comparison, arm):
        sel = eff[(eff.study == study) & (eff.paramcd == param) & (eff.comparison == comparison) & (eff.arm == arm)]
        return sel.iloc[0] if len(sel) else None

    g1, g2 = pick("CRATUS-P2", "BCTNFA", "vs_placebo", "100M"), pick("CRATUS-P2", "BCTNFA", "vs_placebo", "200M")
    if g1 is not None and g2 is not None:
        r = difference_shared_control(g1.estimate, g2.estimate, int(g1.n), int(g2.n), int(g1.n_ref), confidence)
        rows.append(_row("dose_comparison", "CRATUS-P2", "BCTNFA", 6.0, "vs_arm", "100M", "200M", g1.n, g2.n,
                         r, "implied_g_difference", r["p_value"]) + [False])
    for param in ("SIXMWD", "SPPB", "FEV1"):
        d1 = pick("CRATUS-P2", param, "change_from_baseline", "100M")
        if d1 is None:
            continue
        n2 = sizes[("CRATUS-P2", "200M")]
        limit = implied_dz("not significant", n2)["limit"]     # |dz(200M)| < limit
        r = difference_smc_range(d1.estimate, int(d1.n), limit, n2, confidence)
        rows.append(_row("dose_comparison", "CRATUS-P2", param, 6.0, "vs_arm", "100M", "200M", d1.n, n2, r,
                         DZ_DIFFERENCE_METHOD) + [False])
    a, b = pick("CRATUS-P1", "TNFA", "change_from_baseline", "100M"), pick("CRATUS-P1", "TNFA",
                                                                           "change_from_baseline", "200M")
    if a is not None and b is not None and not (a.bound or b.bound):
        r = difference_smc(a.estimate, b.estimate, int(a.n), int(b.n), confidence)
        rows.append(_row("dose_comparison", "CRATUS-P1", "TNFA", 6.0, "vs_arm", "100M", "200M", a.n, b.n, r,
                         DZ_DIFFERENCE_METHOD, r["p_value"]) + [r["identical"]])
    return pd.DataFrame(rows, columns=[*ESTIMATE_COLUMNS, BY_CONSTRUCTION])


def published_lines(rows: pd.DataFrame) -> list[str]:
    """The rows of :func:`published_estimates` in words, one line each, as the finding notebooks print them: an
    estimate with its interval; "only a range" for a printed "not significant"; "at least" for a p printed as an
    inequality; a printed difference without a spread as printed; a difference that is 0 by construction
    (:data:`BY_CONSTRUCTION`) said to be one.

    Examples
    --------
    >>> rows = published_estimates("dose_comparison", "CRATUS-P1")
    >>> published_lines(rows)[0]
    'TNFA, 100M vs 200M, month 6 (implied_dz_difference_corrected, n = 5): 0 by construction [-8.16, 8.16] (both arms printed the same p with the same n: no p)'
    """
    lines = []
    for r in rows.itertuples():
        visit = f", month {r.visit:g}" if r.visit == r.visit else ""
        vs = f" vs {r.ref_arm}" if r.ref_arm else ""
        if r.bound == "range":
            value = f"only a range: 95% interval at most [{r.ci_low:.2f}, {r.ci_high:.2f}]"
        elif r.bound in ONE_SIDED:
            value = f"|effect| at least {abs(r.estimate):.2f} (the printed p is an inequality)"
        elif getattr(r, BY_CONSTRUCTION, False):
            value = (f"0 by construction [{r.ci_low:.2f}, {r.ci_high:.2f}] (both arms printed the same p with the same "
                     "n: no p)")
        elif r.ci_low != r.ci_low:
            value = f"{r.estimate:g} as printed; no interval can be derived"
        else:
            value = f"{r.estimate:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]"
        lines.append(f"{r.paramcd}, {r.arm}{vs}{visit} ({r.method}, n = {r.n:g}): {value}")
    return lines


def published_estimates(finding: str | None = None, study: str | None = None, tables=None) -> pd.DataFrame:
    """Every published-basis row (effects, safety, dose), optionally for one finding and study: the columns of
    ``estimates.csv`` plus :data:`BY_CONSTRUCTION` (False but for a dose difference that is 0 by construction)."""
    tables = tables or load_published()
    effects = published_effects(tables)
    rows = pd.concat([effects, published_safety(tables), published_dose(tables, effects=effects)],
                     ignore_index=True)
    rows[BY_CONSTRUCTION] = rows[BY_CONSTRUCTION].eq(True)
    if finding is not None:
        rows = rows[rows.finding == finding]
    if study is not None:
        rows = rows[rows.study == study]
    return rows.reset_index(drop=True)
