"""A GeoJSON whose ``crs`` is a link (GeoJSON 2008 ``"type": "link"``) is refused before GDAL
reads it: GDAL would fetch the ``href`` over HTTP while opening the file, so a file received from
someone could make this computer request any address (found by the review of the web app). A
local listener checks that nothing is requested."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from click.testing import CliRunner

from espass_geo.cli import main
from espass_geo.errors import InputFileError
from espass_geo.io.landcover_vectors import read_landcover_vector
from espass_geo.io.vectors import read_vector

X0, Y0 = 700_000.0, 6_600_000.0


@pytest.fixture
def listener():
    """A TCP server on 127.0.0.1 counting the connections it receives."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                hits.append(conn.recv(1024))

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], hits
    stop.set()
    t.join(2)
    srv.close()


def _geojson(path, port, props):
    square = [[X0, Y0], [X0 + 100, Y0], [X0 + 100, Y0 - 100], [X0, Y0 - 100], [X0, Y0]]
    path.write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "link", "properties": {"href": f"http://127.0.0.1:{port}/ssrf",
                                                "type": "proj4"}},
        "features": [{"type": "Feature", "properties": props,
                      "geometry": {"type": "Polygon", "coordinates": [square]}}]}),
        encoding="utf-8")
    return path


def test_territory_with_a_linked_crs_refused_and_nothing_fetched(tmp_path, listener):
    port, hits = listener
    path = _geojson(tmp_path / "zone.geojson", port, {"id": "A"})
    with pytest.raises(InputFileError, match="lien") as exc:
        read_vector(path)
    assert "urn:ogc:def:crs:EPSG::2154" in str(exc.value)
    res = CliRunner().invoke(main, ["stocks", "-t", str(path), "--landcover", "demo",
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "lien" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()
    assert hits == []


def test_landcover_layer_with_a_linked_crs_refused(tmp_path, listener):
    port, hits = listener
    path = _geojson(tmp_path / "ocs.geojson", port, {"CODE_18": "211"})
    with pytest.raises(InputFileError, match="lien"):
        read_landcover_vector(path)
    assert hits == []


@pytest.mark.filterwarnings("ignore::espass_geo.errors.SmallTerritoryWarning")
def test_area_table_with_foreign_zone_ids_french_message(tmp_path):
    """An area table whose zone ids are neither the territory's communes nor their EPCI: a French
    message naming the file (not its full path), the ids and the remedy."""
    import espass_geo as eg
    from espass_geo.errors import AreaTableError

    csv = tmp_path / "surfaces.csv"
    csv.write_text("zone_id,code,area_ha\n99998,211,10\n99999,311,5\n", encoding="utf-8")
    with pytest.raises(AreaTableError) as exc:
        eg.stocks("59067", areas=str(csv))
    msg = str(exc.value)
    assert "« surfaces.csv »" in msg and "99998, 99999" in msg and "--territory" in msg
    assert str(tmp_path) not in msg
