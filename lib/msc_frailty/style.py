"""One figure style for the whole collection.

- One fixed colour per arm everywhere (Okabe-Ito, colour-blind safe); :func:`arm_color`.
- Journal widths: 85 mm (single column) and 180 mm (double column); text at least 6 pt; one colour and one
  marker per arm (:func:`arm_marker`); one seaborn theme (:func:`use_theme`).
- :func:`save_figure` writes PDF (TrueType fonts embedded), SVG (text kept as text) and 300 dpi PNG,
  byte-deterministic, and stamps the basis of the data on the figure's face: a figure made from the
  synthetic default says "SYNTHETIC DATA" on it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import textwrap
import warnings
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import matplotlib
import numpy as np

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends import _backend_pdf_ps  # noqa: E402

from . import names  # noqa: E402
# re-exported: the caption helpers were first defined here
from .captions import BASIS_LABELS, caption, define_figure_abbreviations, read_caption  # noqa: E402,F401
from .paths import resolve  # noqa: E402

MM = 1 / 25.4
SINGLE_COLUMN = 85 * MM
DOUBLE_COLUMN = 180 * MM
DPI = 300

#: Fixed colours of the arms of the three trials (Okabe-Ito palette; placebo grey, pooled black).
ARM_COLORS = {
    "Placebo": "#7F7F7F",
    "20M": "#CC79A7",
    "25M": "#56B4E9",
    "50M": "#009E73",
    "100M": "#0072B2",
    "200M": "#D55E00",
    "All": "#000000",
}
#: Colours for arm labels the collection does not know (a user's data set), given by a stable hash.
_SPARE = ["#E69F00", "#882255", "#44AA99", "#999933", "#117733", "#332288", "#AA4499", "#DDCC77"]

BASIS_COLORS = {"synthetic": "#B2182B", "supplied": "#333333", "published": "#333333"}

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "axes.titlesize": 7.5,
    "axes.labelsize": 7,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "msc-frailty",
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "path.simplify": False,
    # a label from a data set is text, never TeX: "$\\frac$" in a PARAM must not stop a figure
    "text.parse_math": False,
}


def use_style():
    """Apply the collection's seaborn theme and rcParams (also called by :func:`figure`)."""
    use_theme()


def arm_color(arm: str) -> str:
    """The colour of an arm: fixed for known arms, a stable hash-based spare colour otherwise.

    Placebo is recognised case-insensitively.
    """
    return _for_arm(arm, ARM_COLORS, _SPARE)


def _for_arm(arm: str, known: dict, spare: list):
    """``known[arm]`` (placebo case-insensitively), else a spare chosen by a stable hash of the label (sha256:
    the same in every process, unlike ``hash()``)."""
    if arm in known:
        return known[arm]
    if str(arm).strip().lower() == "placebo":
        return known["Placebo"]
    h = int(hashlib.sha256(str(arm).encode()).hexdigest(), 16)
    return spare[h % len(spare)]


def figure(width: str = "single", height_mm: float = 60, **kwargs):
    """A new figure at a journal width (``"single"`` = 85 mm, ``"double"`` = 180 mm)."""
    use_style()
    w = {"single": SINGLE_COLUMN, "double": DOUBLE_COLUMN}[width]
    return plt.subplots(figsize=(w, height_mm * MM), **kwargs)


def direction_label(label: str, higher_is_better: bool) -> str:
    """An axis label that states which way is better, e.g. ``"Change in 6MWD (m)\\n(higher is better)"``."""
    return f"{label}\n({'higher' if higher_is_better else 'lower'} is better)"


#: The most lines a wrapped label keeps (:func:`wrap_label`): a longer one is shortened in the middle.
MAX_LABEL_LINES = 5
#: The mark of a label shortened to fit a figure.
ELLIPSIS = "\u2026"


_GLUE_COUNT = re.compile(r"(?<![\w])n = (?=\d)")
_GLUE_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) (?=[^\W\d_])")


def wrap_label(text, width: int = 14, max_lines: int = MAX_LABEL_LINES) -> str:
    r"""Wrap a label (an arm, a term) on word boundaries into lines of at most ``width`` characters.

    A long arm label such as ``"Xanomeline Low Dose"`` is wrapped instead of being cut at the figure's
    edge. A word is only broken when it alone is longer than ``width``. A label that would take more than
    ``max_lines`` lines (a 200-character arm label) keeps its first lines and its last, joined by an ellipsis:
    two labels that differ only at their end (the dose) stay apart.

    Parameters
    ----------
    text : str
        The label; anything else is turned into a string first.
    width : int
        The longest line, in characters.
    max_lines : int
        The most lines kept (at least 2).

    Returns
    -------
    str
        The lines joined by newlines (the label unchanged when it fits).

    Examples
    --------
    >>> wrap_label("Xanomeline Low Dose")
    'Xanomeline Low\nDose'
    >>> wrap_label("100M")
    '100M'
    >>> print(wrap_label("Exemplumab Low Dose (50 mg Once Daily) (n = 74)", 22))
    Exemplumab Low Dose
    (50 mg Once Daily)
    (n = 74)
    >>> print(wrap_label("Allogeneic mesenchymal stem cells from young donors, high dose (200 million cells)",
    ...                  20, max_lines=3))
    Allogeneic
    mesenchymal stem…
    (200 million cells)
    """
    text = str(text)
    if max_lines < 2:
        raise ValueError(f"max_lines must be at least 2, got {max_lines}")
    # a count and a dose stay whole: "(n = 70)" and "50 mg" are not broken after "(n" or "50" (textwrap does not
    # break at a no-break space, which becomes a plain space again after wrapping)
    glued = _GLUE_COUNT.sub("n\u00a0=\u00a0", text)
    glued = _GLUE_NUMBER.sub("\\1\u00a0", glued)
    # textwrap breaks a word only when it does not fit on a line of its own (break_long_words)
    lines = textwrap.wrap(glued, width=width, break_long_words=True, break_on_hyphens=False)
    if len(lines) > max_lines:
        lines = lines[:max_lines - 2] + [lines[max_lines - 2] + ELLIPSIS, lines[-1]]
    return "\n".join(line.replace("\u00a0", " ") for line in lines) if lines else text


