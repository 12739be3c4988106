"""The efficacy notebooks' analysis rows and what they say in words.

Used by ``physical_performance``, ``inflammation``, ``other_endpoints`` and ``dose_comparison`` so that no
code is copied between notebooks: the plan's rows for a finding (:func:`efficacy_rows`), the supplementary
log-scale analysis of positive, skewed markers such as TNF-alpha (:func:`log_ratio`), rows at each
parameter's main visit (:func:`at_visits`), sentences (:func:`describe`, :func:`verdict`,
:func:`findings_lines`), display tables, the data-basis banner (:func:`basis_banner`) and the figures'
captions (:func:`trajectory_caption` and friends, formatted by :func:`msc_frailty.style.caption`).
Names, units, directions and visits come from :mod:`msc_frailty.endpoints`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import analysis, stats, style
from .endpoints import (MAX_POINTS_ARM, MINUS, NEUTRAL, Labels, arm_counts, arm_order, direction_text, n_text,
                        ordered_params, parameter_info, row_counts, shows_points, visit_text)

#: The 15 columns of an analysis-plan row; ``analysis.ESTIMATE_COLUMNS`` may add more (filled with "").
_PLAN_COLUMNS = ["finding", "study", "paramcd", "visit", "comparison", "arm", "ref_arm", "n", "n_ref",
                 "estimate", "ci_low", "ci_high", "p_value", "method", "basis"]


def fmt_num(v: float, digits: int = 3) -> str:
    """A number to ``digits`` significant figures, at least one decimal below 10**(digits-1), a true minus.

    Examples
    --------
    >>> fmt_num(0.09999), fmt_num(-0.0788), fmt_num(7.5), fmt_num(196.4), fmt_num(1234.5), fmt_num(0.0605, 2)
    ('0.100', '\u22120.0788', '7.50', '196', '1234', '0.060')
    """
    if v is None or not np.isfinite(v):
        return "NA"
    if v == 0:
        return "0"
    if abs(v) >= 10 ** (digits - 1):  # no rounding of integer digits: 1234.5 -> "1234"
        return f"{v:.0f}".replace("-", MINUS)
    v = float(f"{v:.{digits}g}")  # round first, so 0.09999 counts as 0.100
    mag = int(math.floor(math.log10(abs(v))))
    decimals = max(0, digits - 1 - mag)
    if abs(v) < 100:
        decimals = max(decimals, 1)
    return f"{v:.{decimals}f}".replace("-", MINUS)


def format_p(p: float) -> str:
    """``p = 0.012``, ``p = 0.34``, ``p < 0.001``; ``p = NA`` when missing.

    Examples
    --------
    >>> format_p(0.0123), format_p(0.34), format_p(0.1), format_p(0.00125), format_p(2e-5)
    ('p = 0.012', 'p = 0.34', 'p = 0.10', 'p = 0.0013', 'p < 0.001')
    """
    if p is None or not np.isfinite(p):
        return "p = NA"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:#.2g}"


def describe(row, unit: str | None = None, signed: bool = True, labels: Labels | None = None) -> str:
    """One estimate row as text: ``+35.2 m (95% CI 10.1 to 60.3; p = 0.012; n = 10)``.

    Parameters
    ----------
    row : mapping
        A row with estimate, ci_low, ci_high, p_value, n and optionally n_ref and paramcd.
    unit : str, optional
        Unit after the estimate; by default the parameter's unit.
    signed : bool
        Show a plus sign on positive estimates.
    labels : Labels, optional
        The trial's labels, for the unit (:func:`parameter_info`).
    """
    if unit is None:
        unit = parameter_info(row["paramcd"], labels)["unit"] if "paramcd" in row else ""
    est = fmt_num(row["estimate"])
    if signed and row["estimate"] > 0:
        est = "+" + est
    unit = f" {unit}" if unit else ""
    n = f"n = {int(row['n'])}"
    if "n_ref" in row and pd.notna(row["n_ref"]):
        n = f"n = {int(row['n'])} vs {int(row['n_ref'])}"
    parts = [f"95% CI {fmt_num(row['ci_low'])} to {fmt_num(row['ci_high'])}"]
    if pd.notna(row.get("p_value", np.nan)):
        parts.append(format_p(row["p_value"]))
    parts.append(n)
    return f"{est}{unit} ({'; '.join(parts)})"


def basis_banner(basis: str, study: str) -> str:
    """A loud banner for synthetic data, a one-line note otherwise."""
    if basis == "synthetic":
        bar = "!" * 78
        return "\n".join([
            bar,
            f"!!  SYNTHETIC DATA ({study}): NOT TRIAL RESULTS",
            "!!  Generated from the published record plus named assumptions. Any agreement with",
            "!!  the paper is BY CONSTRUCTION and says nothing new about the trial. The numbers",
            "!!  below demonstrate the analysis pipeline only.",
            bar,
        ])
    return f"Data basis: {basis} patient-level data ({study})."


def log_change(chg: pd.DataFrame) -> pd.DataFrame:
    """Rows with a positive value at baseline and at the visit, with LCHG = log(AVAL) - log(BASE)
    and LBASE = log(BASE) (natural logs). Other rows cannot be log-transformed and are dropped.
    """
    data = chg[(chg["AVAL"] > 0) & (chg["BASE"] > 0)].copy()
    data["LCHG"] = np.log(data["AVAL"]) - np.log(data["BASE"])
    data["LBASE"] = np.log(data["BASE"])
    return data


def verdict(row, ref: float = 0.0, labels: Labels | None = None) -> str:
    """Plain words for an interval: whether it excludes ``ref`` in the better direction of the parameter.

    For a change from baseline or a difference (arm minus comparator) on a higher-is-better scale an
    interval wholly above ``ref`` is ``"favourable"``; on a lower-is-better scale (TNF-alpha) wholly
    below. An interval that contains ``ref`` is ``"inconclusive"`` (which is not evidence of no effect).
    When nobody stated the parameter's direction an interval that excludes ``ref`` is only that
    (:data:`NEUTRAL`, or "excludes 1" for a ratio): no verdict claims a direction nobody gave.

    Examples
    --------
    >>> verdict({"paramcd": "TNFA", "ci_low": -0.9, "ci_high": -0.1})
    'favourable'
    >>> verdict({"paramcd": "SIXMWD", "ci_low": -5.0, "ci_high": 40.0})
    'inconclusive'
    >>> verdict({"paramcd": "ADAS", "ci_low": 1.0, "ci_high": 3.0})
    'interval excludes zero, direction not stated'
    """
    lo, hi = row["ci_low"], row["ci_high"]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no interval"
    better_up = parameter_info(row["paramcd"], labels)["higher_is_better"]
    if better_up is None and (lo > ref or hi < ref):
        return NEUTRAL if ref == 0 else f"interval excludes {ref:g}, direction not stated"
    if lo > ref:
        return "favourable" if better_up else "unfavourable"
    if hi < ref:
        return "unfavourable" if better_up else "favourable"
    return "inconclusive"


def log_ratio(chg: pd.DataFrame, finding: str, basis: str, params=None, comparison: str = "ratio_to_baseline",
              confidence: float = 0.95) -> pd.DataFrame:
    """Supplementary log-scale analysis of a positive, right-skewed marker (e.g. serum TNF-alpha).

    ``comparison="ratio_to_baseline"``: per arm, visit and parameter, a paired t on
    log(AVAL) - log(BASE); the estimate is the ratio of geometric means (visit over baseline) with the
    back-transformed t interval (method ``log_ratio_paired_t``). ``comparison="vs_placebo"``: an
    ANCOVA of the log change on arm and log baseline per active arm and placebo; the estimate is the
    adjusted ratio of geometric means, arm over placebo (method ``log_ratio_ancova``).

    Subjects with a non-positive value at baseline or at the visit cannot be log-transformed and are
    left out (``n`` counts those used). The rows carry method names that are not the contract's SAP
    methods, so they are never mistaken for the primary analysis.

    Returns
    -------
    pandas.DataFrame
        Rows with the columns of :data:`msc_frailty.analysis.ESTIMATE_COLUMNS`.
    """
    data = log_change(chg if params is None else chg[chg["PARAMCD"].isin(params)])
    rows = []
    for (study, param, visit), cell in data.groupby(["STUDYID", "PARAMCD", "AVISITN"], sort=True):
        arms = arm_order(cell)
        if comparison == "ratio_to_baseline":
            for arm in arms:
                x = cell.loc[cell["TRT01A"] == arm, "LCHG"]
                if len(x) < 2:
                    continue
                r = stats.paired_t(x, confidence)
                rows.append([finding, study, param, visit, comparison, arm, "", r["n"], np.nan,
                             math.exp(r["estimate"]), math.exp(r["ci_low"]), math.exp(r["ci_high"]),
                             r["p_value"], "log_ratio_paired_t", basis])
        elif comparison == "vs_placebo":
            placebo = cell.loc[cell["TRT01AN"] == 0, "TRT01A"].unique()
            if len(placebo) == 0:
                continue
            for arm in arms:
                if arm == placebo[0]:
                    continue
                two = cell[cell["TRT01A"].isin([arm, placebo[0]])]
                is_arm = (two["TRT01A"] == arm).to_numpy()
                if is_arm.sum() < 2 or (~is_arm).sum() < 2:
                    continue
                r = stats.ancova(two["LCHG"], two["LBASE"], is_arm, confidence)
                rows.append([finding, study, param, visit, comparison, arm, placebo[0], r["n"], r["n_ref"],
                             math.exp(r["estimate"]), math.exp(r["ci_low"]), math.exp(r["ci_high"]),
                             r["p_value"], "log_ratio_ancova", basis])
        else:
            raise ValueError(f"comparison must be 'ratio_to_baseline' or 'vs_placebo', got {comparison!r}")
    out = pd.DataFrame(rows, columns=_PLAN_COLUMNS)
    for extra in analysis.ESTIMATE_COLUMNS:
        if extra not in out.columns:
            out[extra] = ""
    return out[analysis.ESTIMATE_COLUMNS]


def estimate_table(rows: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Estimate rows for display: the informative columns, numbers rounded to ``digits`` significant figures."""
    cols = ["paramcd", "visit", "comparison", "arm", "ref_arm", "n", "n_ref", "estimate", "ci_low", "ci_high",
            "p_value", "method"]
    out = rows[[c for c in cols if c in rows.columns]].copy()
    for c in ("estimate", "ci_low", "ci_high", "p_value"):
        if c in out:
            out[c] = [float(f"{v:.{digits}g}") if pd.notna(v) else np.nan for v in out[c]]
    for c in ("n", "n_ref"):
        if c in out:
            out[c] = out[c].astype("Int64")
    return out.reset_index(drop=True)


