"""The statistical analysis plan (contract section 3) as tidy rows of ``estimates.csv``.

Every function takes tidy DataFrames (the output of :func:`msc_frailty.data.add_change`, or a
:class:`~msc_frailty.data.TrialData`) and returns a DataFrame with the columns of
:data:`ESTIMATE_COLUMNS`, one row per estimate.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from . import stats
from .data import TrialData
from .results import ESTIMATE_COLUMNS, PLAN_COLUMNS  # noqa: F401  (the results table's columns)


TESAE_WINDOW_DAYS = 30


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PLAN_COLUMNS).assign(bound="")


def _arm_order(chg: pd.DataFrame) -> list[tuple[str, float]]:
    arms = chg[["TRT01A", "TRT01AN"]].drop_duplicates().sort_values(["TRT01AN", "TRT01A"])
    return list(arms.itertuples(index=False, name=None))


def _cells(chg: pd.DataFrame, params):
    data = chg if params is None else chg[chg["PARAMCD"].isin(params)]
    for (study, param, visit), cell in data.groupby(["STUDYID", "PARAMCD", "AVISITN"], sort=True):
        yield study, param, visit, cell


def change_from_baseline(chg: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """Mean change from baseline per arm, parameter and visit: paired t interval and p.

    Parameters
    ----------
    chg : pandas.DataFrame
        Output of :func:`msc_frailty.data.add_change` (columns STUDYID, PARAMCD, AVISITN, TRT01A,
        TRT01AN, CHG).
    finding, basis : str
        Written into the rows.
    params : list of str, optional
        PARAMCDs to analyse; all by default.

    Examples
    --------
    >>> import pandas as pd
    >>> chg = pd.DataFrame({"STUDYID": "S", "PARAMCD": "SIXMWD", "AVISITN": 6.0, "TRT01A": "100M",
    ...                     "TRT01AN": 100.0, "CHG": [10.0, 20.0, 30.0]})
    >>> change_from_baseline(chg, "physical_performance", "synthetic")[["arm", "n", "estimate"]]
        arm  n  estimate
    0  100M  3      20.0
    """
    rows = []
    for study, param, visit, cell in _cells(chg, params):
        for arm, _dose in _arm_order(cell):
            x = cell.loc[cell["TRT01A"] == arm, "CHG"]
            if len(x) < 2:
                continue
            r = stats.paired_t(x)
            rows.append([finding, study, param, visit, "change_from_baseline", arm, "", r["n"], np.nan,
                         r["estimate"], r["ci_low"], r["ci_high"], r["p_value"], "paired_t", basis])
    return _frame(rows)


def _pairwise(chg, finding, basis, params, comparison, pairs_of):
    rows = []
    for study, param, visit, cell in _cells(chg, params):
        for (arm, _), (ref, _) in pairs_of(_arm_order(cell)):
            two = cell[cell["TRT01A"].isin([arm, ref])]
            is_arm = (two["TRT01A"] == arm).to_numpy()
            if is_arm.sum() < 2 or (~is_arm).sum() < 2:
                continue
            r = stats.ancova(two["CHG"], two["BASE"], is_arm)
            rows.append([finding, study, param, visit, comparison, arm, ref, r["n"], r["n_ref"],
                         r["estimate"], r["ci_low"], r["ci_high"], r["p_value"], "ancova", basis])
            g = stats.hedges_g(two.loc[is_arm, "CHG"], two.loc[~is_arm, "CHG"])
            rows.append([finding, study, param, visit, comparison, arm, ref, g["n_x"], g["n_y"],
                         g["g"], g["ci_low"], g["ci_high"], np.nan, "hedges_g", basis])
            w = stats.welch_t(two.loc[is_arm, "CHG"], two.loc[~is_arm, "CHG"])
            rows.append([finding, study, param, visit, comparison, arm, ref, w["n"], w["n_ref"],
                         w["estimate"], w["ci_low"], w["ci_high"], w["p_value"], "welch_t", basis])
    return _frame(rows)


def vs_placebo(chg: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """Each active arm against placebo (TRT01AN = 0) per parameter and visit.

    Primary: ANCOVA of change on arm and baseline, fitted to that arm and placebo only (method
    ``ancova``; estimate = adjusted difference, arm minus placebo). Secondary, from the same subjects:
    Hedges' g of change with its exact interval (``hedges_g``) and the Welch t difference (``welch_t``).
    A study without a placebo arm gives no rows.
    """
    def pairs(order):
        placebo = [a for a in order if a[1] == 0]
        return [(a, placebo[0]) for a in order if a[1] != 0] if placebo else []

    return _pairwise(chg, finding, basis, params, "vs_placebo", pairs)


def vs_arm(chg: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """Every pair of active arms, the lower dose as ``arm`` and the higher as ``ref_arm``.

    Same models as :func:`vs_placebo`; estimate = lower dose minus higher dose, so for 100M vs 200M a
    positive ANCOVA estimate on a higher-is-better scale favours 100M.
    """
    def pairs(order):
        return list(combinations([a for a in order if a[1] != 0], 2))

    return _pairwise(chg, finding, basis, params, "vs_arm", pairs)


def dose_trend(chg: pd.DataFrame, finding: str, basis: str, params=None, include_placebo=True) -> pd.DataFrame:
    """Dose-response slope per parameter and visit: change per 100 million cells, adjusted for baseline.

    An OLS of change on dose (TRT01AN / 100) and baseline over all arms (placebo as dose 0 when
    ``include_placebo``). Rows have comparison ``dose_trend``, method ``linear_trend``, arm ``per_100M``.
    """
    rows = []
    for study, param, visit, cell in _cells(chg, params):
        data = cell if include_placebo else cell[cell["TRT01AN"] > 0]
        if data["TRT01AN"].nunique() < 2 or len(data) < 4:
            continue
        r = stats.linear_trend(data["CHG"], data["BASE"], data["TRT01AN"])
        rows.append([finding, study, param, visit, "dose_trend", "per_100M", "", r["n"], np.nan,
                     r["estimate"], r["ci_low"], r["ci_high"], r["p_value"], "linear_trend", basis])
    return _frame(rows)


#: paramcd of the worst-case rows: TE-SAE with an unknown day of onset (ASTDY missing) counted inside the window
TESAE_WORST_CASE = "TESAE30_WORST"


def tesae_subjects(trial: TrialData, window_days: int = TESAE_WINDOW_DAYS,
                   unknown_onset_inside: bool = False) -> pd.DataFrame:
    """Safety population with a flag TESAE30: a treatment-emergent serious AE starting on days 1-window.

    An event with a missing ASTDY (onset unknown) is outside the window, unless ``unknown_onset_inside``
    (the worst case), never dropped silently: :func:`unknown_onset_events` lists them.
    """
    ae = trial.adae
    inside = (ae["ASTDY"] >= 1) & (ae["ASTDY"] <= window_days)
    if unknown_onset_inside:
        inside = inside | ae["ASTDY"].isna()
    hit = ae[(ae["AESER"] == "Y") & (ae["TRTEMFL"] == "Y") & inside]
    keys = set(zip(hit["STUDYID"], hit["USUBJID"]))
    saf = trial.adsl[trial.adsl["SAFFL"] == "Y"].copy()
    saf["TESAE30"] = [k in keys for k in zip(saf["STUDYID"], saf["USUBJID"])]
    return saf


def unknown_onset_events(trial: TrialData) -> pd.DataFrame:
    """Serious treatment-emergent adverse events whose day of onset (ASTDY) is missing, with the arm."""
    ae = trial.adae
    unknown = ae[(ae["AESER"] == "Y") & (ae["TRTEMFL"] == "Y") & ae["ASTDY"].isna()]
    arms = trial.adsl[["STUDYID", "USUBJID", "TRT01A"]]
    return unknown.merge(arms, on=["STUDYID", "USUBJID"], how="left").reset_index(drop=True)


def tesae_proportions(trial: TrialData, finding: str = "safety", confidence: float = 0.95) -> pd.DataFrame:
    """Proportion of subjects with a TE-SAE on days 1-30 per arm, exact Clopper-Pearson interval.

    One ``proportion`` / ``clopper_pearson`` row per arm (paramcd ``TESAE30``, visit empty), and per
    study one ``across_arms`` / ``fisher_exact`` row with the exact (Freeman-Halton) p of the arms x
    event table. A study with serious treatment-emergent events of unknown onset (ASTDY missing) gets
    the same rows again with paramcd :data:`TESAE_WORST_CASE`, counting those events inside the window.
    """
    unknown = set(unknown_onset_events(trial)["STUDYID"])
    rows = _tesae_rows(tesae_subjects(trial), "TESAE30", finding, trial.basis, confidence)
    if unknown:
        worst = tesae_subjects(trial, unknown_onset_inside=True)
        rows += _tesae_rows(worst[worst["STUDYID"].isin(unknown)], TESAE_WORST_CASE, finding, trial.basis,
                            confidence)
    return _frame(rows)


def _tesae_rows(saf: pd.DataFrame, paramcd: str, finding: str, basis: str, confidence: float) -> list:
    rows = []
    for study, s in saf.groupby("STUDYID", sort=True):
        table = []
        for arm, dose in _arm_order(s):
            a = s[s["TRT01A"] == arm]
            k, n = int(a["TESAE30"].sum()), len(a)
            lo, hi = stats.clopper_pearson(k, n, confidence)
            rows.append([finding, study, paramcd, np.nan, "proportion", arm, "", n, np.nan, k / n, lo, hi,
                         np.nan, "clopper_pearson", basis])
            table.append([k, n - k])
        if len(table) > 1:
            p = stats.fisher_freeman_halton(table)
            rows.append([finding, study, paramcd, np.nan, "across_arms", "", "", len(s), np.nan, np.nan,
                         np.nan, np.nan, p, "fisher_exact", basis])
    return rows
