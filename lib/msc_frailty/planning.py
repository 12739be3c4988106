"""Planning the next trial from the printed record: sample size, normal-normal posteriors, assurance (issues 10, 16).

Everything here is closed form, exact or a one-dimensional quadrature:

- :func:`n_per_arm`: the smallest n per arm of a two-arm trial whose two-sided two-sample t-test on change
  reaches the power asked for, by the exact noncentral t (the same computation as statsmodels'
  ``TTestIndPower``, against which ``tests/test_planning.py`` checks it, with Cohen's textbook d = 0.5 ->
  64 per group); :func:`enrolled` inflates it for dropout.
- :func:`normal_posterior`: prior N(m0, s0^2) and an estimate with standard error se give the posterior
  N(m1, s1^2) with 1/s1^2 = 1/s0^2 + 1/se^2 and m1 = s1^2 (m0/s0^2 + est/se^2).
- :func:`predictive`: the posterior predictive distribution of a *new* trial's true effect when trials differ
  by a between-trial SD tau (a hierarchical normal model: the printed estimate of one trial informs the mean
  effect mu through a likelihood of variance se^2 + tau^2, and the new trial's effect is N(mu, tau^2)).
- :func:`assurance`: the probability that a new trial succeeds (its two-sided two-sample t-test at alpha is
  significant with the estimate in the favourable direction), averaged over a normal distribution of its
  true effect (O'Hagan, Stevens & Campbell 2005): the exact noncentral-t power of the same test as
  :func:`n_per_arm`, integrated numerically over the predictive distribution. It is below the power at the
  point estimate whenever that power exceeds one half: uncertainty about the effect costs probability of
  success.

Every number that is not printed in the trials' record is a named assumption in
``data/published/assumptions/assumptions.csv`` (:func:`load_assumptions`), each with its kind (``literature``,
``record_derived``, ``design_choice``), its source and where it is used.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from scipy import stats as st

from . import paths
from .data import DataError
from .published import load_published, parse_p
from .stats import check_alpha

ASSUMPTIONS = paths.DATA / "published" / "assumptions" / "assumptions.csv"
ASSUMPTION_COLUMNS = ["assumption_id", "kind", "quantity", "value", "unit", "used_in", "statement", "citation",
                      "source_url", "verified_at", "notes"]
KINDS = {
    "literature": "a number printed in a cited publication (not about these trials)",
    "record_derived": "computed from the trials' printed record by the rule stated",
    "design_choice": "a choice of this collection, with its reason; no source prints the number",
}


def _check_positive(value: float, name: str) -> float:
    if not (isinstance(value, (int, float, np.floating, np.integer)) and np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_n(n: float, name: str = "n") -> float:
    if not (isinstance(n, (int, float, np.floating, np.integer)) and np.isfinite(n) and n >= 2):
        raise ValueError(f"{name} must be at least 2 subjects, got {n!r}")
    return float(n)


# --- named assumptions ------------------------------------------------------------------------------

def load_assumptions(path=ASSUMPTIONS) -> pd.DataFrame:
    """Read and validate the named assumptions: one row each, a numeric value, a kind, a source where one exists.

    Raises
    ------
    DataError
        Naming the file, the column and the CSV lines (header = line 1) for a missing column, an empty or
        duplicated ``assumption_id``, an unknown ``kind``, a non-numeric ``value``, a ``literature`` or
        ``record_derived`` row without an http(s) ``source_url``, or a row without ``citation``.
    """
    path = paths.resolve(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in ASSUMPTION_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(path, f"required column(s) missing: {', '.join(missing)}", column=missing[0])

    def fail(column, bad, message):
        if bad.any():
            raise DataError(path, message, column=column, rows=[int(i) + 2 for i in df.index[bad]])

    ids = df.assumption_id.str.strip()
    fail("assumption_id", ids.eq(""), "empty assumption_id")
    fail("assumption_id", ids.duplicated(keep=False), "duplicated assumption_id")
    fail("kind", ~df.kind.isin(KINDS), f"kind must be one of {sorted(KINDS)}")
    fail("value", pd.to_numeric(df.value, errors="coerce").isna(), "value must be a number")
    sourced = df.kind.isin(["literature", "record_derived"])
    fail("source_url", sourced & ~df.source_url.str.match(r"https?://"),
         "a literature or record_derived assumption needs an http(s) source_url")
    fail("citation", df.citation.str.strip().eq(""), "every assumption needs a citation or reason")
    return df.assign(value=pd.to_numeric(df.value)).set_index("assumption_id", drop=False)


def assumption(table: pd.DataFrame, name: str) -> float:
    """The value of one named assumption."""
    return float(table.loc[name, "value"])


# --- printed numbers the planning rests on -----------------------------------------------------------

def printed_number(text: str) -> float:
    """The number in a printed value: ``"+63.4"`` -> 63.4, ``"about 41"`` -> 41.0.

    Examples
    --------
    >>> printed_number("+63.4"), printed_number("about 41")
    (63.4, 41.0)
    """
    m = re.search(r"[+-]?\d*\.?\d+", text or "")
    if m is None:
        raise ValueError(f"no number in {text!r}")
    return float(m.group(0))


def printed_difference(claim_id: str, tables=None) -> dict:
    """A printed between-arm difference (LOMECEL-P2B 200M vs placebo) with its arms, their printed sizes and
    its source: ``{"value", "printed", "arm", "ref_arm", "n", "n_ref", "visit", "source_url"}``."""
    from .reanalysis import arm_sizes

    tables = tables or load_published()
    c = tables["claims"].set_index("claim_id").loc[claim_id]
    sizes = arm_sizes(tables)
    return {"value": printed_number(c.value_printed), "printed": c.value_printed, "arm": c.arm,
            "ref_arm": c.ref_arm, "n": sizes[(c.trial, c.arm)], "n_ref": sizes[(c.trial, c.ref_arm)],
            "visit": float(c.visit), "source_url": c.source_url, "trial": c.trial}


def sd_change_lower_bound(tables=None) -> dict:
    """The least SD of 6MWD change consistent with LOMECEL-P2B's printed 6-month result.

    200M vs placebo was "about 41" m at 6 months (2026 coverage) and not significant after Hochberg adjustment
    of the four dose comparisons (2021 topline), so its own p exceeded 0.05 / 4
    (:data:`msc_frailty.reanalysis.HOCHBERG_NOT_SIGNIFICANT_ALPHA`). Read as a two-sample t-test on change with
    the printed arm sizes (16 and 30, all analysed), ``|t| = 41 / (SD sqrt(1/16 + 1/30)) < t_{1 - alpha/2, 44}``
    gives ``SD > 41 / (t sqrt(1/16 + 1/30))``. The two sources may describe different analyses (topline 2021,
    paper 2026), and "about 41" is rounded: the bound is approximate.
    """
    from .reanalysis import HOCHBERG_NOT_SIGNIFICANT_ALPHA

    tables = tables or load_published()
    diff = printed_difference("P2B-6MWD-200M-6M", tables)
    ns = tables["claims"].set_index("claim_id").loc["P2B-6MWD-200M-VS-PBO-6M"]
    assert parse_p(ns.value_printed)["kind"] == "lower_bound"
    df = diff["n"] + diff["n_ref"] - 2
    t = float(st.t.isf(HOCHBERG_NOT_SIGNIFICANT_ALPHA / 2, df))
    factor = math.sqrt(1 / diff["n"] + 1 / diff["n_ref"])
    return {"sd": diff["value"] / (t * factor), "difference": diff["value"], "t": t, "df": df,
            "alpha": HOCHBERG_NOT_SIGNIFICANT_ALPHA, "n": diff["n"], "n_ref": diff["n_ref"]}


# --- sample size -------------------------------------------------------------------------------------

def power_two_sample(delta: float, sd: float, n: float, alpha: float = 0.05, n_ref: float | None = None) -> float:
    """Exact power of a two-sided two-sample t-test with n (and n_ref, default n) per arm for a true difference
    delta and SD sd.

    Both rejection regions count (as in statsmodels' ``TTestIndPower``): the noncentral t with df = n + n_ref - 2
    and noncentrality ``delta / (sd sqrt(1/n + 1/n_ref))``.

    Examples
    --------
    >>> round(power_two_sample(0.5, 1.0, 64), 4)
    0.8015
    """
    df, crit, nc = _t_test_design(delta, sd, n, alpha, n_ref)
    return float(st.nct.sf(crit, df, nc) + st.nct.cdf(-crit, df, nc))


def _t_test_design(delta, sd, n, alpha, n_ref):
    """Degrees of freedom, two-sided critical value and noncentrality of the two-sample t-test (inputs checked)."""
    alpha = check_alpha(alpha)
    sd, n = _check_positive(sd, "sd"), _check_n(n)
    n_ref = n if n_ref is None else _check_n(n_ref, "n_ref")
    df = n + n_ref - 2
    return df, st.t.isf(alpha / 2, df), delta / se_new_trial(sd, n, n_ref)


def power_benefit(delta: float, sd: float, n: float, alpha: float = 0.05, n_ref: float | None = None) -> float:
    """Probability that the two-sided two-sample t-test at alpha is significant *and* favours the active arm
    (estimate above 0), for a true difference delta: the upper rejection region of :func:`power_two_sample`.

    For a benefit that is clearly positive the two differ by the negligible lower region (at +63.4 m with SD
    70 m and 21 per arm, by 7e-7); for an effect near or below 0 only this one is a success.

    Examples
    --------
    >>> round(power_benefit(0.5, 1.0, 64), 4)
    0.8015
    """
    df, crit, nc = _t_test_design(delta, sd, n, alpha, n_ref)
    return float(st.nct.sf(crit, df, nc))


def n_per_arm(delta: float, sd: float, power: float = 0.8, alpha: float = 0.05) -> int:
    """Smallest whole n per arm whose exact two-sided two-sample t-test power reaches ``power``.

    Examples
    --------
    >>> n_per_arm(0.5, 1.0, 0.80)       # Cohen (1988), Table 2.4.1: d = 0.5, power .80, two-sided .05
    64
    """
    alpha = check_alpha(alpha)
    if not (np.isfinite(delta) and delta != 0):
        raise ValueError(f"need a finite, non-zero difference, got {delta!r}")
    sd = _check_positive(sd, "sd")
    if not 0 < power < 1:
        raise ValueError("power must be in (0, 1)")
    reaches = lambda n: power_two_sample(abs(delta), sd, n, alpha) >= power  # noqa: E731
    # power grows with n, so the answer is found by stepping from the normal-approximation n, which is
    # within one or two of it: two or three exact evaluations instead of a root search
    z = st.norm.isf(alpha / 2) + st.norm.isf(1 - power)
    n = max(2, math.ceil(2 * (z * sd / abs(delta)) ** 2))
    if reaches(n):
        while n > 2 and reaches(n - 1):
            n -= 1
    else:
        n += 1
        while not reaches(n):
            n += 1
    return int(n)


def enrolled(n: int, dropout: float) -> int:
    """Subjects to randomize per arm so that n remain after a fraction ``dropout`` is lost: ceil(n / (1 - d)).

    Examples
    --------
    >>> enrolled(64, 0.2)
    80
    """
    if not 0 <= dropout < 1:
        raise ValueError("dropout must be in [0, 1)")
    return int(math.ceil(round(n / (1 - dropout), 9)))


def sample_size_table(deltas: dict, sds: dict, powers=(0.8, 0.9), dropouts=(0.0, 0.1, 0.2),
                      alpha: float = 0.05) -> pd.DataFrame:
    """One row per assumed difference, SD of change and power: n per arm analysed and randomized per dropout.

    ``deltas`` and ``sds`` map a label (the assumption's name) to its value.
    """
    alpha = check_alpha(alpha)
    rows = []
    for d_name, delta in deltas.items():
        for s_name, sd in sds.items():
            for power in powers:
                n = n_per_arm(delta, sd, power, alpha)
                row = {"delta": d_name, "delta_m": delta, "sd": s_name, "sd_m": sd, "d": delta / sd,
                       "power": power, "n_per_arm": n}
                row.update({f"randomized_dropout_{round(100 * d):d}pct": enrolled(n, d) for d in dropouts})
                rows.append(row)
    return pd.DataFrame(rows)


# --- normal-normal posteriors, the predictive distribution and assurance -------------------------------

def normal_posterior(prior_mean: float, prior_sd: float, estimate: float, se: float) -> tuple[float, float]:
    """Posterior mean and SD of a normal prior updated by a normal likelihood (estimate, se).

    Examples
    --------
    >>> normal_posterior(0.0, 1.0, 2.0, 1.0)
    (1.0, 0.7071067811865476)
    """
    prior_sd, se = _check_positive(prior_sd, "prior_sd"), _check_positive(se, "se")
    precision = 1 / prior_sd**2 + 1 / se**2
    sd = math.sqrt(1 / precision)
    return (prior_mean / prior_sd**2 + estimate / se**2) / precision, sd


def predictive(prior_mean: float, prior_sd: float, estimate: float, se: float, tau: float) -> dict:
    """The posterior of the mean effect mu and the predictive distribution of a new trial's true effect.

    Hierarchical normal model: a trial's true effect is N(mu, tau^2), its estimate N(true effect, se^2), the
    prior of mu N(prior_mean, prior_sd^2). One printed estimate updates mu through a likelihood of variance
    se^2 + tau^2 (:func:`normal_posterior`); a new trial's true effect is then N(m, s^2 + tau^2). With tau = 0
    the new trial's effect is the posterior of the printed trial's own effect.

    Returns
    -------
    dict
        ``mean`` and ``sd`` of the posterior of mu, ``predictive_sd`` of the new trial's true effect, ``tau``.

    Examples
    --------
    >>> p = predictive(0.0, 100.0, 63.4, 21.7, 20.0)
    >>> round(p["mean"], 1), round(p["sd"], 1), round(p["predictive_sd"], 1)
    (58.3, 28.3, 34.7)
    """
    if not (np.isfinite(tau) and tau >= 0):
        raise ValueError(f"tau must be a finite number >= 0, got {tau!r}")
    se = _check_positive(se, "se")
    mean, sd = normal_posterior(prior_mean, prior_sd, estimate, math.sqrt(se**2 + tau**2))
    return {"mean": mean, "sd": sd, "predictive_sd": math.sqrt(sd**2 + tau**2), "tau": float(tau)}


def prob_greater(mean: float, sd: float, threshold: float) -> float:
    """P(theta > threshold) for theta ~ N(mean, sd^2)."""
    return float(st.norm.sf((threshold - mean) / sd))


def sceptical_sd(effect: float, tail: float = 0.05) -> float:
    """SD of a sceptical prior centred at 0 that gives probability ``tail`` to an effect above ``effect``
    (Spiegelhalter, Freedman & Parmar 1994): effect / z_{1 - tail}.

    ``effect`` must be positive and ``tail`` in (0, 0.5): a tail of one half or more would put the effect at
    or below the prior's centre (a zero or negative SD).

    Examples
    --------
    >>> round(float(sceptical_sd(50.0)), 2)
    30.4
    """
    effect = _check_positive(effect, "effect")
    if not (isinstance(tail, (int, float, np.floating)) and 0 < float(tail) < 0.5):
        raise ValueError(f"tail must be a probability in (0, 0.5), got {tail!r}")
    return float(effect / st.norm.isf(tail))


def se_new_trial(sd: float, n: float, n_ref: float | None = None) -> float:
    """Standard error of a difference in mean change between two arms of n and n_ref (default n)."""
    n_ref = n if n_ref is None else n_ref
    return sd * math.sqrt(1 / n + 1 / n_ref)


def assurance(mean: float, sd: float, sd_change: float, n: float, n_ref: float | None = None,
              alpha: float = 0.05) -> float:
    """Probability that a new two-arm trial shows a significant benefit, averaged over its true effect
    theta ~ N(mean, sd^2) (O'Hagan, Stevens & Campbell 2005).

    Success is the same test as :func:`n_per_arm`: the two-sided two-sample t-test at alpha on change with SD
    ``sd_change`` and n (and n_ref) per arm, significant with the estimate favouring the active arm
    (:func:`power_benefit`). The exact noncentral-t probability is integrated over the normal distribution of
    theta on mean +- 10 sd (which leaves out less than 2e-23 of it) by composite Gauss-Legendre quadrature (16
    nodes on each of 40 panels, and on 48 more across the rise of the power curve where it is steep), evaluated in
    one vectorized call of scipy's noncentral t; the tests check it against adaptive quadrature to 1e-10 and
    against a seeded Monte Carlo of whole trials. With sd = 0 it is
    :func:`power_benefit` at ``mean``.

    Examples
    --------
    >>> round(assurance(63.4, 0.0, 70.0, 21), 4) == round(power_benefit(63.4, 70.0, 21), 4)
    True
    >>> round(assurance(63.4, 30.0, 70.0, 21), 3)
    0.704
    """
    if not (np.isfinite(sd) and sd >= 0):
        raise ValueError(f"sd must be a finite number >= 0, got {sd!r}")
    df, crit, per_unit = _t_test_design(1.0, sd_change, n, alpha, n_ref)
    scale = 1.0 / per_unit             # the standard error of the new trial's difference
    if sd == 0:
        return float(st.nct.sf(crit, df, mean / scale))
    # the power rises from 0 to 1 over a few noncentrality units, i.e. over ``scale / sd`` in u: where that is
    # narrow the panels are refined around the rise
    u, w = _standard_normal_nodes((crit * scale - mean) / sd, scale / sd)
    value = float(np.sum(w * st.nct.sf(crit, df, (mean + sd * u) / scale)))
    return min(max(value, 0.0), 1.0)


def _standard_normal_nodes(centre: float, width: float, half_width: float = 10.0, order: int = 16):
    """Nodes u and weights w (including the standard normal density) of composite Gauss-Legendre quadrature on
    [-half_width, half_width]: ``sum(w f(u))`` approximates E f(U), U ~ N(0, 1), for an f that rises over about
    ``width`` around ``centre``. Panels: 40 of equal width, plus 48 across centre +- 12 width when that band is
    narrower than the plain panels resolve."""
    edges = np.linspace(-half_width, half_width, 41)
    if width < 2.0:
        local = np.linspace(centre - 12 * width, centre + 12 * width, 49)
        edges = np.unique(np.concatenate([edges, local[(local > -half_width) & (local < half_width)]]))
    x, wx = np.polynomial.legendre.leggauss(order)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    u = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    w = (half[:, None] * wx[None, :]).ravel() * st.norm.pdf(u)
    return u, w


def prior_sensitivity(estimate: float, se: float, thresholds, prior_sds, prior_mean: float = 0.0) -> pd.DataFrame:
    """P(theta > threshold) under N(prior_mean, s^2) priors for each s in ``prior_sds``: how the probability
    moves with the prior (a sceptical prior is a small s; s -> infinity is the likelihood alone)."""
    rows = []
    for s in prior_sds:
        m, sd = normal_posterior(prior_mean, s, estimate, se)
        for t in thresholds:
            rows.append({"prior_sd": s, "threshold": t, "posterior_mean": m, "posterior_sd": sd,
                         "probability": prob_greater(m, sd, t)})
    return pd.DataFrame(rows)


# --- figures ----------------------------------------------------------------------------------------

def _sd_styles(names):
    dashes = ["-", (0, (4, 1.5)), (0, (1.2, 1.2)), (0, (5, 1.5, 1.2, 1.5))]
    from .style import SERIES_COLORS   # not arm colours: an SD assumption is not an arm

    return {n: (SERIES_COLORS[i % len(SERIES_COLORS)], dashes[i % 4]) for i, n in enumerate(names)}


def sample_size_figure(curves: pd.DataFrame, marks: dict, sd_labels: dict, base: str | None = None,
                       alpha: float = 0.05):
    """n per arm (log scale) against the assumed difference, one line per SD of change and power.

    ``curves`` has columns delta_m, sd, sd_m, power, n_per_arm; ``marks`` maps a label to a difference drawn as
    a vertical line (the MCIDs, the printed differences); ``sd_labels`` maps each sd name to its legend text;
    at the marks, the n of the ``base`` SD at 80% power is written next to its line.
    """
    from . import style

    fig, ax = style.stamped_figure("double", 92)
    looks = _sd_styles(list(sd_labels))
    for (sd, power), block in curves.groupby(["sd", "power"], sort=False):
        color, dash = looks[sd]
        ax.plot(block.delta_m, block.n_per_arm, color=color, ls=dash, lw=1.5 if power == 0.8 else 0.8,
                label=f"{sd_labels[sd]}, {power:.0%} power")
    ax.set_yscale("log")
    ax.set_ylim(5, 3000)
    ticks = [5, 10, 20, 50, 100, 200, 500, 1000]
    ax.set_yticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.set_xlim(curves.delta_m.min(), curves.delta_m.max())
    base_sd = float(curves[curves.sd == base].sd_m.iloc[0]) if base is not None else None
    for label, x in marks.items():
        ax.axvline(x, color="0.55", lw=0.6, ls=":", zorder=0)
        ax.text(x, 2900, f"{label} ", rotation=90, va="top", ha="right", fontsize=6, color="0.3")
        if base_sd is not None:
            n = n_per_arm(x, base_sd, 0.8, alpha)
            ax.plot([x], [n], marker="o", ms=3.5, color=looks[base][0], mec="white", mew=0.4, zorder=4)
            ax.text(x, n * 1.12, f" {n}", ha="left", va="bottom", fontsize=6, color=looks[base][0])
    ax.set_xlabel("Assumed true difference in 6MWD change, MSC minus placebo (m)")
    ax.set_ylabel("Subjects analysed per arm (log scale)")
    fig.legend(loc="outside upper center", ncols=3, fontsize=6, handlelength=2.6)
    return fig


def assurance_figure(ns, point_power, curves: dict, n_marks: dict, taus, tau_curves: dict, tau_base: float,
                     n_at: int, point_label: str = "power at the point estimate"):
    """Two panels: (a) the exact-t power at the point estimate and the assurance under each predictive
    distribution against n per arm; (b) the assurance at ``n_at`` per arm against the between-trial SD tau.

    ``point_power`` is one array over ``ns``; ``curves`` maps a label to an array of assurances over ``ns``
    (at tau = ``tau_base``); ``tau_curves`` maps the same labels to arrays over ``taus``.
    """
    from . import style

    fig, (left, right) = style.stamped_figure("double", 72, ncols=2, gridspec_kw={"width_ratios": [1.25, 1]})
    left.plot(ns, point_power, color=style.SERIES_COLORS[0], lw=1.4, label=point_label)
    colors = style.SERIES_COLORS[1:]       # the order of posterior_figure: sceptical, weak (not arm colours)
    dashes = ["-", (0, (4, 1.5)), (0, (1.2, 1.2))]
    for (label, values), color, dash in zip(curves.items(), colors, dashes):
        left.plot(ns, values, color=color, ls=dash, lw=1.2, label=label)
    for label, n in n_marks.items():
        left.axvline(n, color="0.55", lw=0.6, ls=":", zorder=0)
        left.text(n, 0.02, f" {label}", rotation=90, va="bottom", ha="right", fontsize=6, color="0.3")
    for ax in (left, right):
        ax.axhline(0.8, color="0.8", lw=0.6, zorder=0)
        ax.set_ylim(0, 1)
        ax.set_ylabel("Probability of a significant benefit")
    left.set_xlim(min(ns), max(ns))
    left.set_xlabel("Subjects analysed per arm")
    left.legend(loc="lower right", fontsize=6, handlelength=2.4)
    left.set_title(f"Against trial size (\u03c4 = {tau_base:g} m)", loc="left")
    for (label, values), color, dash in zip(tau_curves.items(), colors, dashes):
        right.plot(taus, values, color=color, ls=dash, lw=1.2)
        base = float(np.interp(tau_base, taus, values))
        right.plot([tau_base], [base], marker="o", ms=3.5, color=color, mec="white", mew=0.4, zorder=3, ls="none")
    right.axvline(tau_base, color="0.55", lw=0.6, ls=":", zorder=0)
    right.set_xlim(min(taus), max(taus))
    right.set_xlabel("Between-trial SD of the true benefit, \u03c4 (m; assumed)")
    right.set_title(f"Against \u03c4 ({n_at} per arm)", loc="left")
    style.panel_letters([left, right])
    return fig


def posterior_figure(estimate: float, se: float, priors: dict, sens: pd.DataFrame, thresholds: dict,
                     sd_sens: pd.DataFrame, sd_marks: dict, sd_used: float, x_range=(-60.0, 160.0),
                     unit: str = "m", arm: str = "200M"):
    """Three panels: (a) the likelihood, the named priors and their posteriors (no title: its top carries the
    direction cue); (b) P(benefit > threshold)
    against the prior SD (log scale; the named priors marked); (c) the same probabilities under each named
    prior against the SD of change behind the likelihood's standard error.

    ``priors`` maps a label to a prior SD (centred at 0); ``sens`` is :func:`prior_sensitivity`'s table at the SD
    of change ``sd_used``; ``thresholds`` maps a threshold to its label (e.g. 20 -> "small (Perera 2006)");
    ``sd_sens`` has columns sd_change, prior (a key of ``priors``), threshold, probability; ``sd_marks`` maps a
    label to an SD of change drawn as a vertical line (the design choice, the record's least, the literature).
    The x axis of (a) is the benefit of ``arm`` over placebo, with its direction cue.
    """
    from . import style

    fig, (left, mid, right) = style.stamped_figure("double", 78, ncols=3)
    x = np.linspace(*x_range, 441)
    left.plot(x, st.norm.pdf(x, estimate, se), color="0.45", lw=1.0, ls=(0, (4, 1.5)),
              label=f"likelihood: {estimate:g} {unit}, SE {se:.1f}")
    colors = dict(zip(priors, style.SERIES_COLORS[1:]))       # a prior is not an arm: no arm colour
    for label, prior_sd in priors.items():
        m, sd = normal_posterior(0.0, prior_sd, estimate, se)
        left.plot(x, st.norm.pdf(x, 0.0, prior_sd), color=colors[label], lw=0.8, ls=(0, (1.2, 1.2)))
        left.plot(x, st.norm.pdf(x, m, sd), color=colors[label], lw=1.4,
                  label=f"{label}:\nposterior {m:.1f} \u00b1 {sd:.1f}")
    left.set_xlim(*x_range)
    top = left.get_ylim()[1] * 1.75                       # room for the legend above the curves
    left.set_ylim(0, top)
    for t in thresholds:
        left.vlines(t, 0, top / 1.75, color="0.6", lw=0.6, zorder=0)
        left.text(t, top / 1.75, f"{t:g} {unit}", ha="center", va="bottom", fontsize=6, color="0.35")
    left.set_yticks([])
    left.set_ylabel("Density (dotted: priors)")
    left.set_xlabel(f"6MWD benefit, {arm} minus placebo ({unit})")
    style.favours(left, "placebo", arm)
    left.legend(loc="upper left", fontsize=6, handlelength=2.0, frameon=True, facecolor="white", edgecolor="none",
                framealpha=1.0)
    # thresholds told apart by line style in one non-arm colour (the priors keep theirs for their marks)
    dashes = dict(zip(thresholds, ["-", (0, (4, 1.5)), (0, (1.2, 1.2))]))
    for t, block in sens.groupby("threshold", sort=False):
        mid.plot(block.prior_sd, block.probability, color=style.SERIES_COLORS[0], ls=dashes[t], lw=1.3,
                 label=f"P(benefit > {t:g} {unit})")
        for label, prior_sd in priors.items():
            m, sd = normal_posterior(0.0, prior_sd, estimate, se)
            mid.plot([prior_sd], [prob_greater(m, sd, t)], marker="o", ms=3.5, color=colors[label], mec="white",
                     mew=0.4, zorder=3, ls="none")
    for label, prior_sd in priors.items():
        mid.axvline(prior_sd, color=colors[label], lw=0.6, ls=":", zorder=0)
    mid.set_xscale("log")
    mid.set_xlim(sens.prior_sd.min(), sens.prior_sd.max())
    ticks = [t for t in (5, 10, 20, 50, 100, 200, 500, 1000) if sens.prior_sd.min() <= t <= sens.prior_sd.max()]
    mid.set_xticks(ticks, [f"{t:g}" for t in ticks])
    mid.minorticks_off()
    mid.set_xlabel(f"Prior SD ({unit}; centred on no benefit; log scale)")
    mid.legend(loc="lower right", fontsize=6, frameon=True, facecolor="white", edgecolor="none", framealpha=1.0)
    mid.set_title(f"Against the prior (SD of change {sd_used:g} {unit})", loc="left")
    for (label, t), block in sd_sens.groupby(["prior", "threshold"], sort=False):
        right.plot(block.sd_change, block.probability, color=colors[label], ls=dashes[t], lw=1.2)
    for label, sd_change in sd_marks.items():
        right.axvline(sd_change, color="0.55", lw=0.6, ls=":", zorder=0)
        right.text(sd_change, 0.02, f" {label}", rotation=90, va="bottom", ha="right", fontsize=6, color="0.3")
    right.set_xlim(sd_sens.sd_change.min(), sd_sens.sd_change.max())
    right.set_xlabel(f"SD of 6MWD change ({unit}; assumed)")
    right.set_title("Against the SD of change", loc="left")
    for ax in (mid, right):
        ax.axhline(0.5, color="0.85", lw=0.5, zorder=0)
        ax.set_ylim(0, 1.0)
        ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax.set_ylabel("Posterior probability")
    style.panel_letters([left, mid, right])
    return fig
