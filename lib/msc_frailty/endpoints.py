"""What a trial's figures and sentences may say about its parameters, visits and arms.

Labels, units and directions (contract section 1, "Real ADaM data")
--------------------------------------------------------------------
- A parameter's name, unit and direction: the built-in :data:`msc_frailty.data.PARAMETERS` are the
  default; a non-empty cell of the data set's ``params.csv`` overrides it; a code neither knows is named
  by the data's ``PARAM`` (else by the code), has no unit and no direction.
- No text states "higher/lower is better" unless a direction is known
  (:func:`msc_frailty.findings.verdict` then says :data:`NEUTRAL` instead of "favourable").
- A parameter's finding: ``params.csv`` ``finding``, else the built-in group; anything else is analysed
  by the neutral ``other_endpoints`` notebook (:func:`finding_params`).
- Visits: without ``AVISIT`` AVISITN is in months (the contract's default); with it, the unit is the one
  the post-baseline labels name ("Week 12" -> weeks; several or none -> not stated) and panel titles use
  the labels. Every function takes these as ``labels=`` (a :class:`Labels`); without, the built-in texts.
- Arms: ordered by dose (:func:`arm_order`), counted per figure (:func:`arm_counts`, :func:`n_label`); when
  an arm has at most :data:`MAX_POINTS_ARM` subjects every subject is drawn (:func:`shows_points`).
- A study's own words (what was given, the dose unit, what day 1 is) come from ``studies.csv``
  (:mod:`msc_frailty.studies`): the collection's three trials keep theirs (an infusion of million cells), any
  other study gets neutral ones ("Weeks since day 1", "Dose"). :attr:`Labels.words`, used by
  :func:`visit_axis_label` and the figures and captions that name doses or day 1.
- Labels from the data never break a figure: a unit already in the name is not repeated
  (:func:`unit_suffix`), ``params.csv``'s ``short_name`` names the parameter on figures, and names too long for
  a figure are wrapped and, beyond :data:`MAX_LABEL_LINES` lines, shortened (:func:`fit_label`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import names, studies, style
from .analysis import is_ordinal_score, no_baseline_params
from .data import PARAMETERS

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

#: The verdict on an interval that excludes zero for a parameter whose direction nobody stated.
NEUTRAL = "interval excludes zero, direction not stated"

#: Arms of at most this many subjects are drawn with every subject's value beside the mean.
MAX_POINTS_ARM = 30

#: The longest line (characters) of a parameter's name on an axis, a panel's title and a figure's title: a longer
#: name from the data (a PARAM such as "Interleukin-6 Serum Concentration, Central Laboratory (pg/mL)") is wrapped
#: (:func:`msc_frailty.style.fit_label`); the built-in names fit as they are.
AXIS_LABEL_CHARS = 36
TITLE_CHARS = 50
#: The most lines a wrapped name keeps; a longer one is shortened in the middle (:func:`msc_frailty.style.wrap_label`).
MAX_LABEL_LINES = 3

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
    """What a trial's figures and sentences may say about its parameters, visits, treatment and doses.

    Attributes
    ----------
    params : dict
        ``{paramcd: info}`` with the keys of :func:`parameter_info`, and ``baseline: False`` for a parameter without
        a baseline record (:func:`msc_frailty.analysis.no_baseline_params`).
    visit_unit : {"months", "weeks", "days"} or None
        The unit of AVISITN, from the AVISIT labels; ``"months"`` without AVISIT (the contract's
        default), None when the labels name no single unit.
    visit_labels : dict
        ``{AVISITN: AVISIT}`` for the post-baseline visits that carry a label.
    words : msc_frailty.studies.StudyWords
        What was given, the dose unit and what day 1 is (``studies.csv``); by default the collection's own
        (:data:`msc_frailty.studies.OWN_WORDS`), as without labels. :func:`resolve_labels` always sets them:
        neutral words for a study nobody described.
    """

    params: dict = field(default_factory=dict)
    visit_unit: str | None = "months"
    visit_labels: dict = field(default_factory=dict)
    words: studies.StudyWords = studies.OWN_WORDS


def words_of(labels: Labels | None = None) -> studies.StudyWords:
    """The study's words of ``labels`` (:attr:`Labels.words`); the collection's own without labels."""
    return labels.words if labels is not None else studies.OWN_WORDS


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
        Its ``params.csv`` row (PARAM, unit, direction, finding and, when the file has it, short_name: the name
        on figures, e.g. "IL-6" for "Interleukin-6 Serum Concentration, Central Laboratory (pg/mL)"); an empty
        cell states nothing.
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
    if given.get("short_name"):
        info["short"] = given["short_name"]
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
    and of params.csv (:func:`resolve_parameter`), the visit unit and labels (:func:`visit_scale`), and the
    study's words from studies.csv (:func:`msc_frailty.studies.load_studies`; several studies: the words they
    share, else neutral ones)."""
    adeff = trial.adeff
    given = {_text(r["PARAMCD"]): dict(r) for _, r in trial.params.iterrows()}
    data_names = {}
    if "PARAM" in adeff.columns:
        data_names = {p: _most_common(g["PARAM"]) for p, g in adeff.groupby("PARAMCD")}
    codes = sorted(set(adeff["PARAMCD"]) | set(given))
    params = {p: resolve_parameter(p, given.get(p), data_names.get(p, "")) for p in codes}
    for p in no_baseline_params(adeff):     # analysed as the value at each visit: no figure speaks of its baseline
        params[p]["baseline"] = False
    unit, visit_labels = visit_scale(adeff)
    return Labels(params=params, visit_unit=unit, visit_labels=visit_labels, words=study_words(trial))


