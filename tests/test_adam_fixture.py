"""The ADaM-style fixture (msc_frailty.adam_fixture): a real delivery's files, size and conventions, in every form.

- the delivery: adsl.xpt (v5), adft.xpt (v5), adlb.json, adqs.csv, adtte.xpt (v8), adae.json and studies.csv,
  each in the form it promises, holding what it promises (6MWD and SPPB; TNF-alpha and safety labs with
  units; SF-36 and a 1-7 global impression of change without a baseline record; a time-to-event table
  without AVISITN; mg doses and arm labels without cells), with the ADaM conventions (null flags, LOCF and
  non-analysis records, weeks with labels, unknown and pre-treatment onsets), SYNTHFL = Y on every row;
- seeded and byte-deterministic; every form reads to the same text tables;
- as delivered (several BDS tables in mixed forms) it loads to the same records as the combined layout (adft,
  adlb and adqs as one adeff), and make check-data lists the tables read and adtte left out;
- every notebook that reads a data set runs on the delivery through the runner, and the contract's rows match an
  independent computation from the combined CSV with the ANL01FL / DTYPE rule applied by hand (scipy,
  statsmodels), the no-baseline rating's rows (value at each visit, Welch, Mann-Whitney) included; the rating is
  counted, drawn and compared between doses, and no figure or caption of this mg trial speaks of infusions or
  million cells.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as st

from msc_frailty import adam_fixture
from msc_frailty.data import PARAMETERS, load_trial
from msc_frailty.readers import read_table
from msc_frailty.results import read_estimates
from msc_frailty.runner import notebooks, scope_of

DELIVERED = {"adsl.xpt", "adft.xpt", "adlb.json", "adqs.csv", "adtte.xpt", "adae.json", "studies.csv"}
TABLES = ("adsl", "adft", "adlb", "adqs", "adtte", "adae")


@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    return adam_fixture.write_fixture(tmp_path_factory.mktemp("adam") / "delivery")


@pytest.fixture(scope="module")
def tables(delivery) -> dict[str, pd.DataFrame]:
    """The delivery's tables as the readers give them (text)."""
    return {p.stem: read_table(p, cache=False)[0] for p in delivery.iterdir()}


def test_the_delivery_has_its_files_in_their_forms(delivery):
    assert {p.name for p in delivery.iterdir()} == DELIVERED
    first_line = {p.name: p.read_bytes()[:80] for p in delivery.glob("*.xpt")}
    assert {n for n, line in first_line.items() if b"LIBRARY HEADER" in line} == {"adsl.xpt", "adft.xpt"}
    assert {n for n, line in first_line.items() if b"LIBV8   HEADER" in line} == {"adtte.xpt"}
    for name in ("adlb", "adae"):
        doc = json.loads((delivery / f"{name}.json").read_text())
        assert doc["datasetJSONVersion"] == "1.1.0" and doc["name"] == name.upper() and doc["records"] == len(doc["rows"])
    assert (delivery / "studies.csv").read_text() == ("STUDYID,treatment,dose_unit,day1\n"
                                                      "ADAM-EXAMPLE,Exemplumab,mg,first dose\n")


def test_each_table_holds_what_it_promises(tables):
    params = {t: set(tables[t].PARAMCD) for t in ("adft", "adlb", "adqs", "adtte")}
    assert params == {"adft": {"SIXMWD", "SPPB"}, "adlb": {"TNFA", "ALT", "CREAT", "HGB"},
                      "adqs": {"SF36PCS", "PGIC"}, "adtte": {"TTFALL"}}
    labs = tables["adlb"].drop_duplicates("PARAMCD").set_index("PARAMCD").PARAM
    assert labs["ALT"] == "Alanine Aminotransferase (U/L)" and labs["HGB"] == "Hemoglobin (g/L)"
    assert {"ALT", "CREAT", "HGB"}.isdisjoint(PARAMETERS)                 # parameters the collection does not know
    # the time-to-event table is not BDS efficacy data: no AVISITN
    assert "AVISITN" not in tables["adtte"] and {"AVAL", "CNSR"} <= set(tables["adtte"].columns)
    for name in ("adft", "adlb", "adqs"):
        assert {"STUDYID", "USUBJID", "PARAMCD", "AVAL", "AVISITN", "PARAM", "AVISIT"} <= set(tables[name].columns)


