"""End to end: every notebook executed through the runner (the papermill path of `make reproduce`).

- on a second data set with other arm names, doses and visits, the paired_t, ancova and
  clopper_pearson rows of estimates.csv match an independent computation (scipy, statsmodels);
- only OUT is written;
- each kind of malformed data set stops the run with a message naming file, column and rows, a
  non-zero exit, and the previous figures and results intact.
"""

import errno
import hashlib
import json
import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from conftest import data_notebook_args, data_notebooks, tree_digest, write_dataset
from scipy import stats as st

from msc_frailty.data import load_trial
from msc_frailty.paths import ROOT
from msc_frailty.runner import ParameterError, scope_of, uses_study_results

pytestmark = pytest.mark.notebooks


def test_toy_run_succeeds_and_writes_only_out(toy_run):
    proc = toy_run["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert toy_run["repo_unchanged"], "a run with --out touched the repository's figures/ or results/"
    out = toy_run["out"]
    for nb in data_notebooks():   # the published-only ones are executed by the default run (test_reproduce)
        for study in (("TOY-1", "TOY-2") if scope_of(nb) == "study" else ("all",)):
            assert (out / "notebooks" / study / nb.name).is_file(), (study, nb.name)
    for study in ("TOY-1", "TOY-2"):
        pngs = sorted((out / "figures" / study).glob("*.png"))
        assert pngs, study
        for png in pngs:
            for ext in (".pdf", ".svg"):
                assert png.with_suffix(ext).is_file()
    assert not list(out.glob(".staging-*"))
    run = json.loads((out / "results" / "run.json").read_text())
    assert run["basis"] == "supplied" and run["studies"] == ["TOY-1", "TOY-2"]


@pytest.mark.parametrize("value, expected", [(None, True), (True, True), (False, False), ("no", ParameterError)])
def test_uses_study_results_is_read_from_the_notebook_metadata(tmp_path, value, expected):
    meta = {"scope": "dataset", **({} if value is None else {"uses_study_results": value})}
    nb = tmp_path / "n.ipynb"
    nb.write_text(json.dumps({"metadata": {"msc_frailty": meta}, "cells": []}))
    if expected is ParameterError:
        with pytest.raises(ParameterError, match="uses_study_results must be true or false"):
            uses_study_results(nb)
    else:
        assert uses_study_results(nb) is expected


@pytest.fixture(scope="module")
def toy_estimates(toy_run):
    assert toy_run["proc"].returncode == 0, toy_run["proc"].stderr[-3000:]
    est = pd.read_csv(toy_run["out"] / "results" / "estimates.csv", keep_default_na=False, na_values=[""])
    assert set(est.basis) == {"supplied", "published"}
    assert set(est[est.basis == "supplied"].study) == {"TOY-1", "TOY-2"}
    return est[est.basis == "supplied"]


def test_toy_scorecard_has_every_claim_on_the_published_basis(toy_run):
    card = pd.read_csv(toy_run["out"] / "results" / "scorecard.csv", keep_default_na=False)
    claims = pd.read_csv(ROOT / "data" / "published" / "claims.csv", keep_default_na=False)
    assert list(card.claim_id) == list(claims.claim_id)
    assert set(card.basis) == {"published"}      # the toy studies are not the published trials


@pytest.fixture(scope="module")
def toy_changes(toy_run):
    data = toy_run["data"]
    adsl, adeff = pd.read_csv(data / "adsl.csv"), pd.read_csv(data / "adeff.csv")
    base = adeff[adeff.AVISITN == 0][["USUBJID", "PARAMCD", "AVAL"]].rename(columns={"AVAL": "BASE"})
    post = adeff[adeff.AVISITN > 0].merge(base, on=["USUBJID", "PARAMCD"])
    post["CHG"] = post.AVAL - post.BASE
    return post.merge(adsl[["USUBJID", "TRT01A", "TRT01AN", "SAFFL"]], on="USUBJID").query("SAFFL == 'Y'")


def close(a, b):
    # the results are written to 6 significant digits (results.SIGNIFICANT_DIGITS): agreement to half a
    # unit in the 6th digit, finer than the 4 significant digits the contract promises
    return np.isclose(a, b, rtol=5e-6, atol=1e-9)


def test_paired_t_rows_match_scipy(toy_estimates, toy_changes):
    rows = toy_estimates[toy_estimates.method == "paired_t"]
    assert set(rows.visit) == {2, 4} and {"Control", "Low", "High", "A", "B"} <= set(rows.arm)
    checked = 0
    for r in rows.itertuples():
        x = toy_changes.query("STUDYID == @r.study and PARAMCD == @r.paramcd and AVISITN == @r.visit "
                              "and TRT01A == @r.arm").CHG
        res = st.ttest_1samp(x, 0)
        ci = res.confidence_interval(0.95)
        assert r.n == len(x)
        assert close(r.estimate, x.mean()) and close(r.ci_low, ci.low) and close(r.ci_high, ci.high)
        assert close(r.p_value, res.pvalue)
        checked += 1
    assert checked == 2 * 2 * 3 + 2 * 2 * 2   # (params x visits) x arms, TOY-1 and TOY-2


def test_ancova_rows_match_statsmodels(toy_estimates, toy_changes):
    rows = toy_estimates[toy_estimates.method == "ancova"]
    vs_p = rows[rows.comparison == "vs_placebo"]
    assert set(vs_p.ref_arm) == {"Control"} and set(vs_p.study) == {"TOY-1"}
    vs_a = rows[rows.comparison == "vs_arm"]
    assert set(zip(vs_a.arm, vs_a.ref_arm)) == {("Low", "High"), ("A", "B")}
    for r in rows.itertuples():
        two = toy_changes.query("STUDYID == @r.study and PARAMCD == @r.paramcd and AVISITN == @r.visit "
                                "and TRT01A in [@r.arm, @r.ref_arm]").copy()
        two["treated"] = (two.TRT01A == r.arm).astype(float)
        fit = smf.ols("CHG ~ treated + BASE", data=two).fit()
        lo, hi = fit.conf_int().loc["treated"]
        assert (r.n, r.n_ref) == ((two.treated == 1).sum(), (two.treated == 0).sum())
        assert close(r.estimate, fit.params["treated"]) and close(r.p_value, fit.pvalues["treated"])
        assert close(r.ci_low, lo) and close(r.ci_high, hi)


def test_clopper_pearson_rows_match_exact_binomial(toy_estimates):
    rows = toy_estimates[toy_estimates.method == "clopper_pearson"].set_index(["study", "arm"])
    expected = {("TOY-1", "Control"): (0, 8), ("TOY-1", "Low"): (0, 8), ("TOY-1", "High"): (1, 8),
                ("TOY-2", "A"): (0, 6), ("TOY-2", "B"): (0, 6)}
    assert set(rows.index) == set(expected)
    for key, (k, n) in expected.items():
        r = rows.loc[key]
        ci = st.binomtest(k, n).proportion_ci(0.95, method="exact")
        assert r.paramcd == "TESAE30" and r.n == n
        assert close(r.estimate, k / n) and close(r.ci_low, ci.low) and close(r.ci_high, ci.high)


# --- malformed data sets ------------------------------------------------------------------------

def _break(folder, how):
    adsl, adeff = folder / "adsl.csv", folder / "adeff.csv"
    if how == "missing_file":
        (folder / "adae.csv").unlink()
        return "adae.csv", None, None
    if how == "missing_column":
        df = pd.read_csv(adeff).drop(columns=["AVAL"])
        df.to_csv(adeff, index=False)
        return "adeff.csv", "AVAL", None
    if how == "non_numeric":
        df = pd.read_csv(adeff, dtype=str)
        df.loc[4, "AVAL"] = "12,5"
        df.to_csv(adeff, index=False)
        return "adeff.csv", "AVAL", "6"
    if how == "negative_dose":
        df = pd.read_csv(adsl)
        df.loc[2, "TRT01AN"] = -10
        df.to_csv(adsl, index=False)
        return "adsl.csv", "TRT01AN", "4"
    if how == "duplicated_row":
        df = pd.read_csv(adeff, dtype=str)
        df = pd.concat([df, df.iloc[[7]]], ignore_index=True)
        df.to_csv(adeff, index=False)
        return "adeff.csv", "AVISITN", f"9, {len(df) + 1}"
    if how == "unknown_subject":
        df = pd.read_csv(adeff, dtype=str)
        df.loc[3, "USUBJID"] = "NOBODY-1"
        df.to_csv(adeff, index=False)
        return "adeff.csv", "USUBJID", "5"
    if how == "empty_subject_table":
        df = pd.read_csv(adsl).iloc[:0]
        df.to_csv(adsl, index=False)
        return "adsl.csv", None, None
    raise ValueError(how)


@pytest.mark.parametrize("how", ["missing_file", "missing_column", "non_numeric", "negative_dose",
                                 "duplicated_row", "unknown_subject", "empty_subject_table"])
def test_malformed_data_stops_and_keeps_previous_output(toy_run, tmp_path, how, runner_cli):
    assert toy_run["proc"].returncode == 0
    out = tmp_path / "out"
    shutil.copytree(toy_run["out"], out)
    before = tree_digest(out)
    bad = tmp_path / "bad"
    shutil.copytree(toy_run["data"], bad)
    file, column, rows = _break(bad, how)
    proc = runner_cli("--data", str(bad), "--out", str(out))
    assert proc.returncode != 0
    msg = proc.stderr
    assert "data error" in msg and file in msg, msg
    if column:
        assert f"column {column}" in msg, msg
    if rows:
        assert f"rows {rows}" in msg, msg
    assert tree_digest(out) == before, "a failed run changed the previous output"


def test_make_reproduce_propagates_failure(toy_run, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(toy_run["data"], bad)
    _break(bad, "negative_dose")
    proc = subprocess.run(["make", "--no-print-directory", "reproduce", f"DATA={bad}", f"OUT={tmp_path / 'o'}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "TRT01AN" in proc.stderr
    assert not (tmp_path / "o" / "figures").exists()


def test_unknown_parameter_refused_by_cli(toy_run, tmp_path, runner_cli):
    proc = runner_cli("--data", str(toy_run["data"]), "--out", str(tmp_path / "o"), "-p", "sed=3")
    assert proc.returncode != 0 and "unknown parameter" in proc.stderr
    assert not (tmp_path / "o" / "figures").exists()


# --- skipping unchanged work, provenance ------------------------------------------------------------

def test_manifest_lists_every_figure_with_its_hashes(toy_run):
    from msc_frailty.runner import MANIFEST_COLUMNS, data_digest
    out = toy_run["out"]
    manifest = pd.read_csv(out / "figures" / "MANIFEST.csv", keep_default_na=False)
    assert list(manifest.columns) == MANIFEST_COLUMNS
    files = sorted(str(p.relative_to(out)) for p in (out / "figures").rglob("*")
                   if p.name not in ("MANIFEST.csv", "captions.csv") and p.is_file())
    assert sorted(manifest.figure) == files
    for r in manifest.itertuples():
        assert hashlib.sha256((out / r.figure).read_bytes()).hexdigest() == r.figure_sha256
        assert (ROOT / r.notebook).is_file()
        assert r.data_sha256 == data_digest(toy_run["data"])
        # the basis stamped on the figure: the published summaries' figures are "published" in any data set;
        # the scorecard, which sets the data set against the record, carries the data set's
        published = r.figure.startswith("figures/published/") and "/scorecard." not in r.figure
        assert r.basis == ("published" if published else "supplied"), r.figure
        assert json.loads(r.parameters)["study"] in ("TOY-1", "TOY-2", "all")


def test_rerun_skips_unchanged_and_repairs_what_is_missing(toy_run, tmp_path, runner_cli):
    out = tmp_path / "out"
    shutil.copytree(toy_run["out"], out)
    before = tree_digest(out / "figures")
    proc = runner_cli("--data", str(toy_run["data"]), "--out", str(out), *data_notebook_args())
    assert proc.returncode == 0 and "nothing changed" in proc.stdout, proc.stdout + proc.stderr
    assert tree_digest(out / "figures") == before
    # a deleted figure makes its notebook (and only it) run again, and comes back identical
    victim = next((out / "figures" / "TOY-1").glob("consort.png"))
    victim.unlink()
    proc = runner_cli("--data", str(toy_run["data"]), "--out", str(out), *data_notebook_args())
    assert proc.returncode == 0, proc.stderr
    assert "done (1 executed)" in proc.stdout, proc.stdout
    assert tree_digest(out / "figures") == before


def test_changed_data_reruns(toy_run, tmp_path, runner_cli):
    out, data = tmp_path / "out", tmp_path / "data"
    shutil.copytree(toy_run["out"], out)
    shutil.copytree(toy_run["data"], data)
    df = pd.read_csv(data / "adeff.csv")
    df.loc[(df.USUBJID == "T1-H01") & (df.AVISITN == 4) & (df.PARAMCD == "SIXMWD"), "AVAL"] += 25
    df.to_csv(data / "adeff.csv", index=False)
    # one notebook is enough to see a change of data rerun what was current (both studies: the data digest
    # covers the whole data set)
    proc = runner_cli("--data", str(data), "--out", str(out), "--notebook", "physical_performance")
    assert proc.returncode == 0, proc.stderr
    assert "skipped" not in proc.stdout and "done (2 executed)" in proc.stdout, proc.stdout
    old = pd.read_csv(toy_run["out"] / "results" / "estimates.csv")
    new = pd.read_csv(out / "results" / "estimates.csv")
    key = (new.study == "TOY-1") & (new.arm == "High") & (new.visit == 4) & (new.method == "paired_t") \
        & (new.paramcd == "SIXMWD")
    okey = (old.study == "TOY-1") & (old.arm == "High") & (old.visit == 4) & (old.method == "paired_t") \
        & (old.paramcd == "SIXMWD")
    assert new[key].estimate.iloc[0] == pytest.approx(old[okey].estimate.iloc[0] + 25 / 8)


def test_safety_notebook_with_unknown_and_pre_treatment_onsets(tmp_path, runner_cli):
    # real adverse-event data: an onset day missing, an event years before the infusion, a death of
    # unknown onset; the safety notebook runs, lists them and writes the worst-case rows
    data = write_dataset(tmp_path / "data")
    ae = pd.read_csv(data / "adae.csv")
    ae.loc[len(ae)] = ["TOY-1", "T1-L02", "Fall", "Y", "Y", None, "RECOVERED"]
    ae.loc[len(ae)] = ["TOY-1", "T1-C03", "Hypertension", "Y", "N", -7000, "NOT RECOVERED"]
    ae.loc[len(ae)] = ["TOY-1", "T1-H02", "Death", "Y", "Y", None, "FATAL"]
    ae.to_csv(data / "adae.csv", index=False)
    out = tmp_path / "out"
    proc = runner_cli("--data", str(data), "--out", str(out), "--notebook", "safety")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    from msc_frailty.results import read_estimates

    est = read_estimates(out)
    worst = est[(est.paramcd == "TESAE30_WORST") & (est.comparison == "proportion")].set_index("arm")
    primary = est[(est.paramcd == "TESAE30") & (est.comparison == "proportion")].set_index(["study", "arm"])
    assert set(est.loc[est.paramcd == "TESAE30_WORST", "study"]) == {"TOY-1"}
    assert worst.loc["Low", "estimate"] == pytest.approx(1 / 8) and primary.loc[("TOY-1", "Low"), "estimate"] == 0
    assert worst.loc["High", "estimate"] == pytest.approx(2 / 8)       # T1-H03 day 12 and T1-H02's death
    executed = (out / "notebooks" / "TOY-1" / "safety.ipynb").read_text()
    assert "have no onset day" in executed and "study day of onset unknown" in executed


def test_records_parameter_applies_the_anl01fl_dtype_rule(tmp_path, runner_cli):
    # ADaM adeff: a record not chosen for analysis (ANL01FL null) beside the chosen one, and imputed
    # (DTYPE = LOCF) records at a visit nobody attended; by default neither is analysed, with
    # -p records=as_flagged the LOCF records are
    from msc_frailty.results import read_estimates

    plain = write_dataset(tmp_path / "plain")
    adam = write_dataset(tmp_path / "adam")
    eff = pd.read_csv(adam / "adeff.csv", dtype=str, keep_default_na=False).assign(ANL01FL="Y", DTYPE="")
    extra = [["TOY-1", "T1-H01", "SIXMWD", "2", "999.0", "", ""]]
    extra += [["TOY-1", f"T1-H0{i}", "SIXMWD", "6", "400.0", "Y", "LOCF"] for i in (1, 2, 3)]
    eff = pd.concat([eff, pd.DataFrame(extra, columns=eff.columns)], ignore_index=True)
    eff.to_csv(adam / "adeff.csv", index=False)

    def estimates(data, *args):
        out = tmp_path / f"out-{data.name}-{len(args)}"
        proc = runner_cli("--data", str(data), "--out", str(out), "--notebook", "physical_performance", *args)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return read_estimates(out), (out / "notebooks" / "TOY-1" / "physical_performance.ipynb").read_text()

    # by default the extra records change nothing: the notebooks see exactly the plain data set's table
    cols = ["STUDYID", "USUBJID", "PARAMCD", "AVISITN", "AVAL"]
    pd.testing.assert_frame_equal(load_trial(adam).adeff[cols].reset_index(drop=True),
                                  load_trial(plain).adeff[cols].reset_index(drop=True))
    observed, text = estimates(adam)
    assert "ANL01FL not Y" in text and "LOCF" in text      # and the notebook says what it left out
    flagged, _ = estimates(adam, "-p", "records=as_flagged")
    six = flagged[(flagged.paramcd == "SIXMWD") & (flagged.visit == 6) & (flagged.method == "paired_t")]
    assert six.set_index("arm").loc["High", "n"] == 3
    assert not (observed.visit == 6).any()
    bad = runner_cli("--data", str(adam), "--out", str(tmp_path / "bad"), "-p", "records=everything")
    assert bad.returncode != 0 and "records must be one of" in bad.stderr


# --- OUT is the user's folder (msc_frailty.publish) -----------------------------------------------------------

HOSTILE_ARM = '=HYPERLINK("http://example.org/x","High")'


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, runner_cli):
    """TOY-1 with labels from the data that a spreadsheet would run (an arm, an event term, a parameter name),
    through the cohort and safety notebooks: {"data", "out", "proc"}."""
    base = tmp_path_factory.mktemp("hostile")
    data = write_dataset(base / "data", studies=("TOY-1",))
    for name in ("adsl.csv", "adeff.csv", "adae.csv"):
        df = pd.read_csv(data / name, dtype=str, keep_default_na=False)
        if "TRT01A" in df:
            df.loc[df.TRT01A == "High", "TRT01A"] = HOSTILE_ARM
        if "AEDECOD" in df:
            df.loc[df.AEDECOD == "Pneumonia", "AEDECOD"] = "@SUM(1+1)"
        if "PARAMCD" in df:
            df["PARAM"] = df.PARAMCD.map({"SIXMWD": "+6MWD", "TNFA": "-TNF|calc"})
        df.to_csv(data / name, index=False, lineterminator="\n")
    proc = runner_cli("--data", data, "--out", base / "out", "--notebook", "cohort", "--notebook", "safety")
    return {"data": data, "out": base / "out", "proc": proc}


def test_no_output_cell_is_a_formula_and_results_are_readable(hostile_run):
    from test_results import formula_cells

    assert hostile_run["proc"].returncode == 0, hostile_run["proc"].stderr[-3000:]
    out = hostile_run["out"]
    assert formula_cells(out) == []
    est = (out / "results" / "estimates.csv").read_text()
    assert f"'{HOSTILE_ARM}".replace('"', '""') in est     # escaped with a leading ', as the README says
    from msc_frailty.results import read_estimates

    assert HOSTILE_ARM in set(read_estimates(out).arm)       # and read back as it was
    mask = os.umask(0)
    os.umask(mask)
    for path in [*(out / "results").rglob("*"), *(out / "figures").rglob("*")]:
        if path.is_file():
            assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path


def test_a_users_files_in_out_survive_and_need_the_flag(hostile_run, tmp_path, runner_cli):
    out = shutil.copytree(hostile_run["out"], tmp_path / "out")
    mine = {"notebooks/mywork.ipynb": "{}", "results/thesis.docx": "my thesis", "figures/TOY-1/sketch.png": "mine"}
    for rel, text in mine.items():
        (out / rel).write_text(text)
    before = tree_digest(out)
    args = ["--data", hostile_run["data"], "--out", out, "--notebook", "cohort", "--force"]
    proc = runner_cli(*args)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert all(rel in proc.stderr for rel in mine) and "--allow-foreign-files" in proc.stderr, proc.stderr
    assert tree_digest(out) == before
    proc = runner_cli(*args, "--allow-foreign-files")
    assert proc.returncode == 0, proc.stderr
    assert all((out / rel).read_text() == text for rel, text in mine.items())
    # the run replaced what runs wrote: the safety notebook's outputs (not run this time) are gone, cohort's new
    assert not (out / "figures" / "TOY-1" / "safety_events.png").exists()
    assert (out / "figures" / "TOY-1" / "consort.png").is_file()
    assert not list((out / ".msc-frailty").glob("staging-*"))


def test_the_repository_as_out_is_refused_and_loses_nothing(toy_run, runner_cli):
    before = sorted(p.name for p in (ROOT / "notebooks").iterdir())
    for out in (ROOT, ROOT / "notebooks", ROOT / "lib" / "out"):
        proc = runner_cli("--data", toy_run["data"], "--out", out)
        assert proc.returncode == 1 and "refusing" in proc.stderr, proc.stderr
    assert sorted(p.name for p in (ROOT / "notebooks").iterdir()) == before
    assert not (ROOT / "lib" / "out").exists()


def test_a_synthetic_flag_is_no_licence_to_write_the_repository(tmp_path, runner_cli):
    data = write_dataset(tmp_path / "data", studies=("TOY-1",), synthetic=True)
    assert load_trial(data).basis == "synthetic"
    proc = runner_cli("--data", data)
    assert proc.returncode == 1 and "not the embedded default" in proc.stderr, proc.stderr
    proc = runner_cli("--data", data, "--out", ROOT / "results" / "mine")
    assert proc.returncode == 1 and "outputs of synthetic data" in proc.stderr, proc.stderr
    assert not (ROOT / "results" / "mine").exists()


def test_zero_notebooks_is_an_error(toy_run, tmp_path, runner_cli, monkeypatch):
    from msc_frailty import runner

    monkeypatch.setattr(runner, "notebooks", lambda folder=None: [])
    proc = runner_cli("--data", toy_run["data"], "--out", tmp_path / "out")
    assert proc.returncode == 1 and "no notebooks to run" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_full_disk_is_named_and_the_previous_outputs_stay(hostile_run, tmp_path, runner_cli, monkeypatch):
    from msc_frailty import runner

    out = shutil.copytree(hostile_run["out"], tmp_path / "out")
    before = tree_digest(out)

    def full(rows, path):
        raise OSError(errno.ENOSPC, "No space left on device")   # as a write fails: no file named

    monkeypatch.setattr(runner, "write_manifest", full)
    proc = runner_cli("--data", hostile_run["data"], "--out", out, "--notebook", "cohort", "--force")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no space left on device" in proc.stderr, proc.stderr
    assert tree_digest(out) == before
    assert not list((out / ".msc-frailty").glob("staging-*"))


def test_an_interrupted_run_leaves_no_staging_and_no_kernel_connection_file(tmp_path):
    """Ctrl-C (SIGINT) while notebooks execute, to the command in a process of its own with its own workers:
    exit 130, nothing published, no staging folder, no kernel (or its connection file, which holds its key)."""
    import signal
    import sys
    import time

    data = write_dataset(tmp_path / "data", studies=("TOY-1",))
    out = tmp_path / "out"

    def as_in_a_terminal():
        # a command run in the background of a non-interactive shell (as CI may run the suite) inherits SIGINT
        # ignored, and Python keeps it ignored; Ctrl-C reaches a command a user runs in a terminal
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen([sys.executable, "-m", "msc_frailty.runner", "--data", str(data), "--out", str(out),
                             "--notebook", "physical_performance", "--notebook", "inflammation"], cwd=ROOT,
                            preexec_fn=as_in_a_terminal,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list(out.glob(".msc-frailty/staging-*/kernels/*.json")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    kernels = list(out.glob(".msc-frailty/staging-*/kernels/*.json"))

    def processes() -> set[str]:   # the run, its workers and their kernels: each names OUT on its command line
        listing = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True).stdout
        return {line.split()[0] for line in listing.splitlines() if str(out) in line}

    pids = processes()
    assert kernels and proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err and "nothing was published" in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in (out / ".msc-frailty").iterdir()) == ["lock"]
    assert not (out / "figures").exists() and not (out / "results").exists()
    time.sleep(1)
    assert len(pids) >= 3 and not processes() & pids, "a worker or kernel of the interrupted run still runs"
