"""The parameters-cell rule: exactly one cell tagged `parameters`, literals only, unknown names refused."""

import nbformat
import pytest

from msc_frailty import runner
from msc_frailty.paths import NOTEBOOKS

EXPECTED = {"cohort", "safety", "physical_performance", "inflammation", "dose_comparison"}


def make_notebook(path, *param_sources, tag="parameters"):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# t"))
    for src in param_sources:
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_code_cell("print(study)"))
    nbformat.write(nb, path)
    return path


GOOD = 'data_dir = "data/synthetic"\noutput_dir = "."\nstudy = "CRATUS-P2"\nseed = 1'


def test_repository_notebooks_follow_the_rule():
    found = {p.stem for p in runner.notebooks()}
    assert EXPECTED <= found, f"missing notebooks: {EXPECTED - found}"
    for path in runner.notebooks():
        values = runner.parameters_of(path)
        assert values["data_dir"] == "data/synthetic" and values["output_dir"] == "."
        assert isinstance(values["study"], str)


def test_repository_notebooks_are_stored_without_outputs():
    # sources diff as text: committed notebooks carry no outputs or execution counts
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
        assert nb.metadata["kernelspec"]["name"] == "python3", path.name


def test_good_cell(tmp_path):
    p = make_notebook(tmp_path / "a.ipynb", GOOD)
    assert runner.parameters_of(p) == {"data_dir": "data/synthetic", "output_dir": ".", "study": "CRATUS-P2",
                                       "seed": 1}


def test_no_parameters_cell(tmp_path):
    p = make_notebook(tmp_path / "a.ipynb", GOOD, tag="other")
    with pytest.raises(runner.ParameterError, match="0 cells tagged"):
        runner.parameters_of(p)


def test_two_parameters_cells(tmp_path):
    p = make_notebook(tmp_path / "a.ipynb", GOOD, 'x = 1')
    with pytest.raises(runner.ParameterError, match="2 cells tagged"):
        runner.parameters_of(p)


@pytest.mark.parametrize("bad, match", [
    (GOOD + "\nimport os", "not a plain assignment"),
    (GOOD + "\nn = len('abc')", "not a literal"),
    (GOOD + "\na, b = 1, 2", "not a plain assignment"),
    ('data_dir = "x"\noutput_dir = "."', "lacks"),
])
def test_bad_cells(tmp_path, bad, match):
    p = make_notebook(tmp_path / "a.ipynb", bad)
    with pytest.raises(runner.ParameterError, match=match):
        runner.parameters_of(p)


def test_unknown_parameter_refused(tmp_path):
    p = make_notebook(tmp_path / "a.ipynb", GOOD)
    assert runner.check_parameters(p, {"study": "X", "seed": 2})["seed"] == 1
    with pytest.raises(runner.ParameterError, match=r"unknown parameter\(s\) \['sed'\]"):
        runner.check_parameters(p, {"sed": 2})


# --- real data never lands in tracked folders ------------------------------------------------------

def test_supplied_outputs_refused_in_tracked_folders(tmp_path):
    from msc_frailty.paths import PRIVATE, ROOT
    runner.check_destination("synthetic", None)                  # the default may refresh figures/
    runner.check_destination("supplied", tmp_path / "out")       # outside the repository: fine
    runner.check_destination("supplied", PRIVATE / "out")        # the ignored private/ folder: fine
    for bad in (None, ROOT / "results", ROOT / "figures" / "x", ROOT / "notebooks"):
        with pytest.raises(runner.publish.DestinationError, match="supplied"):
            runner.check_destination("supplied", bad)


def test_tracked_results_are_not_from_supplied_data():
    import subprocess

    import pandas as pd

    from msc_frailty.paths import ROOT
    tracked = subprocess.run(["git", "ls-files", "results", "figures"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    for name in tracked:
        if not (ROOT / name).is_file():   # tracked, but no longer made (a figure with nothing to show): holds nothing
            continue
        if name.endswith(".csv") and "table1_" not in name:
            basis = pd.read_csv(ROOT / name, keep_default_na=False).get("basis")
            if basis is not None:
                assert "supplied" not in set(basis), f"{name} holds rows made from supplied data"
        if name.endswith(".svg"):
            assert "Supplied patient-level data" not in (ROOT / name).read_text(), name
