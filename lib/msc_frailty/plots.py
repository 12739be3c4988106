"""Shared figures and report helpers of the efficacy notebooks.

Used by ``physical_performance``, ``inflammation`` and ``dose_comparison`` so that no code is copied
between notebooks. Every plotting function takes a tidy DataFrame (``data=``) with seaborn-like
column arguments (``x=``, ``y=``, ``hue=``), draws on an ``ax`` (a new one when none is given) and
returns it; :func:`facet` lays one panel per value of a column. Colours come from
:func:`msc_frailty.style.arm_color` (one fixed colour per arm), axis labels from
:func:`msc_frailty.style.direction_label` (which way is better, when known). Nothing here draws random numbers:
intervals are t intervals, not bootstraps, so figures are deterministic.

Also here, because all the efficacy notebooks need them: what a trial's figures may say about its
parameters and visits (:func:`resolve_labels`, :func:`parameter_info`), the choice of the main visit
(:func:`main_visit`), the data-basis
banner (:func:`basis_banner`), sentence formatting of estimate rows (:func:`describe`) and the
supplementary log-scale analysis of positive, skewed markers such as TNF-alpha (:func:`log_ratio`).

Labels, units and directions (contract section 1, "Real ADaM data")
--------------------------------------------------------------------
- A parameter's name, unit and direction: the built-in :data:`msc_frailty.data.PARAMETERS` are the
  default; a non-empty cell of the data set's ``params.csv`` overrides it; a code neither knows is named
  by the data's ``PARAM`` (else by the code), has no unit and no direction.
- No text states "higher/lower is better" unless a direction is known; :func:`verdict` then says
  :data:`NEUTRAL` instead of "favourable".
- A parameter's finding: ``params.csv`` ``finding``, else the built-in group; anything else is analysed
  by the neutral ``other_endpoints`` notebook (:func:`finding_params`).
- Visits: without ``AVISIT`` AVISITN is in months (the contract's default); with it, the unit is the one
  the post-baseline labels name ("Week 12" -> weeks; several or none -> not stated) and panel titles use
  the labels. Every function takes these as ``labels=`` (a :class:`Labels`); without, the built-in texts,
  so the default figures are unchanged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import analysis, names, stats, style
from .data import PARAMETERS

#: The 15 columns of an analysis-plan row; ``analysis.ESTIMATE_COLUMNS`` may add more (filled with "").
_PLAN_COLUMNS = ["finding", "study", "paramcd", "visit", "comparison", "arm", "ref_arm", "n", "n_ref",
                 "estimate", "ci_low", "ci_high", "p_value", "method", "basis"]

#: Physical-performance and patient-reported physical parameters, in reporting order.
PHYSICAL = ["SIXMWD", "SPPB", "FEV1", "SF36PCS", "SQOLF"]
#: Inflammatory markers the collection knows, in reporting order (other codes follow alphabetically).
INFLAMMATION = ["TNFA", "BCTNFA"]

#: The findings that give a parameter a meaning, and the neutral one for every other parameter.
PHYSICAL_FINDING = "physical_performance"
INFLAMMATION_FINDING = "inflammation"
OTHER = "other_endpoints"
#: The finding of each built-in parameter (params.csv may assign others).
BUILTIN_FINDINGS = {**{p: PHYSICAL_FINDING for p in PHYSICAL}, **{p: INFLAMMATION_FINDING for p in INFLAMMATION}}

#: Units an AVISIT label may name ("Week 12", "day 28", "MONTH 6"), by its first word.
VISIT_UNITS = {"day": "days", "week": "weeks", "month": "months"}
_VISIT_LABEL = re.compile(r"^(day|week|month)s?\s*(\d+(?:\.\d+)?)$", re.IGNORECASE)

#: Short names for narrow panels and sentences.
SHORT_LABELS = {
    "SIXMWD": "6MWD",
    "SPPB": "SPPB",
    "FEV1": "FEV1",
    "SF36PCS": "SF-36 PCS",
    "SQOLF": "SQOL-F",
    "TNFA": "Serum TNF-\u03b1",
    "BCTNFA": "B-cell TNF-\u03b1",
}

#: Stable figure names per parameter (unknown codes: :func:`figure_name`); kept in msc_frailty.names.
FIGURE_NAMES = names.FIGURE_NAMES

#: The visit reported as the main one when present (months since infusion).
MAIN_VISIT = 6.0

#: Space kept free at the bottom of every figure for the basis stamp of :func:`style.save_figure`.
STAMP_MM = 3.5

MINUS = "\u2212"

#: The verdict on an interval that excludes zero for a parameter whose direction nobody stated.
NEUTRAL = "interval excludes zero, direction not stated"


# --------------------------------------------------------------------------------------------------
# Parameters, visits, arms
# --------------------------------------------------------------------------------------------------

def _builtin_info(paramcd: str) -> dict:
    """Label, short label, unit, direction and finding of a PARAMCD from :data:`msc_frailty.data.PARAMETERS`
    alone; an unknown code is labelled by itself, with no unit, no direction and finding ``other_endpoints``."""
    known = PARAMETERS.get(paramcd)
    if known is None:
        return {"paramcd": paramcd, "label": paramcd, "short": paramcd, "unit": "",
                "higher_is_better": None, "known": False, "finding": OTHER}
    unit = re.sub(r"\s*\(.*\)\s*$", "", known["unit"])  # "points (0-12)" -> "points"
    unit = "points" if unit == "score" else unit  # "+1.8 points" reads better than "+1.8 score"
    return {"paramcd": paramcd, "label": known["label"], "short": SHORT_LABELS.get(paramcd, paramcd),
            "unit": unit, "higher_is_better": bool(known["higher_is_better"]), "known": True,
            "finding": BUILTIN_FINDINGS.get(paramcd, OTHER)}


def parameter_info(paramcd: str, labels: "Labels | None" = None) -> dict:
    """Label, short label, unit, direction and finding of a PARAMCD, as resolved for a trial.

    Parameters
    ----------
    paramcd : str
        The parameter.
    labels : Labels, optional
        The trial's resolved labels (:func:`resolve_labels`); without them (or for a code they do not
        hold) the built-in :data:`msc_frailty.data.PARAMETERS`.

    Returns
    -------
    dict
        Keys paramcd, label, short, unit (``""`` when unknown), higher_is_better (True, False, or None
        when nobody stated a direction), known (a built-in parameter) and finding.

    Examples
    --------
    >>> parameter_info("TNFA")["higher_is_better"]
    False
    >>> crp = parameter_info("CRP")
    >>> crp["short"], crp["unit"], crp["higher_is_better"], crp["known"], crp["finding"]
    ('CRP', '', None, False, 'other_endpoints')
    """
    if labels is not None and paramcd in labels.params:
        return dict(labels.params[paramcd])
    return _builtin_info(paramcd)


# --------------------------------------------------------------------------------------------------
# Labels of a trial: parameters (built-in, params.csv, PARAM) and the visit unit (AVISIT)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Labels:
    """What a trial's figures and sentences may say about its parameters and visits.

    Attributes
    ----------
    params : dict
        ``{paramcd: info}`` with the keys of :func:`parameter_info`.
    visit_unit : {"months", "weeks", "days"} or None
        The unit of AVISITN, from the AVISIT labels; ``"months"`` without AVISIT (the contract's
        default), None when the labels name no single unit.
    visit_labels : dict
        ``{AVISITN: AVISIT}`` for the post-baseline visits that carry a label.
    """

    params: dict = field(default_factory=dict)
    visit_unit: str | None = "months"
    visit_labels: dict = field(default_factory=dict)


def _text(value) -> str:
    """A cell as stripped text; missing (None, NaN) is ``""``."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def _most_common(values) -> str:
    """The most frequent non-empty text of ``values`` (ties: the first in sorted order); ``""`` when none."""
    texts = pd.Series([_text(v) for v in values], dtype=object)
    texts = texts[texts != ""]
    if texts.empty:
        return ""
    counts = texts.value_counts()
    return sorted(counts.index[counts == counts.max()])[0]


