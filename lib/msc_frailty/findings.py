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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import analysis, numbers, stats, style
from .captions import join_and, plural
from .data import add_change
from .endpoints import (MAX_POINTS_ARM, NEUTRAL, Labels, arm_counts, arm_order, direction_text, finding_params,
                        is_whole_score, main_visit, n_text, ordered_params, outcome_at, parameter_info, pooled_arms,
                        row_counts, shows_level_shares, shows_points, time_course_plan, visit_text, words_of)
from .numbers import MINUS
from .results import round_significant

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


def interval_texts(estimate, ci_low, ci_high, signed: bool = False) -> tuple[str, str, str]:
    """An estimate and its 95% limits as text, all three with the same decimals.

    The rule of the collection's manuscript numbers (:func:`msc_frailty.numbers.interval_decimals`, as
    :func:`msc_frailty.numbers.format_value` prints them): two significant digits of the interval's half-width set
    the decimals of the estimate and both limits (half-width 45 -> 0 decimals, 7.8 -> 1, 0.43 -> 2), one more where
    an interval that excludes 0 would print a limit as 0; without a finite interval, three significant digits. Values are taken as estimates.csv writes them (6 significant
    digits); a true minus sign; ``signed``: a plus sign on a positive estimate.

    Examples
    --------
    >>> interval_texts(-12.8, -56.3, 30.8), interval_texts(0.2515, 0.0465, 0.457, signed=True)
    (('−13', '−56', '31'), ('+0.25', '0.05', '0.46'))
    >>> interval_texts(0.102, -0.0369, 0.241), interval_texts(2.0, float("nan"), float("nan"))
    (('0.10', '−0.04', '0.24'), ('2', '', ''))
    """
    est, lo, hi = (float(v) for v in round_significant([estimate, ci_low, ci_high]))   # as estimates.csv has them
    if not np.isfinite(est):
        return ("NA", "", "")
    finite = bool(np.isfinite(lo) and np.isfinite(hi))    # one finite limit alone does not set the decimals
    digits = numbers.interval_decimals(est, lo if finite else None, hi if finite else None)
    strip = not (finite and hi > lo)

    def text(v):
        return numbers.format_number(v, digits, strip) if np.isfinite(v) else ""

    shown = text(est)
    if signed and est > 0 and shown.strip("0.") != "":
        shown = "+" + shown
    return (shown, text(lo), text(hi))


