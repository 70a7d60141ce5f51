"""Exports of the bilan (espass_geo.present.exports): XLSX with "Lisez-moi", French and plain CSV.

Same synthetic bilan as tests/test_report.py (two zones and their TOTAL rows, every theme):
each theme sheet holds the bilan's rows of the theme, so its "Valeur" column sums to the
bilan's sum for that theme (e.g. stocks: 2 × 125 000 tC = 250 000 tC, TOTAL + zones).
"""

from __future__ import annotations

import os
import stat

import openpyxl
import pandas as pd
import pytest

from espass_geo.errors import OutputError
from espass_geo.present.exports import (
    README_SHEET,
    SHEET_NAMES_FR,
    bilan_frame_fr,
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
    assert names[0] == README_SHEET == "Lisez-moi"
    assert names[1:] == [SHEET_NAMES_FR[t] for t in SPEC]  # report order
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
    assert list(sheets) == ["Lisez-moi", "Stocks", "Polluants"]


def test_bilan_frame_fr_labels(bilan):
    df = bilan_frame_fr(bilan, "emissions_poste")
    assert "Utilisation des terres" in set(df["Poste ESPASS"])
    assert df["Code zone"].iloc[0] == "TOTAL"


def test_csv_fr_roundtrip(bilan, tmp_path):
    path = write_csv_fr(bilan, tmp_path / "bilan_fr.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens it as UTF-8
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.split(";")[:3] == ["zone_id", "zone_name", "theme"]
    assert ";50000,5;" in text and ";-1234,5;" in text  # decimal comma
    assert '"Châteauneuf; «sur» Isère"' in text  # a ';' inside a field is quoted
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    # "+ = émission" starts like a formula: written with a leading quote (OWASP)
    expected = bilan.assign(sign_convention="'+ = émission")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


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
