"""The emissions map: GHG per inhabitant (footprint by post, direct emissions) and air
pollutants per km², one layer at a time."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement

from espass_geo.present.charts import POLLUTANTS
from espass_geo.present.fmt import fmt_quantity
from espass_geo.present.maps.layers import (
    to_web_geometries,
    zone_layer,
)
from espass_geo.present.maps.legend import (
    layer_controls,
)
from espass_geo.present.maps.page import (
    _default_sources,
    _estimate_html,
    _finish_map,
    _fmt_flux,
    _infer_zone_label,
    _new_map,
    _notes_html,
    _zone_base_fr,
    add_fields,
    compact_tooltip,
    first_varying,
    fr_keys,
)
from espass_geo.present.vocabulary import POST_LABELS_FR, SUBSTANCE_LABELS_FR

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
#: Key figures of the compact tooltip of a zone, after the value of its layer.
EMISSION_TOOLTIP_KEYS: tuple[str, ...] = ("ges_hab_total_fr", "ges_direct_hab_fr",
                                          "population_fr", "utilisation_terres_fr")
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
    add_fields(z, tooltip, [
        ("population", "population_fr", "Population", _fmt_population),
        ("ges_hab_total_tCO2e", "ges_hab_total_fr", "Empreinte GES (total)", _fmt_per_capita),
        *((f"ges_hab_{p}_tCO2e", f"ges_hab_{_col_key(p)}_fr",
           f"dont {POST_LABELS_FR.get(p, p)}", _fmt_per_capita) for p in posts),
        ("ges_direct_hab_tCO2e", "ges_direct_hab_fr", "Émissions directes de GES",
         _fmt_per_capita),
        *((f"{p}_t_km2", f"{_col_key(p)}_t_km2_fr", SUBSTANCE_LABELS_FR.get(p, p),
           _fmt_density) for p in pollutants),
        ("utilisation_terres_tCO2e_an", "utilisation_terres_fr",
         "Utilisation des terres (+ = séquestration)", _fmt_flux),
    ])
    return z, tooltip


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
    basemap: bool | str = True,
    sources: str | None = None,
    n_classes: int = 6,
    simplify_m: float = 5.0,
) -> folium.Map:
    """Map of the emissions per zone: GHG per inhabitant and air pollutants per km², offline.

    Layers, one zone layer shown at a time (ticking one unticks the others; each legend is
    shown with its layer):

    * "Empreinte GES par habitant — total (tCO₂e/hab/an)", then one per post
      "Empreinte GES par habitant — <Poste>" (consumption-based footprint, ESPASS posts);
    * "Émissions directes de GES par habitant (tCO₂e/hab/an)" (cadastral inventory, PCAET
      sectors, divided by the population);
    * one per pollutant "<Polluant> (t/km²/an)", e.g. "NOₓ (t/km²/an)".

    The map opens on the first of these layers whose values are not all equal
    (:func:`~.page.first_varying`: the demo's footprint per inhabitant is a national figure,
    the same in every zone). Sequential classes (:func:`class_breaks`), oranges/reds for GHG,
    purples for pollutants. The tooltip gives the key figures (the layer's value, footprint,
    direct emissions, population), a click opens every value of the zone, formatted in
    French in Python ("9,2 tCO₂e/hab/an", "1,25 t/km²/an", "12 345 hab.").

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
        Offer the online OpenStreetMap background, unticked (``"shown"``: ticked; ``False``:
        not offered); the map opens on the offline commune background (see
        :func:`~espass_geo.present.maps.make_map`).
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
    keys = fr_keys(z)
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
    # the map opens on the first layer whose values differ between zones (a national
    # per-capita footprint is the same everywhere: a flat map says nothing)
    shown = first_varying(web, [col for col, *_ in layers])
    for k, (col, name, caption, palette) in enumerate(layers):
        group, legend, _ = zone_layer(
            web, col, name=name, caption=caption, palette=palette,
            tooltip=compact_tooltip(tooltip, (keys.get(col), *EMISSION_TOOLTIP_KEYS)),
            popup=tooltip, show=k == shown, n_classes=n_classes, attribution=attribution,
            fmt_value=_fmt_density if col.endswith("_t_km2") else _fmt_per_capita)
        group.add_to(m)
        zone_groups.append(group)
        legends.append((group, legend))

    layer_controls(m, legends, exclusive=zone_groups)

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
