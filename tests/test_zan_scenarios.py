"""ZAN scenarios (issue #12 item 4): consumption paths, urbanisation zones taken from the
envelope, renaturation, hectares beside the carbon — by hand on a tiny raster territory.

Territory: two box communes 59001 (west, x 700000–700200) and 59002 (east), 8 ha each, on
4×4 rasters of 1-ha pixels (conftest: X0, Y0, write_raster)::

    2016 (avant)          2018 (après, start state)
    211 211 231 231       211 211 231 231
    211 211 311 311       211 211 311 311
    211 211 311 311       112 112 311 311
    901 112 311 311       901 112 311 311

The trend 2016–2018: 2 ha of cropland (211) became urban fabric (112) in 59001, i.e. 1 ha/an
of sealing (non-artificial → artificial), nothing else changed.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import X0, Y0, write_raster
from shapely.geometry import box

import espass_geo as eg
from espass_geo.core.scenarios import (
    allocate_envelope,
    zan_hectares,
    zan_law_path,
    zan_variant_path,
)
from espass_geo.errors import ScenarioError
from espass_geo.io.scenario_config import load_scenario_config
from espass_geo.reference import data

AFTER = np.array([[211, 211, 231, 231], [211, 211, 311, 311], [112, 112, 311, 311],
                  [901, 112, 311, 311]], dtype="uint16")
BEFORE = np.array([[211, 211, 231, 231], [211, 211, 311, 311], [211, 211, 311, 311],
                   [901, 112, 311, 311]], dtype="uint16")
YEARS = range(2025, 2051)


def _polygon(path, x0, y0, x1, y1):
    gpd.GeoDataFrame({"nom": ["test"]}, geometry=[box(x0, y0, x1, y1)],
                     crs=2154).to_file(path, engine="pyogrio")


def write_territory(tmp, scenarios: str) -> object:
    write_raster(tmp / "apres.tif", AFTER)
    write_raster(tmp / "avant.tif", BEFORE)
    gpd.GeoDataFrame({"zone_id": ["59001", "59002"], "zone_name": ["Ouest", "Est"]},
                     geometry=[box(X0, Y0 - 400, X0 + 200, Y0), box(X0 + 200, Y0 - 400,
                                                                     X0 + 400, Y0)],
                     crs=2154).to_file(tmp / "zones.geojson", engine="pyogrio")
    _polygon(tmp / "au.geojson", X0, Y0 - 100, X0 + 200, Y0)        # row 0, cols 0–1: 2 ha
    _polygon(tmp / "au4.geojson", X0, Y0 - 200, X0 + 200, Y0)       # rows 0–1: 4 ha
    _polygon(tmp / "friche.geojson", X0, Y0 - 400, X0 + 100, Y0 - 300)  # the 901 pixel: 1 ha
    _polygon(tmp / "champ.geojson", X0 + 200, Y0 - 100, X0 + 400, Y0)   # grassland 231
    path = tmp / "zan.toml"
    path.write_text(f"""
title = "ZAN test"
territory = "zones.geojson"
start_year = 2025
horizon = 2050
zpc = "2_1"

[landcover]
after = "apres.tif"
before = "avant.tif"
years = [2016, 2018]

[baseline]
trend = true
{scenarios}
""", encoding="utf-8")
    return path


SCENARIOS = """
[[scenario]]
name = "loi"
zan = "loi"

[[scenario]]
name = "tend"
zan = "tendanciel"

[[scenario]]
name = "au"
zan = "loi"

[[scenario.action]]
id = "au-2ha"
type = "seal"
geometry = "au.geojson"
year = 2028

[[scenario]]
name = "au-trop"
zan = "loi"

[[scenario.action]]
id = "au-4ha"
type = "seal"
geometry = "au4.geojson"
year = 2028

[[scenario]]
name = "ren"

