"""90 % intervals wired into every output (issue #13 item 4): stocks_zones.csv, flows_zones.csv,
bilan.csv / French CSV / xlsx, ecarts.csv, the maps' tooltips, the report's synthesis.

One small bilan is run once (module fixture): two 8 ha box zones with hostile names, the tiny
4 × 4 raster of conftest.py at two dates, a GHG-only inventory given for the boxes (a published
inventory: no interval), a scenario planting 3 ha of forest. The interval arithmetic itself is
tested in test_uncertainty.py; here: the columns are there, bracket their value, agree with
:mod:`espass_geo.core.uncertainty`, and are shown in French.
"""

from __future__ import annotations

import html
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from espass_geo import api
from espass_geo.core.uncertainty import TOTAL, stock_interval
from espass_geo.present.fmt import NBSP, NNBSP, fmt_interval_t, fmt_quantity

pytestmark = pytest.mark.slow  # stocks + bilan fixture (~25 s): excluded by -m "not slow" (#14)

IMG = '"><img src=x onerror=alert(1)>'
SCRIPT = "</script><script>alert(1)</script>"
FORBIDDEN = ("</script><script>alert", "<img src=x")


def _plain(text: str) -> str:
    """JSON escapes decoded (what a script reads), HTML entities decoded, no-break spaces as
    spaces: what a reader sees."""
    text = re.sub(r'\\(u[0-9a-fA-F]{4}|["\\])',
                  lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5
                  else m.group(1), text)
    return html.unescape(text).replace(NBSP, " ").replace(NNBSP, " ")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from bad_inputs.cases_html import BOX_IDS, _write_scenario, box_emission_inputs
    from bad_inputs.common import TINY, write_raster, write_zones

    full = TINY.copy()
    full[full == 0] = 311
    before = full.copy()
    before[0, 0], before[1, 2] = 311, 211  # a forest cleared, a pasture ploughed
    tmp = tmp_path_factory.mktemp("intervals")
    write_zones(tmp, names=(IMG, SCRIPT), ids=BOX_IDS)
    write_raster(tmp / "occupation.tif", full)
    write_raster(tmp / "avant.tif", before)
    emissions = box_emission_inputs(tmp)
    _write_scenario(tmp, title="Plan", label="Plan", action_label="boisement")
    (tmp / "bilan.toml").write_text(
        'title = "Bilan intervalles"\nterritory = "zones.geojson"\nzpc = "2_1"\n'
        '[landcover]\nafter = "occupation.tif"\nbefore = "avant.tif"\n'
        "years = [2012, 2018]\n" + emissions + '[scenario]\nfile = "scenario.toml"\n',
        encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = api.bilan(config=tmp / "bilan.toml", quiet=True)
        api.write(r, tmp / "out")
    return r, tmp / "out"


def test_stock_zones_carry_their_interval(run):
    r, out = run
    z = pd.read_csv(out / "stocks" / "stocks_zones.csv")
    cols = list(z.columns)
    assert cols[cols.index("stock_tC") + 1:cols.index("stock_tC") + 3] == [
        "stock_tC_p05", "stock_tC_p95"]
    assert len(z) == 2
    assert (z["stock_tC_p05"] <= z["stock_tC"]).all() and (z["stock_tC"] <= z["stock_tC_p95"]).all()
    assert (z["stock_tC_p05"] < z["stock_tC_p95"]).all()  # factor errors are not zero
    # the same numbers as the uncertainty module on the long table (fixed seed)
    iv = stock_interval(r.stocks.stocks).set_index("zone_id")
    got = z.set_index(z["zone_id"].astype(str))
    for zid in got.index:
        assert got.loc[zid, "stock_tC_p05"] == pytest.approx(iv.loc[zid, "stock_tC_p05"])
        assert got.loc[zid, "stock_tC_p95"] == pytest.approx(iv.loc[zid, "stock_tC_p95"])
    lo, hi = r.stocks.total_interval
    assert (lo, hi) == pytest.approx((iv.loc[TOTAL, "stock_tC_p05"], iv.loc[TOTAL, "stock_tC_p95"]))
    # the two zones hold different land uses (A: arable, urban; B: pasture, forest): their
    # factors are partly independent, so the territory's interval is narrower than the sum of
    # the zones' intervals (it would equal it if every factor were common to both zones)
    assert hi - lo < (z["stock_tC_p95"] - z["stock_tC_p05"]).sum()
    assert lo <= z["stock_tC"].sum() <= hi
    assert r.intervals["stock_tC"] == pytest.approx((lo, hi))


def test_flow_zones_carry_their_interval(run):
    r, out = run
    z = pd.read_csv(out / "flux" / "flows_zones.csv")
    assert {"flux_tCO2e_an_p05", "flux_tCO2e_an_p95"} <= set(z.columns)
    assert (z["flux_tCO2e_an_p05"] <= z["flux_tCO2e_an"] + 1e-9).all()
    assert (z["flux_tCO2e_an"] <= z["flux_tCO2e_an_p95"] + 1e-9).all()
    assert r.flows.total_interval is not None
    assert r.intervals["flux_tCO2e_an"] == pytest.approx(r.flows.total_interval)


def test_bilan_table_has_an_interval_for_every_stock_and_flow(run):
    r, out = run
    b = pd.read_csv(out / "bilan.csv", dtype={"zone_id": str})
    assert {"value_p05", "value_p95"} <= set(b.columns)
    carbon = b[b["theme"].isin(["stocks", "flux_carbone"])]
    assert len(carbon) and carbon[["value_p05", "value_p95"]].notna().all().all()
    assert (carbon["value_p05"] <= carbon["value"] + 1e-9).all()
    assert (carbon["value"] <= carbon["value_p95"] + 1e-9).all()
    # a published inventory (not an estimate): the documented default (factors/uncertainty.csv
    # user_inventory, σ = 10 %), so every figure of the bilan has an interval
    ghg = b[b["theme"] == "emissions_secteur"]
    assert len(ghg) and not ghg["estimate"].any() and ghg["value_p05"].notna().all()
    assert b[["value_p05", "value_p95"]].notna().all().all()
    # the scenario rows (one per lever) too
    assert b.loc[b["theme"] == "scenario", "value_p05"].notna().all()
    fr = pd.read_csv(out / "bilan_excel_fr.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert {"value_p05", "value_p95"} <= set(fr.columns)
    from openpyxl import load_workbook

    wb = load_workbook(out / "bilan.xlsx")
    ws = wb["Stocks"] if "Stocks" in wb.sheetnames else wb[wb.sheetnames[1]]
    head = [c.value for c in ws[1]]
    lo_col = head.index("Intervalle à 90 % : borne basse")
    assert head[lo_col - 1] == "Valeur" and head[lo_col + 1] == "Intervalle à 90 % : borne haute"
    first = [c.value for c in ws[2]]
    assert isinstance(first[lo_col], float) and first[lo_col] <= first[lo_col - 1]
    readme = " ".join(str(c.value) for row in wb[wb.sheetnames[0]].iter_rows() for c in row)
    assert "Monte Carlo 2 000 tirages" in readme


def test_scenario_gap_interval(run):
    _, out = run
    d = pd.read_csv(out / "scenarios" / "ecarts.csv")
    tot = d[d["lever"] == "total"]
    lev = d[d["lever"] != "total"]
    assert tot[["cumulative_delta_tCO2e_p05", "cumulative_delta_tCO2e_p95"]].notna().all().all()
    assert lev["cumulative_delta_tCO2e_p05"].isna().all()  # the interval is the net gap's
    last = tot[tot["year"] == tot["year"].max()].iloc[0]
    assert last["cumulative_delta_tCO2e"] > 0  # planting: more sequestration
    assert last["cumulative_delta_tCO2e_p05"] < last["cumulative_delta_tCO2e"] \
        < last["cumulative_delta_tCO2e_p95"]


def test_report_synthesis_shows_the_intervals(run):
    r, out = run
    raw = (out / "rapport.html").read_text(encoding="utf-8")
    text = _plain(raw)
    assert "intervalle à 90 %" in text
    assert ("Intervalles à 90 % : erreurs des facteurs seulement (surfaces supposées exactes), "
            "partagées entre zones ; Monte Carlo 2 000 tirages, graine fixe.") in text
    lo, hi = r.intervals["stock_tC"]
    assert r.table.loc[r.table["theme"] == "stocks", "value"].sum() / 2 < 10_000  # shown in tC
    bounds = [fmt_quantity(v, "tC").removesuffix(NBSP + "tC").replace(NNBSP, " ")
              for v in (lo, hi)]
    assert f"[{bounds[0]} – {bounds[1]}] (intervalle à 90 %)" in text
    for bad in FORBIDDEN:
        assert bad not in raw


def test_map_tooltips_show_the_intervals_and_escape_names(run):
    r, out = run
    z = r.stocks.zones
    expected = fmt_interval_t(z["stock_tC_p05"].iloc[0], z["stock_tC_p95"].iloc[0], "tC")
    for page in ("index.html", "stocks/carte_stocks.html", "flux/carte_flux.html"):
        raw = (out / page).read_text(encoding="utf-8")
        text = _plain(raw)
        assert "Intervalle à 90 %" in text, page
        for bad in FORBIDDEN:  # hostile zone names still escaped
            assert bad not in raw, page
        assert "<img src=x" not in re.sub(r'\\(u[0-9a-fA-F]{4})',
                                          lambda m: chr(int(m.group(1)[1:], 16)), raw)
        assert IMG in text and SCRIPT in text, page  # shown as text
    stocks_page = _plain((out / "stocks" / "carte_stocks.html").read_text(encoding="utf-8"))
    assert expected.replace(NBSP, " ").replace(NNBSP, " ") in stocks_page
    # the map's synthesis box: the stock with its interval
    index = _plain((out / "index.html").read_text(encoding="utf-8"))
    lo, hi = r.intervals["stock_tC"]
    assert _plain(f"[{fmt_interval_t(lo, hi, 'tC')}] (intervalle à 90\u00a0%)") in index


def test_fmt_interval_by_hand():
    # both bounds in one unit; kt from 10 000 t on (the larger bound decides)
    assert fmt_interval_t(1234, 1567) == f"1{NNBSP}234 – 1{NNBSP}567{NBSP}tC"
    assert fmt_interval_t(9_000, 12_500) == f"9,00 – 12,5{NBSP}ktC"  # 9 000 t = 9,00 kt
    assert fmt_interval_t(-228.2, 45.4, "tCO₂e/an", signed=True) == \
        f"\u2212228 – +45,4{NBSP}tCO₂e/an"
    assert fmt_interval_t(float("nan"), 3.0) == "–"


def test_bilan_zones_interval_of_an_epci_is_the_aggregate_interval():
    """Stock zones = communes, bilan zones = their EPCI: the EPCI's interval is that of the
    communes' summed stock with the same draws, not the sum of the communes' bounds."""
    from espass_geo.reference import data
    from espass_geo.runs.bilan import _bilan_zones
    from espass_geo.runs.stocks import add_interval_columns

    com = data.communes_2018()
    epci = "245900428"  # CU de Dunkerque
    ids = com.loc[com["epci"] == epci, "insee"].astype(str).tolist()[:2]
    long = pd.DataFrame({
        "zone_id": [ids[0], ids[0], ids[1]], "zone_name": ["a", "a", "b"],
        "land_use": ["cropland", "grassland", "cropland"], "pool": ["soil", "soil", "soil"],
        "stock_tC": [1000.0, 500.0, 2000.0], "method": "aldo"})

    class St:
        stocks = long
        zones = gpd.GeoDataFrame({"zone_id": ids, "zone_name": ["a", "b"],
                                  "stock_tC": [1500.0, 2000.0], "area_ha": [20.0, 25.0]},
                                 geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:2154")

    add_interval_columns(St.zones, stock_interval(long), "stock_tC")

    class Terr:
        zones = gpd.GeoDataFrame({"zone_id": [epci], "zone_name": ["CU"]},
                                 geometry=[box(0, 0, 2, 1)], crs="EPSG:2154")

    z = _bilan_zones(St, None, None, Terr)
    assert z["stock_tC"].iloc[0] == 3500.0  # 1 000 + 500 + 2 000
    want = stock_interval(long.assign(zone_id=epci)).set_index("zone_id").loc[epci]
    assert z["stock_tC_p05"].iloc[0] == pytest.approx(want["stock_tC_p05"])
    assert z["stock_tC_p95"].iloc[0] == pytest.approx(want["stock_tC_p95"])
    assert np.isfinite(z[["stock_tC_p05", "stock_tC_p95"]].to_numpy()).all()


def test_add_interval_columns_by_hand():
    from espass_geo.runs.stocks import add_interval_columns

    zones = pd.DataFrame({"zone_id": ["a", "b", "c"], "stock_tC": [10.0, 20.0, 0.0],
                          "other": [1, 2, 3]})
    iv = pd.DataFrame({"zone_id": ["a", "b", TOTAL], "stock_tC": [10.0, 20.0, 30.0],
                       "stock_tC_p05": [8.0, 15.0, 23.0], "stock_tC_p95": [12.0, 25.0, 37.0]})
    total = add_interval_columns(zones, iv, "stock_tC")
    assert list(zones.columns) == ["zone_id", "stock_tC", "stock_tC_p05", "stock_tC_p95", "other"]
    assert zones["stock_tC_p05"].tolist()[:2] == [8.0, 15.0] and np.isnan(zones["stock_tC_p05"][2])
    assert total == (23.0, 37.0)

