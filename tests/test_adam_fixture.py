"""The ADaM-style fixture (msc_frailty.adam_fixture): a real trial's size and conventions, in every form.

- it has what it promises (null flags, LOCF and non-analysis records, weeks, labels, unknown parameter,
  missing and pre-treatment onset days, long arm labels, 255 subjects, 1,200+ adverse events);
- CSV, XPORT v5 and v8, Dataset-JSON and a mixed folder load to the same tables;
- every notebook that reads a data set runs on it through the runner, from the mixed folder (adsl XPORT v8,
  adeff Dataset-JSON, adae CSV), and the contract's rows match an independent computation from the raw CSV with the
  ANL01FL / DTYPE rule applied by hand (scipy, statsmodels).
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as st

from msc_frailty import adam_fixture
from msc_frailty.data import load_trial
from msc_frailty.results import read_estimates
from msc_frailty.runner import notebooks, scope_of

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    base = tmp_path_factory.mktemp("adam")
    return {form: adam_fixture.write_fixture(base / form, form) for form in (*adam_fixture.FORMS, "mixed")}


@pytest.fixture(scope="module")
def run(forms, tmp_path_factory, runner_cli):
    """Every notebook that reads the study tables, on the mixed folder (the forms load to the same tables: the
    test below). Not the scorecard, which reads only the per-study results: the toy run (test_runner.py) and
    the default run execute it."""
    target = tmp_path_factory.mktemp("run-mixed") / "out"
    per_study = [arg for nb in notebooks() if scope_of(nb) == "study" for arg in ("--notebook", nb.stem)]
    proc = runner_cli("--data", forms["mixed"], "--out", target, *per_study)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return target


def test_the_fixture_has_every_convention(forms):
    raw = {n: pd.read_csv(forms["csv"] / f"{n}.csv", dtype=str, keep_default_na=False)
           for n in ("adsl", "adeff", "adae")}
    adsl, adeff, adae = raw["adsl"], raw["adeff"], raw["adae"]
    assert len(adsl) >= 250 and len(adae) >= 1200
    assert (adsl.SAFFL == "").any() and (adae.TRTEMFL == "").any()                 # null flags
    assert (adeff.ANL01FL == "").any() and (adeff.DTYPE == "LOCF").any()             # ADaM record rules
    assert (adae.ASTDY == "").any() and (pd.to_numeric(adae.ASTDY, errors="coerce") < -1000).any()
    assert set(adeff.AVISIT) >= {"Baseline", "Week 4", "Week 26"} and "PARAM" in adeff
    assert "ADASCOG" in set(adeff.PARAMCD)                                           # not a built-in parameter
    assert max(len(a) for a in adsl.TRT01A) > 30
    assert (adsl.SYNTHFL == "Y").all() and load_trial(forms["csv"]).basis == "synthetic"


def test_every_form_loads_to_the_same_tables(forms):
    ref = load_trial(forms["csv"])
    for form, folder in forms.items():
        trial = load_trial(folder)
        for name in ("adsl", "adeff", "adae"):
            pd.testing.assert_frame_equal(getattr(trial, name).reset_index(drop=True),
                                          getattr(ref, name).reset_index(drop=True), obj=f"{form} {name}")
        pd.testing.assert_frame_equal(trial.dropped, ref.dropped)


def test_every_notebook_runs_and_says_synthetic(run):
    figures = sorted((run / "figures" / adam_fixture.STUDY).rglob("*.svg"))
    assert len(figures) >= 10
    for svg in figures:
        assert "SYNTHETIC DATA" in svg.read_text(), svg


def _analysed(forms) -> pd.DataFrame:
    """Change from baseline computed from the raw CSV by hand: ANL01FL = Y and DTYPE null, SAFFL = Y."""
    adsl = pd.read_csv(forms["csv"] / "adsl.csv", dtype=str, keep_default_na=False)
    eff = pd.read_csv(forms["csv"] / "adeff.csv", dtype=str, keep_default_na=False)
    eff = eff[(eff.ANL01FL == "Y") & (eff.DTYPE == "")].assign(AVAL=lambda d: d.AVAL.astype(float),
                                                              AVISITN=lambda d: d.AVISITN.astype(float))
    eff = eff.merge(adsl[adsl.SAFFL == "Y"][["USUBJID", "TRT01A", "TRT01AN"]], on="USUBJID")
    base = eff[eff.AVISITN == 0][["USUBJID", "PARAMCD", "AVAL"]].rename(columns={"AVAL": "BASE"})
    post = eff[eff.AVISITN > 0].merge(base, on=["USUBJID", "PARAMCD"])
    return post.assign(CHG=post.AVAL - post.BASE)


def close(a, b):
    # written to 6 significant digits; the contract promises 4
    return np.isclose(a, b, rtol=5e-6, atol=1e-9)


def test_contract_rows_match_an_independent_computation(forms, run):
    est = read_estimates(run)
    chg = _analysed(forms)
    paired = est[est.method == "paired_t"]
    assert set(paired.paramcd) >= {"SIXMWD", "TNFA"}
    for r in paired.itertuples():
        x = chg[(chg.PARAMCD == r.paramcd) & (chg.AVISITN == r.visit) & (chg.TRT01A == r.arm)].CHG
        res = st.ttest_1samp(x, 0)
        ci = res.confidence_interval()
        assert r.n == len(x) and close(r.estimate, x.mean()) and close(r.p_value, res.pvalue)
        assert close(r.ci_low, ci.low) and close(r.ci_high, ci.high)
    ancova = est[(est.method == "ancova") & (est.comparison == "vs_placebo")]
    assert len(ancova) >= 2 * 3
    for r in ancova.itertuples():
        two = chg[(chg.PARAMCD == r.paramcd) & (chg.AVISITN == r.visit) & chg.TRT01A.isin([r.arm, r.ref_arm])]
        fit = smf.ols("CHG ~ treated + BASE", data=two.assign(treated=(two.TRT01A == r.arm).astype(float))).fit()
        lo, hi = fit.conf_int().loc["treated"]
        assert close(r.estimate, fit.params["treated"]) and close(r.p_value, fit.pvalues["treated"])
        assert close(r.ci_low, lo) and close(r.ci_high, hi)
    adsl = pd.read_csv(forms["csv"] / "adsl.csv", dtype=str, keep_default_na=False)
    adae = pd.read_csv(forms["csv"] / "adae.csv", dtype=str, keep_default_na=False)
    day = pd.to_numeric(adae.ASTDY, errors="coerce")
    te_sae = adae[(adae.AESER == "Y") & (adae.TRTEMFL == "Y")]
    for paramcd, inside in (("TESAE30", day.between(1, 30)), ("TESAE30_WORST", day.between(1, 30) | day.isna())):
        hit = set(te_sae[inside.loc[te_sae.index]].USUBJID)
        rows = est[(est.paramcd == paramcd) & (est.method == "clopper_pearson") & (est.study == adam_fixture.STUDY)]
        assert paramcd == "TESAE30_WORST" or len(rows) == 3
        if paramcd == "TESAE30_WORST" and not (te_sae.ASTDY == "").any():
            assert rows.empty
            continue
        for r in rows.itertuples():
            saf = adsl[(adsl.SAFFL == "Y") & (adsl.TRT01A == r.arm)]
            k = int(saf.USUBJID.isin(hit).sum())
            ci = st.binomtest(k, len(saf)).proportion_ci(method="exact")
            assert r.n == len(saf) and close(r.estimate, k / len(saf))
            assert close(r.ci_low, ci.low) and close(r.ci_high, ci.high)