def study_words(trial) -> studies.StudyWords:
    """The words of the studies of a :class:`~msc_frailty.data.TrialData` (``trial.words``, which
    :func:`~msc_frailty.data.load_trial` read with :func:`msc_frailty.studies.load_studies`; several studies: the
    words they share, else neutral ones).

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> study_words(load_trial("data/synthetic").study("CRATUS-P2")).dose_axis
    'Dose (million cells)'
    """
    words = getattr(trial, "words", {})
    if not set(trial.studies) <= set(words):   # a TrialData not made by load_trial: read its folder's studies.csv
        # (load_trial checks it against every study of adsl; a trial of one study ignores the others' rows)
        words = studies.load_studies(trial.data_dir, trial.studies, strict=False)
    return studies.common_words(words[s] for s in trial.studies)


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


def outcome_at(paramcd: str, visits: dict | None = None, labels: Labels | None = None, joiner: str = ", ") -> str:
    """An outcome's short name (:func:`parameter_info`) with its visit (:func:`visit_text`) where ``visits``
    (``{paramcd: visit}``) gives one: ``"6MWD, 6 months"`` on a figure, ``"6MWD at 6 months"`` in a caption
    (``joiner=" at "``); the short name alone otherwise.

    Examples
    --------
    >>> outcome_at("SIXMWD", {"SIXMWD": 6.0}), outcome_at("SIXMWD", {"SIXMWD": 6.0}, joiner=" at "), outcome_at("SPPB")
    ('6MWD, 6 months', '6MWD at 6 months', 'SPPB')
    """
    short = parameter_info(paramcd, labels)["short"]
    return f"{short}{joiner}{visit_text(visits[paramcd], labels)}" if visits and paramcd in visits else short


def visit_axis_label(labels: Labels | None = None) -> str:
    """The x label of a time axis: ``"Months since infusion"`` (or weeks, days; since the study's day 1,
    :meth:`msc_frailty.studies.StudyWords.time_axis`: ``"Weeks since first dose"``, ``"Weeks since day 1"``);
    ``"Visit number"`` (AVISITN as it is) when the unit is not known.

    Examples
    --------
    >>> visit_axis_label(), visit_axis_label(Labels(visit_unit="weeks", words=studies.NEUTRAL_WORDS))
    ('Months since infusion', 'Weeks since day 1')
    """
    unit = labels.visit_unit if labels is not None else "months"
    return words_of(labels).time_axis(unit) if unit else "Visit number"


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


def unit_suffix(name: str, unit: str) -> str:
    """``" (unit)"`` to write after ``name``; ``""`` without a unit or when the name already states it in brackets
    (a PARAM such as "Interleukin-6 (pg/mL)" gets no second "(pg/mL)").

    Examples
    --------
    >>> unit_suffix("6MWD", "m"), unit_suffix("Interleukin-6 Serum Concentration (pg/mL)", "pg/mL")
    (' (m)', '')
    >>> unit_suffix("IL-6 [PG/ML]", "pg/mL"), unit_suffix("CRP", "")
    ('', '')
    """
    if not unit:
        return ""
    stated = re.search(r"[(\[]\s*" + re.escape(unit) + r"\s*[)\]]", name, flags=re.IGNORECASE)
    return "" if stated else f" ({unit})"


