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

#: GWP100 of N2O (tCO2e/tN2O): IPCC AR6, the PCAET default (R229-49), and AR5 (selectable).
#: ``factors/n2o_soil_loss.csv`` and ``factors/substances.csv`` give the same numbers with their
#: sources (tests/test_factor_set.py checks that they agree).
GWP_N2O_AR6: float = 273.0
GWP_N2O_AR5: float = 265.0
DEFAULT_GWP_N2O: float = GWP_N2O_AR6

#: Forest land uses and their IGN composition (``forest_composition`` of
#: ``factors/land_use_classes.csv``): the one definition of the forest set.
FOREST_COMPOSITIONS: dict[str, str] = {
    "forest_broadleaf": "feuillus",
    "forest_conifer": "coniferes",
    "forest_mixed": "mixtes",
    "forest_poplar": "peupleraies",
}
FOREST_LAND_USES: tuple[str, ...] = tuple(FOREST_COMPOSITIONS)
#: Artificial land uses: the ALDO split classes and the CLC artificial land before the split.
ARTIFICIAL_SPLIT_LAND_USES: tuple[str, ...] = (
    "artificial_sealed", "artificial_grassed", "artificial_wooded")
ARTIFICIAL_LAND_USES: tuple[str, ...] = (*ARTIFICIAL_SPLIT_LAND_USES, "artificial_unsplit")

POOLS: tuple[str, ...] = ("soil", "litter", "live_biomass", "dead_wood", "hedges")
#: French labels of the carbon pools and of the other ``item`` values of stocks and flows (the
#: one vocabulary of the report, maps and exports).
POOL_LABELS_FR: dict[str, str] = {
    "soil": "Sol",
    "litter": "Litière",
    "live_biomass": "Biomasse vivante",
    "dead_wood": "Bois mort",
    "hedges": "Haies",
    "wood_products": "Produits bois",
    "soil_litter_n2o": "N₂O",
    "total": "Total",
}