def resolve_parameter(paramcd: str, given: dict | None = None, data_name: str = "") -> dict:
    """One parameter's label, unit, direction and finding: params.csv over built-in over the data's PARAM.

    Parameters
    ----------
    paramcd : str
        The code.
    given : dict, optional
        Its ``params.csv`` row (PARAM, unit, direction, finding); an empty cell states nothing.
    data_name : str
        Its PARAM in adeff; names a code the collection does not know (a built-in keeps its own text,
        so the default figures stay as they are).

    Returns
    -------
    dict
        As :func:`parameter_info`. The direction is None unless params.csv or the built-in table states one.

    Examples
    --------
    >>> info = resolve_parameter("ADAS", data_name="ADAS-Cog total")
    >>> info["label"], info["unit"], info["higher_is_better"], info["finding"]
    ('ADAS-Cog total', '', None, 'other_endpoints')
    >>> resolve_parameter("ADAS", {"PARAM": "", "unit": "points", "direction": "lower_better",
    ...                            "finding": ""})["higher_is_better"]
    False
    """
    info = _builtin_info(paramcd)
    if data_name and not info["known"]:
        info["label"] = info["short"] = data_name
    given = {k: _text(v) for k, v in (given or {}).items()}
    if given.get("PARAM"):
        info["label"] = info["short"] = given["PARAM"]
    if given.get("unit"):
        info["unit"] = given["unit"]
    if given.get("direction"):
        info["higher_is_better"] = given["direction"] == "higher_better"
    if given.get("finding"):
        info["finding"] = given["finding"]
    return info


