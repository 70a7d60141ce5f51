"""Hybrid exact engine: pixel-centre counts inside the zones, exact fractions on their edges.

Same areas as the ``exact`` engine (exactextract) without its per-pixel cost on the interior:

1. **Edge pixels, exact.** Every ring of every zone (exteriors counter-clockwise, holes
   clockwise) is cut at the pixel grid lines into pieces that each lie in one pixel. A piece
   from ``(u0, v0)`` to ``(u1, v1)`` (pixel coordinates, ``v`` downwards) in column ``c`` adds
   ``dv · (c + 1 − ū)`` to its pixel and ``dv · (ū − c)`` to the next pixel of the row (the
   signed-area accumulation of font rasterizers). Summed from the left along a row of one zone,
   these give the exact covered fraction of every pixel. Only pixels holding a piece are kept
   (sparse: sort by zone, row, column and a segmented cumulative sum), so the cost is the length
   of the boundaries in pixels, not the zones' area. A pixel holding no piece of a zone is
   either wholly inside it or wholly outside.
2. **Interior pixels, counted.** The same row sums say, between two edge pixels of a zone,
   whether the pixels are wholly inside (coverage 1): these runs are the zone's interior, the
   pixels whose centre — and all the rest — is in the zone. Per block (2048² by default) of the
   zones' window, the codes under the runs are counted per zone × code with one ``bincount``
   (no rasterization of the polygons). Blocks, and the edge computation by chunks of zones,
   run in parallel with ``dask.delayed`` (threads: rasterio and numpy release the GIL).
3. Edge pixels add ``fraction × pixel area`` to (zone, code of the pixel), no-data excepted.

Zone areas close: Σ classes + no-data + outside the raster = polygon area (to float
rounding). Each zone is computed on its own, so overlapping zones each get their full area (as
with exactextract).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2
from espass_geo.errors import AreaTableError

__all__ = ["edge_fractions_and_runs", "hybrid_class_areas"]


def _segments(geoms) -> tuple[np.ndarray, np.ndarray]:
    """Ring segments ``(n, 4)`` [x0, y0, x1, y1] of oriented polygons and their zone index."""
    import shapely

    parts, zone_of_part = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    keep = shapely.get_type_id(parts) == 3  # polygons only
    parts, zone_of_part = parts[keep], zone_of_part[keep]
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    xy, ring_of_pt = shapely.get_coordinates(rings, return_index=True)
    same = ring_of_pt[1:] == ring_of_pt[:-1]
    seg = np.column_stack([xy[:-1][same], xy[1:][same]])
    zone = zone_of_part[part_of_ring[ring_of_pt[:-1][same]]]
    return seg, zone


def _crossings(a0: np.ndarray, a1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment index and parameter t of every integer value strictly between a0 and a1."""
    lo = np.minimum(a0, a1)
    hi = np.maximum(a0, a1)
    first = np.floor(lo) + 1
    last = np.ceil(hi) - 1
    n = np.maximum(last - first + 1, 0).astype(np.int64)
    seg = np.repeat(np.arange(len(a0)), n)
    if seg.size == 0:
        return seg, np.zeros(0)
    start = np.repeat(np.cumsum(n) - n, n)
    k = first[seg] + (np.arange(seg.size) - start)
    d = a1[seg] - a0[seg]
    return seg, (k - a0[seg]) / d


