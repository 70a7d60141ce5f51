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
from espass_geo.territory import resolve_territory


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
