"""Effect sizes, exact intervals and the tests of the statistical analysis plan.

Small functions on arrays returning plain dicts; :mod:`msc_frailty.analysis` turns them into tidy rows.
All intervals are two-sided with ``confidence`` coverage (0.95 by default).

pingouin computes the tests it provides: the paired (one-sample on the change) and Welch t-tests with
their intervals (:func:`pingouin.ttest`), and the ANCOVA and dose-trend fits (:func:`pingouin.linear_regression`).
Hand-written code remains only where pingouin has no equivalent: the exact noncentral-t intervals of
standardized effects (:func:`nct_interval`, Hedges' exact J), Clopper-Pearson, Fisher-Freeman-Halton, and
the degenerate inputs (no spread, missing values) that pingouin would silently drop or turn into
undefined intervals. The tests check every function against scipy and statsmodels.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pingouin as pg
from scipy import optimize, special
from scipy import stats as st


def check_confidence(confidence: float) -> float:
    """The coverage of an interval, strictly between 0 and 1; returns alpha = 1 - confidence.

    Examples
    --------
    >>> round(check_confidence(0.95), 10)
    0.05
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return 1 - confidence


def check_alpha(alpha: float) -> float:
    """A two-sided significance level strictly between 0 and 1, as a float (alpha = 0 has no critical value; a
    text, a bool or NaN is refused).

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    """
    if not (isinstance(alpha, (int, float, np.floating)) and not isinstance(alpha, bool) and 0 < float(alpha) < 1):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    return float(alpha)


def check_n(n) -> int:
    """A number of subjects: a whole number of at least 2, as an int.

    Examples
    --------
    >>> check_n(5.0)
    5
    """
    if not (isinstance(n, (int, float, np.integer, np.floating)) and not isinstance(n, bool) and np.isfinite(n)
            and float(n) == int(n) and int(n) >= 2):
        raise ValueError(f"n must be a whole number of subjects >= 2, got {n!r}")
    return int(n)


@contextmanager
def _full_precision():
    """pingouin's results at full precision: no ``round`` option applies, restored afterwards.

    pingouin rounds output columns by its global ``pingouin.options`` (by default the CI95 column to 2
    decimals, which would break the agreement to 6 significant digits) and a user may set more.
    """
    saved = dict(pg.options)
    for key in [k for k in pg.options if k.startswith("round.")]:
        del pg.options[key]
    pg.options["round"] = None
    try:
        yield
    finally:
        pg.options.clear()
        pg.options.update(saved)


def _ttest(x, y, **kwargs) -> dict:
    """One row of :func:`pingouin.ttest` at full precision, with its interval as ``ci_low``/``ci_high``."""
    with _full_precision():
        res = pg.ttest(x, y, **kwargs).iloc[0]
    (ci,) = [res[c] for c in res.index if c.startswith("CI")]  # named CI95, CI90, ... after `confidence`
    return {"T": float(res["T"]), "dof": res["dof"], "p_val": float(res["p_val"]), "ci_low": float(ci[0]),
            "ci_high": float(ci[1]), "cohen_d": float(np.copysign(res["cohen_d"], res["T"]))}


def _floats(*arrays) -> list[np.ndarray]:
    """The arrays as float arrays, all of the same length (a clear error otherwise)."""
    out = [np.asarray(a, dtype=float).ravel() for a in arrays]
    if len({a.size for a in out}) > 1:
        raise ValueError(f"inputs differ in length: {[a.size for a in out]}")
    return out


