"""Charts of the GHG emissions of a territory (emissions_secteurs_postes, imports_exports).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from espass_geo.present.charts.base import (
    DPI,
    FIGSIZE_IN,
    RC,
    category_colors,
    footnote,
    french_formatter,
    new_figure,
    no_data,
    ordered,
    require,
    save,
    text_color,
)
from espass_geo.present.fmt import fmt_percent, fmt_quantity
from espass_geo.present.vocabulary import POST_LABELS_FR, SECTOR_LABELS_FR
from espass_geo.reference import data

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

SECTOR_BAR_FR: str = "Par secteur (PCAET, émissions directes)"
POST_BAR_FR: str = "Par poste (ESPASS, consommation)"
GHG_XLABEL_FR: str = "Émissions de gaz à effet de serre (ktCO₂e/an)"
CONSUMPTION_LABEL_FR: str = "Empreinte de consommation (ESPASS)"
DIRECT_LABEL_FR: str = "Émissions directes du territoire réparties par poste (PCAET)"

EMISSION_HINT = "one row per category, emissions in tonnes"


def _series_by_category(df: pd.DataFrame, value_col: str, what: str) -> pd.Series:
    """``category -> sum of value_col`` (missing values dropped)."""
    require(df, ("category", value_col), what, EMISSION_HINT)
    values = pd.to_numeric(df[value_col], errors="coerce")
    out = values.groupby(df["category"].astype(str), sort=False).sum(min_count=1)
    return out.dropna()



def _share(fraction: float) -> str:
    """A share in %, with one decimal below 1 % ("0,2 %" rather than "0 %")."""
    return fmt_percent(fraction, 1 if 0 < abs(fraction) < 0.0095 else 0)


def _kt(value_t: float) -> str:
    """A GHG mass given in tCO₂e, written in ktCO₂e ("1 234 ktCO₂e", "0,52 ktCO₂e")."""
    return fmt_quantity(value_t / 1000.0, "ktCO₂e")



def _crosswalk(crosswalk: pd.DataFrame | None) -> tuple[pd.DataFrame, str]:
    """``sector, post, share`` allocating the direct emissions to the posts, and its source."""
    if crosswalk is None:
        crosswalk = data.factor_table("sector_post_crosswalk")
        source = "correspondance secteurs PCAET → postes ESPASS livrée avec espass_geo"
    else:
        source = "table de correspondance fournie"
    require(crosswalk, ("sector", "post", "share"), "crosswalk",
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
                    fontsize=7.5, color=text_color(colors[cat]), zorder=4)
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
    s_order = ordered(list(sectors.index), SECTOR_LABELS_FR)
    p_order = ordered(list(posts.index), POST_LABELS_FR)
    s_colors = category_colors(s_order, SECTOR_COLORS)
    p_colors = category_colors(p_order, POST_COLORS)
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
    footnote(fig, notes, estimate=estimate)
    return fig


def _imports_figure(sectors: pd.Series, posts: pd.Series, crosswalk: pd.DataFrame | None,
                    title: str, estimate: bool) -> Figure:
    cw, source = _crosswalk(crosswalk)
    direct, unallocated = _allocate(sectors, cw)
    keys = [k for k in ordered([*posts.index, *direct.index], POST_LABELS_FR)
            if k != "utilisation_terres"]
    fig, axes = new_figure()
    ax = axes[0, 0]
    if not keys:
        no_data(ax, "Aucun poste à comparer")
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
    # notes band of footnote)
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
    footnote(fig, notes, estimate=estimate)
    return fig


def emissions_charts(by_sector: pd.DataFrame, by_post: pd.DataFrame,
                     out_dir: str | os.PathLike[str], *, title: str, estimate: bool = False,
                     crosswalk: pd.DataFrame | None = None, svg: bool = True
                     ) -> dict[str, Path]:
    """Write the GHG charts of a territory (PNG 1200 × 700 px at 150 dpi, and SVG unless
    ``svg=False``).

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
    with matplotlib.rc_context(RC):
        figures = {
            "emissions_secteurs_postes": _sector_post_figure(sectors, posts, title, estimate),
            "imports_exports": _imports_figure(sectors, posts, crosswalk, title, estimate),
        }
    for stem, fig in figures.items():
        paths.update(save(fig, out, stem, svg=svg))
    return paths

