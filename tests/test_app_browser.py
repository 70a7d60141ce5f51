"""The local web app (``espass-geo app``, issue #16) driven in a real browser.

A server is started by the test (``espass_geo.app.server.create_app(tmp)`` under werkzeug's
``make_server`` in a thread, on a free port of 127.0.0.1) and the page is opened in the Debian
Chromium through Playwright. Every request that does not go to that server is blocked and
recorded: the page must work offline (Leaflet and Leaflet.draw are served by the package).
The page's own Content-Security-Policy stays on (no ``bypass_csp``), so the test also shows
that the page needs no inline script.

* ``test_mouse_only_bilan`` (slow): search an EPCI and see its communes, upload a territory file
  built here (Bergues + Bierne), draw a reforestation square with mouse clicks, save, run, wait
  for « terminé », and find in the run's ``bilan.csv`` the scenario's carbon gain from the
  conversion, equal to a direct ``espass_geo.api.bilan`` computation on the same inputs.
* ``test_hostile_files``: a file named ``<img src=x onerror=alert(1)>.geojson`` whose zone is
  named ``{{7*7}} <img …>`` shows both literally; an invalid raster shows its French problems
  next to its field; no dialog ever opens.

Screenshots go to ``tests/artifacts/app_*.png`` (git-ignored; copies in docs/app/ for the
README). Skipped when Chromium, Playwright or the backend (espass_geo.app.server) is missing;
the browser is never downloaded.
"""
from __future__ import annotations

