"""The synthetic default data: regenerable byte for byte, and honouring every printed constraint.

The constraints are checked here on the committed CSV files with scipy and statsmodels directly,
independently of the generator's own targets.csv and of msc_frailty.stats.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import yaml
from scipy import stats as st

from msc_frailty import synthetic
from msc_frailty.paths import DEFAULT_DATA, SYNTHETIC_SPEC

FILES = ["adsl.csv", "adeff.csv", "adae.csv", "targets.csv"]


@pytest.fixture(scope="module")
def tables():
    return {n: pd.read_csv(DEFAULT_DATA / f"{n}.csv") for n in ("adsl", "adeff", "adae")}


def changes(tables, study, param, visit):
    """Per-subject change from baseline with arm, computed by hand from adeff."""
    e = tables["adeff"]
    e = e[(e.STUDYID == study) & (e.PARAMCD == param)]
    base = e[e.AVISITN == 0].set_index("USUBJID").AVAL
    post = e[e.AVISITN == visit].set_index("USUBJID").AVAL
    df = pd.DataFrame({"BASE": base, "CHG": post - base}).dropna()
    arms = tables["adsl"].set_index("USUBJID").TRT01A
    df["arm"] = arms.reindex(df.index).to_numpy()
    return df


def p_paired(x):
    return st.ttest_1samp(x, 0).pvalue


def ancova_fit(df, arm, ref):
    two = df[df.arm.isin([arm, ref])].copy()
    two["is_arm"] = (two.arm == arm).astype(float)
    fit = smf.ols("CHG ~ is_arm + BASE", data=two).fit()
    return fit.params["is_arm"], fit.pvalues["is_arm"]


def test_regenerates_byte_identical(tmp_path):
    synthetic.write(SYNTHETIC_SPEC, tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEFAULT_DATA / name).read_bytes(), (
            f"data/synthetic/{name} is not what spec.yaml generates; run `make data` and commit")


def test_every_row_flagged_synthetic(tables):
    for name, df in tables.items():
        assert (df.SYNTHFL == "Y").all(), name


def test_arm_sizes(tables):
    n = tables["adsl"].groupby(["STUDYID", "TRT01A"]).size().to_dict()
    assert n == {("CRATUS-P1", "20M"): 5, ("CRATUS-P1", "100M"): 5, ("CRATUS-P1", "200M"): 5,
                 ("CRATUS-P2", "100M"): 10, ("CRATUS-P2", "200M"): 10, ("CRATUS-P2", "Placebo"): 10,
                 ("LOMECEL-P2B", "25M"): 37, ("LOMECEL-P2B", "50M"): 31, ("LOMECEL-P2B", "100M"): 34,
                 ("LOMECEL-P2B", "200M"): 16, ("LOMECEL-P2B", "Placebo"): 30}


def test_visits(tables):
    v = tables["adeff"].groupby("STUDYID").AVISITN.unique()
    assert sorted(v["CRATUS-P1"]) == [0, 3, 6]
    assert sorted(v["CRATUS-P2"]) == [0, 3, 6, 12]
    assert sorted(v["LOMECEL-P2B"]) == [0, 3, 6, 9]


def test_cratus_p2_age(tables):
    age = tables["adsl"].query("STUDYID == 'CRATUS-P2'").AGE
    assert len(age) == 30 and (age == age.round()).all()
    assert age.mean() == pytest.approx(75.5, abs=1e-12)
    assert round(age.std(ddof=1), 1) == 7.3
    assert age.between(60, 95).all()


def test_eligibility_lomecel(tables):
    s = tables["adsl"].query("STUDYID == 'LOMECEL-P2B'")
    assert s.AGE.between(70, 85).all()
    e = tables["adeff"].query("STUDYID == 'LOMECEL-P2B' and AVISITN == 0")
    assert e.query("PARAMCD == 'SIXMWD'").AVAL.between(200, 400, inclusive="neither").all()
    assert (e.query("PARAMCD == 'TNFA'").AVAL > 2.5).all()


def test_no_tesae_within_30_days_and_the_death(tables):
    ae = tables["adae"]
    early = ae[(ae.AESER == "Y") & (ae.TRTEMFL == "Y") & (ae.ASTDY <= 30)]
    assert early.empty
    deaths = ae[ae.AEOUT == "FATAL"]
    assert len(deaths) == 1
    death = deaths.iloc[0]
    arm = tables["adsl"].set_index("USUBJID").loc[death.USUBJID, "TRT01A"]
    assert (death.STUDYID, arm, death.ASTDY) == ("CRATUS-P1", "200M", 259)
    assert ae[(ae.STUDYID == "LOMECEL-P2B") & (ae.AESER == "Y")].empty
    # no serious event beyond the printed ones (A21): the death is the only serious row of any trial
    assert ae[(ae.AESER == "Y") | (ae.AEOUT == "FATAL")].index.tolist() == deaths.index.tolist()


def test_adverse_events_have_their_own_onset_windows(tables):
    """A20: a reaction at the infusion site follows the single infusion, on days 1-3, at most once per subject
    (it cannot recur without another infusion); the other terms occur over the follow-up, not within days."""
    ae, spec = tables["adae"], yaml.safe_load(SYNTHETIC_SPEC.read_text())
    site = ae[ae.AEDECOD == "Infusion site bruising"]
    assert len(site) > 10 and site.ASTDY.between(1, 3).all() and set(site.ASTDY) == {1, 2, 3}
    assert not site.duplicated("USUBJID").any()
    for study, s in spec["studies"].items():
        windows = s["adverse_events"]["infusion_terms"]
        assert windows == {"Infusion site bruising": {"risk": 0.10, "onset_days": [1, 3]}}
        assert "Infusion site bruising" not in s["adverse_events"]["terms"]
    later = ae[(ae.AEDECOD != "Infusion site bruising") & (ae.AEOUT != "FATAL")]
    assert later.ASTDY.between(1, 365).all() and later.ASTDY.median() > 100    # spread over the year
    # per subject-year about the assumed rate (A11): no study has a pile of events in the first days
    assert (later.ASTDY <= 3).mean() < 0.05


@pytest.mark.parametrize("visit, printed", [(3, 0.02), (6, 0.001)])
def test_cratus_p1_pooled_6mwd(tables, visit, printed):
    df = changes(tables, "CRATUS-P1", "SIXMWD", visit)
    assert len(df) == 15 and df.CHG.mean() > 0
    assert p_paired(df.CHG) == pytest.approx(printed, rel=1e-4)


def test_cratus_p1_tnfa(tables):
    df = changes(tables, "CRATUS-P1", "TNFA", 6)
    for arm in ("100M", "200M"):
        x = df[df.arm == arm].CHG
        assert x.mean() < 0 and p_paired(x) == pytest.approx(0.0001, rel=1e-4)
    assert p_paired(df.CHG) < 0.0001 and df.CHG.mean() < 0


def test_cratus_p1_100m_best_except_tnfa(tables):
    for param in ("SIXMWD", "SF36PCS"):
        for visit in (3, 6):
            m = changes(tables, "CRATUS-P1", param, visit).groupby("arm").CHG.mean()
            assert m.idxmax() == "100M", (param, visit)
    for visit in (3, 6):
        m = changes(tables, "CRATUS-P1", "SF36PCS", visit)
        assert p_paired(m[m.arm == "100M"].CHG) < 0.05


@pytest.mark.parametrize("param", ["SIXMWD", "SPPB", "FEV1"])
def test_cratus_p2_physical_100m_only(tables, param):
    df = changes(tables, "CRATUS-P2", param, 6)
    x = df[df.arm == "100M"].CHG
    assert x.mean() > 0 and round(p_paired(x), 2) == 0.01
    if param != "SPPB":  # continuous: met exactly
        assert p_paired(x) == pytest.approx(0.01, rel=1e-4)
    for arm in ("200M", "Placebo"):
        assert p_paired(df[df.arm == arm].CHG) > 0.05


@pytest.mark.parametrize("param", ["SIXMWD", "SPPB", "FEV1"])
@pytest.mark.parametrize("visit", [3, 6, 12])
def test_cratus_p2_physical_performance_preferentially_100m_at_every_visit(tables, param, visit):
    """The paper: "Physical performance improved preferentially in the 100M-group" (read at every post-baseline
    visit on the three physical measures it names, A19): 100M has the best mean change of the three arms."""
    means = changes(tables, "CRATUS-P2", param, visit).groupby("arm").CHG.mean()
    assert sorted(means.index) == ["100M", "200M", "Placebo"]
    assert means.idxmax() == "100M", means.to_dict()


@pytest.mark.parametrize("param", ["SIXMWD", "SPPB", "FEV1"])
def test_cratus_p2_press_release_ordering_at_one_year(tables, param):
    """The press release: 100M "performed better ... than those who received 200 million cells. Both groups
    performed better than those who received the placebo" (read at month 12 on the physical measures, A18)."""
    df = changes(tables, "CRATUS-P2", param, 12)
    means = df.groupby("arm").CHG.mean()
    assert means.idxmax() == "100M"
    assert ancova_fit(df, "200M", "Placebo")[0] > 0