def visit_unit_of(label: str) -> str | None:
    """The unit an AVISIT label names: ``"Week 12"`` -> ``"weeks"``; None for any other label.

    Examples
    --------
    >>> visit_unit_of("Week 12"), visit_unit_of("DAY 28"), visit_unit_of("month 6"), visit_unit_of("Baseline")
    ('weeks', 'days', 'months', None)
    """
    m = _VISIT_LABEL.match(_text(label))
    return VISIT_UNITS[m.group(1).lower()] if m else None


def visit_scale(adeff: pd.DataFrame) -> tuple[str | None, dict]:
    """The unit of AVISITN and the label of each post-baseline visit, from adeff's AVISIT.

    Without AVISIT (or with every label empty) the unit is the contract's months and there are no
    labels. Otherwise the unit is the one every post-baseline label names, or None when they name
    none or several (the figures then say "Visit" and show the labels).
    """
    if "AVISIT" not in adeff.columns:
        return "months", {}
    post = adeff[pd.to_numeric(adeff["AVISITN"], errors="coerce") > 0]
    labels = {float(v): _most_common(g["AVISIT"]) for v, g in post.groupby("AVISITN")}
    labels = {v: t for v, t in labels.items() if t}
    if not labels:
        return "months", {}
    units = {visit_unit_of(t) for t in labels.values()}
    return (units.pop() if len(units) == 1 else None), labels


def resolve_labels(trial) -> Labels:
    """The labels of a :class:`~msc_frailty.data.TrialData` (usually one study): every parameter of adeff
    and of params.csv (:func:`resolve_parameter`), and the visit unit and labels (:func:`visit_scale`)."""
    adeff = trial.adeff
    given = {_text(r["PARAMCD"]): dict(r) for _, r in trial.params.iterrows()}
    data_names = {}
    if "PARAM" in adeff.columns:
        data_names = {p: _most_common(g["PARAM"]) for p, g in adeff.groupby("PARAMCD")}
    codes = sorted(set(adeff["PARAMCD"]) | set(given))
    params = {p: resolve_parameter(p, given.get(p), data_names.get(p, "")) for p in codes}
    unit, visit_labels = visit_scale(adeff)
    return Labels(params=params, visit_unit=unit, visit_labels=visit_labels)


def finding_of(paramcd: str, labels: Labels | None = None) -> str:
    """The notebook that analyses a parameter: ``physical_performance``, ``inflammation`` or ``other_endpoints``
    (a code nobody assigned, or assigned to another finding, is analysed without any stated meaning)."""
    finding = parameter_info(paramcd, labels)["finding"]
    return finding if finding in (PHYSICAL_FINDING, INFLAMMATION_FINDING) else OTHER


def finding_params(present, finding: str, labels: Labels | None = None) -> list[str]:
    """The present parameters that ``finding`` analyses (:func:`finding_of`), in :func:`ordered_params` order.

    Examples
    --------
    >>> finding_params(["CRP", "TNFA", "SIXMWD"], "inflammation"), finding_params(["CRP", "TNFA"], "other_endpoints")
    (['TNFA'], ['CRP'])
    """
    return [p for p in ordered_params(present) if finding_of(p, labels) == finding]


def visit_text(visit: float, labels: Labels | None = None) -> str:
    """A visit in words: its AVISIT label (``"Week 12"``) when it has one, else ``"6 months"`` (or the unit's).

    Examples
    --------
    >>> visit_text(6.0), visit_text(12.0, Labels(visit_unit="weeks", visit_labels={12.0: "Week 12"}))
    ('6 months', 'Week 12')
    """
    unit = labels.visit_unit if labels is not None else "months"
    if labels is not None and float(visit) in labels.visit_labels:
        return labels.visit_labels[float(visit)]
    return f"{visit:g} {unit}" if unit else f"visit {visit:g}"


def visit_axis_label(labels: Labels | None = None) -> str:
    """The x label of a time axis: ``"Months since infusion"`` (or weeks, days); ``"Visit (AVISITN)"`` when
    the unit is not known."""
    unit = labels.visit_unit if labels is not None else "months"
    return f"{unit.capitalize()} since infusion" if unit else "Visit (AVISITN)"


def direction_text(paramcd: str, labels: Labels | None = None) -> str:
    """``"higher is better"``, ``"lower is better"`` or ``"direction not stated"``."""
    better_up = parameter_info(paramcd, labels)["higher_is_better"]
    if better_up is None:
        return "direction not stated"
    return "higher is better" if better_up else "lower is better"


