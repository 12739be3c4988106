"""Load and validate a trial data set in the contract layout (ADaM-style adsl, efficacy tables, adae).

A data set is a folder of ADaM tables: ``adsl`` (subjects), ``adae`` (adverse events) and the efficacy
data, which a trial team delivers in one or several BDS tables (``adeff``, or ``adft``, ``adlb``,
``adqs``, ...). Every table named ``ad<name>`` other than adsl and adae that has the BDS columns
(:data:`BDS_COLUMNS`) is efficacy data; the others (e.g. ``adtte``) are left out with a notice
(:attr:`TrialData.left_out`). The efficacy tables are validated one by one and then concatenated into
the one table :attr:`TrialData.adeff`; :attr:`TrialData.origin` keeps each record's table and row.

Each table may be delivered as CSV, SAS XPORT (v5 or v8, read with pyreadstat) or CDISC Dataset-JSON
1.1, in any mix within one folder. Every form is first turned into the same table of stripped text
(missing = ""), so one validator serves them all and the typed tables are identical whichever form
a table came in.

Every problem found is reported as a :class:`DataError` that names the file, the column and the
rows: line numbers in a CSV file (the header being line 1), record numbers in an XPORT or
Dataset-JSON file (the first record being 1), so a user can go straight to it. That includes values
that would name files unsafely (STUDYID, PARAMCD; see :mod:`msc_frailty.names`) and values no real
delivery holds (control characters in a text column, over-long codes and labels, an AGE above
:data:`MAX_AGE`, a number beyond :data:`MAX_MAGNITUDE`), so that ``make check-data`` refuses exactly
what ``make reproduce`` refuses.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import names
from .errors import DataError, row_list
from .paths import resolve
from .readers import DataNotice
from .readers import Source as _Source
from .readers import read_table
from .studies import load_studies

REQUIRED_COLUMNS = {
    "adsl.csv": ["STUDYID", "USUBJID", "TRT01A", "TRT01AN", "AGE", "SEX", "SAFFL"],
    "adae.csv": ["STUDYID", "USUBJID", "AEDECOD", "AESER", "TRTEMFL", "ASTDY", "AEOUT"],
}

#: The tables every data set has: subjects and adverse events.
REQUIRED_TABLES = ("adsl", "adae")

#: The BDS columns that make an ``ad<name>`` table (other than adsl and adae) efficacy data.
BDS_COLUMNS = ["STUDYID", "USUBJID", "PARAMCD", "AVISITN", "AVAL"]

#: File forms a table may come in (matched case-insensitively: ``ADSL.XPT`` is ``adsl.xpt``).
FORMS = (".csv", ".xpt", ".json")

#: The file name of a table: ``ad<name>`` and a form, any case (``adft.xpt``, ``ADLB.JSON``).
TABLE_FILE = re.compile(r"(ad[a-z0-9_]+)(\.csv|\.xpt|\.json)")

#: Which efficacy records the analysis uses (see :func:`load_trial`).
RECORD_RULES = ("observed", "as_flagged")

#: Values a ``*FL`` flag may take; empty (null) means not flagged.
FLAG_VALUES = {"Y", "N", ""}

#: Optional ``params.csv`` beside the tables: its columns and the directions it may state. The optional
#: column ``short_name`` (a figure label, at most :data:`MAX_SHORT_NAME` characters) is validated when present.
PARAMS_FILE = "params.csv"
PARAMS_COLUMNS = ["PARAMCD", "PARAM", "unit", "direction", "finding"]
DIRECTIONS = {"higher_better", "lower_better", ""}

#: Columns of :attr:`TrialData.dropped`.
DROPPED_COLUMNS = ["STUDYID", "table", "reason", "n"]
#: Columns of :attr:`TrialData.tables` (the tables read and used) and :attr:`TrialData.left_out`.
TABLES_COLUMNS = ["table", "file", "role", "records", "parameters"]
LEFT_OUT_COLUMNS = ["table", "file", "records", "missing", "reason"]
#: Columns of :attr:`TrialData.origin`: each efficacy record's table and its row number in that file.
ORIGIN_COLUMNS = ["table", "row"]

# --- values no real delivery holds (refused, naming file, column and rows) ----------------------------
#: Text columns that become labels, identifiers or file names, in whichever table they appear: no
#: control or invisible character (:data:`msc_frailty.names.REFUSED_CATEGORIES`: NUL, tab, newline, DEL,
#: a right-to-left override) and at most :data:`MAX_LABEL` characters (PARAMCD: :data:`MAX_PARAMCD`;
#: STUDYID: :data:`msc_frailty.names.MAX_COMPONENT`).
TEXT_COLUMNS = ["STUDYID", "USUBJID", "TRT01A", "SEX", "EOSSTT", "DCSREAS", "PARAMCD", "PARAM", "AVISIT",
                "DTYPE", "AEDECOD", "AEBODSYS", "AEOUT"]
#: Longest label (PARAM, TRT01A, AVISIT, AEDECOD, ...): SAS and ADaM allow 200 characters in a label.
MAX_LABEL = 200
#: Longest PARAMCD. ADaM allows 8 characters; codes up to 40 are accepted (a code is shown on tables and
#: mapped to a file name), a longer one is a data error.
MAX_PARAMCD = 40
#: Longest ``short_name`` of params.csv (a figure label).
MAX_SHORT_NAME = 40
#: Highest AGE (years) a subject may have.
MAX_AGE = 130
#: Largest magnitude of any number (TRT01AN, AGE, AVISITN, AVAL, ASTDY). Beyond it a value is a data
#: error, not a measurement: well above any real value in conventional or SI units (red cells in a litre
#: of blood are about 5e12), and far enough below the floating-point limit that means, variances and
#: figures of such values stay finite.
MAX_MAGNITUDE = 1e15

#: Studies known to be placebo-controlled by design: a data set for them without a placebo arm is
#: an error, not an uncontrolled study.
PLACEBO_CONTROLLED = {"CRATUS-P2", "LOMECEL-P2B"}

#: Column that marks generated rows. The embedded default carries SYNTHFL = "Y" on every row.
SYNTHETIC_FLAG = "SYNTHFL"

#: Units and direction of the parameters the notebooks know about; other PARAMCDs are carried through.
PARAMETERS = {
    "SIXMWD": {"label": "6-minute walk distance", "unit": "m", "higher_is_better": True},
    "SPPB": {"label": "Short Physical Performance Battery", "unit": "points (0-12)", "higher_is_better": True},
    "FEV1": {"label": "FEV1", "unit": "L", "higher_is_better": True},
    "SF36PCS": {"label": "SF-36 physical component", "unit": "score", "higher_is_better": True},
    "SQOLF": {"label": "Sexual quality of life (female)", "unit": "score", "higher_is_better": True},
    "TNFA": {"label": "Serum TNF-\u03b1", "unit": "pg/mL", "higher_is_better": False},
    "BCTNFA": {"label": "B-cell intracellular TNF-\u03b1", "unit": "% B cells", "higher_is_better": False},
}


def _no_drops() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=int if c == "n" else object) for c in DROPPED_COLUMNS})


def _no_params() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PARAMS_COLUMNS})


def _empty(columns, numbers=()) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=int if c in numbers else object) for c in columns})


def _no_tables() -> pd.DataFrame:
    return _empty(TABLES_COLUMNS, numbers=("records",))


def _no_left_out() -> pd.DataFrame:
    return _empty(LEFT_OUT_COLUMNS, numbers=("records",))


def _no_origin() -> pd.DataFrame:
    return _empty(ORIGIN_COLUMNS, numbers=("row",))


@dataclass
class TrialData:
    """A validated data set: subjects, efficacy records and adverse events, where they came from and on
    what basis.

    ``adeff`` is ONE table of every efficacy record used, whichever BDS tables they came in (``adeff``,
    or ``adft``, ``adlb``, ``adqs``, ... concatenated in the order of their names), with the union of
    their columns (a column one table lacks is empty text for its records). ``origin`` has the same
    index as ``adeff`` and says where each record came from: ``table`` (its table's name, a key of
    ``files``) and ``row`` (its row number in that file, numbered as :class:`DataError` numbers them:
    the CSV line, or the record of an XPORT or Dataset-JSON file); :meth:`record_error` names them.

    ``basis`` is ``"synthetic"`` when every row carries ``SYNTHFL = "Y"`` (the embedded default)
    and ``"supplied"`` otherwise (a user's data set).

    ``dropped`` counts the records left out of the analysis, one row per study, table and reason
    (columns STUDYID, table, reason, n; empty when none were): efficacy records the ANL01FL/DTYPE rule
    leaves out, and the records of each table left out as a whole (not efficacy data). ``tables`` lists
    the tables read and used (columns table, file, role ``subjects``/``efficacy``/``adverse events``,
    records, parameters: the PARAMCDs of an efficacy table), ``left_out`` the ``ad<name>`` tables that
    are not efficacy data (columns table, file, records, missing: the BDS columns it lacks, reason).
    ``params`` is the optional ``params.csv`` (columns PARAMCD, PARAM, unit, direction, finding, and
    short_name when the file has it; empty when absent). ``words`` holds each study's words
    (:func:`msc_frailty.studies.load_studies`: studies.csv over the defaults). ``files`` maps each table name (``"adsl"``, ``"adft"``, ...,
    including those left out) to the file it was read from.
    """

    adsl: pd.DataFrame
    adeff: pd.DataFrame
    adae: pd.DataFrame
    basis: str
    data_dir: Path
    dropped: pd.DataFrame = field(default_factory=_no_drops)
    params: pd.DataFrame = field(default_factory=_no_params)
    files: dict = field(default_factory=dict)
    tables: pd.DataFrame = field(default_factory=_no_tables)
    left_out: pd.DataFrame = field(default_factory=_no_left_out)
    origin: pd.DataFrame = field(default_factory=_no_origin)
    words: dict = field(default_factory=dict)

    @property
    def studies(self) -> list[str]:
        return sorted(self.adsl["STUDYID"].unique())

    def study(self, study: str) -> "TrialData":
        """The same data restricted to one STUDYID."""
        if study not in set(self.adsl["STUDYID"]):
            raise DataError(self.files.get("adsl", self.data_dir / "adsl.csv"),
                            f"study {study!r} not found (have {self.studies})", column="STUDYID")
        keep = {name: df[df["STUDYID"] == study].reset_index(drop=True)
                for name, df in (("adsl", self.adsl), ("adeff", self.adeff), ("adae", self.adae))}
        # by index label, so that an adeff someone filtered (keeping its labels) still finds its records' origin
        origin = self.origin[self.origin.index.isin(self.adeff.index[self.adeff["STUDYID"] == study])]
        dropped = self.dropped[self.dropped["STUDYID"] == study].reset_index(drop=True)
        return TrialData(basis=self.basis, data_dir=self.data_dir, dropped=dropped, params=self.params,
                         files=dict(self.files), tables=self.tables, left_out=self.left_out,
                         origin=origin.reset_index(drop=True),
                         words={s: w for s, w in self.words.items() if s == study}, **keep)

    def arms(self) -> pd.DataFrame:
        """One row per arm: TRT01A, TRT01AN and the number of subjects, placebo first then by dose."""
        out = (self.adsl.groupby(["STUDYID", "TRT01A", "TRT01AN"], as_index=False)
               .size().rename(columns={"size": "n"}))
        return out.sort_values(["STUDYID", "TRT01AN", "TRT01A"]).reset_index(drop=True)

    def record_error(self, message: str, column: str, index) -> DataError:
        """A DataError about the efficacy records at ``index`` (labels of ``adeff``), naming each one's own
        file and row: the first table's file, column and rows, and any other table's in the message.

        Examples
        --------
        >>> trial = load_trial("data/synthetic")
        >>> str(trial.record_error("example", "AVAL", trial.adeff.index[:2]))  # doctest: +ELLIPSIS
        '.../data/synthetic/adeff.csv, column AVAL, rows 2, 3: example'
        """
        where = self.origin.loc[list(index)]
        if where.empty:
            raise ValueError("record_error needs at least one record of adeff")
        (table, rows), *others = where.groupby("table", sort=False)["row"]
        also = "; ".join(_place(self.files[t], column, r) for t, r in others)
        return DataError(self.files[table], message + (f" (also {also})" if also else ""), column=column,
                         rows=rows.tolist(), unit=_unit(self.files[table]))


def _unit(path) -> str:
    """How a file's rows are numbered in messages: CSV ``rows`` (lines), XPORT or Dataset-JSON ``records``."""
    return "rows" if Path(path).suffix.lower() == ".csv" else "records"


def _place(path, column: str, rows) -> str:
    """``"adlb.json, column PARAMCD, records 4, 9"``: where rows are, for the message about another file."""
    return f"{Path(path).name}, column {column}, {row_list(_unit(path), rows)}"


# ------------------------------------------------------------------------------------- finding files
def _forms(folder: Path) -> dict[str, list[Path]]:
    """{table: [files of that table in the folder]} for every ``ad<name>`` table in any form, names matched
    case-insensitively; adsl and adae are always keys (with no file when missing)."""
    found = {name: [] for name in REQUIRED_TABLES}
    for path in sorted(folder.iterdir()):
        match = TABLE_FILE.fullmatch(path.name.lower())
        if match and path.is_file():
            found.setdefault(match.group(1), []).append(path)
    return found


def table_paths(folder) -> dict[str, Path]:
    """The file holding each table of a data set folder.

    Parameters
    ----------
    folder : str or Path
        The data set folder. A relative path is taken from the repository root.

    Returns
    -------
    dict of str to Path
        One key per ``ad<name>`` table found (``"adsl"``, then the others by name, e.g. ``"adeff"`` or
        ``"adft"``, ``"adlb"``, ``"adtte"``, then ``"adae"``); each the one ``.csv``, ``.xpt`` or
        ``.json`` file found for that table. Which of the others are efficacy data is decided by their
        columns (:func:`load_trial`).

    Raises
    ------
    DataError
        The folder does not exist, adsl or adae has no file, or a table is there in two forms (both
        files are named).
    """
    folder = resolve(folder)
    if not folder.is_dir():
        raise DataError(folder, "data folder does not exist")
    out = {}
    for name, paths in _forms(folder).items():
        if not paths:
            forms = ", ".join(f"{name}{ext}" for ext in FORMS)
            raise DataError(folder / f"{name}.csv", f"file is missing (looked for {forms})")
        if len(paths) > 1:
            both = " and ".join(p.name for p in paths)
            raise DataError(paths[0], f"table {name} is here in {len(paths)} forms ({both}): keep one")
        out[name] = paths[0]
    middle = sorted(set(out) - set(REQUIRED_TABLES))
    return {name: out[name] for name in ["adsl", *middle, "adae"]}


# ------------------------------------------------------------------------------------------ reading
def _read(path: Path, table: str) -> tuple[pd.DataFrame, _Source]:
    """Read one table in any form to stripped text (:func:`msc_frailty.readers.read_table`), required columns checked."""
    df, src = read_table(path)
    missing = [c for c in REQUIRED_COLUMNS.get(f"{table}.csv", ()) if c not in df.columns]
    if missing:
        raise src.error(f"required column(s) missing: {', '.join(missing)}", column=missing[0])
    return df, src


# ---------------------------------------------------------------------------------------- checks
def _numeric(df: pd.DataFrame, src: _Source, column: str, *, min_value=None, max_value=None, why="",
             allow_missing=False) -> pd.Series:
    """The column as numbers, refusing text, values below ``min_value`` or above ``max_value`` (``why``
    says why) and any magnitude above :data:`MAX_MAGNITUDE`."""
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.astype(float))
    if allow_missing:
        bad &= df[column] != ""         # empty means unknown here (NaN); other text is still an error
    if bad.any():
        raise src.error(f"non-numeric or empty value(s) {sorted(set(df.loc[bad, column]))[:5]}",
                        column=column, index=df.index[bad])
    if min_value is not None and (values < min_value).any():
        below = values < min_value
        raise src.error(f"value(s) below {min_value}: {sorted(set(values[below]))[:5]}",
                        column=column, index=df.index[below])
    if max_value is not None and (values > max_value).any():
        above = values > max_value
        raise src.error(f"value(s) above {max_value}: {sorted(set(values[above]))[:5]}{why}",
                        column=column, index=df.index[above])
    huge = values.abs() > MAX_MAGNITUDE
    if huge.any():
        raise src.error(f"implausible value(s) {sorted(set(values[huge]))[:5]}: a magnitude above "
                        f"{MAX_MAGNITUDE:g} is a data error, not a measurement", column=column, index=df.index[huge])
    return values.astype(float)


