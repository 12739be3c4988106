"""data/published/ and msc_frailty.published: transcription guards, schema check, printed-value parsers.

The transcription guards compare every row with the published record itself
(``../shared/sources/published-record.md``, or the file named by ``MSC_PUBLISHED_RECORD``): a number in
the tables must be a number printed there, in a quote printed there, with a source named there.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from msc_frailty import paths
from msc_frailty.data import DataError
from msc_frailty.published import (FLAGS, REQUIRED_COLUMNS, TRIALS, decimals, load_published, parse_mean_sd,
                                   parse_p)

PUBLISHED = paths.DATA / "published"
RECORD = Path(os.environ.get("MSC_PUBLISHED_RECORD", paths.ROOT.parent / "shared" / "sources" /
                             "published-record.md"))

#: Sources the record names (press release, commentary, a news article) without printing a URL: the
#: URL used is where the quoted text was found. Adding to this set is a deliberate act.
URLS_NOT_IN_RECORD = {
    "https://biovaultfamily.com/stem-cell-news/new-research-shows-stem-cell-therapy-improves-immune-system-"
    "overall-health-older-individuals/",
    "https://pano.com/blog/mesenchymal-stem-cells-for-frailty",
    "https://www.allstemcells.com/trends/researchpapers/?mod=document&uid=202",
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def record() -> str:
    if not RECORD.is_file():
        pytest.skip(f"published record not found at {RECORD} (set MSC_PUBLISHED_RECORD)")
    return _squash(RECORD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return load_published()


@pytest.fixture(scope="module")
def claims(tables) -> pd.DataFrame:
    return tables["claims"]


# ------------------------------------------------------------------------------------ the tables
def test_known_files_and_trials(tables, claims):
    assert {"claims", "arms", "sources"} <= set(tables)
    assert set(claims["trial"]) == TRIALS
    assert all(isinstance(v, str) for df in tables.values() for v in df.to_numpy().ravel())


def test_claim_ids_unique_and_stable_form(claims):
    assert claims["claim_id"].is_unique
    prefix = {"CRATUS-P1": "P1-", "CRATUS-P2": "P2-", "LOMECEL-P2B": "P2B-", "ZHU-2024": "ZHU-"}
    for cid, trial in zip(claims["claim_id"], claims["trial"]):
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9.]+)+", cid), cid
        assert cid.startswith(prefix[trial]), (cid, trial)


def test_every_quote_is_printed_in_the_record(tables, record):
    for name in ("claims", "arms"):
        for i, q in tables[name]["quote"].items():
            assert _squash(q) in record, f"{name}.csv line {i + 2}: quote not in the record: {q!r}"


def test_every_value_is_printed_in_its_quote(tables, record):
    claims, arms = tables["claims"], tables["arms"]
    for cid, value, quote in zip(claims["claim_id"], claims["value_printed"], claims["quote"]):
        if value:
            assert value in quote, (cid, value)
            assert value in record, (cid, value)
    for n, quote in zip(arms["n_printed"], arms["quote"]):
        assert re.fullmatch(r"[0-9]+", n) and n in quote


def test_every_number_in_a_value_is_a_printed_number(claims, record):
    printed_numbers = set(re.findall(r"\d*\.?\d+", record))
    for cid, value in zip(claims["claim_id"], claims["value_printed"]):
        for number in re.findall(r"\d*\.?\d+", value):
            assert number in printed_numbers, (cid, number)


def test_every_source_url_is_named_by_the_record(tables, record):
    sources = tables["sources"].set_index("source_url")
    assert sources.index.is_unique
    for name, df in tables.items():
        for i, url in df["source_url"].items():
            assert re.match(r"https?://", url), (name, i + 2, url)
            assert url in sources.index, f"{name}.csv line {i + 2}: {url} missing from sources.csv"
    for url, row in sources.iterrows():
        how = row["url_in_record"]
        if how == "yes":
            assert url in record, url
        elif how == "identifier":
            ident = row["identifier"]
            assert ident and ident in record, url
            bare = ident.removeprefix("doi:")
            assert url in (f"https://doi.org/{bare}", f"https://clinicaltrials.gov/study/{bare}"), url
        else:
            assert url in URLS_NOT_IN_RECORD, url


def test_rows_using_a_url_not_in_the_record_say_so(claims, tables):
    how = tables["sources"].set_index("source_url")["url_in_record"]
    for cid, url, flags in zip(claims["claim_id"], claims["source_url"], claims["flags"]):
        flag = {"no": "url_not_in_record", "identifier": "url_from_identifier"}.get(how[url])
        if flag:
            assert flag in flags.split(";"), cid
        assert claims.loc[claims.claim_id == cid, "source_kind"].item() == \
            tables["sources"].set_index("source_url").loc[url, "source_kind"], cid


def test_flags_and_see_also(claims):
    ids = set(claims["claim_id"])
    for cid, flags, see in zip(claims["claim_id"], claims["flags"], claims["see_also"]):
        assert all(f in FLAGS for f in flags.split(";") if f)
        assert all(s in ids for s in see.split(";") if s), cid
        if {"cite_other", "misattribution", "cite_this"} & set(flags.split(";")):
            assert see, f"{cid}: a conflicting row must name its counterpart in see_also"


def test_p_values_parse(claims):
    for cid, value in zip(claims["claim_id"], claims["value_printed"]):
        if claims.loc[claims.claim_id == cid, "statistic"].item() == "p":
            assert parse_p(value)["kind"] in {"exact", "upper_bound", "lower_bound"}, cid


def test_arms_add_up(tables):
    arms = tables["arms"]
    for (trial, pop), grp in arms.groupby(["trial", "population"]):
        total = grp[grp.arm == "all"]
        if len(total) and (grp.arm != "all").any():
            assert sum(int(n) for n in grp.loc[grp.arm != "all", "n_printed"]) == int(total["n_printed"].item()), \
                (trial, pop)
    assert not arms.duplicated(["trial", "arm", "population"]).any()


def test_arms_agree_with_n_claims(tables):
    claims, arms = tables["claims"], tables["arms"]
    for _, c in claims[(claims.paramcd == "N") & (claims.arm != "") & (claims.arm != "all")].iterrows():
        for arm in c["arm"].split(";"):
            rows = arms[(arms.trial == c.trial) & (arms.arm == arm)]
            assert len(rows) >= 1, c.claim_id
            assert re.search(rf"\b{rows['n_printed'].iloc[0]}\b", c["value_printed"]), c.claim_id


def test_key_facts_transcribed(claims):
    """Rows the scorecard relies on, with their exact printed strings."""
    v = claims.set_index("claim_id")
    assert v.loc["P2-AGE-ALL", "value_printed"] == "75.5 ± 7.3"
    assert v.loc["P2-AGE-PRESS", "value_printed"] == "78" and "cite_other" in v.loc["P2-AGE-PRESS", "flags"]
    assert "misattribution" in v.loc["P2B-NATURE-2026", "flags"]
    assert v.loc["P2B-FRAIL-PCT", "value_printed"] == "30.8%"
    assert v.loc["P1-TNFA-POOLED-6M", "value_printed"] == "p < .0001"
    assert v.loc["P2B-6MWD-200M-9M", "value_printed"] == "+63.4"
    assert [v.loc[f"P2-PHYS-100M-6M-{p}", "value_printed"] for p in ("SIXMWD", "SPPB", "FEV1")] == ["p = .01"] * 3
    assert v.loc["P2-TCELL", "value_printed"] == "" and v.loc["P2-TCELL", "arm"] == ""
    assert (v.loc[v.index.str.startswith("P2B-6MWD-") & v.index.str.endswith("-VS-PBO-6M"), "value_printed"]
            == "not significant").sum() == 4


# ------------------------------------------------------------------------------------ schema check
def _copy(tmp_path) -> Path:
    dst = tmp_path / "published"
    shutil.copytree(PUBLISHED, dst)
    return dst


def _edit(path: Path, line: int, column: str, value: str):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[line - 2, column] = value
    df.to_csv(path, index=False, lineterminator="\n")


@pytest.mark.parametrize("column, value, message", [
    ("source_url", "", "without a source_url"),
    ("source_url", "www.example.org/page", "http"),
    ("trial", "CRATUS-P3", "unknown trial"),
    ("claim_id", "", "empty claim_id"),
    ("comparison", "versus_placebo", "not in"),
    ("flags", "dubious", "unknown flag"),
])
def test_schema_check_names_file_column_and_line(tmp_path, column, value, message):
    folder = _copy(tmp_path)
    _edit(folder / "claims.csv", 7, column, value)
    with pytest.raises(DataError) as err:
        load_published(folder)
    assert err.value.file.endswith("claims.csv")
    assert err.value.column == column
    assert err.value.rows == [7]
    assert message in str(err.value)


def test_schema_check_duplicated_claim_id(tmp_path):
    folder = _copy(tmp_path)
    first = pd.read_csv(folder / "claims.csv", dtype=str, keep_default_na=False)["claim_id"].iloc[0]
    _edit(folder / "claims.csv", 9, "claim_id", first)
    with pytest.raises(DataError, match="duplicated claim_id") as err:
        load_published(folder)
    assert err.value.rows == [2, 9]


def test_schema_check_missing_column(tmp_path):
    folder = _copy(tmp_path)
    df = pd.read_csv(folder / "arms.csv", dtype=str, keep_default_na=False).drop(columns="source_url")
    df.to_csv(folder / "arms.csv", index=False)
    with pytest.raises(DataError, match="required column") as err:
        load_published(folder)
    assert err.value.file.endswith("arms.csv") and err.value.column == "source_url"


def test_schema_check_any_other_csv_needs_a_source(tmp_path):
    folder = _copy(tmp_path)
    (folder / "extra.csv").write_text("trial,source_url,value\nCRATUS-P2,https://x.org,1\nCRATUS-P2,,2\n")
    with pytest.raises(DataError, match="without a source_url") as err:
        load_published(folder)
    assert err.value.file.endswith("extra.csv") and err.value.rows == [3]


def test_line_numbers_survive_blank_lines(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "arms.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "")                               # blank line 3
    bad = lines[4].split(",")                         # line 5
    lines[4] = ",".join([bad[0], bad[1], bad[2], bad[3], bad[4], ""] + bad[6:])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_published(folder)
    assert err.value.rows == [5] and err.value.column == "source_url"


def test_required_columns_are_present_in_shipped_files(tables):
    for name, cols in REQUIRED_COLUMNS.items():
        assert set(cols) <= set(tables[name.removesuffix(".csv")].columns)


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_published(tmp_path / "nope")


# ------------------------------------------------------------------------------------------ parsers
@pytest.mark.parametrize("text, kind, value, dec", [
    ("p = .01", "exact", 0.01, 2),
    (".01", "exact", 0.01, 2),
    ("p = .001", "exact", 0.001, 3),
    ("<.0001", "upper_bound", 0.0001, 4),
    ("p < .0001", "upper_bound", 0.0001, 4),
    ("p < 0.05", "upper_bound", 0.05, 2),
    ("P<0.001", "upper_bound", 0.001, 3),
    ("p ≤ .05", "upper_bound", 0.05, 2),
    ("p > .05", "lower_bound", 0.05, 2),
    ("p = 0.21", "exact", 0.21, 2),
    ("p = .10", "exact", 0.10, 2),
    ("not significant", "lower_bound", 0.05, None),
    ("Not significant", "lower_bound", 0.05, None),
    ("NS", "lower_bound", 0.05, None),
    ("n.s.", "lower_bound", 0.05, None),
    ("significant", "upper_bound", 0.05, None),
    ("", "none", None, None),
])
def test_parse_p(text, kind, value, dec):
    assert parse_p(text) == {"kind": kind, "value": value, "decimals": dec}


@pytest.mark.parametrize("text", ["p = 1.5", "seventy", "p = ", "p == .01", "about .01"])
def test_parse_p_refuses(text):
    with pytest.raises(ValueError):
        parse_p(text)


def test_parse_p_alpha():
    assert parse_p("significant", alpha=0.01)["value"] == 0.01


@pytest.mark.parametrize("text, expected", [
    ("75.5 ± 7.3", ("75.5", "7.3")),
    ("5.10 ± 1.20", ("5.10", "1.20")),
    ("-2.05 +/- 0.40", ("-2.05", "0.40")),
    ("75.5 (7.3)", ("75.5", "7.3")),
    ("75.5 (SD 7.3)", ("75.5", "7.3")),
])
def test_parse_mean_sd(text, expected):
    assert parse_mean_sd(text) == expected


@pytest.mark.parametrize("text", ["75.5", "75.5 ± ", "mean 75.5 ± 7.3 years"])
def test_parse_mean_sd_refuses(text):
    with pytest.raises(ValueError):
        parse_mean_sd(text)


def test_decimals():
    assert (decimals("5.10"), decimals(".0001"), decimals("30"), decimals("0.050")) == (2, 4, 0, 3)


def test_printed_age_is_grim_and_grimmer_consistent(claims):
    """The one printed mean of integer data (CRATUS-P2 age, n = 30) against GRIM and GRIMMER."""
    from msc_frailty.consistency import grim, grimmer

    mean, sd = parse_mean_sd(claims.set_index("claim_id").loc["P2-AGE-ALL", "value_printed"])
    assert grim(mean, 30) and grimmer(mean, sd, 30)


# ------------------------------------------------------------------------------------ figures
# msc_frailty.published_plots draws intervals as LineCollections (dashed: "not significant"), the caps of a
# dashed range as "|" markers, bounds as arrows (annotations), off-scale ends as the axis-break glyph
# (style.OFF_SCALE_MARKER, a Line2D marker) and points last, with seaborn.
import matplotlib  # noqa: E402

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from scipy import special  # noqa: E402
from scipy import stats as st  # noqa: E402

from msc_frailty import published_plots, reanalysis, style  # noqa: E402


@pytest.fixture(scope="module")
def estimates(tables) -> pd.DataFrame:
    return reanalysis.published_estimates(tables=tables)


def test_one_contrast_text_written_from_the_flag(estimates):
    rows = published_plots.dose_rows(estimates)
    dif = rows[rows.part == "difference"]
    assert [published_plots.contrast_text(r) for r in dif.itertuples()] == [
        "0 by construction [\u22128.16, 8.16]", "range only: [\u22122.69, 0.81]", "\u22120.51 [\u22121.45, 0.43]"]
    assert published_plots.contrast_text(dif.iloc[2], with_p=True) == "\u22120.51 [\u22121.45, 0.43], P = .28"
    # the reanalysis' flag decides, not an estimate of 0 without a p: unflagged, the same row is a plain 0.00
    unflagged = published_plots.dose_rows(estimates.assign(**{reanalysis.BY_CONSTRUCTION: False}))
    assert published_plots.contrast_text(unflagged[unflagged.part == "difference"].iloc[0]) == \
        "0.00 [\u22128.16, 8.16]"
    # rows read back from estimates.csv do not carry the flag: refused, never guessed
    with pytest.raises(ValueError, match=reanalysis.BY_CONSTRUCTION):
        published_plots.dose_rows(estimates.drop(columns=reanalysis.BY_CONSTRUCTION))


@pytest.fixture(scope="module")
def dose_fig(estimates, claims):
    fig = published_plots.dose_contrast(estimates, claims)
    yield fig
    plt.close(fig)


@pytest.fixture(scope="module")
def forest_fig(estimates, claims):
    fig = published_plots.forest_implied_effects(estimates, claims)
    yield fig
    plt.close(fig)


def _off_scale(ax) -> list[tuple[float, str]]:
    """(y, side) of every off-scale glyph of ``ax`` (its coloured layer; the white gap under it is not counted)."""
    return sorted((round(float(line.get_ydata()[0]), 6), "high" if line.get_xdata()[0] > 0.5 else "low")
                  for line in ax.lines if line.get_marker() is style.OFF_SCALE_MARKER
                  and line.get_markeredgecolor() != "white")


def _texts_on_the_zero_line(fig, ax) -> list[str]:
    """The texts of ``ax`` whose drawn box crosses the zero line inside the axes."""
    fig.canvas.draw()
    x0 = ax.transData.transform((0, 0))[0]
    frame = ax.get_window_extent()
    return [t.get_text() for t in ax.texts if t.get_text() and (box := t.get_window_extent()).x0 <= x0 <= box.x1
            and box.y0 < frame.y1 and box.y1 > frame.y0]


def _segments(ax) -> list[tuple]:
    """(y, x0, x1, colour, dashed) of every interval line of ``ax``."""
    out = []
    for c in ax.collections:
        if isinstance(c, LineCollection):
            for seg, (_, dashes), colour in zip(c.get_segments(), c.get_linestyles(), c.get_colors()):
                out.append((round(seg[0][1], 6), seg[0][0], seg[1][0], to_hex(colour), dashes is not None))
    return out


def _points(ax) -> dict:
    """{y: x} of the points (seaborn's scatter, the last collection drawn)."""
    return {round(y, 6): x for x, y in ax.collections[-1].get_offsets()}


def _arrows(ax) -> list:
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def _row(ax, label) -> float:
    return [t.get_text() for t in ax.get_yticklabels()].index(label)


def _hedges_g(p: float, n1: int, n2: int) -> float:
    """Hedges' g from a two-sided two-sample t p-value, exact J written with scipy's gamma."""
    df = n1 + n2 - 2
    j = special.gamma(df / 2) / (np.sqrt(df / 2) * special.gamma((df - 1) / 2))
    return j * st.t.isf(p / 2, df) * np.sqrt(1 / n1 + 1 / n2)


def test_dose_figure_has_a_row_for_every_trial_with_100M_and_200M(tables, dose_fig):
    arms = tables["arms"]
    trials = [t for t, g in arms.groupby("trial") if {"100M", "200M"} <= set(g.arm)]
    assert trials == ["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B"]
    ax = dose_fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    heads = [i for i, t in enumerate(ax.get_yticklabels()) if t.get_fontweight() == "bold"]
    assert [labels[i].split(":")[0] for i in heads] == trials
    lines = _segments(ax)
    for trial, start, end in zip(trials, heads, heads[1:] + [len(labels)]):
        n = arms[arms.trial == trial].set_index("arm").n_printed
        assert labels[start] == f"{trial}: 100M n = {n['100M']}, 200M n = {n['200M']}"     # n per arm as printed
        # some row of the trial shows both doses: 100M just above the row's centre, 200M just below
        both = [y for y in range(start + 1, end)
                if {(round(y - 0.17, 6), style.arm_color("100M").lower()), (round(y + 0.17, 6),
                                                                         style.arm_color("200M").lower())}
                <= {(s[0], s[3]) for s in lines}]
        assert both, trial


def test_dose_figure_values_against_scipy(dose_fig):
    """CRATUS-P2 B-cell TNF-alpha vs placebo: g of each dose from its printed p, and 200M - 100M."""
    effects, diffs = dose_fig.axes
    y = _row(effects, "B-cell TNF-\u03b1: vs placebo (n = 10), g")
    g100, g200 = _hedges_g(0.003, 10, 10), _hedges_g(0.039, 10, 10)
    points = _points(effects)
    assert points[round(y - 0.17, 6)] == pytest.approx(g100, rel=1e-6)   # improvement: lower TNF is better
    assert points[round(y + 0.17, 6)] == pytest.approx(g200, rel=1e-6)
    # the difference with a shared placebo (Gleser & Olkin 2009), normal interval, written out here
    v1 = v2 = lambda g: 1 / 10 + 1 / 10 + g**2 / (2 * 20)  # noqa: E731
    se = np.sqrt(v1(g100) + v2(g200) - 2 * (1 / 10 + g100 * g200 / (2 * 30)))
    diff = g200 - g100
    assert _points(diffs)[y] == pytest.approx(diff, rel=1e-6) and diff < 0              # favours 100M
    (seg,) = [s for s in _segments(diffs) if s[0] == y]
    z = st.norm.isf(0.025)
    assert (seg[1], seg[2]) == (pytest.approx(diff - z * se, rel=1e-6), pytest.approx(diff + z * se, rel=1e-6))
    assert seg[1] < 0 < seg[2] and not seg[4]


def test_dose_figure_draws_bounds_as_bounds_and_ranges_as_ranges(dose_fig):
    effects, diffs = dose_fig.axes
    # "p < .0001" for B-cell TNF-alpha in 100M (n = 10): an arrow from the bound to the axis edge, no interval end
    y = _row(effects, "B-cell TNF-\u03b1: change (dz)") - 0.17
    bound = st.t.isf(0.0001 / 2, 9) / np.sqrt(10)
    (arrow,) = [a for a in _arrows(effects) if a.xy[1] == pytest.approx(y)]
    assert arrow.xyann == (pytest.approx(bound), pytest.approx(y)) and arrow.xy[0] == 1.0
    assert arrow.xycoords == ("axes fraction", "data")                 # to the right edge, whatever the limits
    (seg,) = [s for s in _segments(effects) if s[0] == round(y, 6)]
    assert seg[2] == pytest.approx(bound) and not seg[4]               # the solid line stops at the bound
    assert _points(effects)[round(y, 6)] == pytest.approx(bound)
    # "not significant" in LOMECEL-P2B at both doses: dashed, symmetric about 0, no point, no difference drawn
    y = _row(effects, "6MWD: vs placebo (n = 30), g")
    lines = {s[0]: s for s in _segments(effects)}
    for arm, dy in (("100M", -0.17), ("200M", 0.17)):
        seg = lines[round(y + dy, 6)]
        assert seg[4] and seg[1] == pytest.approx(-seg[2]) and seg[3] == style.arm_color(arm).lower()
        assert round(y + dy, 6) not in _points(effects)
    assert not [s for s in _segments(diffs) if s[0] == y]
    note = [t.get_text() for t in diffs.texts if abs(t.get_position()[1] - y) < 1e-9]
    assert note == ["not derivable\n(differences printed\nwithout a spread)"]
    # CRATUS-P2's range of 200M - 100M (only "not significant" printed for 200M) is dashed and holds zero; its
    # outcomes share one printed p, and the label says so
    y = _row(effects, "6MWD, SPPB, FEV1 \u2020: change (dz)")
    (seg,) = [s for s in _segments(diffs) if s[0] == y]
    assert seg[4] and seg[1] < 0 < seg[2] and y not in _points(diffs)


def test_dose_figure_printed_differences_legend_axes_and_canvas(dose_fig, estimates, claims):
    effects, diffs = dose_fig.axes
    # the differences LOMECEL-P2B printed without a spread: named in the figure, quoted in the caption's words
    printed = claims[(claims.trial == "LOMECEL-P2B") & (claims.statistic == "difference")]
    words = published_plots.printed_differences(estimates, claims)
    assert len(printed) == 2 and all(f"{v} m at {float(w):g} months" in words
                                     for v, w in zip(printed.value_printed, printed.visit))   # as printed
    assert "about 41 m at 6 months" in words and "+41" not in words                          # never "+41 m"
    assert [t.get_text() for t in diffs.texts if "without a spread" in t.get_text()]
    # the legend holds the marks drawn, each once: the off-scale glyph, not an arrow, for CRATUS-P1 TNF-alpha
    legend = [t.get_text() for t in dose_fig.legends[0].get_texts()]
    assert legend == ["100M", "200M", "200M \u2212 100M", "95% interval", published_plots.BOUND_WORDS,
                      published_plots.RANGE_WORDS, published_plots.OFF_SCALE_WORDS]
    # the direction cue at the two ends of the difference axis, panel letters a and b
    texts = [t.get_text() for t in diffs.texts]
    assert "\u2190 favours 100M" in texts and "favours 200M \u2192" in texts
    assert [t.get_text() for ax in dose_fig.axes for t in ax.texts if t.get_fontweight() == "bold"] == ["a", "b"]
    assert diffs.get_xlim() == (-published_plots.EFFECT_CAP, published_plots.EFFECT_CAP)
    # one scale for effects and differences: the same millimetres per unit in both panels
    dose_fig.canvas.draw()
    per_unit = [ax.get_window_extent().width / np.ptp(ax.get_xlim()) for ax in (effects, diffs)]
    assert per_unit[0] == pytest.approx(per_unit[1], rel=0.01)
    # CRATUS-P1 TNF-alpha (dz = 6.95 [2.32, 11.67] at both doses) is capped, not squashing the rest: both lines
    # end in the off-scale glyph at the axis edge, no point is drawn for them, and the difference 0 [-8.16, 8.16]
    # is off the scale at both ends
    y = _row(effects, "TNF-\u03b1: change (dz)")
    assert effects.get_xlim()[1] == published_plots.EFFECT_CAP
    assert _off_scale(effects) == [(round(y - 0.17, 6), "high"), (round(y + 0.17, 6), "high")]
    assert round(y - 0.17, 6) not in _points(effects) and round(y + 0.17, 6) not in _points(effects)
    assert _off_scale(diffs) == [(y, "high"), (y, "low")] and _points(diffs)[y] == pytest.approx(0)
    # corrected dz, exact variances (reanalysis.difference_smc); both arms printed p = .0001 with n = 5: 0 by
    # construction, said as such (the row has no p)
    assert "0 by construction [\u22128.16, 8.16]" in texts and "0.00 [\u22128.16, 8.16]" not in texts
    # the arrows are bounds only: none where a line runs off the scale
    assert not {round(a.xy[1], 6) for a in _arrows(effects)} & {y for y, _ in _off_scale(effects)}
    # no text sits on the zero line of the difference panel (the notes live in the column at its right)
    assert _texts_on_the_zero_line(dose_fig, diffs) == []
    assert style.text_outside_canvas(dose_fig) == [] and style.print_problems(dose_fig) == []


def test_forest_draws_every_implied_effect(forest_fig, estimates):
    ax = forest_fig.axes[0]
    rows = estimates[estimates.method.isin(["implied_dz", "implied_g"])]
    values = [t.get_text() for t in ax.texts if not getattr(t, "arrow_patch", None)]
    assert len(_segments(ax)) == len(values) == len(rows)
    assert sum(b in ("lower", "upper") for b in rows.bound) == len(_arrows(ax)) == sum(v.startswith("\u2265") for v in values)
    assert sum(b == "range" for b in rows.bound) == sum(s[4] for s in _segments(ax))
    assert "not significant: within \u00b11.40" in values
    assert style.text_outside_canvas(forest_fig) == [] and style.print_problems(forest_fig) == []


def test_forest_caps_the_axis_and_marks_off_scale_rows_apart_from_bounds(forest_fig):
    """The axis ends at |dz| = 4; the two CRATUS-P1 TNF-alpha rows (6.95 [2.32, 11.67]) run off it, marked with the
    off-scale glyph and their values at the right; an arrow is a bound and only a bound."""
    ax = forest_fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_xlim()[1] == published_plots.EFFECT_CAP
    tnf = [labels.index(f"TNF-\u03b1, 6 mo: {arm} (n = 5), change (dz)") for arm in ("100M", "200M")]
    assert _off_scale(ax) == [(float(y), "high") for y in tnf]
    values = {round(t.get_position()[1], 6): t.get_text() for t in ax.texts if not getattr(t, "arrow_patch", None)}
    assert [values[y] for y in tnf] == ["6.95 [2.32, 11.67]"] * 2
    assert not set(tnf) & set(_points(ax))                                    # no point beyond the axis
    for y in tnf:                                                           # the line runs to the edge
        (seg,) = [s for s in _segments(ax) if s[0] == y]
        assert seg[1] == pytest.approx(2.316, abs=1e-3) and seg[2] == published_plots.EFFECT_CAP
    arrows = {round(a.xy[1], 6) for a in _arrows(ax)}
    assert arrows and not arrows & set(tnf)
    assert [t.get_text() for t in forest_fig.legends[0].get_texts()] == [
        "exact 95% interval", published_plots.BOUND_WORDS, published_plots.RANGE_WORDS, published_plots.OFF_SCALE_WORDS]


def test_forest_marks_the_rows_that_share_one_printed_p(forest_fig, claims):
    """CRATUS-P2 printed one p (= .01) for 6MWD, SPPB and FEV1 in 100M: those three rows, and only they, carry the
    dagger; the caption's note says which outcomes and which p."""
    labels = [t.get_text() for t in forest_fig.axes[0].get_yticklabels()]
    marked = [label for label in labels if label.endswith(published_plots.SHARED_P)]
    assert marked == [f"{p}, 6 mo: 100M (n = 10), change (dz) \u2020" for p in ("6MWD", "SPPB", "FEV1")]
    note = published_plots.shared_p_note(claims)
    assert note.startswith("\u2020 One p printed for 6MWD, SPPB and FEV1 together (CRATUS-P2, 100M, p = .01)")
    # two ps of the same value printed separately (CRATUS-P1 TNF-alpha, 100M and 200M) are not one shared p
    assert not any("TNF" in label for label in marked)


def test_point_intervals_cut_lines_at_the_axis():
    fig, ax = style.figure("single", 40)
    ax.set_xlim(-1, 2)
    rows = pd.DataFrame({"y": [0, 1, 2, 3], "estimate": [0.5, np.nan, -3.0, 1.5], "ci_low": [-0.5, -4.0, -5.0, 1.0],
                         "ci_high": [1.0, 4.0, -1.5, np.inf], "bound": ["", "range", "", "lower"],
                         "arm": ["100M", "200M", "Placebo", "All"]})
    drawn = published_plots.point_intervals(rows, ax)
    assert drawn[["off_low", "off_high"]].values.tolist() == [[False, False], [True, True], [True, False],
                                                              [False, False]]
    segs = {s[0]: (s[1], s[2]) for s in _segments(ax)}
    assert segs == {0: (-0.5, 1.0), 1: (-1, 2), 2: (-1, -1), 3: (1.0, 1.5)}
    assert _off_scale(ax) == [(1.0, "high"), (1.0, "low"), (2.0, "low")]
    assert [a.xy for a in _arrows(ax)] == [(1.0, 3)]                     # the bound: an arrow to the right edge
    assert sorted(_points(ax)) == [0, 3]                                 # -3.0 is beyond the axis: no point
    plt.close(fig)


def test_safety_bounds_are_clopper_pearson_from_scipy(estimates, claims):
    fig = published_plots.safety_bounds(estimates, claims)
    ax = fig.axes[0]
    labels = {round(y, 6): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels())}
    for y, x0, x1, _, _ in _segments(ax):
        k, n = (int(v) for v in labels[round(y, 6)].rsplit(": ", 1)[1].split("/"))
        lo = 0.0 if k == 0 else st.beta.ppf(0.025, k, n - k + 1)
        assert (x0, x1) == (pytest.approx(lo, abs=1e-12), pytest.approx(st.beta.ppf(0.975, k + 1, n - k)))
    assert "100M: 0/10" in labels.values() and "200M: 1/5" in labels.values()
    assert fig.get_figwidth() * 25.4 == pytest.approx(85)
    assert style.text_outside_canvas(fig) == [] and style.print_problems(fig) == []
    plt.close(fig)


