"""Legends (plain HTML, French labels), the layer control, and the switch that shows each
legend only with its layer."""

from __future__ import annotations

import html as _html
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from espass_geo.present.fmt import fmt_number
from espass_geo.present.maps.base import (
    _HtmlControl,
)
from espass_geo.present.maps.classes import (
    ColorClasses,
)
from espass_geo.present.maps.safe import _LayerControl


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


def nodata_legend(classes: ColorClasses) -> MacroElement:
    """Legend of a layer without any value: its caption and the no-data row only."""
    esc = _html.escape
    content = (f'<div class="espass-legend-title">{esc(classes.caption)}</div>'
               f'<div class="espass-legend-row"><span class="espass-swatch" '
               f'style="background:{classes.nodata_color}"></span><span>'
               f'{esc(classes.nodata_label)}</span></div>')
    return _HtmlControl(content, position="bottomright", css_class="espass-legend")


def legend_element(classes: ColorClasses, *, position: str = "bottomright",
                   show_nodata: bool = False, raster: Mapping[str, Any] | None = None,
                   note: str | None = None) -> MacroElement:
    """A legend control (plain HTML, French labels) to ``add_to`` a map.

    ``raster``: the dict of :func:`raster_to_png` adds a gradient for the pixel layer.
    """
    content = _legend_html(classes, show_nodata=show_nodata, raster=raster, note=note)
    return _HtmlControl(content, position=position, css_class="espass-legend")


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
            // any layer added or removed (layer control, period slider, scenario selector,
            // script): one sync after the batch of features
            var pending = false;
            function later() {
                if (pending) { return; }
                pending = true;
                setTimeout(function () { pending = false; sync(); }, 0);
            }
            map.on("layeradd layerremove", later);
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


def layer_controls(m: folium.Map, legends: Sequence[tuple[folium.FeatureGroup, MacroElement]],
                   exclusive: Sequence[folium.FeatureGroup] | None = None) -> None:
    """Add to ``m`` the layer control (top right) and the legends; each legend is shown only
    while its layer is on the map, and the ``exclusive`` layers replace each other
    (:class:`_LegendSwitch`)."""
    _LayerControl(collapsed=False, position="topright").add_to(m)
    for _group, legend in legends:
        legend.add_to(m)
    _LegendSwitch(legends, exclusive=exclusive or ()).add_to(m)
