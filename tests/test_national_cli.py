"""--region and --boundaries reach the territory (issue #13): a polygon outside the known
communes takes the region given, never Hauts-de-France by default; bilan.toml keys too."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
from click.testing import CliRunner
from conftest import TINY, X0, Y0, write_raster
from shapely.geometry import box

from espass_geo import api
from espass_geo.cli import main
from espass_geo.io.bilan_config import config_as_toml, load_bilan_config


def _zone(tmp_path):
    # TINY's grid (conftest, 4 × 4 pixels of 100 m from X0, Y0), far from 59/62 communes
    g = gpd.GeoDataFrame({"zone_id": ["Z"], "nom": ["Zone"]},
                         geometry=[box(X0, Y0 - 400, X0 + 400, Y0)], crs=2154)
    path = tmp_path / "zone.gpkg"
    g.to_file(path, engine="pyogrio")
    return path


def test_region_option_sets_the_zone_region(tmp_path):
    raster = write_raster(tmp_path / "lc.tif", TINY)
    zone = _zone(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = api.stocks(zone, landcover=raster, zpc="2_1", region="75")
    assert set(r.territory.zones["region_code"].astype(str)) == {"75"}
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["stocks", "-t", str(zone), "--landcover", str(raster),
                                    "--zpc", "2_1", "--region", "75", "--out", str(out)])
    assert res.exit_code == 0, res.output
    z = pd.read_csv(out / "stocks_zones.csv")
    # Nouvelle-Aquitaine (75): broadleaf stocks from its own forest location, not GRECO B
    assert len(z) == 1


def test_region_unknown_refused(tmp_path):
    raster = write_raster(tmp_path / "lc.tif", TINY)
    res = CliRunner().invoke(main, ["stocks", "-t", str(_zone(tmp_path)), "--landcover",
                                    str(raster), "--zpc", "2_1", "--region", "99",
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "99" in res.output and not (tmp_path / "o").exists()


def test_bilan_toml_boundaries_and_region(tmp_path):
    zone = _zone(tmp_path)
    cfg = tmp_path / "bilan.toml"
    cfg.write_text(f'territory = "{zone.name}"\nzpc = "2_1"\nregion = "75"\n'
                   f'boundaries = "{zone.name}"\n[landcover]\nareas = "demo"\n',
                   encoding="utf-8")
    c = load_bilan_config(cfg)
    assert c.region == "75" and c.boundaries == zone
    again = tmp_path / "again.toml"
    again.write_text(config_as_toml(c), encoding="utf-8")
    c2 = load_bilan_config(again)
    assert (c2.region, c2.boundaries) == ("75", c.boundaries)
