"""Labels, units and directions come from what a data set states (contract section 1, "Real ADaM data").

The toy data set of conftest, relabelled as an ADaM delivery would be: visits in weeks (AVISITN 0, 4, 12 with
AVISIT "Baseline", "Week 4", "Week 12"), a PARAM column, and a parameter the collection does not know,
``ADAS`` ("ADAS-Cog total", a cognitive scale on which higher is worse, which the data do not say). No
figure may state a direction for ADAS unless ``params.csv`` gives one, ADAS is not analysed as an
inflammatory marker, and the built-in parameters keep their own texts.
"""

import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from conftest import write_dataset

from msc_frailty import endpoints, findings, plots
from msc_frailty.data import load_trial

matplotlib.use("agg")

DIRECTION = re.compile(r"(higher|lower) is better")
WEEKS = {0: 0, 2: 4, 4: 12}  # toy AVISITN -> weeks
PARAM_NAMES = {"SIXMWD": "6 Minute Walk Distance (m)", "TNFA": "TNF alpha", "ADAS": "ADAS-Cog total"}


def write_adam_dataset(folder, params_csv: str | None = None) -> Path:
    """The toy data set (TOY-1 only) in weeks, with PARAM and AVISIT, plus the unknown parameter ADAS.

    ADAS rises by about 6 points by week 12 in the High arm (an interval that excludes zero), less in the
    others; ``params_csv`` (text) is written as ``params.csv`` when given.
    """
    folder = write_dataset(folder, studies=("TOY-1",))
    adeff = pd.read_csv(folder / "adeff.csv", keep_default_na=False)
    rng = np.random.default_rng(7)
    adas = []
    for subj, dose in pd.read_csv(folder / "adsl.csv")[["USUBJID", "TRT01AN"]].itertuples(index=False):
        base = rng.normal(20.0, 4.0)
        for visit in (0, 2, 4):
            shift = 0.0 if visit == 0 else dose / 30 * 3.0 * visit / 2 + rng.normal(0, 1.0)
            adas.append({"STUDYID": "TOY-1", "USUBJID": subj, "PARAMCD": "ADAS", "AVISITN": visit,
                         "AVAL": round(base + shift, 1)})
    adeff = pd.concat([adeff, pd.DataFrame(adas)], ignore_index=True)
    adeff["PARAM"] = adeff["PARAMCD"].map(PARAM_NAMES)
    adeff["AVISIT"] = ["Baseline" if v == 0 else f"Week {WEEKS[v]}" for v in adeff["AVISITN"]]
    adeff["AVISITN"] = adeff["AVISITN"].map(WEEKS)
    adeff.to_csv(folder / "adeff.csv", index=False, lineterminator="\n")
    if params_csv is not None:
        (folder / "params.csv").write_text(params_csv, encoding="utf-8")
    return folder


def texts_of(svg: Path) -> str:
    """The texts of an SVG figure, one per line (the style writes text as ``<text>`` elements, not glyphs)."""
    import html
    found = re.findall(r"<text\b[^>]*>(.*?)</text>", svg.read_text(encoding="utf-8"), flags=re.S)
    assert found, f"no text in {svg}: the figure texts are no longer searchable"
    return "\n".join(html.unescape(t) for t in found)


# ---------------------------------------------------------------------------------------------- resolution

def test_resolution_from_the_data_alone(tmp_path):
    trial = load_trial(write_adam_dataset(tmp_path / "d"))
    labels = endpoints.resolve_labels(trial)
    adas = endpoints.parameter_info("ADAS", labels)
    assert (adas["label"], adas["unit"], adas["higher_is_better"], adas["finding"]) == (
        "ADAS-Cog total", "", None, "other_endpoints")
    # built-in parameters keep the collection's own texts, whatever PARAM says
    assert endpoints.parameter_info("SIXMWD", labels) == endpoints.parameter_info("SIXMWD")
    assert endpoints.parameter_info("TNFA", labels)["higher_is_better"] is False
    assert labels.visit_unit == "weeks" and labels.visit_labels == {4.0: "Week 4", 12.0: "Week 12"}
    assert endpoints.finding_params(["TNFA", "ADAS", "SIXMWD"], "inflammation", labels) == ["TNFA"]
    assert endpoints.finding_params(["TNFA", "ADAS", "SIXMWD"], "other_endpoints", labels) == ["ADAS"]
    assert endpoints.main_visit([4, 6, 12], labels) == 12.0  # week 6 is not the 6-month visit


