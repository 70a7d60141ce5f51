"""Per-pixel stock density raster (tC/ha), block by block.

For each pixel: the zone it belongs to (pixel centre) gives the pedoclimatic zone and region;
its land-cover code (or the declared class of the parcel it falls in) gives the land use; the
density is the sum over pools (soil, litter, live biomass, dead wood) of the zone's factors.
For artificial land before the 80/20 split (CLC 111–133, 142) the pixel gets the zone's
area-weighted mean of sealed and grassed densities, so that summing ``density × pixel area``
over a zone gives back the zone's artificial stock.
"""

from __future__ import annotations

from contextlib import closing, contextmanager
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


#: Above this many pixels (128 MiB of float32) the density pass writes a tiled GeoTIFF on disk
#: block by block instead of holding the grid in memory (issue #14: memory bounded at any size).
IN_MEMORY_MAX_PX = 1 << 25

#: GDAL's block cache (MiB) while the package reads and writes grids by blocks. GDAL's default
#: (5 % of the RAM: 1.2 GiB here) kept every written and overview tile: a 2.56·10⁸ px ``stocks``
#: run written peaked at 1.89 GiB, 0.69 GiB with 128 MiB (issue #14, benchmarks/README.md).
#: A ``GDAL_CACHEMAX`` set in the environment wins.
GDAL_CACHE_MB = 256


@contextmanager
def bounded_gdal_cache():
    """GDAL's block cache bounded to :data:`GDAL_CACHE_MB` (unless the user set
    ``GDAL_CACHEMAX``) for a block-by-block pass or a COG copy."""
    import os

    import rasterio

    if os.environ.get("GDAL_CACHEMAX"):
        yield
        return
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        yield


#: Tags and band description written with every density raster.
_TAGS = {"units": "tC/ha", "quantity": "stock de carbone (sol + biomasse + litière + bois mort) "
         "par hectare", "method": "espass_geo (ALDO)"}
_DESCRIPTION = "Densité de stock de carbone (tC/ha)"


class DensityGrid:
    """Stock density (tC/ha, float32, ``nodata`` outside zones / classes) on the land-cover grid,
    cropped to the territory's window: pixel ``[row, col]`` is the one whose upper-left corner is
    ``transform * (col, row)``.

    Small windows (≤ :data:`IN_MEMORY_MAX_PX` pixels) are held as a numpy ``array``; larger
    ones are written block by block to a tiled GeoTIFF (``path``, in a temporary folder removed
    with the grid) and ``array`` reads that file whole only when asked (prefer
    :meth:`total_stock_tC`, :func:`write_density_grid` or reading ``path`` by windows).
    """

    def __init__(self, array: np.ndarray | None = None, transform: Affine | None = None,
                 crs: object = None, nodata: float = NODATA, *, path: str | Path | None = None,
                 shape: tuple[int, int] | None = None) -> None:
        if array is None and (path is None or shape is None):
            raise ValueError("DensityGrid needs an array, or a path and its shape")
        self._array = array
        self.transform = transform
        self.crs = crs
        self.nodata = nodata
        self.path = Path(path) if path is not None else None
        self.shape: tuple[int, int] = (tuple(array.shape) if array is not None  # type: ignore[assignment]
                                       else (int(shape[0]), int(shape[1])))

    @property
    def on_disk(self) -> bool:
        """True when the grid lives in the tiled GeoTIFF ``path`` rather than in memory."""
        return self._array is None

    @property
    def array(self) -> np.ndarray:
        """The whole grid as a numpy array (read from ``path`` when on disk)."""
        if self._array is None:
            import rasterio

            with rasterio.open(self.path) as src:
                return src.read(1)
        return self._array

    @property
    def pixel_area_ha(self) -> float:
        return abs(self.transform.a * self.transform.e) * 1e-4

    def total_stock_tC(self) -> float:
        """Σ density × pixel area over the valid pixels (by blocks when on disk)."""
        if self._array is not None:
            a = self._array
            return float(a[a != self.nodata].sum(dtype="float64")) * self.pixel_area_ha
        import rasterio

        total = 0.0
        with bounded_gdal_cache(), rasterio.open(self.path) as src:
            for _, win in src.block_windows(1):
                a = src.read(1, window=win)
                total += float(a[a != self.nodata].sum(dtype="float64"))
        return total * self.pixel_area_ha


