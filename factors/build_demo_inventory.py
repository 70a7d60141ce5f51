"""Build the demo emission inventory of the 1 539 communes (COG 2018) of Nord and Pas-de-Calais.

Run from the repository root::

    python factors/build_demo_inventory.py

The script reads only files of the repository:

* ``factors/regional_inventory_hdf.csv``: Hauts-de-France totals per PCAET sector and substance
  (GES 2021, Observatoire Climat HdF; pollutants 2018, Atmo HdF; some shares are assumptions);
* ``factors/population_hdf.csv``: the HdF population of the same vintage as the commune table
  (row with ``downscaling_reference == "true"``);
* ``boundaries/communes_epci_2018_59_62.csv``: commune -> EPCI 2018 and population (ALDO, INSEE 2015);
* ``landcover/aldo/clc18_surfaces_ha_epci_59_62.csv``: CLC 2018 areas (ha) per EPCI and CLC code;
* ``boundaries/communes_59_62.geojson``: commune land areas (computed in EPSG:2154).

It downscales each regional sector x substance value in three steps:

1. region -> Nord + Pas-de-Calais: population share (pop 59/62 / pop HdF) for every sector
   (crude for industry, agriculture and the energy branch);
2. 59/62 -> EPCI: population for residentiel, tertiaire, transport_routier, autres_transports,
   dechets; agricultural CLC area (codes 211-244, which include 231 grassland) for agriculture;
   CLC 121 (industrial or commercial units) area for industrie and branche_energie;
3. EPCI -> communes: population for the population-based sectors; the commune's share of the
   EPCI land area for agriculture, industrie and branche_energie (no land cover per commune is
   shipped).

Values are rounded with the largest-remainder method so that the communes of each sector x
substance add up to the 59/62 target rounded to the same step: 0.001 tCO2e for GES, 0.0001 t
for pollutants (the smallest sector totals are ~100 t, and the sums must match to 1e-6
relative). Output: ``factors/demo_inventory_communes_59_62.csv.gz`` (long format, the inventory
input schema of ``factors/README.md`` plus provenance columns). Deterministic: no randomness,
rows sorted by commune, sector, substance.

THIS IS NOT AN INVENTORY: it only gives the demo and the tests a plausible, documented input.
"""
from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FACTORS = ROOT / "factors"
OUT = FACTORS / "demo_inventory_communes_59_62.csv.gz"

SECTORS = ["residentiel", "tertiaire", "transport_routier", "autres_transports", "agriculture", "dechets",
           "industrie", "branche_energie"]
SUBSTANCES = ["GES", "NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3"]
POP_SECTORS = {"residentiel", "tertiaire", "transport_routier", "autres_transports", "dechets"}
AGRI_CODES = range(211, 245)  # CLC 211-244: arable land, permanent crops, 231 pastures, heterogeneous agri
INDUSTRY_CODE = "121"  # industrial or commercial units
DECIMALS = {"GES": 3}  # others: 4
DEFAULT_DECIMALS = 4
N_COMMUNES = 1539

SOURCE = "espass_geo demo estimate, NOT an inventory (factors/README.md)"
SOURCE_YEAR = 2024
# proxies of steps 1|2|3 (kept short: the file has 86 184 rows); explained in factors/README.md
PROXY = {
    "pop": "pop|pop|pop",
    "agri": "pop|clc18_211-244|area",
    "clc121": "pop|clc18_121|area",
}