[[scenario.action]]
id = "friche"
type = "renature"
to = "forest_broadleaf"
geometry = "friche.geojson"
year = 2030
"""


@pytest.fixture(scope="module")
def zan_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zan")
    return eg.scenarios(load_scenario_config(write_territory(tmp, SCENARIOS)))


def _hectares(result, scenario):
    h = result.zan_hectares
    return h[h["scenario"] == scenario].set_index("year")


def test_law_path_by_hand():
    p = zan_law_path(YEARS, 10.0)
    # 10 ha/an of reference: 5 in 2021–2030, 2.5 in 2031–2040, then 2.5 × (2050 − y)/10
    assert p.loc[2025:2030].tolist() == pytest.approx([5.0] * 6)
    assert p.loc[2031:2040].tolist() == pytest.approx([2.5] * 10)
    assert p[2041] == pytest.approx(2.25) and p[2049] == pytest.approx(0.25)
    assert p[2050] == 0.0
    v = zan_variant_path(range(2020, 2036), {2021: 12.0, 2031: 6.0})
    # linear: 12 − 0.6 × 5 = 9 ha in 2026; constant before 2021 and after 2031
    assert v[2026] == pytest.approx(9.0) and v[2020] == 12.0 and v[2035] == 6.0


def test_envelope_by_hand():
    path = pd.Series(5.0, index=range(2025, 2031))  # 6 × 5 = 30 ha in the decade
    spread, periods = allocate_envelope(path, pd.Series({2028: 12.0}))
    # 30 − 12 = 18 ha left, spread like the path: 18/6 = 3 ha each year
    assert spread.tolist() == pytest.approx([3.0] * 6)
    assert periods["over_ha"].iloc[0] == 0 and periods["spread_ha"].iloc[0] == pytest.approx(18)
    spread, periods = allocate_envelope(path, pd.Series({2028: 40.0}))
    assert spread.sum() == 0 and periods["over_ha"].iloc[0] == pytest.approx(10.0)


def test_hectare_table_by_hand():
    t = pd.DataFrame({"scenario": ["s", "s", "s"], "year": [2025, 2025, 2026],
                      "from_land_use": ["cropland", "artificial_sealed", "cropland"],
                      "to_land_use": ["artificial_grassed", "forest_broadleaf",
                                      "grassland_herbaceous"],
                      "area_ha": [3.0, 1.0, 7.0]})
    h = zan_hectares(t, [2025, 2026]).set_index("year")
    # 2025: 3 ha artificialised, 1 renatured, net 2; 2026: a farm change counts for nothing
    assert h.loc[2025, ["artificialised_ha", "renatured_ha", "net_ha"]].tolist() == [3, 1, 2]
    assert h.loc[2026, "net_ha"] == 0 and h.loc[2026, "cumulative_net_ha"] == 2


def test_loi_halves_then_quarters_the_observed_sealing(zan_run):
    base = _hectares(zan_run, "baseline")
    loi = _hectares(zan_run, "loi")
    # observed: 2 ha sealed in 2016–2018 = 1 ha/an, every year of the baseline
    assert base["artificialised_ha"].tolist() == pytest.approx([1.0] * 26)
    # loi: 1/2 = 0.5 ha/an in 2025–2030, 1/4 = 0.25 in 2031–2040, 0.25 × 9/10 in 2041, 0 in 2050
    assert loi.loc[2025:2030, "artificialised_ha"].tolist() == pytest.approx([0.5] * 6)
    assert loi.loc[2031:2040, "artificialised_ha"].tolist() == pytest.approx([0.25] * 10)
    assert loi.loc[2041, "artificialised_ha"] == pytest.approx(0.225)
    assert loi.loc[2050, "artificialised_ha"] == 0.0
    # 6 × 0.5 + 10 × 0.25 + 0.025 × (9 + 8 + … + 1) = 3 + 2.5 + 1.125 = 6.625 ha
    assert loi.loc[2050, "cumulative_net_ha"] == pytest.approx(6.625)
    # carbon: in 2025 only that year's sealing is active, half the trend's hectares: half
    # its flow (lever "sealing" in both: the baseline's observed, the scenario's ZAN path)
    t = zan_run.territory.set_index(["scenario", "year", "lever"])["flux_tCO2e_an"]
    assert t[("loi", 2025, "sealing")] == pytest.approx(0.5 * t[("baseline", 2025, "sealing")])
    assert t[("baseline", 2025, "sealing")] < 0  # sealing emits
    assert ("baseline", 2025, "trend") not in t.index  # the trend had nothing but sealing
    d = zan_run.delta.set_index(["scenario", "year", "lever"])["delta_tCO2e_an"]
    assert d[("loi", 2025, "sealing")] > 0  # the hectares not consumed: carbon kept
    # the hectares and the net flow side by side
    assert loi.loc[2025, "flux_tCO2e_an"] == pytest.approx(t[("loi", 2025, "total")])


def test_tendanciel_equals_the_baseline(zan_run):
    t = zan_run.territory
    tot = t[t["lever"] == "total"].set_index(["scenario", "year"])["flux_tCO2e_an"]
    assert tot.loc["tend"].to_numpy() == pytest.approx(tot.loc["baseline"].to_numpy())
    d = zan_run.delta
    assert d[d["scenario"] == "tend"]["delta_tCO2e_an"].abs().max() < 1e-9  # lever by lever
    assert (_hectares(zan_run, "tend")["net_ha"].to_numpy()
            == pytest.approx(_hectares(zan_run, "baseline")["net_ha"].to_numpy()))


def test_au_zone_taken_from_the_decade_envelope(zan_run):
    au = _hectares(zan_run, "au")
    # envelope 2025–2030: 6 × 0.5 = 3 ha; the AU zone (2 ha of cropland in 2028) first;
    # 3 − 2 = 1 ha spread like the path: 1/6 ha each year, 2 + 1/6 in 2028
    assert au.loc[2028, "artificialised_ha"] == pytest.approx(2 + 1 / 6)
    for y in (2025, 2026, 2027, 2029, 2030):
        assert au.loc[y, "artificialised_ha"] == pytest.approx(1 / 6)
    assert au.loc[2025:2030, "artificialised_ha"].sum() == pytest.approx(3.0)
    assert au.loc[2031, "artificialised_ha"] == pytest.approx(0.25)  # next decade untouched
    env = zan_run.zan_envelopes
    e = env[(env["scenario"] == "au") & (env["period"] == "2021–2030")].iloc[0]
    assert (e["envelope_ha"], e["reserved_ha"], e["spread_ha"]) == pytest.approx((3, 2, 1))
    assert any("zan.toml:" in n and "« au »" in n and "tiennent dans celle de 2021–2030" in n
               for n in zan_run.notes)
    # too big: 4 ha > 3 ha of the decade: nothing spread, a warning with the excess (1 ha)
    trop = _hectares(zan_run, "au-trop")
    assert trop.loc[2028, "artificialised_ha"] == pytest.approx(4.0)
    assert trop.loc[2025, "artificialised_ha"] == 0.0
    assert any("« au-trop »" in n and "dépassement de 1,00\u00a0ha" in n for n in zan_run.notes)


def test_renaturation_of_one_sealed_hectare_by_hand(zan_run):
    ren = _hectares(zan_run, "ren")
    assert ren.loc[2030, "renatured_ha"] == pytest.approx(1.0)  # the 901 pixel
    assert ren.loc[2030, "net_ha"] == pytest.approx(1.0 - 1.0)  # the trend's 1 ha − 1 ha
    f = zan_run.flows
    f = f[(f["scenario"] == "ren") & (f["lever"] == "renature")]
    by = f.groupby(["pool", "year"])["flux_tC_an"].sum()
    soil = data.factor_table("aldo_soil_flux")
    rate = soil[(soil["zpc"] == "2_1") & (soil["from_class"] == "cultures")
                & (soil["to_class"] == "forets")]["value"].iloc[0]
    # ALDO (method.md §6.4): sealed soil as the "from" class is treated as cropland: the
    # cropland → forest rate of ZPC 2_1, 0.15 tC/ha/an, for 20 years (2030–2049)
    assert rate == pytest.approx(0.15)
    assert by[("soil", 2030)] == pytest.approx(0.15) and by[("soil", 2049)] == pytest.approx(0.15)
    assert by[("soil", 2050)] == 0 and by[("soil", 2029)] == 0
    # forest litter 9 tC/ha built up over 20 years: 9/20 = 0.45 tC/an
    assert by[("litter", 2030)] == pytest.approx(9 / 20) and by[("litter", 2050)] == 0
    # the new broadleaf forest grows from 2030 on (ALDO, region 32: 1.05 tC/ha/an)
    assert by[("live_biomass", 2050)] == pytest.approx(1.05)
    d = zan_run.delta.set_index(["scenario", "year", "lever"])["delta_tCO2e_an"]
    assert d[("ren", 2030, "total")] == pytest.approx((0.15 + 0.45 + 1.05) * 44 / 12)


def test_consumption_handed_over_by_hand(tmp_path):
    from espass_geo.runs.scenarios import build_scenarios

    cfg = load_scenario_config(write_territory(tmp_path, """
