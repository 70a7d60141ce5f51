"""The demo on the embedded data, end to end (real boundaries, ALDO areas, RPG parcels)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import rasterio

import espass_geo as eg
from espass_geo.reference import data

pytestmark = pytest.mark.slow  # runs the whole demo once (~15-25 s alone, minutes under load): excluded by -m "not slow" (#14)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("démo")
    result = eg.api.demo()
    eg.write(result, out)
    return out, result.bilans


def test_demo_writes_both_maps(demo):
    out, results = demo
    assert (out / "index.html").exists()
    for name in ("flandre_dunkerque", "region"):
        for page in ("index.html", "stocks/carte_stocks.html", "flux/carte_flux.html",
                     "emissions/carte_emissions.html"):
            html = (out / name / page).read_text(encoding="utf-8")
            assert "lib/leaflet" in html, page
            assert 'src="https://' not in html and 'href="https://' not in html
        assert (out / name / "rapport.html").exists() and (out / name / "bilan.xlsx").exists()
        # SVG twins where a page links them (the report's charts), PNG only in the modules'
        # sub-folders (#14 item 6)
        report = (out / name / "rapport.html").read_text(encoding="utf-8")
        twins = sorted((out / name / "graphiques").glob("*.svg"))
        assert twins and all(f'graphiques/{p.name}"' in report for p in twins)
        for sub in ("emissions", "zan/graphiques"):
            assert list((out / name / sub).glob("*.png"))
            assert not list((out / name / sub).glob("*.svg")), sub
    fd = (out / "flandre_dunkerque" / "stocks" / "carte_stocks.html").read_text(encoding="utf-8")
    assert "SYNTHÉTIQUE" in fd  # the stand-in raster is said plainly on the map
    assert "Parcelles agricoles" in fd


def test_flandre_dunkerque_per_commune_and_parcel(demo):
    out, results = demo
    r = results["flandre_dunkerque"].stocks
    assert len(r.zones) == 57
    # area closure per commune
    s = pd.read_csv(out / "flandre_dunkerque" / "stocks" / "area_closure.csv",
                    dtype={"zone_id": str})
    total = s["classified_area_ha"] + s["nodata_area_ha"]
    assert ((total - s["polygon_area_ha"]).abs() <= 0.005 * s["polygon_area_ha"]).all()
    # the two EPCI: 29 627.2 + 45 069.3 ha in the ALDO CLC 2018 table; land-use areas close to it
    st = r.stocks
    assert st[st["pool"] == "soil"]["area_ha"].sum() == pytest.approx(74_696.5, rel=0.005)
    stocks_gpkg = out / "flandre_dunkerque" / "stocks" / "stocks.gpkg"
    layers = [name for name, _ in pyogrio.list_layers(stocks_gpkg)]
    assert layers == ["zones", "parcelles"]
    parcels = gpd.read_file(stocks_gpkg, layer="parcelles")
    assert len(parcels) == 713
    # each parcel: declared class × area × density; parcel stocks sum to the long table
    assert parcels["stock_tC"].sum() == pytest.approx(r.parcel_stocks["stock_tC"].sum())
    with rasterio.open(out / "flandre_dunkerque" / "stocks" / "stock_density.tif") as src:
        d = src.read(1, masked=True)
        px_ha = abs(src.transform.a * src.transform.e) * 1e-4
    # Σ density × pixel area ≈ Σ zone stocks (pixel centres vs exact edges: within 0.5 %)
    assert float(d.sum()) * px_ha == pytest.approx(r.total_stock_tC, rel=0.005)


def test_regional_overview_37_epci(demo):
    out, results = demo
    r = results["region"].stocks
    assert len(r.zones) == 37
    # every EPCI of the ALDO CLC 2018 table is accounted, areas equal the table (1 248 727 ha)
    at = pd.read_csv(data.aldo_clc18_epci_path(), dtype={"siren": str})
    table_total = at.drop(columns="siren").sum().sum()
    assert table_total == pytest.approx(1_248_727, abs=1)
    st = r.stocks
    assert st[st["pool"] == "soil"]["area_ha"].sum() == pytest.approx(table_total)
    z = gpd.read_file(out / "region" / "stocks" / "stocks.gpkg", layer="zones")
    assert z["zone_id"].str.len().eq(9).all()
    assert z["stock_tC"].sum() == pytest.approx(r.total_stock_tC)


def test_demo_flows(demo):
    out, results = demo
    fd, reg = results["flandre_dunkerque"].flows, results["region"].flows
    for name in ("flandre_dunkerque", "region"):
        html = (out / name / "flux" / "carte_flux.html").read_text(encoding="utf-8")
        assert "positif = séquestration" in html
    # demo rasters: changed hectares per EPCI follow the real ALDO CLC 2012→2018 table
    # (1 px = 0.04 ha), except 211→133 in the CU de Dunkerque (no 133 in CLC 2018 there)
    ch = fd.changes.changed.copy()
    epci = fd.territory.zones.set_index("zone_id")["epci"]
    ch["epci"] = ch["zone_id"].map(epci)
    got = ch.groupby(["epci", "from_code", "to_code"])["area_ha"].sum()
    ref = pd.read_csv(data.aldo_clc_change_epci_path(), dtype={"siren": str}).set_index("siren")
    # per EPCI within 1 ha (exact edge coverage splits patches that straddle the EPCI border),
    # over the two EPCI together within 1 %
    both: dict[str, float] = {}
    for siren in ("245900428", "200040954"):
        for pair, area in ref.loc[siren].dropna().items():
            if "-" not in pair or area == 0 or (siren, pair) == ("245900428", "211-133"):
                continue
            a, b = pair.split("-")
            assert got[(siren, a, b)] == pytest.approx(area, abs=1.0), (siren, pair)
            both[pair] = both.get(pair, 0.0) + area
    territory = ch.groupby(["from_code", "to_code"])["area_ha"].sum()
    for pair, area in both.items():
        assert territory[tuple(pair.split("-"))] == pytest.approx(area, rel=0.01), pair
    flows_gpkg = out / "flandre_dunkerque" / "flux" / "flows.gpkg"
    layers = [n for n, _ in pyogrio.list_layers(flows_gpkg)]
    assert "points_chauds_artificialisation" in layers
    hot = gpd.read_file(flows_gpkg,
                        layer="points_chauds_artificialisation")
    # hotspot cells hold every sealed hectare of the rasters (pixel count vs exact areas)
    assert hot["sealed_ha"].sum() == pytest.approx(fd.zan["sealed_ha"].sum(), rel=0.01)
    assert len(reg.zones) == 37
    # regional growth uses BD Forêt: forest growth > 0 everywhere there is forest
    growth = reg.flows[reg.flows["cause"] == "forest_growth"]
    assert (growth["flux_tCO2e_an"] > 0).all() and growth["zone_id"].nunique() == 37


def test_demo_scenario(demo):
    out, results = demo
    r = results["flandre_dunkerque"].scenario
    sc_dir = out / "flandre_dunkerque" / "scenarios"
    for name in ("carte_scenarios.html", "ecart_cumule.png", "trajectoires.csv"):
        assert (sc_dir / name).exists()
    d = r.delta[(r.delta["lever"] == "total") & (r.delta["year"] == 2050)]
    assert d["cumulative_delta_tCO2e"].iloc[0] > 0  # the demo scenario stores more carbon
    # the practices act on real RPG parcels of the territory (crop groups 1, 3 / 2, 25)
    aa = r.action_areas
    assert aa[aa["action_id"] == "semis-direct"]["area_ha"].sum() > 100
    html = (sc_dir / "carte_scenarios.html").read_text(encoding="utf-8")
    assert "Tendanciel" in html and "lib/leaflet-sync/L.Map.Sync.js" in html
    assert (sc_dir / "lib" / "leaflet-sync" / "L.Map.Sync.js").exists()


def test_bilan_totals_reconcile_across_outputs(demo):
    """bilan.csv, the French CSV, the Excel sheets, the report and the map agree."""
    from espass_geo.core.bilan_table import TOTAL, synthesis
    from espass_geo.present.fmt import fmt_mass_t

    out, results = demo
    for name, r in results.items():
        d = out / name
        csv = pd.read_csv(d / "bilan.csv", dtype={"zone_id": str})
        fr = pd.read_csv(d / "bilan_excel_fr.csv", sep=";", decimal=",", encoding="utf-8-sig",
                         dtype={"zone_id": str})
        assert csv["value"].sum() == pytest.approx(r.table["value"].sum())
        assert fr["value"].sum() == pytest.approx(csv["value"].sum())
        tot = csv[csv["zone_id"] == TOTAL].groupby("theme")["value"].sum()
        zones = csv[csv["zone_id"] != TOTAL].groupby("theme")["value"].sum()
        for theme in zones.index:
            assert tot[theme] == pytest.approx(zones[theme]), theme
        xl = pd.read_excel(d / "bilan.xlsx", sheet_name=None)
        assert list(xl)[:2] == ["Synthèse", "Lisez-moi"]
        n_sheets_rows = sum(len(df) for s, df in xl.items() if s not in ("Synthèse", "Lisez-moi"))
        assert n_sheets_rows == len(csv)
        sy = synthesis(r.table)
        # the carbon module and the land-use post never disagree
        land = csv[(csv["zone_id"] == TOTAL) & (csv["category"] == "utilisation_terres")]
        assert land["value"].sum() == pytest.approx(-sy["flux_tCO2e_an"])
        stock_fr = fmt_mass_t(sy["stock_tC"], "tC")
        assert stock_fr in (d / "index.html").read_text(encoding="utf-8")
        assert stock_fr.replace("\u202f", "&#8239;") in (d / "rapport.html").read_text(
            encoding="utf-8") or stock_fr in (d / "rapport.html").read_text(encoding="utf-8")
        assert (d / (r.config.path.name if r.config.path else "bilan.toml")).exists()


def test_scenario_theme_has_no_double_total(demo):
    from espass_geo.core.bilan_table import TOTAL

    out, results = demo
    r = results["flandre_dunkerque"]
    sc = r.table[r.table["theme"] == "scenario"]
    assert "total" not in set(sc["category"])
    d = r.scenario.delta
    net = d[(d["lever"] == "total") & (d["year"] == 2050)]["cumulative_delta_tCO2e"].iloc[0]
    # the levers of the bilan add up to the scenario's net cumulated difference
    assert sc[sc["zone_id"] == TOTAL]["value"].sum() == pytest.approx(net)


# ------------------------------------------------- the two bilans in two processes (#14 item 6)
def test_two_processes_behave_as_one():
    """Values in the order of the tasks, warnings issued in that order, the first error raised
    (the first task runs in the worker process, the second here)."""
    import warnings

    from espass_geo.errors import SmallTerritoryWarning
    from espass_geo.runs.demo import _run_tasks, _WorkerTraceback, demo_workers

    values = {"a": (pow, (2, 10), {}), "b": (divmod, (7, 2), {})}
    assert _run_tasks(values, 2) == _run_tasks(values, 1) == {"a": 1024, "b": (3, 1)}
    said = {"a": (warnings.warn, ("premier", SmallTerritoryWarning), {}),
            "b": (warnings.warn, ("second", SmallTerritoryWarning), {})}
    for workers in (1, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _run_tasks(said, workers)
        assert [str(w.message) for w in caught] == ["premier", "second"], workers
        assert {w.category for w in caught} == {SmallTerritoryWarning}
    failing = {"a": (demo_workers, (0,), {}), "b": (demo_workers, (-1,), {})}
    for workers in (1, 2):
        with pytest.raises(ValueError, match="not 0") as err:
            _run_tasks(failing, workers)
    assert isinstance(err.value.__cause__, _WorkerTraceback)  # the worker's traceback
    assert "demo_workers" in str(err.value.__cause__)


def test_failed_worker_leaves_no_output(tmp_path):
    """A bilan that cannot be written (in the worker and here): the error is raised after both
    have stopped, and neither the output folder nor a temporary folder is left."""
    from espass_geo.runs.bilan import BilanResult
    from espass_geo.runs.demo import DemoResult, write_demo_outputs

    broken = {name: BilanResult(config=None, table=pd.DataFrame(), zones=gpd.GeoDataFrame())
              for name in ("flandre_dunkerque", "region")}  # no configuration: cannot be written
    with pytest.raises(AttributeError, match="path"):
        write_demo_outputs(DemoResult(broken), tmp_path / "démo", workers=2)
    assert list(tmp_path.iterdir()) == []


def test_worker_from_a_script_without_main_guard(tmp_path):
    """The worker is a fresh ``python -c`` that never runs the caller's script again (with
    multiprocessing's "spawn" a script calling the demo at top level, without
    ``if __name__ == "__main__"``, would start itself again and fail)."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text("from espass_geo.runs.demo import _run_tasks\n"
                      "print(_run_tasks({'a': (pow, (2, 10), {}), 'b': (pow, (3, 2), {})}, 2))\n",
                      encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'a': 1024, 'b': 9}"
