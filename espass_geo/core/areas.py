"""The area table: hectares per zone × land-cover code, the pivot of espass_geo.

An area table is a tidy DataFrame with the columns

``zone_id`` (str) · ``code`` (land-cover code as str, CLC level 3 by default) ·
``area_ha`` (float) · ``area_source`` (``landcover`` | ``parcels`` | ``user``)

It is produced by a raster cross-tab (:func:`area_table_from_raster`), by parcels
(:func:`parcel_area_table`) or read from a user CSV (:func:`area_table_from_csv`). The carbon
accounting only ever reads area tables, never a raster.
"""

from __future__ import annotations

import logging
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2, LAMBERT93
from espass_geo.errors import (
    AreaTableError,
    CoverageError,
    CRSMismatchError,
    EmptyTerritoryError,
    EspassGeoError,
    InputFileError,
    MissingCRSError,
    NoOverlapError,
    PartialCoverageWarning,
    UnknownLandCoverClassError,
)
from espass_geo.present.fmt import fmt_area_ha, fmt_percent
from espass_geo.reference import data
from espass_geo.territory.resolve import overlap_notice, read_vector

if TYPE_CHECKING:
    from rasterio.windows import Window

log = logging.getLogger(__name__)

AREA_COLUMNS = ["zone_id", "code", "area_ha", "area_source"]
#: Closure tolerance: class areas + nodata must equal the polygon area within 0.5 %.
CLOSURE_RTOL = 0.005
#: A zone with more than this share of its area outside the raster or in no-data is warned about.
NODATA_WARN_SHARE = 0.01
#: Default share above which that is an error (``--max-nodata-share``).
MAX_NODATA_SHARE = 0.5


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


# ------------------------------------------------------------------ raster checks
def open_landcover(path: str | Path):
    """Open a land-cover raster with rasterio and check that it can be cross-tabulated.

    Refused, each with a French :class:`InputFileError` (or CRS error) naming the file and the
    remedy: a missing or unreadable file, a raster without CRS or not in EPSG:2154, a rotated
    grid, more than one band (a land cover is one band of class codes: an RGB picture of a map,
    or the two-band ``change.tif`` of ``espass-geo flows``, would give wrong classes, so no band
    is picked silently) and non-integer pixels.
    """
    import rasterio

    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputFileError(f"raster d'occupation du sol « {path} » introuvable ; vérifiez le "
                             "chemin.")
    if path.is_dir():
        raise InputFileError(f"« {path} » est un dossier, pas un raster d'occupation du sol ; "
                             "donnez le chemin d'un fichier GeoTIFF.")
    if path.stat().st_size == 0:
        raise InputFileError(f"le raster d'occupation du sol « {path} » est un fichier vide "
                             "(0 octet) : copie ou téléchargement interrompu ? Copiez-le ou "
                             "téléchargez-le à nouveau (un GeoTIFF valide).")
    try:
        src = rasterio.open(path)
    except Exception as exc:  # noqa: BLE001 - RasterioIOError, or a corrupt header (e.g. UnicodeDecodeError in the CRS)
        detail = str(exc).split(";")[0].replace(f"'{path}'", "").strip().rstrip(".")[:120]
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » ne peut pas être ouvert : ce n'est pas un "
            f"raster lisible ; donnez un GeoTIFF valide (vérifiez-le avec `gdalinfo {name}`). "
            f"Détail GDAL : {detail}."
        ) from exc
    try:
        _check_landcover(src, path)
    except BaseException:
        src.close()
        raise
    return src


