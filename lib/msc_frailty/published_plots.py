"""Figures of the published record: implied-effects forest, 100M versus 200M by trial, safety bounds, scorecard.

Each function takes the tidy rows of :mod:`msc_frailty.reanalysis` or :mod:`msc_frailty.scorecard` and returns
a figure at a print width; seaborn draws the points and bars, matplotlib the precomputed intervals. Effects are
oriented so that **positive = improvement** (TNF-alpha and B-cell TNF-alpha, lower is better, are flipped).
How a row is drawn says what the record supports (:func:`point_intervals`), one glyph for one meaning across the
collection:

- an exact 95% interval: a solid line with its point;
- a p printed as an inequality (``bound = "lower"`` or ``"upper"``): an **arrow** from the least effect it allows (a bound);
- "not significant" (``bound = "range"``): a dashed bracket, the widest interval the record allows;
- a value beyond a capped axis (:data:`EFFECT_CAP`): the **off-scale** mark of
  :func:`msc_frailty.style.off_scale` at the axis edge, never an arrow; the value is written beside the row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.legend_handler import HandlerLine2D, HandlerPatch, HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch

from . import style
from .captions import join_and, number_word, plural
from .data import PARAMETERS
from .numbers import MINUS, format_interval, format_number
from .results import ONE_SIDED

TRIALS = ["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"]
SHORT = {"SIXMWD": "6MWD", "SPPB": "SPPB", "FEV1": "FEV1", "SF36PCS": "SF-36 PCS", "TNFA": "TNF-\u03b1",
         "BCTNFA": "B-cell TNF-\u03b1", "TESAE30": "TE-SAE at 1 month", "SAE": "serious AE", "DEATH": "death"}
#: The scorecard's statuses, in drawing order, with a fill and a hatch each: four greys far apart in lightness
#: (distinct in greyscale and for every colour vision), none an arm's colour (:data:`msc_frailty.style.ARM_COLORS`,
#: the spare colours) nor the grey of placebo; the hatch tells the two middle shades apart once more.
STATUS_STYLES = {
    "reproduced": {"color": "#262626", "hatch": "", "text": "white"},
    "not_reproduced": {"color": "#5E5E5E", "hatch": "////", "text": "white"},
    "consistent_by_construction": {"color": "#B4B4B4", "hatch": "", "text": "black"},
    "not_testable_without_patient_data": {"color": "#EBEBEB", "hatch": "", "text": "black"},
}
#: What each status means, in a reader's words (the scorecard's caption and legend).
STATUS_WORDS = {
    "reproduced": "reproduced: the claim is obtained again, by the same test on supplied patient-level data, or, "
                  "for a claim the printed numbers alone can check, from the published record",
    "not_reproduced": "not reproduced: the supplied data, or the published record itself, contradict the claim as "
                      "printed",
    "consistent_by_construction": "consistent by construction: the claim holds on the synthetic data, which were "
                                  "generated to meet it, so the agreement says nothing about the trial",
    "not_testable_without_patient_data": "not testable without patient data: only the trial's own patient-level "
                                         "data could test the claim; what the printed numbers imply is reported",
}
#: The visit (months) at which all three trials report their main results: the dose figure's visit.
DOSE_VISIT = 6.0
DASHED = (0, (2.5, 1.5))
#: Arm labels of pooled rows in :mod:`msc_frailty.reanalysis` (drawn as the collection's "All").
POOLED = ("all", "All", "All active")
#: The standardized-effect axes end here (|dz| or |g|): an effect of 4 SD is beyond anything these measures show,
#: and one extreme row (CRATUS-P1 TNF-alpha, dz = 6.95 at n = 5) would otherwise squash every other row.
EFFECT_CAP = 4.0
#: The mark of rows whose printed p is one p printed for several outcomes together.
SHARED_P = "\u2020"
def improvement_scale(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with estimate and interval flipped for lower-is-better parameters (positive = improvement); a
    one-sided bound's ``bound`` flips with them (an upper bound of a decrease is a lower bound of the improvement).

    Examples
    --------
    >>> rows = pd.DataFrame({"paramcd": ["TNFA"], "estimate": [-1.0], "ci_low": [-2.0], "ci_high": [-0.5]})
    >>> improvement_scale(rows)[["estimate", "ci_low", "ci_high"]].to_numpy().tolist()
    [[1.0, 0.5, 2.0]]
    """
    flip = rows.paramcd.map(lambda p: not PARAMETERS.get(p, {}).get("higher_is_better", True))
    est, lo, hi = (rows[c].astype(float) for c in ("estimate", "ci_low", "ci_high"))
    out = rows.assign(estimate=est.where(~flip, -est), ci_low=lo.where(~flip, -hi), ci_high=hi.where(~flip, -lo))
    if "bound" in out.columns:
        out["bound"] = out.bound.where(~flip, out.bound.replace({"lower": "upper", "upper": "lower"}))
    return out


