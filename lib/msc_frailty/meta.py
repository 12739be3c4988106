"""Random-effects meta-analysis and meta-regression of the published record (issue 10).

statsmodels does the core: :func:`statsmodels.stats.meta_analysis.combine_effects` gives Cochran's Q and the
DerSimonian-Laird tau^2 (``method_re="dl"``), and :class:`statsmodels.regression.linear_model.WLS` with weights
``1 / (v_i + tau^2)`` gives the pooled mean (or the meta-regression coefficients) with the standard errors of
the random-effects model (``cov_type="fixed_scale"``) and the Hartung-Knapp-Sidik-Jonkman (HKSJ) ones (the
estimated scale); these are exactly ``combine_effects``' ``mean_effect_re``, ``sd_eff_w_re`` and
``var_hksj_re``. This module adds only what statsmodels lacks or gets wrong:

- tau^2 truncated at zero: statsmodels' DL estimate ``(Q - (k - 1)) / c`` is left negative when
  ``Q < k - 1``; metafor and every textbook truncate it at 0, and so does :func:`random_effects`;
- Paule-Mandel tau^2 as the root of ``Q(tau^2) = k - p`` (:func:`tau2_pm`): statsmodels' PM iteration
  (``method_re="pm"``) resets tau^2 to 0 whenever its estimating equation dips below 0, which round-off does
  once its tolerance is tight enough for digits that do not depend on when it stops (k = 2, Q = 7.3: 0
  instead of 16.25), and it has no moderators;
- the Q-profile confidence interval of tau^2 (Viechtbauer 2007), and from it those of I^2 and H^2
  (:func:`q_profile`);
- the prediction interval of a new study's true effect (Higgins, Thompson & Spiegelhalter 2009;
  metafor's ``predict()``: ``mu +- crit * sqrt(se^2 + tau^2)``) (:func:`prediction_interval`);
- the "modified" HKSJ interval, whose scale is not allowed below 1 (Knapp & Hartung 2003; Roever et al.
  2015, BMC Med Res Methodol 15:99; metafor's ``test="adhoc"``): with k = 2 or 3 studies that agree, plain
  HKSJ can be *narrower* than the standard interval;
- residual tau^2 for a meta-regression (DL method of moments and PM) and the meta-regression itself with
  HKSJ intervals on k - p degrees of freedom (:func:`meta_regression`).

Tested against metafor's documented results for its ``dat.bcg`` example and Kacker's (2004) example as
metafor prints it (``tests/test_meta.py``, where every reference value is cited with its URL).

What few studies can carry
--------------------------
With k = 2 or 3 studies, tau^2 is essentially unidentified (its Q-profile interval runs from 0 to a very
large value), the HKSJ interval uses a t quantile on k - 1 degrees of freedom (12.7 for k = 2), and a
prediction interval on k - 1 = 1 degree of freedom is uninformative. The functions compute all of these
anyway; the notebooks say what they mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as st
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.meta_analysis import combine_effects

#: Estimators of tau^2 offered here (statsmodels' names).
METHODS = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel"}


def _check(y, v, X=None):
    y, v = np.asarray(y, float).ravel(), np.asarray(v, float).ravel()
    if y.shape != v.shape or len(y) < 2:
        raise ValueError(f"need at least two effects with one variance each, got {len(y)} and {len(v)}")
    if not (np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all()):
        raise ValueError("effects must be finite and variances finite and positive (a bound is not a value: "
                         "leave bounds out of the pooling)")
    X = np.ones((len(y), 1)) if X is None else np.asarray(X, float).reshape(len(y), -1)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("the design matrix is not of full column rank")
    return y, v, X


def _wls_beta(y, v, X, tau2):
    w = 1.0 / (v + tau2)
    sw = np.sqrt(w)
    beta = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
    return beta, w


def generalized_q(tau2: float, y, v, X=None) -> float:
    """The generalized Q statistic: sum of w_i (y_i - x_i b)^2 with w_i = 1 / (v_i + tau^2) and b its WLS fit.

    At tau^2 = 0 it is Cochran's Q (QE of a meta-regression). It decreases in tau^2; the Paule-Mandel estimate
    sets it to k - p, the Q-profile interval to the chi-square quantiles.
    """
    y, v, X = _check(y, v, X)
    beta, w = _wls_beta(y, v, X, tau2)
    return float(np.sum(w * (y - X @ beta) ** 2))


def tau2_dl(y, v, X=None) -> float:
    """DerSimonian-Laird (method of moments) tau^2, truncated at 0; with moderators X the residual tau^2.

    ``(QE - (k - p)) / tr(P)`` with ``P = W - W X (X'WX)^-1 X'W``, ``W = diag(1 / v)`` (Raudenbush 2009;
    metafor ``method="DL"``). With X a column of ones, ``tr(P) = sum(w) - sum(w^2) / sum(w)``.
    """
    y, v, X = _check(y, v, X)
    w = 1.0 / v
    W = np.diag(w)
    P = W - W @ X @ np.linalg.solve(X.T @ W @ X, X.T @ W)
    k, p = X.shape
    return max(0.0, (float(y @ P @ y) - (k - p)) / float(np.trace(P)))


def tau2_pm(y, v, X=None) -> float:
    """Paule-Mandel tau^2: the root of ``generalized_q(tau2) = k - p``; 0 when Q at tau^2 = 0 is already below.

    The same as metafor's ``method="PM"`` (and its empirical Bayes estimator, ``"EB"``, which is identical).
    """
    y, v, X = _check(y, v, X)
    target = X.shape[0] - X.shape[1]
    if target <= 0:
        raise ValueError("no residual degrees of freedom: tau^2 cannot be estimated")
    return _q_bound(y, v, X, target)   # the root of Q(tau^2) = k - p


def _q_bound(y, v, X, target: float) -> float:
    """tau^2 at which the generalized Q equals ``target`` (0 when Q(0) is below it)."""
    f = lambda t: generalized_q(t, y, v, X) - target  # noqa: E731
    if f(0.0) <= 0:
        return 0.0
    hi = max(float(np.var(y)), float(np.max(v)), 1e-8)
    while f(hi) > 0:
        hi *= 4
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-15, maxiter=500))


def q_profile(y, v, X=None, alpha: float = 0.05) -> tuple[float, float]:
    """Q-profile confidence interval of tau^2 (Viechtbauer 2007; metafor ``confint()``).

    The lower limit solves ``Q(tau^2) = chi2_{k-p, 1-alpha/2}``, the upper ``Q(tau^2) = chi2_{k-p, alpha/2}``;
    a limit is 0 when Q at tau^2 = 0 is already below its quantile. With k = 2 the upper limit is very large:
    one degree of freedom says almost nothing about between-study variance.
    """
    y, v, X = _check(y, v, X)
    df = X.shape[0] - X.shape[1]
    if df <= 0:
        raise ValueError("no residual degrees of freedom: no interval for tau^2")
    return (_q_bound(y, v, X, st.chi2.isf(alpha / 2, df)), _q_bound(y, v, X, st.chi2.ppf(alpha / 2, df)))


def typical_variance(v) -> float:
    """The 'typical' within-study variance s^2 = (k - 1) sum(w) / (sum(w)^2 - sum(w^2)), w = 1/v (Higgins &
    Thompson 2002); I^2 = tau^2 / (tau^2 + s^2) and H^2 = (tau^2 + s^2) / s^2 as metafor computes them."""
    w = 1.0 / np.asarray(v, float)
    return float((len(w) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum()))


def prediction_interval(mu: float, se: float, tau2: float, df: float | None = None,
                        alpha: float = 0.05) -> tuple[float, float]:
    """Interval for the true effect of a new study: ``mu +- crit * sqrt(se^2 + tau^2)``.

    ``crit`` is the normal quantile (``df=None``, metafor with ``test="z"``) or that of t on ``df`` degrees of
    freedom (metafor with ``test="knha"`` uses k - p and the HKSJ standard error; Higgins et al. 2009 use
    k - 2, undefined for k = 2).
    """
    crit = st.norm.isf(alpha / 2) if df is None else st.t.isf(alpha / 2, df)
    half = crit * math.sqrt(se**2 + tau2)
    return mu - half, mu + half


@dataclass
class MetaResult:
    """A random-effects meta-analysis (intercept only). Intervals are 95% unless ``alpha`` says otherwise.

    ``ci`` is the standard (Wald, normal) interval; ``ci_hksj`` the HKSJ one (t on k - 1 df); ``ci_hksj_mod``
    the modified HKSJ one (scale at least 1). ``pi`` is the prediction interval with the modified HKSJ
    standard error and t on k - 1 df (metafor ``predict()`` after ``test="adhoc"``; with the plain HKSJ
    standard error, ``test="knha"``, two studies that happen to agree would give a prediction interval
    narrower than the standard confidence interval).
    """

    method: str
    k: int
    estimate: float
    se: float
    ci: tuple
    p_value: float
    se_hksj: float
    ci_hksj: tuple
    p_hksj: float
    se_hksj_mod: float
    ci_hksj_mod: tuple
    p_hksj_mod: float
    tau2: float
    tau2_ci: tuple
    truncated: bool
    q: float
    q_p: float
    i2: float
    i2_ci: tuple
    h2: float
    h2_ci: tuple
    pi: tuple
    weights: np.ndarray = field(repr=False)
    alpha: float = 0.05

    @property
    def df(self) -> int:
        return self.k - 1

    def row(self) -> dict:
        """The numbers as a flat dict (for a table)."""
        return {"method": self.method, "k": self.k, "estimate": self.estimate, "se": self.se,
                "ci_low": self.ci[0], "ci_high": self.ci[1], "p_value": self.p_value, "se_hksj": self.se_hksj,
                "ci_low_hksj": self.ci_hksj[0], "ci_high_hksj": self.ci_hksj[1], "p_hksj": self.p_hksj,
                "ci_low_hksj_mod": self.ci_hksj_mod[0], "ci_high_hksj_mod": self.ci_hksj_mod[1],
                "tau2": self.tau2, "tau2_low": self.tau2_ci[0], "tau2_high": self.tau2_ci[1], "Q": self.q,
                "Q_p": self.q_p, "I2": self.i2, "I2_low": self.i2_ci[0], "I2_high": self.i2_ci[1],
                "pi_low": self.pi[0], "pi_high": self.pi[1]}


def random_effects(y, v, method: str = "dl", alpha: float = 0.05) -> MetaResult:
    """Random-effects meta-analysis of effects ``y`` with sampling variances ``v``.

    Parameters
    ----------
    y, v : array_like
        Effects and their sampling variances (values only: a bound is left out and shown as a bound).
    method : {"dl", "pm"}
        tau^2 estimator: DerSimonian-Laird or Paule-Mandel (statsmodels ``combine_effects``).
    alpha : float
        1 - coverage of every interval.

    Returns
    -------
    MetaResult

    Notes
    -----
    DL tau^2 is statsmodels' ``combine_effects(method_re="dl")``, truncated at 0 (statsmodels leaves it
    negative when Q < k - 1); PM tau^2 is :func:`tau2_pm`. Given tau^2, the pooled mean and its standard and
    HKSJ standard errors come from statsmodels WLS with weights 1 / (v + tau^2) (``cov_type="fixed_scale"``
    and the estimated scale): the same numbers as ``combine_effects``' ``mean_effect_re``, ``sd_eff_w_re``
    and ``var_hksj_re`` (checked in the tests). I^2 and H^2 follow metafor:
    ``I^2 = tau^2 / (tau^2 + s^2)`` with :func:`typical_variance` ``s^2`` (for DL this is Higgins' (Q - df) / Q).

    Examples
    --------
    >>> r = random_effects([0.2, 0.8, 0.5], [0.04, 0.05, 0.03], "dl")
    >>> round(r.estimate, 4), round(r.tau2, 4), r.k
    (0.489, 0.0396, 3)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    y, v, X = _check(y, v)
    k = len(y)
    with np.errstate(invalid="ignore"):      # statsmodels takes sqrt of a variance built on a negative tau^2
        res = combine_effects(y, v, method_re="dl", use_t=True, alpha=alpha)
    if method == "dl":
        tau2 = float(res.tau2)
        truncated = tau2 < 0
        tau2 = max(tau2, 0.0)
    else:
        # statsmodels' Paule-Mandel iteration sets tau^2 to 0 whenever its estimating equation dips below 0,
        # which round-off does once the tolerance is tight enough for digits that do not depend on when the
        # iteration stops; the root of Q(tau^2) = k - 1 is found here instead (:func:`tau2_pm`).
        tau2, truncated = tau2_pm(y, v), False
    fit = WLS(y, X, weights=1.0 / (v + tau2))
    fixed, scaled = fit.fit(cov_type="fixed_scale"), fit.fit()
    mu, se = float(fixed.params[0]), float(fixed.bse[0])
    var_hksj = float(scaled.bse[0]) ** 2
    w = (1.0 / (v + tau2)) / np.sum(1.0 / (v + tau2))
    z, t = st.norm.isf(alpha / 2), st.t.isf(alpha / 2, k - 1)
    se_hksj = math.sqrt(var_hksj)
    se_mod = max(se_hksj, se)              # scale = se_hksj^2 / se^2, not allowed below 1
    q = float(res.q)
    tau2_ci = q_profile(y, v, alpha=alpha)
    s2 = typical_variance(v)
    i2 = lambda t2: 100 * t2 / (t2 + s2)  # noqa: E731
    h2 = lambda t2: (t2 + s2) / s2        # noqa: E731

    def p_t(s):
        return float(2 * st.t.sf(abs(mu) / s, k - 1)) if s > 0 else 0.0

    return MetaResult(
        method=method, k=k, estimate=mu, se=se, ci=(mu - z * se, mu + z * se),
        p_value=float(2 * st.norm.sf(abs(mu) / se)),
        se_hksj=se_hksj, ci_hksj=(mu - t * se_hksj, mu + t * se_hksj), p_hksj=p_t(se_hksj),
        se_hksj_mod=se_mod, ci_hksj_mod=(mu - t * se_mod, mu + t * se_mod), p_hksj_mod=p_t(se_mod),
        tau2=tau2, tau2_ci=tau2_ci, truncated=truncated, q=q, q_p=float(st.chi2.sf(q, k - 1)),
        i2=i2(tau2), i2_ci=(i2(tau2_ci[0]), i2(tau2_ci[1])), h2=h2(tau2), h2_ci=(h2(tau2_ci[0]), h2(tau2_ci[1])),
        pi=prediction_interval(mu, se_mod, tau2, k - 1, alpha), weights=np.asarray(w, float), alpha=alpha)


@dataclass
class MetaRegression:
    """A mixed-effects meta-regression ``y_i = X_i b + u_i + e_i``, ``u_i ~ N(0, tau^2)``, ``e_i ~ N(0, v_i)``.

    ``se`` are the model-based standard errors (scale 1, metafor ``test="z"``), ``se_hksj`` the HKSJ ones
    (scale estimated by WLS, t on k - p df, metafor ``test="knha"``); ``ci_hksj`` and ``p_hksj`` go with them.
    """

    method: str
    k: int
    p: int
    names: list
    params: np.ndarray
    se: np.ndarray
    se_hksj: np.ndarray
    ci_hksj: np.ndarray
    p_hksj: np.ndarray
    tau2: float
    tau2_ci: tuple
    qe: float
    qe_p: float
    alpha: float = 0.05

    @property
    def df(self) -> int:
        return self.k - self.p

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": self.params, "se": self.se, "se_hksj": self.se_hksj,
                             "ci_low_hksj": self.ci_hksj[:, 0], "ci_high_hksj": self.ci_hksj[:, 1],
                             "p_hksj": self.p_hksj}, index=self.names)


