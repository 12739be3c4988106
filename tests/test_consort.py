"""CONSORT flow counts and their checks, Table 1 and the harms helpers (msc_frailty.consort).

Uses the toy data set of conftest.py: TOY-1 Control/Low/High (dose 0/10/30) with 8 subjects each,
TOY-2 A/B (no placebo) with 6 each, visits 0, 2, 4 for SIXMWD and TNFA, one TE-SAE within 30 days
(T1-H03, Pneumonia, day 12) and one serious AE outside it (T1-L05, day 45).
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import write_dataset

from msc_frailty import consort, stats
from msc_frailty.analysis import tesae_proportions
from msc_frailty.data import load_trial


def counts_of(rows):
    return pd.DataFrame(rows, columns=["stage", "visit", "arm", "n"])


GOOD = [("in_data_set", np.nan, consort.TOTAL, 30),
        ("allocated", np.nan, "Placebo", 10), ("allocated", np.nan, "100M", 10), ("allocated", np.nan, "200M", 10),
        ("infused", np.nan, "Placebo", 10), ("infused", np.nan, "100M", 9), ("infused", np.nan, "200M", 10),
        ("analysed", 3.0, "Placebo", 10), ("analysed", 3.0, "100M", 8), ("analysed", 3.0, "200M", 9),
        ("analysed", 6.0, "Placebo", 9), ("analysed", 6.0, "100M", 9), ("analysed", 6.0, "200M", 10)]


def replace(rows, stage, visit, arm, n):
    out = []
    for r in rows:
        same = r[0] == stage and r[2] == arm and ((pd.isna(r[1]) and pd.isna(visit)) or r[1] == visit)
        out.append((r[0], r[1], r[2], n) if same else r)
    return out


@pytest.fixture
def toy(tmp_path):
    return load_trial(write_dataset(tmp_path / "toy"))


@pytest.fixture
def toy_edited(tmp_path):
    """TOY-1 with T1-H08 not infused and T1-L02's month-2 SIXMWD value and T1-C01's baseline removed."""
    folder = write_dataset(tmp_path / "edited")
    adsl = pd.read_csv(folder / "adsl.csv")
    adsl.loc[adsl.USUBJID == "T1-H08", "SAFFL"] = "N"
    adsl.to_csv(folder / "adsl.csv", index=False)
    eff = pd.read_csv(folder / "adeff.csv")
    drop = (((eff.USUBJID == "T1-L02") & (eff.AVISITN == 2)) | ((eff.USUBJID == "T1-C01") & (eff.AVISITN == 0))) \
        & (eff.PARAMCD == "SIXMWD")
    eff[~drop].to_csv(folder / "adeff.csv", index=False)
    return load_trial(folder)


# ------------------------------------------------------------------------------------------- counts

def test_counts_of_the_toy_study(toy):
    c = consort.consort_counts(toy.study("TOY-1"))
    assert list(c.columns) == consort.COUNT_COLUMNS
    assert c.stage.tolist() == ["in_data_set"] + ["allocated"] * 3 + ["infused"] * 3 + ["analysed"] * 6
    assert c.iloc[0].tolist()[3:5] == [consort.TOTAL, 24]
    alloc = c[c.stage == "allocated"]
    assert alloc.arm.tolist() == ["Control", "Low", "High"]  # placebo first, then by dose
    assert alloc.n.tolist() == [8, 8, 8]
    an = c[c.stage == "analysed"]
    assert set(an.param) == {"SIXMWD"} and an.visit.tolist() == [2.0, 2.0, 2.0, 4.0, 4.0, 4.0]
    assert an.n.tolist() == [8] * 6
    assert consort.check_consort(c) is c


def test_counts_follow_saffl_baseline_and_visits(toy_edited):
    c = consort.consort_counts(toy_edited.study("TOY-1"))
    get = lambda stage, arm, visit=None: int(c[(c.stage == stage) & (c.arm == arm)  # noqa: E731
                                              & ((c.visit == visit) if visit else c.visit.isna())].n.iloc[0])
    assert get("allocated", "High") == 8 and get("infused", "High") == 7
    assert get("analysed", "High", 2.0) == 7 and get("analysed", "High", 4.0) == 7
    assert get("analysed", "Low", 2.0) == 7 and get("analysed", "Low", 4.0) == 8  # missed month 2 only
    assert get("analysed", "Control", 2.0) == 7 and get("analysed", "Control", 4.0) == 7  # no baseline
    consort.check_consort(c)


def test_counts_name_losses_per_visit_and_deaths_before_them(tmp_path):
    """A subject who died on day 50 has no month-2 or month-4 value: missing at both visits, and counted as
    having died (a death before the visit's nominal day, 1 + 2 x 30.4); one who missed month 4 alive is missing
    there only. The diagram says so in the arm's analysed box."""
    folder = write_dataset(tmp_path / "dropout", studies=("TOY-1",))
    eff = pd.read_csv(folder / "adeff.csv")
    gone = ((eff.USUBJID == "T1-H02") & (eff.AVISITN > 0)) | ((eff.USUBJID == "T1-H04") & (eff.AVISITN == 4))
    eff[~gone].to_csv(folder / "adeff.csv", index=False)
    ae = pd.read_csv(folder / "adae.csv")
    ae.loc[len(ae)] = ["TOY-1", "T1-H02", "Death", "Y", "Y", 50, "FATAL"]
    ae.to_csv(folder / "adae.csv", index=False)
    c = consort.consort_counts(load_trial(folder).study("TOY-1"))
    high = c[(c.stage == "analysed") & (c.arm == "High")]
    assert high[["visit", "n", "died"]].values.tolist() == [[2.0, 7, 1], [4.0, 6, 1]]
    assert (c[c.arm != "High"].died == 0).all()
    consort.check_consort(c)
    fig, ax = consort.draw_consort(c)
    texts = [t.get_text() for t in ax.texts]
    assert "Month 2: n = 7 (1 missing; 1 had died)" in texts and "Month 4: n = 6 (2 missing; 1 had died)" in texts
    assert "Month 4: n = 8" in texts                                   # the other arms complete
    plt.close(fig)


def test_counts_refuse_more_deaths_than_missing_subjects():
    rows = pd.DataFrame(GOOD, columns=["stage", "visit", "arm", "n"]).assign(died=0)
    rows.loc[(rows.stage == "analysed") & (rows.visit == 3.0) & (rows.arm == "100M"), "died"] = 1   # 1 of 1 missing
    consort.check_consort(rows)
    rows.loc[(rows.stage == "analysed") & (rows.visit == 3.0) & (rows.arm == "Placebo"), "died"] = 1  # none missing
    with pytest.raises(ValueError, match=r"stage 'analysed' \(visit 3\), arm 'Placebo': 1 died of the 0 not analysed"):
        consort.check_consort(rows)


def test_the_flow_diagram_speaks_a_readers_words(toy):
    """No ADaM table name on the diagram (it said "every subject in adsl"), the parameter named in words. The top
    box counts the subjects in the data set, which is not an enrolment count (LOMECEL-P2B enrolled 150 and
    randomized 148, the 148 alone being data): never "Enrolled". Nobody stated a primary endpoint (the toy data set
    has no params.csv): no box calls the 6-minute walk distance one."""
    from msc_frailty.captions import wording_problems

    fig, ax = consort.draw_consort(consort.consort_counts(toy.study("TOY-1")))
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "In the data set: n = 24"
    assert not [t for t in texts if "nrol" in t or "every subject" in t or "rimary" in t]
    assert texts.count("Analysed for") == 3 and texts.count("6-minute walk distance") == 3
    assert [p for t in texts for p in wording_problems(t)] == []
    plt.close(fig)


def test_no_primary_endpoint_on_the_default_data_and_the_top_box():
    """The record's primary endpoints are TE-SAE incidence at 1 month (CRATUS Phase 1 and 2) and 6MWD at day 180
    (Phase 2b); the data set states none of them, so no CONSORT box of the default data says "Primary endpoint"."""
    from msc_frailty.paths import DEFAULT_DATA

    trial = load_trial(DEFAULT_DATA)
    for study, n in (("CRATUS-P1", 15), ("CRATUS-P2", 30), ("LOMECEL-P2B", 148)):
        one = trial.study(study)
        assert consort.stated_primary(one) is None
        d = consort.disposition_counts(one)
        fig, ax = consort.draw_consort(consort.consort_counts(one), disposition=d)
        texts = [t.get_text() for t in ax.texts]
        assert texts[0] == f"In the data set: n = {n}"
        assert not [t for t in texts if "rimary" in t or "nrol" in t]
        # a follow-up box per arm, each with its discontinued (the reasons: test_disposition_of_the_default_data...)
        assert texts.count("Follow-up") == d.arm.nunique() == len(consort.arm_order(one))
        assert sorted(t for t in texts if t.startswith("Discontinued: n = ")) == sorted(
            f"Discontinued: n = {g[g.status == 'discontinued'].n.sum()}" for _, g in d.groupby("arm"))
        plt.close(fig)


# ------------------------------------------------------------------------------------- disposition

def test_disposition_of_the_default_data_adds_up_and_gives_reasons():
    """adsl EOSSTT/DCSREAS/DTHFL: the CRATUS-P1 death (DCSREAS = DEATH) and every other discontinuation with its
    reason, per arm; completed + discontinued = infused; the reasons add up to the discontinued."""
    from msc_frailty.paths import DEFAULT_DATA

    trial = load_trial(DEFAULT_DATA)
    for study in trial.studies:
        one = trial.study(study)
        d = consort.disposition_counts(one)
        counts = consort.consort_counts(one)
        assert consort.check_disposition(d, counts) is d
        saf = one.adsl[one.adsl.SAFFL == "Y"]
        for arm, g in d.groupby("arm"):
            assert g.n.sum() == (saf.TRT01A == arm).sum()
            gone = saf[(saf.TRT01A == arm) & (saf.EOSSTT == "DISCONTINUED")]
            assert g[g.status == "discontinued"].n.sum() == len(gone)
            expected = gone.DCSREAS.str.lower().value_counts().to_dict()
            got = {r: k for r, k in zip(g.reason, g.n) if r}
            assert got == expected, (study, arm)
    p1 = consort.disposition_counts(trial.study("CRATUS-P1"))
    assert p1[p1.arm == "200M"][["status", "reason", "n"]].values.tolist() == [["completed", "", 4],
                                                                               ["discontinued", "death", 1]]


def test_follow_up_box_lists_each_reason_and_the_unrecorded(tmp_path):
    folder = write_dataset(tmp_path / "disp", studies=("TOY-1",))
    adsl = pd.read_csv(folder / "adsl.csv")
    adsl["EOSSTT"] = "COMPLETED"
    adsl["DCSREAS"] = ""
    adsl["DTHFL"] = ""
    high = adsl.TRT01A == "High"
    adsl.loc[adsl.index[high][:4], "EOSSTT"] = "DISCONTINUED"
    adsl.loc[adsl.index[high][:4], "DCSREAS"] = ["WITHDRAWAL BY SUBJECT", "WITHDRAWAL BY SUBJECT", "", ""]
    adsl.loc[adsl.index[high][2], "DTHFL"] = "Y"                    # died, no reason recorded: a death
    adsl.loc[adsl.index[adsl.TRT01A == "Low"][0], "EOSSTT"] = ""     # status not recorded: counted, never dropped
    adsl.to_csv(folder / "adsl.csv", index=False)
    trial = load_trial(folder).study("TOY-1")
    d = consort.disposition_counts(trial)
    assert d.values.tolist() == [
        ["Control", "completed", "", 8], ["Control", "discontinued", "", 0],
        ["Low", "completed", "", 7], ["Low", "discontinued", "", 0], ["Low", "not recorded", "", 1],
        ["High", "completed", "", 4], ["High", "discontinued", "withdrawal by subject", 2],
        ["High", "discontinued", "death", 1], ["High", "discontinued", "reason not recorded", 1]]
    fig, ax = consort.draw_consort(consort.consort_counts(trial), disposition=d)
    texts = [t.get_text() for t in ax.texts]
    for line in ("Discontinued: n = 4", "\u2013 withdrawal by subject: 2", "\u2013 death: 1",
                 "\u2013 reason not recorded: 1", "Not recorded: n = 1", "Completed: n = 7"):
        assert line in texts, line
    plt.close(fig)


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.assign(n=d.n.where(d.index != 0, 7)), r"follow-up, arm 'Control': completed 7 \+ discontinued 0 = 7, "
                                                       r"not the 8 infused"),
    (lambda d: d.assign(n=d.n.where(d.index != 0, -1)), r"follow-up, arm 'Control': count -1 is not a whole number"),
    (lambda d: d[d.arm != "High"], r"follow-up, arm 'High': allocated arm missing"),
    (lambda d: pd.concat([d, pd.DataFrame([["Extra", "completed", "", 1]], columns=d.columns)]),
     r"follow-up, arm 'Extra': not an allocated arm"),
])
def test_disposition_that_does_not_add_up_is_refused(tmp_path, edit, match):
    folder = write_dataset(tmp_path / "bad", studies=("TOY-1",))
    adsl = pd.read_csv(folder / "adsl.csv").assign(EOSSTT="COMPLETED")
    adsl.to_csv(folder / "adsl.csv", index=False)
    trial = load_trial(folder).study("TOY-1")
    counts, d = consort.consort_counts(trial), consort.disposition_counts(trial)
    consort.check_disposition(d, counts)
    with pytest.raises(ValueError, match=match):
        consort.draw_consort(counts, disposition=edit(d).reset_index(drop=True))


