"""Scenarios: hand-computed trajectories, baseline = no action, additivity, IPCC vs ALDO, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import espass_geo as eg
from espass_geo.core.scenarios import (
    ipcc_practice_rate,
    practice_cohorts,
    project,
    stock_trajectory,
)
from espass_geo.errors import ScenarioError
from espass_geo.io.scenario_config import load_scenario_config
from espass_geo.reference import data

pytestmark = pytest.mark.slow  # scenario fixture (~15 s) and CLI runs: excluded by -m "not slow" (#14)

ATTRS = pd.DataFrame({"zone_id": ["z"], "zpc": ["2_3"], "region_code": ["32"]})
DEMO = data.data_path("landcover", "scenarios")


def test_no_till_10_ha_from_2025_by_hand():
    pr = pd.DataFrame({"zone_id": ["z"], "practice": ["directSowingContinuous"],
                       "area_ha": [10.0], "year": [2025], "action_id": ["a"]})
    years = range(2025, 2051)
    fl = project(practice_cohorts(pr, ATTRS), years)
    soil = fl[fl["pool"] == "soil"].set_index("year")["flux_tC_an"]
    # ALDO: 0.15 tC/ha/an × 10 ha = 1.5 tC/an for 20 years (2025…2044), then saturation
    assert soil.loc[2025:2044].tolist() == pytest.approx([1.5] * 20)
    assert soil.loc[2045:2050].tolist() == pytest.approx([0.0] * 6)
    assert fl["flux_tCO2e_an"].sum() == pytest.approx(30 * 44 / 12)  # 30 tC = 110 tCO2e
    st = stock_trajectory(fl, pd.Series({"z": 1000.0}), years).set_index("year")["stock_tC"]
    assert st[2025] == pytest.approx(1001.5) and st[2044] == pytest.approx(1030.0)
    assert st[2050] == pytest.approx(1030.0)


def test_ipcc_and_aldo_no_till_ratio():
    # method.md §10 G: cold temperate moist HAC (ZPC 2_3): 95 × 0.69 × (1.15 − 1) / 20
    ipcc = ipcc_practice_rate("directSowingContinuous", "2_3")
    assert ipcc == pytest.approx(95 * 0.69 * 0.15 / 20)          # 0.4916 tC/ha/an
    assert ipcc / 0.15 == pytest.approx(3.2775, abs=1e-4)         # "about three times ALDO"
    pr = pd.DataFrame({"zone_id": ["z"], "practice": ["directSowingContinuous"],
                       "area_ha": [10.0], "year": [2025], "action_id": ["a"]})
    a = project(practice_cohorts(pr, ATTRS, method="aldo"), range(2025, 2051))
    i = project(practice_cohorts(pr, ATTRS, method="ipcc"), range(2025, 2051))
    assert i["flux_tC_an"].sum() / a["flux_tC_an"].sum() == pytest.approx(ipcc / 0.15)
    with pytest.raises(ScenarioError, match="grassyStrips"):
        ipcc_practice_rate("grassyStrips", "2_3")


def write_config(tmp: Path, scenarios: str, extra_top: str = "") -> Path:
    for f in ("fd_reboisement.geojson", "fd_zae.geojson"):
        shutil.copy(DEMO / f, tmp / f)
    text = f"""
title = "test"
territory = "epci:245900428,200040954"
start_year = 2025
horizon = 2050
{extra_top}
[data]
landcover = "demo"
parcels = "demo"
trend_landcover_before = "demo-2012"
trend_years = [2012, 2018]