def _check_landcover(src, path: Path) -> None:
    name = path.name
    if src.crs is None:
        raise MissingCRSError(
            f"le raster d'occupation du sol « {path} » n'a pas de système de coordonnées ; "
            f"attribuez-le avec `gdal_edit.py -a_srs EPSG:2154 {name}` (si ses coordonnées sont "
            "en Lambert-93)."
        )
    if src.crs.to_epsg() != 2154:
        raise CRSMismatchError(
            f"le raster d'occupation du sol « {path} » est en {src.crs.to_string()}, pas en "
            "Lambert-93 ; un raster de classes se reprojette au plus proche voisin : "
            f"`gdalwarp -t_srs EPSG:2154 -r near {name} {path.stem}_l93.tif`."
        )
    t = src.transform
    if t.b != 0 or t.d != 0:
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » a une grille tournée (géotransformation "
            f"{tuple(round(v, 6) for v in t[:6])}) ; ramenez-le sur une grille nord-sud : "
            f"`gdalwarp -t_srs EPSG:2154 -r near {name} {path.stem}_nord.tif`."
        )
    if (not all(np.isfinite(v) for v in t[:6]) or t.a <= 0 or t.e >= 0
            or not 1e-3 <= t.a <= 1e5 or not 1e-3 <= -t.e <= 1e5):
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » a une géotransformation inutilisable "
            f"(taille de pixel {t.a:g} × {t.e:g}, origine {t.c:g}, {t.f:g}) : pixels de taille "
            "nulle ou invraisemblable (hors de 1 mm à 100 km), ou grille retournée. Réécrivez-le "
            "sur une grille nord-sud en Lambert-93 : "
            f"`gdalwarp -t_srs EPSG:2154 -r near {name} {path.stem}_l93.tif`."
        )
    if src.count != 1:
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » a {src.count} bandes ; il faut un raster "
            "à une seule bande de codes d'occupation du sol (CLC niveau 3). Extrayez la bande "
            f"des codes : `gdal_translate -b 1 {name} {path.stem}_bande1.tif` (une image en "
            "couleurs d'une carte ne convient pas)."
        )
    dtype = src.dtypes[0]
    if not np.issubdtype(np.dtype(dtype), np.integer):
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » est de type {dtype} ; les codes "
            "d'occupation du sol doivent être des entiers. Si ses valeurs sont des codes "
            f"entiers, convertissez-le : `gdal_translate -ot UInt16 {name} {path.stem}_int.tif`."
        )
    nodata = src.nodata
    info = np.iinfo(np.dtype(dtype))
    if nodata is not None and not (np.isfinite(nodata) and float(nodata).is_integer()
                                   and info.min <= nodata <= info.max):
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » déclare la valeur « sans donnée » "
            f"{nodata:g}, impossible pour des codes entiers ({dtype}) : les moteurs de calcul "
            "ne la liraient pas de la même façon. Déclarez la vraie valeur, par exemple "
            f"`gdal_edit.py -a_nodata 0 {name}` (ou `-unsetnodata` s'il n'y en a pas)."
        )


@contextmanager
def raster_read_errors(path, what: str = "raster d'occupation du sol"):
    """Turn a failure while reading pixels (truncated or corrupt file) into an InputFileError.

    A GeoTIFF or COG cut short (interrupted download or copy) opens fine and fails only when a
    missing block is read.
    """
    import rasterio

    try:
        yield
    except EspassGeoError:
        raise
    except rasterio.errors.RasterioError as exc:
        name = Path(str(path)).name
        detail = str(exc.__cause__ or exc)[:200]  # GDAL's own message is the cause
        raise InputFileError(
            f"le {what} « {path} » est illisible à la lecture des pixels ({detail}) : fichier "
            "tronqué ou corrompu (téléchargement ou copie interrompus ?). Vérifiez-le avec "
            f"`gdalinfo -checksum {name}` et copiez-le ou téléchargez-le à nouveau."
        ) from exc


def raster_window(src, bounds) -> Window | None:
    """Pixel window of ``src`` covering ``bounds`` (whole pixels, clipped to the raster).

    ``None`` when the bounds and the raster do not overlap. Only this window is ever read, so
    the cost of a cross-tab depends on the zones, not on the size of the raster.
    """
    import math

    from rasterio.windows import Window, from_bounds

    w = from_bounds(*bounds, transform=src.transform)
    eps = 1e-9  # float noise of from_bounds; a sliver narrower than this is < 1e-9 pixel
    col0 = max(0, math.floor(w.col_off + eps))
    row0 = max(0, math.floor(w.row_off + eps))
    col1 = min(src.width, math.ceil(w.col_off + w.width - eps))
    row1 = min(src.height, math.ceil(w.row_off + w.height - eps))
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


_GDAL_INT_TYPES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
                   "uint32": "UInt32", "int32": "Int32", "uint64": "UInt64", "int64": "Int64"}


