"""msc_frailty.plots: figures from small known data have the expected artists, labels and colours."""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import ErrorbarContainer

from msc_frailty import plots, stats, style
from msc_frailty.analysis import ESTIMATE_COLUMNS

matplotlib.use("agg")


def change_data():
    """Two arms (Placebo, 100M) x visits 3 and 6 x 3 subjects, plus an unknown arm 'Low' (dose 10)."""
    rows = []
    values = {("Placebo", 3): [1.0, 2.0, 3.0], ("Placebo", 6): [0.0, 1.0, 5.0],
              ("100M", 3): [10.0, 12.0, 14.0], ("100M", 6): [20.0, 22.0, 30.0],
              ("Low", 3): [4.0, 5.0, 6.0], ("Low", 6): [6.0, 8.0, 10.0]}
    dose = {"Placebo": 0.0, "Low": 10.0, "100M": 100.0}
    for (arm, visit), chg in values.items():
        for i, c in enumerate(chg):
            base = 300.0 + 10 * i
            rows.append({"STUDYID": "S", "USUBJID": f"{arm}-{i}", "PARAMCD": "SIXMWD", "AVISITN": float(visit),
                         "TRT01A": arm, "TRT01AN": dose[arm], "BASE": base, "AVAL": base + c, "CHG": c})
    return pd.DataFrame(rows)


def errorbars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def labelled_lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


# ---------------------------------------------------------------------------------------------- helpers

def test_parameter_info_known_and_unknown():
    tnf = plots.parameter_info("TNFA")
    assert tnf["higher_is_better"] is False and tnf["unit"] == "pg/mL" and tnf["known"]
    assert plots.parameter_info("SPPB")["unit"] == "points"  # "points (0-12)" shortened for axes
    crp = plots.parameter_info("CRP")
    # an unknown code: no unit, no direction (nobody gave one), analysed as an "other endpoint"
    assert crp == {"paramcd": "CRP", "label": "CRP", "short": "CRP", "unit": "", "higher_is_better": None,
                   "known": False, "finding": "other_endpoints"}
    assert plots.parameter_info("SIXMWD")["finding"] == "physical_performance"


def test_axis_labels_state_direction():
    assert plots.axis_label("SIXMWD") == "Change in 6MWD (m)\n(higher is better)"
    assert plots.axis_label("TNFA", "difference").endswith("(lower is better)")
    assert plots.axis_label("CRP") == "Change in CRP"  # no direction stated: none claimed
    assert plots.axis_label("BCTNFA", "ratio").startswith("B-cell TNF-\u03b1, ratio to baseline")


def test_figure_names_are_stable():
    assert [plots.figure_name(p) for p in ("SIXMWD", "SPPB", "FEV1", "TNFA", "BCTNFA")] == [
        "six_minute_walk", "sppb", "fev1", "tnf_alpha", "b_cell_tnf_alpha"]
    assert plots.figure_name("IL-6 (serum)") == "il_6_serum"


def test_main_visit_and_params():
    assert plots.main_visit([0, 3, 6, 12]) == 6.0
    assert plots.main_visit([0, 2, 4]) == 4.0
    assert plots.main_visit([0]) is None
    assert plots.ordered_params(["SQOLF", "TNFA", "SIXMWD"], plots.PHYSICAL) == ["SIXMWD", "SQOLF"]
    assert plots.ordered_params(["ZZZ", "CRP", "BCTNFA", "SPPB"], exclude=plots.PHYSICAL) == ["BCTNFA", "CRP", "ZZZ"]


def test_at_visits_per_parameter_and_empty():
    rows = pd.DataFrame({"paramcd": ["A", "A", "B", "B"], "visit": [3.0, 6.0, 2.0, 4.0]})
    assert plots.at_visits(rows, {"A": 6.0, "B": 4.0}).index.tolist() == [1, 3]
    empty = plots.at_visits(rows.iloc[:0], {})
    assert list(empty.columns) == ["paramcd", "visit"] and len(empty) == 0


def test_arm_order_and_palette():
    d = change_data()
    assert plots.arm_order(d) == ["Placebo", "Low", "100M"]
    pal = plots.arm_palette(["Placebo", "Low", "100M"])
    assert pal == {a: style.arm_color(a) for a in ["Placebo", "Low", "100M"]}


