"""GDAL virtual file-system paths given directly as land cover (issue #14): ``/vsizip/``,
``/vsimem/``, ``/vsicurl/``, ``/vsis3/`` are handed to GDAL (no local-file check), survive
``pathlib.Path`` (which merges their double slashes), and a failure to open one is a French
error naming the path and what to check. No network: archives built in tmp_path, in-memory
files, and an S3 endpoint on a closed local port.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from conftest import RES, TINY, X0, Y0, write_raster
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from shapely.geometry import box

import espass_geo as eg
from espass_geo.cli import main
from espass_geo.core.areas import area_table_from_raster
from espass_geo.errors import InputFileError, PartialCoverageWarning
from espass_geo.io.bilan_config import config_as_toml, load_bilan_config
from espass_geo.io.rasters import gdal_path, is_vsi_path, open_landcover


def _zip(tmp_path, *tifs) -> Path:
    z = tmp_path / "occupation.zip"
    with zipfile.ZipFile(z, "w") as f:
        for t in tifs:
            f.write(t, Path(t).name)
    return z


def _vsizip(z: Path, name: str) -> str:
    return f"/vsizip/{z}/{name}"  # z is absolute: /vsizip//tmp/…/occupation.zip/name


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)  # zone B: 2 ha of no-data
        return fn(*args, **kwargs)


# ------------------------------------------------------------------ gdal_path
def test_gdal_path_undoes_what_pathlib_does(tmp_path):
    z = _zip(tmp_path, write_raster(tmp_path / "lc.tif", TINY))
    direct = _vsizip(z, "lc.tif")
    assert direct.startswith("/vsizip//")
    # pathlib merges "//": /vsizip//tmp/x.zip -> /vsizip/tmp/x.zip, which GDAL reads as relative
    assert str(Path(direct)) != direct
    assert gdal_path(Path(direct)) == direct
    assert gdal_path(direct) == direct
    assert gdal_path(Path("/vsicurl/https://example.org/clc.tif")) == \
        "/vsicurl/https://example.org/clc.tif"
    assert gdal_path(Path("/vsizip//vsicurl/https://example.org/a.zip/clc.tif")) == \
        "/vsizip//vsicurl/https://example.org/a.zip/clc.tif"
    # a missing archive under a root folder (/tmp) is still taken as absolute
    missing = _vsizip(tmp_path / "absent.zip", "lc.tif")
    assert gdal_path(Path(missing)) == missing
    for unchanged in ("/vsis3/seau/clc.tif", "/vsimem/a/lc.tif", f"/vsizip/{{{z}}}/lc.tif",
                      "relatif/lc.tif", str(tmp_path / "lc.tif")):
        assert gdal_path(unchanged) == unchanged
    assert is_vsi_path(Path("/vsis3/seau/clc.tif")) and not is_vsi_path(tmp_path / "lc.tif")


# ------------------------------------------------------------------ area tables
@pytest.mark.parametrize("engine", ["hybrid", "exact", "center"])
def test_vsizip_and_vsimem_give_the_local_areas(tmp_path, two_zones, engine):
    tif = write_raster(tmp_path / "lc.tif", TINY)
    z = _zip(tmp_path, tif)
    local = _quiet(area_table_from_raster, two_zones, tif, engine=engine).table
    # zone A (left half, 8 ha of 1 ha pixels): 211 × 4, 112 × 4 — by hand from conftest's TINY
    a = local[local["zone_id"] == "A"].set_index("code")["area_ha"]
    assert a.to_dict() == pytest.approx({"112": 4.0, "211": 4.0})
    for path in (_vsizip(z, "lc.tif"), Path(_vsizip(z, "lc.tif"))):
        got = _quiet(area_table_from_raster, two_zones, path, engine=engine).table
        pd.testing.assert_frame_equal(got, local)
    with MemoryFile(filename="lc.tif") as mem:
        with mem.open(driver="GTiff", width=4, height=4, count=1, dtype="uint16",
                      crs="EPSG:2154", transform=from_origin(X0, Y0, RES, RES),
                      nodata=0) as dst:
            dst.write(TINY, 1)
        assert mem.name.startswith("/vsimem/")
        got = _quiet(area_table_from_raster, two_zones, mem.name, engine=engine).table
    pd.testing.assert_frame_equal(got, local)


def test_vsizip_with_parcels_hybrid(tmp_path, two_zones):
    tif = write_raster(tmp_path / "lc.tif", TINY)
    z = _zip(tmp_path, tif)
    # one parcel over the two top-left pixels (211), declared grassland (231): 2 ha
    parcels = gpd.GeoDataFrame({"parcel_id": ["p"], "code": [231]},
                               geometry=[box(X0, Y0 - 100, X0 + 200, Y0)], crs="EPSG:2154")
    at = _quiet(area_table_from_raster, two_zones, _vsizip(z, "lc.tif"), parcels=parcels)
    a = at.table[at.table["zone_id"] == "A"].groupby("code")["area_ha"].sum()
    # zone A: 211 4 ha − 2 ha under the parcel = 2 ha; 231 2 ha (declared); 112 4 ha
    assert a.to_dict() == pytest.approx({"112": 4.0, "211": 2.0, "231": 2.0})


# ------------------------------------------------------------------ errors
def test_missing_file_in_archive_names_the_path_and_the_remedy(tmp_path):
    z = _zip(tmp_path, write_raster(tmp_path / "lc.tif", TINY))
    bad = _vsizip(z, "autre.tif")
    with pytest.raises(InputFileError) as e:
        open_landcover(Path(bad))
    msg = str(e.value)
    assert f"« {bad} »" in msg and "unzip -l" in msg and f"gdalinfo {bad}" in msg


def test_missing_vsimem_file_is_a_french_error():
    with pytest.raises(InputFileError, match=r"« /vsimem/absent/lc\.tif ».*en mémoire"):
        open_landcover("/vsimem/absent/lc.tif")


def test_s3_failure_names_the_credentials():
    # an S3 endpoint on a closed local port: GDAL fails at once, no network involved
    env = dict(AWS_S3_ENDPOINT="127.0.0.1:9", AWS_HTTPS="NO", AWS_VIRTUAL_HOSTING="FALSE",
               AWS_NO_SIGN_REQUEST="YES", GDAL_HTTP_MAX_RETRY="0", GDAL_HTTP_TIMEOUT="2",
               CPL_VSIL_CURL_USE_HEAD="NO", GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR")
    with rasterio.Env(**env), pytest.raises(InputFileError) as e:
        open_landcover("/vsis3/seau-absent/clc.tif")
    msg = str(e.value)
    for part in ("« /vsis3/seau-absent/clc.tif »", "AWS_ACCESS_KEY_ID", "AWS_NO_SIGN_REQUEST=YES",
                 "gdalinfo /vsis3/seau-absent/clc.tif"):
        assert part in msg, msg


# ------------------------------------------------------------------ stocks, flows, bilan
def test_cli_stocks_with_a_vsizip_landcover(tmp_path, tiny_raster, zones_file):
    z = _zip(tmp_path, tiny_raster)
    out = tmp_path / "sortie"
    r = CliRunner().invoke(main, ["stocks", "--territory", str(zones_file), "--landcover",
                                  _vsizip(z, Path(tiny_raster).name), "--zpc", "2_1",
                                  "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    st = pd.read_csv(out / "stocks.csv", dtype={"zone_id": str})
    # 356.8 tC (zone A) + 839.6 tC (zone B), worked out in test_stocks.py
    assert st["stock_tC"].sum() == pytest.approx(356.8 + 839.6)
    assert (out / "stock_density.tif").stat().st_size > 0
    # a wrong path inside the archive: exit 2, French error naming it, nothing written
    out2 = tmp_path / "sortie2"
    bad = _vsizip(z, "absent.tif")
    r = CliRunner().invoke(main, ["stocks", "--territory", str(zones_file), "--landcover", bad,
                                  "--zpc", "2_1", "--out", str(out2)], catch_exceptions=False)
    assert r.exit_code == 2 and bad in r.output and "Erreur" in r.output, r.output
    assert not out2.exists()


def test_flows_with_vsizip_landcovers(tmp_path, two_zones):
    after = TINY.copy()
    after[0, 0:2] = 112  # 2 pixels of cropland (211) sealed, 1 ha each
    t0 = write_raster(tmp_path / "lc2012.tif", TINY)
    t1 = write_raster(tmp_path / "lc2018.tif", after)
    z = _zip(tmp_path, t0, t1)
    zones = two_zones[["zone_id", "zone_name", "geometry"]]
    local = _quiet(eg.flows, zones, landcover_before=t0, landcover_after=t1,
                   years=(2012, 2018), zpc="2_1")
    vsi = _quiet(eg.flows, zones, landcover_before=_vsizip(z, "lc2012.tif"),
                 landcover_after=Path(_vsizip(z, "lc2018.tif")), years=(2012, 2018), zpc="2_1")
    pd.testing.assert_frame_equal(vsi.changes.table, local.changes.table)
    assert vsi.hotspots["sealed_ha"].sum() == pytest.approx(2.0)  # 2 pixels × 1 ha


def test_bilan_config_accepts_vsi_landcover(tmp_path, zones_file):
    z = _zip(tmp_path, write_raster(tmp_path / "lc2012.tif", TINY),
             write_raster(tmp_path / "lc2018.tif", TINY))
    cfg_path = tmp_path / "bilan.toml"
    cfg_path.write_text(
        f'territory = "{zones_file.as_posix()}"\nzpc = "2_1"\n\n[landcover]\n'
        f'after = "{_vsizip(z, "lc2018.tif")}"\nbefore = "{_vsizip(z, "lc2012.tif")}"\n'
        'years = [2012, 2018]\n', encoding="utf-8")
    cfg = load_bilan_config(cfg_path)
    assert gdal_path(cfg.landcover) == _vsizip(z, "lc2018.tif")
    assert gdal_path(cfg.before) == _vsizip(z, "lc2012.tif")
    # written back as given (the run's configuration beside its results)
    text = config_as_toml(cfg)
    assert f'after = "{_vsizip(z, "lc2018.tif")}"' in text
    assert f'before = "{_vsizip(z, "lc2012.tif")}"' in text
    # a series of dates may be virtual paths too
    cfg_path.write_text(
        f'territory = "{zones_file.as_posix()}"\nzpc = "2_1"\n\n[landcover]\n'
        f'series = ["2012={_vsizip(z, "lc2012.tif")}", "2018={_vsizip(z, "lc2018.tif")}"]\n',
        encoding="utf-8")
    cfg = load_bilan_config(cfg_path)
    assert [(y, gdal_path(p)) for y, p in cfg.series] == [
        (2012, _vsizip(z, "lc2012.tif")), (2018, _vsizip(z, "lc2018.tif"))]


@pytest.mark.slow
def test_cli_bilan_with_vsizip_landcovers(tmp_path, zones_file):
    after = TINY.copy()
    after[0, 0:2] = 112
    z = _zip(tmp_path, write_raster(tmp_path / "lc2012.tif", TINY),
             write_raster(tmp_path / "lc2018.tif", after))
    cfg_path = tmp_path / "bilan.toml"
    cfg_path.write_text(
        f'territory = "{zones_file.as_posix()}"\nzpc = "2_1"\n\n[landcover]\n'
        f'after = "{_vsizip(z, "lc2018.tif")}"\nbefore = "{_vsizip(z, "lc2012.tif")}"\n'
        'years = [2012, 2018]\nmax_nodata_share = 0.9\n', encoding="utf-8")
    out = tmp_path / "bilan"
    r = CliRunner().invoke(main, ["bilan", "--config", str(cfg_path), "--out", str(out),
                                  "--quiet"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "bilan.csv", dtype={"zone_id": str})
    assert len(t) and np.isfinite(t["value"]).all()


def test_landcover_series_accepts_vsi_paths(tmp_path):
    """--landcover-series 2012=/vsizip/… : no local-file check on GDAL virtual paths (a local
    path that does not exist is still refused)."""
    from espass_geo.runs.flow_series import parse_series

    z = tmp_path / "lc.zip"
    parsed = parse_series([f"2012=/vsizip/{z}/a.tif", f"2018=/vsizip/{z}/b.tif"])
    assert [y for y, _ in parsed] == [2012, 2018]
    assert all(is_vsi_path(p) for _, p in parsed)
    with pytest.raises(InputFileError, match="n'existe pas"):
        parse_series([f"2012={tmp_path / 'absent.tif'}", f"2018=/vsizip/{z}/b.tif"])
