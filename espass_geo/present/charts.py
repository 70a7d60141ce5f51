"""Charts of the scenario trajectories (matplotlib, PNG and SVG for the report).

:func:`scenario_charts` draws, from the territory-level trajectories of the scenario engine:

* ``flux_annuels``: yearly net flow per scenario (baseline dashed grey), ALDO sign convention
  (positive = sequestration);
* ``ecart_cumule``: for each scenario, the cumulated difference to the baseline stacked by lever
  (positive and negative parts stacked separately, so that the signs add up correctly), with the
  net difference as a black line;
* ``stocks``: the territory's carbon stock (tC) per scenario.

and, for the emissions of a territory (:func:`emissions_charts`, :func:`synergy_chart`,
:func:`pollutant_charts`):

* ``emissions_secteurs_postes``: GHG by PCAET sector (direct emissions) and by ESPASS post
  (consumption footprint), one stacked bar each (negative parts, e.g. a land-use sink, stacked
  to the left of 0);
* ``imports_exports``: per post, footprint vs direct emissions allocated to the post, the
  difference labelled "importées" / "exportées";
* ``synergies_ges_air``: the climate / air-quality synergy matrix of the levers (+1 / 0 / −1);
* ``polluants_secteurs``: for each air pollutant, its split by sector (100 % bars).

Conventions (conventions §4.5, §4.8, gotcha 8): French titles and labels, "tendanciel" for the
baseline; every number on an axis is formatted by :func:`espass_geo.present.fmt.fmt_number` (decimal
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
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from espass_geo.present.fmt import fmt_number, fmt_percent, fmt_quantity
from espass_geo.reference import data

__all__ = [
    "BASELINE",
    "BASELINE_LABEL_FR",
    "CAUSE_LABELS_FR",
    "LEVER_LABELS_FR",
    "POST_LABELS_FR",
    "SECTOR_LABELS_FR",
    "SUBSTANCE_LABELS_FR",
    "bilan_waterfall",
    "emissions_charts",
    "french_formatter",
    "lever_label",
    "pollutant_charts",
    "scenario_charts",
    "synergy_chart",
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
    "wood_products": "Produits bois",
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

TRAJ_COLUMNS: tuple[str, ...] = ("scenario", "year", "lever", "flux_tCO2e_an")
DELTA_COLUMNS: tuple[str, ...] = ("scenario", "year", "lever", "cumulative_delta_tCO2e")


# --------------------------------------------------------------------------------------------
# Labels and formatting
# --------------------------------------------------------------------------------------------

@data.factor_cache
def _practice_labels() -> dict[str, str]:
    """``practice id -> label_fr`` of ``factors/practices_aldo.csv`` ({} if unavailable)."""
    try:
        from espass_geo.reference import data

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
    """Tick formatter writing numbers the French way (:func:`espass_geo.present.fmt.fmt_number`).

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

def _require(df: pd.DataFrame, columns: Sequence[str], what: str,
             hint: str = "tables of the scenario engine") -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; expected {list(columns)} "
                       f"({hint}).")


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


# --------------------------------------------------------------------------------------------
# Emissions: GHG by sector and by post, imports / exports, climate–air synergies, pollutants
# --------------------------------------------------------------------------------------------

#: PCAET sectors (direct, "cadastral" emissions of the inventory), in report order.
SECTOR_LABELS_FR: dict[str, str] = {
    "residentiel": "Résidentiel",
    "tertiaire": "Tertiaire",
    "transport_routier": "Transport routier",
    "autres_transports": "Autres transports",
    "agriculture": "Agriculture",
    "dechets": "Déchets",
    "industrie": "Industrie hors branche énergie",
    "branche_energie": "Branche énergie",
}
#: ESPASS posts (consumption footprint of the inhabitants), in report order.
POST_LABELS_FR: dict[str, str] = {
    "alimentation": "Alimentation",
    "biens_consommation": "Biens de consommation",
    "deplacements": "Déplacements",
    "residentiel": "Résidentiel",
    "services": "Services",
    "travaux": "Travaux",
    "utilisation_terres": "Utilisation des terres",
}
#: Substances as written for a reader (Unicode subscripts, decimal comma in PM₂,₅).
SUBSTANCE_LABELS_FR: dict[str, str] = {
    "GES": "GES",
    "NOx": "NOₓ",
    "PM10": "PM₁₀",
    "PM2.5": "PM₂,₅",
    "COVNM": "COVNM",
    "SO2": "SO₂",
    "NH3": "NH₃",
    "CO2": "CO₂",
    "CH4": "CH₄",
    "N2O": "N₂O",
}
#: The six air pollutants of the Bilan ESPASS, in report order.
POLLUTANTS: tuple[str, ...] = ("NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3")
#: Greenhouse gases (left out of the pollutant chart).
_GHG_SUBSTANCES: frozenset[str] = frozenset({"GES", "CO2", "CH4", "N2O"})

#: Warning written on every output built from the demonstration inventory.
ESTIMATE_NOTE_FR: str = ("Inventaire de démonstration : ESTIMATION (totaux Hauts-de-France "
                         "répartis par des indicateurs), pas un inventaire réel.")

