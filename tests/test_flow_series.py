"""Flows over a series of land covers (issue #11 item 5): parse, periods, annualisation, total
weighted by the lengths, outputs and the map with its period selector.

Area arithmetic: a demo pixel is 20 m × 20 m = 400 m² = 0.04 ha; a pixel of the tiny raster of
conftest.py is 100 m × 100 m = 1 ha.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import pytest
import rasterio
from conftest import TINY, write_raster
from shapely.geometry import box

from espass_geo.errors import (
    ConfigError,
    InputFileError,
    PartialCoverageWarning,
    SmallTerritoryWarning,
)
from espass_geo.io.manifest import MANIFEST_NAME
from espass_geo.present.maps.flow_series import flow_series_map
from espass_geo.reference import data
from espass_geo.runs.flow_series import (
    FlowSeriesResult,
    compute_flow_series,
    parse_series,
    series_tables,
    write_flow_series_outputs,
)
from espass_geo.runs.flows import compute_territory_flows

PIXEL_HA = 0.04  # demo raster: 20 m × 20 m
#: A block of 10 × 10 demo pixels, all cropland (211) in 2012 and 2018, inside Bierne (59082)
#: at more than 200 m from its boundary: turned into CLC 112 in the synthetic 2021 date.
BLOCK = (slice(528, 538), slice(1134, 1144))
BLOCK_HA = 100 * PIXEL_HA  # 100 pixels × 0.04 ha = 4 ha
CODES = "59067,59082"  # Bergues, Bierne (in the demo window)


def _decoded(page: str) -> str:
    """The page with its JSON escapes (``\\u00e9``) decoded: what the scripts read."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


# --------------------------------------------------------------------------------------------
# The length-weighted whole series, by hand (pure)
# --------------------------------------------------------------------------------------------

def test_total_is_weighted_by_the_period_lengths():
    z = {"zone_id": ["z"], "zone_name": ["Zone"], "area_ha": [100.0]}
    p1 = pd.DataFrame({**z, "flux_tCO2e_an": [40.0], "flux_forest_growth_tCO2e_an": [5.0],
                       "sealed_ha": [6.0], "sealed_ha_an": [2.0]})   # 2015 → 2018: 3 years
    p2 = pd.DataFrame({**z, "flux_tCO2e_an": [10.0], "flux_forest_growth_tCO2e_an": [5.0],
                       "sealed_ha": [3.0], "sealed_ha_an": [0.5]})   # 2018 → 2024: 6 years
    series, total = series_tables([(2015, 2018, p1), (2018, 2024, p2)])
    assert series["period"].tolist() == ["2015-2018", "2018-2024"]
    assert series["n_years"].tolist() == [3, 6]
    # flow over each period = yearly flow × its length: 40 × 3 = 120, 10 × 6 = 60
    assert series["flux_tCO2e"].tolist() == pytest.approx([120.0, 60.0])
    assert series["flux_tCO2e_ha_an"].tolist() == pytest.approx([0.4, 0.1])  # / 100 ha
    t = total.iloc[0]
    assert (t["period"], t["year_from"], t["year_to"], t["n_years"]) == ("2015-2024", 2015,
                                                                          2024, 9)
    # (120 + 60) / 9 years = 20 tCO2e/an — not the mean of the yearly flows, (40 + 10) / 2 = 25
    assert t["flux_tCO2e"] == pytest.approx(180.0)
    assert t["flux_tCO2e_an"] == pytest.approx(20.0)
    assert t["flux_tCO2e_ha_an"] == pytest.approx(0.2)
    # a constant yearly flow (forest growth, 5/an in both periods) stays 5/an
    assert t["flux_forest_growth_tCO2e_an"] == pytest.approx(5.0)
    # 6 + 3 = 9 ha artificialised in 9 years: 1 ha/an
    assert (t["sealed_ha"], t["sealed_ha_an"]) == pytest.approx((9.0, 1.0))
    assert (total["convention"] == "positif = séquestration, négatif = émission").all()


# --------------------------------------------------------------------------------------------
# parse_series
# --------------------------------------------------------------------------------------------