def test_cratus_p2_sppb_is_integer_in_range(tables):
    v = tables["adeff"].query("PARAMCD == 'SPPB'").AVAL
    assert (v == v.round()).all() and v.between(0, 12).all()


def test_cratus_p2_sqolf_and_tnfa(tables):
    sq = changes(tables, "CRATUS-P2", "SQOLF", 6)
    sex = tables["adsl"].set_index("USUBJID").SEX
    assert (sex.reindex(sq.index) == "F").all()
    x = sq[sq.arm == "100M"].CHG
    assert x.mean() > 0 and p_paired(x) == pytest.approx(0.03, rel=1e-4)
    t = changes(tables, "CRATUS-P2", "TNFA", 6)
    x = t[t.arm == "100M"].CHG
    assert x.mean() < 0 and p_paired(x) == pytest.approx(0.03, rel=1e-4)


def test_cratus_p2_b_cell_tnfa(tables):
    df = changes(tables, "CRATUS-P2", "BCTNFA", 6)
    p100 = p_paired(df[df.arm == "100M"].CHG)
    p200 = p_paired(df[df.arm == "200M"].CHG)
    assert p100 < 0.0001
    assert p200 == pytest.approx(0.002, rel=1e-4)
    est100, pv100 = ancova_fit(df, "100M", "Placebo")
    est200, pv200 = ancova_fit(df, "200M", "Placebo")
    assert est100 < 0 and pv100 == pytest.approx(0.003, rel=1e-4)
    assert est200 < 0 and pv200 == pytest.approx(0.039, rel=1e-4)


