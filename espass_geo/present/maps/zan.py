"""The ZAN map (issue #12): consumption of natural, agricultural and forest land (ENAF) per
commune counted against the 2021–2030 budget, and its carbon cost.

Built with the machinery of every map of :mod:`espass_geo.present.maps`: one zone layer shown
at a time with its legend (:func:`~espass_geo.present.maps.layers.zone_layer`), French
tooltips formatted in Python (:mod:`espass_geo.present.fmt`), every user text rendered
literally and escaped (:mod:`espass_geo.present.maps.safe`: a commune named ``{{7*7}}`` or
``<script>`` stays text).

The tooltip formatters and layer names are shared with the bilan map
(:func:`espass_geo.present.maps.bilan.bilan_map`, columns ``zan_*``).
"""

from __future__ import annotations

import html as _html
import os
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from espass_geo.present.charts.zan import ZAN_ESTIMATE_NOTE_FR
from espass_geo.present.fmt import MISSING, fmt_mass_t, fmt_number, fmt_percent, fmt_quantity
from espass_geo.present.maps.classes import make_classes
from espass_geo.present.maps.flows import FLOW_PALETTE
from espass_geo.present.maps.layers import GREY_OUTLINES, to_web_geometries, zone_layer
from espass_geo.present.maps.legend import layer_controls
from espass_geo.present.maps.page import (
    _default_sources,
    _finish_map,
    _infer_zone_label,
    _new_map,
    _notes_html,
    _per_zone,
    _require,
    _signed,
    add_fields,
    compact_tooltip,
    fr_keys,
)

CONSUMED_LAYER_FR: str = "Consommation d'ENAF depuis 2021 (ha)"
BUDGET_LAYER_FR: str = "Budget 2021-2030 consommé (%)"
COST_HA_LAYER_FR: str = "Coût carbone de l'artificialisation (tCO₂e/ha)"
COST_LAYER_FR: str = "Coût carbone depuis 2021 (tCO₂e)"
NET_LAYER_FR: str = "Artificialisation nette OCS GE (ha)"
OVER_BUDGET_LAYER_FR: str = "Communes au-delà de leur budget 2021-2030"
OVER_BUDGET_COLOR: str = "#b2182b"

ZAN_COST_NOTE_FR: str = ("Coût carbone : tCO₂e émises par les hectares consommés, compté "
                         "positivement (à l'inverse des flux, où positif = séquestration) ; "
                         "règles ALDO (pertes immédiates, gains sur 20 ans).")
ZAN_BUDGET_NOTE_FR: str = ("Référence : consommation d'ENAF du 1er janvier 2011 au 31 décembre "
                           "2020 ; budget 2021-2030 = moitié de la référence (loi Climat et "
                           "Résilience) ; communes au-delà de leur budget entourées en rouge.")
ZAN_SOURCES_FR: str = ("Limites communales : IGN Admin Express ; consommation d'espaces : "
                       "Cerema (fichiers fonciers) ; facteurs : ADEME ALDO")
ZAN_SOURCES_ESTIMATE_FR: str = ("Limites communales : IGN Admin Express ; consommation "
                                "d'espaces : ESTIMATION de démonstration (changements CLC d'ALDO)"
                                " ; facteurs : ADEME ALDO")
#: Budget share layer: fixed classes (%), so that 100 % is always a class edge.
BUDGET_BREAKS_PCT: tuple[float, ...] = (0.0, 25.0, 50.0, 75.0, 100.0, 150.0)
BUDGET_PALETTE: tuple[str, ...] = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")
NET_PALETTE: tuple[str, ...] = tuple(reversed(FLOW_PALETTE))  # + = artificialised (brown)

_ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name")
_OVER_PANE = "espass_zan_over_budget"


# ----------------------------------------------------------------------- French formatters
def fmt_ha(value: Any) -> str:
    """Hectares as the ZAN counts them: one decimal (« 1,4 ha », « 1 234,5 ha »), two under
    1 ha (« 0,35 ha »)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return MISSING
    if v != v:
        return MISSING
    return fmt_quantity(v, "ha", 2 if abs(v) < 1 else 1)


def fmt_signed_ha(value: Any) -> str:
    """Signed hectares (net artificialisation): « +2,5 ha », « −0,40 ha »."""
    return _signed(value, fmt_ha(value))


def fmt_share(value: Any) -> str:
    """A share of the budget (fraction) as a percentage without decimals: « 135 % »."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return MISSING
    return fmt_percent(v, 0)


