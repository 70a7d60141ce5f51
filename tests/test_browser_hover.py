"""Every feature of every map kind, hovered and clicked in Chromium, with hostile names.

The five published map kinds (stocks, flows, emissions, scenario side by side, bilan
``index.html``) are built on three small zones whose names and ids carry the payloads
``"><img src=x onerror=alert(1)>``, ``</script><script>alert(2)</script>`` and ``{{7*7}}``;
parcels, hotspot cells and scenario actions carry them too. Each page is opened in the Debian
Chromium through Playwright (every non-``file://`` request blocked, as in test_browser.py).
A script walks the Leaflet layer controls of every map on the page, puts each layer on its map
and fires ``mouseover``, ``click`` and ``mouseout`` on **every** feature (SVG or canvas alike,
events fired on the Leaflet layers), reading the tooltip text each time. The test fails on any
dialog (``alert``), console error or page error, checks that every feature was visited, and that
the hostile names are shown literally in the tooltips. A real mouse hover on a zone is
screenshot in ``tests/artifacts/hover_<kind>.png`` (git-ignored).

Marker ``browser``; skipped only when ``chromium`` or the ``playwright`` package is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from bad_inputs.common import TINY
from shapely.geometry import box
from test_hostile_html import X0, Y0, _actions, _emission_columns

from espass_geo.present import maps

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
IMG = 'Zone "><img src=x onerror=alert(1)>'
SCRIPT = "Zone </script><script>alert(2)</script>"
EXPR = "Zone {{7*7}} fin"
NAMES = (IMG, SCRIPT, EXPR)


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"zone_id": ["id-" + n for n in NAMES], "zone_name": list(NAMES),
         "area_ha": [100.0] * 3},
        geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(3)],
        crs="EPSG:2154")


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": [IMG], "land_use_fr": ["Prairie"], "area_ha": [1.0],
         "stock_tC": [50.0], "density_tC_ha": [50.0]},
        geometry=[box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)], crs="EPSG:2154")


def _hotspots() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"cell_id": [SCRIPT], "sealed_ha": [2.5], "years": [6]},
                            geometry=[box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000)],
                            crs="EPSG:2154")


def _build(kind: str, out: Path) -> Path:
    z = _zones()
    path = out / f"{kind}.html"
    common = {"title": f"Titre {IMG}", "notes": [SCRIPT], "html_path": path, "basemap": False}
    if kind in ("stocks", "stocks-canvas"):
        z["stock_tC"] = [5000.0, 6000.0, 7000.0]
        z["stock_tCO2e"] = z["stock_tC"] * 44 / 12
        z["density_tC_ha"] = z["stock_tC"] / z["area_ha"]
        parcels = _parcels()
        if kind == "stocks-canvas":  # more than 1 000 parcels: drawn on a canvas
            n = 1001
            parcels = gpd.GeoDataFrame(
                {"parcel_id": [f"{IMG} {k}" for k in range(n)], "land_use_fr": ["Prairie"] * n,
                 "area_ha": [0.01] * n, "stock_tC": [0.5] * n, "density_tC_ha": [50.0] * n},
                geometry=[box(X0 + 30 * (k % 33), Y0 + 30 * (k // 33), X0 + 30 * (k % 33) + 20,
                              Y0 + 30 * (k // 33) + 20) for k in range(n)], crs="EPSG:2154")
        # on a canvas map, a shown parcel layer's canvas covers the zones' (hover a zone first)
        maps.stocks_map(z, parcels=parcels, show_parcels=kind == "stocks", **common)
    elif kind == "flows":
        z["flux_tCO2e_an"] = [-120.0, 35.0, 0.0]
        z["flux_tCO2e_ha_an"] = z["flux_tCO2e_an"] / z["area_ha"]
        maps.flows_map(z, hotspots=_hotspots(), **common)
    elif kind == "emissions":
        maps.emissions_map(_emission_columns(z, ("NOx",)), **common)
    elif kind == "scenario":
        z["stock_change_tC_ha"] = [-0.5, 0.25, 1.0]
        s = z.copy()
        s["stock_change_tC_ha"] = [0.5, 0.75, 1.0]
        s["delta_cum_tCO2e"] = (s["stock_change_tC_ha"] - z["stock_change_tC_ha"]) * 100 * 44 / 12
        maps.scenario_map(z, s, actions=_actions(IMG), scenario_label=f"Plan {IMG}",
                          baseline_label=f"Base {SCRIPT}", **common)
    elif kind == "bilan":
        z = _emission_columns(z, ("PM10",))
        z["stock_tC"] = [5000.0, 6000.0, 7000.0]
        z["flux_tCO2e_an"] = [-120.0, 35.0, 0.0]
        maps.bilan_map(z, parcels=_parcels(), hotspots=_hotspots(), actions=_actions(IMG),
                       synthesis={IMG: SCRIPT}, links=[(IMG, "rapport.html")], **common)
    return path


#: Every map of the page (``map_…`` globals), every layer of its layer controls put on the
#: map in turn, every feature of every GeoJSON layer hovered, clicked and left; the text of
#: the open tooltips read after each hover. Returns the counts and the tooltip texts.
_VISIT_ALL_JS = """() => {
    const maps = Object.keys(window).filter(k => /^map_/.test(k) && window[k] instanceof L.Map)
        .map(k => window[k]);
    const controls = Object.keys(window).filter(k => /^layer_control_\\w+_layers$/.test(k))
        .map(k => eval(k.replace(/_layers$/, '')));
    const geojsons = Object.keys(window)
        .filter(k => /^geo_json_/.test(k) && window[k] instanceof L.GeoJSON).map(k => window[k]);
    let total = 0;
    geojsons.forEach(g => { total += g.getLayers().length; });
    const visited = new Set();
    const tooltips = [];
    let fired = 0;
    function visit(map, layer) {
        // the commune background (not interactive, no tooltip) is not a folium GeoJson
        if (layer instanceof L.GeoJSON && !geojsons.includes(layer)) { return; }
        if (layer instanceof L.GeoJSON) {
            layer.getLayers().forEach(f => {
                const latlng = f.getBounds ? f.getBounds().getCenter() : f.getLatLng();
                const ev = {latlng: latlng, layerPoint: map.latLngToLayerPoint(latlng),
                            containerPoint: map.latLngToContainerPoint(latlng)};
                f.fire('mouseover', ev, true);
                f.fire('mousemove', ev, true);
                document.querySelectorAll('.leaflet-tooltip').forEach(
                    t => tooltips.push(t.textContent));
                f.fire('click', ev, true);
                f.fire('mouseout', ev, true);
                visited.add(L.stamp(f));
                fired += 1;
            });
        } else if (layer.eachLayer) {
            layer.eachLayer(l => visit(map, l));
        }
    }
    controls.forEach(c => {
        c._layers.forEach(o => {
            if (!c._map.hasLayer(o.layer)) { c._map.addLayer(o.layer); }
            visit(c._map, o.layer);
        });
    });
    return {maps: maps.length, controls: controls.length, total: total,
            visited: visited.size, fired: fired, tooltips: tooltips};
}"""

#: A point whose topmost element is an interactive zone path of the first map; on a canvas
#: map, the centre of the middle zone (the first GeoJSON layer of the page holds the zones).
_ZONE_POINT_JS = """() => {
    for (const el of document.querySelectorAll('path.leaflet-interactive')) {
        const r = el.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (r.width > 4 && document.elementFromPoint(x, y) === el) { return [x, y]; }
    }
    const map = Object.keys(window).filter(k => /^map_/.test(k)).map(k => window[k])[0];
    const zones = Object.keys(window).map(k => window[k])
        .filter(v => v instanceof L.GeoJSON)[0];
    const f = zones.getLayers()[1];
    const p = map.latLngToContainerPoint(f.getBounds().getCenter());
    const r = map.getContainer().getBoundingClientRect();
    return [r.left + p.x, r.top + p.y];
}"""


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


def _open(browser, path: Path):
    """A page on ``path`` and the list of problems it reports (dialogs, errors)."""
    problems: list[str] = []
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    def on_console(msg):
        if msg.type == "error" and not (msg.text.startswith("Failed to load resource")
                                        and msg.location.get("url") in blocked):
            problems.append(f"console: {msg.text}")

    def on_dialog(dialog):
        problems.append(f"dialog: {dialog.type} {dialog.message}")
        dialog.dismiss()

    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    page.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("dialog", on_dialog)
    page.goto(path.as_uri(), wait_until="load")
    return page, problems


def test_harness_sees_a_dialog(browser, tmp_path):
    """The listener works: an unescaped ``<img onerror>`` in a page is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><p>x</p><img src=x onerror="alert(1)">', encoding="utf-8")
    page, problems = _open(browser, bad)
    page.wait_for_timeout(300)
    page.close()
    assert any(p.startswith("dialog: alert") for p in problems), problems


