"""Change matrices: two rasters or a change table; margins close; bad inputs refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TINY, write_raster

from espass_geo.cli import main
from espass_geo.core.changes import check_dates
from espass_geo.core.flows import compute_flows
from espass_geo.errors import (
    AreaTableError,
    InputFileError,
    PartialCoverageWarning,
    UnknownLandCoverClassError,
)
from espass_geo.io.change_rasters import change_table_from_rasters
from espass_geo.io.change_tables import change_table_from_csv

AFTER = TINY.copy()
AFTER[0, 0] = 112   # zone A: 1 px cropland → urban
AFTER[2, 3] = 0     # stays nodata
AFTER[1, 2] = 112   # zone B: 1 px forest → urban


@pytest.fixture
def two_dates(tmp_path):
    return (write_raster(tmp_path / "clc2012.tif", TINY),
            write_raster(tmp_path / "clc2018.tif", AFTER))


def test_change_matrix_from_two_rasters(two_dates, two_zones):
    with pytest.warns(PartialCoverageWarning, match=r"clc2012\.tif → clc2018\.tif.*\(B\) : 25,0"):
        ct = change_table_from_rasters(two_zones, *two_dates, years=(2012, 2018))
    assert ct.years == 6
    ch = ct.changed.set_index(["zone_id", "from_code", "to_code"])["area_ha"]
    # 1 px = 1 ha changed in each zone
    assert ch.to_dict() == pytest.approx({("A", "211", "112"): 1.0, ("B", "311", "112"): 1.0})
    before, after = ct.margins()
    # both margins close on the classified area of each zone: A 8 ha, B 6 ha (2 ha nodata)
    for m in (before, after):
        assert m.groupby("zone_id")["area_ha"].sum().to_dict() == pytest.approx(
            {"A": 8.0, "B": 6.0})
    assert before.set_index(["zone_id", "code"])["area_ha"][("A", "211")] == pytest.approx(4.0)
    assert after.set_index(["zone_id", "code"])["area_ha"][("A", "211")] == pytest.approx(3.0)
    fl = compute_flows(ct.table, two_zones, years=ct.years)
    assert set(fl["zone_id"]) == {"A", "B"}
    assert (fl["area_ha_an"] > 0).all()


def test_dates_checked():
    assert check_dates(2012, 2018) == 6
    with pytest.raises(AreaTableError, match="inversées"):
        check_dates(2018, 2012)
    with pytest.raises(AreaTableError, match="égales"):
        check_dates(2018, 2018)


def test_grids_and_nomenclatures_must_match(tmp_path, two_zones):
    a = write_raster(tmp_path / "a.tif", TINY)
    shifted = write_raster(tmp_path / "decale.tif", TINY, x0=700050.0)
    with pytest.raises(InputFileError, match=r"même grille.*gdalwarp .*-tr 100 100"):
        change_table_from_rasters(two_zones, a, shifted, years=(2012, 2018))
    other = TINY.copy()
    other[other == 211] = 21  # an OCS2D-like or EEA GRID_CODE-like code
    b = write_raster(tmp_path / "autre.tif", other)
    with pytest.raises(InputFileError, match=r"autre\.tif' contient \[21\]"):
        change_table_from_rasters(two_zones, a, b, years=(2012, 2018))


def test_change_csv_long_wide_and_errors(tmp_path):
    wide = tmp_path / "clc18-change.csv"
    wide.write_text("siren,211-112,324-311,Déboisement feuillus\n245900428,6,12,0\n")
    ct = change_table_from_csv(wide)
    assert ct.table.set_index(["from_code", "to_code"])["area_ha"].to_dict() == {
        ("211", "112"): 6.0, ("324", "311"): 12.0}
    assert "Déboisement" in ct.notes[0]
    long = tmp_path / "communes.csv"
    long.write_text("code12,code18,commune,area\n211,112,59183,3.5\n")
    assert change_table_from_csv(long).table["area_ha"].sum() == 3.5
    bad = tmp_path / "neg.csv"
    bad.write_text("zone_id,from_code,to_code,area_ha\n59183,211,112,-1\n")
    with pytest.raises(AreaTableError, match="négative"):
        change_table_from_csv(bad)
    unknown = tmp_path / "inconnu.csv"
    unknown.write_text("zone_id,from_code,to_code,area_ha\nz,211,999,1\n")
    ct = change_table_from_csv(unknown)
    attrs = pd.DataFrame({"zone_id": ["z"], "zpc": ["2_1"], "region_code": ["32"]})
    with pytest.raises(UnknownLandCoverClassError, match="999"):
        compute_flows(ct.table, attrs, years=6)


def test_change_table_larger_than_zone_refused(tmp_path):
    csv = tmp_path / "trop.csv"
    # Dunkerque (59183) covers about 4 300 ha; 10 000 ha cannot have changed
    csv.write_text("zone_id,from_code,to_code,area_ha\n59183,211,112,10000\n")
    r = CliRunner().invoke(main, ["flows", "--territory", "59183", "--changes", str(csv),
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "plus que sa surface" in r.output
    # the CLI prints the package's warnings itself, before the error (one commune < 10)
    assert r.output.index("Avertissement :") < r.output.index("Erreur")
    assert not (tmp_path / "o").exists()


def test_flows_cli_rasters(tmp_path, two_dates, zones_file):
    out = tmp_path / "flux"
    r = CliRunner().invoke(main, ["flows", "--territory", str(zones_file), "--zpc", "2_1",
                                  "--landcover-before", str(two_dates[0]),
                                  "--landcover-after", str(two_dates[1]),
                                  "--years", "2012", "2018", "--out", str(out)])
    assert r.exit_code == 0, r.output
    for name in ("flows.csv", "flows_zones.csv", "transitions.csv", "transitions_matrice.csv",
                 "transitions.xlsx", "zan.csv", "flows.gpkg", "change.tif", "carte_flux.html",
                 "LISEZ-MOI_flux.txt"):
        assert (out / name).exists(), name
    fl = pd.read_csv(out / "flows.csv")
    assert (fl["convention"] == "positif = séquestration, négatif = émission").all()
    assert "séquestration" in (out / "LISEZ-MOI_flux.txt").read_text(encoding="utf-8")
    m = pd.read_csv(out / "transitions_matrice.csv", index_col=0)
    assert not m.isna().any().any()  # zeros, not blanks
    xl = pd.read_excel(out / "transitions.xlsx", sheet_name=None)
    assert list(xl) == ["Matrice (ha par an)", "Transitions (long)"]
    import rasterio

    with rasterio.open(out / "change.tif") as src:
        assert src.count == 2
        b1, b2 = src.read(1), src.read(2)
    assert (b1[0, 0], b2[0, 0]) == (211, 112)
    assert np.array_equal(b1 != b2, np.array(TINY != AFTER) & (b2 > 0))
    reversed_ = CliRunner().invoke(main, ["flows", "--territory", str(zones_file), "--zpc", "2_1",
                                          "--landcover-before", str(two_dates[0]),
                                          "--landcover-after", str(two_dates[1]),
                                          "--years", "2018", "2012", "--out",
                                          str(tmp_path / "x")])
    assert reversed_.exit_code == 2 and "inversées" in reversed_.output
    assert not (tmp_path / "x").exists()


def test_product_codes_above_1024_use_the_wide_pairs(tmp_path, two_zones):
    """Pair codes are from × 1 024 + to when every code is below 1 024 (the fast path); a
    product code ≥ 1 024 (here 1500, 2000) makes the pass start again with from × 100 000 + to,
    and the change table is the same as with small codes: zone A (left half, 2 × 4 px of 1 ha)
    1 px 1500 → 2000, the rest unchanged."""
    import warnings

    big_before = np.where(TINY == 211, 1500, TINY).astype("uint16")
    big_after = big_before.copy()
    big_after[0, 0] = 2000
    a = write_raster(tmp_path / "p2012.tif", big_before)
    b = write_raster(tmp_path / "p2018.tif", big_after)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        ct = change_table_from_rasters(two_zones, a, b, years=(2012, 2018), clc_codes=False)
        small = change_table_from_rasters(two_zones, *(
            write_raster(tmp_path / f"s{y}.tif", arr) for y, arr in
            ((2012, TINY), (2018, np.where(np.arange(16).reshape(4, 4) == 0, 112, TINY)
                            .astype("uint16")))), years=(2012, 2018))
    ch = ct.changed.set_index(["zone_id", "from_code", "to_code"])["area_ha"]
    assert ch.to_dict() == pytest.approx({("A", "1500", "2000"): 1.0})
    kept = ct.table.set_index(["zone_id", "from_code", "to_code"])["area_ha"]
    assert kept[("A", "1500", "1500")] == pytest.approx(3.0)  # the other 211 → 1500 pixels
    assert kept[("A", "112", "112")] == pytest.approx(4.0)
    # the same grid with CLC codes (fast path): 211 → 112 on the same pixel, same areas
    sch = small.changed.set_index(["zone_id", "from_code", "to_code"])["area_ha"]
    assert sch.to_dict() == pytest.approx({("A", "211", "112"): 1.0})
    assert ct.table["area_ha"].sum() == pytest.approx(small.table["area_ha"].sum())