def figure_name(paramcd: str, suffix: str = "") -> str:
    """Stable file name of a parameter's figure, e.g. ``six_minute_walk``; unknown codes in lower case.

    A known parameter has its name in :data:`FIGURE_NAMES`. Any other code (untrusted: it comes from the
    data) is mapped by :func:`msc_frailty.names.parameter_file_name`: lower case, each run of characters
    other than a-z and 0-9 one ``_``, with a short hash of the code appended when that would be empty,
    too long, or another figure's name. The result is always one safe file name
    (:func:`msc_frailty.names.figure_name`, which the runner uses without importing matplotlib).

    Examples
    --------
    >>> figure_name("SIXMWD"), figure_name("TNFA", "_log_ratio"), figure_name("IL-6")
    ('six_minute_walk', 'tnf_alpha_log_ratio', 'il_6')
    >>> figure_name("CONSORT"), figure_name("../../x")
    ('consort_570ab4d8', 'x')
    """
    return names.figure_name(paramcd, suffix)


def axis_label(paramcd: str, kind: str = "change", labels: Labels | None = None) -> str:
    """An axis label for a parameter that states which way is better, when anybody stated it.

    Parameters
    ----------
    paramcd : str
        The parameter.
    kind : {"change", "difference", "ratio", "value", "panel_change", "panel_ratio"}
        Change from baseline, a between-arm difference in change, a ratio to baseline (log scale,
        geometric means) or the raw value. The ``panel_`` kinds leave out the parameter's name, for
        panels whose title names it.
    labels : Labels, optional
        The trial's labels (:func:`resolve_labels`); a parameter without a stated direction gets no
        "higher/lower is better" and one without a known unit no unit.

    Examples
    --------
    >>> axis_label("SIXMWD")
    'Change in 6MWD (m)\\n(higher is better)'
    >>> axis_label("TNFA", "panel_change")
    'Change (pg/mL)\\n(lower is better)'
    >>> axis_label("ADAS-Cog")
    'Change in ADAS-Cog'
    """
    info = parameter_info(paramcd, labels)
    unit = f" ({info['unit']})" if info["unit"] else ""
    text = {
        "change": f"Change in {info['short']}{unit}",
        "difference": f"Difference in change{unit}",
        "ratio": f"{info['short']}, ratio to baseline",
        "value": f"{info['short']}{unit}",
        "panel_change": f"Change{unit}",
        "panel_ratio": "Ratio to baseline",
    }[kind]
    if info["higher_is_better"] is None:  # nobody said which way is better: the label says nothing about it
        return text
    return style.direction_label(text, info["higher_is_better"])


def ordered_params(present, wanted=None, exclude=()) -> list[str]:
    """The parameters of ``wanted`` that are present, in the order of ``wanted``.

    With ``wanted=None``: every present parameter not in ``exclude``, known ones first (in the order
    of :data:`PHYSICAL` + :data:`INFLAMMATION`), then the others alphabetically.

    Examples
    --------
    >>> ordered_params(["TNFA", "SIXMWD", "FEV1"], PHYSICAL)
    ['SIXMWD', 'FEV1']
    >>> ordered_params(["CRP", "TNFA", "SIXMWD"], exclude=PHYSICAL)
    ['TNFA', 'CRP']
    """
    present = set(present)
    if wanted is not None:
        return [p for p in wanted if p in present]
    known = [p for p in PHYSICAL + INFLAMMATION if p in present and p not in exclude]
    return known + sorted(p for p in present if p not in known and p not in exclude)


def main_visit(visits, labels: Labels | None = None) -> float | None:
    """The main visit: 6 months when present and the visits are in months, else the last post-baseline
    visit (None when none).

    Examples
    --------
    >>> main_visit([3, 6, 9]), main_visit([2.0, 4.0]), main_visit([])
    (6.0, 4.0, None)
    >>> main_visit([4, 6, 12], Labels(visit_unit="weeks"))
    12.0
    """
    v = sorted({float(x) for x in visits if float(x) > 0})
    if not v:
        return None
    months = labels is None or labels.visit_unit == "months"  # "6" is the 6-month visit only in months
    return MAIN_VISIT if months and MAIN_VISIT in v else v[-1]


def arm_order(data: pd.DataFrame, hue: str = "TRT01A", dose: str = "TRT01AN") -> list[str]:
    """Arms sorted by dose (placebo first) when a dose column is present, else in order of appearance."""
    if dose in data.columns:
        arms = data[[hue, dose]].drop_duplicates().sort_values([dose, hue])
        return list(dict.fromkeys(arms[hue]))
    return list(pd.unique(data[hue]))


def arm_palette(arms) -> dict:
    """``{arm: colour}`` from :func:`msc_frailty.style.arm_color`."""
    return {a: style.arm_color(a) for a in arms}


# --------------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------------

