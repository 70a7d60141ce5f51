"""Reading a VECTOR land cover (OCS GE, OCS2D, BD Forêt, CLC vector…) into Lambert-93.

:func:`read_landcover_vector` reads one polygon layer (``file.gpkg:layer`` selects a layer),
only the code field(s) and the geometry, and only the features within ``bbox`` (the
territory's bounding box: GDAL's spatial index of the layer does the filtering, which is
what makes a département-sized layer of a million polygons quick to read for a few
communes). Its codes are turned into CLC level-3 / extension codes by the product's
crosswalk (:mod:`espass_geo.reference.crosswalks`); the result, a :class:`VectorLandCover`,
is what :mod:`espass_geo.core.vector_areas` overlays with the zones.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2, LAMBERT93
from espass_geo.errors import (
    InputFileError,
    MissingCRSError,
    OverlappingZonesWarning,
)
from espass_geo.io.vectors import (
    _gdal_detail,
    exists,
    polygonal_part,
    repair_geometries,
    split_layer,
)
from espass_geo.present.fmt import fmt_area_ha

log = logging.getLogger(__name__)

#: suffixes read as a vector land cover (a ``.zip`` holds a shapefile)
VECTOR_LANDCOVER_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".sqlite",
                             ".zip"}
#: suffixes of land-cover rasters
RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img", ".jp2"}
#: Layers up to this many polygons are checked for overlaps exactly; larger ones on a random
#: sample of :data:`OVERLAP_SAMPLE` polygons (every pair touching them), the total estimated
#: (each pair of touching polygons costs ~40 µs: an exact check of 10⁶ polygons would take
#: minutes). The area and change tables also
#: check each zone exactly, for free (pieces adding up to more than the zone:
#: :func:`espass_geo.core.vector_areas.area_table_from_vector`).
OVERLAP_CHECK_MAX = 5_000
OVERLAP_SAMPLE = 1_000
#: rows read to recognise the product from the values of its fields
SAMPLE_ROWS = 200
_NOT_POLYGON = {0: "Point", 1: "LineString", 2: "LinearRing", 4: "MultiPoint",
                5: "MultiLineString"}


@dataclass
class VectorLandCover:
    """A vector land cover ready to overlay: ``gdf`` (EPSG:2154; ``code`` = CLC level-3 or
    extension code as str, ``geometry`` = polygons; no-data rows dropped), how it is named in
    messages, the product recognised, the field(s) the codes come from, and French notes."""

    gdf: gpd.GeoDataFrame
    label: str
    product: str
    fields: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    #: overlapping polygons found (and warned about) when reading, ha (0: none)
    overlap_ha: float = 0.0


def is_vector_landcover(path: str | Path) -> bool:
    """True for a vector land cover (``.gpkg .shp .geojson .json .fgb .gml .sqlite``, a
    ``.zip`` holding a shapefile, ``file.gpkg:layer``); False for a raster (``.tif .tiff .vrt
    .img .jp2``) or anything else."""
    p, _ = split_layer(path)
    return p.suffix.lower() in VECTOR_LANDCOVER_SUFFIXES


# ------------------------------------------------------------------ reading
def _layer_name(path: Path, layer: str | None, label: str) -> str:
    import pyogrio

    if not exists(path):
        hint = f" (couche « {layer} » demandée après « : »)" if layer else ""
        raise InputFileError(f"couche d'occupation du sol « {path} » introuvable{hint} : "
                             "vérifiez le chemin.")
    if path.suffix.lower() == ".shp":
        missing = [path.with_suffix(s).name for s in (".shx", ".dbf")
                   if not path.with_suffix(s).exists()
                   and not path.with_suffix(s.upper()).exists()]
        if missing:
            raise InputFileError(
                f"shapefile d'occupation du sol « {path} » incomplet : il manque "
                f"{', '.join(missing)} à côté du .shp ; copiez tous les fichiers du shapefile "
                "(.shp, .shx, .dbf, .prj) ou donnez un GeoPackage.")
    from espass_geo.io.vectors import refuse_linked_crs

    refuse_linked_crs(path, "couche d'occupation du sol")
    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several DataSourceError flavours
        raise InputFileError(
            f"couche d'occupation du sol « {path} » illisible : ce n'est pas une couche "
            "vectorielle lisible (GeoPackage, shapefile, GeoJSON) ; donnez un fichier valide. "
            f"Détail GDAL : {_gdal_detail(exc)}") from None
    if not layers:
        raise InputFileError(f"fichier d'occupation du sol « {path} » sans aucune couche : "
                             "donnez un fichier qui contient des polygones.")
    if layer is not None and layer not in layers:
        raise InputFileError(
            f"couche « {layer} » absente du fichier d'occupation du sol « {path} » (couches : "
            f"{', '.join(layers[:10])}) : écrivez {path}:{layers[0]} par exemple.")
    if layer is None and len(layers) > 1:
        raise InputFileError(
            f"le fichier d'occupation du sol « {path} » contient {len(layers)} couches ("
            f"{', '.join(layers[:10])}) : choisissez-en une en écrivant {path}:{layers[0]} "
            "(fichier:couche).")
    return layer or layers[0]


def _crs_text(crs) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _layer_bbox(bbox, crs):
    """``bbox`` (Lambert-93) in the layer's CRS, for GDAL's spatial filter."""
    if bbox is None:
        return None
    from pyproj import CRS, Transformer

    bbox = tuple(float(v) for v in bbox)
    if CRS.from_user_input(crs).to_epsg() == 2154:
        return bbox
    tr = Transformer.from_crs(LAMBERT93, crs, always_xy=True)
    return tuple(tr.transform_bounds(*bbox, densify_pts=21))


def clean_polygons(gdf: gpd.GeoDataFrame, label: str, layer_crs, *, what: str, note: str,
                   remedy: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A polygon layer as read, made usable (shared by the land-cover and OCS GE readers):
    points and lines refused, entities without geometry dropped, collections reduced to their
    polygons, reprojected to Lambert-93, non-finite coordinates refused, invalid geometries
    repaired. ``what`` names the layer in errors (« couche OCS GE »), ``note`` in notes,
    ``remedy`` ends the refusal of non-polygons. Returns the layer and French notes."""
    import shapely

    notes: list[str] = []
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    tid = shapely.get_type_id(geoms)
    bad = np.isin(tid, list(_NOT_POLYGON))
    if bad.any():
        types = sorted({_NOT_POLYGON[t] for t in np.unique(tid[bad])})
        raise InputFileError(
            f"{what} « {label} » : {int(bad.sum())} entité(s) sur {len(gdf)} ne sont pas des "
            f"polygones ({', '.join(types)}) ; {remedy}")
    nogeom = (tid < 0) | shapely.is_empty(geoms)
    if nogeom.any():
        notes.append(f"{note} « {label} » : {int(nogeom.sum())} entité(s) sans géométrie "
                     "écartée(s).")
        gdf = gdf[~nogeom]
    coll = tid[~nogeom] == 7
    if coll.any():
        g = np.asarray(gdf.geometry.values, dtype=object)
        g[coll] = [polygonal_part(x) for x in g[coll]]
        gdf = gdf.set_geometry(gpd.GeoSeries(g, index=gdf.index, crs=gdf.crs))
        gdf = gdf[gdf.geometry.notna()]
    if gdf.crs is None or gdf.crs.to_epsg() != 2154:
        try:
            gdf = gdf.to_crs(LAMBERT93)
        except Exception as exc:  # noqa: BLE001 - pyproj CRSError / ProjError flavours
            raise MissingCRSError(
                f"{what} « {label} » : son système de coordonnées ({_crs_text(gdf.crs)}) ne se "
                f"convertit pas en Lambert-93 ({str(exc)[:120]}) ; reprojetez-la "
                "(`ogr2ogr -t_srs EPSG:2154 sortie.gpkg entree`).") from None
        notes.append(f"{note} « {label} » reprojetée de {_crs_text(layer_crs)} en Lambert-93.")
    if len(gdf) and not np.isfinite(gdf.total_bounds).all():
        raise InputFileError(
            f"{what} « {label} » : coordonnées non finies (inf, NaN) après conversion en "
            "Lambert-93 ; vérifiez le système de coordonnées déclaré.")
    invalid = ~shapely.is_valid(np.asarray(gdf.geometry.values, dtype=object))
    if invalid.any():
        fixed = repair_geometries(gdf.loc[invalid, [gdf.geometry.name]], label)
        g = np.asarray(gdf.geometry.values, dtype=object)
        g[invalid] = [polygonal_part(x) for x in fixed.geometry.values]
        gdf = gdf.set_geometry(gpd.GeoSeries(g, index=gdf.index, crs=gdf.crs))
        gdf = gdf[gdf.geometry.notna()]
        notes.append(f"{note} « {label} » : {int(invalid.sum())} géométrie(s) invalide(s) "
                     "réparée(s) (shapely make_valid).")
    return gdf, notes


