"""Territory resolution: EPCI, INSEE codes, files in any CRS, ZPC, warnings and errors."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from espass_geo.errors import (
    EmptyTerritoryError,
    FactorError,
    InputFileError,
    InvalidGeometryWarning,
    MissingCRSError,
    SmallTerritoryWarning,
    TerritoryNotFoundError,
)
from espass_geo.territory.resolve import resolve_territory


def test_epci_flandre_dunkerque():
    t = resolve_territory("epci:245900428,200040954")
    # 17 communes (CU de Dunkerque) + 40 (CC des Hauts de Flandre), COG 2018
    assert len(t.zones) == 57
    assert t.zones.crs.to_epsg() == 2154
    assert t.zones["zone_id"].map(type).eq(str).all()
    # geometric area = ALDO CLC 2018 totals of the two EPCI (29 627.2 + 45 069.3 ha) within 0.1 %
    assert t.area_ha == pytest.approx(29_627.2 + 45_069.3, rel=1e-3)
    # Dunkerque 59183 lies in ZPC 1_1 (ALDO zpc.csv)
    assert t.zones.set_index("zone_id").loc["59183", "zpc"] == "1_1"


def test_epci_by_2026_siren_maps_to_2018_communes():
    # MEL 2026 SIREN 200093201 = MEL 2018 (245900410) + CC de la Haute-Deûle (245901061)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t26 = resolve_territory("epci:200093201")
    t18 = resolve_territory("epci:245900410,245901061")
    assert set(t26.zones["zone_id"]) == set(t18.zones["zone_id"])


def test_insee_codes_and_small_territory_warning():
    with pytest.warns(SmallTerritoryWarning, match="10 communes"):
        t = resolve_territory("59183,59350")
    assert t.zones["zone_name"].tolist() == ["Dunkerque", "Lille"]
    assert any("prudence" in n for n in t.notes)


def test_2026_merged_commune_code_expands():
    # 59006 absorbed 59070 after 2018: read as COG 2026, the code maps to both 2018 communes
    with pytest.warns(SmallTerritoryWarning):
        t = resolve_territory("59006", cog=2026)
    assert set(t.zones["zone_id"]) == {"59006", "59070"}
    with pytest.warns(SmallTerritoryWarning):
        t = resolve_territory("59006")  # COG 2018 by default
    assert t.zones["zone_id"].tolist() == ["59006"]
    with pytest.raises(TerritoryNotFoundError, match="COG 2026"):
        resolve_territory("59070", cog=2026)
    with pytest.warns(SmallTerritoryWarning):  # the vintage written in the specification
        t = resolve_territory("cog2026:59006")
    assert set(t.zones["zone_id"]) == {"59006", "59070"}


def test_zpc_override():
    with pytest.warns(SmallTerritoryWarning):
        t = resolve_territory("59183", zpc="2_1")
    assert t.zones["zpc"].tolist() == ["2_1"]
    with pytest.raises(FactorError, match="9_9"), pytest.warns(SmallTerritoryWarning):
        resolve_territory("59183", zpc="9_9")


def test_zpc_override_of_a_territory_is_a_copy():
    t = resolve_territory("epci:245900428")
    assert resolve_territory(t) is t  # already resolved, nothing to apply
    forced = resolve_territory(t, zpc="2_1")
    assert forced is not t and forced.zpc_override == "2_1"
    assert set(forced.zones["zpc"]) == {"2_1"}
    assert set(t.zones["zpc"]) == {"1_1", "3_1", "4_1"} and t.zpc_override is None
    assert not any("imposée" in n for n in t.notes)
    # a second override replaces the first (one note, the last ZPC)
    again = resolve_territory(forced, zpc="1_1")
    assert [n for n in again.notes if "imposée" in n] == [
        "Zone pédoclimatique imposée par l'utilisateur : 1_1."]
    assert str(t) == "epci:245900428"  # the specification, shown in the run's parameters


def test_epci_territory_keeps_the_zpc_override():
    from espass_geo.territory.resolve import epci_territory

    plain = epci_territory("epci:245900428,200040954")
    forced = epci_territory("epci:245900428,200040954", zpc="2_1")
    assert sorted(plain.zones["zone_id"]) == ["200040954", "245900428"]
    assert set(plain.zones["zpc"]) != {"2_1"}  # the majority ZPC of each EPCI otherwise
    assert set(forced.zones["zpc"]) == {"2_1"} and forced.zpc_override == "2_1"


def test_file_in_wgs84_is_reprojected_with_majority_zpc(tmp_path):
    communes = resolve_territory("epci:245900428").zones
    dk = communes[communes["zone_id"] == "59183"]
    path = tmp_path / "zone.geojson"
    dk[["zone_id", "zone_name", "geometry"]].to_crs(4326).to_file(path, engine="pyogrio")
    t = resolve_territory(path)
    assert t.zones.crs.to_epsg() == 2154
    assert t.zones["zpc"].tolist() == ["1_1"]
    assert t.zones.geometry.area.sum() == pytest.approx(dk.geometry.area.sum(), rel=1e-4)


def test_invalid_geometry_repaired_with_warning(tmp_path):
    bowtie = Polygon([(650000, 7090000), (651000, 7091000), (651000, 7090000),
                      (650000, 7091000)])
    path = tmp_path / "noeud.gpkg"
    gpd.GeoDataFrame({"zone_id": ["x"]}, geometry=[bowtie], crs=2154).to_file(path)
    with pytest.warns(InvalidGeometryWarning, match="réparée"):
        t = resolve_territory(path, zpc="1_1")
    assert t.zones.geometry.is_valid.all()
    assert t.zones.geometry.area.sum() == pytest.approx(500_000.0)  # two triangles of 0.25 km²


def test_errors_name_the_value_and_remedy(tmp_path):
    with pytest.raises(TerritoryNotFoundError, match=r"59999.*Codes proches"):
        resolve_territory("59999")
    with pytest.raises(TerritoryNotFoundError, match="zéro initial"):
        resolve_territory("5918")
    with pytest.raises(TerritoryNotFoundError, match=r"245900429.*Codes proches : 245900428"):
        resolve_territory("epci:245900429")
    with pytest.raises(EmptyTerritoryError):
        resolve_territory("epci:")
    with pytest.raises(EmptyTerritoryError):
        resolve_territory("  ")
    with pytest.raises(InputFileError, match="introuvable"):
        resolve_territory(tmp_path / "absent.gpkg")
    bad = tmp_path / "garbage.geojson"
    bad.write_text("not json at all")
    with pytest.raises(InputFileError, match="illisible"):
        resolve_territory(bad)
    # a shapefile without .prj has no CRS (a GeoJSON without crs member is read as WGS84)
    shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"zone_id": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=2154).to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(MissingCRSError, match=r"sans système de coordonnées.*nocrs\.prj"):
        resolve_territory(shp)
    empty = tmp_path / "vide.gpkg"
    gpd.GeoDataFrame({"zone_id": []}, geometry=[], crs=2154).to_file(empty)
    with pytest.raises(EmptyTerritoryError):
        resolve_territory(empty)
    far = tmp_path / "loin.gpkg"
    gpd.GeoDataFrame({"zone_id": ["x"]}, geometry=[box(900000, 6300000, 901000, 6301000)],
                     crs=2154).to_file(far)
    with pytest.raises(FactorError, match="--zpc"):
        resolve_territory(far)


# ------------------------------------------------------------- bad territory files and codes
# a 1 km × 1 km square inside Nord (Lambert-93), 100 ha
SQ = box(650000, 7050000, 651000, 7051000)


def _write(gdf, path, **kw):
    gdf.to_file(path, engine="pyogrio", **kw)
    return path


def test_geometry_collection_keeps_its_polygons(tmp_path):
    from shapely.geometry import GeometryCollection, LineString, Point

    gc = GeometryCollection([SQ, Point(0, 0), LineString([(0, 0), (1, 1)])])
    path = _write(gpd.GeoDataFrame({"zone_id": ["Z"]}, geometry=[gc], crs=2154),
                  tmp_path / "gc.gpkg")
    t = resolve_territory(path)
    assert t.zones.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    assert t.area_ha == pytest.approx(100.0)  # 1 000 m × 1 000 m
    only_points = GeometryCollection([Point(650000, 7050000), Point(650001, 7050001)])
    path = _write(gpd.GeoDataFrame({"zone_id": ["Z"]}, geometry=[only_points], crs=2154),
                  tmp_path / "gc_points.gpkg")
    with pytest.raises(EmptyTerritoryError, match=r"1 entité\(s\) sur 1 ne sont pas des polyg"):
        resolve_territory(path)


@pytest.mark.parametrize("geom,kind", [
    (SQ.centroid, "Point"), (SQ.exterior, "LineString")])
def test_points_and_lines_refused(tmp_path, geom, kind):
    path = _write(gpd.GeoDataFrame({"zone_id": ["Z", "Y"]}, geometry=[SQ, geom], crs=2154),
                  tmp_path / "mixte.gpkg")
    with pytest.raises(EmptyTerritoryError, match=rf"1 entité\(s\) sur 2 .*\({kind}\)"):
        resolve_territory(path)


def test_empty_geometries_warned_and_all_empty_refused(tmp_path):
    path = tmp_path / "vides.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ['
                    '{"type": "Feature", "properties": {"zone_id": "A"}, "geometry": null},'
                    '{"type": "Feature", "properties": {"zone_id": "B"}, "geometry": '
                    '{"type": "Polygon", "coordinates": [[[2.40, 50.95], [2.41, 50.95], '
                    '[2.41, 50.96], [2.40, 50.95]]]}}]}', encoding="utf-8")
    with pytest.warns(InvalidGeometryWarning, match="1 entité\\(s\\) sans géométrie"):
        t = resolve_territory(path)
    assert t.zones["zone_id"].tolist() == ["B"]
    path.write_text('{"type": "FeatureCollection", "features": ['
                    '{"type": "Feature", "properties": {"zone_id": "A"}, "geometry": null}]}',
                    encoding="utf-8")
    with pytest.raises(EmptyTerritoryError, match="aucune de ses 1 entités"):
        resolve_territory(path)


def test_duplicate_and_missing_ids(tmp_path):
    path = _write(gpd.GeoDataFrame({"zone_id": ["Z", "Z"]}, geometry=[SQ, SQ.buffer(-10)],
                                   crs=2154), tmp_path / "doublons.gpkg")
    with pytest.raises(InputFileError, match=r"en double.*« zone_id ».*\(Z\)"):
        resolve_territory(path)
    path = _write(gpd.GeoDataFrame({"zone_id": ["Z", None]}, geometry=[SQ, SQ.buffer(-10)],
                                   crs=2154), tmp_path / "sans_id.gpkg")
    with pytest.raises(InputFileError, match=r"n° 2 sans identifiant"):
        resolve_territory(path)


def test_float_ids_become_codes(tmp_path):
    path = _write(gpd.GeoDataFrame({"code": [59183.0]}, geometry=[SQ], crs=2154),
                  tmp_path / "flottants.gpkg")
    assert resolve_territory(path).zones["zone_id"].tolist() == ["59183"]


def test_layers(tmp_path):
    path = tmp_path / "couches.gpkg"
    _write(gpd.GeoDataFrame({"zone_id": ["A"]}, geometry=[SQ], crs=2154), path, layer="zones")
    _write(gpd.GeoDataFrame({"zone_id": ["B"]}, geometry=[SQ], crs=2154), path, layer="autre")
    with pytest.raises(InputFileError, match=r"2 couches \(zones, autre\).*couches\.gpkg:zones"):
        resolve_territory(path)
    assert resolve_territory(f"{path}:autre").zones["zone_id"].tolist() == ["B"]
    with pytest.raises(InputFileError, match=r"couche « communes » absente.*zones, autre"):
        resolve_territory(f"{path}:communes")


def test_incomplete_shapefiles_and_zips(tmp_path):
    import zipfile

    shp = _write(gpd.GeoDataFrame({"zone_id": ["A"]}, geometry=[SQ], crs=2154),
                 tmp_path / "zones.shp")
    assert resolve_territory(shp).area_ha == pytest.approx(100.0)
    archive = tmp_path / "zones.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            z.write(shp.with_suffix(ext), "zones" + ext)
    assert resolve_territory(archive).area_ha == pytest.approx(100.0)
    broken = tmp_path / "sans_shp.zip"
    with zipfile.ZipFile(broken, "w") as z:
        for ext in (".shx", ".dbf", ".prj"):
            z.write(shp.with_suffix(ext), "zones" + ext)
    with pytest.raises((InputFileError, EmptyTerritoryError), match=r"sans_shp\.zip.*\.shp"):
        resolve_territory(broken)
    with pytest.raises(InputFileError, match=r"absente\.zip.*introuvable"):
        resolve_territory(tmp_path / "absente.zip")
    shp.with_suffix(".shx").unlink()
    with pytest.raises(InputFileError, match=r"il manque zones\.shx"):
        resolve_territory(shp)


def test_projected_coordinates_without_crs(tmp_path):
    path = tmp_path / "l93_sans_crs.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"zone_id": "A"}, "geometry": {"type": "Polygon", '
                    '"coordinates": [[[650000, 7050000], [651000, 7050000], [651000, 7051000],'
                    ' [650000, 7050000]]]}}]}', encoding="utf-8")
    with pytest.raises(MissingCRSError, match=r"650000.*EPSG:2154"):
        resolve_territory(path)


@pytest.mark.parametrize("spec,part", [
    ("59183;59350", "points-virgules ; séparez-les par des virgules"),
    ("59183 59350", "espaces"),
    ("epci:245900428;200040954", "points-virgules"),
    ("5918", "« 5918 » n'est pas un code INSEE"),
    ("59183,abc", "« abc » n'est pas un code INSEE"),
    ("epci:999999999", "SIREN d'EPCI « 999999999 » introuvable"),
    ("epci:24590042", "9 chiffres"),
    ("dep:971", "971"),
    ("cog2030:59183", "COG 2030"),
])
def test_bad_codes_named_with_remedy(spec, part):
    from espass_geo.errors import EspassGeoError
    from espass_geo.territory.resolve import check_territory_spec

    with pytest.raises(EspassGeoError) as e:
        resolve_territory(spec)
    assert part in str(e.value)
    assert part in check_territory_spec(spec)  # the config loaders' check says the same


def test_check_territory_spec_accepts_good_specs():
    from espass_geo.territory.resolve import check_territory_spec

    for spec in ("59183,59350", "59183, 59350", "epci:245900428,200040954", "dep:59",
                 "cog2026:59006", "zones.gpkg"):
        assert check_territory_spec(spec) is None, spec
