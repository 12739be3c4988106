"""Figures of the published record: implied-effects forest, cross-trial dose view, safety bounds, scorecard.

Each function takes the tidy rows of :mod:`msc_frailty.reanalysis` or :mod:`msc_frailty.scorecard` and
returns a matplotlib figure in the collection's style (one colour per arm, journal widths). Effects are
oriented so that **positive = improvement** (TNF-alpha and B-cell TNF-alpha are lower-is-better and are
flipped), which the axes say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style
from .data import PARAMETERS

TRIALS = ["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"]
SHORT = {"SIXMWD": "6MWD", "SPPB": "SPPB", "FEV1": "FEV1", "SF36PCS": "SF-36 PCS", "TNFA": "TNF-\u03b1",
         "BCTNFA": "B-cell TNF-\u03b1", "TESAE30": "TE-SAE \u2264 30 d", "SAE": "any SAE", "DEATH": "death"}
MARKERS = {"SIXMWD": "o", "SPPB": "o", "FEV1": "o", "SF36PCS": "D", "TNFA": "s", "BCTNFA": "^"}
STATUS_COLORS = {"reproduced": "#009E73", "not_reproduced": "#D55E00",
                 "consistent_by_construction": "#E69F00", "not_testable_without_patient_data": "#BBBBBB"}


def improvement_scale(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with estimate and interval flipped for lower-is-better parameters (positive = improvement)."""
    out = rows.copy()
    flip = out.paramcd.map(lambda p: not PARAMETERS.get(p, {}).get("higher_is_better", True))
    for col in ("estimate", "ci_low", "ci_high"):
        out[col] = out[col].astype(float)
    lo, hi = out.ci_low.copy(), out.ci_high.copy()
    out.loc[flip, "estimate"] = -out.loc[flip, "estimate"]
    out.loc[flip, "ci_low"] = -hi[flip]
    out.loc[flip, "ci_high"] = -lo[flip]
    return out


def _dose(arm: str) -> float:
    """Million cells from an arm label ("100M" -> 100, "Placebo" -> 0, "all" -> inf)."""
    digits = "".join(ch for ch in str(arm) if ch.isdigit())
    return float(digits) if digits else (0.0 if str(arm).lower() == "placebo" else np.inf)


def _label(r) -> str:
    what = SHORT.get(r.paramcd, r.paramcd)
    vs = f" vs {r.ref_arm}" if r.ref_arm else (" within arm" if r.arm != "all" else " pooled")
    arm = "all arms" if r.arm == "all" else r.arm
    visit = f", {int(r.visit)} mo" if pd.notna(r.visit) else ""
    return f"{what}: {arm}{vs}{visit}"


def _draw_interval(ax, y, r, color, clip):
    """One row: a point and interval, an arrow for a bound, a bracket for a range."""
    lo = max(r.ci_low, -clip) if np.isfinite(r.ci_low) else -clip
    hi = min(r.ci_high, clip) if np.isfinite(r.ci_high) else clip
    if r.bound == "range":
        ax.plot([lo, hi], [y, y], color=color, lw=1.0, ls=(0, (2, 1.2)))
        ax.plot([lo, lo, np.nan, hi, hi], [y - 0.18, y + 0.18, np.nan, y - 0.18, y + 0.18], color=color, lw=1.0)
        return
    ax.plot([lo, hi], [y, y], color=color, lw=1.2)
    if r.bound == "lower":
        ax.annotate("", xy=(hi if r.estimate > 0 else lo, y), xytext=(r.estimate, y),
                    arrowprops={"arrowstyle": "->", "color": color, "lw": 1.2})
        ax.plot(r.estimate, y, marker="|", color=color, ms=7, mew=1.5)
    elif abs(r.estimate) > clip:       # beyond the axis: an edge marker, the value is printed at the right
        ax.plot(np.sign(r.estimate) * clip, y, marker=">" if r.estimate > 0 else "<", color=color, ms=5)
    else:
        ax.plot(r.estimate, y, marker=MARKERS.get(r.paramcd, "o"), color=color, ms=4.5, mec="white", mew=0.4)