def test_mean_ci_matches_paired_t_and_single_value():
    d = change_data()
    s = plots.mean_ci(d)
    row = s[(s.TRT01A == "100M") & (s.AVISITN == 6.0)].iloc[0]
    ref = stats.paired_t([20.0, 22.0, 30.0])
    assert row["n"] == 3 and row["mean"] == pytest.approx(24.0)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))
    one = plots.mean_ci(d.iloc[:1])
    assert one["n"].tolist() == [1] and np.isnan(one["ci_low"].iloc[0])


def test_format_and_describe_and_verdict():
    assert plots.format_p(0.0123) == "p = 0.012" and plots.format_p(1e-6) == "p < 0.001"
    assert plots.format_p(float("nan")) == "p = NA"
    row = {"paramcd": "SIXMWD", "estimate": 35.2, "ci_low": 10.1, "ci_high": 60.3, "p_value": 0.012, "n": 10,
           "n_ref": np.nan}
    assert plots.describe(row) == "+35.2 m (95% CI 10.1 to 60.3; p = 0.012; n = 10)"
    assert plots.describe({**row, "n_ref": 9}).endswith("n = 10 vs 9)")
    assert plots.verdict(row) == "favourable"
    assert plots.verdict({**row, "paramcd": "TNFA"}) == "unfavourable"  # an increase in TNF-alpha
    assert plots.verdict({**row, "ci_low": -1.0}) == "inconclusive"
    assert plots.verdict({"paramcd": "TNFA", "ci_low": 0.6, "ci_high": 0.9}, ref=1.0) == "favourable"


def test_basis_banner():
    assert "SYNTHETIC DATA" in plots.basis_banner("synthetic", "X") and "BY CONSTRUCTION" in plots.basis_banner(
        "synthetic", "X")
    assert "SYNTHETIC" not in plots.basis_banner("supplied", "X")


def test_pool_active_drops_placebo():
    pooled = plots.pool_active(change_data())
    assert set(pooled["TRT01A"]) == {"All"} and len(pooled) == 12 and pooled["TRT01AN"].isna().all()


# ---------------------------------------------------------------------------------------------- log scale

def test_log_ratio_paired_and_vs_placebo():
    d = change_data().copy()
    d["PARAMCD"] = "TNFA"
    d["BASE"] = 3.0 + np.arange(len(d)) % 3
    d["AVAL"] = d["BASE"] * np.exp(d["CHG"] / 100)  # log ratio = CHG / 100 exactly
    d.loc[0, "AVAL"] = 0.0  # cannot be logged: left out
    rows = plots.log_ratio(d, "inflammation", "supplied")
    assert list(rows.columns) == ESTIMATE_COLUMNS
    assert set(rows["method"]) == {"log_ratio_paired_t"} and set(rows["comparison"]) == {"ratio_to_baseline"}
    r = rows[(rows.arm == "100M") & (rows.visit == 6.0)].iloc[0]
    assert r["estimate"] == pytest.approx(math.exp(0.24)) and r["n"] == 3
    assert rows[(rows.arm == "Placebo") & (rows.visit == 3.0)]["n"].item() == 2
    vs = plots.log_ratio(d, "inflammation", "supplied", comparison="vs_placebo")
    assert set(vs["method"]) == {"log_ratio_ancova"} and set(vs["ref_arm"]) == {"Placebo"}
    assert set(vs["arm"]) == {"Low", "100M"}
    assert (vs["estimate"] > 0).all() and (vs["ci_low"] < vs["estimate"]).all()
    assert len(plots.log_ratio(d[d.TRT01A != "Placebo"], "x", "supplied", comparison="vs_placebo")) == 0
    with pytest.raises(ValueError, match="comparison"):
        plots.log_ratio(d, "x", "supplied", comparison="nonsense")


# ---------------------------------------------------------------------------------------------- figures

def test_trajectory_artists_labels_and_colours():
    d = change_data()
    _, axes = plots.panel_figure()
    ax = plots.trajectory(data=d, ax=axes[0, 0])
    lines = labelled_lines(ax)
    assert [ln.get_label() for ln in lines] == ["Placebo", "Low", "100M"]
    assert [to_hex(ln.get_color()) for ln in lines] == [style.arm_color(a).lower() for a in ["Placebo", "Low", "100M"]]
    # baseline (0, 0) then the means at 3 and 6 months, arms dodged apart
    by_arm = {ln.get_label(): ln for ln in lines}
    assert by_arm["100M"].get_ydata().tolist() == pytest.approx([0.0, 12.0, 24.0])
    assert by_arm["Placebo"].get_xdata()[1] < 3.0 < by_arm["100M"].get_xdata()[1]
    assert len(errorbars(ax)) == 3
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "3", "6"]
    assert ax.get_xlabel() == "Months since infusion"
    matplotlib.pyplot.close("all")


