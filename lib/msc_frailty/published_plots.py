"""Figures of the published record: implied-effects forest, 100M versus 200M by trial, safety bounds, scorecard.

Each function takes the tidy rows of :mod:`msc_frailty.reanalysis` or :mod:`msc_frailty.scorecard` and returns
a figure at a print width; seaborn draws the points and bars, matplotlib the precomputed intervals. Effects are
oriented so that **positive = improvement** (TNF-alpha and B-cell TNF-alpha, lower is better, are flipped).
How a row is drawn says what the record supports (:func:`point_intervals`): an exact 95% interval is a solid
line with its point; a p printed as an inequality (``bound = "lower"``) an arrow from the least effect it
allows; "not significant" (``bound = "range"``) a dashed bracket, the widest interval the record allows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.legend_handler import HandlerLine2D, HandlerPatch
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow

from . import style
from .data import PARAMETERS

TRIALS = ["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"]
SHORT = {"SIXMWD": "6MWD", "SPPB": "SPPB", "FEV1": "FEV1", "SF36PCS": "SF-36 PCS", "TNFA": "TNF-\u03b1",
         "BCTNFA": "B-cell TNF-\u03b1", "TESAE30": "TE-SAE \u2264 30 d", "SAE": "any SAE", "DEATH": "death"}
STATUS_COLORS = {"reproduced": "#009E73", "not_reproduced": "#D55E00",
                 "consistent_by_construction": "#E69F00", "not_testable_without_patient_data": "#BBBBBB"}
#: The visit (months) at which all three trials report their main results: the dose figure's visit.
DOSE_VISIT = 6.0
DASHED = (0, (2.5, 1.5))
#: Arm labels of pooled rows in :mod:`msc_frailty.reanalysis` (drawn as the collection's "All").
POOLED = ("all", "All", "All active")


def improvement_scale(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with estimate and interval flipped for lower-is-better parameters (positive = improvement).

    Examples
    --------
    >>> rows = pd.DataFrame({"paramcd": ["TNFA"], "estimate": [-1.0], "ci_low": [-2.0], "ci_high": [-0.5]})
    >>> improvement_scale(rows)[["estimate", "ci_low", "ci_high"]].to_numpy().tolist()
    [[1.0, 0.5, 2.0]]
    """
    flip = rows.paramcd.map(lambda p: not PARAMETERS.get(p, {}).get("higher_is_better", True))
    est, lo, hi = (rows[c].astype(float) for c in ("estimate", "ci_low", "ci_high"))
    return rows.assign(estimate=est.where(~flip, -est), ci_low=lo.where(~flip, -hi), ci_high=hi.where(~flip, -lo))


def point_intervals(rows: pd.DataFrame, ax):
    """Draw tidy rows (y, estimate, ci_low, ci_high, bound, arm) as points with precomputed 95% intervals.

    Call after the x limits are set: an arrow (``bound = "lower"``) runs from the bound to the axis edge. Each
    arm has its collection colour and marker (the pooled arms of the record, :data:`POOLED`, are black: "All").

    Examples
    --------
    >>> fig, ax = style.figure("single", 40)
    >>> _ = ax.set_xlim(-2, 3)
    >>> rows = pd.DataFrame({"y": [0, 1], "estimate": [1.0, np.nan], "ci_low": [0.2, -1.4],
    ...                      "ci_high": [1.8, 1.4], "bound": ["", "range"], "arm": ["100M", "200M"]})
    >>> point_intervals(rows, ax)
    >>> len(ax.collections[-1].get_offsets())      # one point: a range has none
    1
    """
    rows = rows.assign(key=["All" if a in POOLED else a for a in rows.arm],
                       bound=rows.bound.fillna(""))
    color = rows.key.map(style.arm_color)
    rng, lower = rows.bound.eq("range"), rows.bound.eq("lower")
    ax.hlines(rows.y, rows.ci_low, rows.ci_high.where(~lower, rows.estimate), colors=color, lw=1.2,
              linestyles=["solid" if not r else DASHED for r in rng])
    ax.scatter(rows[rng][["ci_low", "ci_high"]].stack(), rows.y[rng].repeat(2), marker="|", c=color[rng].repeat(2),
               s=22, linewidths=1.0)
    for r in rows[lower].itertuples():
        ax.annotate("", xy=(float(r.estimate > 0), r.y), xycoords=("axes fraction", "data"), xytext=(r.estimate, r.y),
                    textcoords="data", arrowprops={"arrowstyle": "-|>", "mutation_scale": 7, "lw": 1.2,
                                                   "color": style.arm_color(r.key), "shrinkA": 0, "shrinkB": 0})
    keys = list(dict.fromkeys(rows.key[~rng]))
    if keys:
        sns.scatterplot(data=rows[~rng], x="estimate", y="y", hue="key", style="key", palette=style.arm_palette(keys),
                        markers=style.arm_markers(keys), s=22, edgecolor="white", linewidth=0.4, legend=False, ax=ax,
                        zorder=3)
    ax.set_ylabel("")