def read_landcover_vector(
    path: str | Path,
    *,
    code_field: str | None = None,
    nomenclature: str | None = None,
    bbox=None,
    label: str | None = None,
) -> VectorLandCover:
    """Read a vector land cover and return its polygons in Lambert-93 with CLC codes.

    Parameters
    ----------
    path
        Vector file (``.gpkg .shp .geojson .fgb .gml .sqlite``, ``.zip`` of a shapefile);
        ``file.gpkg:layer`` selects a layer.
    code_field
        The field(s) holding the codes (``"CODE_CS"``, ``"CODE_CS,CODE_US"``); default:
        recognised from the layer's fields and values (OCS GE, OCS2D, BD Forêt, CLC…).
    nomenclature
        The product whose crosswalk recodes the codes (default: the one recognised).
    bbox
        ``(minx, miny, maxx, maxy)`` in Lambert-93: only the features it touches are read
        (spatial filter in the layer's CRS, done by GDAL with the layer's index).
    label
        How the layer is named in messages (default: the path).

    Refused with a French error: missing or unreadable file, several layers and none named,
    no CRS (:class:`MissingCRSError`), points or lines, unknown code field. Invalid geometries
    are repaired (``make_valid``, warned), features without geometry or without a land-cover
    code are dropped (noted), overlapping polygons are warned about.
    """
    import pyogrio

    from espass_geo.reference.crosswalks import (
        detect_vector_product,
        parse_code_field,
        vector_codes,
    )

    file, layer = split_layer(path)
    label = label or str(path)
    layer = _layer_name(file, layer, label)
    try:
        info = pyogrio.read_info(file, layer=layer)
    except Exception as exc:  # noqa: BLE001
        raise InputFileError(f"couche d'occupation du sol « {label} » illisible ; donnez un "
                             f"fichier valide. Détail GDAL : {_gdal_detail(exc)}") from None
    crs = info.get("crs")
    if not crs:
        prj = (f" (le fichier {file.with_suffix('.prj').name} manque à côté du .shp)"
               if file.suffix.lower() == ".shp" and not file.with_suffix(".prj").exists()
               else "")
        raise MissingCRSError(
            f"couche d'occupation du sol « {label} » sans système de coordonnées{prj} : "
            "définissez-le (ex. `ogr2ogr -a_srs EPSG:2154 sortie.gpkg entree.shp` si les "
            "coordonnées sont en Lambert-93) puis relancez.")
    gtype = str(info.get("geometry_type") or "")
    if gtype and "Polygon" not in gtype and any(k in gtype for k in ("Point", "LineString")):
        raise InputFileError(
            f"couche d'occupation du sol « {label} » : ses entités sont des {gtype}, pas des "
            "polygones ; une occupation du sol couvre des surfaces : donnez la couche de "
            "polygones (ou un raster).")
    columns = [str(c) for c in info.get("fields", [])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sample = pyogrio.read_dataframe(file, layer=layer, read_geometry=False,
                                        max_features=SAMPLE_ROWS)
    where = f"couche d'occupation du sol « {label} »"
    if code_field:
        fields = tuple(parse_code_field(code_field))
        lower = {c.lower(): c for c in columns}
        missing = [f for f in fields if f.lower() not in lower]
        if missing:
            raise InputFileError(
                f"couche d'occupation du sol « {label} » : champ(s) {', '.join(missing)} "
                f"absent(s) ; champs présents : {', '.join(columns[:20]) or '(aucun)'}. Corrigez "
                "--code-field (clé code_field de [landcover] dans bilan.toml).")
        fields = tuple(lower[f.lower()] for f in fields)
        product = nomenclature
        if product is None:
            try:
                product, _ = detect_vector_product(columns, sample, source=where)
            except Exception:  # noqa: BLE001 - not recognised: the fields are CLC codes
                if len(fields) == 2:  # cover × use fields: OCS GE or OCS2D, said by the user
                    raise InputFileError(
                        f"{where} : --code-field {'+'.join(fields)} donne deux champs "
                        "(couverture × usage) mais leurs valeurs ne disent pas si c'est l'OCS GE "
                        "ou l'OCS2D ; précisez --nomenclature ocsge, --nomenclature ocs2d ou une "
                        "table CSV code_cs,code_us,code_clc.") from None
                product = "clc"
    else:
        # a nomenclature given (--nomenclature ocsge…) names the product: only the fields are
        # looked for, the values are not used to tell OCS GE from OCS2D
        product, fields = detect_vector_product(columns, sample, product=nomenclature,
                                                source=where)
        fields = tuple(fields)
        product = nomenclature or product
    layer_crs = info["crs"]
    use_arrow = _have_arrow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(file, layer=layer, columns=list(fields),
                                         bbox=_layer_bbox(bbox, layer_crs), use_arrow=use_arrow)
    except Exception as exc:  # noqa: BLE001
        raise InputFileError(f"couche d'occupation du sol « {label} » illisible ; donnez un "
                             f"fichier valide. Détail GDAL : {_gdal_detail(exc)}") from None
    gdf, notes = clean_polygons(
        gdf, label, pyogrio_crs(layer_crs), what="couche d'occupation du sol",
        note="Occupation du sol",
        remedy="une occupation du sol couvre des surfaces : donnez la couche de polygones (ou "
               "un raster).")
    codes, cnotes = vector_codes(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), fields=fields,
                             product=product, source=label)
    notes.extend(cnotes)
    codes = pd.Series(codes, index=gdf.index)
    nodata = codes.isna().to_numpy()
    if nodata.any():
        ha = float(gdf.geometry.values[nodata].area.sum()) * HA_PER_M2
        notes.append(f"Occupation du sol « {label} » : les {int(nodata.sum())} polygone(s) sans "
                     f"classe ({fmt_area_ha(ha)}) sont écartés ; leur surface compte comme sans "
                     "donnée dans les zones.")
    out = gpd.GeoDataFrame({"code": codes[~nodata].astype(str).to_numpy()},
                           geometry=np.asarray(gdf.geometry.values, dtype=object)[~nodata],
                           crs=LAMBERT93)
    notes.insert(0, f"Occupation du sol vectorielle « {label} » : produit {product}, champ(s) "
                    f"{', '.join(fields)}, {len(out)} polygone(s) lus"
                    + (" dans l'emprise du territoire." if bbox is not None else "."))
    overlap, msg = _overlap_check(out, label)
    if msg:
        notes.append(msg)
    return VectorLandCover(gdf=out.reset_index(drop=True), label=label, product=str(product),
                           fields=tuple(fields), notes=notes, overlap_ha=overlap)


