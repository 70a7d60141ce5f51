"""Common ground of the charts: size, style, French tick formatting, atomic PNG (+ SVG).

Conventions (conventions §4.5, §4.8, gotcha 8): French titles and labels, "tendanciel" for the
baseline; every number on an axis is formatted by :func:`espass_geo.present.fmt.fmt_number` (decimal
comma, narrow no-break space U+202F between thousands, minus sign U+2212), years excepted.

Rendering is headless and leaves no global state behind: figures are plain
:class:`matplotlib.figure.Figure` objects drawn on the Agg canvas (never ``pyplot``), so the
module works on servers without a display and never changes the backend of a notebook that
imports it. SVG files keep their text as ``<text>`` (``svg.fonttype = "none"``), so that labels
stay searchable and selectable in the report. Titles and labels are plain text
(``text.parse_math`` off): a ``$`` in a territory or scenario name is a dollar sign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from espass_geo.io.files import atomic_write
from espass_geo.present.fmt import fmt_number

#: 1200 × 700 px at 150 dpi.
FIGSIZE_IN: tuple[float, float] = (8.0, 700 / 150)
DPI: int = 150

OTHER_COLORS: tuple[str, ...] = ("#bf812d", "#dfc27d", "#c51b7d", "#e9a3c9", "#636363")

RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text in the SVG (searchable, selectable)
    "svg.hashsalt": "espass_geo",  # stable ids: same data, same file
    # titles and labels carry user text (territory, scenario labels): a "$" is a dollar sign,
    # never the start of a mathtext formula (which could fail to parse or change the text)
    "text.parse_math": False,
    "font.size": 9.0,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.0,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6,
}

#: Warning written on every output built from the demonstration inventory.
ESTIMATE_NOTE_FR: str = ("Inventaire de démonstration : ESTIMATION (totaux Hauts-de-France "
                         "répartis par des indicateurs ; grands sites industriels placés dans "
                         "leur commune), pas un inventaire réel.")
ESTIMATE_COLOR: str = "#b2182b"


class _FrenchFormatter(FuncFormatter):
    """FuncFormatter over :func:`fmt_number` whose decimals follow the ticks of the axis."""

    def __init__(self) -> None:
        self._decimals = 0
        super().__init__(lambda x, _pos=None: fmt_number(x, self._decimals))

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        finite = [float(v) for v in locs if math.isfinite(v)]
        self._decimals = 3
        for d in range(4):
            if all(abs(v - round(v, d)) < 1e-9 * max(1.0, abs(v)) for v in finite):
                self._decimals = d
                break


def french_formatter() -> FuncFormatter:
    """Tick formatter writing numbers the French way (:func:`espass_geo.present.fmt.fmt_number`).

    The number of decimals is the smallest one that writes every tick of the axis exactly
    (ticks ``0, 2.5, 5`` → ``"0,0"``, ``"2,5"``, ``"5,0"``), at most 3; ``-5000`` →
    ``"−5\u202f000"``.
    """
    return _FrenchFormatter()


def year_formatter() -> FuncFormatter:
    """Years without thousands separator ("2030", not "2 030")."""
    return FuncFormatter(lambda x, _pos=None: f"{x:.0f}" if float(x).is_integer() else "")



def require(df: pd.DataFrame, columns: Sequence[str], what: str,
             hint: str = "tables of the scenario engine") -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; expected {list(columns)} "
                       f"({hint}).")



def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def style_axes(ax: Any, years: Sequence[int]) -> None:
    ax.yaxis.set_major_formatter(french_formatter())
    ax.xaxis.set_major_formatter(year_formatter())
    if len(years):
        lo, hi = int(min(years)), int(max(years))
        span = hi - lo
        # round years: 2025, 2030… 2050 (steps of 1, 2, 5 or 10 years)
        step = 1 if span <= 8 else 2 if span <= 16 else 5 if span <= 40 else 10
        ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.set_xlim(lo, hi if hi > lo else lo + 1)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))


def zero_line(ax: Any) -> None:
    ax.axhline(0.0, color="#222222", linewidth=0.8, zorder=1.5)


def save(fig: Figure, out_dir: Path, stem: str, *, svg: bool = True) -> dict[str, Path]:
    """Write ``fig`` as ``<stem>.png`` and, unless ``svg=False``, ``<stem>.svg`` in ``out_dir``
    (each atomically).

    The constrained layout runs once, for the PNG; the SVG reuses it (saving with the layout
    engine on would lay the figure out again, the costlier half of a save: #14 item 6), so the
    two files have the same geometry.
    """
    paths = {}
    with matplotlib.rc_context(RC):
        path = atomic_write(out_dir / f"{stem}.png", lambda tmp: fig.savefig(
            tmp, format="png", dpi=DPI, facecolor="white"))
        paths[f"{stem}.png"] = path
        if svg:
            engine = fig.get_layout_engine()
            fig.set_layout_engine("none")  # keeps the positions the PNG's layout gave
            try:
                path = atomic_write(out_dir / f"{stem}.svg", lambda tmp: fig.savefig(
                    tmp, format="svg", dpi=DPI, facecolor="white"))
            finally:
                fig.set_layout_engine(engine)
            paths[f"{stem}.svg"] = path
    return paths


def no_data(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            color="#555555", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def ordered(keys: Sequence[str], known: Mapping[str, Any]) -> list[str]:
    """Known keys in the order of ``known``, then the others in order of appearance."""
    keys = list(dict.fromkeys(keys))
    return [k for k in known if k in keys] + [k for k in keys if k not in known]


def category_colors(keys: Sequence[str], known: Mapping[str, str]) -> dict[str, str]:
    others = iter(OTHER_COLORS * 8)
    return {k: known[k] if k in known else next(others) for k in keys}


def text_color(background: str) -> str:
    """Dark or white text, whichever reads better on ``background``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(background)
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#ffffff"


def footnote(fig: Figure, lines: Sequence[str], *, estimate: bool = False) -> None:
    """Notes under the figure, in grey, the estimate warning first and in red.

    Written with ``fig.text`` in a band reserved at the bottom of the constrained layout
    (``rect``), so that they never overlap the axes or the figure legends."""
    import textwrap

    rows = [(ESTIMATE_NOTE_FR, ESTIMATE_COLOR, "bold")] if estimate else []
    rows += [(line, "#444444", "normal") for line in lines]
    if not rows:
        return
    # long notes wrapped to the figure's width (7.5 pt text: ~3.9 pt a character, ~4.4 bold)
    width_pt = fig.get_figwidth() * 72.0 * 0.97
    rows = [("\n".join(textwrap.wrap(text, max(30, int(width_pt / (
        4.4 if weight == "bold" else 3.9))))) or "", color, weight) for text, color, weight in rows]
    line_h = 7.5 * 1.45 / 72.0 / fig.get_figheight()  # one 7.5 pt line, in figure fraction
    n_lines = sum(text.count("\n") + 1 for text, _, _ in rows)
    band = line_h * n_lines + 0.012
    fig.get_layout_engine().set(rect=(0.0, band, 1.0, 1.0 - band))
    top = band - 0.006
    for text, color, weight in rows:
        fig.text(0.012, top, text, ha="left", va="top", fontsize=7.5, color=color,
                 fontweight=weight, linespacing=1.45)
        top -= line_h * (text.count("\n") + 1)