def test_params_csv_overrides(tmp_path):
    csv = ("PARAMCD,PARAM,unit,direction,finding\n"
           "ADAS,ADAS-Cog 11,points,lower_better,\n"
           "TNFA,,,,\n"
           "CRP,C-reactive protein,mg/L,,inflammation\n")
    labels = endpoints.resolve_labels(load_trial(write_adam_dataset(tmp_path / "d", csv)))
    adas = endpoints.parameter_info("ADAS", labels)
    assert (adas["label"], adas["unit"], adas["higher_is_better"], adas["finding"]) == (
        "ADAS-Cog 11", "points", False, "other_endpoints")
    assert endpoints.parameter_info("TNFA", labels) == endpoints.parameter_info("TNFA")  # empty cells state nothing
    assert endpoints.finding_params(["CRP", "ADAS", "TNFA"], "inflammation", labels) == ["TNFA", "CRP"]
    assert endpoints.axis_label("ADAS", labels=labels) == "Change in ADAS-Cog 11 (points)\n(lower is better)"
    assert endpoints.axis_label("CRP", labels=labels) == "Change in C-reactive protein (mg/L)"


def test_params_csv_short_name_names_a_parameter_on_figures(tmp_path):
    # a PARAM as a questionnaire's data set spells it, its unit inside; params.csv gives the unit and a short name
    name = "Alzheimer's Disease Assessment Scale, Cognitive Subscale, 11 items (points)"
    csv = f'PARAMCD,PARAM,unit,direction,finding,short_name\nADAS,"{name}",points,lower_better,,ADAS-Cog 11\n'
    labels = endpoints.resolve_labels(load_trial(write_adam_dataset(tmp_path / "d", csv)))
    adas = endpoints.parameter_info("ADAS", labels)
    assert (adas["short"], adas["label"]) == ("ADAS-Cog 11", name)
    assert endpoints.axis_label("ADAS", labels=labels) == "Change in ADAS-Cog 11 (points)\n(lower is better)"
    assert endpoints.outcome_at("ADAS", {"ADAS": 12.0}, labels) == "ADAS-Cog 11, Week 12"
    # without a short name the full name goes on the axis, wrapped, its unit once
    csv = f'PARAMCD,PARAM,unit,direction,finding\nADAS,"{name}",points,lower_better,\n'
    labels = endpoints.resolve_labels(load_trial(write_adam_dataset(tmp_path / "e", csv)))
    assert endpoints.axis_label("ADAS", labels=labels) == (
        "Change in Alzheimer's Disease\nAssessment Scale, Cognitive\nSubscale, 11 items (points)\n(lower is better)")


def test_visit_scale_rules():
    def adeff(labels):
        return pd.DataFrame({"AVISITN": [0.0] + [float(i + 1) for i in range(len(labels))],
                             "AVISIT": ["Baseline"] + labels})
    assert endpoints.visit_scale(pd.DataFrame({"AVISITN": [0.0, 3.0]})) == ("months", {})
    assert endpoints.visit_scale(adeff(["", ""])) == ("months", {})
    assert endpoints.visit_scale(adeff(["DAY 28", "day 56"]))[0] == "days"
    assert endpoints.visit_scale(adeff(["Month 3", "Month 6"])) == ("months", {1.0: "Month 3", 2.0: "Month 6"})
    unit, names = endpoints.visit_scale(adeff(["Week 4", "Month 6"]))  # two units: none claimed
    assert unit is None and names == {1.0: "Week 4", 2.0: "Month 6"}
    assert endpoints.visit_axis_label(endpoints.Labels(visit_unit=None)) == "Visit number"   # no internal name
    assert endpoints.visit_axis_label(endpoints.Labels(visit_unit="days")) == "Days since infusion"   # built-in words


