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
