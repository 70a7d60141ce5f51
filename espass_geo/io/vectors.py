"""Reading vector layers (territories, parcels, action geometries) into Lambert-93.

:func:`read_vector` reads a file (``file.gpkg:layer`` selects a layer), refuses what cannot be
used (no CRS, several layers, points or lines where polygons are needed) with a French message,
and repairs invalid geometries; :func:`overlap_notice` reports overlapping polygons of a layer.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np

from espass_geo.constants import LAMBERT93
from espass_geo.errors import (
    EmptyTerritoryError,
    InputFileError,
    InvalidGeometryWarning,
    MissingCRSError,
    OverlappingZonesWarning,
)
from espass_geo.present.fmt import fmt_area_ha

log = logging.getLogger(__name__)


def _gdal_detail(exc: BaseException) -> str:
    """GDAL's message, short: its first sentence without the file path, at most 120 chars."""
    text = str(exc).split(";")[0].strip().rstrip(".")
    text = re.sub(r"^'[^']*'\s*", "", text) or text
    return (text[:117] + "…" if len(text) > 120 else text) + "."


def repair_geometries(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Repair invalid geometries with ``make_valid`` and warn (in French)."""
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = gdf.loc[invalid, "geometry"].make_valid()
        msg = (
            f"{int(invalid.sum())} géométrie(s) invalide(s) réparée(s) dans « {source} » "
            "(shapely make_valid)."
        )
        warnings.warn(msg, InvalidGeometryWarning, stacklevel=3)
    return gdf


#: suffixes read as vector files by ``--territory`` (and ``file.gpkg:layer``)
VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml", ".sqlite",
                   ".zip", ".gdb"}
_LAYER_RE = re.compile(r"^(.+\.(?:gpkg|sqlite|gdb|zip|gml|kml|fgb|geojson|json|shp)):"
                       r"([^:/\\]+)$", re.IGNORECASE)
_POLYGONAL = {"Polygon", "MultiPolygon"}
_WHAT_FR = {"territory": "territoire", "parcels": "parcelles"}


def exists(path: Path) -> bool:
    """``path.exists()`` that says False for impossible names (NUL byte, too long)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def split_layer(spec: str | Path) -> tuple[Path, str | None]:
    """``"zones.gpkg:communes"`` -> (``zones.gpkg``, ``"communes"``); a plain path has no layer."""
    text = str(spec)
    m = _LAYER_RE.match(text)
    if m and not exists(Path(text)):
        return Path(m.group(1)), m.group(2)
    return Path(text), None


def polygonal_part(geom):
    """The polygons of a geometry (GeometryCollection included), or None."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in _POLYGONAL and not g.is_empty]
    if not parts:
        return None
    return shapely.union_all(parts)


_CRS_LINK_RE = re.compile(rb'"type"\s*:\s*"link"')


def refuse_linked_crs(path: Path, label: str) -> None:
    """Refuse a GeoJSON holding a ``"type": "link"`` object: GDAL fetches the ``href`` of a
    linked ``crs`` (GeoJSON 2008) over HTTP while reading the file, so a file received from
    someone would make this computer request any address. Read through mmap, never loaded."""
    import mmap

    if Path(path).suffix.lower() not in (".geojson", ".json"):
        return
    with open(path, "rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                linked = _CRS_LINK_RE.search(mm) is not None
        except ValueError:  # empty file: the reader says so
            return
    if linked:
        raise InputFileError(
            f"{label} « {path} » : son membre « crs » est un lien (\"type\": \"link\") que GDAL "
            "irait chercher sur le réseau ; enlevez-le ou nommez le système (\"name\": "
            "\"urn:ogc:def:crs:EPSG::2154\"), ou exportez le fichier en GeoJSON standard (WGS84).")


def read_vector(path: str | Path, what: str = "territoire", *,
                polygons: bool = False) -> gpd.GeoDataFrame:
    """Read a vector file (``file.gpkg:layer`` selects a layer) and return it in Lambert-93.

    Files without CRS, with several layers and no layer named, or (with ``polygons=True``) with
    points or lines are refused; GeometryCollections keep their polygons; features without
    geometry are dropped with a warning.
    """
    import pyogrio

    what = _WHAT_FR.get(what, what)
    path, layer = split_layer(path)
    if not exists(path):
        hint = ""
        if layer is not None:
            hint = f" (couche « {layer} » demandée après « : »)"
        raise InputFileError(f"fichier de {what} « {path} » introuvable{hint} : vérifiez le "
                             "chemin.")
    if path.suffix.lower() == ".shp":
        missing = [path.with_suffix(s).name for s in (".shx", ".dbf")
                   if not path.with_suffix(s).exists()
                   and not path.with_suffix(s.upper()).exists()]
        if missing:
            raise InputFileError(
                f"shapefile de {what} « {path} » incomplet : il manque {', '.join(missing)} à "
                "côté du .shp ; copiez tous les fichiers du shapefile (.shp, .shx, .dbf, .prj) "
                "ou donnez un GeoPackage.")
    refuse_linked_crs(path, f"fichier de {what}")
    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        extra = (" ; une archive .zip doit contenir un shapefile complet (.shp, .shx, .dbf, "
                 ".prj)" if path.suffix.lower() == ".zip" else "")
        raise InputFileError(
            f"fichier de {what} « {path} » illisible : il ne peut pas être lu comme couche "
            f"vectorielle (GeoPackage, GeoJSON, shapefile){extra} ; donnez un GeoPackage, un "
            f"GeoJSON ou un shapefile valide. Détail GDAL : {_gdal_detail(exc)}"
        ) from None
    if not layers:
        raise EmptyTerritoryError(f"fichier de {what} « {path} » sans aucune couche : donnez "
                                  "un fichier qui contient des polygones.")
    if layer is not None and layer not in layers:
        raise InputFileError(
            f"couche « {layer} » absente du fichier de {what} « {path} » (couches : "
            f"{', '.join(layers)}) : écrivez {path}:{layers[0]} par exemple.")
    if layer is None and len(layers) > 1:
        raise InputFileError(
            f"le fichier de {what} « {path} » contient {len(layers)} couches ("
            f"{', '.join(layers[:10])}) : choisissez-en une en écrivant {path}:{layers[0]} "
            "(fichier:couche).")
    try:
        gdf = gpd.read_file(path, layer=layer or layers[0], engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        raise InputFileError(
            f"fichier de {what} « {path} » illisible : il ne peut pas être lu comme couche "
            "vectorielle (GeoPackage, GeoJSON, shapefile) ; donnez un GeoPackage, un GeoJSON ou "
            f"un shapefile valide. Détail GDAL : {_gdal_detail(exc)}"
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf._geometry_column_name not in gdf:
        shp = (" ; un shapefile a besoin de son .shp (et .shx, .dbf, .prj)"
               if path.suffix.lower() in (".zip", ".shp", ".dbf") else "")
        raise EmptyTerritoryError(f"fichier de {what} « {path} » sans géométrie{shp} : donnez "
                                  "une couche de polygones.")
    if gdf.crs is None:
        prj = (f" (le fichier {path.with_suffix('.prj').name} manque à côté du .shp)"
               if path.suffix.lower() == ".shp" and not path.with_suffix(".prj").exists()
               else "")
        raise MissingCRSError(
            f"fichier de {what} « {path} » sans système de coordonnées{prj} : définissez-le "
            "(ex. `ogr2ogr -a_srs EPSG:2154 sortie.gpkg entree.shp` si les coordonnées sont en "
            "Lambert-93) puis relancez."
        )
    nogeom = gdf.geometry.isna() | gdf.geometry.is_empty
    if len(gdf) and nogeom.all():
        raise EmptyTerritoryError(
            f"fichier de {what} « {path} » : aucune de ses {len(gdf)} entités n'a de géométrie ; "
            "donnez une couche de polygones.")
    if nogeom.any():
        warnings.warn(f"{int(nogeom.sum())} entité(s) sans géométrie ignorée(s) dans « {path} ».",
                      InvalidGeometryWarning, stacklevel=3)
        gdf = gdf[~nogeom]
    if len(gdf) and gdf.crs.is_geographic:
        minx, miny, maxx, maxy = gdf.total_bounds
        if min(minx, miny) < -180 or maxx > 180 or maxy > 90:
            raise MissingCRSError(
                f"fichier de {what} « {path} » : coordonnées ({minx:.0f}, {miny:.0f}) impossibles "
                f"en degrés ({gdf.crs.name}) ; elles semblent projetées (Lambert-93 ?) : "
                "déclarez le bon système (`ogr2ogr -a_srs EPSG:2154 …`) puis relancez.")
    if polygons and len(gdf):
        poly = gdf.geometry.map(polygonal_part)
        bad = poly.isna()
        if bad.any():
            types = sorted(set(gdf.geometry[bad].geom_type))
            raise EmptyTerritoryError(
                f"fichier de {what} « {path} » : {int(bad.sum())} entité(s) sur {len(gdf)} ne "
                f"sont pas des polygones ({', '.join(types)}) ; une zone a une surface : "
                "donnez des polygones (ou tamponnez les points et les lignes).")
        gdf = gdf.set_geometry(gpd.GeoSeries(poly.values, index=gdf.index, crs=gdf.crs))
    if gdf.crs.to_epsg() != 2154:
        log.info("reprojecting %s from %s to EPSG:2154", path, gdf.crs)
        try:
            gdf = gdf.to_crs(LAMBERT93)
        except Exception as exc:  # pyproj CRSError / ProjError flavours
            raise MissingCRSError(
                f"fichier de {what} « {path} » : son système de coordonnées ({gdf.crs.name}) ne "
                f"se convertit pas en Lambert-93 ({str(exc)[:120]}) ; reprojetez-le (ex. "
                "`ogr2ogr -t_srs EPSG:2154 sortie.gpkg entree`) puis relancez.") from None
    bounds = gdf.total_bounds if len(gdf) else None
    if bounds is not None and not np.isfinite(bounds).all():
        raise InputFileError(
            f"fichier de {what} « {path} » : coordonnées non finies (inf, NaN) après conversion "
            "en Lambert-93 ; vérifiez le système de coordonnées déclaré et les géométries.")
    gdf = repair_geometries(gdf, str(path))
    if polygons and len(gdf):
        gdf = gdf.set_geometry(gpd.GeoSeries(gdf.geometry.map(polygonal_part).values,
                                             index=gdf.index, crs=gdf.crs))
        gdf = gdf[gdf.geometry.notna()]
    return gdf


def overlap_area_ha(gdf: gpd.GeoDataFrame) -> float:
    """Total area (ha) where polygons of ``gdf`` overlap each other (counted once per pair)."""
    if len(gdf) < 2:
        return 0.0
    geoms = gdf.geometry.values
    left, right = gdf.sindex.query(geoms, predicate="intersects")
    mask = left < right
    if not mask.any():
        return 0.0
    import shapely

    inter = shapely.intersection(geoms[left[mask]], geoms[right[mask]])
    return float(shapely.area(inter).sum() * 1e-4)


def overlap_notice(gdf: gpd.GeoDataFrame, what: str, consequence: str, *,
                   stacklevel: int = 3) -> str | None:
    """French note on overlapping polygons of ``gdf``; warns when the overlap is significant.

    Overlaps above 0.5 ha and 0.1 % of the layer's area are warned about
    (:class:`OverlappingZonesWarning`); slivers (digitising noise) are only noted.
    """
    overlap = overlap_area_ha(gdf)
    if overlap <= 0.01:
        return None
    msg = f"{what} se chevauchent sur {fmt_area_ha(overlap)} : {consequence}."
    if overlap > max(0.5, 1e-3 * float(gdf.geometry.area.sum()) * 1e-4):
        warnings.warn(msg, OverlappingZonesWarning, stacklevel=stacklevel)
    return msg
