"""One run, one set of inputs: the bilan's territory and method apply to its scenario, tables
keyed by other zones are re-aggregated or refused, a territory without inventory keeps its
carbon bilan (issue #10, items 1 and 5)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import espass_geo as eg
from espass_geo.errors import InputFileError, ScenarioError
from espass_geo.io.bilan_config import load_bilan_config
from espass_geo.reference import data
from espass_geo.territory.resolve import resolve_territory

pytestmark = pytest.mark.slow  # chained command-line runs: excluded by -m "not slow" (#14)

HAUTS_DE_FLANDRE = "200040954"  # 40 communes
DUNKERQUE = "245900428"  # 17 communes (the ZAE of the demo scenario is in Loon-Plage)


def _geometry(name: str) -> str:
    return data.data_path("landcover", f"scenarios/{name}").as_posix()


def _scenario(tmp_path, actions: str) -> str:
    """A scenario file written for the SCoT (57 communes) in ALDO, with its own [data]."""
    text = f'''title = "SCoT"
territory = "epci:{DUNKERQUE},{HAUTS_DE_FLANDRE}"
start_year = 2025
horizon = 2030
method = "aldo"

[data]
landcover = "demo"
parcels = "demo"
trend_landcover_before = "demo-2012"
trend_years = [2012, 2018]

[[scenario]]
name = "transition"
label = "Transition"
{actions}
'''
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path.as_posix()


BOISEMENT = f'''
[[scenario.action]]
id = "boisement"
type = "convert"
to = "forest_broadleaf"
geometry = "{_geometry('fd_reboisement.geojson')}"
year = 2027

[[scenario.action]]
id = "couverts"
type = "practice"
practice = "catchCrops"
crop_groups = ["2", "25"]
year = 2026
'''

ZAE = f'''
[[scenario.action]]
id = "zae-loon-plage"
type = "seal"
geometry = "{_geometry('fd_zae.geojson')}"
year = 2028
'''


def _bilan(tmp_path, scenario: str, *, before: bool = True) -> str:
    text = f'''title = "Hauts de Flandre"
territory = "epci:{HAUTS_DE_FLANDRE}"
method = "ipcc"

[landcover]
after = "demo"
{'before = "demo-2012"' if before else ''}
parcels = "demo"
years = [2012, 2018]

[scenario]
file = "{scenario}"
'''
    path = tmp_path / "bilan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_runs_on_the_bilan_territory_and_method(tmp_path):
    # the scenario file names the 57 communes of the SCoT and ALDO; the bilan 40 communes
    # and IPCC: its rows must be IPCC and cover the 40 communes only, with notes saying so
    cfg = load_bilan_config(_bilan(tmp_path, _scenario(tmp_path, BOISEMENT)))
    r = eg.bilan(config=cfg, quiet=True)
    communes = set(resolve_territory(f"epci:{HAUTS_DE_FLANDRE}").zones["zone_id"])
    assert len(communes) == 40
    assert set(r.scenario.zone_summary["zone_id"]) == communes
    assert set(r.scenario.flows["zone_id"]) <= communes
    t = r.table
    assert set(t.loc[t["theme"] == "scenario", "method"]) == {"ipcc"}
    # IPCC Tier 1 replaces the soil pool (biomass stays ALDO), as in the stocks rows
    assert set(t.loc[(t["theme"] == "stocks") & (t["item"] == "soil"), "method"]) == {"ipcc"}
    assert r.scenario.config.method == "ipcc"
    assert any("appliqué au territoire du bilan" in n for n in r.notes)
    assert any("méthode « aldo » du fichier remplacée" in n for n in r.notes)
    # the scenario starts from the bilan's stocks: same zones, same start stock (tC)
    start = r.scenario.zone_summary.drop_duplicates("zone_id")["stock_start_tC"].sum()
    assert start == pytest.approx(r.stocks.total_stock_tC, rel=1e-9)
    # the bilan's parcels (read once) carry the practice: only those of the 40 communes
    covers = r.scenario.action_areas[r.scenario.action_areas["action_id"] == "couverts"]
    assert len(covers) and set(covers["zone_id"]) <= communes
    # the converted polygon (200 ha) lies in the bilan territory: all of it is converted
    wood = r.scenario.action_areas[r.scenario.action_areas["action_id"] == "boisement"]
    assert wood["area_ha"].sum() == pytest.approx(200.0, rel=1e-3)


def test_scenario_action_outside_the_bilan_territory_is_refused(tmp_path):
    # the ZAE of the demo scenario lies in Loon-Plage (CU de Dunkerque), outside the bilan
    cfg = load_bilan_config(_bilan(tmp_path, _scenario(tmp_path, BOISEMENT + ZAE),
                                   before=False))
    with pytest.raises(ScenarioError) as e:
        eg.bilan(config=cfg, quiet=True)
    msg = str(e.value)
    assert "zae-loon-plage" in msg and "hors du territoire" in msg
    assert f"epci:{HAUTS_DE_FLANDRE}" in msg and "Retirez" in msg


def _flows_csv(tmp_path, rows: dict[str, float]):
    path = tmp_path / "flows_zones.csv"
    pd.DataFrame({"zone_id": list(rows), "flux_tCO2e_an": list(rows.values())}).to_csv(
        path, index=False)
    return path


def _land_use_post(em) -> pd.Series:
    t = em.table
    sel = t[(t["view"] == "post") & (t["category"] == "utilisation_terres")
            & (t["substance"] == "GES")]
    return sel.groupby("zone_id")["emission_tCO2e"].sum()


def _members(epci: str) -> list[str]:
    com = data.communes_2018()
    return sorted(com.loc[com["epci"] == epci, "insee"].astype(str))


def test_commune_flows_summed_for_epci_zones(tmp_path):
    # two communes of the CU de Dunkerque sequester 10 and 20 tCO2e/an, the 15 others 0:
    # the EPCI's land-use post is −(10 + 20) = −30 tCO2e/an (sequestration counts negative)
    members = _members(DUNKERQUE)
    assert len(members) == 17
    rows = dict.fromkeys(members, 0.0)
    rows[members[0]], rows[members[1]] = 10.0, 20.0
    from espass_geo.runs.emissions import land_flows_on_zones

    # the same communes, run on the EPCI zone (dissolved) of a flows run per EPCI
    t = resolve_territory(f"epci:{DUNKERQUE}")
    lf, _, notes = land_flows_on_zones(_flows_csv(tmp_path, rows), _epci_territory(t))
    assert lf.set_index("zone_id")["flux_tCO2e_an"].to_dict() == {DUNKERQUE: 30.0}
    assert any("additionnés par EPCI" in n for n in notes)
    # one commune missing: the sum would be incomplete, refused
    del rows[members[5]]
    with pytest.raises(InputFileError, match="manquent"):
        land_flows_on_zones(_flows_csv(tmp_path, rows), _epci_territory(t))


def _epci_territory(t):
    from espass_geo.territory.resolve import Territory

    z = t.zones.dissolve(by="epci", as_index=False)[["epci", "geometry"]]
    z["zone_id"], z["zone_name"] = z["epci"], "EPCI"
    for col in ("zpc", "departement", "region_code"):
        z[col] = None
    return Territory(zones=gpd.GeoDataFrame(z, geometry="geometry", crs=t.zones.crs),
                     label="EPCI", kind="epci")


def test_epci_flows_put_emissions_on_epci_zones(tmp_path):
    # flows of a run on dep:59,62 are keyed by EPCI; emissions on two EPCI (57 communes) used
    # to give a land-use post of 0. Now the emissions run on the two EPCI zones: −10 and −20
    path = _flows_csv(tmp_path, {DUNKERQUE: 10.0, HAUTS_DE_FLANDRE: 20.0, "200068500": 5.0})
    em = eg.emissions(f"epci:{DUNKERQUE},{HAUTS_DE_FLANDRE}", land_flows=path)
    assert _land_use_post(em).to_dict() == {DUNKERQUE: -10.0, HAUTS_DE_FLANDRE: -20.0}
    assert set(em.zones["zone_id"]) == {DUNKERQUE, HAUTS_DE_FLANDRE}
    assert any("par EPCI" in n for n in em.notes)
    # 12 of the 17 communes of an EPCI: an EPCI flow cannot be split between its communes
    some = _members(DUNKERQUE)[:12]
    with pytest.raises(InputFileError, match="ne se répartit pas"):
        eg.emissions(",".join(some), land_flows=path)


def test_territory_without_inventory_keeps_its_carbon_bilan(tmp_path):
    # a user polygon (zone id "perimetre") is not in the demo inventory: stocks and flows are
    # kept, the emissions part is marked missing (a note, no emission rows) and the outputs
    # (map, report) are written
    zones = resolve_territory(f"epci:{HAUTS_DE_FLANDRE}").zones
    poly = gpd.GeoDataFrame({"zone_id": ["perimetre"], "nom": ["Mon périmètre"]},
                            geometry=[zones.union_all().buffer(-200)], crs=zones.crs)
    poly.to_file(tmp_path / "perimetre.geojson", driver="GeoJSON")
    (tmp_path / "bilan.toml").write_text('''title = "Périmètre"
territory = "perimetre.geojson"

[landcover]
after = "demo"
before = "demo-2012"
years = [2012, 2018]
''', encoding="utf-8")
    r = eg.bilan(config=load_bilan_config(tmp_path / "bilan.toml"), quiet=True)
    assert r.emissions is None
    assert any("Émissions non calculées" in n for n in r.notes)
    themes = set(r.table["theme"])
    assert {"stocks", "flux_carbone"} <= themes
    assert not themes & {"emissions_secteur", "emissions_poste", "polluants"}
    # the stock of the bilan is the stock run's: TOTAL row = sum of the zone rows
    t = r.table[r.table["theme"] == "stocks"]
    assert t.loc[t["zone_id"] == "TOTAL", "value"].sum() == pytest.approx(
        r.stocks.total_stock_tC)
    m = eg.write(r, tmp_path / "out")
    files = {rel: m.out_dir / rel for rel in m.files}
    assert files["index.html"].exists() and files["rapport.html"].exists()
    assert not (tmp_path / "out" / "emissions").exists()
    assert "non calculé" in files["index.html"].read_text(encoding="utf-8")


def test_scenario_file_for_a_bilan_needs_no_territory_nor_data(tmp_path):
    # inside a bilan the file holds only the actions and the horizon; the practice uses the
    # bilan's parcels, the start state the bilan's land cover (same start stock as its stocks)
    (tmp_path / "actions.toml").write_text(f'''start_year = 2025
horizon = 2030

[[scenario]]
name = "transition"
{BOISEMENT}''', encoding="utf-8")
    cfg = load_bilan_config(_bilan(tmp_path, (tmp_path / "actions.toml").as_posix(),
                                   before=False))
    r = eg.bilan(config=cfg, quiet=True)
    assert set(r.scenario.action_areas["action_id"]) == {"boisement", "couverts"}
    start = r.scenario.zone_summary.drop_duplicates("zone_id")["stock_start_tC"].sum()
    assert start == pytest.approx(r.stocks.total_stock_tC, rel=1e-9)
    assert not any("appliqué au territoire du bilan" in n for n in r.notes)


def test_scenario_starting_before_the_bilan_land_cover_is_refused(tmp_path):
    from espass_geo.errors import ConfigError

    (tmp_path / "actions.toml").write_text(f'''start_year = 2015
horizon = 2030

[[scenario]]
name = "transition"
{BOISEMENT}''', encoding="utf-8")
    # refused when the configuration is read (file and line), before any raster is read
    with pytest.raises(ConfigError, match=r"actions\.toml:1 : start_year 2015 précède .*2018"):
        load_bilan_config(_bilan(tmp_path, (tmp_path / "actions.toml").as_posix(),
                                 before=False))


def test_flows_then_emissions_chaining_on_the_command_line(tmp_path):
    # flows on dep:59,62 (per EPCI) then emissions on two EPCI: each EPCI's land-use post is
    # minus its flow (sequestration counts negative), no longer 0
    from click.testing import CliRunner

    from espass_geo.cli import main

    changes = data.aldo_clc_change_epci_path()
    r = CliRunner().invoke(main, ["flows", "--territory", "dep:59,62", "--changes",
                                  str(changes), "--out", str(tmp_path / "fl"), "--no-map"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["emissions", "--territory",
                                  f"epci:{DUNKERQUE},{HAUTS_DE_FLANDRE}", "--land-flows",
                                  str(tmp_path / "fl" / "flows_zones.csv"), "--out",
                                  str(tmp_path / "em"), "--no-map"])
    assert r.exit_code == 0, r.output
    flows = pd.read_csv(tmp_path / "fl" / "flows_zones.csv", dtype={"zone_id": str})
    flows = flows.set_index("zone_id")["flux_tCO2e_an"]
    em = pd.read_csv(tmp_path / "em" / "emissions.csv", dtype={"zone_id": str})
    post = em[(em["view"] == "post") & (em["category"] == "utilisation_terres")
              & (em["substance"] == "GES")].groupby("zone_id")["emission_tCO2e"].sum()
    assert set(post.index) == {DUNKERQUE, HAUTS_DE_FLANDRE}
    for epci in post.index:
        assert post[epci] == pytest.approx(-flows[epci]) and flows[epci] != 0
