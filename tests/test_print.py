"""The figures are fit to print (issue 9): 85 or 180 mm wide, no text under 6 pt, none outside the canvas. Every
figure of the default run (saved with the print check save_figure always makes), and the safety and cohort
figures of a study with a real trial's arm labels and of one with hundreds of serious events; the published-record
figures with a stamp that says their basis once.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import write_dataset  # noqa: E402
from test_canvas import _rename_arms, many_events  # noqa: E402

from msc_frailty import consort, published_plots, style  # noqa: E402
from msc_frailty.analysis import tesae_proportions  # noqa: E402
from msc_frailty.data import load_trial  # noqa: E402
from msc_frailty.paths import DEFAULT_DATA  # noqa: E402

def _study_figures(trial):
    """The cohort and safety notebooks' figures of one study, with their print widths (mm): the event figure is one
    column wide for a few serious events (consort.FEW_EVENT_MARKS), two for more (or for the summary by term)."""
    props = tesae_proportions(trial).query("paramcd == 'TESAE30' and comparison == 'proportion'")
    few = len(consort.serious_events(trial)) <= consort.FEW_EVENT_MARKS
    return {"consort": (consort.draw_consort(consort.consort_counts(trial),
                                             disposition=consort.disposition_counts(trial))[0], 180),
            "safety_tesae30": (consort.draw_tesae(props, consort.pooled_active(trial))[0], 85),
            "safety_events": (consort.draw_events(trial)[0], 85 if few else 180)}


def _fit(fig, width_mm):
    assert fig.get_figwidth() * 25.4 == pytest.approx(width_mm)
    assert style.print_problems(fig) == []
    assert style.text_outside_canvas(fig) == []


#: The published-record figures (figures/published/) checked here.
PUBLISHED = ("forest_implied_effects", "dose_response_published", "safety_bounds")
#: The print width (mm) of the cohort, safety and published-record figures (safety_events: the default run's one
#: event timeline, CRATUS-P1's single death, is one column wide).
WIDTHS = {"consort": 180, "safety_tesae30": 85, "safety_events": 85, "forest_implied_effects": 180,
          "dose_response_published": 180, "safety_bounds": 85, "scorecard": 85}
#: Figures drawn only where there is something to show (a study with no TE-SAE, or no serious event, gets a
#: sentence instead): not every study of the default run has them.
WHEN_THERE_IS_SOMETHING = {"safety_tesae30", "safety_events"}


def test_every_figure_of_the_default_run_is_fit_to_print(default_run):
    """Every figure of the default run was saved with save_figure's print check (a figure it refuses fails the
    run), and its PNG is 85 or 180 mm wide at 300 dpi: the cohort, safety and published-record figures the
    width of their kind. The published-record figures say their basis once."""
    from PIL import Image

    pngs = sorted((default_run / "figures").rglob("*.png"))
    assert {p.stem for p in pngs} >= set(WIDTHS) - WHEN_THERE_IS_SOMETHING and len(pngs) > len(WIDTHS)
    for png in pngs:
        with Image.open(png) as image:
            width_mm = image.size[0] / style.DPI * 25.4
        assert min(abs(width_mm - w) for w in style.WIDTHS_MM) < 0.1, (png, width_mm)
        assert width_mm == pytest.approx(WIDTHS.get(png.stem, width_mm), abs=0.1), (png, width_mm)
    for name in PUBLISHED:
        svg = (default_run / "figures" / "published" / f"{name}.svg").read_text(encoding="utf-8")
        # "Published summaries", not "Published summaries \u00b7 published"
        assert ">Published summaries<" in svg and "\u00b7 published" not in svg


def test_safety_figures_only_where_there_is_something_to_show(default_run):
    """The default run draws an event timeline for a study with a serious event (CRATUS-P1: the printed death on
    day 259) and none for a study without (CRATUS-P2, LOMECEL-P2B); a TE-SAE figure only for a study where some
    arm had one (the record prints none within 30 days in any trial). The notebook says the rest in a sentence."""
    trial = load_trial(DEFAULT_DATA)
    made = {(p.parent.name, p.stem) for p in (default_run / "figures").rglob("*.png")}
    for study in trial.studies:
        one = trial.study(study)
        props = tesae_proportions(one).query("paramcd == 'TESAE30' and comparison == 'proportion'")
        assert ((study, "safety_events") in made) == (consort.events_to_draw(one) > 0), study
        assert ((study, "safety_tesae30") in made) == bool((props.estimate > 0).any()), study
        assert (study, "consort") in made
    assert ("CRATUS-P1", "safety_events") in made
    assert ("CRATUS-P2", "safety_events") not in made and ("LOMECEL-P2B", "safety_events") not in made
    # the sentences that replace the figures, rendered in the executed notebook
    text = (default_run / "notebooks" / "CRATUS-P2" / "safety.ipynb").read_text(encoding="utf-8")
    assert "No figure: no TE-SAE to show." in text and "No figure: no serious event to show." in text


def test_scorecard_fits_to_print():
    card = pd.DataFrame({"study": ["CRATUS-P2", "LOMECEL-P2B", "ZHU-2024"], "claim_id": ["a", "b", "c"],
                         "status": ["not_reproduced", "consistent_by_construction", "reproduced"]})
    fig = published_plots.scorecard_chart(card)
    _fit(fig, 85)
    plt.close(fig)


def test_few_events_fit_one_column_and_many_two(tmp_path):
    """A timeline of a few marks is 85 mm wide (CRATUS-P1's one death was a 180 mm figure with one mark on it);
    more than FEW_EVENT_MARKS serious events take the page width, and each fits to print."""
    for n, width in ((3, 85), (consort.FEW_EVENT_MARKS, 85), (consort.FEW_EVENT_MARKS + 1, 180),
                     (consort.MAX_EVENT_MARKS, 180)):
        folder = write_dataset(tmp_path / f"n{n}", studies=("TOY-1",))
        ae = pd.read_csv(folder / "adae.csv")
        subjects = pd.read_csv(folder / "adsl.csv").USUBJID
        rows = [["TOY-1", subjects[i % len(subjects)], "Fall", "Y", "Y", 40 + 7 * i, "RECOVERED"] for i in range(n)]
        ae = pd.concat([ae[ae.AESER != "Y"], pd.DataFrame(rows, columns=ae.columns[:7])], ignore_index=True)
        ae.to_csv(folder / "adae.csv", index=False)
        trial = load_trial(folder).study("TOY-1")
        assert consort.events_to_draw(trial) == n
        fig, _ = consort.draw_events(trial)
        _fit(fig, width)
        plt.close(fig)


def test_long_arm_labels_and_many_events_fit_to_print(tmp_path):
    folder = many_events(_rename_arms(write_dataset(tmp_path / "big", studies=("TOY-1",))))
    figures = _study_figures(load_trial(folder).study("TOY-1"))
    assert figures["safety_events"][0].axes[0].get_xlabel().startswith("Subjects with the serious event")
    for fig, width in figures.values():
        _fit(fig, width)
        plt.close(fig)


def test_every_figure_says_n_per_arm(tmp_path):
    trial = load_trial(_rename_arms(write_dataset(tmp_path / "n", studies=("TOY-1",)))).study("TOY-1")
    figures = _study_figures(trial)
    texts = {name: " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(matplotlib.text.Text))
             for name, (fig, _) in figures.items()}
    assert [t.get_text() for t in figures["consort"][0].axes[0].texts].count("n = 8") == 3   # each allocated box
    assert texts["safety_tesae30"].count("/8") == 3                  # k/n of each arm
    assert texts["safety_events"].count("n = 8") == 3                # the safety population of each row
    plt.close("all")
