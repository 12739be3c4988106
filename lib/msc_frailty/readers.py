"""Read one table file of a data set into a table of stripped text: CSV, SAS XPORT or Dataset-JSON.

A table may come as CSV (UTF-8), SAS XPORT v5 or v8 (read with pyreadstat) or CDISC Dataset-JSON
1.1. :func:`read_table` turns each into the same thing: a DataFrame of text (object dtype, missing =
``""``, numbers written as a CSV file would hold them), so that one validator
(:mod:`msc_frailty.data`) serves every form, and a :class:`Source` that numbers the rows for
messages (CSV line numbers, the header being line 1; record numbers of an XPORT or Dataset-JSON file,
the first record being 1).

A faulty file is refused with a :class:`~msc_frailty.errors.DataError` naming it (and the column
and rows where they apply), never read as far as it goes:

- a CSV file that is not UTF-8 text is read as Windows-1252 (which holds every Latin-1 letter) with a
  notice naming the lines, or refused when it is not that either, or mixes UTF-8 with other bytes;
  a quote that is never closed, a record with more or fewer values than the header, the same column
  name twice, a header that looks separated by ``;``, tabs or ``|``;
- a SAS XPORT file whose length is not a multiple of its 80-byte records, that ends inside a record,
  that holds fewer (or more) records than its v8 header records, or that holds several members;
  pyreadstat alone reads such files as far as they go. A v5 file records no count: one cut exactly
  at the end of a record that is also the end of an 80-byte line cannot be told from a whole file;
- a Dataset-JSON file that is not complete JSON, whose ``records`` differs from its rows, whose
  column names repeat, or whose rows do not match its columns.

What is read but said (a :class:`DataNotice` warning, also in :attr:`Source.notices`): an XPORT
member or a Dataset-JSON ``name`` other than the file's name (``ADAE`` inside ``adsl.xpt``: a notice,
not an error, because a file name longer than SAS allows, or a table renamed on purpose, is no fault;
a table that is not the one its name says fails the validator's column checks), text read as
Windows-1252, a CSV record whose quoted value runs over several lines (what a quote closed too late
looks like when the values still count right), a CSV file whose last line has no line end (a file cut
there cannot be told from a whole one).

Only spaces, tabs and line ends are stripped from the ends of names and values; every other
character, control characters included (NUL too: pyreadstat would cut an XPORT value at a NUL, so such
values are read from the file's bytes), is kept for the validator to judge.

The read cache
--------------
A large file is parsed once: its text table is kept in a cache folder, keyed by the file's SHA-256
digest and :data:`READER_VERSION`, and every later read of the same bytes (each notebook of a run,
and later runs) loads it instead. The folder is ``build/table-cache`` in the repository, or the folder
the environment variable ``MSC_FRAILTY_TABLE_CACHE`` names (``off`` turns the cache off); never one
inside the data folder. Entries are NumPy ``.npz`` archives read without pickle (the codes of each
column's distinct values and those values as JSON), written atomically, readable by their owner only
(they are a copy of the data), checked on every load (digest, reader version, shapes, ranges and the
archive's CRC) and rebuilt when they fail; the least recently used are removed beyond
:data:`CACHE_MAX_ENTRIES` entries or :data:`CACHE_MAX_BYTES`. Deleting the folder is always safe
(``make clean`` does). Files under :data:`CACHE_MIN_BYTES` are parsed directly: that costs less than
a cache look-up.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import gc
import hashlib
import io
import json
import math
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .paths import BUILD, resolve
from .publish import file_digest

#: The version of the text the readers give for a file's bytes. Bump it whenever that text changes,
#: so that the cached copies made by an older version are not used.
READER_VERSION = 1

#: Characters stripped from both ends of every column name and value (cell padding and line ends);
#: every other character, control characters included, is kept for the validator.
PADDING = " \t\r\n"

#: Environment variable naming the cache folder (``off``, ``0`` or empty: no cache).
CACHE_ENV = "MSC_FRAILTY_TABLE_CACHE"
#: The cache folder when the environment does not name one.
DEFAULT_CACHE = BUILD / "table-cache"
#: Files smaller than this are parsed directly (faster than a cache look-up).
CACHE_MIN_BYTES = 1 << 20
#: The cache keeps at most this many entries and bytes, dropping the least recently used.
CACHE_MAX_ENTRIES = 64
CACHE_MAX_BYTES = 4 << 30

#: An XPORT file is made of 80-byte lines.
XPORT_LINE = 80
_HEADER = b"HEADER RECORD*******"


class DataNotice(UserWarning):
    """A table file is read, but something about it should be said (the message names the file)."""


@dataclass(frozen=True, eq=False)
class Source:
    """A table's file, how its rows are numbered in messages, and the notices its reading gave.

    ``records`` is True when rows are numbered by record (XPORT, Dataset-JSON: the first record is
    1) and False for CSV line numbers (the header is line 1). ``notices`` are the messages of the
    :class:`DataNotice` warnings, each naming the file. ``lines`` maps a CSV row (the DataFrame index
    label) to the line its record starts on when a quoted value spans lines (None otherwise: the line
    is then the label + 2).
    """

    path: Path
    records: bool
    notices: tuple[str, ...] = ()
    lines: np.ndarray | None = field(default=None, repr=False)

    def numbers(self, index) -> list[int]:
        """File row numbers of DataFrame index labels (the readers keep label = position in the file)."""
        if self.lines is not None:
            return [int(self.lines[int(i)]) for i in index]
        return [int(i) + (1 if self.records else 2) for i in index]

    def error(self, message, column=None, index=None) -> DataError:
        """A :class:`DataError` naming this file, ``column`` and the rows of the index labels ``index``."""
        rows = self.numbers(index) if index is not None else None
        return DataError(self.path, message, column=column, rows=rows,
                         unit="records" if self.records else "rows")


# ------------------------------------------------------------------------------------ the text table
@dataclass
class _Columns:
    """A text table kept as, for each column, the codes of its distinct values and those values."""

    names: list[str]
    codes: list[np.ndarray]
    values: list[np.ndarray]        # object arrays of str
    index: np.ndarray               # int64: the row's position in the file (0 = first record)
    length: int                     # records in the file, blank ones included

    def frame(self) -> pd.DataFrame:
        n = len(self.index)
        block = np.empty((len(self.names), n), dtype=object)
        for j, (codes, values) in enumerate(zip(self.codes, self.values)):
            block[j] = values[codes]
        if n == self.length:
            index = pd.RangeIndex(n)
        else:
            index = pd.Index(self.index, dtype="int64")
        return pd.DataFrame(block.T, index=index, columns=list(self.names), dtype=object, copy=False)


def _smallest_codes(codes: np.ndarray, count: int) -> np.ndarray:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if count <= np.iinfo(dtype).max + 1:
            return codes.astype(dtype)
    return codes.astype(np.int64)


def _columns(names: list[str], encoded: list, length: int, src: Source, header_rows=None) -> _Columns:
    """The text table of encoded columns (:func:`_encode`): names stripped and checked, blank records
    dropped, values stripped.

    A record whose every value is empty carries nothing and is dropped (the index keeps the file's
    numbering); it is judged before stripping, as a record of spaces is not blank but empty values.
    """
    names = [str(n).strip(PADDING) for n in names]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    twice = [n for n, k in seen.items() if k > 1]
    if twice:
        raise DataError(src.path, f"the column name {twice[0]!r} appears {seen[twice[0]]} times in the header: "
                        "each column must have its own name (refused rather than read as one of them)",
                        column=twice[0], rows=header_rows, unit="rows" if header_rows else "records")
    blank = np.ones(length, dtype=bool)
    for codes, values in encoded:
        blank &= (values == "")[codes] if len(values) else False
    keep = ~blank
    index = np.flatnonzero(keep).astype(np.int64)
    codes, stripped = [], []
    for c, u in encoded:
        s = np.empty(len(u), dtype=object)
        s[:] = [v.strip(PADDING) for v in u]
        stripped.append(s)
        codes.append(_smallest_codes(c[keep], len(u)))
    return _Columns(names, codes, stripped, index, length)


def _text(value) -> str:
    """One XPORT or Dataset-JSON value as the text a CSV file would hold (missing -> "")."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        # an id stored as a number (STUDYID 1.0) must read as "1", as in a CSV file; repr round-trips
        if value.is_integer() and abs(value) < 2 ** 53:
            return str(int(value))
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        raise TypeError(f"a {type(value).__name__} where a single value belongs")
    return str(value)


