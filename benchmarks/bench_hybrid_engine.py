#!/usr/bin/env python3
"""Benchmark of the ``hybrid`` area engine against exactextract and the ``exact`` engine.

Same synthetic data as ``bench_area_table.py`` (its generators, cached in ``benchmarks/_data/``):
a 10 000 × 10 000 land-cover GeoTIFF (20 m pixels), 200 commune-like Voronoi zones and
50 000 parcels. For each zone layer, in the same process and interleaved round by round
(so that the load of a shared machine weighs on every case alike), times:

  ee_direct   exactextract.exact_extract(tif, zones, ["unique", "frac", "count"]) alone
  exact       area_table_from_raster(zones, tif, engine="exact")
  hybrid      area_table_from_raster(zones, tif, engine="hybrid")
  hybrid_core espass_geo.core.hybrid_areas.hybrid_class_areas(tif, zones) (the cross-tab alone)

and prints the best of ``--repeat`` runs, the ratios to ``ee_direct`` and ``exact``, and the
largest |hybrid − exact| per zone × code and per zone (must be ≤ 0.01 ha; exit status 1 if not).

With ``--parcels-path`` (the default; ``--no-parcels-path`` to skip), the communes are also
crossed with the 50 000 parcels (``parcels=``), interleaved likewise:

  exact+parcels    area_table_from_raster(communes, tif, parcels=parcels, engine="exact")
  hybrid+parcels   the same with engine="hybrid" (pieces measured by the hybrid engine)
  hybrid+parcels_before  engine="hybrid" as before issue #14 item 1: pieces by gpd.overlay and
                   measured by exactextract (the old code, patched back in for the run)
  overlay          gpd.overlay(parcels, communes) alone
  parcel_pieces    espass_geo.core.areas.parcel_pieces(parcels, communes) alone

with ratios to ``exact+parcels`` and the largest |hybrid+parcels − exact+parcels| per
zone × code (must be ≤ 1e-6 ha; exit status 1 if not).

Usage::

    python3 benchmarks/bench_hybrid_engine.py            # full size, best of 3
    python3 benchmarks/bench_hybrid_engine.py --quick    # 2000 px, 2 000 parcels
    python3 benchmarks/bench_hybrid_engine.py --only-parcels-path   # communes × parcels only
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_area_table as bat  # noqa: E402  (generators and cached data)

TOL_HA = 0.01
PARCELS_TOL_HA = 1e-6


@contextmanager
def before_item1():
    """The parcels path as it was before issue #14 item 1: gpd.overlay for the parcel × zone
    pieces, exactextract for the land cover inside them, whatever the engine."""
    import geopandas as gpd

    from espass_geo.core import areas

    pieces, apply = areas.parcel_pieces, areas._apply_parcels

    def overlay(parcels, zones):
        p = gpd.overlay(parcels[["parcel_id", "code", "geometry"]],
                        zones[["zone_id", "geometry"]], how="intersection", keep_geom_type=True)
        return p[p.geometry.area > 0].reset_index(drop=True)

    def exactextract_pieces(src, zones, parcels, raw, engine, path=None):
        return apply(src, zones, parcels, raw, engine, path=None)  # no path: exactextract

    areas.parcel_pieces, areas._apply_parcels = overlay, exactextract_pieces
    try:
        yield
    finally:
        areas.parcel_pieces, areas._apply_parcels = pieces, apply


def parcels_path(paths, repeat: int) -> bool:
    """Communes × parcels: the cases above, interleaved; prints the table, returns OK."""
    import geopandas as gpd

    from espass_geo.core.areas import area_table_from_raster, parcel_pieces

    tif = paths["tif"]
    zones = gpd.read_file(paths["communes"], engine="pyogrio")[["zone_id", "geometry"]]
    parcels = gpd.read_file(paths["parcels"], engine="pyogrio")[["parcel_id", "code",
                                                                  "geometry"]]

    def before():
        with before_item1():
            return area_table_from_raster(zones, tif, parcels=parcels, engine="hybrid")

    cases = {
        "exact+parcels": lambda: area_table_from_raster(zones, tif, parcels=parcels,
                                                        engine="exact"),
        "hybrid+parcels": lambda: area_table_from_raster(zones, tif, parcels=parcels,
                                                         engine="hybrid"),
        "hybrid+parcels_before": before,
        "overlay": lambda: gpd.overlay(parcels, zones, how="intersection",
                                       keep_geom_type=True),
        "parcel_pieces": lambda: parcel_pieces(parcels, zones),
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeat):
            for name, fn in cases.items():
                t = time.perf_counter()
                out[name] = fn()
                times[name].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    key = ["zone_id", "code", "area_source"]
    e = out["exact+parcels"].table.set_index(key)["area_ha"]
    print(f"\ncommunes ({len(zones)}) + parcels ({len(parcels)}), best of {repeat}")
    print("| case | seconds (best) | runs | × exact+parcels | max abs diff per zone × code "
          "vs exact+parcels (ha) |")
    print("|---|---|---|---|---|")
    ok = True
    for k in cases:
        diff = ""
        if k.endswith(("parcels", "_before")):
            d = float(out[k].table.set_index(key)["area_ha"].sub(e, fill_value=0.0).abs().max())
            diff = f"{d:.1e}"
            if k == "hybrid+parcels":
                ok &= d <= PARCELS_TOL_HA
        print(f"| {k} | {best[k]:.2f} | {'/'.join(f'{x:.2f}' for x in times[k])} | "
              f"{best[k] / best['exact+parcels']:.2f} | {diff} |")
    s = out["hybrid+parcels"].summary
    closure = float((s["classified_area_ha"] + s["nodata_area_ha"]
                     - s["polygon_area_ha"]).abs().max())
    print(f"speed-up hybrid+parcels vs exact+parcels ×{best['exact+parcels'] / best['hybrid+parcels']:.2f}, "
          f"vs before item 1 ×{best['hybrid+parcels_before'] / best['hybrid+parcels']:.2f}; "
          f"overlay ×{best['overlay'] / best['parcel_pieces']:.2f} faster with parcel_pieces; "
          f"closure max |classes + no-data − polygon| {closure:.1e} ha; "
          f"{'OK' if ok else 'FAIL'} (tolerance {PARCELS_TOL_HA:g} ha per zone × code)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--parcels", type=int, default=None)
    ap.add_argument("--communes", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--layers", default="communes,parcels")
    ap.add_argument("--no-parcels-path", dest="parcels_path", action="store_false",
                    help="skip the communes × parcels cases")
    ap.add_argument("--only-parcels-path", action="store_true",
                    help="only the communes × parcels cases")
    args = ap.parse_args()
    size = args.size or (2000 if args.quick else 10_000)
    n_parcels = args.parcels or (2000 if args.quick else 50_000)

    import geopandas as gpd

    from espass_geo.core.areas import area_table_from_raster
    from espass_geo.core.hybrid_areas import hybrid_class_areas

    paths = bat.ensure_data(size, n_parcels, args.communes)
    tif = paths["tif"]
    ok = True
    rows = []
    for layer in ([] if args.only_parcels_path else args.layers.split(",")):
        zones = gpd.read_file(paths[layer], engine="pyogrio")[["zone_id", "geometry"]]
        cases = {
            "ee_direct": lambda z=zones: bat.run_exact_extract(tif, z),
            "exact": lambda z=zones: area_table_from_raster(z, tif, engine="exact"),
            "hybrid": lambda z=zones: area_table_from_raster(z, tif, engine="hybrid"),
            "hybrid_core": lambda z=zones: hybrid_class_areas(tif, z, "zone_id"),
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        out = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(args.repeat):
                for name, fn in cases.items():
                    t = time.perf_counter()
                    out[name] = fn()
                    times[name].append(time.perf_counter() - t)
        best = {k: min(v) for k, v in times.items()}
        h = out["hybrid"].table.set_index(["zone_id", "code"])["area_ha"]
        e = out["exact"].table.set_index(["zone_id", "code"])["area_ha"]
        cell = h.sub(e, fill_value=0.0).abs()
        zone = (out["hybrid"].table.groupby("zone_id")["area_ha"].sum()
                .sub(out["exact"].table.groupby("zone_id")["area_ha"].sum(), fill_value=0.0)
                .abs())
        poly = float(zones.geometry.area.sum()) * 1e-4
        closure = float(out["hybrid"].summary["classified_area_ha"].sum()
                        + out["hybrid"].summary["nodata_area_ha"].sum()) - poly
        layer_ok = bool(cell.max() <= TOL_HA and zone.max() <= TOL_HA)
        ok &= layer_ok
        print(f"\n{layer} ({len(zones)} zones), raster {size}², best of {args.repeat}")
        print("| case | seconds (best) | runs | × ee_direct | × exact |")
        print("|---|---|---|---|---|")
        for k in cases:
            print(f"| {k} | {best[k]:.2f} | {'/'.join(f'{x:.2f}' for x in times[k])} | "
                  f"{best[k] / best['ee_direct']:.2f} | {best[k] / best['exact']:.2f} |")
        print(f"speed-up hybrid vs ee_direct ×{best['ee_direct'] / best['hybrid']:.2f}, "
              f"vs exact ×{best['exact'] / best['hybrid']:.2f}")
        print(f"max |hybrid − exact| per zone × code {cell.max():.2e} ha, per zone "
              f"{zone.max():.2e} ha ({len(cell)} cells); total hybrid "
              f"{h.sum():,.4f} ha, exact {e.sum():,.4f} ha, ee_direct "
              f"{out['ee_direct']['total_ha']:,.4f} ha; closure (classes + no-data − polygons) "
              f"{closure:+.2e} ha → {'OK' if layer_ok else 'FAIL'}")
        rows.append((layer, best))
        del zones, out
    if args.parcels_path or args.only_parcels_path:
        ok &= parcels_path(paths, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
