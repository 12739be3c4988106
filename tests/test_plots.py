"""msc_frailty.plots: what the seaborn figures draw, checked against independent computations.

- the interval drawn around each mean is the t interval of the plan's ``paired_t`` rows (scipy and
  msc_frailty.analysis as references), the mean the pandas mean;
- a small arm's figure has one point per subject and visit, drawn beside its arm's mean, the same on every
  run; an arm of more than 30 subjects is drawn as means and intervals only; whole-number scores are stacked,
  a marker's width apart, never on top of each other;
- time courses: baseline drawn at change 0, arms offset by less than a third of the gap between visits in all
  (measured on the drawn artists), each arm's points in a lane to the right of its mean, clear (on the drawn
  figure) of every arm's mean marker and interval, a page wide when a column is too narrow for the lanes, one panel
  per arm when the arms are too many to follow in one; points opaque enough, edged in a darker shade;
- differences: the "favours" cue exactly when the parameter's direction is known; no legend of text alone;
  the dose pairs of a trial in one forest on the standardized axis of ``findings.standardized_pairs``;
- dose response: no slope drawn or headlined, "means rise and fall" said only when a rise and a fall between
  doses are each larger than their standard error;
- log-ratio axes: few round ratio ticks, never crowded, no fractions; the dose forest's values at one decimals rule;
- one colour and one marker per arm; n per arm in the legend equals the data's n; panel letters on every
  figure of more than one panel;
- every figure is 85 or 180 mm wide, has no text under 6 pt and no text outside its canvas.
"""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.container import ErrorbarContainer
from scipy import stats as st

from msc_frailty import analysis, endpoints, findings, plots, style

matplotlib.use("agg")

ARMS = ["Placebo", "Low", "100M"]


def change_data():
    """Three arms (Placebo 0, Low 10, 100M 100) x visits 3 and 6 x 3 subjects; SIXMWD."""
    values = {("Placebo", 3): [1.0, 2.0, 3.0], ("Placebo", 6): [0.0, 1.0, 5.0],
              ("100M", 3): [10.0, 12.0, 14.0], ("100M", 6): [20.0, 22.0, 30.0],
              ("Low", 3): [4.0, 5.0, 6.0], ("Low", 6): [6.0, 8.0, 10.0]}
    dose = {"Placebo": 0.0, "Low": 10.0, "100M": 100.0}
    rows = []
    for (arm, visit), chg in values.items():
        for i, c in enumerate(chg):
            base = 300.0 + 10 * i
            rows.append({"STUDYID": "S", "USUBJID": f"{arm}-{i}", "PARAMCD": "SIXMWD", "AVISITN": float(visit),
                         "TRT01A": arm, "TRT01AN": dose[arm], "SAFFL": "Y", "BASE": base, "AVAL": base + c,
                         "CHG": c})
    return pd.DataFrame(rows)


def big_data(n_per_arm=31, seed=3):
    """Two arms of ``n_per_arm`` subjects at visits 3 and 6 (an arm too large for individual points)."""
    rng = np.random.default_rng(seed)
    rows = [{"USUBJID": f"{arm}-{i}", "PARAMCD": "SIXMWD", "AVISITN": v, "TRT01A": arm, "TRT01AN": dose,
             "CHG": float(rng.normal(10 * dose / 100, 20))}
            for arm, dose in (("Placebo", 0.0), ("100M", 100.0)) for i in range(n_per_arm) for v in (3.0, 6.0)]
    return pd.DataFrame(rows)


def bars(ax):
    """``{colour: [(position, mean, low, high), ...]}`` of the error-bar containers seaborn drew."""
    out = {}
    for c in ax.containers:
        if not isinstance(c, ErrorbarContainer):
            continue
        data_line, _, barcols = c.lines
        segs = barcols[0].get_segments() if barcols else []
        for (x, y), seg in zip(data_line.get_xydata(), segs):
            lo, hi = sorted([seg[0][1], seg[1][1]] if seg[0][0] == seg[1][0] else [seg[0][0], seg[1][0]])
            out.setdefault(to_hex(data_line.get_color()), []).append((x, y, lo, hi))
    return out


def points(ax):
    """The subjects' points (seaborn's PathCollections) as one array of offsets."""
    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    return np.concatenate([c.get_offsets() for c in cols]) if cols else np.empty((0, 2))


def t_ci(values):
    v = np.asarray(values, float)
    return st.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=st.sem(v))


@pytest.fixture(autouse=True)
def _close():
    yield
    matplotlib.pyplot.close("all")


# ---------------------------------------------------------------------------------------------- t interval

def test_t_interval_is_scipys_t_interval():
    v = [20.0, 22.0, 30.0, 17.5]
    assert plots.t_interval(v) == pytest.approx(t_ci(v), rel=1e-12)
    assert all(math.isnan(x) for x in plots.t_interval([1.0]))
    assert plots.t_interval([1.0, np.nan, 3.0]) == pytest.approx(t_ci([1.0, 3.0]))


# ---------------------------------------------------------------------------------------------- trajectory

def test_trajectory_draws_means_and_the_paired_t_intervals_of_the_plan():
    d = change_data()
    ax = plots.trajectory(d, hue_order=ARMS)
    drawn = bars(ax)
    rows = analysis.change_from_baseline(d.assign(SAFFL="Y"), "x", "supplied", ["SIXMWD"])
    for arm in ARMS:
        got = sorted(drawn[style.arm_color(arm).lower()])
        assert [x for x, *_ in got] == pytest.approx([3, 6], abs=1.0)  # dodged around its visit
        for (x, mean, lo, hi), visit in zip(got, (3.0, 6.0)):
            values = d[(d.TRT01A == arm) & (d.AVISITN == visit)]["CHG"]
            assert mean == pytest.approx(values.mean())
            assert (lo, hi) == pytest.approx(t_ci(values), rel=1e-9)  # scipy
            row = rows[(rows.arm == arm) & (rows.visit == visit)].iloc[0]
            assert (lo, hi) == pytest.approx((row.ci_low, row.ci_high), rel=1e-9)  # the estimates rows
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "3", "6"]     # baseline is on the axis
    assert ax.get_xlabel() == "Months since infusion"


def test_trajectory_arms_in_order_left_to_right_with_their_markers():
    ax = plots.trajectory(change_data(), hue_order=ARMS)
    at3 = {c: min(v)[0] for c, v in bars(ax).items()}
    xs = [at3[style.arm_color(a).lower()] for a in ARMS]
    assert xs == sorted(xs) and xs[0] < 3 < xs[-1]
    means = [ln for ln in ax.get_lines() if ln.get_marker() not in ("None", "", None, "_", "|")]  # not the caps
    markers = {to_hex(ln.get_color()): ln.get_marker() for ln in means}
    for arm in ARMS:
        assert markers[style.arm_color(arm).lower()] == style.arm_marker(arm)


