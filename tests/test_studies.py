"""Each trial's own words (issue 17): ``studies.csv`` (STUDYID, treatment, dose_unit, day1) is validated like the
tables, the collection's three trials keep their words (an infusion of allogeneic MSCs in million cells), any other
study gets neutral words unless it is described, and the figures and captions speak in those words: no figure of
a study that is not an MSC infusion says infusion, infused or million cells.
"""

from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot
import pytest

from msc_frailty.readers import DataNotice
from conftest import write_dataset

from msc_frailty import consort, data, endpoints, findings, plots, studies
from msc_frailty.analysis import dose_trend
from msc_frailty.data import DataError, add_change, load_trial

matplotlib.use("agg")

#: Words no figure or caption of a study other than the collection's MSC infusions may carry.
MSC_WORDS = re.compile(r"infus|million cells", re.IGNORECASE)
HEADER = "STUDYID,treatment,dose_unit,day1\n"
MG = HEADER + "TOY-1,xanomeline,mg,first dose\n"


@pytest.fixture(autouse=True)
def _close():
    yield
    matplotlib.pyplot.close("all")


def write_studies(folder, text: str):
    (folder / "studies.csv").write_text(text, encoding="utf-8")
    return folder


def figure_texts(fig) -> str:
    """Every text drawn on a figure (tick labels, axis labels, titles, legends, annotations), one per line."""
    from matplotlib.text import Text

    fig.canvas.draw()
    return "\n".join(t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip())


# ---------------------------------------------------------------------------------------------- load_studies

def test_without_studies_csv_the_collections_trials_keep_their_words_and_others_get_neutral_ones(tmp_path):
    words = studies.load_studies(tmp_path, ["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B", "TOY-1"])
    for own in ("CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"):
        assert words[own] == studies.StudyWords("allogeneic MSCs", "million cells", "infusion")
    assert words["TOY-1"] == studies.StudyWords("dose", "", "day 1") == studies.NEUTRAL_WORDS
    neutral = words["TOY-1"]
    assert (neutral.time_axis("weeks"), neutral.dose_axis, neutral.per_dose, neutral.day1_note, neutral.treated,
            neutral.treatment_event) == ("Weeks since day 1", "Dose", "per 100 dose units", "", "Treated", "treatment")
    own = words["CRATUS-P2"]
    assert (own.time_axis("months"), own.dose_axis, own.per_dose, own.day1_note, own.treated, own.treatment_event) == (
        "Months since infusion", "Dose (million cells)", "per 100 million cells", "(day 1 = infusion)", "Infused",
        "infusion")


def test_a_described_study_gets_its_words_and_an_empty_cell_keeps_the_default(tmp_path):
    write_studies(tmp_path, HEADER + "TOY-1,xanomeline,mg,first dose\nTOY-2,,,\n"
                  "CRATUS-P2,allogeneic bone-marrow MSCs,,\n")
    words = studies.load_studies(tmp_path, ["TOY-1", "TOY-2", "CRATUS-P2", "OTHER"])
    assert words["TOY-1"] == studies.StudyWords("xanomeline", "mg", "first dose")
    assert words["TOY-1"].time_axis("weeks") == "Weeks since first dose" and words["TOY-1"].dose_axis == "Dose (mg)"
    assert words["TOY-1"].day1_note == "(day 1 = first dose)" and words["TOY-1"].per_dose == "per 100 mg"
    assert words["TOY-2"] == studies.NEUTRAL_WORDS                    # listed with empty cells: states nothing
    assert words["CRATUS-P2"] == studies.StudyWords("allogeneic bone-marrow MSCs", "million cells", "infusion")
    assert words["OTHER"] == studies.NEUTRAL_WORDS                    # not listed: neutral
    # extra columns and blank lines are allowed, cells are stripped
    write_studies(tmp_path, "STUDYID, treatment ,dose_unit,day1,notes\n\n TOY-1 , xanomeline , mg , first dose ,x\n")
    assert studies.load_studies(tmp_path, ["TOY-1"])["TOY-1"] == studies.StudyWords("xanomeline", "mg", "first dose")


