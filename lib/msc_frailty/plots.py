"""The efficacy figures, drawn by seaborn in the collection's theme.

Every drawing function takes a tidy DataFrame (``data=``) with seaborn's column arguments, draws on an
``ax`` and returns it; every ``*_figure`` function lays out a whole figure at a print width (85 or 180 mm,
:func:`msc_frailty.style.figure`), with panel letters when it has more than one panel.

- Means with their 95% t interval by ``sns.lineplot(errorbar=t_interval, err_style="bars")``:
  :func:`t_interval` is the interval of the plan's paired t rows, not a bootstrap, so nothing is random.
- Each subject's value beside the means by ``sns.scatterplot`` when an arm has at most
  :data:`~msc_frailty.endpoints.MAX_POINTS_ARM` subjects (:func:`~msc_frailty.endpoints.shows_points`): spread
  sideways by a seeded jitter, or, for a whole-number score, stacked side by side (:func:`strip_offsets`).
- Time courses (:func:`trajectory_figure`): baseline drawn (the change is 0 there), arms offset by at most a
  third of the gap between visits in all, or one panel per arm when the arms are too many to follow in one
  (:func:`msc_frailty.endpoints.time_course_plan`).
- Precomputed estimates with their intervals: :func:`forest`; the contrasts of a trial in one forest on one
  standardized axis, each row's difference in its own unit beside it, with the "favours" cue of
  :func:`msc_frailty.style.favours` where the direction is known (:func:`standardized_forest`): the dose pairs
  (:func:`dose_forest_figure`) and each active arm against placebo (:func:`vs_placebo_figure`).
- One colour and one marker per arm everywhere (:func:`msc_frailty.style.arm_palette`,
  :func:`msc_frailty.style.arm_markers`).

What a figure says about parameters, visits and arms is in :mod:`msc_frailty.endpoints`; analysis rows,
sentences and captions are in :mod:`msc_frailty.findings`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from . import analysis, stats, style
from .endpoints import (LANE_CLEAR_MM, LANE_END, LANE_START, TITLE_CHARS, arm_counts, arm_order, arm_word, axis_label,
                        fit_label, is_whole_score, main_visit, n_label, ordered_params, outcome_at, parameter_info,
                        pooled_arms, shows_level_shares, shows_points, time_axis_limits, time_course_plan,
                        visit_axis_label, visit_text, words_of)
# kept importable from here: consort.py, the cohort and safety notebooks and older notebooks use these
from .endpoints import figure_name, visit_scale  # noqa: F401
from .findings import basis_banner  # noqa: F401
from .findings import dose_pattern, interval_texts
from .numbers import MINUS

#: Space kept free at the bottom of every figure for the basis stamp of :func:`style.save_figure`.
STAMP_MM = 3.5
#: Seed of the sideways jitter of the subjects' points (the same figure on every run).
JITTER_SEED = 2017
#: Marker size (points) of the means, area (points squared) and opacity of the subjects' points: dark enough to see
#: each one (with a thin edge of a darker shade of the arm's colour, :data:`POINT_EDGE`), and drawn beside the means
#: and their intervals, never over them.
MEAN_MS, POINT_S, POINT_ALPHA = 4.2, 6.0, 0.85
#: The edge of a subject's point: its arm's colour darkened to this share (0 black, 1 unchanged), this wide (pt).
POINT_EDGE, POINT_EDGE_PT = 0.6, 0.4
#: Half-width of a strip of subjects' points around its mean (when no strip beside it is asked for): share of the
#: smallest gap between positions.
STRIP_SHARE_ALONE = 0.2
#: With one arm in a panel, the strip of points starts this share of the gap between visits after the visit's mean
#: and is twice ``BESIDE_HALF`` of it wide: beside the mean, clear of the next visit (several arms in one panel:
#: :data:`msc_frailty.endpoints.LANE_START` and ``LANE_END`` of the distance between arms). Every strip beside a
#: mean keeps :data:`msc_frailty.endpoints.LANE_CLEAR_MM` from it and from the next mean.
BESIDE_START, BESIDE_HALF = 0.08, 0.15
#: The same for stacked whole-number scores, whose ties need the width (up to 0.68 of the gap: clear of the next).
BESIDE_HALF_STACKED = 0.3
#: In a panel of one row per arm, the strip of points starts this far under the row's mean (in rows) and is
#: twice ``ROW_STRIP_HALF`` deep.
ROW_STRIP_START, ROW_STRIP_HALF = 0.1, 0.16
#: In a dose-response panel, the strip of points starts this share of the smallest gap between doses after the
#: dose's mean and is twice ``DOSE_STRIP_HALF`` of it wide.
DOSE_STRIP_START, DOSE_STRIP_HALF = 0.07, 0.16


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
           sharey: bool = False, legend=(), width: str | None = None):
    """One panel per key, 85 mm wide for one panel and 180 mm otherwise (or ``width``, "single" or "double"),
    unused slots removed, and the ``legend`` entries (:func:`arm_handles`) above the panels, the figure made taller
    by the legend's height.

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
    if width not in (None, "single", "double"):
        raise ValueError(f"width must be 'single' or 'double', got {width!r}")
    width = width or ("single" if ncols == 1 else "double")
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