def describe(row, unit: str | None = None, signed: bool = True, labels: Labels | None = None) -> str:
    """One estimate row as text: ``+35 m (95% CI 10 to 60; p = 0.012; n = 10)``, the estimate and its limits
    with the same decimals (:func:`interval_texts`).

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
    est, lo, hi = interval_texts(row["estimate"], row["ci_low"], row["ci_high"], signed=signed)
    unit = f" {unit}" if unit else ""
    n = f"n = {int(row['n'])}"
    if "n_ref" in row and pd.notna(row["n_ref"]):
        n = f"n = {int(row['n'])} vs {int(row['n_ref'])}"
    parts = [f"95% CI {lo} to {hi}" if lo and hi else "no interval"]
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
    """Subjects per parameter and visit (rows) and arm (columns) in ``chg``: with a baseline value and a value at the
    visit in change data, with a value at the visit in the values of a parameter without a baseline record
    (:func:`msc_frailty.analysis.values_at_visits`)."""
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
    # the arm as allocated; each row's n says how many it used (those with a value at that visit)
    return (f"Smallest arm: {int(arms['subjects'].min())} subjects allocated (each row's n is those it used). "
            f"{n_p} p-values in the plan's rows for {study}; "
            f"at the 5% level about {0.05 * n_p:.1f} would fall below 0.05 by chance alone if nothing changed.")


def markdown(lines) -> str:
    """Sentences of :func:`findings_lines` (or any lines: headings, then indented items) as Markdown for
    ``IPython.display.Markdown``: an indented line becomes a list item, every other line a paragraph of its own,
    "->" an arrow; empty lines are kept as paragraph breaks.

    Examples
    --------
    >>> print(markdown(["6MWD at 6 months (higher is better)", "  change in 100M: +35 m  -> favourable", "Next."]))
    6MWD at 6 months (higher is better)
    <BLANKLINE>
    - change in 100M: +35 m → favourable
    <BLANKLINE>
    Next.
    """
    out, listed = [], False
    for line in lines:
        item = line.startswith("  ")
        text = " ".join(line.split()).replace(" -> ", " → ")
        if text and out and out[-1] != "" and not (item and listed):
            out.append("")                               # a paragraph, or a list after one, opens after a blank line
        out.append(f"- {text}" if item else text)
        listed = item
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# Parameters without a baseline record: the value at each visit (msc_frailty.analysis)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FindingData:
    """What a finding's notebook analyses (:func:`finding_data`).

    Attributes
    ----------
    change : pandas.DataFrame
        Change from baseline (:func:`msc_frailty.data.add_change`) of ``change_params``.
    values : pandas.DataFrame
        The value at each visit (:func:`msc_frailty.analysis.values_at_visits`) of ``value_params``, the parameters
        without a baseline record.
    change_params, value_params : list of str
        The finding's parameters of each kind, in reporting order.
    main : dict
        ``{paramcd: main visit}`` (:func:`msc_frailty.endpoints.main_visit`) of every parameter.
    """

    change: pd.DataFrame
    values: pd.DataFrame
    change_params: list
    value_params: list
    main: dict

    @property
    def params(self) -> list[str]:
        """Every parameter of the finding, in reporting order."""
        return ordered_params([*self.change_params, *self.value_params])


def finding_data(trial, finding: str | None, labels: Labels | None = None) -> FindingData:
    """The parameters a finding analyses (:func:`msc_frailty.endpoints.finding_params`; every parameter with
    ``finding=None``, the dose comparison) and their data: change from baseline for those with a baseline record,
    the value at each visit for those without (:func:`msc_frailty.analysis.no_baseline_params`), never dropped.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> d = finding_data(load_trial("data/synthetic").study("CRATUS-P2"), "inflammation")
    >>> d.change_params, d.value_params, d.main
    (['TNFA', 'BCTNFA'], [], {'TNFA': 6.0, 'BCTNFA': 6.0})
    """
    chg, values = add_change(trial), analysis.values_at_visits(trial)
    present = [*pd.unique(chg["PARAMCD"]), *pd.unique(values["PARAMCD"])]
    params = finding_params(present, finding, labels) if finding else ordered_params(present)
    change_params = [p for p in params if p in set(chg["PARAMCD"])]
    value_params = [p for p in params if p in set(values["PARAMCD"]) and p not in change_params]
    change, values = chg[chg["PARAMCD"].isin(change_params)], values[values["PARAMCD"].isin(value_params)]
    main = {p: main_visit((change if p in change_params else values).loc[lambda d: d["PARAMCD"] == p, "AVISITN"],
                          labels) for p in params}
    return FindingData(change=change, values=values, change_params=change_params, value_params=value_params,
                       main=main)


def not_estimable(data: FindingData, arms: pd.DataFrame, between=("vs_placebo",)) -> pd.DataFrame:
    """What a finding could not estimate and why (:func:`msc_frailty.analysis.not_estimable`): per arm (change from
    baseline, or the value at the visit for a parameter without a baseline record) and for each comparison of
    ``between`` (``"vs_placebo"``, ``"vs_arm"``), for both kinds of parameter; ``arms``:
    :meth:`msc_frailty.data.TrialData.arms`."""
    parts = []
    for frame, params, per_arm in ((data.change, data.change_params, "change_from_baseline"),
                                   (data.values, data.value_params, "at_visit")):
        if params:
            parts += [analysis.not_estimable(frame, arms, c, params) for c in (per_arm, *between)]
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=analysis.NOT_ESTIMABLE_COLUMNS))


def not_estimable_markdown(data: FindingData, arms: pd.DataFrame, labels: Labels | None = None,
                           between=("vs_placebo",)) -> str:
    """What could not be estimated at each parameter's main visit, and the true reason, as a Markdown list
    (:func:`not_estimable`, :func:`not_estimable_lines`); "" when everything was."""
    lines = not_estimable_lines(not_estimable(data, arms, between), labels, data.main)
    return ("**Not estimated at the main visit, and why:**\n\n" + "\n".join(f"- {m}" for m in lines)) if lines else ""


def parameters_table(data: FindingData, labels: Labels | None = None) -> pd.DataFrame:
    """One row per parameter of a finding: its code, name, unit, direction, how it is analysed and its main visit."""
    rows = []
    for p in data.params:
        info = parameter_info(p, labels)
        rows.append({"code": p, "parameter": info["label"], "unit": info["unit"] or "not stated",
                     "direction": direction_text(p, labels),
                     "analysed as": "value at each visit (no baseline record)" if p in data.value_params
                     else "change from baseline", "main visit": visit_text(data.main[p], labels)})
    return pd.DataFrame(rows, columns=["code", "parameter", "unit", "direction", "analysed as", "main visit"])


def at_visit_rows(values: pd.DataFrame, finding: str, basis: str, params) -> pd.DataFrame:
    """The plan's rows for parameters without a baseline record: the mean value per arm and visit (``at_visit`` /
    ``t_interval``) and each active arm against placebo (``vs_placebo`` / ``welch_t``, with ``mann_whitney`` and
    ``rank_biserial`` rows for an ordinal score); :mod:`msc_frailty.analysis`."""
    return pd.concat([analysis.at_visit(values, finding, basis, params),
                      analysis.at_visit_vs_placebo(values, finding, basis, params)], ignore_index=True)


def _rank_text(rows: pd.DataFrame, r) -> str:
    """The rank test beside a Welch row ``r``: "rank test p = 0.24, rank-biserial correlation −0.34"; "" when none."""
    same = rows[(rows["paramcd"] == r["paramcd"]) & (rows["visit"] == r["visit"]) & (rows["arm"] == r["arm"])
                & (rows["ref_arm"] == r["ref_arm"]) & (rows["comparison"] == r["comparison"])]
    test, size = (same[same["method"] == m] for m in ("mann_whitney", "rank_biserial"))
    if test.empty:
        return ""
    rbc = f", rank-biserial correlation {fmt_num(size['estimate'].iloc[0], 2)}" if len(size) else ""
    return f"; Mann-Whitney rank test {format_p(test['p_value'].iloc[0])}{rbc}"


def at_visit_lines(rows: pd.DataFrame, params, visits: dict, labels: Labels | None = None) -> list[str]:
    """Sentences for each parameter without a baseline record at its main visit, in the form of
    :func:`findings_lines` (:func:`markdown` renders them): the mean value per arm, each arm against its
    comparator (Welch; the rank test beside it for an ordinal score) with its :func:`verdict`.

    ``rows``: :func:`at_visit_rows` or :func:`msc_frailty.analysis.at_visit_vs_arm` rows.
    """
    lines = []
    for p in params:
        info = parameter_info(p, labels)
        lines.append(f"{info['label']} at {visit_text(visits[p], labels)} ({direction_text(p, labels)}; "
                     f"{analysis.NO_BASELINE})")
        mine = rows[(rows["paramcd"] == p) & (rows["visit"] == visits[p])]
        for _, r in mine[mine["comparison"] == "at_visit"].iterrows():
            lines.append(f"  mean in {r['arm']}: {describe(r, signed=False, labels=labels)}")
        for _, r in mine[(mine["method"] == "welch_t") & (mine["ref_arm"] != "")].iterrows():
            lines.append(f"  {r['arm']} vs {r['ref_arm']} (difference in means, Welch): "
                         f"{describe(r, labels=labels)}{_rank_text(mine, r)}  -> {verdict(r, labels=labels)}")
        lines.append("")
    return lines


def not_estimable_lines(reasons: pd.DataFrame, labels: Labels | None = None, visits: dict | None = None) -> list[str]:
    """What could not be estimated and why (:func:`msc_frailty.analysis.not_estimable`), one line per parameter,
    comparison and arm or pair, its visits together: "Serum TNF-α, Low vs Control at 2 months: not estimable: one
    subject in Low". With ``visits`` (``{paramcd: visit}``) only those at each parameter's main visit (and the
    reasons that hold at every visit, such as "no placebo arm").

    Examples
    --------
    >>> reasons = pd.DataFrame({"study": "S", "paramcd": "TNFA", "visit": [2.0, 4.0], "comparison": "vs_placebo",
    ...                         "arm": "Low", "ref_arm": "Control", "reason": "one subject in Low"})
    >>> not_estimable_lines(reasons)
    ['Serum TNF-α, Low vs Control at 2 and 4 months: not estimable: one subject in Low']
    """
    if visits is not None:
        reasons = reasons.loc[np.array([pd.isna(v) or visits.get(p) == v
                                        for p, v in zip(reasons["paramcd"], reasons["visit"])], dtype=bool)]
    lines = []
    for p in ordered_params(reasons["paramcd"]):
        mine = reasons[reasons["paramcd"] == p]
        for (arm, ref, why), g in mine.groupby(["arm", "ref_arm", "reason"], sort=False):
            who = f", {arm} vs {ref}" if ref else f", {arm}" if arm else ""
            at = sorted(float(v) for v in g["visit"] if pd.notna(v))
            when = f" at {visits_text(at, labels)}" if at else ""
            lead = "" if why.startswith("no spread") else "not estimable: "     # a difference without an interval
            lines.append(f"{parameter_info(p, labels)['short']}{who}{when}: {lead}{why}")
    return lines


def visits_text(visits, labels: Labels | None = None) -> str:
    """Several visits in words: "2 and 4 months", or their AVISIT labels ("Week 4 and Week 12").

    Examples
    --------
    >>> visits_text([2.0, 4.0]), visits_text([12.0], Labels(visit_unit="weeks", visit_labels={12.0: "Week 12"}))
    ('2 and 4 months', 'Week 12')
    """
    unit = labels.visit_unit if labels is not None else "months"
    if (labels is not None and all(float(v) in labels.visit_labels for v in visits)) or not unit:
        return join_and([visit_text(v, labels) for v in visits])
    return f"{join_and([f'{v:g}' for v in visits])} {unit}"


def summary_table(rows: pd.DataFrame, params, visits: dict, arms, labels: Labels | None = None,
                  value_params=()) -> pd.DataFrame:
    """One row per parameter at its main visit, for a notebook with many of them (a real adlb has dozens): name,
    unit, how it is analysed, the visit, n per arm, the estimate per arm (mean change from baseline, or the mean
    value for a parameter without a baseline record) and each active arm against placebo (the ANCOVA difference,
    or the Welch difference in means), as text with the 95% interval (:func:`interval_texts`).

    ``rows``: the notebook's estimate rows (:func:`efficacy_rows` and :func:`at_visit_rows`); ``arms`` in order;
    ``value_params`` the parameters without a baseline record.
    """
    arms = list(arms)
    out = []
    for p in params:
        info = parameter_info(p, labels)
        mine = rows[(rows["paramcd"] == p) & (rows["visit"] == visits[p])]
        value = p in value_params
        per_arm = mine[mine["comparison"].isin(["at_visit", "change_from_baseline", "pooled_change_from_baseline"])]
        vs = mine[(mine["comparison"] == "vs_placebo") & (mine["method"] == ("welch_t" if value else "ancova"))]
        row = {"parameter": info["label"], "unit": info["unit"] or "not stated",
               "analysed as": "value at the visit (no baseline)" if value else "change from baseline",
               "visit": visit_text(visits[p], labels),
               "n per arm": ", ".join(f"{a} {int(n)}" for a, n in zip(per_arm["arm"], per_arm["n"]))}
        for a in dict.fromkeys(arms + (["All"] if (per_arm["arm"] == "All").any() else [])):
            hit = per_arm[per_arm["arm"] == a]
            row[a] = _interval_cell(hit.iloc[0]) if len(hit) else ""
        for _, r in vs.iterrows():
            row[f"{r['arm']} vs {r['ref_arm']}"] = _interval_cell(r, signed=True) + f"; {format_p(r['p_value'])}"
        out.append(row)
    return pd.DataFrame(out).fillna("")


def _interval_cell(r, signed: bool = False) -> str:
    est, lo, hi = interval_texts(r["estimate"], r["ci_low"], r["ci_high"], signed=signed)
    return f"{est} ({lo} to {hi})" if lo and hi else est


def endpoints_sentence(params, value_params, labels: Labels | None = None, what: str = "other endpoint") -> str:
    """How many parameters a notebook analyses and which, in one sentence: "3 other endpoints: CRP (mg/L), IL-6 and
    Patient Global Impression of Change (no baseline record: analysed as the value at each visit)."

    Examples
    --------
    >>> endpoints_sentence(["CRP", "PGIC"], ["PGIC"])
    '2 other endpoints: CRP and PGIC (no baseline record: analysed as the value at each visit).'
    >>> endpoints_sentence([], [])
    'No other endpoint in this data set.'
    """
    if not len(params):
        return f"No {what} in this data set."

    def name(p):
        info = parameter_info(p, labels)
        unit = f" ({info['unit']})" if info["unit"] else ""
        return info["label"] + unit + (f" ({analysis.NO_BASELINE})" if p in value_params else "")

    return f"{plural(len(params), what)}: {join_and([name(p) for p in params])}."


# --------------------------------------------------------------------------------------------------
# Doses: the shape of the means, and the pairs on one standardized axis
# --------------------------------------------------------------------------------------------------

#: A difference between the means of two doses counts as a rise or a fall only when it exceeds this many standard
#: errors of that difference (:func:`dose_steps`); a smaller one is within sampling noise. One standard error is a
#: descriptive threshold, not a test: with three doses of 10 subjects, means on a true straight line rising by 0.35
#: SD a dose are called "not monotone" about 7% of the time, equal true means about 14%, and a true peak of 0.5 SD
#: at the middle dose is found about 40% of the time (seeded Monte Carlo, tests/test_findings.py); with more doses
#: there are more pairs, and false calls are more frequent.
CLEAR_STEP_SE = 1.0


def dose_means(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A") -> pd.DataFrame:
    """Per dose: its arms (``"25M"``, joined by " / " when several share the dose; ``"dose 25"`` without a ``hue``
    column), n, mean, SD and standard error of the mean of ``y`` (missing values left out), in dose order.

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01AN": [0, 0, 100, 100], "TRT01A": ["P", "P", "H", "H"], "CHG": [1.0, 3.0, 5.0, 9.0]})
    >>> dose_means(d)[["dose", "arms", "n", "mean", "se"]].values.tolist()
    [[0, 'P', 2, 2.0, 1.0], [100, 'H', 2, 7.0, 2.0]]
    """
    d = data[[c for c in dict.fromkeys([x, y, hue]) if c in data.columns]].dropna(subset=[y])
    rows = []
    for dose, g in d.groupby(x, sort=True):
        v = g[y].to_numpy(dtype=float)
        sd = float(v.std(ddof=1)) if v.size > 1 else np.nan
        arms = " / ".join(dict.fromkeys(g[hue].astype(str))) if hue in g.columns else f"dose {dose:g}"
        rows.append({"dose": dose, "arms": arms, "n": int(v.size),
                     "mean": float(v.mean()), "sd": sd, "se": sd / math.sqrt(v.size)})
    return pd.DataFrame(rows, columns=["dose", "arms", "n", "mean", "sd", "se"])


def dose_steps(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A",
               threshold: float = CLEAR_STEP_SE) -> pd.DataFrame:
    """Every pair of doses (lower, higher): the difference of their means (higher − lower), its standard error
    sqrt(s_low²/n_low + s_high²/n_high), their ratio ``z`` (Welch's t statistic) and whether the difference is
    ``clear``: larger than ``threshold`` standard errors (:data:`CLEAR_STEP_SE`). A dose of one subject has no
    standard error: its differences are never clear.

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01AN": [0, 0, 100, 100], "TRT01A": ["P", "P", "H", "H"], "CHG": [1.0, 3.0, 5.0, 9.0]})
    >>> r = dose_steps(d).iloc[0]
    >>> float(r["difference"]), round(float(r["se"]), 4), round(float(r["z"]), 4), bool(r["clear"])
    (5.0, 2.2361, 2.2361, True)
    """
    if not (np.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"dose_steps: threshold must be a finite number >= 0, got {threshold!r}")
    m = dose_means(data, x, y, hue)
    rows = []
    for i in range(len(m)):
        for j in range(i + 1, len(m)):
            lo, hi = m.iloc[i], m.iloc[j]
            se = math.sqrt(lo["se"] ** 2 + hi["se"] ** 2)
            diff = hi["mean"] - lo["mean"]
            # no spread at all: a difference is as clear as can be (an infinite z); no difference, none
            z = diff / se if se > 0 else math.copysign(math.inf, diff) if diff != 0 and se == 0 else np.nan
            rows.append({"dose_low": lo["dose"], "dose_high": hi["dose"], "arms_low": lo["arms"],
                         "arms_high": hi["arms"], "mean_low": lo["mean"], "mean_high": hi["mean"],
                         "difference": diff, "se": se, "z": z, "clear": bool(not np.isnan(z) and abs(z) > threshold)})
    return pd.DataFrame(rows, columns=["dose_low", "dose_high", "arms_low", "arms_high", "mean_low", "mean_high",
                                       "difference", "se", "z", "clear"])


def dose_pattern(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A",
                 threshold: float = CLEAR_STEP_SE) -> str | None:
    """The shape of the means of ``y`` by dose ``x``, judged against their sampling noise (:func:`dose_steps`).

    ``"not monotone"`` when they rise and fall: some higher dose has a clearly larger mean than some lower one (a
    clear rise) and some higher dose a clearly smaller mean than some lower one (a clear fall), each difference
    larger than ``threshold`` standard errors of itself; ``"rising"`` or ``"falling"`` when the clear differences
    all go one way; ``"level"`` when no two doses differ clearly; None with fewer than two doses. Smaller wiggles
    (0.4, −0.8, −6.8, 28, 43 m with standard errors of 11 to 25 m) are not called a fall.

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01AN": [0, 0, 100, 100, 200, 200], "CHG": [0.0, 2.0, 5.0, 7.0, 3.0, 3.5]})
    >>> d["TRT01A"] = d["TRT01AN"].astype(str)
    >>> dose_pattern(d), dose_pattern(d[d.TRT01AN < 200]), dose_pattern(d.assign(CHG=-d.TRT01AN))
    ('not monotone', 'rising', 'falling')
    """
    steps = dose_steps(data, x, y, hue, threshold)
    if steps.empty:
        return None
    clear = steps[steps["clear"]]
    rise, fall = bool((clear["difference"] > 0).any()), bool((clear["difference"] < 0).any())
    return "not monotone" if rise and fall else "rising" if rise else "falling" if fall else "level"


def _step_text(r, digits: int) -> str:
    way = "a rise" if r["difference"] > 0 else "a fall"
    return (f"{way} from {numbers.format_number(r['mean_low'], digits)} in {r['arms_low']} to "
            f"{numbers.format_number(r['mean_high'], digits)} in {r['arms_high']}")


def rise_and_fall(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A",
                  threshold: float = CLEAR_STEP_SE) -> str:
    """What makes the means of a :func:`dose_pattern` ``"not monotone"``, in words: its clearest rise and its
    clearest fall (largest ``|z|``), with the means, the arms and each difference's standard error, at the decimals
    that give the smaller standard error two significant digits; ``""`` when the means do not rise and fall.

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01AN": [0, 0, 100, 100, 200, 200], "CHG": [0.0, 2.0, 5.0, 7.0, 3.0, 3.5]})
    >>> d["TRT01A"] = d["TRT01AN"].map({0: "Placebo", 100: "100M", 200: "200M"})
    >>> for part in rise_and_fall(d).split(", and "):
    ...     print(part)
    a rise from 1.0 in Placebo to 6.0 in 100M, standard error 1.4
    a fall from 6.0 in 100M to 3.3 in 200M, standard error 1.0
    """
    if dose_pattern(data, x, y, hue, threshold) != "not monotone":
        return ""
    clear = dose_steps(data, x, y, hue, threshold).query("clear")
    rise = clear[clear["difference"] > 0].sort_values("z", ascending=False, kind="stable").iloc[0]
    fall = clear[clear["difference"] < 0].sort_values("z", kind="stable").iloc[0]
    se = dict(zip(("rise", "fall"), round_significant([rise["se"], fall["se"]])))   # as estimates.csv would write them
    digits = numbers.significant_decimals(min(se.values()), 2)
    ses = [numbers.format_number(v, max(digits, numbers.significant_decimals(v, 2))) for v in se.values()]
    return (f"{_step_text(rise, digits)}, standard error {ses[0]}, and {_step_text(fall, digits)}, "
            f"standard error {ses[1]}")


def dose_shape(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A",
               threshold: float = CLEAR_STEP_SE) -> str:
    """The shape of the means by dose (:func:`dose_pattern`) as a clause: whether they rise and fall by more than
    their noise, and where; ``""`` with fewer than two doses.

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01AN": [0, 0, 100, 100], "TRT01A": ["P", "P", "H", "H"], "CHG": [1.0, 3.0, 5.0, 9.0]})
    >>> dose_shape(d)
    'no fall between two doses is larger than its standard error'
    >>> dose_shape(d.assign(CHG=[1.0, 3.0, 2.0, 4.0]))
    'no two doses differ by more than the standard error of their difference'
    """
    pattern = dose_pattern(data, x, y, hue, threshold)
    if pattern == "not monotone":
        return "the means rise and fall: " + rise_and_fall(data, x, y, hue, threshold)
    return {"rising": "no fall between two doses is larger than its standard error",
            "falling": "no rise between two doses is larger than its standard error",
            "level": "no two doses differ by more than the standard error of their difference"}.get(pattern, "")


def pooled_sd(x, y) -> float:
    """The pooled SD of two groups: sqrt(((n_x − 1) s_x² + (n_y − 1) s_y²) / (n_x + n_y − 2)).

    Examples
    --------
    >>> round(pooled_sd([1.0, 2.0, 3.0], [2.0, 4.0, 6.0, 8.0]), 4)
    2.0976
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < 2 or y.size < 2:
        raise ValueError("pooled_sd needs at least 2 values per group")
    return float(math.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2)))


