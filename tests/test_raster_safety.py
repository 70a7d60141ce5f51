"""Rasters: partial coverage, broken files, bounded memory (issue #9, items 5-7).

Grid of ``conftest``: 4×4 pixels of 100 m = 1 ha (x 700 000–700 400, y 6 600 000–6 600 400);
columns 0-1 = zone A, columns 2-3 = zone B, whose pixels (2, 3) and (3, 3) are no-data.
"""

from __future__ import annotations

import os
import resource
import tracemalloc
import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from conftest import RES, TINY, X0, Y0, write_raster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import Affine, from_origin
from rasterio.windows import Window
from shapely.geometry import box

import espass_geo as eg
from espass_geo.core.areas import area_table_from_raster
from espass_geo.core.density import NODATA, write_density_raster, zone_code_lut
from espass_geo.core.stocks import compute_stocks
from espass_geo.errors import (
    CoverageError,
    EspassGeoError,
    EspassGeoWarning,
    InputFileError,
    NoOverlapError,
    PartialCoverageWarning,
)


def zone(x0: float, x1: float, y0: float = Y0 - 400, y1: float = Y0, zid: str = "Z",
         name: str = "Zone test") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone_id": [zid], "zone_name": [name], "zpc": ["2_1"],
                             "region_code": ["32"], "departement": ["59"]},
                            geometry=[box(x0, y0, x1, y1)], crs="EPSG:2154")


# ----------------------------------------------------------------------------- coverage
def test_zone_half_outside_the_raster_hand_computed(tiny_raster):
    # x 700 200–700 600, all rows: 4 × 4 ha = 16 ha; inside the raster columns 2-3 = 8 ha, of
    # which 2 ha no-data → classified 6 ha, outside or no-data 8 + 2 = 10 ha → 10 / 16 = 62,5 %
    z = zone(X0 + 200, X0 + 600)
    with pytest.raises(CoverageError, match=r"plus de 50\s%.*« Zone test » \(Z\) : 62,5\s% "
                                            r"\(10,0\sha sur 16,0\sha\).*--max-nodata-share"):
        area_table_from_raster(z, tiny_raster)
    with pytest.warns(PartialCoverageWarning, match=r"« Zone test » \(Z\) : 62,5\s%"):
        at = area_table_from_raster(z, tiny_raster, max_nodata_share=0.7)
    s = at.summary.iloc[0]
    assert s["polygon_area_ha"] == pytest.approx(16.0)
    assert s["classified_area_ha"] == pytest.approx(6.0)
    assert s["nodata_area_ha"] == pytest.approx(10.0)
    assert any("62,5" in n for n in at.notes)  # the note goes to LISEZ-MOI and the map


@pytest.mark.parametrize("engine", ["exact", "center"])
def test_zone_exactly_half_outside(tiny_raster, engine):
    # x 699 800–700 200: columns 0-1 inside (8 ha, no no-data), 8 ha outside → 8 / 16 = 50,0 %:
    # not above the default 0.5 → a warning; above 0.49 → an error
    z = zone(X0 - 200, X0 + 200)
    with pytest.warns(PartialCoverageWarning, match=r"50,0\s% \(8,00\sha sur 16,0\sha\)"):
        at = area_table_from_raster(z, tiny_raster, engine=engine)
    assert at.table["area_ha"].sum() == pytest.approx(8.0)
    with pytest.raises(CoverageError, match=r"50,0\s%"):
        area_table_from_raster(z, tiny_raster, engine=engine, max_nodata_share=0.49)


def test_one_percent_threshold(tiny_raster):
    # columns 0-1 (8 ha) widened 2 m to the west: 202 m × 400 m = 8.08 ha, 0.08 ha outside
    # → 0.08 / 8.08 = 0.99 % ≤ 1 %: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", EspassGeoWarning)
        at = area_table_from_raster(zone(X0 - 2, X0 + 200), tiny_raster)
    assert at.summary["nodata_area_ha"].iloc[0] == pytest.approx(0.08)
    assert at.notes == []
    # widened 4 m: 0.16 ha of 8.16 ha = 1.96 % → « 2,0 % »
    with pytest.warns(PartialCoverageWarning, match=r"2,0\s% \(0,16\sha sur 8,16\sha\)"):
        area_table_from_raster(zone(X0 - 4, X0 + 200), tiny_raster)