def test_lomecel_6mwd(tables):
    df6 = changes(tables, "LOMECEL-P2B", "SIXMWD", 6)
    df9 = changes(tables, "LOMECEL-P2B", "SIXMWD", 9)
    assert ancova_fit(df9, "200M", "Placebo")[0] == pytest.approx(63.4, abs=1e-6)
    assert ancova_fit(df6, "200M", "Placebo")[0] == pytest.approx(41.0, abs=1e-6)
    # no dose significant vs placebo at 6 months after Hochberg (statsmodels' implementation)
    from statsmodels.stats.multitest import multipletests
    ps = [ancova_fit(df6, arm, "Placebo")[1] for arm in ("25M", "50M", "100M", "200M")]
    assert not multipletests(ps, alpha=0.05, method="simes-hochberg")[0].any()
    # significant linear dose trend at 6 months (the assumed form of the unpublished test)
    dose = tables["adsl"].set_index("USUBJID").TRT01AN
    df6["dose"] = dose.reindex(df6.index).to_numpy()
    assert smf.ols("CHG ~ dose + BASE", data=df6).fit().pvalues["dose"] < 0.05


def test_targets_all_met():
    t = pd.read_csv(DEFAULT_DATA / "targets.csv")
    assert len(t) >= 25 and (t.met == "yes").all()
    assert t.source.str.startswith("http").all()



# --- sampling noise and missing data (issue 16: a synthetic default that does not look fabricated) ---------

def cell_summaries(tables):
    """n, mean and 95% t interval of every (study, parameter, arm, visit) cell, by hand with scipy.

    Post-baseline visits summarize the change from baseline, visit 0 the baseline value itself.
    """
    e = tables["adeff"].merge(tables["adsl"][["USUBJID", "TRT01A"]], on="USUBJID")
    base = e[e.AVISITN == 0][["USUBJID", "PARAMCD", "AVAL"]].rename(columns={"AVAL": "BASE"})
    e = e.merge(base, on=["USUBJID", "PARAMCD"])
    e["Y"] = np.where(e.AVISITN == 0, e.AVAL, e.AVAL - e.BASE)
    rows = []
    for (study, param, arm, visit), g in e.groupby(["STUDYID", "PARAMCD", "TRT01A", "AVISITN"]):
        n, m, sd = len(g), g.Y.mean(), g.Y.std(ddof=1)
        half = st.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
        rows.append({"study": study, "paramcd": param, "arm": arm, "visit": visit, "n": n, "mean": m,
                     "ci_low": m - half, "ci_high": m + half})
    return pd.DataFrame(rows)