def fit_label(text, width: int, max_lines: int = MAX_LABEL_LINES) -> str:
    r"""A label whose lines are at most ``width`` characters: each longer line wrapped by :func:`wrap_label`
    (at most ``max_lines`` lines each), the others kept as they are, so a label that fits is unchanged.

    Examples
    --------
    >>> fit_label("Change in 6MWD (m)\n(higher is better)", 36)
    'Change in 6MWD (m)\n(higher is better)'
    >>> print(fit_label("Change in Interleukin-6 Serum Concentration, Central Laboratory (pg/mL)", 36))
    Change in Interleukin-6 Serum
    Concentration, Central Laboratory
    (pg/mL)
    """
    return "\n".join(line if len(line) <= width else wrap_label(line, width, max_lines)
                     for line in str(text).split("\n"))


#: How far (in pixels at the figure's dpi) a text may reach past the canvas edge before it counts as cut.
CANVAS_TOLERANCE_PX = 1.0


@contextmanager
def _recording_texts():
    """Record the Text artists actually drawn (visible, non-empty) while the block draws, with their renderer.

    Recording the draw calls is what tells a drawn tick label from one of a tick outside the axis limits,
    which exists, is "visible", but is never drawn.
    """
    from matplotlib.text import Text

    drawn = {}
    original = Text.draw

    def recording_draw(self, rend):
        original(self, rend)
        if self.get_visible() and self.get_text().strip():
            drawn[self] = rend

    with mock.patch.object(Text, "draw", recording_draw):
        yield drawn


def _drawn_texts(fig, renderer) -> list:
    """Draw ``fig`` once and return the Text artists actually drawn, in order."""
    with _recording_texts() as drawn:
        fig.draw(renderer)
    return list(drawn)


def _outside_texts(texts, renderer, width: float, height: float, scale: float, tolerance_px: float) -> list:
    """The drawn ``texts`` whose extents reach past a ``width`` x ``height`` canvas, each with its description."""
    problems = []
    for text in texts:
        box = text.get_window_extent(renderer)
        past = {"left": -box.x0, "right": box.x1 - width, "bottom": -box.y0, "top": box.y1 - height}
        side, by = max(past.items(), key=lambda kv: kv[1])
        if by / scale > tolerance_px:
            problems.append((text, f"{text.get_text()!r} ({side} edge, {by / scale:.1f} px past)"))
    return problems


def _outside(texts, renderer, width: float, height: float, scale: float, tolerance_px: float) -> list[str]:
    """Descriptions of the drawn ``texts`` whose extents reach past a ``width`` x ``height`` canvas."""
    return [d for _, d in _outside_texts(texts, renderer, width, height, scale, tolerance_px)]


@contextmanager
def at_dpi(fig, dpi: float):
    """Temporarily set a figure's dpi (text measured at the dpi it is saved at: hinting makes Agg text
    a few per cent wider at 300 dpi than at 100)."""
    before = fig.dpi
    fig.set_dpi(dpi)
    try:
        yield fig
    finally:
        fig.set_dpi(before)


