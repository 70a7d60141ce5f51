"""Forest composition from the BD Forêt: forest areas for growth, and land-cover refinement.

ALDO takes forest areas by composition (feuillus, conifères, mixtes, peupleraies) from the IGN
BD Forêt V2, not from Corine Land Cover (method.md §3). Given the BD Forêt polygons read by
:func:`espass_geo.io.forest_layers.read_bdforet` (``code_tfv, composition, code, geometry``):

* :func:`forest_areas_from_polygons` gives ``zone_id, composition, area_ha`` (exact overlay),
  the forest areas of the forest-growth and wood-product flows (like
  :func:`espass_geo.io.area_tables.read_forest_areas`);
* :func:`bdforet_pieces` cuts the polygons by the zones; the land-cover engine then measures
  which land-cover classes lie inside each piece (:func:`inside_from_raster` for a raster,
  :func:`inside_from_polygons` for a vector land cover);
* :func:`refine_forest_areas` moves the area of the forest land-cover codes (311, 312, 313,
  324, 903) lying inside BD Forêt polygons to the BD Forêt composition code (311, 312, 313,
  903): a poplar plantation mapped 311 by CLC becomes 903. Other land-cover codes are left
  alone (the BD Forêt does not override cropland or towns), and zone totals are unchanged.

Pure: GeoDataFrames and DataFrames in and out (:func:`inside_from_raster` reads an already
opened raster, like :mod:`espass_geo.core.areas`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2
from espass_geo.errors import AreaTableError, CRSMismatchError
from espass_geo.present.fmt import fmt_area_ha
from espass_geo.reference import data

#: Land-cover code of each BD Forêt composition (factors/crosswalk_bdforet_tfv.csv).
COMPOSITION_CODE = {"feuillus": "311", "coniferes": "312", "mixtes": "313", "peupleraies": "903"}
#: French names of the compositions in notes.
COMPOSITION_FR = {"feuillus": "feuillus", "coniferes": "conifères", "mixtes": "forêts mixtes",
                  "peupleraies": "peupleraies"}
PIECE_COLUMNS = ["piece_id", "zone_id", "code", "geometry"]
INSIDE_COLUMNS = ["zone_id", "code", "area_ha", "bdforet_code"]
#: Relative tolerance of the closure check (zone totals before and after refinement).
CLOSURE_RTOL = 1e-9


def forest_codes() -> dict[str, str]:
    """Forest land-cover codes (str) -> ALDO composition, from the active factor tables:
    the codes of ``clc_to_land_use`` whose land use has a ``forest_composition``
    (311, 312, 313, 324 and 903 in the shipped tables)."""
    lu = data.factor_table("land_use_classes").set_index("land_use")["forest_composition"]
    lu = lu[lu.notna() & (lu.astype(str).str.strip() != "")].astype(str)
    clc = data.factor_table("clc_to_land_use")
    m = clc.set_index(clc["code_clc"].astype(str))["land_use"]
    return {code: lu[use] for code, use in m.items() if use in lu.index}


def _check_crs(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is None or gdf.crs.to_epsg() != 2154:
        raise CRSMismatchError(f"{what} en {gdf.crs}, pas en EPSG:2154 ; reprojetez-les "
                               "(`.to_crs(2154)`, read_bdforet le fait).")


def _overlay(zones: gpd.GeoDataFrame, forest: gpd.GeoDataFrame, cols: list[str]
             ) -> gpd.GeoDataFrame:
    _check_crs(zones, "les zones sont")
    _check_crs(forest, "les polygones BD Forêt sont")
    missing = [c for c in cols if c not in forest.columns]
    if missing or "zone_id" not in zones.columns:
        raise AreaTableError(
            "polygones BD Forêt sans colonne(s) " + ", ".join(missing or ["zone_id (zones)"])
            + " ; lisez la couche avec espass_geo.io.forest_layers.read_bdforet().")
    empty = gpd.GeoDataFrame({"zone_id": pd.Series(dtype=str),
                              **{c: pd.Series(dtype=str) for c in cols}},
                             geometry=gpd.GeoSeries([], crs=zones.crs), crs=zones.crs)
    if forest.empty or zones.empty:
        return empty
    z = zones[["zone_id", "geometry"]].copy()
    z["zone_id"] = z["zone_id"].astype(str)
    pieces = gpd.overlay(forest[cols + ["geometry"]], z, how="intersection",
                         keep_geom_type=True)
    pieces = pieces[pieces.geometry.area > 0]
    if pieces.empty:
        return empty
    return pieces[["zone_id"] + cols + ["geometry"]].reset_index(drop=True)


def bdforet_pieces(zones: gpd.GeoDataFrame, forest: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The BD Forêt polygons cut by the zones: ``piece_id, zone_id, code, geometry``.

    ``code`` is the BD Forêt composition code (str: 311, 312, 313, 903); ``piece_id`` numbers
    the pieces 0…n-1. Both layers in EPSG:2154 (:class:`CRSMismatchError` otherwise).
    """
    pieces = _overlay(zones, forest, ["code"])
    pieces["code"] = pieces["code"].astype(str)
    pieces.insert(0, "piece_id", np.arange(len(pieces)))
    return pieces[PIECE_COLUMNS]


