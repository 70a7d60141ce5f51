"""BD Forêt V2 polygons and BD Haie lines: reading, forest areas, land-cover refinement.

Everything is built by hand on the 100 m grid of conftest (origin x=700000, y=6600400,
EPSG:2154). Zone A = x 700000–700200, zone B = x 700200–700400 (both y 6600000–6600400,
8 ha). The land-cover raster of these tests has no no-data (1 pixel = 1 ha)::

    x:   700000 700100 700200 700300
         211    211    231    231      y 6600300–6600400
         211    211    311    311      y 6600200–6600300
         112    112    311    311      y 6600100–6600200
         112    112    311    311      y 6600000–6600100

so zone A = 4 ha 211 + 4 ha 112, zone B = 2 ha 231 + 6 ha 311.

The BD Forêt layer (:func:`bdforet_layer`):

* FP (peupleraie), an L over zone B: the column x 700200–700300, y 6600000–6600300 (3 ha of
  311) plus the half pixel x 700300–700350, y 6600200–6600300 (0.5 ha of 311) = 3.5 ha;
* FF1-00-00 (feuillus), x 700300–700400, y 6600000–6600200: 2 ha of 311 in zone B;
* FF2-64-64 (douglas, conifères), x 700000–700100, y 6600200–6600400: 2 ha of 211 (cropland)
  in zone A;
* FF31 (mixed), x 700150–700250, y 6600300–6600400: 1 ha across the zone boundary, 0.5 ha in A
  (on 211) and 0.5 ha in B (on 231);
* LA4 (lande), x 700100–700200, y 6600000–6600100: 1 ha, not forest, dropped on reading.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from conftest import X0, Y0, write_raster
from shapely.geometry import LineString, MultiLineString, Polygon, box

from espass_geo.core.areas import area_table_from_raster
from espass_geo.core.forest_refine import (
    bdforet_pieces,
    forest_areas_from_polygons,
    forest_codes,
    inside_from_polygons,
    inside_from_raster,
    refine_forest_areas,
)
from espass_geo.errors import (
    CRSMismatchError,
    EmptyTerritoryError,
    InputFileError,
    MissingCRSError,
    UnknownLandCoverClassError,
)
from espass_geo.io.forest_layers import (
    bdforet_crosswalk,
    map_tfv,
    read_bdforet,
    read_hedge_lines,
    read_hedges_any,
)
from espass_geo.io.tables import TableWarning
from espass_geo.reference import data

RASTER = np.array([[211, 211, 231, 231],
                   [211, 211, 311, 311],
                   [112, 112, 311, 311],
                   [112, 112, 311, 311]], dtype="uint16")
Y_BOTTOM = Y0 - 400  # 6600000

POPLAR = Polygon([(X0 + 200, Y_BOTTOM), (X0 + 300, Y_BOTTOM), (X0 + 300, Y_BOTTOM + 200),
                  (X0 + 350, Y_BOTTOM + 200), (X0 + 350, Y_BOTTOM + 300),
                  (X0 + 200, Y_BOTTOM + 300)])
BROADLEAF = box(X0 + 300, Y_BOTTOM, X0 + 400, Y_BOTTOM + 200)
DOUGLAS = box(X0, Y_BOTTOM + 200, X0 + 100, Y_BOTTOM + 400)
MIXED = box(X0 + 150, Y_BOTTOM + 300, X0 + 250, Y_BOTTOM + 400)
LANDE = box(X0 + 100, Y_BOTTOM, X0 + 200, Y_BOTTOM + 100)


def norm(text: str) -> str:
    """Messages use no-break spaces between a number and its unit."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def bdforet_layer(path, *, crs="EPSG:2154", field="CODE_TFV", codes=None, geoms=None):
    codes = codes or ["FP", "FF1-00-00", "FF2-64-64", "FF31", "LA4"]
    geoms = geoms or [POPLAR, BROADLEAF, DOUGLAS, MIXED, LANDE]
    gdf = gpd.GeoDataFrame({field: codes, "TFV": ["…"] * len(codes)}, geometry=geoms,
                           crs="EPSG:2154")
    if crs is not None:
        gdf.to_crs(crs).to_file(path, engine="pyogrio")
        return path
    with warnings.catch_warnings():  # pyogrio warns that the file will have no CRS: the point
        warnings.simplefilter("ignore", UserWarning)
        gdf.set_crs(None, allow_override=True).to_file(path, engine="pyogrio")
    return path


def hedge_layer(path, geoms, *, crs="EPSG:2154"):
    gpd.GeoDataFrame({"id": range(len(geoms))}, geometry=geoms, crs="EPSG:2154").to_crs(
        crs).to_file(path, engine="pyogrio")
    return path


