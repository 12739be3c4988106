"""The words on and under a figure: the basis stamped on its face, its caption; reading both back.

Kept apart from :mod:`msc_frailty.style` (which imports matplotlib) so that the runner (the basis of each
figure, for MANIFEST.csv), collecting the captions of a run (:func:`msc_frailty.manuscript.write_captions`)
and a report page read them without loading a plotting stack. :mod:`msc_frailty.style` re-exports
BASIS_LABELS, caption and read_caption.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

#: The basis stamped at the foot of every figure (:func:`msc_frailty.style.save_figure`).
BASIS_LABELS = {
    "synthetic": "SYNTHETIC DATA \u2013 generated, not trial results",
    "supplied": "Supplied patient-level data",
    "published": "Published summaries",
}


# --- words for numbers and lists (captions, figure texts and the notebooks' findings) ------------------------

#: Small counts in words ("two doses"); larger counts stay digits.
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def number_word(k: int) -> str:
    """A count in words below ten ("no", "one", ... "nine"), in digits from ten on.

    Examples
    --------
    >>> number_word(0), number_word(3), number_word(12)
    ('no', 'three', '12')
    """
    return NUMBER_WORDS[k] if 0 <= k < len(NUMBER_WORDS) and k == int(k) else f"{k:g}"


def plural(k, word: str, many: str | None = None) -> str:
    """``k`` with ``word`` in the singular or plural (``many``, by default ``word`` + "s"), never "event(s)"; a
    float count is written as ``{k:g}`` (6.0: "6 months").

    Examples
    --------
    >>> plural(1, "event"), plural(3, "event"), plural(0, "subject"), plural(2, "was", "were"), plural(6.0, "month")
    ('1 event', '3 events', '0 subjects', '2 were', '6 months')
    """
    shown = f"{k:g}" if isinstance(k, float) else f"{k}"
    return f"{shown} {word if k == 1 else (many or word + 's')}"


def join_and(items) -> str:
    """Items in a sentence: "a", "a and b", "a, b and c"; "" for none.

    Examples
    --------
    >>> join_and(["6MWD"]), join_and(["6MWD", "SPPB", "FEV1"]), join_and([])
    ('6MWD', '6MWD, SPPB and FEV1', '')
    """
    items = [str(i) for i in items]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


#: Abbreviations a figure or caption may use, with the words that define them. :func:`caption` defines, once,
#: every one its text uses (a journal asks for each abbreviation to be spelled out in every legend). Longer
#: ones first, so that "TE-SAE" is not also read as "SAE".
ABBREVIATIONS = {
    "SF-36 PCS": "Short Form-36 physical component summary",
    "TE-SAE": "treatment-emergent serious adverse event",
    "SQOL-F": "Sexual Quality of Life-Female questionnaire",
    "6MWD": "6-minute walk distance",
    "SPPB": "Short Physical Performance Battery",
    "FEV1": "forced expiratory volume in 1 second",
    "TNF-\u03b1": "tumour necrosis factor alpha",
    "MSC": "mesenchymal stem cells",
    "SAE": "serious adverse event",
    "AE": "adverse event",
    "dz": "standardized mean change (mean change divided by the standard deviation of change)",
    "g": "Hedges' g (difference in means divided by the pooled standard deviation, small-sample corrected)",
    "SMD": "standardized mean difference",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
    "REML": "restricted maximum likelihood",
    "HKSJ": "Hartung-Knapp-Sidik-Jonkman",
    "ANCOVA": "analysis of covariance",
    "GEE": "generalized estimating equations",
    "MCID": "minimal clinically important difference",
    "CI": "confidence interval",
    "SD": "standard deviation",
    "SE": "standard error",
    "df": "degrees of freedom",
}
# not inside a unit either: the g of "g/L" or "mg/g" is no Hedges' g
_ABBREVIATION = re.compile("(?<![\\w.\\-'\u2019/])(" + "|".join(re.escape(a) for a in ABBREVIATIONS) + ")(?![\\w\\-'\u2019/])")


def abbreviations_used(text: str) -> list[str]:
    """The abbreviations of :data:`ABBREVIATIONS` that ``text`` uses, in order of first use.

    Examples
    --------
    >>> abbreviations_used("TE-SAE by arm (95% CI); Hedges' g, e.g. 0.5 SD")
    ['TE-SAE', 'CI', 'g', 'SD']
    >>> abbreviations_used("Change in hemoglobin (g/L), creatinine (mg/g)")   # a unit, not Hedges' g
    []
    """
    return list(dict.fromkeys(_ABBREVIATION.findall(text or "")))


def undefined_abbreviations(text: str, defined_in: str | None = None) -> list[str]:
    """The abbreviations ``text`` uses without the words that define them in ``defined_in`` (by default ``text``
    itself; case-insensitive).

    Examples
    --------
    >>> undefined_abbreviations("6MWD change (dz), SE 0.4. Abbreviations: dz, standardized mean change "
    ...                         "(mean change divided by the standard deviation of change).")
    ['6MWD', 'SE']
    >>> undefined_abbreviations("Change in 6MWD (m)", defined_in="Abbreviations: 6MWD, 6-minute walk distance.")
    []
    >>> [a for a in ABBREVIATIONS if set(abbreviations_used(ABBREVIATIONS[a])) - {a}]  # no definition needs another
    []
    """
    where = (text if defined_in is None else defined_in) or ""
    return [a for a in abbreviations_used(text) if ABBREVIATIONS[a].lower() not in where.lower()]


def define_abbreviations(text: str, defined_in: str | None = None) -> str:
    """The definitions of every abbreviation ``text`` uses and ``defined_in`` (by default ``text`` itself) does not
    yet define, for an "Abbreviations:" sentence; "" when none.

    Examples
    --------
    >>> define_abbreviations("TE-SAE by arm, exact 95% CI")
    'TE-SAE, treatment-emergent serious adverse event; CI, confidence interval'
    >>> define_abbreviations("Rows by 6MWD and TE-SAE", defined_in="TE-SAE by arm. Abbreviations: TE-SAE, "
    ...                      "treatment-emergent serious adverse event.")
    '6MWD, 6-minute walk distance'
    """
    return "; ".join(f"{a}, {ABBREVIATIONS[a]}" for a in undefined_abbreviations(text, defined_in))


#: The sentence :func:`caption` ends with, per basis.
BASIS_ENDS = {"synthetic": "SYNTHETIC DATA: generated, not trial results", "supplied": "Supplied patient-level data",
              "published": "From published summaries"}
ABBREVIATIONS_LEAD = "Abbreviations: "


def define_figure_abbreviations(text: str, figure_texts) -> str:
    """``text`` (a :func:`caption`) completed with the definitions of the abbreviations that the figure's own
    texts (axis labels, row labels, legends) use and the caption does not define (:func:`define_abbreviations`
    with ``defined_in=text``). A reader meets "6MWD" on the axis and its meaning under the figure.

    The caption's "Abbreviations:" sentence is rebuilt in :func:`caption`'s order: it runs to the basis sentence
    (:data:`BASIS_ENDS`) that ends the caption, or to its end, so a definition holding a full stop ("i.e.") does not
    end it; without one, the sentence is added before the basis sentence.

    Examples
    --------
    >>> define_figure_abbreviations(caption("Change by arm", basis="published"), ["Change in 6MWD (m)"])
    'Change by arm. Abbreviations: 6MWD, 6-minute walk distance. From published summaries.'
    >>> define_figure_abbreviations(caption("TE-SAE by arm", basis="published"), ["6MWD", "TE-SAE"])
    'TE-SAE by arm. Abbreviations: TE-SAE, treatment-emergent serious adverse event; 6MWD, 6-minute walk distance. From published summaries.'
    """
    text = text or ""
    added = define_abbreviations(" \n ".join(map(str, figure_texts)), defined_in=text)
    if not added:
        return text
    body, tail = text.rstrip(), ""
    for end in BASIS_ENDS.values():
        if body.endswith(f"{end}.") and (body == f"{end}." or body.endswith(f". {end}.")):
            body, tail = body[:-len(end) - 1].rstrip(), end
            break
    body = body.rstrip(".").rstrip()
    head, lead, listed = body.rpartition(ABBREVIATIONS_LEAD)
    if lead:
        body = f"{head}{lead}{listed.rstrip('.').rstrip()}; {added}"
    else:
        body = (f"{body}. " if body else "") + f"{ABBREVIATIONS_LEAD}{added}"
    return f"{body}." + (f" {tail}." if tail else "")


#: Names that belong to the code or the data tables, never on a figure or in its caption: the collection's
#: parameter codes, ADaM table and variable names, snake_case identifiers (row and method names such as
#: ``change_from_baseline`` or ``vs_arm``) and "(s)" plurals ("1 event(s)").
_INTERNAL = re.compile(
    r"\b(?:SIXMWD|BCTNFA|TNFA|SF36PCS|SQOLF|TESAE30\w*|USUBJID|STUDYID|TRT01AN?|SAFFL|TRTEMFL|ANL01FL|DTYPE|"
    r"PARAMCD|AVISITN?|AVAL|ASTDY|AESER|AEDECOD|adsl|adeff|adae|adlb|adft|adqs|advs)\b"
    r"|\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b"
    r"|\w+\(s\)")
#: A hyphen-minus used as a minus sign: before a number where no word or bracket precedes it ("-0.5",
#: "[-2.1, 4.2]"), or standing alone between spaces ("k - 1"). The collection writes U+2212.
_HYPHEN_MINUS = re.compile(r"(?:(?<![\w)\]])-(?=\.?\d))|(?:(?<=\s)-(?=\s))")


def wording_problems(text: str) -> list[str]:
    """What keeps ``text`` (a caption, or a text drawn on a figure) from print: internal names and
    hyphen-minus signs, each quoted.

    Examples
    --------
    >>> wording_problems("Change in SIXMWD (the change_from_baseline rows), 1 event(s), CI [-2.1, 4.2]; k - 1 df")
    ["internal name 'SIXMWD'", "internal name 'change_from_baseline'", "internal name 'event(s)'", "hyphen-minus in '[-2.1'", "hyphen-minus in 'k - 1'"]
    >>> wording_problems("6-minute walk distance, SF-36, days 1\u201330, \u22122.1")
    []
    """
    text = text or ""
    found = [f"internal name {m.group(0)!r}" for m in _INTERNAL.finditer(text)]
    found += [f"hyphen-minus in {text[max(0, m.start() - 2):m.end() + 3].strip()!r}"
              for m in _HYPHEN_MINUS.finditer(text)]
    return found


def caption(shown: str, n: str | None = None, method: str | None = None, basis: str | None = None) -> str:
    """A figure caption in the collection's order: what is shown, n, the test or interval, the abbreviations
    it uses (:func:`define_abbreviations`), the basis.

    Parameters
    ----------
    shown : str
        What the figure shows, one sentence.
    n : str, optional
        The subjects, e.g. ``"n per arm: Placebo 10, 100M 10"``.
    method : str, optional
        The test and interval, e.g. ``"Mean and 95% t interval; paired t-test"``.
    basis : {"synthetic", "supplied", "published"}, optional
        The data's basis; synthetic data are named as such at the end of the caption.

    Examples
    --------
    >>> caption("Change in 6MWD by arm", "n per arm: Placebo 10, 100M 10", "Mean and 95% t interval",
    ...         "synthetic")
    'Change in 6MWD by arm. n per arm: Placebo 10, 100M 10. Mean and 95% t interval. Abbreviations: 6MWD, 6-minute walk distance. SYNTHETIC DATA: generated, not trial results.'
    """
    end = {**BASIS_ENDS, None: None}[basis]
    parts = [p.strip().rstrip(".") for p in (shown, n, method) if p and p.strip()]
    defined = define_abbreviations(". ".join(parts))
    if defined:
        parts.append(f"{ABBREVIATIONS_LEAD}{defined}")
    if end:
        parts.append(end)
    return ". ".join(parts) + "."


def read_caption(path) -> str:
    """The caption :func:`msc_frailty.style.save_figure` embedded in a PNG (its ``Description`` text
    chunk); "" when none.

    The text chunks that precede the image data are read without decoding the image; a chunk after the
    image data (which :func:`~msc_frailty.style.save_figure` never writes) is still found, by decoding it.
    """
    from PIL import Image

    with Image.open(path) as image:
        if "Description" in image.info:
            return image.info["Description"]
        return image.text.get("Description", "") if hasattr(image, "text") else ""


_SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def figure_basis(svg, default: str = "") -> str:
    """The basis stamped on a figure's face: the one :data:`msc_frailty.captions.BASIS_LABELS` label that a
    text of its SVG starts with; ``default`` when there is none or more than one (or no SVG).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> svg = pathlib.Path(tempfile.mkdtemp()) / "f.svg"
    >>> _ = svg.write_text('<svg><text x="1">Published summaries · published</text></svg>')
    >>> figure_basis(svg, "synthetic")
    'published'
    """
    path = Path(svg)
    if not path.is_file():
        return default
    texts = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in _SVG_TEXT.findall(path.read_text("utf-8"))]
    found = {basis for basis, label in BASIS_LABELS.items() if any(t.startswith(label) for t in texts)}
    return found.pop() if len(found) == 1 else default
