"""French number formatting, done in Python.

Browsers format numbers with the viewer's locale (folium legends, ``toLocaleString``), so
every number shown to a user is formatted here, once, into a string (conventions gotcha 8):

* decimal comma: ``1234.5`` → ``"1 234,5"``;
* thousands separator: narrow no-break space U+202F (``"1\\u202f234"``);
* minus sign: U+2212 ``"−"`` (not the hyphen-minus ``"-"``);
* between a number and its unit: no-break space U+00A0 (``"12,3\\u00a0ktC"``);
* missing value (``None``, NaN): en dash ``"–"``.

Rounding is half-up on the shortest decimal representation of the float (``2.675`` → ``"2,68"``),
which is what a reader doing the arithmetic by hand expects; ``round()`` and ``format()`` would
give ``"2,67"`` (binary representation, half-even).

Examples
--------
>>> fmt_number(1234.5, 1)
'1\\u202f234,5'
>>> fmt_quantity(1234.5, "tC", 1)
'1\\u202f234,5\\xa0tC'
>>> fmt_mass_t(12345, "tCO₂e")
'12,3\\xa0ktCO₂e'
>>> fmt_percent(0.123)
'12,3\\xa0%'
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from numbers import Real

__all__ = [
    "MINUS",
    "MISSING",
    "NBSP",
    "NNBSP",
    "fmt_area_ha",
    "fmt_interval_t",
    "fmt_mass_t",
    "fmt_number",
    "fmt_percent",
    "fmt_quantity",
]

#: Narrow no-break space, the French thousands separator.
NNBSP: str = "\u202f"
#: No-break space, between a number and its unit.
NBSP: str = "\u00a0"
#: Typographic minus sign.
MINUS: str = "\u2212"
#: Shown instead of a missing value (None, NaN).
MISSING: str = "\u2013"

#: Masses at or above this many tonnes are shown in kilotonnes by :func:`fmt_mass_t`.
KILO_THRESHOLD_T: float = 10_000.0


def _as_float(x: object) -> float | None:
    """``float(x)``, or None for None/NaN; TypeError for non-numbers (strings, bools)."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, Real):
        # numpy scalars are registered as numbers.Real; pandas.NA is not a Real
        try:
            import pandas as pd

            if x is pd.NA or x is pd.NaT:
                return None
        except ImportError:  # pragma: no cover - pandas is a dependency
            pass
        raise TypeError(f"expected a number, got {x!r} ({type(x).__name__})")
    value = float(x)
    if math.isnan(value):
        return None
    return value


def _check_decimals(decimals: int) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative integer, got {decimals!r}")
    return decimals


def _format(value: float, decimals: int) -> str:
    """Format a finite or infinite float (not NaN) the French way."""
    if math.isinf(value):
        return ("" if value > 0 else MINUS) + "\u221e"
    quantum = Decimal(1).scaleb(-decimals)  # 10**-decimals
    with localcontext() as ctx:  # enough digits for any float (1e308 with decimals)
        ctx.prec = 400
        rounded = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    negative = rounded < 0  # -0.4 rounded to 0 decimals is "0", not "−0"
    text = f"{abs(rounded):,.{decimals}f}"
    text = text.replace(",", NNBSP).replace(".", ",")
    return (MINUS if negative else "") + text


def fmt_number(x: float | int | None, decimals: int = 0) -> str:
    """Format a number the French way, with ``decimals`` digits after the comma.

    Examples
    --------
    >>> fmt_number(1234.5, 1)
    '1\\u202f234,5'
    >>> fmt_number(-0.5, 2)
    '\\u22120,50'
    >>> fmt_number(1234567)
    '1\\u202f234\\u202f567'
    >>> fmt_number(float("nan"))
    '–'
    """
    _check_decimals(decimals)
    value = _as_float(x)
    if value is None:
        return MISSING
    return _format(value, decimals)


def _auto_decimals(value: float) -> int:
    """0 decimals if |x| ≥ 100, 1 if ≥ 10, 2 otherwise (applied to the rounded value)."""
    if abs(value) >= 100:  # also keeps huge values (1e26) out of the Decimal context's limit
        return 0
    decimals = 2
    for _ in range(3):  # 99.96 → "100,0" at 1 decimal → re-evaluate → "100"
        a = abs(float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals),
                                                    rounding=ROUND_HALF_UP)))
        wanted = 0 if a >= 100 else 1 if a >= 10 else 2
        if wanted >= decimals:
            break
        decimals = wanted
    return decimals


