"""Parcels through the hybrid engine (issue #14): ``area_table_from_raster(parcels=…,
engine="hybrid")`` measures the land cover inside the parcel × zone pieces with the hybrid
engine (core/hybrid_areas.py) instead of exactextract, and the pieces come from
``core.areas.parcel_pieces`` (STRtree, only the parcels cut by a zone boundary intersected)
instead of ``gpd.overlay``.

Random grids, zones and parcels (hypothesis): the hybrid table equals the exactextract one
within 1e-6 ha per zone × code; closure against an independent shapely computation.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from espass_geo.core.areas import area_table_from_raster, parcel_pieces
from espass_geo.errors import CoverageError, PartialCoverageWarning

TOL_HA = 1e-6


def _write(path, arr, pixel, x0=0.0, y0=0.0, nodata=None, crs="EPSG:2154"):
    profile = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                   dtype=arr.dtype, crs=crs, transform=from_origin(x0, y0, pixel, pixel))
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
    return path


def _random_case(rng, h, w, pixel, x0, y0):
    """Voronoi zones over a box 20 % larger than the raster; disjoint rotated-rectangle
    parcels from sub-pixel to several pixels, anywhere (across zone edges, off the raster)."""
    W, H = w * pixel, h * pixel
    big = shapely.box(x0 - 0.2 * W, y0 - 1.2 * H, x0 + 1.2 * W, y0 + 0.2 * H)
    n = int(rng.integers(1, 6))
    pts = shapely.multipoints(np.column_stack([rng.uniform(x0, x0 + W, n),
                                               rng.uniform(y0 - H, y0, n)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=big))
    cells = [c.intersection(big) for c in cells]
    cells = [c for c in cells if c.area > 0]
    zones = gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(len(cells))]},
                             geometry=cells, crs="EPSG:2154")
    taken = shapely.Polygon()
    geoms, codes = [], []
    for _ in range(int(rng.integers(1, 12))):
        cx, cy = x0 + rng.uniform(-0.1, 1.1) * W, y0 - rng.uniform(-0.1, 1.1) * H
        a, b = rng.uniform(0.2, 3.0, 2) * pixel
        g = shapely.affinity.rotate(shapely.box(cx - a, cy - b, cx + a, cy + b),
                                    float(rng.uniform(0, 180)))
        g = g.difference(taken)  # parcels do not overlap
        parts = shapely.get_parts(g)
        parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 1e-6)]
        if len(parts) == 0:
            continue
        g = shapely.union_all(parts)
        taken = taken.union(g)
        geoms.append(g)
        codes.append(int(rng.choice([211, 311, 231])))
    parcels = gpd.GeoDataFrame({"parcel_id": [f"p{i}" for i in range(len(geoms))],
                                "code": codes}, geometry=geoms, crs="EPSG:2154")
    return zones, parcels


def _table(tif, zones, parcels, engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        return area_table_from_raster(zones, tif, parcels=parcels, engine=engine,
                                      max_nodata_share=1.0)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(2, 30), w=st.integers(2, 30),
       pixel=st.sampled_from([1.0, 2.5, 10.0, 20.0]), with_nodata=st.booleans())
def test_hybrid_parcels_equal_exactextract_and_close(tmp_path, seed, h, w, pixel, with_nodata):
    rng = np.random.default_rng(seed)
    x0, y0 = float(rng.uniform(-1e3, 1e3)), float(rng.uniform(-1e3, 1e3))
    values = [0, 211, 311, 112] if with_nodata else [211, 311, 112]
    arr = rng.choice(np.array(values, dtype=np.uint16), size=(h, w))
    tif = _write(tmp_path / f"lc_{seed}.tif", arr, pixel, x0, y0,
                 nodata=0 if with_nodata else None)
    zones, parcels = _random_case(rng, h, w, pixel, x0, y0)
    try:
        ex = _table(tif, zones, parcels, "exact")
    except CoverageError:  # no classified pixel at all: the hybrid engine says the same
        with pytest.raises(CoverageError):
            _table(tif, zones, parcels, "hybrid")
        return
    hy = _table(tif, zones, parcels, "hybrid")
    # same table per zone × code × source, within 1e-6 ha
    key = ["zone_id", "code", "area_source"]
    diff = (hy.table.set_index(key)["area_ha"]
            .sub(ex.table.set_index(key)["area_ha"], fill_value=0.0).abs())
    assert diff.max() <= TOL_HA, diff.sort_values().tail()
    pd.testing.assert_frame_equal(hy.summary, ex.summary, atol=TOL_HA, rtol=0)
    # closure, computed independently with shapely: what is classified in a zone is the zone
    # ∩ (valid pixels ∪ parcels), valid pixels = raster box minus the no-data pixels
    nod = [shapely.box(x0 + c * pixel, y0 - (r + 1) * pixel, x0 + (c + 1) * pixel,
                       y0 - r * pixel) for r, c in zip(*np.nonzero(arr == 0), strict=True)]
    valid = shapely.box(x0, y0 - h * pixel, x0 + w * pixel, y0).difference(
        shapely.union_all(nod)) if nod else shapely.box(x0, y0 - h * pixel, x0 + w * pixel, y0)
    counted = valid.union(shapely.union_all(parcels.geometry.values)) if len(parcels) else valid
    expected = zones.geometry.intersection(counted).area.to_numpy() / 1e4
    s = hy.summary.set_index("zone_id").loc[zones["zone_id"]]
    np.testing.assert_allclose(s["classified_area_ha"].to_numpy(), expected, rtol=0,
                               atol=TOL_HA)
    np.testing.assert_allclose(s["classified_area_ha"] + s["nodata_area_ha"],
                               s["polygon_area_ha"], rtol=0, atol=TOL_HA)
    # parcel area of a zone: its pieces, by shapely
    pieces = (zones.geometry.intersection(shapely.union_all(parcels.geometry.values)).area
              .to_numpy() / 1e4 if len(parcels) else np.zeros(len(zones)))
    np.testing.assert_allclose(s["parcel_area_ha"].to_numpy(), pieces, rtol=0, atol=TOL_HA)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_parcel_pieces_are_the_overlay(seed):
    """parcel_pieces gives gpd.overlay's pieces: same parcel × zone pairs, same areas."""
    rng = np.random.default_rng(seed)
    zones, parcels = _random_case(rng, 10, 10, 10.0, 0.0, 100.0)
    got = parcel_pieces(parcels, zones)
    ref = gpd.overlay(parcels, zones, how="intersection", keep_geom_type=True)
    ref = ref[ref.geometry.area > 0]
    a = got.assign(a=got.geometry.area).set_index(["parcel_id", "zone_id"])["a"].sort_index()
    b = ref.assign(a=ref.geometry.area).set_index(["parcel_id", "zone_id"])["a"].sort_index()
    pd.testing.assert_index_equal(a.index, b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-9)
    assert set(shapely.get_type_id(got.geometry.values)) <= {3, 6}  # polygons only
    assert (got["code"].to_numpy() == parcels.set_index("parcel_id").loc[
        got["parcel_id"], "code"].to_numpy()).all()


