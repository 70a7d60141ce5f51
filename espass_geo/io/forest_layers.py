"""Reading IGN's forest and hedge layers: BD Forêt V2 polygons and BD Haie lines.

* :func:`read_bdforet` reads the polygons of the BD Forêt V2 (field ``CODE_TFV``) and gives each
  its ALDO forest composition (``feuillus``, ``coniferes``, ``mixtes``, ``peupleraies``) and
  land-cover code (311, 312, 313, 903) from ``factors/crosswalk_bdforet_tfv.csv``; formations
  that are not forest (landes, formations herbacées, stands without tree cover) are dropped.
* :func:`read_hedge_lines` measures the hedge lines of the BD Haie inside each zone (exact
  intersection lengths) and checks the density like a hedge table
  (:func:`espass_geo.io.tables.read_hedges`); :func:`read_hedges_any` reads either.

Both read a file, ``file.gpkg:layer``, or a list of them (one file per département), only the
features that meet ``bbox`` (Lambert-93), and return Lambert-93 data; a layer in another CRS is
reprojected and the returned frame says so in ``.attrs["notes"]`` (French sentences).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2, LAMBERT93
from espass_geo.errors import (
    CRSMismatchError,
    EmptyTerritoryError,
    EspassGeoWarning,
    FactorError,
    InputFileError,
    InvalidGeometryWarning,
    MissingCRSError,
    UnknownLandCoverClassError,
)
from espass_geo.io.tables import (
    HEDGE_MAX_KM_PER_HA,
    HEDGE_WARN_KM_PER_HA,
    TableWarning,
    read_hedges,
)
from espass_geo.io.vectors import (
    VECTOR_SUFFIXES,
    _gdal_detail,
    exists,
    overlap_notice,
    polygonal_part,
    repair_geometries,
    split_layer,
)
from espass_geo.present.fmt import fmt_area_ha, fmt_quantity
from espass_geo.reference import data

log = logging.getLogger(__name__)

#: The crosswalk CODE_TFV -> composition, code (factors/crosswalk_bdforet_tfv.csv).
CROSSWALK = "crosswalk_bdforet_tfv"
#: ALDO forest compositions, in the order of the ALDO tables.
COMPOSITIONS = ("feuillus", "coniferes", "mixtes", "peupleraies")
#: Columns of :func:`read_bdforet`.
BDFORET_COLUMNS = ["code_tfv", "composition", "code", "geometry"]
_LINEAR = {"LineString", "MultiLineString", "LinearRing"}

PathLike = str | Path


class ForestLayerWarning(EspassGeoWarning):
    """A BD Forêt or BD Haie layer is usable but something deserves the user's attention."""


# ----------------------------------------------------------------------------- crosswalk
def bdforet_crosswalk() -> pd.DataFrame:
    """The crosswalk ``code_tfv, libelle_fr, composition, code, …`` as text (empty code for the
    formations that are not forest). Read from the active factor set when it holds the table,
    else from the shipped ``factors/crosswalk_bdforet_tfv.csv``."""
    try:
        t = data.factor_table(CROSSWALK)
    except FactorError:  # not (yet) a table of the factor sets
        t = data.read_csv(data.data_path("factors", f"{CROSSWALK}.csv"), dtype=str)
    t = t.astype(object).where(t.notna(), "")
    return t.astype(str)


