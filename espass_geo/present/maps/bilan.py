"""The published map of the bilan: every indicator per zone on one page, overlays
(parcels, hotspots, actions) and the synthesis panel."""

from __future__ import annotations

import html as _html
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from espass_geo.present.charts import POLLUTANTS
from espass_geo.present.fmt import fmt_area_ha, fmt_mass_t, fmt_quantity
from espass_geo.present.maps.base import (
    _HtmlControl,
    stylesheet,
)
from espass_geo.present.maps.classes import (
    ColorClasses,
)
from espass_geo.present.maps.emissions import (
    DIRECT_GHG_LAYER_FR,
    DIRECT_GHG_PALETTE,
    EMISSION_POSTS,
    EMISSIONS_NOTES_FR,
    FOOTPRINT_PALETTE,
    FOOTPRINT_TOTAL_LAYER_FR,
    GHG_PER_CAPITA_UNIT_FR,
    POLLUTANT_DENSITY_UNIT_FR,
    POLLUTANT_PALETTE,
    _col_key,
    _fmt_density,
    _fmt_per_capita,
    _fmt_population,
    footprint_layer_name,
    pollutant_layer_name,
)
from espass_geo.present.maps.flows import (
    FLOW_CAPTION_FR,
    FLOW_PALETTE,
    FLOW_SIGN_NOTE_FR,
    HOTSPOT_COLUMNS,
    SEALING_CAPTION_FR,
    _hotspots_layer,
)
from espass_geo.present.maps.layers import (
    DENSITY_CAPTION_FR,
    GREY_OUTLINES,
    choropleth_layer,
    to_web_geometries,
    zone_layer,
)
from espass_geo.present.maps.legend import (
    _steps_legend,
    layer_controls,
)
from espass_geo.present.maps.page import (
    _SOURCES_NO_PARCELS_FR,
    DEFAULT_SOURCES_FR,
    _default_sources,
    _estimate_html,
    _finish_map,
    _fmt_flux,
    _fmt_flux_ha,
    _infer_zone_label,
    _new_map,
    _notes_html,
    _per_zone,
    _require,
    add_fields,
    add_interval_field,
    compact_tooltip,
    first_varying,
    fr_keys,
)
from espass_geo.present.maps.scenarios import (
    _ACTIONS_PANE,
    ACTION_COLUMNS,
    _actions_layer,
    _actions_legend,
)
from espass_geo.present.maps.stocks import (
    PARCEL_COLUMNS,
    _parcels_fr,
)
from espass_geo.present.maps.zan import (
    BUDGET_LAYER_FR,
    CONSUMED_LAYER_FR,
    COST_HA_LAYER_FR,
    COST_LAYER_FR,
    ZAN_COST_NOTE_FR,
    budget_classes,
    fmt_cost,
    fmt_cost_ha,
    fmt_ha,
    fmt_pct_value,
    fmt_share_flagged,
)
from espass_geo.present.vocabulary import POST_LABELS_FR, SUBSTANCE_LABELS_FR

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
#: Key figures of the compact tooltip of a zone, after the value of its layer: stock, net
#: flow, footprint and direct emissions per inhabitant (the popup gives every value).
BILAN_TOOLTIP_KEYS: tuple[str, ...] = ("stock_fr", "flux_fr", "ges_hab_total_fr",
                                       "ges_direct_hab_fr", "population_fr")