def meta_regression(y, v, x, method: str = "pm", alpha: float = 0.05, names=None) -> MetaRegression:
    """Meta-regression of ``y`` on moderator(s) ``x`` (an intercept is added), with residual tau^2.

    tau^2 by :func:`tau2_pm` or :func:`tau2_dl`; the coefficients by statsmodels WLS with weights
    ``1 / (v + tau^2)``: ``cov_type="fixed_scale"`` gives the model-based standard errors, the default
    (scale = QE(tau^2) / (k - p)) the HKSJ ones. With k - p = 0 the model is saturated and nothing can be
    estimated; with k - p = 1 the HKSJ interval uses t on 1 df (12.7 times the standard error).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    x = np.asarray(x, float).reshape(len(np.asarray(y)), -1)
    X = np.column_stack([np.ones(len(x)), x])
    y, v, X = _check(y, v, X)
    k, p = X.shape
    if k - p <= 0:
        raise ValueError(f"{k} effects cannot fit {p} coefficients and a residual variance (saturated model)")
    tau2 = tau2_pm(y, v, X) if method == "pm" else tau2_dl(y, v, X)
    w = 1.0 / (v + tau2)
    model = WLS(y, X, weights=w)
    fixed = model.fit(cov_type="fixed_scale")
    hksj = model.fit()
    crit = st.t.isf(alpha / 2, k - p)
    se_h = np.asarray(hksj.bse, float)
    params = np.asarray(hksj.params, float)
    qe = generalized_q(0.0, y, v, X)
    return MetaRegression(
        method=method, k=k, p=p, names=list(names) if names is not None else ["intercept"] + [f"x{i}" for i in
                                                                                              range(1, p)],
        params=params, se=np.asarray(fixed.bse, float), se_hksj=se_h,
        ci_hksj=np.column_stack([params - crit * se_h, params + crit * se_h]),
        p_hksj=2 * st.t.sf(np.abs(params) / se_h, k - p), tau2=tau2, tau2_ci=q_profile(y, v, X, alpha),
        qe=qe, qe_p=float(st.chi2.sf(qe, k - p)), alpha=alpha)


# --- effect sizes of the record -------------------------------------------------------------------

def var_dz(dz: float, n: int) -> float:
    """Large-sample variance of a standardized mean change dz from n subjects: 1/n + dz^2 / (2n)
    (the variance :func:`msc_frailty.reanalysis.difference_independent` uses)."""
    return 1.0 / n + dz**2 / (2.0 * n)


def var_g(g: float, n1: int, n2: int) -> float:
    """Large-sample variance of Hedges' g between two independent arms: 1/n1 + 1/n2 + g^2 / (2 (n1 + n2))."""
    return 1.0 / n1 + 1.0 / n2 + g**2 / (2.0 * (n1 + n2))