#: Colours of the sectors and posts; the same hue for the same activity (Résidentiel,
#: Tertiaire/Services, transports/Déplacements, Agriculture/Alimentation, Industrie/Biens).
SECTOR_COLORS: dict[str, str] = {
    "residentiel": "#d95f02",
    "tertiaire": "#fdae6b",
    "transport_routier": "#2171b5",
    "autres_transports": "#9ecae1",
    "agriculture": "#41ab5d",
    "dechets": "#8c6d31",
    "industrie": "#756bb1",
    "branche_energie": "#525252",
}
POST_COLORS: dict[str, str] = {
    "alimentation": "#41ab5d",
    "biens_consommation": "#756bb1",
    "deplacements": "#2171b5",
    "residentiel": "#d95f02",
    "services": "#fdae6b",
    "travaux": "#bcbddc",
    "utilisation_terres": "#00441b",
}
CONSUMPTION_COLOR: str = "#d95f02"
DIRECT_COLOR: str = "#7f8c9a"
IMPORTED_COLOR: str = "#b2182b"
EXPORTED_COLOR: str = "#2166ac"
ESTIMATE_COLOR: str = "#b2182b"
#: Synergy matrix: +1 (beneficial), 0, −1 (unfavourable).
SYNERGY_COLORS: dict[int, str] = {1: "#4d9f4d", 0: "#d9d9d9", -1: "#d6604d"}
SYNERGY_SYMBOLS: dict[int, str] = {1: "+", 0: "0", -1: "\u2212"}
SYNERGY_LEGEND_FR: dict[int, str] = {
    1: "+1 = bénéfique pour le climat / améliore la qualité de l'air",
    0: "0 = effet neutre ou négligeable",
    -1: "\u22121 = défavorable : augmente les émissions (GES ou polluant)",
}

SECTOR_BAR_FR: str = "Par secteur (PCAET, émissions directes)"
POST_BAR_FR: str = "Par poste (ESPASS, consommation)"
GHG_XLABEL_FR: str = "Émissions de gaz à effet de serre (ktCO₂e/an)"
CONSUMPTION_LABEL_FR: str = "Empreinte de consommation (ESPASS)"
DIRECT_LABEL_FR: str = "Émissions directes du territoire réparties par poste (PCAET)"

_EMISSION_HINT = "one row per category, emissions in tonnes"


def _series_by_category(df: pd.DataFrame, value_col: str, what: str) -> pd.Series:
    """``category -> sum of value_col`` (missing values dropped)."""
    _require(df, ("category", value_col), what, _EMISSION_HINT)
    values = pd.to_numeric(df[value_col], errors="coerce")
    out = values.groupby(df["category"].astype(str), sort=False).sum(min_count=1)
    return out.dropna()


def _ordered(keys: Sequence[str], known: Mapping[str, Any]) -> list[str]:
    """Known keys in the order of ``known``, then the others in order of appearance."""
    keys = list(dict.fromkeys(keys))
    return [k for k in known if k in keys] + [k for k in keys if k not in known]


def _category_colors(keys: Sequence[str], known: Mapping[str, str]) -> dict[str, str]:
    others = iter(OTHER_COLORS * 8)
    return {k: known[k] if k in known else next(others) for k in keys}


