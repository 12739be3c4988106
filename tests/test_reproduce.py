"""`make reproduce` on the embedded SYNTHETIC default: every notebook for every study, end to end.

The committed figures/ and results/ must be exactly what the code produces today: the run goes to a
temporary OUT and every committed file is compared byte for byte. When this fails after an
intended change, refresh with `make reproduce` and commit figures/ and results/.
"""

import hashlib
import json

import pandas as pd
import pytest

from msc_frailty.paths import FIGURES, RESULTS, ROOT
from msc_frailty.runner import notebooks, scope_of

pytestmark = pytest.mark.notebooks
STUDIES = ["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_notebook_ran_for_every_study(default_run):
    for nb in notebooks():
        for study in (STUDIES if scope_of(nb) == "study" else ["all"]):
            assert (default_run / "notebooks" / study / nb.name).is_file(), (study, nb.name)
    run = json.loads((default_run / "results" / "run.json").read_text())
    assert run["basis"] == "synthetic" and run["studies"] == STUDIES


def test_estimates_are_labelled_synthetic_and_cover_every_finding(default_run):
    est = pd.read_csv(default_run / "results" / "estimates.csv", keep_default_na=False)
    assert set(est.basis) == {"synthetic", "published"}
    for finding in ("safety", "physical_performance", "inflammation", "dose_comparison"):
        for basis in ("synthetic", "published"):
            rows = est[(est.finding == finding) & (est.basis == basis)]
            assert set(rows.study) >= ({"CRATUS-P2"} if basis == "published" else set(STUDIES)), (finding, basis)
    # the dose comparison is estimated directly: 100M vs 200M in every study that has both
    d = est[(est.finding == "dose_comparison") & (est.method == "ancova") & (est.arm == "100M")
            & (est.ref_arm == "200M")]
    assert set(d.study) == set(STUDIES)


def test_every_figure_is_stamped_with_its_basis(default_run):
    svgs = sorted((default_run / "figures").rglob("*.svg"))
    committed = sorted((ROOT / "figures").rglob("*.svg"))
    assert [p.relative_to(default_run / "figures") for p in svgs] == [p.relative_to(ROOT / "figures") for p in committed]
    for svg in svgs:
        text = svg.read_text()
        # figures made from the published summaries alone say so; everything else is synthetic
        if svg.parent.name == "published" and svg.stem != "scorecard":
            assert "Published summaries" in text and "SYNTHETIC" not in text, svg
        else:
            assert "SYNTHETIC DATA" in text, svg


def test_scorecard_covers_every_claim_and_never_reproduces_synthetic(default_run):
    card = pd.read_csv(default_run / "results" / "scorecard.csv", keep_default_na=False)
    claims = pd.read_csv(ROOT / "data" / "published" / "claims.csv", keep_default_na=False)
    assert list(card.claim_id) == list(claims.claim_id)
    assert set(card.study) >= set(STUDIES)
    assert "reproduced" not in set(card.status)
    assert (card[card.basis == "synthetic"].status != "reproduced").all()


def test_committed_figures_and_results_are_current(default_run):
    new = default_run / "figures"
    committed = {p.relative_to(FIGURES) for p in FIGURES.rglob("*") if p.is_file()}
    produced = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    assert committed == produced, (f"figures/ differs from a fresh run: only committed "
                                   f"{sorted(map(str, committed - produced))[:5]}, only produced "
                                   f"{sorted(map(str, produced - committed))[:5]}; run `make reproduce`")
    stale = [str(p) for p in sorted(produced) if p.name != "MANIFEST.csv" and digest(FIGURES / p) != digest(new / p)]
    # the manifest must match too, except its commit column (the commit is made after the figures)
    committed_manifest = pd.read_csv(FIGURES / "MANIFEST.csv", keep_default_na=False).drop(columns="commit")
    fresh_manifest = pd.read_csv(new / "MANIFEST.csv", keep_default_na=False).drop(columns="commit")
    pd.testing.assert_frame_equal(committed_manifest, fresh_manifest)
    assert not stale, f"committed figures differ from what the code makes now: {stale[:10]}; run `make reproduce`"
    for name in ("estimates.csv", "scorecard.csv", "run.json"):
        assert digest(RESULTS / name) == digest(default_run / "results" / name), (
            f"results/{name} is stale; run `make reproduce`")


def test_no_cell_of_the_default_run_is_a_formula_and_bounds_name_their_open_side(default_run):
    from test_results import formula_cells

    assert formula_cells(default_run) == []
    est = pd.read_csv(default_run / "results" / "estimates.csv", keep_default_na=False, dtype=str)
    assert set(est.bound) == {"", "lower", "upper", "range"}
    lower, upper = est[est.bound == "lower"], est[est.bound == "upper"]
    # the published inequalities: SF-36 rose (at least), TNF-alpha and B-cell TNF-alpha fell (at most)
    assert set(lower.paramcd) == {"SF36PCS"} and set(upper.paramcd) == {"TNFA", "BCTNFA"}
    assert (lower.ci_high == "").all() and (lower.ci_low != "").all()
    assert (upper.ci_low == "").all() and (upper.ci_high != "").all()
    numbers = pd.read_csv(default_run / "results" / "numbers.csv", keep_default_na=False, dtype=str)
    assert sorted(numbers.bound) == sorted(est.bound)


def test_the_run_record_lists_every_file_it_wrote(default_run):
    record = json.loads((default_run / ".msc-frailty" / "record.json").read_text())["files"]
    written = sorted(p.relative_to(default_run).as_posix() for p in default_run.rglob("*")
                     if p.is_file() and ".msc-frailty" not in p.parts)
    assert record == written
    assert sorted(p.name for p in (default_run / ".msc-frailty").iterdir()) == ["lock", "record.json",
                                                                                 "runner-cache.json"]