def se_from_interval(ci_low: float, ci_high: float, alpha: float = 0.05) -> float:
    """The standard error behind a symmetric normal interval."""
    return (ci_high - ci_low) / (2 * st.norm.isf(alpha / 2))


# --- what the published record lets us pool ----------------------------------------------------------

#: The analysis sets of the evidence synthesis: which implied effects enter, on which scale. Each is
#: (parameter(s), visit, comparison, arm label of the pooled row, reference arm, title). Rows of the
#: reanalysis are picked by :func:`pooling_table`.
SETS = {
    "sixmwd_msc_arms": ("SIXMWD", 6.0, "change_from_baseline", "All active", "",
                        "6MWD, change at 6 months (dz), MSC arms with a value, doses pooled"),
    "sixmwd_100m": ("SIXMWD", 6.0, "change_from_baseline", "100M", "", "6MWD, change at 6 months (dz), 100M"),
    "tnfa_100m": ("TNFA", 6.0, "change_from_baseline", "100M", "", "Serum TNF-\u03b1, change at 6 months (dz), 100M"),
    "tnfa_200m": ("TNFA", 6.0, "change_from_baseline", "200M", "", "Serum TNF-\u03b1, change at 6 months (dz), 200M"),
    "tnfa_msc_arms": ("TNFA", 6.0, "change_from_baseline", "All active", "",
                      "Serum TNF-\u03b1, change at 6 months (dz), every MSC arm with a value"),
    "dose_100m_vs_200m": ("TNFA;BCTNFA", 6.0, "vs_arm", "100M", "200M",
                          "100M minus 200M, inflammatory markers at 6 months (standardized)"),
}
#: Within-arm sets: which arms of the record's rows belong to each.
_SET_ARMS = {"sixmwd_msc_arms": None, "sixmwd_100m": {"100M"}, "tnfa_100m": {"100M"}, "tnfa_200m": {"200M"},
             "tnfa_msc_arms": None}
