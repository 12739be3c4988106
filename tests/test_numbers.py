"""results/numbers.{json,tex,typ,csv}: names, journal formatting, agreement between the files, escaping.

The formatting is checked against hand-worked examples (the arithmetic is in the comments); the files against
estimates.csv read with the csv module, and numbers.typ through Typst itself (it is compiled and its
dictionary read back with ``typst query``).
"""

import csv
import json
import math
import re
import shutil

import pandas as pd
import pytest

from msc_frailty import numbers as N
from msc_frailty.paths import RESULTS
from msc_frailty.results import ESTIMATE_COLUMNS, combine_estimates, SCORECARD_STATUSES

NAME = re.compile(r"[a-z0-9][a-z0-9.-]*")
MAIN = "cratus-p2.sixmwd.v6.100m-vs-placebo.ancova"


def row(**kw):
    base = {"finding": "physical_performance", "study": "CRATUS-P2", "paramcd": "SIXMWD", "visit": 6.0,
            "comparison": "vs_placebo", "arm": "100M", "ref_arm": "Placebo", "n": 10, "n_ref": 10,
            "estimate": 12.34, "ci_low": 4.51, "ci_high": 20.14, "p_value": 0.0034, "method": "ancova",
            "basis": "synthetic", "bound": ""}
    return {**base, **kw}


@pytest.fixture(scope="module")
def committed(tmp_path_factory):
    """The numbers files made from the committed estimates.csv and scorecard.csv (in a scratch folder)."""
    folder = tmp_path_factory.mktemp("numbers")
    for name in ("estimates.csv", "scorecard.csv"):
        shutil.copy(RESULTS / name, folder / name)
    N.write_numbers(folder)
    return folder


