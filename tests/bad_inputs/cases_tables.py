"""Sloppy and hostile user TABLES (CSV) through stocks, flows and emissions.

Every table is read by ``espass_geo.io.tables``: separator and encoding detected (French Excel
files are read, not refused), ambiguous numbers refused with file, column, line and value,
duplicate keys refused naming the lines, zones checked against the territory, areas closed on
the zone geometry, magnitudes bounded. Zones: the two 8 ha boxes A and B of ``common``
(user polygons: closure tolerance 0.5 %); for emissions, the real communes 59183 and 59350
written as a user file (so the embedded demo inventory and populations apply).
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import pandas as pd

from .common import TINY, Case, stocks_args, write_raster, write_zones

#: The tiny raster with its no-data pixels filled (full coverage: no coverage warning).
FULL = TINY.copy()
FULL[FULL == 0] = 311

#: A valid long area table: A = 6 + 2 = 8 ha, B = 6 + 2 = 8 ha (the 8 ha boxes, closed).
AREAS_OK = "zone_id,code,area_ha\nA,211,6\nA,112,2\nB,311,6\nB,231,2\n"


def _write(tmp: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode(encoding))
    return path


def areas_case(id: str, text: str | bytes, expect: str = "error", match=(), encoding="utf-8",
               check=None) -> Case:
    def build(tmp: Path) -> list[str]:
        zones = write_zones(tmp)
        areas = _write(tmp, "surfaces.csv", text, encoding)
        return ["stocks", "--territory", str(zones), "--zpc", "2_1", "--areas", str(areas),
                "--out", str(tmp / "out"), "--no-map"]
    return Case(id, build, expect, tuple(match), check)


def _areas_read_as(expected: dict[tuple[str, str], float]):
    """check: the published areas.csv holds exactly these hectares per zone × code."""
    def check(tmp: Path, result) -> None:
        a = pd.read_csv(tmp / "out" / "areas.csv", dtype={"zone_id": str, "code": str})
        got = {(r.zone_id, r.code): r.area_ha for r in a.itertuples(index=False)}
        assert set(got) == set(expected), got
        for k, v in expected.items():
            assert abs(got[k] - v) < 1e-9, (k, got[k], v)
    return check


def hedges_case(id: str, text: str, expect: str = "error", match=(), check=None) -> Case:
    def build(tmp: Path) -> list[str]:
        zones = write_zones(tmp)
        raster = write_raster(tmp / "occupation.tif", FULL)
        hedges = _write(tmp, "haies.csv", text)
        return ["stocks", "--territory", str(zones), "--zpc", "2_1", "--landcover", str(raster),
                "--hedges", str(hedges), "--out", str(tmp / "out"), "--no-map"]
    return Case(id, build, expect, tuple(match), check)


def flows_case(id: str, changes: str, forest: str | None = None, expect: str = "error",
               match=()) -> Case:
    def build(tmp: Path) -> list[str]:
        zones = write_zones(tmp)
        args = ["flows", "--territory", str(zones), "--zpc", "2_1",
                "--changes", str(_write(tmp, "changements.csv", changes)),
                "--out", str(tmp / "out"), "--no-map"]
        if forest is not None:
            args += ["--forest-areas", str(_write(tmp, "forets.csv", forest))]
        return args
    return Case(id, build, expect, tuple(match))


@cache
def _communes():
    from espass_geo.territory.resolve import resolve_territory

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "2 communes only": ALDO's caution, not the point
        z = resolve_territory("59183,59350").zones[["zone_id", "geometry"]].copy()
    z["zone_name"] = ["Dunkerque", "Lille"]
    return z


def emissions_case(id: str, option: str | None, text: str | None, expect: str = "error",
                   match=()) -> Case:
    def build(tmp: Path) -> list[str]:
        path = tmp / "communes.geojson"
        _communes().to_file(path, engine="pyogrio")
        args = ["emissions", "--territory", str(path), "--out", str(tmp / "out"), "--no-map"]
        if option is not None:
            args += [option, str(_write(tmp, "table.csv", text))]
        return args
    return Case(id, build, expect, tuple(match))


INV_HEAD = "territory_code,territory_level,sector,substance,year,value,unit\n"
INV_OK = INV_HEAD + "".join(
    f"{c},commune,residentiel,{s},2021,{v},{u}\n" for c in ("59183", "59350")
    for s, v, u in (("GES", 1000, "tCO2e"), ("NOx", 1, "t"), ("PM10", 1, "t"), ("PM2.5", 1, "t"),
                    ("COVNM", 1, "t"), ("SO2", 1, "t"), ("NH3", 1, "t")))

CASES = [
    # ------------------------------------------------------------------ --areas
    areas_case("tables-areas-ok", AREAS_OK, "ok", (r"stock total",),
               check=_areas_read_as({("A", "211"): 6, ("A", "112"): 2, ("B", "311"): 6,
                                     ("B", "231"): 2})),
    # French Excel: « ; », decimal comma, Windows-1252 (é in a header), read correctly
    areas_case("tables-areas-french-excel-cp1252",
               "zone_id;code;surface_ha;libellé\nA;211;5,5;Blé\nA;112;2,5;Bâti\nB;311;8;Forêt\n"
               .replace("surface_ha", "area_ha"), "ok", (r"stock total",), encoding="cp1252",
               check=_areas_read_as({("A", "211"): 5.5, ("A", "112"): 2.5, ("B", "311"): 8.0})),
    # UTF-8 with BOM, tab-separated, decimal comma (another Excel export)
    areas_case("tables-areas-bom-tab",
               b"\xef\xbb\xbfzone_id\tcode\tarea_ha\nA\t211\t7,25\nA\t112\t0,75\nB\t311\t8\n",
               "ok", (r"stock total",),
               check=_areas_read_as({("A", "211"): 7.25, ("A", "112"): 0.75,
                                     ("B", "311"): 8.0})),
    areas_case("tables-areas-wide-ok", "zone_id,211,112,311,231\nA,6,2,,\nB,,,6,2\n", "ok",
               (r"stock total",),
               check=_areas_read_as({("A", "211"): 6, ("A", "112"): 2, ("B", "311"): 6,
                                     ("B", "231"): 2})),
    # a duplicated row used to be summed (12 ha of 211 in an 8 ha zone)
    areas_case("tables-areas-duplicate-row", AREAS_OK + "A,211,6\n", "error",
               (r"surfaces\.csv", r"lignes 2, 6", r"doublon")),
    areas_case("tables-areas-duplicate-key-different-values",
               AREAS_OK.replace("A,112,2", "A,211,1"), "error", (r"lignes 2, 3", r"même clé")),
    areas_case("tables-areas-wide-duplicate-zone", "zone_id,211,311\nA,8,\nB,,8\nA,8,\n",
               "error", (r"lignes 2, 4",)),
    # "1,234" (quoted in a comma file): thousands separator or decimal comma? refused
    areas_case("tables-areas-thousands-comma", 'zone_id,code,area_ha\nA,211,"1,234"\nB,311,8\n',
               "error", (r"ligne 2, colonne area_ha", r"1,234", r"ambigu")),
    areas_case("tables-areas-thousands-dot-comma", "zone_id;code;area_ha\nA;211;1.234,5\n"
               "B;311;8\n", "error", (r"1\.234,5", r"milliers")),
    areas_case("tables-areas-thousands-space-dot-file", "zone_id,code,area_ha\nA,211,1 234\n"
               "B,311,8\n", "error", (r"1 234", r"milliers")),
    areas_case("tables-areas-mixed-decimal-marks", "zone_id;code;area_ha\nA;211;5,5\nA;112;2.5\n"
               "B;311;8\n", "error", (r"ligne 3", r"2\.5", r"une seule convention")),
    # decimal comma unquoted in a comma file: the row has one cell too many
    areas_case("tables-areas-decimal-comma-in-comma-file", "zone_id,code,area_ha\nA,211,5,5\n"
               "B,311,8\n", "error", (r"ligne 2 : 4 valeurs pour 3 colonnes", r"guillemets")),
    areas_case("tables-areas-nan", AREAS_OK + "B,112,NaN\n", "error",
               (r"ligne 6", r"NaN", r"manquante")),
    areas_case("tables-areas-empty-cell", AREAS_OK.replace("B,231,2", "B,231,"), "error",
               (r"ligne 5", r"vide")),
    areas_case("tables-areas-inf", AREAS_OK.replace("B,231,2", "B,231,inf"), "error",
               (r"ligne 5", r"inf",)),
    areas_case("tables-areas-1e400", AREAS_OK.replace("B,231,2", "B,231,1e400"), "error",
               (r"1e400", r"non fini")),
    areas_case("tables-areas-negative", AREAS_OK.replace("B,231,2", "B,231,-2"), "error",
               (r"ligne 5", r"-2", r"négative")),
    areas_case("tables-areas-text", AREAS_OK.replace("B,231,2", "B,231,beaucoup"), "error",
               (r"beaucoup", r"pas un nombre")),
    # closure applied to CSV input: 1 000 ha or 5 000 000 ha in an 8 ha zone
    areas_case("tables-areas-larger-than-zone", AREAS_OK.replace("A,211,6", "A,211,1000"),
               "error", (r"zone A", r"dépassent", r"hectares")),
    areas_case("tables-areas-5-million-ha", AREAS_OK.replace("A,211,6", "A,211,5000000"),
               "error", (r"zone A", r"dépassent")),
    areas_case("tables-areas-zone-missing", "zone_id,code,area_ha\nA,211,6\nA,112,2\n", "error",
               (r"sans aucune surface", r"\bB\b")),
    areas_case("tables-areas-code-as-decimal", AREAS_OK.replace("A,112,2", "A,112.0,2"),
               "error", (r"112\.0", r"texte")),
    areas_case("tables-areas-binary", b"\x00\x01PK\x03\x04" + bytes(range(256)), "error",
               (r"binaire",)),
    areas_case("tables-areas-undecodable", b"zone_id,code,area_ha\nA,211,6\x81\n", "error",
               (r"encodage", r"UTF-8")),
    areas_case("tables-areas-empty-file", "", "error", (r"vide",)),
    areas_case("tables-areas-header-only", "zone_id,code,area_ha\n", "error",
               (r"aucune ligne",)),
    areas_case("tables-areas-duplicate-column", "zone_id,code,area_ha,area_ha\nA,211,6,6\n",
               "error", (r"colonne\(s\) en double dans l'en-tête : area_ha ;",)),
    Case("tables-areas-is-a-folder",
         lambda tmp: ["stocks", "--territory", str(write_zones(tmp)), "--zpc", "2_1",
                      "--areas", str(tmp), "--out", str(tmp / "out")],
         "error", (r"dossier",)),
    # ------------------------------------------------------------------ --hedges
    # 0.5 km in 8 ha = 62.5 m/ha (ALDO's 60 m/ha on crops): accepted, no warning
    hedges_case("tables-hedges-ok", "zone_id,length_km\nA,0.5\nB,0.4\n", "ok", (r"stock total",)),
    hedges_case("tables-hedges-negative", "zone_id,length_km\nA,-3\nB,0.4\n", "error",
                (r"ligne 2", r"-3", r"négative")),
    # 1e9 km in 8 ha: 125 billion m/ha
    hedges_case("tables-hedges-1e9-km", "zone_id,length_km\nA,1e9\nB,0.4\n", "error",
                (r"ligne 2", r"1\u202f000\u202f000\u202f000\xa0km pour 8\xa0ha, soit "
                 r"125\u202f000\u202f000\u202f000\xa0m/ha", r"unité")),
    hedges_case("tables-hedges-metres-as-km", "zone_id,length_km\nA,500\nB,0.4\n", "error",
                (r"62\u202f500\xa0m/ha",)),
    hedges_case("tables-hedges-unknown-zone", "zone_id,length_km\nA,0.5\nB,0.4\nC,1\n", "error",
                (r"C \(ligne 4\)", r"territoire")),
    hedges_case("tables-hedges-duplicate", "zone_id,length_km\nA,0.5\nB,0.4\nA,0.5\n", "error",
                (r"lignes 2, 4",)),
    hedges_case("tables-hedges-text", "zone_id,length_km\nA,beaucoup\nB,0.4\n", "error",
                (r"beaucoup",)),
    # ------------------------------------------------------------------ --changes, --forest-areas
    flows_case("tables-changes-ok", "zone_id,from_code,to_code,area_ha\nA,211,112,1\n"
               "B,231,311,0.5\n", None, "ok", (r"flux net",)),
    # a duplicated change row used to double the flux
    flows_case("tables-changes-duplicate-row", "zone_id,from_code,to_code,area_ha\n"
               "A,211,112,1\nA,211,112,1\n", None, "error", (r"lignes 2, 3", r"identiques")),
    flows_case("tables-changes-larger-than-zone", "zone_id,from_code,to_code,area_ha\n"
               "A,211,112,100\n", None, "error",
               (r"100\xa0ha changés dans la zone A, plus que sa surface \(8,00\xa0ha\)",)),
    flows_case("tables-changes-text", "zone_id,from_code,to_code,area_ha\nA,211,112,un\n", None,
               "error", (r"ligne 2", r"« un »")),
    flows_case("tables-changes-wide-duplicate", "zone_id,211-112\nA,1\nA,1\n", None, "error",
               (r"lignes 2, 3",)),
    flows_case("tables-forest-ok", "zone_id,from_code,to_code,area_ha\nA,211,112,1\n",
               "zone_id,composition,area_ha\nA,feuillus,2\nB,feuillus,2\n", "ok", (r"flux net",)),
    flows_case("tables-forest-larger-than-zone", "zone_id,from_code,to_code,area_ha\n"
               "A,211,112,1\n", "zone_id,composition,area_ha\nA,feuillus,50\nB,feuillus,2\n",
               "error", (r"forêt", r"plus que sa surface")),
    flows_case("tables-forest-duplicate", "zone_id,from_code,to_code,area_ha\nA,211,112,1\n",
               "zone_id,composition,area_ha\nA,feuillus,2\nB,feuillus,2\nA,feuillus,2\n",
               "error", (r"lignes 2, 4",)),
    flows_case("tables-forest-unknown-composition", "zone_id,from_code,to_code,area_ha\n"
               "A,211,112,1\n", "zone_id,composition,area_ha\nA,chenes,2\nB,feuillus,2\n",
               "error", (r"composition\(s\) inconnue\(s\) chenes ; utilisez feuillus, "
                         r"coniferes, mixtes, peupleraies\.",)),
    # flows has no --population: the remedy names its own options
    Case("tables-flows-wood-consumption-no-population",
         lambda tmp: flows_case("x", "zone_id,from_code,to_code,area_ha\nA,211,112,1\n").build(
             tmp) + ["--wood-products", "consumption"], "error",
         (r"pas de population embarquée \(communes et EPCI du Nord et du Pas-de-Calais, COG "
          r"2018\) pour les zones A, B ;", r"--wood-products harvest", r"^(?![\s\S]*--population)")),
    # zones outside the embedded communes without --zpc: the zones listed, no Python list
    Case("tables-zones-without-zpc",
         lambda tmp: [a for a in stocks_args(tmp) if a not in ("--zpc", "2_1")], "error",
         (r"pour la ou les zones A, B de « ", r"--zpc 2_1")),
    # ------------------------------------------------------------------ emissions tables
    emissions_case("tables-inventory-ok", "--inventory", INV_OK, "ok", (r"émissions directes",)),
    emissions_case("tables-inventory-duplicate-row", "--inventory",
                   INV_OK + "59183,commune,residentiel,GES,2021,1000,tCO2e\n", "error",
                   (r"ligne\(s\) 2, 16", r"double")),
    emissions_case("tables-inventory-two-years", "--inventory",
                   INV_OK + "59183,commune,residentiel,GES,2019,900,tCO2e\n", "error",
                   (r"plusieurs années \(2019, 2021\)",)),
    emissions_case("tables-inventory-thousands", "--inventory",
                   INV_OK.replace("2021,1000,", '2021,"1,000",', 1), "error",
                   (r"ligne 2, colonne value", r"ambigu",
                    r"Écrivez 1000 \(sans séparateur de milliers\) ou 1\.000 \(point décimal\)")),
    emissions_case("tables-inventory-inf", "--inventory",
                   INV_OK.replace("2021,1000,", "2021,inf,", 1), "error", (r"non fini",)),
    emissions_case("tables-inventory-year-text", "--inventory",
                   INV_OK.replace("GES,2021", "GES,vingt", 1), "error", (r"année",)),
    emissions_case("tables-population-ok", "--population",
                   "insee,population\n59183,86000\n59350,230000\n", "ok",
                   (r"empreinte de consommation",)),
    # population 0 used to write inf per inhabitant
    emissions_case("tables-population-zero", "--population",
                   "insee,population\n59183,0\n59350,230000\n", "error",
                   (r"ligne 2", r"> 0")),
    emissions_case("tables-population-duplicate", "--population",
                   "insee,population\n59183,86000\n59350,230000\n59183,86000\n", "error",
                   (r"lignes 2, 4",)),
    emissions_case("tables-population-missing-zone", "--population",
                   "insee,population\n59183,86000\n", "error",
                   (r"59350", r"^(?![\s\S]*table\.csv[\s\S]*table\.csv)")),
    emissions_case("tables-population-french-excel", "--population",
                   "insee;population\n59183;86 000\n59350;230 000\n", "ok",
                   (r"empreinte de consommation",)),
    emissions_case("tables-land-flows-ok", "--land-flows",
                   "zone_id,flux_tCO2e_an\n59183,-120.5\n59350,30\n", "ok",
                   (r"empreinte de consommation",)),
    # a text value in a land-flows table used to give a traceback
    emissions_case("tables-land-flows-text", "--land-flows",
                   "zone_id,flux_tCO2e_an\n59183,beaucoup\n59350,30\n", "error",
                   (r"ligne 2, colonne flux_tCO2e_an", r"beaucoup")),
    emissions_case("tables-land-flows-other-territory", "--land-flows",
                   "zone_id,flux_tCO2e_an\n245900428,-120\n", "error",
                   (r"59183", r"même territoire")),
    emissions_case("tables-land-flows-duplicate", "--land-flows",
                   "zone_id,flux_tCO2e_an\n59183,-1\n59350,3\n59183,-1\n", "error",
                   (r"lignes 2, 4",)),
    emissions_case("tables-adjustments-ok", "--footprint-adjustments",
                   "zone_id,post,factor,driver\n*,deplacements,1.2,motorisation\n", "ok",
                   (r"empreinte de consommation",)),
    emissions_case("tables-adjustments-unknown-zone", "--footprint-adjustments",
                   "zone_id,post,factor,driver\n59999,deplacements,1.2,motorisation\n", "error",
                   (r"59999 \(ligne 2\)",)),
    # +20 % typed as 120
    emissions_case("tables-adjustments-percent-as-factor", "--footprint-adjustments",
                   "zone_id,post,factor,driver\n*,deplacements,120,motorisation\n", "error",
                   (r"120", r"plausible")),
    emissions_case("tables-adjustments-duplicate", "--footprint-adjustments",
                   "zone_id,post,factor,driver\n*,deplacements,1.2,a\n*,deplacements,1.1,b\n",
                   "error", (r"lignes 2, 3",)),
]
