"""Web maps (folium/Leaflet) of carbon stocks, readable offline.

Three rules shape this module (conventions §2 gotchas 6 and 8, §4.5, §4.7):

* **Offline.** folium loads Leaflet, jQuery, Bootstrap, Font Awesome… from CDNs. Here every
  script and stylesheet comes from ``espass_geo/static/`` (vendored, licences kept):
  :func:`make_map` points the map's assets to relative ``lib/...`` paths and :func:`save_map`
  copies the needed files into ``<html dir>/lib/``, so an HTML file and its ``lib/`` folder can
  be published as plain static files. Base-map tiles are the one online part: the
  OpenStreetMap layer simply stays empty offline and the choropleth remains readable on a
  light grey background.
* **French numbers formatted in Python** (:mod:`espass_geo.present.fmt`), never by the browser:
  tooltips read pre-formatted ``*_fr`` columns, the legend is plain HTML built here (branca's
  own colormap legend would also load d3 from a CDN).
* **Classes, not continuous colours**: quantile classes rounded to "nice" breaks
  (:func:`class_breaks`), symmetric around 0 for flows (``diverging=True``).
* **Data is text, never template or markup.** Zone names, parcel ids, labels and titles come
  from users' files: no such string is ever compiled by Jinja2 (every element of a page renders
  through :class:`_SafeMacroRender`, the page through :class:`_SafeFigure`), and each is
  escaped for where it lands (HTML text here, ``innerHTML`` strings in the GeoJSON properties
  and layer names escaped by :func:`_esc`, JSON in ``<script>`` by folium's ``tojson``).

Main entry points: :func:`stocks_map` (the stock map), :func:`flows_map` (the flow map, ALDO
sign convention), :func:`emissions_map` (GHG footprint and direct GHG per inhabitant, air
pollutants per km²), :func:`scenario_map` (baseline / scenario side by side, a
``folium.plugins.DualMap``), :func:`bilan_map` (the published map of the bilan: every
indicator per zone, one layer at a time, with a synthesis panel), :func:`choropleth_layer`
(reusable layer + classes), :func:`raster_to_png` (raster overlay), :func:`make_map`, :func:`save_map`.
"""

from __future__ import annotations

import html as _html
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import branca.colormap as bcm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import DualMap
from folium.template import Template

from espass_geo.constants import LAMBERT93
from espass_geo.errors import EspassGeoError, MissingCRSError
from espass_geo.present.charts import (
    ESTIMATE_NOTE_FR,
    POLLUTANTS,
    POST_LABELS_FR,
    SUBSTANCE_LABELS_FR,
)
from espass_geo.present.fmt import fmt_area_ha, fmt_mass_t, fmt_number, fmt_percent, fmt_quantity

__all__ = [
    "DEFAULT_SOURCES_FR",
    "LIB_DIR",
    "STATIC_DIR",
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

#: Vendored web assets (Leaflet, jQuery, Bootstrap, Font Awesome...), see static/README.md.
STATIC_DIR: Path = Path(__file__).resolve().parent / "static"
#: Folder, next to the saved HTML, that receives the assets; referenced by relative URLs.
LIB_DIR: str = "lib"

#: folium asset name -> file under ``static/`` (same names as ``folium.Map.default_js``).
VENDORED_JS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "bootstrap": "bootstrap/bootstrap.bundle.min.js",
    "awesome_markers": "awesome-markers/leaflet.awesome-markers.js",
    # folium.plugins.DualMap (baseline / scenario side by side, scenario_map)
    "Leaflet.Sync": "leaflet-sync/L.Map.Sync.js",
}
VENDORED_CSS: dict[str, str] = {
    "leaflet_css": "leaflet/leaflet.css",
    "bootstrap_css": "bootstrap/bootstrap.min.css",
    "glyphicons_css": "glyphicons/bootstrap-glyphicons.css",
    "awesome_markers_font_css": "fontawesome/css/all.min.css",
    "awesome_markers_css": "awesome-markers/leaflet.awesome-markers.css",
}
#: folium assets deliberately left out: the marker-rotation CSS lives only in folium's git
#: repository (not in a package); without it ``folium.Icon(angle=...)`` is not rotated.
DROPPED_ASSETS: frozenset[str] = frozenset({"awesome_rotate_css"})

DEFAULT_SOURCES_FR: str = (
    "Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO ; "
    "parcelles : RPG (IGN/ASP)"
)
_SOURCES_NO_PARCELS_FR: str = (
    "Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO"
)

DENSITY_CAPTION_FR: str = "Stock de carbone moyen (tC/ha)"
NODATA_COLOR: str = "#bdbdbd"
BACKGROUND_COLOR: str = "#eceeee"

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


#: What :func:`save_map` and :func:`localize_assets` accept.
MapLike = folium.Map | DualMap


class RemoteAssetError(EspassGeoError):
    """A saved map would load a script or stylesheet from the internet."""


# --------------------------------------------------------------------------------------------
# Offline assets
# --------------------------------------------------------------------------------------------

def _local_url(relpath: str) -> str:
    return f"{LIB_DIR}/{relpath}"


def _localized(links: Iterable[tuple[str, str]],
               vendored: Mapping[str, str]) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if name in DROPPED_ASSETS:
            continue
        out.append((name, _local_url(vendored[name]) if name in vendored else url))
    return out


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def localize_assets(m: MapLike) -> MapLike:
    """Point every known folium asset of ``m`` and its children to the vendored ``lib/`` copy.

    ``m`` may be a :class:`folium.Map` or a :class:`folium.plugins.DualMap`: the whole page
    (``m.get_root()``) is walked, so both maps of a DualMap (``m1``, ``m2``) and the DualMap
    itself (Leaflet.Sync) are localised.

    Works on the instances (``default_js``/``default_css`` instance attributes), never on the
    folium classes, so other maps of the process are untouched. Assets without a vendored copy
    keep their URL; :func:`save_map` then refuses to save (see :func:`remote_assets`).
    """
    for element in _walk(m.get_root()):
        if isinstance(element, JSCSSMixin):
            element.default_js = _localized(element.default_js, VENDORED_JS)
            element.default_css = _localized(element.default_css, VENDORED_CSS)
    return m


_REMOTE_RE = re.compile(
    r"""<(?:script[^>]*?\bsrc|link[^>]*?\bhref)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)
_LOCAL_RE = re.compile(
    r"""<(?:script[^>]*?\bsrc|link[^>]*?\bhref)\s*=\s*["']?""" + re.escape(LIB_DIR)
    + r"""/([^"'\s>]+)""",
    re.IGNORECASE,
)


def remote_assets(html: str) -> list[str]:
    """URLs of scripts and stylesheets loaded from the network by an HTML page.

    Only ``<script src>`` and ``<link href>`` count; tile URLs inside scripts are not assets.
    """
    return _REMOTE_RE.findall(html)


# --------------------------------------------------------------------------------------------
# Rendering without template evaluation of data (issue #9, item 1)
# --------------------------------------------------------------------------------------------
#
# branca's ``MacroElement.render`` wraps the *rendered* text of every element in
# ``Element(text)``, which compiles that text as a new Jinja2 template: a zone name
# ``{{7*7}}`` in a tooltip or in the embedded GeoJSON was evaluated (published as ``49``),
# ``{% bis`` crashed the run. Here no rendered text is ever compiled: every element of a map
# built by this module renders its macros into :class:`_LiteralElement` (text written as it
# is), the page (:class:`_SafeFigure`) turns any plain ``Element(text)`` left by folium into a
# literal before writing it, and user strings are escaped for their context (HTML text by
# :func:`_esc`, JSON inside ``<script>`` by folium's ``tojson``, which writes ``<``, ``>``,
# ``&``, ``'`` as ``\u003c``…).


def _esc(value: Any) -> str:
    """HTML text of ``value`` (``&``, ``<``, ``>`` escaped; quotes kept, as in « L'Île »): for
    strings that a browser writes with ``innerHTML`` as element text (tooltip cells, layer
    names), never into an attribute."""
    return _html.escape(str(value), quote=False)


class _LiteralElement(Element):
    """Text written into the page as it is: never compiled, never evaluated."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "LiteralElement"
        self.text = str(text)

    def render(self, **kwargs: Any) -> str:
        return self.text


class _SafeMacroRender(MacroElement):
    """``MacroElement.render`` without the compilation of its output (see above).

    Mixed into the class of every element of a page by :func:`_make_safe`, so that the
    ``super().render()`` chain of folium's classes ends here rather than in branca's."""

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("an element can only be rendered inside a page (Figure)")
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_LiteralElement(str(macro(self, kwargs))),
                                                name=self.get_name())
        for element in list(self._children.values()):
            _make_safe(element).render(**kwargs)


_SAFE_CLASSES: dict[type, type] = {}


def _make_safe(element: Element) -> Element:
    """``element`` with :class:`_SafeMacroRender` mixed into its class (same instance)."""
    if isinstance(element, MacroElement) and not isinstance(element, _SafeMacroRender):
        cls = type(element)
        safe = _SAFE_CLASSES.get(cls)
        if safe is None:
            safe = type(cls.__name__, (cls, _SafeMacroRender), {"__module__": cls.__module__})
            if issubclass(cls, folium.map.Class):  # folium keys its "include" options by class
                folium.map.Class._includes[safe] = folium.map.Class._includes[cls]
            _SAFE_CLASSES[cls] = safe
        element.__class__ = safe
    return element


class _SafeFigure(Figure):
    """The page of a map: children rendered by :class:`_SafeMacroRender`, and every plain
    ``Element(text)`` of the head, body and script written literally (its source text), never
    evaluated. The page template itself is branca's (values inserted, nothing compiled)."""

    def render(self, **kwargs: Any) -> str:
        for child in list(self._children.values()):
            _make_safe(child).render(**kwargs)
        for part in (self.header, self.html, self.script):
            for name, child in list(part._children.items()):
                if type(child) is Element and child._template_str is not None:
                    literal = _LiteralElement(child._template_str)
                    literal._parent = part
                    part._children[name] = literal
        return cast(str, self._template.render(this=self, kwargs=kwargs))


def _protect(m: MapLike) -> MapLike:
    """Make the page of ``m`` render through :class:`_SafeFigure` (idempotent)."""
    root = m.get_root()
    if isinstance(root, Figure) and not isinstance(root, _SafeFigure):
        root.__class__ = _SafeFigure
    return m


class _LayerControl(folium.LayerControl):
    """folium's layer control with the layer names HTML-escaped: Leaflet writes them into the
    page with ``innerHTML`` (a scenario label ``<img onerror=…>`` would run)."""

    def render(self, **kwargs: Any) -> None:
        self.reset()
        for item in self._parent._children.values():
            if isinstance(item, folium.map.Layer) and item.control:
                target = self.overlays if item.overlay else self.base_layers
                target[_esc(item.layer_name)] = item.get_name()
        super(folium.LayerControl, self).render(**kwargs)


class _MapStyle(MacroElement):
    """CSS of the map page: light background (readable without tiles), boxes, legend."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .folium-map.leaflet-container { background: {{ this.background }}; }
        .espass-box { background: rgba(255, 255, 255, 0.93); border-radius: 6px;
            box-shadow: 0 1px 5px rgba(0, 0, 0, 0.35); color: #222;
            font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
                         Arial, sans-serif; }
        .espass-title-wrap { position: fixed; top: 10px; left: 270px; right: 270px;
            z-index: 1000; text-align: center; pointer-events: none; }
        @media (max-width: 900px) { .espass-title-wrap { left: 55px; right: 55px; } }
        .espass-title { display: inline-block; padding: 6px 16px; text-align: center; }
        .espass-title h1 { font-size: 18px; font-weight: 600; margin: 0; line-height: 1.3; }
        .espass-title p { font-size: 13px; margin: 2px 0 0 0; color: #444; }
        .espass-legend { padding: 8px 10px; font-size: 12px; line-height: 1.25; }
        .espass-legend-title { font-weight: 600; margin-bottom: 5px; }
        .espass-legend-row { display: flex; align-items: center; margin: 2px 0; }
        .espass-swatch { display: inline-block; width: 22px; height: 14px; margin-right: 7px;
            border: 1px solid rgba(0, 0, 0, 0.25); flex: none; }
        .espass-gradient { height: 10px; width: 150px; margin: 3px 0 1px 0;
            border: 1px solid rgba(0, 0, 0, 0.25); }
        .espass-gradient-ticks { display: flex; justify-content: space-between; width: 152px; }
        .espass-legend-sub { margin-top: 7px; font-weight: 600; }
        .espass-notes { padding: 6px 9px; font-size: 11px; line-height: 1.3; max-width: 440px; }
        .espass-notes ul { margin: 0; padding-left: 15px; }
        .espass-notes li { margin: 1px 0; }
        .espass-notes .espass-sources { margin-top: 3px; color: #444; }
        .leaflet-tooltip.espass-tooltip { font-size: 12px; }
        .espass-raster { image-rendering: pixelated; }
        .espass-action-swatch { display: inline-block; width: 20px; height: 12px;
            margin-right: 7px; border: 2.5px solid; background: transparent; flex: none;
            box-sizing: border-box; }
        .espass-basemap { filter: grayscale(85%) brightness(1.05); }
        .leaflet-control-layers-overlays label { font-size: 13px; }
        .espass-transitions { font-size: 12px; max-width: min(calc(100vw - 300px), 1100px); }
        .espass-transitions summary { cursor: pointer; padding: 6px 10px; font-weight: 600; }
        .espass-matrix-wrap { max-height: 50vh; overflow: auto; margin: 0 10px 8px 10px; }
        .espass-matrix { border-collapse: separate; border-spacing: 0;
            font-variant-numeric: tabular-nums; }
        .espass-matrix th, .espass-matrix td { border-right: 1px solid #d9d9d9;
            border-bottom: 1px solid #d9d9d9; padding: 2px 5px; background: #fff; }
        .espass-matrix td { text-align: right; white-space: nowrap; }
        .espass-matrix th { font-weight: 600; background: #f3f3f3; text-align: left;
            min-width: 5em; max-width: 10.5em; overflow-wrap: break-word; }
        .espass-matrix th[scope="row"] { min-width: 9em; max-width: 13em; }
        .espass-matrix tr:first-child th { position: sticky; top: 0; z-index: 2;
            vertical-align: bottom; }
        .espass-matrix th[scope="row"] { position: sticky; left: 0; z-index: 1; }
        .espass-matrix tr:first-child th.espass-corner { left: 0; z-index: 3; }
        .espass-matrix .espass-corner { font-weight: 400; color: #555; font-size: 11px; }
        .espass-matrix td.espass-zero { color: #a0a0a0; }
        .espass-matrix td.espass-diag { color: #8a8a8a; font-style: italic; background: #f7f7f7; }
        .espass-matrix .espass-total, .espass-matrix tr.espass-total td { font-weight: 600;
            background: #ececec; }
        </style>
        {% endmacro %}
        """
    )

    def __init__(self, background: str = BACKGROUND_COLOR) -> None:
        super().__init__()
        self._name = "EspassMapStyle"
        self.background = background


