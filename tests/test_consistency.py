"""msc_frailty.consistency (GRIM, GRIMMER, percentages) against published cases and brute force.

No expected value comes from the module's own output: each is printed in a cited source, follows from
the defining arithmetic by hand, or is obtained here by enumerating every integer sample and rounding
its exact mean and SD with :mod:`decimal` (an implementation independent of the module's fractions).
"""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

import pandas as pd
import pytest

from msc_frailty.consistency import (ROUNDING, grim, grim_percent, grim_sums, grim_table, grimmer, grimmer_table,
                                     percent_denominators)

DECIMAL_MODES = {"half_up": [ROUND_HALF_UP], "half_down": [ROUND_HALF_DOWN], "half_even": [ROUND_HALF_EVEN],
                 "up_or_down": [ROUND_HALF_UP, ROUND_HALF_DOWN]}


# ------------------------------------------------------------------------------------- brute force
def _printed(x: Decimal, decimals: int, rounding: str) -> set[str]:
    """Every string ``x`` can be printed as at ``decimals`` under the convention (decimal module)."""
    q = Decimal(1).scaleb(-decimals)
    return {str(x.quantize(q, rounding=mode)) for mode in DECIMAL_MODES[rounding]}


def _achievable(n: int, top: int, dec_mean: int, dec_sd: int, rounding: str) -> set[tuple[str, str]]:
    """All printed (mean, SD) pairs of samples of ``n`` integers in ``0..top`` (SD with n - 1)."""
    pairs = set()
    with localcontext() as ctx:
        ctx.prec = 60
        for sample in itertools.combinations_with_replacement(range(top + 1), n):
            s, q = sum(sample), sum(x * x for x in sample)
            mean = Decimal(s) / n
            sd = ((Decimal(q) - Decimal(s) * s / n) / (n - 1)).sqrt()
            pairs.update(itertools.product(_printed(mean, dec_mean, rounding), _printed(sd, dec_sd, rounding)))
    return pairs


def _grid(lo_cents: int, hi_cents: int) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in range(lo_cents, hi_cents + 1)]


# ------------------------------------------------------------------------------------------- GRIM
def test_grim_brown_heathers_example():
    # Brown & Heathers 2017: 5.19 with n = 28 is impossible (5.19 * 28 = 145.32; 145/28 = 5.1786,
    # 146/28 = 5.2143); 5.18 is consistent (145/28).
    assert grim("5.19", 28) is False
    assert grim("5.18", 28) is True
    assert grim_sums("5.18", 28) == [145]


# Expected vectors from the scrutiny R package's tests (lhdjung/scrutiny, tests/testthat/test-grim.R):
# grim(5.19..5.30, 28); grim(0.150..0.159, 120, items = 3); grim(0.80..0.89, 28, items = 2).
@pytest.mark.parametrize("means, n, items, expected", [
    ([f"5.{i}" for i in range(19, 31)], 28, 1, [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]),
    ([f"0.{i}" for i in range(150, 160)], 120, 3, [1, 0, 0, 1, 0, 0, 1, 0, 1, 0]),
    ([f"0.{i}" for i in range(80, 90)], 28, 2, [1, 0, 1, 0, 1, 0, 1, 1, 1, 1]),
])
def test_grim_scrutiny_vectors(means, n, items, expected):
    assert [grim(m, n, items) for m in means] == [bool(e) for e in expected]


def test_trailing_zeros_matter():
    # "5.1" (1 decimal) stands for [5.05, 5.15]: 142/28 = 5.0714 fits. "5.10" stands for [5.095, 5.105]:
    # 142/28 = 5.0714 and 143/28 = 5.1071 both miss.
    assert grim("5.1", 28) is True
    assert grim("5.10", 28) is False


def test_grim_has_no_power_when_n_reaches_the_precision():
    # 1 decimal and n = 10: every multiple of 0.1 is a mean of 10 integers.
    assert all(grim(f"{i / 10:.1f}", 10) for i in range(0, 100))


@pytest.mark.parametrize("printed, rounding, expected", [
    # 9/4 = 2.25 exactly, the only total near 2.2 and 2.3 for n = 4 (2.15*4 = 8.6, 2.35*4 = 9.4)
    ("2.3", "half_up", True), ("2.3", "half_down", False), ("2.3", "half_even", False), ("2.3", "up_or_down", True),
    ("2.2", "half_up", False), ("2.2", "half_down", True), ("2.2", "half_even", True), ("2.2", "up_or_down", True),
])
def test_grim_rounding_conventions_at_a_tie(printed, rounding, expected):
    assert grim(printed, 4, rounding=rounding) is expected


def test_half_up_means_away_from_zero_for_negative_means():
    # -9/4 = -2.25: away from zero gives -2.3
    assert grim("-2.3", 4, rounding="half_up") is True
    assert grim("-2.2", 4, rounding="half_up") is False


