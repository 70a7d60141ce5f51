#!/usr/bin/env python3
"""Build the demo consumption file: Cerema's schema, figures ESTIMATED from ALDO CLC changes.

Output: ``landcover/zan/demo_conso_espaces_cerema_schema_ESTIMATION.csv``: one row per commune
of the Nord (59) and the Pas-de-Calais (62) (COG 2018, the 1 539 communes of
``boundaries/communes_epci_2018_59_62.csv``), in the exact column layout of the Cerema file
« consommation d'espaces naturels, agricoles et forestiers » 2009–2023 edition
(``obs_artif_conso_com_2009_2023``; ``;`` separator, UTF-8, integers in m²).

THESE ARE NOT CEREMA'S FIGURES. Cerema measures consumption from the fichiers fonciers; we do not
ship that file. The demo needs consumption in the right shape, so it is estimated from real
ALDO data (``landcover/aldo/clc12_clc18_changements_ha_communes_59_62.csv``: hectares of CORINE
Land Cover that changed class between 2012 and 2018, per commune):

* consumption = the hectares that passed from a non-artificial CLC class (2xx, 3xx, 4xx, 5xx)
  to an artificial class counted as urbanised (see ``DESTINATION`` below), over 2012–2018;
* yearly consumption = that area / 6 years, **the same every year 2009 to 2022** (CLC gives one
  six-year period; nothing is known of the year-to-year variation);
* split by destination from the 2018 CLC class (``DESTINATION``); CLC has no mixed class and
  no separate railway class: ``mixte`` and ``ferroviaire`` are 0;
* m², rounded to the m² per destination; the total is the sum of the rounded destinations, so
  naf = act + hab + mix + rou + fer + inc holds exactly, as in Cerema's file;
* communes without such a change in ALDO have 0 (CLC's minimum mapping unit for changes is
  5 ha: small consumption is invisible, the estimate is low);
* descriptive columns: ``idcomtxt``, ``idreg(txt)``, ``iddep(txt)`` from the COG 2018 list;
  ``epci23`` / ``epci23txt`` hold the **2018** EPCI (the vintage of ALDO; the header keeps
  Cerema's name); ``scot``, ``aav2020*``, population, households, jobs, ``artcom0923`` and
  ``surfcom2023`` are left **empty** (not known here; espass_geo does not read them).

``espass_geo.io.consumption.read_consumption`` flags this file ``estimate=True`` (its name
contains « ESTIMATION ») and every output says so. Deterministic. From the repository root:
``python landcover/zan/build_demo_consumption.py``.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
ALDO = ROOT / "landcover" / "aldo" / "clc12_clc18_changements_ha_communes_59_62.csv"
COMMUNES = ROOT / "boundaries" / "communes_epci_2018_59_62.csv"
EPCI = ROOT / "boundaries" / "epci_2018_59_62.csv"
OUT = ROOT / "landcover" / "zan" / "demo_conso_espaces_cerema_schema_ESTIMATION.csv"

#: 2018 CLC class of the consumed land → Cerema destination code.
#: Cerema assigns the destination from the premises (locaux) on the parcel: dwellings →
#: « hab », business premises → « act », both → « mix », road / rail land → « rou » / « fer »,
#: no premises identified → « inc ». 131 (mineral extraction sites) is NOT counted: quarries
#: (nature de culture « carrières ») are not among the urbanised natures of the fichiers
#: fonciers (our reading of Cerema's method; see README).
DESTINATION = {
    "111": "hab", "112": "hab",            # urban fabric: housing
    "121": "act",                          # industrial, commercial, public units
    "122": "rou",                          # road and rail networks: counted as roads
    "123": "act", "124": "act",            # ports, airports: activity
    "132": "inc", "133": "inc",            # dumps, construction sites: destination unknown
    "141": "inc", "142": "inc",            # green urban areas, sport and leisure: no premises
}
NOT_COUNTED = {"131"}
YEARS = range(2009, 2023)                  # naf09art10 … naf22art23 (edition 2009–2023)
PERIOD_YEARS = 6                           # CLC 2012 → 2018
DEST_ORDER = ["act", "hab", "mix", "rou", "fer", "inc"]       # yearly columns
AGG_ORDER = ["act", "hab", "mix", "inc", "rou", "fer"]        # aggregate columns (as Cerema)
REGIONS = {"32": "Hauts-de-France"}
DEPARTEMENTS = {"59": "Nord", "62": "Pas-de-Calais"}
HEAD = ["idcom", "idcomtxt", "idreg", "idregtxt", "iddep", "iddeptxt", "epci23", "epci23txt",
        "scot", "aav2020", "aav2020txt", "aav2020_typo"]
TAIL = ["artcom0923", "pop14", "pop20", "pop1420", "men14", "men20", "men1420", "emp14",
        "emp20", "emp1420", "mepart1420", "menhab1420", "artpop1420", "surfcom2023"]


def header() -> list[str]:
    cols = list(HEAD)
    for y in YEARS:
        a, b = y % 100, (y + 1) % 100
        cols.append(f"naf{a:02d}art{b:02d}")
        cols += [f"art{a:02d}{d}{b:02d}" for d in DEST_ORDER]
    last = (YEARS[-1] + 1) % 100
    cols.append(f"naf09art{last:02d}")
    cols += [f"art09{d}{last:02d}" for d in AGG_ORDER]
    return cols + TAIL


def yearly_m2() -> pd.DataFrame:
    """Yearly m² per commune and destination code (rounded to the m²)."""
    d = pd.read_csv(ALDO, dtype=str)
    d["area"] = d["area"].astype(float)
    consumed = d[~d["code12"].str.startswith("1") & d["code18"].str.startswith("1")
                 & ~d["code18"].isin(NOT_COUNTED)]
    unknown = set(consumed["code18"]) - set(DESTINATION)
    if unknown:
        sys.exit(f"CLC classes without a destination: {sorted(unknown)}")
    consumed = consumed.assign(dest=consumed["code18"].map(DESTINATION))
    ha = consumed.pivot_table(index="commune", columns="dest", values="area", aggfunc="sum",
                              fill_value=0.0)
    ha = ha.reindex(columns=DEST_ORDER, fill_value=0.0)
    return (ha * 10_000 / PERIOD_YEARS).round().astype(int)


def build() -> Path:
    communes = pd.read_csv(COMMUNES, dtype=str).sort_values("insee")
    epci = pd.read_csv(EPCI, dtype=str).set_index("code")["nom"]
    m2 = yearly_m2()
    outside = set(m2.index) - set(communes["insee"])
    if outside:
        sys.exit(f"ALDO communes not in the COG 2018 list: {sorted(outside)}")
    n = len(YEARS)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(header())
        for c in communes.itertuples(index=False):
            dest = (m2.loc[c.insee] if c.insee in m2.index
                    else pd.Series(0, index=DEST_ORDER))
            total = int(dest.sum())
            row = [c.insee, c.nom, c.region, REGIONS[c.region], c.departement,
                   DEPARTEMENTS[c.departement], c.epci, epci[c.epci], "", "", "", ""]
            for _ in YEARS:
                row.append(total)
                row += [int(dest[d]) for d in DEST_ORDER]
            row.append(total * n)
            row += [int(dest[d]) * n for d in AGG_ORDER]
            row += [""] * len(TAIL)
            w.writerow(row)
    return OUT


if __name__ == "__main__":
    out = build()
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1000:.0f} kB")
