"""The area table: hectares per zone × land-cover code, the pivot of espass_geo.

An area table is a tidy DataFrame with the columns

``zone_id`` (str) · ``code`` (land-cover code as str, CLC level 3 by default) ·
``area_ha`` (float) · ``area_source`` (``landcover`` | ``parcels`` | ``user``)

It is produced by a raster cross-tab (:func:`area_table_from_raster`), by parcels
(:func:`parcel_area_table`) or read from a user CSV
(:func:`espass_geo.io.area_tables.area_table_from_csv`). The carbon accounting only ever reads
area tables, never a raster: opening and checking rasters is :mod:`espass_geo.io.rasters`,
reading parcels :mod:`espass_geo.io.parcels`.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2
from espass_geo.errors import (
    AreaTableError,
    CoverageError,
    CRSMismatchError,
    EmptyTerritoryError,
    PartialCoverageWarning,
)
from espass_geo.io.rasters import (
    WARP_NOTES,
    check_overlap,
    check_undeclared_nodata,
    gdal_path,
    open_landcover,
    raster_read_errors,
    raster_window,
    windowed_dataset,
)
from espass_geo.io.vectors import overlap_notice
from espass_geo.present.fmt import fmt_area_ha, fmt_percent
from espass_geo.spec import DEFAULTS

log = logging.getLogger(__name__)

AREA_COLUMNS = ["zone_id", "code", "area_ha", "area_source"]
#: Closure tolerance: class areas + nodata must equal the polygon area within 0.5 %.
CLOSURE_RTOL = 0.005
#: A zone with more than this share of its area outside the raster or in no-data is warned about.
NODATA_WARN_SHARE = 0.01
#: Default share above which that is an error (``--max-nodata-share``).
MAX_NODATA_SHARE = DEFAULTS["max_nodata_share"]  # espass_geo.spec: the one default


@dataclass
class AreaTable:
    """An area table plus a per-zone summary used to check closure and provenance.

    ``summary`` columns: ``zone_id, polygon_area_ha, classified_area_ha, nodata_area_ha,
    parcel_area_ha, disagreement_ha`` (area inside parcels where the land cover disagrees with
    the declared crop; 0 without parcels).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def pivot(self) -> pd.DataFrame:
        """Wide view zone × code (ha), zeros for empty cells."""
        return self.table.pivot_table(index="zone_id", columns="code", values="area_ha",
                                      aggfunc="sum", fill_value=0.0)


def _exact_class_areas(src, zones: gpd.GeoDataFrame, id_col: str) -> tuple[pd.DataFrame, pd.Series]:
    """Exact (partial-pixel) areas per zone × code with exactextract, and covered area per zone.

    ``src`` should be the zones' window (:func:`windowed_dataset`): the raster-sequential
    strategy walks every block of the raster it is given.
    """
    from exactextract import exact_extract

    pixel_ha = abs(src.transform.a * src.transform.e) * HA_PER_M2
    # Many small zones (parcels): reading each raster block once is faster (×1.6 on 50 000
    # parcels, benchmarks/README.md); few large zones: feature by feature. Same results.
    strategy = "raster-sequential" if len(zones) > 1000 else "feature-sequential"
    res = exact_extract(src, zones[[id_col, "geometry"]], ["unique", "frac", "count"],
                        include_cols=[id_col], output="pandas", strategy=strategy)
    rows_z, rows_c, rows_a = [], [], []
    for zid, uniq, frac, count in zip(res[id_col], res["unique"], res["frac"], res["count"],
                                      strict=True):
        if count == 0 or len(uniq) == 0:
            continue
        # frac has no labels: always zip it with "unique" (exactextract#123)
        for code, f in zip(uniq, frac, strict=True):
            rows_z.append(zid)
            rows_c.append(int(code))
            rows_a.append(float(f) * float(count) * pixel_ha)
    table = pd.DataFrame({id_col: rows_z, "code": rows_c, "area_ha": rows_a})
    covered = table.groupby(id_col)["area_ha"].sum()
    return table, covered


