"""Exports for the PCAET ecosystem (espass_geo.present.exports_ecosystem, issue #15 item 3):
the ALDO-shaped export and the Territoires en Transitions (TeT) indicators.

A small bilan built by hand (two zones A and B and their TOTAL rows), the long flow table it
comes from, and a ZAN result with a consumption table; every expected figure is computed below
in a comment.
"""

from __future__ import annotations

import csv
import math
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from espass_geo.present.exports_ecosystem import (
    ALDO_COLUMNS,
    TET_COLUMNS,
    aldo_export,
    aldo_mapping,
    tet_indicators,
    tet_mapping,
    write_bilan_ecosystem_exports,
    write_ecosystem_exports,
)

C_TO_CO2 = 44 / 12
ZONES = {"A": "=cmd|' /C calc'!A0", "B": "{{7*7}}"}

# stocks (tC): zone, land use, pool, value
STOCKS = [("A", "cropland", "soil", 1_000.0), ("A", "forest_broadleaf", "live_biomass", 500.0),
          ("A", "forest_broadleaf", "litter", 90.0), ("B", "grassland_herbaceous", "soil", 800.0),
          ("B", "artificial_sealed", "soil", 200.0), ("B", "hedges", "hedges", 50.0),
          ("B", "unmapped", "soil", 0.0)]
# flows (tCO2e/an, + = sequestration): zone, cause, to_land_use, pool, value
FLOWS = [("A", "land_use_change", "artificial_sealed", "soil", -300.0),
         ("A", "land_use_change", "artificial_sealed", "soil_litter_n2o", -20.0),
         ("A", "forest_growth", "forest:feuillus", "live_biomass", 1_200.0),
         ("A", "wood_products", "wood_products:bo", "wood_products", 40.0),
         ("B", "land_use_change", "grassland_herbaceous", "soil", 60.0),
         ("B", "land_use_change", "forest_broadleaf", "live_biomass", 100.0)]
# direct emissions (tCO2e/an)
EMISSIONS = [("A", "residentiel", 1_000.0), ("B", "industrie", 3_000.0),
             ("B", "transport_routier", 500.0)]


def _bilan() -> pd.DataFrame:
    rows = []
    base = dict(source="test", method="aldo", estimate=False)
    for z, lu, pool, v in STOCKS:
        rows.append(dict(zone_id=z, zone_name=ZONES[z], theme="stocks", category=lu, item=pool,
                         value=v, unit="tC", sign_convention="stock", **base))
    for z, cause, _to, pool, v in FLOWS:
        rows.append(dict(zone_id=z, zone_name=ZONES[z], theme="flux_carbone", category=cause,
                         item=pool, value=v, unit="tCO2e/an",
                         sign_convention="positif = séquestration", **base))
    for z, sector, v in EMISSIONS:
        rows.append(dict(zone_id=z, zone_name=ZONES[z], theme="emissions_secteur",
                         category=sector, item="GES", value=v, unit="tCO2e/an",
                         sign_convention="positif = émission", **base))
    zones = pd.DataFrame(rows)
    keys = ["theme", "category", "item", "unit", "sign_convention", "source", "method",
            "estimate"]
    total = (zones.groupby(keys, sort=False, as_index=False)["value"].sum()
             .assign(zone_id="TOTAL", zone_name="Territoire"))
    return pd.concat([total, zones], ignore_index=True)[list(zones.columns)]


def _flows() -> pd.DataFrame:
    return pd.DataFrame([dict(zone_id=z, cause=c, from_land_use="cropland", to_land_use=to,
                              pool=p, flux_tCO2e_an=v) for z, c, to, p, v in FLOWS])


def _stocks() -> pd.DataFrame:
    # soil rows carry the areas (ha): cropland 10, grassland 8, sealed 2, unmapped 1; the
    # forest's soil is not in the bilan, its area is on its soil row all the same
    areas = {"cropland": 10.0, "grassland_herbaceous": 8.0, "artificial_sealed": 2.0,
             "unmapped": 1.0}
    rows = [dict(zone_id=z, land_use=lu, pool=p, area_ha=areas.get(lu, 0.0), stock_tC=v)
            for z, lu, p, v in STOCKS]
    rows.append(dict(zone_id="A", land_use="forest_broadleaf", pool="soil", area_ha=5.0,
                     stock_tC=0.0))
    return pd.DataFrame(rows)