[baseline]
trend = true
{scenarios}
"""
    path = tmp / "scénario.toml"
    path.write_text(text, encoding="utf-8")
    return path


REFOREST = """
[[scenario.action]]
id = "bois"
type = "convert"
to = "311"
geometry = "fd_reboisement.geojson"
year = 2027
"""
ZAE = """
[[scenario.action]]
id = "zae"
type = "seal"
geometry = "fd_zae.geojson"
year = 2028
"""
HEDGES = """
[[scenario.action]]
id = "haies"
type = "hedges"
length_km = 12
year = 2030
"""


@pytest.fixture(scope="module")
def three_scenarios(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scén")
    text = ("\n[[scenario]]\nname = \"rien\"\n"
            "\n[[scenario]]\nname = \"a\"\n" + REFOREST
            + "\n[[scenario]]\nname = \"b\"\n" + ZAE + HEDGES
            + "\n[[scenario]]\nname = \"ab\"\n" + REFOREST + ZAE + HEDGES)
    return eg.scenarios(load_scenario_config(write_config(tmp, text)))


def test_baseline_equals_no_action(three_scenarios):
    r = three_scenarios
    t = r.territory.set_index(["scenario", "year", "lever"])
    base = t.loc["baseline"]["flux_tCO2e_an"]
    rien = t.loc["rien"]["flux_tCO2e_an"]
    pd.testing.assert_series_equal(base, rien)
    d = r.delta[r.delta["scenario"] == "rien"]
    assert (d["delta_tCO2e_an"].abs() < 1e-9).all()


def test_inputs_handed_over_give_the_same_trajectories(three_scenarios):
    # inside a bilan the territory, parcels, start area table and trend change table are
    # handed over (read once per run): the trajectories must be those of reading them here
    from espass_geo.core.areas import area_table_from_raster
    from espass_geo.io.change_rasters import change_table_from_rasters
    from espass_geo.io.parcels import read_parcels
    from espass_geo.runs.scenarios import build_scenarios  # handed-over inputs: not in the API
    from espass_geo.runs.stocks import parcels_in_territory
    from espass_geo.territory.resolve import resolve_territory

    cfg = three_scenarios.config
    territory = resolve_territory(cfg.territory)
    parcels = read_parcels(cfg.parcels)
    inside, _ = parcels_in_territory(parcels, territory, cfg.parcels)
    at = area_table_from_raster(territory.zones, cfg.landcover, parcels=inside)
    ct = change_table_from_rasters(territory.zones, cfg.trend_before, cfg.landcover,
                                   years=cfg.trend_years)
    r = build_scenarios(cfg, territory=territory, area_table=at, parcels_gdf=parcels,
                        change_table=ct)
    pd.testing.assert_frame_equal(r.territory, three_scenarios.territory)
    pd.testing.assert_frame_equal(r.delta, three_scenarios.delta)
    assert len(parcels) == len(read_parcels(cfg.parcels))  # the layer handed over is not changed


def test_additivity_of_disjoint_actions(three_scenarios):
    d = three_scenarios.delta.set_index(["scenario", "year", "lever"])["delta_tCO2e_an"]
    total = d.xs("total", level="lever")
    ab = total.loc["ab"]
    assert ab.to_numpy() == pytest.approx((total.loc["a"] + total.loc["b"]).to_numpy())
    assert abs(ab.sum()) > 1000  # the actions do something


def test_reforestation_by_hand(three_scenarios):
    r = three_scenarios
    # 200 ha of cropland (2 boxes: 120 ha + 80 ha, all cropland in the demo raster) → broadleaf
    # forest in 2027, ZPC of the communes (Hondschoote, Esquelbecq…)
    aa = r.action_areas[(r.action_areas["scenario"] == "a")]
    assert aa["area_ha"].sum() == pytest.approx(200.0, rel=1e-3)
    assert set(aa["from_land_use"]) == {"cropland"}
    d = r.delta[(r.delta["scenario"] == "a") & (r.delta["lever"] == "convert")].set_index("year")
    # from 2047 only forest growth remains: 200 ha × 1.05 tC/ha/an × 44/12 = 770 tCO2e/an
    assert d.loc[2050, "delta_tCO2e_an"] == pytest.approx(770.0, rel=1e-6)
    assert d.loc[2026, "delta_tCO2e_an"] == 0


def test_validation_reports_every_problem(tmp_path):
    bad = """
[[scenario]]
name = "x"
colour = "red"

[[scenario.action]]
type = "convert"
to = "jungle"
geometry = "absent.geojson"
year = 2060

[[scenario.action]]
type = "practice"
practice = "miracle"
crop_groups = ["1"]
year = 2030