def strip_offsets(values, halfwidth: float, step: float, rng=None, whole: bool | None = None,
                  side: str = "centre") -> np.ndarray:
    """Sideways offsets of the subjects' points around (or beside) their arm's position: a dot strip.

    Whole-number scores (:func:`~msc_frailty.endpoints.is_whole_score`) are stacked: subjects with the same value
    side by side, ``step`` apart (closer when more than fit in the strip, ``2 * halfwidth`` wide), so that none
    hides another. Other values get a seeded uniform jitter across the strip (``rng``, a
    :class:`numpy.random.Generator`; the figure is the same on every run). ``side="centre"``: the strip is
    centred on 0; ``"right"``: it runs from 0 to ``2 * halfwidth``, stacks starting at 0.

    Examples
    --------
    >>> strip_offsets([1.0, 0.0, 1.0, 1.0], halfwidth=1.0, step=0.2).round(2).tolist()
    [-0.2, 0.0, 0.0, 0.2]
    >>> strip_offsets([1.0, 1.0, 1.0], halfwidth=0.1, step=0.2).round(2).tolist()   # squeezed into the strip
    [-0.1, 0.0, 0.1]
    >>> strip_offsets([1.0, 0.0, 1.0], halfwidth=1.0, step=0.2, side="right").round(2).tolist()
    [0.0, 0.0, 0.2]
    >>> off = strip_offsets([0.5, 1.7], 0.3, 0.1, np.random.default_rng(1))
    >>> bool(np.all(np.abs(off) <= 0.3))
    True
    """
    if side not in ("centre", "right"):
        raise ValueError(f"side must be 'centre' or 'right', got {side!r}")
    v = np.asarray(values, dtype=float)
    if whole is None:
        whole = is_whole_score(v)
    low = -halfwidth if side == "centre" else 0.0
    if not whole:
        if rng is None:
            raise ValueError("strip_offsets: jitter needs a seeded numpy Generator (rng)")
        return rng.uniform(low, low + 2 * halfwidth, v.size)
    out = np.zeros(v.size)
    for level in np.unique(v):
        where = np.flatnonzero(v == level)       # in the order given: the same subjects, the same places
        k = where.size
        if k > 1:
            gap = min(step, 2 * halfwidth / (k - 1))
            out[where] = (np.arange(k) - ((k - 1) / 2 if side == "centre" else 0)) * gap
    return out


def units_per_mm(ax, axis: str = "x") -> float:
    """Data units per millimetre along ``axis`` of ``ax``, after the figure's layout has run (the width a
    marker takes in data units, for :func:`strip_offsets`)."""
    fig = ax.figure
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    box = ax.get_position()
    size_mm = (box.width * fig.get_figwidth() if axis == "x" else box.height * fig.get_figheight()) * 25.4
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    return abs(hi - lo) / size_mm if size_mm > 0 else 0.0


#: Centre-to-centre distance of two stacked points (mm): the point's diameter and a little air.
STACK_MM = math.sqrt(POINT_S) / 72 * 25.4 * 1.2


def means_and_points(data: pd.DataFrame, x: str, y: str, hue: str = "TRT01A", hue_order=None, ax=None,
                     orient: str = "x", offsets: dict | None = None, halfwidth: float | None = None,
                     join: bool = True, units: str = "USUBJID", points=None, whole: bool | None = None,
                     lim: tuple | None = None, beside: float | None = None, room: float | None = None,
                     clear_mm: float | None = None):
    """Each arm's mean with its 95% t interval at every position, and each subject's value beside it.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject and position (visit, dose or arm row).
    x, y : str
        The position and the value (``orient="x"``), or the value and the position (``orient="y"``).
    hue, hue_order : str, list
        The arm column and the arms in order.
    offsets : dict, optional
        ``{arm: offset}`` added to the position of the arm's means and points (arms side by side at a visit).
    halfwidth : float, optional
        Half-width of each arm's strip of points, in position units; default a fifth of the smallest gap
        between positions.
    join : bool
        Join an arm's means across positions (a trajectory).
    points : list of str, optional
        The arms whose subjects are drawn; default every arm when any has at most ``MAX_POINTS_ARM`` subjects
        (:func:`~msc_frailty.endpoints.shows_points`), else none.
    whole : bool, optional
        Stack the points as a whole-number score (:func:`strip_offsets`); default: decided from the values.
    lim : tuple, optional
        Limits of the position axis, set before the points are placed (stacks are a marker's width apart).
    beside : float, optional
        Draw each strip of points beside its mean instead of around it: from ``beside`` after the mean's position
        to ``2 * halfwidth`` further (where many points would hide the mean and its interval).
    room, clear_mm : float, optional
        With ``beside``: the distance from a mean to the next mean on the position axis (None: no other mean that
        way), and how far (mm, on the drawn axes) the points' centres keep from both: the strip is narrowed where
        it would come closer (a lane clear of its own mean and interval and of the next arm's).

    Returns
    -------
    matplotlib.axes.Axes
        Per arm one line of means with an error-bar container, and a ``PathCollection`` of the subjects' points
        (when drawn).

    Examples
    --------
    >>> d = pd.DataFrame({"AVISITN": [3.0] * 4 + [6.0] * 4, "CHG": [1.0, 2.0, 5.0, 6.0, 2.0, 3.0, 8.0, 9.0],
    ...                   "TRT01A": ["A", "A", "B", "B"] * 2, "USUBJID": ["1", "2", "3", "4"] * 2})
    >>> ax = means_and_points(d, "AVISITN", "CHG", hue_order=["A", "B"], offsets={"A": -0.3, "B": 0.3})
    >>> from matplotlib.collections import PathCollection
    >>> [len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]   # a subject a visit
    [8]
    """
    ax = _ax(ax)
    pos, value = (x, y) if orient == "x" else (y, x)
    arms = [a for a in (hue_order if hue_order is not None else arm_order(data, hue)) if a in set(data[hue])]
    d = data[data[hue].isin(arms)].copy()
    shift = {a: float((offsets or {}).get(a, 0.0)) for a in arms}
    d["_pos"] = d[pos].astype(float).to_numpy() + d[hue].map(shift).astype(float).to_numpy()
    if lim is not None:
        (ax.set_xlim if orient == "x" else ax.set_ylim)(lim)
    kws = {"hue": hue, "hue_order": arms, "style": hue, "style_order": arms, "palette": style.arm_palette(arms),
           "markers": style.arm_markers(arms), "legend": False, "ax": ax}
    xy = (lambda p: {"x": p, "y": value}) if orient == "x" else (lambda p: {"x": value, "y": p})
    sns.lineplot(data=d, **xy("_pos"), orient=orient, dashes=False, errorbar=t_interval, err_style="bars",
                 err_kws={"capsize": 1.5, "elinewidth": 1.0, "capthick": 1.0, "zorder": 4}, ms=MEAN_MS,
                 lw=1.0 if join else 0, zorder=5, **kws)
    shown = list(points) if points is not None else (arms if shows_points(arm_counts(d, hue, units)) else [])
    dots = d[d[hue].isin(shown)]
    if len(dots):
        if halfwidth is None:
            gaps = np.diff(np.unique(d[pos].astype(float)))
            halfwidth = STRIP_SHARE_ALONE * (gaps.min() if len(gaps) else 1.0)
        if whole is None:
            whole = is_whole_score(dots[value])
        per_mm = units_per_mm(ax, "x" if orient == "x" else "y")
        if beside is not None and clear_mm is not None:       # a lane clear of the means on either side
            end = beside + 2 * halfwidth
            if room is not None:
                end = min(end, room - clear_mm * per_mm)
            beside = max(beside, clear_mm * per_mm)
            halfwidth = max(0.0, (end - beside) / 2)
        step = STACK_MM * per_mm if whole else 0.0
        rng = np.random.default_rng(JITTER_SEED)
        values = dots[value].to_numpy(dtype=float)
        spread = np.zeros(len(dots))
        for arm in arms:                                   # in arm and position order: the same draws every run
            mine = dots[hue].to_numpy() == arm
            for where in sorted(set(dots.loc[mine, "_pos"])):
                idx = np.flatnonzero(mine & (dots["_pos"].to_numpy() == where))
                spread[idx] = strip_offsets(values[idx], halfwidth, step, rng, whole,
                                            side="centre" if beside is None else "right") + (beside or 0.0)
        dots = dots.assign(_dot=dots["_pos"].to_numpy() + spread)
        before = len(ax.collections)
        sns.scatterplot(data=dots, **xy("_dot"), s=POINT_S, alpha=POINT_ALPHA, linewidth=POINT_EDGE_PT, zorder=2,
                        **kws)
        for drawn in ax.collections[before:]:             # each point edged in a darker shade of its own colour
            face = np.asarray(drawn.get_facecolors(), dtype=float)
            drawn.set_edgecolors(np.column_stack([face[:, :3] * POINT_EDGE, np.ones(len(face))]))
    return ax


