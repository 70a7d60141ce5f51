"""stock_density.tif and change.tif are Cloud-Optimized GeoTIFFs with overviews (issue #14 item 2).

Grids of 600 × 700 px (larger than the 512 px above which GDAL builds overviews) written by
the package's writers: the files are COGs (layout COG, 256 px tiles, deflate, overviews 2 and
4), the full-resolution values, nodata, tags and band descriptions are unchanged, and the
overviews average densities (nodata ignored) but keep class codes (nearest).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine

from espass_geo.core.density import NODATA, DensityGrid, write_density_grid
from espass_geo.runs.flows import ChangeGrid, write_change_grid

H, W = 600, 700
TRANSFORM = Affine(10.0, 0.0, 700000.0, 0.0, -10.0, 6600000.0)  # 10 m pixels, Lambert-93


def _is_cog(src) -> None:
    assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)
    assert src.compression.name.lower() == "deflate"
    assert src.overviews(1) == [2, 4]  # 600 × 700 → 300 × 350 → 150 × 175 (< 256)


def test_density_is_a_cog_with_averaged_overviews(tmp_path):
    rng = np.random.default_rng(0)
    array = rng.uniform(20.0, 180.0, size=(H, W)).astype("float32")
    array[:, :100] = NODATA  # a strip outside the territory
    array[100:102, 300:302] = [[10.0, 20.0], [30.0, NODATA]]
    out = write_density_grid(DensityGrid(array=array, transform=TRANSFORM, crs="EPSG:2154"),
                             tmp_path / "stock_density.tif")
    with rasterio.open(out) as src:
        _is_cog(src)
        assert np.array_equal(src.read(1), array)  # lossless: every value unchanged
        assert src.nodata == NODATA and src.transform == TRANSFORM and src.crs.to_epsg() == 2154
        assert src.tags()["units"] == "tC/ha"
        assert src.descriptions == ("Densité de stock de carbone (tC/ha)",)
        half = src.read(1, out_shape=(H // 2, W // 2))  # the 2× overview
    # overview pixel (50, 150) = mean of the 2 × 2 block (100:102, 300:302) without nodata:
    # (10 + 20 + 30) / 3 = 20 tC/ha; the nodata strip stays nodata
    assert half[50, 150] == np.float32(20.0)
    assert (half[:, :50] == NODATA).all()


def test_change_grid_is_a_cog_with_class_overviews(tmp_path):
    rng = np.random.default_rng(1)
    codes = np.array([112, 211, 231, 311, 512], dtype="uint16")
    before = rng.choice(codes, size=(H, W))
    after = before.copy()
    after[200:260, 300:400] = 112  # sealed
    before[:50] = after[:50] = 0  # outside the territory
    grid = ChangeGrid(before=before, after=after, transform=TRANSFORM, crs="EPSG:2154",
                      dates="clc2012.tif -> clc2018.tif",
                      hotspots=gpd.GeoDataFrame(geometry=[], crs=2154))
    out = write_change_grid(grid, tmp_path / "change.tif")
    with rasterio.open(out) as src:
        _is_cog(src)
        assert np.array_equal(src.read(1), before) and np.array_equal(src.read(2), after)
        assert src.nodata == 0 and src.count == 2
        assert src.descriptions == ("Classe CLC avant", "Classe CLC après")
        assert src.tags()["dates"] == "clc2012.tif -> clc2018.tif"
        quarter = src.read(1, out_shape=(H // 4, W // 4))  # the 4× overview
    # nearest: every overview pixel is one of the codes (or 0), never an average of codes
    assert set(np.unique(quarter)) <= {0, *codes.tolist()}
