"""The statistical analysis plan (contract section 3) as tidy rows of ``estimates.csv``.

Every function takes tidy DataFrames (the output of :func:`msc_frailty.data.add_change` or of
:func:`values_at_visits`, or a :class:`~msc_frailty.data.TrialData`) and returns a DataFrame with the columns of
:data:`ESTIMATE_COLUMNS`, one row per estimate.

Parameters with a baseline record (AVISITN 0): :func:`change_from_baseline` (``paired_t``), :func:`vs_placebo` and
:func:`vs_arm` (``ancova``, with ``hedges_g`` and ``welch_t`` as secondary rows), :func:`dose_trend`.

Parameters without a baseline record for anyone in the study (:func:`no_baseline_params`: ratings of change such
as CGI-I, PGIC or CIBIC+, measured only after treatment) are analysed as the value at each visit
(:func:`values_at_visits`), never dropped:

- ``at_visit`` / ``t_interval`` (:func:`at_visit`): per arm, visit and parameter, n, the mean of AVAL and its t
  interval; no p (there is no value to test against).
- ``vs_placebo`` / ``welch_t`` and ``vs_arm`` / ``welch_t`` (:func:`at_visit_vs_placebo`, :func:`at_visit_vs_arm`):
  the difference in means (arm minus ref_arm; for ``vs_arm`` arm is the lower dose), Welch's interval and p.
- For an ordinal score (:func:`is_ordinal_score`: whole numbers spanning at most :data:`ORDINAL_MAX_SPAN` points,
  e.g. a 1-7 rating), two more rows per pair from the same subjects: ``mann_whitney`` (the two-sided
  Mann-Whitney U test of :func:`pingouin.mwu`; its p in ``p_value``, no estimate) and ``rank_biserial`` (its
  effect size, the rank-biserial correlation P(arm > ref_arm) - P(arm < ref_arm), in ``estimate``; no interval,
  no p).

An arm needs 2 subjects for a row. What is not estimable, and why ("one subject in Low", "no placebo arm"), is
listed by :func:`not_estimable`, not guessed from a missing row.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from . import stats
from .data import TrialData, add_change
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


def _per_arm(data: pd.DataFrame, y: str, params):
    """``(study, param, visit, arm, values of y)`` of every arm with at least 2 subjects in a cell, in order."""
    for study, param, visit, cell in _cells(data, params):
        for arm, _dose in _arm_order(cell):
            x = cell.loc[cell["TRT01A"] == arm, y]
            if len(x) >= 2:
                yield study, param, visit, arm, x


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
    for study, param, visit, arm, x in _per_arm(chg, "CHG", params):
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


def _placebo_pairs(order) -> list:
    """Each active arm with the placebo arm (TRT01AN = 0) of ``order`` (``[(arm, dose), ...]``); none without one."""
    placebo = [a for a in order if a[1] == 0]
    return [(a, placebo[0]) for a in order if a[1] != 0] if placebo else []


def _dose_pairs(order) -> list:
    """Every pair of active arms of ``order``, the lower dose first."""
    return list(combinations([a for a in order if a[1] != 0], 2))


#: The pairs each between-arm comparison makes of a study's arms (ordered by dose).
PAIRS = {"vs_placebo": _placebo_pairs, "vs_arm": _dose_pairs}


def vs_placebo(chg: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """Each active arm against placebo (TRT01AN = 0) per parameter and visit.

    Primary: ANCOVA of change on arm and baseline, fitted to that arm and placebo only (method
    ``ancova``; estimate = adjusted difference, arm minus placebo). Secondary, from the same subjects:
    Hedges' g of change with its exact interval (``hedges_g``) and the Welch t difference (``welch_t``).
    A study without a placebo arm gives no rows.
    """
    return _pairwise(chg, finding, basis, params, "vs_placebo", _placebo_pairs)


def vs_arm(chg: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """Every pair of active arms, the lower dose as ``arm`` and the higher as ``ref_arm``.

    Same models as :func:`vs_placebo`; estimate = lower dose minus higher dose, so for 100M vs 200M a
    positive ANCOVA estimate on a higher-is-better scale favours 100M.
    """
    return _pairwise(chg, finding, basis, params, "vs_arm", _dose_pairs)


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


# --------------------------------------------------------------------------------------------------
# Parameters without a baseline record: the value at each visit
# --------------------------------------------------------------------------------------------------

#: An ordinal score (:func:`is_ordinal_score`) spans at most this many points: at most 11 levels (a 0-10 rating,
#: a 1-7 global impression); a longer integer scale (the SPPB's 0-12, a 0-100 visual analogue scale) is not one.
ORDINAL_MAX_SPAN = 10

#: The reason :func:`not_estimable` and the notebooks give for at-visit rows in place of change from baseline.
NO_BASELINE = "no baseline record: analysed as the value at each visit"


def no_baseline_params(adeff: pd.DataFrame) -> list[str]:
    """The PARAMCDs that have no baseline record (AVISITN 0) for anyone, in a study of ``adeff``, sorted.

    Such a parameter (a rating of change such as CGI-I, PGIC or CIBIC+) is analysed as the value at each visit
    (:func:`values_at_visits`); a parameter with a baseline record for some subjects is analysed as change from
    baseline, its subjects without one left out (:func:`msc_frailty.data.add_change`).

    Examples
    --------
    >>> adeff = pd.DataFrame({"STUDYID": "S", "PARAMCD": ["SIXMWD", "SIXMWD", "PGIC", "PGIC"],
    ...                       "AVISITN": [0.0, 6.0, 3.0, 6.0]})
    >>> no_baseline_params(adeff)
    ['PGIC']
    """
    return sorted({p for _, p in _no_baseline_keys(adeff)})


def _no_baseline_keys(adeff: pd.DataFrame) -> set:
    """``{(STUDYID, PARAMCD)}`` of the parameters without any AVISITN 0 record in that study."""
    if adeff.empty:
        return set()
    has_base = (adeff["AVISITN"].astype(float) == 0).groupby([adeff["STUDYID"], adeff["PARAMCD"]]).any()
    return {key for key, based in has_base.items() if not based}


def values_at_visits(trial: TrialData, params=None) -> pd.DataFrame:
    """The records the at-visit rows use: the post-baseline values (AVISITN > 0) of the parameters without a
    baseline record (:func:`no_baseline_params`), for the safety population (SAFFL = Y), with the arm.

    The same population and record rules as :func:`msc_frailty.data.add_change` (``trial.adeff`` holds the records
    the ANL01FL / DTYPE rule keeps); no BASE or CHG column.

    Parameters
    ----------
    trial : TrialData
        The data set (usually one study).
    params : list of str, optional
        PARAMCDs to keep; all without a baseline record by default.

    Returns
    -------
    pandas.DataFrame
        adeff's columns and TRT01A, TRT01AN, SAFFL; one row per subject, parameter and post-baseline visit, sorted
        by STUDYID, PARAMCD, AVISITN, TRT01AN, USUBJID.
    """
    keys = _no_baseline_keys(trial.adeff)
    eff = trial.adeff[[k in keys for k in zip(trial.adeff["STUDYID"], trial.adeff["PARAMCD"])]]
    if params is not None:
        eff = eff[eff["PARAMCD"].isin(params)]
    arm = ["TRT01A", "TRT01AN", "SAFFL"]     # from adsl, whatever a BDS table carries of them
    eff = eff.drop(columns=[c for c in arm if c in eff.columns]).merge(
        trial.adsl[["STUDYID", "USUBJID", *arm]], on=["STUDYID", "USUBJID"], how="left")
    eff = eff[(eff["SAFFL"] == "Y") & (eff["AVISITN"].astype(float) > 0)]
    return eff.sort_values(["STUDYID", "PARAMCD", "AVISITN", "TRT01AN", "USUBJID"]).reset_index(drop=True)


def analysed_records(trial: TrialData) -> pd.DataFrame:
    """Every record an efficacy estimate uses, one row per subject, parameter and post-baseline visit: the change
    data of :func:`msc_frailty.data.add_change` and the values of :func:`values_at_visits` (BASE and CHG empty).
    What the CONSORT "analysed" boxes and the notebooks' visit counts count."""
    return pd.concat([add_change(trial), values_at_visits(trial)], ignore_index=True)