@contextmanager
def windowed_dataset(src, window):
    """``src`` seen through ``window``: a GDAL VRT of that window (same grid, same pixels).

    exactextract then never reads, nor iterates over, the rest of a huge raster.
    """
    import rasterio
    from rasterio.windows import transform as window_transform

    if (window.col_off, window.row_off, window.width, window.height) == (
            0, 0, src.width, src.height):
        yield src
        return
    from xml.sax.saxutils import escape

    t = window_transform(window, src.transform)
    w, h = int(window.width), int(window.height)
    source = os.path.abspath(src.name) if os.path.exists(src.name) else src.name
    # the source's tiles (each then read once); at least 256 for a striped file (1-row blocks)
    by, bx = (max(256, b) for b in src.block_shapes[0])
    nodata = "" if src.nodata is None else f"<NoDataValue>{src.nodata!r}</NoDataValue>"
    vrt = (
        f'<VRTDataset rasterXSize="{w}" rasterYSize="{h}">'
        f"<SRS>{escape(src.crs.to_wkt())}</SRS>"
        f"<GeoTransform>{t.c!r}, {t.a!r}, {t.b!r}, {t.f!r}, {t.d!r}, {t.e!r}</GeoTransform>"
        f'<VRTRasterBand dataType="{_GDAL_INT_TYPES[src.dtypes[0]]}" band="1" '
        f'blockXSize="{min(bx, w)}" blockYSize="{min(by, h)}">{nodata}'
        f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(source)}</SourceFilename>'
        f"<SourceBand>1</SourceBand>"
        f'<SrcRect xOff="{int(window.col_off)}" yOff="{int(window.row_off)}" xSize="{w}" '
        f'ySize="{h}"/><DstRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>'
        "</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    with rasterio.open(vrt) as vsrc:
        yield vsrc


def _check_overlap(src, zones: gpd.GeoDataFrame, path) -> None:
    from shapely.geometry import box

    rb = box(*src.bounds)
    # a zone that only touches the raster's edge does not overlap it (no pixel window)
    if not zones.geometry.intersects(rb).any() or raster_window(src, zones.total_bounds) is None:
        zb = [round(v) for v in zones.total_bounds]
        raise NoOverlapError(
            f"le territoire (emprise {zb}, EPSG:2154) et le raster d'occupation du sol « {path} » "
            f"(emprise {[round(v) for v in src.bounds]}) ne se recouvrent pas ; vérifiez que "
            "les deux couvrent la même région (et que le territoire est le bon)."
        )


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

