"""The defaults of every map, checked in Chromium (issue #15, item 4).

Each page is built from three 2 km × 2 km boxes over Dunkerque's communes (so the shipped
commune boundaries give the background), saved, and opened in the Debian Chromium through
Playwright with **every non-``file://`` request blocked and recorded** (an offline user).
Checks:

* offline default: nothing is requested from the network when the page opens; the commune
  background is the ticked base layer (its grey polygons drawn in their pane, under the
  data), « Fond : OpenStreetMap (en ligne) » is offered unticked, and picking it does request
  tiles (the option works) and removes the commune background;
* a legend follows its layer: unticking the stock layer hides its legend, ticking it shows it;
* the emissions map opens on a layer whose values differ between zones (the footprint per
  inhabitant of the demo is national, the same everywhere);
* the scenario selector switches the right map between scenarios (layer, difference layer,
  actions, legends);
* a zone's tooltip has at most 6 lines (its name and key figures), a click opens every value;
* the print button is there, and printing hides the buttons and the layer list.

Screenshots in ``tests/artifacts/maps_*.png`` (git-ignored). Markers ``browser`` and
``slow``; skipped when ``chromium`` or the ``playwright`` package is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from espass_geo.constants import C_TO_CO2
from espass_geo.present import maps
from espass_geo.present.maps.background import COMMUNE_BACKGROUND_FR, OSM_BACKGROUND_FR
from espass_geo.present.maps.emissions import DIRECT_GHG_LAYER_FR, EMISSION_POSTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).parent / "artifacts"
X0, Y0 = 650_000.0, 7_090_000.0  # Lambert-93, in Dunkerque's communes
NAMES = ["Téteghem", "Éringhem", "Loon-Plage"]
STOCK_LAYER = "Stock moyen par commune (tC/ha)"
STOCK_CAPTION = "Stock de carbone moyen (tC/ha)"


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"zone_id": ["59588", "59199", "59359"], "zone_name": NAMES,
         "area_ha": [400.0, 400.0, 400.0]},
        geometry=[box(X0 + i * 2000, Y0, X0 + (i + 1) * 2000, Y0 + 2000) for i in range(3)],
        crs=2154)


def _stock_zones() -> gpd.GeoDataFrame:
    z = _zones()
    z["stock_tC"] = [12_000.0, 30_000.0, 8_000.0]
    z["stock_tCO2e"] = z["stock_tC"] * C_TO_CO2
    z["density_tC_ha"] = z["stock_tC"] / z["area_ha"]  # 30, 75, 20 tC/ha
    z["stock_soil_tC"] = z["stock_tC"] * 0.7
    return z


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no `chromium` on PATH (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the `playwright` package is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield b
        finally:
            b.close()


class _Page:
    """A page opened offline: ``blocked`` lists the network requests (all refused),
    ``errors`` the JavaScript errors."""

    def __init__(self, browser, path: Path) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("console", self._console)
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function(
            "() => document.querySelectorAll('path.leaflet-interactive').length > 0")

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _console(self, msg) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {msg.text}")

    def js(self, script: str, arg=None):
        return self.page.evaluate(script, arg)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"maps_{name}.png"))

    def close(self) -> None:
        self.page.close()


#: Label text → checked, for the base layers (radio) and overlays (check boxes) of the
#: layer control of map number ``i`` (0: the only or the left map, 1: the right map).
_CONTROL_JS = """(i) => {
    const c = document.querySelectorAll('.leaflet-control-layers')[i];
    const read = sel => Object.fromEntries(Array.from(c.querySelectorAll(sel + ' label'))
        .map(l => [l.textContent.trim(), l.querySelector('input').checked]));
    return {base: read('.leaflet-control-layers-base'),
            overlays: read('.leaflet-control-layers-overlays')};
}"""

#: Titles of the legends displayed.
_VISIBLE_LEGENDS_JS = """() => Array.from(document.querySelectorAll('.espass-legend'))
    .filter(e => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0)
    .map(e => e.querySelector('.espass-legend-title').textContent.trim())"""


def _click_label(p: _Page, text: str, index: int = 0) -> None:
    """Click the input of the layer-control label ``text`` of control number ``index``."""
    control = p.page.locator(".leaflet-control-layers").nth(index)
    control.locator("label").filter(has_text=text).first.locator("input").click()
    p.page.wait_for_timeout(100)  # the legend switch runs after the layer events


def test_offline_default_background_and_legend_follows_its_layer(browser, tmp_path):
    path = tmp_path / "stocks.html"
    maps.stocks_map(_stock_zones(), title="Stocks", html_path=path)
    p = _Page(browser, path)
    try:
        # nothing requested from the network: the online background is not ticked
        assert p.blocked == []
        control = p.js(_CONTROL_JS, 0)
        assert control["base"] == {COMMUNE_BACKGROUND_FR: True, OSM_BACKGROUND_FR: False}
        assert control["overlays"] == {STOCK_LAYER: True}
        # the commune background drawn (more communes than zones), under the data
        shapes = p.js("() => document.querySelectorAll("
                      "'.leaflet-espass_background-pane path').length")
        assert shapes > 3
        z = p.js("() => [getComputedStyle(document.querySelector("
                 "'.leaflet-espass_background-pane')).zIndex, getComputedStyle("
                 "document.querySelector('.leaflet-overlay-pane')).zIndex]")
        assert int(z[0]) < int(z[1])
        assert p.js(_VISIBLE_LEGENDS_JS) == [STOCK_CAPTION]
        p.shot("stocks_offline")

        # the legend follows its layer (before issue #15 it stayed)
        _click_label(p, STOCK_LAYER)
        assert p.js(_CONTROL_JS, 0)["overlays"] == {STOCK_LAYER: False}
        assert p.js(_VISIBLE_LEGENDS_JS) == []
        _click_label(p, STOCK_LAYER)
        assert p.js(_VISIBLE_LEGENDS_JS) == [STOCK_CAPTION]

        # picking OpenStreetMap replaces the commune background and asks for tiles
        _click_label(p, OSM_BACKGROUND_FR)
        p.page.wait_for_timeout(300)
        assert p.js(_CONTROL_JS, 0)["base"] == {COMMUNE_BACKGROUND_FR: False,
                                                OSM_BACKGROUND_FR: True}
        assert p.js("() => document.querySelectorAll("
                    "'.leaflet-espass_background-pane path').length") == 0
        assert p.blocked and all("tile.openstreetmap.org" in u for u in p.blocked)
    finally:
        p.close()
    assert p.errors == []


def test_emissions_map_opens_on_a_layer_that_varies(browser, tmp_path):
    z = _zones()
    z["population"] = [8000.0, 500.0, 6000.0]
    # a national footprint: the same in every zone, for the total and each post
    z["ges_hab_total_tCO2e"] = 9.0
    for post in EMISSION_POSTS:
        z[f"ges_hab_{post}_tCO2e"] = 1.5
    z["ges_direct_hab_tCO2e"] = [4.0, 12.5, 150.0]  # a steelworks in the third zone
    path = tmp_path / "emissions.html"
    maps.emissions_map(z, title="Émissions", html_path=path)
    p = _Page(browser, path)
    try:
        checked = [k for k, v in p.js(_CONTROL_JS, 0)["overlays"].items() if v]
        assert checked == [DIRECT_GHG_LAYER_FR]
        assert p.js(_VISIBLE_LEGENDS_JS) == [DIRECT_GHG_LAYER_FR]
        # three distinct colours on the map (the layer shown varies)
        fills = p.js("() => Array.from(document.querySelectorAll("
                     "'.leaflet-overlay-pane path.leaflet-interactive'))"
                     ".map(e => e.getAttribute('fill'))")
        assert len(set(fills)) == 3, fills
        p.shot("emissions_default")
    finally:
        p.close()
    assert p.blocked == [] and p.errors == []


def _scenario_zones(values: list[float], delta: list[float] | None = None
                    ) -> gpd.GeoDataFrame:
    z = _zones()
    z["stock_change_tC_ha"] = values
    z["stock_change_tC"] = [v * 400.0 for v in values]
    if delta is not None:
        z["delta_cum_tCO2e"] = delta
    return z


def test_scenario_selector_switches_scenarios(browser, tmp_path):
    base = _scenario_zones([0.5, -1.0, 0.0])
    # deltas: (scenario − baseline) tC/ha × 400 ha × 44/12
    first = _scenario_zones([1.5, -1.0, 0.0], [1466.7, 0.0, 0.0])
    second = _scenario_zones([0.5, 2.0, 3.0], [0.0, 4400.0, 4400.0])
    actions = gpd.GeoDataFrame(
        {"action_id": ["A1"], "type": ["convert"], "label": ["Boisement"], "year": [2030]},
        geometry=[box(X0 + 300, Y0 + 300, X0 + 900, Y0 + 900)], crs=2154)
    path = tmp_path / "scenarios.html"
    maps.scenario_map(base, {"Sobriété": first, "Boisement massif": second}, title="T",
                      actions={"Sobriété": actions, "Boisement massif": None}, horizon=2050,
                      html_path=path)
    p = _Page(browser, path)
    s1 = "Sobriété : variation du stock de carbone (tC/ha)"
    s2 = "Boisement massif : variation du stock de carbone (tC/ha)"
    delta1 = f"{maps.DELTA_LAYER_FR} — Sobriété"
    delta2 = f"{maps.DELTA_LAYER_FR} — Boisement massif"
    actions1 = "Actions du scénario — Sobriété"
    try:
        select = p.page.locator(".espass-dual-header select")
        assert select.locator("option").all_inner_texts() == ["Sobriété", "Boisement massif"]
        assert select.input_value() == "0"
        right = p.js(_CONTROL_JS, 1)["overlays"]
        assert [k for k, v in right.items() if v] == [s1, actions1]

        select.select_option("1")
        p.page.wait_for_timeout(150)
        right = p.js(_CONTROL_JS, 1)["overlays"]
        assert [k for k, v in right.items() if v] == [s2]  # the second has no actions
        legends = p.js(_VISIBLE_LEGENDS_JS)
        assert "Actions du scénario" not in legends
        p.shot("scenario_second")

        # the difference layer of the scenario shown, then back to the first: its difference
        _click_label(p, delta2, 1)
        assert [k for k, v in p.js(_CONTROL_JS, 1)["overlays"].items() if v] == [delta2]
        select.select_option("0")
        p.page.wait_for_timeout(150)
        assert [k for k, v in p.js(_CONTROL_JS, 1)["overlays"].items() if v] == [delta1]
        # ticking a layer of the second scenario in the control selects it
        _click_label(p, s2, 1)
        p.page.wait_for_timeout(150)
        assert select.input_value() == "1"
        assert [k for k, v in p.js(_CONTROL_JS, 1)["overlays"].items() if v] == [s2]
    finally:
        p.close()
    assert p.blocked == [] and p.errors == []


def _bilan_zones() -> gpd.GeoDataFrame:
    """Every column of the bilan map: the old tooltip had 27 lines."""
    z = _stock_zones()
    z["population"] = [8000.0, 500.0, 6000.0]
    z["flux_tCO2e_an"] = [-120.0, 350.0, 12.0]
    z["sealed_ha_an"] = [1.5, 0.0, 0.25]
    for k, post in enumerate(EMISSION_POSTS):
        z[f"ges_hab_{post}_tCO2e"] = [1.0 + k, 1.5 + k, 0.5 + k]
    z["ges_hab_total_tCO2e"] = z[[f"ges_hab_{p}_tCO2e" for p in EMISSION_POSTS]].sum(axis=1)
    z["ges_direct_hab_tCO2e"] = [4.0, 8.0, 2.0]
    for pollutant in ("NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3"):
        z[f"{pollutant}_t_km2"] = [0.5, 1.25, 3.0]
    return z


def test_tooltips_are_compact_and_a_click_opens_the_detail(browser, tmp_path):
    path = tmp_path / "index.html"
    maps.bilan_map(_bilan_zones(), title="Bilan", synthesis={"Bilan net": "1 ktCO₂e/an"},
                   html_path=path)
    p = _Page(browser, path)
    try:
        # the centre of the middle zone, under the mouse
        point = p.js("""() => {
            const paths = Array.from(document.querySelectorAll(
                '.leaflet-overlay-pane path.leaflet-interactive'));
            for (const el of paths) {
                const r = el.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (document.elementFromPoint(x, y) === el) { return [x, y]; }
            }
            return null;
        }""")
        assert point is not None
        p.page.mouse.move(point[0] - 3, point[1] - 3)
        p.page.mouse.move(*point)
        tooltip = p.page.locator(".leaflet-tooltip.espass-tooltip")
        tooltip.wait_for(state="visible")
        rows = p.js("() => Array.from(document.querySelectorAll("
                    "'.leaflet-tooltip.espass-tooltip tr')).map(tr => tr.textContent.trim())")
        assert 2 <= len(rows) <= 6, rows
        assert rows[0].startswith("Commune") and any(n in rows[0] for n in NAMES)
        assert rows[1].startswith("Stock moyen")  # the value of the layer shown comes first
        hint = p.js("() => getComputedStyle(document.querySelector("
                    "'.leaflet-tooltip.espass-tooltip'), '::after').content")
        assert hint == '"Cliquez pour le détail de la zone"'  # a line under the figures
        p.shot("bilan_tooltip")
        p.page.mouse.click(*point)
        popup = p.page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible")
        detail = p.js("() => document.querySelectorAll('.leaflet-popup-content tr').length")
        assert detail > 20  # every value of the zone
        p.shot("bilan_popup")
    finally:
        p.close()
    assert p.blocked == [] and p.errors == []


def test_print_button_and_print_layout(browser, tmp_path):
    path = tmp_path / "stocks.html"
    maps.stocks_map(_stock_zones(), title="Stocks", notes=["Une note."], html_path=path)
    p = _Page(browser, path)
    try:
        button = p.page.locator("button.espass-print")
        assert button.inner_text() == "Imprimer / PDF"
        # right under the zoom buttons
        order = p.js("() => Array.from(document.querySelector('.leaflet-top.leaflet-left')"
                     ".children).map(e => e.className)")
        assert "leaflet-control-zoom" in order[0] and "espass-print-box" in order[1]
        p.page.emulate_media(media="print")
        shown = p.js("""() => Object.fromEntries([
            ['layers', '.leaflet-control-layers'], ['zoom', '.leaflet-control-zoom'],
            ['print', '.espass-print-box'], ['legend', '.espass-legend'],
            ['notes', '.espass-notes'], ['title', '.espass-title']].map(([k, s]) =>
            [k, getComputedStyle(document.querySelector(s)).display !== 'none']))""")
        assert shown == {"layers": False, "zoom": False, "print": False, "legend": True,
                         "notes": True, "title": True}
        p.shot("stocks_print")
    finally:
        p.close()
    assert p.blocked == [] and p.errors == []
