"""Area tables: hand-computed cross-tabs, partial pixels, parcels, closure (hypothesis)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import RES, X0, Y0, write_raster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from espass_geo.core.areas import area_table_from_raster, check_closure
from espass_geo.errors import CoverageError, PartialCoverageWarning
from espass_geo.io.area_tables import area_table_from_csv
from espass_geo.io.parcels import read_parcels

#: Zone B of the tiny raster: 2 no-data pixels of 1 ha in its 8 ha -> 2 / 8 = 25,0 %.
B_NODATA = r"\(B\) : 25,0\s% \(2,00\sha sur 8,00\sha\)"


def as_dict(table, zone):
    t = table[table["zone_id"] == zone]
    return t.groupby("code")["area_ha"].sum().round(6).to_dict()


@pytest.mark.parametrize("engine", ["exact", "center"])
def test_two_box_communes_hand_computed(tiny_raster, two_zones, engine):
    with pytest.warns(PartialCoverageWarning, match=B_NODATA):
        at = area_table_from_raster(two_zones, tiny_raster, engine=engine)
    # A (left two columns): 4 px of 211 and 4 px of 112, 1 px = 100 m × 100 m = 1 ha
    assert as_dict(at.table, "A") == {"112": 4.0, "211": 4.0}
    # B (right two columns): 231 ×2, 311 ×4, nodata ×2 -> 2 ha, 4 ha, 2 ha without data
    assert as_dict(at.table, "B") == {"231": 2.0, "311": 4.0}
    s = at.summary.set_index("zone_id")
    assert s.loc["A", "polygon_area_ha"] == pytest.approx(8.0)
    assert s.loc["B", "nodata_area_ha"] == pytest.approx(2.0)
    assert check_closure(at).empty


def test_partial_pixel_coverage(tiny_raster):
    # zone x 700050–700250 over all rows: half of column 0, column 1, half of column 2
    # 211: 0.5×2 + 2 = 3 ha; 112: 0.5×2 + 2 = 3 ha; 231: 0.5 ha; 311: 0.5×3 = 1.5 ha -> 8 ha
    zones = gpd.GeoDataFrame({"zone_id": ["C"]},
                             geometry=[box(X0 + 50, Y0 - 400, X0 + 250, Y0)], crs=2154)
    exact = area_table_from_raster(zones, tiny_raster)
    assert as_dict(exact.table, "C") == {"112": 3.0, "211": 3.0, "231": 0.5, "311": 1.5}
    # the centre engine takes whole pixels whose centre is inside: columns 1 and 2 only
    center = area_table_from_raster(zones, tiny_raster, engine="center")
    assert as_dict(center.table, "C") == {"112": 2.0, "211": 2.0, "231": 1.0, "311": 3.0}


def test_parcels_take_precedence(tmp_path, tiny_raster, two_zones):
    parcels = gpd.GeoDataFrame(
        {"ID_PARCEL": ["P1", "P2"], "CODE_CULTU": ["PPH", "BTH"], "CODE_GROUP": ["18", "1"]},
        geometry=[box(X0, Y0 - 200, X0 + 100, Y0),            # 2 px of 211 declared grassland
                  box(X0 + 150, Y0 - 100, X0 + 250, Y0)],     # straddles A (211) and B (231)
        crs=2154)
    path = tmp_path / "rpg.gpkg"
    parcels.to_file(path, layer="parcelles", engine="pyogrio")
    p = read_parcels(path)
    assert p["code"].tolist() == [231, 211]  # PPH -> 231 (crop row), group 1 -> 211
    with pytest.warns(PartialCoverageWarning, match=B_NODATA):  # parcels miss column 3
        at = area_table_from_raster(two_zones, tiny_raster, parcels=p)
    # A: 211 = 4 − 2 (P1) − 0.5 (P2, raster 211) + 0.5 (P2 declared 211) = 2 ha; 231 = 2 ha
    assert as_dict(at.table, "A") == {"112": 4.0, "211": 2.0, "231": 2.0}
    # B: 231 = 2 − 0.5 (P2 over raster 231) = 1.5 ha; 211 = 0.5 ha declared; 311 = 4 ha
    assert as_dict(at.table, "B") == {"211": 0.5, "231": 1.5, "311": 4.0}
    s = at.summary.set_index("zone_id")
    # disagreement: P1 2 ha (211 vs 231) in A, the B half of P2 0.5 ha (231 vs 211)
    assert s.loc["A", "disagreement_ha"] == pytest.approx(2.0)
    assert s.loc["B", "disagreement_ha"] == pytest.approx(0.5)
    assert s.loc["A", "parcel_area_ha"] == pytest.approx(2.5)
    sources = at.table.groupby("area_source")["area_ha"].sum()
    assert sources["parcels"] == pytest.approx(3.0)
    assert check_closure(at).empty


def test_area_csv_long_and_wide(tmp_path):
    long = tmp_path / "surfaces.csv"
    long.write_text("zone_id,code,area_ha\n59001,211,10\n59001,311,2.5\n59002,211,4\n")
    at = area_table_from_csv(long)
    assert as_dict(at.table, "59001") == {"211": 10.0, "311": 2.5}
    assert at.table["area_source"].unique().tolist() == ["user"]
    wide = tmp_path / "clc18.csv"
    wide.write_text("siren,211,311\n245900428,100,\n200040954,5,7\n")
    at = area_table_from_csv(wide)
    assert as_dict(at.table, "245900428") == {"211": 100.0}
    assert as_dict(at.table, "200040954") == {"211": 5.0, "311": 7.0}


def _brute_force(array, poly, nodata=0):
    """Exact class areas by intersecting every pixel square with the polygon (shapely)."""
    out: dict[str, float] = {}
    for r in range(array.shape[0]):
        for c in range(array.shape[1]):
            if array[r, c] == nodata:
                continue
            px = box(X0 + c * RES, Y0 - (r + 1) * RES, X0 + (c + 1) * RES, Y0 - r * RES)
            a = px.intersection(poly).area * 1e-4
            if a > 0:
                out[str(int(array[r, c]))] = out.get(str(int(array[r, c])), 0.0) + a
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_closure_property(tmp_path_factory, data):
    """Class areas + nodata = polygon area; class areas equal a brute-force pixel overlay."""
    n = data.draw(st.integers(3, 8))
    codes = data.draw(st.lists(st.sampled_from([0, 211, 231, 311, 112, 512]),
                               min_size=n * n, max_size=n * n))
    array = np.array(codes, dtype="uint16").reshape(n, n)
    path = write_raster(tmp_path_factory.mktemp("r") / "lc.tif", array)
    x1 = data.draw(st.floats(-50, n * RES - 10))
    y1 = data.draw(st.floats(-50, n * RES - 10))
    w = data.draw(st.floats(60, n * RES))   # ≥ 60 m so the box always reaches the raster
    h = data.draw(st.floats(60, n * RES))
    poly = box(X0 + x1, Y0 - y1 - h, X0 + x1 + w, Y0 - y1)
    zones = gpd.GeoDataFrame({"zone_id": ["Z"]}, geometry=[poly], crs=2154)
    expected = _brute_force(array, poly)
    # share of the polygon outside the raster or on no-data pixels, from the brute force
    share = 1 - sum(expected.values()) / (poly.area * 1e-4)
    limit = data.draw(st.sampled_from([0.2, 0.5, 1.0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if not expected or share > limit + 1e-9:
            # no classified pixel at all, or more no-data than allowed: an error, never 0 tC
            with pytest.raises(CoverageError, match="aucun pixel classé|sans donnée sur plus"):
                area_table_from_raster(zones, path, max_nodata_share=limit)
            return
        at = area_table_from_raster(zones, path, max_nodata_share=limit)
    warned = [w for w in caught if issubclass(w.category, PartialCoverageWarning)]
    if share > 0.01 + 1e-9:
        assert len(warned) == 1 and "« Z »" in str(warned[0].message)
    elif share < 0.01 - 1e-9:
        assert not warned
    got = at.table.groupby("code")["area_ha"].sum().to_dict()
    assert set(got) <= set(expected)
    for code, area in expected.items():
        assert got.get(code, 0.0) == pytest.approx(area, rel=1e-6, abs=1e-7)
    s = at.summary.iloc[0]
    assert s["classified_area_ha"] + s["nodata_area_ha"] == pytest.approx(
        poly.area * 1e-4, rel=0.005)
    # nodata + outside-raster area, computed independently from the pixel grid
    inside = poly.intersection(box(X0, Y0 - n * RES, X0 + n * RES, Y0)).area * 1e-4
    assert s["nodata_area_ha"] == pytest.approx(
        poly.area * 1e-4 - inside + (inside - sum(expected.values())), abs=1e-6)


def test_dask_blocks_match_single_block(tmp_path):
    rng = np.random.default_rng(0)
    array = rng.choice(np.array([211, 231, 311, 112], dtype="uint16"), size=(60, 50))
    path = write_raster(tmp_path / "lc.tif", array)
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"]},
                             geometry=[box(X0, Y0 - 6000, X0 + 2500, Y0),
                                       box(X0 + 2500, Y0 - 6000, X0 + 5000, Y0)], crs=2154)
    from espass_geo.core.areas import _center_class_areas

    small = _center_class_areas(path, zones, "zone_id", block_size=7)
    one = _center_class_areas(path, zones, "zone_id", block_size=4096)
    merged = small.merge(one, on=["zone_id", "code"], suffixes=("_s", "_o"))
    assert len(merged) == len(one) == len(small)
    assert np.allclose(merged["area_ha_s"], merged["area_ha_o"])
    # 60 × 50 px of 1 ha all inside the two zones: 3 000 ha in all
    assert one["area_ha"].sum() == pytest.approx(3000.0)
    values, counts = np.unique(array, return_counts=True)
    assert one.groupby("code")["area_ha"].sum().to_dict() == {
        int(v): float(c) for v, c in zip(values, counts, strict=True)}


def test_real_demo_raster_closes():
    """Real data: the 57 communes of the demo territory close on the demo raster."""
    from espass_geo.reference import data
    from espass_geo.territory.resolve import resolve_territory

    t = resolve_territory("epci:245900428,200040954")
    at = area_table_from_raster(t.zones, data.demo_landcover_path())
    assert check_closure(at).empty
    s = at.summary
    assert s["nodata_area_ha"].sum() < 0.005 * s["polygon_area_ha"].sum()
    assert isinstance(at.pivot(), pd.DataFrame)


@pytest.mark.slow
def test_centre_engine_on_a_distributed_cluster(tmp_path):
    """The same area table when the blocks run on dask.distributed worker processes."""
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(1)
    array = rng.choice(np.array([211, 231, 311], dtype="uint16"), size=(40, 30))
    path = write_raster(tmp_path / "lc.tif", array)
    zones = gpd.GeoDataFrame({"zone_id": ["a", "b"]},
                             geometry=[box(X0, Y0 - 4000, X0 + 1500, Y0),
                                       box(X0 + 1500, Y0 - 4000, X0 + 3000, Y0)], crs=2154)
    local = area_table_from_raster(zones, path, engine="center").table
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        remote = area_table_from_raster(zones, path, engine="center").table
    pd.testing.assert_frame_equal(local, remote)
    assert remote["area_ha"].sum() == pytest.approx(40 * 30)  # 1 200 px of 1 ha
