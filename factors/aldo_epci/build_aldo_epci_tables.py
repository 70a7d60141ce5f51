"""Copy ALDO's national per-EPCI input tables (ALDO web app, commit 7ef0a6a) into
factors/aldo_epci/ for the « aldo-epci » method.

Run from the repository root, with the project's shared data beside it:

    python factors/aldo_epci/build_aldo_epci_tables.py /work/shared/data/aldo_ademe/france

Every value is kept as text, row order and duplicated SIRENs are kept (ALDO takes the first
row of a SIREN); four provenance columns are appended (source, source_year, confidence, note).
Tables are written gzipped (`.csv.gz`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SOURCE = ("ADEME ALDO web app, incubateur-ademe/aldo commit 7ef0a6a584436c0b6b0fbacd283feefd4a1c625f "
          "(2022-11-10), data/dataByEpci/{name}; copied from the project's shared "
          "aldo_ademe/france/{shared} (BOM, CRLF, blank rows and empty-header columns removed)")

# shared file name -> (ALDO file name, package file name)
TABLES = {
    "sols_stocks_flux_reference_epci_france.csv": ("ground.csv", "ground"),
    "biomasse_hors_foret_reference_epci_france.csv": ("biomass-hors-forets.csv", "biomass_nonforest"),
    "foret_biomasse_epci_france.csv": ("biomass-forets.csv", "forest_biomass"),
    "foret_peupleraies_epci_france.csv": ("biomasse-forets-peupleraies.csv", "forest_poplars"),
    "foret_surfaces_bdforet_ha_epci_france.csv": ("ign19.csv", "bdforet_areas"),
    "haies_surface_epci_france.csv": ("surface-haies.csv", "hedges_area"),
    "produits_bois_epci_france.csv": ("produits-bois.csv", "wood_harvest"),
    "clc18_surfaces_ha_epci_france.csv": ("clc18.csv", "clc18_areas"),
    "clc12_clc18_changements_ha_epci_france.csv": ("clc18-change.csv", "clc12_18_changes"),
    "epci_2018_france.csv": ("epci.csv", "epci"),
}


def main(shared: Path, out: Path) -> None:
    for shared_name, (aldo_name, name) in TABLES.items():
        df = pd.read_csv(shared / shared_name, dtype=str, keep_default_na=False)
        df["source"] = SOURCE.format(name=aldo_name, shared=shared_name)
        df["source_year"] = "2022"
        df["confidence"] = "primary"
        df["note"] = ""
        df.to_csv(out / f"{name}.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parent)