def fit_label(text: str, width: int = AXIS_LABEL_CHARS) -> str:
    """A name (or a line of a label) for a figure: lines longer than ``width`` wrapped, at most
    :data:`MAX_LABEL_LINES` lines each (:func:`msc_frailty.style.fit_label`); a name that fits is unchanged.

    Examples
    --------
    >>> fit_label("6MWD, 6 months")
    '6MWD, 6 months'
    >>> print(fit_label("Interleukin-6 Serum Concentration, Central Laboratory (pg/mL), Week 12"))
    Interleukin-6 Serum Concentration,
    Central Laboratory (pg/mL), Week 12
    """
    return style.fit_label(text, width, MAX_LABEL_LINES)


def axis_label(paramcd: str, kind: str = "change", labels: Labels | None = None) -> str:
    """An axis label for a parameter that states which way is better, when anybody stated it.

    Parameters
    ----------
    paramcd : str
        The parameter.
    kind : {"change", "difference", "ratio", "value", "panel_change", "panel_ratio", "panel_value"}
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

    A name from the data that states its unit does not get it twice, and a long one is wrapped
    (:func:`unit_suffix`, :func:`fit_label`):

    >>> il6 = Labels(params={"IL6": resolve_parameter("IL6", {"unit": "pg/mL", "direction": "lower_better"},
    ...              "Interleukin-6 Serum Concentration, Central Laboratory (pg/mL)")})
    >>> print(axis_label("IL6", labels=il6))
    Change in Interleukin-6 Serum
    Concentration, Central Laboratory
    (pg/mL)
    (lower is better)
    """
    info = parameter_info(paramcd, labels)
    unit = f" ({info['unit']})" if info["unit"] else ""
    named = unit_suffix(info["short"], info["unit"])      # after the name: not when the name states it
    text = {
        "change": f"Change in {info['short']}{named}",
        "difference": f"Difference in change{unit}",
        "ratio": f"{info['short']}, ratio to baseline",
        "value": f"{info['short']}{named}",
        "panel_value": f"Value{unit}",
        "panel_change": f"Change{unit}",
        "panel_ratio": "Ratio to baseline",
    }[kind]
    text = fit_label(text)
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



def arm_counts(data: pd.DataFrame, hue: str = "TRT01A", units: str = "USUBJID", by: str | None = None,
               arms=None) -> dict:
    """Subjects per arm: ``{arm: n}``, or with ``by`` the distinct numbers over its groups (``{arm: [n, ...]}``,
    e.g. per visit: the n behind each mean of a trajectory), in ``arms`` order (by dose by default).

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01A": ["A", "A", "B", "A"], "USUBJID": ["1", "2", "3", "1"], "AVISITN": [3, 3, 3, 6]})
    >>> arm_counts(d), arm_counts(d, by="AVISITN")
    ({'A': 2, 'B': 1}, {'A': [1, 2], 'B': [1]})
    """
    arms = [a for a in (arms if arms is not None else arm_order(data, hue)) if a in set(data[hue])]
    if by is None:
        n = data.groupby(hue)[units].nunique()
        return {a: int(n[a]) for a in arms}
    n = data.groupby([hue, by])[units].nunique()
    return {a: sorted({int(v) for v in n[a]}) for a in arms}


def row_counts(rows: pd.DataFrame, arms=None) -> dict:
    """Subjects per arm behind estimate rows (``arm``/``n`` and ``ref_arm``/``n_ref``): ``{arm: [n, ...]}``, the
    distinct numbers over the rows, arms in ``arms`` order (else as they appear, each row's arm first).

    Examples
    --------
    >>> rows = pd.DataFrame({"arm": ["100M", "100M"], "ref_arm": ["200M", "200M"], "n": [10, 5], "n_ref": [10, 5]})
    >>> row_counts(rows)
    {'100M': [5, 10], '200M': [5, 10]}
    """
    long = pd.concat([rows[["arm", "n"]].set_axis(["arm", "n"], axis=1),
                      rows[["ref_arm", "n_ref"]].set_axis(["arm", "n"], axis=1)], ignore_index=True)
    long = long[long["arm"].astype(str) != ""].dropna()
    found = list(pd.unique(long["arm"]))
    order = [a for a in arms if a in found] if arms is not None else found
    return {a: sorted({int(v) for v in long.loc[long["arm"] == a, "n"]}) for a in order}


