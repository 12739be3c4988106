"""msc_frailty.plots: what the seaborn figures draw, checked against independent computations.

- the interval drawn around each mean is the t interval of the plan's ``paired_t`` rows (scipy and
  msc_frailty.analysis as references), the mean the pandas mean;
- a small arm's figure has one point per subject and visit, drawn beside its arm's mean, the same on every
  run; an arm of more than 30 subjects is drawn as means and intervals only;
- one colour and one marker per arm; n per arm in the legend equals the data's n;
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

from msc_frailty import analysis, plots, style

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
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "6"]
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
    for arm in ARMS:
        for (x, *_), visit in zip(means[arm], (3.0, 6.0)):
            mine = d[(d.TRT01A == arm) & (d.AVISITN == visit)]["CHG"].to_numpy()
            near = pts[np.abs(pts[:, 0] - x) < 0.2]                # within its arm's slot (0.6 months apart)
            assert sorted(near[:, 1]) == sorted(mine), (arm, visit)


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


def test_trajectory_figure_width_legend_n_and_print_rules():
    d = change_data().drop(index=11)   # 100M-2 missing at 6 months
    fig = plots.trajectory_figure(d, "SIXMWD", hue_order=["Placebo", "Low", "100M", "All"])
    assert fig.get_figwidth() * 25.4 == pytest.approx(85)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Change in 6MWD (m)\n(higher is better)"
    assert ax.get_title() == "6-minute walk distance"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    n = d.groupby(["TRT01A", "AVISITN"]).USUBJID.nunique()
    assert legend == ["Placebo (n = 3)", "Low (n = 3)", f"100M (n = {n['100M'].min()}\u2013{n['100M'].max()})"]
    assert [h.get_marker() for h in fig.legends[0].legend_handles] == [style.arm_marker(a) for a in ARMS]
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


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


def test_vs_placebo_figure_legend_gives_each_arms_n_from_the_rows():
    rows = pd.DataFrame({"paramcd": ["TNFA", "TNFA", "SIXMWD"], "arm": ["High", "Low", "High"],
                         "ref_arm": "Control", "n": [8, 7, 8], "n_ref": [8, 8, 6], "estimate": [-1.0, -0.5, 3.0],
                         "ci_low": [-2.0, -1.0, 1.0], "ci_high": [0.0, 0.2, 5.0]})
    fig = plots.vs_placebo_figure(rows, ["SIXMWD", "TNFA"], ["Low", "High"], "Control",
                                  {"SIXMWD": 4.0, "TNFA": 4.0})
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    assert [ax.get_xlabel() for ax in fig.axes] == ["Arm \u2212 Control (m)\n(higher is better)",
                                                    "Arm \u2212 Control (pg/mL)\n(lower is better)"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Low", "High"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["High (n = 8)", "Low (n = 7)", "vs Control (n = 6\u20138)"]
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


def test_forest_figure_with_long_arm_labels_stays_on_the_canvas():
    long = ["Allogeneic MSC Low Dose (100 million cells)", "Allogeneic MSC High Dose (200 million cells)"]
    rows = pd.DataFrame({"paramcd": "SIXMWD", "arm": long, "ref_arm": "Placebo", "n": [70, 73], "n_ref": 71,
                         "estimate": [19.0, 46.0], "ci_low": [4.0, 33.0], "ci_high": [34.0, 59.0]})
    fig = plots.vs_placebo_figure(rows, ["SIXMWD"], long, "Placebo", {"SIXMWD": 26.0})
    assert fig.get_figwidth() * 25.4 == pytest.approx(85)
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
    assert len(points(ax)) == len(d6)
    guide = [ln for ln in ax.get_lines() if to_hex(ln.get_color()) == to_hex("0.55")]
    assert len(guide) == 1 and guide[0].get_ydata().tolist() == pytest.approx([2.0, 8.0, 24.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "10", "100"]
    assert ax.get_xlabel() == "Dose (million cells)"


def test_dose_response_figure_panels_and_n():
    d = change_data()
    d = pd.concat([d, d.assign(PARAMCD="TNFA", CHG=-d.CHG / 10)]).query("AVISITN == 6.0")
    d = d[~((d.PARAMCD == "TNFA") & (d.USUBJID == "100M-2"))]  # one fewer 100M subject for TNFA
    fig = plots.dose_response_figure(d, ["SIXMWD", "TNFA"], title=lambda p: f"{p}!")
    assert [ax.get_title() for ax in fig.axes] == ["SIXMWD!", "TNFA!"]
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Placebo (n = 3)", "Low (n = 3)",
                                                                 "100M (n = 2\u20133)"]
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


# ---------------------------------------------------------------------------------------------- layout, files

def test_panels_widths_and_refuses_empty():
    fig, axes = plots.panels(["a", "b", "c", "d", "e"])
    assert list(axes) == ["a", "b", "c", "d", "e"] and len(fig.axes) == 5   # 3 x 2, the sixth slot removed
    assert fig.get_figwidth() * 25.4 == pytest.approx(180)
    with pytest.raises(ValueError, match="no data"):
        plots.panels([])


def test_log_ratio_axis_labels_ratios():
    _, axes = plots.panel_figure()
    ax = axes[0, 0]
    ax.set_ylim(math.log(0.6), math.log(1.6))
    plots.log_ratio_axis(ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2/3", "0.8", "1", "1.25", "1.5"]
    assert ax.get_yticks()[2] == pytest.approx(0.0)
    ax.set_ylim(math.log(0.77), math.log(1.12))  # narrow: multiples of a round step
    plots.log_ratio_axis(ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.8", "0.85", "0.9", "0.95", "1", "1.05", "1.1"]


def test_save_and_show_writes_deterministic_files_with_the_caption(tmp_path):
    d = change_data()
    caption = "Change in 6MWD. n per arm: Placebo 3. SYNTHETIC DATA: generated, not trial results."
    first = plots.save_and_show(plots.trajectory_figure(d, "SIXMWD"), "six_minute_walk", tmp_path / "a", "S",
                                "synthetic", caption=caption)
    second = plots.save_and_show(plots.trajectory_figure(d, "SIXMWD"), "six_minute_walk", tmp_path / "b", "S",
                                 "synthetic", caption=caption)
    assert [p.suffix for p in first] == [".pdf", ".svg", ".png"]
    assert "SYNTHETIC DATA" in first[1].read_text() and style.read_caption(first[2]) == caption
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_names_kept_importable_from_plots():
    # consort.py, the cohort and safety notebooks and test_names use these through plots
    for name in ("basis_banner", "save_and_show", "figure_name", "arm_order", "parameter_info", "visit_scale"):
        assert callable(getattr(plots, name)), name
