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


def caption(shown: str, n: str | None = None, method: str | None = None, basis: str | None = None) -> str:
    """A figure caption in the collection's order: what is shown, n, the test or interval, the basis.

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
    'Change in 6MWD by arm. n per arm: Placebo 10, 100M 10. Mean and 95% t interval. SYNTHETIC DATA: generated, not trial results.'
    """
    end = {"synthetic": "SYNTHETIC DATA: generated, not trial results", "supplied": "Supplied patient-level data",
           "published": "From published summaries", None: None}[basis]
    parts = [p.strip().rstrip(".") for p in (shown, n, method, end) if p and p.strip()]
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