def standardized_pairs(rows: pd.DataFrame, chg: pd.DataFrame, labels: Labels | None = None,
                       y: str = "CHG") -> pd.DataFrame:
    """Two-arm ANCOVA differences (estimate = ``arm`` − ``ref_arm``) on one standardized axis: the dose pairs
    (``vs_arm`` rows: lower − higher dose; the dose forest) and each active arm against placebo (``vs_placebo`` rows:
    arm − placebo; the forests of the physical_performance and inflammation notebooks).

    Each row's ANCOVA difference and its 95% interval are divided by the pooled SD of the change from baseline
    of the two arms (:func:`pooled_sd`, the same subjects and visit as the ANCOVA): a standardized mean
    difference (SMD) whose interval is the ANCOVA interval on that scale (the SD taken as fixed), so it excludes
    0 exactly when the ANCOVA interval does. Where lower is better the sign is reversed (``sign`` −1), so that
    a positive value favours ``arm`` (the lower dose, or the active arm) for every outcome with a stated direction;
    an outcome without one keeps its sign (``sign`` 0) and favours no side.

    Parameters
    ----------
    rows : pandas.DataFrame
        ANCOVA rows of :func:`msc_frailty.analysis.vs_arm` or :func:`msc_frailty.analysis.vs_placebo` (paramcd,
        visit, arm, ref_arm, n, n_ref, estimate, ci_low, ci_high).
    chg : pandas.DataFrame
        The change data they were computed from (:func:`msc_frailty.data.add_change`).
    labels : Labels, optional
        The trial's labels: the direction of each parameter.
    y : str
        The column the rows compare: ``"CHG"``, or ``"AVAL"`` for the Welch differences of a parameter without a
        baseline record (:func:`msc_frailty.analysis.at_visit_vs_arm`; ``chg`` then the values of
        :func:`msc_frailty.analysis.values_at_visits`), divided by the pooled SD of the values.

    Returns
    -------
    pandas.DataFrame
        ``rows`` with sd, sign, smd, smd_low and smd_high added.

    Raises
    ------
    ValueError
        When the change data do not hold the row's n and n_ref subjects (they are not the data of the rows).
    """
    out = rows.copy()
    sds, signs = [], []
    for _, r in rows.iterrows():
        cell = chg[(chg["PARAMCD"] == r["paramcd"]) & (chg["AVISITN"].astype(float) == float(r["visit"]))]
        a, b = (cell.loc[cell["TRT01A"] == arm, y].dropna() for arm in (r["arm"], r["ref_arm"]))
        if (len(a), len(b)) != (int(r["n"]), int(r["n_ref"])):
            raise ValueError(f"standardized_pairs: {r['paramcd']} at visit {r['visit']:g}, {r['arm']} vs "
                             f"{r['ref_arm']}: the data hold {len(a)} and {len(b)} subjects, the row "
                             f"{int(r['n'])} and {int(r['n_ref'])}")
        sds.append(pooled_sd(a, b))
        better_up = parameter_info(r["paramcd"], labels)["higher_is_better"]
        signs.append(0 if better_up is None else 1 if better_up else -1)
    sd = np.asarray(sds, dtype=float)
    scale = np.where(np.asarray(signs) == -1, -1.0, 1.0) / np.where(sd > 0, sd, np.nan)
    ends = np.sort(np.column_stack([out["ci_low"].to_numpy(float) * scale, out["ci_high"].to_numpy(float) * scale]),
                   axis=1) if len(out) else np.empty((0, 2))
    return out.assign(sd=sd, sign=np.asarray(signs, dtype=int), smd=out["estimate"].to_numpy(float) * scale,
                      smd_low=ends[:, 0], smd_high=ends[:, 1])


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