def _objects(values) -> np.ndarray:
    """A 1-d object array of ``values`` (never a 2-d one, whatever the values are)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _factorized(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(arr, sort=False)
    return codes, np.asarray(uniques, dtype=object)


def _encode(values) -> tuple[np.ndarray, np.ndarray]:
    """A column's values as (codes, texts): ``texts[codes]`` is :func:`_text` of each value.

    Values that are all text are factorized as they are; other values are converted once per distinct
    value, unless a column mixes values that are equal but written differently (``True`` and ``1``, or an
    integer and a float beyond 2**53), which are converted one by one.
    """
    arr = values if isinstance(values, np.ndarray) and values.dtype == object else _objects(values)
    kinds = set(map(type, arr))
    if kinds <= {str}:
        return _factorized(arr)
    if kinds & {list, dict}:
        raise TypeError("a list or an object where a single value belongs")
    numbers = {k for k in kinds if issubclass(k, (int, float, np.number)) and not issubclass(k, bool)}
    if not (bool in kinds and numbers):
        codes, uniques = _factorized(arr)       # missing values (None, NaN, NaT) get code -1
        big = len(numbers) > 1 and any(not isinstance(u, (str, bool)) and isinstance(u, (int, float, np.number))
                                        and abs(u) >= 2 ** 53 for u in uniques)
        if not big:
            texts = _objects([_text(u) for u in uniques] + [""])
            return np.where(codes < 0, len(uniques), codes), texts
    return _factorized(_objects([_text(v) for v in arr]))


def _encode_floats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_encode` of a float column (NaN = missing)."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1), _objects([_text(float(v)) for v in uniq])


# ------------------------------------------------------------------------------------------ encodings
_NOT_ASCII = re.compile(r"[^\x00-\x7f\ufffd]")


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _lines_with(raw: bytes, mask: np.ndarray) -> list[int]:
    """The line numbers holding a byte where ``mask`` is True."""
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 0x0A)
    return sorted({int(i) + 1 for i in np.searchsorted(ends, np.flatnonzero(mask))})


def _decode_text(raw: bytes, path: Path, what: str) -> tuple[str, list[str]]:
    """A text file's characters: UTF-8 (a byte-order mark is dropped), else Windows-1252 with a notice."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(path, f"is UTF-16 text: save the {what} as UTF-8")
    if len(raw) >= 4 and raw.count(b"\x00") * 4 > len(raw):
        # UTF-16 without a byte-order mark decodes as "UTF-8" with a NUL beside every letter: say what it is
        raise DataError(path, f"is UTF-16 text without a byte-order mark (a NUL byte beside every letter): save the "
                        f"{what} as UTF-8")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        line, byte = _line_of(raw, err.start), raw[err.start]
        if _NOT_ASCII.search(raw.decode("utf-8", errors="replace")):
            raise DataError(path, f"is not UTF-8 text: line {line} holds the byte 0x{byte:02X}, which is not "
                            "UTF-8, while other lines hold UTF-8 text (two encodings in one file, or a damaged "
                            f"file): save the {what} as UTF-8", rows=[line]) from None
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as err2:
            line2 = _line_of(raw, err2.start)
            raise DataError(path, f"is neither UTF-8 nor Windows-1252 (Latin-1) text: line {line2} holds the "
                            f"byte 0x{raw[err2.start]:02X}: save the {what} as UTF-8", rows=[line2]) from None
    lines = _lines_with(raw, np.frombuffer(raw, dtype=np.uint8) >= 0x80)
    shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
    sample = sorted(set(_NOT_ASCII.findall(text)))[:10]
    return text, [f"is not UTF-8 text: read as Windows-1252 (Latin-1), which gives {''.join(sample)!r} on "
                  f"line(s) {shown}; if those characters are wrong, save the {what} as UTF-8"]


