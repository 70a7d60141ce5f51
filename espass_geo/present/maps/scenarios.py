"""The scenario map: baseline and scenario side by side (a synchronised DualMap), the
difference to the baseline and the actions of the scenario."""

from __future__ import annotations

import html as _html
import os
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure, MacroElement
from folium.plugins import DualMap
from folium.template import Template

from espass_geo.present.fmt import fmt_mass_t, fmt_quantity
from espass_geo.present.maps.background import add_background
from espass_geo.present.maps.base import (
    _HtmlControl,
    _setup_map,
    save_map,
    stylesheet,
)
from espass_geo.present.maps.classes import (
    make_classes,
)
from espass_geo.present.maps.flows import (
    FLOW_PALETTE,
)
from espass_geo.present.maps.layers import (
    GREY_OUTLINES,
    to_web_geometries,
    tooltip_layer,
    zone_layer,
)
from espass_geo.present.maps.legend import (
    layer_controls,
)
from espass_geo.present.maps.page import (
    _SOURCES_NO_PARCELS_FR,
    _default_sources,
    _infer_zone_label,
    _notes_html,
    _require,
    _signed,
    _zone_base_fr,
    add_fields,
    add_print_button,
    compact_tooltip,
)
from espass_geo.present.maps.safe import (
    _protect,
)

# --------------------------------------------------------------------------------------------
# Scenario map: baseline / scenario side by side
# --------------------------------------------------------------------------------------------

#: Sign sentence of the scenario maps (notes box and legends).
SCENARIO_SIGN_NOTE_FR: str = ("Convention ALDO : positif = stockage / séquestration, "
                              "négatif = déstockage / émission.")