# ------------------------------------------------------------------ parcels
def read_parcels(path: str | Path) -> gpd.GeoDataFrame:
    """Read RPG-style parcels and give each a declared CLC code from ``factors/rpg_to_clc.csv``.

    Needs ``CODE_GROUP`` or ``CODE_CULTU`` (RPG); a crop-level mapping row wins over the group.
    Returns columns ``parcel_id, code_cultu, code_group, code (declared CLC), geometry``.
    """
    gdf = read_vector(path, what="parcels", polygons=True)
    cols = {c.upper(): c for c in gdf.columns}
    if "CODE_GROUP" not in cols and "CODE_CULTU" not in cols:
        fields = [c for c in gdf.columns if c != gdf.geometry.name]
        raise InputFileError(
            f"fichier de parcelles « {path} » sans champ CODE_GROUP ni CODE_CULTU (champs du "
            f"RPG) ; champs présents : {fields[:20]}. Donnez une couche du RPG (IGN) ou "
            "ajoutez la culture déclarée dans un champ CODE_CULTU."
        )
    mapping = data.factor_table("rpg_to_clc")
    by_crop = mapping[mapping["level"] == "crop"].set_index("code")["code_clc"]
    by_group = mapping[mapping["level"] == "group"].set_index("code")["code_clc"]
    cultu = _text(gdf[cols["CODE_CULTU"]]) if "CODE_CULTU" in cols else pd.Series(
        "", index=gdf.index)
    group = _text(gdf[cols["CODE_GROUP"]]).str.replace(r"\.0$", "", regex=True) \
        if "CODE_GROUP" in cols else pd.Series("", index=gdf.index)
    code = cultu.map(by_crop).fillna(group.map(by_group))
    unknown = sorted((set(group[code.isna()]) | set(cultu[code.isna()])) - {""})
    if code.isna().any():
        shown = unknown[:20] or ["(vide)"]
        raise UnknownLandCoverClassError(
            f"fichier de parcelles « {path} » : {int(code.isna().sum())} parcelle(s) dont la "
            f"culture ou le groupe ({', '.join(shown)}) n'a pas de classe d'occupation du sol "
            "dans factors/rpg_to_clc.csv ; ajoutez une ligne (level, code, code_clc) pour "
            "chacun, ou corrigez CODE_CULTU / CODE_GROUP.", unknown)
    pid_col = cols.get("ID_PARCEL")
    pid = _text(gdf[pid_col]).str.replace(r"\.0$", "", regex=True) if pid_col else pd.Series(
        [f"p{i + 1}" for i in range(len(gdf))], index=gdf.index)
    if (pid == "").any():
        raise InputFileError(
            f"fichier de parcelles « {path} » : {int((pid == '').sum())} parcelle(s) sans "
            "identifiant ID_PARCEL ; remplissez-le pour chaque parcelle (ou retirez le champ : "
            "les parcelles sont alors numérotées p1, p2…)."
        )
    dup = pid[pid.duplicated(keep=False)]
    if len(dup):
        raise InputFileError(
            f"fichier de parcelles « {path} » : identifiants ID_PARCEL en double "
            f"({', '.join(sorted(set(dup))[:10])}) ; chaque parcelle doit avoir le sien "
            "(une parcelle comptée deux fois doublerait ses stocks)."
        )
    out = gpd.GeoDataFrame(
        {"parcel_id": pid.values, "code_cultu": cultu.values, "code_group": group.values,
         "code": code.astype(int).values}, geometry=gdf.geometry.values, crs=LAMBERT93)
    out = _practice_attributes(gdf, out, path)
    return out


#: Optional per-parcel practice attributes (current state) and their allowed values.
PRACTICE_ATTRIBUTES = {
    "tillage": {"conventional", "reduced", "no_till"},
    "cover_crops": {True, False},
    "residues": {"exported", "returned"},
    "temp_grassland_rotation": {True, False},
    "hedges_m_ha": None,   # metres of hedge per hectare (number ≥ 0)
    "agroforestry": {True, False},
}
_TRUE = {"1", "true", "oui", "yes", "vrai", "o", "y"}
_FALSE = {"0", "false", "non", "no", "faux", "n", ""}


