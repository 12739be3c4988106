"""The environment files agree: requirements.txt (exact pins) -> environment.yml, constraints.txt (every
package pinned for each supported Python); the Makefile picks a supported Python and says so."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from msc_frailty import envfile

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)$")
SUPPORTED = ["3.11", "3.12", "3.13"]
THIS_PYTHON = "%d.%d" % sys.version_info[:2]
REQUIRED = ["pingouin", "papermill", "ipykernel", "tableone", "scipy", "statsmodels", "pandas", "seaborn",
            "matplotlib", "jupyterlab", "pytest"]


def _norm(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path, markers: bool = True) -> dict[str, str]:
    """{normalized name: version} of the exact pins in ``path``; markers=False: of its lines without a
    marker only (pins that hold on every Python)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or (not markers and ";" in line):
            continue
        m = PIN.match(line)
        assert m, f"{path.name}: not an exact '==' pin: {line!r}"
        name = _norm(m.group(1))
        assert name not in out, f"{path.name}: {name} pinned twice"
        out[name] = m.group(2)
    return out


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(re.match(r"\d+", part).group()) for part in v.split(".")[:3])


def test_environment_yml_is_generated_from_requirements():
    assert (ROOT / "environment.yml").read_text() == envfile.environment_yml(ROOT / "requirements.txt")


def test_environment_yml_lists_every_pin_through_pip():
    text = (ROOT / "environment.yml").read_text()
    for line in envfile.requirements(ROOT / "requirements.txt"):
        assert f"      - {line}\n" in text


def test_every_requirement_is_an_exact_pin():
    lines = envfile.requirements(ROOT / "requirements.txt")
    assert lines, "requirements.txt has no pins"
    for line in lines:
        assert PIN.match(line), f"not an exact '==' pin: {line!r}"
    _pins(ROOT / "requirements.txt")


def _constraints(python: str, text: str | None = None) -> dict[str, str]:
    """{normalized name: version} of the constraints that apply on ``python`` ("3.12"), markers evaluated."""
    text = (ROOT / "constraints.txt").read_text() if text is None else text
    out = {}
    for line in envfile.requirements_text(text):
        req = Requirement(line)
        spec = list(req.specifier)
        assert len(spec) == 1 and spec[0].operator == "==", f"constraints.txt: not one exact '==' pin: {line!r}"
        if req.marker is not None and not req.marker.evaluate({"python_version": python,
                                                                "python_full_version": python + ".0"}):
            continue
        name = _norm(req.name)
        assert name not in out, f"constraints.txt: {name} pinned twice for Python {python}"
        out[name] = spec[0].version
    return out


def test_constraints_pin_every_requirement_at_the_same_version():
    req = _pins(ROOT / "requirements.txt")
    con = _pins(ROOT / "constraints.txt", markers=False)
    missing = sorted(set(req) - set(con))
    assert not missing, f"in requirements.txt but not constraints.txt: {missing}"
    differ = {n: (v, con[n]) for n, v in req.items() if con[n] != v}
    assert not differ, f"requirements vs constraints versions differ: {differ}"


@pytest.mark.parametrize("name", REQUIRED)
def test_required_packages_are_pinned(name):
    assert name in _pins(ROOT / "requirements.txt")


def test_pingouin_at_least_0_7():
    # pingouin 0.7 fixed mixed_anova corrections and renamed output columns (methods guide)
    assert _version(_pins(ROOT / "requirements.txt")["pingouin"]) >= (0, 7, 0)


def test_version_parser():
    assert _version("0.7.0") >= (0, 7, 0) > _version("0.6.9")
    assert _version("1.17.1rc1") == (1, 17, 1)


def test_installed_versions_match_pins():
    # The environment the tests run in is the pinned one (make env installs with -c constraints.txt).
    req = _pins(ROOT / "requirements.txt")
    wrong = {}
    for name, version in req.items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = None
        if have != version:
            wrong[name] = (version, have)
    assert not wrong, f"pinned vs installed: {wrong}"


# --- every supported Python: pins, requires-python, the Makefile's choice of Python ---


def test_requires_python_admits_exactly_the_supported_pythons():
    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    for version in ("3.11.0", "3.11.7", "3.12.1", "3.13.0", "3.13.9"):
        assert version in spec, (version, str(spec))
    for version in ("3.10.13", "3.14.0", "3.9.18"):
        assert version not in spec, (version, str(spec))


