#!/usr/bin/env python3
"""Vector land cover at département scale (issue #11, item 7): ~1 000 000 polygons, 50 zones.

Synthetic data (deterministic, seed 20261130, cached in ``benchmarks/_data/vector_<n>/``,
git-ignored):

* **land cover**: an ``n × n`` grid (default 1 000 × 1 000 = 10⁶ polygons) of irregular
  quadrilaterals over a 60 km × 60 km square (cells of 60 m, every grid node jittered by up
  to ±15 m, so neighbours share their edges exactly: a partition, no gap, no overlap), edges
  densified to 10 m (``shapely.segmentize``: ~27 vertices per polygon, the order of OCS GE's
  polygons). Field ``CODE_18`` drawn among 8 CLC codes (agriculture-dominated weights), in
  patches of 5 × 5 cells. GeoPackage in Lambert-93 with its R-tree.
* **change layer** (``--cases change``): the same partition with 10 % of the codes redrawn
  and 2 % of the grid nodes moved by up to ±5 m (~8 % of the polygons change shape; two
  vintages of OCS GE share most of their geometry).
* **zones**: 50 Voronoi cells of random seeds clipped to the central 56 km × 56 km (the
  territory is inside the layer), edges densified to 20 m (~1 600 vertices each, like real
  commune boundaries).
* **raster peer**: the layer rasterized at 10 m (6 000 × 6 000 px, pixel-centre rule) with
  :func:`espass_geo.core.vector_areas.rasterize_landcover`.

Each case runs in its own child process (this script with ``--case``); its wall time and peak
resident memory (``ru_maxrss``) are printed, with the stage timings:

* ``vector``: :func:`read_landcover_vector` (bbox = the zones' bounds) +
  :func:`area_table_from_vector` — the user-facing path;
* ``vector_serial``: the same with dask off (one thread), to measure the parallel gain;
* ``raster``: :func:`area_table_from_raster` (exact, exactextract) on the 10 m raster — the peer;
* ``vector_1zone``, ``raster_1zone``: the same for the first zone alone (a commune of the
  layer: the bbox filter reads only the polygons around it);
* ``rasterize``: the rasterization itself (what a per-pixel stock map from vector land cover
  costs);
* ``change``: :func:`change_table_from_vectors` of the layer and its change layer (both read).

Usage::

    python3 benchmarks/bench_vector_landcover.py                 # 10⁶ polygons, 50 zones
    python3 benchmarks/bench_vector_landcover.py --n 300         # 90 000 polygons (smoke)
    python3 benchmarks/bench_vector_landcover.py --cases vector,raster
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
X0, Y0, EXTENT = 700_000.0, 6_600_000.0, 60_000.0
SEED = 20261130
CODES = [211, 242, 231, 311, 312, 112, 111, 512]
WEIGHTS = [0.35, 0.15, 0.15, 0.12, 0.06, 0.1, 0.03, 0.04]
ALL_CASES = ["vector", "vector_serial", "raster", "vector_1zone", "raster_1zone", "rasterize",
             "change"]


def data_dir(n: int) -> Path:
    return ROOT / "benchmarks" / "_data" / f"vector_{n}"


def build(n: int, n_zones: int) -> dict[str, Path]:
    """Write (once) the layer, the change layer, the zones and the raster peer."""
    import geopandas as gpd
    import numpy as np
    import pyogrio
    import rasterio
    import shapely

    folder = data_dir(n)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"lc": folder / "landcover.gpkg", "lc2": folder / "landcover_after.gpkg",
             "zones": folder / "zones.gpkg", "tif": folder / "landcover_10m.tif"}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(SEED)
    cell = EXTENT / n
    t = time.perf_counter()
    xs, ys = X0 + np.arange(n + 1) * cell, Y0 + np.arange(n + 1) * cell
    gx, gy = np.meshgrid(xs, ys)
    jit = cell / 4
    gx = gx + rng.uniform(-jit, jit, gx.shape)
    gy = gy + rng.uniform(-jit, jit, gy.shape)
    gx[:, 0], gx[:, -1], gy[0, :], gy[-1, :] = xs[0], xs[-1], ys[0], ys[-1]
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    corners = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j), (i, j)]
    ring = np.stack([np.stack([gx[a, c], gy[a, c]], -1) for a, c in corners], 1)
    polys = shapely.segmentize(shapely.polygons(ring), 10.0)
    patch = rng.choice(CODES, p=WEIGHTS, size=(n // 5 + 1, n // 5 + 1))
    codes = patch[i // 5, j // 5]
    noise = rng.random(len(codes)) < 0.2
    codes[noise] = rng.choice(CODES, p=WEIGHTS, size=int(noise.sum()))
    lc = gpd.GeoDataFrame({"CODE_18": codes.astype(str)}, geometry=polys, crs=2154)
    print(f"  built {len(lc)} polygons ({shapely.get_num_coordinates(polys).mean():.1f} "
          f"vertices each) in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    pyogrio.write_dataframe(lc, paths["lc"], layer="occupation_sol")
    changed = rng.random(len(codes)) < 0.10
    codes2 = codes.copy()
    codes2[changed] = rng.choice(CODES, p=WEIGHTS, size=int(changed.sum()))
    # 2 % of the inner grid nodes move by up to ±5 m: ~8 % of the polygons change shape
    moved = np.zeros(gx.shape, bool)
    moved[1:-1, 1:-1] = rng.random((n - 1, n - 1)) < 0.02
    gx2, gy2 = gx.copy(), gy.copy()
    gx2[moved] += rng.uniform(-5, 5, int(moved.sum()))
    gy2[moved] += rng.uniform(-5, 5, int(moved.sum()))
    touched = moved[i, j] | moved[i, j + 1] | moved[i + 1, j + 1] | moved[i + 1, j]
    ring2 = np.stack([np.stack([gx2[a, c], gy2[a, c]], -1) for a, c in corners], 1)
    polys2 = polys.copy()
    polys2[touched] = shapely.segmentize(shapely.polygons(ring2[touched]), 10.0)
    pyogrio.write_dataframe(gpd.GeoDataFrame({"CODE_18": codes2.astype(str)}, geometry=polys2,
                                             crs=2154), paths["lc2"], layer="occupation_sol")
    print(f"  change layer: {changed.mean():.1%} of the codes, {touched.mean():.1%} of the "
          "shapes changed", flush=True)
    print(f"  wrote 2 GeoPackages in {time.perf_counter() - t:.1f} s", flush=True)
    inner = shapely.box(X0 + 2000, Y0 + 2000, X0 + EXTENT - 2000, Y0 + EXTENT - 2000)
    seeds = shapely.multipoints(rng.uniform([X0 + 2000, Y0 + 2000],
                                            [X0 + EXTENT - 2000, Y0 + EXTENT - 2000],
                                            (n_zones, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=inner))
    cells = shapely.segmentize(shapely.intersection(cells, inner), 20.0)
    zones = gpd.GeoDataFrame({"zone_id": [f"{59000 + k}" for k in range(len(cells))],
                              "zone_name": [f"Commune {k}" for k in range(len(cells))]},
                             geometry=cells, crs=2154)
    pyogrio.write_dataframe(zones, paths["zones"])
    from espass_geo.core.vector_areas import rasterize_landcover

    t = time.perf_counter()
    mem = rasterize_landcover(lc.rename(columns={"CODE_18": "code"}),
                              bounds=(X0, Y0, X0 + EXTENT, Y0 + EXTENT), resolution=10.0)
    with mem.open() as src, rasterio.open(paths["tif"], "w", **src.profile) as dst:
        for _, win in src.block_windows(1):
            dst.write(src.read(1, window=win), 1, window=win)
    mem.close()
    print(f"  rasterized at 10 m in {time.perf_counter() - t:.1f} s", flush=True)
    return paths


# --------------------------------------------------------------------------- cases (child)
def run_case(case: str, n: int) -> dict:
    import warnings

    import geopandas as gpd
    import numpy as np

    import espass_geo.core.vector_areas as va
    from espass_geo.core.areas import area_table_from_raster
    from espass_geo.io.landcover_vectors import read_landcover_vector

    warnings.simplefilter("ignore")
    try:  # peak RSS of this case only (ru_maxrss would carry the parent's over the fork)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    folder = data_dir(n)
    zones = gpd.read_file(folder / "zones.gpkg", engine="pyogrio")
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    out: dict = {}
    if case.endswith("_1zone"):  # one commune-sized zone: the bbox filter reads ~2 % of the layer
        zones = zones.iloc[[0]]
    if case in ("vector", "vector_serial", "vector_1zone"):
        if case == "vector_serial":
            va.PARALLEL_MIN_PAIRS = 10**12
        t = time.perf_counter()
        lc = read_landcover_vector(folder / "landcover.gpkg", bbox=zones.total_bounds)
        stages["read"] = time.perf_counter() - t
        t = time.perf_counter()
        at = va.area_table_from_vector(zones, lc)
        stages["area table"] = time.perf_counter() - t
        out["polygons"] = len(lc.gdf)
        out["table"] = at.table.to_dict("list")
        out["total_ha"] = float(at.table["area_ha"].sum())
    elif case in ("raster", "raster_1zone"):
        at = area_table_from_raster(zones, folder / "landcover_10m.tif", engine="exact")
        out["table"] = at.table.to_dict("list")
        out["total_ha"] = float(at.table["area_ha"].sum())
    elif case == "rasterize":
        t = time.perf_counter()
        lc = read_landcover_vector(folder / "landcover.gpkg")
        stages["read"] = time.perf_counter() - t
        t = time.perf_counter()
        mem = va.rasterize_landcover(lc, bounds=zones.total_bounds, resolution=10.0)
        with mem.open() as src:
            out["shape"] = list(src.shape)
        mem.close()
        stages["rasterize"] = time.perf_counter() - t
    elif case == "change":
        t = time.perf_counter()
        b = read_landcover_vector(folder / "landcover.gpkg", bbox=zones.total_bounds)
        a = read_landcover_vector(folder / "landcover_after.gpkg", bbox=zones.total_bounds)
        stages["read ×2"] = time.perf_counter() - t
        t = time.perf_counter()
        ct = va.change_table_from_vectors(zones, b, a, years=(2018, 2024))
        stages["change table"] = time.perf_counter() - t
        out["total_ha"] = float(ct.table["area_ha"].sum())
        out["changed_ha"] = float(ct.changed["area_ha"].sum())
        bm, am = ct.margins()
        s = ct.summary.set_index("zone_id")["classified_area_ha"]
        out["margin_err_ha"] = float(max(
            np.abs(m.groupby("zone_id")["area_ha"].sum().reindex(s.index) - s).max()
            for m in (bm, am)))
    out["seconds"] = time.perf_counter() - t0
    out["stages"] = stages
    out["peak_rss_mib"] = _vm_hwm_mib()
    return out


def _vm_hwm_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- driver
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="grid side: n² polygons (1000)")
    ap.add_argument("--zones", type=int, default=50)
    ap.add_argument("--cases", default=",".join(ALL_CASES))
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="write the results to this JSON file")
    args = ap.parse_args()
    if args.case:
        print("RESULT " + json.dumps(run_case(args.case, args.n)), flush=True)
        return 0
    import platform

    import pandas as pd
    import shapely

    print(f"machine: {platform.machine()}, nproc={os.cpu_count()}, python "
          f"{platform.python_version()}, shapely {shapely.__version__} (GEOS "
          f"{shapely.geos_version_string}), pandas {pd.__version__}", flush=True)
    print(f"data: {args.n}² = {args.n ** 2} polygons, {args.zones} zones; load average "
          f"{os.getloadavg()[0]:.2f} (other processes share the cores)", flush=True)
    t = time.perf_counter()
    build(args.n, args.zones)
    print(f"  data ready in {time.perf_counter() - t:.1f} s", flush=True)
    results = {}
    for case in args.cases.split(","):
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--case", case, "--n", str(args.n),
                               "--zones", str(args.zones)], capture_output=True, text=True)
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if proc.returncode or not line:
            print(f"{case}: FAILED\n{proc.stderr[-2000:]}")
            return 1
        res = json.loads(line[-1][7:])
        res["process_s"] = time.perf_counter() - t
        results[case] = res
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in res["stages"].items())
        print(f"{case:14s} {res['seconds']:7.2f} s  (process {res['process_s']:.1f} s)  "
              f"peak RSS {res['peak_rss_mib']:.0f} MiB  {stages}", flush=True)
    if "vector" in results and "raster" in results:
        v, r = results["vector"], results["raster"]
        print(f"ratio vector / raster (exact, 10 m): {v['seconds'] / r['seconds']:.2f}")
        tv = pd.DataFrame(v["table"]).groupby(["zone_id", "code"])["area_ha"].sum()
        tr = pd.DataFrame(r["table"]).groupby(["zone_id", "code"])["area_ha"].sum()
        both = pd.concat([tv.rename("v"), tr.rename("r")], axis=1).fillna(0.0)
        rel = ((both["v"] - both["r"]).abs() / both["v"].clip(lower=1.0))
        print(f"totals: vector {v['total_ha']:,.2f} ha, raster {r['total_ha']:,.2f} ha; "
              f"zone × code cells differ by {rel.median():.3%} (median), {rel.max():.3%} "
              "(max) — the 10 m pixel-centre rasterization's error, not the overlay's")
    if "vector_1zone" in results and "raster_1zone" in results:
        v, r = results["vector_1zone"], results["raster_1zone"]
        print(f"one zone: {v['polygons']} polygons read; ratio vector / raster "
              f"{v['seconds'] / r['seconds']:.2f}")
    if "vector" in results and "vector_serial" in results:
        print(f"dask threads gain on the area table: ×"
              f"{results['vector_serial']['stages']['area table'] / results['vector']['stages']['area table']:.2f}")
    if "change" in results:
        c = results["change"]
        print(f"change: {c['total_ha']:,.2f} ha, {c['changed_ha']:,.2f} ha changed, margins "
              f"close within {c['margin_err_ha']:.2e} ha")
    if args.json:
        for r in results.values():
            r.pop("table", None)
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