def _limits(rows: pd.DataFrame, symmetric: bool = False, pad: float = 0.06) -> tuple[float, float]:
    """x limits holding zero and every finite estimate and interval limit."""
    values = rows[["estimate", "ci_low", "ci_high"]].to_numpy(float)
    lo, hi = min(values[np.isfinite(values)].min(initial=0), 0), max(values[np.isfinite(values)].max(initial=0), 0)
    lo, hi = (-max(-lo, hi), max(-lo, hi)) if symmetric else (lo, hi)
    return lo - pad * (hi - lo), hi + pad * (hi - lo)


def _sorted(rows: pd.DataFrame, *by) -> pd.DataFrame:
    """Rows by ``by``: trials and parameters in the collection's order, arms by dose (pooled arms last)."""
    digits = rows.arm.str.extract(r"(\d+)", expand=False).astype(float)
    other = pd.Series(np.where(rows.arm.str.lower() == "placebo", 0, np.inf), rows.index)
    rows = rows.assign(dose=digits.fillna(other))
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


def _legend(fig, marks=()):
    """A legend above the axes: the ``marks`` and every line style of :func:`point_intervals`."""
    arrow = FancyArrow(0, 0, 1, 0, color="0.3", label="p printed as an inequality: at least the point")
    dashed = Line2D([], [], color="0.3", ls=DASHED, marker="|", label="'not significant': widest interval allowed")
    fig.legend(handles=[*marks, Line2D([], [], color="0.3", label="exact 95% interval"), arrow, dashed],
               loc="outside upper center", ncol=3,
               handler_map={dashed: HandlerLine2D(numpoints=2), arrow: HandlerPatch(patch_func=_arrow_key)})


def forest_implied_effects(data: pd.DataFrame):
    """Forest plot of every implied standardized effect (dz within arm, g vs placebo) by trial, outcome and arm."""
    rows = improvement_scale(data[data.method.isin(["implied_dz", "implied_g"]) & data.study.isin(TRIALS)])
    fig, ax = style.stamped_figure("double", 26 + 4.1 * (len(rows) + rows.study.nunique()))
    rows = _rows_axis(ax, _sorted(rows, "study", "method", "paramcd", "visit", "dose"), lambda r: (
        f"{SHORT[r.paramcd]}, {r.visit:g} mo: " + (f"all arms pooled (n = {r.n:g})" if r.arm == "all" else
                                                    style.arm_n_label(r.arm, r.n))
        + (f" vs placebo (n = {r.n_ref:g}), g" if r.ref_arm else ", change (dz)")),
        x_label="Implied standardized effect, exact 95% interval (positive = improvement)")
    ax.set_xlim(_limits(rows))
    point_intervals(rows, ax)
    for r in rows.itertuples():
        ax.text(1.01, r.y, {"range": f"not significant: within \u00b1{r.ci_high:.2f}",
                            "lower": f"\u2265 {r.estimate:.2f} (p printed as a bound)"}.get(
            r.bound, f"{r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]"), transform=ax.get_yaxis_transform(),
            va="center", fontsize=6)
    _legend(fig)
    return fig


