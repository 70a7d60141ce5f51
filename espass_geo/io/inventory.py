"""Emission-side user tables read from CSV: inventory, population, local footprint adjustments,
land-use carbon flows (``flows_zones.csv``). Every table goes through :mod:`.tables`; the checks
on the parsed DataFrame are in :mod:`espass_geo.core.emissions`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from espass_geo.core.emissions import MAX_ADJUSTMENT, validate_adjustments, validate_inventory
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
