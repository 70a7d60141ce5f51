"""Carbon flows: hand-computed ALDO cases, N2O, growth, wood products, closure, a real EPCI."""

from __future__ import annotations

import pandas as pd
import pytest

import espass_geo as eg
from espass_geo.core.flows import (
    compute_flows,
    forest_growth,
    n2o_factor,
    wood_products_harvest,
)
from espass_geo.core.stocks import compute_stocks

ATTRS = pd.DataFrame({"zone_id": ["z"], "zone_name": ["Téteghem"], "zpc": ["2_1"],
                      "region_code": ["32"]})
C2 = 44 / 12
# N2O per tC lost, GWP 273: 1/15 × (0.01 + 0.30 × 0.0075) × 44/28 × 273 = 0.35035
K_N2O = 1 / 15 * (0.01 + 0.30 * 0.0075) * 44 / 28 * 273


def flows_for(frm, to, area_ha, years=6, **kw):
    ch = pd.DataFrame({"zone_id": ["z"], "from_code": [frm], "to_code": [to],
                       "area_ha": [area_ha]})
    return compute_flows(ch, ATTRS, years=years, **kw)


def by_pool(fl):
    return fl.groupby("pool")["flux_tCO2e_an"].sum().to_dict()


def test_n2o_factor():
    assert n2o_factor(273) == pytest.approx(K_N2O)
    assert n2o_factor(273) == pytest.approx(0.3504, abs=1e-4)  # method.md §6.9
    assert n2o_factor(265) == pytest.approx(0.3401, abs=1e-4)


def test_cropland_to_forest_4ha_over_6_years():
    """Issue #3: 4 ha of cropland turned to (broadleaf) forest over 6 years, ZPC 2_1."""
    fl = flows_for("211", "311", 4.0)
    # 4 ha / 6 years = 0.6667 ha/an converted
    assert fl["area_ha_an"].iloc[0] == pytest.approx(4 / 6)
    p = by_pool(fl)
    # soil, kinetic: 0.15 tC/ha/an (ALDO cult_for 2_1) × 20 years = 3 tC/ha → 0.6667 × 3 × 44/12
    assert p["soil"] == pytest.approx(4 / 6 * 3 * C2)                 # +7.33 tCO2e/an
    # litter enters with the forest: +9 tC/ha
    assert p["litter"] == pytest.approx(4 / 6 * 9 * C2)               # +22.0
    # afforestation: no biomass flow (forest growth covers it), no N2O on a gain
    assert set(p) == {"soil", "litter"}
    assert fl["flux_tCO2e_an"].sum() == pytest.approx(4 / 6 * 12 * C2)  # 29.33 tCO2e/an
    assert (fl["convention"] == "positif = séquestration, négatif = émission").all()


def test_kinetic_prairie_to_cropland_method_example_c():
    fl = flows_for("231", "211", 6.0)  # 1 ha/an
    p = by_pool(fl)
    assert p["soil"] == pytest.approx(-0.72 * 20 * C2)        # −52.80
    assert p["soil_litter_n2o"] == pytest.approx(-14.4 * K_N2O)  # −5.05
    assert fl["flux_tCO2e_an"].sum() == pytest.approx(-57.85, abs=0.01)
    gain = flows_for("211", "231", 6.0)
    assert gain["flux_tCO2e_an"].sum() == pytest.approx(0.37 * 20 * C2)  # +27.13, no N2O
    assert set(gain["gas"]) == {"CO2"}


def test_instantaneous_cropland_to_wetland():
    fl = flows_for("211", "411", 6.0)  # 1 ha/an, cult_zh 2_1 = +75 tC/ha at once
    assert fl["mode"].tolist() == ["instant"]
    assert fl["flux_tCO2e_an"].sum() == pytest.approx(75 * C2)