def test_default_data_resolve_to_the_built_in_texts():
    trial = load_trial("data/synthetic")
    for study in trial.studies:
        labels = endpoints.resolve_labels(trial.study(study))
        assert labels.visit_unit == "months" and labels.visit_labels == {}
        for p in labels.params:
            assert endpoints.parameter_info(p, labels) == endpoints.parameter_info(p)
            assert endpoints.axis_label(p, labels=labels) == endpoints.axis_label(p)
        assert endpoints.visit_text(6.0, labels) == "6 months"


def test_verdicts_and_sentences_without_a_direction():
    labels = endpoints.Labels(params={"ADAS": endpoints.resolve_parameter("ADAS", data_name="ADAS-Cog total")},
                          visit_unit="weeks", visit_labels={12.0: "Week 12"})
    up = {"paramcd": "ADAS", "estimate": 2.0, "ci_low": 1.0, "ci_high": 3.0, "p_value": 0.01, "n": 8,
          "arm": "High", "ref_arm": "Control", "n_ref": 8}
    assert findings.verdict(up, labels=labels) == endpoints.NEUTRAL
    assert findings.verdict({**up, "ci_low": -3.0, "ci_high": -1.0}, labels=labels) == endpoints.NEUTRAL
    assert findings.verdict({**up, "ci_low": -1.0}, labels=labels) == "inconclusive"
    rows = pd.DataFrame([up])
    assert findings.arms_with(rows, labels=labels) == "none"  # not "favourable" on a scale of unknown direction
    text = "\n".join(findings.findings_lines(rows.iloc[:0], rows, ["ADAS"], {"ADAS": 12.0}, labels=labels))
    assert "ADAS-Cog total at Week 12 (direction not stated)" in text and not DIRECTION.search(text)
    assert "favourable" not in text


def test_figure_texts_for_weeks_and_no_direction(tmp_path):
    trial = load_trial(write_adam_dataset(tmp_path / "d"))
    labels = endpoints.resolve_labels(trial)
    from msc_frailty.data import add_change
    chg = add_change(trial)
    fig = plots.trajectory_figure(chg[chg["PARAMCD"] == "ADAS"], "ADAS", labels=labels)
    ax = fig.axes[0]
    # TOY-1 is nobody's infusion: its time axis counts from day 1 (no studies.csv says what day 1 is)
    assert ax.get_xlabel() == "Weeks since day 1" and ax.get_title() == "ADAS-Cog total"
    assert ax.get_ylabel() == "Change in ADAS-Cog total"
    rows = findings.efficacy_rows(chg, "other_endpoints", trial.basis, ["ADAS", "TNFA"])
    at = findings.at_visits(rows, {"ADAS": 12.0, "TNFA": 12.0})
    at = at[(at["comparison"] == "vs_placebo") & (at["method"] == "ancova")]
    std = findings.standardized_pairs(at, chg, labels)
    assert dict(zip(std["paramcd"], std["sign"])) == {"ADAS": 0, "TNFA": -1}      # ADAS: nobody stated a direction
    fig = plots.vs_placebo_figure(std, ["Low", "High"], "Control", {"ADAS": 12.0, "TNFA": 12.0}, labels)
    (ax,) = fig.axes
    heads = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert heads == ["Serum TNF-\u03b1, Week 12\n(lower is better: sign reversed)",        # known codes first
                     "ADAS-Cog total, Week 12\n(direction not stated: as measured)"]
    # the difference axis claims no direction for ADAS: only TNF-alpha's stated one, and the note that it is reversed
    texts = " ".join([t.get_text() for t in ax.get_yticklabels()] + [ax.get_xlabel()]
                     + [t.get_text() for t in ax.texts])
    assert [m.group(0) for m in DIRECTION.finditer(texts)] == ["lower is better"] * 2, texts
    assert [t.get_text() for t in ax.texts if "favours" in t.get_text()] == ["\u2190 favours Control",
                                                                             "favours active arm \u2192"]
    open_marks = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white"]
    assert len(open_marks) == 2                                                 # ADAS, Low and High: open symbols