@pytest.mark.parametrize("engine", ["exact", "center"])
def test_all_nodata_raster_is_an_error(tmp_path, two_zones, engine):
    path = write_raster(tmp_path / "vide.tif", np.zeros((4, 4), "uint16"))
    with pytest.raises(CoverageError, match=r"vide\.tif.*aucun pixel classé.*16,0\sha"):
        area_table_from_raster(two_zones, path, engine=engine, max_nodata_share=1.0)


def test_many_zones_listed_worst_first(tmp_path):
    # 16 zones of one pixel each on a raster whose last row is no-data: the 4 zones of that
    # row are 100 % no-data, named (at most 10 shown) in the error, worst first
    arr = TINY.copy()
    arr[3, :] = 0
    path = write_raster(tmp_path / "lc.tif", arr)
    geoms = [box(X0 + c * RES, Y0 - (r + 1) * RES, X0 + (c + 1) * RES, Y0 - r * RES)
             for r in range(4) for c in range(4)]
    zones = gpd.GeoDataFrame({"zone_id": [f"z{i:02d}" for i in range(16)]}, geometry=geoms,
                             crs="EPSG:2154")
    with pytest.raises(CoverageError, match=r"^5 zone\(s\)") as e:  # row 3 + pixel (2, 3)
        area_table_from_raster(zones, path)
    assert "« z12 » : 100,0" in str(e.value) and "« z11 » : 100,0" in str(e.value)


# ----------------------------------------------------------------------------- broken rasters
def _tiled(path, size=400, res=1.0, **kw):
    rng = np.random.default_rng(3)
    codes = rng.choice(np.array([211, 231, 311], dtype="uint16"), size=(size, size))
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="uint16", crs="EPSG:2154", nodata=0,
                       transform=from_origin(X0, Y0, res, res), tiled=True, blockxsize=64,
                       blockysize=64, compress="deflate", **kw) as dst:
        dst.write(codes, 1)
    return path, codes


@pytest.mark.parametrize("engine", ["exact", "center"])
def test_truncated_geotiff_is_a_package_error(tmp_path, two_zones, engine):
    path, _ = _tiled(tmp_path / "coupé.tif")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with rasterio.open(path) as src:  # the header is intact: opening works, reading fails
        assert src.count == 1
    with pytest.raises(InputFileError, match=r"coupé\.tif.*tronqué.*gdalinfo -checksum"):
        area_table_from_raster(two_zones, path, engine=engine)


def test_multiband_and_rotated_rasters_refused(tmp_path, two_zones):
    rgb = tmp_path / "carte_rvb.tif"
    with rasterio.open(rgb, "w", driver="GTiff", width=4, height=4, count=3, dtype="uint8",
                       crs="EPSG:2154", transform=from_origin(X0, Y0, RES, RES)) as dst:
        dst.write(np.zeros((3, 4, 4), "uint8"))
    with pytest.raises(InputFileError, match=r"carte_rvb\.tif.*3 bandes.*gdal_translate -b 1"):
        area_table_from_raster(two_zones, rgb)
    rot = tmp_path / "tourne.tif"
    with rasterio.open(rot, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint16",
                       crs="EPSG:2154", transform=Affine(RES, 5.0, X0, 5.0, -RES, Y0)) as dst:
        dst.write(TINY, 1)
    with pytest.raises(InputFileError, match=r"tourne\.tif.*grille tournée"):
        area_table_from_raster(two_zones, rot)


