"""Random-effects meta-analysis of the published record, and what a reviewer accepts as its inputs (issues 10, 16).

statsmodels does the core: :func:`statsmodels.stats.meta_analysis.combine_effects` gives Cochran's Q and the
DerSimonian-Laird tau^2 (``method_re="dl"``), and :class:`statsmodels.regression.linear_model.WLS` with weights
``1 / (v_i + tau^2)`` gives the pooled mean (or the meta-regression coefficients) with the standard errors of
the random-effects model (``cov_type="fixed_scale"``) and the Hartung-Knapp-Sidik-Jonkman (HKSJ) ones (the
estimated scale); these are exactly ``combine_effects``' ``mean_effect_re``, ``sd_eff_w_re`` and
``var_hksj_re``. This module adds only what statsmodels lacks or gets wrong:

- tau^2 by restricted maximum likelihood (:func:`tau2_reml`, metafor's default), which statsmodels' meta-analysis
  does not offer;
- tau^2 truncated at zero: statsmodels' DL estimate ``(Q - (k - 1)) / c`` is left negative when
  ``Q < k - 1``; metafor and every textbook truncate it at 0, and so does :func:`random_effects`;
- Paule-Mandel tau^2 as the root of ``Q(tau^2) = k - p`` (:func:`tau2_pm`): statsmodels' PM iteration
  (``method_re="pm"``) resets tau^2 to 0 whenever its estimating equation dips below 0, which round-off does
  once its tolerance is tight enough for digits that do not depend on when it stops (k = 2, Q = 7.3: 0
  instead of 16.25), and it has no moderators;
- the Q-profile confidence interval of tau^2 (Viechtbauer 2007), and from it those of I^2 and H^2
  (:func:`q_profile`);
- the "modified" HKSJ interval, whose scale is not allowed below 1 (Knapp & Hartung 2003; Roever et al.
  2015, BMC Med Res Methodol 15:99; metafor's ``test="adhoc"``): with k = 2 or 3 studies that agree, plain
  HKSJ can be *narrower* than the standard interval. It is the headline interval here; plain HKSJ is secondary;
- the prediction interval of a new study's true effect as Higgins, Thompson & Spiegelhalter (2009) give it,
  ``mu +- t_{k-2} sqrt(tau^2 + SE^2)`` with the standard random-effects SE, reported only for k >= 3
  (:func:`prediction_interval`);
- a test whose standard error is zero (identical studies: the HKSJ scale is 0) has no p-value: NaN, written
  empty, never 0;
- the meta-regression with HKSJ intervals on k - p degrees of freedom (:func:`meta_regression`), which refuses
  designs that cannot carry it (fewer than 2 residual degrees of freedom, a coefficient fixed by one study).

Standardized mean changes (the implied dz of the record) enter a synthesis with the small-sample correction
J(n - 1) of metafor's ``escalc(measure="SMCC")`` (:func:`msc_frailty.stats.smc_corrected`) and the exact
variance of that corrected estimator under the noncentral t (:func:`msc_frailty.stats.var_smc_exact`), which
holds at n = 5 where the large-sample variance (:func:`msc_frailty.stats.var_smc_ls`) is far too small.

Tested against metafor's documented results for ``dat.bcg``, Morris (2008) and Kacker's (2004) example as
metafor prints it, scipy's noncentral t, statsmodels and seeded Monte Carlo (``tests/test_meta.py``, where every
reference value is cited with its URL).

What few studies can carry
--------------------------
With k = 2 or 3 studies, tau^2 is essentially unidentified (its Q-profile interval runs from 0 to a very
large value), the HKSJ interval uses a t quantile on k - 1 degrees of freedom (12.7 for k = 2), and a
prediction interval needs k >= 3 (t on k - 2 = 1 degree of freedom at k = 3: 12.7 again). The notebooks
say what these mean.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as st
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.meta_analysis import combine_effects

from .captions import join_and
from .numbers import format_interval, format_number
from .results import ONE_SIDED
from .stats import check_alpha, smc_corrected, var_smc_exact, var_smc_ls

#: Estimators of tau^2 offered here, REML first (metafor's default and the headline here).
METHODS = {"reml": "restricted maximum likelihood", "dl": "DerSimonian-Laird", "pm": "Paule-Mandel"}
#: Their abbreviations on figures (:data:`msc_frailty.captions.ABBREVIATIONS` defines each in a caption).
METHOD_ABBREVIATIONS = {"reml": "REML", "dl": "DL", "pm": "PM"}
#: Below this HKSJ scale (residuals within 1e-8 standard errors of the fit: identical studies up to
#: round-off) the HKSJ standard error is taken as zero and its test has no p-value.
ZERO_SCALE = 1e-16


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


def _projection(v, X, tau2):
    """P = W - W X (X'WX)^-1 X'W with W = diag(1 / (v + tau^2)): y'Py is the generalized Q."""
    W = np.diag(1.0 / (v + tau2))
    return W - W @ X @ np.linalg.solve(X.T @ W @ X, X.T @ W)


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
    P = _projection(v, X, 0.0)
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


def _reml_score(tau2, y, v, X) -> float:
    """Twice the derivative of the restricted log-likelihood in tau^2: y'P'Py - tr(P)."""
    P = _projection(v, X, tau2)
    Py = P @ y
    return float(Py @ Py - np.trace(P))


def tau2_reml(y, v, X=None) -> float:
    """Restricted maximum likelihood tau^2 (metafor's default, ``method="REML"``), truncated at 0.

    The root of the REML score ``y'PPy - tr(P) = 0`` (``P`` as in :func:`tau2_dl`, with weights
    ``1 / (v + tau^2)``; Viechtbauer 2005, J Educ Behav Stat 30:261), found by Brent's method to full double
    precision; 0 when the score is not positive at 0 (the restricted likelihood then falls from the
    boundary). metafor finds the same root by Fisher scoring (to its tolerance of 1e-5).

    Examples
    --------
    >>> round(tau2_reml([0.2, 0.8, 0.5], [0.04, 0.05, 0.03]), 4)
    0.0396
    """
    y, v, X = _check(y, v, X)
    if X.shape[0] - X.shape[1] <= 0:
        raise ValueError("no residual degrees of freedom: tau^2 cannot be estimated")
    return _falling_root(lambda t: _reml_score(t, y, v, X), y, v)


def _falling_root(f, y, v) -> float:
    """The tau^2 >= 0 at which ``f`` (positive below its root, negative above) is 0; 0 when f(0) <= 0. Brent's
    method to full double precision (digits that do not depend on when it stops)."""
    if f(0.0) <= 0:
        return 0.0
    hi = max(float(np.var(y)), float(np.max(v)), 1e-8)
    while f(hi) > 0:
        hi *= 4
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-15, maxiter=500))