def _zan() -> SimpleNamespace:
    # hectares consumed per commune, year and destination (the ZAN carbon table); commune Z is
    # outside the territory: its consumption table rows are not counted
    carbon = pd.DataFrame([("A", 2021, "habitat", 1.5), ("A", 2021, "activite", 2.0),
                           ("B", 2021, "habitat", 0.5), ("B", 2022, "route", 3.0),
                           ("A", 2022, "total", 0.25)],
                          columns=["zone_id", "year", "destination", "area_ha"])
    table = pd.DataFrame([("A", 2021, "total", 3.5), ("A", 2022, "total", 0.25),
                          ("B", 2021, "total", 0.5), ("B", 2022, "total", 3.0),
                          ("Z", 2019, "total", 9.0)],
                         columns=["commune_id", "year", "destination", "area_ha"])
    return SimpleNamespace(carbon=carbon, consumption=SimpleNamespace(table=table),
                           accounts=pd.DataFrame({"zone_id": ["A", "B"]}), estimate=True)


def test_mappings_cover_every_land_use_and_pool():
    from espass_geo.reference.factors import land_use_classes

    m = aldo_mapping()
    uses = set(m.loc[m["dimension"] == "land_use", "espass_id"])
    assert set(land_use_classes().index) <= uses
    assert {"soil", "live_biomass", "litter", "dead_wood", "hedges", "wood_products",
            "soil_litter_n2o"} <= set(m.loc[m["dimension"] == "pool", "espass_id"])
    t = tet_mapping()
    assert set(t["confidence"]) <= {"primary", "secondary", "derived", "unverified"}
    # every ALDO category of the flows has a TeT indicator (haies: ALDO has no hedge flow)
    keys = set(t.loc[t["espass_theme"] == "flux_carbone", "espass_key"])
    parents = set(m.loc[m["dimension"] == "land_use", "aldo_parent_id"]) - {"haies"}
    assert parents <= keys


def test_aldo_export_categories_sum_to_the_bilan_totals():
    b = _bilan()
    a = aldo_export(b, flows=_flows(), stocks=_stocks())
    assert list(a.columns) == ALDO_COLUMNS
    s = a[a["section"] == "stocks"]
    f = a[a["section"] == "flux"]
    # stocks: 1 000 + 500 + 90 + 800 + 200 + 50 + 0 = 2 640 tC = 2,64 ktC (÷ 1 000)
    # = 2 640 × 44/12 ÷ 1 000 kteqCO2
    total_stock = b.loc[(b["zone_id"] == "TOTAL") & (b["theme"] == "stocks"), "value"].sum()
    assert total_stock == 2_640.0
    assert s["stock_ktC"].sum() == pytest.approx(2.64, rel=1e-12)
    assert s["stock_kteqCO2"].sum() == pytest.approx(2_640 * C_TO_CO2 / 1000, rel=1e-12)
    # flows: −300 − 20 + 1 200 + 40 + 60 + 100 = 1 080 tCO2e/an = 1,08 kteqCO2/an
    total_flux = b.loc[(b["zone_id"] == "TOTAL") & (b["theme"] == "flux_carbone"),
                       "value"].sum()
    assert total_flux == 1_080.0
    assert f["flux_kteqCO2_an"].sum() == pytest.approx(1.08, rel=1e-12)
    # per ALDO category (ktC): forêts = (500 + 90) / 1000; haies 0,05; the forest area 5 ha
    by = s.groupby("aldo_group")["stock_ktC"].sum()
    assert by["Forêts"] == pytest.approx(0.59) and by["Haies"] == pytest.approx(0.05)
    assert by["Cultures"] == pytest.approx(1.0) and by["Prairies"] == pytest.approx(0.8)
    assert set(s.loc[s["aldo_group"] == "Forêts", "reservoir"]) == {"Biomasse", "Litière"}
    assert s.loc[s["aldo_category"] == "Forêt feuillu", "area_ha"].sum() == 5.0
    assert s["area_ha"].sum() == pytest.approx(10 + 8 + 2 + 1 + 5)  # once per category
    # flows by final land use (kteqCO2/an): artificial (−300 − 20) / 1000, forests (1 200 +
    # 100) / 1000 (growth and afforestation), wood products 0,04, grassland 0,06
    byf = f.groupby("aldo_group")["flux_kteqCO2_an"].sum()
    assert byf.to_dict() == pytest.approx({"Sols artificiels": -0.32, "Forêts": 1.3,
                                           "Produits bois": 0.04, "Prairies": 0.06})
    assert (f["convention"].str.contains("positif = séquestration")).all()
    # ALDO's order: cultures, prairies, … , sols artificiels, forêts, produits bois, haies
    groups = list(dict.fromkeys(s["aldo_group"]))
    assert groups.index("Cultures") < groups.index("Prairies") < groups.index("Forêts") \
        < groups.index("Haies")


