"""End-to-end flow runs (edge module): territory + two land covers or a change table -> files."""

from __future__ import annotations

import json
import shutil
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import DEFAULT_GWP_N2O, HA_PER_M2, LAMBERT93, SIGN_CONVENTION_FR
from espass_geo.core.changes import ChangeTable, check_changes_within_zones
from espass_geo.core.density import IN_MEMORY_MAX_PX, bounded_gdal_cache
from espass_geo.core.flows import (
    ARTIFICIAL,
    compute_flows,
    forest_areas_from_land_use,
    land_use_transitions,
    sealing_summary,
    zan_view,
    zone_flow_totals,
)
from espass_geo.core.stocks import land_use_areas, split_artificial
from espass_geo.core.uncertainty import flow_interval
from espass_geo.errors import InputFileError
from espass_geo.io.area_tables import read_forest_areas
from espass_geo.io.blocks import open_staging
from espass_geo.io.change_rasters import opened_pair
from espass_geo.io.change_tables import change_table_from_csv
from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
from espass_geo.present.exports import write_csv
from espass_geo.reference import data
from espass_geo.reference.crosswalks import resolve as resolve_crosswalk
from espass_geo.reference.factors import land_use_classes
from espass_geo.runs.landcover import change_table as landcover_change_table
from espass_geo.runs.landcover import grid_views, resolve_landcover
from espass_geo.runs.stocks import (
    SYNTHETIC_NOTE_FR,
    add_interval_columns,
    is_synthetic,
    match_zones,
)
from espass_geo.territory.resolve import Territory, resolve_territory

HOTSPOT_CELL_M = 1000.0


class ChangeGrid:
    """Land-cover classes before and after (uint16, 0 outside the territory) on the territory's
    window of the land-cover grid, and the sealing hotspot grid computed from them.

    Up to :data:`~espass_geo.core.density.IN_MEMORY_MAX_PX` pixels the two grids are numpy
    arrays; above, they were written block by block to a two-band tiled GeoTIFF (``path``, in a
    temporary folder removed with the grid) and ``before`` / ``after`` read it whole only when
    asked."""

    def __init__(self, before: np.ndarray | None = None, after: np.ndarray | None = None,
                 transform: object = None, crs: object = None, dates: str = "",
                 hotspots: gpd.GeoDataFrame | None = None, *, path: Path | None = None,
                 shape: tuple[int, int] | None = None) -> None:
        self._before, self._after = before, after
        self.transform, self.crs, self.dates, self.hotspots = transform, crs, dates, hotspots
        self.path = Path(path) if path is not None else None
        self.shape = tuple(before.shape) if before is not None else tuple(shape)  # type: ignore[arg-type]

    @property
    def on_disk(self) -> bool:
        return self._before is None

    def _band(self, band: int) -> np.ndarray:
        import rasterio

        with rasterio.open(self.path) as src:
            return src.read(band)

    @property
    def before(self) -> np.ndarray:
        return self._band(1) if self._before is None else self._before

    @property
    def after(self) -> np.ndarray:
        return self._band(2) if self._after is None else self._after


@dataclass
class FlowsResult:
    territory: Territory
    zones: gpd.GeoDataFrame  # geometry + zone totals (flows, sealing, ZAN)
    changes: ChangeTable
    transitions: pd.DataFrame  # zone × from/to land use (ha over the period, ha/an)
    flows: pd.DataFrame  # tidy flow records
    zan: pd.DataFrame
    zan_trajectory: pd.DataFrame
    method: str
    rasters: tuple[Path, Path] | None = None
    #: sealing hotspots (ha artificialised per 1 km cell; raster input, None if no sealing)
    hotspots: gpd.GeoDataFrame | None = None
    #: class before / after on the territory's window (raster input), written as change.tif
    change_grid: ChangeGrid | None = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    #: the FactorSet the result was computed with (None: the shipped tables)
    factors: Any = None
    #: the nomenclature the rasters were recoded from (None: CLC codes), for the change grid
    crosswalk: Any = None
    #: the two land covers as rasters on one grid (vector layers drawn in pixels), for the
    #: change grid; None: ``rasters`` themselves
    grid_rasters: tuple[Path, Path] | None = None
    _landcovers: Any = None
    #: 90 % interval of the territory's net flow (tCO2e/an): (p05, p95), factor errors only
    #: (:func:`espass_geo.core.uncertainty.flow_interval`, errors shared across zones)
    total_interval: tuple[float, float] | None = None

    @property
    def net_flux_tCO2e_an(self) -> float:
        return float(self.flows["flux_tCO2e_an"].sum())


