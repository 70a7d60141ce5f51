"""Carbon stocks: hand-computed cases, artificial split, IPCC Tier 1, a real EPCI, density raster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio

import espass_geo as eg
from espass_geo import C_TO_CO2
from espass_geo.core.areas import area_table_from_raster
from espass_geo.core.density import NODATA, write_density_raster, zone_code_lut
from espass_geo.core.stocks import compute_stocks, split_artificial, zone_totals
from espass_geo.errors import PartialCoverageWarning
from espass_geo.io.area_tables import area_table_from_csv


def test_c_to_co2():
    assert C_TO_CO2 == pytest.approx(3.666667, rel=1e-6)


def test_artificial_split_rule():
    lu = pd.DataFrame({"zone_id": ["z", "z", "w", "w"],
                       "land_use": ["artificial_unsplit", "artificial_wooded"] * 2,
                       "area_ha": [100.0, 5.0, 60.0, 40.0]})
    out = split_artificial(lu).set_index(["zone_id", "land_use"])["area_ha"]
    # z: wooded 5 < 0.2 × 105 = 21 -> sealed 0.8 × 105 = 84, grassed 21 − 5 = 16
    assert out["z", "artificial_sealed"] == pytest.approx(84.0)
    assert out["z", "artificial_grassed"] == pytest.approx(16.0)
    assert out["z", "artificial_wooded"] == pytest.approx(5.0)
    # w: wooded 40 ≥ 0.2 × 100 -> CLC kept: 60 sealed, no grassed
    assert out["w", "artificial_sealed"] == pytest.approx(60.0)
    assert ("w", "artificial_grassed") not in out.index
    assert out.groupby(level=0).sum().to_dict() == pytest.approx({"z": 105.0, "w": 100.0})


def test_tiny_raster_stocks_by_hand(tiny_raster, two_zones):
    with pytest.warns(PartialCoverageWarning, match=r"\(B\) : 25,0"):  # 2 no-data ha of 8
        at = area_table_from_raster(two_zones, tiny_raster)
    st = compute_stocks(at.table, two_zones)
    tot = zone_totals(st).set_index("zone_id")
    # A (ZPC 2_1): cropland 4 ha × 50 = 200 tC; 112 4 ha -> sealed 3.2 ha × 30 = 96 tC and
    # grassed 0.8 ha × (69 soil + 7 biomass) = 60.8 tC; total 356.8 tC
    assert tot.loc["A", "stock_tC"] == pytest.approx(356.8)
    # B: grassland 2 ha × 69 = 138; broadleaf forest 4 ha × (60 soil + 9 litter + 99.57 live
    # biomass + 6.83 dead wood, GRECO B) = 4 × 175.4 = 701.6; total 839.6 tC
    assert tot.loc["B", "stock_tC"] == pytest.approx(839.6)
    assert tot.loc["B", "stock_tCO2e"] == pytest.approx(839.6 * 44 / 12)
    assert tot.loc["B", "stock_litter_tC"] == pytest.approx(36.0)
    assert tot.loc["B", "area_ha"] == pytest.approx(6.0)  # 2 ha nodata are not land use
    forest = st[(st["zone_id"] == "B") & (st["land_use"] == "forest_broadleaf")]
    assert set(forest["pool"]) == {"soil", "litter", "live_biomass", "dead_wood"}
    assert (st["stock_tCO2e"] == st["stock_tC"] * C_TO_CO2).all()


def test_density_raster_by_hand(tmp_path, tiny_raster, two_zones):
    with pytest.warns(PartialCoverageWarning):
        at = area_table_from_raster(two_zones, tiny_raster)
    st = compute_stocks(at.table, two_zones)
    lut = zone_code_lut(st, two_zones.drop(columns="geometry"), ["A", "B"])
    out = write_density_raster(tiny_raster, two_zones, lut, tmp_path / "d.tif")
    with rasterio.open(out) as src:
        d = src.read(1)
        assert src.crs.to_epsg() == 2154 and src.nodata == NODATA
    # 211 -> 50; 112 in A -> (3.2 × 30 + 0.8 × 76) / 4 = 39.2; 231 -> 69;
    # 311 -> 60 + 9 + 99.57 + 6.83 = 175.4; nodata stays nodata
    expected = np.array([[50, 50, 69, 69], [50, 50, 175.4, 175.4],
                         [39.2, 39.2, 175.4, NODATA], [39.2, 39.2, 175.4, NODATA]])
    assert np.allclose(d, expected, atol=1e-4)
    # carbon closes: Σ density × 1 ha per pixel = zone stocks (356.8 + 839.6)
    assert d[d != NODATA].sum() == pytest.approx(356.8 + 839.6, rel=1e-6)


def test_ipcc_soil_tier1(tmp_path):
    """method.md §10 G: cropland, cold temperate moist, HAC: 95 × 0.69 = 65.55 tC/ha (ZPC 2_3)."""
    areas = tmp_path / "a.csv"
    areas.write_text("zone_id,code,area_ha\nz,211,10\nz,231,10\n")
    at = area_table_from_csv(areas)
    attrs = pd.DataFrame({"zone_id": ["z"], "zpc": ["2_3"], "region_code": ["32"]})
    ipcc = compute_stocks(at.table, attrs, method="ipcc")
    aldo = compute_stocks(at.table, attrs, method="aldo")
    soil = ipcc[ipcc["pool"] == "soil"].set_index("land_use")
    assert soil.loc["cropland", "density_tC_ha"] == pytest.approx(95 * 0.69)
    assert soil.loc["cropland", "stock_tC"] == pytest.approx(655.5)
    # nominally managed grassland: all factors 1 -> SOC_ref 95
    assert soil.loc["grassland_herbaceous", "density_tC_ha"] == pytest.approx(95.0)
    assert set(soil["method"]) == {"ipcc"}
    # ALDO for ZPC 2_3: cropland 52, prairies 89 tC/ha
    a = aldo[aldo["pool"] == "soil"].set_index("land_use")["density_tC_ha"]
    assert a.to_dict() == {"cropland": 52.0, "grassland_herbaceous": 89.0}


def test_hedges(tmp_path):
    areas = tmp_path / "a.csv"
    areas.write_text("zone_id,code,area_ha\nn,211,10\np,211,10\n")
    at = area_table_from_csv(areas)
    attrs = pd.DataFrame({"zone_id": ["n", "p"], "zpc": ["2_1", "2_1"],
                          "region_code": ["32", "32"], "departement": ["59", "62"]})
    hedges = pd.DataFrame({"zone_id": ["n", "p"], "length_km": [10.0, 10.0]})
    st = compute_stocks(at.table, attrs, hedges=hedges)
    h = st[st["pool"] == "hedges"].set_index("zone_id")["stock_tC"]
    # Nord: 88.8436 tC/km (IGN 2022, shown 88.84 in method.md) × 10 km = 888.44 tC;
    # Pas-de-Calais not in the study: national mean 101.347 tC/km × 10 km = 1 013.47 tC
    assert h["n"] == pytest.approx(888.44, abs=0.01)
    assert h["p"] == pytest.approx(1013.47, abs=0.01)


def test_real_epci_coeur_dostrevent_by_hand():
    """CA Cœur d'Ostrevent (245901152): 21 communes, all in ZPC 2_1, ALDO CLC 2018 areas."""
    from espass_geo.reference import data

    # the ALDO clc18 row for 245901152 (ha)
    a = {"112": 2794.04409, "121": 165.0258939, "122": 75.17512227, "131": 40.13299828,
         "132": 268.400743, "141": 5.199330245, "211": 6625.678031, "231": 715.9923346,
         "242": 597.9054746, "243": 1273.737361, "311": 1187.962836, "312": 37.02835583,
         "324": 196.2460847, "411": 410.8416448}
    table = area_table_from_csv(data.aldo_clc18_epci_path()).table
    row = table[table["zone_id"] == "245901152"].set_index("code")["area_ha"]
    assert row.to_dict() == pytest.approx(a)
    art = a["112"] + a["121"] + a["122"] + a["131"] + a["132"]     # 3 342.78 ha non-wooded
    total_art = art + a["141"]                                     # 3 347.98 ha
    sealed = 0.8 * total_art                                       # wooded 5.2 < 20 %
    grassed = 0.2 * total_art - a["141"]
    expected = (
        sealed * 30                                  # sealed soil
        + grassed * (69 + 7)                         # grassed soil (= prairies) + shrubs
        + a["141"] * (60 + 48)                       # wooded artificial: forest soil + 48
        + (a["211"] + a["242"] + a["243"]) * 50      # cropland
        + a["231"] * 69                              # herbaceous grassland
        + a["311"] * (60 + 9 + 99.57 + 6.83)         # broadleaf, GRECO B
        + a["312"] * (60 + 9 + 79.19 + 4.24)         # conifers, GRECO B
        + a["324"] * (60 + 9 + 82.17 + 7.18)         # 324 -> mixed forest, GRECO B
        + a["411"] * 125                             # wetland
    )
    assert expected == pytest.approx(902_120, rel=1e-5)  # ≈ 902 120 tC
    r = eg.stocks("epci:245901152", areas=data.aldo_clc18_epci_path())
    assert r.zones["zone_id"].tolist() == ["245901152"]
    assert r.total_stock_tC == pytest.approx(expected, rel=1e-9)


def test_epci_table_for_a_commune_territory_says_so():
    from espass_geo.errors import SmallTerritoryWarning
    from espass_geo.reference import data

    with pytest.warns(SmallTerritoryWarning):
        r = eg.stocks("59350", areas=data.aldo_clc18_epci_path())
    assert r.zones["zone_id"].tolist() == ["245900410"]  # Lille → the MEL (2018)
    assert any("EPCI entiers" in n for n in r.notes)
