"""Per-pixel stock density raster (tC/ha), block by block.

For each pixel: the zone it belongs to (pixel centre) gives the pedoclimatic zone and region;
its land-cover code (or the declared class of the parcel it falls in) gives the land use; the
density is the sum over pools (soil, litter, live biomass, dead wood) of the zone's factors.
For artificial land before the 80/20 split (CLC 111–133, 142) the pixel gets the zone's
area-weighted mean of sealed and grassed densities, so that summing ``density × pixel area``
over a zone gives back the zone's artificial stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine

from espass_geo.reference.factors import artificial_split_parameters, clc_mapping, stock_densities

NODATA = -9999.0
MAX_CODE = 1024


def zone_code_lut(stocks: pd.DataFrame, zone_attrs: pd.DataFrame, zone_ids: list[str], *,
                  method: str = "aldo") -> np.ndarray:
    """LUT[zone_index + 1, code] = density (tC/ha); row 0 (outside zones) is NaN."""
    mapping = clc_mapping()
    codes = np.array([int(c) for c in mapping.index])
    attrs = zone_attrs.drop_duplicates("zone_id").set_index("zone_id")
    land_uses = sorted(set(mapping) - {"artificial_unsplit"} | {"artificial_sealed",
                                                                 "artificial_grassed"})
    dens = stock_densities(attrs.reset_index()[["zpc", "region_code"]], land_uses, method=method)
    per_key = dens.groupby(["zpc", "region_code", "land_use"])["density_tC_ha"].sum()
    # zone-specific artificial mix from the stocks table
    soil = stocks[stocks["pool"] == "soil"]
    art = soil[soil["land_use"].isin(["artificial_sealed", "artificial_grassed"])]
    art_area = art.groupby(["zone_id", "land_use"])["area_ha"].sum().unstack(fill_value=0.0)
    lut = np.full((len(zone_ids) + 1, MAX_CODE), np.nan, dtype="float32")
    for i, zid in enumerate(zone_ids, start=1):
        zpc, region = attrs.loc[zid, "zpc"], attrs.loc[zid, "region_code"]
        d = per_key.loc[(zpc, region)]
        for code, lu in zip(codes, mapping.to_numpy(), strict=True):
            if lu == "artificial_unsplit":
                if zid in art_area.index and art_area.loc[zid].sum() > 0:
                    w = art_area.loc[zid]
                    s_, g_ = w.get("artificial_sealed", 0.0), w.get("artificial_grassed", 0.0)
                else:
                    s_ = artificial_split_parameters()[1]  # ALDO 80/20
                    g_ = 1.0 - s_
                value = (s_ * d.get("artificial_sealed", 0.0)
                         + g_ * d.get("artificial_grassed", 0.0)) / (s_ + g_)
            else:
                value = d.get(lu, 0.0)
            lut[i, code] = value
    return lut


@dataclass
class DensityGrid:
    """Stock density (tC/ha, float32, ``nodata`` outside zones / classes) on the land-cover grid,
    cropped to the territory's window: ``array[row, col]`` is the pixel whose upper-left corner
    is ``transform * (col, row)``."""

    array: np.ndarray
    transform: Affine
    crs: object
    nodata: float = NODATA

    @property
    def pixel_area_ha(self) -> float:
        return abs(self.transform.a * self.transform.e) * 1e-4


def density_grid(
    landcover: str | Path,
    zones: gpd.GeoDataFrame,
    lut: np.ndarray,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    block_size: int = 1024,
) -> DensityGrid:
    """Compute the density grid (tC/ha) in memory, block by block, on the zones' window.

    Only the blocks that a zone touches are read; the others stay ``NODATA``.
    """
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from rasterio.windows import transform as window_transform
    from shapely.geometry import box

    from espass_geo.errors import NoOverlapError
    from espass_geo.io.rasters import open_landcover, raster_read_errors, raster_window

    # open_landcover: a raster in another CRS is seen through its Lambert-93 warped VRT
    with open_landcover(landcover) as src, raster_read_errors(landcover):
        window = raster_window(src, zones.total_bounds)
        if window is None:
            raise NoOverlapError(f"le territoire et le raster d'occupation du sol « {landcover} » "
                                 "ne se recouvrent pas ; vérifiez qu'ils couvrent la même région.")
        r0, c0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        grid = np.full((height, width), NODATA, dtype="float32")
        z_geoms = zones.geometry.values
        z_sindex = zones.sindex
        p_geoms = parcels.geometry.values if parcels is not None and len(parcels) else None
        p_codes = parcels["code"].astype(int).to_numpy() if p_geoms is not None else None
        p_sindex = parcels.sindex if p_geoms is not None else None
        for row in range(0, height, block_size):
            for col in range(0, width, block_size):
                h, w = min(block_size, height - row), min(block_size, width - col)
                win = Window(c0 + col, r0 + row, w, h)
                shape = (int(h), int(w))
                wt = window_transform(win, src.transform)
                wbox = box(*window_bounds(win, src.transform))
                hit = z_sindex.query(wbox, predicate="intersects")
                if not len(hit):
                    continue  # stays nodata
                out = grid[row:row + h, col:col + w]
                zi = rasterize(((z_geoms[i], int(i) + 1) for i in hit), out_shape=shape,
                               transform=wt, fill=0, dtype="int32")
                lc = src.read(1, window=win).astype(np.int64)
                if p_geoms is not None:
                    phit = p_sindex.query(wbox, predicate="intersects")
                    if len(phit):
                        pc = rasterize(((p_geoms[i], int(p_codes[i])) for i in phit),
                                       out_shape=shape, transform=wt, fill=0, dtype="int32")
                        lc = np.where(pc > 0, pc, lc)
                valid = (zi > 0) & (lc > 0) & (lc < MAX_CODE)
                if src.nodata is not None:
                    valid &= lc != src.nodata
                vals = lut[zi[valid], lc[valid]]
                out[valid] = np.where(np.isnan(vals), NODATA, vals)
        return DensityGrid(array=grid, transform=window_transform(window, src.transform),
                           crs=src.crs)


def write_density_grid(grid: DensityGrid, out_path: str | Path) -> Path:
    """Write a :class:`DensityGrid` as a Cloud-Optimized GeoTIFF (float32 tC/ha, nodata
    −9999, 256 px deflate tiles, overviews averaged without the nodata pixels): it opens fast
    in QGIS at any zoom and reads over HTTP (``/vsicurl/``)."""
    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as copy_raster

    out_path = Path(out_path)
    height, width = grid.array.shape
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1,
               "dtype": "float32", "nodata": grid.nodata, "crs": grid.crs,
               "transform": grid.transform, "compress": "deflate",
               "tiled": True, "blockxsize": 256, "blockysize": 256, "predictor": 2,
               "bigtiff": "IF_SAFER"}
    with MemoryFile() as mem:  # a compressed GeoTIFF in memory, then copied as a COG
        with mem.open(**profile) as dst:
            dst.update_tags(units="tC/ha", quantity="stock de carbone (sol + biomasse + "
                            "litière + bois mort) par hectare", method="espass_geo (ALDO)")
            dst.set_band_description(1, "Densité de stock de carbone (tC/ha)")
            dst.write(grid.array, 1)
        with mem.open() as src:
            copy_raster(src, out_path, driver="COG", compress="DEFLATE", predictor="YES",
                        blocksize=256, overview_resampling="AVERAGE", bigtiff="IF_SAFER")
    return out_path


def write_density_raster(
    landcover: str | Path,
    zones: gpd.GeoDataFrame,
    lut: np.ndarray,
    out_path: str | Path,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    block_size: int = 1024,
) -> Path:
    """Compute (:func:`density_grid`) and write the density GeoTIFF on the land-cover grid.

    The output covers the zones' window of the land-cover grid only (same pixels, same
    alignment, cropped to the territory), not the whole raster.
    """
    grid = density_grid(landcover, zones, lut, parcels=parcels, block_size=block_size)
    return write_density_grid(grid, out_path)
