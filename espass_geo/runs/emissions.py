"""Emission runs (edge module): territory + inventory + population (+ carbon flows) -> files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import HA_PER_M2, LAMBERT93
from espass_geo.core.emissions import (
    embedded_population,
    emissions_table,
    gwp,
    import_export_balance,
    inventory_for_zones,
    synergy_table,
    validate_inventory,
)
from espass_geo.errors import InputFileError, InventoryError
from espass_geo.io.inventory import (
    build_demo_inventory,
    read_footprint_adjustments,
    read_inventory,
    read_land_flows,
    read_point_sources,
    read_population,
)
from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
from espass_geo.present.exports import write_csv
from espass_geo.present.fmt import fmt_area_ha, fmt_mass_t, fmt_number, fmt_percent
from espass_geo.reference import data
from espass_geo.territory.resolve import Territory, resolve_territory

POLLUTANTS = ["NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3"]
DEMO_INVENTORY = "demo_inventory_communes_59_62.csv.gz"
ESTIMATE_NOTE_FR = ("Inventaire de démonstration : ESTIMATION (totaux Hauts-de-France 2021 / 2018 "
                    "répartis par des indicateurs : population, surfaces ; les grands sites "
                    "industriels placés dans leur commune avec un chiffre public ou estimé, à "
                    "vérifier pour certains : factors/point_sources_demo_59_62.csv), pas un "
                    "inventaire réel.")


@dataclass
class EmissionsResult:
    territory: Territory
    zones: gpd.GeoDataFrame
    table: pd.DataFrame
    balance: pd.DataFrame
    population: pd.DataFrame
    estimate: bool
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    #: the FactorSet the result was computed with (None: the shipped tables)
    factors: Any = None

    def total(self, view: str, substance: str = "GES") -> float:
        t = self.table[(self.table["view"] == view) & (self.table["substance"] == substance)]
        col = "emission_tCO2e" if substance == "GES" else "emission_t"
        return float(t[col].sum())


#: A zone of a user file bearing the code of a commune (or EPCI) gets that commune's inventory
#: and population only if its area is the commune's within this share. The embedded boundaries
#: are simplified (mapshaper, 25 % of the vertices kept, ~300 m between vertices): simplifying
#: them once more by up to 80 m changes the commune areas by 0.55 % (median), 3.3 % (99th
#: percentile), more than 5 % for 6 of the 1 539 communes (all under 250 ha). 5 % accepts a
#: commune drawn from another Admin Express edition; a part of a commune is refused (a zone
#: accepted gets at most 5 % too much).
AREA_TOLERANCE = 0.05
_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3}|\d{9})$")


@cache
def reference_areas_ha() -> pd.Series:
    """Area (ha) of each embedded commune (INSEE, COG 2018) and EPCI (SIREN 2018: the sum of
    its communes), from the embedded boundaries, indexed by code."""
    g = data.commune_geometries()
    com = pd.Series(g.geometry.area.to_numpy() * HA_PER_M2, index=g["code"].astype(str))
    c2e = data.communes_2018().assign(insee=lambda d: d["insee"].astype(str)).set_index(
        "insee")["epci"].astype(str)
    epci = com.groupby(com.index.map(c2e)).sum()
    return pd.concat([com, epci])


def zones_unlike_communes(territory: Territory) -> pd.DataFrame:
    """Zones of a user file (kind ``polygons``) bearing the code of an embedded commune or EPCI
    whose area differs from that commune's (EPCI's) by more than :data:`AREA_TOLERANCE`:
    ``zone_id, zone_name, area_ha, reference_ha, ratio`` (empty for communes, EPCI and
    ``dep:`` specifications, whose zones are the embedded boundaries)."""
    cols = ["zone_id", "zone_name", "area_ha", "reference_ha", "ratio"]
    if territory.kind != "polygons":
        return pd.DataFrame(columns=cols)
    z = territory.zones
    out = pd.DataFrame({"zone_id": z["zone_id"].astype(str).to_numpy(),
                        "zone_name": z["zone_name"].astype(str).to_numpy(),
                        "area_ha": z.geometry.area.to_numpy() * HA_PER_M2})
    out["reference_ha"] = out["zone_id"].map(reference_areas_ha())
    out["ratio"] = out["area_ha"] / out["reference_ha"]
    bad = out["reference_ha"].notna() & ((out["ratio"] - 1).abs() > AREA_TOLERANCE)
    return out.loc[bad, cols].reset_index(drop=True)


def zone_area_problem(territory: Territory) -> str | None:
    """French description of the zones of :func:`zones_unlike_communes` (``None``: none)."""
    bad = zones_unlike_communes(territory)
    if bad.empty:
        return None
    names = data.communes_2018().assign(insee=lambda d: d["insee"].astype(str)).set_index(
        "insee")["nom"]
    epci_names = data.epci_2018().assign(code=lambda d: d["code"].astype(str)).set_index(
        "code")["nom"]
    parts = []
    for r in bad.head(5).itertuples(index=False):
        is_epci = len(r.zone_id) == 9
        what = (f"l'EPCI {r.zone_id} ({epci_names.get(r.zone_id, r.zone_id)})" if is_epci
                else f"la commune {r.zone_id} ({names.get(r.zone_id, r.zone_id)})")
        parts.append(f"zone « {r.zone_name} » ({r.zone_id}) : {fmt_area_ha(r.area_ha)} contre "
                     f"{fmt_area_ha(r.reference_ha)} pour {what}, soit "
                     f"{fmt_percent(r.ratio, 1 if r.ratio >= 0.1 else 2)} de sa surface")
    more = f" et {len(bad) - 5} autre(s)" if len(bad) > 5 else ""
    where = territory.spec or territory.label
    return (f"{len(bad)} zone(s) du fichier de territoire « {where} » portent le code d'une "
            f"commune ou d'un EPCI sans en avoir la surface (écart toléré "
            f"{fmt_percent(AREA_TOLERANCE, 0)}, limites embarquées simplifiées) — "
            + " ; ".join(parts) + more + " : l'inventaire d'émissions et la population de toute "
            "la commune (ou de tout l'EPCI) y seraient appliqués, un résultat faux.")


def _area_remedy(territory: Territory) -> str:
    bad = zones_unlike_communes(territory)["zone_id"].tolist()
    communes = [z for z in bad if len(z) != 9][:5]
    epcis = [z for z in bad if len(z) == 9][:5]
    example = ",".join(communes) if communes else "epci:" + ",".join(epcis)
    return (f"Donnez des zones qui sont des communes ou des EPCI entiers (ex. --territory "
            f"{example}), ou donnez à vos zones leurs propres identifiants (--id-field) avec un "
            "inventaire (--inventory) et une population (--population) établis pour elles, ou "
            "calculez sans les émissions (espass-geo stocks, espass-geo flows).")


def unchecked_codes_note(territory: Territory, codes) -> str | None:
    """A note on the zones of a user file bearing a commune/EPCI code of the inventory that is
    not embedded (outside Nord and Pas-de-Calais): their area could not be compared."""
    if territory.kind != "polygons":
        return None
    known = reference_areas_ha().index
    ids = [z for z in territory.zones["zone_id"].astype(str)
           if _CODE_RE.match(z) and z not in known and z in set(codes)]
    if not ids:
        return None
    return (f"Surface non vérifiée pour {len(ids)} zone(s) de « {territory.spec or territory.label}"
            f" » ({', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}) : leur code est celui "
            "d'une commune ou d'un EPCI hors des limites embarquées (Nord, Pas-de-Calais) ; "
            "l'inventaire et la population de ce code y sont appliqués : vérifiez que chaque zone "
            "est bien la commune (l'EPCI) entière.")



def demo_inventory() -> pd.DataFrame:
    df = data.read_csv(data.data_path("factors", DEMO_INVENTORY), dtype={"territory_code": str})
    return validate_inventory(df, source=f"factors/{DEMO_INVENTORY}")


POINT_SOURCES_WITH_INVENTORY_FR = (
    "--point-sources « {points} » ne s'applique qu'à l'estimation de démonstration : votre "
    "inventaire « {inventory} » (--inventory) place déjà ses émetteurs dans leurs communes, et "
    "y ajouter des sites les compterait deux fois. Retirez --point-sources (ou la clé "
    "[emissions] point_sources), ou retirez --inventory pour recalculer l'estimation de "
    "démonstration avec vos sites.")


def demo_inventory_with(point_sources: str | Path, notes: list[str]) -> pd.DataFrame:
    """The demo estimate rebuilt with the user's point sources in place of the shipped ones
    (validated; the notes say so)."""
    path = Path(point_sources)
    pts = read_point_sources(path)
    label = f"table de sources ponctuelles (--point-sources) « {path} »"
    df = build_demo_inventory(pts, label=label)
    total = pts.loc[pts["substance"].isin(["GES", "CO2"]), "emission_t"].sum()
    notes.append(
        "Inventaire de démonstration : ESTIMATION recalculée avec vos sources ponctuelles "
        f"« {path.name} » ({len(pts)} ligne(s), {pts['name'].nunique()} site(s), "
        f"{fmt_mass_t(total, 'tCO₂e')} de GES par an) placées dans leur commune à la place des "
        "sites fournis ; le reste des totaux Hauts-de-France 2021 / 2018 est réparti par des "
        "indicateurs (population, surfaces) : pas un inventaire réel.")
    df = df.drop(columns=["_units", "_decimals"])
    return validate_inventory(df, source=label)


def zone_indicators(zones: gpd.GeoDataFrame, table: pd.DataFrame, population: pd.DataFrame
                    ) -> gpd.GeoDataFrame:
    """Map columns: per-capita GHG by post, direct GHG per capita, pollutants per km²."""
    z = zones[["zone_id", "zone_name", "geometry"]].copy()
    z["area_ha"] = z.geometry.area * HA_PER_M2
    pop = population.set_index("zone_id")["population"].astype(float)
    z["population"] = z["zone_id"].map(pop)
    ges = table[table["substance"] == "GES"]
    post = ges[ges["view"] == "post"].pivot_table(index="zone_id", columns="category",
                                                   values="emission_tCO2e", aggfunc="sum")
    for c in post.columns:
        z[f"ges_hab_{c}_tCO2e"] = z["zone_id"].map(post[c]) / z["population"]
    cons = post.drop(columns=["utilisation_terres"], errors="ignore").sum(axis=1)
    z["ges_hab_total_tCO2e"] = z["zone_id"].map(cons) / z["population"]
    if "utilisation_terres" in post:
        z["utilisation_terres_tCO2e_an"] = -z["zone_id"].map(post["utilisation_terres"])
    direct = ges[ges["view"] == "sector"].groupby("zone_id")["emission_tCO2e"].sum()
    z["ges_direct_hab_tCO2e"] = z["zone_id"].map(direct) / z["population"]
    pol = table[(table["view"] == "sector") & table["substance"].isin(POLLUTANTS)]
    pol = pol.groupby(["zone_id", "substance"])["emission_t"].sum().unstack()
    km2 = z["area_ha"] / 100.0
    for p in POLLUTANTS:
        if p in pol:
            z[f"{p}_t_km2"] = z["zone_id"].map(pol[p]) / km2
    return gpd.GeoDataFrame(z, geometry="geometry", crs=LAMBERT93)


def land_flows_on_zones(path: str | Path, territory: Territory) -> tuple[
        pd.DataFrame, Territory, list[str]]:
    """A ``flows_zones.csv`` keyed by the zones of ``territory``, re-aggregated when it is not.

    Rows per commune for EPCI zones are summed by EPCI (embedded commune → EPCI table, every
    commune of each EPCI required); rows per EPCI for a territory made of whole EPCI put the
    emissions on those EPCI zones (the returned territory). Any other key is refused: a land-use
    post of 0 for zones the table does not name would be silently wrong.
    """
    from espass_geo.runs.stocks import match_zones

    df = read_land_flows(path, [])  # validated (numbers, duplicates); zones checked here
    name = Path(path).name
    ids, zids = set(df["zone_id"]), [str(z) for z in territory.zones["zone_id"]]
    if set(zids) <= ids:
        return df[df["zone_id"].isin(zids)].reset_index(drop=True), territory, []
    com = data.communes_2018()
    c2e = com.assign(insee=com["insee"].astype(str), epci=com["epci"].astype(str)).set_index(
        "insee")["epci"]
    if ids <= set(c2e.index) and set(zids) <= set(c2e):  # communes -> EPCI zones
        members = c2e[c2e.isin(zids)]
        missing = sorted(set(members.index) - ids)
        if missing:
            raise InputFileError(
                f"table de flux de carbone « {name} » (--land-flows) : elle est par commune, le "
                f"territoire par EPCI, et {len(missing)} commune(s) de ces EPCI y manquent (ex. "
                f"{', '.join(missing[:5])}) : la somme par EPCI serait incomplète ; lancez "
                "espass-geo flows sur les mêmes EPCI et passez son flows_zones.csv.")
        d = df[df["zone_id"].isin(members.index)]
        agg = d.groupby(d["zone_id"].map(c2e))["flux_tCO2e_an"].sum()
        out = pd.DataFrame({"zone_id": zids, "flux_tCO2e_an": agg.reindex(zids).to_numpy()})
        return out, territory, [f"Flux de carbone « {name} » par commune, additionnés par EPCI "
                                f"({len(d)} communes → {len(zids)} EPCI)."]
    epcis = set(territory.zones["epci"].dropna().astype(str)) if "epci" in territory.zones \
        else set()
    if ids <= set(c2e) and epcis and epcis <= ids and territory.kind == "communes":
        whole = set(c2e[c2e.isin(epcis)].index) <= set(zids)
        if not whole:
            raise InputFileError(
                f"table de flux de carbone « {name} » (--land-flows) : elle est par EPCI, le "
                "territoire par commune sans couvrir des EPCI entiers : un flux d'EPCI ne se "
                "répartit pas entre ses communes ; lancez espass-geo flows sur ces communes "
                "(mêmes zones) et passez son flows_zones.csv.")
        geo, _, used = match_zones(territory, epcis, path)
        z = geo[["zone_id", "zone_name", "geometry"]].copy()
        for col in ("zpc", "departement", "region_code"):
            z[col] = None
        z["epci"] = z["zone_id"]
        et = Territory(zones=gpd.GeoDataFrame(z, geometry="geometry", crs=LAMBERT93),
                       label=territory.label, kind="epci", notes=list(territory.notes),
                       zpc_override=territory.zpc_override, spec=territory.spec)
        out = df[df["zone_id"].isin(used)].reset_index(drop=True)
        return out, et, [f"Flux de carbone « {name} » par EPCI : les émissions sont calculées "
                         f"sur les mêmes zones ({len(used)} EPCI) et non par commune."]
    read_land_flows(path, zids)  # refused: names the zones missing from the table
    raise InputFileError(f"table de flux de carbone « {name} » (--land-flows) : zones "
                         "différentes de celles du territoire")  # pragma: no cover


def compute_territory_emissions(
    territory: Territory | str,
    *,
    inventory: str | Path | None = None,
    population: str | Path | None = None,
    land_flows: pd.DataFrame | str | Path | None = None,
    zpc: str | None = None,
    footprint_adjustments: str | Path | pd.DataFrame | None = None,
    point_sources: str | Path | None = None,
) -> EmissionsResult:
    """Direct (by sector), allocated (by post) and consumption-based (by post) emissions.

    ``point_sources`` (a CSV of large emitters, see :func:`read_point_sources`) rebuilds the
    demo estimate with them in place of the shipped ones; refused with a user ``inventory``
    (which already places its emitters in their communes)."""
    territory = resolve_territory(territory, zpc=zpc)  # a Territory keeps its zones, gets zpc
    lf_notes: list[str] = []
    if isinstance(land_flows, str | Path):  # flows_zones.csv of espass-geo flows, validated
        land_flows, territory, lf_notes = land_flows_on_zones(land_flows, territory)
    zones = territory.zones
    notes = [*territory.notes, *lf_notes]
    problem = zone_area_problem(territory)  # per-commune quantities on a part of a commune
    if problem:
        raise InventoryError(problem + " " + _area_remedy(territory))
    if inventory is not None and point_sources is not None:
        raise InventoryError(POINT_SOURCES_WITH_INVENTORY_FR.format(
            inventory=Path(inventory).name, points=Path(point_sources).name))
    if inventory is None and point_sources is not None:
        inv = demo_inventory_with(point_sources, notes)
        estimate = True
        source = (f"estimation de démonstration recalculée avec les sources ponctuelles "
                  f"{Path(point_sources).name}")
    elif inventory is None:
        inv = demo_inventory()
        estimate = True
        notes.append(ESTIMATE_NOTE_FR)
        source = "estimation de démonstration (factors/demo_inventory_communes_59_62.csv.gz)"
    else:
        inv = read_inventory(inventory)
        estimate = False
        source = f"inventaire {Path(inventory).name}"
    inv_zone = inventory_for_zones(inv, zones, source=str(inventory or DEMO_INVENTORY),
                                   notes=notes if estimate else None)
    unchecked = unchecked_codes_note(territory, inv["territory_code"].unique())
    if unchecked:
        notes.append(unchecked)
    pop = (read_population(population, zones["zone_id"]) if population is not None
           else embedded_population(zones["zone_id"]))
    notes.append("Population : " + (f"fichier {Path(population).name}" if population else
                                    "COG 2018 (tables ALDO), même millésime que les limites"))
    adj = footprint_adjustments
    if adj is not None and not isinstance(adj, pd.DataFrame):
        adj = read_footprint_adjustments(adj, zones["zone_id"])
        notes.append(f"Empreinte ajustée localement ({Path(footprint_adjustments).name}).")
    table = emissions_table(inv_zone, pop, land_flows, estimate=estimate, source=source,
                            adjustments=adj)
    if land_flows is None:
        notes.append("Poste « utilisation des terres » absent : lancez les flux de carbone "
                     "(espass-geo flows) et passez --land-flows flows_zones.csv.")
    balance = import_export_balance(table)
    zg = zone_indicators(zones, table, pop)
    return EmissionsResult(territory=territory, zones=zg, table=table, balance=balance,
                           population=pop, estimate=estimate, notes=notes)


def write_emission_outputs(result: EmissionsResult, out_dir: str | Path, *, title: str | None = None,
                           params: dict | None = None, make_map: bool = True,
                           overwrite: bool = False, inputs=(),
                           svg_charts: bool = True) -> dict[str, Path]:
    """Write the emission outputs into ``out_dir`` atomically; ``svg_charts=False``: the
    charts in PNG only (a bilan's ``emissions/`` folder: #14 item 6)."""
    params = params or {}
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        files["emissions.csv"] = write_csv(result.table, tmp / "emissions.csv")
        pc = result.table.merge(result.population, on="zone_id", how="left")
        pc["emission_tCO2e_hab"] = pc["emission_tCO2e"] / pc["population"]
        pc["emission_t_hab"] = pc["emission_t"] / pc["population"]
        files["emissions_par_habitant.csv"] = write_csv(pc, tmp / "emissions_par_habitant.csv")
        files["bilan_importations.csv"] = write_csv(result.balance,
                                                    tmp / "bilan_importations.csv")
        write_gpkg_layer(result.zones, tmp / "emissions.gpkg", "zones")
        files["emissions.gpkg"] = tmp / "emissions.gpkg"
        t = result.table
        ges = t[t["substance"] == "GES"]
        by_sector = ges[ges["view"] == "sector"].groupby("category", as_index=False)[
            "emission_tCO2e"].sum()
        by_post = ges[ges["view"] == "post"].groupby("category", as_index=False)[
            "emission_tCO2e"].sum()
        pols = t[(t["view"] == "sector") & t["substance"].isin(POLLUTANTS)].groupby(
            ["category", "substance"], as_index=False)["emission_t"].sum()
        label = title or f"Émissions — {result.territory.label}"
        try:
            from espass_geo.present.charts import emissions_charts, pollutant_charts, synergy_chart
        except ImportError:  # pragma: no cover
            emissions_charts = None
        if emissions_charts is not None:
            files.update(emissions_charts(by_sector, by_post, tmp, title=label,
                                          estimate=result.estimate, svg=svg_charts))
            files.update(pollutant_charts(pols, tmp, title=label, svg=svg_charts))
            syn = synergy_table()
            write_csv(syn, tmp / "synergies_ges_air.csv")
            files["synergies_ges_air.csv"] = tmp / "synergies_ges_air.csv"
            files.update(synergy_chart(syn, tmp, title="Synergies et antagonismes climat – air",
                                       svg=svg_charts))
        if make_map:
            from espass_geo.present.maps import emissions_map

            emissions_map(result.zones, title=label, notes=result.notes,
                          estimate=result.estimate, html_path=tmp / "carte_emissions.html")
            files["carte_emissions.html"] = tmp / "carte_emissions.html"
        (tmp / "LISEZ-MOI_emissions.txt").write_text(_readme(result, params), encoding="utf-8")
    out_dir = Path(out_dir)
    result.files = {name: out_dir / Path(p).name for name, p in files.items()}
    return result.files


def _readme(result: EmissionsResult, params: dict) -> str:
    lines = [
        "espass_geo — émissions",
        f"Version : {__version__}",
        f"Territoire : {result.territory.label} ({len(result.zones)} zones)",
        "Vues (colonne view) : sector = émissions directes par secteur PCAET (inventaire) ; "
        "post_direct = les mêmes réparties entre les 7 postes ESPASS (factors/"
        "sector_post_crosswalk.csv) ; post = empreinte de consommation (par habitant × "
        "population) et utilisation des terres (flux de carbone, signe inversé).",
        "Unités : emission_t en tonnes (gaz et polluants), emission_tCO2e en tonnes équivalent "
        f"CO2 (PRG100 GIEC AR6 : CH4 {fmt_number(gwp('CH4'), 1)} ; N2O "
        f"{fmt_number(gwp('N2O'), 0)}). Les émissions sont positives ; le poste "
        "utilisation des terres est négatif quand le territoire séquestre.",
        "bilan_importations.csv : par poste, empreinte de consommation − émissions directes "
        "réparties ; positif = émissions importées, négatif = exportées.",
        "",
        "Avertissements :", *[f"  - {n}" for n in result.notes],
        "",
        "Paramètres : " + json.dumps(params, ensure_ascii=False, default=str),
    ]
    return "\n".join(lines) + "\n"


__all__ = ["EmissionsResult", "compute_territory_emissions", "write_emission_outputs"]
