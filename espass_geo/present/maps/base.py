"""Map pages readable offline: vendored assets, page style, controls, creation and saving.

folium loads Leaflet, jQuery, Bootstrap, Font Awesome… from CDNs. Here every script and
stylesheet comes from ``espass_geo/present/static/`` (vendored, licences kept):
:func:`make_map` points the map's assets to relative ``lib/...`` paths and :func:`save_map`
copies the needed files into ``<html dir>/lib/``, so an HTML file and its ``lib/`` folder can
be published as plain static files. Base-map tiles are the one online part. The page CSS is
``templates/map.css`` (read by :func:`stylesheet`, written into the page as it is).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from espass_geo.errors import EspassGeoError
from espass_geo.io.files import atomic_write
from espass_geo.present.maps.safe import MapLike, _protect

#: Vendored web assets (Leaflet, jQuery, Bootstrap, Font Awesome...), see static/README.md.
STATIC_DIR: Path = Path(__file__).resolve().parent.parent / "static"
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


BACKGROUND_COLOR: str = "#f4f6f7"
#: ``basemap=`` value that offers *and ticks* the online OpenStreetMap background
#: (``True`` offers it unticked: no tile is requested until the user picks it).
BASEMAP_SHOWN: str = "shown"


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


@cache
def stylesheet(name: str) -> str:
    """Text of ``templates/<name>`` (a CSS file shipped with the package), written into the
    page as it is: a constant, never compiled as a template and never mixed with data."""
    return files("espass_geo.present.maps").joinpath("templates", name).read_text(
        encoding="utf-8")


class _MapStyle(MacroElement):
    """CSS of the map page: light background (readable without tiles), then
    ``templates/map.css`` (boxes, legend, notes, tooltips)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .folium-map.leaflet-container { background: {{ this.background }}; }
        {{ this.css }}
        </style>
        {% endmacro %}
        """
    )

    def __init__(self, background: str = BACKGROUND_COLOR) -> None:
        super().__init__()
        self._name = "EspassMapStyle"
        self.background = background
        self.css = stylesheet("map.css")


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
            var map = {{ this._parent.get_name() }};
            var control = L.control({position: {{ this.position|tojson }}});
            var div = document.getElementById({{ this.get_name()|tojson }});
            control.onAdd = function () {
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo(map);
            {% if this.after_zoom %}
            var zoom = map.zoomControl ? map.zoomControl.getContainer() : null;
            if (zoom && zoom.parentNode === div.parentNode) {
                div.parentNode.insertBefore(div, zoom.nextSibling);
            }
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, position: str = "bottomright", css_class: str = "",
                 after_zoom: bool = False) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.content = content
        self.position = position
        self.css_class = css_class
        #: placed right under the zoom buttons, before the other boxes of its corner
        self.after_zoom = after_zoom


def make_map(
    *,
    location: Sequence[float] | None = None,
    zoom_start: int = 9,
    basemap: bool | str = True,
    background: str = BACKGROUND_COLOR,
    **kwargs: Any,
) -> folium.Map:
    """A folium map whose scripts and stylesheets are loaded from ``lib/`` (offline).

    Parameters
    ----------
    location, zoom_start
        Initial view (lat, lon); usually overridden by ``fit_bounds``.
    basemap
        ``True``: offer the online "Fond : OpenStreetMap (en ligne)" tiles (greyed) as a base
        layer of the layer control, *unticked*: the map opens on the offline commune
        background (:mod:`.background`, added by the thematic maps) and requests no tile
        until the user picks OpenStreetMap. ``"shown"`` (:data:`BASEMAP_SHOWN`): offered and
        ticked. ``False``: not offered.
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


def _setup_map(m: folium.Map, *, basemap: bool | str, background: str = BACKGROUND_COLOR,
               style: bool = True) -> folium.Map:
    """Local assets, page style (``style=False``: already on the page), metric scale bar and
    optional OpenStreetMap background of a map created with ``tiles=None``."""
    if basemap not in (True, False, BASEMAP_SHOWN):
        raise ValueError(f"basemap={basemap!r}: expected True (offered, unticked), False "
                         f"(not offered) or {BASEMAP_SHOWN!r} (offered and ticked).")
    # on the instance only: folium.Map.default_js/_css (class attributes) stay untouched
    m.default_js = _localized(folium.Map.default_js, VENDORED_JS)
    m.default_css = _localized(folium.Map.default_css, VENDORED_CSS)
    _protect(m)
    if style:
        _MapStyle(background).add_to(m)
    _ScaleControl().add_to(m)
    if basemap:
        from espass_geo.present.maps.background import OSM_BACKGROUND_FR

        folium.TileLayer(
            "OpenStreetMap",
            name=OSM_BACKGROUND_FR,
            overlay=False,  # a base layer: a radio button beside the offline commune background
            control=True,
            show=basemap == BASEMAP_SHOWN,  # unticked unless asked: no tile request offline
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

    The HTML is written by :func:`espass_geo.io.files.atomic_write` (a temporary file of the
    same folder renamed with ``os.replace``), so an error never leaves a partial file behind. Any script or
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
    # published pages must be world-readable (0644); an OSError is raised as it is
    return atomic_write(html_path, page, newline="\n", mode=0o644, os_errors=True)
