#!/usr/bin/env python3
"""Build the SYNTHETIC but CALIBRATED CLC 2018 demo raster of the SCoT Flandre-Dunkerque.

Output: ``landcover/demo_flandre_dunkerque_clc2018_20m.tif``
(EPSG:2154, 20 m pixels on a 20 m-aligned grid, uint16 = CLC level-3 code, nodata 0).

What is real
------------
* the territory: the 57 communes of EPCI 245900428 (CU de Dunkerque, 17 communes) and
  200040954 (CC des Hauts de Flandre, 40 communes), 2018 membership, IGN Admin Express COG 2018;
* the RPG 2021 parcels, burnt in first with their CLC code from ``factors/rpg_to_clc.csv``;
* the area of every CLC class in each EPCI = real CLC 2018 area (ALDO table
  ``aldo/clc18_surfaces_ha_epci_59_62.csv``), scaled by (pixel area of the EPCI / ALDO total).

What is invented
----------------
* the layout of every non-RPG pixel: for each EPCI and each class in a fixed order, the
  N = target - already-present pixels with the highest class-specific score are taken among the
  still-free pixels (coast distance, population-weighted distance to commune centres, smooth
  random fields); arable land (211) takes what is left.

Deterministic: fixed seed, no timestamps, same bytes on every run.
Run from the repository root: ``python landcover/build_demo_landcover.py``.
"""
from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.features import rasterize
from rasterio.transform import from_origin

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "demo_flandre_dunkerque_clc2018_20m.tif"

COMMUNES = ROOT / "boundaries" / "communes_59_62.geojson"
COMMUNES_EPCI = ROOT / "boundaries" / "communes_epci_2018_59_62.csv"
ALDO_CLC18 = HERE / "aldo" / "clc18_surfaces_ha_epci_59_62.csv"
RPG = HERE / "rpg" / "rpg_2021_flandre_dunkerque.gpkg"
RPG_TO_CLC = ROOT / "factors" / "rpg_to_clc.csv"

SEED = 20180559
RES = 20.0  # m
PIXEL_HA = RES * RES / 10_000.0  # 20 m x 20 m = 400 m2 = 0.04 ha
EPCI_CUD = "245900428"  # CU de Dunkerque (coastal)
EPCI_HDF = "200040954"  # CC des Hauts de Flandre
EPCIS = (EPCI_CUD, EPCI_HDF)
FALLBACK = 211  # arable land takes the remaining pixels


# --------------------------------------------------------------------------- inputs
def load_territory() -> gpd.GeoDataFrame:
    ce = pd.read_csv(COMMUNES_EPCI, dtype=str)
    ce = ce[ce["epci"].isin(EPCIS)]
    com = gpd.read_file(COMMUNES)
    com = com[com["code"].isin(ce["insee"])].to_crs(2154)
    com = com.merge(ce[["insee", "epci", "population"]], left_on="code", right_on="insee")
    com["population"] = com["population"].astype(int)
    com = com.sort_values("code").reset_index(drop=True)
    counts = com.groupby("epci").size().to_dict()
    assert counts == {EPCI_CUD: 17, EPCI_HDF: 40}, counts
    return com


def load_targets_ha() -> pd.DataFrame:
    """ALDO CLC 2018 areas (ha), rows = EPCI siren, columns = int CLC code; empty = 0."""
    a = pd.read_csv(ALDO_CLC18, dtype={"siren": str}).set_index("siren")
    a = a.loc[list(EPCIS)].fillna(0.0)
    a.columns = [int(c) for c in a.columns]
    return a


def load_rpg() -> gpd.GeoDataFrame:
    rpg = gpd.read_file(RPG, layer="parcelles").to_crs(2154)
    m = pd.read_csv(RPG_TO_CLC, dtype=str)
    crop = dict(m.loc[m["level"] == "crop", ["code", "code_clc"]].values)
    grp = dict(m.loc[m["level"] == "group", ["code", "code_clc"]].values)
    codes = []
    for cu, gr in zip(rpg["CODE_CULTU"], rpg["CODE_GROUP"]):
        c = crop.get(str(cu), grp.get(str(gr)))
        if c is None:
            raise ValueError(f"no CLC mapping for RPG crop {cu} / group {gr}")
        codes.append(int(c))
    rpg["code_clc"] = codes
    return rpg