# ----------------------------------------------------------------------------- crosswalk
def test_crosswalk_covers_the_32_codes_of_bd_foret_v2():
    cw = bdforet_crosswalk()
    exact = cw[~cw["code_tfv"].str.endswith("*")]
    assert len(exact) == 32 and exact["code_tfv"].is_unique
    assert set(cw["composition"]) == {"feuillus", "coniferes", "mixtes", "peupleraies", "none"}
    # the code agrees with the composition of the land-use tables (311/312/313/903)
    comp_of_code = forest_codes()
    forest = cw[cw["composition"] != "none"]
    assert all(comp_of_code[c] == comp for c, comp in zip(forest["code"], forest["composition"],
                                                          strict=True))
    assert (cw.loc[cw["composition"] == "none", "code"] == "").all()
    # the poplar code of BD Forêt V2 is FP; FF1G01-01 is deciduous oak
    row = cw.set_index("code_tfv")
    assert row.loc["FP", "code"] == "903" and row.loc["FF1G01-01", "composition"] == "feuillus"


def test_map_tfv_case_spaces_and_prefix_rules():
    got = map_tfv(pd.Series(["fp", " FF2G61-61 ", "FF1-99-99", "FF3x", "LA9", "FO2"]),
                  source="test")
    assert got["code"].tolist() == ["903", "312", "311", "313", "", "312"]
    assert got["composition"].tolist() == ["peupleraies", "coniferes", "feuillus", "mixtes",
                                           "none", "coniferes"]


def test_unknown_tfv_codes_are_listed(tmp_path):
    path = bdforet_layer(tmp_path / "bdforet_v1.gpkg", codes=["FP", "AFJ", "30", None, "AFJ"],
                         geoms=[POPLAR, BROADLEAF, DOUGLAS, MIXED, LANDE])
    with pytest.raises(UnknownLandCoverClassError) as exc:
        read_bdforet(path)
    msg = str(exc.value)
    assert "bdforet_v1.gpkg" in msg and "3 code(s) CODE_TFV inconnu(s)" in msg
    assert "AFJ (2 polygone(s))" in msg and "30 (1 polygone(s))" in msg and "(vide)" in msg
    assert "BD Forêt V1" in msg and "crosswalk_bdforet_tfv.csv" in msg
    assert exc.value.codes == ["", "30", "AFJ"]


# ----------------------------------------------------------------------------- reading
def test_read_bdforet_maps_and_drops_non_forest(tmp_path):
    forest = read_bdforet(bdforet_layer(tmp_path / "bdforet.gpkg", field="code_tfv"))
    assert list(forest.columns) == ["code_tfv", "composition", "code", "geometry"]
    assert forest.crs.to_epsg() == 2154
    # LA4 (lande) dropped: 4 polygons left
    assert forest["code_tfv"].tolist() == ["FP", "FF1-00-00", "FF2-64-64", "FF31"]
    assert forest["code"].tolist() == ["903", "311", "312", "313"]
    # areas: L = 3 ha + 0.5 ha; 2 ha; 2 ha; 1 ha
    assert forest.geometry.area.to_numpy() / 1e4 == pytest.approx([3.5, 2.0, 2.0, 1.0])
    notes = norm(" ".join(forest.attrs["notes"]))
    assert "1 polygone(s) hors forêt (LA4" in notes and "1,0 ha" in notes


def test_read_bdforet_reprojects_with_a_note(tmp_path):
    forest = read_bdforet(bdforet_layer(tmp_path / "bdforet_wgs84.gpkg", crs="EPSG:4326"))
    assert forest.crs.to_epsg() == 2154
    # vertices go to degrees and back: areas unchanged to a square centimetre
    assert forest.geometry.area.to_numpy() / 1e4 == pytest.approx([3.5, 2.0, 2.0, 1.0],
                                                                   abs=1e-8)
    assert any("reprojetée en Lambert-93" in n and "EPSG:4326" in n
               for n in forest.attrs["notes"])


def test_read_bdforet_bbox_reads_only_what_meets_it(tmp_path):
    path = bdforet_layer(tmp_path / "bdforet.gpkg")
    # zone A's extent minus a metre at its right edge: the poplar L and the broadleaf box
    # (x ≥ 700200) are not read; douglas, mixed (x 700150–700250) are
    forest = read_bdforet(path, bbox=(X0, Y_BOTTOM, X0 + 199, Y0))
    assert sorted(forest["code_tfv"]) == ["FF2-64-64", "FF31"]


