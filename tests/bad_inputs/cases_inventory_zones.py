"""Zones of a user file bearing commune or EPCI codes without being those communes (EPCI).

The two 8 ha box zones of the tiny raster named after Dunkerque (59183, 4 300 ha) and Lille
(59350), or after two EPCI: the commune's (EPCI's) inventory and population would be applied to
8 ha, so ``emissions`` refuses them, naming the zones, both areas and the remedies. A code
outside the embedded Nord / Pas-de-Calais boundaries cannot be checked: accepted, with a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import Case, write_zones

NNBSP, NBSP = "\u202f", "\xa0"


def emissions(ids: tuple[str, str], *, own_tables: bool = False):
    def build(tmp: Path) -> list[str]:
        zones = write_zones(tmp, ids=ids)
        args = ["emissions", "--territory", str(zones), "--zpc", "2_1", "--out",
                str(tmp / "out"), "--no-map"]
        if own_tables:  # an inventory and a population keyed by the same codes
            (tmp / "inventaire.csv").write_text(
                "territory_code,territory_level,sector,substance,year,value,unit\n"
                + "".join(f"{z},,residentiel,GES,2021,100,tCO2e\n" for z in ids),
                encoding="utf-8")
            (tmp / "population.csv").write_text(
                "zone_id,population\n" + "".join(f"{z},500\n" for z in ids), encoding="utf-8")
            args += ["--inventory", str(tmp / "inventaire.csv"),
                     "--population", str(tmp / "population.csv")]
        return args
    return build


def unchecked_noted(tmp: Path, result: Any) -> None:
    text = (tmp / "out" / "LISEZ-MOI_emissions.txt").read_text(encoding="utf-8")
    assert "Surface non vérifiée pour 2 zone(s)" in text and "75056, 75101" in text, text


CASES = [
    Case("inventory-zones-box-with-insee-codes", emissions(("59183", "59350")), "error",
         (r"2 zone\(s\)", r"zones\.geojson", r"Zone A", r"59183", r"Dunkerque",
          rf"8,00{NBSP}ha contre 4{NNBSP}300{NBSP}ha", r"Lille", r"--territory 59183,59350",
          r"--inventory", r"--population")),
    Case("inventory-zones-box-with-epci-sirens-own-tables",
         emissions(("245900428", "200040954"), own_tables=True), "error",
         (r"EPCI 245900428", r"CU de Dunkerque", r"--territory epci:245900428,200040954",
          r"propres identifiants")),
    Case("inventory-zones-codes-outside-embedded-data-noted",
         emissions(("75056", "75101"), own_tables=True), "ok", check=unchecked_noted),
]
