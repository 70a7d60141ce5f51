"""ALDO's per-EPCI input tables (ALDO web app, commit 7ef0a6a), shipped in ``factors/aldo_epci/``.

Every value is kept as the original text (the « aldo-epci » method parses it the way ALDO's
JavaScript does: an empty cell is « absent », not 0). Rows keep the source order: ALDO takes the
**first** row it finds for a SIREN, and so does :func:`epci_rows` (86 SIRENs are repeated in the
forest, hedge and wood tables, one copy per département of the EPCI).

See the section « Méthode aldo-epci » at the end of ``factors/README.md`` for provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from espass_geo.errors import FactorError
from espass_geo.reference import data

SUBFOLDER = "aldo_epci"
PROVENANCE_COLUMNS = ("source", "source_year", "confidence", "note")

#: package table name -> ALDO file name in data/dataByEpci/ at commit 7ef0a6a
TABLE_FILES = {
    "ground": "ground.csv",
    "biomass_nonforest": "biomass-hors-forets.csv",
    "forest_biomass": "biomass-forets.csv",
    "forest_poplars": "biomasse-forets-peupleraies.csv",
    "bdforet_areas": "ign19.csv",
    "hedges_area": "surface-haies.csv",
    "wood_harvest": "produits-bois.csv",
    "clc18_areas": "clc18.csv",
    "clc12_18_changes": "clc18-change.csv",
    "epci": "epci.csv",
}


@cache
def aldo_epci_table(name: str) -> pd.DataFrame:
    """One of ALDO's per-EPCI tables, every cell as text ('' when empty), provenance columns
    dropped. Do not mutate the result."""
    if name not in TABLE_FILES:
        raise FactorError(
            f"table ALDO par EPCI inconnue {name!r} ; tables disponibles : {sorted(TABLE_FILES)}."
        )
    path = data.data_dir("factors") / SUBFOLDER / f"{name}.csv.gz"
    if not path.exists():
        raise FactorError(
            f"table ALDO par EPCI '{path}' manquante ; réinstallez espass-geo depuis une copie "
            "complète du dépôt (dossier factors/aldo_epci/)."
        )
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.drop(columns=[c for c in PROVENANCE_COLUMNS if c in df.columns])


def _first_rows(name: str, key: str = "siren") -> dict[str, dict[str, str]]:
    df = aldo_epci_table(name)
    out: dict[str, dict[str, str]] = {}
    for rec in df.to_dict("records"):
        out.setdefault(rec[key].strip(), rec)
    return out


@cache
def _index(name: str) -> dict[str, dict[str, str]]:
    return _first_rows(name, "code" if name == "epci" else "siren")


@cache
def _index_forest() -> dict[tuple[str, str], dict[str, str]]:
    out: dict[tuple[str, str], dict[str, str]] = {}
    for rec in aldo_epci_table("forest_biomass").to_dict("records"):
        out.setdefault((rec["siren"].strip(), rec["type"].strip().lower()), rec)
    return out


@cache
def _index_wood() -> dict[tuple[str, str], dict[str, str]]:
    out: dict[tuple[str, str], dict[str, str]] = {}
    for rec in aldo_epci_table("wood_harvest").to_dict("records"):
        out.setdefault((rec["siren"].strip(), rec["composition"].strip()), rec)
    return out


@dataclass
class EpciRows:
    """The rows ALDO reads for one EPCI (first row of each table for that SIREN)."""

    siren: str
    name: str
    population: str
    ground: dict[str, str]
    biomass_nonforest: dict[str, str]
    forest: dict[str, dict[str, str]]  # 'conifere' / 'feuillu' / 'mixte' -> row
    poplars: dict[str, str] | None
    bdforet: dict[str, str]
    hedges: dict[str, str]
    wood: dict[str, dict[str, str]]  # 'feuillus' / 'coniferes' -> row
    clc: dict[str, str] = field(default_factory=dict)
    changes: dict[str, str] = field(default_factory=dict)


def known_sirens() -> list[str]:
    """The 1 248 codes of ALDO's 2018 EPCI list (4 are isolated communes coded 1 to 4)."""
    return list(_index("epci"))


def epci_rows(siren: str) -> EpciRows:
    """The rows of every per-EPCI table for ``siren`` (the first one where it is repeated)."""
    siren = str(siren).strip()
    epci = _index("epci").get(siren)
    if epci is None:
        raise FactorError(
            f"SIREN d'EPCI {siren!r} absent de la liste ALDO 2018 (factors/aldo_epci/epci.csv.gz, "
            "1 248 EPCI) ; donnez le SIREN d'un EPCI existant au 1er janvier 2018 (la méthode "
            "aldo-epci ne connaît pas les EPCI créés depuis)."
        )
    forest = {t: r for (s, t), r in _index_forest().items() if s == siren}
    wood = {c: r for (s, c), r in _index_wood().items() if s == siren}
    missing = [n for n, d in (("ground", _index("ground")), ("biomass_nonforest",
               _index("biomass_nonforest")), ("bdforet_areas", _index("bdforet_areas")),
               ("hedges_area", _index("hedges_area"))) if siren not in d]
    if missing:
        raise FactorError(
            f"SIREN {siren!r} sans ligne dans les tables ALDO {missing} (factors/aldo_epci/) ; "
            "ces tables sont incomplètes : réinstallez espass-geo."
        )
    return EpciRows(
        siren=siren,
        name=epci.get("nom", ""),
        population=epci.get("populationTotale", ""),
        ground=_index("ground")[siren],
        biomass_nonforest=_index("biomass_nonforest")[siren],
        forest=forest,
        poplars=_index("forest_poplars").get(siren),
        bdforet=_index("bdforet_areas")[siren],
        hedges=_index("hedges_area")[siren],
        wood=wood,
        clc=dict(_index("clc18_areas").get(siren, {})),
        changes=dict(_index("clc12_18_changes").get(siren, {})),
    )