[[scenario.action]]
type = "hedges"
length_km = -3
year = 2030
"""
    path = write_config(tmp_path, bad, extra_top='unknown_key = 1\nmethod = "magic"')
    with pytest.raises(ScenarioError) as e:
        load_scenario_config(path)
    msg = str(e.value)
    for part in ("unknown_key", "magic", "colour", "jungle", "absent.geojson", "2060",
                 "miracle", "length_km"):
        assert part in msg, part
    assert len(e.value.problems) >= 8
    assert "scénario.toml:" in msg  # problems carry the file and line


def test_spatial_problems_listed_together(tmp_path):
    far = gpd.GeoDataFrame({"n": [1]}, geometry=[box(900000, 6300000, 901000, 6301000)],
                           crs=2154)
    far.to_file(tmp_path / "loin.geojson")
    text = """
[[scenario]]
name = "x"

[[scenario.action]]
id = "bois"
type = "convert"
to = "forest_broadleaf"
geometry = "fd_reboisement.geojson"
year = 2030

[[scenario.action]]
id = "bois-bis"
type = "convert"
to = "wetland"
geometry = "fd_reboisement.geojson"
year = 2030

[[scenario.action]]
id = "loin"
type = "seal"
geometry = "loin.geojson"
year = 2030

[[scenario.action]]
id = "prairies-semis"
type = "practice"
practice = "directSowingContinuous"
crop_groups = ["18"]
year = 2030
"""
    cfg = load_scenario_config(write_config(tmp_path, text))
    with pytest.raises(ScenarioError) as e:
        eg.scenarios(cfg)
    msg = str(e.value)
    assert "entièrement hors du territoire" in msg
    assert "se recouvrent" in msg and "bois-bis" in msg
    assert "Prairies" in msg  # no-till does not apply to permanent grassland
    assert len(e.value.problems) == 3


def test_scenario_cli_writes_everything(tmp_path):
    from click.testing import CliRunner

    from espass_geo.cli import main

    cfg = write_config(tmp_path, "\n[[scenario]]\nname = \"b\"\nlabel = \"Haies\"\n" + HEDGES)
    out = tmp_path / "sortie"
    r = CliRunner().invoke(main, ["scenario", "--config", str(cfg), "--out", str(out)])
    assert r.exit_code == 0, r.output
    for name in ("trajectoires.csv", "trajectoires_territoire.csv", "ecarts.csv",
                 "scenario.gpkg", "flux_annuels.png", "flux_annuels.svg", "ecart_cumule.png",
                 "stocks.svg", "carte_scenarios.html", "LISEZ-MOI_scenarios.txt", "scénario.toml"):
        assert (out / name).exists(), name
    d = pd.read_csv(out / "ecarts.csv")
    last = d[(d["lever"] == "hedges") & (d["year"] == 2050)]
    # 12 km of hedges on crops = 12 000 m / 60 m/ha = 200 ha equivalent × (0.06 + 0.09) tC/ha/an
    # from 2030 for 20 years (2030…2049): 200 × 0.15 × 20 × 44/12 = 2 200 tCO2e
    assert last["cumulative_delta_tCO2e"].iloc[0] == pytest.approx(2200.0)
    bad = tmp_path / "faux.toml"
    bad.write_text("territory = 'epci:245900428'\nstart_year = 2025\nhorizon = 2020\n")
    r = CliRunner().invoke(main, ["scenario", "--config", str(bad), "--out",
                                  str(tmp_path / "x")])
    assert r.exit_code == 2 and "horizon" in r.output
    assert not (tmp_path / "x").exists()


def test_parcel_practice_attributes(tmp_path):
    from espass_geo.errors import InputFileError
    from espass_geo.io.parcels import read_parcels

    p = gpd.read_file(data.demo_parcels_path()).head(4)
    p["tillage"] = ["no_till", "conventional", "reduced", "conventional"]
    p["cover_crops"] = ["oui", "non", "1", "0"]
    p["hedges_m_ha"] = [0, 60, 0, 10]
    p.to_file(tmp_path / "rpg.gpkg")
    r = read_parcels(tmp_path / "rpg.gpkg")
    assert r["tillage"].tolist() == ["no_till", "conventional", "reduced", "conventional"]
    assert r["cover_crops"].tolist() == [True, False, True, False]
    assert r["hedges_m_ha"].tolist() == [0, 60, 0, 10]
    p["tillage"] = ["no_till", "deep", "reduced", "conventional"]
    p.to_file(tmp_path / "bad.gpkg")
    with pytest.raises(InputFileError, match=r"tillage ?: \['deep'\]"):
        read_parcels(tmp_path / "bad.gpkg")
