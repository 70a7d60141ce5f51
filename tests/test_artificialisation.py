"""Net artificialisation from two OCS GE dates (issue #12 item 2): a hand count on a small layer.

Two zones A = [0, 200] × [0, 100] and B = [200, 400] × [0, 100] (2 ha each, Lambert-93 metres).
OCS GE 2018 and 2021 are built by hand (boxes with CODE_CS / CODE_US):

* a field F = [175, 225] × [0, 40] (CS2.2.1 × US1.1, not artificialised) becomes buildings
  (CS1.1.1.1 × US235, artificialised): 50 m × 40 m = 2 000 m² = 0.2 ha artificialised, split
  by the zone boundary x = 200 into 25 × 40 = 0.1 ha in A and 0.1 ha in B;
* a car park P = [300, 325] × [60, 100] in B (CS1.1.1.2 × US4.1.1, artificialised) becomes a
  forest (CS2.1.1.1 × US1.2, not artificialised): 25 × 40 = 1 000 m² = 0.1 ha renatured;
* a town T = [0, 100] × [60, 100] in A (CS1.1.1.1 × US5) stays: 0.4 ha artificialised at both
  dates;
* the rest is cropland (CS2.2.1 × US1.1) at both dates.

Expected (ha): A artificialised 0.1, renatured 0, net 0.1, artificial 0.4 → 0.5;
B artificialised 0.1, renatured 0.1, net 0, artificial 0.1 → 0.1. Territory: 0.2 − 0.1 = 0.1 ha
net over 2018 → 2021 (3 years): 0.1 / 3 ≈ 0.0333 ha/yr.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from espass_geo.core.artificialisation import (
    NET_COLUMNS,
    TRANSITION_COLUMNS,
    artificialisation_transitions,
    net_artificialisation,
    net_artificialisation_from_difference,
    net_trajectory,
)
from espass_geo.errors import AreaTableError, InputFileError, UnknownLandCoverClassError
from espass_geo.io.ocsge import artificialised_flags, read_ocsge, read_ocsge_difference

L93 = "EPSG:2154"
F, P, T = box(175, 0, 225, 40), box(300, 60, 325, 100), box(0, 60, 100, 100)
REST = box(0, 0, 400, 100).difference(F.union(P).union(T))


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone_id": ["A", "B"]},
                            geometry=[box(0, 0, 200, 100), box(200, 0, 400, 100)], crs=L93)


def _write(path, rows, crs=L93):
    gdf = gpd.GeoDataFrame([{k: v for k, v in r.items() if k != "geometry"} for r in rows],
                           geometry=[r["geometry"] for r in rows], crs=crs)
    gdf.to_file(path, driver="GPKG")
    return path


def _layers(tmp_path):
    crop = {"CODE_CS": "CS2.2.1", "CODE_US": "US1.1"}
    town = {"CODE_CS": "CS1.1.1.1", "CODE_US": "US5"}
    b = _write(tmp_path / "ocsge_2018.gpkg", [
        {**crop, "geometry": REST}, {**town, "geometry": T},
        {**crop, "geometry": F},
        {"CODE_CS": "CS1.1.1.2", "CODE_US": "US4.1.1", "geometry": P}])
    # 2021: the new buildings drawn as two polygons (not identical to F: the overlay path)
    built = {"CODE_CS": "CS1.1.1.1", "CODE_US": "US235"}
    a = _write(tmp_path / "ocsge_2021.gpkg", [
        {**crop, "geometry": REST}, {**town, "geometry": T},
        {**built, "geometry": box(175, 0, 190, 40)}, {**built, "geometry": box(190, 0, 225, 40)},
        {"CODE_CS": "CS2.1.1.1", "CODE_US": "US1.2", "geometry": P}])
    return read_ocsge(b), read_ocsge(a)


def test_read_ocsge_flags_and_crosswalk_codes(tmp_path):
    before, after = _layers(tmp_path)
    assert list(before.columns) == ["code_cs", "code_us", "artificialised", "code", "geometry"]
    assert before.crs.to_epsg() == 2154
    got = {(r.code_cs, r.code_us): (bool(r.artificialised), r.code)
           for r in before.itertuples()}
    # décret: cropland not artificialised; built and non-built impermeable always are.
    # crosswalk_ocsge: CS2.2.1 × US1.1 → 211 (arable), CS1.1.1.x → 901 (sealed)
    assert got == {("CS2.2.1", "US1.1"): (False, "211"), ("CS1.1.1.1", "US5"): (True, "901"),
                   ("CS1.1.1.2", "US4.1.1"): (True, "901")}
    forest = after[after["code_cs"] == "CS2.1.1.1"].iloc[0]
    assert not forest["artificialised"] and forest["code"] == "311"
    assert any("ocsge_artificialisation.csv" in n for n in before.attrs["notes"])


def test_hand_count_two_zones(tmp_path):
    before, after = _layers(tmp_path)
    net = net_artificialisation(_zones(), before, after, years=(2018, 2021))
    assert list(net.columns) == NET_COLUMNS
    n = net.set_index("zone_id")
    # A: half of F (25 m × 40 m = 0.1 ha) built; the town 0.4 ha before, 0.5 ha after
    assert n.loc["A", "artificialised_ha"] == pytest.approx(0.1)
    assert n.loc["A", "renatured_ha"] == pytest.approx(0.0, abs=1e-12)
    assert n.loc["A", "net_ha"] == pytest.approx(0.1)
    assert n.loc["A", "artificial_before_ha"] == pytest.approx(0.4)
    assert n.loc["A", "artificial_after_ha"] == pytest.approx(0.5)
    # B: the other half of F built (0.1 ha), the car park P (0.1 ha) renatured: net 0
    assert n.loc["B", "artificialised_ha"] == pytest.approx(0.1)
    assert n.loc["B", "renatured_ha"] == pytest.approx(0.1)
    assert n.loc["B", "net_ha"] == pytest.approx(0.0, abs=1e-12)
    assert n.loc["B", "artificial_before_ha"] == pytest.approx(0.1)
    assert n.loc["B", "artificial_after_ha"] == pytest.approx(0.1)
    # territory: 0.2 ha artificialised, 0.1 ha renatured, 0.1 ha net over 3 years
    assert net["artificialised_ha"].sum() == pytest.approx(0.2)
    assert net["renatured_ha"].sum() == pytest.approx(0.1)
    assert net["net_ha"].sum() == pytest.approx(0.1)
    assert n.loc["A", "artificialised_ha_an"] == pytest.approx(0.1 / 3)
    assert n.loc["B", "renatured_ha_an"] == pytest.approx(0.1 / 3)
    assert net["net_ha_an"].sum() == pytest.approx(0.1 / 3)
    # closure: stock after − stock before = net, per zone
    np.testing.assert_allclose(net["artificial_after_ha"] - net["artificial_before_ha"],
                               net["net_ha"], atol=1e-9)


def test_transitions_say_what_each_hectare_was(tmp_path):
    before, after = _layers(tmp_path)
    tr = artificialisation_transitions(_zones(), before, after, years=(2018, 2021))
    assert list(tr.columns) == TRANSITION_COLUMNS
    # every hectare of the two zones is covered at both dates: 2 ha each
    assert tr.groupby("zone_id")["area_ha"].sum().to_dict() == pytest.approx({"A": 2.0,
                                                                              "B": 2.0})
    changed = tr[tr["from_artificialised"] != tr["to_artificialised"]]
    got = {(r.zone_id, r.from_code, r.to_code, r.from_artificialised): round(r.area_ha, 9)
           for r in changed.itertuples()}
    # arable 211 → sealed 901 in both zones (0.1 ha each); sealed 901 → forest 311 in B (0.1 ha)
    assert got == {("A", "211", "901", False): 0.1, ("B", "211", "901", False): 0.1,
                   ("B", "901", "311", True): 0.1}


def test_decret_flags_of_a_few_pairs():
    pairs = [("CS2.2.1", "US235"), ("CS2.2.1", "US1.1"), ("CS1.1.2.1", "US1.3"),
             ("CS1.1.2.1", "US1.1"), ("CS2.1.1.1", "US235"), ("CS1.1.1.1", "US6.3"),
             ("CS2.2.2", "US4.1.1"), ("CS2.2.1", "US6.3"), ("cs2.2.1 ", "us2")]
    got = artificialised_flags([p[0] for p in pairs], [p[1] for p in pairs], source="test")
    # herbaceous under residential/economic use: yes; under agriculture: no; mineral
    # surfaces: yes except extraction (US1.3); woody: never; built: always; herbaceous road
    # verges (US4.1.1): yes; herbaceous without use (US6.3): no; US2 (added rows): like US235
    assert got.tolist() == [True, False, False, True, False, True, True, False, True]


def test_unknown_pairs_refused_listing_them(tmp_path):
    path = _write(tmp_path / "bad.gpkg", [
        {"CODE_CS": "CS2.2.1", "CODE_US": "US1.1", "geometry": box(0, 0, 10, 10)},
        {"CODE_CS": "CS9.9", "CODE_US": "US1.1", "geometry": box(10, 0, 20, 10)},
        {"CODE_CS": "CS2.2.1", "CODE_US": "US8", "geometry": box(20, 0, 30, 10)}])
    with pytest.raises(UnknownLandCoverClassError) as exc:
        read_ocsge(path)
    msg = str(exc.value)
    assert "CS9.9" in msg and "US8" in msg and "bad.gpkg" in msg
    with pytest.raises(UnknownLandCoverClassError, match=r"CS9\.9 × US1\.1 \(1 polygone\)"):
        artificialised_flags(["CS9.9", "CS2.2.1"], ["US1.1", "US1.1"], source="couche test")


def test_layer_without_cover_use_fields_refused(tmp_path):
    path = _write(tmp_path / "clc.gpkg", [{"CODE_18": "211", "geometry": box(0, 0, 10, 10)}])
    with pytest.raises(InputFileError, match="clc.gpkg"):
        read_ocsge(path)


def test_code_field_and_reprojection(tmp_path):
    zones = _zones()
    wgs = gpd.GeoDataFrame({"cs": ["CS2.2.1"], "us": ["US3"]},
                           geometry=[box(0, 0, 400, 100)], crs=L93).to_crs(4326)
    wgs.to_file(tmp_path / "wgs.gpkg", driver="GPKG")
    lc = read_ocsge(tmp_path / "wgs.gpkg", code_field="cs,us", bbox=zones.total_bounds)
    assert lc.crs.to_epsg() == 2154 and bool(lc["artificialised"].iloc[0])
    assert lc["code"].iloc[0] == "902"  # herbaceous under tertiary use: grassed artificial
    assert any("reprojetée" in n for n in lc.attrs["notes"])


def test_difference_layer(tmp_path):
    # the changed polygons only, fields CS_2018 … US_2021 (IGN's « différence » layer)
    path = _write(tmp_path / "DIFFERENCE_2018_2021.gpkg", [
        {"CS_2018": "CS2.2.1", "US_2018": "US1.1", "CS_2021": "CS1.1.1.1", "US_2021": "US235",
         "geometry": F},
        {"CS_2018": "CS1.1.1.2", "US_2018": "US4.1.1", "CS_2021": "CS2.1.1.1",
         "US_2021": "US1.2", "geometry": P}])
    diff = read_ocsge_difference(path)
    assert diff.attrs["years"] == (2018, 2021)
    assert diff["artificialised_before"].tolist() == [False, True]
    assert diff["code_after"].tolist() == ["901", "311"]
    net = net_artificialisation_from_difference(_zones(), diff).set_index("zone_id")
    # the same flows as the two full layers (0.1 + 0.1 artificialised, 0.1 renatured in B)
    assert net.loc["A", "artificialised_ha"] == pytest.approx(0.1)
    assert net.loc["B", "artificialised_ha"] == pytest.approx(0.1)
    assert net.loc["B", "renatured_ha"] == pytest.approx(0.1)
    assert net["net_ha"].sum() == pytest.approx(0.1)
    assert net["net_ha_an"].sum() == pytest.approx(0.1 / 3)
    assert net["artificial_before_ha"].isna().all()  # a difference layer has no stock
    # a difference layer given to read_ocsge is refused with the remedy
    with pytest.raises(InputFileError, match="read_ocsge_difference"):
        read_ocsge(path)


def test_trajectory_linear_to_zero_in_2050():
    net = pd.DataFrame({"zone_id": ["A", "B"], "net_ha_an": [3.0, 0.8]})
    traj = net_trajectory(net)  # observed pace 3.8 ha/yr
    assert traj["year"].tolist() == list(range(2031, 2051))
    np.testing.assert_allclose(traj["net_ha_an_observed"], 3.8)
    t = traj.set_index("year")["target_net_ha_an"]
    # linear: 3.8 in 2031, 0 in 2050, 3.8 × (2050 − 2040) / 19 = 2.0 in 2040
    assert t[2031] == pytest.approx(3.8) and t[2050] == 0.0
    assert t[2040] == pytest.approx(2.0)
    np.testing.assert_allclose(np.diff(t.to_numpy()), -3.8 / 19)


def test_closure_on_random_layers(tmp_path):
    """Random layers on a 4 × 2 grid of 100 m cells, each cell split in two at random: the
    artificial stock changes by the net flow in every zone, and the transitions cover every
    zone exactly (2 ha each)."""
    rng = np.random.default_rng(12)
    pairs = [("CS2.2.1", "US1.1"), ("CS1.1.1.1", "US235"), ("CS2.2.1", "US5"),
             ("CS2.1.1.1", "US1.2"), ("CS1.1.2.1", "US1.3"), ("CS1.1.1.2", "US4.1.1")]

    def layer(name):
        rows = []
        for i in range(4):
            for j in range(2):
                cut = float(rng.uniform(10, 90))
                for geom in (box(i * 100, j * 50, i * 100 + cut, j * 50 + 50),
                             box(i * 100 + cut, j * 50, i * 100 + 100, j * 50 + 50)):
                    cs, us = pairs[rng.integers(len(pairs))]
                    rows.append({"CODE_CS": cs, "CODE_US": us, "geometry": geom})
        return read_ocsge(_write(tmp_path / name, rows))

    zones = gpd.GeoDataFrame({"zone_id": ["A", "B"]},
                             geometry=[box(0, 0, 170, 100), box(170, 0, 400, 100)], crs=L93)
    for k in range(3):
        b, a = layer(f"b{k}.gpkg"), layer(f"a{k}.gpkg")
        net = net_artificialisation(zones, b, a, years=(2018, 2024))
        np.testing.assert_allclose(net["artificial_after_ha"] - net["artificial_before_ha"],
                                   net["net_ha"], atol=1e-9)
        # stocks recomputed directly from each layer (clipped to the zones) match
        for lc, col in ((b, "artificial_before_ha"), (a, "artificial_after_ha")):
            art = lc[lc["artificialised"]]
            direct = [float(art.geometry.intersection(z).area.sum()) / 1e4
                      for z in zones.geometry]
            np.testing.assert_allclose(net[col], direct, atol=1e-9)
        tr = artificialisation_transitions(zones, b, a, years=(2018, 2024))
        np.testing.assert_allclose(tr.groupby("zone_id")["area_ha"].sum().to_numpy(),
                                   [1.7, 2.3], atol=1e-9)


def test_polygons_without_codes_dropped_and_noted(tmp_path):
    path = _write(tmp_path / "holes.gpkg", [
        {"CODE_CS": "CS2.2.1", "CODE_US": "US1.1", "geometry": box(0, 0, 100, 100)},
        {"CODE_CS": "CS1.1.1.1", "CODE_US": None, "geometry": box(100, 0, 150, 100)}])
    lc = read_ocsge(path)
    assert len(lc) == 1 and lc["code_cs"].tolist() == ["CS2.2.1"]
    # the dropped polygon: 50 m × 100 m = 0.5 ha, named in a note
    assert any("1 polygone(s) sans code" in n and "0,5" in n for n in lc.attrs["notes"])


def test_trajectory_edge_cases():
    # net renaturation already observed (−1 ha/yr): the ceiling is 0 every year
    traj = net_trajectory(pd.DataFrame({"net_ha_an": [-1.0]}), start=2031, horizon=2035)
    assert traj["target_net_ha_an"].tolist() == [0.0] * 5
    assert traj["net_ha_an_observed"].tolist() == [-1.0] * 5
    with pytest.raises(AreaTableError, match="horizon"):
        net_trajectory(pd.DataFrame({"net_ha_an": [1.0]}), start=2050, horizon=2031)
