"""Participant flow (CONSORT), baseline table and harms (CONSORT Harms 2022) of one study.

Every function takes a :class:`~msc_frailty.data.TrialData` restricted to one study
(``load_trial(...).study(STUDYID)``) and works for any arms, doses and visits: a study without a
placebo, without adverse events, or without serious ones.

Flow
    :func:`consort_counts` (tidy counts enrolled -> allocated -> infused -> analysed),
    :func:`check_consort` (refuses counts that do not add up), :func:`draw_consort` (the diagram).
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
from .analysis import TESAE_WINDOW_DAYS, tesae_subjects
from .data import PARAMETERS, TrialData, add_change
from .paths import resolve
from .results import _atomic_write_csv

#: Stages of the flow, in order. ``analysed`` rows carry the visit (AVISITN) they count.
STAGES = ("enrolled", "allocated", "infused", "analysed")
#: The arm label of a row counting every arm of a stage (the ``enrolled`` row always is one).
TOTAL = "All arms"
#: Columns of :func:`consort_counts`.
COUNT_COLUMNS = ["stage", "param", "visit", "arm", "n"]

#: Days per month, to turn AVISITN (months since infusion) into study days.
DAYS_PER_MONTH = 365.25 / 12


def _one_study(trial: TrialData) -> str:
    studies = trial.studies
    if len(studies) != 1:
        raise ValueError(f"expected the data of one study (use trial.study(...)), got {studies}")
    return studies[0]


def arm_order(trial: TrialData) -> list[str]:
    """Arm labels of the study, placebo (dose 0) first, then by dose."""
    return plots.arm_order(trial.adsl)


def primary_param(trial: TrialData) -> str | None:
    """SIXMWD when the study has it, else the first PARAMCD of adeff.csv; None without efficacy rows."""
    codes = list(pd.unique(trial.adeff["PARAMCD"]))
    if not codes:
        return None
    return "SIXMWD" if "SIXMWD" in codes else codes[0]


def visit_label(visit: float) -> str:
    """AVISITN is months since infusion (contract section 1)."""
    return f"Month {visit:g}"


# --------------------------------------------------------------------------------------------- flow

def consort_counts(trial: TrialData, param: str | None = None) -> pd.DataFrame:
    """Counts of the CONSORT flow of one study, one row per stage, visit and arm.

    Stages: ``enrolled`` (every row of adsl, arm :data:`TOTAL`), ``allocated`` (per TRT01A),
    ``infused`` (SAFFL = Y) and ``analysed`` (per post-baseline visit of ``param``: subjects with
    SAFFL = Y, a baseline value and a value at that visit, the efficacy population of the analysis
    plan). Arms come placebo first, then by dose; an arm nobody was analysed in at a visit has n = 0.

    Parameters
    ----------
    trial : TrialData
        One study.
    param : str, optional
        The PARAMCD of the analysed stages; :func:`primary_param` by default. A study without
        efficacy rows has no analysed stage.

    Returns
    -------
    pandas.DataFrame
        Columns stage, param, visit (NaN except for ``analysed``), arm, n.
    """
    _one_study(trial)
    adsl = trial.adsl
    arms = arm_order(trial)
    param = primary_param(trial) if param is None else param
    rows = [("enrolled", "", np.nan, TOTAL, len(adsl))]
    rows += [("allocated", "", np.nan, a, int((adsl["TRT01A"] == a).sum())) for a in arms]
    rows += [("infused", "", np.nan, a, int(((adsl["TRT01A"] == a) & (adsl["SAFFL"] == "Y")).sum())) for a in arms]
    if param is not None:
        eff = trial.adeff[trial.adeff["PARAMCD"] == param]
        if eff.empty:
            have = sorted(set(trial.adeff["PARAMCD"]))
            raise ValueError(f"parameter {param!r} has no rows in adeff (have {have})")
        chg = add_change(trial)
        chg = chg[chg["PARAMCD"] == param]
        for visit in sorted(set(eff.loc[eff["AVISITN"] > 0, "AVISITN"])):
            at = chg[chg["AVISITN"] == visit]
            rows += [("analysed", param, float(visit), a, int(at.loc[at["TRT01A"] == a, "USUBJID"].nunique()))
                     for a in arms]
    out = pd.DataFrame(rows, columns=COUNT_COLUMNS)
    out["n"] = out["n"].astype(int)
    return out


def _where(stage: str, visit) -> str:
    return f"stage {stage!r}" + (f" (visit {visit:g})" if pd.notna(visit) else "")


def check_consort(counts: pd.DataFrame) -> pd.DataFrame:
    """Return ``counts`` if the flow adds up; raise ValueError naming the stage and arm otherwise.

    Rules: every n is a whole number >= 0; one ``enrolled`` row (arm :data:`TOTAL`); the
    ``allocated`` arms sum to the enrolled total; a :data:`TOTAL` row of any later stage equals the
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

    enrolled = df[df["stage"] == "enrolled"]
    if len(enrolled) != 1 or enrolled["arm"].iloc[0] != TOTAL:
        raise ValueError(f"stage 'enrolled' needs exactly one row with arm {TOTAL!r}, got arms "
                         f"{enrolled['arm'].tolist()}")
    total = int(enrolled["n"].iloc[0])
    allocated = df[(df["stage"] == "allocated") & (df["arm"] != TOTAL)]
    if allocated.empty:
        raise ValueError("stage 'allocated' has no arms")
    arms = allocated["arm"].tolist()
    alloc_n = dict(zip(allocated["arm"], allocated["n"]))
    if sum(alloc_n.values()) != total:
        parts = ", ".join(f"{a} = {k}" for a, k in alloc_n.items())
        raise ValueError(f"stage 'allocated': arm counts ({parts}) sum to {sum(alloc_n.values())}, "
                         f"not the {total} enrolled")

    inf = df[(df["stage"] == "infused") & (df["arm"] != TOTAL)]
    infused_n = dict(zip(inf["arm"], inf["n"]))
    for (stage, visit), rows in df[df["stage"] != "enrolled"].groupby(["stage", key], sort=False):
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
    return counts


