"""The published bilan map (espass_geo.present.maps.bilan_map) over the real demo communes.

Two levels:

* ``test_bilan_page_html``: no browser, the saved ``index.html`` is parsed as text (layer
  names, French numbers, synthesis panel, links, offline assets), as in test_flux_map.py.
* ``test_bilan_page_in_chromium`` (marker ``browser``): the page is opened in the Debian
  Chromium through Playwright, every non-``file://`` request blocked (the OpenStreetMap tiles),
  so the run is offline and deterministic. Checks: no JavaScript error, Leaflet and the SVG
  zones rendered, ticking "Flux net de carbone…" replaces the stock layer and its legend,
  the tooltip shows French numbers. Screenshot kept in ``tests/artifacts/browser_index.png``
  (git-ignored). Skipped when Chromium or the ``playwright`` package is missing; the browser
  is never downloaded (no ``playwright install``).

Indicator values are made up (seeded), with positive and negative flows.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from espass_geo.present.charts import ESTIMATE_NOTE_FR
from espass_geo.present.fmt import fmt_mass_t, fmt_quantity
from espass_geo.present.maps import bilan_map, remote_assets

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
ARTIFACTS = Path(__file__).parent / "artifacts"
TITLE = "Bilan ESPASS — CU de Dunkerque & CC des Hauts de Flandre"
POSTS = ["alimentation", "biens_consommation", "deplacements", "residentiel", "services",
         "travaux"]
POLLUTANTS = ["NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3"]
STOCK_LAYER = "Stock de carbone (tC/ha)"
FLOW_LAYER = "Flux net de carbone (tCO₂e/ha/an) — positif = séquestration"
ZONE_LAYERS = [
    STOCK_LAYER,
    FLOW_LAYER,
    "Artificialisation (ha/an)",
    "Empreinte GES par habitant — total (tCO₂e/hab/an)",
    "Empreinte GES par habitant — Alimentation",
    "Empreinte GES par habitant — Biens de consommation",
    "Empreinte GES par habitant — Déplacements",
    "Empreinte GES par habitant — Résidentiel",
    "Empreinte GES par habitant — Services",
    "Empreinte GES par habitant — Travaux",
    "Émissions directes de GES par habitant (tCO₂e/hab/an)",
    "NOₓ (t/km²/an)",
    "PM₁₀ (t/km²/an)",
    "PM₂,₅ (t/km²/an)",
    "COVNM (t/km²/an)",
    "SO₂ (t/km²/an)",
    "NH₃ (t/km²/an)",
]
OVERLAYS = ["Parcelles agricoles (RPG)", "Points chauds d'artificialisation",
            "Actions du scénario"]
STOCK_CAPTION = "Stock de carbone moyen (tC/ha)"
FLOW_CAPTION = "Flux net (tCO₂e/ha/an) — positif = séquestration, négatif = émission"
LINKS = [("Rapport", "rapport.html"), ("Comparaison tendanciel / scénario",
                                       "carte_scenarios.html"),
         ("Données (Excel)", "bilan.xlsx")]
#: A French number (decimal comma or U+202F thousands separator) and a French unit.
FRENCH_NUMBER_RE = re.compile(
    r"[+−]?(?:\d{1,3}(?:\u202f\d{3})+(?:,\d+)?|\d+,\d+)\u00a0"
    r"(?:k?tC|k?tCO₂e(?:/ha)?/an|tC/ha|ha(?:/an)?|tCO₂e/hab/an|t/km²/an|hab\.)")


def _unescape(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _collections(text: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"geo_json_\w+_add\((\{.*\})\);", text)]


@pytest.fixture(scope="module")
def demo_zones() -> gpd.GeoDataFrame:
    from espass_geo.territory.resolve import resolve_territory

    z = resolve_territory("epci:245900428,200040954").zones.copy()
    rng = np.random.default_rng(20240601)
    n = len(z)
    z["area_ha"] = z.geometry.area / 10_000.0
    z["population"] = rng.integers(300, 25_000, n).astype(float)
    z["density_tC_ha"] = rng.uniform(35.0, 140.0, n)
    z["stock_tC"] = z["density_tC_ha"] * z["area_ha"]
    # flows: emitting (urban) and sequestering (wooded) communes
    z["flux_tCO2e_ha_an"] = rng.normal(0.1, 0.9, n)
    z.loc[z.index[:4], "flux_tCO2e_ha_an"] = [-2.345, 1.876, -0.5, 0.25]
    z["flux_tCO2e_an"] = z["flux_tCO2e_ha_an"] * z["area_ha"]
    z["sealed_ha_an"] = rng.gamma(1.5, 2.0, n)
    for k, post in enumerate(POSTS):
        z[f"ges_hab_{post}_tCO2e"] = rng.uniform(0.5, 3.0, n) + 0.1 * k
    z["ges_hab_total_tCO2e"] = z[[f"ges_hab_{p}_tCO2e" for p in POSTS]].sum(axis=1)
    z["ges_direct_hab_tCO2e"] = rng.lognormal(2.0, 1.0, n)
    for k, pollutant in enumerate(POLLUTANTS):
        z[f"{pollutant}_t_km2"] = rng.lognormal(0.0 - k * 0.3, 0.8, n)
    return z


@pytest.fixture(scope="module")
def page_path(tmp_path_factory, demo_zones) -> Path:
    z = demo_zones
    # parcels, hotspots, actions: squares around the inner points of a few communes
    pts = z.geometry.representative_point()
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2", "P3"], "land_use_fr": ["Prairie", "Grandes cultures",
                                                          "Verger"],
         "area_ha": [9.0, 16.0, 4.0], "stock_tC": [765.0, 1_024.5, 300.0],
         "density_tC_ha": [85.0, 64.03, 75.0]},
        geometry=[box(p.x - s, p.y - s, p.x + s, p.y + s)
                  for p, s in zip(pts.iloc[[1, 5, 9]], [150, 200, 100], strict=True)],
        crs=z.crs)
    hotspots = gpd.GeoDataFrame(
        {"cell_id": ["C1", "C2"], "sealed_ha": [12.5, 3.0], "years": [6, 6]},
        geometry=[box(p.x - 500, p.y - 500, p.x + 500, p.y + 500) for p in pts.iloc[[2, 7]]],
        crs=z.crs)
    actions = gpd.GeoDataFrame(
        {"action_id": ["A1", "A2", "A3"], "type": ["convert", "seal", "hedges"],
         "label": ["Boisement du marais", "Zone d'activités", "Haies bocagères"],
         "year": [2030, 2027, 2035]},
        geometry=[box(pts.iloc[3].x - 800, pts.iloc[3].y - 600, pts.iloc[3].x + 800,
                      pts.iloc[3].y + 600),
                  box(pts.iloc[6].x - 400, pts.iloc[6].y - 400, pts.iloc[6].x + 400,
                      pts.iloc[6].y + 400),
                  LineString([(pts.iloc[8].x - 1500, pts.iloc[8].y),
                              (pts.iloc[8].x + 1500, pts.iloc[8].y + 300)])],
        crs=z.crs)
    footprint = float((z["ges_hab_total_tCO2e"] * z["population"]).sum())
    direct = float((z["ges_direct_hab_tCO2e"] * z["population"]).sum())
    flux = float(z["flux_tCO2e_an"].sum())
    def signed(value: float, unit: str) -> str:
        return ("+" if value > 0 else "") + fmt_mass_t(value, unit) + "/an"

    synthesis = {
        "Empreinte de consommation": fmt_mass_t(footprint, "tCO₂e") + "/an",
        "Émissions directes": fmt_mass_t(direct, "tCO₂e") + "/an",
        "Séquestration nette (sols et forêts)": signed(flux, "tCO₂e"),
        "Bilan net": signed(flux - direct, "tCO₂e"),
        "Stock de carbone": fmt_mass_t(float(z["stock_tC"].sum()), "tC"),
    }
    path = tmp_path_factory.mktemp("bilan") / "index.html"
    bilan_map(z, title=TITLE, subtitle="Démonstration — valeurs inventées", parcels=parcels,
              hotspots=hotspots, actions=actions, synthesis=synthesis, links=LINKS,
              notes=["Valeurs inventées pour le test du navigateur."], html_path=path,
              estimate=True)
    return path


def test_bilan_page_html(page_path, demo_zones):
    text = page_path.read_text(encoding="utf-8")
    decoded = _unescape(text)
    # layers: the two backgrounds (offline communes, online tiles), every zone layer, then
    # the overlays, in this order
    names = re.findall(r'"([^"]+)" : (?:feature_group|tile_layer)_\w+', decoded)
    assert names == ["Fond : communes (hors ligne)", "Fond : OpenStreetMap (en ligne)",
                     *ZONE_LAYERS, *OVERLAYS]
    exclusive = re.search(r"var exclusive = \[([^\]]*)\];", text)
    assert exclusive is not None and len(exclusive.group(1).split(",")) == len(ZONE_LAYERS)
    # one legend per layer (zones + 3 overlays)
    assert text.count('<div class="espass-legend-title">') == len(ZONE_LAYERS) + 3
    assert f'<div class="espass-legend-title">{STOCK_CAPTION}</div>' in text

    # French numbers in the tooltips, computed in Python
    zones = next(c for c in _collections(text) if "flux_ha_fr" in c["features"][0]["properties"])
    props = {f["properties"]["zone_id_fr"]: f["properties"] for f in zones["features"]}
    assert len(props) == len(demo_zones)
    first = props[str(demo_zones["zone_id"].iloc[0])]
    assert first["flux_ha_fr"] == f"{MINUS}2,35{NBSP}tCO₂e/ha/an"
    assert props[str(demo_zones["zone_id"].iloc[1])]["flux_ha_fr"] == f"+1,88{NBSP}tCO₂e/ha/an"
    flux_texts = [p["flux_fr"] for p in props.values()]
    assert any(t.startswith("+") for t in flux_texts)
    assert any(t.startswith(MINUS) for t in flux_texts)
    assert not any("-" in t or "." in t for t in flux_texts)  # U+2212 and a decimal comma
    for key in ("stock_fr", "density_fr", "ges_hab_total_fr", "NOx_t_km2_fr",
                "PM2_5_t_km2_fr", "population_fr", "area_fr"):
        assert all(FRENCH_NUMBER_RE.fullmatch(p[key]) or p[key].isdigit()
                   or re.fullmatch(r"\d{1,3}\u00a0\S+", p[key]) for p in props.values()), key
    assert first["density_fr"] == fmt_quantity(demo_zones["density_tC_ha"].iloc[0], "tC/ha", 1)
    assert NNBSP in first["population_fr"] or len(first["population_fr"]) <= 7
    aliases = re.findall(r"let aliases = (\[.*?\]);", decoded)
    assert any("Flux net par hectare" in a and "dont Déplacements" in a and "PM₂,₅" in a
               for a in aliases)

    # synthesis panel: open, two columns, escaped; the links
    assert '<details class="espass-details" open><summary>Synthèse du bilan</summary>' in text
    for label in ("Empreinte de consommation", "Émissions directes",
                  "Séquestration nette (sols et forêts)", "Bilan net", "Stock de carbone"):
        assert re.search(rf'<tr><th scope="row">{re.escape(label)}</th><td>[^<]*\d[^<]*</td>'
                         r"</tr>", text), label
    for label, href in LINKS:
        assert f'<li><a href="{href}">{label}</a></li>' in text
    # estimate warning first in the notes box; title escaped
    assert text.index(ESTIMATE_NOTE_FR) < text.index("Convention ALDO")
    assert "CU de Dunkerque &amp; CC des Hauts de Flandre" in text

    # offline: no remote script or stylesheet, every local one copied next to the page
    assert remote_assets(text) == []
    local = re.findall(r'<(?:script[^>]*?src|link[^>]*?href)="(lib/[^"]+)"', text)
    assert local and all((page_path.parent / ref).is_file() for ref in local)


def test_bilan_missing_columns_skip_layers(demo_zones, tmp_path):
    z = demo_zones[["zone_id", "zone_name", "area_ha", "stock_tC", "flux_tCO2e_an",
                    "NH3_t_km2", "geometry"]]
    # per-hectare layers derived from the totals; absent indicators: no layer, no panel
    m = bilan_map(z, title="Bilan partiel", html_path=tmp_path / "partiel.html")
    text = (tmp_path / "partiel.html").read_text(encoding="utf-8")
    names = re.findall(r'"([^"]+)" : feature_group_\w+', _unescape(text))
    assert names == ["Fond : communes (hors ligne)", STOCK_LAYER, FLOW_LAYER, "NH₃ (t/km²/an)"]
    assert "Synthèse du bilan" not in text and ESTIMATE_NOTE_FR not in text
    assert m is not None
    with pytest.raises(ValueError, match="javascript"):
        bilan_map(z, title="x", links=[("Piège", "javascript:alert(1)")])
    with pytest.raises(KeyError, match="no indicator column"):
        bilan_map(z[["zone_id", "zone_name", "geometry"]], title="x")


_VISIBLE_LEGENDS_JS = """() => Array.from(document.querySelectorAll('.espass-legend'))
    .filter(e => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0)
    .map(e => e.querySelector('.espass-legend-title').textContent.trim())"""

#: A point of the map whose topmost element is a zone path (overlay pane), away from the
#: boxes and overlays; scanned on a grid from the centre outwards.
_ZONE_POINT_JS = """() => {
    const r = document.querySelector('.leaflet-container').getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    for (let d = 0; d < Math.max(r.width, r.height) / 2; d += 12) {
        for (const [dx, dy] of [[d, 0], [-d, 0], [0, d], [0, -d], [d, d], [-d, -d]]) {
            const x = cx + dx, y = cy + dy;
            const el = document.elementFromPoint(x, y);
            if (el && el.matches('path.leaflet-interactive')
                    && el.closest('.leaflet-overlay-pane')) { return [x, y]; }
        }
    }
    return null;
}"""


@pytest.mark.browser
def test_bilan_page_in_chromium(page_path, demo_zones):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no `chromium` on PATH (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the `playwright` package is not installed (pip install playwright)")

    errors: list[str] = []
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    def on_console(msg):
        if msg.type != "error":
            return
        # an aborted tile is logged as "Failed to load resource" with its URL: expected
        if (msg.text.startswith("Failed to load resource")
                and msg.location.get("url") in blocked):
            return
        errors.append(f"console: {msg.text} ({msg.location})")

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
            page.route("**/*", route)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.goto(page_path.as_uri(), wait_until="load")

            page.wait_for_selector(".leaflet-container")
            page.wait_for_function(
                "() => document.querySelectorAll('path.leaflet-interactive').length > 0")
            assert page.locator("path.leaflet-interactive").count() >= len(demo_zones)
            assert page.locator(".espass-synthesis details[open]").count() == 1
            assert page.evaluate(_VISIBLE_LEGENDS_JS)[-1] == STOCK_CAPTION  # lowest = zones

            overlays = page.locator(".leaflet-control-layers-overlays label")
            stock_box = overlays.filter(
                has_text=re.compile(r"^\s*Stock de carbone \(tC/ha\)\s*$")).locator("input")
            flux_box = overlays.filter(has_text="Flux net de carbone").locator("input")
            sync_api.expect(stock_box).to_be_checked()
            sync_api.expect(flux_box).not_to_be_checked()
            flux_box.click()
            sync_api.expect(flux_box).to_be_checked()
            sync_api.expect(stock_box).not_to_be_checked()
            page.wait_for_function(
                f"() => ({_VISIBLE_LEGENDS_JS})().includes({json.dumps(FLOW_CAPTION)})")
            legends = page.evaluate(_VISIBLE_LEGENDS_JS)
            assert FLOW_CAPTION in legends and STOCK_CAPTION not in legends

            point = page.evaluate(_ZONE_POINT_JS)
            assert point is not None, "no zone visible under the boxes"
            page.mouse.move(point[0] - 3, point[1] - 3)
            page.mouse.move(*point)
            tooltip = page.locator(".leaflet-tooltip.espass-tooltip")
            tooltip.wait_for(state="visible")
            rows = dict(page.evaluate(
                """() => Array.from(document.querySelectorAll(
                    '.leaflet-tooltip.espass-tooltip tr')).map(
                    tr => [tr.querySelector('th').textContent.trim(),
                           tr.querySelector('td').textContent.trim()])"""))
            assert FRENCH_NUMBER_RE.search(tooltip.inner_text()), rows
            # compact tooltip: the name and four key figures, the flow of the layer first
            assert len(rows) <= 5, rows
            assert list(rows)[:2] == ["Commune", "Flux net par hectare"], rows
            assert rows["Commune"] in set(demo_zones["zone_name"])
            assert re.fullmatch(r"[+−]\d+,\d{2}\u00a0tCO₂e/ha/an|0,00\u00a0tCO₂e/ha/an",
                                rows["Flux net par hectare"]), rows

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser_index.png"))
        finally:
            browser.close()

    # offline by default: the OpenStreetMap background is offered, not ticked, so nothing
    # was requested from the network
    assert blocked == [], blocked[:5]
    assert errors == []