def _text_color(background: str) -> str:
    """Dark or white text, whichever reads better on ``background``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(background)
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#ffffff"


def _share(fraction: float) -> str:
    """A share in %, with one decimal below 1 % ("0,2 %" rather than "0 %")."""
    return fmt_percent(fraction, 1 if 0 < abs(fraction) < 0.0095 else 0)


def _kt(value_t: float) -> str:
    """A GHG mass given in tCO₂e, written in ktCO₂e ("1 234 ktCO₂e", "0,52 ktCO₂e")."""
    return fmt_quantity(value_t / 1000.0, "ktCO₂e")


def _footnote(fig: Figure, lines: Sequence[str], *, estimate: bool = False) -> None:
    """Notes under the figure, in grey, the estimate warning first and in red.

    Written with ``fig.text`` in a band reserved at the bottom of the constrained layout
    (``rect``), so that they never overlap the axes or the figure legends."""
    rows = [(ESTIMATE_NOTE_FR, ESTIMATE_COLOR, "bold")] if estimate else []
    rows += [(line, "#444444", "normal") for line in lines]
    if not rows:
        return
    line_h = 7.5 * 1.45 / 72.0 / fig.get_figheight()  # one 7.5 pt line, in figure fraction
    band = line_h * len(rows) + 0.012
    fig.get_layout_engine().set(rect=(0.0, band, 1.0, 1.0 - band))
    for k, (text, color, weight) in enumerate(rows):
        fig.text(0.012, band - 0.006 - k * line_h, text, ha="left", va="top", fontsize=7.5,
                 color=color, fontweight=weight)


def _crosswalk(crosswalk: pd.DataFrame | None) -> tuple[pd.DataFrame, str]:
    """``sector, post, share`` allocating the direct emissions to the posts, and its source."""
    if crosswalk is None:
        crosswalk = data.factor_table("sector_post_crosswalk")
        source = "factors/sector_post_crosswalk.csv"
    else:
        source = "table de correspondance fournie"
    _require(crosswalk, ("sector", "post", "share"), "crosswalk",
             "shares of each PCAET sector allocated to the ESPASS posts")
    cw = pd.DataFrame({"sector": crosswalk["sector"].astype(str),
                       "post": crosswalk["post"].astype(str),
                       "share": pd.to_numeric(crosswalk["share"], errors="coerce")})
    return cw.dropna(subset=["share"]), source


def _allocate(by_sector: pd.Series, cw: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """Direct emissions per post (sector totals × shares) and the sectors left unallocated."""
    m = cw[cw["sector"].isin(by_sector.index)]
    alloc = (m["share"] * m["sector"].map(by_sector)).groupby(m["post"], sort=False).sum()
    unallocated = [s for s in by_sector.index if s not in set(cw["sector"]) and by_sector[s]]
    return alloc, unallocated


def _emission_bar(ax: Any, y: float, items: Sequence[tuple[str, float]],
                  colors: Mapping[str, str], *, height: float, span: float) -> tuple[float, float]:
    """One horizontal bar stacked by category (kt): positives from 0 to the right, negatives
    from 0 to the left; the share of the positive total written in wide enough segments."""
    pos = sum(v for _, v in items if v > 0)
    left_pos = left_neg = 0.0
    for cat, v in items:
        if v == 0:
            continue
        left = left_pos if v > 0 else left_neg
        ax.barh(y, v, left=left, height=height, color=colors[cat], edgecolor="white",
                linewidth=0.8, zorder=3)
        if abs(v) >= 0.055 * span and v > 0 and pos > 0:
            ax.text(left + v / 2, y, fmt_percent(v / pos, 0), ha="center", va="center",
                    fontsize=7.5, color=_text_color(colors[cat]), zorder=4)
        if v > 0:
            left_pos += v
        else:
            left_neg += v
    return left_pos, left_neg


def _legend_items(values: pd.Series, order: Sequence[str], labels: Mapping[str, str],
                  colors: Mapping[str, str]) -> list[Patch]:
    pos = float(values[values > 0].sum())
    handles = []
    for cat in order:
        v = float(values[cat])
        text = f"{labels.get(cat, cat)}\u00a0: {_kt(v)}"
        if v > 0 and pos > 0:
            text += f" ({_share(v / pos)})"
        elif v < 0:
            text += " (séquestration nette)"
        handles.append(Patch(facecolor=colors[cat], edgecolor="none", label=text))
    return handles


def _sector_post_figure(sectors: pd.Series, posts: pd.Series, title: str,
                        estimate: bool) -> Figure:
    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.0, 1.05])
    ax = fig.add_subplot(grid[0, :])
    leg_axes = [fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])]
    s_order = _ordered(list(sectors.index), SECTOR_LABELS_FR)
    p_order = _ordered(list(posts.index), POST_LABELS_FR)
    s_colors = _category_colors(s_order, SECTOR_COLORS)
    p_colors = _category_colors(p_order, POST_COLORS)
    skt = sectors / 1000.0
    pkt = posts / 1000.0
    hi = max(float(skt[skt > 0].sum()), float(pkt[pkt > 0].sum()), 0.0)
    lo = min(float(skt[skt < 0].sum()), float(pkt[pkt < 0].sum()), 0.0)
    span = (hi - lo) or 1.0
    bars = [(1.0, SECTOR_BAR_FR, skt, s_order, s_colors), (0.0, POST_BAR_FR, pkt, p_order,
                                                            p_colors)]
    for y, heading, values, order, colors in bars:
        items = [(c, float(values[c])) for c in order]
        top, bottom = _emission_bar(ax, y, items, colors, height=0.5, span=span)
        net = top + bottom
        if bottom < 0:
            # the net total, under the bar (a mark on the bar would hide a share label)
            ax.plot([net], [y - 0.31], marker="^", color="#111111", markersize=6,
                    clip_on=False, zorder=5)
            total = f"Total net\u00a0: {fmt_quantity(net, 'ktCO₂e/an')}"
        else:
            total = f"Total\u00a0: {fmt_quantity(net, 'ktCO₂e/an')}"
        ax.text(top + 0.012 * span, y, total, ha="left", va="center", fontsize=8.5,
                fontweight="bold", zorder=4)
        ax.text(0.004 * span, y + 0.3, heading, ha="left", va="bottom", fontsize=9.5,
                fontweight="bold")
    if lo < 0:
        ax.axvline(0.0, color="#222222", linewidth=0.8, zorder=4)
    ax.set_xlim(lo - 0.02 * span, hi + 0.26 * span)
    ax.set_ylim(-0.45, 1.72)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(french_formatter())
    ax.set_xlabel(GHG_XLABEL_FR)
    for lax, heading, values, order, colors, labels in (
            (leg_axes[0], "Secteurs PCAET", skt * 1000.0, s_order, s_colors, SECTOR_LABELS_FR),
            (leg_axes[1], "Postes ESPASS", pkt * 1000.0, p_order, p_colors, POST_LABELS_FR)):
        lax.set_axis_off()
        if order:
            lax.legend(handles=_legend_items(values, order, labels, colors), title=heading,
                       loc="upper left", frameon=False, alignment="left",
                       title_fontproperties={"weight": "bold", "size": 8.5})
        else:
            lax.text(0.0, 1.0, f"{heading}\u00a0: aucune donnée", va="top", color="#555555")
    fig.suptitle(f"{title}\nÉmissions de GES : directes par secteur et empreinte par poste",
                 fontsize=11, fontweight="bold")
    notes = ["Direct (PCAET) : émis sur le territoire ; empreinte (ESPASS) : liée à la "
             "consommation des habitants, où que les émissions aient lieu."]
    if (pkt < 0).any():
        notes.append("Poste négatif (à gauche de 0) : séquestration nette, déduite du total "
                     "(▲ : total net).")
    _footnote(fig, notes, estimate=estimate)
    return fig


def _imports_figure(sectors: pd.Series, posts: pd.Series, crosswalk: pd.DataFrame | None,
                    title: str, estimate: bool) -> Figure:
    cw, source = _crosswalk(crosswalk)
    direct, unallocated = _allocate(sectors, cw)
    keys = [k for k in _ordered([*posts.index, *direct.index], POST_LABELS_FR)
            if k != "utilisation_terres"]
    fig, axes = _new_figure()
    ax = axes[0, 0]
    if not keys:
        _no_data(ax, "Aucun poste à comparer")
    cons = np.array([float(posts.get(k, 0.0)) for k in keys]) / 1000.0
    dirs = np.array([float(direct.get(k, 0.0)) for k in keys]) / 1000.0
    y = np.arange(len(keys))[::-1].astype(float)
    h = 0.38
    ax.barh(y + h / 2, cons, h, color=CONSUMPTION_COLOR, label=CONSUMPTION_LABEL_FR, zorder=3)
    ax.barh(y - h / 2, dirs, h, color=DIRECT_COLOR, label=DIRECT_LABEL_FR, zorder=3)
    top = float(max(cons.max(initial=0.0), dirs.max(initial=0.0))) or 1.0
    for yi, c, d in zip(y, cons, dirs, strict=True):
        diff = c - d
        text = fmt_quantity(abs(diff), "ktCO₂e")
        if not any(ch in "123456789" for ch in text):
            label, color = "équilibre", "#444444"
        elif diff > 0:
            label, color = f"{text} importées", IMPORTED_COLOR
        else:
            label, color = f"{text} exportées", EXPORTED_COLOR
        ax.text(max(c, d, 0.0) + 0.015 * top, yi, label, ha="left", va="center", fontsize=8.5,
                fontweight="bold", color=color, zorder=4)
    ax.set_yticks(y, [POST_LABELS_FR.get(k, k) for k in keys])
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0.0, top * 1.42)
    ax.xaxis.set_major_formatter(french_formatter())
    ax.set_xlabel(GHG_XLABEL_FR)
    tc, td = float(cons.sum()) * 1000.0, float(dirs.sum()) * 1000.0
    diff = tc - td
    verdict = "importées" if diff > 0 else "exportées"
    ax.set_title(f"Ensemble des postes comparés\u00a0: empreinte {_kt(tc)}, émissions "
                 f"directes {_kt(td)}\nsolde\u00a0: {_kt(abs(diff))} {verdict}", loc="left",
                 fontsize=9)
    # under the axis label (an axes legend: kept inside by the constrained layout, above the
    # notes band of _footnote)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, frameon=False)
    fig.suptitle(f"{title}\nÉmissions importées et exportées, par poste", fontsize=11,
                 fontweight="bold")
    notes = ["Importées : l'empreinte du poste dépasse les émissions du territoire qui lui "
             "sont attribuées (produites ailleurs) ; exportées : l'inverse.",
             f"Émissions directes réparties entre postes\u00a0: {source}."]
    if unallocated:
        notes.append("Secteurs non répartis : "
                     + ", ".join(SECTOR_LABELS_FR.get(s, s) for s in unallocated) + ".")
    if "utilisation_terres" in posts.index:
        notes.append("Utilisation des terres : hors comparaison (aucun secteur PCAET "
                     "correspondant).")
    _footnote(fig, notes, estimate=estimate)
    return fig


def emissions_charts(by_sector: pd.DataFrame, by_post: pd.DataFrame,
                     out_dir: str | os.PathLike[str], *, title: str, estimate: bool = False,
                     crosswalk: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the GHG charts of a territory (PNG 1200 × 700 px at 150 dpi, and SVG).

    * ``emissions_secteurs_postes``: one stacked horizontal bar "Par secteur (PCAET,
      émissions directes)" and one "Par poste (ESPASS, consommation)", in ktCO₂e/an, with
      the share of each part and a legend giving each value. A negative post (e.g.
      ``utilisation_terres``, net sequestration) is stacked to the left of 0 and the net
      total is marked by a black triangle under the bar.
    * ``imports_exports``: per post (``utilisation_terres`` excepted), the footprint and the
      direct emissions allocated to the post, side by side, with the difference labelled
      "importées" (footprint > direct) or "exportées".

    Parameters
    ----------
    by_sector
        ``category, emission_tCO2e``: territory GHG per PCAET sector (tCO₂e/an).
    by_post
        ``category, emission_tCO2e``: consumption-based GHG per ESPASS post (tCO₂e/an);
        ``utilisation_terres`` may be negative (net sequestration).
    out_dir
        Output folder (created if needed).
    title
        Figure title (e.g. the territory's name).
    estimate
        The inventory is the demonstration estimate: :data:`ESTIMATE_NOTE_FR` is written
        under each figure.
    crosswalk
        ``sector, post, share`` used to allocate the direct emissions to the posts; by
        default ``factors/sector_post_crosswalk.csv``. The source is written under the figure.

    Returns
    -------
    dict
        ``{"emissions_secteurs_postes.png": Path, "emissions_secteurs_postes.svg": ...,
        "imports_exports.png": ..., "imports_exports.svg": ...}``.
    """
    sectors = _series_by_category(by_sector, "emission_tCO2e", "by_sector")
    posts = _series_by_category(by_post, "emission_tCO2e", "by_post")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    with matplotlib.rc_context(_RC):
        figures = {
            "emissions_secteurs_postes": _sector_post_figure(sectors, posts, title, estimate),
            "imports_exports": _imports_figure(sectors, posts, crosswalk, title, estimate),
        }
    for stem, fig in figures.items():
        paths.update(_save(fig, out, stem))
    return paths


