"""Charts of the scenario trajectories (matplotlib, PNG and SVG for the report).

:func:`scenario_charts` draws, from the territory-level trajectories of the scenario engine:

* ``flux_annuels``: yearly net flow per scenario (baseline dashed grey), ALDO sign convention
  (positive = sequestration);
* ``ecart_cumule``: for each scenario, the cumulated difference to the baseline stacked by lever
  (positive and negative parts stacked separately, so that the signs add up correctly), with the
  net difference as a black line;
* ``stocks``: the territory's carbon stock (tC) per scenario.

Conventions (conventions §4.5, §4.8, gotcha 8): French titles and labels, "tendanciel" for the
baseline; every number on an axis is formatted by :func:`espass_geo.fmt.fmt_number` (decimal
comma, narrow no-break space U+202F between thousands, minus sign U+2212), years excepted.

Rendering is headless and leaves no global state behind: figures are plain
:class:`matplotlib.figure.Figure` objects drawn on the Agg canvas (never ``pyplot``), so the
module works on servers without a display and never changes the backend of a notebook that
imports it. SVG files keep their text as ``<text>`` (``svg.fonttype = "none"``), so that labels
stay searchable and selectable in the report.

Data contract (scenario engine)
-------------------------------
``traj``: ``scenario, year, lever, flux_tCO2e_an, stock_tC``; ``"baseline"`` is the reference;
one ``lever == "total"`` row per scenario and year carries the net flow and the stock (if absent,
the net flow is the sum of the levers and the stock the first non-missing value of the year).
``delta``: ``scenario, year, lever, delta_tCO2e_an, cumulative_delta_tCO2e`` (scenario −
baseline).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from .fmt import fmt_number

__all__ = [
    "BASELINE",
    "BASELINE_LABEL_FR",
    "LEVER_LABELS_FR",
    "french_formatter",
    "lever_label",
    "scenario_charts",
]

#: Name of the reference scenario in the engine's tables.
BASELINE: str = "baseline"
#: How the baseline is called in French outputs.
BASELINE_LABEL_FR: str = "Tendanciel"
#: Lever of the rows carrying the net flow and the stock of a scenario/year.
TOTAL_LEVER: str = "total"
PRACTICE_PREFIX: str = "practice:"

#: French labels of the scenario levers ("practice:<id>" levers: see :func:`lever_label`).
LEVER_LABELS_FR: dict[str, str] = {
    "trend": "Tendance observée (changements d'occupation du sol)",
    "forest_growth": "Croissance forestière",
    "convert": "Conversions (boisement, prairie, zone humide)",
    "seal": "Artificialisation (projets)",
    "hedges": "Haies",
    "total": "Total",
}

FLUX_YLABEL_FR: str = "Flux net (tCO₂e/an) — positif = séquestration"
DELTA_YLABEL_FR: str = "Écart cumulé au tendanciel (tCO₂e)"
STOCK_YLABEL_FR: str = "Stock de carbone (tC)"

#: 1200 × 700 px at 150 dpi.
FIGSIZE_IN: tuple[float, float] = (8.0, 700 / 150)
DPI: int = 150

BASELINE_COLOR: str = "#6e6e6e"
#: Scenario lines (colour-blind-safe Okabe–Ito hues, grey kept for the baseline).
SCENARIO_COLORS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                    "#56B4E9", "#000000")
LEVER_COLORS: dict[str, str] = {
    "trend": "#a6a6a6",
    "forest_growth": "#1b7837",
    "convert": "#7fbf7b",
    "seal": "#d73027",
    "hedges": "#8c510a",
}
#: Practices, in order of appearance (blues and purples).
PRACTICE_COLORS: tuple[str, ...] = ("#2166ac", "#67a9cf", "#762a83", "#af8dc3", "#01665e",
                                    "#35978f", "#4d4d9f", "#92c5de")
OTHER_COLORS: tuple[str, ...] = ("#bf812d", "#dfc27d", "#c51b7d", "#e9a3c9", "#636363")

_RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text in the SVG (searchable, selectable)
    "svg.hashsalt": "espass_geo",  # stable ids: same data, same file
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

TRAJ_COLUMNS: tuple[str, ...] = ("scenario", "year", "lever", "flux_tCO2e_an")
DELTA_COLUMNS: tuple[str, ...] = ("scenario", "year", "lever", "cumulative_delta_tCO2e")


# --------------------------------------------------------------------------------------------
# Labels and formatting
# --------------------------------------------------------------------------------------------

@cache
def _practice_labels() -> dict[str, str]:
    """``practice id -> label_fr`` of ``factors/practices_aldo.csv`` ({} if unavailable)."""
    try:
        from . import data

        table = data.factor_table("practices_aldo")
    except Exception:  # noqa: BLE001 - a missing/odd table only costs the nicer label
        return {}
    if not {"practice", "label_fr"} <= set(table.columns):
        return {}
    return {str(k): str(v) for k, v in zip(table["practice"], table["label_fr"], strict=True)
            if isinstance(v, str) and v.strip()}


def lever_label(lever: str) -> str:
    """French label of a lever id.

    ``"practice:<id>"`` is looked up in ``factors/practices_aldo.csv`` (column ``label_fr``),
    falling back to ``<id>``; unknown ids are returned as given.

    >>> lever_label("seal")
    'Artificialisation (projets)'
    >>> lever_label("practice:catchCrops")
    'Cultures intermédiaires (CIPAN, couverts)'
    """
    lever = str(lever)
    if lever in LEVER_LABELS_FR:
        return LEVER_LABELS_FR[lever]
    if lever.startswith(PRACTICE_PREFIX):
        pid = lever[len(PRACTICE_PREFIX):]
        return _practice_labels().get(pid, pid)
    return lever


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
    """Tick formatter writing numbers the French way (:func:`espass_geo.fmt.fmt_number`).

    The number of decimals is the smallest one that writes every tick of the axis exactly
    (ticks ``0, 2.5, 5`` → ``"0,0"``, ``"2,5"``, ``"5,0"``), at most 3; ``-5000`` →
    ``"−5\u202f000"``.
    """
    return _FrenchFormatter()


def _year_formatter() -> FuncFormatter:
    """Years without thousands separator ("2030", not "2 030")."""
    return FuncFormatter(lambda x, _pos=None: f"{x:.0f}" if float(x).is_integer() else "")


def _scenario_label(scenario: str, labels: Mapping[str, str]) -> str:
    if scenario in labels:
        return str(labels[scenario])
    return BASELINE_LABEL_FR if scenario == BASELINE else str(scenario)


# --------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------

def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; expected {list(columns)} "
                       "(tables of the scenario engine).")


def _scenario_order(traj: pd.DataFrame) -> list[str]:
    """Baseline first, then the other scenarios in order of appearance."""
    names = list(dict.fromkeys(traj["scenario"].astype(str)))
    return ([BASELINE] if BASELINE in names else []) + [s for s in names if s != BASELINE]


def _totals(traj: pd.DataFrame) -> pd.DataFrame:
    """``scenario, year, flux, stock``: the ``total`` rows, else levers summed."""
    t = traj.assign(scenario=traj["scenario"].astype(str), lever=traj["lever"].astype(str),
                    year=pd.to_numeric(traj["year"]).astype("int64"))
    if "stock_tC" not in t.columns:
        t = t.assign(stock_tC=np.nan)
    total = t[t["lever"] == TOTAL_LEVER]
    rest = t[t["lever"] != TOTAL_LEVER]
    summed = rest.groupby(["scenario", "year"], sort=True).agg(
        flux=("flux_tCO2e_an", lambda s: s.sum(min_count=1)), stock=("stock_tC", "first"))
    if total.empty:
        return summed.reset_index()
    given = total.groupby(["scenario", "year"], sort=True).agg(
        flux=("flux_tCO2e_an", "first"), stock=("stock_tC", "first"))
    # scenarios without "total" rows (mixed input) keep the summed values
    out = given.combine_first(summed)
    return out.reset_index()


def _lever_colors(levers: Sequence[str]) -> dict[str, str]:
    colors: dict[str, str] = {}
    practices = iter(PRACTICE_COLORS * 4)
    others = iter(OTHER_COLORS * 4)
    for lever in levers:
        if lever in LEVER_COLORS:
            colors[lever] = LEVER_COLORS[lever]
        elif lever.startswith(PRACTICE_PREFIX):
            colors[lever] = next(practices)
        else:
            colors[lever] = next(others)
    return colors


def _lever_order(levers: Sequence[str]) -> list[str]:
    """Known levers first (in the order of :data:`LEVER_LABELS_FR`), practices, then others."""
    known = [lv for lv in LEVER_LABELS_FR if lv in levers and lv != TOTAL_LEVER]
    practices = sorted(lv for lv in levers if lv.startswith(PRACTICE_PREFIX))
    others = [lv for lv in levers if lv not in known and lv not in practices
              and lv != TOTAL_LEVER]
    return known + practices + others


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------

def _new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def _style_axes(ax: Any, years: Sequence[int]) -> None:
    ax.yaxis.set_major_formatter(french_formatter())
    ax.xaxis.set_major_formatter(_year_formatter())
    if len(years):
        lo, hi = int(min(years)), int(max(years))
        span = hi - lo
        # round years: 2025, 2030… 2050 (steps of 1, 2, 5 or 10 years)
        step = 1 if span <= 8 else 2 if span <= 16 else 5 if span <= 40 else 10
        ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.set_xlim(lo, hi if hi > lo else lo + 1)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))


def _zero_line(ax: Any) -> None:
    ax.axhline(0.0, color="#222222", linewidth=0.8, zorder=1.5)


def _save(fig: Figure, out_dir: Path, stem: str) -> dict[str, Path]:
    paths = {}
    with matplotlib.rc_context(_RC):
        for ext in ("png", "svg"):
            path = out_dir / f"{stem}.{ext}"
            tmp = out_dir / f".{stem}.tmp.{ext}"
            try:
                fig.savefig(tmp, format=ext, dpi=DPI, facecolor="white")
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            paths[f"{stem}.{ext}"] = path
    return paths


def _no_data(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            color="#555555", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _flux_figure(totals: pd.DataFrame, order: list[str], labels: Mapping[str, str],
                 colors: Mapping[str, str], title: str) -> Figure:
    fig, axes = _new_figure()
    ax = axes[0, 0]
    years = sorted(totals["year"].unique())
    for scenario in order:
        s = totals[totals["scenario"] == scenario].sort_values("year")
        if s["flux"].notna().any():
            baseline = scenario == BASELINE
            ax.plot(s["year"], s["flux"], label=_scenario_label(scenario, labels),
                    color=colors[scenario], linestyle="--" if baseline else "-",
                    linewidth=1.8 if baseline else 2.0, zorder=3 if baseline else 2.5)
    _zero_line(ax)
    _style_axes(ax, years)
    ax.set_ylabel(FLUX_YLABEL_FR)
    ax.set_xlabel("Année")
    ax.set_title("Flux net annuel du territoire, par scénario", loc="left")
    ax.legend(loc="best", frameon=True, framealpha=0.9)
    fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig


def _delta_figure(delta: pd.DataFrame, scenarios: list[str], labels: Mapping[str, str],
                  title: str) -> Figure:
    n = max(1, len(scenarios))
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig, axes = _new_figure(nrows, ncols, sharey=True)
    # room between panels: the last year of one and the first of the next do not touch
    fig.get_layout_engine().set(wspace=0.08)
    flat = list(axes.ravel())
    d = delta.assign(scenario=delta["scenario"].astype(str), lever=delta["lever"].astype(str),
                     year=pd.to_numeric(delta["year"]).astype("int64"))
    # levers that move in at least one scenario (the trend is often identical)
    levers_all = d[d["lever"] != TOTAL_LEVER]
    moving = levers_all.groupby("lever")["cumulative_delta_tCO2e"].apply(
        lambda s: bool((s.abs() > 1e-9).any()))
    levers = _lever_order([lv for lv, ok in moving.items() if ok])
    colors = _lever_colors(levers)
    years = sorted(d["year"].unique())

    if not scenarios:
        _no_data(flat[0], "Aucun scénario à comparer au tendanciel")
    for ax, scenario in zip(flat, scenarios, strict=False):
        s = levers_all[levers_all["scenario"] == scenario]
        wide = (s.pivot_table(index="year", columns="lever", values="cumulative_delta_tCO2e",
                              aggfunc="sum")
                .reindex(index=years, columns=levers).fillna(0.0))
        x = np.asarray(years, dtype=float)
        if levers:
            values = wide.to_numpy(dtype=float).T  # one row per lever
            cols = [colors[lv] for lv in levers]
            ax.stackplot(x, np.clip(values, 0.0, None), colors=cols, alpha=0.9,
                         linewidth=0.3, edgecolor="white")
            ax.stackplot(x, np.clip(values, None, 0.0), colors=cols, alpha=0.9,
                         linewidth=0.3, edgecolor="white")
        tot = d[(d["scenario"] == scenario) & (d["lever"] == TOTAL_LEVER)]
        net = (tot.groupby("year")["cumulative_delta_tCO2e"].sum().reindex(years)
               if not tot.empty else wide.sum(axis=1))
        ax.plot(x, net.to_numpy(dtype=float), color="#111111", linewidth=1.6, zorder=4)
        _zero_line(ax)
        _style_axes(ax, years)
        ax.set_title(_scenario_label(scenario, labels), loc="left")
        ax.set_xlabel("Année")
    for ax in flat[len(scenarios):] if scenarios else flat[1:]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel(DELTA_YLABEL_FR)

    handles = [Patch(facecolor=colors[lv], edgecolor="none", label=lever_label(lv))
               for lv in levers]
    if scenarios:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="#111111", linewidth=1.6,
                              label="Écart net (somme des leviers)"))
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=min(2 if len(scenarios) < 3 else 3, len(handles)), frameon=False)
    fig.suptitle(f"{title}\nÉcart cumulé au tendanciel par levier — positif = séquestration "
                 "supplémentaire", fontsize=11, fontweight="bold")
    return fig


def _stock_figure(totals: pd.DataFrame, order: list[str], labels: Mapping[str, str],
                  colors: Mapping[str, str], title: str) -> Figure:
    fig, axes = _new_figure()
    ax = axes[0, 0]
    years = sorted(totals["year"].unique())
    drawn = False
    for scenario in order:
        s = totals[totals["scenario"] == scenario].sort_values("year")
        s = s[s["stock"].notna()]
        if len(s):
            baseline = scenario == BASELINE
            last = s.iloc[-1]
            label = (f"{_scenario_label(scenario, labels)}\u00a0: {fmt_number(last['stock'], 0)}"
                     f"\u00a0tC en {int(last['year'])}")
            ax.plot(s["year"], s["stock"], label=label,
                    color=colors[scenario], linestyle="--" if baseline else "-",
                    linewidth=1.8 if baseline else 2.0, zorder=3 if baseline else 2.5)
            drawn = True
    if drawn:
        # the French FuncFormatter writes full numbers: no offset or scientific notation
        _style_axes(ax, years)
        ax.set_ylabel(STOCK_YLABEL_FR)
        ax.set_xlabel("Année")
        ax.legend(loc="best", frameon=True, framealpha=0.9)
    else:
        _no_data(ax, "Stocks non fournis par le calcul de scénario")
    ax.set_title("Stock de carbone du territoire (sols et biomasse), fin d'année", loc="left")
    fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig


def scenario_charts(traj: pd.DataFrame, delta: pd.DataFrame,
                    out_dir: str | os.PathLike[str], *, title: str,
                    scenario_labels: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Write the scenario charts (PNG 1200 × 700 px at 150 dpi, and SVG) into ``out_dir``.

    Parameters
    ----------
    traj
        Territory trajectories ``scenario, year, lever, flux_tCO2e_an, stock_tC`` (ALDO sign
        convention: positive = sequestration). The ``lever == "total"`` rows give the net flow
        and stock; without them the levers are summed.
    delta
        ``scenario, year, lever, cumulative_delta_tCO2e`` (scenario − baseline), non-baseline
        scenarios only.
    out_dir
        Output folder (created if needed).
    title
        Figure title (e.g. the territory's name).
    scenario_labels
        Optional display names of the scenarios (default: "Tendanciel" for ``"baseline"``,
        the scenario name otherwise).

    Returns
    -------
    dict
        ``{"flux_annuels.png": Path, "flux_annuels.svg": ..., "ecart_cumule.png": ...,
        "ecart_cumule.svg": ..., "stocks.png": ..., "stocks.svg": ...}``.
    """
    _require(traj, TRAJ_COLUMNS, "traj")
    _require(delta, DELTA_COLUMNS, "delta")
    if traj.empty:
        raise ValueError("traj is empty: no trajectory to draw.")
    labels = dict(scenario_labels or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    order = _scenario_order(traj)
    palette = iter(SCENARIO_COLORS * 4)
    colors = {s: BASELINE_COLOR if s == BASELINE else next(palette) for s in order}
    totals = _totals(traj)
    others = [s for s in order if s != BASELINE]
    in_delta = set(delta["scenario"].astype(str))
    delta_scenarios = [s for s in others if s in in_delta] + sorted(
        s for s in in_delta if s not in order and s != BASELINE)

    paths: dict[str, Path] = {}
    with matplotlib.rc_context(_RC):
        figures = {
            "flux_annuels": _flux_figure(totals, order, labels, colors, title),
            "ecart_cumule": _delta_figure(delta, delta_scenarios, labels, title),
            "stocks": _stock_figure(totals, order, labels, colors, title),
        }
    for stem, fig in figures.items():
        paths.update(_save(fig, out, stem))
    return paths
