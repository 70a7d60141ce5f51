#!/usr/bin/env python3
"""Side-by-side benchmark of the exact area table against its peers (issue #14, item 5).

One table, measured in one run: hectares per zone × land-cover code computed by

  hybrid        espass_geo area_table_from_raster(zones, tif, engine="hybrid") (the default)
  exact         area_table_from_raster(zones, tif, engine="exact") (exactextract inside)
  exactextract  exactextract.exact_extract(tif, zones, ["unique", "frac", "count"],
                include_cols=["zone_id"], output="pandas"), called directly, its defaults
  rasterstats   rasterstats.zonal_stats(geometries, tif, categorical=True, all_touched=False),
                called directly (pixel-centre counts × pixel area)
  numpy         one numpy pass: read the whole raster, rasterio.features.rasterize the zones
                (pixel centre), one bincount of zone × code (the lower bound of any method
                that reads every pixel once)

for 200 commune-like Voronoi zones and for 50 000 parcels on the 10 000² land cover of
``bench_area_table.py`` (its generators and cached data in ``benchmarks/_data/``, imported, not
copied). The cases run in this process, interleaved round by round (every case once per round,
``--repeat`` rounds) so that the load of a shared machine weighs on all alike; the best round of
each is reported. Only the peer's own call is timed (its result is turned into a zone × code
table afterwards, untimed). Per case: seconds, ratio to exactextract, ratio to numpy, total
area, and the largest |Δ| per zone × code and per zone against exactextract.

Consistency (exit status 1 if it fails): ``hybrid`` and ``exact`` within 0.01 ha of exactextract
for every zone and every zone × code; every total within 0.5 % of exactextract's.

rasterstats is **not** an espass_geo dependency; install it in the benchmark environment only
(``pip install rasterstats``). Without it its row is skipped with a message.

``--invest-python PATH`` (InVEST's own interpreter, see ``bench_invest.py``) adds the stock-map
comparison with InVEST « Carbon » by calling ``bench_invest.py``'s cases (``invest``,
``espass``, ``numpy``; each in its own child process, interleaved round by round) at
``--invest-sizes`` (default 1000,4000,10000).

Usage::

    python3 benchmarks/bench_peers.py --quick           # 2000² raster, 2 000 parcels (< 1 min)
    python3 benchmarks/bench_peers.py                   # 10 000², 200 communes, 50 000 parcels
    python3 benchmarks/bench_peers.py --repeat 2 --invest-python /tmp/iv/invest-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import bench_area_table as bat  # noqa: E402  (generators and cached data)

TOL_HA = 0.01  # hybrid / exact vs exactextract, per zone and per zone × code
TOL_TOTAL = 0.005  # every total vs exactextract's
CASES = ("hybrid", "exact", "exactextract", "rasterstats", "rasterstats_nb", "numpy")
RASTERSTATS_MISSING = ("rasterstats absent: its row is skipped. It is not an espass_geo "
                       "dependency; to compare with it, install it in the benchmark "
                       "environment only: pip install rasterstats")


# --------------------------------------------------------------------------- cases
def _pixel_ha(tif) -> float:
    import rasterio

    with rasterio.open(tif) as src:
        return abs(src.transform.a * src.transform.e) * 1e-4


def case_espass(engine: str):
    from espass_geo.core.areas import area_table_from_raster

    def run(zones, tif):
        return area_table_from_raster(zones, tif, engine=engine)

    def table(res, zones, tif):
        t = res.table  # codes are strings there (CLC codes as text)
        return pd_series(t["zone_id"], t["code"].astype(np.int64), t["area_ha"])

    return run, table


def case_exactextract():
    from exactextract import exact_extract

    def run(zones, tif):
        return exact_extract(str(tif), zones, ["unique", "frac", "count"],
                             include_cols=["zone_id"], output="pandas")

    def table(res, zones, tif):
        px = _pixel_ha(tif)
        zid, code, area = [], [], []
        for z, u, f, c in zip(res["zone_id"], res["unique"], res["frac"], res["count"]):
            zid += [z] * len(u)
            code.append(np.asarray(u, dtype=np.int64))
            area.append(np.asarray(f, dtype=float) * float(c) * px)
        s = pd_series(zid, np.concatenate(code), np.concatenate(area))
        return s[s > 0]

    return run, table


def case_rasterstats(boundless: bool = True):
    from rasterstats import zonal_stats

    def run(zones, tif):
        # the geometries themselves (a GeoDataFrame would be turned into one GeoJSON dict)
        return zonal_stats(list(zones.geometry.values), str(tif), categorical=True,
                           all_touched=False, boundless=boundless)

    def table(res, zones, tif):
        px = _pixel_ha(tif)
        zid, code, area = [], [], []
        for z, d in zip(zones["zone_id"], res):
            for k, n in d.items():
                zid.append(z)
                code.append(int(k))
                area.append(n * px)
        return pd_series(zid, np.asarray(code, dtype=np.int64), np.asarray(area))

    return run, table


def case_numpy():
    import rasterio
    from rasterio.features import rasterize

    def run(zones, tif):
        """Read + rasterize (pixel centre, int32 index) + one bincount of zone × code."""
        with rasterio.open(tif) as src:
            lc = src.read(1)
            transform, nodata = src.transform, src.nodata
        key = rasterize(zip(zones.geometry.values, range(1, len(zones) + 1)),
                        out_shape=lc.shape, transform=transform, fill=0, dtype="int32")
        seen = np.zeros(int(np.iinfo(lc.dtype).max) + 1, dtype=bool)
        flat = lc.reshape(-1)
        for i in range(0, flat.size, bat.CHUNK):
            seen[flat[i:i + bat.CHUNK]] = True
        if nodata is not None:
            seen[int(nodata)] = False
        present = np.flatnonzero(seen)
        ncodes = len(present) + 1  # last bin: nodata
        lut = np.full(seen.size, ncodes - 1, dtype=np.uint8)
        lut[present] = np.arange(len(present))
        key *= np.int32(ncodes)
        key += lut[lc]
        key = key.reshape(-1)
        nbins = (len(zones) + 1) * ncodes
        counts = np.zeros(nbins, dtype=np.int64)
        for i in range(0, key.size, bat.CHUNK):  # no intp copy of the whole key array
            counts += np.bincount(key[i:i + bat.CHUNK], minlength=nbins)
        px = abs(transform.a * transform.e) * 1e-4
        return counts.reshape(-1, ncodes)[1:, :-1] * px, present

    def table(res, zones, tif):
        area, present = res
        zi, ci = np.nonzero(area)
        return pd_series(zones["zone_id"].to_numpy()[zi], present[ci].astype(np.int64),
                         area[zi, ci])

    return run, table


def _ratio(a, b) -> str:
    return f"{a / b:.2f}" if a is not None and b else "—"


_TOTALS = ("total_cur_tC", "total_fut_tC")


def pd_series(zone_id, code, area):
    import pandas as pd

    idx = pd.MultiIndex.from_arrays([np.asarray(zone_id, dtype=object),
                                     np.asarray(code, dtype=np.int64)], names=["zone_id", "code"])
    return pd.Series(np.asarray(area, dtype=float), index=idx).groupby(level=[0, 1]).sum()


def make_cases(wanted: list[str]) -> tuple[dict, list[str]]:
    cases, notes = {}, []
    for name in wanted:
        if name in ("hybrid", "exact"):
            cases[name] = case_espass(name)
        elif name == "exactextract":
            cases[name] = case_exactextract()
        elif name in ("rasterstats", "rasterstats_nb"):
            try:
                cases[name] = case_rasterstats(boundless=name == "rasterstats")
            except ImportError:
                if RASTERSTATS_MISSING not in notes:
                    notes.append(RASTERSTATS_MISSING)
        elif name == "numpy":
            cases[name] = case_numpy()
        else:
            raise SystemExit(f"unknown case {name!r}; choose among {','.join(CASES)}")
    return cases, notes


# --------------------------------------------------------------------------- area table
def run_layer(layer: str, paths: dict, cases: dict, repeat: int) -> dict:
    import geopandas as gpd

    zones = gpd.read_file(paths[layer], engine="pyogrio")[["zone_id", "geometry"]]
    tif = paths["tif"]
    times: dict[str, list[float]] = {k: [] for k in cases}
    tables = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rnd in range(repeat):
            for name, (run, table) in cases.items():
                t = time.perf_counter()
                res = run(zones, tif)
                times[name].append(time.perf_counter() - t)
                if rnd == 0:
                    tables[name] = table(res, zones, tif)
                del res
            print(f"  {layer}: round {rnd + 1}/{repeat}: "
                  + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items())
                  + f"  (load {os.getloadavg()[0]:.1f})", flush=True)
    return {"n_zones": len(zones), "polygon_ha": float(zones.geometry.area.sum()) * 1e-4,
            "times": times, "tables": tables}


def report_layer(layer: str, r: dict, repeat: int) -> tuple[list[str], bool, dict]:
    best = {k: min(v) for k, v in r["times"].items()}
    tabs = r["tables"]
    ref = tabs.get("exactextract")
    ee, npy = best.get("exactextract"), best.get("numpy")
    lines = [f"\n{layer} ({r['n_zones']} zones), best of {repeat}; polygons "
             f"{r['polygon_ha']:,.2f} ha",
             "| case | seconds (best) | runs | × exactextract | × numpy | total area ha | "
             "max |Δ| zone × code vs exactextract (ha) | max |Δ| per zone (ha) | cells |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    ok, summary = True, {}
    for name, sec in best.items():
        tab = tabs[name]
        total = float(tab.sum())
        d_cell = d_zone = float("nan")
        if ref is not None:
            d_cell = float(tab.sub(ref, fill_value=0.0).abs().max())
            zt = tab.groupby(level="zone_id").sum()
            d_zone = float(zt.sub(ref.groupby(level="zone_id").sum(), fill_value=0.0)
                           .abs().max())
        summary[name] = {"best_s": sec, "runs_s": r["times"][name], "total_ha": total,
                         "max_abs_diff_cell_ha": d_cell, "max_abs_diff_zone_ha": d_zone,
                         "cells": int((tab > 0).sum())}
        lines.append(f"| {name} | {sec:.2f} | {'/'.join(f'{x:.2f}' for x in r['times'][name])} "
                     f"| {_ratio(sec, ee)} | {_ratio(sec, npy)} | {total:,.4f} | {d_cell:.2e} | "
                     f"{d_zone:.2e} | {summary[name]['cells']} |")
    if ref is not None:
        ref_total = float(ref.sum())
        checks = []
        for name in ("hybrid", "exact"):
            if name in summary:
                s = summary[name]
                good = s["max_abs_diff_cell_ha"] <= TOL_HA and s["max_abs_diff_zone_ha"] <= TOL_HA
                ok &= good
                checks.append(f"{name} max |Δ| per zone {s['max_abs_diff_zone_ha']:.1e} ha, "
                              f"per zone × code {s['max_abs_diff_cell_ha']:.1e} ha "
                              f"(≤ {TOL_HA} ha: {'OK' if good else 'FAIL'})")
        for name, s in summary.items():
            rel = s["total_ha"] / ref_total - 1
            good = abs(rel) <= TOL_TOTAL
            ok &= good
            if name != "exactextract":
                checks.append(f"{name} total {100 * rel:+.4f} %")
        lines.append(f"consistency {layer}: {'OK' if ok else 'FAIL'} — " + "; ".join(checks)
                     + f" (totals within {100 * TOL_TOTAL:g} % of exactextract's "
                     f"{ref_total:,.4f} ha)")
    speed = []
    for name in ("hybrid", "exact"):
        for peer in ("exactextract", "rasterstats", "rasterstats_nb", "numpy"):
            if name in best and peer in best:
                speed.append(f"{name} vs {peer} ×{best[peer] / best[name]:.2f}")
    if speed:
        lines.append("speed-up (peer seconds / espass_geo seconds): " + ", ".join(speed))
    return lines, ok, summary


# --------------------------------------------------------------------------- InVEST
def run_invest(invest_python: str, sizes: list[int], repeat: int, cases: list[str]) -> dict:
    """bench_invest.py's cases, each in its own child process, interleaved round by round."""
    import bench_invest as bi

    out = {}
    for size in sizes:
        t = time.perf_counter()
        inp = bi._inputs(size)
        print(f"\nInVEST side by side, {size}² ({inp['valid_pixels']:,} valid px), inputs "
              f"{'cached' if inp['cached'] else 'built'} in {time.perf_counter() - t:.1f} s",
              flush=True)
        runs: dict[str, list[dict]] = {c: [] for c in cases}
        for rnd in range(repeat):
            for case in cases:
                r = bi.run_case(case, size, invest_python, False)
                r["loadavg_1min"] = round(os.getloadavg()[0], 2)
                runs[case].append(r)
                status = (f"wall {r['wall_s']:.2f} s, work {r.get('work_s', float('nan')):.2f} s"
                          f", peak {r['peak_rss_mb']:.0f} MiB" if not r.get("rc")
                          else "FAILED " + r.get("stderr_tail", r.get("error", ""))[-300:])
                print(f"  round {rnd + 1}/{repeat} {case:8s} {status} "
                      f"(load {r['loadavg_1min']:.1f})", flush=True)
        out[size] = {"reference": inp["reference"], "runs": runs}
    return out


