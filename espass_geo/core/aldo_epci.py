"""Method « aldo-epci »: a faithful port of ALDO's per-EPCI web app (ADEME, GitHub
incubateur-ademe/aldo, commit 7ef0a6a584436c0b6b0fbacd283feefd4a1c625f, 2022-11-10).

The specification is ALDO's own code: ``data/stocks.js``, ``data/flux.js``,
``calculations/stocks/index.js``, ``calculations/stocks/woodProducts.js``,
``calculations/flux/index.js``, ``calculations/flux/woodProducts.js``,
``calculations/flux/agriculturalPractices.js`` and ``calculations/constants.js``. Each function
below names the JavaScript function it ports; the order of the rules, the lookups (first row
of a SIREN), the JavaScript parsing (``parseFloat``, ``parseInt``, empty cell = absent) and
ALDO's quirks are kept on purpose, so that the figures are ALDO's to machine precision
(tests/test_aldo_epci.py checks it against ALDO's code run with node on the 37 EPCI of Nord and
Pas-de-Calais).

Inputs are ALDO's national per-EPCI tables shipped in ``factors/aldo_epci/``
(:mod:`espass_geo.reference.aldo_epci_tables`). The CLC 2018 areas and the CLC 2012→2018 changes
of an EPCI may be replaced by the user's (``areas=`` / ``changes=``), so the same method runs on
another land cover.

Public entry points (pure, DataFrames out): :func:`aldo_epci_stocks`, :func:`aldo_epci_flows`,
:func:`aldo_epci_summary`. Sign of flows: ALDO's, **positive = sequestration**.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from espass_geo.errors import AreaTableError, FactorError, UnknownLandCoverClassError
from espass_geo.reference.aldo_epci_tables import EpciRows, epci_rows

METHOD = "aldo-epci"
CONVENTION = "positif = séquestration, négatif = émission"
SOURCE = "ADEME ALDO (incubateur-ademe/aldo @7ef0a6a, calcul par EPCI)"
C_TO_CO2 = 44 / 12

# --------------------------------------------------------------------------- constants
# calculations/constants.js: GroundTypes, in ALDO's order (the order matters: ALDO loops over
# it, and the N2O pass takes the first litter entry of a from/to pair).
GROUND_TYPES: list[dict[str, Any]] = [
    {"id": "cultures", "fluxId": "cult",
     "clc": ["211", "212", "213", "241", "242", "243", "244"]},
    {"id": "prairies", "clc": ["231", "321", "322", "323"],
     "children": ["prairies zones arbustives", "prairies zones herbacées",
                  "prairies zones arborées"]},
    {"id": "prairies zones arborées", "parent": "prairies", "fluxId": "prai",
     "altFluxId": "prai_arbo", "clc": ["323"]},
    {"id": "prairies zones herbacées", "parent": "prairies", "fluxId": "prai",
     "altFluxId": "prai_herb", "clc": ["231", "321"]},
    {"id": "prairies zones arbustives", "parent": "prairies", "fluxId": "prai",
     "altFluxId": "prai_arbu", "clc": ["322"]},
    {"id": "zones humides", "fluxId": "zh",
     "clc": ["411", "412", "421", "422", "423", "511", "512", "521", "522", "523"]},
    {"id": "vergers", "fluxId": "verg", "clc": ["222", "223"]},
    {"id": "vignes", "fluxId": "vign", "clc": ["221"]},
    {"id": "sols artificiels",
     "children": ["sols artificiels imperméabilisés", "sols artificiels arbustifs",
                  "sols artificiels arborés et buissonants"]},
    {"id": "sols artificiels arbustifs", "parent": "sols artificiels", "fluxId": "art_enh",
     "clc": ["111", "112", "121", "122", "123", "124", "131", "132", "133", "142"]},
    {"id": "sols artificiels imperméabilisés", "parent": "sols artificiels", "fluxId": "art_imp",
     "clc": ["111", "112", "121", "122", "123", "124", "131", "132", "133", "142"]},
    {"id": "sols artificiels arborés et buissonants", "parent": "sols artificiels",
     "fluxId": "art_arb", "clc": ["141"]},
    {"id": "forêts", "fluxId": "for", "clc": ["311", "312", "313", "324"],
     "children": ["forêt mixte", "forêt feuillu", "forêt conifere", "forêt peupleraie"]},
    {"id": "forêt mixte", "parent": "forêts", "clc": ["313"]},
    {"id": "forêt feuillu", "parent": "forêts", "clc": ["311", "324"]},
    {"id": "forêt conifere", "parent": "forêts", "clc": ["312"]},
    {"id": "forêt peupleraie", "parent": "forêts"},
    {"id": "produits bois"},
    {"id": "haies"},
]
_GT = {g["id"]: g for g in GROUND_TYPES}

#: ALDO ground type -> espass_geo land use (factors/land_use_classes.csv). The three ALDO
#: group types that carry flows of their own (soil flows use the whole forest and grassland
#: groups) map to group ids that are not land-use classes: ``forest``, ``grassland``,
#: ``artificial``; ``haies`` and ``produits bois`` map to the pools ``hedges`` and
#: ``wood_products``.
GROUND_TYPE_TO_LAND_USE: dict[str, str] = {
    "cultures": "cropland",
    "prairies zones herbacées": "grassland_herbaceous",
    "prairies zones arbustives": "grassland_shrubby",
    "prairies zones arborées": "grassland_wooded",
    "zones humides": "wetland",
    "vergers": "orchard",
    "vignes": "vineyard",
    "sols artificiels imperméabilisés": "artificial_sealed",
    "sols artificiels arbustifs": "artificial_grassed",
    "sols artificiels arborés et buissonants": "artificial_wooded",
    "forêt feuillu": "forest_broadleaf",
    "forêt conifere": "forest_conifer",
    "forêt mixte": "forest_mixed",
    "forêt peupleraie": "forest_poplar",
    "forêts": "forest",
    "prairies": "grassland",
    "sols artificiels": "artificial",
    "haies": "hedges",
    "produits bois": "wood_products",
}
LAND_USE_TO_GROUND_TYPE: dict[str, str] = {
    v: k for k, v in GROUND_TYPE_TO_LAND_USE.items()
}

# data/stocks.js getArea: ALDO ground type -> CLC 2018 codes for areas (stocks)
AREA_CLC_CODES: dict[str, list[str]] = {
    "cultures": ["211", "212", "213", "241", "242", "243", "244"],
    "prairies": ["231", "321", "322", "323"],
    "prairies zones herbacées": ["231", "321"],
    "prairies zones arbustives": ["322"],
    "prairies zones arborées": ["323"],
    "forêt": ["311", "312", "313", "324"],
    "forêt feuillu": ["311", "324"],
    "forêt conifere": ["312"],
    "forêt mixte": ["313"],
    "vignes": ["221"],
    "vergers": ["222", "223"],
    "sols arborés": ["141"],
    "sols artificiels non-arborés": ["111", "112", "121", "122", "123", "124", "131", "132",
                                     "133", "142"],
    "sols artificiels imperméabilisés": ["111", "121", "122", "123", "124", "131", "132",
                                         "133", "142"],
    "sols artificialisés": ["112"],
    "zones humides": ["411", "412", "421", "422", "423", "511", "512", "521", "522", "523"],
}

# data/stocks.js and data/flux.js constants (France wood products, CITEPA / AGRESTE)
FRANCE_WOOD_STOCK_TC = {"bo": 33741446.79, "bi": 58436577.05}        # CITEPA 2016-2019, tC
FRANCE_WOOD_HARVEST_M3 = {"bo": 19253833.33, "bi": 10472666.67}     # 2016-2020, m3/an
FRANCE_WOOD_SINK_TCO2 = {"bo": 918160.6252, "bi": 441532.8296}      # CITEPA 2016-2019, tCO2/an
FRANCE_POPULATION = 65705495  # data/index.js getPopulationTotal (sum of epci.csv)
FOREST_LITTER_TC_HA = 9.0
CHANGE_PERIOD_YEARS = 6
KINETIC_YEARS = 20

# calculations/flux/agriculturalPractices.js (tC/ha/an) and calculations/constants.js
PRACTICE_FLUX = {
    "sol": {"prairieExtension": 0.14, "cropsAgroforestry": 0.3, "prairiesAgroforestry": 0.3,
            "catchCrops": 0.24, "cropsHedges": 0.06, "prairiesHedges": 0.1,
            "grassyStrips": 0.49, "vineyardsInterCoverCropping": 0.32,
            "orchardsInterCoverCropping": 0.49, "directSowingContinuous": 0.15,
            "directSowingFiveYearWork": 0.1},
    "biomasse": {"prairieExtension": 0, "cropsAgroforestry": 0.7, "prairiesAgroforestry": 0.7,
                 "catchCrops": 0, "cropsHedges": 0.09, "prairiesHedges": 0.15,
                 "grassyStrips": 0, "vineyardsInterCoverCropping": 0,
                 "orchardsInterCoverCropping": 0, "directSowingContinuous": 0,
                 "directSowingFiveYearWork": 0},
}
PRACTICE_GROUND_TYPE = {
    "prairieExtension": "cultures", "prairieIntensification": "prairies",
    "cropsAgroforestry": "cultures", "prairiesAgroforestry": "prairies",
    "catchCrops": "cultures", "cropsHedges": "cultures", "prairiesHedges": "prairies",
    "grassyStrips": "cultures", "vineyardsInterCoverCropping": "vignes",
    "orchardsInterCoverCropping": "vergers",
}

_POOL = {"sol": "soil", "litière": "litter", "biomasse": "live_biomass",
         "sol et litière": "soil_litter"}


@dataclass(frozen=True)
class AldoEpciOptions:
    """ALDO's options (defaults = ALDO 7ef0a6a's).

    - ``wood_calculation``: ``"recolte"`` (harvest share, ALDO's default) or ``"consommation"``
      (population share);
    - ``sealed_share``: ALDO's ``proportionSolsImpermeables`` (0.8). As in ALDO, 0 means
      « not set » (0.8);
    - ``gwp_n2o``: 298 (AR4, ALDO's); ``n2o_ratio``: the N→N2O factor ALDO applies to the direct
      emission (44/25 in ALDO's code; the usual molar ratio is 44/28, which ALDO uses for the
      indirect part); ``cn_ratio``: 15;
    - ``area_overrides``: ALDO's ``options.areas`` (ALDO ground type → ha);
    - ``change_overrides``: ALDO's ``options.areaChanges`` (``cult_prai_herb``-style key → ha/an);
    - ``agricultural_practices``: ALDO's ``agriculturalPracticesEstablishedAreas`` (practice id →
      ha).
    """

    wood_calculation: str = "recolte"
    sealed_share: float | None = None
    gwp_n2o: float = 298.0
    n2o_ratio: float = 44 / 25
    cn_ratio: float = 15.0
    area_overrides: Mapping[str, float] = field(default_factory=dict)
    change_overrides: Mapping[str, float] = field(default_factory=dict)
    agricultural_practices: Mapping[str, float] = field(default_factory=dict)


def _options(options: AldoEpciOptions | Mapping[str, Any] | None) -> AldoEpciOptions:
    if options is None:
        return AldoEpciOptions()
    if isinstance(options, AldoEpciOptions):
        opt = options
    else:
        known = set(AldoEpciOptions.__dataclass_fields__)
        bad = sorted(set(options) - known)
        if bad:
            raise FactorError(
                f"option(s) aldo-epci inconnue(s) {bad} ; options possibles : {sorted(known)}."
            )
        opt = AldoEpciOptions(**options)
    if opt.wood_calculation not in ("recolte", "récolte", "consommation"):
        raise FactorError(
            f"wood_calculation={opt.wood_calculation!r} inconnu ; choisissez 'recolte' (part de la "
            "récolte, défaut ALDO) ou 'consommation' (part de la population)."
        )
    return opt


# --------------------------------------------------------------------------- JS parsing
_FLOAT_RE = re.compile(r"^\s*([+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))")
_INT_RE = re.compile(r"^\s*([+-]?\d+)")


def _pf(value: Any) -> float:
    """JavaScript ``parseFloat`` (NaN when nothing parses)."""
    if value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    m = _FLOAT_RE.match(str(value))
    return float(m.group(1)) if m else math.nan


def _pi(value: Any) -> float:
    """JavaScript ``parseInt(value, 10)``."""
    if value is None:
        return math.nan
    m = _INT_RE.match(str(value).strip())
    return float(int(m.group(1))) if m else math.nan


def _or0(x: float) -> float:
    """JavaScript ``x || 0`` for a number."""
    return 0.0 if (x is None or (isinstance(x, float) and math.isnan(x)) or x == 0) else x


def _truthy(s: Any) -> bool:
    """JavaScript truthiness of a CSV cell (a non-empty string)."""
    return s is not None and str(s).strip() != ""


def _add(a: float | None, b: float | None) -> float:
    """JavaScript ``a + b`` where ``undefined`` gives NaN."""
    if a is None or b is None:
        return math.nan
    return a + b


def _isnan(x: Any) -> bool:
    """JavaScript ``isNaN`` for an option value (undefined -> True)."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


# --------------------------------------------------------------------------- the EPCI
@dataclass
class _Epci:
    rows: EpciRows
    opt: AldoEpciOptions

    @property
    def sealed(self) -> float:
        return self.opt.sealed_share or 0.8


# ---- data/stocks.js
def _carbon_density(e: _Epci, ground_type: str) -> float:
    """getCarbonDensity"""
    return _or0(_pf(e.rows.ground.get(ground_type)))


def _area_data(e: _Epci, ground_type: str) -> float:
    """getArea (data/stocks.js)"""
    if ground_type == "haies":
        return _pf(e.rows.hedges.get("area"))
    if ground_type == "forêt peupleraie":
        return _pf(e.rows.bdforet.get("peupleraies"))
    codes = AREA_CLC_CODES.get(ground_type)
    if not codes:
        raise FactorError(
            f"type de sol ALDO {ground_type!r} sans correspondance CLC (ALDO : « No CLC code "
            f"mapping found for ground type '{ground_type}' ») ; types possibles : "
            f"{sorted(AREA_CLC_CODES) + ['haies', 'forêt peupleraie']}."
        )
    total = 0.0
    for code in codes:
        v = e.rows.clc.get(code)
        if _truthy(v):
            total += _pf(v)
    if ground_type == "forêt feuillu":
        total -= _pf(e.rows.bdforet.get("peupleraies"))
    return total


def _biomass_density(e: _Epci, ground_type: str) -> float:
    """getBiomassCarbonDensity"""
    if ground_type == "forêt peupleraie":
        return _pf(e.rows.poplars.get("carbonDensity")) if e.rows.poplars else math.nan
    if ground_type.startswith("forêt"):
        return _forest_biomass_density(e, ground_type.split(" ")[1])
    return _or0(_pi(e.rows.biomass_nonforest.get(ground_type)))


def _forest_biomass_density(e: _Epci, forest_type: str) -> float:
    """getForestBiomassCarbonDensity"""
    row = e.rows.forest.get(forest_type)
    if row is None:
        raise FactorError(
            f"pas de biomasse forestière ALDO pour le type {forest_type!r} et l'EPCI "
            f"{e.rows.siren} (factors/aldo_epci/forest_biomass.csv.gz) ; réinstallez espass-geo."
        )
    return _pf(row.get("stock"))


def _litter_density(subtype: str) -> float:
    """getForestLitterCarbonDensity"""
    if subtype not in ("feuillu", "mixte", "conifere", "peupleraie"):
        raise FactorError(
            f"pas de densité de litière forestière ALDO pour le sous-type {subtype!r} (ALDO : « No "
            f"forest litter carbon density found for forest subtype '{subtype}' ») ; sous-types "
            "possibles : feuillu, mixte, conifere, peupleraie."
        )
    return FOREST_LITTER_TC_HA


def _wood_harvest(e: _Epci) -> dict[str, float]:
    """getAnnualWoodProductsHarvest"""
    def val(comp: str, cat: str) -> float:
        row = e.rows.wood.get(comp)
        if row is None:
            raise FactorError(
                f"pas de récolte de bois ALDO ({comp}) pour l'EPCI {e.rows.siren} "
                "(factors/aldo_epci/wood_harvest.csv.gz) ; réinstallez espass-geo."
            )
        return _pf(row.get(cat))
    return {"bo": val("feuillus", "recolteBo") + val("coniferes", "recolteBo"),
            "bi": val("feuillus", "recolteBi") + val("coniferes", "recolteBi")}


# ---- calculations/stocks/index.js
def _area(e: _Epci, key: str, overrides: Mapping[str, float] | None) -> float:
    """getArea (calculations/stocks/index.js)"""
    if overrides and key in overrides and overrides[key] is not None and (
            overrides[key] or overrides[key] == 0):
        return float(overrides[key])
    return _area_data(e, key)


def _stocks_by_keyword(e: _Epci, keyword: str, areas: Mapping[str, float],
                       ground_keyword: str | None = None, litter: bool = False) -> dict:
    """getStocksByKeyword"""
    area = _area(e, keyword, areas)
    gd = _carbon_density(e, ground_keyword or keyword)
    bd = _biomass_density(e, keyword)
    st = {"area": area, "groundDensity": gd, "groundStock": gd * area, "biomassDensity": bd,
          "biomassStock": bd * area, "forestLitterDensity": 0.0, "forestLitterStock": 0.0}
    if litter:
        ld = _litter_density(keyword.replace("forêt ", ""))
        st["forestLitterDensity"] = ld
        st["forestLitterStock"] = ld * area
    return st


def _areas_artificial(e: _Epci, areas: Mapping[str, float]) -> dict[str, float]:
    """getAreasSolsArtificiels"""
    imp, shr, tree = ("sols artificiels imperméabilisés", "sols artificiels arbustifs",
                      "sols artificiels arborés et buissonants")
    without_trees = _area(e, "sols artificiels non-arborés", {})
    with_trees = areas.get(tree)
    if _isnan(with_trees):
        with_trees = _area(e, "sols arborés", {})
    total = without_trees + with_trees
    p_imp = e.sealed
    p_green = 1 - p_imp
    a_imp = areas.get(imp)
    if _isnan(a_imp):
        a_imp = p_imp * total if with_trees < 0.2 * total else without_trees - with_trees
    a_shr = areas.get(shr)
    if _isnan(a_shr):
        if with_trees < 0.2 * (a_imp + with_trees):
            a_shr = p_green * (without_trees + with_trees) - with_trees
        else:
            a_shr = 0.0
    return {imp: float(a_imp), shr: float(a_shr), tree: float(with_trees)}


def _stocks_hedges(e: _Epci, areas: Mapping[str, float]) -> dict:
    """getStocksHaies"""
    d = _biomass_density(e, "forêt mixte")
    area = _area(e, "haies", areas)
    return {"area": area, "biomassDensity": d, "biomassStock": d * area}


def _stocks_wood(e: _Epci) -> dict[str, float]:
    """getStocksWoodProducts (stocks/woodProducts.js)"""
    if e.opt.wood_calculation == "consommation":
        share = _pf(e.rows.population) / FRANCE_POPULATION
        return {c: share * FRANCE_WOOD_STOCK_TC[c] for c in ("bo", "bi")}
    local = _wood_harvest(e)
    return {c: local[c] / FRANCE_WOOD_HARVEST_M3[c] * FRANCE_WOOD_STOCK_TC[c] for c in ("bo", "bi")}


def _stocks(e: _Epci) -> dict[str, dict]:
    """getStocks: ground type -> stock detail (children only; parents are their sums)."""
    areas = dict(e.opt.area_overrides)
    out: dict[str, dict] = {}
    for k in ("cultures", "zones humides", "vergers", "vignes"):
        out[k] = _stocks_by_keyword(e, k, areas)
    for k in _GT["prairies"]["children"]:
        out[k] = _stocks_by_keyword(e, k, areas, ground_keyword="prairies")
    for k in _GT["forêts"]["children"]:
        out[k] = _stocks_by_keyword(e, k, areas, ground_keyword="forêts", litter=True)
    areas.update(_areas_artificial(e, areas))
    for k in _GT["sols artificiels"]["children"]:
        gk = "sols artificiels enherbés" if k.endswith("arbustifs") else None
        out[k] = _stocks_by_keyword(e, k, areas, ground_keyword=gk)
    out["haies"] = _stocks_hedges(e, areas)
    out["produits bois"] = _stocks_wood(e)
    return out


# ---- data/flux.js
def _ground_flux_key(frm: str, to: str) -> str:
    return f"f_{_GT[frm].get('fluxId')}_{_GT[to].get('fluxId')}_%zpc"


def _ground_flux(e: _Epci, frm: str, to: str) -> float | None:
    """getAnnualGroundCarbonFlux (None = JavaScript undefined)."""
    if frm == "sols artificiels arbustifs":
        if to == "zones humides":
            return None
        return _ground_flux(e, "prairies zones arborées", to)
    if frm == "sols artificiels arborés et buissonants":
        if to in ("zones humides", "forêts"):
            return None
        return _ground_flux(e, "forêts", to)
    if to.startswith("sols") and frm in ("vergers", "vignes"):
        return _ground_flux(e, "cultures", to)
    if to == "sols artificiels imperméabilisés":
        if frm == "zones humides":
            return _add(_ground_flux(e, frm, "cultures"), _ground_flux(e, "cultures", to))
    elif to == "sols artificiels arbustifs":
        if frm.startswith("prairies"):
            return None
        if frm == "zones humides":
            return _ground_flux(e, frm, "prairies zones arborées")
    elif to == "sols artificiels arborés et buissonants":
        if frm.startswith("forêts"):
            return None
        if frm == "zones humides":
            return _ground_flux(e, frm, "forêts")
    v = e.rows.ground.get(_ground_flux_key(frm, to))
    return _pf(v) if _truthy(v) else None


def _litter_flux(frm: str, to: str) -> float | None:
    """getForestLitterFlux"""
    from_types = ("forêts", "sols artificiels arborés et buissonants",
                  "sols artificiels imperméabilisés")
    to_types = ("forêts", "sols artificiels arborés et buissonants")
    if frm == "forêts" and to not in to_types:
        return -FOREST_LITTER_TC_HA
    if frm not in from_types and to in to_types:
        return FOREST_LITTER_TC_HA
    return None


_BIOMASS_KEY_REPLACEMENTS = {
    "prairies zones arbustives vers prairies zones arborées":
        "prairies zones arbustives vers sols artificiels arborés et buissonants",
    "prairies zones herbacées vers prairies zones arborées":
        "prairies zones herbacées vers sols artificiels arborés et buissonants",
    "prairies zones arborées vers prairies zones arbustives":
        "prairies zones arborées vers sols artificiels arbustifs",
    "prairies zones herbacées vers prairies zones arbustives":
        "prairies zones herbacées vers sols artificiels arbustifs",
    "prairies zones arborées vers prairies zones herbacées":
        "prairies zones arborées vers sols artificiels imperméabilisés",
    "prairies zones arbustives vers prairies zones herbacées":
        "prairies zones arbustives vers sols artificiels imperméabilisés",
    "sols artificiels arborés et buissonants vers sols artificiels arbustifs":
        "sols artificiels arborés et buissonants vers prairies zones arbustives",
    "sols artificiels arborés et buissonants vers sols artificiels imperméabilisés":
        "sols artificiels arborés et buissonants vers prairies zones herbacées",
    "sols artificiels arbustifs vers sols artificiels arborés et buissonants":
        "zones humides vers prairies zones arborées",
    "sols artificiels arbustifs vers sols artificiels imperméabilisés":
        "zones humides vers prairies zones herbacées",
    "sols artificiels imperméabilisés vers sols artificiels arborés et buissonants":
        "sols artificiels imperméabilisés vers prairies zones arborées",
    "sols artificiels imperméabilisés vers sols artificiels arbustifs":
        "sols artificiels imperméabilisés vers prairies zones arbustives",
}


def _biomass_flux(e: _Epci, frm: str, to: str) -> float | None:
    """getBiomassFlux"""
    key = f"{frm} vers {to}"
    key = _BIOMASS_KEY_REPLACEMENTS.get(key, key)
    v = e.rows.biomass_nonforest.get(key)
    return _pf(v) if _truthy(v) else None


def _forest_growth_detail(e: _Epci, to: str) -> dict | None:
    """getForestBiomassDetail"""
    if to == "forêt peupleraie":
        row = e.rows.poplars
    else:
        row = e.rows.forest.get(to.split(" ")[1])
    if row is None:
        return None
    v = row.get("BILAN_CARB (tC∙ha-1∙an-1)")
    if not _truthy(v):
        return None
    prod = row.get("PRODUCTION (m3∙ha-1)")
    if not _truthy(prod):
        prod = row.get("PRODUCTION (m3∙ha-1∙an-1)")
    return {"flux": _pf(v), "growth": _pf(prod),
            "mortality": _pf(row.get("MORTALITE (m3∙ha-1∙an-1)")),
            "timberExtraction": _pf(row.get("PRELEVEMENT (m3∙ha-1∙an-1)")),
            "fluxMeterCubed": _pf(row.get("BILAN_M3 (m3∙ha-1∙an-1)")),
            "conversionFactor": _pf(row.get("Fexp (VOL -> CARB)"))}


def _from_forest_biomass_flux(e: _Epci, frm: str, to: str) -> float | None:
    """getFromForestBiomassFlux"""
    if to == "produits bois":
        return None
    return _biomass_density(e, to) - _biomass_density(e, frm)


def _year_multiplier(reservoir: str, frm: str, to: str) -> int | None:
    """yearMultiplier (20 = annual rate over ALDO's 20-year kinetics, 1 = one-off change)."""
    m = KINETIC_YEARS
    if reservoir == "sol":
        if frm == "sols artificiels imperméabilisés":
            return m
        if to == "sols artificiels imperméabilisés":
            return 1
        if frm == "zones humides" or to == "zones humides":
            return 1
        if to == "sols artificiels arborés et buissonants":
            return 1
        if frm == "sols artificiels arbustifs":
            return m
        if to == "sols artificiels arbustifs":
            return 1
        if frm == "sols artificiels arborés et buissonants":
            return m
        if frm == "forêts" or to == "forêts":
            return m
        if frm.startswith("prairies") or to.startswith("prairies"):
            return m
        if frm == "cultures":
            return m
        if to in ("cultures", "vergers", "vignes"):
            return 1
    elif reservoir == "biomasse":
        ignore = ("produits bois", "sols artificiels")
        if frm.startswith("forêt ") or to.startswith("forêt ") or frm in ignore or to in ignore:
            return None
        order = [
            ("from", "sols artificiels imperméabilisés", m), ("to", "sols artificiels imperméabilisés", 1),
            ("to", "prairies zones arborées", m), ("from", "prairies zones arborées", 1),
            ("from", "zones humides", m), ("to", "zones humides", 1),
            ("from", "cultures", m), ("to", "cultures", 1),
            ("from", "sols artificiels arborés et buissonants", 1),
            ("to", "sols artificiels arborés et buissonants", m),
            ("from", "prairies zones herbacées", m), ("to", "prairies zones herbacées", 1),
            ("from", "vergers", 1), ("to", "vergers", m),
            ("from", "vignes", m), ("to", "vignes", 1),
            ("from", "prairies zones arbustives", 1), ("to", "prairies zones arbustives", m),
        ]
        for side, name, value in order:
            if (frm if side == "from" else to) == name:
                return value
    return 1  # ALDO logs "ERROR: multiplier not found" and returns 1


def _all_annual_fluxes(e: _Epci) -> list[dict]:
    """getAllAnnualFluxes"""
    fluxes: list[dict] = []
    forest_from = ("forêt mixte", "forêt conifere", "forêt feuillu")
    for fg in GROUND_TYPES:
        frm = fg["id"]
        for tg in GROUND_TYPES:
            to = tg["id"]
            if frm == to:
                continue
            if fg.get("fluxId") and tg.get("fluxId"):
                f = _ground_flux(e, frm, to)
                if f is not None:
                    fluxes.append({"from": frm, "to": to, "annualFlux": f,
                                   "yearsForFlux": _year_multiplier("sol", frm, to),
                                   "reservoir": "sol", "gas": "C"})
                lf = _litter_flux(frm, to)
                if lf is not None:
                    fluxes.append({"from": frm, "to": to, "annualFlux": lf,
                                   "yearsForFlux": None, "reservoir": "litière", "gas": "C"})
            ignore = ("prairies", "haies", "forêts")
            if frm not in ignore and to not in ignore:
                bf = _biomass_flux(e, frm, to)
                if bf is not None:
                    fluxes.append({"from": frm, "to": to, "annualFlux": bf,
                                   "yearsForFlux": _year_multiplier("biomasse", frm, to),
                                   "reservoir": "biomasse", "gas": "C"})
            if (frm in forest_from and to not in forest_from and to != "forêt peupleraie"
                    and not tg.get("children")):
                bf = _from_forest_biomass_flux(e, frm, to)
                if bf is not None:
                    fluxes.append({"from": frm, "to": to, "annualFlux": bf,
                                   "yearsForFlux": None, "reservoir": "biomasse", "gas": "C"})
    for g in GROUND_TYPES:
        if not g["id"].startswith("forêt "):
            continue
        detail = _forest_growth_detail(e, g["id"])
        if detail is None:  # ALDO 7ef0a6a would crash here (TypeError); we skip the entry
            continue
        fluxes.append({"from": None, "to": g["id"], "annualFlux": detail["flux"],
                       "yearsForFlux": None, "reservoir": "biomasse", "gas": "C",
                       "forest_growth": True, **detail})
    return fluxes


def _clc_change(e: _Epci, frm: str, to: str) -> float:
    """getAnnualSurfaceChange (data/flux.js)"""
    if to.startswith("forêt "):
        # not a change: the BD Forêt area of the composition, used for forest growth
        return _pf(e.rows.bdforet.get(to.split(" ")[1] + "s"))
    from_codes = _GT[frm].get("clc") if frm else None
    to_codes = _GT[to].get("clc")
    if not from_codes or not to_codes:
        return 0.0
    total = 0.0
    for a in from_codes:
        for b in to_codes:
            v = e.rows.changes.get(f"{a}-{b}")
            if _truthy(v):
                total += _pf(v)
    yearly = total / CHANGE_PERIOD_YEARS
    exc = _artificial_exception(e, frm, to, yearly)
    return yearly if exc is None else exc


def _artificial_exception(e: _Epci, frm: str, to: str, clc_annual: float) -> float | None:
    """getSolsArtificielsException"""
    p_imp = e.sealed
    p_green = 1 - p_imp
    tree = "sols artificiels arborés et buissonants"
    if to == "sols artificiels imperméabilisés":
        if frm == "sols artificiels arbustifs":
            return 0.0
        ch_tree = _clc_change(e, frm, tree)
        both = clc_annual + ch_tree
        return both * p_imp if ch_tree < p_green * both else clc_annual
    if to == "sols artificiels arbustifs":
        if frm == "sols artificiels imperméabilisés":
            return 0.0
        if frm.startswith("forêt "):
            return clc_annual * p_green if 0 < clc_annual * p_green else 0.0
        ch_tree = _clc_change(e, frm, tree)
        both = clc_annual + ch_tree
        return both * p_green - ch_tree if ch_tree < p_green * both else 0.0
    if to == tree:
        if frm in ("sols artificiels arbustifs", "prairies zones arborées",
                   "prairies zones arbustives", "vergers", "vignes", "zones humides"):
            return 0.0
    return None


# ---- calculations/flux/index.js
def _annual_change(e: _Epci, frm: str | None, to: str) -> tuple[float, float, bool]:
    """getAnnualSurfaceChange (calculations/flux/index.js): (area, originalArea, areaModified),
    the user's override first."""
    area = None
    if frm:
        fd, td = _GT[frm], _GT[to]
        key = (f"{fd.get('altFluxId') or fd.get('fluxId') or 'undefined'}_"
               f"{td.get('altFluxId') or td.get('fluxId') or 'undefined'}")
        ov = e.opt.change_overrides.get(key)
        if ov is not None and ov >= 0:
            area = float(ov)
    original = _clc_change(e, frm, to)
    if area is None:
        return original, original, False
    return area, original, True


def _n2o(e: _Epci, flux_tc: float) -> float:
    """convertN2O: tN2O/an from a soil + litter loss (tC/an, negative)."""
    o = e.opt
    return (flux_tc / o.cn_ratio * 0.01 * o.n2o_ratio
            + flux_tc / o.cn_ratio * 0.3 * 0.0075 * 44 / 28)


def _annual_fluxes(e: _Epci) -> list[dict]:
    """getAnnualFluxes: every flux entry, ALDO's order."""
    fluxes = _all_annual_fluxes(e)
    for f in fluxes:
        f["area"], f["originalArea"], f["areaModified"] = _annual_change(e, f["from"], f["to"])
        f["annualFluxEquivalent"] = f["annualFlux"] * C_TO_CO2
        unit = f["annualFlux"] * f["yearsForFlux"] if f["yearsForFlux"] else f["annualFlux"]
        f["flux"] = unit
        f["value"] = unit * f["area"]
        f["co2e"] = f["value"] * C_TO_CO2
    extra = []
    for g in [f for f in fluxes if f["reservoir"] == "sol"]:
        litter = next((f for f in fluxes if f["reservoir"] == "litière"
                       and f["from"] == g["from"] and f["to"] == g["to"]), {})
        total = _or0(g.get("value")) + _or0(litter.get("value"))
        if total < 0:
            n2o = _n2o(e, total)
            extra.append({"from": g["from"], "to": g["to"], "value": n2o,
                          "reservoir": "sol et litière", "gas": "N2O",
                          "co2e": n2o * e.opt.gwp_n2o, "area": None, "flux": None,
                          "yearsForFlux": None, "soil_litter_tC": total})
    fluxes.extend(extra)
    fluxes.extend(_wood_fluxes(e))
    for practice, area in e.opt.agricultural_practices.items():
        if practice not in PRACTICE_GROUND_TYPE:
            raise FactorError(
                f"pratique agricole ALDO inconnue {practice!r} ; pratiques possibles : "
                f"{sorted(PRACTICE_GROUND_TYPE)}."
            )
        for reservoir in ("sol", "biomasse"):
            unit = PRACTICE_FLUX[reservoir].get(practice)
            value = (unit * area) if unit is not None else math.nan
            if value and not math.isnan(value):
                fluxes.append({"from": None, "to": PRACTICE_GROUND_TYPE[practice],
                               "practice": practice, "area": area, "flux": unit,
                               "areaModified": area != 0, "fluxEquivalent": unit * C_TO_CO2,
                               "yearsForFlux": None, "reservoir": reservoir, "gas": "C",
                               "value": value, "co2e": value * C_TO_CO2})
    return fluxes


def _wood_fluxes(e: _Epci) -> list[dict]:
    """getFluxWoodProducts (flux/woodProducts.js): tCO2/an, positive = sink."""
    if e.opt.wood_calculation == "consommation":
        pop = _pf(e.rows.population)
        share = {c: pop / FRANCE_POPULATION for c in ("bo", "bi")}
        extra = {c: {"localPopulation": pop, "francePopulation": FRANCE_POPULATION}
                 for c in ("bo", "bi")}
    else:
        local = _wood_harvest(e)
        share = {c: local[c] / FRANCE_WOOD_HARVEST_M3[c] for c in ("bo", "bi")}
        extra = {c: {"localHarvest": local[c], "franceHarvest": FRANCE_WOOD_HARVEST_M3[c]}
                 for c in ("bo", "bi")}
    return [{"from": None, "to": "produits bois", "gas": "CO2", "reservoir": None,
             "category": c, "value": share[c] * FRANCE_WOOD_SINK_TCO2[c],
             "co2e": share[c] * FRANCE_WOOD_SINK_TCO2[c], "area": None, "flux": None,
             "yearsForFlux": None, "localPortion": share[c],
             "franceSequestration": FRANCE_WOOD_SINK_TCO2[c], **extra[c]} for c in ("bo", "bi")]


def _summary(fluxes: list[dict]) -> tuple[dict[str, dict[str, float]], float]:
    """getAnnualFluxes summary: per 'to' ground type and its parent (tC/an, tCO2e/an)."""
    summary: dict[str, dict[str, float]] = {}
    total = 0.0
    for f in fluxes:
        total += f["co2e"]
        targets = [f["to"]]
        parent = _GT[f["to"]].get("parent")
        if parent:
            targets.append(parent)
        for t in targets:
            s = summary.setdefault(t, {"totalCarbonSequestration": 0.0, "totalSequestration": 0.0})
            if f["gas"] == "C":
                s["totalCarbonSequestration"] += f["value"]
            s["totalSequestration"] += f["co2e"]
            if f.get("areaModified"):
                s["areaModified"] = s["hasModifications"] = f["areaModified"]
    return summary, total


# --------------------------------------------------------------------------- user inputs
def _clc_from_areas(areas: pd.DataFrame, siren: str) -> dict[str, float] | None:
    df = _for_siren(areas, siren, "areas")
    code_col = next((c for c in ("clc_code", "code_clc", "code") if c in df.columns), None)
    if code_col is None:
        return None
    if "area_ha" not in df.columns:
        raise AreaTableError(
            f"table des surfaces pour aldo-epci (EPCI {siren}) sans colonne 'area_ha' ; "
            "colonnes attendues : clc_code, area_ha (ha)."
        )
    codes = df[code_col].astype(str).str.strip()
    _check_clc_codes(codes, "areas", siren)
    return {str(k): float(v) for k, v in
            pd.to_numeric(df["area_ha"], errors="raise").groupby(codes.values).sum().items()}


def _check_clc_codes(codes: Iterable[str], what: str, siren: str) -> None:
    bad = sorted({c for c in codes if not (len(c) == 3 and c.isdigit() and "111" <= c <= "523")})
    if bad:
        raise UnknownLandCoverClassError(
            f"codes d'occupation du sol {bad[:10]} inconnus de la méthode aldo-epci dans la table "
            f"{what} (EPCI {siren}) ; donnez des codes CLC de niveau 3 (111 à 523). Les codes "
            "d'extension espass_geo 901/902/903 n'existent pas dans ALDO : ALDO répartit "
            "lui-même les sols artificiels (80/20) et prend les peupleraies dans la BD Forêt ; "
            "pour imposer une surface par type, donnez une colonne 'land_use' (ou 'ground_type')."
        )


def _for_siren(df: pd.DataFrame, siren: str, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise AreaTableError(
            f"la table {what} de aldo-epci doit être un DataFrame (reçu {type(df).__name__})."
        )
    for col in ("siren", "zone_id"):
        if col in df.columns:
            return df[df[col].astype(str).str.strip() == siren]
    return df


def _ground_type_overrides(areas: pd.DataFrame, siren: str) -> dict[str, float]:
    df = _for_siren(areas, siren, "areas")
    if "ground_type" in df.columns:
        keys = df["ground_type"].astype(str)
    elif "land_use" in df.columns:
        unknown = sorted(set(df["land_use"].astype(str)) - set(LAND_USE_TO_GROUND_TYPE))
        if unknown:
            raise UnknownLandCoverClassError(
                f"usages du sol {unknown} sans type ALDO dans la table areas (EPCI {siren}) ; "
                f"usages possibles : {sorted(LAND_USE_TO_GROUND_TYPE)}."
            )
        keys = df["land_use"].astype(str).map(LAND_USE_TO_GROUND_TYPE)
    else:
        raise AreaTableError(
            f"table areas de aldo-epci (EPCI {siren}) sans colonne clc_code, land_use ni "
            "ground_type ; colonnes attendues : clc_code + area_ha (surfaces CLC de l'EPCI) ou "
            "land_use + area_ha (surface imposée par usage)."
        )
    if "area_ha" not in df.columns:
        raise AreaTableError(
            f"table areas de aldo-epci (EPCI {siren}) sans colonne 'area_ha' ; ajoutez les surfaces "
            "en hectares."
        )
    vals = pd.to_numeric(df["area_ha"], errors="raise")
    return {str(k): float(v) for k, v in vals.groupby(keys.values).sum().items()}


def _changes_from_table(changes: pd.DataFrame, siren: str, period_years: float
                        ) -> dict[str, str]:
    df = _for_siren(changes, siren, "changes")
    cols = {"clc_from", "clc_to"}
    alt = {"code12", "code18"}
    if cols <= set(df.columns):
        a, b = df["clc_from"], df["clc_to"]
    elif alt <= set(df.columns):
        a, b = df["code12"], df["code18"]
    else:
        raise AreaTableError(
            f"table changes de aldo-epci (EPCI {siren}) sans colonnes clc_from/clc_to (ou "
            "code12/code18) ; colonnes attendues : clc_from, clc_to, area_ha (ha sur la période)."
        )
    if "area_ha" not in df.columns:
        raise AreaTableError(
            f"table changes de aldo-epci (EPCI {siren}) sans colonne 'area_ha' ; ajoutez la "
            "surface changée en hectares sur la période."
        )
    a = a.astype(str).str.strip()
    b = b.astype(str).str.strip()
    _check_clc_codes(list(a) + list(b), "changes", siren)
    # ALDO divides the CLC change by 6 years: rescale so that a change over `period_years`
    # gives the right ha/an.
    area = pd.to_numeric(df["area_ha"], errors="raise") * CHANGE_PERIOD_YEARS / period_years
    keys = (a + "-" + b).values
    return {str(k): repr(float(v)) for k, v in area.groupby(keys).sum().items()}


def _epci(siren: str, opt: AldoEpciOptions, areas: pd.DataFrame | None = None,
          changes: pd.DataFrame | None = None, period_years: float = CHANGE_PERIOD_YEARS) -> _Epci:
    rows = epci_rows(siren)
    rows = replace(rows, clc=dict(rows.clc), changes=dict(rows.changes))
    if areas is not None:
        clc = _clc_from_areas(areas, rows.siren)
        if clc is not None:
            rows.clc = {k: repr(v) for k, v in clc.items()}
        else:
            ov = dict(opt.area_overrides)
            ov.update(_ground_type_overrides(areas, rows.siren))
            opt = replace(opt, area_overrides=ov)
    if changes is not None:
        rows.changes = _changes_from_table(changes, rows.siren, period_years)
    return _Epci(rows, opt)


def _sirens(siren: str | Iterable[str]) -> list[str]:
    if isinstance(siren, (str, int)):
        return [str(siren).strip()]
    out = [str(s).strip() for s in siren]
    if not out:
        raise FactorError("aucun SIREN d'EPCI donné à aldo-epci ; donnez au moins un SIREN.")
    return out


# --------------------------------------------------------------------------- public API
STOCK_COLUMNS = ["siren", "epci_name", "ground_type", "land_use", "pool", "detail", "area_ha",
                 "density_tC_ha", "stock_tC", "stock_tCO2e", "method", "factor_source"]
FLOW_COLUMNS = ["siren", "epci_name", "category", "ground_type_from", "ground_type_to",
                "land_use_from", "land_use_to", "pool", "gas", "detail", "area_ha_an",
                "unit_flux_tC_ha", "years", "flux_tC_an", "flux_tN2O_an", "flux_tCO2e_an",
                "method", "factor_source", "convention"]


def aldo_epci_stocks(siren: str | list[str], *, areas: pd.DataFrame | None = None,
                     options: AldoEpciOptions | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Carbon stocks of one or several EPCI, ALDO's per-EPCI web app (7ef0a6a) exactly.

    One row per EPCI × ALDO ground type × pool: ``soil`` (0–30 cm), ``litter`` (forests, 9 tC/ha),
    ``live_biomass``, ``hedges`` (hedge area × the EPCI's mixed-forest biomass density) and
    ``wood_products`` (two rows, ``detail`` = ``bo`` lumber / ``bi`` industry wood). Parent types
    (prairies, forêts, sols artificiels) are not repeated: sum their children.

    ``areas`` (optional) replaces ALDO's CLC 2018 areas of the EPCI: columns ``clc_code`` and
    ``area_ha`` (CLC level-3 codes; optional ``siren`` column for several EPCI), or forces the
    area of ALDO types: ``land_use`` (espass_geo ids, :data:`LAND_USE_TO_GROUND_TYPE`) or
    ``ground_type`` (ALDO ids) and ``area_ha`` — ALDO's ``options.areas``.
    """
    opt = _options(options)
    rows = []
    for s in _sirens(siren):
        e = _epci(s, opt, areas=areas)
        for gt, st in _stocks(e).items():
            base = {"siren": s, "epci_name": e.rows.name, "ground_type": gt,
                    "land_use": GROUND_TYPE_TO_LAND_USE[gt], "detail": "",
                    "method": METHOD, "factor_source": SOURCE}
            if gt == "produits bois":
                for c in ("bo", "bi"):
                    rows.append({**base, "pool": "wood_products", "detail": c,
                                 "area_ha": math.nan, "density_tC_ha": math.nan,
                                 "stock_tC": st[c]})
            elif gt == "haies":
                rows.append({**base, "pool": "hedges", "area_ha": st["area"],
                             "density_tC_ha": st["biomassDensity"],
                             "stock_tC": st["biomassStock"]})
            else:
                for pool, dk, sk in (("soil", "groundDensity", "groundStock"),
                                     ("litter", "forestLitterDensity", "forestLitterStock"),
                                     ("live_biomass", "biomassDensity", "biomassStock")):
                    if pool == "litter" and not gt.startswith("forêt "):
                        continue
                    rows.append({**base, "pool": pool, "area_ha": st["area"],
                                 "density_tC_ha": st[dk], "stock_tC": st[sk]})
    out = pd.DataFrame(rows, columns=[c for c in STOCK_COLUMNS if c != "stock_tCO2e"])
    out["stock_tCO2e"] = out["stock_tC"] * C_TO_CO2
    return out[STOCK_COLUMNS]


def _category(f: dict) -> str:
    if f.get("forest_growth"):
        return "forest_growth"
    if f.get("practice"):
        return "agricultural_practice"
    if f["to"] == "produits bois":
        return "wood_products"
    if f["gas"] == "N2O":
        return "n2o"
    return {"sol": "soil", "litière": "litter", "biomasse": "biomass"}[f["reservoir"]]


def aldo_epci_flows(siren: str | list[str], *, changes: pd.DataFrame | None = None,
                    options: AldoEpciOptions | Mapping[str, Any] | None = None,
                    period_years: float = CHANGE_PERIOD_YEARS) -> pd.DataFrame:
    """Annual carbon flows of one or several EPCI, ALDO's per-EPCI web app (7ef0a6a) exactly.

    One row per ALDO flux entry (ALDO's order): ``category`` is ``soil``, ``litter``,
    ``biomass`` (per transition ``ground_type_from`` → ``ground_type_to``), ``n2o`` (N2O of a
    soil + litter loss), ``forest_growth`` (net growth of the BD Forêt area of each composition,
    poplars included), ``wood_products`` (``detail`` bo / bi) or ``agricultural_practice``.
    ``flux_tCO2e_an`` follows ALDO's sign: **positive = sequestration**. ALDO has no hedge flow
    and no dead-wood pool.

    ``changes`` (optional) replaces ALDO's CLC 2012→2018 changes of the EPCI: columns
    ``clc_from``, ``clc_to`` (or ``code12``, ``code18``) and ``area_ha`` (ha changed over
    ``period_years`` years, 6 for CLC 2012→2018).
    """
    opt = _options(options)
    if not period_years or period_years <= 0:
        raise FactorError(
            f"period_years={period_years!r} invalide ; donnez la durée en années (> 0) de la "
            "période des changements (6 pour CLC 2012→2018)."
        )
    rows = []
    for s in _sirens(siren):
        e = _epci(s, opt, changes=changes, period_years=period_years)
        for f in _annual_fluxes(e):
            cat = _category(f)
            gas = f["gas"]
            frm = f.get("from")
            rows.append({
                "siren": s, "epci_name": e.rows.name, "category": cat,
                "ground_type_from": frm or "", "ground_type_to": f["to"],
                "land_use_from": GROUND_TYPE_TO_LAND_USE.get(frm, "") if frm else "",
                "land_use_to": GROUND_TYPE_TO_LAND_USE[f["to"]],
                "pool": "wood_products" if cat == "wood_products" else _POOL[f["reservoir"]],
                "gas": gas, "detail": f.get("category") or f.get("practice") or "",
                "area_ha_an": f["area"] if f.get("area") is not None else math.nan,
                "unit_flux_tC_ha": f["flux"] if f.get("flux") is not None else math.nan,
                "years": f["yearsForFlux"] or (1 if gas == "C" else math.nan),
                "flux_tC_an": f["value"] if gas == "C" else math.nan,
                "flux_tN2O_an": f["value"] if gas == "N2O" else math.nan,
                "flux_tCO2e_an": f["co2e"],
                "method": METHOD, "factor_source": SOURCE, "convention": CONVENTION,
            })
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)


def aldo_epci_summary(siren: str | list[str], *, areas: pd.DataFrame | None = None,
                      changes: pd.DataFrame | None = None,
                      options: AldoEpciOptions | Mapping[str, Any] | None = None) -> dict:
    """Totals of one EPCI (or the sum over several): stock per pool (tC), total stock (tC,
    tCO2e), flow per category (tCO2e/an), ALDO's per-ground-type flow summary and the net flow
    (tCO2e/an, positive = sequestration)."""
    sirens = _sirens(siren)
    st = aldo_epci_stocks(sirens, areas=areas, options=options)
    fl = aldo_epci_flows(sirens, changes=changes, options=options)
    opt = _options(options)
    by_type: dict[str, dict[str, float]] = {}
    for s in sirens:
        e = _epci(s, opt, changes=changes)
        summ, _ = _summary(_annual_fluxes(e))
        for k, v in summ.items():
            acc = by_type.setdefault(k, {"totalCarbonSequestration": 0.0, "totalSequestration": 0.0})
            for kk in acc:
                acc[kk] += v[kk]
    stock_total = float(st["stock_tC"].sum())
    return {
        "sirens": sirens,
        "method": METHOD,
        "stock_tC": stock_total,
        "stock_tCO2e": stock_total * C_TO_CO2,
        "stock_by_pool_tC": {k: float(v) for k, v in st.groupby("pool")["stock_tC"].sum().items()},
        "flux_by_category_tCO2e_an": {k: float(v) for k, v in
                                      fl.groupby("category")["flux_tCO2e_an"].sum().items()},
        "flux_by_ground_type_tCO2e_an": {k: v["totalSequestration"] for k, v in by_type.items()},
        "flux_tCO2e_an": float(fl["flux_tCO2e_an"].sum()),
        "convention": CONVENTION,
    }


# --------------------------------------------------------------------------- ALDO-shaped output
def _js_round_pct(value: float, total: float) -> float:
    """asPercentage: Math.round(value / total * 1000) / 10 (JavaScript rounding, NaN kept)."""
    try:
        x = value / total * 1000
    except ZeroDivisionError:
        return math.nan
    if math.isnan(x) or math.isinf(x):
        return x
    return math.floor(x + 0.5) / 10


def aldo_js_stocks(siren: str, *, options: AldoEpciOptions | Mapping[str, Any] | None = None,
                   areas: pd.DataFrame | None = None) -> dict[str, Any]:
    """ALDO's ``getStocks`` result for one EPCI, with ALDO's own keys (``cultures``,
    ``'forêt mixte'``…: ``area``, ``groundStock``, ``biomassStock``, ``forestLitterStock``,
    ``totalDensity``, ``stockPercentage``…, ``percentageByReservoir``, ``byDensity``,
    ``total``). For parity checks and for readers who know ALDO's app; the tabular output is
    :func:`aldo_epci_stocks`."""
    opt = _options(options)
    e = _epci(str(siren).strip(), opt, areas=areas)
    user_areas = dict(e.opt.area_overrides)
    original_areas: dict[str, float] = {}
    for key, value in user_areas.items():
        if not _isnan(value):
            if key.startswith("sols artificiels"):
                a = _areas_artificial(e, {})
                original_areas.update(a)
                original_areas["area"] = sum(a.values())
            else:
                original_areas[key] = _area_data(e, key)

    def by_kw(kw: str, areas_: Mapping[str, float], gk: str | None = None,
              litter: bool = False) -> dict[str, Any]:
        st = _stocks_by_keyword(e, kw, areas_, ground_keyword=gk, litter=litter)
        out = {"area": st["area"], "groundStock": st["groundStock"],
               "biomassStock": st["biomassStock"], "groundDensity": st["groundDensity"],
               "biomassDensity": st["biomassDensity"],
               "totalDensity": st["groundDensity"] + st["biomassDensity"]}
        out["totalReservoirStock"] = out["groundStock"] + out["biomassStock"]
        if litter:
            out["forestLitterDensity"] = st["forestLitterDensity"]
            out["totalDensity"] += st["forestLitterDensity"]
            out["forestLitterStock"] = st["forestLitterStock"]
            out["totalReservoirStock"] += st["forestLitterStock"]
        out["totalStock"] = out["totalReservoirStock"]
        return out

    def parent_of(subs: dict[str, dict]) -> dict[str, Any]:
        p = {"totalReservoirStock": 0.0, "area": 0.0, "groundStock": 0.0, "biomassStock": 0.0,
             "forestLitterStock": 0.0}
        for sub in subs.values():
            for k in ("totalReservoirStock", "area", "groundStock", "biomassStock"):
                p[k] += sub[k]
            if sub.get("forestLitterStock"):
                p["forestLitterStock"] += sub["forestLitterStock"]
        p["totalStock"] = p["totalReservoirStock"]
        return p

    stocks: dict[str, Any] = {}
    for k in ("cultures", "zones humides", "vergers", "vignes"):
        stocks[k] = by_kw(k, user_areas)
    # produits bois
    if opt.wood_calculation == "consommation":
        pop = _pf(e.rows.population)
        share = pop / FRANCE_POPULATION
        bi, bo = share * FRANCE_WOOD_STOCK_TC["bi"], share * FRANCE_WOOD_STOCK_TC["bo"]
        stocks["produits bois"] = {
            "totalReservoirStock": bi + bo, "totalStock": bi + bo, "localPopulation": pop,
            "francePopulation": FRANCE_POPULATION, "portionPopulation": share,
            "biFranceStocksTotal": FRANCE_WOOD_STOCK_TC["bi"],
            "boFranceStocksTotal": FRANCE_WOOD_STOCK_TC["bo"], "biStock": bi, "boStock": bo}
    else:
        local = _wood_harvest(e)
        w = {c: local[c] / FRANCE_WOOD_HARVEST_M3[c] * FRANCE_WOOD_STOCK_TC[c] for c in ("bo", "bi")}
        stocks["produits bois"] = {
            "totalReservoirStock": w["bo"] + w["bi"], "totalStock": w["bo"] + w["bi"],
            "boLocalHarvestTotal": local["bo"], "biLocalHarvestTotal": local["bi"],
            "boFranceHarvestTotal": FRANCE_WOOD_HARVEST_M3["bo"],
            "biFranceHarvestTotal": FRANCE_WOOD_HARVEST_M3["bi"],
            "boPortion": local["bo"] / FRANCE_WOOD_HARVEST_M3["bo"],
            "biPortion": local["bi"] / FRANCE_WOOD_HARVEST_M3["bi"],
            "boFranceStocksTotal": FRANCE_WOOD_STOCK_TC["bo"],
            "biFranceStocksTotal": FRANCE_WOOD_STOCK_TC["bi"], "boStock": w["bo"], "biStock": w["bi"]}
    h = _stocks_hedges(e, user_areas)
    stocks["haies"] = {"totalReservoirStock": h["biomassStock"], "totalStock": h["biomassStock"],
                       "area": h["area"], "biomassDensity": h["biomassDensity"],
                       "groundDensity": 0, "biomassStock": h["biomassStock"],
                       "totalDensity": h["biomassDensity"]}
    groups = (("prairies", "prairies", None, False), ("forêts", "forêts", None, True),
              ("sols artificiels", None, None, False))
    for parent, gk, _, litter in groups:
        if parent == "sols artificiels":
            user_areas.update(_areas_artificial(e, user_areas))
        subs = {}
        for c in _GT[parent]["children"]:
            g = gk
            if parent == "sols artificiels":
                g = "sols artificiels enherbés" if c.endswith("arbustifs") else None
            subs[c] = by_kw(c, user_areas, gk=g, litter=litter)
            subs[c]["parent"] = parent
        stocks.update(subs)
        stocks[parent] = parent_of(subs)
        stocks[parent]["children"] = list(_GT[parent]["children"])

    parents = [k for k in stocks if not stocks[k].get("parent")]
    total = sum(stocks[k]["totalStock"] for k in parents)
    gl_total = sum((stocks[k].get("groundStock") or 0) + (stocks[k].get("forestLitterStock") or 0)
                   for k in parents)
    bio_total = sum(stocks[k].get("biomassStock") or 0 for k in parents)
    for k in parents:
        s = stocks[k]
        s["stockPercentage"] = _js_round_pct(s["totalStock"], total)
        gl = s.get("groundStock", math.nan) + (s.get("forestLitterStock") or 0)
        s["groundAndLitterStockPercentage"] = _js_round_pct(gl, gl_total)
        s["biomassStockPercentage"] = _js_round_pct(s.get("biomassStock", math.nan), bio_total)
    soil = sum(stocks[k].get("groundStock") or 0 for k in parents)
    litter_total = sum(stocks[k].get("forestLitterStock") or 0 for k in parents)
    by_density = {k: (v["totalDensity"] or 0) for k, v in stocks.items()
                  if k != "produits bois" and "totalDensity" in v}
    modified = list(original_areas)
    for k, v in stocks.items():
        if k in _GT:
            if _isnan(original_areas.get(k)):
                v["originalArea"] = v.get("area")
                children = _GT[k].get("children")
                mod = any(c in modified for c in children) if children else None
                v["areaModified"] = v["hasModifications"] = mod
            else:
                v["originalArea"] = original_areas[k]
                v["areaModified"] = v["hasModifications"] = True
    stocks["percentageByReservoir"] = {
        "Sol (30 cm)": _js_round_pct(soil, total),
        "Biomasse sur pied": _js_round_pct(bio_total, total),
        "Litière": _js_round_pct(litter_total, total),
        "Matériaux bois": _js_round_pct(stocks["produits bois"]["totalStock"], total)}
    stocks["byDensity"] = by_density
    stocks["total"] = total
    stocks["totalEquivalent"] = total * C_TO_CO2
    return stocks


def aldo_js_fluxes(siren: str, *, options: AldoEpciOptions | Mapping[str, Any] | None = None,
                   changes: pd.DataFrame | None = None,
                   period_years: float = CHANGE_PERIOD_YEARS) -> dict[str, Any]:
    """ALDO's ``getAnnualFluxes`` result for one EPCI: ``allFlux`` (ALDO's flux entries, ALDO's
    keys and order), ``summary`` (per ground type) and ``total`` (tCO2e/an, positive =
    sequestration). The tabular output is :func:`aldo_epci_flows`."""
    e = _epci(str(siren).strip(), _options(options), changes=changes, period_years=period_years)
    fluxes = _annual_fluxes(e)
    summary, total = _summary(fluxes)
    return {"allFlux": fluxes, "summary": summary, "total": total}


def aldo_js_epci(name_or_siren: str, by_siren: bool = False) -> dict[str, Any]:
    """ALDO's ``getEpci``: the EPCI of ALDO's 2018 list by name (or by SIREN):
    ``code``, ``nom``, ``populationTotale`` (ALDO's ``membres`` list is not shipped)."""
    from espass_geo.reference.aldo_epci_tables import aldo_epci_table
    t = aldo_epci_table("epci")
    hit = t[t["code"] == str(name_or_siren)] if by_siren else t[t["nom"] == str(name_or_siren)]
    if hit.empty:
        raise FactorError(
            f"EPCI {name_or_siren!r} absent de la liste ALDO 2018 (factors/aldo_epci/epci.csv.gz) ; "
            "vérifiez le nom exact ou donnez le SIREN."
        )
    r = hit.iloc[0]
    return {"code": r["code"], "nom": r["nom"], "populationTotale": int(_pf(r["populationTotale"]))}
