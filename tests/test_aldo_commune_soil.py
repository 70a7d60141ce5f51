"""Method « aldo » (alias « aldo-commune », issue #13 item 1): on whole EPCI given by a per-EPCI
area table, the soil of each land use is priced with ALDO's per-EPCI soil reference (table
Ref_Sols, factors/aldo_epci/ground.csv.gz), which weights each land use by where it lies,
instead of the ZPC mix of the EPCI weighted by commune area. Communes keep their own ZPC."""

from __future__ import annotations

import pandas as pd
import pytest

import espass_geo as eg
from espass_geo.core.aldo_epci import aldo_epci_stocks
from espass_geo.core.stocks import compute_stocks
from espass_geo.errors import SmallTerritoryWarning
from espass_geo.io.area_tables import area_table_from_csv
from espass_geo.reference import data
from espass_geo.reference.factors import aldo_epci_soil_densities, canonical_method

DESVRES = "200018083"  # CC de Desvres-Samer (Pas-de-Calais): communes in ZPC 2_1, 4_1, 4_3
EPCI_NOTE = "références ALDO par EPCI"


def _sirens_59_62() -> list[str]:
    com = data.communes_2018()
    return sorted(set(com.loc[com["departement"].astype(str).isin(["59", "62"]), "epci"]
                      .astype(str)))


def _soil_by_group(stocks: pd.DataFrame, zone_col: str) -> pd.Series:
    s = stocks[stocks["pool"] == "soil"].copy()
    s["group"] = (s["land_use"].str.replace(r"^grassland_.*", "grassland", regex=True)
                  .str.replace(r"^forest_.*", "forest", regex=True))
    out = s.groupby([zone_col, "group"])["stock_tC"].sum()
    out.index.names = ["zone_id", "group"]
    return out


@pytest.fixture(scope="module")
def regional():
    sirens = _sirens_59_62()
    assert len(sirens) == 37
    return sirens, eg.stocks("epci:" + ",".join(sirens), areas=data.aldo_clc18_epci_path())


def test_37_epci_soil_equals_aldo_epci(regional):
    """Soil per EPCI × land use = aldo-epci's soil (aldo_epci_stocks, pool soil): same areas
    (ALDO CLC 2018 per EPCI), same per-EPCI references. Within 0.5 % for cropland and
    grassland (it is exact to float rounding), and for the whole soil pool."""
    sirens, r = regional
    assert r.method == "aldo"
    assert any(EPCI_NOTE in n for n in r.notes)
    mine = _soil_by_group(r.stocks, "zone_id")
    ref = _soil_by_group(aldo_epci_stocks(sirens), "siren")
    both = pd.concat([mine.rename("mine"), ref.rename("aldo")], axis=1).fillna(0.0)
    for group in ("cropland", "grassland"):
        g = both.xs(group, level="group")
        assert len(g) == 37 and (g["aldo"] > 0).all()
        assert ((g["mine"] / g["aldo"] - 1).abs() < 0.005).all()
        assert g["mine"].to_numpy() == pytest.approx(g["aldo"].to_numpy(), rel=1e-9)
    # the whole soil pool of the 37 EPCI, ≈ 70.57 MtC in both
    assert both["mine"].sum() == pytest.approx(both["aldo"].sum(), rel=1e-9)
    assert both["mine"].sum() / 1e6 == pytest.approx(70.57, abs=0.005)


def test_one_epci_by_hand(regional):
    """CC de Desvres-Samer, ALDO clc18 row (ha): 211 = 9 432.625977, 242 = 6 789.699374,
    243 = 235.4262175 -> cropland 16 457.7516 ha; 231 = 4 515.102548 ha of grassland.
    ALDO's per-EPCI references (ground.csv, SIREN 200018083): cultures 50.03512862 tC/ha,
    prairies 80.55185708 tC/ha. Soil: 16 457.7516 × 50.0351 = 823 465.7 tC of cropland,
    4 515.1025 × 80.5519 = 363 699.9 tC of grassland. The commune-area ZPC mix (seven ZPC,
    1_1 to 4_3) gave 841 406 tC (51.13 tC/ha, +2.2 %) and 370 490 tC (82.06 tC/ha, +1.9 %)."""
    _, r = regional
    crop = 9432.625977 + 6789.699374 + 235.4262175
    grass = 4515.102548
    soil = _soil_by_group(r.stocks, "zone_id")
    assert soil[(DESVRES, "cropland")] == pytest.approx(crop * 50.03512862, rel=1e-9)
    assert soil[(DESVRES, "cropland")] == pytest.approx(823_465.7, abs=0.1)
    assert soil[(DESVRES, "grassland")] == pytest.approx(grass * 80.55185708, rel=1e-9)
    assert soil[(DESVRES, "grassland")] == pytest.approx(363_699.9, abs=0.1)
    s = r.stocks[(r.stocks["zone_id"] == DESVRES) & (r.stocks["pool"] == "soil")
                 & (r.stocks["land_use"] == "cropland")]
    assert s["density_tC_ha"].to_numpy() == pytest.approx(50.03512862)
    assert s["factor_source"].str.contains("Ref_Sols").all()
    assert (s["method"] == "aldo").all()