def mean_ci(data: pd.DataFrame, x: str | None = "AVISITN", y: str = "CHG", hue: str | None = "TRT01A",
            confidence: float = 0.95) -> pd.DataFrame:
    """Mean of ``y`` per ``hue`` and ``x`` with its t interval (the interval of the paired_t rows).

    Cells with one value get the mean and no interval; empty cells are left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``hue``, ``x`` (those given), n, mean, ci_low, ci_high.
    """
    keys = [k for k in (hue, x) if k is not None]
    rows = []
    groups = data.groupby(keys, sort=False) if keys else [((), data)]
    for key, g in groups:
        v = pd.to_numeric(g[y], errors="coerce").dropna().to_numpy(float)
        if v.size == 0:
            continue
        if v.size >= 2:
            r = stats.paired_t(v, confidence)
            lo, hi = r["ci_low"], r["ci_high"]
        else:
            lo = hi = np.nan
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, key)), "n": int(v.size), "mean": float(v.mean()),
                     "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=keys + ["n", "mean", "ci_low", "ci_high"])


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


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------

def panel_figure(width: str = "single", height_mm: float = 60.0, nrows: int = 1, ncols: int = 1, **kwargs):
    """A constrained-layout figure at a journal width with room for the basis stamp at the bottom.

    Returns
    -------
    (Figure, numpy.ndarray of Axes)
        The axes array is always 2-D (``squeeze=False``).
    """
    fig, axes = style.figure(width, height_mm, nrows=nrows, ncols=ncols, squeeze=False, layout="constrained",
                             **kwargs)
    bottom = STAMP_MM / height_mm
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom), h_pad=2 / 72, w_pad=2 / 72)
    return fig, axes


def _ax(ax):
    if ax is None:
        _, axes = panel_figure()
        ax = axes[0, 0]
    return ax


def trajectory(data: pd.DataFrame, x: str = "AVISITN", y: str = "CHG", hue: str = "TRT01A", hue_order=None,
               palette=None, ax=None, baseline: bool = True, dodge: float = 0.3, confidence: float = 0.95,
               xlabel: str = "Months since infusion"):
    """Mean change with its 95% t interval by arm (``hue``) and visit (``x``), one line per arm.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject and post-baseline visit (e.g. one parameter of
        :func:`msc_frailty.data.add_change`).
    x, y, hue : str
        Visit, value and arm columns.
    hue_order : list, optional
        Arms in drawing and legend order; by dose by default (:func:`arm_order`).
    palette : dict, optional
        ``{arm: colour}``; :func:`arm_palette` by default.
    baseline : bool
        Start every line at (0, 0), the baseline, where change is 0 by definition.
    dodge : float
        Total horizontal spread of the arms as a fraction of the smallest gap between visits, so
        intervals do not hide each other.
    xlabel : str
        The time axis's label (:func:`visit_axis_label` of the trial; months by default).

    Returns
    -------
    matplotlib.axes.Axes
        One line (with markers) per arm carrying the arm as its label, one error bar per arm and visit
        with an interval, and a reference line at 0.
    """
    ax = _ax(ax)
    arms = list(hue_order) if hue_order is not None else arm_order(data, hue)
    palette = palette or arm_palette(arms)
    summ = mean_ci(data, x=x, y=y, hue=hue, confidence=confidence)
    visits = sorted(set(pd.to_numeric(data[x]).tolist()) | ({0.0} if baseline else set()))
    gap = min(np.diff(visits)) if len(visits) > 1 else 1.0
    k = len(arms)
    offsets = np.linspace(-dodge * gap / 2, dodge * gap / 2, k) if k > 1 and dodge else np.zeros(k)
    ax.axhline(0, color="0.6", lw=0.6, ls="--", zorder=0)
    for off, arm in zip(offsets, arms):
        s = summ[summ[hue] == arm].sort_values(x)
        if s.empty:
            continue
        xs, ms = s[x].to_numpy(float), s["mean"].to_numpy(float)
        if baseline:
            xs, ms = np.r_[0.0, xs], np.r_[0.0, ms]
        color = palette[arm]
        ax.plot(xs + off, ms, marker="o", color=color, label=str(arm), lw=1.0, ms=3.2, zorder=3)
        ok = s["ci_low"].notna().to_numpy()
        if ok.any():
            m = s["mean"].to_numpy(float)[ok]
            err = np.vstack([m - s["ci_low"].to_numpy(float)[ok], s["ci_high"].to_numpy(float)[ok] - m])
            ax.errorbar(s[x].to_numpy(float)[ok] + off, m, yerr=err, fmt="none", ecolor=color, elinewidth=0.8,
                        capsize=1.5, capthick=0.8, zorder=2)
    ax.set_xticks(visits, [f"{v:g}" for v in visits])
    ax.set_xlabel(xlabel)
    return ax