def read_str(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def load_inputs():
    reg = read_str(FACTORS / "regional_inventory_hdf.csv")
    reg = reg[reg["sector"] != "total"].copy()
    reg["value"] = reg["value"].astype(float)
    reg["year"] = reg["year"].astype(int)
    assert set(reg["sector"]) == set(SECTORS), set(reg["sector"]) ^ set(SECTORS)
    assert set(reg["substance"]) == set(SUBSTANCES), set(reg["substance"]) ^ set(SUBSTANCES)
    assert len(reg) == len(SECTORS) * len(SUBSTANCES)

    pop = read_str(FACTORS / "population_hdf.csv")
    pop = pop[pop["downscaling_reference"] == "true"]
    assert len(pop) == 1, "population_hdf.csv: exactly one row must have downscaling_reference == true"
    pop_hdf = float(pop["population"].iloc[0])

    com = read_str(ROOT / "boundaries" / "communes_epci_2018_59_62.csv")
    com["population"] = com["population"].astype(float)
    assert len(com) == N_COMMUNES and com["insee"].is_unique
    assert com["departement"].isin(["59", "62"]).all()

    clc = read_str(ROOT / "landcover" / "aldo" / "clc18_surfaces_ha_epci_59_62.csv").set_index("siren")
    clc = clc.replace("", "0").astype(float)
    agri_cols = [c for c in clc.columns if int(c) in AGRI_CODES]
    epci_agri = clc[agri_cols].sum(axis=1)
    epci_ind = clc[INDUSTRY_CODE] if INDUSTRY_CODE in clc.columns else pd.Series(0.0, index=clc.index)
    assert set(clc.index) == set(com["epci"]), "CLC EPCI list differs from the commune table"

    geo = gpd.read_file(ROOT / "boundaries" / "communes_59_62.geojson")
    geo = geo.to_crs(2154)
    area = pd.Series(geo.geometry.area.to_numpy() / 1e4, index=geo["code"].astype(str).to_numpy())
    assert set(area.index) == set(com["insee"]), "geojson communes differ from the commune table"
    com["area_ha"] = com["insee"].map(area)
    return reg, pop_hdf, com, epci_agri, epci_ind, agri_cols


def commune_weights(com: pd.DataFrame, epci_agri: pd.Series, epci_ind: pd.Series) -> dict[str, pd.Series]:
    """Weights of the communes (sum 1) for each proxy, indexed by INSEE code."""
    c = com.set_index("insee")
    pop_w = c["population"] / c["population"].sum()  # EPCI pop share x commune share in EPCI = commune share

    area_in_epci = c["area_ha"] / c.groupby("epci")["area_ha"].transform("sum")

    def by_epci(epci_proxy: pd.Series) -> pd.Series:
        e = epci_proxy / epci_proxy.sum()
        return c["epci"].map(e) * area_in_epci

    w = {"pop": pop_w, "agri": by_epci(epci_agri), "clc121": by_epci(epci_ind)}
    for k, s in w.items():
        assert (s >= 0).all() and abs(s.sum() - 1) < 1e-12, k
    return w


def largest_remainder(weights: pd.Series, target: float, decimals: int) -> np.ndarray:
    """Integer units of 10**-decimals per commune, summing to round(target, decimals)."""
    scale = 10 ** decimals
    total_units = int(round(target * scale))
    raw = weights.to_numpy() * target * scale
    units = np.floor(raw).astype(np.int64)
    short = total_units - int(units.sum())
    if short:
        frac = raw - units
        # stable order: largest fraction first, ties by position (communes sorted by INSEE)
        order = np.lexsort((np.arange(len(frac)), -frac))
        units[order[:short]] += 1
    assert units.sum() == total_units and (units >= 0).all()
    return units


def fmt_units(units: np.ndarray, decimals: int) -> list[str]:
    scale = 10 ** decimals
    return [f"{u // scale}.{u % scale:0{decimals}d}" for u in units.tolist()]


def build() -> pd.DataFrame:
    reg, pop_hdf, com, epci_agri, epci_ind, agri_cols = load_inputs()
    pop_5962 = com["population"].sum()
    share = pop_5962 / pop_hdf
    print(f"population 59/62 = {pop_5962:.0f}, HdF = {pop_hdf:.0f}, share = {share:.6f}")
    print(f"agricultural CLC codes used: {', '.join(agri_cols)}")
    weights = commune_weights(com, epci_agri, epci_ind)
    com = com.sort_values("insee").reset_index(drop=True)
    codes = com["insee"].to_numpy()

    parts = []
    for _, r in reg.sort_values(["sector", "substance"]).iterrows():
        sector, sub = r["sector"], r["substance"]
        proxy = "pop" if sector in POP_SECTORS else ("agri" if sector == "agriculture" else "clc121")
        w = weights[proxy].reindex(codes)
        d = DECIMALS.get(sub, DEFAULT_DECIMALS)
        target = r["value"] * share
        units = largest_remainder(w, target, d)
        parts.append(pd.DataFrame({
            "territory_code": codes, "territory_level": "commune", "sector": sector, "substance": sub,
            "year": int(r["year"]), "value": fmt_units(units, d), "unit": r["unit"], "source": SOURCE,
            "source_year": SOURCE_YEAR, "confidence": "derived", "proxy": PROXY[proxy],
        }))
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(SECTORS)}
    subs = {s: i for i, s in enumerate(SUBSTANCES)}
    out = out.sort_values(["territory_code", "sector", "substance"],
                          key=lambda s: s.map(order) if s.name == "sector"
                          else (s.map(subs) if s.name == "substance" else s)).reset_index(drop=True)
    check(out, reg, share)
    return out


def check(out: pd.DataFrame, reg: pd.DataFrame, share: float) -> None:
    v = out["value"].astype(float)
    assert (v >= 0).all()
    assert out["territory_code"].nunique() == N_COMMUNES
    sums = v.groupby([out["sector"], out["substance"]]).sum()
    for _, r in reg.iterrows():
        target = r["value"] * share
        got = sums[(r["sector"], r["substance"])]
        assert abs(got - target) <= 1e-6 * max(abs(target), 1e-9) or target == 0 == got, (r["sector"],
                                                                                          r["substance"], got, target)


def main() -> int:
    out = build()
    out.to_csv(OUT, compression={"method": "gzip", "mtime": 0}, index=False, encoding="utf-8", lineterminator="\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(out)} rows, {OUT.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
