"""Load and validate a trial data set in the contract layout (ADaM-style adsl, adeff, adae).

Each table may be delivered as CSV, SAS XPORT (v5 or v8, read with pyreadstat) or CDISC Dataset-JSON
1.1, in any mix within one folder. Every form is first turned into the same table of stripped text
(missing = ""), so one validator serves them all and the typed tables are identical whichever form
a table came in.

Every problem found is reported as a :class:`DataError` that names the file, the column and the
rows: line numbers in a CSV file (the header being line 1), record numbers in an XPORT or
Dataset-JSON file (the first record being 1), so a user can go straight to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .paths import resolve
from .readers import Source as _Source
from .readers import read_table

REQUIRED_COLUMNS = {
    "adsl.csv": ["STUDYID", "USUBJID", "TRT01A", "TRT01AN", "AGE", "SEX", "SAFFL"],
    "adeff.csv": ["STUDYID", "USUBJID", "PARAMCD", "AVISITN", "AVAL"],
    "adae.csv": ["STUDYID", "USUBJID", "AEDECOD", "AESER", "TRTEMFL", "ASTDY", "AEOUT"],
}

#: The three tables of a data set, in the order they are read.
TABLES = ("adsl", "adeff", "adae")

#: File forms a table may come in (matched case-insensitively: ``ADSL.XPT`` is ``adsl.xpt``).
FORMS = (".csv", ".xpt", ".json")

#: Which adeff records the analysis uses (see :func:`load_trial`).
RECORD_RULES = ("observed", "as_flagged")

#: Values a ``*FL`` flag may take; empty (null) means not flagged.
FLAG_VALUES = {"Y", "N", ""}

#: Optional ``params.csv`` beside the tables: its columns and the directions it may state.
PARAMS_FILE = "params.csv"
PARAMS_COLUMNS = ["PARAMCD", "PARAM", "unit", "direction", "finding"]
DIRECTIONS = {"higher_better", "lower_better", ""}

#: Columns of :attr:`TrialData.dropped`.
DROPPED_COLUMNS = ["STUDYID", "table", "reason", "n"]

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


@dataclass
class TrialData:
    """A validated data set: the three tables, where they came from and on what basis.

    ``basis`` is ``"synthetic"`` when every row carries ``SYNTHFL = "Y"`` (the embedded default)
    and ``"supplied"`` otherwise (a user's data set).

    ``dropped`` counts the adeff records left out of the analysis, one row per study and reason
    (columns STUDYID, table, reason, n; empty when none were). ``params`` is the optional
    ``params.csv`` (columns PARAMCD, PARAM, unit, direction, finding; empty when absent). ``files``
    maps each table name (``"adsl"``, ...) to the file it was read from.
    """

    adsl: pd.DataFrame
    adeff: pd.DataFrame
    adae: pd.DataFrame
    basis: str
    data_dir: Path
    dropped: pd.DataFrame = field(default_factory=_no_drops)
    params: pd.DataFrame = field(default_factory=_no_params)
    files: dict = field(default_factory=dict)

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
        dropped = self.dropped[self.dropped["STUDYID"] == study].reset_index(drop=True)
        return TrialData(basis=self.basis, data_dir=self.data_dir, dropped=dropped, params=self.params,
                         files=dict(self.files), **keep)

    def arms(self) -> pd.DataFrame:
        """One row per arm: TRT01A, TRT01AN and the number of subjects, placebo first then by dose."""
        out = (self.adsl.groupby(["STUDYID", "TRT01A", "TRT01AN"], as_index=False)
               .size().rename(columns={"size": "n"}))
        return out.sort_values(["STUDYID", "TRT01AN", "TRT01A"]).reset_index(drop=True)


# ------------------------------------------------------------------------------------- finding files
def _forms(folder: Path) -> dict[str, list[Path]]:
    """{table: [files of that table in the folder]}, any form, names matched case-insensitively."""
    found = {name: [] for name in TABLES}
    wanted = {f"{name}{ext}": name for name in TABLES for ext in FORMS}
    for path in sorted(folder.iterdir()):
        name = wanted.get(path.name.lower())
        if name and path.is_file():
            found[name].append(path)
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
        Keys ``"adsl"``, ``"adeff"``, ``"adae"``; each the one ``.csv``, ``.xpt`` or ``.json`` file
        found for that table.

    Raises
    ------
    DataError
        The folder does not exist, a table has no file, or a table is there in two forms (both
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
    return out


# ------------------------------------------------------------------------------------------ reading
def _read(path: Path, table: str) -> tuple[pd.DataFrame, _Source]:
    """Read one table in any form to stripped text (:func:`msc_frailty.readers.read_table`), required columns checked."""
    df, src = read_table(path)
    missing = [c for c in REQUIRED_COLUMNS[f"{table}.csv"] if c not in df.columns]
    if missing:
        raise src.error(f"required column(s) missing: {', '.join(missing)}", column=missing[0])
    return df, src


# ---------------------------------------------------------------------------------------- checks
def _numeric(df: pd.DataFrame, src: _Source, column: str, *, min_value=None, allow_missing=False) -> pd.Series:
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
    return values.astype(float)


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


def _check_adsl(adsl: pd.DataFrame, src: _Source, require_placebo) -> pd.DataFrame:
    if adsl.empty:
        raise src.error("the subject table has no rows")
    for col in ("STUDYID", "USUBJID", "TRT01A"):
        _non_empty(adsl, src, col)
    adsl["TRT01AN"] = _numeric(adsl, src, "TRT01AN", min_value=0)
    adsl["AGE"] = _numeric(adsl, src, "AGE", min_value=0)
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
    """Why each adeff record is left out of the analysis ("" = kept).

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


def _dropped_counts(adeff: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
    gone = reason != ""
    if not gone.any():
        return _no_drops()
    counts = (pd.DataFrame({"STUDYID": adeff.loc[gone, "STUDYID"], "reason": reason[gone]})
              .groupby(["STUDYID", "reason"], as_index=False).size().rename(columns={"size": "n"}))
    counts.insert(1, "table", "adeff")
    return counts[DROPPED_COLUMNS].astype({"n": int})


def _check_adeff(adeff, src: _Source, adsl, adsl_name: str, records: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The validated analysis records of adeff, and the counts of those left out."""
    for col in ("STUDYID", "USUBJID", "PARAMCD"):
        _non_empty(adeff, src, col)
    _known_subjects(adeff, src, adsl, adsl_name)
    _flags(adeff, src)
    reason = _drop_reasons(adeff, records)
    dropped = _dropped_counts(adeff, reason)
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
    _known_subjects(adae, src, adsl, adsl_name)
    _allowed(adae, src, "AESER", {"Y", "N", ""})    # not a *FL flag, but null reads as not serious
    _flags(adae, src)
    adae["ASTDY"] = _numeric(adae, src, "ASTDY", allow_missing=True)   # onset unknown -> NaN
    return adae


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
        finding, as text; extra columns carried through.

    Raises
    ------
    DataError
        A column is missing, PARAMCD is empty or duplicated, or direction has another value.
    """
    path = resolve(folder) / PARAMS_FILE
    if not path.is_file():
        return _no_params()
    df, src = read_table(path)
    missing = [c for c in PARAMS_COLUMNS if c not in df.columns]
    if missing:
        raise src.error(f"required column(s) missing: {', '.join(missing)}", column=missing[0])
    _non_empty(df, src, "PARAMCD")
    _allowed(df, src, "direction", DIRECTIONS)
    dup = df.duplicated(["PARAMCD"], keep=False)
    if dup.any():
        raise src.error("duplicated PARAMCD", column="PARAMCD", index=df.index[dup])
    return df.reset_index(drop=True)


def load_trial(data_dir, require_placebo=None, records="observed") -> TrialData:
    """Load and validate a data set folder holding the tables adsl, adeff and adae.

    Each table is one file, ``<name>.csv``, ``<name>.xpt`` (SAS XPORT v5 or v8) or ``<name>.json``
    (CDISC Dataset-JSON 1.1), in any mix; the typed tables are the same whichever form.

    Parameters
    ----------
    data_dir : str or Path
        The folder. A relative path is taken from the repository root.
    require_placebo : iterable of str, optional
        STUDYIDs that must have a placebo arm (TRT01AN == 0). Studies in :data:`PLACEBO_CONTROLLED`
        always must.
    records : {"observed", "as_flagged"}
        Which adeff records the analysis uses. ``"observed"``: those with ANL01FL = Y (every record
        when there is no ANL01FL column) and DTYPE null, so imputed records (DTYPE = LOCF, ...) are
        left out. ``"as_flagged"``: those with ANL01FL = Y, imputed ones included.

    Returns
    -------
    TrialData
        Typed tables (TRT01AN, AGE, AVISITN, AVAL, ASTDY numeric; everything else text, missing = "")
        holding only the adeff records used, the counts of those left out (``dropped``), the
        optional ``params.csv`` (``params``), the files read (``files``) and the basis of the data.

    Raises
    ------
    DataError
        On the first problem, naming the file, column and rows (CSV line numbers, or record numbers
        of an XPORT or Dataset-JSON file).
    ValueError
        ``records`` is not one of :data:`RECORD_RULES`.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> trial = load_trial("data/synthetic")
    >>> trial.basis, trial.studies
    ('synthetic', ['CRATUS-P1', 'CRATUS-P2', 'LOMECEL-P2B'])
    """
    if records not in RECORD_RULES:
        raise ValueError(f"records must be one of {RECORD_RULES}, not {records!r}")
    folder = resolve(data_dir)
    files = table_paths(folder)
    (adsl, adsl_src), (adeff, adeff_src), (adae, adae_src) = (_read(files[n], n) for n in TABLES)
    adsl_name = files["adsl"].name

    adsl = _check_adsl(adsl, adsl_src, require_placebo)
    adeff, dropped = _check_adeff(adeff, adeff_src, adsl, adsl_name, records)
    adae = _check_adae(adae, adae_src, adsl, adsl_name)
    params = load_params(folder)

    basis = _basis({"adsl": adsl, "adeff": adeff, "adae": adae}, folder)
    return TrialData(adsl=adsl, adeff=adeff, adae=adae, basis=basis, data_dir=folder, dropped=dropped,
                     params=params, files=files)


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


def main(argv=None) -> int:
    """``python -m msc_frailty.data FOLDER``: validate a data set, print a summary, exit 1 on error."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("data_dir")
    args = parser.parse_args(argv)
    try:
        trial = load_trial(args.data_dir)
    except DataError as err:
        print(f"data error: {err}", file=sys.stderr)
        return 1
    print(f"{trial.data_dir}: {trial.basis} data, studies {', '.join(trial.studies)}")
    print(trial.arms().to_string(index=False))
    for r in trial.dropped.itertuples(index=False):
        print(f"left out of the analysis: {r.n} {r.table} record(s) of {r.STUDYID}: {r.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
