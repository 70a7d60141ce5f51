"""Raster overlay: a GeoTIFF band coloured into a Web Mercator PNG for an ImageOverlay."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from espass_geo.errors import EspassGeoError, MissingCRSError

# --------------------------------------------------------------------------------------------
# Raster overlay
# --------------------------------------------------------------------------------------------

def raster_to_png(tif_path: str | os.PathLike[str], png_path: str | os.PathLike[str],
                  cmap: str = "YlGn", vmin: float | None = None, vmax: float | None = None, *,
                  max_size: int = 2000, caption: str = "Par pixel (tC/ha)") -> dict[str, Any]:
    """Colourise band 1 of a GeoTIFF into an RGBA PNG in Web Mercator for an ImageOverlay.

    The raster (EPSG:2154 expected, any CRS accepted) is reprojected to EPSG:3857 with
    nearest-neighbour resampling, downsampled so that its longest side is at most
    ``max_size`` pixels, coloured with the matplotlib colormap ``cmap`` between ``vmin`` and
    ``vmax`` (data minimum and maximum by default); nodata and NaN pixels are transparent.
    The raster is read decimated to that size (``out_shape``, from its overviews when it has
    some): memory stays a few million pixels whatever the size of the raster.

    Returns
    -------
    dict
        ``path`` (PNG), ``bounds`` ``[[south, west], [north, east]]`` in degrees (what
        :func:`stocks_map` and ``folium.raster_layers.ImageOverlay`` expect), ``vmin``,
        ``vmax``, ``cmap``, ``caption`` (for the legend gradient), ``shape`` (rows, cols).
    """
    import rasterio
    from affine import Affine
    from matplotlib import colormaps
    from matplotlib import image as mpimg
    from matplotlib.colors import Normalize
    from rasterio.transform import array_bounds
    from rasterio.warp import Resampling, reproject, transform_bounds

    from espass_geo.io.rasters import raster_read_errors

    dst_crs = "EPSG:3857"
    with rasterio.open(tif_path) as src, raster_read_errors(tif_path, "raster"):
        if src.crs is None:
            raise MissingCRSError(f"le raster « {tif_path} » n'a pas de système de coordonnées ; "
                                  "attribuez-le avec `gdal_edit.py -a_srs EPSG:2154` (si ses "
                                  "coordonnées sont en Lambert-93).")
        # decimated read (nearest): at most max_size pixels on the longest side
        step = max(1.0, max(src.width, src.height) / max_size)
        rows, cols = max(1, round(src.height / step)), max(1, round(src.width / step))
        data = src.read(1, out_shape=(rows, cols), resampling=Resampling.nearest,
                        masked=True).astype("float64").filled(np.nan)
        t, sx, sy = src.transform, src.width / cols, src.height / rows
        src_transform = Affine(t.a * sx, t.b * sy, t.c, t.d * sx, t.e * sy, t.f)
        # destination grid computed here rather than with calculate_default_transform, whose
        # rasterio 1.4 code multiplies Affine objects with `*` (warning under affine 3): the
        # bounding box in EPSG:3857 with as many rows and columns as the source (fewer when
        # downsampled); pixels need not be square, Leaflet stretches the PNG to the bounds
        left, bottom, right, top = transform_bounds(src.crs, dst_crs, *src.bounds,
                                                    densify_pts=21)
        scale = min(1.0, max_size / max(src.width, src.height))
        width = max(1, round(src.width * scale))
        height = max(1, round(src.height * scale))
        transform = Affine((right - left) / width, 0.0, left, 0.0, -(top - bottom) / height, top)
        dst = np.full((height, width), np.nan, dtype="float64")
        reproject(data, dst, src_transform=src_transform, src_crs=src.crs, src_nodata=np.nan,
                  dst_transform=transform, dst_crs=dst_crs, dst_nodata=np.nan,
                  resampling=Resampling.nearest)
    valid = np.isfinite(dst)
    if not valid.any():
        raise EspassGeoError(f"le raster « {tif_path} » n'a aucun pixel valide à dessiner (tout "
                             "est sans donnée) ; vérifiez qu'il couvre le territoire.")
    lo = float(np.nanmin(dst)) if vmin is None else float(vmin)
    hi = float(np.nanmax(dst)) if vmax is None else float(vmax)
    if hi <= lo:
        hi = lo + 1.0
    rgba = colormaps[cmap](Normalize(lo, hi, clip=True)(np.where(valid, dst, lo)), bytes=True)
    rgba[~valid] = 0
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    mpimg.imsave(png_path, rgba, format="png")
    west, south, east, north = transform_bounds(dst_crs, "EPSG:4326",
                                                *array_bounds(height, width, transform))
    return {"path": str(png_path), "bounds": [[south, west], [north, east]], "vmin": lo,
            "vmax": hi, "cmap": cmap, "caption": caption, "shape": (height, width)}