# --------------------------------------------------------------------------- helpers
def box_blur(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    """Moving average of width 2r+1 along one axis (cumulative sums, reflect padding)."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (r, r)
    p = np.pad(a, pad, mode="reflect")
    c = np.cumsum(p, axis=axis, dtype=np.float64)
    zero_shape = list(c.shape)
    zero_shape[axis] = 1
    c = np.concatenate([np.zeros(zero_shape), c], axis=axis)
    n = a.shape[axis]
    hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
    lo = np.take(c, np.arange(0, n), axis=axis)
    return (hi - lo) / (2 * r + 1)


def smooth_noise(rng: np.random.Generator, shape, radius_m: float, passes: int = 3) -> np.ndarray:
    """White noise smoothed by `passes` separable box blurs (~gaussian), standardised."""
    r = max(1, int(round(radius_m / RES)))
    z = rng.standard_normal(shape)
    for _ in range(passes):
        z = box_blur(z, r, 0)
        z = box_blur(z, r, 1)
    z -= z.mean()
    z /= z.std()
    return z.astype(np.float32)


def zscore(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    v = a[mask]
    return ((a - v.mean()) / (v.std() + 1e-12)).astype(np.float32)


# --------------------------------------------------------------------------- main build
def build() -> dict:
    t0 = time.perf_counter()
    com = load_territory()
    targets_ha = load_targets_ha()
    rpg = load_rpg()

    # ---- grid aligned on 20 m
    xmin, ymin, xmax, ymax = com.total_bounds
    x0 = np.floor(xmin / RES) * RES
    y1 = np.ceil(ymax / RES) * RES
    width = int(np.ceil((xmax - x0) / RES))
    height = int(np.ceil((y1 - ymin) / RES))
    transform = from_origin(x0, y1, RES, RES)
    shape = (height, width)

    # ---- commune / EPCI index rasters (pixel-centre rule)
    com_idx = rasterize(
        ((g, i + 1) for i, g in enumerate(com.geometry)),
        out_shape=shape, transform=transform, fill=0, all_touched=False, dtype="int32",
    )
    epci_of_com = np.array([0] + [1 + EPCIS.index(e) for e in com["epci"]], dtype=np.uint8)
    epci = epci_of_com[com_idx]  # 0 outside, 1 = CUD, 2 = HdF
    inside = epci > 0

    # ---- burn RPG parcels first (pixel-centre rule), inside the territory only
    rpg_r = rasterize(
        ((g, int(c)) for g, c in zip(rpg.geometry, rpg["code_clc"])),
        out_shape=shape, transform=transform, fill=0, all_touched=False, dtype="uint16",
    )
    out = np.where(inside, rpg_r, 0).astype(np.uint16)

    # ---- coordinates and score ingredients
    rows = np.arange(height, dtype=np.float32)[:, None]
    cols = np.arange(width, dtype=np.float32)[None, :]
    xc = x0 + (cols + 0.5) * RES  # (1, W)
    yc = y1 - (rows + 0.5) * RES  # (H, 1)

    rng = np.random.default_rng(SEED)
    noise = {}

    def nz(key, radius_m):
        if key not in noise:
            noise[key] = smooth_noise(rng, shape, radius_m)
        return noise[key]

    # coast: the North Sea is the northern edge of the CU de Dunkerque; distance (m) measured
    # southward from the northernmost CUD pixel of each column
    cud = epci == 1
    has = cud.any(axis=0)
    top = np.where(has, np.argmax(cud, axis=0), 0).astype(np.float64)
    k = np.ones(2 * 15 + 1)  # smooth the coastline over +-300 m (removes jetty/spit combs)
    top = np.convolve(top, k, mode="same") / np.maximum(np.convolve(has.astype(float), k, mode="same"), 1)
    dcoast = np.where(cud, (rows - top.astype(np.float32)[None, :]) * RES, np.inf).astype(np.float32)

    # port / beach split along the coast (stylised): port and heavy industry west of the
    # Dunkerque urban core, beaches and dunes east of it
    dk = com.loc[com["code"] == "59183"].geometry.iloc[0].centroid
    x_split = dk.x + 3000.0
    west = np.maximum(0.0, xc - x_split).astype(np.float32)  # m east of split (penalty for port)
    east = np.maximum(0.0, x_split - xc).astype(np.float32)  # m west of split (penalty for beach)

    # urban attraction: sum of gaussians at commune centroids, width ~ sqrt(population)
    urb = np.zeros(shape, dtype=np.float32)
    for geom, pop in zip(com.geometry, com["population"]):
        c = geom.centroid if geom.centroid.within(geom) else geom.representative_point()
        L = 9.0 * np.sqrt(pop) + 150.0  # m
        d2 = ((xc - c.x) ** 2).astype(np.float32) + ((yc - c.y) ** 2).astype(np.float32)
        urb += np.exp(-d2 / (2.0 * L * L)).astype(np.float32)
    logu = np.log(urb + 1e-6).astype(np.float32)

    def coastal(extra):
        return (-dcoast + extra).astype(np.float32)

    def patches(key, radius_m, urban_w=0.0, extra=None):
        s = nz(key, radius_m) + urban_w * zscore(logu, inside)
        if extra is not None:
            s = s + extra
        return s.astype(np.float32)

    def lines(key, radius_m, urban_w=0.0):
        # zero-contours of a smooth field = sinuous lines (rivers, canals, roads); |n| / |grad n|
        # approximates the distance (px) to the contour, so lines have an even width
        n = nz(key, radius_m)
        gy, gx = np.gradient(n)
        s = -np.abs(n) / (np.hypot(gx, gy) + 1e-6) + urban_w * zscore(logu, inside)
        return s.astype(np.float32)

    # ---- class-specific scores: higher = taken first; e = 1 (CUD, coastal) or 2 (HdF)
    def score(code: int, e: int) -> np.ndarray:
        coast = e == 1
        if code == 523:  # sea and ocean: outermost strip
            return coastal(15 * nz("c523", 200))
        if code == 423:  # intertidal flats
            return coastal(20 * nz("c423", 400))
        if code == 421:  # salt marshes: western estuary (Aa)
            return coastal(-0.05 * (xc - x0))
        if code == 331:  # beaches: east of the port
            return coastal(-0.5 * east + 30 * nz("c331", 300))
        if code == 333:  # sparse vegetation / dunes
            return coastal(-0.3 * east + 150 * nz("c333", 400))
        if code == 512 and coast:  # water bodies: port basins (+ lakes)
            return coastal(-0.4 * west + 900 * nz("c512", 250))
        if code == 123 and coast:  # port areas
            return coastal(-0.6 * west + 500 * nz("c123", 500))
        if code == 121 and coast:  # industrial zones behind the port
            return coastal(-0.25 * west + 1200 * nz("c121", 500))
        if code == 322 and coast:  # moors / coastal scrub and port wasteland
            return coastal(1500 * nz("c322", 400))
        if code == 321 and coast:  # natural grassland near the dunes
            return coastal(-0.2 * east + 1000 * nz("c321", 300))
        if code == 511:  # watercourses / canals
            return lines("c511", 4000)
        if code == 122:  # roads, rail
            return lines("c122", 1000, urban_w=0.5)
        if code == 141:  # green urban areas: inside towns
            return (lu + 0.8 * nz("c141", 150)).astype(np.float32)
        if code == 111:  # continuous urban fabric: the very core
            return (lu + 0.15 * nz("c111", 150)).astype(np.float32)
        if code == 112:
            return (lu + 0.25 * nz("c112", 200)).astype(np.float32)
        if code in (121, 142, 124, 131, 132, 133):  # urban fringe patches
            return (lu + 1.0 * nz(f"c{code}", 250)).astype(np.float32)
        if code in (311, 312, 313):  # forests: km-scale patches away from towns
            return patches("forest", 700, urban_w=-0.3, extra=0.25 * nz(f"c{code}", 300))
        if code in (321, 322, 324, 333):
            return patches(f"c{code}", 400, urban_w=-0.2)
        if code in (411, 412, 512):  # wetlands and lakes
            return patches(f"c{code}", 400)
        if code == 231:  # grassland: around villages and along watercourses
            return patches("c231", 500, urban_w=0.4, extra=-0.6 * np.abs(nz("c511", 4000)))
        if code in (242, 243):  # complex cultivation around settlements
            return patches(f"c{code}", 350, urban_w=0.7)
        return patches(f"c{code}", 400)

    ORDER = [
        523, 423, 421, 511, 331, 333, 512, 123, 121, 322, 321,  # coast, water, port
        141, 111, 112, 142, 122, 124, 131, 132, 133,  # urban
        311, 312, 313, 324, 411, 412, 222,  # forests, semi-natural, wetlands
        231, 242, 243,  # grassland, heterogeneous farmland
    ]
    # pre-generate noise in a fixed order so that the random stream never depends on the data
    for key, r in [("urban", 300), ("c523", 200), ("c423", 400), ("c331", 300), ("c333", 400),
                   ("c512", 250), ("c123", 500), ("c121", 500), ("c322", 400), ("c321", 300),
                   ("c511", 4000), ("c122", 1000), ("c141", 150), ("c111", 150), ("c112", 200),
                   ("c142", 250), ("c124", 250), ("c131", 250), ("forest", 700), ("c311", 300),
                   ("c312", 300), ("c313", 300), ("c324", 400), ("c411", 400), ("c412", 400),
                   ("c231", 500), ("c242", 350), ("c243", 350)]:
        nz(key, r)
    lu = zscore(logu, inside) + 0.35 * noise["urban"]  # noisy urban score

    report = {}
    flat_out = out.ravel()
    flat_epci = epci.ravel()
    for e, siren in enumerate(EPCIS, start=1):
        in_e = flat_epci == e
        npx = int(in_e.sum())
        t_ha = targets_ha.loc[siren]
        t_ha = t_ha[t_ha > 0]
        scale = npx * PIXEL_HA / float(t_ha.sum())
        tgt_px = {int(c): int(round(v * scale / PIXEL_HA)) for c, v in t_ha.items()}
        burnt = {int(c): int(n) for c, n in zip(*np.unique(flat_out[in_e], return_counts=True)) if c}
        # arable closes the total: everything not claimed by another class or by burnt
        # non-target parcel codes
        other = sum(v for c, v in tgt_px.items() if c != FALLBACK)
        other += sum(n for c, n in burnt.items() if c not in tgt_px)
        tgt_px[FALLBACK] = npx - other
        order = [c for c in ORDER if c in tgt_px and c != FALLBACK]
        order += sorted(c for c in tgt_px if c not in order and c != FALLBACK)
        for code in order:
            free = np.flatnonzero(in_e & (flat_out == 0))
            need = tgt_px[code] - burnt.get(code, 0)
            if need <= 0 or free.size == 0:
                continue
            s = score(code, e).ravel()[free]
            if need >= free.size:
                sel = free
            else:
                sel = free[np.argpartition(-s, need - 1)[:need]]
            flat_out[sel] = code
        free = in_e & (flat_out == 0)
        flat_out[free] = FALLBACK
        vals, cnts = np.unique(flat_out[in_e], return_counts=True)
        report[siren] = {
            "npx": npx, "scale": scale, "target_ha": {c: v * scale for c, v in t_ha.items()},
            "raster_ha": {int(c): n * PIXEL_HA for c, n in zip(vals, cnts)},
        }
    out = flat_out.reshape(shape)
    out[~inside] = 0

    # ---- write
    profile = dict(
        driver="GTiff", width=width, height=height, count=1, dtype="uint16", crs="EPSG:2154",
        transform=transform, nodata=0, tiled=True, blockxsize=256, blockysize=256,
        compress="DEFLATE", predictor=2, zlevel=9, interleave="band",
    )
    with rasterio.open(OUT, "w", **profile) as dst:
        dst.write(out, 1)
        dst.set_band_description(1, "CLC 2018 code (synthetic, calibrated)")
        dst.update_tags(
            SYNTHETIC="yes",
            TERRITORY="SCoT Flandre-Dunkerque: EPCI 245900428 (CU de Dunkerque) + 200040954 "
                      "(CC des Hauts de Flandre), communes COG 2018",
            ENCODING="pixel value = CLC level-3 code (e.g. 211); 0 = nodata (outside territory)",
            METHOD="RPG 2021 parcels burnt first (pixel-centre rule, CLC code via "
                   "factors/rpg_to_clc.csv); remaining pixels allocated per EPCI by ranking "
                   "class-specific scores (coast distance, population-weighted distance to commune "
                   "centroids, smoothed random fields) so that per-class pixel areas equal the ALDO "
                   "CLC 2018 areas scaled by pixel area / ALDO total; 211 takes the rest. The "
                   "layout is invented, the class areas are real.",
            SOURCES="landcover/aldo/clc18_surfaces_ha_epci_59_62.csv (ALDO, incubateur-ademe/aldo "
                    "data/dataByEpci/clc18.csv); landcover/rpg/rpg_2021_flandre_dunkerque.gpkg "
                    "(RPG 2021 niveau 1, IGN/ASP); boundaries/communes_59_62.geojson (IGN Admin "
                    "Express COG 2018); boundaries/communes_epci_2018_59_62.csv",
            SEED=str(SEED),
            PIXEL_AREA_HA="0.04",
        )
    report["runtime_s"] = time.perf_counter() - t0
    report["shape"] = shape
    report["bounds"] = (x0, y1 - height * RES, x0 + width * RES, y1)
    return report


def main() -> None:
    rep = build()
    print(f"wrote {OUT.relative_to(ROOT)}  shape={rep['shape']}  bounds={rep['bounds']}")
    for siren in EPCIS:
        r = rep[siren]
        print(f"EPCI {siren}: {r['npx']} px = {r['npx'] * PIXEL_HA:.1f} ha, scale {r['scale']:.5f}")
        codes = sorted(set(r["target_ha"]) | set(r["raster_ha"]))
        for c in codes:
            t = r["target_ha"].get(c, 0.0)
            g = r["raster_ha"].get(c, 0.0)
            rel = (g - t) / t * 100 if t else float("nan")
            print(f"  {c}: target {t:10.2f} ha  raster {g:10.2f} ha  err {rel:+.3f} %")
    print(f"runtime {rep['runtime_s']:.1f} s, size {OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
