"""ZAN through the command line (issue #12): ``espass-geo zan``, ``bilan.toml`` [zan] and the
ZAN keys of scenario files.

Every error exits 2 with « Erreur », the file / value named and the remedy, and writes nothing.
The territory is three small communes of the Nord (59005 Allennes-les-Marais, 59009
Villeneuve-d'Ascq, 59015 Anstaing; ZPC 2_1, embedded boundaries) with a consumption file in
Cerema's exact layout (:func:`bad_inputs.cases_consumption.cerema_file`) or in the tidy form
(``commune_id, commune_name, year, destination, area_ha``). OCS GE layers are two 100 m boxes
inside 59005.

The one accepted case (``zan-hostile-commune-names``) puts hostile commune names (a Jinja2
expression, a script break-out, a spreadsheet formula) in a tidy consumption file **and** in a
territory file of communes: the run succeeds, the map shows the names as text (escaped, never
evaluated) and the CSV / xlsx cells do not start a formula.
"""

from __future__ import annotations

import csv
import html
import re
import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from .cases_consumption import cerema_file
from .common import Case, write_zones

COMMUNES = "59005,59009,59015"
#: A point inside 59005 (Allennes-les-Marais), Lambert-93.
PX, PY = 696_400.0, 7_049_100.0


def _three(tmp: Path, name: str = "conso.csv") -> Path:
    """Cerema layout, 1 000 m² of housing every year 2009–2022 in each of the three communes."""
    return cerema_file(tmp / name, [
        {"idcom": c, "name": f"Commune {c}", "years": {y: {"hab": 1000}
                                                       for y in range(2009, 2023)}}
        for c in COMMUNES.split(",")])


def _zan(tmp: Path, *extra: str, territory: str = COMMUNES, conso: Path | None = None
         ) -> list[str]:
    conso = conso or _three(tmp)
    return ["zan", "-t", territory, "--consumption", str(conso), "--out", str(tmp / "out"),
            *extra]


def _tidy(path: Path, names: dict[str, str]) -> Path:
    """Tidy consumption (hectares): 0,1 ha of housing a year 2011–2022 per commune."""
    lines = ["commune_id,commune_name,year,destination,area_ha"]
    for code, name in names.items():
        quoted = '"' + name.replace('"', '""') + '"'
        for y in range(2011, 2023):
            lines += [f"{code},{quoted},{y},total,0.1", f"{code},{quoted},{y},habitat,0.1"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ territory
def _not_communes(tmp: Path) -> list[str]:
    # with --zpc: without it, the CLI asks for a ZPC first (api.zan resolves the territory
    # before runs.zan.resolve_communes can say the zones are not communes)
    return _zan(tmp, "--zpc", "2_1", territory=str(write_zones(tmp)))


# ------------------------------------------------------------------ territorialisation
def _shares(text: str):
    def build(tmp: Path) -> list[str]:
        (tmp / "parts.csv").write_text(text, encoding="utf-8")
        return _zan(tmp, "--territorialisation", str(tmp / "parts.csv"))
    return build


def _check_shares(tmp: Path, result) -> None:
    # each commune: 10 × 0,1 ha = 1 ha of reference, budget 0,5 ha → envelope 1,5 ha;
    # 59005 gets 0,5 × 1,5 = 0,75 ha, 59015 0,2 × 1,5 = 0,3 ha
    with open(tmp / "out" / "zan_territorialisation.csv", encoding="utf-8", newline="") as f:
        env = {r["zone_id"]: float(r["envelope_ha"]) for r in csv.DictReader(f)}
    assert abs(env["59005"] - 0.75) < 1e-9 and abs(env["59015"] - 0.3) < 1e-9, env


# ------------------------------------------------------------------ OCS GE
def _layer(path: Path, fields: dict[str, list[str]]) -> Path:
    n = len(next(iter(fields.values())))
    geoms = [box(PX + 100 * i, PY, PX + 100 * (i + 1), PY + 100) for i in range(n)]
    gpd.GeoDataFrame(fields, geometry=geoms, crs="EPSG:2154").to_file(path, engine="pyogrio")
    return path


def _ocsge(before: dict[str, list[str]], after: dict[str, list[str]],
           years: tuple[str, ...] = ("--years", "2018", "2021")):
    def build(tmp: Path) -> list[str]:
        b = _layer(tmp / "ocsge_2018.gpkg", before)
        a = _layer(tmp / "ocsge_2021.gpkg", after)
        return _zan(tmp, "--landcover-before", str(b), "--landcover-after", str(a), *years)
    return build


OCS_OK = {"CODE_CS": ["CS2.2.1", "CS1.1.1.1"], "CODE_US": ["US1.1", "US235"]}


# ------------------------------------------------------------------ bilan.toml [zan]
BILAN = ('title = "b"\nterritory = "59005,59009,59015"\n\n'
         '[landcover]\nafter = "demo"\nbefore = "demo-2012"\nyears = [2012, 2018]\n\n')


def _bilan(zan: str, *, conso: bool = True):
    def build(tmp: Path) -> list[str]:
        if conso:
            _three(tmp)
        (tmp / "bilan.toml").write_text(BILAN + zan, encoding="utf-8")
        return ["bilan", "--config", str(tmp / "bilan.toml"), "--out", str(tmp / "out"), "-q"]
    return build


# ------------------------------------------------------------------ scenario files
# 1 title, 2 territory, 3 start_year, 4 horizon, 5 blank, 6 [landcover], 7 after, 8 before,
# 9 years, 10 blank, 11 [[scenario]], 12 name, 13 zan
SC = ('title = "z"\nterritory = "59005,59009,59015"\nstart_year = 2025\nhorizon = 2050\n\n'
      '[landcover]\nafter = "demo"\nbefore = "demo-2012"\nyears = [2012, 2018]\n\n'
      '[[scenario]]\nname = "s"\n')


def _scenario(text: str, geometry: bool = False):
    def build(tmp: Path) -> list[str]:
        if geometry:
            gpd.GeoDataFrame({"n": [1]}, geometry=[box(PX, PY, PX + 300, PY + 300)],
                             crs="EPSG:2154").to_file(tmp / "friche.geojson", engine="pyogrio")
        (tmp / "zan.toml").write_text(text, encoding="utf-8")
        return ["scenario", "--config", str(tmp / "zan.toml"), "--out", str(tmp / "out")]
    return build


RENATURE = ('zan = "loi"\n\n[[scenario.action]]\ntype = "renature"\nto = "{to}"\n'
            'geometry = "friche.geojson"\nyear = 2030\n')  # 15 [[…]], 16 type, 17 to


# ------------------------------------------------------------------ hostile names
EXPR = "Commune {{7*7}} fin"
SCRIPT = "</script><script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","clic")'
HOSTILE = {"59005": EXPR, "59009": SCRIPT, "59015": FORMULA}


