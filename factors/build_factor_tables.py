#!/usr/bin/env python3
"""Build the embedded factor tables of ``espass_geo``.

Usage::

    python factors/build_factor_tables.py --source-dir /path/to/shared/data

The source directory is the root of the copied open-data set (it must contain
``aldo_ademe/`` and ``nomenclatures/``). Every CSV is written next to this
script, in ``factors/``. The script is deterministic: same inputs, same bytes.
The package never reads the source directory at run time; it only reads the
CSVs written here.

Values that do not come from a source CSV are written below as literals, each
with a comment naming the section of ``method.md`` (the project's method
reference) they come from.

Conventions of every output CSV
-------------------------------
* UTF-8, ``,`` separator, ``\\n`` line endings, header row.
* Codes (INSEE, ZPC, CLC, département, region) are plain strings.
* Provenance columns ``source`` (full text), ``source_year`` (int: year of the
  version named in ``source``), ``confidence`` (primary / secondary / derived /
  unverified = method.md marks ✅ 🟢 🟡 ❌), and an optional ``note``.
* Flux tables keep ALDO's sign convention: positive = sequestration (gain),
  negative = emission (loss).
"""
from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import pandas as pd

OUT_DIR = Path(__file__).resolve().parent

CONFIDENCE = ("primary", "secondary", "derived", "unverified")

# ---------------------------------------------------------------------------
# Provenance strings
# ---------------------------------------------------------------------------
ALDO_COMMIT = "a8f42b2"  # incubateur-ademe/aldo main head 2024-11-18 (a8f42b2310ad5748111cfeb122233f63773ce231)
ALDO_YEAR = 2024


def aldo_src(path: str, commit: str = ALDO_COMMIT, extra: str = "") -> str:
    s = f"ADEME ALDO, incubateur-ademe/aldo {path} @{commit}"
    return s + (f"; {extra}" if extra else "")


