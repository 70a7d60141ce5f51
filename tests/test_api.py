"""The typed public API (espass_geo.core.stocks/flows/bilan/write): inputs as GeoDataFrame and
xarray.DataArray, results complete before writing, manifests, the README notebook example."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr
from conftest import RES, TINY, X0, Y0
from rasterio.enums import Resampling

import espass_geo as eg
from espass_geo.core.density import NODATA
from espass_geo.errors import MissingCRSError, PartialCoverageWarning

README = Path(__file__).resolve().parents[1] / "README.md"


def tiny_dataarray(array=TINY, res=RES, crs="EPSG:2154") -> xr.DataArray:
    """The 4×4 hand raster of conftest as a DataArray (pixel-centre coordinates, nodata 0)."""
    ny, nx = array.shape
    da = xr.DataArray(array, dims=("y", "x"),
                      coords={"y": Y0 - res / 2 - res * np.arange(ny),
                              "x": X0 + res / 2 + res * np.arange(nx)})
    return da.rio.write_crs(crs).rio.write_nodata(0)


def _stocks(territory, landcover, **kw):
    with pytest.warns(PartialCoverageWarning, match=r"\(B\) : 25,0"):  # 2 no-data ha of 8
        return eg.stocks(territory, landcover=landcover, zpc="2_1", **kw)


def test_stocks_from_geodataframe_and_dataarray(two_zones):
    r = _stocks(two_zones[["zone_id", "zone_name", "geometry"]], tiny_dataarray())
    tot = r.zones.set_index("zone_id")["stock_tC"]
    # same hand case as test_stocks: A (ZPC 2_1) cropland 4 ha × 50 = 200 tC, 112 4 ha ->
    # sealed 3.2 ha × 30 = 96 + grassed 0.8 ha × 76 = 60.8: 356.8 tC;
    # B grassland 2 ha × 69 = 138 + broadleaf 4 ha × 175.4 = 701.6: 839.6 tC
    assert tot["A"] == pytest.approx(356.8)
    assert tot["B"] == pytest.approx(839.6)
    assert r.total_stock_tC == pytest.approx(356.8 + 839.6)
    assert r.landcover == Path("(DataArray)")  # the temporary GeoTIFF is gone, not named
    assert not any("espass_geo-api-" in n for n in r.notes)


def test_stocks_from_paths_give_the_same_tables(tmp_path, two_zones, tiny_raster):
    gpkg = tmp_path / "zones.gpkg"
    two_zones[["zone_id", "zone_name", "geometry"]].to_file(gpkg, engine="pyogrio")
    from_paths = _stocks(str(gpkg), tiny_raster)
    in_memory = _stocks(two_zones[["zone_id", "zone_name", "geometry"]], tiny_dataarray())
    pd.testing.assert_frame_equal(from_paths.stocks, in_memory.stocks)
    pd.testing.assert_frame_equal(from_paths.areas.table, in_memory.areas.table)


def test_dataarray_in_another_crs_is_reprojected_nearest(two_zones):
    # 10 m pixels (each hand pixel = 10 × 10), sent to EPSG:3035 and given back to the API
    fine = np.kron(TINY, np.ones((10, 10), dtype="uint16"))
    da = tiny_dataarray(fine, res=10.0).rio.reproject("EPSG:3035", resolution=10.0,
                                                      resampling=Resampling.nearest)
    with pytest.warns(PartialCoverageWarning):  # B's 2 no-data ha, and a sliver at edges
        r = eg.stocks(two_zones[["zone_id", "zone_name", "geometry"]], landcover=da, zpc="2_1")
    assert any("EPSG:3035" in n and "plus proche voisin" in n for n in r.notes)
    a = r.areas.table.groupby(["zone_id", "code"])["area_ha"].sum()
    # hand areas: A 4 ha of 211 and 4 ha of 112; B 2 ha of 231 and 4 ha of 311. Two nearest-
    # neighbour resamplings move class edges by at most a pixel: 20 m × 400 m = 0.8 ha
    expected = {("A", "211"): 4.0, ("A", "112"): 4.0, ("B", "231"): 2.0, ("B", "311"): 4.0}
    for key, ha in expected.items():
        assert a[key] == pytest.approx(ha, abs=0.8)
    # nearest neighbour invents no class (a mean of 211 and 311 would be 261, not a CLC code)
    assert set(a.index.get_level_values("code")) <= {"112", "211", "231", "311"}
    assert a.drop(list(expected)).sum() < 0.8  # classes shifted across the A|B edge: slivers
    s = r.areas.summary.set_index("zone_id")  # classes + no data close on the 8 ha zones
    closed = s["classified_area_ha"] + s["nodata_area_ha"]
    assert closed.to_numpy() == pytest.approx([8.0, 8.0], rel=0.005)


def test_dataarray_without_crs_is_refused(two_zones):
    da = tiny_dataarray()
    da = da.drop_vars("spatial_ref")
    with pytest.raises(MissingCRSError, match="write_crs"):
        eg.stocks(two_zones[["zone_id", "zone_name", "geometry"]], landcover=da, zpc="2_1")


def test_density_on_the_result_before_write_and_manifest(tmp_path, two_zones):
    r = _stocks(two_zones[["zone_id", "zone_name", "geometry"]], tiny_dataarray())
    d = r.density.array
    # as test_stocks: 211 -> 50; 112 in A -> (3.2 × 30 + 0.8 × 76) / 4 = 39.2; 231 -> 69;
    # 311 -> 175.4; nodata stays nodata
    expected = np.array([[50, 50, 69, 69], [50, 50, 175.4, 175.4],
                         [39.2, 39.2, 175.4, NODATA], [39.2, 39.2, 175.4, NODATA]])
    assert np.allclose(d, expected, atol=1e-4)
    assert r.density.pixel_area_ha == pytest.approx(1.0)
    # Σ density × 1 ha per pixel = the zone stocks (356.8 + 839.6)
    assert float(d[d != NODATA].sum()) == pytest.approx(356.8 + 839.6, rel=1e-6)
    assert (r.density.transform.c, r.density.transform.f) == (X0, Y0)
    out = tmp_path / "stocks"
    m = eg.write(r, out, make_map=False)
    assert isinstance(m, eg.Manifest)
    for name in ("stocks.csv", "stocks_zones.csv", "areas.csv", "area_closure.csv",
                 "stocks.gpkg", "stock_density.tif", "LISEZ-MOI_stocks.txt"):
        assert name in m and (out / name).is_file()
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(m.files) == on_disk - {".espass_geo_manifest.json"}
    with rasterio.open(out / "stock_density.tif") as src:  # the writer only serialises
        assert np.array_equal(src.read(1), d)


def test_flows_result_has_hotspots_before_write(tmp_path, two_zones):
    after = TINY.copy()
    after[0, 0:2] = 112  # 2 pixels of cropland (211) sealed, 1 ha each, in one 1 km cell
    with pytest.warns(PartialCoverageWarning):
        r = eg.flows(two_zones[["zone_id", "zone_name", "geometry"]],
                     landcover_before=tiny_dataarray(), landcover_after=tiny_dataarray(after),
                     years=(2012, 2018), zpc="2_1")
    assert r.hotspots is not None and len(r.hotspots) == 1
    assert r.hotspots["sealed_ha"].sum() == pytest.approx(2.0)  # 2 pixels × 1 ha
    assert (r.hotspots["years"] == 6).all()  # 2018 − 2012
    assert np.array_equal(r.change_grid.after[0, :2], [112, 112])
    m = eg.write(r, tmp_path / "flux", make_map=False)
    assert {"change.tif", "flows.gpkg", "flows.csv"} <= set(m.files)


def test_flows_bad_option_is_refused_in_french(two_zones):
    with pytest.raises(eg.EspassGeoError, match="wood_products.*harvest, consumption, none"):
        eg.flows(two_zones, changes="x.csv", wood_products="bois")  # type: ignore[arg-type]


def _readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_readme_notebook_bilan_from_geodataframe_and_dataarray(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(_readme_example(), "README.md", "exec"), ns)  # exactly the README code
    result, manifest = ns["result"], ns["manifest"]
    assert set(result.stocks.zones["zone_id"]) == {"59067", "59082"}  # Bergues, Bierne
    total = result.table[(result.table["zone_id"] == "TOTAL")
                         & (result.table["theme"] == "stocks")]
    assert len(total)
    assert result.stocks.density is not None  # complete before write
    # the stock TOTAL equals the stock of the two communes (tC -> tCO2e × 44/12 or tC)
    assert result.stocks.total_stock_tC > 0
    assert any("EPSG:4326" in n for n in result.notes)  # the GeoDataFrame was in degrees
    assert "index.html" in manifest and "bilan.csv" in manifest
    assert all(p.is_file() for p in manifest.paths)


def test_open_rasterio_dataset_in_memory(two_zones):
    from rasterio.io import MemoryFile
    from rasterio.transform import from_origin

    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=4, height=4, count=1, dtype="uint16",
                      crs="EPSG:2154", transform=from_origin(X0, Y0, RES, RES),
                      nodata=0) as dst:
            dst.write(TINY, 1)
        with mem.open() as src:
            r = _stocks(two_zones[["zone_id", "zone_name", "geometry"]], src)
    # the hand case again: 356.8 tC in A, 839.6 tC in B
    assert r.zones.set_index("zone_id")["stock_tC"].to_dict() == pytest.approx(
        {"A": 356.8, "B": 839.6})


@pytest.fixture(scope="module")
def two_communes():
    from espass_geo.reference import data

    c = data.commune_geometries()
    return c[c["code"].isin(["59067", "59082"])]  # Bergues, Bierne (demo rasters)


def test_emissions_take_a_flows_result(two_communes):
    from espass_geo.reference import data

    fl = eg.flows(two_communes, landcover_before=data.demo_landcover_2012_path(),
                  landcover_after=data.demo_landcover_path(), id_field="code")
    em = eg.emissions(two_communes, land_flows=fl, id_field="code")
    post = em.table[(em.table["view"] == "post") & (em.table["category"] == "utilisation_terres")
                    & (em.table["substance"] == "GES")]
    land = post.groupby("zone_id")["emission_tCO2e"].sum()
    net = fl.zones.set_index("zone_id")["flux_tCO2e_an"]
    # land-use post = − net carbon flow (+ = sequestration in the flows, emission in the post)
    assert land.sort_index().to_numpy() == pytest.approx(-net.sort_index().to_numpy())
    assert set(land.index) == {"59067", "59082"}


@pytest.mark.slow
def test_scenarios_with_a_dataarray_equal_the_file_run(tmp_path):
    from test_scenarios import HEDGES, write_config

    from espass_geo.reference import data

    cfg = write_config(tmp_path, "\n[[scenario]]\nname = \"haies\"\n" + HEDGES)
    by_path = eg.scenarios(cfg)
    da = rioxarray.open_rasterio(data.demo_landcover_path()).sel(band=1)
    by_array = eg.scenarios(cfg, landcover=da)
    pd.testing.assert_frame_equal(by_path.territory, by_array.territory)
    assert by_array.config.landcover == Path("(DataArray)")
    m = eg.write(by_array, tmp_path / "out", make_map=False)
    assert {"trajectoires.csv", "ecarts.csv", "scenario.gpkg"} <= set(m.files)


def test_parcels_as_geodataframe_equal_the_file(two_communes):
    import geopandas as gpd

    from espass_geo.reference import data

    lc = data.demo_landcover_path()
    raw = gpd.read_file(data.demo_parcels_path(), engine="pyogrio")  # RPG columns, as published
    by_file = eg.stocks(two_communes, landcover=lc, parcels=data.demo_parcels_path(),
                        id_field="code")
    by_frame = eg.stocks(two_communes, landcover=lc, parcels=raw, id_field="code")
    assert by_file.parcel_stocks is not None and len(by_file.parcel_stocks)
    pd.testing.assert_frame_equal(by_file.stocks, by_frame.stocks)
    pd.testing.assert_frame_equal(by_file.parcel_stocks, by_frame.parcel_stocks)


def test_territory_object_with_zpc_is_copied_not_changed(two_zones):
    t = eg.resolve_territory(two_zones[["zone_id", "zone_name", "geometry"]], zpc="2_1")
    with pytest.warns(PartialCoverageWarning):
        r = eg.stocks(t, landcover=tiny_dataarray(), zpc="1_1")
    assert set(r.territory.zones["zpc"]) == {"1_1"}
    assert set(t.zones["zpc"]) == {"2_1"}  # the caller's territory is left as it was


def test_write_refuses_a_foreign_folder_and_keeps_user_files(tmp_path, two_zones):
    r = _stocks(two_zones[["zone_id", "zone_name", "geometry"]], tiny_dataarray())
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("à moi", encoding="utf-8")
    with pytest.raises(eg.EspassGeoError, match="--overwrite|overwrite"):
        eg.write(r, out, make_map=False)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # nothing written
    m = eg.write(r, out, overwrite=True, make_map=False)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "à moi"
    assert "notes.txt" not in m and "stocks.csv" in m


def test_bilan_of_a_resolved_territory_equals_its_specification():
    from espass_geo.reference import data

    lc = data.demo_landcover_path()
    with pytest.warns(eg.errors.SmallTerritoryWarning):  # 2 communes: ALDO's caution
        t = eg.resolve_territory("59067,59082")
        by_spec = eg.bilan("59067,59082", landcover=lc)
        by_object = eg.bilan(t, landcover=lc)
    pd.testing.assert_frame_equal(by_spec.table, by_object.table)
    assert by_object.config.territory == "59067,59082"