def text_outside_canvas(fig, tolerance_px: float = CANVAS_TOLERANCE_PX, dpi: float = DPI) -> list[str]:
    """The texts of a figure that run outside its canvas (cut off in the saved file).

    Draws the figure with an Agg renderer at the dpi of the saved PNG (running its layout engine, as
    saving does) and compares the window extent of every drawn Text artist (tick labels, axis labels,
    titles, legends, annotations, figure texts) with the figure's bounding box.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    tolerance_px : float
        How far a text may reach past an edge, in pixels at 100 dpi (anti-aliasing, rounding).
    dpi : float
        The dpi to draw at: :data:`DPI`, that of the PNG (text widths differ a little between dpis).

    Returns
    -------
    list of str
        One description per text outside, e.g. ``"'below critical' (right edge, 12.3 px past)"``;
        empty when every text is inside.

    Examples
    --------
    >>> fig, ax = figure("single", 40)
    >>> fig.subplots_adjust(bottom=0.3, top=0.85)
    >>> _ = ax.set_title("fits")
    >>> text_outside_canvas(fig)
    []
    >>> _ = fig.text(0.9, 0.5, "runs off the right edge")
    >>> text_outside_canvas(fig)  # doctest: +ELLIPSIS
    ["'runs off the right edge' (right edge, ... px past)"]
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # a figure made under another backend is measured as Agg would draw it
    with at_dpi(fig, dpi):
        renderer = fig.canvas.get_renderer()
        # distances reported in pixels at 100 dpi, whatever the dpi drawn at
        return _outside(_drawn_texts(fig, renderer), renderer, fig.bbox.width, fig.bbox.height, dpi / 100,
                        tolerance_px)


def _refuse(outside: list[str]):
    if outside:
        raise ValueError(f"{len(outside)} text(s) run outside the figure's canvas and would be cut off: "
                         + "; ".join(outside))


def check_canvas(fig):
    """Raise ValueError naming every text of ``fig`` that runs outside its canvas (:func:`text_outside_canvas`).

    Examples
    --------
    >>> fig, ax = figure("single", 40)
    >>> fig.subplots_adjust(bottom=0.3)
    >>> check_canvas(fig)
    """
    _refuse(text_outside_canvas(fig))


# --- texts of supplied data fitted to the canvas (issue 17) ------------------------------------------------
#
# A figure of the collection's own data (the embedded default, the published record) whose text runs off the
# canvas is a bug of the collection: refused (check_canvas, save_figure). A figure of a user's data set carries the
# data's own labels (PARAM, TRT01A, AVISIT, params.csv, studies.csv) at whatever length they come, and must never
# fail a run for one: what still runs outside after the figure functions' own wrapping (fit_label) is fitted here.

#: What :func:`fit_to_canvas` does to a text that is still outside the canvas, one step per round: wrap its lines
#: shorter, then set it at the smallest print size (:data:`MIN_FONT_PT`), then shorten it with an ellipsis.
FIT_STEPS = ("wrap", "wrap", "wrap", "shrink", "shorten", "shorten", "shorten", "shorten")


class FittedTextWarning(UserWarning):
    """A text of a figure was wrapped, set smaller or shortened to stay on the canvas (:func:`fit_to_canvas`)."""


def _tick_axis(fig, text):
    """The axis (x or y, of any axes of ``fig``) whose tick label ``text`` is; None for any other text."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.majorTicks[:] + axis.minorTicks[:]:
                if text is tick.label1 or text is tick.label2:
                    return axis
    return None


def _set_text(fig, text, new: str) -> bool:
    """Give ``text`` the words ``new``; a tick label through the labels of its axis's fixed ticks, which the next
    draw uses (a tick label of a free axis, a number, keeps its words). True when the text changed."""
    from matplotlib.ticker import FixedLocator

    old = text.get_text()
    if new == old:
        return False
    axis = _tick_axis(fig, text)
    if axis is not None:
        if not isinstance(axis.get_major_locator(), FixedLocator):
            return False
        locs = list(axis.get_major_locator().locs)
        labels = axis.get_major_formatter().format_ticks(locs)
        if old not in labels:
            return False
        # the same Tick and Text objects keep their properties (a bold heading row stays bold)
        axis.set_ticks(locs, [new if label == old else label for label in labels])
    text.set_text(new)
    return True


#: A number (a tick label, a count): set smaller when it must, never wrapped or shortened.
_NUMBER = re.compile(r"[\u2212+\-]?[\d.,]+\s*%?")


