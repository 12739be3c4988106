"""No figure's text runs outside its canvas (msc_frailty.style.text_outside_canvas), even with a real
trial's sizes: long arm labels (wrapped, msc_frailty.style.wrap_label), hundreds of serious events
(drawn as a summary by preferred term), the CONSORT "analysed" box naming the endpoint and visit unit.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import write_dataset  # noqa: E402

from msc_frailty import consort, style  # noqa: E402
from msc_frailty.analysis import tesae_proportions  # noqa: E402
from msc_frailty.data import load_trial  # noqa: E402

#: Arm labels as a real trial's data set spells them (TOY-1's Control/Low/High renamed).
LONG = {"Control": "Placebo", "Low": "Allogeneic MSC Low Dose (100 million cells)",
        "High": "Allogeneic MSC High Dose (200 million cells)"}
SOCS = {"Pneumonia": "Infections and infestations", "Urinary tract infection": "Infections and infestations",
        "Sepsis": "Infections and infestations", "Atrial fibrillation": "Cardiac disorders",
        "Myocardial infarction": "Cardiac disorders", "Cardiac failure congestive": "Cardiac disorders",
        "Fall": "Injury, poisoning and procedural complications", "Hip fracture":
        "Injury, poisoning and procedural complications", "Syncope": "Nervous system disorders",
        "Cerebrovascular accident": "Nervous system disorders", "Dehydration": "Metabolism and nutrition disorders",
        "Acute kidney injury": "Renal and urinary disorders", "Chronic obstructive pulmonary disease":
        "Respiratory, thoracic and mediastinal disorders", "General physical health deterioration":
        "General disorders and administration site conditions"}


def _rename_arms(folder):
    adsl = pd.read_csv(folder / "adsl.csv")
    adsl["TRT01A"] = adsl["TRT01A"].replace(LONG)
    adsl.to_csv(folder / "adsl.csv", index=False)
    return folder


@pytest.fixture
def long_arms(tmp_path):
    """TOY-1 with arm labels of a real trial's length."""
    return load_trial(_rename_arms(write_dataset(tmp_path / "long", studies=("TOY-1",)))).study("TOY-1")


def many_events(folder, n=300, soc=True, seed=7):
    """Replace adae with ``n`` serious events spread over the subjects and 14 terms (AEBODSYS when ``soc``)."""
    rng = np.random.default_rng(seed)
    adsl = pd.read_csv(folder / "adsl.csv")
    terms = list(SOCS)
    weights = np.linspace(3, 0.5, len(terms))
    ae = pd.DataFrame({"STUDYID": "TOY-1", "USUBJID": rng.choice(adsl["USUBJID"], n),
                       "AEDECOD": rng.choice(terms, n, p=weights / weights.sum()), "AESER": "Y",
                       "TRTEMFL": "Y", "ASTDY": rng.integers(-30, 150, n), "AEOUT": "RECOVERED"})
    ae.loc[:2, "AEOUT"] = "FATAL"
    if soc:
        ae["AEBODSYS"] = ae["AEDECOD"].map(SOCS)
    ae.to_csv(folder / "adae.csv", index=False)
    return folder


@pytest.fixture
def big(tmp_path):
    """TOY-1 with long arm labels and 300 serious events over 24 subjects in 3 arms."""
    folder = many_events(_rename_arms(write_dataset(tmp_path / "big", studies=("TOY-1",))))
    return load_trial(folder).study("TOY-1")


