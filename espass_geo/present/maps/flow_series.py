"""The flow map of a series of land covers: one choropleth per period and a period selector.

Every period is a layer « Période 2012-2018 » (plus « Ensemble 2012-2021 », the
length-weighted whole series, when given), coloured with the **same classes** so that the
periods compare at a glance; the layers replace each other (ticking one in the layer control
unticks the others, :func:`~espass_geo.present.maps.legend.layer_controls`) and a slider
(top left) steps through them. Each legend is shown only with its layer. The tooltip of a
zone gives the values of the period shown and the net flow of every period (the series of
the zone). Built with the helpers of every map (:func:`~.layers.zone_layer`, :mod:`.page`,
:mod:`.safe`): no user string is compiled as a template, each is escaped.
"""

from __future__ import annotations

import html as _html
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from espass_geo.present.fmt import fmt_mass_t, fmt_quantity
from espass_geo.present.maps.base import _HtmlControl
from espass_geo.present.maps.classes import make_classes
from espass_geo.present.maps.flows import (
    FLOW_CAUSE_COLUMNS_FR,
    FLOW_PALETTE,
    FLOW_SIGN_NOTE_FR,
)
from espass_geo.present.maps.layers import GREY_OUTLINES, to_web_geometries, zone_layer
from espass_geo.present.maps.legend import layer_controls
from espass_geo.present.maps.page import (
    _SOURCES_NO_PARCELS_FR,
    _default_sources,
    _finish_map,
    _fmt_flux,
    _fmt_flux_ha,
    _infer_zone_label,
    _new_map,
    _notes_html,
    _require,
    _signed,
    _zone_base_fr,
    add_fields,
    compact_tooltip,
)

SERIES_ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name", "area_ha")
SERIES_COLUMNS_REQUIRED: tuple[str, ...] = ("zone_id", "period", "year_from", "year_to",
                                            "n_years", "flux_tCO2e_an")
#: Values a series map may show, with the caption of their legend and the unit of the layer.
SERIES_VALUES_FR: dict[str, tuple[str, str]] = {
    "flux_tCO2e_ha_an": ("Flux net (tCO₂e/ha/an)", "tCO₂e/ha/an"),
    "flux_tCO2e_an": ("Flux net total (tCO₂e/an)", "tCO₂e/an"),
}
SERIES_SIGN_FR: str = "positif = séquestration, négatif = émission"
ANNUALISATION_NOTE_FR: str = (
    "Chaque période est annualisée sur sa propre durée (flux de la période / nombre d'années "
    "de la période) ; l'ensemble est pondéré par les durées (somme des flux des périodes / "
    "nombre total d'années).")
SELECTOR_TITLE_FR: str = "Période affichée"


def period_layer_name(period: str) -> str:
    """« Période 2012-2018 »."""
    return f"Période {period}"


def total_layer_name(period: str) -> str:
    """« Ensemble 2012-2021 (pondéré par les durées) »."""
    return f"Ensemble {period} (pondéré par les durées)"


def _fmt_flux_period(value: Any) -> str:
    """Signed flow over a period: ``"−1 234 tCO₂e"``."""
    return _signed(value, fmt_mass_t(value, "tCO₂e"))


def _fmt_years(value: Any) -> str:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return "–"
    return f"{n} an" if n == 1 else f"{n} ans"


def _period_zones_fr(zones: gpd.GeoDataFrame, rows: pd.DataFrame, zone_label: str,
                     by_period: list[tuple[str, pd.Series]]
                     ) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """``zones`` (EPSG:4326) with the values of one period and their French tooltip."""
    values = rows.drop(columns=[c for c in ("zone_name", "area_ha") if c in rows.columns])
    z = zones.merge(values, on="zone_id", how="left")
    z = gpd.GeoDataFrame(z, geometry="geometry", crs=zones.crs)
    if "flux_tCO2e_ha_an" not in z.columns:
        z["flux_tCO2e_ha_an"] = pd.to_numeric(z["flux_tCO2e_an"], errors="coerce") / \
            pd.to_numeric(z["area_ha"], errors="coerce")
    z, tooltip = _zone_base_fr(z, zone_label)
    z["period_fr"] = [f"{p} ({_fmt_years(n)})" if isinstance(p, str) else "–"
                      for p, n in zip(z["period"], z["n_years"])]
    tooltip.append(("period_fr", "Période"))
    add_fields(z, tooltip, [
        ("flux_tCO2e_an", "flux_fr", "Flux net par an", _fmt_flux),
        ("flux_tCO2e_ha_an", "flux_ha_fr", "Flux net par ha", _fmt_flux_ha),
        ("flux_tCO2e", "flux_period_fr", "Flux net sur la période", _fmt_flux_period),
        *((col, f"{col}_fr", label, _fmt_flux) for col, label in FLOW_CAUSE_COLUMNS_FR.items()),
        ("sealed_ha_an", "sealed_fr", "Artificialisation", lambda v: fmt_quantity(v, "ha/an")),
    ], numeric=True)
    # the series of the zone: net flow per year of every period
    for k, (label, flux) in enumerate(by_period):
        key = f"series_{k}_fr"
        z[key] = [_fmt_flux(v) for v in z["zone_id"].map(flux)]
        tooltip.append((key, f"Flux net {label}"))
    return z, tooltip