def _fit_step(fig, text, k: int, original: str) -> bool:
    """Step ``k`` of :data:`FIT_STEPS` on ``text`` (whose words were ``original`` before the first); False when it has
    nothing left to do."""
    step = FIT_STEPS[k]
    words = text.get_text()
    lines = words.split("\n")
    if step != "shrink" and _NUMBER.fullmatch(words.strip()):
        return False
    if step == "wrap":          # the original words, wrapped narrower at each wrap step: 60%, 36%, 22% of the longest line
        longest = max(len(line) for line in original.split("\n"))
        width = max(8, int(longest * 0.6 ** (FIT_STEPS[:k + 1].count("wrap"))))
        return longest > 8 and _set_text(fig, text, fit_label(original, width, max_lines=1000))
    if step == "shrink":
        if text.get_fontsize() <= MIN_FONT_PT + 1e-9:
            return False
        axis = _tick_axis(fig, text)
        if axis is not None:
            axis.set_tick_params(which="both", labelsize=MIN_FONT_PT)
        text.set_fontsize(MIN_FONT_PT)
        return True
    if len(lines) > 1:      # keep the first half of the lines
        keep = lines[:max(1, len(lines) // 2)]
        return _set_text(fig, text, "\n".join(keep[:-1] + [keep[-1].rstrip(ELLIPSIS) + ELLIPSIS]))
    line = lines[0].rstrip(ELLIPSIS)
    return len(line) > 2 and _set_text(fig, text, line[:max(1, int(len(line) * 0.6))] + ELLIPSIS)


def fit_to_canvas(fig, tolerance_px: float = CANVAS_TOLERANCE_PX, dpi: float = DPI) -> list[str]:
    """Fit every text of ``fig`` that runs outside its canvas: wrap it, set it at :data:`MIN_FONT_PT`, then shorten
    it with an ellipsis (:data:`FIT_STEPS`, one step a round, the figure laid out and measured again each round).

    For figures of a user's data set (:func:`save_figure` with ``basis="supplied"``): a label as long as the data
    make it never stops a run. What is still outside afterwards is refused by the caller.

    Returns
    -------
    list of str
        One line per text changed: its words before and after.

    Examples
    --------
    >>> fig, ax = figure("single", 40, layout="constrained")
    >>> _ = ax.set_ylabel("Change in Interleukin-6 Serum Concentration, Central Laboratory, of every subject (pg/mL)")
    >>> len(text_outside_canvas(fig)), len(fit_to_canvas(fig)), text_outside_canvas(fig)
    (1, 1, [])
    >>> plt.close(fig)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    steps, before, after = {}, {}, {}
    for _ in range(2 * len(FIT_STEPS)):
        with at_dpi(fig, dpi):
            renderer = fig.canvas.get_renderer()
            outside = _outside_texts(_drawn_texts(fig, renderer), renderer, fig.bbox.width, fig.bbox.height,
                                     dpi / 100, tolerance_px)
        moved = False
        for text, _ in outside:
            k = steps.get(text, 0)
            words = text.get_text()
            while k < len(FIT_STEPS) and not _fit_step(fig, text, k, before.get(text, words)):
                k += 1
            steps[text] = k + 1
            if k < len(FIT_STEPS):
                moved = True
                before.setdefault(text, words)
                after[text] = (text.get_text(), text.get_fontsize())
        if not moved:
            break
    # (a tick's Text may label another tick after the layout changes: what it said when it was fitted is reported)
    return [f"{old!r}" + (f" -> {after[t][0]!r}" if after[t][0] != old else "")
            + (f" at {after[t][1]:g} pt" if after[t][1] <= MIN_FONT_PT else "") for t, old in before.items()]


def stamp(fig, basis: str, study: str | None = None):
    """Write the basis of the data (and the study) on the figure's face, bottom left.

    The collection's own names for "no single study" (:data:`msc_frailty.names.RESERVED_STUDIES`: the
    published record, the whole data set) are not written: "Published summaries \u00b7 published" said it twice.
    """
    named = study and str(study).lower() not in names.RESERVED_STUDIES
    text = BASIS_LABELS[basis] + (f" \u00b7 {study}" if named else "")
    fig.text(0.005, 0.005, text, fontsize=MIN_FONT_PT, color=BASIS_COLORS[basis], ha="left", va="bottom",
             fontweight="bold" if basis == "synthetic" else "normal")


_SVG_ID = re.compile(r'id="([pmh][0-9a-f]{10})"')


def _stable_svg_ids(path: Path):
    """Rename matplotlib's hashed SVG ids (clip paths, markers, hatches) by order of appearance.

    The hashes cover the string of the clip path and its transform, which for some artists includes
    an object's memory address, so the same figure could get different ids in another process.
    """
    text = path.read_text(encoding="utf-8")
    ids = list(dict.fromkeys(_SVG_ID.findall(text)))
    if not ids:
        return
    names = {old: f"{old[0]}{i:05d}" for i, old in enumerate(ids, 1)}
    text = re.sub(r'(?<=id=")([pmh][0-9a-f]{10})(?=")|(?<=#)([pmh][0-9a-f]{10})(?=[)"])',
                  lambda m: names.get(m.group(0), m.group(0)), text)
    path.write_text(text, encoding="utf-8")


#: OpenType layout tables (substitution, positioning, kerning). A PDF places every glyph itself, so a font
#: embedded in it never uses them (ISO 32000-1, 9.9); decompiling them is most of matplotlib's font
#: subsetting time, and subsetting is most of the time of saving a PDF (BENCHMARKS.md).
LAYOUT_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern"]


#: Characters of the per-process prepared font (:func:`_prepared_font`): Latin, Greek, punctuation, super-
#: and subscripts, arrows, mathematical operators, geometric shapes. Only a speed-up: a PDF whose text
#: needs a glyph outside them is subset from the full font file, as matplotlib does.
PREPARED_RANGES = [(0x20, 0x24F), (0x370, 0x3FF), (0x2000, 0x206F), (0x2070, 0x209F), (0x2190, 0x21FF),
                   (0x2200, 0x22FF), (0x25A0, 0x25FF)]


#: matplotlib's own subsetter, which :func:`_glyphs_subset` calls
_ORIGINAL_SUBSET = _backend_pdf_ps.get_glyphs_subset


class _FontBytes(io.BytesIO):
    """A font file in memory, as matplotlib's subsetter expects a font path (with its face index)."""
    face_index = 0


@functools.lru_cache(maxsize=8)
def _prepared_font(fontfile: str, face_index: int) -> tuple[bytes, dict[int, int]]:
    """The font cut once per process to :data:`PREPARED_RANGES`, and its glyph index map (old -> new).

    Subsetting reads every glyph of the font file (6,000 in DejaVu Sans), for each PDF and font; cut to
    the 1,300 glyphs that figures use, it takes a fifth of the time. Subsetting the prepared font gives
    the same bytes as subsetting the file (a test compares them), with the same options.
    """
    from fontTools import subset

    font = subset.load_font(fontfile, subset.Options(font_number=face_index))
    codepoints = font.getBestCmap()
    names = [codepoints[u] for lo, hi in PREPARED_RANGES for u in range(lo, hi + 1) if u in codepoints]
    gids = {font.getGlyphID(n) for n in names}
    font.close()
    with _ORIGINAL_SUBSET(matplotlib.font_manager.FontPath(fontfile, face_index), gids) as prepared:
        return _backend_pdf_ps.font_as_file(prepared.font).getvalue(), dict(prepared.glyph_index_map)


@contextmanager
def _glyphs_subset(fontfile, glyphs):
    """matplotlib's ``get_glyphs_subset``, from the :func:`_prepared_font` when it holds every glyph."""
    glyphs = set(glyphs)
    data, index = _prepared_font(str(fontfile), getattr(fontfile, "face_index", 0))
    if not glyphs <= index.keys():
        with _ORIGINAL_SUBSET(fontfile, glyphs) as result:
            yield result
        return
    with _ORIGINAL_SUBSET(_FontBytes(data), {index[g] for g in glyphs}) as result:
        kept = result.glyph_index_map   # the glyphs asked for and those the subsetter adds (.notdef, ...)
        yield _backend_pdf_ps.SubsetResults(result.font, {old: kept[new] for old, new in index.items() if new in kept})


@contextmanager
def _lean_font_subsets():
    """While a PDF is saved, font subsets drop :data:`LAYOUT_TABLES` and start from :func:`_prepared_font`."""
    from fontTools import subset

    class Options(subset.Options):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.drop_tables = [*self.drop_tables, *LAYOUT_TABLES]

    with mock.patch.object(subset, "Options", Options), \
            mock.patch.object(_backend_pdf_ps, "get_glyphs_subset", _glyphs_subset):
        yield


#: zlib level of the PNGs. With opaque pixels written as RGB, level 3 made the collection's 46 PNGs 5% smaller
#: in all than matplotlib's RGBA at level 6, compressed in half the time (``BENCHMARKS.md``).
PNG_COMPRESS_LEVEL = 3


def write_png(path, rgba, size: tuple[int, int], metadata: dict) -> None:
    """Write an Agg canvas (``savefig(format="rgba")``) as the PNG ``matplotlib`` would, but as RGB when every
    pixel is opaque (the same image with a quarter less to compress) and at :data:`PNG_COMPRESS_LEVEL`.

    The text chunks (``metadata``, in order) and the resolution (:data:`DPI`) are those ``savefig`` writes.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> fig = plt.figure(figsize=(1, 0.5))
    >>> buffer = io.BytesIO()
    >>> fig.savefig(buffer, format="rgba", dpi=DPI)
    >>> path = Path(tempfile.mkdtemp()) / "blank.png"
    >>> write_png(path, buffer.getbuffer(), (300, 150), {"Software": "msc_frailty"})
    >>> with Image.open(path) as image:
    ...     image.mode, image.size, image.info["Software"], [round(v) for v in image.info["dpi"]]
    ('RGB', (300, 150), 'msc_frailty', [300, 300])
    >>> plt.close(fig)
    """
    from PIL import Image, PngImagePlugin

    width, height = size
    pixels = np.frombuffer(rgba, np.uint8)
    if pixels.size != width * height * 4:
        raise ValueError(f"an RGBA canvas of {width} x {height} pixels has {width * height * 4} bytes, "
                         f"not {pixels.size}")
    pixels = pixels.reshape(height, width, 4)
    opaque = bool((pixels[..., 3] == 255).all())
    image = Image.fromarray(np.ascontiguousarray(pixels[..., :3]) if opaque else pixels)
    info = PngImagePlugin.PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    image.save(path, format="png", pnginfo=info, dpi=(DPI, DPI), compress_level=PNG_COMPRESS_LEVEL)


def _render_png(fig):
    """The figure drawn for its PNG: the pixels, the texts drawn (with their renderer), the size and the texts that
    run outside the canvas."""
    # the texts the PNG draw draws are measured on its own renderer (no extra draw)
    with _recording_texts() as drawn:
        pixels = io.BytesIO()
        fig.savefig(pixels, format="rgba", dpi=DPI, bbox_inches=None)
    with at_dpi(fig, DPI):
        size = int(fig.bbox.width), int(fig.bbox.height)   # as Agg sizes its canvas
        renderer = next(iter(drawn.values()), None)
        outside = _outside(drawn, renderer, fig.bbox.width, fig.bbox.height, DPI / 100,
                           CANVAS_TOLERANCE_PX) if drawn else []
    return pixels, drawn, size, outside


def save_figure(fig, name: str, output_dir, study: str, basis: str, caption: str | None = None,
                fit: bool | None = None) -> list[Path]:
    """Stamp the basis and write ``<output_dir>/figures/<study>/<name>.{pdf,svg,png}``.

    Output is byte-deterministic: no creation date in PDF or SVG, fixed SVG hash salt, fixed DPI. Fonts
    are embedded in the PDF as TrueType subsets without their layout tables (:data:`LAYOUT_TABLES`).

    ``caption`` (:func:`caption`) is embedded in each file: the PNG's ``Description`` text chunk
    (:func:`read_caption`), the PDF's ``Subject``, the SVG's ``dc:description``; the abbreviations the figure's
    drawn texts use are defined in it too (:func:`msc_frailty.captions.define_figure_abbreviations`).

    ``study`` and ``name`` must each be one safe file name (:func:`msc_frailty.names.component_problem`),
    and the files must resolve inside ``<output_dir>/figures``; otherwise nothing is written.

    ``fit`` (default: ``basis == "supplied"``): a text that runs outside the canvas is fitted to it
    (:func:`fit_to_canvas`: wrapped, set at 6 pt, shortened), with a :class:`FittedTextWarning` naming it, instead
    of refusing the figure. A user's data set brings labels of any length and a label never stops its run; a
    figure of the collection's own data (``"synthetic"``, ``"published"``) stays strict, since a text outside its
    canvas is a bug of the collection.

    Returns
    -------
    list of Path
        The three files written.

    Raises
    ------
    ValueError
        On an unknown basis, a study or name that is not a safe file name, or a text (label, legend,
        annotation, the stamp) that runs outside the canvas (:func:`check_canvas`; with ``fit``, one still outside
        after :func:`fit_to_canvas`).
    """
    if basis not in BASIS_LABELS:
        raise ValueError(f"basis must be one of {sorted(BASIS_LABELS)}, got {basis!r}")
    names.check_component(study, "study")
    names.check_component(name, "figure name")
    # checked before the first file is written, so a refused name leaves no partial set behind
    folder = names.inside(names.inside(resolve(output_dir), "figures"), study)
    targets = {ext: names.inside(folder, f"{name}.{ext}") for ext in ("png", "pdf", "svg")}
    stamp(fig, basis, study)
    created = [d for d in (folder.parent, folder) if not d.exists()]   # removed again if the figure is refused
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    metadata = {
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": "msc_frailty", "Producer": "matplotlib"},
        "svg": {"Date": None, "Creator": "msc_frailty"},
        "png": {"Software": "msc_frailty"},
    }
    if caption:
        metadata["pdf"]["Subject"] = caption
        metadata["svg"]["Description"] = caption
        metadata["png"]["Description"] = caption
    # the output settings (embedded fonts, text as text, hash salt) must not depend on global state
    with plt.rc_context(RC):
        for ext in ("png", "pdf", "svg"):
            path = targets[ext]
            if ext == "pdf":
                with _lean_font_subsets():
                    fig.savefig(path, format=ext, metadata=metadata[ext], dpi=DPI, bbox_inches=None)
            elif ext == "png":
                # a label cut at the edge of a figure is a wrong figure: refused (a refused figure leaves no file
                # behind), or for a user's data set fitted to the canvas and drawn again
                pixels, drawn, size, outside = _render_png(fig)
                if outside and (basis == "supplied" if fit is None else fit):
                    fitted = fit_to_canvas(fig)
                    if fitted:
                        warnings.warn(f"figure {name!r}: {len(fitted)} text(s) fitted to the canvas: "
                                      + "; ".join(fitted), FittedTextWarning, stacklevel=2)
                    pixels, drawn, size, outside = _render_png(fig)
                # a figure a journal would refuse is a wrong figure too: print width, text >= 6 pt
                unfit = print_problems(fig, list(drawn))
                if caption:
                    # the abbreviations on the figure's face (axis, row and legend labels) defined under it too
                    full = define_figure_abbreviations(caption, [t.get_text() for t in drawn])
                    for kind, key in (("pdf", "Subject"), ("svg", "Description"), ("png", "Description")):
                        metadata[kind][key] = full
                if outside or unfit:
                    for d in reversed(created):
                        d.rmdir()
                    plt.close(fig)
                    _refuse(outside)
                    raise ValueError(f"figure {name!r} is not fit to print: " + "; ".join(unfit))
                write_png(path, pixels.getbuffer(), size, metadata[ext])
            else:
                fig.savefig(path, format=ext, metadata=metadata[ext], dpi=DPI, bbox_inches=None)
            if ext == "svg":
                _stable_svg_ids(path)
            if ext == "png":
                # the layout (constrained or tight) is computed once, for the PNG, and kept for the PDF and
                # SVG: the same arrangement in all three, and a quarter less time than laying it out thrice
                fig.set_layout_engine("none")
            paths.append(path)
    plt.close(fig)
    return sorted(paths, key=lambda p: ("pdf", "svg", "png").index(p.suffix[1:]))


# --- markers, theme, print rules and captions (issue 9) -------------------------------------------

#: One marker per arm, so arms stay apart in greyscale and for readers who do not see the colours. None is
#: arrow-like beyond the two triangles of 20M and 200M: an arrow is the collection's glyph for a bound.
ARM_MARKERS = {"Placebo": "o", "20M": "v", "25M": "h", "50M": "D", "100M": "s", "200M": "^", "All": "P"}
#: Markers of arms the collection does not know (a stable hash picks one): no arrow-like triangle (< >) and not
#: the hexagon "H", which is 25M's "h" turned; six- and four-pointed stars ((points, 1, angle)) fill the list out.
_SPARE_MARKERS = ["X", "*", "d", (6, 1, 0), (4, 1, 0), "p", "8"]
#: Markers that read as an arrow, the collection's glyph for a bound (figures.md): triangles and tri-stars. Only
#: 20M ("v") and 200M ("^") keep a triangle; no other arm, known or spare, has one.
ARROW_LIKE_MARKERS = ("<", ">", "^", "v", "1", "2", "3", "4", 4, 5, 6, 7)

#: Colours for lines that are not arms (priors, assumed SDs): never the colour of an arm, known or spare, so a
#: colour always means the same arm across the collection.
SERIES_COLORS = ["#404040", "#7B3294", "#A6611A"]

#: The print widths a figure may have (mm): one journal column or two.
WIDTHS_MM = (85.0, 180.0)
#: The smallest text a figure may carry, in points at its print size.
MIN_FONT_PT = 6.0


def arm_marker(arm: str) -> str:
    """The marker of an arm: fixed for known arms, a stable hash-based spare marker otherwise.

    Examples
    --------
    >>> arm_marker("100M"), arm_marker("placebo")
    ('s', 'o')
    """
    return _for_arm(arm, ARM_MARKERS, _SPARE_MARKERS)


def arm_palette(arms) -> dict:
    """``{arm: colour}`` for seaborn's ``palette=`` (:func:`arm_color`).

    Examples
    --------
    >>> arm_palette(["Placebo", "100M"])
    {'Placebo': '#7F7F7F', '100M': '#0072B2'}
    """
    return {a: arm_color(a) for a in arms}


def arm_markers(arms) -> dict:
    """``{arm: marker}`` for seaborn's ``markers=`` (:func:`arm_marker`)."""
    return {a: arm_marker(a) for a in arms}


def arm_n_label(arm: str, n) -> str:
    """An arm's label with its number of subjects, as every figure shows it.

    Examples
    --------
    >>> arm_n_label("100M", 10)
    '100M (n = 10)'
    """
    return f"{arm} (n = {int(n)})"


def print_problems(fig, texts=None) -> list[str]:
    """What keeps ``fig`` from print: a width other than :data:`WIDTHS_MM`, text under :data:`MIN_FONT_PT`.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    texts : iterable of matplotlib.text.Text, optional
        The texts drawn (as :func:`save_figure` records them); default: every visible, non-empty text
        of the figure (which may include tick labels that are never drawn).

    Returns
    -------
    list of str
        One description per problem; empty when the figure is fit to print.

    Examples
    --------
    >>> fig, ax = figure("single", 40)
    >>> print_problems(fig)
    []
    >>> _ = ax.text(0.5, 0.5, "tiny", fontsize=4)
    >>> print_problems(fig)
    ["'tiny' is 4 pt (at least 6 pt)"]
    """
    from matplotlib.text import Text

    problems = []
    width_mm = fig.get_figwidth() * 25.4
    if not any(abs(width_mm - w) < 0.01 for w in WIDTHS_MM):
        problems.append(f"the figure is {width_mm:.1f} mm wide (print widths: "
                        + " or ".join(f"{w:g} mm" for w in WIDTHS_MM) + ")")
    if texts is None:
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    for text in texts:
        size = text.get_fontsize()
        if size < MIN_FONT_PT - 1e-9:
            problems.append(f"{text.get_text()!r} is {size:g} pt (at least {MIN_FONT_PT:g} pt)")
    return problems


def use_theme():
    """The collection's seaborn theme: ticks style, the rcParams :data:`RC`, the Okabe-Ito arm colours."""
    import seaborn as sns

    sns.set_theme(context="paper", style="ticks", palette=[c for a, c in ARM_COLORS.items() if a != "All"],
                  font=RC["font.family"], rc=RC)


# --- seaborn figures (issue 9) ---


# --- published figures (issue 9) ---

#: Room kept free at the bottom of a :func:`stamped_figure` for the basis stamp of :func:`save_figure` (mm).
STAMP_ROOM_MM = 3.5


def stamped_figure(width: str = "single", height_mm: float = 60.0, **kwargs):
    """A constrained-layout figure at a print width that keeps the bottom strip free for :func:`stamp`.

    The layout engine fits tick labels, axis labels, titles and legends inside the canvas; the stamp,
    which :func:`save_figure` adds later, gets the bottom :data:`STAMP_ROOM_MM`.

    Parameters
    ----------
    width : {"single", "double"}
        85 mm or 180 mm.
    height_mm : float
    **kwargs
        Passed to :func:`matplotlib.pyplot.subplots` (``ncols``, ``sharey``, ``gridspec_kw``, ...).

    Examples
    --------
    >>> fig, ax = stamped_figure("single", 40)
    >>> float(round(fig.get_figwidth() * 25.4, 1)), fig.get_layout_engine().get()["rect"][1] == STAMP_ROOM_MM / 40
    (85.0, True)
    """
    fig, axes = figure(width, height_mm, layout="constrained", **kwargs)
    bottom = STAMP_ROOM_MM / height_mm
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom), h_pad=2 / 72, w_pad=2 / 72)
    return fig, axes


