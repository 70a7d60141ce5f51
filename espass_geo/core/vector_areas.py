"""Area and change tables from VECTOR land cover: exact polygon overlay (issue #11).

A vector land cover (OCS GE, OCS2D, BD Forêt, CLC vector…, read by
:func:`espass_geo.io.landcover_vectors.read_landcover_vector`) is a GeoDataFrame in
Lambert-93 with a ``code`` column (CLC level-3 or extension code, as str) and polygons. Its
cross-tab with the zones is the exact area of each land-cover polygon ∩ zone, computed with
shapely 2 in vectorised form:

* a spatial index (``shapely.STRtree``) of the land-cover polygons is queried with the zones
  (``predicate="intersects"``): only the pairs that touch are examined;
* a land-cover polygon that a zone contains properly counts its own area (no overlay), as does
  one identical to the zone piece; only the pairs on a zone boundary are intersected;
* the pairs are processed in chunks (bounded memory) on dask's thread pool (shapely releases
  the GIL: both cores work).

The tables have the contract of the raster path (:func:`espass_geo.core.areas.area_table_from_raster`,
:func:`espass_geo.io.change_rasters.change_table_from_rasters`): same columns, summary,
closure, coverage rule and parcel precedence. A land cover given as a raster at one date and
as a vector at the other is rasterized on the raster's grid (:func:`change_table_mixed`).
"""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2, LAMBERT93
from espass_geo.core.areas import (
    AREA_COLUMNS,
    MAX_NODATA_SHARE,
    AreaTable,
    check_coverage,
)
from espass_geo.core.changes import CHANGE_COLUMNS, ChangeTable, check_dates
from espass_geo.errors import (
    AreaTableError,
    CoverageError,
    CRSMismatchError,
    EmptyTerritoryError,
    OverlappingZonesWarning,
)
from espass_geo.io.vectors import overlap_notice
from espass_geo.present.fmt import fmt_area_ha

#: Pairs (zone piece × land-cover polygon) handled per task: bounds the memory of the
#: intersection geometries (~50 000 boundary pairs ≈ a few tens of MB).
PAIR_CHUNK = 50_000
#: Above this many pairs the chunks run on dask's thread pool (below, start-up costs more).
PARALLEL_MIN_PAIRS = 20_000
#: A zone whose land-cover pieces add up to more than its area by this much (ha) holds
#: overlapping land-cover polygons (counted twice): warned about.
OVERLAP_TOL_HA = 0.01


# ------------------------------------------------------------------ inputs
def _unwrap(lc, default_label: str) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """A GeoDataFrame or a :class:`~espass_geo.io.landcover_vectors.VectorLandCover`
    (duck-typed: ``gdf``, ``label``, ``notes``) -> (gdf, label, notes)."""
    if hasattr(lc, "gdf") and hasattr(lc, "notes"):
        return lc.gdf, getattr(lc, "label", None) or default_label, list(lc.notes)
    return lc, default_label, []


def _warned_overlap(*layers) -> bool:
    """Overlaps already warned about when a layer was read (VectorLandCover.overlap_ha)."""
    return any(getattr(lc, "overlap_ha", 0.0) > 0 for lc in layers)


