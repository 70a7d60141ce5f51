"""Geometries for the web and the one choropleth layer (polygons, classes, tooltip, legend).

:func:`choropleth_layer` draws a GeoJSON layer coloured by class with its French tooltip;
:func:`zone_layer` adds its legend: every thematic map builds its layers with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement

from espass_geo.constants import LAMBERT93
from espass_geo.errors import MissingCRSError
from espass_geo.present.maps.classes import (
    NODATA_COLOR,
    ColorClasses,
    make_classes,
)
from espass_geo.present.maps.legend import legend_element, nodata_legend
from espass_geo.present.maps.safe import (
    _esc,
)

DENSITY_CAPTION_FR: str = "Stock de carbone moyen (tC/ha)"
#: Outlines of the zone layers of the flow, scenario, emission and bilan maps: grey, as white
#: ones would vanish on the near-white classes around 0 of the flows.
GREY_OUTLINES: dict[str, Any] = {"line_color": "#8c8c8c", "line_weight": 0.6,
                                 "fill_opacity": 0.8}


# --------------------------------------------------------------------------------------------
# Geometries and layers
# --------------------------------------------------------------------------------------------

def to_web_geometries(gdf: gpd.GeoDataFrame, *, simplify_m: float = 5.0,
                      precision: int = 6) -> gpd.GeoDataFrame:
    """Copy of ``gdf`` simplified in Lambert-93 and reprojected to EPSG:4326 for Leaflet.

    ``simplify_m`` metres (topology of each polygon preserved); coordinates rounded to
    ``precision`` decimals of a degree (6 ≈ 0.1 m) to keep the HTML light.
    """
    if gdf.crs is None:
        raise MissingCRSError(
            "the layer to map has no CRS; set it with `gdf.set_crs(2154)` "
            "(Lambert-93, the CRS of espass_geo computations)."
        )
    out = gdf.to_crs(LAMBERT93) if not gdf.crs.equals(LAMBERT93) else gdf.copy()
    if simplify_m > 0:
        out = out.set_geometry(out.geometry.simplify(simplify_m))
    out = out.to_crs(4326)
    geoms = shapely.transform(np.asarray(out.geometry.values), lambda c: np.round(c, precision))
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))


def _is_wgs84(gdf: gpd.GeoDataFrame) -> bool:
    return gdf.crs is not None and gdf.crs.equals("EPSG:4326")


def tooltip_layer(
    web: gpd.GeoDataFrame,
    tooltip: Sequence[tuple[str, str]],
    *,
    name: str,
    show: bool = True,
    extra: Mapping[str, Sequence[Any]] | None = None,
    style: Callable[[dict[str, Any]], dict[str, Any]],
    highlight: Callable[[dict[str, Any]], dict[str, Any]],
    popup: Sequence[tuple[str, str]] = (),
    **geojson: Any,
) -> folium.FeatureGroup:
    """The GeoJSON layer of ``web`` (EPSG:4326) with its French tooltip, in its own
    FeatureGroup: the one tooltip implementation of the maps (zones, parcels, cells,
    actions).

    ``tooltip``: ``(column, French alias)`` pairs of pre-formatted strings, HTML-escaped here
    (folium's tooltip writes them with ``innerHTML``). ``extra``: further feature properties
    read by ``style`` (colours, values), not shown. ``popup``: the same kind of pairs, shown
    in a popup when a feature is clicked (the zone's detail; the tooltip then says « Cliquez
    pour le détail »). ``geojson`` goes to :class:`folium.GeoJson` (``attribution``,
    ``pane``, ``marker``).
    """
    fields = [c for c, _ in tooltip]
    popup_fields = [c for c, _ in popup]
    props = pd.DataFrame(index=web.index)
    for col in dict.fromkeys(fields + popup_fields):
        props[col] = [_esc(v) for v in web[col].astype("string").fillna("–")]
    for key, values in (extra or {}).items():
        props[key] = list(values)
    data = gpd.GeoDataFrame(props, geometry=web.geometry.values, crs=4326).reset_index(drop=True)
    group = folium.FeatureGroup(name=name, show=show, overlay=True, control=True)
    folium.GeoJson(
        data.to_geo_dict(show_bbox=False),  # no per-feature bbox: lighter HTML
        name=name,
        control=False,
        style_function=style,
        highlight_function=highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=fields, aliases=[_esc(a) for _, a in tooltip], localize=False, sticky=True,
            labels=True,
            class_name="espass-tooltip espass-tooltip-more" if popup_fields else "espass-tooltip",
        ) if fields else None,
        popup=folium.GeoJsonPopup(
            fields=popup_fields, aliases=[_esc(a) for _, a in popup], localize=False,
            labels=True, class_name="espass-popup", max_width=420,
        ) if popup_fields else None,
        **geojson,
    ).add_to(group)
    return group


def choropleth_layer(
    gdf: gpd.GeoDataFrame,
    value_col: str,
    *,
    name: str,
    tooltip: Sequence[tuple[str, str]] = (),
    classes: ColorClasses | None = None,
    palette: str | Sequence[str] = "YlGn",
    caption: str = DENSITY_CAPTION_FR,
    n_classes: int = 6,
    diverging: bool = False,
    breaks: Sequence[float] | None = None,
    show: bool = True,
    fill_opacity: float = 0.75,
    line_color: str = "#ffffff",
    line_weight: float = 0.8,
    simplify_m: float = 5.0,
    attribution: str | None = None,
    pane: str | None = None,
    popup: Sequence[tuple[str, str]] = (),
) -> tuple[folium.FeatureGroup, ColorClasses]:
    """A GeoJson choropleth of ``value_col`` in its own FeatureGroup, with its classes.

    Parameters
    ----------
    gdf
        Polygons with a CRS. EPSG:4326 is used as is; any other CRS goes through
        :func:`to_web_geometries` (simplified by ``simplify_m`` metres in Lambert-93).
    value_col
        Numeric column to classify and colour.
    name
        Layer name in the layer control.
    tooltip
        ``(column, French alias)`` pairs; columns should be pre-formatted strings
        (``*_fr``, see :mod:`espass_geo.present.fmt`): the browser never formats numbers.
        Keep it short (the key figures, :func:`~.page.compact_tooltip`): it must not hide
        the map.
    popup
        ``(column, French alias)`` pairs of the popup opened by a click (every value of the
        zone); none by default.
    classes
        Reuse existing classes (e.g. parcels coloured like communes); otherwise built by
        :func:`make_classes` from ``palette``, ``caption``, ``n_classes``, ``diverging``
        (symmetric around 0, for flows: e.g. ``palette="BrBG"``) or explicit ``breaks``.
    pane
        Leaflet pane of the polygons (created beforehand with ``folium.map.CustomPane``,
        ``pointer_events=True`` to keep the tooltips); default: the overlay pane.

    Returns
    -------
    (feature group, classes): add the group to the map, and the legend with
    ``legend_element(classes)``.
    """
    if value_col not in gdf.columns:
        raise KeyError(f"column {value_col!r} not in the layer; available: {list(gdf.columns)}")
    fields = [c for c, _ in (*tooltip, *popup)]
    missing = [c for c in fields if c not in gdf.columns]
    if missing:
        raise KeyError(f"tooltip columns {missing} not in the layer; add them (e.g. with "
                       "espass_geo.present.fmt) before calling choropleth_layer.")
    web = gdf if _is_wgs84(gdf) else to_web_geometries(gdf, simplify_m=simplify_m)
    if classes is None:
        classes = make_classes(web[value_col], caption=caption, palette=palette,
                               n_classes=n_classes, diverging=diverging, breaks=breaks)
    values = pd.to_numeric(web[value_col], errors="coerce").astype("float64")
    # numbers travel as rounded floats (or null); colours are computed here, in Python
    extra = {"value": [None if not math.isfinite(v) else round(v, 4) for v in values],
             "fill": [classes.color(v) for v in values]}

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return {"fillColor": feature["properties"]["fill"], "fillOpacity": fill_opacity,
                "color": line_color, "weight": line_weight}

    def highlight(_feature: dict[str, Any]) -> dict[str, Any]:
        return {"color": "#222222", "weight": max(2.0, line_weight * 2.5),
                "fillOpacity": min(1.0, fill_opacity + 0.15)}

    geojson_kwargs: dict[str, Any] = {}
    if attribution:
        geojson_kwargs["attribution"] = attribution
    if pane:
        geojson_kwargs["pane"] = pane
    group = tooltip_layer(web, tooltip, name=name, show=show, extra=extra, style=style,
                          highlight=highlight, popup=popup, **geojson_kwargs)
    return group, classes


def zone_layer(
    web: gpd.GeoDataFrame,
    col: str,
    *,
    name: str,
    caption: str = DENSITY_CAPTION_FR,
    tooltip: Sequence[tuple[str, str]] = (),
    classes: ColorClasses | None = None,
    palette: str | Sequence[str] = "YlGn",
    n_classes: int = 6,
    diverging: bool = False,
    show: bool = True,
    fmt_value: Callable[[Any], str] | None = None,
    raster: Mapping[str, Any] | None = None,
    **layer: Any,
) -> tuple[folium.FeatureGroup, MacroElement, ColorClasses | None]:
    """The choropleth of ``col`` and its legend (not yet added to the map): the one
    layer-legend-tooltip implementation of every map (stocks, flows, emissions, scenario,
    bilan, hotspots).

    ``classes`` reuses existing classes (both panes of the scenario map); otherwise they are
    built from ``palette``, ``caption``, ``n_classes``, ``diverging``. ``layer`` goes to
    :func:`choropleth_layer` (``attribution``, ``pane``, ``line_color``, ``line_weight``,
    ``fill_opacity``, ``simplify_m``); ``raster`` (from :func:`raster_to_png`) adds its
    gradient to the legend. The legend has a no-data row when a zone has no finite value.

    Without any finite value (and no ``classes``) the zones are grey and the legend has the
    no-data row only (classes ``None``). When every zone has the same value, the legend says
    so, formatted with ``fmt_value`` (e.g. a national per-capita footprint), rather than
    leave a flat map unexplained.
    """
    values = pd.to_numeric(web[col], errors="coerce").astype("float64")
    finite = values[np.isfinite(values)]
    if not len(finite) and classes is None:
        # no value at all: grey zones, a legend with the no-data row only
        grey = ColorClasses((0.0, 1.0), (NODATA_COLOR,), caption)
        group, _ = choropleth_layer(web, col, name=name, tooltip=tooltip, classes=grey,
                                    show=show, **layer)
        return group, nodata_legend(grey), None
    group, classes = choropleth_layer(
        web, col, name=name, tooltip=tooltip, classes=classes, palette=palette,
        caption=caption, n_classes=n_classes, diverging=diverging, show=show, **layer)
    uniform = len(finite) > 1 and float(finite.max() - finite.min()) <= 1e-9 * max(
        1.0, float(finite.abs().max()))
    note = (f"Même valeur dans toutes les zones : {fmt_value(finite.iloc[0])}"
            if uniform and fmt_value is not None else None)
    legend = legend_element(classes, show_nodata=bool(len(finite) < len(values)),
                            raster=raster, note=note)
    return group, legend, classes