# --- the words on an axis of a difference, and panel letters (issue 16) -------------------------------

#: Size (pt) of the "favours" cue of :func:`favours` and of :func:`panel_letters`.
CUE_PT = 6.0
LETTER_PT = 8.0


def favours(ax, low: str, high: str, color: str = "0.3"):
    """Write the direction cue of an x axis of a difference at its two ends, just above the axes: ``"\u2190 favours
    <low>"`` at the left and ``"favours <high> \u2192"`` at the right.

    Call it only where the direction is known (the parameter says which way is better); "higher is better"
    belongs on an axis of the outcome itself, never on a difference axis as well.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    low, high : str
        What a value at the low end and at the high end favours, e.g. ``"100M"`` and ``"200M"``.

    Returns
    -------
    list of matplotlib.text.Text
        The two texts.

    Examples
    --------
    >>> fig, ax = figure("single", 40)
    >>> [t.get_text() for t in favours(ax, "100M", "200M")]
    ['\u2190 favours 100M', 'favours 200M \u2192']
    >>> plt.close(fig)
    """
    return [ax.annotate(f"\u2190 favours {low}", (0, 1), xycoords="axes fraction", xytext=(0, 2),
                        textcoords="offset points", ha="left", va="bottom", fontsize=CUE_PT, color=color),
            ax.annotate(f"favours {high} \u2192", (1, 1), xycoords="axes fraction", xytext=(0, 2),
                        textcoords="offset points", ha="right", va="bottom", fontsize=CUE_PT, color=color)]


