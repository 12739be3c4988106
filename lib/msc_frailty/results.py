"""The one writer of ``<output_dir>/results/estimates.csv``.

Each notebook writes its rows for one study to ``results/parts/<finding>__<study>.csv`` and the
writer then rebuilds ``estimates.csv`` from all parts, sorted, so notebooks can run in any order
(or in parallel) and the combined file is always the same bytes for the same rows.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from .paths import resolve

#: The contract's columns of estimates.csv (section 3), in its order.
PLAN_COLUMNS = ["finding", "study", "paramcd", "visit", "comparison", "arm", "ref_arm", "n", "n_ref",
                "estimate", "ci_low", "ci_high", "p_value", "method", "basis"]
#: The contract's columns plus ``bound`` (added, as the contract allows): empty for an estimate,
#: ``lower`` / ``upper`` when ``estimate`` is only a bound of the effect's size (from a printed
#: inequality such as "p < .0001" or "not significant"), ``range`` when only an interval is known.
ESTIMATE_COLUMNS = PLAN_COLUMNS + ["bound"]

FLOAT_FORMAT = "%.10g"
BASES = {"synthetic", "supplied", "published"}
SORT_KEYS = ["finding", "study", "paramcd", "visit", "comparison", "method", "arm", "ref_arm"]


def _atomic_write_csv(df: pd.DataFrame, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    df.to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    os.replace(tmp, path)


TEXT_COLUMNS = ["finding", "study", "paramcd", "comparison", "arm", "ref_arm", "method", "basis", "bound"]


def _text_columns(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in TEXT_COLUMNS:
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    return df


def _read_csv(path) -> pd.DataFrame:
    """Read a results CSV: text columns verbatim (a study "0042" stays "0042"), numbers as floats."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in TEXT_COLUMNS})


def check_estimates(rows: pd.DataFrame) -> pd.DataFrame:
    """Return ``rows`` with exactly the contract columns; raise ValueError on a wrong column or basis."""
    missing = [c for c in ESTIMATE_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"estimate rows lack column(s) {missing}")
    bad = sorted(set(rows["basis"]) - BASES)
    if bad:
        raise ValueError(f"basis must be one of {sorted(BASES)}, got {bad}")
    return rows[ESTIMATE_COLUMNS]


def write_estimates(rows: pd.DataFrame, output_dir, finding: str, study: str) -> Path:
    """Write one notebook's rows for one study and rebuild ``results/estimates.csv``.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows with the columns of :data:`ESTIMATE_COLUMNS`.
    output_dir : str or Path
        The run's output folder; the rows go under ``<output_dir>/results``.
    finding, study : str
        Name the part file, so a rerun of the same notebook and study replaces its own rows only.

    Returns
    -------
    Path
        The path of ``estimates.csv``.
    """
    results = resolve(output_dir) / "results"
    _atomic_write_csv(check_estimates(rows), results / "parts" / f"{finding}__{study}.csv")
    return combine_estimates(output_dir)


def combine_estimates(output_dir) -> Path:
    """Concatenate every part under ``<output_dir>/results/parts`` into a sorted ``estimates.csv``."""
    results = resolve(output_dir) / "results"
    parts = sorted((results / "parts").glob("*.csv"))
    frames = [_read_csv(p) for p in parts]
    frames = [f for f in frames if len(f)]
    if frames:
        all_rows = pd.concat(frames, ignore_index=True)
    else:
        all_rows = pd.DataFrame(columns=ESTIMATE_COLUMNS)
    all_rows = _text_columns(check_estimates(all_rows))
    all_rows = all_rows.sort_values(SORT_KEYS, kind="mergesort", na_position="first").reset_index(drop=True)
    out = results / "estimates.csv"
    _atomic_write_csv(all_rows, out)
    return out


def read_estimates(output_dir) -> pd.DataFrame:
    """Read ``<output_dir>/results/estimates.csv`` (empty strings stay empty strings in text columns)."""
    path = resolve(output_dir) / "results" / "estimates.csv"
    return _text_columns(_read_csv(path))


def write_scorecard(card: pd.DataFrame, output_dir) -> Path:
    """Write ``<output_dir>/results/scorecard.csv`` (contract section 3), one row per published claim."""
    from .scorecard import SCORECARD_COLUMNS, STATUSES

    missing = [c for c in SCORECARD_COLUMNS if c not in card.columns]
    if missing:
        raise ValueError(f"scorecard rows lack column(s) {missing}")
    bad = sorted(set(card["status"]) - set(STATUSES))
    if bad:
        raise ValueError(f"scorecard status must be one of {STATUSES}, got {bad}")
    path = resolve(output_dir) / "results" / "scorecard.csv"
    _atomic_write_csv(card[SCORECARD_COLUMNS], path)
    return path