def _ticklabels(ax, axis="y"):
    return [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")()]


# ------------------------------------------------------------------------------ text_outside_canvas
def test_text_outside_canvas_names_the_cut_texts():
    fig, ax = style.figure("single", 40)
    fig.subplots_adjust(left=0.15, bottom=0.3, top=0.85)
    ax.set_title("inside")
    assert style.text_outside_canvas(fig) == []
    fig.text(0.95, 0.5, "runs off the right")
    fig.text(0.5, -0.05, "below the bottom")
    ax.annotate("annotation off the top", (0.5, 0.5), xytext=(0.5, 1.3), textcoords="figure fraction")
    out = sorted(style.text_outside_canvas(fig))
    assert len(out) == 3
    assert out[0].startswith("'annotation off the top' (top edge")
    assert out[1].startswith("'below the bottom' (bottom edge")
    assert out[2].startswith("'runs off the right' (right edge")
    plt.close(fig)


def test_tick_labels_and_legends_are_checked_but_undrawn_ticks_are_not():
    fig, ax = style.figure("single", 40)
    fig.subplots_adjust(left=0.1, bottom=0.3)
    ax.set_yticks([0, 1], ["a very long arm label cut at the left edge", "B"])
    ax.set_ylim(-0.5, 1.5)
    assert any("a very long arm label" in t for t in style.text_outside_canvas(fig))
    ax.set_yticks([0, 1], ["A", "B"])
    ax.plot([0, 1], [0, 1], label="legend entry far to the right")
    ax.legend(loc="center left", bbox_to_anchor=(0.9, 0.5))
    out = style.text_outside_canvas(fig)
    assert len(out) == 1 and out[0].startswith("'legend entry far to the right' (right edge")
    ax.get_legend().remove()
    # a tick the locator places beyond the axis limits is never drawn, so it is not "cut"
    ax.set_xticks([0, 0.5, 1])
    ax.set_xlim(0.1, 0.9)
    assert style.text_outside_canvas(fig) == []
    plt.close(fig)


@pytest.mark.parametrize("basis, fit", [("synthetic", None), ("published", None), ("supplied", False)])
def test_save_figure_refuses_text_outside_the_canvas_and_writes_nothing(tmp_path, basis, fit):
    # the collection's own figures stay strict (a text outside is a bug of the collection); a user's data set's
    # figures are fitted instead (test_labels.py), unless asked not to be
    fig, ax = style.figure("single", 40, layout="constrained")
    ax.set_xlabel("fine")
    fig.text(0.8, 0.5, "a note that does not fit in the figure")
    with pytest.raises(ValueError, match="'a note that does not fit in the figure' \\(right edge"):
        style.save_figure(fig, "cut", tmp_path, "TOY-1", basis, fit=fit)
    assert not (tmp_path / "figures").exists()
    plt.close(fig)


# ------------------------------------------------------------------------------ long arm labels
def test_long_arm_labels_wrap_and_fit_in_draw_tesae(long_arms):
    props = tesae_proportions(long_arms).query("paramcd == 'TESAE30' and comparison == 'proportion'")
    fig, ax = consort.draw_tesae(props.reset_index(drop=True), consort.pooled_active(long_arms))
    labels = _ticklabels(ax)
    assert labels[1] == style.wrap_label(LONG["Low"]) and "\n" in labels[1]
    assert labels[-1] == "Active arms pooled"
    assert style.text_outside_canvas(fig) == []
    plt.close(fig)


def test_long_arm_labels_wrap_and_fit_in_draw_events(long_arms):
    fig, ax = consort.draw_events(long_arms)
    assert _ticklabels(ax) == [style.wrap_label(a) for a in ["Placebo", LONG["Low"], LONG["High"]]]
    assert ax.get_xlabel().startswith("Study day of onset")      # few events: still the timeline
    assert style.text_outside_canvas(fig) == []
    plt.close(fig)


def test_long_arm_labels_wrap_and_fit_in_draw_consort(long_arms):
    fig, ax = consort.draw_consort(consort.consort_counts(long_arms))
    texts = [t.get_text() for t in ax.texts]
    assert "Allocated to Allogeneic MSC Low Dose (100 million cells)" in " ".join(texts)
    assert "Allocated to Allogeneic MSC Low Dose (100 million cells)" not in texts   # wrapped
    assert style.text_outside_canvas(fig) == []
    # every line stays inside its box (the boxes are the axes' rectangles, in the same data units)
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in ax.patches if type(p).__name__ == "Rectangle"]
    for t in ax.texts:
        ext = t.get_window_extent(renderer)
        assert any(b.x0 <= ext.x0 and ext.x1 <= b.x1 + 1 for b in boxes), t.get_text()
    plt.close(fig)


def test_many_arms_with_long_labels_in_draw_consort(tmp_path):
    folder = write_dataset(tmp_path / "six", studies=("TOY-1",))
    adsl = pd.read_csv(folder / "adsl.csv")
    adsl["TRT01AN"] = [0, 5, 10, 20, 40, 80] * 4
    adsl["TRT01A"] = adsl["TRT01AN"].map(lambda d: "Placebo" if d == 0 else f"Allogeneic MSC {d} million cells")
    adsl.to_csv(folder / "adsl.csv", index=False)
    fig, _ = consort.draw_consort(consort.consort_counts(load_trial(folder).study("TOY-1")))
    assert style.text_outside_canvas(fig) == []
    plt.close(fig)