def test_read_bdforet_refusals(tmp_path):
    with pytest.raises(InputFileError, match="introuvable"):
        read_bdforet(tmp_path / "absent.gpkg")
    nocrs = bdforet_layer(tmp_path / "sans_crs.shp", crs=None)
    with pytest.raises(MissingCRSError, match="sans système de coordonnées"):
        read_bdforet(nocrs)
    nofield = bdforet_layer(tmp_path / "sans_champ.gpkg", field="NATURE")
    with pytest.raises(InputFileError, match="sans champ CODE_TFV"):
        read_bdforet(nofield)
    lines = tmp_path / "lignes.gpkg"
    gpd.GeoDataFrame({"CODE_TFV": ["FP"]}, geometry=[LineString([(X0, Y0), (X0 + 10, Y0)])],
                     crs="EPSG:2154").to_file(lines, engine="pyogrio")
    with pytest.raises(InputFileError, match="ne sont pas des polygones"):
        read_bdforet(lines)


def test_read_bdforet_several_departements(tmp_path):
    a = bdforet_layer(tmp_path / "d59.gpkg", codes=["FP"], geoms=[POPLAR])
    b = bdforet_layer(tmp_path / "d62.gpkg", codes=["FF2-64-64"], geoms=[DOUGLAS])
    forest = read_bdforet([a, b])
    assert forest["code"].tolist() == ["903", "312"]


# ----------------------------------------------------------------------------- forest areas
def test_forest_areas_from_polygons_two_zones(tmp_path, two_zones):
    forest = read_bdforet(bdforet_layer(tmp_path / "bdforet.gpkg"))
    got = forest_areas_from_polygons(two_zones, forest)
    # A: douglas 2 ha, half of the mixed box 0.5 ha; B: broadleaf 2 ha, other half of the
    # mixed box 0.5 ha, poplar L 3 + 0.5 = 3.5 ha
    expected = pd.DataFrame({
        "zone_id": ["A", "A", "B", "B", "B"],
        "composition": ["coniferes", "mixtes", "feuillus", "mixtes", "peupleraies"],
        "area_ha": [2.0, 0.5, 2.0, 0.5, 3.5]})
    pd.testing.assert_frame_equal(got, expected, check_exact=False, atol=1e-9)
    # the BD Forêt polygons all lie in the zones: the areas add up to the layer's 9 ha
    assert got["area_ha"].sum() == pytest.approx(forest.geometry.area.sum() / 1e4)


def test_pieces_and_crs_check(tmp_path, two_zones):
    forest = read_bdforet(bdforet_layer(tmp_path / "bdforet.gpkg"))
    pieces = bdforet_pieces(two_zones, forest)
    assert list(pieces.columns) == ["piece_id", "zone_id", "code", "geometry"]
    assert pieces["piece_id"].tolist() == list(range(len(pieces)))
    # the mixed box is cut in two pieces: 5 pieces from 4 polygons
    assert sorted(zip(pieces["zone_id"], pieces["code"], strict=True)) == [
        ("A", "312"), ("A", "313"), ("B", "311"), ("B", "313"), ("B", "903")]
    with pytest.raises(CRSMismatchError):
        bdforet_pieces(two_zones.to_crs(4326), forest)


# ----------------------------------------------------------------------------- refinement
def test_refine_from_raster_poplars_replace_clc_forest_not_cropland(tmp_path, two_zones):
    raster = write_raster(tmp_path / "occupation.tif", RASTER)
    areas = area_table_from_raster(two_zones, raster).table
    forest = read_bdforet(bdforet_layer(tmp_path / "bdforet.gpkg"))
    pieces = bdforet_pieces(two_zones, forest)
    with rasterio.open(raster) as src:
        inside = inside_from_raster(src, pieces)
    # inside the pieces: A: douglas on 2 ha of 211, mixed half on 0.5 ha of 211;
    # B: poplar on 3.5 ha of 311 (3 pixels + half a pixel), broadleaf on 2 ha of 311,
    # mixed half on 0.5 ha of 231
    got_inside = {(r.zone_id, r.code, r.bdforet_code): r.area_ha for r in inside.itertuples()}
    assert got_inside == pytest.approx({("A", "211", "312"): 2.0, ("A", "211", "313"): 0.5,
                                        ("B", "231", "313"): 0.5, ("B", "311", "311"): 2.0,
                                        ("B", "311", "903"): 3.5})
    refined, notes = refine_forest_areas(areas, inside)
    cells = {(r.zone_id, r.code, r.area_source): r.area_ha for r in refined.itertuples()}
    # A unchanged (BD Forêt lies on cropland 211: CLC keeps it): 211 4 ha, 112 4 ha.
    # B: 311 = 6 − 3.5 (poplar) = 2.5 ha (the broadleaf box on 311 stays 311), 903 = 3.5 ha,
    # 231 = 2 ha (the mixed half lies on grassland, unchanged)
    assert cells == pytest.approx({("A", "112", "landcover"): 4.0, ("A", "211", "landcover"): 4.0,
                                   ("B", "231", "landcover"): 2.0, ("B", "311", "landcover"): 2.5,
                                   ("B", "903", "bdforet"): 3.5})
    # closure: zone totals unchanged (8 ha each)
    assert refined.groupby("zone_id")["area_ha"].sum().to_dict() == pytest.approx(
        areas.groupby("zone_id")["area_ha"].sum().to_dict())
    assert list(refined.columns) == list(areas.columns)
    assert norm(notes[0]).startswith("BD Forêt : 3,5 ha de forêt reclassés")
    assert "3,5 ha en peupleraies" in norm(notes[0])


