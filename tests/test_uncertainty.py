"""Uncertainty intervals (issue #13 item 4): hand cases, correlation across zones, seed, speed.

Every table is built here by hand; expected values are computed in the comments.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from espass_geo.core import uncertainty as u
from espass_geo.core.bilan_table import TOTAL, build_bilan_table
from espass_geo.errors import FactorError

FACTORS = Path(__file__).resolve().parents[1] / "factors"
Z90 = 1.6448536269514722  # standard normal 95th percentile


def _table(rows):
    """A small uncertainty table: (table, quantity, rel_se, distribution)."""
    return pd.DataFrame(rows, columns=["table", "quantity", "rel_se", "distribution"]).assign(
        source="test", source_year=2026, confidence="derived")


def _comp(values, factors, rse, dist="normal", zones=None):
    return pd.DataFrame({"zone_id": zones or ["z"] * len(values), "value": values,
                         "factor": factors, "rel_se": rse, "distribution": dist})


def test_norm_ppf():
    assert u._norm_ppf(0.95) == pytest.approx(Z90, abs=1e-9)


def test_hand_case_two_independent_normals():
    # 100 tC at 10 % and 200 tC at 5 %, independent: σ = √(10² + 10²) = 14.142 tC;
    # 90 % interval 300 ± 1.645 × 14.142 = [276.74, 323.26]
    c = _comp([100.0, 200.0], ["f1", "f2"], [0.10, 0.05])
    an = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], method="analytic", total=False)
    assert an["value_p05"].iloc[0] == pytest.approx(300 - Z90 * math.sqrt(200), rel=1e-9)
    assert an["value_p95"].iloc[0] == pytest.approx(323.262, abs=1e-3)
    mc = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], n=20000, total=False)
    half_an = Z90 * math.sqrt(200)  # 23.26
    half_mc = (mc["value_p95"].iloc[0] - mc["value_p05"].iloc[0]) / 2
    assert half_mc == pytest.approx(half_an, rel=0.02)
    assert mc["value_p05"].iloc[0] == pytest.approx(276.74, rel=0.02)
    assert mc["value"].iloc[0] == 300.0


def test_sum_of_many_independent_normals_matches_formula():
    # 50 components of 1..50 tC, each its own factor at 20 %: σ² = Σ (0.2 v)²
    v = np.arange(1.0, 51.0)
    c = _comp(list(v), [f"f{i}" for i in range(50)], 0.2)
    sd = math.sqrt(((0.2 * v) ** 2).sum())  # 0.2 × √42925 = 41.44
    mc = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], n=20000, total=False)
    assert (mc["value_p95"].iloc[0] - mc["value_p05"].iloc[0]) / 2 == pytest.approx(
        Z90 * sd, rel=0.02)


def test_same_factor_is_fully_correlated_across_zones():
    # two identical zones of 100 tC each with the SAME factor (10 %): the territory's half-width
    # is 1.645 × 0.1 × 200 = 32.9, twice one zone's 16.45 (independent factors would give √2 ×)
    c = _comp([100.0, 100.0], ["f", "f"], 0.10, zones=["a", "b"])
    r = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], n=4000).set_index("zone_id")
    w = r["value_p95"] - r["value_p05"]
    assert w["a"] == pytest.approx(w["b"])
    assert w[TOTAL] == pytest.approx(2 * w["a"], rel=1e-9)
    assert w["a"] / 2 == pytest.approx(16.45, rel=0.05)
    # independent factors: √2 ×
    ci = _comp([100.0, 100.0], ["f", "g"], 0.10, zones=["a", "b"])
    ri = u.interval_of_sum(ci, "value", ["zone_id"], ["factor"], n=20000).set_index("zone_id")
    wi = ri["value_p95"] - ri["value_p05"]
    assert wi[TOTAL] / wi["a"] == pytest.approx(math.sqrt(2), rel=0.05)


def test_fixed_seed_same_numbers_other_seed_others():
    c = _comp([100.0, 50.0, 20.0], ["a", "b", "c"], [0.3, 0.5, 0.2], dist="lognormal")
    r1 = u.interval_of_sum(c, "value", ["zone_id"], ["factor"])
    r2 = u.interval_of_sum(c, "value", ["zone_id"], ["factor"])
    pd.testing.assert_frame_equal(r1, r2)
    r3 = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], seed=1)
    assert r3["value_p05"].iloc[0] != r1["value_p05"].iloc[0]


@pytest.mark.parametrize("dist", ["normal", "lognormal", "uniform"])
def test_multipliers_mean_one_and_sd(dist):
    m = u._multipliers(np.array([0.3]), np.array([dist], dtype=object), 200000, 7)
    assert m.mean() == pytest.approx(1.0, abs=0.005)
    assert m.std() == pytest.approx(0.3, rel=0.01)
    if dist != "normal":
        assert (m > 0).all()


def test_negative_values_keep_their_sign_and_intervals_contain_point():
    # a flow: +100 sequestration at 30 %, −300 emission at 50 % (lognormal): point −200
    c = _comp([100.0, -300.0], ["g", "e"], [0.3, 0.5], dist="lognormal")
    r = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], total=False).iloc[0]
    assert r["value"] == -200.0
    assert r["value_p05"] < -200.0 < r["value_p95"]


def test_zero_rel_se_gives_point():
    c = _comp([10.0, 5.0], ["a", "b"], 0.0)
    r = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], total=False).iloc[0]
    assert r["value_p05"] == pytest.approx(15.0) and r["value_p95"] == pytest.approx(15.0)


def test_vectorised_ten_thousand_components():
    # 10⁴ components in 500 zones, 200 factors, 2000 draws: one matrix product (no loop over
    # draws); the totals reconcile and every interval contains its point value
    rng = np.random.default_rng(0)
    k = 10_000
    c = pd.DataFrame({"zone_id": [f"z{i % 500:03d}" for i in range(k)],
                      "value": rng.uniform(1, 100, k),
                      "factor": rng.integers(0, 200, k), "rel_se": 0.0,
                      "distribution": "lognormal"})
    rse = np.linspace(0.05, 0.5, 200)
    c["rel_se"] = rse[c["factor"]]
    r = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], n=2000)
    assert len(r) == 501
    assert r.loc[r["zone_id"] == TOTAL, "value"].iloc[0] == pytest.approx(c["value"].sum())
    assert ((r["value_p05"] <= r["value"]) & (r["value"] <= r["value_p95"])).all()


def test_group_chunks_give_the_same_numbers(monkeypatch):
    c = _comp([100.0, 80.0, 60.0, 40.0], ["f", "g", "f", "h"], [0.1, 0.2, 0.1, 0.3],
              zones=["a", "b", "c", "d"])
    full = u.interval_of_sum(c, "value", ["zone_id"], ["factor"])
    monkeypatch.setattr(u, "_MAX_DENSE", 2000)  # one group per chunk (n = 2000 draws)
    chunked = u.interval_of_sum(c, "value", ["zone_id"], ["factor"])
    pd.testing.assert_frame_equal(full, chunked)


def _stocks():
    # two identical zones in ZPC 2_1: 100 ha cropland (50 tC/ha) = 5 000 tC soil,
    # 10 ha broadleaf forest: soil 600 + litter 90 + live biomass 995.7 + dead wood 68.3
    rows = []
    for z in ("a", "b"):
        rows += [(z, "Z" + z, "2_1", "cropland", "soil", 100.0, 50.0, "aldo", "ALDO"),
                 (z, "Z" + z, "2_1", "forest_broadleaf", "soil", 10.0, 60.0, "aldo", "ALDO"),
                 (z, "Z" + z, "2_1", "forest_broadleaf", "litter", 10.0, 9.0, "aldo", "ALDO"),
                 (z, "Z" + z, "2_1", "forest_broadleaf", "live_biomass", 10.0, 99.57, "aldo",
                  "IGN"),
                 (z, "Z" + z, "2_1", "forest_broadleaf", "dead_wood", 10.0, 6.83, "aldo", "IGN")]
    s = pd.DataFrame(rows, columns=["zone_id", "zone_name", "zpc", "land_use", "pool", "area_ha",
                                    "density_tC_ha", "method", "factor_source"])
    s["stock_tC"] = s["area_ha"] * s["density_tC_ha"]
    return s


def test_stock_components_map_each_pool_to_its_table():
    c = u.stock_components(_stocks()).iloc[:5]
    assert c["unc_table"].tolist() == ["aldo_soil_stock_ref", "aldo_soil_stock_ref",
                                       "aldo_litter", "ign_forest_carbon", "ign_forest_carbon"]
    assert c["factor_class"].tolist()[:2] == ["cultures", "forets"]
    assert c["rel_se"].tolist() == [0.15, 0.15, 0.50, 0.10, 0.25]


def test_stock_interval_identical_zones_total_twice():
    s = _stocks()
    r = u.stock_interval(s).set_index("zone_id")
    # one zone: 5 000 + 600 + 90 + 995.7 + 68.3 = 6 754 tC
    assert r.loc["a", "stock_tC"] == pytest.approx(6754.0)
    assert r.loc[TOTAL, "stock_tC"] == pytest.approx(13508.0)
    assert r.loc[TOTAL, "zone_name"] == "Territoire" and r.loc["a", "zone_name"] == "Za"
    w = r["stock_tC_p95"] - r["stock_tC_p05"]
    assert w[TOTAL] == pytest.approx(2 * w["a"], rel=1e-9)  # same factors in both zones
    assert ((r["stock_tC_p05"] < r["stock_tC"]) & (r["stock_tC"] < r["stock_tC_p95"])).all()
    # a ZPC drawn apart: zones in two ZPCs become independent, the total narrows below 2 ×
    s.loc[s["zone_id"] == "b", "zpc"] = "2_2"
    ri = u.stock_interval(s, independent_by=("zpc",)).set_index("zone_id")
    wi = ri["stock_tC_p95"] - ri["stock_tC_p05"]
    assert wi[TOTAL] < 1.9 * wi["a"]


def test_stock_interval_uses_the_given_table():
    # every factor exact except cropland soil at 10 % normal: interval 5 000 ± 1.645 × 500
    t = _table([("aldo_soil_stock_ref", "*", 0.0, "normal"),
                ("aldo_soil_stock_ref", "cultures", 0.10, "normal"),
                ("aldo_litter", "*", 0.0, "normal"), ("ign_forest_carbon", "*", 0.0, "normal")])
    r = u.stock_interval(_stocks()[lambda d: d["zone_id"] == "a"], table=t, n=20000)
    a = r.set_index("zone_id").loc["a"]
    assert (a["stock_tC_p95"] - a["stock_tC_p05"]) / 2 == pytest.approx(Z90 * 500, rel=0.02)


def test_missing_uncertainty_row_is_a_french_error():
    t = _table([("aldo_litter", "*", 0.5, "lognormal")])
    with pytest.raises(FactorError, match="aldo_soil_stock_ref.*factors/uncertainty.csv"):
        u.stock_interval(_stocks(), table=t)


def test_bad_table_rejected():
    t = _table([("aldo_litter", "*", -1, "gamma")])
    with pytest.raises(FactorError, match="rel_se.*\n.*distribution"):
        u.check_uncertainty_table(t)


def _flows():
    # zone a: 1 ha/an grassland → cropland (ZPC 2_1): soil −14.4 tC → −52.8 tCO2e/an (kinetic),
    # N2O −5.05; forest growth 192.5 tCO2e/an. Zone b: the same transition only.
    rec = []
    for z in ("a", "b"):
        rec.append(dict(zone_id=z, zone_name=z.upper(), cause="land_use_change",
                        from_land_use="grassland_herbaceous", to_land_use="cropland",
                        pool="soil", mode="kinetic", method="aldo", factor_source="ALDO",
                        flux_tCO2e_an=-52.8))
        rec.append(dict(zone_id=z, zone_name=z.upper(), cause="land_use_change",
                        from_land_use="grassland_herbaceous", to_land_use="cropland",
                        pool="soil_litter_n2o", mode="instant", method="aldo",
                        factor_source="N2O", flux_tCO2e_an=-5.05))
    rec.append(dict(zone_id="a", zone_name="A", cause="forest_growth",
                    from_land_use="forest:feuillus", to_land_use="forest:feuillus",
                    pool="live_biomass", mode="annual", method="aldo", factor_source="IGN",
                    flux_tCO2e_an=192.5))
    return pd.DataFrame(rec)


def test_flow_components_and_interval():
    f = _flows()
    c = u.flow_components(f)
    assert c["unc_table"].tolist() == ["aldo_soil_flux", "n2o_soil_loss", "aldo_soil_flux",
                                       "n2o_soil_loss", "ign_forest_carbon"]
    assert c["unc_quantity"].tolist()[0] == "kinetic"
    assert c["factor_class"].tolist()[0] == "prairies>cultures"
    r = u.flow_interval(f).set_index("zone_id")
    # a: −52.8 − 5.05 + 192.5 = 134.65; b: −57.85; total 76.8
    assert r.loc["a", "flux_tCO2e_an"] == pytest.approx(134.65)
    assert r.loc[TOTAL, "flux_tCO2e_an"] == pytest.approx(76.8)
    assert ((r["flux_tCO2e_an_p05"] < r["flux_tCO2e_an"])
            & (r["flux_tCO2e_an"] < r["flux_tCO2e_an_p95"])).all()
    # zone b's interval is entirely an emission (multipliers are positive: no sign flip)
    assert r.loc["b", "flux_tCO2e_an_p95"] < 0


def test_flow_interval_analytic_check():
    # normal factors only: zone b = −52.8 (soil 50 %) − 5.05 (N2O 75 %), independent:
    # σ = √(26.4² + 3.7875²) = 26.670; half-width 1.645 × 26.670 = 43.87
    t = _table([("aldo_soil_flux", "*", 0.5, "normal"), ("n2o_soil_loss", "*", 0.75, "normal"),
                ("ign_forest_carbon", "*", 0.3, "normal")])
    f = _flows()[lambda d: d["zone_id"] == "b"]
    r = u.flow_interval(f, table=t, n=40000).set_index("zone_id").loc["b"]
    assert (r["flux_tCO2e_an_p95"] - r["flux_tCO2e_an_p05"]) / 2 == pytest.approx(43.87, rel=0.02)


class _S:  # the bilan builder reads .stocks / .flows / .zones
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_bilan_intervals_zone_and_total_rows():
    s = _stocks()
    f = _flows().assign(zpc="2_1", area_ha_an=1.0, unit_flux_tC_ha=np.nan, flux_tC_an=np.nan,
                        gas="CO2", convention="")
    zones = pd.DataFrame({"zone_id": ["a", "b"], "zone_name": ["A", "B"]})
    bilan = build_bilan_table(stocks=_S(stocks=s), flows=_S(flows=f, zones=zones))
    out = u.bilan_intervals(bilan)
    assert {"value_p05", "value_p95"} <= set(out.columns)
    assert len(out) == len(bilan)
    assert out[["value_p05", "value_p95"]].notna().all().all()
    assert ((out["value_p05"] <= out["value"]) & (out["value"] <= out["value_p95"])).all()
    st = out[(out["theme"] == "stocks") & (out["category"] == "cropland")].set_index("zone_id")
    # cropland soil: 5 000 tC per zone, one factor at 15 % shared: the TOTAL width is 2 ×
    w = st["value_p95"] - st["value_p05"]
    assert w[TOTAL] == pytest.approx(2 * w["a"], rel=1e-9)
    # same numbers as stock_interval for the territory stock
    syn = u.synthesis_intervals(bilan)
    si = u.stock_interval(s).set_index("zone_id").loc[TOTAL]
    assert syn["stock_tC"] == pytest.approx((si["stock_tC_p05"], si["stock_tC_p95"]))
    assert math.isnan(syn["direct_tCO2e_an"][0])
    # with the long flow table: flow_interval's TOTAL (here the bilan reading is the same:
    # one kinetic soil record per zone, same classes)
    syn2 = u.synthesis_intervals(bilan, stocks=s, flows=f)
    fi = u.flow_interval(f).set_index("zone_id").loc[TOTAL]
    assert syn2["flux_tCO2e_an"] == pytest.approx((fi["flux_tCO2e_an_p05"],
                                                   fi["flux_tCO2e_an_p95"]))
    assert syn2["stock_tC"] == pytest.approx(syn["stock_tC"])


def test_bilan_emissions_only_when_estimate():
    # a published inventory row gets the documented default (σ = 10 %: 1 000 → ±164 at
    # 90 %); the demo estimate gets ±50 % at 90 %: 1 000 tCO2e → [500, 1 500] within MC
    # error (normal, σ = 0.304)
    rows = []
    for est, cat in ((False, "industrie"), (True, "residentiel")):
        rows.append(dict(zone_id="a", zone_name="A", theme="emissions_secteur", category=cat,
                         item="GES", value=1000.0, unit="tCO2e/an", sign_convention="",
                         source="inv", method="inventaire", estimate=est))
        rows.append(dict(rows[-1], zone_id=TOTAL, zone_name="Territoire"))
    out = u.bilan_intervals(pd.DataFrame(rows), n=20000)
    pub = out[(out["category"] == "industrie") & (out["zone_id"] == "a")].iloc[0]
    assert (pub["value_p95"] - pub["value_p05"]) / 2 == pytest.approx(164.5, rel=0.05)
    demo = out[(out["category"] == "residentiel") & (out["zone_id"] == "a")].iloc[0]
    # half-width 1.645 × 0.304 × 1 000 = 500 (the 5th percentile alone has a larger MC error)
    assert (demo["value_p95"] - demo["value_p05"]) / 2 == pytest.approx(500, rel=0.03)
    assert demo["value_p05"] == pytest.approx(500, rel=0.05)


def test_shipped_table_is_valid_and_covers_every_factor_table():
    t = u.check_uncertainty_table(pd.read_csv(FACTORS / "uncertainty.csv"))
    assert not t.duplicated(["table", "quantity"]).any()
    assert set(t["confidence"]) <= {"primary", "secondary", "derived", "unverified"}
    for c in ("source", "source_year", "confidence", "note"):
        assert t[c].notna().all(), c
    for name in ("aldo_soil_stock_ref", "aldo_soil_flux", "aldo_litter", "ign_forest_carbon",
                 "aldo_biomass_nonforest", "aldo_biomass_nonforest_flux", "aldo_hedge_carbon",
                 "ipcc_soc_ref", "ipcc_stock_change_factors", "n2o_soil_loss",
                 "wood_products_france"):
        assert name in set(t["table"]), name
        assert (FACTORS / f"{name}.csv").is_file()
    # IPCC 2006 Table 2.3: ±90 % as two standard deviations → 0.45
    assert t.set_index(["table", "quantity"]).loc[("ipcc_soc_ref", "*"), "rel_se"] == 0.45


def test_aldo_epci_flow_records_are_mapped():
    # core/aldo_epci.py records: category / land_use_from / land_use_to, pool soil_litter for N2O
    f = pd.DataFrame({
        "siren": ["1"] * 5,
        "category": ["soil", "n2o", "forest_growth", "wood_products", "agricultural_practice"],
        "land_use_from": ["grassland_herbaceous", "grassland_herbaceous", "", "", ""],
        "land_use_to": ["cropland", "cropland", "forest_broadleaf", "wood_products", "cropland"],
        "ground_type_to": ["cultures", "cultures", "forêt feuillu", "produits bois", "cultures"],
        "pool": ["soil", "soil_litter", "live_biomass", "wood_products", "soil"],
        "detail": ["", "", "", "bo", "haies"],
        "method": "aldo-epci", "factor_source": "ALDO",
        "flux_tCO2e_an": [-52.8, -5.05, 192.5, 2.7, 10.0]})
    c = u.flow_components(f)
    assert c["unc_table"].tolist() == ["aldo_soil_flux", "n2o_soil_loss", "ign_forest_carbon",
                                       "wood_products_france", "practices_aldo"]
    assert c["unc_quantity"].tolist()[:3] == ["kinetic", "*", "net_growth"]  # no mode: kinetic
    assert c["factor_class"].tolist()[2:4] == ["feuillus", "bo"]
    r = u.flow_interval(f, by=("siren",)).set_index("siren")
    assert r.loc["1", "flux_tCO2e_an"] == pytest.approx(147.35)  # −52.8 − 5.05 + 192.5 + 2.7 + 10


def test_many_independent_factors_sparse_path(monkeypatch):
    # 200 zones, each one component of 10 tC with its own normal factor at 20 % (sparse path:
    # 400 pairs × 20 < 200 factors × 201 groups). Zone: ±1.645 × 2 = ±3.29 tC; territory:
    # σ = 2 × √200 = 28.28, ±46.5 tC (independent factors add in quadrature)
    c = _comp([10.0] * 200, [f"f{i}" for i in range(200)], 0.2,
              zones=[f"z{i:03d}" for i in range(200)])
    mc = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], n=20000).set_index("zone_id")
    half = (mc["value_p95"] - mc["value_p05"]) / 2
    assert half[TOTAL] == pytest.approx(Z90 * 2 * math.sqrt(200), rel=0.02)
    assert half.drop(TOTAL).mean() == pytest.approx(Z90 * 2, rel=0.02)
    monkeypatch.setattr(u, "_MAX_DENSE", 20000 * 3)  # a few groups per chunk: same numbers
    chunked = u.interval_of_sum(c, "value", ["zone_id"], ["factor"], n=20000).set_index("zone_id")
    pd.testing.assert_frame_equal(mc, chunked)


def test_scenario_intervals_per_year_same_lever_same_draw():
    # lever « hedges » +100 then +200 tCO2e (years 1, 2) in scenario S; « seal » −50 both years;
    # the « total » rows repeat the sums and are ignored. Normal 50 % factors, one per lever:
    # year 2: 150 ± 1.645 × √(100² + 25²) = 150 ± 169.6
    t = _table([("scenarios", "*", 0.5, "normal")])
    d = pd.DataFrame({"scenario": "S", "year": [1, 2, 1, 2, 1, 2],
                      "lever": ["hedges", "hedges", "seal", "seal", "total", "total"],
                      "cumulative_delta_tCO2e": [100.0, 200.0, -50.0, -50.0, 50.0, 150.0]})
    r = u.scenario_intervals(d, table=t, n=40000).set_index("year")
    assert r.loc[2, "cumulative_delta_tCO2e"] == 150.0
    half = (r.loc[2, "cumulative_delta_tCO2e_p95"] - r.loc[2, "cumulative_delta_tCO2e_p05"]) / 2
    assert half == pytest.approx(Z90 * math.sqrt(100 ** 2 + 25 ** 2), rel=0.02)
