"""The error every part of the package raises for a data set that does not meet the contract.

Its own small module so that the readers (:mod:`msc_frailty.readers`) and the validator
(:mod:`msc_frailty.data`) both raise it without importing each other; ``msc_frailty.data.DataError``
is the same class.
"""

from __future__ import annotations


def row_list(unit: str, rows) -> str:
    """``"rows 3, 7"``: the first ten row numbers, then ``"and N more"``.

    Examples
    --------
    >>> row_list("records", range(1, 13))
    'records 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more'
    """
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return f"{unit} {shown}{more}"


class DataError(ValueError):
    """A data set does not meet the contract. Carries the file, column and rows at fault.

    ``rows`` are CSV line numbers (``unit == "rows"``, the header being line 1) or record numbers of
    an XPORT or Dataset-JSON file (``unit == "records"``, the first record being 1).
    """

    def __init__(self, file, message, column=None, rows=None, unit="rows"):
        self.file = str(file)
        self.column = column
        self.rows = list(rows) if rows is not None else []
        self.unit = unit
        where = f"{self.file}"
        if column is not None:
            where += f", column {column}"
        if self.rows:
            where += f", {row_list(unit, self.rows)}"
        super().__init__(f"{where}: {message}")