def _center_class_areas(path, zones: gpd.GeoDataFrame, id_col: str,
                        block_size: int = 2048, window=None) -> pd.DataFrame:
    """Pixel-centre areas: rasterize the zones once per block and ``bincount``; dask-parallel.

    One zone per pixel (the last one drawn wins where zones overlap). Fast for many small zones
    on large rasters; each block is read independently, so rasters larger than memory are fine
    and a ``dask.distributed`` client, if one is active, runs the blocks. Only the blocks of
    ``window`` (default: the zones' window) that a zone touches are read.
    """
    import dask
    import rasterio
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from rasterio.windows import transform as window_transform

    path = gdal_path(path)
    with rasterio.open(path) as src:
        nodata = src.nodata
        transform = src.transform
        pixel_ha = abs(transform.a * transform.e) * HA_PER_M2
        if window is None:
            window = raster_window(src, zones.total_bounds)
    if window is None:
        return pd.DataFrame({id_col: [], "code": [], "area_ha": []})
    ids = zones[id_col].to_numpy()
    sindex = zones.sindex
    geoms = zones.geometry.values

    def block(row0: int, col0: int, h: int, w: int) -> pd.DataFrame:
        win = Window(col0, row0, w, h)
        hit = sindex.query(_box(window_bounds(win, transform)), predicate="intersects")
        if len(hit) == 0:
            return pd.DataFrame({"z": [], "code": [], "n": []})
        shapes = ((geoms[i], k + 1) for k, i in enumerate(hit))
        zone_idx = rasterize(shapes, out_shape=(h, w), transform=window_transform(win, transform),
                             fill=0, dtype="int32", all_touched=False)
        with rasterio.open(path) as s:
            lc = s.read(1, window=win)
        mask = zone_idx > 0
        if nodata is not None:
            mask &= lc != nodata
        z = zone_idx[mask]
        c = lc[mask].astype(np.int64)
        if z.size == 0:
            return pd.DataFrame({"z": [], "code": [], "n": []})
        codes, cinv = _dense_codes(c)
        counts = np.bincount(z.astype(np.int64) * len(codes) + cinv,
                             minlength=(len(hit) + 1) * len(codes)).reshape(-1, len(codes))
        zi, ci = np.nonzero(counts)
        return pd.DataFrame({"z": ids[hit[zi - 1]], "code": codes[ci], "n": counts[zi, ci]})

    r0, c0 = int(window.row_off), int(window.col_off)
    r1, c1 = r0 + int(window.height), c0 + int(window.width)
    tasks = [dask.delayed(block)(r, c, min(block_size, r1 - r), min(block_size, c1 - c))
             for r in range(r0, r1, block_size) for c in range(c0, c1, block_size)]
    parts = dask.compute(*tasks)
    df = pd.concat(parts, ignore_index=True)
    out = df.groupby(["z", "code"], as_index=False)["n"].sum()
    return pd.DataFrame({id_col: out["z"], "code": out["code"].astype(int),
                         "area_ha": out["n"].astype(float) * pixel_ha})


