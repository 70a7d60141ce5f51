"""French number formatting (espass_geo.present.fmt): comma decimal, U+202F thousands, U+2212 minus."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from espass_geo.present.fmt import (
    MINUS,
    MISSING,
    NBSP,
    NNBSP,
    fmt_area_ha,
    fmt_mass_t,
    fmt_number,
    fmt_percent,
    fmt_quantity,
)


def test_separators_are_the_french_ones():
    assert NNBSP == "\u202f"
    assert NBSP == "\u00a0"
    assert MINUS == "\u2212"
    assert MISSING == "\u2013"


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (1234.5, 1, "1\u202f234,5"),
        (-0.5, 2, "\u22120,50"),
        (0, 0, "0"),
        (0.0, 2, "0,00"),
        (-0.0, 1, "0,0"),  # no "−0,0"
        (-0.004, 2, "0,00"),  # rounds to zero: no minus sign
        (999, 0, "999"),
        (1000, 0, "1\u202f000"),
        (-1234567.891, 2, "\u22121\u202f234\u202f567,89"),
        (12_345_678_901, 0, "12\u202f345\u202f678\u202f901"),
        (2.675, 2, "2,68"),  # half-up on the decimal value (format() would give 2,67)
        (0.125, 2, "0,13"),
        (1234.5, 0, "1\u202f235"),  # half-up, not banker's rounding
        (np.float64(3.14159), 3, "3,142"),
        (np.int64(-42), 0, "\u221242"),
        (np.float32(0.5), 1, "0,5"),
    ],
)
def test_fmt_number(x, decimals, expected):
    assert fmt_number(x, decimals) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_missing_values_give_a_dash(missing):
    assert fmt_number(missing) == "–"
    assert fmt_quantity(missing, "tC") == "–"
    assert fmt_mass_t(missing) == "–"
    assert fmt_percent(missing) == "–"
    assert fmt_area_ha(missing) == "–"


def test_infinity():
    assert fmt_number(math.inf) == "∞"
    assert fmt_number(-math.inf) == "\u2212∞"


@pytest.mark.parametrize("bad", ["12", True, [1]])
def test_non_numbers_are_rejected(bad):
    with pytest.raises(TypeError):
        fmt_number(bad)


@pytest.mark.parametrize("decimals", [-1, 1.5, True])
def test_bad_decimals(decimals):
    with pytest.raises(ValueError):
        fmt_number(1.0, decimals)


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (1234.5, 1, "1\u202f234,5\u00a0tC"),
        (1234.5, None, "1\u202f235\u00a0tC"),  # |x| >= 100: 0 decimals
        (100, None, "100\u00a0tC"),
        (62.44, None, "62,4\u00a0tC"),  # 10 <= |x| < 100: 1 decimal
        (10, None, "10,0\u00a0tC"),
        (9.876, None, "9,88\u00a0tC"),  # < 10: 2 decimals
        (-3.5, None, "\u22123,50\u00a0tC"),
        (0, None, "0,00\u00a0tC"),
        (99.96, None, "100\u00a0tC"),  # rounds up across the threshold: re-evaluated
        (9.996, None, "10,0\u00a0tC"),
    ],
)
def test_fmt_quantity(x, decimals, expected):
    assert fmt_quantity(x, "tC", decimals) == expected


@pytest.mark.parametrize(
    ("x", "unit", "expected"),
    [
        (12345, "tC", "12,3\u00a0ktC"),  # 12 345 t = 12.345 kt -> 1 decimal
        (12345.6, "tCO₂e", "12,3\u00a0ktCO₂e"),
        (10_000, "tC", "10,0\u00a0ktC"),  # the switch is at 10 000 t inclusive
        (9_999, "tC", "9\u202f999\u00a0tC"),
        (8641.92, "tC", "8\u202f642\u00a0tC"),
        (250_000, "tCO₂e", "250\u00a0ktCO₂e"),
        (3_600_000, "tC", "3\u202f600\u00a0ktC"),
        (-45_267.2, "tCO₂e", "\u221245,3\u00a0ktCO₂e"),  # emissions are negative (ALDO sign)
        (-9_000, "tCO₂e", "\u22129\u202f000\u00a0tCO₂e"),
        (5.25, "t", "5,25\u00a0t"),
    ],
)
def test_fmt_mass_t(x, unit, expected):
    assert fmt_mass_t(x, unit) == expected


def test_fmt_mass_t_needs_tonnes():
    with pytest.raises(ValueError, match="tonnes"):
        fmt_mass_t(1.0, "kg")


def test_fmt_mass_t_fixed_decimals():
    assert fmt_mass_t(12345, "tC", 2) == "12,35\u00a0ktC"  # 12.345 half-up


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (0.123, 1, "12,3\u00a0%"),
        (0.5, 0, "50\u00a0%"),
        (1, 0, "100\u00a0%"),
        (-0.0456, 1, "\u22124,6\u00a0%"),
        (12.5, 1, "1\u202f250,0\u00a0%"),
        (0.0005, 2, "0,05\u00a0%"),  # 0.05 exactly, not 0.049999
    ],
)
def test_fmt_percent(x, decimals, expected):
    assert fmt_percent(x, decimals) == expected


def test_fmt_area_ha():
    assert fmt_area_ha(1234.56) == "1\u202f235\u00a0ha"
    assert fmt_area_ha(12.34) == "12,3\u00a0ha"
    assert fmt_area_ha(0.5) == "0,50\u00a0ha"
    assert fmt_area_ha(400, 1) == "400,0\u00a0ha"


def test_huge_values_are_formatted():
    """1e26 km (a fuzzed hedge table) used to raise decimal.InvalidOperation: the default
    Decimal context has 28 digits; 1e26 with 2 decimals needs 29."""
    from espass_geo.present.fmt import fmt_number, fmt_quantity

    assert fmt_quantity(1e26, "km") == "100\u202f000\u202f000\u202f000\u202f000\u202f000\u202f000\u202f000\u202f000\xa0km"
    assert fmt_number(1e30, 2).endswith(",00")