def _baseline(ax, data: pd.DataFrame, x: str, y: str, hue: str, plan):
    """Each arm at baseline: an open symbol at change 0 (by definition), joined to its first visit's mean."""
    for arm in plan.arms:
        mine = data[data[hue] == arm]
        if not len(mine):
            continue
        first = float(mine[x].astype(float).min())
        mean = float(mine.loc[mine[x].astype(float) == first, y].mean())
        o = plan.offsets.get(arm, 0.0)
        colour = style.arm_color(arm)
        ax.plot([o, first + o], [0.0, mean], color=colour, lw=1.0, zorder=3.5)
        ax.plot([o], [0.0], ls="none", marker=style.arm_marker(arm), ms=MEAN_MS, color=colour, mfc="white",
                mec=colour, mew=0.9, zorder=6)


def strip_halfwidth(plan) -> float:
    """Half-width of each arm's strip of points in a time course of ``plan``
    (:func:`msc_frailty.endpoints.time_course_plan`), in visit units, before :func:`means_and_points` keeps it
    clear of the means: a share of the distance between neighbouring arms in one panel of several arms, of the gap
    between visits with one arm a panel."""
    if plan.step > 0:
        return (LANE_END - LANE_START) / 2 * plan.step
    return (BESIDE_HALF_STACKED if plan.whole else BESIDE_HALF) * plan.gap


def strip_start(plan) -> float:
    """How far after its arm's mean the strip of points starts (visit units): to the right of the mean, where its
    interval is not, and (several arms in one panel) short of the next arm's mean."""
    return LANE_START * plan.step if plan.step > 0 else BESIDE_START * plan.gap


def strip_room(plan) -> float:
    """The distance from an arm's mean to the next mean to its right (the next arm's, or the next visit's)."""
    return plan.step if plan.step > 0 else plan.gap


def trajectory(data: pd.DataFrame, x: str = "AVISITN", y: str = "CHG", hue: str = "TRT01A", hue_order=None,
               ax=None, xlabel: str = "Months since infusion", plan=None, baseline: bool = True):
    """Mean change with its 95% t interval by arm (``hue``) and visit (``x``), the subjects beside it, and
    baseline (visit 0, where the change is 0 by definition) drawn as an open symbol joined to the first visit.

    Laid out as ``plan`` says (:func:`msc_frailty.endpoints.time_course_plan`, computed from ``data`` when not
    given): arms offset around each visit, in all less than a third of the smallest gap between visits, each
    subject's point in a lane to the right of its arm's mean (:func:`strip_start`), clear of that mean and its
    interval and of the next arm's; with one arm a panel the mean sits on the visit and its points to its right.

    ``baseline=False`` (the values of a parameter without a baseline record, ``y="AVAL"``): no baseline symbol and
    no line at 0; the time axis still starts at 0.

    Examples
    --------
    >>> d = pd.DataFrame({"AVISITN": [3.0, 3.0, 6.0, 6.0], "CHG": [1.0, 3.0, 2.0, 6.0], "TRT01A": "A",
    ...                   "USUBJID": ["1", "2", "1", "2"]})
    >>> [t.get_text() for t in trajectory(d).get_xticklabels()]
    ['0', '3', '6']
    """
    plan = plan if plan is not None else time_course_plan(data, hue_order, y=y, x=x, hue=hue, panels=False)
    ax = _ax(ax)
    positions = [0.0, *plan.visits]
    half = strip_halfwidth(plan) if plan.points else 0.0
    start = strip_start(plan) if plan.points else 0.0
    # the axis msc_frailty.endpoints.lane_room_mm chose the figure's width for
    lim = time_axis_limits(positions, plan.gap, plan.spread / 2, plan.spread / 2 + start + 2 * half)
    ax.set_xticks(positions, [f"{v:g}" for v in positions])
    ax.set(xlabel=xlabel)
    if baseline:
        ax.axhline(0, color="0.6", lw=0.6, ls="--", zorder=0)
    dots = [a for a in plan.arms if a not in plan.pooled] if plan.points else []
    means_and_points(data, x, y, hue, plan.arms, ax=ax, offsets=plan.offsets, halfwidth=half or None, points=dots,
                     whole=plan.whole, lim=lim,
                     beside=start if plan.points else None, room=strip_room(plan), clear_mm=LANE_CLEAR_MM)
    if baseline:
        _baseline(ax, data, x, y, hue, plan)
    ax.set(ylabel="")
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


