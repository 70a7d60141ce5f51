"""Exports of the bilan (espass_geo.present.exports): XLSX with "Lisez-moi", French and plain CSV.

Same synthetic bilan as tests/test_report.py (two zones and their TOTAL rows, every theme):
each theme sheet holds the bilan's rows of the theme, so its "Valeur" column sums to the
bilan's sum for that theme (e.g. stocks: 2 × 125 000 tC = 250 000 tC, TOTAL + zones).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from espass_geo.errors import OutputError
from espass_geo.present.exports import (
    README_SHEET,
    SHEET_NAMES_FR,
    SYNTHESIS_SHEET,
    bilan_frame_fr,
    params_fr,
    round_for_reading,
    synthesis_figures,
    write_csv,
    write_csv_fr,
    write_xlsx,
)

ZONES = {"A": "Saint-Étienne-test", "B": "Châteauneuf; «sur» Isère", "TOTAL": "Territoire"}
# theme -> unit, {zone: [(category, item, value)]}
SPEC = {
    "stocks": ("tC", {"A": [("cropland", "soil", 30_000.0), ("forest_broadleaf",
                                                               "live_biomass", 50_000.5)],
                      "B": [("grassland_herbaceous", "soil", 15_000.25)]}),
    "flux_carbone": ("tCO2e/an", {"A": [("forest_growth", "live_biomass", 8_000.0)],
                                  "B": [("land_use_change", "soil", -1_234.5)]}),
    "emissions_secteur": ("tCO2e/an", {"A": [("residentiel", "GES", 40_000.0)],
                                       "B": [("transport_routier", "GES", 15_000.75)]}),
    "emissions_poste": ("tCO2e/an", {"A": [("alimentation", "GES", 50_000.0),
                                           ("utilisation_terres", "GES", -8_000.0)],
                                     "B": [("deplacements", "GES", 40_000.0),
                                           ("utilisation_terres", "GES", 1_234.5)]}),
    "emissions_poste_direct": ("tCO2e/an", {"A": [("residentiel", "GES", 40_000.0)],
                                            "B": [("deplacements", "GES", 15_000.75)]}),
    "polluants": ("t/an", {"A": [("transport_routier", "NOx", 120.5),
                                 ("agriculture", "PM2.5", 0.125)],
                           "B": [("agriculture", "NH3", 60.0)]}),
    "scenario": ("tCO2e", {"A": [("seal", "Sobriété foncière", 8_000.0)],
                           "B": [("convert", "Reboisement", -500.0)]}),
}
META = dict(title="Bilan ESPASS", territory_label="Territoire d'essai", version="9.9.9",
            generated_at="29/11/2026 10:00", params={"horizon": 2050, "méthode": "aldo"},
            warnings=["Inventaire de démonstration : valeurs estimées."],
            sources=[{"name": "aldo_litter", "source": "ADEME ALDO", "year": "2024",
                      "confidence": "primary"}])


@pytest.fixture
def bilan() -> pd.DataFrame:
    rows = []
    for theme, (unit, zones) in SPEC.items():
        for zone, values in zones.items():
            rows += [dict(zone_id=zone, zone_name=ZONES[zone], theme=theme, category=c, item=i,
                          value=v, unit=unit, sign_convention="+ = émission", source="test",
                          method="aldo", estimate=theme.startswith("emissions"))
                     for c, i, v in values]
    zones = pd.DataFrame(rows)
    keys = ["theme", "category", "item", "unit", "sign_convention", "source", "method",
            "estimate"]
    total = (zones.groupby(keys, sort=False, as_index=False)["value"].sum()
             .assign(zone_id="TOTAL", zone_name=ZONES["TOTAL"]))
    return pd.concat([total, zones], ignore_index=True)[list(zones.columns)]


def test_xlsx_sheets_and_totals_reconcile(bilan, tmp_path):
    path = write_xlsx(bilan, tmp_path / "bilan_é.xlsx", meta=META)
    sheets = pd.read_excel(path, sheet_name=None)
    names = list(sheets)
    assert names[:2] == [SYNTHESIS_SHEET, README_SHEET] == ["Synthèse", "Lisez-moi"]
    assert names[2:] == [SHEET_NAMES_FR[t] for t in SPEC]  # report order
    assert all(len(n) <= 31 for n in names)
    for theme, sheet in SHEET_NAMES_FR.items():
        df = sheets[sheet]
        assert pd.api.types.is_numeric_dtype(df["Valeur"]), sheet  # numbers, not text
        expected = bilan.loc[bilan["theme"] == theme, "value"]
        assert len(df) == len(expected)
        assert df["Valeur"].sum() == pytest.approx(expected.sum(), rel=1e-12)
        # territory rows first, and they equal the sum of the zones
        is_total = df["Code zone"] == "TOTAL"
        assert is_total.iloc[: int(is_total.sum())].all()
        assert df.loc[is_total, "Valeur"].sum() == pytest.approx(
            df.loc[~is_total, "Valeur"].sum())
    # French headers and labels
    sec = sheets["Émissions secteurs"]
    assert list(sec.columns) == ["Code zone", "Zone", "Code catégorie", "Secteur PCAET",
                                 "Code élément", "Substance", "Valeur", "Unité",
                                 "Convention de signe", "Méthode", "Estimation", "Source"]
    assert "Transport routier" in set(sec["Secteur PCAET"])
    assert set(sec["Estimation"]) == {"oui"}
    assert set(sheets["Stocks"]["Réservoir"]) == {"Sol", "Biomasse vivante"}


def test_xlsx_readme_and_layout(bilan, tmp_path):
    path = write_xlsx(bilan, tmp_path / "bilan.xlsx", meta=META)
    wb = openpyxl.load_workbook(path)
    readme = wb[README_SHEET]
    text = "\n".join(str(c.value) for row in readme.iter_rows() for c in row if c.value)
    for expected in ("Bilan ESPASS", "Territoire d'essai", "9.9.9", "29/11/2026 10:00",
                     "Unités", "tCO₂e/an", "Conventions de signe", "séquestration",
                     "Inventaire de démonstration : valeurs estimées.", "ADEME ALDO",
                     "horizon", "2050", "Flux carbone"):
        assert expected in text, expected
    for theme, name in SHEET_NAMES_FR.items():
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == ws.dimensions
        values = [ws.cell(row=r, column=7).value for r in range(2, ws.max_row + 1)]
        assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values), theme
        assert ws.cell(row=2, column=7).data_type == "n"
        assert ws.column_dimensions["B"].width >= 20
    wb.close()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_xlsx_only_present_themes(bilan, tmp_path):
    part = bilan[bilan["theme"].isin(["stocks", "polluants"])]
    sheets = pd.read_excel(write_xlsx(part, tmp_path / "p.xlsx", meta=META), sheet_name=None)
    assert list(sheets) == ["Synthèse", "Lisez-moi", "Stocks", "Polluants"]


def test_bilan_frame_fr_labels(bilan):
    df = bilan_frame_fr(bilan, "emissions_poste")
    assert "Utilisation des terres" in set(df["Poste ESPASS"])
    assert df["Code zone"].iloc[0] == "TOTAL"


def test_csv_fr_roundtrip(bilan, tmp_path):
    path = write_csv_fr(bilan, tmp_path / "bilan_fr.csv", rounded=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens it as UTF-8
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.split(";")[:3] == ["zone_id", "zone_name", "theme"]
    assert ";50000,5;" in text and ";-1234,5;" in text  # decimal comma
    assert '"Châteauneuf; «sur» Isère"' in text  # a ';' inside a field is quoted
    assert "True" not in text and "False" not in text  # booleans in French
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert set(back["estimate"]) == {"oui", "non"}
    # "+ = émission" starts like a formula: written with a leading quote (OWASP); the values of
    # this bilan have at most 2 decimals and ≥ 3 significant digits: rounding keeps them
    # (0,125 t of PM2.5: 3 significant digits, 1 decimal minimum for tonnes → 0,125)
    expected = bilan.assign(sign_convention="'+ = émission",
                            estimate=bilan["estimate"].map({True: "oui", False: "non"}))
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_csv_fr_rounding_rule(tmp_path):
    df = pd.DataFrame({
        "zone_id": ["A", "B", "C"],
        "area_ha": [12.3456, 0.012345, 1234.5678],           # ≥ 2 decimals, ≥ 3 significant
        "stock_tC": [1234.567, 0.12345, 98765.4321],         # ≥ 1 decimal, ≥ 3 significant
        "density_tC_ha": [52.3456, 0.5, 3.14159],            # per ha: ≥ 2 decimals
        "budget_used_share": [0.123456, 1.0, 0.0],           # share: ≥ 2 decimals, 3 sig.
        "n_communes": [3, 12, 57],                           # integers unchanged
        "over_budget": [True, False, True],                  # booleans → oui / non
        "value": [1234.5678, 12.3456, 0.0012345],
        "unit": ["tCO2e/an", "ha/an", "t/an"],               # the row's unit rules "value"
    })
    r = round_for_reading(df)
    assert r["area_ha"].tolist() == [12.35, 0.0123, 1234.57]
    assert r["stock_tC"].tolist() == [1234.6, 0.123, 98765.4]
    assert r["density_tC_ha"].tolist() == [52.35, 0.5, 3.14]
    assert r["budget_used_share"].tolist() == [0.123, 1.0, 0.0]
    assert r["value"].tolist() == [1234.6, 12.35, 0.00123]
    assert df["stock_tC"].iloc[0] == 1234.567  # the frame given is not modified
    path = write_csv_fr(df, tmp_path / "r.csv", rounded=True)
    text = path.read_text(encoding="utf-8-sig")
    assert "12,35;1234,6;52,35;0,123;3;oui;1234,6;tCO2e/an" in text.splitlines()[1]
    assert ";non;" in text.splitlines()[2] and "True" not in text
    # without rounding (the default) the values are written in full, booleans in French
    full = write_csv_fr(df, tmp_path / "f.csv").read_text(encoding="utf-8-sig")
    assert "12,3456;1234,567" in full and ";oui;" in full


def test_csv_plain_roundtrip(bilan, tmp_path):
    path = write_csv(bilan, tmp_path / "bilan.csv")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b",50000.5," in raw
    back = pd.read_csv(path, encoding="utf-8")
    expected = bilan.assign(sign_convention="'+ = émission")  # neutralised (OWASP)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_writers_are_atomic(bilan, tmp_path, monkeypatch):
    target = tmp_path / "bilan.csv"
    target.write_text("ancien contenu", encoding="utf-8")

    def boom(self, *args, **kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(RuntimeError, match="disque plein"):
        write_csv_fr(bilan, target)
    assert target.read_text(encoding="utf-8") == "ancien contenu"
    assert [p.name for p in tmp_path.iterdir()] == ["bilan.csv"]  # no temporary file left


def test_unwritable_folder_raises_output_error(bilan, tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="ne peut pas être écrit"):
        write_xlsx(bilan, blocker / "bilan.xlsx", meta=META)


def _rows(ws) -> dict[str, list]:
    """First-column text → the rest of the row (a sheet of label / value lines)."""
    return {str(r[0]): list(r[1:]) for r in ws.iter_rows(values_only=True) if r and r[0]}


def test_synthesis_sheet_first_and_its_headline_is_the_bilan_total(bilan, tmp_path):
    path = write_xlsx(bilan, tmp_path / "b.xlsx", meta=META)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Synthèse" and wb.active.title == "Synthèse"
    rows = _rows(wb["Synthèse"])
    # by hand from SPEC (TOTAL rows = zone A + zone B):
    # direct = 40 000 + 15 000,75 = 55 000,75 tCO2e/an
    # flows = 8 000 − 1 234,5 = 6 765,5 tCO2e/an (ALDO: positive = sequestration), shown
    # −6 765,5 in the sheet's convention (the report's: sequestration negative)
    # footprint = 50 000 − 8 000 + 40 000 + 1 234,5 = 83 234,5; its land-use post is
    # −8 000 + 1 234,5 = −6 765,5, so the footprint without land use is 90 000
    # stocks = 30 000 + 50 000,5 + 15 000,25 = 95 000,75 tC = 95 000,75 × 44/12 tCO2e
    expected = {
        "Émissions directes de GES du territoire (inventaire, secteurs PCAET)": 55_000.75,
        "Empreinte de consommation des habitants (postes ESPASS, hors utilisation des "
        "terres)": 90_000.0,
        "Séquestration nette de carbone des sols, forêts et produits bois": -6_765.5,
        "Bilan net de l'empreinte (empreinte + séquestration nette)": 83_234.5,
        "Émissions directes nettes (émissions directes + séquestration nette)": 48_235.25,
        "Stock de carbone des sols et de la biomasse": 95_000.75,
        "Le même stock en équivalent CO₂ (s'il était émis)": 95_000.75 * 44 / 12,
    }
    for label, value in expected.items():
        assert rows[label][0] == pytest.approx(value, rel=1e-12), label
    # the unit and the sign convention in words beside each figure
    assert rows["Séquestration nette de carbone des sols, forêts et produits bois"][1] \
        == "tCO₂e/an"
    assert "négatif = séquestration" in rows[
        "Séquestration nette de carbone des sols, forêts et produits bois"][3]
    assert rows["Stock de carbone des sols et de la biomasse"][1] == "tC"
    text = " ".join(str(c) for r in wb["Synthèse"].iter_rows(values_only=True) for c in r if c)
    assert "les émissions sont comptées en positif et la séquestration" in text
    # the causes in the same convention: forest growth 8 000 → −8 000; land-use change
    # −1 234,5 → +1 234,5
    assert rows["Croissance forestière"][0] == -8_000.0
    assert rows["Changements d'occupation des sols"][0] == 1_234.5
    # per-post summary: footprint and direct emissions allocated, by hand
    assert rows["Alimentation"][:2] == [50_000.0, None]
    assert rows["Déplacements"][:2] == [40_000.0, 15_000.75]
    assert rows["Utilisation des terres"][0] == pytest.approx(-6_765.5)
    # per-pool summary: soil = 30 000 + 15 000,25; biomass 50 000,5 (tC and tCO2e)
    assert rows["Sol"][:2] == [pytest.approx(45_000.25), pytest.approx(45_000.25 * 44 / 12)]
    assert rows["Biomasse vivante"][0] == pytest.approx(50_000.5)
    # scenarios in the sheet's convention too (bilan.csv: + = more sequestration than the
    # trend): « Sobriété foncière » +8 000 → −8 000, « Reboisement » −500 → +500, as the
    # report's scenario table shows them
    assert rows["Sobriété foncière"][0] == -8_000.0
    assert rows["Reboisement"][0] == 500.0
    assert "négatif = plus de séquestration" in text
    # native Excel charts (bar charts) in the sheet
    charts = wb["Synthèse"]._charts
    assert len(charts) >= 3
    assert all(ch.x_axis.delete is False and ch.y_axis.delete is False for ch in charts)
    assert synthesis_figures(bilan)[0]["value"] == pytest.approx(55_000.75)


def test_synthesis_with_intervals_and_missing_emissions(bilan, tmp_path):
    carbon = bilan[bilan["theme"].isin(["stocks", "flux_carbone"])]
    meta = {**META, "intervals": {"stock_tC": (90_000.0, 100_000.0),
                                  "flux_tCO2e_an": (5_000.0, 8_000.0)}}
    wb = openpyxl.load_workbook(write_xlsx(carbon, tmp_path / "c.xlsx", meta=meta))
    rows = _rows(wb["Synthèse"])
    assert rows["Stock de carbone des sols et de la biomasse"][:3] == [95_000.75, 90_000.0,
                                                                        100_000.0]
    assert rows["Émissions directes de GES du territoire (inventaire, secteurs PCAET)"][0] \
        == "non calculé"
    # the flows' interval, sign changed as the value: [−8 000, −5 000]
    assert rows["Séquestration nette de carbone des sols, forêts et produits bois"][:3] == [
        -6_765.5, -8_000.0, -5_000.0]
    text = " ".join(str(c) for r in wb["Synthèse"].iter_rows(values_only=True) for c in r if c)
    assert "Monte Carlo 2 000 tirages" in text


def test_readme_is_plain_french(bilan, tmp_path):
    cfg = tmp_path / "projet" / "bilan.toml"
    params = {"path": str(cfg), "title": "Bilan", "territory": "epci:245900428", "zpc": None,
              "method": "aldo", "gwp_n2o": 273.0, "years": [2012, 2018],
              "landcover": str(tmp_path / "projet" / "donnees" / "clc2018.tif"),
              "before": "/ailleurs/clc2012.tif",
              "parcels": "/usr/lib/python3/site-packages/espass_geo/../landcover/rpg.gpkg",
              "areas": None, "series": [], "zan_guarantee": False, "inventory": None,
              "max_nodata_share": 0.5, "consumption": "demo",
              "factors": {"name": "tables embarquées (factors/)", "sha256": "ab" * 32,
                          "changes": []}}
    import espass_geo

    pkg_file = str(tmp_path.parent)  # not inside the package: only the name is kept
    params["hedges"] = pkg_file + "/haies.csv"
    params["scenario"] = str(Path(espass_geo.__file__).parent.parent / "landcover" / "s.toml")
    meta = {**META, "params": params,
            "warnings": ["Tendanciel : changements prolongés chaque année (60.7 ha/an)."]}
    wb = openpyxl.load_workbook(write_xlsx(bilan, tmp_path / "b.xlsx", meta=meta))
    cells = [str(c) for r in wb["Lisez-moi"].iter_rows(values_only=True) for c in r
             if c is not None]
    text = "\n".join(cells)
    for bad in ("site-packages", "273.0", "gwp_n2o", str(tmp_path), "/ailleurs",
                "[2012, 2018]"):
        assert bad not in text, bad
    for word in ("null", "None", "True", "False"):  # JSON / Python literals ("nulle" is French)
        assert not re.search(rf"\b{word}\b", text), word
    # a note of another module with a decimal point is shown with a decimal comma
    assert "(60,7 ha/an)" in text and "60.7" not in text
    pairs = dict(params_fr(params))
    assert pairs["Pouvoir de réchauffement global du N₂O (100 ans)"] == "273 (GIEC, 6e rapport)"
    assert pairs["Années de l'occupation du sol"] == "2012 et 2018"
    assert pairs["Occupation du sol (date la plus récente)"] == "donnees/clc2018.tif"
    assert pairs["Occupation du sol (date ancienne)"] == "clc2012.tif"
    assert pairs["Parcelles agricoles (RPG)"] == "rpg.gpkg"
    assert pairs["Fichier de scénarios"] == "s.toml (fichier embarqué dans espass_geo)"
    assert pairs["Garantie communale d'un hectare (ZAN)"] == "non"
    assert pairs["Part maximale d'une zone sans donnée d'occupation du sol"].startswith("50")
    assert pairs["Inventaire des émissions"].startswith("inventaire de démonstration")
    assert "Zone pédoclimatique imposée" not in pairs  # left empty: not listed
    assert pairs["Facteurs d'émission et de stockage"].startswith("tables embarquées")
    assert "Méthode de calcul du carbone" in text and "ALDO (ADEME)" in text


def test_synthesis_of_hostile_names_is_text(bilan, tmp_path):
    b = bilan.copy()
    b.loc[b["theme"] == "scenario", "item"] = "=cmd|' /C calc'!A0"
    b.loc[b["zone_name"] == ZONES["A"], "zone_name"] = "{{7*7}}"
    meta = {**META, "title": "=1+1", "territory_label": "{{7*7}}"}
    wb = openpyxl.load_workbook(write_xlsx(b, tmp_path / "h.xlsx", meta=meta))
    formulas = [(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows()
                for c in row if c.data_type == "f"]
    assert formulas == []
    cells = {c.value: c for row in wb["Synthèse"].iter_rows() for c in row if c.value}
    hostile = cells["=cmd|' /C calc'!A0"]  # the scenario's name, as the user typed it
    assert hostile.data_type == "s" and hostile.quotePrefix
    assert "{{7*7}}" in cells and 49 not in cells  # never a template
    assert cells["Synthèse — =1+1"].data_type == "s"
    zones = [c.value for c in wb["Stocks"]["B"]]
    assert "{{7*7}}" in zones