def _synergy_row_label(scope: Any, item: Any, lever: Any, width: int = 62) -> str:
    """``"<Post or sector> — <lever_fr>"``, wrapped. The post or sector is ``item`` itself or
    one of its ``:``-separated parts (``energy:residentiel:heat_pump`` → Résidentiel); no
    prefix when none is known or when ``lever_fr`` already starts with its first word."""
    import textwrap

    lever_text = "" if pd.isna(lever) else str(lever).strip()
    item_text = "" if pd.isna(item) else str(item)
    scope_text = "" if pd.isna(scope) else str(scope)
    known = (POST_LABELS_FR if scope_text.startswith("post") else
             SECTOR_LABELS_FR if scope_text.startswith("sector") else
             {**SECTOR_LABELS_FR, **POST_LABELS_FR})
    item_label = next((known[part] for part in [item_text, *item_text.split(":")]
                       if part in known), "")
    first_word = item_label.split(" ")[0].casefold()
    if item_label and not lever_text.casefold().startswith(first_word):
        text = f"{item_label} — {lever_text}" if lever_text else item_label
    else:
        text = lever_text or item_label or item_text
    return "\n".join(textwrap.wrap(text, width)) or "–"


#: Headings of the groups of rows of the synergy matrix (``scope`` column).
SYNERGY_SCOPES_FR: dict[str, str] = {
    "post": "Postes ESPASS",
    "sector": "Secteurs PCAET",
    "lever": "Leviers",
}


