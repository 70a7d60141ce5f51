"""Scenario files (TOML): parsing and validation that reports every problem at once.

A scenario file names the territory, the start state (land cover, parcels), the observed trend,
and named scenarios made of dated actions. Paths are relative to the file; ``"demo"`` names the
embedded demo data. See ``landcover/scenarios/flandre_dunkerque.toml`` for a complete example.

Every value is checked for its TOML type (``true`` is not a number, ``nan`` and ``inf`` are
refused), its range and its dates (a scenario starts at or after the date of its start land
cover); problems are collected with the line of the key (:class:`TomlLines`) and raised
together as one :class:`ScenarioError`. Magnitudes that need the territory (hedge kilometres,
action polygons) are checked by :mod:`espass_geo.runs.scenarios` before any raster is read.

```toml
title = "…"
territory = "epci:245900428,200040954"
start_year = 2025
horizon = 2050
method = "aldo"            # or "ipcc" (soil pool and practices)

[landcover]                # the same keys as in bilan.toml (espass_geo.spec); the old
after = "demo"             # [data] names (landcover, trend_landcover_before, trend_years,
# landcover_year = 2018    # trend_changes, parcels) are still read
parcels = "demo"           # RPG parcels (practices)
before = "demo-2012"       # earlier land cover: the observed trend
years = [2012, 2018]

[baseline]
trend = true               # continue the observed yearly land-use change

[[scenario]]
name = "transition"
label = "Transition"

[[scenario.action]]
type = "convert"           # convert | seal | practice | hedges | renature
to = "forest_broadleaf"    # land-use id or CLC code
geometry = "actions/boisement.geojson"
year = 2027
```

ZAN trajectories (issue #12): a scenario may replace the sealing part of the observed trend
(transitions from non-artificial to artificial land) by a consumption path in hectares per
year, spread over the zones like past consumption; its ``seal`` actions (future urbanisation
zones, e.g. PLU(i) AU zones) are taken first from the envelope of their decade, and
``renature`` actions turn the artificial land under a polygon into ``to``:

```toml
[zan]                      # optional: the Cerema consumption file (ENAF, m²/year/commune)
consumption = "conso.csv"  # « loi » then starts from its 2011–2020 reference
guarantee = false          # communal guarantee of 1 ha (loi du 20 juillet 2023)

[[scenario]]
name = "zan"
zan = "loi"                # or "tendanciel", or {2021 = 12.0, 2031 = 6.0, 2050 = 0.0} (ha/an)

[[scenario.action]]
type = "renature"
to = "forest_broadleaf"    # a non-artificial land use or CLC code
geometry = "friche.geojson"
year = 2030
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from espass_geo import spec
from espass_geo.errors import ScenarioError
from espass_geo.io.toml import (
    FIRST_LANDCOVER_YEAR,
    GWP_N2O_RANGE,
    TomlLines,
    by_line,
    check_territory_value,
    exists,
    is_int,
    is_number,
    landcover_date,
    read_toml,
    resolve_path,
    show,
    this_year,
)
from espass_geo.reference import data
from espass_geo.reference.factors import canonical_method

# the keys of each table, from the one specification of the inputs (espass_geo.spec):
# [landcover] has the names of bilan.toml; [data] holds the old names, still read
TOP_KEYS = spec.toml_keys("scenario", "") | {"landcover", "data", "baseline", "scenario"}
LANDCOVER_KEYS = spec.toml_keys("scenario", "landcover")
DATA_KEYS = spec.toml_keys("scenario", "data")
BASELINE_KEYS = spec.toml_keys("scenario", "baseline")
_D = spec.DEFAULTS
SCENARIO_KEYS = {"name", "label", "trend", "action", "zan"}
#: the optional top-level [zan] table (read here; not an input of the spec: bilan.toml hands
#: its consumption table over to the scenarios instead)
ZAN_KEYS = spec.toml_keys("scenario", "zan")
#: named ZAN consumption paths (``zan = "loi"``); a table {year = ha/an} is a user variant
ZAN_PATHS = ("loi", "tendanciel")
#: the first year of a user variant (start of the ZAN reference period)
ZAN_FIRST_YEAR = 2011
ACTION_KEYS = {
    "convert": {"type", "id", "label", "to", "geometry", "year"},
    "seal": {"type", "id", "label", "geometry", "year", "sealed_share"},
    "practice": {"type", "id", "label", "practice", "year", "crop_groups", "crop_codes",
                 "geometry", "share"},
    "hedges": {"type", "id", "label", "length_km", "host", "year", "zones"},
    "renature": {"type", "id", "label", "to", "geometry", "year"},
}
REQUIRED = {"convert": {"to", "geometry", "year"}, "seal": {"geometry", "year"},
            "practice": {"practice", "year"}, "hedges": {"length_km", "year"},
            "renature": {"to", "geometry", "year"}}


@dataclass
class Action:
    id: str
    type: str
    year: int
    params: dict
    line: int | None = None
    label: str = ""


@dataclass
class ZanPath:
    """The consumption path of a ZAN scenario: ``kind`` "loi", "tendanciel" or "variante"
    (``points``: {year: ha/an}, linear between the years, constant before the first and after
    the last)."""
    kind: str
    points: dict[int, float] = field(default_factory=dict)
    line: int | None = None


@dataclass
class Scenario:
    name: str
    label: str
    trend: bool
    actions: list[Action] = field(default_factory=list)
    #: a ZAN consumption path replacing the sealing of the trend (None: the trend as observed)
    zan: ZanPath | None = None


@dataclass
class ScenarioConfig:
    path: Path
    title: str
    territory: str
    start_year: int
    horizon: int
    method: str
    gwp_n2o: float
    zpc: str | None
    landcover: Path
    parcels: Path | None
    trend_before: Path | None
    trend_years: tuple[int, int] | None
    trend_changes: Path | None
    baseline_trend: bool
    scenarios: list[Scenario]
    raw: dict
    #: fields of a zones file holding the zone ids and names (None: recognised names)
    id_field: str | None = None
    name_field: str | None = None
    #: [zan] consumption: the Cerema consumption file (None: none given)
    zan_consumption: Path | None = None
    #: [zan] guarantee: the communal guarantee of 1 ha in the 2021–2030 budgets
    zan_guarantee: bool = False

    @property
    def years(self) -> range:
        return range(self.start_year, self.horizon + 1)


#: scenario years
FIRST_YEAR, LAST_YEAR = 1990, 2100


def load_scenario_config(path: str | Path, *, in_bilan: bool = False) -> ScenarioConfig:
    """Read and validate a scenario file; raise :class:`ScenarioError` listing every problem
    (with its line) at once.

    ``in_bilan``: the file is the ``[scenario] file`` of a bilan, whose territory, land cover,
    parcels and trend apply; ``territory`` and ``[data]`` are then optional (checked if given)
    and the dates are checked against the bilan's land cover by the bilan.
    """
    path = Path(path)
    text, raw = read_toml(path, ScenarioError, "fichier de scénario")
    lines = TomlLines(text)
    base = path.parent
    problems: list[str] = []
    renamed: dict[str, str] = {}  # old [data] key -> its [landcover] name, for the lines

    def where(*keys) -> str:
        if len(keys) > 1 and keys[0] == "data" and keys[1] in renamed:
            keys = ("landcover", renamed[keys[1]], *keys[2:])
        line = lines.line(*keys)
        return f"{path.name}:{line}" if line else path.name

    def add(keys: tuple, msg: str) -> None:
        for old, new in renamed.items():  # the names the file uses ([landcover] after, years…)
            msg = re.sub(rf"\bdata\.{old}\b", f"landcover.{new}", msg)
            if old.startswith("trend_"):
                msg = re.sub(rf"(?<![.\w]){old}\b", new, msg)
        problems.append(f"{where(*keys)} : {msg}")

    def table(value, keys: tuple, label: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            add(keys, f"« {label} » doit être une table [{label}], pas {show(value)}")
            return {}
        return value

    def unknown(tbl: dict, allowed: set[str], keys: tuple, prefix: str, context: str = ""):
        for key in sorted(set(tbl) - allowed):
            add(keys + (key,), f"clé inconnue « {prefix}{key} »{context} (clés possibles : "
                               f"{', '.join(sorted(allowed))})")

    def text_value(tbl: dict, key: str, keys: tuple) -> str | None:
        v = tbl.get(key)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            add(keys + (key,), f"« {key} » doit être un texte non vide, pas {show(v)} ; "
                               f'écrivez {key} = "…"')
            return None
        return v

    def year_value(tbl: dict, key: str, keys: tuple, default=None) -> int | None:
        v = tbl.get(key, default)
        if v is None:
            return None
        if not is_int(v) or not FIRST_YEAR <= v <= LAST_YEAR:
            add(keys + (key,), f"« {key} » doit être une année entière entre {FIRST_YEAR} et "
                               f"{LAST_YEAR}, pas {show(v)} (ex. {key} = 2030)")
            return None
        return v

    def code_list(act: dict, key: str, keys: tuple) -> None:
        v = act.get(key)
        if v is None:
            return
        if not isinstance(v, list) or not v or not all(
                (isinstance(x, str) and x.strip()) or is_int(x) for x in v):
            add(keys + (key,), f"« {key} » doit être une liste non vide de codes (textes), pas "
                               f'{show(v)} ; écrivez {key} = ["1", "2"]')

    def file_value(tbl: dict, key: str, keys: tuple, kind: str, label: str) -> Path | None:
        v = tbl.get(key)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            add(keys + (key,), f"« {label} » doit être un chemin de fichier (texte), pas "
                               f"{show(v)}")
            return None
        p = resolve_path(v, base, kind)
        if not exists(p):
            add(keys + (key,), f"fichier introuvable « {p} » ({label}) : le chemin est relatif "
                               'au fichier de scénario ; "demo" désigne les données embarquées')
            return None
        if p.is_dir() and kind != "geometry":
            add(keys + (key,), f"« {p} » est un dossier, pas un fichier ({label})")
            return None
        return p

    # ---- top level
    unknown(raw, TOP_KEYS | {"zan"}, (), "")
    title = raw.get("title")
    if title is not None and not isinstance(title, str):
        add(("title",), f"« title » doit être un texte, pas {show(title)}")
        title = None
    territory = None
    if "territory" not in raw:
        if not in_bilan:
            add((), 'clé obligatoire « territory » absente (ex. territory = "epci:245900428")')
    else:
        territory, problem = check_territory_value(raw["territory"], base)
        if problem:
            add(("territory",), problem)
    if "start_year" not in raw:
        add((), "clé obligatoire « start_year » absente (année de départ, ex. start_year = 2025)")
    start = year_value(raw, "start_year", ())
    horizon = year_value(raw, "horizon", (), _D["horizon"])
    if start is not None and horizon is not None and horizon <= start:
        add(("horizon",), f"l'horizon {horizon} doit être après l'année de départ {start} "
                          f"(start_year) ; écrivez par exemple horizon = 2050")
    method = raw.get("method", _D["method"])
    if not isinstance(method, str) or method not in spec.BY_NAME["method"].choices:
        add(("method",), f"méthode {show(method)} inconnue : écrivez method = "
                         + " ou ".join(f'"{c}"' for c in spec.BY_NAME["method"].choices))
        method = _D["method"]
    method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    gwp = raw.get("gwp_n2o", _D["gwp_n2o"])
    if not is_number(gwp) or not GWP_N2O_RANGE[0] <= gwp <= GWP_N2O_RANGE[1]:
        add(("gwp_n2o",), f"« gwp_n2o » doit être un nombre entre {GWP_N2O_RANGE[0]:g} et "
                          f"{GWP_N2O_RANGE[1]:g} (PRG100 du N2O : 273 GIEC AR6, 265 AR5), pas "
                          f"{show(gwp)}")
        gwp = _D["gwp_n2o"]
    zpc = raw.get("zpc")
    if zpc is not None:
        known = sorted(set(data.factor_table("aldo_soil_stock_ref")["zpc"]))
        if not isinstance(zpc, str) or zpc not in known:
            add(("zpc",), f"zone pédoclimatique {show(zpc)} inconnue (zones : "
                          f"{', '.join(known)}) ; écrivez zpc = \"2_1\" ou retirez la clé")
            zpc = None
    fields = {}
    for key in ("id_field", "name_field"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            add((key,), f"« {key} » doit être le nom d'un champ du fichier de territoire, pas "
                        f"{show(value)} ; écrivez {key} = \"INSEE_COM\" par exemple ou retirez "
                        "la clé")
            value = None
        fields[key] = value.strip() if isinstance(value, str) else None
    # ---- [data]
    d = table(raw.get("data"), ("data",), "data")
    unknown(d, DATA_KEYS, ("data",), "data.")
    lct = table(raw.get("landcover"), ("landcover",), "landcover")
    unknown(lct, LANDCOVER_KEYS, ("landcover",), "landcover.")
    for key in sorted(set(lct) & LANDCOVER_KEYS):  # read under the old names below
        old = spec.toml_input("scenario", "landcover", key).aliases[0][1]
        if old in d:
            add(("landcover", key), f"« landcover.{key} » et « data.{old} » (son ancien nom) "
                                    "donnent la même entrée : gardez l'une des deux")
        else:
            d = {**d, old: lct[key]}
            renamed[old] = key
    landcover = file_value(d, "landcover", ("data",), "landcover", "data.landcover")
    if "landcover" not in d and not in_bilan:
        add(("landcover",) if "landcover" in raw else ("data",),
            "[landcover] after (raster de l'état initial) est obligatoire pour spatialiser les "
            'actions ; écrivez after = "occupation.tif" ou "demo" (ancien nom : [data] '
            "landcover)")
    parcels = file_value(d, "parcels", ("data",), "parcels", "data.parcels")
    trend_before = file_value(d, "trend_landcover_before", ("data",), "landcover",
                              "data.trend_landcover_before")
    trend_changes = file_value(d, "trend_changes", ("data",), "changes", "data.trend_changes")
    has_trend = "trend_landcover_before" in d or "trend_changes" in d
    ty = d.get("trend_years")
    trend_years = None
    if ty is not None:
        last = this_year()
        if not (isinstance(ty, list) and len(ty) == 2 and all(is_int(v) for v in ty)):
            add(("data", "trend_years"), f"« trend_years » doit être [année1, année2] (deux "
                                         f"entiers), pas {show(ty)} ; ex. trend_years = "
                                         "[2012, 2018]")
        elif not all(FIRST_LANDCOVER_YEAR <= v <= last for v in ty):
            add(("data", "trend_years"), f"trend_years {ty} : une date d'occupation du sol est "
                                         f"entre {FIRST_LANDCOVER_YEAR} et {last}")
        elif ty[1] <= ty[0]:
            add(("data", "trend_years"), f"trend_years {ty} : dates inversées ou égales ; "
                                         "écrivez [première date, seconde date]")
        else:
            trend_years = (ty[0], ty[1])
    if has_trend and trend_years is None and ty is None:
        trend_years = tuple(_D["years"])
    # the date of the start land cover: the scenario cannot start before it
    lc_value = d.get("landcover")
    lc_year, lc_how = None, ""
    ly = d.get("landcover_year")
    if ly is not None:
        if not is_int(ly) or not FIRST_LANDCOVER_YEAR <= ly <= this_year():
            add(("data", "landcover_year"), f"« landcover_year » (date de l'occupation du sol) "
                                            f"doit être une année entière entre "
                                            f"{FIRST_LANDCOVER_YEAR} et {this_year()}, pas "
                                            f"{show(ly)}")
        else:
            lc_year, lc_how = ly, "data.landcover_year"
    if trend_years is not None and has_trend:
        if lc_year is not None and lc_year != trend_years[1]:
            add(("data", "trend_years"), f"trend_years {list(trend_years)} se termine en "
                                         f"{trend_years[1]} mais landcover_year vaut {lc_year} :"
                                         " la seconde date de la tendance est celle de "
                                         "l'occupation du sol de départ")
        lc_year, lc_how = trend_years[1], "trend_years"
        for key, i in (("landcover", 1), ("trend_landcover_before", 0)):
            known = landcover_date(d.get(key))
            if known is not None and known[0] != trend_years[i]:
                fix = " ou renommez le fichier" if "nom du fichier" in known[1] else ""
                add(("data", "trend_years"), f"trend_years {list(trend_years)} : data.{key} "
                                             f"« {d.get(key)} » date de {known[0]} ({known[1]})"
                                             f", pas de {trend_years[i]} ; corrigez trend_years"
                                             f"{fix}")
    if lc_year is None:
        known = landcover_date(lc_value)
        if known is not None:
            lc_year, lc_how = known
    if start is not None and lc_year is not None and start < lc_year and not in_bilan:
        add(("start_year",), f"start_year {start} précède la date de l'occupation du sol de "
                             f"départ ({lc_year}, {lc_how}) : un scénario part de l'état "
                             f"observé ; écrivez start_year = {lc_year} ou plus tard")
    # ---- [baseline]
    bl = table(raw.get("baseline"), ("baseline",), "baseline")
    unknown(bl, BASELINE_KEYS, ("baseline",), "baseline.")
    bt = bl.get("trend")
    if bt is not None and not isinstance(bt, bool):
        add(("baseline", "trend"), f"« baseline.trend » doit être true ou false, pas {show(bt)}")
        bt = None
    baseline_trend = has_trend if bt is None else bt
    if baseline_trend and not has_trend and not in_bilan:
        add(("baseline", "trend"), "baseline.trend = true demande une tendance observée : "
                                   "ajoutez [landcover] before ou changes (anciens noms : "
                                   "data.trend_landcover_before, data.trend_changes), ou "
                                   "écrivez trend = false")
    # ---- [zan]
    zt = table(raw.get("zan"), ("zan",), "zan")
    unknown(zt, ZAN_KEYS, ("zan",), "zan.")
    if zt.get("consumption") == "demo":  # the embedded (estimated) Cerema-format file
        from espass_geo.io.consumption import demo_consumption_path

        zt = {**zt, "consumption": str(demo_consumption_path())}
    zan_consumption = file_value(zt, "consumption", ("zan",), "consumption",
                                 "zan.consumption (fichier de consommation d'espaces)")
    zan_guarantee = zt.get("guarantee", False)
    if not isinstance(zan_guarantee, bool):
        add(("zan", "guarantee"), f"« zan.guarantee » (garantie communale d'1 ha) doit être "
                                  f"true ou false, pas {show(zan_guarantee)}")
        zan_guarantee = False
    # ---- [[scenario]] and [[scenario.action]]
    scenarios: list[Scenario] = []
    raw_sc = raw.get("scenario")
    if isinstance(raw_sc, dict):
        add(("scenario",), "« scenario » doit être une liste de scénarios : écrivez "
                           "[[scenario]] (double crochets), pas [scenario]")
        raw_sc = []
    elif raw_sc is not None and not isinstance(raw_sc, list):
        add(("scenario",), f"« scenario » doit être une liste de scénarios [[scenario]], pas "
                           f"{show(raw_sc)}")
        raw_sc = []
    if not raw_sc and "scenario" not in raw:
        add((), "aucun scénario : ajoutez un bloc [[scenario]] avec name et des "
                "[[scenario.action]]")
    raw_sc = raw_sc or []
    names: set[str] = set()
    practices = set(data.factor_table("practices_aldo")["practice"])
    ipcc_practices = set(data.factor_table("practices_ipcc")["practice"])
    land_uses = set(data.factor_table("land_use_classes")["land_use"]) - {
        "artificial_unsplit", "unmapped"}
    clc_table = data.factor_table("clc_to_land_use")
    clc = set(clc_table["code_clc"].astype(str))
    clc_lu = dict(zip(clc_table["code_clc"].astype(str), clc_table["land_use"].astype(str),
                      strict=True))
    for si, sc in enumerate(raw_sc):
        sk = ("scenario", si)
        if not isinstance(sc, dict):
            add(sk, f"un scénario doit être une table [[scenario]], pas {show(sc)}")
            continue
        unknown(sc, SCENARIO_KEYS, sk, "", " dans un scénario")
        name = text_value(sc, "name", sk)
        if name is None:
            if "name" not in sc:
                add(sk, 'scénario sans « name » : écrivez name = "transition"')
            name = f"scenario_{si + 1}"
        elif name == "baseline" or name in names:
            add(sk + ("name",), f"nom de scénario « {name} » réservé ou en double : choisissez "
                                "un autre nom")
        names.add(name)
        label = text_value(sc, "label", sk) or name
        st = sc.get("trend")
        if st is not None and not isinstance(st, bool):
            add(sk + ("trend",), f"« trend » doit être true ou false, pas {show(st)}")
            st = None
        scen = Scenario(name=name, label=label, trend=baseline_trend if st is None else st)
        if "zan" in sc:
            scen.zan = _zan_path(sc["zan"], sk + ("zan",), add, lines, horizon)
            if scen.zan is not None and st is False:
                add(sk + ("zan",), f"le scénario « {name} » a une trajectoire ZAN mais trend = "
                                   "false : la trajectoire remplace l'artificialisation de la "
                                   "tendance observée ; écrivez trend = true ou retirez zan")
            elif (scen.zan is not None and not has_trend and not in_bilan
                  and scen.zan.kind != "variante" and zan_consumption is None
                  and "consumption" not in zt):
                add(sk + ("zan",), f"zan = \"{scen.zan.kind}\" part du rythme observé : "
                                   "ajoutez une tendance ([landcover] before) ou le fichier "
                                   "de consommation ([zan] consumption = \"conso.csv\")")
        acts = sc.get("action", [])
        if isinstance(acts, dict):
            add(sk + ("action",), "« scenario.action » doit être une liste d'actions : écrivez "
                                  "[[scenario.action]] (double crochets), pas [scenario.action]")
            acts = []
        elif not isinstance(acts, list):
            add(sk + ("action",), f"« action » doit être une liste d'actions "
                                  f"[[scenario.action]], pas {show(acts)}")
            acts = []
        ids: set[str] = set()
        for ai, act in enumerate(acts):
            ak = sk + ("action", ai)
            if not isinstance(act, dict):
                add(ak, f"une action doit être une table [[scenario.action]], pas {show(act)}")
                continue
            typ = act.get("type")
            if not isinstance(typ, str) or typ not in ACTION_KEYS:
                add(ak + ("type",), f"type d'action {show(typ)} inconnu : écrivez type = "
                                    "\"convert\", \"seal\", \"practice\", \"hedges\" ou "
                                    "\"renature\"")
                continue
            unknown(act, ACTION_KEYS[typ], ak, "", f" pour une action {typ}")
            for key in sorted(REQUIRED[typ] - set(act)):
                add(ak, f"action {typ} sans « {key} »")
            aid = act.get("id", f"{name}-{ai + 1}")
            if not ((isinstance(aid, str) and aid.strip()) or is_int(aid)):
                add(ak + ("id",), f"« id » doit être un texte, pas {show(aid)}")
                aid = f"{name}-{ai + 1}"
            aid = str(aid)
            if aid in ids:
                add(ak + ("id",), f"identifiant d'action « {aid} » en double dans le scénario "
                                  f"« {name} » : donnez un id différent à chaque action")
            ids.add(aid)
            alabel = text_value(act, "label", ak) or ""
            year = None
            if "year" in act:
                year = act["year"]
                if not is_int(year):
                    add(ak + ("year",), f"« year » doit être une année entière, pas {show(year)}"
                                        " (ex. year = 2030)")
                    year = None
                elif start is not None and horizon is not None and not (
                        start <= year <= horizon):
                    fix = (f"placez l'action entre {start} et {horizon} (ex. year = "
                           f"{min(max(year, start), horizon)}) ou changez l'horizon"
                           if start <= horizon else
                           f"corrigez d'abord l'horizon (après start_year = {start}), puis "
                           "placez l'action entre start_year et horizon")
                    add(ak + ("year",), f"année {year} hors de l'horizon {start}–{horizon} "
                                        f"(start_year–horizon) ; {fix}")
            params = {k: v for k, v in act.items() if k not in {"type", "id", "label", "year"}}
            if typ in ("convert", "renature") and "to" in act:
                to = act["to"]
                if not (isinstance(to, str) or is_int(to)) or str(to) not in land_uses | clc:
                    add(ak + ("to",), f"classe cible {show(to)} inconnue (classes : "
                                      f"{', '.join(sorted(land_uses))}, ou un code CLC comme "
                                      "311)")
                elif typ == "renature" and clc_lu.get(str(to), str(to)).startswith(
                        "artificial"):
                    natural = sorted(lu for lu in land_uses if not lu.startswith("artificial"))
                    add(ak + ("to",), f"renaturation vers {show(to)}, une classe artificielle : "
                                      "renaturer, c'est rendre un sol artificialisé naturel, "
                                      f"agricole ou forestier ; écrivez to = \"{natural[0]}\" "
                                      f"ou une autre classe ({', '.join(natural)})")
            if typ == "practice":
                pr = act.get("practice")
                if "practice" in act and (not isinstance(pr, str) or pr not in practices):
                    add(ak + ("practice",), f"pratique {show(pr)} inconnue (pratiques : "
                                            f"{', '.join(sorted(practices))})")
                elif method == "ipcc" and pr in practices and pr not in ipcc_practices:
                    add(ak + ("practice",), f"la pratique « {pr} » n'a pas d'équivalent GIEC "
                                            "Tier 1 (method = \"ipcc\") : utilisez method = "
                                            "\"aldo\" ou retirez l'action")
                share = act.get("share", 1.0)
                if not is_number(share) or not 0 < share <= 1:
                    add(ak + ("share",), f"« share » (part des parcelles) doit être un nombre "
                                         f"dans ]0, 1], pas {show(share)} (ex. share = 0.5)")
                code_list(act, "crop_groups", ak)
                code_list(act, "crop_codes", ak)
                if not any(k in act for k in ("crop_groups", "crop_codes", "geometry")):
                    add(ak, "une pratique sélectionne des parcelles par crop_groups, crop_codes "
                            "ou geometry")
                if "parcels" not in d and not in_bilan:  # in a bilan: its parcels
                    add(ak, "une pratique demande des parcelles : ajoutez [data] parcels")
            if typ == "seal":
                s = act.get("sealed_share", 0.8)
                if not is_number(s) or not 0 <= s <= 1:
                    add(ak + ("sealed_share",), f"« sealed_share » (part imperméabilisée) doit "
                                                f"être un nombre dans [0, 1], pas {show(s)} "
                                                "(ex. sealed_share = 0.8)")
            if typ == "hedges":
                km = act.get("length_km")
                if "length_km" in act and (not is_number(km) or km <= 0):
                    add(ak + ("length_km",), f"« length_km » doit être un nombre de km > 0, pas "
                                             f"{show(km)} (ex. length_km = 30)")
                host = act.get("host", "cultures")
                if not isinstance(host, str) or host not in ("cultures", "prairies"):
                    add(ak + ("host",), f"« host » doit être \"cultures\" ou \"prairies\", pas "
                                        f"{show(host)}")
                    host = "cultures"
                params["host"] = host
                code_list(act, "zones", ak)
            if "geometry" in act:
                params["geometry"] = file_value(act, "geometry", ak, "geometry",
                                                "fichier de géométrie")
            scen.actions.append(Action(id=aid, type=typ, year=year or 0, params=params,
                                       line=lines.line(*ak), label=alabel))
        scenarios.append(scen)
    if problems:
        problems = by_line(problems, path.name)
        raise ScenarioError(
            f"fichier de scénario « {path} » : {len(problems)} problème(s) :\n  - "
            + "\n  - ".join(problems), problems)
    return ScenarioConfig(
        path=path, title=title or path.stem, territory=territory,
        start_year=int(start), horizon=int(horizon), method=method, gwp_n2o=float(gwp),
        zpc=zpc, landcover=landcover, parcels=parcels, trend_before=trend_before,
        trend_years=trend_years, trend_changes=trend_changes, baseline_trend=baseline_trend,
        scenarios=scenarios, raw=raw, zan_consumption=zan_consumption,
        zan_guarantee=zan_guarantee, **fields)


def _zan_path(value, keys: tuple, add, lines: TomlLines, horizon) -> ZanPath | None:
    """``zan = "loi" | "tendanciel" | {year = ha/an, …}`` checked; problems through ``add``."""
    line = lines.line(*keys)
    if isinstance(value, str):
        if value.strip() in ZAN_PATHS:
            return ZanPath(kind=value.strip(), line=line)
        add(keys, f"trajectoire ZAN {show(value)} inconnue : écrivez zan = \"loi\" (−50 % en "
                  "2021–2030 puis trajectoire nette vers 2050), zan = \"tendanciel\" (le "
                  "rythme observé continue) ou une variante en ha/an, ex. zan = {2021 = 12.0, "
                  "2031 = 6.0, 2050 = 0.0}")
        return None
    if not isinstance(value, dict) or not value:
        add(keys, f"« zan » doit être \"loi\", \"tendanciel\" ou une table {{année = ha/an}}, "
                  f"pas {show(value)} ; ex. zan = {{2021 = 12.0, 2031 = 6.0, 2050 = 0.0}}")
        return None
    points: dict[int, float] = {}
    ok = True
    last_year = None
    for k, v in value.items():
        year = int(k) if isinstance(k, str) and k.strip().isdigit() else None
        if year is None or not ZAN_FIRST_YEAR <= year <= LAST_YEAR:
            add(keys + (k,), f"zan : année {show(k)} invalide : les années d'une variante sont "
                             f"entre {ZAN_FIRST_YEAR} et {LAST_YEAR} (ex. 2031 = 6.0)")
            ok = False
            continue
        if last_year is not None and year <= last_year:
            add(keys + (k,), f"zan : l'année {year} suit {last_year} : écrivez les années de la "
                             "variante dans l'ordre croissant, chacune une fois")
            ok = False
        last_year = year if last_year is None else max(year, last_year)
        if not is_number(v) or v < 0:
            add(keys + (k,), f"zan : {show(v)} ha/an en {year} : la consommation d'une année est "
                             "un nombre d'hectares positif ou nul (ex. 2031 = 6.0)")
            ok = False
            continue
        points[year] = float(v)
    if ok and horizon is not None and min(points) > horizon:
        add(keys, f"zan : la variante commence en {min(points)}, après l'horizon {horizon} : "
                  "donnez au moins une année avant l'horizon")
        ok = False
    return ZanPath(kind="variante", points=points, line=line) if ok else None
