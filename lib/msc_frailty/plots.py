"""The efficacy figures, drawn by seaborn in the collection's theme.

Every drawing function takes a tidy DataFrame (``data=``) with seaborn's column arguments, draws on an
``ax`` and returns it; every ``*_figure`` function lays out a whole figure at a print width (85 or 180 mm,
:func:`msc_frailty.style.figure`) with one arm legend that gives n per arm.

- Means with their 95% t interval by ``sns.lineplot(errorbar=t_interval, err_style="bars")``:
  :func:`t_interval` is the interval of the plan's ``paired_t`` rows, not a bootstrap, so nothing is random.
- Each subject's value beside the means by ``sns.scatterplot`` when an arm has at most
  :data:`~msc_frailty.endpoints.MAX_POINTS_ARM` subjects (:func:`~msc_frailty.endpoints.shows_points`),
  spread by a seeded jitter (deterministic).
- Precomputed estimates with their intervals (ANCOVA differences, dose pairs): :func:`forest`.
- One colour and one marker per arm everywhere (:func:`msc_frailty.style.arm_palette`,
  :func:`msc_frailty.style.arm_markers`).

What a figure says about parameters, visits and arms is in :mod:`msc_frailty.endpoints`; analysis rows,
sentences and captions are in :mod:`msc_frailty.findings`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import stats, style
from .endpoints import (MINUS, arm_counts, arm_order, axis_label, n_label, parameter_info, row_counts, shows_points,
                        visit_axis_label, visit_text)
# kept importable from here: consort.py, the cohort and safety notebooks and older notebooks use these
from .endpoints import figure_name, visit_scale  # noqa: F401
from .findings import basis_banner  # noqa: F401

#: Space kept free at the bottom of every figure for the basis stamp of :func:`style.save_figure`.
STAMP_MM = 3.5
#: Seed of the horizontal jitter of the subjects' points (the same figure on every run).
JITTER_SEED = 2017
#: Marker size (points) of the means, area (points squared) of the subjects' points.
MEAN_MS, POINT_S = 3.8, 4.5


def t_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """The t interval of the mean of ``values``: seaborn's ``errorbar=`` for the plan's ``paired_t`` rows.

    Examples
    --------
    >>> lo, hi = t_interval([20.0, 22.0, 30.0])
    >>> round(lo, 3), round(hi, 3)
    (10.855, 37.145)
    >>> t_interval([1.0])
    (nan, nan)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return (np.nan, np.nan)
    r = stats.paired_t(v, confidence)
    return (r["ci_low"], r["ci_high"])


def panel_figure(width: str = "single", height_mm: float = 60.0, nrows: int = 1, ncols: int = 1, **kwargs):
    """A constrained-layout figure at a print width with room for the basis stamp; a 2-D array of axes."""
    fig, axes = style.figure(width, height_mm, nrows=nrows, ncols=ncols, squeeze=False, layout="constrained",
                             **kwargs)
    bottom = STAMP_MM / height_mm
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom), h_pad=2 / 72, w_pad=2 / 72)
    return fig, axes