def fmt_share_flagged(value: Any) -> str:
    """:func:`fmt_share`, with « (au-delà du budget) » past 100 %: « 142 % (au-delà du
    budget) »."""
    text = fmt_share(value)
    try:
        over = float(value) > 1.0
    except (TypeError, ValueError):
        return text
    return f"{text} (au-delà du budget)" if over else text


def budget_classes(values: Any, caption: str = BUDGET_LAYER_FR):
    """Fixed classes of a budget share in % (0–25–50–75–100, then 100 % to the maximum, at
    least 150 %): 100 % is always an edge, whatever the territory."""
    v = pd.to_numeric(pd.Series(values), errors="coerce")
    top = float(v.max()) if v.notna().any() else 0.0
    edges = [*BUDGET_BREAKS_PCT[:-1], max(top, BUDGET_BREAKS_PCT[-1])]
    return make_classes(v, caption=caption, palette=list(BUDGET_PALETTE), breaks=edges)


def fmt_cost(value: Any) -> str:
    """Tonnes of CO₂e emitted (kt from 10 000 t on): « 1 250 tCO₂e »."""
    return fmt_mass_t(value, "tCO₂e")


def fmt_cost_ha(value: Any) -> str:
    """« 152 tCO₂e/ha », « 48,5 tCO₂e/ha »."""
    return fmt_quantity(value, "tCO₂e/ha")


def fmt_pct_value(value: Any) -> str:
    """A value already in % (legend of a uniform layer): « 40 % »."""
    try:
        return f"{fmt_number(float(value), 0)}\u00a0%"
    except (TypeError, ValueError):
        return MISSING


def _over_text(over: Any, consumed: Any, budget: Any) -> str:
    """« oui : 2,5 ha au-delà du budget » / « non »."""
    if over is None or (isinstance(over, float) and over != over) or over is pd.NA:
        return MISSING
    if not bool(over):
        return "non"
    try:
        excess = float(consumed) - float(budget)
    except (TypeError, ValueError):
        return "oui"
    return f"OUI : {fmt_ha(excess)} au-delà du budget" if excess == excess else "oui"


#: Key figures of the compact tooltip of a commune, after the value of its layer.
ZAN_TOOLTIP_KEYS: tuple[str, ...] = ("consumed_fr", "budget_fr", "over_fr", "share_fr", "cost_fr")


def zan_tooltip_fields(prefix: str = "") -> list[tuple[str, str, str, Any]]:
    """The tooltip lines of the ZAN columns (``prefix`` ``"zan_"`` in the bilan map)."""
    p = prefix
    return [
        (f"{p}reference_2011_2020_ha", f"{p}reference_fr", "Référence 2011–2020", fmt_ha),
        (f"{p}budget_2021_2030_ha", f"{p}budget_fr", "Budget 2021–2030", fmt_ha),
        (f"{p}envelope_2021_2030_ha", f"{p}envelope_fr", "Enveloppe SCoT 2021–2030", fmt_ha),
        (f"{p}consumed_since_2021_ha", f"{p}consumed_fr", "Consommé depuis 2021", fmt_ha),
        (f"{p}remaining_budget_ha", f"{p}remaining_fr", "Reste du budget", fmt_signed_ha),
        (f"{p}budget_used_share", f"{p}share_fr", "Budget consommé", fmt_share),
        (f"{p}cost_tCO2e", f"{p}cost_fr", "Coût carbone depuis 2021", fmt_cost),
        (f"{p}cost_tCO2e_per_ha", f"{p}cost_ha_fr", "Coût carbone par hectare", fmt_cost_ha),
        (f"{p}cost_tCO2e_ha", f"{p}cost_ha2_fr", "Coût carbone par hectare", fmt_cost_ha),
        (f"{p}reference_cost_tCO2e", f"{p}ref_cost_fr", "Coût carbone 2011–2020", fmt_cost),
        (f"{p}artificialised_ha", f"{p}artificialised_fr", "Artificialisé (OCS GE)", fmt_ha),
        (f"{p}renatured_ha", f"{p}renatured_fr", "Renaturé (OCS GE)", fmt_ha),
        (f"{p}net_ha", f"{p}net_fr", "Artificialisation nette (OCS GE)", fmt_signed_ha),
        (f"{p}net_carbon_cost_tCO2e", f"{p}net_cost_fr", "Coût carbone net (OCS GE)",
         lambda v: _signed(v, fmt_cost(v))),
    ]


def _estimate_html() -> str:
    return (f'<div class="espass-estimate" style="font-weight:600;color:#b2182b;'
            f'margin-bottom:3px">{_html.escape(ZAN_ESTIMATE_NOTE_FR)}</div>')


