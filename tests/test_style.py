"""msc_frailty.style: fixed arm colours, journal sizes, deterministic PDF/SVG/PNG with the basis stamp."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from msc_frailty import style  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"

# Okabe & Ito (2008), "Color Universal Design": the eight colour-blind-safe colours.
OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}

# The arms of the three trials keep these colours in every figure; changing one is a deliberate act.
FIXED = {"Placebo": "#7F7F7F", "20M": "#CC79A7", "25M": "#56B4E9", "50M": "#009E73", "100M": "#0072B2",
         "200M": "#D55E00"}


# ------------------------------------------------------------------------------------- arm_color
def test_known_arms_have_fixed_distinct_colour_blind_safe_colours():
    got = {arm: style.arm_color(arm) for arm in FIXED}
    assert got == FIXED
    assert len(set(got.values())) == len(got)
    assert {c for a, c in got.items() if a != "Placebo"} <= OKABE_ITO


@pytest.mark.parametrize("label", ["placebo", "PLACEBO", " Placebo ", "pLaCeBo"])
def test_placebo_case_insensitive(label):
    assert style.arm_color(label) == FIXED["Placebo"]


def test_unknown_arm_colour_is_stable_across_processes():
    arms = ["Low", "High", "A", "B", "Control", "150M"]
    here = [style.arm_color(a) for a in arms]
    assert here == [style.arm_color(a) for a in arms]
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in here)
    assert not set(here) & set(FIXED.values())  # never mistaken for a known arm
    code = f"from msc_frailty.style import arm_color; print(' '.join(arm_color(a) for a in {arms!r}))"
    # another process with another str hash seed (Python's hash() would change colour; sha256 must not)
    res = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, timeout=60,
                         env={"PYTHONHASHSEED": "12345", "MPLBACKEND": "agg", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == here


def test_direction_label():
    assert style.direction_label("TNF", False).endswith("(lower is better)")
    assert style.direction_label("6MWD", True).endswith("(higher is better)")


# ----------------------------------------------------------------------------------- save_figure
def _make(width="single"):
    fig, ax = style.figure(width, height_mm=50, layout="constrained")
    ax.errorbar([0, 1, 2], [10.0, 25.0, 18.0], yerr=[3.0, 4.0, 5.0], fmt="o", color=style.arm_color("100M"))
    ax.plot([0, 2], [0, 0], color=style.arm_color("Placebo"))
    ax.set_xlabel("Arm")
    ax.set_ylabel(style.direction_label("Change in 6MWD (m)", True))
    ax.set_title("Toy forest")
    return fig


def _png_info(path):
    """(width, height, pixels per metre x, y, unit) from the PNG header and pHYs chunk."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    i = data.index(b"pHYs")
    ppm_x, ppm_y, unit = struct.unpack(">IIB", data[i + 4:i + 13])
    return width, height, ppm_x, ppm_y, unit


def test_save_figure_writes_three_formats(tmp_path):
    paths = style.save_figure(_make(), "forest", tmp_path, "TOY-1", "synthetic")
    assert [p.name for p in paths] == ["forest.pdf", "forest.svg", "forest.png"]
    assert all(p.parent == tmp_path / "figures" / "TOY-1" and p.stat().st_size > 0 for p in paths)
    pdf, svg, png = (p.read_bytes() for p in paths)
    assert pdf.startswith(b"%PDF")
    assert b"CreationDate" not in pdf and b"ModDate" not in pdf
    assert b"/FontFile2" in pdf  # TrueType embedded (pdf.fonttype 42) ...
    assert b"/Subtype /Type3" not in pdf and b"/Type3" not in pdf  # ... and no Type 3 fonts
    text = svg.decode()
    assert "<text" in text and "Toy forest" in text  # text kept as text (svg.fonttype none)
    assert "<dc:date>" not in text
    assert "SYNTHETIC DATA" in text and "TOY-1" in text
    width, height, ppm_x, ppm_y, unit = _png_info(paths[2])
    assert unit == 1 and ppm_x == ppm_y
    assert ppm_x * 0.0254 == pytest.approx(300, abs=0.01)  # 300 dpi
    assert width == pytest.approx(85 / 25.4 * 300, abs=1)  # 85 mm at 300 dpi
    assert height == pytest.approx(50 / 25.4 * 300, abs=1)


def test_png_dpi_read_by_pillow(tmp_path):
    from PIL import Image

    png = style.save_figure(_make("double"), "wide", tmp_path, "TOY-1", "supplied")[2]
    with Image.open(png) as im:
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert im.size[0] == pytest.approx(180 / 25.4 * 300, abs=1)