def _blocks(ax) -> dict[str, list[str]]:
    """The rows of safety_bounds under each italic event heading, as "<trial> / <heading>" -> row labels."""
    out, trial, event = {}, "", ""
    for t in sorted(ax.get_yticklabels(), key=lambda t: t.get_position()[1]):
        if t.get_fontweight() == "bold":
            trial = t.get_text()
        elif t.get_fontstyle() == "italic":
            event = t.get_text().replace("\n", " ")
            out[f"{trial} / {event}"] = []
        else:
            out[f"{trial} / {event}"].append(t.get_text())
    return out


def test_safety_bounds_say_no_more_than_the_record(estimates, claims):
    """The reviewer's finding: CRATUS-P2 rows read "TE-SAE \u2264 30 d" though the record says only "No therapy-related
    TE-SAEs occurred at 1 month" (narrower than the endpoint), and LOMECEL-P2B's "any SAE" came from news coverage of
    unknown scope and window. Each event is drawn in the scope its statement gives, no wider."""
    statements = published_plots.safety_statements(claims).set_index("claim_id")
    assert statements.loc["P2-SAFETY-TESAE30", "event"] == "therapy-related TE-SAE at 1 month"
    assert statements.loc["P1-SAFETY-TESAE30", "event"] == "TE-SAE at 1 month"
    assert statements.loc["P2B-SAFETY-NOSAE", "event"] == "serious AE (news; window not printed)"
    assert statements.loc["P1-DEATH-200M", "event"] == "death during follow-up"
    # "therapy-related" comes from the quote, "news" from the source, "at 1 month" from the claim's visit
    quotes = claims.set_index("claim_id").quote
    for cid, r in statements.iterrows():
        assert r.quote == quotes[cid]
        assert ("therapy-related" in r.event) == ("therapy-related" in r.quote.lower())
    fig = published_plots.safety_bounds(estimates, claims)
    blocks = _blocks(fig.axes[0])
    assert blocks == {
        "CRATUS-P1 / TE-SAE at 1 month": ["20M: 0/5", "100M: 0/5", "200M: 0/5", "All active: 0/15"],
        "CRATUS-P1 / death during follow-up": ["200M: 1/5", "All: 1/15"],
        "CRATUS-P2 / therapy-related TE-SAE at 1 month": ["Placebo: 0/10", "100M: 0/10", "200M: 0/10",
                                                         "All active: 0/20", "All: 0/30"],
        "LOMECEL-P2B / serious AE (news; window not printed)": ["Placebo: 0/30", "25M: 0/37", "50M: 0/31",
                                                                "100M: 0/34", "200M: 0/16", "All active: 0/118",
                                                                "All: 0/148"]}
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "\u2264 30 d" not in texts and "any SAE" not in texts and "within 30 days" not in texts
    plt.close(fig)


