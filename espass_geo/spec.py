"""The one declarative specification of the inputs and options of espass_geo.

Each :class:`Input` names one input or option once: its English identifier (the keyword of the
Python API, the parameter of the command function), its type, its default (defined only here),
its French help text, its command-line flag and the commands that take it, its key in
``bilan.toml`` and in scenario files (the same section and key in both), the old key names
still accepted (aliases) and its allowed values or range.

Read by :mod:`espass_geo.cli` (:func:`options` builds the click options of each command), by
:mod:`espass_geo.api` (defaults), by the two TOML loaders (:mod:`espass_geo.io.bilan_config`,
:mod:`espass_geo.io.scenario_config`: key sets, defaults, choices, ranges; they report problems
with file and line) and by the README (:func:`options_markdown`, checked by tests/test_spec.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espass_geo.constants import DEFAULT_GWP_N2O

#: the commands of the ``espass-geo`` command line that take options from this specification
COMMANDS = ("stocks", "flows", "scenario", "emissions", "zan", "bilan", "init", "demo",
            "aldo")

_OVERWRITE_HELP = ("Écrire dans un dossier existant qu'espass_geo n'a pas écrit (ou modifié "
                   "depuis) : seuls les fichiers du calcul précédent sont remplacés.")
_TERRITORY_OTHER = "Comme pour « stocks » : fichier, codes INSEE, epci:SIREN ou dep:59,62."


@dataclass(frozen=True)
class Input:
    """One input or option. ``toml`` is ``(section, key)`` with section ``""`` for the top
    level of the file; ``aliases`` are older ``(section, key)`` of scenario files, still read."""

    name: str
    type: str  # "str" | "path" | "float" | "int" | "years" | "series" | "bool" | "choice"
    help: str
    default: Any = None
    required: bool = False
    flag: str | None = None
    short: str | None = None
    commands: tuple[str, ...] = ()
    #: per-command changes of the click option (help, default, required)
    cli_override: dict[str, dict] = field(default_factory=dict)
    bilan: tuple[str, str] | None = None
    scenario: tuple[str, str] | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    choices: tuple[str, ...] | None = None
    range: tuple[float, float] | None = None
    note: str = ""

    def default_for(self, command: str) -> Any:
        return self.cli_override.get(command, {}).get("default", self.default)


def _i(*args, **kwargs) -> Input:
    return Input(*args, **kwargs)


SPEC: tuple[Input, ...] = (
    _i("config", "path", "Fichier de configuration TOML.", flag="--config",
       commands=("scenario", "bilan"), cli_override={
           "scenario": {"required": True, "help": "Fichier de scénario TOML (voir "
                        "landcover/scenarios/flandre_dunkerque.toml)."},
           "bilan": {"help": "Fichier bilan.toml (espass-geo init en écrit un exemple "
                     "commenté)."}}),
    _i("title", "str", "Titre du bilan ou du scénario (défaut : le nom du fichier).",
       bilan=("", "title"), scenario=("", "title")),
    _i("territory", "str", "Fichier de zones (GeoPackage, GeoJSON, shapefile), codes INSEE séparés "
       "par des virgules (COG 2018 ; cog2026:CODES pour le COG 2026), epci:SIREN[,SIREN] ou "
       "dep:59,62.", required=True, flag="--territory", short="-t",
       commands=("stocks", "flows", "emissions", "bilan", "zan", "aldo"),
       bilan=("", "territory"), scenario=("", "territory"), cli_override={
           "flows": {"help": _TERRITORY_OTHER}, "emissions": {"help": _TERRITORY_OTHER},
           "aldo": {"help": "EPCI entiers : epci:SIREN[,SIREN] (ou toutes leurs communes)."},
           "bilan": {"required": False, "help": "Sans --config : territoire avec les données "
                     "embarquées par défaut."}}),
    _i("landcover", "path", "Occupation du sol : raster (GeoTIFF de codes CLC niveau 3 ou "
       "d'un produit de --nomenclature, tout système de coordonnées) ou couche vecteur "
       "(GeoPackage, shapefile, GeoJSON : CLC, OCS GE, OCS2D, reconnus ; voir --code-field).",
       flag="--landcover", commands=("stocks",), bilan=("landcover", "after"),
       scenario=("landcover", "after"), aliases=(("data", "landcover"),),
       note="flows : --landcover-after"),
    _i("landcover_before", "path", "Occupation du sol à la première date (raster ou couche "
       "vecteur, comme --landcover).", flag="--landcover-before", commands=("flows", "zan"),
       bilan=("landcover", "before"), scenario=("landcover", "before"),
       aliases=(("data", "trend_landcover_before"),)),
    _i("landcover_after", "path", "Occupation du sol à la seconde date (raster de même grille, "
       "ou couche vecteur ; un raster et une couche se mélangent : la couche est dessinée sur "
       "la grille du raster).",
       flag="--landcover-after", commands=("flows", "zan"), note="TOML : [landcover] after"),
    _i("years", "years", "Années des deux dates (la période annualise les surfaces).",
       default=(2012, 2018), flag="--years", commands=("flows", "zan"), bilan=("landcover", "years"),
       scenario=("landcover", "years"), aliases=(("data", "trend_years"),)),
    _i("landcover_year", "int", "Date de l'occupation du sol de départ d'un scénario (défaut : "
       "la seconde année de years, la date des données embarquées ou l'année de son nom).",
       scenario=("landcover", "landcover_year"), aliases=(("data", "landcover_year"),)),
    _i("landcover_series", "series", "Série d'occupations du sol datées, ANNÉE=FICHIER, une "
       "par date (au moins deux ; ex. 2015=ocsge2015.gpkg 2018=… 2021=…) : flux de chaque "
       "période, annualisés sur sa durée.", flag="--landcover-series", commands=("flows",),
       bilan=("landcover", "series")),
    _i("code_field", "str", "Champ(s) du code d'une couche vecteur d'occupation du sol : "
       "CODE_18 (CLC), CODE_CS+CODE_US (OCS GE, OCS2D) ; défaut : reconnus pour CLC, OCS GE et "
       "OCS2D.", flag="--code-field", commands=("stocks", "flows"),
       bilan=("landcover", "code_field")),
    _i("nomenclature", "str", "Nomenclature des codes d'occupation du sol : clc (codes CLC "
       "niveau 3 ; pour une couche vecteur : produit reconnu), eea (CLC de l'AEE, GRID_CODE "
       "1-44), oso (Theia OSO, 23 classes), ocsge (OCS GE, couverture × usage), ocs2d (OCS2D "
       "Hauts-de-France) ou un fichier CSV code,code_clc ; recodée en codes CLC et espass_geo "
       "(tables factors/crosswalk_*.csv).",
       default="clc", flag="--nomenclature", commands=("stocks", "flows"),
       bilan=("landcover", "nomenclature")),
    _i("areas", "path", "Table de surfaces CSV (zone_id, code, area_ha ; ou large façon ALDO "
       "clc18).", flag="--areas", commands=("stocks",), bilan=("landcover", "areas")),
    _i("changes", "path", "Table de changements CSV (zone_id, from_code, to_code, area_ha ; ou "
       "ALDO clc18-change).", flag="--changes", commands=("flows",),
       bilan=("landcover", "changes"), scenario=("landcover", "changes"),
       aliases=(("data", "trend_changes"),)),
    _i("parcels", "path", "Parcelles RPG (GeoPackage/shapefile avec CODE_GROUP/CODE_CULTU).",
       flag="--parcels", commands=("stocks",), bilan=("landcover", "parcels"),
       scenario=("landcover", "parcels"), aliases=(("data", "parcels"),)),
    _i("forest_areas", "path", "Surfaces forestières (zone_id, composition, area_ha ; ou BD "
       "Forêt ALDO).", flag="--forest-areas", commands=("flows",),
       bilan=("landcover", "forest_areas")),
    _i("forest", "path", "Couche BD Forêt V2 (polygones, CODE_TFV) : la forêt de l'occupation "
       "du sol prend la composition de la BD Forêt (peupleraies, feuillus, conifères, mixtes) "
       "pour les stocks, et ses surfaces la croissance forestière des flux.", flag="--forest",
       commands=("stocks", "flows"), bilan=("landcover", "forest")),
    _i("hedges", "path", "Haies : couche linéaire (BD Haie ; longueur par zone calculée "
       "exactement) ou CSV (zone_id, length_km).", flag="--hedges",
       commands=("stocks",), bilan=("landcover", "hedges")),
    _i("inventory", "path", "Inventaire CSV (territoire × secteur × substance × année ; voir "
       "factors/README.md). Défaut : estimation de démonstration embarquée.",
       flag="--inventory", commands=("emissions",), bilan=("emissions", "inventory")),
    _i("point_sources", "path", "Grands émetteurs CSV (name, x, y, crs, substance, emission_t "
       "ou t_an, year, source ; sector facultatif, défaut industrie) placés dans leur commune à "
       "la place des sites fournis : l'estimation de démonstration est recalculée (refusé avec "
       "--inventory, qui place déjà ses émetteurs).", flag="--point-sources",
       commands=("emissions",), bilan=("emissions", "point_sources")),
    _i("population", "path", "Population CSV (zone_id, population, cog). Défaut : COG 2018 "
       "embarqué.", flag="--population", commands=("emissions",),
       bilan=("emissions", "population")),
    _i("land_flows", "path", "flows_zones.csv d'espass-geo flows : poste « utilisation des "
       "terres ».", flag="--land-flows", commands=("emissions",)),
    _i("footprint_adjustments", "path", "Ajustements locaux de l'empreinte (zone_id|*, post, "
       "factor, driver).", flag="--footprint-adjustments", commands=("emissions",),
       bilan=("emissions", "footprint_adjustments")),
    _i("consumption", "path", "Consommation d'espaces naturels, agricoles et forestiers du "
       "Cerema (CSV communal tel que publié : naf11art12…, en m²) : référence 2011-2020, budget "
       "2021-2030, consommation depuis 2021 et son coût carbone ; \"demo\" = estimation de "
       "démonstration tirée des changements CLC d'ALDO.", default="demo", flag="--consumption",
       commands=("zan",), bilan=("zan", "consumption"), scenario=("zan", "consumption")),
    _i("guarantee", "bool", "Garantie communale : budget 2021-2030 d'au moins 1 ha pour chaque "
       "commune couverte par un document d'urbanisme (loi du 20 juillet 2023).", default=False,
       flag="--guarantee", commands=("zan",), bilan=("zan", "guarantee"),
       scenario=("zan", "guarantee")),
    _i("territorialisation", "str", "Répartition de l'enveloppe 2021-2030 du territoire entre "
       "communes : consumption (comme la consommation 2011-2020), population, ou une table CSV "
       "zone_id,share.", default="consumption", flag="--territorialisation",
       commands=("zan",), bilan=("zan", "territorialisation")),
    _i("scenario", "path", "Fichier de scénarios TOML d'un bilan ; \"demo\" = Flandre-Dunkerque.",
       bilan=("scenario", "file")),
    _i("start_year", "int", "Année de départ d'un scénario (obligatoire dans un fichier de "
       "scénario).", scenario=("", "start_year")),
    _i("horizon", "int", "Horizon des trajectoires d'un scénario.", default=2050,
       scenario=("", "horizon")),
    _i("baseline_trend", "bool", "Le tendanciel prolonge le changement annuel observé (défaut : "
       "oui quand [landcover] before ou changes est donné).", scenario=("baseline", "trend")),
    _i("zpc", "str", "Zone pédoclimatique imposée à toutes les zones (ex. 2_1).", flag="--zpc",
       commands=("stocks", "flows", "emissions", "bilan", "zan"), bilan=("", "zpc"),
       scenario=("", "zpc"), cli_override={"bilan": {
           "help": "Zone pédoclimatique imposée à toutes les zones (ex. 2_1). Prévaut sur la "
                   "clé zpc du fichier."}}),
    _i("id_field", "str", "Champ de l'identifiant des zones dans un fichier de territoire "
       "(défaut : le premier présent de zone_id, INSEE_COM, code_insee, insee, CODE_INSEE, "
       "SIREN, siren_epci, code…).", flag="--id-field",
       commands=("stocks", "flows", "emissions", "bilan", "zan"), bilan=("", "id_field"),
       scenario=("", "id_field")),
    _i("name_field", "str", "Champ du nom des zones dans un fichier de territoire (défaut : le "
       "premier présent de NOM, NOM_COM, nom, name, libelle…).", flag="--name-field",
       commands=("stocks", "flows", "emissions", "bilan", "zan"), bilan=("", "name_field"),
       scenario=("", "name_field")),
    _i("boundaries", "path", "Limites communales (IGN Admin Express, couche COMMUNE : INSEE_COM, "
       "NOM) d'un territoire hors Nord et Pas-de-Calais : carte et ZPC pondérées par surface ; "
       "sans elles, résultats par tableaux seulement.", flag="--boundaries",
       commands=("stocks", "flows", "emissions", "zan"), bilan=("", "boundaries")),
    _i("region", "str", "Code de région INSEE (ex. 75) des zones d'un fichier hors des communes "
       "connues, avec --zpc (jamais de région par défaut).", flag="--region",
       commands=("stocks", "flows", "emissions", "zan"), bilan=("", "region")),
    _i("method", "choice", "Jeu de facteurs pour le sol ; aldo-commune : autre nom de aldo "
       "(ALDO par commune, références de sol par EPCI avec une table de surfaces par EPCI) ; "
       "aldo-epci : le calcul par EPCI d'ALDO sur ses tables (stocks et flows, territoire d'EPCI "
       "entiers).", default="aldo",
       flag="--method", commands=("stocks", "flows", "zan"), bilan=("", "method"),
       scenario=("", "method"), choices=("aldo", "ipcc", "aldo-epci", "aldo-commune")),
    _i("engine", "choice", "Croisement raster : hybrid (couverture exacte des pixels coupés par "
       "un bord, comptage des pixels intérieurs ; mêmes surfaces qu'exact à 1e-7 ha près, 2 à 4 "
       "fois plus rapide), exact (exactextract) ou center (centre de pixel).",
       default="hybrid", flag="--engine", commands=("stocks",),
       choices=("exact", "center", "hybrid")),
    _i("scheduler", "str", "Ordonnanceur Dask du calcul raster : threads (défaut, dans ce "
       "processus), processes, local:N (grappe locale de N processus) ou tcp://hôte:port "
       "(grappe Dask existante ; voir « Grands territoires » dans le README).",
       flag="--scheduler", commands=("stocks", "flows", "bilan"), bilan=("", "scheduler")),
    _i("gwp_n2o", "float", "PRG du N2O (273 = GIEC AR6, 265 = AR5).", default=DEFAULT_GWP_N2O,
       flag="--gwp-n2o", commands=("flows", "zan", "aldo"), bilan=("", "gwp_n2o"), scenario=("", "gwp_n2o"),
       range=(200.0, 400.0)),
    _i("wood_products", "choice", "Produits bois : approche récolte, consommation, ou aucun.",
       default="harvest", flag="--wood-products", commands=("flows",),
       choices=("harvest", "consumption", "none")),
    _i("out_dir", "path", "Dossier de sortie.", required=True, flag="--out",
       commands=("stocks", "flows", "scenario", "emissions", "bilan", "demo", "zan", "aldo"),
       cli_override={"demo": {"required": False, "default": "maps/demo"}}),
    _i("overwrite", "bool", _OVERWRITE_HELP, default=False, flag="--overwrite",
       commands=("stocks", "flows", "scenario", "emissions", "bilan", "init", "demo", "zan",
                 "aldo"),
       cli_override={"init": {"help": "Remplacer le fichier s'il existe déjà."}}),
    _i("no_map", "bool", "Ne pas produire la carte HTML.", default=False, flag="--no-map",
       commands=("stocks", "flows", "scenario", "emissions", "zan")),
    _i("quiet", "bool", "Sans barre de progression ni résumé.", default=False, flag="--quiet",
       short="-q", commands=("bilan",)),
    _i("max_nodata_share", "float", "Part maximale d'une zone hors du raster ou sans donnée "
       "(au-delà : erreur ; au-delà de 1 % : avertissement).", default=0.5,
       flag="--max-nodata-share", commands=("stocks", "flows", "bilan"),
       bilan=("landcover", "max_nodata_share"), range=(0.0, 1.0), cli_override={
           "flows": {"help": "Part maximale d'une zone hors des rasters ou sans donnée à l'une "
                     "des deux dates (au-delà : erreur ; au-delà de 1 % : avertissement)."},
           "bilan": {"default": None, "help": "Part d'une zone hors du raster ou sans donnée "
                     "au-delà de laquelle le calcul s'arrête (défaut : celle du fichier, sinon "
                     "{default})."}}),
    _i("factors", "path", "Dossier de tables de facteurs CSV : une copie complète de factors/, "
       "ou seulement les tables à modifier (leurs lignes remplacent celles embarquées).",
       flag="--factors", commands=("stocks", "flows", "scenario", "emissions", "bilan", "zan"),
       bilan=("", "factors")),
)

BY_NAME: dict[str, Input] = {i.name: i for i in SPEC}
#: the default of each input (the one definition; ``None`` when there is none)
DEFAULTS: dict[str, Any] = {i.name: i.default for i in SPEC}


def toml_keys(file: str, section: str, *, aliases: bool = True) -> set[str]:
    """The keys of one section (``""`` = top level) of ``bilan.toml`` (``file="bilan"``) or of
    a scenario file (``file="scenario"``), old names included when ``aliases``."""
    keys = set()
    for i in SPEC:
        where = getattr(i, file)
        if where and where[0] == section:
            keys.add(where[1])
        if file == "scenario" and aliases:
            keys |= {k for s, k in i.aliases if s == section}
    return keys


def toml_input(file: str, section: str, key: str) -> Input | None:
    """The input read from ``[section] key`` of a file (its current name or an alias)."""
    for i in SPEC:
        if getattr(i, file) == (section, key) or (file == "scenario"
                                                  and (section, key) in i.aliases):
            return i
    return None


def in_range(name: str, value) -> bool:
    lo, hi = BY_NAME[name].range
    return lo <= value <= hi


def range_text(name: str) -> str:
    """« entre 200 et 400 »: the range of an input as the loaders' messages write it."""
    lo, hi = BY_NAME[name].range
    return f"entre {lo:g} et {hi:g}"


