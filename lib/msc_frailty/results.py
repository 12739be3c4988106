"""The one writer of ``<output_dir>/results/estimates.csv``.

Each notebook writes its rows for one study to ``results/parts/<finding>__<study>.csv`` and the
writer then rebuilds ``estimates.csv`` from all parts, sorted, so notebooks can run in any order
(or in parallel) and the combined file is always the same bytes for the same rows.

Precision (the same bytes on every machine)
-------------------------------------------
The last digits of a floating-point result depend on the processor and its BLAS kernels (an OLS fit
gives ``-0.4999999998`` on one machine and ``-0.4999999997`` on another). Every number written under
``results/`` is therefore rounded by :func:`round_estimates`:

- to :data:`SIGNIFICANT_DIGITS` (6) significant digits, correctly rounded from the binary value, far
  coarser than the noise between machines (about 1e-10 relative at worst) and finer than the 4
  significant digits to which the contract promises agreement with an independent computation;
- an estimate or interval limit whose magnitude is at most :data:`ZERO_TOLERANCE` (1e-9) times the
  scale of its row (the largest magnitude among that row's estimate and interval limits, i.e. the
  uncertainty the data give it) is floating-point noise and written as exactly 0, as is ``-0``.

Counts (``n``, ``n_ref``) are written as integers. The analysis functions themselves return full
precision (they are tested against independent computations at 1e-9); only what is written is rounded.
Their figures do not depend on the machine either: the one computation that carried processor-dependent
noise (an OLS fit with an uncentred covariate) is now well-conditioned (:func:`msc_frailty.stats.ancova`),
and the bytes of every figure are checked under other BLAS kernels (README, "Same bytes everywhere").
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import names, publish
from .paths import resolve

#: The contract's columns of estimates.csv (section 3), in its order.
PLAN_COLUMNS = ["finding", "study", "paramcd", "visit", "comparison", "arm", "ref_arm", "n", "n_ref",
                "estimate", "ci_low", "ci_high", "p_value", "method", "basis"]
#: The contract's columns plus ``bound`` (added, as the contract allows): empty for an estimate with its
#: two-sided interval; ``lower`` when ``estimate`` is only a lower bound of the effect (effect >= estimate,
#: from a printed inequality such as "p < .0001"), its interval open above; ``upper`` when it is only an upper
#: bound (effect <= estimate), its interval open below; ``range`` when only an interval is known ("not
#: significant"), with no estimate.
ESTIMATE_COLUMNS = PLAN_COLUMNS + ["bound"]
#: The limit of the interval a one-sided bound leaves open, by ``bound``: infinite in memory, written empty
#: (a cell ``-inf`` is text a spreadsheet takes for a formula, and says less than the ``bound`` column).
OPEN_LIMIT = {"lower": "ci_high", "upper": "ci_low"}
#: The values of ``bound`` for a one-sided bound.
ONE_SIDED = tuple(OPEN_LIMIT)

#: Columns of scorecard.csv (contract section 3), one row per published claim, and the statuses a claim may have.
SCORECARD_COLUMNS = ["claim_id", "study", "claim", "reported", "obtained", "basis", "status", "reason"]
SCORECARD_STATUSES = ("reproduced", "not_reproduced", "consistent_by_construction",
                      "not_testable_without_patient_data")
#: Every value ``bound`` may take.
BOUNDS = {"", *ONE_SIDED, "range"}

#: Significant digits of every number written under results/ (see the module docstring).
SIGNIFICANT_DIGITS = 6
FLOAT_FORMAT = f"%.{SIGNIFICANT_DIGITS}g"
#: An estimate or interval limit at most this fraction of its row's scale is written as 0.
ZERO_TOLERANCE = 1e-9
#: The columns whose values are rounded and snapped to zero together, on the scale of the row.
VALUE_COLUMNS = ["estimate", "ci_low", "ci_high"]
COUNT_COLUMNS = ["n", "n_ref"]
BASES = {"synthetic", "supplied", "published"}
SORT_KEYS = ["finding", "study", "paramcd", "visit", "comparison", "method", "arm", "ref_arm"]


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names no spreadsheet reads as a formula.

    Text from the data (a study, an arm label, a term) could start with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return, which a spreadsheet opening the CSV would evaluate; such a text cell gets a
    leading ``'`` (:func:`msc_frailty.names.escape_cell`). Numeric columns, and numbers inside text
    columns, are untouched; text that is a plain decimal number ("-2.05") is a value and stays as it is.
    """
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(names.escape_cell, na_action="ignore")
    out.columns = [names.escape_cell(c) for c in out.columns]
    return out