def test_zpc_override_and_ipcc_keep_the_zpc_references():
    """--zpc 2_1 imposes the ZPC: cropland 50 tC/ha (aldo_soil_stock_ref.csv), not 50.035;
    ipcc prices the soil with IPCC Tier 1, never with ALDO's per-EPCI table; no EPCI note."""
    areas = data.aldo_clc18_epci_path()
    forced = eg.stocks(f"epci:{DESVRES}", areas=areas, zpc="2_1")
    c = forced.stocks[(forced.stocks["pool"] == "soil")
                      & (forced.stocks["land_use"] == "cropland")]
    assert (c["density_tC_ha"] == 50.0).all()
    assert not any(EPCI_NOTE in n for n in forced.notes)
    ipcc = eg.stocks(f"epci:{DESVRES}", areas=areas, method="ipcc")
    soil = ipcc.stocks[ipcc.stocks["pool"] == "soil"]
    assert not soil["factor_source"].str.contains("Ref_Sols").any()
    assert not any(EPCI_NOTE in n for n in ipcc.notes)


def test_commune_zones_unchanged(tmp_path):
    """Two communes of the CC de Desvres-Samer, each wholly one land use (areas = their
    polygon areas): 62022 (ZPC 2_1) 999.78 ha of cropland × 50 tC/ha = 49 989.0 tC;
    62104 (ZPC 4_1) 542.51 ha of grassland × 84 tC/ha = 45 570.84 tC (aldo_soil_stock_ref.csv,
    as before #13) — not the EPCI's 50.035 / 80.552 tC/ha."""
    areas = tmp_path / "communes.csv"
    areas.write_text("zone_id,code,area_ha\n62022,211,999.78\n62104,231,542.51\n")
    for method in ("aldo", "aldo-commune"):
        with pytest.warns(SmallTerritoryWarning):
            r = eg.stocks("62022,62104", areas=areas, method=method)
        assert r.method == "aldo"
        soil = r.stocks[r.stocks["pool"] == "soil"].set_index("zone_id")
        assert soil.loc["62022", "stock_tC"] == pytest.approx(999.78 * 50)  # 49 989.0
        assert soil.loc["62104", "stock_tC"] == pytest.approx(542.51 * 84)  # 45 570.84
        assert not soil["factor_source"].str.contains("Ref_Sols").any()
        assert not any(EPCI_NOTE in n for n in r.notes)


def test_aldo_commune_is_aldo(regional):
    """« aldo-commune » is another name of « aldo »: same stocks, outputs say « aldo »."""
    sirens, r = regional
    alias = eg.stocks("epci:" + ",".join(sirens), areas=data.aldo_clc18_epci_path(),
                      method="aldo-commune")
    assert alias.method == "aldo"
    assert set(alias.stocks["method"]) == {"aldo"}
    pd.testing.assert_frame_equal(alias.stocks, r.stocks)
    assert alias.notes == r.notes
    assert canonical_method("aldo-commune") == "aldo"
    assert canonical_method("ipcc") == "ipcc"


def test_compute_stocks_soil_densities_replace_the_zpc_mix(tmp_path):
    """One zone split 25 % ZPC 2_1 / 75 % ZPC 4_1, 10 ha of cropland: ZPC mix
    10 × (0.25 × 50 + 0.75 × 48) = 485 tC; with a per-zone soil reference of 52 tC/ha,
    10 × 52 = 520 tC whatever the mix; method ipcc ignores the references."""
    areas = tmp_path / "a.csv"
    areas.write_text("zone_id,code,area_ha\nZ,211,10\n")
    at = area_table_from_csv(areas)
    attrs = pd.DataFrame({"zone_id": ["Z", "Z"], "zpc": ["2_1", "4_1"],
                          "region_code": ["32", "32"], "zpc_weight": [0.25, 0.75]})
    refs = pd.DataFrame({"zone_id": ["Z"], "land_use": ["cropland"], "density_tC_ha": [52.0],
                         "factor_source": ["hand"], "confidence": ["primary"]})

    def soil(**kw):
        st = compute_stocks(at.table, attrs, **kw)
        return st.loc[st["pool"] == "soil", "stock_tC"].sum()

    assert soil() == pytest.approx(485.0)
    assert soil(soil_densities=refs) == pytest.approx(520.0)
    assert soil(soil_densities=refs, method="aldo-commune") == pytest.approx(520.0)
    assert soil(soil_densities=refs, method="ipcc") == pytest.approx(soil(method="ipcc"))


def test_aldo_epci_soil_densities_reads_the_first_row_and_refuses_unknown():
    from espass_geo.errors import FactorError

    d = aldo_epci_soil_densities([DESVRES], ["cropland", "grassland_wooded", "forest_poplar",
                                             "artificial_grassed", "unmapped"])
    v = d.set_index("land_use")["density_tC_ha"]
    assert v["cropland"] == pytest.approx(50.03512862)
    assert v["grassland_wooded"] == pytest.approx(80.55185708)       # prairies
    assert v["forest_poplar"] == pytest.approx(75.25333442)          # forêts
    assert v["artificial_grassed"] == pytest.approx(80.55185708)     # sols artificiels enherbés
    assert v["unmapped"] == 0.0
    with pytest.raises(FactorError, match="ground.csv.gz"):
        aldo_epci_soil_densities(["999999999"], ["cropland"])
