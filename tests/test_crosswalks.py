"""Nomenclatures as data (issue #11 item 2): EEA GRID_CODE and OSO crosswalks, user crosswalks.

The hand raster of conftest.py (CLC codes 211, 231, 311, 112; 0 = no data) recoded to another
product's codes must give the same numbers once the crosswalk is applied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TINY, write_raster

from espass_geo.cli import main
from espass_geo.errors import PartialCoverageWarning, UnknownLandCoverClassError
from espass_geo.reference.crosswalks import (
    crosswalk,
    read_user_crosswalk,
    recode_area_table,
    recode_change_table,
)
from espass_geo.reference.factor_set import FactorSet


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _inverse(product: str) -> dict[int, int]:
    inv: dict[int, int] = {}
    for code, clc in crosswalk(product).items():
        inv.setdefault(clc, code)
    return inv


def _eea_raster(path):
    inv = _inverse("eea")
    assert (inv[211], inv[231], inv[311], inv[112]) == (12, 18, 23, 2)  # EEA legend order
    lut = {**inv, 0: 0}
    return write_raster(path, np.vectorize(lut.get)(TINY).astype("uint16"))


def test_eea_table_is_the_clc_order():
    cw = crosswalk("eea")
    assert len(cw) == 44 and cw[1] == 111 and cw[2] == 112 and cw[3] == 121 and cw[44] == 523
    assert list(cw.values()) == sorted(cw.values())
    assert 48 not in cw  # no data


def test_factor_set_default_loads_the_crosswalks():
    fs = FactorSet.default()
    assert len(fs.table("crosswalk_eea_clc")) == 45  # 44 classes + no data
    assert len(fs.table("crosswalk_oso_clc")) == 24  # 23 classes + no data


def test_eea_raster_gives_the_clc_stocks(tmp_path, tiny_raster, zones_file):
    eea = _eea_raster(tmp_path / "clc_eea.tif")
    outs = {}
    for name, raster, extra in (("clc", tiny_raster, []),
                                ("eea", eea, ["--nomenclature", "eea"])):
        out = tmp_path / name
        r = run("stocks", "--territory", zones_file, "--landcover", raster, "--zpc", "2_1",
                "--out", out, "--no-map", *extra)
        assert r.exit_code == 0, r.output
        outs[name] = pd.read_csv(out / "stocks.csv", dtype={"zone_id": str})
    pd.testing.assert_frame_equal(outs["clc"], outs["eea"])
    assert outs["eea"]["stock_tC"].sum() == pytest.approx(356.8 + 839.6)
    text = (tmp_path / "eea" / "LISEZ-MOI_stocks.txt").read_text(encoding="utf-8")
    assert "recodée" in text and "AEE" in text


def test_eea_looking_raster_without_option_suggests_eea(tmp_path, zones_file):
    eea = _eea_raster(tmp_path / "clc_eea.tif")
    r = run("stocks", "--territory", zones_file, "--landcover", eea, "--zpc", "2_1",
            "--out", tmp_path / "o", "--no-map")
    assert r.exit_code != 0
    assert "--nomenclature eea" in r.output and "2, 12, 18, 23" in r.output


def _areas(rows):
    return pd.DataFrame(rows, columns=["zone_id", "code", "area_ha", "area_source"])


def test_oso_classes_map_to_clc_codes():
    # OSO: 6 céréales à paille -> 211, 13 prairies -> 231, 16 feuillus -> 311, 2 bâti diffus -> 112
    t = _areas([("A", "6", 4.0, "landcover"), ("A", "2", 4.0, "landcover"),
                ("B", "13", 2.0, "landcover"), ("B", "16", 4.0, "landcover"),
                ("B", "0", 2.0, "landcover")])
    out, notes = recode_area_table(t, "oso")
    got = {(z, c): a for z, c, a in zip(out["zone_id"], out["code"], out["area_ha"], strict=True)}
    assert got == {("A", "211"): 4.0, ("A", "112"): 4.0, ("B", "231"): 2.0, ("B", "311"): 4.0}
    assert any("sans donnée" in n for n in notes)  # OSO no-data (0) dropped, with a note


def test_areas_summed_per_zone_and_clc_code():
    t = _areas([("A", "5", 1.0, "landcover"), ("A", "6", 2.5, "landcover")])  # colza, céréales
    out, _ = recode_area_table(t, "oso")
    assert out[["zone_id", "code", "area_ha"]].values.tolist() == [["A", "211", 3.5]]


def test_unknown_codes_listed():
    with pytest.raises(UnknownLandCoverClassError, match="99") as e:
        recode_area_table(_areas([("A", "99", 1.0, "landcover")]), "oso")
    assert e.value.codes == ["99"]


def test_user_crosswalk(tmp_path):
    csv = tmp_path / "ma_nomenclature.csv"
    csv.write_text("code,code_clc\n1,211\n2,311\n9,\n", encoding="utf-8")
    cw = read_user_crosswalk(csv)
    assert cw.mapping == {1: 211, 2: 311} and cw.nodata == {9}
    out, _ = recode_area_table(_areas([("A", "1", 3.0, "x"), ("A", "2", 1.0, "x"),
                                       ("A", "9", 5.0, "x")]), csv)
    assert dict(zip(out["code"], out["area_ha"], strict=True)) == {"211": 3.0, "311": 1.0}


def test_user_crosswalk_duplicate_and_bad_target_refused(tmp_path):
    csv = tmp_path / "doublon.csv"
    csv.write_text("code,code_clc\n1,211\n1,231\n2,999\n", encoding="utf-8")
    with pytest.raises(UnknownLandCoverClassError) as e:
        read_user_crosswalk(csv)
    assert "ligne 3 : code 1 en double (déjà ligne 2)" in str(e.value)
    assert "ligne 4 : code_clc '999'" in str(e.value)


def test_change_table_from_and_to_codes_recoded():
    t = pd.DataFrame({"zone_id": ["A", "A"], "from_code": ["12", "18"], "to_code": ["2", "2"],
                      "area_ha": [1.0, 2.0]})
    out, _ = recode_change_table(t, "eea")  # 211 -> 112 and 231 -> 112
    assert out.values.tolist() == [["A", "211", "112", 1.0], ["A", "231", "112", 2.0]]


def test_flows_recode_the_change_table(tmp_path, tiny_raster, zones_file):
    eea = _eea_raster(tmp_path / "clc_eea.tif")
    outs = {}
    for name, raster, extra in (("clc", tiny_raster, []),
                                ("eea", eea, ["--nomenclature", "eea"])):
        out = tmp_path / name
        r = run("flows", "--territory", zones_file, "--landcover-before", raster,
                "--landcover-after", raster, "--zpc", "2_1", "--out", out, "--no-map", *extra)
        assert r.exit_code == 0, r.output
        outs[name] = pd.read_csv(out / "flows_zones.csv", dtype={"zone_id": str})
    pd.testing.assert_frame_equal(outs["clc"], outs["eea"])


def test_flows_change_grid_and_hotspots_speak_clc(tmp_path, tiny_raster, two_zones):
    """EEA-coded dates: change.tif classes and sealing hotspots are those of the CLC rasters.

    After = before with the two 211 pixels of row 2, zone A (1 ha each), turned to 112: 2 ha
    artificialised, one 1 km hotspot cell of 2 ha, whatever the nomenclature of the files.
    """
    import espass_geo as eg

    after = TINY.copy()
    after[1, 0:2] = 112
    clc_after = write_raster(tmp_path / "clc_after.tif", after)
    inv = {**_inverse("eea"), 0: 0}
    eea_before = _eea_raster(tmp_path / "eea_before.tif")
    eea_after = write_raster(tmp_path / "eea_after.tif",
                             np.vectorize(inv.get)(after).astype("uint16"))
    with pytest.warns(PartialCoverageWarning):  # zone B: 2 no-data pixels of 8 (25 %)
        r_clc = eg.flows(two_zones, landcover_before=tiny_raster, landcover_after=clc_after,
                         years=(2012, 2018), zpc="2_1")
    with pytest.warns(PartialCoverageWarning):
        r_eea = eg.flows(two_zones, landcover_before=eea_before, landcover_after=eea_after,
                         years=(2012, 2018), nomenclature="eea", zpc="2_1")
    np.testing.assert_array_equal(r_eea.change_grid.before, r_clc.change_grid.before)
    np.testing.assert_array_equal(r_eea.change_grid.after, r_clc.change_grid.after)
    assert r_clc.hotspots["sealed_ha"].sum() == pytest.approx(2.0)
    assert r_eea.hotspots["sealed_ha"].sum() == pytest.approx(2.0)
