"""espass_geo — the Bilan ESPASS of a French territory, on a map.

Carbon stocks and flows of soils and biomass (ADEME ALDO method, IPCC Tier 1 as an
alternative), from territory boundaries, land-cover rasters and agricultural parcels.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("espass-geo")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+local"

# The typed API, imported eagerly: ``stocks``, ``flows``, ``emissions`` and ``scenarios`` are
# also names of compute modules. Importing ``.api`` loads those modules first, so the names
# below end bound to the functions (a module already loaded never rebinds its name).
from espass_geo.api import (  # noqa: E402
    Engine,
    Manifest,
    Method,
    WoodProducts,
    bilan,
    emissions,
    flows,
    scenarios,
    stocks,
    write,
)
from espass_geo.constants import C_TO_CO2, HA_PER_M2, LAMBERT93  # noqa: E402
from espass_geo.core.areas import AreaTable, area_table_from_raster  # noqa: E402
from espass_geo.core.stocks import compute_stocks, land_use_areas, split_artificial, zone_totals  # noqa: E402
from espass_geo.errors import EspassGeoError  # noqa: E402
from espass_geo.io.area_tables import area_table_from_csv  # noqa: E402
from espass_geo.io.parcels import read_parcels  # noqa: E402
from espass_geo.reference.factor_set import FactorSet, factor_set_fingerprint, use_factors  # noqa: E402
from espass_geo.territory.resolve import Territory, resolve_territory  # noqa: E402

__all__ = [
    "AreaTable",
    "C_TO_CO2",
    "Engine",
    "EspassGeoError",
    "FactorSet",
    "HA_PER_M2",
    "LAMBERT93",
    "Manifest",
    "Method",
    "Territory",
    "WoodProducts",
    "__version__",
    "area_table_from_csv",
    "area_table_from_raster",
    "bilan",
    "compute_stocks",
    "emissions",
    "factor_set_fingerprint",
    "flows",
    "land_use_areas",
    "read_parcels",
    "resolve_territory",
    "scenarios",
    "split_artificial",
    "stocks",
    "use_factors",
    "write",
    "zone_totals",
]


def __getattr__(name: str):
    # Lazy access to the edge-level API (imports folium/rasterio only when used).
    if name == "compute_territory_stocks":
        from espass_geo.runs import stocks as pipeline

        return pipeline.compute_territory_stocks
    raise AttributeError(name)
