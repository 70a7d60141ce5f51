"""The flow map: net carbon flows per zone (ALDO sign convention), artificialisation
hotspots, land-use change matrix."""

from __future__ import annotations

import html as _html
import math
import os
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement

from espass_geo.present.fmt import fmt_area_ha, fmt_number, fmt_quantity
from espass_geo.present.maps.base import (
    _HtmlControl,
)
from espass_geo.present.maps.layers import (
    GREY_OUTLINES,
    to_web_geometries,
    zone_layer,
)
from espass_geo.present.maps.legend import (
    layer_controls,
)
from espass_geo.present.maps.page import (
    _SOURCES_NO_PARCELS_FR,
    _default_sources,
    _finish_map,
    _fmt_flux,
    _fmt_flux_ha,
    _infer_zone_label,
    _new_map,
    _notes_html,
    _per_zone,
    _require,
    _zone_base_fr,
    add_fields,
    add_interval_field,
    compact_tooltip,
)

# --------------------------------------------------------------------------------------------
# Flow map
# --------------------------------------------------------------------------------------------

#: The sign-convention sentence written in every flow map (notes box).
FLOW_SIGN_NOTE_FR: str = "Convention ALDO : flux positif = séquestration, négatif = émission."
FLOW_CAPTION_FR: str = "Flux net (tCO₂e/ha/an) — positif = séquestration, négatif = émission"
FLOW_TOTAL_CAPTION_FR: str = ("Flux net total (tCO₂e/an) — positif = séquestration, "
                              "négatif = émission")
SEALING_CAPTION_FR: str = "Artificialisation (ha/an)"
HOTSPOTS_CAPTION_FR: str = "Surface artificialisée par maille (ha sur la période)"
TRANSITIONS_TITLE_FR: str = "Matrice des changements d'occupation du sol (ha/an)"
#: Diverging palette of flows: emissions (negative) brown/orange → white → sequestration
#: (positive) green (ColorBrewer PuOr orange half + PRGn green half).
FLOW_PALETTE: tuple[str, ...] = ("#7f3b08", "#b35806", "#e08214", "#fdb863", "#fee0b6",
                                 "#f7f7f7", "#d9f0d3", "#a6dba0", "#5aae61", "#1b7837",
                                 "#00441b")
FLOW_ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name", "area_ha", "flux_tCO2e_an",
                                      "flux_tCO2e_ha_an")
#: Optional per-cause flow columns (tCO₂e/an) of the zones table and their tooltip labels.
FLOW_CAUSE_COLUMNS_FR: dict[str, str] = {
    "flux_land_use_change_tCO2e_an": "dont changements d'occupation du sol",
    "flux_forest_growth_tCO2e_an": "dont croissance des forêts",
    "flux_wood_products_tCO2e_an": "dont produits bois",
    "flux_n2o_tCO2e_an": "dont N₂O",
}
HOTSPOT_COLUMNS: tuple[str, ...] = ("cell_id", "sealed_ha")
#: Key figures of the compact tooltip of a zone, after the value of its layer.
FLOW_TOOLTIP_KEYS: tuple[str, ...] = ("flux_fr", "flux_ha_fr", "sealed_fr", "area_fr")
_HOTSPOTS_PANE = "espass_hotspots"


def _flow_zones_fr(zones: gpd.GeoDataFrame, zone_label: str) -> tuple[gpd.GeoDataFrame,
                                                                      list[tuple[str, str]]]:
    z, tooltip = _zone_base_fr(zones, zone_label)
    add_fields(z, tooltip, [
        ("flux_tCO2e_an", "flux_fr", "Flux net total", _fmt_flux),
        ("flux_tCO2e_ha_an", "flux_ha_fr", "Flux net par ha", _fmt_flux_ha),
        *((col, f"{col}_fr", label, _fmt_flux) for col, label in FLOW_CAUSE_COLUMNS_FR.items()),
        ("sealed_ha_an", "sealed_fr", "Artificialisation", lambda v: fmt_quantity(v, "ha/an")),
        ("sealing_flux_tCO2e_an", "sealing_flux_fr", "Flux de l'artificialisation", _fmt_flux),
    ])
    add_interval_field(z, tooltip, "flux_tCO2e_an", "flux_fr", "tCO₂e/an", signed=True)
    return z, tooltip


