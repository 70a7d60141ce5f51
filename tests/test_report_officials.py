"""The report an elected official reads (issue #15 item 1): one sign convention, French
numbers, no developer material, a one-page synthesis first, a sources annex, and its PDF.

Hand bilan (territory "T", one zone "Z" = the territory):

* consumption emissions: alimentation 100 tCO2e/an (post, emission convention);
* carbon flow of soils and biomass: forest growth +30 tCO2e/an in the ALDO convention
  (+ = sequestration) → shown −30 everywhere in the report (emissions +, sequestration −);
* net balance = 100 − 30 = 70 tCO2e/an;
* stock 1 000 tC = 1 000 × 44/12 = 3 666,67 tCO2e → "3 667".
"""

from __future__ import annotations

import os
import re
import stat
import sys
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from espass_geo.cli import main
from espass_geo.present.charts import bilan_waterfall
from espass_geo.present.charts.bilan import waterfall_steps
from espass_geo.present.report import render_report, synthesis_figures, validate_bilan
from espass_geo.present.report.annex import french_text, param_rows
from espass_geo.present.report.levers import main_levers
from espass_geo.present.report.pdf import (
    CHROMIUM_ENV,
    ReportPdfWarning,
    find_chromium,
    write_report_pdf,
)
from espass_geo.present.report.sources import report_sources

sys.path.insert(0, str(Path(__file__).parent))
from test_report import make_bilan  # noqa: E402  (the two-zone bilan of every theme)

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
HEX_HASH = re.compile(r"@[0-9a-f]{7}|\b[0-9a-f]{40,64}\b")


def hand_bilan() -> pd.DataFrame:
    rows = []
    for zone, name in (("TOTAL", "Territoire T"), ("Z", "Zone Z")):
        rows += [
            dict(zone_id=zone, zone_name=name, theme="emissions_poste", category="alimentation",
                 item="GES", value=100.0, unit="tCO2e/an"),
            dict(zone_id=zone, zone_name=name, theme="flux_carbone", category="forest_growth",
                 item="live_biomass", value=30.0, unit="tCO2e/an"),
            dict(zone_id=zone, zone_name=name, theme="stocks", category="forest_broadleaf",
                 item="live_biomass", value=1000.0, unit="tC"),
        ]
    return pd.DataFrame(rows)