def test_data_without_end_of_study_columns_have_no_follow_up_boxes(toy, tmp_path):
    """The toy and ADaM fixtures have no EOSSTT: an empty disposition, and the flow as before."""
    from msc_frailty.adam_fixture import write_fixture

    adam = load_trial(write_fixture(tmp_path / "adam", combined=True))
    for trial in (toy, adam):
        one = trial.study(trial.studies[0])
        assert "EOSSTT" not in one.adsl.columns
        d = consort.disposition_counts(one)
        assert d.empty and list(d.columns) == consort.DISPOSITION_COLUMNS
        assert consort.check_disposition(d, consort.consort_counts(one)) is d      # nothing to check, no error
        fig, ax = consort.draw_consort(consort.consort_counts(one), disposition=d)
        texts = [t.get_text() for t in ax.texts]
        assert "Follow-up" not in texts and texts[0].startswith("In the data set: n = ")
        plt.close(fig)


def test_other_parameter_and_study_without_placebo(toy):
    c = consort.consort_counts(toy.study("TOY-2"), param="TNFA")
    assert c[c.stage == "allocated"].arm.tolist() == ["A", "B"]
    assert set(c[c.stage == "analysed"].param) == {"TNFA"}
    assert c[c.stage == "in_data_set"].n.iloc[0] == 12