def _box(ax, x, y, w, h, lines, edge, band=None, bold_first=True, fontsize=6.5):
    """A box with its top-left corner at (x, y) in mm (y grows upwards) and left-aligned text lines."""
    ax.add_patch(Rectangle((x, y - h), w, h, facecolor="white", edgecolor=edge, linewidth=0.8, zorder=2))
    if band is not None:
        ax.add_patch(Rectangle((x, y - 1.4), w, 1.4, facecolor=band, edgecolor=edge, linewidth=0.8, zorder=3))
    top = y - (2.4 if band is not None else 1.2)
    for j, line in enumerate(lines):
        ax.text(x + 1.5, top - j * 3.0, line, ha="left", va="top", fontsize=fontsize, zorder=4,
                fontweight="bold" if (bold_first and j == 0) else "normal")


def _arrow(ax, x0, y0, x1, y1):
    ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=6, linewidth=0.7,
                                 color="black", shrinkA=0, shrinkB=0, zorder=1))


def draw_consort(counts: pd.DataFrame):
    """The CONSORT flow diagram of :func:`consort_counts`, one column per arm, 174 mm wide.

    Calls :func:`check_consort` first and so refuses to draw counts that do not add up.

    Returns
    -------
    (Figure, Axes)
    """
    check_consort(counts)
    df = counts.copy()
    if "visit" not in df.columns:
        df["visit"] = np.nan
    per_arm = df[df["arm"] != TOTAL]
    arms = per_arm.loc[per_arm["stage"] == "allocated", "arm"].tolist()
    get = lambda stage, arm: int(per_arm.loc[(per_arm["stage"] == stage) & (per_arm["arm"] == arm), "n"].iloc[0])  # noqa: E731
    total = int(df.loc[df["stage"] == "enrolled", "n"].iloc[0])
    analysed = per_arm[per_arm["stage"] == "analysed"]
    visits = sorted(set(analysed["visit"]))
    param = analysed["param"].iloc[0] if "param" in analysed.columns and len(analysed) else None

    width = 174.0
    margin, gap = 2.0, 3.0
    k = len(arms)
    col = (width - 2 * margin) / k
    bw = min(col - gap, 60.0)
    line = 3.0
    h_enrol, h_alloc, h_inf = 8.5, 9.5, 11.0
    h_an = 2.5 + line * (2 + max(len(visits), 1))
    v = 6.0  # vertical space for arrows
    height = 3.0 + h_enrol + 2 * v + h_alloc + v + h_inf + v + h_an + 6.0
    fig, ax = style.figure("double", height)
    fig.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()

    centres = [margin + col * (i + 0.5) for i in range(k)]
    y = height - 3.0
    ew = 52.0
    _box(ax, width / 2 - ew / 2, y, ew, h_enrol, [f"Enrolled: n = {total}", "(every subject in adsl)"], "black")
    y -= h_enrol
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
        n_alloc, n_inf = get("allocated", arm), get("infused", arm)
        _box(ax, x, y, bw, h_alloc, [f"Allocated to {arm}", f"n = {n_alloc}"], colour, band=colour)
        yi = y - h_alloc - v
        _arrow(ax, c, y - h_alloc, c, yi)
        _box(ax, x, yi, bw, h_inf, ["Infused", "(safety population)", f"n = {n_inf}; not infused {n_alloc - n_inf}"],
             colour)
        ya = yi - h_inf - v
        _arrow(ax, c, yi - h_inf, c, ya)
        if visits:
            lines = [f"Analysed, {plots.parameter_info(param)['short']}", "(baseline and visit)"]
            for visit in visits:
                n_an = int(analysed.loc[(analysed["arm"] == arm) & (analysed["visit"] == visit), "n"].iloc[0])
                lines.append(f"{visit_label(visit)}: n = {n_an}" + (f" ({n_inf - n_an} missing)" if n_an < n_inf else ""))
        else:
            lines = ["Analysed", "no efficacy data"]
        _box(ax, x, ya, bw, h_an, lines, colour)
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
        rename[p] = f"{info['label']} ({info['unit']})" if info["unit"] else info["label"]
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
    _atomic_write_csv(table, path)
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
    """Every death (AEOUT = FATAL) with arm and study day; day 1 is the infusion day, so days after
    the infusion = study day - 1 (a death "258 days post-infusion" is on study day 259)."""
    ae = trial.adae.merge(trial.adsl[["STUDYID", "USUBJID", "TRT01A", "TRT01AN"]], on=["STUDYID", "USUBJID"])
    d = ae[ae["AEOUT"] == "FATAL"].sort_values(["ASTDY", "TRT01AN", "USUBJID"])
    out = pd.DataFrame({"arm": d["TRT01A"], "subject": d["USUBJID"], "event": d["AEDECOD"],
                        "study_day": d["ASTDY"].astype("Int64"),      # <NA>: onset day unknown
                        "days_after_infusion": (d["ASTDY"] - 1).astype("Int64"),
                        "treatment_emergent": d["TRTEMFL"]})
    return out.reset_index(drop=True)