def forest_implied_effects(data: pd.DataFrame, clip: float = 4.0):
    """Forest plot of implied standardized effects (dz within arm, g vs placebo) by trial, outcome and dose.

    Parameters
    ----------
    data : DataFrame
        Rows of :func:`msc_frailty.reanalysis.published_effects` with method implied_dz or implied_g.
    clip : float
        Axis limit; intervals beyond it are drawn to the edge (CRATUS-P1 TNF-alpha at n = 5 reaches -11).
    """
    rows = improvement_scale(data[data.method.isin(["implied_dz", "implied_g"])])
    rows = rows[rows.study.isin(TRIALS)]
    rows["order"] = rows.study.map({t: i for i, t in enumerate(TRIALS)})
    rows["dose"] = rows.arm.map(_dose)
    rows = rows.sort_values(["order", "method", "paramcd", "visit", "dose"], kind="mergesort")
    n = len(rows)
    fig, ax = style.figure("double", height_mm=22 + 5.2 * (n + len(TRIALS)))
    y, ticks, labels = 0.0, [], []
    for trial, block in rows.groupby("order", sort=True):
        name = TRIALS[trial]
        ax.text(-clip, y, name, fontweight="bold", va="center", ha="left", fontsize=7)
        y -= 1
        for r in block.itertuples():
            _draw_interval(ax, y, r, style.arm_color(r.arm if r.arm != "all" else "All"), clip)
            kind = "dz" if r.method == "implied_dz" else "g"
            labels.append(f"{_label(r)} ({kind})")
            ticks.append(y)
            text = ("not significant: |effect| below critical" if r.bound == "range" else
                    f"\u2265 {abs(r.estimate):.2f} (p printed as a bound)" if r.bound == "lower" else
                    f"{r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]")
            ax.text(clip * 1.02, y, text, va="center", ha="left", fontsize=6)
            y -= 1
        y -= 0.4
    ax.axvline(0, color="#555555", lw=0.6)
    ax.set_yticks(ticks, labels)
    ax.set_xlim(-clip, clip)
    ax.set_ylim(y + 0.4, 0.8)
    ax.set_xlabel("Implied standardized effect with exact 95% interval\n(positive = improvement; dz within arm, "
                  "g vs placebo)")
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    # right margin: room for the longest value text ("not significant: |effect| below critical") with some
    # to spare, which at 0.76 ended at the canvas edge
    fig.subplots_adjust(left=0.30, right=0.73, top=0.98, bottom=0.16 if n < 12 else 0.09)
    return fig


def dose_view(data: pd.DataFrame):
    """Cross-trial dose view: implied effects at each dose, one panel per trial, marker area ~ n.

    Only what the record supports is drawn: exact effects with intervals, bounds as arrows, "not
    significant" as dashed ranges, and printed differences without a spread as text.
    """
    rows = improvement_scale(data[data.study.isin(TRIALS)])
    fig, axes = style.figure("double", height_mm=78, ncols=3, sharey=True)
    doses = {"20M": 20, "25M": 25, "50M": 50, "100M": 100, "200M": 200, "all": 110}
    notes = {
        "CRATUS-P1": "open label; 6MWD printed pooled only\n(dz 1.07 at 6 mo, all arms);\n"
                     "TNF-\u03b1 identical p in 100M and 200M",
        "CRATUS-P2": "favoured 100M: p = .01 for 6MWD/SPPB/FEV1\nin 100M, 'not significant' in 200M;\n"
                     "B-cell TNF-\u03b1 better than placebo in both",
        "LOMECEL-P2B": "largest gain reported at 200M:\n+63.4 m vs placebo at 9 mo, about 41 m\nat 6 mo "
                       "(no SD, interval or p printed)",
    }
    for ax, trial in zip(axes, TRIALS):
        block = rows[(rows.study == trial) & rows.method.isin(["implied_dz", "implied_g"])
                     & ~rows.arm.isin(["all", "Placebo"])]
        offsets = {p: k for k, p in enumerate(sorted(block.paramcd.unique()))}
        for r in block.itertuples():
            x = np.log10(doses[r.arm]) + 0.035 * (offsets[r.paramcd] - (len(offsets) - 1) / 2)
            color = style.arm_color(r.arm)
            lo = r.ci_low if np.isfinite(r.ci_low) else 4.5
            hi = r.ci_high if np.isfinite(r.ci_high) else 4.5
            if r.bound == "range":
                ax.plot([x, x], [max(lo, -2.5), min(hi, 4.5)], color=color, lw=1, ls=(0, (2, 1.2)))
                continue
            ax.plot([x, x], [max(lo, -2.5), min(hi, 4.5)], color=color, lw=1.2)
            size = 2 + 1.6 * np.sqrt(r.n)
            if r.estimate > 4.5:          # off the axis (CRATUS-P1 TNF-alpha, n = 5): marker at the edge, value
                ax.plot(x, 4.45, marker=MARKERS.get(r.paramcd, "o"), color=color, ms=size, mfc="white", ls="none")
                ax.text(x + 0.03, 4.3, f"{r.estimate:.1f}", fontsize=5.6, color=color, va="top")
                continue
            ax.plot(x, r.estimate, marker=MARKERS.get(r.paramcd, "o"), color=color, ms=size, mec="white", mew=0.4,
                    ls="none")
            if r.bound == "lower":
                ax.annotate("", xy=(x, 4.4), xytext=(x, r.estimate),
                            arrowprops={"arrowstyle": "->", "color": color, "lw": 1})
        ax.axhline(0, color="#555555", lw=0.6)
        ax.set_title(trial, fontweight="bold")
        ax.text(0.03, 0.03, notes[trial], transform=ax.transAxes, fontsize=5.6, va="bottom", ha="left",
                color="#333333")
        ax.set_xticks(np.log10([20, 25, 50, 100, 200]), ["20", "25", "50", "100", "200"])
        ax.set_xlim(np.log10(15), np.log10(260))
        ax.set_xlabel("Dose (million cells, log scale)")
    axes[0].set_ylim(-3.4, 4.6)
    axes[0].set_ylabel("Implied standardized effect, 95% interval\n(positive = improvement)")
    handles = [axes[0].plot([], [], marker=m, color="#555555", ls="none", ms=4)[0] for m in ("o", "s", "^", "D")]
    fig.legend(handles, ["6MWD / SPPB / FEV1", "serum TNF-\u03b1", "B-cell TNF-\u03b1", "SF-36 PCS"],
               loc="upper center", ncol=4, bbox_to_anchor=(0.5, 1.0))
    fig.subplots_adjust(left=0.09, right=0.99, top=0.84, bottom=0.17, wspace=0.08)
    return fig