def atomic_write_csv(df: pd.DataFrame, path: Path):
    """The one CSV writer of results/: formulas escaped, fixed precision, LF line ends, replaced atomically,
    readable like the figures (mode 0666 less the umask); no infinite number (:func:`open_limits`). A file that
    cannot be written raises :class:`msc_frailty.publish.WriteError` naming it and the reason."""
    numbers = df.select_dtypes("number")
    if len(numbers.columns) and np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)).any():
        raise ValueError(f"{path.name}: an infinite number would be written as text a spreadsheet reads as a "
                         "formula; write the open limit of a bound empty (results.open_limits)")
    with publish.replacing(path) as tmp:
        escape_formulas(df).to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def open_limits(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` as written: the open limit of a one-sided bound (:data:`OPEN_LIMIT`) empty instead of infinite.

    Raises ValueError, naming the rows, for any other infinite estimate or limit (one that no ``bound`` says
    is open), and for a one-sided bound whose other limit is infinite. :func:`read_estimates` reads the open
    limit back as infinite.

    Examples
    --------
    >>> rows = pd.DataFrame({"estimate": [1.24, -1.38], "ci_low": [0.0, float("-inf")],
    ...                      "ci_high": [float("inf"), -0.66], "bound": ["lower", "upper"]})
    >>> open_limits(rows)[["ci_low", "ci_high"]].to_dict("list")
    {'ci_low': [0.0, nan], 'ci_high': [nan, -0.66]}
    """
    out = rows.copy()
    values = [c for c in VALUE_COLUMNS if c in out.columns]
    if not values or not len(out):
        return out
    bound = _bound(out)
    v = out[values].apply(_numeric)
    for side, column in OPEN_LIMIT.items():
        if column in v.columns:
            v.loc[bound.eq(side) & np.isinf(v[column]), column] = np.nan
    bad = np.isinf(v.to_numpy(dtype=float)).any(axis=1)
    if bad.any():
        keys = [c for c in ("study", "paramcd", "visit", "comparison", "arm", "ref_arm", "method") if c in out.columns]
        where = "; ".join(", ".join(f"{c} {r[c]}" for c in keys if r[c] == r[c] and r[c] != "")
                          for _, r in out[bad].head(3).iterrows())
        raise ValueError(f"{int(bad.sum())} estimate row(s) hold an infinite estimate or limit that no bound "
                         f"({'/'.join(ONE_SIDED)}) says is open, e.g. {where or 'row ' + str(out.index[bad][0])}")
    out[values] = v
    return out


def _bound(rows: pd.DataFrame) -> pd.Series:
    """The ``bound`` column as text ("" where missing; all "" without the column)."""
    if "bound" not in rows.columns:
        return pd.Series("", index=rows.index, dtype=object)
    return rows["bound"].astype(object).where(rows["bound"].notna(), "").astype(str)


def _closed_limits(rows: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`open_limits` on rows read back: the open limit of a one-sided bound infinite.
    A file written before ``upper`` existed (an upper bound written as ``lower`` with ``-inf``) is read as it
    is meant."""
    if "bound" not in rows.columns:
        return rows
    if "ci_low" in rows.columns:
        legacy = rows["bound"].eq("lower") & pd.to_numeric(rows["ci_low"], errors="coerce").eq(-np.inf)
        if legacy.any():
            rows.loc[legacy, "bound"] = "upper"
    for side, column in OPEN_LIMIT.items():
        if column in rows.columns:
            open_ = rows["bound"].eq(side) & rows[column].isna()
            if open_.any():
                rows[column] = rows[column].astype(float)
                rows.loc[open_, column] = np.inf if column == "ci_high" else -np.inf
    return rows


def round_significant(values, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """Round to ``digits`` significant digits, correctly (through the shortest decimal string).

    Decimal formatting rounds the exact binary value, so the result does not depend on the processor;
    ``-0.0`` becomes ``0.0`` and NaN and infinities stay as they are.

    Examples
    --------
    >>> round_significant([-0.4999999998, 17.00000001, 1234567.0, float("nan")]).tolist()
    [-0.5, 17.0, 1234570.0, nan]
    """
    x = np.asarray(values, dtype=float)
    out = np.array([float(f"{v:.{digits}g}") if math.isfinite(v) else v for v in x.ravel()], dtype=float)
    out[out == 0] = 0.0
    return out.reshape(x.shape)


def _numeric(column: pd.Series) -> pd.Series:
    """A results column as floats; an empty string is a missing number, any other text an error."""
    return pd.to_numeric(column.replace("", np.nan))


def round_estimates(rows: pd.DataFrame, digits: int = SIGNIFICANT_DIGITS,
                    zero_tolerance: float = ZERO_TOLERANCE) -> pd.DataFrame:
    """Estimate rows at the precision they are written with (module docstring, "Precision").

    ``estimate``, ``ci_low`` and ``ci_high`` within ``zero_tolerance`` times the row's scale (the largest
    of their magnitudes) become 0; then these and ``p_value`` (and ``visit``) are rounded to ``digits``
    significant digits. Returns a copy; other columns are untouched.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"estimate": [-2.312978975e-11, 17.00000001], "ci_low": [-0.4320900027, -25.8],
    ...                      "ci_high": [0.4320900026, 59.8], "p_value": [0.9999999999, 0.4137319011]})
    >>> round_estimates(rows).to_dict("list")
    {'estimate': [0.0, 17.0], 'ci_low': [-0.43209, -25.8], 'ci_high': [0.43209, 59.8], 'p_value': [1.0, 0.413732]}
    """
    out = rows.copy()
    values = [c for c in VALUE_COLUMNS if c in out.columns]
    if values and len(out):
        v = out[values].apply(_numeric).to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            scale = np.nanmax(np.where(np.isfinite(v), np.abs(v), np.nan), axis=1, initial=0.0)
        v = np.where(np.abs(v) <= zero_tolerance * scale[:, None], 0.0, v)
        out[values] = round_significant(v, digits)
    for c in ("p_value", "visit"):
        if c in out.columns and len(out):
            out[c] = round_significant(_numeric(out[c]).to_numpy(dtype=float), digits)
    return out


TEXT_COLUMNS = ["finding", "study", "paramcd", "comparison", "arm", "ref_arm", "method", "basis", "bound"]


def text_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a results table whose text columns (:data:`TEXT_COLUMNS`) are strings, missing as ""."""
    df = df.copy()
    for c in TEXT_COLUMNS:
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    return df


def read_results_csv(path) -> pd.DataFrame:
    """Read a results CSV: text columns verbatim (a study "0042" stays "0042"), numbers as floats.

    The ``'`` that :func:`escape_formulas` put before a text cell is removed again, and the empty open limit of
    a one-sided bound is read as infinite (:func:`open_limits`), so what is read is what was written."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in TEXT_COLUMNS})
    for c in TEXT_COLUMNS:
        if c in df.columns:
            df[c] = df[c].map(names.unescape_cell, na_action="ignore")
    return _closed_limits(df)


def check_estimates(rows: pd.DataFrame) -> pd.DataFrame:
    """Return ``rows`` with exactly the contract columns; raise ValueError on a wrong column or basis."""
    missing = [c for c in ESTIMATE_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"estimate rows lack column(s) {missing}")
    bad = sorted(set(rows["basis"]) - BASES)
    if bad:
        raise ValueError(f"basis must be one of {sorted(BASES)}, got {bad}")
    bad = sorted(set(_bound(rows)) - BOUNDS)
    if bad:
        raise ValueError(f"bound must be one of {sorted(BOUNDS)}, got {bad}")
    rows = open_limits(round_estimates(rows[ESTIMATE_COLUMNS]))
    for c in COUNT_COLUMNS:
        counts = _numeric(rows[c])
        whole = counts.dropna()
        if not (whole == whole.round()).all():
            raise ValueError(f"column {c} must hold whole counts, got {sorted(set(whole[whole != whole.round()]))[:5]}")
        rows[c] = counts.astype("Int64")
    return rows


def write_estimates(rows: pd.DataFrame, output_dir, finding: str, study: str) -> Path:
    """Write one notebook's rows for one study and rebuild ``results/estimates.csv``.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows with the columns of :data:`ESTIMATE_COLUMNS`.
    output_dir : str or Path
        The run's output folder; the rows go under ``<output_dir>/results``.
    finding, study : str
        Name the part file, so a rerun of the same notebook and study replaces its own rows only. Each
        must be one safe file name (:func:`msc_frailty.names.component_problem`).

    Returns
    -------
    Path
        The path of ``estimates.csv`` under ``output_dir`` as given: relative (to the repository, like every
        relative path of the collection, :func:`msc_frailty.paths.resolve`) when ``output_dir`` is relative,
        so that what a notebook prints names no folder of the machine that ran it.

    Raises
    ------
    ValueError
        When ``finding`` or ``study`` would make a path outside ``<output_dir>/results/parts``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame([{"finding": "safety", "study": "S1", "paramcd": "TESAE30", "visit": "",
    ...                       "comparison": "proportion", "arm": "A", "ref_arm": "", "n": 10, "n_ref": "",
    ...                       "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.308, "p_value": "",
    ...                       "method": "clopper_pearson", "basis": "synthetic", "bound": ""}])
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     path = write_estimates(rows, out, "safety", "S1")
    ...     path.relative_to(out).as_posix(), len(read_estimates(out))
    ('results/estimates.csv', 1)
    """
    names.check_component(finding, "finding")
    names.check_component(study, "study")
    parts = names.inside(resolve(output_dir), "results", "parts")
    atomic_write_csv(check_estimates(rows), names.inside(parts, f"{finding}__{study}.csv"))
    combine_estimates(output_dir)
    return Path(output_dir) / "results" / "estimates.csv"


def combine_estimates(output_dir) -> Path:
    """Concatenate every part under ``<output_dir>/results/parts`` into a sorted ``estimates.csv``."""
    results = resolve(output_dir) / "results"
    parts = sorted((results / "parts").glob("*.csv"))
    frames = [read_results_csv(p) for p in parts]
    frames = [f for f in frames if len(f)]
    if frames:
        all_rows = pd.concat(frames, ignore_index=True)
    else:
        all_rows = pd.DataFrame(columns=ESTIMATE_COLUMNS)
    all_rows = text_columns(check_estimates(all_rows))
    all_rows = all_rows.sort_values(SORT_KEYS, kind="mergesort", na_position="first").reset_index(drop=True)
    out = results / "estimates.csv"
    atomic_write_csv(all_rows, out)
    return out


def read_estimates(output_dir) -> pd.DataFrame:
    """Read ``<output_dir>/results/estimates.csv`` (empty strings stay empty strings in text columns)."""
    path = resolve(output_dir) / "results" / "estimates.csv"
    return text_columns(read_results_csv(path))


def write_scorecard(card: pd.DataFrame, output_dir) -> Path:
    """Write ``<output_dir>/results/scorecard.csv`` (contract section 3), one row per published claim."""
    missing = [c for c in SCORECARD_COLUMNS if c not in card.columns]
    if missing:
        raise ValueError(f"scorecard rows lack column(s) {missing}")
    bad = sorted(set(card["status"]) - set(SCORECARD_STATUSES))
    if bad:
        raise ValueError(f"scorecard status must be one of {SCORECARD_STATUSES}, got {bad}")
    path = resolve(output_dir) / "results" / "scorecard.csv"
    atomic_write_csv(card[SCORECARD_COLUMNS], path)
    return path
