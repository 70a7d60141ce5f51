"""ZAN end to end (issue #12): a Cerema-format file of three communes through `espass-geo zan`
and `espass-geo bilan`, checked by hand.

The three communes (59005, 59009, 59015) are in ZPC 2_1 and, in ALDO's CLC 2012→2018 changes,
artificialised only arable land (211): one hectare consumed there costs, with ALDO's 80 %
sealed / 20 % grassed rule (method.md §10 B),
    carbon 0,8 × 20 − 0,2 × (19 + 7) = 10,8 tC/ha → 10,8 × 44/12 = 39,6 tCO₂e
    + N2O of the soil carbon lost 16 tC × 0,35035 = 5,6056 tCO₂e
    = 45,2056 tCO₂e/ha.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

from espass_geo import api
from espass_geo.cli import main

COST_PER_HA = 45.2056  # tCO2e per hectare of cropland consumed, ZPC 2_1 (above)
DEST = ("act", "hab", "mix", "rou", "fer", "inc")


def _cerema(path, yearly_m2: dict[str, dict[int, int]]) -> None:
    """A file in the Cerema schema (« ; », m²): everything consumed for housing."""
    cols = ["idcom", "idcomtxt"]
    for y in range(9, 23):
        cols += [f"naf{y:02d}art{y + 1:02d}"] + [f"art{y:02d}{d}{y + 1:02d}" for d in DEST]
    rows = []
    for com, per_year in yearly_m2.items():
        row = [com, f"Commune {com}"]
        for y in range(9, 23):
            v = per_year.get(2000 + y, 0)
            row += [v] + [v if d == "hab" else 0 for d in DEST]
        rows.append(row)
    pd.DataFrame(rows, columns=cols).to_csv(path, sep=";", index=False)


@pytest.fixture
def three(tmp_path):
    path = tmp_path / "conso_cerema.csv"
    ref = {y: 10_000 for y in range(2011, 2021)}  # 1 ha a year 2011-2020
    _cerema(path, {
        "59005": {**ref, 2021: 8_000, 2022: 6_000},      # reference 10 ha, since 2021 1,4 ha
        "59009": {**{y: 1_200 for y in range(2011, 2021)}, 2021: 3_000},  # 1,2 ha; 0,3 ha
        "59015": {},                                      # nothing consumed
    })
    return path


def _acc(result):
    return result.accounts.set_index("zone_id")


def test_three_communes_by_hand(three):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small territory
        r = api.zan("59005,59009,59015", consumption=three)
    a = _acc(r)
    assert a.loc["59005", "reference_2011_2020_ha"] == pytest.approx(10.0)   # 10 × 1 ha
    assert a.loc["59005", "budget_2021_2030_ha"] == pytest.approx(5.0)      # ½ × 10
    assert a.loc["59005", "consumed_since_2021_ha"] == pytest.approx(1.4)   # 0,8 + 0,6
    assert a.loc["59005", "remaining_budget_ha"] == pytest.approx(3.6)      # 5 − 1,4
    assert a.loc["59009", "budget_2021_2030_ha"] == pytest.approx(0.6)      # ½ × 1,2
    assert a.loc["59015", "consumed_since_2021_ha"] == pytest.approx(0.0)
    # carbon cost: hectares consumed since 2021 × 45,2056 tCO2e/ha
    assert a.loc["59005", "cost_tCO2e"] == pytest.approx(1.4 * COST_PER_HA, rel=1e-4)
    assert a.loc["59009", "cost_tCO2e"] == pytest.approx(0.3 * COST_PER_HA, rel=1e-4)
    assert a.loc["59005", "cost_tCO2e_per_ha"] == pytest.approx(COST_PER_HA, rel=1e-4)
    assert a.loc["59015", "cost_tCO2e"] == pytest.approx(0.0)
    # the guarantee lifts 59009 to 1 ha (and leaves 59005's 5 ha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = _acc(api.zan("59005,59009,59015", consumption=three, guarantee=True))
    assert g.loc["59009", "budget_2021_2030_ha"] == pytest.approx(1.0)
    assert g.loc["59005", "budget_2021_2030_ha"] == pytest.approx(5.0)
    # the envelope (5 + 0,6 = 5,6 ha) shared like the reference: 10/11,2 and 1,2/11,2
    t = r.territorialisation.set_index("zone_id")["envelope_ha"]
    assert t["59005"] == pytest.approx(5.6 * 10 / 11.2)
    assert t["59009"] == pytest.approx(5.6 * 1.2 / 11.2)
    assert not r.estimate


def test_zan_command_writes_the_tables(three, tmp_path):
    out = tmp_path / "zan"
    res = CliRunner().invoke(main, ["zan", "-t", "59005,59009,59015", "--consumption",
                                    str(three), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "budget 2021-2030 5,60\xa0ha" in res.output  # 5 + 0,6 ha
    c = pd.read_csv(out / "zan_communes.csv", dtype={"zone_id": str}).set_index("zone_id")
    assert c.loc["59005", "consumed_since_2021_ha"] == pytest.approx(1.4)
    assert c.loc["59005", "cost_tCO2e"] == pytest.approx(1.4 * COST_PER_HA, rel=1e-4)
    for f in ("zan_trajectoire.csv", "zan_carbone.csv", "carte_zan.html", "LISEZ-MOI_zan.txt",
              "zan.gpkg"):
        assert (out / f).is_file(), f


@pytest.mark.slow
def test_bilan_with_a_cerema_file(three, tmp_path):
    cfg = tmp_path / "bilan.toml"
    cfg.write_text('title = "Trois communes"\nterritory = "59005,59009,59015"\n'
                   '[landcover]\nareas = "demo"\nchanges = "demo"\n'
                   f'[zan]\nconsumption = "{three.name}"\n', encoding="utf-8")
    out = tmp_path / "bilan"
    res = CliRunner().invoke(main, ["bilan", "--config", str(cfg), "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    c = pd.read_csv(out / "zan" / "zan_communes.csv", dtype={"zone_id": str}).set_index(
        "zone_id")
    assert c.loc["59005", "reference_2011_2020_ha"] == pytest.approx(10.0)
    assert c.loc["59009", "consumed_since_2021_ha"] == pytest.approx(0.3)
    assert c.loc["59005", "cost_tCO2e"] == pytest.approx(1.4 * COST_PER_HA, rel=1e-4)


def test_net_artificialisation_from_the_synthetic_ocsge_dates():
    """Two OCS GE dates (the synthetic demo layers 2012, 2018) on the CU de Dunkerque: per
    commune, net = artificial after − artificial before (closure), the carbon released by what
    was artificialised is an emission over the territory and nothing was renatured."""
    from espass_geo.reference import data

    b = data.data_path("landcover", "demo_flandre_dunkerque_ocsge2012_synthetic.gpkg")
    a = data.data_path("landcover", "demo_flandre_dunkerque_ocsge2018_synthetic.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = api.zan("epci:245900428", landcover_before=b, landcover_after=a, years=(2012, 2018))
    n = r.net.set_index("zone_id")
    assert (n["net_ha"] - (n["artificial_after_ha"] - n["artificial_before_ha"])).abs().max() \
        < 1e-6
    assert n["artificialised_ha"].sum() > 0
    assert n["renatured_ha"].sum() == pytest.approx(0.0)
    # net per year over the 6 years
    assert n["net_ha_an"].sum() == pytest.approx(n["net_ha"].sum() / 6)
    # a cost may be negative in a commune where cropland became lawns or urban trees (ALDO:
    # cropland → grassed artificial land gains soil carbon); over the territory it is an emission
    assert n["artificialisation_cost_tCO2e"].sum() > 0
    assert (n.loc[n["artificialised_ha"] == 0, "artificialisation_cost_tCO2e"] == 0).all()
    assert "net_ha" in r.zones.columns