def for_command(command: str) -> list[Input]:
    return [i for i in SPEC if command in i.commands]


def _path_type():
    """``click.Path``, except that a GDAL virtual path (``/vsis3/…``, ``/vsicurl/https://…``,
    ``/vsizip//abs/a.zip/x.tif``) is kept as text: ``pathlib`` would merge its double slashes."""
    import click

    class PathOrGdal(click.Path):
        def convert(self, value, param, ctx):
            if isinstance(value, str) and value.startswith("/vsi"):
                return value
            return super().convert(value, param, ctx)

    return PathOrGdal(path_type=Path)


def _click_option(i: Input, command: str):
    import click

    kw: dict[str, Any] = {"help": i.help, "default": i.default, "required": i.required}
    kw.update(i.cli_override.get(command, {}))
    # {default} in a help text: the spec's default, written the French way (0,5)
    kw["help"] = kw["help"].format(default=_fmt(i.default).replace(".", ","))
    decls = [i.flag] + ([i.short] if i.short else [])
    if i.name != i.flag.lstrip("-").replace("-", "_"):
        decls.append(i.name)
    if i.type == "bool":
        kw.pop("default")
        kw["is_flag"] = True
    elif i.type == "path":
        kw["type"] = _path_type()
    elif i.type == "choice":
        kw["type"] = click.Choice(list(i.choices))
    elif i.type == "years":
        kw.update(nargs=2, type=int)
    elif i.type == "series":
        kw.update(multiple=True, type=str, metavar="ANNÉE=FICHIER")
        kw.pop("default", None)
    elif i.type == "float":
        kw["type"] = click.FloatRange(*i.range) if i.range else float
    elif i.type == "int":
        kw["type"] = int
    if kw.get("default") is not None:
        kw["show_default"] = True
    else:
        kw.pop("default", None)
    if not kw["required"]:
        kw.pop("required")
    return click.option(*decls, **kw)