SCENARIO_SELECT_NOTE_FR: str = ("Le menu au-dessus de la carte de droite choisit le scénario "
                                 "comparé au tendanciel.")
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
    "renature": ("Renaturation (désartificialisation)", "#01665e"),
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
        .espass-dual-header { height: {{ this.h }}px; }
        .espass-dual-divider { top: {{ this.h }}px; }
        {{ this.css }}
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="espass-dual-header">
          <div class="espass-dual-title"><h1>{{ this.title }}</h1>{{ this.subtitle }}</div>
          <div class="espass-dual-panes">
            <div class="espass-dual-pane espass-left"><span>{{ this.left }}</span></div>
            <div class="espass-dual-pane espass-right">{{ this.right }}</div>
          </div>
        </div>
        <div class="espass-dual-divider"></div>
        {% endmacro %}
        """
    )

    def __init__(self, dual: DualMap, *, title: str, subtitle: str | None, left: str,
                 right: str, right_html: str | None = None) -> None:
        super().__init__()
        self._name = "EspassDualPage"
        self.m1 = dual.m1.get_name()
        self.m2 = dual.m2.get_name()
        self.h = _DUAL_HEADER_PX
        self.css = stylesheet("dual.css")
        # escaped here: the template writes them as they are
        self.title = _html.escape(title)
        self.subtitle = f"<span>{_html.escape(subtitle)}</span>" if subtitle else ""
        self.left = _html.escape(left)
        # the scenario selector (already escaped), or the scenario's name
        self.right = right_html if right_html is not None else (
            f"<span>{_html.escape(right)}</span>")


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
    add_fields(z, tooltip, [
        (value_col, "value_fr", value_label, _fmt_signed_ha),
        ("stock_change_tC", "stock_change_fr", "Variation du stock (total)",
         lambda v: _signed(v, fmt_mass_t(v, "tC"))),
    ])
    if baseline_values is not None:
        ref = z["zone_id"].astype("string").map(baseline_values)
        z["baseline_value_fr"] = [_fmt_signed_ha(v) for v in ref]
        tooltip.append(("baseline_value_fr", f"{baseline_label} (pour comparaison)"))
    if delta_col is not None:
        add_fields(z, tooltip, [(delta_col, "delta_fr", "Écart au tendanciel (cumulé)",
                                 lambda v: _signed(v, fmt_mass_t(v, "tCO₂e")))])
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


def _actions_layer(actions: gpd.GeoDataFrame, *, name: str = ACTIONS_LAYER_FR,
                   show: bool = True) -> folium.FeatureGroup:
    """Action outlines coloured by type (lines and points accepted), tooltip in French."""
    a = _actions_fr(actions)
    web = to_web_geometries(a, simplify_m=1.0)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        color = feature["properties"]["stroke"]
        return {"color": color, "weight": 3, "opacity": 0.95, "fillColor": color,
                "fillOpacity": 0.08}

    def highlight(_feature: dict[str, Any]) -> dict[str, Any]:
        return {"weight": 5, "fillOpacity": 0.25}

    group = tooltip_layer(
        web, [("label_fr", "Action"), ("type_fr", "Type"), ("year_fr", "Année")],
        name=name, show=show, extra={"stroke": web["stroke"]}, style=style,
        highlight=highlight, marker=folium.CircleMarker(radius=7), pane=_ACTIONS_PANE)
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


class _ScenarioSelector(MacroElement):
    """The script of the scenario selector (a ``<select>`` in the header band, above the
    right map): choosing scenario *k* shows its layer (its difference layer if a difference
    layer was on) and its actions (if actions were on), and removes the other scenarios'
    layers; ticking a layer of scenario *k* in the layer control selects *k*."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var values = [{{ this.values|join(", ") }}];
            var deltas = [{{ this.deltas|join(", ") }}];
            var actions = [{{ this.actions|join(", ") }}];
            var select = document.getElementById({{ this.select_id|tojson }});
            if (!select) { return; }
            function on(list) {
                return list.some(function (g) { return g && map.hasLayer(g); });
            }
            function show(k) {
                var delta = on(deltas), acts = on(actions) || !actions.length;
                [values, deltas, actions].forEach(function (list) {
                    list.forEach(function (g, i) {
                        if (g && i !== k && map.hasLayer(g)) { map.removeLayer(g); }
                    });
                });
                var zone = (delta && deltas[k]) ? deltas[k] : values[k];
                if (!map.hasLayer(zone)) { map.addLayer(zone); }
                if (acts && actions[k] && !map.hasLayer(actions[k])) { map.addLayer(actions[k]); }
                select.value = String(k);
            }
            select.addEventListener("change", function () { show(parseInt(select.value, 10)); });
            map.on("overlayadd", function (e) {
                [values, deltas, actions].forEach(function (list) {
                    var k = list.indexOf(e.layer);
                    if (k >= 0 && String(k) !== select.value) {
                        setTimeout(function () { show(k); }, 0);
                    }
                });
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, values: Sequence[folium.FeatureGroup],
                 deltas: Sequence[folium.FeatureGroup | None],
                 actions: Sequence[folium.FeatureGroup | None], select_id: str) -> None:
        super().__init__()
        self._name = "ScenarioSelector"
        self.values = [g.get_name() for g in values]
        self.deltas = [g.get_name() if g is not None else "null" for g in deltas]
        self.actions = [g.get_name() if g is not None else "null" for g in actions]
        if not any(g is not None for g in deltas):
            self.deltas = []
        if not any(g is not None for g in actions):
            self.actions = []
        self.select_id = select_id


#: Label of the scenario selector (header band of the scenario map).
SCENARIO_SELECT_FR: str = "Scénario affiché à droite"
#: Key figures of the compact tooltip of a zone (the popup gives every value).
SCENARIO_TOOLTIP_KEYS: tuple[str, ...] = ("value_fr", "baseline_value_fr", "delta_fr",
                                          "stock_change_fr", "area_fr")


def _select_html(select_id: str, labels: Sequence[str]) -> str:
    """The ``<select>`` of the scenarios (labels HTML-escaped, option values 0, 1…)."""
    esc = _html.escape
    options = "".join(f'<option value="{k}">{esc(label)}</option>'
                      for k, label in enumerate(labels))
    return (f'<label class="espass-scenario-select"><span class="espass-sr">'
            f'{esc(SCENARIO_SELECT_FR)}</span><select id="{esc(select_id)}" '
            f'aria-label="{esc(SCENARIO_SELECT_FR, quote=True)}">{options}</select></label>')


def scenario_map(
    zones_baseline: gpd.GeoDataFrame,
    zones_scenario: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    *,
    title: str,
    actions: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame | None] | None = None,
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
    basemap: bool | str = True,
    n_classes: int = 6,
    simplify_m: float = 5.0,
) -> DualMap:
    """Baseline and scenario side by side (two synchronised maps), readable offline.

    A :class:`folium.plugins.DualMap` (gotcha 7: DualMap, not SideBySideLayers, for
    choropleths): the left map shows the baseline ("tendanciel"), the right map a scenario;
    moving or zooming one moves the other (Leaflet.Sync, vendored).

    * Left: choropleth of ``value_col`` of ``zones_baseline``.
    * Right: choropleth of ``value_col`` of each scenario with **the same classes and
      colours** (computed on all tables together, diverging around 0); layer "Écart au
      tendanciel (tCO₂e cumulés)" (``delta_col``, diverging, same classes for every
      scenario, hidden: ticking it replaces the scenario choropleth, and back); layer
      "Actions du scénario" (``actions``, shown, above the zones).
    * Several scenarios (``zones_scenario`` a mapping label → table): a selector
      (``<select>`` above the right map) switches the right map between them — its
      choropleth, difference and actions layers (named « … — <label> » in the layer
      control, where ticking one also selects its scenario). The first one is shown.

    Sign convention (ALDO): **positive = storage / sequestration**, negative = destocking /
    emission, written in the legends and the notes box.

    Parameters
    ----------
    zones_baseline, zones_scenario
        GeoDataFrames with a CRS (EPSG:2154 expected), one row per zone: ``zone_id,
        zone_name, area_ha`` and ``value_col`` (default ``stock_change_tC_ha``: stock change
        from the start year to the horizon, tC/ha; positive = the zone stores carbon);
        optional ``stock_change_tC`` (tooltip). A scenario table also has ``delta_col``
        (default ``delta_cum_tCO2e``: scenario − baseline cumulated over the period, tCO₂e;
        positive = more sequestration than the baseline). ``zones_scenario``: one table, or
        an ordered mapping scenario label → table.
    title, subtitle
        Header band at the top of the page (HTML-escaped); by default the subtitle is the
        horizon ("à l'horizon 2050").
    actions
        Optional GeoDataFrame (CRS required) ``action_id, type, label, year``; ``type`` in
        ``convert`` (green outline), ``seal`` (red: projects, future
        urbanisation zones), ``renature`` (teal), ``practice`` (blue), ``hedges`` (brown),
        others grey. Polygons, lines or points. Tooltip "Action", "Type", "Année". With
        several scenarios: a mapping scenario label → actions (or None).
    value_col, delta_col
        Columns mapped; ``delta_col=None``: no difference layer.
    notes
        Lines of the notes box (left map, bottom left, HTML-escaped), after the sign
        convention and before the synchronisation hint; sources as in :func:`stocks_map`.
    html_path
        If given, the page is saved there with :func:`save_map` (assets in ``lib/``,
        including ``lib/leaflet-sync/``).
    scenario_label, baseline_label
        Names of the two panes (header band, layer names, tooltips); ``scenario_label`` is
        the label of a single scenario table.
    horizon
        End year (``2050`` → "à l'horizon 2050") or a period text ("2025–2050"), written in
        the legend caption and the default subtitle.
    value_name
        Name of ``value_col`` in the layer names, tooltips and legend
        ("Variation du stock de carbone (tC/ha)").
    zone_label
        Tooltip label of ``zone_name``; inferred from ``zone_id`` (see :func:`stocks_map`).
    basemap
        Offer the online OpenStreetMap background on both maps (see
        :func:`~espass_geo.present.maps.make_map`; unticked by default, the maps open on the
        offline commune background).
    n_classes
        Number of classes of the choropleths (even, symmetric around 0).

    Returns
    -------
    folium.plugins.DualMap
        ``.m1`` (baseline) and ``.m2`` (scenario); save it with :func:`save_map`.
    """
    scenarios: dict[str, gpd.GeoDataFrame] = (
        {str(k): v for k, v in zones_scenario.items()} if isinstance(zones_scenario, Mapping)
        else {scenario_label: zones_scenario})
    if not scenarios:
        raise ValueError("zones_scenario is empty: give at least one scenario table.")
    if isinstance(actions, Mapping):
        unknown = [str(k) for k in actions if str(k) not in scenarios]
        if unknown:
            raise KeyError(f"actions of unknown scenario(s) {unknown}; scenarios: "
                           f"{list(scenarios)}")
        acts_by: dict[str, gpd.GeoDataFrame | None] = {
            label: actions.get(label) for label in scenarios}
    else:
        acts_by = {label: (actions if k == 0 else None) for k, label in enumerate(scenarios)}
    _require(zones_baseline, (*SCENARIO_ZONE_COLUMNS, value_col), "zones_baseline")
    scen_cols = (*SCENARIO_ZONE_COLUMNS, value_col) + ((delta_col,) if delta_col else ())
    for label, table in scenarios.items():
        _require(table, scen_cols, "zones_scenario" if len(scenarios) == 1
                 else f"zones_scenario[{label!r}]")
    if len(zones_baseline) == 0 or any(len(t) == 0 for t in scenarios.values()):
        raise ValueError("zones_baseline and zones_scenario must not be empty: nothing to map.")
    for a in acts_by.values():
        if a is not None:
            _require(a, ACTION_COLUMNS, "actions")
    if zone_label is None:
        zone_label = _infer_zone_label(pd.concat([zones_baseline["zone_id"],
                                                  *(t["zone_id"] for t in scenarios.values())]))
    period = _period_text(horizon)
    short_name = value_name[:1].lower() + value_name[1:]
    caption = (f"{value_name.removesuffix(' (tC/ha)')}"
               f"{' ' + period if period else ''}"
               f"{' (tC/ha)' if value_name.endswith(' (tC/ha)') else ''}"
               " — positif = stockage / séquestration")
    if subtitle is None and horizon is not None:
        subtitle = period[:1].upper() + period[1:]
    several = len(scenarios) > 1

    base_values = pd.Series(
        pd.to_numeric(zones_baseline[value_col], errors="coerce").to_numpy(),
        index=zones_baseline["zone_id"].astype("string").to_numpy())
    base_values = base_values[~base_values.index.duplicated()]
    zb, tip_b = _scenario_zones_fr(zones_baseline, zone_label, value_col, value_name)
    web_b = to_web_geometries(zb, simplify_m=simplify_m)
    webs: dict[str, tuple[gpd.GeoDataFrame, list[tuple[str, str]]]] = {}
    for label, table in scenarios.items():
        zs, tip_s = _scenario_zones_fr(table, zone_label, value_col, value_name,
                                       delta_col=delta_col, baseline_values=base_values,
                                       baseline_label=baseline_label)
        webs[label] = (to_web_geometries(zs, simplify_m=simplify_m), tip_s)

    both = pd.concat([pd.to_numeric(zones_baseline[value_col], errors="coerce"),
                      *(pd.to_numeric(t[value_col], errors="coerce")
                        for t in scenarios.values())])
    classes = make_classes(both, caption=caption, palette=list(FLOW_PALETTE),
                           n_classes=n_classes, diverging=True)
    delta_classes = None
    if delta_col is not None:
        deltas = pd.concat([pd.to_numeric(t[delta_col], errors="coerce")
                            for t in scenarios.values()])
        if np.isfinite(deltas.to_numpy(dtype="float64")).any():
            delta_classes = make_classes(deltas, caption=DELTA_CAPTION_FR,
                                         palette=list(FLOW_PALETTE), n_classes=n_classes,
                                         diverging=True)

    # fractional zoom: fit_bounds fills each half-width map better
    dual = DualMap(layout="horizontal", tiles=None, zoom_snap=0.25, zoom_delta=0.5)
    root = _protect(dual).get_root()
    assert isinstance(root, Figure)
    first_label = next(iter(scenarios))
    root.title = _html.escape(f"{title} — {baseline_label} / "
                              f"{' / '.join(scenarios) if several else first_label}")
    _setup_map(dual.m1, basemap=basemap, style=True)
    _setup_map(dual.m2, basemap=basemap, style=False)  # one stylesheet for the page
    attribution = "IGN Admin Express COG 2018 ; ADEME ALDO"
    # left: baseline
    left_group, left_legend, _ = zone_layer(
        web_b, value_col, name=f"{baseline_label} : {short_name}",
        tooltip=compact_tooltip(tip_b, SCENARIO_TOOLTIP_KEYS), popup=tip_b,
        classes=classes, attribution=attribution, **GREY_OUTLINES)
    left_group.add_to(dual.m1)
    layer_controls(dual.m1, [(left_group, left_legend)])

    # right: each scenario, same classes; its difference; its actions
    legends: list[tuple[folium.FeatureGroup, MacroElement]] = []
    zone_groups: list[folium.FeatureGroup] = []
    value_groups: list[folium.FeatureGroup] = []
    delta_groups: list[folium.FeatureGroup | None] = []
    action_groups: list[folium.FeatureGroup | None] = []
    if any(a is not None and len(a) for a in acts_by.values()):
        folium.map.CustomPane(_ACTIONS_PANE, z_index=420, pointer_events=True).add_to(dual.m2)
    for k, (label, (web_s, tip_s)) in enumerate(webs.items()):
        suffix = f" — {label}" if several else ""
        tip = compact_tooltip(tip_s, SCENARIO_TOOLTIP_KEYS)
        group, legend, _ = zone_layer(
            web_s, value_col, name=f"{label} : {short_name}", tooltip=tip, popup=tip_s,
            classes=classes, show=k == 0, attribution=attribution, **GREY_OUTLINES)
        group.add_to(dual.m2)
        value_groups.append(group)
        zone_groups.append(group)
        legends.append((group, legend))
        delta_group = None
        if delta_col is not None:
            delta_group, delta_legend, _ = zone_layer(
                web_s, delta_col, name=DELTA_LAYER_FR + suffix, tooltip=tip, popup=tip_s,
                classes=delta_classes, palette=list(FLOW_PALETTE), caption=DELTA_CAPTION_FR,
                n_classes=n_classes, diverging=True, show=False, attribution=attribution,
                **GREY_OUTLINES)
            delta_group.add_to(dual.m2)
            zone_groups.append(delta_group)
            legends.append((delta_group, delta_legend))
        delta_groups.append(delta_group)
        acts = acts_by[label]
        actions_group = None
        if acts is not None and len(acts):
            actions_group = _actions_layer(acts, name=ACTIONS_LAYER_FR + suffix, show=k == 0)
            actions_group.add_to(dual.m2)
            legends.append((actions_group, _actions_legend(acts)))
        action_groups.append(actions_group)
    layer_controls(dual.m2, legends, exclusive=zone_groups)
    select_id = ""
    if several:
        selector = _ScenarioSelector(value_groups, delta_groups, action_groups, "")
        select_id = selector.select_id = f"{selector.get_name()}-select"
        selector.add_to(dual.m2)

    notes = list(notes)
    sources = _default_sources(notes, sources, _SOURCES_NO_PARCELS_FR)
    all_notes = [SCENARIO_SIGN_NOTE_FR,
                 *(n for n in notes if str(n) not in (SCENARIO_SIGN_NOTE_FR,
                                                       SCENARIO_SYNC_NOTE_FR)),
                 SCENARIO_SYNC_NOTE_FR]
    if several:
        all_notes.insert(-1, SCENARIO_SELECT_NOTE_FR)
    _HtmlControl(_notes_html(all_notes, sources), position="bottomleft",
                 css_class="espass-notes").add_to(dual.m1)
    _DualPage(dual, title=title, subtitle=subtitle, left=baseline_label,
              right=first_label,
              right_html=_select_html(select_id, list(scenarios)) if several else None
              ).add_to(dual.m1)

    all_webs = [web_b, *(w for w, _ in webs.values())]
    minx = min(w.total_bounds[0] for w in all_webs)
    miny = min(w.total_bounds[1] for w in all_webs)
    maxx = max(w.total_bounds[2] for w in all_webs)
    maxy = max(w.total_bounds[3] for w in all_webs)
    add_background(dual.m1, web_b)
    add_background(dual.m2, web_b)
    add_print_button(dual.m1)
    # room at the bottom for the legends, notes and action key (bottom corners)
    dual.fit_bounds([[float(miny), float(minx)], [float(maxy), float(maxx)]],
                    padding_top_left=(10, 20), padding_bottom_right=(10, 120))
    if html_path is not None:
        save_map(dual, html_path)
    return dual