def test_the_global_impression_has_no_baseline_and_a_1_to_7_scale(tables):
    adqs = tables["adqs"]
    pgic = adqs[adqs.PARAMCD == "PGIC"]
    assert set(pgic.AVISITN) == {"4", "12", "26"} and set(pgic.AVISIT) == {"Week 4", "Week 12", "Week 26"}
    assert set(pgic.AVAL) <= {str(k) for k in range(1, 8)} and set(pgic.AVAL) == {str(k) for k in range(1, 8)}
    assert (pgic.AVALC == pgic.AVAL.astype(int).map(adam_fixture.PGIC_TEXT)).all()
    assert (adqs[adqs.PARAMCD == "SF36PCS"].AVISITN == "0").any()
    spbb = tables["adft"].query("PARAMCD == 'SPPB'").AVAL.astype(float)
    assert spbb.between(0, 12).all() and (spbb % 1 == 0).all()


def test_doses_are_mg_and_arms_speak_of_no_cells(tables):
    adsl = tables["adsl"]
    assert set(adsl.TRT01AN) == {"0", "50", "100"}
    assert not adsl.TRT01A.str.contains("cell|infus", case=False).any()
    assert max(len(a) for a in adsl.TRT01A) > 30                            # long labels, as sponsors write them


def test_the_fixture_has_every_convention(tables):
    adsl, adae = tables["adsl"], tables["adae"]
    assert len(adsl) == 255 and len(adae) == 1214                           # seeded: the same count every time
    assert (adsl.SAFFL == "").any() and (adae.TRTEMFL == "").any()           # null flags
    for name in ("adft", "adlb", "adqs"):
        bds = tables[name]
        assert (bds.ANL01FL == "").any() and (bds.DTYPE == "LOCF").any(), name   # ADaM record rules
        assert {"Baseline", "Week 4", "Week 26"} <= set(bds.AVISIT)
    assert (adae.ASTDY == "").any() and (pd.to_numeric(adae.ASTDY, errors="coerce") < -1000).any()
    for name, df in tables.items():
        if name != "studies":
            assert (df.SYNTHFL == "Y").all(), name


def test_invented_effects_point_the_way_the_docstring_says(tables):
    """Week 26, observed analysis records: walk distance up and the global impression down (better) with dose."""
    def week_26(name, paramcd):
        df = tables[name]
        df = df[(df.PARAMCD == paramcd) & (df.AVISITN == "26") & (df.ANL01FL == "Y") & (df.DTYPE == "")]
        dose = df.USUBJID.map(tables["adsl"].set_index("USUBJID").TRT01AN)
        return df.AVAL.astype(float).groupby(dose).mean()
    walk, pgic = week_26("adft", "SIXMWD"), week_26("adqs", "PGIC")
    assert walk["0"] < walk["50"] < walk["100"]
    assert pgic["100"] < pgic["0"]


def test_the_same_arguments_give_the_same_bytes(tmp_path, delivery):
    again = adam_fixture.write_fixture(tmp_path / "again")
    for path in delivery.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    other = adam_fixture.write_fixture(tmp_path / "other", seed=adam_fixture.SEED + 1)
    assert (other / "adsl.xpt").read_bytes() != (delivery / "adsl.xpt").read_bytes()
    assert (other / "studies.csv").read_bytes() == (delivery / "studies.csv").read_bytes()


@pytest.mark.parametrize("form", ["csv", "xpt5", "xpt8", "json"])
def test_every_form_reads_to_the_same_text_tables(tmp_path, tables, form):
    folder = adam_fixture.write_fixture(tmp_path / form, form)
    suffix = adam_fixture.SUFFIX[form]
    assert {p.name for p in folder.iterdir()} == {f"{t}{suffix}" for t in TABLES} | {"studies.csv"}
    for name in TABLES:
        got, _ = read_table(folder / f"{name}{suffix}", cache=False)
        pd.testing.assert_frame_equal(got, tables[name], obj=f"{form} {name}")


def test_the_size_can_grow(tmp_path):
    folder = adam_fixture.write_fixture(tmp_path / "big", "csv", per_arm=4, weeks=range(0, 9))
    adsl, adft = (read_table(folder / f"{n}.csv", cache=False)[0] for n in ("adsl", "adft"))
    assert len(adsl) == 12 and set(adft.AVISITN.astype(int)) == set(range(9))
    assert adam_fixture._weeks("0-3") == [0, 1, 2, 3] and adam_fixture._weeks("0,4,12") == [0, 4, 12]