def map_tfv(codes: pd.Series, *, source: str) -> pd.DataFrame:
    """``composition`` and ``code`` of each CODE_TFV of ``codes`` (same index).

    A code is looked up as written (spaces around it and case ignored); a code absent from the
    table is covered by the longest prefix rule of the table (rows whose ``code_tfv`` ends with
    ``*``: ``FF1*`` feuillus, ``FF2*`` conifères, ``FF3*`` mixtes, ``LA*`` not forest). Codes
    covered by neither are refused with :class:`UnknownLandCoverClassError` listing them all.
    ``source`` names the layer in the message.
    """
    cw = bdforet_crosswalk()
    key = cw["code_tfv"].str.strip().str.upper()
    is_prefix = key.str.endswith("*")
    exact = dict(zip(key[~is_prefix], zip(cw.loc[~is_prefix, "composition"],
                                          cw.loc[~is_prefix, "code"], strict=True), strict=True))
    prefixes = sorted(((k[:-1], (c, v)) for k, c, v in zip(key[is_prefix], cw.loc[is_prefix,
                      "composition"], cw.loc[is_prefix, "code"], strict=True)),
                      key=lambda p: -len(p[0]))
    text = codes.astype(object).where(codes.notna(), "").astype(str).str.strip().str.upper()
    lookup: dict[str, tuple[str, str]] = {}
    unknown: list[str] = []
    for c in text.unique():
        if c in exact:
            lookup[c] = exact[c]
            continue
        hit = next((m for p, m in prefixes if p and c.startswith(p)), None)
        if hit is None:
            unknown.append(c)
        else:
            lookup[c] = hit
    if unknown:
        counts = text.value_counts()
        shown = ", ".join(f"{c or '(vide)'} ({int(counts[c])} polygone(s))"
                          for c in sorted(unknown)[:20])
        more = f" … et {len(unknown) - 20} autre(s)" if len(unknown) > 20 else ""
        raise UnknownLandCoverClassError(
            f"{source} : {len(unknown)} code(s) CODE_TFV inconnu(s) : {shown}{more}. Ce ne sont "
            "pas des postes de la nomenclature nationale de la BD Forêt V2 (32 postes, "
            f"factors/{CROSSWALK}.csv ; un code FF1…, FF2…, FF3… ou LA… est reconnu par son "
            "préfixe). Une BD Forêt V1 (nomenclature départementale) ne peut pas être lue : "
            "donnez la BD Forêt V2 de l'IGN, complétez les codes vides, ou ajoutez ces codes "
            f"à factors/{CROSSWALK}.csv (colonnes code_tfv, composition, code).",
            sorted(unknown))
    out = pd.DataFrame({"composition": text.map(lambda c: lookup[c][0]),
                        "code": text.map(lambda c: lookup[c][1])}, index=codes.index)
    return out


# ----------------------------------------------------------------------------- reading
def _paths(path: PathLike | Sequence[PathLike]) -> list[PathLike]:
    if isinstance(path, str | Path):
        return [path]
    paths = list(path)
    if not paths:
        raise InputFileError("aucun fichier donné : donnez au moins un chemin de couche.")
    return paths


