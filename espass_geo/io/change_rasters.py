"""Change tables from two land-cover rasters of the same grid (two dates).

The two rasters are opened and checked (same grid, overlap with the zones, CLC level-3 codes),
combined block by block into a temporary raster of pair codes
(:func:`espass_geo.core.changes.pair_codes`), then cross-tabulated with the zones like a single
date (:func:`espass_geo.core.areas.area_table_from_raster`: exact partial-pixel coverage).
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np

from espass_geo import spec
from espass_geo.core.areas import MAX_NODATA_SHARE, area_table_from_raster
from espass_geo.core.changes import (
    PAIR,
    SMALL_PAIR,
    ChangeTable,
    check_dates,
    pair_codes,
    split_pairs,
)
from espass_geo.core.density import bounded_gdal_cache
from espass_geo.errors import InputFileError
from espass_geo.io.blocks import ThreadDatasets, open_staging, ordered_blocks
from espass_geo.io.rasters import (
    WARP_NOTES,
    check_overlap,
    open_landcover,
    raster_read_errors,
    raster_window,
)


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


def open_pair(before, after):
    """The two land-cover rasters, opened and checked (:func:`open_landcover`).

    A date in another CRS is warped on the fly to Lambert-93; the second date is then warped
    onto the first's grid, so that the two are read pixel for pixel. The caller closes both.
    """
    src0 = open_landcover(before)
    try:
        src1 = open_landcover(after)
        if src0.name in WARP_NOTES or src1.name in WARP_NOTES:
            src1.close()
            src1 = open_landcover(after, like=src0)
    except BaseException:
        src0.close()
        raise
    return src0, src1


@contextmanager
def opened_pair(before, after):
    """:func:`open_pair` as a context manager (both closed at the end)."""
    src0, src1 = open_pair(before, after)
    try:
        yield src0, src1
    finally:
        src0.close()
        src1.close()


def change_table_from_rasters(
    zones: gpd.GeoDataFrame,
    before: str | Path,
    after: str | Path,
    *,
    years: tuple[int, int],
    engine: str = spec.DEFAULTS["engine"],
    block_size: int = 2048,
    max_nodata_share: float = MAX_NODATA_SHARE,
    clc_codes: bool = True,
) -> ChangeTable:
    """Cross-tabulate two land-cover rasters of the same grid into a change table per zone.

    ``clc_codes=False`` when the rasters are in another nomenclature recoded afterwards (the
    CLC-code check is then the recoding's own: unknown codes are refused there).

    The two rasters are combined block by block into a temporary raster of pair codes
    (``from × 1 024 + to`` when every code is below 1 024 — the hybrid engine then indexes them
    without sorting — else ``from × 100 000 + to``), then cross-tabulated with the zones exactly like a single date, so
    partial pixels at zone edges are exact and both margins of the matrix close on the zone area.
    """
    n_years = check_dates(*years)
    from rasterio.windows import transform as window_transform

    src0, src1 = open_pair(before, after)
    warp_notes = [f"Occupation du sol « {p} » : {WARP_NOTES[s.name]}."
                  for p, s in ((before, src0), (after, src1)) if s.name in WARP_NOTES]
    label = f"{Path(before).name} → {Path(after).name}"
    try:
        _check_same_grid(src0, src1, before, after)
        check_overlap(src0, zones, before)
        # only the zones' window of the two rasters is read and paired
        window = raster_window(src0, zones.total_bounds)
        r0, c0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        sindex = zones.sindex
        with tempfile.TemporaryDirectory(prefix="espass_change_") as tmp:
            pair_path = Path(tmp) / "pairs.tif"
            profile = {"width": width, "height": height, "count": 1, "dtype": "uint32",
                       "nodata": 0, "crs": src0.crs,
                       "transform": window_transform(window, src0.transform)}
            multiplier = SMALL_PAIR  # compact pairs; 100 000 once a code ≥ 1 024 is met
            while True:
                codes0, codes1 = _write_pairs(src0, src1, before, after, sindex, pair_path,
                                              profile, r0, c0, height, width, block_size,
                                              multiplier)
                if multiplier == SMALL_PAIR and max(codes0 | codes1 | {0}) >= SMALL_PAIR:
                    multiplier = PAIR  # a large code: start again with the wide pairs
                    continue
                break
            if clc_codes:
                _check_nomenclature(codes0, codes1, before, after)
            with bounded_gdal_cache():
                at = area_table_from_raster(zones, pair_path, engine=engine, label=label,
                                            max_nodata_share=max_nodata_share)
    finally:
        src0.close()
        src1.close()
    return ChangeTable(table=split_pairs(at.table, multiplier=multiplier), years=n_years,
                       date_from=int(years[0]), date_to=int(years[1]), summary=at.summary,
                       notes=[*warp_notes, *at.notes])


def _write_pairs(src0, src1, before, after, sindex, pair_path, profile, r0, c0, height, width,
                 block_size, multiplier) -> tuple[set[int], set[int]]:
    """Write the pair raster block by block (blocks read and paired on a thread pool, written
    in order by this thread, GDAL cache bounded); the codes met at each date. With the compact
    ``multiplier`` it stops at the first block holding a code ≥ it (the caller starts again
    with the wide one)."""
    from contextlib import closing

    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from shapely.geometry import box

    codes0: set[int] = set()
    codes1: set[int] = set()
    nod0, nod1 = src0.nodata, src1.nodata
    jobs = []
    for row in range(0, height, block_size):
        for col in range(0, width, block_size):
            win = Window(col, row, min(block_size, width - col), min(block_size, height - row))
            src_win = Window(c0 + col, r0 + row, win.width, win.height)
            if len(sindex.query(box(*window_bounds(src_win, src0.transform)),
                                predicate="intersects")):
                jobs.append((win, src_win))  # blocks without a zone stay no-data, never read
    datasets = ThreadDatasets(src0.name, src1.name)  # the files or warped VRTs, per thread

    def block(job):
        win, src_win = job
        d0, d1 = datasets.get()
        with raster_read_errors(before):
            a = d0.read(1, window=src_win).astype(np.int64)
        with raster_read_errors(after):
            b = d1.read(1, window=src_win).astype(np.int64)
        return win, pair_codes(a, b, nod0, nod1, multiplier=multiplier)

    # the blocks' iterator closed (pool drained) before the datasets it reads
    with datasets, bounded_gdal_cache(), open_staging(pair_path, **profile) as dst, \
            closing(ordered_blocks(block, jobs)) as blocks:
        for win, (pair, seen0, seen1) in blocks:
            codes0.update(seen0)
            codes1.update(seen1)
            if multiplier == SMALL_PAIR and max(seen0 | seen1 | {0}) >= multiplier:
                break  # the caller starts again with the wide pairs
            dst.write(pair, 1, window=win)
    return codes0, codes1