def pool_active(chg: pd.DataFrame, label: str = "All") -> pd.DataFrame:
    """The active arms (TRT01AN > 0) relabelled as one arm ``label`` (dose NaN), for a pooled analysis.

    CRATUS Phase 1 reported its open-label change from baseline with "all groups pooled"; feeding
    this to :func:`msc_frailty.analysis.change_from_baseline` gives the same kind of row (arm ``All``).
    """
    out = chg[chg["TRT01AN"] > 0].copy()
    out["TRT01A"] = label
    out["TRT01AN"] = np.nan
    return out


def at_visits(rows: pd.DataFrame, visits: dict, param: str = "paramcd", visit: str = "visit") -> pd.DataFrame:
    """The rows at each parameter's own visit (``{paramcd: visit}``, e.g. from :func:`main_visit`).

    Examples
    --------
    >>> rows = pd.DataFrame({"paramcd": ["A", "A", "B"], "visit": [3.0, 6.0, 4.0]})
    >>> at_visits(rows, {"A": 6.0, "B": 4.0})["visit"].tolist()
    [6.0, 4.0]
    >>> len(at_visits(rows.iloc[:0], {}))
    0
    """
    keep = np.array([visits.get(p) == v for p, v in zip(rows[param], rows[visit])], dtype=bool)
    return rows.loc[keep]


