#!/usr/bin/env python3
"""Stage timings and hotspots of ``area_table_from_raster`` (companion of bench_area_table.py).

Uses the data cached by ``bench_area_table.py`` (run it first with the same --size/--parcels).
Prints:

1. wall time of each stage of ``area_table_from_raster`` (the private helpers of
   ``espass_geo.core.areas`` called one by one, in the order the function calls them);
2. a cProfile of the ``engine="center"`` block function, run with dask's synchronous
   scheduler so that cProfile sees inside the blocks (top functions by internal time);
3. ``overlap_area_ha`` on the benchmark parcels (disjoint) and on an RPG-like layer of the
   same number of *touching* polygons (a Voronoi tessellation), since real parcels share edges;
4. what-if timings, without editing espass_geo: the ``engine="center"`` blocks with the
   per-pixel ``np.unique(..., return_inverse=True)`` replaced by a lookup table (monkeypatched
   ``np`` seen by ``espass_geo.core.areas`` only, restored afterwards; results compared), and
   exactextract with ``strategy="raster-sequential"``.

Usage::

    python3 benchmarks/profile_area_table.py            # full size
    python3 benchmarks/profile_area_table.py --quick
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_area_table as bench  # noqa: E402


class Timer:
    def __init__(self):
        self.rows: list[tuple[str, float]] = []

    def __call__(self, label, fn, *a, **kw):
        t = time.perf_counter()
        out = fn(*a, **kw)
        self.rows.append((label, time.perf_counter() - t))
        return out

    def print(self, title):
        total = sum(s for label, s in self.rows if not label.startswith("  "))
        print(f"\n## {title}  (sum of top-level stages {total:.2f} s)")
        for label, s in self.rows:
            share = f"{100 * s / total:5.1f} %" if not label.startswith("  ") else "       "
            print(f"  {label:52s} {s:7.2f} s  {share}")


def stages(zones, tif, engine, parcels=None):
    """Re-run area_table_from_raster stage by stage (same helpers, same order)."""
    import pandas as pd

    from espass_geo.core import areas
    from espass_geo.io import rasters
    from espass_geo.io.vectors import overlap_area_ha

    t = Timer()
    src = t("open_landcover + check_overlap",
            lambda: (s := rasters.open_landcover(tif), rasters.check_overlap(s, zones, tif))[0])
    if engine == "exact":
        raw, _ = t("_exact_class_areas (exactextract + loop)", areas._exact_class_areas, src,
                   zones, "zone_id")
    else:
        raw = t("_center_class_areas (dask blocks)", areas._center_class_areas, tif, zones,
                "zone_id")
    raw["area_source"] = "landcover"
    if parcels is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t("_apply_parcels (total)", areas._apply_parcels, src, zones, parcels, raw, engine)
        # attribution of _apply_parcels (recomputed separately)
        t("  of which overlap_area_ha(parcels)", overlap_area_ha, parcels)
        pieces = t("  of which gpd.overlay(parcels, zones)", lambda: __import__("geopandas")
                   .overlay(parcels[["parcel_id", "code", "geometry"]],
                            zones[["zone_id", "geometry"]], how="intersection",
                            keep_geom_type=True))
        pieces = pieces[pieces.geometry.area > 0].reset_index(drop=True)
        pieces["piece_id"] = np.arange(len(pieces))
        t(f"  of which _exact_class_areas({len(pieces)} pieces)", areas._exact_class_areas,
          src, pieces[["piece_id", "geometry"]], "piece_id")

    def finish():
        table = raw.groupby(["zone_id", "code", "area_source"], as_index=False)["area_ha"].sum()
        table = table[table["area_ha"] > 1e-9]
        table["code"] = table["code"].astype(int).astype(str)
        table = table[areas.AREA_COLUMNS].sort_values(["zone_id", "code"])
        return pd.Series(table["area_ha"].to_numpy()).sum()

    t("table groupby/sort + summary", finish)
    t("overlap_area_ha(zones)", overlap_area_ha, zones)
    src.close()
    return t


def profile_center_blocks(zones, tif, top=12):
    import dask

    from espass_geo.core import areas

    pr = cProfile.Profile()
    with dask.config.set(scheduler="synchronous"):
        t = time.perf_counter()
        pr.enable()
        areas._center_class_areas(tif, zones, "zone_id")
        pr.disable()
        wall = time.perf_counter() - t
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(top)
    print(f"\n## cProfile of _center_class_areas, synchronous scheduler "
          f"({wall:.2f} s single-threaded, profiler on)")
    keep = False
    for line in buf.getvalue().splitlines():
        if "ncalls" in line:
            keep = True
        if keep and line.strip():
            print("  " + line)


def tessellation(size, n):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(bench.SEED + 3)
    xmin, ymin, xmax, ymax = bench._extent(size)
    pts = shapely.multipoints(np.column_stack([rng.uniform(xmin, xmax, n),
                                               rng.uniform(ymin, ymax, n)]))
    ext = shapely.box(xmin, ymin, xmax, ymax)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=ext)),
                                 ext)
    return gpd.GeoDataFrame({"zone_id": [f"t{i}" for i in range(len(cells))]}, geometry=cells,
                            crs="EPSG:2154")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--parcels", type=int, default=50_000)
    ap.add_argument("--communes", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.size, args.parcels = 2_000, 2_000
    import geopandas as gpd

    paths = bench.ensure_data(args.size, args.parcels, args.communes)
    tif = paths["tif"]
    parcels = gpd.read_file(paths["parcels"], engine="pyogrio")
    communes = gpd.read_file(paths["communes"], engine="pyogrio")
    print("# " + "\n# ".join(bench.versions()))
    for name, zones, engine, par in (
            ("parcels as zones, exact", parcels, "exact", None),
            ("parcels as zones, center", parcels, "center", None),
            ("communes, exact", communes, "exact", None),
            ("communes, center", communes, "center", None),
            ("communes + parcels=, exact", communes, "exact", parcels),
            ("communes + parcels=, center", communes, "center", parcels)):
        stages(zones, tif, engine, par).print(name)
    profile_center_blocks(communes, tif)
    profile_center_blocks(parcels, tif)

    from espass_geo.io.vectors import overlap_area_ha

    print("\n## overlap_area_ha")
    t = time.perf_counter()
    v = overlap_area_ha(parcels)
    print(f"  benchmark parcels ({len(parcels)}, disjoint): {time.perf_counter() - t:.2f} s "
          f"-> {v:.3f} ha")
    tess = tessellation(args.size, args.parcels)
    left, right = tess.sindex.query(tess.geometry.values, predicate="intersects")
    t = time.perf_counter()
    v = overlap_area_ha(tess)
    print(f"  touching tessellation ({len(tess)} cells, {int((left < right).sum())} touching "
          f"pairs): {time.perf_counter() - t:.2f} s -> {v:.3f} ha")
    what_if({f"parcels ({len(parcels)})": parcels, f"communes ({len(communes)})": communes}, tif)


def _lut_unique(a, return_inverse=False, **kw):
    """np.unique(a, return_inverse=True) for small non-negative integer pixel arrays, via a LUT."""
    if (return_inverse and not kw and a.ndim == 1 and a.size and a.dtype.kind in "iu"
            and a.min() >= 0 and a.max() < 1 << 16):
        seen = np.zeros(int(a.max()) + 1, dtype=bool)
        seen[a] = True
        codes = np.flatnonzero(seen)
        lut = np.zeros(seen.size, dtype=np.intp)
        lut[codes] = np.arange(len(codes))
        return codes, lut[a]
    return np.unique(a, return_inverse=return_inverse, **kw)


def what_if(zones_by_name, tif, repeat=3):
    import types

    from exactextract import exact_extract

    from espass_geo.core import areas

    def best(fn):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return min(times), out

    print(f"\n## what-if (best of {repeat})")
    for name, zones in zones_by_name.items():
        t0, ref = best(lambda: areas._center_class_areas(tif, zones, "zone_id"))
        fake = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np)
                                        if not k.startswith("__")})
        fake.unique = _lut_unique
        areas.np = fake
        try:
            t1, new = best(lambda: areas._center_class_areas(tif, zones, "zone_id"))
        finally:
            areas.np = np
        same = (ref.sort_values(["zone_id", "code"]).reset_index(drop=True)
                .equals(new.sort_values(["zone_id", "code"]).reset_index(drop=True)))
        print(f"  {name}: _center_class_areas as is {t0:.2f} s -> with LUT instead of np.unique "
              f"{t1:.2f} s (x{t0 / t1:.1f}; identical result: {same})")
        z = zones[["zone_id", "geometry"]]
        ops = ["unique", "frac", "count"]
        t2, _ = best(lambda: exact_extract(str(tif), z, ops, include_cols=["zone_id"],
                                           output="pandas"))
        t3, _ = best(lambda: exact_extract(str(tif), z, ops, include_cols=["zone_id"],
                                           output="pandas", strategy="raster-sequential"))
        print(f"  {name}: exact_extract feature-sequential {t2:.2f} s -> raster-sequential "
              f"{t3:.2f} s (x{t2 / t3:.1f})")


if __name__ == "__main__":
    main()
