"""Each trial's own words: what was given, the unit of its dose and what day 1 is (``studies.csv``).

The collection's three trials are single intravenous infusions of allogeneic mesenchymal stem cells (MSCs),
dosed in million cells, with study day 1 the day of the infusion. A data set from another trial must not be
spoken of that way: its figures say what the data set states, or neutral words.

``studies.csv`` (optional, beside the tables; contract section 1, "Real ADaM data")
-----------------------------------------------------------------------------------
| column | meaning | example | neutral word (a study nobody describes) |
|---|---|---|---|
| STUDYID | a study of adsl | ``XAN-301`` | |
| treatment | what was given | ``xanomeline`` | ``dose`` |
| dose_unit | the unit of TRT01AN | ``mg`` | none: "Dose", "per 100 dose units" |
| day1 | what study day 1 is, as it reads after "since" and "day 1 =" | ``first dose`` | ``day 1`` |

- The collection's own studies (:data:`OWN_STUDIES`) keep their words (:data:`OWN_WORDS`, from the published
  record: "Allogeneic Mesenchymal Stem Cells", "100 million cells", "single IV infusion"; the record never names
  the product, so neither do the figures) unless ``studies.csv`` says otherwise; every other study gets the
  neutral words (:data:`NEUTRAL_WORDS`) unless it is described. An empty cell states nothing: the study keeps
  its default for that column.
- Figures and captions take their words from :class:`StudyWords` (through
  :func:`msc_frailty.endpoints.resolve_labels`): the time axis ("Weeks since first dose", "Weeks since day 1"),
  the adverse-event timeline ("day 1 = first dose"), the CONSORT box of the safety population ("Infused" only
  where day 1 is an infusion, else "Treated"), the flow's caption ("allocation and treatment with xanomeline"),
  the dose axis ("Dose (mg)", "Dose") and the dose-response slope ("per 100 mg", "per 100 dose units"). No figure of a study that is not described as an infusion of cells in
  million cells says infusion, infused or million cells.

A file that does not meet these rules is refused with a :class:`~msc_frailty.data.DataError` naming the file,
the column and the CSV lines (header = line 1): a missing column, an empty or duplicated STUDYID, a STUDYID that is
not a study of the data set, a control or invisible character, a value longer than :data:`MAX_CHARS` allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .errors import DataError
from .names import refused_characters
from .paths import resolve
from .readers import read_table

#: The optional file beside the tables, and its columns.
STUDIES_FILE = "studies.csv"
STUDIES_COLUMNS = ["STUDYID", "treatment", "dose_unit", "day1"]
#: The longest value of each word column (characters): words go on axes and into sentences.
MAX_CHARS = {"treatment": 60, "dose_unit": 24, "day1": 40}
#: The neutral day 1: a study whose day 1 nobody described.
NEUTRAL_DAY1 = "day 1"


@dataclass(frozen=True)
class StudyWords:
    """What a study's figures and sentences may say about its treatment, dose and day 1.

    Attributes
    ----------
    treatment : str
        What was given (``"allogeneic MSCs"``; neutral ``"dose"``).
    dose_unit : str
        The unit of TRT01AN (``"million cells"``, ``"mg"``; ``""`` when nobody stated one).
    day1 : str
        What study day 1 is (``"infusion"``, ``"first dose"``; neutral ``"day 1"``).

    Examples
    --------
    >>> w = StudyWords("xanomeline", "mg", "first dose")
    >>> w.time_axis("weeks"), w.dose_axis, w.per_dose, w.day1_note, w.treated, w.treatment_event
    ('Weeks since first dose', 'Dose (mg)', 'per 100 mg', '(day 1 = first dose)', 'Treated', 'treatment with xanomeline')
    >>> NEUTRAL_WORDS.time_axis("weeks"), NEUTRAL_WORDS.dose_axis, NEUTRAL_WORDS.per_dose, NEUTRAL_WORDS.day1_note
    ('Weeks since day 1', 'Dose', 'per 100 dose units', '')
    >>> OWN_WORDS.time_axis("months"), OWN_WORDS.dose_axis, OWN_WORDS.treated
    ('Months since infusion', 'Dose (million cells)', 'Infused')
    """

    treatment: str = "dose"
    dose_unit: str = ""
    day1: str = NEUTRAL_DAY1

    @property
    def infusion(self) -> bool:
        """Day 1 is an infusion: only then do the figures speak of the infused."""
        return self.day1.strip().lower() == "infusion"

    @property
    def treated(self) -> str:
        """The word of the safety population's box: ``"Infused"`` after an infusion, else ``"Treated"``."""
        return "Infused" if self.infusion else "Treated"

    @property
    def treatment_event(self) -> str:
        """What happens on day 1 as a noun in a sentence: ``"infusion"``; else ``"treatment with xanomeline"`` where
        the treatment is stated, ``"treatment"`` where it is not."""
        if self.infusion:
            return "infusion"
        return "treatment" if self.treatment == StudyWords.treatment else f"treatment with {self.treatment}"

    def time_axis(self, unit: str) -> str:
        """The label of a time axis in ``unit`` (``"weeks"``): ``"Weeks since first dose"``."""
        return f"{unit.capitalize()} since {self.day1}"

    @property
    def day1_note(self) -> str:
        """``"(day 1 = first dose)"``; ``""`` when nobody said what day 1 is."""
        return "" if self.day1 == NEUTRAL_DAY1 else f"(day 1 = {self.day1})"

    @property
    def dose_axis(self) -> str:
        """The label of a dose axis: ``"Dose (mg)"``, ``"Dose"`` without a unit."""
        return f"Dose ({self.dose_unit})" if self.dose_unit else "Dose"

    @property
    def per_dose(self) -> str:
        """The unit of a dose-response slope (change per 100 units of TRT01AN): ``"per 100 mg"``."""
        return f"per 100 {self.dose_unit or 'dose units'}"

    def doses(self, values) -> str:
        """Doses in words: ``"0, 100, 200 million cells"``, ``"0, 10 mg"``, ``"0, 10"`` without a unit."""
        text = ", ".join(f"{float(v):g}" for v in values)
        return f"{text} {self.dose_unit}" if self.dose_unit else text