def forest_areas_from_polygons(zones: gpd.GeoDataFrame, forest: gpd.GeoDataFrame
                               ) -> pd.DataFrame:
    """Forest areas ``zone_id, composition, area_ha`` of the BD Forêt polygons in each zone
    (exact overlay; zones × compositions with a positive area, sorted), the input of the forest
    growth flows (:func:`espass_geo.core.flows.forest_growth`)."""
    pieces = _overlay(zones, forest, ["composition"])
    pieces["area_ha"] = pieces.geometry.area * HA_PER_M2
    out = (pieces.groupby(["zone_id", "composition"], as_index=False)["area_ha"].sum())
    out = out[out["area_ha"] > 0].sort_values(["zone_id", "composition"])
    return pd.DataFrame(out[["zone_id", "composition", "area_ha"]]).reset_index(drop=True)


def _inside(raw: pd.DataFrame, pieces: gpd.GeoDataFrame) -> pd.DataFrame:
    raw = raw.merge(pieces[["piece_id", "zone_id", "code"]].rename(
        columns={"code": "bdforet_code"}), on="piece_id")
    raw["code"] = raw["code"].astype(str)
    raw["bdforet_code"] = raw["bdforet_code"].astype(str)
    out = raw.groupby(["zone_id", "code", "bdforet_code"], as_index=False)["area_ha"].sum()
    out = out[out["area_ha"] > 0]
    return pd.DataFrame(out[INSIDE_COLUMNS]).sort_values(
        ["zone_id", "code", "bdforet_code"]).reset_index(drop=True)


def _empty_inside() -> pd.DataFrame:
    return pd.DataFrame({"zone_id": pd.Series(dtype=str), "code": pd.Series(dtype=str),
                         "area_ha": pd.Series(dtype=float),
                         "bdforet_code": pd.Series(dtype=str)})


def inside_from_raster(src, pieces: gpd.GeoDataFrame) -> pd.DataFrame:
    """Land-cover areas inside the BD Forêt pieces, measured on a raster:
    ``zone_id, code, area_ha, bdforet_code`` (codes as str).

    ``src`` is the opened land-cover raster (rasterio dataset in EPSG:2154), best the zones'
    window the area table was computed on (``windowed_dataset`` in
    :func:`espass_geo.core.areas.area_table_from_raster`); ``pieces`` from
    :func:`bdforet_pieces`. Exact partial-pixel areas (exactextract), as for parcels.
    """
    from espass_geo.core.areas import _exact_class_areas

    if pieces.empty:
        return _empty_inside()
    raw, _ = _exact_class_areas(src, pieces[["piece_id", "geometry"]], "piece_id")
    if raw.empty:
        return _empty_inside()
    raw["code"] = raw["code"].astype(int)
    return _inside(raw, pieces)