def _check_text(df: pd.DataFrame, src: _Source, limits: dict[str, tuple[int, str]]):
    """Refuse control or invisible characters, and values longer than their limit, in the columns of
    ``limits`` ({column: (most characters, the rule in words)}) that ``df`` has."""
    for column, (limit, rule) in limits.items():
        if column not in df.columns:
            continue
        values = df[column].astype(str)
        refused = {v: found for v in pd.unique(values) if (found := names.refused_characters(v))}
        if refused:
            codes = ", ".join(f"U+{ord(c):04X}" for c in sorted(set().union(*refused.values()))[:5])
            raise src.error(f"control or invisible character(s) {codes} in value(s) {list(refused)[:3]}: not "
                            "allowed in a column that becomes a label or identifier", column=column,
                            index=df.index[values.isin(list(refused))])
        long = values.str.len() > limit
        if long.any():
            shown = [v[:40] + "..." for v in pd.unique(values[long])[:3]]
            raise src.error(f"value(s) longer than {limit} characters ({rule}): {shown}", column=column,
                            index=df.index[long])


#: Limits of the text columns of the tables (:data:`TEXT_COLUMNS`).
TEXT_LIMITS = {c: (MAX_LABEL, f"a label or identifier has at most {MAX_LABEL}") for c in TEXT_COLUMNS} | {
    "STUDYID": (names.MAX_COMPONENT, "a STUDYID names folders and files"),
    "PARAMCD": (MAX_PARAMCD, f"ADaM allows 8; at most {MAX_PARAMCD} are accepted"),
}
#: Limits of the text columns of params.csv.
PARAMS_LIMITS = {"PARAMCD": TEXT_LIMITS["PARAMCD"],
                 "PARAM": TEXT_LIMITS["PARAM"],
                 "unit": (MAX_LABEL, f"a unit has at most {MAX_LABEL}"),
                 "finding": (MAX_LABEL, f"a finding's name has at most {MAX_LABEL}"),
                 "short_name": (MAX_SHORT_NAME, f"a short name is a figure label of at most {MAX_SHORT_NAME}")}