def test_small_arms_get_one_point_per_subject_and_visit_beside_their_mean():
    d = change_data()
    ax = plots.trajectory(d, hue_order=ARMS)
    pts = points(ax)
    assert len(pts) == len(d) == 18
    assert sorted(pts[:, 1]) == sorted(d["CHG"])                    # the subjects' own changes, unchanged
    means = {arm: sorted(bars(ax)[style.arm_color(arm).lower()]) for arm in ARMS}
    step = endpoints.time_course_plan(d, ARMS, panels=False).step      # one panel, as trajectory() draws it
    for arm in ARMS:
        for (x, *_), visit in zip(means[arm], (3.0, 6.0)):
            mine = d[(d.TRT01A == arm) & (d.AVISITN == visit)]["CHG"].to_numpy()
            lane = pts[(pts[:, 0] > x) & (pts[:, 0] < x + step)]   # right of its mean, short of the next arm's
            assert sorted(lane[:, 1]) == sorted(mine), (arm, visit)


def test_points_are_the_same_on_every_draw_and_leave_the_global_rng_alone():
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    first = points(plots.trajectory(change_data(), hue_order=ARMS))
    second = points(plots.trajectory(change_data(), hue_order=ARMS))
    assert np.array_equal(first, second)
    assert np.array_equal(np.random.get_state()[1], before)


def test_arms_over_30_subjects_are_means_and_intervals_only():
    big = big_data(31)
    ax = plots.trajectory(big, hue_order=["Placebo", "100M"])
    assert len(points(ax)) == 0 and len(bars(ax)) == 2
    # one small arm is enough for every arm to be shown with its subjects
    small = pd.concat([big, big_data(30).query("TRT01A == 'Placebo'").assign(TRT01A="Low", TRT01AN=10.0,
                                                                            USUBJID=lambda x: "L" + x.USUBJID)])
    assert len(points(plots.trajectory(small, hue_order=["Placebo", "Low", "100M"]))) == len(small)


def continuous(d):
    """``d`` with changes that are not whole numbers (a measurement, not a score)."""
    return d.assign(CHG=d["CHG"] + 0.37 * (np.arange(len(d)) % 3 + 1))


def visit_data(visits=(3.0, 6.0, 12.0), arms=(("Placebo", 0.0), ("100M", 100.0), ("200M", 200.0)), n=10, seed=1,
               whole=False):
    """``n`` subjects per arm at each visit (CRATUS Phase 2's shape); whole-number changes when ``whole``."""
    rng = np.random.default_rng(seed)
    rows = []
    for arm, dose in arms:
        for i in range(n):
            for v in visits:
                c = rng.normal(10, 30)
                rows.append({"STUDYID": "S", "USUBJID": f"{arm}-{i}", "PARAMCD": "SPPB" if whole else "SIXMWD",
                             "AVISITN": v, "TRT01A": arm, "TRT01AN": dose,
                             "CHG": float(np.clip(round(c / 30), -3, 3)) if whole else c})
    return pd.DataFrame(rows)


def mean_positions(ax):
    """``{colour: [x of each mean]}`` of the error-bar containers (the arms' means)."""
    return {c: sorted(x for x, *_ in v) for c, v in bars(ax).items()}


def test_trajectory_figure_width_legend_and_print_rules():
    d = continuous(change_data()).drop(index=11)   # 100M-2 missing at 6 months
    two = d[d.TRT01A != "Low"]
    assert plots.trajectory_figure(two, "SIXMWD").get_figwidth() * 25.4 == pytest.approx(85)   # lanes fit a column
    # three arms' lanes of points at 0.48-month steps over 0 to 6 months do not fit 85 mm: a page wide
    assert endpoints.time_course_plan(d).width == "double"
    fig = plots.trajectory_figure(d, "SIXMWD", hue_order=["Placebo", "Low", "100M", "All"])
    assert fig.get_figwidth() * 25.4 == pytest.approx(180) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Change in 6MWD (m)\n(higher is better)"     # an axis of the outcome itself
    assert ax.get_title() == "6-minute walk distance"
    # the legend holds the arms' symbols and names; n per arm and visit is in the caption (figures.md: no n ranges)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Placebo", "Low", "100M"]
    assert [h.get_marker() for h in fig.legends[0].legend_handles] == [style.arm_marker(a) for a in ARMS]
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


@pytest.mark.parametrize("visits, gap", [((3.0, 6.0, 12.0), 3.0), ((4.0, 8.0, 16.0), 4.0), ((28.0, 56.0), 28.0)])
def test_arms_are_offset_by_at_most_a_third_of_the_gap_between_visits(visits, gap):
    d = visit_data(visits)
    fig = plots.trajectory_figure(d, "SIXMWD")
    (ax,) = fig.axes
    means = mean_positions(ax)
    assert len(means) == 3
    for i, visit in enumerate(visits):
        xs = [v[i] for v in means.values()]
        assert max(xs) - min(xs) <= gap / 3 + 1e-9                      # measured on the drawn means
        assert min(xs) < visit < max(xs)                               # centred on the visit
    # every subject's point lies in its own arm's lane: right of its mean, short of the next arm's
    arms = ["Placebo", "100M", "200M"]
    plan = endpoints.time_course_plan(d, arms)
    pts = points(ax)
    assert len(pts) == len(d)
    for arm in arms:
        for visit in visits:
            centre = visit + plan.offsets[arm]
            mine = d[(d.TRT01A == arm) & (d.AVISITN == visit)]["CHG"].to_numpy()
            lane = pts[(pts[:, 0] > centre) & (pts[:, 0] < centre + plan.step)]
            assert sorted(lane[:, 1]) == pytest.approx(sorted(mine))
    assert clearance_pt(fig) >= 0.0


def test_lanes_too_narrow_even_a_page_wide_become_one_panel_per_arm():
    # weeks 4, 12 and 26: three arms 0.64 weeks apart on a 30-week axis leave no room for lanes of points
    d = visit_data((4.0, 12.0, 26.0))
    plan = endpoints.time_course_plan(d)
    assert plan.per_arm and plan.width == "double" and set(plan.offsets.values()) == {0.0}
    positions, step = [0.0, 4.0, 12.0, 26.0], endpoints.OFFSET_SHARE * 4.0 / 2
    assert endpoints.lane_room_mm(positions, 4.0, step, 2 * step, "double") < endpoints.LANE_CLEAR_MM
    fig = plots.trajectory_figure(d, "SIXMWD")
    assert len(fig.axes) == 3 and fig.get_figwidth() * 25.4 == pytest.approx(180)
    assert clearance_pt(fig) >= 0.0
    # drawn on a given axes (no panels to fall back on), the lanes are narrowed to keep clear of the means
    _, axes = plots.panel_figure("double", 60)
    plots.trajectory(d, ax=axes[0, 0])
    assert clearance_pt(axes[0, 0].figure) >= -1e-6


