"""End-to-end runs (the edge of the package): territory + land cover -> stocks -> files.

Compute modules stay pure; this module reads inputs, calls them and writes outputs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import HA_PER_M2, LAMBERT93, SIGN_CONVENTION_FR
from espass_geo.core.areas import (
    MAX_NODATA_SHARE,
    AreaTable,
    parcel_area_table,
)
from espass_geo.core.density import DensityGrid
from espass_geo.core.stocks import compute_stocks, zone_totals
from espass_geo.core.uncertainty import TOTAL, stock_interval
from espass_geo.errors import (
    AreaTableError,
    EmptyTerritoryError,
    InputFileError,
    NoOverlapError,
    UnknownLandCoverClassError,
)
from espass_geo.io.area_tables import area_table_from_csv, validate_csv_zones
from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
from espass_geo.io.parcels import read_parcels
from espass_geo.present.exports import write_csv
from espass_geo.reference import data
from espass_geo.reference.factors import (
    aldo_epci_soil_densities,
    aldo_epci_soil_sirens,
    canonical_method,
    land_use_classes,
)
from espass_geo.runs.landcover import (
    VECTOR_MAP_RESOLUTION_M,
    clc_area_table,
    resolve_landcover,
)
from espass_geo.territory.resolve import Territory, resolve_territory
from espass_geo.territory.zones import zone_attributes, zpc_mix

log = logging.getLogger(__name__)

SYNTHETIC_NOTE_FR = (
    "Occupation du sol : donnée de démonstration SYNTHÉTIQUE calibrée (surfaces CLC 2018 réelles "
    "par EPCI, parcelles RPG réelles, disposition inventée) — ce n'est pas une donnée réelle ; "
    "remplacez-la par CLC 2018, l'OCS GE ou l'OCS2D (voir landcover/README.md)."
)
def sources_note(result: StocksResult) -> str:
    parts = ["Limites communales : IGN Admin Express COG 2018",
             "facteurs : ADEME ALDO (sols GIS Sol RMQS, biomasse IGN)"
             + (" et GIEC 2006 Tier 1 (sol)" if result.method == "ipcc" else "")]
    if result.landcover is None:
        parts.append("surfaces : table fournie (Corine Land Cover 2018 par EPCI, ALDO, pour la "
                     "démonstration régionale)")
    if result.parcels is not None:
        parts.append("parcelles : RPG (IGN/ASP)")
    return "Sources — " + " ; ".join(parts) + "."


@dataclass
class StocksResult:
    """Everything a stock run produced, in memory."""

    territory: Territory
    zones: gpd.GeoDataFrame  # zone geometry + totals
    areas: AreaTable
    stocks: pd.DataFrame  # tidy long table (zone × land use × ZPC × pool)
    method: str
    parcels: gpd.GeoDataFrame | None = None  # parcel geometry + totals
    parcel_stocks: pd.DataFrame | None = None
    landcover: Path | None = None
    #: stock density (tC/ha) on the land-cover grid, cropped to the territory (raster input)
    density: DensityGrid | None = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    #: the FactorSet the result was computed with (None: the shipped tables)
    factors: Any = None
    #: 90 % interval of the territory's stock (tC): (p05, p95), factor errors only
    #: (:func:`espass_geo.core.uncertainty.stock_interval`, errors shared across zones)
    total_interval: tuple[float, float] | None = None

    @property
    def total_stock_tC(self) -> float:
        return float(self.stocks["stock_tC"].sum())


def is_synthetic(landcover) -> bool:
    from espass_geo.runs.landcover import is_synthetic as _is_synthetic

    return _is_synthetic(landcover)


def match_zones(territory: Territory, ids: set[str], path,
                notes: list[str] | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame,
                                                         list[str]]:
    """Zones of ``territory`` matching the zone ids of a user table (communes or their EPCI).

    Returns the zone geometries, their attributes (:func:`~espass_geo.territory.zones.zone_attributes`,
    with a ZPC mix for EPCI and the territory's ``zpc_override`` applied last) and the ids used.
    A French note on EPCI larger than the communes asked for is appended to ``notes`` (the
    territory is not modified).
    """
    z = territory.zones
    override = territory.zpc_override
    if ids & set(z["zone_id"]):
        keep = z[z["zone_id"].isin(ids)]
        return keep, zone_attributes(keep, zpc_override=override), keep["zone_id"].tolist()
    epcis = set(z["epci"].dropna())
    if territory.kind == "communes" and ids & epcis:
        used = sorted(ids & epcis)
        sub = z[z["epci"].isin(used)]
        geo = sub.dissolve(by="epci", as_index=False)[["epci", "geometry"]]
        # communes without shipped boundaries (tables-only territories, #13): no geometry,
        # not an empty shape of 0 ha
        geo.loc[geo.geometry.is_empty, "geometry"] = None
        names = data.epci_2018().set_index("code")["nom"]
        geo = geo.rename(columns={"epci": "zone_id"})
        geo["zone_name"] = geo["zone_id"].map(names).fillna(geo["zone_id"])
        groups = {e: sub.loc[sub["epci"] == e, "zone_id"].tolist() for e in used}
        from espass_geo.territory.zones import commune_areas

        areas_w = commune_areas(sub["zone_id"], sub.rename(columns={"zone_id": "code"}))
        attrs = zone_attributes(zpc_mix(groups, areas=areas_w).merge(
            geo[["zone_id", "zone_name"]], on="zone_id"), zpc_override=override)
        members = data.communes_2018()
        full = set(members.loc[members["epci"].isin(used), "insee"])
        if full - set(z["zone_id"]):
            from espass_geo.present.fmt import fmt_number

            asked = (f"sur les {fmt_number(len(z))} communes demandées" if len(z) > 1
                     else "sur la commune demandée")
            msg = (f"La table « {Path(str(path)).name} » est par EPCI : les résultats portent sur "
                   f"les EPCI entiers ({fmt_number(len(full))} communes), pas seulement {asked}.")
            if notes is not None and msg not in notes:
                notes.append(msg)
        return gpd.GeoDataFrame(geo, geometry="geometry", crs=LAMBERT93), attrs, used
    sample = sorted(ids)[:3]
    raise AreaTableError(
        f"table de surfaces « {Path(str(path)).name} » : ses identifiants de zone "
        f"({', '.join(map(str, sample))}…) ne sont ni les zones du territoire « {territory.label} » "
        f"(codes INSEE comme {z['zone_id'].iloc[0]}) ni les SIREN de leurs EPCI ; utilisez les "
        "mêmes codes dans le fichier et dans --territory."
    )


def _zones_for_area_table(territory: Territory, areas: AreaTable, path) -> tuple[
        gpd.GeoDataFrame, pd.DataFrame, AreaTable]:
    """Match the zone ids of a user area table with the territory (communes or EPCI)."""
    matched: list[str] = []
    zones, attrs, used = match_zones(territory, set(areas.table["zone_id"]), path, matched)
    t = areas.table[areas.table["zone_id"].isin(used)]
    summ = areas.summary[areas.summary["zone_id"].isin(used)].copy()
    poly = zones.set_index("zone_id").geometry.area * 1e-4
    summ["polygon_area_ha"] = summ["zone_id"].map(poly)

    notes = validate_csv_zones(territory, summ, used, path)  # missing zones, closure
    summ["nodata_area_ha"] = (summ["polygon_area_ha"] - summ["classified_area_ha"]).clip(lower=0)
    return zones, attrs, AreaTable(t, summ, [*matched, *areas.notes, *notes])


EPCI_SOIL_NOTE_FR = ("Sols : références ALDO par EPCI (pondérées par l'emplacement de chaque "
                     "occupation), comme ALDO, et non la ZPC de l'EPCI pondérée par la surface "
                     "des communes (table de surfaces par EPCI, méthode aldo / aldo-commune).")


def epci_soil_references(territory: Territory, zones: gpd.GeoDataFrame, at: AreaTable,
                         method: str) -> pd.DataFrame | None:
    """ALDO's per-EPCI soil references (:func:`~espass_geo.reference.factors.aldo_epci_soil_densities`)
    when the zones are whole EPCI from a per-EPCI area table (their SIRENs are not zones of the
    territory but are in ALDO's table), the method is ``aldo`` and no ZPC is imposed; else None.
    Communes keep their own ZPC."""
    if method != "aldo" or territory.zpc_override:
        return None
    ids = [str(z) for z in zones["zone_id"]]
    if not ids or set(ids) & set(territory.zones["zone_id"].astype(str)):
        return None
    sirens = aldo_epci_soil_sirens(ids)
    if not sirens:
        return None
    return aldo_epci_soil_densities(sirens, land_use_classes().index.tolist())


def _parcel_attrs(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """ZPC/region of each parcel: the zone holding its representative point (else nearest)."""
    pts = gpd.GeoDataFrame({"parcel_id": parcels["parcel_id"]},
                           geometry=parcels.geometry.representative_point(), crs=LAMBERT93)
    j = gpd.sjoin_nearest(pts, zones[["zone_id", "zpc", "region_code", "departement",
                                      "geometry"]], how="left")
    j = j.drop_duplicates("parcel_id")
    return pd.DataFrame({"zone_id": j["parcel_id"].to_numpy(), "commune_id": j["zone_id"].to_numpy(),
                         "zpc": j["zpc"].to_numpy(), "region_code": j["region_code"].to_numpy(),
                         "departement": j["departement"].to_numpy()})


def _input_name(value) -> str:
    return "(GeoDataFrame)" if isinstance(value, gpd.GeoDataFrame) else str(value)


def parcels_in_territory(parcels: gpd.GeoDataFrame, territory: Territory,
                         source) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Parcels that touch the territory, and French notes on those left out (count, ha).

    Parcels wholly outside are dropped; the part outside of those straddling the boundary is
    not counted (the cross-tab clips them to the zones). No parcel at all on the territory is
    an error: the file is not the one meant, or the territory is not.
    """
    from espass_geo.present.fmt import fmt_area_ha

    name = _input_name(source)
    if parcels.empty:
        raise EmptyTerritoryError(f"le fichier de parcelles « {name} » ne contient aucune "
                                  "parcelle ; donnez une couche du RPG, ou retirez les "
                                  "parcelles (--parcels, clé parcels).")
    tgeom = territory.zones.union_all()
    area_ha = parcels.geometry.area.to_numpy() * HA_PER_M2
    touches = parcels.intersects(tgeom).to_numpy()
    if not touches.any():
        raise NoOverlapError(
            f"aucune des {len(parcels)} parcelles de « {name} » ({fmt_area_ha(area_ha.sum())}) "
            f"ne touche le territoire « {territory.label} » ; vérifiez le fichier de parcelles "
            "(département, millésime, projection) ou le territoire, ou retirez les parcelles "
            "(--parcels, clé parcels)."
        )
    notes = []
    if not touches.all():
        n_out = int((~touches).sum())
        notes.append(f"Parcelles : {n_out} parcelle(s) de « {name} » sur {len(parcels)} "
                     f"({fmt_area_ha(area_ha[~touches].sum())}) sont hors du territoire : "
                     "ignorées.")
    inside = parcels[touches]
    within = inside.within(tgeom).to_numpy()
    if not within.all():
        cross = inside[~within]
        out_ha = float((cross.geometry.area - cross.geometry.intersection(tgeom).area).sum()
                       * HA_PER_M2)
        if out_ha > 0.005:
            notes.append(f"Parcelles : {len(cross)} parcelle(s) à cheval sur la limite du "
                         f"territoire ; leurs {fmt_area_ha(out_ha)} hors du territoire ne sont "
                         "pas comptés.")
    return inside.reset_index(drop=True), notes


def add_interval_columns(zones: pd.DataFrame, interval: pd.DataFrame,
                         value_col: str) -> tuple[float, float] | None:
    """Put the per-zone bounds of ``interval`` (:func:`~espass_geo.core.uncertainty.stock_interval`
    or :func:`~espass_geo.core.uncertainty.flow_interval`: ``zone_id, value_col,
    value_col_p05, value_col_p95`` and a ``TOTAL`` row) into ``zones`` (in place), right after
    ``value_col``; return the territory's (p05, p95), None without a TOTAL row."""
    total = None
    for i, suffix in enumerate(("_p05", "_p95")):
        col = value_col + suffix
        per_zone = interval.set_index(interval["zone_id"].astype(str))[col] if len(interval) \
            else pd.Series(dtype=float)
        values = zones["zone_id"].astype(str).map(per_zone).astype(float)
        if col in zones:
            zones[col] = values
        else:
            zones.insert(list(zones.columns).index(value_col) + 1 + i, col, values)
    if len(interval) and (interval["zone_id"] == TOTAL).any():
        row = interval[interval["zone_id"] == TOTAL].iloc[0]
        total = (float(row[value_col + "_p05"]), float(row[value_col + "_p95"]))
    return total


def compute_territory_stocks(
    territory: Territory | str,
    *,
    landcover: str | Path | None = None,
    areas: str | Path | None = None,
    parcels: str | Path | gpd.GeoDataFrame | None = None,
    parcels_gdf: gpd.GeoDataFrame | None = None,
    hedges: str | Path | pd.DataFrame | None = None,
    zpc: str | None = None,
    method: str = "aldo",
    engine: str = "hybrid",
    max_nodata_share: float = MAX_NODATA_SHARE,
    id_field: str | None = None,
    name_field: str | None = None,
    nomenclature: str | Path | None = "clc",
    code_field: str | None = None,
    forest: str | Path | None = None,
) -> StocksResult:
    """Carbon stocks of a territory from a land-cover raster or a table of areas.

    Exactly one of ``landcover`` (GeoTIFF, CLC codes, EPSG:2154) and ``areas`` (CSV) is given.
    With ``parcels`` (RPG GeoPackage, raster input only), the parcels' declared land use
    prevails inside them and stocks are also computed per parcel; parcels outside the territory
    are left out and reported (count, ha). A zone more than ``max_nodata_share`` outside the
    raster or in no-data is an error (more than 1 %: a warning), see
    :func:`espass_geo.core.areas.check_coverage`.
    """
    if (landcover is None) == (areas is None):
        raise InputFileError("donnez soit un raster d'occupation du sol (--landcover), soit une "
                             "table de surfaces (--areas), l'un des deux et pas les deux.")
    if parcels is not None and landcover is None:
        raise InputFileError(
            f"les parcelles « {_input_name(parcels)} » ne s'utilisent qu'avec un raster "
            "d'occupation du sol (--landcover), où la culture déclarée remplace le raster dans "
            "chaque parcelle ; avec une table de surfaces (--areas) elles ne changeraient pas "
            "les surfaces des zones. Retirez --parcels, ou donnez --landcover au lieu de --areas."
        )
    method = canonical_method(method)  # « aldo-commune » is « aldo » (issue #13)
    territory = resolve_territory(territory, zpc=zpc, id_field=id_field, name_field=name_field)
    notes = list(territory.notes)
    parcel_gdf = None
    if parcels is not None:
        parcel_gdf = parcels_gdf if parcels_gdf is not None else parcels if isinstance(
            parcels, gpd.GeoDataFrame) else read_parcels(parcels)  # parcels_gdf: read already
        parcel_gdf, parcel_notes = parcels_in_territory(parcel_gdf, territory, parcels)
        notes += parcel_notes
    lc = None
    if forest is not None and landcover is None:
        raise InputFileError(
            f"la BD Forêt « {forest} » précise la forêt d'une occupation du sol (--landcover) ; "
            "avec une table de surfaces (--areas), donnez les surfaces de peupleraies dans la "
            "table (ou --forest-areas pour les flux). Retirez --forest ou donnez --landcover.")
    if landcover is not None:
        zones = territory.zones
        lc = resolve_landcover(landcover, zones=zones, code_field=code_field,
                               nomenclature=nomenclature)
        # product codes -> CLC codes (issue #11): a raster's after the cross-tab, a vector
        # layer's at reading
        at = clc_area_table(zones, lc, parcels=parcel_gdf, engine=engine,
                            max_nodata_share=max_nodata_share, nomenclature=nomenclature)
        if forest is not None:
            at = refine_with_bdforet(at, zones, lc, forest, nomenclature=nomenclature)
        attrs = zone_attributes(zones, zpc_override=territory.zpc_override)
        if is_synthetic(lc):
            notes.append(SYNTHETIC_NOTE_FR)
    soil_refs = None
    if landcover is None:
        at = area_table_from_csv(areas)
        zones, attrs, at = _zones_for_area_table(territory, at, areas)
        soil_refs = epci_soil_references(territory, zones, at, method)
    notes += at.notes
    if soil_refs is not None:
        notes.append(EPCI_SOIL_NOTE_FR)
    hedge_df = None
    if hedges is not None:
        # a CSV (validated: numbers, duplicates, zones, km/ha) or a BD Haie linear layer
        from espass_geo.io.forest_layers import read_hedges_any

        hedge_df = hedges if isinstance(hedges, pd.DataFrame) else read_hedges_any(hedges, zones)
    try:
        stocks = compute_stocks(at.table, attrs, method=method, hedges=hedge_df,
                                zpc_override=territory.zpc_override, soil_densities=soil_refs)
    except UnknownLandCoverClassError as exc:
        source = (f"raster d'occupation du sol « {landcover} »" if landcover is not None
                  else f"table de surfaces « {areas} »")
        detail = str(exc).removeprefix("occupation du sol : ")  # map_codes' default source
        raise UnknownLandCoverClassError(f"{source} : {detail}", exc.codes) from None
    totals = zone_totals(stocks)
    zgeo = zones[["zone_id", "geometry"]].merge(totals, on="zone_id", how="left")
    total_interval = add_interval_columns(zgeo, stock_interval(stocks), "stock_tC")
    summ = at.summary.set_index("zone_id")
    for col in ("polygon_area_ha", "nodata_area_ha", "parcel_area_ha", "disagreement_ha"):
        zgeo[col] = zgeo["zone_id"].map(summ[col])
    if "zone_name" not in zgeo or zgeo["zone_name"].isna().any():
        names = zones.set_index("zone_id")["zone_name"] if "zone_name" in zones else None
        if names is not None:
            zgeo["zone_name"] = zgeo["zone_id"].map(names)
    result = StocksResult(territory=territory, zones=gpd.GeoDataFrame(zgeo, crs=LAMBERT93),
                          areas=at, stocks=stocks, method=method,
                          landcover=Path(landcover) if landcover else None, notes=notes,
                          total_interval=total_interval)
    if parcel_gdf is not None and len(parcel_gdf):
        pat = parcel_area_table(parcel_gdf)
        pattrs = _parcel_attrs(parcel_gdf, territory.zones)
        pattrs["zone_name"] = parcel_gdf["code_cultu"].to_numpy()
        pst = compute_stocks(pat.table, pattrs, method=method,
                             zpc_override=territory.zpc_override)
        ptot = zone_totals(pst).rename(columns={"zone_id": "parcel_id"})
        lu = pst[pst["pool"] == "soil"].drop_duplicates("zone_id").set_index("zone_id")
        pg = parcel_gdf[["parcel_id", "code_cultu", "code_group", "code", "geometry"]].merge(
            ptot.drop(columns="zone_name"), on="parcel_id", how="left")
        pg["land_use"] = pg["parcel_id"].map(lu["land_use"])
        pg["land_use_fr"] = pg["parcel_id"].map(lu["land_use_fr"])
        pg["commune_id"] = pg["parcel_id"].map(pattrs.set_index("zone_id")["commune_id"])
        result.parcels = gpd.GeoDataFrame(pg, geometry="geometry", crs=LAMBERT93)
        result.parcel_stocks = pst.rename(columns={"zone_id": "parcel_id",
                                                   "zone_name": "code_cultu"})
    if lc is not None:
        from espass_geo.runs.landcover import raster_view

        result.density = stock_density(result, raster=raster_view(lc, territory.zones))
        if lc.is_vector:
            result.notes.append(
                f"Carte de densité de stock : la couche « {landcover} » est dessinée en pixels de "
                f"{VECTOR_MAP_RESOLUTION_M:g} m (règle du centre de pixel) pour la carte ; les "
                "surfaces et les stocks sont calculés exactement sur les polygones.")
    return result


def refine_with_bdforet(at: AreaTable, zones: gpd.GeoDataFrame, lc, forest,
                        *, nomenclature=None) -> AreaTable:
    """The forest codes of the area table inside BD Forêt polygons take the BD Forêt
    composition (poplars priced as poplars, issue #11); zone totals unchanged."""
    from espass_geo.core.forest_refine import bdforet_pieces, refine_forest_areas
    from espass_geo.io.forest_layers import read_bdforet
    from espass_geo.reference.crosswalks import recode_area_table
    from espass_geo.runs.landcover import forest_inside

    fgdf = forest if isinstance(forest, gpd.GeoDataFrame) else read_bdforet(
        forest, bbox=tuple(zones.total_bounds))
    inside = forest_inside(lc, bdforet_pieces(zones, fgdf))
    if not lc.is_vector and nomenclature not in (None, "clc"):  # product codes -> CLC
        inside, _ = recode_area_table(inside, nomenclature)
    table, notes = refine_forest_areas(at.table, inside)
    return AreaTable(table=table, summary=at.summary, notes=[*at.notes, *notes])


def stock_density(result: StocksResult, *, raster: Path | None = None) -> DensityGrid:
    """Per-pixel stock density of a raster-based stock result (tC/ha, territory window);
    ``raster``: the land cover as a raster (a vector layer drawn in pixels)."""
    from espass_geo.core.density import density_grid, zone_code_lut

    if raster is None and result.landcover is not None:
        from espass_geo.io.landcover_vectors import is_vector_landcover

        if is_vector_landcover(result.landcover):
            return None  # type: ignore[return-value]  # drawn by compute_territory_stocks only
        raster = result.landcover
    if raster is None:
        raise InputFileError("la densité de stock par pixel demande un raster d'occupation du "
                             "sol ; une table de surfaces (--areas) n'en donne pas.")
    zone_ids = result.territory.zones["zone_id"].tolist()
    lut = zone_code_lut(result.stocks, result.territory.zones.drop(columns="geometry"),
                        zone_ids, method=result.method)
    return density_grid(raster, result.territory.zones, lut, parcels=result.parcels)


def _readme_text(result: StocksResult, params: dict) -> str:
    lines = [
        "espass_geo — stocks de carbone",
        f"Version : {__version__}",
        f"Territoire : {result.territory.label} ({len(result.zones)} zones)",
        f"Méthode (sol) : {result.method} ; biomasse, litière, bois mort : ALDO / IGN",
        "Unités : surfaces en ha, stocks en tC et tCO2e (1 tC = 44/12 tCO2e), densités en tC/ha.",
        "Projection : Lambert-93 (EPSG:2154).",
        SIGN_CONVENTION_FR + " (Les stocks, eux, sont toujours positifs.)",
        "",
        "Fichiers :",
        "  stocks.csv        table longue zone × occupation du sol × ZPC × réservoir "
        "(area_ha répétée sur chaque réservoir : sommer les surfaces sur pool == soil)",
        "  stocks_zones.csv  totaux par zone (stock_tC_p05 / stock_tC_p95 : intervalle à 90 % "
        "du stock, erreurs des facteurs seulement, surfaces supposées exactes)",
        "  areas.csv         table des surfaces (zone × code CLC × source)",
        "  area_closure.csv  bouclage des surfaces par zone (classes + sans donnée = surface)",
        "  stocks.gpkg       couches « zones » et « parcelles »",
        "  stock_density.tif densité de stock par pixel (tC/ha), si un raster est fourni",
        "  carte_stocks.html carte web (dossier lib/ à publier avec)",
        "",
        "Avertissements :",
        *[f"  - {n}" for n in result.notes],
        "",
        "Paramètres : " + json.dumps(params, ensure_ascii=False, default=str),
    ]
    return "\n".join(lines) + "\n"


def write_stock_outputs(result: StocksResult, out_dir: str | Path, *, params: dict | None = None,
                        title: str | None = None, make_map: bool = True,
                        overwrite: bool = False, inputs=()) -> dict[str, Path]:
    """Write the stock outputs into ``out_dir`` atomically (nothing partial on error).

    Only serialises ``result`` (the density grid is computed by :func:`compute_territory_stocks`).
    """
    from espass_geo.core.density import write_density_grid

    params = params or {}
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        files["stocks.csv"] = write_csv(result.stocks, tmp / "stocks.csv")
        zt = pd.DataFrame(result.zones.drop(columns="geometry"))
        files["stocks_zones.csv"] = write_csv(zt, tmp / "stocks_zones.csv")
        files["areas.csv"] = write_csv(result.areas.table, tmp / "areas.csv")
        files["area_closure.csv"] = write_csv(result.areas.summary, tmp / "area_closure.csv")
        write_gpkg_layer(result.zones, tmp / "stocks.gpkg", "zones")
        if result.parcels is not None:
            write_gpkg_layer(result.parcels, tmp / "stocks.gpkg", "parcelles")
            write_csv(result.parcel_stocks, tmp / "stocks_parcelles.csv")
            files["stocks_parcelles.csv"] = tmp / "stocks_parcelles.csv"
        files["stocks.gpkg"] = tmp / "stocks.gpkg"
        raster_png = None
        if result.landcover is not None and result.density is None:  # built by hand
            result.density = stock_density(result)
        if result.density is not None:
            tif = write_density_grid(result.density, tmp / "stock_density.tif")
            files["stock_density.tif"] = tif
            if make_map:
                from espass_geo.present.maps import raster_to_png

                raster_png = raster_to_png(tif, tmp / "stock_density.png")
        if make_map:
            from espass_geo.present.maps import stocks_map

            notes = [*result.notes, sources_note(result)]
            stocks_map(result.zones, title=title or f"Stocks de carbone — {result.territory.label}",
                       parcels=result.parcels, raster_png=raster_png, notes=notes,
                       html_path=tmp / "carte_stocks.html")
            files["carte_stocks.html"] = tmp / "carte_stocks.html"
        (tmp / "LISEZ-MOI_stocks.txt").write_text(_readme_text(result, params), encoding="utf-8")
    out_dir = Path(out_dir)
    result.files = {name: out_dir / p.name for name, p in files.items()}
    return result.files
