"""Land cover in every form a planner holds (issue #11), end to end through the public API.

* a CLC vector layer gives the same areas as the raster it was drawn from (exact overlay vs
  exact partial-pixel coverage: the same numbers), and in EPSG:3035 within 0.1 %;
* an EEA raster (GRID_CODE 1-44) in EPSG:3035 gives the areas of the equivalent Lambert-93 CLC
  raster (the one ``gdalwarp -r near`` would make);
* a hand-built OCS GE layer gives hand-computed land-use areas: sealed and grassed artificial
  land as measured (no 80/20 split), herbaceous × agriculture = cropland unless an RPG parcel
  says grassland;
* BD Forêt poplars over CLC-forest land are priced as poplars (903);
* the synthetic OCS GE demo layers run through stocks and flows, areas closing per zone.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.features import shapes
from shapely.geometry import box, shape

from espass_geo import api
from espass_geo.reference import data

HA = 1e-4
TERRITORY = "59067,59082"  # Bergues, Bierne: inside the demo rasters


def _soil(result) -> pd.DataFrame:
    """zone × land use areas (ha) of a stock result (one row per zone × land use × ZPC on the
    soil pool)."""
    s = result.stocks[result.stocks["pool"] == "soil"]
    return s.groupby(["zone_id", "land_use"])["area_ha"].sum()


@pytest.fixture(scope="module")
def demo_raster():
    return data.demo_landcover_path()


@pytest.fixture(scope="module")
def clc_vector(tmp_path_factory, demo_raster):
    """The demo raster polygonised (one polygon per patch), CODE_18 as text like SDES."""
    with rasterio.open(demo_raster) as src:
        a = src.read(1)
        rows = [(str(int(v)), shape(g)) for g, v in shapes(a, mask=a > 0,
                                                          transform=src.transform)]
        crs = src.crs
    gdf = gpd.GeoDataFrame({"ID": range(len(rows)), "CODE_18": [r[0] for r in rows]},
                           geometry=[r[1] for r in rows], crs=crs)
    path = tmp_path_factory.mktemp("clc") / "clc18_demo.gpkg"
    gdf.to_file(path, engine="pyogrio")
    return path


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-territory warning: not the subject here
        return fn(*args, **kwargs)


def test_clc_vector_gives_the_raster_areas(demo_raster, clc_vector):
    r = _quiet(api.stocks, TERRITORY, landcover=demo_raster)
    v = _quiet(api.stocks, TERRITORY, landcover=clc_vector)
    ra = r.areas.table.groupby(["zone_id", "code"])["area_ha"].sum()
    va = v.areas.table.groupby(["zone_id", "code"])["area_ha"].sum()
    both = pd.concat([ra, va], axis=1, keys=["raster", "vector"]).fillna(0.0)
    # pixel squares cut by the same commune polygons: exactextract's coverage fractions and
    # the polygon overlay give the same hectares (to rounding)
    assert np.allclose(both["raster"], both["vector"], rtol=0, atol=1e-6), both
    assert v.total_stock_tC == pytest.approx(r.total_stock_tC, rel=1e-9)
    assert any("CODE_18" in n for n in v.notes)


def test_clc_vector_in_another_crs_within_a_tenth_of_a_percent(demo_raster, clc_vector,
                                                               tmp_path):
    laea = tmp_path / "clc18_3035.gpkg"
    gpd.read_file(clc_vector).to_crs(3035).to_file(laea, engine="pyogrio")
    r = _quiet(api.stocks, TERRITORY, landcover=demo_raster)
    v = _quiet(api.stocks, TERRITORY, landcover=laea)
    ra = r.areas.table.groupby(["zone_id", "code"])["area_ha"].sum()
    va = v.areas.table.groupby(["zone_id", "code"])["area_ha"].sum()
    both = pd.concat([ra, va], axis=1, keys=["raster", "vector"]).fillna(0.0)
    # vertices reprojected twice (2154 -> 3035 -> 2154): straight edges move by millimetres
    assert np.allclose(both["vector"], both["raster"], rtol=1e-3, atol=0.01), both
    assert any("3035" in n for n in v.notes)


@pytest.mark.slow
def test_eea_raster_in_3035_equals_the_equivalent_lambert93_clc_raster(demo_raster, tmp_path):
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    from espass_geo.io.rasters import open_landcover
    from espass_geo.reference.crosswalks import crosswalk

    to_grid = {clc: g for g, clc in crosswalk("eea").items()}  # CLC code -> GRID_CODE
    with rasterio.open(demo_raster) as src:
        a = src.read(1)
        t, w, h = calculate_default_transform(src.crs, "EPSG:3035", src.width, src.height,
                                              *src.bounds, resolution=20)
        laea = np.zeros((h, w), dtype="uint16")
        reproject(a, laea, src_transform=src.transform, src_crs=src.crs, dst_transform=t,
                  dst_crs="EPSG:3035", resampling=Resampling.nearest, src_nodata=0,
                  dst_nodata=0)
    lut = np.zeros(1024, dtype="uint16")
    for clc, g in to_grid.items():
        lut[clc] = g
    eea = lut[laea]  # 0 stays the file's nodata
    prof = dict(driver="GTiff", width=w, height=h, count=1, dtype="uint16", crs="EPSG:3035",
                transform=t, nodata=0)
    eea_path, clc3035 = tmp_path / "eea_3035.tif", tmp_path / "clc_3035.tif"
    with rasterio.open(eea_path, "w", **prof) as dst:
        dst.write(eea, 1)
    with rasterio.open(clc3035, "w", **prof) as dst:
        dst.write(laea, 1)
    # the Lambert-93 CLC raster a planner makes with gdalwarp -t_srs EPSG:2154 -r near at the
    # native resolution: the same warp espass_geo does on the fly
    vrt = open_landcover(clc3035)
    l93 = tmp_path / "clc_l93.tif"
    try:
        arr = vrt.read(1)
        with rasterio.open(l93, "w", driver="GTiff", width=vrt.width, height=vrt.height,
                           count=1, dtype="uint16", crs="EPSG:2154", transform=vrt.transform,
                           nodata=0) as dst:
            dst.write(arr, 1)
    finally:
        vrt.close()
    ref = _quiet(api.stocks, TERRITORY, landcover=l93)
    got = _quiet(api.stocks, TERRITORY, landcover=eea_path, nomenclature="eea")
    ra = ref.areas.table.groupby(["zone_id", "code"])["area_ha"].sum()
    ga = got.areas.table.groupby(["zone_id", "code"])["area_ha"].sum()
    both = pd.concat([ra, ga], axis=1, keys=["l93", "eea"]).fillna(0.0)
    assert np.allclose(both["eea"], both["l93"], rtol=1e-3, atol=1e-6), both
    assert any("EPSG:3035" in n for n in got.notes)


# ------------------------------------------------------------------ hand-built OCS GE
X0, Y0 = 650_000.0, 7_090_000.0  # inside the demo territory's ZPC (forced below anyway)


def _b(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def hand_ocsge(tmp_path):
    """Two 1 ha zones A (0-100 m) and B (100-200 m) and an OCS GE layer:

    A: 100 × 40 m built (CS1.1.1.1 × US5) = 0,4 ha; 100 × 60 m herbaceous × agriculture = 0,6 ha
    B: 100 × 50 m herbaceous × residential (a lawn) = 0,5 ha; 50 × 50 m broadleaf × forestry
       = 0,25 ha; 50 × 50 m herbaceous × agriculture = 0,25 ha, under an RPG grassland parcel.
    """
    zones = gpd.GeoDataFrame({"zone_id": ["A", "B"], "nom": ["Zone A", "Zone B"]},
                             geometry=[_b(0, 0, 100, 100), _b(100, 0, 200, 100)], crs=2154)
    zpath = tmp_path / "zones.gpkg"
    zones.to_file(zpath, engine="pyogrio")
    lc = gpd.GeoDataFrame(
        {"ID": ["1", "2", "3", "4", "5"],
         "CODE_CS": ["CS1.1.1.1", "CS2.2.1", "CS2.2.1", "CS2.1.1.1", "CS2.2.1"],
         "CODE_US": ["US5", "US1.1", "US5", "US1.2", "US1.1"],
         "MILLESIME": ["2021"] * 5},
        geometry=[_b(0, 0, 100, 40), _b(0, 40, 100, 100), _b(100, 0, 200, 50),
                  _b(100, 50, 150, 100), _b(150, 50, 200, 100)], crs=2154)
    lpath = tmp_path / "ocsge.gpkg"
    lc.to_file(lpath, engine="pyogrio")
    parcels = gpd.GeoDataFrame({"ID_PARCEL": ["P1"], "CODE_CULTU": ["PPH"],
                                "CODE_GROUP": ["18"]},
                               geometry=[_b(150, 50, 200, 100)], crs=2154)
    ppath = tmp_path / "rpg.gpkg"
    parcels.to_file(ppath, engine="pyogrio")
    return zpath, lpath, ppath


def test_hand_built_ocsge_land_uses(hand_ocsge):
    zpath, lpath, ppath = hand_ocsge
    r = _quiet(api.stocks, zpath, landcover=lpath, parcels=ppath, zpc="2_1")
    lu = _soil(r)
    assert lu[("A", "artificial_sealed")] == pytest.approx(0.4)  # 100 m × 40 m, no 80/20
    assert lu[("A", "cropland")] == pytest.approx(0.6)           # 100 m × 60 m
    assert lu[("B", "artificial_grassed")] == pytest.approx(0.5)  # 100 m × 50 m lawn
    assert lu[("B", "forest_broadleaf")] == pytest.approx(0.25)   # 50 m × 50 m
    # herbaceous × agriculture is cropland in OCS GE; the RPG parcel (PPH: permanent
    # grassland) says grassland and prevails inside it: 50 m × 50 m = 0,25 ha
    grass = {k: v for k, v in lu.items() if k[0] == "B" and k[1].startswith("grassland")}
    assert sum(grass.values()) == pytest.approx(0.25)
    assert ("B", "cropland") not in lu.index or lu[("B", "cropland")] == pytest.approx(0.0)
    # areas close: every zone is 1 ha
    assert lu.groupby(level=0).sum().to_dict() == pytest.approx({"A": 1.0, "B": 1.0})
    assert any("OCS GE" in n for n in r.notes)


def test_bdforet_poplars_priced_as_poplars(hand_ocsge, tmp_path):
    zpath, lpath, ppath = hand_ocsge
    # a BD Forêt poplar polygon over half of B's broadleaf patch: 25 m × 50 m = 0,125 ha
    bdf = gpd.GeoDataFrame({"CODE_TFV": ["FP"], "TFV": ["Peupleraie"]},
                           geometry=[_b(100, 50, 125, 100)], crs=2154)
    fpath = tmp_path / "bdforet.gpkg"
    bdf.to_file(fpath, engine="pyogrio")
    plain = _quiet(api.stocks, zpath, landcover=lpath, zpc="2_1")
    r = _quiet(api.stocks, zpath, landcover=lpath, zpc="2_1", forest=fpath)
    lu = _soil(r)
    assert lu[("B", "forest_poplar")] == pytest.approx(0.125)
    assert lu[("B", "forest_broadleaf")] == pytest.approx(0.125)  # 0,25 - 0,125
    assert lu.groupby(level=0).sum()["B"] == pytest.approx(1.0)   # zone total unchanged
    # the moved hectare-eighth carries the poplar densities instead of the broadleaf ones
    s0 = plain.stocks.groupby(["zone_id", "land_use"])["stock_tC"].sum()
    s1 = r.stocks.groupby(["zone_id", "land_use"])["stock_tC"].sum()
    per_ha_broadleaf = s0[("B", "forest_broadleaf")] / 0.25
    per_ha_poplar = s1[("B", "forest_poplar")] / 0.125
    assert per_ha_poplar != pytest.approx(per_ha_broadleaf)
    assert s1[("B", "forest_broadleaf")] == pytest.approx(per_ha_broadleaf * 0.125)
    assert any("peupleraies" in n for n in r.notes)


def test_bdforet_gives_growth_areas_to_flows(hand_ocsge, tmp_path):
    zpath, lpath, _ = hand_ocsge
    bdf = gpd.GeoDataFrame({"CODE_TFV": ["FP", "FF1-00-00"]},
                           geometry=[_b(100, 50, 125, 100), _b(125, 50, 150, 100)], crs=2154)
    fpath = tmp_path / "bdforet.gpkg"
    bdf.to_file(fpath, engine="pyogrio")
    r = _quiet(api.flows, zpath, landcover_before=lpath, landcover_after=lpath, zpc="2_1",
               years=(2018, 2021), forest=fpath)
    growth = r.flows[r.flows["cause"].astype(str).str.contains("forest", case=False)]
    assert len(growth)  # growth computed from the BD Forêt areas (0,125 ha each)
    assert any("BD Forêt" in n for n in r.notes)
    # no land-use change between identical layers: only forest growth and wood products
    assert r.changes.changed["area_ha"].sum() == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------ synthetic OCS GE demo
@pytest.mark.slow
def test_synthetic_ocsge_demo_stocks_and_flows():
    ocs18 = data.data_path("landcover", "demo_flandre_dunkerque_ocsge2018_synthetic.gpkg")
    ocs12 = data.data_path("landcover", "demo_flandre_dunkerque_ocsge2012_synthetic.gpkg")
    st = _quiet(api.stocks, TERRITORY, landcover=ocs18, parcels=data.demo_parcels_path())
    closure = st.areas.summary
    total = closure["classified_area_ha"] + closure["nodata_area_ha"]
    assert np.allclose(total, closure["polygon_area_ha"], rtol=0.005)
    lu = _soil(st)
    # OCS GE measures sealed and vegetated artificial land: both present, not an 80/20 split
    sealed = lu.xs("artificial_sealed", level=1).sum()
    grassed = lu.xs("artificial_grassed", level=1).sum()
    assert sealed > 0 and grassed > 0 and sealed / (sealed + grassed) != pytest.approx(0.8)
    assert any("SYNTHÉTIQUE" in n for n in st.notes)
    assert st.density is not None  # the per-pixel map drawn from the polygons
    fl = _quiet(api.flows, TERRITORY, landcover_before=ocs12, landcover_after=ocs18,
                years=(2012, 2018))
    before, after = fl.changes.margins()
    # both margins close on the same covered area
    assert before["area_ha"].sum() == pytest.approx(after["area_ha"].sum(), rel=1e-9)
    assert fl.change_grid is not None


@pytest.mark.slow
def test_bilan_on_a_three_date_ocsge_series(tmp_path):
    """bilan.toml [landcover] series of three dates: the bilan's flows are the last period's,
    every period is written in flux_series/ (each annualised over its own length)."""
    import shutil

    shutil.copy(data.data_path("landcover", "demo_flandre_dunkerque_ocsge2018_synthetic.gpkg"),
                tmp_path / "ocsge2021.gpkg")  # a third date identical to 2018: no change
    cfg = tmp_path / "bilan.toml"
    cfg.write_text('title = "Série"\nterritory = "59067,59082"\n[landcover]\n'
                   'series = ["2012=demo-ocsge-2012", "2018=demo-ocsge", "2021=ocsge2021.gpkg"]\n'
                   'parcels = "demo"\n', encoding="utf-8")
    r = _quiet(api.bilan, config=cfg, quiet=True)
    assert r.config.years == (2018, 2021)
    s = r.flow_series
    assert s.period_labels == ["2012-2018", "2018-2021"]
    assert r.flows is s.periods[-1]
    last = s.series[s.series["period"] == "2018-2021"]
    # 2018 -> 2021 between identical layers: nothing sealed
    assert last["sealed_ha_an"].sum() == pytest.approx(0.0, abs=1e-9)
    # whole series = (6 × F(2012-2018) + 3 × F(2018-2021)) / 9 per zone
    f = s.series.pivot_table(index="zone_id", columns="period", values="flux_tCO2e_an")
    expected = (6 * f["2012-2018"] + 3 * f["2018-2021"]) / 9
    got = s.total.set_index("zone_id")["flux_tCO2e_an"].reindex(expected.index)
    assert np.allclose(got, expected)
    _quiet(api.write, r, tmp_path / "out")
    assert (tmp_path / "out" / "flux_series" / "carte_flux_series.html").is_file()
    assert (tmp_path / "out" / "flux_series" / "flows_series_zones.csv").is_file()