def _allowed(df: pd.DataFrame, src: _Source, column: str, allowed: set[str]):
    bad = ~df[column].isin(allowed)
    if bad.any():
        raise src.error(f"value(s) {sorted(set(df.loc[bad, column]))[:5]} not in {sorted(allowed)}",
                        column=column, index=df.index[bad])


def _flags(df: pd.DataFrame, src: _Source):
    """Every ``*FL`` column holds Y, N or null (ADaM: null means not flagged)."""
    for column in [c for c in df.columns if c.upper().endswith("FL")]:
        bad = ~df[column].isin(FLAG_VALUES)
        if bad.any():
            raise src.error(f"flag value(s) {sorted(set(df.loc[bad, column]))[:5]} are not Y, N or empty "
                            "(null = not flagged)", column=column, index=df.index[bad])


def _non_empty(df: pd.DataFrame, src: _Source, column: str):
    bad = df[column] == ""
    if bad.any():
        raise src.error("empty value(s)", column=column, index=df.index[bad])


def _known_subjects(df: pd.DataFrame, src: _Source, adsl: pd.DataFrame, adsl_name: str):
    keys = set(zip(adsl["STUDYID"], adsl["USUBJID"]))
    bad = ~pd.Series([k in keys for k in zip(df["STUDYID"], df["USUBJID"])], index=df.index, dtype=bool)
    if bad.any():
        raise src.error(f"subject(s) not in {adsl_name}: {sorted(set(df.loc[bad, 'USUBJID']))[:5]}",
                        column="USUBJID", index=df.index[bad])