def test_sealing_with_80_20_split_method_example_b():
    fl = flows_for("211", "112", 6.0)  # 1 ha/an of cropland to CLC 112
    sealed = fl[fl["to_land_use"] == "artificial_sealed"]
    grassed = fl[fl["to_land_use"] == "artificial_grassed"]
    # 0.8 ha sealed: −20 tC/ha soil; 0.2 ha grassed: +19 tC/ha soil, +0.35 × 20 = 7 tC/ha shrubs
    assert sealed["area_ha_an"].iloc[0] == pytest.approx(0.8)
    assert by_pool(sealed)["soil"] == pytest.approx(0.8 * -20 * C2)
    assert by_pool(grassed)["soil"] == pytest.approx(0.2 * 19 * C2)
    assert by_pool(grassed)["live_biomass"] == pytest.approx(0.2 * 7 * C2)
    # N2O only on the sealed part: 16 tC lost
    assert by_pool(fl)["soil_litter_n2o"] == pytest.approx(-16 * K_N2O)  # −5.61
    assert fl["flux_tCO2e_an"].sum() == pytest.approx(-45.21, abs=0.01)
    whole = flows_for("211", "112", 6.0, sealed_share=pd.Series({"z": 1.0}))
    assert whole["flux_tCO2e_an"].sum() == pytest.approx(-80.34, abs=0.01)  # example A


def test_gwp_265():
    fl = flows_for("211", "112", 6.0, sealed_share=pd.Series({"z": 1.0}), gwp_n2o=265)
    assert by_pool(fl)["soil_litter_n2o"] == pytest.approx(-6.80, abs=0.01)


def test_deforestation_to_sealed():
    fl = flows_for("311", "112", 6.0, sealed_share=pd.Series({"z": 1.0}))
    p = by_pool(fl)
    assert p["soil"] == pytest.approx(-30 * C2)           # 30 − 60
    assert p["litter"] == pytest.approx(-9 * C2)
    assert p["live_biomass"] == pytest.approx(-99.57 * C2)  # GRECO B broadleaf, to 0
    assert p["dead_wood"] == pytest.approx(-6.83 * C2)
    assert p["soil_litter_n2o"] == pytest.approx(-39 * K_N2O)


def test_forest_growth_and_wood_products_by_hand():
    fa = pd.DataFrame({"zone_id": ["z"], "composition": ["feuillus"], "area_ha": [100.0]})
    g = forest_growth(fa, ATTRS)
    # 100 ha × 1.05 tC/ha/an (GRECO B broadleaf net balance) × 44/12 = 385.0 tCO2e/an
    assert g["flux_tCO2e_an"].sum() == pytest.approx(385.0)
    w = wood_products_harvest(fa, ATTRS)
    # BFT = 2.88 m³/ha/an × 100 ha = 288; VAT = 288 × 1.44 = 414.72
    # harvest = 0.9 × 288 + 0.5 × (414.72 − 288) = 322.56 m³/an
    harvest = 0.9 * 288 + 0.5 * (414.72 - 288)
    bo, bi = harvest * 0.354311094618812, harvest * 0.106304710046248  # HdF shares
    expected = 918_161 * bo / 19_253_833.33 + 441_533 * bi / 10_472_666.67
    assert w["flux_tCO2e_an"].sum() == pytest.approx(expected)
    assert expected == pytest.approx(6.90, abs=0.01)


def test_closure_instantaneous_transitions():
    """Stock difference between the two dates = cumulated flows (instant transitions)."""
    before = pd.DataFrame({"zone_id": "z", "code": ["211", "311", "411"],
                           "area_ha": [10.0, 3.0, 2.0]})
    # over 6 years: 1 ha cropland → wetland, 2 ha cropland → CLC 112, 1 ha forest → CLC 112,
    # 1 ha wetland → cropland
    changes = pd.DataFrame({"zone_id": "z", "from_code": ["211", "211", "311", "411"],
                            "to_code": ["411", "112", "112", "211"],
                            "area_ha": [1.0, 2.0, 1.0, 1.0]})
    after = pd.DataFrame({"zone_id": "z", "code": ["211", "311", "411", "112"],
                          "area_ha": [8.0, 2.0, 2.0, 3.0]})
    s0 = compute_stocks(before, ATTRS)["stock_tC"].sum()
    s1 = compute_stocks(after, ATTRS)["stock_tC"].sum()
    fl = compute_flows(changes, ATTRS, years=6)
    carbon = fl[fl["gas"] == "CO2"]["flux_tC_an"].sum() * 6
    assert carbon == pytest.approx(s1 - s0)
    # by hand: +75 (1 ha cult → ZH) −75 (ZH → cult) + 2 × (−10.8) (cult → 80/20 artificial)
    # + 1 × (−136.2) (forest → 80/20 artificial: 175.4 → 39.2 tC/ha)
    assert s1 - s0 == pytest.approx(75 - 75 - 21.6 - 136.2)