@pytest.mark.parametrize("n", [7, 8, 12])
@pytest.mark.parametrize("rounding", ROUNDING)
def test_grim_agrees_with_enumeration(n, rounding):
    with localcontext() as ctx:
        ctx.prec = 50
        possible = set().union(*(_printed(Decimal(t) / n, 2, rounding) for t in range(0, 10 * n + 1)))
    for m in _grid(0, 999):
        assert grim(m, n, rounding=rounding) is (m in possible), (m, n, rounding)


def test_grim_refuses_floats_and_bad_input():
    with pytest.raises(TypeError):
        grim(5.19, 28)
    with pytest.raises(ValueError):
        grim("five", 28)
    with pytest.raises(ValueError):
        grim("5.19", 0)
    with pytest.raises(ValueError):
        grim("5.19", 28, rounding="bankers")


# ---------------------------------------------------------------------------------------- GRIMMER
def test_grimmer_published_cases():
    # rsprite2 test suite, quoted in lhdjung/scrutiny tests/testthat/test-grimmer.R
    assert grimmer("5.21", "1.6", 28) is True
    assert grimmer("3.44", "2.47", 18) is False


def test_grimmer_by_hand():
    # {1, 1, 2, 2}: mean 1.5, SD sqrt(1/3) = 0.5774 -> "0.58"; no four integers give SD 0.57 with mean 1.50
    assert grimmer("1.50", "0.58", 4) is True
    assert grimmer("1.50", "0.57", 4) is False
    # a constant sample has SD 0; any non-constant sample of 10 integers has SD >= sqrt(0.1) = 0.316
    assert grimmer("5.0", "0.0", 10) is True
    assert grimmer("5.0", "0.1", 10) is False
    # SD 0.3 needs Q = 250 + 9 var in [250.56, 251.10]: only 251, odd while S = 50 is even. The next even
    # Q, 252 (4, 6 and eight 5s), gives SD sqrt(2/9) = 0.471 -> "0.5".
    assert grimmer("5.0", "0.3", 10) is False
    assert grimmer("5.0", "0.5", 10) is True
    # GRIM failure propagates
    assert grimmer("5.19", "1.00", 28) is False


def test_grimmer_parity():
    # n = 5, mean 2.00 -> S = 10 (even), so Q must be even. SD 1.00 -> var in [0.9900, 1.0100],
    # Q = 20 + 4 var in [23.96, 24.04] -> Q = 24 (even) -> consistent ({1, 1, 2, 3, 3}).
    assert grimmer("2.00", "1.00", 5) is True
    # SD 0.71: var in [0.497, 0.5112], Q in [21.99, 22.04]: Q = 22 even -> consistent ({1,2,2,2,3}: sd .7071)
    assert grimmer("2.00", "0.71", 5) is True
    # mean 2.20 -> S = 11 (odd): SD 0.84 -> var in [0.6972, 0.7140], Q = 24.2 + 4 var in [26.99, 27.06]:
    # Q = 27 odd -> consistent ({1,2,2,3,3}: var 0.7, sd 0.8367)
    assert grimmer("2.20", "0.84", 5) is True
    # mean 2.20, SD 0.89: var in [0.7832, 0.8010], Q in [27.33, 27.40]: no integer -> inconsistent
    assert grimmer("2.20", "0.89", 5) is False
    # mean 2.40 -> S = 12 (even): SD 1.14 -> var in [1.2882, 1.3110], Q = 28.8 + 4 var in [33.95, 34.04]:
    # Q = 34 even -> consistent ({1,2,2,3,4}: Q 34). SD 1.00 -> Q in [32.76, 32.84]: none.
    assert grimmer("2.40", "1.14", 5) is True
    assert grimmer("2.40", "1.00", 5) is False


def test_grimmer_parity_is_what_flags():
    # n = 4, mean 2.50 -> S = 10 (even), Q = 25 + 3 var.
    # SD 1.29: var in [1.6512, 1.6770], Q in [29.95, 30.03] -> Q = 30 (even) -> consistent ({1,2,3,4}).
    # SD 1.73: var in [2.9756, 3.0102], Q in [33.93, 34.03] -> Q = 34 -> consistent ({1,1,4,4}).
    # SD 1.41: var in [1.9740, 2.0022], Q in [30.92, 31.007] -> only Q = 31 (odd, S even) -> inconsistent.
    assert grimmer("2.50", "1.29", 4) is True
    assert grimmer("2.50", "1.73", 4) is True
    assert grimmer("2.50", "1.41", 4) is False


@pytest.mark.parametrize("n, top", [(2, 12), (3, 12), (4, 10), (5, 8), (6, 7)])
def test_grimmer_never_flags_an_achievable_pair(n, top):
    achievable = _achievable(n, top, 2, 2, "up_or_down")
    flagged = [p for p in achievable if not grimmer(p[0], p[1], n)]
    assert flagged == []