def is_ordinal_score(values) -> bool:
    """Whether ``values`` are an ordinal score: whole numbers spanning at most :data:`ORDINAL_MAX_SPAN` points (at
    most 11 levels, such as a 1-7 rating of change); missing values are ignored.

    Examples
    --------
    >>> is_ordinal_score([1, 4, 7, 2]), is_ordinal_score([0, 12, 6]), is_ordinal_score([1.5, 2]), is_ordinal_score([])
    (True, False, False, False)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(v.size and np.all(v == np.round(v)) and v.max() - v.min() <= ORDINAL_MAX_SPAN)


def at_visit(values: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """The mean value per arm, parameter and visit with its t interval: rows ``at_visit`` / ``t_interval`` (no p).

    Parameters
    ----------
    values : pandas.DataFrame
        Output of :func:`values_at_visits` (columns STUDYID, PARAMCD, AVISITN, TRT01A, TRT01AN, AVAL).
    finding, basis : str
        Written into the rows.
    params : list of str, optional
        PARAMCDs to analyse; all by default.

    Notes
    -----
    An arm with fewer than 2 subjects at a visit gives no row (:func:`not_estimable` says why). Values that are all
    equal give the interval [mean, mean] (:func:`msc_frailty.stats.mean_t_interval`).

    Examples
    --------
    >>> values = pd.DataFrame({"STUDYID": "S", "PARAMCD": "PGIC", "AVISITN": 6.0, "TRT01A": "100M",
    ...                        "TRT01AN": 100.0, "AVAL": [2.0, 3.0, 3.0, 4.0]})
    >>> at_visit(values, "other_endpoints", "supplied")[["comparison", "arm", "n", "estimate", "p_value", "method"]]
      comparison   arm  n  estimate  p_value      method
    0   at_visit  100M  4       3.0      NaN  t_interval
    """
    rows = []
    for study, param, visit, arm, x in _per_arm(values, "AVAL", params):
        r = stats.mean_t_interval(x)
        rows.append([finding, study, param, visit, "at_visit", arm, "", r["n"], np.nan, r["estimate"],
                     r["ci_low"], r["ci_high"], np.nan, "t_interval", basis])
    return _frame(rows)


def _pairwise_values(values, finding, basis, params, comparison, pairs_of):
    ordinal = {key: is_ordinal_score(g["AVAL"]) for key, g in values.groupby(["STUDYID", "PARAMCD"])}
    rows = []
    for study, param, visit, cell in _cells(values, params):
        for (arm, _), (ref, _) in pairs_of(_arm_order(cell)):
            x, y = (cell.loc[cell["TRT01A"] == a, "AVAL"] for a in (arm, ref))
            if len(x) < 2 or len(y) < 2:
                continue
            head = [finding, study, param, visit, comparison, arm, ref]
            w = stats.welch_t(x, y)
            rows.append(head + [w["n"], w["n_ref"], w["estimate"], w["ci_low"], w["ci_high"], w["p_value"],
                                "welch_t", basis])
            if ordinal[(study, param)]:
                m = stats.mann_whitney(x, y)
                rows.append(head + [m["n"], m["n_ref"], np.nan, np.nan, np.nan, m["p_value"], "mann_whitney", basis])
                rows.append(head + [m["n"], m["n_ref"], m["rbc"], np.nan, np.nan, np.nan, "rank_biserial", basis])
    return _frame(rows)


def at_visit_vs_placebo(values: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """Each active arm against placebo per parameter and visit, on the values themselves (:func:`values_at_visits`).

    Rows ``vs_placebo`` / ``welch_t``: the difference in means (arm minus placebo) with Welch's interval and p
    (:func:`msc_frailty.stats.welch_t`; two arms without any spread give the difference with no interval and no
    p). For an ordinal score (:func:`is_ordinal_score`, decided once per parameter from all its values) also
    ``mann_whitney`` (two-sided p) and ``rank_biserial`` (its effect size, positive when the arm's values tend to
    be higher) rows (:func:`msc_frailty.stats.mann_whitney`). A study without a placebo arm gives no rows.

    Examples
    --------
    >>> values = pd.DataFrame({"STUDYID": "S", "PARAMCD": "PGIC", "AVISITN": 6.0,
    ...                        "TRT01A": ["Placebo"] * 3 + ["100M"] * 3, "TRT01AN": [0.0] * 3 + [100.0] * 3,
    ...                        "AVAL": [4.0, 5.0, 4.0, 2.0, 3.0, 3.0]})
    >>> at_visit_vs_placebo(values, "other_endpoints", "supplied")[["arm", "ref_arm", "estimate", "method"]]
        arm  ref_arm  estimate         method
    0  100M  Placebo -1.666667        welch_t
    1  100M  Placebo       NaN   mann_whitney
    2  100M  Placebo -1.000000  rank_biserial
    """
    return _pairwise_values(values, finding, basis, params, "vs_placebo", _placebo_pairs)


def at_visit_vs_arm(values: pd.DataFrame, finding: str, basis: str, params=None) -> pd.DataFrame:
    """Every pair of active arms on the values themselves: as :func:`at_visit_vs_placebo`, with the lower dose as
    ``arm`` and the higher as ``ref_arm`` (estimate = lower minus higher dose; a positive rank-biserial correlation:
    the lower dose's values tend to be higher)."""
    return _pairwise_values(values, finding, basis, params, "vs_arm", _dose_pairs)


#: Columns of :func:`not_estimable`.
NOT_ESTIMABLE_COLUMNS = ["study", "paramcd", "visit", "comparison", "arm", "ref_arm", "reason"]


def _arm_subjects(cell: pd.DataFrame, arm: str) -> int:
    return int(cell.loc[cell["TRT01A"] == arm, "USUBJID"].nunique())


def _too_few(cell: pd.DataFrame, arm: str, change: bool) -> str:
    """Why ``arm`` cannot enter an estimate at this cell, or "" when it has at least 2 subjects."""
    n = _arm_subjects(cell, arm)
    if n >= 2:
        return ""
    if n == 1:
        return f"one subject in {arm}"
    return (f"no subject in {arm} with a baseline value and a value at that visit" if change
            else f"no value in {arm} at that visit")


def not_estimable(data: pd.DataFrame, arms: pd.DataFrame, comparison: str, params=None) -> pd.DataFrame:
    """Why the rows of ``comparison`` are missing where they are, one row per parameter, visit and arm (or pair).

    Parameters
    ----------
    data : pandas.DataFrame
        The change data (:func:`msc_frailty.data.add_change`, with CHG) or the values (:func:`values_at_visits`)
        the rows were computed from.
    arms : pandas.DataFrame
        Every arm of the study: columns STUDYID, TRT01A and TRT01AN (:meth:`msc_frailty.data.TrialData.arms`).
    comparison : {"at_visit", "change_from_baseline", "vs_placebo", "vs_arm"}
        The rows asked about: per arm, or between arms.
    params : list of str, optional
        PARAMCDs; all of ``data`` by default.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NOT_ESTIMABLE_COLUMNS`. Reasons: ``"one subject in <arm>"``, ``"no value in <arm> at that
        visit"`` (or, for change data, no subject with a baseline value and a value at that visit), ``"no placebo
        arm"`` and ``"fewer than two active arms"`` (visit empty: no visit has them), and, for a pair whose two
        arms have no spread at all (values only), ``"no spread in either arm: a difference without an interval or p"``
        (that Welch row exists, without its interval and p).

    Examples
    --------
    >>> values = pd.DataFrame({"STUDYID": "S", "PARAMCD": "PGIC", "AVISITN": 6.0, "USUBJID": ["1", "2", "3"],
    ...                        "TRT01A": ["Placebo", "Placebo", "100M"], "TRT01AN": [0.0, 0.0, 100.0],
    ...                        "AVAL": [4.0, 5.0, 2.0]})
    >>> arms = pd.DataFrame({"STUDYID": "S", "TRT01A": ["Placebo", "100M", "200M"], "TRT01AN": [0.0, 100.0, 200.0]})
    >>> not_estimable(values, arms, "vs_placebo")[["arm", "reason"]]
        arm                         reason
    0  100M             one subject in 100M
    1  200M  no value in 200M at that visit
    """
    if comparison not in ("at_visit", "change_from_baseline", *PAIRS):
        raise ValueError(f"comparison must be one of at_visit, change_from_baseline, {', '.join(PAIRS)}; got "
                         f"{comparison!r}")
    change = "CHG" in data.columns
    rows = []
    data = data if params is None else data[data["PARAMCD"].isin(params)]
    for (study, param), mine in data.groupby(["STUDYID", "PARAMCD"], sort=True):
        order = _arm_order(arms[arms["STUDYID"] == study])
        pairs = PAIRS[comparison](order) if comparison in PAIRS else []
        if comparison in PAIRS and not pairs:
            rows.append([study, param, np.nan, comparison, "", "",
                         "no placebo arm" if comparison == "vs_placebo" else "fewer than two active arms"])
            continue
        for visit, cell in mine.groupby("AVISITN", sort=True):
            if comparison not in PAIRS:
                rows += [[study, param, visit, comparison, arm, "", why] for arm, _ in order
                         if (why := _too_few(cell, arm, change))]
                continue
            y = "CHG" if change else "AVAL"
            for (arm, _), (ref, _) in pairs:
                why = [w for w in (_too_few(cell, arm, change), _too_few(cell, ref, change)) if w]
                if not why and not change:    # the Welch row exists, without its interval and p
                    x, r = (cell.loc[cell["TRT01A"] == a, y].to_numpy(float) for a in (arm, ref))
                    if np.ptp(x) == 0 and np.ptp(r) == 0:
                        why = ["no spread in either arm: a difference without an interval or p"]
                if why:
                    rows.append([study, param, visit, comparison, arm, ref, "; ".join(why)])
    return pd.DataFrame(rows, columns=NOT_ESTIMABLE_COLUMNS)


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
