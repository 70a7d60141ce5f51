"""Scenario runs (edge module): scenario file -> actions on the map -> trajectories -> files.

Spatial actions are intersected with the territory's zones; their land use comes from the start
land cover (with the parcels' declared crops), so a "reforest this polygon" action converts the
real mix of classes under the polygon. Validation errors are collected and raised together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import HA_PER_M2, LAMBERT93, SIGN_CONVENTION_FR
from espass_geo.core.areas import AreaTable
from espass_geo.core.changes import ChangeTable
from espass_geo.core.flows import (
    CONVENTION,
    forest_areas_from_land_use,
    land_use_transitions,
    wood_products_harvest,
)
from espass_geo.core.scenarios import (
    COHORT_COLUMNS,
    FOREST_COMPOSITION,
    ZAN_FIRST_DECADE,
    ZAN_HECTARE_COLUMNS,
    allocate_envelope,
    growth_cohorts,
    practice_cohorts,
    project,
    sealing_mask,
    sealing_pattern,
    split_sealing,
    spread_hectares,
    stock_trajectory,
    transition_cohorts,
    zan_hectares,
    zan_law_path,
    zan_variant_path,
)
from espass_geo.core.stocks import compute_stocks, land_use_areas
from espass_geo.errors import EspassGeoError, ScenarioError
from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
from espass_geo.io.parcels import read_parcels
from espass_geo.io.scenario_config import Action, Scenario, ScenarioConfig
from espass_geo.io.vectors import read_vector
from espass_geo.present.exports import write_csv
from espass_geo.present.fmt import fmt_area_ha, fmt_number
from espass_geo.reference import data
from espass_geo.reference.factors import artificial_split_parameters, clc_mapping, land_use_classes
from espass_geo.runs.landcover import clc_area_table, resolve_landcover
from espass_geo.territory.resolve import Territory, resolve_territory

HOST_LAND_USES = {"cultures": {"cropland"},
                  "prairies": {"grassland_herbaceous", "grassland_shrubby", "grassland_wooded"},
                  "vignes": {"vineyard"}, "vergers": {"orchard"}}


@dataclass
class ScenarioResult:
    config: ScenarioConfig
    zones: gpd.GeoDataFrame
    actions: gpd.GeoDataFrame  # geometry of each action (EPSG:2154)
    action_areas: pd.DataFrame  # zone × action × land use (ha)
    flows: pd.DataFrame  # scenario × zone × lever × year × pool × gas
    stocks: pd.DataFrame  # scenario × zone × year -> stock_tC
    territory: pd.DataFrame  # scenario × year × lever (+ total with stock)
    delta: pd.DataFrame  # scenario × year × lever vs baseline
    zone_summary: pd.DataFrame  # scenario × zone: stock change, cumulated flows, delta
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    #: hectares per scenario and year: ``scenario, year, artificialised_ha, renatured_ha,
    #: net_ha, cumulative_net_ha, flux_tCO2e_an`` (the scenario's net carbon flow beside them)
    zan_hectares: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[*ZAN_HECTARE_COLUMNS, "flux_tCO2e_an"]))
    #: ZAN scenarios: the envelope of each decade, the urbanisation zones taken from it
    #: (``scenario, period, first_year, last_year, envelope_ha, reserved_ha, spread_ha,
    #: over_ha``)
    zan_envelopes: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the FactorSet the result was computed with (None: the shipped tables)
    factors: Any = None


def _target_land_use(to: str) -> str:
    m = clc_mapping()
    lu = m.get(str(to), str(to))
    if lu == "artificial_unsplit":
        lu = "artificial_sealed"
    return lu


def _action_geometry(action: Action) -> gpd.GeoDataFrame:
    g = read_vector(action.params["geometry"], what=f"géométrie de l'action « {action.id} »",
                    polygons=True)
    geom = g.union_all()
    return gpd.GeoDataFrame({"action_id": [action.id]}, geometry=[geom], crs=LAMBERT93)


def _transitions_from_polygon(action: Action, geom: gpd.GeoDataFrame, zones, landcover,
                              parcels, to_shares: dict[str, float], *,
                              nomenclature="clc") -> pd.DataFrame:
    """Hectares of each land use under the action polygon, per zone, going to ``to_shares``."""
    pieces = gpd.overlay(zones[["zone_id", "geometry"]], geom, how="intersection",
                         keep_geom_type=True)
    pieces = pieces[pieces.geometry.area > 0]
    if pieces.empty:
        return pd.DataFrame(columns=["zone_id", "from_land_use", "to_land_use", "area_ha"])
    at = clc_area_table(pieces[["zone_id", "geometry"]].reset_index(drop=True), landcover,
                        parcels=parcels, nomenclature=nomenclature)
    lu = land_use_areas(at.table)  # 80/20 split of artificial land under the polygon
    rows = []
    for r in lu.itertuples(index=False):
        if action.type == "seal" and r.land_use.startswith("artificial"):
            continue  # already artificial land stays as it is
        if action.type == "renature" and not r.land_use.startswith("artificial"):
            continue  # only artificial land is renatured
        for to, share in to_shares.items():
            if r.land_use != to:
                rows.append((r.zone_id, r.land_use, to, r.area_ha * share))
    return pd.DataFrame(rows, columns=["zone_id", "from_land_use", "to_land_use", "area_ha"])


def _select_parcels(action: Action, parcels: gpd.GeoDataFrame, problems: list[str],
                    loc: str, notes: list[str]) -> gpd.GeoDataFrame:
    p = action.params
    sel = parcels
    if "crop_groups" in p:
        sel = sel[sel["code_group"].isin([str(g) for g in p["crop_groups"]])]
    if "crop_codes" in p:
        sel = sel[sel["code_cultu"].isin([str(c) for c in p["crop_codes"]])]
    if "geometry" in p:
        g = read_vector(p["geometry"], what=f"géométrie de l'action « {action.id} »",
                        polygons=True).union_all()
        sel = sel[sel.intersects(g)]
    practice = p["practice"]
    # parcels that already have the practice (attributes of the parcel layer) are left out
    already = {"directSowingContinuous": ("tillage", "no_till"),
               "directSowingFiveYearWork": ("tillage", "no_till"),
               "catchCrops": ("cover_crops", True), "cropsAgroforestry": ("agroforestry", True),
               "prairiesAgroforestry": ("agroforestry", True),
               "prairieExtension": ("temp_grassland_rotation", True)}.get(practice)
    if already and already[0] in sel:
        done = sel[already[0]] == already[1]
        if done.any():
            notes.append(f"{loc} : {int(done.sum())} parcelle(s) pratiquent déjà « {practice} » "
                         "(attribut des parcelles) : exclues de l'action.")
            sel = sel[~done]
    host = data.factor_table("practices_aldo").set_index("practice").loc[practice, "host"]
    ok = sel["land_use"].isin(HOST_LAND_USES[host])
    if "crop_groups" in p or "crop_codes" in p:
        bad = sel.loc[~ok, "land_use"].unique().tolist()
        if bad:
            labels = land_use_classes()["label_fr"]
            problems.append(f"{loc} : la pratique « {practice} » s'applique aux {host}, pas à "
                            f"{', '.join(labels[b] for b in bad)} (cultures sélectionnées)")
            return sel[ok]
    sel = sel[ok]
    if sel.empty:
        problems.append(f"{loc} : aucune parcelle ({host}) sélectionnée pour « {practice} »")
    return sel


def _hedge_m_per_ha(host: str) -> float:
    practice = "cropsHedges" if host == "cultures" else "prairiesHedges"
    return float(data.factor_table("practices_aldo").set_index("practice").loc[
        practice, "hedge_m_per_ha"])


def _check_against_territory(cfg: ScenarioConfig, zones: gpd.GeoDataFrame, tgeom) -> None:
    """Magnitudes of the actions against the territory, before any raster is read.

    Spatial actions must lie mostly inside the territory (more than half of a polygon outside
    is a wrong file or CRS); hedges cannot need more host land than the zones' whole area
    (ALDO: 60 m/ha on crops, 100 m/ha on grassland), so 10⁹ km is refused here.
    """
    problems: list[str] = []
    zone_area = zones.set_index("zone_id").geometry.area * HA_PER_M2
    for sc in cfg.scenarios:
        for a in sc.actions:
            loc = f"{cfg.path.name}:{a.line}" if a.line else cfg.path.name
            if a.type in ("convert", "seal", "renature"):
                try:
                    g = _action_geometry(a)
                except EspassGeoError as exc:
                    problems.append(f"{loc} : {exc}")
                    continue
                total = float(g.geometry.area.sum())
                inside = float(g.geometry.intersection(tgeom).area.sum())
                if total > 0 and 0 < inside < 0.5 * total:
                    problems.append(
                        f"{loc} : l'action « {a.id} » est à {100 * (1 - inside / total):.0f} % "
                        f"hors du territoire ({fmt_area_ha(total * HA_PER_M2)} dont "
                        f"{fmt_area_ha(inside * HA_PER_M2)} dedans) : vérifiez le fichier et son "
                        "système de coordonnées, ou découpez la géométrie sur le territoire")
            elif a.type == "practice" and a.params.get("geometry") is not None:
                try:
                    read_vector(a.params["geometry"], what=f"géométrie de l'action « {a.id} »",
                                polygons=True)
                except EspassGeoError as exc:
                    problems.append(f"{loc} : {exc}")
            elif a.type == "hedges":
                wanted = list(dict.fromkeys(str(z) for z in a.params.get("zones", zone_area.index)))
                unknown = sorted(set(wanted) - set(zone_area.index))
                if unknown:
                    problems.append(f"{loc} : zones {unknown} hors du territoire (zones : "
                                    f"{', '.join(list(zone_area.index)[:10])}…)")
                    continue
                m_per_ha = _hedge_m_per_ha(a.params.get("host", "cultures"))
                eq_ha = float(a.params["length_km"]) * 1000.0 / m_per_ha
                area = float(zone_area.reindex(wanted).sum())
                if eq_ha > area:
                    problems.append(
                        f"{loc} : {fmt_number(a.params['length_km'])} km de haies à "
                        f"{m_per_ha:g} m/ha demandent {fmt_area_ha(eq_ha)}, plus que la surface "
                        f"des zones ({fmt_area_ha(area)}) : au plus "
                        f"{fmt_number(area * m_per_ha / 1000)} km (length_km en kilomètres)")
    if problems:
        raise ScenarioError(f"fichier de scénario « {cfg.path} » : {len(problems)} "
                            "problème(s) :\n  - " + "\n  - ".join(problems), problems)


def _consumption_table(consumption, cfg: ScenarioConfig, zones: gpd.GeoDataFrame,
                       notes: list[str]) -> pd.DataFrame | None:
    """The observed consumption of the territory's communes (``commune_id, year, area_ha``,
    destination « total »), handed over or read from ``[zan] consumption``; None: none."""
    where = f"fichier de scénario « {cfg.path.name} »"
    if consumption is None and cfg.zan_consumption is not None:
        try:
            from espass_geo.io.consumption import read_consumption
        except ImportError as exc:  # pragma: no cover - the reader ships with the package
            raise ScenarioError(f"{where} : [zan] consumption : la lecture des fichiers de "
                                "consommation d'espaces n'est pas disponible dans cette "
                                "version ; retirez la clé") from exc
        consumption = read_consumption(cfg.zan_consumption)
    if consumption is None:
        return None
    if hasattr(consumption, "table"):
        notes += [n for n in getattr(consumption, "notes", []) if n not in notes]
        consumption = consumption.table
    missing = {"commune_id", "year", "destination", "area_ha"} - set(consumption.columns)
    if missing:
        raise ScenarioError(f"{where} : la table de consommation d'espaces n'a pas les colonnes "
                            f"{', '.join(sorted(missing))} (attendu : commune_id, year, "
                            "destination, area_ha ; lisez le fichier du Cerema avec "
                            "espass_geo.io.consumption)")
    t = consumption.assign(commune_id=consumption["commune_id"].astype(str).str.strip())
    ids = set(zones["zone_id"].astype(str))
    inside = t[t["commune_id"].isin(ids)]
    if inside.empty:
        raise ScenarioError(
            f"{where} : aucune commune de la table de consommation d'espaces ne correspond aux "
            f"zones du territoire ({', '.join(sorted(ids)[:5])}…) : les zones doivent être les "
            "communes (codes INSEE) du fichier de consommation ; vérifiez le territoire ou le "
            "fichier")
    absent = sorted(ids - set(inside["commune_id"]))
    if absent:
        notes.append(f"Consommation d'espaces : {len(absent)} zone(s) absente(s) du fichier "
                     f"({', '.join(absent[:5])}) comptée(s) sans consommation.")
    return inside


def _zan_setup(cfg: ScenarioConfig, zones, lu0, trend_tr, trend_label, consumption, attrs,
               notes: list[str], problems: list[str], *, guarantee: bool = False) -> dict:
    """What every ZAN scenario shares: the trend split into its sealing and the rest, the
    pattern of past consumption, the observed paces (land cover, consumption file)."""
    sealing, rest = split_sealing(trend_tr)
    rest_yearly = pd.concat([rest.assign(year=y, lever="trend", action_id="")
                             for y in cfg.years], ignore_index=True) if len(rest) else \
        pd.DataFrame(columns=[*trend_tr.columns, "year", "lever", "action_id"])
    rest_cohorts = transition_cohorts(rest_yearly, attrs, method=cfg.method,
                                      gwp_n2o=cfg.gwp_n2o) if len(rest_yearly) else \
        pd.DataFrame(columns=COHORT_COLUMNS)
    cons = _consumption_table(consumption, cfg, zones, notes)
    out = {"rest_yearly": rest_yearly, "rest_cohorts": rest_cohorts,
           "land_pace": float(sealing["area_ha"].sum()) if len(sealing) else 0.0,
           "trend_label": trend_label, "consumption": None}
    weights = None
    if cons is not None:
        from espass_geo.core.zan import yearly_consumption, zan_accounts

        # per commune; the reference's ten years are required
        acc = zan_accounts(cons, guarantee=guarantee)
        by_year = yearly_consumption(cons).groupby("year")["area_ha"].sum()
        out["consumption"] = {
            "reference_ha": float(acc["reference_2011_2020_ha"].sum()),
            "budget_ha": float(acc["budget_2021_2030_ha"].sum()),
            "consumed_ha": float(acc["consumed_since_2021_ha"].sum()),
            "last_year": int(acc["last_year_observed"].max()), "by_year": by_year}
        w = acc.set_index("zone_id")["reference_2011_2020_ha"]
        weights = w if w.sum() > 0 else None
        pace, land = out["consumption"]["reference_ha"] / 10, out["land_pace"]
        if land > 0 and not 2 / 3 <= pace / land <= 3 / 2:
            notes.append(f"ZAN : la consommation d'espaces 2011–2020 ({fmt_number(pace)} ha/an) "
                         f"et l'artificialisation vue sur l'occupation du sol {trend_label} "
                         f"({fmt_number(land)} ha/an) diffèrent nettement : les deux sources ne "
                         "mesurent pas la même chose (ENAF des fichiers fonciers ; classes "
                         "d'occupation du sol). Les trajectoires ZAN suivent la consommation, "
                         "le tendanciel l'occupation du sol.")
    _, default_sealed = artificial_split_parameters()
    out["pattern"] = sealing_pattern(sealing, lu0, zone_weights=weights,
                                     sealed_share=float(default_sealed))
    if out["pattern"].empty:
        problems.append(f"{cfg.path.name} : trajectoire ZAN : aucune surface où répartir la "
                        "consommation (ni artificialisation observée, ni sol naturel, agricole "
                        "ou forestier dans les zones)")
    return out


def _zan_path(sc: Scenario, cfg: ScenarioConfig, zan: dict) -> tuple[pd.Series, str]:
    """Hectares per year of a ZAN scenario's envelope, and a French sentence saying how."""
    years = cfg.years
    kind = sc.zan.kind
    cons = zan["consumption"]
    if kind == "variante":
        pts = ", ".join(f"{y} : {fmt_number(v)} ha" for y, v in sc.zan.points.items())
        return zan_variant_path(years, sc.zan.points), f"variante ({pts}, linéaire entre)"
    if cons is None:
        pace = zan["land_pace"]
        if not zan["trend_label"]:  # in a bilan without a trend nor a consumption table
            return pd.Series(0.0, index=pd.Index(list(years), name="year")), (
                f"« {kind} » sans rythme observé (ni tendance d'occupation du sol, ni fichier "
                "de consommation [zan] consumption) : aucune consommation répartie")
        src = (f"artificialisation observée sur l'occupation du sol {zan['trend_label']} : "
               f"{fmt_number(pace)} ha/an")
        if kind == "tendanciel":
            return pd.Series(pace, index=pd.Index(list(years), name="year"), dtype=float), \
                f"tendanciel ({src})"
        return zan_law_path(years, pace), (f"loi Climat et résilience depuis le rythme de "
                                           f"l'{src} (÷ 2 en 2021–2030, ÷ 4 en 2031–2040, "
                                           "0 en 2050)")
    ref = cons["reference_ha"]
    if kind == "tendanciel":  # the pace of the bilan's ZAN trend (core.zan.zan_trajectory)
        pace = ref / 10
        return pd.Series(pace, index=pd.Index(list(years), name="year"), dtype=float), (
            f"tendanciel (consommation d'espaces moyenne 2011–2020 : {fmt_number(pace)} ha/an)")
    budget, consumed, last = cons["budget_ha"], cons["consumed_ha"], cons["last_year"]
    first = {}
    d0, d1 = ZAN_FIRST_DECADE
    text = (f"loi Climat et résilience depuis la consommation 2011–2020 "
            f"({fmt_number(ref)} ha, enveloppe 2021–2030 de {fmt_number(budget)} ha")
    if last >= d0:
        observed = cons["by_year"].reindex(range(d0, min(last, d1) + 1), fill_value=0.0)
        first.update({int(y): float(v) for y, v in observed.items()})
        left = budget - consumed
        if last < d1:
            first.update({y: max(left, 0.0) / (d1 - last) for y in range(last + 1, d1 + 1)})
        text += f", dont {fmt_number(consumed)} ha consommés en {d0}–{min(last, d1)}"
        if left < 0:
            text += f", enveloppe dépassée de {fmt_number(-left)} ha"
    text += " ; ÷ 4 en 2031–2040, 0 en 2050)"
    return zan_law_path(years, ref / 10, first_decade_ha=first), text