def _basis(tables: dict[str, pd.DataFrame], folder: Path) -> str:
    flags = []
    for name, df in tables.items():
        if SYNTHETIC_FLAG in df.columns and len(df):
            flags.extend(df[SYNTHETIC_FLAG].tolist())
        elif len(df):
            flags.extend([""] * len(df))
    if flags and all(f == "Y" for f in flags):
        return "synthetic"
    if any(f == "Y" for f in flags):
        raise DataError(folder, f"some rows have {SYNTHETIC_FLAG} = Y and some do not: a data set is "
                        "either wholly synthetic or wholly supplied", column=SYNTHETIC_FLAG)
    return "supplied"


def _check_study_names(adsl: pd.DataFrame, src: _Source):
    """A STUDYID names folders and files (``figures/<study>/``, ``results/parts/<finding>__<study>.csv``, the
    runner's staging folders), so it must be one safe file name (:func:`msc_frailty.names.study_problem`: no
    ``/`` or ``\\``, no ``..`` or leading dot, no control character, at most 100 characters, not ``all`` or
    ``published``), and no two may differ only in case (one folder on macOS and Windows)."""
    studies = adsl["STUDYID"]
    for study in sorted(studies.unique()):
        problem = names.study_problem(study)
        if problem:
            raise src.error(f"STUDYID {study!r} cannot be used as a file or folder name: it {problem}",
                            column="STUDYID", index=studies.index[studies == study])
    folded = studies.str.casefold()
    by_fold = studies.groupby(folded).nunique()
    if (by_fold > 1).any():
        rows = studies.index[folded == by_fold[by_fold > 1].index[0]]
        raise src.error(f"STUDYIDs {sorted(set(studies[rows]))} differ only in case, so they would share one "
                        "folder on a case-insensitive file system", column="STUDYID", index=rows)