def report_invest(res: dict) -> list[str]:
    lines = ["\nStock maps of two dates + change map (same product), InVEST vs espass_geo "
             "(bench_invest.py cases; wall = whole child, work = timed work inside it)",
             "| size | case | wall s (best) | work s (best) | peak RSS MiB | work / invest's | "
             "work / numpy's | max rel. diff of totals vs InVEST |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for size, d in res.items():
        good = {c: [r for r in rs if not r.get("rc") and "work_s" in r]
                for c, rs in d["runs"].items()}
        best = {c: min(rs, key=lambda r: r["work_s"]) for c, rs in good.items() if rs}
        iv, npy = best.get("invest"), best.get("numpy")
        for case, rs in d["runs"].items():
            b = best.get(case)
            if b is None:
                err = rs[-1].get("error") or rs[-1].get("stderr_tail", "")[-120:]
                lines.append(f"| {size}² | {case} | failed: {err} | | | | | |")
                continue
            rel = "—"
            if iv is not None and case != "invest" and "total_cur_tC" in b:
                rel = f"{max(abs(b[k] - iv[k]) / abs(iv[k]) for k in _TOTALS):.1e}"
            lines.append(f"| {size}² | {case} | {min(r['wall_s'] for r in good[case]):.2f} | "
                         f"{b['work_s']:.2f} | {max(r['peak_rss_mb'] for r in good[case]):.0f} | "
                         f"{_ratio(b['work_s'], iv and iv['work_s'])} | "
                         f"{_ratio(b['work_s'], npy and npy['work_s'])} | {rel} |")
        if iv is not None and "espass" in best:
            wall = {c: min(r["wall_s"] for r in good[c]) for c in ("invest", "espass")}
            work = _ratio(iv["work_s"], best["espass"]["work_s"])
            lines.append(f"{size}²: InVEST / espass_geo ×{work} (work), "
                         f"×{_ratio(wall['invest'], wall['espass'])} (wall)")
    return lines


# --------------------------------------------------------------------------- main
def versions() -> str:
    import exactextract
    import rasterio

    try:
        import rasterstats
        rs = rasterstats.__version__
    except ImportError:
        rs = "absent"
    return (f"python {platform.python_version()}, numpy {np.__version__}, rasterio "
            f"{rasterio.__version__} (GDAL {rasterio.__gdal_version__}), exactextract "
            f"{exactextract.__version__}, rasterstats {rs}; nproc {os.cpu_count()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2000² raster, 2 000 parcels, 1 round")
    ap.add_argument("--size", type=int, default=None, help="raster side, pixels (default 10 000)")
    ap.add_argument("--parcels", type=int, default=None, help="parcels (default 50 000)")
    ap.add_argument("--communes", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=None, help="rounds (default 3; --quick 1)")
    ap.add_argument("--layers", default="communes,parcels")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--invest-python", default=None,
                    help="InVEST's own interpreter: adds the InVEST stock-map comparison")
    ap.add_argument("--invest-sizes", default="1000,4000,10000")
    ap.add_argument("--invest-cases", default="invest,espass,numpy")
    ap.add_argument("--invest-repeat", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    size = args.size or (2000 if args.quick else 10_000)
    n_parcels = args.parcels or (2000 if args.quick else 50_000)
    repeat = args.repeat or (1 if args.quick else 3)

    print(f"# bench_peers {time.strftime('%Y-%m-%d %H:%M:%S')}  load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("# " + versions())
    print(f"# raster {size}² uint16 @ {bat.PIXEL:g} m, {args.communes} communes, "
          f"{n_parcels} parcels, {repeat} round(s)", flush=True)
    paths = bat.ensure_data(size, n_parcels, args.communes)
    cases, notes = make_cases([c for c in args.cases.split(",") if c])
    for n in notes:
        print(n, flush=True)
    ok = True
    inv_lines = []
    if args.invest_python:
        # first, while this process is small: a forked child's ru_maxrss starts from the
        # parent's resident size at fork time (the area tables below hold ~2 GiB)
        inv = run_invest(args.invest_python, [int(s) for s in args.invest_sizes.split(",") if s],
                         args.invest_repeat, [c for c in args.invest_cases.split(",") if c])
        inv_lines = report_invest(inv)
    out: dict = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "versions": versions(),
                 "size": size, "parcels": n_parcels, "communes": args.communes,
                 "repeat": repeat, "layers": {}}
    for layer in [x for x in args.layers.split(",") if x]:
        r = run_layer(layer, paths, cases, repeat)
        lines, good, summary = report_layer(layer, r, repeat)
        ok &= good
        out["layers"][layer] = summary
        print("\n".join(lines), flush=True)
    if inv_lines:
        print("\n".join(inv_lines))
        out["invest"] = {str(k): v for k, v in inv.items()}
    print(f"\n# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"CONSISTENCY {'OK' if ok else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