def synergy_chart(table: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                  title: str) -> dict[str, Path]:
    """Write the climate / air-quality synergy matrix ``synergies_ges_air`` (PNG and SVG).

    One row per lever (label: ``lever_fr``, prefixed by the post or sector when ``item`` is
    one and the text does not already name it), one column "Climat" (``ghg_effect``) and one
    per pollutant (under a "Qualité de l'air" heading). Cells: green "+" (+1, beneficial:
    fewer emissions), grey "0", red "−" (−1, unfavourable); a missing value is a white "?".
    When the table has several ``scope`` values, its rows are grouped under headings
    ("Postes ESPASS", "Leviers"…), in order of first appearance.

    Parameters
    ----------
    table
        ``scope, item, lever_fr, ghg_effect, NOx, PM10, PM2.5, COVNM, SO2, NH3`` with values
        −1, 0 or +1 (only the sign counts), e.g. ``factors/ghg_air_synergies.csv``.
    out_dir
        Output folder (created if needed).
    title
        Figure title.

    Returns
    -------
    dict
        ``{"synergies_ges_air.png": Path, "synergies_ges_air.svg": Path}``.
    """
    columns = ("scope", "item", "lever_fr", "ghg_effect", *POLLUTANTS)
    _require(table, columns, "table", "one row per lever, effects −1 / 0 / +1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    effects = ["ghg_effect", *POLLUTANTS]
    headers = ["Climat", *(SUBSTANCE_LABELS_FR[p] for p in POLLUTANTS)]
    values = table[effects].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    scopes = table["scope"].astype("string").fillna("").to_numpy()
    # rows grouped by scope (groups in order of first appearance), a heading before each
    # group when there are several
    groups = list(dict.fromkeys(scopes))
    rows: list[tuple[str, int | None]] = []  # (label, row of table; None = heading)
    for scope in groups:
        if len(groups) > 1:
            rows.append((SYNERGY_SCOPES_FR.get(str(scope), str(scope) or "Autres"), None))
        for i in np.flatnonzero(scopes == scope):
            r = table.iloc[int(i)]
            rows.append((_synergy_row_label(r["scope"], r["item"], r["lever_fr"]), int(i)))
    n = len(rows)
    lines = sum(label.count("\n") + 1 for label, _ in rows)
    height = max(3.4, 2.1 + 0.19 * lines + 0.1 * n)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(FIGSIZE_IN[0], height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        if n == 0:
            _no_data(ax, "Aucun levier dans la table")
        for y, (_label, i) in enumerate(rows):
            if i is None:
                continue
            for j in range(len(effects)):
                v = values[i, j]
                if math.isfinite(v):
                    k = int(np.sign(v))
                    face, symbol = SYNERGY_COLORS[k], SYNERGY_SYMBOLS[k]
                else:
                    face, symbol = "#ffffff", "?"
                ax.add_patch(Rectangle((j, y), 1, 1, facecolor=face, edgecolor="white",
                                       linewidth=1.5))
                ax.text(j + 0.5, y + 0.5, symbol, ha="center", va="center", fontsize=10.5,
                        fontweight="bold", color=_text_color(face))
        if n:
            ncol = len(effects)
            ax.set_xlim(0, ncol)
            ax.set_ylim(n, 0)
            ax.set_aspect("auto")
            ax.axvline(1.0, color="#333333", linewidth=1.4)  # climate | air quality
            ax.xaxis.tick_top()
            ax.set_xticks(np.arange(ncol) + 0.5, headers, fontweight="bold")
            ax.set_yticks(np.arange(n) + 0.5, [label for label, _ in rows], fontsize=8)
            for tick, (_label, i) in zip(ax.get_yticklabels(), rows, strict=True):
                if i is None:
                    tick.set_fontweight("bold")
                    tick.set_fontsize(9)
            ax.tick_params(length=0)
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
            sec = ax.secondary_xaxis("top")
            sec.set_xticks([0.5, (1 + ncol) / 2], ["", "Qualité de l'air (polluants)"],
                           fontsize=8.5, color="#444444")
            sec.tick_params(length=0, pad=16)
            sec.spines["top"].set_visible(False)
        handles = [Patch(facecolor=SYNERGY_COLORS[k], edgecolor="none",
                         label=SYNERGY_LEGEND_FR[k]) for k in (1, 0, -1)]
        fig.legend(handles=handles, loc="outside lower center", ncols=1, frameon=False)
        fig.suptitle(f"{title}\nEffet de chaque levier sur le climat et sur la qualité de "
                     "l'air", fontsize=11, fontweight="bold")
    return _save(fig, out, "synergies_ges_air")


def pollutant_charts(by_sector_pollutants: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                     title: str) -> dict[str, Path]:
    """Write ``polluants_secteurs`` (PNG 1200 × 700 px at 150 dpi, and SVG): for each air
    pollutant, its split by PCAET sector (100 % stacked horizontal bars), the territory
    total (t/an) under the pollutant's name.

    Parameters
    ----------
    by_sector_pollutants
        ``category`` (sector), ``substance``, ``emission_t`` (t/an). Greenhouse gases (GES,
        CO2, CH4, N2O) are left out; pollutants in the order of :data:`POLLUTANTS`, others
        after them.
    out_dir
        Output folder (created if needed).
    title
        Figure title.

    Returns
    -------
    dict
        ``{"polluants_secteurs.png": Path, "polluants_secteurs.svg": Path}``.
    """
    df = by_sector_pollutants
    _require(df, ("category", "substance", "emission_t"), "by_sector_pollutants",
             _EMISSION_HINT)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    d = pd.DataFrame({"category": df["category"].astype(str),
                      "substance": df["substance"].astype(str),
                      "t": pd.to_numeric(df["emission_t"], errors="coerce").clip(lower=0.0)})
    d = d[~d["substance"].isin(_GHG_SUBSTANCES)]
    wide = d.pivot_table(index="substance", columns="category", values="t", aggfunc="sum",
                         fill_value=0.0)
    subs = _ordered(list(wide.index), {p: None for p in POLLUTANTS})
    cats = [c for c in _ordered(list(wide.columns), SECTOR_LABELS_FR)
            if float(wide[c].sum()) > 0]
    colors = _category_colors(cats, SECTOR_COLORS)
    with matplotlib.rc_context(_RC):
        fig, axes = _new_figure()
        ax = axes[0, 0]
        if not subs:
            _no_data(ax, "Aucun polluant dans la table")
        y = np.arange(len(subs))[::-1].astype(float)
        totals = wide.reindex(index=subs).sum(axis=1) if subs else pd.Series(dtype=float)
        left = np.zeros(len(subs))
        for cat in cats:
            v = wide.reindex(index=subs)[cat].to_numpy(dtype=float)
            share = np.divide(v, totals.to_numpy(), out=np.zeros_like(v),
                              where=totals.to_numpy() > 0) * 100.0
            ax.barh(y, share, left=left, height=0.66, color=colors[cat], edgecolor="white",
                    linewidth=0.6, label=SECTOR_LABELS_FR.get(cat, cat), zorder=3)
            for yi, lft, sh in zip(y, left, share, strict=True):
                if sh >= 6.0:
                    ax.text(lft + sh / 2, yi, fmt_percent(sh / 100.0, 0), ha="center",
                            va="center", fontsize=7.5, color=_text_color(colors[cat]),
                            zorder=4)
            left += share
        for yi, s in zip(y, subs, strict=True):
            if float(totals[s]) <= 0:
                ax.text(1.0, yi, "aucune émission", va="center", fontsize=8, color="#555555")
        ax.set_yticks(y, [f"{SUBSTANCE_LABELS_FR.get(s, s)}\n{fmt_quantity(totals[s], 't/an')}"
                          for s in subs])
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0.0, 100.0)
        ax.xaxis.set_major_locator(MultipleLocator(25))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos=None: fmt_percent(x / 100.0, 0)))
        ax.set_xlabel("Part des émissions du territoire")
        if cats:
            fig.legend(handles=[Patch(facecolor=colors[c], edgecolor="none",
                                      label=SECTOR_LABELS_FR.get(c, c)) for c in cats],
                       loc="outside lower center", ncols=min(4, len(cats)), frameon=False)
        ax.set_title("Part de chaque secteur dans les émissions du territoire ; sous chaque "
                     "polluant, son total", loc="left", fontsize=9)
        fig.suptitle(f"{title}\nPolluants atmosphériques : répartition par secteur",
                     fontsize=11, fontweight="bold")
    return _save(fig, out, "polluants_secteurs")


