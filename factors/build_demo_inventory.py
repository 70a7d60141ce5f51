"""Build the demo emission inventory of the 1 539 communes (COG 2018) of Nord and Pas-de-Calais.

Run from the repository root::

    python factors/build_demo_inventory.py

The script reads only files of the repository:

* ``factors/regional_inventory_hdf.csv``: Hauts-de-France totals per PCAET sector and substance
  (GES 2021, Observatoire Climat HdF; pollutants 2018, Atmo HdF; some shares are assumptions);
* ``factors/population_hdf.csv``: the HdF population of the same vintage as the commune table
  (row with ``downscaling_reference == "true"``);
* ``boundaries/communes_epci_2018_59_62.csv``: commune -> EPCI 2018 and population (ALDO, INSEE 2015);
* ``landcover/aldo/clc18_surfaces_ha_epci_59_62.csv``: CLC 2018 areas (ha) per EPCI and CLC code;
* ``boundaries/communes_59_62.geojson``: commune land areas (computed in EPSG:2154) and the
  polygons in which the point sources are placed;
* ``factors/point_sources_demo_59_62.csv``: the major industrial emitters of Nord and
  Pas-de-Calais (name, coordinates, annual emission, year, source, confidence).

Each point source is placed in the commune that contains it (point in polygon, coordinates
reprojected to EPSG:2154) with its emission, in its sector (``industrie``). The **remainder** of
each regional sector x substance value (HdF total - the point sources; refused if negative) is
downscaled in three steps:

1. region -> Nord + Pas-de-Calais: population share (pop 59/62 / pop HdF) for every sector
   (crude for the diffuse industry, agriculture and the energy branch);
2. 59/62 -> EPCI: population for residentiel, tertiaire, transport_routier, autres_transports,
   dechets; agricultural CLC area (codes 211-244, which include 231 grassland) for agriculture;
   CLC 121 (industrial or commercial units) area for industrie and branche_energie;
3. EPCI -> communes: population for the population-based sectors; the commune's share of the
   EPCI land area for agriculture, industrie and branche_energie (no land cover per commune is
   shipped).

Values are rounded with the largest-remainder method so that the communes of each sector x
substance add up exactly (in units of the rounding step: 0.001 tCO2e for GES, 0.0001 t for
pollutants) to the points + round((regional - points) x population share). The method is the
package's :mod:`espass_geo.core.inventory_build` (the same code rebuilds the estimate with a
user's point sources: ``espass-geo emissions --point-sources``). Output: ``factors/demo_inventory_communes_59_62.csv.gz`` (long format, the inventory
input schema of ``factors/README.md`` plus provenance columns). Deterministic: no randomness,
rows sorted by commune, sector, substance. Column ``point_value`` gives the part of
the value placed from point sources (empty elsewhere); ``proxy`` starts with ``points+`` there.

THIS IS NOT AN INVENTORY: it only gives the demo and the tests a plausible, documented input.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the package of this checkout (not an installed copy)

from espass_geo.core.inventory_build import (  # noqa: E402
    SUBSTANCE_ALIASES,
    decimals_of,
    format_units,
)
from espass_geo.io.inventory import (  # noqa: E402
    build_demo_inventory,
    load_demo_inputs,
    shipped_point_sources,
)

OUT = ROOT / "factors" / "demo_inventory_communes_59_62.csv.gz"
N_COMMUNES = 1539


def build() -> pd.DataFrame:
    inp = load_demo_inputs()
    com = inp["communes"]
    assert len(com) == N_COMMUNES and com["insee"].is_unique
    pop_5962 = com["population"].sum()
    share = pop_5962 / inp["pop_region"]
    print(f"population 59/62 = {pop_5962:.0f}, HdF = {inp['pop_region']:.0f}, share = {share:.6f}")
    print(f"agricultural CLC codes used: {', '.join(inp['agri_cols'])}")
    pts = shipped_point_sources()
    out = build_demo_inventory(pts)
    check(out, inp["regional"], pts, share)
    placed = out[out["point_value"] > 0]
    for r in placed.itertuples(index=False):
        print(f"point sources in {r.territory_code}: {r.sector} {r.substance} "
              f"{r.point_value:,.0f} of {r.value:,.0f} {r.unit}")
    return out


def check(out: pd.DataFrame, reg: pd.DataFrame, pts: pd.DataFrame, share: float) -> None:
    """Σ communes = points + round((regional - points) x share), exactly in rounding units."""
    assert (out["_units"] >= 0).all()
    assert out["territory_code"].nunique() == N_COMMUNES
    sums = out.groupby(["sector", "substance"])["_units"].sum()
    sub = pts["substance"].replace(SUBSTANCE_ALIASES)
    for _, r in reg.iterrows():
        scale = 10 ** decimals_of(r["substance"])
        mine = pts[(pts["sector"] == r["sector"]) & (sub == r["substance"])]
        p_units = int((mine["emission_t"].astype(float) * scale).round().sum())
        target = p_units + int(round((round(r["value"] * scale) - p_units) * share))
        got = int(sums[(r["sector"], r["substance"])])
        assert got == target, (r["sector"], r["substance"], got, target)


def to_file(out: pd.DataFrame) -> pd.DataFrame:
    """The file's columns: values as fixed-point text of their integer units."""
    f = out.drop(columns=["_units", "_decimals"]).copy()
    f["value"] = format_units(out["_units"], out["_decimals"])
    scale = 10.0 ** out["_decimals"]
    p_units = np.rint(out["point_value"] * scale).astype(np.int64)
    f["point_value"] = np.where(p_units > 0, format_units(p_units, out["_decimals"]), "")
    return f


def main() -> int:
    out = to_file(build())
    out.to_csv(OUT, compression={"method": "gzip", "mtime": 0}, index=False, encoding="utf-8",
               lineterminator="\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(out)} rows, {OUT.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
