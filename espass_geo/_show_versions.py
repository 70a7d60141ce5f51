"""Versions for bug reports (two GDALs are loaded on Python 3.11: rasterio's and pyogrio's)."""

from __future__ import annotations

import importlib
import platform
import sys


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    from espass_geo import __version__

    out["espass_geo"] = __version__
    for mod in ("numpy", "pandas", "geopandas", "shapely", "pyproj", "rasterio", "pyogrio",
                "exactextract", "dask", "xarray", "rioxarray", "folium", "branca", "matplotlib"):
        try:
            out[mod] = getattr(importlib.import_module(mod), "__version__", "?")
        except ImportError:
            out[mod] = "absent"
    try:
        import rasterio

        out["GDAL (rasterio)"] = rasterio.__gdal_version__
    except ImportError:
        pass
    try:
        import pyogrio

        out["GDAL (pyogrio)"] = pyogrio.__gdal_version_string__
    except ImportError:
        pass
    try:
        import pyproj
        import shapely

        out["PROJ"] = pyproj.proj_version_str
        out["GEOS"] = shapely.geos_version_string
    except ImportError:
        pass
    return out


def show_versions() -> None:
    for k, v in versions().items():
        print(f"{k:>16}: {v}")
