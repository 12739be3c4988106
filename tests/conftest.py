"""Shared fixtures: a small, valid data set in the contract layout (contract section 1).

Other test modules (notebooks, runner) may import the writer directly::

    from conftest import write_dataset

The toy data set
----------------
``TOY-1`` (placebo-controlled, visits 0, 2, 4; parameters SIXMWD and TNFA):

=========  =======  ==========
TRT01A     TRT01AN  subjects
=========  =======  ==========
Control    0        8 (T1-C01..T1-C08)
Low        10       8 (T1-L01..T1-L08)
High       30       8 (T1-H01..T1-H08)
=========  =======  ==========

``TOY-2`` (no placebo, same visits and parameters): ``A`` (TRT01AN 5) and ``B`` (15), 6 subjects each
(T2-A01.., T2-B01..).

Every subject has SAFFL = Y and a value at every visit for both parameters. Values come from
``numpy.random.default_rng(seed)`` (rounded to 1 decimal for SIXMWD, 2 for TNFA).

Adverse events (adae.csv), unless ``empty_ae``:

- ``T1-H03``: serious, treatment-emergent ``Pneumonia`` on day 12 (the only TE-SAE within days 1-30);
- ``T1-L05``: serious, treatment-emergent ``Atrial fibrillation`` on day 45 (outside the 30-day window);
- non-serious events: ``T1-C02`` Headache day 3, ``T1-L01`` Fatigue day 2, ``T1-H06`` Infusion site
  bruising day 1, ``T2-B02`` Headache day 5.

So the TESAE30 counts are Control 0/8, Low 0/8, High 1/8, A 0/6, B 0/6.

With ``rating=True`` adeff also holds ``PGIC`` (PARAM "Patient Global Impression of Change"), a 1-7 rating of
change (1 = very much improved, 7 = very much worse) with NO baseline record: one value per subject at visits 2
and 4, drawn from ``numpy.random.default_rng(seed + 1)`` (so the other values stay as without it), better with
dose; and a PARAM column (empty for the other parameters). ``params`` chooses which of SIXMWD and TNFA are written
(``params=()`` with ``rating=True``: a data set whose only efficacy parameter has no baseline).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# imported before any test module imports nbformat: the runner spares it jsonschema's IRI grammar (a second)
from msc_frailty.runner import notebooks, scope_of, uses_study_results

TOY_ARMS = {
    "TOY-1": [("Control", 0, 8, "C"), ("Low", 10, 8, "L"), ("High", 30, 8, "H")],
    "TOY-2": [("A", 5, 6, "A"), ("B", 15, 6, "B")],
}
TOY_PREFIX = {"TOY-1": "T1", "TOY-2": "T2"}
TOY_VISITS = [0, 2, 4]
TOY_PARAMS = ["SIXMWD", "TNFA"]
TOY_SEED = 20240611
#: The toy data set's rating of change without a baseline record (``write_dataset(rating=True)``), its visits.
RATING, RATING_LABEL, RATING_VISITS = "PGIC", "Patient Global Impression of Change", [2, 4]

AE_COLUMNS = ["STUDYID", "USUBJID", "AEDECOD", "AESER", "TRTEMFL", "ASTDY", "AEOUT"]
TOY_AES = [
    ("TOY-1", "T1-H03", "Pneumonia", "Y", "Y", 12, "RECOVERED"),
    ("TOY-1", "T1-L05", "Atrial fibrillation", "Y", "Y", 45, "RECOVERED"),
    ("TOY-1", "T1-C02", "Headache", "N", "Y", 3, "RECOVERED"),
    ("TOY-1", "T1-L01", "Fatigue", "N", "Y", 2, "RECOVERED"),
    ("TOY-1", "T1-H06", "Infusion site bruising", "N", "Y", 1, "RECOVERED"),
    ("TOY-2", "T2-B02", "Headache", "N", "Y", 5, "RECOVERED"),
]


def _write_csv(df: pd.DataFrame, path: Path):
    df.to_csv(path, index=False, lineterminator="\n")


def _rating(study: str, subj: str, dose: float, rng) -> list[dict]:
    """The subject's 1-7 global impression of change at each of RATING_VISITS (no baseline record)."""
    return [{"STUDYID": study, "USUBJID": subj, "PARAMCD": RATING, "AVISITN": visit,
             "AVAL": float(np.clip(np.rint(4.2 - dose / 12 * visit / 4 + rng.normal(0.0, 1.1)), 1, 7)),
             "PARAM": RATING_LABEL} for visit in RATING_VISITS]