def _check_adsl(adsl: pd.DataFrame, src: _Source, require_placebo) -> pd.DataFrame:
    if adsl.empty:
        raise src.error("the subject table has no rows")
    for col in ("STUDYID", "USUBJID", "TRT01A"):
        _non_empty(adsl, src, col)
    _check_study_names(adsl, src)
    _check_text(adsl, src, TEXT_LIMITS)
    adsl["TRT01AN"] = _numeric(adsl, src, "TRT01AN", min_value=0)
    adsl["AGE"] = _numeric(adsl, src, "AGE", min_value=0, max_value=MAX_AGE,
                           why=f" (AGE is in years; at most {MAX_AGE} is accepted)")
    _allowed(adsl, src, "SEX", {"F", "M"})
    _flags(adsl, src)                   # SAFFL: N and null both mean not in the safety population
    dup = adsl.duplicated(["STUDYID", "USUBJID"], keep=False)
    if dup.any():
        raise src.error("duplicated subject(s)", column="USUBJID", index=adsl.index[dup])
    doses = adsl.groupby(["STUDYID", "TRT01A"])["TRT01AN"].nunique()
    if (doses > 1).any():
        study, arm = doses[doses > 1].index[0]
        rows = adsl.index[(adsl.STUDYID == study) & (adsl.TRT01A == arm)]
        raise src.error(f"arm {arm!r} of {study} has more than one dose", column="TRT01AN", index=rows)
    labels = adsl.groupby(["STUDYID", "TRT01AN"])["TRT01A"].nunique()
    if (labels > 1).any():
        study, dose = labels[labels > 1].index[0]
        rows = adsl.index[(adsl.STUDYID == study) & (adsl.TRT01AN == dose)]
        raise src.error(f"dose {dose:g} of {study} has more than one arm label", column="TRT01A", index=rows)
    needs = set(PLACEBO_CONTROLLED) | set(require_placebo or ())
    for study in sorted(set(adsl.STUDYID) & needs):
        if not (adsl.loc[adsl.STUDYID == study, "TRT01AN"] == 0).any():
            rows = adsl.index[adsl.STUDYID == study]
            raise src.error(f"{study} is placebo-controlled but has no placebo arm (TRT01AN = 0)",
                            column="TRT01AN", index=rows)
    return adsl


def _drop_reasons(adeff: pd.DataFrame, records: str) -> pd.Series:
    """Why each efficacy record is left out of the analysis ("" = kept).

    ANL01FL, when the column exists, selects the analysis records; under ``records="observed"`` the
    imputed ones (DTYPE not null, e.g. LOCF) are left out too. A record left out for both reasons
    is counted under ANL01FL.
    """
    reason = pd.Series("", index=adeff.index, dtype=object)
    if records == "observed" and "DTYPE" in adeff.columns:
        imputed = adeff["DTYPE"] != ""
        reason[imputed] = "DTYPE = " + adeff.loc[imputed, "DTYPE"] + " (imputed)"
    if "ANL01FL" in adeff.columns:
        reason[adeff["ANL01FL"] != "Y"] = "ANL01FL not Y"
    return reason


def _dropped_counts(adeff: pd.DataFrame, reason: pd.Series, table: str = "adeff") -> pd.DataFrame:
    gone = reason != ""
    if not gone.any():
        return _no_drops()
    counts = (pd.DataFrame({"STUDYID": adeff.loc[gone, "STUDYID"], "reason": reason[gone]})
              .groupby(["STUDYID", "reason"], as_index=False).size().rename(columns={"size": "n"}))
    counts.insert(1, "table", table)
    return counts[DROPPED_COLUMNS].astype({"n": int})


