"""The bilan: one table from which every output derives; configuration errors; init."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from espass_geo.cli import main
from espass_geo.core.bilan_table import TOTAL, build_bilan_table, synthesis
from espass_geo.errors import ConfigError, OutputError
from espass_geo.io.bilan_config import EXAMPLE_CONFIG, load_bilan_config, write_example_config


def test_example_config_is_valid(tmp_path):
    path = write_example_config(tmp_path / "bilan.toml")
    cfg = load_bilan_config(path)
    assert cfg.territory == "epci:245900428,200040954"
    assert cfg.landcover.name.endswith("clc2018_20m.tif") and cfg.scenario.exists()
    assert cfg.inventory is None  # "demo" = embedded estimate
    with pytest.raises(OutputError, match="existe déjà"):
        write_example_config(path)
    r = CliRunner().invoke(main, ["init", str(tmp_path / "autre.toml")])
    assert r.exit_code == 0 and (tmp_path / "autre.toml").read_text(encoding="utf-8") == \
        EXAMPLE_CONFIG


def test_config_problems_listed_with_lines(tmp_path):
    text = """title = "x"
territory = "epci:245900428"
method = "magic"
gwp_n2o = "beaucoup"
colour = "red"

[landcover]
after = "absent.tif"
years = [2018, 2012]
resolution = 20

[emissions]
inventory = 42
"""
    path = tmp_path / "bilan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_bilan_config(path)
    msg = str(e.value)
    for part in ("bilan.toml:3", "magic", "bilan.toml:4", "gwp_n2o", "bilan.toml:5", "colour",
                 "bilan.toml:8", "absent.tif", "bilan.toml:9", "inversées",
                 "bilan.toml:10", "landcover.resolution", "bilan.toml:13", "inventory"):
        assert part in msg, part
    assert len(e.value.problems) == 7
    r = CliRunner().invoke(main, ["bilan", "--config", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "magic" in r.output
    assert not (tmp_path / "o").exists()
    bad = tmp_path / "pas_toml.toml"
    bad.write_text("territory = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="TOML valide"):
        load_bilan_config(bad)


class _Stub:
    """Minimal stand-ins for the results the table is built from."""


def test_table_totals_reconcile():
    st = _Stub()
    st.stocks = pd.DataFrame({"zone_id": ["a", "a", "b"], "zone_name": ["A", "A", "B"],
                              "land_use": ["cropland", "cropland", "forest_mixed"],
                              "pool": ["soil", "live_biomass", "soil"],
                              "stock_tC": [100.0, 0.0, 50.0], "method": "aldo"})
    fl = _Stub()
    fl.flows = pd.DataFrame({"zone_id": ["a", "b"], "cause": ["land_use_change",
                                                               "forest_growth"],
                             "pool": ["soil", "live_biomass"], "flux_tCO2e_an": [-10.0, 30.0],
                             "method": "aldo"})
    fl.zones = pd.DataFrame({"zone_id": ["a", "b"], "zone_name": ["A", "B"]})
    em = _Stub()
    em.zones = fl.zones
    em.table = pd.DataFrame({
        "zone_id": ["a", "b", "a", "b", "a"],
        "view": ["sector", "sector", "post", "post", "sector"],
        "category": ["residentiel", "agriculture", "utilisation_terres", "utilisation_terres",
                     "agriculture"],
        "substance": ["GES", "GES", "GES", "GES", "NH3"],
        "emission_t": [None, None, None, None, 4.0],
        "emission_tCO2e": [100.0, 200.0, 10.0, -30.0, None], "source": "s", "estimate": True})
    t = build_bilan_table(stocks=st, flows=fl, emissions=em)
    tot = t[t["zone_id"] == TOTAL].groupby("theme")["value"].sum()
    zones = t[t["zone_id"] != TOTAL].groupby("theme")["value"].sum()
    pd.testing.assert_series_equal(tot, zones)
    sy = synthesis(t)
    assert sy["stock_tC"] == 150.0
    assert sy["flux_tCO2e_an"] == 20.0          # −10 + 30, + = sequestration
    assert sy["direct_tCO2e_an"] == 300.0
    # the land-use post is the carbon flow with the sign flipped: 10 − 30 = −20
    assert sy["footprint_tCO2e_an"] == -20.0
    assert (t.loc[t["theme"] == "polluants", "unit"] == "t/an").all()
    assert t.loc[t["theme"] == "flux_carbone", "sign_convention"].str.contains(
        "positif = séquestration").all()


def test_output_dir_not_writable(tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    from espass_geo.io.outputs import atomic_output_dir

    with pytest.raises(OutputError, match="ne peut pas être créé"), \
            atomic_output_dir(blocker / "sortie") as _:
        pass
