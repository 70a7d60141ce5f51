"""Air-quality charts: the climate / air synergy matrix and the pollutants by sector.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MultipleLocator

from espass_geo.present.charts.base import (
    DPI,
    FIGSIZE_IN,
    RC,
    category_colors,
    new_figure,
    no_data,
    ordered,
    require,
    save,
    text_color,
)
from espass_geo.present.charts.emissions import EMISSION_HINT, SECTOR_COLORS
from espass_geo.present.fmt import fmt_percent, fmt_quantity
from espass_geo.present.vocabulary import POST_LABELS_FR, SECTOR_LABELS_FR, SUBSTANCE_LABELS_FR

#: The six air pollutants of the Bilan ESPASS, in report order.
POLLUTANTS: tuple[str, ...] = ("NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3")
#: Greenhouse gases (left out of the pollutant chart).
_GHG_SUBSTANCES: frozenset[str] = frozenset({"GES", "CO2", "CH4", "N2O"})

#: Synergy matrix: +1 (beneficial), 0, −1 (unfavourable).
SYNERGY_COLORS: dict[int, str] = {1: "#4d9f4d", 0: "#d9d9d9", -1: "#d6604d"}
SYNERGY_SYMBOLS: dict[int, str] = {1: "+", 0: "0", -1: "\u2212"}
SYNERGY_LEGEND_FR: dict[int, str] = {
    1: "+1 = bénéfique pour le climat / améliore la qualité de l'air",
    0: "0 = effet neutre ou négligeable",
    -1: "\u22121 = défavorable : augmente les émissions (GES ou polluant)",
}


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
                  title: str, svg: bool = True) -> dict[str, Path]:
    """Write the climate / air-quality synergy matrix ``synergies_ges_air`` (PNG, and SVG
    unless ``svg=False``).

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
    require(table, columns, "table", "one row per lever, effects −1 / 0 / +1")
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
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(FIGSIZE_IN[0], height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        if n == 0:
            no_data(ax, "Aucun levier dans la table")
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
                        fontweight="bold", color=text_color(face))
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
    return save(fig, out, "synergies_ges_air", svg=svg)


def pollutant_charts(by_sector_pollutants: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                     title: str, svg: bool = True) -> dict[str, Path]:
    """Write ``polluants_secteurs`` (PNG 1200 × 700 px at 150 dpi, and SVG unless
    ``svg=False``): for each air
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
    require(df, ("category", "substance", "emission_t"), "by_sector_pollutants",
             EMISSION_HINT)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    d = pd.DataFrame({"category": df["category"].astype(str),
                      "substance": df["substance"].astype(str),
                      "t": pd.to_numeric(df["emission_t"], errors="coerce").clip(lower=0.0)})
    d = d[~d["substance"].isin(_GHG_SUBSTANCES)]
    wide = d.pivot_table(index="substance", columns="category", values="t", aggfunc="sum",
                         fill_value=0.0)
    subs = ordered(list(wide.index), {p: None for p in POLLUTANTS})
    cats = [c for c in ordered(list(wide.columns), SECTOR_LABELS_FR)
            if float(wide[c].sum()) > 0]
    colors = category_colors(cats, SECTOR_COLORS)
    with matplotlib.rc_context(RC):
        fig, axes = new_figure()
        ax = axes[0, 0]
        if not subs:
            no_data(ax, "Aucun polluant dans la table")
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
                            va="center", fontsize=7.5, color=text_color(colors[cat]),
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
    return save(fig, out, "polluants_secteurs", svg=svg)

