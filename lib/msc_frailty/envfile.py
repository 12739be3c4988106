"""Write environment.yml from requirements.txt, the single source of truth of the pins.

Runs with the system Python and no third-party packages: ``python3 lib/msc_frailty/envfile.py``.
conda's single ``=`` is a fuzzy match, so every package goes through pip with ``==``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def requirements(path=ROOT / "requirements.txt") -> list[str]:
    """The pinned requirement lines, comments and blanks dropped."""
    lines = [ln.split("#", 1)[0].strip() for ln in Path(path).read_text().splitlines()]
    return [ln for ln in lines if ln]


def environment_yml(path=ROOT / "requirements.txt") -> str:
    """The text of environment.yml for the pins in ``path``."""
    pins = "\n".join(f"      - {r}" for r in requirements(path))
    return (
        "# Generated from requirements.txt by `make environment`; do not edit by hand.\n"
        "# Without conda, `make env` builds the same environment in .venv with pip.\n"
        "name: msc-frailty\n"
        "channels:\n  - conda-forge\n"
        "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
        f"{pins}\n      - -c constraints.txt\n      - -e .\n"
    )


if __name__ == "__main__":
    print(environment_yml(), end="")
