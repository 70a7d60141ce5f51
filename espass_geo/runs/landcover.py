"""Land cover in any form a planner holds, resolved once per run (issue #11).

A land-cover input is a raster (GeoTIFF of product codes, any CRS: warped on the fly by
:mod:`espass_geo.io.rasters`) or a vector layer (CLC, OCS GE, OCS2D… read by
:mod:`espass_geo.io.landcover_vectors`, codes turned into CLC/espass_geo codes by the
crosswalks). This module dispatches the area table, the change table and the raster views a
map needs (per-pixel density, change grid) to the raster or the vector engine, so that the
runs (:mod:`espass_geo.runs.stocks`, :mod:`espass_geo.runs.flows`) and the bilan take the same
inputs whatever their form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from espass_geo.core.areas import MAX_NODATA_SHARE, AreaTable, area_table_from_raster
from espass_geo.errors import InputFileError

#: resolution (m) at which a vector land cover is drawn for the per-pixel maps
VECTOR_MAP_RESOLUTION_M = 10.0


@dataclass
class LandCover:
    """One land-cover input, resolved: ``path`` as given, and for a vector layer its polygons
    (``vector``: :class:`~espass_geo.io.landcover_vectors.VectorLandCover`, codes already
    CLC/espass_geo codes)."""

    path: Path
    vector: Any = None
    notes: list[str] = field(default_factory=list)
    _raster_view: Any = None  # MemoryFile keeping a rasterised vector alive

    @property
    def is_vector(self) -> bool:
        return self.vector is not None

    @property
    def label(self) -> str:
        """The path as the user wrote it (a GDAL virtual path ``/vsis3/…`` repaired)."""
        from espass_geo.io.rasters import gdal_path

        return gdal_path(self.path)


def _vector_nomenclature(nomenclature) -> str | Path | None:
    """For a vector layer the default nomenclature (``clc``) means « recognise the product »."""
    return None if nomenclature is None or str(nomenclature) == "clc" else nomenclature


def resolve_landcover(path: str | Path, *, zones: gpd.GeoDataFrame | None = None,
                      code_field: str | None = None,
                      nomenclature: str | Path | None = "clc") -> LandCover:
    """Open ``path`` as a raster or read it as a vector land cover (only the features in the
    zones' bounding box are read)."""
    from espass_geo.io.landcover_vectors import is_vector_landcover, read_landcover_vector

    if isinstance(path, LandCover):  # resolved already (a date shared by two periods)
        return path
    path = Path(path)
    if not is_vector_landcover(path):
        if code_field:
            raise InputFileError(
                f"--code-field {code_field} : « {path} » est un raster, dont les valeurs sont "
                "les codes ; l'option ne s'applique qu'à une couche vecteur (GeoPackage, "
                "shapefile…). Retirez --code-field (clé code_field).")
        from espass_geo.reference.crosswalks import resolve as resolve_crosswalk

        resolve_crosswalk(nomenclature)  # an unknown nomenclature refused before any work
        return LandCover(path)
    bbox = tuple(zones.total_bounds) if zones is not None and len(zones) else None
    vec = read_landcover_vector(path, code_field=code_field,
                                nomenclature=_vector_nomenclature(nomenclature), bbox=bbox,
                                label=str(path))
    return LandCover(path, vector=vec, notes=list(vec.notes))


def is_synthetic(landcover: str | Path | LandCover | None) -> bool:
    """Whether a land cover says it is synthetic (GeoTIFF tag or GeoPackage layer metadata
    ``SYNTHETIC=yes``), like the embedded demo data."""
    if landcover is None:
        return False
    path = landcover.path if isinstance(landcover, LandCover) else Path(landcover)
    yes = {"yes", "true", "1"}
    from espass_geo.io.landcover_vectors import is_vector_landcover

    if is_vector_landcover(path):
        import pyogrio

        from espass_geo.io.vectors import split_layer

        file, layer = split_layer(path)
        try:
            meta = pyogrio.read_info(file, layer=layer).get("layer_metadata") or {}
        except Exception:  # noqa: BLE001 - unreadable metadata: not marked synthetic
            return False
        return str(meta.get("SYNTHETIC", "")).lower() in yes
    import rasterio

    from espass_geo.io.rasters import gdal_path

    try:
        with rasterio.open(gdal_path(path)) as src:
            return str(src.tags().get("SYNTHETIC", "")).lower() in yes
    except rasterio.errors.RasterioIOError:  # unreadable: open_landcover will say why
        return False


def area_table(zones: gpd.GeoDataFrame, lc: LandCover, *,
               parcels: gpd.GeoDataFrame | None = None, engine: str = "hybrid",
               max_nodata_share: float = MAX_NODATA_SHARE) -> AreaTable:
    """The area table of ``zones`` on a raster or a vector land cover (codes of the product,
    for a raster; CLC/espass_geo codes for a vector, recoded at reading)."""
    if lc.is_vector:
        from espass_geo.core.vector_areas import area_table_from_vector

        # the VectorLandCover: its notes, and overlaps warned once (at reading)
        return area_table_from_vector(zones, lc.vector, parcels=parcels,
                                      max_nodata_share=max_nodata_share, label=lc.label)
    return area_table_from_raster(zones, lc.path, parcels=parcels, engine=engine,
                                  max_nodata_share=max_nodata_share)


def raster_view(lc: LandCover, zones: gpd.GeoDataFrame, *, like: Any = None) -> Path:
    """A raster path of the land cover for per-pixel work (density map, change grid): the
    raster itself, or the vector drawn at :data:`VECTOR_MAP_RESOLUTION_M` (or on ``like``'s
    grid) in memory, kept alive by ``lc``."""
    if not lc.is_vector:
        return lc.path
    from espass_geo.core.vector_areas import rasterize_landcover

    if lc._raster_view is None:
        import shutil
        import tempfile
        import weakref

        mem = rasterize_landcover(lc.vector.gdf, bounds=tuple(zones.total_bounds),
                                  resolution=VECTOR_MAP_RESOLUTION_M, like=like)
        # a real file (the raster checks and readers take paths), removed with ``lc``
        tmp = Path(tempfile.mkdtemp(prefix="espass_geo-lc-"))
        weakref.finalize(lc, shutil.rmtree, tmp, True)
        path = tmp / f"{lc.path.stem}_pixels.tif"
        try:
            path.write_bytes(mem.read())
        finally:
            mem.close()
        lc._raster_view = path
    return lc._raster_view


def forest_inside(lc: LandCover, pieces: gpd.GeoDataFrame) -> pd.DataFrame:
    """Land-cover class areas inside the BD Forêt ``pieces`` (``zone_id, code, area_ha,
    bdforet_code``), exact, on either form: :mod:`espass_geo.core.forest_refine` on the layer,
    or on the raster's window of the pieces (codes of the raster's product)."""
    from espass_geo.core.forest_refine import inside_from_polygons, inside_from_raster

    if lc.is_vector:
        return inside_from_polygons(lc.vector.gdf, pieces)
    from espass_geo.io.rasters import open_landcover, raster_window, windowed_dataset

    src = open_landcover(lc.path)
    try:
        window = raster_window(src, pieces.total_bounds) if len(pieces) else None
        if window is None:
            return inside_from_raster(src, pieces.iloc[0:0])
        with windowed_dataset(src, window) as wsrc:
            return inside_from_raster(wsrc, pieces)
    finally:
        src.close()


def change_table(zones: gpd.GeoDataFrame, before: LandCover, after: LandCover, *,
                 years: tuple[int, int], engine: str = "hybrid",
                 max_nodata_share: float = MAX_NODATA_SHARE,
                 nomenclature: str | Path | None = "clc"):
    """The change table of ``zones`` between two land covers of any form: two rasters (same
    grid), two vector layers (exact overlay), or one of each (the layer drawn on the raster's
    grid). Codes are CLC/espass_geo codes on return."""
    from espass_geo.io.change_rasters import change_table_from_rasters
    from espass_geo.reference.crosswalks import recode_changes
    from espass_geo.reference.crosswalks import resolve as resolve_crosswalk

    if not before.is_vector and not after.is_vector:
        crosswalk = resolve_crosswalk(nomenclature)
        ct = change_table_from_rasters(zones, before.path, after.path, years=years,
                                       engine=engine, max_nodata_share=max_nodata_share,
                                       clc_codes=crosswalk is None)
        recode_changes(ct, nomenclature, source=f"rasters d'occupation du sol « {before.label} "
                       f"» / « {after.label} »")
        return ct
    if before.is_vector and after.is_vector:  # the layers carry their notes
        from espass_geo.core.vector_areas import change_table_from_vectors

        ct = change_table_from_vectors(zones, before.vector, after.vector, years=years,
                                       max_nodata_share=max_nodata_share,
                                       label=f"{before.path.name} → {after.path.name}")
    else:
        if nomenclature is not None and str(nomenclature) != "clc":
            raise InputFileError(
                f"« {before.label} » et « {after.label} » : un raster et une couche vecteur se "
                "mélangent quand le raster est en codes CLC ; la couche est recodée à la "
                f"lecture, le raster ne l'est pas avec --nomenclature {nomenclature}. Recodez le "
                "raster en codes CLC de niveau 3, ou donnez deux rasters ou deux couches.")
        from espass_geo.core.vector_areas import change_table_mixed

        vector = before if before.is_vector else after
        ct = change_table_mixed(zones, before.vector if before.is_vector else before.path,
                                after.vector if after.is_vector else after.path,
                                years=years, engine=engine, max_nodata_share=max_nodata_share,
                                label=str(vector.path.name))
    p0, p1 = product_of(before, nomenclature), product_of(after, nomenclature)
    if p0 != p1:
        import warnings

        from espass_geo.errors import MixedProductsWarning

        msg = (f"Les deux dates viennent de produits d'occupation du sol différents ({p0} pour « "
               f"{before.path.name} », {p1} pour « {after.path.name} ») : une partie des "
               "changements comptés tient aux différences de nomenclature et de précision, pas "
               "au terrain (par ex. prairies CLC devenues cultures hors RPG dans l'OCS GE, sols "
               "artificiels répartis 80/20 d'un côté et mesurés de l'autre). Comparez deux "
               "dates du même produit pour des flux fiables.")
        warnings.warn(msg, MixedProductsWarning, stacklevel=2)
        ct.notes.append(msg)
    return ct


def product_of(lc: LandCover, nomenclature=None) -> str:
    """The land-cover product of ``lc`` as a user names it (CLC, OCS GE, OCS2D, OSO…)."""
    names = {"clc": "CLC", "eea": "CLC", "ocsge": "OCS GE", "ocs2d": "OCS2D", "oso": "OSO"}
    if lc.is_vector:
        return names.get(str(lc.vector.product), str(lc.vector.product))
    key = "clc" if nomenclature is None else str(nomenclature)
    return names.get(key, Path(key).name)


def grid_views(zones: gpd.GeoDataFrame, before: LandCover, after: LandCover) -> tuple[Path, Path]:
    """Two rasters on one grid for the change grid and the sealing hotspots: the rasters
    themselves, a vector layer drawn on the raster's grid, or both layers drawn at
    :data:`VECTOR_MAP_RESOLUTION_M` on the zones' window."""
    if not before.is_vector and not after.is_vector:
        return before.path, after.path
    if before.is_vector and after.is_vector:
        return raster_view(before, zones), raster_view(after, zones)
    raster = after if before.is_vector else before
    vector = before if before.is_vector else after
    from espass_geo.io.rasters import open_landcover

    src = open_landcover(raster.path)  # another CRS: its Lambert-93 warped grid
    try:
        like = (src.transform, src.width, src.height)
    finally:
        src.close()
    view = raster_view(vector, zones, like=like)
    return (view, raster.path) if before.is_vector else (raster.path, view)


def clc_area_table(zones: gpd.GeoDataFrame, lc: LandCover, *,
                   parcels: gpd.GeoDataFrame | None = None, engine: str = "hybrid",
                   max_nodata_share: float = MAX_NODATA_SHARE,
                   nomenclature: str | Path | None = "clc") -> AreaTable:
    """:func:`area_table` with the codes of a raster recoded to CLC codes (a vector layer's
    are recoded at reading)."""
    at = area_table(zones, lc, parcels=parcels, engine=engine,
                    max_nodata_share=max_nodata_share)
    if lc.is_vector:
        return at
    from espass_geo.reference.crosswalks import recode_areas

    return recode_areas(at, nomenclature, source=f"raster d'occupation du sol « {lc.label} »")