def _text(values: pd.Series) -> pd.Series:
    """Cells as stripped text, missing cells as "" (pandas 3 keeps NaN through astype(str))."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _practice_attributes(src: gpd.GeoDataFrame, out: gpd.GeoDataFrame, path) -> gpd.GeoDataFrame:
    """Carry the practice attributes present in the parcel layer, validated (current state)."""
    problems = []
    lower = {c.lower(): c for c in src.columns}
    for attr, allowed in PRACTICE_ATTRIBUTES.items():
        if attr not in lower:
            continue
        raw = src[lower[attr]]
        if allowed is None:
            values = pd.to_numeric(raw, errors="coerce")
            bad = values.isna() | (values < 0) | np.isinf(values)
            if bad.any():
                problems.append(f"{attr} : {int(bad.sum())} valeur(s) vide(s), négative(s) ou "
                                f"non numérique(s) ({_text(raw[bad]).head(5).tolist()}) ; "
                                "nombres finis ≥ 0 attendus (mètres de haie par ha)")
        elif allowed == {True, False}:
            txt = _text(raw).str.lower().str.replace(r"^([01])\.0$", r"\1", regex=True)
            bad = sorted(set(txt) - _TRUE - _FALSE)
            if bad:
                problems.append(f"{attr} : {bad[:5]} ne sont pas des valeurs oui/non")
            values = txt.isin(_TRUE)
        else:
            values = _text(raw).str.lower()  # empty: not known, left as ""
            bad = sorted(set(values) - allowed - {""})
            if bad:
                problems.append(f"{attr} : {bad[:5]} hors des valeurs permises {sorted(allowed)}")
        out[attr] = values.to_numpy()
    if problems:
        raise InputFileError(f"fichier de parcelles « {path} » : attribut(s) de pratique "
                             "invalide(s) — " + " ; ".join(problems) + ".")
    return out


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
        Path of an integer land-cover GeoTIFF in EPSG:2154 (CLC level-3 codes by default).
    parcels
        Optional parcels from :func:`read_parcels`. Inside a parcel its declared land use takes
        precedence over the raster; ``summary.disagreement_ha`` says how much area the two
        sources disagreed on.
    engine
        ``"exact"`` (default): exact partial-pixel coverage at zone edges with exactextract.
        ``"center"``: pixel-centre rasterization + ``bincount`` by blocks with dask (faster for
        huge rasters; one zone per pixel; closure holds to half a pixel along edges).
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
    if engine not in {"exact", "center"}:
        raise ValueError(f"engine must be 'exact' or 'center', not {engine!r}")
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
    label = label or str(landcover)
    src = open_landcover(landcover)
    try:
        _check_overlap(src, zones, label)
        window = raster_window(src, zones.total_bounds)
        with raster_read_errors(label), windowed_dataset(src, window) as wsrc:
            if engine == "exact":
                raw, _ = _exact_class_areas(wsrc, zones, "zone_id")
            else:
                raw = _center_class_areas(landcover, zones, "zone_id", window=window)
            raw["area_source"] = "landcover"
            polygon = pd.Series(zones.geometry.area.to_numpy() * HA_PER_M2,
                                index=zones["zone_id"].to_numpy())
            _check_undeclared_nodata(src, raw, label)
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
            if parcels is not None and len(parcels):
                raw, parcel_area, disagreement, notes = _apply_parcels(wsrc, zones, parcels, raw,
                                                                       engine)
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


def _check_undeclared_nodata(src, raw: pd.DataFrame, label: str) -> None:
    """A raster without a declared no-data value whose pixels hold 0 (or the largest value of
    its type, another usual fill): those pixels are no-data that GDAL was not told about."""
    if src.nodata is not None or raw.empty:
        return
    fills = {0, int(np.iinfo(np.dtype(src.dtypes[0])).max)}
    hit = raw[raw["code"].isin(fills)]
    if hit.empty:
        return
    value = int(hit["code"].iloc[0])
    name = Path(str(label)).name
    raise InputFileError(
        f"le raster d'occupation du sol « {label} » ne déclare pas de valeur « sans donnée » et "
        f"{fmt_area_ha(float(hit['area_ha'].sum()))} du territoire y valent {value}, qui n'est "
        f"pas un code d'occupation du sol : déclarez-la (`gdal_edit.py -a_nodata {value} "
        f"{name}`) puis relancez."
    )


def _zone_label(zid, name) -> str:
    name = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
    return f"« {name} » ({zid})" if name and name != str(zid) else f"« {zid} »"


def check_coverage(summary: pd.DataFrame, zones: gpd.GeoDataFrame, label: str, *,
                   max_nodata_share: float = MAX_NODATA_SHARE,
                   warn_share: float = NODATA_WARN_SHARE) -> list[str]:
    """Zones partly outside the raster or in no-data: French notes, a warning, or an error.

    The share of a zone is ``nodata_area_ha / polygon_area_ha`` (no-data pixels plus the part
    of the polygon outside the raster). Above ``warn_share`` (1 %) the zone is named in a
    :class:`PartialCoverageWarning` (its stocks leave that part out); above
    ``max_nodata_share`` it is a :class:`CoverageError`. Returns the notes.
    """
    poly = summary["polygon_area_ha"].to_numpy(dtype=float)
    nod = summary["nodata_area_ha"].to_numpy(dtype=float)
    share = np.divide(nod, poly, out=np.zeros_like(nod), where=poly > 0)
    names = (zones.set_index("zone_id")["zone_name"] if "zone_name" in zones
             else pd.Series(dtype=object))
    rows = [(share[i], summary["zone_id"].iloc[i], nod[i], poly[i]) for i in range(len(share))]

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
            f"{len(too_much)} zone(s) hors du raster d'occupation du sol « {label} » ou sans "
            f"donnée sur plus de {fmt_percent(max_nodata_share, 0)} de leur surface — "
            f"{describe(too_much)}. Leurs résultats seraient sous-estimés d'autant : donnez un "
            "raster qui couvre tout le territoire, retirez ces zones, ou, si une couverture "
            "partielle est voulue, relevez le seuil (option --max-nodata-share 0.9 de "
            "`espass-geo stocks`, `flows` et `bilan`, clé max_nodata_share de [landcover] "
            "dans bilan.toml, paramètre max_nodata_share de l'API Python)."
        )
    partial = [r for r in rows if r[0] > warn_share]
    if not partial:
        return []
    msg = (f"{len(partial)} zone(s) en partie hors du raster d'occupation du sol « {label} » ou "
           f"sans donnée (part de la surface) — {describe(partial)}. Cette partie n'est pas "
           "comptée : les stocks et flux de ces zones en sont sous-estimés d'autant.")
    warnings.warn(msg, PartialCoverageWarning, stacklevel=3)
    return [msg]


def _apply_parcels(src, zones, parcels, raw, engine):
    """Replace the raster classes inside parcels by the parcels' declared classes."""
    if parcels.crs is None or parcels.crs.to_epsg() != 2154:
        raise CRSMismatchError("les parcelles doivent être en EPSG:2154 ; lisez-les avec "
                               "read_parcels().")
    notes: list[str] = []
    msg = overlap_notice(parcels, "Des parcelles", "cette surface est comptée deux fois dans "
                         "les communes concernées", stacklevel=4)
    if msg:
        notes.append(msg)
    pieces = gpd.overlay(parcels[["parcel_id", "code", "geometry"]],
                         zones[["zone_id", "geometry"]], how="intersection", keep_geom_type=True)
    pieces = pieces[pieces.geometry.area > 0].reset_index(drop=True)
    pieces["piece_id"] = np.arange(len(pieces))
    pieces["piece_ha"] = pieces.geometry.area * HA_PER_M2
    if pieces.empty:
        zero = pd.Series(0.0, index=zones["zone_id"].to_numpy())
        return raw, zero, zero, notes
    inside, _ = _exact_class_areas(src, pieces[["piece_id", "geometry"]], "piece_id")
    inside = inside.merge(pieces[["piece_id", "zone_id", "code"]].rename(
        columns={"code": "declared"}), on="piece_id")
    # raster area removed from each zone, per class
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
    # the centre engine cannot be exactly consistent with exact removal: clip tiny negatives
    raw = raw.groupby(["zone_id", "code", "area_source"], as_index=False)["area_ha"].sum()
    net = raw.groupby(["zone_id", "code"])["area_ha"].transform("sum")
    if engine == "center":
        raw.loc[net < 0, "area_ha"] -= net[net < 0]
    total_dis = float(disagreement.sum())
    total_par = float(parcel_area.sum())
    if total_par > 0:
        msg = (f"Parcelles : {fmt_area_ha(total_par)} déclarés ; l'occupation du sol raster diffère "
               f"de la culture déclarée sur {fmt_area_ha(total_dis)} "
               f"({fmt_percent(total_dis / total_par)}). La déclaration des parcelles prévaut à "
               "l'intérieur des parcelles.")
        notes.append(msg)
    zid = zones["zone_id"].to_numpy()
    return (raw, parcel_area.reindex(zid, fill_value=0.0),
            disagreement.reindex(zid, fill_value=0.0), notes)