[[scenario]]
name = "loi"
zan = "loi"

[[scenario]]
name = "tend"
zan = "tendanciel"
"""))
    rows = []
    for y in range(2011, 2024):
        west, east = (1.2, 0.3) if y <= 2020 else (0.8, 0.2)
        rows += [("59001", "Ouest", y, "total", west), ("59002", "Est", y, "total", east),
                 ("59001", "Ouest", y, "habitat", west / 2), ("62001", "Ailleurs", y, "total", 99)]
    table = pd.DataFrame(rows, columns=["commune_id", "commune_name", "year", "destination",
                                        "area_ha"])
    r = build_scenarios(cfg, consumption=table)
    loi = _hectares(r, "loi")
    # reference 2011–2020: 10 × (1.2 + 0.3) = 15 ha (the commune 62001 is outside);
    # budget 2021–2030: 7.5 ha; consumed 2021–2023: 3 × 1.0 = 3 ha; 4.5 ha left for the
    # 7 years 2024–2030: 4.5/7 ha/an in 2025–2030
    assert loi.loc[2025:2030, "artificialised_ha"].tolist() == pytest.approx([4.5 / 7] * 6)
    # 2031–2040: 15/10/4 = 0.375 ha/an; 2045: 0.375 × 5/10
    assert loi.loc[2031, "artificialised_ha"] == pytest.approx(0.375)
    assert loi.loc[2045, "artificialised_ha"] == pytest.approx(0.1875)
    # tendanciel: the pace of the bilan's ZAN trend, the 2011–2020 mean: 15/10 = 1.5 ha/an
    assert _hectares(r, "tend")["artificialised_ha"].tolist() == pytest.approx([1.5] * 26)
    # spread over the communes by their 2011–2020 consumption: 12/15 and 3/15; 59002 never
    # sealed on the land cover: the territory's mix (cropland → urban fabric) there too
    f = r.flows[(r.flows["scenario"] == "loi") & (r.flows["lever"] == "sealing")
                & (r.flows["year"] == 2025)]
    z = f.groupby("zone_id")["flux_tCO2e_an"].sum()
    assert z["59002"] / z["59001"] == pytest.approx(3 / 12)
    assert any("2011–2020" in n and "15 ha" in n for n in r.notes)
    with pytest.raises(ScenarioError, match="aucune commune"):
        build_scenarios(cfg, consumption=table.assign(commune_id="75056"))


def test_validation_of_zan_and_renature(tmp_path):
    bad = """