class _Text(HTMLParser):
    """Text nodes outside <code>, <style>, <script> (attributes are never text); h2 titles,
    table rows (with their <code>), section ids in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.text: list[str] = []
        self.h2: list[str] = []
        self.sections: list[str] = []
        self.rows: list[list[str]] = []
        self._h2: list[str] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("code", "style", "script"):
            self.skip += 1
        elif tag == "h2":
            self._h2 = []
        elif tag == "section":
            self.sections.append(dict(attrs).get("id", ""))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("code", "style", "script"):
            self.skip -= 1
        elif tag == "h2" and self._h2 is not None:
            self.h2.append("".join(self._h2).strip())
            self._h2 = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:  # table cells keep their <code> (the parameters' keys)
            self._cell.append(data)
        if self.skip:
            return
        self.text.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def _parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    p.close()
    return p


def _zones() -> gpd.GeoDataFrame:
    # two 1 km squares; stock density 40 and 60 tC/ha (only the map reads them)
    return gpd.GeoDataFrame({"zone_id": ["A", "B"], "zone_name": ["A", "B"],
                             "density_tC_ha": [40.0, 60.0]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
                            crs="EPSG:2154")


def _render(bilan, tmp_path, **meta):
    m = dict(title="Bilan ESPASS", territory_label="Territoire d'essai", version="9.9.9",
             generated_at="29/11/2026", warnings=[], map_href="index.html")
    m.update(meta)
    out = render_report(bilan, meta=m, charts=meta.pop("charts", None),
                        out_path=tmp_path / "rapport.html")
    html = out.read_text(encoding="utf-8")
    return out, html, _parse(html)


# ------------------------------------------------------------------------ sign convention
def test_sign_convention_hand_bilan(tmp_path):
    b = validate_bilan(hand_bilan())
    fig = synthesis_figures(b)
    assert fig["net"] == 70.0  # 100 − 30
    # chart data: the sequestration is a negative bar, the net 70
    steps, _, _ = waterfall_steps(b)
    assert [(v, k) for _, v, k in steps] == [(100.0, "emission"), (-30.0, "sink"),
                                             (70.0, "net")]
    svg = bilan_waterfall(b, tmp_path / "g", title="T")["bilan_cascade.svg"].read_text(
        encoding="utf-8")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    # under 10 000 t the chart is in tCO2e/an; 0 decimals (largest bar 100)
    assert f"{MINUS}30" in svg and "+100" in svg and "70" in labels
    assert "tCO₂e/an — positif = émission, négatif = séquestration" in svg

    charts = {"bilan_cascade": tmp_path / "g" / "bilan_cascade.png"}
    _, html, doc = _render(hand_bilan(), tmp_path, charts=charts)
    text = "".join(doc.text)
    # the convention is stated once, at the top (before the synthesis)
    assert html.count("Convention de lecture") == 1
    assert html.index("Convention de lecture") < html.index('<section id="synthese">')
    # synthesis cards: sequestration −30,0, net 70,0 (fmt: 1 decimal between 10 and 100)
    assert f"{MINUS}30,0{NBSP}tCO₂e/an" in text
    assert f"70,0{NBSP}tCO₂e/an" in text
    # flux table: forest growth −30,0 (ALDO +30 with its sign changed)
    assert ["Croissance forestière", f"{MINUS}30,0"] in doc.rows
    # zone table in tonnes: emissions 100, soils and forests −30, net 70, stock 1 000 tC and
    # 3 667 tCO2e (1 000 × 44/12 = 3 666,7)
    assert ["Zone Z", "100", f"{MINUS}30", "70", f"1{NNBSP}000", f"3{NNBSP}667"] in doc.rows
    # stocks beside flows: in tC and in tCO2e
    assert f"soit 3{NNBSP}667{NBSP}tCO₂e" in text
    # « – » and « 0 » are explained
    assert "« – » : sans objet ou sans donnée ; « 0 » : valeur calculée" in text
    # no sentence of the report states the opposite convention
    assert "positif = séquestration" not in text.replace(
        "où un flux de carbone positif est une séquestration", "")


def test_scenarios_and_posts_follow_the_convention(tmp_path):
    # make_bilan: scenario "Reboisement" convert +15 000 + 10 000 = +25 000 tCO2e (ALDO) →
    # shown −25,0 kt; the land-use post −6 500 − 3 500 = −10 000 → −10 (kt)
    _, _, doc = _render(make_bilan(), tmp_path)
    conv = next(r for r in doc.rows if r and r[0].startswith("Conversions"))
    assert f"{MINUS}25,0" in conv
    land = next(r for r in doc.rows if r and r[0] == "Utilisation des terres")
    assert land[1] == f"{MINUS}10"
    # the horizon, when the run parameters lack it, is read from the scenario rows' source
    b = make_bilan()
    b.loc[b["theme"] == "scenario", "source"] = "scénarios 2025–2050 (essai.toml)"
    (tmp_path / "h").mkdir()
    _, _, doc = _render(b, tmp_path / "h")
    assert "Écart cumulé au tendanciel en 2050, sur le bilan net" in " ".join(doc.text)


# ------------------------------------------------------------------------ French numbers
def test_french_numbers_and_no_developer_material(tmp_path):
    params = {"path": "/data/projet/bilan.toml", "title": "Bilan",
              "landcover": "/data/projet/occupation/clc_2018.tif",
              "inventory": "/usr/lib/python3/site-packages/espass_geo/_data/landcover/inv.csv",
              "gwp_n2o": 273.0, "zpc": None, "zan_guarantee": True, "max_nodata_share": 0.5,
              "years": [2012, 2018], "series": [],
              "factors": {"name": "tables embarquées (factors/)", "sha256": "a" * 64,
                          "changes": []}}
    warnings = ["Tendanciel : changements observés prolongés chaque année (60.7 ha/an).",
                "Scénario : la pratique s'arrête sur 1.1 ha ; valeur True."]
    _, html, doc = _render(make_bilan(), tmp_path, params=params, warnings=warnings,
                           zones=_zones())
    text = " ".join(doc.text)
    assert not re.search(r"\d\.\d", text), re.findall(r".{20}\d\.\d.{20}", text)
    assert "60,7 ha/an" in text and "1,1 ha" in text
    for bad in ("True", "False", "null", "None", "site-packages", "method.md",
                "check before release", "/data/projet", "sha256"):
        assert not re.search(rf"(?<!\w){re.escape(bad)}(?!\w)", text), bad
    assert not re.search(r"\b1 zones\b", text)
    assert not HEX_HASH.search(html)
    # parameters: paths relative to the configuration file, values in French
    rows = {r[1]: r[2] for r in doc.rows if len(r) == 3}
    assert rows["landcover"] == "occupation/clc_2018.tif"
    assert rows["gwp_n2o"] == "273" and rows["zan_guarantee"] == "oui"
    assert rows["max_nodata_share"] == "0,5" and rows["years"] == "2012, 2018"
    assert rows["path"] == "bilan.toml"
    assert "zpc" not in rows and "series" not in rows  # unset: left out
    # one zone: « 1 zone » is never written « 1 zones »; two: « 2 zones »
    one = make_bilan()
    one = one[one["zone_id"].isin(["TOTAL", "A"])]
    (tmp_path / "un").mkdir()
    _, _, doc1 = _render(one, tmp_path / "un")
    assert not re.search(r"\b1 zones\b", " ".join(doc1.text))
    assert "· 2 zones" in text


def test_french_text_and_param_rows_units():
    assert french_text("(60.7 ha/an) ; v0.1.0 ; clc12.csv ; 3.5") == \
        "(60,7 ha/an) ; v0.1.0 ; clc12.csv ; 3,5"
    assert french_text("x /opt/venv/lib/python3.11/site-packages/espass_geo/_data/landcover/"
                       "a.tif") == "x landcover/a.tif"
    rows = param_rows({"path": "/p/c.toml", "series": [(2012, "/p/a.tif"), (2018, "/p/b.tif")],
                       "scheduler": None})
    assert [(r["key"], r["value"]) for r in rows] == [("path", "c.toml"),
                                                      ("series", "2012 : a.tif ; 2018 : b.tif")]


# ------------------------------------------------------------------- synthesis, sources
def test_synthesis_is_the_first_section_with_levers_and_map(tmp_path):
    _, html, doc = _render(make_bilan(), tmp_path, zones=_zones(),
                           params={"horizon": 2050})
    assert doc.sections[0] == "synthese"
    assert doc.h2[:2] == ["Sommaire", "1. Synthèse"]
    synth = html[html.index('<section id="synthese">'):html.index('<section id="bilan">')]
    s = _parse(synth)
    text = " ".join(s.text)
    for label in ("Émissions directes", "Émissions de consommation",
                  "Séquestration des sols et forêts", "Bilan net", "Carbone stocké"):
        assert label in text, label
    # three levers from the data (make_bilan): largest sector transport routier 75 000 (kt
    # 75,0), largest post déplacements 110 000, the scenario lever « Conversions » 25 000
    assert synth.count("<li>") == 3
    assert "Transport routier" in text and "Déplacements" in text and "Conversions" in text
    assert f"{MINUS}25,0{NBSP}ktCO₂e cumulées en 2050" in text
    assert 'id="carte-synthese"' in synth and 'src="data:image/png;base64,' in synth


def test_hostile_scenario_name_in_the_levers_is_escaped(tmp_path):
    b = make_bilan()
    b.loc[b["theme"] == "scenario", "item"] = "<script>alert(1)</script>"
    _, html, doc = _render(b, tmp_path)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "scénario « <script>alert(1)</script> »" in " ".join(doc.text)


def test_levers_without_scenarios_take_the_largest_flow():
    # flows: forest growth +30 (sink), land-use change −50 (ALDO: an emission); the largest
    # in absolute value is the loss, shown +50,0 in the report's convention
    b = hand_bilan()
    extra = dict(zone_id="TOTAL", zone_name="T", theme="flux_carbone",
                 category="land_use_change", item="soil", value=-50.0, unit="tCO2e/an")
    levers = main_levers(pd.concat([b, pd.DataFrame([extra])], ignore_index=True))
    assert [lv["label"] for lv in levers] == ["Alimentation",
                                              "Changements d'occupation des sols"]
    assert levers[1]["value"] == f"+50,0{NBSP}tCO₂e/an"
    assert "perte" in levers[1]["kind"].lower()


def test_sources_annex_names_producer_year_licence(tmp_path):
    src = {s["id"]: s for s in report_sources(["stocks", "flux_carbone", "emissions_poste"])}
    assert {"clc", "aldo", "inventaire_hdf"} <= set(src)
    assert "rpg" not in src  # no parcels in this run
    _, html, doc = _render(make_bilan(), tmp_path)
    annex = html[html.index('<section id="sources"'):]
    text = " ".join(_parse(annex).text)
    assert "Corine Land Cover" in text and "Copernicus" in text and "2018" in text
    assert "ALDO" in text and "ADEME" in text and "2024" in text
    assert text.count("Licence") >= len(src)
    assert "Fiabilité" in text and "à vérifier" not in text
    assert not HEX_HASH.search(annex) and "method.md" not in annex
    assert not re.search(r"(?:^|\s)/\w", text)  # no file-system path


# ------------------------------------------------------------------------------- PDF
def _no_env(monkeypatch):
    monkeypatch.delenv(CHROMIUM_ENV, raising=False)


def test_pdf_pages_rendered(tmp_path, monkeypatch):
    _no_env(monkeypatch)
    if find_chromium() is None:
        pytest.skip("no Chromium/Chrome on this machine")
    pdfium = pytest.importorskip("pypdfium2")
    out, _, _ = _render(make_bilan(), tmp_path, zones=_zones(),
                        params={"path": "/data/projet/bilan.toml",
                                "landcover": "/data/projet/clc.tif"})
    res = write_report_pdf(out)
    assert res.path == tmp_path / "rapport.pdf" and res.note == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.html", "rapport.pdf"]
    pdf = pdfium.PdfDocument(str(res.path))
    try:
        assert len(pdf) >= 2
        texts = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            texts.append(tp.get_text_range())
            tp.close()
            if i == 0:  # the first page drawn: not blank
                img = page.render(scale=0.5).to_pil().convert("L")
                assert img.getextrema()[0] < 100
            page.close()
    finally:
        pdf.close()
    first = texts[0]
    assert "Synthèse" in first and "Bilan net" in first and "Convention de lecture" in first
    # 321 ktCO2e/an = 330 000 − 9 000 (test_report's hand arithmetic); a French decimal
    assert "321" in first and re.search(r"\d,\d", first)
    assert "3. Méthode" not in first  # each part starts a new page
    whole = "\n".join(texts)
    assert "site-packages" not in whole and not HEX_HASH.search(whole)
    assert "Annexe A" in whole


def test_pdf_without_browser_warns_in_french(tmp_path, monkeypatch):
    out, _, _ = _render(hand_bilan(), tmp_path)
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "pas_de_chromium"))
    with pytest.warns(ReportPdfWarning, match="n'a pas été produit.*ESPASS_GEO_CHROMIUM"):
        res = write_report_pdf(out)
    assert res.path is None and "imprimez-le en PDF" in res.note
    assert not (tmp_path / "rapport.pdf").exists()
    # switched off on purpose: no PDF, no warning
    monkeypatch.setenv(CHROMIUM_ENV, "non")
    res = write_report_pdf(out)
    assert res.path is None and "non" in res.note


def test_pdf_failing_browser_leaves_nothing(tmp_path, monkeypatch):
    if os.name != "posix":
        pytest.skip("shell script as a fake browser")
    fake = tmp_path / "faux_chromium.sh"
    fake.write_text("#!/bin/sh\necho 'boom' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    out, _, _ = _render(hand_bilan(), tmp_path)
    with pytest.warns(ReportPdfWarning, match="a échoué \\(code 3, boom\\)"):
        res = write_report_pdf(out, browser=str(fake))
    assert res.path is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faux_chromium.sh", "rapport.html"]


@pytest.mark.slow
def test_cli_bilan_writes_the_pdf_or_says_why(tmp_path, tiny_raster, zones_file, monkeypatch):
    toml = tmp_path / "bilan.toml"
    toml.write_text(f'''title = "Bilan test"
territory = "{zones_file.as_posix()}"
zpc = "2_1"

[landcover]
after = "{tiny_raster.as_posix()}"
years = [2012, 2018]
''', encoding="utf-8")
    _no_env(monkeypatch)
    if find_chromium() is not None:
        r = CliRunner().invoke(main, ["bilan", "--config", str(toml), "--out",
                                      str(tmp_path / "avec")], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        assert (tmp_path / "avec" / "rapport.pdf").read_bytes()[:5] == b"%PDF-"
        assert "rapport.pdf" in r.output  # the summary lists it
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "absent"))
    r = CliRunner().invoke(main, ["bilan", "--config", str(toml), "--out",
                                  str(tmp_path / "sans")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "Avertissement : Le rapport PDF (rapport.pdf) n'a pas été produit" in r.output
    assert (tmp_path / "sans" / "rapport.html").exists()
    assert not (tmp_path / "sans" / "rapport.pdf").exists()


def test_removed_amount_sentence_keeps_a_positive_interval():
    # hand figures: sequestration +30 tCO2e/an (ALDO), its 90 % interval [20, 40] (ALDO sign).
    # The card shows −30,0 [−40,0 – −20,0] (report convention); the sentence « en retirent
    # 30,0 » states an amount removed, so its interval is [20,0 – 40,0], never negative
    # beside a positive amount.
    from espass_geo.present.report.render import _synthesis

    fig = {"consumption": 100.0, "sequestration": 30.0, "net": 70.0, "direct": None,
           "stock": None}
    syn = _synthesis(fig, {"flux_tCO2e_an": (20.0, 40.0)})
    card = next(c for c in syn["cards"] if c["kind"] == "sink")
    assert card["interval"].startswith(f"[{MINUS}40,0 \u2013 {MINUS}20,0]")
    sentence = next(s for s in syn["sentences"] if "en retirent" in s)
    assert f"en retirent 30,0{NBSP}tCO₂e/an [20,0 \u2013 40,0]" in sentence
    assert MINUS not in sentence


def test_post_table_total_gap_is_explained():
    # make_bilan, territory: footprint posts 80 + 55 + 110 + 65 + 15 + 5 = 330 kt without
    # land use, land use −6,5 − 3,5 = −10 kt, so the footprint column totals 320; direct
    # allocated 20 + 60 + 40 + 30 + 15 + 10 + 25 = 200 kt; the gap column leaves land use
    # out: 330 − 200 = +130 (≠ 320 − 200): the note gives that arithmetic.
    from espass_geo.present.report.tables import post_table

    t = post_table(validate_bilan(make_bilan()))
    assert t["total"] == ["Total", "320", "200", "+130"]
    assert (f"empreinte sans ce poste (330) − émissions directes réparties (200) = +130"
            f"{NBSP}ktCO₂e/an") in t["note"]


def test_reconciliation_bridge_one_unit_per_column():
    # hand bridge, stocks (tC): aldo-epci 3 833 000, hedges −28 400, dead wood +6 529,
    # soils +0,0001 → default 3 811 129,0001 (gap −21 870,9999). Totals ≥ 10 000 t: the
    # whole table in ktC; the gap column's largest |value| 28,4 kt → 1 decimal: −28,4 /
    # +6,5 / 0,0 (rounds to zero: no sign) / −21,9; never « 6 529 tC » beside « −28,4 ktC ».
    from types import SimpleNamespace

    from espass_geo.present.report.reconciliation import reconciliation_body

    stocks = pd.DataFrame({"siren": ["1"] * 3, "step": [1, 2, 3],
                           "cause": ["hedges", "dead_wood", "soil_weighting"],
                           "cause_fr": ["Haies", "Bois mort", "Sols"],
                           "delta_tC": [-28_400.0, 6_529.0, 0.0001],
                           "share_of_gap": [1.3, -0.3, 0.0]})
    flows = stocks.rename(columns={"delta_tC": "delta_tCO2e_an"}).iloc[:0]
    totals = pd.DataFrame({"siren": ["1"], "what": ["stocks"], "aldo_epci": [3_833_000.0],
                           "default": [3_811_129.0001], "gap": [-21_870.9999]})
    r = SimpleNamespace(stocks=stocks, flows=flows, totals=totals, notes=[], label="T")
    html = reconciliation_body(r, report_convention=True)
    cells = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert f"{MINUS}28,4{NBSP}ktC" in cells and f"+6,5{NBSP}ktC" in cells
    assert f"0,0{NBSP}ktC" in cells and f"{MINUS}21,9{NBSP}ktC" in cells
    assert f"3{NNBSP}833{NBSP}ktC" in cells and f"3{NNBSP}811{NBSP}ktC" in cells
    assert not any(c.endswith(f"{NBSP}tC") for c in cells)
    # in the report, the reader is told these totals are not the bilan's (ALDO's EPCI data)
    assert "leurs totaux diffèrent donc de ceux de la synthèse" in html
    assert "leurs totaux diffèrent" not in reconciliation_body(r)  # standalone page: no


def test_zan_sentence_counts_communes_the_french_way():
    # 400 copies of the three hand communes of test_zan_present = 1 200 communes → written
    # « 1 200 communes » (narrow no-break space), never « 1200 communes »
    from test_zan_present import _accounts, _trajectory

    from espass_geo.present.report.zan import zan_body

    a = pd.concat([_accounts().assign(zone_id=lambda d, k=k: d["zone_id"] + f"-{k}")
                   for k in range(400)], ignore_index=True)
    html = zan_body(a, _trajectory(), chart_png=None, estimate=False)
    assert f"le territoire (1{NNBSP}200 communes)" in html
