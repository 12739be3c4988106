"""Named values a manuscript quotes: ``results/numbers.{json,tex,typ,csv}``, written by every run.

Every row of ``results/estimates.csv`` becomes one named value (a manuscript may quote any of them), and
every row of ``results/scorecard.csv`` one claim status. The four files hold the same values:

- ``numbers.json``: each value's texts, its raw numbers (as written in estimates.csv) and its key;
- ``numbers.tex``: ``\\input{results/numbers.tex}``, then ``\\mscnum{<name>}`` (and ``\\mscest``, ``\\mscci``,
  ``\\mscp``, ``\\mscn``, ``\\msclabel``, ``\\mscclaim{<claim id>}``, ``\\mscclaims{<status>}``);
- ``numbers.typ``: ``#import "results/numbers.typ": *``, then ``#num("<name>")`` (and ``num-est``, ``num-ci``,
  ``num-p``, ``num-n``, ``num-label``, ``claim``, ``claim-count``);
- ``numbers.csv``: one line per value (name, label, text, estimate, ci_low, ci_high, bound, p, n, n_ref, basis)
  for Word (paste as a table, or mail-merge); as in estimates.csv, the open limit of a one-sided bound is
  empty and ``bound`` (``lower``: estimate and above; ``upper``: estimate and below) says which.

Names
-----
``<study>.<paramcd>[.v<visit>].<contrast>.<method>[.published]``, each part the lower-cased text with every
run of characters other than ``a-z0-9`` written ``-`` (:func:`slug`):

- ``v<visit>`` is AVISITN (``v6``; ``.`` is written ``p`` and a minus ``m``: ``v0p5``), absent for rows
  without a visit (safety, cohort);
- ``<contrast>`` is the arm (``100m``), ``<arm>-vs-<ref_arm>`` when there is a comparator
  (``100m-vs-placebo``), or the comparison when there is no arm (``across-arms``);
- ``.published`` ends the name of a value computed from the printed summaries (``basis = published``), so
  a value on the data (synthetic or supplied) keeps its name whatever the data set.

So ``cratus-p2.sixmwd.v6.100m-vs-placebo.ancova`` is the ANCOVA difference in 6MWD, 100M minus placebo, at
visit 6 of CRATUS-P2, and ``cratus-p2.tesae30.100m.clopper-pearson`` the TE-SAE proportion in 100M. A part
that would be empty or longer than :data:`MAX_PART` characters is cut and followed by ``-`` and the first 8
hex digits of its text's sha256; two rows that would still share a name (labels that differ only in case
or punctuation, such as arms ``A B`` and ``A-B``) each get ``-`` and the first 8 hex digits of the sha256 of
their key appended, so every name is unique (the default data have no such pair). Names hold only
``a-z``, ``0-9``, ``.`` and ``-``: safe as a JSON or Typst key and inside ``\\csname``.

How values are printed (journal style, AMA Manual of Style 11th ed., 19.5 and 20.9)
-------------------------------------------------------------------------------
``12.3 m (95% CI 4.5 to 20.1; P = .003)``:

- **Decimals** (:func:`decimals`): as many as give the half-width of the 95% interval two significant digits
  (half-width 7.8 -> 1 decimal; 45 -> 0; 0.43 -> 2); never fewer than 0, and never more than the 6
  significant digits estimates.csv carries. Without a finite interval: 3 significant digits of the largest
  finite value, trailing zeros dropped. One more decimal (as many as needed) where an interval that excludes 0
  would print a limit as 0 (-0.013 is ``−0.01``, not ``0.0``; AMA 19.5). The estimate and both limits get the
  same decimals. Rounding is half away from zero, from the decimal value written in estimates.csv
  (0.15 -> 0.2, -0.25 -> -0.3).
- A true minus sign (U+2212); a value that rounds to zero is printed without sign; infinite limits as ``∞``.
- The unit follows the estimate (``12.3 m``), not the limits; standardized effects, ratios and counts have
  none. Units are those of the built-in parameters (:data:`UNITS`); other parameters are printed bare.
- **P** (:func:`format_p`): ``P < .001`` below .001; 3 decimals below .01 (``P = .003``); 2 decimals up to .99
  (``P = .27``), 3 (or 4) where 2 would print ``.05`` (``P = .048``); ``P > .99`` above; no leading zero.
- Proportions (``clopper_pearson``) as events/n and a percentage: ``0/10 (0%; 95% CI 0% to 31%)``.
- A one-sided bound as ``≥ 1.24`` (``bound = lower``) or ``≤ −1.38`` (``bound = upper``), its open limit as
  ``∞``; an interval only (``bound = range``) as ``range −1.40 to 1.40``.

Basis
-----
Every value carries its ``basis`` (``synthetic``, ``supplied``, ``published``). The files say the data's basis
at the top; on the embedded SYNTHETIC default, ``numbers.tex`` sets ``\\ifmscsynthetic`` true and
``numbers.typ`` sets ``synthetic = true``, and both define the notice "SYNTHETIC DATA: generated, not trial
results", which a manuscript must show.

Text from the data (study ids, arm labels) is escaped for each language (:func:`tex_escape`,
:func:`typst_string`). The files are byte-deterministic: names sorted, fixed precision, LF line ends.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tempfile
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from . import names as _names
from .data import PARAMETERS
from .paths import resolve
from .publish import write_text
from .results import (ONE_SIDED, SCORECARD_STATUSES, SIGNIFICANT_DIGITS, atomic_write_csv, open_limits,
                      read_results_csv, text_columns)

#: The files :func:`write_numbers` writes into a results folder.
FILES = ("numbers.json", "numbers.tex", "numbers.typ", "numbers.csv")
#: The key columns of estimates.csv that make a value's name (with ``basis``).
KEY_COLUMNS = ["finding", "study", "paramcd", "visit", "comparison", "arm", "ref_arm", "method"]
#: Columns of numbers.csv.
CSV_COLUMNS = ["name", "label", "text", "estimate", "ci_low", "ci_high", "bound", "p", "n", "n_ref", "basis"]
#: The texts of a value, the same in every file.
TEXT_FIELDS = ["text", "estimate_text", "interval_text", "p_text", "n_text", "label", "basis"]
#: Longest part of a name before it is cut and given a hash suffix.
MAX_PART = 40
HASH_CHARS = 8
#: What the files say of the data's basis.
NOTICES = {"synthetic": "SYNTHETIC DATA: generated, not trial results",
           "supplied": "Supplied patient-level data",
           "published": "From published summaries"}
#: Units printed after an estimate on the parameter's own scale (built-in parameters only).
UNITS = {code: info["unit"] for code, info in PARAMETERS.items()} | {
    "SPPB": "points", "SF36PCS": "points", "SQOLF": "points", "BCTNFA": "percentage points"}
#: Methods whose estimate is on the parameter's scale (and so takes its unit).
UNIT_METHODS = {"paired_t", "paired_t_pooled", "ancova", "welch_t", "linear_trend", "reported_difference"}
#: Methods whose estimate is a proportion (printed as events/n and a percentage).
PROPORTION_METHODS = {"clopper_pearson"}
#: Methods whose estimate is a count.
COUNT_METHODS = {"count"}
MINUS = "\u2212"
INFINITY = "\u221e"
#: A claim id must be plain (it is typed by hand in \\mscclaim{...} and used inside \\csname).
_CLAIM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*")
_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*")


# --- names ------------------------------------------------------------------------------------------

def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def slug(text) -> str:
    """One part of a name: lower case, each run of characters other than ``a-z0-9`` one ``-``.

    A part that would be empty or longer than :data:`MAX_PART` is cut and followed by ``-`` and the first
    8 hex digits of the text's sha256.

    Examples
    --------
    >>> slug("CRATUS-P2"), slug("clopper_pearson"), slug("All arms"), slug("###")
    ('cratus-p2', 'clopper-pearson', 'all-arms', 'x-56dc6d47')
    """
    text = str(text)
    part = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if part and len(part) <= MAX_PART:
        return part
    return f"{part[:MAX_PART].rstrip('-') or 'x'}-{_hash(text)}"


def _visit_part(visit) -> str:
    """``v6`` for AVISITN 6, ``v0p5`` for 0.5, ``vm1`` for -1; "" without a visit."""
    if visit is None or visit == "" or (isinstance(visit, float) and math.isnan(visit)):
        return ""
    text = f"{float(visit):.{SIGNIFICANT_DIGITS}g}"
    return "v" + text.replace("-", "m").replace(".", "p").replace("+", "")


def value_name(row) -> str:
    """The name of one estimates.csv row (a mapping with :data:`KEY_COLUMNS` and ``basis``), before
    :func:`value_names` makes the names of a whole file unique.

    Examples
    --------
    >>> value_name({"finding": "physical_performance", "study": "CRATUS-P2", "paramcd": "SIXMWD",
    ...             "visit": 6.0, "comparison": "vs_placebo", "arm": "100M", "ref_arm": "Placebo",
    ...             "method": "ancova", "basis": "synthetic"})
    'cratus-p2.sixmwd.v6.100m-vs-placebo.ancova'
    """
    arm, ref = str(row["arm"] or ""), str(row["ref_arm"] or "")
    contrast = (slug(arm) + (f"-vs-{slug(ref)}" if ref else "")) if arm else slug(row["comparison"])
    parts = [slug(row["study"]), slug(row["paramcd"]), _visit_part(row["visit"]), contrast, slug(row["method"])]
    if row["basis"] == "published":
        parts.append("published")
    return ".".join(p for p in parts if p)


def _key_text(row) -> str:
    return json.dumps([str(row[c]) for c in KEY_COLUMNS + ["basis"]], ensure_ascii=False)


def value_names(rows: pd.DataFrame) -> list[str]:
    """Unique names for the rows of an estimates table, in row order (module docstring, "Names").

    Raises
    ------
    ValueError
        When two rows have the same key (finding, study, paramcd, visit, comparison, arm, ref_arm, method,
        basis): estimates.csv is broken.
    """
    records = rows[KEY_COLUMNS + ["basis"]].to_dict("records")
    keys = [_key_text(r) for r in records]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"estimates.csv has {len(dup)} duplicated key(s), e.g. {dup[0]}")
    base = [value_name(r) for r in records]
    counts = pd.Series(base).value_counts()
    out = [n if counts[n] == 1 else f"{n}-{_hash(k)}" for n, k in zip(base, keys)]
    if len(set(out)) != len(out):   # a sha256 prefix collision: never seen, but never silent
        raise ValueError("two estimates.csv rows got the same name even with a hash suffix")
    return out


# --- formatting ---------------------------------------------------------------------------------------

def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _magnitude(x: float) -> int:
    """floor(log10(|x|)) computed on the decimal value (exact at powers of ten)."""
    return Decimal(repr(float(abs(x)))).adjusted()


def _most_decimals(*values) -> int:
    """The decimals the 6 significant digits of estimates.csv carry for the largest finite value."""
    largest = max((abs(float(v)) for v in values if _finite(v)), default=0.0)
    return max(0, SIGNIFICANT_DIGITS - 1 - _magnitude(largest)) if largest > 0 else 0


def significant_decimals(x, digits: int) -> int:
    """The decimals that give ``x`` ``digits`` significant digits (read from its decimal value), never below 0; 0 for
    0 or a value that is not finite.

    Examples
    --------
    >>> significant_decimals(0.0437, 2), significant_decimals(7.8, 2), significant_decimals(45.0, 2)
    (3, 1, 0)
    """
    if not _finite(x) or x == 0:
        return 0
    return max(0, digits - 1 - _magnitude(x))


def decimals(estimate=None, ci_low=None, ci_high=None) -> int | None:
    """Decimals to print a value and its interval with (module docstring, "How values are printed").

    Two significant digits of the interval's half-width; without a finite interval, three significant
    digits of the largest finite value. Never below 0, never past the 6 significant digits of estimates.csv.
    ``None`` when there is no finite value at all.

    Examples
    --------
    >>> decimals(12.34, 4.51, 20.14), decimals(37.0, -8.0, 82.0), decimals(-0.5, -1.12083, 0.120832)
    (1, 0, 2)
    >>> decimals(63.4), decimals(-1.38483, float("-inf"), -0.655639), decimals(0.0, 0.0, 0.0)
    (1, 2, 0)
    """
    values = [float(v) for v in (estimate, ci_low, ci_high) if _finite(v)]
    if not values:
        return None
    largest = max(abs(v) for v in values)
    most = _most_decimals(estimate, ci_low, ci_high)
    if _finite(ci_low) and _finite(ci_high) and ci_high > ci_low:
        wanted = 1 - _magnitude((Decimal(repr(float(ci_high))) - Decimal(repr(float(ci_low)))) / 2)
    elif largest > 0:
        wanted = 2 - _magnitude(largest)
    else:
        wanted = 0
    return max(0, min(wanted, most))


def interval_decimals(estimate=None, ci_low=None, ci_high=None) -> int | None:
    """Decimals to print an estimate and its interval with: :func:`decimals`, then one more (as many as needed) where
    an interval that excludes 0 would print a limit as 0 (AMA 19.5: ``−0.013`` at 1 decimal is ``−0.01``, not
    ``0.0``), never past the 6 significant digits of estimates.csv. ``None`` when there is no finite value.

    Examples
    --------
    >>> interval_decimals(-0.2, -0.4, -0.004), decimals(-0.2, -0.4, -0.004)   # [-0.40, -0.00] would reach 0
    (3, 2)
    >>> interval_decimals(0.102, -0.0369, 0.241), interval_decimals(63.4)     # no interval: 3 significant digits
    (2, 1)
    """
    digits = decimals(estimate, ci_low, ci_high)
    if digits is None or not (_finite(ci_low) and _finite(ci_high) and ci_high > ci_low):
        return digits
    while ((ci_low > 0 or ci_high < 0) and digits < _most_decimals(estimate, ci_low, ci_high)
           and Decimal(format_number(min(abs(ci_low), abs(ci_high)), digits)) == 0):
        digits += 1
    return digits


def format_number(x, digits: int, strip: bool = False) -> str:
    """``x`` with ``digits`` decimals, rounded half away from zero from its decimal value; a true minus
    sign, no sign on a value that rounds to 0, ``∞`` for an infinite value, "" for a missing one.

    Examples
    --------
    >>> format_number(-7.37843, 1), format_number(0.15, 1), format_number(-0.04, 1), format_number(5.0, 0)
    ('−7.4', '0.2', '0.0', '5')
    >>> format_number(float("-inf"), 2), format_number(41.0, 1, strip=True)
    ('−∞', '41')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if math.isinf(x):
        return (MINUS if x < 0 else "") + INFINITY
    value = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{abs(value):f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return (MINUS if value < 0 else "") + text


def format_interval(lo, hi, digits: int = 2) -> str:
    """An interval ``[lo, hi]`` with both limits at ``digits`` decimals (:func:`format_number`).

    Examples
    --------
    >>> format_interval(-8.15711, 8.15711), format_interval(-2.125, 0.5, 1)
    ('[−8.16, 8.16]', '[−2.1, 0.5]')
    """
    return f"[{format_number(lo, digits)}, {format_number(hi, digits)}]"


def format_p(p) -> str:
    """A two-sided P value as journals print it (AMA Manual of Style 11th ed., 19.5); "" when missing.

    Examples
    --------
    >>> [format_p(p) for p in (0.00004, 0.001, 0.0034, 0.0095, 0.27, 0.0479)]
    ['P < .001', 'P = .001', 'P = .003', 'P = .010', 'P = .27', 'P = .048']
    >>> [format_p(p) for p in (0.0504, 0.0496, 0.99, 0.995, 1.0)]
    ['P = .050', 'P = .0496', 'P = .99', 'P > .99', 'P > .99']
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    if not 0 <= p <= 1:
        raise ValueError(f"a P value must lie in [0, 1], got {p!r}")
    exact = Decimal(repr(float(p)))
    if exact < Decimal("0.001"):
        return "P < .001"
    if exact > Decimal("0.99"):
        return "P > .99"
    def rounded(digits):
        return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)

    digits = 3 if exact < Decimal("0.01") else 2
    # AMA: where 2 decimals would print .05, print 3; and 4 where a P below .05 still prints .050
    if digits == 2 and rounded(2) == Decimal("0.05") and exact != Decimal("0.05"):
        digits = 3 if rounded(3) != Decimal("0.05") or exact > Decimal("0.05") else 4
    return "P = " + f"{rounded(digits):f}".lstrip("0")


def _number(x):
    """A cell as float (None when missing)."""
    if x is None or x == "":
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _count(x):
    x = _number(x)
    return None if x is None else int(round(x))


def _label(row) -> str:
    param = PARAMETERS.get(row["paramcd"], {}).get("label", row["paramcd"])
    contrast = f"{row['arm']} vs {row['ref_arm']}" if row["ref_arm"] else (row["arm"] or row["comparison"])
    visit = _number(row["visit"])
    parts = [row["study"], param, f"visit {visit:g}" if visit is not None else "", contrast, row["method"],
             "published summaries" if row["basis"] == "published" else ""]
    return ", ".join(p for p in parts if p)


def format_value(row) -> dict:
    """The texts of one estimates.csv row: ``text``, ``estimate_text``, ``interval_text``, ``p_text``,
    ``n_text``, and the ``decimals`` and ``unit`` used (module docstring, "How values are printed").

    Examples
    --------
    >>> row = {"paramcd": "SIXMWD", "method": "ancova", "estimate": 12.34, "ci_low": 4.51, "ci_high": 20.14,
    ...        "p_value": 0.0034, "n": 10, "n_ref": 10, "bound": ""}
    >>> format_value(row)["text"]
    '12.3 m (95% CI 4.5 to 20.1; P = .003)'
    >>> row = {"paramcd": "TESAE30", "method": "clopper_pearson", "estimate": 0.0, "ci_low": 0.0,
    ...        "ci_high": 0.308497, "p_value": None, "n": 10, "n_ref": None, "bound": ""}
    >>> format_value(row)["text"]
    '0/10 (0%; 95% CI 0% to 31%)'
    """
    est, lo, hi = _number(row["estimate"]), _number(row["ci_low"]), _number(row["ci_high"])
    p, n, n_ref, bound = _number(row["p_value"]), _count(row["n"]), _count(row["n_ref"]), row.get("bound") or ""
    method = row["method"]
    unit = UNITS.get(row["paramcd"], "") if method in UNIT_METHODS else ""
    events = None
    if method in PROPORTION_METHODS:
        if est is not None and n:
            k = est * n
            events = int(round(k)) if abs(k - round(k)) < 1e-4 else None
        est, lo, hi = (None if v is None else float(Decimal(repr(v)) * 100) for v in (est, lo, hi))
        unit = "%"
    digits = interval_decimals(est, lo, hi)
    strip = not (_finite(lo) and _finite(hi) and hi > lo)   # no interval: significant digits, not a grid
    if method in COUNT_METHODS:
        digits, strip = 0, True
    sep = "" if unit == "%" else " "

    def show(x):
        return format_number(x, digits, strip) + (sep + unit if unit == "%" and x is not None else "")

    estimate_text = ""
    if est is not None:
        estimate_text = format_number(est, digits, strip)
        if bound in ONE_SIDED:
            estimate_text = ("\u2265 " if bound == "lower" else "\u2264 ") + estimate_text
        if unit:
            estimate_text += sep + unit
    interval_text = ""
    if lo is not None and hi is not None:
        interval_text = ("range " if bound == "range" else "95% CI ") + f"{show(lo)} to {show(hi)}"
    p_text = format_p(p)
    n_text = "" if n is None else f"n = {n}" + (f" vs {n_ref}" if n_ref is not None else "")
    inside = "; ".join(t for t in (interval_text, p_text) if t)
    if events is not None:
        text = f"{events}/{n} ({estimate_text}" + (f"; {inside}" if inside else "") + ")"
    elif estimate_text:
        text = estimate_text + (f" ({inside})" if inside else "")
    else:
        text = inside
    return {"text": text, "estimate_text": estimate_text, "interval_text": interval_text, "p_text": p_text,
            "n_text": n_text, "decimals": digits, "unit": unit}


# --- escaping -----------------------------------------------------------------------------------------

_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&",
        "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\ensuremath{<}",
        ">": r"\ensuremath{>}", "|": r"\textbar{}", '"': r"\textquotedbl{}",
        MINUS: r"\ensuremath{-}", "\u2264": r"\ensuremath{\leq}", "\u2265": r"\ensuremath{\geq}",
        INFINITY: r"\ensuremath{\infty}", "\u03b1": r"\ensuremath{\alpha}", "\u00b1": r"\ensuremath{\pm}",
        "\u00b7": r"\textperiodcentered{}", "\u2013": r"\textendash{}", "\u2014": r"\textemdash{}"}


def tex_escape(text) -> str:
    """Text as LaTeX prints it literally: the ten special characters (``\\ { } # $ % & _ ~ ^``) and ``| "``
    escaped, the minus sign, ``< > ≤ ≥ ∞ α ±`` in math, control characters as spaces; other Unicode kept
    (UTF-8).

    Examples
    --------
    >>> print(tex_escape("50% of A_1 & {B} #2 ~$3^ \\\\x"))
    50\\% of A\\_1 \\& \\{B\\} \\#2 \\textasciitilde{}\\$3\\textasciicircum{} \\textbackslash{}x
    >>> print(tex_escape("\u22121.4 (P < .001)"))
    \\ensuremath{-}1.4 (P \\ensuremath{<} .001)
    """
    return "".join(_TEX.get(c, " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c) for c in str(text))


def typst_string(text) -> str:
    """A Typst string literal holding ``text`` exactly (``\\`` and ``"`` escaped, control characters as
    ``\\u{..}``). A string is shown as text in Typst, never read as markup.

    Examples
    --------
    >>> print(typst_string('a "b" \\\\ #c $d'))
    "a \\"b\\" \\\\ #c $d"
    """
    out = []
    for c in str(text):
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(f"\\u{{{ord(c):x}}}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


# --- the table of values ------------------------------------------------------------------------------

def _read_scorecard(path: Path) -> pd.DataFrame:
    card = pd.read_csv(path, keep_default_na=False, dtype=str)
    return card.map(_names.unescape_cell)


def numbers_table(estimates: pd.DataFrame) -> pd.DataFrame:
    """One row per estimate: its name, label, texts, raw numbers (as written in estimates.csv) and key,
    sorted by name.

    Parameters
    ----------
    estimates : pandas.DataFrame
        estimates.csv as :func:`msc_frailty.results.read_estimates` reads it.

    Examples
    --------
    >>> import pandas as pd
    >>> est = pd.DataFrame([{"finding": "physical_performance", "study": "CRATUS-P2", "paramcd": "SIXMWD",
    ...     "visit": 6.0, "comparison": "vs_placebo", "arm": "100M", "ref_arm": "Placebo", "n": 10, "n_ref": 10,
    ...     "estimate": 12.34, "ci_low": 4.51, "ci_high": 20.14, "p_value": 0.0034, "method": "ancova",
    ...     "basis": "synthetic", "bound": ""}])
    >>> numbers_table(est)[["name", "text"]].to_dict("records")
    [{'name': 'cratus-p2.sixmwd.v6.100m-vs-placebo.ancova', 'text': '12.3 m (95% CI 4.5 to 20.1; P = .003)'}]
    """
    rows = estimates.reset_index(drop=True)
    for c in ("arm", "ref_arm", "comparison", "bound"):
        rows[c] = rows[c].astype(object).where(rows[c].notna(), "")
    names = value_names(rows)
    out = []
    for name, row in zip(names, rows.to_dict("records")):
        texts = format_value(row)
        out.append({"name": name, "label": _label(row), **texts,
                    "estimate": _number(row["estimate"]), "ci_low": _number(row["ci_low"]),
                    "ci_high": _number(row["ci_high"]), "p_value": _number(row["p_value"]),
                    "n": _count(row["n"]), "n_ref": _count(row["n_ref"]), "bound": row["bound"],
                    **{c: row[c] for c in KEY_COLUMNS if c != "visit"}, "visit": _number(row["visit"]),
                    "basis": row["basis"]})
    table = pd.DataFrame(out, columns=["name", "label", *TEXT_FIELDS[:5], "decimals", "unit", "estimate",
                                       "ci_low", "ci_high", "p_value", "n", "n_ref", "bound", *KEY_COLUMNS, "basis"],
                         dtype=object)
    return table.sort_values("name", kind="mergesort").reset_index(drop=True)


def claims_table(scorecard: pd.DataFrame) -> pd.DataFrame:
    """claim_id, study, basis, status of the scorecard, sorted by claim id; refuses an id that is not plain."""
    card = scorecard[["claim_id", "study", "basis", "status"]].copy()
    bad = [c for c in card["claim_id"] if not _CLAIM_ID.fullmatch(c)]
    if bad:
        raise ValueError(f"scorecard.csv: claim_id {bad[0]!r} is not plain (letters, digits, . _ : + -)")
    if card["claim_id"].duplicated().any():
        first = card["claim_id"][card["claim_id"].duplicated()].iloc[0]
        raise ValueError(f"scorecard.csv: duplicated claim_id {first!r}")
    return card.sort_values("claim_id", kind="mergesort").reset_index(drop=True)


def data_basis(table: pd.DataFrame) -> str:
    """The basis of the data behind a table of values: ``synthetic`` or ``supplied`` when any value was
    computed from patient-level data, else ``published``."""
    bases = set(table["basis"]) - {"published"}
    if len(bases) > 1:
        raise ValueError(f"values on more than one data basis: {sorted(bases)}")
    return bases.pop() if bases else "published"


# --- the four files -----------------------------------------------------------------------------------

HEADER = ("results/numbers.{ext}: the values a manuscript quotes, generated by msc_frailty.numbers from "
          "results/estimates.csv and results/scorecard.csv. Do not edit: rerun the notebooks.")


def _raw(x):
    """A raw number for JSON: a float (as written in estimates.csv), null, or "Infinity"/"-Infinity"."""
    if x is None:
        return None
    if isinstance(x, float) and math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def render_json(table: pd.DataFrame, claims: pd.DataFrame) -> str:
    """numbers.json: ``basis``, ``synthetic``, ``notice``, ``numbers`` (name -> texts, raw numbers and key),
    ``claims`` (claim id -> status, basis, study) and ``claim_counts`` (status -> claims)."""
    basis = data_basis(table)
    numbers = {}
    for r in table.to_dict("records"):
        numbers[r["name"]] = {k: _raw(v) if isinstance(v, float) else v for k, v in r.items() if k != "name"}
    doc = {"about": HEADER.format(ext="json") + " Names and formatting rules: msc_frailty.numbers.",
           "basis": basis, "synthetic": basis == "synthetic", "notice": NOTICES[basis], "numbers": numbers,
           "claims": {r["claim_id"]: {"status": r["status"], "basis": r["basis"], "study": r["study"]}
                      for r in claims.to_dict("records")},
           "claim_counts": {s: int((claims["status"] == s).sum()) for s in SCORECARD_STATUSES}}
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


_TEX_PREAMBLE = r"""% Usage: \input{results/numbers.tex} in the preamble, then in the text
%   \mscnum{cratus-p2.sixmwd.v6.100m-vs-placebo.ancova}  the value, e.g. 12.3 m (95% CI 4.5 to 20.1; P = .003)
%   \mscest{..} the estimate, \mscci{..} the interval, \mscp{..} P, \mscn{..} n, \msclabel{..} what it is,
%   \mscbasisof{..} its basis, \mscclaim{<claim id>} a scorecard status, \mscclaims{<status>} claims with it.
% A name that is not here stops LaTeX with an error. \ifmscsynthetic is true on SYNTHETIC data, and
% \mscnotice is what the manuscript must say about the data.
\newif\ifmscsynthetic
\def\mscget#1#2{\ifcsname msc/#1/\detokenize{#2}\endcsname\csname msc/#1/\detokenize{#2}\endcsname\else
  \PackageError{numbers.tex}{No value named `\detokenize{#2}'}{The manuscript quotes a name that
  results/numbers.json does not have: check the name, or rerun the notebooks.}\textbf{??}\fi}
\def\mscset#1#2{\expandafter\gdef\csname msc/#1/\detokenize{#2}\endcsname}
\def\mscvalue#1#2#3#4#5#6#7#8{\mscset{text}{#1}{#2}\mscset{est}{#1}{#3}\mscset{ci}{#1}{#4}%
  \mscset{p}{#1}{#5}\mscset{n}{#1}{#6}\mscset{label}{#1}{#7}\mscset{basis}{#1}{#8}}
\DeclareRobustCommand\mscnum[1]{\mscget{text}{#1}}
\DeclareRobustCommand\mscest[1]{\mscget{est}{#1}}
\DeclareRobustCommand\mscci[1]{\mscget{ci}{#1}}
\DeclareRobustCommand\mscp[1]{\mscget{p}{#1}}
\DeclareRobustCommand\mscn[1]{\mscget{n}{#1}}
\DeclareRobustCommand\msclabel[1]{\mscget{label}{#1}}
\DeclareRobustCommand\mscbasisof[1]{\mscget{basis}{#1}}
\DeclareRobustCommand\mscclaim[1]{\mscget{claim}{#1}}
\DeclareRobustCommand\mscclaims[1]{\mscget{claims}{#1}}
"""


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"value name {name!r} holds characters other than a-z, 0-9, '.', '-'")
    return name


def render_tex(table: pd.DataFrame, claims: pd.DataFrame) -> str:
    """numbers.tex: the notice and flag, the macros (:data:`_TEX_PREAMBLE`), one ``\\mscvalue`` line per value."""
    basis = data_basis(table)
    lines = ["% " + HEADER.format(ext="tex"),
             f"% BASIS: {NOTICES[basis]}." + (" These values say nothing about the trials." if basis == "synthetic"
                                               else ""),
             _TEX_PREAMBLE.rstrip("\n"),
             r"\global\mscsynthetictrue" if basis == "synthetic" else r"\global\mscsyntheticfalse",
             rf"\gdef\mscbasis{{{tex_escape(basis)}}}",
             rf"\gdef\mscnotice{{{tex_escape(NOTICES[basis])}}}"]
    for r in table.to_dict("records"):
        args = [_check_name(r["name"])] + [tex_escape(r[f]) for f in TEXT_FIELDS]
        lines.append(r"\mscvalue" + "".join(f"{{{a}}}" for a in args))
    for r in claims.to_dict("records"):
        lines.append(rf"\mscset{{claim}}{{{r['claim_id']}}}{{{tex_escape(r['status'])}}}")
    for s in SCORECARD_STATUSES:
        lines.append(rf"\mscset{{claims}}{{{s}}}{{{int((claims['status'] == s).sum())}}}")
    return "\n".join(lines) + "\n"


_TYPST_FUNCTIONS = """// A name that is not here stops the compile with an error naming it. Each quoted value also
// leaves metadata labelled <msc-number> (name, field, value): `typst query paper.typ "<msc-number>"` lists them.
#let _value(name, field) = {
  if name not in numbers {
    panic("results/numbers.typ has no value named \\"" + name + "\\": check the name, or rerun the notebooks")
  }
  let value = numbers.at(name).at(field)
  [#metadata((name: name, field: field, value: value))<msc-number>#value]
}
#let num(name) = _value(name, "text")
#let num-est(name) = _value(name, "estimate_text")
#let num-ci(name) = _value(name, "interval_text")
#let num-p(name) = _value(name, "p_text")
#let num-n(name) = _value(name, "n_text")
#let num-label(name) = _value(name, "label")
#let claim(id) = {
  if id not in claims { panic("results/numbers.typ has no claim \\"" + id + "\\"") }
  claims.at(id).status
}
#let claim-count(status) = claim-counts.at(status)
"""


def render_typst(table: pd.DataFrame, claims: pd.DataFrame) -> str:
    """numbers.typ: ``basis``, ``synthetic``, ``notice``, the dictionaries ``numbers``, ``claims`` and
    ``claim-counts``, and the functions ``num``, ``num-est``, ``num-ci``, ``num-p``, ``num-n``, ``num-label``,
    ``claim``, ``claim-count``."""
    basis = data_basis(table)
    lines = ["// " + HEADER.format(ext="typ"),
             f"// BASIS: {NOTICES[basis]}." + (" These values say nothing about the trials." if basis == "synthetic"
                                                else ""),
             '// Usage: #import "results/numbers.typ": *  then  #num("cratus-p2.sixmwd.v6.100m-vs-placebo.ancova")',
             f"#let basis = {typst_string(basis)}",
             f"#let synthetic = {'true' if basis == 'synthetic' else 'false'}",
             f"#let notice = {typst_string(NOTICES[basis])}",
             "#let numbers = ("]
    for r in table.to_dict("records"):
        fields = ", ".join(f"{f}: {typst_string(r[f])}" for f in TEXT_FIELDS)
        lines.append(f"  {typst_string(_check_name(r['name']))}: ({fields}),")
    if table.empty:
        lines.append("  :")
    lines.append(")")
    lines.append("#let claims = (")
    for r in claims.to_dict("records"):
        lines.append(f"  {typst_string(r['claim_id'])}: (status: {typst_string(r['status'])}, "
                     f"basis: {typst_string(r['basis'])}, study: {typst_string(r['study'])}),")
    if claims.empty:
        lines.append("  :")
    lines.append(")")
    lines.append("#let claim-counts = (" + " ".join(
        f"{typst_string(s)}: {int((claims['status'] == s).sum())}," for s in SCORECARD_STATUSES) + ")")
    return "\n".join(lines) + "\n" + _TYPST_FUNCTIONS


def csv_table(table: pd.DataFrame) -> pd.DataFrame:
    """numbers.csv: :data:`CSV_COLUMNS`, one row per value, for Word (paste or mail-merge)."""
    out = table.rename(columns={"p_value": "p"})[CSV_COLUMNS].copy()
    for c in ("estimate", "ci_low", "ci_high", "p"):
        out[c] = out[c].astype(float)
    for c in ("n", "n_ref"):
        out[c] = out[c].astype("Int64")
    return open_limits(out)


def render(results_dir) -> dict[str, str | pd.DataFrame]:
    """What :func:`write_numbers` writes, from ``<results_dir>/estimates.csv`` and ``scorecard.csv`` (the
    scorecard is optional: a run of some notebooks only has none)."""
    results_dir = resolve(results_dir)
    table = numbers_table(text_columns(read_results_csv(results_dir / "estimates.csv")))
    card_path = results_dir / "scorecard.csv"
    card = _read_scorecard(card_path) if card_path.is_file() else pd.DataFrame(
        columns=["claim_id", "study", "basis", "status"])
    claims = claims_table(card)
    return {"numbers.json": render_json(table, claims), "numbers.tex": render_tex(table, claims),
            "numbers.typ": render_typst(table, claims), "numbers.csv": csv_table(table)}


def write_numbers(results_dir) -> list[Path]:
    """Write ``numbers.json``, ``numbers.tex``, ``numbers.typ`` and ``numbers.csv`` into ``results_dir``.

    Called by the runner once ``estimates.csv`` and ``scorecard.csv`` are final; the module docstring has
    the names and formatting rules.

    Parameters
    ----------
    results_dir : str or Path
        A run's ``results/`` folder, holding ``estimates.csv`` (and ``scorecard.csv`` when the
        published_claims notebook ran).

    Returns
    -------
    list of Path
        The four files, in the order of :data:`FILES`.

    Examples
    --------
    >>> import json, tempfile, pandas as pd
    >>> from pathlib import Path
    >>> from msc_frailty.results import combine_estimates, ESTIMATE_COLUMNS
    >>> out = Path(tempfile.mkdtemp())
    >>> (out / "results" / "parts").mkdir(parents=True)
    >>> pd.DataFrame([{"finding": "safety", "study": "S-1", "paramcd": "TESAE30", "visit": None,
    ...     "comparison": "proportion", "arm": "High", "ref_arm": "", "n": 8, "n_ref": None, "estimate": 0.125,
    ...     "ci_low": 0.00316, "ci_high": 0.526504, "p_value": None, "method": "clopper_pearson",
    ...     "basis": "supplied", "bound": ""}], columns=ESTIMATE_COLUMNS).to_csv(
    ...     out / "results" / "parts" / "safety__S-1.csv", index=False)
    >>> _ = combine_estimates(out)
    >>> paths = write_numbers(out / "results")
    >>> json.loads(paths[0].read_text())["numbers"]["s-1.tesae30.high.clopper-pearson"]["text"]
    '1/8 (12.5%; 95% CI 0.3% to 52.7%)'
    """
    results_dir = resolve(results_dir)
    rendered = render(results_dir)
    paths = []
    for name in FILES:
        path = results_dir / name
        content = rendered[name]
        if isinstance(content, pd.DataFrame):
            atomic_write_csv(content, path)
        else:
            write_text(path, content)
        paths.append(path)
    return paths


def check_numbers(results_dir) -> list[str]:
    """Problems with a results folder's numbers files: each one that is missing, or differs from what
    :func:`write_numbers` makes now from its estimates.csv and scorecard.csv (an estimate changed without
    rerunning). Empty when they are current."""
    results_dir = resolve(results_dir)
    if not (results_dir / "estimates.csv").is_file():
        return [f"{results_dir / 'estimates.csv'} is missing: rerun the notebooks (make reproduce)"]
    fresh = Path(tempfile.mkdtemp(prefix="numbers-check-"))
    try:
        for name in ("estimates.csv", "scorecard.csv"):
            if (results_dir / name).is_file():
                (fresh / name).write_bytes((results_dir / name).read_bytes())
        write_numbers(fresh)
        problems = []
        for name in FILES:
            path = results_dir / name
            if not path.is_file():
                problems.append(f"{path} is missing: rerun the notebooks (make reproduce)")
            elif path.read_bytes() != (fresh / name).read_bytes():
                problems.append(f"{path} differs from what estimates.csv and scorecard.csv give: it is stale "
                                "(rerun the notebooks: make reproduce)")
        return problems
    finally:
        for p in fresh.iterdir():
            p.unlink()
        fresh.rmdir()


def read_numbers(results_dir) -> dict:
    """``<results_dir>/numbers.json`` as a dict."""
    return json.loads((resolve(results_dir) / "numbers.json").read_text(encoding="utf-8"))