# --------------------------------------------------------------------------------------------
# Net balance of the territory: waterfall from the bilan table
# --------------------------------------------------------------------------------------------

#: Causes of the carbon flows (``category`` of the ``flux_carbone`` rows of the bilan).
CAUSE_LABELS_FR: dict[str, str] = {
    "land_use_change": "Changements d'occupation des sols",
    "forest_growth": "Croissance forestière",
    "wood_products": "Produits bois",
    "hedges": "Haies",
    "practices": "Pratiques agricoles",
    "practice": "Pratiques agricoles",
}
WATERFALL_EMISSION_COLOR: str = "#c8553d"
WATERFALL_SINK_COLOR: str = "#1b7837"
WATERFALL_NET_COLOR: str = "#1d4e89"
WATERFALL_XLABEL_FR: str = "ktCO₂e/an"
#: ``zone_id`` of the territory rows of the bilan.
BILAN_TOTAL_ZONE: str = "TOTAL"


def _bilan_territory(bilan: pd.DataFrame, theme: str) -> pd.DataFrame:
    """``category, value, estimate`` of one theme for the territory: the ``TOTAL`` rows, else
    the zones summed; emissions themes keep the GHG rows (``item == "GES"`` if present)."""
    t = bilan[bilan["theme"].astype(str) == theme]
    total = t[t["zone_id"].astype(str) == BILAN_TOTAL_ZONE]
    t = total if len(total) else t
    if theme.startswith("emissions") and len(t):
        item = t["item"].astype(str)
        t = t[item == "GES"] if (item == "GES").any() else t[
            t["unit"].astype(str).str.startswith("tCO2e")]
    est = (t["estimate"].fillna(False).astype(bool) if "estimate" in t.columns
           else pd.Series(False, index=t.index))
    d = pd.DataFrame({"category": t["category"].astype(str),
                      "value": pd.to_numeric(t["value"], errors="coerce"), "estimate": est})
    return d.groupby("category", sort=False, as_index=False).agg(
        value=("value", lambda s: s.sum(min_count=1)), estimate=("estimate", "any")).dropna(
        subset=["value"])