def _check_adeff(adeff, src: _Source, adsl, adsl_name: str, records: str,
                 table: str = "adeff") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The validated analysis records of one efficacy table, and the counts of those left out."""
    for col in ("STUDYID", "USUBJID", "PARAMCD"):
        _non_empty(adeff, src, col)
    _check_text(adeff, src, TEXT_LIMITS)
    _known_subjects(adeff, src, adsl, adsl_name)
    _flags(adeff, src)
    reason = _drop_reasons(adeff, records)
    dropped = _dropped_counts(adeff, reason, table)
    # records the analysis does not use (e.g. unscheduled visits without AVISITN) are not checked further
    adeff = adeff[reason == ""].copy()
    adeff["AVISITN"] = _numeric(adeff, src, "AVISITN", min_value=0)
    adeff["AVAL"] = _numeric(adeff, src, "AVAL")
    dup = adeff.duplicated(["STUDYID", "USUBJID", "PARAMCD", "AVISITN"], keep=False)
    if dup.any():
        rule = " left after the ANL01FL/DTYPE rule" if ("ANL01FL" in adeff or "DTYPE" in adeff) else ""
        raise src.error(f"duplicated subject-parameter-visit row(s){rule}", column="AVISITN",
                        index=adeff.index[dup])
    return adeff, dropped


def _check_adae(adae, src: _Source, adsl, adsl_name: str) -> pd.DataFrame:
    if not len(adae):
        adae["ASTDY"] = pd.Series(dtype=float)
        return adae
    for col in ("STUDYID", "USUBJID", "AEDECOD"):
        _non_empty(adae, src, col)
    _check_text(adae, src, TEXT_LIMITS)
    _known_subjects(adae, src, adsl, adsl_name)
    _allowed(adae, src, "AESER", {"Y", "N", ""})    # not a *FL flag, but null reads as not serious
    _flags(adae, src)
    adae["ASTDY"] = _numeric(adae, src, "ASTDY", allow_missing=True)   # onset unknown -> NaN
    return adae


# ----------------------------------------------------------------------------- efficacy tables
def _bds_missing(df: pd.DataFrame) -> list[str]:
    return [c for c in BDS_COLUMNS if c not in df.columns]


def _left_out_reason(missing: list[str]) -> str:
    return f"not efficacy data (no column{'s' if len(missing) > 1 else ''} {', '.join(missing)})"


def _sort_efficacy(read: dict[str, tuple[pd.DataFrame, _Source]], folder: Path):
    """The efficacy tables (those with :data:`BDS_COLUMNS`) and the others, left out (a table of
    :data:`LEFT_OUT_COLUMNS`); a DataError when there is no efficacy table at all."""
    efficacy = {n: r for n, r in read.items() if not _bds_missing(r[0])}
    left_out = pd.DataFrame([(n, r[1].path.name, len(r[0]), ", ".join(_bds_missing(r[0])),
                              _left_out_reason(_bds_missing(r[0])))
                             for n, r in read.items() if n not in efficacy], columns=LEFT_OUT_COLUMNS)
    left_out = left_out.astype({"records": int})
    if not efficacy:
        looked = (f"looked for ad<name>.csv, .xpt or .json files other than adsl and adae (such as adeff.csv, "
                  f"adft.xpt, adlb.json) holding the BDS columns {', '.join(BDS_COLUMNS)}")
        if left_out.empty:
            raise DataError(folder, f"no efficacy table: {looked}; found none")
        # the table most likely meant (adeff if it is there) is named with its first missing column
        first = left_out.iloc[(left_out["table"] == "adeff").to_numpy().argmax()]
        notes = "; ".join(f"{r.file} has no {r.missing}" for r in left_out.itertuples())
        raise DataError(read[first["table"]][1].path, f"no efficacy table: {looked}; {notes}",
                        column=first["missing"].split(", ")[0])
    return efficacy, left_out


def _one_table_per_parameter(efficacy: dict[str, tuple[pd.DataFrame, _Source]]):
    """A PARAMCD found in two efficacy tables is an error naming both files (and the rows in each)."""
    owners: dict[str, list[str]] = {}
    for name, (df, _src) in efficacy.items():
        for code in pd.unique(df["PARAMCD"]):
            owners.setdefault(code, []).append(name)
    for code, tables in owners.items():
        if len(tables) > 1:
            (first, src), others = efficacy[tables[0]], [efficacy[t] for t in tables[1:]]
            also = "; ".join(_place(o_src.path, "PARAMCD", o_src.numbers(o.index[o["PARAMCD"] == code]))
                             for o, o_src in others)
            raise src.error(f"PARAMCD {code!r} is in {len(tables)} tables: here and in {also}. A parameter "
                            "must come from one efficacy table: keep it in one", column="PARAMCD",
                            index=first.index[first["PARAMCD"] == code])


def _left_out_counts(read, left_out: pd.DataFrame, studies) -> pd.DataFrame:
    """Rows of :attr:`TrialData.dropped` for the tables left out: their records per study (every record
    of the file for each study when it has no STUDYID)."""
    rows = []
    for r in left_out.itertuples():
        df = read[r.table][0]
        for study in studies:
            if "STUDYID" in df.columns:
                n, reason = int((df["STUDYID"] == study).sum()), r.reason
            else:
                n, reason = len(df), f"{r.reason}; counted over all studies"
            if n:
                rows.append((study, r.table, reason, n))
    return pd.DataFrame(rows, columns=DROPPED_COLUMNS).astype({"n": int}) if rows else _no_drops()


def _check_figure_names(trial: TrialData):
    """PARAMCDs are mapped to safe figure names (:func:`msc_frailty.names.figure_name`); two that would
    share one are refused, naming each record's file and rows."""
    codes = trial.adeff["PARAMCD"]
    for name, clash in names.figure_name_clashes(codes.unique()).items():
        raise trial.record_error(f"PARAMCDs {clash} would all be saved as the figure {name!r}; rename one",
                                 "PARAMCD", codes.index[codes.isin(clash)])


