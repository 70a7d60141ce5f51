#!/usr/bin/env python3
"""Side-by-side benchmark: InVEST « Carbon Storage and Sequestration » vs espass_geo (#14 item 5).

Same inputs for every case, built by the vendored peer harness ``benchmarks/invest_carbon.py``
(a deterministic Corine-like land-cover pair, current + future, uint16, nodata 0, 10 m pixels,
Lambert-93, DEFLATE-tiled GeoTIFF, and InVEST's carbon-pools table in tC/ha), cached in
``benchmarks/_data/invest/``. Same product for the three timed implementations: the per-pixel
stock map of both dates and their totals (tC).

  invest   natcap.invest.carbon.execute in InVEST's own interpreter (``--invest-python``; it is
           never a dependency of espass_geo): writes c_storage_bas/alt + c_change_bas_alt
           (and its per-pool intermediates), totals in raster_values_summary.csv.
  espass   espass_geo.core.density: ``density_grid(tif, zone, lut)`` (one pass by blocks on a
           thread pool; above 2²⁵ px written block by block to a tiled file, never whole in
           memory) + ``write_density_grid`` for both dates (float32 tC/ha Cloud-Optimized
           GeoTIFF with averaged overviews, as the package writes it), then the change map
           computed block by block and written the same way, so the outputs match InVEST's three rasters; one zone = the raster's bounding
           box; LUT[1, code] = c_above + c_below + c_soil + c_dead of the pools table (the
           same densities as InVEST, so the totals must agree exactly).
  espass_mt  the same ``density_grid``, the maps written as a plain tiled DEFLATE GeoTIFF
           (no COG, no overviews — like InVEST's outputs) with ``num_threads="ALL_CPUS"``:
           what the COG overviews cost.
  api      espass_geo.api.stocks(zone, landcover=…) for both dates (ALDO densities: the area
           table, the stock table and the density grid) + the density map written: what a
           user of the public API runs. Its totals differ from InVEST's by construction
           (ALDO factors, not the pools table); they are checked against its own stock table.
  numpy    the lower bound: read both rasters whole (rasterio), per-pixel LUT, sum; no output.

Each case runs in its own child process (peak RSS = the child's ``ru_maxrss`` via wait4),
wall time = the whole child process (imports included) and ``work_s`` = the timed work inside
it. Ratios are computed on figures of the same run.

Usage::

    python3 benchmarks/bench_invest.py --invest-python /path/to/invest-venv/bin/python
    python3 benchmarks/bench_invest.py --sizes 1000 --cases espass,numpy      # no InVEST needed
    python3 benchmarks/bench_invest.py --sizes 10000 --profile espass         # cProfile top 25
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "_data" / "invest"
HARNESS = HERE / "invest_carbon.py"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CASES = ("invest", "espass", "espass_mt", "api", "numpy")
EXTRA_CASES = ("breakdown",)  # not run by default: per-step timing of the espass path
SEED = 42
PIXEL = 10.0


def _harness():
    spec = importlib.util.spec_from_file_location("invest_carbon", HARNESS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _inputs(size: int) -> dict:
    return _harness().generate_inputs(str(DATA), size=size, pixel_size=PIXEL, seed=SEED)


def _pool_lut(pools_csv: str) -> np.ndarray:
    """LUT[1, code] = total density (tC/ha) of the InVEST pools table; row 0 = outside zones."""
    import csv

    from espass_geo.core.density import MAX_CODE

    lut = np.full((2, MAX_CODE), np.nan, dtype="float32")
    with open(pools_csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            lut[1, int(row["lucode"])] = sum(float(row[k]) for k in
                                             ("c_above", "c_below", "c_soil", "c_dead"))
    return lut


def _zone(tif: str):
    import geopandas as gpd
    import rasterio
    from shapely.geometry import box

    with rasterio.open(tif) as src:
        bounds = src.bounds
    return gpd.GeoDataFrame({"zone_id": ["bbox"], "name": ["emprise du raster"]},
                            geometry=[box(*bounds)], crs="EPSG:2154")


def _grid_total(grid) -> float:
    return grid.total_stock_tC()  # by blocks when the grid is on disk


def _change_grid(cur, fut):
    """The stock change map fut − cur (tC/ha; NODATA where either date has none), computed
    block by block into a tiled GeoTIFF like the package's density grids (never whole in
    memory when the grids are on disk)."""
    import shutil
    import tempfile
    import weakref

    import rasterio
    from rasterio.windows import Window

    from espass_geo.core.density import NODATA, DensityGrid

    if not cur.on_disk:
        both = (cur.array != NODATA) & (fut.array != NODATA)
        d = np.where(both, fut.array - cur.array, np.float32(NODATA)).astype("float32")
        return DensityGrid(array=d, transform=cur.transform, crs=cur.crs)
    tmp = tempfile.mkdtemp(prefix="bench-change-")
    path = Path(tmp) / "change.tif"
    h, w = cur.shape
    with rasterio.open(cur.path) as a, rasterio.open(fut.path) as b, rasterio.open(
            path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
            nodata=NODATA, crs=cur.crs, transform=cur.transform, tiled=True, blockxsize=512,
            blockysize=512, compress="zstd", zstd_level=1, bigtiff="YES", sparse_ok=True,
            num_threads="ALL_CPUS") as dst:
        for r in range(0, h, 1024):
            for c in range(0, w, 1024):
                win = Window(c, r, min(1024, w - c), min(1024, h - r))
                x, y = a.read(1, window=win), b.read(1, window=win)
                d = np.where((x != NODATA) & (y != NODATA), y - x, np.float32(NODATA))
                dst.write(d.astype("float32")[None], window=win)
    grid = DensityGrid(transform=cur.transform, crs=cur.crs, path=path, shape=cur.shape)
    weakref.finalize(grid, shutil.rmtree, tmp, True)
    return grid


# --------------------------------------------------------------------------- cases (child)
def _case_grids(inp: dict, out: Path, write) -> dict:
    """Both dates' density grids (``core.density.density_grid``), each written by ``write``,
    their totals, then the change map written the same way; stage timings."""
    from espass_geo.core.density import density_grid

    st: dict[str, float] = {}
    t = time.perf_counter()
    lut = _pool_lut(inp["pools_csv"])
    zones = _zone(inp["lulc_cur"])
    st["setup_s"] = time.perf_counter() - t
    grids, totals = {}, {}
    for date in ("cur", "fut"):
        t = time.perf_counter()
        grids[date] = density_grid(inp[f"lulc_{date}"], zones, lut)
        st[f"density_{date}_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write(grids[date], out / f"stock_density_{date}.tif")
        st[f"write_{date}_s"] = time.perf_counter() - t
        t = time.perf_counter()
        totals[date] = _grid_total(grids[date])
        st[f"total_{date}_s"] = time.perf_counter() - t
    t = time.perf_counter()
    write(_change_grid(grids["cur"], grids["fut"]), out / "stock_density_change.tif")
    st["change_map_s"] = time.perf_counter() - t
    return {"total_cur_tC": totals["cur"], "total_fut_tC": totals["fut"],
            "delta_tC": totals["fut"] - totals["cur"], "stages": st}


def case_espass(inp: dict, out: Path) -> dict:
    """The maps written by the package's ``write_density_grid`` (COG with overviews)."""
    from espass_geo.core.density import write_density_grid

    return _case_grids(inp, out, write_density_grid)