def check_closure(areas: AreaTable, rtol: float = CLOSURE_RTOL) -> pd.DataFrame:
    """Zones whose class areas + nodata differ from the polygon area by more than ``rtol``."""
    s = areas.summary
    total = s["classified_area_ha"] + s["nodata_area_ha"]
    bad = (total - s["polygon_area_ha"]).abs() > rtol * s["polygon_area_ha"]
    return s[bad]


REQUIRED_CSV_COLUMNS = {"zone_id", "code", "area_ha"}


def area_table_from_csv(path: str | Path, *, zone_col: str | None = None) -> AreaTable:
    """Read a user area table (ALDO style) in long or wide form, validated (:mod:`.tables`).

    Long form: columns ``zone_id, code, area_ha`` (``insee``/``siren`` accepted for
    ``zone_id``, ``code_clc`` for ``code``). Wide form (the ALDO ``clc18.csv`` per EPCI): a zone
    column (``siren``, ``insee`` or ``zone_id``) and one column per CLC code, empty = 0.
    Refused: duplicate zone × code rows (never summed), empty, NaN, infinite, negative or
    ambiguous numbers (thousands separators), codes turned into decimals by a spreadsheet.
    The closure against the zone geometry is :func:`check_csv_closure` (needs the territory).
    """
    from espass_geo.io import tables
    from espass_geo.io.tables import Number

    path = Path(path)
    t = tables.read_table(path, "table de surfaces", error=AreaTableError)
    df = t.df
    cols = {c.lower(): c for c in df.columns}
    zcol = zone_col or next((cols[c] for c in ("zone_id", "insee", "siren", "code_insee", "epci")
                             if c in cols), None)
    if zcol is None or zcol not in df.columns:
        raise AreaTableError(
            f"table de surfaces « {path} » : pas de colonne de zone ; attendu zone_id, insee ou "
            f"siren (trouvé {list(df.columns)}). Colonnes requises (forme longue) : zone_id, "
            "code, area_ha."
        )
    code_like = [c for c in df.columns if c.strip().isdigit()]
    tables.check_no_empty(t, [zcol], error=AreaTableError)
    tables.check_codes(t, [zcol], error=AreaTableError)
    if code_like:  # wide form: one row per zone, empty cell = 0 ha
        num = tables.numbers(t, {c: Number(minimum=0, empty="zero") for c in code_like},
                             error=AreaTableError)
        tables.check_duplicates(t, [zcol], error=AreaTableError)
        long = num.melt(id_vars=[zcol], value_vars=code_like, var_name="code",
                        value_name="area_ha")
    else:
        ccol = next((cols[c] for c in ("code", "code_clc", "clc") if c in cols), None)
        acol = next((cols[c] for c in ("area_ha", "surface_ha", "area") if c in cols), None)
        missing = [n for n, c in (("code", ccol), ("area_ha", acol)) if c is None]
        if missing:
            raise AreaTableError(
                f"table de surfaces « {path} » : colonne(s) manquante(s) {missing} ; colonnes "
                f"requises : zone_id, code, area_ha (trouvé {list(df.columns)}, séparateur "
                f"détecté « {t.sep if t.sep != chr(9) else 'tabulation'} »)."
            )
        tables.check_no_empty(t, [ccol], error=AreaTableError)
        tables.check_codes(t, [ccol], error=AreaTableError)
        num = tables.numbers(t, {acol: Number(minimum=0)}, error=AreaTableError)
        tables.check_duplicates(t, [zcol, ccol], error=AreaTableError)
        long = num[[zcol, ccol, acol]].rename(columns={ccol: "code", acol: "area_ha"})
    long = long.rename(columns={zcol: "zone_id"})
    long["code"] = long["code"].astype(str).str.strip()
    long["zone_id"] = long["zone_id"].astype(str).str.strip()
    long = long[long["area_ha"] > 0].copy()
    if long.empty:
        raise AreaTableError(f"table de surfaces « {path} » : toutes les surfaces sont nulles ; "
                             "donnez au moins une surface > 0 ha.")
    long["area_source"] = "user"
    table = long[AREA_COLUMNS].sort_values(["zone_id", "code"]).reset_index(drop=True)
    table["area_ha"] = table["area_ha"].astype(float)
    tot = table.groupby("zone_id")["area_ha"].sum()
    summary = pd.DataFrame({"zone_id": tot.index, "polygon_area_ha": np.nan,
                            "classified_area_ha": tot.to_numpy(), "nodata_area_ha": np.nan,
                            "parcel_area_ha": 0.0, "disagreement_ha": 0.0})
    return AreaTable(table=table, summary=summary)