def _read_one(spec: PathLike, what: str, bbox) -> tuple[gpd.GeoDataFrame, list[str]]:
    """One layer read (only what meets ``bbox``, Lambert-93), checked, in Lambert-93."""
    import pyogrio

    path, layer = split_layer(spec)
    label = f"{what} « {path} »"
    if not exists(path):
        hint = f" (couche « {layer} » demandée après « : »)" if layer is not None else ""
        raise InputFileError(f"{label} introuvable{hint} : vérifiez le chemin.")
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise InputFileError(f"{label} est un dossier : donnez le fichier de la couche (.shp, "
                             ".gpkg), pas le dossier qui le contient.")
    if path.suffix.lower() == ".shp":
        missing = [path.with_suffix(s).name for s in (".shx", ".dbf")
                   if not path.with_suffix(s).exists() and not path.with_suffix(s.upper()).exists()]
        if missing:
            raise InputFileError(
                f"{label} : shapefile incomplet, il manque {', '.join(missing)} à côté du .shp ; "
                "copiez tous les fichiers du shapefile (.shp, .shx, .dbf, .prj) ou donnez un "
                "GeoPackage.")
    from espass_geo.io.vectors import refuse_linked_crs

    refuse_linked_crs(path, label)
    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        raise InputFileError(
            f"{label} illisible : ce n'est pas une couche vectorielle (GeoPackage, shapefile, "
            f"GeoJSON) ; donnez la couche telle que l'IGN la livre. Détail GDAL : "
            f"{_gdal_detail(exc)}") from None
    if not layers:
        raise InputFileError(f"{label} ne contient aucune couche ; donnez la couche de l'IGN.")
    if layer is not None and layer not in layers:
        raise InputFileError(f"{label} : couche « {layer} » absente (couches : "
                             f"{', '.join(layers)}) ; écrivez {path}:{layers[0]} par exemple.")
    if layer is None and len(layers) > 1:
        raise InputFileError(
            f"{label} contient {len(layers)} couches ({', '.join(layers[:10])}) : choisissez-en "
            f"une en écrivant {path}:{layers[0]} (fichier:couche).")
    name = layer or layers[0]
    try:
        info = pyogrio.read_info(path, layer=name)
    except Exception as exc:
        raise InputFileError(f"{label} illisible. Détail GDAL : {_gdal_detail(exc)}") from None
    if info.get("crs") is None:
        prj = (f" (le fichier {path.with_suffix('.prj').name} manque à côté du .shp)"
               if path.suffix.lower() == ".shp" and not path.with_suffix(".prj").exists() else "")
        raise MissingCRSError(
            f"{label} sans système de coordonnées{prj} : définissez-le (ex. `ogr2ogr -a_srs "
            "EPSG:2154 sortie.gpkg entree.shp` si les coordonnées sont en Lambert-93, ce que "
            "livre l'IGN) puis relancez.")
    mask = None
    if bbox is not None:
        from shapely.geometry import box

        mask = gpd.GeoSeries([box(*[float(b) for b in bbox])], crs=LAMBERT93)
    try:
        gdf = gpd.read_file(path, layer=name, engine="pyogrio", bbox=mask)
    except Exception as exc:
        raise InputFileError(f"{label} illisible. Détail GDAL : {_gdal_detail(exc)}") from None
    notes: list[str] = []
    nogeom = gdf.geometry.isna() | gdf.geometry.is_empty
    if nogeom.any():
        warnings.warn(f"{int(nogeom.sum())} entité(s) sans géométrie ignorée(s) dans {label}.",
                      InvalidGeometryWarning, stacklevel=4)
        gdf = gdf[~nogeom]
    if len(gdf) and gdf.crs.is_geographic:
        minx, miny, maxx, maxy = gdf.total_bounds
        if min(minx, miny) < -180 or maxx > 180 or maxy > 90:
            raise MissingCRSError(
                f"{label} : coordonnées ({minx:.0f}, {miny:.0f}) impossibles en degrés "
                f"({gdf.crs.name}) ; elles semblent projetées (Lambert-93 ?) : déclarez le bon "
                "système (`ogr2ogr -a_srs EPSG:2154 …`) puis relancez.")
    if gdf.crs.to_epsg() != 2154:
        try:
            old = gdf.crs
            gdf = gdf.to_crs(LAMBERT93)
        except Exception as exc:  # pyproj CRSError / ProjError flavours
            raise MissingCRSError(
                f"{label} : son système de coordonnées ({gdf.crs.name}) ne se convertit pas en "
                f"Lambert-93 ({str(exc)[:120]}) ; reprojetez-le (`ogr2ogr -t_srs EPSG:2154 "
                "sortie.gpkg entree`) puis relancez.") from None
        epsg = old.to_epsg()
        notes.append(f"{label} : couche en {old.name}" + (f" (EPSG:{epsg})" if epsg else "")
                     + ", reprojetée en Lambert-93 (EPSG:2154) pour les calculs.")
        log.info("reprojecting %s from %s to EPSG:2154", path, old)
    if len(gdf) and not np.isfinite(gdf.total_bounds).all():
        raise InputFileError(f"{label} : coordonnées non finies (inf, NaN) après conversion en "
                             "Lambert-93 ; vérifiez le système de coordonnées déclaré.")
    gdf = gdf.set_crs(LAMBERT93, allow_override=True)
    return gdf, notes


def _read_layers(path, what: str, bbox) -> tuple[list[tuple[str, gpd.GeoDataFrame]], list[str]]:
    parts, notes = [], []
    for p in _paths(path):
        gdf, n = _read_one(p, what, bbox)
        parts.append((str(split_layer(p)[0]), gdf))
        notes += n
    return parts, notes