#: The words of the collection's own three trials (the published record: single IV infusions of allogeneic
#: mesenchymal stem cells, doses in million cells).
OWN_WORDS = StudyWords(treatment="allogeneic MSCs", dose_unit="million cells", day1="infusion")
#: Words for a study nobody described: nothing about infusions, cells or a unit.
NEUTRAL_WORDS = StudyWords()
#: The collection's own studies (the STUDYIDs of the embedded default and of the published record).
OWN_STUDIES = ("CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B")


def default_words(study: str) -> StudyWords:
    """The words of ``study`` when ``studies.csv`` does not describe it: the collection's own for its three
    trials, neutral for any other.

    Examples
    --------
    >>> default_words("CRATUS-P2").day1, default_words("XAN-301").day1
    ('infusion', 'day 1')
    """
    return OWN_WORDS if study in OWN_STUDIES else NEUTRAL_WORDS


def common_words(words) -> StudyWords:
    """The words of several studies shown together: theirs when they all share them, else neutral.

    Examples
    --------
    >>> common_words([OWN_WORDS, OWN_WORDS]) == OWN_WORDS, common_words([OWN_WORDS, NEUTRAL_WORDS]) == NEUTRAL_WORDS
    (True, True)
    >>> common_words([]) == OWN_WORDS
    True
    """
    found = set(words)
    if not found:
        return OWN_WORDS
    return found.pop() if len(found) == 1 else NEUTRAL_WORDS


