"""Checks of the shipped SYNTHETIC, CALIBRATED demo land-cover raster (landcover/README.md).

Area arithmetic used throughout: 1 px = 20 m x 20 m = 400 m2 = 0.04 ha.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.features import rasterize

ROOT = Path(__file__).parents[1]
TIF = ROOT / "landcover" / "demo_flandre_dunkerque_clc2018_20m.tif"
EPCIS = ("245900428", "200040954")  # CU de Dunkerque (17 communes), CC des Hauts de Flandre (40)
PIXEL_HA = 20 * 20 / 10_000  # 400 m2 = 0.04 ha
REL_TOL = 0.01  # classes >= 50 ha: within 1 %
ABS_TOL_HA = 2.0  # smaller classes: within 2 ha


@pytest.fixture(scope="module")
def raster():
    with rasterio.open(TIF) as src:
        return {
            "arr": src.read(1),
            "crs": src.crs,
            "res": src.res,
            "dtype": src.dtypes[0],
            "nodata": src.nodata,
            "transform": src.transform,
            "shape": (src.height, src.width),
            "tags": src.tags(),
            "desc": src.descriptions[0],
            "profile": src.profile,
        }


@pytest.fixture(scope="module")
def communes():
    ce = pd.read_csv(ROOT / "boundaries" / "communes_epci_2018_59_62.csv", dtype=str)
    ce = ce[ce["epci"].isin(EPCIS)]
    com = gpd.read_file(ROOT / "boundaries" / "communes_59_62.geojson")
    com = com[com["code"].isin(ce["insee"])].to_crs(2154)
    return com.merge(ce[["insee", "epci"]], left_on="code", right_on="insee")


@pytest.fixture(scope="module")
def epci_mask(raster, communes):
    """0 outside, 1 + index in EPCIS inside (pixel-centre rule, like the builder)."""
    return rasterize(
        ((g, 1 + EPCIS.index(e)) for g, e in zip(communes.geometry, communes["epci"])),
        out_shape=raster["shape"], transform=raster["transform"], fill=0,
        all_touched=False, dtype="uint8",
    )


@pytest.fixture(scope="module")
def targets_ha():
    a = pd.read_csv(ROOT / "landcover" / "aldo" / "clc18_surfaces_ha_epci_59_62.csv",
                    dtype={"siren": str}).set_index("siren")
    a = a.loc[list(EPCIS)].fillna(0.0)
    a.columns = [int(c) for c in a.columns]
    return a


@pytest.fixture(scope="module")
def rpg():
    g = gpd.read_file(ROOT / "landcover" / "rpg" / "rpg_2021_flandre_dunkerque.gpkg",
                      layer="parcelles").to_crs(2154)
    m = pd.read_csv(ROOT / "factors" / "rpg_to_clc.csv", dtype=str)
    crop = dict(m.loc[m["level"] == "crop", ["code", "code_clc"]].values)
    grp = dict(m.loc[m["level"] == "group", ["code", "code_clc"]].values)
    g["code_clc"] = [int(crop.get(str(c), grp.get(str(gr))))
                     for c, gr in zip(g["CODE_CULTU"], g["CODE_GROUP"])]
    return g


def test_grid(raster):
    assert raster["crs"].to_epsg() == 2154
    assert raster["res"] == (20.0, 20.0)
    assert raster["dtype"] == "uint16"
    assert raster["nodata"] == 0
    t = raster["transform"]
    assert t.c % 20 == 0 and t.f % 20 == 0  # origin on the 20 m grid
    assert raster["profile"]["tiled"] and raster["profile"]["blockxsize"] == 256
    assert raster["profile"]["compress"].lower() == "deflate"
    assert raster["tags"].get("SYNTHETIC") == "yes"
    assert raster["desc"] == "CLC 2018 code (synthetic, calibrated)"
    assert TIF.stat().st_size < 3_000_000


def test_values_are_valid_clc_codes(raster, targets_ha, rpg):
    vals = set(int(v) for v in np.unique(raster["arr"])) - {0}
    nomenclature = ROOT / "factors" / "clc_to_land_use.csv"
    if nomenclature.exists():  # the 44 CLC level-3 codes
        assert vals <= set(pd.read_csv(nomenclature)["code_clc"].astype(int))
    target_codes = set(c for c in targets_ha.columns if (targets_ha[c] > 0).any())
    # codes absent from both EPCI targets may only come from (tiny) real RPG parcels
    assert vals <= target_codes | set(rpg["code_clc"]), vals - target_codes


def test_nodata_exactly_outside_territory(raster, epci_mask):
    assert np.array_equal(raster["arr"] > 0, epci_mask > 0)


@pytest.mark.parametrize("siren", EPCIS)
def test_calibration_per_epci(raster, epci_mask, targets_ha, siren):
    in_e = epci_mask == 1 + EPCIS.index(siren)
    npx = int(in_e.sum())
    t = targets_ha.loc[siren]
    scale = npx * PIXEL_HA / t.sum()  # pixel area of the EPCI / ALDO total
    assert abs(scale - 1) < 0.0005  # geometric vs ALDO EPCI area agree to 0.05 %
    vals, cnts = np.unique(raster["arr"][in_e], return_counts=True)
    got = {int(v): n * PIXEL_HA for v, n in zip(vals, cnts)}
    errors = []
    for code in sorted(set(got) | set(int(c) for c in t.index[t > 0])):
        target = float(t.get(code, 0.0)) * scale
        area = got.get(code, 0.0)
        ok = (abs(area - target) <= REL_TOL * target) if target >= 50 else (abs(area - target) <= ABS_TOL_HA)
        if not ok:
            errors.append((code, round(target, 2), round(area, 2)))
    assert not errors, f"EPCI {siren}: (code, target ha, raster ha) out of tolerance: {errors}"


def test_rpg_parcels_carry_their_code(raster, epci_mask, rpg):
    burnt = rasterize(
        ((g, c) for g, c in zip(rpg.geometry, rpg["code_clc"])),
        out_shape=raster["shape"], transform=raster["transform"], fill=0,
        all_touched=False, dtype="uint16",
    )
    sel = (burnt > 0) & (epci_mask > 0)
    assert sel.sum() > 40_000  # ~2 200 ha of parcels = ~55 000 px
    assert (raster["arr"][sel] == burnt[sel]).mean() >= 0.95
    # pixel under each parcel's representative point. Only pixels whose CENTRE lies in the parcel
    # belong to it (pixel-centre rule): many buffer strips (BTA, BOR) are narrower than 20 m, so
    # their representative point often falls in a pixel owned by the neighbouring field.
    pts = rpg.geometry.representative_point()
    rows, cols = rasterio.transform.rowcol(raster["transform"], pts.x.values, pts.y.values)
    rows, cols = np.asarray(rows), np.asarray(cols)
    h, w = raster["shape"]
    on_grid = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    rows, cols = np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)
    xs, ys = rasterio.transform.xy(raster["transform"], rows, cols)  # pixel centres
    owns = shapely.contains_xy(rpg.geometry.values, np.asarray(xs), np.asarray(ys))
    inside = on_grid & owns & (epci_mask[rows, cols] > 0)
    match = raster["arr"][rows[inside], cols[inside]] == rpg["code_clc"].values[inside]
    assert inside.sum() > 500 and match.mean() >= 0.95


def test_total_area_matches_territory(raster, communes):
    raster_ha = int((raster["arr"] > 0).sum()) * PIXEL_HA
    poly_ha = communes.geometry.area.sum() / 10_000
    assert abs(raster_ha - poly_ha) / poly_ha < 0.005