[[scenario]]
name = "a"
zan = "zéro"

[[scenario]]
name = "b"
zan = {2031 = 6.0, 2021 = 12.0}

[[scenario]]
name = "c"
zan = {2021 = -3.0, 2005 = 1.0}

[[scenario]]
name = "d"
trend = false
zan = "loi"

[[scenario]]
name = "e"

[[scenario.action]]
type = "renature"
to = "artificial_sealed"
geometry = "friche.geojson"
year = 2030

[[scenario.action]]
type = "renature"
to = "112"
geometry = "friche.geojson"
year = 2031
"""
    with pytest.raises(ScenarioError) as e:
        load_scenario_config(write_territory(tmp_path, bad))
    msg = str(e.value)
    assert "trajectoire ZAN « zéro » inconnue" in msg or "zéro" in msg
    assert "ordre croissant" in msg                       # 2031 then 2021
    assert "-3" in msg and "positif ou nul" in msg        # negative hectares
    assert "2005" in msg and "entre 2011" in msg          # before the reference period
    assert "trend = false" in msg
    assert msg.count("classe artificielle") == 2          # land use and CLC code
    assert len(e.value.problems) == 7
    for p in e.value.problems:  # every problem with its line
        assert re.match(r"zan\.toml:\d+ : ", p), p


def test_renaturation_without_artificial_land_is_a_note(tmp_path):
    cfg = load_scenario_config(write_territory(tmp_path, """