def forest(data: pd.DataFrame, y: str, x: str = "estimate", xmin: str = "ci_low", xmax: str = "ci_high",
           hue: str | None = None, order=None, palette=None, color: str = "black", ax=None, ref: float | None = 0.0):
    """Forest plot: one row per value of ``y``, a point at ``x`` and a line from ``xmin`` to ``xmax``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per estimate (e.g. rows of ``estimates.csv``).
    y : str
        Row label column (e.g. ``"arm"`` or a pair label). Rows are drawn top to bottom in ``order``.
    x, xmin, xmax : str
        Estimate and interval columns.
    hue : str, optional
        Column whose value picks the colour from ``palette`` (default :func:`arm_palette`); without it
        everything is drawn in ``color``.
    order : list, optional
        Row labels top to bottom; labels absent from ``data`` leave an empty row, so panels sharing an
        order line up.
    ref : float or None
        Position of the vertical no-effect line (None for none; 1 for ratios).

    Returns
    -------
    matplotlib.axes.Axes
        One error-bar container per row drawn.
    """
    ax = _ax(ax)
    order = list(order) if order is not None else list(pd.unique(data[y]))
    pos = {label: i for i, label in enumerate(order)}
    if hue is not None:
        palette = palette or arm_palette(pd.unique(data[hue]))
    if ref is not None:
        ax.axvline(ref, color="0.6", lw=0.6, ls="--", zorder=0)
    for _, r in data.iterrows():
        if r[y] not in pos or not np.isfinite(r[x]):
            continue
        c = palette[r[hue]] if hue is not None else color
        lo, hi = r[xmin], r[xmax]
        err = [[r[x] - lo], [hi - r[x]]] if np.isfinite(lo) and np.isfinite(hi) else None
        ax.errorbar([r[x]], [pos[r[y]]], xerr=err, fmt="o", color=c, ms=3.2, elinewidth=1.0, capsize=0, zorder=3)
    ax.set_yticks(range(len(order)), [style.wrap_label(o) for o in order])  # long arm labels wrap, not clip
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.tick_params(axis="y", length=0)
    return ax


def dose_response(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A", palette=None,
                  ax=None, connect: bool = True, confidence: float = 0.95):
    """Mean change with its 95% t interval per dose, doses on a linear x axis, one colour per arm.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (one parameter and one visit).
    x : str
        Dose column (million cells; placebo 0).
    hue : str
        Arm column, for the colours.
    connect : bool
        Join the arm means in dose order with a thin grey line (a guide to the eye, not a model).

    Returns
    -------
    matplotlib.axes.Axes
        One error-bar container per arm, labelled with the arm.
    """
    ax = _ax(ax)
    arms = arm_order(data, hue, x)
    palette = palette or arm_palette(arms)
    summ = mean_ci(data, x=None, y=y, hue=hue, confidence=confidence)
    dose = data[[hue, x]].drop_duplicates().set_index(hue)[x]
    summ["dose"] = summ[hue].map(dose).astype(float)
    summ = summ.sort_values("dose")
    ax.axhline(0, color="0.6", lw=0.6, ls="--", zorder=0)
    if connect and len(summ) > 1:
        ax.plot(summ["dose"], summ["mean"], color="0.55", lw=0.7, zorder=1)
    for _, r in summ.iterrows():
        err = None
        if np.isfinite(r["ci_low"]):
            err = [[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]]
        ax.errorbar([r["dose"]], [r["mean"]], yerr=err, fmt="o", color=palette[r[hue]], ms=3.5, elinewidth=1.0,
                    capsize=1.5, capthick=0.8, label=str(r[hue]), zorder=3)
    doses = summ["dose"].tolist()
    ax.set_xticks(doses, [f"{d:g}" for d in doses])
    span = (max(doses) - min(doses)) or 1.0
    ax.set_xlim(min(doses) - 0.07 * span, max(doses) + 0.07 * span)
    ax.set_xlabel("Dose (million cells)")
    return ax


def arm_legend(fig, arms, palette=None, line: bool = True, **kwargs):
    """One figure legend for the arms, above the panels, one entry per arm in its colour."""
    palette = palette or arm_palette(arms)
    handles = [Line2D([], [], color=palette[a], marker="o", ms=3.2, lw=1.0 if line else 0,
                      label=style.wrap_label(a)) for a in arms]  # long arm labels wrap, not clip
    opts = {"loc": "outside upper center", "ncol": min(len(arms), 6), "handlelength": 1.6 if line else 0.8,
            "columnspacing": 1.2, "borderaxespad": 0.2}
    opts.update(kwargs)
    return fig.legend(handles=handles, **opts)