# ----------------------------------------------------------------------------- windows
@pytest.mark.parametrize("engine", ["exact", "center"])
def test_window_read_gives_the_same_table(tmp_path, tiny_raster, two_zones, engine):
    """The tiny raster padded with 300 no-data pixels on every side (a 604 × 604 grid): the
    zones' window is read, and the table is the one of the tiny raster itself."""
    pad = np.zeros((604, 604), "uint16")
    pad[300:304, 300:304] = TINY
    big = write_raster(tmp_path / "grand.tif", pad, x0=X0 - 300 * RES, y0=Y0 + 300 * RES)
    with pytest.warns(PartialCoverageWarning):
        small = area_table_from_raster(two_zones, tiny_raster, engine=engine)
    with pytest.warns(PartialCoverageWarning):
        large = area_table_from_raster(two_zones, big, engine=engine)
    assert large.table.equals(small.table)
    assert np.allclose(large.summary["nodata_area_ha"], small.summary["nodata_area_ha"])


def test_density_raster_covers_the_zones_window(tmp_path, tiny_raster, two_zones):
    """Zone A only (columns 0-1): the density raster is 4 rows × 2 columns at x 700 000."""
    a = two_zones[two_zones["zone_id"] == "A"].reset_index(drop=True)
    at = area_table_from_raster(a, tiny_raster)
    st = compute_stocks(at.table, a)
    lut = zone_code_lut(st, a.drop(columns="geometry"), ["A"])
    out = write_density_raster(tiny_raster, a, lut, tmp_path / "d.tif")
    with rasterio.open(out) as d:
        assert d.shape == (4, 2)
        assert (d.transform.c, d.transform.f) == (X0, Y0)
        values = d.read(1)
    # 211 → 50 tC/ha; 112 in A → (3.2 × 30 + 0.8 × 76) / 4 = 39.2 tC/ha (see test_stocks)
    assert np.allclose(values, [[50, 50], [50, 50], [39.2, 39.2], [39.2, 39.2]], atol=1e-4)
    assert (values != NODATA).all()