def _zan_zones_fr(zones: gpd.GeoDataFrame, zone_label: str) -> tuple[gpd.GeoDataFrame,
                                                                    list[tuple[str, str]]]:
    z = zones.copy()
    z["zone_name_fr"] = z["zone_name"].astype("string")
    z["zone_id_fr"] = z["zone_id"].astype("string")
    tooltip = [("zone_name_fr", zone_label), ("zone_id_fr", "Code")]
    fields = zan_tooltip_fields()
    add_fields(z, tooltip, fields[:6], numeric=True)
    if "over_budget" in z.columns:
        z["over_fr"] = [_over_text(o, c, b) for o, c, b in zip(
            z["over_budget"], z.get("consumed_since_2021_ha", pd.Series(None, index=z.index)),
            z.get("budget_2021_2030_ha", pd.Series(None, index=z.index)), strict=True)]
        tooltip.append(("over_fr", "Au-delà du budget"))
    if "guarantee_applied" in z.columns:
        z["guarantee_fr"] = ["oui (1 ha)" if g is True or g == 1 else "non"
                             for g in z["guarantee_applied"]]
        tooltip.append(("guarantee_fr", "Garantie communale"))
    if "last_year_observed" in z.columns:
        z["last_year_fr"] = [MISSING if pd.isna(y) else str(int(y))
                             for y in pd.to_numeric(z["last_year_observed"], errors="coerce")]
        tooltip.append(("last_year_fr", "Dernière année observée"))
    add_fields(z, tooltip, fields[6:], numeric=True)
    return z, tooltip


def _over_budget_layer(m: folium.Map, web: gpd.GeoDataFrame) -> folium.FeatureGroup | None:
    """Red outlines of the communes over their budget, above the zone layers, in a pane that
    lets the mouse through (the tooltips stay those of the zone layer). Geometry only: no
    user text in this layer."""
    over = web[web["over_budget"].fillna(False).astype(bool)] if "over_budget" in web else web[[]]
    if over.empty:
        return None
    folium.map.CustomPane(_OVER_PANE, z_index=440, pointer_events=False).add_to(m)
    data = gpd.GeoDataFrame(geometry=over.geometry.values, crs=4326).reset_index(drop=True)
    group = folium.FeatureGroup(name=OVER_BUDGET_LAYER_FR, show=True, overlay=True,
                                control=True)
    folium.GeoJson(data.to_geo_dict(show_bbox=False), name=OVER_BUDGET_LAYER_FR, control=False,
                   style_function=lambda _f: {"color": OVER_BUDGET_COLOR, "weight": 2.5,
                                              "fill": False, "dashArray": "5 3"},
                   pane=_OVER_PANE, interactive=False).add_to(group)
    group.add_to(m)
    return group