#: Closure of a CSV area table on the zone geometry: a user's own polygons (0.5 %, as for
#: rasters) or the embedded boundaries, simplified by their publisher (mapshaper 25 %): their
#: area per EPCI differs from ALDO's CLC totals by 0.95–1.03 (boundaries/README.md), hence 5 %.
CSV_CLOSURE_RTOL = {"polygons": CLOSURE_RTOL, "embedded": 0.05}


def check_csv_closure(summary: pd.DataFrame, path, *, rtol: float) -> list[str]:
    """Class areas of a CSV against the zone polygons (``summary.polygon_area_ha``).

    Above the polygon by more than ``rtol``: error (the table cannot be right: 1 000 ha in a
    512 ha zone). Below by more than ``rtol``: a warning giving the uncovered share (that part
    of the zone has no stock). Returns the French notes of the warnings.
    """
    import warnings

    from espass_geo.errors import InconsistentAreasWarning

    s = summary.dropna(subset=["polygon_area_ha"])
    over = s[s["classified_area_ha"] > s["polygon_area_ha"] * (1 + rtol)]
    if len(over):
        lines = [f"zone {r.zone_id} : {fmt_area_ha(r.classified_area_ha)} dans la table pour "
                 f"{fmt_area_ha(r.polygon_area_ha)} de surface de zone "
                 f"(+{fmt_percent(r.classified_area_ha / r.polygon_area_ha - 1)})"
                 for r in over.head(8).itertuples(index=False)]
        raise AreaTableError(
            f"table de surfaces « {path} » : les surfaces dépassent la surface de "
            f"{len(over)} zone(s) de plus de {fmt_percent(rtol)} :\n  - " + "\n  - ".join(lines)
            + "\nVérifiez l'unité (hectares, pas m² ni ares), les doublons et que les codes de "
            "zone sont ceux du territoire.")
    notes = []
    under = s[s["classified_area_ha"] < s["polygon_area_ha"] * (1 - rtol)]
    for r in under.itertuples(index=False):
        share = 1 - r.classified_area_ha / r.polygon_area_ha
        msg = (f"Table de surfaces {Path(str(path)).name} : la zone {r.zone_id} n'est couverte "
               f"qu'à {fmt_percent(1 - share)} ({fmt_area_ha(r.classified_area_ha)} sur "
               f"{fmt_area_ha(r.polygon_area_ha)}) ; {fmt_percent(share)} de sa surface n'a "
               "pas de stock.")
        warnings.warn(msg, InconsistentAreasWarning, stacklevel=3)
        notes.append(msg)
    return notes