def test_flow_param_falls_back_to_the_first_code(tmp_path):
    folder = write_dataset(tmp_path / "d", studies=("TOY-2",))
    eff = pd.read_csv(folder / "adeff.csv")
    eff[eff.PARAMCD == "TNFA"].to_csv(folder / "adeff.csv", index=False)
    trial = load_trial(folder)
    assert consort.flow_param(trial) == "TNFA"
    assert consort.flow_param(load_trial(write_dataset(tmp_path / "e"))) == "SIXMWD"


def test_counts_refuse_unknown_parameter_and_several_studies(toy):
    with pytest.raises(ValueError, match="'GRIP' has no rows"):
        consort.consort_counts(toy.study("TOY-1"), param="GRIP")
    with pytest.raises(ValueError, match="one study"):
        consort.consort_counts(toy)


# ------------------------------------------------------------------------------------------- checks

def test_good_counts_pass():
    consort.check_consort(counts_of(GOOD))


@pytest.mark.parametrize("rows, match", [
    (replace(GOOD, "allocated", np.nan, "200M", 9),
     r"stage 'allocated': arm counts \(Placebo = 10, 100M = 10, 200M = 9\) sum to 29, not the 30 in the data set"),
    (replace(GOOD, "infused", np.nan, "100M", 11), r"stage 'infused', arm '100M': 11 is more than the 10 allocated"),
    (replace(GOOD, "analysed", 6.0, "100M", 10),
     r"stage 'analysed' \(visit 6\), arm '100M': 10 is more than the 9 infused"),
    (replace(GOOD, "analysed", 3.0, "Placebo", -1), r"stage 'analysed' \(visit 3\), arm 'Placebo': negative count"),
    (replace(GOOD, "infused", np.nan, "200M", 9.5), r"stage 'infused', arm '200M': count 9.5 is not a whole number"),
    (GOOD + [("infused", np.nan, "50M", 1)], r"stage 'infused', arm '50M': not an allocated arm"),
    ([r for r in GOOD if not (r[0] == "infused" and r[2] == "200M")],
     r"stage 'infused', arm '200M': allocated arm missing"),
    (GOOD + [("infused", np.nan, consort.TOTAL, 30)],
     r"stage 'infused', arm 'All arms': total 30 is not the sum 29"),
    (GOOD + [("analysed", 3.0, "100M", 8)], r"stage 'analysed' \(visit 3\), arm '100M': counted twice"),
    (GOOD[1:], r"stage 'in_data_set' needs exactly one row"),
    (GOOD + [("followed", np.nan, "100M", 1)], r"unknown stage"),
])
def test_inconsistent_counts_raise(rows, match):
    with pytest.raises(ValueError, match=match):
        consort.check_consort(counts_of(rows))