def _sparse_raster(path, n):
    """n × n pixels of 10 m, tiled 512, sparse: one 400 × 400 block of codes at the centre."""
    x0, y0 = 200_000.0, 7_000_000.0
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="uint16",
                       nodata=0, crs="EPSG:2154", transform=from_origin(x0, y0, 10.0, 10.0),
                       tiled=True, blockxsize=512, blockysize=512, compress="deflate",
                       sparse_ok=True, bigtiff="YES") as dst:
        block = np.full((400, 400), 211, "uint16")
        block[:, 200:] = 311
        dst.write(block, 1, window=Window(n // 2, n // 2, 400, 400))
    bx, by = x0 + (n // 2) * 10.0, y0 - (n // 2) * 10.0
    return box(bx + 1000, by - 3000, bx + 3000, by - 1000)  # 2 km × 2 km = 400 ha


def _limit_address_space(extra_gib: float):
    """Lower the soft address-space limit to the current size + ``extra_gib`` (a regression
    that allocates the whole grid then fails with MemoryError instead of exhausting the
    machine); returns the previous limits."""
    old = resource.getrlimit(resource.RLIMIT_AS)
    with open(f"/proc/{os.getpid()}/status", encoding="ascii") as f:
        vm = next(int(line.split()[1]) for line in f if line.startswith("VmSize:")) * 1024
    soft = vm + int(extra_gib * 2**30)
    if old[1] == resource.RLIM_INFINITY or soft < old[1]:
        resource.setrlimit(resource.RLIMIT_AS, (soft, old[1]))
    return old


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_huge_sparse_raster_bounded_memory(tmp_path):
    """A 50 000 × 50 000 land cover (2.5·10⁹ pixels, tiny on disk) and a 400 ha zone: the stock
    run with its map reads and writes only the zone's window. A density raster of the whole
    grid would hold 2.5·10⁹ × 4 bytes = 10 GB; numpy's traced peak stays under 64 MiB."""
    n = 50_000
    lc = tmp_path / "national.tif"
    geom = _sparse_raster(lc, n)
    assert lc.stat().st_size < 2_000_000
    zones_path = tmp_path / "zone.geojson"
    gpd.GeoDataFrame({"zone_id": ["Z"], "zone_name": ["Zone"]}, geometry=[geom],
                     crs="EPSG:2154").to_file(zones_path, engine="pyogrio")
    old = _limit_address_space(6.0)  # the whole grid would need 10 GB (float32)
    tracemalloc.start()
    try:
        result = eg.stocks(str(zones_path), landcover=lc, zpc="2_1")
        eg.write(result, tmp_path / "out", make_map=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        resource.setrlimit(resource.RLIMIT_AS, old)
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB"
    with rasterio.open(tmp_path / "out" / "stock_density.tif") as d:
        assert d.shape == (200, 200)  # 2 000 m / 10 m per side, not 50 000 × 50 000
        values = d.read(1)
    # left half cropland 211 (50 tC/ha), right half broadleaf forest 311 (175.4 tC/ha):
    # 200 ha × 50 + 200 ha × 175.4 = 45 080 tC
    assert (values > 0).all()
    assert float(values.sum()) * 0.01 == pytest.approx(45_080.0, rel=1e-5)
    assert result.total_stock_tC == pytest.approx(45_080.0, rel=1e-6)


def test_map_overlay_from_a_decimated_read(tmp_path):
    """raster_to_png of a 6 000 × 6 000 float raster with max_size 300 reads 300 × 300 pixels:
    numpy's traced peak stays far below the 6 000² × 8 bytes = 288 MB of a full read."""
    from espass_geo.present.maps import raster_to_png

    path = tmp_path / "densite.tif"
    n = 6000
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       nodata=-9999.0, crs="EPSG:2154", transform=from_origin(X0, Y0, 10, 10),
                       tiled=True, blockxsize=512, blockysize=512, compress="deflate",
                       sparse_ok=True) as dst:
        for row in range(0, n, 512):  # left half 10 tC/ha, right half 100 tC/ha
            h = min(512, n - row)
            block = np.full((h, n), 10.0, "float32")
            block[:, n // 2:] = 100.0
            dst.write(block, 1, window=Window(0, row, n, h))
    tracemalloc.start()
    try:
        info = raster_to_png(path, tmp_path / "d.png", max_size=300)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert max(info["shape"]) <= 300
    assert (info["vmin"], info["vmax"]) == (10.0, 100.0)
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB"


# ----------------------------------------------------------------------------- parcels
def _parcel_file(tmp_path, geoms, name="rpg.gpkg"):
    path = tmp_path / name
    gpd.GeoDataFrame({"ID_PARCEL": [f"P{i}" for i in range(len(geoms))],
                      "CODE_CULTU": ["BTH"] * len(geoms), "CODE_GROUP": ["1"] * len(geoms)},
                     geometry=geoms, crs="EPSG:2154").to_file(path, engine="pyogrio")
    return path


def test_parcels_outside_reported_or_refused(tmp_path, tiny_raster, zones_file):
    inside = box(X0, Y0 - 100, X0 + 100, Y0)                       # 1 ha in zone A
    far = box(X0 + 5000, Y0 + 5000, X0 + 5300, Y0 + 5100)           # 300 m × 100 m = 3 ha
    straddle = box(X0 - 50, Y0 - 200, X0 + 50, Y0 - 100)            # 1 ha, half outside
    path = _parcel_file(tmp_path, [inside, far, straddle])
    with pytest.warns(PartialCoverageWarning):                      # zone B: 25 % no-data
        r = eg.stocks(str(zones_file), landcover=tiny_raster, parcels=path, zpc="2_1")
    assert sorted(r.parcels["parcel_id"]) == ["P0", "P2"]
    notes = " ".join(r.notes)
    assert "1 parcelle(s) de" in notes and "sur 3 (3,00\u00a0ha) sont hors du territoire" in notes
    # the straddling parcel: 0.5 ha of its 1 ha lies west of x 700 000
    assert "1 parcelle(s) à cheval" in notes and "leurs 0,50\u00a0ha hors du territoire" in notes
    with pytest.raises(NoOverlapError, match=r"aucune des 1 parcelles.*rpg_loin\.gpkg"):
        eg.stocks(str(zones_file), landcover=tiny_raster, zpc="2_1",
                  parcels=_parcel_file(tmp_path, [far], "rpg_loin.gpkg"))
    areas = tmp_path / "surfaces.csv"
    areas.write_text("zone_id,code,area_ha\nA,211,8\nB,311,6\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"rpg\.gpkg.*--landcover.*Retirez --parcels"):
        eg.stocks(str(zones_file), areas=areas, parcels=path, zpc="2_1")


# ----------------------------------------------------------------------------- fuzzing
def _valid_tiff_bytes(tmp_path) -> bytes:
    rng = np.random.default_rng(5)
    codes = rng.choice(np.array([211, 231, 311], dtype="uint16"), size=(40, 40))
    path = tmp_path / "ok.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="uint16",
                       crs="EPSG:2154", nodata=0, transform=from_origin(X0, Y0, 10, 10),
                       tiled=True, blockxsize=16, blockysize=16, compress="deflate") as dst:
        dst.write(codes, 1)
    return path.read_bytes()


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_geotiff_gives_only_package_errors(tmp_path, two_zones, data):
    """A valid tiled GeoTIFF cut short or with bytes overwritten (header, tags, tiles): the
    cross-tab either succeeds or raises an EspassGeoError, never anything else."""
    base = bytearray(_valid_tiff_bytes(tmp_path))
    if data.draw(st.booleans(), label="truncate"):
        base = base[: data.draw(st.integers(0, len(base) - 1), label="length")]
    else:
        upto = data.draw(st.sampled_from([600, len(base)]), label="zone")  # header or anywhere
        for _ in range(data.draw(st.integers(1, 5), label="flips")):
            pos = data.draw(st.integers(0, min(upto, len(base)) - 1))
            base[pos] = data.draw(st.integers(0, 255))
    path = tmp_path / "fuzz.tif"
    path.write_bytes(bytes(base))
    engine = data.draw(st.sampled_from(["exact", "center"]), label="engine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EspassGeoWarning)
        try:
            at = area_table_from_raster(two_zones, path, engine=engine, max_nodata_share=1.0)
        except EspassGeoError:
            return
    # accepted: the areas still close on the zones (classified + no-data = polygon)
    s = at.summary
    assert np.allclose(s["classified_area_ha"] + s["nodata_area_ha"], s["polygon_area_ha"],
                       rtol=0.005)


_CELLS = st.one_of(st.none(), st.sampled_from(["BTH", "PPH", "MIS", "ZZZ", "", " ", "nan", "1",
                                               "18", "1.0", "=1+1", "{{7*7}}", "é", "oui",
                                               "no_till", "-1", "inf"]),
                   st.integers(-2, 30), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_parcel_layers_give_only_package_errors(tmp_path, data):
    """RPG layers with random cells (missing, numbers, text, formulas) in the crop, id and
    practice fields: read_parcels returns parcels with a land-cover code and a unique id each,
    or raises an EspassGeoError."""
    from espass_geo.io.parcels import read_parcels

    n = data.draw(st.integers(1, 4), label="rows")
    fields = data.draw(st.sets(st.sampled_from(["CODE_CULTU", "CODE_GROUP", "ID_PARCEL",
                                                "tillage", "cover_crops", "hedges_m_ha"])),
                       label="fields")
    cols = {f: [data.draw(_CELLS) for _ in range(n)] for f in sorted(fields)}
    cols = {f: [None if v is None else str(v) for v in vals] for f, vals in cols.items()}
    geoms = [box(X0 + 100 * i, Y0 - 100, X0 + 100 * (i + 1), Y0) for i in range(n)]
    path = tmp_path / "rpg_fuzz.gpkg"
    gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:2154").to_file(path, engine="pyogrio")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EspassGeoWarning)
        try:
            parcels = read_parcels(path)
        except EspassGeoError:
            return
    assert len(parcels) == n
    assert parcels["parcel_id"].is_unique and (parcels["parcel_id"] != "").all()
    assert parcels["code"].between(111, 523).all()