@pytest.mark.parametrize("text, column, rows, message", [
    (HEADER + "TOY-1,x,mg,first dose\nTOY-9,y,mg,first dose\nTOY-8,y,mg,first dose\n", "STUDYID", [3, 4],
     "not a study of the data set: ['TOY-8', 'TOY-9'] (adsl has ['TOY-1', 'TOY-2'])"),
    (HEADER + "toy-1,x,mg,first dose\n", "STUDYID", [2], "STUDYID is case-sensitive ('toy-1' is not 'TOY-1')"),
    ("STUDYID,treatment,day1\nTOY-1,x,first dose\n", "dose_unit", [], "required column(s) missing: dose_unit"),
    ("STUDYID,dose\nTOY-1,mg\n", "treatment", [], "required column(s) missing: treatment, dose_unit, day1"),
    (HEADER + "TOY-1,x,mg,first dose\n,y,mg,first dose\n", "STUDYID", [3], "empty STUDYID"),
    (HEADER + "TOY-1,x,mg,first dose\nTOY-2,y,mg,first dose\nTOY-1,z,mg,first dose\n", "STUDYID", [2, 4],
     "STUDYID listed more than once"),
    (HEADER + "TOY-1,x\x00y,mg,first dose\n", "treatment", [2], "control or invisible character(s) ['U+0000']"),
    (HEADER + "TOY-1,x,mg,first\u202edose\n", "day1", [2], "control or invisible character(s) ['U+202E']"),
    (HEADER + "TOY-1,x,mg,\"first\tdose\"\n", "day1", [2], "['U+0009']"),
    (HEADER + "TOY-1," + "x" * 61 + ",mg,first dose\n", "treatment", [2], "longer than 60 characters"),
    (HEADER + "TOY-1,x,milligrams per kilogram of body weight,first dose\n", "dose_unit", [2],
     "longer than 24 characters"),
    ("", None, [], "file is empty"),
    (b"STUDYID,treatment,dose_unit,day1\nTOY-1,x\x81,mg,first dose\n", None, [2], "neither UTF-8 nor Windows-1252"),
])
def test_a_faulty_studies_csv_is_refused_naming_file_column_and_rows(tmp_path, text, column, rows, message):
    path = tmp_path / "studies.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(DataError) as err:
        studies.load_studies(tmp_path, ["TOY-1", "TOY-2"])
    assert err.value.file == str(path) and err.value.column == column and err.value.rows == rows
    assert message in str(err.value)


def test_a_latin_1_studies_csv_is_read_with_a_notice(tmp_path):
    # the same reader as every table: Windows-1252 (Latin-1) text is read, and the notice names the line
    (tmp_path / "studies.csv").write_bytes(b"STUDYID,treatment,dose_unit,day1\nTOY-1,x\xe9,mg,first dose\n")
    with pytest.warns(DataNotice, match="line\\(s\\) 2"):
        words = studies.load_studies(tmp_path, ["TOY-1", "TOY-2"])
    assert words["TOY-1"].treatment == "x\u00e9"


def test_a_trial_of_one_study_ignores_the_rows_of_the_others(tmp_path):
    write_studies(tmp_path, MG + "TOY-2,zomeline,g,randomization\n")
    assert studies.load_studies(tmp_path, ["TOY-1"], strict=False) == {
        "TOY-1": studies.StudyWords("xanomeline", "mg", "first dose")}
    with pytest.raises(DataError, match="not a study of the data set: \\['TOY-2'\\]"):
        studies.load_studies(tmp_path, ["TOY-1"])


def test_load_trial_and_check_data_refuse_a_faulty_studies_csv(tmp_path, capsys):
    folder = write_studies(write_dataset(tmp_path / "d"), HEADER + "TOY-1,x,mg,first dose\nTOY-3,y,mg,day 0\n")
    with pytest.raises(DataError) as err:
        load_trial(folder)
    assert err.value.column == "STUDYID" and err.value.rows == [3] and "TOY-3" in str(err.value)
    assert data.main([str(folder)]) == 1
    assert "studies.csv, column STUDYID, rows 3: not a study of the data set: ['TOY-3']" in capsys.readouterr().err
    write_studies(folder, HEADER + "TOY-1,x,mg,first dose\n")
    assert data.main([str(folder)]) == 0


