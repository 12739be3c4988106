"""Values from a data set that become file names, and text that lands in CSV cells.

A data set is untrusted input. Three of its values end up in the names of files and folders:
``STUDYID`` (``figures/<study>/``, ``results/parts/<finding>__<study>.csv``, ``table1_<study>.csv``,
the runner's ``notebooks/<study>/`` and staging folders) and ``PARAMCD`` (a parameter's figure,
:func:`msc_frailty.plots.figure_name`). Arm labels (``TRT01A``) never name a file.

Rules
-----
- A STUDYID (and any name a notebook passes as a file or folder name) must be a *safe component*
  (:func:`component_problem`): not empty, not ``.`` or ``..``, no ``/`` or ``\\``, no control or
  invisible formatting character (Unicode categories Cc, Cf, Cs, Zl, Zp: tabs, newlines, NUL, DEL,
  bidirectional overrides), no leading dot (hidden files, ``..``), at most :data:`MAX_COMPONENT`
  characters and as many UTF-8 bytes. The names ``all`` and ``published`` (any case) are reserved for the
  runner's data-set notebooks and the published figures, so a STUDYID may not be one of them. Anything
  else is refused, never rewritten: the study name is printed on every figure and row.
- A PARAMCD is *mapped* to a file name (:func:`parameter_file_name`), since any code is allowed.
- Whatever the checks above, :func:`inside` refuses a final path that resolves outside the output folder.
- A text cell of a CSV output that a spreadsheet would read as a formula gets a leading ``'``
  (:func:`escape_cell`, OWASP's recommendation).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

#: Longest STUDYID (characters, and bytes in UTF-8): file names stay far below the usual 255-byte limit
#: with the suffixes the collection adds (``cohort__<study>.csv``, ``.<name>.<random>.tmp``).
MAX_COMPONENT = 100
#: Names the collection itself uses where a study name goes (``study = "all"`` for the data-set
#: notebooks, ``figures/published/``); a STUDYID equal to one of them (ignoring case) is refused.
RESERVED_STUDIES = ("all", "published")
#: Unicode categories refused in a name: control (Cc), format (Cf, e.g. a right-to-left override),
#: surrogate (Cs, not encodable as a file name), line and paragraph separators (Zl, Zp).
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}

#: Figure names a notebook saves under a fixed literal (tests/test_names.py checks the notebooks against
#: this list). A parameter's figure never takes one of these names (:func:`parameter_file_name`).
FIXED_FIGURE_NAMES = frozenset({
    "consort", "dose_forest", "dose_forest_at_visit", "dose_response", "inflammation_vs_placebo",
    "physical_change_summary",
    "physical_vs_placebo", "safety_events", "safety_tesae30",
    "dose_response_published", "forest_implied_effects", "safety_bounds", "scorecard",
    "synthesis_forest", "synthesis_dose_contrast", "synthesis_dose_response", "synthesis_posterior_6mwd",
    "planning_sample_size", "planning_assurance",
})
#: Suffixes a notebook appends to a parameter's figure name.
FIGURE_SUFFIXES = ("_log_ratio",)
#: Stable figure names of the known parameters (the committed figures carry these names).
FIGURE_NAMES = {
    "SIXMWD": "six_minute_walk",
    "SPPB": "sppb",
    "FEV1": "fev1",
    "SF36PCS": "sf36_pcs",
    "SQOLF": "sqol_f",
    "TNFA": "tnf_alpha",
    "BCTNFA": "b_cell_tnf_alpha",
}
#: Names an unknown parameter's figure may not take: every fixed figure and every known parameter's.
RESERVED_FIGURE_NAMES = FIXED_FIGURE_NAMES | {n + s for n in FIGURE_NAMES.values() for s in ("", *FIGURE_SUFFIXES)}
#: Longest readable part of a parameter's file name; a longer one is cut and given a hash suffix.
MAX_FILE_STEM = 48
HASH_CHARS = 8

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"), and the
#: escape character itself (escaped too, so that reading back removes exactly one ``'``).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
#: A plain decimal number ("-2.05", "+63.4" as printed in a paper) is a value, never a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


# --- names that must be one safe path component ------------------------------------------------------

def component_problem(name) -> str | None:
    """Why ``name`` cannot be used as one file or folder name, or None when it can.

    Examples
    --------
    >>> component_problem("CRATUS-P2") is None
    True
    >>> component_problem("../../escape")
    "contains a path separator '/'"
    >>> component_problem(".hidden")
    'starts with a dot'
    """
    if not isinstance(name, str):
        return f"is not text ({type(name).__name__})"
    if name == "":
        return "is empty"
    for sep in ("/", "\\"):
        if sep in name:
            return f"contains a path separator {sep!r}"
    bad = refused_characters(name)
    if bad:
        return f"contains the control or invisible character(s) {', '.join(f'U+{ord(c):04X}' for c in bad[:5])}"
    if name.startswith("."):
        return "starts with a dot"   # also catches "." and ".."
    if len(name) > MAX_COMPONENT or len(name.encode("utf-8")) > MAX_COMPONENT:
        return f"is longer than {MAX_COMPONENT} characters (or UTF-8 bytes)"
    return None


def refused_characters(text: str) -> list[str]:
    r"""The control and invisible characters of ``text`` (:data:`REFUSED_CATEGORIES`), in order.

    Examples
    --------
    >>> [f"U+{ord(c):04X}" for c in refused_characters("a\x00b\u202ec")], refused_characters("TNF-\u03b1 (pg/mL)")
    (['U+0000', 'U+202E'], [])
    """
    if text.isprintable():              # fast path: printable text has none of them
        return []
    return [c for c in text if unicodedata.category(c) in REFUSED_CATEGORIES]


def study_problem(study) -> str | None:
    """:func:`component_problem`, and a STUDYID may not be one of :data:`RESERVED_STUDIES`."""
    problem = component_problem(study)
    if problem is None and study.lower() in RESERVED_STUDIES:
        problem = f"is reserved (the collection uses {', '.join(RESERVED_STUDIES)} itself)"
    return problem


def check_component(name, what: str = "name") -> str:
    """Return ``name``; raise ValueError when it is not one safe file or folder name."""
    problem = component_problem(name)
    if problem is not None:
        raise ValueError(f"{what} {name!r} cannot be used in a file name: it {problem}")
    return name


def inside(base, *parts: str) -> Path:
    """``base / parts...``, refusing any part that is not a safe component and any result outside ``base``.

    The last line of defence: the path is resolved (``..``, symbolic links) and must lie under the resolved
    ``base``.

    Raises
    ------
    ValueError
        Naming the part or the path.
    """
    for part in parts:
        check_component(part)
    root = Path(base).resolve()
    path = Path(base).joinpath(*parts)
    if not path.resolve().is_relative_to(root):
        raise ValueError(f"refusing to write {path}: it resolves outside {root}")
    return path


# --- parameter codes mapped to file names -----------------------------------------------------------

def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def readable_stem(code: str) -> str:
    """Lower case, each run of characters other than a-z and 0-9 one ``_``, no ``_`` at either end."""
    return re.sub(r"[^a-z0-9]+", "_", str(code).lower()).strip("_")


def parameter_file_name(code: str, reserved=frozenset()) -> str:
    """The file name (without suffix) of an unknown parameter code's figure.

    :func:`readable_stem` of the code, e.g. ``IL-6 (serum)`` -> ``il_6_serum``. Its readable part is
    followed by ``_`` and the first :data:`HASH_CHARS` hex digits of the code's sha256 when the readable
    stem would be empty, is longer than :data:`MAX_FILE_STEM` (then cut), or is one of ``reserved`` (the
    known parameters' names, with or without a :data:`FIGURE_SUFFIXES` suffix, and
    :data:`FIXED_FIGURE_NAMES`), so an unknown code never takes another figure's name. Two codes of one
    data set that still give the same name are refused by the runner (:func:`figure_name_clashes`): the
