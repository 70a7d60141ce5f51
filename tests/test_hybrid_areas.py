"""The ``hybrid`` engine (core/hybrid_areas.py) gives the ``exact`` engine's areas.

Random polygons (concave, with holes, multipolygons, zones sharing edges, partly off the raster)
on random small grids: every zone × code within 0.01 ha of exactextract, and closure.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from espass_geo.core.areas import _exact_class_areas, area_table_from_raster
from espass_geo.core.hybrid_areas import edge_fractions_and_runs, hybrid_class_areas
from espass_geo.errors import PartialCoverageWarning

TOL_HA = 0.01


def _write(path, arr, pixel, x0=0.0, y0=0.0, nodata=None):
    profile = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                   dtype=arr.dtype, crs="EPSG:2154", transform=from_origin(x0, y0, pixel, pixel))
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
    return path


def _compare(tif, zones, block_size=2048):
    """Both engines per zone × code on the whole raster; returns the hybrid table."""
    hyb = hybrid_class_areas(tif, zones, "zone_id", block_size=block_size)
    with rasterio.open(tif) as src:
        ex, _ = _exact_class_areas(src, zones, "zone_id")
    h = hyb.groupby(["zone_id", "code"])["area_ha"].sum()
    e = ex.groupby(["zone_id", "code"])["area_ha"].sum()
    diff = h.sub(e, fill_value=0.0).abs()
    assert diff.max() <= TOL_HA if len(diff) else True, diff.sort_values().tail()
    return hyb


def _star(rng, cx, cy, r, n):
    """Star-shaped (generally concave) polygon: n vertices at sorted angles, random radii."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.3 * r, r, n)
    g = shapely.make_valid(shapely.Polygon(np.column_stack([cx + rad * np.cos(ang),
                                                            cy + rad * np.sin(ang)])))
    parts = shapely.get_parts(g)
    return shapely.union_all(parts[shapely.get_type_id(parts) == 3])  # polygonal parts only


def _zones(rng, kind, width_m, height_m, x0, y0):
    ext = shapely.box(x0, y0 - height_m, x0 + width_m, y0)
    # margin: zones may stick out of the raster by up to 20 %
    def pt():
        return (x0 + rng.uniform(-0.2, 1.2) * width_m, y0 - rng.uniform(-0.2, 1.2) * height_m)
    r = 0.4 * max(width_m, height_m)
    geoms = []
    if kind == "voronoi":  # tiling zones sharing edges, clipped to a box larger than the raster
        pts = shapely.multipoints([pt() for _ in range(rng.integers(2, 7))])
        big = ext.buffer(0.15 * width_m, join_style="mitre")
        cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=big))
        geoms = [c.intersection(big) for c in cells]
    else:
        for _ in range(rng.integers(1, 5)):
            g = _star(rng, *pt(), rng.uniform(0.05, 1.0) * r, int(rng.integers(3, 12)))
            if not g.is_valid:
                g = shapely.make_valid(g)
            if kind == "holes":
                g = g.difference(g.centroid.buffer(0.3 * np.sqrt(g.area / np.pi)))
            elif kind == "multi":
                g = g.union(_star(rng, *pt(), 0.3 * r, 6))
            geoms.append(g)
    geoms = [g for g in geoms if not g.is_empty and g.area > 0]
    geoms = [shapely.make_valid(g) for g in geoms]
    geoms = [shapely.union_all(shapely.get_parts(g)[shapely.get_type_id(shapely.get_parts(g))
                                                      == 3]) for g in geoms]
    geoms = [g for g in geoms if not g.is_empty]
    return gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(len(geoms))]},
                            geometry=geoms, crs="EPSG:2154")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(["star", "holes", "multi", "voronoi"]),
       h=st.integers(1, 40), w=st.integers(1, 40),
       pixel=st.sampled_from([1.0, 2.5, 10.0, 20.0, 30.0]),
       block=st.sampled_from([4, 7, 2048]),
       with_nodata=st.booleans())
def test_hybrid_equals_exact_on_random_polygons(tmp_path, seed, kind, h, w, pixel, block,
                                                with_nodata):
    rng = np.random.default_rng(seed)
    x0, y0 = float(rng.uniform(-1e3, 1e3)), float(rng.uniform(-1e3, 1e3))
    arr = rng.choice(np.array([0, 211, 311, 112], dtype=np.uint16), size=(h, w))
    tif = _write(tmp_path / f"lc_{seed}.tif", arr, pixel, x0, y0,
                 nodata=0 if with_nodata else None)
    zones = _zones(rng, kind, w * pixel, h * pixel, x0, y0)
    if zones.empty:
        return
    hyb = _compare(tif, zones, block_size=block)
    # closure: classes + no-data + outside = polygon area, exact to float rounding
    if not with_nodata:
        inside = zones.geometry.intersection(shapely.box(x0, y0 - h * pixel, x0 + w * pixel, y0))
        got = hyb.groupby("zone_id")["area_ha"].sum().reindex(zones["zone_id"], fill_value=0)
        np.testing.assert_allclose(got.to_numpy(), inside.area.to_numpy() / 1e4,
                                   rtol=1e-9, atol=1e-9)


