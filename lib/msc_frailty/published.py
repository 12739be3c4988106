"""The published record as tidy tables: load, validate, and read printed statistics.

``data/published/`` holds one CSV row per printed fact or claim (``claims.csv``), the printed arm sizes
(``arms.csv``) and one row per source (``sources.csv``). Every value is kept as the exact string printed
(``"p < .0001"``, ``"75.5 ± 7.3"``, ``"30.8%"``): trailing zeros and inequality signs carry information
that a float loses. The helpers here turn such strings into what an analysis needs while keeping the
printed precision (:func:`parse_p`, :func:`parse_mean_sd`).

Problems in the tables are reported as :class:`msc_frailty.data.DataError`, naming the file, the column
and the rows (CSV line numbers, the header being line 1).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from . import paths
from .data import DataError

#: Trials the published tables may refer to. ``ZHU-2024`` (umbilical-cord MSC) is context only.
TRIALS = {"CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B", "ZHU-2024"}

#: Columns every CSV in the folder must have.
COMMON_COLUMNS = ["trial", "source_url"]

#: Required columns of the known files; any other CSV in the folder needs :data:`COMMON_COLUMNS`.
REQUIRED_COLUMNS = {
    "claims.csv": ["claim_id", "trial", "claim_type", "arm", "ref_arm", "paramcd", "visit", "comparison",
                   "statistic", "value_printed", "direction", "quote", "source_url", "source_kind", "flags",
                   "notes"],
    "arms.csv": ["trial", "arm", "dose_million", "n_printed", "population", "source_url", "quote"],
    "sources.csv": ["source_url", "trial", "source_kind", "citation", "url_in_record"],
}

#: Controlled vocabularies (column -> allowed values) checked where the column exists.
VOCABULARY = {
    "claim_type": {"result", "design", "population", "interpretation", "attribution"},
    "comparison": {"change_from_baseline", "vs_placebo", "vs_arm", "proportion", "count", "descriptive",
                   "dose_response", "qualitative", "unspecified"},
    "statistic": {"p", "difference", "n", "mean", "mean_sd", "percent", "count", "text", "range", "threshold",
                  "ratio", "time", "duration"},
    "source_kind": {"abstract", "registry", "press_release", "sec_filing", "news", "commentary",
                    "design_paper"},
    "direction": {"", "increased", "decreased", "improved", "not_improved", "better", "none", "not_stated"},
    "url_in_record": {"yes", "identifier", "no"},
}

#: Flags a claim may carry (``flags`` column, ``;``-separated).
FLAGS = {
    "ambiguous": "the record does not say which measure, arm, visit or analysis a printed value belongs to",
    "no_number": "qualitative claim: no statistic printed",
    "secondary_source": "news coverage; no CI or p printed",
    "cite_this": "of two conflicting figures or attributions, the one to cite",
    "cite_other": "a conflicting figure; cite the row named in see_also",
    "misattribution": "the claim as printed is wrong; never cite it (see see_also)",
    "url_from_identifier": "the record prints a DOI or NCT number but no URL; source_url is its resolver",
    "url_not_in_record": "the record names the source without a URL; source_url is where the quoted text was "
                         "found (see sources.csv)",
    "source_uncertain": "the record does not name the source of this fact",
}


def _lines(index) -> list[int]:
    """CSV line numbers (header = line 1) of DataFrame index labels."""
    return [int(i) + 2 for i in index]


def _read(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataError(path, "file is empty (not even a header)") from None
    df.columns = [c.strip() for c in df.columns]
    return df[~(df == "").all(axis=1)]          # drop blank lines; the index keeps line numbers


def _check_columns(df: pd.DataFrame, path: Path):
    required = REQUIRED_COLUMNS.get(path.name, COMMON_COLUMNS)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(path, f"required column(s) missing: {', '.join(missing)}", column=missing[0])


def _fail_rows(df: pd.DataFrame, path: Path, column: str, bad: pd.Series, message: str):
    if bad.any():
        raise DataError(path, message, column=column, rows=_lines(df.index[bad]))


def _check_rows(df: pd.DataFrame, path: Path):
    url = df["source_url"].str.strip()
    _fail_rows(df, path, "source_url", url == "", "row(s) without a source_url")
    _fail_rows(df, path, "source_url", ~url.str.match(r"https?://"), "source_url must start with http:// or https://")
    trial = df["trial"].str.strip()
    _fail_rows(df, path, "trial", ~trial.isin(TRIALS), f"unknown trial(s) {sorted(set(trial) - TRIALS)[:5]}; "
               f"known: {sorted(TRIALS)}")
    for column, allowed in VOCABULARY.items():
        if column in df.columns:
            bad = ~df[column].isin(allowed)
            _fail_rows(df, path, column, bad, f"value(s) {sorted(set(df.loc[bad, column]))[:5]} not in "
                       f"{sorted(allowed)}")
    if "flags" in df.columns:
        bad = df["flags"].map(lambda s: any(f and f not in FLAGS for f in s.split(";")))
        _fail_rows(df, path, "flags", bad, f"unknown flag(s); allowed: {sorted(FLAGS)}")
    if "claim_id" in df.columns:
        cid = df["claim_id"].str.strip()
        _fail_rows(df, path, "claim_id", cid == "", "empty claim_id")
        _fail_rows(df, path, "claim_id", cid.duplicated(keep=False), "duplicated claim_id")


def load_published(folder=paths.DATA / "published") -> dict[str, pd.DataFrame]:
    """Read and validate every CSV of the published record, all values as strings.

    Parameters
    ----------
    folder : str or Path
        Folder of CSV files (default ``data/published``). A relative path is taken from the repository root.

    Returns
    -------
    dict of str to pandas.DataFrame
        One table per file, keyed by the file name without ``.csv`` (``"claims"``, ``"arms"``,
        ``"sources"``, ...). Every cell is a string; an empty cell is ``""``. The index is the CSV line
        number minus 2 (blank lines are dropped but keep their numbers).

    Raises
    ------
    DataError
        Naming file, column and line numbers, for: a missing folder or no CSV in it, a missing required
        column, a row without a ``source_url`` or one not starting with ``http``, an unknown trial, a value
        outside a controlled vocabulary (:data:`VOCABULARY`, :data:`FLAGS`), an empty or duplicated
        ``claim_id``.

    Examples
    --------
    >>> from msc_frailty.published import load_published
    >>> tables = load_published()
    >>> claims = tables["claims"]
    >>> claims.set_index("claim_id").loc["P2-AGE-ALL", "value_printed"]
    '75.5 ± 7.3'
    >>> claims.set_index("claim_id").loc["P1-TNFA-POOLED-6M", "value_printed"]
    'p < .0001'
    """
    folder = paths.resolve(folder)
    if not folder.is_dir():
        raise DataError(folder, "published-record folder does not exist")
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise DataError(folder, "no CSV file in the published-record folder")
    tables = {}
    for path in files:
        df = _read(path)
        _check_columns(df, path)
        _check_rows(df, path)
        tables[path.stem] = df
    return tables


# --------------------------------------------------------------------------------------------------------
# Printed statistics

_NUMBER = r"[0-9]*\.?[0-9]+"
_P_RE = re.compile(rf"^\s*(?:p\s*)?(=|<=|>=|<|>|≤|≥)?\s*({_NUMBER})\s*$", re.IGNORECASE)
_KIND = {None: "exact", "=": "exact", "<": "upper_bound", "<=": "upper_bound", "≤": "upper_bound",
         ">": "lower_bound", ">=": "lower_bound", "≥": "lower_bound"}
_NOT_SIGNIFICANT = {"not significant", "not statistically significant", "ns", "n.s", "nonsignificant",
                    "non-significant"}
_SIGNIFICANT = {"significant", "statistically significant", "sig"}


def decimals(number: str) -> int:
    """Number of printed decimals of a number string; trailing zeros count.

    Examples
    --------
    >>> decimals("5.10"), decimals(".0001"), decimals("30")
    (2, 4, 0)
    """
    text = number.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def parse_p(text: str, alpha: float = 0.05) -> dict:
    """Read a printed p-value into its kind, value and printed precision.

    Parameters
    ----------
    text : str
        As printed: ``"p = .01"``, ``".01"``, ``"P<0.001"``, ``"p < .0001"``, ``"p > .05"``,
        ``"not significant"`` / ``"NS"``, ``"significant"``. Empty text means no p was printed.
    alpha : float
        The level a bare word refers to (0.05 by default).

    Returns
    -------
    dict
        ``kind``: ``"exact"`` (p equals the printed value up to rounding), ``"upper_bound"`` (p is below
        it: ``<``, ``≤``, or ``"significant"``), ``"lower_bound"`` (p is above it: ``>``, ``≥``, or
        ``"not significant"``) or ``"none"`` (nothing printed). ``value``: the float, or None.
        ``decimals``: printed decimals (trailing zeros count), or None for words and for no p.

    Raises
    ------
    ValueError
        For text that is not a p-value.

    Notes
    -----
    An inequality or a word gives a bound, not a value: an effect size implied by it is a bound too
    (methods guide). ``"significant"`` is read as p < alpha and ``"not significant"`` as p > alpha.

    Examples
    --------
    >>> parse_p("p = .01")
    {'kind': 'exact', 'value': 0.01, 'decimals': 2}
    >>> parse_p("<.0001")
    {'kind': 'upper_bound', 'value': 0.0001, 'decimals': 4}
    >>> parse_p("not significant")
    {'kind': 'lower_bound', 'value': 0.05, 'decimals': None}
    """
    t = (text or "").strip()
    if not t:
        return {"kind": "none", "value": None, "decimals": None}
    word = t.lower().rstrip(".").strip()
    if word in _NOT_SIGNIFICANT:
        return {"kind": "lower_bound", "value": float(alpha), "decimals": None}
    if word in _SIGNIFICANT:
        return {"kind": "upper_bound", "value": float(alpha), "decimals": None}
    m = _P_RE.match(t)
    if m is None:
        raise ValueError(f"not a printed p-value: {text!r}")
    value = float(m.group(2))
    if not 0 <= value <= 1:
        raise ValueError(f"p-value outside [0, 1]: {text!r}")
    return {"kind": _KIND[m.group(1)], "value": value, "decimals": decimals(m.group(2))}


_MEAN_SD_RE = re.compile(rf"^\s*([+-]?{_NUMBER})\s*(?:±|\+/-|\+-)\s*({_NUMBER})\s*$")
_MEAN_PAREN_RE = re.compile(rf"^\s*([+-]?{_NUMBER})\s*\(\s*(?:SD\s*[=:]?\s*)?({_NUMBER})\s*\)\s*$", re.IGNORECASE)


def parse_mean_sd(text: str) -> tuple[str, str]:
    """Split a printed ``mean ± spread`` into its two strings, unchanged (trailing zeros kept).

    Parameters
    ----------
    text : str
        ``"75.5 ± 7.3"``, ``"75.5 +/- 7.3"`` or ``"75.5 (7.3)"`` / ``"75.5 (SD 7.3)"``.

    Returns
    -------
    (str, str)
        The mean and the spread as printed. Whether the spread is an SD, an SEM or something else is
        not in the string: say so where it is used.

    Raises
    ------
    ValueError
        When the text is not of that form.

    Examples
    --------
    >>> parse_mean_sd("75.5 ± 7.3")
    ('75.5', '7.3')
    >>> parse_mean_sd("5.10 (1.20)")
    ('5.10', '1.20')
    """
    for pattern in (_MEAN_SD_RE, _MEAN_PAREN_RE):
        m = pattern.match(text or "")
        if m:
            return m.group(1), m.group(2)
    raise ValueError(f"not a printed mean and spread: {text!r}")