POOLED_ARM_LABEL = "all"   # the reanalysis' label of a printed result for all arms pooled (CRATUS-P1)


def _variance(r) -> float:
    if r.method == "implied_dz":
        return var_dz(r.estimate, int(r.n))
    if r.method == "implied_g":
        return var_g(r.estimate, int(r.n), int(r.n_ref))
    return se_from_interval(r.ci_low, r.ci_high) ** 2        # the reanalysis' normal interval of a difference


def pooling_table(published: pd.DataFrame) -> pd.DataFrame:
    """Every implied effect of the record that could enter one of :data:`SETS`, and whether it does.

    ``published`` is :func:`msc_frailty.reanalysis.published_estimates` (basis published). A row enters the
    pooling (``pooled``) only when the record gives a value: a printed inequality (``bound = "lower"``) or
    "not significant" (``bound = "range"``) is carried as a bound and left out, with the reason in ``why``.
    Within-arm sets take MSC arms only (a placebo arm's change is not an effect of cells); a printed result for
    all arms pooled is left out of a per-dose set, and of a set that already has its arms separately (the same
    subjects twice).

    Returns
    -------
    pandas.DataFrame
        The reanalysis columns plus ``set``, ``variance`` (of a value: :func:`var_dz` for dz, :func:`var_g`
        for g, from the normal interval for a difference), ``pooled`` and ``why``.
    """
    rows = []
    within = published[(published.comparison == "change_from_baseline") & published.method.eq("implied_dz")]
    for name, arms in _SET_ARMS.items():
        param, visit, *_ = SETS[name]
        cand = within[(within.paramcd == param) & np.isclose(within.visit, visit)]
        have_arms = set(cand[cand.bound.eq("") & ~cand.arm.isin([POOLED_ARM_LABEL, "Placebo"])].study)
        for r in cand.itertuples():
            why = ""
            if r.arm == "Placebo":
                why = "placebo arm: its change is not an effect of cells (shown for context)"
            elif arms is not None and r.arm not in arms:
                continue
            elif r.arm == POOLED_ARM_LABEL and (arms is not None or r.study in have_arms):
                why = ("all arms pooled: not one dose" if arms is not None else
                       "all arms pooled: the same subjects as the arms already in")
            elif r.bound == "lower":
                why = "printed as an inequality (p < bound): the effect is at least this, not a value"
            elif r.bound == "range":
                why = "printed as 'not significant': only a range is known"
            rows.append({**r._asdict(), "set": name, "why": why})
    dose = published[published.comparison.eq("vs_arm") & published.arm.eq("100M") & published.ref_arm.eq("200M")]
    for r in dose[np.isclose(dose.visit, 6.0)].itertuples():
        why = {"range": "printed as 'not significant' in 200M: only a range of the difference is known"}.get(r.bound, "")
        rows.append({**r._asdict(), "set": "dose_100m_vs_200m", "why": why})
    out = pd.DataFrame(rows).drop(columns="Index")
    out["pooled"] = out.why.eq("")
    out["variance"] = [(_variance(r) if r.pooled else np.nan) for r in out.itertuples()]
    return out.reset_index(drop=True)


