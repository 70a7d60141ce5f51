"""The CLI: a thin layer over the API; errors exit non-zero and leave nothing behind."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TINY, write_raster

from espass_geo.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_stocks_command_end_to_end(tmp_path, tiny_raster, zones_file):
    out = tmp_path / "résultats"
    r = run("stocks", "--territory", zones_file, "--landcover", tiny_raster, "--zpc", "2_1",
            "--out", out)
    assert r.exit_code == 0, r.output
    for name in ("stocks.csv", "stocks_zones.csv", "areas.csv", "area_closure.csv",
                 "stocks.gpkg", "stock_density.tif", "carte_stocks.html", "LISEZ-MOI_stocks.txt"):
        assert (out / name).stat().st_size > 0, name
    st = pd.read_csv(out / "stocks.csv", dtype={"zone_id": str})
    assert {"zone_id", "zone_name", "land_use", "pool", "area_ha", "stock_tC",
            "stock_tCO2e"} <= set(st.columns)
    # 356.8 tC (zone A) + 839.6 tC (zone B), worked out in test_stocks.py
    assert st["stock_tC"].sum() == pytest.approx(356.8 + 839.6)
    html = (out / "carte_stocks.html").read_text(encoding="utf-8")
    # folium embeds GeoJSON with JSON \u escapes; the browser shows "Saint-Étienne-test"
    assert ("Saint-Étienne-test" in html or "Saint-\\u00c9tienne-test" in html)
    assert "tC/ha" in html
    assert "1\u202f196" in r.output or "1 196" in r.output.replace("\u202f", " ")
    assert not list(tmp_path.glob(".espass_geo-*"))  # no lock or temporary folder left


@pytest.mark.parametrize("case", ["nocrs", "codes", "areas", "insee"])
def test_errors_exit_nonzero_without_partial_output(tmp_path, zones_file, case):
    out = tmp_path / "sortie"
    out.mkdir()
    (out / "ancien.txt").write_text("keep me")
    if case == "nocrs":
        lc = write_raster(tmp_path / "sans_crs.tif", TINY, crs=None)
        args = ["--territory", zones_file, "--landcover", lc, "--zpc", "2_1"]
        expect = "sans_crs.tif"
    elif case == "codes":
        arr = TINY.copy()
        arr[0, 0] = 999
        lc = write_raster(tmp_path / "codes.tif", arr)
        args = ["--territory", zones_file, "--landcover", lc, "--zpc", "2_1"]
        expect = "999"
    elif case == "areas":
        csv = tmp_path / "surfaces.csv"
        csv.write_text("zone_id,code,area_ha\nA,211,-1\n")
        args = ["--territory", zones_file, "--areas", csv, "--zpc", "2_1"]
        expect = "négative"
    else:
        args = ["--territory", "59998", "--areas", tmp_path / "x.csv"]
        expect = "59998"
    r = run("stocks", *args, "--out", out, "--overwrite")  # ancien.txt is the user's
    assert r.exit_code == 2
    assert expect in r.output
    assert "Erreur" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["ancien.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".espass_geo-")]


def test_landcover_and_areas_are_exclusive(tmp_path, zones_file, tiny_raster):
    r = run("stocks", "--territory", zones_file, "--zpc", "2_1", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "l'un des deux" in r.output
    assert not (tmp_path / "o").exists()


def test_versions_command():
    r = run("versions")
    assert r.exit_code == 0
    assert "GDAL (rasterio)" in r.output and "GDAL (pyogrio)" in r.output