def _combine(checked: dict[str, tuple[pd.DataFrame, _Source]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The efficacy tables as one (their columns' union, missing text ""), and each record's origin."""
    frames = [df for df, _ in checked.values()]
    adeff = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    for c in adeff.columns:
        if c not in ("AVISITN", "AVAL") and adeff[c].isna().any():
            adeff[c] = adeff[c].astype(object).where(adeff[c].notna(), "")
    origin = pd.DataFrame({"table": [n for n, (df, _) in checked.items() for _ in range(len(df))],
                           "row": [i for df, src in checked.values() for i in src.numbers(df.index)]},
                          columns=ORIGIN_COLUMNS).astype({"table": object, "row": int})
    return adeff, origin


def load_params(folder) -> pd.DataFrame:
    """The optional ``params.csv`` of a data set folder, validated; empty when there is none.

    Parameters
    ----------
    folder : str or Path
        The data set folder. A relative path is taken from the repository root.

    Returns
    -------
    pandas.DataFrame
        Columns PARAMCD, PARAM, unit, direction (``higher_better``, ``lower_better`` or empty),
        finding, as text; extra columns carried through, among them the optional short_name (a
        figure label: the column is there only when the file has it).

    Raises
    ------
    DataError
        A required column is missing, PARAMCD is empty or duplicated, direction has another value, or a
        text holds a control character or is too long (PARAMCD over :data:`MAX_PARAMCD` characters,
        short_name over :data:`MAX_SHORT_NAME`, PARAM, unit or finding over :data:`MAX_LABEL`).
    """
    path = resolve(folder) / PARAMS_FILE
    if not path.is_file():
        return _no_params()
    df, src = read_table(path)
    missing = [c for c in PARAMS_COLUMNS if c not in df.columns]
    if missing:
        raise src.error(f"required column(s) missing: {', '.join(missing)}", column=missing[0])
    _non_empty(df, src, "PARAMCD")
    _check_text(df, src, PARAMS_LIMITS)
    _allowed(df, src, "direction", DIRECTIONS)
    dup = df.duplicated(["PARAMCD"], keep=False)
    if dup.any():
        raise src.error("duplicated PARAMCD", column="PARAMCD", index=df.index[dup])
    return df.reset_index(drop=True)


def load_trial(data_dir, require_placebo=None, records="observed") -> TrialData:
    """Load and validate a data set folder: adsl, adae and one or more efficacy tables.

    Each table is one file, ``<name>.csv``, ``<name>.xpt`` (SAS XPORT v5 or v8) or ``<name>.json``
    (CDISC Dataset-JSON 1.1), in any mix; the typed tables are the same whichever form. Every
    ``ad<name>`` table other than adsl and adae that has the BDS columns (:data:`BDS_COLUMNS`) is efficacy
    data (``adeff``, ``adft``, ``adlb``, ``adqs``, ...): each is validated on its own (rows named in its own
    file), then they are concatenated into ``adeff``. The others are left out (``left_out``, and counted
    in ``dropped``). The checks refuse everything ``make reproduce`` refuses, including STUDYIDs that
    cannot name a folder and PARAMCDs that would share a figure name.

    Parameters
    ----------
    data_dir : str or Path
        The folder. A relative path is taken from the repository root.
    require_placebo : iterable of str, optional
        STUDYIDs that must have a placebo arm (TRT01AN == 0). Studies in :data:`PLACEBO_CONTROLLED`
        always must.
    records : {"observed", "as_flagged"}
        Which efficacy records the analysis uses. ``"observed"``: those with ANL01FL = Y (every record
        when the table has no ANL01FL column) and DTYPE null, so imputed records (DTYPE = LOCF, ...) are
        left out. ``"as_flagged"``: those with ANL01FL = Y, imputed ones included. Applied to each
        efficacy table.

    Returns
    -------
    TrialData
        Typed tables (TRT01AN, AGE, AVISITN, AVAL, ASTDY numeric; everything else text, missing = "")
        holding only the efficacy records used, each one's table and row (``origin``), the counts of
        records left out (``dropped``), the tables read (``tables``) and left out (``left_out``), the
        optional ``params.csv`` (``params``), the files read (``files``) and the basis of the data.

    Raises
    ------
    DataError
        On the first problem, naming the file, column and rows (CSV line numbers, or record numbers
        of an XPORT or Dataset-JSON file). A PARAMCD in two efficacy tables names both files; a
        folder without any efficacy table says what was looked for.
    ValueError
        ``records`` is not one of :data:`RECORD_RULES`.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> trial = load_trial("data/synthetic")
    >>> trial.basis, trial.studies
    ('synthetic', ['CRATUS-P1', 'CRATUS-P2', 'LOMECEL-P2B'])
    >>> trial.tables[["table", "file", "role"]].values.tolist()
    [['adsl', 'adsl.csv', 'subjects'], ['adeff', 'adeff.csv', 'efficacy'], ['adae', 'adae.csv', 'adverse events']]
    """
    if records not in RECORD_RULES:
        raise ValueError(f"records must be one of {RECORD_RULES}, not {records!r}")
    folder = resolve(data_dir)
    files = table_paths(folder)
    read = {name: _read(path, name) for name, path in files.items()}
    (adsl, adsl_src), (adae, adae_src) = read["adsl"], read["adae"]
    efficacy, left_out = _sort_efficacy({n: r for n, r in read.items() if n not in REQUIRED_TABLES}, folder)
    adsl_name = files["adsl"].name

    adsl = _check_adsl(adsl, adsl_src, require_placebo)
    checked, drops = {}, []
    for name, (df, src) in efficacy.items():
        kept, dropped = _check_adeff(df, src, adsl, adsl_name, records, name)
        checked[name] = (kept, src)
        drops.append(dropped)
    _one_table_per_parameter(efficacy)
    adeff, origin = _combine(checked)
    adae = _check_adae(adae, adae_src, adsl, adsl_name)
    params = load_params(folder)
    words = load_studies(folder, adsl["STUDYID"].unique())   # studies.csv (each study's words): refused here too
    drops.append(_left_out_counts(read, left_out, sorted(adsl["STUDYID"].unique())))
    dropped = [d for d in drops if len(d)]
    dropped = pd.concat(dropped, ignore_index=True) if dropped else _no_drops()

    roles = {"adsl": "subjects", "adae": "adverse events"}
    tables = pd.DataFrame([(name, files[name].name, roles.get(name, "efficacy"), len(read[name][0]),
                            ", ".join(sorted(pd.unique(checked[name][0]["PARAMCD"]))) if name in checked else "")
                           for name in files if name not in set(left_out["table"])],
                          columns=TABLES_COLUMNS).astype({"records": int})
    basis = _basis({"adsl": adsl, **{n: df for n, (df, _) in checked.items()}, "adae": adae}, folder)
    trial = TrialData(adsl=adsl, adeff=adeff, adae=adae, basis=basis, data_dir=folder, dropped=dropped,
                      params=params, files=files, tables=tables, left_out=left_out, origin=origin, words=words)
    _check_figure_names(trial)
    return trial


def add_change(trial: TrialData) -> pd.DataFrame:
    """Efficacy rows with baseline and change, for the safety population.

    Adds BASE (the subject's AVISITN = 0 value of that parameter), CHG = AVAL - BASE, and the arm
    (TRT01A, TRT01AN). Post-baseline rows of subjects without a baseline value are dropped.

    Returns
    -------
    pandas.DataFrame
        One row per subject, parameter and post-baseline visit.
    """
    eff = trial.adeff.merge(trial.adsl[["STUDYID", "USUBJID", "TRT01A", "TRT01AN", "SAFFL"]],
                            on=["STUDYID", "USUBJID"], how="left")
    eff = eff[eff["SAFFL"] == "Y"]
    base = (eff[eff["AVISITN"] == 0][["STUDYID", "USUBJID", "PARAMCD", "AVAL"]]
            .rename(columns={"AVAL": "BASE"}))
    post = eff[eff["AVISITN"] > 0].merge(base, on=["STUDYID", "USUBJID", "PARAMCD"], how="inner")
    post["CHG"] = post["AVAL"] - post["BASE"]
    return post.sort_values(["STUDYID", "PARAMCD", "AVISITN", "TRT01AN", "USUBJID"]).reset_index(drop=True)


def _listed(text: str, most: int = 8) -> str:
    """A comma-separated list cut after ``most`` items (``"A, B, ... and 12 more"``)."""
    items = [t for t in text.split(", ") if t]
    return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most else "")


def summary(trial: TrialData) -> str:
    """What ``make check-data`` prints: the tables read (name, file, records, what each holds), the tables
    left out and why, the arms, and the records the analysis leaves out.

    Examples
    --------
    >>> print(summary(load_trial("data/synthetic")).split("arms:")[0])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    /.../data/synthetic: synthetic data, studies CRATUS-P1, CRATUS-P2, LOMECEL-P2B
    tables read:
      adsl   adsl.csv    ... records  subjects
      adeff  adeff.csv   ... records  efficacy: BCTNFA, FEV1, SF36PCS, SIXMWD, SPPB, SQOLF, TNFA
      adae   adae.csv    ... records  adverse events
    tables left out: none
    <BLANKLINE>
    """
    lines = [f"{trial.data_dir}: {trial.basis} data, studies {', '.join(trial.studies)}", "tables read:"]
    width = max(len(t) for t in trial.tables["table"])
    fwidth = max(len(f) for f in trial.tables["file"])
    for r in trial.tables.itertuples():
        what = f"{r.role}: {_listed(r.parameters)}" if r.parameters else r.role
        lines.append(f"  {r.table:<{width}}  {r.file:<{fwidth}}  {r.records:>7} records  {what}")
    if trial.left_out.empty:
        lines.append("tables left out: none")
    else:
        lines.append("tables left out:")
        for r in trial.left_out.itertuples():
            lines.append(f"  {r.table} ({r.file}, {r.records} records): {r.reason}; an efficacy table has the "
                         f"columns {', '.join(BDS_COLUMNS)}")
    lines.append("arms:")
    lines.append(trial.arms().to_string(index=False))
    for r in trial.dropped.itertuples(index=False):
        lines.append(f"left out of the analysis: {r.n} {r.table} record(s) of {r.STUDYID}: {r.reason}")
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m msc_frailty.data FOLDER``: validate a data set as ``make reproduce`` does, print the tables
    read and left out and the arms, exit 1 on error."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("data_dir")
    parser.add_argument("--records", choices=RECORD_RULES, default="observed",
                        help="which efficacy records the analysis uses (the notebooks' records parameter)")
    args = parser.parse_args(argv)
    # what the readers read but say (another encoding, a member named for another table, ...): listed as notices
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", DataNotice)
        try:
            trial = load_trial(args.data_dir, records=args.records)
        except DataError as err:
            print(f"data error: {err}", file=sys.stderr)
            return 1
    print(summary(trial))
    notices = list(dict.fromkeys(str(w.message) for w in said if issubclass(w.category, DataNotice)))
    if notices:
        print("notices:\n" + "\n".join(f"  {n}" for n in notices))
    for w in said:              # any other warning as Python would have shown it
        if not issubclass(w.category, DataNotice):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
