#!/usr/bin/env python3
"""Build the SYNTHETIC OCS GE-shaped demo layers of the SCoT Flandre-Dunkerque.

Outputs: ``landcover/demo_flandre_dunkerque_ocsge2012_synthetic.gpkg`` and
``landcover/demo_flandre_dunkerque_ocsge2018_synthetic.gpkg``: one polygon layer each, shaped
like IGN's OCS GE (fields ``ID``, ``CODE_CS``, ``CODE_US``, ``MILLESIME``, ``SOURCE``), in
Lambert-93, polygonised from the two synthetic demo rasters
(``demo_flandre_dunkerque_clc2012_20m.tif`` and ``..._clc2018_20m.tif``).

NOTHING HERE IS REAL OCS GE. The layers exist to run and test the vector land-cover path of
espass_geo on the demo territory without shipping data we do not have. Each polygon is a set of
20 m pixels of one synthetic CLC class, given the (cover, use) pair that an OCS GE polygon of
that class would typically carry (``CLC_TO_OCSGE`` below). Artificial CLC classes
(111-123) are split the way OCS GE sees them: 100 m blocks of the class are drawn as
vegetated (herbaceous cover CS2.2.1 under the same use) with a deterministic pattern, about one
block in five, the rest impermeable (CS1.1.1.1 built or CS1.1.1.2 roads and yards) -
so the layer separates sealed and vegetated artificial land as OCS GE does, instead of ALDO's
80/20 rule on CLC.

The same pattern is used at both dates, so the 2012 -> 2018 changes are the raster's changes.
The RPG parcels burnt in the rasters keep their class; in OCS GE an RPG grassland is
herbaceous cover with agricultural use (CS2.2.1 × US1.1), like a crop: give the parcels
(``--parcels``) to tell them apart, as with real OCS GE.

The layers carry the GeoPackage layer metadata ``SYNTHETIC=yes`` (espass_geo's outputs then say
the land cover is synthetic) and ``SOURCE = "synthétique espass_geo (non réel)"`` on every row.

Deterministic. Runs in a few seconds. From the repository root:
``python landcover/build_demo_ocsge.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.features import shapes
from shapely.geometry import shape

HERE = Path(__file__).resolve().parent
RASTERS = {2012: HERE / "demo_flandre_dunkerque_clc2012_20m.tif",
           2018: HERE / "demo_flandre_dunkerque_clc2018_20m.tif"}
OUT = {y: HERE / f"demo_flandre_dunkerque_ocsge{y}_synthetic.gpkg" for y in RASTERS}

#: CLC code -> (cover, use) of a typical OCS GE polygon of that class; for the artificial
#: classes split in blocks, the pair of the sealed part (the vegetated part is CS2.2.1 under
#: the same use)
CLC_TO_OCSGE: dict[int, tuple[str, str]] = {
    111: ("CS1.1.1.1", "US5"),      # continuous urban fabric: buildings, housing
    112: ("CS1.1.1.1", "US5"),      # discontinuous urban fabric
    121: ("CS1.1.1.1", "US235"),    # industrial / commercial units
    122: ("CS1.1.1.2", "US4.1.1"),  # roads and rail
    123: ("CS1.1.1.2", "US4.1.4"),  # ports
    124: ("CS1.1.1.2", "US4.1.3"),  # airports
    131: ("CS1.1.2.1", "US1.3"),    # mineral extraction
    132: ("CS1.1.2.2", "US6.2"),    # dumps
    133: ("CS1.2.1", "US6.1"),      # construction sites: bare soil, in transition
    141: ("CS2.1.1.1", "US5"),      # green urban areas: trees under residential use
    142: ("CS2.2.1", "US3"),        # sport and leisure: grass under tertiary use
    211: ("CS2.2.1", "US1.1"),      # arable land
    222: ("CS2.1.1.1", "US1.1"),    # orchards: trees under agricultural use
    231: ("CS2.2.1", "US1.1"),      # pastures: herbaceous, agricultural use
    242: ("CS2.2.1", "US1.1"),
    243: ("CS2.2.1", "US1.1"),
    311: ("CS2.1.1.1", "US1.2"),    # broadleaf forest, forestry
    312: ("CS2.1.1.2", "US1.2"),
    313: ("CS2.1.1.3", "US1.2"),
    321: ("CS2.2.1", "US6.3"),      # natural grassland, no use
    322: ("CS2.1.2", "US6.3"),      # moors and heathland
    324: ("CS2.1.2", "US1.2"),      # transitional woodland-shrub
    331: ("CS1.2.1", "US6.3"),      # beaches, dunes
    333: ("CS2.2.2", "US6.3"),      # sparsely vegetated
    411: ("CS2.2.1", "US6.3"),      # inland marshes (OCS GE has no wetland cover)
    421: ("CS2.2.1", "US6.3"),      # salt marshes
    423: ("CS1.2.2", "US6.3"),      # intertidal flats
    511: ("CS1.2.2", "US4.1.4"),    # water courses (canals: water transport)
    512: ("CS1.2.2", "US6.3"),      # water bodies
    523: ("CS1.2.2", "US6.3"),      # sea
}
#: artificial classes whose 100 m blocks are split into sealed / vegetated
SPLIT = (111, 112, 121, 122, 123, 124)
BLOCK_PX = 5  # 5 × 20 m = 100 m blocks
VEGETATED_CS = "CS2.2.1"
SOURCE = "synthétique espass_geo (non réel)"


def vegetated_blocks(shape_rc: tuple[int, int]) -> np.ndarray:
    """Boolean pixel mask: the 100 m blocks drawn as vegetated (about one block in five).

    Deterministic: block (i, j) is vegetated when (7 i + 3 j) mod 5 == 0, a pattern that fills
    each row and each column of blocks in the same proportion, 1/5.
    """
    rows, cols = shape_rc
    bi = np.arange(rows)[:, None] // BLOCK_PX
    bj = np.arange(cols)[None, :] // BLOCK_PX
    return (7 * bi + 3 * bj) % 5 == 0


def build(year: int) -> gpd.GeoDataFrame:
    with rasterio.open(RASTERS[year]) as src:
        clc = src.read(1).astype(np.int32)
        transform, crs, nodata = src.transform, src.crs, src.nodata
    unknown = sorted(set(np.unique(clc).tolist()) - set(CLC_TO_OCSGE) - {int(nodata or 0)})
    if unknown:
        raise SystemExit(f"CLC codes without an OCS GE pair: {unknown}")
    # one id per (CLC class, vegetated part) so that polygons never mix two pairs
    veg = vegetated_blocks(clc.shape) & np.isin(clc, SPLIT)
    key = clc * 2 + veg.astype(np.int32)
    key[clc == (nodata or 0)] = 0
    rows = []
    for geom, value in shapes(key, mask=key > 0, transform=transform, connectivity=4):
        code, is_veg = divmod(int(value), 2)
        cs, us = CLC_TO_OCSGE[code]
        if is_veg:
            cs = VEGETATED_CS
        rows.append((cs, us, shape(geom)))
    gdf = gpd.GeoDataFrame({"CODE_CS": [r[0] for r in rows], "CODE_US": [r[1] for r in rows]},
                           geometry=[r[2] for r in rows], crs=crs)
    # OCS GE-like order and fields; dissolve nothing: one polygon per connected patch
    gdf = gdf.sort_values(["CODE_CS", "CODE_US"], kind="stable").reset_index(drop=True)
    gdf.insert(0, "ID", [f"OCSGE_SYNTH_{year}_{i + 1:06d}" for i in range(len(gdf))])
    gdf["MILLESIME"] = str(year)
    gdf["SOURCE"] = SOURCE
    return gdf


def main() -> None:
    import os

    os.environ["OGR_CURRENT_DATE"] = "2026-11-30T00:00:00Z"  # fixed GeoPackage timestamps
    for year, out in OUT.items():
        gdf = build(year)
        if out.exists():
            out.unlink()
        gdf.to_file(out, layer=f"ocsge_synthetique_{year}", driver="GPKG", engine="pyogrio",
                    SPATIAL_INDEX="NO",
                    layer_metadata={"SYNTHETIC": "yes", "DESCRIPTION":
                                    "OCS GE-shaped layer polygonised from the synthetic demo "
                                    "raster; NOT real OCS GE (landcover/build_demo_ocsge.py)"})
        area = gdf.geometry.area.sum() / 10_000
        print(f"{out.name}: {len(gdf)} polygons, {area:,.2f} ha", file=sys.stderr)


if __name__ == "__main__":
    main()
