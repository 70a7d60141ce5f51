"""Emissions: hand-computed footprints, crosswalk conservation, land-use post, bad inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from espass_geo.core.emissions import (
    allocate_to_posts,
    consumption_emissions,
    direct_emissions,
    emissions_table,
    import_export_balance,
    inventory_for_zones,
    validate_inventory,
)
from espass_geo.errors import InventoryError
from espass_geo.io.inventory import read_population

SCALE = 9.2 / 12.2  # SDES 2022 total / CGDD 2007 total


def inv(rows):
    return pd.DataFrame(rows, columns=["territory_code", "territory_level", "sector",
                                       "substance", "year", "value", "unit"])


INV = inv([
    ("59183", "commune", "residentiel", "CO2", 2021, 100.0, "t"),
    ("59183", "commune", "residentiel", "CH4", 2021, 1.0, "t"),
    ("59183", "commune", "residentiel", "N2O", 2021, 100.0, "kg"),
    ("59183", "commune", "transport_routier", "GES", 2021, 2.0, "ktCO2e"),
    ("59183", "commune", "Agriculture", "NH3", 2018, 5.0, "t"),
    ("59183", "commune", "transport_routier", "NOx", 2018, 10.0, "t"),
])


def test_direct_emissions_from_gases_and_ges():
    v = validate_inventory(INV)
    d = direct_emissions(v.rename(columns={"territory_code": "zone_id"}))
    ges = d[d["substance"] == "GES"].set_index("category")["emission_tCO2e"]
    # residentiel: 100 t CO2 + 1 t CH4 × 27.9 + 0.1 t N2O × 273 = 155.2 tCO2e (GWP100 AR6)
    assert ges["residentiel"] == pytest.approx(100 + 27.9 + 27.3)
    # transport routier given as GES: 2 ktCO2e = 2 000 tCO2e
    assert ges["transport_routier"] == pytest.approx(2000.0)
    nh3 = d[(d["substance"] == "NH3")]
    assert nh3["category"].tolist() == ["agriculture"]  # French label accepted
    assert nh3["emission_t"].iloc[0] == 5.0


def test_crosswalk_conserves_totals():
    v = validate_inventory(INV).rename(columns={"territory_code": "zone_id"})
    d = direct_emissions(v)
    p = allocate_to_posts(d)
    for sub in ("GES", "NOx", "NH3"):
        col = "emission_tCO2e" if sub == "GES" else "emission_t"
        assert p[p["substance"] == sub][col].sum() == pytest.approx(
            d[d["substance"] == sub][col].sum())
    nox = p[p["substance"] == "NOx"].set_index("category")["emission_t"]
    # transport routier → déplacements 60 %, biens de consommation 40 % (freight)
    assert nox["deplacements"] == pytest.approx(6.0)
    assert nox["biens_consommation"] == pytest.approx(4.0)


def test_consumption_footprint_by_hand_and_land_post():
    pop = pd.DataFrame({"zone_id": ["a"], "population": [1000]})
    flows = pd.DataFrame({"zone_id": ["a"], "flux_tCO2e_an": [250.0]})  # + = sequestration
    c = consumption_emissions(pop, flows).set_index("category")["emission_tCO2e"]
    # 1 000 inhabitants × 2.2 tCO2e (food, 2007) × 9.2/12.2 = 1 659.0 tCO2e/an
    assert c["alimentation"] == pytest.approx(1000 * 2.2 * SCALE)
    assert c["biens_consommation"] == pytest.approx(1000 * 3.7 * SCALE)
    # per-capita total without land use = 9.2 t (SDES 2022)
    assert c.drop("utilisation_terres").sum() == pytest.approx(9200.0)
    # land-use post = carbon flows with the sign flipped: sequestration is a negative emission
    assert c["utilisation_terres"] == pytest.approx(-250.0)


def test_import_export_balance():
    v = validate_inventory(INV).rename(columns={"territory_code": "zone_id"})
    pop = pd.DataFrame({"zone_id": ["59183"], "population": [10]})
    t = emissions_table(v, pop)
    b = import_export_balance(t).set_index("category")
    # déplacements: consumption 10 × 2.5 × 9.2/12.2 vs direct 0.6 × 2 000 tCO2e → exported
    assert b.loc["deplacements", "consumption_tCO2e"] == pytest.approx(10 * 2.5 * SCALE)
    assert b.loc["deplacements", "direct_tCO2e"] == pytest.approx(1200.0)
    assert b.loc["deplacements", "balance_fr"] == "exportées"


def test_inventory_errors_are_listed():
    bad = inv([
        ("59183", "commune", "aviation", "CO2", 2021, 1.0, "t"),
        ("59183", "commune", "residentiel", "O3", 2021, 1.0, "t"),
        ("59183", "commune", "residentiel", "CO2", 2021, -3.0, "t"),
        ("59183", "commune", "residentiel", "CH4", 2021, 3.0, "tCO2e"),
        ("59183", "commune", "residentiel", "NOx", 2021, 3.0, "tCO2e"),
    ])
    with pytest.raises(InventoryError) as e:
        validate_inventory(bad, source="inventaire.csv")
    msg = str(e.value)
    for part in ("inventaire.csv", "aviation", "O3", "négative", "unités incohérentes"):
        assert part in msg, part
    with pytest.raises(InventoryError, match="colonne\\(s\\) manquante"):
        validate_inventory(bad.drop(columns="unit"))


def test_missing_communes_and_population_vintage(tmp_path):
    v = validate_inventory(INV)
    zones = pd.DataFrame({"zone_id": ["59183", "59350"]})
    with pytest.raises(InventoryError, match=r"absente\(s\) de l'inventaire.*59350"):
        inventory_for_zones(v, zones)
    p = tmp_path / "pop.csv"
    p.write_text("insee,population,cog\n59183,86000,2026\n59350,230000,2026\n")
    with pytest.raises(InventoryError, match="COG \\[2026\\].*COG 2018"):
        read_population(p, zones["zone_id"])
    p.write_text("insee,population\n59183,86000\n")
    with pytest.raises(InventoryError, match="59350"):
        read_population(p, zones["zone_id"])


def test_local_footprint_adjustments():
    from espass_geo.core.emissions import consumption_emissions

    pop = pd.DataFrame({"zone_id": ["a", "b"], "population": [1000, 1000]})
    adj = pd.DataFrame({"zone_id": ["*", "b"], "post": ["deplacements", "deplacements"],
                        "factor": [1.2, 0.5],
                        "driver": ["motorisation élevée", "métropole, transports en commun"]})
    c = consumption_emissions(pop, adjustments=adj).set_index(["zone_id", "category"])
    base = 1000 * 2.5 * SCALE  # 1 000 inhabitants × 2.5 t (2007) × 9.2/12.2
    assert c.loc[("a", "deplacements"), "emission_tCO2e"] == pytest.approx(1.2 * base)
    # a zone row wins over the "*" row
    assert c.loc[("b", "deplacements"), "emission_tCO2e"] == pytest.approx(0.5 * base)
    assert c.loc[("a", "alimentation"), "emission_tCO2e"] == pytest.approx(1000 * 2.2 * SCALE)
    bad = adj.assign(factor=[-1, 0.5])
    with pytest.raises(InventoryError, match="> 0"):
        consumption_emissions(pop, adjustments=bad)
    with pytest.raises(InventoryError, match="poste\\(s\\) inconnu"):
        consumption_emissions(pop, adjustments=adj.assign(post=["voyages", "deplacements"]))
