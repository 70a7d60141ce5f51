"""Vector land cover: exact overlay area and change tables, reading, rasterization (#11).

Hand-built layers (Lambert-93, origin x=700 000, y=6 600 000)::

    y 100 ┌───────────── 311 ─────────────┐      zone A = x 0–100, zone B = x 100–200
          │                               │      (100 m × 100 m = 1 ha each)
    y  40 ├──────── 211 ───────┬── gap ───┤      211: x 0–140, y 0–40
          │                    │ (no data)│      311: x 0–200, y 40–100
    y   0 └────────────────────┴──────────┘      gap: x 140–200, y 0–40
          x 0       100       140        200

The equivalence tests polygonize small random rasters (``rasterio.features.shapes``): the
exact vector overlay and exactextract's exact pixel coverage must then agree within 1e-6 ha
per zone × code (and per zone × from × to for change tables).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.features import shapes
from rasterio.transform import from_origin
from shapely.geometry import Point, Polygon, box, shape

from espass_geo.core.areas import area_table_from_raster, check_closure
from espass_geo.core.vector_areas import (
    area_table_from_vector,
    change_table_from_vectors,
    change_table_mixed,
    class_areas_vector,
    overlay_pairs,
    rasterize_landcover,
)
from espass_geo.errors import (
    AreaTableError,
    CoverageError,
    CRSMismatchError,
    EmptyTerritoryError,
    InputFileError,
    InvalidGeometryWarning,
    MissingCRSError,
    OverlappingZonesWarning,
    PartialCoverageWarning,
)
from espass_geo.io.change_rasters import change_table_from_rasters
from espass_geo.io.landcover_vectors import (
    VectorLandCover,
    is_vector_landcover,
    read_landcover_vector,
)
from espass_geo.io.parcels import read_parcels

X0, Y0 = 700000.0, 6600000.0


def b(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def as_dict(table, zone, key="code"):
    t = table[table["zone_id"] == zone]
    return {k: round(v, 6) for k, v in t.groupby(key)["area_ha"].sum().items()}


@pytest.fixture
def zones():
    return gpd.GeoDataFrame({"zone_id": ["A", "B"], "zone_name": ["Arras-test", "Béthune-test"]},
                            geometry=[b(0, 0, 100, 100), b(100, 0, 200, 100)], crs=2154)


@pytest.fixture
def lc():
    return gpd.GeoDataFrame({"code": ["211", "311"]},
                            geometry=[b(0, 0, 140, 40), b(0, 40, 200, 100)], crs=2154)


# ------------------------------------------------------------------ hand-computed tables
def test_hand_computed_area_table(zones, lc):
    # B: the gap x 140–200, y 0–40 = 60 m × 40 m = 0.24 ha of 1 ha -> 24 % without data
    with pytest.warns(PartialCoverageWarning, match=r"Béthune-test.*24,0\s%"):
        at = area_table_from_vector(zones, lc, label="ocs.gpkg")
    # A: 211 = 100 m × 40 m = 0.4 ha; 311 = 100 m × 60 m = 0.6 ha
    assert as_dict(at.table, "A") == {"211": 0.4, "311": 0.6}
    # B: 211 = 40 m × 40 m = 0.16 ha; 311 = 100 m × 60 m = 0.6 ha
    assert as_dict(at.table, "B") == {"211": 0.16, "311": 0.6}
    assert list(at.table.columns) == ["zone_id", "code", "area_ha", "area_source"]
    assert set(at.table["area_source"]) == {"landcover"}
    s = at.summary.set_index("zone_id")
    assert list(at.summary.columns) == ["zone_id", "polygon_area_ha", "classified_area_ha",
                                        "nodata_area_ha", "parcel_area_ha", "disagreement_ha"]
    assert s.loc["A", "nodata_area_ha"] == pytest.approx(0.0, abs=1e-12)
    assert s.loc["B", "classified_area_ha"] == pytest.approx(0.76)
    assert s.loc["B", "nodata_area_ha"] == pytest.approx(0.24)
    assert check_closure(at).empty
    assert any("ocs.gpkg" in n for n in at.notes)


def test_gap_above_threshold_is_an_error(zones, lc):
    with pytest.raises(CoverageError, match=r"Béthune-test.*24,0\s%"):
        area_table_from_vector(zones, lc, max_nodata_share=0.2)


def test_layer_away_from_territory(zones):
    far = gpd.GeoDataFrame({"code": ["211"]}, geometry=[b(5000, 5000, 5100, 5100)], crs=2154)
    with pytest.raises(CoverageError, match="aucun polygone sur le territoire"):
        area_table_from_vector(zones, far, label="loin.gpkg")


def test_zone_and_layer_checks(zones, lc):
    with pytest.raises(CRSMismatchError, match="EPSG:2154"):
        area_table_from_vector(zones.to_crs(3857), lc)
    with pytest.raises(CRSMismatchError, match="reprojetez"):
        area_table_from_vector(zones, lc.to_crs(3857))
    dup = zones.assign(zone_id=["A", "A"])
    with pytest.raises(AreaTableError, match="double"):
        area_table_from_vector(dup, lc)
    with pytest.raises(EmptyTerritoryError):
        area_table_from_vector(zones.iloc[:0], lc)


def test_parcels_take_precedence(tmp_path, zones, lc):
    # one parcel x 50–150, y 0–100 (0.5 ha in A, 0.5 ha in B), declared BTH -> 211
    parcels = gpd.GeoDataFrame({"ID_PARCEL": ["P1"], "CODE_CULTU": ["BTH"], "CODE_GROUP": ["1"]},
                               geometry=[b(50, 0, 150, 100)], crs=2154)
    path = tmp_path / "rpg.gpkg"
    parcels.to_file(path, engine="pyogrio")
    p = read_parcels(path)
    # B without data: gap 0.24 ha minus the 10 m × 40 m = 0.04 ha inside the parcel = 0.2 ha
    with pytest.warns(PartialCoverageWarning, match=r"20,0\s%"):
        at = area_table_from_vector(zones, lc, parcels=p)
    # A: land cover inside the parcel: 211 50×40 = 0.2 ha, 311 50×60 = 0.3 ha, replaced by
    # 0.5 ha declared 211 -> 211 = 0.4 − 0.2 + 0.5 = 0.7 ha; 311 = 0.6 − 0.3 = 0.3 ha
    assert as_dict(at.table, "A") == {"211": 0.7, "311": 0.3}
    # B: 211 0.16 − 0.16 + 0.5 = 0.5 ha; 311 = 0.6 − 50×60 m (0.3) = 0.3 ha
    assert as_dict(at.table, "B") == {"211": 0.5, "311": 0.3}
    s = at.summary.set_index("zone_id")
    # disagreement = parcel area whose land cover is not 211: A 0.5 − 0.2 = 0.3, B 0.5 − 0.16
    assert s.loc["A", "disagreement_ha"] == pytest.approx(0.3)
    assert s.loc["B", "disagreement_ha"] == pytest.approx(0.34)
    assert s["parcel_area_ha"].tolist() == pytest.approx([0.5, 0.5])
    assert s.loc["B", "nodata_area_ha"] == pytest.approx(0.2)
    src = at.table.groupby("area_source")["area_ha"].sum()
    assert src["parcels"] == pytest.approx(1.0)
    assert check_closure(at).empty
    assert any("La déclaration des parcelles prévaut" in n and "0,64" in n for n in at.notes)


def test_overlapping_zones(zones, lc):
    # C = x 50–150 overlaps A and B by 0.5 ha each (1 ha counted twice) -> warned
    zc = pd.concat([zones, gpd.GeoDataFrame({"zone_id": ["C"]}, geometry=[b(50, 0, 150, 100)],
                                            crs=2154)], ignore_index=True)
    with pytest.warns(OverlappingZonesWarning), \
            pytest.warns(PartialCoverageWarning):
        at = area_table_from_vector(zones=zc, lc=lc, max_nodata_share=0.5)
    # C: 211 = 90 m × 40 m = 0.36 ha; 311 = 100 m × 60 m = 0.6 ha; gap 10 × 40 m = 0.04 ha
    assert as_dict(at.table, "C") == {"211": 0.36, "311": 0.6}
    assert as_dict(at.table, "A") == {"211": 0.4, "311": 0.6}
    assert any("Des zones se chevauchent" in n for n in at.notes)


def test_overlapping_landcover_polygons_warned(zones, lc):
    # a second 211 polygon over x 0–50, y 0–40 (0.2 ha) overlaps the first: A counts 1.2 ha
    extra = pd.concat([lc, gpd.GeoDataFrame({"code": ["211"]}, geometry=[b(0, 0, 50, 40)],
                                            crs=2154)], ignore_index=True)
    with pytest.warns(OverlappingZonesWarning, match=r"0,20\sha"), \
            pytest.warns(PartialCoverageWarning):
        at = area_table_from_vector(zones, extra)
    assert as_dict(at.table, "A") == {"211": 0.6, "311": 0.6}


def test_class_areas_inside_boundary_and_identical_pairs():
    # lc polygon inside the piece (area used directly), across its edge (intersected), and
    # identical to it (equal geometry): 0.04 + 0.5 × 0.2 ha, and 1 ha
    pieces = gpd.GeoDataFrame({"pid": [1, 2]}, geometry=[b(0, 0, 100, 100),
                                                         b(1000, 0, 1100, 100)], crs=2154)
    lc = gpd.GeoDataFrame({"code": [112, "311", "211.0"]},
                          geometry=[b(10, 10, 30, 30), b(80, 0, 120, 50),
                                    b(1000, 0, 1100, 100)], crs=2154)
    out = class_areas_vector(lc, pieces, "pid")
    # 112: 20 × 20 m = 0.04 ha; 311: 20 m × 50 m inside = 0.1 ha; 211: 1 ha (codes as str)
    assert out.set_index(["pid", "code"])["area_ha"].round(9).to_dict() == {
        (1, "112"): 0.04, (1, "311"): 0.1, (2, "211"): 1.0}
    i, j, area = overlay_pairs(pieces.geometry.values, lc.geometry.values, parallel=True,
                               chunk=1)
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 0), (0, 1), (1, 2)]
    assert area.sum() == pytest.approx(400 + 1000 + 10000)


# ------------------------------------------------------------------ change tables
def test_hand_computed_change_table(zones, lc):
    # after: everything x 0–200, y 0–50 is 112 (urbanised), above stays 311
    after = gpd.GeoDataFrame({"code": ["112", "311"]},
                             geometry=[b(0, 0, 200, 50), b(0, 50, 200, 100)], crs=2154)
    with pytest.warns(PartialCoverageWarning, match=r"24,0\s%"):
        ct = change_table_from_vectors(zones, lc, after, years=(2012, 2018))
    assert ct.years == 6.0 and (ct.date_from, ct.date_to) == (2012, 2018)
    t = ct.table.set_index(["zone_id", "from_code", "to_code"])["area_ha"].round(6).to_dict()
    # A: 211→112 100×40 = 0.4; 311→112 100×10 = 0.1; 311→311 100×50 = 0.5
    # B: 211→112 40×40 = 0.16; 311→112 0.1; 311→311 0.5 (gap has no first date: no data)
    assert t == {("A", "211", "112"): 0.4, ("A", "311", "112"): 0.1, ("A", "311", "311"): 0.5,
                 ("B", "211", "112"): 0.16, ("B", "311", "112"): 0.1,
                 ("B", "311", "311"): 0.5}
    s = ct.summary.set_index("zone_id")
    assert s.loc["B", "nodata_area_ha"] == pytest.approx(0.24)
    before_m, after_m = ct.margins()
    # both margins close on the area covered at both dates
    for m in (before_m, after_m):
        got = m.groupby("zone_id")["area_ha"].sum()
        assert got.to_dict() == pytest.approx(s["classified_area_ha"].to_dict())


def test_change_dates_checked(zones, lc):
    from espass_geo.errors import AreaTableError as ATE

    with pytest.raises(ATE, match="inversées"):
        change_table_from_vectors(zones, lc, lc, years=(2018, 2012))


# ------------------------------------------------------------------ reading
def test_is_vector_landcover(tmp_path):
    for name in ("ocs.gpkg", "ocs.SHP", "a.geojson", "a.json", "a.fgb", "a.gml", "a.sqlite",
                 "ocs.zip", "ocs.gpkg:couverture"):
        assert is_vector_landcover(tmp_path / name), name
    for name in ("clc.tif", "clc.TIFF", "m.vrt", "m.img", "m.jp2", "table.csv"):
        assert not is_vector_landcover(tmp_path / name), name


def write_layer(path, gdf, **kw):
    gdf.to_file(path, engine="pyogrio", **kw)
    return path


def test_read_reprojects_and_filters_bbox(tmp_path, lc):
    far = gpd.GeoDataFrame({"code": ["512"]}, geometry=[b(50_000, 0, 50_100, 100)], crs=2154)
    layer = pd.concat([lc, far], ignore_index=True).rename(columns={"code": "CODE_18"})
    path = write_layer(tmp_path / "clc_wgs84.gpkg", layer.to_crs(4326), layer="clc")
    v = read_landcover_vector(f"{path}:clc", code_field="CODE_18", nomenclature="clc")
    assert isinstance(v, VectorLandCover)
    assert v.gdf.crs.to_epsg() == 2154 and v.fields == ("CODE_18",)
    assert sorted(v.gdf["code"]) == ["211", "311", "512"]
    assert any("reprojetée de EPSG:4326 en Lambert-93" in n for n in v.notes)
    # round trip 2154 -> 4326 -> 2154: areas within 1e-4 ha (0.56 + 0.0 ... of 1.2 ha + 1 ha)
    assert v.gdf.area.sum() * 1e-4 == pytest.approx(0.56 + 1.2 + 1.0, abs=1e-4)
    # bbox (Lambert-93) of the two zones: the far polygon is not read
    v2 = read_landcover_vector(f"{path}:clc", code_field="CODE_18", nomenclature="clc",
                               bbox=(X0, Y0, X0 + 200, Y0 + 100))
    assert sorted(v2.gdf["code"]) == ["211", "311"]


def test_read_zipped_shapefile(tmp_path, lc):
    import zipfile

    shp = write_layer(tmp_path / "ocs.shp", lc.rename(columns={"code": "CODE_18"}))
    zpath = tmp_path / "ocs.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            z.write(shp.with_suffix(ext), shp.with_suffix(ext).name)
    assert is_vector_landcover(zpath)
    v = read_landcover_vector(zpath)
    assert sorted(v.gdf["code"]) == ["211", "311"]
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(InputFileError, match=r"incomplet.*ocs\.dbf"):
        read_landcover_vector(shp)


def test_read_refuses_points_and_missing_crs(tmp_path):
    pts = gpd.GeoDataFrame({"CODE_18": ["211"]}, geometry=[Point(X0, Y0)], crs=2154)
    path = write_layer(tmp_path / "points.gpkg", pts)
    with pytest.raises(InputFileError, match="pas des polygones"):
        read_landcover_vector(path, code_field="CODE_18")
    nocrs = gpd.GeoDataFrame({"CODE_18": ["211"]}, geometry=[b(0, 0, 10, 10)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio: "'crs' was not provided"
        shp = write_layer(tmp_path / "sans_scr.shp", nocrs)
    with pytest.raises(MissingCRSError, match=r"sans système de coordonnées.*\.prj"):
        read_landcover_vector(shp, code_field="CODE_18")
    with pytest.raises(InputFileError, match="introuvable"):
        read_landcover_vector(tmp_path / "absent.gpkg")
    poly = gpd.GeoDataFrame({"CODE_18": ["211"]}, geometry=[b(0, 0, 10, 10)], crs=2154)
    path = write_layer(tmp_path / "poly.gpkg", poly)
    with pytest.raises(InputFileError, match="CODE_CS"):
        read_landcover_vector(path, code_field="CODE_CS")


def test_read_layers_mixed_geometries_and_empty_bbox(tmp_path, zones, lc):
    path = tmp_path / "deux_couches.gpkg"
    layer = lc.rename(columns={"code": "CODE_18"})
    write_layer(path, layer, layer="ocs2012")
    write_layer(path, layer, layer="ocs2018")
    with pytest.raises(InputFileError, match=r"2 couches.*deux_couches\.gpkg:ocs2012"):
        read_landcover_vector(path)
    with pytest.raises(InputFileError, match="couche « ocs2030 » absente"):
        read_landcover_vector(f"{path}:ocs2030")
    # a GeoJSON mixing a polygon and a point: refused feature by feature
    mixed = gpd.GeoDataFrame({"CODE_18": ["211", "311"]},
                             geometry=[b(0, 0, 10, 10), Point(X0, Y0)], crs=2154)
    gj = write_layer(tmp_path / "mixte.geojson", mixed.to_crs(4326))
    with pytest.raises(InputFileError, match=r"1 entité\(s\) sur 2.*Point"):
        read_landcover_vector(gj, code_field="CODE_18")
    # a bbox away from the layer: nothing read, then the area table says so
    v = read_landcover_vector(f"{path}:ocs2018", bbox=(0, 0, 1000, 1000))
    assert len(v.gdf) == 0
    with pytest.raises(CoverageError, match="aucun polygone sur le territoire"):
        area_table_from_vector(zones, v)


def test_read_repairs_invalid_geometries(tmp_path):
    # a bow-tie (self-intersecting) polygon: make_valid gives two triangles of 25 × 50 m
    bow = Polygon([(X0, Y0), (X0 + 50, Y0 + 50), (X0 + 50, Y0), (X0, Y0 + 50)])
    gdf = gpd.GeoDataFrame({"CODE_18": ["211", "311"]},
                           geometry=[bow, b(100, 0, 200, 100)], crs=2154)
    path = write_layer(tmp_path / "invalide.gpkg", gdf)
    with pytest.warns(InvalidGeometryWarning, match="1 géométrie"):
        v = read_landcover_vector(path, code_field="CODE_18", nomenclature="clc")
    assert v.gdf.geometry.is_valid.all()
    # two triangles of ½ × 50 m × 25 m = 625 m² each -> 0.125 ha
    assert v.gdf.area.iloc[0] * 1e-4 == pytest.approx(0.125)
    assert any("1 géométrie(s) invalide(s) réparée(s)" in n for n in v.notes)


def test_read_then_area_table(tmp_path, zones, lc):
    path = write_layer(tmp_path / "ocs.gpkg", lc.rename(columns={"code": "CODE_18"}))
    v = read_landcover_vector(path, code_field="CODE_18", nomenclature="clc")
    with pytest.warns(PartialCoverageWarning):
        at = area_table_from_vector(zones, v)
    assert as_dict(at.table, "A") == {"211": 0.4, "311": 0.6}
    assert at.notes[0].startswith("Occupation du sol vectorielle")


def test_read_detects_clc_field_and_drops_empty_codes(tmp_path, zones):
    # CODE_18 recognised without code_field; the empty code is no data (0.24 ha gap in B)
    gdf = gpd.GeoDataFrame({"ID": [1, 2, 3], "CODE_18": ["211", "311", None]},
                           geometry=[b(0, 0, 140, 40), b(0, 40, 200, 100), b(140, 0, 200, 40)],
                           crs=2154)
    v = read_landcover_vector(write_layer(tmp_path / "clc18.gpkg", gdf))
    assert (v.product, v.fields) == ("clc", ("CODE_18",))
    assert len(v.gdf) == 2
    # 60 m × 40 m = 0.24 ha without class
    assert any("sans classe (0,24\u00a0ha)" in n for n in v.notes), v.notes
    with pytest.warns(PartialCoverageWarning, match=r"24,0\s%"):
        at = area_table_from_vector(zones, v)
    assert at.summary.set_index("zone_id").loc["B", "nodata_area_ha"] == pytest.approx(0.24)


def test_read_warns_overlaps_once(tmp_path, zones, lc):
    # a second 211 polygon x 0–50, y 0–40 over the first: 50 m × 40 m = 0.2 ha twice
    extra = pd.concat([lc, gpd.GeoDataFrame({"code": ["211"]}, geometry=[b(0, 0, 50, 40)],
                                            crs=2154)], ignore_index=True)
    path = write_layer(tmp_path / "chevauche.gpkg", extra.rename(columns={"code": "CODE_18"}))
    with pytest.warns(OverlappingZonesWarning, match=r"0,20\sha"):
        v = read_landcover_vector(path)
    assert v.overlap_ha == pytest.approx(0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OverlappingZonesWarning)  # not warned a second time
        warnings.simplefilter("ignore", PartialCoverageWarning)
        at = area_table_from_vector(zones, v)
    assert any("comptés deux fois" in n and "A (0,20" in n for n in at.notes), at.notes


# ------------------------------------------------------------------ rasterization
def test_rasterize_pixel_centre(lc):
    # 20 m pixels over x 0–200, y 0–100: 211 up to x=140 (7 columns) on rows y 0–40 (2 rows)
    mem = rasterize_landcover(lc, bounds=(X0, Y0, X0 + 200, Y0 + 100), resolution=20.0)
    with mem.open() as src:
        arr = src.read(1)
        assert src.crs.to_epsg() == 2154 and src.nodata == 0 and arr.dtype == np.int32
        assert src.transform == from_origin(X0, Y0 + 100, 20, 20)
    assert arr.shape == (5, 10)
    assert (arr[:3] == 311).all()
    assert (arr[3:, :7] == 211).all() and (arr[3:, 7:] == 0).all()
    with rasterio.open(mem.name) as src:  # the /vsimem path while mem is alive
        assert src.read(1).sum() == arr.sum()
    mem.close()


# ------------------------------------------------------------------ equivalence with rasters
RES = 10.0


def random_raster(rng, n=24, codes=(112, 211, 231, 311), nodata_share=0.05):
    arr = rng.choice(np.asarray(codes, dtype="int32"), size=(n, n))
    # patches of 3 × 3 pixels so that polygons are larger than one pixel
    arr = np.kron(arr[: n // 3 + 1, : n // 3 + 1], np.ones((3, 3), "int32"))[:n, :n].copy()
    flip = rng.random((n, n)) < 0.15
    arr[flip] = rng.choice(np.asarray(codes, "int32"), size=int(flip.sum()))
    arr[rng.random((n, n)) < nodata_share] = 0
    return arr


def polygonize(arr, transform):
    geoms, codes = [], []
    for geom, value in shapes(arr, mask=arr != 0, transform=transform):
        geoms.append(shape(geom))
        codes.append(str(int(value)))
    return gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=2154)


def random_zones(rng, n_px, k=5):
    """Voronoi cells of random seeds over a box a little larger than the raster."""
    size = n_px * RES
    env = box(X0 - 15, Y0 - 15, X0 + size + 15, Y0 + size + 15)
    pts = shapely.multipoints(rng.uniform([X0, Y0], [X0 + size, Y0 + size], (k, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=env))
    cells = [c.intersection(env) for c in cells]
    return gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(len(cells))]},
                            geometry=cells, crs=2154)


def write_tif(path, arr, transform):
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0],
                       count=1, dtype=arr.dtype, crs="EPSG:2154", transform=transform,
                       nodata=0) as dst:
        dst.write(arr, 1)
    return path


def compare(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], tol=1e-6):
    m = a.groupby(keys)["area_ha"].sum().to_frame("a").join(
        b.groupby(keys)["area_ha"].sum().to_frame("b"), how="outer").fillna(0.0)
    diff = (m["a"] - m["b"]).abs()
    assert diff.max() <= tol, m[diff > tol]
    return m


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_vector_equals_raster_on_pixel_squares(tmp_path_factory, seed):
    rng = np.random.default_rng(seed)
    n = 24
    transform = from_origin(X0, Y0 + n * RES, RES, RES)
    arr = random_raster(rng, n)
    tif = write_tif(tmp_path_factory.mktemp("eq") / "lc.tif", arr, transform)
    lc = polygonize(arr, transform)
    zones = random_zones(rng, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        r = area_table_from_raster(zones, tif, max_nodata_share=1.0)
        v = area_table_from_vector(zones, lc, max_nodata_share=1.0)
    compare(r.table, v.table, ["zone_id", "code"])
    rs, vs = r.summary.set_index("zone_id"), v.summary.set_index("zone_id")
    for col in ("polygon_area_ha", "classified_area_ha", "nodata_area_ha"):
        assert np.allclose(rs[col], vs[col], atol=1e-6), col
    assert check_closure(v).empty
    # the total is the raster's classified area inside the zones' union (they tile it)
    assert v.table["area_ha"].sum() == pytest.approx((arr != 0).sum() * RES * RES * 1e-4)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_vector_equals_raster_with_parcels(tmp_path_factory, seed):
    rng = np.random.default_rng(seed)
    n = 24
    transform = from_origin(X0, Y0 + n * RES, RES, RES)
    arr = random_raster(rng, n)
    tif = write_tif(tmp_path_factory.mktemp("eqp") / "lc.tif", arr, transform)
    zones = random_zones(rng, n, k=3)
    # parcels: one random box inside each cell of a 3 × 3 grid of 80 m cells (no overlap)
    boxes = []
    for gx in range(3):
        for gy in range(3):
            x, y = X0 + gx * 80 + rng.uniform(0, 30), Y0 + gy * 80 + rng.uniform(0, 30)
            boxes.append(box(x, y, x + rng.uniform(10, 45), y + rng.uniform(10, 45)))
    parcels = gpd.GeoDataFrame({"parcel_id": [f"p{k}" for k in range(9)],
                                "code": rng.choice([211, 231, 311], 9)},
                               geometry=boxes, crs=2154)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        r = area_table_from_raster(zones, tif, parcels=parcels, max_nodata_share=1.0)
        v = area_table_from_vector(zones, polygonize(arr, transform), parcels=parcels,
                                   max_nodata_share=1.0)
    compare(r.table, v.table, ["zone_id", "code", "area_source"])
    for col in ("classified_area_ha", "nodata_area_ha", "parcel_area_ha", "disagreement_ha"):
        assert np.allclose(r.summary[col], v.summary[col], atol=1e-6), col


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_vector_change_table_equals_raster(tmp_path_factory, seed):
    rng = np.random.default_rng(seed)
    n = 21
    transform = from_origin(X0, Y0 + n * RES, RES, RES)
    a0 = random_raster(rng, n)
    a1 = a0.copy()
    change = rng.random((n, n)) < 0.3
    a1[change] = rng.choice(np.asarray([112, 211, 311, 512], "int32"), size=int(change.sum()))
    a1[rng.random((n, n)) < 0.03] = 0
    tmp = tmp_path_factory.mktemp("chg")
    t0 = write_tif(tmp / "lc2012.tif", a0, transform)
    t1 = write_tif(tmp / "lc2018.tif", a1, transform)
    v0, v1 = polygonize(a0, transform), polygonize(a1, transform)
    zones = random_zones(rng, n, k=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        r = change_table_from_rasters(zones, t0, t1, years=(2012, 2018), max_nodata_share=1.0)
        v = change_table_from_vectors(zones, v0, v1, years=(2012, 2018), max_nodata_share=1.0)
        m1 = change_table_mixed(zones, t0, v1, years=(2012, 2018), max_nodata_share=1.0,
                                label="ocs2018.gpkg")
        m2 = change_table_mixed(zones, v0, t1, years=(2012, 2018), max_nodata_share=1.0)
    keys = ["zone_id", "from_code", "to_code"]
    compare(r.table, v.table, keys)
    # mixed: the vector is rasterized on the raster's own grid -> the very same pixels
    compare(r.table, m1.table, keys)
    compare(r.table, m2.table, keys)
    assert any("rastérisée sur la grille" in n and "10 m" in n for n in m1.notes)
    assert np.allclose(r.summary["nodata_area_ha"], v.summary["nodata_area_ha"], atol=1e-6)
    # both margins close on the area covered at both dates
    s = v.summary.set_index("zone_id")["classified_area_ha"]
    for margin in v.margins():
        tot = margin.groupby("zone_id")["area_ha"].sum().reindex(s.index, fill_value=0.0)
        assert np.allclose(tot, s, atol=1e-9)


def test_rasterize_polygonized_raster_round_trip():
    rng = np.random.default_rng(7)
    n = 30
    transform = from_origin(X0, Y0 + n * RES, RES, RES)
    arr = random_raster(rng, n)
    lc = polygonize(arr, transform)
    with rasterize_landcover(lc, like=(transform, n, n)) as mem, mem.open() as src:
        assert (src.read(1) == arr).all()
    # bounds snapped outwards to 10 m: same grid as the raster (its no-data edge included)
    mem = rasterize_landcover(lc, bounds=(X0 + 0.5, Y0 + 0.5, X0 + n * RES - 1, Y0 + n * RES))
    with mem.open() as src:
        assert src.transform == transform and src.shape == (n, n)
    mem.close()