def _read(path: Path) -> pd.DataFrame:
    """studies.csv as stripped text (:func:`msc_frailty.readers.read_table`: the same checks on a faulty file as
    every table), blank lines dropped, the index holding each row's CSV line (header = line 1)."""
    df, src = read_table(path)
    return df.set_axis(src.numbers(df.index))


def _refuse(path, df, bad, column, message):
    if bad.any():
        raise DataError(path, message, column=column, rows=list(df.index[bad]))


def _invisible(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in refused_characters(text)]


def load_studies(folder, studies, strict: bool = True) -> dict:
    """The validated words of each study of a data set: ``studies.csv`` over the defaults.

    Parameters
    ----------
    folder : str or Path
        The data set folder (a relative path is taken from the repository root). Without a ``studies.csv``
        every study gets its default words (:func:`default_words`).
    studies : iterable of str
        The STUDYIDs of the data set (adsl).
    strict : bool
        Refuse a row whose STUDYID is not in ``studies`` (``load_trial`` does, with every study of adsl);
        ``False`` ignores it (the words of one study of a data set already checked).

    Returns
    -------
    dict
        ``{STUDYID: StudyWords}`` for every study of ``studies``.

    Raises
    ------
    DataError
        Naming the file, the column and the CSV lines: a column missing, an empty or duplicated STUDYID, a STUDYID
        that is not a study of the data set (``strict``), a control or invisible character, or a value longer than
        :data:`MAX_CHARS` allows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "studies.csv").write_text("STUDYID,treatment,dose_unit,day1\\nXAN-301,xanomeline,mg,first dose\\n")
    >>> words = load_studies(folder, ["XAN-301", "CRATUS-P2", "OTHER"])
    >>> words["XAN-301"].dose_axis, words["CRATUS-P2"].dose_axis, words["OTHER"].dose_axis
    ('Dose (mg)', 'Dose (million cells)', 'Dose')
    >>> load_studies(folder, ["CRATUS-P2"])
    Traceback (most recent call last):
    ...
    msc_frailty.errors.DataError: .../studies.csv, column STUDYID, rows 2: not a study of the data set: ['XAN-301'] (adsl has ['CRATUS-P2'])
    """
    studies = [str(s) for s in dict.fromkeys(studies)]
    words = {s: default_words(s) for s in studies}
    path = resolve(folder) / STUDIES_FILE
    if not path.is_file():
        return words
    df = _read(path)
    missing = [c for c in STUDIES_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(path, f"required column(s) missing: {', '.join(missing)} (the columns are "
                        f"{', '.join(STUDIES_COLUMNS)})", column=missing[0])
    for column in STUDIES_COLUMNS:
        hidden = df[column].map(_invisible)
        _refuse(path, df, hidden.map(bool), column,
                f"control or invisible character(s) {sorted({c for cs in hidden for c in cs})[:5]}")
    for column, limit in MAX_CHARS.items():
        _refuse(path, df, df[column].str.len() > limit, column, f"longer than {limit} characters")
    _refuse(path, df, df["STUDYID"] == "", "STUDYID", "empty STUDYID")
    _refuse(path, df, df.duplicated("STUDYID", keep=False), "STUDYID", "STUDYID listed more than once")
    unknown = ~df["STUDYID"].isin(studies)
    if strict and unknown.any():
        clash = {s: t for s in df.loc[unknown, "STUDYID"] for t in studies if s.lower() == t.lower()}
        hint = f"; STUDYID is case-sensitive ({', '.join(f'{s!r} is not {t!r}' for s, t in clash.items())})" \
            if clash else ""
        _refuse(path, df, unknown, "STUDYID", f"not a study of the data set: {sorted(df.loc[unknown, 'STUDYID'])[:5]} "
                f"(adsl has {sorted(studies)[:10]}){hint}")
    for row in df[~unknown].itertuples(index=False):
        given = {c: getattr(row, c) for c in ("treatment", "dose_unit", "day1") if getattr(row, c)}
        words[row.STUDYID] = replace(words[row.STUDYID], **given)
    return words