def point_intervals(rows: pd.DataFrame, ax) -> pd.DataFrame:
    """Draw tidy rows (y, estimate, ci_low, ci_high, bound, arm) as points with precomputed 95% intervals.

    Call after the x limits are set. A line is cut where it leaves the axis and that end gets the off-scale mark
    (:func:`msc_frailty.style.off_scale`); a point beyond the axis is not drawn (write its value beside the row).
    A bound (``bound = "lower"`` or ``"upper"``) is a solid line from the finite end of its interval to the bound,
    then an arrow from the bound to the axis edge on its open side. Each arm has its collection colour and marker (the pooled
    arms of the record, :data:`POOLED`, are black: "All").

    Returns
    -------
    pandas.DataFrame
        ``rows`` with ``off_low`` and ``off_high``: the line runs past that end of the axis.

    Examples
    --------
    >>> fig, ax = style.figure("single", 40)
    >>> _ = ax.set_xlim(-2, 3)
    >>> rows = pd.DataFrame({"y": [0, 1, 2], "estimate": [1.0, np.nan, 6.9], "ci_low": [0.2, -1.4, 2.3],
    ...                      "ci_high": [1.8, 1.4, 11.7], "bound": ["", "range", ""], "arm": ["100M", "200M", "100M"]})
    >>> point_intervals(rows, ax)[["off_low", "off_high"]].to_numpy().tolist()
    [[False, False], [False, False], [False, True]]
    >>> len(ax.collections[-1].get_offsets())      # one point: a range has none, 6.9 is off the axis
    1
    """
    rows = rows.assign(key=["All" if a in POOLED else a for a in rows.arm], bound=rows.bound.fillna(""))
    color = rows.key.map(style.arm_color)
    est, lo, hi = (rows[c].astype(float) for c in ("estimate", "ci_low", "ci_high"))
    rng, lower = rows.bound.eq("range"), rows.bound.isin(ONE_SIDED)
    up = est >= 0
    # the solid (or dashed) part of each row: a bound runs from the finite end of its interval to the bound
    start, end = lo.where(~(lower & ~up), est), hi.where(~(lower & up), est)
    x0, x1 = sorted(ax.get_xlim())
    rows = rows.assign(off_low=(start < x0).to_numpy(), off_high=(end > x1).to_numpy())
    ax.hlines(rows.y, start.clip(x0, x1), end.clip(x0, x1), colors=color, lw=1.2,
              linestyles=["solid" if not r else DASHED for r in rng])
    ticks = rows[rng][["ci_low", "ci_high"]].stack()
    inside = ticks.between(x0, x1)
    ax.scatter(ticks[inside], rows.y[rng].repeat(2)[inside.to_numpy()], marker="|",
               c=color[rng].repeat(2)[inside.to_numpy()], s=22, linewidths=1.0)
    for r, c, a, b in zip(rows.itertuples(), color, start, end):
        if r.bound in ONE_SIDED and x0 <= r.estimate <= x1:
            ax.annotate("", xy=(float(r.estimate >= 0), r.y), xycoords=("axes fraction", "data"),
                        xytext=(r.estimate, r.y), textcoords="data",
                        arrowprops={"arrowstyle": "-|>", "mutation_scale": 7, "lw": 1.2, "color": c, "shrinkA": 0,
                                    "shrinkB": 0})
        style.off_scale_ends(ax, r.y, a, b, c, (x0, x1))
    shown = ~rng & est.between(x0, x1)
    keys = list(dict.fromkeys(rows.key[shown]))
    if keys:
        sns.scatterplot(data=rows[shown], x="estimate", y="y", hue="key", style="key", palette=style.arm_palette(keys),
                        markers=style.arm_markers(keys), s=22, edgecolor="white", linewidth=0.4, legend=False, ax=ax,
                        zorder=3)
    ax.set_ylabel("")
    return rows.drop(columns="key")


def _limits(rows: pd.DataFrame, symmetric: bool = False, pad: float = 0.06, cap: float | None = None
            ) -> tuple[float, float]:
    """x limits holding zero and every finite estimate and interval limit; with ``cap``, an axis end never beyond
    +-cap (an end that is capped is the cap itself, not padded)."""
    values = rows[["estimate", "ci_low", "ci_high"]].to_numpy(float)
    values = values[np.isfinite(values)]
    lo, hi = min(values.min(initial=0), 0), max(values.max(initial=0), 0)
    if symmetric:
        lo, hi = -max(-lo, hi), max(-lo, hi)
    cap = np.inf if cap is None else cap
    span = min(hi, cap) - max(lo, -cap)
    return (-cap if lo < -cap else lo - pad * span), (cap if hi > cap else hi + pad * span)


