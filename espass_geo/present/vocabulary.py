"""One French vocabulary for every output: ids of the tables → labels a reader sees.

The labels of land uses, PCAET sectors, ESPASS posts, substances and practices are generated
from the label columns of the factor tables (``land_use_classes``, ``pcaet_sectors``,
``espass_posts``, ``substances``, ``practices_aldo``) of the *active* factor set
(:func:`espass_geo.reference.factor_set.use_factors`): they are looked up when a label is
asked for, never frozen at import, so a set that amends a label shows it in the charts, the
report, the exports and the maps. The few vocabularies that no factor table holds (themes of the
bilan, causes of the carbon flows, scenario levers, confidence levels, units) are defined here
once; the carbon pools are :data:`espass_geo.constants.POOL_LABELS_FR`.

The ``*_LABELS_FR`` names are read-only mappings; the generated ones read the active set at
each access (``SECTOR_LABELS_FR["agriculture"]``, ``list(POST_LABELS_FR)`` in table order).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from espass_geo.constants import POOL_LABELS_FR
from espass_geo.reference import data

__all__ = [
    "BASELINE_LABEL_FR",
    "CAUSE_LABELS_FR",
    "CONFIDENCE_LABELS_FR",
    "LAND_USE_LABELS_FR",
    "LEVER_LABELS_FR",
    "POOL_LABELS_FR",
    "POST_LABELS_FR",
    "PRACTICE_LABELS_FR",
    "SECTOR_LABELS_FR",
    "SUBSTANCE_LABELS_FR",
    "SUBSTANCE_NAMES_FR",
    "THEME_LABELS_FR",
    "category_label",
    "item_label",
    "lever_label",
    "substance_symbol",
    "unit_fr",
]


class _ActiveLabels(Mapping[str, str]):
    """Read-only ``id -> label`` mapping rebuilt from the active factor set at each access
    (one build per factor set: ``build`` is a :func:`espass_geo.reference.data.factor_cache`)."""

    def __init__(self, build: Callable[[], dict[str, str]], name: str) -> None:
        self._build = build
        self._name = name

    def __getitem__(self, key: str) -> str:
        return self._build()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._build())

    def __repr__(self) -> str:
        return f"{self._name}({self._build()!r})"


def _column(table: str, key: str, label: str = "label_fr") -> dict[str, str]:
    """``key -> label`` of a factor table of the active set, in the table's order (empty
    labels left out)."""
    t = data.factor_table(table)
    return {str(k): str(v).strip() for k, v in zip(t[key], t[label], strict=True)
            if isinstance(v, str) and v.strip()}


# --------------------------------------------------------------------------------------------
# Generated from the factor tables
# --------------------------------------------------------------------------------------------

#: Groups of land uses that are not classes of ``land_use_classes`` (results aggregated by
#: group, hedges and wood products in the stocks table); a class of the table wins.
_LAND_USE_GROUPS_FR: dict[str, str] = {
    "cropland": "Cultures",
    "grassland": "Prairies",
    "forest": "Forêts",
    "wetland": "Zones humides et eau",
    "orchard": "Vergers",
    "vineyard": "Vignes",
    "artificial": "Sols artificiels",
    "hedges": "Haies",
    "wood_products": "Produits bois",
}


@data.factor_cache
def _land_use_labels() -> dict[str, str]:
    return {**_LAND_USE_GROUPS_FR, **_column("land_use_classes", "land_use")}


@data.factor_cache
def _sector_labels() -> dict[str, str]:
    return _column("pcaet_sectors", "sector")


@data.factor_cache
def _post_labels() -> dict[str, str]:
    return _column("espass_posts", "post")


@data.factor_cache
def _practice_labels() -> dict[str, str]:
    return _column("practices_aldo", "practice")


_SUBSCRIPTS = str.maketrans("0123456789.", "₀₁₂₃₄₅₆₇₈₉,")


def substance_symbol(code: str) -> str:
    """A substance code as written for a reader: digits as subscripts, decimal comma, the ``x``
    of ``NOx`` as a subscript.

    >>> [substance_symbol(c) for c in ("PM2.5", "NOx", "N2O", "COVNM")]
    ['PM₂,₅', 'NOₓ', 'N₂O', 'COVNM']
    """
    code = str(code)
    text = code.translate(_SUBSCRIPTS)
    return text[:-1] + "ₓ" if re.fullmatch(r"[A-Z]+x", code) else text


@data.factor_cache
def _substance_labels() -> dict[str, str]:
    """Symbols of ``substances``: the GHG aggregate first, the air pollutants, the gases."""
    t = data.factor_table("substances")
    codes = [str(c) for c in t["substance"]]
    kinds = dict(zip(codes, t["kind"].astype(str), strict=True))
    order = ([c for c in codes if c == "GES"]
             + [c for c in codes if kinds[c] == "pollutant"]
             + [c for c in codes if c != "GES" and kinds[c] != "pollutant"])
    return {c: substance_symbol(c) for c in order}


@data.factor_cache
def _substance_names() -> dict[str, str]:
    return _column("substances", "substance")


#: Land uses (``category`` of the stocks): ``land_use_classes.label_fr`` and a few groups.
LAND_USE_LABELS_FR: Mapping[str, str] = _ActiveLabels(_land_use_labels, "LAND_USE_LABELS_FR")
#: PCAET sectors (direct emissions), in the order of ``pcaet_sectors``.
SECTOR_LABELS_FR: Mapping[str, str] = _ActiveLabels(_sector_labels, "SECTOR_LABELS_FR")
#: ESPASS posts (consumption footprint), in the order of ``espass_posts``.
POST_LABELS_FR: Mapping[str, str] = _ActiveLabels(_post_labels, "POST_LABELS_FR")
#: Agricultural practices (``practices_aldo.label_fr``).
PRACTICE_LABELS_FR: Mapping[str, str] = _ActiveLabels(_practice_labels, "PRACTICE_LABELS_FR")
#: Substances as written in charts and tables (``"PM2.5"`` → ``"PM₂,₅"``), GES first, then the
#: air pollutants and the gases of ``substances``.
SUBSTANCE_LABELS_FR: Mapping[str, str] = _ActiveLabels(_substance_labels, "SUBSTANCE_LABELS_FR")
#: Full names of the substances (``substances.label_fr``: ``"NH3"`` → ``"Ammoniac"``).
SUBSTANCE_NAMES_FR: Mapping[str, str] = _ActiveLabels(_substance_names, "SUBSTANCE_NAMES_FR")


# --------------------------------------------------------------------------------------------
# Vocabularies held by no factor table
# --------------------------------------------------------------------------------------------

#: Themes of the bilan table, in the order of the report and of the workbook.
THEME_LABELS_FR: Mapping[str, str] = {
    "stocks": "Stocks de carbone des sols et de la biomasse",
    "flux_carbone": "Flux de carbone des sols et de la biomasse",
    "emissions_secteur": "Émissions directes de GES par secteur PCAET",
    "emissions_poste": "Émissions de GES de consommation par poste ESPASS",
    "emissions_poste_direct": "Émissions directes de GES réparties par poste ESPASS",
    "polluants": "Polluants atmosphériques par secteur PCAET",
    "scenario": "Scénarios : écart cumulé au tendanciel",
}

#: Causes of the carbon flows (``category`` of the ``flux_carbone`` rows of the bilan).
CAUSE_LABELS_FR: Mapping[str, str] = {
    "land_use_change": "Changements d'occupation des sols",
    "forest_growth": "Croissance forestière",
    "wood_products": "Produits bois",
    "hedges": "Haies",
    "practices": "Pratiques agricoles",
    "practice": "Pratiques agricoles",
}

#: Scenario levers ("practice:<id>" levers: :data:`PRACTICE_LABELS_FR`, see
#: :func:`lever_label`).
LEVER_LABELS_FR: Mapping[str, str] = {
    "trend": "Tendance observée (changements d'occupation du sol)",
    "forest_growth": "Croissance forestière",
    "convert": "Conversions (boisement, prairie, zone humide)",
    "seal": "Artificialisation (projets)",
    "sealing": "Artificialisation (tendance ou trajectoire ZAN)",
    "renature": "Renaturation",
    "hedges": "Haies",
    "wood_products": "Produits bois",
    "total": "Total",
}
PRACTICE_PREFIX: str = "practice:"
#: Name of the reference scenario in the engine's tables, and how a reader sees it.
BASELINE: str = "baseline"
BASELINE_LABEL_FR: str = "Tendanciel"

#: ``confidence`` column of the factor tables.
CONFIDENCE_LABELS_FR: Mapping[str, str] = {
    "primary": "source primaire",
    "secondary": "source secondaire",
    "derived": "valeur dérivée",
    "unverified": "à vérifier",
    "estimate": "estimation",
    "default": "valeur par défaut",
}

_UNIT_FR: dict[str, str] = {"tCO2e/an": "tCO₂e/an", "tCO2e": "tCO₂e", "tC": "tC", "t/an": "t/an",
                            "tCO2e/hab/an": "tCO₂e/hab/an"}


# --------------------------------------------------------------------------------------------
# Look-ups
# --------------------------------------------------------------------------------------------

def unit_fr(unit: str) -> str:
    """Display form of a unit id: ``"tCO2e/an"`` → ``"tCO₂e/an"``."""
    unit = str(unit)
    return _UNIT_FR.get(unit, unit.replace("CO2", "CO₂"))


def lever_label(lever: str) -> str:
    """French label of a lever id.

    ``"practice:<id>"`` is the ``label_fr`` of ``practices_aldo`` (active factor set), falling
    back to ``<id>``; unknown ids are returned as given.

    >>> lever_label("seal")
    'Artificialisation (projets)'
    >>> lever_label("practice:catchCrops")
    'Cultures intermédiaires (CIPAN, couverts)'
    """
    lever = str(lever)
    if lever in LEVER_LABELS_FR:
        return LEVER_LABELS_FR[lever]
    if lever.startswith(PRACTICE_PREFIX):
        pid = lever[len(PRACTICE_PREFIX):]
        return PRACTICE_LABELS_FR.get(pid, pid)
    return lever


def category_label(theme: str, category: str) -> str:
    """French label of a ``category`` id of the bilan (land use, cause, sector, post or
    lever), by theme."""
    category = str(category)
    if theme in ("emissions_secteur", "polluants"):
        return SECTOR_LABELS_FR.get(category, category)
    if theme in ("emissions_poste", "emissions_poste_direct"):
        return POST_LABELS_FR.get(category, category)
    if theme == "stocks":
        return LAND_USE_LABELS_FR.get(category, category)
    if theme == "flux_carbone":
        return CAUSE_LABELS_FR.get(category, LAND_USE_LABELS_FR.get(category, category))
    if theme == "scenario":
        return lever_label(category)
    return category


def item_label(theme: str, item: str) -> str:
    """French label of an ``item`` id of the bilan (pool, substance or scenario name)."""
    item = str(item)
    if theme in ("stocks", "flux_carbone"):
        return POOL_LABELS_FR.get(item, item)
    if theme == "scenario":
        return BASELINE_LABEL_FR if item == BASELINE else item
    return SUBSTANCE_LABELS_FR.get(item, item)
