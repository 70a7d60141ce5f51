"""Checks of the emission tables in ``factors/`` (PCAET sectors, substances, ESPASS posts,
consumption footprint, sector -> post crosswalk, Hauts-de-France totals, demo inventory,
GHG/air synergies).

Expected numbers are written here from ``method.md`` §11–§13 (not read from the sources).
Everything is read from the repository; nothing from the shared data folder.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
FACTORS = ROOT / "factors"

SECTORS = {"residentiel", "tertiaire", "transport_routier", "autres_transports", "agriculture", "dechets",
           "industrie", "branche_energie"}
POSTS = {"alimentation", "biens_consommation", "deplacements", "residentiel", "services", "travaux",
         "utilisation_terres"}
POLLUTANTS = ["NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3"]
SUBSTANCES = {"CO2", "CH4", "N2O", "GES", *POLLUTANTS}


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FACTORS / name, dtype=str, keep_default_na=False, encoding="utf-8")


def one(df: pd.DataFrame, **keys) -> pd.Series:
    m = df
    for k, v in keys.items():
        m = m[m[k] == v]
    assert len(m) == 1, f"expected one row for {keys}, got {len(m)}"
    return m.iloc[0]


def test_pcaet_sectors():
    s = load("pcaet_sectors.csv")
    assert len(s) == 8 and set(s["sector"]) == SECTORS
    assert one(s, sector="industrie")["label_fr"] == "Industrie hors branche énergie"
    assert "réallouée" in one(s, sector="branche_energie")["ghg_scope_note"]


def test_substances():
    s = load("substances.csv")
    assert set(s["substance"]) == SUBSTANCES and len(s) == 10
    assert float(one(s, substance="CH4")["gwp_ar6"]) == 27.9 and float(one(s, substance="CH4")["gwp_ar5"]) == 28
    assert float(one(s, substance="N2O")["gwp_ar6"]) == 273 and float(one(s, substance="N2O")["gwp_ar5"]) == 265
    assert float(one(s, substance="CO2")["gwp_ar6"]) == 1
    g = one(s, substance="GES")
    assert g["unit"] == "tCO2e" and float(g["gwp_ar6"]) == 1
    for p in POLLUTANTS:
        r = one(s, substance=p)
        assert r["kind"] == "pollutant" and r["unit"] == "t" and r["gwp_ar6"] == r["gwp_ar5"] == ""


def test_espass_posts():
    p = load("espass_posts.csv")
    assert len(p) == 7 and set(p["post"]) == POSTS
    assert (p["confidence"] == "unverified").all()  # method.md §12: post list ❌


def test_consumption_per_capita():
    c = load("consumption_per_capita.csv")
    assert set(c["post"]) == POSTS and len(c) == 7
    v = {r["post"]: float(r["value_2007"]) for _, r in c.iterrows() if r["value_2007"]}
    assert v == {"deplacements": 2.5, "alimentation": 2.2, "residentiel": 1.4, "travaux": 0.5, "services": 1.9,
                 "biens_consommation": 3.7}
    # residual: 12.2 - (2.5 + 2.2 + 1.4 + 0.5 + 1.9) = 12.2 - 8.5 = 3.7
    assert abs(12.2 - (2.5 + 2.2 + 1.4 + 0.5 + 1.9) - v["biens_consommation"]) < 1e-9
    assert abs(sum(v.values()) - 12.2) < 1e-9
    # rescaled to the SDES 2022 total: value_2007 x 9.2 / 12.2, summing to 9.2
    scaled = {r["post"]: float(r["scaled_value"]) for _, r in c.iterrows() if r["scaled_value"]}
    for post, x in v.items():
        assert abs(scaled[post] - x * 9.2 / 12.2) < 1e-6
    assert abs(sum(scaled.values()) - 9.2) < 1e-5
    assert abs(scaled["deplacements"] - 1.885246) < 1e-6  # 2.5 x 9.2 / 12.2
    lu = one(c, post="utilisation_terres")
    assert lu["value_2007"] == "" and lu["scaled_value"] == "" and "land-use carbon flows" in lu["note"]
    assert "not separated" in one(c, post="travaux")["note"].lower()
    assert (c[c["post"] != "utilisation_terres"]["reference_year"] == "2022").all()


def test_crosswalk():
    x = load("sector_post_crosswalk.csv")
    assert set(x["sector"]) == SECTORS and set(x["post"]) <= POSTS
    sums = x.assign(share=x["share"].astype(float)).groupby("sector")["share"].sum()
    for sector, total in sums.items():
        assert abs(total - 1) < 1e-12, sector
    assert float(one(x, sector="transport_routier", post="deplacements")["share"]) == 0.6
    assert float(one(x, sector="industrie", post="travaux")["share"]) == 0.3
    assert (x["confidence"] == "derived").all()
    assert not x.duplicated(["sector", "post"]).any()


def test_regional_inventory():
    r = load("regional_inventory_hdf.csv")
    assert (r["region_code"] == "32").all()
    assert set(r["sector"]) == SECTORS | {"total"}
    assert set(r["substance"]) == {"GES", *POLLUTANTS}
    assert len(r) == 7 * 9 and not r.duplicated(["sector", "substance"]).any()
    r["v"] = r["value"].astype(float)
    ges = r[r["substance"] == "GES"]
    assert (ges["unit"] == "tCO2e").all() and (ges["year"] == "2021").all()
    sector_sum = ges[ges["sector"] != "total"]["v"].sum()
    assert abs(sector_sum / 1e6 - 48.0) <= 0.2  # 17.8 + 12.5 + 7.1 + 6.3 + 3.5 + 0.5 + 0.3 = 48.0 MtCO2e
    assert float(one(ges, sector="total")["value"]) == 48.0e6
    assert float(one(ges, sector="industrie")["value"]) == 17.8e6
    # transport 12.5 Mt split 0.95 / 0.05 by assumption
    assert abs(float(one(ges, sector="transport_routier")["value"]) - 0.95 * 12.5e6) < 1e-6
    assert one(ges, sector="autres_transports")["confidence"] == "unverified"
    # NOx road = 0.44 x 90.7 kt = 39 908 t
    nox = r[r["substance"] == "NOx"]
    assert abs(float(one(nox, sector="transport_routier")["value"]) - 0.44 * 90.7e3) < 1e-6
    assert one(nox, sector="transport_routier")["confidence"] == "primary"
    for sub, kt in (("NOx", 90.7), ("PM10", 28.8), ("PM2.5", 17.2), ("NH3", 40.6)):
        assert float(one(r, substance=sub, sector="total")["value"]) == kt * 1e3
    for sub in POLLUTANTS:
        d = r[(r["substance"] == sub) & (r["sector"] != "total")]
        assert (d["year"] == "2018").all() and (d["unit"] == "t").all()
        total = float(one(r, substance=sub, sector="total")["value"])
        assert abs(d["v"].sum() - total) < 1e-6 * total  # the sector shares close to 1
        assert (d["v"] >= 0).all()
    for sub in ("SO2", "COVNM"):  # not retrieved: estimates, flagged
        assert (r[r["substance"] == sub]["confidence"] == "unverified").all()
    assert abs(float(one(r, substance="PM2.5", sector="residentiel")["value"]) - 0.44 * 17.2e3) < 1e-6
    assert abs(float(one(r, substance="NH3", sector="agriculture")["value"]) - 0.96 * 40.6e3) < 1e-6


def test_population():
    p = load("population_hdf.csv")
    ref = p[p["downscaling_reference"] == "true"]
    assert len(ref) == 1
    assert 5.9e6 < float(ref["population"].iloc[0]) < 6.1e6


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    d = pd.read_csv(FACTORS / "demo_inventory_communes_59_62.csv.gz", dtype=str, keep_default_na=False)
    d["v"] = d["value"].astype(float)
    return d


def test_demo_inventory_shape(demo):
    assert list(demo.columns[:7]) == ["territory_code", "territory_level", "sector", "substance", "year", "value",
                                      "unit"]
    assert demo["territory_code"].nunique() == 1539
    assert demo["territory_code"].str.fullmatch(r"(59|62)\d{3}").all()
    assert (demo["territory_level"] == "commune").all()
    assert set(demo["sector"]) == SECTORS and set(demo["substance"]) == {"GES", *POLLUTANTS}
    assert len(demo) == 1539 * 8 * 7 and not demo.duplicated(["territory_code", "sector", "substance"]).any()
    assert (demo["v"] >= 0).all()
    assert (demo["confidence"] == "derived").all() and demo["source"].str.contains("NOT an inventory").all()
    assert set(demo[demo["substance"] == "GES"]["unit"]) == {"tCO2e"}
    assert set(demo[demo["substance"] == "GES"]["year"]) == {"2021"}
    assert set(demo[demo["substance"] != "GES"]["unit"]) == {"t"}
    assert set(demo[demo["substance"] != "GES"]["year"]) == {"2018"}


def test_demo_inventory_sums(demo):
    # target(sector, substance) = regional value x pop(59+62) / pop(HdF), with pop(59+62) the sum of the
    # commune table (4 077 886, INSEE 2015) and pop(HdF) the reference row of population_hdf.csv (6 009 976):
    # share = 4 077 886 / 6 009 976 = 0.678520...
    com = pd.read_csv(ROOT / "boundaries" / "communes_epci_2018_59_62.csv", dtype={"insee": str})
    pop = load("population_hdf.csv")
    share = com["population"].sum() / float(pop[pop["downscaling_reference"] == "true"]["population"].iloc[0])
    assert abs(share - 4077886 / 6009976) < 1e-12
    reg = load("regional_inventory_hdf.csv")
    reg = reg[reg["sector"] != "total"]
    sums = demo.groupby(["sector", "substance"])["v"].sum()
    assert len(sums) == len(reg) == 56
    # the large point sources (factors/point_sources_demo_59_62.csv, #15 item 5) are placed
    # whole in their commune; only the rest of the regional total is shared by population:
    # target = points + (regional − points) × share
    pts = load("point_sources_demo_59_62.csv")
    points = pts.assign(t=pts["emission_t"].astype(float)).groupby(["sector", "substance"])["t"].sum()
    for _, r in reg.iterrows():
        p = float(points.get((r["sector"], r["substance"]), 0.0))
        target = p + (float(r["value"]) - p) * share
        got = sums[(r["sector"], r["substance"])]
        assert abs(got - target) <= 1e-6 * target or (target == 0 and got == 0), (r["sector"], r["substance"])
    # e.g. NOx road: 39 908 t x 0.678520 = 27 078.1 t in Nord + Pas-de-Calais
    assert abs(sums[("transport_routier", "NOx")] - 39908 * 4077886 / 6009976) < 1e-3


def test_synergies():
    s = load("ghg_air_synergies.csv")
    assert len(s) >= 15
    assert set(s["scope"]) == {"post", "lever"}
    assert set(s[s["scope"] == "post"]["item"]) == POSTS
    levers = {"convert_forest", "convert_grassland", "convert_wetland", "seal", "practice:directSowingContinuous",
              "practice:catchCrops", "practice:cropsAgroforestry", "practice:prairieIntensification", "hedges"}
    assert levers <= set(s["item"])
    for col in ["ghg_effect", *POLLUTANTS]:
        assert set(s[col].astype(int)) <= {-1, 0, 1}, col
    assert int(one(s, item="seal")["ghg_effect"]) == -1
    wood = one(s, item="energy:residentiel:wood_replaces_fuel_oil")
    assert (int(wood["ghg_effect"]), int(wood["PM2.5"]), int(wood["COVNM"])) == (1, -1, -1)
    assert int(one(s, item="convert_forest")["COVNM"]) == -1
    assert set(s["confidence"]) <= {"secondary", "unverified"}
    assert (s["explanation_fr"].str.len() > 20).all()