def dose_rank(arm: str) -> float:
    """Where an arm of the record stands among its trial's arms, the one order of every figure of the record (the
    forests of the published effects and of the synthesis, the dose and safety figures): placebo first (0), then
    the doses by the number in their label (100M: 100), then pooled arms ("all", "All", "All active") and any other
    label last (infinity; a stable sort keeps their order).

    Examples
    --------
    >>> sorted(["all", "200M", "Placebo", "100M", "All active"], key=dose_rank)
    ['Placebo', '100M', '200M', 'all', 'All active']
    """
    digits = re.search(r"\d+", str(arm))
    if digits:
        return float(digits.group())
    return 0.0 if str(arm).lower() == "placebo" else np.inf


def _sorted(rows: pd.DataFrame, *by) -> pd.DataFrame:
    """Rows by ``by``: trials and parameters in the collection's order, arms by :func:`dose_rank` (column ``dose``)."""
    rows = rows.assign(dose=rows.arm.map(dose_rank).astype(float))
    rank = {"study": TRIALS.index, "paramcd": [*PARAMETERS, *SHORT].index}
    return rows.sort_values(list(by), key=lambda s: s.map(rank[s.name]) if s.name in rank else s, kind="stable")


def _rows_axis(ax, rows: pd.DataFrame, label, heading=str, x_label: str = "") -> pd.DataFrame:
    """Rows top to bottom under a bold heading per trial, as the y tick labels of ``ax``; returns rows with y."""
    ticks, ys = [], []
    for trial, block in rows.groupby("study", sort=False):
        ticks.append((heading(trial), "bold"))
        ys += range(len(ticks), len(ticks) + len(block))
        ticks += [(label(r), "normal") for r in block.itertuples()]
    ax.set_yticks(range(len(ticks)), [t for t, _ in ticks])
    for tick, (_, weight) in zip(ax.get_yticklabels(), ticks):
        tick.set_fontweight(weight)
    ax.set_ylim(len(ticks) - 0.5, -0.6)
    _frame(ax, x_label)
    return rows.assign(y=ys)


def _frame(ax, x_label: str):
    ax.set(ylabel="", xlabel=x_label)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.axvline(0, color="0.4", lw=0.6, zorder=0)


def _arrow_key(legend, orig_handle, xdescent, ydescent, width, height, fontsize):
    """The legend key of a bound: an arrow as wide as the key (matplotlib's ``HandlerPatch(patch_func=...)``)."""
    return FancyArrow(0, height / 2, width, 0, width=0.06 * height, head_width=0.7 * height,
                      head_length=0.3 * width, length_includes_head=True)


#: Legend words of the marks of :func:`point_intervals`.
BOUND_WORDS = "p printed as an inequality: at least the point"
RANGE_WORDS = "'not significant': widest interval allowed"
OFF_SCALE_WORDS = "beyond the axis (value at right)"


def _legend(fig, drawn: pd.DataFrame, marks=(), interval: str = "exact 95% interval", ncol: int = 3):
    """A legend above the axes holding the ``marks`` and only the line styles of :func:`point_intervals` that
    ``drawn`` (its returned rows) uses."""
    bound = drawn.bound.fillna("")
    handles, labels = [*marks], [m.get_label() for m in marks]
    grey = "0.3"
    if (bound != "range").any():
        handles.append(Line2D([], [], color=grey))
        labels.append(interval)
    if bound.isin(ONE_SIDED).any():
        handles.append(FancyArrow(0, 0, 1, 0, color=grey))
        labels.append(BOUND_WORDS)
    if (bound == "range").any():
        handles.append(Line2D([], [], color=grey, ls=DASHED, marker="|"))
        labels.append(RANGE_WORDS)
    if (drawn.off_low | drawn.off_high).any():
        handles.append(style.off_scale_handle(grey))
        labels.append(OFF_SCALE_WORDS)
    handler_map = {tuple: HandlerTuple(ndivide=1, pad=0), FancyArrow: HandlerPatch(patch_func=_arrow_key)}
    handler_map.update({h: HandlerLine2D(numpoints=2) for h in handles if isinstance(h, Line2D) and h.get_marker() == "|"})
    return fig.legend(handles, labels, loc="outside upper center", ncol=ncol, handler_map=handler_map)