def check_forest_areas(fa: pd.DataFrame, zones: gpd.GeoDataFrame, path) -> pd.DataFrame:
    """Forest areas of the territory's zones: a zone missing is warned about (no forest growth
    counted there), a forest larger than its zone (+5 %, simplified embedded boundaries) is
    refused. Rows of zones outside the territory are left out (ALDO's file covers 37 EPCI)."""
    import warnings

    from espass_geo.errors import AreaTableError, EspassGeoWarning
    from espass_geo.present.fmt import fmt_area_ha

    ids = list(zones["zone_id"])
    given = set(fa["zone_id"])
    fa = fa[fa["zone_id"].isin(set(ids))]
    missing = [z for z in ids if z not in set(fa["zone_id"])]
    name = Path(str(path)).name
    if missing:
        epci = set(zones["epci"].dropna()) if "epci" in zones else set()
        hint = (" La table est par EPCI alors que les zones sont des communes : donnez une table "
                "par commune, ou un territoire d'EPCI (epci:SIREN)." if given & epci else "")
        warnings.warn(f"Surfaces forestières {name} : {len(missing)} zone(s) du territoire sans "
                      f"ligne ({', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}) : "
                      "aucune croissance forestière ni produit bois n'y est compté ; ajoutez "
                      "une ligne à 0 si elles n'ont pas de forêt." + hint, EspassGeoWarning,
                      stacklevel=3)
    area = zones.set_index("zone_id").geometry.area * HA_PER_M2
    tot = fa.groupby("zone_id")["area_ha"].sum()
    over = tot[tot > area.reindex(tot.index) * 1.05]
    if len(over):
        z = over.index[0]
        raise AreaTableError(
            f"table de surfaces forestières « {path} » : {fmt_area_ha(over.iloc[0])} de forêt "
            f"dans la zone {z}, plus que sa surface ({fmt_area_ha(area[z])}) ; vérifiez l'unité "
            "(hectares), les doublons et les codes de zone.")
    return fa


def _sealed_share(after_areas: pd.DataFrame) -> pd.Series:
    """Per zone: sealed / (sealed + grassed) after ALDO's split of the second-date areas."""
    lu = land_use_areas(after_areas, split=False)
    sp = split_artificial(lu)
    w = sp[sp["land_use"].isin(["artificial_sealed", "artificial_grassed"])].pivot_table(
        index="zone_id", columns="land_use", values="area_ha", aggfunc="sum", fill_value=0.0)
    if w.empty:
        return pd.Series(dtype=float)
    for c in ("artificial_sealed", "artificial_grassed"):
        if c not in w:
            w[c] = 0.0
    return w["artificial_sealed"] / (w["artificial_sealed"] + w["artificial_grassed"])