@pytest.mark.parametrize("call, match", [
    (lambda f: adam_fixture.write_fixture(f, "xlsx"), "form must be one of"),
    (lambda f: adam_fixture.write_fixture(f, weeks=(4, 12)), "weeks must start at 0"),
    (lambda f: adam_fixture.write_fixture(f, weeks=(0,)), "weeks must start at 0"),
    (lambda f: adam_fixture.write_fixture(f, per_arm=1), "per_arm must be at least 2"),
])
def test_bad_arguments_are_refused(tmp_path, call, match):
    with pytest.raises(ValueError, match=match):
        call(tmp_path / "x")


def test_the_command(tmp_path, capsys):
    assert adam_fixture.main(["--out", str(tmp_path / "c"), "--form", "csv", "--combined"]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "c").iterdir()} == {"adsl.csv", "adeff.csv", "adtte.csv", "adae.csv",
                                                             "studies.csv"}


# ----------------------------------------------------------------- combined: the three-table layout, end to end
@pytest.fixture(scope="module")
def combined(tmp_path_factory):
    base = tmp_path_factory.mktemp("adam-combined")
    return {form: adam_fixture.write_fixture(base / form, form, combined=True) for form in ("delivery", "csv")}


def test_combined_every_form_loads_to_the_same_trial(combined):
    ref = load_trial(combined["csv"])
    assert set(ref.adeff.PARAMCD) == {"SIXMWD", "SPPB", "TNFA", "ALT", "CREAT", "HGB", "SF36PCS", "PGIC"}
    for form, folder in combined.items():
        trial = load_trial(folder)
        for name in ("adsl", "adeff", "adae"):
            pd.testing.assert_frame_equal(getattr(trial, name).reset_index(drop=True),
                                          getattr(ref, name).reset_index(drop=True), obj=f"{form} {name}")
        pd.testing.assert_frame_equal(trial.dropped, ref.dropped)


def test_the_delivery_loads_to_the_combined_trial(delivery, combined):
    """Several BDS tables in three forms (adft XPORT v5, adlb Dataset-JSON, adqs CSV) give the same analysis
    records, labels and left-out counts as one adeff table holding them; adtte (no AVISITN) is left out."""
    trial, ref = load_trial(delivery), load_trial(combined["csv"])
    key = ["STUDYID", "USUBJID", "PARAMCD", "AVISITN"]
    cols = [*key, "AVAL", "PARAM", "AVISIT"]
    pd.testing.assert_frame_equal(trial.adeff[cols].sort_values(key).reset_index(drop=True),
                                  ref.adeff[cols].sort_values(key).reset_index(drop=True))
    for name in ("adsl", "adae"):
        pd.testing.assert_frame_equal(getattr(trial, name).reset_index(drop=True),
                                      getattr(ref, name).reset_index(drop=True), obj=name)
    assert list(trial.tables.table) == ["adsl", "adft", "adlb", "adqs", "adae"]
    assert list(trial.left_out.table) == ["adtte"] and "AVISITN" in trial.left_out.iloc[0].to_string()
    by_reason = trial.dropped[trial.dropped.table != "adtte"].groupby("reason").n.sum()
    ref_reason = ref.dropped[ref.dropped.table != "adtte"].groupby("reason").n.sum()
    assert by_reason.to_dict() == ref_reason.to_dict() and len(by_reason) == 2


def test_check_data_lists_the_tables_read_and_left_out(delivery, capsys):
    from msc_frailty import data
    assert data.main([str(delivery)]) == 0
    out = capsys.readouterr().out
    read, left = out.split("tables left out:")
    for name, file in (("adft", "adft.xpt"), ("adlb", "adlb.json"), ("adqs", "adqs.csv")):
        assert name in read and file in read
    assert "adtte" not in read and "adtte.xpt" in left and "AVISITN" in left.splitlines()[1]


@pytest.fixture(scope="module")
def run(delivery, tmp_path_factory, runner_cli):
    """Every notebook that reads the study tables, on the fixture as delivered (several BDS tables in mixed
    forms, adtte left out, studies.csv in mg; it loads to the same records as the combined layout: the test
    above). Not the scorecard, which reads only the per-study results: the toy run (test_runner.py) and the
    default run execute it."""
    target = tmp_path_factory.mktemp("run-delivery") / "out"
    per_study = [arg for nb in notebooks() if scope_of(nb) == "study" for arg in ("--notebook", nb.stem)]
    proc = runner_cli("--data", delivery, "--out", target, *per_study)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return target