class _PeriodSlider(MacroElement):
    """The script of the period selector: the slider shows the layer of its position (the
    others are removed), and follows the layer control when a period is ticked there."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var groups = [{{ this.groups|join(", ") }}];
            var labels = {{ this.labels|tojson }};
            var input = document.getElementById({{ this.input_id|tojson }});
            var output = document.getElementById({{ this.output_id|tojson }});
            if (!input || !output) { return; }
            function mark(i) {
                input.value = String(i);
                output.textContent = labels[i];
            }
            function show(i) {
                groups.forEach(function (g, k) {
                    if (k !== i && map.hasLayer(g)) { map.removeLayer(g); }
                });
                if (!map.hasLayer(groups[i])) { map.addLayer(groups[i]); }
                mark(i);
            }
            input.addEventListener("input", function () {
                show(parseInt(input.value, 10));
            });
            map.on("overlayadd", function (e) {
                var k = groups.indexOf(e.layer);
                if (k >= 0) { mark(k); }
            });
            groups.forEach(function (g, k) { if (map.hasLayer(g)) { mark(k); } });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, groups: Sequence[folium.FeatureGroup], labels: Sequence[str],
                 input_id: str, output_id: str) -> None:
        super().__init__()
        self._name = "PeriodSlider"
        self.groups = [g.get_name() for g in groups]
        self.labels = [str(label) for label in labels]
        self.input_id = input_id
        self.output_id = output_id


def _selector_html(labels: Sequence[str], ticks: Sequence[str], current: int,
                   input_id: str, output_id: str) -> str:
    """The period selector box: a title, the period shown, a slider and its tick labels."""
    esc = _html.escape
    tick_row = "".join(f'<span style="flex:1;text-align:center">{esc(t)}</span>' for t in ticks)
    return (f'<div style="padding:8px 10px;font-size:12px;line-height:1.25">'
            f'<div style="font-weight:600;margin-bottom:5px">{esc(SELECTOR_TITLE_FR)}</div>'
            f'<div><output id="{esc(output_id)}" for="{esc(input_id)}" '
            f'style="font-weight:600">{esc(labels[current])}</output></div>'
            f'<input type="range" id="{esc(input_id)}" min="0" max="{len(labels) - 1}" '
            f'step="1" value="{current}" aria-label="{esc(SELECTOR_TITLE_FR)}" '
            f'style="width:100%;min-width:{max(160, 70 * len(labels))}px;margin:4px 0 0">'
            f'<div style="display:flex;font-size:11px;color:#444">{tick_row}</div></div>')


def _period_selector(m: folium.Map, groups: Sequence[folium.FeatureGroup],
                     steps: Sequence[tuple[str, str, str, pd.DataFrame]], current: int) -> None:
    """Add the period selector (slider box, top left, and its script) to ``m``."""
    labels = [label for _, label, _, _ in steps]
    selector = _PeriodSlider(groups, labels, "", "")
    sid = selector.get_name()
    selector.input_id, selector.output_id = f"{sid}-input", f"{sid}-output"
    _HtmlControl(_selector_html(labels, [tick for _, _, tick, _ in steps], current,
                                selector.input_id, selector.output_id),
                 position="topleft", css_class="espass-period-selector").add_to(m)
    selector.add_to(m)


def flow_series_map(
    zones: gpd.GeoDataFrame,
    series: pd.DataFrame,
    *,
    title: str,
    total: pd.DataFrame | None = None,
    value: str = "flux_tCO2e_ha_an",
    notes: Sequence[str] = (),
    html_path: str | os.PathLike[str] | None = None,
    subtitle: str | None = None,
    zone_label: str | None = None,
    basemap: bool | str = True,
    sources: str | None = None,
    n_classes: int = 6,
    simplify_m: float = 5.0,
    show: str | None = None,
) -> folium.Map:
    """Map of the net carbon flows of each period of a series, with a period selector.

    Parameters
    ----------
    zones
        GeoDataFrame with a CRS, one row per zone: ``zone_id, zone_name, area_ha, geometry``.
    series
        Zone × period table (:attr:`~espass_geo.runs.flow_series.FlowSeriesResult.series`):
        ``zone_id, period, year_from, year_to, n_years, flux_tCO2e_an`` and optionally
        ``flux_tCO2e_ha_an`` (else computed from ``area_ha``), ``flux_tCO2e`` (over the
        period), the per-cause flows of :data:`FLOW_CAUSE_COLUMNS_FR` and ``sealed_ha_an``,
        all shown in the tooltip.
    total
        Optional whole-series table (same columns, one period): an extra layer « Ensemble … »
        at the end of the selector.
    value
        Column coloured: ``flux_tCO2e_ha_an`` (default) or ``flux_tCO2e_an``. Every layer uses
        the same classes (symmetric around 0), computed over all periods.
    show
        Period shown when the page opens (default: the last period).
    title, subtitle, notes, sources, zone_label, basemap, n_classes, simplify_m
        As in :func:`~espass_geo.present.maps.flows.flows_map`; :data:`FLOW_SIGN_NOTE_FR` and
        :data:`ANNUALISATION_NOTE_FR` are written first in the notes box.

    Layers « Période AAAA-AAAA » (one per period, ordered by year) and « Ensemble … » replace
    each other; the slider (top left) and the layer control both switch them.
    """
    _require(zones, SERIES_ZONE_COLUMNS, "zones")
    _require(series, SERIES_COLUMNS_REQUIRED, "series")
    if value not in SERIES_VALUES_FR:
        raise ValueError(f"value must be one of {sorted(SERIES_VALUES_FR)}, not {value!r}")
    if len(zones) == 0 or len(series) == 0:
        raise ValueError("zones or series is empty: nothing to map.")
    if total is not None:
        _require(total, SERIES_COLUMNS_REQUIRED, "total")
    if zone_label is None:
        zone_label = _infer_zone_label(zones["zone_id"])

    def with_value(t: pd.DataFrame) -> pd.DataFrame:
        t = t.copy()
        if "flux_tCO2e_ha_an" not in t.columns:
            area = zones.set_index("zone_id")["area_ha"]
            t["flux_tCO2e_ha_an"] = pd.to_numeric(t["flux_tCO2e_an"], errors="coerce") / \
                pd.to_numeric(t["zone_id"].map(area), errors="coerce")
        return t

    series = with_value(series)
    order = (series[["period", "year_from", "year_to"]].drop_duplicates()
             .sort_values(["year_from", "year_to"]))
    periods = [str(p) for p in order["period"]]
    # (layer name, slider label, tick, rows)
    steps: list[tuple[str, str, str, pd.DataFrame]] = [
        (period_layer_name(p), period_layer_name(p), p, series[series["period"] == p])
        for p in periods]
    if total is not None:
        total = with_value(total)
        tp = str(total["period"].iloc[0])
        steps.append((total_layer_name(tp), total_layer_name(tp), "Ensemble", total))
    by_period = [(p, series[series["period"] == p].set_index("zone_id")["flux_tCO2e_an"])
                 for p in periods]
    if total is not None:
        by_period.append((f"{tp} (ensemble)", total.set_index("zone_id")["flux_tCO2e_an"]))

    caption, unit = SERIES_VALUES_FR[value]
    all_values = np.concatenate([pd.to_numeric(rows[value], errors="coerce").to_numpy(float)
                                 for _, _, _, rows in steps])
    finite = all_values[np.isfinite(all_values)]
    classes = (make_classes(finite, caption=caption, palette=list(FLOW_PALETTE),
                            n_classes=n_classes, diverging=True) if len(finite) else None)

    base = zones[list(SERIES_ZONE_COLUMNS) + [zones.geometry.name]].copy()
    web = to_web_geometries(gpd.GeoDataFrame(base, geometry=zones.geometry.name,
                                             crs=zones.crs), simplify_m=simplify_m)
    web = web.rename_geometry("geometry") if web.geometry.name != "geometry" else web
    current = len(periods) - 1
    if show is not None:
        if show not in periods:
            raise ValueError(f"show={show!r} is not a period of the series: {periods}")
        current = periods.index(show)

    m = _new_map(title, basemap=basemap)
    attribution = "IGN Admin Express COG 2018 ; ADEME ALDO"
    legends: list[tuple[folium.FeatureGroup, MacroElement]] = []
    groups: list[folium.FeatureGroup] = []
    for k, (name, _label, _tick, rows) in enumerate(steps):
        z, tooltip = _period_zones_fr(web, rows, zone_label, by_period)
        layer_classes = (replace(classes, caption=f"{name} — {caption} — {SERIES_SIGN_FR}")
                         if classes is not None else None)
        group, legend, _ = zone_layer(
            z, value, name=name,
            tooltip=compact_tooltip(tooltip, ("period_fr", "flux_fr", "flux_ha_fr",
                                              "flux_period_fr")),
            popup=tooltip, classes=layer_classes,
            palette=list(FLOW_PALETTE),
            caption=f"{name} — {caption} — {SERIES_SIGN_FR}", n_classes=n_classes,
            diverging=True, show=k == current, attribution=attribution,
            fmt_value=lambda v: _signed(v, fmt_quantity(v, unit)), **GREY_OUTLINES)
        group.add_to(m)
        groups.append(group)
        legends.append((group, legend))
    layer_controls(m, legends, exclusive=groups)

    if len(steps) > 1:
        _period_selector(m, groups, steps, current)

    notes = list(notes)
    sources = _default_sources(notes, sources, _SOURCES_NO_PARCELS_FR)
    fixed = (FLOW_SIGN_NOTE_FR, ANNUALISATION_NOTE_FR)
    all_notes = [*fixed, *(n for n in notes if str(n) not in fixed)]
    _finish_map(m, web, title=title, subtitle=subtitle,
                notes_html=_notes_html(all_notes, sources), html_path=html_path)
    return m