def nct_interval(t: float, df: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact confidence interval of a noncentrality parameter, by inverting the noncentral t.

    The lower limit is the noncentrality under which the observed ``t`` is the upper
    ``(1 - confidence) / 2`` quantile, the upper limit the one under which it is the lower quantile
    (Steiger & Fouladi 1997; the method of MBESS ``conf.limits.nct``).

    Parameters
    ----------
    t : float
        Observed t statistic.
    df : float
        Degrees of freedom.
    confidence : float
        Coverage, 0.95 by default.

    Returns
    -------
    (float, float)
        Lower and upper limit of the noncentrality parameter.

    Examples
    --------
    >>> lo, hi = nct_interval(2.0, 10)
    >>> round(lo, 4), round(hi, 4)
    (-0.1835, 4.1011)
    """
    alpha = check_confidence(confidence)
    if not (np.isfinite(t) and np.isfinite(df) and df > 0):
        raise ValueError(f"nct_interval needs a finite t and df > 0, got t={t}, df={df}")

    def limit(target):
        f = lambda ncp: st.nct.cdf(t, df, ncp) - target  # noqa: E731  decreasing in ncp
        lo, hi = t - 5.0, t + 5.0
        while f(lo) < 0:
            lo -= 5.0 + abs(lo)
        while f(hi) > 0:
            hi += 5.0 + abs(hi)
        return optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500)

    return limit(1 - alpha / 2), limit(alpha / 2)


def hedges_correction(df: float) -> float:
    """Exact small-sample correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) (Hedges 1981)."""
    return float(np.exp(special.gammaln(df / 2) - np.log(np.sqrt(df / 2)) - special.gammaln((df - 1) / 2)))


def cohen_dz(change, confidence: float = 0.95) -> dict:
    """Standardized mean change dz = mean / SD of the paired differences, with an exact interval.

    dz is pingouin's one-sample Cohen d (:func:`pingouin.compute_effsize` against 0); the interval
    inverts the noncentral t of the paired t statistic t = dz * sqrt(n) (:func:`nct_interval`), which
    pingouin does not provide.

    Parameters
    ----------
    change : array-like
        Paired differences (follow-up minus baseline), at least 2, all finite.
    confidence : float
        Coverage of the interval, 0.95 by default.

    Returns
    -------
    dict
        n, dz, ci_low, ci_high. Differences that are all equal give dz and the interval as NaN (dz is
        undefined without spread).

    Examples
    --------
    >>> r = cohen_dz([1.0, 2.0, 3.0, 4.0])
    >>> round(r["dz"], 4), r["n"]
    (1.9365, 4)
    """
    (x,) = _floats(change)
    n = x.size
    if n < 2:
        raise ValueError("cohen_dz needs at least 2 differences")
    if not np.isfinite(x).all():
        raise ValueError("cohen_dz: the differences contain NaN or inf")
    check_confidence(confidence)
    if np.ptp(x) == 0:
        return {"n": n, "dz": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    dz = float(pg.compute_effsize(x, 0.0, eftype="cohen"))
    lo, hi = nct_interval(dz * np.sqrt(n), n - 1, confidence)
    return {"n": n, "dz": dz, "ci_low": float(lo / np.sqrt(n)), "ci_high": float(hi / np.sqrt(n))}


def hedges_g(x, y, confidence: float = 0.95) -> dict:
    """Hedges' g for two independent groups (x minus y), with an exact noncentral-t interval.

    ``d`` is pingouin's Cohen d with the pooled SD (:func:`pingouin.compute_effsize`); ``g = J(n_x + n_y - 2)
    * d`` removes its small-sample bias with the exact gamma-function J (pingouin's ``hedges`` uses the
    approximation 1 - 3 / (4 df - 1), which differs in the 3rd decimal at n = 4 + 4). The interval is for
    the population standardized difference delta, from inverting the noncentral t of the two-sample t
    statistic (Steiger & Fouladi 1997; Cumming & Finch 2001), the same as MBESS ``ci.smd``. It is not
    pingouin's symmetric normal-theory ``compute_esci``.

    Parameters
    ----------
    x, y : array-like
        The two groups, at least 2 finite values each.
    confidence : float
        Coverage of the interval, 0.95 by default.

    Returns
    -------
    dict
        n_x, n_y, d, g, ci_low, ci_high. Two groups without any spread give d, g and the interval as NaN.

    References
    ----------
    Hedges LV. J Educ Stat 1981;6:107-128.

    Examples
    --------
    >>> r = hedges_g([5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(r["d"], 4), round(r["g"], 4)
    (3.0984, 2.6913)
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        raise ValueError("hedges_g needs at least 2 values per group")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("hedges_g: the values contain NaN or inf")
    check_confidence(confidence)
    df = n1 + n2 - 2
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        return {"n_x": n1, "n_y": n2, "d": np.nan, "g": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    d = float(pg.compute_effsize(x, y, paired=False, eftype="cohen"))
    scale = np.sqrt(n1 * n2 / (n1 + n2))
    lo, hi = nct_interval(d * scale, df, confidence)
    return {"n_x": n1, "n_y": n2, "d": d, "g": float(hedges_correction(df) * d),
            "ci_low": float(lo / scale), "ci_high": float(hi / scale)}


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion k / n.

    With zero events the upper limit is 1 - (alpha/2)^(1/n): 0.5218 at n = 5 and 0.3085 at n = 10
    (the "rule of three", 3/n, gives 0.30 at n = 10 but for a one-sided 95% bound).

    Examples
    --------
    >>> [round(v, 4) for v in clopper_pearson(0, 10)]
    [0.0, 0.3085]
    """
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    alpha = check_confidence(confidence)
    lo = 0.0 if k == 0 else st.beta.ppf(alpha / 2, k, n - k + 1)
    hi = 1.0 if k == n else st.beta.ppf(1 - alpha / 2, k + 1, n - k)
    return float(lo), float(hi)


def paired_t(change, confidence: float = 0.95) -> dict:
    """Mean change with its t interval and the paired t-test p, by :func:`pingouin.ttest`.

    The paired t-test of follow-up against baseline is the one-sample t-test of their differences
    against 0 (same t, df, p and interval); the function takes the differences, so it calls
    ``pingouin.ttest(change, 0)``, the one-sample form.

    Parameters
    ----------
    change : array-like
        Differences (follow-up minus baseline), at least 2.
    confidence : float
        Coverage of the interval, 0.95 by default.

    Returns
    -------
    dict
        n, estimate (mean change), ci_low, ci_high, t, df, p_value, and cohen_dz (pingouin's Cohen d of
        the differences, signed like the mean).

    Notes
    -----
    pingouin drops missing values silently; here they are not dropped: differences containing NaN or
    inf give every statistic as NaN (the estimate is their mean). Differences that are all equal give
    the interval [mean, mean], t = +-inf and p = 0 (t and p NaN when they are all 0), where pingouin
    would give an undefined interval.

    Examples
    --------
    >>> r = paired_t([1.0, 2.0, 3.0])
    >>> r["n"], r["estimate"], round(r["p_value"], 4), round(r["ci_low"], 4)
    (3, 2.0, 0.0742, -0.4841)
    """
    (x,) = _floats(change)
    n = x.size
    if n < 2:
        raise ValueError("paired_t needs at least 2 differences")
    check_confidence(confidence)
    m = float(x.mean())
    if not np.isfinite(x).all():
        return {"n": n, "estimate": m, "ci_low": np.nan, "ci_high": np.nan, "t": np.nan, "df": n - 1,
                "p_value": np.nan, "cohen_dz": np.nan}
    if np.ptp(x) == 0:
        t, p = (np.nan, np.nan) if m == 0 else (float(np.copysign(np.inf, m)), 0.0)
        return {"n": n, "estimate": m, "ci_low": m, "ci_high": m, "t": t, "df": n - 1, "p_value": p,
                "cohen_dz": np.nan}
    r = _ttest(x, 0.0, confidence=confidence)
    return {"n": n, "estimate": m, "ci_low": r["ci_low"], "ci_high": r["ci_high"], "t": r["T"], "df": n - 1,
            "p_value": r["p_val"], "cohen_dz": r["cohen_d"]}


def welch_t(x, y, confidence: float = 0.95) -> dict:
    """Difference in means (x minus y) with a Welch-Satterthwaite interval and p, by :func:`pingouin.ttest`.

    ``pingouin.ttest(x, y, correction=True)``: Welch's unequal-variance test whatever the group sizes.

    Parameters
    ----------
    x, y : array-like
        The two groups.
    confidence : float
        Coverage of the interval, 0.95 by default.

    Returns
    -------
    dict
        n, n_ref, estimate (mean of x minus mean of y), ci_low, ci_high, t, df, p_value, and cohen_d
        (pingouin's Cohen d with the pooled SD, signed like the estimate).

    Notes
    -----
    A group with fewer than 2 values, missing values (NaN, inf) or two groups without any spread give
    the estimate (the difference in means) and every other statistic as NaN, except t, which is +-inf
    when neither group has spread and their means differ. pingouin itself would drop missing values and
    turn a one-value ``y`` into a one-sample test.

    Examples
    --------
    >>> r = welch_t([1.0, 2.0, 4.0], [0.0, 3.0, 3.5])
    >>> round(r["estimate"], 4), round(r["df"], 4), round(r["p_value"], 4)
    (0.1667, 3.8291, 0.9115)
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    check_confidence(confidence)
    diff = float(x.mean() - y.mean()) if x.size and y.size else np.nan
    out = {"n": x.size, "n_ref": y.size, "estimate": diff, "ci_low": np.nan, "ci_high": np.nan, "t": np.nan,
           "df": np.nan, "p_value": np.nan, "cohen_d": np.nan}
    if x.size < 2 or y.size < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return out
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        return out | {"t": np.nan if diff == 0 else float(np.copysign(np.inf, diff))}
    with warnings.catch_warnings():
        if np.ptp(x) == 0 or np.ptp(y) == 0:  # exact, but scipy warns of "precision loss" (identical data)
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        r = _ttest(x, y, paired=False, correction=True, confidence=confidence)
    return out | {"ci_low": r["ci_low"], "ci_high": r["ci_high"], "t": r["T"], "df": float(r["dof"]),
                  "p_value": r["p_val"], "cohen_d": r["cohen_d"]}


def mean_t_interval(values, confidence: float = 0.95) -> dict:
    """The mean of ``values`` with its t interval (Student's t with n - 1 df), by :func:`pingouin.ttest`.

    The interval of the plan's ``at_visit`` rows (a parameter without a baseline, analysed as the value at each
    visit): the same one-sample t interval as :func:`paired_t` gives for the differences, without a test (no
    hypothesised value exists for a rating of change, so no p is returned).

    Parameters
    ----------
    values : array-like
        At least 2 values.
    confidence : float
        Coverage of the interval, 0.95 by default.

    Returns
    -------
    dict
        n, estimate (the mean), ci_low, ci_high, sd. Values that are all equal give the interval [mean, mean]
        (the t interval with a standard deviation of 0); values containing NaN or inf give the interval as NaN.

    Examples
    --------
    >>> r = mean_t_interval([2.0, 3.0, 3.0, 4.0])
    >>> r["n"], r["estimate"], round(r["ci_low"], 4), round(r["ci_high"], 4)
    (4, 3.0, 1.7008, 4.2992)
    """
    (x,) = _floats(values)
    if x.size < 2:
        raise ValueError("mean_t_interval needs at least 2 values")
    r = paired_t(x, confidence)
    sd = float(x.std(ddof=1)) if np.isfinite(x).all() else np.nan
    return {"n": r["n"], "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "sd": sd}


def mann_whitney(x, y) -> dict:
    """Two-sided Mann-Whitney U test of x against y, with the rank-biserial correlation, by :func:`pingouin.mwu`.

    The rank test of an ordinal score (a 1-7 rating of change) beside the Welch difference in means. pingouin calls
    :func:`scipy.stats.mannwhitneyu` (exact p for small samples without ties, else the normal approximation with a
    continuity correction and a tie correction) and gives the rank-biserial correlation
    RBC = P(x > y) - P(x < y) (Wendt 1972; Kerby 2014): positive when x tends to be larger, between -1 and 1.

    Parameters
    ----------
    x, y : array-like
        The two groups.

    Returns
    -------
    dict
        n, n_ref, u (U of x), p_value, rbc, cles (P(x > y) + P(x = y) / 2). A group with fewer than 2 values or
        with missing values (NaN, inf) gives every statistic as NaN (pingouin would drop missing values silently).
        Two groups holding one and the same value leave nothing to rank: no test (p NaN, as for the Welch row of
        zero spread), RBC 0.

    Notes
    -----
    With ties, scipy uses the normal approximation whatever the group sizes, so for groups of about 10 or fewer with
    ties the p is approximate (3 against 3, fully separated, with a tie inside a group: p = 0.047, where the exact
    permutation p cannot fall below 0.10).

    References
    ----------
    Kerby DS. The simple difference formula: an approach to teaching nonparametric correlation. Compr Psychol
    2014;3:11.IT.3.1.

    Examples
    --------
    >>> r = mann_whitney([5, 6, 7, 7, 6], [3, 4, 4, 5, 2, 3])
    >>> r["u"], round(r["p_value"], 5), round(r["rbc"], 4)
    (29.5, 0.00972, 0.9667)
    >>> r = mann_whitney([4, 4], [4, 4, 4])
    >>> r["p_value"], r["rbc"]
    (nan, 0.0)
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    out = {"n": x.size, "n_ref": y.size, "u": np.nan, "p_value": np.nan, "rbc": np.nan, "cles": np.nan}
    if x.size < 2 or y.size < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return out
    if np.unique(np.concatenate([x, y])).size == 1:      # one value in both groups: nothing to rank
        return out | {"u": x.size * y.size / 2, "rbc": 0.0, "cles": 0.5}
    with _full_precision():
        res = pg.mwu(x, y, alternative="two-sided").iloc[0]
    return out | {"u": float(res["U_val"]), "p_value": float(res["p_val"]), "rbc": float(res["RBC"]),
                  "cles": float(res["CLES"])}


def _ols_term(y, X, confidence) -> dict:
    """OLS of y on an intercept and the columns of X by :func:`pingouin.linear_regression`: the first column's
    coefficient with its t interval and p, the second column's coefficient, the residual df.

    A y with NaN or inf gives every statistic as NaN (pingouin refuses it; statsmodels, the reference, and
    the earlier versions of these functions return NaN).
    """
    if not np.isfinite(y).all():
        rank = np.linalg.matrix_rank(np.column_stack([np.ones_like(y), X]))
        return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "t": np.nan,
                "df": float(y.size - rank), "p_value": np.nan, "second": np.nan}
    fit = pg.linear_regression(X, y, add_intercept=True, alpha=check_confidence(confidence), as_dataframe=False)
    lo, hi = [v for k, v in fit.items() if k.startswith("CI")]  # CI2.5, CI97.5 for alpha = 0.05
    return {"estimate": float(fit["coef"][1]), "ci_low": float(lo[1]), "ci_high": float(hi[1]),
            "t": float(fit["T"][1]), "df": float(fit["df_resid"]), "p_value": float(fit["pval"][1]),
            "second": float(fit["coef"][2])}


def ancova(change, baseline, is_arm, confidence: float = 0.95) -> dict:
    """ANCOVA of change on arm and baseline (Vickers & Altman 2001), fitted by :func:`pingouin.linear_regression`.

    The model is the OLS of change on an intercept, the arm indicator and the centred baseline, fitted to
    the two arms compared only; the adjusted difference is the arm coefficient. Centring the baseline
    changes neither the fit nor the arm coefficient, but keeps the design well-conditioned, so the
    estimate is not left with 1e-10 of rounding noise that depends on the processor's BLAS kernels
    (README, "Precision"). Its p equals that of the arm term in :func:`pingouin.ancova` (one df: F = t^2),
    which gives no adjusted difference or interval.

    Parameters
    ----------
    change, baseline : array-like
        Change from baseline and baseline value, one per subject of the two arms compared.
    is_arm : array-like of bool
        True for the arm of interest, False for the comparator.
    confidence : float
        Coverage of the interval, 0.95 by default.

    Returns
    -------
    dict
        n, n_ref, estimate (adjusted difference, arm minus comparator), ci_low, ci_high, t, df, p_value,
        slope (of baseline).

    Notes
    -----
    A change with NaN or inf gives every statistic as NaN; a baseline with NaN or inf is an error.

    Examples
    --------
    >>> r = ancova([1.0, 2, 3, 4, 5], [5.0, 6, 7, 8, 2], [True, True, False, False, False])
    >>> r["n"], r["n_ref"], round(r["estimate"], 4), round(r["p_value"], 4), r["df"]
    (2, 3, -2.5354, 0.0873, 2.0)
    """
    y, b, a = _floats(change, baseline, is_arm)
    a = a.astype(bool)
    if a.sum() < 1 or (~a).sum() < 1 or y.size < 4:
        raise ValueError("ancova needs subjects in both arms and at least 4 in all")
    if not np.isfinite(b).all():
        raise ValueError("ancova: the baseline contains NaN or inf")
    r = _ols_term(y, np.column_stack([a.astype(float), b - b.mean()]), confidence)
    return {"n": int(a.sum()), "n_ref": int((~a).sum()), "estimate": r["estimate"], "ci_low": r["ci_low"],
            "ci_high": r["ci_high"], "t": r["t"], "df": r["df"], "p_value": r["p_value"], "slope": r["second"]}


def linear_trend(change, baseline, dose, confidence: float = 0.95) -> dict:
    """Dose-response slope: OLS of change on dose (million cells) and baseline, all arms together.

    Fitted by :func:`pingouin.linear_regression` with dose / 100 and the centred baseline (see
    :func:`ancova`); the estimate is the change per 100 million cells.

    Parameters
    ----------
    change, baseline, dose : array-like
        One per subject; at least 4 subjects and 2 dose levels.
    confidence : float
        Coverage of the interval, 0.95 by default.

    Returns
    -------
    dict
        n, estimate (change per 100 million cells), ci_low, ci_high, t, df, p_value.

    Notes
    -----
    A change with NaN or inf gives every statistic as NaN; a baseline or dose with NaN or inf is an error.

    Examples
    --------
    >>> r = linear_trend([1.0, 2, 3, 4, 6], [1.0, 5, 3, 2, 2], [0.0, 0, 200, 200, 100])
    >>> r["n"], round(r["estimate"], 4), round(r["p_value"], 4)
    (5, 0.9832, 0.491)
    """
    y, b, dose = _floats(change, baseline, dose)
    if y.size < 4:
        raise ValueError(f"linear_trend needs at least 4 subjects, got {y.size}")
    if not (np.isfinite(b).all() and np.isfinite(dose).all()):
        raise ValueError("linear_trend: the baseline or the dose contains NaN or inf")
    if np.unique(dose).size < 2:
        raise ValueError("linear_trend needs at least 2 dose levels")
    r = _ols_term(y, np.column_stack([dose / 100.0, b - b.mean()]), confidence)
    return {"n": y.size, "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            "t": r["t"], "df": r["df"], "p_value": r["p_value"]}


def fisher_freeman_halton(table) -> float:
    """Exact p of an r x c contingency table (Freeman-Halton extension of Fisher's test).

    Enumerates every table with the observed margins; p is the total probability of tables no more
    likely than the observed one. With all counts in one column (e.g. zero events everywhere) p = 1.
    Feasible for the small safety tables of these trials (a few arms, two columns).
    """
    t = np.asarray(table, dtype=int)
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError("fisher_freeman_halton takes an r x 2 table (arms x event yes/no)")
    rows, k = t.sum(axis=1), int(t[:, 0].sum())
    n = rows.sum()
    # log probability of a table with first-column counts a: prod C(rows, a) / C(n, k)
    logc = lambda m, a: special.gammaln(m + 1) - special.gammaln(a + 1) - special.gammaln(m - a + 1)  # noqa: E731
    log_denom = logc(n, k)
    obs = sum(logc(r, a) for r, a in zip(rows, t[:, 0])) - log_denom

    total = 0.0

    def walk(i, remaining, logp):
        nonlocal total
        if i == len(rows) - 1:
            if remaining <= rows[i]:
                lp = logp + logc(rows[i], remaining) - log_denom
                if lp <= obs + 1e-9:
                    total += np.exp(lp)
            return
        for a in range(0, min(rows[i], remaining) + 1):
            walk(i + 1, remaining - a, logp + logc(rows[i], a))

    walk(0, k, 0.0)
    return float(min(1.0, total))


# --- standardized mean changes entering a synthesis (Morris 2008; metafor escalc SMCC) -------------------

def smc_correction(n: int) -> float:
    """The small-sample correction J(n - 1) of a standardized mean change from n subjects (Hedges 1981, exact
    gamma form; metafor ``escalc`` ``.cmicalc(n - 1)`` for SMCC/SMCR).

    Examples
    --------
    >>> round(smc_correction(5), 4), round(smc_correction(10), 4)
    (0.7979, 0.9139)
    """
    return hedges_correction(check_n(n) - 1)


def smc_corrected(dz: float, n: int) -> float:
    """The small-sample-corrected standardized mean change J(n - 1) dz (metafor ``escalc(measure="SMCC")``).

    Examples
    --------
    >>> round(smc_corrected(-6.951533, 5), 4)
    -5.5465
    """
    return smc_correction(n) * float(dz)


def var_smc_ls(g: float, n: int) -> float:
    """Large-sample variance of a standardized mean change g from n subjects: 1/n + g^2 / (2n) (metafor
    ``escalc(measure="SMCC")``, ``vtype="LS"``, its default). The same formula serves an uncorrected dz (the
    "ls_uncorrected" variant of :data:`msc_frailty.meta.SMC_VARIANTS`).

    Examples
    --------
    >>> round(var_smc_ls(-6.951533, 5), 2)     # far below the exact 21.1 (:func:`var_smc_exact`)
    5.03
    """
    return 1.0 / check_n(n) + g**2 / (2.0 * n)


def var_smc_exact(delta: float, n: int, corrected: bool = True) -> float:
    """Exact sampling variance of a standardized mean change from n subjects whose true value is ``delta``.

    dz = t / sqrt(n) with t ~ noncentral t(df = n - 1, ncp = delta sqrt(n)), so (Hedges 1981)
    ``Var(dz) = df / (df - 2) (1/n + delta^2) - delta^2 / J(df)^2`` and, for the corrected ``g = J(df) dz``,
    ``Var(g) = J^2 Var(dz)``. Finite for n >= 4 (df > 2).

    Parameters
    ----------
    delta : float
        The true standardized change; in practice a plug-in. This collection plugs in the corrected estimate
        (approximately unbiased for delta) and uses ``corrected=True``: the variance of the corrected estimator.
    n : int
        Subjects.
    corrected : bool
        Variance of J dz (True) or of dz (False).

    Examples
    --------
    >>> round(var_smc_exact(-6.951533, 5, corrected=False), 1)    # uncorrected dz, plug-in dz: 21.1
    21.1
    >>> round(var_smc_exact(smc_corrected(-6.951533, 5), 5), 2)   # corrected, plug-in corrected
    8.66
    """
    n = check_n(n)
    df = n - 1
    if df <= 2:
        raise ValueError(f"the variance of a standardized mean change is finite only for n >= 4, got n = {n}")
    j = hedges_correction(df)
    var_dz = df / (df - 2) * (1.0 / n + delta**2) - delta**2 / j**2
    return j**2 * var_dz if corrected else var_dz
