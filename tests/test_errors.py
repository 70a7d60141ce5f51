"""Bad inputs: each gets an espass_geo exception naming the file/value and the remedy."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from conftest import TINY, X0, Y0, write_raster
from shapely.geometry import box

from espass_geo.core.areas import area_table_from_raster
from espass_geo.core.stocks import compute_stocks
from espass_geo.errors import (
    AreaTableError,
    CRSMismatchError,
    EspassGeoError,
    InputFileError,
    MissingCRSError,
    NoOverlapError,
    PartialCoverageWarning,
    UnknownLandCoverClassError,
)
from espass_geo.io.area_tables import area_table_from_csv
from espass_geo.io.parcels import read_parcels


def test_hierarchy():
    for exc in (AreaTableError, CRSMismatchError, InputFileError, MissingCRSError,
                NoOverlapError, UnknownLandCoverClassError):
        assert issubclass(exc, EspassGeoError)


def test_raster_without_crs(tmp_path, two_zones):
    path = write_raster(tmp_path / "sans_crs.tif", TINY, crs=None)
    with pytest.raises(MissingCRSError, match=r"sans_crs\.tif.*gdal_edit"):
        area_table_from_raster(two_zones, path)


def test_raster_in_other_crs_warped(tmp_path, two_zones):
    # no longer refused (issue #11): warped on the fly to Lambert-93, said in the notes
    from pyproj import Transformer

    x0, y0 = Transformer.from_crs(2154, 27572, always_xy=True).transform(700000.0, 6600400.0)
    path = write_raster(tmp_path / "lambert2.tif", TINY, crs="EPSG:27572", x0=x0, y0=y0)
    with pytest.warns(PartialCoverageWarning):  # the grids are not parallel: edges fall out
        at = area_table_from_raster(two_zones, path)
    assert any("lambert2.tif" in n and "reprojeté de EPSG:27572 vers Lambert-93 (EPSG:2154) "
               "au plus proche voisin, pixel de 100 m" in n for n in at.notes)


def test_float_raster_refused(tmp_path, two_zones):
    path = write_raster(tmp_path / "float.tif", TINY.astype("float32"))
    with pytest.raises(InputFileError, match=r"float\.tif.*float32.*entiers.*gdal_translate -ot"):
        area_table_from_raster(two_zones, path)


def test_no_overlap(tiny_raster):
    far = gpd.GeoDataFrame({"zone_id": ["loin"]},
                           geometry=[box(X0 + 10_000, Y0, X0 + 11_000, Y0 + 1_000)], crs=2154)
    with pytest.raises(NoOverlapError, match="ne se recouvrent pas"):
        area_table_from_raster(far, tiny_raster)


def test_unreadable_raster(tmp_path, two_zones):
    bad = tmp_path / "pas_un_raster.tif"
    bad.write_text("hello")
    with pytest.raises(InputFileError, match=r"pas_un_raster\.tif.*ne peut pas être ouvert"):
        area_table_from_raster(two_zones, bad)
    with pytest.raises(InputFileError, match=r"absent\.tif.*introuvable"):
        area_table_from_raster(two_zones, tmp_path / "absent.tif")


def test_unknown_landcover_codes_listed(tmp_path, two_zones):
    arr = TINY.copy()
    arr[0, 0], arr[3, 2] = 999, 7
    path = write_raster(tmp_path / "codes.tif", arr)
    with pytest.warns(PartialCoverageWarning, match=r"\(B\) : 25,0"):  # 2 no-data ha of 8
        at = area_table_from_raster(two_zones, path)
    with pytest.raises(UnknownLandCoverClassError, match=r"sol 7, 999 inconnu.*clc_to_land_use") as e:
        compute_stocks(at.table, two_zones)
    assert e.value.codes == ["7", "999"]


def test_areas_csv_errors(tmp_path):
    missing = tmp_path / "manque.csv"
    missing.write_text("zone_id,code\n59001,211\n")
    with pytest.raises(AreaTableError, match=r"manque\.csv.*area_ha"):
        area_table_from_csv(missing)
    neg = tmp_path / "negatif.csv"
    neg.write_text("zone_id,code,area_ha\n59001,211,-3\n")
    with pytest.raises(AreaTableError, match=r"negatif\.csv.*négative"):
        area_table_from_csv(neg)
    text = tmp_path / "texte.csv"
    text.write_text("zone_id,code,area_ha\n59001,211,beaucoup\n")
    with pytest.raises(AreaTableError, match="pas un nombre"):
        area_table_from_csv(text)
    nozone = tmp_path / "nozone.csv"
    nozone.write_text("foo,code,area_ha\n1,211,3\n")
    with pytest.raises(AreaTableError, match="pas de colonne de zone"):
        area_table_from_csv(nozone)
    empty = tmp_path / "vide.csv"
    empty.write_text("")
    with pytest.raises(AreaTableError, match="vide"):
        area_table_from_csv(empty)


def test_parcels_with_unknown_crop(tmp_path):
    p = gpd.GeoDataFrame({"CODE_CULTU": ["ZZZ"], "CODE_GROUP": ["77"]},
                         geometry=[box(X0, Y0 - 100, X0 + 100, Y0)], crs=2154)
    path = tmp_path / "rpg.gpkg"
    p.to_file(path)
    with pytest.raises(UnknownLandCoverClassError, match=r"77.*rpg_to_clc"):
        read_parcels(path)
    nocode = tmp_path / "sans_code.gpkg"
    p.drop(columns=["CODE_CULTU", "CODE_GROUP"]).assign(x=1).to_file(nocode)
    with pytest.raises(InputFileError, match="CODE_GROUP"):
        read_parcels(nocode)


def test_zones_not_in_lambert93(tiny_raster, two_zones):
    with pytest.raises(CRSMismatchError, match="to_crs"):
        area_table_from_raster(two_zones.to_crs(4326), tiny_raster)
    dup = pd.concat([two_zones, two_zones])
    with pytest.raises(AreaTableError, match="unique"):
        area_table_from_raster(gpd.GeoDataFrame(dup, crs=2154), tiny_raster)


def test_two_identical_dates_on_a_small_polygon_give_zero_flows(tmp_path):
    """No change and no forest in the zone: zero flows, exit 0 (was ``ValueError: No objects
    to concatenate``, a traceback, from ``compute_flows``)."""
    import numpy as np
    from click.testing import CliRunner

    from espass_geo.cli import main
    from espass_geo.core.flows import FLOW_COLUMNS, compute_flows

    unchanged = pd.DataFrame({"zone_id": ["P"], "from_code": ["211"], "to_code": ["211"],
                              "area_ha": [4.0]})
    attrs = pd.DataFrame({"zone_id": ["P"], "zpc": ["2_1"], "region_code": ["32"]})
    flows = compute_flows(unchanged, attrs, years=6)
    assert flows.empty and list(flows.columns) == FLOW_COLUMNS

    crop = np.full((4, 4), 211, dtype="uint16")
    before = write_raster(tmp_path / "avant.tif", crop)
    after = write_raster(tmp_path / "après.tif", crop)
    gpd.GeoDataFrame({"zone_id": ["P"]}, geometry=[box(X0 + 50, Y0 - 350, X0 + 250, Y0 - 50)],
                     crs=2154).to_file(tmp_path / "petit.gpkg")
    out = tmp_path / "flux"
    r = CliRunner().invoke(main, ["flows", "-t", str(tmp_path / "petit.gpkg"),
                                  "--landcover-before", str(before), "--landcover-after",
                                  str(after), "--zpc", "2_1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "flux net 0,00" in r.output
    zones = pd.read_csv(out / "flows_zones.csv", dtype={"zone_id": str})
    assert zones["zone_id"].tolist() == ["P"] and zones["flux_tCO2e_an"].tolist() == [0.0]
    assert zones["area_ha"].round(6).tolist() == [6.0]