# ----------------------------------------------------------------------------- BD Forêt
def read_bdforet(path: PathLike | Sequence[PathLike], *, bbox=None) -> gpd.GeoDataFrame:
    """Forest polygons of the BD Forêt V2: ``code_tfv, composition, code, geometry``.

    Parameters
    ----------
    path
        The BD Forêt V2 layer (``FORMATION_VEGETALE`` shapefile or GeoPackage; ``file:layer``
        selects a layer), or a list of them (one file per département: they are put together).
    bbox
        ``(minx, miny, maxx, maxy)`` in Lambert-93: only the polygons that meet it are read
        (give the territory's ``zones.total_bounds``; a département file is large).

    The field ``CODE_TFV`` (any case) is mapped with ``factors/crosswalk_bdforet_tfv.csv``:
    ``composition`` is ``feuillus``, ``coniferes``, ``mixtes`` or ``peupleraies``, ``code`` the
    land-cover code (str) ``311``, ``312``, ``313`` or ``903``. Polygons of formations that are
    not forest (``LA4`` lande, ``LA6`` formation herbacée, ``FF0``/``FO0`` without tree cover)
    are dropped, and a note says how much. Unknown codes are refused, listed
    (:func:`map_tfv`). The layer must have a CRS (else :class:`MissingCRSError`) and polygons
    only; invalid geometries are repaired (warning). ``.attrs["notes"]`` holds French notes
    (reprojection, polygons dropped, overlaps).
    """
    parts, notes = _read_layers(path, "couche BD Forêt", bbox)
    frames = []
    for label, gdf in parts:
        what = f"couche BD Forêt « {label} »"
        fields = {str(c).upper(): c for c in gdf.columns if c != gdf.geometry.name}
        if "CODE_TFV" not in fields:
            raise InputFileError(
                f"{what} sans champ CODE_TFV ; champs présents : "
                f"{', '.join(map(str, list(fields.values())[:20])) or '(aucun)'}. Donnez la "
                "couche des formations végétales de la BD Forêt V2 de l'IGN (champ CODE_TFV, "
                "type de formation végétale).")
        if len(gdf):
            poly = gdf.geometry.map(polygonal_part)
            bad = poly.isna()
            if bad.any():
                types = sorted(set(gdf.geometry[bad].geom_type))
                raise InputFileError(
                    f"{what} : {int(bad.sum())} entité(s) sur {len(gdf)} ne sont pas des "
                    f"polygones ({', '.join(types)}) ; la BD Forêt décrit des surfaces : donnez "
                    "la couche de polygones des formations végétales.")
            gdf = gdf.set_geometry(gpd.GeoSeries(poly.values, index=gdf.index, crs=LAMBERT93))
            gdf = repair_geometries(gdf, label)
            gdf = gdf.set_geometry(gpd.GeoSeries(gdf.geometry.map(polygonal_part).values,
                                                 index=gdf.index, crs=LAMBERT93))
            gdf = gdf[gdf.geometry.notna()]
        mapped = map_tfv(gdf[fields["CODE_TFV"]], source=what)
        out = gpd.GeoDataFrame({
            "code_tfv": gdf[fields["CODE_TFV"]].astype(object).where(
                gdf[fields["CODE_TFV"]].notna(), "").astype(str).str.strip().str.upper().values,
            "composition": mapped["composition"].values, "code": mapped["code"].values},
            geometry=gdf.geometry.values, crs=LAMBERT93)
        dropped = out["composition"] == "none"
        if dropped.any():
            kinds = ", ".join(sorted(set(out.loc[dropped, "code_tfv"])))
            notes.append(f"{what} : {int(dropped.sum())} polygone(s) hors forêt ({kinds} : landes, "
                         "formations herbacées, peuplements sans couvert arboré) écarté(s), "
                         f"{fmt_area_ha(float(out.geometry[dropped].area.sum()) * HA_PER_M2, 1)} ; "
                         "l'occupation du sol y garde sa propre classe.")
        frames.append(out[~dropped])
    forest = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                              crs=LAMBERT93) if frames else _empty_forest()
    forest = forest[BDFORET_COLUMNS].reset_index(drop=True)
    if forest.empty:
        where = " dans l'emprise du territoire" if bbox is not None else ""
        msg = (f"couche BD Forêt {', '.join(label for label, _ in parts)} : aucun polygone de "
               f"forêt{where} ; vérifiez le département de la couche (la BD Forêt est livrée "
               "par département). Aucune surface n'est reclassée.")
        warnings.warn(msg, ForestLayerWarning, stacklevel=2)
        notes.append(msg)
    else:
        msg = overlap_notice(forest, "Des polygones de la BD Forêt",
                             "cette surface est comptée deux fois (donnez chaque département "
                             "une seule fois)", stacklevel=3)
        if msg:
            notes.append(msg)
    forest.attrs["notes"] = notes
    return forest


