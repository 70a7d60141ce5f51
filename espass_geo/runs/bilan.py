"""The map-centred bilan: one run from a territory to a web map, a report and exports.

:func:`build_bilan_table` joins stocks, flows, emissions and scenarios into ONE tidy long table
(``BILAN_COLUMNS``) from which every other output is derived, so totals reconcile across the
map, the report and the exports. :func:`run_bilan` is the ``espass-geo bilan`` command.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import DEFAULT_GWP_N2O, LAMBERT93
from espass_geo.errors import ConfigError, InventoryError, OutputError, os_reason
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

log = logging.getLogger(__name__)

BILAN_COLUMNS = ["zone_id", "zone_name", "theme", "category", "item", "value", "unit",
                 "sign_convention", "source", "method", "estimate"]
TOTAL = "TOTAL"
SIGN = {
    "stocks": "stock (toujours positif)",
    "flux_carbone": "positif = séquestration, négatif = émission (ALDO)",
    "emissions_secteur": "positif = émission",
    "emissions_poste": "positif = émission (utilisation des terres négative si séquestration)",
    "emissions_poste_direct": "positif = émission",
    "polluants": "positif = émission",
    "scenario": "positif = plus de séquestration que le tendanciel",
}
CONFIG_KEYS = {"title", "territory", "zpc", "id_field", "name_field", "method", "gwp_n2o",
               "landcover", "emissions", "scenario"}
LANDCOVER_KEYS = {"after", "before", "years", "parcels", "areas", "changes", "forest_areas",
                  "max_nodata_share"}
EMISSION_KEYS = {"inventory", "population", "footprint_adjustments"}
SCENARIO_KEYS = {"file"}

EXAMPLE_CONFIG = '''# Bilan ESPASS — fichier de configuration (espass-geo bilan --config bilan.toml --out bilan/)
# Les chemins sont relatifs à ce fichier ; "demo" désigne les données embarquées.
# Convention ALDO : flux positif = séquestration, négatif = émission.

title = "Bilan ESPASS — SCoT Flandre-Dunkerque"
territory = "epci:245900428,200040954"   # fichier de zones, codes INSEE, epci:SIREN ou dep:59,62
method = "aldo"                          # "ipcc" : GIEC Tier 1 pour le sol
gwp_n2o = 273                            # PRG du N2O (273 = GIEC AR6, 265 = AR5)
# zpc = "2_1"                            # zone pédoclimatique imposée (facultatif)
# id_field = "INSEE_COM"                 # champ identifiant des zones d'un fichier (facultatif)
# name_field = "NOM"                     # champ nom des zones d'un fichier (facultatif)

[landcover]
after = "demo"              # occupation du sol (GeoTIFF codes CLC, EPSG:2154) : stocks
before = "demo-2012"        # première date (facultatif) : flux et artificialisation
years = [2012, 2018]
parcels = "demo"            # parcelles RPG (facultatif)
# areas = "surfaces.csv"    # à la place d'un raster : table de surfaces (zone_id, code, area_ha)
# changes = "changements.csv"     # à la place de deux rasters : table de changements
# forest_areas = "bdforet.csv"    # surfaces BD Forêt (croissance forestière, produits bois)
# max_nodata_share = 0.5    # part d'une zone hors du raster ou sans donnée qui arrête le calcul

[emissions]
inventory = "demo"          # inventaire CSV (voir factors/README.md) ; "demo" = estimation
# population = "population.csv"   # zone_id, population, cog (défaut : COG 2018 embarqué)
# footprint_adjustments = "ajustements.csv"  # zone_id|*, post, factor, driver (facultatif)

[scenario]
file = "demo"               # fichier de scénarios TOML (facultatif) ; "demo" = Flandre-Dunkerque
'''


@dataclass
class BilanConfig:
    path: Path | None
    title: str
    territory: str
    zpc: str | None = None
    #: fields of a zones file holding the zone ids and names (None: recognised names)
    id_field: str | None = None
    name_field: str | None = None
    method: str = "aldo"
    gwp_n2o: float = DEFAULT_GWP_N2O
    landcover: Path | None = None
    before: Path | None = None
    years: tuple[int, int] = (2012, 2018)
    parcels: Path | None = None
    areas: Path | None = None
    changes: Path | None = None
    forest_areas: Path | None = None
    inventory: Path | None = None  # None = demo estimate
    population: Path | None = None
    footprint_adjustments: Path | None = None
    scenario: Path | None = None
    #: share of a zone outside the raster or in no-data above which the run stops
    max_nodata_share: float = 0.5
    raw: dict = field(default_factory=dict)


def default_config(territory: str) -> BilanConfig:
    """Embedded defaults for ``espass-geo bilan --territory T``.

    Demo rasters and parcels only cover the SCoT Flandre-Dunkerque; elsewhere in Nord/Pas-de-
    Calais the real ALDO CLC 2018 areas and 2012→2018 changes per EPCI are used (EPCI zones).
    """
    from espass_geo.territory.resolve import resolve_territory

    t = resolve_territory(territory)
    demo = set(resolve_territory("epci:245900428,200040954").zones["zone_id"])
    inside = set(t.zones["zone_id"]) <= demo
    if inside:
        return BilanConfig(path=None, title=f"Bilan ESPASS — {t.label}", territory=territory,
                           landcover=data.demo_landcover_path(),
                           before=data.demo_landcover_2012_path(),
                           parcels=data.demo_parcels_path())
    return BilanConfig(path=None, title=f"Bilan ESPASS — {t.label}", territory=territory,
                       areas=data.aldo_clc18_epci_path(), changes=data.aldo_clc_change_epci_path(),
                       forest_areas=data.aldo_bdforet_epci_path())


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
    method = raw.get("method", "aldo")
    if not isinstance(method, str) or method not in ("aldo", "ipcc"):
        problems.append(f"{at('method')} : méthode {show(method)} inconnue : écrivez method = "
                        '"aldo" ou "ipcc"')
        method = "aldo"
    gwp = raw.get("gwp_n2o", DEFAULT_GWP_N2O)
    if not is_number(gwp) or not GWP_N2O_RANGE[0] <= gwp <= GWP_N2O_RANGE[1]:
        problems.append(f"{at('gwp_n2o')} : « gwp_n2o » doit être un nombre entre "
                        f"{GWP_N2O_RANGE[0]:g} et {GWP_N2O_RANGE[1]:g} (PRG100 du N2O : 273 GIEC "
                        f"AR6, 265 AR5), pas {show(gwp)}")
        gwp = DEFAULT_GWP_N2O
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
                          ("scenario", SCENARIO_KEYS)):
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
            return None
        if kind == "scenario" and value == "demo":
            return data.data_path("landcover", "scenarios/flandre_dunkerque.toml")
        if kind == "landcover" and value == "demo" and key == "parcels":
            kind = "parcels"
        if kind == "landcover" and value == "demo" and key in ("areas",):
            return data.aldo_clc18_epci_path()
        if kind == "landcover" and value == "demo" and key == "changes":
            return data.aldo_clc_change_epci_path()
        if kind == "landcover" and value == "demo" and key == "forest_areas":
            return data.aldo_bdforet_epci_path()
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
    parcels = path_of("landcover", "parcels", "landcover")
    areas = path_of("landcover", "areas", "landcover")
    changes = path_of("landcover", "changes", "landcover")
    forest = path_of("landcover", "forest_areas", "landcover")
    if "after" not in lc and "areas" not in lc:
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
    max_nodata = lc.get("max_nodata_share", 0.5)
    if not is_number(max_nodata) or not 0.0 <= max_nodata <= 1.0:
        problems.append(f"{at('landcover', 'max_nodata_share')} : « max_nodata_share » doit être "
                        f"un nombre entre 0 et 1 (part d'une zone hors du raster ou sans donnée "
                        f"au-delà de laquelle le calcul s'arrête), pas {show(max_nodata)}")
        max_nodata = 0.5
    years = lc.get("years", [2012, 2018])
    last = this_year()
    if not (isinstance(years, list) and len(years) == 2 and all(is_int(y) for y in years)):
        problems.append(f"{at('landcover', 'years')} : « years » doit être [année1, année2] "
                        f"(deux entiers), pas {show(years)} ; ex. years = [2012, 2018]")
        years = [2012, 2018]
    elif not all(FIRST_LANDCOVER_YEAR <= y <= last for y in years):
        fixed = [min(max(y, FIRST_LANDCOVER_YEAR), last) for y in years]
        problems.append(f"{at('landcover', 'years')} : years {years} : les dates d'occupation du "
                        f"sol doivent être comprises entre {FIRST_LANDCOVER_YEAR} et {last} ; "
                        f"corrigez years = [{fixed[0]}, {fixed[1]}]")
        years = [2012, 2018]
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
    population = path_of("emissions", "population", "population")
    adjustments = path_of("emissions", "footprint_adjustments", "adjustments")
    scenario = path_of("scenario", "file", "scenario")
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
    if problems:
        problems = by_line(problems, path.name)
        raise ConfigError(f"fichier de configuration « {path} » : {len(problems)} problème(s) :"
                          "\n  - " + "\n  - ".join(problems), problems)
    return BilanConfig(path=path, title=title or path.stem,
                       territory=territory, zpc=zpc, method=method, **fields,
                       gwp_n2o=float(gwp), landcover=after, before=before,
                       years=(years[0], years[1]), parcels=parcels, areas=areas,
                       changes=changes, forest_areas=forest, inventory=inventory,
                       population=population, footprint_adjustments=adjustments,
                       scenario=scenario, max_nodata_share=float(max_nodata), raw=raw)


# ------------------------------------------------------------------------- the table
def _with_totals(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["theme", "category", "item", "unit", "sign_convention", "source", "method",
            "estimate"]
    tot = df.groupby(keys, as_index=False, dropna=False)["value"].sum()
    tot["zone_id"] = TOTAL
    tot["zone_name"] = "Territoire"
    return pd.concat([df, tot], ignore_index=True)


def build_bilan_table(*, stocks=None, flows=None, emissions=None, scenario=None,
                      synthetic: bool = False) -> pd.DataFrame:
    """One tidy long table (:data:`BILAN_COLUMNS`) with zone rows and ``TOTAL`` rows."""
    parts = []
    if stocks is not None:
        s = stocks.stocks
        parts.append(pd.DataFrame({
            "zone_id": s["zone_id"], "zone_name": s["zone_name"], "theme": "stocks",
            "category": s["land_use"], "item": s["pool"], "value": s["stock_tC"], "unit": "tC",
            "source": "ALDO (facteurs) × surfaces", "method": s["method"],
            "estimate": synthetic}))
    if flows is not None:
        f = flows.flows
        names = flows.zones.set_index("zone_id")["zone_name"]
        parts.append(pd.DataFrame({
            "zone_id": f["zone_id"], "zone_name": f["zone_id"].map(names), "theme":
            "flux_carbone", "category": f["cause"], "item": f["pool"],
            "value": f["flux_tCO2e_an"], "unit": "tCO2e/an",
            "source": "ALDO (flux) × changements d'occupation du sol", "method": f["method"],
            "estimate": synthetic}))
    if emissions is not None:
        e = emissions.table
        names = emissions.zones.set_index("zone_id")["zone_name"]
        ges = e[e["substance"] == "GES"]
        theme = ges["view"].map({"sector": "emissions_secteur", "post": "emissions_poste",
                                 "post_direct": "emissions_poste_direct"})
        parts.append(pd.DataFrame({
            "zone_id": ges["zone_id"], "zone_name": ges["zone_id"].map(names), "theme": theme,
            "category": ges["category"], "item": "GES", "value": ges["emission_tCO2e"],
            "unit": "tCO2e/an", "source": ges["source"],
            "method": ges["view"].map({"sector": "inventaire", "post": "empreinte",
                                       "post_direct": "inventaire réparti"}),
            "estimate": ges["estimate"] | ((ges["view"] == "post")
                                           & (ges["category"] == "utilisation_terres")
                                           & synthetic)}))
        pol = e[(e["view"] == "sector") & (e["substance"] != "GES")
                & ~e["substance"].isin(["CO2", "CH4", "N2O"])]
        parts.append(pd.DataFrame({
            "zone_id": pol["zone_id"], "zone_name": pol["zone_id"].map(names),
            "theme": "polluants", "category": pol["category"], "item": pol["substance"],
            "value": pol["emission_t"], "unit": "t/an", "source": pol["source"],
            "method": "inventaire", "estimate": pol["estimate"]}))
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BILAN_COLUMNS)
    df["sign_convention"] = df["theme"].map(SIGN)
    df = df[df["value"].notna()]
    df = _with_totals(df[BILAN_COLUMNS])
    if scenario is not None:
        d = scenario.delta
        # per lever only: the report, the sheets and the map compute the total themselves
        last = d[(d["year"] == scenario.config.horizon) & (d["lever"] != "total")]
        sc = pd.DataFrame({
            "zone_id": TOTAL, "zone_name": "Territoire", "theme": "scenario",
            "category": last["lever"], "item": last["scenario"],
            "value": last["cumulative_delta_tCO2e"], "unit": "tCO2e",
            "sign_convention": SIGN["scenario"],
            "source": f"scénarios {scenario.config.start_year}–{scenario.config.horizon} "
                      f"({scenario.config.path.name})",
            "method": scenario.config.method, "estimate": synthetic})
        df = pd.concat([df, sc], ignore_index=True)
    df["estimate"] = df["estimate"].astype(bool)
    return df[BILAN_COLUMNS].reset_index(drop=True)


def synthesis(bilan: pd.DataFrame) -> dict[str, float]:
    """Territory figures every output shows (read from the TOTAL rows of the bilan)."""
    t = bilan[bilan["zone_id"] == TOTAL]

    def total(theme: str, **kw) -> float:
        sel = t[t["theme"] == theme]
        for k, v in kw.items():
            sel = sel[sel[k] == v]
        return float(sel["value"].sum())

    footprint = total("emissions_poste")
    return {
        "stock_tC": total("stocks"),
        "flux_tCO2e_an": total("flux_carbone"),
        "direct_tCO2e_an": total("emissions_secteur"),
        "footprint_tCO2e_an": footprint,
        "footprint_without_land_tCO2e_an": footprint - total("emissions_poste",
                                                             category="utilisation_terres"),
    }


# ------------------------------------------------------------------------- the run
@dataclass
class BilanResult:
    config: BilanConfig
    table: pd.DataFrame
    zones: gpd.GeoDataFrame
    stocks: object = None
    flows: object = None
    emissions: object = None
    scenario: object = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)


def _steps(n: int, quiet: bool):
    try:
        from tqdm import tqdm

        return tqdm(total=n, disable=quiet, desc="Bilan", unit="étape", leave=False)
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None


def compute_bilan(cfg: BilanConfig, *, quiet: bool = False) -> BilanResult:
    from espass_geo.runs.emissions import compute_territory_emissions
    from espass_geo.runs.flows import compute_territory_flows
    from espass_geo.runs.stocks import SYNTHETIC_NOTE_FR, compute_territory_stocks
    from espass_geo.territory.resolve import resolve_territory

    bar = _steps(5, quiet)

    def step(msg: str) -> None:
        log.info(msg)
        if bar is not None:
            bar.set_postfix_str(msg)
            bar.update(1)

    # inputs resolved once and handed to every engine: territory, parcels, area and change
    # tables (each raster is cross-tabulated once per run)
    territory = resolve_territory(cfg.territory, zpc=cfg.zpc, id_field=cfg.id_field,
                                  name_field=cfg.name_field)
    parcels = cfg.parcels if cfg.landcover else None
    parcel_gdf = None
    if parcels is not None:
        from espass_geo.io.parcels import read_parcels

        parcel_gdf = read_parcels(parcels)
    st = compute_territory_stocks(territory, landcover=cfg.landcover, areas=cfg.areas,
                                  parcels=parcels, parcels_gdf=parcel_gdf,
                                  method=cfg.method, max_nodata_share=cfg.max_nodata_share)
    step("stocks")
    fl = None
    if cfg.before is not None and cfg.landcover is not None:
        fl = compute_territory_flows(territory, landcover_before=cfg.before,
                                     landcover_after=cfg.landcover, years=cfg.years,
                                     forest_areas=cfg.forest_areas, method=cfg.method,
                                     gwp_n2o=cfg.gwp_n2o, max_nodata_share=cfg.max_nodata_share)
    elif cfg.changes is not None:
        fl = compute_territory_flows(territory, changes=cfg.changes, years=cfg.years,
                                     forest_areas=cfg.forest_areas, method=cfg.method,
                                     gwp_n2o=cfg.gwp_n2o)
    step("flux")
    # emissions on the zones of the carbon results (communes, or EPCI for per-EPCI tables)
    em_territory = territory
    if fl is not None and set(fl.zones["zone_id"]) != set(territory.zones["zone_id"]):
        from espass_geo.territory.resolve import Territory

        em_territory = Territory(zones=_zone_frame(fl.zones), label=territory.label,
                                 kind="epci")
    lf = fl.zones[["zone_id", "flux_tCO2e_an"]] if fl is not None else None
    em_notes: list[str] = []
    try:
        em = compute_territory_emissions(em_territory, inventory=cfg.inventory,
                                         population=cfg.population, land_flows=lf,
                                         footprint_adjustments=cfg.footprint_adjustments)
    except InventoryError as exc:
        if cfg.inventory is not None:  # the user's own inventory must fit: refused
            raise
        # the demo inventory does not cover this territory: the carbon bilan stands alone
        em = None
        em_notes.append(f"Émissions non calculées : l'inventaire de démonstration ne couvre pas "
                        f"ce territoire ({exc}). Le bilan carbone (stocks et flux) est complet ; "
                        "donnez un inventaire ([emissions] inventory) pour la partie émissions.")
    step("émissions")
    sc = _bilan_scenario(cfg, territory, st, fl, parcel_gdf) if cfg.scenario else None
    step("scénarios")
    # the stocks run read the raster's tag already (its note), no second opening
    synthetic = bool(cfg.landcover is not None and SYNTHETIC_NOTE_FR in st.notes)
    table = build_bilan_table(stocks=st, flows=fl, emissions=em, scenario=sc,
                              synthetic=synthetic)
    zones = _bilan_zones(st, fl, em, em_territory)
    notes = list(dict.fromkeys([*st.notes, *(fl.notes if fl else []),
                                *(em.notes if em else em_notes), *(sc.notes if sc else [])]))
    step("bilan")
    if bar is not None:
        bar.close()
    return BilanResult(config=cfg, table=table, zones=zones, stocks=st, flows=fl, emissions=em,
                       scenario=sc, notes=notes)


def _bilan_scenario(cfg: BilanConfig, territory, st, fl, parcel_gdf):
    """The scenario file's actions, start year and horizon on the bilan's own inputs.

    The bilan's territory, method, ZPC, N2O GWP, land cover, parcels and trend apply; a
    scenario file written for another territory or method is overridden with a note, and its
    actions that fall outside the bilan's zones are refused (ScenarioError).
    """
    from dataclasses import replace

    from espass_geo.errors import ScenarioError
    from espass_geo.io.scenario_config import load_scenario_config
    from espass_geo.runs.scenarios import build_scenarios
    from espass_geo.territory.resolve import territory_key

    scfg = load_scenario_config(cfg.scenario, in_bilan=True)
    name = scfg.path.name
    notes = []
    if cfg.landcover is not None and scfg.start_year < cfg.years[1]:
        raise ConfigError(
            f"fichier de scénario « {name} » : start_year {scfg.start_year} précède la date de "
            f"l'occupation du sol du bilan ({cfg.years[1]}, [landcover] years) : un scénario part "
            f"de l'état observé ; écrivez start_year = {cfg.years[1]} ou plus tard")
    other_territory = scfg.territory is not None and \
        territory_key(scfg.territory) != territory_key(cfg.territory)
    if other_territory:
        notes.append(f"Scénario « {name} » : écrit pour le territoire « {scfg.territory} », "
                     f"appliqué au territoire du bilan « {cfg.territory} ».")
    if scfg.method != cfg.method:
        notes.append(f"Scénario « {name} » : méthode « {scfg.method} » du fichier remplacée "
                     f"par celle du bilan « {cfg.method} ».")
    if (scfg.zpc, scfg.gwp_n2o) != (cfg.zpc, cfg.gwp_n2o):
        notes.append(f"Scénario « {name} » : zone pédoclimatique et PRG du N2O du bilan "
                     f"appliqués ({cfg.zpc or 'par commune'}, {cfg.gwp_n2o:g}).")
    trend = cfg.before is not None or cfg.changes is not None
    wanted = scfg.raw.get("baseline", {}).get("trend") if isinstance(
        scfg.raw.get("baseline"), dict) else None
    if wanted and not trend:
        notes.append(f"Scénario « {name} » : pas de tendanciel (baseline.trend), le bilan n'a "
                     "qu'une date d'occupation du sol ([landcover] before ou changes).")
    if scfg.landcover is not None and (
            (scfg.landcover, scfg.parcels, scfg.trend_before, scfg.trend_changes)
            != (cfg.landcover, parcel_gdf is not None and cfg.parcels or None,
                cfg.before, cfg.changes)):
        notes.append(f"Scénario « {name} » : état initial, parcelles et tendanciel du bilan "
                     "([landcover]) ; la section [data] du fichier de scénario est ignorée.")
    scfg = replace(scfg, territory=cfg.territory, method=cfg.method, zpc=cfg.zpc,
                   id_field=cfg.id_field, name_field=cfg.name_field,
                   gwp_n2o=cfg.gwp_n2o, landcover=cfg.landcover,
                   parcels=cfg.parcels if parcel_gdf is not None else None,
                   trend_before=cfg.before if cfg.landcover is not None else None,
                   trend_changes=cfg.changes, trend_years=cfg.years if trend else None,
                   baseline_trend=trend and wanted is not False)
    zone_ids = set(territory.zones["zone_id"])
    area_table = st.areas if set(st.areas.table["zone_id"]) <= zone_ids and \
        cfg.landcover is not None else None
    if area_table is None:
        raise ConfigError(
            f"le scénario « {name} » part de l'occupation du sol des zones du bilan, mais le "
            "bilan n'a qu'une table de surfaces par EPCI ([landcover] areas) : donnez un raster "
            "d'occupation du sol ([landcover] after), ou lancez espass-geo scenario seul.")
    change_table = fl.changes if fl is not None and fl.rasters is not None else None
    try:
        sc = build_scenarios(scfg, territory=territory, area_table=area_table,
                             parcels_gdf=parcel_gdf, change_table=change_table)
    except ScenarioError as exc:
        if not other_territory or "hors du territoire" not in str(exc):
            raise
        raise ScenarioError(
            f"bilan sur « {cfg.territory} » avec le fichier de scénario « {name} », écrit pour "
            f"« {scfg.raw.get('territory')} » : {exc}\n  Retirez du fichier de scénario les "
            "actions hors du territoire du bilan, ou faites le bilan sur le territoire du "
            "scénario.", exc.problems) from None
    sc.notes[:0] = notes
    return sc


def _zone_frame(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    z = zones[["zone_id", "zone_name", "geometry"]].copy()
    for col in ("zpc", "departement", "region_code", "epci"):
        z[col] = None
    z["epci"] = z["zone_id"]
    return gpd.GeoDataFrame(z, geometry="geometry", crs=LAMBERT93)


def _bilan_zones(st, fl, em, em_territory=None) -> gpd.GeoDataFrame:
    if em is not None:
        base = em.zones.copy()
    else:  # no emissions: the zones of the carbon results
        base = em_territory.zones[["zone_id", "zone_name", "geometry"]].copy()
    if st is not None:
        s = st.zones.drop(columns="geometry")
        # stock zones may be communes while emissions are EPCI: aggregate by EPCI then
        if not set(base["zone_id"]) <= set(s["zone_id"]):
            com = data.communes_2018().set_index("insee")["epci"]
            s = s.assign(zone_id=s["zone_id"].map(com).fillna(s["zone_id"]))
        agg = s.groupby("zone_id")[["stock_tC", "area_ha"]].sum()
        base["stock_tC"] = base["zone_id"].map(agg["stock_tC"])
        base["density_tC_ha"] = base["stock_tC"] / base["zone_id"].map(agg["area_ha"])
    if fl is not None:
        f = fl.zones.drop(columns="geometry").set_index("zone_id")
        for c in ("flux_tCO2e_an", "flux_tCO2e_ha_an", "sealed_ha_an"):
            if c in f:
                base[c] = base["zone_id"].map(f[c])
    return gpd.GeoDataFrame(base, geometry="geometry", crs=LAMBERT93)


def write_bilan_outputs(result: BilanResult, out_dir: str | Path, *,
                        overwrite: bool = False) -> dict[str, Path]:
    from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
    from espass_geo.present.exports import write_csv, write_csv_fr, write_xlsx
    from espass_geo.present.fmt import fmt_mass_t
    from espass_geo.present.maps import bilan_map
    from espass_geo.present.report import collect_sources, render_report, report_charts
    from espass_geo.runs.emissions import write_emission_outputs
    from espass_geo.runs.flows import write_flow_outputs
    from espass_geo.runs.scenarios import write_scenario_outputs
    from espass_geo.runs.stocks import write_stock_outputs

    cfg = result.config
    out_dir = Path(out_dir)
    inputs = [cfg.path, *vars(cfg).values()]
    if result.scenario is not None:
        inputs += [result.scenario.config.path, *vars(result.scenario.config).values()]
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        t = result.table
        files["bilan.csv"] = write_csv(t, tmp / "bilan.csv")
        files["bilan_excel_fr.csv"] = write_csv_fr(t, tmp / "bilan_excel_fr.csv")
        meta = _meta(result)
        files["bilan.xlsx"] = write_xlsx(t, tmp / "bilan.xlsx", meta=meta)
        write_gpkg_layer(result.zones, tmp / "bilan.gpkg", "zones")
        if result.stocks is not None and result.stocks.parcels is not None:
            write_gpkg_layer(result.stocks.parcels, tmp / "bilan.gpkg", "parcelles")
        if result.scenario is not None and len(result.scenario.actions):
            write_gpkg_layer(result.scenario.actions, tmp / "bilan.gpkg", "actions_scenario")
        files["bilan.gpkg"] = tmp / "bilan.gpkg"
        # the detailed outputs of each module, in sub-folders
        write_stock_outputs(result.stocks, tmp / "stocks", params=meta["params"])
        if result.flows is not None:
            write_flow_outputs(result.flows, tmp / "flux", params=meta["params"])
        if result.emissions is not None:
            write_emission_outputs(result.emissions, tmp / "emissions", params=meta["params"])
        links = [("Rapport", "rapport.html"), ("Données (Excel)", "bilan.xlsx"),
                 ("Données (CSV)", "bilan.csv")]
        actions = hotspots = None
        if result.scenario is not None:
            write_scenario_outputs(result.scenario, tmp / "scenarios")
            links.insert(1, ("Comparaison tendanciel / scénario",
                             "scenarios/carte_scenarios.html"))
            acts = result.scenario.actions
            first = cfg_first_scenario(result)
            actions = acts[acts["scenario"] == first] if len(acts) else None
        if result.flows is not None:
            hotspots = result.flows.hotspots  # computed with the flows (compute step)
        charts = report_charts(t, tmp / "graphiques", title=cfg.title)
        files.update({f"graphiques/{Path(p).name}": p for p in charts.values()})
        sy = synthesis(t)
        syn_fr = {
            "Empreinte de consommation (hors utilisation des terres)":
                fmt_mass_t(sy["footprint_without_land_tCO2e_an"], "tCO₂e") + "/an",
            "Émissions directes (inventaire)": fmt_mass_t(sy["direct_tCO2e_an"], "tCO₂e") + "/an",
            "Flux net de carbone des sols et forêts (+ = séquestration)":
                _signed(sy["flux_tCO2e_an"]) + "/an",
            "Bilan net (empreinte − séquestration)":
                fmt_mass_t(sy["footprint_tCO2e_an"], "tCO₂e") + "/an",
            "Stock de carbone (sols et biomasse)": fmt_mass_t(sy["stock_tC"], "tC"),
        }
        if result.emissions is None:  # no inventory for this territory: shown as missing
            for key in list(syn_fr)[:2] + [list(syn_fr)[3]]:
                syn_fr[key] = "non calculé (pas d'inventaire)"
        bilan_map(result.zones, title=cfg.title,
                  parcels=result.stocks.parcels if result.stocks is not None else None,
                  hotspots=hotspots, actions=actions, synthesis=syn_fr, links=links,
                  notes=result.notes, estimate=bool(t["estimate"].any()),
                  html_path=tmp / "index.html")
        files["index.html"] = tmp / "index.html"
        meta["map_href"] = "index.html"
        meta["sources"] = collect_sources(_factor_names())
        render_report(t, meta=meta, charts={Path(p).stem: p for p in charts.values()
                                            if str(p).endswith(".png")},
                      out_path=tmp / "rapport.html")
        files["rapport.html"] = tmp / "rapport.html"
        if cfg.path is not None:
            shutil.copy(cfg.path, tmp / cfg.path.name)
            files[cfg.path.name] = tmp / cfg.path.name
        else:
            (tmp / "bilan.toml").write_text(_config_as_toml(cfg), encoding="utf-8")
            files["bilan.toml"] = tmp / "bilan.toml"
    result.files = {name: out_dir / Path(p).relative_to(tmp) if str(p).startswith(str(tmp))
                    else out_dir / Path(p).name for name, p in files.items()}
    return result.files


def cfg_first_scenario(result: BilanResult) -> str:
    return result.scenario.config.scenarios[0].name


def _signed(v: float) -> str:
    from espass_geo.present.fmt import fmt_mass_t

    s = fmt_mass_t(v, "tCO₂e")
    return s if s.startswith("\u2212") or v <= 0 else "+" + s


def _factor_names() -> list[str]:
    return ["aldo_soil_stock_ref", "aldo_soil_flux", "aldo_biomass_nonforest",
            "aldo_biomass_nonforest_flux", "ign_forest_carbon", "aldo_litter",
            "aldo_hedge_carbon", "clc_to_land_use", "rpg_to_clc", "n2o_soil_loss",
            "wood_products_france", "practices_aldo", "ipcc_soc_ref",
            "ipcc_stock_change_factors", "consumption_per_capita", "sector_post_crosswalk",
            "regional_inventory_hdf", "substances", "ghg_air_synergies"]


def _meta(result: BilanResult) -> dict:
    cfg = result.config
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()
              if k not in ("raw",)}
    return {"title": cfg.title, "territory_label": result.stocks.territory.label,
            "version": __version__, "generated_at": datetime.now().strftime("%d/%m/%Y %H:%M"),
            "params": params, "warnings": result.notes, "sources": [],
            "map_href": "index.html"}


def _config_as_toml(cfg: BilanConfig) -> str:
    def q(v):
        # a TOML basic string: JSON's escapes (\" \\ \n \uXXXX) are TOML's, so a title
        # holding quotes or new lines stays one value (never a new key of the file)
        return json.dumps(str(v), ensure_ascii=False)

    lines = [f"title = {q(cfg.title)}", f"territory = {q(cfg.territory)}",
             f"method = {q(cfg.method)}", f"gwp_n2o = {cfg.gwp_n2o:g}"]
    for key in ("zpc", "id_field", "name_field"):
        if getattr(cfg, key):
            lines.append(f"{key} = {q(getattr(cfg, key))}")
    lines.append("\n[landcover]")
    for k in ("landcover", "before", "parcels", "areas", "changes", "forest_areas"):
        v = getattr(cfg, k)
        if v is not None:
            lines.append(f"{'after' if k == 'landcover' else k} = {q(Path(v).as_posix())}")
    lines.append(f"years = [{cfg.years[0]}, {cfg.years[1]}]")
    if cfg.max_nodata_share != 0.5:
        lines.append(f"max_nodata_share = {cfg.max_nodata_share:g}")
    lines.append("\n[emissions]")
    lines.append(f"inventory = {q(Path(cfg.inventory).as_posix()) if cfg.inventory else q('demo')}")
    if cfg.scenario:
        lines.append(f"\n[scenario]\nfile = {q(Path(cfg.scenario).as_posix())}")
    return "# Configuration utilisée (espass-geo bilan)\n" + "\n".join(lines) + "\n"


def run_bilan(config: str | Path | None = None, *, territory: str | None = None,
              out_dir: str | Path, quiet: bool = False,
              overwrite: bool = False, max_nodata_share: float | None = None,
              zpc: str | None = None, id_field: str | None = None,
              name_field: str | None = None) -> BilanResult:
    """Public API of ``espass-geo bilan``: ``config`` (bilan.toml) or ``territory`` defaults.

    ``zpc``, ``id_field`` and ``name_field`` (command line) prevail over the file's keys."""
    if config is not None:
        cfg = load_bilan_config(config)
    elif territory is not None:
        cfg = default_config(territory)
    else:
        raise ConfigError("donnez --config bilan.toml ou --territory T (espass-geo init écrit un "
                          "exemple de bilan.toml).")
    if max_nodata_share is not None:  # the command line prevails over the file
        cfg.max_nodata_share = max_nodata_share
    for key, value in (("zpc", zpc), ("id_field", id_field), ("name_field", name_field)):
        if value is not None:
            setattr(cfg, key, value)
    result = compute_bilan(cfg, quiet=quiet)
    write_bilan_outputs(result, out_dir, overwrite=overwrite)
    return result


def write_example_config(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the commented example ``bilan.toml``; an existing file needs ``overwrite``."""
    import os
    import tempfile

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
    tmp = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(EXAMPLE_CONFIG)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"le fichier « {path} » ne peut pas être écrit ({os_reason(exc)}) : "
                          "choisissez un dossier où vous pouvez écrire.") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return path