def inside_from_polygons(landcover: gpd.GeoDataFrame, pieces: gpd.GeoDataFrame
                         ) -> pd.DataFrame:
    """Land-cover areas inside the BD Forêt pieces, for a vector land cover (``code``,
    ``geometry`` in EPSG:2154, e.g. OCS GE recoded): ``zone_id, code, area_ha, bdforet_code``
    by exact overlay."""
    if pieces.empty or landcover.empty:
        return _empty_inside()
    _check_crs(landcover, "l'occupation du sol vectorielle est")
    _check_crs(pieces, "les morceaux BD Forêt sont")
    from espass_geo.core.vector_areas import class_areas_vector  # the exact overlay engine

    lc = landcover[["code", "geometry"]].copy()
    lc["code"] = lc["code"].astype(str)
    raw = class_areas_vector(lc, pieces[["piece_id", "geometry"]], "piece_id")
    if raw.empty:
        return _empty_inside()
    return _inside(raw, pieces)


def refine_forest_areas(area_table: pd.DataFrame, inside: pd.DataFrame
                        ) -> tuple[pd.DataFrame, list[str]]:
    """Move the forest land cover lying inside BD Forêt polygons to the BD Forêt composition.

    Parameters
    ----------
    area_table
        ``zone_id, code, area_ha, area_source`` (:mod:`espass_geo.core.areas`).
    inside
        ``zone_id, code, area_ha, bdforet_code``: for each zone × land-cover code, the area
        lying inside BD Forêt polygons of each composition code (:func:`inside_from_raster`,
        :func:`inside_from_polygons`).

    For every forest land-cover code (:func:`forest_codes`: 311, 312, 313, 324, 903) the area
    inside BD Forêt polygons of another code leaves that code for the BD Forêt code (row
    ``area_source = "bdforet"``); the rows of the code, whatever their ``area_source``, shrink in
    proportion. Non-forest codes (cropland, grassland, towns…) do not change. When the inside
    area of a zone × code exceeds the table's (parcels replaced part of the land cover, or the
    centre engine), the move is capped at the table's area, in proportion, and a note says so.
    Zone totals are unchanged (checked). Returns the new table (same columns, sorted) and
    French notes (hectares moved per composition).
    """
    need = {"zone_id", "code", "area_ha", "area_source"}
    if not need <= set(area_table.columns):
        raise AreaTableError(f"table de surfaces sans colonne(s) {sorted(need - set(area_table.columns))} "
                             "; attendu zone_id, code, area_ha, area_source.")
    if not set(INSIDE_COLUMNS) <= set(inside.columns):
        raise AreaTableError(f"surfaces dans la BD Forêt sans colonne(s) "
                             f"{sorted(set(INSIDE_COLUMNS) - set(inside.columns))} ; attendu "
                             f"{', '.join(INSIDE_COLUMNS)}.")
    table = area_table.copy()
    table["zone_id"] = table["zone_id"].astype(str)
    table["code"] = table["code"].astype(str)
    table["area_ha"] = table["area_ha"].astype(float)
    before = table.groupby("zone_id")["area_ha"].sum()
    fc = forest_codes()
    ins = inside.copy()
    ins["zone_id"] = ins["zone_id"].astype(str)
    ins["code"] = ins["code"].astype(str)
    ins["bdforet_code"] = ins["bdforet_code"].astype(str)
    ins = ins[ins["code"].isin(fc.keys()) & (ins["area_ha"].astype(float) > 0)]
    ins = ins.groupby(["zone_id", "code", "bdforet_code"], as_index=False)["area_ha"].sum()
    if ins.empty:
        return area_table.copy(), ["BD Forêt : aucune forêt de l'occupation du sol dans les "
                                   "polygones BD Forêt ; surfaces inchangées."]
    key = ["zone_id", "code"]
    have = table[table["code"].isin(fc.keys())].groupby(key)["area_ha"].sum()
    want = ins.groupby(key)["area_ha"].sum()
    have = have.reindex(want.index, fill_value=0.0)
    scale = np.minimum(1.0, np.divide(have.to_numpy(), want.to_numpy(),
                                      out=np.zeros(len(want)), where=want.to_numpy() > 0))
    scale = pd.Series(scale, index=want.index)
    ins["moved"] = ins["area_ha"] * scale.reindex(pd.MultiIndex.from_frame(ins[key])).to_numpy()
    moves = ins[ins["code"] != ins["bdforet_code"]]
    out_of = moves.groupby(key)["moved"].sum()
    total_have = table.groupby(key)["area_ha"].sum()
    factor = (1.0 - out_of / total_have.reindex(out_of.index)).clip(lower=0.0)
    idx = pd.MultiIndex.from_frame(table[key])
    f = factor.reindex(idx).to_numpy()
    table["area_ha"] = np.where(np.isnan(f), table["area_ha"], table["area_ha"] * f)
    added = moves.groupby(["zone_id", "bdforet_code"], as_index=False)["moved"].sum().rename(
        columns={"bdforet_code": "code", "moved": "area_ha"})
    added["area_source"] = "bdforet"
    extra = [c for c in area_table.columns if c not in {"zone_id", "code", "area_ha",
                                                        "area_source"}]
    table = pd.concat([table, added], ignore_index=True)
    table = table.groupby(["zone_id", "code", "area_source"], as_index=False, sort=False).agg(
        {"area_ha": "sum", **{c: "first" for c in extra}})
    table = table[table["area_ha"] > 1e-9]
    table = table[list(area_table.columns)].sort_values(["zone_id", "code", "area_source"])
    table = table.reset_index(drop=True)
    after = table.groupby("zone_id")["area_ha"].sum().reindex(before.index, fill_value=0.0)
    gap = (after - before).abs()
    assert (gap <= CLOSURE_RTOL * before.abs() + 1e-9).all(), (
        f"refine_forest_areas: zone totals changed by up to {float(gap.max())} ha")
    return table, _notes(moves, scale)