def test_baseline_is_drawn_at_change_zero_and_joined_to_the_first_visit():
    d = visit_data((3.0, 6.0))
    (ax,) = plots.trajectory_figure(d, "SIXMWD").axes
    plan = endpoints.time_course_plan(d)
    assert ax.get_xticks()[0] == 0.0 and ax.get_xlim()[0] < plan.offsets["Placebo"]
    for arm in plan.arms:
        colour = style.arm_color(arm)
        base = [ln for ln in ax.get_lines() if ln.get_marker() == style.arm_marker(arm)
                and ln.get_markerfacecolor() == "white" and len(ln.get_xdata()) == 1]
        assert len(base) == 1 and base[0].get_xydata().tolist() == [[plan.offsets[arm], 0.0]]   # open symbol at 0
        first = d[(d.TRT01A == arm) & (d.AVISITN == 3.0)]["CHG"].mean()
        joins = [ln.get_xydata().tolist() for ln in ax.get_lines() if to_hex(ln.get_color()) == colour.lower()
                 and len(ln.get_xdata()) == 2]
        assert [[plan.offsets[arm], 0.0], [3.0 + plan.offsets[arm], pytest.approx(first)]] in joins


def clearance_pt(fig) -> float:
    """The smallest horizontal gap (points) between a subject's point and any arm's mean marker in ``fig``'s
    panels: a mean's marker (radius MEAN_MS / 2) is wider than its interval's caps (capsize 1.5 pt), so a point
    that keeps this gap horizontally overlaps neither the mean, nor its interval, nor its caps, at any height."""
    fig.canvas.draw()
    r_mean, r_point = plots.MEAN_MS / 2, math.sqrt(plots.POINT_S) / 2 + plots.POINT_EDGE_PT / 2
    assert plots.MEAN_MS / 2 > 1.5                        # the caps (errorbar capsize) are narrower than the marker
    gaps = []
    for ax in fig.axes:
        pts = points(ax)
        means = np.array([x for v in bars(ax).values() for x, *_ in v])
        if not len(pts) or not len(means):
            continue
        to_pt = 72 / fig.dpi                              # display pixels to points
        px = ax.transData.transform(np.column_stack([pts[:, 0], pts[:, 1]]))[:, 0]
        mx = ax.transData.transform(np.column_stack([means, np.zeros(len(means))]))[:, 0]
        gaps.append((np.abs(px[:, None] - mx[None, :]) * to_pt - r_mean - r_point).min())
    return float(min(gaps))


def test_subjects_points_are_dark_enough_to_see_and_edged_darker():
    ax = plots.trajectory(visit_data((3.0,)))
    (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert dots.get_alpha() >= 0.85
    face, edge = np.asarray(dots.get_facecolors()), np.asarray(dots.get_edgecolors())
    assert len(face) == len(edge) == 30
    luminance = np.array([0.2126, 0.7152, 0.0722])
    assert np.all(edge[:, :3] @ luminance < face[:, :3] @ luminance - 0.05)      # a darker shade of the point's own
    assert np.allclose(edge[:, :3], face[:, :3] * plots.POINT_EDGE)
    assert np.all(dots.get_linewidths() >= 0.3)


@pytest.mark.parametrize("study, paramcd, log", [("CRATUS-P2", "SIXMWD", False), ("CRATUS-P2", "TNFA", True),
                                                 ("CRATUS-P1", "SIXMWD", False), ("LOMECEL-P2B", "SIXMWD", False)])
def test_default_time_courses_keep_every_point_clear_of_every_mean(study, paramcd, log):
    """The reviewer's case: at 3 months in CRATUS-P2 neighbouring arms' points sat on each other's intervals."""
    from msc_frailty.data import add_change, load_trial
    from msc_frailty.paths import DEFAULT_DATA
    trial = load_trial(DEFAULT_DATA).study(study)
    chg = add_change(trial)
    d = chg[chg.PARAMCD == paramcd]
    arms = findings.arms_table(trial)
    shown = arms.arm.tolist()
    if (arms.dose > 0).all():                                   # CRATUS-P1: the pooled arm too, as the notebook
        d = pd.concat([d, findings.pool_active(d)], ignore_index=True)
        shown += ["All"]
    if log:
        d = findings.log_change(d)
    fig = plots.trajectory_figure(d, paramcd, hue_order=shown, y="LCHG" if log else "CHG",
                                  kind="ratio" if log else "change", labels=endpoints.resolve_labels(trial))
    plan = endpoints.time_course_plan(d, shown, y="LCHG" if log else "CHG")
    assert plan.step <= plan.gap / 3 / max(1, len(plan.arms) - 1) + 1e-12 and plan.spread < plan.gap / 3
    assert clearance_pt(fig) >= 0.2                               # a little air between every point and every mean
    assert len(points(fig.axes[0])) > 0


def test_whole_number_scores_are_stacked_a_marker_apart_not_jittered():
    d = visit_data((3.0, 6.0, 12.0), whole=True)
    fig = plots.trajectory_figure(d, "SPPB")
    assert len(fig.axes) == 3                          # a score: one panel per arm, room for the stacks
    fig.canvas.draw()
    step_px = plots.STACK_MM / 25.4 * fig.dpi
    for ax, arm in zip(fig.axes, ["Placebo", "100M", "200M"]):
        pts = points(ax)
        assert sorted(pts[:, 1]) == sorted(d.loc[d.TRT01A == arm, "CHG"])
        px = ax.transData.transform(pts)
        for visit in (3.0, 6.0, 12.0):
            here = pts[(pts[:, 0] > visit) & (pts[:, 0] < visit + 0.7 * 3.0)]
            assert len(here) == 10                     # beside the visit's mean, before the next visit
            per_unit = ax.transData.transform([[1.0, 0.0]])[0, 0] - ax.transData.transform([[0.0, 0.0]])[0, 0]
            strip_px = 2 * plots.strip_halfwidth(endpoints.time_course_plan(d)) * per_unit
            for value in np.unique(here[:, 1]):
                xs = np.sort(px[(pts[:, 0] > visit) & (pts[:, 0] < visit + 0.7 * 3.0) & (pts[:, 1] == value), 0])
                room = min(step_px, strip_px / (len(xs) - 1)) if len(xs) > 1 else step_px
                # side by side, a marker's width apart (closer only when more than fit in the strip), none hidden
                assert np.all(np.diff(xs) >= room * 0.95), (arm, visit, value)   # 20% air in STACK_MM
        # the means sit on the visits, the points to their right
        assert mean_positions(ax)[style.arm_color(arm).lower()] == pytest.approx([3.0, 6.0, 12.0])
        assert pts[:, 0].min() > 3.0
    letters = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_fontweight() == "bold"]
    assert letters == ["a", "b", "c"]
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


