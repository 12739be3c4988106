"""The words on every figure and in every caption are a reader's words (issue 16, ``figures.md``): no parameter
code, ADaM name or row name, no "event(s)", one minus sign (U+2212), and every abbreviation a caption uses
defined in that caption. Read from every SVG (text is kept as text) and from ``captions.csv`` of the default
run, which another test compares byte for byte with the committed figures.
"""

from __future__ import annotations

import csv
import html
import re

import pytest

from msc_frailty import captions

_TEXT = re.compile(r"<(text|dc:description)\b[^>]*>(.*?)</\1>", re.S)


def svg_texts(path) -> list[str]:
    """Every text of a figure's SVG: those drawn (tspans joined) and the caption embedded in its metadata,
    entities decoded."""
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for _, t in _TEXT.findall(path.read_text("utf-8"))]


# --- the checks themselves (they must be able to fail) ------------------------------------------------------

@pytest.mark.parametrize("text, problem", [
    ("Change in SIXMWD (m)", "internal name 'SIXMWD'"),
    ("every subject in adsl", "internal name 'adsl'"),
    ("Mean change (the change_from_baseline rows)", "internal name 'change_from_baseline'"),
    ("ANCOVA (vs_arm)", "internal name 'vs_arm'"),
    ("slope (linear_trend)", "internal name 'linear_trend'"),
    ("1 event(s)", "internal name 'event(s)'"),
    ("estimate -3.48 [-42.15, 35.18]", "hyphen-minus in 'e -3.4'"),
    ("t on k - 1 df", "hyphen-minus in 'k - 1'"),
])
def test_wording_problems_are_found(text, problem):
    assert problem in captions.wording_problems(text)


@pytest.mark.parametrize("text", ["6-minute walk distance (m)", "SF-36 physical component", "TE-SAE on days 1\u201330",
                                  "\u22123.48 [\u221242.15, 35.18]", "B-cell TNF-\u03b1", "200M \u2212 100M"])
def test_plain_words_pass(text):
    assert captions.wording_problems(text) == []


def test_a_caption_defines_each_abbreviation_it_uses_once():
    text = captions.caption("TE-SAE by arm with exact 95% CI; HKSJ interval of the DL estimate", "n = 10 per arm",
                            "Clopper-Pearson", "published")
    assert captions.undefined_abbreviations(text) == []
    assert text.count("treatment-emergent serious adverse event") == 1
    assert "DerSimonian-Laird" in text and "Hartung-Knapp-Sidik-Jonkman" in text
    # a caption written around caption() is caught
    assert captions.undefined_abbreviations("TE-SAE by arm, 95% CI.") == ["TE-SAE", "CI"]


def test_the_figures_abbreviations_join_the_captions_sentence_whatever_its_definitions_hold(monkeypatch):
    # a definition with full stops of its own ("i.e.") does not end the Abbreviations sentence
    monkeypatch.setitem(captions.ABBREVIATIONS, "SD", "standard deviation (i.e. the spread of the values)")
    text = captions.caption("Change by arm, mean and SD", basis="synthetic")
    assert text == ("Change by arm, mean and SD. Abbreviations: SD, standard deviation (i.e. the spread of the values). "
                    "SYNTHETIC DATA: generated, not trial results.")
    assert captions.define_figure_abbreviations(text, ["6MWD (m)", "SD"]) == (
        "Change by arm, mean and SD. Abbreviations: SD, standard deviation (i.e. the spread of the values); 6MWD, "
        "6-minute walk distance. SYNTHETIC DATA: generated, not trial results.")
    # no basis sentence: the definitions end the caption; nothing to add: the caption as it was
    assert captions.define_figure_abbreviations("Change by arm", ["6MWD"]) == (
        "Change by arm. Abbreviations: 6MWD, 6-minute walk distance.")
    assert captions.define_figure_abbreviations("6MWD, 6-minute walk distance, by arm.", ["6MWD"]) == (
        "6MWD, 6-minute walk distance, by arm.")
    assert captions.define_abbreviations("SD and 6MWD", defined_in=text) == "6MWD, 6-minute walk distance"