def test_visit_column_is_optional():
    rows = [("in_data_set", consort.TOTAL, 5), ("allocated", "X", 3), ("allocated", "Y", 2),
            ("infused", "X", 3), ("infused", "Y", 3)]
    with pytest.raises(ValueError, match=r"stage 'infused', arm 'Y': 3 is more than the 2 allocated"):
        consort.check_consort(pd.DataFrame(rows, columns=["stage", "arm", "n"]))


def test_draw_refuses_inconsistent_counts_and_draws_good_ones(toy):
    with pytest.raises(ValueError, match="sum to 29"):
        consort.draw_consort(counts_of(replace(GOOD, "allocated", np.nan, "200M", 9)))
    fig, ax = consort.draw_consort(consort.consort_counts(toy.study("TOY-1")))
    texts = [t.get_text() for t in ax.texts]
    assert "In the data set: n = 24" in texts and "Allocated to High" in texts and "Month 4: n = 8" in texts
    assert fig.get_size_inches()[0] == pytest.approx(180 / 25.4)
    assert ax.get_xlim() == (0, pytest.approx(180))        # data units are millimetres of the page
    plt.close(fig)


# ------------------------------------------------------------------------------------------- table 1

def test_baseline_table(toy, tmp_path):
    trial = toy.study("TOY-1")
    table, flat = consort.baseline_table(trial)
    assert flat.columns.tolist() == ["variable", "level", "Missing", "Overall", "Control", "Low", "High"]
    assert flat.iloc[0, 3:].tolist() == ["24", "8", "8", "8"]
    age = flat[flat.variable.str.startswith("Age")].iloc[0]
    a = trial.adsl.AGE
    assert age["Overall"] == f"{a.mean():.1f} ({a.std(ddof=1):.1f})"
    assert any(flat.variable.str.startswith("6-minute walk distance (m)"))
    path = consort.save_table(flat, tmp_path, "table1_TOY-1")
    first = path.read_bytes()
    consort.save_table(consort.baseline_table(trial)[1], tmp_path, "table1_TOY-1")
    assert path.read_bytes() == first and b"\r\n" not in first