def test_five_arms_of_thirty_become_one_panel_per_arm_on_shared_axes():
    arms = (("Placebo", 0.0), ("25M", 25.0), ("50M", 50.0), ("100M", 100.0), ("200M", 200.0))
    d = visit_data((3.0, 6.0, 9.0), arms=arms, n=30)
    d = d[~((d.TRT01A == "25M") & (d.USUBJID == "25M-0") & (d.AVISITN == 9.0))]      # a missed visit
    plan = endpoints.time_course_plan(d)
    assert plan.per_arm and set(plan.offsets.values()) == {0.0}
    fig = plots.trajectory_figure(d, "SIXMWD")
    assert fig.get_figwidth() * 25.4 == pytest.approx(180) and len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == ["Placebo (n = 30)", "25M (n = 29\u201330)", "50M (n = 30)",
                                                   "100M (n = 30)", "200M (n = 30)"]
    assert len({ax.get_ylim() for ax in fig.axes}) == 1 and len({ax.get_xlim() for ax in fig.axes}) == 1
    for ax, (arm, _) in zip(fig.axes, arms):
        assert list(mean_positions(ax)) == [style.arm_color(arm).lower()]   # one arm a panel, in its colour
    assert fig._suptitle.get_text() == "6-minute walk distance" and not fig.legends
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


def test_a_pooled_arm_is_drawn_as_means_only():
    d = visit_data((3.0, 6.0), arms=(("20M", 20.0), ("100M", 100.0)), n=5)
    pooled = findings.pool_active(d)
    both = pd.concat([d, pooled], ignore_index=True)
    plan = endpoints.time_course_plan(both, ["20M", "100M", "All"])
    assert plan.pooled == ["All"] and not plan.per_arm
    ax = plots.trajectory(both, hue_order=["20M", "100M", "All"])
    assert len(points(ax)) == len(d)                        # every subject once, in their own arm
    assert style.arm_color("All").lower() in mean_positions(ax)


# ---------------------------------------------------------------------------------------------- change figure

def test_change_figure_points_and_intervals_per_arm_row():
    d = change_data()
    at6 = d[d.AVISITN == 6.0]
    fig = plots.change_figure(at6, ["SIXMWD", "FEV1"], {"SIXMWD": 6.0}, hue_order=ARMS)
    (ax,) = fig.axes
    assert fig.get_figwidth() * 25.4 == pytest.approx(85)           # one panel: one column
    assert ax.get_title() == "6MWD, 6 months" and [t.get_text() for t in ax.get_yticklabels()] == ARMS
    pts = points(ax)
    assert len(pts) == len(at6)
    for row, arm in enumerate(ARMS):
        values = at6[at6.TRT01A == arm]["CHG"]
        (y, mean, lo, hi), = [(b[1], b[0], b[2], b[3]) for b in bars(ax)[style.arm_color(arm).lower()]]
        assert y == pytest.approx(row) and mean == pytest.approx(values.mean())
        assert (lo, hi) == pytest.approx(t_ci(values), rel=1e-9)
        mine = pts[np.abs(pts[:, 1] - row) < 0.4]
        assert sorted(mine[:, 0]) == sorted(values)
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


# ---------------------------------------------------------------------------------------------- forest

