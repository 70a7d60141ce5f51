"""HTML report (espass_geo.present.report) and the net-balance waterfall (charts.bilan_waterfall).

Synthetic bilan: two zones A, B and the territory rows ("TOTAL" = A + B), every theme.
Hand arithmetic of the synthesis (territory, tCO2e/an):

* consumption = posts without utilisation_terres = 80 000 + 55 000 + 110 000 + 65 000
  + 15 000 + 5 000 = 330 000;
* net sequestration = flux_carbone = forest growth 10 000 + land-use change −2 000
  + wood products 1 000 = 9 000;
* net balance = 330 000 − 9 000 = 321 000 → "321 ktCO₂e/an";
* direct = 50 000 + 75 000 + 50 000 + 25 000 = 200 000 → transport routier 75 000 / 200 000
  = 37,5 %.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from matplotlib import image as mpimg

from espass_geo.present.charts import bilan_waterfall
from espass_geo.present.fmt import fmt_mass_t
from espass_geo.present.report import (
    collect_sources,
    render_report,
    report_charts,
    synthesis_figures,
    territory_rows,
    validate_bilan,
)

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
ZONE_B = "Châteauneuf <b>gras</b>"

# theme -> (unit, sign convention, method, estimate, {zone: [(category, item, value)]})
SPEC: dict[str, tuple[str, str, str, bool, dict[str, list[tuple[str, str, float]]]]] = {
    "stocks": ("tC", "stock (positif)", "aldo", False, {
        "A": [("cropland", "soil", 30_000.0), ("forest_broadleaf", "soil", 20_000.0),
              ("forest_broadleaf", "live_biomass", 50_000.0)],
        "B": [("cropland", "soil", 10_000.0), ("grassland_herbaceous", "soil", 15_000.0)]}),
    "flux_carbone": ("tCO2e/an", "+ = séquestration (ALDO)", "aldo", False, {
        "A": [("forest_growth", "live_biomass", 8_000.0), ("land_use_change", "soil", -1_500.0)],
        "B": [("forest_growth", "live_biomass", 2_000.0), ("land_use_change", "soil", -500.0),
              ("wood_products", "wood_products", 1_000.0)]}),
    "emissions_secteur": ("tCO2e/an", "+ = émission", "inventaire", True, {
        "A": [("residentiel", "GES", 40_000.0), ("transport_routier", "GES", 60_000.0),
              ("agriculture", "GES", 20_000.0)],
        "B": [("residentiel", "GES", 10_000.0), ("transport_routier", "GES", 15_000.0),
              ("agriculture", "GES", 30_000.0), ("industrie", "GES", 25_000.0)]}),
    "emissions_poste": ("tCO2e/an", "+ = émission", "empreinte", True, {
        "A": [("alimentation", "GES", 50_000.0), ("biens_consommation", "GES", 35_000.0),
              ("deplacements", "GES", 70_000.0), ("residentiel", "GES", 45_000.0),
              ("utilisation_terres", "GES", -6_500.0)],
        "B": [("alimentation", "GES", 30_000.0), ("biens_consommation", "GES", 20_000.0),
              ("deplacements", "GES", 40_000.0), ("residentiel", "GES", 20_000.0),
              ("services", "GES", 15_000.0), ("travaux", "GES", 5_000.0),
              ("utilisation_terres", "GES", -3_500.0)]}),
    "emissions_poste_direct": ("tCO2e/an", "+ = émission", "inventaire", True, {
        "A": [("alimentation", "GES", 20_000.0), ("deplacements", "GES", 60_000.0),
              ("residentiel", "GES", 40_000.0)],
        "B": [("alimentation", "GES", 30_000.0), ("deplacements", "GES", 15_000.0),
              ("residentiel", "GES", 10_000.0), ("biens_consommation", "GES", 25_000.0)]}),
    "polluants": ("t/an", "+ = émission", "inventaire", True, {
        "A": [("transport_routier", "NOx", 120.5), ("transport_routier", "PM10", 8.25),
              ("agriculture", "NH3", 95.0), ("residentiel", "PM2.5", 12.3)],
        "B": [("industrie", "SO2", 4.5), ("industrie", "COVNM", 30.0),
              ("agriculture", "NH3", 60.0)]}),
    "scenario": ("tCO2e", "+ = séquestration supplémentaire", "aldo", False, {
        "A": [("seal", "Sobriété foncière", 8_000.0), ("hedges", "Sobriété foncière",
                                                         2_000.0),
              ("convert", "Reboisement", 15_000.0), ("trend", "Reboisement", -500.0)],
        "B": [("seal", "Sobriété foncière", 4_000.0), ("hedges", "Sobriété foncière",
                                                         1_000.0),
              ("convert", "Reboisement", 10_000.0)]}),
}
NAMES = {"A": "Saint-Étienne-test", "B": ZONE_B, "TOTAL": "Territoire d'essai"}


def make_bilan(themes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Zone rows from SPEC and the territory rows (TOTAL = sum of the zones)."""
    rows = []
    for theme, (unit, sign, method, estimate, zones) in SPEC.items():
        if themes is not None and theme not in themes:
            continue
        for zone, values in zones.items():
            rows += [dict(zone_id=zone, zone_name=NAMES[zone], theme=theme, category=c, item=i,
                          value=v, unit=unit, sign_convention=sign, source="test", method=method,
                          estimate=estimate) for c, i, v in values]
    zones = pd.DataFrame(rows)
    keys = ["theme", "category", "item", "unit", "sign_convention", "source", "method",
            "estimate"]
    total = zones.groupby(keys, sort=False, as_index=False)["value"].sum()
    total = total.assign(zone_id="TOTAL", zone_name=NAMES["TOTAL"])
    return pd.concat([total, zones], ignore_index=True)[list(zones.columns)]