def test_refine_from_polygons_matches_raster(tmp_path, two_zones):
    """The vector path gives the same inside table as the raster one on the same classes."""
    forest = read_bdforet(bdforet_layer(tmp_path / "bdforet.gpkg"))
    pieces = bdforet_pieces(two_zones, forest)
    # the raster as 1 ha polygons
    cells = [(box(X0 + 100 * c, Y0 - 100 * (r + 1), X0 + 100 * (c + 1), Y0 - 100 * r),
              str(RASTER[r, c])) for r in range(4) for c in range(4)]
    landcover = gpd.GeoDataFrame({"code": [c for _, c in cells]},
                                 geometry=[g for g, _ in cells], crs="EPSG:2154")
    vec = inside_from_polygons(landcover, pieces)
    with rasterio.open(write_raster(tmp_path / "occupation.tif", RASTER)) as src:
        ras = inside_from_raster(src, pieces)
    pd.testing.assert_frame_equal(vec, ras, check_exact=False, atol=1e-9)


def test_refine_caps_at_table_area_and_shrinks_every_source():
    table = pd.DataFrame({
        "zone_id": ["Z", "Z", "Z", "Y"],
        "code": ["311", "311", "211", "312"],
        "area_ha": [1.0, 1.0, 5.0, 3.0],
        "area_source": ["landcover", "parcels", "landcover", "landcover"]})
    # Z: 4 ha of 311 inside poplar polygons measured, but the table has only 2 ha of 311
    # (1 landcover + 1 parcels): the move is capped at 2 ha, both rows go to 0.
    # Y: 1 ha of 312 inside a broadleaf polygon: 312 3 → 2 ha, 311 +1 ha.
    inside = pd.DataFrame({"zone_id": ["Z", "Y", "Y"], "code": ["311", "312", "231"],
                           "area_ha": [4.0, 1.0, 7.0], "bdforet_code": ["903", "311", "311"]})
    refined, notes = refine_forest_areas(table, inside)
    cells = {(r.zone_id, r.code, r.area_source): r.area_ha for r in refined.itertuples()}
    assert cells == pytest.approx({("Y", "311", "bdforet"): 1.0, ("Y", "312", "landcover"): 2.0,
                                   ("Z", "211", "landcover"): 5.0, ("Z", "903", "bdforet"): 2.0})
    text = norm(" ".join(notes))
    assert "3,0 ha de forêt reclassés" in text and "2,0 ha en peupleraies" in text
    assert "1,0 ha en feuillus" in text and "limité à la surface de la table" in text


def test_refine_without_forest_inside_changes_nothing(two_zones):
    table = pd.DataFrame({"zone_id": ["A"], "code": ["211"], "area_ha": [8.0],
                          "area_source": ["landcover"]})
    inside = pd.DataFrame({"zone_id": ["A"], "code": ["211"], "area_ha": [2.0],
                           "bdforet_code": ["312"]})
    refined, notes = refine_forest_areas(table, inside)
    pd.testing.assert_frame_equal(refined, table)
    assert "inchangées" in notes[0]


# ----------------------------------------------------------------------------- hedges
@pytest.fixture
def three_zones(two_zones):
    c = gpd.GeoDataFrame({"zone_id": ["C"]}, geometry=[box(X0 + 1000, Y_BOTTOM, X0 + 1200, Y0)],
                         crs="EPSG:2154")
    return pd.concat([two_zones[["zone_id", "geometry"]], c], ignore_index=True)