def _tau2(method: str, y, v, X=None) -> float:
    return {"reml": tau2_reml, "dl": tau2_dl, "pm": tau2_pm}[method](y, v, X)


def _q_bound(y, v, X, target: float) -> float:
    """tau^2 at which the generalized Q equals ``target`` (0 when Q(0) is below it)."""
    return _falling_root(lambda t: generalized_q(t, y, v, X) - target, y, v)


def q_profile(y, v, X=None, alpha: float = 0.05) -> tuple[float, float]:
    """Q-profile confidence interval of tau^2 (Viechtbauer 2007; metafor ``confint()``).

    The lower limit solves ``Q(tau^2) = chi2_{k-p, 1-alpha/2}``, the upper ``Q(tau^2) = chi2_{k-p, alpha/2}``;
    a limit is 0 when Q at tau^2 = 0 is already below its quantile. With k = 2 the upper limit is very large:
    one degree of freedom says almost nothing about between-study variance.
    """
    y, v, X = _check(y, v, X)
    alpha = check_alpha(alpha)
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

    ``crit`` is the t quantile on ``df`` degrees of freedom; Higgins, Thompson & Spiegelhalter (2009, J R Stat
    Soc A 172:137, section 3.3) use df = k - 2 with the standard random-effects ``se`` (metafor
    ``predict(pi.type="Riley")``), which :func:`random_effects` reports for k >= 3 (undefined for k = 2).
    ``df=None`` gives the normal quantile (metafor's default ``predict()``).

    Examples
    --------
    >>> lo, hi = prediction_interval(-4.529, 2.5216, 15.9746, df=1)
    >>> round(lo, 1), round(hi, 1)
    (-64.6, 55.5)
    """
    alpha = check_alpha(alpha)
    if df is not None and not df > 0:
        raise ValueError(f"a prediction interval needs df > 0 (Higgins: k - 2, so k >= 3), got {df}")
    crit = st.norm.isf(alpha / 2) if df is None else st.t.isf(alpha / 2, df)
    half = float(crit) * math.sqrt(se**2 + tau2)
    return float(mu - half), float(mu + half)


def _t_test(estimate: float, se: float, df: float, alpha: float):
    """Two-sided p and t interval; (NaN, (NaN, NaN)) when the standard error is zero (no test)."""
    if not se > 0:
        return np.nan, (np.nan, np.nan)
    crit = float(st.t.isf(alpha / 2, df))
    return float(2 * st.t.sf(abs(estimate) / se, df)), (float(estimate - crit * se), float(estimate + crit * se))


@dataclass
class MetaResult:
    """A random-effects meta-analysis (intercept only). Intervals are 95% unless ``alpha`` says otherwise.

    ``ci_hksj_mod`` is the headline interval: HKSJ with its scale not allowed below 1 (t on k - 1 df).
    ``ci_hksj`` is plain HKSJ (secondary: it can be narrower than the standard interval), ``ci`` the standard
    (Wald, normal) interval. A zero HKSJ standard error (identical studies) leaves ``p_hksj`` and ``ci_hksj``
    NaN. ``pi`` is the prediction interval of Higgins et al. (2009), t on k - 2 df with the standard SE ``se``;
    (NaN, NaN) for k < 3.
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

    @property
    def has_prediction(self) -> bool:
        """A prediction interval needs k >= 3 (t on k - 2 df)."""
        return self.k >= 3

    def row(self) -> dict:
        """The numbers as a flat dict (for a table)."""
        return {"method": self.method, "k": self.k, "estimate": self.estimate, "se": self.se,
                "ci_low_hksj_mod": self.ci_hksj_mod[0], "ci_high_hksj_mod": self.ci_hksj_mod[1],
                "p_hksj_mod": self.p_hksj_mod, "ci_low_hksj": self.ci_hksj[0], "ci_high_hksj": self.ci_hksj[1],
                "p_hksj": self.p_hksj, "ci_low": self.ci[0], "ci_high": self.ci[1], "p_value": self.p_value,
                "tau2": self.tau2, "tau2_low": self.tau2_ci[0], "tau2_high": self.tau2_ci[1], "Q": self.q,
                "Q_p": self.q_p, "I2": self.i2, "I2_low": self.i2_ci[0], "I2_high": self.i2_ci[1],
                "pi_low": self.pi[0], "pi_high": self.pi[1]}


def random_effects(y, v, method: str = "reml", alpha: float = 0.05) -> MetaResult:
    """Random-effects meta-analysis of effects ``y`` with sampling variances ``v``.

    Parameters
    ----------
    y, v : array_like
        Effects and their sampling variances (values only: a bound is left out and shown as a bound).
    method : {"reml", "dl", "pm"}
        tau^2 estimator: restricted maximum likelihood (:func:`tau2_reml`, metafor's default), DerSimonian-Laird
        (statsmodels ``combine_effects``) or Paule-Mandel (:func:`tau2_pm`).
    alpha : float
        1 - coverage of every interval, in (0, 1).

    Returns
    -------
    MetaResult

    Notes
    -----
    DL tau^2 is statsmodels' ``combine_effects(method_re="dl")``, truncated at 0 (statsmodels leaves it
    negative when Q < k - 1). Given tau^2, the pooled mean and its standard and HKSJ standard errors come from
    statsmodels WLS with weights 1 / (v + tau^2) (``cov_type="fixed_scale"`` and the estimated scale): the same
    numbers as ``combine_effects``' ``mean_effect_re``, ``sd_eff_w_re`` and ``var_hksj_re`` (checked in the
    tests). I^2 and H^2 follow metafor: ``I^2 = tau^2 / (tau^2 + s^2)`` with :func:`typical_variance` ``s^2``
    (for DL this is Higgins' (Q - df) / Q). When the HKSJ scale is below :data:`ZERO_SCALE` (the studies agree
    exactly), plain HKSJ has no test: its p and interval are NaN; the modified HKSJ interval, never narrower
    than the standard one, remains.

    Examples
    --------
    >>> r = random_effects([0.2, 0.8, 0.5], [0.04, 0.05, 0.03], "dl")
    >>> round(r.estimate, 4), round(r.tau2, 4), r.k
    (0.489, 0.0396, 3)
    >>> r = random_effects([0.5, 0.5], [0.04, 0.05])      # identical studies: no HKSJ test
    >>> bool(np.isnan(r.p_hksj)), round(r.p_hksj_mod, 3)
    (True, 0.184)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    alpha = check_alpha(alpha)
    y, v, X = _check(y, v)
    k = len(y)
    # statsmodels takes the sqrt of a variance built on a negative DL tau^2, and divides by a zero scale for
    # identical studies: both are handled below, so their warnings are not the caller's business
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = combine_effects(y, v, method_re="dl", use_t=True, alpha=alpha)
    truncated = False
    if method == "dl":
        tau2 = float(res.tau2)
        truncated = tau2 < 0
        tau2 = max(tau2, 0.0)
    else:
        # statsmodels' Paule-Mandel iteration sets tau^2 to 0 whenever its estimating equation dips below 0,
        # which round-off does once the tolerance is tight enough for digits that do not depend on when the
        # iteration stops; the root of Q(tau^2) = k - 1 is found here instead (:func:`tau2_pm`)
        tau2 = _tau2(method, y, v)
    fit = WLS(y, X, weights=1.0 / (v + tau2))
    fixed = fit.fit(cov_type="fixed_scale")
    mu, se = float(fixed.params[0]), float(fixed.bse[0])
    scale = generalized_q(tau2, y, v) / (k - 1)        # the HKSJ scale: WLS's estimated scale
    se_hksj = se * math.sqrt(scale) if scale >= ZERO_SCALE else 0.0
    w = (1.0 / (v + tau2)) / np.sum(1.0 / (v + tau2))
    z = float(st.norm.isf(alpha / 2))
    se_mod = max(se_hksj, se)              # scale = se_hksj^2 / se^2, not allowed below 1
    p_hksj, ci_hksj = _t_test(mu, se_hksj, k - 1, alpha)
    p_mod, ci_mod = _t_test(mu, se_mod, k - 1, alpha)
    q = float(res.q)
    tau2_ci = q_profile(y, v, alpha=alpha)
    s2 = typical_variance(v)
    i2 = lambda t2: 100 * t2 / (t2 + s2)  # noqa: E731
    h2 = lambda t2: (t2 + s2) / s2        # noqa: E731
    pi = prediction_interval(mu, se, tau2, k - 2, alpha) if k >= 3 else (np.nan, np.nan)
    return MetaResult(
        method=method, k=k, estimate=mu, se=se, ci=(mu - z * se, mu + z * se),
        p_value=float(2 * st.norm.sf(abs(mu) / se)),
        se_hksj=se_hksj, ci_hksj=ci_hksj, p_hksj=p_hksj, se_hksj_mod=se_mod, ci_hksj_mod=ci_mod, p_hksj_mod=p_mod,
        tau2=tau2, tau2_ci=tau2_ci, truncated=truncated, q=q, q_p=float(st.chi2.sf(q, k - 1)),
        i2=i2(tau2), i2_ci=(i2(tau2_ci[0]), i2(tau2_ci[1])), h2=h2(tau2), h2_ci=(h2(tau2_ci[0]), h2(tau2_ci[1])),
        pi=pi, weights=np.asarray(w, float), alpha=alpha)


@dataclass
class MetaRegression:
    """A mixed-effects meta-regression ``y_i = X_i b + u_i + e_i``, ``u_i ~ N(0, tau^2)``, ``e_i ~ N(0, v_i)``.

    ``se`` are the model-based standard errors (scale 1, metafor ``test="z"``), ``se_hksj`` the HKSJ ones
    (scale estimated by WLS, t on k - p df, metafor ``test="knha"``); ``ci_hksj`` and ``p_hksj`` go with them
    (NaN where the HKSJ standard error is zero).
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


#: Residual degrees of freedom a meta-regression needs (methods guide: "with residual degrees of freedom to
#: spare"); with 1, tau^2 and the HKSJ scale each rest on one residual.
MIN_RESIDUAL_DF = 2


def leverages(v, X, tau2: float = 0.0) -> np.ndarray:
    """Diagonal of the weighted hat matrix ``X (X'WX)^-1 X'W``: a study with leverage 1 is fitted exactly
    whatever its value, so some coefficient is fixed by that study alone."""
    v = np.asarray(v, float)
    W = np.diag(1.0 / (v + tau2))
    return np.diag(X @ np.linalg.solve(X.T @ W @ X, X.T @ W))


def meta_regression(y, v, x, method: str = "pm", alpha: float = 0.05, names=None,
                    min_residual_df: int = MIN_RESIDUAL_DF) -> MetaRegression:
    """Meta-regression of ``y`` on moderator(s) ``x`` (an intercept is added), with residual tau^2.

    tau^2 by :func:`tau2_pm`, :func:`tau2_dl` or :func:`tau2_reml`; the coefficients by statsmodels WLS with
    weights ``1 / (v + tau^2)``: ``cov_type="fixed_scale"`` gives the model-based standard errors, the default
    (scale = QE(tau^2) / (k - p)) the HKSJ ones.

    Raises
    ------
    ValueError
        For a design that cannot carry a meta-regression: fewer than ``min_residual_df`` residual degrees of
        freedom (k - p; a saturated design has none), or a study with leverage 1 (a coefficient is then the
        value of one study, not an estimate: e.g. one study alone at a dose, whose "slope" is the difference
        between it and the others).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    alpha = check_alpha(alpha)
    x = np.asarray(x, float).reshape(len(np.asarray(y)), -1)
    X = np.column_stack([np.ones(len(x)), x])
    y, v, X = _check(y, v, X)
    k, p = X.shape
    if k - p <= 0:
        raise ValueError(f"{k} effects cannot fit {p} coefficients and a residual variance (saturated model)")
    if k - p < min_residual_df:
        raise ValueError(f"{k} effects leave {k - p} residual degree(s) of freedom for {p} coefficients (at least "
                         f"{min_residual_df} needed): tau^2 and the HKSJ scale would rest on {k - p} residual(s)")
    lev = leverages(v, X)
    if np.any(lev > 1 - 1e-8):
        alone = [int(i) for i in np.flatnonzero(lev > 1 - 1e-8)]
        raise ValueError(f"study/studies {alone} (0-based) have leverage 1: a coefficient is fixed by one study "
                         "alone (e.g. the only study at its moderator value), not estimated")
    tau2 = _tau2(method, y, v, X)
    w = 1.0 / (v + tau2)
    model = WLS(y, X, weights=w)
    fixed = model.fit(cov_type="fixed_scale")
    params = np.asarray(fixed.params, float)
    scale = generalized_q(tau2, y, v, X) / (k - p)
    se_h = np.asarray(fixed.bse, float) * math.sqrt(scale) if scale >= ZERO_SCALE else np.zeros(p)
    tests = [_t_test(b, s, k - p, alpha) for b, s in zip(params, se_h)]
    qe = generalized_q(0.0, y, v, X)
    return MetaRegression(
        method=method, k=k, p=p, names=list(names) if names is not None else ["intercept"] + [f"x{i}" for i in
                                                                                              range(1, p)],
        params=params, se=np.asarray(fixed.bse, float), se_hksj=se_h,
        ci_hksj=np.array([ci for _, ci in tests], float), p_hksj=np.array([pv for pv, _ in tests], float),
        tau2=tau2, tau2_ci=q_profile(y, v, X, alpha), qe=qe, qe_p=float(st.chi2.sf(qe, k - p)), alpha=alpha)


# --- standardized mean changes entering a synthesis --------------------------------------------------

#: How a standardized mean change and its variance can enter a synthesis: (corrected estimate?, variance).
#: "exact_corrected" is what this collection pools; the others are the sensitivity a reviewer asks for.
SMC_VARIANTS = {
    "ls_uncorrected": "dz, large-sample variance 1/n + dz\u00b2/2n",
    "ls_corrected": "J dz, large-sample variance (metafor SMCC)",
    "exact_uncorrected": "dz, exact variance at \u03b4 = dz",
    "exact_corrected": "J dz, exact variance at \u03b4 = J dz (used here)",
}


def smc_inputs(dz, n, variant: str = "exact_corrected") -> tuple[np.ndarray, np.ndarray]:
    """Effects and variances of standardized mean changes ``dz`` (uncorrected, from n subjects each) as one of
    :data:`SMC_VARIANTS` enters a synthesis. ``dz`` and ``n`` must be of the same length (ValueError otherwise)."""
    if variant not in SMC_VARIANTS:
        raise ValueError(f"variant must be one of {list(SMC_VARIANTS)}, got {variant!r}")
    dz, n = np.asarray(dz, float).ravel(), np.asarray(n).ravel()
    if len(dz) != len(n):
        raise ValueError(f"one n per standardized mean change: got {len(dz)} dz and {len(n)} n")
    corrected = variant.endswith("_corrected")
    y = np.array([smc_corrected(d, m) if corrected else d for d, m in zip(dz, n)])
    if variant.startswith("ls"):
        v = np.array([var_smc_ls(e, m) for e, m in zip(y, n)])
    else:
        v = np.array([var_smc_exact(e, m, corrected) for e, m in zip(y, n)])
    return y, v


def variance_sensitivity(dz, n, method: str = "reml", alpha: float = 0.05) -> pd.DataFrame:
    """The same standardized mean changes pooled under every variant of :data:`SMC_VARIANTS`: effects,
    variances, Cochran's Q with its p, tau^2 and the pooled mean with its modified HKSJ interval."""
    rows = []
    for variant, label in SMC_VARIANTS.items():
        y, v = smc_inputs(dz, n, variant)
        r = random_effects(y, v, method, alpha)
        rows.append({"variant": variant, "inputs": label, "effects": tuple(y), "variances": tuple(v), "Q": r.q,
                     "Q_p": r.q_p, "tau2": r.tau2, "estimate": r.estimate, "ci_low_hksj_mod": r.ci_hksj_mod[0],
                     "ci_high_hksj_mod": r.ci_hksj_mod[1]})
    return pd.DataFrame(rows)


# --- what the published record lets us pool -----------------------------------------------------------

@dataclass(frozen=True)
class AnalysisSet:
    """One analysis of the synthesis: within-arm standardized changes of one parameter at one visit.

    ``arms``: the MSC arms that belong (None: every arm of the trials that printed a result for the parameter);
    ``pooled``: pooled by random effects (True) or shown side by side only (False: :func:`selection_note` says
    why, from the rows); ``arm``: the arm label of a pooled set's rows in ``estimates.csv``.
    """

    paramcd: str
    visit: float
    title: str
    pooled: bool
    arms: frozenset | None = None
    arm: str = ""
    comparison: str = "change_from_baseline"


#: The analysis sets of the evidence synthesis, in the order of the forest's panels. One parameter each (serum
#: TNF-alpha is not B-cell TNF-alpha), one effect measure (the within-arm standardized change, small-sample
#: corrected), one visit. Only the 100M arms are pooled: both trials printed that arm. Every other set is
#: descriptive, because the record gives values only for the arms whose p was significant (a pool of them would
#: be selected on significance, issue 16).
SETS = {
    "sixmwd_arms": AnalysisSet("SIXMWD", 6.0, "6MWD, change at 6 months, every arm", pooled=False),
    "tnfa_arms": AnalysisSet("TNFA", 6.0, "Serum TNF-\u03b1, change at 6 months, every arm", pooled=False),
    "tnfa_100m": AnalysisSet("TNFA", 6.0, "Serum TNF-\u03b1, change at 6 months, 100M arms", pooled=True,
                             arms=frozenset({"100M"}), arm="100M"),
}
POOLED_ARM_LABEL = "all"   # the reanalysis' label of a printed result for all arms pooled (CRATUS-P1)
#: ``bound`` of a row for an arm that printed nothing on the set's parameter (while another arm of its trial did).
UNREPORTED = "none"


def _printed(tables) -> dict:
    """{(trial, arm, paramcd, visit): the p as printed} of the within-arm claims ("not significant" where the
    record says so in words)."""
    c = tables["claims"]
    c = c[c.comparison.eq("change_from_baseline") & c.visit.astype(str).str.strip().ne("")]
    return {(r.trial, r.arm, r.paramcd, float(r.visit)): (r.value_printed if r.statistic == "p" and r.value_printed
                                                          else "not significant") for r in c.itertuples()}


def pooling_table(published: pd.DataFrame, tables=None) -> pd.DataFrame:
    """Every arm of the record that belongs to one of :data:`SETS`, with what the record gives for it, and whether
    it is pooled.

    ``published`` is :func:`msc_frailty.reanalysis.published_estimates` (basis published), ``tables``
    :func:`msc_frailty.published.load_published` (the arm sizes and the p as printed; loaded when not given). A row
    has a value (``value``) only when the record gives one: an exact printed p with its n. A printed inequality
    (``bound = "lower"``, or ``"upper"`` for a decrease) is carried as a bound, "not significant" (``bound =
    "range"``) as a range, and an MSC arm that printed nothing while another arm of its trial did (``bound =
    "none"``) is named, with no value; ``why`` gives the reason. A result printed for all arms together is shown as what it is (a value or a bound); it is
    never dropped as "the same subjects": an arm that printed nothing has its subjects in it only. A placebo arm's
    change is shown for context, never pooled. A row is pooled (``pooled``) when it has a value and its set is
    pooled.

    Returns
    -------
    pandas.DataFrame
        The reanalysis columns (``estimate`` is the implied dz as the record gives it, uncorrected, with its exact
        noncentral-t interval ``ci_low``, ``ci_high`` for the true change) plus ``set``, ``printed`` (the p as
        printed), ``dz_corrected`` (:func:`msc_frailty.stats.smc_corrected`; for a lower bound the corrected bound),
        ``variance`` (:func:`msc_frailty.stats.var_smc_exact` of the corrected value at delta = the corrected value), ``variance_ls``
        (:func:`msc_frailty.stats.var_smc_ls`), ``value``, ``pooled`` and ``why``.
    """
    from .published import load_published
    from .published_plots import dose_rank
    from .reanalysis import arm_sizes

    tables = tables or load_published()
    sizes, printed = arm_sizes(tables), _printed(tables)
    within = published[(published.comparison == "change_from_baseline") & published.method.eq("implied_dz")]
    rows = []
    for name, s in SETS.items():
        cand = within[(within.paramcd == s.paramcd) & np.isclose(within.visit, s.visit)]
        records = [r._asdict() for r in cand.itertuples(index=False)]
        # an MSC arm of a trial that printed this parameter for some arm separately, but nothing for this one
        for study, block in cand.groupby("study", sort=False):
            if not block.arm.isin([POOLED_ARM_LABEL, "Placebo"]).all():
                for (trial, arm), n in sizes.items():
                    if trial == study and arm not in ("all", "Placebo") and arm not in set(block.arm):
                        records.append({**block.iloc[0].to_dict(), "arm": arm, "n": n, "n_ref": np.nan,
                                        "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                                        "method": "", "bound": UNREPORTED})
        records.sort(key=lambda r: (r["study"], dose_rank(r["arm"])))     # the published forest's order
        for r in records:
            if s.arms is not None and r["arm"] not in s.arms:
                continue
            shown = printed.get((r["study"], r["arm"], r["paramcd"], float(r["visit"])), "")
            why = ""
            if r["arm"] == "Placebo":
                why = "placebo arm: its change is not an effect of cells (shown for context)"
            elif r["bound"] == UNREPORTED:
                why = "nothing printed for this arm" + (" (its subjects are in the all-arms result only)" if (
                    cand.study.eq(r["study"]) & cand.arm.eq(POOLED_ARM_LABEL)).any() else "")
            elif r["bound"] in ONE_SIDED:
                why = f"printed as an inequality ({shown}): the effect is at least this, not a value"
            elif r["bound"] == "range":
                why = "printed as 'not significant': only a range is known"
            rows.append({**r, "set": name, "printed": shown, "why": why})
    out = pd.DataFrame(rows)
    out["value"] = out.why.eq("")
    out["pooled"] = out.value & out.set.map({k: s.pooled for k, s in SETS.items()})
    n = out.n.astype(int)
    out["dz_corrected"] = [smc_corrected(e, m) if b in ("", *ONE_SIDED) else np.nan
                           for e, m, b in zip(out.estimate, n, out.bound)]
    out["variance"] = [var_smc_exact(g, m) if ok else np.nan for g, m, ok in zip(out.dz_corrected, n, out.value)]
    out["variance_ls"] = [var_smc_ls(g, m) if ok else np.nan for g, m, ok in zip(out.dz_corrected, n, out.value)]
    return out.reset_index(drop=True)


def _arm_words(r) -> str:
    return f"{r.study}'s arms together" if r.arm == POOLED_ARM_LABEL else f"{r.study} {r.arm}"


def selection_note(table: pd.DataFrame, name: str, alpha: float = 0.05) -> str:
    """Why a set of :func:`pooling_table` is not pooled, in words computed from its rows: which MSC arms printed
    a value (and whether every one of them was significant at ``alpha``), which printed only "not significant",
    which only a bound, and which nothing. "" for a pooled set.

    Examples
    --------
    >>> from msc_frailty.reanalysis import published_estimates
    >>> selection_note(pooling_table(published_estimates()), "tnfa_arms")[:68]
    'Not pooled: only the arms whose p was significant printed a value. C'
    """
    if SETS[name].pooled:
        return ""
    rows = table[(table.set == name) & table.arm.ne("Placebo")]
    values = rows[rows.value]
    significant = bool(len(values)) and bool((values.p_value < alpha).all())
    said = [f"{join_and(_arm_words(r) for r in rows[rows.bound.eq('range')].itertuples())} printed only 'not "
            "significant'"] if rows.bound.eq("range").any() else []
    said += [f"{_arm_words(r)} printed only a bound ({r.printed})" for r in rows[rows.bound.isin(ONE_SIDED)].itertuples()]
    if rows.bound.eq(UNREPORTED).any():
        said.append(f"{join_and(_arm_words(r) for r in rows[rows.bound.eq(UNREPORTED)].itertuples())} printed nothing")
    if significant:
        return ("Not pooled: only the arms whose p was significant printed a value. " + "; ".join(said)
                + (", so " if said else "") + "a pool of the values would be selected on significance.")
    return "Not pooled: " + ("; ".join(said) if said else "fewer than two values") + "."


def pool(table: pd.DataFrame, name: str, method: str = "reml", alpha: float = 0.05) -> MetaResult | None:
    """:func:`random_effects` of the pooled rows of one set of :func:`pooling_table` (corrected values with
    their exact variances); None for a set that is not pooled or has fewer than two values."""
    rows = table[(table.set == name) & table.pooled]
    if not SETS[name].pooled or len(rows) < 2:
        return None
    return random_effects(rows.dz_corrected.to_numpy(float), rows.variance.to_numpy(float), method, alpha)


#: The effect measure of every pooled row, named in its method (estimates.csv): the standardized mean change
#: with the small-sample correction, not the record's uncorrected ``implied_dz``.
MEASURE_SUFFIX = "corrected_dz"


def estimate_rows(result: MetaResult, name: str, table: pd.DataFrame, finding: str = "synthesis",
                  study: str = "all") -> pd.DataFrame:
    """Rows of ``estimates.csv`` (contract columns, basis published) for one pooled set and estimator.

    Methods (``<m>`` is reml, dl or pm; every method ends in ``_corrected_dz``, the measure pooled):
    ``re_<m>_hksj_mod`` (the headline: pooled mean, modified HKSJ interval and p), ``re_<m>_hksj`` (plain HKSJ,
    secondary; p empty when its standard error is zero), ``re_<m>_wald`` (standard normal interval),
    ``re_<m>_prediction`` (Higgins' prediction interval; only for k >= 3), ``re_<m>_tau2_qprofile`` (tau^2 with
    its Q-profile interval; p = Cochran's Q test), ``re_<m>_i2_qprofile`` (I^2 in per cent with the interval from
    the tau^2 limits). ``n`` is the number of subjects of the pooled rows.
    """
    from .analysis import ESTIMATE_COLUMNS

    s = SETS[name]
    if not s.pooled:
        raise ValueError(f"set {name!r} is not pooled: it has no pooled rows")
    rows = table[(table.set == name) & table.pooled]
    n = float(rows.n.sum())
    m = result.method
    values = [
        ("hksj_mod", result.estimate, *result.ci_hksj_mod, result.p_hksj_mod),
        ("hksj", result.estimate, *result.ci_hksj, result.p_hksj),
        ("wald", result.estimate, *result.ci, result.p_value),
        ("prediction", result.estimate, *result.pi, np.nan),
        ("tau2_qprofile", result.tau2, *result.tau2_ci, result.q_p),
        ("i2_qprofile", result.i2, *result.i2_ci, np.nan),
    ]
    out = [[finding, study, s.paramcd, s.visit, s.comparison, s.arm, "", n, np.nan, est, lo, hi, p,
            f"re_{m}_{what}_{MEASURE_SUFFIX}", "published", ""]
           for what, est, lo, hi, p in values if what != "prediction" or result.has_prediction]
    return pd.DataFrame(out, columns=ESTIMATE_COLUMNS)


# --- the dose question: contrasts side by side, never pooled --------------------------------------------

#: How each trial's 100M-versus-200M contrast was designed (the arms' notes in data/published/arms.csv).
DESIGNS = {"CRATUS-P1": "open label", "CRATUS-P2": "randomized"}
#: The measure of each kind of dose row of :func:`msc_frailty.reanalysis.published_dose`, in words, with its
#: variance: the captions name it.
CONTRAST_MEASURES = {
    "implied_dz_difference_corrected": "corrected dz, exact variances",
    "implied_g_difference": "g against shared placebo, large-sample variances",
}


def dose_contrasts(published: pd.DataFrame, tables=None) -> pd.DataFrame:
    """The 100M-versus-200M contrast in each trial where the record allows one, side by side, never pooled: the
    ``difference`` rows of :func:`msc_frailty.published_plots.dose_rows` (the dose rows of
    :func:`msc_frailty.reanalysis.published_dose`, computed once there, on the improvement scale: 200M minus 100M,
    positive favours 200M; outcomes with identical printed results grouped), each on its own measure, plus a row for
    a trial with both doses and no contrast.

    - CRATUS-P1, serum TNF-alpha: difference of the two arms' corrected dz (open label), exact variances. Both arms
      printed the same p with the same n: the difference is 0 by construction (``by_construction``, from the
      reanalysis), ``same_printed`` holds that p and ``p_value`` is empty.
    - CRATUS-P2, B-cell intracellular TNF-alpha: difference of the two arms' g against the shared placebo.
    - CRATUS-P2, outcomes whose rows are identical (6MWD, SPPB and FEV1: one printed p) become one row: 200M printed
      only "not significant", so only the widest interval over every value the record allows (``bound = "range"``).
    - A trial with both doses but no contrast (LOMECEL-P2B: each dose against placebo only): ``bound = "none"``.

    ``published`` are the rows of :func:`msc_frailty.reanalysis.published_estimates` (with their
    :data:`msc_frailty.reanalysis.BY_CONSTRUCTION` column).

    Returns
    -------
    pandas.DataFrame
        study, outcome, measure, method, n, n_ref (200M and 100M arms), estimate, ci_low, ci_high, p_value, bound,
        by_construction, same_printed.
    """
    from .published import load_published
    from .published_plots import SHORT, dose_rows, shared_p
    from .reanalysis import BY_CONSTRUCTION, STUDIES, arm_sizes

    tables = tables or load_published()
    printed, shared = _printed(tables), shared_p(tables["claims"])
    words = {**SHORT, "TNFA": "serum TNF-\u03b1"}
    dose = published[published.comparison.eq("vs_arm") & published.arm.eq("100M") & published.ref_arm.eq("200M")]
    rows = []
    for r in dose_rows(published).query("part == 'difference'").itertuples():
        outcome = join_and([words.get(p, p) for p in r.outcomes])
        if len(r.outcomes) > 1 and (r.study, r.paramcd, r.visit, "100M", "change_from_baseline") in shared:
            outcome += " (one printed p)"
        rows.append({"study": r.study, "outcome": outcome,
                     "measure": f"{CONTRAST_MEASURES.get(r.method, r.method)}; {DESIGNS.get(r.study, '')}".rstrip("; "),
                     "method": r.method, "n": r.n_ref, "n_ref": r.n, "estimate": r.estimate, "ci_low": r.ci_low,
                     "ci_high": r.ci_high, "p_value": r.p_value, "bound": r.bound, BY_CONSTRUCTION: r.by_construction,
                     "same_printed": printed.get((r.study, "100M", r.paramcd, float(r.visit)), "")
                     if r.by_construction else ""})
    sizes = arm_sizes(tables)
    for study in STUDIES:
        if {(study, "100M"), (study, "200M")} <= set(sizes) and not dose.study.eq(study).any():
            against = published[published.study.eq(study) & published.comparison.eq("vs_placebo")
                                & published.arm.isin(["100M", "200M"])]
            rows.append({"study": study, "outcome": join_and([words.get(p, p) for p in dict.fromkeys(against.paramcd)]),
                         "measure": "each dose against placebo only", "method": "", "n": sizes[(study, "200M")],
                         "n_ref": sizes[(study, "100M")], "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "p_value": np.nan, "bound": UNREPORTED, BY_CONSTRUCTION: False, "same_printed": ""})
    order = {s: i for i, s in enumerate(STUDIES)}
    out = pd.DataFrame(rows)
    return out.sort_values("study", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)


# --- figures ----------------------------------------------------------------------------------------

VALUE_X = 1.03          # where the value column starts, in axes fraction
ESTIMATOR_COLORS = {"reml": "#000000", "dl": "#666666", "pm": "#666666"}


def format_variance(x: float) -> str:
    """A positive quantity to 3 significant figures (tau^2 and its limits, which run over orders of magnitude);
    thousands grouped by a thin space.

    Examples
    --------
    >>> format_variance(11739.18), format_variance(7.1286)
    ('11\u2009700', '7.13')
    """
    from .findings import fmt_num

    if x >= 1000:
        rounded = round(x, 2 - int(math.floor(math.log10(x))))
        return f"{rounded:,.0f}".replace(",", "\u2009")
    return fmt_num(x, 3)


def _arm_label(r) -> str:
    from . import style

    if r.arm == POOLED_ARM_LABEL:
        return f"all arms, doses pooled (n = {int(r.n)})"
    return style.arm_n_label(r.arm, r.n)


def _diamond(ax, y, est, lo, hi, xlim, color, height=0.32, filled=True):
    """A pooled mean (diamond) with its interval as its width, clipped to ``xlim``; a clipped end carries the
    off-scale glyph (the value is written beside the row)."""
    from matplotlib.patches import Polygon

    from . import style

    a, b = max(lo, xlim[0]), min(hi, xlim[1])
    ax.add_patch(Polygon([(a, y), (est, y - height), (b, y), (est, y + height)], closed=True,
                         facecolor=color if filled else "white", edgecolor=color, lw=0.8, zorder=3))
    style.off_scale_ends(ax, y, lo, hi, color, xlim)


def _study_rows(ax, rows):
    """Draw the record's rows of one set from y = 0 down (:func:`msc_frailty.published_plots.point_intervals`:
    a value with its interval, an inequality as an arrow from its bound, 'not significant' as a dashed range, an
    end beyond the axis with the off-scale glyph); write each row's value at its right; return the tick labels."""
    from .published_plots import point_intervals

    marks = rows.assign(y=np.arange(len(rows), dtype=float), estimate=rows.dz_corrected)
    point_intervals(marks[marks.bound.ne(UNREPORTED)][["y", "estimate", "ci_low", "ci_high", "bound", "arm"]], ax)
    for r in marks.itertuples():
        if r.bound == "range":
            text = "'not significant': range only"
        elif r.bound in ONE_SIDED:
            sign = "\u2264" if r.dz_corrected < 0 else "\u2265"
            text = f"bound: {sign} {format_number(r.dz_corrected, 2)} ({r.printed})"
        elif r.bound == UNREPORTED:
            text = "nothing printed"
        else:
            text = f"{format_number(r.dz_corrected, 2)} {format_interval(r.ci_low, r.ci_high)}"
        ax.text(VALUE_X, r.y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=6,
                color="0.15" if r.value else "0.4")
    return [f"{r.study}, {_arm_label(r)}" for r in rows.itertuples()]


def forest_figure(table: pd.DataFrame, results: dict, sets, xlims: dict, x_labels: dict):
    """Forest plot of the synthesis sets, one panel each (lettered a, b, ...).

    Each panel shows the record's rows (:func:`_study_rows`): the corrected standardized change (marker) with the
    exact noncentral-t interval of the true change; a printed "not significant" as a dashed range with end ticks;
    an inequality as an arrow from its bound towards the open side; an arm that printed nothing by name, with no
    mark. An interval running past the axis ends in the off-scale glyph (two slanted strokes), its value written
    at the right. A descriptive set says why it is not pooled (:func:`selection_note`). A pooled set adds, for
    REML (filled diamond, the headline), DL and PM (open diamonds), the pooled mean with its modified HKSJ interval
    as the diamond (plain HKSJ, secondary, in the text), a prediction-interval row (Higgins: t on k - 2 df, REML
    tau^2; for k < 3 the row says none is given) and the between-trial variance.

    ``results`` maps a pooled set to ``{"reml": MetaResult, "dl": ..., "pm": ...}``; ``xlims`` a set to its x
    limits; ``x_labels`` a set to its x label.
    """
    from matplotlib.ticker import MaxNLocator

    from . import style
    from .numbers import format_p

    def n_rows(name):
        k = len(table[table.set == name])
        if not SETS[name].pooled:
            return k + textwrap.fill(selection_note(table, name), 105).count("\n") + 1
        return k + len(results[name]) + 2

    heights = [n_rows(s) + 2.6 for s in sets]
    fig, axes = style.stamped_figure("double", 18 + 4.6 * sum(heights), nrows=len(sets),
                                     gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, sets):
        rows = table[table.set == name]
        xlim = xlims[name]
        ax.set_xlim(*xlim)
        ticks = _study_rows(ax, rows)
        y = len(rows)
        if not SETS[name].pooled:
            note = textwrap.fill(selection_note(table, name), 105)
            lines = note.count("\n") + 1
            ax.text(0.0, y + (lines - 1) / 2, note, transform=ax.get_yaxis_transform(), ha="left", va="center",
                    fontsize=6, color="0.3", bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3}, zorder=4)
            ticks += [""] * lines       # a row of room for each line of the note
        else:
            res = results[name]
            for m in ("reml", "dl", "pm"):
                r = res[m]
                _diamond(ax, y, r.estimate, *r.ci_hksj_mod, xlim, ESTIMATOR_COLORS[m], filled=m == "reml",
                         height=0.32 if m == "reml" else 0.24)
                text = f"{format_number(r.estimate, 2)} {format_interval(*r.ci_hksj_mod)}"
                if m == "reml":
                    hk = "none (zero SE)" if np.isnan(r.ci_hksj[0]) else format_interval(*r.ci_hksj)
                    text += f"; plain HKSJ (secondary) {hk}"
                ax.text(VALUE_X, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=6,
                        color="0.15" if m == "reml" else "0.4")
                ticks.append(f"{METHOD_ABBREVIATIONS[m]}, modified HKSJ (k = {r.k})")
                y += 1
            r = res["reml"]
            if r.has_prediction:
                a, b = max(r.pi[0], xlim[0]), min(r.pi[1], xlim[1])
                ax.hlines(y, a, b, colors="#000000", lw=0.8)
                ax.plot([e for e in r.pi if xlim[0] <= e <= xlim[1]], [y] * sum(xlim[0] <= e <= xlim[1] for e in r.pi),
                        marker="|", ms=5, color="#000000", mew=0.8, ls="none")
                style.off_scale_ends(ax, y, *r.pi, "#000000", xlim)
                text = format_interval(*r.pi)
            else:
                text = f"none: k = {r.k} (a prediction interval needs k \u2265 3)"
            ax.text(VALUE_X, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=6,
                    color="0.15" if r.has_prediction else "0.4")
            ticks.append(f"Prediction interval (REML{f', t on {r.k - 2} df' if r.has_prediction else ''})")
            y += 1
            tau2 = ", ".join(format_variance(t) for t in r.tau2_ci)
            ax.text(VALUE_X, y, f"\u03c4\u00b2 {format_variance(r.tau2)} [{tau2}], I\u00b2 {r.i2:.0f}%, Q test "
                    f"{format_p(r.q_p)}", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=6)
            ticks.append("Between-trial variance (REML)")
        ax.set_yticks(range(len(ticks)), ticks)
        ax.set_ylim(len(ticks) - 0.4, -0.7)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.axvline(0, color="0.4", lw=0.6, zorder=0)
        ax.axhline(len(rows) - 0.5, color="0.8", lw=0.5, zorder=0)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
        ax.set_title(SETS[name].title, loc="left", fontsize=7)
        ax.set_xlabel(x_labels[name], fontsize=6.5)
    if len(axes) > 1:
        style.panel_letters(axes)
    return fig


def _contrast_column(r) -> str:
    """The value column of one row of :func:`dose_contrasts` in the synthesis figure: the contrast
    (:func:`msc_frailty.published_plots.contrast_text`) with its n, why it has no estimate or no p, and its measure."""
    from .published_plots import contrast_text

    if r.bound == UNREPORTED:
        return f"{r.measure}:\nno 100M\u2013200M contrast"
    n = f"n = {int(r.n)} per arm" if r.n == r.n_ref else f"n = {int(r.n)} (200M) and {int(r.n_ref)} (100M)"
    why = ("\n(200M printed only 'not significant')" if r.bound == "range" else
           f"\n(both arms printed {r.same_printed})" if r.by_construction else "")
    return f"{contrast_text(r)}, {n}{why}\n{r.measure}"


def dose_contrast_figure(contrasts: pd.DataFrame, xlim=(-4.0, 4.0)):
    """The 100M-versus-200M question across trials: :func:`dose_contrasts` side by side, one row per trial and
    outcome, no pooled value (the contrasts differ in analyte, effect measure and design). Drawn as the dose
    figure of the published record draws a difference (:func:`msc_frailty.published_plots.point_intervals`, the
    black cross): an interval clipped to ``xlim`` ends in the off-scale glyph, a range is dashed with end ticks, a
    trial without a contrast has no mark; the value column (:func:`_contrast_column`) gives every number."""
    from . import style
    from .published_plots import point_intervals

    fig, ax = style.stamped_figure("double", 70)
    ax.set_xlim(*xlim)
    marks = contrasts.assign(y=np.arange(len(contrasts), dtype=float), arm="All")
    point_intervals(marks[marks.bound.ne(UNREPORTED)][["y", "estimate", "ci_low", "ci_high", "bound", "arm"]], ax)
    for r in marks.itertuples():
        ax.text(VALUE_X, r.y, _contrast_column(r), transform=ax.get_yaxis_transform(), va="center", fontsize=6,
                color="0.15" if r.bound != UNREPORTED else "0.4")
    ax.set_yticks(range(len(marks)), [f"{r.study}:\n{r.outcome}" for r in marks.itertuples()])
    ax.set_ylim(len(marks) - 0.5, -0.6)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.axvline(0, color="0.4", lw=0.6, zorder=0)
    style.favours(ax, "100M", "200M")
    ax.set_xlabel("200M minus 100M, standardized, on each outcome's improvement scale (95% interval)")
    return fig