def shared_p(claims: pd.DataFrame) -> dict:
    """The rows whose printed p is one p printed for several outcomes together, as the record's claims say
    (``see_also`` names the claims of one sentence that share the p; each carries the same printed value).

    Returns
    -------
    dict
        ``(study, paramcd, visit, arm, comparison) -> (outcomes, p as printed)``, e.g. CRATUS-P2's single
        "p = .01" for 6MWD, SPPB and FEV1 in the 100M arm.

    Examples
    --------
    >>> from msc_frailty.published import load_published
    >>> shared = shared_p(load_published()["claims"])
    >>> shared[("CRATUS-P2", "SPPB", 6.0, "100M", "change_from_baseline")]
    ('6MWD, SPPB, FEV1', 'p = .01')
    """
    c = claims.fillna("")
    out = {}
    for r in c[c.statistic.eq("p")].itertuples():
        ids = [i for i in str(r.see_also).split(";") if i]
        group = c[c.claim_id.isin(ids)]
        if r.claim_id in ids and len(group) > 1 and group.value_printed.nunique() == 1 and str(r.visit).strip():
            outcomes = ", ".join(SHORT.get(p, p) for p in dict.fromkeys(group.paramcd))
            out[(r.trial, r.paramcd, float(r.visit), r.arm, r.comparison)] = (outcomes, r.value_printed)
    return out


def shared_p_note(claims: pd.DataFrame) -> str:
    """The caption sentence for :data:`SHARED_P`: which outcomes share which printed p; "" when none do.

    Examples
    --------
    >>> from msc_frailty.published import load_published
    >>> shared_p_note(load_published()["claims"])
    '\u2020 One p printed for 6MWD, SPPB and FEV1 together (CRATUS-P2, 100M, p = .01): these rows repeat one number, not three results'
    """
    groups = {}
    for (study, _, _, arm, _), (outcomes, p) in shared_p(claims).items():
        groups[(study, arm, outcomes, p)] = True
    notes = []
    for study, arm, outcomes, p in groups:
        parts = outcomes.split(", ")
        notes.append(f"{SHARED_P} One p printed for {join_and(parts)} together ({study}, {arm}, {p}): these rows repeat "
                     f"one number, not {number_word(len(parts))} results")
    return "; ".join(notes)


def _shared(rows: pd.DataFrame, claims) -> pd.Series:
    """Per row: True when its printed p is shared with other outcomes (:func:`shared_p`)."""
    if claims is None:
        from .published import load_published
        claims = load_published()["claims"]
    shared = shared_p(claims)
    return pd.Series([(r.study, r.paramcd, float(r.visit), r.arm, r.comparison) in shared for r in rows.itertuples()],
                     rows.index, dtype=bool)


def _bound_text(value: float) -> str:
    return ("\u2265 " if value >= 0 else "\u2264 ") + format_number(value, 2)


def forest_implied_effects(data: pd.DataFrame, claims: pd.DataFrame | None = None):
    """Forest plot of every implied standardized effect (dz within arm, g vs placebo) by trial, outcome and arm.

    The axis ends at |effect| = :data:`EFFECT_CAP`; rows beyond it carry the off-scale mark and their value at the
    right. Rows whose printed p was printed once for several outcomes (:func:`shared_p` of ``claims``, by default
    the record's) end their label with :data:`SHARED_P`.
    """
    rows = improvement_scale(data[data.method.isin(["implied_dz", "implied_g"]) & data.study.isin(TRIALS)])
    rows = rows.assign(shared=_shared(rows, claims))
    fig, ax = style.stamped_figure("double", 26 + 4.1 * (len(rows) + rows.study.nunique()))
    rows = _rows_axis(ax, _sorted(rows, "study", "method", "paramcd", "visit", "dose"), lambda r: (
        f"{SHORT[r.paramcd]}, {r.visit:g} mo: " + (f"all arms pooled (n = {r.n:g})" if r.arm == "all" else
                                                    style.arm_n_label(r.arm, r.n))
        + (f" vs placebo (n = {r.n_ref:g}), g" if r.ref_arm else ", change (dz)") + (f" {SHARED_P}" if r.shared else "")),
        x_label="Implied standardized effect, exact 95% interval (positive = improvement)")
    ax.set_xlim(_limits(rows, cap=EFFECT_CAP))
    drawn = point_intervals(rows, ax)
    for r in drawn.itertuples():
        ax.text(1.01, r.y, {"range": f"not significant: within \u00b1{format_number(r.ci_high, 2)}",
                            **dict.fromkeys(ONE_SIDED, f"{_bound_text(r.estimate)} (p printed as a bound)")}.get(
            r.bound, f"{format_number(r.estimate, 2)} {format_interval(r.ci_low, r.ci_high)}"), transform=ax.get_yaxis_transform(),
            va="center", fontsize=6)
    _legend(fig, drawn, ncol=2)
    return fig