@pytest.mark.notebooks
def test_every_notebook_runs_and_says_synthetic(run):
    figures = sorted((run / "figures" / adam_fixture.STUDY).rglob("*.svg"))
    # a time course per parameter (8) and TNF-alpha's ratio view, the dose forests (with and without a baseline)
    # and the dose response, the two against-placebo forests, the change summary, CONSORT and two safety figures
    assert len(figures) == 18, [f.name for f in figures]
    for svg in figures:
        assert "SYNTHETIC DATA" in svg.read_text(), svg


def _analysed(folder) -> pd.DataFrame:
    """Change from baseline computed from the raw CSV by hand: ANL01FL = Y and DTYPE null, SAFFL = Y."""
    adsl = pd.read_csv(folder / "adsl.csv", dtype=str, keep_default_na=False)
    eff = pd.read_csv(folder / "adeff.csv", dtype=str, keep_default_na=False)
    eff = eff[(eff.ANL01FL == "Y") & (eff.DTYPE == "")].assign(AVAL=lambda d: d.AVAL.astype(float),
                                                              AVISITN=lambda d: d.AVISITN.astype(float))
    eff = eff.merge(adsl[adsl.SAFFL == "Y"][["USUBJID", "TRT01A", "TRT01AN"]], on="USUBJID")
    base = eff[eff.AVISITN == 0][["USUBJID", "PARAMCD", "AVAL"]].rename(columns={"AVAL": "BASE"})
    post = eff[eff.AVISITN > 0].merge(base, on=["USUBJID", "PARAMCD"])
    return post.assign(CHG=post.AVAL - post.BASE)


def close(a, b):
    # written to 6 significant digits; the contract promises 4
    return np.isclose(a, b, rtol=5e-6, atol=1e-9)


@pytest.mark.notebooks
def test_contract_rows_match_an_independent_computation(combined, run):
    est = read_estimates(run)
    chg = _analysed(combined["csv"])
    paired = est[est.method == "paired_t"]
    assert set(paired.paramcd) >= {"SIXMWD", "TNFA"}
    for r in paired.itertuples():
        x = chg[(chg.PARAMCD == r.paramcd) & (chg.AVISITN == r.visit) & (chg.TRT01A == r.arm)].CHG
        res = st.ttest_1samp(x, 0)
        ci = res.confidence_interval()
        assert r.n == len(x) and close(r.estimate, x.mean()) and close(r.p_value, res.pvalue)
        assert close(r.ci_low, ci.low) and close(r.ci_high, ci.high)
    ancova = est[(est.method == "ancova") & (est.comparison == "vs_placebo")]
    assert len(ancova) == 7 * 3 * 2      # 7 parameters with a baseline, 3 visits, 2 doses against placebo
    for r in ancova.itertuples():
        two = chg[(chg.PARAMCD == r.paramcd) & (chg.AVISITN == r.visit) & chg.TRT01A.isin([r.arm, r.ref_arm])]
        fit = smf.ols("CHG ~ treated + BASE", data=two.assign(treated=(two.TRT01A == r.arm).astype(float))).fit()
        lo, hi = fit.conf_int().loc["treated"]
        assert close(r.estimate, fit.params["treated"]) and close(r.p_value, fit.pvalues["treated"])
        assert close(r.ci_low, lo) and close(r.ci_high, hi)
    adsl = pd.read_csv(combined["csv"] / "adsl.csv", dtype=str, keep_default_na=False)
    adae = pd.read_csv(combined["csv"] / "adae.csv", dtype=str, keep_default_na=False)
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


def _values(folder) -> pd.DataFrame:
    """The analysis records of the no-baseline rating (PGIC) from the raw CSV by hand: ANL01FL = Y, DTYPE null,
    SAFFL = Y."""
    adsl = pd.read_csv(folder / "adsl.csv", dtype=str, keep_default_na=False)
    eff = pd.read_csv(folder / "adeff.csv", dtype=str, keep_default_na=False)
    eff = eff[(eff.PARAMCD == "PGIC") & (eff.ANL01FL == "Y") & (eff.DTYPE == "")]
    eff = eff.assign(AVAL=eff.AVAL.astype(float), AVISITN=eff.AVISITN.astype(float))
    return eff.merge(adsl[adsl.SAFFL == "Y"][["USUBJID", "TRT01A", "TRT01AN"]], on="USUBJID")