# ---------------------------------------------------------------------------------------------- notebooks

NOTEBOOKS = ["inflammation", "other_endpoints", "physical_performance", "dose_comparison"]


def run_notebooks(runner_cli, data: Path, out: Path, names=NOTEBOOKS):
    proc = runner_cli("--data", data, "--out", out, *[arg for name in names for arg in ("--notebook", name)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


#: studies.csv of the "stated" run: TOY-1 described as an oral drug dosed in mg (issue 17).
STUDIES_MG = "STUDYID,treatment,dose_unit,day1\nTOY-1,xanomeline,mg,first dose\n"
#: The words no figure, caption or printed sentence of a study that is not an MSC infusion may carry.
MSC_WORDS = re.compile(r"infus|million cells", re.IGNORECASE)


@pytest.fixture(scope="module")
def adam_runs(tmp_path_factory, runner_cli):
    """The four efficacy notebooks, for real through the runner, on the ADaM-style toy data without a
    params.csv (nor a studies.csv: TOY-1 gets neutral words); and other_endpoints, the one that draws ADAS, with a
    params.csv that states its unit and direction, with dose_comparison, cohort and safety, on the same data with a
    studies.csv that describes TOY-1 as dosed in mg from a first dose."""
    root = tmp_path_factory.mktemp("labels")
    plain = run_notebooks(runner_cli, write_adam_dataset(root / "plain"), root / "out_plain")
    csv = "PARAMCD,PARAM,unit,direction,finding\nADAS,ADAS-Cog total,points,lower_better,\n"
    folder = write_adam_dataset(root / "stated", csv)
    (folder / "studies.csv").write_text(STUDIES_MG, encoding="utf-8")
    stated = run_notebooks(runner_cli, folder, root / "out_stated",
                           ["other_endpoints", "dose_comparison", "cohort", "safety"])
    return plain, stated


def test_unknown_parameter_is_analysed_apart_from_inflammation(adam_runs):
    plain, _ = adam_runs
    est = pd.read_csv(plain / "results" / "estimates.csv", keep_default_na=False)
    assert set(est.loc[est["finding"] == "inflammation", "paramcd"]) == {"TNFA"}
    assert set(est.loc[est["finding"] == "physical_performance", "paramcd"]) == {"SIXMWD"}
    other = est[est["finding"] == "other_endpoints"]
    assert set(other["paramcd"]) == {"ADAS"}
    assert {"change_from_baseline", "vs_placebo"} <= set(other["comparison"])
    assert set(other["visit"].astype(float)) == {4.0, 12.0}
    high = other[(other["comparison"] == "vs_placebo") & (other["method"] == "ancova") & (other["arm"] == "High")
                 & (other["visit"].astype(float) == 12.0)].iloc[0]
    assert float(high["ci_low"]) > 0  # the interval excludes zero: the case where a direction would be claimed
    figures = plain / "figures" / "TOY-1"
    assert "ADAS" not in (figures / "inflammation_vs_placebo.svg").read_text(encoding="utf-8")
    assert not (figures / "adas_log_ratio.svg").exists()


def test_figures_state_weeks_and_no_direction_nobody_gave(adam_runs):
    plain, _ = adam_runs
    figures = plain / "figures" / "TOY-1"
    adas = texts_of(figures / "adas.svg")
    assert "ADAS-Cog total" in adas and "Weeks since day 1" in adas
    assert not DIRECTION.search(adas) and "Months" not in adas
    walk = texts_of(figures / "six_minute_walk.svg")
    assert "Weeks since day 1" in walk and "(higher is better)" in walk
    forest = texts_of(figures / "physical_vs_placebo.svg")
    assert "6MWD, Week 12" in forest and "months" not in forest
    # the dose figures show every parameter: one direction per built-in panel of the dose response, none for ADAS
    text = texts_of(figures / "dose_response.svg")
    assert "ADAS-Cog total, Week 12" in text
    assert len(DIRECTION.findall(text)) == 2, DIRECTION.findall(text)
    # the dose forest: one standardized axis; TNF-alpha reversed (and says why), ADAS as measured, no side favoured
    forest = texts_of(figures / "dose_forest.svg")
    assert "ADAS-Cog total, Week 12" in forest and "(direction not stated: as measured)" in forest
    assert [m.group(0) for m in DIRECTION.finditer(forest)] == ["lower is better"] * 2   # the TNF-alpha row, axis note
    assert "favours lower dose" in forest
    # the executed notebook's sentences: no direction claimed, no "favourable" for ADAS
    nb = json.loads((plain / "notebooks" / "TOY-1" / "other_endpoints.ipynb").read_text(encoding="utf-8"))
    out = "".join("".join(o.get("text", "") or o.get("data", {}).get("text/markdown", ""))   # printed or Markdown
                  for c in nb["cells"] for o in c.get("outputs", []))
    assert "ADAS-Cog total at Week 12 (direction not stated)" in out and endpoints.NEUTRAL in out
    assert not DIRECTION.search(out) and "favourable" not in out


def test_params_csv_direction_reaches_the_figures(adam_runs):
    _, stated = adam_runs
    adas = texts_of(stated / "figures" / "TOY-1" / "adas.svg")
    assert "Change in ADAS-Cog total (points)" in adas and "(lower is better)" in adas
    assert "higher is better" not in adas


# ---------------------------------------------------------------------------------------------- each study's words

def run_words(out: Path) -> dict:
    """Every figure's texts (drawn and its embedded caption), every caption of captions.csv, and every sentence the
    notebooks printed or displayed as Markdown: ``{where: text}``."""
    import csv

    from test_figure_words import svg_texts

    found = {str(svg.relative_to(out)): "\n".join(svg_texts(svg)) for svg in sorted((out / "figures").rglob("*.svg"))}
    with open(out / "figures" / "captions.csv", newline="", encoding="utf-8") as f:
        found.update({f"caption {r['figure']}": r["caption"] for r in csv.DictReader(f)})
    for nb in sorted((out / "notebooks").rglob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        said = ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", ""))
                for c in cells for o in c.get("outputs", [])]
        found[str(nb.relative_to(out))] = "\n".join(said)
    return found


def test_no_figure_caption_or_sentence_of_these_studies_speaks_of_infusions_or_million_cells(adam_runs):
    for out in adam_runs:
        found = run_words(out)
        assert len([k for k in found if k.endswith(".svg")]) >= 5
        problems = {where: MSC_WORDS.findall(text) for where, text in found.items() if MSC_WORDS.search(text)}
        assert problems == {}


def test_a_study_described_in_mg_from_a_first_dose_says_so(adam_runs):
    _, stated = adam_runs
    figures = stated / "figures" / "TOY-1"
    said = run_words(stated)
    assert "Dose (mg)" in texts_of(figures / "dose_response.svg")
    dose_caption = said["figures/TOY-1/dose_response.svg"]           # the caption embedded in it: the trend test
    assert "by dose (mg, linear axis)" in dose_caption and "slope of change per 100 mg" in dose_caption
    assert "Weeks since first dose" in texts_of(figures / "adas.svg")
    consort = texts_of(figures / "consort.svg")
    assert "Treated" in consort and "Infused" not in consort
    assert "Study day of onset (day 1 = first dose)" in texts_of(figures / "safety_events.svg").replace("\n", " ")
    assert "from the subjects in the data set through allocation and treatment with xanomeline (the safety " \
        "population)" in said["figures/TOY-1/consort.svg"]
    assert "Treated: 24 of 24" in said["notebooks/TOY-1/cohort.ipynb"]
    assert "24 treated subjects had a TE-SAE" in said["notebooks/TOY-1/safety.ipynb"]
    assert "Dose-response slope over doses 0, 10, 30 mg" in said["notebooks/TOY-1/dose_comparison.ipynb"]