def test_aldo_export_without_the_flow_table_keeps_the_totals():
    a = aldo_export(_bilan())  # only the bilan: flows by cause
    f = a[a["section"] == "flux"]
    # forest growth 1 200 → forêts; wood products 40; the land-use changes −300 − 20 + 60 +
    # 100 = −160 in one row « non ventilés »
    byf = f.groupby("aldo_group")["flux_tCO2e_an"].sum()
    assert byf["Forêts"] == 1_200.0 and byf["Produits bois"] == 40.0
    assert byf.filter(like="non ventilés").sum() == pytest.approx(-160.0)
    assert f["flux_tCO2e_an"].sum() == pytest.approx(1_080.0)


def test_tet_sequestration_artificialisation_and_emissions():
    t = tet_indicators(_bilan(), flows=_flows(), zan=_zan(), years=(2012, 2018))
    assert list(t.columns) == TET_COLUMNS

    def v(tid: str, year=None) -> float:
        sel = t[t["tet_id"] == tid]
        if year is not None:
            sel = sel[sel["year"] == year]
        assert len(sel) == 1, (tid, year)
        return float(sel["value"].iloc[0])

    # sequestration, kteq CO2 (tCO2e/an ÷ 1 000): forest 1,3; grassland 0,06 (cultures 0);
    # artificial −0,32; wood products 0,04; total 1,08 = the bilan's flow total ÷ 1 000
    assert v("cae_63.b") == pytest.approx(1.3)
    assert v("cae_63.cb") == pytest.approx(0.06) and v("cae_63.ca") == 0.0
    assert v("cae_63.c") == pytest.approx(0.06)
    assert v("cae_63.db") == pytest.approx(-0.32) and v("cae_63.d") == pytest.approx(-0.32)
    assert v("cae_63.e") == pytest.approx(0.04)
    assert v("cae_63.a") == pytest.approx(1.08)
    seq = t[t["tet_id"].str.startswith("cae_63")]
    assert set(seq["year"]) == {2018} and set(seq["tet_unit"]) == {"kteq CO2"}
    assert set(seq.loc[seq["tet_id"] == "cae_63.a", "aggregate"]) == {True}
    # artificialisation, ha/an, = the ZAN table per year and destination:
    # 2021: habitat 1,5 + 0,5 = 2; activité 2; 2022: routes 3; the 0,25 ha of commune A's
    # total not broken down → destination inconnue; commune Z (outside) never counted
    zan = _zan().carbon.groupby(["year", "destination"])["area_ha"].sum()
    assert v("cae_11.b", 2021) == zan[(2021, "habitat")] == 2.0
    assert v("cae_11.a", 2021) == zan[(2021, "activite")] == 2.0
    assert v("cae_11.d", 2022) == zan[(2022, "route")] == 3.0
    assert v("cae_11.f", 2022) == zan[(2022, "total")] == 0.25
    assert v("cae_11.c", 2021) == 0.0 and v("cae_11.e", 2022) == 0.0
    assert v("cae_11", 2021) == 4.0 and v("cae_11", 2022) == 3.25
    assert set(t.loc[t["tet_id"].str.startswith("cae_11"), "year"]) == {2021, 2022}
    art = t[t["tet_id"].str.startswith("cae_11.")]
    assert art["value"].sum() == pytest.approx(_zan().carbon["area_ha"].sum())
    assert set(art["tet_unit"]) == {"ha/an"} and art["estimate"].all()
    # direct emissions, kteq CO2: 1 + 3 + 0,5 = 4,5; transports (routier) 0,5
    assert v("cae_1.a") == pytest.approx(4.5) and v("cae_1.k") == pytest.approx(0.5)
    assert v("cae_1.c") == pytest.approx(1.0) and v("cae_1.i") == pytest.approx(3.0)
    # sectors the inventory does not give (tertiaire, agriculture, déchets, branche énergie,
    # autres transports) are unknown: empty, never a 0 that TeT would import as measured
    for tid in ("cae_1.d", "cae_1.g", "cae_1.h", "cae_1.j", "cae_1.f"):
        assert math.isnan(v(tid)), tid
        assert "à renseigner" in t.loc[t["tet_id"] == tid, "note"].iloc[0]


