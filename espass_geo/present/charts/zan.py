"""Charts of the ZAN accounts (issue #12): the trajectory in hectares and in tCO₂e, and the
hectares consumed per destination.

:func:`zan_trajectory_chart` (``zan_trajectoire``) draws two panels sharing the years:

* « Consommation d'espaces (ha/an) »: the consumption observed each year (bars; the
  2011–2020 reference period shaded and labelled « référence 2011–2020 »), the ZAN path from
  2021 (½ of the reference over 2021–2030, halved again over 2031–2040, to zero in 2050) and
  the trend (dashed: the 2011–2020 pace continued after the last year observed);
* « Coût carbone (tCO₂e/an) »: the carbon emitted by the hectares consumed each year
  (``carbon``, summed over communes and destinations), and the ZAN path and the trend
  multiplied by the mean cost per hectare observed (Σ tCO₂e / Σ ha of ``carbon``).

Sign: a carbon cost is an emission, written positive (« coût = tCO₂e émises »), unlike the
flows of the rest of the package (ALDO: positive = sequestration).

:func:`zan_destination_chart` (``zan_destinations``) stacks the hectares of each year by
destination (habitat, activité, mixte, routes, ferroviaire, inconnu; « non ventilé » for the
part of a commune's total without destination).

Data contract: ``trajectory`` as :func:`espass_geo.core.zan.zan_trajectory` (``year, period,
observed_ha, zan_ha, trend_ha`` …, ``first_year=2011`` for the reference bars); ``carbon`` as
:func:`espass_geo.core.zan.consumption_carbon` (``zone_id, year, destination, area_ha,
tCO2e``). With ``estimate=True`` (the demo consumption file) the figure carries
:data:`ZAN_ESTIMATE_NOTE_FR` in red.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from espass_geo.io.consumption import DESTINATIONS
from espass_geo.present.charts.base import (
    ESTIMATE_COLOR,
    FIGSIZE_IN,
    RC,
    new_figure,
    no_data,
    require,
    save,
    style_axes,
    zero_line,
)
from espass_geo.present.fmt import fmt_number

#: Warning of every ZAN output built from the demonstration consumption file.
ZAN_ESTIMATE_NOTE_FR: str = ("ESTIMATION : consommation d'espaces de démonstration (changements "
                             "CLC 2012→2018 d'ALDO), pas la mesure du Cerema.")
ZAN_HA_TITLE_FR: str = "Consommation d'espaces (ha/an)"
ZAN_COST_TITLE_FR: str = "Coût carbone (tCO₂e/an) — coût = tCO₂e émises"
ZAN_COST_SIGN_FR: str = ("Coût carbone : tCO₂e émises par les hectares consommés, comptées "
                         "positivement comme toute émission.")
REFERENCE_LABEL_FR: str = "référence 2011–2020"

OBSERVED_REF_COLOR: str = "#9e9ac8"
OBSERVED_COLOR: str = "#e6550d"
ZAN_COLOR: str = "#1b7837"
TREND_COLOR: str = "#636363"
COST_REF_COLOR: str = "#bcbddc"
COST_COLOR: str = "#a63603"
REFERENCE_SHADE: str = "#f0f0f0"

#: Colours of the destinations (Cerema's order), « non ventilé » last.
DESTINATION_COLORS: dict[str, str] = {
    "habitat": "#e6550d",
    "activite": "#3182bd",
    "mixte": "#9e9ac8",
    "route": "#636363",
    "ferroviaire": "#8c6d31",
    "inconnu": "#bdbdbd",
    "total": "#e7cb94",
}
UNSPLIT_LABEL_FR: str = "Non ventilé"

TRAJECTORY_COLUMNS: tuple[str, ...] = ("year", "observed_ha", "zan_ha", "trend_ha")
CARBON_COLUMNS: tuple[str, ...] = ("year", "destination", "area_ha", "tCO2e")


def destination_label(destination: str) -> str:
    """French label of a destination id (« Habitat », « Routes »…; « Non ventilé » for
    ``total``)."""
    if destination == "total":
        return UNSPLIT_LABEL_FR
    return DESTINATIONS.get(destination, str(destination))


def _footnote(fig: Figure, lines: Sequence[str], *, estimate: bool) -> None:
    """Notes under the figure (as :func:`espass_geo.present.charts.base.footnote`), with the
    ZAN estimate warning first, in red and bold."""
    rows = [(ZAN_ESTIMATE_NOTE_FR, ESTIMATE_COLOR, "bold")] if estimate else []
    rows += [(line, "#444444", "normal") for line in lines]
    if not rows:
        return
    line_h = 7.5 * 1.45 / 72.0 / fig.get_figheight()
    band = line_h * len(rows) + 0.012
    fig.get_layout_engine().set(rect=(0.0, band, 1.0, 1.0 - band))
    for k, (text, color, weight) in enumerate(rows):
        fig.text(0.012, band - 0.006 - k * line_h, text, ha="left", va="top", fontsize=7.5,
                 color=color, fontweight=weight)


def _numeric(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def _reference_years(t: pd.DataFrame) -> tuple[int, int] | None:
    """First and last year of the reference period (``period`` « référence … », else
    2011–2020 when those years are in the table)."""
    if "period" in t.columns:
        ref = t.loc[t["period"].astype(str).str.startswith("référence"), "year"]
        if len(ref):
            return int(ref.min()), int(ref.max())
    years = set(t["year"].astype(int))
    if {2011, 2020} <= years:
        return 2011, 2020
    return None


def mean_cost_per_ha(carbon: pd.DataFrame) -> float | None:
    """Σ tCO₂e / Σ ha of ``carbon`` (every year observed); None without hectares."""
    c = _numeric(carbon, ["area_ha", "tCO2e"])
    ha = float(c["area_ha"].sum())
    return float(c["tCO2e"].sum()) / ha if ha > 0 else None


def _shade_reference(ax, ref: tuple[int, int] | None, *, label: bool) -> None:
    if ref is None:
        return
    ax.axvspan(ref[0] - 0.5, ref[1] + 0.5, color=REFERENCE_SHADE, zorder=0.2, linewidth=0)
    if label:
        ax.text((ref[0] + ref[1]) / 2.0, 0.97, REFERENCE_LABEL_FR, ha="center", va="top",
                fontsize=7.5, style="italic", color="#555555",
                transform=ax.get_xaxis_transform(), zorder=4)


def _trend_after(t: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    """The trend after the last year observed (the bars show the years observed)."""
    observed = t[t["observed_ha"].notna()]
    last = int(observed["year"].max()) if len(observed) else None
    tr = t[t[col].notna()]
    if last is not None:
        tr = tr[tr["year"] > last]
    return tr["year"].to_numpy(float), tr[col].to_numpy(float)


def zan_trajectory_chart(trajectory: pd.DataFrame, carbon: pd.DataFrame,
                         out_dir: str | os.PathLike[str], *, title: str,
                         estimate: bool = False, svg: bool = True) -> dict[str, Path]:
    """Write ``zan_trajectoire`` (PNG 1200 × 1050 px at 150 dpi, and SVG unless
    ``svg=False``): consumption of
    space and its carbon cost, observed, on the ZAN path and on the trend.

    Top panel « Consommation d'espaces (ha/an) »: ``observed_ha`` as bars (reference years
    in lavender under the shaded « référence 2011–2020 » band, years since 2021 in orange),
    ``zan_ha`` as a green line from 2021, ``trend_ha`` dashed grey after the last year
    observed. Bottom panel « Coût carbone (tCO₂e/an) »: Σ ``tCO2e`` of ``carbon`` per year
    (bars), and the ZAN path and the trend × the mean cost per hectare observed
    (:func:`mean_cost_per_ha`).

    Worked example: reference 100 ha over 2011–2020 (10 ha/an) → ZAN path 5 ha/an over
    2021–2030; with 500 tCO₂e for 10 ha observed, the mean cost is 50 tCO₂e/ha, so the path
    costs 5 × 50 = 250 tCO₂e/an and the trend 10 × 50 = 500 tCO₂e/an.

    Returns
    -------
    dict
        ``{"zan_trajectoire.png": Path, "zan_trajectoire.svg": Path}`` (no SVG with
        ``svg=False``).
    """
    require(trajectory, TRAJECTORY_COLUMNS, "trajectory",
            "espass_geo.core.zan.zan_trajectory (first_year=2011)")
    require(carbon, CARBON_COLUMNS, "carbon", "espass_geo.core.zan.consumption_carbon")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = _numeric(trajectory, ["observed_ha", "zan_ha", "trend_ha"]).sort_values("year")
    t["year"] = t["year"].astype(int)
    c = _numeric(carbon, ["area_ha", "tCO2e"])
    c["year"] = pd.to_numeric(c["year"], errors="coerce")
    per_year = c.dropna(subset=["year"]).groupby(c["year"].dropna().astype(int))["tCO2e"].sum()
    cost_ha = mean_cost_per_ha(c)
    ref = _reference_years(t)
    years = t["year"].tolist()
    is_ref = (t["year"].between(*ref) if ref else pd.Series(False, index=t.index)).to_numpy()

    with matplotlib.rc_context(RC):
        fig, axes = new_figure(2, 1, sharex=True)
        fig.set_size_inches(FIGSIZE_IN[0], 7.0)
        ax, axc = axes[0, 0], axes[1, 0]
        if t.empty:
            no_data(ax, "Pas de trajectoire ZAN")
            no_data(axc, "Pas de trajectoire ZAN")
        else:
            # ---- hectares
            obs = t["observed_ha"].to_numpy(float)
            colors = np.where(is_ref, OBSERVED_REF_COLOR, OBSERVED_COLOR)
            ok = np.isfinite(obs)
            ax.bar(t["year"].to_numpy()[ok], obs[ok], width=0.75, color=colors[ok], zorder=3)
            zan = t[t["zan_ha"].notna()]
            ax.plot(zan["year"], zan["zan_ha"], color=ZAN_COLOR, linewidth=2.0,
                    drawstyle="steps-mid", zorder=4)
            ty, tv = _trend_after(t, "trend_ha")
            ax.plot(ty, tv, color=TREND_COLOR, linewidth=1.6, linestyle=(0, (4, 2.5)),
                    drawstyle="steps-mid", zorder=4)
            _shade_reference(ax, ref, label=True)
            zero_line(ax)
            ax.set_ylim(0, max(np.nanmax(np.r_[obs[ok], zan["zan_ha"], tv, 0.0]) * 1.45, 1e-6))
            style_axes(ax, years)
            ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
            ax.set_title(ZAN_HA_TITLE_FR, loc="left", fontsize=9.5, fontweight="bold")
            ax.set_ylabel("ha/an")
            handles = [Patch(facecolor=OBSERVED_REF_COLOR, label="Observée, " + REFERENCE_LABEL_FR),
                       Patch(facecolor=OBSERVED_COLOR, label="Observée depuis 2021"),
                       Line2D([], [], color=ZAN_COLOR, linewidth=2.0,
                                               label="Trajectoire ZAN"),
                       Line2D([], [], color=TREND_COLOR, linewidth=1.6,
                                               linestyle=(0, (4, 2.5)),
                                               label="Tendance (rythme 2011–2020)")]
            ax.legend(handles=handles, loc="upper right", frameon=True, framealpha=0.95,
                      fontsize=7.5, ncols=2)
            # ---- carbon
            if per_year.empty or cost_ha is None:
                axc.text(0.5, 0.5, "Pas de coût carbone (aucun hectare consommé chiffré)",
                         transform=axc.transAxes, ha="center", va="center", color="#555555")
            else:
                py = per_year.reindex(t["year"])
                ok_c = py.notna().to_numpy()
                ccol = np.where(is_ref, COST_REF_COLOR, COST_COLOR)
                axc.bar(t["year"].to_numpy()[ok_c], py.to_numpy(float)[ok_c], width=0.75,
                        color=ccol[ok_c], zorder=3)
                axc.plot(zan["year"], zan["zan_ha"] * cost_ha, color=ZAN_COLOR, linewidth=2.0,
                         drawstyle="steps-mid", zorder=4)
                axc.plot(ty, tv * cost_ha, color=TREND_COLOR, linewidth=1.6,
                         linestyle=(0, (4, 2.5)), drawstyle="steps-mid", zorder=4)
                top = np.nanmax(np.r_[py.to_numpy(float)[ok_c], zan["zan_ha"] * cost_ha,
                                      tv * cost_ha, 0.0])
                axc.set_ylim(0, max(top * 1.45, 1e-6))
                handles_c = [Patch(facecolor=COST_COLOR, label="Observé (tCO₂e émises)"),
                             Line2D(
                                 [], [], color=ZAN_COLOR, linewidth=2.0,
                                 label=f"Trajectoire ZAN × {fmt_number(cost_ha, 1)} tCO₂e/ha"),
                             Line2D(
                                 [], [], color=TREND_COLOR, linewidth=1.6,
                                 linestyle=(0, (4, 2.5)),
                                 label=f"Tendance × {fmt_number(cost_ha, 1)} tCO₂e/ha")]
                axc.legend(handles=handles_c, loc="upper right", frameon=True, framealpha=0.95,
                           fontsize=7.5, ncols=2)
            _shade_reference(axc, ref, label=False)
            zero_line(axc)
            style_axes(axc, years)
            axc.set_xlim(min(years) - 0.6, max(years) + 0.6)
            axc.set_title(ZAN_COST_TITLE_FR, loc="left", fontsize=9.5, fontweight="bold")
            axc.set_ylabel("tCO₂e/an")
        fig.suptitle(f"{title}\nTrajectoire ZAN : hectares consommés et carbone émis",
                     fontsize=11, fontweight="bold")
        lines = [ZAN_COST_SIGN_FR,
                 "Trajectoire ZAN : 2021–2030 = moitié de la référence 2011–2020 ; 2031–2040 : "
                 "moitié du rythme 2021–2030 ; zéro artificialisation nette en 2050."]
        if cost_ha is not None:
            lines.append("Trajectoire et tendance en tCO₂e : hectares × coût moyen observé de "
                         f"{fmt_number(cost_ha, 1)} tCO₂e/ha (pertes immédiates, règles ALDO).")
        _footnote(fig, lines, estimate=estimate)
    return save(fig, out, "zan_trajectoire", svg=svg)


def zan_destination_chart(carbon: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                          title: str, estimate: bool = False,
                          svg: bool = True) -> dict[str, Path]:
    """Write ``zan_destinations`` (PNG, and SVG unless ``svg=False``): hectares consumed each year, stacked by
    destination (French labels of :data:`espass_geo.io.consumption.DESTINATIONS`;
    « Non ventilé » for the rows ``destination == "total"``, the part of a commune's
    consumption without destination). The reference years are shaded.

    Returns ``{"zan_destinations.png": Path, "zan_destinations.svg": Path}``.
    """
    require(carbon, CARBON_COLUMNS, "carbon", "espass_geo.core.zan.consumption_carbon")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    c = _numeric(carbon, ["area_ha"])
    c["year"] = pd.to_numeric(c["year"], errors="coerce")
    c = c.dropna(subset=["year"])
    c["year"] = c["year"].astype(int)
    wide = c.pivot_table(index="year", columns="destination", values="area_ha", aggfunc="sum",
                         fill_value=0.0)
    known = [*DESTINATIONS, "total"]
    order = [d for d in known if d in wide.columns] + [d for d in wide.columns if d not in known]
    with matplotlib.rc_context(RC):
        fig, axes = new_figure()
        ax = axes[0, 0]
        if wide.empty:
            no_data(ax, "Aucun hectare consommé")
        else:
            years = wide.index.to_numpy()
            bottom = np.zeros(len(wide))
            others = iter(["#c51b7d", "#e9a3c9", "#bf812d", "#dfc27d"] * 4)
            for d in order:
                v = wide[d].to_numpy(float)
                ax.bar(years, v, bottom=bottom, width=0.75, zorder=3,
                       color=DESTINATION_COLORS.get(d) or next(others),
                       label=destination_label(str(d)), edgecolor="white", linewidth=0.3)
                bottom += v
            ref = (2011, 2020) if wide.index.min() <= 2020 and wide.index.max() >= 2011 else None
            _shade_reference(ax, ref, label=True)
            zero_line(ax)
            ax.set_ylim(0, max(float(bottom.max()) * 1.15, 1e-6))
            style_axes(ax, list(years))
            ax.set_xlim(years.min() - 0.6, years.max() + 0.6)
            ax.set_ylabel("ha/an")
            ax.legend(loc="upper right", frameon=True, framealpha=0.95, fontsize=7.5,
                      ncols=2)
        ax.set_title("Consommation d'espaces par destination (ha/an)", loc="left", fontsize=9.5,
                     fontweight="bold")
        fig.suptitle(title, fontsize=11, fontweight="bold")
        _footnote(fig, ["Destinations du fichier du Cerema ; « Non ventilé » : part de la "
                        "consommation d'une commune sans destination renseignée."],
                  estimate=estimate)
    return save(fig, out, "zan_destinations", svg=svg)
