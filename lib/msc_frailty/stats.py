"""Effect sizes, exact intervals and the tests of the statistical analysis plan.

Small functions on arrays returning plain dicts; :mod:`msc_frailty.analysis` turns them into tidy rows.
All intervals are two-sided with ``confidence`` coverage (0.95 by default).
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy import optimize, special
from scipy import stats as st


def _alpha(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return 1 - confidence


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
    alpha = _alpha(confidence)

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

    The interval inverts the noncentral t of the paired t statistic t = dz * sqrt(n).

    Examples
    --------
    >>> r = cohen_dz([1.0, 2.0, 3.0, 4.0])
    >>> round(r["dz"], 4), r["n"]
    (1.9365, 4)
    """
    x = np.asarray(change, dtype=float)
    n = x.size
    if n < 2:
        raise ValueError("cohen_dz needs at least 2 differences")
    dz = x.mean() / x.std(ddof=1)
    lo, hi = nct_interval(dz * np.sqrt(n), n - 1, confidence)
    return {"n": n, "dz": float(dz), "ci_low": float(lo / np.sqrt(n)), "ci_high": float(hi / np.sqrt(n))}


def hedges_g(x, y, confidence: float = 0.95) -> dict:
    """Hedges' g for two independent groups (x minus y), with an exact noncentral-t interval.

    ``d`` uses the pooled SD; ``g = J(n_x + n_y - 2) * d`` removes its small-sample bias, with the exact
    gamma-function J (pingouin uses the approximation 1 - 3 / (4 df - 1), which differs in the 3rd decimal
    at n = 4 + 4). The interval
    is for the population standardized difference delta, from inverting the noncentral t of the
    two-sample t statistic (Steiger & Fouladi 1997; Cumming & Finch 2001), the same as MBESS
    ``ci.smd``. It is not pingouin's symmetric normal-theory ``compute_esci``.

    Returns
    -------
    dict
        n_x, n_y, d, g, ci_low, ci_high.

    References
    ----------
    Hedges LV. J Educ Stat 1981;6:107-128.

    Examples
    --------
    >>> r = hedges_g([5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(r["d"], 4), round(r["g"], 4)
    (3.0984, 2.6913)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        raise ValueError("hedges_g needs at least 2 values per group")
    df = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / df)
    d = (x.mean() - y.mean()) / sp
    scale = np.sqrt(n1 * n2 / (n1 + n2))
    lo, hi = nct_interval(d * scale, df, confidence)
    return {"n_x": n1, "n_y": n2, "d": float(d), "g": float(hedges_correction(df) * d),
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
    alpha = _alpha(confidence)
    lo = 0.0 if k == 0 else st.beta.ppf(alpha / 2, k, n - k + 1)
    hi = 1.0 if k == n else st.beta.ppf(1 - alpha / 2, k + 1, n - k)
    return float(lo), float(hi)


def paired_t(change, confidence: float = 0.95) -> dict:
    """Mean change with its t interval and the paired (one-sample) t-test p.

    Returns
    -------
    dict
        n, estimate, ci_low, ci_high, t, df, p_value.
    """
    x = np.asarray(change, dtype=float)
    n = x.size
    if n < 2:
        raise ValueError("paired_t needs at least 2 differences")
    m, se = x.mean(), x.std(ddof=1) / np.sqrt(n)
    q = st.t.ppf(1 - _alpha(confidence) / 2, n - 1)
    t = m / se if se > 0 else np.sign(m) * np.inf
    p = 2 * st.t.sf(abs(t), n - 1)
    return {"n": n, "estimate": float(m), "ci_low": float(m - q * se), "ci_high": float(m + q * se),
            "t": float(t), "df": n - 1, "p_value": float(p)}


def welch_t(x, y, confidence: float = 0.95) -> dict:
    """Difference in means (x minus y) with a Welch-Satterthwaite interval and p."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = np.sqrt(vx + vy)
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    diff = x.mean() - y.mean()
    q = st.t.ppf(1 - _alpha(confidence) / 2, df)
    t = diff / se
    return {"n": x.size, "n_ref": y.size, "estimate": float(diff), "ci_low": float(diff - q * se),
            "ci_high": float(diff + q * se), "t": float(t), "df": float(df), "p_value": float(2 * st.t.sf(abs(t), df))}


def ancova(change, baseline, is_arm, confidence: float = 0.95) -> dict:
    """ANCOVA of change on arm and baseline (Vickers & Altman 2001), fitted by statsmodels OLS.

    Parameters
    ----------
    change, baseline : array-like
        Change from baseline and baseline value, one per subject of the two arms compared.
    is_arm : array-like of bool
        True for the arm of interest, False for the comparator.

    Returns
    -------
    dict
        n, n_ref, estimate (adjusted difference, arm minus comparator), ci_low, ci_high, t, df, p_value,
        slope (of baseline).
    """
    y = np.asarray(change, dtype=float)
    b = np.asarray(baseline, dtype=float)
    a = np.asarray(is_arm, dtype=bool)
    if a.sum() < 1 or (~a).sum() < 1 or y.size < 4:
        raise ValueError("ancova needs subjects in both arms and at least 4 in all")
    # the baseline is centred: the same fit and arm coefficient, but a well-conditioned design, so the
    # estimate is not left with 1e-10 of rounding noise that depends on the processor's BLAS kernels
    X = np.column_stack([np.ones_like(y), a.astype(float), b - b.mean()])
    fit = sm.OLS(y, X).fit()
    lo, hi = fit.conf_int(alpha=_alpha(confidence))[1]
    return {"n": int(a.sum()), "n_ref": int((~a).sum()), "estimate": float(fit.params[1]),
            "ci_low": float(lo), "ci_high": float(hi), "t": float(fit.tvalues[1]), "df": float(fit.df_resid),
            "p_value": float(fit.pvalues[1]), "slope": float(fit.params[2])}


def linear_trend(change, baseline, dose, confidence: float = 0.95) -> dict:
    """Dose-response slope: OLS of change on dose (million cells) and baseline, all arms together.

    Returns the change per 100 million cells with its t interval and p.
    """
    y = np.asarray(change, dtype=float)
    b = np.asarray(baseline, dtype=float)
    X = np.column_stack([np.ones_like(y), np.asarray(dose, dtype=float) / 100.0, b - b.mean()])  # see ancova
    fit = sm.OLS(y, X).fit()
    lo, hi = fit.conf_int(alpha=_alpha(confidence))[1]
    return {"n": y.size, "estimate": float(fit.params[1]), "ci_low": float(lo), "ci_high": float(hi),
            "t": float(fit.tvalues[1]), "df": float(fit.df_resid), "p_value": float(fit.pvalues[1])}


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
