"""Typed public API: one call per computation, results complete in memory, ``write`` sinks.

A notebook user calls :func:`stocks`, :func:`flows`, :func:`scenarios`, :func:`emissions` or
:func:`bilan`, inspects the returned result (tables, zones, the stock-density grid, the sealing
hotspots, notes), and calls :func:`write` to publish it; nothing is written before ``write``.

Inputs
------
* territory: a specification string (``"epci:245900428"``, ``"59183,59350"``, ``"dep:59"``,
  a vector file path), a :class:`geopandas.GeoDataFrame` in any CRS (reprojected to Lambert-93,
  with a note), or a resolved :class:`~espass_geo.territory.resolve.Territory`;
* land cover: a GeoTIFF path, an open ``rasterio`` dataset or an ``xarray.DataArray`` with a CRS
  (rioxarray). Non-path rasters, and rasters in another CRS, are written to a temporary tiled
  GeoTIFF in Lambert-93 (nearest neighbour: the classes are categories), removed after the
  run, so that the exact engines apply unchanged. Or a vector layer (GeoPackage, shapefile…
  path, or a GeoDataFrame with a CRS): CLC, OCS GE and OCS2D are recognised (``code_field``
  names the code field(s) otherwise), areas by exact polygon overlay;
* parcels: a path or a GeoDataFrame.

Identifiers and docstrings are English; every message a user reads (notes, errors) is French.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo import spec
from espass_geo.core.areas import MAX_NODATA_SHARE
from espass_geo.errors import ConfigError, EspassGeoError, InputFileError, MissingCRSError
from espass_geo.io.bilan_config import BilanConfig, load_bilan_config
from espass_geo.io.manifest import read_manifest
from espass_geo.io.scenario_config import ScenarioConfig, load_scenario_config
from espass_geo.io.scheduler import use_scheduler
from espass_geo.reference.factor_set import FactorSet, load_factor_set, use_factors
from espass_geo.reference.factors import canonical_method
from espass_geo.runs.aldo_epci import ReconciliationResult, write_reconciliation_outputs
from espass_geo.runs.bilan import BilanResult, compute_bilan, write_bilan_outputs
from espass_geo.runs.demo import DemoResult, compute_demo, write_demo_outputs
from espass_geo.runs.emissions import (
    EmissionsResult,
    compute_territory_emissions,
    write_emission_outputs,
)
from espass_geo.runs.flow_series import FlowSeriesResult, write_flow_series_outputs
from espass_geo.runs.flows import FlowsResult, compute_territory_flows, write_flow_outputs
from espass_geo.runs.scenarios import ScenarioResult, build_scenarios, write_scenario_outputs
from espass_geo.runs.stocks import StocksResult, compute_territory_stocks, write_stock_outputs
from espass_geo.runs.zan import ZanResult, write_zan_outputs
from espass_geo.territory.resolve import Territory, resolve_territory

if TYPE_CHECKING:  # pragma: no cover - typing only
    import rasterio.io
    import xarray

Method: TypeAlias = Literal["aldo", "ipcc", "aldo-epci", "aldo-commune"]
Engine: TypeAlias = Literal["exact", "center", "hybrid"]
WoodProducts: TypeAlias = Literal["harvest", "consumption", "none"]
PathLike: TypeAlias = "str | Path"
TerritoryInput: TypeAlias = "str | Path | gpd.GeoDataFrame | Territory"
RasterInput: TypeAlias = ("str | Path | rasterio.io.DatasetReader | xarray.DataArray"
                          " | gpd.GeoDataFrame")
VectorInput: TypeAlias = "str | Path | gpd.GeoDataFrame"
FactorsInput: TypeAlias = "FactorSet | str | Path | None"
Result: TypeAlias = ("StocksResult | FlowsResult | FlowSeriesResult | EmissionsResult"
                     " | ZanResult | ScenarioResult | BilanResult | DemoResult"
                     " | ReconciliationResult")

# choices and defaults: the one specification of the inputs (the Literal types above repeat the
# choices for type checkers; tests/test_spec.py checks that they agree)
_METHODS = spec.BY_NAME["method"].choices
_ENGINES = spec.BY_NAME["engine"].choices
_WOOD = spec.BY_NAME["wood_products"].choices
_D = spec.DEFAULTS


@dataclass(frozen=True)
class Manifest:
    """What :func:`write` wrote: the folder and each file (relative path -> size, SHA-256)."""

    out_dir: Path
    files: dict[str, dict[str, Any]]
    command: str = ""
    date: str = ""

    @property
    def paths(self) -> list[Path]:
        """Absolute paths of the files written, sorted."""
        return [self.out_dir / rel for rel in sorted(self.files)]

    def __contains__(self, rel: object) -> bool:
        return rel in self.files

    def __len__(self) -> int:
        return len(self.files)


# ------------------------------------------------------------------------ input adapters
class _Inputs:
    """Temporary files of one run and the French names that replace their paths in messages."""

    def __init__(self, stack: ExitStack) -> None:
        self._dir: Path | None = None
        self._stack = stack
        self.names: dict[str, str] = {}
        self.notes: list[str] = []

    def tmp(self, name: str) -> Path:
        if self._dir is None:
            self._dir = Path(self._stack.enter_context(
                tempfile.TemporaryDirectory(prefix="espass_geo-api-")))
        return self._dir / name

    def rename(self, text: str) -> str:
        for path, shown in self.names.items():
            text = text.replace(path, shown)
        return text


def _no_aldo_epci(method: str | None, command: str) -> None:
    """aldo-epci (ALDO's per-EPCI calculation) is a method of stocks and flows only."""
    if method == "aldo-epci":
        raise InputFileError(
            f"méthode « aldo-epci » : le calcul par EPCI d'ALDO ne donne que des stocks et des "
            f"flux (espass-geo stocks / flows --method aldo-epci), pas {command} ; utilisez "
            "method = \"aldo\" ici, et espass-geo aldo pour l'écart expliqué avec ALDO.")


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> None:
    if value not in choices:
        raise InputFileError(f"option {option} = « {value} » inconnue ; valeurs possibles : "
                             f"{', '.join(choices)}.")


def _label_stem(label: str) -> str:
    stem = re.sub(r"[^\w\-]+", "_", label).strip("_")
    return stem or "territoire"


def _territory_spec(territory: TerritoryInput, io: _Inputs, label: str | None) -> str:
    """A specification string for ``resolve_territory``; a GeoDataFrame goes to a GeoPackage."""
    if isinstance(territory, Territory):
        if territory.kind == "communes" and territory.spec:
            return territory.spec  # resolved again the same way (communes, EPCI)
        territory = territory.zones
    if isinstance(territory, gpd.GeoDataFrame):
        if territory.crs is None:
            raise MissingCRSError(
                "territoire (GeoDataFrame) sans système de coordonnées : définissez-le avec "
                "gdf.set_crs(2154) (coordonnées en Lambert-93) ou gdf.set_crs(4326) (degrés), "
                "puis relancez.")
        epsg = territory.crs.to_epsg()
        path = io.tmp(f"{_label_stem(label or 'territoire')}.gpkg")
        territory.to_file(path, engine="pyogrio")
        io.names[str(path)] = "(GeoDataFrame)"
        if epsg != 2154:
            io.notes.append(f"Territoire (GeoDataFrame) reprojeté de {territory.crs.to_string()} "
                            "en Lambert-93 (EPSG:2154).")
        return str(path)
    return str(territory)


def _resolve(territory: TerritoryInput, io: _Inputs, *, zpc: str | None,
             id_field: str | None, label: str | None,
             name_field: str | None = None, boundaries: VectorInput | None = None,
             region: str | None = None) -> Territory:
    """The resolved territory (a given ``Territory`` is never modified: a copy if needed)."""
    if isinstance(territory, gpd.GeoDataFrame) and territory.crs is not None \
            and territory.crs.to_epsg() != 2154:
        io.notes.append(f"Territoire (GeoDataFrame) reprojeté de {territory.crs.to_string()} "
                        "en Lambert-93 (EPSG:2154).")
    kw = {k: v for k, v in (("boundaries", boundaries), ("region", region)) if v is not None}
    t = resolve_territory(territory, zpc=zpc, id_field=id_field, name_field=name_field, **kw)
    if label is None and isinstance(territory, gpd.GeoDataFrame):
        label = "territoire"
    return t if label is None else replace(t, label=label)


def _raster_path(raster: RasterInput, io: _Inputs, what: str) -> Path:
    """A GeoTIFF path in Lambert-93 for ``raster`` (a temporary one unless a path is given)."""
    if isinstance(raster, str | Path):
        return Path(raster)
    if isinstance(raster, gpd.GeoDataFrame):  # a vector land cover: read like a file
        if raster.crs is None:
            raise MissingCRSError(f"{what} (GeoDataFrame) sans système de coordonnées : "
                                  "définissez-le (gdf.set_crs(2154)) puis relancez.")
        path = io.tmp(f"occupation_{len(io.names)}.gpkg")
        raster.to_file(path, engine="pyogrio")
        io.names[str(path)] = "(GeoDataFrame)"
        return path
    import rasterio.io
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    shown = "(DataArray)"
    da: xr.DataArray
    if isinstance(raster, rasterio.io.DatasetReader):
        if raster.crs is not None and raster.crs.to_epsg() == 2154 \
                and Path(raster.name).is_file():
            return Path(raster.name)
        shown = f"(jeu rasterio {Path(raster.name).name})"
        if raster.crs is None:
            raise MissingCRSError(f"{what} {shown} sans système de coordonnées : déclarez-le "
                                  "(gdal_edit.py -a_srs EPSG:2154 …) puis relancez.")
        opened = rioxarray.open_rasterio(raster)
        if not isinstance(opened, xr.DataArray):  # pragma: no cover - one band file, one array
            raise InputFileError(f"{what} {shown} : plusieurs sous-jeux de données ; donnez la "
                                 "bande des codes d'occupation du sol.")
        da = opened
    elif isinstance(raster, xr.DataArray):
        da = raster
    else:
        raise InputFileError(f"{what} : type {type(raster).__name__} non pris en charge ; "
                             "donnez un chemin de GeoTIFF, un jeu rasterio ouvert ou un "
                             "xarray.DataArray (rioxarray) avec un système de coordonnées.")
    if "band" in da.dims:
        if da.sizes["band"] != 1:
            raise InputFileError(f"{what} {shown} : {da.sizes['band']} bandes ; donnez la seule "
                                 "bande des codes d'occupation du sol (da.sel(band=1)).")
        da = da.squeeze("band", drop=True)
    if da.rio.crs is None:
        raise MissingCRSError(f"{what} {shown} sans système de coordonnées : déclarez-le avec "
                              "da.rio.write_crs(2154) (ou le code EPSG de la donnée), puis "
                              "relancez.")
    if da.dtype.kind == "f":  # e.g. open_rasterio(..., masked=True): codes as floats, NaN
        vals = np.asarray(da.values)
        finite = vals[~pd.isna(vals)]
        if len(finite) and ((finite % 1 != 0).any() or finite.min() < 0 or finite.max() > 65535):
            raise InputFileError(f"{what} {shown} : valeurs non entières ; donnez les codes "
                                 "CLC entiers (111…523) de l'occupation du sol.")
        nodata = da.rio.nodata
        da = da.fillna(0).astype("uint16").rio.write_nodata(
            0 if nodata is None or pd.isna(nodata) else int(nodata))
    # another CRS is written as is: warped to Lambert-93 like a file given to the CLI
    # (espass_geo.io.rasters.open_landcover), with the same note
    path = io.tmp(f"occupation_{len(io.names)}.tif")
    da.rio.to_raster(path, tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    io.names[str(path)] = shown
    return path


def _vector(layer: VectorInput | None, io: _Inputs, what: str) -> Path | None:
    """A vector layer path (a GeoDataFrame is written to a temporary GeoPackage)."""
    if layer is None or isinstance(layer, str | Path):
        return None if layer is None else Path(layer)
    if layer.crs is None:
        raise MissingCRSError(f"{what} (GeoDataFrame) sans système de coordonnées : "
                              "définissez-le (gdf.set_crs(2154)) puis relancez.")
    path = io.tmp(f"couche_{len(io.names)}.gpkg")
    layer.to_file(path, engine="pyogrio")
    io.names[str(path)] = "(GeoDataFrame)"
    return path


def _parcels(parcels: VectorInput | None) -> str | Path | gpd.GeoDataFrame | None:
    if isinstance(parcels, gpd.GeoDataFrame):
        if parcels.crs is None:
            raise MissingCRSError("parcelles (GeoDataFrame) sans système de coordonnées : "
                                  "définissez-le (gdf.set_crs(2154)) puis relancez.")
        from espass_geo.io.parcels import read_parcels

        return parcels if parcels.crs.to_epsg() == 2154 and "parcel_id" in parcels \
            and "code" in parcels else _parcels_via_file(parcels, read_parcels)
    return parcels


def _parcels_via_file(parcels: gpd.GeoDataFrame, reader: Any) -> gpd.GeoDataFrame:
    """Validate and normalise a raw RPG GeoDataFrame with the file reader."""
    with tempfile.TemporaryDirectory(prefix="espass_geo-api-") as d:
        path = Path(d) / "parcelles.gpkg"
        parcels.to_file(path, engine="pyogrio")
        try:
            return reader(path)
        except EspassGeoError as exc:
            exc.args = (str(exc.args[0]).replace(str(path), "(GeoDataFrame)"), *exc.args[1:])
            raise


@contextmanager
def _run() -> Iterator[_Inputs]:
    """Temporary inputs of one run; their paths become readable names in errors/warnings."""
    with ExitStack() as stack:
        io = _Inputs(stack)
        pending: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    yield io
                except EspassGeoError as exc:
                    if exc.args:
                        exc.args = (io.rename(str(exc.args[0])), *exc.args[1:])
                    raise
                finally:
                    pending = list(caught)
        finally:  # re-issued outside the recorder, with readable names (also on an error)
            for w in pending:
                warnings.warn_explicit(io.rename(str(w.message)), w.category, w.filename,
                                       w.lineno)


def _finish_notes(notes: list[str], io: _Inputs) -> list[str]:
    return list(dict.fromkeys([*io.notes, *(io.rename(n) for n in notes)]))


def _shown_path(path: Path | None, io: _Inputs) -> Path | None:
    if path is None:
        return None
    return Path(io.names.get(str(path), str(path)))


# ------------------------------------------------------------------------------ compute
def stocks(
    territory: TerritoryInput,
    *,
    landcover: RasterInput | None = None,
    areas: PathLike | None = None,
    parcels: VectorInput | None = None,
    hedges: PathLike | pd.DataFrame | None = None,
    zpc: str | None = None,
    id_field: str | None = None,
    label: str | None = None,
    method: Method = _D["method"],
    engine: Engine = _D["engine"],
    max_nodata_share: float = _D["max_nodata_share"],
    name_field: str | None = None,
    factors: FactorsInput = None,
    nomenclature: str | PathLike = _D["nomenclature"],
    code_field: str | None = None,
    forest: VectorInput | None = None,
    boundaries: VectorInput | None = None,
    region: str | None = None,
    scheduler: str | None = None,
) -> StocksResult:
    """Carbon stocks of a territory (soil, litter, live biomass, dead wood, hedges).

    Exactly one of ``landcover`` (raster of CLC level-3 codes) and ``areas`` (CSV of areas per
    zone and code) is given. With a raster, the result carries the per-pixel stock density
    (``result.density``: tC/ha, affine transform, CRS) on the territory's window — held in
    memory up to 2²⁵ pixels, above that written block by block to a tiled GeoTIFF
    (``result.density.path``; ``.array`` reads it whole, ``.total_stock_tC()`` by blocks).
    ``parcels`` (RPG) make the declared crop prevail inside each parcel (land-cover input
    only). ``forest`` (BD Forêt V2 polygons) gives the forest of the land cover its
    composition (poplars priced as poplars); ``hedges`` is a CSV or a BD Haie linear layer.
    ``zpc`` overrides the ALDO pedoclimatic zone of every zone; ``id_field`` names the zone
    id column of a GeoDataFrame or vector file (``name_field`` its name column); ``label``
    names the territory in the outputs. ``factors`` (a :class:`FactorSet`, or a folder of
    factor CSVs: a full copy of ``factors/`` or only the tables to amend) replaces the shipped
    tables for this run; the result keeps it (``result.factors``) for :func:`write`.
    ``scheduler`` (``"threads"``, ``"processes"``, ``"local:N"``, ``"tcp://host:port"``; see
    :func:`espass_geo.io.scheduler.use_scheduler`) runs the raster work on that Dask scheduler
    (default: dask's, or the caller's active ``Client``); the notes name it.
    Nothing is written: see :func:`write`.
    """
    _check_choice(method, _METHODS, "method")
    method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    _check_choice(engine, _ENGINES, "engine")
    if method == "aldo-epci":
        from espass_geo.runs.aldo_epci import compute_aldo_epci_stocks

        with _run() as io, use_factors(load_factor_set(factors)) as fs:
            t = _resolve(territory, io, zpc=None, id_field=id_field, label=label,
                         name_field=name_field, boundaries=boundaries, region=region)
            result = compute_aldo_epci_stocks(
                t, areas=areas, **{"--landcover": landcover, "--parcels": parcels,
                                   "--hedges": hedges, "--forest": forest, "--zpc": zpc})
            result.notes = _finish_notes(result.notes, io)
            result.factors = fs
        return result
    with _run() as io, use_factors(load_factor_set(factors)) as fs, \
            use_scheduler(scheduler) as scheduler_note:
        t = _resolve(territory, io, zpc=zpc, id_field=id_field, label=label,
                     name_field=name_field, boundaries=boundaries, region=region)
        lc = _raster_path(landcover, io, "occupation du sol") if landcover is not None else None
        result = compute_territory_stocks(t, landcover=lc, areas=areas,
                                          parcels=_parcels(parcels), hedges=hedges,
                                          method=method, engine=engine,
                                          max_nodata_share=max_nodata_share,
                                          nomenclature=nomenclature, code_field=code_field,
                                          forest=_vector(forest, io, "BD Forêt"))
        result.notes = _finish_notes(result.notes + ([scheduler_note] if scheduler_note else []),
                                     io)
        result.landcover = _shown_path(result.landcover, io)
        result.factors = fs
    return result


def flows(
    territory: TerritoryInput,
    *,
    landcover_before: RasterInput | None = None,
    landcover_after: RasterInput | None = None,
    years: tuple[int, int] = _D["years"],
    changes: PathLike | None = None,
    forest_areas: PathLike | pd.DataFrame | None = None,
    zpc: str | None = None,
    id_field: str | None = None,
    label: str | None = None,
    method: Method = _D["method"],
    gwp_n2o: float = _D["gwp_n2o"],
    wood_products: WoodProducts = _D["wood_products"],
    engine: Engine = _D["engine"],
    max_nodata_share: float = _D["max_nodata_share"],
    name_field: str | None = None,
    factors: FactorsInput = None,
    nomenclature: str | PathLike = _D["nomenclature"],
    code_field: str | None = None,
    forest: VectorInput | None = None,
    boundaries: VectorInput | None = None,
    region: str | None = None,
    scheduler: str | None = None,
) -> FlowsResult:
    """Carbon flows of a territory between two dates (tCO2e/an, + = sequestration).

    Either two land-cover rasters of the same grid (``landcover_before``, ``landcover_after``,
    dated by ``years``) or a change table (``changes``). With rasters, the result carries the
    class grids before/after (``result.change_grid``) and the 1 km sealing hotspots
    (``result.hotspots``, None when nothing was sealed). ``factors``, ``scheduler``: as for
    :func:`stocks`. Nothing is written: see :func:`write`.
    """
    _check_choice(method, _METHODS, "method")
    method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    _check_choice(engine, _ENGINES, "engine")
    _check_choice(wood_products, _WOOD, "wood_products")
    if method == "aldo-epci":
        from espass_geo.runs.aldo_epci import compute_aldo_epci_flows

        with _run() as io, use_factors(load_factor_set(factors)) as fs:
            t = _resolve(territory, io, zpc=None, id_field=id_field, label=label,
                         name_field=name_field, boundaries=boundaries, region=region)
            result = compute_aldo_epci_flows(
                t, changes=changes, years=years, wood_products=wood_products,
                # the spec's default GWP means « not chosen »: ALDO's own convention (298)
                gwp_n2o=None if gwp_n2o == _D["gwp_n2o"] else gwp_n2o,
                **{"--landcover-before": landcover_before, "--landcover-after": landcover_after,
                   "--forest-areas": forest_areas, "--forest": forest, "--zpc": zpc})
            result.notes = _finish_notes(result.notes, io)
            result.factors = fs
        return result
    with _run() as io, use_factors(load_factor_set(factors)) as fs, \
            use_scheduler(scheduler) as scheduler_note:
        t = _resolve(territory, io, zpc=zpc, id_field=id_field, label=label,
                     name_field=name_field, boundaries=boundaries, region=region)
        before = (_raster_path(landcover_before, io, "occupation du sol (première date)")
                  if landcover_before is not None else None)
        after = (_raster_path(landcover_after, io, "occupation du sol (seconde date)")
                 if landcover_after is not None else None)
        result = compute_territory_flows(t, landcover_before=before, landcover_after=after,
                                         years=years, changes=changes,
                                         forest_areas=forest_areas, method=method,
                                         gwp_n2o=gwp_n2o, wood_products=wood_products,
                                         engine=engine, max_nodata_share=max_nodata_share,
                                         nomenclature=nomenclature, code_field=code_field,
                                         forest=_vector(forest, io, "BD Forêt"))
        result.notes = _finish_notes(result.notes + ([scheduler_note] if scheduler_note else []),
                                     io)
        if result.rasters is not None:
            b, a = (_shown_path(p, io) for p in result.rasters)
            assert b is not None and a is not None
            result.rasters = (b, a)
        result.factors = fs
    return result


def flow_series(
    territory: TerritoryInput,
    landcovers: Any,
    *,
    forest_areas: PathLike | pd.DataFrame | None = None,
    zpc: str | None = None,
    id_field: str | None = None,
    label: str | None = None,
    method: Method = _D["method"],
    gwp_n2o: float = _D["gwp_n2o"],
    wood_products: WoodProducts = _D["wood_products"],
    engine: Engine = _D["engine"],
    max_nodata_share: float = _D["max_nodata_share"],
    name_field: str | None = None,
    factors: FactorsInput = None,
    nomenclature: str | PathLike = _D["nomenclature"],
    code_field: str | None = None,
    forest: VectorInput | None = None,
    boundaries: VectorInput | None = None,
    region: str | None = None,
    scheduler: str | None = None,
) -> FlowSeriesResult:
    """Carbon flows of each period of a series of dated land covers (tCO2e/an, + =
    sequestration), each period annualised over its own length, and the whole series
    length-weighted.

    ``landcovers``: ``[(2015, "ocsge2015.gpkg"), (2018, …), (2021, …)]`` or ``"2015=…"``
    strings (rasters or vector layers, as for :func:`flows`), at least two dates. The other
    options are those of :func:`flows`. Nothing is written: see :func:`write`.
    """
    from espass_geo.runs.flow_series import compute_flow_series

    _check_choice(method, _METHODS, "method")
    method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    _no_aldo_epci(method, "une série de flux")
    _check_choice(engine, _ENGINES, "engine")
    _check_choice(wood_products, _WOOD, "wood_products")
    with _run() as io, use_factors(load_factor_set(factors)) as fs, \
            use_scheduler(scheduler) as scheduler_note:
        t = _resolve(territory, io, zpc=zpc, id_field=id_field, label=label,
                     name_field=name_field, boundaries=boundaries, region=region)
        result = compute_flow_series(t, landcovers, forest_areas=forest_areas, method=method,
                                     gwp_n2o=gwp_n2o, wood_products=wood_products,
                                     engine=engine, max_nodata_share=max_nodata_share,
                                     nomenclature=nomenclature, code_field=code_field,
                                     forest=_vector(forest, io, "BD Forêt"))
        result.notes = _finish_notes(result.notes + ([scheduler_note] if scheduler_note else []),
                                     io)
        result.factors = fs
    return result


def zan(
    territory: TerritoryInput,
    *,
    consumption: PathLike | None = _D["consumption"],
    guarantee: bool = _D["guarantee"],
    territorialisation: str | PathLike = _D["territorialisation"],
    landcover_before: VectorInput | None = None,
    landcover_after: VectorInput | None = None,
    years: tuple[int, int] | None = None,
    zpc: str | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    label: str | None = None,
    method: Method = _D["method"],
    gwp_n2o: float = _D["gwp_n2o"],
    factors: FactorsInput = None,
    boundaries: VectorInput | None = None,
    region: str | None = None,
) -> ZanResult:
    """ZAN as the law counts it, with its carbon cost, per commune.

    ``consumption``: the Cerema consumption file (``"demo"``: the embedded estimate). Gives the
    2011–2020 reference, the 2021–2030 budget (half; ``guarantee``: at least 1 ha per commune),
    the consumption since 2021 and its carbon cost (tCO2e emitted, positive), the territory's
    trajectory to 2050 and the envelope shared among communes (``territorialisation``:
    ``consumption``, ``population`` or a CSV ``zone_id, share``). With two OCS GE layers
    (``landcover_before``, ``landcover_after`` dated ``years``): artificialised, renatured and
    net hectares per commune (décret of 27 November 2023) and their carbon. Nothing is
    written: see :func:`write`.
    """
    from espass_geo.runs.zan import compute_zan, resolve_communes

    _check_choice(method, _METHODS, "method")
    method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    _no_aldo_epci(method, "la vue ZAN")
    with _run() as io, use_factors(load_factor_set(factors)) as fs:
        if isinstance(territory, str | Path) and boundaries is None and region is None:
            # zones that are not communes: said first
            territory = resolve_communes(territory, zpc=zpc, id_field=id_field,
                                         name_field=name_field, source=str(consumption))
        t = _resolve(territory, io, zpc=zpc, id_field=id_field, label=label,
                     name_field=name_field, boundaries=boundaries, region=region)
        result = compute_zan(t, consumption=consumption, guarantee=guarantee,
                             territorialisation=territorialisation,
                             landcover_before=_vector(landcover_before, io, "OCS GE"),
                             landcover_after=_vector(landcover_after, io, "OCS GE"),
                             years=years, method=method, gwp_n2o=gwp_n2o)
        result.notes = _finish_notes(result.notes, io)
        result.factors = fs
    return result


def emissions(
    territory: TerritoryInput,
    *,
    inventory: PathLike | None = None,
    population: PathLike | None = None,
    land_flows: FlowsResult | pd.DataFrame | PathLike | None = None,
    footprint_adjustments: PathLike | pd.DataFrame | None = None,
    zpc: str | None = None,
    id_field: str | None = None,
    label: str | None = None,
    name_field: str | None = None,
    factors: FactorsInput = None,
    boundaries: VectorInput | None = None,
    region: str | None = None,
    point_sources: PathLike | None = None,
) -> EmissionsResult:
    """Direct emissions by PCAET sector, by ESPASS post, and the consumption footprint.

    ``inventory`` None uses the embedded demo estimate (said so in every output);
    ``point_sources`` (CSV of large emitters) rebuilds that estimate with them in place of the
    shipped ones (refused with ``inventory``);
    ``land_flows`` (a :func:`flows` result, a ``zone_id, flux_tCO2e_an`` table or
    ``flows_zones.csv``) fills the « utilisation des terres » post. ``factors``: as for
    :func:`stocks`.
    """
    with _run() as io, use_factors(load_factor_set(factors)) as fs:
        t = _resolve(territory, io, zpc=zpc, id_field=id_field, label=label,
                     name_field=name_field, boundaries=boundaries, region=region)
        lf = land_flows
        if isinstance(lf, FlowsResult):
            lf = pd.DataFrame(lf.zones[["zone_id", "flux_tCO2e_an"]])
        result = compute_territory_emissions(t, inventory=inventory, population=population,
                                             land_flows=lf,
                                             footprint_adjustments=footprint_adjustments,
                                             point_sources=point_sources)
        result.notes = _finish_notes(result.notes, io)
        result.factors = fs
    return result


def scenarios(
    config: PathLike | ScenarioConfig,
    *,
    territory: str | Path | gpd.GeoDataFrame | None = None,
    landcover: RasterInput | None = None,
    parcels: str | Path | None = None,
    method: Method | None = None,
    zpc: str | None = None,
    factors: FactorsInput = None,
) -> ScenarioResult:
    """Baseline and scenario trajectories (yearly flows and stocks) from a scenario file.

    ``config`` is a scenario TOML (validated, every problem with its line) or a loaded
    :class:`~espass_geo.io.scenario_config.ScenarioConfig`; ``territory``, ``landcover``,
    ``parcels``, ``method`` and ``zpc`` replace the file's values when given. ``factors``: as
    for :func:`stocks`.
    """
    cfg = config if isinstance(config, ScenarioConfig) else load_scenario_config(config)
    if method is not None:
        _check_choice(method, _METHODS, "method")
        method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    _no_aldo_epci(method or cfg.method, "des scénarios")
    with _run() as io, use_factors(load_factor_set(factors)) as fs:
        changes: dict[str, Any] = {}
        if territory is not None:
            changes["territory"] = _territory_spec(territory, io, None)
        if landcover is not None:
            changes["landcover"] = _raster_path(landcover, io, "occupation du sol")
        if parcels is not None:
            changes["parcels"] = Path(parcels)
        if method is not None:
            changes["method"] = method
        if zpc is not None:
            changes["zpc"] = zpc
        if changes:
            cfg = replace(cfg, **changes)
        result = build_scenarios(cfg)
        result.notes = _finish_notes(result.notes, io)
        if "landcover" in changes:
            lc = result.config.landcover
            result.config = replace(result.config, landcover=Path(io.names.get(str(lc), str(lc))))
        result.factors = fs
    return result


def bilan(
    territory: TerritoryInput | None = None,
    *,
    config: PathLike | BilanConfig | None = None,
    landcover: RasterInput | None = None,
    landcover_before: RasterInput | None = None,
    years: tuple[int, int] = _D["years"],
    areas: PathLike | None = None,
    changes: PathLike | None = None,
    parcels: PathLike | None = None,
    forest_areas: PathLike | None = None,
    inventory: PathLike | None = None,
    population: PathLike | None = None,
    footprint_adjustments: PathLike | None = None,
    scenario: PathLike | None = None,
    zpc: str | None = None,
    id_field: str | None = None,
    label: str | None = None,
    title: str | None = None,
    method: Method = _D["method"],
    gwp_n2o: float = _D["gwp_n2o"],
    max_nodata_share: float | None = None,
    quiet: bool = True,
    name_field: str | None = None,
    factors: FactorsInput = None,
    scheduler: str | None = None,
) -> BilanResult:
    """The full Bilan ESPASS of a territory: stocks, flows, emissions, scenario, one table.

    ``landcover`` (second date) with ``landcover_before`` gives the flows from rasters;
    ``areas`` / ``changes`` give them from tables. ``result.table`` is the tidy bilan table
    (with TOTAL rows); ``result.stocks``, ``.flows``, ``.emissions``, ``.scenario`` hold the
    module results. ``config`` (a ``bilan.toml`` or a loaded
    :class:`~espass_geo.io.bilan_config.BilanConfig`) replaces ``territory`` and the inputs:
    only ``zpc``, ``id_field``, ``name_field``, ``max_nodata_share`` and ``factors`` then apply,
    over the file's values. ``factors``: as for :func:`stocks` (default: the file's
    ``factors`` folder, else the shipped tables). ``scheduler``: as for :func:`stocks`
    (default: the file's ``scheduler`` key). Nothing is written: see :func:`write`.
    """
    if config is not None:
        return _bilan_from_config(config, zpc=zpc, id_field=id_field, name_field=name_field,
                                  max_nodata_share=max_nodata_share, factors=factors,
                                  quiet=quiet, scheduler=scheduler)
    if territory is None:
        raise ConfigError("bilan() : donnez un territoire ou config (un fichier bilan.toml).")
    _check_choice(method, _METHODS, "method")
    method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    _no_aldo_epci(method, "un bilan")
    if isinstance(territory, Territory):  # its zones are resolved again as polygons
        label = label or territory.label
        zpc = zpc or territory.zpc_override
    by_spec = isinstance(territory, Territory) and territory.kind == "communes" \
        and bool(territory.spec)  # communes / EPCI: resolved again from their specification
    frame = isinstance(territory, gpd.GeoDataFrame | Territory) and not by_spec
    if frame and isinstance(territory, gpd.GeoDataFrame | Territory) and id_field is None:
        columns = (territory.zones if isinstance(territory, Territory) else territory).columns
        id_field = "zone_id" if "zone_id" in columns else None
    with _run() as io:
        spec = _territory_spec(_id_first(territory, id_field) if frame else territory, io,
                               label)
        lc = _raster_path(landcover, io, "occupation du sol") if landcover is not None else None
        before = (_raster_path(landcover_before, io, "occupation du sol (première date)")
                  if landcover_before is not None else None)
        shown = label or (spec if spec not in io.names else "territoire")
        cfg = BilanConfig(path=None, title=title or f"Bilan ESPASS — {shown}", territory=spec,
                          zpc=zpc, id_field="zone_id" if frame and id_field else id_field,
                          method=method, gwp_n2o=gwp_n2o, landcover=lc, before=before,
                          years=years, parcels=Path(parcels) if parcels else None,
                          areas=Path(areas) if areas else None,
                          changes=Path(changes) if changes else None,
                          forest_areas=Path(forest_areas) if forest_areas else None,
                          inventory=Path(inventory) if inventory else None,
                          population=Path(population) if population else None,
                          footprint_adjustments=Path(footprint_adjustments)
                          if footprint_adjustments else None,
                          scenario=Path(scenario) if scenario else None,
                          max_nodata_share=MAX_NODATA_SHARE if max_nodata_share is None
                          else max_nodata_share, name_field=name_field,
                          factors=Path(factors) if isinstance(factors, str | Path) else None,
                          scheduler=scheduler)
        with use_factors(load_factor_set(factors)) as fs, \
                use_scheduler(scheduler) as scheduler_note:
            result = compute_bilan(cfg, quiet=quiet)
        _scheduler_note(result, scheduler_note)
        result.factors = fs
        result.notes = _finish_notes(result.notes, io)
        st = cast(StocksResult | None, result.stocks)
        fl = cast(FlowsResult | None, result.flows)
        em = cast(EmissionsResult | None, result.emissions)
        for part in (st, fl, em):
            if part is not None:
                part.notes = _finish_notes(part.notes, io)
        if st is not None:
            st.landcover = _shown_path(st.landcover, io)
        if fl is not None and fl.rasters is not None:
            b, a = (_shown_path(p, io) for p in fl.rasters)
            assert b is not None and a is not None
            fl.rasters = (b, a)
        result.config = replace(cfg, territory=io.rename(spec) if spec in io.names else spec,
                                landcover=_shown_path(lc, io), before=_shown_path(before, io))
    return result


def _bilan_from_config(config: PathLike | BilanConfig, *, zpc: str | None,
                       id_field: str | None, name_field: str | None,
                       max_nodata_share: float | None, factors: FactorsInput,
                       quiet: bool, scheduler: str | None = None) -> BilanResult:
    cfg = config if isinstance(config, BilanConfig) else load_bilan_config(config)
    _no_aldo_epci(cfg.method, "un bilan (bilan.toml)")
    overrides = {k: v for k, v in (("zpc", zpc), ("id_field", id_field),
                                   ("name_field", name_field),
                                   ("max_nodata_share", max_nodata_share),
                                   ("scheduler", scheduler)) if v is not None}
    if isinstance(factors, str | Path):
        overrides["factors"] = Path(factors)
    if overrides:  # the caller's values prevail over the file's
        cfg = replace(cfg, **overrides)
    with _run(), use_factors(load_factor_set(factors if factors is not None
                                             else cfg.factors)) as fs, \
            use_scheduler(cfg.scheduler) as scheduler_note:
        result = compute_bilan(cfg, quiet=quiet)
        _scheduler_note(result, scheduler_note)
        result.factors = fs
    return result


def _scheduler_note(result: BilanResult, note: str | None) -> None:
    """The Dask scheduler's note in the bilan's notes and in those of its stocks and flows."""
    if note:
        parts: list[Any] = [result, result.stocks, result.flows]
        for part in parts:
            if part is not None and note not in part.notes:
                part.notes.append(note)


def aldo(territory: TerritoryInput, *, gwp_n2o: float | None = None,
         label: str | None = None) -> ReconciliationResult:
    """« Écart avec ALDO, expliqué » for a territory of whole EPCI: the default method
    (« aldo ») and aldo-epci (ALDO's per-EPCI calculation) on ALDO's per-EPCI inputs, and the
    bridge that attributes their gap to each cause, summing exactly
    (:mod:`espass_geo.core.reconciliation`). ``gwp_n2o``: the default method's GWP of N2O
    (None: espass_geo's default). Nothing is written: see :func:`write` (ecart_aldo.csv,
    ecart_aldo.xlsx, ecart_aldo.html)."""
    from espass_geo.runs.aldo_epci import reconcile_with_aldo

    with _run() as io:
        t = _resolve(territory, io, zpc=None, id_field=None, label=label)
        result = reconcile_with_aldo(t, gwp_n2o=gwp_n2o)
        result.notes = _finish_notes(result.notes, io)
    return result


def demo(*, quiet: bool = True) -> DemoResult:
    """The two demo bilans on the embedded data (SCoT Flandre-Dunkerque, 37 EPCI of 59/62);
    :func:`write` publishes them with an index page."""
    with _run():
        return compute_demo(quiet=quiet)


def _id_first(territory: TerritoryInput, id_field: str | None) -> TerritoryInput:
    """A GeoDataFrame whose id column is renamed ``zone_id`` (recognised by the resolver)."""
    if isinstance(territory, Territory):
        territory = territory.zones
    if isinstance(territory, gpd.GeoDataFrame) and id_field not in (None, "zone_id"):
        if id_field not in territory:
            raise InputFileError(f"champ « {id_field} » absent du territoire (GeoDataFrame) ; "
                                 f"champs : {', '.join(map(str, territory.columns))}.")
        territory = territory.drop(columns=["zone_id"], errors="ignore").rename(
            columns={id_field: "zone_id"})
    return territory


# -------------------------------------------------------------------------------- write
def write(result: Result, out_dir: str | Path, *, overwrite: bool = False,
          make_map: bool = True, title: str | None = None,
          params: dict[str, Any] | None = None, inputs: tuple = ()) -> Manifest:
    """Write a result's files into ``out_dir`` atomically and return the manifest.

    The folder gets the same files as the matching command (``stocks``, ``flows``,
    ``emissions``, ``scenario``, ``bilan``) and its manifest ``.espass_geo_manifest.json``;
    a folder espass_geo did not write is refused unless ``overwrite`` (then only the files of
    the previous manifest are replaced). ``make_map`` is ignored for a bilan (always mapped).
    ``title`` names the map, ``params`` (the run's parameters) go to the LISEZ-MOI file, and
    ``inputs`` (paths) are files of the run that the folder must never replace (stocks,
    flows, emissions, scenario). The writers run with the result's factor set
    (``result.factors``), so amended labels and values reach the files; the manifest records
    it (``factors``: name, SHA-256, changes).
    """
    with use_factors(getattr(result, "factors", None)):
        if isinstance(result, StocksResult):
            write_stock_outputs(result, out_dir, make_map=make_map, overwrite=overwrite,
                                title=title, params=params, inputs=inputs)
        elif isinstance(result, FlowsResult):
            write_flow_outputs(result, out_dir, make_map=make_map, overwrite=overwrite,
                               title=title, params=params, inputs=inputs)
        elif isinstance(result, FlowSeriesResult):
            write_flow_series_outputs(result, out_dir, make_map=make_map, overwrite=overwrite,
                                      title=title, params=params, inputs=inputs)
        elif isinstance(result, ZanResult):
            write_zan_outputs(result, out_dir, make_map=make_map, overwrite=overwrite,
                              title=title, params=params, inputs=inputs)
        elif isinstance(result, EmissionsResult):
            write_emission_outputs(result, out_dir, make_map=make_map, overwrite=overwrite,
                                   title=title, params=params, inputs=inputs)
        elif isinstance(result, ScenarioResult):
            write_scenario_outputs(result, out_dir, make_map=make_map, overwrite=overwrite,
                                   inputs=inputs)
        elif isinstance(result, BilanResult):
            write_bilan_outputs(result, out_dir, overwrite=overwrite)
        elif isinstance(result, DemoResult):
            write_demo_outputs(result, out_dir, overwrite=overwrite)
        elif isinstance(result, ReconciliationResult):
            write_reconciliation_outputs(result, out_dir, overwrite=overwrite, inputs=inputs)
        else:
            raise InputFileError(f"write() : résultat de type {type(result).__name__} inconnu ;"
                                 " donnez le résultat de stocks(), flows(), emissions(), "
                                 "scenarios(), bilan() ou demo().")
    doc = read_manifest(out_dir) or {}
    return Manifest(out_dir=Path(out_dir), files=dict(doc.get("files", {})),
                    command=str(doc.get("command", "")), date=str(doc.get("date", "")))


__all__ = ["Engine", "Manifest", "Method", "WoodProducts", "aldo", "bilan", "demo",
           "emissions", "flow_series", "flows", "scenarios", "stocks", "write", "zan"]