def test_no_two_cells_share_a_mean_and_interval(tables):
    # the record prints no two cells alike, so no two visits or arms of a parameter may show the same mean
    # change and t interval; compared at 3 significant digits, coarser than any figure or table prints them
    cells = cell_summaries(tables)
    # every cell is there: parameters x arms x visits (baseline included) of CRATUS-P1, CRATUS-P2, LOMECEL-P2B
    assert len(cells) == 3 * 3 * 3 + 6 * 3 * 4 + 2 * 5 * 4
    shown = cells.assign(**{c: cells[c].map(lambda v: float(f"{v:.3g}")) for c in ("mean", "ci_low", "ci_high")})
    for (study, param, visit_kind), g in shown.groupby(["study", "paramcd", shown.visit > 0]):
        dup = g[g.duplicated(["mean", "ci_low", "ci_high"], keep=False)]
        assert dup.empty, f"{study} {param}: identical mean and interval in\n{dup.to_string(index=False)}"


def test_unprinted_cells_are_drawn_around_the_assumptions(tables):
    # a cell the record prints nothing about has its assumed mean as the population value: the sample mean
    # scatters around it and is never set onto it
    spec = yaml.safe_load(SYNTHETIC_SPEC.read_text())
    cells = cell_summaries(tables).set_index(["study", "paramcd", "arm", "visit"])
    checked = 0
    for study, s in spec["studies"].items():
        for param, p in s["parameters"].items():
            for visit, v in p["visits"].items():
                fixed = set(v.get("within") or {}) | set(v.get("vs_placebo") or {})
                if "pooled" in v:
                    continue                          # every arm shares the pooled p's shift
                for arm, mean in (v.get("mean") or {}).items():
                    if arm in fixed:
                        continue
                    got = cells.loc[(study, param, arm, visit)]
                    # an integer score's mean is a multiple of 1/n and can land on the assumed value by chance
                    # (SPPB placebo at month 3: 0 of 9); only a continuous one set onto it would be a sign
                    if not p.get("integer"):
                        assert abs(got["mean"] - mean) > 1e-6, (study, param, arm, visit)
                    sd = (v["sd"].get("all") or v["sd"].get(arm))
                    assert abs(got["mean"] - mean) < 4 * sd / np.sqrt(got["n"]), (study, param, arm, visit)
                    checked += 1
    assert checked > 60


def test_missing_values_are_absent_records(tables):
    e, adsl = tables["adeff"], tables["adsl"]
    assert e.AVAL.notna().all() and not e.duplicated(["USUBJID", "PARAMCD", "AVISITN"]).any()
    assert set(e.USUBJID) <= set(adsl.USUBJID)
    # every infused subject has a baseline of every parameter of the study (SQOL-F: every woman)
    for study, s in adsl.groupby("STUDYID"):
        base = e[(e.STUDYID == study) & (e.AVISITN == 0)]
        for param, b in base.groupby("PARAMCD"):
            who = s[s.SEX == "F"] if param == "SQOLF" else s
            assert sorted(b.USUBJID) == sorted(who.USUBJID), (study, param)
    # post-baseline records are missing in the randomized trials, as in any real one, and not absurdly many:
    # about a tenth of a visit's subjects (A12, A14, A15), never four in ten of an arm (SQOL-F: of its women)
    full = adsl.assign(W=(adsl.SEX == "F").astype(int)).groupby(["STUDYID", "TRT01A"]).agg(N=("USUBJID", "size"),
                                                                                           W=("W", "sum"))
    n = cell_summaries(tables).query("visit > 0").join(full, on=["study", "arm"])
    n["full"] = n.W.where(n.paramcd == "SQOLF", n.N)
    assert set(n[n.n < n.full].study) >= {"CRATUS-P2", "LOMECEL-P2B"}
    # CRATUS-P1 is complete wherever a printed p fixes it (A16: 6MWD at months 3 and 6, TNF-alpha of 100M and
    # 200M at month 6); elsewhere only a missed assessment (A15) can leave a value out, never a missed visit
    p1 = n[(n.study == "CRATUS-P1") & (n.n < n.full)]
    assert (p1.paramcd != "SIXMWD").all() and (p1.full - p1.n <= 1).all()
    assert (n.n >= 0.6 * n.full).all()
    sums = n.groupby(["study", "visit"])[["n", "full"]].sum()
    share = sums.n / sums.full
    assert share.between(0.8, 1.0).all()