# ------------------------------------------------------------------------------ many serious events
def test_many_serious_events_are_drawn_as_a_summary_by_term(big):
    fig, ax = consort.draw_events(big)
    ae = big.adae.merge(big.adsl[["USUBJID", "TRT01A"]], on="USUBJID")
    per_term = ae.groupby("AEDECOD")["USUBJID"].nunique().reset_index(name="n")
    ranked = per_term.sort_values(["n", "AEDECOD"], ascending=[False, True])["AEDECOD"].tolist()
    top, rest = ranked[:consort.TOP_TERMS], ranked[consort.TOP_TERMS:]
    labels = [t.replace("\n", " ") for t in _ticklabels(ax)]
    # every top term drawn, under its system organ class, then "other (4 terms)"
    assert set(top) <= set(labels)
    assert labels[-1] == f"other ({len(rest)} terms)" and len(rest) == 4
    socs = [lab for lab in labels if lab not in top and not lab.startswith("other")]
    assert set(socs) == {SOCS[t] for t in top}
    for term in top:
        assert labels.index(SOCS[term]) < labels.index(term)
    # one bar per arm and term, its length the pandas count of subjects with the term in that arm
    arms = ["Placebo", LONG["Low"], LONG["High"]]
    bars = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
    assert len(bars) == 3 * (len(top) + 1)
    drawn = {}
    for bar in bars:
        row = round(bar.get_y() + bar.get_height() / 2)
        drawn.setdefault(labels[row], []).append(bar.get_width())
    for term in top:
        want = [ae[(ae.AEDECOD == term) & (ae.TRT01A == a)].USUBJID.nunique() for a in arms]
        assert drawn[term] == want, term
    other = [ae[ae.AEDECOD.isin(rest) & (ae.TRT01A == a)].USUBJID.nunique() for a in arms]
    assert drawn[labels[-1]] == other
    # n per arm and deaths in the legend
    legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    deaths = ae[ae.AEOUT == "FATAL"].groupby("TRT01A").USUBJID.nunique()
    assert legend == [f"{a} (n = 8; {int(deaths.get(a, 0))} died)" for a in arms]
    assert "300 serious events" in ax.get_xlabel()
    assert style.text_outside_canvas(fig) == []
    plt.close(fig)


def test_summary_without_system_organ_class(tmp_path):
    folder = many_events(write_dataset(tmp_path / "nosoc", studies=("TOY-1",)), n=60, soc=False)
    trial = load_trial(folder).study("TOY-1")
    fig, ax = consort.draw_events(trial)
    labels = [t.replace("\n", " ") for t in _ticklabels(ax)]
    assert not set(labels) & set(SOCS.values())
    assert len(labels) == consort.TOP_TERMS + 1
    assert style.text_outside_canvas(fig) == []
    plt.close(fig)


def test_threshold_keeps_the_timeline_for_few_events(tmp_path):
    folder = many_events(write_dataset(tmp_path / "forty", studies=("TOY-1",)), n=consort.MAX_EVENT_MARKS)
    fig, ax = consort.draw_events(load_trial(folder).study("TOY-1"))
    assert ax.get_xlabel().startswith("Study day of onset")
    plt.close(fig)


# ------------------------------------------------------------------------------ CONSORT endpoint
def _weeks(folder, visit_names):
    eff = pd.read_csv(folder / "adeff.csv")
    eff["AVISIT"] = eff["AVISITN"].map(visit_names)
    eff.to_csv(folder / "adeff.csv", index=False)
    return folder


def test_consort_box_names_endpoint_and_visit_in_weeks(tmp_path):
    folder = _weeks(write_dataset(tmp_path / "wk", studies=("TOY-1",)), {0: "Baseline", 2: "Week 2", 4: "Week 4"})
    trial = load_trial(folder).study("TOY-1")
    counts = consort.consort_counts(trial)
    an = counts[counts.stage == "analysed"]
    assert an.visit_label.tolist() == ["Week 2"] * 3 + ["Week 4"] * 3
    fig, ax = consort.draw_consort(counts)
    texts = [t.get_text() for t in ax.texts]
    # the parameter the flow follows, in full: not a "primary endpoint", which nobody stated
    assert texts.count("Analysed for") == 3 and texts.count("6-minute walk distance") == 3
    assert not [t for t in texts if "rimary" in t]
    assert "Week 4: n = 8" in texts and not any(t.startswith("Month") for t in texts)
    plt.close(fig)
    # stated primary (params.csv primary = Y): the full name on the line of "Primary endpoint:" when the box
    # (180 mm over three arms) has room
    _params(folder, [("SIXMWD", "6-minute walk distance", "m", "higher_better", "", "Y")])
    trial = load_trial(folder).study("TOY-1")
    assert consort.stated_primary(trial) == "SIXMWD"
    fig, ax = consort.draw_consort(consort.consort_counts(trial), primary=True)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("Primary endpoint: 6-minute walk distance") == 3 and "Analysed for" not in texts
    plt.close(fig)


def test_event_axis_follows_the_visit_unit(tmp_path):
    # the last visit is AVISITN 4: 4 weeks is day 29, 4 months about day 123
    folder = write_dataset(tmp_path / "unit", studies=("TOY-1",))
    months = consort.draw_events(load_trial(folder).study("TOY-1"))[1].get_xlim()[1]
    _weeks(folder, {0: "Baseline", 2: "Week 2", 4: "Week 4"})
    weeks = consort.draw_events(load_trial(folder).study("TOY-1"))[1].get_xlim()[1]
    assert months == pytest.approx((1 + 4 * consort.DAYS_PER_MONTH) * 1.04)
    assert weeks == pytest.approx(45 * 1.04)             # the AE on day 45 is the last day, not week 4
    plt.close("all")