def dose_rows(data: pd.DataFrame) -> pd.DataFrame:
    """The 100M-versus-200M question of each trial at :data:`DOSE_VISIT`: each dose's implied effect, and the contrast
    200M - 100M, on the improvement scale, the outcomes with identical printed results grouped. The marks of
    :func:`dose_contrast`, and the contrasts of :func:`msc_frailty.meta.dose_contrasts` (its ``part ==
    "difference"`` rows): one function builds them for both.

    Tidy rows of :func:`msc_frailty.reanalysis.published_estimates` (whose column
    :data:`msc_frailty.reanalysis.BY_CONSTRUCTION` they need: ``estimates.csv`` does not carry it) on the improvement
    scale, with ``part`` ("dose" or "difference": arm "All", the improvement at 200M minus that at 100M, negative
    favours 100M; ``n`` is 100M's, ``n_ref`` 200M's), ``kind`` ("dz" or "g"), ``outcome`` and ``outcomes``: the
    outcomes of a trial whose printed results are identical share one set of rows (CRATUS-P2 printed one p for 6MWD,
    SPPB and FEV1); ``outcome`` names them (", "), ``outcomes`` holds their codes.

    Examples
    --------
    >>> from msc_frailty.reanalysis import published_estimates
    >>> rows = dose_rows(published_estimates())
    >>> rows[rows.part == "difference"][["study", "outcome", "by_construction"]].to_numpy().tolist()
    [['CRATUS-P1', 'TNF-α', True], ['CRATUS-P2', '6MWD, SPPB, FEV1', False], ['CRATUS-P2', 'B-cell TNF-α', False]]
    """
    from .reanalysis import BY_CONSTRUCTION

    if BY_CONSTRUCTION not in data.columns:
        raise ValueError(f"dose_rows needs the rows of reanalysis.published_estimates, with column {BY_CONSTRUCTION!r} "
                         "(estimates.csv does not carry it)")
    pick = data.study.isin(TRIALS) & data.visit.eq(DOSE_VISIT) & data.method.str.startswith("implied_")
    eff = improvement_scale(data[pick & data.arm.isin(["100M", "200M"]) & data.comparison.ne("vs_arm")])
    dif = improvement_scale(data[pick & data.arm.eq("100M") & data.ref_arm.eq("200M")])
    rows = pd.concat([eff.assign(part="dose"), dif.assign(estimate=-dif.estimate + 0.0, ci_low=-dif.ci_high,
                                                          ci_high=-dif.ci_low, arm="All", part="difference")])
    rows["kind"] = rows.method.str.split("_").str[1]                    # dz or g (and their differences)
    marks = rows[["arm", "estimate", "ci_low", "ci_high", "bound", BY_CONSTRUCTION]].round(6).to_numpy()
    rows["same"] = (rows.assign(m=[" ".join(map(str, m)) for m in marks])
                    .groupby(["study", "kind", "paramcd"]).m.transform(" / ".join))   # the row's marks, as text
    group = rows.groupby(["study", "kind", "same"]).paramcd
    rows["outcomes"] = group.transform(lambda codes: ";".join(dict.fromkeys(codes))).str.split(";")
    rows["outcome"] = rows.outcomes.map(lambda codes: ", ".join(SHORT[c] for c in codes))
    return _sorted(rows, "study", "kind", "paramcd").drop_duplicates(["study", "kind", "same", "arm"])


def contrast_text(r, with_p: bool = False) -> str:
    """The value of one 100M-versus-200M contrast (a ``difference`` row of :func:`dose_rows`, or a row of
    :func:`msc_frailty.meta.dose_contrasts`), as every figure and notebook writes it: ``"range only: [lo, hi]"`` when
    200M printed only "not significant", ``"0 by construction [lo, hi]"`` when the two arms printed the same p with
    the same n (:data:`msc_frailty.reanalysis.BY_CONSTRUCTION`: no estimate of no difference, and no p), else the
    estimate and its interval; two decimals (:func:`msc_frailty.numbers.format_number`). ``with_p``: the contrast's
    P (:func:`msc_frailty.numbers.format_p`) after a comma, where it has one.

    Examples
    --------
    >>> from types import SimpleNamespace as Row
    >>> contrast_text(Row(estimate=0.0, ci_low=-8.157, ci_high=8.157, p_value=np.nan, bound="", by_construction=True))
    '0 by construction [−8.16, 8.16]'
    >>> contrast_text(Row(estimate=-0.512, ci_low=-1.45, ci_high=0.43, p_value=0.29, bound="", by_construction=False),
    ...               with_p=True)
    '−0.51 [−1.45, 0.43], P = .29'
    """
    from .numbers import format_p

    interval = format_interval(r.ci_low, r.ci_high, 2)
    if r.bound == "range":
        return f"range only: {interval}"
    if r.by_construction:
        return f"0 by construction {interval}"
    p = format_p(r.p_value) if with_p else ""
    return f"{format_number(r.estimate, 2)} {interval}" + (f", {p}" if p else "")


def _signed(value: float) -> str:
    return f"{value:+g}".replace("-", MINUS)


