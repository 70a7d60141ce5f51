"""``--method aldo-epci`` as a first-class method of ``stocks`` and ``flows`` (issue #13 item 1):
through the API and the CLI, the CU de Dunkerque (SIREN 245900428, 17 communes) gets exactly
the totals of the port of ALDO's per-EPCI app (:mod:`espass_geo.core.aldo_epci`, itself checked
against ALDO's JavaScript in tests/test_aldo_epci.py); a territory that is not whole EPCI is
refused with the remedy."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

from espass_geo import api
from espass_geo.cli import main
from espass_geo.core.aldo_epci import aldo_epci_summary
from espass_geo.errors import AreaTableError, InputFileError
from espass_geo.reference import data

DUNKERQUE = "245900428"


@pytest.fixture(scope="module")
def port_totals():
    return aldo_epci_summary(DUNKERQUE)


def test_api_stocks_and_flows_equal_the_port(port_totals):
    st = api.stocks(f"epci:{DUNKERQUE}", method="aldo-epci")
    assert st.method == "aldo-epci"
    assert st.total_stock_tC == port_totals["stock_tC"]  # same code, same tables: exact
    z = st.zones.iloc[0]
    assert z["zone_id"] == DUNKERQUE and z["zone_name"] == "CU de Dunkerque"
    assert z["stock_tC"] == port_totals["stock_tC"]
    for pool, value in port_totals["stock_by_pool_tC"].items():
        assert z[f"stock_{pool}_tC"] == pytest.approx(value, rel=1e-12)
    # the EPCI's polygon is the union of its 17 communes
    communes = data.communes_2018()
    assert (communes["epci"] == DUNKERQUE).sum() == 17
    assert z["polygon_area_ha"] == pytest.approx(
        st.territory.zones.geometry.area.sum() * 1e-4, rel=1e-9)
    fl = api.flows(f"epci:{DUNKERQUE}", method="aldo-epci")
    assert fl.net_flux_tCO2e_an == pytest.approx(port_totals["flux_tCO2e_an"], rel=1e-13)
    assert fl.zones.iloc[0]["flux_tCO2e_an"] == pytest.approx(port_totals["flux_tCO2e_an"],
                                                              rel=1e-13)
    by_cat = port_totals["flux_by_category_tCO2e_an"]
    assert fl.zones.iloc[0]["flux_forest_growth_tCO2e_an"] == pytest.approx(
        by_cat["forest_growth"], rel=1e-12)
    assert any("aldo-epci" in n for n in fl.notes)


def test_the_communes_of_the_epci_are_the_epci(port_totals):
    """The 17 INSEE codes of the CU de Dunkerque are the EPCI: same totals."""
    codes = sorted(data.communes_2018().query("epci == @DUNKERQUE")["insee"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = api.stocks(",".join(codes), method="aldo-epci")
    assert st.total_stock_tC == port_totals["stock_tC"]


def test_cli_stocks_and_flows_write_the_port_totals(tmp_path, port_totals):
    run = CliRunner().invoke(main, ["stocks", "-t", f"epci:{DUNKERQUE}", "--method",
                                    "aldo-epci", "--out", str(tmp_path / "s")])
    assert run.exit_code == 0, run.output
    z = pd.read_csv(tmp_path / "s" / "stocks_zones.csv", dtype={"zone_id": str})
    assert z["stock_tC"].iloc[0] == pytest.approx(port_totals["stock_tC"], rel=1e-15)
    s = pd.read_csv(tmp_path / "s" / "stocks.csv", dtype={"zone_id": str})
    assert s["stock_tC"].sum() == pytest.approx(port_totals["stock_tC"], rel=1e-12)
    assert set(s["method"]) == {"aldo-epci"}
    assert (tmp_path / "s" / "carte_stocks.html").exists()
    run = CliRunner().invoke(main, ["flows", "-t", f"epci:{DUNKERQUE}", "--method",
                                    "aldo-epci", "--out", str(tmp_path / "f")])
    assert run.exit_code == 0, run.output
    z = pd.read_csv(tmp_path / "f" / "flows_zones.csv", dtype={"zone_id": str})
    assert z["flux_tCO2e_an"].iloc[0] == pytest.approx(port_totals["flux_tCO2e_an"], rel=1e-15)
    assert (tmp_path / "f" / "carte_flux.html").exists()


def test_user_tables_per_epci(tmp_path, port_totals):
    """--areas / --changes per EPCI replace ALDO's land cover of the EPCI: ALDO's own table
    (the shipped 59/62 copy) gives the same figures; halving every area halves the soil."""
    areas = data.aldo_clc18_epci_path()
    st = api.stocks(f"epci:{DUNKERQUE}", method="aldo-epci", areas=areas)
    assert st.total_stock_tC == pytest.approx(port_totals["stock_tC"], rel=1e-12)
    fl = api.flows(f"epci:{DUNKERQUE}", method="aldo-epci", changes=data.aldo_clc_change_epci_path())
    assert fl.net_flux_tCO2e_an == pytest.approx(port_totals["flux_tCO2e_an"], rel=1e-12)
    wide = pd.read_csv(areas, dtype={"siren": str})
    half = wide[wide["siren"] == DUNKERQUE].copy()
    num = half.columns.drop("siren")
    half[num] = half[num] / 2
    half.to_csv(tmp_path / "half.csv", index=False)
    st2 = api.stocks(f"epci:{DUNKERQUE}", method="aldo-epci", areas=tmp_path / "half.csv")
    soil = lambda r: r.stocks.loc[r.stocks["pool"] == "soil", "stock_tC"].sum()  # noqa: E731
    assert soil(st2) == pytest.approx(soil(st) / 2, rel=1e-9)
    # a table per commune is not a table per EPCI
    pd.DataFrame({"zone_id": ["59183"], "code": ["211"], "area_ha": [10.0]}).to_csv(
        tmp_path / "communes.csv", index=False)
    with pytest.raises(AreaTableError, match="table est par EPCI"):
        api.stocks(f"epci:{DUNKERQUE}", method="aldo-epci", areas=tmp_path / "communes.csv")


def test_not_whole_epci_is_refused(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputFileError) as exc:
            api.stocks("59183,59350", method="aldo-epci")
    msg = str(exc.value)
    assert "EPCI incomplet" in msg and "245900428 (1 commune(s) sur 17" in msg
    assert "epci:SIREN" in msg and "--method aldo" in msg
    run = CliRunner().invoke(main, ["flows", "-t", "59183", "--method", "aldo-epci",
                                    "--out", str(tmp_path / "x")])
    assert run.exit_code == 2 and "calcul par EPCI d'ALDO" in run.output


def test_inputs_aldo_epci_takes_from_its_tables_are_refused():
    with pytest.raises(InputFileError, match="--zpc : sans objet avec --method aldo-epci"):
        api.stocks(f"epci:{DUNKERQUE}", method="aldo-epci", zpc="1_1")
    with pytest.raises(InputFileError, match="--forest-areas"):
        api.flows(f"epci:{DUNKERQUE}", method="aldo-epci",
                  forest_areas=data.aldo_bdforet_epci_path())


def test_other_commands_refuse_aldo_epci():
    with pytest.raises(InputFileError, match="pas un bilan"):
        api.bilan(f"epci:{DUNKERQUE}", method="aldo-epci")


def test_tables_only_epci_and_wood_options(tmp_path):
    """Bordeaux Métropole (no embedded polygons): the port's totals, geometry None, the
    tables-only note, files written. --wood-products consumption is ALDO's
    wood_calculation='consommation'; none drops the two wood-product rows."""
    bordeaux = "243300316"
    st = api.stocks(f"epci:{bordeaux}", method="aldo-epci")
    assert st.total_stock_tC == aldo_epci_summary(bordeaux)["stock_tC"]
    assert st.zones.geometry.isna().all()
    assert any(n.startswith("Résultats par tableaux seulement") for n in st.notes)
    m = api.write(st, tmp_path / "b", make_map=False)
    assert "stocks_zones.csv" in m.files
    cons = api.flows(f"epci:{DUNKERQUE}", method="aldo-epci", wood_products="consumption")
    port = aldo_epci_summary(DUNKERQUE, options={"wood_calculation": "consommation"})
    assert cons.net_flux_tCO2e_an == pytest.approx(port["flux_tCO2e_an"], rel=1e-13)
    none = api.flows(f"epci:{DUNKERQUE}", method="aldo-epci", wood_products="none")
    base = aldo_epci_summary(DUNKERQUE)
    assert none.net_flux_tCO2e_an == pytest.approx(
        base["flux_tCO2e_an"] - base["flux_by_category_tCO2e_an"]["wood_products"], rel=1e-12)