class _ScaleControl(MacroElement):
    """Metric-only scale bar (Leaflet's default also shows miles and feet)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, position: "bottomleft"})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ScaleControl"


class _HtmlControl(MacroElement):
    """A Leaflet control whose content is plain HTML written into the page body.

    The HTML stays literal in the file (readable by tests, escaped by us), and the control is
    stacked by Leaflet with the other controls of the same corner.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="leaflet-control espass-box {{ this.css_class }}">
        {{ this.content }}
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = document.getElementById({{ this.get_name()|tojson }});
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, position: str = "bottomright", css_class: str = "") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.content = content
        self.position = position
        self.css_class = css_class


def make_map(
    *,
    location: Sequence[float] | None = None,
    zoom_start: int = 9,
    basemap: bool = True,
    background: str = BACKGROUND_COLOR,
    **kwargs: Any,
) -> folium.Map:
    """A folium map whose scripts and stylesheets are loaded from ``lib/`` (offline).

    Parameters
    ----------
    location, zoom_start
        Initial view (lat, lon); usually overridden by ``fit_bounds``.
    basemap
        Add the optional "Fond OpenStreetMap (en ligne)" tile layer (greyed, toggleable).
        Without internet its tiles stay blank and the map keeps its light grey background.
    background
        CSS colour of the map area behind the layers.
    **kwargs
        Passed to :class:`folium.Map` (except ``tiles``: the map is created with
        ``tiles=None``).

    Save with :func:`save_map`, which copies the assets next to the HTML.
    """
    if "tiles" in kwargs:
        raise TypeError("make_map() takes no 'tiles' argument: use basemap=True/False, or add a "
                        "folium.TileLayer to the returned map.")
    m = folium.Map(location=location, zoom_start=zoom_start, tiles=None, **kwargs)
    _setup_map(m, basemap=basemap, background=background)
    return m


def _setup_map(m: folium.Map, *, basemap: bool, background: str = BACKGROUND_COLOR,
               style: bool = True) -> folium.Map:
    """Local assets, page style (``style=False``: already on the page), metric scale bar and
    optional OpenStreetMap background of a map created with ``tiles=None``."""
    # on the instance only: folium.Map.default_js/_css (class attributes) stay untouched
    m.default_js = _localized(folium.Map.default_js, VENDORED_JS)
    m.default_css = _localized(folium.Map.default_css, VENDORED_CSS)
    _protect(m)
    if style:
        _MapStyle(background).add_to(m)
    _ScaleControl().add_to(m)
    if basemap:
        folium.TileLayer(
            "OpenStreetMap",
            name="Fond OpenStreetMap (en ligne)",
            overlay=True,  # a check box, so that it can be switched off
            control=True,
            show=True,
            class_name="espass-basemap",
        ).add_to(m)
    return m


def _copy_assets(html: str, lib_dir: Path) -> list[Path]:
    """Copy the vendored package folders referenced by ``html`` into ``lib_dir``."""
    packages = sorted({ref.split("/", 1)[0] for ref in _LOCAL_RE.findall(html)})
    copied = []
    for package in packages:
        src = STATIC_DIR / package
        if not src.is_dir():
            raise EspassGeoError(
                f"the map references '{LIB_DIR}/{package}/...' but '{src}' does not exist; "
                "reinstall espass-geo from a complete checkout (espass_geo/static/)."
            )
        shutil.copytree(src, lib_dir / package, dirs_exist_ok=True)
        copied.append(lib_dir / package)
    if packages:
        shutil.copy2(STATIC_DIR / "README.md", lib_dir / "README.md")
    return copied