def arms_table(trial) -> pd.DataFrame:
    """One row per arm of a one-study :class:`~msc_frailty.data.TrialData`: arm, dose, subjects, by dose."""
    a = trial.arms()
    return pd.DataFrame({"arm": a["TRT01A"].to_numpy(), "dose": a["TRT01AN"].to_numpy(),
                         "subjects": a["n"].to_numpy()})


def visit_counts(chg: pd.DataFrame, arms) -> pd.DataFrame:
    """Subjects with a baseline value and a value at the visit, per parameter and visit (rows) and arm (columns)."""
    counts = chg.pivot_table(index=["PARAMCD", "AVISITN"], columns="TRT01A", values="USUBJID", aggfunc="count",
                             fill_value=0)
    return counts[[a for a in arms if a in counts.columns]]


def placebo_note(placebo) -> str:
    """Which arm is placebo, or the loud statement that comparisons against placebo are not estimable."""
    if placebo:
        return f"Placebo arm: {placebo[0]}."
    return ("No placebo arm: the comparison against placebo is NOT ESTIMABLE in this study; within-arm change "
            "is all it can show.")


def efficacy_rows(chg: pd.DataFrame, finding: str, basis: str, params, pool: bool = False) -> pd.DataFrame:
    """The plan's rows for ``params``: change from baseline per arm, each active arm vs placebo, and with
    ``pool`` the change of the pooled active arms (arm ``All``, see :func:`pool_active`), written with
    comparison ``pooled_change_from_baseline`` and method ``paired_t_pooled`` so that the plan's
    ``paired_t`` rows stay one per TRT01A arm."""
    parts = [analysis.change_from_baseline(chg, finding, basis, params),
             analysis.vs_placebo(chg, finding, basis, params)]
    if pool:
        # kept apart from the plan's per-arm rows (arm = TRT01A): its own comparison and method names
        pooled = analysis.change_from_baseline(pool_active(chg), finding, basis, params)
        parts.append(pooled.assign(comparison="pooled_change_from_baseline", method="paired_t_pooled"))
    return pd.concat(parts, ignore_index=True)