def pool(table: pd.DataFrame, name: str, method: str = "dl", alpha: float = 0.05) -> MetaResult | None:
    """:func:`random_effects` of the pooled rows of one set of :func:`pooling_table`; None when k < 2."""
    rows = table[(table.set == name) & table.pooled]
    if len(rows) < 2:
        return None
    return random_effects(rows.estimate.to_numpy(float), rows.variance.to_numpy(float), method, alpha)


def estimate_rows(result: MetaResult, name: str, table: pd.DataFrame, finding: str = "synthesis",
                  study: str = "all") -> pd.DataFrame:
    """Rows of ``estimates.csv`` (contract columns, basis published) for one pooled set.

    Methods: ``re_<m>_hksj`` (pooled mean, HKSJ interval and p), ``re_<m>_hksj_mod`` (modified HKSJ),
    ``re_<m>_wald`` (standard normal interval), ``re_<m>_prediction`` (prediction interval around the mean),
    ``re_<m>_tau2_qprofile`` (tau^2 with its Q-profile interval), ``re_<m>_i2_qprofile`` (I^2 in per cent with
    the interval from the tau^2 limits); ``<m>`` is dl or pm. ``n`` (and ``n_ref`` of a dose contrast) are the
    subjects of the pooled rows.
    """
    from .analysis import ESTIMATE_COLUMNS

    param, visit, comparison, arm, ref_arm, _ = SETS[name]
    rows = table[(table.set == name) & table.pooled]
    n = float(rows.n.sum())
    n_ref = float(rows.n_ref.sum()) if ref_arm else np.nan
    m = result.method
    values = [
        (f"re_{m}_hksj", result.estimate, *result.ci_hksj, result.p_hksj),
        (f"re_{m}_hksj_mod", result.estimate, *result.ci_hksj_mod, result.p_hksj_mod),
        (f"re_{m}_wald", result.estimate, *result.ci, result.p_value),
        (f"re_{m}_prediction", result.estimate, *result.pi, np.nan),
        (f"re_{m}_tau2_qprofile", result.tau2, *result.tau2_ci, result.q_p),
        (f"re_{m}_i2_qprofile", result.i2, *result.i2_ci, np.nan),
    ]
    out = [[finding, study, param, visit, comparison, arm, ref_arm, n, n_ref, est, lo, hi, p, method, "published", ""]
           for method, est, lo, hi, p in values]
    return pd.DataFrame(out, columns=ESTIMATE_COLUMNS)


