"""Change tables: hectares from land-cover class A to class B between two dates, per zone.

A change table is an area table with a "from" and a "to" code:
``zone_id, from_code, to_code, area_ha`` (hectares over the whole period, CLC level-3 codes as
strings). It comes from two land-cover rasters of the same grid (exact partial-pixel coverage,
like :func:`espass_geo.core.areas.area_table_from_raster`) or from a CSV such as ALDO's CLC 2012→2018
tables per EPCI (wide, ``code12-code18`` columns) or per commune (long, ``code12, code18,
commune, area``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.core.areas import MAX_NODATA_SHARE, area_table_from_raster
from espass_geo.errors import AreaTableError, InputFileError
from espass_geo.io.rasters import (
    check_overlap,
    open_landcover,
    raster_read_errors,
    raster_window,
)
from espass_geo.present.fmt import fmt_area_ha

CHANGE_COLUMNS = ["zone_id", "from_code", "to_code", "area_ha"]
_PAIR = 100_000  # combined code = from × 100 000 + to (codes < 100 000)


@dataclass
class ChangeTable:
    """A change table (over ``years``) plus notes and, for rasters, the zone summary."""

    table: pd.DataFrame
    years: float
    date_from: int | None = None
    date_to: int | None = None
    summary: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> pd.DataFrame:
        return self.table[self.table["from_code"] != self.table["to_code"]]

    def margins(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Area tables at the first and second date (``zone_id, code, area_ha``)."""
        t = self.table
        before = t.groupby(["zone_id", "from_code"], as_index=False)["area_ha"].sum().rename(
            columns={"from_code": "code"})
        after = t.groupby(["zone_id", "to_code"], as_index=False)["area_ha"].sum().rename(
            columns={"to_code": "code"})
        return before, after


def check_dates(date_from: int, date_to: int) -> float:
    """Years between two dates; refuses reversed or equal dates."""
    try:
        y0, y1 = int(date_from), int(date_to)
    except (TypeError, ValueError):
        raise AreaTableError(f"les dates doivent être des années comme 2012 2018, pas "
                             f"{date_from!r} {date_to!r}.") from None
    if y1 == y0:
        raise AreaTableError(f"les deux dates sont égales ({y0}) ; donnez les années des deux "
                             "cartes d'occupation du sol, par ex. --years 2012 2018.")
    if y1 < y0:
        raise AreaTableError(f"dates inversées ({y0} → {y1}) : donnez d'abord l'année la plus "
                             f"ancienne, --years {y1} {y0}, et les rasters dans le même ordre.")
    return float(y1 - y0)


def _check_same_grid(src0, src1, p0, p1) -> None:
    if src0.crs != src1.crs or src0.transform != src1.transform or \
            (src0.width, src0.height) != (src1.width, src1.height):
        t = src0.transform
        b = src0.bounds
        raise InputFileError(
            f"les rasters d'occupation du sol '{p0}' et '{p1}' ne sont pas sur la même grille "
            f"(SCR, origine, taille de pixel ou emprise différents). Alignez le second sur le "
            f"premier avec un rééchantillonnage au plus proche voisin : `gdalwarp -t_srs EPSG:2154 -tr {abs(t.a):g} {abs(t.e):g} -te {b.left:g} "
            f"{b.bottom:g} {b.right:g} {b.top:g} -r near {Path(p1).name} aligned.tif`."
        )


def _check_nomenclature(codes0: set[int], codes1: set[int], p0, p1) -> None:
    from espass_geo.reference.factors import clc_mapping

    known = {int(c) for c in clc_mapping().index}
    bad0, bad1 = sorted(codes0 - known), sorted(codes1 - known)
    if bad0 or bad1:
        raise InputFileError(
            "les deux rasters d'occupation du sol doivent utiliser les codes CLC de niveau 3 "
            "(111…523) : "
            + (f"'{p0}' contient {bad0[:10]} " if bad0 else "")
            + (f"'{p1}' contient {bad1[:10]} " if bad1 else "")
            + "— recodez les deux dans la même nomenclature (factors/clc_to_land_use.csv)."
        )


