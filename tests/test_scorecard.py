"""The scorecard: one row per published claim, honest statuses on each basis."""

import shutil

import pandas as pd
import pytest

from msc_frailty import analysis
from msc_frailty.data import add_change, load_trial
from msc_frailty.paths import DEFAULT_DATA
from msc_frailty.published import load_published
from msc_frailty.results import SCORECARD_COLUMNS, SCORECARD_STATUSES
from msc_frailty.scorecard import build_scorecard


def run_analyses(trial):
    chg = add_change(trial)
    return pd.concat([analysis.change_from_baseline(chg, "x", trial.basis), analysis.vs_placebo(chg, "x", trial.basis),
                      analysis.dose_trend(chg, "x", trial.basis), analysis.tesae_proportions(trial)],
                     ignore_index=True)


@pytest.fixture(scope="module")
def claims():
    return load_published()["claims"]


@pytest.fixture(scope="module")
def synthetic_card():
    trial = load_trial(DEFAULT_DATA)
    return build_scorecard(trial, run_analyses(trial))


def supplied_copy(tmp_path, change=None):
    """The default data with SYNTHFL removed (so it counts as supplied), optionally modified."""
    folder = tmp_path / "supplied"
    shutil.copytree(DEFAULT_DATA, folder)
    for name in ("adsl", "adeff", "adae"):
        df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False).drop(columns="SYNTHFL")
        if change and name in change:
            df = change[name](df)
        df.to_csv(folder / f"{name}.csv", index=False)
    return load_trial(folder)


def test_one_row_per_claim(synthetic_card, claims):
    assert list(synthetic_card.columns) == SCORECARD_COLUMNS
    assert list(synthetic_card.claim_id) == list(claims.claim_id)
    assert set(synthetic_card.status) <= set(SCORECARD_STATUSES)
    assert set(synthetic_card.study) >= {"CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"}
    assert (synthetic_card.reason != "").all()


def test_synthetic_never_reads_as_reproduced(synthetic_card):
    assert "reproduced" not in set(synthetic_card.status)
    synthetic = synthetic_card[synthetic_card.basis == "synthetic"]
    assert set(synthetic.status) <= {"consistent_by_construction", "not_testable_without_patient_data"}
    built = synthetic_card.set_index("claim_id").loc[["P2-PHYS-100M-6M-SIXMWD", "P2-BCTNFA-200M-VS-PBO",
                                                       "P2B-6MWD-200M-9M", "P1-DEATH-200M"]]
    assert (built.status == "consistent_by_construction").all()
    assert built.reason.str.contains("by construction").all()


def test_claims_the_record_cannot_support(synthetic_card):
    card = synthetic_card.set_index("claim_id")
    assert card.loc["P2B-NATURE-2026", "status"] == "not_reproduced"
    assert "Cell Stem Cell" in card.loc["P2B-NATURE-2026", "obtained"]
    assert card.loc["P2-AGE-PRESS", "status"] == "not_reproduced"
    frail = card.loc["P2B-FRAIL-PCT"]
    assert frail.status == "not_reproduced" and "13, 26, 39" in frail.obtained
    ambiguous = card.loc["P2-PHYS-100M-6M-SPPB"]
    assert "ambiguous" in ambiguous.reason


def test_published_basis_only_when_no_patient_data(claims):
    card = build_scorecard()
    assert set(card.basis) == {"published"}
    assert set(card.status) == {"not_reproduced", "not_testable_without_patient_data"}
    row = card.set_index("claim_id").loc["P2-SAFETY-TESAE30"]
    assert "0.116" in row.obtained or "0.308" in row.obtained


def test_supplied_data_that_meets_the_claims_reproduces_them(tmp_path):
    trial = supplied_copy(tmp_path)
    assert trial.basis == "supplied"
    card = build_scorecard(trial, run_analyses(trial)).set_index("claim_id")
    for cid in ("P1-6MWD-POOLED-6M", "P2-PHYS-100M-6M-SIXMWD", "P2-BCTNFA-100M-VS-PBO", "P2B-6MWD-200M-9M",
                "P2-N-ALL", "P2-AGE-ALL", "P1-DEATH-200M-DAY", "P2B-6MWD-DOSERESP-6M", "P2B-6MWD-200M-VS-PBO-6M"):
        assert card.loc[cid, "status"] == "reproduced", (cid, card.loc[cid, "obtained"])
        assert card.loc[cid, "basis"] == "supplied"


def test_supplied_data_that_contradicts_a_claim_is_not_reproduced(tmp_path):
    def worse_walk(df):
        # 100M subjects of CRATUS-P2 lose 80 m at month 6: the printed improvement (p = .01) no longer holds
        adsl = pd.read_csv(DEFAULT_DATA / "adsl.csv")
        ids = set(adsl[(adsl.STUDYID == "CRATUS-P2") & (adsl.TRT01A == "100M")].USUBJID)
        hit = df.USUBJID.isin(ids) & (df.PARAMCD == "SIXMWD") & (df.AVISITN == "6")
        df.loc[hit, "AVAL"] = (df.loc[hit, "AVAL"].astype(float) - 80).astype(str)
        return df

    trial = supplied_copy(tmp_path, {"adeff": worse_walk})
    card = build_scorecard(trial, run_analyses(trial)).set_index("claim_id")
    assert card.loc["P2-PHYS-100M-6M-SIXMWD", "status"] == "not_reproduced"
    assert card.loc["P2-PHYS-100M-6M-FEV1", "status"] == "reproduced"