def test_fractions_by_hand():
    # 1 m pixels, grid 4 × 4 at origin (0, 4): the square [0.5, 2.5] × [0.5, 2.5] covers
    # a quarter of the four corner pixels, half of the four edge-middle pixels, and the
    # centre pixel (1..2, 1..2) whole: 4 × 0.25 + 4 × 0.5 + 1 = 4 m².
    g = shapely.box(0.5, 0.5, 2.5, 2.5)
    (ez, er, ec, ef), (rz, rr, ra, rb) = edge_fractions_and_runs(
        np.array([g]), from_origin(0, 4, 1, 1), 4, 4)
    got = {(int(r), int(c)): float(f) for r, c, f in zip(er, ec, ef, strict=True)}
    # rows counted from the top (y = 4): y in [0.5, 2.5] → rows 1..3
    assert got == pytest.approx({(1, 0): 0.25, (1, 1): 0.5, (1, 2): 0.25,
                                 (2, 0): 0.5, (2, 2): 0.5,
                                 (3, 0): 0.25, (3, 1): 0.5, (3, 2): 0.25})
    assert list(zip(rr, ra, rb, strict=True)) == [(2, 1, 2)]  # the whole centre pixel
    assert ef.sum() + (rb - ra).sum() == pytest.approx(4.0)


def test_zone_smaller_than_a_pixel_and_on_the_raster_edge(tmp_path):
    # 10 m pixels (0.01 ha), 3 × 3 raster of code 211 at origin (0, 30).
    arr = np.full((3, 3), 211, dtype=np.uint16)
    tif = _write(tmp_path / "lc.tif", arr, 10.0, 0.0, 30.0)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["tiny", "edge"]},
        # tiny: 2 m × 3 m = 6 m² inside one pixel = 0.0006 ha;
        # edge: [-10, 15] × [0, 30], of which [0, 15] × [0, 30] = 450 m² = 0.045 ha on the raster
        geometry=[shapely.box(12, 12, 14, 15), shapely.box(-10, 0, 15, 30)], crs="EPSG:2154")
    hyb = _compare(tif, zones).set_index("zone_id")["area_ha"]
    assert hyb["tiny"] == pytest.approx(0.0006, abs=1e-12)
    assert hyb["edge"] == pytest.approx(0.045, abs=1e-12)


def test_overlapping_zones_each_get_their_area(tmp_path):
    # 10 m pixels, 10 × 10 raster of 311: two 50 × 50 m squares overlapping by 25 × 50 m
    # → each 0.25 ha, as exactextract (each zone on its own).
    tif = _write(tmp_path / "lc.tif", np.full((10, 10), 311, dtype=np.uint16), 10.0, 0, 100)
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"]},
                             geometry=[shapely.box(13, 13, 63, 63), shapely.box(38, 13, 88, 63)],
                             crs="EPSG:2154")
    hyb = _compare(tif, zones).set_index("zone_id")["area_ha"]
    assert hyb.to_dict() == pytest.approx({"a": 0.25, "b": 0.25})


def test_engine_hybrid_in_area_table_nodata_and_closure(tmp_path):
    # 10 m pixels, 6 × 6 raster: left half 211, right half 312, top row no-data (0).
    arr = np.full((6, 6), 211, dtype=np.uint16)
    arr[:, 3:] = 312
    arr[0, :] = 0
    tif = _write(tmp_path / "lc.tif", arr, 10.0, 0.0, 60.0, nodata=0)
    # zone [5, 55] × [5, 55] = 0.25 ha; no-data part y in [50, 55] → 50 × 5 = 250 m² = 0.025 ha;
    # the rest 0.225 ha split at x = 30: 211 gets 25 × 45 = 0.1125 ha, 312 the same.
    zones = gpd.GeoDataFrame({"zone_id": ["z"]}, geometry=[shapely.box(5, 5, 55, 55)],
                             crs="EPSG:2154")
    with pytest.warns(PartialCoverageWarning, match="« z »"):  # 0.025 / 0.25 ha = 10 %
        hyb = area_table_from_raster(zones, tif, engine="hybrid")
    with pytest.warns(PartialCoverageWarning):
        ex = area_table_from_raster(zones, tif, engine="exact")
    pd.testing.assert_frame_equal(hyb.table, ex.table, atol=1e-9)
    assert hyb.table.set_index("code")["area_ha"].to_dict() == pytest.approx(
        {"211": 0.1125, "312": 0.1125})
    s = hyb.summary.iloc[0]
    assert s["nodata_area_ha"] == pytest.approx(0.025)
    assert s["classified_area_ha"] + s["nodata_area_ha"] == pytest.approx(s["polygon_area_ha"])


def test_south_up_grid_same_fractions():
    # the square of test_fractions_by_hand on a grid whose rows go up (origin y = 0, e = +1):
    # the same 4 m², split in the same fractions.
    from affine import Affine

    g = shapely.box(0.5, 0.5, 2.5, 2.5)
    (_, _, _, ef), (_, _, ra, rb) = edge_fractions_and_runs(np.array([g]),
                                                            Affine(1, 0, 0, 0, 1, 0), 4, 4)
    assert sorted(ef) == pytest.approx([0.25] * 4 + [0.5] * 4)
    assert ef.sum() + (rb - ra).sum() == pytest.approx(4.0)