def compute_territory_flows(
    territory: Territory | str,
    *,
    landcover_before: str | Path | None = None,
    landcover_after: str | Path | None = None,
    years: tuple[int, int] = (2012, 2018),
    changes: str | Path | None = None,
    forest_areas: str | Path | pd.DataFrame | None = None,
    zpc: str | None = None,
    method: str = "aldo",
    gwp_n2o: float = DEFAULT_GWP_N2O,
    wood_products: str = "harvest",
    engine: str = "hybrid",
    max_nodata_share: float = 0.5,
    nomenclature: str | Path | None = "clc",
    code_field: str | None = None,
    forest: str | Path | gpd.GeoDataFrame | None = None,
) -> FlowsResult:
    """Carbon flows of a territory from two land covers (rasters or vector layers, mixed or
    not) or from a change table. ``forest`` (BD Forêt V2 polygons) gives the forest areas per
    composition for growth and wood products (instead of ``forest_areas``)."""
    rasters = landcover_before is not None or landcover_after is not None
    if rasters == (changes is not None) or (rasters and (landcover_before is None
                                                         or landcover_after is None)):
        raise InputFileError("donnez soit deux occupations du sol (--landcover-before "
                             "et --landcover-after), soit une table de changements (--changes).")
    if forest is not None and forest_areas is not None:
        raise InputFileError(f"donnez la BD Forêt (--forest « {forest} ») ou des surfaces "
                             f"forestières (--forest-areas « {forest_areas} »), pas les deux.")
    territory = resolve_territory(territory, zpc=zpc)  # a Territory keeps its zones, gets zpc
    notes = list(territory.notes)
    sealed_share = None
    if rasters:
        zones = territory.zones
        attrs = zones.drop(columns="geometry")
        lc_before = resolve_landcover(landcover_before, zones=zones, code_field=code_field,
                                      nomenclature=nomenclature)
        lc_after = resolve_landcover(landcover_after, zones=zones, code_field=code_field,
                                     nomenclature=nomenclature)
        crosswalk = None if lc_before.is_vector or lc_after.is_vector else resolve_crosswalk(
            nomenclature)
        ct = landcover_change_table(zones, lc_before, lc_after, years=years, engine=engine,
                                    max_nodata_share=max_nodata_share,
                                    nomenclature=nomenclature)  # issue #11: any form
        _, after = ct.margins()
        sealed_share = _sealed_share(after)
        if forest_areas is None and forest is None:
            fa = forest_areas_from_land_use(land_use_areas(after))
            notes.append("Croissance forestière et produits bois calculés sur les surfaces de "
                         "forêt de l'occupation du sol de la seconde date (ALDO utilise la BD "
                         "Forêt de l'IGN).")
        if is_synthetic(lc_before) or is_synthetic(lc_after):
            notes.append(SYNTHETIC_NOTE_FR)
    else:
        ct = change_table_from_csv(changes, years=years)
        zones, attrs, used = match_zones(territory, set(ct.table["zone_id"]), changes, notes)
        # every zone of the territory at the level matched, even those without a change row
        tz = territory.zones
        level = set(tz["zone_id"]) if set(used) & set(tz["zone_id"]) else \
            set(tz["epci"].dropna()) if "epci" in tz else set(used)
        zones, attrs, used = match_zones(territory, level, changes, notes)
        unchanged = sorted(set(used) - set(ct.table["zone_id"]))
        if unchanged:
            ct.notes.append(f"{len(unchanged)} zone(s) sans ligne dans {Path(changes).name} "
                            f"({', '.join(unchanged[:5])}{' …' if len(unchanged) > 5 else ''}) :"
                            " aucun changement d'occupation du sol compté (une table de "
                            "changements ne liste que les zones qui changent).")
        ct.table = ct.table[ct.table["zone_id"].isin(used)].reset_index(drop=True)
        area = zones.set_index("zone_id").geometry.area * HA_PER_M2
        check_changes_within_zones(ct.table, area, changes)
        if forest_areas is None and forest is None:
            fa = None
            notes.append("Pas de surfaces forestières fournies (--forest-areas) : ni croissance "
                         "forestière ni produits bois.")
    if forest is not None:
        from espass_geo.core.forest_refine import forest_areas_from_polygons
        from espass_geo.io.forest_layers import read_bdforet

        fgdf = forest if isinstance(forest, gpd.GeoDataFrame) else read_bdforet(
            forest, bbox=tuple(zones.total_bounds))
        fa = forest_areas_from_polygons(zones, fgdf)
        notes.append(f"Croissance forestière et produits bois calculés sur les surfaces de la BD "
                     f"Forêt « {_name(forest)} » par composition (feuillus, conifères, mixtes, "
                     "peupleraies), comme ALDO.")
    if forest_areas is not None:
        fa = forest_areas if isinstance(forest_areas, pd.DataFrame) else read_forest_areas(
            forest_areas)
        fa = check_forest_areas(fa, zones, forest_areas if not isinstance(
            forest_areas, pd.DataFrame) else "forest_areas")
    notes = list(dict.fromkeys([*notes, *territory.notes]))  # + notes added while matching
    notes += ct.notes
    population = None
    if wood_products == "consumption":
        from espass_geo.core.emissions import embedded_population
        from espass_geo.errors import InventoryError

        try:
            population = embedded_population(zones["zone_id"])
        except InventoryError:  # its remedy, --population, is an option of emissions only
            from espass_geo.reference import data

            com = data.communes_2018()
            ids = zones["zone_id"].astype(str)
            missing = ids[~ids.isin(set(com["insee"].astype(str))
                                    | set(com["epci"].astype(str)))].tolist()
            raise InventoryError(
                "--wood-products consumption : pas de population embarquée (communes et EPCI "
                "du Nord et du Pas-de-Calais, COG 2018) pour les zones "
                f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''} ; espass-geo flows "
                "ne lit pas de table de population : utilisez l'approche récolte "
                "(--wood-products harvest, par défaut) ou --wood-products none.") from None
        notes.append("Produits bois, approche consommation : population ALDO (COG 2018) × puits "
                     "national / population française (ordre de grandeur, à vérifier).")
    flows = compute_flows(ct.table, attrs, years=ct.years, forest_areas=fa, method=method,
                          gwp_n2o=gwp_n2o, wood_products=wood_products,
                          sealed_share=sealed_share, population=population,
                          zpc_override=territory.zpc_override)
    tr = land_use_transitions(ct.table, sealed_share=sealed_share)
    tr["area_ha_an"] = tr["area_ha"] / ct.years
    seal = sealing_summary(tr, ct.years)
    zan, traj = zan_view(seal)
    totals = zone_flow_totals(flows)
    zg = zones[["zone_id", "zone_name", "geometry"]].merge(totals, on="zone_id", how="left")
    zg = zg.merge(zan.drop(columns=["reference_source"]), on="zone_id", how="left")
    zg["area_ha"] = zg.geometry.area * HA_PER_M2
    num = zg.columns.difference(["zone_id", "zone_name", "geometry"])
    zg[num] = zg[num].fillna(0.0)
    zg["flux_tCO2e_ha_an"] = zg["flux_tCO2e_an"] / zg["area_ha"]
    # 90 % interval per zone and of the territory (factor errors, shared across zones)
    total_interval = add_interval_columns(zg, flow_interval(flows), "flux_tCO2e_an")
    bounds = ["flux_tCO2e_an_p05", "flux_tCO2e_an_p95"]
    zg[bounds] = zg[bounds].fillna(0.0)  # a zone without flow records: 0, no factor error
    result = FlowsResult(territory=territory, zones=gpd.GeoDataFrame(zg, crs=LAMBERT93),
                         changes=ct, transitions=tr, flows=flows, zan=zan, zan_trajectory=traj,
                         method=method, notes=notes,
                         rasters=(lc_before.path, lc_after.path) if rasters
                         else None, crosswalk=crosswalk if rasters else None,
                         total_interval=total_interval)
    if rasters:
        result.grid_rasters = grid_views(zones, lc_before, lc_after)
        result._landcovers = (lc_before, lc_after)  # keep vector views alive
        _add_change_grid(result)
    return result