readable names are kept (``il_6_serum``), at the price of being refused rather than renamed.

    Examples
    --------
    >>> parameter_file_name("IL-6 (serum)"), parameter_file_name("../..")
    ('il_6_serum', 'param_0cfd1c96')
    """
    stem = readable_stem(code)
    if stem and len(stem) <= MAX_FILE_STEM and stem not in reserved:
        return stem
    return f"{stem[:MAX_FILE_STEM].rstrip('_') or 'param'}_{_hash(str(code))}"


def figure_name(code: str, suffix: str = "") -> str:
    """A parameter's figure name: :data:`FIGURE_NAMES` for a known code, else :func:`parameter_file_name`
    (never one of :data:`RESERVED_FIGURE_NAMES`), then ``suffix``.

    Examples
    --------
    >>> figure_name("SIXMWD"), figure_name("TNFA", "_log_ratio"), figure_name("IL-6 (serum)")
    ('six_minute_walk', 'tnf_alpha_log_ratio', 'il_6_serum')
    """
    return (FIGURE_NAMES.get(code) or parameter_file_name(code, RESERVED_FIGURE_NAMES)) + suffix


def figure_name_clashes(codes) -> dict[str, list[str]]:
    """``{file name: [codes]}`` for every figure name (with each suffix) that more than one code would get.

    Examples
    --------
    >>> figure_name_clashes(["IL-6", "IL 6", "SIXMWD"])
    {'il_6': ['IL 6', 'IL-6'], 'il_6_log_ratio': ['IL 6', 'IL-6']}
    """
    owners: dict[str, set[str]] = {}
    for code in set(codes):
        for suffix in ("", *FIGURE_SUFFIXES):
            owners.setdefault(figure_name(code, suffix), set()).add(code)
    return {n: sorted(c) for n, c in sorted(owners.items()) if len(c) > 1}


# --- text in CSV cells -------------------------------------------------------------------------------

def escape_cell(value):
    """A CSV cell that no spreadsheet reads as a formula.

    Text starting with one of :data:`FORMULA_STARTS` (or with the escape ``'`` itself) gets a leading ``'``,
    unless the whole text is a plain decimal number. Anything that is not text (a number, a missing value)
    is returned unchanged.

    Examples
    --------
    >>> escape_cell("=HYPERLINK(\\"x\\")"), escape_cell("-2.05"), escape_cell(-2.05), escape_cell("'a")
    ('\\'=HYPERLINK("x")', '-2.05', -2.05, "''a")
    """
    if not isinstance(value, str) or not value.startswith((*FORMULA_STARTS, ESCAPE)):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return ESCAPE + value


def unescape_cell(value):
    """Undo :func:`escape_cell`: text starting with ``'`` loses that one character."""
    if isinstance(value, str) and value.startswith(ESCAPE):
        return value[1:]
    return value