def panel_letters(axes, start: int = 0):
    """Bold lower-case panel letters (a, b, c, ...) at the top left of each of ``axes``, outside the plot area,
    in the order given; captions refer to the panels by these letters.

    Returns
    -------
    list of str
        The letters written.

    Examples
    --------
    >>> fig, axes = figure("double", 40, ncols=3)
    >>> panel_letters(axes)
    ['a', 'b', 'c']
    >>> plt.close(fig)
    """
    letters = []
    for i, ax in enumerate(np.ravel(axes)):
        letter = "abcdefghijklmnopqrstuvwxyz"[start + i]
        ax.annotate(letter, (0, 1), xycoords="axes fraction", xytext=(-4, 4), textcoords="offset points",
                    ha="right", va="bottom", fontsize=LETTER_PT, fontweight="bold", annotation_clip=False)
        letters.append(letter)
    return letters


# --- the off-scale mark (issue 16; appended by the safety, cohort and published-summary figures lane) ---------
#
# One glyph, one meaning across the collection (figures.md): an arrow is a bound ("at least"), never "off scale".
# A value beyond a capped axis gets an axis-break mark instead: two short slanted strokes across the line, just
# inside the edge it runs past, with the value written beside the row.

from matplotlib.path import Path as _MarkerPath  # noqa: E402