[[scenario]]
name = "r"

[[scenario.action]]
id = "pré"
type = "renature"
to = "forest_broadleaf"
geometry = "champ.geojson"
year = 2030
"""))
    r = eg.scenarios(cfg)
    assert any("« pré »" in n and "aucun sol artificialisé" in n for n in r.notes)
    assert _hectares(r, "r")["renatured_ha"].sum() == 0


def test_outputs_and_map(tmp_path):
    from espass_geo.runs.scenarios import write_scenario_outputs

    cfg = load_scenario_config(write_territory(tmp_path, """
[[scenario]]
name = "zan"
label = "ZAN « loi » & friche"
zan = "loi"

[[scenario.action]]
id = "au-2ha"
label = "Zone AU <test>"
type = "seal"
geometry = "au.geojson"
year = 2028

[[scenario.action]]
id = "friche"
type = "renature"
to = "311"
geometry = "friche.geojson"
year = 2030
"""))
    r = eg.scenarios(cfg)
    out = tmp_path / "sortie"
    files = write_scenario_outputs(r, out)
    for name in ("zan_hectares.csv", "zan_enveloppes.csv", "zan_hectares_carbone.png",
                 "zan_hectares_carbone.svg", "carte_scenarios.html"):
        assert (out / name).exists() and name in files, name
    h = pd.read_csv(out / "zan_hectares.csv")
    assert list(h.columns[:6]) == ["scenario", "year", "artificialised_ha", "renatured_ha",
                                   "net_ha", "cumulative_net_ha"]
    svg = (out / "zan_hectares_carbone.svg").read_text(encoding="utf-8")
    assert "Artificialisation (ha/an)" in svg and "Flux de carbone (tCO₂e/an)" in svg
    html = (out / "carte_scenarios.html").read_text(encoding="utf-8")
    assert "Renaturation" in html  # the legend of the renaturation outline
    # the user's label escaped (HTML entities inside the map's JSON), never raw
    assert "Zone AU \\u0026lt;test\\u0026gt;" in html and "<test>" not in html
    readme = (out / "LISEZ-MOI_scenarios.txt").read_text(encoding="utf-8")
    assert "zan_hectares.csv" in readme


@pytest.mark.slow
def test_demo_zan_file_runs():
    path = data.data_path("landcover", "scenarios") / "flandre_dunkerque_zan.toml"
    r = eg.scenarios(load_scenario_config(path))
    h = r.zan_hectares.set_index(["scenario", "year"])
    # the observed pace goes on in the baseline; « loi » halves it in 2025–2030 but for the
    # AU zone of 2027 (taken from the same decade's envelope); 9 ha of harbour wasteland
    # (CLC 121, all artificial) renatured in 2030
    base = h.loc["baseline", "artificialised_ha"]
    loi = h.loc["zan-loi"]
    assert loi.loc[2025:2030, "artificialised_ha"].sum() == pytest.approx(
        base.loc[2025:2030].sum() / 2)
    assert loi.loc[2030, "renatured_ha"] - h.loc[("baseline", 2030), "renatured_ha"] \
        == pytest.approx(9.0, rel=1e-3)
    assert loi.loc[2050, "artificialised_ha"] == 0
    env = r.zan_envelopes
    assert (env["over_ha"] == 0).all()


@pytest.mark.slow
def test_demo_zan_file_with_the_demo_consumption(tmp_path):
    # the same scenarios with [zan] consumption = "demo" (the embedded Cerema-format file, an
    # estimate): « loi » starts from its 2011–2020 reference and the years observed since 2021
    src = data.data_path("landcover", "scenarios") / "flandre_dunkerque_zan.toml"
    text = src.read_text(encoding="utf-8").replace('"fd_', '"demo:fd_')
    text = text.replace("# [zan]\n# consumption = \"conso2009_2023.csv\"",
                        "[zan]\nconsumption = \"demo\"")
    path = tmp_path / "zan_conso.toml"
    path.write_text(text, encoding="utf-8")
    cfg = load_scenario_config(path)
    assert cfg.zan_consumption is not None
    r = eg.scenarios(cfg)
    assert any(n.startswith("ESTIMATION") for n in r.notes)  # the estimate said
    note = next(n for n in r.notes if "« zan-loi » : trajectoire ZAN" in n)
    ref = float(re.search(r"2011–2020 \(([\d\s\u202f\u00a0]+) ha", note).group(1)
                .replace("\u202f", "").replace("\u00a0", "").replace(" ", ""))
    h = r.zan_hectares.set_index(["scenario", "year"])
    # tendanciel: the 2011–2020 mean pace, reference / 10 (rounded in the note)
    assert h.loc[("zan-tendanciel", 2040), "artificialised_ha"] == pytest.approx(ref / 10,
                                                                                  abs=0.06)
    # loi, 2031–2040: a quarter of the reference pace, but for the AU zone of 2034 taken
    # from that decade's envelope
    env = r.zan_envelopes.set_index(["scenario", "period"])
    assert env.loc[("zan-loi", "2031–2040"), "envelope_ha"] == pytest.approx(
        10 * h.loc[("zan-tendanciel", 2040), "artificialised_ha"] / 4)


def test_consumption_file_without_trend_and_guarantee(tmp_path):
    # no land-cover trend: the [zan] consumption file alone sets the pace; 59002 consumed
    # 0.1 ha/an: reference 1 ha, budget 0.5 ha, raised to 1 ha by the communal guarantee
    rows = []
    for y in range(2011, 2024):
        rows += [("59001", "Ouest", y, "total", 1.2 if y <= 2020 else 0.8),
                 ("59002", "Est", y, "total", 0.1)]
    pd.DataFrame(rows, columns=["commune_id", "commune_name", "year", "destination",
                                "area_ha"]).to_csv(tmp_path / "conso.csv", index=False)
    path = write_territory(tmp_path, '[[scenario]]\nname = "loi"\nzan = "loi"\n')
    text = path.read_text(encoding="utf-8")
    text = text.replace('before = "avant.tif"\nyears = [2016, 2018]\n', "")
    text = text.replace("[baseline]\ntrend = true\n",
                        '[zan]\nconsumption = "conso.csv"\nguarantee = true\n')
    path.write_text(text, encoding="utf-8")
    cfg = load_scenario_config(path)
    assert cfg.zan_guarantee and not cfg.baseline_trend
    r = eg.scenarios(cfg)
    loi = _hectares(r, "loi")
    # reference 12 + 1 = 13 ha; budget 6 + max(0.5, 1) = 7 ha; consumed 2021–2023:
    # 3 × (0.8 + 0.1) = 2.7 ha; 4.3 ha left for 2024–2030: 4.3/7 ha/an
    assert loi.loc[2025, "artificialised_ha"] == pytest.approx(4.3 / 7)
    # 2031–2040: a quarter of the reference pace, 13/10/4
    assert loi.loc[2031, "artificialised_ha"] == pytest.approx(0.325)
    assert _hectares(r, "baseline")["artificialised_ha"].sum() == 0  # no trend given
    from espass_geo.runs.scenarios import build_scenarios

    r = build_scenarios(cfg, zan_guarantee=False)  # 6.5 − 2.7 = 3.8 ha left
    assert _hectares(r, "loi").loc[2025, "artificialised_ha"] == pytest.approx(3.8 / 7)
    # without a trend, spread over each commune's non-artificial land (its 2011–2020 share),
    # 80 % sealed, 20 % grassed: nothing comes from artificial land
    f = r.flows[(r.flows["scenario"] == "loi") & (r.flows["lever"] == "sealing")]
    assert set(f["zone_id"]) == {"59001", "59002"}