def safety_bounds(data: pd.DataFrame):
    """Exact 95% intervals of the printed zero-event statements (and the one CRATUS-P1 death), per arm and pooled."""
    rows = data[(data.method == "clopper_pearson") & data.study.isin(TRIALS)].copy()
    rows["order"] = rows.study.map({t: i for i, t in enumerate(TRIALS)})
    rows["dose"] = rows.arm.map(lambda a: np.inf if a.startswith("All") else _dose(a))
    rows = rows.sort_values(["order", "paramcd", "dose", "n"], kind="mergesort")
    fig, ax = style.figure("single", height_mm=20 + 4.6 * (len(rows) + 3))
    y, ticks, labels = 0.0, [], []
    for _, block in rows.groupby("order", sort=True):
        for r in block.itertuples():
            color = style.arm_color(r.arm if r.arm not in ("All active", "All") else "All")
            ax.plot([r.ci_low, r.ci_high], [y, y], color=color, lw=1.4)
            ax.plot(r.estimate, y, marker="o", color=color, ms=3.5)
            ax.text(r.ci_high + 0.015, y, f"{r.ci_high:.2f}", va="center", fontsize=5.8)
            labels.append(f"{r.study} {SHORT.get(r.paramcd, r.paramcd)}: {r.arm} "
                          f"{int(round(r.estimate * r.n))}/{int(r.n)}")
            ticks.append(y)
            y -= 1
        y -= 0.6
    ax.set_yticks(ticks, labels)
    ax.tick_params(axis="y", length=0, labelsize=5.6)
    ax.set_xlim(0, 0.85)
    ax.set_ylim(y + 0.4, 0.8)
    # three short lines: centred under the narrow axes, two long ones ran past the right and bottom edges
    ax.set_xlabel("Proportion with the event,\nexact 95% interval\n(lower is better)")
    height_mm = fig.get_size_inches()[1] / style.MM
    fig.subplots_adjust(left=0.54, right=0.97, top=0.98, bottom=17 / height_mm)
    return fig


def scorecard_chart(card: pd.DataFrame):
    """Stacked bars: number of published claims per trial by scorecard status."""
    order = TRIALS + sorted(set(card.study) - set(TRIALS))
    counts = card.groupby(["study", "status"]).size().unstack(fill_value=0).reindex(order).fillna(0)
    fig, ax = style.figure("single", height_mm=62)
    left = np.zeros(len(counts))
    for status, color in STATUS_COLORS.items():
        v = counts[status].to_numpy() if status in counts else np.zeros(len(counts))
        ax.barh(range(len(counts)), v, left=left, color=color, label=status.replace("_", " "), height=0.6)
        for i, (l, w) in enumerate(zip(left, v)):
            if w >= 3:
                ax.text(l + w / 2, i, f"{int(w)}", ha="center", va="center", fontsize=6)
        left += v
    ax.set_yticks(range(len(counts)), counts.index)
    ax.invert_yaxis()
    ax.set_xlabel("Published claims")
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.28), ncol=2, fontsize=5.8)
    fig.subplots_adjust(left=0.25, right=0.97, top=0.97, bottom=0.40)
    return fig