def _flat_lut(lut: np.ndarray, src_nodata) -> np.ndarray:
    """The (zone + 1, code) LUT as one float32 row-major vector with NODATA where a pixel has no
    density: outside zones (row 0), code 0, unknown codes (NaN), the raster's no-data code and
    the last column (every code ≥ MAX_CODE − 1 is clipped onto it)."""
    flat = np.where(np.isnan(lut), NODATA, lut).astype("float32")
    flat[0, :] = NODATA
    flat[:, 0] = NODATA
    flat[:, MAX_CODE - 1] = NODATA
    if src_nodata is not None and np.isfinite(src_nodata) and float(src_nodata).is_integer() \
            and 0 <= int(src_nodata) < MAX_CODE:
        flat[:, int(src_nodata)] = NODATA
    return flat.ravel()


@bounded_gdal_cache()  # GDAL's cache bounded for the whole pass
def density_grid(
    landcover: str | Path,
    zones: gpd.GeoDataFrame,
    lut: np.ndarray,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    block_size: int = 1024,
    in_memory_max_px: int = IN_MEMORY_MAX_PX,
    workers: int | None = None,
) -> DensityGrid:
    """Compute the density grid (tC/ha) on the zones' window, block by block.

    One pass over the window's 1 024² blocks on a thread pool (GDAL reads and the numpy gather
    release the GIL): each block reads its land cover, rasterizes the zones it touches (a block
    wholly inside one zone takes that zone without rasterizing) and the parcels' declared
    classes, and gathers ``lut[zone, code]`` in one flat ``take``. Blocks no zone touches are
    not read and stay ``NODATA``. A window of more than ``in_memory_max_px`` pixels is written
    block by block to a ZSTD-compressed tiled GeoTIFF in a temporary folder (sparse: untouched
    tiles are not written), so memory stays that of a few blocks whatever the raster's size
    (GDAL's cache bounded by :func:`bounded_gdal_cache`); smaller windows are filled in a numpy
    array.
    """
    import shutil
    import tempfile
    import weakref

    import shapely
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from rasterio.windows import transform as window_transform
    from shapely.geometry import box

    from espass_geo.errors import NoOverlapError
    from espass_geo.io.blocks import ThreadDatasets, open_staging, ordered_blocks
    from espass_geo.io.rasters import open_landcover, raster_read_errors, raster_window

    # open_landcover: a raster in another CRS is seen through its Lambert-93 warped VRT
    with open_landcover(landcover) as src, raster_read_errors(landcover):
        window = raster_window(src, zones.total_bounds)
        if window is None:
            raise NoOverlapError(f"le territoire et le raster d'occupation du sol « {landcover} » "
                                 "ne se recouvrent pas ; vérifiez qu'ils couvrent la même région.")
        r0, c0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        grid_transform = window_transform(window, src.transform)
        flat = _flat_lut(lut, src.nodata)
        z_geoms = np.asarray(zones.geometry.values, dtype=object)
        z_sindex = zones.sindex
        p_geoms = parcels.geometry.values if parcels is not None and len(parcels) else None
        p_codes = parcels["code"].astype(int).to_numpy() if p_geoms is not None else None
        p_sindex = parcels.sindex if p_geoms is not None else None
        datasets = ThreadDatasets(src.name)  # the file, or the warped VRT, per thread

        jobs = [(row, col) for row in range(0, height, block_size)
                for col in range(0, width, block_size)]
        # every spatial query in this thread, before the pool (GEOS prepared geometries and
        # STRtrees are not shared across threads): zones and parcels per block, and the
        # blocks wholly inside one zone (no rasterization needed)
        boxes = np.array([box(*window_bounds(
            Window(c0 + col, r0 + row, min(block_size, width - col), min(block_size, height - row)),
            src.transform)) for row, col in jobs], dtype=object)
        zb, zz = z_sindex.query(boxes, predicate="intersects", sort=True)
        zones_of = np.split(zz, np.searchsorted(zb, np.arange(1, len(jobs))))
        inside_one = np.zeros(len(jobs), dtype=bool)
        single = np.array([i for i, z in enumerate(zones_of) if len(z) == 1], dtype=np.int64)
        if len(single):
            inside_one[single] = shapely.contains_properly(
                z_geoms[[zones_of[i][0] for i in single]], boxes[single])
        if p_geoms is not None:
            pb, pp = p_sindex.query(boxes, predicate="intersects", sort=True)
            parcels_of = np.split(pp, np.searchsorted(pb, np.arange(1, len(jobs))))
        else:
            parcels_of = [()] * len(jobs)

        def block(k):
            row, col = jobs[k]
            hit = zones_of[k]
            h, w = min(block_size, height - row), min(block_size, width - col)
            win = Window(c0 + col, r0 + row, w, h)
            shape = (int(h), int(w))
            wt = window_transform(win, src.transform)
            key = np.clip(datasets.get()[0].read(1, window=win), 0, MAX_CODE - 1
                          ).astype(np.int32)
            if inside_one[k]:
                key += (int(hit[0]) + 1) * MAX_CODE
            else:
                zi = rasterize(((z_geoms[i], int(i) + 1) for i in hit), out_shape=shape,
                               transform=wt, fill=0, dtype="int32")
                key += zi * MAX_CODE
            phit = parcels_of[k]
            if len(phit):
                pc = rasterize(((p_geoms[i], int(p_codes[i])) for i in phit),
                               out_shape=shape, transform=wt, fill=0, dtype="int32")
                inp = (pc > 0) & (key >= MAX_CODE)  # a parcel counts inside the zones only
                key[inp] = (key[inp] // MAX_CODE) * MAX_CODE + np.clip(pc[inp], 0, MAX_CODE - 1)
            return (row, col), flat.take(key)

        todo = [k for k in range(len(jobs)) if len(zones_of[k])]  # blocks no zone touches stay NODATA
        on_disk = height * width > in_memory_max_px
        tmpdir = None
        try:
            if on_disk:
                tmpdir = tempfile.mkdtemp(prefix="espass_geo-density-")
                path = Path(tmpdir) / "stock_density.tif"
                tile = 512 if block_size % 512 == 0 else 256
                sink = open_staging(path, width=width, height=height, count=1,
                                    dtype="float32", nodata=NODATA, crs=src.crs,
                                    transform=grid_transform, tile=tile)
                grid_array = None
            else:
                grid_array = np.full((height, width), NODATA, dtype="float32")
            try:
                # the blocks' iterator closed (pool drained) before the datasets it reads
                with closing(ordered_blocks(block, todo, workers=workers)) as blocks:
                    for done in blocks:
                        _store(done, grid_array, sink if on_disk else None)
                if on_disk:
                    sink.update_tags(**_TAGS)
                    sink.set_band_description(1, _DESCRIPTION)
            finally:
                if on_disk:
                    sink.close()
                datasets.close()
        except BaseException:
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)
            raise
        if on_disk:
            grid = DensityGrid(transform=grid_transform, crs=src.crs, path=path,
                               shape=(height, width))
            weakref.finalize(grid, shutil.rmtree, tmpdir, True)
            return grid
        return DensityGrid(array=grid_array, transform=grid_transform, crs=src.crs)