@pytest.fixture
def three_files(tmp_path):
    for name in ("ocs_a.tif", "ocs_b.tif", "ocs_c.tif"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def test_parse_series_sorted_from_cli_toml_and_pairs(three_files):
    d = three_files
    got = parse_series([f"2021={d / 'ocs_c.tif'}", f" 2015 = {d / 'ocs_a.tif'}",
                        f"2018={d / 'ocs_b.tif'}"])
    assert got == [(2015, d / "ocs_a.tif"), (2018, d / "ocs_b.tif"), (2021, d / "ocs_c.tif")]
    toml = [{"year": 2018, "file": "ocs_b.tif"}, {"year": 2015, "file": "ocs_a.tif"}]
    assert parse_series(toml, base_dir=d) == [(2015, d / "ocs_a.tif"), (2018, d / "ocs_b.tif")]
    assert parse_series([(2012, "demo-2012"), (2018, "demo")]) == [
        (2012, data.demo_landcover_2012_path()), (2018, data.demo_landcover_path())]


@pytest.mark.parametrize("items, pattern", [
    (["2015:a.tif", "2018=b.tif"], r"« 2015:a\.tif » : attendu ANNÉE=FICHIER, par ex\. "),
    (["20x5=a.tif", "2018=b.tif"], r"l'année '20x5' n'est pas un entier ; écrivez par ex\. 2015"),
    (["1900=a.tif", "2018=b.tif"], r"l'année 1900 est hors de 1985–\d{4} .* corrigez l'année"),
    (["2100=a.tif", "2018=b.tif"], r"l'année 2100 est hors de"),
    (["2018=a.tif", "2018=b.tif"], r"l'année 2018 est donnée 2 fois \(« a\.tif », « b\.tif »\)"
                                   r" ; une seule occupation du sol par année"),
    (["2018=a.tif"], r"1 date\(s\) seulement ; une série demande au moins deux"),
    ([{"year": 2015, "fichier": "a.tif"}, "2018=b.tif"],
     r"clé\(s\) manquante\(s\) : file ; clé\(s\) inconnue\(s\) : fichier ; écrivez"),
    (["2015=clc2018.tif", "2021=b.tif"], r"le fichier date de 2018 \(année lue dans le nom du "
                                         r"fichier\), pas de 2015 ; corrigez l'année ou renommez"),
])
def test_parse_series_errors_name_the_item_and_the_remedy(items, pattern, three_files):
    with pytest.raises(ConfigError, match=pattern) as err:
        parse_series(items, base_dir=three_files)
    assert str(err.value).startswith("--landcover-series")
    assert err.value.problems


def test_parse_series_lists_every_problem_and_checks_files(three_files):
    with pytest.raises(ConfigError, match=r"2 problème\(s\)") as err:
        parse_series(["2015", "abcd=x.tif", "2018=b.tif"], source="[landcover] series")
    assert len(err.value.problems) == 2 and str(err.value).startswith("[landcover] series")
    with pytest.raises(InputFileError, match=r"l'occupation du sol de 2018 « absent\.tif » "
                                             r"n'existe pas .*vérifiez le chemin"):
        parse_series(["2015=ocs_a.tif", "2018=absent.tif"], base_dir=three_files)
    # a GeoPackage layer ("file.gpkg:layer") is looked for as its file
    (three_files / "ocs.gpkg").write_bytes(b"")
    got = parse_series(["2015=ocs.gpkg:ocs_2015", "2018=ocs_b.tif"], base_dir=three_files)
    assert got[0] == (2015, three_files / "ocs.gpkg:ocs_2015")


# --------------------------------------------------------------------------------------------
# Three dates of the demo rasters: 2012, 2018 and a synthetic 2021
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lc2021(tmp_path_factory) -> Path:
    """The 2018 demo raster with the 4 ha block of cropland (211) turned into CLC 112."""
    path = tmp_path_factory.mktemp("series") / "demo_2021_20m.tif"
    with rasterio.open(data.demo_landcover_path()) as src:
        profile, arr, tags = src.profile, src.read(1), src.tags()
    with rasterio.open(data.demo_landcover_2012_path()) as src:
        assert (src.read(1)[BLOCK] == 211).all()  # cropland in 2012 too: no earlier change
    assert (arr[BLOCK] == 211).all()
    arr[BLOCK] = 112
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        dst.update_tags(**tags)
    return path


@pytest.fixture(scope="module")
def series3(lc2021) -> FlowSeriesResult:
    with pytest.warns(SmallTerritoryWarning):
        return compute_flow_series(CODES, [(2021, lc2021), (2012, "demo-2012"), (2018, "demo")])


def _zone(df: pd.DataFrame, period: str, zone: str) -> pd.Series:
    return df[(df["period"] == period) & (df["zone_id"] == zone)].iloc[0]


def test_each_period_is_the_flow_run_of_its_pair(series3, lc2021):
    assert series3.years == [2012, 2018, 2021]
    assert series3.period_labels == ["2012-2018", "2018-2021"]
    pairs = [(data.demo_landcover_2012_path(), data.demo_landcover_path(), (2012, 2018)),
             (data.demo_landcover_path(), lc2021, (2018, 2021))]
    for r, (before, after, years) in zip(series3.periods, pairs):
        ref = compute_territory_flows(series3.territory, landcover_before=before,
                                      landcover_after=after, years=years)
        assert r.changes.years == years[1] - years[0]
        pd.testing.assert_frame_equal(r.flows, ref.flows)
        got = series3.series[series3.series["period"] == f"{years[0]}-{years[1]}"]
        assert got.set_index("zone_id")["flux_tCO2e_an"].to_dict() == pytest.approx(
            ref.zones.set_index("zone_id")["flux_tCO2e_an"].to_dict())
    # the long table holds every flow record of every period, with its period
    per = series3.flows.groupby(["period", "zone_id"])["flux_tCO2e_an"].sum()
    for _, row in series3.series.iterrows():
        assert per.get((row["period"], row["zone_id"]), 0.0) == pytest.approx(
            row["flux_tCO2e_an"])
    assert series3.flows["flux_tCO2e"].to_numpy() == pytest.approx(
        (series3.flows["flux_tCO2e_an"] * series3.flows["n_years"]).to_numpy())


def test_each_period_is_annualised_over_its_own_length(series3, lc2021):
    s = series3.series
    assert s.groupby("period")["n_years"].first().to_dict() == {"2012-2018": 6, "2018-2021": 3}
    p2 = _zone(s, "2018-2021", "59082")
    # the 4 ha block sealed between 2018 and 2021: 4 ha / 3 years = 1.333 ha/an
    assert p2["sealed_ha"] == pytest.approx(BLOCK_HA)
    assert p2["sealed_ha_an"] == pytest.approx(BLOCK_HA / 3)
    assert _zone(s, "2018-2021", "59067")["sealed_ha"] == 0  # Bergues: no change after 2018
    assert s["flux_tCO2e"].to_numpy() == pytest.approx((s["flux_tCO2e_an"] * s["n_years"])
                                                       .to_numpy())
    # the same pair of rasters read as 6 years (2018 → 2024): the land-use change flows are
    # instantaneous, so the flow over the period is the same and the yearly flow is halved
    ref6 = compute_territory_flows(series3.territory, landcover_before=data.demo_landcover_path(),
                                   landcover_after=lc2021, years=(2018, 2024))
    luc6 = ref6.zones.set_index("zone_id").loc["59082", "flux_land_use_change_tCO2e_an"]
    assert luc6 < 0  # sealing: an emission
    assert p2["flux_land_use_change_tCO2e_an"] == pytest.approx(2 * luc6)  # × 6/3
    assert p2["flux_land_use_change_tCO2e_an"] * 3 == pytest.approx(luc6 * 6)


def test_whole_series_is_length_weighted(series3):
    s, total = series3.series, series3.total
    assert total["period"].unique().tolist() == ["2012-2021"]
    assert (total["n_years"] == 9).all()
    for zone in ("59067", "59082"):
        f1 = _zone(s, "2012-2018", zone)
        f2 = _zone(s, "2018-2021", zone)
        t = total.set_index("zone_id").loc[zone]
        # (6 × F1 + 3 × F2) / 9
        assert t["flux_tCO2e_an"] == pytest.approx(
            (6 * f1["flux_tCO2e_an"] + 3 * f2["flux_tCO2e_an"]) / 9)
        assert t["sealed_ha_an"] == pytest.approx((f1["sealed_ha"] + f2["sealed_ha"]) / 9)
    bierne = total.set_index("zone_id").loc["59082"]
    b1 = _zone(s, "2012-2018", "59082")
    assert bierne["sealed_ha"] == pytest.approx(b1["sealed_ha"] + BLOCK_HA)
    ts = series3.territory_series
    whole = ts[ts["scope"] == "whole_series"].iloc[0]
    assert whole["flux_tCO2e_an"] == pytest.approx(series3.net_flux_tCO2e_an)
    assert whole["flux_tCO2e"] == pytest.approx(s["flux_tCO2e"].sum())


def test_outputs_have_the_manifest_the_tables_and_the_map(series3, tmp_path):
    out = tmp_path / "flux_series"
    files = write_flow_series_outputs(series3, out, params={"landcover_series": ["2012=…"]})
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == on_disk - {MANIFEST_NAME}
    for name in ("flows_series_zones.csv", "flows_series_zones_excel_fr.csv",
                 "flows_series_ensemble.csv", "flows_series_territoire.csv", "flows_series.csv",
                 "flows_series.gpkg", "carte_flux_series.html", "LISEZ-MOI_flux_series.txt",
                 "periode_2012-2018/flows.csv", "periode_2018-2021/change.tif",
                 "periode_2018-2021/carte_flux.html"):
        assert name in manifest["files"], name
    assert files["carte_flux_series.html"] == out / "carte_flux_series.html"
    z = pd.read_csv(out / "flows_series_zones.csv", dtype={"zone_id": str})
    assert len(z) == 4 and set(z["period"]) == {"2012-2018", "2018-2021"}
    assert _zone(z, "2018-2021", "59082")["sealed_ha_an"] == pytest.approx(BLOCK_HA / 3)
    fr = pd.read_csv(out / "flows_series_zones_excel_fr.csv", sep=";", decimal=",",
                     encoding="utf-8-sig", dtype={"zone_id": str})
    assert fr["flux_tCO2e_an"].to_numpy() == pytest.approx(z["flux_tCO2e_an"].to_numpy())
    long = pd.read_csv(out / "flows_series.csv", dtype={"zone_id": str})
    assert {"period", "year_from", "year_to", "n_years", "cause", "flux_tCO2e"} <= set(long)
    readme = (out / "LISEZ-MOI_flux_series.txt").read_text(encoding="utf-8")
    assert "flux positif = séquestration" in readme and "2018-2021 : 3 an(s)" in readme
    page = _decoded((out / "carte_flux_series.html").read_text(encoding="utf-8"))
    for name in ("Période 2012-2018", "Période 2018-2021",
                 "Ensemble 2012-2021 (pondéré par les durées)"):
        assert f'"{name}"' in page  # one layer per period (+ the whole series)
    assert page.count('type="range"') == 1
    assert "Flux net (tCO₂e/ha/an) — positif = séquestration, négatif = émission" in page
    # the period results point into out/, not into the temporary folder
    assert series3.periods[1].files["flows.csv"] == out / "periode_2018-2021" / "flows.csv"


def test_series_refuses_years_given_twice(lc2021):
    with pytest.raises(TypeError, match="sets years itself"):
        compute_flow_series(CODES, [(2012, "demo-2012"), (2018, "demo")], years=(2012, 2018))


# --------------------------------------------------------------------------------------------
# Tiny rasters by hand, hostile zone names
# --------------------------------------------------------------------------------------------

def test_tiny_series_by_hand_with_hostile_names(tmp_path, two_zones, monkeypatch):
    """Zone A (left half, 8 ha): 2012 → 2018 pixels [0,0] and [0,1] (1 ha each) 211 → 112,
    2018 → 2021 pixel [1,0] 211 → 112. Forest (311, zone B) unchanged."""
    d18 = TINY.copy()
    d18[0, 0:2] = 112
    d21 = d18.copy()
    d21[1, 0] = 112
    files = [(2012, write_raster(tmp_path / "a.tif", TINY)),
             (2018, write_raster(tmp_path / "b.tif", d18)),
             (2021, write_raster(tmp_path / "c.tif", d21))]
    zones = two_zones[["zone_id", "zone_name", "geometry"]].copy()
    zones["zone_name"] = ["Zone {{7*7}} fin", "</script><script>alert(1)</script>"]
    with pytest.warns(PartialCoverageWarning):  # B: 2 no-data pixels
        r = compute_flow_series(zones, files, zpc="2_1")
    s = r.series.set_index(["period", "zone_id"])
    # A: 2 ha in 6 years = 0.333 ha/an; then 1 ha in 3 years = 0.333 ha/an; whole: 3 ha / 9
    assert s.loc[("2012-2018", "A"), "sealed_ha_an"] == pytest.approx(2 / 6)
    assert s.loc[("2018-2021", "A"), "sealed_ha_an"] == pytest.approx(1 / 3)
    assert r.total.set_index("zone_id").loc["A", "sealed_ha_an"] == pytest.approx(3 / 9)
    assert s.loc[("2018-2021", "B"), "sealed_ha"] == 0
    # forest growth of B: the same yearly flow in each period, hence over the whole series
    g = s.xs("B", level="zone_id")["flux_forest_growth_tCO2e_an"]
    assert g.iloc[0] > 0 and g.iloc[1] == pytest.approx(g.iloc[0])
    assert r.total.set_index("zone_id").loc["B", "flux_forest_growth_tCO2e_an"] == \
        pytest.approx(g.iloc[0])

    compiled: list[str] = []
    original = jinja2.Environment.compile

    def watch(self, source, *args, **kwargs):
        if isinstance(source, str):
            compiled.append(source)
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", watch)
    out = tmp_path / "sortie"
    write_flow_series_outputs(r, out, period_details=False)
    page = (out / "carte_flux_series.html").read_text(encoding="utf-8")
    assert compiled and not any("{{7*7}} fin" in c or "alert(1)" in c for c in compiled)
    assert "Zone 49 fin" not in page
    assert "</script><script>alert" not in page
    decoded = _decoded(page)
    assert "<script>alert(1)" not in decoded  # escaped for innerHTML (&lt;script&gt;…)
    shown = html.unescape(decoded)
    assert "Zone {{7*7}} fin" in shown and "</script><script>alert(1)</script>" in shown
    assert not (out / "periode_2012-2018").exists()


def test_map_one_layer_per_period_common_classes(tmp_path):
    """Two zones, two periods of different lengths, plus the whole series; hostile title."""
    zones = gpd.GeoDataFrame({"zone_id": ["59001", "59002"], "zone_name": ["Un", "Deux"],
                              "area_ha": [100.0, 100.0]},
                             geometry=[box(650_000, 7_050_000, 651_000, 7_051_000),
                                       box(651_000, 7_050_000, 652_000, 7_051_000)],
                             crs="EPSG:2154")
    p1 = zones.drop(columns="geometry").assign(flux_tCO2e_an=[120.0, -50.0])
    p2 = zones.drop(columns="geometry").assign(flux_tCO2e_an=[-300.0, 10.0])
    series, total = series_tables([(2012, 2018, p1), (2018, 2021, p2)])
    path = tmp_path / "carte.html"
    flow_series_map(zones, series, total=total, title="Titre <b>{{7*7}}</b>", html_path=path,
                    show="2012-2018")
    page = _decoded(path.read_text(encoding="utf-8"))
    assert "Titre &lt;b&gt;{{7*7}}&lt;/b&gt;" in page
    names = re.findall(r'"(Période \d{4}-\d{4}|Ensemble [^"]+)"', page)
    assert set(names) == {"Période 2012-2018", "Période 2018-2021",
                          "Ensemble 2012-2021 (pondéré par les durées)"}
    # the selector starts at the period asked for, and the same classes serve every period
    assert re.search(r'type="range"[^>]*max="2"[^>]*value="0"', page)
    legends = re.findall(r"espass-legend-title\">(.*?)</div>", page)
    assert len(legends) == 3
    rows = re.findall(r'espass-swatch" style="background:(#[0-9a-f]{6})"></span><span>([^<]+)<',
                      page)
    assert len(rows) % 3 == 0 and rows[: len(rows) // 3] == rows[len(rows) // 3: 2 * len(rows)
                                                                  // 3]
    # French numbers in the tooltips: 2012-2018 over 6 years, −300 tCO2e/an × 3 = −900 tCO₂e
    assert "+1,2\u00a0tCO₂e/ha/an" in page or "+1,20\u00a0tCO₂e/ha/an" in page
    assert "\u2212900\u00a0tCO₂e" in page
    assert "2018-2021 (3 ans)" in page
    # two dates: one period, no selector and no whole-series layer
    one, _ = series_tables([(2012, 2018, p1)])
    flow_series_map(zones, one, title="Deux dates", html_path=tmp_path / "une.html",
                    value="flux_tCO2e_an")
    single = _decoded((tmp_path / "une.html").read_text(encoding="utf-8"))
    assert 'type="range"' not in single and "Ensemble" not in single
    assert "Période 2012-2018 — Flux net total (tCO₂e/an) — positif = séquestration" in single


@pytest.mark.browser
def test_period_slider_in_chromium(tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no `chromium` on PATH (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the `playwright` package is not installed")
    zones = gpd.GeoDataFrame({"zone_id": ["59001", "59002"], "zone_name": ["Un", "Deux"],
                              "area_ha": [100.0, 100.0]},
                             geometry=[box(650_000, 7_050_000, 651_000, 7_051_000),
                                       box(651_000, 7_050_000, 652_000, 7_051_000)],
                             crs="EPSG:2154")
    p1 = zones.drop(columns="geometry").assign(flux_tCO2e_an=[120.0, -50.0])
    p2 = zones.drop(columns="geometry").assign(flux_tCO2e_an=[-300.0, 10.0])
    series, total = series_tables([(2012, 2018, p1), (2018, 2021, p2)])
    path = tmp_path / "carte.html"
    flow_series_map(zones, series, total=total, title="Série", html_path=path)
    legends_js = """() => Array.from(document.querySelectorAll('.espass-legend'))
        .filter(e => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0)
        .map(e => e.querySelector('.espass-legend-title').textContent.trim())"""
    checked_js = """() => Array.from(document.querySelectorAll(
        '.leaflet-control-layers-overlays label')).filter(l => l.querySelector('input').checked)
        .map(l => l.textContent.trim())"""
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium,
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
                       else r.abort())
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function(
                "() => document.querySelectorAll('path.leaflet-interactive').length > 0")
            slider = page.locator(".espass-period-selector input[type=range]")
            shown = page.locator(".espass-period-selector output")
            # opens on the last period
            assert shown.inner_text() == "Période 2018-2021"
            assert page.evaluate(checked_js)[-1:] == ["Période 2018-2021"]
            assert len(page.evaluate(legends_js)) == 1
            slider.fill("0")
            page.wait_for_function(f"() => ({checked_js})().includes('Période 2012-2018')")
            assert "Période 2018-2021" not in page.evaluate(checked_js)
            assert page.evaluate(legends_js)[0].startswith("Période 2012-2018")
            assert shown.inner_text() == "Période 2012-2018"
            # ticking a layer in the layer control moves the slider
            page.locator(".leaflet-control-layers-overlays label",
                         has_text="Ensemble").locator("input").click()
            page.wait_for_function(f"() => ({legends_js})().length === 1 && "
                                   f"({legends_js})()[0].startsWith('Ensemble')")
            assert slider.input_value() == "2"
            assert shown.inner_text().startswith("Ensemble 2012-2021")
        finally:
            browser.close()
    assert errors == []
    assert np.isfinite(total["flux_tCO2e_an"]).all()