def _waterfall_steps(bilan: pd.DataFrame) -> tuple[list[tuple[str, float, str]], bool, int]:
    """``[(label, tCO2e/an, kind)]`` (kind: emission | sink | net), the estimate flag and the
    number of post steps (the carbon-flow steps follow them)."""
    posts = _bilan_territory(bilan, "emissions_poste")
    land_post = posts[posts["category"] == "utilisation_terres"]
    posts = posts[posts["category"] != "utilisation_terres"]
    flows = _bilan_territory(bilan, "flux_carbone")
    steps: list[tuple[str, float, str]] = []
    by_post = posts.set_index("category")["value"]
    for post in _ordered(list(by_post.index), POST_LABELS_FR):
        v = float(by_post[post])
        steps.append((POST_LABELS_FR.get(post, post), v, "emission" if v >= 0 else "sink"))
    n_posts = len(steps)
    if len(flows):
        by_cause = flows.set_index("category")["value"]
        for cause in _ordered(list(by_cause.index), CAUSE_LABELS_FR):
            v = -float(by_cause[cause])  # ALDO: + = séquestration → reduces the balance
            steps.append((CAUSE_LABELS_FR.get(cause, cause), v,
                          "sink" if v < 0 else "emission"))
    elif len(land_post):
        v = float(land_post["value"].sum())  # already in the emission convention
        steps.append((POST_LABELS_FR.get("utilisation_terres", "Utilisation des terres"), v,
                      "sink" if v < 0 else "emission"))
    if steps:
        steps.append(("Bilan net", float(sum(s[1] for s in steps)), "net"))
    estimate = bool(pd.concat([posts, flows, land_post])["estimate"].any()) if steps else False
    return steps, estimate, n_posts