def raw_estimates(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def typst_read(folder, tmp_path):
    """numbers.typ as Typst reads it: its variables, through ``typst query``."""
    import typst

    tmp_path = tmp_path / "typst-read"
    (tmp_path / "results").mkdir(parents=True)
    shutil.copy(folder / "numbers.typ", tmp_path / "results" / "numbers.typ")
    (tmp_path / "read.typ").write_text(
        '#import "/results/numbers.typ": *\n'
        "#metadata((numbers: numbers, claims: claims, claim-counts: claim-counts, basis: basis,"
        " synthetic: synthetic, notice: notice)) <all>\n")
    out = typst.query(str(tmp_path / "read.typ"), "<all>", root=str(tmp_path), ignore_system_fonts=True,
                      font_paths=[])
    return json.loads(out)[0]["value"]


def tex_groups(line: str) -> list[str]:
    """The brace groups of one TeX line (escaped braces \\{ \\} stay inside their group)."""
    groups, depth, current, i = [], 0, "", 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            if depth:
                current += line[i:i + 2]
            i += 2
            continue
        if c == "{":
            if depth:
                current += c
            depth += 1
        elif c == "}":
            depth -= 1
            if depth:
                current += c
            else:
                groups.append(current)
                current = ""
        elif depth:
            current += c
        i += 1
    assert depth == 0, line
    return groups


# --- names --------------------------------------------------------------------------------------------

def test_documented_names():
    assert N.value_name(row()) == MAIN
    assert N.value_name(row(finding="safety", paramcd="TESAE30", visit=None, comparison="proportion",
                            ref_arm="", method="clopper_pearson")) == "cratus-p2.tesae30.100m.clopper-pearson"
    assert N.value_name(row(finding="safety", paramcd="TESAE30", visit=float("nan"), comparison="across_arms",
                            arm="", ref_arm="", method="fisher_exact")) == "cratus-p2.tesae30.across-arms.fisher-exact"
    assert N.value_name(row(method="implied_g", basis="published")) == MAIN.replace("ancova", "implied-g.published")
    assert N.value_name(row(visit=0.5)) == "cratus-p2.sixmwd.v0p5.100m-vs-placebo.ancova"
    assert N.value_name(row(visit=-1.0)) == "cratus-p2.sixmwd.vm1.100m-vs-placebo.ancova"
    # a supplied data set gives the same names as the synthetic one
    assert N.value_name(row(basis="supplied")) == MAIN


def test_every_committed_row_has_a_unique_safe_name(committed):
    doc = json.loads((committed / "numbers.json").read_text())
    rows = raw_estimates(committed / "estimates.csv")
    assert len(doc["numbers"]) == len(rows) > 600
    assert all(NAME.fullmatch(n) for n in doc["numbers"])
    # stable: the quoted examples of the README and the manuscript exist and mean what they say
    main = doc["numbers"][MAIN]
    assert (main["study"], main["paramcd"], main["visit"], main["arm"], main["ref_arm"], main["method"]) == (
        "CRATUS-P2", "SIXMWD", 6.0, "100M", "Placebo", "ancova")
    assert doc["numbers"]["cratus-p2.tesae30.100m.clopper-pearson"]["basis"] == "synthetic"
    assert doc["numbers"]["cratus-p2.tesae30.100m.clopper-pearson.published"]["basis"] == "published"


def test_a_name_depends_on_its_row_only():
    est = pd.read_csv(RESULTS / "estimates.csv", keep_default_na=False, dtype=str)
    names = dict(zip(est.index, N.value_names(est)))
    part = est.sample(frac=0.3, random_state=1)
    assert dict(zip(part.index, N.value_names(part))) == {i: names[i] for i in part.index}


def test_labels_that_collide_get_a_hash_suffix_and_others_keep_their_name():
    rows = pd.DataFrame([row(arm="A B"), row(arm="A-B"), row(arm="C")])
    names = N.value_names(rows)
    assert len(set(names)) == 3
    assert re.fullmatch(r"cratus-p2\.sixmwd\.v6\.a-b-vs-placebo\.ancova-[0-9a-f]{8}", names[0])
    assert names[1].startswith("cratus-p2.sixmwd.v6.a-b-vs-placebo.ancova-") and names[1] != names[0]
    assert names[2] == "cratus-p2.sixmwd.v6.c-vs-placebo.ancova"


def test_empty_and_long_parts_and_duplicated_keys():
    assert re.fullmatch(r"x-[0-9a-f]{8}", N.slug("\u00e9\u00e9"))
    long = N.slug("A" * 60)
    assert long.startswith("a" * 40 + "-") and len(long) == 49 and long != N.slug("A" * 61)
    with pytest.raises(ValueError, match="duplicated key"):
        N.value_names(pd.DataFrame([row(), row(estimate=1.0)]))


# --- formatting, against hand-worked examples --------------------------------------------------------

@pytest.mark.parametrize("p, text", [
    (0.0000347, "P < .001"), (0.000999, "P < .001"), (0.001, "P = .001"),
    (0.0034, "P = .003"),      # below .01: 3 decimals
    (0.00995, "P = .010"),     # .00995 rounds half up to .010
    (0.01, "P = .01"), (0.2649, "P = .26"), (0.265, "P = .27"),  # half away from zero on the decimal value
    (0.0479, "P = .048"),      # 2 decimals would print .05: 3
    (0.045, "P = .045"),       # likewise (.045 -> .05 at 2 decimals)
    (0.0496, "P = .0496"),     # 3 decimals still .050 for a P below .05: 4
    (0.0504, "P = .050"), (0.05, "P = .05"), (0.055, "P = .06"),
    (0.99, "P = .99"), (0.9901, "P > .99"), (1.0, "P > .99"), (None, ""), (float("nan"), ""),
])
def test_p_values(p, text):
    assert N.format_p(p) == text


def test_p_outside_0_1_refused():
    with pytest.raises(ValueError, match="P value"):
        N.format_p(1.2)


@pytest.mark.parametrize("values, digits", [
    ((12.34, 4.51, 20.14), 1),        # half-width 7.815: 2 significant digits -> 1 decimal
    ((56.1, 8.7, 103.5), 0),          # half-width 47.4 -> 0 decimals
    ((-0.5, -1.12083, 0.120832), 2),  # half-width 0.6208 -> 2 decimals
    ((0.799, 0.745, 0.857), 3),       # half-width 0.056 -> 3 decimals
    ((1234.5, 300.0, 2169.0), 0),     # half-width 934.5 would round to hundreds: never fewer than 0 decimals
    ((63.4, None, None), 1),          # no interval: 3 significant digits of 63.4
    ((0.00123, None, None), 5),
    ((5.0, 5.0, 5.0), 2),             # a zero-width interval is no interval
    ((0.0, 0.0, 0.0), 0),
    ((None, None, None), None),
])
def test_decimals(values, digits):
    assert N.decimals(*values) == digits


def test_decimals_never_exceed_the_six_significant_digits_written():
    # 123456 with an interval 0.002 wide would want 4 decimals; estimates.csv carries none
    assert N.decimals(123456.0, 123455.999, 123456.001) == 0


@pytest.mark.parametrize("x, digits, text", [
    (-7.37843, 1, "\u22127.4"), (0.15, 1, "0.2"), (-0.25, 1, "\u22120.3"), (2.675, 2, "2.68"),
    (-0.04, 1, "0.0"), (0.0, 2, "0.00"), (104.0, 0, "104"), (float("inf"), 1, "\u221e"),
    (float("-inf"), 1, "\u2212\u221e"), (None, 1, ""),
])
def test_numbers_round_half_away_from_zero_with_a_true_minus(x, digits, text):
    assert N.format_number(x, digits) == text


@pytest.mark.parametrize("est, lo, hi, digits", [
    (12.34, 4.51, 20.14, 1), (-0.2, -0.4, -0.004, 3), (-0.2, -0.4, -0.04, 2), (0.004, 0.0001, 0.0079, 4), (63.4, None, None, 1),
    (-1.38483, float("-inf"), -0.655639, 2), (None, None, None, None),
])
def test_one_decimals_rule_for_values_and_the_efficacy_texts(est, lo, hi, digits):
    from msc_frailty.findings import interval_texts

    assert N.interval_decimals(est, lo, hi) == digits
    row = {"paramcd": "", "method": "ancova", "estimate": est, "ci_low": lo, "ci_high": hi, "p_value": None,
           "n": None, "n_ref": None, "bound": ""}
    assert N.format_value(row)["decimals"] == digits
    # an interval that excludes 0 is never printed as reaching it: one more decimal (-0.013 is -0.01, not 0.0)
    if digits is not None and lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
        texts = interval_texts(est, lo, hi)
        assert all(len(t.split(".")[1]) == digits if "." in t else digits == 0 for t in texts)
        assert "0.0" not in texts and "0" not in texts


def test_intervals_and_significant_digits_use_the_same_rounding():
    # half away from zero from the decimal value, never from the binary one (f"{0.125:.2f}" is "0.12")
    assert N.format_interval(0.125, 2.675) == "[0.13, 2.68]"
    assert N.format_interval(-8.15711, 8.15711) == "[\u22128.16, 8.16]"
    assert N.format_interval(-0.004, float("inf"), 2) == "[0.00, \u221e]"
    # decimals for two significant digits: 0.0437 -> 3, 7.8 -> 1, 45 -> 0, 120 -> 0; none for 0 or a missing value
    assert [N.significant_decimals(x, 2) for x in (0.0437, -7.8, 45.0, 120.0, 0.0, float("nan"))] == [3, 1, 0, 0, 0, 0]
    assert N.format_number(0.125, N.significant_decimals(0.125, 2), strip=True) == "0.13"


@pytest.mark.parametrize("kw, text", [
    ({}, "12.3 m (95% CI 4.5 to 20.1; P = .003)"),
    # negative, interval across 0: half-width (0.453951 + 15.2108) / 2 = 7.83 -> 1 decimal
    ({"paramcd": "SF36PCS", "estimate": -7.37843, "ci_low": -15.2108, "ci_high": 0.453951, "p_value": 0.0611894},
     "\u22127.4 points (95% CI \u221215.2 to 0.5; P = .06)"),
    # the committed CRATUS-P2 row: half-width 47.6 -> 0 decimals
    ({"estimate": 56.3844, "ci_low": 8.82057, "ci_high": 103.948, "p_value": 0.0228974},
     "56 m (95% CI 9 to 104; P = .02)"),
    ({"paramcd": "TNFA", "method": "paired_t", "estimate": -0.758971, "ci_low": -0.979631, "ci_high": -0.538312,
      "p_value": 3.4723e-06, "n_ref": None}, "\u22120.76 pg/mL (95% CI \u22120.98 to \u22120.54; P < .001)"),
    # a standardized effect has no unit and no P; the interval excludes 0, so -0.0129 is not printed as 0.0:
    # half-width 1.429 -> 1 decimal, then 2
    ({"method": "hedges_g", "estimate": -1.33211, "ci_low": -2.87086, "ci_high": -0.0129367, "p_value": None},
     "\u22121.33 (95% CI \u22122.87 to \u22120.01)"),
    ({"method": "hedges_g", "estimate": -1.28697, "ci_low": -2.80962, "ci_high": 0.0246683, "p_value": None},
     "\u22121.3 (95% CI \u22122.8 to 0.0)"),
    # proportions: events/n; percent half-width 15.4 -> 0 decimals
    ({"paramcd": "TESAE30", "method": "clopper_pearson", "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.308497,
      "p_value": None, "n_ref": None}, "0/10 (0%; 95% CI 0% to 31%)"),
    # 1/15: percent interval 0.17 to 31.9, half-width 15.9 -> 0 decimals, but 0.17 > 0 would print 0%: 1 decimal
    ({"paramcd": "DEATH", "method": "clopper_pearson", "estimate": 0.0666667, "ci_low": 0.00168643,
      "ci_high": 0.319485, "p_value": None, "n": 15, "n_ref": None}, "1/15 (6.7%; 95% CI 0.2% to 31.9%)"),
    # printed inequalities: a one-sided bound, an interval only
    ({"method": "implied_dz", "estimate": -1.38483, "ci_low": float("-inf"), "ci_high": -0.655639, "p_value": None,
      "bound": "upper"}, "\u2264 \u22121.38 (95% CI \u2212\u221e to \u22120.66)"),
    ({"method": "implied_dz", "estimate": 1.24166, "ci_low": 0.0, "ci_high": float("inf"), "p_value": None,
      "bound": "lower"}, "\u2265 1.24 (95% CI 0 to \u221e)"),
    ({"method": "implied_dz", "estimate": None, "ci_low": -1.4002, "ci_high": 1.4002, "p_value": None,
      "bound": "range"}, "range \u22121.4 to 1.4"),
    ({"method": "reported_difference", "estimate": 63.4, "ci_low": None, "ci_high": None, "p_value": None},
     "63.4 m"),
    ({"method": "reported_difference", "estimate": 41.0, "ci_low": None, "ci_high": None, "p_value": None}, "41 m"),
    ({"method": "count", "estimate": 5.0, "ci_low": None, "ci_high": None, "p_value": None}, "5"),
    ({"method": "fisher_exact", "estimate": None, "ci_low": None, "ci_high": None, "p_value": 1.0}, "P > .99"),
    # an unknown parameter is printed without a unit
    ({"paramcd": "IL6"}, "12.3 (95% CI 4.5 to 20.1; P = .003)"),
])
def test_values_as_journals_print_them(kw, text):
    assert N.format_value(row(**kw))["text"] == text


def test_parts_of_a_value():
    v = N.format_value(row())
    assert (v["estimate_text"], v["interval_text"], v["p_text"], v["n_text"], v["decimals"], v["unit"]) == (
        "12.3 m", "95% CI 4.5 to 20.1", "P = .003", "n = 10 vs 10", 1, "m")


# --- the four files agree with each other and with estimates.csv ----------------------------------------

def test_json_agrees_with_estimates_csv(committed):
    doc = json.loads((committed / "numbers.json").read_text())
    assert doc["basis"] == "synthetic" and doc["synthetic"] is True and "SYNTHETIC" in doc["notice"]
    by_key = {tuple(v[c] if c != "visit" else ("" if v["visit"] is None else f"{v['visit']:g}")
                    for c in N.KEY_COLUMNS + ["basis"]): v for v in doc["numbers"].values()}
    rows = raw_estimates(committed / "estimates.csv")
    assert len(by_key) == len(rows)

    def num(text):
        return None if text == "" else float(text)

    for r in rows:
        v = by_key[tuple(r[c] for c in N.KEY_COLUMNS + ["basis"])]
        for column, field in (("estimate", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                              ("p_value", "p_value")):
            expected = num(r[column])
            got = v[field]
            if expected is None and (r["bound"], column) in (("lower", "ci_high"), ("upper", "ci_low")):
                # a bound's open limit: empty in estimates.csv (bound says which), infinite in numbers.json
                assert got == ("Infinity" if column == "ci_high" else "-Infinity"), (r, field)
            else:
                assert got == expected, (r, field)
        assert v["bound"] == r["bound"]
        assert v["n"] == (int(r["n"]) if r["n"] else None) and v["n_ref"] == (int(r["n_ref"]) if r["n_ref"] else None)
        assert v["basis"] == r["basis"]
    card = pd.read_csv(committed / "scorecard.csv", keep_default_na=False)
    assert {k: c["status"] for k, c in doc["claims"].items()} == dict(zip(card.claim_id, card.status))
    assert doc["claim_counts"] == {s: int((card.status == s).sum()) for s in SCORECARD_STATUSES}


def test_typst_agrees_with_json(committed, tmp_path):
    doc = json.loads((committed / "numbers.json").read_text())
    typ = typst_read(committed, tmp_path)
    assert (typ["basis"], typ["synthetic"], typ["notice"]) == (doc["basis"], doc["synthetic"], doc["notice"])
    assert list(typ["numbers"]) == sorted(doc["numbers"])
    for name, v in doc["numbers"].items():
        assert typ["numbers"][name] == {f: v[f] for f in N.TEXT_FIELDS}, name
    assert typ["claims"] == doc["claims"] and typ["claim-counts"] == doc["claim_counts"]
    assert (committed / "numbers.typ").read_text().startswith("// results/numbers.typ")
    assert "// BASIS: SYNTHETIC DATA" in (committed / "numbers.typ").read_text()


def test_tex_agrees_with_json(committed):
    doc = json.loads((committed / "numbers.json").read_text())
    text = (committed / "numbers.tex").read_text()
    assert text.startswith("% results/numbers.tex") and "% BASIS: SYNTHETIC DATA" in text
    assert "\n\\global\\mscsynthetictrue\n" in text
    assert "\\gdef\\mscnotice{SYNTHETIC DATA: generated, not trial results}" in text
    values = {}
    for line in text.splitlines():
        if line.startswith("\\mscvalue{"):
            name, *fields = tex_groups(line)
            values[name] = fields
    assert list(values) == sorted(doc["numbers"])
    for name, v in doc["numbers"].items():
        assert values[name] == [N.tex_escape(v[f]) for f in N.TEXT_FIELDS], name
    # the documented example, with a true minus in math mode
    assert values[MAIN][0] == N.tex_escape(doc["numbers"][MAIN]["text"])
    claims = dict(tex_groups(line)[1:] for line in text.splitlines() if line.startswith("\\mscset{claim}"))
    assert claims == {k: N.tex_escape(c["status"]) for k, c in doc["claims"].items()}


def test_csv_agrees_with_json(committed):
    doc = json.loads((committed / "numbers.json").read_text())
    table = pd.read_csv(committed / "numbers.csv", keep_default_na=False, dtype=str)
    assert list(table.columns) == N.CSV_COLUMNS
    assert list(table.name) == sorted(doc["numbers"])
    for r in table.to_dict("records"):
        v = doc["numbers"][r["name"]]
        assert (r["label"], r["text"], r["basis"]) == (v["label"], v["text"], v["basis"])
        for column, field in (("estimate", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("p", "p_value")):
            got = None if r[column] == "" else float(r[column])
            want = v[field] if not isinstance(v[field], str) else float(v[field].replace("Infinity", "inf"))
            if want in (float("inf"), float("-inf")):   # a bound's open limit: empty, and the bound says which
                assert got is None and r["bound"] == ("lower" if want > 0 else "upper"), (r["name"], column)
            else:
                assert got == want, (r["name"], column)
        assert r["bound"] == v["bound"], r["name"]


def test_files_are_byte_deterministic(committed, tmp_path):
    for name in ("estimates.csv", "scorecard.csv"):
        shutil.copy(committed / name, tmp_path / name)
    # rows in another order give the same files
    est = (tmp_path / "estimates.csv").read_text().splitlines()
    (tmp_path / "estimates.csv").write_text("\n".join([est[0]] + est[1:][::-1]) + "\n")
    N.write_numbers(tmp_path)
    for name in N.FILES:
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


# --- text from the data is escaped ----------------------------------------------------------------------

HOSTILE_ARM = 'Arm \\x {y} #1 $2 50% a_b & ~c ^d "q" <e> |f'
HOSTILE_STUDY = "S#$%&~^_{}"


@pytest.fixture
def hostile(tmp_path):
    """A results folder whose study and arm labels hold every character special to LaTeX or Typst."""
    rows = pd.DataFrame([row(study=HOSTILE_STUDY, arm=HOSTILE_ARM, basis="supplied"),
                         row(study=HOSTILE_STUDY, arm="=cmd()", basis="supplied", estimate=-2.5)],
                        columns=ESTIMATE_COLUMNS)
    (tmp_path / "results" / "parts").mkdir(parents=True)
    rows.to_csv(tmp_path / "results" / "parts" / "x__y.csv", index=False)
    combine_estimates(tmp_path)
    N.write_numbers(tmp_path / "results")
    return tmp_path / "results"


def test_tex_escapes_every_special_character():
    assert N.tex_escape("\\{}#$%&_~^") == ("\\textbackslash{}\\{\\}\\#\\$\\%\\&\\_\\textasciitilde{}"
                                           "\\textasciicircum{}")
    assert N.tex_escape("\u22121 \u2264 \u221e\ttab") == (
        "\\ensuremath{-}1 \\ensuremath{\\leq} \\ensuremath{\\infty} tab")


def test_hostile_labels_are_escaped_in_every_file(hostile, tmp_path):
    doc = json.loads((hostile / "numbers.json").read_text())
    assert doc["basis"] == "supplied" and doc["synthetic"] is False
    labels = {v["label"] for v in doc["numbers"].values()}
    assert any(HOSTILE_ARM in lab and HOSTILE_STUDY in lab for lab in labels)
    assert all(NAME.fullmatch(n) for n in doc["numbers"])
    # Typst reads back exactly the text from the data
    typ = typst_read(hostile, tmp_path)
    assert {v["label"] for v in typ["numbers"].values()} == labels
    assert typ["synthetic"] is False
    # TeX: once the escapes are removed, no character special to TeX is left, and every line's braces balance
    tex = (hostile / "numbers.tex").read_text()
    assert "\\mscsyntheticfalse" in tex
    value_lines = [line for line in tex.splitlines() if line.startswith("\\mscvalue")]
    assert len(value_lines) == 2
    for line in value_lines:
        groups = tex_groups(line)
        for group in groups[1:]:
            bare = group
            for escape in sorted(N._TEX.values(), key=len, reverse=True):
                bare = bare.replace(escape, "")
            assert not set(bare) & set("\\{}#$%&_~^"), group
    # CSV: a label a spreadsheet would run is escaped, and read back as it was
    table = pd.read_csv(hostile / "numbers.csv", keep_default_na=False, dtype=str)
    assert set(table.label) == labels   # labels start with the study, so nothing to escape there
    assert any(t.startswith("\u2212") for t in table.text)   # a true minus is no formula sign


# --- stale numbers are found ------------------------------------------------------------------------------

def test_check_numbers_finds_a_changed_estimate(committed, tmp_path):
    for p in committed.iterdir():
        shutil.copy(p, tmp_path / p.name)
    assert N.check_numbers(tmp_path) == []
    est = (tmp_path / "estimates.csv").read_text()
    line = next(x for x in est.splitlines() if ",SIXMWD,6,vs_placebo,100M,Placebo," in x and ",ancova," in x)
    fields = line.split(",")
    fields[9] = "57"   # the estimate column, changed without rerunning
    (tmp_path / "estimates.csv").write_text(est.replace(line, ",".join(fields)))
    problems = N.check_numbers(tmp_path)
    assert len(problems) == len(N.FILES) and all("stale" in p for p in problems)
    (tmp_path / "numbers.tex").unlink()
    assert any("numbers.tex is missing" in p for p in N.check_numbers(tmp_path))


def test_scorecard_is_optional_and_claim_ids_must_be_plain(committed, tmp_path):
    shutil.copy(committed / "estimates.csv", tmp_path / "estimates.csv")
    N.write_numbers(tmp_path)
    assert json.loads((tmp_path / "numbers.json").read_text())["claims"] == {}
    card = pd.read_csv(committed / "scorecard.csv", keep_default_na=False, dtype=str)
    card.loc[0, "claim_id"] = "P1 {bad}"
    card.to_csv(tmp_path / "scorecard.csv", index=False)
    with pytest.raises(ValueError, match="claim_id 'P1 {bad}' is not plain"):
        N.write_numbers(tmp_path)


def test_committed_numbers_are_current():
    """results/numbers.* are what estimates.csv and scorecard.csv give (test_reproduce checks those two)."""
    assert N.check_numbers(RESULTS) == []


@pytest.mark.notebooks
def test_the_runner_writes_numbers_and_captions(default_run):
    assert N.check_numbers(default_run / "results") == []
    captions = pd.read_csv(default_run / "figures" / "captions.csv", keep_default_na=False)
    manifest = pd.read_csv(default_run / "figures" / "MANIFEST.csv", keep_default_na=False)
    stems = sorted({f.removeprefix("figures/").rsplit(".", 1)[0] for f in manifest.figure})
    assert list(captions.figure) == stems
    assert set(captions.basis) <= {"synthetic", "published"}