def test_consort_visits_default_to_months(tmp_path):
    trial = load_trial(write_dataset(tmp_path / "mo", studies=("TOY-1",))).study("TOY-1")
    fig, ax = consort.draw_consort(consort.consort_counts(trial))
    assert "Month 4: n = 8" in [t.get_text() for t in ax.texts]
    plt.close(fig)


def test_visit_labels_name_days_or_keep_the_data_label(tmp_path):
    folder = _weeks(write_dataset(tmp_path / "d", studies=("TOY-1",)), {0: "Day 1", 2: "Day 15", 4: "Day 29"})
    assert consort.visit_labels(load_trial(folder).study("TOY-1"), "SIXMWD") == {2: "Day 15", 4: "Day 29"}
    _weeks(folder, {0: "Baseline", 2: "Day 15", 4: ""})        # a visit without a label: its number, in days
    assert consort.visit_labels(load_trial(folder).study("TOY-1"), "SIXMWD") == {2: "Day 15", 4: "Day 4"}


def _params(folder, rows):
    pd.DataFrame(rows, columns=["PARAMCD", "PARAM", "unit", "direction", "finding", "primary"]).to_csv(
        folder / "params.csv", index=False)


def test_flow_param_without_built_in_parameters(tmp_path):
    folder = write_dataset(tmp_path / "p", studies=("TOY-1",))
    eff = pd.read_csv(folder / "adeff.csv")
    eff["PARAMCD"] = eff["PARAMCD"].map({"SIXMWD": "ZGAIT", "TNFA": "ACRP"})   # ZGAIT first in data order
    eff.to_csv(folder / "adeff.csv", index=False)
    trial = load_trial(folder).study("TOY-1")
    assert consort.flow_param(trial) == "ZGAIT" and consort.stated_primary(trial) is None  # not alphabetical ACRP
    _params(folder, [("ZGAIT", "Gait speed", "m/s", "higher_better", "", ""),
                     ("ACRP", "C-reactive protein", "mg/L", "lower_better", "", "Y")])
    trial = load_trial(folder).study("TOY-1")
    assert consort.flow_param(trial) == consort.stated_primary(trial) == "ACRP"
    fig, ax = consort.draw_consort(consort.consort_counts(trial), primary=True)
    assert "Primary endpoint: ACRP" in [t.get_text() for t in ax.texts]
    plt.close(fig)


def test_a_stated_primary_endpoint_comes_before_the_built_in_order(tmp_path):
    # TNF-alpha marked primary in params.csv: the flow follows it, not the 6-minute walk distance
    folder = write_dataset(tmp_path / "s", studies=("TOY-1",))
    _params(folder, [("TNFA", "Serum TNF-alpha", "pg/mL", "lower_better", "", "Y")])
    trial = load_trial(folder).study("TOY-1")
    assert consort.stated_primary(trial) == consort.flow_param(trial) == "TNFA"
    assert set(consort.consort_counts(trial).query("stage == 'analysed'").param) == {"TNFA"}


@pytest.mark.parametrize("codes, expected", [(["TNFA", "SQOLF", "SPPB"], "SPPB"), (["SF36PCS", "FEV1"], "FEV1"),
                                             (["TNFA", "SQOLF"], "SQOLF")])
def test_flow_param_takes_built_in_physical_parameters_in_order(tmp_path, codes, expected):
    folder = write_dataset(tmp_path / "b", studies=("TOY-1",))
    eff = pd.read_csv(folder / "adeff.csv")
    eff = pd.concat([eff[eff.PARAMCD == "SIXMWD"].assign(PARAMCD=c) for c in codes])
    eff.to_csv(folder / "adeff.csv", index=False)
    trial = load_trial(folder).study("TOY-1")
    assert consort.flow_param(trial) == expected and consort.stated_primary(trial) is None


def test_long_arm_labels_keep_their_own_colour_and_marker_in_draw_tesae(long_arms):
    # "Allogeneic ..." starts like "All", the collection's pooled arm, and must not be drawn as one
    from matplotlib.colors import to_hex

    props = tesae_proportions(long_arms).query("paramcd == 'TESAE30' and comparison == 'proportion'")
    fig, ax = consort.draw_tesae(props.reset_index(drop=True), consort.pooled_active(long_arms))
    colours = [to_hex(c) for c in ax.collections[-1].get_facecolors()]
    assert colours == [style.arm_color(a).lower() for a in ("Placebo", LONG["Low"], LONG["High"], "All")]
    assert len(set(colours)) == 4
    assert style.text_outside_canvas(fig) == [] and style.print_problems(fig) == []
    plt.close(fig)