def dose_response(data: pd.DataFrame, x: str = "TRT01AN", y: str = "CHG", hue: str = "TRT01A", ax=None,
                  xlabel: str = "Dose (million cells)"):
    """Mean change with its 95% t interval per dose on a linear axis, the subjects beside it (to the right, where
    they hide neither the mean nor its interval), and a thin grey line joining the means in dose order (a guide
    to the eye, not a model). ``xlabel``: the dose axis in the study's unit
    (:attr:`msc_frailty.studies.StudyWords.dose_axis`)."""
    ax = _ax(ax)
    arms = arm_order(data, hue, x)
    means = data.groupby(x)[y].mean().sort_index()
    doses = means.index.tolist()
    span = (max(doses) - min(doses)) or 1.0
    gap = float(np.diff(doses).min()) if len(doses) > 1 else span
    half, start = DOSE_STRIP_HALF * gap, DOSE_STRIP_START * gap
    ax.set_xticks(doses, [f"{d:g}" for d in doses])
    ax.set(xlabel=xlabel)
    ax.axhline(0, color="0.6", lw=0.6, ls="--", zorder=0)
    means_and_points(data, x, y, hue, arms, ax=ax, join=False, halfwidth=half, beside=start, room=gap,
                     clear_mm=LANE_CLEAR_MM,
                     lim=(min(doses) - 0.06 * span, max(doses) + start + 2 * half + 0.04 * span))
    if len(means) > 1:
        ax.plot(means.index, means.to_numpy(), color="0.55", lw=0.7, zorder=1)
    ax.set(ylabel="")
    return ax


def arm_handles(counts) -> list:
    """Legend entries: each arm of ``counts`` as its marker in its colour, labelled ``"100M (n = 10)"`` (``counts``
    a dict ``{arm: n}``, n an int or the distinct n of the panels, :func:`~msc_frailty.endpoints.arm_counts`) or
    by its name alone (``counts`` a list of arms); long labels wrapped. Only symbols that appear: a legend never
    holds a sentence."""
    items = counts.items() if isinstance(counts, dict) else ((a, None) for a in counts)
    return [Line2D([], [], color=style.arm_color(a), marker=style.arm_marker(a), ls="none", ms=MEAN_MS,
                   label=style.wrap_label(str(a) if n is None else n_label(a, n), 22)) for a, n in items]


#: Labelled ticks of a log-ratio axis are at least this far apart (mm): 6.5 pt labels never touch.
RATIO_TICK_MM = 4.0
#: Steps of the ratio ticks of a narrow log-ratio axis (multiples of a round step), coarse to fine.
RATIO_STEPS = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01)


def _ratio_tick_sets(lo: float, hi: float):
    """Candidate ratio ticks for a log axis from ratio ``lo`` to ``hi``, coarse to fine, each as ``(majors,
    minors)``: powers of 10; 1, 2 and 5 times a power of 10; powers of 2 (0.25, 0.5, 1, 2, 4); then multiples of
    each of :data:`RATIO_STEPS` for a narrow range. The minor ticks of the first three are the log scale's (1 to 9
    times a power of 10), those of a step its halves."""
    k0, k1 = math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1
    log_minors = sorted({float(f"{m * 10.0 ** k:.6g}") for k in range(k0, k1 + 1) for m in range(1, 10)})
    for majors in ([10.0 ** k for k in range(k0, k1 + 1)],
                   [float(f"{m * 10.0 ** k:.6g}") for k in range(k0, k1 + 1) for m in (1, 2, 5)],
                   [2.0 ** k for k in range(math.floor(math.log2(lo)) - 1, math.ceil(math.log2(hi)) + 2)]):
        yield majors, log_minors
    for step in RATIO_STEPS:
        k = range(max(1, math.floor(lo / step)), math.ceil(hi / step) + 1)
        yield [round(i * step, 6) for i in k], [round((i - 0.5) * step, 6) for i in k if i > 1]


def ratio_ticks(lo: float, hi: float, mm_per_unit: float | None = None, min_mm: float = RATIO_TICK_MM):
    """Ratio ticks of a log axis whose limits are ``lo`` and ``hi`` (natural logs of ratios): the coarsest of
    :func:`_ratio_tick_sets` that puts at least three labelled ticks in the range, at least ``min_mm`` apart when
    ``mm_per_unit`` (millimetres per log unit) is given; failing that, the one with the most such ticks.

    Returns
    -------
    (list of float, list of str, list of float)
        The labelled ticks (log ratios), their labels ("0.25", "1", "2") and the unlabelled minor ticks.

    Examples
    --------
    >>> ratio_ticks(math.log(0.07), math.log(1.8))[1], ratio_ticks(math.log(0.22), math.log(1.6))[1]
    (['0.1', '0.2', '0.5', '1'], ['0.25', '0.5', '1'])
    >>> ratio_ticks(math.log(0.6), math.log(1.25))[1], ratio_ticks(math.log(0.77), math.log(1.12))[1]
    (['0.6', '0.8', '1', '1.2'], ['0.8', '0.9', '1', '1.1'])
    """
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"ratio_ticks: the limits must be finite and increasing, got {lo!r}, {hi!r}")
    rlo, rhi = math.exp(lo), math.exp(hi)
    best = None
    for majors, minors in _ratio_tick_sets(rlo, rhi):
        inside = [v for v in majors if rlo <= v <= rhi]
        logs = [math.log(v) for v in inside]
        apart = mm_per_unit is None or len(logs) < 2 or min(np.diff(logs)) * mm_per_unit >= min_mm
        if not apart:
            continue
        if len(inside) >= 3:
            best = inside, minors
            break
        if best is None or len(inside) > len(best[0]):
            best = inside, minors
    inside, minors = best if best is not None else ([], [])
    minor = [math.log(v) for v in minors if rlo <= v <= rhi and v not in inside]
    return [math.log(v) for v in inside], [f"{v:g}" for v in inside], minor