def _visit_page(browser, path: Path, shot: str) -> dict:
    """Open ``path``, hover one zone with the mouse (screenshot ``hover_<shot>.png``), then
    hover and click every feature; the page must report no dialog and no error."""
    page, problems = _open(browser, path)
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('path.leaflet-interactive, .leaflet-pane canvas')"
            ".length > 0")
        # one real hover first (the mouse, not a fired event), kept as a screenshot
        point = page.evaluate(_ZONE_POINT_JS)
        assert point is not None
        page.mouse.move(point[0] - 2, point[1] - 2)
        page.mouse.move(*point)
        page.locator(".leaflet-tooltip.espass-tooltip").first.wait_for(state="visible")
        real = page.locator(".leaflet-tooltip.espass-tooltip").first.inner_text()
        assert any(n in real for n in NAMES), real  # a hostile name, as text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"hover_{shot}.png"))
        page.mouse.move(1, 1)

        report = page.evaluate(_VISIT_ALL_JS)
        report["canvas"] = page.evaluate("() => document.querySelectorAll("
                                         "'.leaflet-pane canvas').length")
        page.wait_for_timeout(300)  # an injected <img onerror> would fire by now
    finally:
        page.close()
    assert problems == []
    assert report["total"] > 0 and report["visited"] == report["total"], report
    assert len(report["tooltips"]) >= report["fired"], "a feature without tooltip"
    texts = "\n".join(report["tooltips"])
    assert "Zone 49 fin" not in texts
    report["text"] = texts
    return report