#: The off-scale glyph: two parallel slanted strokes (an axis break), used as a matplotlib marker.
OFF_SCALE_MARKER = _MarkerPath([(-0.55, -1.0), (-0.05, 1.0), (0.05, -1.0), (0.55, 1.0)],
                               [_MarkerPath.MOVETO, _MarkerPath.LINETO, _MarkerPath.MOVETO, _MarkerPath.LINETO])
#: Size (pt) of the off-scale glyph, and how far inside the axes edge it stands (fraction of the axes width).
OFF_SCALE_PT = 6.0
OFF_SCALE_INSET = 0.018


def _off_scale_marks(color, **kw):
    """The two layers of the off-scale glyph: a white gap that cuts the line, then the strokes in ``color``."""
    common = {"marker": OFF_SCALE_MARKER, "markersize": OFF_SCALE_PT, "markerfacecolor": "none", "linestyle": "none"}
    return [{**common, **kw, "markeredgewidth": 3.2, "markeredgecolor": "white"},
            {**common, **kw, "markeredgewidth": 0.9, "markeredgecolor": color}]


def off_scale(ax, y, side: str, color="0.2"):
    """Mark, on the row at data ``y``, a value or interval end beyond the x axis of ``ax``: the off-scale glyph
    (:data:`OFF_SCALE_MARKER`) just inside the ``"low"`` or ``"high"`` edge. Write the value beside the row.

    Returns
    -------
    list of matplotlib.lines.Line2D
        The two layers drawn (a white gap, then the strokes).

    Examples
    --------
    >>> fig, ax = figure("single", 40)
    >>> _ = ax.set_xlim(0, 4)
    >>> marks = off_scale(ax, 0.0, "high", "#0072B2")
    >>> [float(m.get_xdata()[0]) for m in marks], marks[-1].get_marker() is OFF_SCALE_MARKER
    ([0.982, 0.982], True)
    >>> plt.close(fig)
    """
    from matplotlib.transforms import blended_transform_factory

    if side not in ("low", "high"):
        raise ValueError(f"side must be 'low' or 'high', got {side!r}")
    x = OFF_SCALE_INSET if side == "low" else 1 - OFF_SCALE_INSET
    transform = blended_transform_factory(ax.transAxes, ax.transData)
    return [ax.plot([x], [y], transform=transform, clip_on=False, zorder=4, **layer)[0]
            for layer in _off_scale_marks(color)]