def save_map(m: MapLike, html_path: str | os.PathLike[str], *,
             allow_remote: bool = False) -> Path:
    """Save ``m`` to ``html_path`` and copy the assets it uses into ``<html dir>/lib/``.

    ``m``: a :class:`folium.Map` or a :class:`folium.plugins.DualMap` (whole page saved).

    The HTML is written to a temporary file of the same folder and then renamed
    (``os.replace``), so an error never leaves a partial file behind. Any script or
    stylesheet still pointing to the internet (a folium plugin without a vendored copy, a
    branca colormap added to the map…) raises :class:`RemoteAssetError`, unless
    ``allow_remote=True``.

    Returns the path of the HTML file.
    """
    html_path = Path(html_path)
    localize_assets(m)
    page = _protect(m).get_root().render()
    remote = remote_assets(page)
    if remote and not allow_remote:
        raise RemoteAssetError(
            f"la carte « {html_path.name} » chargerait {len(remote)} ressource(s) depuis "
            "internet (elle ne fonctionnerait pas hors ligne) : " + ", ".join(remote)
            + ". Copiez-les dans espass_geo/static/ (et déclarez leurs noms folium dans "
            "espass_geo.present.maps.VENDORED_JS/VENDORED_CSS), utilisez espass_geo.present.maps.legend_element "
            "au lieu d'une échelle de couleurs branca, ou passez allow_remote=True."
        )
    html_path.parent.mkdir(parents=True, exist_ok=True)
    _copy_assets(page, html_path.parent / LIB_DIR)
    fd, tmp = tempfile.mkstemp(dir=html_path.parent, prefix=f".{html_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; published pages must be world-readable
        os.replace(tmp, html_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return html_path


# --------------------------------------------------------------------------------------------
# Classes and colours
# --------------------------------------------------------------------------------------------

_NICE_STEPS = (1.0, 2.0, 5.0)


def _nice_steps_below(target: float) -> Iterator[float]:
    """Nice steps (1, 2, 5 × 10^k) from the largest ≤ ``target`` downwards."""
    k = math.floor(math.log10(target))
    while True:
        for s in reversed(_NICE_STEPS):
            step = s * 10.0**k
            if step <= target * (1 + 1e-12):
                yield step
        k -= 1


def _snap(x: float, step: float, how: str = "round") -> float:
    q = round(x / step, 9)  # 0.30000000000000004 / 0.1 → 3.0, not 3.0000000000000004
    n = math.floor(q) if how == "floor" else math.ceil(q) if how == "ceil" else round(q)
    return float(round(n * step, 10))


def _finite(values: Iterable[float] | pd.Series | np.ndarray) -> np.ndarray:
    arr = np.asarray(pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce"))
    return arr[np.isfinite(arr)]


def _sequential_breaks(v: np.ndarray, n: int) -> list[float]:
    lo, hi = float(v.min()), float(v.max())
    # equal values, or equal up to float noise (9.2 ± 1e-15 from a division): one class
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1.0):
        step = next(_nice_steps_below(abs(lo) / 10 if lo else 1.0))
        return [_snap(lo, step, "floor"), _snap(lo, step, "floor") + step]
    n = min(n, len(np.unique(v)))  # no more classes than distinct values
    best: list[float] = []
    for step in _nice_steps_below((hi - lo) / n / 2):
        edges = [_snap(lo, step, "floor"), _snap(hi, step, "ceil")]
        inner = [_snap(float(q), step) for q in np.quantile(v, np.linspace(0, 1, n + 1)[1:-1])]
        breaks = sorted({edges[0], edges[1], *(q for q in inner if edges[0] < q < edges[1])})
        best = breaks
        if len(breaks) - 1 >= n or step < (hi - lo) * 1e-6:
            break
    return best


def _diverging_breaks(v: np.ndarray, n: int) -> list[float]:
    a = np.abs(v)
    top = float(a.max())
    k = max(1, math.ceil(n / 2))
    if top == 0:
        return [-1.0, 0.0, 1.0]
    k = min(k, len(np.unique(a[a > 0])) or 1)
    pos: list[float] = []
    for step in _nice_steps_below(top / k / 2):
        outer = _snap(top, step, "ceil")
        inner = [_snap(float(q), step) for q in np.quantile(a, np.linspace(0, 1, k + 1)[1:-1])]
        pos = sorted({outer, *(q for q in inner if 0 < q < outer)})
        if len(pos) >= k or step < top * 1e-6:
            break
    return [-p for p in reversed(pos)] + [0.0] + pos


def class_breaks(values: Iterable[float] | pd.Series | np.ndarray, n_classes: int = 6, *,
                 diverging: bool = False) -> list[float]:
    """Class edges from quantiles, rounded to nice numbers (multiples of 1, 2 or 5 × 10^k).

    Returns ``n + 1`` increasing edges covering all finite values. Sequential: the outer
    edges are the minimum and maximum rounded outwards; inner edges are the quantiles at
    ``k / n_classes`` rounded to a step of about a twentieth of the range (refined when
    rounding would merge classes). Diverging: symmetric around 0 (0 is always an edge,
    ``n_classes`` rounded up to an even number), built from quantiles of ``|values|``.
    Fewer classes come out when the data have fewer distinct values.

    Examples
    --------
    >>> class_breaks([31, 44, 52, 58, 63, 70, 77, 86, 95, 118], 5)
    [30.0, 50.0, 60.0, 75.0, 90.0, 120.0]
    >>> class_breaks([-40, -12, -3, 2, 9, 25], 4, diverging=True)
    [-40.0, -10.0, 0.0, 10.0, 40.0]
    """
    if not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    v = _finite(values)
    if v.size == 0:
        raise ValueError("no finite value to classify; check the value column (all NaN?).")
    return _diverging_breaks(v, n_classes) if diverging else _sequential_breaks(v, n_classes)


def _palette_colors(palette: str | Sequence[str], n: int, diverging: bool) -> list[str]:
    from matplotlib import colormaps
    from matplotlib.colors import LinearSegmentedColormap, to_hex

    if isinstance(palette, str):
        try:
            cmap = colormaps[palette]
        except KeyError:
            raise ValueError(f"unknown matplotlib colormap {palette!r}; e.g. 'YlGn', 'Greens', "
                             "'BrBG', 'RdYlGn', or pass a list of colours.") from None
    else:
        colors = list(palette)
        if len(colors) == n:
            return [to_hex(c) for c in colors]
        cmap = LinearSegmentedColormap.from_list("espass", colors)
    # skip the near-white end of sequential palettes (invisible on the grey background)
    positions = np.linspace(0.05, 0.95, n) if diverging else np.linspace(0.15, 1.0, n)
    return [to_hex(cmap(float(p))) for p in positions]


def _decimals_for(breaks: Sequence[float]) -> int:
    for d in range(4):
        if all(abs(b - round(b, d)) < 1e-9 for b in breaks):
            return d
    return 3


@dataclass(frozen=True)
class ColorClasses:
    """Class edges, one colour per class, caption and French labels of a choropleth.

    ``breaks`` has one more item than ``colors``; class ``i`` is ``[breaks[i], breaks[i+1])``
    (the last one closed); values outside are given the nearest class. NaN → ``nodata_color``.
    """

    breaks: tuple[float, ...]
    colors: tuple[str, ...]
    caption: str
    decimals: int = 0
    nodata_color: str = NODATA_COLOR
    nodata_label: str = "Pas de donnée"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if len(self.breaks) != len(self.colors) + 1:
            raise ValueError(f"{len(self.breaks)} breaks for {len(self.colors)} colours; "
                             "expected one more break than colours.")
        if any(b2 <= b1 for b1, b2 in zip(self.breaks, self.breaks[1:], strict=False)):
            raise ValueError(f"breaks must increase strictly: {self.breaks}")

    @property
    def labels(self) -> tuple[str, ...]:
        """French labels of the classes, e.g. ``"40 à 60"``, ``"−1 000 à −500"`` (a dash
        would be confused with the minus sign of negative flows)."""
        f = [fmt_number(b, self.decimals) for b in self.breaks]
        return tuple(f"{a} à {b}" for a, b in zip(f, f[1:], strict=False))

    @cached_property
    def colormap(self) -> bcm.StepColormap:
        """The branca step colormap (French tick labels). Do not add it to a map: its
        legend loads d3 from a CDN; use :func:`legend_element` instead."""
        return bcm.StepColormap(
            list(self.colors), index=list(self.breaks), vmin=self.breaks[0],
            vmax=self.breaks[-1], caption=self.caption,
            # branca annotates tick_labels as floats but displays any value as given
            tick_labels=cast(Any, [fmt_number(b, self.decimals) for b in self.breaks]),
        )

    def color(self, value: Any) -> str:
        """``#rrggbb`` of ``value``'s class (``nodata_color`` for NaN/None)."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return self.nodata_color
        if not math.isfinite(x):
            return self.nodata_color
        return str(self.colormap.rgb_hex_str(x))


def make_classes(values: Iterable[float] | pd.Series | np.ndarray, *, caption: str,
                 palette: str | Sequence[str] = "YlGn", n_classes: int = 6,
                 diverging: bool = False, breaks: Sequence[float] | None = None) -> ColorClasses:
    """Classes (:func:`class_breaks` unless ``breaks`` is given) and palette colours."""
    edges = list(breaks) if breaks is not None else class_breaks(values, n_classes,
                                                                 diverging=diverging)
    colors = _palette_colors(palette, len(edges) - 1, diverging)
    return ColorClasses(tuple(float(b) for b in edges), tuple(colors), caption,
                        decimals=_decimals_for(edges))


def _legend_html(classes: ColorClasses, *, show_nodata: bool, raster: Mapping[str, Any] | None,
                 note: str | None) -> str:
    esc = _html.escape
    rows = [f'<div class="espass-legend-title">{esc(classes.caption)}</div>']
    for color, label in reversed(list(zip(classes.colors, classes.labels, strict=True))):
        rows.append(f'<div class="espass-legend-row"><span class="espass-swatch" '
                    f'style="background:{color}"></span><span>{esc(label)}</span></div>')
    if show_nodata:
        rows.append(f'<div class="espass-legend-row"><span class="espass-swatch" '
                    f'style="background:{classes.nodata_color}"></span>'
                    f'<span>{esc(classes.nodata_label)}</span></div>')
    if raster and {"cmap", "vmin", "vmax"} <= set(raster):
        from matplotlib import colormaps
        from matplotlib.colors import to_hex

        cmap = colormaps[str(raster["cmap"])]
        stops = ", ".join(to_hex(cmap(float(p))) for p in np.linspace(0, 1, 7))
        d = 0 if float(raster["vmax"]) - float(raster["vmin"]) >= 10 else 1
        sub = esc(str(raster.get("caption", "Par pixel (tC/ha)")))
        rows.append(f'<div class="espass-legend-sub">{sub}</div>'
                    f'<div class="espass-gradient" style="background:linear-gradient(to right, '
                    f'{stops})"></div><div class="espass-gradient-ticks">'
                    f'<span>{esc(fmt_number(raster["vmin"], d))}</span>'
                    f'<span>{esc(fmt_number(raster["vmax"], d))}</span></div>')
    if note:
        rows.append(f'<div style="margin-top:5px;color:#444">{esc(note)}</div>')
    return "\n".join(rows)


def legend_element(classes: ColorClasses, *, position: str = "bottomright",
                   show_nodata: bool = False, raster: Mapping[str, Any] | None = None,
                   note: str | None = None) -> MacroElement:
    """A legend control (plain HTML, French labels) to ``add_to`` a map.

    ``raster``: the dict of :func:`raster_to_png` adds a gradient for the pixel layer.
    """
    content = _legend_html(classes, show_nodata=show_nodata, raster=raster, note=note)
    return _HtmlControl(content, position=position, css_class="espass-legend")


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
    fields = [c for c, _ in tooltip]
    missing = [c for c in fields if c not in gdf.columns]
    if missing:
        raise KeyError(f"tooltip columns {missing} not in the layer; add them (e.g. with "
                       "espass_geo.present.fmt) before calling choropleth_layer.")
    web = gdf if _is_wgs84(gdf) else to_web_geometries(gdf, simplify_m=simplify_m)
    if classes is None:
        classes = make_classes(web[value_col], caption=caption, palette=palette,
                               n_classes=n_classes, diverging=diverging, breaks=breaks)
    values = pd.to_numeric(web[value_col], errors="coerce").astype("float64")
    props = pd.DataFrame(index=web.index)
    for col in dict.fromkeys(fields):
        # HTML-escaped here: folium's tooltip writes the values with innerHTML
        props[col] = [_esc(v) for v in web[col].astype("string").fillna("–")]
    # numbers travel as rounded floats (or null); colours are computed here, in Python
    props["value"] = [None if not math.isfinite(v) else round(v, 4) for v in values]
    props["fill"] = [classes.color(v) for v in values]
    data = gpd.GeoDataFrame(props, geometry=web.geometry.values, crs=4326).reset_index(drop=True)
    feature_collection = data.to_geo_dict(show_bbox=False)  # no per-feature bbox: lighter HTML

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return {"fillColor": feature["properties"]["fill"], "fillOpacity": fill_opacity,
                "color": line_color, "weight": line_weight}

    def highlight(_feature: dict[str, Any]) -> dict[str, Any]:
        return {"color": "#222222", "weight": max(2.0, line_weight * 2.5),
                "fillOpacity": min(1.0, fill_opacity + 0.15)}

    group = folium.FeatureGroup(name=name, show=show, overlay=True, control=True)
    geojson_kwargs: dict[str, Any] = {}
    if attribution:
        geojson_kwargs["attribution"] = attribution
    if pane:
        geojson_kwargs["pane"] = pane
    folium.GeoJson(
        feature_collection,
        name=name,
        control=False,
        style_function=style,
        highlight_function=highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=fields, aliases=[_esc(a) for _, a in tooltip], localize=False, sticky=True,
            labels=True, class_name="espass-tooltip",
        ) if fields else None,
        **geojson_kwargs,
    ).add_to(group)
    return group, classes


def _mass_with_share(value: Any, total: Any, unit: str = "tC") -> str:
    text = fmt_mass_t(value, unit)
    try:
        share = float(value) / float(total)
    except (TypeError, ValueError, ZeroDivisionError):
        return text
    if not math.isfinite(share) or text == "–":
        return text
    return f"{text} ({fmt_percent(share, 0)})"


def _zone_base_fr(zones: gpd.GeoDataFrame, zone_label: str) -> tuple[gpd.GeoDataFrame,
                                                                     list[tuple[str, str]]]:
    """Copy of ``zones`` with the name, code and area tooltip columns (shared by the maps)."""
    z = zones.copy()
    z["zone_name_fr"] = z["zone_name"].astype("string")
    z["zone_id_fr"] = z["zone_id"].astype("string")
    z["area_fr"] = [fmt_area_ha(v) for v in z["area_ha"]]
    return z, [("zone_name_fr", zone_label), ("zone_id_fr", "Code"), ("area_fr", "Surface")]


def _zones_fr(zones: gpd.GeoDataFrame, zone_label: str) -> tuple[gpd.GeoDataFrame,
                                                                 list[tuple[str, str]]]:
    z, tooltip = _zone_base_fr(zones, zone_label)
    z["stock_fr"] = [f"{fmt_mass_t(c, 'tC')} ({fmt_mass_t(e, 'tCO₂e')})"
                     if fmt_mass_t(c) != "–" else "–"
                     for c, e in zip(z["stock_tC"], z["stock_tCO2e"], strict=True)]
    z["density_fr"] = [fmt_quantity(v, "tC/ha", 1) for v in z["density_tC_ha"]]
    tooltip += [("stock_fr", "Stock total"), ("density_fr", "Densité")]
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


_RASTER_PANE = "espass_raster"
_PARCELS_PANE = "espass_parcels"
_INSEE_RE = re.compile(r"^(\d{2}|2[AB])\d{3}$")
_SIREN_RE = re.compile(r"^\d{9}$")


def _infer_zone_label(zone_ids: pd.Series) -> str:
    """ "Commune" if every id is an INSEE code, "EPCI" if every id is a SIREN, else "Zone"."""
    ids = zone_ids.astype("string").fillna("")
    if ids.str.match(_INSEE_RE).all():
        return "Commune"
    if ids.str.match(_SIREN_RE).all():
        return "EPCI"
    return "Zone"


def _per_zone(zone_label: str) -> str:
    """ "par commune", "par EPCI", "par secteur"… (acronyms keep their capitals)."""
    label = zone_label if zone_label.isupper() else zone_label.lower()
    return f"par {label}"


def _zone_layer_name(zone_label: str) -> str:
    return f"Stock moyen {_per_zone(zone_label)} (tC/ha)"


def _require(gdf: gpd.GeoDataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; expected at least {list(columns)} "
                       "(e.g. from espass_geo.core.stocks.zone_totals joined to the zone geometries).")


def _title_html(title: str, subtitle: str | None) -> str:
    sub = f"<p>{_html.escape(subtitle)}</p>" if subtitle else ""
    return (f'<div class="espass-title-wrap"><div class="espass-box espass-title">'
            f'<h1>{_html.escape(title)}</h1>{sub}</div></div>')


_SOURCES_PREFIXES = ("Sources", "Source :", "Limites communales")


def _notes_html(notes: Sequence[str], sources: str | None) -> str:
    items = "".join(f"<li>{_html.escape(str(n))}</li>" for n in notes)
    ul = f"<ul>{items}</ul>" if items else ""
    if not sources:
        return ul
    return f'{ul}<div class="espass-sources">Sources : {_html.escape(sources)}</div>'


def _default_sources(notes: Sequence[str], sources: str | None, default: str) -> str | None:
    """``default`` when ``sources`` is None and no note already gives the sources."""
    if sources is None and not any(str(n).startswith(_SOURCES_PREFIXES) for n in notes):
        return default
    return sources


def _new_map(title: str, *, basemap: bool, prefer_canvas: bool = False,
             **kwargs: Any) -> folium.Map:
    """:func:`make_map` with the page title set (HTML-escaped); ``kwargs`` go to
    :class:`folium.Map` (e.g. ``zoom_snap``)."""
    m = make_map(basemap=basemap, prefer_canvas=prefer_canvas, **kwargs)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.title = _html.escape(title)
    return m


def _finish_map(m: folium.Map, web: gpd.GeoDataFrame, *, title: str, subtitle: str | None,
                notes_html: str, html_path: str | os.PathLike[str] | None,
                padding_top_left: tuple[int, int] | None = None,
                padding_bottom_right: tuple[int, int] | None = None) -> None:
    """Notes box (bottom left), title box, view fitted on ``web`` (EPSG:4326), save.

    ``padding_top_left``/``padding_bottom_right`` (pixels ``(x, y)``): room kept for the
    boxes along the edges when fitting the view; default 20 px all around."""
    _HtmlControl(notes_html, position="bottomleft", css_class="espass-notes").add_to(m)
    m.get_root().html.add_child(_LiteralElement(_title_html(title, subtitle)),
                                name="espass_title")
    minx, miny, maxx, maxy = (float(b) for b in web.total_bounds)
    if padding_top_left is None and padding_bottom_right is None:
        m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(20, 20))
    else:
        m.fit_bounds([[miny, minx], [maxy, maxx]],
                     padding_top_left=padding_top_left or (20, 20),
                     padding_bottom_right=padding_bottom_right or (20, 20))
    if html_path is not None:
        save_map(m, html_path)


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
    basemap: bool = True,
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
        stock_hedges_tC`` appear in the tooltip with their share of the total.
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
        Add the optional online OpenStreetMap background.

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

    zone_group, classes = choropleth_layer(
        web, value_col, name=_zone_layer_name(zone_label), tooltip=tooltip,
        palette=palette, caption=caption, n_classes=n_classes,
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

    _LayerControl(collapsed=False, position="topright").add_to(m)
    show_nodata = bool(pd.to_numeric(web[value_col], errors="coerce").isna().any())
    legend_element(classes, show_nodata=show_nodata, raster=raster_png).add_to(m)
    sources = _default_sources(
        notes, sources, DEFAULT_SOURCES_FR if parcels is not None else _SOURCES_NO_PARCELS_FR)
    _finish_map(m, web, title=title, subtitle=subtitle, notes_html=_notes_html(notes, sources),
                html_path=html_path)
    return m


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
_HOTSPOTS_PANE = "espass_hotspots"


def _has_nonzero_digit(text: str) -> bool:
    return any(ch in "123456789" for ch in text)


def _signed(value: Any, text: str) -> str:
    """``text`` (formatted ``value``) with a "+" for a positive value that does not round to
    0: flows always show their sign ("+1 235", "−5 000", "0")."""
    try:
        positive = float(value) > 0
    except (TypeError, ValueError):
        return text
    return f"+{text}" if positive and _has_nonzero_digit(text) else text


def _fmt_flux(value: Any, unit: str = "tCO₂e/an") -> str:
    """Signed flow, kt from 10 000 t on (:func:`fmt_mass_t`): ``"−5 000 tCO₂e/an"``."""
    return _signed(value, fmt_mass_t(value, unit))


def _fmt_flux_ha(value: Any) -> str:
    """Signed flow per hectare: ``"+3,09 tCO₂e/ha/an"``."""
    return _signed(value, fmt_quantity(value, "tCO₂e/ha/an"))


def _flow_zones_fr(zones: gpd.GeoDataFrame, zone_label: str) -> tuple[gpd.GeoDataFrame,
                                                                      list[tuple[str, str]]]:
    z, tooltip = _zone_base_fr(zones, zone_label)
    z["flux_fr"] = [_fmt_flux(v) for v in z["flux_tCO2e_an"]]
    z["flux_ha_fr"] = [_fmt_flux_ha(v) for v in z["flux_tCO2e_ha_an"]]
    tooltip += [("flux_fr", "Flux net total"), ("flux_ha_fr", "Flux net par ha")]
    for col, label in FLOW_CAUSE_COLUMNS_FR.items():
        if col in z.columns:
            z[f"{col}_fr"] = [_fmt_flux(v) for v in z[col]]
            tooltip.append((f"{col}_fr", label))
    if "sealed_ha_an" in z.columns:
        z["sealed_fr"] = [fmt_quantity(v, "ha/an") for v in z["sealed_ha_an"]]
        tooltip.append(("sealed_fr", "Artificialisation"))
    if "sealing_flux_tCO2e_an" in z.columns:
        z["sealing_flux_fr"] = [_fmt_flux(v) for v in z["sealing_flux_tCO2e_an"]]
        tooltip.append(("sealing_flux_fr", "Flux de l'artificialisation"))
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
    group, classes = choropleth_layer(
        hweb, "sealed_ha", name=HOTSPOTS_LAYER_FR, tooltip=htooltip,
        palette="Reds", caption=HOTSPOTS_CAPTION_FR, n_classes=5, show=True,
        line_color="#67000d", line_weight=0.6, fill_opacity=0.85, pane=_HOTSPOTS_PANE)
    group.add_to(m)
    return group, legend_element(classes)


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


class _LegendSwitch(MacroElement):
    """Shows each legend only while its layer is on the map; the zone choropleths given as
    ``exclusive`` replace each other (ticking one unticks the others)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var pairs = [{% for group, legend in this.pairs %}
                [{{ group }}, {{ legend|tojson }}]{% if not loop.last %},{% endif %}{% endfor %}
            ];
            var exclusive = [{{ this.exclusive|join(", ") }}];
            function sync() {
                pairs.forEach(function (p) {
                    var el = document.getElementById(p[1]);
                    if (el) { el.style.display = map.hasLayer(p[0]) ? "" : "none"; }
                });
            }
            map.on("overlayadd", function (e) {
                if (exclusive.indexOf(e.layer) >= 0) {
                    // deferred: the layer control refreshes its check boxes after the click
                    setTimeout(function () {
                        exclusive.forEach(function (g) {
                            if (g !== e.layer && map.hasLayer(g)) { map.removeLayer(g); }
                        });
                        sync();
                    }, 0);
                }
                sync();
            });
            map.on("overlayremove", sync);
            sync();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, pairs: Sequence[tuple[folium.FeatureGroup, MacroElement]],
                 exclusive: Sequence[folium.FeatureGroup] = ()) -> None:
        super().__init__()
        self._name = "LegendSwitch"
        self.pairs = [(g.get_name(), legend.get_name()) for g, legend in pairs]
        self.exclusive = [g.get_name() for g in exclusive]


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
    basemap: bool = True,
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
        Add the optional online OpenStreetMap background.
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
    # zone outlines in grey: white would vanish on the near-white classes around 0
    zone_style: dict[str, Any] = {"line_color": "#8c8c8c", "line_weight": 0.6,
                                  "fill_opacity": 0.8}
    legends: list[tuple[folium.FeatureGroup, MacroElement]] = []
    zone_groups: list[folium.FeatureGroup] = []

    def nodata(col: str) -> bool:
        return bool(pd.to_numeric(web[col], errors="coerce").isna().any())

    layers = [("flux_tCO2e_ha_an", f"Flux net {_per_zone(zone_label)} (tCO₂e/ha/an)",
               FLOW_CAPTION_FR, True),
              ("flux_tCO2e_an", "Flux net total (tCO₂e/an)", FLOW_TOTAL_CAPTION_FR, False)]
    for col, name, caption, show in layers:
        group, classes = choropleth_layer(
            web, col, name=name, tooltip=tooltip, palette=list(FLOW_PALETTE), caption=caption,
            n_classes=n_classes, diverging=True, show=show, attribution=attribution,
            **zone_style)
        group.add_to(m)
        zone_groups.append(group)
        legends.append((group, legend_element(classes, show_nodata=nodata(col))))
    if "sealed_ha_an" in web.columns:
        group, classes = choropleth_layer(
            web, "sealed_ha_an", name=SEALING_CAPTION_FR, tooltip=tooltip, palette="OrRd",
            caption=SEALING_CAPTION_FR, n_classes=n_classes, show=False,
            attribution=attribution, **zone_style)
        group.add_to(m)
        zone_groups.append(group)
        legends.append((group, legend_element(classes, show_nodata=nodata("sealed_ha_an"))))

    if hotspots is not None:
        hot_layer = _hotspots_layer(m, hotspots)
        if hot_layer is not None:
            legends.append(hot_layer)

    _LayerControl(collapsed=False, position="topright").add_to(m)
    for _group, legend in legends:
        legend.add_to(m)
    _LegendSwitch(legends, exclusive=zone_groups).add_to(m)
    if transitions_html is not None:
        _HtmlControl(transitions_html, position="topleft",
                     css_class="espass-transitions").add_to(m)

    notes = list(notes)
    sources = _default_sources(notes, sources, _SOURCES_NO_PARCELS_FR)
    all_notes = [FLOW_SIGN_NOTE_FR, *(n for n in notes if str(n) != FLOW_SIGN_NOTE_FR)]
    _finish_map(m, web, title=title, subtitle=subtitle,
                notes_html=_notes_html(all_notes, sources), html_path=html_path)
    return m


# --------------------------------------------------------------------------------------------
# Emissions map: GHG per inhabitant (footprint by post, direct), air pollutants per km²
# --------------------------------------------------------------------------------------------

#: Default ESPASS posts of the emissions map (all but ``utilisation_terres``, a carbon flow).
EMISSION_POSTS: tuple[str, ...] = ("alimentation", "biens_consommation", "deplacements",
                                   "residentiel", "services", "travaux")
EMISSION_ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name", "area_ha", "population")
GHG_PER_CAPITA_UNIT_FR: str = "tCO₂e/hab/an"
POLLUTANT_DENSITY_UNIT_FR: str = "t/km²/an"
FOOTPRINT_LAYER_PREFIX_FR: str = "Empreinte GES par habitant"
FOOTPRINT_TOTAL_LAYER_FR: str = f"{FOOTPRINT_LAYER_PREFIX_FR} — total ({GHG_PER_CAPITA_UNIT_FR})"
DIRECT_GHG_LAYER_FR: str = f"Émissions directes de GES par habitant ({GHG_PER_CAPITA_UNIT_FR})"
#: What the layers measure (notes box, after the estimate warning and before the caller's notes).
EMISSIONS_NOTES_FR: tuple[str, ...] = (
    "Empreinte (approche consommation, postes ESPASS) : GES liés à la consommation des "
    "habitants, où qu'ils soient émis. Émissions directes (approche cadastrale, secteurs "
    "PCAET) : GES émis sur le territoire, rapportés à ses habitants.",
    "Polluants atmosphériques : émissions sur le territoire rapportées à sa surface.",
)
LAND_USE_NOTE_FR: str = ("Utilisation des terres (infobulle) : flux net de carbone des sols et "
                         "de la biomasse, convention ALDO : positif = séquestration.")
_SOURCES_EMISSIONS_FR: str = "Limites communales : IGN Admin Express COG 2018"
#: Sequential palettes: GHG in oranges/reds, air pollutants in purples.
FOOTPRINT_PALETTE: str = "OrRd"
DIRECT_GHG_PALETTE: str = "Reds"
#: ColorBrewer Purples without its two lightest classes (they vanish on the grey background).
POLLUTANT_PALETTE: tuple[str, ...] = ("#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3",
                                      "#54278f", "#3f007d")


def footprint_layer_name(post: str) -> str:
    """ "Empreinte GES par habitant — Alimentation" (layer name of a post)."""
    return f"{FOOTPRINT_LAYER_PREFIX_FR} — {POST_LABELS_FR.get(post, post)}"


def pollutant_layer_name(pollutant: str) -> str:
    """ "NOₓ (t/km²/an)" (layer name of a pollutant)."""
    return f"{SUBSTANCE_LABELS_FR.get(pollutant, pollutant)} ({POLLUTANT_DENSITY_UNIT_FR})"


def _fmt_per_capita(value: Any) -> str:
    """GHG per inhabitant, one decimal: ``"9,2 tCO₂e/hab/an"``."""
    return fmt_quantity(value, GHG_PER_CAPITA_UNIT_FR, 1)


def _fmt_density(value: Any) -> str:
    """Pollutant per km²: precision of :func:`fmt_quantity` (``"1,25 t/km²/an"``), and two
    significant digits below 0.1 (``"0,043 t/km²/an"`` rather than ``"0,04"``)."""
    try:
        a = abs(float(value))
    except (TypeError, ValueError):
        return fmt_quantity(value, POLLUTANT_DENSITY_UNIT_FR)
    decimals = None
    if math.isfinite(a) and 0 < a < 0.095:
        decimals = min(4, 1 - math.floor(math.log10(a)))
    return fmt_quantity(value, POLLUTANT_DENSITY_UNIT_FR, decimals)


def _fmt_population(value: Any) -> str:
    """ "12 345 hab." """
    return fmt_quantity(value, "hab.", 0)


def _col_key(name: str) -> str:
    """A property name safe for the GeoJSON tooltip ("PM2.5" → "PM2_5")."""
    return re.sub(r"\W", "_", name)


def _emission_zones_fr(zones: gpd.GeoDataFrame, zone_label: str, posts: Sequence[str],
                       pollutants: Sequence[str]) -> tuple[gpd.GeoDataFrame,
                                                           list[tuple[str, str]]]:
    z, tooltip = _zone_base_fr(zones, zone_label)
    z["population_fr"] = [_fmt_population(v) for v in z["population"]]
    tooltip.append(("population_fr", "Population"))
    z["ges_hab_total_fr"] = [_fmt_per_capita(v) for v in z["ges_hab_total_tCO2e"]]
    tooltip.append(("ges_hab_total_fr", "Empreinte GES (total)"))
    for post in posts:
        key = f"ges_hab_{_col_key(post)}_fr"
        z[key] = [_fmt_per_capita(v) for v in z[f"ges_hab_{post}_tCO2e"]]
        tooltip.append((key, f"dont {POST_LABELS_FR.get(post, post)}"))
    z["ges_direct_hab_fr"] = [_fmt_per_capita(v) for v in z["ges_direct_hab_tCO2e"]]
    tooltip.append(("ges_direct_hab_fr", "Émissions directes de GES"))
    for pollutant in pollutants:
        key = f"{_col_key(pollutant)}_t_km2_fr"
        z[key] = [_fmt_density(v) for v in z[f"{pollutant}_t_km2"]]
        tooltip.append((key, SUBSTANCE_LABELS_FR.get(pollutant, pollutant)))
    if "utilisation_terres_tCO2e_an" in z.columns:
        z["utilisation_terres_fr"] = [_fmt_flux(v) for v in z["utilisation_terres_tCO2e_an"]]
        tooltip.append(("utilisation_terres_fr", "Utilisation des terres (+ = séquestration)"))
    return z, tooltip


def _estimate_html() -> str:
    return (f'<div class="espass-estimate" style="font-weight:600;color:#b2182b;'
            f'margin-bottom:3px">{_html.escape(ESTIMATE_NOTE_FR)}</div>')


def _zone_layer(
    web: gpd.GeoDataFrame,
    col: str,
    *,
    name: str,
    caption: str,
    palette: str | Sequence[str],
    tooltip: Sequence[tuple[str, str]],
    show: bool,
    n_classes: int,
    attribution: str,
    diverging: bool = False,
    fmt_value: Any = None,
    **style: Any,
) -> tuple[folium.FeatureGroup, MacroElement, ColorClasses | None]:
    """A zone choropleth of ``col`` and its legend (not yet added to the map).

    Without any finite value the zones are grey and the legend has the no-data row only
    (classes ``None``). When every zone has the same value, the legend says so, formatted
    with ``fmt_value`` (e.g. a national per-capita footprint), rather than leave a flat map
    unexplained.
    """
    values = pd.to_numeric(web[col], errors="coerce").astype("float64")
    finite = values[np.isfinite(values)]
    if len(finite):
        group, classes = choropleth_layer(
            web, col, name=name, tooltip=tooltip, palette=palette, caption=caption,
            n_classes=n_classes, diverging=diverging, show=show, attribution=attribution,
            **style)
        uniform = len(finite) > 1 and float(finite.max() - finite.min()) <= 1e-9 * max(
            1.0, float(finite.abs().max()))
        note = (f"Même valeur dans toutes les zones : {fmt_value(finite.iloc[0])}"
                if uniform and fmt_value is not None else None)
        legend = legend_element(classes, show_nodata=bool(len(finite) < len(values)),
                                note=note)
        return group, legend, classes
    # no value at all: grey zones, a legend with the no-data row only
    nodata = ColorClasses((0.0, 1.0), (NODATA_COLOR,), caption)
    group, _ = choropleth_layer(web, col, name=name, tooltip=tooltip, classes=nodata,
                                show=show, attribution=attribution, **style)
    legend = _HtmlControl(
        f'<div class="espass-legend-title">{_html.escape(caption)}</div>'
        f'<div class="espass-legend-row"><span class="espass-swatch" '
        f'style="background:{NODATA_COLOR}"></span><span>'
        f'{_html.escape(nodata.nodata_label)}</span></div>',
        position="bottomright", css_class="espass-legend")
    return group, legend, None


def emissions_map(
    zones: gpd.GeoDataFrame,
    *,
    title: str,
    posts: Sequence[str] = EMISSION_POSTS,
    pollutants: Sequence[str] | None = None,
    notes: Sequence[str] = (),
    html_path: str | os.PathLike[str] | None = None,
    estimate: bool = False,
    subtitle: str | None = None,
    zone_label: str | None = None,
    basemap: bool = True,
    sources: str | None = None,
    n_classes: int = 6,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Map of the emissions per zone: GHG per inhabitant and air pollutants per km², offline.

    Layers, one zone layer shown at a time (ticking one unticks the others; each legend is
    shown with its layer):

    * "Empreinte GES par habitant — total (tCO₂e/hab/an)" (shown), then one per post
      "Empreinte GES par habitant — <Poste>" (consumption-based footprint, ESPASS posts);
    * "Émissions directes de GES par habitant (tCO₂e/hab/an)" (cadastral inventory, PCAET
      sectors, divided by the population);
    * one per pollutant "<Polluant> (t/km²/an)", e.g. "NOₓ (t/km²/an)".

    Sequential classes (:func:`class_breaks`), oranges/reds for GHG, purples for pollutants.
    The tooltip gives every value of the zone, formatted in French in Python
    ("9,2 tCO₂e/hab/an", "1,25 t/km²/an", "12 345 hab.").

    Parameters
    ----------
    zones
        GeoDataFrame with a CRS (EPSG:2154 expected), one row per zone: ``zone_id,
        zone_name, area_ha, population``; ``ges_hab_<post>_tCO2e`` for each post of
        ``posts`` and ``ges_hab_total_tCO2e`` (tCO₂e/hab/an); ``ges_direct_hab_tCO2e``;
        ``<pollutant>_t_km2`` for each pollutant of ``pollutants`` (t/km²/an); optional
        ``utilisation_terres_tCO2e_an`` (land-use carbon flow, ALDO convention: positive =
        sequestration; tooltip only). See ``espass_geo.runs.emissions.zone_indicators``.
    title, subtitle
        Title box at the top of the map (HTML-escaped).
    posts, pollutants
        Posts (ids of :data:`espass_geo.present.charts.POST_LABELS_FR`) and pollutants (ids of
        :data:`espass_geo.present.charts.SUBSTANCE_LABELS_FR`) mapped, in this order. By default
        (``pollutants=None``) the pollutants of :data:`espass_geo.present.charts.POLLUTANTS` that
        have a ``<pollutant>_t_km2`` column: a GHG-only inventory gives a map without
        pollutant layers.
    notes
        Lines of the notes box (bottom left, HTML-escaped), after the definitions of the
        layers (:data:`EMISSIONS_NOTES_FR`).
    estimate
        The inventory is the demonstration estimate: the notes box starts with
        :data:`espass_geo.present.charts.ESTIMATE_NOTE_FR` in red (a note of ``notes`` starting
        with "Inventaire de démonstration" is then not repeated).
    sources
        Sources line; by default "Limites communales : IGN Admin Express COG 2018" unless
        a note already gives the sources; ``""``: none.
    html_path
        If given, the map is saved there with :func:`save_map` (assets in ``lib/``).
    zone_label
        Tooltip label of ``zone_name``; inferred from ``zone_id`` (see :func:`stocks_map`).
    basemap
        Add the optional online OpenStreetMap background.
    n_classes
        Number of classes of each choropleth.

    Returns
    -------
    folium.Map
    """
    posts = (posts,) if isinstance(posts, str) else tuple(posts)
    if pollutants is None:
        pollutants = tuple(p for p in POLLUTANTS if f"{p}_t_km2" in zones.columns)
    pollutants = (pollutants,) if isinstance(pollutants, str) else tuple(pollutants)
    required = [*EMISSION_ZONE_COLUMNS, "ges_hab_total_tCO2e",
                *(f"ges_hab_{p}_tCO2e" for p in posts), "ges_direct_hab_tCO2e",
                *(f"{p}_t_km2" for p in pollutants)]
    missing = [c for c in required if c not in zones.columns]
    if missing:
        raise KeyError(f"zones: missing column(s) {missing}; expected {required} (e.g. from "
                       "espass_geo.runs.emissions.zone_indicators), or pass the posts= "
                       "and pollutants= actually present.")
    if len(zones) == 0:
        raise ValueError("zones is empty: nothing to map.")
    if zone_label is None:
        zone_label = _infer_zone_label(zones["zone_id"])
    z, tooltip = _emission_zones_fr(zones, zone_label, posts, pollutants)
    web = to_web_geometries(z, simplify_m=simplify_m)

    # fractional zoom: fit_bounds fills the window better (many boxes around the zones)
    m = _new_map(title, basemap=basemap, zoom_snap=0.25, zoom_delta=0.5)
    attribution = "IGN Admin Express COG 2018"
    ghg_unit = f" ({GHG_PER_CAPITA_UNIT_FR})"
    # (column, layer name, legend caption, palette)
    layers: list[tuple[str, str, str, str | list[str]]] = [
        ("ges_hab_total_tCO2e", FOOTPRINT_TOTAL_LAYER_FR, FOOTPRINT_TOTAL_LAYER_FR,
         FOOTPRINT_PALETTE)]
    layers += [(f"ges_hab_{p}_tCO2e", footprint_layer_name(p),
                footprint_layer_name(p) + ghg_unit, FOOTPRINT_PALETTE) for p in posts]
    layers.append(("ges_direct_hab_tCO2e", DIRECT_GHG_LAYER_FR, DIRECT_GHG_LAYER_FR,
                   DIRECT_GHG_PALETTE))
    layers += [(f"{p}_t_km2", pollutant_layer_name(p),
                f"Émissions de {SUBSTANCE_LABELS_FR.get(p, p)} ({POLLUTANT_DENSITY_UNIT_FR})",
                list(POLLUTANT_PALETTE)) for p in pollutants]

    legends: list[tuple[folium.FeatureGroup, MacroElement]] = []
    zone_groups: list[folium.FeatureGroup] = []
    for k, (col, name, caption, palette) in enumerate(layers):
        group, legend, _ = _zone_layer(
            web, col, name=name, caption=caption, palette=palette, tooltip=tooltip,
            show=k == 0, n_classes=n_classes, attribution=attribution,
            fmt_value=_fmt_density if col.endswith("_t_km2") else _fmt_per_capita)
        group.add_to(m)
        zone_groups.append(group)
        legends.append((group, legend))

    _LayerControl(collapsed=False, position="topright").add_to(m)
    for _group, legend in legends:
        legend.add_to(m)
    _LegendSwitch(legends, exclusive=zone_groups).add_to(m)

    notes = [n for n in notes
             if not (estimate and str(n).startswith("Inventaire de démonstration"))]
    sources = _default_sources(notes, sources, _SOURCES_EMISSIONS_FR)
    all_notes = [*EMISSIONS_NOTES_FR] if pollutants else [EMISSIONS_NOTES_FR[0]]
    if "utilisation_terres_tCO2e_an" in zones.columns:
        all_notes.append(LAND_USE_NOTE_FR)
    all_notes += [n for n in notes if str(n) not in all_notes]
    notes_html = (_estimate_html() if estimate else "") + _notes_html(all_notes, sources)
    _finish_map(m, web, title=title, subtitle=subtitle, notes_html=notes_html,
                html_path=html_path)
    return m


# --------------------------------------------------------------------------------------------
# Scenario map: baseline / scenario side by side
# --------------------------------------------------------------------------------------------

#: Sign sentence of the scenario maps (notes box and legends).
SCENARIO_SIGN_NOTE_FR: str = ("Convention ALDO : positif = stockage / séquestration, "
                              "négatif = déstockage / émission.")
SCENARIO_SYNC_NOTE_FR: str = ("Les deux cartes sont synchronisées : déplacer ou zoomer l'une "
                              "déplace l'autre.")
STOCK_CHANGE_NAME_FR: str = "Variation du stock de carbone (tC/ha)"
DELTA_LAYER_FR: str = "Écart au tendanciel (tCO₂e cumulés)"
DELTA_CAPTION_FR: str = ("Écart au tendanciel (tCO₂e cumulés) — positif = séquestration "
                         "supplémentaire")
ACTIONS_LAYER_FR: str = "Actions du scénario"
SCENARIO_ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name", "area_ha")
ACTION_COLUMNS: tuple[str, ...] = ("action_id", "type", "label", "year")
#: Action types: French label and outline colour.
ACTION_TYPES_FR: dict[str, tuple[str, str]] = {
    "convert": ("Conversion (boisement, prairie, zone humide)", "#1a9850"),
    "seal": ("Artificialisation", "#d7191c"),
    "practice": ("Pratique agricole", "#2166ac"),
    "hedges": ("Haies", "#8c510a"),
}
ACTION_OTHER_COLOR: str = "#4d4d4d"
_ACTIONS_PANE = "espass_actions"
#: Height (px) of the header band above the two maps.
_DUAL_HEADER_PX = 64


class _DualPage(MacroElement):
    """Page layout of a DualMap: a header band (title, then the name of each pane above its
    map), the two maps below it, a white divider, and narrower boxes (each map is half wide)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        #{{ this.m1 }}, #{{ this.m2 }} { top: {{ this.h }}px !important;
            height: calc(100% - {{ this.h }}px) !important; }
        .espass-dual-header { position: fixed; top: 0; left: 0; right: 0;
            height: {{ this.h }}px; z-index: 1100; background: #fff;
            box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); color: #222;
            font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
                         Arial, sans-serif; display: flex; flex-direction: column; }
        .espass-dual-title { text-align: center; padding: 5px 12px 0 12px; white-space: nowrap;
            overflow: hidden; text-overflow: ellipsis; }
        .espass-dual-title h1 { display: inline; font-size: 17px; font-weight: 600; margin: 0; }
        .espass-dual-title span { font-size: 13px; color: #444; margin-left: 10px; }
        .espass-dual-panes { display: flex; flex: 1; align-items: center; }
        .espass-dual-pane { width: 50%; text-align: center; font-size: 14px; font-weight: 600;
            overflow: hidden; text-overflow: ellipsis; white-space: nowrap; padding: 0 8px; }
        .espass-dual-pane span { display: inline-block; padding: 1px 12px; border-radius: 10px; }
        .espass-dual-pane.espass-left span { background: #ececec; color: #333; }
        .espass-dual-pane.espass-right span { background: #dcebf5; color: #0b3c5d; }
        .espass-dual-divider { position: fixed; top: {{ this.h }}px; bottom: 0;
            left: calc(50% - 1px); width: 3px; background: #fff; z-index: 1050;
            pointer-events: none; box-shadow: 0 0 3px rgba(0, 0, 0, 0.35); }
        .espass-legend-title { max-width: 215px; }
        .espass-notes { max-width: min(360px, calc(50vw - 290px)); min-width: 180px; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="espass-dual-header">
          <div class="espass-dual-title"><h1>{{ this.title }}</h1>{{ this.subtitle }}</div>
          <div class="espass-dual-panes">
            <div class="espass-dual-pane espass-left"><span>{{ this.left }}</span></div>
            <div class="espass-dual-pane espass-right"><span>{{ this.right }}</span></div>
          </div>
        </div>
        <div class="espass-dual-divider"></div>
        {% endmacro %}
        """
    )

    def __init__(self, dual: DualMap, *, title: str, subtitle: str | None, left: str,
                 right: str) -> None:
        super().__init__()
        self._name = "EspassDualPage"
        self.m1 = dual.m1.get_name()
        self.m2 = dual.m2.get_name()
        self.h = _DUAL_HEADER_PX
        # escaped here: the template writes them as they are
        self.title = _html.escape(title)
        self.subtitle = f"<span>{_html.escape(subtitle)}</span>" if subtitle else ""
        self.left = _html.escape(left)
        self.right = _html.escape(right)


def _fmt_signed_ha(value: Any, unit: str = "tC/ha") -> str:
    return _signed(value, fmt_quantity(value, unit))


def _period_text(horizon: int | str | None) -> str:
    """ "à l'horizon 2050" for a year, the text itself otherwise ("2025–2050"), "" if None."""
    if horizon is None:
        return ""
    if isinstance(horizon, (int, np.integer)) and not isinstance(horizon, bool):
        return f"à l'horizon {int(horizon)}"
    return str(horizon)


def _scenario_zones_fr(zones: gpd.GeoDataFrame, zone_label: str, value_col: str,
                       value_label: str, *, delta_col: str | None = None,
                       baseline_values: pd.Series | None = None,
                       baseline_label: str = "Tendanciel"
                       ) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    z, tooltip = _zone_base_fr(zones, zone_label)
    z["value_fr"] = [_fmt_signed_ha(v) for v in z[value_col]]
    tooltip.append(("value_fr", value_label))
    if "stock_change_tC" in z.columns:
        z["stock_change_fr"] = [_signed(v, fmt_mass_t(v, "tC")) for v in z["stock_change_tC"]]
        tooltip.append(("stock_change_fr", "Variation du stock (total)"))
    if baseline_values is not None:
        ref = z["zone_id"].astype("string").map(baseline_values)
        z["baseline_value_fr"] = [_fmt_signed_ha(v) for v in ref]
        tooltip.append(("baseline_value_fr", f"{baseline_label} (pour comparaison)"))
    if delta_col is not None:
        z["delta_fr"] = [_signed(v, fmt_mass_t(v, "tCO₂e")) for v in z[delta_col]]
        tooltip.append(("delta_fr", "Écart au tendanciel (cumulé)"))
    return z, tooltip


def _actions_fr(actions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    a = actions.copy()
    types = a["type"].astype("string").fillna("")
    a["label_fr"] = a["label"].astype("string").fillna("–")
    a["type_fr"] = [ACTION_TYPES_FR.get(t, (t or "–", ""))[0] for t in types]
    years = pd.to_numeric(a["year"], errors="coerce")
    a["year_fr"] = ["–" if pd.isna(y) else str(int(y)) for y in years]  # "2030", not "2 030"
    a["stroke"] = [ACTION_TYPES_FR.get(t, ("", ACTION_OTHER_COLOR))[1] for t in types]
    return a


def _actions_layer(actions: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Action outlines coloured by type (lines and points accepted), tooltip in French."""
    a = _actions_fr(actions)
    web = to_web_geometries(a, simplify_m=1.0)
    props = web[["label_fr", "type_fr", "year_fr", "stroke"]].astype(object)
    for col in ("label_fr", "type_fr", "year_fr"):  # written with innerHTML by the tooltip
        props[col] = [_esc(v) for v in props[col]]
    data = gpd.GeoDataFrame(props, geometry=web.geometry.values, crs=4326).reset_index(drop=True)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        color = feature["properties"]["stroke"]
        return {"color": color, "weight": 3, "opacity": 0.95, "fillColor": color,
                "fillOpacity": 0.08}

    def highlight(_feature: dict[str, Any]) -> dict[str, Any]:
        return {"weight": 5, "fillOpacity": 0.25}

    group = folium.FeatureGroup(name=ACTIONS_LAYER_FR, show=True, overlay=True, control=True)
    folium.GeoJson(
        data.to_geo_dict(show_bbox=False),
        name=ACTIONS_LAYER_FR,
        control=False,
        style_function=style,
        highlight_function=highlight,
        marker=folium.CircleMarker(radius=7),
        pane=_ACTIONS_PANE,
        tooltip=folium.GeoJsonTooltip(
            fields=["label_fr", "type_fr", "year_fr"], aliases=["Action", "Type", "Année"],
            localize=False, sticky=True, labels=True, class_name="espass-tooltip"),
    ).add_to(group)
    return group


def _actions_legend(actions: gpd.GeoDataFrame, position: str = "bottomleft") -> MacroElement:
    esc = _html.escape
    present = list(dict.fromkeys(actions["type"].astype("string").fillna("")))
    rows = [f'<div class="espass-legend-title">{esc(ACTIONS_LAYER_FR)}</div>']
    for t in [t for t in ACTION_TYPES_FR if t in present] + [t for t in present
                                                             if t not in ACTION_TYPES_FR]:
        label, color = ACTION_TYPES_FR.get(t, (t or "Autre", ACTION_OTHER_COLOR))
        rows.append(f'<div class="espass-legend-row"><span class="espass-action-swatch" '
                    f'style="border-color:{color}"></span><span>{esc(label)}</span></div>')
    # bottom left of the scenario map (free there: the notes box is on the baseline map)
    return _HtmlControl("\n".join(rows), position=position, css_class="espass-legend")


def scenario_map(
    zones_baseline: gpd.GeoDataFrame,
    zones_scenario: gpd.GeoDataFrame,
    *,
    title: str,
    actions: gpd.GeoDataFrame | None = None,
    value_col: str = "stock_change_tC_ha",
    delta_col: str | None = "delta_cum_tCO2e",
    notes: Sequence[str] = (),
    html_path: str | os.PathLike[str] | None = None,
    scenario_label: str = "Scénario",
    baseline_label: str = "Tendanciel",
    horizon: int | str | None = None,
    subtitle: str | None = None,
    value_name: str = STOCK_CHANGE_NAME_FR,
    zone_label: str | None = None,
    sources: str | None = None,
    basemap: bool = True,
    n_classes: int = 6,
    simplify_m: float = 5.0,
) -> DualMap:
    """Baseline and scenario side by side (two synchronised maps), readable offline.

    A :class:`folium.plugins.DualMap` (gotcha 7: DualMap, not SideBySideLayers, for
    choropleths): the left map shows the baseline ("tendanciel"), the right map the scenario;
    moving or zooming one moves the other (Leaflet.Sync, vendored).

    * Left: choropleth of ``value_col`` of ``zones_baseline``.
    * Right: choropleth of ``value_col`` of ``zones_scenario`` with **the same classes and
      colours** (computed on both tables together, diverging around 0); layer "Écart au
      tendanciel (tCO₂e cumulés)" (``delta_col``, diverging, hidden: ticking it replaces the
      scenario choropleth, and back); layer "Actions du scénario" (``actions``, shown, above
      the zones).

    Sign convention (ALDO): **positive = storage / sequestration**, negative = destocking /
    emission, written in the legends and the notes box.

    Parameters
    ----------
    zones_baseline, zones_scenario
        GeoDataFrames with a CRS (EPSG:2154 expected), one row per zone: ``zone_id,
        zone_name, area_ha`` and ``value_col`` (default ``stock_change_tC_ha``: stock change
        from the start year to the horizon, tC/ha; positive = the zone stores carbon);
        optional ``stock_change_tC`` (tooltip). ``zones_scenario`` also has ``delta_col``
        (default ``delta_cum_tCO2e``: scenario − baseline cumulated over the period, tCO₂e;
        positive = more sequestration than the baseline).
    title, subtitle
        Header band at the top of the page (HTML-escaped); by default the subtitle is the
        horizon ("à l'horizon 2050").
    actions
        Optional GeoDataFrame (CRS required) ``action_id, type, label, year``; ``type`` in
        ``convert`` (green outline), ``seal`` (red), ``practice`` (blue), ``hedges`` (brown),
        others grey. Polygons, lines or points. Tooltip "Action", "Type", "Année".
    value_col, delta_col
        Columns mapped; ``delta_col=None``: no difference layer.
    notes
        Lines of the notes box (left map, bottom left, HTML-escaped), after the sign
        convention and before the synchronisation hint; sources as in :func:`stocks_map`.
    html_path
        If given, the page is saved there with :func:`save_map` (assets in ``lib/``,
        including ``lib/leaflet-sync/``).
    scenario_label, baseline_label
        Names of the two panes (header band, layer names, tooltips).
    horizon
        End year (``2050`` → "à l'horizon 2050") or a period text ("2025–2050"), written in
        the legend caption and the default subtitle.
    value_name
        Name of ``value_col`` in the layer names, tooltips and legend
        ("Variation du stock de carbone (tC/ha)").
    zone_label
        Tooltip label of ``zone_name``; inferred from ``zone_id`` (see :func:`stocks_map`).
    basemap
        Add the optional online OpenStreetMap background to both maps.
    n_classes
        Number of classes of the choropleths (even, symmetric around 0).

    Returns
    -------
    folium.plugins.DualMap
        ``.m1`` (baseline) and ``.m2`` (scenario); save it with :func:`save_map`.
    """
    _require(zones_baseline, (*SCENARIO_ZONE_COLUMNS, value_col), "zones_baseline")
    scen_cols = (*SCENARIO_ZONE_COLUMNS, value_col) + ((delta_col,) if delta_col else ())
    _require(zones_scenario, scen_cols, "zones_scenario")
    if len(zones_baseline) == 0 or len(zones_scenario) == 0:
        raise ValueError("zones_baseline and zones_scenario must not be empty: nothing to map.")
    if actions is not None:
        _require(actions, ACTION_COLUMNS, "actions")
    if zone_label is None:
        zone_label = _infer_zone_label(pd.concat([zones_baseline["zone_id"],
                                                  zones_scenario["zone_id"]]))
    period = _period_text(horizon)
    short_name = value_name[:1].lower() + value_name[1:]
    caption = (f"{value_name.removesuffix(' (tC/ha)')}"
               f"{' ' + period if period else ''}"
               f"{' (tC/ha)' if value_name.endswith(' (tC/ha)') else ''}"
               " — positif = stockage / séquestration")
    if subtitle is None and horizon is not None:
        subtitle = period[:1].upper() + period[1:]

    base_values = pd.Series(
        pd.to_numeric(zones_baseline[value_col], errors="coerce").to_numpy(),
        index=zones_baseline["zone_id"].astype("string").to_numpy())
    base_values = base_values[~base_values.index.duplicated()]
    zb, tip_b = _scenario_zones_fr(zones_baseline, zone_label, value_col, value_name)
    zs, tip_s = _scenario_zones_fr(zones_scenario, zone_label, value_col, value_name,
                                   delta_col=delta_col, baseline_values=base_values,
                                   baseline_label=baseline_label)
    web_b = to_web_geometries(zb, simplify_m=simplify_m)
    web_s = to_web_geometries(zs, simplify_m=simplify_m)

    both = pd.concat([pd.to_numeric(zones_baseline[value_col], errors="coerce"),
                      pd.to_numeric(zones_scenario[value_col], errors="coerce")])
    classes = make_classes(both, caption=caption, palette=list(FLOW_PALETTE),
                           n_classes=n_classes, diverging=True)

    # fractional zoom: fit_bounds fills each half-width map better
    dual = DualMap(layout="horizontal", tiles=None, zoom_snap=0.25, zoom_delta=0.5)
    root = _protect(dual).get_root()
    assert isinstance(root, Figure)
    root.title = _html.escape(f"{title} — {baseline_label} / {scenario_label}")
    _setup_map(dual.m1, basemap=basemap, style=True)
    _setup_map(dual.m2, basemap=basemap, style=False)  # one stylesheet for the page
    attribution = "IGN Admin Express COG 2018 ; ADEME ALDO"
    zone_style: dict[str, Any] = {"line_color": "#8c8c8c", "line_weight": 0.6,
                                  "fill_opacity": 0.8}

    def nodata(web: gpd.GeoDataFrame, col: str) -> bool:
        return bool(pd.to_numeric(web[col], errors="coerce").isna().any())

    # left: baseline
    left_group, _ = choropleth_layer(
        web_b, value_col, name=f"{baseline_label} : {short_name}", tooltip=tip_b,
        classes=classes, attribution=attribution, **zone_style)
    left_group.add_to(dual.m1)
    _LayerControl(collapsed=False, position="topright").add_to(dual.m1)
    legend_element(classes, show_nodata=nodata(web_b, value_col)).add_to(dual.m1)

    # right: scenario, same classes; difference; actions
    right_group, _ = choropleth_layer(
        web_s, value_col, name=f"{scenario_label} : {short_name}", tooltip=tip_s,
        classes=classes, attribution=attribution, **zone_style)
    right_group.add_to(dual.m2)
    legends: list[tuple[folium.FeatureGroup, MacroElement]] = [
        (right_group, legend_element(classes, show_nodata=nodata(web_s, value_col)))]
    zone_groups = [right_group]
    if delta_col is not None:
        delta_group, delta_classes = choropleth_layer(
            web_s, delta_col, name=DELTA_LAYER_FR, tooltip=tip_s, palette=list(FLOW_PALETTE),
            caption=DELTA_CAPTION_FR, n_classes=n_classes, diverging=True, show=False,
            attribution=attribution, **zone_style)
        delta_group.add_to(dual.m2)
        zone_groups.append(delta_group)
        legends.append((delta_group, legend_element(delta_classes,
                                                    show_nodata=nodata(web_s, delta_col))))
    if actions is not None and len(actions):
        folium.map.CustomPane(_ACTIONS_PANE, z_index=420, pointer_events=True).add_to(dual.m2)
        actions_group = _actions_layer(actions)
        actions_group.add_to(dual.m2)
        legends.append((actions_group, _actions_legend(actions)))
    _LayerControl(collapsed=False, position="topright").add_to(dual.m2)
    for _group, legend in legends:
        legend.add_to(dual.m2)
    _LegendSwitch(legends, exclusive=zone_groups).add_to(dual.m2)

    notes = list(notes)
    sources = _default_sources(notes, sources, _SOURCES_NO_PARCELS_FR)
    all_notes = [SCENARIO_SIGN_NOTE_FR,
                 *(n for n in notes if str(n) not in (SCENARIO_SIGN_NOTE_FR,
                                                       SCENARIO_SYNC_NOTE_FR)),
                 SCENARIO_SYNC_NOTE_FR]
    _HtmlControl(_notes_html(all_notes, sources), position="bottomleft",
                 css_class="espass-notes").add_to(dual.m1)
    _DualPage(dual, title=title, subtitle=subtitle, left=baseline_label,
              right=scenario_label).add_to(dual.m1)

    minx = min(web_b.total_bounds[0], web_s.total_bounds[0])
    miny = min(web_b.total_bounds[1], web_s.total_bounds[1])
    maxx = max(web_b.total_bounds[2], web_s.total_bounds[2])
    maxy = max(web_b.total_bounds[3], web_s.total_bounds[3])
    # room at the bottom for the legends, notes and action key (bottom corners)
    dual.fit_bounds([[float(miny), float(minx)], [float(maxy), float(maxx)]],
                    padding_top_left=(10, 20), padding_bottom_right=(10, 120))
    if html_path is not None:
        save_map(dual, html_path)
    return dual


# --------------------------------------------------------------------------------------------
# Bilan map: every indicator of the bilan on one page, with its synthesis
# --------------------------------------------------------------------------------------------

STOCK_LAYER_FR: str = "Stock de carbone (tC/ha)"
BILAN_FLOW_LAYER_FR: str = "Flux net de carbone (tCO₂e/ha/an) — positif = séquestration"
PARCELS_LAYER_FR: str = "Parcelles agricoles (RPG)"
SYNTHESIS_TITLE_FR: str = "Synthèse du bilan"

def _bilan_layers_note(zone_label: str, overlays: Sequence[str]) -> str:
    """ "Indicateurs par commune : un seul affiché à la fois (…) ; parcelles … par-dessus." """
    text = (f"Indicateurs {_per_zone(zone_label)} : un seul affiché à la fois (en cocher un "
            "remplace le précédent)")
    if overlays:
        names = [o[:1].lower() + o[1:] for o in overlays]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} et {names[-1]}"
        text += f" ; {listed} se superposent"
    return text + "."

_BILAN_ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name")
_BILAN_PARCELS_PANE = "espass_bilan_parcels"
#: Link targets accepted in the synthesis panel: relative paths, or web/mail addresses.
_LINK_SCHEMES: frozenset[str] = frozenset({"", "http", "https", "mailto"})


class _BilanStyle(MacroElement):
    """CSS of the synthesis panel and of the many-layer control of the bilan map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .espass-synthesis { width: 250px; font-size: 12px; }
        .espass-synthesis summary { cursor: pointer; padding: 6px 10px; font-weight: 600;
            font-size: 13px; }
        .espass-synthesis-body { max-height: calc(100vh - 330px); min-height: 2.5em;
            overflow: auto; padding: 0 10px 8px 10px; }
        .espass-synthesis table { border-collapse: collapse; width: 100%;
            font-variant-numeric: tabular-nums; }
        .espass-synthesis th { text-align: left; font-weight: 400; color: #333;
            padding: 3px 8px 3px 0; vertical-align: top; }
        .espass-synthesis td { text-align: right; font-weight: 600; white-space: nowrap;
            padding: 3px 0; vertical-align: top; }
        .espass-synthesis tr + tr th, .espass-synthesis tr + tr td {
            border-top: 1px solid #e3e3e3; }
        .espass-synthesis-links { margin: 6px 0 0 0; padding-left: 16px; }
        .espass-synthesis-links li { margin: 2px 0; }
        .espass-synthesis a { color: #0b5394; }
        .espass-bilan-page .leaflet-control-layers-overlays label { font-size: 12px;
            margin: 1px 0; }
        .espass-bilan-page .leaflet-control-layers { max-width: 330px; }
        .espass-bilan-page .leaflet-control-layers-list { overflow-y: auto; }
        .espass-bilan-page .espass-notes { max-height: 36vh; overflow-y: auto; }
        .espass-bilan-page .espass-title-wrap { right: 350px; }
        @media (max-width: 900px) { .espass-bilan-page .espass-title-wrap { right: 55px; } }
        .espass-steps { display: flex; margin: 2px 0 0 0; }
        .espass-steps span { width: 34px; height: 12px; border: 1px solid rgba(0, 0, 0, 0.25);
            border-right-width: 0; }
        .espass-steps span:last-child { border-right-width: 1px; }
        .espass-steps-ticks { position: relative; height: 14px; font-size: 11px; }
        .espass-steps-ticks span { position: absolute; transform: translateX(-50%);
            white-space: nowrap; }
        .espass-bilan-page .espass-tooltip th, .espass-bilan-page .espass-tooltip td {
            padding: 0 3px; line-height: 1.3; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        document.body.classList.add("espass-bilan-page");
        (function () {
            // a box of a top corner scrolls within the room left above the boxes of the
            // bottom corner on the same side: the layer list above the legends (they change
            // with the layers), the synthesis table above the notes
            var map = {{ this._parent.get_name() }};
            function fitAbove(c, box, body, corner, min) {
                if (!box || !body || !corner) { return; }
                var top = box.getBoundingClientRect().top - c.getBoundingClientRect().top;
                var chrome = box.offsetHeight - body.offsetHeight;
                var room = c.clientHeight - corner.offsetHeight - top - chrome - 12;
                body.style.maxHeight = Math.max(min, room) + "px";
            }
            function fit() {
                var c = map.getContainer();
                fitAbove(c, c.querySelector(".leaflet-top.leaflet-right .leaflet-control-layers"),
                         c.querySelector(".leaflet-control-layers-list"),
                         c.querySelector(".leaflet-bottom.leaflet-right"), 120);
                fitAbove(c, c.querySelector(".espass-synthesis"),
                         c.querySelector(".espass-synthesis-body"),
                         c.querySelector(".leaflet-bottom.leaflet-left"), 80);
            }
            map.on("overlayadd overlayremove", function () { setTimeout(fit, 10); });
            window.addEventListener("resize", fit);
            map.whenReady(function () { setTimeout(fit, 0); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "EspassBilanStyle"


def _steps_legend(classes: ColorClasses, caption: str) -> MacroElement:
    """A one-row legend (colour steps, class edges below): for a layer that repeats the
    classes of another one (the parcels, coloured like the stock layer)."""
    esc = _html.escape
    width = 34  # px per class, as in .espass-steps span
    steps = "".join(f'<span style="background:{c}"></span>' for c in classes.colors)
    ticks = "".join(f'<span style="left:{k * width + 1}px">'
                    f'{esc(fmt_number(b, classes.decimals))}</span>'
                    for k, b in enumerate(classes.breaks))
    content = (f'<div class="espass-legend-title">{esc(caption)}</div>'
               f'<div class="espass-steps">{steps}</div>'
               f'<div class="espass-steps-ticks" style="width:{len(classes.colors) * width}px;'
               f'margin:0 12px 0 6px">{ticks}</div>')
    return _HtmlControl(content, position="bottomright", css_class="espass-legend")


def _check_href(href: str) -> str:
    from urllib.parse import urlsplit

    scheme = urlsplit(href).scheme.lower()
    if scheme not in _LINK_SCHEMES:
        raise ValueError(f"link {href!r}: only relative paths (\"rapport.html\") or http(s)/"
                         f"mailto addresses are accepted, not '{scheme}:'.")
    return href


def _synthesis_html(synthesis: Mapping[str, Any] | None,
                    links: Iterable[tuple[str, str]]) -> str | None:
    """Open ``<details>`` box: a two-column table (label, value) then the links; None if
    both are empty. Every text is HTML-escaped (values are already formatted strings)."""
    esc = _html.escape
    rows = "".join(f'<tr><th scope="row">{esc(str(label))}</th><td>{esc(str(value))}</td></tr>'
                   for label, value in (synthesis or {}).items())
    items = "".join(f'<li><a href="{esc(_check_href(str(href)))}">{esc(str(label))}</a></li>'
                    for label, href in links)
    if not rows and not items:
        return None
    table = f'<table class="espass-synthesis-table">{rows}</table>' if rows else ""
    ul = f'<ul class="espass-synthesis-links">{items}</ul>' if items else ""
    return (f'<details class="espass-details" open><summary>{esc(SYNTHESIS_TITLE_FR)}</summary>'
            f'<div class="espass-synthesis-body">{table}{ul}</div></details>')


def _bilan_zones_fr(zones: gpd.GeoDataFrame, zone_label: str, posts: Sequence[str],
                    pollutants: Sequence[str]) -> tuple[gpd.GeoDataFrame,
                                                        list[tuple[str, str]]]:
    """Copy of ``zones`` with a French string for every value present, and the tooltip."""
    z = zones.copy()
    z["zone_name_fr"] = z["zone_name"].astype("string")
    z["zone_id_fr"] = z["zone_id"].astype("string")
    tooltip = [("zone_name_fr", zone_label), ("zone_id_fr", "Code")]

    def add(col: str, key: str, label: str, fmt: Any) -> None:
        if col in z.columns:
            z[key] = [fmt(v) for v in pd.to_numeric(z[col], errors="coerce")]
            tooltip.append((key, label))

    add("area_ha", "area_fr", "Surface", fmt_area_ha)
    add("population", "population_fr", "Population", _fmt_population)
    add("stock_tC", "stock_fr", "Stock de carbone", lambda v: fmt_mass_t(v, "tC"))
    add("density_tC_ha", "density_fr", "Stock moyen", lambda v: fmt_quantity(v, "tC/ha", 1))
    add("flux_tCO2e_an", "flux_fr", "Flux net (+ = séquestration)", _fmt_flux)
    add("flux_tCO2e_ha_an", "flux_ha_fr", "Flux net par hectare", _fmt_flux_ha)
    add("sealed_ha_an", "sealed_fr", "Artificialisation", lambda v: fmt_quantity(v, "ha/an"))
    add("ges_hab_total_tCO2e", "ges_hab_total_fr", "Empreinte GES par habitant",
        _fmt_per_capita)
    for post in posts:
        add(f"ges_hab_{post}_tCO2e", f"ges_hab_{_col_key(post)}_fr",
            f"dont {POST_LABELS_FR.get(post, post)}", _fmt_per_capita)
    add("ges_direct_hab_tCO2e", "ges_direct_hab_fr", "Émissions directes de GES par habitant",
        _fmt_per_capita)
    for pollutant in pollutants:
        add(f"{pollutant}_t_km2", f"{_col_key(pollutant)}_t_km2_fr",
            SUBSTANCE_LABELS_FR.get(pollutant, pollutant), _fmt_density)
    return z, tooltip


def bilan_map(
    zones: gpd.GeoDataFrame,
    *,
    title: str,
    parcels: gpd.GeoDataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    actions: gpd.GeoDataFrame | None = None,
    synthesis: Mapping[str, Any] | None = None,
    links: Iterable[tuple[str, str]] = (),
    notes: Sequence[str] = (),
    html_path: str | os.PathLike[str] | None = None,
    estimate: bool = False,
    subtitle: str | None = None,
    zone_label: str | None = None,
    basemap: bool = True,
    sources: str | None = None,
    n_classes: int = 6,
    simplify_m: float = 5.0,
) -> folium.Map:
    """The published map of the Bilan ESPASS: every indicator per zone, one page, offline.

    Zone layers (one shown at a time: ticking one unticks the others; each legend is shown
    with its layer), each only when its column is in ``zones``:

    * "Stock de carbone (tC/ha)" (``density_tC_ha``; shown first);
    * "Flux net de carbone (tCO₂e/ha/an) — positif = séquestration" (``flux_tCO2e_ha_an``,
      ALDO convention, diverging classes symmetric around 0);
    * "Artificialisation (ha/an)" (``sealed_ha_an``);
    * "Empreinte GES par habitant — total (tCO₂e/hab/an)" (``ges_hab_total_tCO2e``) and one
      per ESPASS post (``ges_hab_<post>_tCO2e``);
    * "Émissions directes de GES par habitant (tCO₂e/hab/an)" (``ges_direct_hab_tCO2e``);
    * one per pollutant, "NOₓ (t/km²/an)"… (``<pollutant>_t_km2``).

    Overlays, above the zones and independent of them: "Parcelles agricoles (RPG)"
    (``parcels``, hidden, coloured with the classes of the stock layer), "Points chauds
    d'artificialisation" (``hotspots``, shown), "Actions du scénario" (``actions``, shown,
    outlines by type as in :func:`scenario_map`).

    The tooltip of a zone gives all its values, formatted in French in Python ("1 234 tC",
    "−56,0 tCO₂e/an", "9,2 tCO₂e/hab/an"). A synthesis panel (open ``<details>``, top
    left under the zoom buttons, scrolls when long) shows ``synthesis`` and ``links``.

    Parameters
    ----------
    zones
        GeoDataFrame with a CRS (EPSG:2154 expected), one row per zone (communes or EPCI):
        ``zone_id, zone_name`` and any of ``area_ha, population, density_tC_ha, stock_tC,
        flux_tCO2e_an, flux_tCO2e_ha_an, sealed_ha_an, ges_hab_total_tCO2e,
        ges_hab_<post>_tCO2e, ges_direct_hab_tCO2e, <pollutant>_t_km2`` (posts of
        :data:`EMISSION_POSTS`, pollutants of :data:`espass_geo.present.charts.POLLUTANTS`). A
        missing column skips its layer and tooltip line; at least one layer is needed.
    title, subtitle
        Title box at the top of the map (HTML-escaped).
    parcels
        Optional ``parcel_id, land_use_fr, area_ha, stock_tC, density_tC_ha`` (as in
        :func:`stocks_map`).
    hotspots
        Optional grid cells ``cell_id, sealed_ha`` (optional ``years``), as in
        :func:`flows_map`.
    actions
        Optional ``action_id, type, label, year``, as in :func:`scenario_map`.
    synthesis
        French label → already formatted value, e.g. ``{"Bilan net": "−325 ktCO₂e/an"}``:
        two-column table of the synthesis panel.
    links
        ``(label, href)`` pairs written as links under the table, e.g. ``("Rapport",
        "rapport.html")``; relative paths (or http(s)/mailto addresses) only.
    notes
        Lines of the notes box (bottom left, HTML-escaped), after the definitions of the
        layers present (sign convention, footprint / direct emissions, pollutants).
    estimate
        The emission inventory is the demonstration estimate: the notes box starts with
        :data:`espass_geo.present.charts.ESTIMATE_NOTE_FR` in red (as in :func:`emissions_map`).
    html_path
        If given, the map is saved there with :func:`save_map` (assets in ``lib/``).
    zone_label
        Tooltip label of ``zone_name``; inferred from ``zone_id`` (see :func:`stocks_map`).
    basemap
        Add the optional online OpenStreetMap background.
    sources, n_classes, simplify_m
        As in :func:`stocks_map` (default sources: IGN Admin Express, ADEME ALDO, and the RPG
        with ``parcels``).

    Returns
    -------
    folium.Map
    """
    _require(zones, _BILAN_ZONE_COLUMNS, "zones")
    if len(zones) == 0:
        raise ValueError("zones is empty: nothing to map.")
    z = zones.copy()
    # per-hectare values derived from totals when only the totals are given
    if "area_ha" in z.columns:
        area = pd.to_numeric(z["area_ha"], errors="coerce").where(lambda a: a > 0)
        if "density_tC_ha" not in z.columns and "stock_tC" in z.columns:
            z["density_tC_ha"] = pd.to_numeric(z["stock_tC"], errors="coerce") / area
        if "flux_tCO2e_ha_an" not in z.columns and "flux_tCO2e_an" in z.columns:
            z["flux_tCO2e_ha_an"] = pd.to_numeric(z["flux_tCO2e_an"], errors="coerce") / area
    posts = [p for p in EMISSION_POSTS if f"ges_hab_{p}_tCO2e" in z.columns]
    pollutants = [p for p in POLLUTANTS if f"{p}_t_km2" in z.columns]
    ghg_unit = f" ({GHG_PER_CAPITA_UNIT_FR})"
    # (column, layer name, legend caption, palette, diverging, formatter of a uniform value)
    candidates: list[tuple[str, str, str, str | list[str], bool, Any]] = [
        ("density_tC_ha", STOCK_LAYER_FR, DENSITY_CAPTION_FR, "YlGn", False,
         lambda v: fmt_quantity(v, "tC/ha", 1)),
        ("flux_tCO2e_ha_an", BILAN_FLOW_LAYER_FR, FLOW_CAPTION_FR, list(FLOW_PALETTE), True,
         _fmt_flux_ha),
        ("sealed_ha_an", SEALING_CAPTION_FR, SEALING_CAPTION_FR, "OrRd", False,
         lambda v: fmt_quantity(v, "ha/an")),
        ("ges_hab_total_tCO2e", FOOTPRINT_TOTAL_LAYER_FR, FOOTPRINT_TOTAL_LAYER_FR,
         FOOTPRINT_PALETTE, False, _fmt_per_capita),
        *((f"ges_hab_{p}_tCO2e", footprint_layer_name(p), footprint_layer_name(p) + ghg_unit,
           FOOTPRINT_PALETTE, False, _fmt_per_capita) for p in posts),
        ("ges_direct_hab_tCO2e", DIRECT_GHG_LAYER_FR, DIRECT_GHG_LAYER_FR, DIRECT_GHG_PALETTE,
         False, _fmt_per_capita),
        *((f"{p}_t_km2", pollutant_layer_name(p),
           f"Émissions de {SUBSTANCE_LABELS_FR.get(p, p)} ({POLLUTANT_DENSITY_UNIT_FR})",
           list(POLLUTANT_PALETTE), False, _fmt_density) for p in pollutants),
    ]
    layers = [c for c in candidates if c[0] in z.columns]
    if not layers:
        raise KeyError("zones: no indicator column to map; expected at least one of "
                       f"{[c[0] for c in candidates]} (plus zone_id, zone_name).")
    if parcels is not None:
        _require(parcels, PARCEL_COLUMNS, "parcels")
    if actions is not None:
        _require(actions, ACTION_COLUMNS, "actions")
    if hotspots is not None:
        _require(hotspots, HOTSPOT_COLUMNS, "hotspots")
    links = list(links)
    synthesis_html = _synthesis_html(synthesis, links)  # checks the links before any work
    if zone_label is None:
        zone_label = _infer_zone_label(z["zone_id"])
    z, tooltip = _bilan_zones_fr(z, zone_label, posts, pollutants)
    web = to_web_geometries(z, simplify_m=simplify_m)

    many_parcels = parcels is not None and len(parcels) > 1000
    # fractional zoom: fit_bounds fills the window better (boxes in every corner)
    m = _new_map(title, basemap=basemap, prefer_canvas=many_parcels, zoom_snap=0.25,
                 zoom_delta=0.5)
    _BilanStyle().add_to(m)
    attribution = "IGN Admin Express COG 2018 ; ADEME ALDO"
    # grey outlines: white ones would vanish on the near-white classes around 0 of the flows
    zone_style: dict[str, Any] = {"line_color": "#8c8c8c", "line_weight": 0.6,
                                  "fill_opacity": 0.8}
    legends: list[tuple[folium.FeatureGroup, MacroElement]] = []
    zone_groups: list[folium.FeatureGroup] = []
    stock_classes: ColorClasses | None = None
    for k, (col, name, caption, palette, diverging, fmt_value) in enumerate(layers):
        group, legend, classes = _zone_layer(
            web, col, name=name, caption=caption, palette=palette, tooltip=tooltip,
            show=k == 0, n_classes=n_classes, attribution=attribution, diverging=diverging,
            fmt_value=fmt_value, **zone_style)
        group.add_to(m)
        zone_groups.append(group)
        legends.append((group, legend))
        if col == "density_tC_ha":
            stock_classes = classes

    # overlays above the zones: parcels (415) < hotspots (420) < actions (430)
    overlays: list[str] = []
    if parcels is not None and len(parcels):
        folium.map.CustomPane(_BILAN_PARCELS_PANE, z_index=415,
                              pointer_events=True).add_to(m)
        p, ptooltip = _parcels_fr(parcels)
        pweb = to_web_geometries(p, simplify_m=1.0)
        parcel_group, parcel_classes = choropleth_layer(
            pweb, "density_tC_ha", name=PARCELS_LAYER_FR, tooltip=ptooltip,
            classes=stock_classes, caption=f"{PARCELS_LAYER_FR} — {DENSITY_CAPTION_FR}",
            palette="YlGn", n_classes=n_classes, show=False, line_color="#4d4d4d",
            line_weight=0.3, fill_opacity=0.85, attribution="RPG (IGN/ASP)",
            pane=_BILAN_PARCELS_PANE)
        parcel_group.add_to(m)
        legends.append((parcel_group, _steps_legend(
            parcel_classes, f"{PARCELS_LAYER_FR} — stock moyen (tC/ha)")))
        overlays.append("Parcelles")
    if hotspots is not None:
        hot_layer = _hotspots_layer(m, hotspots)
        if hot_layer is not None:
            legends.append(hot_layer)
            overlays.append("Points chauds")
    if actions is not None and len(actions):
        folium.map.CustomPane(_ACTIONS_PANE, z_index=430, pointer_events=True).add_to(m)
        actions_group = _actions_layer(actions)
        actions_group.add_to(m)
        legends.append((actions_group, _actions_legend(actions, position="bottomright")))
        overlays.append("Actions")

    _LayerControl(collapsed=False, position="topright").add_to(m)
    for _group, legend in legends:
        legend.add_to(m)
    _LegendSwitch(legends, exclusive=zone_groups).add_to(m)
    if synthesis_html is not None:
        _HtmlControl(synthesis_html, position="topleft",
                     css_class="espass-synthesis").add_to(m)

    columns = {c[0] for c in layers}
    defaults: list[str] = []
    if "flux_tCO2e_ha_an" in columns:
        defaults.append(FLOW_SIGN_NOTE_FR)
    if columns & {"ges_hab_total_tCO2e", "ges_direct_hab_tCO2e",
                  *(f"ges_hab_{p}_tCO2e" for p in posts)}:
        defaults.append(EMISSIONS_NOTES_FR[0])
    if pollutants:
        defaults.append(EMISSIONS_NOTES_FR[1])
    if len(zone_groups) > 1:
        defaults.append(_bilan_layers_note(zone_label, overlays))
    notes = [n for n in notes
             if not (estimate and str(n).startswith("Inventaire de démonstration"))]
    sources = _default_sources(
        notes, sources, DEFAULT_SOURCES_FR if parcels is not None else _SOURCES_NO_PARCELS_FR)
    all_notes = [*defaults, *(n for n in notes if str(n) not in defaults)]
    notes_html = (_estimate_html() if estimate else "") + _notes_html(all_notes, sources)
    # the whole territory in view, beside the synthesis panel (left) and the layer list
    # (right), under the title box
    _finish_map(m, web, title=title, subtitle=subtitle, notes_html=notes_html,
                html_path=html_path,
                padding_top_left=(270 if synthesis_html is not None else 20, 70),
                padding_bottom_right=(340, 20))
    return m


# --------------------------------------------------------------------------------------------
# Raster overlay
# --------------------------------------------------------------------------------------------

def raster_to_png(tif_path: str | os.PathLike[str], png_path: str | os.PathLike[str],
                  cmap: str = "YlGn", vmin: float | None = None, vmax: float | None = None, *,
                  max_size: int = 2000, caption: str = "Par pixel (tC/ha)") -> dict[str, Any]:
    """Colourise band 1 of a GeoTIFF into an RGBA PNG in Web Mercator for an ImageOverlay.

    The raster (EPSG:2154 expected, any CRS accepted) is reprojected to EPSG:3857 with
    nearest-neighbour resampling, downsampled so that its longest side is at most
    ``max_size`` pixels, coloured with the matplotlib colormap ``cmap`` between ``vmin`` and
    ``vmax`` (data minimum and maximum by default); nodata and NaN pixels are transparent.
    The raster is read decimated to that size (``out_shape``, from its overviews when it has
    some): memory stays a few million pixels whatever the size of the raster.

    Returns
    -------
    dict
        ``path`` (PNG), ``bounds`` ``[[south, west], [north, east]]`` in degrees (what
        :func:`stocks_map` and ``folium.raster_layers.ImageOverlay`` expect), ``vmin``,
        ``vmax``, ``cmap``, ``caption`` (for the legend gradient), ``shape`` (rows, cols).
    """
    import rasterio
    from affine import Affine
    from matplotlib import colormaps
    from matplotlib import image as mpimg
    from matplotlib.colors import Normalize
    from rasterio.transform import array_bounds
    from rasterio.warp import Resampling, reproject, transform_bounds

    from espass_geo.core.areas import raster_read_errors

    dst_crs = "EPSG:3857"
    with rasterio.open(tif_path) as src, raster_read_errors(tif_path, "raster"):
        if src.crs is None:
            raise MissingCRSError(f"le raster « {tif_path} » n'a pas de système de coordonnées ; "
                                  "attribuez-le avec `gdal_edit.py -a_srs EPSG:2154` (si ses "
                                  "coordonnées sont en Lambert-93).")
        # decimated read (nearest): at most max_size pixels on the longest side
        step = max(1.0, max(src.width, src.height) / max_size)
        rows, cols = max(1, round(src.height / step)), max(1, round(src.width / step))
        data = src.read(1, out_shape=(rows, cols), resampling=Resampling.nearest,
                        masked=True).astype("float64").filled(np.nan)
        t, sx, sy = src.transform, src.width / cols, src.height / rows
        src_transform = Affine(t.a * sx, t.b * sy, t.c, t.d * sx, t.e * sy, t.f)
        # destination grid computed here rather than with calculate_default_transform, whose
        # rasterio 1.4 code multiplies Affine objects with `*` (warning under affine 3): the
        # bounding box in EPSG:3857 with as many rows and columns as the source (fewer when
        # downsampled); pixels need not be square, Leaflet stretches the PNG to the bounds
        left, bottom, right, top = transform_bounds(src.crs, dst_crs, *src.bounds,
                                                    densify_pts=21)
        scale = min(1.0, max_size / max(src.width, src.height))
        width = max(1, round(src.width * scale))
        height = max(1, round(src.height * scale))
        transform = Affine((right - left) / width, 0.0, left, 0.0, -(top - bottom) / height, top)
        dst = np.full((height, width), np.nan, dtype="float64")
        reproject(data, dst, src_transform=src_transform, src_crs=src.crs, src_nodata=np.nan,
                  dst_transform=transform, dst_crs=dst_crs, dst_nodata=np.nan,
                  resampling=Resampling.nearest)
    valid = np.isfinite(dst)
    if not valid.any():
        raise EspassGeoError(f"le raster « {tif_path} » n'a aucun pixel valide à dessiner (tout "
                             "est sans donnée) ; vérifiez qu'il couvre le territoire.")
    lo = float(np.nanmin(dst)) if vmin is None else float(vmin)
    hi = float(np.nanmax(dst)) if vmax is None else float(vmax)
    if hi <= lo:
        hi = lo + 1.0
    rgba = colormaps[cmap](Normalize(lo, hi, clip=True)(np.where(valid, dst, lo)), bytes=True)
    rgba[~valid] = 0
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    mpimg.imsave(png_path, rgba, format="png")
    west, south, east, north = transform_bounds(dst_crs, "EPSG:4326",
                                                *array_bounds(height, width, transform))
    return {"path": str(png_path), "bounds": [[south, west], [north, east]], "vmin": lo,
            "vmax": hi, "cmap": cmap, "caption": caption, "shape": (height, width)}