def _hotspots_fr(hotspots: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    h = hotspots.copy()
    h["cell_id_fr"] = h["cell_id"].astype("string")
    texts = []
    years = h["years"] if "years" in h.columns else pd.Series(np.nan, index=h.index)
    for sealed, n in zip(h["sealed_ha"], years, strict=True):
        text = f"{fmt_area_ha(sealed)} sur la période"
        try:
            per_year = float(sealed) / float(n)
        except (TypeError, ValueError, ZeroDivisionError):
            per_year = math.nan
        if math.isfinite(per_year):
            text += f" ({fmt_quantity(per_year, 'ha/an')})"
        texts.append(text)
    h["sealed_fr"] = texts
    return h, [("cell_id_fr", "Maille"), ("sealed_fr", "Surface artificialisée")]


HOTSPOTS_LAYER_FR: str = "Points chauds d'artificialisation"


def _hotspots_layer(m: folium.Map, hotspots: gpd.GeoDataFrame, *, z_index: int = 420
                    ) -> tuple[folium.FeatureGroup, MacroElement] | None:
    """Layer "Points chauds d'artificialisation" (cells with ``sealed_ha > 0``, shown, in
    their own pane above the zones) added to ``m``, and its legend (not added); None when no
    cell was artificialised."""
    _require(hotspots, HOTSPOT_COLUMNS, "hotspots")
    sealed = pd.to_numeric(hotspots["sealed_ha"], errors="coerce")
    hot = hotspots[(sealed > 0).to_numpy()]
    if not len(hot):
        return None
    h, htooltip = _hotspots_fr(hot)
    hweb = to_web_geometries(h, simplify_m=0.0)
    # own pane above the zones, so that ticking a zone layer never covers the cells
    folium.map.CustomPane(_HOTSPOTS_PANE, z_index=z_index, pointer_events=True).add_to(m)
    group, legend, _ = zone_layer(
        hweb, "sealed_ha", name=HOTSPOTS_LAYER_FR, tooltip=htooltip,
        palette="Reds", caption=HOTSPOTS_CAPTION_FR, n_classes=5, show=True,
        line_color="#67000d", line_weight=0.6, fill_opacity=0.85, pane=_HOTSPOTS_PANE)
    group.add_to(m)
    return group, legend


def _matrix_cell(value: float, *, diagonal: bool = False) -> str:
    """A cell of the change matrix: exact zeros as a grey "0"; the diagonal (no change, when
    the caller gives it) greyed so that the changes stand out."""
    if value == 0:
        return '<td class="espass-zero">0</td>'
    css = ' class="espass-diag"' if diagonal else ""
    return f"<td{css}>{_html.escape(fmt_number(value, 1))}</td>"


def _is_total(label: Any) -> bool:
    return str(label).strip().casefold() == "total"


def _transitions_html(transitions: pd.DataFrame) -> str:
    """Collapsible panel (closed ``<details>``) with the land-use change matrix, totals."""
    if not isinstance(transitions, pd.DataFrame):
        raise TypeError("transitions must be a pandas DataFrame pivoted as index = from "
                        "(\"de\"), columns = to (\"vers\"), values = ha/an; got "
                        f"{type(transitions).__name__}.")
    # margins given by the caller ("Total" row/column) are recomputed, never doubled
    t = transitions.drop(index=[i for i in transitions.index if _is_total(i)],
                         columns=[c for c in transitions.columns if _is_total(c)])
    # a missing pair of a pivot table (NaN) is a transition that did not happen: 0 ha/an
    t = t.apply(pd.to_numeric, errors="raise").astype("float64").fillna(0.0)

    def esc(text: str) -> str:  # text nodes only: quotes need no escaping
        return _html.escape(text, quote=False)

    row_tot = t.sum(axis=1)
    col_tot = t.sum(axis=0)
    head = "".join(f'<th scope="col">{esc(str(c))}</th>' for c in t.columns)
    rows = [f'<tr><th class="espass-corner">de \u2193 / vers \u2192</th>{head}'
            '<th scope="col" class="espass-total">Total</th></tr>']
    for label, values in t.iterrows():
        cells = "".join(_matrix_cell(float(v), diagonal=str(label) == str(col))
                        for col, v in values.items())
        rows.append(f'<tr><th scope="row">{esc(str(label))}</th>{cells}'
                    f'<td class="espass-total">{esc(fmt_number(float(row_tot[label]), 1))}'
                    '</td></tr>')
    totals = "".join(f'<td>{esc(fmt_number(float(v), 1))}</td>' for v in col_tot)
    rows.append(f'<tr class="espass-total"><th scope="row">Total</th>{totals}'
                f'<td>{esc(fmt_number(float(t.to_numpy().sum()), 1))}</td></tr>')
    return (f'<details class="espass-details"><summary>{esc(TRANSITIONS_TITLE_FR)}</summary>'
            f'<div class="espass-matrix-wrap"><table class="espass-matrix">'
            f'{"".join(rows)}</table></div></details>')


def flows_map(
    zones: gpd.GeoDataFrame,
    *,
    title: str,
    hotspots: gpd.GeoDataFrame | None = None,
    transitions: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
    html_path: str | os.PathLike[str] | None = None,
    subtitle: str | None = None,
    zone_label: str | None = None,
    basemap: bool | str = True,
    sources: str | None = None,
    n_classes: int = 6,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Map of net carbon flows per zone (ALDO sign convention), readable offline.

    Sign convention (ALDO): a **positive** flow is a sequestration (storage), a **negative**
    flow an emission (destocking). It is written in the legend caption and in the notes box.

    Parameters
    ----------
    zones
        GeoDataFrame with a CRS (EPSG:2154 expected), one row per zone, columns ``zone_id,
        zone_name, area_ha, flux_tCO2e_an`` (net flow) and ``flux_tCO2e_ha_an`` (net flow
        per ha); optional per-cause flows ``flux_land_use_change_tCO2e_an,
        flux_forest_growth_tCO2e_an, flux_wood_products_tCO2e_an, flux_n2o_tCO2e_an`` and
        sealing columns ``sealed_ha_an`` (ha artificialised per year) and
        ``sealing_flux_tCO2e_an`` (their flow, negative), all shown in the tooltip.
    title, subtitle
        Title box at the top of the map (HTML-escaped).
    hotspots
        Optional GeoDataFrame of grid cells (CRS required) with ``cell_id, sealed_ha`` (ha
        artificialised over the period) and optionally ``years`` (length of the period, for
        the ha/an in the tooltip): layer "Points chauds d'artificialisation", cells with
        ``sealed_ha > 0`` only, shown by default, drawn above the zones.
    transitions
        Optional land-use change matrix already pivoted (index = "de" labels, columns =
        "vers" labels, values = ha/an; NaN read as 0): collapsible panel under the zoom
        buttons, closed by default, with row and column totals (a "Total" row or column of
        the input is recomputed, not repeated). Diagonal cells (same label in row and
        column, e.g. unchanged areas) are greyed so that the changes stand out.
    notes
        Lines of the notes box (bottom left, HTML-escaped). :data:`FLOW_SIGN_NOTE_FR` is
        always written first.
    sources
        Sources line, as in :func:`stocks_map` (default: "Limites communales : IGN Admin
        Express COG 2018 ; facteurs : ADEME ALDO"; ``""``: none).
    html_path
        If given, the map is saved there with :func:`save_map` (assets in ``lib/``).
    zone_label
        Tooltip label of ``zone_name``; inferred from ``zone_id`` by default (see
        :func:`stocks_map`).
    basemap
        Offer the online OpenStreetMap background, unticked (``"shown"``: ticked; ``False``:
        not offered); the map opens on the offline commune background (see
        :func:`~espass_geo.present.maps.make_map`).
    n_classes
        Number of classes of the choropleths (even, symmetric around 0 for the flows).

    Layers: "Flux net par commune (tCO₂e/ha/an)" (shown), "Flux net total (tCO₂e/an)"
    (hidden), "Artificialisation (ha/an)" (hidden; only with ``sealed_ha_an``), "Points
    chauds d'artificialisation" (shown; only with ``hotspots``). The three zone layers
    replace each other when ticked; each legend is shown only while its layer is.

    Returns
    -------
    folium.Map
    """
    _require(zones, FLOW_ZONE_COLUMNS, "zones")
    if len(zones) == 0:
        raise ValueError("zones is empty: nothing to map.")
    if zone_label is None:
        zone_label = _infer_zone_label(zones["zone_id"])
    z, tooltip = _flow_zones_fr(zones, zone_label)
    web = to_web_geometries(z, simplify_m=simplify_m)
    transitions_html = _transitions_html(transitions) if transitions is not None else None

    m = _new_map(title, basemap=basemap)
    attribution = "IGN Admin Express COG 2018 ; ADEME ALDO"
    legends: list[tuple[folium.FeatureGroup, MacroElement]] = []
    zone_groups: list[folium.FeatureGroup] = []
    # (column, layer name, legend caption, palette, diverging, shown)
    layers: list[tuple[str, str, str, str | list[str], bool, bool]] = [
        ("flux_tCO2e_ha_an", f"Flux net {_per_zone(zone_label)} (tCO₂e/ha/an)",
         FLOW_CAPTION_FR, list(FLOW_PALETTE), True, True),
        ("flux_tCO2e_an", "Flux net total (tCO₂e/an)", FLOW_TOTAL_CAPTION_FR,
         list(FLOW_PALETTE), True, False)]
    if "sealed_ha_an" in web.columns:
        layers.append(("sealed_ha_an", SEALING_CAPTION_FR, SEALING_CAPTION_FR, "OrRd", False,
                       False))
    keys = {"flux_tCO2e_ha_an": "flux_ha_fr", "flux_tCO2e_an": "flux_fr",
            "sealed_ha_an": "sealed_fr"}
    for col, name, caption, palette, diverging, show in layers:
        group, legend, _ = zone_layer(
            web, col, name=name,
            tooltip=compact_tooltip(tooltip, (keys.get(col), *FLOW_TOOLTIP_KEYS)),
            popup=tooltip, palette=palette, caption=caption,
            n_classes=n_classes, diverging=diverging, show=show, attribution=attribution,
            **GREY_OUTLINES)
        group.add_to(m)
        zone_groups.append(group)
        legends.append((group, legend))

    if hotspots is not None:
        hot_layer = _hotspots_layer(m, hotspots)
        if hot_layer is not None:
            legends.append(hot_layer)

    layer_controls(m, legends, exclusive=zone_groups)
    if transitions_html is not None:
        _HtmlControl(transitions_html, position="topleft",
                     css_class="espass-transitions").add_to(m)

    notes = list(notes)
    sources = _default_sources(notes, sources, _SOURCES_NO_PARCELS_FR)
    all_notes = [FLOW_SIGN_NOTE_FR, *(n for n in notes if str(n) != FLOW_SIGN_NOTE_FR)]
    _finish_map(m, web, title=title, subtitle=subtitle,
                notes_html=_notes_html(all_notes, sources), html_path=html_path)
    return m
