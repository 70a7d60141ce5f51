"""The density pass by blocks (issue #14 item 2): the grid written block by block to a tiled
GeoTIFF on disk equals the grid held in memory, and both equal a direct per-pixel reference.

Reference, computed independently of the block machinery: rasterize every zone on the whole
window at once (pixel centre, zone index + 1), the parcels' declared codes likewise, replace the
land-cover code by the parcel code inside parcels, then ``lut[zone, code]`` where the pixel is in
a zone, its code in 1..MAX_CODE-1 and not the raster's no-data, NODATA elsewhere.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.features import rasterize
from shapely.geometry import Polygon, box

from espass_geo.core.density import (
    MAX_CODE,
    NODATA,
    density_grid,
    write_density_grid,
)

H, W = 300, 430
X0, Y0 = 700_000.0, 6_600_000.0
T = Affine(10.0, 0.0, X0, 0.0, -10.0, Y0)


@pytest.fixture
def raster(tmp_path):
    rng = np.random.default_rng(7)
    codes = np.array([0, 112, 211, 231, 311, 512, 999, 1500, 255], dtype="uint16")
    a = rng.choice(codes, size=(H, W), p=[.05, .15, .3, .2, .15, .05, .03, .02, .05])
    path = tmp_path / "lc.tif"
    with rasterio.open(path, "w", driver="GTiff", width=W, height=H, count=1, dtype="uint16",
                       crs="EPSG:2154", transform=T, nodata=255, tiled=True, blockxsize=64,
                       blockysize=64) as dst:
        dst.write(a, 1)
    return path, a


def _zones():
    # A: a large rectangle holding whole 64-px blocks; B: a triangle cutting blocks; C: a thin
    # strip partly off the raster (its outside part has no pixel)
    a = box(X0 + 50, Y0 - 2_900, X0 + 2_600, Y0 - 100)
    b = Polygon([(X0 + 2_600, Y0 - 100), (X0 + 4_200, Y0 - 150), (X0 + 2_700, Y0 - 2_800)])
    c = box(X0 + 3_000, Y0 - 2_990, X0 + 5_000, Y0 - 2_700)
    return gpd.GeoDataFrame({"zone_id": ["A", "B", "C"]}, geometry=[a, b, c], crs=2154)


def _parcels():
    return gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2"], "code": [231, 211]},
        geometry=[box(X0 + 1_000, Y0 - 1_000, X0 + 1_500, Y0 - 600),      # inside A
                  box(X0 + 2_500, Y0 - 800, X0 + 3_100, Y0 - 500)],        # across A and B
        crs=2154)


def _lut():
    lut = np.full((4, MAX_CODE), np.nan, dtype="float32")
    for z in (1, 2, 3):  # density = 10 × zone + code / 100, so every (zone, code) differs
        for code in (112, 211, 231, 311, 512):
            lut[z, code] = 10.0 * z + code / 100.0
    return lut


def _reference(a, zones, parcels, lut):
    zi = rasterize(((g, i + 1) for i, g in enumerate(zones.geometry)), out_shape=(H, W),
                   transform=T, fill=0, dtype="int32")
    lc = a.astype(np.int64)
    if parcels is not None:
        pc = rasterize(((g, int(c)) for g, c in zip(parcels.geometry, parcels["code"],
                                                     strict=True)),
                       out_shape=(H, W), transform=T, fill=0, dtype="int32")
        lc = np.where(pc > 0, pc, lc)
    valid = (zi > 0) & (lc > 0) & (lc < MAX_CODE) & (lc != 255)
    out = np.full((H, W), NODATA, dtype="float32")
    v = lut[zi[valid], lc[valid]]
    out[valid] = np.where(np.isnan(v), NODATA, v)
    return out


@pytest.mark.parametrize("with_parcels", [False, True])
@pytest.mark.parametrize("block_size", [64, 128, 1024])
def test_blocks_on_disk_equal_memory_and_reference(raster, with_parcels, block_size):
    path, a = raster
    zones, lut = _zones(), _lut()
    parcels = _parcels() if with_parcels else None
    mem = density_grid(path, zones, lut, parcels=parcels, block_size=block_size)
    disk = density_grid(path, zones, lut, parcels=parcels, block_size=block_size,
                        in_memory_max_px=0, workers=2)
    assert not mem.on_disk and disk.on_disk and disk.path.exists()
    # the window is the zones' bounding box clipped to the raster: here the whole raster
    # (A starts 5 px from the left edge, C reaches past the right edge and the bottom)
    ref = _reference(a, zones, parcels, lut)
    r0 = round((Y0 - mem.transform.f) / 10.0)
    c0 = round((mem.transform.c - X0) / 10.0)
    ref = ref[r0:r0 + mem.shape[0], c0:c0 + mem.shape[1]]
    assert np.array_equal(mem.array, ref)
    assert np.array_equal(disk.array, ref)
    assert disk.transform == mem.transform and disk.shape == mem.shape
    # Σ density × 0.01 ha per pixel, by blocks on disk = on the array
    expected = float(ref[ref != NODATA].sum(dtype="float64")) * 0.01
    assert disk.total_stock_tC() == pytest.approx(expected, rel=1e-12)
    assert mem.total_stock_tC() == pytest.approx(expected, rel=1e-12)


def test_on_disk_grid_written_as_cog_and_cleaned(raster, tmp_path):
    path, _ = raster
    disk = density_grid(path, _zones(), _lut(), block_size=128, in_memory_max_px=0)
    out = write_density_grid(disk, tmp_path / "stock_density.tif")
    with rasterio.open(out) as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.tags()["units"] == "tC/ha" and src.nodata == NODATA
        assert np.array_equal(src.read(1), disk.array)
    folder = disk.path.parent
    del disk  # the temporary folder goes with the grid
    import gc

    gc.collect()
    assert not folder.exists()


def test_codes_beyond_the_lut_are_nodata(raster):
    # 999 has no density (NaN in the LUT), 1500 ≥ MAX_CODE, 255 is the raster's no-data, 0 is
    # no class: all NODATA although they lie inside zone A
    path, a = raster
    g = density_grid(path, _zones(), _lut(), block_size=64, in_memory_max_px=0)
    arr = g.array
    r0 = round((Y0 - g.transform.f) / 10.0)
    c0 = round((g.transform.c - X0) / 10.0)
    sub = a[r0:r0 + g.shape[0], c0:c0 + g.shape[1]]
    assert (arr[np.isin(sub, [0, 999, 1500, 255])] == NODATA).all()


def test_change_grid_on_disk_equals_memory(tmp_path, monkeypatch):
    """change.tif's two bands and the sealing hotspots are the same whether the grid is held in
    memory or written block by block (forced here by a 0-pixel memory limit)."""
    import espass_geo.runs.flows as flows_mod
    from espass_geo.runs.flows import change_grid, write_change_grid

    rng = np.random.default_rng(3)
    before = rng.choice(np.array([211, 231, 311, 112], dtype="uint16"), size=(H, W))
    after = before.copy()
    after[40:140, 60:260] = 112  # 100 × 200 px sealed (of which the 112 before stay 112)
    paths = []
    for name, a in (("b.tif", before), ("a.tif", after)):
        p = tmp_path / name
        with rasterio.open(p, "w", driver="GTiff", width=W, height=H, count=1, dtype="uint16",
                           crs="EPSG:2154", transform=T, nodata=0) as dst:
            dst.write(a, 1)
        paths.append(p)
    zones = _zones()
    mem = change_grid(*paths, zones, block_size=128)
    monkeypatch.setattr(flows_mod, "IN_MEMORY_MAX_PX", 0)
    disk = change_grid(*paths, zones, block_size=128)
    assert disk.on_disk and not mem.on_disk
    assert np.array_equal(disk.before, mem.before) and np.array_equal(disk.after, mem.after)
    assert disk.transform == mem.transform
    assert disk.hotspots["sealed_ha"].sum() == pytest.approx(mem.hotspots["sealed_ha"].sum())
    assert list(disk.hotspots["cell_id"]) == list(mem.hotspots["cell_id"])
    # every sealed pixel counted: 10 m pixels = 0.01 ha; pixels inside a zone that were not 112
    sealed_px = ((mem.before != 112) & (mem.after == 112) & (mem.before > 0)).sum()
    assert mem.hotspots["sealed_ha"].sum() == pytest.approx(sealed_px * 0.01)
    out_m = write_change_grid(mem, tmp_path / "m.tif")
    out_d = write_change_grid(disk, tmp_path / "d.tif")
    with rasterio.open(out_m) as a, rasterio.open(out_d) as b:
        assert np.array_equal(a.read(), b.read())
        assert b.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert b.descriptions == ("Classe CLC avant", "Classe CLC après")