def zan_map(
    zones: gpd.GeoDataFrame,
    *,
    title: str,
    notes: Sequence[str] = (),
    estimate: bool = False,
    html_path: str | os.PathLike[str] | None = None,
    basemap: bool | str = True,
    subtitle: str | None = None,
    zone_label: str | None = None,
    sources: str | None = None,
    n_classes: int = 6,
    simplify_m: float = 5.0,
) -> folium.Map:
    """The ZAN map of a territory: per commune, the consumption of ENAF since 2021 against
    the 2021–2030 budget, and its carbon cost; offline, one indicator at a time.

    Zone layers (each only when its column is in ``zones``; ticking one unticks the others):

    * « Consommation d'ENAF depuis 2021 (ha) » (``consumed_since_2021_ha``; shown first);
    * « Budget 2021-2030 consommé (%) » (``budget_used_share``, a fraction; fixed classes
      0–25–50–75–100–150 % and more);
    * « Coût carbone de l'artificialisation (tCO₂e/ha) » (``cost_tCO2e_per_ha``);
    * « Coût carbone depuis 2021 (tCO₂e) » (``cost_tCO2e``);
    * « Artificialisation nette OCS GE (ha) » (``net_ha``, diverging around 0: renatured in
      green, artificialised in brown).

    Overlay « Communes au-delà de leur budget 2021-2030 » (``over_budget``): red dashed
    outlines, above the zones, letting the tooltips through. The tooltip gives the
    value of the layer shown and the key figures (:data:`ZAN_TOOLTIP_KEYS`), a click opens
    every value: the reference, budget (and SCoT envelope), consumed, remaining, share used, over budget
    (« OUI : 2,5 ha au-delà du budget »), guarantee, last year observed, carbon costs and the
    OCS GE figures, formatted in French (« 1,4 ha », « 1 250 tCO₂e », « 135 % »).

    Parameters
    ----------
    zones
        GeoDataFrame with a CRS, ``zone_id, zone_name`` and columns of
        :func:`espass_geo.core.zan.zan_accounts` + :func:`~espass_geo.core.zan.carbon_cost_indicator`
        (``ZanResult.zones``).
    notes
        Lines of the notes box (HTML-escaped), after the definitions (cost sign, budget).
    estimate
        The consumption file is the demonstration estimate: the notes box starts with
        :data:`~espass_geo.present.charts.zan.ZAN_ESTIMATE_NOTE_FR` in red.
    html_path
        If given, saved there (assets in ``lib/``).
    """
    _require(zones, _ZONE_COLUMNS, "zones")
    if len(zones) == 0:
        raise ValueError("zones is empty: nothing to map.")
    z = zones.copy()
    if "budget_used_share" in z.columns:
        z["budget_used_pct"] = pd.to_numeric(z["budget_used_share"], errors="coerce") * 100.0
    candidates: list[tuple[str, str, str | Sequence[str], bool, Any, Any]] = [
        ("consumed_since_2021_ha", CONSUMED_LAYER_FR, "OrRd", False, None, fmt_ha),
        ("budget_used_pct", BUDGET_LAYER_FR, list(BUDGET_PALETTE), False, BUDGET_BREAKS_PCT,
         fmt_pct_value),
        ("cost_tCO2e_per_ha", COST_HA_LAYER_FR, "YlOrBr", False, None, fmt_cost_ha),
        ("cost_tCO2e", COST_LAYER_FR, "Reds", False, None, fmt_cost),
        ("net_ha", NET_LAYER_FR, list(NET_PALETTE), True, None, fmt_signed_ha),
    ]
    layers = [c for c in candidates if c[0] in z.columns]
    if not layers:
        raise KeyError("zones: no ZAN column to map; expected at least one of "
                       f"{[c[0] for c in candidates]} (plus zone_id, zone_name).")
    if zone_label is None:
        zone_label = _infer_zone_label(z["zone_id"])
    z, tooltip = _zan_zones_fr(z, zone_label)
    keys = fr_keys(z)
    keys["budget_used_pct"] = keys.get("budget_used_share", "")
    web = to_web_geometries(z, simplify_m=simplify_m)
    m = _new_map(title, basemap=basemap, zoom_snap=0.25, zoom_delta=0.5)
    legends = []
    groups = []
    attribution = ("Cerema (consommation d'espaces) ; ADEME ALDO" if not estimate
                   else "ESTIMATION de démonstration ; ADEME ALDO")
    for k, (col, name, palette, diverging, breaks, fmt_value) in enumerate(layers):
        classes = budget_classes(web[col], name) if breaks is not None else None
        group, legend, _ = zone_layer(
            web, col, name=name, caption=name, palette=palette,
            tooltip=compact_tooltip(tooltip, (keys.get(col), *ZAN_TOOLTIP_KEYS)),
            popup=tooltip,
            classes=classes, show=k == 0, n_classes=n_classes, diverging=diverging,
            fmt_value=fmt_value, attribution=attribution, **GREY_OUTLINES)
        group.add_to(m)
        groups.append(group)
        legends.append((group, legend))
    over = _over_budget_layer(m, web)
    layer_controls(m, legends, exclusive=groups)
    defaults = [ZAN_COST_NOTE_FR]
    if {"consumed_since_2021_ha", "budget_used_pct"} & {c[0] for c in layers}:
        defaults.append(ZAN_BUDGET_NOTE_FR if over is not None else
                        ZAN_BUDGET_NOTE_FR.replace(" ; communes au-delà de leur budget "
                                                   "entourées en rouge", ""))
    if "net_ha" in z.columns:
        defaults.append("Artificialisation nette (OCS GE) : artificialisé − renaturé, règle "
                        "couverture × usage du décret n° 2023-1096 ; positif = "
                        "artificialisation.")
    if len(groups) > 1:
        defaults.append(f"Indicateurs {_per_zone(zone_label)} : un seul affiché à la fois (en "
                        "cocher un remplace le précédent).")
    sources = _default_sources(notes, sources,
                               ZAN_SOURCES_ESTIMATE_FR if estimate else ZAN_SOURCES_FR)
    all_notes = [*defaults, *(str(n) for n in notes if str(n) not in defaults)]
    notes_html = (_estimate_html() if estimate else "") + _notes_html(all_notes, sources)
    _finish_map(m, web, title=title, subtitle=subtitle, notes_html=notes_html,
                html_path=html_path, padding_top_left=(20, 70),
                padding_bottom_right=(340, 20))
    return m