def _lightness(colour) -> float:
    """CIE L* (0-100) of a colour: what is left of it in greyscale."""
    from matplotlib.colors import to_rgb

    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 116 * y ** (1 / 3) - 16 if y > 0.008856 else 903.3 * y


def test_scorecard_is_a_100_percent_stacked_bar_per_trial():
    from matplotlib.colors import to_rgb

    card = pd.DataFrame({"study": ["CRATUS-P1"] * 3 + ["ZHU-2024"] * 2 + ["CRATUS-P2"], "claim_id": list("abcdef"),
                         "status": ["not_reproduced", "consistent_by_construction", "consistent_by_construction",
                                    "not_testable_without_patient_data", "reproduced", "reproduced"]})
    fig = published_plots.scorecard_chart(card)
    ax = fig.axes[0]
    order = ["CRATUS-P1", "CRATUS-P2", "LOMECEL-P2B", "ZHU-2024"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["CRATUS-P1\n(3 claims)", "CRATUS-P2\n(1 claim)",
                                                           "LOMECEL-P2B\n(0 claims)", "ZHU-2024\n(2 claims)"]
    statuses = list(published_plots.STATUS_STYLES)
    segments = ax.containers[:len(statuses)]                 # then the frame around each bar
    widths = pd.DataFrame({s: [b.get_width() for b in bars] for s, bars in zip(statuses, segments)}, index=order)
    counts = pd.crosstab(card.study, card.status).reindex(index=order, columns=statuses, fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0).fillna(0) * 100
    assert widths.to_numpy() == pytest.approx(shares.to_numpy())
    assert widths.sum(axis=1).tolist() == pytest.approx([100, 100, 0, 100])        # 100% of each trial's claims
    for bars in segments:                                    # stacked: each segment starts where the last ended
        assert [b.get_x() for b in bars] == pytest.approx(
            widths.cumsum(axis=1).shift(axis=1, fill_value=0)[statuses[segments.index(bars)]].tolist())
    # every segment labelled with its count of claims (zeros have no segment)
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(k) for k in counts.to_numpy().ravel() if k)
    # shades: greys far apart in lightness (greyscale-distinct), none an arm's colour or near one
    fills = [to_rgb(published_plots.STATUS_STYLES[s]["color"]) for s in statuses]
    assert [to_hex(bars[0].get_facecolor()) for bars in segments] == [
        published_plots.STATUS_STYLES[s]["color"].lower() for s in statuses]
    lightness = [_lightness(c) for c in fills]
    assert min(abs(a - b) for i, a in enumerate(lightness) for b in lightness[i + 1:]) >= 15
    arms = [*style.ARM_COLORS.values(), *style._SPARE]
    nearest = min(np.linalg.norm(np.subtract(c, to_rgb(a))) for c in fills for a in arms)
    assert nearest > 0.2
    # the legend names the four statuses in words, in the order of the segments
    assert [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()] == [
        s.replace("_", " ") for s in statuses]
    assert set(published_plots.STATUS_WORDS) == set(statuses)
    assert style.text_outside_canvas(fig) == [] and style.print_problems(fig) == []
    plt.close(fig)


def test_scorecard_legend_holds_only_the_statuses_drawn():
    """On the synthetic default no claim is "reproduced": the legend had an entry for it though no trial had a segment
    of it. The legend holds the statuses drawn, in the segments' order (the caption still defines every status)."""
    card = pd.DataFrame({"study": ["CRATUS-P1", "CRATUS-P2", "CRATUS-P2", "ZHU-2024"], "claim_id": list("abcd"),
                         "status": ["consistent_by_construction", "not_reproduced", "consistent_by_construction",
                                    "not_testable_without_patient_data"]})
    fig = published_plots.scorecard_chart(card)
    ax = fig.axes[0]
    drawn = [s for s, bars in zip(published_plots.STATUS_STYLES, ax.containers) if any(b.get_width() for b in bars)]
    legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert legend == [s.replace("_", " ") for s in drawn] == ["not reproduced", "consistent by construction",
                                                             "not testable without patient data"]
    assert style.text_outside_canvas(fig) == [] and style.print_problems(fig) == []
    plt.close(fig)