def _hostile(tmp: Path) -> list[str]:
    import warnings

    from espass_geo.territory.resolve import resolve_territory

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # three communes only
        zones = resolve_territory(COMMUNES).zones[["zone_id", "geometry"]]
    zones = zones.assign(zone_name=zones["zone_id"].map(HOSTILE))
    zones.to_file(tmp / "communes.gpkg", engine="pyogrio")
    conso = _tidy(tmp / "conso_rangee.csv", HOSTILE)
    return _zan(tmp, "--id-field", "zone_id", "--name-field", "zone_name",
                territory=str(tmp / "communes.gpkg"), conso=conso)


def _check_hostile(tmp: Path, result) -> None:
    out = tmp / "out"
    page = (out / "carte_zan.html").read_text(encoding="utf-8")
    assert "</script><script>alert" not in page
    assert "Commune 49 fin" not in page
    decoded = html.unescape(re.sub(r"\\u([0-9a-fA-F]{4})",
                                   lambda m: chr(int(m.group(1), 16)), page))
    assert EXPR in decoded and SCRIPT in decoded  # shown as text
    # CSV: the formula name is neutralised (a leading '), every name is there
    with open(out / "zan_communes.csv", encoding="utf-8", newline="") as f:
        rows = {r["zone_id"]: r for r in csv.DictReader(f)}
    assert rows["59015"]["zone_name"] == "'" + FORMULA, rows["59015"]["zone_name"]
    assert rows["59005"]["zone_name"] == EXPR
    # 12 × 0,1 ha a year; reference 2011–2020 = 10 × 0,1 = 1 ha, numbers stay numbers
    assert float(rows["59005"]["reference_2011_2020_ha"]) == 1.0
    # xlsx: the formula name is a text cell (type "s"), never a formula (no <f> element)
    import openpyxl

    with zipfile.ZipFile(out / "zan.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and all("<f>" not in z.read(n).decode("utf-8") for n in sheets)
    wb = openpyxl.load_workbook(out / "zan.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells), cells


CASES = [
    # ---- espass-geo zan: territory and consumption
    Case("zan-territory-not-communes", _not_communes, "error",
         (r"ne sont pas des communes", r"A, B", r"code INSEE", r"--id-field")),
    Case("zan-communes-absent-from-tidy-file",
         lambda tmp: _zan(tmp, conso=_tidy(tmp / "conso.csv", {"59005": "Allennes"})),
         "error", (r"conso\.csv", r"2 commune\(s\) du territoire absente\(s\)",
                   r"59009, 59015", r"bon département")),
    Case("zan-consumption-missing-file",
         lambda tmp: _zan(tmp, conso=tmp / "conso2009_2023.csv"), "error",
         (r"conso2009_2023\.csv", r"introuvable", r"chemin")),
    # ---- territorialisation table
    Case("zan-territorialisation-shares-not-one",
         _shares("zone_id,share\n59005,0.5\n59009,0.3\n59015,0.1\n"), "error",
         (r"parts\.csv", r"0,9|0\.9", r"1")),
    Case("zan-territorialisation-unknown-commune",
         _shares("zone_id,share\n59005,0.5\n59009,0.3\n59999,0.2\n"), "error",
         (r"parts\.csv", r"59999", r"59015")),
    Case("zan-territorialisation-table-accepted",
         _shares("zone_id;share\n59005;0,5\n59009;0,3\n59015;0,2\n"), "ok",
         (r"budget 2021-2030 1,50", ), check=_check_shares),
    Case("zan-territorialisation-missing-file",
         lambda tmp: _zan(tmp, "--territorialisation", str(tmp / "parts.csv")), "error",
         (r"parts\.csv", r"introuvable")),
    # ---- OCS GE
    Case("zan-landcover-before-without-after",
         lambda tmp: _zan(tmp, "--landcover-before",
                          str(_layer(tmp / "ocsge_2018.gpkg", OCS_OK))), "error",
         (r"--landcover-before « .*ocsge_2018\.gpkg » est donnée sans --landcover-after",
          r"deux dates")),
    # --years forgotten: the default 2012 2018 (CLC's dates) would divide 2018→2021 by 6 years
    Case("zan-ocsge-years-forgotten",
         _ocsge(OCS_OK, OCS_OK, years=()), "error",
         (r"ocsge_2021\.gpkg » date de 2021", r"pas de 2012", r"--years 2018 2021")),
    Case("zan-ocsge-is-clc",
         _ocsge({"CODE_18": ["211", "112"]}, {"CODE_18": ["112", "112"]}), "error",
         (r"ocsge_2018\.gpkg", r"CODE_CS", r"CODE_US")),
    Case("zan-ocsge-unknown-pairs",
         _ocsge(OCS_OK, {"CODE_CS": ["CS9.9", "CS1.1.1.1"], "CODE_US": ["US1.1", "US99"]}),
         "error", (r"ocsge_2021\.gpkg", r"CS9\.9", r"US99")),
    # ---- bilan.toml [zan]
    Case("zan-bilan-guarantee-oui",
         _bilan('[zan]\nconsumption = "conso.csv"\nguarantee = "oui"\n'), "error",
         (r"bilan\.toml", r"guarantee", r"oui", r"true ou false")),
    Case("zan-bilan-territorialisation-number",
         _bilan('[zan]\nconsumption = "conso.csv"\nterritorialisation = 3\n'), "error",
         (r"bilan\.toml", r"territorialisation", r"3", r"consumption, population")),
    Case("zan-bilan-without-consumption",
         _bilan('[zan]\nguarantee = true\n'), "error",
         (r"bilan\.toml", r"\[zan\] demande consumption")),
    Case("zan-bilan-consumption-missing-file",
         _bilan('[zan]\nconsumption = "conso2009_2023.csv"\n', conso=False), "error",
         (r"bilan\.toml", r"conso2009_2023\.csv")),
    # ---- scenario files
    Case("zan-scenario-bogus",
         _scenario(SC + 'zan = "bogus"\n'), "error",
         (r"zan\.toml:13", r"bogus", r"\"loi\"", r"tendanciel")),
    Case("zan-scenario-variant-decreasing-years",
         _scenario(SC + "zan = { 2031 = 6.0, 2021 = 12.0 }\n"), "error",
         (r"zan\.toml", r"2021 suit 2031", r"ordre croissant")),
    Case("zan-scenario-variant-negative",
         _scenario(SC + "zan = { 2021 = 12.0, 2031 = -6.0 }\n"), "error",
         (r"zan\.toml", r"-6", r"positif ou nul")),
    Case("zan-scenario-renature-to-artificial",
         _scenario(SC + RENATURE.format(to="112"), geometry=True), "error",
         (r"zan\.toml", r"112", r"renaturer")),
    Case("zan-scenario-renature-to-artificial-land-use",
         _scenario(SC + RENATURE.format(to="artificial_sealed"), geometry=True), "error",
         (r"zan\.toml", r"artificial_sealed", r"renaturer")),
    # ---- hostile names: accepted, shown as text, formula-safe
    Case("zan-hostile-commune-names", _hostile, "ok", (r"référence 2011-2020",),
         check=_check_hostile),
]