# ------------------------------------------------------------------------------------------------ CSV
def _read_csv(path: Path, box: list) -> tuple[_Columns, Source]:
    text, notices = _decode_text(box.pop(), path, "file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, starts = [], []
    line = 0
    try:
        for record in reader:
            starts.append(line + 1)
            records.append(record)
            line = reader.line_num
    except csv.Error as err:
        start = line + 1
        if "unexpected end of data" in str(err):
            raise DataError(path, f"a quoted value that begins on line {start} is never closed (an unbalanced "
                            "quote, or the file is cut short)", rows=[start]) from None
        raise DataError(path, f"not valid CSV on line {reader.line_num}: {err}", rows=[reader.line_num]) from None
    if not records or not any(f.strip(PADDING) for f in records[0]) and not any(records[1:]):
        raise DataError(path, "file is empty (not even a header)")
    header = records[0]
    if not header or not any(f.strip(PADDING) for f in header):
        raise DataError(path, "line 1 is empty: the first line must be the header", rows=[1])
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in header[0]:
                raise DataError(path, f"the header is one column, {_short(header[0])!r}: the file looks separated "
                                f"by {name} ({sep!r}), not commas. Save it as comma-separated CSV", rows=[1])
    names = [h if h.strip(PADDING) else f"Unnamed: {i}" for i, h in enumerate(header)]
    width = len(names)
    # each data record's first and last line (a quoted value may hold line ends)
    first_line = np.asarray(starts[1:], dtype=np.int64)
    last_line = np.append(first_line[1:] - 1, line) if len(first_line) else first_line
    body = records[1:]
    wrong = []
    for i, record in enumerate(body):
        if len(record) != width:
            if not record or (width > 1 and len(record) == 1 and not record[0].strip(PADDING)):
                body[i] = [""] * width          # a blank line: kept as a row so numbering stays the file's
            else:
                wrong.append(i)
    if wrong:
        i = wrong[0]
        why = f"line {first_line[i]} has {len(body[i])} value(s)"
        raw_header = ",".join(header)
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if raw_header.count(sep) >= max(2, len(header)):     # a comma inside a name split the header too
                why += f"; the header looks separated by {name} ({sep!r}), not commas: save it as comma-separated CSV"
                break
        if last_line[i] > first_line[i]:
            why += f" and runs over lines {first_line[i]}-{last_line[i]} (a quote not closed where it should be?)"
        elif i == len(body) - 1 and not text.endswith(("\n", "\r")):
            why += " and is the last line, with no line end: the file is cut short"
        raise DataError(path, f"record(s) without one value for each of the header's {width} columns ({why})",
                        rows=[int(first_line[i]) for i in wrong])
    over = np.flatnonzero(last_line > first_line)
    if len(over):
        shown = ", ".join(f"{first_line[i]}-{last_line[i]}" for i in over[:5]) + (
            f" and {len(over) - 5} more" if len(over) > 5 else "")
        notices.append(f"{len(over)} record(s) run over several lines (lines {shown}): a quoted value holds a "
                       "line end. If a quote was not closed where it should be, whole lines were read into one value")
    if text and not text.endswith(("\n", "\r")):
        notices.append(f"the last line ({line}) has no line end: if the file was cut short there, its last "
                       "value is incomplete")
    spans = bool(len(first_line)) and first_line[-1] != len(first_line) + 1
    src = Source(path, records=False, notices=tuple(notices), lines=first_line if spans else None)
    encoded = [_factorized(_objects(col)) for col in (zip(*body) if body else [() for _ in names])]
    return _columns(names, encoded, len(body), src, header_rows=[1]), src


def _short(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[:size - 3] + "..."


# ---------------------------------------------------------------------------------------- SAS XPORT
@dataclass
class _Xport:
    """What an XPORT file's header records say, and where its data lie."""

    version: int
    member: str
    kinds: list[int]        # 1 numeric, 2 character
    widths: list[int]
    offsets: list[int]
    data_start: int
    data_end: int
    declared: int | None    # the observation count of a v8 file's OBSV8 record

    @property
    def row_length(self) -> int:
        return sum(self.widths)


def _xport_layout(path: Path, src: Source) -> _Xport:
    """Parse the header records of an XPORT file and check its length against them."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(min(size, 1 << 23))
    if not head.startswith(_HEADER):
        kind = " (a SAS CPORT file? only XPORT is read)" if b"COMPRESSED" in head[:80] else ""
        raise src.error(f"not a SAS XPORT (v5 or v8) file: it does not begin with an XPORT header record{kind}")
    name = head[20:28].rstrip()
    if name not in (b"LIBRARY", b"LIBV8"):
        raise src.error(f"not a SAS XPORT v5 or v8 file (its first record names {name.decode('latin-1')!r})")
    version = 5 if name == b"LIBRARY" else 8
    if size % XPORT_LINE:
        raise src.error(f"is {size:,} bytes, not a whole number of 80-byte lines: a SAS XPORT file is made of "
                        "80-byte lines, so this one is cut short (an interrupted transfer?) or was changed in "
                        "transfer (line ends converted?)")

    def record(k: int) -> bytes:
        rec = head[k * XPORT_LINE:(k + 1) * XPORT_LINE]
        if len(rec) < XPORT_LINE:
            raise src.error("not a readable SAS XPORT file: it ends inside its header")
        return rec

    def expect(k: int, v5: bytes, v8: bytes) -> bytes:
        rec = record(k)
        if not rec.startswith(_HEADER) or rec[20:28].rstrip() != (v5 if version == 5 else v8):
            raise src.error(f"not a readable SAS XPORT file: header line {k + 1} is not the "
                            f"{(v5 if version == 5 else v8).decode()} header")
        return rec

    namestr_size = int(expect(3, b"MEMBER", b"MEMBV8")[74:78] or 140)
    expect(4, b"DSCRPTR", b"DSCPTV8")
    member = record(5)[8:16 if version == 5 else 40].decode("latin-1").strip()
    try:
        count = int(expect(7, b"NAMESTR", b"NAMSTV8")[53:58])
    except ValueError:
        raise src.error("not a readable SAS XPORT file: its NAMESTR header gives no variable count") from None
    start = 8 * XPORT_LINE
    end = start + count * namestr_size
    if end > len(head):
        raise src.error("not a readable SAS XPORT file: it ends inside its variable descriptions")
    kinds, widths, offsets = [], [], []
    for i in range(count):
        rec = head[start + i * namestr_size:start + (i + 1) * namestr_size]
        kinds.append(int.from_bytes(rec[0:2], "big"))
        widths.append(int.from_bytes(rec[4:6], "big"))
        offsets.append(int.from_bytes(rec[84:88], "big"))
    # the OBS header follows the descriptions (and, in v8, the long-label records): the next header line
    pos = -(-end // XPORT_LINE) * XPORT_LINE
    obs = b"OBS     HEADER" if version == 5 else b"OBSV8   HEADER"
    while True:
        pos = head.find(_HEADER + obs, pos)
        if pos < 0:
            raise src.error("not a readable SAS XPORT file: no OBS header record after its variables")
        if pos % XPORT_LINE == 0:
            break
        pos += 1
    declared = None
    if version == 8:
        field_ = head[pos + 48:pos + 63].strip()
        if field_.isdigit() and head[pos + 48:pos + 78] != b"0" * 30:
            declared = int(field_)
    data_start = pos + XPORT_LINE
    data_end = _next_member(path, data_start, size, version)
    return _Xport(version, member, kinds, widths, offsets, data_start, data_end, declared)


def _next_member(path: Path, start: int, size: int, version: int) -> int:
    """Where a second member's header begins (an XPORT file may hold several), else the file's end."""
    mark = _HEADER + (b"MEMBER  HEADER" if version == 5 else b"MEMBV8  HEADER")
    chunk, overlap = 1 << 24, len(mark)
    with open(path, "rb") as f:
        pos = start
        while pos < size:
            f.seek(pos)
            block = f.read(chunk + overlap)
            at = block.find(mark)
            while at >= 0:
                if (pos + at) % XPORT_LINE == 0:
                    return pos + at
                at = block.find(mark, at + 1)
            pos += chunk
    return size


def _xport_members(path: Path, version: int) -> list[str]:
    """The member names of a file holding several."""
    data = path.read_bytes()
    mark = _HEADER + (b"DSCRPTR HEADER" if version == 5 else b"DSCPTV8 HEADER")
    names, at = [], data.find(mark)
    while at >= 0:
        if at % XPORT_LINE == 0:
            rec = data[at + XPORT_LINE:at + 2 * XPORT_LINE]
            names.append(rec[8:16 if version == 5 else 40].decode("latin-1").strip())
        at = data.find(mark, at + 1)
    return names


def _check_xport_length(layout: _Xport, src: Source, read: int, data: bytes):
    """Refuse a file whose data are cut short (or run on), given the records pyreadstat read."""
    width = layout.row_length
    room = len(data)
    if layout.declared is not None:
        declared = layout.declared
        if declared * width > room:
            raise src.error(f"its header records {declared:,} records, but the file holds only {room // width:,} "
                            "whole ones: it is cut short (an interrupted transfer?)")
        if room - declared * width >= XPORT_LINE or data[declared * width:].strip(b" "):
            raise src.error(f"holds data after the {declared:,} records its header records")
    tail = data[read * width:]
    if tail.strip(b" "):
        whole = room // width
        raise src.error(f"ends inside record {whole + 1:,}: the file is cut short (an interrupted transfer?), "
                        f"and only the first {read:,} records could be read"
                        if read == whole else
                        f"holds {whole:,} records by its length, but only {read:,} could be read")


def _embedded_nul(block: np.ndarray) -> np.ndarray:
    """Rows of a character field holding a NUL before other text (trailing NULs are padding)."""
    has_nul = (block == 0).any(axis=1)
    if not has_nul.any():
        return np.zeros(len(block), dtype=bool)
    width = block.shape[1]
    content = (block != 0) & (block != 0x20)
    last = width - 1 - np.argmax(content[:, ::-1], axis=1)
    last[~content.any(axis=1)] = -1
    first_nul = np.argmax(block == 0, axis=1)
    return has_nul & (first_nul < last)


def _read_xpt(path: Path) -> tuple[_Columns, Source]:
    # imported here: only a data set with an XPORT file pays for loading the reader
    import pyreadstat

    src = Source(path, records=True)
    layout = _xport_layout(path, src)
    if layout.data_end < path.stat().st_size:
        names = _xport_members(path, layout.version)
        raise src.error(f"holds {len(names)} SAS XPORT members ({', '.join(names)}): only one table per file is "
                        "read; write each member to a file of its own")
    bad = [i for i, (k, w) in enumerate(zip(layout.kinds, layout.widths)) if k not in (1, 2) or w < 1]
    if bad or (layout.kinds and layout.row_length == 0):
        raise src.error("not a readable SAS XPORT file: a variable description is damaged")
    notices = []
    encoding = None
    failures = (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError)
    try:
        raw, _meta = pyreadstat.read_xport(str(path))
    except UnicodeDecodeError:
        encoding = "WINDOWS-1252"
        try:
            raw, _meta = pyreadstat.read_xport(str(path), encoding=encoding)
        except (*failures, UnicodeDecodeError) as err:
            raise src.error(f"text that is neither UTF-8 nor Windows-1252 (Latin-1): {err}") from None
    except failures as err:
        raise src.error(f"not a readable SAS XPORT (v5 or v8) file: {err}") from None
    with open(path, "rb") as f:
        f.seek(layout.data_start)
        data = f.read(layout.data_end - layout.data_start)
    n = len(raw)
    if layout.kinds:
        _check_xport_length(layout, src, n, data)
    names = [str(c) for c in raw.columns]
    if len(names) != len(layout.kinds):
        raise src.error(f"not a readable SAS XPORT file: {len(layout.kinds)} variables described, {len(names)} read")
    columns = []
    rows = np.frombuffer(data, dtype=np.uint8, count=n * layout.row_length).reshape(n, layout.row_length)
    non_ascii = {}
    for j, name in enumerate(names):
        series = raw[name]
        if series.dtype.kind == "f":
            columns.append(_encode_floats(series.to_numpy()))
            continue
        codes, texts = _encode(series.to_numpy(dtype=object))
        if layout.kinds[j] == 2:
            block = rows[:, layout.offsets[j]:layout.offsets[j] + layout.widths[j]]
            # pyreadstat ends a value at a NUL: read those values from the bytes, so that the validator sees them
            cut = np.flatnonzero(_embedded_nul(block))
            if len(cut):
                whole = [block[i].tobytes().rstrip(b" \x00").decode("utf-8" if encoding is None else "cp1252",
                                                                     errors="replace") for i in cut]
                codes = codes.copy()
                codes[cut] = len(texts) + np.arange(len(cut))
                texts = _objects([*texts, *whole])
            if encoding is not None:
                where = np.flatnonzero((block >= 0x80).any(axis=1))
                if len(where):
                    non_ascii[name] = (block, where)
        columns.append((codes, texts))
    if encoding is not None:
        for name, (block, where) in non_ascii.items():
            if any(_utf8(block[i].tobytes()) for i in where):
                raise src.error("text is not UTF-8 in some values and UTF-8 in others (two encodings in one file, "
                                "or a damaged file)", column=name, index=where)
        where = "; ".join(f"column {c}, records {', '.join(str(int(i) + 1) for i in w[:5])}"
                          f"{' and more' if len(w) > 5 else ''}" for c, (_, w) in non_ascii.items())
        notices.append(f"text is not UTF-8: read as Windows-1252 (Latin-1, SAS's WLATIN1) ({where}); if those "
                       "characters are wrong, tell how the file was written")
    expected = path.stem.upper()
    if layout.member and layout.member.upper() != expected and not (
            layout.version == 5 and len(expected) > 8 and expected.startswith(layout.member.upper())):
        notices.append(f"the SAS XPORT member inside is named {layout.member}, not {expected}: read as table "
                       f"{path.stem.lower()}; check that the file holds the table its name says")
    src = Source(path, records=True, notices=tuple(notices))
    return _columns(names, columns, n, src), src


def _utf8(value: bytes) -> bool:
    """Whether a value's bytes (not ASCII) decode as UTF-8: a value written in UTF-8."""
    try:
        value.rstrip(b" \x00").decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# ---------------------------------------------------------------------------------------- Dataset-JSON
def _json_document(box: list, src: Source) -> dict:
    """The parsed Dataset-JSON file (its bytes taken from ``box``, so that they are freed as soon as they are
    decoded), with ``columns`` and ``rows`` checked to be lists."""
    raw = box.pop()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise src.error(f"not valid JSON: not UTF-8 text (line {_line_of(raw, err.start)} holds the byte "
                        f"0x{raw[err.start]:02X}); Dataset-JSON files are UTF-8") from None
    del raw
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        # the text ends inside a string, or before a value or bracket it still needs: cut short
        ends = not text[err.pos:].strip() or err.msg.startswith("Unterminated string")
        cut = " The file ends before its JSON does: it is cut short (an interrupted transfer?)." if ends else ""
        raise src.error(f"not valid JSON: {err}.{cut}") from None
    except RecursionError:
        raise src.error("not valid JSON: nested too deeply") from None
    del text
    if not isinstance(doc, dict):
        raise src.error("not a Dataset-JSON 1.1 document (top level is not an object)")
    if "columns" not in doc and ("clinicalData" in doc or "referenceData" in doc):
        raise src.error("Dataset-JSON 1.0 layout; only Dataset-JSON 1.1 (top-level columns and rows) is read")
    for key in ("columns", "rows"):
        if not isinstance(doc.get(key), list):
            raise src.error(f"not a Dataset-JSON 1.1 document: no {key!r} list at the top level")
    return doc


def _json_names(doc: dict, src: Source) -> list[str]:
    names = []
    for i, col in enumerate(doc["columns"], start=1):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str) or not col["name"].strip(PADDING):
            raise src.error(f"column definition {i} has no name")
        names.append(col["name"].strip(PADDING))
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise src.error("column defined more than once", column=twice[0])
    return names


def _read_json(path: Path, box: list) -> tuple[_Columns, Source]:
    src = Source(path, records=True)
    doc = _json_document(box, src)
    names = _json_names(doc, src)
    rows = doc.pop("rows")
    if set(map(type, rows)) - {list} or set(map(len, rows)) - {len(names)}:
        bad = [i for i, row in enumerate(rows) if row.__class__ is not list or len(row) != len(names)]
        raise src.error(f"record(s) do not have one value for each of the {len(names)} columns", index=bad)
    declared = doc.get("records")
    if isinstance(declared, int) and not isinstance(declared, bool) and declared != len(rows):
        raise src.error(f"'records' says {declared} but the file holds {len(rows)} (truncated?)")
    columns = []
    for name, values in zip(names, zip(*rows) if rows else [() for _ in names]):
        try:
            columns.append(_encode(values))
        except TypeError:
            at = [i for i, v in enumerate(values) if isinstance(v, (list, dict))]
            raise src.error("a list or an object where a single value belongs", column=name, index=at) from None
    n = len(rows)
    del rows
    notices = []
    member = doc.get("name")
    if isinstance(member, str) and member.strip() and member.strip().upper() != path.stem.upper():
        notices.append(f"the Dataset-JSON 'name' inside is {member.strip()}, not {path.stem.upper()}: read as table "
                       f"{path.stem.lower()}; check that the file holds the table its name says")
    src = Source(path, records=True, notices=tuple(notices))
    return _columns(names, columns, n, src), src


# ------------------------------------------------------------------------------------------ the cache
def cache_folder() -> Path | None:
    """The read cache's folder: ``$MSC_FRAILTY_TABLE_CACHE``, else ``build/table-cache``; None when turned off."""
    value = os.environ.get(CACHE_ENV)
    if value is None:
        return DEFAULT_CACHE
    if value.strip().lower() in ("", "0", "off", "no", "false"):
        return None
    return resolve(value)


def _reader_key(suffix: str) -> dict:
    key = {"reader": READER_VERSION, "suffix": suffix}
    if suffix == ".xpt":
        import pyreadstat
        key["pyreadstat"] = pyreadstat.__version__
    return key


@contextlib.contextmanager
def _locked(lock: Path):
    """Hold an exclusive lock on ``lock`` (two notebooks reading one file at once parse it once)."""
    try:
        import fcntl
    except ImportError:                  # no flock here: both may parse, the atomic write keeps the entry whole
        yield
        return
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _json_bytes(value) -> np.ndarray:
    return np.frombuffer(json.dumps(value, ensure_ascii=True).encode("ascii"), dtype=np.uint8)


def _store(entry: Path, table: _Columns, src: Source, key: dict):
    """Write a cache entry atomically (a temporary file renamed into place); a failure leaves no entry."""
    meta = {**key, "names": table.names, "length": table.length, "records": src.records,
            "notices": list(src.notices), "rows": len(table.index),
            "lines": src.lines is not None}
    arrays = {"meta": _json_bytes(meta), "index": table.index}
    for j, (codes, values) in enumerate(zip(table.codes, table.values)):
        arrays[f"c{j}"] = codes
        arrays[f"v{j}"] = _json_bytes(values.tolist())
    if src.lines is not None:
        arrays["lines"] = src.lines
    tmp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=entry.parent, prefix=".tmp-", suffix=".npz", delete=False) as f:
            tmp = Path(f.name)
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, entry)
        tmp = None
    except OSError:
        pass                             # an unwritable or full disk: read without a cache
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _load(entry: Path, key: dict, path: Path) -> tuple[_Columns, Source] | None:
    """A cache entry, checked; None when there is none or it fails a check."""
    if not entry.is_file():
        return None
    try:
        with np.load(entry, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes())
            if {k: meta.get(k) for k in key} != key:
                raise ValueError("made for another reader")
            names, length, rows = list(meta["names"]), int(meta["length"]), int(meta["rows"])
            index = z["index"].astype(np.int64)
            if index.shape != (rows,) or (rows and (index.min() < 0 or index.max() >= length)):
                raise ValueError("bad index")
            codes, values = [], []
            for j in range(len(names)):
                c = z[f"c{j}"]
                listed = json.loads(z[f"v{j}"].tobytes())
                if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
                    raise ValueError("bad values")
                v = np.empty(len(listed), dtype=object)
                v[:] = listed
                if c.shape != (rows,) or c.dtype.kind not in "ui" or (rows and (c.min() < 0 or c.max() >= len(v))):
                    raise ValueError("bad codes")
                codes.append(c)
                values.append(v)
            lines = z["lines"].astype(np.int64) if meta["lines"] else None
            if lines is not None and lines.shape != (length,):
                raise ValueError("bad lines")
        src = Source(path, records=bool(meta["records"]), notices=tuple(meta["notices"]), lines=lines)
        with contextlib.suppress(OSError):
            os.utime(entry)              # recently used: kept when the cache is pruned
        return _Columns(names, codes, values, index, length), src
    except Exception:                    # a damaged or foreign entry is never trusted: parsed again, overwritten
        return None


