"""Physical constants and conventions used everywhere in espass_geo.

Units are carried by column names (``area_ha``, ``stock_tC``, ``flux_tCO2e_an``); the
conversions below are the only place where they are defined.
"""

from __future__ import annotations

#: tC -> tCO2 (molar masses 44/12). The single conversion factor of the package.
C_TO_CO2: float = 44.0 / 12.0
#: m² -> ha
HA_PER_M2: float = 1e-4
#: Lambert-93, the CRS of every computation.
LAMBERT93: str = "EPSG:2154"
LAMBERT93_EPSG: int = 2154
#: COG vintage of the embedded commune geometries and of the ALDO tables.
COG_GEOMETRY_VINTAGE: int = 2018
#: Region of the embedded data (Hauts-de-France) -> ALDO inter-region NORD-OUEST.
DEFAULT_REGION_CODE: str = "32"
#: ALDO: results are not meaningful below about this many communes.
SMALL_TERRITORY_COMMUNES: int = 10
#: Sign convention, written in every output (ALDO ADR 0008).
SIGN_CONVENTION_FR: str = (
    "Convention de signe ALDO : flux positif = séquestration (stockage), "
    "flux négatif = émission (déstockage)."
)
SIGN_CONVENTION_EN: str = "ALDO sign convention: positive = sequestration, negative = emission."

POOLS: tuple[str, ...] = ("soil", "litter", "live_biomass", "dead_wood", "hedges")
POOL_LABELS_FR: dict[str, str] = {
    "soil": "Sol (0-30 cm)",
    "litter": "Litière",
    "live_biomass": "Biomasse vivante",
    "dead_wood": "Bois mort",
    "hedges": "Haies",
}