def _name(value) -> str:
    return "(GeoDataFrame)" if isinstance(value, gpd.GeoDataFrame) else str(value)


def _add_change_grid(result: FlowsResult) -> None:
    """Compute the change grid and the sealing hotspots of a raster-based flow result."""
    assert result.rasters is not None
    grid = change_grid(*(result.grid_rasters or result.rasters), result.territory.zones,
                       crosswalk=result.crosswalk)
    hotspots = grid.hotspots
    hotspots["years"] = result.changes.years
    result.change_grid = grid
    result.hotspots = hotspots if len(hotspots) else None


def transition_matrix(transitions: pd.DataFrame) -> pd.DataFrame:
    """Territory matrix de × vers (French labels, ha/an), zeros not blanks, with totals."""
    labels = land_use_classes()["label_fr"]
    t = transitions.assign(de=transitions["from_land_use"].map(labels),
                           vers=transitions["to_land_use"].map(labels))
    m = t.pivot_table(index="de", columns="vers", values="area_ha_an", aggfunc="sum",
                      fill_value=0.0)
    m["Total"] = m.sum(axis=1)
    m.loc["Total"] = m.sum(axis=0)
    m.index.name = "de \\ vers (ha/an)"
    return m


def change_grid(before: Path, after: Path, zones: gpd.GeoDataFrame, *,
                cell_m: float = HOTSPOT_CELL_M, block_size: int = 2048,
                crosswalk: Any = None) -> ChangeGrid:
    """Classes before / after on the territory's window (0 outside the territory) and the
    sealing hotspot grid (ha artificialised per ``cell_m`` cell): in memory up to
    :data:`~espass_geo.core.density.IN_MEMORY_MAX_PX` pixels, else written block by block to a
    two-band tiled GeoTIFF (``ChangeGrid.path``) so that memory stays that of one block.

    With a ``crosswalk`` (rasters in another nomenclature) the classes are recoded to CLC codes
    first (no-data and unmapped codes → 0), so change.tif and the hotspots speak CLC.

    The window is snapped to the hotspot cells, which stay aligned on the grid's origin;
    blocks without any zone are neither read nor computed.
    """
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform
    from shapely.geometry import box

    from espass_geo.io.rasters import raster_window

    before, after = Path(before), Path(after)
    art_codes = np.array([int(c) for c, lu in zip(
        data.factor_table("clc_to_land_use")["code_clc"],
        data.factor_table("clc_to_land_use")["land_use"], strict=True) if lu in ARTIFICIAL])
    lut = None
    if crosswalk is not None:  # product code → CLC code (uint16 codes: a 65 536 lookup table)
        lut = np.zeros(65536, dtype="uint16")
        for code, clc in crosswalk.mapping.items():
            if 0 <= code < 65536:
                lut[code] = clc
    geom = zones.union_all()
    sindex = zones.sindex
    with opened_pair(before, after) as (s0, s1):  # another CRS: warped to Lambert-93
        px = abs(s0.transform.a)
        cell_px = max(1, int(round(cell_m / px)))
        window = raster_window(s0, zones.total_bounds)
        # snap the window outwards to whole hotspot cells of the full grid
        r0 = (int(window.row_off) // cell_px) * cell_px
        c0 = (int(window.col_off) // cell_px) * cell_px
        r1 = min(s0.height, int(window.row_off + window.height))
        c1 = min(s0.width, int(window.col_off + window.width))
        height, width = r1 - r0, c1 - c0
        grid_transform = window_transform(Window(c0, r0, width, height), s0.transform)
        sink, tmpdir = None, None
        if height * width > IN_MEMORY_MAX_PX:  # large: written block by block, never held
            import tempfile


            tmpdir = tempfile.mkdtemp(prefix="espass_geo-change-")
            sink = open_staging(Path(tmpdir) / "change.tif", width=width, height=height,
                                count=2, dtype="uint16", nodata=0, crs=s0.crs,
                                transform=grid_transform)
            _change_tags(sink, f"{before.name} -> {after.name}")
            grid_a = grid_b = None
        else:
            grid_a = np.zeros((height, width), dtype="uint16")
            grid_b = np.zeros((height, width), dtype="uint16")
        ncy, ncx = -(-height // cell_px), -(-width // cell_px)
        sealed = np.zeros((ncy, ncx), dtype=np.int64)
        step = max(cell_px, (block_size // cell_px) * cell_px)
        if sink is not None:  # whole 512 px tiles per write (hotspot cells use global indices)
            step = max(512, (block_size // 512) * 512)
        try:
            with bounded_gdal_cache():
                _change_blocks(s0, s1, before, after, sindex, geom, lut, art_codes, r0, c0,
                               height, width, step, cell_px, sealed, grid_a, grid_b, sink)
        except BaseException:
            if sink is not None:
                sink.close()
                shutil.rmtree(tmpdir, ignore_errors=True)
            raise
        if sink is not None:
            sink.close()
        t = s0.transform
        crs = s0.crs
    ys, xs = np.nonzero(sealed)
    gy, gx = ys + r0 // cell_px, xs + c0 // cell_px  # cell indices on the full grid
    cells = [box(t.c + x * cell_px * px, t.f - (y + 1) * cell_px * px,
                 t.c + (x + 1) * cell_px * px, t.f - y * cell_px * px) for y, x in zip(gy, gx,
                                                                                     strict=True)]
    hotspots = gpd.GeoDataFrame({"cell_id": [f"{y}_{x}" for y, x in zip(gy, gx, strict=True)],
                                 "sealed_ha": sealed[ys, xs] * px * px * HA_PER_M2},
                                geometry=cells, crs=LAMBERT93)
    dates = f"{before.name} -> {after.name}"
    if sink is not None:
        grid = ChangeGrid(transform=grid_transform, crs=crs, dates=dates, hotspots=hotspots,
                          path=Path(tmpdir) / "change.tif", shape=(height, width))
        weakref.finalize(grid, shutil.rmtree, tmpdir, True)
        return grid
    return ChangeGrid(before=grid_a, after=grid_b, transform=grid_transform, crs=crs,
                      dates=dates, hotspots=hotspots)


def _change_tags(dst, dates: str) -> None:
    dst.set_band_description(1, "Classe CLC avant")
    dst.set_band_description(2, "Classe CLC après")
    dst.update_tags(units="code CLC niveau 3", dates=dates)


def _change_blocks(s0, s1, before, after, sindex, geom, lut, art_codes, r0, c0, height,
                   width, step, cell_px, sealed, grid_a, grid_b, sink) -> None:
    """The block loop of :func:`change_grid` (arrays filled, or blocks written to ``sink``)."""
    from rasterio.features import geometry_mask
    from rasterio.windows import Window
    from rasterio.windows import bounds as window_bounds
    from rasterio.windows import transform as window_transform
    from shapely.geometry import box

    from espass_geo.io.rasters import raster_read_errors

    for row in range(0, height, step):
        for col in range(0, width, step):
            h, w = min(step, height - row), min(step, width - col)
            src_win = Window(c0 + col, r0 + row, w, h)
            if not len(sindex.query(box(*window_bounds(src_win, s0.transform)),
                                    predicate="intersects")):
                continue  # no zone: left as 0 (outside the territory)
            with raster_read_errors(before):
                a = s0.read(1, window=src_win).astype("uint16")
            with raster_read_errors(after):
                b = s1.read(1, window=src_win).astype("uint16")
            if lut is not None:
                a, b = lut[a], lut[b]
            inside = ~geometry_mask([geom], out_shape=a.shape,
                                    transform=window_transform(src_win, s0.transform))
            a = np.where(inside, a, 0).astype("uint16")
            b = np.where(inside, b, 0).astype("uint16")
            if sink is None:
                grid_a[row:row + h, col:col + w] = a
                grid_b[row:row + h, col:col + w] = b
            else:
                sink.write(np.stack([a, b]), window=Window(col, row, w, h))
            seal = inside & ~np.isin(a, art_codes) & np.isin(b, art_codes) & (a > 0)
            rr, cc = np.nonzero(seal)
            np.add.at(sealed, ((rr + row) // cell_px, (cc + col) // cell_px), 1)


def write_change_grid(grid: ChangeGrid, out_tif: Path) -> Path:
    """Write ``change.tif`` (band 1 = class before, band 2 = class after, 0 = outside) as a
    Cloud-Optimized GeoTIFF (256 px deflate tiles, overviews of the nearest class)."""
    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as copy_raster

    cog = {"driver": "COG", "compress": "DEFLATE", "predictor": "YES", "blocksize": 256,
           "overview_resampling": "NEAREST", "bigtiff": "IF_SAFER", "num_threads": "ALL_CPUS"}
    if grid.on_disk:  # streamed by GDAL from the tiled file, never loaded whole
        with bounded_gdal_cache():
            copy_raster(str(grid.path), out_tif, **cog)
        return Path(out_tif)
    height, width = grid.shape
    prof = {"driver": "GTiff", "width": width, "height": height, "count": 2,
            "dtype": "uint16", "nodata": 0, "crs": grid.crs, "transform": grid.transform,
            "tiled": True, "blockxsize": 256, "blockysize": 256, "bigtiff": "IF_SAFER"}
    with MemoryFile() as mem:  # an uncompressed GeoTIFF in memory, then copied as a COG
        with mem.open(**prof) as dst:
            _change_tags(dst, grid.dates)
            dst.write(grid.before, 1)
            dst.write(grid.after, 2)
        with mem.open() as src:
            copy_raster(src, out_tif, **cog)
    return Path(out_tif)


def write_change_rasters(before: Path, after: Path, zones: gpd.GeoDataFrame, out_tif: Path,
                         *, cell_m: float = HOTSPOT_CELL_M, block_size: int = 2048
                         ) -> gpd.GeoDataFrame:
    """Compute (:func:`change_grid`), write ``change.tif`` and return the hotspot grid."""
    grid = change_grid(before, after, zones, cell_m=cell_m, block_size=block_size)
    write_change_grid(grid, out_tif)
    return grid.hotspots


def _readme(result: FlowsResult, params: dict) -> str:
    ct = result.changes
    lines = [
        "espass_geo — flux de carbone",
        f"Version : {__version__}",
        f"Territoire : {result.territory.label} ({len(result.zones)} zones)",
        f"Période : {ct.date_from} → {ct.date_to} ({ct.years:g} ans) ; surfaces annualisées "
        "(ha/an = ha sur la période / nombre d'années).",
        f"Méthode (sol) : {result.method} ; litière, biomasse, N2O, forêt, produits bois : ALDO.",
        SIGN_CONVENTION_FR,
        "Unités : tCO2e/an (flux), tC/ha (flux unitaire par hectare converti), ha et ha/an.",
        "Transitions cinétiques (sol cultures/prairies/forêts/vergers/vignes) : taux annuel ALDO × "
        "20 ans imputé l'année de conversion ; instantanées (vers l'artificiel, vers/depuis les "
        "zones humides) : différence de stock l'année du changement.",
        "",
        "Fichiers :",
        "  flows.csv            enregistrements de flux (zone, cause, de, vers, réservoir, gaz, "
        "surface/an, flux unitaire, flux tCO2e/an, source)",
        "  flows_zones.csv      totaux par zone (flux net et son intervalle à 90 % "
        "flux_tCO2e_an_p05 / _p95, par cause, N2O, artificialisation, ZAN)",
        "  transitions.csv      changements zone × de × vers (ha sur la période et ha/an)",
        "  transitions_matrice.csv / transitions.xlsx  matrice du territoire (ha/an)",
        "  zan.csv, zan_trajectoire.csv  vue ZAN (consommation 2021-2031 ≤ ½ de 2011-2021)",
        "  flows.gpkg           couches « zones » et « points_chauds_artificialisation »",
        "  change.tif           classe avant (bande 1) et après (bande 2), si rasters fournis",
        "  carte_flux.html      carte web (dossier lib/ à publier avec)",
        "",
        "Avertissements :", *[f"  - {n}" for n in result.notes],
        "  - ZAN : la référence légale est la consommation d'espaces NAF 2011-2021 (fichiers "
        "fonciers, Cerema) ; à défaut elle est estimée ici par le rythme observé × 10 ans, et "
        "Corine Land Cover ignore les changements de moins de 5 ha.",
        "",
        "Paramètres : " + json.dumps(params, ensure_ascii=False, default=str),
    ]
    return "\n".join(lines) + "\n"


def write_flow_outputs(result: FlowsResult, out_dir: str | Path, *, params: dict | None = None,
                       title: str | None = None, make_map: bool = True,
                       overwrite: bool = False, inputs=()) -> dict[str, Path]:
    params = params or {}
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        files["flows.csv"] = write_csv(result.flows, tmp / "flows.csv")
        zt = pd.DataFrame(result.zones.drop(columns="geometry"))
        files["flows_zones.csv"] = write_csv(zt, tmp / "flows_zones.csv")
        tr = result.transitions
        files["transitions.csv"] = write_csv(tr, tmp / "transitions.csv")
        matrix = transition_matrix(tr)
        matrix.to_csv(tmp / "transitions_matrice.csv", encoding="utf-8", float_format="%.4f")
        files["transitions_matrice.csv"] = tmp / "transitions_matrice.csv"
        with pd.ExcelWriter(tmp / "transitions.xlsx", engine="openpyxl") as xw:
            matrix.to_excel(xw, sheet_name="Matrice (ha par an)")
            tr.to_excel(xw, sheet_name="Transitions (long)", index=False)
        files["transitions.xlsx"] = tmp / "transitions.xlsx"
        files["zan.csv"] = write_csv(result.zan, tmp / "zan.csv")
        files["zan_trajectoire.csv"] = write_csv(result.zan_trajectory, tmp / "zan_trajectoire.csv")
        write_gpkg_layer(result.zones, tmp / "flows.gpkg", "zones")
        if result.rasters is not None and result.change_grid is None:  # built by hand
            _add_change_grid(result)
        hotspots = result.hotspots
        if result.change_grid is not None:
            files["change.tif"] = write_change_grid(result.change_grid, tmp / "change.tif")
            if hotspots is not None and len(hotspots):
                write_gpkg_layer(hotspots, tmp / "flows.gpkg", "points_chauds_artificialisation")
        files["flows.gpkg"] = tmp / "flows.gpkg"
        if make_map:
            from espass_geo.present.maps import flows_map

            ct = result.changes
            flows_map(result.zones, title=title or f"Flux de carbone {ct.date_from}–{ct.date_to} "
                      f"— {result.territory.label}", hotspots=hotspots,
                      transitions=matrix.round(2), notes=result.notes,
                      html_path=tmp / "carte_flux.html")
            files["carte_flux.html"] = tmp / "carte_flux.html"
        (tmp / "LISEZ-MOI_flux.txt").write_text(_readme(result, params), encoding="utf-8")
    out_dir = Path(out_dir)
    result.files = {name: out_dir / p.name for name, p in files.items()}
    return result.files
