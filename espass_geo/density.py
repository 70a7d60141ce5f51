"""Per-pixel stock density raster (tC/ha), block by block.

For each pixel: the zone it belongs to (pixel centre) gives the pedoclimatic zone and region;
its land-cover code (or the declared class of the parcel it falls in) gives the land use; the
density is the sum over pools (soil, litter, live biomass, dead wood) of the zone's factors.
For artificial land before the 80/20 split (CLC 111–133, 142) the pixel gets the zone's
area-weighted mean of sealed and grassed densities, so that summing ``density × pixel area``
over a zone gives back the zone's artificial stock.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .factors import clc_mapping, stock_densities

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
                    s_, g_ = 0.8, 0.2
                value = (s_ * d.get("artificial_sealed", 0.0)
                         + g_ * d.get("artificial_grassed", 0.0)) / (s_ + g_)
            else:
                value = d.get(lu, 0.0)
            lut[i, code] = value
    return lut


def write_density_raster(
    landcover: str | Path,
    zones: gpd.GeoDataFrame,
    lut: np.ndarray,
    out_path: str | Path,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    block_size: int = 1024,
) -> Path:
    """Write the float32 density GeoTIFF (tC/ha, nodata −9999) on the land-cover grid.

    Reads and writes one block at a time, so rasters larger than memory are fine.
    """
    import rasterio
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from rasterio.windows import transform as window_transform
    from shapely.geometry import box

    out_path = Path(out_path)
    with rasterio.open(landcover) as src:
        profile = src.profile.copy()
        profile.update(dtype="float32", nodata=NODATA, count=1, compress="deflate",
                       tiled=True, blockxsize=256, blockysize=256, predictor=2)
        z_geoms = zones.geometry.values
        z_sindex = zones.sindex
        p_geoms = parcels.geometry.values if parcels is not None and len(parcels) else None
        p_codes = parcels["code"].astype(int).to_numpy() if p_geoms is not None else None
        p_sindex = parcels.sindex if p_geoms is not None else None
        with rasterio.open(out_path, "w", **profile) as dst:
            dst.update_tags(units="tC/ha", quantity="stock de carbone (sol + biomasse + litière "
                            "+ bois mort) par hectare", method="espass_geo (ALDO)")
            dst.set_band_description(1, "Densité de stock de carbone (tC/ha)")
            for row in range(0, src.height, block_size):
                for col in range(0, src.width, block_size):
                    win = Window(col, row, min(block_size, src.width - col),
                                 min(block_size, src.height - row))
                    shape = (int(win.height), int(win.width))
                    wt = window_transform(win, src.transform)
                    wbox = box(*window_bounds(win, src.transform))
                    out = np.full(shape, NODATA, dtype="float32")
                    hit = z_sindex.query(wbox, predicate="intersects")
                    if len(hit):
                        zi = rasterize(((z_geoms[i], int(i) + 1) for i in hit), out_shape=shape,
                                       transform=wt, fill=0, dtype="int32")
                        lc = src.read(1, window=win).astype(np.int64)
                        if p_geoms is not None:
                            phit = p_sindex.query(wbox, predicate="intersects")
                            if len(phit):
                                pc = rasterize(((p_geoms[i], int(p_codes[i])) for i in phit),
                                               out_shape=shape, transform=wt, fill=0,
                                               dtype="int32")
                                lc = np.where(pc > 0, pc, lc)
                        valid = (zi > 0) & (lc > 0) & (lc < MAX_CODE)
                        if src.nodata is not None:
                            valid &= lc != src.nodata
                        vals = lut[zi[valid], lc[valid]]
                        vals = np.where(np.isnan(vals), NODATA, vals)
                        out[valid] = vals
                    dst.write(out, 1, window=win)
    return out_path
