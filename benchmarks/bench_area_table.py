#!/usr/bin/env python3
"""Performance benchmark of ``espass_geo.core.areas.area_table_from_raster``.

Builds (once, cached under ``benchmarks/_data/``) a synthetic land-cover GeoTIFF, a parcel
layer and a commune-like layer, then times, for each zone layer:

  exact          area_table_from_raster(zones, tif, engine="exact")
  center         area_table_from_raster(zones, tif, engine="center")
  ee_direct      exactextract.exact_extract(tif, zones, ["unique", "frac", "count"], ...)
  numpy          read whole raster + rasterio.features.rasterize + one np.bincount
  numpy.bincount the np.bincount call alone (sub-timing of ``numpy``)

plus, for the communes, the real-world call with ``parcels=`` (``exact+parcels``,
``center+parcels``, ``hybrid+parcels``) unless ``--no-extra``; the ``+parcels`` cases are
compared with ``exact+parcels`` of the same run (time ratio, and the largest difference per
zone × code of their area tables: each child writes its table to a temporary CSV).

Each case runs in its own child process (same script, ``--_child``) so that its peak RSS is
its own and the GDAL block cache starts cold; inside the child the case is repeated
``--repeat`` times and the best time is kept. Data loading is not timed.

Usage::

    python3 benchmarks/bench_area_table.py --quick          # smoke run (2000 px, 2000 parcels)
    python3 benchmarks/bench_area_table.py                  # full (10000 px, 50000 parcels)
    python3 benchmarks/bench_area_table.py --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "_data"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PIXEL = 20.0  # m
X0, Y0 = 600_000.0, 7_100_000.0  # upper-left corner, Lambert-93
SEED = 20240611
# 15 CLC level-3 codes with rough Hauts-de-France-like weights (agriculture dominant)
CLC_CODES = np.array([111, 112, 121, 122, 142, 211, 222, 231, 242, 243,
                      311, 312, 313, 324, 512], dtype=np.uint16)
CLC_WEIGHTS = np.array([1, 6, 2, 1, 1, 40, 2, 14, 6, 5, 9, 2, 4, 3, 4], dtype=float)
CLC_WEIGHTS /= CLC_WEIGHTS.sum()
CROP_CODES = np.array([211, 222, 231, 242, 243])  # declared codes of the parcels

CHUNK = 1 << 22  # pixels per bincount chunk in the numpy pass
LAYERS = ("parcels", "communes")
MAIN_CASES = ("exact", "center", "ee_direct", "numpy")
EXTRA_CASES = ("exact+parcels", "center+parcels", "hybrid+parcels")
#: hybrid+parcels must give exact+parcels' areas within this (ha per zone × code)
PARCELS_TOL_HA = 1e-6


# --------------------------------------------------------------------------- data
def data_paths(size: int, n_parcels: int, n_communes: int) -> dict[str, Path]:
    return {
        "tif": DATA / f"landcover_{size}px_s{SEED}.tif",
        "parcels": DATA / f"parcels_{size}px_{n_parcels}_s{SEED}.gpkg",
        "communes": DATA / f"communes_{size}px_{n_communes}_s{SEED}.gpkg",
    }


def _extent(size: int) -> tuple[float, float, float, float]:
    return (X0, Y0 - size * PIXEL, X0 + size * PIXEL, Y0)


def make_landcover(path: Path, size: int) -> None:
    """uint16 CLC raster: 64-px patches, 25 % of 8-px sub-patches recoded, 2 % pixel noise."""
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(SEED)
    n = len(CLC_CODES)

    def upsampled(cell: int, p_replace: float | None) -> tuple[np.ndarray, np.ndarray | None]:
        nc = -(-size // cell)
        grid = rng.choice(n, size=(nc, nc), p=CLC_WEIGHTS).astype(np.uint8)
        up = np.ascontiguousarray(np.repeat(np.repeat(grid, cell, axis=0), cell, axis=1)
                                  [:size, :size])
        if p_replace is None:
            return up, None
        m = (rng.random((nc, nc)) < p_replace).astype(np.uint8)
        mask = np.kron(m, np.ones((cell, cell), dtype=np.uint8))[:size, :size].astype(bool)
        return up, mask

    idx, _ = upsampled(64, None)
    sub, mask = upsampled(8, 0.25)
    idx[mask] = sub[mask]
    del sub, mask
    k = int(0.02 * size * size)
    flat = idx.reshape(-1)
    assert np.shares_memory(flat, idx)
    flat[rng.integers(0, size * size, k)] = rng.integers(0, n, k, dtype=np.uint8)
    arr = CLC_CODES[idx]
    del idx, flat
    profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="uint16",
                   crs="EPSG:2154", transform=from_origin(X0, Y0, PIXEL, PIXEL),
                   tiled=True, blockxsize=512, blockysize=512, compress="deflate",
                   num_threads="ALL_CPUS", BIGTIFF="IF_SAFER")
    tmp = path.with_suffix(".tmp.tif")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(arr, 1)
    tmp.replace(path)


def make_parcels(path: Path, size: int, n_parcels: int):
    """Jittered-grid irregular convex quadrilaterals of 0.5-10 ha (log-uniform), no overlap."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(SEED + 1)
    xmin, ymin, xmax, ymax = _extent(size)
    g = int(np.ceil(np.sqrt(n_parcels)))
    cell = (xmax - xmin) / g
    cells = rng.choice(g * g, size=n_parcels, replace=False)
    ci, cj = cells // g, cells % g
    area = np.exp(rng.uniform(np.log(0.5e4), np.log(10e4), n_parcels))  # m²
    aspect = rng.uniform(1.0, 3.0, n_parcels)
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    # rectangle corners, then each corner jittered by up to 10 % of the short side (stays convex)
    cx = np.stack([-w, w, w, -w], axis=1) / 2
    cy = np.stack([-h, -h, h, h], axis=1) / 2
    j = 0.1 * np.minimum(w, h)[:, None]
    cx = cx + rng.uniform(-1, 1, (n_parcels, 4)) * j
    cy = cy + rng.uniform(-1, 1, (n_parcels, 4)) * j
    theta = rng.uniform(0, np.pi, n_parcels)[:, None]
    rx = cx * np.cos(theta) - cy * np.sin(theta)
    ry = cx * np.sin(theta) + cy * np.cos(theta)
    half = np.sqrt(np.max(rx ** 2 + ry ** 2, axis=1))  # radius of the parcel
    slack = np.clip(cell / 2 - half - 1.0, 0, None)
    mx = xmin + (cj + 0.5) * cell + rng.uniform(-1, 1, n_parcels) * slack
    my = ymin + (ci + 0.5) * cell + rng.uniform(-1, 1, n_parcels) * slack
    coords = np.stack([rx + mx[:, None], ry + my[:, None]], axis=2)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)  # close rings
    geoms = shapely.polygons(coords)
    assert shapely.is_valid(geoms).all()
    ids = np.char.add("p", np.char.zfill(np.arange(1, n_parcels + 1).astype(str), 6))
    gdf = gpd.GeoDataFrame({"zone_id": ids, "parcel_id": ids,
                            "code": rng.choice(CROP_CODES, n_parcels)},
                           geometry=geoms, crs="EPSG:2154")
    tmp = path.with_suffix(".tmp.gpkg")
    gdf.to_file(tmp, driver="GPKG", engine="pyogrio")
    tmp.replace(path)


