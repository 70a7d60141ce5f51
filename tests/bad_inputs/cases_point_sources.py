"""``emissions --point-sources`` and ``[emissions] point_sources``: a user's table of large
emitters rebuilds the demo estimate (Nord / Pas-de-Calais communes).

Refused (exit 2, French message naming the file, the line or site and the remedy, nothing
written): a missing column, a site outside Nord and Pas-de-Calais, a negative emission, an
unknown coordinate system, sites adding up to more than the regional total (Hauts-de-France
industry GES 2021: 17,8 MtCO2e), a point-source table given with the user's own inventory (on
the command line and in bilan.toml). Accepted: a French Excel table (``;``, decimal comma,
Windows-1252, column ``t_an``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import Case

HEADER = "name,x,y,crs,substance,emission_t,year,source\n"
#: inside the steelworks of Dunkerque (WGS84): commune Grande-Synthe (59271)
STEEL = "2.3000,51.0430,EPSG:4326"


def emissions(table: str, *, name: str = "sites.csv", encoding: str = "utf-8",
              inventory: bool = False):
    def build(tmp: Path) -> list[str]:
        (tmp / name).write_bytes(table.encode(encoding))
        args = ["emissions", "--territory", "59271,59183", "--point-sources",
                str(tmp / name), "--out", str(tmp / "out"), "--no-map"]
        if inventory:
            (tmp / "inventaire.csv").write_text(
                "territory_code,territory_level,sector,substance,year,value,unit\n"
                "59271,commune,industrie,GES,2021,100,tCO2e\n"
                "59183,commune,industrie,GES,2021,100,tCO2e\n", encoding="utf-8")
            args += ["--inventory", str(tmp / "inventaire.csv")]
        return args
    return build


def bilan_with_inventory(tmp: Path) -> list[str]:
    (tmp / "sites.csv").write_text(HEADER + f"Aciérie,{STEEL},GES,1000,2022,essai\n",
                                   encoding="utf-8")
    (tmp / "inventaire.csv").write_text(
        "territory_code,territory_level,sector,substance,year,value,unit\n"
        "59271,commune,industrie,GES,2021,100,tCO2e\n", encoding="utf-8")
    (tmp / "bilan.toml").write_text(
        'territory = "59271"\n[emissions]\ninventory = "inventaire.csv"\n'
        'point_sources = "sites.csv"\n', encoding="utf-8")
    return ["bilan", "--config", str(tmp / "bilan.toml"), "--out", str(tmp / "out"), "-q"]


def french_excel_noted(tmp: Path, result: Any) -> None:
    text = (tmp / "out" / "LISEZ-MOI_emissions.txt").read_text(encoding="utf-8")
    assert "vos sources ponctuelles « sites.csv » (1 ligne(s), 1 site(s)" in text, text


CASES = [
    Case("point-sources-missing-column",
         emissions("name,x,y,substance,emission_t,year,source\n"
                   "Aciérie,2.3,51.043,GES,1000,2022,essai\n"), "error",
         (r"sites\.csv", r"colonne\(s\) manquante\(s\) \['crs'\]", r"emission_t \(ou t_an\)")),
    Case("point-sources-outside-59-62",
         emissions(HEADER + "Usine parisienne,2.35,48.85,EPSG:4326,GES,1000,2022,essai\n"),
         "error", (r"sites\.csv", r"ligne 2", r"Usine parisienne", r"hors des communes",
                   r"Nord et Pas-de-Calais", r"longitude")),
    Case("point-sources-negative-emission",
         emissions(HEADER + f"Aciérie,{STEEL},GES,-1000,2022,essai\n"), "error",
         (r"sites\.csv", r"ligne 2, colonne emission_t", r"-1000", r"négative")),
    Case("point-sources-unknown-crs",
         emissions(HEADER + "Aciérie,2.3,51.043,Lambert zone II bis,GES,1000,2022,essai\n"),
         "error", (r"sites\.csv", r"ligne 2", r"Lambert zone II bis", r"inconnu",
                   r"EPSG:2154", r"EPSG:4326")),
    # 20 000 000 tCO2e > 17 800 000 tCO2e, the Hauts-de-France industry GES of 2021
    Case("point-sources-exceed-regional-total",
         emissions(HEADER + f"Aciérie,{STEEL},GES,20000000,2022,essai\n"), "error",
         (r"sites\.csv", r"industrie × GES", r"ligne 2 « Aciérie » : 20\s000\s000 tCO2e",
          r"total régional 17\s800\s000 tCO2e", r"négatif", r"unité")),
    Case("point-sources-with-own-inventory",
         emissions(HEADER + f"Aciérie,{STEEL},GES,1000,2022,essai\n", inventory=True),
         "error", (r"--point-sources « sites\.csv »", r"inventaire\.csv",
                   r"compterait deux fois", r"Retirez --point-sources")),
    Case("point-sources-with-inventory-in-bilan-toml", bilan_with_inventory, "error",
         (r"bilan\.toml", r"point_sources", r"estimation de démonstration",
          r"inventory = \"demo\"")),
    Case("point-sources-french-excel-accepted",
         emissions("name;x;y;crs;substance;t_an;year;source\n"
                   "Aciérie;2,3000;51,0430;EPSG:4326;GES;1234,5;2022;essai\n",
                   encoding="cp1252"), "ok", check=french_excel_noted),
]
