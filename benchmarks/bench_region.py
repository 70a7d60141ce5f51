#!/usr/bin/env python3
"""National-scale simulation (issue #14, item 4): the public API on a whole région at 10 m.

A synthetic 10 m land cover of a région-sized square (default 17 320² px = 3.0·10⁸ px,
173 km × 173 km ≈ 30 000 km², Lambert-93), ~700 commune-like Voronoi zones and 50 000 RPG-like
parcels, then the real package path, each step in its own child process:

  stocks            espass_geo.api.stocks(zones, landcover=2018, parcels=…, zpc=…, region=…)
                    then espass_geo.api.write(result, <tmp folder>)
  stocks_noparcels  the same without parcels (to separate the cost of the pixels from the
                    cost of the parcels in the projection)
  flows             espass_geo.api.flows(zones, landcover_before=2012, landcover_after=2018,
                    years=(2012, 2018), zpc=…, region=…) then write

For each child: wall time (whole process), the compute and write times measured inside it,
the peak resident memory of each part (``VmHWM``, reset between them; the reset also lowers
``ru_maxrss``, so the child's peak is the larger of the two parts' peaks and of ``ru_maxrss``
from ``os.wait4``), and, by wrapping a few package functions by name where they
exist (nothing is changed in the package), the time spent in its main stages. Then the
projection to metropolitan France at 10 m (5.5·10⁹ px, ~10 M parcels) as arithmetic from the
measured rates: per pixel from ``stocks_noparcels`` / ``flows`` and per parcel from ``stocks``
minus ``stocks_noparcels`` (two-point slopes when a smaller run of this script is cached,
proportional otherwise, which over-counts the fixed costs).

Data (deterministic, cached in ``benchmarks/_data/region/``, git-ignored): the 2012 raster is
``bench_scale.build_raster`` (uint16, 640 m patches of 12 CLC codes, a quarter of the 80 m cells
recoded, 1 % noise, tiled 512, DEFLATE, written 512 rows at a time: never whole in memory);
2018 = 2012 with, per 80 m cell (hashed, so block-independent), 1.5 % of the agricultural
cells sealed (112), 1 % of arable/grassland cells afforested (311), 0.5 % of forest cells
cleared (324) and 2 % of grassland ploughed (211), written strip by strip too. Zones and
parcels: ``bench_area_table.make_communes`` / ``make_parcels`` (imported), translated onto the
raster; the parcels get RPG fields ``ID_PARCEL``, ``CODE_GROUP`` (1, 2, 18, 20, 28) so that
they go through the package's RPG reader.

Usage::

    python3 benchmarks/bench_region.py --quick      # 2 000² px, 50 zones, 2 000 parcels (< 1 min)
    python3 benchmarks/bench_region.py              # 17 320² px, 700 zones, 50 000 parcels
    python3 benchmarks/bench_region.py --steps stocks --json out.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "_data" / "region"
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

GIB = 1024 ** 3
ZPC, REGION = "2_1", "24"  # Centre-Val de Loire (INSEE 24): the origin of bench_scale's rasters
YEARS = (2012, 2018)
STEPS = ("stocks", "stocks_noparcels", "flows")
FRANCE_PX = 5.5e9  # metropolitan France at 10 m (~550 000 km²)
FRANCE_PARCELS = 10e6  # RPG, order of magnitude (~9.5 M parcels)
GROUP_OF_CODE = {211: "1", 242: "2", 231: "18", 222: "20", 243: "28"}  # RPG CODE_GROUP

# stages timed by wrapping package functions (module, names); a missing name is skipped. A
# stage's time includes the stages it calls (e.g. stocks.stock_density ⊃ density.density_grid).
STAGES = [
    ("espass_geo.api", ["resolve_territory"]),
    ("espass_geo.runs.stocks", ["read_parcels", "parcels_in_territory", "resolve_landcover",
                                "clc_area_table", "compute_stocks", "parcel_area_table",
                                "stock_density", "write_csv", "write_gpkg_layer"]),
    ("espass_geo.runs.flows", ["resolve_landcover", "landcover_change_table", "compute_flows",
                               "change_grid", "write_change_grid", "write_csv",
                               "write_gpkg_layer"]),
    ("espass_geo.core.areas", ["_apply_parcels", "parcel_pieces", "check_coverage"]),
    ("espass_geo.io.change_rasters", ["pair_codes", "area_table_from_raster"]),
    ("espass_geo.core.density", ["density_grid", "write_density_grid", "write_density_raster"]),
    ("espass_geo.present.maps", ["raster_to_png", "stocks_map", "flows_map"]),
]


# --------------------------------------------------------------------------- data
def paths(side: int, n_zones: int, n_parcels: int) -> dict[str, Path]:
    return {"lc2012": DATA / f"clc2012_{side}.tif", "lc2018": DATA / f"clc2018_{side}.tif",
            "zones": DATA / f"communes_{side}_{n_zones}.gpkg",
            "parcels": DATA / f"rpg_{side}_{n_parcels}.gpkg"}


def _offset() -> tuple[float, float]:
    """Shift from bench_area_table's origin to bench_scale's (where the rasters are)."""
    import bench_area_table as bat
    import bench_scale as bs

    return bs.X0 - bat.X0, bs.Y0 - bat.Y0


def build_2018(src_path: Path, dst_path: Path) -> float:
    """2012 → 2018: per 80 m cell (hash of its indices), sealing, afforestation, clearing,
    ploughing; read and written 512 rows at a time."""
    import bench_scale as bs
    import numpy as np
    import rasterio
    from rasterio.windows import Window

    t0 = time.perf_counter()
    tmp = dst_path.with_suffix(".part.tif")
    with rasterio.open(src_path) as src:
        profile = src.profile | {"num_threads": "ALL_CPUS", "bigtiff": "IF_SAFER"}
        side = src.width
        with rasterio.open(tmp, "w", **profile) as dst:
            for row in range(0, src.height, bs.STRIP):
                h = min(bs.STRIP, src.height - row)
                a = src.read(1, window=Window(0, row, side, h))
                ci = (np.arange(row, row + h) // 8)[:, None]
                cj = (np.arange(side) // 8)[None, :]
                u = (bs._hash(ci, cj, 7) % np.uint64(1000)).astype(np.int32)
                agri = np.isin(a, (211, 231, 242, 243))
                out = a.copy()
                out[agri & (u < 15)] = 112
                out[np.isin(a, (211, 231)) & (u >= 15) & (u < 25)] = 311
                out[np.isin(a, (311, 312, 313)) & (u >= 25) & (u < 30)] = 324
                out[(a == 231) & (u >= 30) & (u < 50)] = 211
                dst.write(out, 1, window=Window(0, row, side, h))
    tmp.replace(dst_path)
    return time.perf_counter() - t0


def ensure_data(side: int, n_zones: int, n_parcels: int) -> dict[str, Path]:
    import bench_area_table as bat
    import bench_scale as bs
    import geopandas as gpd

    if side % 2:
        raise SystemExit("--side must be even (the zone generators use 20 m units)")
    DATA.mkdir(parents=True, exist_ok=True)
    p = paths(side, n_zones, n_parcels)
    dx, dy = _offset()
    if not p["lc2012"].exists():
        print(f"  building {p['lc2012'].name} …", flush=True)
        print(f"  built in {bs.build_raster(p['lc2012'], side):.1f} s", flush=True)
    if not p["lc2018"].exists():
        print(f"  building {p['lc2018'].name} …", flush=True)
        print(f"  built in {build_2018(p['lc2012'], p['lc2018']):.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_region_") as d:
        if not p["zones"].exists():
            raw = Path(d) / "communes.gpkg"
            bat.make_communes(raw, side // 2, n_zones)  # side/2 cells of 20 m = side × 10 m
            z = gpd.read_file(raw, engine="pyogrio")
            z["geometry"] = z.geometry.translate(dx, dy)
            z["zone_name"] = [f"Commune {i + 1}" for i in range(len(z))]
            z[["zone_id", "zone_name", "geometry"]].to_file(p["zones"], engine="pyogrio")
            print(f"  built {p['zones'].name} ({len(z)} zones)", flush=True)
        if not p["parcels"].exists():
            raw = Path(d) / "parcels.gpkg"
            bat.make_parcels(raw, side // 2, n_parcels)
            g = gpd.read_file(raw, engine="pyogrio")
            rpg = gpd.GeoDataFrame(
                {"ID_PARCEL": g["parcel_id"].str.lstrip("p").astype(int).astype(str),
                 "CODE_GROUP": g["code"].map(GROUP_OF_CODE)},
                geometry=g.geometry.translate(dx, dy), crs=g.crs)
            rpg.to_file(p["parcels"], engine="pyogrio")
            print(f"  built {p['parcels'].name} ({len(rpg)} parcels)", flush=True)
    return p


# --------------------------------------------------------------------------- child
def _vm(key: str) -> float:
    """VmRSS / VmHWM of this process, GiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024 / GIB
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS (Linux ≥ 4.0)
    except OSError:
        pass