def validate_csv_zones(territory, summary: pd.DataFrame, used: list[str], path) -> list[str]:
    """Check a CSV area table against the territory; fills ``summary.polygon_area_ha``.

    * every zone of the territory must have areas (at the level matched: communes, or their
      EPCI for a per-EPCI table): a missing zone is an **error**, since it would silently get
      no stock at all;
    * per-EPCI table on a commune territory: the polygon area is that of the whole EPCI (the
      results cover whole EPCI);
    * closure (:func:`check_csv_closure`): 0.5 % on the user's polygons, 5 % on the embedded
      simplified boundaries.
    """
    z = territory.zones
    ids = set(summary["zone_id"])
    if set(used) & set(z["zone_id"]):
        expected = list(z["zone_id"])
        level = "zone"
    else:
        expected = sorted(set(z["epci"].dropna())) if "epci" in z else []
        level = "EPCI"
        members = data.communes_2018()
        members = members[members["epci"].isin(used)]
        geo = data.commune_geometries()
        geo = geo[geo["code"].isin(set(members["insee"]))]
        area = (geo.geometry.area * HA_PER_M2).groupby(
            geo["code"].map(members.set_index("insee")["epci"])).sum()
        summary["polygon_area_ha"] = summary["zone_id"].map(area)
    missing = [e for e in expected if e not in ids]
    if missing:
        hint = next((m for m in missing if m.lstrip("0") in ids and m.lstrip("0") != m), None)
        raise AreaTableError(
            f"table de surfaces « {path} » : {len(missing)} {level}(s) du territoire sans "
            f"aucune surface : {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}"
            + (f" (la table contient {hint.lstrip('0')} : un tableur a retiré le zéro initial de "
               f"{hint} ; formatez la colonne en texte)" if hint else "")
            + ". Leur stock serait compté nul : ajoutez leurs surfaces ou retirez-les de "
            "--territory.")
    kind = "polygons" if territory.kind == "polygons" else "embedded"
    return check_csv_closure(summary, path, rtol=CSV_CLOSURE_RTOL[kind])
