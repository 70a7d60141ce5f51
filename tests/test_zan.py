"""ZAN accounting and the carbon of every hectare (espass_geo.core.zan), by hand.

Three communes (issue #12 « done when »), consumption in hectares per year:

* A « Alpha »: 1 ha/an 2011–2020; 2021: habitat 0.5 + route 0.3 (no total row: total = 0.8);
  2022: total 0.6, of which habitat 0.4 (0.2 not broken down by destination).
* B « Beta »: 0.12 ha/an 2011–2020; 2021: 0.3; 2022: 0.
* C « Gamma »: nothing.

Accounts: A reference 10 × 1 = 10, budget ½ × 10 = 5, consumed 0.8 + 0.6 = 1.4, remaining 3.6,
used 1.4 / 5 = 0.28. B reference 10 × 0.12 = 1.2, budget 0.6; with the communal guarantee
(B covered by a PLU) max(0.6, 1) = 1.0; consumed 0.3, remaining 0.7. C: 0 everywhere.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from espass_geo.core import zan
from espass_geo.errors import AreaTableError, FactorError

C2CO2 = 44 / 12
# N2O per tC of soil/litter lost (factors/n2o_soil_loss.csv, GWP 273):
# 1/15 × (0.01 + 0.30 × 0.0075) × 44/28 × 273 = 0.350350
K_N2O = 1 / 15 * (0.01 + 0.30 * 0.0075) * 44 / 28 * 273

# Carbon cost of 1 ha of CROPLAND consumed in ZPC 2_1 (region 32, NORD-OUEST), 0.8 sealed + 0.2
# grassed, read from the factor tables:
#   soil  (aldo_soil_flux.csv 2_1): cultures → art_impermeabilises −20 tC/ha (= 30 − 50 of
#         aldo_soil_stock_ref.csv), cultures → art_enherbes +19 tC/ha, both instantaneous;
#   biomass (aldo_biomass_nonforest_flux.csv NORD-OUEST): cultures → art_impermeabilises 0,
#         cultures → art_arbustifs +0.35 tC/ha/an kinetic × 20 = +7 tC/ha;
#   N2O on the sealed part's soil loss only (20 tC).
# flow = 0.8 × (−20) + 0.2 × (19 + 7) = −16 + 5.2 = −10.8 tC/ha → cost 10.8 tC/ha
# cost tCO2e = 10.8 × 44/12 + 0.8 × 20 × K_N2O = 39.6 + 5.6056 = 45.2056 (method.md §10 B)
CROP_TC = 0.8 * 20 - 0.2 * (19 + 7)
CROP_N2O = 0.8 * 20 * K_N2O
CROP_COST = CROP_TC * C2CO2 + CROP_N2O
# … and of 1 ha of herbaceous GRASSLAND in 2_1:
#   soil prairies → art_impermeabilises −39 tC/ha (table); prairies → art_enherbes: no row, the
#   stock difference 69 − 69 = 0 (aldo_soil_stock_ref.csv);
#   biomass prairies_herbacees → art_impermeabilises 0, → art_arbustifs 0.35 × 20 = +7;
#   N2O on 0.8 × 39 = 31.2 tC lost.
# cost = (0.8 × 39 − 0.2 × 7) × 44/12 + 31.2 × K_N2O = 29.8 × 44/12 + 10.9309 = 120.1976
GRASS_TC = 0.8 * 39 - 0.2 * 7
GRASS_COST = GRASS_TC * C2CO2 + 0.8 * 39 * K_N2O


def consumption(*, drop: tuple[str, int] | None = None, c_2022: float = 0.0) -> pd.DataFrame:
    rows = []
    for y in range(2011, 2021):
        rows += [("00001", "Alpha", y, "total", 1.0), ("00002", "Beta", y, "total", 0.12),
                 ("00003", "Gamma", y, "total", 0.0)]
    rows += [("00001", "Alpha", 2021, "habitat", 0.5), ("00001", "Alpha", 2021, "route", 0.3),
             ("00001", "Alpha", 2022, "total", 0.6), ("00001", "Alpha", 2022, "habitat", 0.4),
             ("00002", "Beta", 2021, "total", 0.3), ("00002", "Beta", 2022, "total", 0.0),
             ("00003", "Gamma", 2021, "total", 0.0), ("00003", "Gamma", 2022, "total", c_2022)]
    t = pd.DataFrame(rows, columns=["commune_id", "commune_name", "year", "destination",
                                    "area_ha"])
    if drop:
        t = t[~((t["commune_id"] == drop[0]) & (t["year"] == drop[1]))]
    return t.reset_index(drop=True)


def attrs(ids=("00001", "00002", "00003")) -> pd.DataFrame:
    return pd.DataFrame({"zone_id": list(ids), "zpc": "2_1", "region_code": "32"})


def acc(**kw) -> pd.DataFrame:
    return zan.zan_accounts(consumption(), **kw).set_index("zone_id")


# ------------------------------------------------------------------------- accounts
def test_accounts_three_communes_by_hand():
    a = acc()
    assert list(a.index) == ["00001", "00002", "00003"]
    assert a.loc["00001", "zone_name"] == "Alpha"
    assert a.loc["00001", "reference_2011_2020_ha"] == pytest.approx(10.0)
    assert a.loc["00001", "budget_2021_2030_ha"] == pytest.approx(5.0)
    assert a.loc["00001", "consumed_since_2021_ha"] == pytest.approx(1.4)  # 0.5 + 0.3 + 0.6
    assert a.loc["00001", "remaining_budget_ha"] == pytest.approx(3.6)
    assert a.loc["00001", "budget_used_share"] == pytest.approx(0.28)
    assert a.loc["00002", "reference_2011_2020_ha"] == pytest.approx(1.2)
    assert a.loc["00002", "budget_2021_2030_ha"] == pytest.approx(0.6)  # no guarantee asked
    assert a.loc["00002", "consumed_since_2021_ha"] == pytest.approx(0.3)
    assert a.loc["00003", "budget_2021_2030_ha"] == 0.0
    assert np.isnan(a.loc["00003", "budget_used_share"])  # 0 / 0: no share
    assert not a["over_budget"].any() and not a["guarantee_applied"].any()
    assert (a["last_year_observed"] == 2022).all()
    assert (a["reference_years"] == "2011–2020").all()
    assert (a["years_observed_since_2021"] == "2021–2022").all()
    assert list(zan.zan_accounts(consumption()).columns[:10]) == [
        "zone_id", "zone_name", "reference_2011_2020_ha", "budget_2021_2030_ha",
        "guarantee_applied", "consumed_since_2021_ha", "last_year_observed",
        "remaining_budget_ha", "budget_used_share", "over_budget"]


def test_communal_guarantee():
    # B covered by a PLU: max(0.6, 1) = 1.0; C not covered: stays 0; A (5 ≥ 1) unchanged
    a = acc(guarantee=True, plu_communes={"00002"})
    assert a.loc["00002", "budget_2021_2030_ha"] == pytest.approx(1.0)
    assert a.loc["00002", "remaining_budget_ha"] == pytest.approx(0.7)
    assert list(a["guarantee_applied"]) == [False, True, False]
    assert a.loc["00003", "budget_2021_2030_ha"] == 0.0
    assert a.loc["00001", "budget_2021_2030_ha"] == pytest.approx(5.0)
    # plu_communes=None: every commune covered, C gets 1 ha too
    a = acc(guarantee=True)
    assert list(a["budget_2021_2030_ha"]) == pytest.approx([5.0, 1.0, 1.0])
    assert list(a["guarantee_applied"]) == [False, True, True]
    # the list alone does nothing without guarantee=True
    assert acc(plu_communes={"00002"}).loc["00002", "budget_2021_2030_ha"] == pytest.approx(0.6)


def test_over_budget_with_a_zero_budget():
    a = zan.zan_accounts(consumption(c_2022=0.1)).set_index("zone_id")
    assert a.loc["00003", "over_budget"] and a.loc["00003", "remaining_budget_ha"] == \
        pytest.approx(-0.1)
    assert np.isnan(a.loc["00003", "budget_used_share"])


def test_zones_sum_their_communes():
    zones = pd.DataFrame({"commune_id": ["00001", "00002", "00003"],
                          "zone_id": ["Z1", "Z1", "Z2"], "zone_name": ["Nord", "Nord", "Sud"]})
    a = zan.zan_accounts(consumption(), zones=zones, guarantee=True,
                         plu_communes={"00002"}).set_index("zone_id")
    # Z1 = A + B: reference 10 + 1.2 = 11.2; budget 5 + 1 (guarantee of B) = 6; consumed 1.7
    assert a.loc["Z1", "reference_2011_2020_ha"] == pytest.approx(11.2)
    assert a.loc["Z1", "budget_2021_2030_ha"] == pytest.approx(6.0)
    assert a.loc["Z1", "consumed_since_2021_ha"] == pytest.approx(1.7)
    assert a.loc["Z1", "remaining_budget_ha"] == pytest.approx(4.3)
    assert bool(a.loc["Z1", "guarantee_applied"]) and a.loc["Z1", "n_communes"] == 2
    assert a.loc["Z1", "zone_name"] == "Nord" and a.loc["Z2", "zone_name"] == "Sud"
    assert a.loc["Z2", "reference_2011_2020_ha"] == 0.0
    # invariant: the zones hold what the communes hold
    per_commune = zan.zan_accounts(consumption(), guarantee=True, plu_communes={"00002"})
    for col in ("reference_2011_2020_ha", "budget_2021_2030_ha", "consumed_since_2021_ha"):
        assert a[col].sum() == pytest.approx(per_commune[col].sum())
    # a commune of the zones absent from the table is refused; one outside the zones left out
    with pytest.raises(AreaTableError, match="99999"):
        zan.zan_accounts(consumption(), zones=pd.DataFrame({"commune_id": ["99999"],
                                                             "zone_id": ["Z"]}))
    only_a = zan.zan_accounts(consumption(), zones=zones.head(1))
    assert list(only_a["reference_2011_2020_ha"]) == pytest.approx([10.0])
    assert zan.zan_accounts(consumption(), names={"00001": "Alpha-sur-Mer"})[
        "zone_name"].iloc[0] == "Alpha-sur-Mer"


def test_missing_reference_years_refused():
    with pytest.raises(AreaTableError, match=r"00002 : 2015"):
        zan.zan_accounts(consumption(drop=("00002", 2015)))
    t = consumption()
    with pytest.raises(AreaTableError, match=r"année\(s\) 2015 absente"):
        zan.zan_accounts(t[t["year"] != 2015])
    with pytest.raises(AreaTableError, match="2021"):  # a hole after 2021 would undercount
        zan.zan_accounts(t[t["year"] != 2021])
    with pytest.raises(AreaTableError, match="00002 : 2021"):
        zan.zan_accounts(consumption(drop=("00002", 2021)))
    # nothing observed since 2021 yet: nothing counted
    a = zan.zan_accounts(t[t["year"] <= 2020])
    assert (a["consumed_since_2021_ha"] == 0).all() and (a["last_year_observed"] == 2020).all()
    assert (a["years_observed_since_2021"] == "aucune").all()


def test_bad_consumption_tables_refused():
    t = consumption()
    t.loc[0, "area_ha"] = -1.0
    with pytest.raises(AreaTableError, match="négative"):
        zan.zan_accounts(t)
    t = consumption()
    t.loc[0, "destination"] = "commerce"
    with pytest.raises(AreaTableError, match="commerce"):
        zan.zan_accounts(t)
    t = pd.concat([consumption(), consumption().head(1)])
    with pytest.raises(AreaTableError, match="double"):
        zan.zan_accounts(t)
    with pytest.raises(AreaTableError, match="area_ha"):
        zan.zan_accounts(consumption().drop(columns="area_ha"))


# ------------------------------------------------------------------------- trajectory
def test_trajectory_by_hand():
    a = zan.zan_accounts(consumption(), guarantee=True, plu_communes={"00002"})
    t = zan.zan_trajectory(a, consumption()).set_index("year")
    assert t.index.min() == 2021 and t.index.max() == 2050
    # Σ budgets = 5 + 1 + 0 = 6 ha: 0.6 ha/an 2021–2030, 0.3 2031–2040, then linear to 0
    assert t.loc[2021:2030, "zan_ha"].tolist() == pytest.approx([0.6] * 10)
    assert t.loc[2031:2040, "zan_ha"].tolist() == pytest.approx([0.3] * 10)
    assert t.loc[2045, "zan_ha"] == pytest.approx(0.15)  # 0.3 × (2050 − 2045) / 10
    assert t.loc[2041, "zan_ha"] == pytest.approx(0.27)  # 0.3 × 9 / 10
    assert t.loc[2050, "zan_ha"] == 0.0
    assert t.loc[2030, "cumulative_zan_ha"] == pytest.approx(6.0)
    assert t.loc[2050, "cumulative_zan_ha"] == pytest.approx(6 + 3 + 0.3 * 4.5)  # 10.35
    # observed: 2021 = 0.8 + 0.3 + 0 = 1.1; 2022 = 0.6; none after
    assert t.loc[2021, "observed_ha"] == pytest.approx(1.1)
    assert t.loc[2022, "observed_ha"] == pytest.approx(0.6)
    assert t.loc[2022, "cumulative_observed_since_2021_ha"] == pytest.approx(1.7)
    assert t.loc[2023:, "observed_ha"].isna().all()
    assert t.loc[2023:, "cumulative_observed_since_2021_ha"].isna().all()
    # trend: observed, then the 2011–2020 mean pace 11.2 / 10 = 1.12 ha/an
    assert t.loc[2021, "trend_ha"] == pytest.approx(1.1)
    assert t.loc[2023, "trend_ha"] == pytest.approx(1.12)
    assert t.loc[2030, "cumulative_trend_ha"] == pytest.approx(1.7 + 8 * 1.12)  # 10.66
    assert t.loc[2021, "period"] == "2021–2030" and t.loc[2045, "period"] == "2041–2050"
    # "recent": mean of the last three years observed, 2020–2022: (1.12 + 1.1 + 0.6) / 3 = 0.94
    r = zan.zan_trajectory(a, consumption(), trend="recent").set_index("year")
    assert r.loc[2023, "trend_ha"] == pytest.approx(0.94)
    # with the reference years for a chart: observed only
    full = zan.zan_trajectory(a, consumption(), first_year=2011).set_index("year")
    assert full.loc[2011, "observed_ha"] == pytest.approx(1.12)
    assert np.isnan(full.loc[2011, "zan_ha"]) and np.isnan(full.loc[2011, "trend_ha"])
    assert full.loc[2030, "cumulative_zan_ha"] == pytest.approx(6.0)
    assert full.loc[2011, "period"] == "référence 2011–2020"


def test_trajectory_refuses_another_table():
    a = zan.zan_accounts(consumption())
    other = consumption()
    other.loc[other["commune_id"] == "00001", "area_ha"] *= 2
    with pytest.raises(AreaTableError, match="pas celle des comptes"):
        zan.zan_trajectory(a, other)


# ------------------------------------------------------------------------- territorialisation
def test_territorialise_by_consumption_population_table():
    t = zan.territorialise(10.0, consumption()).set_index("zone_id")
    # 2011–2020: A 10, B 1.2, C 0 → shares 10/11.2, 1.2/11.2, 0
    assert t.loc["00001", "share"] == pytest.approx(10 / 11.2)
    assert t.loc["00002", "share"] == pytest.approx(1.2 / 11.2)
    assert t.loc["00003", "share"] == 0.0
    assert t.loc["00001", "envelope_ha"] == pytest.approx(100 / 11.2)  # 8.9286 ha
    assert math.fsum(t["share"]) == 1.0 and math.fsum(t["envelope_ha"]) == pytest.approx(10.0)
    pop = pd.DataFrame({"zone_id": ["00001", "00002", "00003"], "population": [3000, 1000, 1000]})
    t = zan.territorialise(10.0, by="population", population=pop).set_index("zone_id")
    assert list(t["share"]) == pytest.approx([0.6, 0.2, 0.2])
    assert list(t["envelope_ha"]) == pytest.approx([6.0, 2.0, 2.0])
    assert math.fsum(t["share"]) == 1.0
    # thirds do not add up to 1 in floating point: the residual goes to the largest share
    pop3 = pd.DataFrame({"zone_id": ["a", "b", "c"], "population": [1, 1, 1]})
    t = zan.territorialise(7.0, by="population", population=pop3)
    assert math.fsum(t["share"]) == 1.0 and math.fsum(t["envelope_ha"]) == pytest.approx(7.0)
    tab = pd.DataFrame({"zone_id": ["00001", "00002", "00003"], "share": [0.5, 0.3, 0.2]})
    t = zan.territorialise(10.0, by="table", table=tab)
    assert list(t["envelope_ha"]) == pytest.approx([5.0, 3.0, 2.0])
    tab = pd.DataFrame({"zone_id": ["00001", "00002"], "envelope_ha": [6.0, 4.0]})
    t = zan.territorialise(10.0, by="table", table=tab)
    assert list(t["share"]) == pytest.approx([0.6, 0.4])
    with pytest.raises(AreaTableError, match="0.900000"):
        zan.territorialise(10.0, by="table", table=tab.assign(share=[0.5, 0.4]).drop(
            columns="envelope_ha"))
    with pytest.raises(AreaTableError, match="9.0000 ha"):
        zan.territorialise(10.0, by="table", table=tab.assign(envelope_ha=[5.0, 4.0]))
    with pytest.raises(AreaTableError, match="double"):
        zan.territorialise(10.0, by="table", table=pd.DataFrame(
            {"zone_id": ["a", "a"], "share": [0.5, 0.5]}))


# ------------------------------------------------------------------------- carbon
def test_cost_per_ha_cropland_2_1_by_hand():
    mix = pd.DataFrame({"zone_id": ["00001"], "land_use": ["cropland"], "share": [1.0]})
    c = zan.carbon_cost_per_ha(mix, attrs(["00001"]), to_sealed_share=0.8)
    assert len(c) == 1 and c.loc[0, "destination"] == "all" and c.loc[0, "land_use_from"] == "mix"
    assert c.loc[0, "tC_per_ha"] == pytest.approx(CROP_TC)  # 10.8
    assert c.loc[0, "tCO2e_per_ha"] == pytest.approx(CROP_COST)  # 45.2056
    assert c.loc[0, "tCO2e_per_ha"] == pytest.approx(45.2056, abs=1e-4)
    # the kinetic part is the grassed share's biomass gain, 0.2 × 7 tC over 20 years
    assert c.loc[0, "kinetic_tCO2e_per_ha"] == pytest.approx(-0.2 * 7 * C2CO2)
    assert c.loc[0, "instant_tCO2e_per_ha"] + c.loc[0, "kinetic_tCO2e_per_ha"] == \
        pytest.approx(CROP_COST)
    assert c.loc[0, "n2o_tCO2e_per_ha"] == pytest.approx(CROP_N2O)
    assert "coût positif = émission" in c.loc[0, "convention"]
    # all sealed: method.md §10 A, 20 × 44/12 + 20 × K_N2O = 80.34
    full = zan.carbon_cost_per_ha(mix, attrs(["00001"]), to_sealed_share=1.0)
    assert full.loc[0, "tCO2e_per_ha"] == pytest.approx(20 * C2CO2 + 20 * K_N2O)
    assert full.loc[0, "kinetic_tCO2e_per_ha"] == 0.0


def test_cost_per_ha_mix_and_destinations():
    mix = pd.DataFrame({"zone_id": ["00002", "00002"],
                        "land_use": ["cropland", "grassland_herbaceous"], "share": [0.5, 0.5]})
    c = zan.carbon_cost_per_ha(mix, attrs(["00002"]), detail=True)
    # default: the sealed shares of zan_parameters.csv, 0.8 for each Cerema destination
    assert set(c["destination"]) == set(zan.DESTINATIONS)
    h = c[c["destination"] == "habitat"].set_index("land_use_from")
    assert h.loc["cropland", "tCO2e_per_ha"] == pytest.approx(CROP_COST)
    assert h.loc["grassland_herbaceous", "tCO2e_per_ha"] == pytest.approx(GRASS_COST)  # 120.20
    assert h.loc["mix", "tCO2e_per_ha"] == pytest.approx(0.5 * CROP_COST + 0.5 * GRASS_COST)
    # a destination-specific share: roads all sealed
    c = zan.carbon_cost_per_ha(mix.head(1).assign(share=1.0), attrs(["00002"]),
                               to_sealed_share=pd.Series({"route": 1.0, "habitat": 0.8}))
    assert c.set_index("destination").loc["route", "tCO2e_per_ha"] == \
        pytest.approx(20 * C2CO2 + 20 * K_N2O)
    with pytest.raises(AreaTableError, match="somment"):
        zan.carbon_cost_per_ha(mix.assign(share=0.4), attrs(["00002"]))
    with pytest.raises(AreaTableError, match="artificial_sealed"):
        zan.carbon_cost_per_ha(mix.assign(land_use="artificial_sealed", share=[0.5, 0.5]),
                               attrs(["00002"]))
    with pytest.raises(FactorError, match="00002"):
        zan.carbon_cost_per_ha(mix, attrs(["00001"]))


def test_renaturation_gain_2_1_by_hand():
    g = zan.renaturation_gain_per_ha(["grassland_herbaceous", "forest_broadleaf"],
                                     attrs(["00001"])).set_index("to_land_use")
    # sealed → grassland as cropland → grassland (ALDO, method.md §6.4): 0.37 × 20 = 7.4 tC/ha
    assert g.loc["grassland_herbaceous", "gain_tC_per_ha"] == pytest.approx(7.4)
    assert g.loc["grassland_herbaceous", "gain_tCO2e_per_ha"] == pytest.approx(7.4 * C2CO2)
    assert g.loc["grassland_herbaceous", "gain_tCO2e_per_ha_per_year"] == \
        pytest.approx(7.4 * C2CO2 / 20)  # 1.3567
    # sealed → broadleaf forest: soil as cropland → forest 0.15 × 20 = 3 (kinetic) + litter 9
    # at once (afforestation: no biomass flow, forest growth covers it) = 12 tC/ha = 44 tCO2e
    assert g.loc["forest_broadleaf", "gain_tCO2e_per_ha"] == pytest.approx(12 * C2CO2)
    assert g.loc["forest_broadleaf", "instant_gain_tCO2e_per_ha"] == pytest.approx(9 * C2CO2)
    assert (g["convention"].str.contains("séquestration")).all()


def three_commune_cost() -> pd.DataFrame:
    mix = pd.DataFrame({"zone_id": ["00001", "00002", "00002", "00003"],
                        "land_use": ["cropland", "cropland", "grassland_herbaceous", "cropland"],
                        "share": [1.0, 0.5, 0.5, 1.0]})
    return zan.carbon_cost_per_ha(mix, attrs())


def test_consumption_carbon_and_indicator_three_communes():
    cc = zan.consumption_carbon(consumption(), three_commune_cost())
    a21 = cc[(cc["zone_id"] == "00001") & (cc["year"] == 2021)].set_index("destination")
    assert a21["area_ha"].to_dict() == pytest.approx({"habitat": 0.5, "route": 0.3})
    a22 = cc[(cc["zone_id"] == "00001") & (cc["year"] == 2022)].set_index("destination")
    # 0.4 habitat + the 0.2 not broken down, kept as « total »
    assert a22["area_ha"].to_dict() == pytest.approx({"habitat": 0.4, "total": 0.2})
    # invariant: the hectares costed are the yearly totals
    per_year = cc.groupby(["zone_id", "year"])["area_ha"].sum()
    yearly = zan.yearly_consumption(consumption()).set_index(["commune_id", "year"])["area_ha"]
    assert per_year.to_numpy() == pytest.approx(yearly.loc[per_year.index].to_numpy())
    acc3 = zan.zan_accounts(consumption(), guarantee=True, plu_communes={"00002"})
    ind = zan.carbon_cost_indicator(acc3, cc).set_index("zone_id")
    b_cost = 0.5 * CROP_COST + 0.5 * GRASS_COST  # 82.70 tCO2e/ha
    # A: 1.4 ha × 45.2056 = 63.29 tCO2e since 2021; 10 ha × 45.2056 = 452.06 in 2011–2020
    assert ind.loc["00001", "cost_tCO2e"] == pytest.approx(1.4 * CROP_COST)
    assert ind.loc["00001", "cost_tCO2e_per_ha"] == pytest.approx(CROP_COST)
    assert ind.loc["00001", "reference_cost_tCO2e"] == pytest.approx(10 * CROP_COST)
    # B: 0.3 ha × 82.70 = 24.81; reference 1.2 × 82.70 = 99.24
    assert ind.loc["00002", "cost_tCO2e"] == pytest.approx(0.3 * b_cost)
    assert ind.loc["00002", "reference_cost_tCO2e"] == pytest.approx(1.2 * b_cost)
    # C: nothing consumed, no cost, no cost per ha
    assert ind.loc["00003", "cost_tCO2e"] == 0.0
    assert np.isnan(ind.loc["00003", "cost_tCO2e_per_ha"])
    assert ind.loc["00001", "consumed_since_2021_ha"] == pytest.approx(1.4)
    assert ind["convention"].str.startswith("coût positif = émission").all()


def test_consumption_carbon_zones_and_missing_costs():
    zones = pd.DataFrame({"commune_id": ["00001", "00002", "00003"],
                          "zone_id": ["Z1", "Z1", "Z2"]})
    cc = zan.consumption_carbon(consumption(), three_commune_cost(), zones=zones)
    z1 = cc[cc["zone_id"] == "Z1"]
    b_cost = 0.5 * CROP_COST + 0.5 * GRASS_COST
    # Z1 2021: A 0.8 ha + B 0.3 ha at their own commune costs
    assert z1[z1["year"] == 2021]["tCO2e"].sum() == pytest.approx(0.8 * CROP_COST + 0.3 * b_cost)
    # costs given per zone: the zone's cost for all its communes
    zone_mix = pd.DataFrame({"zone_id": ["Z1", "Z2"], "land_use": "cropland", "share": 1.0})
    zc = zan.carbon_cost_per_ha(zone_mix, attrs(["Z1", "Z2"]), to_sealed_share=0.8)
    cc = zan.consumption_carbon(consumption(), zc, zones=zones)
    assert cc[(cc["zone_id"] == "Z1") & (cc["year"] == 2021)]["tCO2e"].sum() == \
        pytest.approx(1.1 * CROP_COST)
    # a commune that consumed nothing needs no cost; one that consumed does
    no_c = three_commune_cost().query("zone_id != '00003'")
    assert set(zan.consumption_carbon(consumption(), no_c)["zone_id"]) == {"00001", "00002"}
    with pytest.raises(FactorError, match="00003"):
        zan.consumption_carbon(consumption(c_2022=0.1), no_c)


def test_from_mix_from_changes_and_fallbacks():
    tr = pd.DataFrame({
        "zone_id": ["00001", "00001", "00001", "00002"],
        "from_land_use": ["cropland", "grassland_herbaceous", "cropland", "cropland"],
        "to_land_use": ["artificial_sealed", "artificial_grassed", "forest_broadleaf",
                        "grassland_herbaceous"],
        "area_ha": [3.0, 1.0, 5.0, 2.0]})
    areas = pd.DataFrame({"zone_id": ["00002"] * 3,
                          "land_use": ["cropland", "forest_broadleaf", "artificial_sealed"],
                          "area_ha": [60.0, 20.0, 20.0]})
    m = zan.from_mix_from_changes(tr, areas=areas, zone_ids=["00001", "00002", "00003"])
    got = {(r.zone_id, r.land_use): r.share for r in m.itertuples()}
    # A: what it artificialised, 3 ha cropland + 1 ha grassland (cropland → forest ignored)
    assert got[("00001", "cropland")] == pytest.approx(0.75)
    assert got[("00001", "grassland_herbaceous")] == pytest.approx(0.25)
    # B: nothing artificialised → its non-artificial land 60 cropland + 20 forest
    assert got[("00002", "cropland")] == pytest.approx(0.75)
    assert got[("00002", "forest_broadleaf")] == pytest.approx(0.25)
    # C: neither → what the territory artificialised (A's 3 + 1 ha)
    assert got[("00003", "cropland")] == pytest.approx(0.75)
    srcs = m.groupby("zone_id")["mix_source"].first()
    assert "zone" in srcs["00001"] and "non artificielle" in srcs["00002"]
    assert "territoire" in srcs["00003"]
    assert m.groupby("zone_id")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0, 1.0])
    # CLC change table accepted; without any source the zone is refused
    clc = pd.DataFrame({"zone_id": ["00001"], "from_code": ["211"], "to_code": ["112"],
                        "area_ha": [6.0]})
    m = zan.from_mix_from_changes(clc)
    assert m[["land_use", "share"]].values.tolist() == [["cropland", 1.0]]
    with pytest.raises(AreaTableError, match="00009"):
        zan.from_mix_from_changes(tr.iloc[2:], zone_ids=["00009"])


def test_parameters_table():
    p = zan.zan_parameters()
    assert p["reference_first_year"] == 2011 and p["reference_last_year"] == 2020
    assert p["reduction_2021_2030"] == 0.5 and p["communal_guarantee_ha"] == 1.0
    assert p["net_zero_year"] == 2050
    s = zan.sealed_shares()
    assert set(s.index) == set(zan.DESTINATIONS) and (s == 0.8).all()


def test_cost_per_ha_weights_a_zone_over_its_pedoclimatic_zones():
    # ZPC 1_1 (aldo_soil_flux.csv): cultures → art_impermeabilises −17, → art_enherbes +27;
    # cost = (0.8 × 17 − 0.2 × (27 + 7)) × 44/12 + 0.8 × 17 × K_N2O = 6.8 × 44/12 + 4.7648 = 29.70
    cost_1_1 = (0.8 * 17 - 0.2 * (27 + 7)) * C2CO2 + 0.8 * 17 * K_N2O
    mix = pd.DataFrame({"zone_id": ["Z"], "land_use": ["cropland"], "share": [1.0]})
    at = pd.DataFrame({"zone_id": ["Z", "Z"], "zpc": ["2_1", "1_1"], "zpc_weight": [0.5, 0.5],
                       "region_code": "32"})
    c = zan.carbon_cost_per_ha(mix, at, to_sealed_share=0.8)
    assert c.loc[0, "tCO2e_per_ha"] == pytest.approx(0.5 * CROP_COST + 0.5 * cost_1_1)
    # the user's ZPC wins over the mix
    c = zan.carbon_cost_per_ha(mix, at, to_sealed_share=0.8, zpc_override="1_1")
    assert c.loc[0, "tCO2e_per_ha"] == pytest.approx(cost_1_1)


def test_a_commune_in_two_zones_is_refused():
    zones = pd.DataFrame({"commune_id": ["00001", "00001"], "zone_id": ["Z1", "Z2"]})
    with pytest.raises(AreaTableError, match="plusieurs zones"):
        zan.zan_accounts(consumption(), zones=zones)