def instrument() -> dict:
    """Wrap the package functions of STAGES (if present) to time them; returns the record."""
    import functools

    rec: dict = {}

    def wrap(label, fn):
        @functools.wraps(fn)
        def inner(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                r = rec.setdefault(label, {"s": 0.0, "calls": 0, "peak_gib_at_end": 0.0})
                r["s"] += time.perf_counter() - t
                r["calls"] += 1
                r["peak_gib_at_end"] = max(r["peak_gib_at_end"], _vm("VmHWM"))
        return inner

    for modname, names in STAGES:
        mod = importlib.import_module(modname)
        short = modname.rsplit(".", 1)[-1]
        for n in names:
            fn = getattr(mod, n, None)
            if callable(fn):
                setattr(mod, n, wrap(f"{short}.{n}", fn))
    return rec


def _sizes(folder: Path) -> dict[str, float]:
    return {str(f.relative_to(folder)): round(f.stat().st_size / 2 ** 20, 2)
            for f in sorted(folder.rglob("*")) if f.is_file()}


def child(step: str, cfg: dict) -> None:
    import warnings

    warnings.simplefilter("ignore")
    t = time.perf_counter()
    from espass_geo import api
    rec = instrument()
    out = {"step": step, "import_s": time.perf_counter() - t, "rss_after_imports_gib": _vm("VmRSS")}
    common = dict(zpc=ZPC, region=REGION, id_field="zone_id", name_field="zone_name")
    _reset_peak()
    t = time.perf_counter()
    if step in ("stocks", "stocks_noparcels"):
        res = api.stocks(cfg["zones"], landcover=cfg["lc2018"],
                         parcels=cfg["parcels"] if step == "stocks" else None, **common)
    elif step == "flows":
        res = api.flows(cfg["zones"], landcover_before=cfg["lc2012"],
                        landcover_after=cfg["lc2018"], years=YEARS, **common)
    else:
        raise SystemExit(f"unknown step {step!r}")
    out["compute_s"] = time.perf_counter() - t
    out["compute_peak_gib"] = _vm("VmHWM")
    out["stages_compute"] = {k: dict(v) for k, v in rec.items()}
    rec.clear()
    # what the result holds
    if step.startswith("stocks"):
        out["stock_tC"] = float(res.stocks["stock_tC"].sum())
        out["zones"] = int(len(res.zones))
        out["parcels"] = int(len(res.parcels)) if res.parcels is not None else 0
        g = res.density  # never touch g.array: on a grid kept on disk it reads the whole file
        shape = getattr(g, "shape", None)
        where = ("on disk (tiled GeoTIFF)" if getattr(g, "on_disk", False)
                 else "in memory")
        out["density"] = f"{shape[0]}×{shape[1]} {where}" if shape else type(g).__name__
    else:
        fz = res.zones
        col = next((c for c in fz.columns if c.startswith("flux") and "tCO2e" in c), None)
        out["flux_tCO2e_an"] = float(fz[col].sum()) if col else None
        out["zones"] = int(len(fz))
    _reset_peak()
    folder = Path(tempfile.mkdtemp(prefix=f"bench_region_{step}_")) / "out"
    t = time.perf_counter()
    api.write(res, folder)
    out["write_s"] = time.perf_counter() - t
    out["write_peak_gib"] = _vm("VmHWM")
    out["stages_write"] = {k: dict(v) for k, v in rec.items()}
    out["outputs_mib"] = _sizes(folder)
    shutil.rmtree(folder.parent, ignore_errors=True)
    print("RESULT " + json.dumps(out), flush=True)


# --------------------------------------------------------------------------- parent
def run_step(step: str, cfg: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--_child", step,
                                 json.dumps(cfg)], stdout=so, stderr=se, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        so.seek(0)
        se.seek(0)
        text, err = so.read().decode(), se.read().decode("utf-8", "replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("RESULT ")), None)
    r = json.loads(line[7:]) if line else {"step": step}
    # resetting VmHWM (clear_refs) also lowers ru_maxrss: the child's peak is the larger of
    # the two parts' peaks (and of ru_maxrss, which covers the last part and the exit)
    peak = max([ru.ru_maxrss * 1024 / GIB] + [r[k] for k in ("compute_peak_gib",
                                                              "write_peak_gib") if k in r])
    r.update(wall_s=wall, peak_gib=peak, exit=os.waitstatus_to_exitcode(status),
             load=os.getloadavg()[0])
    if r["exit"] or line is None:
        r["error"] = (err.strip() or text.strip())[-1500:]
    return r


def _stage_line(stages: dict) -> str:
    top = sorted(stages.items(), key=lambda kv: -kv[1]["s"])
    return ", ".join(f"{k} {v['s']:.1f} s" + (f" ×{v['calls']}" if v["calls"] > 1 else "")
                     + f" [{v['peak_gib_at_end']:.2f} GiB]" for k, v in top if v["s"] >= 0.05)


def projection(res: dict, px: int, n_parcels: int, small: dict | None) -> list[str]:
    """France at 10 m from the measured rates (see the module docstring)."""
    lines = []
    st, np_, fl = (res.get(k) for k in STEPS)
    ok = {k: r for k, r in res.items() if r and not r.get("exit") and "compute_s" in r}
    if "stocks_noparcels" not in ok:
        return ["(no projection: stocks_noparcels did not run)"]
    if px < 1e8:
        lines.append(f"(smoke-size run, {px:.2g} px: fixed costs dominate, the projection below "
                     "means nothing; it is kept as the small point of the full run's slopes)")
    sm = {k: r for k, r in (small or {}).get("results", {}).items()
          if r and not r.get("exit") and "compute_s" in r}
    spx = (small or {}).get("pixels")
    lines.append(f"Projection to metropolitan France at 10 m: {FRANCE_PX:.2g} px "
                 f"(×{FRANCE_PX / px:.1f} the région), {FRANCE_PARCELS:.0e} parcels "
                 f"(×{FRANCE_PARCELS / n_parcels:.0f}); "
                 + (f"per-pixel slopes between {spx:.3g} px and {px:.3g} px"
                    if sm else "per-pixel rates proportional (fixed costs over-counted)"))

    def per_px(step: str, key: str) -> float:
        y = ok[step][key]
        if step in sm and key in sm[step]:
            return (y - sm[step][key]) / (px - spx)
        # proportional: memory above what the child held after its imports
        return (y - (ok[step]["rss_after_imports_gib"] if key.endswith("gib") else 0.0)) / px

    def fr(step: str, key: str) -> float:  # value for France's pixels, without parcels
        return ok[step][key] + per_px(step, key) * (FRANCE_PX - px)

    tot = {}
    for key in ("compute_s", "write_s"):
        base = fr("stocks_noparcels", key)
        per_parcel = ((ok["stocks"][key] - ok["stocks_noparcels"][key]) / n_parcels
                      if "stocks" in ok else 0.0)
        tot[key] = base + per_parcel * FRANCE_PARCELS
        lines.append(f"  stocks {key[:-2]}: {ok['stocks_noparcels'][key]:.1f} s for the région's "
                     f"pixels → {per_px('stocks_noparcels', key) * 1e9:.1f} s per 10⁹ px → "
                     f"{base / 60:.1f} min for France's; parcels "
                     f"{per_parcel * 1e3:.3f} ms each → {per_parcel * FRANCE_PARCELS / 60:.1f} min "
                     f"for 10 M; total ≈ {tot[key] / 60:.0f} min")
    for key in ("compute_peak_gib", "write_peak_gib"):
        base = fr("stocks_noparcels", key)
        per_parcel = ((ok["stocks"][key] - ok["stocks_noparcels"][key]) / n_parcels
                      if "stocks" in ok else 0.0)
        lines.append(f"  stocks {key.split('_')[0]} peak: {ok['stocks_noparcels'][key]:.2f} GiB "
                     f"without parcels → {per_px('stocks_noparcels', key) * 1e9:.2f} GiB per "
                     f"10⁹ px → {base:.1f} GiB for France's pixels; parcels "
                     f"{per_parcel * GIB / 1e3:+.1f} kB each → "
                     f"{per_parcel * FRANCE_PARCELS:+.1f} GiB for 10 M; total ≈ "
                     f"{base + max(per_parcel, 0) * FRANCE_PARCELS:.1f} GiB")
    if "flows" in ok:
        c, w = fr("flows", "compute_s"), fr("flows", "write_s")
        pk = max(fr("flows", "compute_peak_gib"), fr("flows", "write_peak_gib"))
        lines.append(f"  flows: compute {ok['flows']['compute_s']:.1f} s + write "
                     f"{ok['flows']['write_s']:.1f} s → ≈ {c / 60:.0f} + {w / 60:.0f} min for "
                     f"France, peak ≈ {pk:.1f} GiB")
    lines.append(f"  stocks total for France ≈ {(tot['compute_s'] + tot['write_s']) / 60:.0f} min "
                 "on this 2-core machine (linear extrapolation; memory figures assume it grows "
                 "with the pixels as measured)")
    return lines


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--_child":
        child(sys.argv[2], json.loads(sys.argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 000² px, 50 zones, 2 000 parcels")
    ap.add_argument("--side", type=int, default=None, help="raster side, px (default 17 320)")
    ap.add_argument("--zones", type=int, default=None, help="commune-like zones (default 700)")
    ap.add_argument("--parcels", type=int, default=None, help="parcels (default 50 000)")
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    side = a.side or (2000 if a.quick else 17_320)
    n_zones = a.zones or (50 if a.quick else 700)
    n_parcels = a.parcels or (2000 if a.quick else 50_000)
    px = side * side
    print(f"# bench_region {time.strftime('%Y-%m-%d %H:%M:%S')}  load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; nproc {os.cpu_count()}")
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "log", "--oneline", "-1"],
                              capture_output=True, text=True).stdout.strip()
        print(f"# package at {head}")
    except OSError:
        head = ""
    print(f"# {side}² px at 10 m ({px:.3g} px, {side / 100:.1f} km side), {n_zones} zones, "
          f"{n_parcels} parcels, zpc {ZPC}, region {REGION}", flush=True)
    p = ensure_data(side, n_zones, n_parcels)
    cfg = {k: str(v) for k, v in p.items()}
    res = {}
    for step in [s for s in a.steps.split(",") if s]:
        r = run_step(step, cfg)
        res[step] = r
        if r.get("exit") or "compute_s" not in r:
            print(f"\n{step}: FAILED (exit {r.get('exit')}, wall {r['wall_s']:.1f} s, peak "
                  f"{r['peak_gib']:.2f} GiB)\n{r.get('error', '')}", flush=True)
            continue
        print(f"\n{step}: wall {r['wall_s']:.1f} s (imports {r['import_s']:.1f} s), compute "
              f"{r['compute_s']:.1f} s [peak {r['compute_peak_gib']:.2f} GiB], write "
              f"{r['write_s']:.1f} s [peak {r['write_peak_gib']:.2f} GiB]; child peak "
              f"{r['peak_gib']:.2f} GiB; load {r['load']:.1f}", flush=True)
        print(f"  compute stages: {_stage_line(r['stages_compute'])}")
        print(f"  write stages:   {_stage_line(r['stages_write'])}")
        facts = {k: r[k] for k in ("zones", "parcels", "stock_tC", "flux_tCO2e_an", "density")
                 if k in r}
        print(f"  result: {facts}")
        big = {k: v for k, v in r["outputs_mib"].items() if v >= 1}
        print(f"  outputs: {len(r['outputs_mib'])} files, "
              f"{sum(r['outputs_mib'].values()):.1f} MiB (≥ 1 MiB: {big})", flush=True)
    print("\n| step | wall s | compute s | write s | compute peak GiB | write peak GiB | "
          "child peak GiB | < 2 GiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for step, r in res.items():
        if "compute_s" in r and not r.get("exit"):
            print(f"| {step} | {r['wall_s']:.1f} | {r['compute_s']:.1f} | {r['write_s']:.1f} | "
                  f"{r['compute_peak_gib']:.2f} | {r['write_peak_gib']:.2f} | "
                  f"{r['peak_gib']:.2f} | {'yes' if r['peak_gib'] < 2 else 'NO'} |")
        else:
            print(f"| {step} | {r['wall_s']:.1f} | failed | | | | {r['peak_gib']:.2f} | |")
    record = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": head, "side": side,
              "pixels": px, "zones": n_zones, "parcels": n_parcels, "results": res}
    small = None
    cached = sorted(DATA.glob("results_*.json"),
                    key=lambda f: json.loads(f.read_text()).get("pixels", 0))
    for f in cached:
        d = json.loads(f.read_text())
        if d.get("pixels", math.inf) < px and {"stocks_noparcels", "flows"} <= set(
                d.get("results", {})):
            small = d  # the largest smaller run with the per-pixel steps
    print()
    for line in projection(res, px, n_parcels, small):
        print(line)
    if set(res) == set(STEPS):  # a complete run: the small point of later, larger runs
        (DATA / f"results_{side}_{n_zones}_{n_parcels}.json").write_text(
            json.dumps(record, indent=1))
    if a.json:
        a.json.write_text(json.dumps(record, indent=1))
    print(f"\n# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if any(r.get("exit") or "compute_s" not in r for r in res.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