import json
import re
import shutil
import threading
import urllib.request
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from espass_geo.reference import data

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
#: CC de la Haute-Deûle: the smallest EPCI of Nord / Pas-de-Calais in the shipped tables
EPCI_CODE, EPCI_SIREN, EPCI_QUERY = "epci:245901061", "245901061", "Haute-Deûle"
#: two communes of the demo raster's cover (CU de Dunkerque): Bergues and Bierne
COMMUNES = ["59067", "59082"]
HOSTILE = "<img src=x onerror=alert(1)>"
TEMPLATE = "{{7*7}}"
#: the reforestation square: 300 m × 300 m = 9 ha, drawn inside Bergues
HALF_SIDE_M = 150.0
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("no `chromium` on PATH (Debian: apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def sync_api():
    return pytest.importorskip(
        "playwright.sync_api",
        reason="the `playwright` package is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def server(tmp_path_factory, chromium):
    """(base URL, workdir) of a real app server on a free port, stopped at the end.

    The runs it starts print the report's PDF with the test's Chromium (tests/conftest.py
    switches the PDF off for the rest of the suite)."""
    app_server = pytest.importorskip("espass_geo.app.server",
                                     reason="the app backend is not importable yet")
    from werkzeug.serving import make_server

    workdir = tmp_path_factory.mktemp("app_workdir")
    env = pytest.MonkeyPatch()
    env.setenv("ESPASS_GEO_CHROMIUM", chromium)
    srv = make_server("127.0.0.1", 0, app_server.create_app(workdir), threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", workdir
    finally:
        srv.shutdown()
        thread.join(timeout=10)
        env.undo()


@pytest.fixture()
def browser_page(chromium, sync_api, server):
    """A fresh page on the app, with the records of what must never happen."""
    base, _ = server
    seen = {"dialogs": [], "outside": [], "errors": [], "responses": []}

    def route(r):
        if r.request.url.startswith(base + "/"):
            r.continue_()
        else:
            seen["outside"].append(r.request.url)
            r.abort()

    def on_console(msg):
        # HTTP 400 of a refused upload is logged as "Failed to load resource": expected
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            seen["errors"].append(msg.text)

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
            page.route("**/*", route)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: seen["errors"].append(f"pageerror: {exc}"))
            page.on("dialog", on_dialog)
            page.on("response", lambda r: seen["responses"].append((r.url, r.status)))
            page.goto(base + "/", wait_until="load")
            sync_api.expect(page.locator("body")).to_have_attribute(
                "data-session", re.compile(r"^s-[0-9a-f]+$"))
            yield page, seen
        finally:
            browser.close()


def _communes_file(path: Path, codes: list[str], names: dict[str, str] | None = None) -> Path:
    g = data.commune_geometries()
    zones = g[g["code"].isin(codes)][["code", "nom", "geometry"]].copy()
    if names:
        zones["nom"] = zones["code"].map(names).fillna(zones["nom"])
    zones.to_crs(4326).to_file(path, driver="GeoJSON")
    return path


def _zone_paths(page) -> int:
    """SVG paths drawn in the territory layer (Leaflet's overlay pane, no action drawn yet)."""
    return page.locator("#map .leaflet-overlay-pane path.leaflet-interactive").count()


def _screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - our own local server
        return json.loads(resp.read().decode("utf-8"))


# ------------------------------------------------------------------ the mouse-only path
@pytest.mark.slow
def test_mouse_only_bilan(browser_page, sync_api, server, tmp_path):
    page, seen = browser_page
    expect = sync_api.expect
    base, workdir = server

    # 1. pick an EPCI by search: its communes show on the map at once
    n_epci = int((data.communes_2018()["epci"].astype(str) == EPCI_SIREN).sum())
    assert n_epci >= 2
    page.fill("#territory-search", EPCI_QUERY)
    item = page.locator(f"#territory-results li[data-code='{EPCI_CODE}']")
    expect(item).to_be_visible(timeout=15_000)
    item.click()
    expect(page.locator("#territory-chosen")).to_contain_text("Territoire choisi", timeout=15_000)
    expect(page.locator("#map .leaflet-overlay-pane path.leaflet-interactive")).to_have_count(
        n_epci)

    # 2. upload a territory file built here: Bergues and Bierne replace the EPCI on the map
    territory = _communes_file(tmp_path / "bergues_bierne.geojson", COMMUNES)
    page.set_input_files("#file-territory", str(territory))
    expect(page.locator("#summary-territory")).to_contain_text("✓", timeout=30_000)
    expect(page.locator("#problems-territory li")).to_have_count(0)
    expect(page.locator("#map .leaflet-overlay-pane path.leaflet-interactive")).to_have_count(
        len(COMMUNES))
    _screenshot(page, "app_territoire.png")

    # 3. draw a 300 m square inside Bergues with mouse clicks (4 corners, then the first again)
    g = data.commune_geometries()
    bergues = g[g["code"] == "59067"].geometry.iloc[0]
    c = bergues.buffer(-2 * HALF_SIDE_M).representative_point()
    square = box(c.x - HALF_SIDE_M, c.y - HALF_SIDE_M, c.x + HALF_SIDE_M, c.y + HALF_SIDE_M)
    assert bergues.contains(square)
    corners = gpd.GeoSeries([square], crs=2154).to_crs(4326).iloc[0].exterior.coords[:4]
    # centre the map on the square without animation: under load the fit to the uploaded
    # territory may still be animating, and clicks computed now would miss the map
    centre = gpd.GeoSeries([square.centroid], crs=2154).to_crs(4326).iloc[0]
    # (again until the corners are on the map: a late fit of the territory may move it)
    page.click("#draw-reforest")
    for _ in range(10):
        page.evaluate("(c) => { const m = window.espassApp.map; m.stop(); "
                      "m.setView([c[1], c[0]], 15, {animate: false}); }", [centre.x, centre.y])
        page.wait_for_timeout(300)
        pixels = page.evaluate(
            "(pts) => pts.map(p => { const q = window.espassApp.map.latLngToContainerPoint("
            "[p[1], p[0]]); return [q.x, q.y]; })", [list(p) for p in corners])
        mbox = page.locator("#map").bounding_box()
        clicks = [(mbox["x"] + x, mbox["y"] + y) for x, y in pixels]
        if all(mbox["x"] < x < mbox["x"] + mbox["width"] and mbox["y"] < y
               < mbox["y"] + mbox["height"] for x, y in clicks):
            break
    assert all(mbox["x"] < x < mbox["x"] + mbox["width"] and mbox["y"] < y
               < mbox["y"] + mbox["height"] for x, y in clicks), (clicks, mbox)
    for x, y in clicks + clicks[:1]:
        page.mouse.click(x, y)
        page.wait_for_timeout(120)  # Leaflet.draw ignores clicks closer than its double-click
    actions = page.locator("#action-list li.action")
    expect(actions).to_have_count(1)
    expect(actions.first).to_have_attribute("data-type", "convert")
    page.click("#save-scenario")
    expect(page.locator("#summary-save")).to_contain_text("Scénario enregistré", timeout=15_000)
    expect(page.locator("#problems-save li")).to_have_count(0)
    _screenshot(page, "app_scenario.png")

    # the saved action, read back: one polygon of ~9 ha (pixel rounding of the clicks)
    sid = page.locator("body").get_attribute("data-session")
    saved = _get_json(f"{base}/api/sessions/{sid}/scenario")
    feats = saved["actions"]["features"]
    assert [f["properties"]["type"] for f in feats] == ["convert"]
    assert feats[0]["properties"]["to"] == "forest_broadleaf"
    drawn = gpd.GeoDataFrame.from_features(feats, crs=4326).to_crs(2154)
    assert drawn.area.sum() / 1e4 == pytest.approx(9.0, rel=0.05)  # 300 m × 300 m = 9 ha
    assert drawn.geometry.iloc[0].intersection(square).area / square.area > 0.9

    # 4. run, with progress, until done
    page.click("#run")
    expect(page.locator("#run-state")).to_have_attribute("data-state", "done", timeout=110_000)
    assert page.locator("#run-progress").evaluate("(p) => p.value") == 1
    expect(page.locator("#problems-run li")).to_have_count(0)

    # 5. the result: links and the index in the iframe
    links = page.locator("#result-links a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for name in ("index.html", "rapport.html", "rapport.pdf", "bilan.xlsx", "bilan.gpkg",
                 "bilan.csv"):
        assert f"/sessions/{sid}/resultat/{name}" in hrefs, name
    assert f"/api/sessions/{sid}/export.zip" in hrefs
    frame = page.frame_locator("#result-frame")
    expect(frame.locator(".leaflet-container")).to_have_count(1, timeout=30_000)
    page.locator("#sec-result").scroll_into_view_if_needed()
    _screenshot(page, "app_resultat.png")

    # the scenario's carbon gain from the conversion, in the run's tidy table …
    with urllib.request.urlopen(f"{base}/sessions/{sid}/resultat/bilan.csv",  # noqa: S310
                                timeout=30) as resp:
        (tmp_path / "run_bilan.csv").write_bytes(resp.read())
    table = pd.read_csv(tmp_path / "run_bilan.csv", dtype={"zone_id": str})

    def convert_gain(t: pd.DataFrame) -> float:
        rows = t[(t["zone_id"] == "TOTAL") & (t["theme"] == "scenario")
                 & (t["category"] == "convert")]
        assert len(rows) == 1, rows
        return float(rows["value"].iloc[0])

    in_app = convert_gain(table)
    assert in_app > 0  # forest stores more than the crops it replaces: a gain vs baseline

    # … equals a direct computation through the API on the same inputs: the territory file,
    # the embedded demo rasters and parcels (the defaults for communes inside their cover),
    # and a scenario file written here with the drawn polygon, its year and class
    direct = tmp_path / "direct"
    direct.mkdir()
    drawn.to_crs(4326).to_file(direct / "boisement.geojson", driver="GeoJSON")
    year = int(feats[0]["properties"]["year"])
    (direct / "scenario.toml").write_text(
        f'start_year = {saved["start_year"]}\nhorizon = {saved["horizon"]}\n'
        '[[scenario]]\nname = "transition"\nlabel = "Transition"\n'
        '[[scenario.action]]\ntype = "convert"\nto = "forest_broadleaf"\n'
        f'geometry = "boisement.geojson"\nyear = {year}\n', encoding="utf-8")
    import espass_geo as eg

    result = eg.bilan(territory, landcover=data.demo_landcover_path(),
                      landcover_before=data.demo_landcover_2012_path(), years=(2012, 2018),
                      parcels=data.demo_parcels_path(), scenario=direct / "scenario.toml")
    assert in_app == pytest.approx(convert_gain(result.table), rel=1e-9)

    assert seen["dialogs"] == []
    assert seen["outside"] == []
    assert seen["errors"] == []
    # the run lives in its session folder
    assert (workdir / sid / "resultat" / "bilan.csv").is_file()


# ------------------------------------------------------------------ hostile files
def test_hostile_files(browser_page, sync_api, tmp_path):
    page, seen = browser_page
    expect = sync_api.expect

    # a territory file with a hostile name, whose zone has a hostile name too
    hostile_dir = tmp_path / "hostile"
    hostile_dir.mkdir()
    shown_name = f"{HOSTILE}.geojson"
    src = _communes_file(hostile_dir / "t.geojson", ["59067"],
                         names={"59067": f"{TEMPLATE} {HOSTILE}"})
    page.set_input_files("#file-territory", files=[{
        "name": shown_name, "mimeType": "application/geo+json", "buffer": src.read_bytes()}])
    expect(page.locator("#summary-territory")).to_contain_text("✓", timeout=30_000)
    # the name shows literally (as text, not as an element)
    expect(page.locator("#name-territory")).to_have_text(f"Fichier : {shown_name}")
    expect(page.locator("#territory-chosen")).to_contain_text(shown_name)
    assert page.locator("#panel img, #map .leaflet-tooltip img").count() == 0
    # the zone's name shows literally in its tooltip (hover the drawn commune)
    zone = page.locator("#map .leaflet-overlay-pane path.leaflet-interactive")
    expect(zone).to_have_count(1)
    zbox = zone.bounding_box()
    page.mouse.move(zbox["x"] + zbox["width"] / 2, zbox["y"] + zbox["height"] / 2)
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_contain_text(f"{TEMPLATE} {HOSTILE}")
    assert "49" not in tooltip.inner_text()
    assert tooltip.locator("img").count() == 0

    # an invalid raster: French problems next to its field, the field marked invalid
    page.set_input_files("#file-landcover", files=[{
        "name": "occupation.tif", "mimeType": "image/tiff", "buffer": b"ceci n'est pas un TIFF"}])
    problems = page.locator("#problems-landcover li")
    expect(problems.first).to_be_visible(timeout=30_000)
    text = " ".join(problems.all_inner_texts())
    assert "occupation.tif" in text
    assert "Traceback" not in text
    assert any(w in text.lower() for w in ("fichier", "raster", "lisible", "illisible"))
    expect(page.locator("#field-landcover")).to_have_class("field invalid")
    expect(page.locator("#summary-landcover")).to_contain_text("donnée intégrée reste utilisée")

    # a hostile search text shows no element and no template evaluation
    page.fill("#territory-search", f"{HOSTILE}{TEMPLATE}")
    expect(page.locator("#territory-results li")).to_have_count(1, timeout=15_000)
    assert page.locator("#territory-results img").count() == 0

    # Leaflet.draw's toolbar sprites (edit / delete buttons) come from the package, offline
    sprites = [(u, st) for u, st in seen["responses"] if "/static/leaflet-draw/images/" in u]
    assert sprites and all(st == 200 for _, st in sprites), sprites

    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert seen["dialogs"] == []
    assert seen["outside"] == []
    assert seen["errors"] == []


# ------------------------------------------------------------------ cancel
@pytest.mark.slow
def test_cancel_run(browser_page, sync_api):
    """A run started on a commune and cancelled at once: state « annulé », no result shown."""
    page, seen = browser_page
    expect = sync_api.expect
    page.fill("#territory-search", "59067")
    item = page.locator("#territory-results li[data-code='59067']")
    expect(item).to_be_visible(timeout=15_000)
    item.click()
    expect(page.locator("#territory-chosen")).to_contain_text("Territoire choisi", timeout=15_000)
    page.click("#run")
    expect(page.locator("#run-state")).to_have_attribute("data-state", "running")
    expect(page.locator("#cancel")).to_be_enabled()
    page.click("#cancel")
    expect(page.locator("#run-state")).to_have_attribute("data-state", "cancelled",
                                                         timeout=30_000)
    expect(page.locator("#run-state")).to_have_text("annulé")
    expect(page.locator("#result-links a")).to_have_count(0)
    expect(page.locator("#result-frame")).to_be_hidden()
    expect(page.locator("#run")).to_be_enabled()
    assert seen["dialogs"] == [] and seen["outside"] == [] and seen["errors"] == []