def in_sentence(label: str) -> str:
    """A parameter's label inside a sentence: a first word in title case loses its capital unless every word is
    in title case (a name such as "Short Physical Performance Battery") or it is not an ordinary word.

    Examples
    --------
    >>> in_sentence("Serum TNF-\u03b1"), in_sentence("Short Physical Performance Battery"), in_sentence("ADAS-Cog total")
    ('serum TNF-α', 'Short Physical Performance Battery', 'ADAS-Cog total')
    """
    words = str(label).split()
    if words and words[0].isalpha() and words[0].istitle() and not all(w.istitle() for w in words[1:]):
        return label[0].lower() + label[1:]
    return label


def _panels(keys, label) -> str:
    """``"a, 6MWD; b, SPPB"``: the panel letters of :func:`msc_frailty.style.panel_letters` and what each shows."""
    return "; ".join(f"{'abcdefghijklmnopqrstuvwxyz'[i]}, {label(k)}" for i, k in enumerate(keys))


def _by(data: pd.DataFrame, by: str, arms=None, label=str) -> dict:
    """``{label(group): arm_counts}`` per visit (in time order) or per parameter (in reporting order)."""
    keys = ordered_params(data[by]) if by == "PARAMCD" else sorted(set(data[by]))
    return {label(k): arm_counts(data[data[by] == k], arms=arms) for k in keys}