def printed_differences(data: pd.DataFrame, claims: pd.DataFrame | None = None) -> str:
    """The differences the trials printed without a spread (no interval or p: nothing can be derived from them),
    in words for a caption, each quoted as printed ("about 41 m", not "+41 m"); "" when none.

    The printed value of each row comes from the record's claims (``claims``, by default the record's own: the claim
    of the same trial, arms, parameter and visit with statistic "difference"); a row no claim prints is given as its
    number with its sign.

    Examples
    --------
    >>> from msc_frailty.reanalysis import published_estimates
    >>> printed_differences(published_estimates())
    'LOMECEL-P2B printed 200M vs placebo differences in 6MWD without a spread: about 41 m at 6 months, +63.4 m at 9 months'
    """
    if claims is None:
        from .published import load_published
        claims = load_published()["claims"]
    said = claims.fillna("")
    said = said[said.statistic.eq("difference")]
    printed = data[data.method.eq("reported_difference") & data.study.isin(TRIALS)]
    parts = []
    for (study, arm, ref, param), block in printed.sort_values("visit").groupby(["study", "arm", "ref_arm", "paramcd"],
                                                                               sort=False):
        values = []
        for b in block.itertuples():
            unit = PARAMETERS.get(param, {}).get("unit", "")
            match = said[said.trial.eq(study) & said.arm.eq(arm) & said.ref_arm.eq(ref) & said.paramcd.eq(param)
                         & (pd.to_numeric(said.visit, errors="coerce") == b.visit)]
            text = (f"{match.value_printed.iloc[0]} {match.unit.iloc[0] or unit}" if len(match)
                    else f"{_signed(b.estimate)} {unit}")
            values.append(f"{text.strip()} at {b.visit:g} months")
        parts.append(f"{study} printed {arm} vs {ref.lower()} differences in {SHORT.get(param, param)} without a "
                     "spread: " + ", ".join(values))
    return "; ".join(parts)


def dose_contrast(data: pd.DataFrame, claims: pd.DataFrame | None = None):
    """What each trial printed about 100M versus 200M at :data:`DOSE_VISIT`: one row per trial and outcome.

    Panel a: the implied effect of each dose (100M above 200M in a row). Panel b, standardized too: the difference
    200M minus 100M (negative favours 100M) where :func:`msc_frailty.reanalysis.published_dose` derives one (a
    difference of dz is of the small-sample-corrected values, so its scale is close to, not the same as, panel a's)
    (:func:`dose_rows`). Both axes end at |effect| = :data:`EFFECT_CAP` (off-scale marks beyond). The column at the
    right gives each difference, or says that none is derivable (and where the record printed differences without
    a spread: :func:`printed_differences` words them for the caption).
    Rows whose printed p was printed once for several outcomes end their label with :data:`SHARED_P`.
    """
    rows = dose_rows(data)
    shared = _shared(rows, claims)
    rows["shared"] = rows.assign(s=shared).groupby(["study", "kind", "same"]).s.transform("any")
    dose, dif = rows[rows.part == "dose"], rows[rows.part == "difference"]
    lines = rows.drop_duplicates(["study", "kind", "same"])
    spans = [_limits(dose, cap=EFFECT_CAP), _limits(dif, symmetric=True, cap=EFFECT_CAP)]
    fig, axes = style.stamped_figure("double", 44 + 6.0 * (len(lines) + lines.study.nunique()), ncols=2, sharey=True,
                                     gridspec_kw={"width_ratios": [hi - lo for lo, hi in spans]})
    n = dose.groupby(["study", "arm"]).n.first()
    lines = _rows_axis(axes[0], lines, lambda r: f"{r.outcome}{' ' + SHARED_P if r.shared else ''}: " + (
        "change (dz)" if r.kind == "dz" else f"vs placebo (n = {r.n_ref:g}), g"), lambda t: f"{t}: " + ", ".join(
        f"{a} n = {k:g}" for a, k in n[t].items()), "Implied effect of each dose,\nstandardized (95% interval;\n"
        "positive = improvement)")
    _frame(axes[1], "Difference 200M \u2212 100M,\nstandardized (95% interval;\ndz small-sample corrected)")
    rows = rows.merge(lines[["study", "kind", "same", "y"]])
    rows["y"] += rows.arm.map({"100M": -0.17, "200M": 0.17}).fillna(0)
    drawn = []
    for ax, span, part in zip(axes, spans, ("dose", "difference")):
        ax.set_xlim(span)
        drawn.append(point_intervals(rows[rows.part == part], ax))
    style.favours(axes[1], "100M", "200M")
    style.panel_letters(axes)
    # the value of each difference in a column right of panel b: no text sits on the zero line
    printed = data[data.method.eq("reported_difference") & data.study.isin(TRIALS) & data.arm.isin(["100M", "200M"])]
    for r in lines.itertuples():
        d = rows[(rows.part == "difference") & rows.study.eq(r.study) & rows.kind.eq(r.kind) & rows.same.eq(r.same)]
        if d.empty:
            said = printed.study.eq(r.study) & printed.paramcd.isin(rows.paramcd[rows.same.eq(r.same)])
            text = "not derivable" + ("\n(differences printed\nwithout a spread)" if said.any() else "")
        else:
            text = contrast_text(next(d.itertuples()))
        axes[1].text(1.04, r.y, text, transform=axes[1].get_yaxis_transform(), fontsize=6, va="center",
                     linespacing=1.1)
    _legend(fig, pd.concat(drawn), [Line2D([], [], marker=style.arm_marker(a), color=style.arm_color(a), ls="none",
                                           label=label)
                                    for a, label in (("100M", "100M"), ("200M", "200M"), ("All", "200M \u2212 100M"))],
            interval="95% interval", ncol=4)
    return fig