def edge_fractions_and_runs(geoms, transform, height: int, width: int):
    """Exact covered fraction of the pixels cut by a zone boundary, and the interior runs.

    ``geoms``: polygons (zone ``i`` = position ``i``); ``transform``: affine transform of a
    north-up grid of ``height × width`` pixels. Returns two tuples of arrays:

    * ``(zone, row, col, fraction)`` for every (zone, pixel) where the pixel holds a piece of
      that zone's boundary (fraction may be 0 or 1 there, e.g. an edge along a grid line);
    * ``(zone, row, col_start, col_end)``: runs of pixels wholly inside the zone, end excluded.

    Pixels outside the grid are left out; the part of a zone outside the grid still counts in
    the row sums, so pixels on the grid edge are right.
    """
    i64 = np.zeros(0, np.int64)
    empty = ((i64, i64, i64, np.zeros(0)), (i64, i64, i64, i64))
    seg, zone = _segments(geoms)
    if len(seg) == 0:
        return empty
    u0 = (seg[:, 0] - transform.c) / transform.a
    u1 = (seg[:, 2] - transform.c) / transform.a
    v0 = (seg[:, 1] - transform.f) / transform.e
    v1 = (seg[:, 3] - transform.f) / transform.e
    # rows outside the grid contribute nothing to rows inside it
    inside = (np.maximum(v0, v1) > 0) & (np.minimum(v0, v1) < height)
    u0, u1, v0, v1, zone = u0[inside], u1[inside], v0[inside], v1[inside], zone[inside]
    n = len(u0)
    if n == 0:
        return empty
    su, tu = _crossings(u0, u1)
    sv, tv = _crossings(v0, v1)
    s = np.concatenate([np.arange(n), np.arange(n), su, sv])
    t = np.concatenate([np.zeros(n), np.ones(n), tu, tv])
    order = np.argsort(2.0 * s + t)  # by segment, then t in [0, 1]: one float sort
    s, t = s[order], t[order]
    piece = s[1:] == s[:-1]  # consecutive split points of one segment bound one piece
    ps, ta, tb = s[:-1][piece], t[:-1][piece], t[1:][piece]
    du, dv = u1[ps] - u0[ps], v1[ps] - v0[ps]
    ua, ub = u0[ps] + ta * du, u0[ps] + tb * du
    va, vb = v0[ps] + ta * dv, v0[ps] + tb * dv
    um = 0.5 * (ua + ub)
    col = np.floor(um).astype(np.int64)
    row = np.floor(0.5 * (va + vb)).astype(np.int64)
    dvp = (vb - va) * (1.0 if transform.a * transform.e < 0 else -1.0)  # flipped axes
    here = dvp * (col + 1 - um)
    carry = dvp - here
    keep = (row >= 0) & (row < height)
    z = zone[ps][keep]
    row, col, here, carry = row[keep], col[keep], here[keep], carry[keep]
    if len(z) == 0:
        return empty
    # sparse per-(zone, row) prefix sums over the pieces' pixels and the carried pixels
    zz = np.concatenate([z, z])
    rr = np.concatenate([row, row])
    cc = np.concatenate([col, col + 1])
    val = np.concatenate([here, carry])
    is_piece = np.concatenate([np.ones(len(z)), np.zeros(len(z))])
    cmin = int(cc.min())
    span = int(cc.max()) - cmin + 1
    key = (zz.astype(np.int64) * height + rr) * span + (cc - cmin)
    ukey, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv, weights=val, minlength=len(ukey))
    flag = np.bincount(inv, weights=is_piece, minlength=len(ukey)) > 0
    group = ukey // span
    cs = np.cumsum(sums)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    base = np.repeat(np.r_[0.0, cs[starts[1:] - 1]], np.diff(np.r_[starts, len(cs)]))
    cover = cs - base
    ccol = ukey % span + cmin
    ok = flag & (ccol >= 0) & (ccol < width)
    edges = (group[ok] // height, group[ok] % height, ccol[ok], np.clip(cover[ok], 0.0, 1.0))
    # runs: a carried pixel (no piece of the zone) wholly inside, up to the next entry
    last = np.r_[group[1:] != group[:-1], True]
    nxt = np.r_[ccol[1:], 0]
    run = ~flag & ~last & (cover > 0.5)
    a = np.clip(ccol[run], 0, width)
    b = np.clip(nxt[run], 0, width)
    long = b > a
    g = group[run][long]
    runs = (g // height, g % height, a[long], b[long])
    return edges, runs


def hybrid_class_areas(path, zones, id_col: str = "zone_id", *, window=None,
                       block_size: int = 2048) -> pd.DataFrame:
    """Exact areas (ha) per zone × code: run counts inside, exact fractions on the edges.

    ``path``: land-cover raster (north-up); ``zones``: GeoDataFrame in the raster's CRS with a
    unique ``id_col``; ``window``: the part of the raster to read (default: the zones' window).
    Returns ``id_col, code, area_ha`` (codes as ``int``), no-data and outside pixels left out —
    the same table as exactextract's ``unique``/``frac``/``count`` within float rounding.
    """
    import dask
    import rasterio
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    from espass_geo.io.rasters import gdal_path, raster_window

    path = gdal_path(path)  # a GDAL virtual path (/vsis3/…) as GDAL wants it
    empty = pd.DataFrame({id_col: [], "code": [], "area_ha": []})
    with rasterio.open(path) as src:
        nodata = src.nodata
        transform = src.transform
        if transform.b or transform.d:
            raise AreaTableError(
                f"le raster « {path} » a une grille tournée (transformation {tuple(transform)[:6]}"
                ") : le moteur hybrid ne traite que les grilles nord en haut ; utilisez "
                "--engine exact ou rééchantillonnez le raster (`gdalwarp`).")
        pixel_ha = abs(transform.a * transform.e) * HA_PER_M2
        if window is None:
            window = raster_window(src, zones.total_bounds)
    if window is None:
        return empty
    ids = zones[id_col].to_numpy()
    r0, c0 = int(window.row_off), int(window.col_off)
    H, W = int(window.height), int(window.width)
    wtransform = window_transform(window, transform)
    # edges and runs by chunks of zones, in parallel (numpy releases the GIL)
    garr = np.asarray(zones.geometry.values)
    nchunk = max(1, min(len(garr), 4 * (os.cpu_count() or 1)))
    bounds = np.unique(np.linspace(0, len(garr), nchunk + 1).astype(int))
    chunks = dask.compute(*[dask.delayed(edge_fractions_and_runs)(garr[a:b], wtransform, H, W)
                            for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    ez, er, ec, ef = (np.concatenate([ch[0][k] + (a if k == 0 else 0)
                                      for ch, a in zip(chunks, bounds[:-1], strict=True)])
                      for k in range(4))
    rz, rr, ra, rb = (np.concatenate([ch[1][k] + (a if k == 0 else 0)
                                      for ch, a in zip(chunks, bounds[:-1], strict=True)])
                      for k in range(4))
    # split the runs at the block columns, then hand each block its edge pixels and runs
    nbc = -(-W // block_size)
    nblocks = -(-H // block_size) * nbc
    nsp = (rb - 1) // block_size - ra // block_size + 1
    rep = np.repeat(np.arange(len(ra)), nsp)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(nsp) - nsp, nsp)
    bcol = ra[rep] // block_size + k
    rz, rr = rz[rep], rr[rep]
    ra = np.maximum(ra[rep], bcol * block_size)
    rb = np.minimum(rb[rep], (bcol + 1) * block_size)
    rblock = (rr // block_size) * nbc + bcol
    eblock = (er // block_size) * nbc + ec // block_size
    # block numbers as uint16 where they fit: numpy's stable sort is then a radix sort
    # (2.2 M edge pixels of 50 000 parcels: 0.02 s instead of 0.3 s for int64)
    kdt = np.uint16 if nblocks <= 1 << 16 else np.int64
    eo = np.argsort(eblock.astype(kdt), kind="stable")
    ro = np.argsort(rblock.astype(kdt), kind="stable")
    ez, er, ec, ef, eblock = ez[eo], er[eo], ec[eo], ef[eo], eblock[eo]
    rz, rr, ra, rb, rblock = rz[ro], rr[ro], ra[ro], rb[ro], rblock[ro]
    eidx = np.searchsorted(eblock, np.arange(nblocks + 1))
    ridx = np.searchsorted(rblock, np.arange(nblocks + 1))

    def block(bi: int, row0: int, col0: int, h: int, w: int) -> pd.DataFrame:
        es, rs = slice(eidx[bi], eidx[bi + 1]), slice(ridx[bi], ridx[bi + 1])
        if es.start == es.stop and rs.start == rs.stop:
            return pd.DataFrame({"z": [], "code": [], "a": []})
        with rasterio.open(path) as s:
            lc = s.read(1, window=Window(c0 + col0, r0 + row0, w, h)).ravel()
        zr, zinv = np.unique(np.r_[rz[rs], ez[es]], return_inverse=True)
        nrun = rs.stop - rs.start
        zrun = zinv[:nrun]
        first = (rr[rs] - row0) * w + (ra[rs] - col0)
        n = rb[rs] - ra[rs]
        epix = (er[es] - row0) * w + (ec[es] - col0)
        # runs of one row never overlap unless zones do
        order = np.lexsort((ra[rs], rr[rs]))
        fo, lo = first[order], first[order] + n[order]
        overlap = bool(nrun) and bool((fo[1:] < lo[:-1]).any())
        if overlap or int(n.sum()) < lc.size // 4:
            # sparse zones (or overlapping ones): gather every pixel of every run
            pix = np.repeat(first - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
            codes, cidx = _small_codes(np.r_[lc[pix], lc[epix]])
            nc = len(codes)
            counts = np.bincount(np.repeat(zrun * nc, n) + cidx[:len(pix)],
                                 minlength=len(zr) * nc).astype(float)
            ecode = cidx[len(pix):]
        else:
            # dense zones: zone raster from run starts and ends (+z at start, −z after the
            # end, row sums), then one bincount over the block
            cmax = int(lc.max()) + 1 if lc.dtype.kind == "u" else 1 << 31
            if (len(zr) + 1) * cmax < 1 << 24:  # small codes: the code is its own bin
                codes, nc, lut_lc = np.arange(cmax), cmax, lc
            else:  # distinct codes, code index of every pixel
                codes, lut_lc = _small_codes(lc)
                nc = len(codes)
            zl = np.zeros(h * (w + 1), dtype=np.int32)
            rows_ = rr[rs] - row0
            zl[first + rows_] = zrun + 1
            end = np.zeros_like(zl)
            end[first + rows_ + n] = zrun + 1
            zl -= end
            del end
            zl = np.cumsum(zl.reshape(h, w + 1), axis=1, dtype=np.int32)[:, :w].ravel()
            key = (zl * nc if (len(zr) + 1) * nc < 1 << 31 else zl.astype(np.int64) * nc) + lut_lc
            counts = np.bincount(key, minlength=(len(zr) + 1) * nc).astype(float)[nc:]
            ecode = lut_lc[epix]
        counts += np.bincount(zinv[nrun:] * nc + ecode, weights=ef[es], minlength=len(zr) * nc)
        nz = np.flatnonzero(counts)
        out = pd.DataFrame({"z": zr[nz // nc], "code": codes[nz % nc], "a": counts[nz]})
        if nodata is not None:
            out = out[out["code"] != nodata]
        return out

    tasks = []
    bi = 0
    for r in range(0, H, block_size):
        for c in range(0, W, block_size):
            tasks.append(dask.delayed(block)(bi, r, c, min(block_size, H - r),
                                             min(block_size, W - c)))
            bi += 1
    parts = dask.compute(*tasks)
    df = pd.concat(parts, ignore_index=True)
    if df.empty:
        return empty
    out = df.groupby(["z", "code"], as_index=False)["a"].sum()
    return pd.DataFrame({id_col: ids[out["z"].to_numpy().astype(np.int64)],
                         "code": out["code"].astype(int).to_numpy(),
                         "area_ha": out["a"].to_numpy() * pixel_ha})


def _small_codes(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct codes and each value's index, without a sort for small non-negative integers."""
    if c.size == 0:
        return np.zeros(0, c.dtype), np.zeros(0, np.int32)
    if c.dtype.kind in "ui" and c.min() >= 0 and c.max() < 1 << 20:
        present = np.flatnonzero(np.bincount(c))
        lut = np.zeros(int(present[-1]) + 1, dtype=np.int32)
        lut[present] = np.arange(len(present))
        return present.astype(c.dtype), lut[c]
    return np.unique(c, return_inverse=True)