def test_parcels_by_hand(tmp_path):
    # 10 m pixels (0.01 ha), 4 × 4 raster at origin (0, 40): columns 0-1 code 311 (forest),
    # columns 2-3 code 211 (crops). Zones: a = x in [0, 20], b = x in [20, 40] (0.08 ha each).
    arr = np.full((4, 4), 311, dtype=np.uint16)
    arr[:, 2:] = 211
    tif = _write(tmp_path / "lc.tif", arr, 10.0, 0.0, 40.0)
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"]},
                             geometry=[shapely.box(0, 0, 20, 40), shapely.box(20, 0, 40, 40)],
                             crs="EPSG:2154")
    # p1: x in [15, 25], y in [10, 30], declared 231 (grassland): crosses the zone edge.
    #   in a: 5 × 20 = 100 m² over forest; in b: 5 × 20 = 100 m² over crops.
    # p2: x in [32, 38], y in [2, 7], declared 211, wholly inside b: 30 m² over crops (agrees).
    parcels = gpd.GeoDataFrame({"parcel_id": ["p1", "p2"], "code": [231, 211]},
                               geometry=[shapely.box(15, 10, 25, 30), shapely.box(32, 2, 38, 7)],
                               crs="EPSG:2154")
    for engine in ("hybrid", "exact"):
        at = area_table_from_raster(zones, tif, parcels=parcels, engine=engine)
        t = at.table.set_index(["zone_id", "code", "area_source"])["area_ha"]
        assert t.to_dict() == pytest.approx({
            # a: 800 m² of forest − 100 m² under p1 = 700 m²; p1's 100 m² as 231
            ("a", "311", "landcover"): 0.07, ("a", "231", "parcels"): 0.01,
            # b: 800 m² of crops − 100 (p1) − 30 (p2) = 670 m²; p1 100 m² 231, p2 30 m² 211
            ("b", "211", "landcover"): 0.067, ("b", "231", "parcels"): 0.01,
            ("b", "211", "parcels"): 0.003}, abs=1e-9)  # exactextract: float32 fractions
        s = at.summary.set_index("zone_id")
        assert s["parcel_area_ha"].to_dict() == pytest.approx({"a": 0.01, "b": 0.013})
        # disagreement: p1 everywhere (231 over 311 / 211); p2 agrees
        assert s["disagreement_ha"].to_dict() == pytest.approx({"a": 0.01, "b": 0.01})
        assert (s["classified_area_ha"] + s["nodata_area_ha"]).to_dict() == pytest.approx(
            {"a": 0.08, "b": 0.08})


def test_warped_raster_keeps_its_note_with_parcels(tmp_path):
    # a raster in EPSG:32631 is warped to Lambert-93 on the fly; with parcels the note saying
    # so used to be replaced by the parcels' notes. Both must be there, and both engines agree.
    from pyproj import Transformer

    x, y = Transformer.from_crs(2154, 32631, always_xy=True).transform(700_000, 6_600_000)
    arr = np.full((20, 20), 211, dtype=np.uint16)
    arr[:, 10:] = 311
    tif = _write(tmp_path / "utm.tif", arr, 10.0, round(x) - 100, round(y) + 100,
                 crs="EPSG:32631")
    zones = gpd.GeoDataFrame({"zone_id": ["z"]},
                             geometry=[shapely.box(699_950, 6_599_950, 700_050, 6_600_050)],
                             crs="EPSG:2154")
    parcels = gpd.GeoDataFrame({"parcel_id": ["p"], "code": [231]},
                               geometry=[shapely.box(699_980, 6_599_980, 700_020, 6_600_020)],
                               crs="EPSG:2154")
    out = {}
    for engine in ("hybrid", "exact"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PartialCoverageWarning)
            at = area_table_from_raster(zones, tif, parcels=parcels, engine=engine)
        assert any("reprojeté" in n for n in at.notes), at.notes
        assert any(n.startswith("Parcelles") for n in at.notes), at.notes
        out[engine] = at.table.set_index(["code", "area_source"])["area_ha"]
    diff = out["hybrid"].sub(out["exact"], fill_value=0.0).abs()
    assert diff.max() <= TOL_HA
    # the parcel (40 × 40 m = 0.16 ha) is declared as 231 whatever the raster
    assert out["hybrid"][("231", "parcels")] == pytest.approx(0.16)