#: The events of the record's safety statements, by parameter code of the published rows.
SAFETY_EVENT_NAMES = {"TESAE30": "TE-SAE", "SAE": "serious AE", "DEATH": "death"}


def safety_statements(claims: pd.DataFrame) -> pd.DataFrame:
    """The printed safety statements behind :func:`safety_bounds`, one per trial and event, with the event in the
    record's own scope: what a zero (or the one death) counts, and no more than the record says.

    Scope is read from each statement: "therapy-related" when the quote says so (CRATUS-P2's "No therapy-related
    TE-SAEs occurred at 1 month" is narrower than its endpoint, every TE-SAE); the window when the claim has a visit
    ("at 1 month"), "window not printed" when it has none; and news coverage named as the source ("news") when it is one
    (the Phase 2b's "no serious adverse events").

    Returns
    -------
    pandas.DataFrame
        Columns study, paramcd, event (the label drawn: "therapy-related TE-SAE at 1 month"), quote (as printed),
        source_kind and claim_id; one row per result claim of a safety parameter (:data:`SAFETY_EVENT_NAMES`) whose
        count is stated (a proportion, or a count), in the record's order.

    Examples
    --------
    >>> from msc_frailty.published import load_published
    >>> safety_statements(load_published()["claims"])[["study", "event"]].values.tolist()
    [['CRATUS-P1', 'TE-SAE at 1 month'], ['CRATUS-P1', 'death during follow-up'], ['CRATUS-P2', 'therapy-related TE-SAE at 1 month'], ['LOMECEL-P2B', 'serious AE (news; window not printed)']]
    """
    c = claims.fillna("")
    c = c[c.claim_type.eq("result") & c.paramcd.isin(list(SAFETY_EVENT_NAMES))
          & (c.comparison.eq("proportion") | (c.comparison.eq("count") & c.statistic.eq("count")))]
    rows = []
    for r in c.drop_duplicates(["trial", "paramcd"]).itertuples():
        name = ("therapy-related " if "therapy-related" in r.quote.lower() else "") + SAFETY_EVENT_NAMES[r.paramcd]
        visit = pd.to_numeric(r.visit, errors="coerce")
        if pd.notna(visit):
            when = f" at {plural(float(visit), 'month')}"
        elif r.paramcd == "DEATH":
            when = " during follow-up"
        else:
            when = ""
        source = "news" if r.source_kind == "news" else ""
        qualifiers = "; ".join(q for q in (source, "window not printed" if not when else "") if q)
        rows.append({"study": r.trial, "paramcd": r.paramcd, "event": name + when + (f" ({qualifiers})" if qualifiers
                                                                                    else ""),
                     "quote": r.quote, "source_kind": r.source_kind, "claim_id": r.claim_id})
    return pd.DataFrame(rows, columns=["study", "paramcd", "event", "quote", "source_kind", "claim_id"])