#: ZAN lines of the tooltip (issue #12): column, key of its French text, label, formatter.
_ZAN_TOOLTIP: tuple[tuple[str, str, str, Any], ...] = (
    ("zan_reference_2011_2020_ha", "zan_reference_fr", "ZAN : référence 2011–2020", fmt_ha),
    ("zan_budget_2021_2030_ha", "zan_budget_fr", "ZAN : budget 2021–2030", fmt_ha),
    ("zan_consumed_since_2021_ha", "zan_consumed_fr", "ZAN : ENAF consommés depuis 2021",
     fmt_ha),
    ("zan_budget_used_share", "zan_share_fr", "ZAN : budget 2021–2030 consommé",
     fmt_share_flagged),
    ("zan_cost_tCO2e_ha", "zan_cost_ha_fr", "ZAN : coût carbone par hectare", fmt_cost_ha),
    ("zan_cost_tCO2e", "zan_cost_fr", "ZAN : coût carbone depuis 2021", fmt_cost),
)
_BILAN_PARCELS_PANE = "espass_bilan_parcels"
#: Link targets accepted in the synthesis panel: relative paths, or web/mail addresses.
_LINK_SCHEMES: frozenset[str] = frozenset({"", "http", "https", "mailto"})


class _BilanStyle(MacroElement):
    """CSS of the synthesis panel and of the many-layer control of the bilan map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        {{ this.css }}
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
        self.css = stylesheet("bilan.css")


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

    add_fields(z, tooltip, [
        ("area_ha", "area_fr", "Surface", fmt_area_ha),
        ("population", "population_fr", "Population", _fmt_population),
        ("stock_tC", "stock_fr", "Stock de carbone", lambda v: fmt_mass_t(v, "tC")),
        ("density_tC_ha", "density_fr", "Stock moyen", lambda v: fmt_quantity(v, "tC/ha", 1)),
        ("flux_tCO2e_an", "flux_fr", "Flux net (+ = séquestration)", _fmt_flux),
        ("flux_tCO2e_ha_an", "flux_ha_fr", "Flux net par hectare", _fmt_flux_ha),
        ("sealed_ha_an", "sealed_fr", "Artificialisation", lambda v: fmt_quantity(v, "ha/an")),
        ("ges_hab_total_tCO2e", "ges_hab_total_fr", "Empreinte GES par habitant",
         _fmt_per_capita),
        *((f"ges_hab_{p}_tCO2e", f"ges_hab_{_col_key(p)}_fr",
           f"dont {POST_LABELS_FR.get(p, p)}", _fmt_per_capita) for p in posts),
        ("ges_direct_hab_tCO2e", "ges_direct_hab_fr", "Émissions directes de GES par habitant",
         _fmt_per_capita),
        *((f"{p}_t_km2", f"{_col_key(p)}_t_km2_fr", SUBSTANCE_LABELS_FR.get(p, p),
           _fmt_density) for p in pollutants),
        *_ZAN_TOOLTIP,
    ], numeric=True)
    add_interval_field(z, tooltip, "stock_tC", "stock_fr", "tC")
    add_interval_field(z, tooltip, "flux_tCO2e_an", "flux_fr", "tCO₂e/an", signed=True)
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
    basemap: bool | str = True,
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
    * one per pollutant, "NOₓ (t/km²/an)"… (``<pollutant>_t_km2``);
    * ZAN (issue #12, from :class:`espass_geo.runs.zan.ZanResult`): « Consommation d'ENAF
      depuis 2021 (ha) » (``zan_consumed_since_2021_ha``), « Budget 2021-2030 consommé (%) »
      (``zan_budget_used_share``, a fraction; fixed classes 0–25–50–75–100 % and beyond; the
      tooltip adds « (au-delà du budget) » past 100 %), « Coût carbone de l'artificialisation
      (tCO₂e/ha) » (``zan_cost_tCO2e_ha``), « Coût carbone depuis 2021 (tCO₂e) »
      (``zan_cost_tCO2e``; a cost is an emission, written positive). Optional tooltip lines
      ``zan_reference_2011_2020_ha``, ``zan_budget_2021_2030_ha``.

    Overlays, above the zones and independent of them: "Parcelles agricoles (RPG)"
    (``parcels``, hidden, coloured with the classes of the stock layer), "Points chauds
    d'artificialisation" (``hotspots``, shown), "Actions du scénario" (``actions``, shown,
    outlines by type as in :func:`scenario_map`).

    The map opens on the first zone layer whose values differ between zones. The tooltip of
    a zone gives its name, the value of the layer shown and its key figures (stock, net
    flow, footprint and direct emissions per inhabitant, :data:`BILAN_TOOLTIP_KEYS`; at most
    five lines); a click opens every value. All formatted in French in Python ("1 234 tC",
    "−56,0 tCO₂e/an", "9,2 tCO₂e/hab/an"). A synthesis panel (open ``<details>``, top
    left under the zoom buttons, scrolls when long) shows ``synthesis`` and ``links``.

    Parameters
    ----------
    zones
        GeoDataFrame with a CRS (EPSG:2154 expected), one row per zone (communes or EPCI):
        ``zone_id, zone_name`` and any of ``area_ha, population, density_tC_ha, stock_tC,
        flux_tCO2e_an, flux_tCO2e_ha_an, sealed_ha_an, ges_hab_total_tCO2e,
        ges_hab_<post>_tCO2e, ges_direct_hab_tCO2e, <pollutant>_t_km2, zan_*`` (posts of
        :data:`EMISSION_POSTS`, pollutants of :data:`espass_geo.present.charts.POLLUTANTS`). A
        missing column skips its layer and tooltip line; at least one layer is needed.
        ``stock_tC_p05, stock_tC_p95`` and ``flux_tCO2e_an_p05, flux_tCO2e_an_p95`` (90 %
        intervals) add a line « Intervalle à 90 % » under the stock and the flow.
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
        Offer the online OpenStreetMap background, unticked (``"shown"``: ticked; ``False``:
        not offered); the map opens on the offline commune background (see
        :func:`~espass_geo.present.maps.make_map`).
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
    if "zan_budget_used_share" in z.columns:
        z["zan_budget_used_pct"] = pd.to_numeric(z["zan_budget_used_share"],
                                                 errors="coerce") * 100.0
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
        ("zan_consumed_since_2021_ha", CONSUMED_LAYER_FR, CONSUMED_LAYER_FR, "OrRd", False,
         fmt_ha),
        ("zan_budget_used_pct", BUDGET_LAYER_FR, BUDGET_LAYER_FR, "YlOrRd", False,
         fmt_pct_value),
        ("zan_cost_tCO2e_ha", COST_HA_LAYER_FR, COST_HA_LAYER_FR, "YlOrBr", False, fmt_cost_ha),
        ("zan_cost_tCO2e", COST_LAYER_FR, COST_LAYER_FR, "Reds", False, fmt_cost),
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
    keys = fr_keys(z)
    keys["zan_budget_used_pct"] = keys.get("zan_budget_used_share", "")
    web = to_web_geometries(z, simplify_m=simplify_m)

    many_parcels = parcels is not None and len(parcels) > 1000
    # fractional zoom: fit_bounds fills the window better (boxes in every corner)
    m = _new_map(title, basemap=basemap, prefer_canvas=many_parcels, zoom_snap=0.25,
                 zoom_delta=0.5)
    _BilanStyle().add_to(m)
    attribution = "IGN Admin Express COG 2018 ; ADEME ALDO"
    legends: list[tuple[folium.FeatureGroup, MacroElement]] = []
    zone_groups: list[folium.FeatureGroup] = []
    stock_classes: ColorClasses | None = None
    shown = first_varying(web, [c[0] for c in layers])
    for k, (col, name, caption, palette, diverging, fmt_value) in enumerate(layers):
        group, legend, classes = zone_layer(
            web, col, name=name, caption=caption, palette=palette,
            tooltip=compact_tooltip(tooltip, (keys.get(col), *BILAN_TOOLTIP_KEYS)),
            popup=tooltip,
            classes=budget_classes(web[col], caption) if col == "zan_budget_used_pct" else None,
            show=k == shown, n_classes=n_classes, attribution=attribution, diverging=diverging,
            fmt_value=fmt_value, **GREY_OUTLINES)
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

    layer_controls(m, legends, exclusive=zone_groups)
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
    if columns & {"zan_cost_tCO2e_ha", "zan_cost_tCO2e"}:
        defaults.append(ZAN_COST_NOTE_FR)
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