def _by_rows(rows: pd.DataFrame, labels: Labels | None) -> dict:
    return {parameter_info(p, labels)["short"]: row_counts(rows[rows["paramcd"] == p])
            for p in ordered_params(rows["paramcd"])}


def _subjects(points: bool, whole: bool, where: str) -> str:
    """What the small symbols are and where (``where``, e.g. "around their arm's mean"), or why there are none."""
    if not points:
        return (f"means and intervals only: every arm has more than {MAX_POINTS_ARM} subjects, too many to show "
                "each one")
    spread = "stacked side by side where subjects share a value" if whole else "spread by a seeded random jitter"
    return f"small symbols are individual subjects, {where} ({spread})"


def _stacked(data: pd.DataFrame) -> str:
    """The words for panels of several parameters of which some are whole-number scores (stacked, not jittered)."""
    if not any(is_whole_score(g["CHG"]) for _, g in data.groupby("PARAMCD")) or not shows_points(arm_counts(data)):
        return ""
    return "; whole-number scores are stacked side by side where subjects share a value"


def _pooled_note(pooled) -> str:
    return (f"{', '.join(pooled)} (the active arms pooled) is drawn as means only: its subjects are those of the "
            "other arms" if pooled else "")


def _offsets(plan, unit: str) -> str:
    """How far the arms of a time course (:func:`msc_frailty.endpoints.time_course_plan`) are offset; "" when not."""
    if plan.step <= 0:
        return ""
    step, spread, gap = (numbers.format_number(v, numbers.significant_decimals(v, 2), strip=True)
                         for v in (plan.step, plan.spread, plan.gap))    # two significant digits
    return (f"arms offset horizontally by {step} {unit} from one another ({spread} {unit} in all, under a third of "
            f"the {gap} {unit} between visits)")