def write_dataset(folder, *, seed: int = TOY_SEED, studies=("TOY-1", "TOY-2"), empty_ae: bool = False,
                  synthetic: bool = False, rating: bool = False, params=TOY_PARAMS) -> Path:
    """Write a small valid data set (adsl.csv, adeff.csv, adae.csv) into ``folder`` and return it.

    Signature: ``write_dataset(folder, *, seed=20240611, studies=("TOY-1", "TOY-2"), empty_ae=False,
    synthetic=False) -> pathlib.Path``

    Parameters
    ----------
    folder : str or Path
        Created if missing (with parents). Existing CSV files of the same names are overwritten.
    seed : int
        Seed of the ``numpy.random.default_rng`` that draws ages, sexes and values.
    studies : sequence of str
        Which of ``"TOY-1"`` (Control/Low/High, placebo-controlled) and ``"TOY-2"`` (A/B, no placebo)
        to include. The module docstring describes both.
    empty_ae : bool
        Write adae.csv as a header-only file (no adverse events at all).
    synthetic : bool
        Add a ``SYNTHFL`` column equal to ``"Y"`` on every row of every file (the marker of the
        embedded synthetic default), so ``load_trial(...).basis == "synthetic"``.
    rating : bool
        Add the 1-7 rating ``PGIC`` without a baseline record (module docstring) and a PARAM column.
    params : sequence of str
        Which of SIXMWD and TNFA to write (their values are drawn either way).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ratings = np.random.default_rng(seed + 1)
    adsl, adeff = [], []
    for study in studies:
        prefix = TOY_PREFIX[study]
        for arm, dose, n, code in TOY_ARMS[study]:
            for i in range(1, n + 1):
                subj = f"{prefix}-{code}{i:02d}"
                adsl.append({"STUDYID": study, "USUBJID": subj, "TRT01A": arm, "TRT01AN": dose,
                             "AGE": int(rng.integers(68, 90)), "SEX": "F" if rng.random() < 0.5 else "M",
                             "SAFFL": "Y"})
                walk0 = rng.normal(300.0, 60.0)
                tnf0 = rng.normal(5.0, 1.2)
                for visit in TOY_VISITS:
                    walk = walk0 if visit == 0 else walk0 + rng.normal(dose * 1.5 * visit / 4, 35.0)
                    tnf = tnf0 if visit == 0 else tnf0 + rng.normal(-0.02 * dose * visit / 4, 0.8)
                    for param, value in (("SIXMWD", round(float(walk), 1)), ("TNFA", round(float(max(tnf, 0.1)), 2))):
                        if param in params:
                            adeff.append({"STUDYID": study, "USUBJID": subj, "PARAMCD": param, "AVISITN": visit,
                                          "AVAL": value})
                if rating:
                    adeff += _rating(study, subj, dose, ratings)
    adsl, adeff = pd.DataFrame(adsl), pd.DataFrame(adeff)
    if rating:
        adeff["PARAM"] = adeff["PARAM"].fillna("")
    aes = [] if empty_ae else [ae for ae in TOY_AES if ae[0] in studies]
    adae = pd.DataFrame(aes, columns=AE_COLUMNS)
    if synthetic:
        for df in (adsl, adeff, adae):
            df["SYNTHFL"] = "Y"
    _write_csv(adsl, folder / "adsl.csv")
    _write_csv(adeff, folder / "adeff.csv")
    _write_csv(adae, folder / "adae.csv")
    return folder


def data_notebooks() -> list[Path]:
    """Every notebook that reads a data set: all but the data-set notebooks that read only the published
    record (``uses_study_results: false``), whose outputs are the same for every data set; the default run
    (:func:`default_run`) executes those."""
    return [nb for nb in notebooks() if scope_of(nb) == "study" or uses_study_results(nb)]


def data_notebook_args() -> list[str]:
    """``--notebook`` arguments for :func:`data_notebooks`."""
    return [arg for nb in data_notebooks() for arg in ("--notebook", nb.stem)]


@pytest.fixture
def toy_data(tmp_path) -> Path:
    """Folder holding the toy data set (TOY-1 and TOY-2, supplied basis, with adverse events)."""
    return write_dataset(tmp_path / "toy")


def tree_digest(folder) -> dict:
    """sha256 of every file under folder (relative path -> digest)."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def _repository_outputs() -> dict:
    from msc_frailty.paths import FIGURES, RESULTS

    return {d: tree_digest(d) for d in (FIGURES, RESULTS) if d.exists()}