def _zan_transitions(sc: Scenario, cfg: ScenarioConfig, zan: dict, tr_rows: list,
                     notes: list[str], envelopes: list) -> list[pd.DataFrame]:
    """The yearly sealing of a ZAN scenario: its urbanisation zones (seal actions) taken from
    the envelope of their decade, the rest spread like past consumption (lever ``sealing``,
    as the baseline's observed sealing)."""
    path, how = _zan_path(sc, cfg, zan)
    own = [split_sealing(t)[0] for t in tr_rows]
    own = [t for t in own if len(t)]
    reserved = (pd.concat(own).groupby("year")["area_ha"].sum() if own
                else pd.Series(dtype=float))
    spread, periods = allocate_envelope(path, reserved)
    where = f"{cfg.path.name}:{sc.zan.line}" if sc.zan.line else cfg.path.name
    for p in periods.itertuples(index=False):
        if p.over_ha > 1e-9:
            notes.append(f"{where} : scénario « {sc.name} » : les zones à urbaniser (actions "
                         f"seal) de {p.period} consomment {fmt_area_ha(p.reserved_ha)}, plus "
                         f"que l'enveloppe ZAN de la période ({fmt_area_ha(p.envelope_ha)}) : "
                         f"dépassement de {fmt_area_ha(p.over_ha)} ; rien n'est réparti comme "
                         "la consommation passée. Réduisez ou décalez ces zones.")
    for y, ha in reserved.items():
        if int(y) in path.index and ha > path[int(y)] + 1e-9:
            dec = periods[(periods["first_year"] <= y) & (periods["last_year"] >= y)]
            if len(dec) and dec["over_ha"].iloc[0] <= 1e-9:
                notes.append(f"{where} : scénario « {sc.name} » : les zones à urbaniser de {y} "
                             f"({fmt_area_ha(ha)}) dépassent l'enveloppe de l'année "
                             f"({fmt_area_ha(path[int(y)])}) mais tiennent dans celle de "
                             f"{dec['period'].iloc[0]} : les autres années de la période "
                             "consomment moins.")
    zones_text = (f"{fmt_area_ha(float(reserved.sum()))} de zones à urbaniser et "
                  if reserved.sum() > 0 else "")
    notes.append(f"Scénario « {sc.name} » : trajectoire ZAN {how} ; "
                 f"{fmt_area_ha(float(path.sum()))} en {cfg.start_year}–{cfg.horizon}, dont "
                 f"{zones_text}{fmt_area_ha(float(spread.sum()))} répartis comme la "
                 "consommation passée.")
    envelopes.append(periods.assign(scenario=sc.name))
    rows = spread_hectares(zan["pattern"], spread)
    if rows.empty:
        return []
    return [rows.assign(lever="sealing", action_id="")]


