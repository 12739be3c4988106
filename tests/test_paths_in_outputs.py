"""Executed notebooks name no folder of the machine that ran them, and are the same bytes for the same inputs.

The runner injects working values (data_dir relative to the repository when the data are inside it, output_dir
an execution's staging folder), then rewrites the executed notebook (msc_frailty.runner.portable_notebook) so that
it shows where the outputs were published, a data set or OUT outside the repository as <DATA> or <OUT>, and no
execution timestamps. The report's own checks (test_report.py) use :func:`leaks` on the default run and the site.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_dataset

from msc_frailty import runner
from msc_frailty.paths import BUILD, DEFAULT_DATA, ROOT

#: A staging folder of the runner (default runs: build/staging-<8 hex>; OUT runs: <OUT>/.staging-<8 hex>).
STAGING = re.compile(r"staging-[0-9a-f]{8}")


def machine_places(*folders) -> list[str]:
    """The absolute paths no output may contain: the repository, the home directory and ``folders``."""
    places = {str(ROOT), str(Path.home()), *(str(Path(f).resolve()) for f in folders)}
    return sorted(p for p in places if len(Path(p).parts) > 1)   # never "/" itself


def leaks(text: str, places) -> list[str]:
    """The machine paths (whole path components) and staging folder names found in ``text``."""
    found = [p for p in places if re.search(re.escape(p) + r"(?![\w-]|\.[\w-])", text)]
    return found + STAGING.findall(text)


def notebook_leaks(folder, places) -> dict:
    """{notebook: leaks} for every executed notebook under ``folder`` that has any."""
    out = {}
    for nb in sorted(Path(folder).rglob("*.ipynb")):
        found = leaks(nb.read_text(encoding="utf-8"), places)
        if found:
            out[str(nb.relative_to(folder))] = sorted(set(found))
    return out


def injected(nb_path) -> dict:
    """The assignments of an executed notebook's injected-parameters cell."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(cells) == 1, nb_path
    source = "".join(cells[0]["source"])
    return dict(re.findall(r'^(\w+) = "(.*)"$', source, re.M))


# --- the rules, without a kernel ----------------------------------------------------------------------------

def test_portable_text_replaces_whole_path_components():
    aliases = [("/m/out/.staging-0123abcd/S__cohort", "<OUT>"), ("/m/out", "<OUT>"), ("/m/repo", ".")]
    text = ("written (/m/out/.staging-0123abcd/S__cohort/results/estimates.csv); data /m/repo/data/synthetic; "
            "not /m/out2/x nor /m/repository; root /m/repo.")
    assert runner.portable_text(text, aliases) == (
        "written (<OUT>/results/estimates.csv); data data/synthetic; not /m/out2/x nor /m/repository; root ..")


def test_shown_parameters_of_each_layout(tmp_path):
    assert runner.shown_parameters(DEFAULT_DATA) == {"data_dir": "data/synthetic", "output_dir": "."}
    assert runner.shown_parameters(DEFAULT_DATA, ROOT / "private" / "out") == {"data_dir": "data/synthetic",
                                                                             "output_dir": "private/out"}
    assert runner.shown_parameters(tmp_path / "d", tmp_path / "o") == {"data_dir": "<DATA>", "output_dir": "<OUT>"}
    assert runner.injected_data_dir(DEFAULT_DATA) == "data/synthetic"
    assert runner.injected_data_dir(tmp_path / "d") == str(tmp_path / "d")


def _executed(path, staging, data):
    """An executed notebook as papermill writes it (timestamps, absolute parameters, a split stream)."""
    times = {"start_time": "2026-01-01T00:00:00", "end_time": "2026-01-01T00:00:01", "duration": 1.0}
    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                       "papermill": {**times, "input_path": str(ROOT / "notebooks" / "cohort.ipynb"),
                                     "output_path": f"{staging}/notebooks/S/cohort.ipynb", "exception": None,
                                     "parameters": {"data_dir": data, "output_dir": f"{staging}/S__cohort",
                                                    "study": "S"}}},
          "cells": [
              {"cell_type": "code", "id": "random01", "execution_count": 1, "outputs": [],
               "metadata": {"tags": ["injected-parameters"], "papermill": dict(times),
                            "execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"}},
               "source": f'# Parameters\ndata_dir = "{data}"\noutput_dir = "{staging}/S__cohort"\nstudy = "S"\n'},
              {"cell_type": "code", "id": "c2", "execution_count": 2, "metadata": {"papermill": dict(times)},
               "source": "print(path)",
               "outputs": [{"output_type": "stream", "name": "stdout", "text": "written ("},
                           {"output_type": "stream", "name": "stdout",
                            "text": f"{staging}/S__cohort/results/estimates.csv)\n"},
                           {"output_type": "error", "ename": "E", "evalue": f"{ROOT}/lib/x.py",
                            "traceback": [f"File {ROOT}/lib/msc_frailty/data.py:1"]}]}]}
    Path(path).write_text(json.dumps(nb))
    return path