@pytest.mark.parametrize("kind", ["stocks", "stocks-canvas", "flows", "emissions", "scenario",
                                  "bilan"])
def test_hover_and_click_every_feature(browser, tmp_path, kind):
    report = _visit_page(browser, _build(kind, tmp_path), kind)
    assert report["maps"] == (2 if kind == "scenario" else 1)
    for name in NAMES:
        assert name in report["text"], name
    if kind == "stocks-canvas":
        assert report["canvas"] >= 1 and report["total"] == 3 + 1001, report["total"]
    if kind in ("scenario", "bilan"):
        assert f"action:{IMG}" in report["text"]


@pytest.fixture(scope="module")
def cli_bilan(tmp_path_factory) -> Path:
    """``espass-geo bilan`` with two dates, a GHG-only inventory and a scenario file, every
    user string hostile (see tests/bad_inputs/cases_html.py)."""
    from bad_inputs.cases_html import BOX_IDS, _toml, _write_scenario, box_emission_inputs
    from bad_inputs.common import write_raster, write_zones
    from click.testing import CliRunner

    from espass_geo.cli import main

    full = TINY.copy()
    full[full == 0] = 311
    before = full.copy()
    before[0, 0], before[1, 2] = 311, 211
    tmp = tmp_path_factory.mktemp("bilan")
    write_zones(tmp, names=(IMG, SCRIPT), ids=BOX_IDS)
    write_raster(tmp / "occupation.tif", full)
    write_raster(tmp / "avant.tif", before)
    emissions = box_emission_inputs(tmp)
    _write_scenario(tmp, title=f"Titre {EXPR}", label=f"Plan {IMG}",
                    action_label=f"action:{IMG}")
    (tmp / "bilan.toml").write_text(
        f"title = {_toml('Bilan ' + IMG)}\nterritory = \"zones.geojson\"\nzpc = \"2_1\"\n"
        "[landcover]\nafter = \"occupation.tif\"\nbefore = \"avant.tif\"\n"
        "years = [2012, 2018]\n" + emissions +
        "[scenario]\nfile = \"scenario.toml\"\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["bilan", "--config", str(tmp / "bilan.toml"),
                                       "--out", str(tmp / "out"), "-q"])
    assert result.exit_code == 0, result.output
    return tmp / "out"


@pytest.mark.parametrize("page", ["index.html", "stocks/carte_stocks.html",
                                  "flux/carte_flux.html", "emissions/carte_emissions.html",
                                  "scenarios/carte_scenarios.html"])
def test_cli_bilan_pages(browser, cli_bilan, page):
    report = _visit_page(browser, cli_bilan / page, "cli_" + page.replace("/", "_"))
    for name in (IMG, SCRIPT):
        assert name in report["text"], name
    if page in ("index.html", "scenarios/carte_scenarios.html"):
        assert f"action:{IMG}" in report["text"]


def test_cli_bilan_report(browser, cli_bilan):
    page, problems = _open(browser, cli_bilan / "rapport.html")
    try:
        page.wait_for_timeout(300)
        body = page.inner_text("body")
    finally:
        page.close()
    assert problems == []
    assert f"Bilan {IMG}" in body and SCRIPT in body