def _notes(moves: pd.DataFrame, scale: pd.Series) -> list[str]:
    code_comp = {v: k for k, v in COMPOSITION_CODE.items()}
    moved = moves.groupby("bdforet_code")["moved"].sum()
    parts = [f"{fmt_area_ha(float(moved[c]), 1)} en {COMPOSITION_FR[code_comp[c]]}"
             for c in sorted(moved.index, key=lambda c: -float(moved[c]))
             if c in code_comp and moved[c] > 0]
    parts += [f"{fmt_area_ha(float(moved[c]), 1)} en code {c}"
              for c in moved.index if c not in code_comp and moved[c] > 0]
    notes = []
    if parts:
        total = float(moved.sum())
        notes.append(f"BD Forêt : {fmt_area_ha(total, 1)} de forêt reclassés selon la composition "
                     f"de la BD Forêt ({', '.join(parts)}) ; seule la forêt de l'occupation du sol "
                     "située dans les polygones BD Forêt change de classe, les autres occupations "
                     "(cultures, prairies, sols artificiels…) restent inchangées.")
    else:
        notes.append("BD Forêt : la forêt de l'occupation du sol a déjà la composition de la BD "
                     "Forêt ; surfaces inchangées.")
    capped = scale[scale < 1.0 - 1e-6]
    if len(capped):
        zones = sorted(set(capped.index.get_level_values("zone_id")))
        notes.append(f"BD Forêt : dans {len(zones)} zone(s) ({', '.join(zones[:10])}"
                     f"{' …' if len(zones) > 10 else ''}), la forêt mesurée dans les polygones "
                     "BD Forêt dépasse celle de la table de surfaces (parcelles déclarées, moteur "
                     "« center ») ; le reclassement est limité à la surface de la table.")
    return notes
