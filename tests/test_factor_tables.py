"""Checks of the embedded factor tables in ``factors/``.

Values are spot-checked against ``method.md`` (the project's method reference);
each expected value is written here, not read from the sources. The CSVs are
read from the repository (``factors/``), never from the shared data folder.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

FACTORS = Path(__file__).resolve().parents[1] / "factors"
ALLOWED_CONFIDENCE = {"primary", "secondary", "derived", "unverified"}

OWN_TABLES = [
    "land_use_classes.csv", "clc_to_land_use.csv", "aldo_soil_stock_ref.csv", "aldo_commune_zpc.csv",
    "aldo_biomass_nonforest.csv", "aldo_biomass_nonforest_flux.csv", "region_interregion.csv",
    "ign_forest_carbon.csv", "aldo_forest_location_by_region.csv", "aldo_litter.csv", "aldo_hedge_carbon.csv",
    "aldo_artificial_split.csv", "aldo_soil_flux.csv", "ipcc_soc_ref.csv", "ipcc_stock_change_factors.csv",
    "zpc_to_ipcc.csv", "ipcc_land_use_defaults.csv",
]
LAND_USES = {
    "cropland", "grassland_herbaceous", "grassland_shrubby", "grassland_wooded", "forest_broadleaf",
    "forest_conifer", "forest_mixed", "forest_poplar", "wetland", "orchard", "vineyard", "artificial_sealed",
    "artificial_grassed", "artificial_wooded", "artificial_unsplit", "unmapped",
}
CODE_COLUMNS = ["insee", "zpc", "code_clc", "departement", "region_code", "location_code", "inter_region"]


def load(name: str) -> pd.DataFrame:
    # codes as plain strings, no NA guessing
    return pd.read_csv(FACTORS / name, dtype=str, keep_default_na=False, encoding="utf-8")


def val(df: pd.DataFrame, **keys) -> float:
    m = df
    for k, v in keys.items():
        m = m[m[k] == v]
    assert len(m) == 1, f"expected one row for {keys}, got {len(m)}"
    return float(m["value"].iloc[0])


def row(df: pd.DataFrame, **keys) -> pd.Series:
    m = df
    for k, v in keys.items():
        m = m[m[k] == v]
    assert len(m) == 1, f"expected one row for {keys}, got {len(m)}"
    return m.iloc[0]


ALL_CSVS = sorted(p.name for p in FACTORS.glob("*.csv"))


def test_expected_tables_present():
    missing = set(OWN_TABLES) - set(ALL_CSVS)
    assert not missing, missing
    assert "rpg_to_clc.csv" in ALL_CSVS


@pytest.mark.parametrize("name", ALL_CSVS)
def test_provenance_columns(name):
    df = load(name)
    assert len(df) > 0
    for col in ("source", "source_year", "confidence"):
        assert col in df.columns, f"{name}: no {col}"
        assert (df[col].str.strip() != "").all(), f"{name}: blank {col}"
    assert df["source_year"].str.fullmatch(r"\d{4}").all(), f"{name}: source_year not an int year"
    assert set(df["confidence"]) <= ALLOWED_CONFIDENCE, f"{name}: {set(df['confidence']) - ALLOWED_CONFIDENCE}"


@pytest.mark.parametrize("name", OWN_TABLES)
def test_file_format(name):
    raw = (FACTORS / name).read_bytes()
    assert b"\r" not in raw, f"{name}: CR line endings"
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{name}: BOM"
    raw.decode("utf-8")
    df = load(name)
    if "value" in df.columns:
        assert "unit" in df.columns
        pd.to_numeric(df["value"])  # all numeric, none blank
        assert (df["unit"] != "").all()
        cols = list(df.columns)
        assert cols.index("unit") == cols.index("value") + 1
        assert cols.index("source") > cols.index("unit")


def test_land_use_classes():
    lu = load("land_use_classes.csv")
    assert set(lu["land_use"]) == LAND_USES and len(lu) == 16
    assert set(lu["aldo_group"]) <= {"cultures", "prairies", "forets", "zones_humides", "vergers", "vignes",
                                     "sols_artificiels", "none"}
    soil = set(load("aldo_soil_stock_ref.csv")["soil_class"])
    biom = set(load("aldo_biomass_nonforest.csv")["biomass_class"])
    for _, r in lu.iterrows():
        if r["land_use"] in ("artificial_unsplit", "unmapped"):
            assert r["soil_class"] == ""
        else:
            assert r["soil_class"] in soil
        assert r["biomass_class"] in biom | {"forest", ""}
        is_forest = r["land_use"].startswith("forest_")
        assert (r["has_litter"] == "true") == is_forest
        assert (r["biomass_class"] == "forest") == is_forest
        assert r["color_hex"].startswith("#") and len(r["color_hex"]) == 7
    assert row(lu, land_use="forest_poplar")["forest_composition"] == "peupleraies"
    assert row(lu, land_use="forest_poplar")["label_fr"] == "Peupleraies"
    assert row(lu, land_use="cropland")["label_fr"] == "Cultures"


def test_clc_to_land_use():
    c = load("clc_to_land_use.csv")
    assert len(c) == 47 and c["code_clc"].nunique() == 47  # 44 CLC codes + 901-903 (espass_geo)
    assert set(c["land_use"]) <= LAND_USES
    m = dict(zip(c["code_clc"], c["land_use"]))
    for code in ("331", "332", "333", "334", "335"):
        assert m[code] == "unmapped"
    for code in ("211", "212", "213", "241", "242", "243", "244"):
        assert m[code] == "cropland"
    assert m["231"] == m["321"] == "grassland_herbaceous"
    assert m["322"] == "grassland_shrubby" and m["323"] == "grassland_wooded"
    assert m["311"] == "forest_broadleaf" and m["312"] == "forest_conifer"
    assert m["313"] == m["324"] == "forest_mixed"
    assert m["141"] == "artificial_wooded"
    for code in ("111", "112", "121", "122", "123", "124", "131", "132", "133", "142"):
        assert m[code] == "artificial_unsplit"
    for code in ("411", "412", "421", "422", "423", "511", "512", "521", "522", "523"):
        assert m[code] == "wetland"
    assert m["221"] == "vineyard" and m["222"] == m["223"] == "orchard"
    assert row(c, code_clc="111")["color_hex"] == "#E6004D"


def test_soil_stock_ref():
    s = load("aldo_soil_stock_ref.csv")
    assert s["zpc"].nunique() == 14 and len(s) == 14 * 9
    assert val(s, zpc="2_1", soil_class="cultures") == 50
    assert val(s, zpc="2_1", soil_class="prairies") == 69
    assert val(s, zpc="1_1", soil_class="cultures") == 47
    assert val(s, zpc="3_3", soil_class="forets") == 93
    sealed = s[s["soil_class"] == "art_impermeabilises"]
    assert len(sealed) == 14 and (sealed["value"].astype(float) == 30).all()
    assert (s["depth_cm"] == "30").all() and (s["unit"] == "tC/ha").all()
    assert (s[s["soil_class"] == "zones_humides"]["value"].astype(float) == 125).all()


def test_soil_flux():
    f = load("aldo_soil_flux.csv")
    r = row(f, zpc="2_1", from_class="cultures", to_class="prairies")
    assert float(r["value"]) == 0.37 and r["mode"] == "kinetic" and r["unit"] == "tC/ha/an"
    r = row(f, zpc="2_1", from_class="prairies", to_class="cultures")
    assert float(r["value"]) == -0.72 and r["mode"] == "kinetic"
    r = row(f, zpc="2_1", from_class="cultures", to_class="art_impermeabilises")
    assert float(r["value"]) == -20 and r["mode"] == "instant" and r["unit"] == "tC/ha"
    assert val(f, zpc="4_1", from_class="cultures", to_class="forets") == 0.51
    assert row(f, zpc="1_1", from_class="zones_humides", to_class="cultures")["mode"] == "instant"
    assert row(f, zpc="1_1", from_class="cultures", to_class="zones_humides")["mode"] == "instant"
    art = {"art_impermeabilises", "art_enherbes", "art_arbores"}
    for _, x in f.iterrows():
        inst = x["to_class"] in art or "zones_humides" in (x["from_class"], x["to_class"])
        assert x["mode"] == ("instant" if inst else "kinetic")
        assert x["unit"] == ("tC/ha" if inst else "tC/ha/an")


def test_commune_zpc():
    z = load("aldo_commune_zpc.csv")  # national since issue #13 (ALDO dataByCommune/zpc.csv)
    assert len(z) == 35111 and z["insee"].nunique() == 35111
    assert z["insee"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    nord = z[z["insee"].str[:2].isin(["59", "62"])]
    assert len(nord) == 1539  # the 59/62 values unchanged
    assert row(z, insee="59001")["zpc"] == "3_3"
    assert (nord["zpc"].value_counts()["2_1"]) == 409  # method.md §4
    assert set(z["zpc"]) <= set(load("aldo_soil_stock_ref.csv")["zpc"])


def test_biomass_nonforest():
    b = load("aldo_biomass_nonforest.csv")
    assert len(b) == 50
    assert val(b, inter_region="NORD-OUEST", biomass_class="prairies_arborees") == 48
    assert val(b, inter_region="NORD-OUEST", biomass_class="prairies_arbustives") == 7
    assert val(b, inter_region="NORD-OUEST", biomass_class="vergers") == 16
    assert val(b, inter_region="NORD-OUEST", biomass_class="cultures") == 0
    assert val(b, inter_region="CENTRE-EST", biomass_class="art_arbores") == 57
    assert val(b, inter_region="SUD-OUEST", biomass_class="prairies_arborees") == 31


def test_biomass_nonforest_flux():
    f = load("aldo_biomass_nonforest_flux.csv")
    r = row(f, inter_region="NORD-OUEST", from_class="cultures", to_class="prairies_arborees")
    assert float(r["value"]) == 2.4 and r["mode"] == "kinetic" and r["unit"] == "tC/ha/an"
    r = row(f, inter_region="NORD-OUEST", from_class="prairies_arborees", to_class="cultures")
    assert float(r["value"]) == -48 and r["mode"] == "instant" and r["unit"] == "tC/ha"
    assert val(f, inter_region="NORD-OUEST", from_class="cultures", to_class="vergers") == 0.8
    assert val(f, inter_region="NORD-OUEST", from_class="cultures", to_class="art_arbustifs") == 0.35
    q = f[(f["from_class"] == "prairies_arborees") & (f["to_class"] == "zones_humides")]
    assert len(q) == 5 and (q["value"].astype(float) == -57).all()
    assert q["note"].str.contains("quirk").all()
    v = f["value"].astype(float)
    assert (f["mode"] == v.gt(0).map({True: "kinetic", False: "instant"})).all()


def test_region_interregion():
    r = load("region_interregion.csv")
    assert len(r) == 13
    m = dict(zip(r["region_code"], r["inter_region"]))
    assert m["32"] == "NORD-OUEST" and m["84"] == "CENTRE-EST" and m["75"] == "SUD-OUEST"
    assert m["44"] == "NORD-EST" and m["94"] == "SUD-EST"
    assert set(r["inter_region"]) == set(load("aldo_biomass_nonforest.csv")["inter_region"])


def test_ign_forest_carbon():
    g = load("ign_forest_carbon.csv")
    k = dict(location_type="greco", location_code="B", composition="feuillus")
    assert val(g, quantity="live_biomass", **k) == 99.57
    assert val(g, quantity="dead_wood", **k) == 6.83
    assert val(g, quantity="net_growth", **k) == 1.05
    assert val(g, quantity="fexp", **k) == 0.51
    assert val(g, quantity="production_volume", **k) == 5.59
    assert row(g, quantity="net_growth", **k)["unit"] == "tC/ha/an"
    assert val(g, location_type="rad13", location_code="HDF", composition="feuillus", quantity="net_growth") == 0.84
    p = dict(location_type="bassin_populicole", location_code="Nord", composition="peupleraies")
    assert val(g, quantity="live_biomass", **p) == 53.98
    assert val(g, location_type="France", location_code="France", composition="coniferes",
               quantity="live_biomass") == 77.06
    assert set(g["composition"]) >= {"feuillus", "coniferes", "mixtes", "peupleraies"}
    # HdF conifers are not significant at region level -> absent
    assert g[(g["location_code"] == "HDF") & (g["composition"] == "coniferes")].empty


def test_forest_location_by_region():
    loc = load("aldo_forest_location_by_region.csv")
    g = load("ign_forest_carbon.csv")
    for comp in ("feuillus", "coniferes", "mixtes"):
        r = row(loc, region_code="32", composition=comp)
        assert (r["location_type"], r["location_code"]) == ("greco", "B")
    r = row(loc, region_code="32", composition="peupleraies")
    assert (r["location_type"], r["location_code"]) == ("bassin_populicole", "Nord")
    # every metropolitan region, each composition (no catch-all row: an unknown region is an
    # error, never a default)
    assert loc["region_code"].nunique() == 13 and len(loc) == 13 * 4
    assert "*" not in set(loc["region_code"])
    for _, r in loc.iterrows():
        hit = g[(g["location_type"] == r["location_type"]) & (g["location_code"] == r["location_code"])
                & (g["composition"] == r["composition"])]
        assert len(hit) == 7
    assert (loc["confidence"] == "derived").all()


def test_litter():
    lit = load("aldo_litter.csv")
    assert set(lit["land_use"]) == {"forest_broadleaf", "forest_conifer", "forest_mixed", "forest_poplar"}
    assert (lit["value"].astype(float) == 9).all() and (lit["unit"] == "tC/ha").all()


def test_hedges():
    h = load("aldo_hedge_carbon.csv")
    assert len(h) == 31 * 2 + 2
    assert round(val(h, departement="59", quantity="total"), 2) == 88.84
    assert round(val(h, departement="59", quantity="aerial"), 2) == 69.41
    assert round(val(h, departement="02", quantity="total"), 2) == 97.82
    assert val(h, departement="default", quantity="total") == 101.347
    assert "62" not in set(h["departement"])
    deps = h[h["departement"] != "default"]
    assert deps["departement"].str.fullmatch(r"\d{2}").all()
    assert round(deps[deps["quantity"] == "total"]["value"].astype(float).mean(), 3) == 101.347
    assert abs(val(h, departement="default", quantity="aerial")
               - deps[deps["quantity"] == "aerial"]["value"].astype(float).mean()) < 1e-5


def test_artificial_split():
    a = load("aldo_artificial_split.csv")
    assert val(a, parameter="min_vegetated_share") == 0.20
    assert val(a, parameter="sealed_share") == 0.80


def test_ipcc_soc_ref():
    s = load("ipcc_soc_ref.csv")
    assert val(s, climate="cold_temperate_moist", soil_type="hac") == 95
    assert val(s, climate="warm_temperate_moist", soil_type="hac") == 88
    assert val(s, climate="warm_temperate_moist", soil_type="sandy") == 34
    assert val(s, climate="boreal", soil_type="wetland") == 146
    assert s[(s["climate"] == "boreal") & (s["soil_type"] == "lac")].empty  # NA cell skipped
    assert (s["edition"] == "2006").all() and (s["confidence"] == "secondary").all()
    assert len(s) == 9 * 6 - 8


def test_ipcc_stock_change_factors():
    f = load("ipcc_stock_change_factors.csv")
    c = dict(ipcc_land_use="cropland")
    assert val(f, factor="F_LU", level="long_term_cultivated", climate_group="temperate_boreal_moist", **c) == 0.69
    assert val(f, factor="F_LU", level="long_term_cultivated", climate_group="temperate_boreal_dry", **c) == 0.80
    assert val(f, factor="F_MG", level="no_till", climate_group="temperate_boreal_moist", **c) == 1.15
    assert val(f, factor="F_MG", level="reduced_tillage", climate_group="temperate_boreal_moist", **c) == 1.08
    assert val(f, factor="F_I", level="high_with_manure", climate_group="temperate_boreal_moist", **c) == 1.44
    assert val(f, factor="F_MG", level="full_tillage", climate_group="all", **c) == 1.0
    assert val(f, ipcc_land_use="grassland", factor="F_MG", level="improved",
               climate_group="temperate_boreal_moist") == 1.14
    assert row(f, ipcc_land_use="grassland", factor="F_MG", level="severely_degraded",
               climate_group="all")["confidence"] == "unverified"
    assert (f["unit"] == "dimensionless").all()


def test_zpc_to_ipcc():
    z = load("zpc_to_ipcc.csv")
    assert set(z["zpc"]) == set(load("aldo_soil_stock_ref.csv")["zpc"])
    r = row(z, zpc="3_3")
    assert (r["ipcc_climate"], r["ipcc_soil_type"], r["ipcc_climate_group"]) == (
        "cold_temperate_moist", "hac", "temperate_boreal_moist")
    r = row(z, zpc="1_1")
    assert (r["ipcc_climate"], r["ipcc_soil_type"]) == ("warm_temperate_moist", "sandy")
    assert row(z, zpc="2_2")["ipcc_climate_group"] == "temperate_boreal_dry"
    soc = load("ipcc_soc_ref.csv")
    for _, r in z.iterrows():  # every ZPC resolves to an IPCC SOC_ref cell
        val(soc, climate=r["ipcc_climate"], soil_type=r["ipcc_soil_type"])
    assert (z["confidence"] == "derived").all()


def test_ipcc_land_use_defaults():
    d = load("ipcc_land_use_defaults.csv")
    assert set(d["land_use"]) == LAND_USES
    f = load("ipcc_stock_change_factors.csv")
    r = row(d, land_use="cropland")
    assert (r["f_lu_level"], r["f_mg_level"], r["f_i_level"]) == ("long_term_cultivated", "full_tillage", "medium")
    assert row(d, land_use="orchard")["f_lu_level"] == "perennial_tree_crop"
    assert row(d, land_use="wetland")["soil_type_override"] == "wetland"
    for lu in ("artificial_sealed", "artificial_grassed", "artificial_wooded"):
        assert row(d, land_use=lu)["f_lu_level"] == "aldo_fallback"
    # every level that is not a token resolves to a factor row
    for _, r in d.iterrows():
        for fac, col in (("F_LU", "f_lu_level"), ("F_MG", "f_mg_level"), ("F_I", "f_i_level")):
            if r[col] in ("aldo_fallback", "unity"):
                continue
            hit = f[(f["ipcc_land_use"] == r["ipcc_land_use"]) & (f["factor"] == fac) & (f["level"] == r[col])]
            assert len(hit) >= 1, (r["land_use"], fac, r[col])
