"""The bilan configuration file (``bilan.toml``): reading, validation, defaults, writing.

:func:`load_bilan_config` reads and validates a ``bilan.toml`` and lists every problem with its
line (and those of the scenario file it names) in one :class:`~espass_geo.errors.ConfigError`;
:func:`default_config` gives the embedded defaults of ``espass-geo bilan --territory``;
:func:`config_as_toml` writes a configuration back (tomli-w) and :func:`write_example_config`
writes the commented example of ``espass-geo init``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from espass_geo import spec
from espass_geo.errors import ConfigError, OutputError
from espass_geo.io.files import atomic_write
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

CONFIG_KEYS = spec.toml_keys("bilan", "") | {"landcover", "emissions", "scenario", "zan"}
# the keys of each table, from the one specification of the inputs (espass_geo.spec)
LANDCOVER_KEYS = spec.toml_keys("bilan", "landcover")
EMISSION_KEYS = spec.toml_keys("bilan", "emissions")
SCENARIO_KEYS = spec.toml_keys("bilan", "scenario")
ZAN_KEYS = spec.toml_keys("bilan", "zan")
_D = spec.DEFAULTS

EXAMPLE_CONFIG = '''# Bilan ESPASS — fichier de configuration (espass-geo bilan --config bilan.toml --out bilan/)
# Les chemins sont relatifs à ce fichier ; "demo" désigne les données embarquées.
# Convention ALDO : flux positif = séquestration, négatif = émission.

title = "Bilan ESPASS — SCoT Flandre-Dunkerque"
territory = "epci:245900428,200040954"   # fichier de zones, codes INSEE, epci:SIREN ou dep:59,62
method = "{method}"                          # "ipcc" : GIEC Tier 1 pour le sol
gwp_n2o = {gwp_n2o:g}                            # PRG du N2O (273 = GIEC AR6, 265 = AR5)
# zpc = "2_1"                            # zone pédoclimatique imposée (facultatif)
# id_field = "INSEE_COM"                 # champ identifiant des zones d'un fichier (facultatif)
# name_field = "NOM"                     # champ nom des zones d'un fichier (facultatif)
# scheduler = "local:2"                 # Dask : threads (défaut), processes, local:N, tcp://hôte:port

[landcover]
after = "demo"              # occupation du sol (GeoTIFF codes CLC, EPSG:2154) : stocks
before = "demo-2012"        # première date (facultatif) : flux et artificialisation
years = [{years[0]}, {years[1]}]
parcels = "demo"            # parcelles RPG (facultatif)
# areas = "surfaces.csv"    # à la place d'un raster : table de surfaces (zone_id, code, area_ha)
# changes = "changements.csv"     # à la place de deux rasters : table de changements
# forest_areas = "bdforet.csv"    # surfaces BD Forêt (croissance forestière, produits bois)
# forest = "bdforet_v2.gpkg"      # ou la couche BD Forêt V2 (peupleraies, feuillus, conifères)
# hedges = "bdhaie.gpkg"          # haies : couche linéaire BD Haie ou CSV zone_id, length_km
# code_field = "CODE_CS+CODE_US"  # champ(s) du code d'une couche vecteur (défaut : reconnus)
# nomenclature = "clc"            # clc, eea, oso, ocsge, ocs2d ou table CSV code,code_clc
# after = "demo-ocsge"            # la couche OCS GE synthétique (2018) au lieu du raster ;
# before = "demo-ocsge-2012"      # et sa première date (2012)
# series = ["2012=demo-ocsge-2012", "2018=demo-ocsge"]  # ou une série de dates : flux par période
# max_nodata_share = {max_nodata_share:g}    # part d'une zone hors du raster ou sans donnée qui arrête le calcul

[emissions]
inventory = "demo"          # inventaire CSV (voir factors/README.md) ; "demo" = estimation
# population = "population.csv"   # zone_id, population, cog (défaut : COG 2018 embarqué)
# footprint_adjustments = "ajustements.csv"  # zone_id|*, post, factor, driver (facultatif)
# point_sources = "sites.csv"     # grands émetteurs (name, x, y, crs, substance, emission_t, year, source) : estimation "demo" recalculée

[scenario]
file = "demo"               # fichier de scénarios TOML (facultatif) ; "demo" = Flandre-Dunkerque

[zan]
consumption = "demo"        # consommation d'espaces du Cerema (CSV communal) ; "demo" = estimation
# guarantee = true          # garantie communale d'1 ha (loi du 20 juillet 2023)
# territorialisation = "consumption"   # ou "population", ou une table CSV zone_id,share
'''.format(**spec.DEFAULTS)


@dataclass
class BilanConfig:
    path: Path | None
    title: str
    territory: str
    zpc: str | None = None
    #: fields of a zones file holding the zone ids and names (None: recognised names)
    id_field: str | None = None
    name_field: str | None = None
    method: str = _D["method"]
    gwp_n2o: float = _D["gwp_n2o"]
    landcover: Path | None = None
    before: Path | None = None
    years: tuple[int, int] = _D["years"]
    parcels: Path | None = None
    areas: Path | None = None
    changes: Path | None = None
    forest_areas: Path | None = None
    #: BD Forêt V2 polygons, BD Haie lines or hedge CSV, vector code field(s), nomenclature
    forest: Path | None = None
    hedges: Path | None = None
    code_field: str | None = None
    nomenclature: str | Path = _D["nomenclature"]
    #: land covers of a dated series ((year, path), ≥ 2, sorted); replaces before/after
    series: tuple[tuple[int, Path], ...] = ()
    #: commune boundaries (Admin Express) and region of zones outside the known communes
    boundaries: Path | None = None
    region: str | None = None
    #: [zan]: the Cerema consumption file (Path("demo"): the embedded estimate; None: no ZAN)
    consumption: Path | None = None
    zan_guarantee: bool = False
    territorialisation: str | Path = _D["territorialisation"]
    inventory: Path | None = None  # None = demo estimate
    #: large emitters rebuilding the demo estimate (only with the demo inventory)
    point_sources: Path | None = None
    population: Path | None = None
    footprint_adjustments: Path | None = None
    scenario: Path | None = None
    #: share of a zone outside the raster or in no-data above which the run stops
    max_nodata_share: float = _D["max_nodata_share"]
    #: folder of factor CSVs (a full copy of factors/ or a few amended tables); None: shipped
    factors: Path | None = None
    #: Dask scheduler of the raster work (threads, processes, local:N, tcp://host:port)
    scheduler: str | None = None
    raw: dict = field(default_factory=dict)


def default_config(territory: str) -> BilanConfig:
    """Embedded defaults for ``espass-geo bilan --territory T``.

    Demo rasters and parcels only cover the SCoT Flandre-Dunkerque; elsewhere in Nord/Pas-de-
    Calais the real ALDO CLC 2018 areas and 2012→2018 changes per EPCI are used (EPCI zones).
    ZAN ([zan]) on the embedded consumption estimate (Cerema schema, from ALDO's changes).
    """
    from espass_geo.territory.resolve import resolve_territory

    t = resolve_territory(territory)
    demo = set(resolve_territory("epci:245900428,200040954").zones["zone_id"])
    inside = set(t.zones["zone_id"]) <= demo
    if inside:
        return BilanConfig(path=None, title=f"Bilan ESPASS — {t.label}", territory=territory,
                           landcover=data.demo_landcover_path(),
                           before=data.demo_landcover_2012_path(),
                           parcels=data.demo_parcels_path(), consumption=Path("demo"))
    return BilanConfig(path=None, title=f"Bilan ESPASS — {t.label}", territory=territory,
                       areas=data.aldo_clc18_epci_path(), changes=data.aldo_clc_change_epci_path(),
                       forest_areas=data.aldo_bdforet_epci_path(), consumption=Path("demo"))


def load_bilan_config(path: str | Path) -> BilanConfig:
    """Read and validate ``bilan.toml``; every problem is listed with its line (and those of
    the scenario file it names)."""
    path = Path(path)
    text, raw = read_toml(path, ConfigError, "fichier de configuration")
    lines = TomlLines(text)
    base = path.parent
    problems: list[str] = []

    def at(*keys) -> str:
        line = lines.line(*keys)
        return f"{path.name}:{line}" if line else path.name

    def unknown(table: dict, allowed: set[str], keys: tuple, prefix: str) -> None:
        for key in sorted(set(table) - allowed):
            problems.append(f"{at(*keys, key)} : clé inconnue « {prefix}{key} » (clés possibles "
                            f": {', '.join(sorted(allowed))})")

    unknown(raw, CONFIG_KEYS, (), "")
    title = raw.get("title")
    if title is not None and not isinstance(title, str):
        problems.append(f"{at('title')} : « title » doit être un texte, pas {show(title)}")
        title = None
    territory = None
    if "territory" not in raw:
        problems.append(f"{path.name} : clé obligatoire « territory » absente (ex. territory = "
                        '"epci:245900428")')
    else:
        territory, problem = check_territory_value(raw["territory"], base)
        if problem:
            problems.append(f"{at('territory')} : {problem}")
    method = raw.get("method", _D["method"])
    if not isinstance(method, str) or method not in spec.BY_NAME["method"].choices:
        problems.append(f"{at('method')} : méthode {show(method)} inconnue : écrivez method = "
                        + " ou ".join(f'"{c}"' for c in spec.BY_NAME["method"].choices))
        method = _D["method"]
    method = canonical_method(method)  # « aldo-commune » -> « aldo » (#13)
    gwp = raw.get("gwp_n2o", _D["gwp_n2o"])
    if not is_number(gwp) or not GWP_N2O_RANGE[0] <= gwp <= GWP_N2O_RANGE[1]:
        problems.append(f"{at('gwp_n2o')} : « gwp_n2o » doit être un nombre entre "
                        f"{GWP_N2O_RANGE[0]:g} et {GWP_N2O_RANGE[1]:g} (PRG100 du N2O : 273 GIEC "
                        f"AR6, 265 AR5), pas {show(gwp)}")
        gwp = _D["gwp_n2o"]
    zpc = raw.get("zpc")
    if zpc is not None:
        known = sorted(set(data.factor_table("aldo_soil_stock_ref")["zpc"]))
        if not isinstance(zpc, str) or zpc not in known:
            problems.append(f"{at('zpc')} : zone pédoclimatique {show(zpc)} inconnue (zones : "
                            f"{', '.join(known)}) ; écrivez zpc = \"2_1\" ou retirez la clé")
            zpc = None
    fields = {}
    for key in ("id_field", "name_field"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{at(key)} : « {key} » doit être le nom d'un champ du fichier de "
                            f"territoire, pas {show(value)} ; écrivez {key} = \"INSEE_COM\" "
                            "par exemple ou retirez la clé")
            value = None
        fields[key] = value.strip() if isinstance(value, str) else None
    tables = {}
    for name, allowed in (("landcover", LANDCOVER_KEYS), ("emissions", EMISSION_KEYS),
                          ("scenario", SCENARIO_KEYS), ("zan", ZAN_KEYS)):
        t = raw.get(name, {})
        if not isinstance(t, dict):
            problems.append(f"{at(name)} : « {name} » doit être une table [{name}], pas "
                            f"{show(t)}")
            t = {}
        unknown(t, allowed, (name,), f"{name}.")
        tables[name] = t
    lc = tables["landcover"]

    def path_of(table: str, key: str, kind: str) -> Path | None:
        value = tables[table].get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{at(table, key)} : « {table}.{key} » doit être un chemin de "
                            f"fichier (texte), pas {show(value)}")
            return None
        if kind == "inventory" and value == "demo":
            return None  # the demo estimate, not a file
        if kind == "landcover" and _is_vsi(value.strip()):
            return value.strip()  # GDAL virtual path (/vsis3/…): GDAL opens it, no local file
        p = resolve_path(value, base, kind)
        if p is not None and not exists(p):
            problems.append(f"{at(table, key)} : fichier introuvable « {p} » ({table}.{key}) : le "
                            'chemin est relatif au fichier de configuration ; "demo" désigne '
                            "les données embarquées")
            return None
        if p is not None and p.is_dir():
            problems.append(f"{at(table, key)} : « {p} » est un dossier, pas un fichier "
                            f"({table}.{key})")
            return None
        return p

    after = path_of("landcover", "after", "landcover")
    before = path_of("landcover", "before", "landcover")
    parcels = path_of("landcover", "parcels", "parcels")
    areas = path_of("landcover", "areas", "areas")
    changes = path_of("landcover", "changes", "changes")
    forest = path_of("landcover", "forest_areas", "forest_areas")
    bdforet = path_of("landcover", "forest", "forest")
    hedges = path_of("landcover", "hedges", "hedges")
    if forest is not None and bdforet is not None:
        problems.append(f"{at('landcover', 'forest')} : [landcover] forest (couche BD Forêt) et "
                        "forest_areas (table de surfaces) s'excluent : gardez l'un des deux")
    elif "forest" in lc and "after" not in lc and "series" not in lc:
        # the BD Forêt refines the forest of a land cover: with tables it would be ignored
        problems.append(f"{at('landcover', 'forest')} : [landcover] forest (couche BD Forêt) "
                        "précise la forêt d'une occupation du sol (after) ; avec des tables "
                        "(areas, changes), donnez forest_areas (surfaces par composition) ou "
                        "retirez forest")
    code_field = lc.get("code_field")
    if code_field is not None and (not isinstance(code_field, str) or not code_field.strip()):
        problems.append(f"{at('landcover', 'code_field')} : « code_field » doit être le nom du "
                        f"champ de code (ex. \"CODE_18\" ou \"CODE_CS+CODE_US\"), pas "
                        f"{show(code_field)}")
        code_field = None
    nomenclature = lc.get("nomenclature", _D["nomenclature"])
    if not isinstance(nomenclature, str) or not nomenclature.strip():
        problems.append(f"{at('landcover', 'nomenclature')} : « nomenclature » doit être clc, "
                        f"eea, oso, ocsge, ocs2d ou un fichier CSV, pas {show(nomenclature)}")
        nomenclature = _D["nomenclature"]
    elif nomenclature.lower().endswith(".csv"):
        nomenclature = path_of("landcover", "nomenclature", "nomenclature") or _D["nomenclature"]
    elif nomenclature not in NOMENCLATURES:
        problems.append(f"{at('landcover', 'nomenclature')} : nomenclature « {nomenclature} » "
                        f"inconnue : écrivez {', '.join(NOMENCLATURES)} ou le chemin d'une "
                        "table CSV code,code_clc")
        nomenclature = _D["nomenclature"]
    series: list[tuple[int, Path]] = []
    if "series" in lc:
        series = _series(lc["series"], at("landcover", "series"), base, problems)
        for key in ("before", "after", "changes", "areas", "years"):
            if key in lc:
                problems.append(f"{at('landcover', key)} : [landcover] series et {key} "
                                "s'excluent : la série donne toutes les dates")
    if "after" not in lc and "areas" not in lc and "series" not in lc:
        problems.append(f"{at('landcover')} : [landcover] after (raster) ou areas (table de "
                        "surfaces) est obligatoire")
    if "after" in lc and "areas" in lc:
        problems.append(f"{at('landcover', 'areas')} : [landcover] after (raster) et areas "
                        "(table de surfaces) s'excluent : gardez l'un des deux")
    if "before" in lc and "changes" in lc:
        problems.append(f"{at('landcover', 'changes')} : [landcover] before (raster) et changes "
                        "(table de changements) s'excluent : gardez l'un des deux")
    if "before" in lc and "after" not in lc:
        problems.append(f"{at('landcover', 'before')} : [landcover] before demande after (le "
                        "raster de la seconde date)")
    max_nodata = lc.get("max_nodata_share", _D["max_nodata_share"])
    if not is_number(max_nodata) or not spec.in_range("max_nodata_share", max_nodata):
        problems.append(f"{at('landcover', 'max_nodata_share')} : « max_nodata_share » doit être "
                        f"un nombre {spec.range_text('max_nodata_share')} (part d'une zone hors du raster ou sans donnée "
                        f"au-delà de laquelle le calcul s'arrête), pas {show(max_nodata)}")
        max_nodata = _D["max_nodata_share"]
    years = lc.get("years", list(_D["years"]))
    last = this_year()
    if not (isinstance(years, list) and len(years) == 2 and all(is_int(y) for y in years)):
        problems.append(f"{at('landcover', 'years')} : « years » doit être [année1, année2] "
                        f"(deux entiers), pas {show(years)} ; ex. years = "
                        f"{list(_D['years'])}")
        years = list(_D["years"])
    elif not all(FIRST_LANDCOVER_YEAR <= y <= last for y in years):
        fixed = [min(max(y, FIRST_LANDCOVER_YEAR), last) for y in years]
        problems.append(f"{at('landcover', 'years')} : years {years} : les dates d'occupation du "
                        f"sol doivent être comprises entre {FIRST_LANDCOVER_YEAR} et {last} ; "
                        f"corrigez years = [{fixed[0]}, {fixed[1]}]")
        years = list(_D["years"])
    elif years[1] <= years[0]:
        problems.append(f"{at('landcover', 'years')} : dates inversées ou égales {years} ; "
                        "écrivez [première date, seconde date]")
    elif "years" in lc or "before" in lc or "changes" in lc:
        for key, i in (("after", 1), ("before", 0)):
            known = landcover_date(lc.get(key))
            if known is not None and known[0] != years[i]:
                fix = " ou renommez le fichier" if "nom du fichier" in known[1] else ""
                problems.append(f"{at('landcover', 'years')} : years {years} : l'occupation du "
                                f"sol « {lc.get(key)} » ({key}) date de {known[0]} "
                                f"({known[1]}), pas de {years[i]} ; corrigez years{fix}")
    inventory = path_of("emissions", "inventory", "inventory")
    boundaries = raw.get("boundaries")
    if boundaries is not None:
        if not isinstance(boundaries, str) or not boundaries.strip():
            problems.append(f"{at('boundaries')} : « boundaries » doit être un fichier de "
                            f"communes (texte), pas {show(boundaries)}")
            boundaries = None
        else:
            boundaries = resolve_path(boundaries, base, "boundaries")
            if not exists(boundaries):
                problems.append(f"{at('boundaries')} : fichier de communes introuvable "
                                f"« {boundaries} » : le chemin est relatif au fichier de "
                                "configuration")
                boundaries = None
    region = raw.get("region")
    if region is not None and (not isinstance(region, str) or not region.strip()):
        problems.append(f"{at('region')} : « region » doit être un code de région INSEE "
                        f"(texte, ex. \"75\"), pas {show(region)}")
        region = None
    zan = tables["zan"]
    consumption = None
    if "consumption" in zan:
        consumption = (Path("demo") if zan["consumption"] == "demo"
                       else path_of("zan", "consumption", "consumption"))
    guarantee = zan.get("guarantee", _D["guarantee"])
    if not isinstance(guarantee, bool):
        problems.append(f"{at('zan', 'guarantee')} : « guarantee » doit être true ou false, pas "
                        f"{show(guarantee)}")
        guarantee = _D["guarantee"]
    territorialisation = zan.get("territorialisation", _D["territorialisation"])
    if not isinstance(territorialisation, str) or not territorialisation.strip():
        problems.append(f"{at('zan', 'territorialisation')} : « territorialisation » doit être "
                        f"consumption, population ou une table CSV, pas {show(territorialisation)}")
        territorialisation = _D["territorialisation"]
    elif territorialisation not in ("consumption", "population"):
        territorialisation = path_of("zan", "territorialisation", "territorialisation") \
            or _D["territorialisation"]
    if zan and "consumption" not in zan:
        problems.append(f"{at('zan')} : [zan] demande consumption (fichier de consommation "
                        'd\'espaces du Cerema, ou "demo")')
    population = path_of("emissions", "population", "population")
    point_sources = path_of("emissions", "point_sources", "point_sources")
    if point_sources is not None and inventory is not None:
        problems.append(f"{at('emissions', 'point_sources')} : point_sources ne s'applique qu'à "
                        "l'estimation de démonstration (inventory = \"demo\") : votre inventaire "
                        "place déjà ses émetteurs dans leurs communes ; retirez point_sources, ou "
                        "inventory pour recalculer l'estimation avec vos sites")
        point_sources = None
    adjustments = path_of("emissions", "footprint_adjustments", "adjustments")
    scenario = path_of("scenario", "file", "scenario")
    factors = raw.get("factors")
    if factors is not None:
        if not isinstance(factors, str) or not factors.strip():
            problems.append(f"{at('factors')} : « factors » doit être un dossier de tables de "
                            f"facteurs (texte), pas {show(factors)}")
            factors = None
        else:
            factors = resolve_path(factors, base, "factors")
            if not factors.is_dir():
                problems.append(f"{at('factors')} : dossier de facteurs introuvable « {factors} »"
                                " : le chemin est relatif au fichier de configuration")
                factors = None
    from espass_geo.io.scheduler import scheduler_problem

    scheduler = raw.get("scheduler")
    problem = scheduler_problem(scheduler)
    if problem:
        problems.append(f"{at('scheduler')} : {problem} (ou retirez la clé : threads)")
        scheduler = None
    elif isinstance(scheduler, str):
        scheduler = scheduler.strip()
    if scenario is not None:
        from espass_geo.errors import ScenarioError
        from espass_geo.io.scenario_config import load_scenario_config

        try:
            scfg = load_scenario_config(scenario, in_bilan=True)
        except ScenarioError as exc:
            problems.extend(exc.problems or [str(exc)])
        else:
            # the bilan's territory, method and land cover apply to the scenario (noted when
            # the file names others); its actions outside the bilan's zones are refused when
            # the bilan is computed. It starts from the bilan's land cover (years[1]).
            if ("after" in lc and is_int(years[1]) and scfg.start_year < years[1]):
                line = TomlLines(scenario.read_text(encoding="utf-8")).line("start_year")
                problems.append(
                    f"{scenario.name}:{line} : start_year {scfg.start_year} précède la date de "
                    f"l'occupation du sol du bilan ({years[1]}, [landcover] years) : un "
                    f"scénario part de l'état observé ; écrivez start_year = {years[1]} ou "
                    "plus tard")
    if len(series) >= 2:  # the bilan's state and its last period: the series' last two dates
        (y0, before), (y1, after) = series[-2], series[-1]
        years = [y0, y1]
    if problems:
        problems = by_line(problems, path.name)
        raise ConfigError(f"fichier de configuration « {path} » : {len(problems)} problème(s) :"
                          "\n  - " + "\n  - ".join(problems), problems)
    return BilanConfig(path=path, title=title or path.stem,
                       territory=territory, zpc=zpc, method=method, **fields,
                       gwp_n2o=float(gwp), landcover=after, before=before,
                       years=(years[0], years[1]), parcels=parcels, areas=areas,
                       changes=changes, forest_areas=forest, forest=bdforet, hedges=hedges,
                       code_field=code_field.strip() if code_field else None,
                       nomenclature=nomenclature,
                       series=tuple(series),
                       consumption=consumption, zan_guarantee=bool(guarantee),
                       boundaries=boundaries, region=region,
                       territorialisation=territorialisation,
                       inventory=inventory, point_sources=point_sources,
                       population=population, footprint_adjustments=adjustments,
                       scenario=scenario, max_nodata_share=float(max_nodata),
                       factors=factors, scheduler=scheduler, raw=raw)


#: nomenclature names accepted in bilan.toml (a CSV path is also accepted)
NOMENCLATURES = ("clc", "eea", "oso", "ocsge", "ocs2d")


def _series(value, where: str, base: Path, problems: list[str]) -> list[tuple[int, Path]]:
    """``series = ["2015=a.gpkg", …]`` or ``[{year = 2015, file = "a.gpkg"}, …]``: dated
    land covers, sorted; problems listed with the line."""
    example = 'series = ["2015=ocsge2015.gpkg", "2018=ocsge2018.gpkg", "2021=ocsge2021.gpkg"]'
    if not isinstance(value, list) or len(value) < 2:
        problems.append(f"{where} : « series » doit être une liste d'au moins deux occupations "
                        f"du sol datées, pas {show(value)} ; ex. {example}")
        return []
    out: list[tuple[int, Path]] = []
    last = this_year()
    for item in value:
        year, file = None, None
        if isinstance(item, str) and "=" in item:
            y, _, file = item.partition("=")
            year = int(y) if y.strip().isdigit() else None
        elif isinstance(item, dict) and set(item) == {"year", "file"}:
            year = item["year"] if is_int(item["year"]) else None
            file = item["file"] if isinstance(item["file"], str) else None
        if year is None or not file or not file.strip():
            shown = ("{" + ", ".join(f"{k} = " + (f'"{v}"' if isinstance(v, str) else str(v))
                                     for k, v in item.items()) + "}"
                     if isinstance(item, dict) else show(item))
            problems.append(f"{where} : élément {shown} de « series » : écrivez "
                            "\"ANNÉE=FICHIER\" (ex. \"2018=ocsge2018.gpkg\") ou "
                            "{year = 2018, file = \"ocsge2018.gpkg\"}")
            continue
        if not FIRST_LANDCOVER_YEAR <= year <= last:
            problems.append(f"{where} : année {year} de « series » hors de "
                            f"{FIRST_LANDCOVER_YEAR}–{last}")
            continue
        known = landcover_date(file.strip())
        if known is not None and known[0] != year:
            fix = " ou renommez le fichier" if "nom du fichier" in known[1] else ""
            problems.append(f"{where} : « {file.strip()} » date de {known[0]} ({known[1]}), pas "
                            f"de {year} ; corrigez l'année de « series »{fix}")
            continue
        p = (file.strip() if _is_vsi(file.strip())  # GDAL virtual path: GDAL opens it
             else resolve_path(file.strip(), base, "landcover"))
        if p is None or not (_is_vsi(p) or exists(p)):
            problems.append(f"{where} : fichier introuvable « {p} » ({year}) : le chemin est "
                            "relatif au fichier de configuration")
            continue
        out.append((int(year), p))
    years = [y for y, _ in out]
    dup = sorted({y for y in years if years.count(y) > 1})
    if dup:
        problems.append(f"{where} : année(s) {', '.join(map(str, dup))} en double dans "
                        "« series » : une occupation du sol par date")
    return sorted(out)


def _number(value: float) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else value


def _is_vsi(value) -> bool:
    """A GDAL virtual path (``/vsis3/…``, ``/vsicurl/https://…``, ``/vsizip/…``)."""
    from espass_geo.io.rasters import is_vsi_path

    return is_vsi_path(value)


def _posix(value) -> str:
    """A path as written in bilan.toml (a GDAL virtual path as GDAL wants it)."""
    from espass_geo.io.rasters import gdal_path

    return gdal_path(value) if _is_vsi(value) else Path(value).as_posix()


def config_as_toml(cfg: BilanConfig) -> str:
    """The configuration of a run as the text of a ``bilan.toml`` (written beside its results).

    Written by tomli-w: a title holding quotes or new lines stays one value (never a new key).
    """
    doc: dict = {"title": str(cfg.title), "territory": str(cfg.territory),
                 "method": str(cfg.method), "gwp_n2o": _number(cfg.gwp_n2o)}
    for key in ("zpc", "id_field", "name_field", "region"):
        if getattr(cfg, key):
            doc[key] = str(getattr(cfg, key))
    if cfg.boundaries:
        doc["boundaries"] = Path(cfg.boundaries).as_posix()
    landcover: dict = {}
    for key in ("landcover", "before", "parcels", "areas", "changes", "forest_areas", "forest",
                "hedges"):
        value = getattr(cfg, key)
        if cfg.series and key in ("landcover", "before"):
            continue  # the series' last two dates: written as the series only
        if value is not None:
            landcover["after" if key == "landcover" else key] = _posix(value)
    if cfg.series:
        landcover["series"] = [f"{y}={_posix(p)}" for y, p in cfg.series]
    if cfg.code_field:
        landcover["code_field"] = str(cfg.code_field)
    if str(cfg.nomenclature) != _D["nomenclature"]:
        landcover["nomenclature"] = (Path(cfg.nomenclature).as_posix()
                                     if isinstance(cfg.nomenclature, Path)
                                     else str(cfg.nomenclature))
    if not cfg.series:  # series and years exclude each other (the series gives the dates)
        landcover["years"] = [int(cfg.years[0]), int(cfg.years[1])]
    if cfg.max_nodata_share != _D["max_nodata_share"]:
        landcover["max_nodata_share"] = _number(cfg.max_nodata_share)
    doc["landcover"] = landcover
    doc["emissions"] = {"inventory": Path(cfg.inventory).as_posix() if cfg.inventory
                        else "demo"}
    if cfg.point_sources:
        doc["emissions"]["point_sources"] = Path(cfg.point_sources).as_posix()
    if cfg.scenario:
        doc["scenario"] = {"file": Path(cfg.scenario).as_posix()}
    if cfg.consumption is not None:
        doc["zan"] = {"consumption": Path(cfg.consumption).as_posix()}
        if cfg.zan_guarantee:
            doc["zan"]["guarantee"] = True
        if str(cfg.territorialisation) != _D["territorialisation"]:
            doc["zan"]["territorialisation"] = (Path(cfg.territorialisation).as_posix()
                                                if isinstance(cfg.territorialisation, Path)
                                                else str(cfg.territorialisation))
    if cfg.factors:
        doc["factors"] = Path(cfg.factors).as_posix()
    if cfg.scheduler:
        doc["scheduler"] = str(cfg.scheduler)
    return "# Configuration utilisée (espass-geo bilan)\n" + tomli_w.dumps(doc)


def write_example_config(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the commented example ``bilan.toml``; an existing file needs ``overwrite``."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"le dossier « {path.parent} » n'existe pas : créez-le d'abord, ou "
                          f"donnez un autre chemin à espass-geo init (ex. bilan.toml).")
    if path.is_dir():
        raise OutputError(f"« {path} » est un dossier : donnez un nom de fichier à espass-geo "
                          "init (ex. bilan.toml).")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputError(f"le fichier « {path} » existe déjà : espass-geo init ne le remplace "
                          "pas ; choisissez un autre nom, ou ajoutez --overwrite pour le "
                          "remplacer.")
    return atomic_write(path, EXAMPLE_CONFIG, mkdir=False)