def dose_rows(data: pd.DataFrame) -> pd.DataFrame:
    """The marks of :func:`dose_contrast`: each dose's implied effect at :data:`DOSE_VISIT`, and 200M - 100M.

    Tidy rows of :func:`msc_frailty.reanalysis.published_estimates` on the improvement scale, with ``part``
    ("dose" or "difference": arm "All", the improvement at 200M minus that at 100M, negative favours 100M),
    ``kind`` ("dz" or "g") and ``outcome``: the outcomes of a trial whose printed results are identical share
    one (CRATUS-P2 printed one p for 6MWD, SPPB and FEV1), and one set of rows.

    Examples
    --------
    >>> from msc_frailty.reanalysis import published_estimates
    >>> rows = dose_rows(published_estimates())
    >>> rows[rows.part == "difference"][["study", "outcome"]].to_numpy().tolist()
    [['CRATUS-P1', 'TNF-α'], ['CRATUS-P2', '6MWD, SPPB, FEV1'], ['CRATUS-P2', 'B-cell TNF-α']]
    """
    pick = data.study.isin(TRIALS) & data.visit.eq(DOSE_VISIT) & data.method.str.startswith("implied_")
    eff = improvement_scale(data[pick & data.arm.isin(["100M", "200M"]) & data.comparison.ne("vs_arm")])
    dif = improvement_scale(data[pick & data.arm.eq("100M") & data.ref_arm.eq("200M")])
    rows = pd.concat([eff.assign(part="dose"), dif.assign(estimate=-dif.estimate, ci_low=-dif.ci_high,
                                                          ci_high=-dif.ci_low, arm="All", part="difference")])
    rows["kind"] = rows.method.str.split("_").str[1]                    # dz or g (and their differences)
    marks = rows[["arm", "estimate", "ci_low", "ci_high", "bound"]].round(6).to_numpy()
    rows["same"] = (rows.assign(m=[" ".join(map(str, m)) for m in marks])
                    .groupby(["study", "kind", "paramcd"]).m.transform(" / ".join))   # the row's marks, as text
    rows["outcome"] = rows.groupby(["study", "kind", "same"]).paramcd.transform(
        lambda codes: ", ".join(SHORT[c] for c in dict.fromkeys(codes)))
    return _sorted(rows, "study", "kind", "paramcd").drop_duplicates(["study", "kind", "same", "arm"])