def _with_gap_interval(delta: pd.DataFrame) -> pd.DataFrame:
    """``delta`` with ``cumulative_delta_tCO2e_p05, _p95`` on its ``total`` rows: the 90 %
    interval of the scenario's cumulative gap (one draw per lever, shared by every scenario
    and year: :func:`espass_geo.core.uncertainty.scenario_intervals`); NaN on lever rows."""
    from espass_geo.core.uncertainty import scenario_intervals

    cols = ["cumulative_delta_tCO2e_p05", "cumulative_delta_tCO2e_p95"]
    d = delta.drop(columns=[c for c in cols if c in delta])
    if d.empty or not (d["lever"].astype(str) != "total").any():
        return d.assign(**{c: float("nan") for c in cols})
    iv = scenario_intervals(d)[["scenario", "year", *cols]]
    iv = iv.astype({"scenario": d["scenario"].dtype, "year": d["year"].dtype})
    is_total = (d["lever"].astype(str) == "total").to_numpy()
    keyed = d[["scenario", "year"]].merge(iv, on=["scenario", "year"], how="left")
    for c in cols:
        d[c] = keyed[c].where(is_total).to_numpy()
    return d


def build_scenarios(config: ScenarioConfig, *, territory: Territory | None = None,
                    area_table: AreaTable | None = None,
                    parcels_gdf: gpd.GeoDataFrame | None = None,
                    change_table: ChangeTable | None = None,
                    landcover_options: dict | None = None,
                    consumption: Any = None,
                    zan_guarantee: bool | None = None) -> ScenarioResult:
    """Compute baseline and scenario trajectories from a validated configuration.

    Inside a bilan the inputs already resolved by the run are handed over (``territory``, the
    start ``area_table`` of its zones, the parcels read by :func:`read_parcels` as
    ``parcels_gdf``, the trend's ``change_table``) so that no raster or layer is read twice;
    each one not given is read from ``config`` as before. ``landcover_options``
    (``nomenclature``, ``code_field``) say how to read the land cover (a raster in another
    nomenclature, a vector layer).

    ``consumption``: the observed consumption of space handed over by a bilan (the tidy table
    of :mod:`espass_geo.io.consumption` — ``commune_id, year, destination, area_ha`` — or its
    ``ConsumptionData``); else the file of ``[zan] consumption``, if any. ZAN scenarios
    (``zan = …``) then start from its 2011–2020 reference instead of the land-cover trend's
    sealing pace; ``zan_guarantee`` (None: ``[zan] guarantee`` of the file) gives every
    commune a 2021–2030 budget of at least 1 ha (:func:`espass_geo.core.zan.zan_accounts`).
    """
    cfg = config
    lc_opts = dict(landcover_options or {})
    nomenclature = lc_opts.get("nomenclature", "clc")
    if territory is None:
        territory = resolve_territory(cfg.territory, zpc=cfg.zpc, id_field=cfg.id_field,
                                      name_field=cfg.name_field)
    zones = territory.zones
    attrs = zones.drop(columns="geometry")
    attrs = attrs.assign(zpc_weight=1.0)
    notes = list(territory.notes)
    tgeom = zones.union_all()
    _check_against_territory(cfg, zones, tgeom)
    parcels = None
    if parcels_gdf is not None or cfg.parcels is not None:
        from espass_geo.runs.stocks import parcels_in_territory

        src = parcels_gdf.copy() if parcels_gdf is not None else read_parcels(cfg.parcels)
        parcels, parcel_notes = parcels_in_territory(
            src, territory, cfg.parcels if cfg.parcels is not None else src)  # outside: noted
        notes += [n for n in parcel_notes if n not in notes]
        parcels = parcels.copy()
        parcels["land_use"] = parcels["code"].astype(str).map(clc_mapping())
        rp = gpd.GeoDataFrame({"parcel_id": parcels["parcel_id"]},
                              geometry=parcels.geometry.representative_point(), crs=LAMBERT93)
        j = gpd.sjoin_nearest(rp, zones[["zone_id", "geometry"]]).drop_duplicates("parcel_id")
        parcels["zone_id"] = parcels["parcel_id"].map(j.set_index("parcel_id")["zone_id"])
    # ---- start state
    lc = None
    if cfg.landcover is not None:  # resolved once: a raster, or a vector layer read once
        lc = resolve_landcover(cfg.landcover, zones=zones, nomenclature=nomenclature,
                               code_field=lc_opts.get("code_field"))
    start_at = area_table if area_table is not None else clc_area_table(
        zones, lc, parcels=parcels, nomenclature=nomenclature)
    start_stocks = compute_stocks(start_at.table, attrs, method=cfg.method)
    start_stock = start_stocks.groupby("zone_id")["stock_tC"].sum().reindex(
        zones["zone_id"]).fillna(0.0)
    lu0 = land_use_areas(start_at.table)
    fa = forest_areas_from_land_use(lu0)
    base_cohorts = []
    if len(fa):
        growth = fa.copy()
        growth["from_land_use"] = growth["composition"].map(
            {comp: lu for lu, comp in FOREST_COMPOSITION.items()})
        growth = growth.assign(year=cfg.start_year, lever="forest_growth", action_id="")
        base_cohorts.append(growth_cohorts(growth, attrs, "from_land_use", +1))
        wp = wood_products_harvest(fa, attrs)
        wp = wp.groupby("zone_id", as_index=False)["flux_tC_an"].sum()
        base_cohorts.append(pd.DataFrame({
            "zone_id": wp["zone_id"], "lever": "wood_products", "action_id": "",
            "year": cfg.start_year, "area_ha": 1.0, "pool": "wood_products", "gas": "CO2",
            "kind": "annual", "rate": wp["flux_tC_an"], "duration": 0}))
    trend_cohorts = pd.DataFrame(columns=COHORT_COLUMNS)
    trend_tr = pd.DataFrame(columns=["zone_id", "from_land_use", "to_land_use", "area_ha"])
    trend_yearly = pd.DataFrame(columns=[*trend_tr.columns, "year", "lever", "action_id"])
    trend_label = ""
    if (change_table is not None or cfg.trend_before is not None
            or cfg.trend_changes is not None):
        from espass_geo.io.change_tables import change_table_from_csv
        from espass_geo.runs.landcover import change_table as landcover_change_table

        if change_table is not None:
            ct = change_table
        elif cfg.trend_before is not None:
            lc_before = resolve_landcover(cfg.trend_before, zones=zones,
                                          nomenclature=nomenclature,
                                          code_field=lc_opts.get("code_field"))
            ct = landcover_change_table(zones, lc_before, lc, years=cfg.trend_years,
                                        nomenclature=nomenclature)
        else:
            ct = change_table_from_csv(cfg.trend_changes, years=cfg.trend_years)
        tr = land_use_transitions(ct.table)
        tr = tr[tr["from_land_use"] != tr["to_land_use"]]
        tr["area_ha"] = tr["area_ha"] / ct.years
        # with ZAN scenarios the trend's sealing is its own lever, "sealing", as the ZAN
        # paths' (their difference to the baseline is then the carbon of the hectares saved)
        lever = np.where(sealing_mask(tr), "sealing", "trend") if any(
            sc.zan is not None for sc in cfg.scenarios) else "trend"
        yearly = [tr.assign(year=y, lever=lever, action_id="") for y in cfg.years]
        trend_tr, trend_yearly = tr, pd.concat(yearly, ignore_index=True)
        trend_label = f"{ct.date_from}–{ct.date_to}"
        trend_cohorts = transition_cohorts(trend_yearly, attrs,
                                           method=cfg.method, gwp_n2o=cfg.gwp_n2o)
        notes.append(f"Tendanciel : changements d'occupation du sol observés {ct.date_from}–"
                     f"{ct.date_to} prolongés chaque année ({tr['area_ha'].sum():.1f} ha/an).")
    baseline = pd.concat([*base_cohorts, trend_cohorts], ignore_index=True)
    # ---- ZAN: the trend without its sealing, the pattern of past consumption, the pace
    problems: list[str] = []
    zan = None
    if any(sc.zan is not None for sc in cfg.scenarios):
        guarantee = cfg.zan_guarantee if zan_guarantee is None else bool(zan_guarantee)
        zan = _zan_setup(cfg, zones, lu0, trend_tr, trend_label, consumption, attrs, notes,
                         problems, guarantee=guarantee)
    hectare_rows = [trend_yearly.assign(scenario="baseline")]
    envelopes = []
    # ---- actions
    action_geoms, action_areas, scen_cohorts = [], [], {}
    _, default_sealed = artificial_split_parameters()
    for sc in cfg.scenarios:
        tr_rows, pr_rows = [], []
        geoms: list[tuple[Action, object]] = []
        for a in sc.actions:
            loc = f"{cfg.path.name}:{a.line}" if a.line else cfg.path.name
            if a.type in ("convert", "seal", "renature"):
                g = _action_geometry(a)
                inside = g.geometry.intersection(tgeom).area.sum()
                total = g.geometry.area.sum()
                if inside <= 0:
                    problems.append(f"{loc} : l'action « {a.id} » est entièrement hors du "
                                    "territoire : vérifiez le fichier de géométrie et son "
                                    "système de coordonnées")
                    continue
                if inside < 0.99 * total:
                    notes.append(f"Action « {a.id} » : {100 * (1 - inside / total):.0f} % de sa "
                                 "surface hors du territoire, ignorés.")
                if cfg.landcover is None:
                    problems.append(f"{loc} : l'action « {a.id} » ({a.type}) a besoin d'un "
                                    "raster d'occupation du sol (l'état initial sous son "
                                    "polygone), le bilan n'a qu'une table de surfaces : "
                                    "donnez [landcover] after dans le fichier du bilan")
                    continue
                if a.type in ("convert", "renature"):
                    shares = {_target_land_use(a.params["to"]): 1.0}
                else:
                    s = float(a.params.get("sealed_share", default_sealed))
                    shares = {"artificial_sealed": s, "artificial_grassed": 1 - s}
                t = _transitions_from_polygon(a, g, zones, lc, parcels, shares,
                                              nomenclature=nomenclature)
                if t.empty and a.type == "renature":
                    notes.append(f"{loc} : la renaturation « {a.id} » ne trouve aucun sol "
                                 "artificialisé sous son polygone (occupation du sol de départ) "
                                 ": elle ne change rien ; vérifiez le polygone.")
                    geoms.append((a, g.geometry.iloc[0].intersection(tgeom)))
                    continue
                if t.empty:
                    problems.append(f"{loc} : l'action « {a.id} » ne change aucune surface")
                    continue
                lever = a.type
                tr_rows.append(t.assign(year=a.year, lever=lever, action_id=a.id))
                geoms.append((a, g.geometry.iloc[0].intersection(tgeom)))
                action_areas.append(t.assign(scenario=sc.name, action_id=a.id))
            elif a.type == "practice":
                if parcels is None:  # inside a bilan without parcels: never silently skipped
                    problems.append(f"{loc} : la pratique « {a.id} » s'applique aux parcelles, "
                                    "le bilan n'en a pas : ajoutez [landcover] parcels au "
                                    "fichier du bilan, ou retirez l'action")
                    continue
                sel = _select_parcels(a, parcels, problems, loc, notes)
                if sel.empty:
                    continue
                share = float(a.params.get("share", 1.0))
                area = (sel.geometry.area * HA_PER_M2 * share).groupby(sel["zone_id"]).sum()
                pr = pd.DataFrame({"zone_id": area.index, "practice": a.params["practice"],
                                   "area_ha": area.to_numpy(), "year": a.year,
                                   "action_id": a.id, "end_year": np.nan})
                pr_rows.append((pr, sel))
                geoms.append((a, sel.geometry.union_all()))
                action_areas.append(pd.DataFrame({"zone_id": area.index, "from_land_use": "-",
                                                  "to_land_use": f"practice:{a.params['practice']}",
                                                  "area_ha": area.to_numpy(),
                                                  "scenario": sc.name, "action_id": a.id}))
            elif a.type == "hedges":
                host = a.params.get("host", "cultures")
                practice = "cropsHedges" if host == "cultures" else "prairiesHedges"
                m_per_ha = float(data.factor_table("practices_aldo").set_index("practice").loc[
                    practice, "hedge_m_per_ha"])
                eq_ha = float(a.params["length_km"]) * 1000.0 / m_per_ha
                host_lu = lu0[lu0["land_use"].isin(HOST_LAND_USES[host])]
                weights = host_lu.groupby("zone_id")["area_ha"].sum()
                if "zones" in a.params:
                    wanted = list(dict.fromkeys(str(z) for z in a.params["zones"]))
                    unknown = sorted(set(wanted) - set(zones["zone_id"]))
                    if unknown:
                        problems.append(f"{loc} : zones {unknown} hors du territoire")
                    weights = weights.reindex(wanted).dropna()
                if weights.sum() <= 0:
                    problems.append(f"{loc} : pas de surface hôte ({host}) pour les haies")
                    continue
                if eq_ha > weights.sum() * (1 + 1e-9):
                    km_max = weights.sum() * m_per_ha / 1000.0
                    problems.append(
                        f"{loc} : {fmt_number(a.params['length_km'])} km de haies à "
                        f"{m_per_ha:g} m/ha demandent {fmt_area_ha(eq_ha)} de {host}, les zones "
                        f"n'en ont que {fmt_area_ha(weights.sum())} : au plus "
                        f"{fmt_number(km_max)} km (length_km en kilomètres)")
                    continue
                area = eq_ha * weights / weights.sum()
                pr = pd.DataFrame({"zone_id": area.index, "practice": practice,
                                   "area_ha": area.to_numpy(), "year": a.year,
                                   "action_id": a.id, "end_year": np.nan, "lever": "hedges"})
                pr_rows.append((pr, None))
                action_areas.append(pd.DataFrame({"zone_id": area.index, "from_land_use": "-",
                                                  "to_land_use": "hedges",
                                                  "area_ha": area.to_numpy(),
                                                  "scenario": sc.name, "action_id": a.id}))
        # overlapping spatial actions of the same year are refused; a later conversion ends
        # an earlier practice on the converted parcels
        for i in range(len(geoms)):
            for j in range(i + 1, len(geoms)):
                (a1, g1), (a2, g2) = geoms[i], geoms[j]
                ov = g1.intersection(g2).area * HA_PER_M2
                if ov > 0.01 and a1.year == a2.year:
                    problems.append(f"{cfg.path.name}:{a2.line} : les actions « {a1.id} » et "
                                    f"« {a2.id} » se recouvrent sur {ov:.2f} ha la même année "
                                    f"{a1.year} ; séparez-les ou décalez l'une d'elles")
        for k, (pr, sel) in enumerate(pr_rows):
            if sel is None:
                continue
            share = float(pr["area_ha"].sum() / (sel.geometry.area.sum() * HA_PER_M2))
            for a, g in geoms:
                if a.type not in ("convert", "seal") or a.year <= int(pr["year"].iloc[0]):
                    continue
                # the practice stops in the year of the conversion on the converted area
                cut = sel.geometry.intersection(g).area * HA_PER_M2 * share
                cut = cut.groupby(sel["zone_id"]).sum()
                cut = cut[cut > 0]
                if cut.empty:
                    continue
                ended = pr[pr["zone_id"].isin(cut.index)].copy()
                ended["area_ha"] = ended["zone_id"].map(cut).clip(upper=ended["area_ha"])
                ended["end_year"] = a.year
                pr = pr.copy()
                pr["area_ha"] = pr["area_ha"] - pr["zone_id"].map(cut).fillna(0.0).clip(
                    upper=pr["area_ha"])
                pr = pd.concat([pr, ended], ignore_index=True)
                notes.append(f"Scénario {sc.name} : la pratique « {pr['action_id'].iloc[0]} » "
                             f"s'arrête en {a.year} sur {cut.sum():.1f} ha convertis par "
                             f"l'action « {a.id} » (la conversion l'emporte).")
            pr_rows[k] = (pr, sel)
        zan_rows = []
        if sc.zan is not None and zan is not None:
            zan_rows = _zan_transitions(sc, cfg, zan, tr_rows, notes, envelopes)
        cohorts = []
        try:  # a factor missing for the method is listed with the other problems
            if zan_rows:
                cohorts.append(transition_cohorts(pd.concat(zan_rows, ignore_index=True), attrs,
                                                  method=cfg.method, gwp_n2o=cfg.gwp_n2o))
            if tr_rows:
                cohorts.append(transition_cohorts(pd.concat(tr_rows, ignore_index=True), attrs,
                                                  method=cfg.method, gwp_n2o=cfg.gwp_n2o))
            if pr_rows:
                prs = pd.concat([p for p, _ in pr_rows], ignore_index=True)
                cohorts.append(practice_cohorts(prs, attrs, method=cfg.method))
        except ScenarioError as exc:
            problems.append(f"{cfg.path.name} : scénario « {sc.name} » : {exc}")
        own = pd.concat(base_cohorts, ignore_index=True) if base_cohorts else pd.DataFrame(
            columns=COHORT_COLUMNS)
        if sc.zan is not None and zan is not None:  # the trend without its sealing
            sc_base = pd.concat([own, zan["rest_cohorts"]], ignore_index=True)
            hectare_rows.append(zan["rest_yearly"].assign(scenario=sc.name))
        elif sc.trend:
            sc_base = baseline
            hectare_rows.append(trend_yearly.assign(scenario=sc.name))
        else:
            sc_base = own
        hectare_rows += [t.assign(scenario=sc.name) for t in (*zan_rows, *tr_rows)]
        scen_cohorts[sc.name] = pd.concat([sc_base, *cohorts], ignore_index=True)
        for a, g in geoms:
            action_geoms.append({"scenario": sc.name, "action_id": a.id, "type": a.type,
                                 "label": a.label or a.id, "year": a.year, "geometry": g})
    if problems:
        raise ScenarioError(f"fichier de scénario « {cfg.path} » : {len(problems)} "
                            "problème(s) :\n  - " + "\n  - ".join(problems), problems)
    # ---- projection
    all_cohorts = {"baseline": baseline, **scen_cohorts}
    flows, stocks = [], []
    for name, coh in all_cohorts.items():
        f = project(coh, cfg.years).assign(scenario=name)
        flows.append(f)
        stocks.append(stock_trajectory(f, start_stock, cfg.years).assign(scenario=name))
    flows = pd.concat(flows, ignore_index=True)
    stocks = pd.concat(stocks, ignore_index=True)
    terr = flows.groupby(["scenario", "year", "lever"], as_index=False)["flux_tCO2e_an"].sum()
    tot = terr.groupby(["scenario", "year"], as_index=False)["flux_tCO2e_an"].sum()
    tot["lever"] = "total"
    tot = tot.merge(stocks.groupby(["scenario", "year"], as_index=False)["stock_tC"].sum(),
                    on=["scenario", "year"])
    terr = pd.concat([terr, tot], ignore_index=True)
    terr["cumulative_tCO2e"] = terr.groupby(["scenario", "lever"])["flux_tCO2e_an"].cumsum()
    base = terr[terr["scenario"] == "baseline"].set_index(["year", "lever"])["flux_tCO2e_an"]
    deltas = []
    for name in scen_cohorts:
        s = terr[terr["scenario"] == name].set_index(["year", "lever"])["flux_tCO2e_an"]
        d = s.sub(base, fill_value=0.0).rename("delta_tCO2e_an").reset_index()
        d["scenario"] = name
        deltas.append(d)
    delta = pd.concat(deltas, ignore_index=True) if deltas else pd.DataFrame(
        columns=["scenario", "year", "lever", "delta_tCO2e_an"])
    delta = delta.sort_values(["scenario", "lever", "year"])
    delta["cumulative_delta_tCO2e"] = delta.groupby(["scenario", "lever"])[
        "delta_tCO2e_an"].cumsum()
    delta = _with_gap_interval(delta)
    # ---- per-zone summary
    area = (zones.set_index("zone_id").geometry.area * HA_PER_M2)
    names = zones.set_index("zone_id")["zone_name"]
    end = stocks[stocks["year"] == cfg.horizon].set_index(["scenario", "zone_id"])["stock_tC"]
    cum = flows.groupby(["scenario", "zone_id"])["flux_tCO2e_an"].sum()
    zs = pd.DataFrame({"stock_end_tC": end, "cum_flux_tCO2e": cum}).fillna(0.0).reset_index()
    zs["zone_name"] = zs["zone_id"].map(names)
    zs["area_ha"] = zs["zone_id"].map(area)
    zs["stock_start_tC"] = zs["zone_id"].map(start_stock)
    zs["stock_change_tC"] = zs["stock_end_tC"] - zs["stock_start_tC"]
    zs["stock_change_tC_ha"] = zs["stock_change_tC"] / zs["area_ha"]
    bcum = zs[zs["scenario"] == "baseline"].set_index("zone_id")["cum_flux_tCO2e"]
    zs["delta_cum_tCO2e"] = zs["cum_flux_tCO2e"] - zs["zone_id"].map(bcum).fillna(0.0)
    actions = gpd.GeoDataFrame(action_geoms, geometry="geometry", crs=LAMBERT93) \
        if action_geoms else gpd.GeoDataFrame(
            {"scenario": [], "action_id": [], "type": [], "label": [], "year": []},
            geometry=[], crs=LAMBERT93)
    aa = pd.concat(action_areas, ignore_index=True) if action_areas else pd.DataFrame()
    # ---- hectares beside the carbon
    cols = ["scenario", "year", "from_land_use", "to_land_use", "area_ha"]
    rows = [r[cols] for r in hectare_rows if len(r)]
    hect = zan_hectares(pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=cols), cfg.years, scenarios=["baseline", *scen_cohorts])
    total = terr[terr["lever"] == "total"].set_index(["scenario", "year"])["flux_tCO2e_an"]
    hect["flux_tCO2e_an"] = [float(total.get((s, y), 0.0))
                             for s, y in zip(hect["scenario"], hect["year"], strict=True)]
    env = pd.concat(envelopes, ignore_index=True) if envelopes else pd.DataFrame(
        columns=["scenario", "period", "first_year", "last_year", "envelope_ha",
                 "reserved_ha", "spread_ha", "over_ha"])
    return ScenarioResult(config=cfg, zones=zones, actions=actions, action_areas=aa,
                          flows=flows, stocks=stocks, territory=terr, delta=delta,
                          zone_summary=zs, notes=notes, zan_hectares=hect, zan_envelopes=env)