def log_ratio_axis(ax, axis: str = "y"):
    """Label a log-scale axis (values are natural logs of ratios) with the ratios themselves (:func:`ratio_ticks`):
    few labelled round ratios (0.1, 0.2, 0.5, 1; 0.25, 0.5, 1, 2; or 0.6, 0.8, 1, 1.2 on a narrow range), never
    closer than :data:`RATIO_TICK_MM`, and unlabelled minor ticks between them."""
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    get_lim, set_ticks = (ax.get_ylim, ax.set_yticks) if axis == "y" else (ax.get_xlim, ax.set_xticks)
    lo, hi = sorted(get_lim())
    per_mm = units_per_mm(ax, axis)
    major, labels, minor = ratio_ticks(lo, hi, 1 / per_mm if per_mm > 0 else None)
    set_ticks(major, labels)
    set_ticks(minor, minor=True)
    ax.tick_params(axis=axis, which="minor", length=1.5, width=0.5)
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

def _letters(axes):
    """Panel letters (:func:`msc_frailty.style.panel_letters`) when there is more than one panel."""
    axes = list(axes)
    return style.panel_letters(axes) if len(axes) > 1 else []


def trajectory_figure(data: pd.DataFrame, paramcd: str, hue_order=None, y: str = "CHG", kind: str = "change",
                      title: str | None = None, labels=None):
    """One parameter's time course (:func:`trajectory`) as :func:`msc_frailty.endpoints.time_course_plan` lays
    it out: all arms in one panel 85 mm wide, offset around each visit, with an arm legend giving n per arm; or
    one panel per arm (shared axes, panel letters, each titled by its arm and n) when the arms are too many to
    follow in one.

    ``kind`` is the :func:`~msc_frailty.endpoints.axis_label` kind of the y axis (``"ratio"``: ``y`` holds log
    ratios to baseline, drawn on ratio ticks by :func:`log_ratio_axis`; ``"value"``: ``y`` holds the values of a
    parameter without a baseline record, drawn without a baseline, :func:`at_visit_figure`); ``labels`` the
    trial's (:func:`~msc_frailty.endpoints.resolve_labels`).
    """
    plan = time_course_plan(data, hue_order, y=y)
    title = title if title is not None else fit_label(parameter_info(paramcd, labels)["label"], TITLE_CHARS)
    ylabel, xlabel = axis_label(paramcd, kind, labels), visit_axis_label(labels)
    counts = arm_counts(data, by="AVISITN", arms=plan.arms)
    baseline = kind not in ("value", "panel_value")     # a value at each visit has no baseline to mark
    if not plan.per_arm:      # 85 mm, or 180 mm where the arms' lanes of points need it; n per arm: the caption's
        fig, axes = panels([paramcd], panel_height_mm=52 if plan.width == "single" else 62,
                           legend=arm_handles(plan.arms), width=plan.width)
        ax = axes[paramcd]
        ax.set_title(title)
        trajectory(data, y=y, ax=ax, xlabel=xlabel, plan=plan, baseline=baseline)
        ax.set_ylabel(ylabel)
        drawn = [ax]
    else:
        ncols = min(len(plan.arms), 5)
        fig, axes = panels(plan.arms, ncols=ncols, panel_height_mm=46, extra_mm=8, sharey=True)
        fig.suptitle(title, fontsize=style.RC["axes.titlesize"])
        for arm, ax in axes.items():
            ax.set_title(fit_label(n_label(arm, counts[arm]), 24), fontsize=style.RC["axes.labelsize"])
            one = dataclasses.replace(plan, arms=[arm], offsets={arm: 0.0},
                                      pooled=[arm] if arm in plan.pooled else [])
            trajectory(data[data["TRT01A"] == arm], y=y, ax=ax, xlabel=xlabel, plan=one, baseline=baseline)
            ax.set_ylabel(ylabel if ax.get_subplotspec().is_first_col() else "")
        drawn = list(axes.values())
        _letters(drawn)
    if kind == "ratio":
        for ax in drawn:
            log_ratio_axis(ax)
    return fig