def test_trajectory_without_baseline_or_dodge():
    d = change_data()
    ax = plots.trajectory(data=d, baseline=False, dodge=0, hue_order=["100M"])
    (line,) = labelled_lines(ax)
    assert line.get_xdata().tolist() == [3.0, 6.0] and line.get_label() == "100M"
    matplotlib.pyplot.close("all")


def test_forest_rows_order_and_colours():
    rows = pd.DataFrame({"arm": ["100M", "Placebo"], "estimate": [2.0, -1.0], "ci_low": [1.0, -3.0],
                         "ci_high": [3.0, 1.0]})
    ax = plots.forest(rows, y="arm", hue="arm", order=["Placebo", "Low", "100M"])
    bars = errorbars(ax)
    assert len(bars) == 2
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Placebo", "Low", "100M"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first row on top
    colours = {to_hex(b.lines[0].get_color()) for b in bars}
    assert colours == {style.arm_color("100M").lower(), style.arm_color("Placebo").lower()}
    points = sorted((b.lines[0].get_ydata()[0], b.lines[0].get_xdata()[0]) for b in bars)
    assert points == [(0, -1.0), (2, 2.0)]  # 100M on row 2 of the given order, "Low" row left empty
    matplotlib.pyplot.close("all")


def test_forest_without_hue_is_one_colour_and_has_ref_line():
    rows = pd.DataFrame({"pair": ["a", "b"], "estimate": [1.0, 2.0], "ci_low": [0.0, 1.0], "ci_high": [2.0, 3.0]})
    ax = plots.forest(rows, y="pair", color="black", ref=1.0)
    assert {to_hex(b.lines[0].get_color()) for b in errorbars(ax)} == {"#000000"}
    ref = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(ref) == 1 and ref[0].get_xdata()[0] == 1.0
    matplotlib.pyplot.close("all")


def test_dose_response_positions_and_colours():
    d = change_data()
    d6 = d[d.AVISITN == 6.0]
    ax = plots.dose_response(data=d6)
    bars = errorbars(ax)
    assert [b.get_label() for b in bars] == ["Placebo", "Low", "100M"]
    assert [b.lines[0].get_xdata()[0] for b in bars] == [0.0, 10.0, 100.0]
    assert [b.lines[0].get_ydata()[0] for b in bars] == pytest.approx([2.0, 8.0, 24.0])
    assert [to_hex(b.lines[0].get_color()) for b in bars] == [
        style.arm_color(a).lower() for a in ["Placebo", "Low", "100M"]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "10", "100"]
    assert ax.get_xlabel() == "Dose (million cells)"
    matplotlib.pyplot.close("all")


def test_facet_panels_titles_legend_and_shared_y():
    rows = pd.DataFrame({"paramcd": ["SIXMWD", "SIXMWD", "TNFA", "TNFA", "SPPB"],
                         "arm": ["Placebo", "100M", "Placebo", "100M", "100M"],
                         "estimate": [1.0, 2.0, -0.1, -0.5, 0.3], "ci_low": [0.0, 1.0, -0.3, -0.9, 0.1],
                         "ci_high": [2.0, 3.0, 0.1, -0.1, 0.5]})
    fig, axes = plots.facet(rows, "paramcd", plots.forest, col_order=["SIXMWD", "SPPB", "TNFA", "FEV1"], ncols=2,
                            sharey=True, title=lambda p: plots.parameter_info(p)["short"],
                            xlabel=lambda p: plots.axis_label(p, "panel_change"), legend_arms=["Placebo", "100M"],
                            y="arm", hue="arm", order=["Placebo", "100M"])
    assert list(axes) == ["SIXMWD", "SPPB", "TNFA"]  # FEV1 has no data: no panel
    assert len(fig.axes) == 3  # the unused fourth slot is removed
    assert [axes[p].get_title() for p in axes] == ["6MWD", "SPPB", "Serum TNF-\u03b1"]
    assert axes["TNFA"].get_xlabel() == "Change (pg/mL)\n(lower is better)"
    assert len(errorbars(axes["SPPB"])) == 1
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["Placebo", "100M"]
    assert [to_hex(h.get_color()) for h in legend.legend_handles] == [
        style.arm_color("Placebo").lower(), style.arm_color("100M").lower()]
    # shared y: labels on the first column only
    fig.canvas.draw()
    assert [t.label1.get_visible() for t in axes["SIXMWD"].yaxis.get_major_ticks()] == [True, True]
    assert not any(t.label1.get_visible() for t in axes["SPPB"].yaxis.get_major_ticks())
    assert [t.label1.get_visible() for t in axes["TNFA"].yaxis.get_major_ticks()] == [True, True]  # new row
    matplotlib.pyplot.close("all")