def dose_contrast(data: pd.DataFrame):
    """What each trial printed about 100M versus 200M at :data:`DOSE_VISIT`: one row per trial and outcome.

    Left: the implied effect of each dose (100M above 200M in a row). Right, on the same scale: the difference
    200M minus 100M (negative favours 100M) where :func:`msc_frailty.reanalysis.published_dose` derives one
    (:func:`dose_rows`); differences printed without a spread are quoted there.
    """
    rows = dose_rows(data)
    dose, dif = rows[rows.part == "dose"], rows[rows.part == "difference"]
    lines = rows.drop_duplicates(["study", "kind", "same"])
    spans = [_limits(dose), _limits(dif, symmetric=True)]
    fig, axes = style.stamped_figure("double", 40 + 6.0 * (len(lines) + lines.study.nunique()), ncols=2, sharey=True,
                                     gridspec_kw={"width_ratios": [hi - lo for lo, hi in spans]})
    n = dose.groupby(["study", "arm"]).n.first()
    lines = _rows_axis(axes[0], lines, lambda r: f"{r.outcome}: " + (
        "change (dz)" if r.kind == "dz" else f"vs placebo (n = {r.n_ref:g}), g"), lambda t: f"{t}: " + ", ".join(
        f"{a} n = {k:g}" for a, k in n[t].items()), "Standardized effect, 95% interval\n(positive = improvement)")
    _frame(axes[1], "\u25c0 favours 100M | favours 200M \u25b6\nstandardized, 95% interval (same scale)")
    rows = rows.merge(lines[["study", "kind", "same", "y"]])
    rows["y"] += rows.arm.map({"100M": -0.17, "200M": 0.17}).fillna(0)
    for ax, span, part, title in zip(axes, spans, ("dose", "difference"),
                                     ("Implied effect of each dose", "Difference 200M \u2212 100M")):
        ax.set_xlim(span)
        ax.set_title(title, fontweight="bold")
        point_intervals(rows[rows.part == part], ax)
    note = {"transform": axes[1].get_yaxis_transform(), "fontsize": 6, "va": "center", "color": "0.25",
            "bbox": {"facecolor": "white", "edgecolor": "none", "pad": 0.6}}
    for r in lines[~lines.same.isin(dif.same)].itertuples():
        axes[1].text(0.02, r.y, "no difference derivable from the record", **note)
    printed = data[data.method.eq("reported_difference") & data.study.isin(TRIALS) & data.arm.isin(["100M", "200M"])]
    for (study, arm), block in printed.sort_values("visit").groupby(["study", "arm"]):
        axes[1].text(0.02, lines.y[lines.study == study].min() - 1, f"printed without a spread, {arm} vs placebo:\n"
                     + ", ".join(f"{r.estimate:+g} {PARAMETERS[r.paramcd]['unit']} ({SHORT[r.paramcd]}, {r.visit:g} mo)"
                                 for r in block.itertuples()), **note)
    _legend(fig, [Line2D([], [], marker=style.arm_marker(a), color=style.arm_color(a), ls="none", label=label)
                  for a, label in (("100M", "100M"), ("200M", "200M"), ("All", "200M \u2212 100M"))])
    return fig


def safety_bounds(data: pd.DataFrame):
    """Exact 95% intervals of the printed zero-event statements (and the one CRATUS-P1 death), per arm and pooled."""
    rows = _sorted(data[(data.method == "clopper_pearson") & data.study.isin(TRIALS)], "study", "paramcd", "dose", "n")
    fig, ax = style.stamped_figure("single", 24 + 3.9 * (len(rows) + rows.study.nunique()))
    rows = _rows_axis(ax, rows, lambda r: f"{SHORT[r.paramcd]}, {r.arm}: {round(r.estimate * r.n):.0f}/{r.n:g}",
                      x_label="Proportion with the event, exact 95% interval\n(k/n printed; lower is better)")
    ax.set_xlim(_limits(rows))
    point_intervals(rows, ax)
    for r in rows.itertuples():
        ax.text(1.02, r.y, f"[{r.ci_low:.2f}, {r.ci_high:.2f}]", transform=ax.get_yaxis_transform(), va="center",
                fontsize=6)
    return fig


def scorecard_chart(card: pd.DataFrame):
    """Published claims per trial by scorecard status (seaborn bars; every count written, zeros too)."""
    order = TRIALS + sorted(set(card.study) - set(TRIALS))
    labels = [s.replace("_", " ") for s in STATUS_COLORS]
    counts = (pd.crosstab(card.study, card.status.str.replace("_", " ")).reindex(index=order, columns=labels,
                                                                               fill_value=0)
              .stack().rename("claims").reset_index())
    fig, ax = style.stamped_figure("single", 78)
    sns.barplot(data=counts, y="study", x="claims", hue="status", order=order, hue_order=labels, width=0.85,
                palette=dict(zip(labels, STATUS_COLORS.values())), saturation=1, ax=ax)
    for bars in ax.containers:
        ax.bar_label(bars, fontsize=6, padding=1.5)
    ax.set_yticks(range(len(order)), [f"{s}\n({(card.study == s).sum()} claims)" for s in order])
    ax.set(xlabel="Published claims", ylabel="")
    sns.move_legend(ax, "lower center", bbox_to_anchor=(0.4, 1.0), ncol=2, title=None)
    return fig