def test_portable_notebook_shows_the_published_values(tmp_path):
    staging, data, out = tmp_path / "out" / ".staging-0123abcd", tmp_path / "data", tmp_path / "out"
    nb_path = _executed(tmp_path / "cohort.ipynb", staging, str(data))
    aliases = [(str(staging / "S__cohort"), "<OUT>"), *runner.path_aliases(data, out)]
    runner.portable_notebook(nb_path, {"data_dir": "<DATA>", "output_dir": "<OUT>", "study": "S"}, aliases,
                             "<OUT>/notebooks/S/cohort.ipynb")
    text = nb_path.read_text()
    assert not leaks(text, machine_places(tmp_path)), leaks(text, machine_places(tmp_path))
    nb = json.loads(text)
    meta = nb["metadata"]["papermill"]
    assert meta["parameters"] == {"data_dir": "<DATA>", "output_dir": "<OUT>", "study": "S"}
    assert (meta["input_path"], meta["output_path"]) == ("notebooks/cohort.ipynb", "<OUT>/notebooks/S/cohort.ipynb")
    assert not {"start_time", "end_time", "duration"} & set(meta)
    cell, code = nb["cells"]
    assert cell["id"] == "injected-parameters-0" and "execution" not in cell["metadata"]
    assert injected(nb_path) == {"data_dir": "<DATA>", "output_dir": "<OUT>", "study": "S"}
    assert "".join(cell["source"]).startswith("# Parameters, as msc_frailty.runner shows them")
    assert code["outputs"][0]["text"] == ["written (<OUT>/results/estimates.csv)\n"]    # one stream, joined
    assert code["outputs"][1]["traceback"] == ["File lib/msc_frailty/data.py:1"]
    assert code["metadata"]["papermill"] == {}


# --- executed notebooks -------------------------------------------------------------------------------------

@pytest.mark.notebooks
def test_a_run_outside_the_repository_shows_data_and_out_and_gives_the_same_bytes(tmp_path, runner_cli):
    """Data and OUT outside the repository, twice, into two OUTs: no machine path, <DATA>/<OUT> shown, and
    the same notebook bytes (the notebook prints the path write_estimates returns). The first run is the
    command itself, in a process of its own with workers of its own (what `make reproduce` runs), the second
    on the test session's shared workers."""
    data = write_dataset(tmp_path / "data", studies=("TOY-1",))
    args = ["--data", str(data), "--notebook", "dose_comparison"]
    command = subprocess.run([sys.executable, "-m", "msc_frailty.runner", *args, "--out", str(tmp_path / "out-a")],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
    shared = runner_cli(*args, "--out", tmp_path / "out-b")
    runs = []
    for proc, name in ((command, "out-a"), (shared, "out-b")):
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert proc.stdout.rstrip().endswith(f"executed notebooks in {tmp_path / name / 'notebooks'}")
        runs.append(tmp_path / name / "notebooks")
    assert (runs[0] / "logs").is_dir() and not (runs[1] / "logs").exists()   # a run's own workers log beside it
    places = machine_places(tmp_path, data, *[r.parent for r in runs])
    for folder in runs:
        assert notebook_leaks(folder, places) == {}
    nb = runs[0] / "TOY-1" / "dose_comparison.ipynb"
    assert injected(nb) == {"data_dir": "<DATA>", "output_dir": "<OUT>", "study": "TOY-1"}
    assert "written (<OUT>/results/estimates.csv)" in nb.read_text()
    assert nb.read_bytes() == (runs[1] / "TOY-1" / "dose_comparison.ipynb").read_bytes()


def test_build_notebooks_name_no_folder_of_the_machine():
    """build/notebooks (`make reproduce`, ignored by git): checked when present and made by this runner (notebooks
    from before it, without its comment in the injected cell, are skipped: `make reproduce` refreshes them)."""
    folder = BUILD / "notebooks"
    made = [nb for nb in sorted(folder.rglob("*.ipynb")) if runner.SHOWN_COMMENT.split("\n")[0] in nb.read_text()]
    if not made:
        pytest.skip("no build/notebooks made by this runner: `make reproduce` makes them")
    found = notebook_leaks(folder, machine_places())
    assert not found, f"executed notebooks under build/notebooks name folders of this machine: {found}"
    assert injected(next(folder.glob("*/cohort.ipynb")))["data_dir"] == "data/synthetic"