def bilan_waterfall(bilan: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                    title: str) -> dict[str, Path]:
    """Write ``bilan_cascade`` (PNG 1200 × 700 px at 150 dpi, and SVG): the territory's net
    balance as a waterfall, in ktCO₂e/an.

    The consumption emissions of the ESPASS posts (``emissions_poste`` without
    ``utilisation_terres``) rise as positive bars; then the carbon flows of soils and biomass
    (``flux_carbone``, one bar per cause, sign flipped: a sequestration is a negative bar that
    lowers the balance; without flows, the ``utilisation_terres`` post); the last bar is the
    net balance (emission convention: positive = the territory emits more than it stores).
    Territory rows (``zone_id == "TOTAL"``) are used, else the zones are summed.

    Worked example: posts 300 + 100 ktCO₂e/an, forest growth +60 (séquestration) and land-use
    change −10 (emission) in the ALDO convention → bars +300, +100, −60, +10, net 350.

    Returns
    -------
    dict
        ``{"bilan_cascade.png": Path, "bilan_cascade.svg": Path}``.
    """
    _require(bilan, ("zone_id", "theme", "category", "item", "value", "unit"), "bilan",
             "the tidy bilan table of espass_geo.present.report")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps, estimate, n_posts = _waterfall_steps(bilan)

    with matplotlib.rc_context(_RC):
        fig, axes = _new_figure()
        ax = axes[0, 0]
        if not steps:
            _no_data(ax, "Ni émissions de consommation ni flux de carbone dans le bilan")
        else:
            # horizontal waterfall: the French labels stay readable on one line each
            kt = [v / 1000.0 for _, v, _ in steps]
            top = max(abs(v) for v in kt) or 1.0
            decimals = 0 if top >= 100 else 1 if top >= 10 else 2
            colors = {"emission": WATERFALL_EMISSION_COLOR, "sink": WATERFALL_SINK_COLOR,
                      "net": WATERFALL_NET_COLOR}
            y = np.arange(len(steps), dtype=float)[::-1]
            ends = np.cumsum(kt[:-1])
            lo_x = min(float(ends.min()), kt[-1], 0.0)
            hi_x = max(float(ends.max()), kt[-1], 0.0)
            span = max(hi_x - lo_x, 1e-9)
            pad = 0.01 * span
            running = 0.0
            height = 0.62
            for i, ((_label, _v, kind), value) in enumerate(zip(steps, kt, strict=True)):
                start = 0.0 if kind == "net" else running
                ax.barh(y[i], value, left=start, height=height, color=colors[kind],
                        edgecolor="white", linewidth=0.6, zorder=3)
                end = start + value
                text = fmt_number(value, decimals)
                if kind != "net" and value > 0 and text.strip("0,") != "":
                    text = "+" + text
                right = value >= 0
                ax.text(max(start, end) + pad if right else min(start, end) - pad, y[i], text,
                        ha="left" if right else "right", va="center", fontsize=8,
                        fontweight="bold" if kind == "net" else "normal", color="#222222",
                        zorder=4)
                if kind != "net":
                    running = end
                    if i + 1 < len(steps):  # connector to the next bar
                        ax.plot([running, running], [y[i] - height / 2, y[i + 1] + height / 2],
                                color="#8a8a8a", linewidth=0.7, linestyle=(0, (2, 2)),
                                zorder=2)
            ax.axhline(y[-1] + 0.5, color="#bbbbbb", linewidth=0.8, zorder=1)
            ax.axvline(0.0, color="#222222", linewidth=0.8, zorder=1.5)
            ax.set_yticks(y, [label for label, _, _ in steps])
            for tick, (_, _, kind) in zip(ax.get_yticklabels(), steps, strict=True):
                if kind == "net":
                    tick.set_fontweight("bold")
            ax.tick_params(axis="y", length=0)
            ax.grid(axis="y", visible=False)
            ax.xaxis.set_major_formatter(french_formatter())
            ax.set_xlabel(WATERFALL_XLABEL_FR)
            n_land = sum(1 for _, _, k in steps[:-1]) - n_posts
            if n_land > 0 and n_posts > 0:  # the carbon-flow rows, on a light green band
                y_top = y[n_posts] + 0.5
                ax.axhspan(y[-1] + 0.5, y_top, color="#eef6ee", zorder=0.5, linewidth=0)
                ax.text(0.008, y_top - 0.08, "Carbone des sols et forêts", ha="left",
                        va="top", fontsize=7.5, style="italic", color="#1b7837",
                        transform=ax.get_yaxis_transform(), zorder=4)
            ax.set_xlim(lo_x - (0.1 * span if lo_x < 0 else 0.0), hi_x + 0.1 * span)
            ax.set_ylim(-0.6, len(steps) - 0.4)
            handles = [Patch(facecolor=colors["emission"], label="Émission : s'ajoute au bilan"),
                       Patch(facecolor=colors["sink"],
                             label="Séquestration : se retranche du bilan"),
                       Patch(facecolor=colors["net"], label="Bilan net")]
            ax.legend(handles=handles, loc="upper right", frameon=True, framealpha=0.95)
        ax.set_title("ktCO₂e/an — positif = émission, négatif = séquestration", loc="left",
                     fontsize=9)
        fig.suptitle(f"{title}\nBilan net : émissions de consommation − séquestration des sols "
                     "et forêts", fontsize=11, fontweight="bold")
        _footnote(fig, ["Postes ESPASS : empreinte de consommation des habitants. Flux de carbone "
                        "des sols et de la biomasse : méthode ALDO (positif = séquestration),",
                        "comptés ici avec le signe inversé : une séquestration réduit le bilan."],
                  estimate=estimate)
    return _save(fig, out, "bilan_cascade")
