"""Planning the next trial from the printed record: sample size, normal-normal posteriors, assurance (issue 10).

Everything here is closed form or exact:

- :func:`n_per_arm`: the smallest n per arm of a two-arm trial whose two-sided two-sample t-test on change
  reaches the power asked for, by the exact noncentral t (the same computation as statsmodels'
  ``TTestIndPower``, against which ``tests/test_planning.py`` checks it, with Cohen's textbook d = 0.5 ->
  64 per group); :func:`enrolled` inflates it for dropout.
- :func:`normal_posterior`: prior N(m0, s0^2) and an estimate with standard error se give the posterior
  N(m1, s1^2) with 1/s1^2 = 1/s0^2 + 1/se^2 and m1 = s1^2 (m0/s0^2 + est/se^2).
- :func:`assurance`: the probability that a new trial succeeds (two-sided test at alpha, effect in the
  favourable direction) averaged over a normal distribution of the true effect, in closed form for the
  z-test approximation: Phi((m - z se_new) / sqrt(se_new^2 + s^2)) (O'Hagan, Stevens & Campbell 2005). It is
  below the power at the point estimate whenever that power exceeds one half: uncertainty about the effect
  costs probability of success.

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

ASSUMPTIONS = paths.DATA / "published" / "assumptions" / "assumptions.csv"
ASSUMPTION_COLUMNS = ["assumption_id", "kind", "quantity", "value", "unit", "used_in", "statement", "citation",
                      "source_url", "verified_at", "notes"]
KINDS = {
    "literature": "a number printed in a cited publication (not about these trials)",
    "record_derived": "computed from the trials' printed record by the rule stated",
    "design_choice": "a choice of this collection, with its reason; no source prints the number",
}


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

def power_two_sample(delta: float, sd: float, n: float, alpha: float = 0.05) -> float:
    """Exact power of a two-sided two-sample t-test with n per arm for a true difference delta and SD sd.

    Both rejection regions count (as in statsmodels' ``TTestIndPower``): the noncentral t with df = 2n - 2 and
    noncentrality ``delta / (sd sqrt(2/n))``.

    Examples
    --------
    >>> round(power_two_sample(0.5, 1.0, 64), 4)
    0.8015
    """
    df = 2 * n - 2
    nc = delta / (sd * math.sqrt(2.0 / n))
    crit = st.t.isf(alpha / 2, df)
    return float(st.nct.sf(crit, df, nc) + st.nct.cdf(-crit, df, nc))


def n_per_arm(delta: float, sd: float, power: float = 0.8, alpha: float = 0.05) -> int:
    """Smallest whole n per arm whose exact two-sided two-sample t-test power reaches ``power``.

    Examples
    --------
    >>> n_per_arm(0.5, 1.0, 0.80)       # Cohen (1988), Table 2.4.1: d = 0.5, power .80, two-sided .05
    64
    """
    if delta == 0 or sd <= 0:
        raise ValueError("need a non-zero difference and a positive SD")
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


# --- normal-normal posteriors and assurance ---------------------------------------------------------

def normal_posterior(prior_mean: float, prior_sd: float, estimate: float, se: float) -> tuple[float, float]:
    """Posterior mean and SD of a normal prior updated by a normal likelihood (estimate, se).

    Examples
    --------
    >>> normal_posterior(0.0, 1.0, 2.0, 1.0)
    (1.0, 0.7071067811865476)
    """
    precision = 1 / prior_sd**2 + 1 / se**2
    sd = math.sqrt(1 / precision)
    return (prior_mean / prior_sd**2 + estimate / se**2) / precision, sd


def prob_greater(mean: float, sd: float, threshold: float) -> float:
    """P(theta > threshold) for theta ~ N(mean, sd^2)."""
    return float(st.norm.sf((threshold - mean) / sd))


def sceptical_sd(effect: float, tail: float = 0.05) -> float:
    """SD of a sceptical prior centred at 0 that gives probability ``tail`` to an effect above ``effect``
    (Spiegelhalter, Freedman & Parmar 1994): effect / z_{1 - tail}.

    Examples
    --------
    >>> round(float(sceptical_sd(50.0)), 2)
    30.4
    """
    return float(effect / st.norm.isf(tail))


def se_new_trial(sd: float, n: float, n_ref: float | None = None) -> float:
    """Standard error of a difference in mean change between two arms of n and n_ref (default n)."""
    n_ref = n if n_ref is None else n_ref
    return sd * math.sqrt(1 / n + 1 / n_ref)


def power_z(delta: float, se: float, alpha: float = 0.05) -> float:
    """Probability that a z-test at two-sided alpha is significant in the favourable direction, true effect delta."""
    return float(st.norm.sf(st.norm.isf(alpha / 2) - delta / se))


def assurance(mean: float, sd: float, se: float, alpha: float = 0.05) -> float:
    """Probability of success of a new trial with standard error ``se``, averaged over theta ~ N(mean, sd^2).

    Success: the two-sided z-test at alpha is significant with the estimate in the favourable (positive)
    direction. The estimate is N(theta, se^2), so marginally N(mean, se^2 + sd^2), and
    ``P(estimate > z se) = Phi((mean - z se) / sqrt(se^2 + sd^2))``. With sd = 0 it is :func:`power_z`.

    Examples
    --------
    >>> round(assurance(50.0, 0.0, 20.0), 4) == round(power_z(50.0, 20.0), 4)
    True
    """
    z = st.norm.isf(alpha / 2)
    return float(st.norm.cdf((mean - z * se) / math.sqrt(se**2 + sd**2)))


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


def sample_size_figure(curves: pd.DataFrame, marks: dict, sd_labels: dict, base: str | None = None):
    """n per arm (log scale) against the assumed difference, one line per SD of change and power.

    ``curves`` has columns delta_m, sd, power, n_per_arm; ``marks`` maps a label to a difference drawn as a
    vertical line (the MCIDs, the printed differences); ``sd_labels`` maps each sd name to its legend text;
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
    for label, x in marks.items():
        ax.axvline(x, color="0.55", lw=0.6, ls=":", zorder=0)
        ax.text(x, 2900, f"{label} ", rotation=90, va="top", ha="right", fontsize=6, color="0.3")
        if base is not None:
            block = curves[(curves.sd == base) & (curves.power == 0.8)]
            n = n_per_arm(x, float(block.sd_m.iloc[0]), 0.8) if "sd_m" in block else None
            if n is not None:
                ax.plot([x], [n], marker="o", ms=3.5, color=looks[base][0], mec="white", mew=0.4, zorder=4)
                ax.text(x, n * 1.12, f" {n}", ha="left", va="bottom", fontsize=6, color=looks[base][0])
    ax.set_xlabel("Assumed true difference in 6MWD change, MSC minus placebo (m; higher is better)")
    ax.set_ylabel("Subjects analysed per arm (log scale)")
    fig.legend(loc="outside upper center", ncols=3, fontsize=6, handlelength=2.6)
    ax.set_title("Sample size per arm: two-sided two-sample t-test at 0.05 (exact noncentral t); dots: base SD, "
                 "80% power", loc="left")
    return fig


def assurance_figure(ns, point_power, curves: dict, n_marks: dict, title: str,
                     point_label: str = "power at the point estimate"):
    """Power at the point estimate and assurance under each posterior against n per arm.

    ``point_power`` is one array over ``ns``; ``curves`` maps a label to an array of assurances.
    """
    from . import style

    fig, ax = style.stamped_figure("single", 70)
    ax.plot(ns, point_power, color=style.SERIES_COLORS[0], lw=1.4, label=point_label)
    colors = style.SERIES_COLORS[1:]       # the order of posterior_figure: sceptical, weak (not arm colours)
    for (label, values), color, dash in zip(curves.items(), colors, ["-", (0, (4, 1.5)), (0, (1.2, 1.2))]):
        ax.plot(ns, values, color=color, ls=dash, lw=1.2, label=label)
    for label, n in n_marks.items():
        ax.axvline(n, color="0.55", lw=0.6, ls=":", zorder=0)
        ax.text(n, 0.02, f" {label}", rotation=90, va="bottom", ha="right", fontsize=6, color="0.3")
    ax.axhline(0.8, color="0.7", lw=0.6, zorder=0)
    ax.set_ylim(0, 1)
    ax.set_xlim(min(ns), max(ns))
    ax.set_xlabel("Subjects analysed per arm")
    ax.set_ylabel("Probability of a significant benefit")
    ax.legend(loc="lower right", fontsize=6, handlelength=2.4)
    ax.set_title(title, loc="left")
    return fig


def posterior_figure(estimate: float, se: float, priors: dict, sens: pd.DataFrame, thresholds: dict,
                     x_range=(-60.0, 160.0), unit: str = "m", title: str = ""):
    """Two panels: (a) the likelihood, the named priors and their posteriors; (b) P(benefit > threshold)
    against the prior SD (log scale; the sceptical and weakly informative priors marked).

    ``priors`` maps a label to a prior SD (centred at 0); ``sens`` is :func:`prior_sensitivity`'s table;
    ``thresholds`` maps a threshold to its label (e.g. 20 -> "small (Perera 2006)").
    """
    from . import style

    fig, (left, right) = style.stamped_figure("double", 70, ncols=2)
    x = np.linspace(*x_range, 441)
    left.plot(x, st.norm.pdf(x, estimate, se), color="0.45", lw=1.0, ls=(0, (4, 1.5)),
              label=f"likelihood: {estimate:g} {unit}, SE {se:.1f}")
    colors = style.SERIES_COLORS[1:]       # a prior is not an arm: no arm colour
    for (label, prior_sd), color in zip(priors.items(), colors):
        m, sd = normal_posterior(0.0, prior_sd, estimate, se)
        left.plot(x, st.norm.pdf(x, 0.0, prior_sd), color=color, lw=0.8, ls=(0, (1.2, 1.2)))
        left.plot(x, st.norm.pdf(x, m, sd), color=color, lw=1.4, label=f"{label}: posterior {m:.1f} \u00b1 {sd:.1f}")
    left.set_xlim(*x_range)
    top = left.get_ylim()[1] * 1.45                       # room for the legend above the curves
    left.set_ylim(0, top)
    for t in thresholds:
        left.vlines(t, 0, top / 1.45, color="0.6", lw=0.6, zorder=0)
        left.text(t, top / 1.45, f"{t:g} {unit}", ha="center", va="bottom", fontsize=6, color="0.35")
    right.axhline(0.5, color="0.85", lw=0.5, zorder=0)
    left.set_yticks([])
    left.set_ylabel("Density (dotted: priors)")
    left.set_xlabel(style.direction_label(f"6MWD benefit over placebo ({unit})", True))
    left.legend(loc="upper left", fontsize=6, handlelength=2.2, frameon=True, facecolor="white", edgecolor="none",
                framealpha=1.0)
    left.set_title("(a) Prior, likelihood and posterior", loc="left")
    # thresholds told apart by line style in one non-arm colour (the priors keep theirs for their marks)
    for (t, block), dash in zip(sens.groupby("threshold", sort=False), ["-", (0, (4, 1.5)), (0, (1.2, 1.2))]):
        right.plot(block.prior_sd, block.probability, color=style.SERIES_COLORS[0], ls=dash, lw=1.3, label=f"P(benefit > {t:g} {unit})\n"
                   f"{thresholds[t]}")
        for (label, prior_sd), pc in zip(priors.items(), colors):
            m, sd = normal_posterior(0.0, prior_sd, estimate, se)
            right.plot([prior_sd], [prob_greater(m, sd, t)], marker="o", ms=3.5, color=pc, mec="white", mew=0.4,
                       zorder=3, ls="none")
    for (label, prior_sd), pc in zip(priors.items(), colors):
        right.axvline(prior_sd, color=pc, lw=0.6, ls=":", zorder=0)
    right.set_xscale("log")
    right.set_ylim(0, 1.0)
    right.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    right.set_xlim(sens.prior_sd.min(), sens.prior_sd.max())
    ticks = [t for t in (5, 10, 20, 50, 100, 200, 500, 1000) if sens.prior_sd.min() <= t <= sens.prior_sd.max()]
    right.set_xticks(ticks, [f"{t:g}" for t in ticks])
    right.minorticks_off()
    right.set_xlabel(f"Prior SD ({unit}; prior centred on no benefit; log scale)")
    right.set_ylabel("Posterior probability")
    right.legend(loc="lower right", fontsize=6, frameon=True, facecolor="white", edgecolor="none", framealpha=1.0)
    right.set_title("(b) How the probability moves with the prior", loc="left")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=7.5)
    return fig