def at_visit_figure(data: pd.DataFrame, paramcd: str, hue_order=None, labels=None):
    """The values of a parameter without a baseline record (a rating of change) by arm and visit: each arm's mean
    value with its 95% t interval (the plan's ``at_visit`` rows), every subject's value beside it where an arm has
    at most 30 (a whole-number score stacked, one panel per arm), on the trial's time axis; the y axis is the value
    itself, not a change (``data``: :func:`msc_frailty.analysis.values_at_visits` of one parameter). An ordinal score
    (:func:`msc_frailty.analysis.is_ordinal_score`) has every level of its range labelled.

    Examples
    --------
    >>> d = pd.DataFrame({"AVISITN": [2.0] * 4 + [4.0] * 4, "AVAL": [3.0, 4.0, 2.0, 2.0, 4.0, 5.0, 1.0, 2.0],
    ...                   "TRT01A": ["Placebo", "Placebo", "100M", "100M"] * 2, "TRT01AN": [0.0, 0.0, 100.0, 100.0] * 2,
    ...                   "USUBJID": ["1", "2", "3", "4"] * 2, "PARAMCD": "PGIC"})
    >>> fig = at_visit_figure(d, "PGIC")
    >>> [ax.get_ylabel() for ax in fig.axes], [ax.get_title() for ax in fig.axes], fig.get_suptitle()
    (['Value', ''], ['Placebo (n = 2)', '100M (n = 2)'], 'PGIC')
    """
    ordinal = analysis.is_ordinal_score(data["AVAL"])
    plan = time_course_plan(data, hue_order, y="AVAL")
    if not shows_level_shares(data, plan):
        # "Value (unit)" on the y axis: the title names the parameter, a long name would not fit along the axis
        fig = trajectory_figure(data, paramcd, hue_order, y="AVAL", kind="panel_value", labels=labels)
        time_axes = fig.axes
    else:       # arms too large to show each subject: the shares of the score's levels beside the means
        visit = main_visit(plan.visits, labels)
        fig, axes = panels(["means", "levels"], ncols=2, panel_height_mm=56, legend=arm_handles(plan.arms),
                           width="double")
        time_axes = [axes["means"]]
        trajectory(data, y="AVAL", ax=axes["means"], xlabel=visit_axis_label(labels), plan=plan, baseline=False)
        axes["means"].set(title=parameter_info(paramcd, labels)["label"],
                          ylabel=axis_label(paramcd, "panel_value", labels))
        level_shares(data[data["AVISITN"].astype(float) == visit], arms=plan.arms, ax=axes["levels"],
                     levels=range(int(data["AVAL"].min()), int(data["AVAL"].max()) + 1))
        axes["levels"].set_title(f"Levels at {visit_text(visit, labels)}")
        _letters(axes.values())
    if ordinal:       # every level of a short scale labelled: 1, 2, ... 7
        low, high = int(data["AVAL"].min()), int(data["AVAL"].max())
        for ax in time_axes:
            lo, hi = ax.get_ylim()
            ax.set_yticks(range(low, high + 1))
            ax.set_ylim(min(lo, low - 0.5), max(hi, high + 0.5))
    return fig


def level_shares(data: pd.DataFrame, y: str = "AVAL", hue: str = "TRT01A", arms=None, levels=None, ax=None):
    """The distribution of an ordinal score per arm: one bar per arm (in ``arms`` order, top down) divided into the
    share of its subjects at each level of the score, lowest level on the left, by ``sns.histplot(multiple="fill")``;
    the levels (``levels``, by default every whole number from the lowest value to the highest) in a sequential
    palette (darker = higher; readable in greyscale), each segment of at least 7% labelled with its percentage, n
    beside each arm and a legend of the levels under the axis.

    Examples
    --------
    >>> d = pd.DataFrame({"TRT01A": ["A", "A", "A", "B"], "AVAL": [1.0, 2.0, 2.0, 3.0]})
    >>> ax = level_shares(d)
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(v) for v in ax.get_xlim()]
    (['A (n = 3)', 'B (n = 1)'], [0.0, 1.0])
    """
    ax = _ax(ax)
    arms = [a for a in (arms if arms is not None else arm_order(data, hue)) if a in set(data[hue])]
    d = data[data[hue].isin(arms)].dropna(subset=[y])
    levels = list(levels) if levels is not None else list(range(int(d[y].min()), int(d[y].max()) + 1))
    palette = dict(zip(levels, sns.color_palette("crest", len(levels))))
    d = d.assign(_arm=pd.Categorical(d[hue], categories=arms), _level=d[y].astype(int))
    # seaborn stacks the first level of hue_order last (rightmost): reversed, the lowest level is on the left
    sns.histplot(data=d, y="_arm", hue="_level", hue_order=levels[::-1], multiple="fill", discrete=True, shrink=0.7,
                 palette=palette, edgecolor="white", linewidth=0.4, alpha=1.0, legend=False, ax=ax)
    shares = pd.crosstab(d["_arm"], d["_level"], normalize="index").reindex(index=arms, columns=levels, fill_value=0)
    for row, arm in enumerate(arms):
        left = 0.0
        for level in levels:
            share = float(shares.loc[arm, level])
            if share >= 0.07:        # room for "12%" at 6 pt
                shade = np.mean(palette[level][:3])
                ax.text(left + share / 2, row, f"{share * 100:.0f}%", ha="center", va="center", fontsize=6,
                        color="white" if shade < 0.55 else "black")
            left += share
    counts = d.groupby("_arm", observed=False)["_level"].size()
    ax.set_yticks(range(len(arms)), [style.wrap_label(n_label(a, int(counts[a])), 22) for a in arms])
    ax.set_ylim(len(arms) - 0.5, -0.5)
    ax.set_xlim(0.0, 1.0)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25", "50", "75", "100"])
    ax.set(xlabel="Subjects (%)", ylabel="")
    ax.tick_params(axis="y", length=0)
    handles = [Patch(facecolor=palette[v], edgecolor="white", label=f"{v}") for v in levels]
    ax.legend(handles=handles, title="Level", loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=len(levels),
              frameon=False, handlelength=1.0, columnspacing=0.8, title_fontsize=6.5)
    return ax


def _titled(ax, p, visits, labels, extra: str = ""):
    ax.set_title(fit_label(outcome_at(p, visits, labels), 30) + extra)   # a panel of three in 180 mm


def _row_mm(order, row_mm: float) -> float:
    """The height of a panel row: ``row_mm``, or 3 mm a line of its longest wrapped label."""
    return max(row_mm, 3.0 * max(style.wrap_label(o).count("\n") + 1 for o in order))