class _DefaultRun:
    """`make reproduce` on the embedded SYNTHETIC default into a temporary OUT: the command itself, in a process of
    its own (with its own workers). It starts as soon as the tests are collected when one of them needs it
    (:func:`pytest_collection_modifyitems`), so that it runs beside the others. (More runs at once than the
    machine has cores cost more than they gain: the other runs of the tests share :func:`runner_workers`.)"""

    def __init__(self):
        self.proc = self.folder = None

    def start(self):
        import subprocess
        import sys
        import tempfile

        from msc_frailty.paths import DEFAULT_DATA, ROOT

        self.folder = Path(tempfile.mkdtemp(prefix="msc-default-run-"))
        with open(self.folder / "stdout", "w") as out, open(self.folder / "stderr", "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "msc_frailty.runner", "--data", str(DEFAULT_DATA),
                                          "--out", str(self.folder / "out"), "--jobs", "2"], cwd=ROOT, stdout=out,
                                         stderr=err, start_new_session=True)

    def out(self) -> Path:
        """The OUT, once the run has succeeded."""
        if self.proc is None:
            self.start()
        code = self.proc.wait(timeout=3000)
        assert code == 0, (self.folder / "stdout").read_text()[-3000:] + (self.folder / "stderr").read_text()[-3000:]
        return self.folder / "out"

    def stop(self):
        import os
        import shutil
        import signal

        if self.proc is not None and self.proc.poll() is None:   # an interrupted session: the run and its workers
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


_DEFAULT_RUN = _DefaultRun()


#: Fixtures that execute notebooks: a test using one (or marked ``notebooks``) is left out by ``--fast``.
RUN_FIXTURES = {"default_run", "toy_run", "runner_cli", "runner_workers"}


def pytest_addoption(parser):
    parser.addoption("--fast", action="store_true",
                     help="units and doctests only: leave out every test that executes notebooks (make test-fast)")


def _executes_notebooks(item) -> bool:
    return bool(RUN_FIXTURES & set(getattr(item, "fixturenames", ()))) or item.get_closest_marker("notebooks")


def pytest_collection_modifyitems(session, config, items):
    """Start the default run when a collected test needs it, and put the tests that wait for it after the others
    (in their order), which run meanwhile. With ``--fast``, the tests that execute notebooks are deselected."""
    if config.getoption("--fast"):
        slow = [item for item in items if _executes_notebooks(item)]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if not _executes_notebooks(item)]
    waits = ["default_run" in getattr(item, "fixturenames", ()) for item in items]
    if any(waits) and not config.option.collectonly:
        _DEFAULT_RUN.start()
    items[:] = [item for item, w in zip(items, waits) if not w] + [item for item, w in zip(items, waits) if w]


def pytest_unconfigure(config):
    _DEFAULT_RUN.stop()


@pytest.fixture(scope="session")
def default_run() -> Path:
    """The OUT of `make reproduce` on the embedded SYNTHETIC default (:class:`_DefaultRun`)."""
    return _DEFAULT_RUN.out()


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory, runner_cli) -> dict:
    """The data-set notebooks on the toy data set, TOY-1 and TOY-2, on the shared workers: {"data", "out",
    "proc" (a CompletedProcess), "repo_unchanged" (figures/ and results/ of the repository the same before and
    after)}."""
    base = tmp_path_factory.mktemp("toy")
    data = write_dataset(base / "data")
    before = _repository_outputs()
    proc = runner_cli("--data", data, "--out", base / "out", *data_notebook_args())
    return {"data": data, "out": base / "out", "proc": proc, "repo_unchanged": _repository_outputs() == before}


@pytest.fixture(scope="session")
def runner_workers(tmp_path_factory):
    """Two runner workers with their warm kernels (:func:`msc_frailty.runner.worker_pool`), shared by the runs
    the tests make in this process through :func:`runner_cli`: each run then skips starting them and their
    kernels, about 4 s. Spawned, not forked: the test process has threads by then."""
    import multiprocessing

    from msc_frailty import runner

    pool = runner.worker_pool(2, tmp_path_factory.mktemp("worker-logs"),
                              mp_context=multiprocessing.get_context("spawn"))
    yield pool
    pool.shutdown()


@pytest.fixture(scope="session")
def runner_cli(runner_workers):
    """``python -m msc_frailty.runner ARGS``, run in this process on :func:`runner_workers`: returns a
    ``subprocess.CompletedProcess`` with the exit status and what the command printed. The same code as the
    command, in the same kind of worker processes; the command itself runs in :func:`default_run` and
    ``test_paths_in_outputs.py``, ``make reproduce`` in ``test_runner.py`` (a failing run)."""
    import contextlib
    import io
    import subprocess

    from msc_frailty import runner

    def cli(*args):
        argv = [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = runner.main(argv, pool=runner_workers)
            except SystemExit as exc:   # argparse refusing the command line
                code = exc.code
        return subprocess.CompletedProcess(["python", "-m", "msc_frailty.runner", *argv], code, out.getvalue(),
                                           err.getvalue())

    return cli