def test_ipcc_soil_flux():
    fl = flows_for("231", "211", 6.0, method="ipcc")
    # ZPC 2_1 → warm temperate moist, HAC: SOC_ref 88; cropland 88 × 0.69 = 60.72
    soil = fl[fl["pool"] == "soil"]
    assert soil["unit_flux_tC_ha"].iloc[0] == pytest.approx(88 * 0.69 - 88)
    assert set(soil["method"]) == {"ipcc"}


def test_real_epci_coeur_dostrevent_by_hand():
    """CA Cœur d'Ostrevent (245901152, ZPC 2_1 everywhere): ALDO CLC 2012→2018 changes."""
    from espass_geo.reference import data

    r = eg.flows("epci:245901152", changes=data.aldo_clc_change_epci_path(),
                 wood_products="none")
    raw = r.changes.table.set_index(["from_code", "to_code"])["area_ha"]
    ch = {"133-112": 6.950258938, "133-121": 5.773772353, "211-121": 5.273232227,
          "211-133": 5.284892914, "243-133": 5.451700642, "311-324": 74.71966921,
          "312-324": 9.768920772, "411-133": 1.888942647}
    assert {f"{a}-{b}": v for (a, b), v in raw.items()} == pytest.approx(ch)
    crop_to_art = (ch["211-121"] + ch["211-133"] + ch["243-133"]) / 6  # ha/an
    wet_to_art = ch["411-133"] / 6
    # artificial → artificial and forest → forest (311/312 → 324): no flow
    # cropland → CLC artificial: 0.8 × (−20) + 0.2 × (19 + 7) = −10.8 tC/ha; N2O on 16 tC
    crop = crop_to_art * (-10.8 * C2 - 16 * K_N2O)
    # wetland → artificial: sealed 0.8 × (zh→cult −75 + cult→imp −20 = −95);
    # grassed 0.2 × (69 − 125 = −56) soil + 0.2 × 7 shrubs; N2O on 0.8 × 95 + 0.2 × 56 tC
    wet = wet_to_art * ((0.8 * -95 + 0.2 * -56 + 0.2 * 7) * C2
                        - (0.8 * 95 + 0.2 * 56) * K_N2O)
    assert r.net_flux_tCO2e_an == pytest.approx(crop + wet)
    # 2.668 ha/an × −45.21 + 0.3148 ha/an × −345.2 ≈ −120.6 − 108.7 tCO2e/an
    assert r.net_flux_tCO2e_an == pytest.approx(-229.28, abs=0.01)
    assert r.zan["sealed_ha"].sum() == pytest.approx(ch["211-121"] + ch["211-133"]
                                                     + ch["243-133"] + ch["411-133"])


def test_wood_products_consumption_by_population():
    from espass_geo.reference import data

    r = eg.flows("epci:245901152", changes=data.aldo_clc_change_epci_path(),
                 wood_products="consumption")
    w = r.flows[r.flows["cause"] == "wood_products"]
    com = data.communes_2018()
    pop = com.loc[com["epci"] == "245901152", "population"].astype(float).sum()
    # (918 161 + 441 533) tCO2/an × population / 67 000 000 (national, flagged unverified)
    assert w["flux_tCO2e_an"].sum() == pytest.approx((918_161 + 441_533) * pop / 67_000_000)