def pyogrio_crs(crs):
    from pyproj import CRS

    return CRS.from_user_input(crs)


def _have_arrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _overlap_check(gdf: gpd.GeoDataFrame, label: str) -> tuple[float, str | None]:
    """Overlapping land-cover polygons: exact on layers up to :data:`OVERLAP_CHECK_MAX`
    polygons, estimated on a random sample of :data:`OVERLAP_SAMPLE` above. Warns once
    (:class:`OverlappingZonesWarning`) with the hectares.

    Only pairs whose interiors meet (``relate`` ``T********``) are intersected: touching
    neighbours, the bulk of a land-cover partition, cost a predicate, not an overlay.
    """
    import shapely

    if len(gdf) < 2:
        return 0.0, None
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    if len(geoms) <= OVERLAP_CHECK_MAX:
        pick = np.arange(len(geoms))
        left, right = tree.query(geoms)            # bounding boxes only
        keep = left < right                        # each pair once
        scale, how = 1.0, ""
    else:
        pick = np.random.default_rng(0).choice(len(geoms), OVERLAP_SAMPLE, replace=False)
        left, right = tree.query(geoms[pick])
        keep = pick[left] != right
        # a pair is met from either end: E[sum] = 2 × overlap × sample / N
        scale = len(geoms) / (2 * OVERLAP_SAMPLE)
        how = f" (estimation sur un échantillon de {OVERLAP_SAMPLE} polygones)"
    a, b = geoms[pick[left[keep]]], geoms[right[keep]]
    inner = shapely.relate_pattern(a, b, "T********")
    overlap = float(shapely.area(shapely.intersection(a[inner], b[inner])).sum()) \
        * HA_PER_M2 * scale
    if overlap <= 0.01:
        return 0.0, None
    msg = (f"Des polygones de l'occupation du sol « {label} » se chevauchent sur "
           f"{fmt_area_ha(overlap)}{how} : cette surface est comptée deux fois. Corrigez la "
           "couche (un seul polygone par lieu).")
    warnings.warn(msg, OverlappingZonesWarning, stacklevel=3)
    return overlap, msg