def _safe_unachievable(n, top, achievable, means, sds):
    """Grid pairs not achieved, restricted to where every sample with that mean and SD lies in 0..top,
    so that "not achieved in 0..top" means "impossible for any integers"."""
    out = []
    spread = (n - 1) / n ** 0.5                        # max |x_i - mean| / SD
    for m in means:
        for s in sds:
            reach = (float(s) + 0.005) * spread + 0.005
            if float(m) - reach >= 0 and float(m) + reach <= top and (m, s) not in achievable:
                out.append((m, s))
    return out


@pytest.mark.parametrize("n, top", [(5, 8), (6, 7)])
@pytest.mark.parametrize("rounding", ROUNDING)
def test_grimmer_agrees_with_enumeration(n, top, rounding):
    """n = 5 and 6: GRIMMER is exact on this grid under each convention (flags exactly the impossible)."""
    achievable = _achievable(n, top, 2, 2, rounding)
    means, sds = _grid(250, 450), _grid(0, 150)
    for m, s in achievable:
        if m in means and s in sds:
            assert grimmer(m, s, n, rounding=rounding), (m, s)
    impossible = _safe_unachievable(n, top, achievable, means, sds)
    assert len(impossible) > 5_000
    wrongly_passed = [p for p in impossible if grimmer(p[0], p[1], n, rounding=rounding)]
    assert wrongly_passed == []


@pytest.mark.parametrize("n, top", [(2, 12), (3, 12), (4, 10)])
def test_grimmer_tiny_n_is_conservative(n, top):
    """n <= 4: a few impossible pairs pass (sums of squares with number-theoretic gaps), none is wrongly
    flagged, and almost all impossible pairs are flagged."""
    achievable = _achievable(n, top, 2, 2, "up_or_down")
    impossible = _safe_unachievable(n, top, achievable, _grid(200, 450), _grid(0, 150))
    passed = [p for p in impossible if grimmer(p[0], p[1], n)]
    assert len(passed) < 0.001 * len(impossible)
    # a known gap: three integers adding to 6 (mean 2.00) never have a sum of squares of 16 (SD 1.41)
    if n == 3:
        assert ("2.00", "1.41") in passed


def test_grimmer_with_items():
    # two items per subject, n = 3: scores (1 + 2)/2, (2 + 2)/2, (3 + 3)/2 = 1.5, 2, 3 -> mean 2.1667,
    # SD 0.7638 -> "2.17", "0.76"
    assert grimmer("2.17", "0.76", 3, items=2) is True
    assert grim("2.17", 3) is False                    # impossible for one item
    assert grimmer("2.17", "0.76", 3, items=1) is False


def test_grimmer_table():
    t = pd.DataFrame({"mean": ["5.21", "3.44", "5.19"], "sd": ["1.6", "2.47", "1.00"], "n": [28, 18, 28]})
    out = grimmer_table(t)
    assert out["grim"].tolist() == [True, True, False]
    assert out["grimmer"].tolist() == [True, False, False]
    assert grim_table(t)["grim"].tolist() == [True, True, False]


def test_grimmer_needs_two():
    with pytest.raises(ValueError):
        grimmer("5.0", "0.0", 1)


# ------------------------------------------------------------------------------------- percentages
def _percent_possible(n: int, decimals: int, rounding: str) -> set[str]:
    with localcontext() as ctx:
        ctx.prec = 50
        return set().union(*(_printed(Decimal(100 * k) / n, decimals, rounding) for k in range(n + 1)))


def test_percent_denominators_30_8_against_brute_force():
    expected = [n for n in range(1, 61) if "30.8" in _percent_possible(n, 1, "up_or_down")]
    assert percent_denominators("30.8", 60) == expected
    assert expected[:2] == [13, 26]                   # 4/13 = 30.77 %, 8/26
    assert percent_denominators("30.8%", 60) == expected


@pytest.mark.parametrize("rounding", ROUNDING)
@pytest.mark.parametrize("printed", ["30.8", "12.5", "33.3", "0.0", "100.0", "41.7", "6.25"])
def test_percent_denominators_every_convention(printed, rounding):
    dec = len(printed.split(".")[1])
    expected = [n for n in range(1, 121) if printed in _percent_possible(n, dec, rounding)]
    assert percent_denominators(printed, 120, rounding=rounding) == expected


def test_grim_percent_scrutiny_cases():
    # scrutiny tests/testthat/test-grim.R: percentages 6..16 with n = 50 -> only even ones
    assert [grim_percent(str(p), 50) for p in range(6, 17)] == [p % 2 == 0 for p in range(6, 17)]


def test_grim_percent_tie():
    # 1/8 = 12.5 % -> "13" under half_up, "12" under half_down and half_even
    assert grim_percent("13", 8, rounding="half_up") and not grim_percent("13", 8, rounding="half_even")
    assert grim_percent("12", 8, rounding="half_even") and not grim_percent("12", 8, rounding="half_up")