def log_dose_design(table: pd.DataFrame, name: str = "tnfa_msc_arms") -> pd.DataFrame:
    """The pooled rows of a within-arm set with ``log2_dose`` = log2(dose / 100 million cells)."""
    rows = table[(table.set == name) & table.pooled].copy()
    rows["dose"] = rows.arm.str.rstrip("M").astype(float)
    rows["log2_dose"] = np.log2(rows.dose / 100.0)
    return rows


# --- figures ----------------------------------------------------------------------------------------

SHORT = {"SIXMWD": "6MWD", "SPPB": "SPPB", "FEV1": "FEV1", "TNFA": "serum TNF-\u03b1", "BCTNFA": "B-cell TNF-\u03b1"}
DASHED = (0, (2.5, 1.5))
VALUE_X = 1.03          # where the value column starts, in axes fraction
ESTIMATOR_COLORS = {"dl": "#000000", "pm": "#666666"}


def _arm_label(r) -> str:
    from . import style

    if r.arm == POOLED_ARM_LABEL:
        return f"all arms pooled (n = {int(r.n)})"
    return style.arm_n_label(r.arm, r.n)


def _segment(ax, y, lo, hi, xlim, color, lw=1.2, ls="-", zorder=2):
    """A horizontal interval clipped to ``xlim``; an open end past the axis gets an arrowhead."""
    a, b = max(lo, xlim[0]), min(hi, xlim[1])
    if b < a:
        return
    ax.hlines(y, a, b, colors=color, lw=lw, linestyles=ls, zorder=zorder)
    for end, past, marker in ((a, lo < xlim[0], "<"), (b, hi > xlim[1], ">")):
        if past:
            ax.plot([end], [y], marker=marker, ms=3.2, color=color, mew=0, zorder=zorder, clip_on=False)


def _diamond(ax, y, est, lo, hi, xlim, color, height=0.32):
    from matplotlib.patches import Polygon

    a, b = max(lo, xlim[0]), min(hi, xlim[1])
    ax.add_patch(Polygon([(a, y), (est, y - height), (b, y), (est, y + height)], closed=True, facecolor=color,
                         edgecolor=color, lw=0.6, zorder=3))
    for end, past, marker in ((a, lo < xlim[0], "<"), (b, hi > xlim[1], ">")):
        if past:
            ax.plot([end], [y], marker=marker, ms=3.2, color=color, mew=0, zorder=3, clip_on=False)


def _study_rows(ax, rows, y0, xlim, value_x):
    """Draw the record's rows of one set from y0 down; returns their tick labels."""
    from . import style

    ticks = []
    for i, r in enumerate(rows.itertuples()):
        y = y0 + i
        key = "All" if r.arm == POOLED_ARM_LABEL else r.arm
        color = style.arm_color(key)
        if r.bound == "range":
            _segment(ax, y, r.ci_low, r.ci_high, xlim, color, lw=1.0, ls=DASHED)
            for end in (r.ci_low, r.ci_high):
                if xlim[0] <= end <= xlim[1]:
                    ax.plot([end], [y], marker="|", ms=5, color=color, mew=1.0)
            text = f"range only: within \u00b1{max(abs(r.ci_low), abs(r.ci_high)):.2f}"
        elif r.bound == "lower":
            edge = xlim[0] if r.estimate < 0 else xlim[1]
            ax.annotate("", xy=(edge, y), xytext=(r.estimate, y), arrowprops={
                "arrowstyle": "-|>", "mutation_scale": 7, "lw": 1.0, "color": color, "shrinkA": 0, "shrinkB": 0})
            text = f"bound only: |dz| \u2265 {abs(r.estimate):.2f}"
        else:
            _segment(ax, y, r.ci_low, r.ci_high, xlim, color)
            ax.plot([r.estimate], [y], marker=style.arm_marker(key), ms=4, color=color, mec="white", mew=0.4,
                    zorder=3, ls="none")
            text = f"{r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]"
        if not r.pooled:
            text += " \u2013 not pooled"
        ax.text(value_x, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=6,
                color="0.15" if r.pooled else "0.45")
        ticks.append(f"{r.study}, {_arm_label(r)}")
    return ticks