# ------------------------------------------------------------------------------------------- harms

def test_zero_event_bounds():
    b = consort.zero_event_bounds([10, 5, 10]).set_index("n")
    assert b.index.tolist() == [5, 10]
    assert b.loc[5, "exact_two_sided"] == pytest.approx(1 - 0.025 ** (1 / 5)) == pytest.approx(0.5218, abs=1e-4)
    assert b.loc[10, "exact_two_sided"] == pytest.approx(0.3085, abs=1e-4)
    assert b.loc[10, "exact_one_sided"] == pytest.approx(1 - 0.05 ** 0.1)
    assert b.loc[5, "rule_of_three"] == pytest.approx(0.6)  # looser than even the two-sided bound at n = 5


def test_pooled_active_and_ae_summary(toy):
    trial = toy.study("TOY-1")
    pooled = consort.pooled_active(trial)
    assert (pooled["k"], pooled["n"]) == (1, 16)
    assert (pooled["ci_low"], pooled["ci_high"]) == stats.clopper_pearson(1, 16)
    t = consort.ae_summary(trial)
    assert t.columns.tolist() == ["Control (N = 8)", "Low (N = 8)", "High (N = 8)"]
    assert t.loc["Any serious AE"].tolist() == ["0 (0.0%)", "1 (12.5%)", "1 (12.5%)"]
    assert t.loc["TE-SAE on days 1-30"].tolist() == ["0 (0.0%)", "0 (0.0%)", "1 (12.5%)"]
    assert t.loc["  Pneumonia", "High (N = 8)"] == "1 (12.5%)"


