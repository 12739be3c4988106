"""GRIM and GRIMMER: can a printed mean (and SD, or percentage) come from integer data of that size?

Written from scratch on exact rational arithmetic (:class:`fractions.Fraction`), and on *strings*: the
number of printed decimals is part of the evidence (``"5.10"`` has two decimals, ``5.1`` one), so every
printed value is passed as the string printed.

Rounding conventions
--------------------
A printed value ``v`` with ``d`` decimals stands for any true value within half a unit of the last digit,
``h = 0.5 * 10**-d``. The conventions differ only at the two ties ``v - h`` and ``v + h``:

``"half_up"``
    Ties go up (away from zero; SPSS, SAS, Stata, Excel): ``[v - h, v + h)``.
``"half_down"``
    Ties go down (towards zero): ``(v - h, v + h]``.
``"half_even"``
    Ties go to the even last digit (IEC 60559; R's and Python's ``round``): closed if the last printed
    digit of ``v`` is even, open if odd.
``"up_or_down"`` (default)
    Either tie direction is accepted: ``[v - h, v + h]``. This accepts whatever ``half_up``,
    ``half_down`` or ``half_even`` accepts, so a value flagged under it is inconsistent under all of
    them. It is the cautious default of the R package scrutiny.

Signs are ignored (a sample with mean ``-m`` exists exactly when one with mean ``m`` does), so ``half_up``
on a negative value means away from zero.

References
----------
Brown NJL, Heathers JAJ. The GRIM test. Soc Psychol Personal Sci 2017;8(4):363-369.
doi:10.1177/1948550616673876.
Anaya J. The GRIMMER test: a method for testing the validity of reported measures of variability.
PeerJ Preprints 2016;4:e2400v1.
Allard A. Analytic-GRIMMER: a new way of testing the possibility of standard deviations. 2018.
https://aurelienallard.netlify.app/post/anaytic-grimmer-possibility-standard-deviations/
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

import pandas as pd

ROUNDING = ("up_or_down", "half_up", "half_down", "half_even")

_NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$")


def _parse(number: str, what: str = "value") -> tuple[Fraction, int]:
    """Absolute value (exact) and number of printed decimals of a number string."""
    if not isinstance(number, str):
        raise TypeError(f"{what} must be the printed string (trailing zeros matter), got {type(number).__name__} "
                        f"{number!r}")
    text = number.strip().rstrip("%").strip()
    if not _NUMBER_RE.match(text):
        raise ValueError(f"{what} is not a printed number: {number!r}")
    dec = len(text.split(".", 1)[1]) if "." in text else 0
    return abs(Fraction(text.lstrip("+"))), dec


def _check_rounding(rounding: str):
    if rounding not in ROUNDING:
        raise ValueError(f"rounding must be one of {ROUNDING}, got {rounding!r}")


def _tie_ok(at_lower: bool, last_even: bool, rounding: str) -> bool:
    """Whether a value exactly at a tie rounds to the printed value."""
    if rounding == "up_or_down":
        return True
    if rounding == "half_even":
        return last_even
    return rounding == ("half_up" if at_lower else "half_down")


def _accepts(cmp_lo: int, cmp_hi: int, value: Fraction, dec: int, rounding: str) -> bool:
    """Whether x rounds to ``value`` given the signs of ``x - (value - h)`` and ``x - (value + h)``."""
    if cmp_lo > 0 and cmp_hi < 0:
        return True
    last_even = int(value * 10 ** dec) % 2 == 0
    if cmp_lo == 0:
        return _tie_ok(True, last_even, rounding)
    if cmp_hi == 0:
        return _tie_ok(False, last_even, rounding)
    return False


def _sign(x) -> int:
    return (x > 0) - (x < 0)


def _rounds_to(x: Fraction, value: Fraction, dec: int, rounding: str) -> bool:
    """Whether the exact non-negative number ``x`` rounds to ``value`` at ``dec`` decimals."""
    h = Fraction(1, 2 * 10 ** dec)
    return _accepts(_sign(x - (value - h)), _sign(x - (value + h)), value, dec, rounding)


def _sqrt_rounds_to(var: Fraction, value: Fraction, dec: int, rounding: str) -> bool:
    """Whether ``sqrt(var)`` rounds to ``value``, decided exactly on the squared scale."""
    h = Fraction(1, 2 * 10 ** dec)
    lo, hi = value - h, value + h
    cmp_lo = 1 if lo < 0 else _sign(var - lo * lo)
    return _accepts(cmp_lo, _sign(var - hi * hi), value, dec, rounding)


def grim_sums(mean: str, n: int, items: int = 1, rounding: str = "up_or_down") -> list[int]:
    """Every integer total consistent with a printed mean of ``n`` subjects (the GRIM candidates).

    Parameters
    ----------
    mean : str
        The mean as printed (sign ignored).
    n : int
        Number of subjects.
    items : int
        Number of integer items averaged into each subject's score (1 for a single integer measure).
    rounding : str
        One of :data:`ROUNDING` (module docstring).

    Returns
    -------
    list of int
        Totals ``T`` (sum over subjects of the item sums) with ``T / (n * items)`` rounding to ``mean``;
        empty when the mean is GRIM-inconsistent.

    Examples
    --------
    >>> grim_sums("5.18", 28)
    [145]
    >>> grim_sums("5.19", 28)
    []
    """
    _check_rounding(rounding)
    if int(n) != n or n < 1 or int(items) != items or items < 1:
        raise ValueError(f"n and items must be positive integers, got n={n!r}, items={items!r}")
    _parse(mean, "mean")   # refuses a mean that is not a printed number, before the cache sees it
    return list(_grim_sums(mean, int(n), int(items), rounding))


@functools.lru_cache(maxsize=4096)
def _grim_sums(mean: str, n: int, items: int, rounding: str) -> tuple[int, ...]:
    """:func:`grim_sums` on checked arguments, remembered: GRIMMER asks it again for every SD of a mean."""
    value, dec = _parse(mean, "mean")
    h = Fraction(1, 2 * 10 ** dec)
    N = n * items
    first, last = max(0, math.floor((value - h) * N)), math.ceil((value + h) * N)
    return tuple(t for t in range(first, last + 1) if _rounds_to(Fraction(t, N), value, dec, rounding))


def grim(mean: str, n: int, items: int = 1, rounding: str = "up_or_down") -> bool:
    """GRIM test: can a mean printed as ``mean`` come from ``n`` integer scores?

    The mean of ``n`` integers is a multiple of ``1 / n`` (of ``1 / (n * items)`` for a mean of
    ``items`` integer items). The test asks whether some such multiple rounds to the printed string.
    With ``n * items >= 10**decimals`` every mean passes: the test has no power there.

    Parameters
    ----------
    mean : str
        The mean as printed, e.g. ``"5.19"`` (a float is refused: trailing zeros would be lost).
    n : int
        Sample size.
    items : int
        Integer items averaged per subject (1 by default).
    rounding : str
        ``"up_or_down"`` (default), ``"half_up"``, ``"half_down"`` or ``"half_even"`` (module docstring).

    Returns
    -------
    bool
        True if consistent, False if no integer total gives the printed mean.

    References
    ----------
    Brown & Heathers (2017), Soc Psychol Personal Sci 8:363-369, doi:10.1177/1948550616673876.

    Examples
    --------
    Brown & Heathers' example: 5.19 with n = 28 is impossible (5.19 * 28 = 145.32; 145 / 28 = 5.1786
    and 146 / 28 = 5.2143), while 5.18 is consistent.

    >>> grim("5.19", 28), grim("5.18", 28)
    (False, True)
    >>> grim("0.88", 28, items=2)           # 49 / 56 = 0.875, a tie: either direction
    True
    >>> grim("0.88", 28, items=2, rounding="half_down")
    False
    """
    return bool(grim_sums(mean, n, items, rounding))


def _min_sum_squares(total: int, n: int) -> int:
    """Smallest sum of squares of ``n`` integers adding to ``total`` (values as equal as possible)."""
    q, r = divmod(total, n)
    return (n - r) * q * q + r * (q + 1) * (q + 1)


def grimmer(mean: str, sd: str, n: int, items: int = 1, rounding: str = "up_or_down") -> bool:
    """GRIMMER test: can a printed mean and SD come together from ``n`` integer scores?

    Algorithm (Allard's analytic GRIMMER, on exact fractions). Each subject's score is ``s_i / items``
    with ``s_i`` an integer. For every total ``S = sum(s_i)`` that passes GRIM:

    1. the SDs that round to the printed SD form an interval ``[sd - h, sd + h]`` (ends per
       ``rounding``), so the sum of squares ``Q = sum(s_i**2) = S**2 / n + (n - 1) * items**2 * SD**2``
       must lie in the matching interval;
    2. ``Q`` must be an integer (Anaya's test 2) with the parity of ``S``, because ``s**2`` and ``s`` are
       both odd or both even (test 3);
    3. ``Q`` must be at least the sum of squares of the most equal integer split of ``S`` (an exact
       lower bound for integers; it rules out tiny non-zero SDs).

    The pair is consistent when some ``S`` admits such a ``Q``. The SD is taken with the ``n - 1``
    denominator. The tests are necessary conditions: ``True`` means "not refuted". For very small samples
    (``n <= 4`` in the brute-force checks of ``tests/test_consistency.py``) a few ``(S, Q)`` passing them
    are still impossible (e.g. three integers adding to 0 never have a sum of squares of 4), so the test
    is conservative there; for ``n = 5`` and ``6`` it flagged exactly the impossible pairs of the grid.

    Parameters
    ----------
    mean, sd : str
        As printed (sign of the mean ignored).
    n : int
        Sample size, at least 2.
    items : int
        Integer items averaged per subject (1 by default).
    rounding : str
        One of :data:`ROUNDING`, applied to both mean and SD (module docstring).

    Returns
    -------
    bool
        True if consistent.

    References
    ----------
    Anaya J (2016), PeerJ Preprints 4:e2400v1. Allard A (2018), Analytic-GRIMMER.

    Examples
    --------
    Cases from the rsprite2 test suite (as quoted in the scrutiny R package's tests):

    >>> grimmer("5.21", "1.6", 28), grimmer("3.44", "2.47", 18)
    (True, False)
    >>> grimmer("1.50", "0.58", 4)          # {1, 1, 2, 2}: SD = 0.5774
    True
    >>> grimmer("1.50", "0.57", 4)
    False
    """
    if int(n) != n or n < 2:
        raise ValueError(f"GRIMMER needs n >= 2, got {n!r}")
    sd_value, sd_dec = _parse(sd, "sd")
    n, items = int(n), int(items)
    h = Fraction(1, 2 * 10 ** sd_dec)
    lo, hi = max(sd_value - h, Fraction(0)), sd_value + h
    c = (n - 1) * items * items
    for total in grim_sums(mean, n, items, rounding):
        base = Fraction(total * total, n)
        q = max(math.ceil(base + c * lo * lo), _min_sum_squares(total, n))
        q += (q - total) % 2                      # same parity as the total
        for cand in (q, q + 2):                   # the accepted Q form an interval; its first two suffice
            if _sqrt_rounds_to((cand - base) / c, sd_value, sd_dec, rounding):
                return True
            if cand > base + c * hi * hi:
                break
    return False


def grim_percent(percent: str, n: int, rounding: str = "up_or_down") -> bool:
    """GRIM for a percentage: is there a count ``k`` in ``0..n`` with ``100 * k / n`` printed as ``percent``?

    Parameters
    ----------
    percent : str
        As printed, with or without ``%`` (``"30.8%"``, ``"30.8"``).
    n : int
        Denominator.
    rounding : str
        One of :data:`ROUNDING`.

    Returns
    -------
    bool

    Examples
    --------
    >>> grim_percent("30.8%", 13)            # 4 / 13 = 30.77 %
    True
    >>> grim_percent("30.8%", 148)
    False
    >>> grim_percent("6", 50), grim_percent("7", 50)    # scrutiny's test suite: even percents only
    (True, False)
    """
    _check_rounding(rounding)
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    value, dec = _parse(percent, "percent")
    h = Fraction(1, 2 * 10 ** dec)
    n = int(n)
    first, last = max(0, math.floor((value - h) * n / 100)), min(n, math.ceil((value + h) * n / 100))
    return any(_rounds_to(Fraction(100 * k, n), value, dec, rounding) for k in range(first, last + 1))


def percent_denominators(percent: str, n_max: int, n_min: int = 1, rounding: str = "up_or_down") -> list[int]:
    """Every denominator ``n`` in ``n_min..n_max`` for which some count gives the printed percentage.

    Parameters
    ----------
    percent : str
        As printed (``"30.8%"``).
    n_max : int
        Largest denominator to try (e.g. the number randomized).
    n_min : int
        Smallest denominator (1 by default).
    rounding : str
        One of :data:`ROUNDING`.

    Returns
    -------
    list of int
        Ascending.

    Examples
    --------
    >>> percent_denominators("30.8%", 30)
    [13, 26]
    """
    return [n for n in range(max(1, int(n_min)), int(n_max) + 1) if grim_percent(percent, n, rounding)]


def grim_table(df: pd.DataFrame, mean: str = "mean", n: str = "n", items=1,
               rounding: str = "up_or_down") -> pd.DataFrame:
    """GRIM on every row of a table of printed means.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per mean; the mean column holds strings as printed.
    mean, n : str
        Column names of the printed mean and the sample size.
    items : int or str
        Number of items, or the name of a column holding it.
    rounding : str
        One of :data:`ROUNDING`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with a boolean column ``grim``.

    Examples
    --------
    >>> import pandas as pd
    >>> grim_table(pd.DataFrame({"mean": ["5.18", "5.19"], "n": [28, 28]}))["grim"].tolist()
    [True, False]
    """
    out = df.copy()
    k = out[items] if isinstance(items, str) else pd.Series(items, index=out.index)
    out["grim"] = [grim(m, int(nn), int(kk), rounding) for m, nn, kk in zip(out[mean], out[n], k)]
    return out


def grimmer_table(df: pd.DataFrame, mean: str = "mean", sd: str = "sd", n: str = "n", items=1,
                  rounding: str = "up_or_down") -> pd.DataFrame:
    """GRIM and GRIMMER on every row of a table of printed means and SDs.

    Returns a copy of ``df`` with boolean columns ``grim`` and ``grimmer`` (arguments as in
    :func:`grim_table`, plus the SD column name).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"mean": ["5.21", "3.44"], "sd": ["1.6", "2.47"], "n": [28, 18]})
    >>> grimmer_table(t)[["grim", "grimmer"]].values.tolist()
    [[True, True], [True, False]]
    """
    out = grim_table(df, mean=mean, n=n, items=items, rounding=rounding)
    k = out[items] if isinstance(items, str) else pd.Series(items, index=out.index)
    out["grimmer"] = [grimmer(m, s, int(nn), int(kk), rounding)
                      for m, s, nn, kk in zip(out[mean], out[sd], out[n], k)]
    return out