def test_makefile_supports_the_pythons_of_requires_python():
    m = re.search(r"^SUPPORTED_PYTHONS := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert m and m.group(1).split() == SUPPORTED


def test_this_python_is_supported():
    assert THIS_PYTHON in SUPPORTED


@pytest.mark.parametrize("python", SUPPORTED)
def test_constraints_pin_each_package_once_for_every_supported_python(python):
    con = _constraints(python)  # asserts one exact pin per package
    req = _pins(ROOT / "requirements.txt")
    assert {n: con.get(n) for n in req} == req, f"Python {python}: requirements.txt pins not all in constraints.txt"


def test_constraints_markers_name_only_supported_pythons():
    for line in envfile.requirements_text((ROOT / "constraints.txt").read_text()):
        marker = Requirement(line).marker
        if marker is not None:
            named = re.findall(r'python_version == "([0-9.]+)"', str(marker))
            assert named and set(named) <= set(SUPPORTED), line
            assert str(marker) == " or ".join(f'python_version == "{v}"' for v in named), line


def test_constraints_cover_this_environment_exactly():
    # the environment the tests run in (made by `make env` with any supported Python) is the pinned one:
    # every installed package pinned at its version for this Python, and every pin for this Python installed
    installed = {}
    for dist in metadata.distributions():
        name = _norm(dist.metadata["Name"])
        if name not in ("pip", "msc-frailty"):
            installed[name] = dist.version
    pinned = _constraints(THIS_PYTHON)
    unpinned = {n: v for n, v in installed.items() if n not in pinned}
    assert not unpinned, f"Python {THIS_PYTHON}: installed but not in constraints.txt: {unpinned}"
    wrong = {n: (pinned[n], installed.get(n)) for n in pinned if installed.get(n) != pinned[n]}
    assert not wrong, f"Python {THIS_PYTHON}: constraints.txt vs installed: {wrong}"


def test_merge_constraints_pins_each_python_and_round_trips():
    freezes = {
        "3.13": "Alpha==1.0\ncommon==2.0\nonly-new==5\n",
        "3.11": "alpha==1.0\ncommon==1.9\nold_backport==3.1\n",
        "3.12": "alpha==1.0\ncommon==2.0\nold_backport==3.1\nonly-new==5\n",
    }
    text = envfile.merge_constraints(freezes)
    assert text.startswith("# ")
    assert envfile.requirements_text(text) == [
        "alpha==1.0",
        'common==1.9; python_version == "3.11"',
        'common==2.0; python_version == "3.12" or python_version == "3.13"',
        'old_backport==3.1; python_version == "3.11" or python_version == "3.12"',
        'only-new==5; python_version == "3.12" or python_version == "3.13"',
    ]
    for python, frozen in freezes.items():
        assert _constraints(python, text) == {_norm(ln.split("==")[0]): ln.split("==")[1]
                                              for ln in frozen.split()}, python


def test_merge_constraints_refuses_what_is_not_an_exact_pin():
    with pytest.raises(ValueError, match="exact"):
        envfile.merge_constraints({"3.11": "numpy>=2\n"})
    with pytest.raises(ValueError, match="twice"):
        envfile.merge_constraints({"3.11": "numpy==2.0\nNumPy==2.1\n"})


def _make(*args, path=None, cwd=ROOT):
    """Run make in the repository without the variables of an enclosing make (make test PYTHON=...)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON", "PYTHON_SYSTEM", "VENV")}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _fake_python(folder: Path, name: str, tag: str | None):
    """An executable ``name`` in ``folder`` that prints ``tag`` (as the Makefile's probe of a Python would),
    or fails with 127 like a pyenv shim without its version when ``tag`` is None."""
    exe = folder / name
    body = f'echo "{tag}"' if tag else f'echo "pyenv: {name}: command not found" >&2; exit 127'
    exe.write_text(f"#!/bin/sh\n{body}\n")
    exe.chmod(0o755)
    return exe


@needs_make
def test_make_help_names_the_python_variable():
    out = _make("help")
    assert out.returncode == 0, out.stderr
    assert "PYTHON=<interpreter>" in out.stdout and "make reproduce PYTHON=python3.12" in out.stdout
    assert "python3.11 python3.12 python3.13" in out.stdout
    assert "PYENV_VERSION=" in out.stdout


@needs_make
def test_make_picks_the_first_supported_python_that_runs(tmp_path):
    # python3.11 exists but fails (a pyenv shim without its version): make passes over it to python3.12
    _fake_python(tmp_path, "python3.11", None)
    _fake_python(tmp_path, "python3.12", "CPython 3.12.1 3.12")
    _fake_python(tmp_path, "python3.13", "CPython 3.13.0 3.13")
    out = _make("help", path=f"{tmp_path}:/usr/bin:/bin")
    assert "PYTHON here: python3.12 = CPython 3.12.1" in out.stdout, out.stdout
    _fake_python(tmp_path, "python3.12", None)
    out = _make("help", path=f"{tmp_path}:/usr/bin:/bin")
    assert "PYTHON here: python3.13 = CPython 3.13.0" in out.stdout, out.stdout
    _fake_python(tmp_path, "python3.13", None)
    out = _make("-n", "env", f"VENV={tmp_path}/venv", path=f"{tmp_path}:/usr/bin:/bin")
    assert out.returncode != 0 and "none of python3.11 python3.12 python3.13 runs here" in out.stderr, out


@needs_make
@pytest.mark.parametrize("tag", ["CPython 3.10.13 3.10", "CPython 3.14.0 3.14", "PyPy 3.11.13 3.11"])
def test_make_refuses_an_unsupported_python(tmp_path, tag):
    exe = _fake_python(tmp_path, "python", tag)
    for var in ("PYTHON", "PYTHON_SYSTEM"):  # PYTHON_SYSTEM: the deprecated name
        out = _make("-n", "env", f"VENV={tmp_path}/venv", f"{var}={exe}")
        assert out.returncode != 0, out.stdout
        assert f"is {' '.join(tag.split()[:2])}; this project supports CPython 3.11 3.12 3.13" in out.stderr


def _fake_interpreter(path: Path, tag: str):
    """A stand-in Python for the Makefile's recipe: prints ``tag`` to the probe, makes ``DIR/bin/python``
    (itself) for ``-m venv DIR``, and logs every other ``-m`` call (pip, ipykernel) to ``DIR/calls``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""#!/bin/sh
if [ "$1" = -m ] && [ "$2" = venv ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0; fi
if [ "$1" = -m ]; then echo "$*" >> "$(dirname "$0")/../calls"; exit 0; fi
echo "{tag}"
""")
    path.chmod(0o755)
    return path


@needs_make
def test_make_remakes_the_environment_made_with_another_python(tmp_path):
    venv = tmp_path / "venv"
    stamp = venv / ".installed"
    newer = max((ROOT / n).stat().st_mtime for n in ("requirements.txt", "constraints.txt", "pyproject.toml")) + 10
    # an environment made with 3.11.7 whose stamp is newer than the pins
    _fake_interpreter(venv / "bin" / "python", "CPython 3.11.7 3.11")
    (venv / "old").write_text("")
    stamp.write_text("CPython 3.11.7 3.11\n")
    os.utime(stamp, (newer, newer))
    py311 = _fake_interpreter(tmp_path / "py311" / "python3.11", "CPython 3.11.7 3.11")
    py312 = _fake_interpreter(tmp_path / "py312" / "python3.12", "CPython 3.12.1 3.12")

    same = _make("env", f"VENV={venv}", f"PYTHON={py311}")
    assert same.returncode == 0 and "pip" not in same.stdout, same.stdout + same.stderr
    assert (venv / "old").exists() and not (venv / "calls").exists()

    other = _make("env", f"VENV={venv}", f"PYTHON={py312}")
    assert other.returncode == 0, other.stdout + other.stderr
    assert f"{venv} was made with another Python: making it again with {py312} (CPython 3.12.1)" in other.stdout
    assert not (venv / "old").exists(), "the old environment was not removed"
    assert (venv / "bin" / "python").read_text() == py312.read_text()
    calls = (venv / "calls").read_text()
    assert "-m pip install --quiet -r requirements.txt -c constraints.txt" in calls
    assert stamp.read_text() == "CPython 3.12.1 3.12\n"

    # the same Python again: nothing to do; back to the default-like 3.11: made again
    assert "pip" not in _make("env", f"VENV={venv}", f"PYTHON={py312}").stdout
    again = _make("env", f"VENV={venv}", f"PYTHON={py311}")
    assert again.returncode == 0 and "making it again" in again.stdout
    assert stamp.read_text() == "CPython 3.11.7 3.11\n"
