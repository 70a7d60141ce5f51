"""Build the national (metropolitan France) zone tables of espass_geo (issue #13, item 3).

Run from the repository root with the project's shared data next to it::

    python factors/build_national_tables.py /work/shared/data

Writes

* ``boundaries/communes_epci_2018_france.csv.gz`` and ``boundaries/epci_2018_france.csv``:
  byte copies of ``aldo_ademe/france/communes_epci_2018_france.csv.gz`` and
  ``aldo_ademe/france/epci_2018_france.csv`` (ALDO ``data/dataByCommune/communes_17122018.csv``
  @a8f42b2 and ``data/dataByEpci/epci.csv`` @7ef0a6a);
* ``factors/aldo_commune_zpc.csv``: ``aldo_ademe/france/zpc_communes_france.csv`` (ALDO
  ``data/dataByCommune/zpc.csv`` @a8f42b2, 35 111 rows: every 2018 commune plus the municipal
  arrondissements of Paris, Lyon and Marseille) with the provenance columns;
* ``factors/aldo_forest_location_by_region.csv``: the IGN forest-inventory location of each of
  the 13 metropolitan regions and forest composition (see the notes written in the table).

This script replaces the 59/62 ``aldo_commune_zpc.csv`` and ``aldo_forest_location_by_region.csv``
written by ``build_factor_tables.py`` (whose 59/62 rows are unchanged: same values).
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ZPC_SOURCE = "ADEME ALDO, incubateur-ademe/aldo data/dataByCommune/zpc.csv @a8f42b2"

#: INSEE region code -> IGN ``rad13`` location code (the 13 regions of 2016)
RAD13 = {
    "11": "IDF", "24": "CVL", "27": "BFC", "28": "NOR", "32": "HDF", "44": "GES", "52": "PDL",
    "53": "BRE", "75": "NAQ", "76": "OCC", "84": "ARA", "93": "PAC", "94": "COR",
}
COMPOSITIONS = ("feuillus", "coniferes", "mixtes", "peupleraies")

FOREST_SOURCE = (
    "ADEME ALDO, incubateur-ademe/aldo data/stocks.js (getCarbonDataForCommuneAndComposition: "
    "fallback order) and data/dataByEpci/bilan-carbone-foret-par-localisation.csv @a8f42b2; "
    "region -> location choice by espass_geo per method.md §5.4"
)
FALLBACK = ("ALDO fallback order per commune and composition: groupeser -> greco -> rad13 -> "
            "bassin_populicole -> France (significant rows only, surface_ic = s). espass_geo "
            "ships no commune -> SER/GRECO/poplar-basin map (ALDO's data/dataByCommune/"
            "surface-foret.csv is not retrievable), so ")
REGION_32 = {  # unchanged from build_factor_tables.py
    "feuillus": ("greco", "B"), "coniferes": ("greco", "B"), "mixtes": ("greco", "B"),
    "peupleraies": ("bassin_populicole", "Nord"),
}


def _write(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def build_zpc(src: Path) -> int:
    with (src / "aldo_ademe/france/zpc_communes_france.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != 35111 or len({r["insee"] for r in rows}) != len(rows):
        raise ValueError("expected 35 111 unique communes in zpc_communes_france.csv")
    out = [{"insee": r["insee"], "zpc": r["zpc"], "source": ZPC_SOURCE, "source_year": 2024,
            "confidence": "primary"} for r in rows]
    _write(ROOT / "factors/aldo_commune_zpc.csv", out,
           ["insee", "zpc", "source", "source_year", "confidence"])
    return len(out)


def build_forest_location() -> int:
    with (ROOT / "factors/ign_forest_carbon.csv").open(encoding="utf-8") as f:
        ign = {(r["location_type"], r["location_code"], r["composition"])
               for r in csv.DictReader(f)}
    out = []
    for region, rad13 in RAD13.items():
        for comp in COMPOSITIONS:
            if region == "32":
                ltype, lcode = REGION_32[comp]
                why = ("the SER-group level is skipped; GRECO B 'Centre Nord semi-océanique' is "
                       "the GRECO covering Nord-Pas-de-Calais and comes before the region level "
                       "(rad13 HDF) in ALDO's order; applied to the whole region 32 "
                       "(approximation for parts of Picardie that may lie in another GRECO)")
                if comp == "peupleraies":
                    why = ("the SER-group level is skipped; poplars have no significant "
                           "SER/GRECO/region row, so ALDO reaches the poplar basin level: 'Nord' "
                           "basin for Hauts-de-France")
                conf = "derived"
            elif ("rad13", rad13, comp) in ign:
                ltype, lcode = "rad13", rad13
                why = (f"the SER-group and GRECO levels are skipped (a region spans several); "
                       f"the region level rad13 {rad13} is ALDO's next level and has a "
                       f"significant IGN row for {comp}")
                conf = "derived"
            else:
                ltype, lcode = "France", "France"
                why = (f"rad13 {rad13} has no significant IGN row for {comp} and the poplar basin "
                       "of the region's communes is unknown: ALDO's last level, France"
                       if comp == "peupleraies" else
                       f"rad13 {rad13} has no significant IGN row for {comp}: ALDO's last "
                       "level, France")
                conf = "derived"
            if (ltype, lcode, comp) not in ign:
                raise ValueError(f"no IGN row {ltype} {lcode} {comp}")
            out.append({"region_code": region, "composition": comp, "location_type": ltype,
                        "location_code": lcode, "source": FOREST_SOURCE, "source_year": 2024,
                        "confidence": conf, "note": FALLBACK + why})
    _write(ROOT / "factors/aldo_forest_location_by_region.csv", out,
           ["region_code", "composition", "location_type", "location_code", "source",
            "source_year", "confidence", "note"])
    return len(out)


def copy_boundaries(src: Path) -> None:
    for name in ("communes_epci_2018_france.csv.gz", "epci_2018_france.csv"):
        shutil.copyfile(src / "aldo_ademe/france" / name, ROOT / "boundaries" / name)


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data")
    copy_boundaries(src)
    print("aldo_commune_zpc.csv", build_zpc(src))
    print("aldo_forest_location_by_region.csv", build_forest_location())