def safety_bounds(data: pd.DataFrame, claims: pd.DataFrame | None = None):
    """Exact 95% intervals of the printed zero-event statements (and the one CRATUS-P1 death), per arm and pooled.

    Rows come under a bold heading per trial and an italic one per event, the event in the scope the record gives it
    (:func:`safety_statements` of ``claims``, by default the record's): "therapy-related TE-SAE at 1 month" for
    CRATUS-P2, never a wider "TE-SAE within 30 days". Each row is an arm with k/n. Pooled rows keep the record's
    labels: "All active" pools the arms given cells, "All" every arm (placebo included where a trial had one).
    """
    if claims is None:
        from .published import load_published
        claims = load_published()["claims"]
    events = safety_statements(claims).set_index(["study", "paramcd"]).event
    rows = _sorted(data[(data.method == "clopper_pearson") & data.study.isin(TRIALS)], "study", "paramcd", "dose", "n")
    # (y, text, weight, style) of every label; an event heading wrapped onto several lines takes as many rows
    ticks, ys, n_rows = [], [], 0
    for study, block in rows.groupby("study", sort=False):
        ticks.append((n_rows, study, "bold", "normal"))
        n_rows += 1
        for param, sub in block.groupby("paramcd", sort=False):
            heading = style.wrap_label(events.get((study, param), SAFETY_EVENT_NAMES.get(param, param)), 24)
            lines = heading.count("\n") + 1
            ticks.append((n_rows + (lines - 1) / 2, heading, "normal", "italic"))
            n_rows += lines
            for r in sub.itertuples():
                ticks.append((n_rows, f"{r.arm}: {round(r.estimate * r.n):.0f}/{r.n:g}", "normal", "normal"))
                ys.append(n_rows)
                n_rows += 1
    fig, ax = style.stamped_figure("single", 22 + 3.9 * n_rows)
    ax.set_yticks([y for y, *_ in ticks], [t for _, t, _, _ in ticks])
    for tick, (_, _, weight, slant) in zip(ax.get_yticklabels(), ticks):
        tick.set_fontweight(weight)
        tick.set_fontstyle(slant)
        tick.set_linespacing(1.0)
    ax.set_ylim(n_rows - 0.5, -0.6)
    _frame(ax, "Proportion of subjects with the event,\nexact 95% interval")
    rows = rows.assign(y=ys)
    ax.set_xlim(_limits(rows))
    point_intervals(rows, ax)
    for r in rows.itertuples():
        ax.text(1.02, r.y, format_interval(r.ci_low, r.ci_high), transform=ax.get_yaxis_transform(),
                va="center", fontsize=6)
    return fig


def scorecard_chart(card: pd.DataFrame):
    """The published claims of each trial by scorecard status, as one 100% stacked bar per trial.

    Segments in the order and shades of :data:`STATUS_STYLES` (greys distinct in greyscale, no arm's colour), each
    labelled with its count of claims (inside when it fits, else just above the bar); a status with no claim has
    no segment, and no legend entry. The y labels give each trial's number of claims.
    """
    order = TRIALS + sorted(set(card.study) - set(TRIALS))
    counts = pd.crosstab(card.study, card.status).reindex(index=order, columns=list(STATUS_STYLES), fill_value=0)
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0, 1), axis=0) * 100
    fig, ax = style.stamped_figure("single", 34 + 10 * len(order))
    left = np.zeros(len(order))
    height = 0.56
    for status, look in STATUS_STYLES.items():
        ax.barh(range(len(order)), shares[status], left=left, height=height, color=look["color"], hatch=look["hatch"],
                hatchcolor="white", edgecolor="white", linewidth=0.6)
        left += shares[status].to_numpy()
    # each bar framed, so that the lightest segment still ends where the bar does
    ax.barh(range(len(order)), left, height=height, facecolor="none", edgecolor="0.3", linewidth=0.6)
    ax.set_xlim(0, 100)
    ax.set_ylim(len(order) - 0.5, -0.5)
    fig.canvas.draw()    # measure: a count goes inside its segment only where it fits
    mm_per_pct = ax.get_window_extent().width / fig.dpi * 25.4 / 100
    for i, study in enumerate(order):
        start, above = 0.0, True
        for status, look in STATUS_STYLES.items():
            k, share = int(counts.loc[study, status]), float(shares.loc[study, status])
            if k:
                fits = share * mm_per_pct >= 1.2 * len(str(k)) + 1.2
                y = i if fits else i + (-1 if above else 1) * (height / 2 + 0.05)
                # on a hatched segment the count sits on a patch of the segment's own shade
                box = {"facecolor": look["color"], "edgecolor": "none", "pad": 0.8} if fits and look["hatch"] else None
                ax.text(start + share / 2, y, str(k), ha="center", va="center" if fits else ("bottom" if above else "top"),
                        fontsize=6.5, color=look["text"] if fits else "black", bbox=box)
                above = above if fits else not above
            start += share
    total = counts.sum(axis=1)
    ax.set_yticks(range(len(order)), [f"{s}\n({plural(int(total[s]), 'claim')})" for s in order])
    ax.tick_params(axis="y", length=0)
    ax.set(xlabel="Share of the trial's published claims (%)", ylabel="")
    # the legend holds the statuses drawn (a segment somewhere), not every status there is (the caption defines all)
    handles = [Patch(facecolor=look["color"], hatch=look["hatch"], hatchcolor="white", edgecolor="0.3", linewidth=0.6,
                     label=style.wrap_label(status.replace("_", " "), 22)) for status, look in STATUS_STYLES.items()
               if counts[status].sum() > 0]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.4, 1.0), ncol=2, frameon=False, handlelength=1.6)
    return fig