@pytest.mark.notebooks
def test_the_rating_without_baseline_is_counted_estimated_and_compared(combined, run):
    """PGIC has no baseline record: per arm and visit the mean value with its t interval, between arms Welch's
    difference and the Mann-Whitney test with the rank-biserial correlation, all against scipy; counts are the
    subjects with a value (60 or more per arm here), never 0."""
    est = read_estimates(run)
    pgic, values = est[est.paramcd == "PGIC"], _values(combined["csv"])
    assert not pgic.comparison.isin(["change_from_baseline", "count"]).any()
    at_visit = pgic[pgic.method == "t_interval"]
    assert sorted(set(at_visit.visit)) == [4.0, 12.0, 26.0] and len(at_visit) == 3 * 3
    for r in at_visit.itertuples():
        x = values[(values.AVISITN == r.visit) & (values.TRT01A == r.arm)].AVAL
        lo, hi = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
        assert r.comparison == "at_visit" and r.n == len(x) >= 60 and np.isnan(r.p_value)
        assert close(r.estimate, x.mean()) and close(r.ci_low, lo) and close(r.ci_high, hi)
    between = pgic[pgic.comparison.isin(["vs_placebo", "vs_arm"])]
    assert set(between.method) == {"welch_t", "mann_whitney", "rank_biserial"}
    assert (between.comparison == "vs_arm").sum() == 3 * 3          # 50 mg vs 100 mg at three visits, three rows
    for r in between.itertuples():
        here = values[values.AVISITN == r.visit]
        x, y = here[here.TRT01A == r.arm].AVAL, here[here.TRT01A == r.ref_arm].AVAL
        assert (r.n, r.n_ref) == (len(x), len(y))
        if r.method == "welch_t":
            res = st.ttest_ind(x, y, equal_var=False)
            ci = res.confidence_interval()
            assert close(r.estimate, x.mean() - y.mean()) and close(r.p_value, res.pvalue)
            assert close(r.ci_low, ci.low) and close(r.ci_high, ci.high)
        elif r.method == "mann_whitney":
            assert close(r.p_value, st.mannwhitneyu(x, y, alternative="two-sided").pvalue) and np.isnan(r.estimate)
        else:       # P(x > y) - P(x < y): positive when the arm's values tend to be higher
            u = st.mannwhitneyu(x, y).statistic
            assert close(r.estimate, 2 * u / (len(x) * len(y)) - 1) and np.isnan(r.p_value)


@pytest.mark.notebooks
def test_the_rating_is_drawn_and_named_in_other_endpoints(run):
    figures = run / "figures" / adam_fixture.STUDY
    svg = (figures / "pgic.svg").read_text()
    assert "Patient Global Impression of Change" in svg and "Weeks since first dose" in svg
    assert "not a change from baseline" in svg                         # the caption says what is drawn
    assert (figures / "dose_forest_at_visit.svg").exists()              # and it is in the dose comparison
    nb = json.loads((run / "notebooks" / adam_fixture.STUDY / "other_endpoints.ipynb").read_text())
    shown = "".join("".join(o.get("data", {}).get("text/markdown", "")) + "".join(o.get("text", ""))
                    for c in nb["cells"] for o in c.get("outputs", []))
    assert "4 other endpoints" in shown and "no baseline record" in shown
    assert "No other endpoint" not in shown and "too few subjects" not in shown


@pytest.mark.notebooks
def test_no_figure_or_caption_of_the_mg_trial_speaks_of_infusions_or_cells(run):
    figures = run / "figures" / adam_fixture.STUDY
    texts = {svg.name: svg.read_text() for svg in figures.glob("*.svg")}
    captions = pd.read_csv(run / "figures" / "captions.csv", dtype=str, keep_default_na=False)
    texts.update({f"caption {r.figure}": r.caption for r in captions.itertuples()})
    for name, text in texts.items():
        assert not re.search(r"infus|million cells", text, re.IGNORECASE), name
    assert "Dose (mg)" in texts["dose_response.svg"] and "per 100 mg" in texts["dose_response.svg"]