def panels(keys, ncols: int | None = None, panel_height_mm: float = 42.0, extra_mm: float = 10.0,
           sharey: bool = False, legend=()):
    """One panel per key, 85 mm wide for one panel and 180 mm otherwise, unused slots removed, and the
    ``legend`` entries (:func:`arm_handles`) above the panels, the figure made taller by the legend's height.

    Returns
    -------
    (Figure, dict)
        The figure and ``{key: Axes}``.
    """
    keys = list(keys)
    if not keys:
        raise ValueError("no panel to draw: no data")
    ncols = ncols or (len(keys) if len(keys) <= 3 else 2 if len(keys) == 4 else 3)
    nrows = math.ceil(len(keys) / ncols)
    width = "single" if ncols == 1 else "double"
    lines = [h.get_label().split("\n") for h in legend]
    # 6.5 pt DejaVu Sans: about 1.25 mm a character, 6.5 mm for the marker and the spacing; 2.8 mm a line
    room = {"single": style.SINGLE_COLUMN, "double": style.DOUBLE_COLUMN}[width] * 25.4 - 4
    lcols = max(1, min(len(lines), int(room // (max((len(x) for t in lines for x in t), default=0) * 1.25 + 6.5))))
    lrows = math.ceil(len(lines) / lcols)   # a legend fills its columns first
    legend_mm = sum(2.8 * max(len(t) for t in lines[r::lrows]) + 1.2 for r in range(lrows)) + 2 if lines else 0
    fig, axes = panel_figure(width, panel_height_mm * nrows + extra_mm + legend_mm, nrows=nrows, ncols=ncols,
                             sharey=sharey)
    for ax in axes.flat[len(keys):]:
        ax.remove()
    if sharey:
        for ax in axes.flat[:len(keys)]:
            ax.tick_params(axis="y", labelleft=ax.get_subplotspec().is_first_col())
    if lines:
        fig.legend(handles=list(legend), loc="outside upper center", ncol=lcols, handlelength=0.8,
                   columnspacing=1.2, borderaxespad=0.2)
    return fig, dict(zip(keys, axes.flat))


def _ax(ax):
    return ax if ax is not None else panel_figure()[1][0, 0]


def means_and_points(data: pd.DataFrame, x: str, y: str, hue: str = "TRT01A", hue_order=None, ax=None,
                     orient: str = "x", dodge: float = 0.6, join: bool = True, units: str = "USUBJID"):
    """Each arm's mean with its 95% t interval at every position, and each subject's value beside it.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject and position (visit, dose or arm).
    x, y : str
        The position and the value (``orient="x"``), or the value and the position (``orient="y"``).
    hue, hue_order : str, list
        The arm column and the arms in order; each arm is shifted by its dodge offset.
    dodge : float
        Share of the smallest gap between positions over which the arms are spread (0: not dodged).
    join : bool
        Join an arm's means across positions (a trajectory).
    units : str
        The subject column: when an arm has at most ``MAX_POINTS_ARM`` subjects, every row is a point.

    Returns
    -------
    matplotlib.axes.Axes
        A ``PathCollection`` of the subjects' points (when shown) and per arm one line of means with an
        error-bar container.

    Examples
    --------
    >>> d = pd.DataFrame({"AVISITN": [3.0] * 4 + [6.0] * 4, "CHG": [1.0, 2.0, 5.0, 6.0, 2.0, 3.0, 8.0, 9.0],
    ...                   "TRT01A": ["A", "A", "B", "B"] * 2, "USUBJID": ["1", "2", "3", "4"] * 2})
    >>> ax = means_and_points(d, "AVISITN", "CHG", hue_order=["A", "B"])
    >>> len(ax.collections[0].get_offsets())   # one point per subject and visit
    8
    """
    ax = _ax(ax)
    pos, value = (x, y) if orient == "x" else (y, x)
    arms = [a for a in (hue_order if hue_order is not None else arm_order(data, hue)) if a in set(data[hue])]
    d = data[data[hue].isin(arms)].copy()
    where = d[pos].astype(float)
    gaps = np.diff(np.unique(where))
    gap = gaps.min() if len(gaps) else 1.0
    offsets = np.linspace(-dodge * gap / 2, dodge * gap / 2, len(arms)) if len(arms) > 1 else [0.0]
    d["_pos"] = where + d[hue].map(dict(zip(arms, offsets))).astype(float)
    slot = gap * (dodge / len(arms) if dodge and len(arms) > 1 else 0.4)
    kws = {"hue": hue, "hue_order": arms, "style": hue, "style_order": arms, "palette": style.arm_palette(arms),
           "markers": style.arm_markers(arms), "legend": False, "ax": ax}
    xy = (lambda p: {"x": p, "y": value}) if orient == "x" else (lambda p: {"x": value, "y": p})
    if shows_points(arm_counts(d, hue, units)):
        jitter = np.random.default_rng(JITTER_SEED).uniform(-0.32 * slot, 0.32 * slot, len(d))
        sns.scatterplot(data=d.assign(_jit=d["_pos"].to_numpy() + jitter), **xy("_jit"), s=POINT_S, alpha=0.4,
                        linewidth=0, zorder=2, **kws)
    sns.lineplot(data=d, **xy("_pos"), orient=orient, dashes=False, errorbar=t_interval, err_style="bars",
                 err_kws={"capsize": 1.5, "elinewidth": 0.9, "capthick": 0.9, "zorder": 3}, ms=MEAN_MS,
                 lw=1.0 if join else 0, zorder=4, **kws)
    return ax


def trajectory(data: pd.DataFrame, x: str = "AVISITN", y: str = "CHG", hue: str = "TRT01A", hue_order=None,
               ax=None, xlabel: str = "Months since infusion"):
    """Mean change with its 95% t interval by arm (``hue``) and visit (``x``), the subjects beside it.

    Examples
    --------
    >>> d = pd.DataFrame({"AVISITN": [3.0, 3.0, 6.0, 6.0], "CHG": [1.0, 3.0, 2.0, 6.0], "TRT01A": "A",
    ...                   "USUBJID": ["1", "2", "1", "2"]})
    >>> [t.get_text() for t in trajectory(d).get_xticklabels()]
    ['3', '6']
    """
    ax = means_and_points(data, x, y, hue, hue_order, ax=ax)
    ax.axhline(0, color="0.6", lw=0.6, ls="--", zorder=0)
    visits = sorted(set(data[x].astype(float)))
    ax.set_xticks(visits, [f"{v:g}" for v in visits])
    ax.set(xlabel=xlabel, ylabel="")
    return ax


def forest(data: pd.DataFrame, y: str, x: str = "estimate", xmin: str = "ci_low", xmax: str = "ci_high",
           hue: str | None = None, order=None, ax=None, ref: float | None = 0.0):
    """Precomputed estimates with their intervals, one row per value of ``y`` in ``order`` (top down).

    seaborn's ``pointplot`` draws them: each row enters as its three values (low, estimate, high), whose
    median is the estimate and whose 0-100 percentile interval is the precomputed interval, exactly. An arm
    (``hue``) is drawn in its colour and marker, anything else in black; a label of ``order`` absent from
    ``data`` leaves its row empty, so panels sharing an order line up. A row without both limits is drawn as
    its point alone.

    Raises
    ------
    ValueError
        When two rows share a ``y`` (and ``hue``) value, or an interval does not hold its estimate: either
        would make the drawn interval differ from the one given.

    Examples
    --------
    >>> rows = pd.DataFrame({"arm": ["100M"], "estimate": [2.0], "ci_low": [1.0], "ci_high": [3.0]})
    >>> ax = forest(rows, "arm", hue="arm", order=["Placebo", "100M"])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Placebo', '100M']
    >>> marks, bar = ax.lines[1:]                # ax.lines[0] is the reference line at 0
    >>> marks.get_marker(), marks.get_xydata().tolist(), bar.get_xydata().tolist()   # row 2: 100M
    ('s', [[2.0, 1.0]], [[1.0, 1.0], [3.0, 1.0]])
    """
    ax = _ax(ax)
    order = list(order) if order is not None else list(pd.unique(data[y]))
    if ref is not None:
        ax.axvline(ref, color="0.6", lw=0.6, ls="--", zorder=0)
    keys = list(dict.fromkeys([y, *([hue] if hue else [])]))
    rows = data[data[y].isin(order) & np.isfinite(data[x].astype(float))]
    twice = rows.duplicated(keys)
    if twice.any():
        raise ValueError(f"forest: more than one row for {rows[twice][keys].values.tolist()}")
    est, lo, hi = (rows[c].astype(float) for c in (x, xmin, xmax))
    outside = (lo > est) | (est > hi)
    if outside.any():
        raise ValueError(f"forest: an interval does not hold its estimate in rows {list(rows.index[outside])}")
    # an interval is both limits or none: with one limit the median of the row's values would not be its estimate
    whole = np.isfinite(lo) & np.isfinite(hi)
    rows = rows.assign(**{xmin: lo.where(whole), xmax: hi.where(whole)})
    long = rows.melt(id_vars=keys, value_vars=[xmin, x, xmax], value_name="_value").dropna(subset=["_value"])
    arms = list(dict.fromkeys(rows[hue])) if hue else []
    colours = ({"hue": hue, "hue_order": arms, "palette": style.arm_palette(arms),
                "markers": list(style.arm_markers(arms).values())} if arms else {"color": "black", "markers": "o"})
    if len(long):
        sns.pointplot(data=long, x="_value", y=y, order=order, estimator="median", errorbar=("pi", 100),
                      linestyles="none", markersize=MEAN_MS, err_kws={"linewidth": 1.0}, dodge=False, legend=False,
                      ax=ax, zorder=3, **colours)
    ax.set_yticks(range(len(order)), [style.wrap_label(o) for o in order])  # long arm labels wrap, not clip
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set(xlabel="", ylabel="")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.tick_params(axis="y", length=0)
    return ax


def dose_response(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A", ax=None):
    """Mean change with its 95% t interval per dose on a linear axis, the subjects beside it, and a thin grey
    line joining the means in dose order (a guide to the eye, not a model)."""
    arms = arm_order(data, hue, x)
    ax = means_and_points(data, x, y, hue, arms, ax=ax, dodge=0, join=False)
    means = data.groupby(x)[y].mean().sort_index()
    if len(means) > 1:
        ax.plot(means.index, means.to_numpy(), color="0.55", lw=0.7, zorder=1)
    ax.axhline(0, color="0.6", lw=0.6, ls="--", zorder=0)
    doses = means.index.tolist()
    span = (max(doses) - min(doses)) or 1.0
    ax.set_xticks(doses, [f"{d:g}" for d in doses])
    ax.set(xlim=(min(doses) - 0.08 * span, max(doses) + 0.08 * span), xlabel="Dose (million cells)", ylabel="")
    return ax


def arm_handles(counts: dict, notes=()) -> list:
    """Legend entries: each arm of ``counts`` (``{arm: n}``, n an int or the distinct n of the panels,
    :func:`~msc_frailty.endpoints.arm_counts`) as its marker in its colour and ``"100M (n = 10)"``, then each
    of ``notes`` as text alone (e.g. the reference arm of differences); long labels wrapped."""
    return ([Line2D([], [], color=style.arm_color(a), marker=style.arm_marker(a), ls="none", ms=MEAN_MS,
                    label=style.wrap_label(n_label(a, n), 22)) for a, n in counts.items()]
            + [Line2D([], [], ls="none", label=style.wrap_label(note, 22)) for note in notes])


def log_ratio_axis(ax, axis: str = "y"):
    """Label a log-scale axis (values are natural logs of ratios) with the ratios themselves.

    Ticks at round ratios in reciprocal pairs (1/2, 2/3, 0.8, 1, 1.25, 1.5, 2, ...) inside the current
    limits; a narrow range gets multiples of a round step instead.
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


# --------------------------------------------------------------------------------------------------
# Whole figures
# --------------------------------------------------------------------------------------------------

def trajectory_figure(data: pd.DataFrame, paramcd: str, hue_order=None, y: str = "CHG", kind: str = "change",
                      title: str | None = None, labels=None):
    """One parameter's :func:`trajectory`, 85 mm wide, titled, with an arm legend giving n per arm.

    ``kind`` is the :func:`~msc_frailty.endpoints.axis_label` kind of the y axis (``"ratio"`` for a log
    change; then call :func:`log_ratio_axis` on ``fig.axes[0]``); ``labels`` the trial's
    (:func:`~msc_frailty.endpoints.resolve_labels`).
    """
    arms = [a for a in (hue_order if hue_order is not None else arm_order(data)) if a in set(data["TRT01A"])]
    fig, axes = panels([paramcd], panel_height_mm=52,
                       legend=arm_handles(arm_counts(data, by="AVISITN", arms=arms)))
    ax = trajectory(data, y=y, hue_order=arms, ax=axes[paramcd], xlabel=visit_axis_label(labels))
    ax.set(ylabel=axis_label(paramcd, kind, labels),
           title=title if title is not None else parameter_info(paramcd, labels)["label"])
    return fig


def _titled(ax, p, visits, labels):
    t = parameter_info(p, labels)["short"]
    ax.set_title(f"{t}, {visit_text(visits[p], labels)}" if visits and p in visits else t)


def _row_mm(order, row_mm: float) -> float:
    """The height of a panel row: ``row_mm``, or 3 mm a line of its longest wrapped label."""
    return max(row_mm, 3.0 * max(style.wrap_label(o).count("\n") + 1 for o in order))


def change_figure(data: pd.DataFrame, params, visits: dict, hue_order=None, labels=None):
    """Change from baseline at each parameter's main visit: one panel per parameter, one row per arm, the
    mean with its 95% t interval and every subject's change (:func:`means_and_points` on its side)."""
    arms = [a for a in (hue_order if hue_order is not None else arm_order(data)) if a in set(data["TRT01A"])]
    params = [p for p in params if p in set(data["PARAMCD"])]
    d = data.assign(_row=data["TRT01A"].map({a: i for i, a in enumerate(arms)}))
    fig, axes = panels(params, panel_height_mm=14 + _row_mm(arms, 7.0) * len(arms), sharey=True,
                       legend=arm_handles(arm_counts(data, by="PARAMCD", arms=arms)))
    for p, ax in axes.items():
        means_and_points(d[d["PARAMCD"] == p], "CHG", "_row", hue_order=arms, ax=ax, orient="y", dodge=0)
        ax.axvline(0, color="0.6", lw=0.6, ls="--", zorder=0)
        ax.set_yticks(range(len(arms)), [style.wrap_label(a) for a in arms])
        ax.set(ylim=(len(arms) - 0.5, -0.5), ylabel="", xlabel=axis_label(p, "panel_change", labels))
        ax.tick_params(axis="y", length=0)
        _titled(ax, p, visits, labels)
    return fig


def forest_figure(rows: pd.DataFrame, params, y: str = "arm", order=None, hue: str | None = "arm",
                  visits: dict | None = None, xlabel=None, notes=(), row_mm: float = 6.0, labels=None):
    """:func:`forest` panels, one per parameter (``rows["paramcd"]``), rows ``y`` in ``order``, sharing the y
    axis; ``xlabel(paramcd)`` labels the x axes. The legend gives n per arm from the rows' ``n`` and ``n_ref``
    (:func:`~msc_frailty.endpoints.row_counts`): the arms drawn (``hue``) with their markers, the others
    (reference arms, or the arms of dose pairs) as text, then ``notes``."""
    params = [p for p in params if p in set(rows["paramcd"])]
    order = list(order) if order is not None else list(pd.unique(rows[y]))
    counts = row_counts(rows)
    drawn = {a: n for a, n in counts.items() if hue and a in set(rows[hue])}
    rest = [("vs " if drawn else "") + n_label(a, n) for a, n in counts.items() if a not in drawn]
    fig, axes = panels(params, panel_height_mm=17 + max(_row_mm(order, row_mm) * len(order), 2 * row_mm), sharey=True,
                       legend=arm_handles(drawn, rest + list(notes)))
    for p, ax in axes.items():
        forest(rows[rows["paramcd"] == p], y, hue=hue, order=order, ax=ax)
        ax.set_xlabel(xlabel(p) if xlabel else axis_label(p, "panel_change", labels))
        _titled(ax, p, visits, labels)
    return fig


def vs_placebo_figure(rows: pd.DataFrame, params, arms, placebo: str, visits: dict, labels=None):
    """:func:`forest_figure` of baseline-adjusted differences from placebo, x axes "Arm − <placebo>"."""
    def xlabel(p):
        return axis_label(p, "difference", labels).replace("Difference in change", f"Arm {MINUS} {placebo}")

    return forest_figure(rows, params, order=[a for a in arms if a in set(rows["arm"])], visits=visits,
                         xlabel=xlabel, labels=labels)


def dose_response_figure(data: pd.DataFrame, params, title=None, labels=None):
    """:func:`dose_response` panels, one per parameter (``data`` at each one's main visit), titled by
    ``title(paramcd)``, with an arm legend giving n per arm."""
    data = data[data["PARAMCD"].isin(params)]
    fig, axes = panels(params, panel_height_mm=50, legend=arm_handles(arm_counts(data, by="PARAMCD")))
    for p, ax in axes.items():
        dose_response(data[data["PARAMCD"] == p], ax=ax)
        ax.set_ylabel(axis_label(p, "panel_change", labels))
        ax.set_title(title(p) if title else parameter_info(p, labels)["short"], fontsize=6.5)
    return fig
