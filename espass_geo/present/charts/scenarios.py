"""Charts of the scenario trajectories (flux_annuels, ecart_cumule, stocks).

:func:`scenario_charts` draws, from the territory-level trajectories of the scenario engine:

* ``flux_annuels``: yearly net flow per scenario (baseline dashed grey), ALDO sign convention
  (positive = sequestration);
* ``ecart_cumule``: for each scenario, the cumulated difference to the baseline stacked by lever
  (positive and negative parts stacked separately, so that the signs add up correctly), with the
  net difference as a black line;
* ``stocks``: the territory's carbon stock (tC) per scenario.

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
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from espass_geo.present.charts.base import (
    OTHER_COLORS,
    RC,
    new_figure,
    no_data,
    require,
    save,
    style_axes,
    zero_line,
)
from espass_geo.present.fmt import fmt_number
from espass_geo.present.vocabulary import (
    BASELINE,
    BASELINE_LABEL_FR,
    LEVER_LABELS_FR,
    PRACTICE_PREFIX,
    lever_label,
)

TOTAL_LEVER: str = "total"

FLUX_YLABEL_FR: str = "Flux net (tCO₂e/an) — positif = séquestration"
DELTA_YLABEL_FR: str = "Écart cumulé au tendanciel (tCO₂e)"
STOCK_YLABEL_FR: str = "Stock de carbone (tC)"

BASELINE_COLOR: str = "#6e6e6e"
#: Scenario lines (colour-blind-safe Okabe–Ito hues, grey kept for the baseline).
SCENARIO_COLORS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                    "#56B4E9", "#000000")
LEVER_COLORS: dict[str, str] = {
    "trend": "#a6a6a6",
    "forest_growth": "#1b7837",
    "convert": "#7fbf7b",
    "seal": "#d73027",
    "sealing": "#f46d43",
    "renature": "#01665e",
    "hedges": "#8c510a",
}
#: Practices, in order of appearance (blues and purples).
PRACTICE_COLORS: tuple[str, ...] = ("#2166ac", "#67a9cf", "#762a83", "#af8dc3", "#01665e",
                                    "#35978f", "#4d4d9f", "#92c5de")

TRAJ_COLUMNS: tuple[str, ...] = ("scenario", "year", "lever", "flux_tCO2e_an")
DELTA_COLUMNS: tuple[str, ...] = ("scenario", "year", "lever", "cumulative_delta_tCO2e")


def _scenario_label(scenario: str, labels: Mapping[str, str]) -> str:
    if scenario in labels:
        return str(labels[scenario])
    return BASELINE_LABEL_FR if scenario == BASELINE else str(scenario)



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


def _flux_figure(totals: pd.DataFrame, order: list[str], labels: Mapping[str, str],
                 colors: Mapping[str, str], title: str) -> Figure:
    fig, axes = new_figure()
    ax = axes[0, 0]
    years = sorted(totals["year"].unique())
    for scenario in order:
        s = totals[totals["scenario"] == scenario].sort_values("year")
        if s["flux"].notna().any():
            baseline = scenario == BASELINE
            ax.plot(s["year"], s["flux"], label=_scenario_label(scenario, labels),
                    color=colors[scenario], linestyle="--" if baseline else "-",
                    linewidth=1.8 if baseline else 2.0, zorder=3 if baseline else 2.5)
    zero_line(ax)
    style_axes(ax, years)
    ax.set_ylabel(FLUX_YLABEL_FR)
    ax.set_xlabel("Année")
    ax.set_title("Flux net annuel du territoire, par scénario", loc="left")
    ax.legend(loc="best", frameon=True, framealpha=0.9)
    fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig


#: Bounds of the net gap's 90 % interval on the ``total`` rows of the delta table.
_BAND_COLUMNS = ("cumulative_delta_tCO2e_p05", "cumulative_delta_tCO2e_p95")


def _has_band(total_rows: pd.DataFrame) -> bool:
    return all(c in total_rows.columns for c in _BAND_COLUMNS) and bool(
        total_rows[list(_BAND_COLUMNS)].notna().all(axis=1).any())


def _delta_figure(delta: pd.DataFrame, scenarios: list[str], labels: Mapping[str, str],
                  title: str) -> Figure:
    n = max(1, len(scenarios))
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(nrows, ncols, sharey=True)
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
        no_data(flat[0], "Aucun scénario à comparer au tendanciel")
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
        if _has_band(tot):  # 90 % interval of the net gap (factor errors)
            band = tot.groupby("year")[list(_BAND_COLUMNS)].sum(min_count=1).reindex(years)
            lo = band[_BAND_COLUMNS[0]].to_numpy(dtype=float)
            hi = band[_BAND_COLUMNS[1]].to_numpy(dtype=float)
            ax.fill_between(x, lo, hi, color="#111111", alpha=0.15, linewidth=0, zorder=3)
            for bound in (lo, hi):  # the edges stay visible over the stacked levers
                ax.plot(x, bound, color="#111111", linewidth=0.8, linestyle="--", zorder=4)
        zero_line(ax)
        style_axes(ax, years)
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
        if _has_band(d[d["lever"] == TOTAL_LEVER]):
            handles.append(Patch(facecolor="#111111", alpha=0.15, edgecolor="none",
                                 label="Intervalle à 90 % de l'écart net"))
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=min(2 if len(scenarios) < 3 else 3, len(handles)), frameon=False)
    fig.suptitle(f"{title}\nÉcart cumulé au tendanciel par levier — positif = séquestration "
                 "supplémentaire", fontsize=11, fontweight="bold")
    return fig


def _stock_figure(totals: pd.DataFrame, order: list[str], labels: Mapping[str, str],
                  colors: Mapping[str, str], title: str) -> Figure:
    fig, axes = new_figure()
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
        style_axes(ax, years)
        ax.set_ylabel(STOCK_YLABEL_FR)
        ax.set_xlabel("Année")
        ax.legend(loc="best", frameon=True, framealpha=0.9)
    else:
        no_data(ax, "Stocks non fournis par le calcul de scénario")
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
    require(traj, TRAJ_COLUMNS, "traj")
    require(delta, DELTA_COLUMNS, "delta")
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
    with matplotlib.rc_context(RC):
        figures = {
            "flux_annuels": _flux_figure(totals, order, labels, colors, title),
            "ecart_cumule": _delta_figure(delta, delta_scenarios, labels, title),
            "stocks": _stock_figure(totals, order, labels, colors, title),
        }
    for stem, fig in figures.items():
        paths.update(save(fig, out, stem))
    return paths



# --------------------------------------------------------------------------------------------
# ZAN: hectares and carbon side by side
# --------------------------------------------------------------------------------------------

HECTARES_TITLE_FR: str = "Artificialisation (ha/an)"
CARBON_TITLE_FR: str = "Flux de carbone (tCO₂e/an)"
ZAN_COLUMNS: tuple[str, ...] = ("scenario", "year", "artificialised_ha", "renatured_ha",
                                "net_ha", "flux_tCO2e_an")
ARTIFICIALISED_COLOR: str = "#d73027"
RENATURED_COLOR: str = "#1a9850"


def _zan_figure(hect: pd.DataFrame, order: list[str], labels: Mapping[str, str],
                colors: Mapping[str, str], title: str) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D

    from espass_geo.present.charts.base import DPI, FIGSIZE_IN

    n = len(order)
    fig = Figure(figsize=(FIGSIZE_IN[0], max(FIGSIZE_IN[1], 1.3 + 2.1 * n)), dpi=DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)
    rows = fig.subfigures(n, 1, squeeze=False)[:, 0]
    years = sorted(hect["year"].unique())
    x = np.asarray(years, dtype=float)
    base = hect[hect["scenario"] == BASELINE].set_index("year").reindex(years)
    lefts, rights = [], []
    for sub, scenario in zip(rows, order, strict=True):
        s = hect[hect["scenario"] == scenario].set_index("year").reindex(years).fillna(0.0)
        left, right = sub.subplots(1, 2)
        left.bar(x, s["artificialised_ha"], width=0.8, color=ARTIFICIALISED_COLOR, alpha=0.85)
        left.bar(x, -s["renatured_ha"], width=0.8, color=RENATURED_COLOR, alpha=0.85)
        left.plot(x, s["net_ha"], color="#111111", linewidth=1.4)
        right.plot(x, s["flux_tCO2e_an"], color=colors[scenario], linewidth=2.0)
        if scenario != BASELINE and len(base) and base["flux_tCO2e_an"].notna().any():
            right.plot(x, base["flux_tCO2e_an"], color=BASELINE_COLOR, linestyle="--",
                       linewidth=1.4)
        for ax in (left, right):
            zero_line(ax)
            style_axes(ax, years)
        left.set_title(HECTARES_TITLE_FR, loc="left")
        right.set_title(CARBON_TITLE_FR, loc="left")
        sub.suptitle(_scenario_label(scenario, labels), x=0.01, ha="left", fontsize=10.5,
                     fontweight="bold")
        lefts.append(left)
        rights.append(right)
    for axes in (lefts, rights):  # one scale per column: the scenarios compare at a glance
        lo = min(ax.get_ylim()[0] for ax in axes)
        hi = max(ax.get_ylim()[1] for ax in axes)
        for ax in axes:
            ax.set_ylim(lo, hi)
    lefts[-1].set_xlabel("Année")
    rights[-1].set_xlabel("Année")
    handles = [Patch(facecolor=ARTIFICIALISED_COLOR, label="Artificialisé (ha/an)"),
               Patch(facecolor=RENATURED_COLOR, label="Renaturé (ha/an, vers le bas)"),
               Line2D([], [], color="#111111", linewidth=1.4, label="Artificialisation nette"),
               Line2D([], [], color=BASELINE_COLOR, linestyle="--", linewidth=1.4,
                      label=f"Flux net du {BASELINE_LABEL_FR.lower()}")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(f"{title}\nHectares et carbone, par scénario — flux positif = séquestration",
                 fontsize=11, fontweight="bold")
    return fig


def zan_chart(hectares: pd.DataFrame, out_dir: str | os.PathLike[str], *, title: str,
              scenario_labels: Mapping[str, str] | None = None,
              stem: str = "zan_hectares_carbone") -> dict[str, Path]:
    """Hectares and carbon side by side: one row per scenario (baseline first), on the left
    « Artificialisation (ha/an) » (artificialised up, renatured down, net line), on the right
    « Flux de carbone (tCO₂e/an) » (the scenario's net flow, the baseline dashed).

    ``hectares``: ``scenario, year, artificialised_ha, renatured_ha, net_ha, flux_tCO2e_an``
    (:attr:`espass_geo.runs.scenarios.ScenarioResult.zan_hectares`). Writes ``<stem>.png`` and
    ``<stem>.svg`` in ``out_dir``; returns their paths by file name.
    """
    require(hectares, ZAN_COLUMNS, "hectares")
    if hectares.empty:
        raise ValueError("hectares is empty: no hectare to draw.")
    labels = dict(scenario_labels or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    h = hectares.assign(scenario=hectares["scenario"].astype(str),
                        year=pd.to_numeric(hectares["year"]).astype("int64"))
    order = _scenario_order(h)
    palette = iter(SCENARIO_COLORS * 4)
    colors = {s: BASELINE_COLOR if s == BASELINE else next(palette) for s in order}
    with matplotlib.rc_context(RC):
        fig = _zan_figure(h, order, labels, colors, title)
    return save(fig, out, stem)
