#!/usr/bin/env python3
"""Bounded memory on a huge raster (issue #9, item 7): ``espass-geo stocks`` and ``flows`` on a
valid 100 000 × 100 000 land cover with a 400 ha zone.

The raster (10 m pixels, 1 000 km × 1 000 km, uint16, tiled 512, DEFLATE) is written with GDAL's
``SPARSE_OK=TRUE``: only one 400 × 400 block holds codes, every other block is absent from the
file and reads as no-data, so the file is about 0.5 MB although the grid has 10¹⁰ pixels. The
zone is a 2 km × 2 km box (400 ha, 200 × 200 pixels) inside the coded block. A second raster
(the "after" date for ``flows``) converts 40 ha of it to artificial land.

Each command runs in its own child process (``python -m espass_geo.cli …``); its wall time and
its peak resident memory (``ru_maxrss`` from ``os.wait4``) are printed, with the output rasters'
shapes and the ratios to the figures measured before the fix (issue #9: 72 s, and a map step
that tried to allocate 37 GiB). Nothing is asserted: the figures are for reading.

Usage::

    python3 benchmarks/bench_sparse_raster.py              # 100 000², both engines, with map
    python3 benchmarks/bench_sparse_raster.py --size 50000 --engines exact --no-map
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
X0, Y0, RES = 100_000.0, 7_100_000.0, 10.0
BEFORE_S, BEFORE_GIB = 72.0, 37.0  # issue #9: time of the run, allocation tried by the map


def build(folder: Path, size: int) -> tuple[Path, Path, Path]:
    """The two sparse rasters and the 400 ha zone; returns (before.tif, after.tif, zone)."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    from shapely.geometry import box

    block = np.full((400, 400), 211, dtype="uint16")  # cropland
    block[:, 200:] = 311                              # broadleaf forest
    block[:100] = 231                                 # grassland
    after = block.copy()
    after[150:170, 100:300] = 112                     # 20 × 200 px = 40 ha sealed
    off = size // 2
    paths = []
    for name, arr in (("clc_before.tif", block), ("clc_after.tif", after)):
        path = folder / name
        with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1,
                           dtype="uint16", nodata=0, crs="EPSG:2154",
                           transform=from_origin(X0, Y0, RES, RES), tiled=True,
                           blockxsize=512, blockysize=512, compress="deflate", sparse_ok=True,
                           bigtiff="YES") as dst:
            dst.write(arr, 1, window=Window(off, off, 400, 400))
        paths.append(path)
    bx, by = X0 + off * RES, Y0 - off * RES          # top-left corner of the coded block
    zone = folder / "zone_400ha.geojson"
    gpd.GeoDataFrame({"zone_id": ["Z"], "zone_name": ["Zone de 400 ha"]},
                     geometry=[box(bx + 1000, by - 3000, bx + 3000, by - 1000)],
                     crs="EPSG:2154").to_file(zone, engine="pyogrio")
    return paths[0], paths[1], zone


def run(args: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS (MiB), exit status and output of ``espass-geo ARGS``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "espass_geo.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.stdout.close()
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out


def raster_shape(path: Path) -> str:
    import rasterio

    if not path.exists():
        return "—"
    with rasterio.open(path) as src:
        return f"{src.height} × {src.width} ({path.stat().st_size / 1024:.0f} KiB)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000, help="raster side, pixels")
    ap.add_argument("--engines", default="exact,center")
    ap.add_argument("--no-map", action="store_true", help="skip the HTML maps")
    ap.add_argument("--no-flows", action="store_true", help="skip espass-geo flows")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_sparse_") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        before, after, zone = build(folder, opts.size)
        print(f"raster {opts.size} × {opts.size} px of {RES:g} m "
              f"({opts.size ** 2 / 1e9:.1f}·10⁹ pixels), {before.stat().st_size / 1024:.0f} KiB "
              f"on disk, built in {time.perf_counter() - t0:.2f} s; zone 400 ha (200 × 200 px)")
        extra = ["--no-map"] if opts.no_map else []
        rows = []
        for engine in opts.engines.split(","):
            out = folder / f"stocks_{engine}"
            s, mib, code, text = run(["stocks", "--territory", str(zone), "--zpc", "2_1",
                                      "--landcover", str(before), "--engine", engine,
                                      "--out", str(out), *extra])
            rows.append((f"stocks --engine {engine}", s, mib, code,
                         raster_shape(out / "stock_density.tif"), text))
        if not opts.no_flows:
            out = folder / "flows"
            s, mib, code, text = run(["flows", "--territory", str(zone), "--zpc", "2_1",
                                      "--landcover-before", str(before), "--landcover-after",
                                      str(after), "--years", "2012", "2018", "--out", str(out),
                                      *extra])
            rows.append(("flows", s, mib, code, raster_shape(out / "change.tif"), text))
        print(f"\n{'command':<24} {'seconds':>8} {'peak RSS':>10} {'exit':>5}  output raster")
        for name, s, mib, code, shape, _ in rows:
            print(f"{name:<24} {s:8.2f} {mib:7.0f} MiB {code:5d}  {shape}")
        print("\nratios to the figures before the fix (issue #9: 72 s; 37 GiB tried by the map):")
        for name, s, mib, *_ in rows:
            print(f"  {name:<22} time × {s / BEFORE_S:.3f}, memory × {mib / 1024 / BEFORE_GIB:.4f}"
                  f" ({mib / 1024:.2f} GiB, {'under' if mib < 1024 else 'OVER'} 1 GiB)")
        failed = [r for r in rows if r[3] != 0]
        for name, *_, text in failed:
            print(f"\n{name} failed:\n{text}")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