WARNINGS = ["Territoire de moins de 10 communes : résultats fragiles.",
            "Occupation du sol synthétique (démonstration)."]


@pytest.fixture
def bilan() -> pd.DataFrame:
    return make_bilan()


@pytest.fixture(scope="module")
def cascade(tmp_path_factory) -> dict:
    return bilan_waterfall(make_bilan(), tmp_path_factory.mktemp("graphiques_é"),
                           title="Territoire d'essai")


def _meta(**extra) -> dict:
    meta = dict(title="Bilan ESPASS", territory_label="Territoire d'essai (2 communes)",
                version="9.9.9", generated_at="29/11/2026", params={"méthode": "aldo",
                                                                    "horizon": 2050},
                warnings=list(WARNINGS), sources=collect_sources(["aldo_litter"]),
                map_href="index.html")
    meta.update(extra)
    return meta


class _Doc(HTMLParser):
    """Collects h2 titles, table rows, img src and text; checks that tags are balanced."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.h2: list[str] = []
        self.rows: list[list[str]] = []
        self.imgs: list[str] = []
        self.text: list[str] = []
        self.num_cells: list[str] = []
        self._h2: list[str] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._cell_num = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "h2":
            self._h2 = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            self._cell_num = "num" in (a.get("class") or "").split()
        elif tag == "img":
            self.imgs.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()
        if tag == "h2" and self._h2 is not None:
            self.h2.append("".join(self._h2).strip())
            self._h2 = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            cell = "".join(self._cell).strip()
            self._row.append(cell)
            if self._cell_num:
                self.num_cells.append(cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._h2 is not None:
            self._h2.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _parse(html: str) -> _Doc:
    doc = _Doc()
    doc.feed(html)
    doc.close()
    return doc


def _render(bilan, tmp_path, charts=None, **meta) -> tuple[str, _Doc]:
    out = render_report(bilan, meta=_meta(**meta), charts=charts,
                        out_path=tmp_path / "rapport_é.html")
    html = out.read_text(encoding="utf-8")
    return html, _parse(html)


# --------------------------------------------------------------------------------------------

def test_synthesis_figures_hand_computed(bilan):
    fig = synthesis_figures(validate_bilan(bilan))
    assert fig == {"consumption": 330_000.0, "sequestration": 9_000.0, "net": 321_000.0,
                   "direct": 200_000.0, "stock": 125_000.0}
    # TOTAL rows are used as given; without them the zones are summed (same result here)
    no_total = validate_bilan(bilan[bilan["zone_id"] != "TOTAL"])
    assert synthesis_figures(no_total) == fig
    assert territory_rows(no_total, "stocks")["value"].sum() == 125_000.0


def test_report_parses_and_has_every_section(bilan, tmp_path, cascade):
    html, doc = _render(bilan, tmp_path, charts={"bilan_cascade": cascade["bilan_cascade.png"]})
    assert html.startswith("<!DOCTYPE html>")
    assert doc.errors == [] and doc.stack == []
    assert doc.h2[1:] == ["1. Synthèse", "2. Bilan net et résultats par zone", "3. Méthode",
                          "4. Émissions par secteur et par poste", "5. Polluants",
                          "6. Carbone des sols et de la biomasse", "7. Scénarios",
                          "8. Avertissements", "Annexe A — Sources des données",
                          "Annexe B — Paramètres du calcul"]
    assert doc.h2[0] == "Sommaire"
    # no external asset: no <link>, no <script src>, no http(s) URL in src/href
    assert not re.search(r"<(link|script)\b", html)
    assert not re.search(r'(src|href)="https?:', html)


def test_synthesis_figure_formatted(bilan, tmp_path):
    html, doc = _render(bilan, tmp_path)
    expected = fmt_mass_t(330_000 - 9_000, "tCO₂e") + "/an"
    assert expected == f"321{NBSP}ktCO₂e/an"
    text = "".join(doc.text)
    assert f"Le bilan net du territoire est de {expected}." in text
    assert f"330{NBSP}ktCO₂e/an" in text  # consumption
    # sequestration: same unit as the other figures of the synthesis (9 000 t = 9,00 kt),
    # in words « retirent 9,00 kt », on its card −9,00 kt (the report's convention)
    assert f"9,00{NBSP}ktCO₂e/an" in text
    assert f"{MINUS}9,00{NBSP}ktCO₂e/an" in text
    assert f"soit 2,7{NBSP}%" in text  # 9 000 / 330 000 = 2,73 %


def test_tables_reconcile_and_are_right_aligned(bilan, tmp_path):
    _, doc = _render(bilan, tmp_path)
    rows: dict[str, list[str]] = {}
    for r in doc.rows:  # first table wins (zone, sector, post, pollutant… tables in order)
        if r:
            rows.setdefault(r[0], r[1:])
    assert rows["Transport routier"] == ["75", f"37,5{NBSP}%"]
    sector_total = next(r for r in doc.rows if r and r[0] == "Total")  # first: sector table
    assert sector_total == ["Total", "200", f"100,0{NBSP}%"]
    # zone table, in tonnes (direct, consumption, soils and forests with sequestration
    # negative, net, stock tC, stock tCO2e = tC × 44/12): territory = the TOTAL rows;
    # net = 330 000 − 9 000 = 321 000; stock 125 000 tC × 44/12 = 458 333,3 → "458 333"
    g = NNBSP
    assert rows["Territoire"] == [f"200{g}000", f"330{g}000", f"{MINUS}9{g}000", f"321{g}000",
                                  f"125{g}000", f"458{g}333"]
    # zone A: flux 8 000 − 1 500 = 6 500 → −6 500; net 200 000 − 6 500 = 193 500;
    # stock 100 000 tC → 366 667 tCO2e
    assert rows["Saint-Étienne-test"] == [f"120{g}000", f"200{g}000", f"{MINUS}6{g}500",
                                          f"193{g}500", f"100{g}000", f"366{g}667"]
    # posts: footprint, direct allocated, difference; land use negative
    assert rows["Utilisation des terres"][0] == f"{MINUS}10"
    assert rows["Déplacements"] == ["110", "75", "+35"]
    assert rows["Services"] == ["15", "0", "+15"]  # no direct row for the post: 0
    # footprint total includes the land-use post (330 − 10); the gap leaves it out (330 − 200)
    post_total = [r for r in doc.rows if r and r[0] == "Total"][1]
    assert post_total == ["Total", "320", "200", "+130"]
    # pollutants: one scale per substance (NOx 120,5 → 0 decimals → "121"; NH₃ 155)
    assert any(r[0] == "Agriculture" and "155" in r for r in doc.rows)
    # carbon flows in the report's convention (kt, 1 decimal: the largest is 10 kt): forest
    # growth 10 000 (ALDO +) → −10,0; land-use change −2 000 (ALDO, an emission) → +2,0
    assert ["Croissance forestière", "–", f"{MINUS}10,0", "–", f"{MINUS}10,0"] in doc.rows
    assert ["Changements d'occupation des sols", "+2,0", "–", "–", "+2,0"] in doc.rows
    # numbers are in right-aligned cells, written the French way
    assert "37,5\u00a0%" in doc.num_cells
    assert not [c for c in doc.num_cells if re.search(r"\d\.\d", c) or "-" in c]


def test_warnings_sources_params(bilan, tmp_path):
    html, doc = _render(bilan, tmp_path)
    text = "".join(doc.text)
    for w in WARNINGS:
        assert w in text
    # the estimate rows add their own warning when the lead gave none about it
    _, doc2 = _render(bilan, tmp_path, warnings=[])
    assert "estimée" in "".join(doc2.text)
    # the sources annex: French, producer, year and licence; no factor table dump
    assert "Corine Land Cover" in text and "Copernicus" in text and "Licence Ouverte" in text
    assert "aldo_litter" not in text and "@a8f42b2" not in html
    # run parameters: a French label, the key, years as typed (not "2 050")
    assert ["Horizon", "horizon", f"2{NNBSP}050"] not in doc.rows
    assert ["Horizon", "horizon", "2050"] in doc.rows
    assert "espass_geo 9.9.9" in text
    assert 'href="index.html"' in html


def test_embedded_png_and_svg_link(bilan, tmp_path, cascade):
    html, doc = _render(bilan, tmp_path, charts={"bilan_cascade": cascade["bilan_cascade.png"]})
    assert len(doc.imgs) == 1 and doc.imgs[0].startswith("data:image/png;base64,")
    assert "data:image/png;base64," in html
    assert "bilan_cascade.svg" in html  # the SVG twin is linked (relative path)


def test_autoescape_of_zone_names(bilan, tmp_path):
    html, doc = _render(bilan, tmp_path, title="Bilan <script>alert(1)</script>")
    assert "<b>gras</b>" not in html
    assert "Châteauneuf &lt;b&gt;gras&lt;/b&gt;" in html
    assert ZONE_B in "".join(doc.text)  # shown as text
    assert "<script>" not in html


def test_without_scenarios_sections_are_renumbered(tmp_path):
    b = make_bilan(themes=("stocks", "flux_carbone", "emissions_secteur", "emissions_poste"))
    _, doc = _render(b, tmp_path)
    assert "Scénarios" not in " ".join(doc.h2)
    assert doc.h2[-3:] == ["7. Avertissements", "Annexe A — Sources des données",
                           "Annexe B — Paramètres du calcul"]
    assert "Le bilan ne contient pas de polluants atmosphériques." in "".join(doc.text)


def test_meta_and_bilan_errors(bilan, tmp_path):
    with pytest.raises(ValueError, match="territory_label"):
        render_report(bilan, meta={"title": "x"}, charts=None, out_path=tmp_path / "r.html")
    with pytest.raises(ValueError, match="missing column"):
        render_report(bilan.drop(columns="value"), meta=_meta(), charts=None,
                      out_path=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_waterfall_files_and_labels(cascade):
    assert set(cascade) == {"bilan_cascade.png", "bilan_cascade.svg"}
    img = mpimg.imread(cascade["bilan_cascade.png"])
    assert img.shape[:2] == (700, 1200)
    svg = cascade["bilan_cascade.svg"].read_text(encoding="utf-8")
    for label in ("Bilan net", "Alimentation", "Croissance forestière", "ktCO₂e/an",
                  "positif = émission, négatif = séquestration", "+110", f"{MINUS}10", "+2",
                  "321"):
        assert label in svg, label
    assert "Inventaire de démonstration" in svg  # estimate rows: the warning is drawn


def test_waterfall_without_flows_uses_land_use_post(tmp_path):
    # no flux_carbone, no TOTAL rows: the zones are summed and the utilisation_terres post
    # (−6 500 − 3 500 = −10 000 tCO2e/an, already in the emission convention) is drawn
    b = make_bilan(themes=("emissions_poste",))
    paths = bilan_waterfall(b[b["zone_id"] != "TOTAL"], tmp_path, title="Sans flux")
    svg = paths["bilan_cascade.svg"].read_text(encoding="utf-8")
    assert "Utilisation des terres" in svg and f"{MINUS}10" in svg and "320" in svg


def test_report_charts_embedded(bilan, tmp_path):
    charts = report_charts(bilan, tmp_path / "graphiques", title="Territoire d'essai")
    assert set(charts) == {"bilan_cascade", "emissions_secteurs_postes", "imports_exports",
                           "polluants_secteurs"}
    html, doc = _render(bilan, tmp_path, charts=charts)
    assert len(doc.imgs) == 4 and all(s.startswith("data:image/png;base64,") for s in doc.imgs)
    assert html.count(".svg\"") == 4
    # stocks only: nothing to draw in a waterfall
    assert report_charts(make_bilan(themes=("stocks",)), tmp_path / "vide", title="x") == {}