def _write_threaded(grid, out_path: Path) -> None:
    """A plain tiled DEFLATE GeoTIFF (256² tiles, floating-point predictor; no COG, no
    overviews) with ``num_threads="ALL_CPUS"``: GDAL copies the grid's tiled file (or the
    array) and compresses on every core."""
    import rasterio
    from rasterio.shutil import copy as copy_raster

    opts = {"driver": "GTiff", "compress": "deflate", "tiled": True, "blockxsize": 256,
            "blockysize": 256, "predictor": 3, "bigtiff": "IF_SAFER", "num_threads": "ALL_CPUS"}
    if grid.on_disk:
        copy_raster(str(grid.path), out_path, **opts)
        return
    height, width = grid.shape
    with rasterio.open(out_path, "w", width=width, height=height, count=1, dtype="float32",
                       nodata=grid.nodata, crs=grid.crs, transform=grid.transform,
                       **opts) as dst:
        dst.update_tags(units="tC/ha")
        dst.write(grid.array[np.newaxis])


def case_espass_mt(inp: dict, out: Path) -> dict:
    """``espass`` with the maps written by :func:`_write_threaded` (the package's
    ``density_grid``; plain tiled GeoTIFF, threaded DEFLATE, no COG overviews)."""
    return _case_grids(inp, out, _write_threaded)


