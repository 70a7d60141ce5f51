"""Zone attributes and zone ids: the user's ZPC is never lost, zones keep their own ids.

The ZPC override is applied last by one pure function (``zone_attributes``) at the place where
factors are looked up, so it survives the per-EPCI area tables (ZPC mixes rebuilt from the
communes) and a ``Territory`` passed by the API; a territory is never modified in place.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import espass_geo as eg
from espass_geo.cli import main
from espass_geo.errors import FactorError, InputFileError, ScenarioError, ZoneIdWarning
from espass_geo.io.bilan_config import load_bilan_config
from espass_geo.io.scenario_config import load_scenario_config
from espass_geo.reference import data
from espass_geo.territory.resolve import resolve_territory
from espass_geo.territory.zones import ZONE_ATTRIBUTE_COLUMNS, zone_attributes

EPCI = "epci:245900428"  # CU de Dunkerque: its communes lie in ZPC 1_1, 3_1 and 4_1


def _soil_ref() -> pd.Series:
    """ALDO reference soil stocks (tC/ha) by (zpc, soil_class), read from the shipped CSV."""
    t = pd.read_csv(data.data_path("factors", "aldo_soil_stock_ref.csv"), dtype=str)
    return t.assign(value=t["value"].astype(float)).set_index(["zpc", "soil_class"])["value"]


def _soil_class() -> pd.Series:
    t = pd.read_csv(data.data_path("factors", "land_use_classes.csv"), dtype=str)
    return t.set_index("land_use")["soil_class"]


def test_zpc_override_changes_epci_stock_by_the_soil_reference_difference():
    areas = data.aldo_clc18_epci_path()  # ALDO CLC 2018 areas per EPCI (EPCI zones)
    base = eg.stocks(EPCI, areas=areas)
    forced = eg.stocks(EPCI, areas=areas, zpc="1_1")
    # Before the fix both runs gave the same stock: the EPCI's ZPC mix was rebuilt from the
    # communes and the override dropped. Expected change, by hand: only the soil pool depends
    # on the ZPC, so Δ = Σ over (land use, ZPC share) rows of the base run of
    # area_ha × (ref[1_1, soil class] − the row's soil density); the base run of whole EPCI
    # prices soil with ALDO's per-EPCI references (#13 item 1), the forced one with ZPC 1_1.
    ref, soil_class = _soil_ref(), _soil_class()
    soil = base.stocks[base.stocks["pool"] == "soil"]
    assert set(soil["zpc"]) == {"1_1", "3_1", "4_1"}  # a real mix, not only 1_1
    expected = 0.0
    for r in soil.itertuples(index=False):
        sc = soil_class.get(r.land_use)
        if isinstance(sc, str) and sc:
            expected += r.area_ha * (ref[("1_1", sc)] - r.density_tC_ha)
    assert abs(expected) > 1_000  # tC: the override must matter here
    assert forced.total_stock_tC - base.total_stock_tC == pytest.approx(expected, rel=1e-9)
    # the other pools do not move, the areas are the same, every row is in 1_1
    other = lambda r: r.stocks.loc[r.stocks["pool"] != "soil", "stock_tC"].sum()  # noqa: E731
    assert other(forced) == pytest.approx(other(base), rel=1e-12)
    fsoil = forced.stocks[forced.stocks["pool"] == "soil"]
    assert fsoil["area_ha"].sum() == pytest.approx(soil["area_ha"].sum(), rel=1e-12)
    assert set(forced.stocks["zpc"].dropna()) == {"1_1"}
    assert any("1_1" in n and "imposée" in n for n in forced.notes)


def test_zpc_override_applies_to_a_territory_object_which_is_not_modified():
    areas = data.aldo_clc18_epci_path()
    territory = resolve_territory(EPCI)
    zpc_before = territory.zones["zpc"].copy()
    notes_before = list(territory.notes)
    by_spec = eg.stocks(EPCI, areas=areas, zpc="1_1")
    by_object = eg.stocks(territory, areas=areas, zpc="1_1")
    assert by_object.total_stock_tC == pytest.approx(by_spec.total_stock_tC, rel=1e-12)
    # the Territory given is untouched: a later run without --zpc is the plain one
    pd.testing.assert_series_equal(territory.zones["zpc"], zpc_before)
    assert territory.notes == notes_before and territory.zpc_override is None
    plain = eg.stocks(territory, areas=areas)
    assert plain.total_stock_tC == pytest.approx(
        eg.stocks(EPCI, areas=areas).total_stock_tC, rel=1e-12)
    assert plain.total_stock_tC != pytest.approx(by_spec.total_stock_tC, rel=1e-6)


def test_zone_attributes_is_pure_and_applies_the_override_last():
    mix = pd.DataFrame({"zone_id": ["E", "E", "F"], "zpc": ["1_1", "4_1", "2_1"],
                        "zpc_weight": [0.75, 0.25, 1.0], "region_code": ["32", "32", "32"]})
    copy = mix.copy()
    plain = zone_attributes(mix)
    assert list(plain.columns) == ZONE_ATTRIBUTE_COLUMNS
    assert plain["zpc_weight"].tolist() == [0.75, 0.25, 1.0]  # a ZPC mix is kept
    assert plain["region_code"].tolist() == ["32", "32", "32"]  # (no default region: #13)
    assert plain["zone_name"].tolist() == ["E", "E", "F"]  # names default to the ids
    forced = zone_attributes(mix, zpc_override="5_1")
    # one row per zone, the user's ZPC, weight 1 (0.75 + 0.25 of E collapse into 1)
    assert forced[["zone_id", "zpc", "zpc_weight"]].values.tolist() == [
        ["E", "5_1", 1.0], ["F", "5_1", 1.0]]
    pd.testing.assert_frame_equal(mix, copy)  # input not modified
    with pytest.raises(FactorError, match="« 9_9 » inconnue"):
        zone_attributes(mix, zpc_override="9_9")


def _two_communes() -> gpd.GeoDataFrame:
    """Two real communes (Dunkerque 59183, Bergues 59067) shaped like an Admin Express layer."""
    geoms = data.commune_geometries().set_index("code").loc[["59183", "59067"]]
    return gpd.GeoDataFrame({"ID": ["COMMUNE_1", "COMMUNE_2"], "NOM": ["Dunkerque", "Bergues"],
                             "INSEE_COM": ["59183", "59067"], "POPULATION": [1, 2]},
                            geometry=geoms.geometry.values, crs=geoms.crs)


def test_admin_express_layer_keeps_its_insee_com_ids():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = resolve_territory(_two_communes())
    assert t.zones["zone_id"].tolist() == ["59183", "59067"]  # not zone_1, zone_2 nor "ID"
    assert t.zones["zone_name"].tolist() == ["Dunkerque", "Bergues"]
    # majority attributes from the embedded communes: Dunkerque is in ZPC 1_1 (ALDO zpc.csv)
    assert t.zones.set_index("zone_id").loc["59183", "zpc"] == "1_1"
    assert set(t.zones["departement"]) == {"59"}


def test_id_field_and_name_field_are_used_and_checked(tmp_path):
    gdf = _two_communes().rename(columns={"INSEE_COM": "mon_code", "NOM": "appellation"})
    t = resolve_territory(gdf, id_field="mon_code", name_field="appellation")
    assert t.zones["zone_id"].tolist() == ["59183", "59067"]
    assert t.zones["zone_name"].tolist() == ["Dunkerque", "Bergues"]
    with pytest.raises(InputFileError) as exc:
        resolve_territory(gdf, id_field="mon_cod")
    msg = str(exc.value)
    assert "« mon_cod » (--id-field, clé id_field) absent" in msg
    assert "(champs : ID, appellation, mon_code, POPULATION)" in msg  # the columns listed
    assert "vouliez-vous « mon_code »" in msg
    # no id-like column: numbered zones, with a warning naming the columns and --id-field
    with pytest.warns(ZoneIdWarning, match=r"champs : appellation, mon_code ;.*--id-field"):
        t = resolve_territory(gdf.drop(columns=["ID", "POPULATION"]))
    assert t.zones["zone_id"].tolist() == ["zone_1", "zone_2"]


def test_cli_stocks_id_field_names_the_zones(tmp_path):
    from click.testing import CliRunner

    path = tmp_path / "communes.gpkg"
    _two_communes().rename(columns={"INSEE_COM": "mon_code"}).drop(columns="ID").to_file(
        path, engine="pyogrio")
    areas = tmp_path / "surfaces.csv"
    # 10 ha of cropland (CLC 211) in each commune
    areas.write_text("zone_id,code,area_ha\n59183,211,10\n59067,211,10\n", encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["stocks", "-t", str(path), "--areas", str(areas),
                                  "--id-field", "mon_code", "--zpc", "1_1", "--out", str(out),
                                  "--no-map"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    zones = pd.read_csv(out / "stocks_zones.csv", dtype={"zone_id": str})
    assert sorted(zones["zone_id"]) == ["59067", "59183"]
    # ALDO soil of cropland in ZPC 1_1: 47 tC/ha (aldo_soil_stock_ref.csv), no biomass:
    # 2 zones × 10 ha × 47 tC/ha = 940 tC
    assert zones["stock_tC"].sum() == pytest.approx(2 * 10 * _soil_ref()[("1_1", "cultures")])


def test_relative_territory_path_in_toml_resolves_from_the_toml(tmp_path, monkeypatch):
    conf = tmp_path / "projet"
    conf.mkdir()
    _two_communes().to_file(conf / "zones.gpkg", engine="pyogrio")
    (conf / "bilan.toml").write_text(
        'territory = "zones.gpkg"\nid_field = "INSEE_COM"\nname_field = "NOM"\nzpc = "1_1"\n'
        '[landcover]\nareas = "demo"\n', encoding="utf-8")
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # zones.gpkg does not exist from here
    cfg = load_bilan_config("../projet/bilan.toml")
    assert (cfg.id_field, cfg.name_field, cfg.zpc) == ("INSEE_COM", "NOM", "1_1")
    t = resolve_territory(cfg.territory, zpc=cfg.zpc, id_field=cfg.id_field,
                          name_field=cfg.name_field)
    assert t.zones["zone_id"].tolist() == ["59183", "59067"]
    assert set(t.zones["zpc"]) == {"1_1"}


def test_id_field_key_and_relative_territory_of_a_scenario_file(tmp_path, monkeypatch):
    source = data.data_path("landcover", "scenarios/flandre_dunkerque.toml")
    for geo in source.parent.glob("*.geojson"):  # its action polygons, relative to the file
        (tmp_path / geo.name).write_bytes(geo.read_bytes())
    _two_communes().to_file(tmp_path / "zones.gpkg", engine="pyogrio")
    demo = source.read_text(encoding="utf-8")
    assert 'territory = "epci:245900428,200040954"' in demo
    (tmp_path / "s.toml").write_text(
        'id_field = "INSEE_COM"\n' + demo.replace('territory = "epci:245900428,200040954"',
                                                  'territory = "zones.gpkg"'), encoding="utf-8")
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the territory resolves from the scenario file, not from here
    cfg = load_scenario_config("../s.toml")
    assert cfg.id_field == "INSEE_COM" and cfg.name_field is None
    assert resolve_territory(cfg.territory, id_field=cfg.id_field).zones["zone_id"].tolist() \
        == ["59183", "59067"]
    (tmp_path / "bad.toml").write_text("id_field = 3\n" + demo, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad.toml:1 : « id_field » doit être le nom d'un "
                                            "champ"):
        load_scenario_config(tmp_path / "bad.toml")


def test_zpc_override_survives_the_epci_change_table_of_flows():
    changes = data.aldo_clc_change_epci_path()  # ALDO CLC 2012→2018 changes per EPCI
    base = eg.flows(EPCI, changes=changes)
    forced = eg.flows(EPCI, changes=changes, zpc="1_1")
    by_object = eg.flows(resolve_territory(EPCI), changes=changes, zpc="1_1")
    assert set(base.flows["zpc"].dropna()) == {"1_1", "3_1", "4_1"}  # the EPCI's ZPC mix
    assert set(forced.flows["zpc"].dropna()) == {"1_1"}  # overridden, not rebuilt
    assert by_object.net_flux_tCO2e_an == pytest.approx(forced.net_flux_tCO2e_an, rel=1e-12)
    # only the soil carbon (and the N2O of its losses) depends on the ZPC: biomass is the same
    def biomass(r):
        return r.flows.loc[r.flows["pool"] == "live_biomass", "flux_tCO2e_an"].sum()
    assert biomass(forced) == pytest.approx(biomass(base), rel=1e-12)
    assert forced.net_flux_tCO2e_an != pytest.approx(base.net_flux_tCO2e_an, rel=1e-6)


def test_cli_emissions_accepts_zpc(tmp_path):
    from click.testing import CliRunner

    far = tmp_path / "hors_nord.gpkg"  # a zone far from the embedded Nord/Pas-de-Calais
    gpd.GeoDataFrame({"code_insee": ["01001"]}, geometry=[box(700000, 6600000, 700400, 6600400)],
                     crs=2154).to_file(far, engine="pyogrio")
    args = ["emissions", "-t", str(far), "--out", str(tmp_path / "out"), "--no-map"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "FactorError" in r.output and "--zpc" in r.output
    r = CliRunner().invoke(main, [*args, "--zpc", "2_1"])
    # past the ZPC: the next problem is the demo inventory, which covers Nord/Pas-de-Calais only
    assert r.exit_code == 2 and "FactorError" not in r.output
    assert "InventoryError" in r.output and "01001" in r.output
    assert not (tmp_path / "out").exists()  # no partial output


@pytest.mark.slow
def test_cli_bilan_zpc_changes_the_epci_result(tmp_path):
    from click.testing import CliRunner

    territory = "epci:245900410"  # MEL: outside the demo rasters, so ALDO areas per EPCI
    out = tmp_path / "bilan"
    r = CliRunner().invoke(main, ["bilan", "-t", territory, "--zpc", "1_1", "--out", str(out),
                                  "-q"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "bilan.csv", dtype={"zone_id": str})
    rows = (table["theme"] == "stocks") & (table["unit"] == "tC") & (table["zone_id"] == "TOTAL")
    stock = table.loc[rows, "value"].sum()
    areas = data.aldo_clc18_epci_path()
    forced = eg.stocks(territory, areas=areas, zpc="1_1")
    plain = eg.stocks(territory, areas=areas)
    # the bilan's stock is the stock run with the user's ZPC, not the per-commune ZPC mix
    assert stock == pytest.approx(forced.total_stock_tC, rel=1e-9)
    assert stock != pytest.approx(plain.total_stock_tC, rel=1e-6)
    assert 'zpc = "1_1"' in (out / "bilan.toml").read_text(encoding="utf-8")