def findings_lines(change_rows: pd.DataFrame, placebo_rows: pd.DataFrame, params, visits: dict,
                   extra: pd.DataFrame | None = None, extra_label: str = "[log scale]",
                   labels: Labels | None = None) -> list[str]:
    """Sentences for each parameter at its main visit: change per arm, each arm vs placebo, with verdicts.

    ``extra`` rows (e.g. :func:`log_ratio` ratios, visit filtered here) are listed after them, unsigned and
    without a verdict, marked by ``extra_label``. With ``labels`` (:func:`resolve_labels`) names, units,
    visits and directions are the trial's; a parameter without a stated direction says so.
    """
    lines = []
    for p in params:
        info = parameter_info(p, labels)
        lines.append(f"{info['label']} at {visit_text(visits[p], labels)} ({direction_text(p, labels)})")
        for _, r in change_rows[change_rows["paramcd"] == p].iterrows():
            lines.append(f"  change in {r['arm']}: {describe(r, labels=labels)}  -> {verdict(r, labels=labels)}")
        for _, r in placebo_rows[placebo_rows["paramcd"] == p].iterrows():
            lines.append(f"  {r['arm']} vs {r['ref_arm']} (ANCOVA): {describe(r, labels=labels)}  "
                         f"-> {verdict(r, labels=labels)}")
        if extra is not None:
            for _, r in extra[(extra["paramcd"] == p) & (extra["visit"] == visits[p])].iterrows():
                lines.append(f"  {extra_label} {r['arm']}: ratio to baseline {describe(r, unit='', signed=False)}")
        lines.append("")
    return lines


def arms_with(rows: pd.DataFrame, outcome: str = "favourable", labels: Labels | None = None) -> str:
    """``"SIXMWD: 100M, All; TNFA: 100M"``: per parameter, the arms whose :func:`verdict` is ``outcome``."""
    hit = rows[[verdict(r, labels=labels) == outcome for _, r in rows.iterrows()]] if len(rows) else rows
    text = "; ".join(f"{p}: {', '.join(g['arm'])}" for p, g in hit.groupby("paramcd", sort=False))
    return text or "none"


def multiplicity_note(rows: pd.DataFrame, arms: pd.DataFrame, study: str) -> str:
    """How many p-values the rows hold, and how many would fall below 0.05 by chance if nothing changed."""
    n_p = int(rows["p_value"].notna().sum())
    return (f"Smallest arm: {int(arms['subjects'].min())} subjects. {n_p} p-values in the plan's rows for {study}; "
            f"at the 5% level about {0.05 * n_p:.1f} would fall below 0.05 by chance alone if nothing changed.")


# --------------------------------------------------------------------------------------------------
# Figure captions (what is shown, n per arm, the test or interval, the basis: msc_frailty.style.caption)
# --------------------------------------------------------------------------------------------------

def n_per_arm(counts_by: dict) -> str:
    """``"n per arm: Placebo 10, 100M 10"``, or per group of panels when their numbers differ
    (``{panel: {arm: n}}`` in; e.g. ``"n per arm: 6MWD, FEV1: Placebo 10, 100M 10; SQOL-F: Placebo 5, 100M 5"``).

    Examples
    --------
    >>> n_per_arm({"SIXMWD": {"Placebo": 10, "100M": 9}, "SPPB": {"Placebo": 10, "100M": 9}})
    'n per arm: Placebo 10, 100M 9'
    >>> n_per_arm({"SIXMWD": {"A": 10}, "SQOLF": {"A": 5}})
    'n per arm: SIXMWD: A 10; SQOLF: A 5'
    """
    groups: dict = {}
    for panel, counts in counts_by.items():
        text = ", ".join(f"{a} {n_text(n)}" for a, n in counts.items())
        groups.setdefault(text, []).append(str(panel))
    pooled = " (All: the active arms pooled)" if any("All" in c for c in counts_by.values()) else ""
    if len(groups) == 1:
        return f"n per arm: {next(iter(groups))}{pooled}"
    return "n per arm: " + "; ".join(f"{', '.join(panels)}: {text}" for text, panels in groups.items()) + pooled