def case_api(inp: dict, out: Path) -> dict:
    import warnings

    from espass_geo import api
    from espass_geo.core.density import write_density_grid

    st: dict[str, float] = {}
    zones = _zone(inp["lulc_cur"])
    totals, table_totals = {}, {}
    for date in ("cur", "fut"):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = api.stocks(zones, landcover=inp[f"lulc_{date}"], id_field="zone_id",
                             zpc="2_1", region="11")
        st[f"stocks_{date}_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write_density_grid(res.density, out / f"stock_density_{date}.tif")
        st[f"write_{date}_s"] = time.perf_counter() - t
        totals[date] = _grid_total(res.density)
        s = res.stocks
        table_totals[date] = float(s["stock_tC"].sum())
    return {"total_cur_tC": totals["cur"], "total_fut_tC": totals["fut"],
            "delta_tC": totals["fut"] - totals["cur"],
            "stock_table_cur_tC": table_totals["cur"], "stock_table_fut_tC": table_totals["fut"],
            "stages": st}


def case_numpy(inp: dict, out: Path) -> dict:
    import rasterio

    lut = _pool_lut(inp["pools_csv"])[1].copy()
    lut[np.isnan(lut)] = 0.0  # nodata 0 and unknown codes weigh nothing
    st: dict[str, float] = {}
    totals = {}
    px_ha = PIXEL * PIXEL / 1e4
    for date in ("cur", "fut"):
        t = time.perf_counter()
        with rasterio.open(inp[f"lulc_{date}"]) as src:
            a = src.read(1)
        st[f"read_{date}_s"] = time.perf_counter() - t
        t = time.perf_counter()
        m = lut[a]  # the per-pixel stock density map, in memory
        st[f"lut_{date}_s"] = time.perf_counter() - t
        t = time.perf_counter()
        totals[date] = float(m.sum(dtype=np.float64)) * px_ha
        st[f"sum_{date}_s"] = time.perf_counter() - t
        del a, m
    return {"total_cur_tC": totals["cur"], "total_fut_tC": totals["fut"],
            "delta_tC": totals["fut"] - totals["cur"], "stages": st}


def case_breakdown(inp: dict, out: Path) -> dict:
    """Where ``density_grid`` + ``write_density_grid`` spend their time, for the current date:
    the same block loop as ``core.density.density_grid`` (1024² blocks) with a timer per step,
    then the map written by the package's ``write_density_grid`` (COG), its two steps timed
    apart, and as a plain GeoTIFF without compression / with threaded DEFLATE."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from rasterio.windows import transform as window_transform
    from shapely.geometry import box

    from espass_geo.core.density import MAX_CODE, NODATA, DensityGrid, write_density_grid

    lut = _pool_lut(inp["pools_csv"])
    zones = _zone(inp["lulc_cur"])
    st = dict.fromkeys(("alloc", "sindex", "rasterize_zone", "read", "astype_int64", "mask",
                        "lut_gather", "assign"), 0.0)
    bs = 1024
    with rasterio.open(inp["lulc_cur"]) as src:
        height, width = src.height, src.width
        t = time.perf_counter()
        grid = np.full((height, width), NODATA, dtype="float32")
        st["alloc"] += time.perf_counter() - t
        geoms, sidx = zones.geometry.values, zones.sindex
        for row in range(0, height, bs):
            for col in range(0, width, bs):
                h, w = min(bs, height - row), min(bs, width - col)
                win = Window(col, row, w, h)
                wt = window_transform(win, src.transform)
                t = time.perf_counter()
                hit = sidx.query(box(*window_bounds(win, src.transform)), predicate="intersects")
                st["sindex"] += time.perf_counter() - t
                t = time.perf_counter()
                zi = rasterize(((geoms[i], int(i) + 1) for i in hit), out_shape=(h, w),
                               transform=wt, fill=0, dtype="int32")
                st["rasterize_zone"] += time.perf_counter() - t
                t = time.perf_counter()
                raw = src.read(1, window=win)
                st["read"] += time.perf_counter() - t
                t = time.perf_counter()
                lc = raw.astype(np.int64)
                st["astype_int64"] += time.perf_counter() - t
                t = time.perf_counter()
                valid = (zi > 0) & (lc > 0) & (lc < MAX_CODE)
                if src.nodata is not None:
                    valid &= lc != src.nodata
                st["mask"] += time.perf_counter() - t
                t = time.perf_counter()
                vals = lut[zi[valid], lc[valid]]
                st["lut_gather"] += time.perf_counter() - t
                t = time.perf_counter()
                grid[row:row + h, col:col + w][valid] = np.where(np.isnan(vals), NODATA, vals)
                st["assign"] += time.perf_counter() - t
        dg = DensityGrid(array=grid, transform=src.transform, crs=src.crs)
    st = {f"density.{k}_s": v for k, v in st.items()}
    t = time.perf_counter()
    write_density_grid(dg, out / "pkg.tif")
    st["write.package_s"] = time.perf_counter() - t
    size_pkg = (out / "pkg.tif").stat().st_size
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1,
               "dtype": "float32", "nodata": NODATA, "crs": dg.crs, "transform": dg.transform,
               "tiled": True, "blockxsize": 256, "blockysize": 256, "bigtiff": "IF_SAFER"}
    arr3 = grid[np.newaxis]  # a view: what rasterio's write(arr, 1) copies with np.stack
    t = time.perf_counter()
    _ = np.stack([grid])
    st["write.stack_copy_s"] = time.perf_counter() - t
    del _
    # the package's writer, step by step: DEFLATE GeoTIFF in memory, then the COG copy
    # (overviews averaged, DEFLATE + floating-point predictor)
    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as copy_raster

    with MemoryFile() as mem:
        t = time.perf_counter()
        with mem.open(compress="deflate", predictor=2, **profile) as dst:
            dst.write(grid, 1)
        st["write.pkg_step1_memory_gtiff_s"] = time.perf_counter() - t
        t = time.perf_counter()
        with mem.open() as src:
            copy_raster(src, out / "cog.tif", driver="COG", compress="DEFLATE", predictor="YES",
                        blocksize=256, overview_resampling="AVERAGE", bigtiff="IF_SAFER")
        st["write.pkg_step2_cog_copy_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with rasterio.open(out / "raw.tif", "w", **profile) as dst:
        dst.write(arr3)
    st["write.uncompressed_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with rasterio.open(out / "thr.tif", "w", compress="deflate", predictor=2,
                       num_threads="ALL_CPUS", **profile) as dst:
        dst.write(arr3)
    st["write.deflate_all_cpus_s"] = time.perf_counter() - t
    return {"stages": st, "package_tif_mb": round(size_pkg / 2**20, 1),
            "threaded_tif_mb": round((out / "thr.tif").stat().st_size / 2**20, 1),
            "uncompressed_tif_mb": round((out / "raw.tif").stat().st_size / 2**20, 1)}


def _child(case: str, size: int, profile: bool) -> None:
    inp = _inputs(size)
    # imports are not timed (the child's wall_s still includes them)
    import geopandas  # noqa: F401
    import rasterio  # noqa: F401

    import espass_geo.core.density  # noqa: F401
    if case == "api":
        import espass_geo.api  # noqa: F401
    out = Path(tempfile.mkdtemp(prefix=f"bench_invest_{case}_"))
    fn = {"breakdown": case_breakdown, "espass": case_espass, "espass_mt": case_espass_mt, "api": case_api, "numpy": case_numpy}[case]
    try:
        if profile:
            import cProfile
            import io
            import pstats

            prof = cProfile.Profile()
            t = time.perf_counter()
            res = prof.runcall(fn, inp, out)
            res["work_s"] = time.perf_counter() - t
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
            print(s.getvalue(), file=sys.stderr)
        else:
            t = time.perf_counter()
            res = fn(inp, out)
            res["work_s"] = time.perf_counter() - t
    finally:
        shutil.rmtree(out, ignore_errors=True)
    res["stages"] = {k: round(v, 3) for k, v in res["stages"].items()}
    print(json.dumps(res))


# --------------------------------------------------------------------------- parent
def _measured(cmd: list[str]) -> tuple[int, str, str, float, float]:
    return _harness()._run_measured(cmd)


def run_case(case: str, size: int, invest_python: str | None, profile: bool) -> dict:
    h = _harness()
    if case == "invest":
        if not invest_python:
            return {"error": "--invest-python manquant"}
        cmd = [invest_python, str(HARNESS), "--mode", "invest", "--size", str(size),
               "--pixel-size", str(PIXEL), "--seed", str(SEED), "--workdir", str(DATA)]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", case,
               "--sizes", str(size)] + (["--profile", case] if profile else [])
    rc, so, se, wall, rss = _measured(cmd)
    res = h._last_json(so) or {}
    if case == "invest" and "wall_s" in res:
        res["work_s"] = res.pop("wall_s")
    res.update(rc=rc, wall_s=round(wall, 3), peak_rss_mb=round(rss, 1))
    if profile and se:
        res["profile"] = se
    if rc != 0:
        res["stderr_tail"] = se.strip()[-1500:]
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,4000,10000", help="raster sides in pixels")
    p.add_argument("--cases", default=",".join(CASES), help=f"among {','.join(CASES)}")
    p.add_argument("--invest-python", default=None, help="interpreter of InVEST's own venv")
    p.add_argument("--profile", default=None, help="a case to run under cProfile (top 25)")
    p.add_argument("--json", default=None, help="also write all results to this file")
    p.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    if a._child:
        _child(a._child, sizes[0], a.profile == a._child)
        return 0
    cases = [c for c in a.cases.split(",") if c]
    bad = set(cases) - set(CASES) - set(EXTRA_CASES)
    if bad:
        p.error(f"cas inconnu(s) {sorted(bad)} ; choisir parmi {','.join(CASES)}")
    all_res = []
    for size in sizes:
        t = time.perf_counter()
        inp = _inputs(size)
        ref = inp["reference"]
        print(f"\n== {size} x {size} px ({inp['valid_pixels']:,} valid, "
              f"{inp['valid_pixels'] * PIXEL ** 2 / 1e4:,.0f} ha), inputs "
              f"{'cached' if inp['cached'] else 'built'} in {time.perf_counter() - t:.1f} s; "
              f"reference cur {ref['total_cur_tC']:,.1f} tC, fut {ref['total_fut_tC']:,.1f} tC")
        row: dict[str, dict] = {}
        for case in cases:
            r = run_case(case, size, a.invest_python, a.profile == case)
            row[case] = r
            if "profile" in r:
                print(r.pop("profile"))
            errs = ""
            if case not in ("api", "breakdown") and "total_cur_tC" in r:
                e = max(abs(r[k] - ref[k]) / abs(ref[k]) for k in ("total_cur_tC", "total_fut_tC"))
                r["rel_err_vs_reference"] = e
                errs = f"rel.err vs reference {e:.1e}"
            elif case == "api" and "total_cur_tC" in r:
                e = max(abs(r[f"total_{d}_tC"] - r[f"stock_table_{d}_tC"])
                        / abs(r[f"stock_table_{d}_tC"]) for d in ("cur", "fut"))
                r["rel_err_map_vs_table"] = e
                errs = (f"ALDO totals cur {r['total_cur_tC']:,.1f} fut {r['total_fut_tC']:,.1f} tC"
                        f"; map vs stock table {e:.1e}")
            if r.get("rc"):
                errs = "FAILED: " + r.get("stderr_tail", r.get("error", ""))[-600:]
            r["loadavg_1min"] = round(os.getloadavg()[0], 2)
            print(f"  {case:7s} wall {r['wall_s']:7.2f} s  work {r.get('work_s', float('nan')):7.2f} s"
                  f"  peak {r['peak_rss_mb']:7.0f} MiB  load {r['loadavg_1min']:.1f}  {errs}")
            if "stages" in r:
                print("          stages: " + ", ".join(f"{k} {v}" for k, v in r["stages"].items()))
            sizes_mb = {k: v for k, v in r.items() if k.endswith("_tif_mb")}
            if sizes_mb:
                print(f"          output sizes MiB: {sizes_mb}")
        ok = {c: r for c, r in row.items() if not r.get("rc") and "work_s" in r}

        def ratio(x: str, y: str, key: str, ok: dict = ok) -> str:
            if x in ok and y in ok and ok[y][key]:
                return f"{ok[x][key] / ok[y][key]:.2f}"
            return "—"

        print(f"  ratios (wall / work): invest/espass {ratio('invest', 'espass', 'wall_s')} / "
              f"{ratio('invest', 'espass', 'work_s')}; invest/espass_mt "
              f"{ratio('invest', 'espass_mt', 'wall_s')} / {ratio('invest', 'espass_mt', 'work_s')}"
              f"; invest/api {ratio('invest', 'api', 'wall_s')}"
              f" / {ratio('invest', 'api', 'work_s')}; espass/numpy "
              f"{ratio('espass', 'numpy', 'wall_s')} / {ratio('espass', 'numpy', 'work_s')}; "
              f"espass_mt/numpy {ratio('espass_mt', 'numpy', 'wall_s')} / "
              f"{ratio('espass_mt', 'numpy', 'work_s')}")
        if "invest" in ok and "espass" in ok:
            e = max(abs(ok["espass"][k] - ok["invest"][k]) / abs(ok["invest"][k])
                    for k in ("total_cur_tC", "total_fut_tC", "delta_tC"))
            print(f"  espass vs InVEST totals: max rel.err {e:.1e}")
        all_res.append({"size": size, "reference": ref, "cases": row})
    if a.json:
        Path(a.json).write_text(json.dumps(all_res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