def forest_figure(table: pd.DataFrame, results: dict, sets, xlims: dict, x_labels: dict):
    """Forest plot of the pooled sets: the record's rows (values with their exact intervals; bounds dashed or as
    arrows, not pooled), the DL and PM pooled means as diamonds spanning their HKSJ intervals, the modified
    HKSJ interval as a bracket where it is wider, and the prediction interval.

    ``results`` maps a set to ``{"dl": MetaResult, "pm": MetaResult}``; ``xlims`` a set to its x limits
    (intervals running past them end in an arrowhead); ``x_labels`` a set to its x-axis label.
    """
    from . import style

    heights = [len(table[table.set == s]) + 4 for s in sets]
    fig, axes = style.stamped_figure("double", 22 + 4.3 * sum(heights), nrows=len(sets),
                                     gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, sets):
        rows = table[table.set == name]
        xlim = xlims[name]
        ax.set_xlim(*xlim)
        ticks = _study_rows(ax, rows, 0, xlim, VALUE_X)
        y = len(rows)
        for m in ("dl", "pm"):
            r = results[name][m]
            color = ESTIMATOR_COLORS[m]
            if r.ci_hksj_mod != r.ci_hksj:
                _segment(ax, y, *r.ci_hksj_mod, xlim, color, lw=0.7, ls=DASHED, zorder=1)
            _diamond(ax, y, r.estimate, *r.ci_hksj, xlim, color)
            text = f"{r.estimate:.2f} [{r.ci_hksj[0]:.2f}, {r.ci_hksj[1]:.2f}]"
            if r.ci_hksj_mod != r.ci_hksj:
                text += f"; modified [{r.ci_hksj_mod[0]:.2f}, {r.ci_hksj_mod[1]:.2f}]"
            ax.text(VALUE_X, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=6)
            ticks.append(f"{METHODS[m]}, HKSJ (k = {r.k})")
            y += 1
        r = results[name]["dl"]
        _segment(ax, y, *r.pi, xlim, "#000000", lw=0.8)
        for end in r.pi:
            if xlim[0] <= end <= xlim[1]:
                ax.plot([end], [y], marker="|", ms=5, color="#000000", mew=0.8)
        ax.text(VALUE_X, y, f"[{r.pi[0]:.2f}, {r.pi[1]:.2f}]; \u03c4\u00b2 {r.tau2:.3g} [{r.tau2_ci[0]:.3g}, "
                f"{r.tau2_ci[1]:.3g}], I\u00b2 {r.i2:.0f}%", transform=ax.get_yaxis_transform(), va="center",
                fontsize=6)
        ticks.append(f"Prediction interval (DL, t on {r.df} df)")
        ax.set_yticks(range(len(ticks)), ticks)
        ax.set_ylim(len(ticks) - 0.4, -0.7)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.axvline(0, color="0.4", lw=0.6, zorder=0)
        ax.axhline(len(rows) - 0.5, color="0.8", lw=0.5, zorder=0)
        ax.set_title(SETS[name][5], loc="left", fontsize=7)
        ax.set_xlabel(x_labels[name], fontsize=6.5)
    return fig


def dose_contrast_figure(table: pd.DataFrame, results: dict, lomecel_text: str):
    """The 100M-versus-200M question across trials in one panel: 200M minus 100M on the improvement scale
    (positive favours 200M), each trial's contrast with its interval (a range dashed), the pooled contrast of
    the inflammatory markers, and the trial whose record allows none (``lomecel_text``)."""
    from . import style

    rows = table[table.set == "dose_100m_vs_200m"].copy()
    higher = rows.paramcd.isin(["SIXMWD", "SPPB", "FEV1"])
    # the reanalysis gives 100M minus 200M in raw units; improvement scale: TNF (lower better) keeps the sign
    sign = np.where(higher, -1.0, 1.0)
    est, lo, hi = rows.estimate * sign, rows.ci_low * sign, rows.ci_high * sign
    rows = rows.assign(estimate=est, ci_low=np.minimum(lo, hi), ci_high=np.maximum(lo, hi))
    rows = rows.drop_duplicates(["study", "method", "bound", "ci_low", "ci_high"]).sort_values(
        ["study", "method"], kind="mergesort")
    fig, ax = style.stamped_figure("double", 62)
    xlim = (-4.0, 4.0)
    ax.set_xlim(*xlim)
    labels = []
    for y, r in enumerate(rows.itertuples()):
        outcome = {"implied_dz_difference": "change (dz)", "implied_g_difference": "vs placebo (g)"}[r.method]
        same = table[(table.set == "dose_100m_vs_200m") & (table.study == r.study) & (table.method == r.method)]
        names = ", ".join(SHORT[p] for p in dict.fromkeys(same.paramcd))
        labels.append(f"{r.study}: {names}, {outcome}")
        color = "#000000"
        if r.bound == "range":
            _segment(ax, y, r.ci_low, r.ci_high, xlim, color, lw=1.0, ls=DASHED)
            for end in (r.ci_low, r.ci_high):
                ax.plot([end], [y], marker="|", ms=5, color=color, mew=1.0)
            text = (f"200M printed only 'not significant': intervals\nanywhere in [{r.ci_low:.2f}, "
                    f"{r.ci_high:.2f}] \u2013 not pooled")
        else:
            _segment(ax, y, r.ci_low, r.ci_high, xlim, color)
            ax.plot([r.estimate], [y], marker="o", ms=4, color=color, mec="white", mew=0.4, zorder=3)
            text = f"{r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}], n = {int(r.n)} and {int(r.n_ref)}"
        ax.text(VALUE_X, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=6)
    y = len(rows)
    labels.append("LOMECEL-P2B: 6MWD, vs placebo")
    ax.text(0.0, y, "no contrast printed", ha="center", va="center", fontsize=6, color="0.45",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    ax.text(VALUE_X, y, lomecel_text, transform=ax.get_yaxis_transform(), va="center", fontsize=6, color="0.3")
    y += 1
    r = results["dl"]
    _segment(ax, y, *r.ci_hksj_mod, xlim, "#000000", lw=0.7, ls=DASHED, zorder=1)
    _diamond(ax, y, r.estimate, *r.ci_hksj, xlim, "#000000", height=0.22)
    labels.append(f"Pooled TNF-\u03b1 markers, DL (k = {r.k})")
    ax.text(VALUE_X, y, f"{r.estimate:.2f}, HKSJ [{r.ci_hksj[0]:.2f}, {r.ci_hksj[1]:.2f}]\nmodified HKSJ "
            f"[{r.ci_hksj_mod[0]:.2f}, {r.ci_hksj_mod[1]:.2f}] (dashed)", transform=ax.get_yaxis_transform(), va="center",
            fontsize=6)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.4, -0.9)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.axvline(0, color="0.4", lw=0.6, zorder=0)
    ax.axhline(len(rows) + 0.5, color="0.8", lw=0.5, zorder=0)
    ax.text(xlim[0], -0.85, "\u2190 favours 100M", ha="left", va="center", fontsize=6, color="#0072B2")
    ax.text(xlim[1], -0.85, "favours 200M \u2192", ha="right", va="center", fontsize=6, color="#D55E00")
    ax.set_xlabel("200M minus 100M, standardized, improvement scale (TNF-\u03b1 sign flipped; 95% interval)")
    ax.set_title("Which dose? The printed record cannot tell", loc="left")
    return fig