def n_text(n) -> str:
    """``"10"`` for one number (or a list of one), ``"80\u201385"`` for a list of several.

    Examples
    --------
    >>> n_text(10), n_text([10]), n_text([85, 80, 84])
    ('10', '10', '80\u201385')
    """
    values = sorted({int(v) for v in np.atleast_1d(n)})
    return f"{values[0]}" if len(values) == 1 else f"{values[0]}\u2013{values[-1]}"


#: An arm label longer than this is named by a generic word where a figure repeats it in running text (an axis, a
#: "favours" cue): :func:`arm_word`.
ARM_WORD_CHARS = 16


def arm_word(arm, generic: str) -> str:
    """An arm's label where a figure writes it inside a phrase ("favours Placebo", "arm − Placebo"), or ``generic``
    ("placebo", "active arm") when the label is longer than :data:`ARM_WORD_CHARS` (a data set's "Placebo matching
    the investigational product ..." would not fit; the rows and the caption name the arm in full).

    Examples
    --------
    >>> arm_word("Placebo", "placebo"), arm_word("Placebo matching xanomeline 50 mg", "placebo")
    ('Placebo', 'placebo')
    """
    return str(arm) if len(str(arm)) <= ARM_WORD_CHARS else generic


def n_label(arm, n) -> str:
    """An arm's label with its subjects, as every figure's legend shows it; a list of n as a range.

    Examples
    --------
    >>> n_label("100M", 10), n_label("100M", [80, 85])
    ('100M (n = 10)', '100M (n = 80\u201385)')
    """
    return f"{arm} (n = {n_text(n)})"


def shows_points(counts: dict) -> bool:
    """Whether a figure of arms with ``counts`` subjects (``{arm: n}``, as :func:`arm_counts`) shows every
    subject's value: when any arm has at most :data:`MAX_POINTS_ARM` (journals ask for the data points of
    small trials), and then for every arm, so that no arm looks less variable than another for want of points.

    Examples
    --------
    >>> shows_points({"Placebo": 30, "25M": 37}), shows_points({"Placebo": 85, "Low": [80, 84]})
    (True, False)
    """
    return any(min(np.atleast_1d(n)) <= MAX_POINTS_ARM for n in counts.values())


# --------------------------------------------------------------------------------------------------
# The layout of a time course (issue 16): offsets, one panel or one per arm, what the points are
# --------------------------------------------------------------------------------------------------

#: Arms at one visit are spread over this share of the smallest gap between visits (baseline included), in all:
#: under a third, so an arm never looks as if it were measured at another time.
OFFSET_SHARE = 0.32
#: In one panel of several arms, each arm's subjects lie in a lane to the right of its mean, from ``LANE_START`` to
#: ``LANE_END`` of the distance to the next arm's mean: clear of its own mean and interval and of the next arm's.
LANE_START, LANE_END = 0.3, 0.7
#: A lane of points keeps at least this far (mm) from the centre of an arm's mean: the radius of a mean's marker
#: (2.1 pt, 0.74 mm), of a subject's point with its edge (1.4 pt, 0.49 mm) and 0.17 mm of air.
LANE_CLEAR_MM = 1.4
#: The plotting width (mm) of a time-course panel 85 and 180 mm wide, the y axis's labels deducted (a little less
#: than drawn figures measure, so that a plan that fits on paper fits in the figure).
PANEL_AXES_MM = {"single": 62.0, "double": 155.0}
#: A time course whose arms hold more subjects' values than this at one visit gets one panel per arm (small
#: multiples): beside each other in one panel they would be a cloud in which no arm can be followed.
PANEL_POINTS = 40
#: Scores with at most this many distinct whole-number values are stacked (a dot strip), not jittered.
MAX_SCORE_LEVELS = 25