def make_communes(path: Path, size: int, n_communes: int):
    """Voronoi cells of uniform random seeds over the raster extent, clipped to it."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(SEED + 2)
    xmin, ymin, xmax, ymax = _extent(size)
    pts = shapely.multipoints(np.column_stack([rng.uniform(xmin, xmax, n_communes),
                                               rng.uniform(ymin, ymax, n_communes)]))
    ext = shapely.box(xmin, ymin, xmax, ymax)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=ext))
    cells = shapely.intersection(cells, ext)
    cells = cells[shapely.area(cells) > 0]
    ids = np.char.add("c", np.char.zfill(np.arange(1, len(cells) + 1).astype(str), 4))
    gdf = gpd.GeoDataFrame({"zone_id": ids}, geometry=cells, crs="EPSG:2154")
    tmp = path.with_suffix(".tmp.gpkg")
    gdf.to_file(tmp, driver="GPKG", engine="pyogrio")
    tmp.replace(path)


def ensure_data(size: int, n_parcels: int, n_communes: int) -> dict[str, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    paths = data_paths(size, n_parcels, n_communes)
    for key, maker, args in (("tif", make_landcover, (size,)),
                             ("parcels", make_parcels, (size, n_parcels)),
                             ("communes", make_communes, (size, n_communes))):
        if not paths[key].exists():
            t = time.perf_counter()
            maker(paths[key], *args)
            print(f"  built {paths[key].name} in {time.perf_counter() - t:.1f} s", flush=True)
        else:
            print(f"  cached {paths[key].name}", flush=True)
    return paths


# --------------------------------------------------------------------------- memory
def _status_mib() -> dict[str, float]:
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":")
                    out[k] = int(v.split()[0]) / 1024
    except OSError:
        pass
    return out


def _reset_peak() -> bool:
    """Reset VmHWM (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- cases
def run_exact_extract(tif, zones):
    import rasterio
    from exactextract import exact_extract

    with rasterio.open(tif) as src:
        pixel_ha = abs(src.transform.a * src.transform.e) * 1e-4
    res = exact_extract(str(tif), zones, ["unique", "frac", "count"],
                        include_cols=["zone_id"], output="pandas")
    total = 0.0
    n_rows = 0
    for frac, count in zip(res["frac"], res["count"]):
        total += float(np.sum(frac)) * float(count) * pixel_ha
        n_rows += len(frac)
    return {"total_ha": total, "n_rows": n_rows}


def run_numpy(tif, zones):
    """Lower bound: whole raster in memory, one rasterize, one bincount."""
    import rasterio
    from rasterio.features import rasterize

    t0 = time.perf_counter()
    with rasterio.open(tif) as src:
        lc = src.read(1)
        transform, nodata = src.transform, src.nodata
    t1 = time.perf_counter()
    shapes = zip(zones.geometry.values, range(1, len(zones) + 1))
    zone = rasterize(shapes, out_shape=lc.shape, transform=transform, fill=0, dtype="int32",
                     all_touched=False)
    t2 = time.perf_counter()
    # codes present (exact; chunked so no 800 MB intp temporary), then a uint8 lookup table
    seen = np.zeros(int(np.iinfo(lc.dtype).max) + 1, dtype=bool)
    flat = lc.reshape(-1)
    for i in range(0, flat.size, CHUNK):
        seen[flat[i:i + CHUNK]] = True
    if nodata is not None:
        seen[int(nodata)] = False
    present = np.flatnonzero(seen)
    ncodes = len(present) + 1  # last bin = nodata / unknown
    lut = np.full(seen.size, ncodes - 1, dtype=np.uint8)
    lut[present] = np.arange(len(present))
    key = zone  # in place, int32: zone * ncodes + code_index
    key *= np.int32(ncodes)
    key += lut[lc]
    key = key.reshape(-1)
    t3 = time.perf_counter()
    nbins = (len(zones) + 1) * ncodes
    assert nbins < 2 ** 31, "int32 keys would overflow"
    counts = np.zeros(nbins, dtype=np.int64)
    for i in range(0, key.size, CHUNK):  # = np.bincount(key) without the intp copy of key
        counts += np.bincount(key[i:i + CHUNK], minlength=nbins)
    t4 = time.perf_counter()
    counts = counts.reshape(-1, ncodes)[1:, : ncodes - 1]  # drop outside-zone row and nodata
    pixel_ha = abs(transform.a * transform.e) * 1e-4
    sub = {"read": t1 - t0, "rasterize": t2 - t1, "keys": t3 - t2, "bincount": t4 - t3}
    return {"total_ha": float(counts.sum()) * pixel_ha,
            "n_rows": int(np.count_nonzero(counts)), "sub": sub}


def run_case(case: str, layer: str, paths: dict[str, Path]):
    import geopandas as gpd

    zones = gpd.read_file(paths[layer], engine="pyogrio")
    parcels = None
    if case.endswith("+parcels"):
        parcels = gpd.read_file(paths["parcels"], engine="pyogrio")[["parcel_id", "code",
                                                                      "geometry"]]
    from espass_geo.core.areas import area_table_from_raster

    tif = paths["tif"]

    def once():
        if case in ("exact", "center", *EXTRA_CASES):
            engine = case.split("+")[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                at = area_table_from_raster(zones, tif, parcels=parcels, engine=engine)
            return {"total_ha": float(at.table["area_ha"].sum()), "n_rows": len(at.table),
                    "table": at.table}
        if case == "ee_direct":
            return run_exact_extract(tif, zones)
        if case == "numpy":
            return run_numpy(tif, zones)
        raise ValueError(case)

    return zones, once


def child_main(args) -> None:
    paths = data_paths(args.size, args.parcels, args.communes)
    zones, once = run_case(args.case, args.layer, paths)
    gc.collect()
    base = _status_mib().get("VmRSS", float("nan"))
    reset_ok = _reset_peak()
    times, subs, res = [], [], None
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = once()
        times.append(time.perf_counter() - t)
        subs.append(res.pop("sub", None))
        table = res.pop("table", None)
        if table is not None and args.dump:
            table.to_csv(args.dump, index=False)
        del table
        gc.collect()
    st = _status_mib()
    best = int(np.argmin(times))
    out = {"case": args.case, "layer": args.layer, "n_zones": len(zones), "times": times,
           "best": times[best], "sub": subs[best], **res,
           "polygon_ha": float(zones.geometry.area.sum() * 1e-4),
           "rss_base_mib": base,
           "peak_rss_mib": st.get("VmHWM") if reset_ok else
           resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "peak_is_case_only": reset_ok}
    print("RESULT " + json.dumps(out), flush=True)


# --------------------------------------------------------------------------- report
def versions() -> list[str]:
    import dask
    import exactextract
    import geopandas
    import pandas
    import rasterio
    import shapely

    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:
        ncpu = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return [
        f"machine: {platform.machine()} {cpu}, nproc={ncpu}, RAM={mem:.1f} GiB, "
        f"{platform.system()} {platform.release()}",
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pandas.__version__}, "
        f"geopandas {geopandas.__version__}",
        f"rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}), exactextract "
        f"{exactextract.__version__}, shapely {shapely.__version__} (GEOS "
        f"{shapely.geos_version_string}), dask {dask.__version__}",
    ]


def spawn(case: str, layer: str, args, dump: Path | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", case, layer,
           "--size", str(args.size), "--parcels", str(args.parcels),
           "--communes", str(args.communes), "--repeat", str(args.repeat)]
    if dump is not None:
        cmd += ["--dump", str(dump)]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if p.returncode != 0 or line is None:
        sys.stderr.write(p.stdout + p.stderr)
        return {"case": case, "layer": layer, "error": (p.stderr.strip().splitlines() or ["?"])[-1]}
    r = json.loads(line[len("RESULT "):])
    r["child_wall"] = wall
    return r


def fmt_table(results: list[dict]) -> list[str]:
    lines = ["| zones | case | seconds (best) | × exactextract direct | × numpy single pass "
             "| total area ha | rows | peak RSS MiB (Δ case) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for layer in LAYERS:
        rs = {r["case"]: r for r in results if r["layer"] == layer}
        ee = rs.get("ee_direct", {}).get("best")
        npy = rs.get("numpy", {}).get("best")
        for case in (*MAIN_CASES, *EXTRA_CASES):
            r = rs.get(case)
            if r is None:
                continue
            if "error" in r:
                lines.append(f"| {layer} | {case} | ERROR: {r['error']} | | | | | |")
                continue
            sec = r["best"]
            lines.append(
                f"| {layer} ({r['n_zones']}) | {case} | {sec:.2f} | "
                f"{sec / ee:.2f} | {sec / npy:.2f} | {r['total_ha']:,.1f} | {r['n_rows']} | "
                f"{r['peak_rss_mib']:.0f} (+{r['peak_rss_mib'] - r['rss_base_mib']:.0f}) |"
                if ee and npy else f"| {layer} | {case} | {sec:.2f} | | | | | |")
            if case == "numpy" and r.get("sub"):
                s = r["sub"]
                b = s["bincount"]
                lines.append(
                    f"| {layer} ({r['n_zones']}) | numpy: bincount alone | {b:.2f} | "
                    f"{b / ee:.3f} | {b / npy:.2f} | | | (read {s['read']:.2f} s, rasterize "
                    f"{s['rasterize']:.2f} s, keys {s['keys']:.2f} s) |")
    return lines


def consistency(results: list[dict]) -> tuple[list[str], bool]:
    lines, ok = [], True
    for layer in LAYERS:
        rs = {r["case"]: r for r in results if r["layer"] == layer and "error" not in r}
        if not all(c in rs for c in ("exact", "ee_direct", "numpy")):
            continue
        a, c, d = (rs[k]["total_ha"] for k in ("exact", "ee_direct", "numpy"))
        poly = rs["exact"]["polygon_ha"]
        rel = {"(a) exact vs (c) ee_direct": a / c - 1, "(a) exact vs (d) numpy": a / d - 1,
               "(c) ee_direct vs (d) numpy": c / d - 1, "(a) exact vs polygon area": a / poly - 1}
        if "center" in rs:
            rel["(b) center vs (a) exact"] = rs["center"]["total_ha"] / a - 1
        good = all(abs(v) <= 0.005 for k, v in rel.items() if "(b)" not in k)
        ok &= good
        lines.append(f"{layer}: totals (a) {a:,.2f} ha, (c) {c:,.2f} ha, (d) {d:,.2f} ha, "
                     f"polygons {poly:,.2f} ha -> {'OK' if good else 'FAIL'} (tolerance 0.5 %)")
        lines += [f"    {k}: {100 * v:+.4f} %" for k, v in rel.items()]
    return lines, ok


def parcels_comparison(results: list[dict], dumps: dict[str, Path]) -> tuple[list[str], bool]:
    """The ``+parcels`` cases against ``exact+parcels`` of the same run: time ratio and the
    largest |difference| per zone × code (``hybrid+parcels`` must be within PARCELS_TOL_HA)."""
    import pandas as pd

    rs = {r["case"]: r for r in results if r["case"] in EXTRA_CASES and "error" not in r}
    ref = rs.get("exact+parcels")
    if ref is None or not dumps.get("exact+parcels", Path("-")).exists():
        return [], True

    def cells(case):
        t = pd.read_csv(dumps[case], dtype={"zone_id": str, "code": str})
        return t.groupby(["zone_id", "code"])["area_ha"].sum()

    e = cells("exact+parcels")
    ez = e.groupby(level="zone_id").sum()
    lines = ["| case (communes + parcels) | seconds (best) | × exact+parcels | speed-up | "
             "max abs diff per zone × code (ha) | max abs diff per zone (ha) |",
             "|---|---:|---:|---:|---:|---:|"]
    ok = True
    for case in EXTRA_CASES:
        r = rs.get(case)
        if r is None or not dumps.get(case, Path("-")).exists():
            continue
        c = cells(case)
        cell = float(c.sub(e, fill_value=0.0).abs().max())
        zone = float(c.groupby(level="zone_id").sum().sub(ez, fill_value=0.0).abs().max())
        if case == "hybrid+parcels":
            ok &= cell <= PARCELS_TOL_HA
        lines.append(f"| {case} | {r['best']:.2f} | {r['best'] / ref['best']:.2f} | "
                     f"×{ref['best'] / r['best']:.2f} | {cell:.1e} | {zone:.1e} |")
    return lines, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=10_000, help="raster side in pixels (20 m)")
    ap.add_argument("--parcels", type=int, default=50_000, help="number of parcels")
    ap.add_argument("--communes", type=int, default=200, help="number of commune-like zones")
    ap.add_argument("--repeat", type=int, default=1, help="repetitions per case (best kept)")
    ap.add_argument("--quick", action="store_true", help="smoke run: --size 2000 --parcels 2000")
    ap.add_argument("--cases", default=",".join(MAIN_CASES + EXTRA_CASES),
                    help="comma-separated subset of cases")
    ap.add_argument("--layers", default=",".join(LAYERS), help="comma-separated zone layers")
    ap.add_argument("--no-extra", action="store_true", help="skip exact+parcels/center+parcels")
    ap.add_argument("--json", type=Path, default=None, help="also write results to this JSON")
    ap.add_argument("--_child", nargs=2, metavar=("CASE", "LAYER"), help=argparse.SUPPRESS)
    ap.add_argument("--dump", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.size, args.parcels = 2_000, 2_000
    if args._child:
        args.case, args.layer = args._child
        child_main(args)
        return

    print(f"# bench_area_table  {time.strftime('%Y-%m-%d %H:%M:%S')}")
    for line in versions():
        print("# " + line)
    km = args.size * PIXEL / 1000
    print(f"# raster {args.size}x{args.size} px uint16 @ {PIXEL:.0f} m ({km:.0f} x {km:.0f} km), "
          f"{args.parcels} parcels, {args.communes} communes, repeat={args.repeat}")
    t = time.perf_counter()
    ensure_data(args.size, args.parcels, args.communes)
    print(f"# data ready in {time.perf_counter() - t:.1f} s", flush=True)

    cases = [c for c in args.cases.split(",") if c]
    if args.no_extra:
        cases = [c for c in cases if c not in EXTRA_CASES]
    results = []
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench_area_table_"))
    dumps = {c: tmp / f"{c.replace('+', '_')}.csv" for c in EXTRA_CASES}
    for layer in [x for x in args.layers.split(",") if x]:
        for case in cases:
            if case in EXTRA_CASES and layer != "communes":
                continue
            r = spawn(case, layer, args, dump=dumps.get(case))
            results.append(r)
            if "error" in r:
                print(f"  {layer:8s} {case:15s} ERROR {r['error']}", flush=True)
            else:
                print(f"  {layer:8s} {case:15s} {r['best']:8.2f} s  (runs "
                      f"{', '.join(f'{x:.2f}' for x in r['times'])}; peak RSS "
                      f"{r['peak_rss_mib']:.0f} MiB, base {r['rss_base_mib']:.0f} MiB)",
                      flush=True)
    print()
    for line in fmt_table(results):
        print(line)
    print()
    lines, ok = consistency(results)
    print("Consistency check (total area):")
    for line in lines:
        print("  " + line)
    plines, pok = parcels_comparison(results, dumps)
    if plines:
        print(f"\nParcels path vs exact+parcels (same run; hybrid+parcels must agree within "
              f"{PARCELS_TOL_HA:g} ha per zone × code -> {'OK' if pok else 'FAIL'}):")
        for line in plines:
            print(line)
    ok &= pok
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    out = args.json or DATA / f"results_{args.size}px_{args.parcels}p.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M:%S"), "versions": versions(),
                               "args": {k: (str(v) if isinstance(v, Path) else v)
                                        for k, v in vars(args).items()},
                               "results": results}, indent=1))
    print(f"\n(results written to {out})")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
