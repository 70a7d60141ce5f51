"""Shared fixtures: a 4×4 land-cover raster at 100 m and two box communes.

Raster (CLC codes, 100 m pixels = 1 ha each, origin x=700000, y=6600400, EPSG:2154)::

    211 211 231 231
    211 211 311 311
    112 112 311   0
    112 112 311   0      (0 = nodata)

Zone "A" = left half (x 700000–700200: 200 m × 400 m = 8 ha),
zone "B" = right half (x 700200–700400, 8 ha).
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

# The report's PDF (headless Chromium, a few seconds per bilan) is made only by the tests that
# ask for it (tests/test_report_officials.py): every other bilan of the suite skips it.
os.environ.setdefault("ESPASS_GEO_CHROMIUM", "non")

X0, Y0, RES = 700000.0, 6600400.0, 100.0

TINY = np.array([[211, 211, 231, 231],
                 [211, 211, 311, 311],
                 [112, 112, 311, 0],
                 [112, 112, 311, 0]], dtype="uint16")


def write_raster(path, array, *, crs="EPSG:2154", nodata=0, res=RES, x0=X0, y0=Y0, tags=None):
    transform = from_origin(x0, y0, res, res)
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0],
                       count=1, dtype=array.dtype, crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(array, 1)
        if tags:
            dst.update_tags(**tags)
    return path


@pytest.fixture
def tiny_raster(tmp_path):
    return write_raster(tmp_path / "occupation_été.tif", TINY)


@pytest.fixture
def two_zones():
    return gpd.GeoDataFrame(
        {"zone_id": ["A", "B"], "zone_name": ["Saint-Étienne-test", "Châteauneuf-sur-Isère"],
         "zpc": ["2_1", "2_1"], "region_code": ["32", "32"], "departement": ["59", "59"],
         "epci": [None, None]},
        geometry=[box(X0, Y0 - 400, X0 + 200, Y0), box(X0 + 200, Y0 - 400, X0 + 400, Y0)],
        crs="EPSG:2154")


@pytest.fixture
def zones_file(tmp_path, two_zones):
    path = tmp_path / "zones_démo.geojson"
    two_zones[["zone_id", "zone_name", "geometry"]].to_crs(4326).to_file(path, engine="pyogrio")
    return path


@pytest.fixture(autouse=True, scope="session")
def _synthetic_polygons_region():
    """The suite's synthetic zones (around X0, Y0 = 700 000, 6 600 400: no known commune under
    them) are given with --zpc only: their region is Hauts-de-France (32), as if every test
    passed --region 32. The package itself assumes no region (territory.resolve:
    ZPC_ALONE_DEFAULT_REGION = None; tests/test_national.py checks the error)."""
    from espass_geo.territory import resolve

    before = resolve.ZPC_ALONE_DEFAULT_REGION
    resolve.ZPC_ALONE_DEFAULT_REGION = "32"  # session-wide: module fixtures build bilans too
    yield
    resolve.ZPC_ALONE_DEFAULT_REGION = before
