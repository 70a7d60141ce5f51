"""Emission-side user tables read from CSV: inventory, population, local footprint adjustments,
land-use carbon flows (``flows_zones.csv``). Every table goes through :mod:`.tables`; the checks
on the parsed DataFrame are in :mod:`espass_geo.core.emissions`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from espass_geo.core.emissions import (
    MAX_ADJUSTMENT,
    UNIT_TO_T,
    validate_adjustments,
    validate_inventory,
)
from espass_geo.errors import InputFileError, InventoryError
from espass_geo.io import tables
from espass_geo.io.tables import Number


def read_inventory(path: str | Path) -> pd.DataFrame:
    """An inventory CSV (factors/README.md, « Schéma d'inventaire »), validated: numbers with
    :mod:`.tables` (line, column and value named), then :func:`validate_inventory`."""
    path = Path(path)
    t = tables.read_table(path, "inventaire", required=["territory_code", "value"],
                          error=InventoryError)
    tables.check_no_empty(t, ["territory_code"], error=InventoryError)
    tables.check_codes(t, ["territory_code"], error=InventoryError)
    df = tables.numbers(t, {"value": Number(minimum=0)}, error=InventoryError)
    return validate_inventory(df, source=f"inventaire « {path} »", lines=t.lines)


def read_population(path: str | Path, zone_ids: pd.Series, *, cog: int = 2018) -> pd.DataFrame:
    """A population table ``zone_id|insee, population[, cog]``; its COG vintage must match."""
    path = Path(path)
    t = tables.read_table(path, "table de population", error=InventoryError)
    df = t.df
    zcol = "zone_id" if "zone_id" in df else "insee" if "insee" in df else None
    if zcol is None or "population" not in df:
        raise InventoryError(f"table de population « {path} » : colonnes zone_id (ou insee) et "
                             f"population requises ; trouvé {list(df.columns)}.")
    if "cog" in df:
        vint = set(pd.to_numeric(df["cog"], errors="coerce").dropna().astype(int))
        if vint and vint != {cog}:
            raise InventoryError(
                f"table de population « {path} » : COG {sorted(vint)} alors que les limites sont "
                f"au COG {cog} : les communes fusionnées ou scindées ne correspondraient pas ; "
                f"donnez les populations sur les codes du COG {cog} (ou convertissez-les avec "
                "boundaries/cog2026_communes_59_62.csv, anciens_codes).")
    tables.check_no_empty(t, [zcol], error=InventoryError)
    tables.check_codes(t, [zcol], error=InventoryError)
    # a population of 0 would divide every per-inhabitant figure by zero (inf published)
    num = tables.numbers(t, {"population": Number(minimum=0, strict=True)},
                         error=InventoryError)
    tables.check_duplicates(t, [zcol], error=InventoryError)
    pop = num.set_index(num[zcol].astype(str))["population"]
    missing = [z for z in zone_ids if z not in set(pop.index)]
    if missing:
        raise InventoryError(
            tables.missing_zones_message(t, missing, set(pop.index))
            + " ; donnez la population de chaque zone du territoire.")
    return pd.DataFrame({"zone_id": zone_ids.to_numpy(),
                         "population": pop.reindex(zone_ids).to_numpy()})


def read_footprint_adjustments(path: str | Path, zone_ids) -> pd.DataFrame:
    """Local footprint adjustments (``zone_id|*, post, factor, driver``) from a CSV, validated;
    a zone that is not in the territory is refused (its adjustment would silently apply to
    nothing)."""
    path = Path(path)
    t = tables.read_table(path, "table d'ajustements de l'empreinte",
                          required=["zone_id", "post", "factor", "driver"], error=InventoryError)
    tables.check_no_empty(t, ["zone_id", "post", "driver"], error=InventoryError)
    tables.check_codes(t, ["zone_id"], error=InventoryError)
    df = tables.numbers(t, {"factor": Number(minimum=0, strict=True, maximum=MAX_ADJUSTMENT)},
                        error=InventoryError)
    tables.check_duplicates(t, ["zone_id", "post"], error=InventoryError)
    ids = set(map(str, zone_ids))
    unknown = [(t.line(i), z) for i, z in df["zone_id"].items() if z != "*" and z not in ids]
    if unknown:
        raise InventoryError(
            f"{t.label} : zone(s) absente(s) du territoire : "
            + ", ".join(f"{z} (ligne {ln})" for ln, z in unknown[:8])
            + " ; utilisez les codes des zones du territoire, ou * pour toutes les zones.")
    return validate_adjustments(df, source=t.label)


def read_land_flows(path: str | Path, zone_ids) -> pd.DataFrame:
    """Land-use carbon flows per zone (``flows_zones.csv`` of ``espass-geo flows``:
    ``zone_id, flux_tCO2e_an``), validated: numbers finite (any sign), one row per zone, every
    zone of the territory present (flows run on another territory would silently count 0)."""
    path = Path(path)
    t = tables.read_table(path, "table de flux de carbone (--land-flows)",
                          required=["zone_id", "flux_tCO2e_an"], error=InputFileError)
    tables.check_no_empty(t, ["zone_id"], error=InputFileError)
    df = tables.numbers(t, {"flux_tCO2e_an": Number()}, error=InputFileError)
    tables.check_duplicates(t, ["zone_id"], error=InputFileError)
    present = set(df["zone_id"])
    missing = [z for z in map(str, zone_ids) if z not in present]
    if missing:
        raise InputFileError(
            tables.missing_zones_message(t, missing, present)
            + " ; lancez espass-geo flows sur le même territoire (mêmes zones) et passez son "
            "flows_zones.csv.")
    return df[["zone_id", "flux_tCO2e_an"]].reset_index(drop=True)


# ----------------------------------------------------------------------------- point sources
#: the point sources of the demo estimate (factors/README.md, « point_sources_demo_59_62.csv »)
DEMO_POINT_SOURCES = "point_sources_demo_59_62.csv"
POINT_SOURCE_COLUMNS = ["name", "x", "y", "crs", "substance", "emission_t", "year", "source"]
_POINT_REMEDY = ("Colonnes attendues : name, x, y, crs, substance, emission_t (ou t_an), year, "
                 "source ; facultatives : sector (défaut industrie), unit (t, kg, kt, tCO2e, "
                 "ktCO2e). Voir factors/README.md, « point_sources_demo_59_62.csv ».")


def read_point_sources(path: str | Path) -> pd.DataFrame:
    """A user table of large point sources (``--point-sources``), validated: one row per site ×
    substance (``name, x, y, crs, substance, emission_t`` — or ``t_an`` —, ``year, source``;
    optional ``sector``, ``unit``), read through :mod:`.tables` (French Excel files accepted).
    Returns ``name, x, y, crs, sector, substance, emission_t, year, source, line`` (``emission_t``
    in t, or tCO2e for GES). Coordinates, CRS and communes are checked when the points are
    placed (:func:`espass_geo.core.inventory_build.locate_points`)."""
    path = Path(path)
    t = tables.read_table(path, "table de sources ponctuelles (--point-sources)",
                          error=InventoryError)
    df = t.df
    if "emission_t" not in df and "t_an" in df:
        df = df.rename(columns={"t_an": "emission_t"})
        t.df = df
    missing = [c for c in POINT_SOURCE_COLUMNS if c not in df]
    if missing:
        raise InventoryError(f"{t.label} : colonne(s) manquante(s) {missing} ; colonnes "
                             f"trouvées {list(df.columns)}. {_POINT_REMEDY}")
    tables.check_no_empty(t, ["name", "crs", "substance", "source"], error=InventoryError)
    num = tables.numbers(t, {"x": tables.Number(), "y": tables.Number(),
                             "emission_t": tables.Number(minimum=0),
                             "year": tables.Number(minimum=1990, maximum=2100)},
                         error=InventoryError)
    if "sector" not in num:
        num["sector"] = "industrie"
    num["sector"] = num["sector"].astype(str).str.strip().replace("", "industrie")
    if "unit" in num:
        units = num["unit"].astype(str).str.strip().str.lower().replace("", "t")
        bad = [(t.line(i), u) for i, u in units.items() if u not in UNIT_TO_T]
        if bad:
            raise InventoryError(
                f"{t.label} : unité(s) inconnue(s) "
                + ", ".join(f"« {u} » (ligne {ln})" for ln, u in bad[:8])
                + " ; écrivez t, kg, kt, tCO2e ou ktCO2e.")
        num["emission_t"] = num["emission_t"] * units.map(UNIT_TO_T)
    from espass_geo.core.inventory_build import SUBSTANCE_ALIASES

    key = num.assign(substance=num["substance"].str.strip().replace(SUBSTANCE_ALIASES))
    tables.check_duplicates(t, ["name", "sector", "substance"], error=InventoryError, frame=key)
    num["year"] = num["year"].astype(int)
    num["line"] = t.lines
    return num[["name", "x", "y", "crs", "sector", "substance", "emission_t", "year", "source",
                "line"]].reset_index(drop=True)


def shipped_point_sources() -> pd.DataFrame:
    """The major industrial emitters of Nord and Pas-de-Calais shipped with the package
    (``factors/point_sources_demo_59_62.csv``)."""
    from espass_geo.reference import data

    return data.read_csv(data.data_path("factors", DEMO_POINT_SOURCES), dtype={"crs": str})


@cache
def _demo_geography() -> dict:
    """Communes of 59/62 with EPCI, population and land area; EPCI proxy areas; polygons."""
    from espass_geo.core.inventory_build import AGRI_CODES, INDUSTRY_CODE
    from espass_geo.reference import data

    com = data.read_csv(data.data_path("boundaries", "communes_epci_2018_59_62.csv"))
    com["population"] = com["population"].astype(float)
    clc = data.read_csv(data.aldo_clc18_epci_path(), dtype=str).set_index("siren")
    clc = clc.fillna("0").replace("", "0").astype(float)
    agri_cols = [c for c in clc.columns if int(c) in AGRI_CODES]
    epci_agri = clc[agri_cols].sum(axis=1)
    epci_ind = clc[INDUSTRY_CODE] if INDUSTRY_CODE in clc.columns else clc.iloc[:, 0] * 0.0
    geo = data.commune_geometries()
    area = pd.Series(geo.geometry.area.to_numpy() / 1e4, index=geo["code"].astype(str).to_numpy())
    com["area_ha"] = com["insee"].map(area)
    return {"communes": com[["insee", "epci", "population", "area_ha"]],
            "epci_agri": epci_agri, "epci_ind": epci_ind,
            "geometries": geo[["code", "geometry"]], "agri_cols": agri_cols}


def load_demo_inputs() -> dict:
    """The shipped inputs of the demo estimate: regional totals (``regional_inventory_hdf``, of
    the active factor set), the region's population, the communes of Nord and Pas-de-Calais
    (EPCI, population, land area in EPSG:2154), the agricultural and CLC 121 areas of each EPCI
    and the commune polygons (copies)."""
    from espass_geo.core.inventory_build import SECTORS, SUBSTANCES
    from espass_geo.reference import data

    reg = data.factor_table("regional_inventory_hdf")
    reg = reg[reg["sector"] != "total"].copy()
    if set(reg["sector"]) != set(SECTORS) or set(reg["substance"]) != set(SUBSTANCES):
        raise InventoryError("regional_inventory_hdf : secteurs ou substances inattendus ; "
                             f"attendu {list(SECTORS)} × {list(SUBSTANCES)}.")
    reg["value"] = reg["value"].astype(float)
    reg["year"] = reg["year"].astype(int)
    pop = data.factor_table("population_hdf")
    pop = pop[pop["downscaling_reference"].astype(str).str.lower() == "true"]
    if len(pop) != 1:
        raise InventoryError("population_hdf : une seule ligne doit avoir "
                             "downscaling_reference = true.")
    out = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in _demo_geography().items()}
    out["regional"] = reg[["sector", "substance", "year", "value", "unit"]].reset_index(drop=True)
    out["pop_region"] = float(pop["population"].iloc[0])
    return out


def build_demo_inventory(point_sources: pd.DataFrame | None = None, *,
                         label: str = "sources ponctuelles") -> pd.DataFrame:
    """The demo commune estimate with ``point_sources`` (default: the shipped table) placed in
    their commune and the remainder of each regional total spread by proxy
    (:func:`espass_geo.core.inventory_build.demo_inventory_table`)."""
    from espass_geo.core.inventory_build import (
        DEMO_SOURCE,
        DEMO_SOURCE_YEAR,
        demo_inventory_table,
    )

    inp = load_demo_inputs()
    pts = shipped_point_sources() if point_sources is None else point_sources
    return demo_inventory_table(inp["regional"], inp["pop_region"], inp["communes"],
                                inp["epci_agri"], inp["epci_ind"], inp["geometries"], pts,
                                source=DEMO_SOURCE, source_year=DEMO_SOURCE_YEAR, label=label)