def test_forest_rows_order_colours_and_markers():
    rows = pd.DataFrame({"arm": ["100M", "Placebo"], "estimate": [2.0, -1.0], "ci_low": [1.0, -3.0],
                         "ci_high": [3.0, 1.0]})
    ax = plots.forest(rows, y="arm", hue="arm", order=["Placebo", "Low", "100M"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Placebo", "Low", "100M"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first row on top
    # seaborn's pointplot: per arm one line of markers (NaN where a row is not that arm's) and one interval
    # line per row of the order; the drawn values are the precomputed ones
    ref = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(ref) == 1 and ref[0].get_xdata()[0] == 0.0
    marks, bars_ = {}, {}
    for ln in ax.get_lines():
        xy = ln.get_xydata()
        xy = xy[np.isfinite(xy).all(axis=1)]
        if ln in ref or not len(xy):
            continue
        colour = to_hex(ln.get_color())
        if ln.get_marker() not in ("None", None, ""):
            marks[colour] = (ln.get_marker(), *xy.ravel())
        else:
            bars_[colour] = tuple(xy.ravel())
    assert marks == {style.arm_color("100M").lower(): ("s", 2.0, 2.0),       # row 2; "Low" left empty
                     style.arm_color("Placebo").lower(): ("o", -1.0, 0.0)}
    assert bars_ == {style.arm_color("100M").lower(): (1.0, 2.0, 3.0, 2.0),
                     style.arm_color("Placebo").lower(): (-3.0, 0.0, 1.0, 0.0)}


def test_forest_refuses_rows_it_would_draw_wrongly():
    rows = pd.DataFrame({"arm": ["100M", "100M"], "estimate": [2.0, 1.0], "ci_low": [1.0, 0.0],
                         "ci_high": [3.0, 2.0]})
    with pytest.raises(ValueError, match="more than one row"):
        plots.forest(rows, y="arm", hue="arm")
    with pytest.raises(ValueError, match="does not hold its estimate"):
        plots.forest(rows.iloc[:1].assign(ci_low=2.5), y="arm", hue="arm")


def test_forest_row_without_interval_is_its_point_and_dose_pairs_are_black():
    rows = pd.DataFrame({"pair": ["100M \u2212 200M", "20M \u2212 100M", "25M \u2212 50M"],
                         "estimate": [2.0, -1.0, 4.0], "ci_low": [np.nan, -2.0, 1.0], "ci_high": [np.nan, 0.5, np.nan]})
    ax = plots.forest(rows, y="pair")
    drawn = [ln for ln in ax.get_lines() if ln.get_linestyle() != "--"]
    assert {to_hex(ln.get_color()) for ln in drawn} == {"#000000"}
    assert drawn[0].get_marker() == "o"
    assert drawn[0].get_xydata()[np.isfinite(drawn[0].get_xdata())].tolist() == [[2.0, 0.0], [-1.0, 1.0], [4.0, 2.0]]
    spans = [ln.get_xdata().tolist() for ln in drawn[1:] if np.isfinite(ln.get_xdata()).all()]
    assert spans == [[-2.0, 0.5]]     # no interval, or only one limit: the point alone, at its estimate


def cue_texts(ax):
    """The "favours" cue of :func:`msc_frailty.style.favours` written on ``ax``."""
    return [t.get_text() for t in ax.texts if "favours" in t.get_text()]


def placebo_rows(chg, params=("SIXMWD", "TNFA", "CRP"), placebo="Low"):
    """ANCOVA rows of each other arm against ``placebo`` (the dose data's lowest dose as a control), standardized."""
    rows = analysis.vs_placebo(chg.assign(TRT01AN=np.where(chg.TRT01A == placebo, 0.0, chg.TRT01AN), SAFFL="Y"),
                               "x", "supplied", list(params))
    rows = rows[rows.method == "ancova"]
    return findings.standardized_pairs(rows, chg)


def test_vs_placebo_figure_is_one_forest_a_row_per_outcome_and_arm_with_values_and_cues():
    chg = dose_data()
    rows = placebo_rows(chg)
    visits = {"SIXMWD": 4.0, "TNFA": 4.0, "CRP": 4.0}
    fig = plots.vs_placebo_figure(rows, ["Mid", "High"], "Low", visits)
    (ax,) = fig.axes                                           # one forest, not a grid of panels
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["6MWD, 4 months", "Mid", "High", "",
                      "Serum TNF-\u03b1, 4 months\n(lower is better: sign reversed)", "Mid", "High", "",
                      "CRP, 4 months\n(direction not stated: as measured)", "Mid", "High"]
    # each arm in its colour and marker at its standardized difference: reversed where lower is better
    for (param, arm), y in {("SIXMWD", "Mid"): 1, ("SIXMWD", "High"): 2, ("TNFA", "Mid"): 5, ("TNFA", "High"): 6,
                            ("CRP", "Mid"): 9, ("CRP", "High"): 10}.items():
        r = rows[(rows.paramcd == param) & (rows.arm == arm)].iloc[0]
        expected = r.estimate / r.sd * (-1 if param == "TNFA" else 1)
        drawn = [tuple(p) for ln in ax.get_lines() if ln.get_marker() == style.arm_marker(arm)
                 and to_hex(ln.get_color()) == style.arm_color(arm).lower() for p in ln.get_xydata()
                 if np.isfinite(p).all()]
        assert (pytest.approx(expected), y) in drawn, (param, arm)
        beside = [t.get_text() for t in ax.texts if t.xy[1] == y and "n = " in t.get_text()]
        unit = endpoints.parameter_info(param)["unit"]
        est, lo, hi = numbers_beside(beside[0], unit)
        assert float(est.replace("\u2212", "-")) == pytest.approx(r.estimate, abs=0.05 * abs(r.ci_high - r.ci_low))
        assert beside[0].endswith(f"; n = {r.n}, {r.n_ref}")
    # the outcome without a direction: open symbols of each arm's marker, favouring no side
    open_marks = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white"]
    assert sorted(ln.get_marker() for ln in open_marks) == sorted(style.arm_marker(a) for a in ("Mid", "High"))
    assert cue_texts(ax) == ["\u2190 favours Low", "favours active arm \u2192"]
    assert ax.get_xlabel() == "Standardized difference, arm \u2212 Low (SMD)\nsign reversed where lower is better"
    assert not fig.legends                                # rows are labelled; n per arm beside each row
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


def test_vs_placebo_cue_names_the_one_active_arm_and_refuses_rows_not_standardized():
    chg = dose_data()
    rows = placebo_rows(chg[chg.TRT01A != "High"], ["SIXMWD"])
    fig = plots.vs_placebo_figure(rows, ["Mid"], "Low", {"SIXMWD": 4.0})
    (ax,) = fig.axes
    assert cue_texts(ax) == ["\u2190 favours Low", "favours Mid \u2192"]
    assert fig._suptitle.get_text() == "Mid \u2212 Low"             # one contrast names the figure
    assert [t.get_text() for t in ax.get_yticklabels()] == ["6MWD, 4 months"]
    with pytest.raises(ValueError, match="standardized_pairs"):
        plots.vs_placebo_figure(rows.drop(columns=["smd"]), ["Mid"], "Low")
    with pytest.raises(ValueError, match="no difference from placebo"):
        plots.vs_placebo_figure(rows.iloc[:0], ["Mid"], "Low")


def test_forest_with_long_arm_labels_stays_on_the_canvas():
    long = ["Allogeneic MSC Low Dose (100 million cells)", "Allogeneic MSC High Dose (200 million cells)"]
    rows = pd.DataFrame({"paramcd": "SIXMWD", "arm": long, "ref_arm": "Placebo", "n": [70, 73], "n_ref": 71,
                         "estimate": [19.0, 46.0], "ci_low": [4.0, 33.0], "ci_high": [34.0, 59.0], "sign": 1,
                         "smd": [0.3, 0.7], "smd_low": [0.06, 0.5], "smd_high": [0.52, 0.9]})
    fig = plots.vs_placebo_figure(rows, long, "Placebo", {"SIXMWD": 26.0})
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    assert style.text_outside_canvas(fig) == [] and style.print_problems(fig) == []


# ---------------------------------------------------------------------------------------------- dose response

def test_dose_response_means_at_their_doses_with_subjects_and_guide_line():
    d6 = change_data().query("AVISITN == 6.0")
    ax = plots.dose_response(d6)
    drawn = bars(ax)
    for arm, dose in (("Placebo", 0.0), ("Low", 10.0), ("100M", 100.0)):
        ((x, mean, lo, hi),) = drawn[style.arm_color(arm).lower()]
        values = d6[d6.TRT01A == arm]["CHG"]
        assert (x, mean) == pytest.approx((dose, values.mean()))
        assert (lo, hi) == pytest.approx(t_ci(values), rel=1e-9)
    pts = points(ax)
    assert len(pts) == len(d6)
    for arm, dose in (("Placebo", 0.0), ("Low", 10.0), ("100M", 100.0)):   # beside the mean, to its right
        mine = pts[np.isin(pts[:, 1], d6.loc[d6.TRT01A == arm, "CHG"])]
        assert np.all(mine[:, 0] > dose) and np.all(mine[:, 0] < dose + 0.5 * 10.0)
    guide = [ln for ln in ax.get_lines() if to_hex(ln.get_color()) == to_hex("0.55")]
    assert len(guide) == 1 and guide[0].get_ydata().tolist() == pytest.approx([2.0, 8.0, 24.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "10", "100"]
    assert ax.get_xlabel() == "Dose (million cells)"


def test_dose_response_figure_panels_letters_and_no_slope_headline():
    d = change_data()
    d = pd.concat([d, d.assign(PARAMCD="TNFA", CHG=-d.CHG / 10)]).query("AVISITN == 6.0")
    d = d[~((d.PARAMCD == "TNFA") & (d.USUBJID == "100M-2"))]  # one fewer 100M subject for TNFA
    fig = plots.dose_response_figure(d, ["SIXMWD", "TNFA"], visits={"SIXMWD": 6.0, "TNFA": 6.0})
    # means 2, 8, 24 rise with dose; no slope drawn or written anywhere on the figure
    assert [ax.get_title() for ax in fig.axes] == ["6MWD, 6 months", "Serum TNF-\u03b1, 6 months"]
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Placebo", "Low", "100M"]   # n is the caption's
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "slope" not in texts
    assert [t.get_text() for ax in fig.axes for t in ax.texts if t.get_fontweight() == "bold"] == ["a", "b"]
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


def test_dose_response_title_says_when_the_means_rise_and_fall_by_more_than_their_noise():
    d = change_data().query("AVISITN == 6.0")
    bump = d.assign(CHG=np.where(d.TRT01A == "Low", d.CHG + 40.0, d.CHG))          # 2, 48, 24: up, then down
    wiggle = d.assign(CHG=np.where(d.TRT01A == "Low", d.CHG - 7.0, d.CHG))         # 2, 1, 24: a dip within noise
    assert findings.dose_pattern(bump) == "not monotone" and findings.dose_pattern(d) == "rising"
    assert findings.dose_pattern(wiggle) == "rising"
    fig = plots.dose_response_figure(pd.concat([d, bump.assign(PARAMCD="FEV1"), wiggle.assign(PARAMCD="SPPB")]),
                                     ["SIXMWD", "SPPB", "FEV1"])
    assert [ax.get_title() for ax in fig.axes] == ["6MWD", "SPPB", "FEV1\nmeans rise and fall"]
    assert clearance_pt(fig) >= 0.0                          # each dose's points clear of every mean


# ---------------------------------------------------------------------------------------------- layout, files

def test_panels_widths_and_refuses_empty():
    fig, axes = plots.panels(["a", "b", "c", "d", "e"])
    assert list(axes) == ["a", "b", "c", "d", "e"] and len(fig.axes) == 5   # 3 x 2, the sixth slot removed
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    with pytest.raises(ValueError, match="no data"):
        plots.panels([])


@pytest.mark.parametrize("lo, hi, labels", [
    (0.07, 1.8, ["0.1", "0.2", "0.5", "1"]),           # CRATUS-P2: one subject at a ratio of 0.08
    (0.22, 1.6, ["0.25", "0.5", "1"]),                 # LOMECEL-P2B: powers of 2, the reviewer's ticks
    (0.6, 1.6, ["0.6", "0.8", "1", "1.2", "1.4", "1.6"]),   # a narrow range: multiples of 0.2
    (0.77, 1.12, ["0.8", "0.9", "1", "1.1"]),
    (0.003, 40.0, ["0.01", "0.1", "1", "10"]),
])
def test_log_ratio_axis_has_few_round_ratio_ticks_never_crowded(lo, hi, labels):
    _, axes = plots.panel_figure(height_mm=52)
    ax = axes[0, 0]
    ax.set_ylim(math.log(lo), math.log(hi))
    plots.log_ratio_axis(ax)
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert shown == labels
    assert not any("/" in t for t in shown)                                  # no fractions such as 2/3
    ticks = ax.get_yticks()
    assert np.exp(ticks) == pytest.approx([float(t) for t in labels])        # each label is its tick's ratio
    mm = np.diff(ticks) / plots.units_per_mm(ax, "y")
    assert mm.min() >= plots.RATIO_TICK_MM                                   # labelled ticks never crowd
    minor = np.exp(ax.get_yticks(minor=True))
    assert len(minor) and np.all((minor >= lo * (1 - 1e-9)) & (minor <= hi * (1 + 1e-9)))   # unlabelled minor ticks
    assert not set(np.round(minor, 9)) & set(np.round(np.exp(ticks), 9))


def test_ratio_ticks_thin_out_on_a_short_axis_and_refuse_bad_limits():
    # 0.6 to 1.6 on 6 mm: multiples of 0.2 would be 1 mm apart; fewer, wider apart ticks instead
    major, labels, _ = plots.ratio_ticks(math.log(0.6), math.log(1.6), mm_per_unit=6 / math.log(1.6 / 0.6))
    assert len(labels) >= 1 and (len(major) < 2 or np.diff(major).min() * 6 / math.log(1.6 / 0.6) >= 4.0)
    with pytest.raises(ValueError, match="finite and increasing"):
        plots.ratio_ticks(0.5, 0.1)


def test_save_and_show_writes_deterministic_files_with_the_caption(tmp_path):
    d = change_data()
    caption = "Change in 6MWD. n per arm: Placebo 3. SYNTHETIC DATA: generated, not trial results."
    first = plots.save_and_show(plots.trajectory_figure(d, "SIXMWD"), "six_minute_walk", tmp_path / "a", "S",
                                "synthetic", caption=caption)
    second = plots.save_and_show(plots.trajectory_figure(d, "SIXMWD"), "six_minute_walk", tmp_path / "b", "S",
                                 "synthetic", caption=caption)
    assert [p.suffix for p in first] == [".pdf", ".svg", ".png"]
    # the caption embedded is the one given, with the abbreviation the figure shows ("6MWD") defined
    assert "SYNTHETIC DATA" in first[1].read_text() and style.read_caption(first[2]) == (
        "Change in 6MWD. n per arm: Placebo 3. Abbreviations: 6MWD, 6-minute walk distance. "
        "SYNTHETIC DATA: generated, not trial results.")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_names_kept_importable_from_plots():
    # consort.py, the cohort and safety notebooks and test_names use these through plots
    for name in ("basis_banner", "save_and_show", "figure_name", "arm_order", "parameter_info", "visit_scale"):
        assert callable(getattr(plots, name)), name


# ---------------------------------------------------------------------------------------------- dose forest

def dose_data(seed=4, n=8):
    """Three doses (Low 10, Mid 20, High 30) x SIXMWD (higher is better), TNFA (lower) and CRP (no direction), one
    visit, ``n`` subjects an arm; changes in very different units."""
    rng = np.random.default_rng(seed)
    rows = []
    for arm, dose in (("Low", 10.0), ("Mid", 20.0), ("High", 30.0)):
        for i in range(n):
            for p, scale in (("SIXMWD", 40.0), ("TNFA", 0.8), ("CRP", 3.0)):
                base = rng.normal(100, 10)
                chg = rng.normal(dose / 30 * scale, scale)
                rows.append({"STUDYID": "S", "USUBJID": f"{arm}-{i}", "PARAMCD": p, "AVISITN": 4.0, "TRT01A": arm,
                             "TRT01AN": dose, "BASE": base, "AVAL": base + chg, "CHG": chg})
    return pd.DataFrame(rows)


def dose_rows(chg, params=("SIXMWD", "TNFA", "CRP")):
    rows = analysis.vs_arm(chg, "dose_comparison", "supplied", list(params))
    rows = rows[rows.method == "ancova"].copy()
    rows["pair"] = rows["arm"] + " \u2212 " + rows["ref_arm"]
    return findings.standardized_pairs(rows, chg)


def marks_of(ax):
    """``[(x, row)]`` of the filled markers seaborn's pointplot drew (one per row with data)."""
    out = []
    for ln in ax.get_lines():
        if ln.get_marker() == "o" and ln.get_markerfacecolor() != "white":
            xy = ln.get_xydata()
            out += [tuple(p) for p in xy[np.isfinite(xy).all(axis=1)]]
    return sorted(out, key=lambda p: p[1])


def test_dose_forest_is_one_forest_a_row_per_outcome_and_pair_on_the_standardized_axis():
    chg = dose_data()
    rows = dose_rows(chg)
    fig = plots.dose_forest_figure(rows, {"SIXMWD": 4.0, "TNFA": 4.0, "CRP": 4.0})
    (ax,) = fig.axes                                           # one forest, not a grid of panels
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    pairs = ["Low \u2212 Mid", "Low \u2212 High", "Mid \u2212 High"]
    assert labels == (["6MWD, 4 months", *pairs, "",                # a header row per outcome, a blank between
                       "Serum TNF-\u03b1, 4 months\n(lower is better: sign reversed)", *pairs, "",
                       "CRP, 4 months\n(direction not stated: as measured)", *pairs])
    drawn = marks_of(ax)
    row_of = {(param, pair): labels.index(pair, 5 * k) for k, param in enumerate(["SIXMWD", "TNFA", "CRP"])
              for pair in pairs}                     # each outcome's block: header, three pairs, blank
    assert sorted(row_of.values()) == [1, 2, 3, 6, 7, 8, 11, 12, 13]
    for (param, pair), y in row_of.items():
        r = rows[(rows.paramcd == param) & (rows.pair == pair)].iloc[0]
        # the symbol: the ANCOVA difference over the pooled SD, reversed where lower is better
        expected = r.estimate / r.sd * (-1 if param == "TNFA" else 1)
        assert expected == pytest.approx(r.smd)
        assert (pytest.approx(expected), y) in drawn, (param, pair)
        # beside the row, the ANCOVA difference in the outcome's own unit, never reversed, and n
        unit = endpoints.parameter_info(param)["unit"]
        beside = [t.get_text() for t in ax.texts if t.xy[1] == y and "n = " in t.get_text()]
        assert len(beside) == 1 and beside[0].endswith(f"; n = {r.n}, {r.n_ref}")
        est, lo, hi = numbers_beside(beside[0], unit)
        # one decimals rule for the three numbers: two significant digits of the interval's half-width
        decimals = {len(v.split(".")[1]) if "." in v else 0 for v in (est, lo, hi)}
        assert decimals == {max(0, 1 - math.floor(math.log10((r.ci_high - r.ci_low) / 2)))}, beside
        for text, value in ((est, r.estimate), (lo, r.ci_low), (hi, r.ci_high)):
            assert float(text.replace("\u2212", "-")) == pytest.approx(value, abs=0.5 * 10.0 ** -min(decimals))
    # outcomes without a stated direction: open symbols at their (unreversed) values
    open_marks = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white"]
    assert {ln.get_marker() for ln in open_marks} == {"o"}
    crp = rows[rows.paramcd == "CRP"]
    assert sorted(x for ln in open_marks for x in ln.get_xdata()) == pytest.approx(sorted(crp.estimate / crp.sd))
    assert cue_texts(ax) == ["\u2190 favours higher dose", "favours lower dose \u2192"]
    assert "(higher is better)" not in ax.get_xlabel() and "sign reversed" in ax.get_xlabel()
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


def numbers_beside(text, unit):
    """The estimate and limits of a dose forest's row text ``+33 m (\u22122 to 69); n = 10, 10``."""
    import re
    m = re.fullmatch(r"([+\u2212]?[0-9.]+)" + (" " + re.escape(unit) if unit else "")
                     + r" \(([\u2212]?[0-9.]+) to ([\u2212]?[0-9.]+)\); n = .*", text)
    assert m, text
    return m.groups()


def test_dose_forest_values_share_one_precision_the_reviewers_rows():
    # the reviewer's rows: "(-127 to 62.2)" and "(0.0465 to 0.457)" mixed precisions; now one rule per row
    rows = pd.DataFrame({"paramcd": ["SIXMWD", "FEV1", "TNFA"], "pair": ["25M \u2212 50M"] * 3,
                         "estimate": [-32.4, 0.25185, -0.0123], "ci_low": [-127.0, 0.0465, -0.0251],
                         "ci_high": [62.2, 0.457, -0.0011], "n": 10, "n_ref": 10, "sd": [90.0, 0.2, 0.03],
                         "sign": [1, 1, -1]})
    rows = rows.assign(smd=rows.estimate / rows.sd * rows.sign, smd_low=np.minimum(rows.ci_low, rows.ci_high * 1)
                       / rows.sd, smd_high=rows.ci_high / rows.sd)
    rows[["smd_low", "smd_high"]] = np.sort(np.column_stack([rows.ci_low / rows.sd * rows.sign,
                                                             rows.ci_high / rows.sd * rows.sign]), axis=1)
    (ax,) = plots.dose_forest_figure(rows).axes
    beside = [t.get_text() for t in ax.texts if "n = " in t.get_text()]
    assert beside == ["\u221232 m (\u2212127 to 62); n = 10, 10", "+0.25 L (0.05 to 0.46); n = 10, 10",
                      # an interval that excludes 0 is not printed as reaching it: one more decimal (AMA)
                      "\u22120.012 pg/mL (\u22120.025 to \u22120.001); n = 10, 10"]


def test_dose_forest_without_any_direction_has_no_cue_and_one_pair_names_the_figure():
    chg = dose_data()
    chg = chg[chg.TRT01A != "Mid"]
    rows = dose_rows(chg, ["CRP"])
    fig = plots.dose_forest_figure(rows, {"CRP": 4.0})
    (ax,) = fig.axes
    assert cue_texts(ax) == [] and "sign reversed" not in ax.get_xlabel()
    assert fig._suptitle.get_text() == "Low \u2212 High"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["CRP, 4 months\n(direction not stated: as measured)"]
    with pytest.raises(ValueError, match="no dose pair"):
        plots.dose_forest_figure(rows.iloc[:0])


# ---------------------------------------------------------------------------------------------- change summary

def test_change_figure_panel_letters_stacked_scores_and_no_legend():
    d = change_data().query("AVISITN == 6.0")
    two = pd.concat([continuous(d), d.assign(PARAMCD="SPPB", CHG=np.round(d.CHG / 10))])
    fig = plots.change_figure(two, ["SIXMWD", "SPPB"], {"SIXMWD": 6.0, "SPPB": 6.0}, hue_order=ARMS)
    assert not fig.legends
    assert [t.get_text() for ax in fig.axes for t in ax.texts if t.get_fontweight() == "bold"] == ["a", "b"]
    sppb = points(fig.axes[1])
    for row, arm in enumerate(ARMS):
        mine = sppb[np.abs(sppb[:, 1] - row) < 0.5]
        assert np.all(mine[:, 1] > row)                      # under the arm's mean (the rows run down the axis)
        assert sorted(mine[:, 0]) == sorted(two.loc[(two.PARAMCD == "SPPB") & (two.TRT01A == arm), "CHG"])
        for value in np.unique(mine[:, 0]):
            ys = np.sort(mine[mine[:, 0] == value, 1])
            assert len(set(ys)) == len(ys)                  # ties stacked, none on top of another


# ---------------------------------------------------------------------------------------------- labels as long as the data make them

#: A PARAM as a laboratory delivers it (its unit inside), and an arm label of 200 characters.
IL6_PARAM = "Interleukin-6 Serum Concentration, Central Laboratory (pg/mL)"
LONG_ARM = ("Experimental arm: allogeneic bone-marrow-derived mesenchymal stem cells from young healthy donors, one "
            "intravenous infusion over thirty minutes, followed by twelve months of observation (dose level 3)")


def long_labels(short_name=""):
    """The labels of the dose data with CRP renamed to IL6: its long PARAM, its unit and a direction from params.csv."""
    given = {"PARAM": "", "unit": "pg/mL", "direction": "lower_better", "finding": "", "short_name": short_name}
    return endpoints.Labels(params={p: endpoints.resolve_parameter(p) for p in ("SIXMWD", "TNFA")}
                            | {"IL6": endpoints.resolve_parameter("IL6", given, IL6_PARAM)}, visit_unit="weeks")


def long_data():
    """The dose data (Low 10, Mid 20, High 30; SIXMWD, TNFA, IL6) at weeks 4 and 8, the High arm with a 200-character
    label."""
    d = dose_data()
    d = pd.concat([d, d.assign(AVISITN=8.0, CHG=d.CHG * 1.5)], ignore_index=True)
    return d.assign(PARAMCD=d.PARAMCD.replace({"CRP": "IL6"}), TRT01A=d.TRT01A.replace({"High": LONG_ARM}))


def all_texts(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


def test_a_long_parameter_name_is_wrapped_and_its_unit_written_once():
    assert len(LONG_ARM) == 200
    labels = long_labels()
    assert endpoints.unit_suffix(IL6_PARAM, "pg/mL") == ""
    label = endpoints.axis_label("IL6", labels=labels)
    assert label.count("(pg/mL)") == 1 and label.endswith("\n(lower is better)")
    assert label == "Change in Interleukin-6 Serum\nConcentration, Central Laboratory\n(pg/mL)\n(lower is better)"
    assert all(len(line) <= endpoints.AXIS_LABEL_CHARS for line in label.split("\n"))
    # the difference axis names no parameter: the unit once, as before
    assert endpoints.axis_label("IL6", "panel_change", labels) == "Change (pg/mL)\n(lower is better)"
    # params.csv's short_name names it on figures; the full name stays its label (titles, captions)
    short = long_labels("IL-6")
    assert endpoints.axis_label("IL6", labels=short) == "Change in IL-6 (pg/mL)\n(lower is better)"
    assert endpoints.outcome_at("IL6", {"IL6": 8.0}, short) == "IL-6, 8 weeks"
    assert endpoints.parameter_info("IL6", short)["label"] == IL6_PARAM
    # a name of one 5,000-character word: a few lines, shortened in the middle
    huge = endpoints.fit_label("X" * 5000)
    assert huge.count("\n") + 1 == endpoints.MAX_LABEL_LINES and style.ELLIPSIS in huge


def test_a_long_parameter_name_and_a_200_character_arm_draw_every_figure_within_the_canvas():
    d, labels = long_data(), long_labels()
    arms = ["Low", "Mid", LONG_ARM]
    at8 = d[d.AVISITN == 8.0]
    figs = {"trajectory": plots.trajectory_figure(d[d.PARAMCD == "IL6"], "IL6", hue_order=arms, labels=labels),
            "change": plots.change_figure(at8, ["SIXMWD", "IL6"], {"SIXMWD": 8.0, "IL6": 8.0}, arms, labels),
            "dose_response": plots.dose_response_figure(at8, ["SIXMWD", "TNFA", "IL6"], labels=labels,
                                                        visits={p: 8.0 for p in ("SIXMWD", "TNFA", "IL6")})}
    rows = analysis.vs_placebo(at8.assign(TRT01AN=np.where(at8.TRT01A == "Low", 0.0, at8.TRT01AN), SAFFL="Y"),
                               "x", "supplied", ["SIXMWD", "IL6"])
    std = findings.standardized_pairs(rows[rows.method == "ancova"], at8, labels)
    figs["vs_placebo"] = plots.vs_placebo_figure(std, ["Mid", LONG_ARM], "Low", {"SIXMWD": 8.0, "IL6": 8.0}, labels)
    for name, fig in figs.items():
        assert style.text_outside_canvas(fig) == [], name
        assert style.print_problems(fig) == [], name
        texts = all_texts(fig)
        assert not any("(pg/mL) (pg/mL)" in t or "(pg/mL)\n(pg/mL)" in t for t in texts), name
        # the arm is named, shortened in its middle where it is long (its end, the dose, kept)
        arm_texts = [t for t in texts if t.replace("\n", " ").startswith("Experimental arm")]
        assert arm_texts and all(t.count("\n") < style.MAX_LABEL_LINES and "(dose level 3)" in t.replace("\n", " ")
                                 for t in arm_texts), (name, arm_texts)
    # the title names the parameter in full, wrapped
    assert figs["trajectory"].axes[0].get_title().replace("\n", " ") == IL6_PARAM


@pytest.mark.filterwarnings("ignore:constrained_layout not applied")     # the unwrapped 200 characters, on purpose
def test_save_figure_fits_a_supplied_label_to_the_canvas_and_says_so(tmp_path):
    def cut_figure():
        fig, ax = style.stamped_figure("single", 40)
        ax.plot([0, 1], [0, 1])
        ax.set_ylabel(f"Change in {IL6_PARAM} measured at every visit of the study (pg/mL)")
        ax.set_yticks([0, 1], ["Low", LONG_ARM])
        return fig

    assert style.text_outside_canvas(cut_figure())      # as drawn, the labels run off the canvas
    with pytest.warns(style.FittedTextWarning, match="text\\(s\\) fitted to the canvas"):
        paths = style.save_figure(cut_figure(), "long", tmp_path, "TOY-1", "supplied", caption="Long labels")
    svg = next(p for p in paths if p.suffix == ".svg").read_text(encoding="utf-8")
    assert "Interleukin-6" in svg and "Experimental arm" in svg and "(dose level 3)" in svg
    # the collection's own data: a text outside the canvas is a bug, refused as before
    with pytest.raises(ValueError, match="run outside the figure's canvas"):
        style.save_figure(cut_figure(), "long", tmp_path / "own", "TOY-1", "synthetic")
    # fitting leaves a figure that fits as it was
    fig, ax = style.stamped_figure("single", 40)
    ax.set_ylabel("Change in 6MWD (m)")
    assert style.fit_to_canvas(fig) == [] and ax.get_ylabel() == "Change in 6MWD (m)"


def test_a_label_with_dollar_signs_is_text_not_mathematics():
    fig, ax = style.figure("single", 40)
    ax.set_title(r"Cost $\frac$ per $x^2$ (USD)")
    assert r"Cost $\frac$ per $x^2$ (USD)" in all_texts(fig)      # drawn as written; mathtext would raise here
