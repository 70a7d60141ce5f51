"""Class breaks and colours of the choropleths (French labels).

Quantile classes rounded to "nice" breaks (multiples of 1, 2 or 5 × 10^k), symmetric
around 0 for flows (``diverging=True``). mapclassify is not used: its ``Quantiles`` gives the
raw quantiles (``31,3 à 44,9``), not rounded edges, has no class scheme symmetric around 0,
and would change every published legend; the rounding here is what the maps need.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import branca.colormap as bcm
import numpy as np
import pandas as pd

from espass_geo.present.fmt import fmt_number

NODATA_COLOR: str = "#bdbdbd"


# --------------------------------------------------------------------------------------------
# Classes and colours
# --------------------------------------------------------------------------------------------

_NICE_STEPS = (1.0, 2.0, 5.0)


def _nice_steps_below(target: float) -> Iterator[float]:
    """Nice steps (1, 2, 5 × 10^k) from the largest ≤ ``target`` downwards."""
    k = math.floor(math.log10(target))
    while True:
        for s in reversed(_NICE_STEPS):
            step = s * 10.0**k
            if step <= target * (1 + 1e-12):
                yield step
        k -= 1


def _snap(x: float, step: float, how: str = "round") -> float:
    q = round(x / step, 9)  # 0.30000000000000004 / 0.1 → 3.0, not 3.0000000000000004
    n = math.floor(q) if how == "floor" else math.ceil(q) if how == "ceil" else round(q)
    return float(round(n * step, 10))


def _finite(values: Iterable[float] | pd.Series | np.ndarray) -> np.ndarray:
    arr = np.asarray(pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce"))
    return arr[np.isfinite(arr)]


def _sequential_breaks(v: np.ndarray, n: int) -> list[float]:
    lo, hi = float(v.min()), float(v.max())
    # equal values, or equal up to float noise (9.2 ± 1e-15 from a division): one class
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1.0):
        step = next(_nice_steps_below(abs(lo) / 10 if lo else 1.0))
        return [_snap(lo, step, "floor"), _snap(lo, step, "floor") + step]
    n = min(n, len(np.unique(v)))  # no more classes than distinct values
    best: list[float] = []
    for step in _nice_steps_below((hi - lo) / n / 2):
        edges = [_snap(lo, step, "floor"), _snap(hi, step, "ceil")]
        inner = [_snap(float(q), step) for q in np.quantile(v, np.linspace(0, 1, n + 1)[1:-1])]
        breaks = sorted({edges[0], edges[1], *(q for q in inner if edges[0] < q < edges[1])})
        best = breaks
        if len(breaks) - 1 >= n or step < (hi - lo) * 1e-6:
            break
    return best


def _diverging_breaks(v: np.ndarray, n: int) -> list[float]:
    a = np.abs(v)
    top = float(a.max())
    k = max(1, math.ceil(n / 2))
    if top == 0:
        return [-1.0, 0.0, 1.0]
    k = min(k, len(np.unique(a[a > 0])) or 1)
    pos: list[float] = []
    for step in _nice_steps_below(top / k / 2):
        outer = _snap(top, step, "ceil")
        inner = [_snap(float(q), step) for q in np.quantile(a, np.linspace(0, 1, k + 1)[1:-1])]
        pos = sorted({outer, *(q for q in inner if 0 < q < outer)})
        if len(pos) >= k or step < top * 1e-6:
            break
    return [-p for p in reversed(pos)] + [0.0] + pos


def class_breaks(values: Iterable[float] | pd.Series | np.ndarray, n_classes: int = 6, *,
                 diverging: bool = False) -> list[float]:
    """Class edges from quantiles, rounded to nice numbers (multiples of 1, 2 or 5 × 10^k).

    Returns ``n + 1`` increasing edges covering all finite values. Sequential: the outer
    edges are the minimum and maximum rounded outwards; inner edges are the quantiles at
    ``k / n_classes`` rounded to a step of about a twentieth of the range (refined when
    rounding would merge classes). Diverging: symmetric around 0 (0 is always an edge,
    ``n_classes`` rounded up to an even number), built from quantiles of ``|values|``.
    Fewer classes come out when the data have fewer distinct values.

    Examples
    --------
    >>> class_breaks([31, 44, 52, 58, 63, 70, 77, 86, 95, 118], 5)
    [30.0, 50.0, 60.0, 75.0, 90.0, 120.0]
    >>> class_breaks([-40, -12, -3, 2, 9, 25], 4, diverging=True)
    [-40.0, -10.0, 0.0, 10.0, 40.0]
    """
    if not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    v = _finite(values)
    if v.size == 0:
        raise ValueError("no finite value to classify; check the value column (all NaN?).")
    return _diverging_breaks(v, n_classes) if diverging else _sequential_breaks(v, n_classes)


def _palette_colors(palette: str | Sequence[str], n: int, diverging: bool) -> list[str]:
    from matplotlib import colormaps
    from matplotlib.colors import LinearSegmentedColormap, to_hex

    if isinstance(palette, str):
        try:
            cmap = colormaps[palette]
        except KeyError:
            raise ValueError(f"unknown matplotlib colormap {palette!r}; e.g. 'YlGn', 'Greens', "
                             "'BrBG', 'RdYlGn', or pass a list of colours.") from None
    else:
        colors = list(palette)
        if len(colors) == n:
            return [to_hex(c) for c in colors]
        cmap = LinearSegmentedColormap.from_list("espass", colors)
    # skip the near-white end of sequential palettes (invisible on the grey background)
    positions = np.linspace(0.05, 0.95, n) if diverging else np.linspace(0.15, 1.0, n)
    return [to_hex(cmap(float(p))) for p in positions]


def _decimals_for(breaks: Sequence[float]) -> int:
    for d in range(4):
        if all(abs(b - round(b, d)) < 1e-9 for b in breaks):
            return d
    return 3


@dataclass(frozen=True)
class ColorClasses:
    """Class edges, one colour per class, caption and French labels of a choropleth.

    ``breaks`` has one more item than ``colors``; class ``i`` is ``[breaks[i], breaks[i+1])``
    (the last one closed); values outside are given the nearest class. NaN → ``nodata_color``.
    """

    breaks: tuple[float, ...]
    colors: tuple[str, ...]
    caption: str
    decimals: int = 0
    nodata_color: str = NODATA_COLOR
    nodata_label: str = "Pas de donnée"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if len(self.breaks) != len(self.colors) + 1:
            raise ValueError(f"{len(self.breaks)} breaks for {len(self.colors)} colours; "
                             "expected one more break than colours.")
        if any(b2 <= b1 for b1, b2 in zip(self.breaks, self.breaks[1:], strict=False)):
            raise ValueError(f"breaks must increase strictly: {self.breaks}")

    @property
    def labels(self) -> tuple[str, ...]:
        """French labels of the classes, e.g. ``"40 à 60"``, ``"−1 000 à −500"`` (a dash
        would be confused with the minus sign of negative flows)."""
        f = [fmt_number(b, self.decimals) for b in self.breaks]
        return tuple(f"{a} à {b}" for a, b in zip(f, f[1:], strict=False))

    @cached_property
    def colormap(self) -> bcm.StepColormap:
        """The branca step colormap (French tick labels). Do not add it to a map: its
        legend loads d3 from a CDN; use :func:`legend_element` instead."""
        return bcm.StepColormap(
            list(self.colors), index=list(self.breaks), vmin=self.breaks[0],
            vmax=self.breaks[-1], caption=self.caption,
            # branca annotates tick_labels as floats but displays any value as given
            tick_labels=cast(Any, [fmt_number(b, self.decimals) for b in self.breaks]),
        )

    def color(self, value: Any) -> str:
        """``#rrggbb`` of ``value``'s class (``nodata_color`` for NaN/None)."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return self.nodata_color
        if not math.isfinite(x):
            return self.nodata_color
        return str(self.colormap.rgb_hex_str(x))


def make_classes(values: Iterable[float] | pd.Series | np.ndarray, *, caption: str,
                 palette: str | Sequence[str] = "YlGn", n_classes: int = 6,
                 diverging: bool = False, breaks: Sequence[float] | None = None) -> ColorClasses:
    """Classes (:func:`class_breaks` unless ``breaks`` is given) and palette colours."""
    edges = list(breaks) if breaks is not None else class_breaks(values, n_classes,
                                                                 diverging=diverging)
    colors = _palette_colors(palette, len(edges) - 1, diverging)
    return ColorClasses(tuple(float(b) for b in edges), tuple(colors), caption,
                        decimals=_decimals_for(edges))