def trajectory_caption(data: pd.DataFrame, paramcd: str, basis: str, arms=None, log: bool = False,
                       labels: Labels | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.trajectory_figure` (``log``: the log-ratio view, ``data`` with LCHG):
    the layout of :func:`msc_frailty.endpoints.time_course_plan`, what each mark is, the offsets, n per arm and
    visit."""
    plan = time_course_plan(data, arms, y="LCHG" if log else "CHG")
    name = parameter_info(paramcd, labels)["label"]
    name = name if log else in_sentence(name)      # the log view opens with the name
    unit = (labels.visit_unit if labels is not None else "months") or "visit units"
    shown = (f"{name}, ratio of the geometric mean to baseline by arm and visit, log scale (supplementary)"
             if log else f"Change from baseline in {name} by arm and visit")
    if plan.per_arm:
        shown += f"; one panel per arm ({_panels(plan.arms, str)}), shared axes"
    where = ("to the right of each mean" if plan.per_arm or len(plan.arms) < 2 else
             "in a lane to the right of their arm's mean, clear of it and of the next arm's mean and interval")
    marks = ["large symbols are arm means" + (" of log(value / baseline), shown as ratios" if log else "")
             + " with their 95% intervals", _subjects(plan.points, plan.whole, where),
             _pooled_note(plan.pooled),
             f"open symbols at 0 {unit} mark baseline, where the {'ratio is 1' if log else 'change is 0'} by "
             "definition", "lines join the arm means as a guide to the eye"]
    marks.append(_offsets(plan, unit))
    counts = _by(data, "AVISITN", plan.arms, lambda v: visit_text(v, labels))
    n = (n_per_arm(counts) + "; at each visit, the subjects with a baseline value and a value at that visit (a "
         "subject who missed a visit is left out of it)")
    method = ("Interval: paired t interval of the mean of log(value / baseline), back-transformed; a value of 0 or "
              "less cannot be logged and is left out" if log else
              "Interval: paired t interval of the mean change from baseline")
    return style.caption(f"{shown}; " + "; ".join(m for m in marks if m), n, method, basis)


def at_visit_caption(data: pd.DataFrame, paramcd: str, basis: str, arms=None, labels: Labels | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.at_visit_figure` (``data``: the values of one parameter without a
    baseline record, :func:`msc_frailty.analysis.values_at_visits`): what is shown (the value itself, not a
    change), the layout of :func:`msc_frailty.endpoints.time_course_plan`, what each mark is, n per arm and visit."""
    plan = time_course_plan(data, arms, y="AVAL")
    name = in_sentence(parameter_info(paramcd, labels)["label"])
    unit = (labels.visit_unit if labels is not None else "months") or "visit units"
    shown = (f"{name[0].upper()}{name[1:]} by arm and visit: the value at each visit, not a change from baseline "
             "(the data set holds no baseline value of it)")
    if plan.per_arm:
        shown += f"; one panel per arm ({_panels(plan.arms, str)}), shared axes"
    where = ("to the right of each mean" if plan.per_arm or len(plan.arms) < 2 else
             "in a lane to the right of their arm's mean, clear of it and of the next arm's mean and interval")
    marks = ["large symbols are arm means with their 95% intervals", _subjects(plan.points, plan.whole, where),
             "lines join the arm means as a guide to the eye", _offsets(plan, unit)]
    if shows_level_shares(data, plan):    # plots.level_shares beside the means
        visit = visit_text(main_visit(plan.visits, labels), labels)
        shown = f"{shown.replace(' by arm and visit', ' by arm and visit (a)', 1)}"
        marks.append(f"b, the share of each arm's subjects at each level of the score at {visit} (lowest level on the "
                     "left, darker shades for higher levels; shares of 7% or more written in the bars), n beside each "
                     "arm")
    counts = _by(data, "AVISITN", plan.arms, lambda v: visit_text(v, labels))
    n = (n_per_arm(counts) + "; at each visit, the subjects with a value at that visit (a subject who missed a "
         "visit is left out of it)")
    return style.caption(f"{shown}; " + "; ".join(m for m in marks if m), n,
                         "Interval: t interval of the mean value at the visit", basis)


def change_caption(data: pd.DataFrame, basis: str, arms=None, labels: Labels | None = None,
                   visits: dict | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.change_figure` (``data``: each parameter at its main visit)."""
    arms = [a for a in (arms if arms is not None else arm_order(data)) if a in set(data["TRT01A"])]
    params = ordered_params(data["PARAMCD"])

    def what(p):
        return outcome_at(p, visits, labels, " at ")

    pooled = pooled_arms(data, arms)
    own = data[~data["TRT01A"].isin(pooled)]
    counts = _by(data, "PARAMCD", arms, lambda p: parameter_info(p, labels)["short"])
    where = _panels(params, what) if len(params) > 1 else what(params[0]) if params else ""
    marks = ["large symbols are arm means with their 95% intervals",
             _subjects(shows_points(arm_counts(own)), False, "in a strip under their arm's mean") + _stacked(own),
             _pooled_note(pooled)]
    return style.caption(f"Change from baseline by arm at each outcome's main visit ({where}); "
                         + "; ".join(m for m in marks if m), n_per_arm(counts),
                         "Interval: paired t interval of the mean change from baseline", basis)


def _standardized_marks(rows: pd.DataFrame, labels, difference: str, pooled_over: str, symbols: str,
                        favoured: str, beside_n: str, model: str = "ANCOVA", of: str = "change") -> list[str]:
    """What the marks of a :func:`msc_frailty.plots.standardized_forest` are, which outcomes are reversed and which
    have no stated direction; ``model`` names the difference and its interval, ``of`` what the SD is of."""
    params = ordered_params(rows["paramcd"])
    short = {p: parameter_info(p, labels)["short"] for p in params}
    flipped = [short[p] for p in params if (rows.loc[rows["paramcd"] == p, "sign"] == -1).any()]
    blind = [short[p] for p in params if (rows.loc[rows["paramcd"] == p, "sign"] == 0).any()]
    marks = [f"{symbols} are the {model} difference ({difference}) divided by the pooled SD of {of} of {pooled_over}, "
             "a standardized mean difference (SMD); bars are its 95% CI on the same scale (the SD taken as fixed, so "
             f"a bar excludes 0 exactly when the {model} interval does); beside each row, the same difference and CI "
             f"in the outcome's own unit{', never reversed,' if flipped else ''} and {beside_n}"]
    if flipped:
        marks.append(f"for {', '.join(map(in_sentence, flipped))}, where lower is better, the sign of the SMD is "
                     f"reversed, so that right of 0 favours {favoured} for every outcome with a stated direction")
    elif len(blind) < len(params):
        marks.append(f"right of 0 favours {favoured}")
    if blind:
        marks.append(f"{', '.join(blind)} had no stated direction: drawn as measured, with open symbols, "
                     "favouring no side")
    return marks


def vs_placebo_caption(rows: pd.DataFrame, placebo: str, basis: str, labels: Labels | None = None,
                       visits: dict | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.vs_placebo_figure` (``rows``: :func:`standardized_pairs` of the
    ANCOVA rows against placebo)."""
    arms = list(dict.fromkeys(rows["arm"]))
    favoured = arms[0] if len(arms) == 1 else "the active arm"
    marks = _standardized_marks(rows, labels, f"arm {MINUS} {placebo}", f"that arm and {placebo}",
                                "symbols (each arm's colour and marker)", favoured, f"n (arm, {placebo})")
    return style.caption(f"Each active arm compared with {placebo} at each outcome's main visit: difference in change "
                         "from baseline, adjusted for baseline, one row per outcome and arm on one standardized axis; "
                         + "; ".join(marks), n_per_arm(_by_rows(rows, labels)),
                         f"Analysis of covariance (ANCOVA) of change on arm and baseline, fitted to that arm and "
                         f"{placebo} only; no adjustment for multiplicity", basis)


def dose_forest_caption(rows: pd.DataFrame, basis: str, labels: Labels | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.dose_forest_figure` (``rows``: :func:`standardized_pairs`)."""
    marks = _standardized_marks(rows, labels, f"lower {MINUS} higher dose", "the two doses", "symbols",
                                "the lower dose", "n per dose")
    return style.caption("Each pair of active doses compared directly at each outcome's main visit: difference in "
                         "change from baseline, adjusted for baseline, one row per outcome and pair on one "
                         "standardized axis; " + "; ".join(marks), n_per_arm(_by_rows(rows, labels)),
                         "Analysis of covariance (ANCOVA) of change on dose group and baseline, fitted to the two "
                         "doses of each pair; no adjustment for multiplicity", basis)


def dose_forest_at_visit_caption(rows: pd.DataFrame, basis: str, labels: Labels | None = None,
                                 ranks: pd.DataFrame | None = None) -> str:
    """The caption of the dose forest of the parameters without a baseline record
    (:func:`msc_frailty.plots.dose_forest_figure` of :func:`standardized_pairs` of the ``vs_arm`` / ``welch_t`` rows,
    ``y="AVAL"``): the difference in the mean value between two doses, no baseline to adjust for; with ``ranks``
    (their ``mann_whitney`` rows) the rank test of each pair in words."""
    marks = _standardized_marks(rows, labels, f"lower {MINUS} higher dose", "the two doses", "symbols",
                                "the lower dose", "n per dose", model="Welch", of="the value")
    method = ("Welch's t interval of the difference in means between the two doses of each pair; no adjustment for "
              "multiplicity")
    if ranks is not None and len(ranks):
        tests = [f"{outcome_at(r['paramcd'], {r['paramcd']: r['visit']}, labels, ' at ')}, {r['arm']} vs "
                 f"{r['ref_arm']}, {format_p(r['p_value'])}" for _, r in ranks.iterrows()]
        method += "; Mann-Whitney rank test of each pair of an ordinal score, not drawn: " + "; ".join(tests)
    return style.caption("Each pair of active doses compared directly at each outcome's main visit, for outcomes the "
                         "data set holds no baseline value of: difference in the mean value at the visit (not a "
                         "change), one row per outcome and pair on one standardized axis; " + "; ".join(marks),
                         n_per_arm(_by_rows(rows, labels)), method, basis)


def dose_response_caption(data: pd.DataFrame, basis: str, trend: pd.DataFrame | None = None,
                          labels: Labels | None = None, visits: dict | None = None) -> str:
    """The caption of :func:`msc_frailty.plots.dose_response_figure` (``data``: each parameter at its main visit):
    the marks, which panels' means rise and fall by more than their noise (:func:`dose_pattern`, in the words of
    :func:`rise_and_fall`), and the trend test of each parameter from ``trend``
    (:func:`msc_frailty.analysis.dose_trend` rows), which the figure does not draw."""
    params = ordered_params(data["PARAMCD"])
    letters = {p: "abcdefghijklmnopqrstuvwxyz"[i] for i, p in enumerate(params)} if len(params) > 1 else {}

    def what(p):
        text = outcome_at(p, visits, labels, " at ")
        return f"{text} ({letters[p]})" if p in letters else text

    counts = _by(data, "PARAMCD", None, lambda p: parameter_info(p, labels)["short"])
    pattern = {p: dose_pattern(data[data["PARAMCD"] == p]) for p in params}
    bumpy = [p for p in params if pattern[p] == "not monotone"]
    marks = ["large symbols are the arm means with their 95% intervals (paired t interval of the mean change)",
             _subjects(shows_points(arm_counts(data)), False, "to the right of their dose's mean") + _stacked(data),
             "the grey line joins the means in dose order, a guide to the eye, not a model"]
    for p in bumpy:
        short = parameter_info(p, labels)["short"]      # the name in a sentence, then its visit ("at Week 26")
        named = in_sentence(short) + what(p)[len(short):] if what(p).startswith(short) else in_sentence(what(p))
        marks.append(f"for {named} the means rise and fall, so the linear trend summarizes them only "
                     "roughly: " + rise_and_fall(data[data["PARAMCD"] == p]))
    judged = [p for p in params if pattern[p] is not None]
    if judged:
        # the rule, and what it says of the panels it does not flag (their means may still wiggle within noise)
        rule = ("a rise or a fall between two doses counts only when it is larger than the standard error of that "
                "difference")
        rest = len(judged) - len(bumpy)
        if rest and bumpy:
            rule += ("; in the other panel" + ("s" if rest > 1 else "")
                     + " the means do not both rise and fall by that much")
        elif rest:
            rule += "; in no panel do the means both rise and fall by that much" if rest > 1 else \
                "; the means do not both rise and fall by that much"
        marks.append(rule)
    words = words_of(labels)          # the study's dose unit (studies.csv), none when nobody stated it
    shown = (f"Change from baseline by dose ({words.dose_unit + ', ' if words.dose_unit else ''}linear axis) at each "
             "outcome's main visit; " + "; ".join(marks))
    method = ""
    if trend is not None and len(trend):
        placebo = (data["TRT01AN"] == 0).any()
        tests = []
        for p in params:
            for _, r in trend[trend["paramcd"] == p].iterrows():
                tests.append(f"{what(p)}, {describe(r, labels=labels)}"
                             + (", a rough summary of means that rise and fall" if p in bumpy else ""))
        method = (f"Trend test, not drawn: slope of change {words.per_dose} from an analysis of covariance "
                  f"(ANCOVA) of change on dose and baseline over all arms{' (placebo as dose 0)' if placebo else ''}: "
                  + "; ".join(tests))
    return style.caption(shown, n_per_arm(counts), method, basis)
