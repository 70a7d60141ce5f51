"""Rasters and parcels: partial coverage, broken rasters, huge sparse rasters (issue #9, 5-7).

The tiny raster of :mod:`bad_inputs.common` is 4×4 pixels of 1 ha (x 700 000–700 400,
y 6 600 000–6 600 400); zone A is its left half (8 ha), zone B its right half (8 ha, of which
2 ha are no-data pixels: 2 / 8 = 25 %, warned about but below the 50 % error threshold).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import Affine, from_origin
from rasterio.windows import Window
from shapely.geometry import box

from .common import (
    RES,
    TINY,
    X0,
    Y0,
    Case,
    stocks_args,
    tiny_raster,
    write_raster,
    write_zones,
)


# ----------------------------------------------------------------------------- builders
def _zone_file(tmp: Path, geoms: list, name: str = "zones_cov.geojson") -> Path:
    ids = [chr(ord("A") + i) for i in range(len(geoms))]
    path = tmp / name
    gpd.GeoDataFrame({"zone_id": ids, "zone_name": [f"Zone {i}" for i in ids]},
                     geometry=geoms, crs="EPSG:2154").to_file(path, engine="pyogrio")
    return path


def _outside_zone(tmp: Path) -> Path:
    """One zone x 700 200–700 600 (4 columns × 4 rows = 16 ha): the 2 columns inside the raster
    hold 6 ha of classes and 2 ha of no-data, the 2 columns outside 8 ha → no-data share
    (2 + 8) / 16 = 62,5 %."""
    return _zone_file(tmp, [box(X0 + 200, Y0 - 400, X0 + 600, Y0)])


def _noisy_tiff(tmp: Path, name: str, driver: str = "GTiff", **extra) -> Path:
    """Random CLC codes on 1 m pixels over the tiny raster's extent (160 000 pixels), tiled and
    compressed so that cutting the file removes pixel blocks but keeps the header."""
    rng = np.random.default_rng(9)
    codes = rng.choice(np.array([211, 231, 311, 112], dtype="uint16"), size=(400, 400))
    path = tmp / name
    opts = {"tiled": True, "blockxsize": 64, "blockysize": 64} if driver == "GTiff" else {
        "blocksize": 64}
    with rasterio.open(path, "w", driver=driver, width=400, height=400, count=1,
                       dtype="uint16", crs="EPSG:2154", nodata=0,
                       transform=from_origin(X0, Y0, 1.0, 1.0), compress="deflate",
                       **opts, **extra) as dst:
        dst.write(codes, 1)
    return path


def _truncate(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _truncated(tmp: Path, *extra: str) -> list[str]:
    return stocks_args(tmp, *extra, raster=_truncate(_noisy_tiff(tmp, "coupé.tif")))


def _truncated_cog(tmp: Path) -> list[str]:
    # a COG written in memory by GDAL's COG driver when present, else a tiled GTiff
    try:
        path = _noisy_tiff(tmp, "coupé_cog.tif", driver="COG")
    except Exception:  # noqa: BLE001 - GDAL without the COG driver
        path = _noisy_tiff(tmp, "coupé_cog.tif")
    return stocks_args(tmp, raster=_truncate(path, 0.6))


def _rotated(tmp: Path) -> list[str]:
    path = tmp / "tourné.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint16",
                       crs="EPSG:2154", nodata=0,
                       transform=Affine(RES, 10.0, X0, 10.0, -RES, Y0)) as dst:
        dst.write(TINY, 1)
    return stocks_args(tmp, raster=path)


def _parcels(tmp: Path, geoms: list, ids: list[str] | None = None,
             name: str = "rpg.gpkg") -> Path:
    ids = ids or [f"P{i + 1}" for i in range(len(geoms))]
    path = tmp / name
    gpd.GeoDataFrame({"ID_PARCEL": ids, "CODE_CULTU": ["BTH"] * len(geoms),
                      "CODE_GROUP": ["1"] * len(geoms)},
                     geometry=geoms, crs="EPSG:2154").to_file(path, layer="parcelles",
                                                              engine="pyogrio")
    return path


#: a 1 ha parcel in zone A, and a 4 ha parcel 10 km away (outside the territory)
IN_A = box(X0, Y0 - 100, X0 + 100, Y0)
FAR = box(X0 + 10_000, Y0 + 10_000, X0 + 10_200, Y0 + 10_200)


def _areas_csv(tmp: Path) -> Path:
    path = tmp / "surfaces.csv"
    path.write_text("zone_id,code,area_ha\nA,211,4\nA,112,4\nB,231,2\nB,311,4\n",
                    encoding="utf-8")
    return path


def _sparse(tmp: Path, n: int = 50_000) -> list[str]:
    """A valid n × n raster of 10 m pixels, tiled and sparse (tiny on disk): only a 400 × 400
    block holds codes; the zone is a 2 km × 2 km = 400 ha box inside it."""
    x0, y0, res = 300_000.0, 6_900_000.0, 10.0
    path = tmp / "national.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="uint16",
                       nodata=0, crs="EPSG:2154", transform=from_origin(x0, y0, res, res),
                       tiled=True, blockxsize=512, blockysize=512, compress="deflate",
                       sparse_ok=True, bigtiff="YES") as dst:
        block = np.full((400, 400), 211, dtype="uint16")
        block[:, 200:] = 311
        dst.write(block, 1, window=Window(n // 2, n // 2, 400, 400))
    bx0, by1 = x0 + (n // 2) * res, y0 - (n // 2) * res
    zones = _zone_file(tmp, [box(bx0 + 1000, by1 - 3000, bx0 + 3000, by1 - 1000)])
    return stocks_args(tmp, zones=zones, raster=path)


def _flows(tmp: Path, before: Path, after: Path, zones: Path | None = None) -> list[str]:
    zones = zones or write_zones(tmp)
    return ["flows", "--territory", str(zones), "--zpc", "2_1", "--landcover-before",
            str(before), "--landcover-after", str(after), "--years", "2012", "2018",
            "--out", str(tmp / "out")]


def _flows_truncated_after(tmp: Path) -> list[str]:
    before = _noisy_tiff(tmp, "clc2012.tif")
    after = _truncate(_noisy_tiff(tmp, "clc2018.tif"))
    return _flows(tmp, before, after)


def _flows_three_bands(tmp: Path) -> list[str]:
    return _flows(tmp, tiny_raster(tmp, "clc2012.tif"),
                  write_raster(tmp / "clc2018_rvb.tif", np.stack([TINY, TINY, TINY]), count=3))


def _flows_mostly_outside(tmp: Path) -> list[str]:
    return _flows(tmp, tiny_raster(tmp, "clc2012.tif"), tiny_raster(tmp, "clc2018.tif"),
                  zones=_outside_zone(tmp))


# ----------------------------------------------------------------------------- checks
def _readme(tmp: Path) -> str:
    return (tmp / "out" / "LISEZ-MOI_stocks.txt").read_text(encoding="utf-8")


def _check_b_share(tmp: Path, result) -> None:
    # zone B: 2 no-data ha of 8 → 25,0 % named in the notes of the run
    text = _readme(tmp)
    assert "« Zone B » (B) : 25,0\u00a0%" in text, text


def _check_partial_allowed(tmp: Path, result) -> None:
    text = _readme(tmp)
    assert "62,5\u00a0%" in text and "10,0\u00a0ha sur 16,0\u00a0ha" in text, text


def _check_parcels_outside(tmp: Path, result) -> None:
    text = _readme(tmp)
    # 1 parcel of 2 is 200 m × 200 m = 4 ha away from the territory
    assert "1 parcelle(s) de" in text and "sur 2 (4,00\u00a0ha) sont hors du territoire" in text


def _check_sparse(tmp: Path, result) -> None:
    with rasterio.open(tmp / "out" / "stock_density.tif") as d:
        # the 400 ha zone is 200 × 200 pixels of 10 m: the density raster has that size,
        # not the 50 000 × 50 000 grid of the land cover
        assert d.shape == (200, 200), d.shape
        values = d.read(1)
    assert (values > 0).all()


# ----------------------------------------------------------------------------- cases
def _check_warp_note(work: Path, result) -> None:
    text = (work / "out" / "LISEZ-MOI_stocks.txt").read_text(encoding="utf-8")
    assert "raster reprojeté de EPSG:4326 vers Lambert-93 (EPSG:2154) au plus proche voisin, " \
        "pixel de" in text, text


CASES = [
    # --- coverage (issue item 5)
    Case("raster-all-nodata",
         lambda tmp: stocks_args(tmp, raster=write_raster(tmp / "vide.tif",
                                                          np.zeros((4, 4), "uint16"))),
         "error", (r"vide\.tif", r"aucun pixel classé", r"gdalinfo")),
    Case("raster-all-nodata-center",
         lambda tmp: stocks_args(tmp, "--engine", "center",
                                 raster=write_raster(tmp / "vide.tif", np.zeros((4, 4), "uint16"))),
         "error", (r"aucun pixel classé",)),
    Case("raster-zone-mostly-outside",
         lambda tmp: stocks_args(tmp, zones=_outside_zone(tmp)),
         "error", (r"CoverageError", r"« Zone A » \(A\) : 62,5\s%", r"--max-nodata-share")),
    Case("raster-zone-mostly-outside-allowed",
         lambda tmp: stocks_args(tmp, "--max-nodata-share", "0.7", zones=_outside_zone(tmp)),
         "ok", (r"stock total",), check=_check_partial_allowed),
    Case("raster-zone-in-nodata",
         # zone B over columns 2-3 but only rows 2-3: 311, 0, 311, 0 → 2 of 4 ha = 50 % is
         # allowed (not above 0.5); with --max-nodata-share 0.4 it is an error
         lambda tmp: stocks_args(tmp, "--max-nodata-share", "0.4", zones=_zone_file(
             tmp, [box(X0, Y0 - 400, X0 + 200, Y0), box(X0 + 200, Y0 - 400, X0 + 400, Y0 - 200)])),
         "error", (r"« Zone B » \(B\) : 50,0\s%", r"40\s%")),
    Case("raster-zone-partial-warning", lambda tmp: stocks_args(tmp), "ok", (r"stock total",),
         check=_check_b_share),
    Case("raster-no-overlap",
         lambda tmp: stocks_args(tmp, zones=_zone_file(
             tmp, [box(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1_000)])),
         "error", (r"ne se recouvrent pas",)),
    # --- broken rasters (issue item 6)
    Case("raster-truncated-geotiff", _truncated, "error",
         (r"coupé\.tif", r"tronqué", r"gdalinfo -checksum")),
    Case("raster-truncated-geotiff-center",
         lambda tmp: _truncated(tmp, "--engine", "center"), "error", (r"tronqué",)),
    Case("raster-truncated-cog", _truncated_cog, "error", (r"coupé_cog\.tif", r"tronqué")),
    Case("raster-three-bands",
         lambda tmp: stocks_args(tmp, raster=write_raster(
             tmp / "rvb.tif", np.stack([TINY, TINY, TINY]), count=3)),
         "error", (r"rvb\.tif", r"3 bandes", r"gdal_translate -b 1")),
    Case("raster-two-bands-change-tif",
         lambda tmp: stocks_args(tmp, raster=write_raster(
             tmp / "change.tif", np.stack([TINY, TINY]), count=2)),
         "error", (r"2 bandes",)),
    Case("raster-float64",
         lambda tmp: stocks_args(tmp, raster=write_raster(tmp / "f64.tif", TINY.astype("float64"))),
         "error", (r"float64", r"entiers")),
    Case("raster-without-crs",
         lambda tmp: stocks_args(tmp, raster=write_raster(tmp / "sans_crs.tif", TINY, crs=None)),
         "error", (r"sans_crs\.tif", r"gdal_edit\.py -a_srs EPSG:2154")),
    # another CRS is warped on the fly to Lambert-93 (nearest neighbour) and said in the notes;
    # 0.002° pixels over the zones (x 700000, y 6600400 in Lambert-93 is 3.0° E, 46.5036° N)
    Case("raster-in-wgs84",
         lambda tmp: stocks_args(tmp, raster=write_raster(
             tmp / "wgs84.tif", TINY, crs="EPSG:4326", res=0.002, x0=2.9995, y0=46.5045)),
         "ok", (r"stock total",), check=_check_warp_note),
    Case("raster-rotated", _rotated, "error", (r"tourné\.tif", r"grille tournée")),
    Case("raster-text-file",
         lambda tmp: stocks_args(tmp, raster=_write(tmp / "pas_un_raster.tif", b"bonjour")),
         "error", (r"pas_un_raster\.tif", r"ne peut pas être ouvert : ce n'est pas un raster",
                   r"Détail GDAL : not recognized[^;']*\.$")),
    Case("raster-empty-file",
         lambda tmp: stocks_args(tmp, raster=_write(tmp / "vide0.tif", b"")),
         "error", (r"vide0\.tif", r"fichier vide \(0 octet\)")),
    Case("raster-is-a-folder",
         lambda tmp: stocks_args(tmp, raster=_mkdir(tmp / "dossier.tif")),
         "error", (r"dossier\.tif", r"dossier")),
    Case("raster-unknown-codes",
         lambda tmp: stocks_args(tmp, raster=write_raster(
             tmp / "codes.tif", np.where(TINY == 211, 70_000, TINY.astype("uint32")))),
         "error", (r"codes\.tif » : code\(s\) d'occupation du sol 70000 inconnu",)),
    Case("raster-fractional-nodata",
         # nodata 211.5 on uint16 codes: exactextract would read it as 211, the centre engine
         # as nothing; refused instead of giving two answers
         lambda tmp: stocks_args(tmp, raster=write_raster(tmp / "nd.tif", TINY, nodata=211.5)),
         "error", (r"nd\.tif", r"211\.5", r"gdal_edit\.py -a_nodata")),
    Case("raster-zeros-without-nodata",
         # no nodata value declared: the 2 pixels of 0 in zone B are 2 ha of "code 0"
         lambda tmp: stocks_args(tmp, raster=write_raster(tmp / "sans_nodata.tif", TINY,
                                                          nodata=None)),
         "error", (r"sans_nodata\.tif", r"2,00\sha", r"gdal_edit\.py -a_nodata 0")),
    # --- parcels (issue item 5)
    Case("parcels-with-areas",
         lambda tmp: stocks_args(tmp, "--areas", str(_areas_csv(tmp)), "--parcels",
                                 str(_parcels(tmp, [IN_A])), raster=False),
         "error", (r"rpg\.gpkg", r"--landcover", r"Retirez --parcels")),
    Case("parcels-all-outside",
         lambda tmp: stocks_args(tmp, "--parcels", str(_parcels(tmp, [FAR]))),
         "error", (r"aucune des 1 parcelles", r"rpg\.gpkg")),
    Case("parcels-partly-outside",
         lambda tmp: stocks_args(tmp, "--parcels", str(_parcels(tmp, [IN_A, FAR]))),
         "ok", (r"stock total",), check=_check_parcels_outside),
    Case("parcels-duplicate-ids",
         lambda tmp: stocks_args(tmp, "--parcels", str(_parcels(
             tmp, [IN_A, box(X0, Y0 - 200, X0 + 100, Y0 - 100)], ids=["P1", "P1"]))),
         "error", (r"ID_PARCEL en double", r"P1")),
    # --- flows: the same rules for the two dates
    Case("flows-truncated-after-raster", _flows_truncated_after, "error",
         (r"clc2018\.tif", r"tronqué")),
    Case("flows-three-band-raster", _flows_three_bands, "error",
         (r"clc2018_rvb\.tif", r"3 bandes")),
    Case("flows-zone-mostly-outside", _flows_mostly_outside, "error",
         (r"clc2012\.tif → clc2018\.tif", r"62,5\s%")),
    Case("flows-zone-mostly-outside-allowed",
         lambda tmp: [*_flows_mostly_outside(tmp), "--max-nodata-share", "0.7"], "ok",
         (r"flux net",)),
    Case("parcels-missing-id",
         lambda tmp: stocks_args(tmp, "--parcels", str(_parcels(tmp, [IN_A], ids=[""]))),
         "error", (r"sans identifiant ID_PARCEL",)),
    # --- bounded memory (issue item 7): a 50 000² sparse raster, a 400 ha zone
    Case("raster-huge-sparse", _sparse, "ok", (r"stock total",), check=_check_sparse),
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path