def _empty_forest() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code_tfv": pd.Series(dtype=str), "composition": pd.Series(dtype=str),
                             "code": pd.Series(dtype=str)},
                            geometry=gpd.GeoSeries([], crs=LAMBERT93), crs=LAMBERT93)


# ----------------------------------------------------------------------------- BD Haie
def _linear_part(geom):
    """The lines of a geometry (GeometryCollection included), or None."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in _LINEAR:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in _LINEAR and not g.is_empty]
    return shapely.union_all(parts) if parts else None


def _check_zones(zones: gpd.GeoDataFrame) -> None:
    if zones.empty:
        raise EmptyTerritoryError("aucune zone où mesurer les haies : la sélection du territoire "
                                  "est vide ; vérifiez --territory.")
    if zones.crs is None or zones.crs.to_epsg() != 2154:
        raise CRSMismatchError(f"les zones sont en {zones.crs}, pas en EPSG:2154 ; reprojetez-les "
                               "(`zones.to_crs(2154)`).")
    if "zone_id" not in zones.columns:
        raise InputFileError("les zones n'ont pas de colonne zone_id ; donnez les zones du "
                             "territoire (resolve_territory).")


def read_hedge_lines(path: PathLike | Sequence[PathLike], zones: gpd.GeoDataFrame
                     ) -> pd.DataFrame:
    """Hedge lengths ``zone_id, length_km`` measured on the BD Haie lines inside each zone.

    ``path``: the linear layer of the BD Haie (or a list of layers, one per département);
    ``zones``: GeoDataFrame in EPSG:2154 with ``zone_id``. Only lines meeting the zones' extent
    are read; each line is cut exactly by each zone (shapely intersection) and its length inside
    summed (a line crossing two zones is split between them). Every zone has a row (0 km where
    no hedge). A polygon layer is refused (« donnez la couche linéaire »). The density is checked
    as for a hedge table: above :data:`~espass_geo.io.tables.HEDGE_WARN_KM_PER_HA` (100 m/ha of
    zone) a warning, above :data:`~espass_geo.io.tables.HEDGE_MAX_KM_PER_HA` (200 m/ha) an
    :class:`InputFileError`. ``.attrs["notes"]``: reprojection and the total length kept.
    Lines on a boundary shared by two zones count in both (rare: BD Haie lines are not drawn on
    commune boundaries).
    """
    import shapely

    _check_zones(zones)
    parts, notes = _read_layers(path, "couche BD Haie", tuple(zones.total_bounds))
    geoms = []
    for label, gdf in parts:
        if not len(gdf):
            continue
        lines = gdf.geometry.map(_linear_part)
        bad = lines.isna()
        if bad.any():
            types = sorted(set(gdf.geometry[bad].geom_type))
            raise InputFileError(
                f"BD Haie : donnez la couche linéaire. La couche « {label} » a "
                f"{int(bad.sum())} entité(s) sur {len(gdf)} qui ne sont pas des lignes "
                f"({', '.join(types)}) ; la longueur de haie se mesure sur les lignes de la BD "
                "Haie (couche des haies linéaires), pas sur des surfaces ou des points.")
        geoms.append(lines.to_numpy())
    line_geoms = np.concatenate(geoms) if geoms else np.array([], dtype=object)
    zone_geoms = zones.geometry.to_numpy()
    km = np.zeros(len(zones))
    if len(line_geoms):
        tree = shapely.STRtree(line_geoms)
        zi, li = tree.query(zone_geoms, predicate="intersects")
        if len(zi):
            inter = shapely.intersection(line_geoms[li], zone_geoms[zi])
            km = np.bincount(zi, weights=shapely.length(inter), minlength=len(zones)) / 1000.0
    zone_ids = zones["zone_id"].astype(str).to_numpy()
    out = pd.DataFrame({"zone_id": zone_ids, "length_km": km})
    area_ha = zones.geometry.area.to_numpy() * HA_PER_M2
    dens = np.divide(km, area_ha, out=np.zeros_like(km), where=area_ha > 0)
    label = ", ".join(f"« {lab} »" for lab, _ in parts)
    over = np.flatnonzero(dens > HEDGE_MAX_KM_PER_HA)
    if len(over):
        rows = "; ".join(f"zone {zone_ids[i]} : {fmt_quantity(km[i], 'km')} pour "
                         f"{fmt_area_ha(area_ha[i], 0)}, soit {fmt_quantity(dens[i] * 1000, 'm/ha', 0)}"
                         for i in over[:8])
        raise InputFileError(
            f"couche BD Haie {label} : {len(over)} zone(s) au-delà de "
            f"{HEDGE_MAX_KM_PER_HA * 1000:.0f} m de haie par hectare de zone — {rows}. Ce n'est "
            "pas plausible (deux fois le bocage dense de la pratique ALDO, 100 m/ha de prairie) : "
            "vérifiez que la couche est bien celle des haies linéaires (pas un autre réseau : "
            "routes, cours d'eau, limites) et que les zones sont les bonnes.")
    for i in np.flatnonzero(dens > HEDGE_WARN_KM_PER_HA):
        warnings.warn(f"couche BD Haie {label} : {dens[i] * 1000:.0f} m de haie par hectare dans "
                      f"la zone {zone_ids[i]}, plus que le bocage dense de la pratique ALDO "
                      "(100 m/ha de prairie) : vérifiez la couche.", TableWarning, stacklevel=2)
    notes.append(f"couche BD Haie {label} : {fmt_quantity(float(km.sum()), 'km')} de haies "
                 f"mesurés dans les {len(zones)} zone(s) du territoire (longueur des lignes "
                 "coupées aux limites de chaque zone).")
    out.attrs["notes"] = notes
    return out


def read_hedges_any(path: PathLike | Sequence[PathLike], zones: gpd.GeoDataFrame
                    ) -> pd.DataFrame:
    """Hedge lengths ``zone_id, length_km`` from a CSV table (:func:`read_hedges`) or from the
    BD Haie linear layer (:func:`read_hedge_lines`), chosen by the file's extension."""
    paths = _paths(path)
    kinds = set()
    for p in paths:
        file, layer = split_layer(p)
        suffix = file.suffix.lower()
        if layer is None and suffix in {".csv", ".txt", ".tsv"}:
            kinds.add("csv")
        elif suffix in VECTOR_SUFFIXES or layer is not None:
            kinds.add("vector")
        else:
            raise InputFileError(
                f"fichier de haies « {file} » : format non reconnu ({suffix or 'sans extension'})"
                " ; donnez une table CSV (colonnes zone_id, length_km) ou la couche linéaire de "
                "la BD Haie (GeoPackage, shapefile).")
    if kinds == {"csv"}:
        if len(paths) > 1:
            raise InputFileError("tables de haies : donnez une seule table CSV (zone_id, "
                                 "length_km) pour tout le territoire.")
        return read_hedges(paths[0], zones)
    if kinds == {"vector"}:
        return read_hedge_lines(path, zones)
    raise InputFileError("haies : ne mêlez pas une table CSV et des couches BD Haie ; donnez "
                         "l'une ou les autres.")