def _mm_margins(fig, left, right, bottom, top):
    w, h = fig.get_size_inches() / style.MM
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h)


def draw_tesae(props: pd.DataFrame, pooled: dict | None = None, window_days: int = TESAE_WINDOW_DAYS):
    """Dot and exact 95% interval of the TE-SAE proportion per arm (85 mm wide).

    Parameters
    ----------
    props : pandas.DataFrame
        The ``proportion`` rows of :func:`msc_frailty.analysis.tesae_proportions` (arm, n, estimate,
        ci_low, ci_high), in arm order.
    pooled : dict, optional
        :func:`pooled_active`, drawn below the arms in black.
    """
    rows = [(r.arm, int(round(r.estimate * r.n)), int(r.n), r.estimate, r.ci_low, r.ci_high, style.arm_color(r.arm), "o")
            for r in props.itertuples()]
    if pooled is not None:
        rows.append((pooled["arm"], pooled["k"], pooled["n"], pooled["estimate"], pooled["ci_low"],
                     pooled["ci_high"], style.arm_color("All"), "D"))
    height = 26 + 6.5 * len(rows)
    fig, ax = style.figure("single", height)
    _mm_margins(fig, left=27, right=17, bottom=15, top=6)
    for i, (arm, k, n, est, lo, hi, colour, marker) in enumerate(rows):
        ax.plot([lo, hi], [i, i], color=colour, linewidth=1.4, solid_capstyle="butt")
        ax.plot([lo, lo], [i - 0.15, i + 0.15], color=colour, linewidth=0.8, clip_on=False)
        ax.plot([hi, hi], [i - 0.15, i + 0.15], color=colour, linewidth=0.8)
        ax.plot(est, i, marker=marker, color=colour, markersize=4.5, markeredgecolor="white", markeredgewidth=0.5,
                clip_on=False, zorder=3)
        ax.text(1.03, i, f"{k}/{n}", transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=6.5)
    if pooled is not None and len(rows) > len(props):
        ax.axhline(len(props) - 0.5, color="0.7", linewidth=0.5)
    ax.text(1.03, 1.0, "k/n", transform=ax.transAxes, ha="left", va="bottom", fontsize=6.5, fontweight="bold")
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.grid(axis="x", color="0.9", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.set_xlabel(style.direction_label(f"Proportion with a TE-SAE on days 1\u2013{window_days}, exact 95% CI", False))
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_position(("outward", 4))
    return fig, ax


def draw_events(trial: TrialData, window_days: int = TESAE_WINDOW_DAYS):
    """Timeline of serious adverse events and deaths by study day, one row per arm (174 mm wide).

    Filled circle: treatment-emergent serious AE; open circle: serious AE not treatment-emergent;
    cross: death. Several events of one arm are stacked in a fixed order (by day, then subject), no
    random jitter. With no serious AE the axes say so. The x axis runs to the last study day of
    follow-up (the last visit in months, or the last AE, whichever is later).
    """
    _one_study(trial)
    arms = [a for a in arm_order(trial) if ((trial.adsl["TRT01A"] == a) & (trial.adsl["SAFFL"] == "Y")).any()]
    ev = _safety_events(trial)
    ser = ev[(ev["AESER"] == "Y") | (ev["AEOUT"] == "FATAL")].sort_values(["ASTDY", "USUBJID", "AEDECOD"])
    last_visit = trial.adeff["AVISITN"].max() if len(trial.adeff) else 0
    # the axis spans the infusion and the follow-up: an event that began before day 1 (perhaps years
    # before) is drawn at the left edge, one of unknown onset is not drawn but counted in a note
    days = [window_days + 1, 1 + last_visit * DAYS_PER_MONTH] + ev.loc[ev["ASTDY"] >= 1, "ASTDY"].tolist()
    x_max = max(days) * 1.04
    x_min = -0.02 * x_max
    unknown = ser[ser["ASTDY"].isna()]
    ser = ser[ser["ASTDY"].notna()].assign(ASTDY=lambda d: d["ASTDY"].clip(lower=x_min))

    height = 30 + 7.5 * max(len(arms), 1)
    fig, ax = style.figure("double", height)
    _mm_margins(fig, left=20, right=4, bottom=13, top=9)
    ax.axvspan(1, window_days, color="0.92", linewidth=0, zorder=0)
    ax.axvline(1, color="0.5", linewidth=0.6, linestyle=(0, (2, 2)), zorder=0)
    ax.text(1 + 0.5 * (window_days - 1), -0.62, f"days 1\u2013{window_days}", ha="center", va="bottom",
            fontsize=5.5, color="0.35")
    for i, arm in enumerate(arms):
        sub = ser[ser["TRT01A"] == arm]
        colour = style.arm_color(arm)
        m = len(sub)
        offsets = np.linspace(-0.25, 0.25, m) if m > 1 else np.zeros(m)
        for off, r in zip(offsets, sub.itertuples()):
            y = i + off
            if r.AEOUT == "FATAL":
                ax.plot(r.ASTDY, y, marker="X", markersize=6, color=colour, markeredgecolor="black",
                        markeredgewidth=0.5, linestyle="none", zorder=3)
            else:
                filled = r.TRTEMFL == "Y"
                ax.plot(r.ASTDY, y, marker="o", markersize=4.5, color=colour,
                        markerfacecolor=colour if filled else "white", markeredgewidth=0.9, linestyle="none",
                        zorder=3)
    ax.set_yticks(range(len(arms)), arms)
    ax.set_ylim(len(arms) - 0.5, -0.7)
    ax.set_xlim(x_min, x_max)
    ax.tick_params(axis="y", length=0)
    for i in range(len(arms)):
        ax.axhline(i, color="0.85", linewidth=0.5, zorder=0)
    ax.set_xlabel("Study day of onset (day 1 = infusion)\n(one mark per event; fewer is better)")
    notes = []
    if (ev.loc[(ev["AESER"] == "Y") | (ev["AEOUT"] == "FATAL"), "ASTDY"] < 1).any():
        notes.append("events that began before day 1 are drawn at the left edge")
    if len(unknown):
        notes.append(f"{len(unknown)} serious event(s) of unknown onset day not drawn (listed in the notebook)")
    if notes:
        ax.text(1.0, -0.62, "; ".join(notes), ha="right", va="bottom", fontsize=5.5, color="0.35",
                transform=ax.get_yaxis_transform())
    if ser.empty and unknown.empty:
        ax.text(0.5, 0.5, "No serious adverse events", transform=ax.transAxes, ha="center", va="center",
                fontsize=8, color="0.25", bbox=dict(facecolor="white", edgecolor="0.6", linewidth=0.6, pad=3))
    handles = [Line2D([], [], marker="o", color="0.3", linestyle="none", markersize=4.5, label="Serious AE, treatment-emergent"),
               Line2D([], [], marker="o", color="0.3", markerfacecolor="white", linestyle="none", markersize=4.5,
                      label="Serious AE, not treatment-emergent"),
               Line2D([], [], marker="X", color="0.3", markeredgecolor="black", markeredgewidth=0.5,
                      linestyle="none", markersize=6, label="Death"),
               Rectangle((0, 0), 1, 1, facecolor="0.92", label=f"TE-SAE window (days 1\u2013{window_days})")]
    ax.legend(handles=handles, ncol=4, loc="lower left", bbox_to_anchor=(0, 1.01), borderaxespad=0,
              handletextpad=0.3, columnspacing=1.2)
    return fig, ax