def _prune(folder: Path, keep: Path):
    """Remove the least recently used entries beyond the limits, and temporary files left by killed writers."""
    try:
        now = time.time()
        entries = []
        for p in folder.iterdir():
            st = p.stat()
            if p.name.startswith(".tmp-") and now - st.st_mtime > 3600:
                p.unlink()
            elif p.suffix == ".npz" and not p.name.startswith("."):
                entries.append((st.st_mtime, st.st_size, p))
        entries.sort(reverse=True)
        total = 0
        for i, (_, size, p) in enumerate(entries):
            total += size
            if p != keep and (i >= CACHE_MAX_ENTRIES or total > CACHE_MAX_BYTES):
                p.unlink()
                with contextlib.suppress(OSError):
                    p.with_suffix(".lock").unlink()
    except OSError:
        pass


# ------------------------------------------------------------------------------------------ read_table
@contextlib.contextmanager
def _no_cycle_collection():
    """Parsing makes millions of small objects and no cycles: the cycle collector would scan them again and
    again (a 30 MB CSV file: 4 s instead of 1 s)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _parse(path: Path, suffix: str, box: list) -> tuple[_Columns, Source]:
    """Parse a file; ``box`` holds its bytes when they were read already (taken out, so that they are freed)."""
    with _no_cycle_collection():
        if suffix == ".xpt":
            return _read_xpt(path)
        if not box:
            box.append(path.read_bytes())
        return (_read_csv if suffix == ".csv" else _read_json)(path, box)


def read_table(path, *, cache=None) -> tuple[pd.DataFrame, Source]:
    """Read one table file (``.csv``, ``.xpt`` or ``.json``) into a table of stripped text.

    Parameters
    ----------
    path : str or Path
        A CSV file (UTF-8; Windows-1252 is read with a notice), a SAS XPORT v5 or v8 file, or a CDISC
        Dataset-JSON 1.1 file, told apart by the suffix (any case).
    cache : None, False or Path
        Where the read cache is kept: None for :func:`cache_folder`, False for no cache, or a folder.
        A folder inside the file's own folder is not used.

    Returns
    -------
    (pandas.DataFrame, Source)
        The table: one column per column of the file, names and values as text (object dtype;
        missing = ``""``; numbers as a CSV file would hold them, ``1.0`` as ``"1"``), spaces, tabs and
        line ends stripped from both ends, records with every value empty left out. Its index is the
        record's position in the file (0 = first record), which :meth:`Source.numbers` turns into the
        line or record numbers of messages.

    Raises
    ------
    DataError
        The file is missing, of another form, or faulty (see the module's description), naming the
        file and, where they apply, the column and rows.

    Warns
    -----
    DataNotice
        For each of :attr:`Source.notices`.

    Examples
    --------
    >>> from msc_frailty.readers import read_table
    >>> adsl, source = read_table("data/synthetic/adsl.csv")
    >>> adsl.loc[0, "STUDYID"], source.numbers([0])
    ('CRATUS-P1', [2])
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file is missing")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xpt", ".json"):
        raise DataError(path, "not a table file: a table is read from .csv, .xpt (SAS XPORT) or .json "
                        "(Dataset-JSON)")
    folder = cache_folder() if cache is None else (Path(cache) if cache else None)
    if folder is not None:
        folder = Path(os.path.abspath(folder))
        if folder.is_relative_to(Path(os.path.abspath(path)).parent):
            folder = None                # never write into the user's data folder
    if folder is None or path.stat().st_size < CACHE_MIN_BYTES:
        table, src = _parse(path, suffix, [])
    else:
        box = [] if suffix == ".xpt" else [path.read_bytes()]
        digest = hashlib.sha256(box[0]).hexdigest() if box else file_digest(path)
        key = {**_reader_key(suffix), "sha256": digest}
        entry = folder / f"{digest}{suffix.replace('.', '-')}-v{READER_VERSION}.npz"
        got = _load(entry, key, path)
        if got is None:
            with contextlib.suppress(OSError):
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with _locked(entry.with_suffix(".lock")):
                got = _load(entry, key, path)          # another process may have written it meanwhile
                if got is None:
                    before = path.stat()
                    got = _parse(path, suffix, box)
                    after = path.stat()
                    if (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns):
                        _store(entry, *got, key)
                        _prune(folder, entry)
        table, src = got
    # the readers give the notices bare (so a cache entry holds them whatever the file's name): name the file
    src = Source(path, records=src.records, notices=tuple(f"{path}: {n}" for n in src.notices), lines=src.lines)
    for notice in src.notices:
        warnings.warn(notice, DataNotice, stacklevel=2)
    return table.frame(), src