SRC_STOCKS_ZPC = aldo_src(
    "data/dataByCommune/stocks-zpc.csv",
    extra="underlying data GIS Sol RMQS 2001-2011 by land use x pedoclimatic zone (CITEPA 2022 zoning)",
)
SRC_FLUX_ZPC = aldo_src(
    "data/dataByCommune/flux-zpc.csv",
    extra="underlying kinetics Arrouays et al. 2002 read by ADEME (T. Eglin 2018)",
)
SRC_ZPC = aldo_src("data/dataByCommune/zpc.csv", extra="filtered to départements 59/62")
SRC_BIOMASS = aldo_src(
    "data/dataByCommune/biomass-hors-forets.csv",
    extra="underlying data IFN/FCBA/SOLAGRO 2009 'Biomasse forestière, populicole et bocagère disponible pour l'énergie à l'horizon 2020'",
)
SRC_REGION_IR = (
    "ADEME ALDO, incubateur-ademe/aldo data/dataByCommune/region-to-inter-region.json @d7d9279; "
    "same mapping in espass_geo method.md §5.3"
)
SRC_FOREST = aldo_src(
    "data/dataByEpci/bilan-carbone-foret-par-localisation.csv",
    extra="underlying data IGN inventaire forestier national 2016-2020 by SER group / GRECO / region / poplar basin / France",
)
SRC_FOREST_LOC = aldo_src(
    "data/stocks.js (getCarbonDataForCommuneAndComposition: fallback order) and "
    "data/dataByEpci/bilan-carbone-foret-par-localisation.csv",
    extra="region -> location choice by espass_geo per method.md §5.4",
)
SRC_LITTER = aldo_src(
    "data/stocks.js (getForestLitterCarbonDensity)",
    extra="quoting Académie d'Agriculture de France, Comptes rendus vol. 85 n°6, 1999",
)
SRC_HEDGE = aldo_src(
    "data/dataByCommune/carbone-haies.csv",
    extra="underlying data IGN 2022 'Stocks de bois et de carbone dans les haies bocagères françaises'",
)
SRC_HEDGE_DEFAULT = aldo_src(
    "data/dataByCommune/carbone-haies.csv",
    extra="national default used by ALDO for départements outside the IGN 2022 study (espass_geo method.md §5.5)",
)
SRC_ART_SPLIT = (
    "ADEME ALDO code (incubateur-ademe/aldo @a8f42b2) and ALDO documentation "
    "(aldo-documentation.territoiresentransitions.fr), CLC vintage 80/20 rule, as transcribed in espass_geo method.md §7"
)
SRC_CLC = (
    "ADEME ALDO, incubateur-ademe/aldo calculations/constants.js (GroundTypes.clcCodes) @a8f42b2 "
    "(espass_geo method.md §3); labels SDES 'Corine Land Cover Nomenclature' clc-nomenclature-c_1.xls "
    "(silvia-team/silvia @0755f5a6); colours EEA clc_legend.csv (YsoSirius/windfarm_data @c69a20d6)"
)
SRC_LAND_USE = (
    "ADEME ALDO land-use classes, incubateur-ademe/aldo calculations/constants.js @a8f42b2 "
    "(espass_geo method.md §3); English ids, labels and map colours chosen by espass_geo"
)
SRC_IPCC_SOC = (
    "IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 4 AFOLU, Ch. 2, Table 2.3 "
    "(default reference SOC stocks, mineral soils, 0-30 cm); values from a transcription "
    "(espass_geo method.md §9.1)"
)
SRC_IPCC_T55 = (
    "IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 4 AFOLU, Ch. 5, Table 5.5 "
    "(relative stock change factors, cropland, 20 yr, 0-30 cm); values from a transcription "
    "(espass_geo method.md §9.2)"
)
SRC_IPCC_T62 = (
    "IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 4 AFOLU, Ch. 6, Table 6.2 "
    "(relative stock change factors, grassland); values from a transcription (espass_geo method.md §9.3)"
)
SRC_ZPC_IPCC = (
    "espass_geo reading of the ALDO ZPC code <texture>_<climate> (method.md §4; ALDO documentation zone order) "
    "onto IPCC 2006 Vol. 4 Table 2.3 climate and soil classes"
)
SRC_IPCC_DEFAULTS = (
    "espass_geo default IPCC Tier 1 management levels per land use, after IPCC 2006 Vol. 4 Ch. 2, 5, 6 "
    "(espass_geo method.md §9)"
)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def fmt_num(v) -> str:
    """Shortest exact text of a number; integers without '.0'."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    f = float(v)
    if f == 0:
        return "0"
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


def write_csv(name: str, rows: list[dict], columns: list[str]) -> int:
    """Write rows (list of dicts) with exactly `columns`, check provenance."""
    for req in ("source", "source_year", "confidence"):
        if req not in columns:
            raise ValueError(f"{name}: missing column {req}")
    path = OUT_DIR / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(columns)
        for r in rows:
            extra = set(r) - set(columns)
            if extra:
                raise ValueError(f"{name}: unexpected keys {extra}")
            if r.get("confidence") not in CONFIDENCE:
                raise ValueError(f"{name}: bad confidence {r.get('confidence')!r}")
            if not r.get("source") or r.get("source_year") in (None, ""):
                raise ValueError(f"{name}: blank provenance in {r}")
            out = []
            for c in columns:
                v = r.get(c, "")
                if c == "value":
                    v = fmt_num(v)
                elif v is None:
                    v = ""
                elif isinstance(v, bool):
                    v = "true" if v else "false"
                else:
                    v = str(v)
                out.append(v)
            w.writerow(out)
    print(f"  {name}: {len(rows)} rows")
    return len(rows)


def read_src(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def num(s: str) -> float:
    s = (s or "").strip()
    return 0.0 if s == "" else float(s)


# ---------------------------------------------------------------------------
# Land-use classes (fixed contract, English ids)
# ---------------------------------------------------------------------------
# land_use, label_fr, aldo_group, soil_class, biomass_class, forest_composition, color_hex
# (ALDO classes: method.md §3; colours: CLC EEA colour of the main CLC code, chosen by espass_geo)
LAND_USES = [
    ("cropland", "Cultures", "cultures", "cultures", "cultures", "", "#FFFFA8"),
    ("grassland_herbaceous", "Prairies zones herbacées", "prairies", "prairies", "prairies_herbacees", "", "#E6E64D"),
    ("grassland_shrubby", "Prairies zones arbustives", "prairies", "prairies", "prairies_arbustives", "", "#A6FF80"),
    ("grassland_wooded", "Prairies zones arborées", "prairies", "prairies", "prairies_arborees", "", "#A6E64D"),
    ("forest_broadleaf", "Forêts de feuillus", "forets", "forets", "forest", "feuillus", "#80FF00"),
    ("forest_conifer", "Forêts de conifères", "forets", "forets", "forest", "coniferes", "#00A600"),
    ("forest_mixed", "Forêts mixtes", "forets", "forets", "forest", "mixtes", "#4DFF00"),
    ("forest_poplar", "Peupleraies", "forets", "forets", "forest", "peupleraies", "#8DB600"),
    ("wetland", "Zones humides et eau", "zones_humides", "zones_humides", "zones_humides", "", "#A6A6FF"),
    ("orchard", "Vergers", "vergers", "vergers", "vergers", "", "#F2A64D"),
    ("vineyard", "Vignes", "vignes", "vignes", "vignes", "", "#E68000"),
    ("artificial_sealed", "Sols artificiels imperméabilisés", "sols_artificiels", "art_impermeabilises",
     "art_impermeabilises", "", "#E6004D"),
    ("artificial_grassed", "Sols artificiels enherbés et arbustifs", "sols_artificiels", "art_enherbes",
     "art_arbustifs", "", "#FFE6FF"),
    ("artificial_wooded", "Sols artificiels arborés et buissonnants", "sols_artificiels", "art_arbores",
     "art_arbores", "", "#FFA6FF"),
    ("artificial_unsplit", "Sols artificiels (avant répartition 80/20)", "sols_artificiels", "", "", "", "#FF0000"),
    ("unmapped", "Sans classe ALDO (roches, plages, glaciers…)", "none", "", "", "", "#CCCCCC"),
]
FOREST_LAND_USES = ["forest_broadleaf", "forest_conifer", "forest_mixed", "forest_poplar"]

# CLC level-3 -> land_use (method.md §3)
CLC_TO_LAND_USE = {}
for c in ("211", "212", "213", "241", "242", "243", "244"):
    CLC_TO_LAND_USE[c] = "cropland"
for c in ("231", "321"):
    CLC_TO_LAND_USE[c] = "grassland_herbaceous"
CLC_TO_LAND_USE["322"] = "grassland_shrubby"
CLC_TO_LAND_USE["323"] = "grassland_wooded"
CLC_TO_LAND_USE["311"] = "forest_broadleaf"
CLC_TO_LAND_USE["312"] = "forest_conifer"
CLC_TO_LAND_USE["313"] = "forest_mixed"
CLC_TO_LAND_USE["324"] = "forest_mixed"
for c in ("411", "412", "421", "422", "423", "511", "512", "521", "522", "523"):
    CLC_TO_LAND_USE[c] = "wetland"
for c in ("222", "223"):
    CLC_TO_LAND_USE[c] = "orchard"
CLC_TO_LAND_USE["221"] = "vineyard"
CLC_TO_LAND_USE["141"] = "artificial_wooded"
for c in ("111", "112", "121", "122", "123", "124", "131", "132", "133", "142"):
    CLC_TO_LAND_USE[c] = "artificial_unsplit"
for c in ("331", "332", "333", "334", "335"):
    CLC_TO_LAND_USE[c] = "unmapped"

# Expected ALDO category per land_use in the nomenclature file (cross-check only)
ALDO_CAT_CHECK = {
    "cropland": ("cultures", "cultures"),
    "grassland_herbaceous": ("prairies", "prairies zones herbacées"),
    "grassland_shrubby": ("prairies", "prairies zones arbustives"),
    "grassland_wooded": ("prairies", "prairies zones arborées"),
    "forest_broadleaf": ("forêts", "forêt feuillu"),
    "forest_conifer": ("forêts", "forêt conifere"),
    "forest_mixed": ("forêts", "forêt mixte"),
    "wetland": ("zones humides", "zones humides"),
    "orchard": ("vergers", "vergers"),
    "vineyard": ("vignes", "vignes"),
    "artificial_wooded": ("sols artificiels", "sols artificiels arborés et buissonants"),
    "artificial_unsplit": ("sols artificiels",
                           "sols artificiels imperméabilisés + enherbés et arbustifs (répartition ALDO)"),
    "unmapped": ("", ""),
}


def build_land_use_classes() -> int:
    rows = []
    for lu, label, group, soil, biom, comp, color in LAND_USES:
        if lu == "unmapped":
            conf, note = "derived", "CLC 331-335 have no ALDO class; treated as zero stock (method.md §3, 🟡)"
        elif lu == "artificial_unsplit":
            conf, note = "primary", ("CLC 111-133 and 142 before ALDO's 80/20 split into artificial_sealed / "
                                     "artificial_grassed (method.md §7); no own soil/biomass class")
        elif lu == "forest_poplar":
            conf, note = "primary", "ALDO 'forêt peupleraie': area from IGN BD Forêt only, no CLC code"
        elif lu in FOREST_LAND_USES:
            conf, note = "primary", "biomass from IGN forest inventory rows (ign_forest_carbon.csv), litter 9 tC/ha"
        else:
            conf, note = "primary", ""
        rows.append(dict(
            land_use=lu, label_fr=label, aldo_group=group, soil_class=soil, biomass_class=biom,
            forest_composition=comp, has_litter=(lu in FOREST_LAND_USES), color_hex=color,
            source=SRC_LAND_USE, source_year=ALDO_YEAR, confidence=conf, note=note,
        ))
    return write_csv("land_use_classes.csv", rows, [
        "land_use", "label_fr", "aldo_group", "soil_class", "biomass_class", "forest_composition",
        "has_litter", "color_hex", "source", "source_year", "confidence", "note"])


EXTENSION_CODES = (
    ("901", "Sols artificiels imperméabilisés (code espass_geo, hors CLC)", "artificial_sealed",
     "#E6004D"),
    ("902", "Sols artificiels enherbés et arbustifs (code espass_geo, hors CLC)",
     "artificial_grassed", "#FFE6FF"),
    ("903", "Peupleraies (code espass_geo, hors CLC)", "forest_poplar", "#8DB600"),
)
SRC_EXTENSION = ("espass_geo extension code (not CLC): a land use that CLC lumps, given directly "
                 "by OCS GE, OCS2D or BD Forêt; ALDO land-use classes incubateur-ademe/aldo "
                 "calculations/constants.js @a8f42b2")
EXTENSION_NOTE = ("no ALDO 80/20 split: the product separates it (crosswalk_ocsge.csv, "
                  "crosswalk_ocs2d.csv, crosswalk_bdforet_tfv.csv)")


def build_clc_to_land_use(src: Path) -> int:
    nom = read_src(src / "nomenclatures" / "clc_nomenclature.csv")
    if len(nom) != 44:
        raise ValueError(f"expected 44 CLC codes, got {len(nom)}")
    codes = set(nom["code_clc"])
    if codes != set(CLC_TO_LAND_USE):
        raise ValueError(f"CLC code mismatch: {codes ^ set(CLC_TO_LAND_USE)}")
    rows = []
    for _, r in nom.sort_values("code_clc").iterrows():
        lu = CLC_TO_LAND_USE[r["code_clc"]]
        exp = ALDO_CAT_CHECK.get(lu)
        if exp is not None and (r["aldo_categorie"], r["aldo_sous_categorie"]) != exp:
            raise ValueError(f"CLC {r['code_clc']}: nomenclature ALDO category "
                             f"{(r['aldo_categorie'], r['aldo_sous_categorie'])} != expected {exp}")
        note = ""
        conf = "primary"
        if lu == "artificial_unsplit":
            note = "split by ALDO into 80 % sealed / 20 % grassed-shrubby unless CLC 141 already exceeds 20 % (method.md §7)"
        elif lu == "unmapped":
            conf, note = "derived", "no ALDO category; zero stock (method.md §3, 🟡)"
        elif lu.startswith("forest_"):
            note = "ALDO forest stock areas come from IGN BD Forêt, not CLC"
        if r["code_clc"] in ("313", "324"):
            note = (note + "; " if note else "") + (
                "EEA and SDES colours differ for this code; EEA colour kept")
        rows.append(dict(code_clc=r["code_clc"], libelle_fr=r["libelle_fr"], land_use=lu,
                         color_hex=r["couleur_hex_eea"], source=SRC_CLC, source_year=ALDO_YEAR,
                         confidence=conf, note=note))
    # espass_geo extension codes (not CLC): land uses that CLC lumps and that OCS GE, OCS2D or
    # BD Forêt give directly (issue #11); the crosswalks point to them
    for code, label, lu, colour in EXTENSION_CODES:
        rows.append(dict(code_clc=code, libelle_fr=label, land_use=lu, color_hex=colour,
                         source=SRC_EXTENSION, source_year=ALDO_YEAR, confidence="derived",
                         note=EXTENSION_NOTE))
    return write_csv("clc_to_land_use.csv", rows, [
        "code_clc", "libelle_fr", "land_use", "color_hex", "source", "source_year", "confidence", "note"])


# ---------------------------------------------------------------------------
# Soil
# ---------------------------------------------------------------------------
SOIL_STOCK_COLUMNS = {
    "cultures": "cultures",
    "prairies": "prairies",
    "forêts": "forets",
    "zones humides": "zones_humides",
    "vergers": "vergers",
    "vignes": "vignes",
    "sols artificiels imperméabilisés": "art_impermeabilises",
    "sols artificiels enherbés": "art_enherbes",
    "sols artificiels arborés et buissonants": "art_arbores",
}
SOIL_STOCK_DROPPED = {"Sols artificialisés"}  # = prairies/2, unused by ALDO (method.md §5.1)
SOIL_CLASSES = list(SOIL_STOCK_COLUMNS.values())


def build_soil_stock(src: Path) -> tuple[int, list[str]]:
    d = read_src(src / "aldo_ademe" / "stocks_sol_reference_tC_ha_par_zpc.csv")
    expected = {"zpc"} | set(SOIL_STOCK_COLUMNS) | SOIL_STOCK_DROPPED
    if set(d.columns) != expected:
        raise ValueError(f"soil stock columns: {set(d.columns) ^ expected}")
    rows = []
    note = ("0-30 cm depth assumed, not verified (method.md §5.1 ❌); "
            "GIS Sol RMQS 2001-2011; column 'Sols artificialisés' (= prairies/2, unused) dropped")
    for _, r in d.sort_values("zpc").iterrows():
        for col, sc in SOIL_STOCK_COLUMNS.items():
            rows.append(dict(zpc=r["zpc"], soil_class=sc, value=num(r[col]), unit="tC/ha", depth_cm=30,
                             source=SRC_STOCKS_ZPC, source_year=ALDO_YEAR, confidence="primary", note=note))
    n = write_csv("aldo_soil_stock_ref.csv", rows, [
        "zpc", "soil_class", "value", "unit", "depth_cm", "source", "source_year", "confidence", "note"])
    return n, sorted(d["zpc"])


FLUX_CODES = {
    "cult": "cultures", "prai": "prairies", "for": "forets", "zh": "zones_humides",
    "verg": "vergers", "vign": "vignes", "art_imp": "art_impermeabilises",
    "art_enh": "art_enherbes", "art_arb": "art_arbores",
}
ARTIFICIAL_SOIL = {"art_impermeabilises", "art_enherbes", "art_arbores"}


def split_flux_col(col: str) -> tuple[str, str]:
    # codes may contain '_' (art_imp): try every split point
    parts = col.split("_")
    for i in range(1, len(parts)):
        a, b = "_".join(parts[:i]), "_".join(parts[i:])
        if a in FLUX_CODES and b in FLUX_CODES:
            return FLUX_CODES[a], FLUX_CODES[b]
    raise ValueError(f"cannot parse soil flux column {col!r}")


def build_soil_flux(src: Path) -> int:
    d = read_src(src / "aldo_ademe" / "flux_sol_reference_tC_ha_an_par_zpc.csv")
    rows = []
    for _, r in d.sort_values("zpc").iterrows():
        for col in d.columns:
            if col == "zpc":
                continue
            fr, to = split_flux_col(col)
            # method.md §6.2-6.3: to artificial or to/from wetland = one-off stock difference
            instant = to in ARTIFICIAL_SOIL or fr == "zones_humides" or to == "zones_humides"
            if instant:
                mode, unit = "instant", "tC/ha"
                note = "one-off stock difference booked in the year of change (method.md §6.3)"
            else:
                mode, unit = "kinetic", "tC/ha/an"
                note = "annual rate applied for 20 years to each hectare converted per year (method.md §6.2)"
            rows.append(dict(zpc=r["zpc"], from_class=fr, to_class=to, value=num(r[col]), unit=unit,
                             mode=mode, source=SRC_FLUX_ZPC, source_year=ALDO_YEAR, confidence="primary",
                             note=note))
    return write_csv("aldo_soil_flux.csv", rows, [
        "zpc", "from_class", "to_class", "value", "unit", "mode", "source", "source_year", "confidence", "note"])


def build_commune_zpc(src: Path) -> int:
    d = read_src(src / "aldo_ademe" / "zpc_communes_59_62.csv")
    if len(d) != 1539 or d["insee"].nunique() != 1539:
        raise ValueError("expected 1 539 unique communes in zpc_communes_59_62.csv")
    if not d["insee"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all():
        raise ValueError("bad INSEE codes")
    rows = [dict(insee=r["insee"], zpc=r["zpc"], source=SRC_ZPC, source_year=ALDO_YEAR, confidence="primary")
            for _, r in d.sort_values("insee").iterrows()]
    return write_csv("aldo_commune_zpc.csv", rows, ["insee", "zpc", "source", "source_year", "confidence"])


# ---------------------------------------------------------------------------
# Non-forest biomass
# ---------------------------------------------------------------------------
BIOMASS_CLASSES = {
    "prairies zones arborées": "prairies_arborees",
    "prairies zones arbustives": "prairies_arbustives",
    "prairies zones herbacées": "prairies_herbacees",
    "vergers": "vergers",
    "vignes": "vignes",
    "cultures": "cultures",
    "zones humides": "zones_humides",
    "sols artificiels arborés et buissonants": "art_arbores",
    "sols artificiels arbustifs": "art_arbustifs",
    "sols artificiels imperméabilisés": "art_impermeabilises",
}


def build_biomass(src: Path) -> tuple[int, int]:
    d = read_src(src / "aldo_ademe" / "biomasse_hors_foret_reference_par_interregion.csv")
    d = d.sort_values("INTER_REG")
    stock_rows, flux_rows = [], []
    stocks = {}
    for _, r in d.iterrows():
        ir = r["INTER_REG"]
        for col, bc in BIOMASS_CLASSES.items():
            v = num(r[col])
            stocks[(ir, bc)] = v
            stock_rows.append(dict(inter_region=ir, biomass_class=bc, value=v, unit="tC/ha",
                                   source=SRC_BIOMASS, source_year=ALDO_YEAR, confidence="primary",
                                   note="above + below ground; blank in source = 0"))
    flux_cols = [c for c in d.columns if " vers " in c]
    other = set(d.columns) - set(flux_cols) - set(BIOMASS_CLASSES) - {"INTER_REG"}
    if other:
        raise ValueError(f"unexpected biomass columns {other}")
    for _, r in d.iterrows():
        ir = r["INTER_REG"]
        for col in flux_cols:
            a, b = col.split(" vers ")
            fr, to = BIOMASS_CLASSES[a], BIOMASS_CLASSES[b]
            v = num(r[col])
            delta = stocks[(ir, to)] - stocks[(ir, fr)]
            conf = "primary"
            notes = []
            if v > 0:
                mode, unit = "kinetic", "tC/ha/an"
                notes.append("gain: annual value (stock delta / 20) applied for 20 years (method.md §6.6)")
                expected = delta / 20
            else:
                mode, unit = "instant", "tC/ha"
                notes.append("loss (or no change): one-off stock difference in the year of change (method.md §6.6)")
                expected = delta
            if r[col].strip() == "":
                notes.append("blank in source = 0")
            if fr == "prairies_arborees" and to == "zones_humides":
                notes.append("ALDO quirk kept as is: -57 in every inter-region even where the "
                             "prairies arborées stock is not 57; likely a source error (method.md §6.6 ❌)")
                if abs(v - expected) > 1e-9:
                    conf = "unverified"
            elif abs(v - expected) > 1e-9:
                notes.append(f"differs from the stock difference implied by the stock table ({fmt_num(expected)})")
                conf = "unverified"
            flux_rows.append(dict(inter_region=ir, from_class=fr, to_class=to, value=v, unit=unit, mode=mode,
                                  source=SRC_BIOMASS, source_year=ALDO_YEAR, confidence=conf,
                                  note="; ".join(notes)))
    n1 = write_csv("aldo_biomass_nonforest.csv", stock_rows, [
        "inter_region", "biomass_class", "value", "unit", "source", "source_year", "confidence", "note"])
    n2 = write_csv("aldo_biomass_nonforest_flux.csv", flux_rows, [
        "inter_region", "from_class", "to_class", "value", "unit", "mode", "source", "source_year",
        "confidence", "note"])
    return n1, n2


# Region -> ALDO inter-region (method.md §5.3; same in ALDO region-to-inter-region.json @d7d9279)
REGIONS = [
    ("11", "Île-de-France", "NORD-OUEST"),
    ("24", "Centre-Val de Loire", "NORD-OUEST"),
    ("27", "Bourgogne-Franche-Comté", "NORD-EST"),
    ("28", "Normandie", "NORD-OUEST"),
    ("32", "Hauts-de-France", "NORD-OUEST"),
    ("44", "Grand Est", "NORD-EST"),
    ("52", "Pays de la Loire", "NORD-OUEST"),
    ("53", "Bretagne", "NORD-OUEST"),
    ("75", "Nouvelle-Aquitaine", "SUD-OUEST"),
    ("76", "Occitanie", "SUD-EST"),
    ("84", "Auvergne-Rhône-Alpes", "CENTRE-EST"),
    ("93", "Provence-Alpes-Côte d'Azur", "SUD-EST"),
    ("94", "Corse", "SUD-EST"),
]


def build_region_interregion(src: Path) -> int:
    # cross-check region 32 against the per-EPCI ALDO file
    e = read_src(src / "aldo_ademe" / "biomasse_hors_foret_reference_epci_59_62.csv")
    pairs = set(zip(e["CODE_REG"], e["INTER_REG"]))
    if pairs != {("32", "NORD-OUEST")}:
        raise ValueError(f"unexpected region/inter-region pairs in EPCI file: {pairs}")
    rows = [dict(region_code=c, region_name=n, inter_region=ir, source=SRC_REGION_IR, source_year=ALDO_YEAR,
                 confidence="primary") for c, n, ir in REGIONS]
    return write_csv("region_interregion.csv", rows, [
        "region_code", "region_name", "inter_region", "source", "source_year", "confidence"])


# ---------------------------------------------------------------------------
# Forest
# ---------------------------------------------------------------------------
COMPOSITION = {
    "Feuillu": "feuillus",
    "Conifere": "coniferes",
    "Mixte": "mixtes",
    "Peupleraie": "peupleraies",
    "total hors peupleraie hors indetermine": "total_hors_peupleraies",
    "total avec peupleraie hors indetermine": "total_avec_peupleraies",
    "total avec peupleuraie avec indetermine": "total_avec_peupleraies_avec_indetermine",  # sic in source
}
FOREST_QUANTITIES = [
    ("live_biomass", "carbone_(tC∙ha-1)", "tC/ha", "live tree biomass carbon, above + below ground"),
    ("dead_wood", "bois_mort_carbone_(tC∙ha-1)", "tC/ha", "dead wood carbon"),
    ("net_growth", "bilan_carbone_(tC∙ha-1∙an-1)", "tC/ha/an",
     "net carbon balance (production - mortality - harvest), carbon column used directly (method.md §5.4)"),
    ("production_volume", "production_volume_(m3∙ha-1∙an-1)", "m3/ha/an", "gross production volume"),
    ("harvest_volume", "prelevement_volume_(m3∙ha-1∙an-1)", "m3/ha/an", "harvest (removals) volume"),
    ("mortality_volume", "mortalite_volume_(m3∙ha-1∙an-1)", "m3/ha/an", "mortality volume"),
    ("fexp", "fexp_vol_carb", "tC/m3",
     "volume-to-carbon factor bundling expansion factor, basic density and carbon fraction"),
]


def build_forest(src: Path) -> tuple[int, int]:
    d = read_src(src / "aldo_ademe" / "foret_bilan_carbone_par_ser_greco.csv")
    unknown = set(d["composition"]) - set(COMPOSITION)
    if unknown:
        raise ValueError(f"unknown forest compositions {unknown}")
    s = d[d["surface_ic"] == "s"].copy()
    type_order = {"groupeser": 0, "greco": 1, "rad13": 2, "bassin_populicole": 3, "France": 4}
    s["_o"] = s["type_localisation"].map(type_order)
    if s["_o"].isna().any():
        raise ValueError("unknown location type")
    s = s.sort_values(["_o", "code_localisation", "composition"], kind="mergesort")
    rows = []
    for _, r in s.iterrows():
        for q, col, unit, note in FOREST_QUANTITIES:
            if r[col].strip() == "":
                raise ValueError(f"blank {col} in significant row {r['type_localisation']} {r['code_localisation']}")
            rows.append(dict(location_type=r["type_localisation"], location_code=r["code_localisation"],
                             location_name=r["nom_localisation"], composition=COMPOSITION[r["composition"]],
                             quantity=q, value=num(r[col]), unit=unit, source=SRC_FOREST, source_year=ALDO_YEAR,
                             confidence="primary", note=note + "; IGN inventory 2016-2020, significant rows only"))
    n1 = write_csv("ign_forest_carbon.csv", rows, [
        "location_type", "location_code", "location_name", "composition", "quantity", "value", "unit",
        "source", "source_year", "confidence", "note"])

    # self-check against method.md §5.4 (GRECO B feuillus)
    def get(lt, lc, comp, q):
        m = [x for x in rows if x["location_type"] == lt and x["location_code"] == lc
             and x["composition"] == comp and x["quantity"] == q]
        if len(m) != 1:
            raise ValueError(f"missing forest row {lt} {lc} {comp} {q}")
        return m[0]["value"]
    assert get("greco", "B", "feuillus", "live_biomass") == 99.57
    assert get("greco", "B", "feuillus", "dead_wood") == 6.83
    assert get("greco", "B", "feuillus", "net_growth") == 1.05
    assert get("bassin_populicole", "Nord", "peupleraies", "live_biomass") == 53.98

    # Region -> location (method.md §5.4): ALDO looks per commune for groupeser -> greco -> rad13
    # -> bassin_populicole -> France. No commune->SER map is shipped, so the SER-group level is skipped
    # and Hauts-de-France uses GRECO B (Centre Nord semi-océanique, covering Nord-Pas-de-Calais).
    base_note = ("ALDO fallback order per commune and composition: groupeser -> greco -> rad13 -> "
                 "bassin_populicole -> France (significant rows only, surface_ic = s). espass_geo ships no "
                 "commune -> SER map, so the SER-group level is skipped")
    loc_rows = []
    for comp in ("feuillus", "coniferes", "mixtes"):
        get("greco", "B", comp, "live_biomass")
        loc_rows.append(dict(region_code="32", composition=comp, location_type="greco", location_code="B",
                             source=SRC_FOREST_LOC, source_year=ALDO_YEAR, confidence="derived",
                             note=base_note + "; GRECO B 'Centre Nord semi-océanique' is the GRECO covering "
                                              "Nord-Pas-de-Calais and comes before the region level (rad13 HDF) "
                                              "in ALDO's order; applied to the whole region 32 (approximation "
                                              "for parts of Picardie that may lie in another GRECO)"))
    get("bassin_populicole", "Nord", "peupleraies", "live_biomass")
    loc_rows.append(dict(region_code="32", composition="peupleraies", location_type="bassin_populicole",
                         location_code="Nord", source=SRC_FOREST_LOC, source_year=ALDO_YEAR, confidence="derived",
                         note=base_note + "; poplars have no significant SER/GRECO/region row, so ALDO reaches "
                                          "the poplar basin level: 'Nord' basin for Hauts-de-France"))
    for comp in ("feuillus", "coniferes", "mixtes", "peupleraies"):
        get("France", "France", comp, "live_biomass")
        loc_rows.append(dict(region_code="*", composition=comp, location_type="France", location_code="France",
                             source=SRC_FOREST_LOC, source_year=ALDO_YEAR, confidence="derived",
                             note=base_note + "; national fallback for any region without a specific row"))
    n2 = write_csv("aldo_forest_location_by_region.csv", loc_rows, [
        "region_code", "composition", "location_type", "location_code", "source", "source_year",
        "confidence", "note"])
    return n1, n2


def build_litter() -> int:
    # method.md §5.2: 9 tC/ha for every forest type (ALDO data/stocks.js)
    LITTER_TC_HA = 9
    rows = [dict(land_use=lu, value=LITTER_TC_HA, unit="tC/ha", source=SRC_LITTER, source_year=ALDO_YEAR,
                 confidence="primary",
                 note="number read in ALDO code (primary) but weak provenance: the code marks it "
                      "'TODO: ask follow up on source of this data' (method.md §5.2)")
            for lu in FOREST_LAND_USES]
    return write_csv("aldo_litter.csv", rows, ["land_use", "value", "unit", "source", "source_year",
                                                "confidence", "note"])


def build_hedges(src: Path) -> tuple[int, dict]:
    d = read_src(src / "aldo_ademe" / "carbone_haies_tC_km_par_departement.csv")
    if len(d) != 31:
        raise ValueError(f"expected 31 départements, got {len(d)}")
    d["departement"] = d["dep"].str.zfill(2)
    d = d.sort_values("departement")
    rows = []
    for _, r in d.iterrows():
        for q, col in (("aerial", "C_aerien_km"), ("total", "C_tot_km")):
            rows.append(dict(departement=r["departement"], quantity=q, value=num(r[col]), unit="tC/km",
                             source=SRC_HEDGE, source_year=ALDO_YEAR, confidence="primary",
                             note=("above-ground carbon" if q == "aerial" else "total carbon (above + below ground)")
                             + " per km of hedge; IGN 2022 study"))
    mean_aer = sum(num(x) for x in d["C_aerien_km"]) / len(d)
    mean_tot = sum(num(x) for x in d["C_tot_km"]) / len(d)
    # method.md §5.5: national default used by ALDO outside the 31 départements = 101.347 tC/km (doc: 101)
    HEDGE_DEFAULT_TOTAL = 101.347
    if abs(mean_tot - HEDGE_DEFAULT_TOTAL) >= 0.0005:
        raise ValueError(f"hedge total mean {mean_tot} does not round to {HEDGE_DEFAULT_TOTAL}")
    ratios = [num(t) / num(a) for a, t in zip(d["C_aerien_km"], d["C_tot_km"])]
    rows.append(dict(departement="default", quantity="aerial", value=round(mean_aer, 6), unit="tC/km",
                     source=SRC_HEDGE_DEFAULT, source_year=ALDO_YEAR, confidence="derived",
                     note=(f"computed by espass_geo as the plain mean of the 31 départements' aerial values "
                           f"({mean_aer:.6f}); consistent with the total default since total/aerial = "
                           f"{min(ratios):.4f}-{max(ratios):.4f} in every département")))
    rows.append(dict(departement="default", quantity="total", value=HEDGE_DEFAULT_TOTAL, unit="tC/km",
                     source=SRC_HEDGE_DEFAULT, source_year=ALDO_YEAR, confidence="primary",
                     note=(f"ALDO national default 101.347 (ALDO documentation rounds to 101); equals the plain "
                           f"unweighted mean of the 31 départements' total values ({mean_tot:.5f}) to 3 "
                           f"decimals")))
    n = write_csv("aldo_hedge_carbon.csv", rows, ["departement", "quantity", "value", "unit", "source",
                                                  "source_year", "confidence", "note"])
    return n, dict(mean_aerial=mean_aer, mean_total=mean_tot, ratio_min=min(ratios), ratio_max=max(ratios))


def build_artificial_split() -> int:
    # method.md §7: CLC vintage, >= 20 % vegetated, <= 80 % sealed
    rows = [
        dict(parameter="min_vegetated_share", value=0.20, unit="fraction",
             note="minimum share of artificial land counted as vegetated (grassed/shrubby + wooded CLC 141); "
                  "CLC vintage only, adjustable"),
        dict(parameter="sealed_share", value=0.80, unit="fraction",
             note="share of artificial land (CLC 111-133, 142) counted as sealed when CLC 141 is below 20 %; "
                  "CLC vintage only (the CITEPA vintage uses commune OCS GE ratios instead)"),
    ]
    for r in rows:
        r.update(source=SRC_ART_SPLIT, source_year=ALDO_YEAR, confidence="primary")
    return write_csv("aldo_artificial_split.csv", rows, ["parameter", "value", "unit", "source", "source_year",
                                                          "confidence", "note"])


# ---------------------------------------------------------------------------
# IPCC Tier 1
# ---------------------------------------------------------------------------
IPCC_CLIMATES = ["boreal", "cold_temperate_dry", "cold_temperate_moist", "warm_temperate_dry",
                 "warm_temperate_moist", "tropical_dry", "tropical_moist", "tropical_wet", "tropical_montane"]
IPCC_SOILS = ["hac", "lac", "sandy", "spodic", "volcanic", "wetland"]
NA = None
# IPCC 2006 Vol. 4 Table 2.3, tC/ha 0-30 cm (method.md §9.1). Markers: '#' 1996 value kept,
# '*' taken from warm temperate moist. Columns: hac, lac, sandy, spodic, volcanic, wetland.
IPCC_SOC_REF = {
    "boreal":               [(68, ""), NA, (10, "#"), (117, ""), (20, "#"), (146, "")],
    "cold_temperate_dry":   [(50, ""), (33, ""), (34, ""), NA, (20, "#"), (87, "")],
    "cold_temperate_moist": [(95, ""), (85, ""), (71, ""), (115, ""), (130, ""), (87, "")],
    "warm_temperate_dry":   [(38, ""), (24, ""), (19, ""), NA, (70, "#"), (88, "")],
    "warm_temperate_moist": [(88, ""), (63, ""), (34, ""), NA, (80, ""), (88, "")],
    "tropical_dry":         [(38, ""), (35, ""), (31, ""), NA, (50, "#"), (86, "")],
    "tropical_moist":       [(65, ""), (47, ""), (39, ""), NA, (70, "#"), (86, "")],
    "tropical_wet":         [(44, ""), (60, ""), (66, ""), NA, (130, "#"), (86, "")],
    "tropical_montane":     [(88, "*"), (63, "*"), (34, "*"), NA, (80, "*"), (86, "")],
}


def build_ipcc_soc_ref() -> int:
    rows = []
    for cl in IPCC_CLIMATES:
        for st, cell in zip(IPCC_SOILS, IPCC_SOC_REF[cl]):
            if cell is NA:
                continue
            v, mark = cell
            notes = ["uncertainty ±90 %"]
            if mark == "#":
                notes.append("IPCC 1996 value kept in 2006 table")
            if mark == "*":
                notes.append("value taken from warm temperate moist")
            if st == "wetland":
                notes.append("merged cell per climate group in the PDF (146/87/88/86); check row alignment")
            rows.append(dict(climate=cl, soil_type=st, value=v, unit="tC/ha", edition=2006, source=SRC_IPCC_SOC,
                             source_year=2006, confidence="secondary", note="; ".join(notes)))
    return write_csv("ipcc_soc_ref.csv", rows, ["climate", "soil_type", "value", "unit", "edition", "source",
                                                "source_year", "confidence", "note"])


CG5 = ["temperate_boreal_dry", "temperate_boreal_moist", "tropical_dry", "tropical_moist_wet", "tropical_montane"]


def build_ipcc_factors() -> int:
    rows = []

    def add(lu, factor, level, cg, v, conf, src, note=""):
        rows.append(dict(ipcc_land_use=lu, factor=factor, level=level, climate_group=cg, value=v,
                         unit="dimensionless", edition=2006, source=src, source_year=2006, confidence=conf,
                         note=note))

    # Cropland, IPCC 2006 Vol. 4 Table 5.5 (method.md §9.2) — per climate group, or 'all'
    t55 = [
        ("F_LU", "long_term_cultivated", [0.80, 0.69, 0.58, 0.48, 0.64],
         {"temperate_boreal_dry": "±9 %", "temperate_boreal_moist": "±12 %"}),
        ("F_LU", "paddy_rice", 1.10, {}),
        ("F_LU", "perennial_tree_crop", 1.00, {}),
        ("F_LU", "set_aside", [0.93, 0.82, 0.93, 0.82, 0.88], {}),
        ("F_MG", "full_tillage", 1.00, {}),
        ("F_MG", "reduced_tillage", [1.02, 1.08, 1.09, 1.15, 1.09], {}),
        ("F_MG", "no_till", [1.10, 1.15, 1.17, 1.22, 1.16], {}),
        ("F_I", "low", [0.95, 0.92, 0.95, 0.92, 0.94], {}),
        ("F_I", "medium", 1.00, {}),
        ("F_I", "high_no_manure", [1.04, 1.11, 1.04, 1.11, 1.08], {}),
        ("F_I", "high_with_manure", [1.37, 1.44, 1.37, 1.44, 1.41], {}),
    ]
    level_notes = {"set_aside": "set-aside < 20 yr", "long_term_cultivated": "20 yr, 0-30 cm"}
    for factor, level, vals, unc in t55:
        if isinstance(vals, list):
            for cg, v in zip(CG5, vals):
                note = "; ".join(x for x in (level_notes.get(level, ""),
                                             f"uncertainty {unc[cg]}" if cg in unc else "") if x)
                add("cropland", factor, level, cg, v, "secondary", SRC_IPCC_T55, note)
        else:
            add("cropland", factor, level, "all", vals, "secondary", SRC_IPCC_T55,
                "same value in every climate group")

    # Grassland, IPCC 2006 Vol. 4 Table 6.2 (method.md §9.3)
    add("grassland", "F_LU", "all", "all", 1.0, "secondary", SRC_IPCC_T62, "all grassland")
    add("grassland", "F_MG", "nominal", "all", 1.0, "secondary", SRC_IPCC_T62, "nominally managed (non-degraded)")
    for cg, v, conf in (("temperate_boreal_dry", 1.14, "secondary"), ("temperate_boreal_moist", 1.14, "secondary"),
                        ("tropical_dry", 1.17, "secondary"), ("tropical_moist_wet", 1.17, "secondary"),
                        ("tropical_montane", 1.16, "unverified")):
        add("grassland", "F_MG", "improved", cg, v, conf, SRC_IPCC_T62,
            "tropical montane value not verified (method.md §9.3 ❌)" if conf == "unverified" else "")
    for cg, v in (("temperate_boreal_dry", 0.95), ("temperate_boreal_moist", 0.95), ("tropical_dry", 0.97),
                  ("tropical_moist_wet", 0.97), ("tropical_montane", 0.96)):
        add("grassland", "F_MG", "moderately_degraded", cg, v, "unverified", SRC_IPCC_T62,
            "not verified (method.md §9.3 ❌)")
    add("grassland", "F_MG", "severely_degraded", "all", 0.70, "unverified", SRC_IPCC_T62,
        "not verified (method.md §9.3 ❌)")
    add("grassland", "F_I", "medium", "all", 1.0, "secondary", SRC_IPCC_T62, "applies to improved grassland only")
    add("grassland", "F_I", "high", "all", 1.11, "secondary", SRC_IPCC_T62, "applies to improved grassland only")
    return write_csv("ipcc_stock_change_factors.csv", rows, [
        "ipcc_land_use", "factor", "level", "climate_group", "value", "unit", "edition", "source",
        "source_year", "confidence", "note"])


def build_zpc_to_ipcc(zpcs: list[str]) -> int:
    # method.md §4: climate digit 1 warm temperate moist, 2 warm temperate dry, 3 cool temperate moist (🟡)
    CLIMATE = {"1": ("warm_temperate_moist", "temperate_boreal_moist"),
               "2": ("warm_temperate_dry", "temperate_boreal_dry"),
               "3": ("cold_temperate_moist", "temperate_boreal_moist")}
    # texture 1 coarse -> sandy; 2-5 (medium to very fine) -> high-activity clay (espass_geo choice)
    rows = []
    for z in zpcs:
        tex, cl = z.split("_")
        climate, group = CLIMATE[cl]
        soil = "sandy" if tex == "1" else "hac"
        rows.append(dict(zpc=z, ipcc_climate=climate, ipcc_soil_type=soil, ipcc_climate_group=group,
                         source=SRC_ZPC_IPCC, source_year=2006, confidence="derived",
                         note=("digit->climate reading derived from the zone order of the ALDO documentation "
                               "(method.md §4 🟡); texture 1 (coarse) read as IPCC sandy, textures 2-5 as HAC "
                               "(no LAC/spodic/volcanic distinction available from the ZPC code)")))
    return write_csv("zpc_to_ipcc.csv", rows, ["zpc", "ipcc_climate", "ipcc_soil_type", "ipcc_climate_group",
                                               "source", "source_year", "confidence", "note"])


def build_ipcc_land_use_defaults() -> int:
    FB = "aldo_fallback"
    U = "unity"
    spec = {
        "cropland": ("cropland", "long_term_cultivated", "full_tillage", "medium", "",
                     "IPCC cropland, default management: full tillage, medium input"),
        "grassland_herbaceous": ("grassland", "all", "nominal", "medium", "",
                                 "nominally managed grassland: all factors 1"),
        "grassland_shrubby": ("grassland", "all", "nominal", "medium", "",
                              "nominally managed grassland: all factors 1"),
        "grassland_wooded": ("grassland", "all", "nominal", "medium", "",
                             "nominally managed grassland: all factors 1"),
        "orchard": ("cropland", "perennial_tree_crop", "full_tillage", "medium", "",
                    "perennial / tree crop (F_LU 1.0)"),
        "vineyard": ("cropland", "perennial_tree_crop", "full_tillage", "medium", "",
                     "perennial / tree crop (F_LU 1.0)"),
        "wetland": ("wetland", U, U, U, "wetland",
                    "SOC_ref of soil_type 'wetland' for the climate, no stock change factor (factors = 1)"),
        "artificial_sealed": ("settlement", FB, FB, FB, "",
                              "IPCC Tier 1 has no default SOC for settlements; ALDO value used"),
        "artificial_grassed": ("settlement", FB, FB, FB, "",
                               "IPCC Tier 1 has no default SOC for settlements; ALDO value used"),
        "artificial_wooded": ("settlement", FB, FB, FB, "",
                              "IPCC Tier 1 has no default SOC for settlements; ALDO value used"),
        "artificial_unsplit": ("settlement", FB, FB, FB, "",
                               "IPCC Tier 1 has no default SOC for settlements; ALDO value used after the 80/20 split"),
        "unmapped": ("other", FB, FB, FB, "",
                     "IPCC 'other land' has no SOC default here; ALDO treatment used (no class, zero stock)"),
    }
    for lu in FOREST_LAND_USES:
        spec[lu] = ("forest", U, U, U, "", "forest land: Tier 1 SOC = SOC_ref, all factors 1")
    rows = []
    for lu, *_ in LAND_USES:
        ilu, flu, fmg, fi, soil_override, note = spec[lu]
        rows.append(dict(land_use=lu, ipcc_land_use=ilu, f_lu_level=flu, f_mg_level=fmg, f_i_level=fi,
                         soil_type_override=soil_override, source=SRC_IPCC_DEFAULTS, source_year=2006,
                         confidence="derived",
                         note=note + ". Tokens: 'unity' = factor 1 with no table row; 'aldo_fallback' = no IPCC "
                                     "Tier 1 default, use the ALDO value; levels key into "
                                     "ipcc_stock_change_factors.csv (climate_group 'all' rows apply to every "
                                     "group)"))
    return write_csv("ipcc_land_use_defaults.csv", rows, [
        "land_use", "ipcc_land_use", "f_lu_level", "f_mg_level", "f_i_level", "soil_type_override",
        "source", "source_year", "confidence", "note"])


# ---------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source-dir", required=True, type=Path,
                    help="root of the open-data set (contains aldo_ademe/ and nomenclatures/)")
    args = ap.parse_args(argv)
    src = args.source_dir
    for sub in ("aldo_ademe", "nomenclatures"):
        if not (src / sub).is_dir():
            ap.error(f"{src / sub} not found")
    print(f"writing factor tables to {OUT_DIR}")
    build_land_use_classes()
    build_clc_to_land_use(src)
    _, zpcs = build_soil_stock(src)
    build_soil_flux(src)
    build_commune_zpc(src)
    build_biomass(src)
    build_region_interregion(src)
    build_forest(src)
    build_litter()
    _, hedge_stats = build_hedges(src)
    build_artificial_split()
    build_ipcc_soc_ref()
    build_ipcc_factors()
    build_zpc_to_ipcc(zpcs)
    build_ipcc_land_use_defaults()
    print("hedge check: mean aerial {mean_aerial:.6f}, mean total {mean_total:.6f}, "
          "total/aerial {ratio_min:.6f}-{ratio_max:.6f}".format(**hedge_stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
