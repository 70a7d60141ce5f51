"""Web maps (folium/Leaflet) of carbon stocks, flows, emissions, scenarios and the bilan,
readable offline.

Three rules shape this package (conventions §2 gotchas 6 and 8, §4.5, §4.7):

* **Offline.** Every script and stylesheet comes from ``espass_geo/present/static/``
  (:mod:`.base`: :func:`make_map`, :func:`save_map` copies the assets into ``lib/``); the
  maps open on a commune background drawn from the shipped boundaries, and request no
  tile unless the reader picks OpenStreetMap (issue #15).
* **French numbers formatted in Python** (:mod:`espass_geo.present.fmt`), never by the browser:
  tooltips read pre-formatted ``*_fr`` columns, the legend is plain HTML (:mod:`.legend`).
* **Data is text, never template or markup** (:mod:`.safe`, issue #9): no user string is ever
  compiled by Jinja2, each is escaped for where it lands.

Layout: :mod:`.safe` (rendering without template evaluation), :mod:`.base` (assets, page
style, controls, :func:`make_map`, :func:`save_map`), :mod:`.background` (the offline
commune background, the default base layer; OpenStreetMap is offered unticked), :mod:`.classes` (class breaks, colours),
:mod:`.legend` (legends, layer control, legend switch), :mod:`.layers` (web geometries,
:func:`choropleth_layer` and :func:`~.layers.zone_layer`, the one layer + tooltip + legend of
every map), :mod:`.page` (title, notes, sources, zone labels), one module per theme
(:mod:`.stocks`, :mod:`.flows`, :mod:`.emissions`, :mod:`.scenarios`, :mod:`.bilan`) and
:mod:`.raster` (:func:`raster_to_png`). The CSS is in ``templates/*.css``, shipped with the
package and written into the pages as it is.
"""

from __future__ import annotations

from espass_geo.present.maps.base import (
    BASEMAP_SHOWN,
    LIB_DIR,
    STATIC_DIR,
    VENDORED_CSS,
    VENDORED_JS,
    RemoteAssetError,
    localize_assets,
    make_map,
    remote_assets,
    save_map,
)
from espass_geo.present.maps.bilan import bilan_map
from espass_geo.present.maps.classes import ColorClasses, class_breaks, make_classes
from espass_geo.present.maps.emissions import EMISSION_POSTS, EMISSIONS_NOTES_FR, emissions_map
from espass_geo.present.maps.flows import FLOW_SIGN_NOTE_FR, flows_map
from espass_geo.present.maps.layers import choropleth_layer, to_web_geometries
from espass_geo.present.maps.legend import legend_element
from espass_geo.present.maps.page import DEFAULT_SOURCES_FR
from espass_geo.present.maps.raster import raster_to_png
from espass_geo.present.maps.scenarios import (
    DELTA_CAPTION_FR,
    DELTA_LAYER_FR,
    SCENARIO_SIGN_NOTE_FR,
    scenario_map,
)
from espass_geo.present.maps.stocks import stocks_map

__all__ = [
    "BASEMAP_SHOWN",
    "DEFAULT_SOURCES_FR",
    "DELTA_CAPTION_FR",
    "DELTA_LAYER_FR",
    "EMISSIONS_NOTES_FR",
    "EMISSION_POSTS",
    "FLOW_SIGN_NOTE_FR",
    "LIB_DIR",
    "SCENARIO_SIGN_NOTE_FR",
    "STATIC_DIR",
    "VENDORED_CSS",
    "VENDORED_JS",
    "ColorClasses",
    "RemoteAssetError",
    "bilan_map",
    "choropleth_layer",
    "class_breaks",
    "emissions_map",
    "flows_map",
    "legend_element",
    "localize_assets",
    "make_classes",
    "make_map",
    "raster_to_png",
    "remote_assets",
    "save_map",
    "scenario_map",
    "stocks_map",
    "to_web_geometries",
]
