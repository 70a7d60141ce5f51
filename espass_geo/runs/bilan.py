"""The map-centred bilan: one run from a territory to a web map, a report and exports.

:func:`compute_bilan` runs stocks, flows, emissions and the scenario on inputs resolved once
and joins them in the bilan table (:mod:`espass_geo.core.bilan_table`), from which every other
output is derived; :func:`write_bilan_outputs` writes them (``espass-geo bilan`` calls both
through :func:`espass_geo.api.bilan` and :func:`espass_geo.api.write`). The configuration file
is read by :mod:`espass_geo.io.bilan_config`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import LAMBERT93
from espass_geo.core.bilan_table import build_bilan_table, synthesis
from espass_geo.core.uncertainty import bilan_intervals, stock_interval, synthesis_intervals
from espass_geo.errors import ConfigError, InconsistentAreasWarning, InventoryError
from espass_geo.io.bilan_config import (
    BilanConfig,
    config_as_toml,
)
from espass_geo.reference import data

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------- the run
@dataclass
class BilanResult:
    config: BilanConfig
    table: pd.DataFrame
    zones: gpd.GeoDataFrame
    stocks: object = None
    flows: object = None
    #: flows of every period of a land-cover series ([landcover] series, 3 dates or more)
    flow_series: object = None
    emissions: object = None
    #: ZAN accounts and their carbon cost ([zan] consumption)
    zan: object = None
    scenario: object = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    #: the FactorSet the result was computed with (None: the shipped tables)
    factors: Any = None
    #: 90 % intervals of the synthesis figures (:func:`espass_geo.core.uncertainty.
    #: synthesis_intervals`): stock_tC, flux_tCO2e_an, direct_tCO2e_an, footprint_tCO2e_an
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)


#: ``ESPASS_GEO_PROGRESS=json`` in the environment: every step of a bilan (computation and
#: writing) also writes one machine-readable line on stderr, :data:`PROGRESS_PREFIX` then
#: ``{"step": "<French label of the step starting>", "done": <steps done>, "total": N}``
#: (read by ``espass-geo app``, which runs ``espass-geo bilan`` in a subprocess).
PROGRESS_ENV = "ESPASS_GEO_PROGRESS"
PROGRESS_PREFIX = "ESPASS_GEO_PROGRESS "
#: steps of a bilan: 5 computed (stocks, flux, émissions, scénarios, table) + 4 written
BILAN_STEPS = 9


#: the step being run, for the lines of the chunked work (:func:`_chunk_callback`)
_CURRENT: dict = {}


def report_progress(step: str, done: int, total: int = BILAN_STEPS, *,
                    chunks: tuple[int, int] | None = None) -> None:
    """One progress line on stderr when ``ESPASS_GEO_PROGRESS=json`` (see :data:`PROGRESS_ENV`).

    The first call also registers a dask callback (local schedulers) that adds, at most twice
    a second, a line with ``"chunks": [tasks done, tasks]`` of the raster work of the step."""
    if os.environ.get(PROGRESS_ENV, "").lower() != "json":
        return
    if chunks is None:
        _CURRENT.update(step=step, done=done, total=total)
        if not _CURRENT.get("callback"):
            _CURRENT["callback"] = _chunk_callback()
    line = {"step": step, "done": done, "total": total}
    if chunks is not None:
        line["chunks"] = list(chunks)
    sys.stderr.write(PROGRESS_PREFIX + json.dumps(line, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def _chunk_callback():
    """A dask callback, registered for the process, reporting the tasks done of each
    ``dask.compute`` (the blocks of the area and change tables) through
    :func:`report_progress`."""
    import time

    from dask.callbacks import Callback

    class _Chunks(Callback):
        last = 0.0

        def _posttask(self, key, result, dsk, state, worker_id):  # noqa: ARG002
            now = time.monotonic()
            if now - self.last < 0.5 or not _CURRENT:
                return
            self.last = now
            n_done = len(state["finished"])
            n_all = n_done + sum(len(state[k]) for k in ("ready", "waiting", "running"))
            report_progress(_CURRENT["step"], _CURRENT["done"], _CURRENT["total"],
                            chunks=(n_done, n_all))

    cb = _Chunks()
    cb.register()
    return cb


def _steps(n: int, quiet: bool):
    try:
        from tqdm import tqdm

        return tqdm(total=n, disable=quiet, desc="Bilan", unit="étape", leave=False)
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None


def compute_bilan(cfg: BilanConfig, *, quiet: bool = False) -> BilanResult:
    from espass_geo.runs.emissions import compute_territory_emissions, zone_area_problem
    from espass_geo.runs.flows import compute_territory_flows
    from espass_geo.runs.stocks import SYNTHETIC_NOTE_FR, compute_territory_stocks
    from espass_geo.territory.resolve import resolve_territory

    bar = _steps(5, quiet)
    labels = ["Calcul des flux", "Calcul des émissions", "Calcul des scénarios",
              "Tableau du bilan", "Écriture des tableaux et exports"]
    done = [0]

    def step(msg: str) -> None:
        log.info(msg)
        if bar is not None:
            bar.set_postfix_str(msg)
            bar.update(1)
        done[0] += 1
        report_progress(labels[min(done[0], len(labels)) - 1], done[0])

    report_progress("Lecture du territoire et calcul des stocks", 0)

    # inputs resolved once and handed to every engine: territory, parcels, area and change
    # tables (each raster is cross-tabulated once per run)
    territory = resolve_territory(cfg.territory, zpc=cfg.zpc, id_field=cfg.id_field,
                                  name_field=cfg.name_field, boundaries=cfg.boundaries,
                                  region=cfg.region)
    parcels = cfg.parcels if cfg.landcover else None
    parcel_gdf = None
    if parcels is not None:
        from espass_geo.io.parcels import read_parcels

        parcel_gdf = read_parcels(parcels)
    lc_options = dict(nomenclature=cfg.nomenclature, code_field=cfg.code_field,
                      forest=cfg.forest) if cfg.landcover is not None else {}
    st = compute_territory_stocks(territory, landcover=cfg.landcover, areas=cfg.areas,
                                  parcels=parcels, parcels_gdf=parcel_gdf, hedges=cfg.hedges,
                                  method=cfg.method, max_nodata_share=cfg.max_nodata_share,
                                  **lc_options)
    step("stocks")
    fl = None
    series = None
    if len(cfg.series) > 2:  # every period; the bilan's flows are the last period's
        from espass_geo.runs.flow_series import compute_flow_series

        series = compute_flow_series(territory, list(cfg.series),
                                     forest_areas=cfg.forest_areas, method=cfg.method,
                                     gwp_n2o=cfg.gwp_n2o, max_nodata_share=cfg.max_nodata_share,
                                     **lc_options)
        fl = series.periods[-1]
        fl.notes.append(f"Flux du bilan : dernière période de la série ({cfg.years[0]}–"
                        f"{cfg.years[1]}) ; toutes les périodes dans flux_series/ "
                        f"({', '.join(series.period_labels)}).")
    elif cfg.before is not None and cfg.landcover is not None:
        fl = compute_territory_flows(territory, landcover_before=cfg.before,
                                     landcover_after=cfg.landcover, years=cfg.years,
                                     forest_areas=cfg.forest_areas, method=cfg.method,
                                     gwp_n2o=cfg.gwp_n2o, max_nodata_share=cfg.max_nodata_share,
                                     **lc_options)
    elif cfg.changes is not None:
        fl = compute_territory_flows(territory, changes=cfg.changes, years=cfg.years,
                                     forest_areas=cfg.forest_areas, method=cfg.method,
                                     gwp_n2o=cfg.gwp_n2o)
    step("flux")
    # emissions on the zones of the carbon results (communes, or EPCI for per-EPCI tables)
    em_territory = territory
    if fl is not None and set(fl.zones["zone_id"]) != set(territory.zones["zone_id"]):
        from espass_geo.territory.resolve import Territory

        em_territory = Territory(zones=_zone_frame(fl.zones), label=territory.label,
                                 kind="polygons" if territory.kind == "polygons" else "epci",
                                 spec=territory.spec)
    lf = fl.zones[["zone_id", "flux_tCO2e_an"]] if fl is not None else None
    em_notes: list[str] = []
    # zones of a user file bearing a commune's code without its area: the commune's inventory
    # and population would be applied to them; the carbon bilan stands alone, with a warning
    area_problem = zone_area_problem(em_territory)
    em = None
    if area_problem:
        msg = (f"Émissions non calculées : {area_problem} Le bilan carbone (stocks et flux) est "
               "complet ; pour les émissions, donnez des zones qui sont des communes entières, ou "
               "un inventaire et une population établis pour vos zones (avec leurs propres "
               "identifiants).")
        warnings.warn(msg, InconsistentAreasWarning, stacklevel=2)
        em_notes.append(msg)
    else:
        try:
            em = compute_territory_emissions(em_territory, inventory=cfg.inventory,
                                             population=cfg.population, land_flows=lf,
                                             footprint_adjustments=cfg.footprint_adjustments,
                                             point_sources=cfg.point_sources)
        except InventoryError as exc:
            # the user's own inventory (or point sources) must fit: refused
            if cfg.inventory is not None or cfg.point_sources is not None:
                raise
            # the demo inventory does not cover this territory: the carbon bilan stands alone
            em_notes.append(f"Émissions non calculées : l'inventaire de démonstration ne couvre "
                            f"pas ce territoire ({exc}). Le bilan carbone (stocks et flux) est "
                            "complet ; donnez un inventaire ([emissions] inventory) pour la "
                            "partie émissions.")
    step("émissions")
    zan = _bilan_zan(cfg, territory, fl) if cfg.consumption is not None else None
    sc = _bilan_scenario(cfg, territory, st, fl, parcel_gdf, zan) if cfg.scenario else None
    step("scénarios")
    # the stocks run read the raster's tag already (its note), no second opening
    synthetic = bool(cfg.landcover is not None and SYNTHETIC_NOTE_FR in st.notes)
    table = build_bilan_table(stocks=st, flows=fl, emissions=em, scenario=sc,
                              synthetic=synthetic)
    # 90 % intervals (issue #13 item 4): factor errors only, shared across zones
    table = bilan_intervals(table)
    intervals = synthesis_intervals(table, stocks=st.stocks,
                                    flows=fl.flows if fl is not None else None)
    zones = _bilan_zones(st, fl, em, em_territory)
    if zan is not None:
        zones = _with_zan_columns(zones, zan)
    notes = list(dict.fromkeys([*st.notes, *(fl.notes if fl else []),
                                *(em.notes if em else em_notes), *(sc.notes if sc else []),
                                *(zan.notes if zan else [])]))
    step("bilan")
    if bar is not None:
        bar.close()
    return BilanResult(config=cfg, table=table, zones=zones, stocks=st, flows=fl,
                       flow_series=series, emissions=em, scenario=sc, zan=zan, notes=notes,
                       intervals=intervals)


def _bilan_zan(cfg: BilanConfig, territory, fl):
    """The ZAN accounts of the bilan's communes ([zan]), with what the bilan's land cover says
    was artificialised, and net artificialisation when its two dates are OCS GE layers."""
    from espass_geo.runs.zan import compute_zan

    from_mix = mix_source = None
    ids = set(territory.zones["zone_id"].astype(str))
    if fl is not None and set(fl.zones["zone_id"].astype(str)) == ids:
        from espass_geo.core.zan import from_mix_from_changes

        from_mix = from_mix_from_changes(fl.transitions, zone_ids=sorted(ids))
        mix_source = ("ce que l'occupation du sol du bilan montre artificialisé "
                      f"({cfg.years[0]}–{cfg.years[1]})")
    before = after = None
    lcs = getattr(fl, "_landcovers", None) if fl is not None else None
    if lcs and all(lc.is_vector and lc.vector.product == "ocsge" for lc in lcs):
        before, after = lcs[0].path, lcs[1].path
    consumption = None if str(cfg.consumption) == "demo" else cfg.consumption
    return compute_zan(territory, consumption=consumption or "demo",
                       guarantee=cfg.zan_guarantee, territorialisation=cfg.territorialisation,
                       landcover_before=before, landcover_after=after,
                       years=tuple(cfg.years) if before is not None else None,
                       from_mix=from_mix, mix_source=mix_source, method=cfg.method,
                       gwp_n2o=cfg.gwp_n2o)


#: ZAN columns of the bilan's zones (map layers) from the ZAN accounts
_ZAN_COLUMNS = {"consumed_since_2021_ha": "zan_consumed_since_2021_ha",
                "budget_2021_2030_ha": "zan_budget_2021_2030_ha",
                "cost_tCO2e": "zan_cost_tCO2e"}


def _with_zan_columns(zones: gpd.GeoDataFrame, zan) -> gpd.GeoDataFrame:
    """The bilan's zones with the ZAN columns: per commune, or summed per EPCI when the
    carbon zones are EPCI (ratios recomputed from the sums)."""
    acc = zan.accounts.assign(zone_id=zan.accounts["zone_id"].astype(str))
    ids = set(zones["zone_id"].astype(str))
    cols = list(_ZAN_COLUMNS)
    if not ids <= set(acc["zone_id"]):
        epci = zan.territory.zones.set_index("zone_id")["epci"] if "epci" in \
            zan.territory.zones else None
        if epci is None:
            return zones
        acc = acc.assign(zone_id=acc["zone_id"].map(epci.astype(str)))
        acc = acc.groupby("zone_id", as_index=False)[cols].sum()
    z = zones.merge(acc[["zone_id", *cols]].rename(columns=_ZAN_COLUMNS), on="zone_id",
                    how="left")
    budget = z["zan_budget_2021_2030_ha"].where(z["zan_budget_2021_2030_ha"] > 0)
    z["zan_budget_used_share"] = z["zan_consumed_since_2021_ha"] / budget
    consumed = z["zan_consumed_since_2021_ha"].where(z["zan_consumed_since_2021_ha"] > 0)
    z["zan_cost_tCO2e_ha"] = z["zan_cost_tCO2e"] / consumed
    return gpd.GeoDataFrame(z, geometry="geometry", crs=zones.crs)


def _bilan_scenario(cfg: BilanConfig, territory, st, fl, parcel_gdf, zan=None):
    """The scenario file's actions, start year and horizon on the bilan's own inputs.

    The bilan's territory, method, ZPC, N2O GWP, land cover, parcels and trend apply; a
    scenario file written for another territory or method is overridden with a note, and its
    actions that fall outside the bilan's zones are refused (ScenarioError).
    """
    from dataclasses import replace

    from espass_geo.errors import ScenarioError
    from espass_geo.io.scenario_config import load_scenario_config
    from espass_geo.runs.scenarios import build_scenarios
    from espass_geo.territory.resolve import territory_key

    scfg = load_scenario_config(cfg.scenario, in_bilan=True)
    name = scfg.path.name
    notes = []
    if cfg.landcover is not None and scfg.start_year < cfg.years[1]:
        raise ConfigError(
            f"fichier de scénario « {name} » : start_year {scfg.start_year} précède la date de "
            f"l'occupation du sol du bilan ({cfg.years[1]}, [landcover] years) : un scénario part "
            f"de l'état observé ; écrivez start_year = {cfg.years[1]} ou plus tard")
    other_territory = scfg.territory is not None and \
        territory_key(scfg.territory) != territory_key(cfg.territory)
    if other_territory:
        notes.append(f"Scénario « {name} » : écrit pour le territoire « {scfg.territory} », "
                     f"appliqué au territoire du bilan « {cfg.territory} ».")
    if scfg.method != cfg.method:
        notes.append(f"Scénario « {name} » : méthode « {scfg.method} » du fichier remplacée "
                     f"par celle du bilan « {cfg.method} ».")
    if (scfg.zpc, scfg.gwp_n2o) != (cfg.zpc, cfg.gwp_n2o):
        notes.append(f"Scénario « {name} » : zone pédoclimatique et PRG du N2O du bilan "
                     f"appliqués ({cfg.zpc or 'par commune'}, {cfg.gwp_n2o:g}).")
    trend = cfg.before is not None or cfg.changes is not None
    wanted = scfg.raw.get("baseline", {}).get("trend") if isinstance(
        scfg.raw.get("baseline"), dict) else None
    if wanted and not trend:
        notes.append(f"Scénario « {name} » : pas de tendanciel (baseline.trend), le bilan n'a "
                     "qu'une date d'occupation du sol ([landcover] before ou changes).")
    if scfg.landcover is not None and (
            (scfg.landcover, scfg.parcels, scfg.trend_before, scfg.trend_changes)
            != (cfg.landcover, parcel_gdf is not None and cfg.parcels or None,
                cfg.before, cfg.changes)):
        notes.append(f"Scénario « {name} » : état initial, parcelles et tendanciel du bilan "
                     "([landcover]) ; la section [data] du fichier de scénario est ignorée.")
    scfg = replace(scfg, territory=cfg.territory, method=cfg.method, zpc=cfg.zpc,
                   id_field=cfg.id_field, name_field=cfg.name_field,
                   gwp_n2o=cfg.gwp_n2o, landcover=cfg.landcover,
                   parcels=cfg.parcels if parcel_gdf is not None else None,
                   trend_before=cfg.before if cfg.landcover is not None else None,
                   trend_changes=cfg.changes, trend_years=cfg.years if trend else None,
                   baseline_trend=trend and wanted is not False)
    zone_ids = set(territory.zones["zone_id"])
    area_table = st.areas if set(st.areas.table["zone_id"]) <= zone_ids and \
        cfg.landcover is not None else None
    if area_table is None:
        raise ConfigError(
            f"le scénario « {name} » part de l'occupation du sol des zones du bilan, mais le "
            "bilan n'a qu'une table de surfaces par EPCI ([landcover] areas) : donnez un raster "
            "d'occupation du sol ([landcover] after), ou lancez espass-geo scenario seul.")
    change_table = fl.changes if fl is not None and fl.rasters is not None else None
    try:
        sc = build_scenarios(scfg, territory=territory, area_table=area_table,
                             parcels_gdf=parcel_gdf, change_table=change_table,
                             landcover_options={"nomenclature": cfg.nomenclature,
                                                "code_field": cfg.code_field},
                             # the bilan's consumption file sets the ZAN scenarios' pace
                             **({"consumption": zan.consumption,
                                 "zan_guarantee": cfg.zan_guarantee} if zan is not None
                                else {}))
    except ScenarioError as exc:
        if not other_territory or "hors du territoire" not in str(exc):
            raise
        raise ScenarioError(
            f"bilan sur « {cfg.territory} » avec le fichier de scénario « {name} », écrit pour "
            f"« {scfg.raw.get('territory')} » : {exc}\n  Retirez du fichier de scénario les "
            "actions hors du territoire du bilan, ou faites le bilan sur le territoire du "
            "scénario.", exc.problems) from None
    sc.notes[:0] = notes
    return sc


def _zone_frame(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    z = zones[["zone_id", "zone_name", "geometry"]].copy()
    for col in ("zpc", "departement", "region_code", "epci"):
        z[col] = None
    z["epci"] = z["zone_id"]
    return gpd.GeoDataFrame(z, geometry="geometry", crs=LAMBERT93)


def _bilan_zones(st, fl, em, em_territory=None) -> gpd.GeoDataFrame:
    if em is not None:
        base = em.zones.copy()
    else:  # no emissions: the zones of the carbon results
        base = em_territory.zones[["zone_id", "zone_name", "geometry"]].copy()
    if st is not None:
        s = st.zones.drop(columns="geometry")
        # stock zones may be communes while emissions are EPCI: aggregate by EPCI then
        if not set(base["zone_id"]) <= set(s["zone_id"]):
            com = data.communes_2018().set_index("insee")["epci"]
            s = s.assign(zone_id=s["zone_id"].map(com).fillna(s["zone_id"]))
        agg = s.groupby("zone_id")[["stock_tC", "area_ha"]].sum()
        base["stock_tC"] = base["zone_id"].map(agg["stock_tC"])
        # the interval of each base zone's stock: of the zone itself, or of the sum of its
        # communes with the same draws (errors shared: not the sum of the communes' bounds)
        if "stock_tC_p05" in s and set(s["zone_id"]) == set(st.zones["zone_id"]):
            iv = s.set_index("zone_id")[["stock_tC_p05", "stock_tC_p95"]]
        else:
            to_base = dict(zip(st.zones["zone_id"], s["zone_id"], strict=True))
            long = st.stocks.assign(zone_id=st.stocks["zone_id"].map(to_base)
                                    .fillna(st.stocks["zone_id"]))
            iv = stock_interval(long).set_index("zone_id")[["stock_tC_p05", "stock_tC_p95"]]
        for c in ("stock_tC_p05", "stock_tC_p95"):
            base[c] = base["zone_id"].map(iv[c])
        base["density_tC_ha"] = base["stock_tC"] / base["zone_id"].map(agg["area_ha"])
    if fl is not None:
        f = fl.zones.drop(columns="geometry").set_index("zone_id")
        for c in ("flux_tCO2e_an", "flux_tCO2e_an_p05", "flux_tCO2e_an_p95",
                  "flux_tCO2e_ha_an", "sealed_ha_an"):
            if c in f:
                base[c] = base["zone_id"].map(f[c])
    return gpd.GeoDataFrame(base, geometry="geometry", crs=LAMBERT93)


def write_bilan_outputs(result: BilanResult, out_dir: str | Path, *,
                        overwrite: bool = False) -> dict[str, Path]:
    from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
    from espass_geo.present.exports import write_csv, write_csv_fr, write_xlsx
    from espass_geo.present.fmt import fmt_mass_t
    from espass_geo.present.maps import bilan_map
    from espass_geo.present.report import collect_sources, render_report, report_charts
    from espass_geo.runs.emissions import write_emission_outputs
    from espass_geo.runs.flows import write_flow_outputs
    from espass_geo.runs.scenarios import write_scenario_outputs
    from espass_geo.runs.stocks import write_stock_outputs

    cfg = result.config
    out_dir = Path(out_dir)
    inputs = [cfg.path, *vars(cfg).values()]
    if result.scenario is not None:
        inputs += [result.scenario.config.path, *vars(result.scenario.config).values()]
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        t = result.table
        files["bilan.csv"] = write_csv(t, tmp / "bilan.csv")
        files["bilan_excel_fr.csv"] = write_csv_fr(t, tmp / "bilan_excel_fr.csv", rounded=True)
        meta = _meta(result)
        files["bilan.xlsx"] = write_xlsx(t, tmp / "bilan.xlsx",
                                         meta={**meta, "intervals": result.intervals})
        from espass_geo.present.exports_ecosystem import write_bilan_ecosystem_exports

        files.update(write_bilan_ecosystem_exports(result, tmp))  # ALDO, Territoires en Trans.
        report_progress("Carte web", 6)
        # the ZAN and scenario outputs first: the report embeds their charts
        if result.zan is not None:
            from espass_geo.runs.zan import write_zan_outputs

            # PNG only in the sub-folders: the report links the SVG of its own charts
            write_zan_outputs(result.zan, tmp / "zan", params=meta["params"], svg_charts=False)
        links = [("Rapport", "rapport.html"), ("Données (Excel)", "bilan.xlsx"),
                 ("Données (CSV)", "bilan.csv")]
        actions = hotspots = None
        if result.scenario is not None:
            write_scenario_outputs(result.scenario, tmp / "scenarios")
            links.insert(1, ("Comparaison tendanciel / scénario",
                             "scenarios/carte_scenarios.html"))
            acts = result.scenario.actions
            first = cfg_first_scenario(result)
            actions = acts[acts["scenario"] == first] if len(acts) else None
        if result.flows is not None:
            hotspots = result.flows.hotspots  # computed with the flows (compute step)
        charts = report_charts(t, tmp / "graphiques", title=cfg.title)
        files.update({f"graphiques/{Path(p).name}": p for p in charts.values()})
        sy = synthesis(t)
        syn_fr = {
            "Empreinte de consommation (hors utilisation des terres)":
                fmt_mass_t(sy["footprint_without_land_tCO2e_an"], "tCO₂e") + "/an",
            "Émissions directes (inventaire)": fmt_mass_t(sy["direct_tCO2e_an"], "tCO₂e") + "/an",
            "Flux net de carbone des sols et forêts (+ = séquestration)":
                _signed(sy["flux_tCO2e_an"]) + "/an",
            "Bilan net (empreinte − séquestration)":
                fmt_mass_t(sy["footprint_tCO2e_an"], "tCO₂e") + "/an",
            "Stock de carbone (sols et biomasse)": fmt_mass_t(sy["stock_tC"], "tC"),
        }
        iv = result.intervals or {}
        for key, name, unit, signed in (
                ("Émissions directes (inventaire)", "direct_tCO2e_an", "tCO₂e", False),
                ("Flux net de carbone des sols et forêts (+ = séquestration)", "flux_tCO2e_an",
                 "tCO₂e", True),
                ("Bilan net (empreinte − séquestration)", "footprint_tCO2e_an", "tCO₂e", False),
                ("Stock de carbone (sols et biomasse)", "stock_tC", "tC", False)):
            syn_fr[key] += _interval_text(iv.get(name), unit, signed=signed)
        if result.emissions is None:  # no inventory for these zones: shown as missing
            for key in list(syn_fr)[:2] + [list(syn_fr)[3]]:
                syn_fr[key] = "non calculé (voir les avertissements)"
        bilan_map(result.zones, title=cfg.title,
                  parcels=result.stocks.parcels if result.stocks is not None else None,
                  hotspots=hotspots, actions=actions, synthesis=syn_fr, links=links,
                  notes=result.notes, estimate=bool(t["estimate"].any()),
                  html_path=tmp / "index.html")
        files["index.html"] = tmp / "index.html"
        report_progress("Rapport (HTML et PDF)", 7)
        meta["map_href"] = "index.html"
        meta["sources"] = collect_sources(_factor_names())
        meta["intervals"] = dict(result.intervals or {})
        if result.zan is not None:  # written above with the chart the section embeds
            from espass_geo.present.report.zan import zan_report_section

            meta["extra_sections"] = [zan_report_section(
                result.zan.accounts, result.zan.trajectory,
                chart_png=tmp / "zan" / "graphiques" / "zan_trajectoire.png",
                estimate=result.zan.estimate)]
        from espass_geo.runs.aldo_epci import aldo_gap_sections  # whole EPCI only

        meta.setdefault("extra_sections", []).extend(
            aldo_gap_sections(result, tmp / "ecart_aldo"))
        hect = getattr(result.scenario, "zan_hectares", None)
        if hect is not None and len(hect):  # ZAN scenarios: hectares beside carbon
            from espass_geo.present.report.zan import zan_scenario_section

            labels = {s.name: s.label for s in getattr(result.scenario.config, "scenarios", [])}
            meta.setdefault("extra_sections", []).append(zan_scenario_section(
                hect, chart_png=tmp / "scenarios" / "zan_hectares_carbone.png",
                labels=labels))
        meta["zones"] = result.zones  # the static map of the report's synthesis
        render_report(t, meta=meta, charts={Path(p).stem: p for p in charts.values()
                                            if str(p).endswith(".png")},
                      out_path=tmp / "rapport.html")
        files["rapport.html"] = tmp / "rapport.html"
        # rapport.pdf printed by headless Chromium (another process) while the detailed
        # outputs are written here; no browser: a French warning, no PDF
        pdf = _print_report_in_background(tmp / "rapport.html")
        try:  # the browser is waited for even if a detailed output fails (it writes in tmp)
            report_progress("Écriture des sorties détaillées", 8)
            write_gpkg_layer(result.zones, tmp / "bilan.gpkg", "zones")
            if result.stocks is not None and result.stocks.parcels is not None:
                write_gpkg_layer(result.stocks.parcels, tmp / "bilan.gpkg", "parcelles")
            if result.scenario is not None and len(result.scenario.actions):
                write_gpkg_layer(result.scenario.actions, tmp / "bilan.gpkg", "actions_scenario")
            files["bilan.gpkg"] = tmp / "bilan.gpkg"
            # the detailed outputs of each module, in sub-folders
            write_stock_outputs(result.stocks, tmp / "stocks", params=meta["params"])
            if result.flows is not None:
                write_flow_outputs(result.flows, tmp / "flux", params=meta["params"])
            if result.flow_series is not None:
                from espass_geo.runs.flow_series import write_flow_series_outputs

                write_flow_series_outputs(result.flow_series, tmp / "flux_series",
                                          params=meta["params"], period_details=False)
            if result.emissions is not None:
                write_emission_outputs(result.emissions, tmp / "emissions", params=meta["params"],
                                       svg_charts=False)
        finally:
            pdf.wait()
        pdf_path = pdf.result()
        if pdf_path is not None:
            files["rapport.pdf"] = pdf_path
        # the configuration used, its paths made absolute: the copy runs again from the
        # output folder (a copy of the user's file would carry paths relative to its folder)
        name = cfg.path.name if cfg.path is not None else "bilan.toml"
        (tmp / name).write_text(config_as_toml(_absolute_paths(cfg)), encoding="utf-8")
        files[name] = tmp / name
    report_progress("Terminé", BILAN_STEPS)
    result.files = {name: out_dir / Path(p).relative_to(tmp) if str(p).startswith(str(tmp))
                    else out_dir / Path(p).name for name, p in files.items()}
    return result.files


class _PdfJob:
    """:func:`~espass_geo.present.report.pdf.write_report_pdf` run on a thread (the work is
    Chromium's, in its own process); :meth:`result` waits, re-raises an unexpected error and
    issues, on the caller's thread, the warning of a PDF not produced (the warnings machinery
    is not thread-safe, so the thread itself never warns)."""

    def __init__(self, html: Path) -> None:
        import threading

        self._out: dict = {}
        self._thread = threading.Thread(target=self._run, args=(html,), daemon=True)
        self._thread.start()

    def _run(self, html: Path) -> None:
        from espass_geo.present.report.pdf import write_report_pdf

        try:
            self._out["pdf"] = write_report_pdf(html, warn=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised by result() on the caller's thread
            self._out["error"] = exc

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Path | None:
        from espass_geo.present.report.pdf import _OFF, CHROMIUM_ENV, ReportPdfWarning

        self._thread.join()
        if "error" in self._out:
            raise self._out["error"]
        outcome = self._out["pdf"]
        off = os.environ.get(CHROMIUM_ENV, "").strip().lower() in _OFF
        if outcome.path is None and outcome.note and not off:
            warnings.warn(outcome.note, ReportPdfWarning, stacklevel=3)
        return outcome.path


def _print_report_in_background(html: Path) -> _PdfJob:
    return _PdfJob(html)


def cfg_first_scenario(result: BilanResult) -> str:
    return result.scenario.config.scenarios[0].name


def _signed(v: float) -> str:
    from espass_geo.present.fmt import fmt_mass_t

    s = fmt_mass_t(v, "tCO₂e")
    return s if s.startswith("\u2212") or v <= 0 else "+" + s


def _interval_text(bounds, unit: str, *, signed: bool = False) -> str:
    """`` [p05 – p95 unit/an] (intervalle à 90 %)`` after a synthesis figure of the map, or ""
    without finite bounds."""
    import math

    from espass_geo.present.fmt import fmt_interval_t

    if bounds is None or not all(math.isfinite(float(b)) for b in bounds):
        return ""
    per_year = "" if unit == "tC" else "/an"
    return (f" [{fmt_interval_t(bounds[0], bounds[1], unit, signed=signed)}{per_year}] "
            "(intervalle à 90\u00a0%)")


def _factor_names() -> list[str]:
    return ["aldo_soil_stock_ref", "aldo_soil_flux", "aldo_biomass_nonforest",
            "aldo_biomass_nonforest_flux", "ign_forest_carbon", "aldo_litter",
            "aldo_hedge_carbon", "clc_to_land_use", "rpg_to_clc", "n2o_soil_loss",
            "wood_products_france", "practices_aldo", "ipcc_soc_ref",
            "ipcc_stock_change_factors", "uncertainty", "consumption_per_capita",
            "sector_post_crosswalk", "regional_inventory_hdf", "substances", "ghg_air_synergies"]


def _meta(result: BilanResult) -> dict:
    cfg = result.config
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()
              if k not in ("raw",)}
    from espass_geo.reference.factor_set import factor_set_fingerprint

    params["factors"] = factor_set_fingerprint()  # the set active while writing: the run's
    return {"title": cfg.title, "territory_label": result.stocks.territory.label,
            "version": __version__, "generated_at": datetime.now().strftime("%d/%m/%Y %H:%M"),
            "params": params, "warnings": result.notes, "sources": [],
            "map_href": "index.html"}


def _absolute_paths(cfg: BilanConfig) -> BilanConfig:
    """``cfg`` with every input path absolute (series included)."""
    from dataclasses import replace

    keys = ("landcover", "before", "parcels", "areas", "changes", "forest_areas", "forest",
            "hedges", "inventory", "population", "footprint_adjustments", "scenario", "factors",
            "boundaries", "point_sources")
    changes = {k: Path(getattr(cfg, k)).resolve() for k in keys
               if isinstance(getattr(cfg, k, None), Path)}
    if isinstance(cfg.nomenclature, Path):
        changes["nomenclature"] = cfg.nomenclature.resolve()
    if cfg.series:
        changes["series"] = tuple((y, Path(p).resolve()) for y, p in cfg.series)
    return replace(cfg, **changes)
