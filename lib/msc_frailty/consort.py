"""Participant flow (CONSORT), baseline table and harms (CONSORT Harms 2022) of one study.

Every function takes a :class:`~msc_frailty.data.TrialData` restricted to one study
(``load_trial(...).study(STUDYID)``) and works for any arms, doses and visits: a study without a
placebo, without adverse events, or without serious ones.

Flow
    :func:`consort_counts` (tidy counts: in the data set -> allocated -> infused -> analysed),
    :func:`check_consort` (refuses counts that do not add up), :func:`disposition_counts` and
    :func:`check_disposition` (end of study: completed, discontinued with the reason, where adsl records it),
    :func:`draw_consort` (the diagram).
Cohort
    :func:`baseline_table` (Table 1 with tableone), :func:`save_table`.
Harms
    :func:`zero_event_bounds`, :func:`pooled_active`, :func:`ae_summary`, :func:`death_listing`,
    :func:`draw_tesae`, :func:`draw_events`.

Shared helpers come from :mod:`msc_frailty.plots` (arm order, parameter labels, the basis banner).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle

from . import names, plots, stats, style
from .endpoints import study_words, unit_suffix, words_of
from .captions import plural
from .analysis import TESAE_WINDOW_DAYS, analysed_records, tesae_subjects
from .data import PARAMETERS, TrialData
from .paths import resolve
from .results import atomic_write_csv

#: Stages of the flow, in order. ``analysed`` rows carry the visit (AVISITN) they count. The first counts the
#: subjects the data set holds: not an enrolment count (screening and enrolment before allocation are not in it).
STAGES = ("in_data_set", "allocated", "infused", "analysed")
#: The arm label of a row counting every arm of a stage (the ``in_data_set`` row always is one).
TOTAL = "All arms"
#: Columns of :func:`consort_counts`.
COUNT_COLUMNS = ["stage", "param", "visit", "arm", "n", "visit_label", "died"]
#: Columns of :func:`disposition_counts`.
DISPOSITION_COLUMNS = ["arm", "status", "reason", "n"]
#: End-of-study statuses (ADaM ADSL EOSSTT), in the order a flow box lists them.
STATUSES = ("completed", "ongoing", "discontinued", "not recorded")

#: Days per month, to turn AVISITN (months since infusion) into study days.
DAYS_PER_MONTH = 365.25 / 12
#: Days per unit of AVISITN, by the unit its AVISIT labels name (:func:`msc_frailty.plots.visit_scale`).
DAYS_PER_VISIT_UNIT = {"months": DAYS_PER_MONTH, "weeks": 7.0, "days": 1.0}


def _one_study(trial: TrialData) -> str:
    studies = trial.studies
    if len(studies) != 1:
        raise ValueError(f"expected the data of one study (use trial.study(...)), got {studies}")
    return studies[0]


def arm_order(trial: TrialData) -> list[str]:
    """Arm labels of the study, placebo (dose 0) first, then by dose."""
    return plots.arm_order(trial.adsl)


#: Built-in physical-performance parameters, in the order in which one is taken for the flow's "analysed" boxes
#: when the data set states no primary endpoint.
FLOW_ORDER = ("SIXMWD", "SPPB", "FEV1", "SF36PCS", "SQOLF")
#: The unit of AVISITN without AVISIT labels (contract section 1).
DEFAULT_VISIT_UNIT = "month"


def stated_primary(trial: TrialData) -> str | None:
    """The primary endpoint the data set states: the PARAMCD that ``params.csv`` marks ``primary = Y`` (when
    ``trial.params`` has that column and the code is in adeff), else None.

    A data set in the contract layout says nothing else about which endpoint was primary, and the collection does
    not guess it: the trials' own primary endpoints (TE-SAE incidence at 1 month in CRATUS Phase 1 and 2, 6MWD at
    day 180 in the Phase 2b) are not efficacy rows of adeff at all, or are only named so in the published record.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> stated_primary(load_trial("data/synthetic").study("CRATUS-P2")) is None      # no params.csv
    True
    """
    codes = set(trial.adeff["PARAMCD"])
    params = trial.params
    if "primary" not in params.columns:
        return None
    marked = params.loc[params["primary"].astype(str).str.strip().str.upper() == "Y", "PARAMCD"]
    marked = [c for c in marked if c in codes]
    return marked[0] if marked else None


def flow_param(trial: TrialData) -> str | None:
    """The PARAMCD the CONSORT "analysed" boxes follow.

    The stated primary endpoint (:func:`stated_primary`); else the first built-in physical parameter present
    (:data:`FLOW_ORDER`); else the first PARAMCD in data order (never the alphabetically first). None without
    efficacy rows. Only a stated primary endpoint is called "primary" on the diagram.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> flow_param(load_trial("data/synthetic").study("CRATUS-P2"))
    'SIXMWD'
    """
    codes = list(pd.unique(trial.adeff["PARAMCD"]))
    if not codes:
        return None
    stated = stated_primary(trial)
    if stated is not None:
        return stated
    for code in FLOW_ORDER:
        if code in codes:
            return code
    return codes[0]


def visit_labels(trial: TrialData, param: str | None = None) -> dict:
    """A label with its unit for each post-baseline AVISITN of ``param`` (every parameter when None).

    AVISITN is months since infusion (contract section 1): ``"Month 6"``. When adeff has an ``AVISIT``
    column, each visit is labelled by its own AVISIT label (the most frequent one, e.g. ``"Week 4"``) and
    a visit without one by its number in the unit the labels name (:func:`msc_frailty.plots.visit_scale`,
    the same rule as every other figure's visit labels).

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> visit_labels(load_trial("data/synthetic").study("CRATUS-P2"), "SIXMWD")
    {3.0: 'Month 3', 6.0: 'Month 6', 12.0: 'Month 12'}
    """
    eff = trial.adeff if param is None else trial.adeff[trial.adeff["PARAMCD"] == param]
    unit, given = plots.visit_scale(eff)
    unit = (unit or "months").rstrip("s")
    visits = sorted(float(v) for v in set(eff.loc[eff["AVISITN"] > 0, "AVISITN"]))
    return {v: given.get(v) or visit_label(v, unit) for v in visits}


def visit_label(visit: float, unit: str = DEFAULT_VISIT_UNIT) -> str:
    """A visit number with its unit; AVISITN is months since infusion by default (contract section 1).

    Examples
    --------
    >>> visit_label(6), visit_label(4, "week")
    ('Month 6', 'Week 4')
    """
    return f"{unit.capitalize()} {visit:g}"


# --------------------------------------------------------------------------------------------- flow

def consort_counts(trial: TrialData, param: str | None = None) -> pd.DataFrame:
    """Counts of the CONSORT flow of one study, one row per stage, visit and arm.

    Stages: ``in_data_set`` (every row of adsl, arm :data:`TOTAL`: the subjects the data set holds, which is
    not an enrolment count), ``allocated`` (per TRT01A),
    ``infused`` (SAFFL = Y) and ``analysed`` (per post-baseline visit of ``param``: subjects with
    SAFFL = Y, a baseline value and a value at that visit, the efficacy population of the analysis
    plan; for a parameter without a baseline record, a value at that visit). Arms come placebo first, then by
    dose; an arm nobody was analysed in at a visit has n = 0.

    Parameters
    ----------
    trial : TrialData
        One study.
    param : str, optional
        The PARAMCD of the analysed stages; :func:`flow_param` by default. A study without
        efficacy rows has no analysed stage.

    Returns
    -------
    pandas.DataFrame
        Columns stage, param, visit (NaN except for ``analysed``), arm, n, visit_label (the visit
        with its unit, :func:`visit_labels`; empty except for ``analysed``) and died (``analysed`` rows: of
        the infused subjects not analysed at that visit, those with a death recorded in adae, AEOUT =
        FATAL, before the visit's nominal study day; 0 elsewhere).
    """
    _one_study(trial)
    adsl = trial.adsl
    arms = arm_order(trial)
    param = flow_param(trial) if param is None else param
    rows = [("in_data_set", "", np.nan, TOTAL, len(adsl), "", 0)]
    rows += [("allocated", "", np.nan, a, int((adsl["TRT01A"] == a).sum()), "", 0) for a in arms]
    rows += [("infused", "", np.nan, a, int(((adsl["TRT01A"] == a) & (adsl["SAFFL"] == "Y")).sum()), "", 0)
             for a in arms]
    if param is not None:
        eff = trial.adeff[trial.adeff["PARAMCD"] == param]
        if eff.empty:
            have = sorted(set(trial.adeff["PARAMCD"]))
            raise ValueError(f"parameter {param!r} has no rows in adeff (have {have})")
        chg = analysed_records(trial)   # a parameter without a baseline record: subjects with a value at the visit
        chg = chg[chg["PARAMCD"] == param]
        labels = visit_labels(trial, param)
        infused = adsl[adsl["SAFFL"] == "Y"]
        # study day of each death: a subject missing at a visit after it died is a death, not a missed visit
        fatal = trial.adae[trial.adae["AEOUT"] == "FATAL"].groupby("USUBJID")["ASTDY"].min()
        per_visit = DAYS_PER_VISIT_UNIT.get(plots.visit_scale(eff)[0] or "months", DAYS_PER_MONTH)
        for visit in sorted(set(eff.loc[eff["AVISITN"] > 0, "AVISITN"])):
            at = chg[chg["AVISITN"] == visit]
            for a in arms:
                seen = set(at.loc[at["TRT01A"] == a, "USUBJID"])
                missing = infused.loc[(infused["TRT01A"] == a) & ~infused["USUBJID"].isin(seen), "USUBJID"]
                died = int((fatal.reindex(missing) < 1 + float(visit) * per_visit).sum())
                rows.append(("analysed", param, float(visit), a, len(seen), labels[float(visit)], died))
    out = pd.DataFrame(rows, columns=COUNT_COLUMNS)
    out[["n", "died"]] = out[["n", "died"]].astype(int)
    return out


def _where(stage: str, visit) -> str:
    return f"stage {stage!r}" + (f" (visit {visit:g})" if pd.notna(visit) else "")


def check_consort(counts: pd.DataFrame) -> pd.DataFrame:
    """Return ``counts`` if the flow adds up; raise ValueError naming the stage and arm otherwise.

    Rules: every n is a whole number >= 0; one ``in_data_set`` row (arm :data:`TOTAL`); the
    ``allocated`` arms sum to its total; a :data:`TOTAL` row of any later stage equals the
    sum of its arms; every arm of a later stage was allocated, and every allocated arm appears in
    each later stage; per arm, infused <= allocated and analysed <= infused (visits are not nested:
    a subject missing at month 3 may be back at month 6, so each visit is checked against infused).

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns stage, arm, n (and visit for ``analysed`` rows), as from :func:`consort_counts`.
    """
    missing = [c for c in ("stage", "arm", "n") if c not in counts.columns]
    if missing:
        raise ValueError(f"CONSORT counts lack column(s) {missing}")
    df = counts.reset_index(drop=True).copy()
    if "visit" not in df.columns:
        df["visit"] = np.nan
    unknown = sorted(set(df["stage"]) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; stages are {list(STAGES)}")
    n = pd.to_numeric(df["n"], errors="coerce")
    for i in df.index:
        where = f"{_where(df.at[i, 'stage'], df.at[i, 'visit'])}, arm {df.at[i, 'arm']!r}"
        if pd.isna(n[i]) or n[i] != np.floor(n[i]):
            raise ValueError(f"{where}: count {df.at[i, 'n']} is not a whole number")
        if n[i] < 0:
            raise ValueError(f"{where}: negative count {n[i]:g}")
    df["n"] = n.astype(int)
    key = df["visit"].fillna(-1.0)
    dup = df.assign(_v=key).duplicated(["stage", "_v", "arm"], keep=False)
    if dup.any():
        i = df.index[dup][0]
        raise ValueError(f"{_where(df.at[i, 'stage'], df.at[i, 'visit'])}, arm {df.at[i, 'arm']!r}: counted twice")

    first = df[df["stage"] == STAGES[0]]
    if len(first) != 1 or first["arm"].iloc[0] != TOTAL:
        raise ValueError(f"stage {STAGES[0]!r} needs exactly one row with arm {TOTAL!r}, got arms "
                         f"{first['arm'].tolist()}")
    total = int(first["n"].iloc[0])
    allocated = df[(df["stage"] == "allocated") & (df["arm"] != TOTAL)]
    if allocated.empty:
        raise ValueError("stage 'allocated' has no arms")
    arms = allocated["arm"].tolist()
    alloc_n = dict(zip(allocated["arm"], allocated["n"]))
    if sum(alloc_n.values()) != total:
        parts = ", ".join(f"{a} = {k}" for a, k in alloc_n.items())
        raise ValueError(f"stage 'allocated': arm counts ({parts}) sum to {sum(alloc_n.values())}, "
                         f"not the {total} in the data set")

    inf = df[(df["stage"] == "infused") & (df["arm"] != TOTAL)]
    infused_n = dict(zip(inf["arm"], inf["n"]))
    for (stage, visit), rows in df[df["stage"] != STAGES[0]].groupby(["stage", key], sort=False):
        visit = np.nan if visit == -1.0 else visit
        where = _where(stage, visit)
        per_arm = rows[rows["arm"] != TOTAL]
        tot = rows[rows["arm"] == TOTAL]
        if len(tot) and int(tot["n"].iloc[0]) != int(per_arm["n"].sum()):
            raise ValueError(f"{where}, arm {TOTAL!r}: total {int(tot['n'].iloc[0])} is not the sum "
                             f"{int(per_arm['n'].sum())} of its arms {per_arm['arm'].tolist()}")
        if stage == "allocated":
            continue
        for arm in per_arm["arm"]:
            if arm not in alloc_n:
                raise ValueError(f"{where}, arm {arm!r}: not an allocated arm (allocated: {arms})")
        for arm in arms:
            if arm not in set(per_arm["arm"]):
                raise ValueError(f"{where}, arm {arm!r}: allocated arm missing from this stage")
        for arm, k in zip(per_arm["arm"], per_arm["n"]):
            if stage == "analysed" and arm in infused_n:
                before, name = infused_n[arm], "infused"
            else:
                before, name = alloc_n[arm], "allocated"
            if k > before:
                raise ValueError(f"{where}, arm {arm!r}: {k} is more than the {before} {name}")
        if stage == "analysed" and "died" in per_arm.columns:
            for arm, k, died in zip(per_arm["arm"], per_arm["n"], per_arm["died"].fillna(0)):
                missing = infused_n.get(arm, alloc_n[arm]) - k
                if died < 0 or died > missing:
                    raise ValueError(f"{where}, arm {arm!r}: {died:g} died of the {missing} not analysed")
    return counts


def _reason_words(reason: str) -> str:
    """A reason for discontinuation in a reader's words: a controlled term in capitals ("LOST TO FOLLOW-UP") in
    lower case, anything else as recorded."""
    reason = " ".join(str(reason).split())
    return reason.lower() if reason.isupper() else reason


def disposition_counts(trial: TrialData) -> pd.DataFrame:
    """End of study of the infused subjects, per arm: completed, discontinued by reason, as adsl records it.

    Needs EOSSTT (ADaM ADSL end-of-study status: COMPLETED, DISCONTINUED, ONGOING); DCSREAS gives the reason of a
    discontinuation, and a subject with DTHFL = Y and no reason is counted under "death". A status or reason that
    is not recorded is counted as such, never dropped. A data set without EOSSTT (the contract does not require it)
    gives an empty table: the flow then has no follow-up boxes.

    Returns
    -------
    pandas.DataFrame
        Columns arm, status (:data:`STATUSES` first, then any other status as recorded, in lower case), reason
        (discontinued rows only: one row per reason, most frequent first; "" otherwise) and n. Arms placebo first,
        then by dose; within an arm, the rows add up to its infused subjects (:func:`check_disposition`).

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> d = disposition_counts(load_trial("data/synthetic").study("CRATUS-P1"))
    >>> d[d.arm == "200M"][["status", "reason", "n"]].values.tolist()
    [['completed', '', 4], ['discontinued', 'death', 1]]
    """
    _one_study(trial)
    adsl = trial.adsl
    if "EOSSTT" not in adsl.columns:
        return pd.DataFrame(columns=DISPOSITION_COLUMNS).astype({"n": int})
    saf = adsl[adsl["SAFFL"] == "Y"]
    status = saf["EOSSTT"].fillna("").astype(str).str.strip().str.lower().replace("", "not recorded")
    reason = (saf["DCSREAS"].fillna("").astype(str).map(_reason_words) if "DCSREAS" in saf.columns
              else pd.Series("", index=saf.index))
    if "DTHFL" in saf.columns:
        reason = reason.mask(reason.eq("") & saf["DTHFL"].eq("Y"), "death")
    reason = reason.where(status.eq("discontinued"), "").mask(status.eq("discontinued") & reason.eq(""),
                                                              "reason not recorded")
    order = list(STATUSES) + sorted(set(status) - set(STATUSES))
    rows = []
    for arm in arm_order(trial):
        mine = saf["TRT01A"] == arm
        for st_ in order:
            here = mine & status.eq(st_)
            if st_ != "discontinued":
                if here.any() or st_ == "completed":
                    rows.append((arm, st_, "", int(here.sum())))
                continue
            counts = reason[here].value_counts()
            counts = counts.reindex(sorted(counts.index, key=lambda r: (-counts[r], r)))
            rows += [(arm, st_, r, int(k)) for r, k in counts.items()] or [(arm, st_, "", 0)]
    return pd.DataFrame(rows, columns=DISPOSITION_COLUMNS)


def check_disposition(disposition: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Return ``disposition`` if it adds up to the infused subjects of ``counts``; raise ValueError naming the arm.

    Rules: every n is a whole number >= 0; the arms are the allocated arms of ``counts``; per arm, the statuses
    (and the reasons of the discontinued) sum to the arm's infused n. An empty table (adsl records no end of study)
    has nothing to check.

    Examples
    --------
    >>> counts = pd.DataFrame({"stage": ["in_data_set", "allocated", "infused"], "arm": [TOTAL, "A", "A"],
    ...                        "n": [5, 5, 5]})
    >>> d = pd.DataFrame({"arm": ["A", "A"], "status": ["completed", "discontinued"], "reason": ["", "death"],
    ...                   "n": [3, 1]})
    >>> check_disposition(d, counts)
    Traceback (most recent call last):
    ...
    ValueError: follow-up, arm 'A': completed 3 + discontinued 1 = 4, not the 5 infused
    """
    missing = [c for c in DISPOSITION_COLUMNS if c not in disposition.columns]
    if missing:
        raise ValueError(f"disposition counts lack column(s) {missing}")
    if disposition.empty:
        return disposition
    n = pd.to_numeric(disposition["n"], errors="coerce")
    bad = n.isna() | (n < 0) | (n != np.floor(n))
    if bad.any():
        i = disposition.index[bad][0]
        raise ValueError(f"follow-up, arm {disposition.at[i, 'arm']!r}: count {disposition.at[i, 'n']} is not a "
                         "whole number >= 0")
    inf = counts[(counts["stage"] == "infused") & (counts["arm"] != TOTAL)]
    infused = dict(zip(inf["arm"], pd.to_numeric(inf["n"]).astype(int)))
    extra = sorted(set(disposition["arm"]) - set(infused))
    if extra:
        raise ValueError(f"follow-up, arm {extra[0]!r}: not an allocated arm (allocated: {list(infused)})")
    for arm, k in infused.items():
        mine = disposition[disposition["arm"] == arm]
        if mine.empty:
            raise ValueError(f"follow-up, arm {arm!r}: allocated arm missing")
        per = n[mine.index].groupby(mine["status"], sort=False).sum()
        if int(per.sum()) != k:
            parts = " + ".join(f"{st_} {int(v)}" for st_, v in per.items())
            raise ValueError(f"follow-up, arm {arm!r}: {parts} = {int(per.sum())}, not the {k} infused")
    return disposition


#: Text is measured at the PNG's dpi; the same text drawn at another dpi (a notebook's preview, a PDF) can be
#: up to a few per cent wider (font hinting), so every measured width is taken this much wider.
HINTING_SLACK = 1.06

#: Height of one text line in a flow box (mm) and the size of its text (pt).
BOX_LINE_MM = 3.0
BOX_FONT_PT = 6.5


def _box_height(n_lines: int, band: bool) -> float:
    """Height (mm) of a flow box holding ``n_lines`` lines of text, with or without a colour band."""
    return (2.4 if band else 1.2) + BOX_LINE_MM * n_lines + 1.0


def _text_mm(text: str, bold: bool = False) -> float:
    """Width (mm) of one line of box text as Agg draws it."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family=style.RC["font.family"], size=BOX_FONT_PT, weight="bold" if bold else "normal")
    width, _, _ = RendererAgg(10, 10, style.DPI).get_text_width_height_descent(text, prop, ismath=False)
    return width / style.DPI * 25.4 * HINTING_SLACK


#: The lead of a reason line under "Discontinued" in a follow-up box, and the indent of its continuation.
REASON_BULLET = "\u2013 "
HANGING_INDENT = "   "


def _wrap_lines(lines, width_mm: float, bold_first: bool = True) -> list[str]:
    """The lines of a box, each wrapped on word boundaries to fit ``width_mm`` (1.5 mm padding each side).

    Widths are measured, not guessed from a character count; a word wider than the box on its own is
    broken (:func:`msc_frailty.style.wrap_label`). A line of a list (it starts with :data:`REASON_BULLET`) goes on
    indented under its first word.

    Examples
    --------
    >>> _wrap_lines(["Allocated to Xanomeline Low Dose", "n = 84"], 36.0)
    ['Allocated to', 'Xanomeline Low Dose', 'n = 84']
    >>> _wrap_lines(["Follow-up", "\u2013 withdrawal by subject: 5"], 30.0)
    ['Follow-up', '\u2013 withdrawal by', '   subject: 5']
    """
    room = width_mm - 3.0
    out = []
    for i, line in enumerate(lines):
        bold = bold_first and i == 0 and not out
        indent = HANGING_INDENT if line.startswith(REASON_BULLET) else ""
        words, current = line.split(), ""
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and _text_mm(trial, bold) > room:
                out.append(current)
                bold, current = False, indent + word
            else:
                current = trial
            while _text_mm(current, bold) > room and len(current) > 1:
                # one word wider than the box: break it where it stops fitting
                cut = max(k for k in range(1, len(current) + 1) if _text_mm(current[:k], bold) <= room or k == 1)
                out.append(current[:cut])
                bold, current = False, current[cut:]
        out.append(current)
    return out


def _box(ax, x, y, w, h, lines, edge, band=None, bold_first=True):
    """A box with its top-left corner at (x, y) in mm (y grows upwards) and left-aligned text lines."""
    ax.add_patch(Rectangle((x, y - h), w, h, facecolor="white", edgecolor=edge, linewidth=0.8, zorder=2))
    if band is not None:
        ax.add_patch(Rectangle((x, y - 1.4), w, 1.4, facecolor=band, edgecolor=edge, linewidth=0.8, zorder=3))
    top = y - (2.4 if band is not None else 1.2)
    for j, line in enumerate(lines):
        ax.text(x + 1.5, top - j * BOX_LINE_MM, line, ha="left", va="top", fontsize=BOX_FONT_PT, zorder=4,
                fontweight="bold" if (bold_first and j == 0) else "normal")


def _arrow(ax, x0, y0, x1, y1):
    ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=6, linewidth=0.7,
                                 color="black", shrinkA=0, shrinkB=0, zorder=1))


def _analysed_lines(analysed: pd.DataFrame, arm: str, n_inf: int, param, width_mm: float, labels=None,
                    primary: bool = False) -> list[str]:
    """The text of an arm's "analysed" box: the parameter and, per visit (with its unit), n and missing.

    "Analysed for" / "6-minute walk distance": the parameter is the one the flow follows, not a primary endpoint,
    unless ``primary`` (the data set states it, :func:`stated_primary`): "Primary endpoint: ...". It is named in
    full when that fits on one line of the box, else by its short label ("6MWD"); a primary endpoint on the line of
    "Primary endpoint:" when both fit.
    """
    if analysed.empty:
        return ["Analysed", "no efficacy data"]
    info = plots.parameter_info(param, labels)
    room = width_mm - 3.0
    names = list(dict.fromkeys([info["label"] if info["known"] else str(param), info["short"]]))
    if primary:
        head = ["Analysed", "Primary endpoint:", str(param)]
        for name in names:
            if _text_mm(f"Primary endpoint: {name}") <= room:
                head = ["Analysed", f"Primary endpoint: {name}"]
                break
            if _text_mm(name) <= room:
                head = ["Analysed", "Primary endpoint:", name]
                break
    else:
        # the parameter the flow follows, under a bold "Analysed for": never called primary without a source
        head = ["Analysed for", next((name for name in names if _text_mm(name) <= room), str(param))]
    lines = [*head, "(baseline and visit)" if info.get("baseline", True) else "(value at visit)"]
    for r in analysed[analysed["arm"] == arm].sort_values("visit").itertuples():
        label = r.visit_label if isinstance(getattr(r, "visit_label", None), str) and r.visit_label \
            else visit_label(r.visit)
        died = int(getattr(r, "died", 0) or 0)
        line = f"{label}: n = {r.n}"
        if r.n < n_inf:
            lost = f"({n_inf - r.n} missing" + (f"; {died} had died)" if died else ")")
            # the losses on the line of their visit when they fit, else whole on the next (never "(2 / missing)")
            lines.extend([f"{line} {lost}"] if _text_mm(f"{line} {lost}") <= room else [line, lost])
        else:
            lines.append(line)
    return lines




def _follow_up_lines(disposition: pd.DataFrame, arm: str) -> list[str]:
    """The text of an arm's follow-up box: each end-of-study status with n, the discontinued with their reasons
    ("Discontinued: n = 2", "- death: 1", ...), as CONSORT asks ("Discontinued intervention (give reasons)")."""
    mine = disposition[disposition["arm"] == arm]
    lines = ["Follow-up"]
    for status, rows in mine.groupby("status", sort=False):
        lines.append(f"{status[0].upper()}{status[1:]}: n = {int(rows['n'].sum())}")
        if status == "discontinued":
            lines += [f"{REASON_BULLET}{r.reason}: {int(r.n)}" for r in rows.itertuples() if r.reason and r.n]
    return lines


def draw_consort(counts: pd.DataFrame, labels=None, primary: bool = False, disposition: pd.DataFrame | None = None):
    """The CONSORT flow diagram of :func:`consort_counts`, one column per arm, 180 mm wide.

    Calls :func:`check_consort` first and so refuses to draw counts that do not add up. The top box counts the
    subjects in the data set ("In the data set: n = ..."): the data set holds no screening or enrolment, so it is
    never called "Enrolled". The "analysed" boxes name the parameter they follow ("Analysed for ...", or "Primary
    endpoint: ..." when ``primary``: the data set states it, :func:`stated_primary`), in the words of ``labels``
    (:func:`msc_frailty.endpoints.resolve_labels`) when given, and each visit with its unit (``visit_label`` when
    the counts have it, else months), with the infused subjects missing at that visit and how many of them had died.
    The box of the safety population says "Infused" where the study's day 1 is an infusion (the collection's
    trials; :attr:`msc_frailty.studies.StudyWords.treated`), "Treated" otherwise.
    With ``disposition`` (:func:`disposition_counts`, checked by :func:`check_disposition`; empty or None: no
    boxes), a follow-up box per arm gives the end-of-study status of the infused subjects, the discontinued with
    their reasons. Long arm labels and lines are wrapped to the width of their box, and the boxes grow to hold them.

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> fig, ax = draw_consort(consort_counts(load_trial("data/synthetic").study("CRATUS-P2")))
    >>> [t.get_text() for t in ax.texts][0], [t.get_text() for t in ax.texts][-6:-3]
    ('In the data set: n = 30', ['Analysed for', '6-minute walk distance', '(baseline and visit)'])
    """
    check_consort(counts)
    follow = disposition is not None and len(disposition) > 0
    if follow:
        check_disposition(disposition, counts)
    df = counts.copy()
    if "visit" not in df.columns:
        df["visit"] = np.nan
    per_arm = df[df["arm"] != TOTAL]
    arms = per_arm.loc[per_arm["stage"] == "allocated", "arm"].tolist()
    get = lambda stage, arm: int(per_arm.loc[(per_arm["stage"] == stage) & (per_arm["arm"] == arm), "n"].iloc[0])  # noqa: E731
    total = int(df.loc[df["stage"] == STAGES[0], "n"].iloc[0])
    analysed = per_arm[per_arm["stage"] == "analysed"]
    param = analysed["param"].iloc[0] if "param" in analysed.columns and len(analysed) else None

    width = style.DOUBLE_COLUMN / style.MM     # 180 mm: the axes' data units are millimetres
    margin, gap = 2.0, 3.0
    k = len(arms)
    col = (width - 2 * margin) / k
    bw = min(col - gap, 60.0)
    # every box's lines, wrapped to the box width; each row of boxes is as tall as its fullest box
    boxes = {}
    treated = words_of(labels).treated      # "Infused" only where day 1 is an infusion (studies.csv)
    for arm in arms:
        n_alloc, n_inf = get("allocated", arm), get("infused", arm)
        boxes[arm] = {
            "allocated": _wrap_lines([f"Allocated to {arm}", f"n = {n_alloc}"], bw),
            "infused": _wrap_lines([treated, "(safety population)", f"n = {n_inf}; not {treated.lower()} "
                                    f"{n_alloc - n_inf}"], bw),
            "follow": _wrap_lines(_follow_up_lines(disposition, arm), bw) if follow else [],
            "analysed": _wrap_lines(_analysed_lines(analysed, arm, n_inf, param, bw, labels, primary), bw),
        }
    tall = lambda stage: max(len(b[stage]) for b in boxes.values())  # noqa: E731
    top_text = f"In the data set: n = {total}"
    h_top = _box_height(1, False)
    h_alloc, h_inf, h_an = _box_height(tall("allocated"), True), _box_height(tall("infused"), False), \
        _box_height(tall("analysed"), False)
    h_fu = _box_height(tall("follow"), False) if follow else 0.0
    v = 6.0  # vertical space for arrows
    height = 3.0 + h_top + 2 * v + h_alloc + v + h_inf + v + (h_fu + v if follow else 0.0) + h_an + 6.0
    fig, ax = style.figure("double", height)
    fig.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()

    centres = [margin + col * (i + 0.5) for i in range(k)]
    y = height - 3.0
    ew = max(_text_mm(top_text, bold=True) + 3.0, 30.0)
    _box(ax, width / 2 - ew / 2, y, ew, h_top, [top_text], "black")
    y -= h_top
    split = y - v
    ax.plot([width / 2, width / 2], [y, split], color="black", linewidth=0.7)
    if k > 1:
        ax.plot([centres[0], centres[-1]], [split, split], color="black", linewidth=0.7)
    y = split - v
    for c in centres:
        _arrow(ax, c, split, c, y)
    for arm, c in zip(arms, centres):
        x = c - bw / 2
        colour = style.arm_color(arm)
        _box(ax, x, y, bw, h_alloc, boxes[arm]["allocated"], colour, band=colour)
        yi = y - h_alloc - v
        _arrow(ax, c, y - h_alloc, c, yi)
        _box(ax, x, yi, bw, h_inf, boxes[arm]["infused"], colour)
        ya = yi - h_inf - v
        _arrow(ax, c, yi - h_inf, c, ya)
        if follow:
            _box(ax, x, ya, bw, h_fu, boxes[arm]["follow"], colour)
            _arrow(ax, c, ya - h_fu, c, ya - h_fu - v)
            ya -= h_fu + v
        _box(ax, x, ya, bw, h_an, boxes[arm]["analysed"], colour)
    return fig, ax


# --------------------------------------------------------------------------------------------- cohort

def _decimals(values: pd.Series) -> int:
    med = values.abs().median()
    return 2 if pd.notna(med) and med < 10 else 1


def baseline_table(trial: TrialData):
    """Table 1 of one study with tableone: age, sex and every parameter's baseline (AVISITN = 0) value.

    All subjects of adsl, grouped by TRT01A (placebo first, then by dose), mean (SD) and n (%),
    an Overall and a Missing column, no p-values (CONSORT item 15: baseline differences in a
    randomized trial are chance by definition).

    Returns
    -------
    (tableone.TableOne, pandas.DataFrame)
        The TableOne object (for display) and a flat table of strings for a CSV file.
    """
    from tableone import TableOne

    _one_study(trial)
    base = trial.adeff[trial.adeff["AVISITN"] == 0]
    known = [p for p in PARAMETERS if p in set(base["PARAMCD"])]
    params = known + sorted(set(base["PARAMCD"]) - set(known))
    wide = base.pivot(index="USUBJID", columns="PARAMCD", values="AVAL").reindex(columns=params)
    data = trial.adsl[["USUBJID", "TRT01A", "AGE", "SEX"]].merge(wide, left_on="USUBJID", right_index=True,
                                                                 how="left")
    data["SEX"] = data["SEX"].map({"F": "Female", "M": "Male"})
    sexes = [s for s in ("Female", "Male") if (data["SEX"] == s).any()]
    rename = {"AGE": "Age (years)", "SEX": "Sex"}
    decimals = {"AGE": 1}
    for p in params:
        info = plots.parameter_info(p)
        rename[p] = info["label"] + unit_suffix(info["label"], info["unit"])   # a unit the name states: once
        decimals[p] = _decimals(data[p])
    with warnings.catch_warnings():
        # tableone 0.9.6 sets its "n" row with a partial MultiIndex key, which pandas 3 deprecates
        warnings.filterwarnings("ignore", message="Setting a new row on a DataFrame with a MultiIndex")
        table = TableOne(data, columns=["AGE", "SEX"] + params, categorical=["SEX"], continuous=["AGE"] + params,
                         groupby="TRT01A", order={"TRT01A": arm_order(trial), "SEX": sexes},
                         rename=rename, decimals=decimals, missing=True, overall=True, pval=False)
    flat = table.tableone.copy()
    flat.columns = [c[-1] for c in flat.columns]
    flat = flat.reset_index()
    flat.columns = ["variable", "level"] + flat.columns[2:].tolist()
    return table, flat.astype(str)


def save_table(table: pd.DataFrame, output_dir, name: str):
    """Write a table as ``<output_dir>/results/<name>.csv`` (atomically, LF line ends, formulas escaped).

    Raises ValueError, writing nothing, when ``name`` (which holds the study) is not one safe file name
    (:func:`msc_frailty.names.component_problem`).
    """
    names.check_component(name, "table name")
    path = names.inside(names.inside(resolve(output_dir), "results"), f"{name}.csv")
    atomic_write_csv(table, path)
    return path


# --------------------------------------------------------------------------------------------- harms

def zero_event_bounds(ns, confidence: float = 0.95) -> pd.DataFrame:
    """Upper bounds on the true event rate after 0 events in n subjects, side by side.

    ``exact_two_sided`` is the Clopper-Pearson upper limit (= 1 - (alpha/2)^(1/n)), the bound that
    belongs with a two-sided 95% interval; ``exact_one_sided`` is 1 - alpha^(1/n); ``rule_of_three``
    is 3/n, a large-n approximation of the one-sided bound (-ln(alpha)/n).

    Examples
    --------
    >>> zero_event_bounds([5, 10]).round(3).to_dict("list")["exact_two_sided"]
    [0.522, 0.308]
    """
    alpha = 1 - confidence
    rows = []
    for n in sorted(set(int(n) for n in ns if n > 0)):
        rows.append({"n": n, "exact_two_sided": stats.clopper_pearson(0, n, confidence)[1],
                     "exact_one_sided": 1 - alpha ** (1 / n), "rule_of_three": 3 / n})
    return pd.DataFrame(rows, columns=["n", "exact_two_sided", "exact_one_sided", "rule_of_three"])


def pooled_active(trial: TrialData, confidence: float = 0.95) -> dict | None:
    """TE-SAE within the window pooled over the active arms (dose > 0): k, n, proportion, exact interval.

    None when fewer than two active arms have infused subjects (nothing to pool).
    """
    saf = tesae_subjects(trial)
    act = saf[saf["TRT01AN"] > 0]
    if act["TRT01A"].nunique() < 2:
        return None
    k, n = int(act["TESAE30"].sum()), len(act)
    lo, hi = stats.clopper_pearson(k, n, confidence)
    return {"arm": "Active arms pooled", "k": k, "n": n, "estimate": k / n, "ci_low": lo, "ci_high": hi}


def _safety_events(trial: TrialData) -> pd.DataFrame:
    saf = trial.adsl[trial.adsl["SAFFL"] == "Y"][["STUDYID", "USUBJID", "TRT01A", "TRT01AN"]]
    return trial.adae.merge(saf, on=["STUDYID", "USUBJID"], how="inner")


def ae_summary(trial: TrialData, window_days: int = TESAE_WINDOW_DAYS) -> pd.DataFrame:
    """Subjects with adverse events per arm, safety population: n (%) strings.

    Rows: any AE, any serious AE, any treatment-emergent serious AE, TE-SAE on days 1-window,
    death, then one row per AE term (most frequent first). Columns: one per arm, headed
    ``<arm> (N = <n>)``. AEs of subjects outside the safety population are not counted.
    """
    _one_study(trial)
    arms = [a for a in arm_order(trial) if ((trial.adsl["TRT01A"] == a) & (trial.adsl["SAFFL"] == "Y")).any()]
    saf = trial.adsl[trial.adsl["SAFFL"] == "Y"]
    big_n = {a: int((saf["TRT01A"] == a).sum()) for a in arms}
    ev = _safety_events(trial)
    ser = ev["AESER"] == "Y"
    te = ev["TRTEMFL"] == "Y"
    win = ev["ASTDY"].between(1, window_days)
    items = [("Any adverse event", ev), ("Any serious AE", ev[ser]), ("Any treatment-emergent SAE", ev[ser & te]),
             (f"TE-SAE on days 1-{window_days}", ev[ser & te & win]), ("Death (AEOUT = FATAL)", ev[ev["AEOUT"] == "FATAL"])]
    terms = (ev.groupby("AEDECOD")["USUBJID"].nunique().reset_index()
             .sort_values(["USUBJID", "AEDECOD"], ascending=[False, True])["AEDECOD"])
    items += [(f"  {t}", ev[ev["AEDECOD"] == t]) for t in terms]
    rows = {}
    for label, sub in items:
        cells = []
        for a in arms:
            k = sub.loc[sub["TRT01A"] == a, "USUBJID"].nunique()
            cells.append(f"{k} ({100 * k / big_n[a]:.1f}%)")
        rows[label] = cells
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[f"{a} (N = {big_n[a]})" for a in arms])
    table.index.name = "Subjects with"
    return table


def death_listing(trial: TrialData) -> pd.DataFrame:
    """Every death (AEOUT = FATAL) with arm and study day, and the days after day 1 (the infusion in the
    collection's trials, :mod:`msc_frailty.studies`) = study day - 1 (a death "258 days post-infusion" is on study
    day 259)."""
    ae = trial.adae.merge(trial.adsl[["STUDYID", "USUBJID", "TRT01A", "TRT01AN"]], on=["STUDYID", "USUBJID"])
    d = ae[ae["AEOUT"] == "FATAL"].sort_values(["ASTDY", "TRT01AN", "USUBJID"])
    out = pd.DataFrame({"arm": d["TRT01A"], "subject": d["USUBJID"], "event": d["AEDECOD"],
                        "study_day": d["ASTDY"].astype("Int64"),      # <NA>: onset day unknown
                        "days_after_day1": (d["ASTDY"] - 1).astype("Int64"),
                        "treatment_emergent": d["TRTEMFL"]})
    return out.reset_index(drop=True)


def _mm_margins(fig, left, right, bottom, top):
    w, h = fig.get_size_inches() / style.MM
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h)


def _ytick_label_mm(fig, ax) -> float:
    """Width (mm) of the widest y tick label of ``ax`` as Agg draws it (wrapped labels count their longest line)."""
    with style.at_dpi(fig, style.DPI):
        renderer = fig.canvas.get_renderer()
        widths = [t.get_window_extent(renderer).width for t in ax.get_yticklabels() if t.get_text()]
    return max(widths, default=0.0) / style.DPI * 25.4 * HINTING_SLACK


def _fit_left_margin(fig, ax, left, right, bottom, top, offset_pt: float = 0.0):
    """Set the margins (mm) with a left margin at least ``left`` and wide enough for the y tick labels.

    The labels sit ``pad`` points (the tick padding, plus ``offset_pt`` for a spine moved outward) left of
    the axes; 1.5 mm more keeps them clear of the canvas edge.
    """
    pad_pt = ax.yaxis.get_major_ticks()[0].get_pad() if ax.get_yticks().size else 3.5
    need = _ytick_label_mm(fig, ax) + (pad_pt + offset_pt) / 72 * 25.4 + 1.5
    _mm_margins(fig, max(left, need), right, bottom, top)


def _keep_xlabel_inside(fig, ax, edge_mm: float = 1.0):
    """Shift the x label of ``ax`` sideways (from the axes' centre) just enough to stay on the canvas.

    A wide left margin (long arm labels) moves the axes, and the label centred under them, to the right.
    """
    with style.at_dpi(fig, style.DPI):
        renderer = fig.canvas.get_renderer()
        box = ax.xaxis.label.get_window_extent(renderer)
        axes = ax.get_window_extent(renderer)
        px = style.DPI / 25.4
        slack = (box.width * (HINTING_SLACK - 1)) / 2
        shift = min(0.0, fig.bbox.width - edge_mm * px - (box.x1 + slack)) + max(0.0, edge_mm * px - (box.x0 - slack))
    if shift:
        # the label's x is in axes fraction (its y is placed by matplotlib below the tick labels)
        ax.xaxis.label.set_x(0.5 + shift / axes.width)


def _row_mm(labels, minimum: float) -> float:
    """Height (mm) of one row of a per-arm figure: ``minimum``, or more when a wrapped label has many lines."""
    lines = max((str(t).count("\n") + 1 for t in labels), default=1)
    return max(minimum, 2.8 * lines + 1.5)


def draw_tesae(props: pd.DataFrame, pooled: dict | None = None, window_days: int = TESAE_WINDOW_DAYS):
    """Dot and exact 95% interval of the TE-SAE proportion per arm, k/n at the right (85 mm wide).

    Drawn by :func:`msc_frailty.published_plots.point_intervals` (seaborn points, each arm in its colour and
    marker); the counts k/n stand in for the individual subjects.

    Parameters
    ----------
    props : pandas.DataFrame
        The ``proportion`` rows of :func:`msc_frailty.analysis.tesae_proportions` (arm, n, estimate,
        ci_low, ci_high), in arm order.
    pooled : dict, optional
        :func:`pooled_active`, drawn below the arms in black.

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> from msc_frailty.analysis import tesae_proportions
    >>> from msc_frailty.data import load_trial
    >>> props = tesae_proportions(load_trial("data/synthetic").study("CRATUS-P2")).query("comparison == 'proportion'")
    >>> fig, ax = draw_tesae(props.query("paramcd == 'TESAE30'"))
    >>> [t.get_text() for t in ax.texts]
    ['0/10', '0/10', '0/10', 'k/n']
    """
    from .published_plots import point_intervals

    rows = props[["arm", "n", "estimate", "ci_low", "ci_high"]].reset_index(drop=True)
    labels = [style.wrap_label(a) for a in rows["arm"]]
    if pooled is not None:       # the pooled row keeps its one-line label and is drawn in the pooled arms' black
        rows.loc[len(rows)] = ["All", pooled["n"], pooled["estimate"], pooled["ci_low"], pooled["ci_high"]]
        labels.append(pooled["arm"])
    rows = rows.assign(y=range(len(rows)), bound="")
    fig, ax = style.stamped_figure("single", 24 + _row_mm(labels, 6.5) * len(rows))
    ax.set(xlim=(-0.03, 1), ylim=(len(rows) - 0.5, -0.5), xticks=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
    point_intervals(rows, ax)
    ax.set_yticks(range(len(rows)), labels)
    for r in rows.itertuples():
        ax.text(1.03, r.y, f"{round(r.estimate * r.n)}/{r.n:g}", transform=ax.get_yaxis_transform(), ha="left",
                va="center", fontsize=6.5)
    ax.text(1.03, 1.0, "k/n", transform=ax.transAxes, ha="left", va="bottom", fontsize=6.5, fontweight="bold")
    if pooled is not None:
        ax.axhline(len(props) - 0.5, color="0.7", linewidth=0.5)
    ax.grid(axis="x", color="0.9", linewidth=0.5)
    ax.set_axisbelow(True)
    # a proportion of subjects with an event: no "lower is better" on it (figures.md)
    ax.set_xlabel(f"Proportion of subjects with a TE-SAE\non days 1\u2013{window_days}, exact 95% CI")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    return fig, ax


#: More serious events than this in a study and :func:`draw_events` draws a summary by preferred term
#: instead of one mark per event (hundreds of marks on one row per arm are unreadable).
MAX_EVENT_MARKS = 40
#: Up to this many serious events (and no note to add) the timeline is one column wide (85 mm), not two.
FEW_EVENT_MARKS = 10
#: What the caption says of the legend's keys: the marks' shapes in grey, each mark in its arm's colour.
EVENT_KEY_WORDS = "legend keys in grey; each mark takes the colour of its arm"
#: Preferred terms shown by name in the summary; the rest are counted together as "other".
TOP_TERMS = 10


def _serious(ev: pd.DataFrame) -> pd.DataFrame:
    """Serious adverse events and deaths of the safety population, in a fixed order."""
    return ev[(ev["AESER"] == "Y") | (ev["AEOUT"] == "FATAL")].sort_values(["ASTDY", "USUBJID", "AEDECOD"])


def serious_events(trial: TrialData) -> pd.DataFrame:
    """The serious adverse events and deaths :func:`draw_events` draws (safety population), with the arm.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> len(serious_events(load_trial("data/synthetic").study("CRATUS-P2"))) <= MAX_EVENT_MARKS
    True
    """
    return _serious(_safety_events(trial)).reset_index(drop=True)


def events_to_draw(trial: TrialData) -> int:
    """How many serious adverse events and deaths :func:`draw_events` would draw: those with a known study day of
    onset (an event of unknown onset is listed, not drawn). 0 means there is nothing to draw: say so in a sentence.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> events_to_draw(load_trial("data/synthetic").study("CRATUS-P1"))     # the death on study day 259
    1
    """
    return int(serious_events(trial)["ASTDY"].notna().sum())


def draw_events(trial: TrialData, window_days: int = TESAE_WINDOW_DAYS, max_marks: int = MAX_EVENT_MARKS,
                top: int = TOP_TERMS, labels=None):
    """Serious adverse events and deaths by arm (180 mm wide): a timeline, or a summary for many events.

    Up to ``max_marks`` serious events: a timeline by study day, one row per arm. Filled circle:
    treatment-emergent serious AE; open circle: serious AE not treatment-emergent; cross: death; the legend
    holds only the marks drawn. Several events of one arm are stacked in a fixed order (by day, then subject),
    no random jitter. The x axis runs to the last study day of follow-up (the last visit, in months or in the
    unit AVISIT names, or the last AE, whichever is later). The axis says what day 1 is in the study's words
    (``labels``, by default the trial's own: :func:`msc_frailty.endpoints.study_words`): "day 1 = infusion" for the
    collection's trials, nothing for a study nobody described.

    More than ``max_marks``: :func:`draw_event_summary` (subjects per preferred term and arm).

    Raises
    ------
    ValueError
        When there is nothing to draw (:func:`events_to_draw` is 0): no empty axes saying "no events"; the
        notebook says it in a sentence.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> fig, ax = draw_events(load_trial("data/synthetic").study("CRATUS-P1"))
    >>> ax.get_xlabel().startswith("Study day of onset")
    True
    """
    _one_study(trial)
    if not events_to_draw(trial):
        raise ValueError(f"{trial.studies[0]}: no serious adverse event or death with a known onset day to draw; "
                         "nothing to show is a sentence, not a figure")
    ev = _safety_events(trial)
    if len(_serious(ev)) > max_marks:
        return draw_event_summary(trial, top=top)
    return _draw_event_timeline(trial, window_days, words_of(labels) if labels is not None else study_words(trial))


#: What each mark of the event timeline is, in the legend's words (in drawing order).
EVENT_WORDS = {"emergent": "Serious AE, treatment-emergent", "other": "Serious AE, not treatment-emergent",
               "death": "Death"}
#: The same marks as a caption names them.
EVENT_MARKS = {"emergent": "filled circle, a treatment-emergent serious adverse event",
               "other": "open circle, a serious adverse event that was not treatment-emergent",
               "death": "cross, a death"}


def _event_kind(aeout, trtemfl) -> str:
    return "death" if aeout == "FATAL" else ("emergent" if trtemfl == "Y" else "other")


def event_kinds(trial: TrialData) -> list[str]:
    """The kinds of mark (:data:`EVENT_WORDS`) the event timeline of :func:`draw_events` draws, in legend order:
    only those that appear.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> event_kinds(load_trial("data/synthetic").study("CRATUS-P1"))
    ['death']
    """
    ser = serious_events(trial).dropna(subset=["ASTDY"])
    found = {_event_kind(a, t) for a, t in zip(ser["AEOUT"], ser["TRTEMFL"])}
    return [k for k in EVENT_WORDS if k in found]


def _event_mark(kind: str, colour) -> dict:
    """The marker of an event of ``kind`` (:data:`EVENT_WORDS`) in ``colour``, as Line2D keywords."""
    if kind == "death":
        return {"marker": "X", "markersize": 6, "color": colour, "markeredgecolor": "black", "markeredgewidth": 0.5}
    return {"marker": "o", "markersize": 4.5, "color": colour, "markeredgewidth": 0.9,
            "markerfacecolor": colour if kind == "emergent" else "white"}


def _draw_event_timeline(trial: TrialData, window_days: int, words):
    """One mark per serious event by study day and arm (:func:`draw_events` for a small study)."""
    arms = [a for a in arm_order(trial) if ((trial.adsl["TRT01A"] == a) & (trial.adsl["SAFFL"] == "Y")).any()]
    ev = _safety_events(trial)
    ser = _serious(ev)
    last_visit = trial.adeff["AVISITN"].max() if len(trial.adeff) else 0
    # AVISITN is in months unless AVISIT names weeks or days (26 weeks is not 26 months of follow-up)
    unit = plots.visit_scale(trial.adeff)[0] if len(trial.adeff) else "months"
    per_visit = DAYS_PER_VISIT_UNIT.get(unit or "months", DAYS_PER_MONTH)
    # the axis spans the infusion and the follow-up: an event that began before day 1 (perhaps years
    # before) is drawn at the left edge, one of unknown onset is not drawn but counted in a note
    days = [window_days + 1, 1 + last_visit * per_visit] + ev.loc[ev["ASTDY"] >= 1, "ASTDY"].tolist()
    x_max = max(days) * 1.04
    x_min = -0.02 * x_max
    unknown = ser[ser["ASTDY"].isna()]
    ser = ser[ser["ASTDY"].notna()].assign(ASTDY=lambda d: d["ASTDY"].clip(lower=x_min))

    notes = []
    if (ev.loc[(ev["AESER"] == "Y") | (ev["AEOUT"] == "FATAL"), "ASTDY"] < 1).any():
        notes.append("events that began before day 1 are drawn at the left edge")
    if len(unknown):
        notes.append(f"{plural(len(unknown), 'serious event')} of unknown onset day not drawn (listed in the notebook)")
    kinds = event_kinds(trial)
    # a few marks need no page width: one column (85 mm), the legend entries and the x label on lines of their own
    narrow = len(ser) <= FEW_EVENT_MARKS and not notes
    # legend entries (the kinds of mark and the window shading): side by side, or one below the other when narrow
    ncol = 1 if narrow else len(kinds) + 1
    legend_rows = -(-(len(kinds) + 1) // ncol)
    top = 5.6 + 3.4 * legend_rows
    labels = [style.wrap_label(a) for a in arms]
    height = 18 + top + style.STAMP_ROOM_MM + (3 if narrow else 0) + _row_mm(labels, 7.5) * max(len(arms), 1)
    bottom = (13 if narrow else 10) + style.STAMP_ROOM_MM   # the x label clear of the basis stamp
    fig, ax = style.figure("single" if narrow else "double", height)
    _mm_margins(fig, left=20, right=13, bottom=bottom, top=top)
    ax.axvspan(1, window_days, color="0.92", linewidth=0, zorder=0)
    ax.axvline(1, color="0.5", linewidth=0.6, linestyle=(0, (2, 2)), zorder=0)
    for i, arm in enumerate(arms):
        sub = ser[ser["TRT01A"] == arm]
        colour = style.arm_color(arm)
        m = len(sub)
        offsets = np.linspace(-0.25, 0.25, m) if m > 1 else np.zeros(m)
        for off, r in zip(offsets, sub.itertuples()):
            ax.plot(r.ASTDY, i + off, linestyle="none", zorder=3, **_event_mark(_event_kind(r.AEOUT, r.TRTEMFL), colour))
    ax.set_yticks(range(len(arms)), labels)
    ax.set_ylim(len(arms) - 0.5, -0.7)
    ax.set_xlim(x_min, x_max)
    ax.tick_params(axis="y", length=0)
    safety_n = trial.adsl[trial.adsl["SAFFL"] == "Y"]["TRT01A"].value_counts()
    for i, arm in enumerate(arms):
        ax.axhline(i, color="0.85", linewidth=0.5, zorder=0)
        ax.text(1.01, i, f"n = {safety_n[arm]}", transform=ax.get_yaxis_transform(), ha="left", va="center",
                fontsize=6.5)
    # a time axis says what it counts, never which way is better (figures.md)
    note = f" {words.day1_note}" if words.day1_note else ""     # what day 1 is, where the study says so
    ax.set_xlabel(f"Study day of onset{note};" + ("\n" if narrow else " ") + "one mark per event")
    if notes:
        ax.text(1.0, -0.62, "; ".join(notes), ha="right", va="bottom", fontsize=style.MIN_FONT_PT, color="0.35",
                transform=ax.get_yaxis_transform())
    grey = "0.3"
    # the legend's keys are the marks' shapes in a neutral grey: each mark drawn takes its arm's colour (the
    # caption says so, :data:`EVENT_KEY_WORDS`)
    handles = [Line2D([], [], linestyle="none", label=EVENT_WORDS[k], **_event_mark(k, grey)) for k in kinds]
    handles.append(Rectangle((0, 0), 1, 1, facecolor="0.92", label=f"TE-SAE window (days 1\u2013{window_days})"))
    _fit_left_margin(fig, ax, left=20, right=13, bottom=bottom, top=top)
    _keep_xlabel_inside(fig, ax)
    # anchored near the figure's left edge, not at the axes: a wider margin for long arm labels must not push
    # the legend off the right edge
    w, h = fig.get_size_inches() / style.MM
    ax.legend(handles=handles, ncol=ncol, loc="lower left",
              bbox_to_anchor=((4 if narrow else 12) / w, 1 - top / h + 0.3 / h), bbox_transform=fig.transFigure,
              borderaxespad=0, handletextpad=0.3, columnspacing=1.0)
    return fig, ax


def event_term_counts(trial: TrialData, top: int = TOP_TERMS) -> pd.DataFrame:
    """Subjects per arm with each preferred term of a serious AE (or death): the top terms and "other".

    Safety population. Terms (AEDECOD) are ranked by the number of subjects with the term over all arms
    (ties by name); the first ``top`` are kept by name and the rest counted together in one row
    ``other (k terms)`` (subjects with at least one of them). With an AEBODSYS column, each term carries
    its system organ class (the most frequent one of its events) and rows are grouped by it, classes in
    the order of their most frequent term.

    Returns
    -------
    pandas.DataFrame
        One row per (term, arm): soc (empty without AEBODSYS), term, arm, subjects, arm_n (subjects in
        the safety population of the arm), in drawing order; arms placebo first, then by dose.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> event_term_counts(load_trial("data/synthetic").study("CRATUS-P2")).columns.tolist()
    ['soc', 'term', 'arm', 'subjects', 'arm_n']
    """
    _one_study(trial)
    saf = trial.adsl[trial.adsl["SAFFL"] == "Y"]
    arms = [a for a in arm_order(trial) if (saf["TRT01A"] == a).any()]
    ser = _serious(_safety_events(trial))
    ser = ser.assign(AEDECOD=ser["AEDECOD"].fillna("(term missing)").astype(str))
    has_soc = "AEBODSYS" in ser.columns
    soc_of = (ser.assign(AEBODSYS=ser["AEBODSYS"].fillna("(class missing)").astype(str))
              .groupby("AEDECOD")["AEBODSYS"].agg(lambda x: x.value_counts().sort_index().idxmax())
              if has_soc else pd.Series(dtype=object))
    total = ser.groupby("AEDECOD")["USUBJID"].nunique().reset_index(name="n")
    ranked = total.sort_values(["n", "AEDECOD"], ascending=[False, True])["AEDECOD"].tolist()
    kept, rest = ranked[:top], ranked[top:]
    if has_soc:
        # classes in the order of their most frequent term; terms by rank within their class
        soc_rank = list(dict.fromkeys(soc_of[t] for t in kept))
        kept = sorted(kept, key=lambda t: (soc_rank.index(soc_of[t]), ranked.index(t)))
    rows = []
    for term in kept:
        sub = ser[ser["AEDECOD"] == term]
        rows += [(soc_of[term] if has_soc else "", term, a, sub.loc[sub["TRT01A"] == a, "USUBJID"].nunique())
                 for a in arms]
    if rest:
        sub = ser[ser["AEDECOD"].isin(rest)]
        label = f"other ({plural(len(rest), 'term')})"
        rows += [("", label, a, sub.loc[sub["TRT01A"] == a, "USUBJID"].nunique()) for a in arms]
    out = pd.DataFrame(rows, columns=["soc", "term", "arm", "subjects"])
    out["arm_n"] = out["arm"].map({a: int((saf["TRT01A"] == a).sum()) for a in arms})
    return out.astype({"subjects": int, "arm_n": int})


def _summary_rows(counts: pd.DataFrame) -> list[tuple[str, str]]:
    """The rows of the summary, top to bottom: ("soc", class) headings and ("term", term) rows."""
    rows, last = [], None
    for soc, term in counts[["soc", "term"]].drop_duplicates().itertuples(index=False):
        if soc and soc != last:
            rows.append(("soc", soc))
        last = soc
        rows.append(("term", term))
    return rows


def draw_event_summary(trial: TrialData, top: int = TOP_TERMS):
    """Subjects with each serious AE term, per arm, as grouped horizontal bars (180 mm wide).

    For a study with too many serious events for a timeline (:data:`MAX_EVENT_MARKS`). Rows come from
    :func:`event_term_counts` (the ``top`` most frequent preferred terms, grouped by system organ class
    when AEBODSYS exists, then "other"); one bar per arm in the arm's colour; the legend states each arm's
    safety population n and its deaths.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> fig, ax = draw_event_summary(load_trial("data/synthetic").study("CRATUS-P2"))
    >>> ax.get_xlabel().startswith("Subjects with the serious event")
    True
    """
    counts = event_term_counts(trial, top=top)
    arms = list(dict.fromkeys(counts["arm"])) or [a for a in arm_order(trial)]
    rows = _summary_rows(counts)
    labels = [style.wrap_label(name, 40) for _, name in rows]
    k = max(len(arms), 1)
    bar = 1.7  # mm per bar
    row_mm = _row_mm(labels, bar * k + 1.6)
    # the legend above the axes: up to 4 arms a line, each entry as tall as its wrapped label
    legend_lines = -(-k // 4) * max((a.count("\n") + 1 for a in map(lambda a: style.wrap_label(a, 30), arms)),
                                    default=1)
    top_mm = 5 + 3.2 * legend_lines
    height = 24 + style.STAMP_ROOM_MM + top_mm + row_mm * max(len(rows), 1)
    fig, ax = style.figure("double", height)
    step = 0.8 / k
    for y, (kind, name) in enumerate(rows):
        if kind != "term":
            continue
        sub = counts[counts["term"] == name].set_index("arm")
        for j, arm in enumerate(arms):
            ax.barh(y - 0.4 + step * (j + 0.5), int(sub.loc[arm, "subjects"]), height=step * 0.92,
                    color=style.arm_color(arm), linewidth=0, label="_nolegend_")
    ax.set_yticks(range(len(rows)), labels)
    for tick, (kind, _) in zip(ax.get_yticklabels(), rows):
        tick.set_fontweight("bold" if kind == "soc" else "normal")
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="0.9", linewidth=0.5)
    ax.set_axisbelow(True)
    ser = _serious(_safety_events(trial))
    n_terms = ser["AEDECOD"].nunique()
    shown = min(top, n_terms)
    ax.set_xlabel(f"Subjects with the serious event\n{plural(len(ser), 'serious event')} (deaths included) in "
                  f"{plural(ser['USUBJID'].nunique(), 'subject')}\nthe {shown} most frequent of {n_terms} preferred terms"
                  + ("; the rest as 'other'" if n_terms > shown else ""))
    deaths = ser[ser["AEOUT"] == "FATAL"].groupby("TRT01A")["USUBJID"].nunique()
    arm_n = counts.drop_duplicates("arm").set_index("arm")["arm_n"]
    handles = [Rectangle((0, 0), 1, 1, facecolor=style.arm_color(a), linewidth=0,
                         label=f"{style.wrap_label(a, 30)} (n = {int(arm_n.get(a, 0))}; "
                               f"{int(deaths.get(a, 0))} died)") for a in arms]
    _fit_left_margin(fig, ax, left=20, right=4, bottom=18 + style.STAMP_ROOM_MM, top=top_mm)
    _keep_xlabel_inside(fig, ax)
    w, h = fig.get_size_inches() / style.MM
    ax.legend(handles=handles, ncol=min(k, 4), loc="lower left", bbox_to_anchor=(4 / w, 1 - top_mm / h + 1.0 / h),
              bbox_transform=fig.transFigure, borderaxespad=0, handletextpad=0.4, columnspacing=1.2)
    return fig, ax