def facet(data: pd.DataFrame, col: str, plot, col_order=None, ncols: int | None = None, width: str = "double",
          panel_height_mm: float = 42.0, extra_height_mm: float = 6.0, sharey: bool = False,
          title=None, xlabel=None, ylabel=None, legend_arms=None, legend_line: bool = True, title_kws=None,
          **kws):
    """One panel per value of ``col``, each drawn by ``plot(data=subset, ax=ax, **kws)``.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy data with a ``col`` column (e.g. ``PARAMCD`` or ``paramcd``).
    plot : callable
        A plotting function of this module (:func:`trajectory`, :func:`forest`, :func:`dose_response`).
    col_order : list, optional
        Panels in this order (values absent from ``data`` are skipped).
    ncols : int, optional
        Panels per row; up to 4 by default.
    title, xlabel, ylabel : callable or str, optional
        Per panel: called with the panel's value when callable.
    title_kws : dict, optional
        Passed to ``Axes.set_title`` (e.g. ``{"fontsize": 6.5}`` for two-line titles).
    legend_arms : list, optional
        Draw one arm legend above the panels (:func:`arm_legend`).
    sharey : bool
        Share the y axis (forest plots with a common row order); inner tick labels are hidden.

    Returns
    -------
    (Figure, dict)
        The figure and ``{value: Axes}``.
    """
    present = set(data[col])
    keys = [k for k in (col_order if col_order is not None else pd.unique(data[col])) if k in present]
    if not keys:
        raise ValueError(f"no data to plot in column {col!r}")
    ncols = ncols or min(len(keys), 4)
    nrows = math.ceil(len(keys) / ncols)
    height = panel_height_mm * nrows + extra_height_mm + (4.0 if legend_arms else 0.0)
    fig, axes = panel_figure(width, height, nrows=nrows, ncols=ncols, sharey=sharey)
    out = {}
    for ax, key in zip(axes.flat, keys):
        plot(data=data[data[col] == key], ax=ax, **kws)
        for setter, spec, opts in ((ax.set_title, title, title_kws or {}), (ax.set_xlabel, xlabel, {}),
                                   (ax.set_ylabel, ylabel, {})):
            if spec is not None:
                setter(spec(key) if callable(spec) else spec, **opts)
        out[key] = ax
    for ax in axes.flat[len(keys):]:
        ax.remove()
    if sharey:
        for i, ax in enumerate(axes.flat[:len(keys)]):
            if i % ncols:
                ax.tick_params(axis="y", labelleft=False)
    if legend_arms:
        arm_legend(fig, legend_arms, line=legend_line)
    return fig, out


def log_ratio_axis(ax, axis: str = "y"):
    """Label a log-scale axis (values are natural logs of ratios) with the ratios themselves.

    Ticks at round ratios in reciprocal pairs (1/2, 2/3, 0.8, 1, 1.25, 1.5, 2, ...) inside the current
    limits; a narrow range gets five evenly spaced ticks instead.
    """
    nice = [(0.1, "0.1"), (0.2, "0.2"), (0.25, "0.25"), (1 / 3, "1/3"), (0.5, "0.5"), (2 / 3, "2/3"),
            (0.8, "0.8"), (1.0, "1"), (1.25, "1.25"), (1.5, "1.5"), (2.0, "2"), (3.0, "3"), (4.0, "4"),
            (5.0, "5"), (10.0, "10")]
    get_lim, set_ticks = (ax.get_ylim, ax.set_yticks) if axis == "y" else (ax.get_xlim, ax.set_xticks)
    lo, hi = get_lim()
    ticks = [(math.log(v), label) for v, label in nice if lo <= math.log(v) <= hi]
    if len(ticks) < 3:  # a narrow range: multiples of a round step (1 among them when in range)
        for step in (0.01, 0.02, 0.05, 0.1, 0.2):
            k = np.arange(math.ceil(math.exp(lo) / step - 1e-9), math.floor(math.exp(hi) / step + 1e-9) + 1)
            fine = [round(i * step, 2) for i in k if i > 0]
            if len(fine) <= 7:
                break
        ticks = [(math.log(v), f"{v:g}") for v in fine]
    set_ticks([t for t, _ in ticks], [label for _, label in ticks])
    return ax


def pool_active(chg: pd.DataFrame, label: str = "All") -> pd.DataFrame:
    """The active arms (TRT01AN > 0) relabelled as one arm ``label`` (dose NaN), for a pooled analysis.

    CRATUS Phase 1 reported its open-label change from baseline with "all groups pooled"; feeding
    this to :func:`msc_frailty.analysis.change_from_baseline` gives the same kind of row (arm ``All``).
    """
    out = chg[chg["TRT01AN"] > 0].copy()
    out["TRT01A"] = label
    out["TRT01AN"] = np.nan
    return out


