"""The offline background of every map (issue #15, item 4): the communes around the mapped
zones, from the shipped boundaries (IGN Admin Express COG 2018, Nord and Pas-de-Calais), in
light grey with thin outlines, under the data layers.

It is a *base layer* of the layer control (a radio button), next to the optional
« Fond : OpenStreetMap (en ligne) »: the commune background is on by default, so that a map
opened without network is readable (no grey tiles); choosing OpenStreetMap replaces it.
Geometry only, no user text: nothing to escape.
"""

from __future__ import annotations

from functools import lru_cache

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

#: Layer-control name of the commune background (a base layer, ticked by default).
COMMUNE_BACKGROUND_FR: str = "Fond : communes (hors ligne)"
#: Layer-control name of the optional online tiles (a base layer, unticked by default).
OSM_BACKGROUND_FR: str = "Fond : OpenStreetMap (en ligne)"
#: Fill and outline of the background communes.
BACKGROUND_FILL: str = "#dedede"
BACKGROUND_LINE: str = "#b0b0b0"
#: Leaflet pane of the background: above the tiles (200), under the data (overlay pane, 400).
BACKGROUND_PANE: str = "espass_background"
#: The background covers the bounding box of the zones enlarged by this share on each side.
MARGIN_SHARE: float = 0.25


class _BackgroundShapes(MacroElement):
    """The commune polygons of the background (geometry only), drawn by ``L.geoJSON`` in
    :data:`BACKGROUND_PANE`, not interactive (the mouse reaches the data layers)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJSON({{ this.data|tojson }}, {
            pane: {{ this.pane|tojson }}, interactive: false,
            style: function () { return {{ this.style|tojson }}; }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict) -> None:
        super().__init__()
        self._name = "EspassBackground"
        self.data = data
        self.pane = BACKGROUND_PANE
        self.style = {"fillColor": BACKGROUND_FILL, "fillOpacity": 1.0,
                      "color": BACKGROUND_LINE, "weight": 0.5}


@lru_cache(maxsize=16)
def _background_geojson(bounds: tuple[float, float, float, float]) -> dict | None:
    """GeoJSON (EPSG:4326) of the shipped communes meeting ``bounds`` (lon/lat box),
    simplified to 1/800 of the box width (about a pixel or two of a full-screen map: 60 m
    for a SCoT, 250 m for two départements), coordinates rounded to 1e-4° (≈ 10 m); None
    when no shipped commune meets it."""
    from espass_geo.reference import data

    try:
        communes = data.commune_geometries()
    except (OSError, ValueError):  # pragma: no cover - shipped with the package
        return None
    box = gpd.GeoSeries([shapely.box(*bounds)], crs=4326).to_crs(communes.crs).iloc[0]
    near = communes[communes.intersects(box)]
    if not len(near):
        return None
    minx, _, maxx, _ = box.bounds
    tolerance = max(10.0, (maxx - minx) / 800.0)
    geoms = near.geometry.simplify(tolerance).to_crs(4326)
    rounded = shapely.transform(np.asarray(geoms.values), lambda c: np.round(c, 4))
    gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(rounded, crs=4326)).reset_index(drop=True)
    return gdf.to_geo_dict(show_bbox=False)


def background_geojson(web: gpd.GeoDataFrame) -> dict:
    """GeoJSON of the background of a map whose zones are ``web`` (EPSG:4326): the shipped
    communes around them, or, outside Nord and Pas-de-Calais, the zones themselves."""
    minx, miny, maxx, maxy = (float(b) for b in web.total_bounds)
    dx, dy = (maxx - minx) * MARGIN_SHARE, (maxy - miny) * MARGIN_SHARE
    bounds = (round(minx - dx, 4), round(miny - dy, 4), round(maxx + dx, 4), round(maxy + dy, 4))
    geo = _background_geojson(bounds)
    if geo is not None:
        return geo
    own = gpd.GeoDataFrame(geometry=web.geometry.values, crs=4326).reset_index(drop=True)
    return own.to_geo_dict(show_bbox=False)


def add_background(m: folium.Map, web: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Add the commune background of ``web``'s zones to ``m`` (its own pane, under the data,
    not interactive), as the base layer :data:`COMMUNE_BACKGROUND_FR`, shown."""
    folium.map.CustomPane(BACKGROUND_PANE, z_index=250, pointer_events=False).add_to(m)
    group = folium.FeatureGroup(name=COMMUNE_BACKGROUND_FR, overlay=False, control=True,
                                show=True)
    _BackgroundShapes(background_geojson(web)).add_to(group)
    group.add_to(m)
    # first base layer of the layer control (before the OpenStreetMap tiles), and defined
    # before the control: the children render in this order, the control lists them so
    children = list(m._children.items())
    tiles = [k for k, (_, child) in enumerate(children)
             if isinstance(child, (folium.TileLayer, folium.LayerControl))]
    if tiles:
        mine = children[-2:]  # the pane and the group just added, in this order
        del children[-2:]
        children[tiles[0]:tiles[0]] = mine
        m._children.clear()
        m._children.update(children)
    return group
