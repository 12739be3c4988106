"""Parameters without a baseline record (issue 17; contract section 3): analysed as the value at each visit, counted,
drawn and compared between doses, never dropped, and never "too few subjects" when that is not the reason.

- the figure (``plots.at_visit_figure``): the value itself on the y axis, the t interval of the plan's ``at_visit``
  rows around each mean, nothing drawn at baseline, every level of a short score labelled; for large arms the
  shares of the score's levels beside the means (``plots.level_shares``, against pandas' crosstab);
- end to end, through the runner, on the toy data set with a 1-7 global impression of change and no baseline
  (``conftest.write_dataset(rating=True)``; "supplied" basis): the rows against scipy from the raw CSV, the counts,
  the figures, the routing (no params.csv: other_endpoints; params.csv: its finding), the notebooks' words; and a
  folder whose only efficacy parameter has no baseline record.
"""

from __future__ import annotations

import html
import json
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from conftest import RATING, RATING_LABEL, write_dataset
from scipy import stats as st
from test_plots import bars  # the error bars seaborn drew

from msc_frailty import analysis, captions, plots, style

matplotlib.use("agg")


def ratings(per_arm: int, visits=(2.0, 4.0), seed: int = 5) -> pd.DataFrame:
    """A 1-7 rating without baseline: Placebo (dose 0) and 100M, ``per_arm`` subjects each at ``visits``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"STUDYID": "S", "USUBJID": f"{arm}-{i}", "PARAMCD": RATING, "AVISITN": v, "TRT01A": arm,
                          "TRT01AN": dose, "AVAL": float(np.clip(np.rint(rng.normal(mean, 1.3)), 1, 7))}
                         for arm, dose, mean in (("Placebo", 0.0, 4.4), ("100M", 100.0, 3.1))
                         for i in range(per_arm) for v in visits])


# ---------------------------------------------------------------------------------------------- the figure
def test_at_visit_figure_draws_the_value_with_the_plans_interval_and_no_baseline():
    d = ratings(8)
    fig = plots.at_visit_figure(d, RATING, hue_order=["Placebo", "100M"])
    assert len(fig.axes) == 2 and fig.get_figwidth() * 25.4 == pytest.approx(180)   # a score: a panel per arm
    rows = analysis.at_visit(d, "other_endpoints", "supplied")
    for ax, arm in zip(fig.axes, ["Placebo", "100M"]):
        assert "Change" not in ax.get_ylabel() and ax.get_xticks()[0] == 0.0
        assert list(ax.get_yticks()) == list(range(int(d.AVAL.min()), int(d.AVAL.max()) + 1))   # every level
        # no open baseline symbol, no line at 0: the parameter has no baseline
        assert not [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white"]
        assert not [ln for ln in ax.get_lines() if list(ln.get_ydata()) == [0, 0]]
        (drawn,) = bars(ax).values()
        mine = rows[rows.arm == arm].sort_values("visit")
        assert np.allclose(drawn, list(zip(mine.visit, mine.estimate, mine.ci_low, mine.ci_high)), rtol=1e-9)
    assert fig.axes[0].get_ylabel() == "Value" and fig.get_suptitle() == RATING and style.print_problems(fig) == []
    assert style.text_outside_canvas(fig) == []


def test_large_arms_of_a_score_show_the_shares_of_its_levels():
    d = ratings(40)
    fig = plots.at_visit_figure(d, RATING)
    means, levels = fig.axes
    assert "a" in [t.get_text() for t in means.texts] and "b" in [t.get_text() for t in levels.texts]
    assert not [c for c in means.collections if len(c.get_offsets()) > 10]          # no subjects: means only
    at4 = d[d.AVISITN == 4.0]
    shares = pd.crosstab(at4.TRT01A, at4.AVAL, normalize="index").reindex(["Placebo", "100M"])
    # each bar's segments, left to right, are the crosstab's shares from the lowest level up
    for row, arm in enumerate(["Placebo", "100M"]):
        segs = sorted((p.get_x(), p.get_width()) for p in levels.patches
                      if abs(p.get_y() + p.get_height() / 2 - row) < 1e-9 and p.get_width() > 0)
        assert [w for _, w in segs] == pytest.approx([v for v in shares.loc[arm] if v > 0], abs=1e-12)
        assert segs[0][0] == pytest.approx(0.0) and sum(w for _, w in segs) == pytest.approx(1.0)
    assert [t.get_text() for t in levels.get_yticklabels()] == ["Placebo (n = 40)", "100M (n = 40)"]
    assert [t.get_text() for t in levels.get_legend().get_texts()] == [str(v) for v in
                                                                       range(int(d.AVAL.min()), int(d.AVAL.max()) + 1)]
    assert style.print_problems(fig) == [] and style.text_outside_canvas(fig) == []


# ------------------------------------------------------------------------------------------- end to end
NOTEBOOKS = ["cohort", "physical_performance", "inflammation", "other_endpoints", "dose_comparison"]
MIXED = ["other_endpoints", "dose_comparison"]


def _run(runner_cli, data, out, names=NOTEBOOKS):
    proc = runner_cli("--data", data, "--out", out, *[a for nb in names for a in ("--notebook", nb)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory, runner_cli):
    """``mixed``: TOY-1 (placebo) and TOY-2 (no placebo) with SIXMWD, TNFA and the rating, no params.csv, through the
    two notebooks that analyse the rating there; ``only``: TOY-1 whose only efficacy parameter is the rating,
    assigned to physical_performance (lower is better) by params.csv, through every efficacy notebook and the
    cohort's flow."""
    root = tmp_path_factory.mktemp("no-baseline")
    mixed = write_dataset(root / "mixed", rating=True)
    only = write_dataset(root / "only", rating=True, params=(), studies=("TOY-1",))
    (only / "params.csv").write_text("PARAMCD,PARAM,unit,direction,finding\n"
                                     f"{RATING},,points,lower_better,physical_performance\n")
    return {"mixed": (mixed, _run(runner_cli, mixed, root / "out-mixed", MIXED)),
            "only": (only, _run(runner_cli, only, root / "out-only"))}