def test_counts_and_lists_in_a_readers_words():
    assert [captions.plural(k, "event") for k in (0, 1, 2)] == ["0 events", "1 event", "2 events"]
    assert captions.plural(1.0, "month") == "1 month" and captions.plural(12.0, "month") == "12 months"
    assert [captions.number_word(k) for k in (0, 1, 9, 10)] == ["no", "one", "nine", "10"]
    assert [captions.join_and(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b and c"]
    # nothing they write is an internal name ("event(s)")
    assert captions.wording_problems(" ".join(captions.plural(k, "event") for k in range(3))) == []


# --- every figure and caption of the default run ---------------------------------------------------------

def test_no_figure_carries_an_internal_name_or_a_hyphen_minus(default_run):
    svgs = sorted((default_run / "figures").rglob("*.svg"))
    assert svgs
    problems = [f"{svg.relative_to(default_run)}: {p}" for svg in svgs for t in svg_texts(svg)
                for p in captions.wording_problems(t)]
    assert problems == []


def undefined_on_figure(svg) -> list[str]:
    """The abbreviations drawn on a figure (its SVG's texts) that the caption embedded in it does not define; a
    figure without an embedded caption is a failure of its own."""
    text = svg.read_text("utf-8")
    drawn = " \n ".join(html.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", text, re.S))
    description = html.unescape("".join(re.findall(r"<dc:description>(.*?)</dc:description>", text, re.S)))
    assert description, f"{svg} has no caption"
    return captions.undefined_abbreviations(drawn, defined_in=description)


def test_save_figure_defines_what_the_figure_shows_and_the_check_sees_a_caption_written_around_it(tmp_path):
    """save_figure completes a bare caption with the definitions of the abbreviations drawn on the figure; the
    check of the default run (:func:`undefined_on_figure`) catches a figure saved around it with the same caption."""
    import matplotlib.pyplot as plt

    from msc_frailty import style

    def toy():
        fig, ax = style.stamped_figure("single", 45)
        ax.plot([0, 1], [0, 1])
        ax.set(xlabel="Change in 6MWD (m)", ylabel="Implied dz")
        return fig

    bare = "Change by arm, toy data"
    paths = {p.suffix: p for p in style.save_figure(toy(), "toy", tmp_path, "S1", "synthetic", caption=bare)}
    embedded = captions.read_caption(paths[".png"])
    assert embedded.startswith(bare + ". Abbreviations: ")
    assert "6MWD, 6-minute walk distance" in embedded and "dz, standardized mean change" in embedded
    assert undefined_on_figure(paths[".svg"]) == []
    # the same figure written by matplotlib itself, with the same bare caption: both abbreviations are caught
    fig = toy()
    raw = tmp_path / "raw.svg"
    fig.savefig(raw, format="svg", metadata={"Description": bare})
    plt.close(fig)
    assert undefined_on_figure(raw) == ["6MWD", "dz"]


def test_every_abbreviation_on_a_figure_is_defined_in_its_caption(default_run):
    """An axis that says "6MWD" or a row that says "dz": the caption embedded in the figure defines it. save_figure
    adds these definitions itself, so on the default run this is a regression check of every figure going through
    it (the test above shows that it catches one that does not)."""
    problems = [f"{svg.relative_to(default_run)}: {a!r} on the figure, not defined in its caption"
                for svg in sorted((default_run / "figures").rglob("*.svg")) for a in undefined_on_figure(svg)]
    assert problems == []


def test_every_caption_reads_as_a_readers_words(default_run):
    with open(default_run / "figures" / "captions.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    problems = []
    for row in rows:
        problems += [f"{row['figure']}: {p}" for p in captions.wording_problems(row["caption"])]
        problems += [f"{row['figure']}: {a!r} not defined" for a in captions.undefined_abbreviations(row["caption"])]
    assert problems == []