def change_figure(data: pd.DataFrame, params, visits: dict, hue_order=None, labels=None):
    """Change from baseline at each parameter's main visit: one panel per parameter (panel letters), one row per
    arm, the mean with its 95% t interval and every subject's change in a strip just under it
    (:func:`means_and_points` on its side; whole-number scores stacked). A pooled arm (``All``) is drawn as its
    mean alone. Rows are labelled by arm: no legend."""
    arms = [a for a in (hue_order if hue_order is not None else arm_order(data)) if a in set(data["TRT01A"])]
    params = [p for p in params if p in set(data["PARAMCD"])]
    d = data.assign(_row=data["TRT01A"].map({a: i for i, a in enumerate(arms)}))
    pooled = pooled_arms(d, arms)
    fig, axes = panels(params, panel_height_mm=14 + _row_mm(arms, 7.0) * len(arms), sharey=True)
    for p, ax in axes.items():
        ax.axvline(0, color="0.6", lw=0.6, ls="--", zorder=0)
        ax.set_yticks(range(len(arms)), [style.wrap_label(a) for a in arms])
        ax.set(xlabel=axis_label(p, "panel_change", labels))
        ax.tick_params(axis="y", length=0)
        _titled(ax, p, visits, labels)
        mine = d[d["PARAMCD"] == p]
        own = mine[~mine["TRT01A"].isin(pooled)]
        dots = [a for a in arms if a not in pooled] if shows_points(arm_counts(own)) else []
        # the points in a strip just under their arm's mean and interval, where they hide neither
        means_and_points(mine, "CHG", "_row", hue_order=arms, ax=ax, orient="y", halfwidth=ROW_STRIP_HALF,
                         points=dots, lim=(len(arms) - 0.5, -0.5), beside=ROW_STRIP_START, room=1.0,
                         clear_mm=LANE_CLEAR_MM)
        ax.set(ylabel="")
    _letters(axes.values())
    return fig


#: The columns a standardized forest needs (:func:`msc_frailty.findings.standardized_pairs`).
STANDARDIZED_COLUMNS = ["paramcd", "estimate", "ci_low", "ci_high", "n", "n_ref", "sign", "smd", "smd_low",
                        "smd_high"]