def change_table_from_rasters(
    zones: gpd.GeoDataFrame,
    before: str | Path,
    after: str | Path,
    *,
    years: tuple[int, int],
    engine: str = "exact",
    block_size: int = 2048,
    max_nodata_share: float = MAX_NODATA_SHARE,
) -> ChangeTable:
    """Cross-tabulate two land-cover rasters of the same grid into a change table per zone.

    The two rasters are combined block by block into a temporary raster of pair codes
    (``from × 100 000 + to``), then cross-tabulated with the zones exactly like a single date, so
    partial pixels at zone edges are exact and both margins of the matrix close on the zone area.
    """
    n_years = check_dates(*years)
    import rasterio
    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from rasterio.windows import transform as window_transform
    from shapely.geometry import box

    src0 = open_landcover(before)
    try:
        src1 = open_landcover(after)
    except BaseException:
        src0.close()
        raise
    label = f"{Path(before).name} → {Path(after).name}"
    try:
        _check_same_grid(src0, src1, before, after)
        check_overlap(src0, zones, before)
        nod0, nod1 = src0.nodata, src1.nodata
        # only the zones' window of the two rasters is read and paired
        window = raster_window(src0, zones.total_bounds)
        r0, c0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        sindex = zones.sindex
        with tempfile.TemporaryDirectory(prefix="espass_change_") as tmp:
            pair_path = Path(tmp) / "pairs.tif"
            profile = {"driver": "GTiff", "width": width, "height": height, "count": 1,
                       "dtype": "uint32", "nodata": 0, "crs": src0.crs,
                       "transform": window_transform(window, src0.transform),
                       "compress": "deflate", "tiled": True, "blockxsize": 256,
                       "blockysize": 256, "bigtiff": "IF_SAFER"}
            codes0: set[int] = set()
            codes1: set[int] = set()
            with rasterio.open(pair_path, "w", **profile) as dst:
                for row in range(0, height, block_size):
                    for col in range(0, width, block_size):
                        win = Window(col, row, min(block_size, width - col),
                                     min(block_size, height - row))
                        src_win = Window(c0 + col, r0 + row, win.width, win.height)
                        if not len(sindex.query(box(*window_bounds(src_win, src0.transform)),
                                                predicate="intersects")):
                            continue  # no zone here: left as no-data, never read
                        with raster_read_errors(before):
                            a = src0.read(1, window=src_win).astype(np.int64)
                        with raster_read_errors(after):
                            b = src1.read(1, window=src_win).astype(np.int64)
                        valid = np.ones(a.shape, bool)
                        if nod0 is not None:
                            valid &= a != nod0
                        if nod1 is not None:
                            valid &= b != nod1
                        codes0.update(np.unique(a[valid]).tolist())
                        codes1.update(np.unique(b[valid]).tolist())
                        pair = np.where(valid, a * _PAIR + b, 0).astype("uint32")
                        dst.write(pair, 1, window=win)
            _check_nomenclature(codes0, codes1, before, after)
            at = area_table_from_raster(zones, pair_path, engine=engine, label=label,
                                        max_nodata_share=max_nodata_share)
    finally:
        src0.close()
        src1.close()
    pair = at.table["code"].astype(np.int64)
    table = pd.DataFrame({"zone_id": at.table["zone_id"],
                          "from_code": (pair // _PAIR).astype(str),
                          "to_code": (pair % _PAIR).astype(str),
                          "area_ha": at.table["area_ha"]})
    return ChangeTable(table=table, years=n_years, date_from=int(years[0]),
                       date_to=int(years[1]), summary=at.summary, notes=list(at.notes))


def change_table_from_csv(path: str | Path, *, years: tuple[int, int] = (2012, 2018)
                          ) -> ChangeTable:
    """Read a change table: long (``zone_id|commune, from_code|code12, to_code|code18,
    area_ha|area``) or wide (``siren`` + ``code12-code18`` columns, as ALDO's per-EPCI file).

    Validated with :mod:`.tables`: empty/NaN/infinite/negative/ambiguous areas refused with
    their line; a zone repeated in a wide table, or a long row repeated identically, refused.
    Long rows with the same zone and codes but different areas are ALDO's per-commune layout
    (one row per changed polygon): they are added, and a note says how many.
    """
    from espass_geo.io import tables
    from espass_geo.io.tables import Number

    n_years = check_dates(*years)
    path = Path(path)
    t = tables.read_table(path, "table de changements", error=AreaTableError)
    df = t.df
    cols = {c.lower(): c for c in df.columns}
    notes: list[str] = []
    pair_cols = [c for c in df.columns if "-" in c and all(p.strip().isdigit()
                                                           for p in c.split("-", 1))]
    if pair_cols:
        zcol = next((cols[c] for c in ("zone_id", "siren", "insee", "epci") if c in cols), None)
        if zcol is None:
            raise AreaTableError(f"table de changements « {path} » : pas de colonne de zone "
                                 f"(zone_id ou siren) ; colonnes trouvées {list(df.columns)}.")
        ignored = [c for c in df.columns if c not in pair_cols and c != zcol]
        if ignored:
            notes.append(f"Colonnes ignorées dans {path.name} : {', '.join(ignored)} "
                         "(le déboisement est déduit des transitions forêt → autre).")
        tables.check_no_empty(t, [zcol], error=AreaTableError)
        tables.check_codes(t, [zcol], error=AreaTableError)
        num = tables.numbers(t, {c: Number(minimum=0, empty="zero") for c in pair_cols},
                             error=AreaTableError)
        tables.check_duplicates(t, [zcol], error=AreaTableError)
        long = num.melt(id_vars=[zcol], value_vars=pair_cols, var_name="pair",
                        value_name="area_ha")
        long[["from_code", "to_code"]] = long["pair"].str.split("-", n=1, expand=True)
        long = long.rename(columns={zcol: "zone_id"})
    else:
        zcol = next((cols[c] for c in ("zone_id", "commune", "insee", "siren") if c in cols), None)
        fcol = next((cols[c] for c in ("from_code", "code12", "code_from") if c in cols), None)
        tcol = next((cols[c] for c in ("to_code", "code18", "code_to") if c in cols), None)
        acol = next((cols[c] for c in ("area_ha", "area", "surface_ha") if c in cols), None)
        missing = [n for n, c in (("zone_id", zcol), ("from_code", fcol), ("to_code", tcol),
                                  ("area_ha", acol)) if c is None]
        if missing:
            raise AreaTableError(f"table de changements « {path} » : colonne(s) manquante(s) "
                                 f"{missing} ; attendu zone_id, from_code, to_code, area_ha "
                                 f"(ou la table large ALDO siren, 211-112, …) ; trouvé "
                                 f"{list(df.columns)}.")
        tables.check_no_empty(t, [zcol, fcol, tcol], error=AreaTableError)
        tables.check_codes(t, [zcol, fcol, tcol], error=AreaTableError)
        num = tables.numbers(t, {acol: Number(minimum=0)}, error=AreaTableError)
        summed = tables.check_duplicates(t, [zcol, fcol, tcol], error=AreaTableError,
                                         allow_differing=True)
        if summed:
            notes.append(f"{path.name} : {sum(len(g) for g in summed)} lignes de même zone et "
                         f"mêmes codes ({len(summed)} couples) additionnées (une ligne par "
                         "polygone changé, comme la table ALDO par commune).")
        long = num[[zcol, fcol, tcol, acol]].set_axis(CHANGE_COLUMNS, axis=1)
    long = long[long["area_ha"] > 0].copy()
    for c in ("zone_id", "from_code", "to_code"):
        long[c] = long[c].astype(str).str.strip()
    table = long.groupby(["zone_id", "from_code", "to_code"], as_index=False)["area_ha"].sum()
    return ChangeTable(table=table[CHANGE_COLUMNS], years=n_years, date_from=int(years[0]),
                       date_to=int(years[1]), notes=notes)


def check_changes_within_zones(changes: pd.DataFrame, zone_area_ha: pd.Series, path) -> None:
    """Refuse a change table whose changed area exceeds the zone area."""
    changed = changes[changes["from_code"] != changes["to_code"]].groupby("zone_id")[
        "area_ha"].sum()
    area = zone_area_ha.reindex(changed.index)
    bad = changed[(area.notna()) & (changed > area * 1.005)]
    if len(bad):
        z = bad.index[0]
        raise AreaTableError(
            f"table de changements « {path} » : {fmt_area_ha(bad.iloc[0])} changés dans la zone "
            f"{z}, plus que sa surface ({fmt_area_ha(area[z])}) ; vérifiez l'unité (ha sur la "
            "période), "
            "les doublons et les codes de zone."
        )