def fmt_quantity(x: float | int | None, unit: str, decimals: int | None = None) -> str:
    """Number and unit separated by a no-break space (U+00A0).

    With ``decimals=None`` the precision follows the magnitude: 0 decimals if |x| ≥ 100,
    1 if |x| ≥ 10, 2 otherwise. A missing value gives ``"–"`` without unit.

    Examples
    --------
    >>> fmt_quantity(1234.5, "tC", 1)
    '1\\u202f234,5\\xa0tC'
    >>> fmt_quantity(1234.5, "tC")
    '1\\u202f235\\xa0tC'
    >>> fmt_quantity(62.44, "tC/ha")
    '62,4\\xa0tC/ha'
    >>> fmt_quantity(0.5, "ha")
    '0,50\\xa0ha'
    """
    value = _as_float(x)
    if value is None:
        return MISSING
    if decimals is None:
        decimals = 0 if math.isinf(value) else _auto_decimals(value)
    return f"{fmt_number(value, decimals)}{NBSP}{unit}"


def fmt_mass_t(x: float | int | None, unit: str = "tC", decimals: int | None = None) -> str:
    """A mass given in tonnes; shown in kilotonnes from 10 000 t on, for readability.

    The value itself stays in tonnes everywhere else (tables, exports); only the display
    switches (Territoires en Transitions shows GHG indicators in kt for the same reason).
    ``unit`` must start with ``"t"`` (``"tC"``, ``"tCO₂e"``, ``"t"``); the kilo form prefixes
    a ``"k"``. Precision as in :func:`fmt_quantity` (applied to the displayed number).

    Examples
    --------
    >>> fmt_mass_t(12345)
    '12,3\\xa0ktC'
    >>> fmt_mass_t(12345, "tCO₂e")
    '12,3\\xa0ktCO₂e'
    >>> fmt_mass_t(9876.5)
    '9\\u202f877\\xa0tC'
    >>> fmt_mass_t(-250_000, "tCO₂e")
    '\\u2212250\\xa0ktCO₂e'
    """
    if not unit.startswith("t"):
        raise ValueError(f"fmt_mass_t expects a unit in tonnes starting with 't', got {unit!r}; "
                         "use fmt_quantity for other units.")
    value = _as_float(x)
    if value is None:
        return MISSING
    if abs(value) >= KILO_THRESHOLD_T:
        return fmt_quantity(value / 1000.0, "k" + unit, decimals)
    return fmt_quantity(value, unit, decimals)


def fmt_percent(x: float | int | None, decimals: int = 1) -> str:
    """A fraction (0.123) shown as a percentage (``"12,3 %"``, no-break space before %).

    Examples
    --------
    >>> fmt_percent(0.123)
    '12,3\\xa0%'
    >>> fmt_percent(1, 0)
    '100\\xa0%'
    """
    value = _as_float(x)
    if value is None:
        return MISSING
    # scale through Decimal so that 0.123 → 12.3 exactly, not 12.299999999999999
    scaled = float(Decimal(repr(value)) * 100)
    return f"{fmt_number(scaled, decimals)}{NBSP}%"


def fmt_area_ha(x: float | int | None, decimals: int | None = None) -> str:
    """An area in hectares; automatic precision as in :func:`fmt_quantity`.

    Examples
    --------
    >>> fmt_area_ha(1234.56)
    '1\\u202f235\\xa0ha'
    >>> fmt_area_ha(12.34)
    '12,3\\xa0ha'
    """
    return fmt_quantity(x, "ha", decimals)


def fmt_interval_t(lo: float | int | None, hi: float | int | None, unit: str = "tC", *,
                   signed: bool = False) -> str:
    """A 90 % interval of a mass in tonnes, both bounds in one unit: ``"1 234 – 1 567 tC"``.

    Kilotonnes when the larger bound reaches 10 000 t (as :func:`fmt_mass_t`); the precision
    of each bound follows its magnitude. ``signed``: a ``+`` before positive bounds (flows,
    ALDO convention). A missing bound gives ``"–"``.

    Examples
    --------
    >>> fmt_interval_t(1234, 1567)
    '1\u202f234 – 1\u202f567\xa0tC'
    >>> fmt_interval_t(3_112_533, 4_582_094)
    '3\u202f113 – 4\u202f582\xa0ktC'
    >>> fmt_interval_t(-228.2, 45.4, "tCO₂e/an", signed=True)
    '\u2212228 – +45,4\xa0tCO₂e/an'
    """
    if not unit.startswith("t"):
        raise ValueError(f"fmt_interval_t expects a unit in tonnes starting with 't', got "
                         f"{unit!r}.")
    a, b = _as_float(lo), _as_float(hi)
    if a is None or b is None:
        return MISSING
    if max(abs(a), abs(b)) >= KILO_THRESHOLD_T:
        a, b, unit = a / 1000.0, b / 1000.0, "k" + unit

    def one(v: float) -> str:
        text = fmt_number(v, 0 if math.isinf(v) else _auto_decimals(v))
        return "+" + text if signed and v > 0 and not text.startswith(MINUS) else text

    return f"{one(a)} \u2013 {one(b)}{NBSP}{unit}"