def test_png_is_the_image_matplotlib_writes_as_rgb(tmp_path):
    """The PNG is matplotlib's own PNG of the figure, pixel for pixel, with its text chunks and resolution:
    only written as RGB (every pixel is opaque) at PNG_COMPRESS_LEVEL."""
    import numpy as np
    from PIL import Image

    fig = _make()
    png = style.save_figure(fig, "forest", tmp_path / "ours", "TOY-1", "synthetic", caption="A toy forest of 6-minute walk distance.")[2]
    # matplotlib's PNG of the same figure: laid out as save_figure left it, the same stamp
    fig = _make()
    style.stamp(fig, "synthetic", "TOY-1")
    theirs = tmp_path / "theirs.png"
    with plt.rc_context(style.RC):
        fig.savefig(theirs, dpi=style.DPI, metadata={"Software": "msc_frailty", "Description": "A toy forest of 6-minute walk distance."})
    plt.close(fig)
    with Image.open(png) as ours, Image.open(theirs) as reference:
        assert (ours.mode, reference.mode) == ("RGB", "RGBA")
        assert np.array_equal(np.asarray(ours), np.asarray(reference)[..., :3])
        assert (np.asarray(reference)[..., 3] == 255).all()
        assert {k: ours.info[k] for k in ("Software", "Description", "dpi")} == \
               {k: reference.info[k] for k in ("Software", "Description", "dpi")}


def test_a_png_with_transparent_pixels_keeps_its_alpha(tmp_path):
    import numpy as np
    from PIL import Image

    rgba = np.full((2, 3, 4), 255, np.uint8)
    rgba[0, 0] = (10, 20, 30, 0)
    style.write_png(tmp_path / "t.png", rgba.tobytes(), (3, 2), {"Software": "msc_frailty"})
    with Image.open(tmp_path / "t.png") as image:
        assert image.mode == "RGBA" and np.array_equal(np.asarray(image), rgba)
    with pytest.raises(ValueError, match="3 x 3 pixels has 36 bytes, not 24"):
        style.write_png(tmp_path / "u.png", rgba.tobytes(), (3, 3), {})


def test_save_figure_is_byte_identical(tmp_path):
    first = style.save_figure(_make(), "forest", tmp_path / "a", "TOY-1", "synthetic")
    second = style.save_figure(_make(), "forest", tmp_path / "b", "TOY-1", "synthetic")
    for p, q in zip(first, second):
        assert p.read_bytes() == q.read_bytes(), p.suffix
    third = style.save_figure(_make(), "forest", tmp_path / "a", "TOY-1", "synthetic")  # overwrite
    assert [p.read_bytes() for p in third] == [q.read_bytes() for q in second]


@pytest.mark.parametrize("basis", ["supplied", "published"])
def test_no_synthetic_stamp_for_real_bases(tmp_path, basis):
    svg = style.save_figure(_make(), "f", tmp_path, "TOY-1", basis)[1].read_text()
    assert "SYNTHETIC" not in svg.upper()
    assert style.BASIS_LABELS[basis] in svg


@pytest.mark.parametrize("basis", ["real", "", "Synthetic", None])
def test_bad_basis_raises_and_writes_nothing(tmp_path, basis):
    fig = _make()
    with pytest.raises(ValueError):
        style.save_figure(fig, "f", tmp_path, "TOY-1", basis)
    assert not (tmp_path / "figures").exists()
    plt.close(fig)


def test_save_figure_does_not_depend_on_global_rcparams(tmp_path):
    # A notebook may make its figure with plain plt.subplots, or reset rcParams (seaborn.set_theme does)
    # after style.figure(). save_figure promises TrueType fonts in the PDF, text in the SVG and
    # byte-identical output regardless.
    def make():
        fig, ax = plt.subplots(figsize=(85 / 25.4, 2.0), layout="constrained")  # a print width
        ax.plot([0, 1], [0, 1])
        ax.set_title("Plain")
        return fig

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.use("agg")
        a = style.save_figure(make(), "plain", tmp_path / "a", "TOY-1", "synthetic")
        b = style.save_figure(make(), "plain", tmp_path / "b", "TOY-1", "synthetic")
    pdf, svg = a[0].read_bytes(), a[1].read_text()
    assert b"/FontFile2" in pdf and b"/Type3" not in pdf
    assert "<text" in svg and "SYNTHETIC DATA" in svg
    for p, q in zip(a, b):
        assert p.read_bytes() == q.read_bytes(), p.suffix