def test_files_written_and_formula_safe(tmp_path):
    hostile = "=cmd|' /C calc'!A0"
    files = write_ecosystem_exports(_bilan(), tmp_path, flows=_flows(), stocks=_stocks(),
                                    zan=_zan(), years=(2012, 2018),
                                    meta={"territory_label": hostile})
    assert set(files) == {"export_aldo.csv", "export_aldo.xlsx",
                          "export_territoires_en_transitions.csv"}
    for name in ("export_aldo.csv", "export_territoires_en_transitions.csv"):
        with open(tmp_path / name, encoding="utf-8", newline="") as f:
            fields = [x for row in csv.reader(f) for x in row]
        assert not [x for x in fields if x and x[0] in "=+@\t\r"
                    and not x.lstrip("+").replace(".", "").isdigit()]
    tet = pd.read_csv(tmp_path / "export_territoires_en_transitions.csv")
    assert set(tet["aggregate"]) == {"oui", "non"} and "True" not in set(tet["estimate"])
    back = pd.read_csv(tmp_path / "export_aldo.csv")
    assert back["flux_kteqCO2_an"].sum() == pytest.approx(1.08)
    wb = openpyxl.load_workbook(tmp_path / "export_aldo.xlsx")
    assert wb.sheetnames[0] == "Tableau de bord"
    formulas = [(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows()
                for c in row if c.data_type == "f"]
    assert formulas == []
    cells = {c.value: c for row in wb["Tableau de bord"].iter_rows() for c in row if c.value}
    assert cells[hostile].data_type == "s" and cells[hostile].quotePrefix
    rows = {r[0]: r[1:] for r in wb["Tableau de bord"].iter_rows(values_only=True) if r[0]}
    # the PCAET « cadre de dépôt »: forest 1,3; agricultural soils 0,06; other soils −0,32
    assert rows["Forêt"][0] == pytest.approx(1.3)
    assert rows["Sols agricoles (terres cultivées et prairies)"][0] == pytest.approx(0.06)
    assert rows["Autres sols"][0] == pytest.approx(-0.32)
    assert rows["Forêt"][1] == "Moyenne annuelle 2012-2018"
    assert "Vignes" in rows  # every ALDO category listed, as in ALDO's own export


def test_bilan_result_entry_point(tmp_path):
    b = _bilan()
    b.loc[b["zone_id"] == "B", "zone_name"] = "{{7*7}}"
    result = SimpleNamespace(table=b, flows=SimpleNamespace(flows=_flows()),
                             stocks=SimpleNamespace(stocks=_stocks(),
                                                    territory=SimpleNamespace(label="{{7*7}}")),
                             zan=None, config=SimpleNamespace(years=[2012, 2018], title="T"))
    files = write_bilan_ecosystem_exports(result, tmp_path)
    tet = pd.read_csv(files["export_territoires_en_transitions.csv"])
    assert not tet["tet_id"].str.startswith("cae_11").any()  # no ZAN part: no cae_11
    assert set(tet.loc[tet["tet_id"].str.startswith("cae_63"), "year"]) == {2018}
    wb = openpyxl.load_workbook(files["export_aldo.xlsx"])
    values = {c.value for row in wb["Tableau de bord"].iter_rows() for c in row}
    assert "{{7*7}}" in values and 49 not in values  # user text is data, never a template


def test_a_land_use_missing_from_the_mapping_is_kept_apart():
    b = _bilan()
    extra = b[(b["zone_id"] == "TOTAL") & (b["theme"] == "stocks")].head(1).assign(
        category="mystere", value=7.0)
    a = aldo_export(pd.concat([b, extra], ignore_index=True))
    s = a[a["section"] == "stocks"]
    # 2 640 + 7 = 2 647 tC: the unknown land use is a row « Autre (mystere) » of its own
    assert s["stock_tC"].sum() == pytest.approx(2_647.0)
    other = s[s["aldo_category"] == "Autre (mystere)"]
    assert other["stock_tC"].tolist() == [7.0]
    assert other["aldo_group"].iloc[0].startswith("Sans catégorie ALDO")