def _check_lc(lc: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    if not isinstance(lc, gpd.GeoDataFrame) or "code" not in lc.columns:
        raise AreaTableError(
            f"occupation du sol vectorielle « {label} » : une GeoDataFrame avec une colonne "
            "« code » (code CLC) et des polygones est attendue ; lisez la couche avec "
            "read_landcover_vector().")
    if lc.crs is None or lc.crs.to_epsg() != 2154:
        raise CRSMismatchError(
            f"l'occupation du sol vectorielle « {label} » est en {lc.crs}, pas en EPSG:2154 ; "
            "reprojetez-la (`lc.to_crs(2154)`) ou lisez-la avec read_landcover_vector().")
    keep = lc.geometry.notna().to_numpy() & lc["code"].notna().to_numpy()
    if not keep.all():
        lc = lc[keep]
    return lc


def _check_zones(zones: gpd.GeoDataFrame, max_nodata_share: float) -> None:
    """The checks of the raster path (same errors, same messages)."""
    if zones.empty:
        raise EmptyTerritoryError("aucune zone à croiser avec l'occupation du sol : la "
                                  "sélection du territoire est vide ; vérifiez --territory.")
    if zones.crs is None or zones.crs.to_epsg() != 2154:
        raise CRSMismatchError(
            f"les zones sont en {zones.crs}, pas en EPSG:2154 ; reprojetez-les "
            "(`zones.to_crs(2154)`)."
        )
    dup = zones["zone_id"][zones["zone_id"].duplicated()]
    if len(dup):
        raise AreaTableError(f"identifiants de zone en double ({', '.join(map(str, dup[:10]))}) "
                             "; donnez à chaque zone un identifiant unique (zone_id).")
    if not 0.0 <= max_nodata_share <= 1.0:
        raise ValueError(f"max_nodata_share must be between 0 and 1, not {max_nodata_share!r}")


def _code_str(values) -> np.ndarray:
    """Codes as str: ``211``, ``211.0`` and ``"211"`` all give ``"211"``."""
    out = []
    for v in values:
        s = str(v).strip()
        try:
            f = float(s)
            if f.is_integer():
                s = str(int(f))
        except ValueError:
            pass
        out.append(s)
    return np.asarray(out, dtype=object)


# ------------------------------------------------------------------ the overlay
def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Polygonal parts of intersection results (a GeometryCollection may carry lines)."""
    import shapely

    from espass_geo.io.vectors import polygonal_part

    tid = shapely.get_type_id(geoms)
    odd = (tid != 3) & (tid != 6)
    if odd.any():
        geoms = geoms.copy()
        geoms[odd] = [polygonal_part(g) for g in geoms[odd]]
    return geoms


def _intersection_areas(a: np.ndarray, b: np.ndarray, keep_geoms: bool):
    """Areas (m²) of ``a ∩ b`` pair by pair (and the geometries when ``keep_geoms``)."""
    import shapely

    inter = shapely.intersection(b, a)
    return shapely.area(inter), (inter if keep_geoms else None)


def overlay_pairs(queries, targets, *, keep_geoms: bool = False, chunk: int = PAIR_CHUNK,
                  parallel: bool | None = None):
    """Exact areas of every intersecting pair ``queries[i] ∩ targets[j]``.

    Returns ``(i, j, area_m2)`` (and the intersection geometries when ``keep_geoms``; a
    target inside its query, or identical to it, is returned as is). ``targets`` (the many
    land-cover polygons) go in an STRtree queried with ``queries`` (zones, zone pieces,
    parcels), which are prepared so that ``contains_properly`` is cheap; only the other pairs
    (on a query's boundary) are intersected, in chunks of ``chunk`` pairs, on dask's thread
    pool when there are many (shapely releases the GIL). The prepared geometries are only
    used from the calling thread (GEOS builds their indexes lazily, not thread-safely).
    """
    import shapely

    q = np.asarray(queries, dtype=object)
    t = np.asarray(targets, dtype=object)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if len(q) == 0 or len(t) == 0:
        return (*empty, np.zeros(0, dtype=object)) if keep_geoms else empty
    tree = shapely.STRtree(t)
    iq, it = tree.query(q)                   # bounding boxes: no predicate evaluated yet
    shapely.prepare(q)
    area = np.zeros(len(iq))
    edge = np.zeros(len(iq), bool)
    hit = np.zeros(len(iq), bool)
    for s in range(0, len(iq), 4 * chunk):   # bounded temporaries, calling thread only
        a, b = q[iq[s:s + 4 * chunk]], t[it[s:s + 4 * chunk]]
        inside = shapely.contains_properly(a, b)
        other = ~inside
        meets = shapely.intersects(a[other], b[other])
        other[other] = meets
        same = shapely.equals_exact(a[other], b[other], tolerance=0.0)
        inside[other] = same
        other[other] = ~same
        area[s:s + len(a)][inside] = shapely.area(b[inside])
        edge[s:s + len(a)] = other
        hit[s:s + len(a)] = inside | other
    iq, it, area, edge = iq[hit], it[hit], area[hit], edge[hit]
    geoms = t[it] if keep_geoms else None
    todo = np.flatnonzero(edge)
    parts = [todo[s:s + chunk] for s in range(0, len(todo), chunk)]
    if parallel is None:
        parallel = len(todo) >= PARALLEL_MIN_PAIRS and len(parts) > 1
    if parallel:
        import dask

        tasks = [dask.delayed(_intersection_areas)(q[iq[k]], t[it[k]], keep_geoms)
                 for k in parts]
        # threads: the geometries are not shipped anywhere
        res = dask.compute(*tasks, scheduler="threads")
    else:
        res = [_intersection_areas(q[iq[k]], t[it[k]], keep_geoms) for k in parts]
    for k, (ar, gm) in zip(parts, res, strict=True):
        area[k] = ar
        if keep_geoms:
            geoms[k] = gm
    if keep_geoms:
        return iq, it, area, geoms
    return iq, it, area


def class_areas_vector(lc: gpd.GeoDataFrame, pieces: gpd.GeoDataFrame,
                       id_col: str) -> pd.DataFrame:
    """Exact area (ha) of each land-cover code inside each piece: ``id_col, code, area_ha``.

    ``lc``: land-cover polygons with a ``code`` column; ``pieces``: zones (or zone ×
    parcel pieces) with ``id_col``; both in the same projected CRS (Lambert-93). A piece
    not touched by any land-cover polygon has no row (its area is no-data).
    """
    iq, it, area = overlay_pairs(pieces.geometry.values, lc.geometry.values)
    df = pd.DataFrame({id_col: pieces[id_col].to_numpy()[iq],
                       "code": _fast_code_str(lc)[it] if len(it) else
                       np.zeros(0, dtype=object),
                       "area_ha": area * HA_PER_M2})
    df = df[df["area_ha"] > 0]
    return df.groupby([id_col, "code"], as_index=False, sort=True)["area_ha"].sum()


def _fast_code_str(lc: gpd.GeoDataFrame) -> np.ndarray:
    """Codes as str (:func:`_code_str`), converted once per distinct value."""
    inv, uniq = pd.factorize(lc["code"], use_na_sentinel=False)
    return _code_str(np.asarray(uniq, dtype=object))[inv]


# ------------------------------------------------------------------ area table
def area_table_from_vector(
    zones: gpd.GeoDataFrame,
    lc,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    max_nodata_share: float = MAX_NODATA_SHARE,
    label: str | None = None,
) -> AreaTable:
    """Cross-tabulate zones with a vector land cover (and optional parcels): exact overlay.

    Same contract as :func:`~espass_geo.core.areas.area_table_from_raster`: columns
    ``zone_id, code, area_ha, area_source`` (``landcover`` | ``parcels``), the same summary
    (``polygon_area_ha = classified_area_ha + nodata_area_ha``, ``nodata_area_ha`` = zone
    area covered by no land-cover polygon), the same coverage rule (:func:`check_coverage`)
    and parcel precedence (declared class inside parcels; ``disagreement_ha`` = parcel area
    whose land-cover code differs from the declared one).

    ``lc`` is a GeoDataFrame (EPSG:2154, ``code`` column) or a
    :class:`~espass_geo.io.landcover_vectors.VectorLandCover` (its notes are carried over).
    Overlapping land-cover polygons inside a zone are counted twice: warned about
    (:class:`OverlappingZonesWarning`) with the hectares.
    """
    warned = _warned_overlap(lc)
    lc, lc_label, notes = _unwrap(lc, "occupation du sol vectorielle")
    label = label or lc_label
    _check_zones(zones, max_nodata_share)
    lc = _check_lc(lc, label)
    lc = lc.assign(code=_fast_code_str(lc)) if len(lc) else lc
    polygon = pd.Series(zones.geometry.area.to_numpy() * HA_PER_M2,
                        index=zones["zone_id"].to_numpy())
    raw = class_areas_vector(lc, zones, "zone_id")
    if float(raw["area_ha"].sum()) <= 0:
        zb = [round(v) for v in zones.total_bounds]
        lb = [round(v) for v in lc.total_bounds] if len(lc) else "vide"
        raise CoverageError(
            f"la couche d'occupation du sol « {label} » (emprise {lb}) n'a aucun polygone sur "
            f"le territoire (emprise {zb}, {fmt_area_ha(float(polygon.sum()))}) : donnez une "
            "couche qui couvre le territoire (vérifiez l'emprise, le système de coordonnées et "
            "que la couche est la bonne).")
    raw["area_source"] = "landcover"
    notes += _overlap_in_zones(raw, polygon, label, warn=not warned)
    parcel_area = pd.Series(0.0, index=polygon.index)
    disagreement = pd.Series(0.0, index=polygon.index)
    if parcels is not None and len(parcels):
        raw, parcel_area, disagreement, pnotes = _apply_parcels_vector(lc, zones, parcels, raw)
        notes += pnotes
    table = raw.groupby(["zone_id", "code", "area_source"], as_index=False)["area_ha"].sum()
    table = table[table["area_ha"] > 1e-9]
    table = table[AREA_COLUMNS].sort_values(["zone_id", "code"]).reset_index(drop=True)
    summary = _summary(table, polygon, parcel_area, disagreement)
    notes += check_coverage(summary, zones, label, max_nodata_share=max_nodata_share,
                            vector=True)
    msg = overlap_notice(zones, "Des zones", "surfaces comptées dans chaque zone")
    if msg:
        notes.append(msg)
    return AreaTable(table=table, summary=summary, notes=notes)


def _summary(table: pd.DataFrame, polygon: pd.Series, parcel_area: pd.Series,
             disagreement: pd.Series) -> pd.DataFrame:
    classified = table.groupby("zone_id")["area_ha"].sum().reindex(polygon.index,
                                                                   fill_value=0.0)
    return pd.DataFrame({
        "zone_id": polygon.index, "polygon_area_ha": polygon.to_numpy(),
        "classified_area_ha": classified.to_numpy(),
        "nodata_area_ha": np.clip(polygon.to_numpy() - classified.to_numpy(), 0, None),
        "parcel_area_ha": parcel_area.reindex(polygon.index).to_numpy(),
        "disagreement_ha": disagreement.reindex(polygon.index).to_numpy(),
    })


def _overlap_in_zones(raw: pd.DataFrame, polygon: pd.Series, label: str,
                      warn: bool = True) -> list[str]:
    """Land-cover pieces adding up to more than a zone's area: overlapping polygons (a note;
    a warning too unless the reader already warned)."""
    covered = raw.groupby("zone_id")["area_ha"].sum().reindex(polygon.index, fill_value=0.0)
    excess = (covered - polygon).clip(lower=0.0)
    total = float(excess.sum())
    if total <= OVERLAP_TOL_HA:
        return []
    worst = excess.sort_values(ascending=False)
    worst = worst[worst > OVERLAP_TOL_HA]
    zones_txt = ", ".join(f"{z} ({fmt_area_ha(float(v))})" for z, v in worst.head(5).items())
    msg = (f"Des polygones de l'occupation du sol vectorielle « {label} » se chevauchent : "
           f"au moins {fmt_area_ha(total)} comptés deux fois ({zones_txt}). Corrigez la "
           "couche (un seul polygone par lieu ; par ex. `ogr2ogr -explodecollections` puis "
           "une union par code) : les surfaces de ces zones dépassent leur superficie.")
    if warn:
        warnings.warn(msg, OverlappingZonesWarning, stacklevel=4)
    return [msg]


def _apply_parcels_vector(lc, zones, parcels, raw):
    """The vector twin of :func:`espass_geo.core.areas._apply_parcels`: inside parcels the
    declared class replaces the land cover (exact overlay instead of exactextract)."""
    from espass_geo.core.areas import apply_parcels

    return apply_parcels(zones, parcels, raw,
                         lambda pieces: class_areas_vector(lc, pieces, "piece_id"),
                         source="vectorielle", code_of=_code_str, stacklevel=6)


def change_table_from_vectors(
    zones: gpd.GeoDataFrame,
    before,
    after,
    *,
    years: tuple[int, int],
    max_nodata_share: float = MAX_NODATA_SHARE,
    label: str | None = None,
) -> ChangeTable:
    """Change table (ha from code A to code B over the period, per zone) of two vector land
    covers: exact areas of before ∩ after ∩ zone.

    The zones are first cut by the first date (pieces zone × polygon, kept whole when inside),
    then the pieces are overlaid with the second date (:func:`overlay_pairs` again), except
    the pieces of a first-date polygon whose geometry is identical to a second-date polygon
    (most of them between two vintages of OCS GE): they are paired with it directly, and
    the other pieces are only overlaid with the second-date polygons that have no identical
    first-date twin. (These shortcuts assume that the polygons of each date do not overlap
    each other — the reader warns when they do.) Both
    margins close on the area covered at both dates (``summary.classified_area_ha``); the
    rest of each zone is no-data and follows the coverage rule of the raster path.
    ``before`` / ``after``: GeoDataFrames (EPSG:2154, ``code``) or
    :class:`~espass_geo.io.landcover_vectors.VectorLandCover`.
    """
    n_years = check_dates(*years)
    warned = _warned_overlap(before, after)
    b_gdf, b_label, b_notes = _unwrap(before, f"occupation du sol {years[0]}")
    a_gdf, a_label, a_notes = _unwrap(after, f"occupation du sol {years[1]}")
    label = label or f"{b_label} → {a_label}"
    _check_zones(zones, max_nodata_share)
    b_gdf, a_gdf = _check_lc(b_gdf, b_label), _check_lc(a_gdf, a_label)
    polygon = pd.Series(zones.geometry.area.to_numpy() * HA_PER_M2,
                        index=zones["zone_id"].to_numpy())
    import shapely

    # 1. zones × first date: pieces (whole polygons inside a zone, intersections on its edge)
    iz, ib, piece_m2, geoms = overlay_pairs(zones.geometry.values, b_gdf.geometry.values,
                                            keep_geoms=True)
    geoms = _polygonal(geoms)
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) & (piece_m2 > 0)
    iz, ib, piece_m2, pieces = iz[ok], ib[ok], piece_m2[ok], geoms[ok]
    zone_of = zones["zone_id"].to_numpy()[iz]
    from_code = _fast_code_str(b_gdf)[ib] if len(ib) else np.zeros(0, dtype=object)
    to_all = _fast_code_str(a_gdf) if len(a_gdf) else np.zeros(0, dtype=object)
    # 2a. a first-date polygon identical to a second-date one (most polygons between two
    # vintages): its pieces lie in that polygon, paired without any overlay
    same = _identical(b_gdf.geometry.values, a_gdf.geometry.values)
    match = same[ib] if len(ib) else np.zeros(0, np.int64)
    direct = match >= 0
    # 2b. the other pieces × the second-date polygons not identical to a first-date one (a
    # piece of polygon P meets an after polygon identical to another polygon P' only along
    # edges: the first date's polygons do not overlap)
    rest = np.flatnonzero(~direct)
    free = np.ones(len(a_gdf), bool)
    free[same[same >= 0]] = False
    free_idx = np.flatnonzero(free)
    ip, ia, area = overlay_pairs(pieces[rest], a_gdf.geometry.values[free_idx])
    ip, ia = rest[ip], free_idx[ia]
    raw = pd.DataFrame({
        "zone_id": np.concatenate([zone_of[direct], zone_of[ip]]),
        "from_code": np.concatenate([from_code[direct], from_code[ip]]),
        "to_code": np.concatenate([to_all[match[direct]], to_all[ia]]),
        "area_ha": np.concatenate([piece_m2[direct], area]) * HA_PER_M2})
    raw = raw[raw["area_ha"] > 0]
    if float(raw["area_ha"].sum()) <= 0:
        raise CoverageError(
            f"les deux couches d'occupation du sol « {label} » n'ont aucune surface commune "
            f"sur le territoire ({fmt_area_ha(float(polygon.sum()))}) : donnez deux couches "
            "qui couvrent le territoire aux deux dates (vérifiez leurs emprises).")
    table = raw.groupby(["zone_id", "from_code", "to_code"], as_index=False)["area_ha"].sum()
    table = table[table["area_ha"] > 1e-9][CHANGE_COLUMNS].sort_values(
        ["zone_id", "from_code", "to_code"]).reset_index(drop=True)
    notes = [*b_notes, *a_notes]
    notes += _overlap_in_zones(table, polygon, label, warn=not warned)
    zero = pd.Series(0.0, index=polygon.index)
    summary = _summary(table, polygon, zero, zero)
    notes += check_coverage(summary, zones, label, max_nodata_share=max_nodata_share,
                            vector=True)
    msg = overlap_notice(zones, "Des zones", "surfaces comptées dans chaque zone")
    if msg:
        notes.append(msg)
    return ChangeTable(table=table, years=n_years, date_from=int(years[0]),
                       date_to=int(years[1]), summary=summary, notes=notes)


def _identical(before, after) -> np.ndarray:
    """For each first-date polygon, the index of a second-date polygon with the very same
    geometry (same vertices in the same order), else -1. Candidates share their bounds and
    vertex count (a join), then ``equals_exact`` confirms: no WKB, no Python loop."""
    import shapely

    b = np.asarray(before, dtype=object)
    a = np.asarray(after, dtype=object)
    out = np.full(len(b), -1, dtype=np.int64)
    if not len(b) or not len(a):
        return out

    def keys(g):
        k = pd.DataFrame(shapely.bounds(g), columns=["x0", "y0", "x1", "y1"])
        k["n"] = shapely.get_num_coordinates(g)
        return k

    kb, ka = keys(b), keys(a)
    kb["ib"] = np.arange(len(b))
    ka["ia"] = np.arange(len(a))
    m = kb.merge(ka, on=["x0", "y0", "x1", "y1", "n"])
    if m.empty:
        return out
    ib, ia = m["ib"].to_numpy(), m["ia"].to_numpy()
    ok = shapely.equals_exact(b[ib], a[ia], tolerance=0.0)
    ib, ia = ib[ok], ia[ok]
    first = np.unique(ib, return_index=True)[1]
    out[ib[first]] = ia[first]
    return out


# ------------------------------------------------------------------ rasterization
def _int_codes(lc: gpd.GeoDataFrame, label: str) -> np.ndarray:
    codes = pd.to_numeric(pd.Series(_fast_code_str(lc)), errors="coerce")
    if codes.isna().any() or (codes <= 0).any() or (codes >= 2**31).any():
        bad = sorted(set(pd.Series(_fast_code_str(lc))[codes.isna() | (codes <= 0)]))[:10]
        raise AreaTableError(
            f"occupation du sol vectorielle « {label} » : codes {bad} non entiers positifs ; "
            "un raster ne peut porter que des codes entiers (CLC 111…523, 901…903).")
    return codes.to_numpy(dtype=np.int32)


def _grid(bounds, resolution: float):
    from rasterio.transform import from_origin

    if not resolution > 0:
        raise ValueError(f"resolution must be > 0, not {resolution!r}")
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    x0 = math.floor(minx / resolution) * resolution
    y1 = math.ceil(maxy / resolution) * resolution
    width = max(1, math.ceil((maxx - x0) / resolution - 1e-9))
    height = max(1, math.ceil((y1 - miny) / resolution - 1e-9))
    return from_origin(x0, y1, resolution, resolution), width, height


def _burn(lc: gpd.GeoDataFrame, codes: np.ndarray, dst, transform, width: int, height: int,
          block: int = 2048) -> None:
    """Burn the polygons' codes into ``dst`` (band 1) block by block (pixel-centre rule)."""
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import array_bounds
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    geoms = np.asarray(lc.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    for row in range(0, height, block):
        for col in range(0, width, block):
            win = Window(col, row, min(block, width - col), min(block, height - row))
            wt = window_transform(win, transform)
            west, south, east, north = array_bounds(int(win.height), int(win.width), wt)
            hit = np.sort(tree.query(shapely.box(west, south, east, north),
                                     predicate="intersects"))
            if not len(hit):
                continue
            with warnings.catch_warnings():
                # rasterio's internal MEM dataset has no geotransform until it is set
                warnings.simplefilter("ignore")
                arr = rasterize(zip(geoms[hit], codes[hit], strict=True),
                                out_shape=(int(win.height), int(win.width)), transform=wt,
                                fill=0, dtype="int32", all_touched=False)
            dst.write(arr, 1, window=win)


def _profile(transform, width: int, height: int) -> dict:
    return {"driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "int32",
            "nodata": 0, "crs": LAMBERT93, "transform": transform, "tiled": True,
            "blockxsize": 256, "blockysize": 256, "compress": "deflate",
            "bigtiff": "IF_SAFER"}


def rasterize_landcover(lc, *, bounds=None, resolution: float = 10.0, like=None):
    """Rasterize a vector land cover: int32 GeoTIFF of the codes in Lambert-93, no-data 0.

    A pixel takes the code of the polygon that contains its centre (last drawn wins where
    polygons overlap). The grid is ``like = (transform, width, height)`` (an existing raster
    grid: a raster date mixed with a vector date, a per-pixel stock map), or ``bounds``
    (minx, miny, maxx, maxy; default the layer's) snapped outwards to multiples of
    ``resolution`` (m). Returns a :class:`rasterio.io.MemoryFile`: ``mem.open()`` reads it,
    ``mem.name`` is its ``/vsimem`` path, valid while ``mem`` is alive (close it after use).
    """
    from rasterio.io import MemoryFile

    gdf, label, _ = _unwrap(lc, "occupation du sol vectorielle")
    gdf = _check_lc(gdf, label)
    if like is not None:
        transform, width, height = like
    else:
        transform, width, height = _grid(gdf.total_bounds if bounds is None else bounds,
                                         resolution)
    codes = _int_codes(gdf, label)
    mem = MemoryFile()
    with mem.open(**_profile(transform, int(width), int(height))) as dst:
        _burn(gdf, codes, dst, transform, int(width), int(height))
    return mem


def change_table_mixed(
    zones: gpd.GeoDataFrame,
    before,
    after,
    *,
    years: tuple[int, int],
    max_nodata_share: float = MAX_NODATA_SHARE,
    engine: str = "exact",
    clc_codes: bool = True,
    label: str | None = None,
) -> ChangeTable:
    """Change table when one date is a raster (path) and the other a vector land cover
    (GeoDataFrame or VectorLandCover): the vector is rasterized on the raster's grid
    (pixel-centre rule, :func:`rasterize_landcover`) over the zones' window, then the two
    grids are crossed by :func:`~espass_geo.io.change_rasters.change_table_from_rasters`.
    A French note gives the resolution used. ``label`` names the vector in notes.
    """
    import rasterio
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    from espass_geo.io.change_rasters import change_table_from_rasters
    from espass_geo.io.rasters import (
        WARP_NOTES,
        check_overlap,
        open_landcover,
        raster_read_errors,
        raster_window,
    )

    raster_first = isinstance(before, str | Path)
    raster_path, vector = (before, after) if raster_first else (after, before)
    if not isinstance(raster_path, str | Path) or isinstance(vector, str | Path):
        raise ValueError("change_table_mixed needs one raster path and one vector land cover")
    gdf, vlabel, vnotes = _unwrap(vector, "occupation du sol vectorielle")
    vlabel = label or vlabel
    _check_zones(zones, max_nodata_share)
    gdf = _check_lc(gdf, vlabel)
    codes = _int_codes(gdf, vlabel)
    raster_path = Path(raster_path)
    notes = list(vnotes)
    src = open_landcover(raster_path)
    try:
        check_overlap(src, zones, raster_path)
        window = raster_window(src, zones.total_bounds)
        transform = window_transform(window, src.transform)
        width, height = int(window.width), int(window.height)
        res = abs(src.transform.a)
        if src.name in WARP_NOTES:
            notes.append(f"Occupation du sol « {raster_path} » : {WARP_NOTES[src.name]}.")
        with tempfile.TemporaryDirectory(prefix="espass_mixed_") as tmp:
            r_copy = Path(tmp) / raster_path.name
            v_name = (Path(str(vlabel)).stem or "vecteur") + "_rasterise.tif"
            v_path = Path(tmp) / ("vecteur_rasterise.tif" if v_name == r_copy.name else v_name)
            prof = {**_profile(transform, width, height), "dtype": src.dtypes[0],
                    "nodata": src.nodata}
            with rasterio.open(r_copy, "w", **prof) as dst:  # the zones' window of the raster
                r0, c0 = int(window.row_off), int(window.col_off)
                for row in range(0, height, 2048):
                    for col in range(0, width, 2048):
                        w = Window(col, row, min(2048, width - col), min(2048, height - row))
                        with raster_read_errors(raster_path):
                            arr = src.read(1, window=Window(c0 + col, r0 + row, w.width,
                                                            w.height))
                        dst.write(arr, 1, window=w)
            with rasterio.open(v_path, "w", **_profile(transform, width, height)) as dst:
                _burn(gdf, codes, dst, transform, width, height)
            notes.append(
                f"Occupation du sol vectorielle « {vlabel} » rastérisée sur la grille du raster "
                f"« {raster_path.name} » (pixels de {res:g} m, code du polygone qui contient le "
                "centre du pixel) pour la croiser avec l'autre date.")
            pair = (r_copy, v_path) if raster_first else (v_path, r_copy)
            ct = change_table_from_rasters(zones, *pair, years=years, engine=engine,
                                           max_nodata_share=max_nodata_share,
                                           clc_codes=clc_codes)
    finally:
        src.close()
    ct.notes = [*notes, *ct.notes]
    return ct