@dataclass(frozen=True)
class TimeCourse:
    """How a time course of one parameter is drawn (:func:`time_course_plan`); its caption says the same.

    Attributes
    ----------
    arms : list of str
        The arms drawn, in order.
    visits : list of float
        The post-baseline visits with data (baseline, 0, is drawn as well).
    gap : float
        The smallest gap between two neighbouring visits, baseline included.
    per_arm : bool
        One panel per arm (shared axes) instead of all arms in one panel.
    width : {"single", "double"}
        The figure's width: 85 mm, or 180 mm where the lanes of several arms' points need the room (or one panel
        per arm).
    offsets : dict
        ``{arm: horizontal offset}`` in visit units (all 0 with one panel per arm).
    points : bool
        Whether every subject's value is drawn beside the means (:func:`shows_points`).
    whole : bool
        The values are whole-number scores: subjects with the same value are stacked side by side.
    pooled : list of str
        Arms whose subjects all belong to other arms drawn (the pooled active arms ``All``): means only.
    """

    arms: list
    visits: list
    gap: float
    per_arm: bool
    offsets: dict
    points: bool
    whole: bool
    pooled: list
    width: str = "single"

    @property
    def step(self) -> float:
        """The horizontal distance between two neighbouring arms (0 with one arm or one panel per arm)."""
        values = sorted(set(self.offsets.values()))
        return float(values[1] - values[0]) if len(values) > 1 else 0.0

    @property
    def spread(self) -> float:
        """The horizontal distance between the first and the last arm at a visit."""
        values = list(self.offsets.values())
        return float(max(values) - min(values)) if values else 0.0