def options(command: str):
    """Decorator applying the click option of every input of ``command`` (in spec order)."""
    entries = for_command(command)

    def apply(f):
        for i in reversed(entries):
            f = _click_option(i, command)(f)
        return f

    return apply


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _toml_cell(where: tuple[str, str] | None) -> str:
    if where is None:
        return ""
    section, key = where
    return f"`[{section}] {key}`" if section else f"`{key}`"


def options_markdown() -> str:
    """The README table of the options: one row per input, generated from :data:`SPEC`."""
    rows = ["| Nom (API) | Option | Commandes | bilan.toml | Fichier de scénario | Défaut | "
            "Valeurs | Description |",
            "|---|---|---|---|---|---|---|---|"]
    for i in SPEC:
        flag = f"`{i.flag}`" if i.flag else ""
        scen = _toml_cell(i.scenario)
        if i.aliases:
            scen += " (ancien : " + ", ".join(_toml_cell(a) for a in i.aliases) + ")"
        values = (" \\| ".join(i.choices) if i.choices
                  else f"{i.range[0]:g}–{i.range[1]:g}" if i.range else "")
        default = f"`{_fmt(i.default)}`" if i.default is not None else (
            "obligatoire" if i.required else "")
        desc = i.help.format(default=_fmt(i.default)).replace("|", "\\|")
        if i.note:
            desc += f" ({i.note})"
        rows.append(f"| `{i.name}` | {flag} | {', '.join(i.commands)} | {_toml_cell(i.bilan)} | "
                    f"{scen.strip()} | {default} | {values} | {desc} |")
    return "\n".join(rows) + "\n"