def dose_response_figure(design: pd.DataFrame, fit: MetaRegression, ylim=(-14.0, 3.0)):
    """Within-arm standardized change of serum TNF-alpha against dose (log2 scale), by trial, with the
    meta-regression line and its HKSJ band (t on k - p df), clipped to ``ylim``."""
    from . import style

    fig, ax = style.stamped_figure("single", 78)
    offsets = {"CRATUS-P1": -0.03, "CRATUS-P2": 0.03}
    markers = {"CRATUS-P1": "o", "CRATUS-P2": "s"}
    for r in design.itertuples():
        x = r.log2_dose + offsets.get(r.study, 0.0)
        color = style.arm_color(r.arm)
        ax.vlines(x, max(r.ci_low, ylim[0]), min(r.ci_high, ylim[1]), colors=color, lw=1.1)
        ax.plot([x], [r.estimate], marker=markers.get(r.study, "D"), ms=4.5, color=color, mec="white", mew=0.4,
                ls="none", zorder=3, label=f"{r.study}, {style.arm_n_label(r.arm, r.n)}")
    grid = np.linspace(-0.15, 1.15, 53)
    X = np.column_stack([np.ones_like(grid), grid])
    # the full covariance of the two coefficients of the HKSJ fit
    w = 1.0 / (design.variance.to_numpy(float) + fit.tau2)
    Xd = np.column_stack([np.ones(len(design)), design.log2_dose.to_numpy(float)])
    fitted = WLS(design.estimate.to_numpy(float), Xd, weights=w).fit()
    cov = np.asarray(fitted.cov_params(), float)
    line = X @ fit.params
    half = st.t.isf(fit.alpha / 2, fit.df) * np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
    ax.fill_between(grid, np.clip(line - half, *ylim), np.clip(line + half, *ylim), color="0.85", lw=0, zorder=0)
    ax.plot(grid, line, color="#000000", lw=1.0, zorder=1)
    ax.set_ylim(*ylim)
    ax.set_xlim(-0.3, 1.3)
    ax.set_xticks([0, 1], ["100M", "200M"])
    ax.axhline(0, color="0.4", lw=0.6, zorder=0)
    ax.set_xlabel("Dose (million cells, log scale)")
    ax.set_ylabel(style.direction_label("Serum TNF-\u03b1 change at 6 months (dz)", False))
    slope, (lo, hi) = fit.params[1], fit.ci_hksj[1]
    ax.set_title(f"{METHODS[fit.method]} meta-regression\nslope per doubling of dose {slope:.2f}\n"
                 f"HKSJ 95% CI {lo:.1f} to {hi:.1f} ({fit.df} df, k = {fit.k})", loc="left")
    p1 = design[design.study == "CRATUS-P1"].sort_values("log2_dose")
    if len(p1) == 2:
        xs = p1.log2_dose.to_numpy(float) + offsets["CRATUS-P1"]
        ax.plot(xs, p1.estimate, color="#000000", lw=0.8, ls=(0, (1.2, 1.2)), zorder=2)
        ax.text(xs.mean(), p1.estimate.mean() - 0.35, "within CRATUS-P1: no difference", ha="center", va="top",
                fontsize=6)
    ax.legend(loc="upper right", fontsize=6, handletextpad=0.3, frameon=True, facecolor="white", edgecolor="none",
              framealpha=1.0)
    return fig