def is_whole_score(values) -> bool:
    """Whether ``values`` are whole numbers with few distinct levels (a score such as the SPPB): stacked, not
    jittered.

    Examples
    --------
    >>> is_whole_score([0.0, 1.0, -2.0, 1.0]), is_whole_score([0.5, 1.0]), is_whole_score(range(100))
    (True, False, False)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(v.size and np.all(v == np.round(v)) and np.unique(v).size <= MAX_SCORE_LEVELS)


def pooled_arms(data: pd.DataFrame, arms, hue: str = "TRT01A", units: str = "USUBJID") -> list:
    """The arms of ``arms`` made of the subjects of several other arms of ``data`` (a pooled arm such as ``All``).

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01A": ["A", "B", "All", "All"], "USUBJID": ["1", "2", "1", "2"]})
    >>> pooled_arms(d, ["A", "B", "All"])
    ['All']
    """
    subjects = {a: set(data.loc[data[hue] == a, units]) for a in arms}

    def pooled(a):
        others = [s for b, s in subjects.items() if b != a]
        # made of the subjects of other arms, and of more than one of them (an arm inside a pool is not a pool)
        return bool(subjects[a]) and subjects[a] <= set().union(*others) and not any(subjects[a] <= s for s in others)

    return [a for a in arms if pooled(a)]


def time_course_plan(data: pd.DataFrame, arms=None, y: str = "CHG", x: str = "AVISITN", hue: str = "TRT01A",
                     units: str = "USUBJID", panels: bool = True) -> TimeCourse:
    """How to draw one parameter's change by arm and visit (``data``: one row per subject and post-baseline visit).

    - Arms in one panel are offset around each visit over :data:`OFFSET_SHARE` of the smallest gap between visits
      (baseline, 0, included), in all.
    - One panel per arm (small multiples, shared axes) when subjects are drawn and either more than
      :data:`PANEL_POINTS` values share a visit (the Phase 2b trial: 5 arms of about 30) or the values are a
      whole-number score, whose stacks need the width of a panel.
    - Each arm's subjects in one panel lie in a lane to its mean's right (:data:`LANE_START` to :data:`LANE_END` of
      the distance to the next arm), at least :data:`LANE_CLEAR_MM` from every mean: the figure is 85 mm wide when
      that fits (:func:`lane_room_mm`), else 180 mm, else one panel per arm.
    - A pooled arm (:func:`pooled_arms`) is drawn as means only: its subjects are drawn in their own arms.

    ``panels=False`` plans one panel whatever the data (a time course drawn on a given axes).

    Examples
    --------
    >>> d = pd.DataFrame({"AVISITN": [3.0, 3.0, 6.0, 6.0], "CHG": [1.5, 2.5, 0.5, 3.0], "TRT01A": ["A", "B"] * 2,
    ...                   "USUBJID": ["1", "2", "1", "2"]})
    >>> plan = time_course_plan(d)
    >>> plan.gap, plan.offsets, plan.per_arm, plan.whole, plan.width
    (3.0, {'A': -0.48, 'B': 0.48}, False, False, 'single')
    """
    arms = [a for a in (arms if arms is not None else arm_order(data, hue)) if a in set(data[hue])]
    d = data[data[hue].isin(arms)]
    visits = sorted({float(v) for v in d[x] if float(v) > 0})
    positions = sorted({0.0, *visits})
    gap = float(np.diff(positions).min()) if len(positions) > 1 else 1.0
    pooled = pooled_arms(d, arms, hue, units)
    own = d[~d[hue].isin(pooled)]
    points = shows_points(arm_counts(own, hue, units)) if len(own) else False
    whole = is_whole_score(own[y]) if len(own) else False
    crowded = bool(len(own)) and int(own.groupby(x)[units].count().max()) > PANEL_POINTS
    per_arm = panels and points and len(arms) > 1 and (crowded or whole)
    width = "double" if per_arm else "single"
    if per_arm or len(arms) < 2:
        offsets = {a: 0.0 for a in arms}
    else:
        spread = OFFSET_SHARE * gap
        offsets = {a: round(float(o), 12) for a, o in zip(arms, np.linspace(-spread / 2, spread / 2, len(arms)))}
        if points:
            # each arm's lane of points needs LANE_CLEAR_MM on either side: a page wide (180 mm) when one column is
            # too narrow, one panel per arm when even that is
            fits = [w for w in ("single", "double") if lane_room_mm(positions, gap, spread / (len(arms) - 1),
                                                                     spread, w) >= LANE_CLEAR_MM]
            if fits:
                width = fits[0]
            elif panels:
                per_arm, width, offsets = True, "double", {a: 0.0 for a in arms}
    return TimeCourse(arms=arms, visits=visits, gap=gap, per_arm=per_arm, offsets=offsets, points=points,
                      whole=whole, pooled=pooled, width=width)


def shows_level_shares(data: pd.DataFrame, plan: TimeCourse, y: str = "AVAL") -> bool:
    """Whether the figure of a parameter without a baseline record (:func:`msc_frailty.plots.at_visit_figure`) adds
    the shares of each level beside the means (and its caption says so): an ordinal score
    (:func:`msc_frailty.analysis.is_ordinal_score`) whose arms are too large to show each subject (``plan``,
    :func:`time_course_plan`)."""
    return bool(is_ordinal_score(data[y]) and not plan.points and plan.visits)


def time_axis_limits(positions, gap: float, left: float, right: float) -> tuple[float, float]:
    """The x limits of a time axis over ``positions`` (visits in order, baseline included): ``left`` and ``right``
    of room beyond the first and last visit (the arms' offsets, the lane of points right of the last arm), plus a
    padding of 5% of the span of the visits or a tenth of the ``gap`` between them, whichever is larger. The axis of
    :func:`msc_frailty.plots.trajectory`, and the one :func:`lane_room_mm` sizes a figure for.

    Examples
    --------
    >>> time_axis_limits([0.0, 3.0, 6.0, 12.0], 3.0, 0.5, 1.0)
    (-1.1, 13.6)
    """
    pad = max(0.05 * (positions[-1] - positions[0]), 0.1 * gap)
    return positions[0] - left - pad, positions[-1] + right + pad


def lane_room_mm(positions, gap: float, step: float, spread: float, width: str) -> float:
    """How far (mm) a lane of points from :data:`LANE_START` to :data:`LANE_END` of ``step`` stays from the means
    on either side, on a time axis over ``positions`` (baseline included) as :func:`time_axis_limits` lays it out
    for :func:`msc_frailty.plots.trajectory`, in a panel :data:`PANEL_AXES_MM` wide.

    Examples
    --------
    >>> round(lane_room_mm([0.0, 3.0, 6.0, 12.0], 3.0, 0.48, 0.96, "single"), 2)   # CRATUS Phase 2, 3 arms
    0.62
    >>> round(lane_room_mm([0.0, 3.0, 6.0, 12.0], 3.0, 0.48, 0.96, "double"), 2)
    1.54
    """
    lo, hi = time_axis_limits(positions, gap, spread / 2, spread / 2 + LANE_END * step)
    mm_per_unit = PANEL_AXES_MM[width] / (hi - lo)
    return min(LANE_START, 1 - LANE_END) * step * mm_per_unit
