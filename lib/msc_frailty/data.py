"""Load and validate a trial data set in the contract layout (ADaM-style adsl, adeff, adae).

Every problem found is reported as a :class:`DataError` that names the file, the column and the
rows (line numbers in the CSV file, the header being line 1), so a user can go straight to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .paths import resolve

REQUIRED_COLUMNS = {
    "adsl.csv": ["STUDYID", "USUBJID", "TRT01A", "TRT01AN", "AGE", "SEX", "SAFFL"],
    "adeff.csv": ["STUDYID", "USUBJID", "PARAMCD", "AVISITN", "AVAL"],
    "adae.csv": ["STUDYID", "USUBJID", "AEDECOD", "AESER", "TRTEMFL", "ASTDY", "AEOUT"],
}

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


class DataError(ValueError):
    """A data set does not meet the contract. Carries the file, column and rows at fault."""

    def __init__(self, file, message, column=None, rows=None):
        self.file = str(file)
        self.column = column
        self.rows = list(rows) if rows is not None else []
        where = f"{self.file}"
        if column is not None:
            where += f", column {column}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = f" and {len(self.rows) - 10} more" if len(self.rows) > 10 else ""
            where += f", rows {shown}{more}"
        super().__init__(f"{where}: {message}")


@dataclass
class TrialData:
    """A validated data set: the three tables, where they came from and on what basis.

    ``basis`` is ``"synthetic"`` when every row carries ``SYNTHFL = "Y"`` (the embedded default)
    and ``"supplied"`` otherwise (a user's data set).
    """

    adsl: pd.DataFrame
    adeff: pd.DataFrame
    adae: pd.DataFrame
    basis: str
    data_dir: Path

    @property
    def studies(self) -> list[str]:
        return sorted(self.adsl["STUDYID"].unique())

    def study(self, study: str) -> "TrialData":
        """The same data restricted to one STUDYID."""
        if study not in set(self.adsl["STUDYID"]):
            raise DataError(self.data_dir / "adsl.csv", f"study {study!r} not found (have {self.studies})",
                            column="STUDYID")
        keep = {name: df[df["STUDYID"] == study].reset_index(drop=True)
                for name, df in (("adsl", self.adsl), ("adeff", self.adeff), ("adae", self.adae))}
        return TrialData(basis=self.basis, data_dir=self.data_dir, **keep)

    def arms(self) -> pd.DataFrame:
        """One row per arm: TRT01A, TRT01AN and the number of subjects, placebo first then by dose."""
        out = (self.adsl.groupby(["STUDYID", "TRT01A", "TRT01AN"], as_index=False)
               .size().rename(columns={"size": "n"}))
        return out.sort_values(["STUDYID", "TRT01AN", "TRT01A"]).reset_index(drop=True)


def _lines(index) -> list[int]:
    """CSV line numbers (header is line 1) of DataFrame positions."""
    return [int(i) + 2 for i in index]


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(path, "file is missing")
    try:
        # keep blank lines as rows so that reported row numbers are the file's line numbers
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise DataError(path, "file is empty (not even a header)") from None
    df.columns = [c.strip() for c in df.columns]
    blank = (df == "").all(axis=1)
    df = df[~blank]                     # blank lines carry nothing; the index keeps line numbers
    missing = [c for c in REQUIRED_COLUMNS[path.name] if c not in df.columns]
    if missing:
        raise DataError(path, f"required column(s) missing: {', '.join(missing)}", column=missing[0])
    for c in df.columns:
        df[c] = df[c].astype(object).str.strip()
    return df


def _numeric(df: pd.DataFrame, path: Path, column: str, *, min_value=None) -> pd.Series:
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.astype(float))
    if bad.any():
        raise DataError(path, f"non-numeric or empty value(s) {sorted(set(df.loc[bad, column]))[:5]}",
                        column=column, rows=_lines(df.index[bad]))
    if min_value is not None and (values < min_value).any():
        below = values < min_value
        raise DataError(path, f"value(s) below {min_value}: {sorted(set(values[below]))[:5]}",
                        column=column, rows=_lines(df.index[below]))
    return values.astype(float)


def _allowed(df: pd.DataFrame, path: Path, column: str, allowed: set[str]):
    bad = ~df[column].isin(allowed)
    if bad.any():
        raise DataError(path, f"value(s) {sorted(set(df.loc[bad, column]))[:5]} not in {sorted(allowed)}",
                        column=column, rows=_lines(df.index[bad]))


def _non_empty(df: pd.DataFrame, path: Path, column: str):
    bad = df[column] == ""
    if bad.any():
        raise DataError(path, "empty value(s)", column=column, rows=_lines(df.index[bad]))


def _known_subjects(df: pd.DataFrame, path: Path, adsl: pd.DataFrame):
    keys = set(zip(adsl["STUDYID"], adsl["USUBJID"]))
    bad = ~pd.Series([k in keys for k in zip(df["STUDYID"], df["USUBJID"])], index=df.index, dtype=bool)
    if bad.any():
        raise DataError(path, f"subject(s) not in adsl.csv: {sorted(set(df.loc[bad, 'USUBJID']))[:5]}",
                        column="USUBJID", rows=_lines(df.index[bad]))


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


def load_trial(data_dir, require_placebo=None) -> TrialData:
    """Load and validate a data set folder holding ``adsl.csv``, ``adeff.csv`` and ``adae.csv``.

    Parameters
    ----------
    data_dir : str or Path
        The folder. A relative path is taken from the repository root.
    require_placebo : iterable of str, optional
        STUDYIDs that must have a placebo arm (TRT01AN == 0). Studies in :data:`PLACEBO_CONTROLLED`
        always must.

    Returns
    -------
    TrialData
        Typed tables (TRT01AN, AGE, AVISITN, AVAL, ASTDY numeric) and the basis of the data.

    Raises
    ------
    DataError
        On the first problem, naming the file, column and rows.

    Examples
    --------
    >>> from msc_frailty.data import load_trial
    >>> trial = load_trial("data/synthetic")
    >>> trial.basis, trial.studies
    ('synthetic', ['CRATUS-P1', 'CRATUS-P2', 'LOMECEL-P2B'])
    """
    folder = resolve(data_dir)
    if not folder.is_dir():
        raise DataError(folder, "data folder does not exist")
    paths = {name: folder / name for name in REQUIRED_COLUMNS}
    adsl, adeff, adae = (_read(paths[n]) for n in ("adsl.csv", "adeff.csv", "adae.csv"))

    p = paths["adsl.csv"]
    if adsl.empty:
        raise DataError(p, "the subject table has no rows")
    for col in ("STUDYID", "USUBJID", "TRT01A"):
        _non_empty(adsl, p, col)
    adsl["TRT01AN"] = _numeric(adsl, p, "TRT01AN", min_value=0)
    adsl["AGE"] = _numeric(adsl, p, "AGE", min_value=0)
    _allowed(adsl, p, "SEX", {"F", "M"})
    _allowed(adsl, p, "SAFFL", {"Y", "N"})
    dup = adsl.duplicated(["STUDYID", "USUBJID"], keep=False)
    if dup.any():
        raise DataError(p, "duplicated subject(s)", column="USUBJID", rows=_lines(adsl.index[dup]))
    doses = adsl.groupby(["STUDYID", "TRT01A"])["TRT01AN"].nunique()
    if (doses > 1).any():
        study, arm = doses[doses > 1].index[0]
        rows = adsl.index[(adsl.STUDYID == study) & (adsl.TRT01A == arm)]
        raise DataError(p, f"arm {arm!r} of {study} has more than one dose", column="TRT01AN", rows=_lines(rows))
    labels = adsl.groupby(["STUDYID", "TRT01AN"])["TRT01A"].nunique()
    if (labels > 1).any():
        study, dose = labels[labels > 1].index[0]
        rows = adsl.index[(adsl.STUDYID == study) & (adsl.TRT01AN == dose)]
        raise DataError(p, f"dose {dose:g} of {study} has more than one arm label", column="TRT01A",
                        rows=_lines(rows))
    needs = set(PLACEBO_CONTROLLED) | set(require_placebo or ())
    for study in sorted(set(adsl.STUDYID) & needs):
        if not (adsl.loc[adsl.STUDYID == study, "TRT01AN"] == 0).any():
            rows = adsl.index[adsl.STUDYID == study]
            raise DataError(p, f"{study} is placebo-controlled but has no placebo arm (TRT01AN = 0)",
                            column="TRT01AN", rows=_lines(rows))

    p = paths["adeff.csv"]
    for col in ("STUDYID", "USUBJID", "PARAMCD"):
        _non_empty(adeff, p, col)
    _known_subjects(adeff, p, adsl)
    adeff["AVISITN"] = _numeric(adeff, p, "AVISITN", min_value=0)
    adeff["AVAL"] = _numeric(adeff, p, "AVAL")
    dup = adeff.duplicated(["STUDYID", "USUBJID", "PARAMCD", "AVISITN"], keep=False)
    if dup.any():
        raise DataError(p, "duplicated subject-parameter-visit row(s)", column="AVISITN",
                        rows=_lines(adeff.index[dup]))

    p = paths["adae.csv"]
    if len(adae):
        for col in ("STUDYID", "USUBJID", "AEDECOD"):
            _non_empty(adae, p, col)
        _known_subjects(adae, p, adsl)
        _allowed(adae, p, "AESER", {"Y", "N"})
        _allowed(adae, p, "TRTEMFL", {"Y", "N"})
        adae["ASTDY"] = _numeric(adae, p, "ASTDY")
    else:
        adae["ASTDY"] = pd.Series(dtype=float)

    basis = _basis({"adsl": adsl, "adeff": adeff, "adae": adae}, folder)
    return TrialData(adsl=adsl, adeff=adeff, adae=adae, basis=basis, data_dir=folder)


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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