def save_and_show(fig, name: str, output_dir, study: str, basis: str, width_px: int = 640, caption: str | None = None):
    """:func:`msc_frailty.style.save_figure` (with its ``caption``), then show the stamped PNG in the notebook.

    Returns
    -------
    list of Path
        The PDF, SVG and PNG written.
    """
    paths = style.save_figure(fig, name, output_dir, study, basis, caption=caption)
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover - IPython is part of the environment
        return paths
    if get_ipython() is not None:
        display(Image(filename=str(paths[-1]), width=width_px))
    return paths


def trajectory_figure(data: pd.DataFrame, paramcd: str, hue_order=None, y: str = "CHG", kind: str = "change",
                      title: str | None = None, height_mm: float = 64.0, labels: Labels | None = None):
    """A single-column figure of :func:`trajectory` for one parameter, labelled and with an arm legend.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows of that parameter (one per subject and post-baseline visit).
    kind : str
        Passed to :func:`axis_label` for the y axis (``"ratio"`` for a log change, then call
        :func:`log_ratio_axis` on ``fig.axes[0]``).
    labels : Labels, optional
        The trial's labels: parameter name, unit and direction, and the unit of the time axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    arms = list(hue_order) if hue_order is not None else arm_order(data)
    fig, axes = panel_figure("single", height_mm)
    ax = trajectory(data=data, y=y, hue_order=arms, ax=axes[0, 0], xlabel=visit_axis_label(labels))
    ax.set_ylabel(axis_label(paramcd, kind, labels))
    ax.set_title(title if title is not None else parameter_info(paramcd, labels)["label"])
    arm_legend(fig, [a for a in arms if a in set(data["TRT01A"])])
    return fig


def forest_figure(rows: pd.DataFrame, params, y: str = "arm", order=None, hue: str | None = "arm",
                  visits: dict | None = None, kind: str = "panel_change", ncols: int | None = None,
                  ref: float | None = 0.0, row_mm: float = 6.0, labels: Labels | None = None):
    """Forest panels, one per parameter (``rows["paramcd"]``), rows ``y`` in ``order``, sharing the y axis.

    Parameters
    ----------
    rows : pandas.DataFrame
        Estimate rows (one per parameter and ``y`` value).
    params : list of str
        Parameters in panel order.
    visits : dict, optional
        ``{paramcd: visit}`` shown in the panel titles.
    kind : str
        :func:`axis_label` kind of the x axes, or a callable ``paramcd -> label``.
    ncols : int, optional
        Panels per row: by default all of up to 3 panels in one row, 4 as 2 x 2, more in rows of 3.
        85 mm wide for one panel, 174 mm otherwise.
    labels : Labels, optional
        The trial's labels: panel titles (parameter, visit as :func:`visit_text`) and axis labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    params = [p for p in params if p in set(rows["paramcd"])]
    order = list(order) if order is not None else list(pd.unique(rows[y]))
    if ncols is None:
        ncols = len(params) if len(params) <= 3 else 2 if len(params) == 4 else 3
    ncols = max(1, min(ncols, len(params)))

    def title(p):
        t = parameter_info(p, labels)["short"]
        return f"{t}, {visit_text(visits[p], labels)}" if visits and p in visits else t

    xlabel = kind if callable(kind) else (lambda p: axis_label(p, kind, labels))
    fig, _ = facet(rows, "paramcd", forest, col_order=params, ncols=ncols, sharey=True,
                   width="single" if ncols == 1 else "double",
                   panel_height_mm=18 + row_mm * max(len(order), 2),
                   title=title, xlabel=xlabel, y=y, hue=hue, order=order, ref=ref)
    return fig


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


# --------------------------------------------------------------------------------------------------
# Report pieces shared by the notebooks
# --------------------------------------------------------------------------------------------------

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


def vs_placebo_figure(rows: pd.DataFrame, params, arms, placebo: str, visits: dict, labels: Labels | None = None):
    """:func:`forest_figure` of baseline-adjusted differences from placebo, x axes "Arm − <placebo>"."""
    def label(p):
        return axis_label(p, "difference", labels).replace("Difference in change", f"Arm {MINUS} {placebo}")

    order = [a for a in arms if a in set(rows["arm"])]
    return forest_figure(rows, params, y="arm", order=order, visits=visits, kind=label, labels=labels)


def multiplicity_note(rows: pd.DataFrame, arms: pd.DataFrame, study: str) -> str:
    """How many p-values the rows hold, and how many would fall below 0.05 by chance if nothing changed."""
    n_p = int(rows["p_value"].notna().sum())
    return (f"Smallest arm: {int(arms['subjects'].min())} subjects. {n_p} p-values in the plan's rows for {study}; "
            f"at the 5% level about {0.05 * n_p:.1f} would fall below 0.05 by chance alone if nothing changed.")