def test_resolve_labels_carries_the_studys_words(tmp_path):
    folder = write_dataset(tmp_path / "d")
    trial = load_trial(folder)
    assert endpoints.resolve_labels(trial.study("TOY-1")).words == studies.NEUTRAL_WORDS
    write_studies(folder, MG)
    trial = load_trial(folder)
    assert endpoints.resolve_labels(trial.study("TOY-1")).words == studies.StudyWords("xanomeline", "mg", "first dose")
    assert endpoints.resolve_labels(trial.study("TOY-2")).words == studies.NEUTRAL_WORDS
    assert endpoints.resolve_labels(trial).words == studies.NEUTRAL_WORDS      # two studies, two sets of words
    default = load_trial("data/synthetic")
    for study in default.studies:
        assert endpoints.resolve_labels(default.study(study)).words == studies.OWN_WORDS
    assert endpoints.resolve_labels(default).words == studies.OWN_WORDS         # the three share theirs


# ---------------------------------------------------------------------------------------------- figures

@pytest.fixture
def toy(tmp_path):
    """TOY-1, a study nobody described (its arms dosed 0, 10 and 30)."""
    return write_dataset(tmp_path / "toy", studies=("TOY-1",))


def _figures(trial, labels):
    """The figures of a trial that speak of time, doses and day 1, with the captions built for them."""
    chg = add_change(trial)
    walk = chg[chg["PARAMCD"] == "SIXMWD"]
    visit = endpoints.main_visit(chg["AVISITN"], labels)
    at_main = chg[(chg["AVISITN"] == visit) & chg["PARAMCD"].isin(["SIXMWD", "TNFA"])]
    trend = dose_trend(at_main, "dose_comparison", trial.basis)
    visits = {"SIXMWD": visit, "TNFA": visit}
    figs = {"trajectory": plots.trajectory_figure(walk, "SIXMWD", labels=labels),
            "dose_response": plots.dose_response_figure(at_main, ["SIXMWD", "TNFA"], labels=labels, visits=visits),
            "consort": consort.draw_consort(consort.consort_counts(trial), labels)[0],
            "events": consort.draw_events(trial)[0]}
    captions = [findings.trajectory_caption(walk, "SIXMWD", trial.basis, labels=labels),
                findings.dose_response_caption(at_main, trial.basis, trend=trend, labels=labels, visits=visits)]
    return figs, captions


def test_no_figure_or_caption_of_a_study_nobody_described_speaks_of_infusions_or_million_cells(toy):
    trial = load_trial(toy).study("TOY-1")
    labels = endpoints.resolve_labels(trial)
    figs, captions = _figures(trial, labels)
    texts = {name: figure_texts(fig) for name, fig in figs.items()}
    for name, text in texts.items():
        assert not MSC_WORDS.search(text), (name, MSC_WORDS.findall(text))
    for text in captions:
        assert not MSC_WORDS.search(text), MSC_WORDS.findall(text)
    assert "Months since day 1" in texts["trajectory"]
    assert "Dose" in texts["dose_response"].split("\n") and "Dose (" not in texts["dose_response"]
    assert "Treated" in texts["consort"] and "not treated 0" in texts["consort"]
    assert "Study day of onset; one mark per event" in texts["events"].replace("\n", " ")
    assert "by dose (linear axis)" in captions[1] and "slope of change per 100 dose units" in captions[1]


def test_a_mg_study_shows_mg_on_its_dose_axis_and_its_day_1(toy):
    trial = load_trial(write_studies(toy, MG)).study("TOY-1")
    labels = endpoints.resolve_labels(trial)
    figs, captions = _figures(trial, labels)
    assert [ax.get_xlabel() for ax in figs["dose_response"].axes] == ["Dose (mg)"] * 2
    assert figs["trajectory"].axes[0].get_xlabel() == "Months since first dose"
    assert "Study day of onset (day 1 = first dose)" in figure_texts(figs["events"])
    assert "(mg, linear axis)" in captions[1] and "slope of change per 100 mg" in captions[1]
    for name, fig in figs.items():
        assert not MSC_WORDS.search(figure_texts(fig)), name
    assert not any(MSC_WORDS.search(c) for c in captions)


def test_the_collections_trials_keep_their_words():
    trial = load_trial("data/synthetic").study("CRATUS-P1")
    labels = endpoints.resolve_labels(trial)
    figs, captions = _figures(trial, labels)
    assert figs["trajectory"].axes[0].get_xlabel() == "Months since infusion"
    assert figs["dose_response"].axes[0].get_xlabel() == "Dose (million cells)"
    assert "Infused" in figure_texts(figs["consort"])
    assert "Study day of onset (day 1 = infusion)" in figure_texts(figs["events"])
    assert "slope of change per 100 million cells" in captions[1]