def test_facet_refuses_empty():
    with pytest.raises(ValueError, match="no data"):
        plots.facet(pd.DataFrame({"paramcd": []}), "paramcd", plots.forest, col_order=["A"])


def test_trajectory_figure_size_labels_and_legend():
    d = change_data()
    fig = plots.trajectory_figure(d, "SIXMWD", hue_order=["Placebo", "Low", "100M", "All"])
    w, h = fig.get_size_inches()
    assert w == pytest.approx(85 / 25.4) and h == pytest.approx(64 / 25.4)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Change in 6MWD (m)\n(higher is better)"
    assert ax.get_title() == "6-minute walk distance"
    # the legend lists only arms present in the data
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Placebo", "Low", "100M"]
    matplotlib.pyplot.close("all")


def test_log_ratio_axis_labels_ratios():
    _, axes = plots.panel_figure()
    ax = axes[0, 0]
    ax.set_ylim(math.log(0.6), math.log(1.6))
    plots.log_ratio_axis(ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["2/3", "0.8", "1", "1.25", "1.5"]
    assert ax.get_yticks()[2] == pytest.approx(0.0)
    ax.set_ylim(math.log(0.77), math.log(1.12))  # narrow: multiples of a round step
    plots.log_ratio_axis(ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.8", "0.85", "0.9", "0.95", "1", "1.05", "1.1"]
    matplotlib.pyplot.close("all")


def test_forest_figure_widths():
    rows = pd.DataFrame({"paramcd": ["SIXMWD", "TNFA"], "arm": ["100M", "100M"], "estimate": [1.0, -1.0],
                         "ci_low": [0.0, -2.0], "ci_high": [2.0, 0.0]})
    one = plots.forest_figure(rows, ["SIXMWD"], order=["100M"])
    two = plots.forest_figure(rows, ["SIXMWD", "TNFA", "FEV1"], order=["100M"], visits={"SIXMWD": 6.0, "TNFA": 6.0})
    assert one.get_size_inches()[0] == pytest.approx(85 / 25.4)
    assert two.get_size_inches()[0] == pytest.approx(174 / 25.4)
    assert [ax.get_title() for ax in two.axes] == ["6MWD, 6 months", "Serum TNF-\u03b1, 6 months"]
    matplotlib.pyplot.close("all")


def test_save_and_show_writes_stamped_deterministic_files(tmp_path):
    d = change_data()
    first = plots.save_and_show(plots.trajectory_figure(d, "SIXMWD"), "six_minute_walk", tmp_path / "a", "S",
                                "synthetic")
    second = plots.save_and_show(plots.trajectory_figure(d, "SIXMWD"), "six_minute_walk", tmp_path / "b", "S",
                                 "synthetic")
    assert [p.suffix for p in first] == [".pdf", ".svg", ".png"]
    assert first[0].parent == tmp_path / "a" / "figures" / "S"
    assert "SYNTHETIC DATA" in first[1].read_text()
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


# ---------------------------------------------------------------------------------------------- report pieces

def test_efficacy_rows_plan_and_pooled():
    d = change_data()
    rows = plots.efficacy_rows(d, "physical_performance", "supplied", ["SIXMWD"])
    assert list(rows.columns) == ESTIMATE_COLUMNS
    assert set(rows["comparison"]) == {"change_from_baseline", "vs_placebo"}
    assert set(rows.loc[rows.comparison == "vs_placebo", "method"]) == {"ancova", "hedges_g", "welch_t"}
    assert "All" not in set(rows["arm"])
    pooled = plots.efficacy_rows(d[d.TRT01A != "Placebo"], "x", "supplied", ["SIXMWD"], pool=True)
    # no placebo: vs placebo not estimable; the pooled arm has its own comparison and method names, so
    # the plan's change_from_baseline / paired_t rows stay one per TRT01A arm
    assert set(pooled["comparison"]) == {"change_from_baseline", "pooled_change_from_baseline"}
    assert "All" not in set(pooled.loc[pooled.method == "paired_t", "arm"])
    allrow = pooled[(pooled.arm == "All") & (pooled.visit == 6.0)].iloc[0]
    assert (allrow.comparison, allrow.method) == ("pooled_change_from_baseline", "paired_t_pooled")
    assert allrow["n"] == 6 and allrow["estimate"] == pytest.approx(np.mean([20, 22, 30, 6, 8, 10]))
    assert len(plots.efficacy_rows(d, "x", "supplied", [])) == 0


def test_findings_lines_arms_with_and_notes():
    d = change_data()
    rows = plots.efficacy_rows(d, "physical_performance", "supplied", ["SIXMWD"])
    main = {"SIXMWD": 6.0}
    at = plots.at_visits(rows, main)
    ch = at[at.comparison == "change_from_baseline"]
    pl = at[(at.comparison == "vs_placebo") & (at.method == "ancova")]
    lines = plots.findings_lines(ch, pl, ["SIXMWD"], main)
    assert lines[0] == "6-minute walk distance at 6 months (higher is better)"
    assert sum(line.startswith("  change in ") for line in lines) == 3
    assert sum("(ANCOVA)" in line for line in lines) == 2
    assert plots.arms_with(ch) == "SIXMWD: Low, 100M"  # placebo's interval includes 0
    assert plots.arms_with(ch.iloc[:0]) == "none"
    arms = pd.DataFrame({"arm": ["A"], "dose": [0.0], "subjects": [7]})
    assert plots.multiplicity_note(rows, arms, "S").startswith("Smallest arm: 7 subjects.")
    assert "NOT ESTIMABLE" in plots.placebo_note([]) and plots.placebo_note(["Control"]) == "Placebo arm: Control."


def test_visit_counts_columns_in_arm_order():
    counts = plots.visit_counts(change_data(), ["Placebo", "Low", "100M", "200M"])
    assert list(counts.columns) == ["Placebo", "Low", "100M"]
    assert counts.loc[("SIXMWD", 6.0)].tolist() == [3, 3, 3]


def test_vs_placebo_figure_labels():
    rows = pd.DataFrame({"paramcd": ["TNFA", "TNFA"], "arm": ["High", "Low"], "estimate": [-1.0, -0.5],
                         "ci_low": [-2.0, -1.0], "ci_high": [0.0, 0.2]})
    fig = plots.vs_placebo_figure(rows, ["TNFA"], ["Low", "High"], "Control", {"TNFA": 4.0})
    (ax,) = fig.axes
    assert ax.get_xlabel() == "Arm \u2212 Control (pg/mL)\n(lower is better)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Low", "High"]
    assert {to_hex(b.lines[0].get_color()) for b in errorbars(ax)} == {
        style.arm_color("Low").lower(), style.arm_color("High").lower()}
    matplotlib.pyplot.close("all")


def test_arms_table_on_toy_data(toy_data):
    from msc_frailty.data import add_change, load_trial

    trial = load_trial(toy_data).study("TOY-1")
    arms = plots.arms_table(trial)
    assert arms.to_dict("list") == {"arm": ["Control", "Low", "High"], "dose": [0.0, 10.0, 30.0],
                                    "subjects": [8, 8, 8]}
    chg = add_change(trial)
    main = {p: plots.main_visit(chg.loc[chg.PARAMCD == p, "AVISITN"]) for p in ["SIXMWD", "TNFA"]}
    assert main == {"SIXMWD": 4.0, "TNFA": 4.0}
    fig = plots.trajectory_figure(chg[chg.PARAMCD == "TNFA"], "TNFA", hue_order=arms["arm"])
    assert [ln.get_label() for ln in labelled_lines(fig.axes[0])] == ["Control", "Low", "High"]
    assert fig.axes[0].get_ylabel().endswith("(lower is better)")
    matplotlib.pyplot.close("all")
