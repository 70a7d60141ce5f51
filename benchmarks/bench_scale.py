#!/usr/bin/env python3
"""Scale benchmark (issue #14, item 4): area table (engines ``center`` and ``exact``) and
``stocks`` through the public API on square synthetic CLC rasters of 10⁶ … 2.5·10⁹ pixels.

Each raster is a uint16 GeoTIFF of 10 m pixels in Lambert-93 (EPSG:2154), tiled 512, DEFLATE,
written strip by strip (512 rows at a time: the whole grid is never in memory). Its codes have
spatial structure: 640 m patches of 12 CLC level-3 codes (agriculture-dominated weights), a
quarter of the 80 m sub-cells recoded, plus 1 % pixel noise. The zones are 50 Voronoi cells of
seeded random points clipped to the raster extent (they tile it exactly).

Every (case, size) runs in its own child process (this script with ``--child``): its wall time
and its peak resident memory (``ru_maxrss`` from ``os.wait4``, i.e. the same figure as
``resource.getrusage(RUSAGE_CHILDREN)`` for that one child) are printed, with the time of the
computation alone (measured inside the child, after the imports and the reading of the zones),
the ratio of compute times between consecutive sizes (printed as ``ratio/pixel factor``: 4 up
to 10⁹ px, then 2.5) and whether the peak stays under 2 GiB. Nothing is asserted.

Cases:

* ``center`` / ``exact`` / ``hybrid`` — ``espass_geo.area_table_from_raster(zones, tif,
  engine=…)``
* ``stocks`` — ``espass_geo.stocks(zones.gpkg, landcover=tif, zpc="2_1", region="24")``
  (default engine: area table + stocks + the per-pixel density grid, on disk by blocks above
  2²⁵ px) and the grid's total read back by blocks; nothing written
* ``stocks_write`` — the same, then ``espass_geo.write(result, tmp)``: every output (the
  density COG with overviews, its PNG overview, the map, tables)

Usage::

    python3 benchmarks/bench_scale.py                       # 10⁶ … 2.56·10⁸ px (a few minutes)
    python3 benchmarks/bench_scale.py --max-pixels 2.5e9    # all sizes (disk: ~1 GB, long)
    python3 benchmarks/bench_scale.py --cases center,exact --min-pixels 1e9 --max-pixels 1e9

Rasters are cached in ``benchmarks/_data/scale/`` (git-ignored; ``--data DIR`` to change).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
X0, Y0, RES = 700_000.0, 6_900_000.0, 10.0
SIZES = [1_000_000, 4_000_000, 16_000_000, 64_000_000, 256_000_000, 1_000_000_000,
         2_500_000_000]
CODES = [211, 211, 211, 211, 231, 231, 242, 243, 311, 311, 312, 313, 112, 111, 512, 324]
SEED = 20261130
STRIP = 512
GIB = 1024 ** 3


def _hash(a, b, salt: int):
    """Deterministic uint64 hash of two integer grids (no RNG state: same codes whatever the
    strip size)."""
    import numpy as np

    h = (a.astype(np.uint64) * np.uint64(73856093)) ^ (b.astype(np.uint64) * np.uint64(19349663))
    h ^= np.uint64(salt)
    h *= np.uint64(0x9E3779B97F4A7C15)
    return h >> np.uint64(33)


def build_raster(path: Path, side: int) -> float:
    """Write the side × side synthetic land cover strip by strip; returns the seconds taken."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    t0 = time.perf_counter()
    codes = np.array(CODES, dtype=np.uint16)
    rng = np.random.default_rng(SEED + side)
    tmp = path.with_suffix(".part.tif")
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"), rasterio.open(
            tmp, "w", driver="GTiff", width=side, height=side, count=1, dtype="uint16",
            nodata=0, crs="EPSG:2154", transform=from_origin(X0, Y0, RES, RES), tiled=True,
            blockxsize=512, blockysize=512, compress="deflate", bigtiff="IF_SAFER",
            num_threads="ALL_CPUS") as dst:
        ncell = math.ceil(side / 8)
        cj = np.arange(ncell)
        for row in range(0, side, STRIP):
            h = min(STRIP, side - row)
            ci = np.arange(row // 8, math.ceil((row + h) / 8))[:, None]
            # 640 m patches (8 × 8 cells of 80 m), then a quarter of the cells recoded
            patch = _hash(ci // 8, cj[None, :] // 8, 1) % np.uint64(len(codes))
            sub = _hash(ci, cj[None, :], 2)
            cell = np.where(sub % np.uint64(4) == 0, (sub >> np.uint64(2)) % np.uint64(len(codes)),
                            patch)
            block = codes[cell.astype(np.intp)]
            block = np.repeat(np.repeat(block, 8, axis=0), 8, axis=1)
            block = block[row - (row // 8) * 8:][:h, :side]
            block = np.ascontiguousarray(block)
            n = int(block.size * 0.01)  # 1 % pixel noise
            flat = block.reshape(-1)
            flat[rng.integers(0, flat.size, n)] = codes[rng.integers(0, len(codes), n)]
            dst.write(block, 1, window=Window(0, row, side, h))
    tmp.replace(path)
    return time.perf_counter() - t0


def build_zones(path: Path, side: int, n: int = 50) -> None:
    """50 Voronoi cells of seeded random points, clipped to the raster extent."""
    import geopandas as gpd
    import numpy as np
    import shapely
    from shapely.geometry import box

    ext = side * RES
    rng = np.random.default_rng(SEED)
    pts = shapely.multipoints(np.column_stack([X0 + rng.uniform(0, ext, n),
                                               Y0 - ext + rng.uniform(0, ext, n)]))
    frame = box(X0, Y0 - ext, X0 + ext, Y0)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame.buffer(ext)))
    cells = [c.intersection(frame) for c in cells]
    cells = [c for c in cells if not c.is_empty]
    gpd.GeoDataFrame({"zone_id": [f"Z{i:02d}" for i in range(len(cells))],
                      "zone_name": [f"Zone {i}" for i in range(len(cells))]},
                     geometry=cells, crs="EPSG:2154").to_file(path, engine="pyogrio")


def inputs(data: Path, pixels: int) -> tuple[Path, Path, float | None]:
    side = round(math.sqrt(pixels))
    tif = data / f"clc_{side}.tif"
    zones = data / f"zones_{side}.gpkg"
    built = None
    if not tif.exists():
        built = build_raster(tif, side)
    if not zones.exists():
        build_zones(zones, side)
    return tif, zones, built


def child(case: str, tif: str, zones_path: str) -> None:
    """Run one case and print its compute time as JSON on the last line."""
    import warnings

    import geopandas as gpd

    import espass_geo

    warnings.simplefilter("ignore")
    zones = gpd.read_file(zones_path, engine="pyogrio")
    t0 = time.perf_counter()
    if case in ("center", "exact", "hybrid"):
        table = espass_geo.area_table_from_raster(zones, tif, engine=case)
        total = float(table.table["area_ha"].sum())
    elif case in ("stocks", "stocks_write"):
        res = espass_geo.stocks(zones_path, landcover=tif, zpc="2_1", region="24",
                                id_field="zone_id")
        total = res.density.total_stock_tC()  # read back by blocks when the grid is on disk
        if case == "stocks_write":  # + every output: COG density map, its PNG overview, the map
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                espass_geo.write(res, Path(tmp) / "out")
    else:
        raise SystemExit(f"cas inconnu : {case}")
    print(json.dumps({"compute_s": time.perf_counter() - t0, "total": total}))


def run_child(case: str, tif: Path, zones: Path) -> tuple[float, float, float | None, int, str]:
    """Wall seconds, peak RSS (bytes), compute seconds, exit status, output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", case, str(tif), str(zones)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.stdout.close()
    compute = None
    try:
        compute = json.loads(out.strip().splitlines()[-1])["compute_s"]
    except (ValueError, KeyError, IndexError):
        pass
    return wall, usage.ru_maxrss * 1024, compute, os.waitstatus_to_exitcode(status), out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-pixels", type=float, default=2.56e8)
    ap.add_argument("--min-pixels", type=float, default=1e6)
    ap.add_argument("--cases", default="center,exact,hybrid,stocks,stocks_write")
    ap.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "_data" / "scale")
    ap.add_argument("--json", type=Path, default=None, help="append the rows to this JSON file")
    opts = ap.parse_args()
    opts.data.mkdir(parents=True, exist_ok=True)
    sizes = [s for s in SIZES if opts.min_pixels <= s <= opts.max_pixels]
    cases = opts.cases.split(",")
    rows = []
    print(f"machine: nproc={os.cpu_count()}, sizes {', '.join(f'{s:.3g}' for s in sizes)} px; "
          f"cases {', '.join(cases)}", flush=True)
    for pixels in sizes:
        tif, zones, built = inputs(opts.data, pixels)
        side = round(math.sqrt(pixels))
        mb = tif.stat().st_size / 1e6
        print(f"\n{side} × {side} px ({side * side:.3g} px, {side * RES / 1000:g} km side), "
              f"{mb:.1f} MB on disk" + (f", built in {built:.1f} s" if built else " (cached)"),
              flush=True)
        for case in cases:
            wall, peak, compute, code, out = run_child(case, tif, zones)
            rows.append({"case": case, "pixels": side * side, "wall_s": wall,
                         "compute_s": compute, "peak_bytes": peak, "exit": code})
            print(f"  {case:<7} wall {wall:8.1f} s  compute "
                  f"{compute if compute is not None else float('nan'):8.1f} s  "
                  f"peak {peak / GIB:6.2f} GiB  exit {code}", flush=True)
            if code != 0:
                print("    " + "\n    ".join(out.strip().splitlines()[-8:]), flush=True)
    print(f"\n{'case':<7} {'pixels':>9} {'wall s':>8} {'compute s':>10} {'ratio':>9} "
          f"{'peak GiB':>9} {'< 2 GiB':>8} {'exit':>5}")
    for case in cases:
        prev = None
        for r in (r for r in rows if r["case"] == case):
            c = r["compute_s"]
            ratio = (f"{c / prev[0]:6.2f}/{r['pixels'] / prev[1]:<2.3g}" if (c and prev)
                     else f"{'—':>9}")
            print(f"{case:<7} {r['pixels']:9.3g} {r['wall_s']:8.1f} "
                  f"{c if c is not None else float('nan'):10.1f} {ratio} "
                  f"{r['peak_bytes'] / GIB:9.2f} {'yes' if r['peak_bytes'] < 2 * GIB else 'NO':>8}"
                  f" {r['exit']:5d}")
            prev = (c, r["pixels"]) if r["exit"] == 0 else None
    if opts.json:
        old = json.loads(opts.json.read_text()) if opts.json.exists() else []
        opts.json.write_text(json.dumps(old + rows, indent=1))
    return 1 if any(r["exit"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