def test_nothing_to_pool_with_one_active_arm(tmp_path):
    folder = write_dataset(tmp_path / "one", studies=("TOY-1",))
    for name in ("adsl.csv", "adeff.csv", "adae.csv"):
        df = pd.read_csv(folder / name)
        df[~df.USUBJID.str.startswith("T1-H")].to_csv(folder / name, index=False)
    trial = load_trial(folder).study("TOY-1")
    assert consort.pooled_active(trial) is None
    fig, ax = consort.draw_tesae(tesae_proportions(trial).query("comparison == 'proportion'"), None)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Control", "Low"]
    plt.close(fig)


def test_no_adverse_events_at_all(tmp_path):
    """Nothing to show is a sentence, not a figure: no event timeline of empty rows saying "no events"."""
    trial = load_trial(write_dataset(tmp_path / "none", empty_ae=True)).study("TOY-2")
    t = consort.ae_summary(trial)
    assert len(t) == 5 and (t == "0 (0.0%)").all().all()
    assert consort.death_listing(trial).empty
    assert consort.events_to_draw(trial) == 0 and consort.event_kinds(trial) == []
    with pytest.raises(ValueError, match="TOY-2: no serious adverse event or death with a known onset day to draw"):
        consort.draw_events(trial)


def test_serious_events_of_unknown_onset_only_are_not_a_figure(tmp_path):
    folder = write_dataset(tmp_path / "unknown", studies=("TOY-2",))
    ae = pd.read_csv(folder / "adae.csv")
    ae.loc[len(ae)] = ["TOY-2", "T2-A01", "Fall", "Y", "Y", None, "RECOVERED"]
    ae.to_csv(folder / "adae.csv", index=False)
    trial = load_trial(folder).study("TOY-2")
    assert len(consort.serious_events(trial)) == 1 and consort.events_to_draw(trial) == 0
    with pytest.raises(ValueError, match="nothing to show is a sentence"):
        consort.draw_events(trial)


def _legend_entries(ax) -> list[tuple[str, str]]:
    """(label, marker) of each entry of the legend of ``ax``: marker "" for a patch (the window shading)."""
    legend = ax.get_legend()
    return [(t.get_text(), getattr(h, "get_marker", lambda: "")()) for t, h in zip(legend.get_texts(), legend.legend_handles)]


def test_the_event_legend_holds_only_the_marks_drawn(toy, tmp_path):
    """TOY-1 has two treatment-emergent serious AEs and no death, no non-emergent one: the legend names those
    marks and the window shading, nothing else; each mark drawn is one the legend explains."""
    trial = toy.study("TOY-1")
    assert consort.event_kinds(trial) == ["emergent"]
    fig, ax = consort.draw_events(trial)
    assert _legend_entries(ax) == [("Serious AE, treatment-emergent", "o"),
                                   ("TE-SAE window (days 1\u201330)", "")]
    drawn = [(line.get_marker(), line.get_markerfacecolor()) for line in ax.lines if len(line.get_xdata()) == 1]
    assert len(drawn) == 2 and all(m == "o" and f != "white" for m, f in drawn)
    assert "fewer is better" not in ax.get_xlabel() and "better" not in ax.get_xlabel()
    plt.close(fig)
    # a death and a serious AE that was not treatment-emergent add their marks, in the legend's order
    folder = write_dataset(tmp_path / "kinds", studies=("TOY-1",))
    ae = pd.read_csv(folder / "adae.csv")
    ae.loc[len(ae)] = ["TOY-1", "T1-H02", "Death", "Y", "Y", 259, "FATAL"]
    ae.loc[len(ae)] = ["TOY-1", "T1-C05", "Fall", "Y", "N", 70, "RECOVERED"]
    ae.to_csv(folder / "adae.csv", index=False)
    trial = load_trial(folder).study("TOY-1")
    fig, ax = consort.draw_events(trial)
    assert [label for label, _ in _legend_entries(ax)] == [
        "Serious AE, treatment-emergent", "Serious AE, not treatment-emergent", "Death", "TE-SAE window (days 1\u201330)"]
    assert consort.event_kinds(trial) == ["emergent", "other", "death"]
    plt.close(fig)


