"""The environment files agree: requirements.txt (exact pins) -> environment.yml, constraints.txt."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from msc_frailty import envfile

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)$")
REQUIRED = ["pingouin", "papermill", "ipykernel", "tableone", "scipy", "statsmodels", "pandas", "seaborn",
            "matplotlib", "jupyterlab", "pytest"]


def _norm(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
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


def test_constraints_pin_every_requirement_at_the_same_version():
    req = _pins(ROOT / "requirements.txt")
    con = _pins(ROOT / "constraints.txt")
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