def test_arms_a_printed_p_fixes_are_complete_there(tables):
    # A16: a printed p is read as computed on every subject of the arm (as the published-basis rows read it)
    n = cell_summaries(tables).set_index(["study", "paramcd", "arm", "visit"]).n
    for visit in (3, 6):
        for arm in ("20M", "100M", "200M"):
            assert n["CRATUS-P1", "SIXMWD", arm, visit] == 5           # pooled 6MWD p at 3 and 6 months
    for arm in ("100M", "200M"):
        assert n["CRATUS-P1", "TNFA", arm, 6] == 5
    for param in ("SIXMWD", "SPPB", "FEV1", "TNFA", "BCTNFA"):
        assert n["CRATUS-P2", param, "100M", 6] == 10
    assert n["CRATUS-P2", "SQOLF", "100M", 6] == 5                       # every woman of the arm
    for arm in ("Placebo", "200M"):
        assert n["CRATUS-P2", "BCTNFA", arm, 6] == 10


def test_disposition_in_adsl_and_no_value_after_death(tables):
    adsl, e, ae = tables["adsl"], tables["adeff"], tables["adae"]
    assert set(adsl.EOSSTT) == {"COMPLETED", "DISCONTINUED"}
    gone = adsl[adsl.EOSSTT == "DISCONTINUED"]
    assert gone.DCSREAS.notna().all() and adsl[adsl.EOSSTT == "COMPLETED"].DCSREAS.isna().all()
    assert set(gone.DCSREAS) <= {"DEATH", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP"}
    dead = adsl[adsl.DTHFL == "Y"]
    assert list(dead.DCSREAS) == ["DEATH"] and list(dead.STUDYID) == ["CRATUS-P1"]
    for uid in dead.USUBJID:
        day = ae[(ae.USUBJID == uid) & (ae.AEOUT == "FATAL")].ASTDY.item()
        assert (ae[ae.USUBJID == uid].ASTDY <= day).all()
        visits = e[e.USUBJID == uid].AVISITN
        assert (visits * 365.25 / 12 + 1 < day).all()
        # the record's death (CRATUS Phase 1, day 259) falls after CRATUS-P1's last efficacy visit (month 6)
        assert sorted(set(visits)) == [0, 3, 6]
    # a subject who left the study has no adverse event later than the last visit anyone had after them
    for r in gone[gone.DCSREAS != "DEATH"].itertuples():
        last = e[e.USUBJID == r.USUBJID].AVISITN.max()
        scheduled = sorted(set(e[e.STUDYID == r.STUDYID].AVISITN))
        after = [v for v in scheduled if v > last]
        if after:
            limit = after[0] * 365.25 / 12 + 1
            assert (ae[ae.USUBJID == r.USUBJID].ASTDY < limit + 1).all(), r.USUBJID


def test_targets_hold_for_the_assumptions_themselves():
    t = pd.read_csv(DEFAULT_DATA / "targets.csv", dtype=str, keep_default_na=False)
    drawn = t[t.draw != ""]
    assert len(drawn) >= 30 and drawn.draw.astype(int).between(1, synthetic.MAX_DRAWS).all()
    assert (drawn.at_assumptions != "").all() and (drawn.n != "").all()
    exact = drawn[drawn.test.isin(["paired_t p", "pooled paired_t p", "ancova p_value", "ancova estimate"])]
    assert (exact.at_assumptions.astype(float) == exact.target.astype(float)).all()


# --- building blocks ---------------------------------------------------------------------------

def test_exact_change_moments():
    rng = np.random.default_rng(1)
    z = synthetic.standardize(rng.standard_normal(12))
    u = synthetic.orthogonal_unit(rng.standard_normal(12), z)
    c = synthetic.exact_change(5.0, 2.0, -0.3, z, u)
    assert c.mean() == pytest.approx(5.0, abs=1e-12)
    assert c.std(ddof=1) == pytest.approx(2.0, abs=1e-12)
    assert np.corrcoef(c, z)[0, 1] == pytest.approx(-0.3, abs=1e-12)


def test_t_for_p_inverts_scipy():
    t = synthetic.t_for_p(0.002, 9)
    assert 2 * st.t.sf(t, 9) == pytest.approx(0.002, rel=1e-10)


def test_integer_ages_meet_mean_and_sd():
    age = synthetic.integer_ages(30, 75.5, 7.3, 60, 95, np.random.default_rng(3))
    assert age.mean() == 75.5 and round(age.std(ddof=1), 1) == 7.3 and age.min() >= 60


def test_impossible_integer_mean_raises():
    with pytest.raises(synthetic.SpecError, match="no integer ages"):
        synthetic.integer_ages(3, 70.5, 5, 60, 95, np.random.default_rng(0))


def test_spec_violating_eligibility_raises():
    spec = yaml.safe_load(SYNTHETIC_SPEC.read_text())
    spec["studies"] = {"LOMECEL-P2B": spec["studies"]["LOMECEL-P2B"]}
    spec["studies"]["LOMECEL-P2B"]["parameters"]["SIXMWD"]["baseline"]["sd"] = 120
    with pytest.raises(synthetic.SpecError, match="outside"):
        synthetic.generate(spec)


def test_vs_placebo_target_without_placebo_raises():
    spec = yaml.safe_load(SYNTHETIC_SPEC.read_text())
    p1 = spec["studies"]["CRATUS-P1"]
    p1["parameters"]["SIXMWD"]["visits"][6]["vs_placebo"] = {"100M": {"estimate": 10}}
    spec["studies"] = {"CRATUS-P1": p1}
    with pytest.raises(synthetic.SpecError, match="without a placebo"):
        synthetic.generate(spec)


def test_written_files_fail_when_a_constraint_is_not_met(tmp_path):
    spec = yaml.safe_load(SYNTHETIC_SPEC.read_text())
    p2 = spec["studies"]["CRATUS-P2"]
    p2["parameters"]["SIXMWD"]["visits"][6]["mean"]["200M"] = 60   # "not in the 200M group" now false
    spec["studies"] = {"CRATUS-P2": p2}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(synthetic.SpecError, match="not met"):
        synthetic.write(path, tmp_path / "out")
    assert not (tmp_path / "out" / "adsl.csv").exists()


def test_shift_to_paired_p_keeps_the_sd():
    c = np.random.default_rng(2).normal(3, 2, 9)
    x = synthetic.shift_to_paired_p(c, 0.003, direction=-1)
    assert st.ttest_1samp(x, 0).pvalue == pytest.approx(0.003, rel=1e-10) and x.mean() < 0
    assert x.std(ddof=1) == pytest.approx(c.std(ddof=1), rel=1e-12)


def test_disposition_rates_and_complete_cells():
    spec = yaml.safe_load(SYNTHETIC_SPEC.read_text())["studies"]["CRATUS-P2"]
    arms = ["Placebo", "100M", "200M"] * 10
    cells = synthetic.complete_cells(spec)
    assert ("BCTNFA", "Placebo", 6) in cells and ("SIXMWD", "200M", 6) not in cells
    spec["missing"] = {"dropout_per_year": 0.0, "missed_visit": 0.0}
    none = synthetic.disposition(spec, arms, np.random.default_rng(0), cells)
    assert (none.EOSSTT == "COMPLETED").all() and all(v == [3, 6, 12] for v in none.visits)
    spec["missing"] = {"dropout_per_year": 1.0, "missed_visit": 1.0}
    every = synthetic.disposition(spec, arms, np.random.default_rng(0), cells)
    # everyone leaves, but only after month 6, which the printed p-values keep complete in all three arms
    assert (every.EOSSTT == "DISCONTINUED").all() and all(v == [6] for v in every.visits)
    assert (every.last_day >= synthetic.visit_day(6)).all() and (every.last_day < synthetic.visit_day(12)).all()


def test_assumptions_contradicting_a_statement_stop_generation_even_if_a_draw_could_meet_it():
    # at 200M's assumed mean of +60 m the printed "not in the 200M group" fails for the assumptions themselves,
    # so no lucky draw is searched for
    spec = yaml.safe_load(SYNTHETIC_SPEC.read_text())
    p2 = spec["studies"]["CRATUS-P2"]
    p2["parameters"] = {"SIXMWD": p2["parameters"]["SIXMWD"]}
    p2["parameters"]["SIXMWD"]["visits"][6]["mean"]["200M"] = 60
    spec["studies"] = {"CRATUS-P2": p2}
    with pytest.raises(synthetic.SpecError, match="not met by the assumptions themselves"):
        synthetic.generate(spec)