def _readme(result: ScenarioResult) -> str:
    cfg = result.config
    lines = [
        "espass_geo — scénarios",
        f"Version : {__version__}",
        f"Fichier de scénario : {cfg.path.name} ; territoire : {cfg.territory}",
        f"Période : {cfg.start_year}–{cfg.horizon} ; méthode : {cfg.method} (sol et pratiques) ; "
        f"PRG N2O {cfg.gwp_n2o:g}",
        SIGN_CONVENTION_FR,
        "Cinétiques : transitions cinétiques, gains de biomasse et pratiques au taux annuel pendant "
        "20 ans puis saturation ; transitions instantanées l'année du changement ; croissance "
        "forestière chaque année.",
        "État initial : stocks de l'occupation du sol fournie (data.landcover).",
        "",
        "Fichiers : trajectoires.csv (scénario × zone × levier × année), "
        "trajectoires_territoire.csv (scénario × année × levier, stock), ecarts.csv (écart au "
        "tendanciel par levier ; lignes « total » : intervalle à 90 % de l'écart cumulé, "
        "cumulative_delta_tCO2e_p05 / _p95), scenario.gpkg (zones par scénario, actions), "
        "zan_hectares.csv (hectares artificialisés, renaturés, nets et cumulés par scénario et "
        "année, avec le flux net de carbone), zan_enveloppes.csv (scénarios ZAN : enveloppe de "
        "chaque décennie et zones à urbaniser prises dessus), "
        "flux_annuels/ecart_cumule/stocks/zan_hectares_carbone (.png, .svg), "
        "carte_scenarios.html.",
        "ZAN : une trajectoire (zan = \"loi\", \"tendanciel\" ou une variante) remplace "
        "l'artificialisation de la tendance observée (passage d'un sol non artificialisé à un "
        "sol artificialisé) par ses hectares annuels, répartis comme la consommation passée ; "
        "« loi » : rythme de référence ÷ 2 en 2021–2030, ÷ 4 en 2031–2040, puis linéaire "
        "jusqu'à 0 en 2050 ; la garantie communale d'1 ha n'est pas appliquée à l'échelle du "
        "territoire. Renaturation : le sol artificialisé sous le polygone devient la classe "
        "cible (gains sur 20 ans, règles ALDO). Leviers des trajectoires quand un scénario a une "
        "trajectoire ZAN : sealing (artificialisation répartie comme la consommation passée : "
        "celle observée au tendanciel, celle de la trajectoire dans le scénario), trend (le "
        "reste de la tendance observée), seal (zones à urbaniser, projets), renature "
        "(renaturation).",
        "",
        "Avertissements :", *[f"  - {n}" for n in result.notes],
        "",
        "Configuration : " + json.dumps(cfg.raw, ensure_ascii=False, default=str),
    ]
    return "\n".join(lines) + "\n"


