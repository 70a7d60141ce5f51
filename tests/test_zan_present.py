"""Presentation of the ZAN results (issue #12 item 5): charts, ZAN map, ZAN layers of the
bilan map, report section, xlsx.

Hand-built inputs (no file read):

* trajectory of a territory whose reference is 10 ha/an over 2011–2020 (100 ha): ZAN path
  100 / 2 / 10 = 5 ha/an over 2021–2030, 2,5 ha/an over 2031–2040, then linear to 0 in 2050;
  observed 6 ha/an in 2021 and 2022; trend 10 ha/an (the reference pace) from 2023;
* carbon: each year 2011–2022 its observed hectares, 60 % habitat and 40 % activité, at
  50 tCO₂e/ha → mean cost (Σ tCO₂e / Σ ha) = 50,0 tCO₂e/ha; the ZAN path costs
  5 × 50 = 250 tCO₂e/an in 2021–2030;
* three communes: Alpha (reference 60 ha, budget 30, consumed 7,0: 23 %), a hostile name
  ``{{7*7}} <script>alert(1)</script>`` (reference 30, budget 15, consumed 18,5: over by
  3,5 ha, 123 %) and « =Gamma & Fils » (reference 10, budget 5, consumed 6,4: over by 1,4 ha,
  128 %); territory: reference 100, budget 50, consumed 31,9 → 64 % of the budget; costs
  350 + 925 + 320 = 1 595 tCO₂e → 1 595 / 31,9 = 50,0 tCO₂e/ha.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from espass_geo.present.charts.zan import (
    ZAN_ESTIMATE_NOTE_FR,
    mean_cost_per_ha,
    zan_destination_chart,
    zan_trajectory_chart,
)
from espass_geo.present.exports import write_zan_xlsx
from espass_geo.present.maps import bilan_map
from espass_geo.present.maps.zan import (
    BUDGET_LAYER_FR,
    CONSUMED_LAYER_FR,
    COST_HA_LAYER_FR,
    COST_LAYER_FR,
    NET_LAYER_FR,
    OVER_BUDGET_LAYER_FR,
    fmt_ha,
    zan_map,
)
from espass_geo.present.report import render_report
from espass_geo.present.report.zan import (
    over_budget_communes,
    zan_report_section,
    zan_section,
)

HOSTILE = "{{7*7}} <script>alert(1)</script>"
GAMMA = "=Gamma & Fils"
X0, Y0 = 700_000.0, 7_050_000.0


def _trajectory() -> pd.DataFrame:
    years = list(range(2011, 2051))

    def zan(y: int) -> float:
        if y < 2021:
            return np.nan
        if y <= 2030:
            return 5.0
        if y <= 2040:
            return 2.5
        return 2.5 * (2050 - y) / 10

    observed = [10.0 if y <= 2020 else 6.0 if y <= 2022 else np.nan for y in years]
    trend = [np.nan if y < 2021 else 6.0 if y <= 2022 else 10.0 for y in years]
    t = pd.DataFrame({"year": years, "observed_ha": observed, "zan_ha": [zan(y) for y in years],
                      "trend_ha": trend})
    t["period"] = ["référence 2011–2020" if y <= 2020 else "2021–2030" if y <= 2030
                   else "2031–2040" if y <= 2040 else "2041–2050" for y in years]
    after = t["year"] >= 2021
    t["cumulative_observed_since_2021_ha"] = t["observed_ha"].where(after).cumsum().where(
        after & t["observed_ha"].notna())
    t["cumulative_zan_ha"] = t["zan_ha"].where(after).cumsum()
    t["cumulative_trend_ha"] = t["trend_ha"].where(after).cumsum()
    return t


def _carbon() -> pd.DataFrame:
    rows = []
    for y in range(2011, 2023):
        ha = 10.0 if y <= 2020 else 6.0
        rows += [("59001", y, "habitat", 0.6 * ha, 0.6 * ha * 50.0),
                 ("59001", y, "activite", 0.4 * ha, 0.4 * ha * 50.0)]
    return pd.DataFrame(rows, columns=["zone_id", "year", "destination", "area_ha", "tCO2e"])


def _accounts() -> pd.DataFrame:
    a = pd.DataFrame({
        "zone_id": ["59001", "59002", "59003"],
        "zone_name": ["Alpha", HOSTILE, GAMMA],
        "reference_2011_2020_ha": [60.0, 30.0, 10.0],
        "budget_2021_2030_ha": [30.0, 15.0, 5.0],
        "guarantee_applied": [False, False, False],
        "consumed_since_2021_ha": [7.0, 18.5, 6.4],
        "last_year_observed": [2022, 2022, 2022],
        "years_observed_since_2021": ["2021–2022"] * 3,
    })
    a["remaining_budget_ha"] = a["budget_2021_2030_ha"] - a["consumed_since_2021_ha"]
    a["budget_used_share"] = a["consumed_since_2021_ha"] / a["budget_2021_2030_ha"]
    a["over_budget"] = a["remaining_budget_ha"] < 0
    a["cost_tCO2e"] = a["consumed_since_2021_ha"] * 50.0  # 350, 925, 320
    a["cost_tCO2e_per_ha"] = 50.0
    a["reference_cost_tCO2e"] = a["reference_2011_2020_ha"] * 50.0
    return a


def _zones(net: bool = True) -> gpd.GeoDataFrame:
    z = _accounts()
    if net:
        z["artificialised_ha"] = [3.0, 1.0, 0.5]
        z["renatured_ha"] = [0.5, 1.5, 0.0]
        z["net_ha"] = z["artificialised_ha"] - z["renatured_ha"]  # 2.5, −0.5, 0.5
    geoms = [box(X0 + 2000 * k, Y0, X0 + 2000 * (k + 1), Y0 + 2000) for k in range(3)]
    return gpd.GeoDataFrame(z, geometry=geoms, crs="EPSG:2154")


def _in_page(text: str, page: str) -> bool:
    """``text`` in the page, as HTML text or inside embedded JSON (non-ASCII escaped)."""
    return text in page or json.dumps(text)[1:-1] in page or json.dumps(
        text, ensure_ascii=False)[1:-1] in page


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


# ----------------------------------------------------------------------------------- charts
def test_mean_cost_per_ha_by_hand():
    # Σ tCO2e / Σ ha = (100 + 12) × 50 / (100 + 12) = 50
    assert mean_cost_per_ha(_carbon()) == pytest.approx(50.0)


@pytest.mark.parametrize("estimate", [True, False])
def test_trajectory_chart_written_with_french_labels(tmp_path, estimate):
    files = zan_trajectory_chart(_trajectory(), _carbon(), tmp_path / "graphiques",
                                 title="ZAN — Territoire d'essai", estimate=estimate)
    assert set(files) == {"zan_trajectoire.png", "zan_trajectoire.svg"}
    assert all(p.exists() and p.stat().st_size > 0 for p in files.values())
    assert _png_size(files["zan_trajectoire.png"]) == (1200, 1050)
    svg = files["zan_trajectoire.svg"].read_text(encoding="utf-8")
    for text in ("Consommation d'espaces (ha/an)", "Coût carbone (tCO₂e/an)",
                 "coût = tCO₂e émises", "référence 2011–2020", "Trajectoire ZAN",
                 "Tendance (rythme 2011–2020)",
                 # the mean cost, French decimal comma: 50,0 tCO₂e/ha
                 "Trajectoire ZAN × 50,0 tCO₂e/ha"):
        assert text in svg, text
    assert ("ESTIMATION" in svg) is estimate
    texts = re.findall(r">([^<>]*)</text>", svg)
    assert texts and not [t for t in texts if re.search(r"\d\.\d", t)]  # no decimal point


def test_trajectory_chart_without_carbon(tmp_path):
    empty = _carbon().iloc[0:0]
    files = zan_trajectory_chart(_trajectory(), empty, tmp_path, title="T")
    svg = files["zan_trajectoire.svg"].read_text(encoding="utf-8")
    assert "Pas de coût carbone" in svg


def test_trajectory_chart_checks_columns(tmp_path):
    with pytest.raises(KeyError, match="observed_ha"):
        zan_trajectory_chart(_trajectory().drop(columns="observed_ha"), _carbon(), tmp_path,
                             title="T")


def test_destination_chart_stacks_french_destinations(tmp_path):
    c = pd.concat([_carbon(), pd.DataFrame({"zone_id": ["59001"], "year": [2022],
                                            "destination": ["total"], "area_ha": [1.0],
                                            "tCO2e": [50.0]})])
    files = zan_destination_chart(c, tmp_path, title="ZAN", estimate=True)
    svg = files["zan_destinations.svg"].read_text(encoding="utf-8")
    for text in ("Habitat", "Activité", "Non ventilé", "référence 2011–2020", "ESTIMATION"):
        assert text in svg, text
    assert "activite" not in svg


# -------------------------------------------------------------------------------------- map
def test_fmt_ha_french():
    assert fmt_ha(1.4) == "1,4\u00a0ha"
    assert fmt_ha(0.35) == "0,35\u00a0ha"
    assert fmt_ha(1234.5) == "1\u202f234,5\u00a0ha"
    assert fmt_ha(float("nan")) == "–"


def test_zan_map_layers_tooltips_and_hostile_names(tmp_path):
    path = tmp_path / "carte_zan.html"
    zan_map(_zones(), title=f"ZAN {HOSTILE}", notes=[f"note {HOSTILE}"], estimate=True,
            html_path=path, basemap=False)
    page = path.read_text(encoding="utf-8")
    for name in (CONSUMED_LAYER_FR, BUDGET_LAYER_FR, COST_HA_LAYER_FR, COST_LAYER_FR,
                 NET_LAYER_FR, OVER_BUDGET_LAYER_FR):
        assert _in_page(name, page) or _in_page(name.replace("'", "&#x27;"), page), name
    # tooltips formatted in Python, the French way
    for text in ("6,4\u00a0ha", "18,5\u00a0ha", "123\u00a0%", "925\u00a0tCO₂e",
                 "50,0\u00a0tCO₂e/ha", "OUI : 3,5\u00a0ha au-delà du budget",
                 "OUI : 1,4\u00a0ha au-delà du budget", "\u22120,50\u00a0ha", "+2,5\u00a0ha",
                 "Référence 2011–2020", "Budget 2021–2030", "Consommé depuis 2021",
                 "Reste du budget", "Coût carbone depuis 2021"):
        assert _in_page(text, page), text
    # hostile names stay literal text: never evaluated, never markup
    assert "<script>alert(1)" not in page
    assert _in_page("{{7*7}} &lt;script&gt;alert(1)&lt;/script&gt;", page)
    assert not re.search(r"(?<![\d.])49 &lt;script", page)
    # the estimate note first, in red
    assert 'class="espass-estimate"' in page
    assert ZAN_ESTIMATE_NOTE_FR.replace("'", "&#x27;") in page
    assert page.index("espass-estimate") < page.index("Coût carbone : tCO₂e émises")


def test_zan_map_without_over_budget_nor_net(tmp_path):
    z = _zones(net=False)
    z["over_budget"] = False
    m = zan_map(z, title="ZAN", basemap=False)
    page = m.get_root().render()
    assert not _in_page(OVER_BUDGET_LAYER_FR, page)
    assert not _in_page(NET_LAYER_FR, page)
    assert "espass-estimate" not in page


def test_zan_map_needs_a_zan_column():
    z = _zones()[["zone_id", "zone_name", "geometry"]]
    with pytest.raises(KeyError, match="no ZAN column"):
        zan_map(z, title="ZAN", basemap=False)


def test_bilan_map_zan_layers(tmp_path):
    a = _zones(net=False)
    z = a[["zone_id", "zone_name", "geometry"]].assign(
        area_ha=400.0, density_tC_ha=[50.0, 60.0, 70.0],
        zan_consumed_since_2021_ha=a["consumed_since_2021_ha"],
        zan_budget_used_share=a["budget_used_share"],
        zan_cost_tCO2e_ha=a["cost_tCO2e_per_ha"], zan_cost_tCO2e=a["cost_tCO2e"])
    path = tmp_path / "index.html"
    bilan_map(z, title="Bilan", html_path=path, basemap=False)
    page = path.read_text(encoding="utf-8")
    for name in (CONSUMED_LAYER_FR, BUDGET_LAYER_FR, COST_HA_LAYER_FR, COST_LAYER_FR):
        assert _in_page(name, page) or _in_page(name.replace("'", "&#x27;"), page), name
    # 18,5 / 15 = 123 %; 6,4 / 5 = 128 %; 7 / 30 = 23 %
    for text in ("ZAN : ENAF consommés depuis 2021", "18,5\u00a0ha",
                 "123\u00a0% (au-delà du budget)", "128\u00a0% (au-delà du budget)",
                 "23\u00a0%", "925\u00a0tCO₂e", "Coût carbone : tCO₂e émises"):
        assert _in_page(text, page), text
    assert json.dumps("23\u00a0%") in page  # Alpha: a whole value, not flagged
    assert "<script>alert(1)" not in page


# ----------------------------------------------------------------------------------- report
def test_over_budget_communes_sorted_by_overshoot():
    over = over_budget_communes(_accounts())
    # overshoots: hostile 18,5 − 15 = 3,5; Gamma 6,4 − 5 = 1,4; Alpha not over
    assert over["zone_name"].tolist() == [HOSTILE, GAMMA]
    assert over["overshoot_ha"].tolist() == pytest.approx([3.5, 1.4])


def test_zan_section_summary_order_and_escaping(tmp_path):
    chart = zan_trajectory_chart(_trajectory(), _carbon(), tmp_path, title="T",
                                 estimate=True)["zan_trajectoire.png"]
    html = zan_section(_accounts(), _trajectory(), chart_png=chart, estimate=True)
    assert html.startswith('<section id="zan">')
    # summary by hand: reference 100, budget 50, consumed 31,9 (64 %), 1 595 tCO₂e, 50 t/ha
    for text in ("100,0\u00a0ha", "50,0\u00a0ha", "31,9\u00a0ha", "64\u00a0% du budget",
                 "1\u202f595\u00a0tCO₂e", "50,0\u00a0tCO₂e/ha", "reste 18,1\u00a0ha",
                 # trend: 6 + 6 + 10 × k ≥ 50 → 2021, 2022, then 2025 (12 + 30 = 42), 2026 (52)
                 "serait épuisé en 2026", "2 communes ont dépassé leur budget"):
        assert text in html, text
    assert "ESTIMATION" in html
    assert "data:image/png;base64," in html
    # the table: hostile commune first (3,5 ha over), then Gamma (1,4 ha), names escaped
    body = html[html.index('id="zan-depassements"'):]
    i_hostile = body.index("{{7*7}} &lt;script&gt;alert(1)&lt;/script&gt;")
    i_gamma = body.index("=Gamma &amp; Fils")
    assert i_hostile < i_gamma
    cells = re.findall(r'<td class="num">([^<]*)</td>', body)
    # hostile: 59002, 30,0, 15,0, 18,5, +3,5, 123 %, 925; then Gamma
    assert cells == ["59002", "30,0", "15,0", "18,5", "+3,5", "123\u00a0%", "925",
                     "59003", "10,0", "5,0", "6,4", "+1,4", "128\u00a0%", "320"]
    assert "Alpha" not in body
    assert "<script>" not in html


def test_zan_section_without_overshoot_nor_estimate():
    a = _accounts()
    a["consumed_since_2021_ha"] = [1.0, 1.0, 1.0]
    a["over_budget"] = False
    html = zan_section(a, _trajectory(), chart_png=None, estimate=False)
    assert "Aucune commune n'a dépassé" in html or "Aucune commune n&#x27;a dépassé" in html
    assert "ESTIMATION" not in html
    assert "<img" not in html


def test_report_with_zan_part(tmp_path):
    from test_report import _meta, make_bilan

    part = zan_report_section(_accounts(), _trajectory(), chart_png=None, estimate=True)
    out = render_report(make_bilan(), meta=_meta(extra_sections=[part]), charts=None,
                        out_path=tmp_path / "rapport.html")
    html = out.read_text(encoding="utf-8")
    # numbered like the others, before the warnings, and in the table of contents
    m = re.search(r'<section id="zan">\s*<h2>(\d+)\. Sobriété foncière \(ZAN\) et coût '
                  r"carbone</h2>", html)
    assert m is not None
    w = re.search(r'<section id="avertissements">\s*<h2>(\d+)\.', html)
    assert int(w.group(1)) == int(m.group(1)) + 1
    assert '<a href="#zan">' in html
    assert "{{7*7}} &lt;script&gt;alert(1)&lt;/script&gt;" in html
    with pytest.raises(ValueError, match="slug"):
        render_report(make_bilan(), meta=_meta(extra_sections=[{**part, "id": "sources"}]),
                      charts=None, out_path=tmp_path / "r2.html")


# ------------------------------------------------------------------------------------- xlsx
def test_zan_xlsx_sheets_and_formula_safety(tmp_path):
    path = write_zan_xlsx({"zan_communes": _accounts(), "zan_trajectoire": _trajectory(),
                           "zan_carbone": _carbon()}, tmp_path / "zan.xlsx",
                          notes=[ZAN_ESTIMATE_NOTE_FR])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Lisez-moi", "zan_communes", "zan_trajectoire", "zan_carbone"]
    readme = [c.value for c in wb["Lisez-moi"]["B"] if c.value]
    assert any("tCO2e émises" in str(v) for v in readme)
    assert ZAN_ESTIMATE_NOTE_FR in readme
    ws = wb["zan_communes"]
    head = [c.value for c in ws[1]]
    row = {h: ws.cell(row=4, column=j + 1) for j, h in enumerate(head)}  # Gamma
    assert row["zone_name"].value == GAMMA and row["zone_name"].data_type == "s"
    assert row["zone_name"].quotePrefix
    assert row["consumed_since_2021_ha"].value == pytest.approx(6.4)
    assert row["over_budget"].value is True
    assert wb["zan_trajectoire"].max_row == 41  # header + 2011…2050


# -------------------------------------------------------------------------------- browser
@pytest.mark.browser
def test_zan_map_hover_in_chromium(tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no `chromium` on PATH (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "carte_zan.html"
    zan_map(_zones(), title="ZAN", estimate=True, html_path=path, basemap=False)
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium,
                              args=["--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking"])
        try:
            page = b.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
                       else r.abort())
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            zones = page.locator("path.leaflet-interactive")
            zones.first.wait_for()
            texts = []
            for k in range(zones.count()):
                bb = zones.nth(k).bounding_box()
                page.mouse.move(bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2)
                tip = page.locator(".leaflet-tooltip.espass-tooltip").first
                tip.wait_for(state="visible")
                texts.append(tip.inner_text())
            artifacts = Path(__file__).parent / "artifacts"
            artifacts.mkdir(exist_ok=True)
            page.screenshot(path=str(artifacts / "hover_zan.png"))
            page.wait_for_timeout(200)
        finally:
            b.close()
    assert problems == []
    text = "\n".join(texts)
    assert HOSTILE in text and GAMMA in text  # shown literally
    assert "1,4\u00a0ha" in text or "1,4 ha" in text