def off_scale_ends(ax, y, lo, hi, color="0.2", xlim=None):
    """Mark each end of the interval ``[lo, hi]`` on the row at data ``y`` that lies beyond ``xlim`` (by default the
    x limits of ``ax``) with the off-scale glyph (:func:`off_scale`), the low end first; a missing end is not marked.

    Returns
    -------
    list of str
        The sides marked (``"low"``, ``"high"``).

    Examples
    --------
    >>> fig, ax = figure("single", 40)
    >>> _ = ax.set_xlim(-4, 4)
    >>> off_scale_ends(ax, 0.0, -8.16, 8.16), off_scale_ends(ax, 1.0, -1.0, 5.0), off_scale_ends(ax, 2.0, -1.0, 1.0)
    (['low', 'high'], ['high'], [])
    >>> plt.close(fig)
    """
    x0, x1 = sorted(ax.get_xlim() if xlim is None else xlim)
    sides = [side for side, past in (("low", lo < x0), ("high", hi > x1)) if past]
    for side in sides:
        off_scale(ax, y, side, color)
    return sides


def off_scale_handle(color="0.3"):
    """A legend handle of the off-scale glyph on a line: pass it with ``handler_map={tuple: HandlerTuple(ndivide=1, pad=0)}``
    (matplotlib.legend_handler), and its label with ``labels=``.

    Examples
    --------
    >>> from matplotlib.legend_handler import HandlerTuple
    >>> fig, ax = figure("single", 40)
    >>> legend = ax.legend([off_scale_handle()], ["beyond the axis"], handler_map={tuple: HandlerTuple(ndivide=1, pad=0)})
    >>> [t.get_text() for t in legend.get_texts()]
    ['beyond the axis']
    >>> plt.close(fig)
    """
    from matplotlib.lines import Line2D

    line = Line2D([], [], color=color, lw=1.2)
    return (line, *(Line2D([], [], **layer) for layer in _off_scale_marks(color)))
