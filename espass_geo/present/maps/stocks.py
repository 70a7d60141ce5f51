"""The stock map: carbon stock per zone (tC/ha), agricultural parcels, pixel raster."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd

from espass_geo.present.fmt import fmt_area_ha, fmt_mass_t, fmt_percent, fmt_quantity
from espass_geo.present.maps.layers import (
    DENSITY_CAPTION_FR,
    choropleth_layer,
    to_web_geometries,
    zone_layer,
)
from espass_geo.present.maps.legend import layer_controls
from espass_geo.present.maps.page import (
    _SOURCES_NO_PARCELS_FR,
    DEFAULT_SOURCES_FR,
    _default_sources,
    _finish_map,
    _infer_zone_label,
    _new_map,
    _notes_html,
    _per_zone,
    _require,
    _zone_base_fr,
    add_interval_field,
    compact_tooltip,
)

#: Optional per-pool columns of the zones table and their tooltip labels.
POOL_COLUMNS_FR: dict[str, str] = {
    "stock_soil_tC": "Sol",
    "stock_live_biomass_tC": "Biomasse",
    "stock_litter_tC": "Litière",
    "stock_dead_wood_tC": "Bois mort",
    "stock_hedges_tC": "Haies",
}
ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name", "area_ha", "stock_tC", "stock_tCO2e",
                                 "density_tC_ha")
PARCEL_COLUMNS: tuple[str, ...] = ("parcel_id", "land_use_fr", "area_ha", "stock_tC",
                                   "density_tC_ha")


#: Key figures of the compact tooltip of a zone (the popup gives them all).
STOCK_TOOLTIP_KEYS: tuple[str, ...] = ("stock_fr", "density_fr", "stock_soil_tC_fr", "area_fr")

_RASTER_PANE = "espass_raster"
_PARCELS_PANE = "espass_parcels"


def _mass_with_share(value: Any, total: Any, unit: str = "tC") -> str:
    text = fmt_mass_t(value, unit)
    try:
        share = float(value) / float(total)
    except (TypeError, ValueError, ZeroDivisionError):
        return text
    if not math.isfinite(share) or text == "–":
        return text
    return f"{text} ({fmt_percent(share, 0)})"


def _zones_fr(zones: gpd.GeoDataFrame, zone_label: str) -> tuple[gpd.GeoDataFrame,
                                                                 list[tuple[str, str]]]:
    z, tooltip = _zone_base_fr(zones, zone_label)
    z["stock_fr"] = [f"{fmt_mass_t(c, 'tC')} ({fmt_mass_t(e, 'tCO₂e')})"
                     if fmt_mass_t(c) != "–" else "–"
                     for c, e in zip(z["stock_tC"], z["stock_tCO2e"], strict=True)]
    z["density_fr"] = [fmt_quantity(v, "tC/ha", 1) for v in z["density_tC_ha"]]
    tooltip += [("stock_fr", "Stock total"), ("density_fr", "Densité")]
    add_interval_field(z, tooltip, "stock_tC", "stock_fr", "tC")
    for col, label in POOL_COLUMNS_FR.items():
        if col in z.columns:
            z[f"{col}_fr"] = [_mass_with_share(v, t) for v, t in zip(z[col], z["stock_tC"],
                                                                     strict=True)]
            tooltip.append((f"{col}_fr", label))
    return z, tooltip


def _parcels_fr(parcels: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    p = parcels.copy()
    p["parcel_id_fr"] = p["parcel_id"].astype("string")
    p["land_use_label_fr"] = p["land_use_fr"].astype("string")
    p["area_fr"] = [fmt_area_ha(v) for v in p["area_ha"]]
    p["stock_fr"] = [fmt_mass_t(v, "tC") for v in p["stock_tC"]]
    p["density_fr"] = [fmt_quantity(v, "tC/ha", 1) for v in p["density_tC_ha"]]
    return p, [("parcel_id_fr", "Parcelle"), ("land_use_label_fr", "Occupation du sol"),
               ("area_fr", "Surface"), ("stock_fr", "Stock"), ("density_fr", "Densité")]


def _zone_layer_name(zone_label: str) -> str:
    return f"Stock moyen {_per_zone(zone_label)} (tC/ha)"


def stocks_map(
    zones: gpd.GeoDataFrame,
    *,
    title: str,
    value_col: str = "density_tC_ha",
    parcels: gpd.GeoDataFrame | None = None,
    raster_png: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    html_path: str | os.PathLike[str] | None = None,
    subtitle: str | None = None,
    zone_label: str | None = None,
    caption: str = DENSITY_CAPTION_FR,
    palette: str | Sequence[str] = "YlGn",
    n_classes: int = 6,
    sources: str | None = None,
    basemap: bool | str = True,
    show_parcels: bool = False,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Map of carbon stocks per zone (choropleth of ``value_col``, tC/ha), readable offline.

    Parameters
    ----------
    zones
        GeoDataFrame with a CRS (EPSG:2154 expected) and columns ``zone_id, zone_name,
        area_ha, stock_tC, stock_tCO2e, density_tC_ha``; optional per-pool columns
        ``stock_soil_tC, stock_live_biomass_tC, stock_litter_tC, stock_dead_wood_tC,
        stock_hedges_tC`` appear in the tooltip with their share of the total; optional
        ``stock_tC_p05, stock_tC_p95`` add the line « Intervalle à 90 % : 1 234 – 1 567 tC ».
    title, subtitle
        Title box at the top of the map (HTML-escaped).
    value_col
        Column coloured by class (quantile classes with nice breaks, green palette).
    parcels
        Optional GeoDataFrame ``parcel_id, land_use_fr, area_ha, stock_tC, density_tC_ha``:
        layer "Parcelles agricoles (RPG)", same classes, thin outlines, hidden unless
        ``show_parcels``.
    raster_png
        Optional dict from :func:`raster_to_png` (``path``, ``bounds`` in lat/lon): layer
        "Densité par pixel (tC/ha)", opacity 0.7, hidden by default. The PNG is embedded in
        the HTML.
    notes
        Lines of the notes box (bottom left, HTML-escaped), e.g. the data caveats and the
        sign convention.
    sources
        Sources line written after the notes ("Sources : ..."). By default (None):
        "Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO", plus
        " ; parcelles : RPG (IGN/ASP)" when ``parcels`` is given, unless a note already
        starts with "Sources" or "Limites communales" (the caller wrote its own). ``""``:
        no sources line.
    html_path
        If given, the map is saved there with :func:`save_map` (assets in ``lib/``).
    zone_label
        Tooltip label of ``zone_name`` ("Commune", "EPCI", "Zone"…); by default inferred
        from ``zone_id``: INSEE codes → "Commune", SIREN numbers → "EPCI", else "Zone".
    basemap
        Offer the online OpenStreetMap background, unticked (``"shown"``: ticked; ``False``:
        not offered); the map opens on the offline commune background (see
        :func:`~espass_geo.present.maps.make_map`).

    Returns
    -------
    folium.Map
    """
    _require(zones, ZONE_COLUMNS, "zones")
    if value_col not in zones.columns:
        raise KeyError(f"value_col {value_col!r} is not a column of zones")
    if len(zones) == 0:
        raise ValueError("zones is empty: nothing to map.")
    if zone_label is None:
        zone_label = _infer_zone_label(zones["zone_id"])
    z, tooltip = _zones_fr(zones, zone_label)
    web = to_web_geometries(z, simplify_m=simplify_m)

    many_parcels = parcels is not None and len(parcels) > 1000
    m = _new_map(title, basemap=basemap, prefer_canvas=many_parcels)

    zone_group, legend, classes = zone_layer(
        web, value_col, name=_zone_layer_name(zone_label),
        tooltip=compact_tooltip(tooltip, STOCK_TOOLTIP_KEYS), popup=tooltip,
        palette=palette, caption=caption, n_classes=n_classes, raster=raster_png,
        attribution="IGN Admin Express COG 2018 ; ADEME ALDO",
    )
    zone_group.add_to(m)
    # stacking: communes (overlay pane, 400) < pixel raster (410) < parcels (420)
    if raster_png is not None:
        folium.map.CustomPane(_RASTER_PANE, z_index=410, pointer_events=False).add_to(m)
    if parcels is not None:
        folium.map.CustomPane(_PARCELS_PANE, z_index=420, pointer_events=True).add_to(m)

    if parcels is not None:
        _require(parcels, PARCEL_COLUMNS, "parcels")
        p, ptooltip = _parcels_fr(parcels)
        pweb = to_web_geometries(p, simplify_m=1.0)
        parcel_group, _ = choropleth_layer(
            pweb, "density_tC_ha", name="Parcelles agricoles (RPG)", tooltip=ptooltip,
            classes=classes, show=show_parcels, line_color="#4d4d4d", line_weight=0.3,
            fill_opacity=0.85, attribution="RPG (IGN/ASP)", pane=_PARCELS_PANE,
        )
        parcel_group.add_to(m)

    if raster_png is not None:
        if not {"path", "bounds"} <= set(raster_png):
            raise KeyError("raster_png must be a dict with 'path' and 'bounds' "
                           "(as returned by espass_geo.present.maps.raster_to_png)")
        raster_group = folium.FeatureGroup(name="Densité par pixel (tC/ha)", show=False)
        folium.raster_layers.ImageOverlay(
            image=str(raster_png["path"]),
            bounds=[list(map(float, b)) for b in raster_png["bounds"]],
            opacity=0.7,
            name="Densité par pixel (tC/ha)",
            control=False,
            class_name="espass-raster",
            pane=_RASTER_PANE,
        ).add_to(raster_group)
        raster_group.add_to(m)

    layer_controls(m, [(zone_group, legend)])
    sources = _default_sources(
        notes, sources, DEFAULT_SOURCES_FR if parcels is not None else _SOURCES_NO_PARCELS_FR)
    _finish_map(m, web, title=title, subtitle=subtitle, notes_html=_notes_html(notes, sources),
                html_path=html_path)
    return m
