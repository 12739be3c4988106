"""Root-anchored paths. Every other module and notebook resolves folders from here, never from the cwd."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
DEFAULT_DATA = DATA / "synthetic"
SYNTHETIC_SPEC = DEFAULT_DATA / "spec.yaml"
NOTEBOOKS = ROOT / "notebooks"
FIGURES = ROOT / "figures"
RESULTS = ROOT / "results"
BUILD = ROOT / "build"
PRIVATE = ROOT / "private"


def resolve(path) -> Path:
    """Return ``path`` as an absolute path; a relative path is taken from the repository root."""
    p = Path(path)
    return p if p.is_absolute() else (ROOT / p).resolve()