def test_death_listing_counts_days_after_day1(tmp_path):
    folder = write_dataset(tmp_path / "death")
    ae = pd.read_csv(folder / "adae.csv")
    ae.loc[len(ae)] = ["TOY-1", "T1-H02", "Death", "Y", "Y", 259, "FATAL"]
    ae.to_csv(folder / "adae.csv", index=False)
    trial = load_trial(folder).study("TOY-1")
    d = consort.death_listing(trial)
    assert d[["arm", "study_day", "days_after_day1"]].values.tolist() == [["High", 259, 258]]
    fig, ax = consort.draw_events(trial)
    assert ax.get_xlim()[1] > 259
    plt.close(fig)


def test_events_before_day_1_or_of_unknown_onset(tmp_path):
    # an event that began years before the infusion does not stretch the axis; a death of unknown onset
    # is listed with an unknown day and not drawn
    folder = write_dataset(tmp_path / "odd")
    ae = pd.read_csv(folder / "adae.csv")
    ae.loc[len(ae)] = ["TOY-1", "T1-C03", "Hypertension", "Y", "N", -7000, "NOT RECOVERED"]
    ae.loc[len(ae)] = ["TOY-1", "T1-H02", "Death", "Y", "Y", None, "FATAL"]
    ae.to_csv(folder / "adae.csv", index=False)
    trial = load_trial(folder).study("TOY-1")
    d = consort.death_listing(trial)
    assert d["subject"].tolist() == ["T1-H02"] and pd.isna(d["study_day"].iloc[0])
    fig, ax = consort.draw_events(trial)
    lo, hi = ax.get_xlim()
    assert -0.05 * hi < lo < 0                  # not -7000
    notes = " ".join(t.get_text() for t in ax.texts)
    assert "before day 1" in notes and "1 serious event of unknown onset" in notes and "(s)" not in notes
    plt.close(fig)


def test_tesae_figure_points_intervals_and_counts(toy):
    """Each arm's k/n as a seaborn point in its colour and marker, the exact interval from scipy's beta."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_hex
    from scipy import stats as st

    from msc_frailty import style

    trial = toy.study("TOY-1")
    props = tesae_proportions(trial).query("paramcd == 'TESAE30' and comparison == 'proportion'")
    fig, ax = consort.draw_tesae(props, consort.pooled_active(trial))
    counts = [(0, 8), (0, 8), (1, 8), (1, 16)]                  # Control, Low, High (T1-H03), active pooled
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    for seg, (k, n) in zip(lines.get_segments(), counts):
        lo = 0.0 if k == 0 else st.beta.ppf(0.025, k, n - k + 1)
        assert (seg[0][0], seg[1][0]) == (pytest.approx(lo, abs=1e-12), pytest.approx(st.beta.ppf(0.975, k + 1, n - k)))
    points = ax.collections[-1]
    assert [x for x, _ in points.get_offsets()] == pytest.approx([k / n for k, n in counts])
    colours = [to_hex(c) for c in points.get_facecolors()]
    assert colours == [style.arm_color(a).lower() for a in ("Control", "Low", "High", "All")]
    assert len({tuple(map(tuple, p.vertices.round(3))) for p in points.get_paths()}) == 4   # four markers
    assert [t.get_text() for t in ax.texts] == ["0/8", "0/8", "1/8", "1/16", "k/n"]
    plt.close(fig)


def test_event_timeline_gives_each_arm_its_safety_population(toy_edited):
    fig, ax = consort.draw_events(toy_edited.study("TOY-1"))     # T1-H08 not infused
    assert [t.get_text() for t in ax.texts if t.get_text().startswith("n = ")] == ["n = 8", "n = 8", "n = 7"]
    plt.close(fig)