def write_scenario_outputs(result: ScenarioResult, out_dir: str | Path, *,
                           make_map: bool = True, overwrite: bool = False,
                           inputs=()) -> dict[str, Path]:
    cfg = result.config
    with atomic_output_dir(out_dir, overwrite=overwrite,
                           inputs=(cfg.path, *vars(cfg).values(), *inputs)) as tmp:
        files: dict[str, Path] = {}
        zf = result.flows.groupby(["scenario", "zone_id", "lever", "year"], as_index=False)[
            ["flux_tC_an", "flux_tCO2e_an"]].sum(min_count=1)
        zf["convention"] = CONVENTION
        files["trajectoires.csv"] = write_csv(zf, tmp / "trajectoires.csv")
        files["trajectoires_territoire.csv"] = write_csv(result.territory,
                                                         tmp / "trajectoires_territoire.csv")
        files["ecarts.csv"] = write_csv(result.delta, tmp / "ecarts.csv")
        files["stocks_zones.csv"] = write_csv(result.stocks, tmp / "stocks_zones.csv")
        if len(result.zan_hectares):
            files["zan_hectares.csv"] = write_csv(result.zan_hectares, tmp / "zan_hectares.csv")
        if len(result.zan_envelopes):
            files["zan_enveloppes.csv"] = write_csv(result.zan_envelopes,
                                                    tmp / "zan_enveloppes.csv")
        gz = result.zones[["zone_id", "geometry"]]
        for name in result.zone_summary["scenario"].unique():
            layer = gz.merge(result.zone_summary[result.zone_summary["scenario"] == name],
                             on="zone_id")
            write_gpkg_layer(gpd.GeoDataFrame(layer, crs=LAMBERT93), tmp / "scenario.gpkg",
                             f"zones_{name}")
        if len(result.actions):
            write_gpkg_layer(result.actions, tmp / "scenario.gpkg", "actions")
        files["scenario.gpkg"] = tmp / "scenario.gpkg"
        try:
            from espass_geo.present.charts import scenario_charts
        except ImportError:  # pragma: no cover - charts module is part of the package
            scenario_charts = None
        if scenario_charts is not None:
            for k, p in scenario_charts(result.territory, result.delta, tmp,
                                        title=cfg.title,
                                        scenario_labels={s.name: s.label
                                                         for s in cfg.scenarios}).items():
                files[k] = p
            if len(result.zan_hectares):
                from espass_geo.present.charts.scenarios import zan_chart

                files.update(zan_chart(result.zan_hectares, tmp, title=cfg.title,
                                       scenario_labels={s.name: s.label
                                                        for s in cfg.scenarios}))
        if make_map:
            from espass_geo.present.maps import scenario_map

            zs = result.zone_summary
            base = gz.merge(zs[zs["scenario"] == "baseline"], on="zone_id")
            # every scenario, selectable above the right map (issue #15)
            scens: dict[str, gpd.GeoDataFrame] = {}
            acts: dict[str, gpd.GeoDataFrame | None] = {}
            for s in cfg.scenarios:
                label = s.label if s.label not in scens else f"{s.label} ({s.name})"
                scens[label] = gpd.GeoDataFrame(
                    gz.merge(zs[zs["scenario"] == s.name], on="zone_id"), crs=LAMBERT93)
                acts[label] = result.actions[result.actions["scenario"] == s.name] if len(
                    result.actions) else None
            scenario_map(gpd.GeoDataFrame(base, crs=LAMBERT93), scens, title=cfg.title,
                         actions=acts, notes=result.notes, horizon=cfg.horizon,
                         html_path=tmp / "carte_scenarios.html")
            files["carte_scenarios.html"] = tmp / "carte_scenarios.html"
        (tmp / "LISEZ-MOI_scenarios.txt").write_text(_readme(result), encoding="utf-8")
        (tmp / cfg.path.name).write_text(cfg.path.read_text(encoding="utf-8"), encoding="utf-8")
    out_dir = Path(out_dir)
    result.files = {name: out_dir / Path(p).name for name, p in files.items()}
    return result.files