def test_hedge_lines_cut_by_zones(tmp_path, three_zones):
    y = Y_BOTTOM + 350
    path = hedge_layer(tmp_path / "bd_haie.gpkg", [
        # 300 m line from x 700080 to 700380: 120 m in A (to x 700200), 180 m in B
        LineString([(X0 + 80, y), (X0 + 380, y)]),
        # 100 m from x 700380 to 700480: 20 m in B, 80 m outside every zone
        MultiLineString([[(X0 + 380, Y_BOTTOM + 100), (X0 + 480, Y_BOTTOM + 100)]]),
    ])
    got = read_hedge_lines(path, three_zones)
    # A 0.120 km; B 0.180 + 0.020 = 0.200 km; C none: 0 km
    assert got["zone_id"].tolist() == ["A", "B", "C"]
    assert got["length_km"].tolist() == pytest.approx([0.12, 0.20, 0.0])
    assert "0,32 km de haies" in norm(" ".join(got.attrs["notes"]))


def test_hedge_lines_reprojected(tmp_path, three_zones):
    path = hedge_layer(tmp_path / "bd_haie_wgs84.geojson",
                       [LineString([(X0 + 80, Y_BOTTOM + 350), (X0 + 380, Y_BOTTOM + 350)])],
                       crs="EPSG:4326")
    got = read_hedge_lines(path, three_zones)
    # the same 120 m / 180 m once back in Lambert-93 (vertices transformed exactly)
    assert got["length_km"].tolist() == pytest.approx([0.12, 0.18, 0.0], abs=1e-9)
    assert any("EPSG:4326" in n for n in got.attrs["notes"])


def test_hedge_polygon_layer_refused(tmp_path, three_zones):
    path = hedge_layer(tmp_path / "haies_surfaces.gpkg", [box(X0 + 10, Y_BOTTOM + 10,
                                                              X0 + 20, Y_BOTTOM + 200)])
    with pytest.raises(InputFileError, match="BD Haie : donnez la couche linéaire") as exc:
        read_hedge_lines(path, three_zones)
    assert "haies_surfaces.gpkg" in str(exc.value) and "Polygon" in str(exc.value)


def _parallel_lines(n: int) -> list[LineString]:
    """``n`` lines of 200 m across zone A (x 700000–700200), 10 m apart."""
    return [LineString([(X0, Y_BOTTOM + 5 + 10 * i), (X0 + 200, Y_BOTTOM + 5 + 10 * i)])
            for i in range(n)]


def test_hedge_density_refused_and_warned(tmp_path, three_zones):
    # 20 × 200 m = 4 km in 8 ha = 500 m/ha > 200 m/ha: refused
    dense = hedge_layer(tmp_path / "dense.gpkg", _parallel_lines(20))
    with pytest.raises(InputFileError, match="au-delà de 200 m de haie par hectare") as exc:
        read_hedge_lines(dense, three_zones)
    assert "zone A" in norm(str(exc.value)) and "500 m/ha" in norm(str(exc.value))
    # 6 × 200 m = 1.2 km in 8 ha = 150 m/ha: between 100 and 200 m/ha, a warning
    high = hedge_layer(tmp_path / "bocage.gpkg", _parallel_lines(6))
    with pytest.warns(TableWarning, match="150 m de haie par hectare dans la zone A"):
        got = read_hedge_lines(high, three_zones)
    assert got["length_km"].tolist() == pytest.approx([1.2, 0.0, 0.0])


def test_read_hedges_any_csv_or_layer(tmp_path, three_zones):
    csv = tmp_path / "haies.csv"
    csv.write_text("zone_id,length_km\nA,0.5\nB,0\nC,0\n", encoding="utf-8")
    assert read_hedges_any(csv, three_zones)["length_km"].tolist() == [0.5, 0.0, 0.0]
    layer = hedge_layer(tmp_path / "bd_haie.gpkg",
                        [LineString([(X0 + 80, Y_BOTTOM + 350), (X0 + 380, Y_BOTTOM + 350)])])
    assert read_hedges_any(f"{layer}:bd_haie", three_zones)["length_km"].tolist() == \
        pytest.approx([0.12, 0.18, 0.0])
    with pytest.raises(InputFileError, match="format non reconnu"):
        read_hedges_any(tmp_path / "haies.xlsx", three_zones)
    with pytest.raises(EmptyTerritoryError):
        read_hedge_lines(layer, three_zones.iloc[0:0])
    with pytest.raises(CRSMismatchError):
        read_hedge_lines(layer, three_zones.to_crs(4326))


def test_crosswalk_shipped_file_has_provenance():
    t = data.read_csv(data.data_path("factors", "crosswalk_bdforet_tfv.csv"), dtype=str)
    assert {"source", "source_year", "confidence", "note"} <= set(t.columns)
    assert t["source_year"].str.fullmatch(r"\d{4}").all()