def _dense_codes(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct codes and the index of each pixel's code, in O(n) for small non-negative codes.

    ``np.unique`` sorts every pixel (10⁸ pixels: ~7 s); a bincount + lookup table does not.
    """
    if c.size and c.min() >= 0 and c.max() < 1 << 20:
        present = np.flatnonzero(np.bincount(c))
        lut = np.zeros(int(present[-1]) + 1, dtype=np.int64)
        lut[present] = np.arange(len(present))
        return present, lut[c]
    return np.unique(c, return_inverse=True)


def _box(bounds):
    from shapely.geometry import box

    return box(*bounds)

def parcel_area_table(parcels: gpd.GeoDataFrame) -> AreaTable:
    """Area table of parcels as zones: the declared class over the whole parcel."""
    area = parcels.geometry.area.to_numpy() * HA_PER_M2
    table = pd.DataFrame({"zone_id": parcels["parcel_id"].to_numpy(),
                          "code": parcels["code"].astype(int).to_numpy(),
                          "area_ha": area, "area_source": "parcels"})
    summary = pd.DataFrame({"zone_id": table["zone_id"], "polygon_area_ha": area,
                            "classified_area_ha": area, "nodata_area_ha": 0.0,
                            "parcel_area_ha": area, "disagreement_ha": 0.0})
    return AreaTable(table=table, summary=summary)


# ------------------------------------------------------------------ main entry points
def area_table_from_raster(
    zones: gpd.GeoDataFrame,
    landcover: str | Path,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    engine: str = "exact",
    max_nodata_share: float = MAX_NODATA_SHARE,
    label: str | None = None,
) -> AreaTable:
    """Cross-tabulate zones with a land-cover raster (and optional parcels) into an area table.

    Parameters
    ----------
    zones
        GeoDataFrame in EPSG:2154 with a unique ``zone_id``.
    landcover
        Path of an integer land-cover GeoTIFF in EPSG:2154 (CLC level-3 codes by default), or
        a GDAL virtual path (``/vsis3/bucket/clc.tif``, ``/vsicurl/https://…``, ``/vsizip/…``).
    parcels
        Optional parcels from :func:`~espass_geo.io.parcels.read_parcels`. Inside a parcel its
        declared land use takes precedence over the raster; ``summary.disagreement_ha`` says
        how much area the two sources disagreed on. The land cover inside the parcel × zone
        pieces (:func:`parcel_pieces`) is measured exactly, by the hybrid engine with
        ``engine="hybrid"``, by exactextract otherwise.
    engine
        ``"exact"`` (default): exact partial-pixel coverage at zone edges with exactextract.
        ``"center"``: pixel-centre rasterization + ``bincount`` by blocks with dask (faster for
        huge rasters; one zone per pixel; closure holds to half a pixel along edges).
        ``"hybrid"``: the exact areas of ``"exact"`` (exact fractions for the pixels cut by a
        zone edge, pixel-centre counts inside), by dask blocks
        (:mod:`espass_geo.core.hybrid_areas`).
    max_nodata_share
        Coverage: a zone with more than 1 % (:data:`NODATA_WARN_SHARE`) of its area outside
        the raster or in no-data gets a :class:`PartialCoverageWarning` (and a note) naming it
        and the share; above ``max_nodata_share`` (default 0.5) it is a :class:`CoverageError`.
        A raster without any classified pixel over the zones is always an error.
    label
        How the raster is named in messages (default: its path).

    Only the window of the raster that the zones cover is read, by both engines: the cost
    depends on the zones, not on the size of the raster.
    """
    if engine not in {"exact", "center", "hybrid"}:
        raise ValueError(f"engine must be 'exact', 'center' or 'hybrid', not {engine!r}")
    if zones.empty:
        raise EmptyTerritoryError("aucune zone à croiser avec le raster : la sélection du "
                                  "territoire est vide ; vérifiez --territory.")
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
    landcover = gdal_path(landcover)  # a GDAL virtual path (/vsis3/…) as GDAL wants it
    label = label or landcover
    src = open_landcover(landcover)
    try:
        check_overlap(src, zones, label)
        window = raster_window(src, zones.total_bounds)
        with raster_read_errors(label), windowed_dataset(src, window) as wsrc:
            if engine == "exact":
                raw, _ = _exact_class_areas(wsrc, zones, "zone_id")
            elif engine == "hybrid":  # exact fractions on edges, centre counts inside
                from espass_geo.core.hybrid_areas import hybrid_class_areas

                raw = hybrid_class_areas(src.name if src.name in WARP_NOTES else landcover,
                                         zones, "zone_id", window=window)
            else:
                raw = _center_class_areas(src.name if src.name in WARP_NOTES else landcover,
                                          zones, "zone_id", window=window)
            raw["area_source"] = "landcover"
            polygon = pd.Series(zones.geometry.area.to_numpy() * HA_PER_M2,
                                index=zones["zone_id"].to_numpy())
            check_undeclared_nodata(src, raw, label)
            if float(raw["area_ha"].sum()) <= 0:
                nodata = "" if src.nodata is None else f" (valeur sans donnée : {src.nodata:g})"
                raise CoverageError(
                    f"le raster d'occupation du sol « {label} » n'a aucun pixel classé sur le "
                    f"territoire ({fmt_area_ha(float(polygon.sum()))}) : il n'y est que sans "
                    f"donnée{nodata}. Donnez un raster qui couvre le territoire (vérifiez "
                    "l'emprise et la valeur nodata avec `gdalinfo -stats`)."
                )
            parcel_area = pd.Series(0.0, index=polygon.index)
            disagreement = pd.Series(0.0, index=polygon.index)
            notes: list[str] = []
            if src.name in WARP_NOTES:  # another CRS, warped on the fly (io.rasters)
                notes.append(f"Occupation du sol « {label} » : "
                             f"{WARP_NOTES[src.name]}.")
            if parcels is not None and len(parcels):
                raw, parcel_area, disagreement, pnotes = _apply_parcels(
                    wsrc, zones, parcels, raw, engine,
                    path=src.name if src.name in WARP_NOTES else landcover)
                notes += pnotes
    finally:
        src.close()
    table = (raw.groupby(["zone_id", "code", "area_source"], as_index=False)["area_ha"].sum())
    table = table[table["area_ha"] > 1e-9]
    table["code"] = table["code"].astype(int).astype(str)
    table = table[AREA_COLUMNS].sort_values(["zone_id", "code"]).reset_index(drop=True)
    classified = table.groupby("zone_id")["area_ha"].sum().reindex(polygon.index, fill_value=0.0)
    summary = pd.DataFrame({
        "zone_id": polygon.index, "polygon_area_ha": polygon.to_numpy(),
        "classified_area_ha": classified.to_numpy(),
        "nodata_area_ha": np.clip(polygon.to_numpy() - classified.to_numpy(), 0, None),
        "parcel_area_ha": parcel_area.reindex(polygon.index).to_numpy(),
        "disagreement_ha": disagreement.reindex(polygon.index).to_numpy(),
    })
    notes += check_coverage(summary, zones, label, max_nodata_share=max_nodata_share)
    msg = overlap_notice(zones, "Des zones", "surfaces comptées dans chaque zone")
    if msg:
        notes.append(msg)
    return AreaTable(table=table, summary=summary, notes=notes)


def _zone_label(zid, name) -> str:
    name = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
    return f"« {name} » ({zid})" if name and name != str(zid) else f"« {zid} »"


def check_coverage(summary: pd.DataFrame, zones: gpd.GeoDataFrame, label: str, *,
                   max_nodata_share: float = MAX_NODATA_SHARE,
                   warn_share: float = NODATA_WARN_SHARE, vector: bool = False) -> list[str]:
    """Zones partly outside the raster or in no-data: French notes, a warning, or an error.

    The share of a zone is ``nodata_area_ha / polygon_area_ha`` (no-data pixels plus the part
    of the polygon outside the raster). Above ``warn_share`` (1 %) the zone is named in a
    :class:`PartialCoverageWarning` (its stocks leave that part out); above
    ``max_nodata_share`` it is a :class:`CoverageError`. Returns the notes.
    """
    what = ("de la couche d'occupation du sol" if vector
            else "du raster d'occupation du sol")
    cover = "une couche" if vector else "un raster"
    poly = summary["polygon_area_ha"].to_numpy(dtype=float)
    nod = summary["nodata_area_ha"].to_numpy(dtype=float)
    share = np.divide(nod, poly, out=np.zeros_like(nod), where=poly > 0)
    names = (zones.set_index("zone_id")["zone_name"] if "zone_name" in zones
             else pd.Series(dtype=object))
    # only the zones above the warning share are described (50 000 parcels: a row per zone
    # built with .iloc cost ~2 s, found profiling the hybrid engine)
    ids = summary["zone_id"].to_numpy()
    hit = np.flatnonzero(share > min(warn_share, max_nodata_share))
    rows = [(share[i], ids[i], nod[i], poly[i]) for i in hit]

    def describe(items) -> str:
        items = sorted(items, key=lambda r: -r[0])
        text = " ; ".join(
            f"{_zone_label(z, names.get(z))} : {fmt_percent(sh)} ({fmt_area_ha(n)} sur "
            f"{fmt_area_ha(p)})" for sh, z, n, p in items[:10])
        if len(items) > 10:
            text += f" ; … et {len(items) - 10} autre(s) zone(s)"
        return text

    too_much = [r for r in rows if r[0] > max_nodata_share]
    if too_much:
        raise CoverageError(
            f"{len(too_much)} zone(s) hors {what} « {label} » ou sans "
            f"donnée sur plus de {fmt_percent(max_nodata_share, 0)} de leur surface — "
            f"{describe(too_much)}. Leurs résultats seraient sous-estimés d'autant : donnez "
            f"{cover} qui couvre tout le territoire, retirez ces zones, ou, si une couverture "
            "partielle est voulue, relevez le seuil (option --max-nodata-share 0.9 de "
            "`espass-geo stocks`, `flows` et `bilan`, clé max_nodata_share de [landcover] "
            "dans bilan.toml, paramètre max_nodata_share de l'API Python)."
        )
    partial = [r for r in rows if r[0] > warn_share]
    if not partial:
        return []
    msg = (f"{len(partial)} zone(s) en partie hors {what} « {label} » ou "
           f"sans donnée (part de la surface) — {describe(partial)}. Cette partie n'est pas "
           "comptée : les stocks et flux de ces zones en sont sous-estimés d'autant.")
    warnings.warn(msg, PartialCoverageWarning, stacklevel=3)
    return [msg]


def _apply_parcels(src, zones, parcels, raw, engine, path=None):
    """Replace the raster classes inside parcels by the parcels' declared classes.

    The land cover inside the parcel × zone pieces is measured exactly: by the hybrid engine
    (``path``: the raster, or its warped VRT) when ``engine="hybrid"``, otherwise by
    exactextract on ``src`` (the zones' window). Both give the same areas (float rounding).
    """
    if engine == "hybrid" and path is not None:
        from espass_geo.core.hybrid_areas import hybrid_class_areas

        def class_areas(pieces):
            return hybrid_class_areas(path, pieces, "piece_id")
    else:
        def class_areas(pieces):
            return _exact_class_areas(src, pieces, "piece_id")[0]
    return apply_parcels(zones, parcels, raw, class_areas, source="raster",
                         clip_negative=engine == "center")


def parcel_pieces(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Parcel × zone pieces (``parcel_id, code, zone_id, geometry``), polygons of positive area.

    The result of ``gpd.overlay(parcels, zones, how="intersection", keep_geom_type=True)``,
    cheaper: an STRtree of the parcels queried with the zones
    (:func:`espass_geo.core.vector_areas.overlay_pairs`), a parcel wholly inside a zone kept
    as it is, only the parcels cut by a zone boundary intersected. Invalid geometries are
    repaired first (``make_valid``, as ``gpd.overlay`` does).
    """
    import shapely

    from espass_geo.core.vector_areas import _polygonal, overlay_pairs

    pg = _valid(parcels.geometry.values)
    zg = _valid(zones.geometry.values)
    iz, ip, area, geoms = overlay_pairs(zg, pg, keep_geoms=True)
    keep = area > 0
    iz, ip, geoms = iz[keep], ip[keep], _polygonal(np.asarray(geoms[keep], dtype=object))
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    iz, ip, geoms = iz[ok], ip[ok], geoms[ok]
    order = np.lexsort((iz, ip))  # parcel by parcel, like gpd.overlay
    iz, ip, geoms = iz[order], ip[order], geoms[order]
    return gpd.GeoDataFrame({"parcel_id": parcels["parcel_id"].to_numpy()[ip],
                             "code": parcels["code"].to_numpy()[ip],
                             "zone_id": zones["zone_id"].to_numpy()[iz]},
                            geometry=geoms, crs=parcels.crs)


def _valid(geoms) -> np.ndarray:
    """Geometries with the invalid ones repaired (``shapely.make_valid``)."""
    import shapely

    g = np.asarray(geoms, dtype=object)
    bad = ~shapely.is_valid(g) & ~shapely.is_missing(g)
    if bad.any():
        g = g.copy()
        g[bad] = shapely.make_valid(g[bad])
    return g


def apply_parcels(zones, parcels, raw, class_areas, *, source: str,
                  clip_negative: bool = False, code_of=None, stacklevel: int = 5):
    """Inside parcels the declared class replaces the land cover, for any engine.

    ``class_areas(pieces)`` gives the land-cover areas inside the parcel × zone ``pieces``
    (:func:`parcel_pieces`; ``piece_id, code, area_ha``: the hybrid engine or exactextract on a
    raster, exact overlay on a vector layer);
    ``source`` names the land cover in the note (« raster », « vectorielle »); ``code_of``
    normalises the declared codes like the land cover's; ``clip_negative``: an inexact engine
    (pixel centres) cannot be exactly consistent with an exact removal, tiny negatives are
    clipped. Returns (raw, parcel area per zone, disagreement per zone, notes).
    """
    if parcels.crs is None or parcels.crs.to_epsg() != 2154:
        raise CRSMismatchError("les parcelles doivent être en EPSG:2154 ; lisez-les avec "
                               "read_parcels().")
    notes: list[str] = []
    msg = overlap_notice(parcels, "Des parcelles", "cette surface est comptée deux fois dans "
                         "les communes concernées", stacklevel=stacklevel)
    if msg:
        notes.append(msg)
    pieces = parcel_pieces(parcels, zones)
    if pieces.empty:
        zero = pd.Series(0.0, index=zones["zone_id"].to_numpy())
        return raw, zero, zero, notes
    if code_of is not None:
        pieces["code"] = code_of(pieces["code"].to_numpy())
    pieces["piece_id"] = np.arange(len(pieces))
    pieces["piece_ha"] = pieces.geometry.area * HA_PER_M2
    inside = class_areas(pieces[["piece_id", "geometry"]])
    inside = inside.merge(pieces[["piece_id", "zone_id", "code"]].rename(
        columns={"code": "declared"}), on="piece_id")
    # land-cover area removed from each zone, per class
    removed = inside.groupby(["zone_id", "code"], as_index=False)["area_ha"].sum()
    removed["area_ha"] *= -1
    removed["area_source"] = "landcover"
    declared = pieces.groupby(["zone_id", "code"], as_index=False)["piece_ha"].sum().rename(
        columns={"piece_ha": "area_ha"})
    declared["area_source"] = "parcels"
    agree = inside[inside["code"] == inside["declared"]].groupby("piece_id")["area_ha"].sum()
    pieces["agree_ha"] = pieces["piece_id"].map(agree).fillna(0.0)
    disagreement = (pieces["piece_ha"] - pieces["agree_ha"]).groupby(pieces["zone_id"]).sum()
    parcel_area = pieces.groupby("zone_id")["piece_ha"].sum()
    raw = pd.concat([raw, removed, declared], ignore_index=True)
    raw = raw.groupby(["zone_id", "code", "area_source"], as_index=False)["area_ha"].sum()
    if clip_negative:
        net = raw.groupby(["zone_id", "code"])["area_ha"].transform("sum")
        raw.loc[net < 0, "area_ha"] -= net[net < 0]
    total_dis = float(disagreement.sum())
    total_par = float(parcel_area.sum())
    if total_par > 0:
        notes.append(
            f"Parcelles : {fmt_area_ha(total_par)} déclarés ; l'occupation du sol {source} "
            f"diffère de la culture déclarée sur {fmt_area_ha(total_dis)} "
            f"({fmt_percent(total_dis / total_par)}). La déclaration des parcelles prévaut à "
            "l'intérieur des parcelles.")
    zid = zones["zone_id"].to_numpy()
    return (raw, parcel_area.reindex(zid, fill_value=0.0),
            disagreement.reindex(zid, fill_value=0.0), notes)


def check_closure(areas: AreaTable, rtol: float = CLOSURE_RTOL) -> pd.DataFrame:
    """Zones whose class areas + nodata differ from the polygon area by more than ``rtol``."""
    s = areas.summary
    total = s["classified_area_ha"] + s["nodata_area_ha"]
    bad = (total - s["polygon_area_ha"]).abs() > rtol * s["polygon_area_ha"]
    return s[bad]
