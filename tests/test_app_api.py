"""The JSON API of ``espass-geo app`` (issue #16) through Flask's test client, no browser.

Inputs are built by hand in tmp_path (boxes in Lambert-93 inside the Nord, a 4×4 raster, the
shipped commune polygons of Bergues and Bierne); the full run compares the app's bilan folder
with ``espass-geo bilan`` run directly on the same bilan.toml.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TINY, write_raster
from shapely.geometry import LineString, Point, box, mapping
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from espass_geo.app.server import create_app
from espass_geo.cli import main
from espass_geo.io.scenario_config import load_scenario_config
from espass_geo.io.vectors import read_vector
from espass_geo.reference import data

# a point well inside Bergues (59067), Nord, in Lambert-93
X, Y = 660145.0, 7097240.0


@pytest.fixture
def app(tmp_path):
    return create_app(tmp_path / "work")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sid(client):
    return client.post("/api/sessions").get_json()["session"]


def _upload(client, sid, kind, path: Path, name: str | None = None):
    with open(path, "rb") as fh:
        return client.post(f"/api/sessions/{sid}/files/{kind}",
                           data={"file": (fh, name or path.name)},
                           content_type="multipart/form-data")


def _two_boxes(path: Path, crs="EPSG:2154") -> Path:
    # two 1 km × 1 km squares side by side: 100 ha each, 200 ha together
    gpd.GeoDataFrame({"zone_id": ["A", "B"], "zone_name": ["Zone A", "Zone B"]},
                     geometry=[box(X - 1000, Y - 500, X, Y + 500), box(X, Y - 500, X + 1000,
                                                                        Y + 500)],
                     crs=crs).to_file(path)
    return path


def _status(client, url: str, **kwargs) -> int:
    """Status of a GET, the response closed (file responses hold their file open)."""
    with client.get(url, **kwargs) as r:
        return r.status_code


def _wait(client, sid, timeout=600):
    for _ in range(int(timeout / 0.5)):
        st = client.get(f"/api/sessions/{sid}/run").get_json()
        if st["state"] != "running":
            return st
        time.sleep(0.5)
    raise AssertionError("run still going")


# ------------------------------------------------------------------ territory search
def test_search_finds_dunkerque_commune_and_epci(client):
    r = client.get("/api/territories?q=dunkerque")  # case-insensitive
    assert r.status_code == 200
    res = r.get_json()["results"]
    codes = [x["code"] for x in res]
    assert "59183" in codes and "epci:245900428" in codes
    assert {x["kind"] for x in res if x["code"] == "59183"} == {"commune"}
    assert len(res) <= 20
    # accents ignored, codes found
    assert client.get("/api/territories?q=bethune").get_json()["results"][0]["code"] == "62119"
    assert client.get("/api/territories?q=59183").get_json()["results"][0]["code"] == "59183"


def test_search_departement_code(client):
    res = client.get("/api/territories?q=dep:59").get_json()["results"]
    assert res[0] == {"code": "dep:59", "label": "Nord (59)", "kind": "dep"}
    assert client.get("/api/territories?q=").get_json()["results"] == []


def test_territory_geojson_of_an_epci(client):
    r = client.get("/api/territory?code=epci:245900428")
    assert r.status_code == 200
    doc = r.get_json()
    # one feature per member commune of the shipped COG 2018 table
    com = data.communes_2018()
    members = set(com.loc[com["epci"] == "245900428", "insee"])
    assert {f["properties"]["code"] for f in doc["features"]} == members
    assert "59183" in members
    west, south, east, north = doc["bbox"]  # EPSG:4326: the Dunkerque coast
    assert 2.0 < west < east < 3.0 and 50.8 < south < north < 51.2
    bad = client.get("/api/territory?code=epci:999999999")
    assert bad.status_code == 404 and "SIREN" in bad.get_json()["problems"][0]
    far = client.get("/api/territory?code=dep:33")  # known, but no shipped boundaries
    assert far.status_code == 404 and "limites" in far.get_json()["problems"][0]


# ------------------------------------------------------------------ sessions, uploads
def test_sessions_are_random_folders(client, app, sid):
    other = client.post("/api/sessions").get_json()["session"]
    assert sid != other and sid.startswith("s-") and len(sid) == 34
    workdir = app.extensions["espass_sessions"].workdir
    assert (workdir / sid).is_dir()
    assert client.get("/api/sessions/s-0000/files").status_code == 404
    assert client.get("/api/sessions/..%2F..%2Fetc/files").status_code == 404
    assert client.get(f"/api/sessions/{sid}/files").get_json() == {"files": {}}


def test_upload_valid_territory(client, sid, tmp_path):
    path = _two_boxes(tmp_path / "zones.geojson")
    r = _upload(client, sid, "territory", path)
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["ok"] and out["kind"] == "territory" and out["name"] == "territory-zones.geojson"
    # 2 squares of 1 km² = 200 ha (French number format)
    assert out["summary"].startswith("2 zone(s), 200")
    feats = out["geojson"]["features"]
    assert sorted(f["properties"]["code"] for f in feats) == ["A", "B"]
    west, south, east, north = out["geojson"]["bbox"]  # EPSG:4326, around Bergues
    assert 2.3 < west < east < 2.6 and 50.9 < south < north < 51.0
    files = client.get(f"/api/sessions/{sid}/files").get_json()["files"]
    assert files == {"territory": "territory-zones.geojson"}


def test_upload_invalid_territories_give_french_problems(client, sid, tmp_path):
    no_crs = tmp_path / "sans_crs.gpkg"
    with pytest.warns(UserWarning, match="crs"):  # pyogrio says so when writing it
        gpd.GeoDataFrame({"zone_id": ["A"]}, geometry=[box(X, Y, X + 100, Y + 100)]
                         ).to_file(no_crs)
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"zone_id": ["A"]}, geometry=[Point(X, Y)], crs=2154).to_file(points)
    broken = tmp_path / "casse.gpkg"
    broken.write_bytes(bytes(range(256)) * 4)  # binary, not a GeoPackage
    expected = {no_crs: "sans système de coordonnées", points: "pas des polygones",
                broken: "illisible"}
    for path, words in expected.items():
        r = _upload(client, sid, "territory", path)
        assert r.status_code == 400
        body = r.get_json()
        assert body["ok"] is False
        assert words in body["problems"][0], body
        assert path.name in body["problems"][0]  # the user's name, not the stored path
        assert "fichiers" not in body["problems"][0]
    assert client.get(f"/api/sessions/{sid}/files").get_json()["files"] == {}  # none kept
    r = _upload(client, sid, "territory", no_crs, "zones.exe")
    assert r.status_code == 400 and "extension" in r.get_json()["problems"][0]


def test_hostile_file_names_are_stored_under_safe_names(client, app, sid, tmp_path):
    raster = write_raster(tmp_path / "r.tif", TINY)
    r = _upload(client, sid, "landcover", raster, "../../etc/x.tif")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["name"] == "landcover-x.tif"
    # 4 × 4 pixels of 100 m
    assert r.get_json()["summary"] == "raster 4 × 4 pixels de 100 m (Lambert-93)"
    workdir = app.extensions["espass_sessions"].workdir
    assert (workdir / sid / "fichiers" / "landcover-x.tif").is_file()
    assert not (workdir.parent / "etc").exists() and not (workdir / "etc").exists()
    r = _upload(client, sid, "territory", _two_boxes(tmp_path / "z.gpkg"), "{{7*7}}.gpkg")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["name"] == "territory-7_7.gpkg"
    stored = sorted(p.name for p in (workdir / sid / "fichiers").iterdir())
    assert stored == ["fichiers.json", "landcover-x.tif", "territory-7_7.gpkg"]


def test_upload_size_limit_gives_413(tmp_path):
    client = create_app(tmp_path / "work", max_upload_mb=1).test_client()
    sid = client.post("/api/sessions").get_json()["session"]
    big = tmp_path / "gros.csv"
    big.write_bytes(b"territory_code,value\n" + b"59183,1\n" * 200_000)  # 1.6 MB > 1 MB
    # the multipart body built in memory (the test client would spool it to a temporary file)
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(big.read_bytes()), filename="gros.csv")}))
    r = client.post(f"/api/sessions/{sid}/files/inventory", data=body,
                    content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 413
    assert "trop gros" in r.get_json()["problems"][0] and "1 Mo" in r.get_json()["problems"][0]


def test_upload_inventory_problems_as_the_cli_says_them(client, sid, tmp_path):
    bad = tmp_path / "inventaire.csv"
    bad.write_text("territory_code,value\n59183,abc\n", encoding="utf-8")
    r = _upload(client, sid, "inventory", bad)
    assert r.status_code == 400
    msg = r.get_json()["problems"][0]
    assert "inventaire.csv" in msg and "abc" in msg


# ------------------------------------------------------------------ scenario
def _reforestation(year=2030, to="forest_broadleaf"):
    # 500 m × 400 m = 20 ha inside Bergues, sent in EPSG:4326 as the page does
    poly = gpd.GeoSeries([box(X - 250, Y - 200, X + 250, Y + 200)], crs=2154).to_crs(4326)
    return {"name": "transition", "label": "Boisement", "start_year": 2025, "horizon": 2050,
            "actions": {"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": mapping(poly.iloc[0]),
                 "properties": {"type": "convert", "year": year, "to": to}}]}}


def test_scenario_saved_as_toml_and_geojson_read_by_scenario_config(client, app, sid):
    r = client.put(f"/api/sessions/{sid}/scenario", json=_reforestation())
    assert r.status_code == 200, r.get_json()
    assert 'to = "forest_broadleaf"' in r.get_json()["toml"]
    folder = app.extensions["espass_sessions"].workdir / sid / "scenario"
    cfg = load_scenario_config(folder / "scenario.toml", in_bilan=True)
    assert (cfg.start_year, cfg.horizon) == (2025, 2050)
    [sc] = cfg.scenarios
    assert sc.name == "transition" and sc.label == "Boisement"
    [a] = sc.actions
    assert (a.type, a.year, a.params["to"]) == ("convert", 2030, "forest_broadleaf")
    g = read_vector(a.params["geometry"], "géométrie")
    # back in Lambert-93: the 20 ha drawn (to 0.1 %, the EPSG:4326 round trip)
    assert g.area.sum() / 1e4 == pytest.approx(20.0, rel=1e-3)
    back = client.get(f"/api/sessions/{sid}/scenario").get_json()
    assert back["name"] == "transition" and back["start_year"] == 2025
    [f] = back["actions"]["features"]
    assert f["properties"]["type"] == "convert" and f["properties"]["to"] == "forest_broadleaf"
    assert f["geometry"]["type"] == "Polygon"
    assert client.get(f"/api/sessions/{sid}/files").get_json()["files"]["scenario"] == \
        "scenario/scenario.toml"


def test_scenario_problems_listed_at_once(client, sid):
    r = client.put(f"/api/sessions/{sid}/scenario",
                   json=_reforestation(year=1800, to="licorne"))
    assert r.status_code == 400
    problems = r.get_json()["problems"]
    assert len(problems) == 2, problems
    assert any("licorne" in p for p in problems) and any("1800" in p for p in problems)
    assert client.get(f"/api/sessions/{sid}/scenario").status_code == 404  # nothing kept


def test_scenario_of_more_than_500_actions_refused(client, sid):
    # 501 copies of the drawn square: one GeoJSON file each would be written; 500 at most
    one = _reforestation()["actions"]["features"][0]
    body = {**_reforestation(), "actions": {"type": "FeatureCollection",
                                            "features": [one] * 501}}
    r = client.put(f"/api/sessions/{sid}/scenario", json=body)
    assert r.status_code == 400
    assert "501 actions" in r.get_json()["problems"][0]
    assert client.get(f"/api/sessions/{sid}/scenario").status_code == 404  # nothing kept


def test_scenario_hedge_line_length_measured(client, app, sid):
    # a 3 km line in Lambert-93 → length_km = 3
    line = gpd.GeoSeries([LineString([(X - 1500, Y), (X + 1500, Y)])], crs=2154).to_crs(4326)
    body = {"name": "haies", "start_year": 2025, "horizon": 2050,
            "actions": {"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": mapping(line.iloc[0]),
                 "properties": {"type": "hedge", "year": 2027}}]}}
    r = client.put(f"/api/sessions/{sid}/scenario", json=body)
    assert r.status_code == 200, r.get_json()
    folder = app.extensions["espass_sessions"].workdir / sid / "scenario"
    [a] = load_scenario_config(folder / "scenario.toml", in_bilan=True).scenarios[0].actions
    assert a.type == "hedges" and a.params["length_km"] == pytest.approx(3.0, abs=1e-3)
    [f] = client.get(f"/api/sessions/{sid}/scenario").get_json()["actions"]["features"]
    assert f["properties"]["type"] == "hedge" and f["geometry"]["type"] == "LineString"


def test_scenario_zip_upload_refuses_paths_outside(client, sid, tmp_path):
    z = tmp_path / "scenario.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("s.toml", "start_year = 2025\n")
        zf.writestr("../../evil.geojson", "{}")
    r = _upload(client, sid, "scenario", z)
    assert r.status_code == 400 and "chemin" in r.get_json()["problems"][0]
    assert not (tmp_path / "evil.geojson").exists()


# ------------------------------------------------------------------ run
def _bergues_bierne(path: Path) -> Path:
    g = data.commune_geometries()
    g = g[g["code"].isin(["59067", "59082"])][["code", "nom", "geometry"]]
    g.rename(columns={"code": "INSEE_COM", "nom": "NOM"}).to_crs(4326).to_file(path)
    return path


@pytest.mark.slow
def test_full_run_equals_the_cli_bilan(client, app, sid, tmp_path):
    assert _upload(client, sid, "territory", _bergues_bierne(tmp_path / "bb.geojson")
                   ).status_code == 200
    assert client.put(f"/api/sessions/{sid}/scenario", json=_reforestation()).status_code == 200
    r = client.post(f"/api/sessions/{sid}/run",
                    json={"territory": "upload", "use_demo_data": True, "scenario": True})
    assert r.status_code == 202, r.get_json()
    st = _wait(client, sid)
    assert st["state"] == "done", st
    assert st["progress"] == 1.0 and st["step"] == "Terminé"
    assert "empreinte" in st["summary"]
    assert not any(line.startswith("ESPASS_GEO_PROGRESS") for line in st["log"])
    assert st["files"][0] == "index.html" and "bilan.csv" in st["files"]
    session = app.extensions["espass_sessions"].workdir / sid
    # the same bilan.toml through the command line, in-process
    direct = tmp_path / "direct"
    res = CliRunner().invoke(main, ["bilan", "--config", str(session / "bilan.toml"),
                                    "--out", str(direct), "--quiet"])
    assert res.exit_code == 0, res.output
    app_t = pd.read_csv(session / "resultat" / "bilan.csv", dtype={"zone_id": str})
    cli_t = pd.read_csv(direct / "bilan.csv", dtype={"zone_id": str})
    sc_app = app_t[app_t["theme"] == "scenario"].set_index(["zone_id", "category", "item"])
    sc_cli = cli_t[cli_t["theme"] == "scenario"].set_index(["zone_id", "category", "item"])
    assert len(sc_app) > 0 and sc_app.index.equals(sc_cli.index)
    pd.testing.assert_series_equal(sc_app["value"], sc_cli["value"], rtol=1e-9)
    # the reforestation stores more than the baseline: the convert lever is positive
    conv = sc_app.loc[("TOTAL", "convert", "transition"), "value"]
    assert conv > 0
    # the stocks too (whole table, same numbers)
    assert app_t["value"].sum() == pytest.approx(cli_t["value"].sum(), rel=1e-12)
    # served from the result folder only
    assert _status(client, f"/sessions/{sid}/resultat/index.html") == 200
    assert client.get(f"/sessions/{sid}/resultat/../bilan.toml").status_code == 404
    assert client.get(f"/sessions/{sid}/resultat/%2E%2E/bilan.toml").status_code == 404
    assert client.get(f"/sessions/{sid}/resultat/.espass_geo_manifest.json").status_code == 404
    with client.get(f"/api/sessions/{sid}/export.zip") as z:  # a temporary file: closed
        assert z.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(z.data)).namelist()
    assert "resultat/index.html" in names and "resultat/bilan.csv" in names
    assert not any("/." in n for n in names)


def test_bilan_error_in_french_without_server_paths(client, app, sid, tmp_path):
    # an inventory of Bergues only for a territory of Bergues + Bierne: the bilan stops with
    # the CLI's French message, which names the uploaded file, not the session's folder
    assert _upload(client, sid, "territory", _bergues_bierne(tmp_path / "bb.geojson")
                   ).status_code == 200
    inv = tmp_path / "emissions.csv"
    inv.write_text("territory_code,territory_level,sector,substance,year,value,unit\n"
                   "59067,commune,residentiel,GES,2021,1000,tCO2e\n", encoding="utf-8")
    assert _upload(client, sid, "inventory", inv).status_code == 200
    r = client.post(f"/api/sessions/{sid}/run", json={"territory": "upload",
                                                      "use_demo_data": True})
    assert r.status_code == 202, r.get_json()
    st = _wait(client, sid)
    assert st["state"] == "failed" and st["step"] == "Échec du calcul", st
    text = " ".join(st["problems"])
    assert "59082" in text and "absente(s) de l'inventaire" in text, text
    assert "inventory-emissions.csv" in text and "Traceback" not in text
    workdir = str(app.extensions["espass_sessions"].workdir)
    assert not any(workdir in line for line in st["problems"] + st["log"]), st


def test_run_killed_from_outside_says_so_in_french(client, app, sid, tmp_path):
    # the bilan process killed by SIGKILL (as the out-of-memory killer does): the page says
    # it was stopped from outside, not the last log line; nothing partial left; a new run starts
    import os
    import signal

    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL on this system")
    assert _upload(client, sid, "territory", _bergues_bierne(tmp_path / "bb.geojson")
                   ).status_code == 200
    body = {"territory": "upload", "use_demo_data": True}
    assert client.post(f"/api/sessions/{sid}/run", json=body).status_code == 202
    session = app.extensions["espass_sessions"].get(sid)
    proc = session.run.proc
    if proc is not None:
        os.kill(proc.pid, signal.SIGKILL)
    st = _wait(client, sid)
    assert st["state"] == "failed", st
    assert "arrêté de l'extérieur (signal 9)" in st["problems"][0], st["problems"]
    assert not [p.name for p in session.folder.iterdir() if p.name.startswith(".espass_geo")]
    assert client.post(f"/api/sessions/{sid}/run", json=body).status_code == 202
    session.cancel()


def test_run_refused_without_territory(client, sid):
    r = client.post(f"/api/sessions/{sid}/run", json={"territory": "upload"})
    assert r.status_code == 400 and "territoire" in r.get_json()["problems"][0]
    for path in ("/etc/passwd", "/etc/passwd.gpkg", "../fichiers/x.gpkg"):  # never a path
        r = client.post(f"/api/sessions/{sid}/run", json={"territory": path})
        assert r.status_code == 400 and "code" in r.get_json()["problems"][0]
        assert client.get(f"/api/territory?code={path}").status_code == 404


def test_cancel_kills_the_run_and_leaves_no_result(client, app, sid):
    r = client.post(f"/api/sessions/{sid}/run",
                    json={"territory": "epci:245900428", "use_demo_data": True})
    assert r.status_code == 202, r.get_json()
    proc = app.extensions["espass_sessions"].get(sid).run.proc
    again = client.post(f"/api/sessions/{sid}/run", json={"territory": "epci:245900428"})
    assert again.status_code == 409
    # the inputs of a running bilan do not change under it
    assert client.put(f"/api/sessions/{sid}/scenario", json=_reforestation()).status_code == 409
    r = client.delete(f"/api/sessions/{sid}/run")
    assert r.status_code == 200
    st = client.get(f"/api/sessions/{sid}/run").get_json()
    assert st["state"] == "cancelled"
    assert proc.returncode is not None and proc.returncode != 0  # killed
    session = app.extensions["espass_sessions"].workdir / sid
    assert not (session / "resultat").exists()
    assert not [p.name for p in session.iterdir() if p.name.startswith(".espass_geo")]
    assert client.get(f"/api/sessions/{sid}/export.zip").status_code == 404


# ------------------------------------------------------------------ network safety
def test_foreign_host_and_remote_clients_refused(tmp_path):
    client = create_app(tmp_path / "work").test_client()
    assert _status(client, "/") == 200
    assert _status(client, "/", headers={"Host": "127.0.0.1:8765"}) == 200
    assert _status(client, "/", headers={"Host": "[::1]:8765"}) == 200
    r = client.get("/api/territories?q=nord", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403 and "refusé" in r.get_json()["problems"][0]
    r = client.post("/api/sessions", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert r.status_code == 403 and "connexions" in r.get_json()["problems"][0]
    opened = create_app(tmp_path / "work2", allow_remote=True).test_client()
    assert _status(opened, "/", environ_base={"REMOTE_ADDR": "192.168.1.20"},
                   headers={"Host": "machine.local"}) == 200


def test_cross_site_requests_that_change_something_refused(tmp_path):
    """A page of another site can POST a form to 127.0.0.1 without a CORS preflight: a request
    that changes something is refused when the browser says it comes from elsewhere
    (Sec-Fetch-Site, Origin); the app's own page (same origin) and tools without those headers
    pass; reading (GET) is not concerned."""
    client = create_app(tmp_path / "work").test_client()
    host = {"Host": "127.0.0.1:8765"}
    evil = client.post("/api/sessions", headers={**host, "Origin": "https://evil.example"})
    assert evil.status_code == 403 and "autre page" in evil.get_json()["problems"][0]
    fetch = client.post("/api/sessions", headers={**host, "Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    other_port = client.post("/api/sessions", headers={**host, "Origin": "http://127.0.0.1:9999"})
    assert other_port.status_code == 403
    own = client.post("/api/sessions", headers={**host, "Origin": "http://127.0.0.1:8765",
                                                "Sec-Fetch-Site": "same-origin"})
    assert own.status_code in (200, 201) and own.get_json()["session"].startswith("s-")
    assert client.post("/api/sessions", headers=host).status_code in (200, 201)  # curl, tests
    assert _status(client, "/", headers={**host, "Sec-Fetch-Site": "cross-site"}) == 200
    # opened to the network (--allow-remote): the app's own origin is its host as the browser
    # typed it; another site is still refused
    remote = create_app(tmp_path / "work2", allow_remote=True).test_client()
    lan = {"Host": "192.168.1.20:8765"}
    assert remote.post("/api/sessions", headers={**lan, "Origin": "https://evil.example"}
                       ).status_code == 403
    assert remote.post("/api/sessions", headers={**lan, "Sec-Fetch-Site": "cross-site"}
                       ).status_code == 403
    assert remote.post("/api/sessions", headers={**lan, "Origin": "http://192.168.1.20:8765",
                                                 "Sec-Fetch-Site": "same-origin"}
                       ).status_code in (200, 201)


def test_files_and_scenario_not_replaced_once_a_run_has_started(app, sid, tmp_path):
    # the check is made under the session's lock (the one start_run takes), not only before
    # the upload is received: a run started meanwhile wins, the file is not stored
    from espass_geo.app.sessions import RunConflict

    session = app.extensions["espass_sessions"].get(sid)
    session.run.state = "running"  # as start_run leaves it
    path = _two_boxes(tmp_path / "zones.geojson")
    with open(path, "rb") as fh, pytest.raises(RunConflict):
        session.store_upload("territory", "zones.geojson", fh)
    with pytest.raises(RunConflict):
        session.save_scenario(_reforestation())
    assert session.files() == {}


def test_result_pages_served_in_a_sandbox_of_their_own(tmp_path):
    # a result folder left by an earlier server (written here by hand): its pages show names
    # the user typed, so they are served in a sandbox without allow-same-origin (an opaque
    # origin: a script in them cannot call the API as the app), the app's page is not
    work = tmp_path / "work"
    sid = create_app(work).test_client().post("/api/sessions").get_json()["session"]
    (work / sid / "resultat").mkdir()
    (work / sid / "resultat" / "index.html").write_text("<p>bilan</p>", encoding="utf-8")
    client = create_app(work).test_client()
    r = client.get(f"/sessions/{sid}/resultat/index.html")
    r.close()  # send_file's open file
    assert r.status_code == 200 and r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox allow-scripts") and "allow-same-origin" not in csp
    with client.get("/") as page:
        assert "sandbox" not in page.headers["Content-Security-Policy"]


def test_static_leaflet_and_no_escape(client):
    assert _status(client, "/static/leaflet/leaflet.js") == 200
    assert client.get("/static/leaflet/../../../cli.py").status_code == 404
    assert client.get("/static/../server.py").status_code == 404


def test_cli_app_refuses_a_network_host_without_allow_remote():
    res = CliRunner().invoke(main, ["app", "--host", "0.0.0.0", "--no-browser"])
    assert res.exit_code == 2 and "--allow-remote" in res.output
    assert "--no-browser" in CliRunner().invoke(main, ["app", "--help"]).output


def test_json_problem_of_unknown_route(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.get_json()["ok"] is False
    assert json.dumps(r.get_json(), ensure_ascii=False).count("introuvable") == 1


def test_progress_lines_only_when_asked(monkeypatch, capsys):
    from espass_geo.runs.bilan import BILAN_STEPS, PROGRESS_PREFIX, report_progress

    monkeypatch.delenv("ESPASS_GEO_PROGRESS", raising=False)
    report_progress("Calcul des flux", 1)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("ESPASS_GEO_PROGRESS", "json")
    report_progress("Calcul des flux", 1)
    line = capsys.readouterr().err
    assert line.startswith(PROGRESS_PREFIX) and line.endswith("\n")
    assert json.loads(line[len(PROGRESS_PREFIX):]) == {"step": "Calcul des flux", "done": 1,
                                                       "total": BILAN_STEPS}


def test_progress_of_the_chunked_work(monkeypatch, capsys):
    import dask

    from espass_geo.runs import bilan

    monkeypatch.setenv("ESPASS_GEO_PROGRESS", "json")
    try:
        bilan.report_progress("Calcul des flux", 1)
        # 4 independent tasks: the first one done is reported (then at most every 0,5 s)
        dask.compute(*[dask.delayed(abs)(-i) for i in range(4)], scheduler="sync")
    finally:
        cb = bilan._CURRENT.pop("callback", None)
        if cb is not None:
            cb.unregister()
        bilan._CURRENT.clear()
    lines = [json.loads(x[len(bilan.PROGRESS_PREFIX):])
             for x in capsys.readouterr().err.splitlines()]
    assert lines[0] == {"step": "Calcul des flux", "done": 1, "total": bilan.BILAN_STEPS}
    chunked = lines[1]
    assert chunked["step"] == "Calcul des flux" and chunked["done"] == 1
    done, total = chunked["chunks"]
    assert total == 4 and 1 <= done <= 4


def test_scenario_toml_upload_lists_every_problem(client, sid, tmp_path):
    toml = tmp_path / "mon scénario.toml"
    toml.write_text('start_year = 2025\nhorizon = 2050\n\n[[scenario]]\nname = "s"\n\n'
                    '[[scenario.action]]\ntype = "convert"\nto = "licorne"\n'
                    'geometry = "absent.geojson"\nyear = 2030\n', encoding="utf-8")
    r = _upload(client, sid, "scenario", toml)
    assert r.status_code == 400
    problems = r.get_json()["problems"]
    # the unknown class and the missing file, each with its line
    assert len(problems) == 2, problems
    assert any("licorne" in p for p in problems) and any("absent.geojson" in p for p in problems)
    assert client.get(f"/api/sessions/{sid}/files").get_json()["files"] == {}


def test_text_disguised_as_a_raster_is_never_opened(client, sid, tmp_path):
    # a GDAL VRT (XML) named .tif would make GDAL read the file it points to
    vrt = tmp_path / "piege.tif"
    vrt.write_text('<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand band="1">'
                   '<SimpleSource><SourceFilename>/etc/passwd</SourceFilename></SimpleSource>'
                   '</VRTRasterBand></VRTDataset>', encoding="utf-8")
    r = _upload(client, sid, "landcover", vrt)
    assert r.status_code == 400 and "texte" in r.get_json()["problems"][0]
    z = tmp_path / "zones.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("zones.vrt", "<OGRVRTDataSource/>")
    r = _upload(client, sid, "territory", z)
    assert r.status_code == 400 and "shapefile zippé" in r.get_json()["problems"][0]
    assert client.get(f"/api/sessions/{sid}/files").get_json()["files"] == {}


def test_geojson_with_a_linked_crs_refused_before_gdal_fetches_it(client, sid, tmp_path):
    # a « crs » of type link (GeoJSON 2008): GDAL would GET its href while reading the file;
    # the port 9 of the loopback (discard) shows nothing was tried: the refusal comes first
    square = [[[2.30, 50.95], [2.31, 50.95], [2.31, 50.96], [2.30, 50.96], [2.30, 50.95]]]
    doc = {"type": "FeatureCollection",
           "crs": {"type": "link", "properties": {"href": "http://127.0.0.1:9/crs",
                                                  "type": "proj4"}},
           "features": [{"type": "Feature", "properties": {"zone_id": "A", "zone_name": "A"},
                         "geometry": {"type": "Polygon", "coordinates": square}}]}
    path = tmp_path / "lien.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = _upload(client, sid, "territory", path)
    assert r.status_code == 400
    assert "lien.geojson" in r.get_json()["problems"][0] and "link" in r.get_json()["problems"][0]
    del doc["crs"]  # the same file without its link is accepted
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert _upload(client, sid, "territory", path).status_code == 200


def test_zipped_shapefile_territory(client, sid, tmp_path):
    shp = _two_boxes(tmp_path / "zones.shp")
    z = tmp_path / "zones.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for part in tmp_path.glob("zones.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    assert shp.exists()
    r = _upload(client, sid, "territory", z)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["summary"].startswith("2 zone(s), 200")  # 2 × 100 ha


def test_zipped_shapefile_with_links_dotdot_or_thousands_of_members_refused(client, app, sid,
                                                                            tmp_path):
    import stat

    _two_boxes(tmp_path / "zones.shp")
    parts = {p.suffix: p.read_bytes() for p in tmp_path.glob("zones.*")}

    def zipped(name, extra):
        z = tmp_path / name
        with zipfile.ZipFile(z, "w") as zf:
            for suffix, content in parts.items():
                zf.writestr(f"zones{suffix}", content)
            extra(zf)
        return z

    def link(zf):  # a member that « unzip » would make a link to /etc/passwd
        info = zipfile.ZipInfo("lisez-moi.txt")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")

    def dotdot(zf):
        zf.writestr("../../lisez-moi.txt", "x")

    def many(zf):  # 600 empty members > 500
        for i in range(600):
            zf.writestr(f"d/{i}.txt", "")

    for name, extra, words in [("lien.zip", link, "lisez-moi.txt"),
                               ("dotdot.zip", dotdot, "../../lisez-moi.txt"),
                               ("many.zip", many, "605 fichiers")]:
        r = _upload(client, sid, "territory", zipped(name, extra))
        assert r.status_code == 400, (name, r.get_json())
        problem = r.get_json()["problems"][0]
        assert name in problem and words in problem, problem
    assert client.get(f"/api/sessions/{sid}/files").get_json()["files"] == {}  # none kept


def test_uploaded_scenario_reads_only_its_own_folder(client, app, sid, tmp_path):
    # a geometry outside the scenario's folder (here the file of another session) is refused
    other = client.post("/api/sessions").get_json()["session"]
    assert _upload(client, other, "territory", _two_boxes(tmp_path / "z.geojson")
                   ).status_code == 200
    secret = app.extensions["espass_sessions"].workdir / other / "fichiers" / "territory-z.geojson"
    toml = tmp_path / "s.toml"
    toml.write_text(f'start_year = 2025\nhorizon = 2050\n\n[[scenario]]\nname = "s"\n\n'
                    f'[[scenario.action]]\ntype = "convert"\nto = "forest_broadleaf"\n'
                    f'geometry = "{secret.as_posix()}"\nyear = 2030\n', encoding="utf-8")
    r = _upload(client, sid, "scenario", toml)
    assert r.status_code == 400 and "hors du dossier" in r.get_json()["problems"][0]
    # the same action with its GeoJSON beside it, in a zip: accepted
    z = tmp_path / "scenario.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("mon_scenario/s.toml", toml.read_text(encoding="utf-8").replace(
            secret.as_posix(), "boisement.geojson"))
        zf.write(secret, "mon_scenario/boisement.geojson")
    r = _upload(client, sid, "scenario", z)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["summary"] == "1 scénario(s), 1 action(s), 2025–2050"
    [f] = client.get(f"/api/sessions/{sid}/scenario").get_json()["actions"]["features"]
    assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")


@pytest.mark.slow
def test_cancel_while_writing_removes_the_partial_folder(client, app, sid):
    r = client.post(f"/api/sessions/{sid}/run",
                    json={"territory": "epci:245900428", "use_demo_data": True})
    assert r.status_code == 202, r.get_json()
    session = app.extensions["espass_sessions"].workdir / sid
    partial = []
    for _ in range(2400):  # until the bilan writes (the 6th of its 9 steps)
        st = client.get(f"/api/sessions/{sid}/run").get_json()
        if st["progress"] >= 6 / 9 or st["state"] != "running":
            break
        time.sleep(0.05)
    partial = [p.name for p in session.iterdir() if p.name.startswith(".espass_geo-tmp")]
    assert partial and st["state"] == "running", st  # its temporary output folder
    st = client.delete(f"/api/sessions/{sid}/run").get_json()
    assert st["state"] == "cancelled"
    assert not (session / "resultat").exists()
    assert not [p.name for p in session.iterdir() if p.name.startswith(".espass_geo")]