def _hand(data) -> pd.DataFrame:
    """The rating's values of the safety population with the arm, from the raw CSV."""
    adsl, eff = pd.read_csv(data / "adsl.csv"), pd.read_csv(data / "adeff.csv", keep_default_na=False)
    return eff[eff.PARAMCD == RATING].merge(adsl[adsl.SAFFL == "Y"], on=["STUDYID", "USUBJID"])


def _estimates(out) -> pd.DataFrame:
    return pd.read_csv(out / "results" / "estimates.csv", keep_default_na=False, na_values=[""])


def _said(notebook) -> str:
    """Everything a notebook printed or showed as Markdown."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    data = ("text/markdown", "text/plain")                 # Markdown, else a table as text
    return "\n".join("".join(o.get("text", "") or next((o["data"][k] for k in data if k in o.get("data", {})), ""))
                     for c in nb["cells"] for o in c.get("outputs", []))


def _svg_words(path) -> list[str]:
    texts = re.findall(r"<(text|dc:description)\b[^>]*>(.*?)</\1>", path.read_text("utf-8"), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for _, t in texts]


@pytest.mark.notebooks
def test_rows_match_scipy_from_the_raw_data(runs):
    data, out = runs["mixed"]
    hand, est = _hand(data), _estimates(out)
    mine = est[est.paramcd == RATING]
    assert set(mine.finding) == {"other_endpoints", "dose_comparison"}      # no params.csv: other_endpoints
    per_arm = mine[mine.comparison == "at_visit"]
    assert len(per_arm) == 2 * 5 and set(per_arm.method) == {"t_interval"} and per_arm.p_value.isna().all()
    for _, r in per_arm.iterrows():
        x = hand[(hand.STUDYID == r.study) & (hand.AVISITN == r.visit) & (hand.TRT01A == r.arm)].AVAL.to_numpy(float)
        lo, hi = st.t.interval(0.95, x.size - 1, loc=x.mean(), scale=st.sem(x))
        assert (r.n, r.estimate, r.ci_low, r.ci_high) == pytest.approx((x.size, x.mean(), lo, hi), rel=1e-5)
    pairs = mine[mine.comparison.isin(["vs_placebo", "vs_arm"])]
    assert set(zip(pairs.study, pairs.comparison, pairs.arm, pairs.ref_arm)) == {
        ("TOY-1", "vs_placebo", "Low", "Control"), ("TOY-1", "vs_placebo", "High", "Control"),
        ("TOY-1", "vs_arm", "Low", "High"), ("TOY-2", "vs_arm", "A", "B")}
    for (study, visit, arm, ref), cell in pairs.groupby(["study", "visit", "arm", "ref_arm"]):
        x, y = (hand[(hand.STUDYID == study) & (hand.AVISITN == visit) & (hand.TRT01A == a)].AVAL.to_numpy(float)
                for a in (arm, ref))
        welch, ranks = st.ttest_ind(x, y, equal_var=False), st.mannwhitneyu(x, y, alternative="two-sided")
        w = cell[cell.method == "welch_t"].iloc[0]
        assert (w.n, w.n_ref) == (x.size, y.size)
        assert (w.estimate, w.ci_low, w.ci_high, w.p_value) == pytest.approx(
            (x.mean() - y.mean(), *welch.confidence_interval(0.95), welch.pvalue), rel=1e-5, abs=1e-12)
        assert cell[cell.method == "mann_whitney"].p_value.iloc[0] == pytest.approx(ranks.pvalue, rel=1e-5)
        rbc = cell[cell.method == "rank_biserial"].estimate.iloc[0]
        assert rbc == pytest.approx(2 * ranks.statistic / (x.size * y.size) - 1, rel=1e-5, abs=1e-12)


@pytest.mark.notebooks
def test_counts_figures_and_words(runs):
    data, out = runs["mixed"]
    for study in ("TOY-1", "TOY-2"):
        figures = out / "figures" / study
        words = _svg_words(figures / "pgic.svg")
        assert RATING_LABEL in words and not any(w.startswith("Change") for w in words)
        caption = captions.read_caption(figures / "pgic.png")
        assert "not a change from baseline" in caption and captions.wording_problems(caption) == []
        assert (figures / "dose_forest_at_visit.svg").exists()
        assert all(captions.wording_problems(w) == [] for w in _svg_words(figures / "dose_forest_at_visit.svg"))
        said = {nb: _said(out / "notebooks" / study / f"{nb}.ipynb") for nb in MIXED}
        other = said["other_endpoints"]
        assert f"1 other endpoint: {RATING_LABEL} ({analysis.NO_BASELINE})" in other
        assert "No other endpoint" not in other and "too few subjects" not in "".join(said.values())
        # the counts of the rating: subjects with a value at each visit, as many as the arms hold
        n = r"\s+8\s+8\s+8" if study == "TOY-1" else r"\s+6\s+6"
        assert re.search(r"PGIC\s+2\.0" + n + r"\s+4\.0" + n, other), other
    toy2 = _said(out / "notebooks" / "TOY-2" / "other_endpoints.ipynb")
    assert "Patient Global Impression of Change: not estimable: no placebo arm" in toy2
    assert RATING_LABEL in " ".join(_svg_words(out / "figures" / "TOY-1" / "dose_forest_at_visit.svg"))


@pytest.mark.notebooks
def test_a_folder_whose_only_parameter_has_no_baseline(runs):
    data, out = runs["only"]
    est, hand = _estimates(out), _hand(data)
    assert set(est[est.paramcd == RATING].finding) == {"physical_performance", "dose_comparison", "cohort"}
    # the CONSORT flow follows the rating: the subjects with a value at each visit, not 0
    counts = est[(est.finding == "cohort") & (est.paramcd == RATING)]
    expected = hand.groupby(["AVISITN", "TRT01A"]).USUBJID.nunique()
    assert {(r.visit, r.arm): r.n for r in counts.itertuples()} == {(float(v), a): n for (v, a), n in expected.items()}
    assert set(counts.n) == {8}
    flow = _svg_words(out / "figures" / "TOY-1" / "consort.svg")
    assert "(value at visit)" in flow and "(baseline and visit)" not in flow
    figures = out / "figures" / "TOY-1"
    assert (figures / "pgic.svg").exists() and (figures / "dose_forest_at_visit.svg").exists()
    said = {nb: _said(out / "notebooks" / "TOY-1" / f"{nb}.ipynb") for nb in NOTEBOOKS}
    assert "No other endpoint in this data set." in said["other_endpoints"]     # params.csv sent it elsewhere
    physical = said["physical_performance"]
    assert f"{RATING_LABEL} at 4 months (lower is better; {analysis.NO_BASELINE})" in physical
    high = est[(est.finding == "physical_performance") & (est.method == "welch_t") & (est.arm == "High")
               & (est.visit == 4.0)].iloc[0]
    verdict = "favourable" if high.ci_high < 0 else "unfavourable" if high.ci_low > 0 else "inconclusive"
    assert f"High vs Control (difference in means, Welch):" in physical and f"\u2192 {verdict}" in physical
    assert "too few subjects" not in "".join(said.values())