def standardized_forest(rows: pd.DataFrame, by: str, order=None, visits: dict | None = None, labels=None,
                        hue: str | None = None, difference: str = "", heading: str = "", cue=None):
    """Contrasts of one trial in one forest on one standardized axis: a bold heading row per outcome, then a row
    per contrast (``rows[by]``, in ``order``), a blank row between outcomes; with a single contrast, one row per
    outcome and the contrast as the figure's title.

    ``rows`` are :func:`msc_frailty.findings.standardized_pairs`: per outcome and contrast the ANCOVA difference
    divided by the pooled SD of change, its sign reversed where lower is better (``sign`` −1); an outcome without
    a stated direction (``sign`` 0) is drawn as measured, with an open symbol, and its heading says so. Symbols
    are black circles, or each ``hue`` value's (an arm's) colour and marker. Beside each row: the ANCOVA
    difference in the outcome's own unit with its 95% interval (never reversed; :func:`interval_texts`, one
    decimals rule) and n; ``heading`` above that column. ``difference`` names the contrast on the x axis ("lower
    − higher dose"); ``cue`` is the ``(low, high)`` of :func:`msc_frailty.style.favours`, written when any row
    has a stated direction.
    """
    if rows.empty:
        raise ValueError("standardized_forest: no contrast to draw")
    missing = [c for c in STANDARDIZED_COLUMNS + [by] if c not in rows.columns]
    if missing:
        raise ValueError(f"standardized_forest: rows lack {missing} (msc_frailty.findings.standardized_pairs)")
    rows = rows.copy()
    params = ordered_params(rows["paramcd"])
    found = list(dict.fromkeys(rows[by]))
    contrasts = [c for c in order if c in found] + [c for c in found if c not in order] if order is not None else found
    one = len(contrasts) == 1

    def outcome(p):
        t = fit_label(outcome_at(p, visits, labels))
        sign = int(rows.loc[rows["paramcd"] == p, "sign"].iloc[0])
        note = {-1: "lower is better: sign reversed", 0: "direction not stated: as measured"}.get(sign)
        return t + (f"\n({note})" if note else "")

    keys, shown, bold = [], [], []
    for i, p in enumerate(params):
        if not one:
            if i:                                   # a blank row between two outcomes
                keys.append(f"{p}|gap")
                shown.append("")
                bold.append(False)
            keys.append(f"{p}|")
            shown.append(outcome(p))
            bold.append(True)
        for c in contrasts:
            if ((rows["paramcd"] == p) & (rows[by] == c)).any():
                keys.append(f"{p}|{c}")
                shown.append(outcome(p) if one else style.wrap_label(c, 30))
                bold.append(False)
    rows["_key"] = rows["paramcd"] + "|" + rows[by].astype(str)
    # rows are evenly spaced: as high as the tallest label needs where labels of two lines follow each other (one
    # contrast), else a little more than one line (a two-line heading has a blank row above it)
    tallest = max(t.count("\n") + 1 for t in shown)
    row_mm = 3.2 * tallest + 0.8 if one else 4.0 + 0.6 * (tallest - 1)
    # a contrast row whose label (a long arm label) wraps onto several lines needs their height
    row_mm = max(row_mm, 2.8 * max(t.count("\n") + 1 for t, heavy in zip(shown, bold) if not heavy) + 1.0)
    fig, axes = panels(["forest"], panel_height_mm=26 + row_mm * len(shown), legend=(), width="double")
    ax = axes["forest"]
    forest(rows, "_key", x="smd", xmin="smd_low", xmax="smd_high", order=keys, ax=ax, hue=hue)
    ax.set_yticklabels(shown)
    for tick, heavy in zip(ax.get_yticklabels(), bold):
        tick.set_fontweight("bold" if heavy else "normal")
    # outcomes without a stated direction: open symbols (not reversed, no side favoured)
    for _, r in rows[rows["sign"] == 0].iterrows():
        colour, marker = (style.arm_color(r[hue]), style.arm_marker(r[hue])) if hue else ("black", "o")
        ax.plot([r["smd"]], [keys.index(r["_key"])], ls="none", marker=marker, ms=MEAN_MS - 1.2, mfc="white",
                mec=colour if hue else "black", mew=0.0 if not hue else 0.8, zorder=6)
    # beside each row: the difference in the outcome's own unit, never reversed, and n
    axis_rows = ax.get_yaxis_transform()
    for _, r in rows.iterrows():
        unit = parameter_info(r["paramcd"], labels)["unit"]
        est, lo, hi = interval_texts(r["estimate"], r["ci_low"], r["ci_high"], signed=True)   # one decimals rule
        interval = f"{lo} to {hi}" if lo and hi else "no interval"
        text = f"{est}{' ' + unit if unit else ''} ({interval}); n = {int(r['n'])}, {int(r['n_ref'])}"
        ax.annotate(text, (1, keys.index(r["_key"])), xycoords=axis_rows, xytext=(8, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=6.5)
    ax.annotate(heading, (1, 1), xycoords="axes fraction", xytext=(8, 3), textcoords="offset points", ha="left",
                va="bottom", fontsize=6.5, fontweight="bold")
    flipped = (rows["sign"] == -1).any()
    ax.set_xlabel(f"Standardized difference, {difference} (SMD)"
                  + ("\nsign reversed where lower is better" if flipped else ""))
    if cue and (rows["sign"] != 0).any():
        style.favours(ax, *cue)
    if one:          # the one contrast names the figure, above the column headings (long labels wrapped)
        fig.suptitle(style.wrap_label(str(contrasts[0]), 100), fontsize=style.RC["axes.titlesize"])
    return fig


def dose_forest_figure(rows: pd.DataFrame, visits: dict | None = None, labels=None):
    """The dose pairs of one trial in one forest (:func:`standardized_forest`): a row per outcome and pair (lower
    dose − higher dose, ``rows["pair"]``) on one standardized axis, black symbols, so that a value right of 0
    favours the lower dose for every outcome with a stated direction ("← favours higher dose | favours lower
    dose →"); beside each row the ANCOVA difference in the outcome's own unit and n per dose.

    Examples
    --------
    >>> rows = pd.DataFrame({"paramcd": ["SIXMWD"], "pair": ["100M \\u2212 200M"], "estimate": [40.0],
    ...                      "ci_low": [-5.0], "ci_high": [85.0], "n": [10], "n_ref": [10], "sd": [50.0],
    ...                      "sign": [1], "smd": [0.8], "smd_low": [-0.1], "smd_high": [1.7]})
    >>> fig = dose_forest_figure(rows, {"SIXMWD": 6.0})
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['6MWD, 6 months']
    """
    if rows.empty:
        raise ValueError("dose_forest_figure: no dose pair to draw")
    return standardized_forest(rows, "pair", visits=visits, labels=labels, difference=f"lower {MINUS} higher dose",
                               heading=f"Lower {MINUS} higher dose in the\noutcome's unit (95% CI); n per dose",
                               cue=("higher dose", "lower dose"))


def vs_placebo_figure(rows: pd.DataFrame, arms, placebo: str, visits: dict | None = None, labels=None):
    """Each active arm against placebo in one forest (:func:`standardized_forest`): a row per outcome and arm, in
    the arm's colour and marker, on one standardized axis, so that a value right of 0 favours the active arm for
    every outcome with a stated direction ("← favours <placebo> | favours <arm> →", "active arm" when several);
    beside each row the baseline-adjusted difference (arm − placebo) in the outcome's own unit and n (arm,
    placebo).

    ``rows`` are the ANCOVA rows against placebo standardized by :func:`msc_frailty.findings.standardized_pairs`;
    ``arms`` the active arms in their order.

    Examples
    --------
    >>> rows = pd.DataFrame({"paramcd": ["SIXMWD", "SIXMWD"], "arm": ["100M", "200M"], "estimate": [39.0, 4.0],
    ...                      "ci_low": [-4.0, -25.0], "ci_high": [82.0, 33.0], "n": [10, 10], "n_ref": [10, 10],
    ...                      "sign": [1, 1], "smd": [0.8, 0.1], "smd_low": [-0.1, -0.5], "smd_high": [1.7, 0.7]})
    >>> fig = vs_placebo_figure(rows, ["100M", "200M"], "Placebo", {"SIXMWD": 6.0})
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['6MWD, 6 months', '100M', '200M']
    """
    if rows.empty:
        raise ValueError("vs_placebo_figure: no difference from placebo to draw")
    found = [a for a in arms if a in set(rows["arm"])]
    rows = rows.assign(contrast=rows["arm"] + f" {MINUS} {placebo}") if len(found) == 1 else rows
    # the axis, the heading and the cue name placebo by its label, or as "placebo" where the label is a sentence
    ref = arm_word(placebo, "placebo")
    return standardized_forest(rows, "contrast" if len(found) == 1 else "arm", order=None if len(found) == 1 else arms,
                               visits=visits, labels=labels, hue="arm", difference=f"arm {MINUS} {ref}",
                               heading=f"Arm {MINUS} {ref} in the outcome's\nunit (95% CI); n (arm, {ref})",
                               cue=(ref, arm_word(found[0], "active arm") if len(found) == 1 else "active arm"))


def dose_response_figure(data: pd.DataFrame, params, title=None, labels=None, visits: dict | None = None):
    """:func:`dose_response` panels, one per parameter (``data`` at each one's main visit; panel letters), titled
    by ``title(paramcd)`` (default: its short name and visit), with a second line "means rise and fall" when they
    rise and fall by more than their standard errors (:func:`msc_frailty.findings.dose_pattern`), and an arm
    legend (n per arm and panel is the caption's). No slope is drawn or headlined: the trend test is the
    caption's."""
    data = data[data["PARAMCD"].isin(params)]
    # the arms by name: n differs between panels (it is the caption's), the doses are on the axis
    fig, axes = panels(params, panel_height_mm=50, legend=arm_handles(arm_order(data)))
    for p, ax in axes.items():
        mine = data[data["PARAMCD"] == p]
        dose_response(mine, ax=ax, xlabel=words_of(labels).dose_axis)
        ax.set_ylabel(axis_label(p, "panel_change", labels))
        if title is not None:
            ax.set_title(title(p))
        else:
            _titled(ax, p, visits, labels)
        if dose_pattern(mine) == "not monotone":     # a rise and a fall, each larger than its standard error
            ax.set_title(ax.get_title() + "\nmeans rise and fall")
    _letters(axes.values())
    return fig