def _points(counts: dict) -> str:
    if shows_points(counts):
        return "each small symbol is one subject, large symbols are arm means"
    return (f"means and intervals only: every arm has more than {MAX_POINTS_ARM} subjects, too many to show "
            "each one")


def _by(data: pd.DataFrame, by: str, arms=None, label=str) -> dict:
    """``{label(group): arm_counts}`` per visit (in time order) or per parameter (in reporting order)."""
    keys = ordered_params(data[by]) if by == "PARAMCD" else sorted(set(data[by]))
    return {label(k): arm_counts(data[data[by] == k], arms=arms) for k in keys}


def _by_rows(rows: pd.DataFrame, labels: Labels | None) -> dict:
    return {parameter_info(p, labels)["short"]: row_counts(rows[rows["paramcd"] == p])
            for p in ordered_params(rows["paramcd"])}


def trajectory_caption(data: pd.DataFrame, paramcd: str, basis: str, arms=None, log: bool = False,
                       labels: Labels | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.trajectory_figure` (``log``: the log-ratio view)."""
    name = parameter_info(paramcd, labels)["label"]
    shown = (f"{name}, ratio of the geometric mean to baseline by arm and visit, log scale (supplementary)"
             if log else f"Change from baseline in {name} by arm and visit")
    method = ("Mean of log(value / baseline) with its 95% t interval, back-transformed (log_ratio_paired_t)"
              if log else "Mean change with its 95% t interval (paired t: the change_from_baseline rows)")
    counts = _by(data, "AVISITN", arms, lambda v: visit_text(v, labels))
    return style.caption(f"{shown}; {_points(arm_counts(data, arms=arms))}", n_per_arm(counts) +
                         " (per visit, subjects with a baseline value and a value at that visit)", method, basis)


def change_caption(data: pd.DataFrame, basis: str, arms=None, labels: Labels | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.change_figure` (``data``: each parameter at its main visit)."""
    counts = _by(data, "PARAMCD", arms, lambda p: parameter_info(p, labels)["short"])
    return style.caption(f"Change from baseline by arm at each parameter's main visit (panel titles); "
                         f"{_points(arm_counts(data, arms=arms))}", n_per_arm(counts),
                         "Mean change with its 95% t interval (paired t: the change_from_baseline rows)", basis)


def vs_placebo_caption(rows: pd.DataFrame, placebo: str, basis: str, labels: Labels | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.vs_placebo_figure`."""
    counts = _by_rows(rows, labels)
    return style.caption(f"Difference in change from baseline, each active arm {MINUS} {placebo}, adjusted for "
                         "baseline, at each parameter's main visit (panel titles): estimate and 95% interval",
                         n_per_arm(counts), f"ANCOVA of change on arm and baseline fitted to that arm and {placebo} "
                         "only (the vs_placebo rows); no adjustment for multiplicity", basis)


def dose_forest_caption(rows: pd.DataFrame, basis: str, labels: Labels | None = None) -> str:
    """The caption of the dose forest (:func:`msc_frailty.plots.forest_figure` of the ``vs_arm`` rows)."""
    counts = _by_rows(rows, labels)
    return style.caption(f"Difference in change from baseline between two active doses, lower {MINUS} higher, "
                         "adjusted for baseline, at each parameter's main visit (panel titles): estimate and "
                         "95% interval", n_per_arm(counts), "ANCOVA of change on arm and baseline fitted to the "
                         "two arms (the vs_arm rows); no adjustment for multiplicity", basis)


def dose_response_caption(data: pd.DataFrame, basis: str, slopes: bool = True, labels: Labels | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.dose_response_figure` (``data``: each parameter at its main visit)."""
    counts = _by(data, "PARAMCD", None, lambda p: parameter_info(p, labels)["short"])
    slope = ("; panel titles give the slope per 100 million cells adjusted for baseline, with its 95% interval "
             "(linear_trend)") if slopes else ""
    return style.caption(f"Change from baseline by dose (million cells, linear axis) at each parameter's main "
                         f"visit; {_points(arm_counts(data))}; the grey line joins the means, a guide to the eye, "
                         "not a model", n_per_arm(counts),
                         f"Mean change with its 95% t interval (paired t: the change_from_baseline rows){slope}",
                         basis)