def _embedded_fonts(pdf: bytes):
    """The TrueType font programs embedded in a PDF (its Flate-compressed /FontFile2 streams), parsed."""
    import io
    import zlib

    from fontTools.ttLib import TTFont

    fonts = []
    for obj in re.finditer(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n", pdf, re.S):
        length = re.search(rb"/Length (\d+)", obj.group(2))
        if not length or b"/Length1" not in obj.group(2):      # /Length1: the stream is a TrueType program
            continue
        data = pdf[obj.end():obj.end() + int(length.group(1))]
        fonts.append(TTFont(io.BytesIO(zlib.decompress(data))))
    return fonts


def test_pdf_embeds_whole_truetype_subsets_without_layout_tables(tmp_path):
    # PDF viewers draw the glyphs where the content stream puts them; the layout tables are dropped to
    # make saving fast, everything a TrueType font program in a PDF needs (ISO 32000-1, 9.9) is kept
    pdf = style.save_figure(_make(), "forest", tmp_path, "TOY-1", "synthetic")[0].read_bytes()
    fonts = _embedded_fonts(pdf)
    assert fonts, "no embedded TrueType font found"
    for font in fonts:
        tables = set(font.keys())
        assert {"glyf", "loca", "head", "hhea", "hmtx", "maxp", "cmap"} <= tables
        assert not tables & set(style.LAYOUT_TABLES), tables
        assert font["maxp"].numGlyphs < 200            # a subset, not the whole font
    # the patch is scoped to saving: fontTools' own default options are untouched afterwards
    from fontTools import subset
    assert "GPOS" not in subset.Options().drop_tables


@pytest.mark.parametrize("text", ["Change \u2212 6MWD (m) \u00b1 SD \u2265 20, \u03b1 = 0.05", "Placebo 100M 200M",
                                  "\u0416\u0418\u0417\u041d\u042c"])   # the last: Cyrillic, outside the prepared glyphs
def test_font_subsets_from_the_prepared_font_are_the_file_subsets(text):
    # the speed-up must not change a byte: subsetting the per-process prepared font gives what matplotlib's
    # own subsetter gives from the font file, with the same glyph index map; glyphs outside it use the file
    from matplotlib import font_manager
    from matplotlib.backends import _backend_pdf_ps
    from matplotlib.ft2font import FT2Font

    path = font_manager.FontPath(font_manager.findfont("DejaVu Sans"), 0)
    glyphs = {FT2Font(path).get_char_index(ord(c)) for c in text}
    results = []
    with style._lean_font_subsets():
        assert _backend_pdf_ps.get_glyphs_subset is style._glyphs_subset     # what a PDF save calls
        for subsetter in (style._ORIGINAL_SUBSET, style._glyphs_subset):
            with subsetter(path, glyphs) as result:
                results.append((_backend_pdf_ps.font_as_file(result.font).getvalue(), dict(result.glyph_index_map)))
    assert results[0] == results[1]
    _, index = style._prepared_font(str(path), 0)
    assert (set(glyphs) <= index.keys()) == (not text.startswith("\u0416"))


# ------------------------------------------------------------------------------------- wrap_label
@pytest.mark.parametrize("text, width, expected", [
    ("100M", 14, "100M"),
    ("Placebo", 14, "Placebo"),
    ("Xanomeline Low Dose", 14, "Xanomeline Low\nDose"),
    ("Xanomeline High Dose", 14, "Xanomeline\nHigh Dose"),
    ("Allogeneic MSC Low Dose (100 million cells)", 14, "Allogeneic MSC\nLow Dose\n(100 million\ncells)"),  # a dose stays whole
    ("Supercalifragilistic", 8, "Supercal\nifragili\nstic"),   # one word longer than width: broken
    ("", 14, ""),
])
def test_wrap_label(text, width, expected):
    got = style.wrap_label(text, width)
    assert got == expected
    assert all(len(line) <= width for line in got.split("\n"))
    # words are never lost or broken when each fits on a line
    if all(len(w) <= width for w in text.split()):
        assert got.replace("\n", " ") == text


# ------------------------------------------------------------------ markers, print rules, captions
def test_known_arms_have_distinct_markers_and_unknown_arms_a_stable_spare():
    known = {a: style.arm_marker(a) for a in FIXED}
    assert len(set(known.values())) == len(known)        # greyscale: the marker alone tells arms apart
    assert style.arm_marker("placebo") == known["Placebo"]
    spare = style.arm_marker("Xanomeline Low Dose")
    assert spare == style.arm_marker("Xanomeline Low Dose") and spare not in known.values()
    assert style.arm_markers(["100M", "200M"]) == {"100M": "s", "200M": "^"}


def test_no_arm_marker_reads_as_an_arrow_but_the_two_triangles():
    """An arrow is the collection's glyph for a bound (figures.md): 25M's marker was "<", which read as one beside
    the bounds of safety_bounds and the Phase 2b figures. It is the hexagon "h" now, distinct from every other arm's
    marker and from the spares; only 20M and 200M keep their triangles (v, ^)."""
    from matplotlib.markers import MarkerStyle

    known = dict(style.ARM_MARKERS)
    assert known["25M"] == "h" and known["25M"] not in style.ARROW_LIKE_MARKERS
    assert {a for a, m in known.items() if m in style.ARROW_LIKE_MARKERS} == {"20M", "200M"}
    assert not [m for m in style._SPARE_MARKERS if m in style.ARROW_LIKE_MARKERS]
    spares = [MarkerStyle(m).get_marker() for m in style._SPARE_MARKERS]
    assert len(set(map(str, spares))) == len(spares)                        # the spares differ from each other
    assert not set(map(str, spares)) & set(map(str, known.values()))       # and from every known arm's marker
    assert "H" not in style._SPARE_MARKERS                                  # 25M's hexagon turned is no spare
    # every spare draws (a star given as (points, style, angle) included), and unknown arms of the toy data get
    # markers of their own
    for m in style._SPARE_MARKERS:
        assert MarkerStyle(m).get_path().vertices.size
    toy = [style.arm_marker(a) for a in ("Control", "Low", "High")]
    assert len(set(map(str, toy))) == 3


def test_print_problems_names_width_and_small_text():
    fig, ax = style.figure("double", 40)
    assert style.print_problems(fig) == []
    fig.set_figwidth(174 / 25.4)
    ax.set_xlabel("small", fontsize=5.5)
    problems = style.print_problems(fig)
    assert problems[0].startswith("the figure is 174.0 mm wide")
    assert problems[1] == "'small' is 5.5 pt (at least 6 pt)"
    plt.close(fig)


def test_print_check_refuses_and_leaves_no_file(tmp_path, monkeypatch):
    fig, ax = style.figure("single", 40)
    fig.subplots_adjust(bottom=0.3)
    ax.set_title("tiny", fontsize=4)
    with pytest.raises(ValueError, match=r"not fit to print: 'tiny' is 4 pt"):
        style.save_figure(fig, "tiny", tmp_path, "TOY-1", "supplied")
    assert not (tmp_path / "figures").exists()


def test_caption_is_embedded_in_png_pdf_and_svg(tmp_path):
    text = style.caption("Change in 6MWD by arm", "n per arm: Placebo 10, 100M 10", "Mean and 95% t interval",
                         "synthetic")
    assert text.endswith("SYNTHETIC DATA: generated, not trial results.")
    pdf, svg, png = style.save_figure(_make("single"), "captioned", tmp_path, "TOY-1", "synthetic", caption=text)
    assert style.read_caption(png) == text
    assert text.encode() in svg.read_bytes()
    assert b"/Subject (Change in 6MWD by arm" in pdf.read_bytes()
    plain = style.save_figure(_make("single"), "plain", tmp_path, "TOY-1", "synthetic")[2]
    assert style.read_caption(plain) == ""


def test_series_colours_are_never_an_arms_colour():
    arms = set(style.ARM_COLORS.values()) | set(style._SPARE)
    assert len(set(style.SERIES_COLORS)) == len(style.SERIES_COLORS)
    assert not {c.upper() for c in style.SERIES_COLORS} & {c.upper() for c in arms}


def test_off_scale_ends_marks_only_the_ends_beyond_the_axis():
    fig, ax = style.figure("single", 40)
    try:
        ax.set_xlim(-4, 4)
        glyphs = lambda: [(round(float(m.get_xdata()[0]), 3), m.get_ydata()[0]) for m in ax.lines  # noqa: E731
                          if m.get_marker() is style.OFF_SCALE_MARKER and m.get_markeredgecolor() != "white"]
        assert style.off_scale_ends(ax, 0.0, -8.16, 8.16, "k") == ["low", "high"]
        assert glyphs() == [(style.OFF_SCALE_INSET, 0.0), (1 - style.OFF_SCALE_INSET, 0.0)]
        # a missing end, an end on the axis and an interval inside mark nothing; xlim given in either order
        assert style.off_scale_ends(ax, 1.0, float("nan"), 4.0, "k") == []
        assert style.off_scale_ends(ax, 2.0, -1.0, 2.5, "k", xlim=(3.0, -3.0)) == []
        assert style.off_scale_ends(ax, 3.0, -1.0, 3.5, "k", xlim=(3.0, -3.0)) == ["high"]
        assert len(glyphs()) == 3
    finally:
        plt.close(fig)