def _store(done, grid_array, sink) -> None:
    (row, col), values = done
    h, w = values.shape
    if sink is None:
        grid_array[row:row + h, col:col + w] = values
    else:
        from rasterio.windows import Window

        sink.write(values[None], window=Window(col, row, w, h))


def write_density_grid(grid: DensityGrid, out_path: str | Path) -> Path:
    """Write a :class:`DensityGrid` as a Cloud-Optimized GeoTIFF (float32 tC/ha, nodata
    −9999, 256 px deflate tiles, overviews averaged without the nodata pixels): it opens fast
    in QGIS at any zoom and reads over HTTP (``/vsicurl/``). A grid on disk is copied from its
    tiled file by GDAL (streamed, threaded), never loaded whole."""
    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as copy_raster

    out_path = Path(out_path)
    cog = {"driver": "COG", "compress": "DEFLATE", "predictor": "YES", "blocksize": 256,
           "overview_resampling": "AVERAGE", "bigtiff": "IF_SAFER", "num_threads": "ALL_CPUS"}
    if grid.on_disk:
        with bounded_gdal_cache():
            copy_raster(str(grid.path), out_path, **cog)
        return out_path
    height, width = grid.shape
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1,
               "dtype": "float32", "nodata": grid.nodata, "crs": grid.crs,
               "transform": grid.transform, "tiled": True, "blockxsize": 256,
               "blockysize": 256, "bigtiff": "IF_SAFER"}
    with MemoryFile() as mem:  # an uncompressed GeoTIFF in memory, then copied as a COG
        with mem.open(**profile) as dst:
            dst.update_tags(**_TAGS)
            dst.set_band_description(1, _DESCRIPTION)
            dst.write(grid.array[None])  # a view: no np.stack copy
        with mem.open() as src:
            copy_raster(src, out_path, **cog)
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
