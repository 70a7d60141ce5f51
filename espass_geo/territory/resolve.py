"""Resolve a territory (file, INSEE codes, EPCI SIREN) into zones in Lambert-93.

A territory is a GeoDataFrame of zones with the columns ``zone_id`` (str), ``zone_name``,
``zpc`` (ALDO pedoclimatic zone), ``departement``, ``region_code``, ``epci`` and a
geometry in EPSG:2154. Communes of all of metropolitan France (COG 2018) are known from the
national tables; their polygons are shipped for Nord and Pas-de-Calais only (IGN Admin Express
COG 2018). Elsewhere the polygons come from a commune layer given by the user (``boundaries=``,
e.g. IGN Admin Express ``COMMUNE``), else the zones have no geometry and the territory is
*tables-only* (``Territory.tables_only``: results from area tables, no map).
Zone files are read by :mod:`espass_geo.io.vectors`, the attributes of user polygons come from
:mod:`espass_geo.territory.zones`.
"""

from __future__ import annotations

import difflib
import logging
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import (
    COG_GEOMETRY_VINTAGE,
    LAMBERT93,
    SMALL_TERRITORY_COMMUNES,
)
from espass_geo.errors import (
    EmptyTerritoryError,
    FactorError,
    InputFileError,
    InvalidGeometryWarning,
    MissingCRSError,
    SmallTerritoryWarning,
    TerritoryNotFoundError,
    ZoneIdWarning,
)
from espass_geo.io.vectors import (
    VECTOR_SUFFIXES,
    exists,
    overlap_notice,
    polygonal_part,
    read_vector,
    repair_geometries,
    split_layer,
)
from espass_geo.reference import data
from espass_geo.territory.zones import (
    check_region,
    check_zpc,
    commune_areas,
    commune_attributes,
    majority_attrs,
    outside_metropolitan,
    zpc_mix,
)

log = logging.getLogger(__name__)

ZONE_COLUMNS = ["zone_id", "zone_name", "zpc", "departement", "region_code", "epci", "geometry"]
#: zone id fields recognised in a territory layer, in this order (case-insensitive)
ID_FIELDS = ("zone_id", "INSEE_COM", "code_insee", "insee", "SIREN", "siren_epci", "code_siren",
             "CODE_EPCI", "code", "id")
#: id fields whose values are INSEE commune codes (IGN Admin Express ``COMMUNE``, case-insensitive)
COMMUNE_CODE_FIELDS = ("INSEE_COM", "code_insee", "insee")
#: id fields whose values are EPCI SIREN (IGN Admin Express ``EPCI``: ``CODE_SIREN`` since 2019,
#: ``CODE_EPCI`` in 2018)
EPCI_CODE_FIELDS = ("SIREN", "siren_epci", "code_siren", "CODE_EPCI")
#: id fields of IGN Admin Express layers: zones of a territory file identified by them get the
#: attributes of their code from the national tables (other polygons: the communes they cover)
ADMIN_EXPRESS_COMMUNE_IDS = ("INSEE_COM",)
ADMIN_EXPRESS_EPCI_IDS = ("CODE_SIREN", "CODE_EPCI")
#: Transitional: the region given to zones that have a user ZPC (``zpc=``, ``--zpc``) but no known
#: region (polygons outside every known commune polygon) when ``region=`` is not given, with a
#: French note (:data:`ZPC_ALONE_REGION_NOTE`). ``None`` (the package's setting since --region
#: exists) makes it an error naming ``--region``: no region is ever assumed (issue #13, item 3).
#: The test suite sets it for its synthetic polygons (tests/conftest.py).
ZPC_ALONE_DEFAULT_REGION: str | None = None
ZPC_ALONE_REGION_NOTE = (
    "Région inconnue pour les zones {zones} (hors des communes dont les limites sont "
    "connues) : facteurs de la région {region} ({name}) appliqués à défaut avec la zone "
    "pédoclimatique imposée (--zpc). Donnez --region (code INSEE de région, ex. --region 75) ou "
    "le fichier des communes (--boundaries) pour les facteurs de votre région.")
#: French note of a territory whose zones have no polygon
TABLES_ONLY_NOTE = (
    "Résultats par tableaux seulement : pas de limites communales embarquées hors Nord et "
    "Pas-de-Calais ; donnez un fichier de communes (IGN Admin Express, couche COMMUNE) pour la "
    "carte. Sans limites, les parts de zones pédoclimatiques d'un EPCI sont pondérées par le "
    "nombre de communes (et non par leur surface).")
#: zone name fields recognised in a territory layer, in this order (case-insensitive)
NAME_FIELDS = ("zone_name", "NOM", "NOM_COM", "name", "libelle", "nom_epci", "label")
_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_SIREN_RE = re.compile(r"^\d{9}$")


@dataclass
class Territory:
    """Zones of a territory plus how they were selected."""

    zones: gpd.GeoDataFrame
    label: str
    kind: str  # "communes" or "polygons"
    cog_vintage: int | None = COG_GEOMETRY_VINTAGE
    notes: list[str] = field(default_factory=list)
    #: ZPC imposed by the user (``--zpc``), applied last wherever factors are looked up
    zpc_override: str | None = None
    #: the specification it was resolved from (file path, codes), shown in parameters
    spec: str | None = None
    #: True when some zones have no polygon (communes outside Nord/Pas-de-Calais without a
    #: boundary file): results come from area tables only, without map (note in ``notes``)
    tables_only: bool = False

    def __str__(self) -> str:
        return self.spec or self.label

    @property
    def area_ha(self) -> float:
        """Polygon area of the zones (ha); NaN for a tables-only territory."""
        if self.tables_only:
            return float("nan")
        return float(self.zones.geometry.area.sum() * 1e-4)


def with_zpc(territory: Territory, zpc: str | None) -> Territory:
    """A copy of ``territory`` whose zones all have the user's ZPC (``None``: unchanged).

    The territory given is not modified; the override is kept (``zpc_override``) so that zones
    rebuilt later (EPCI of an area table) get it too.
    """
    if zpc is None or zpc == territory.zpc_override:
        return territory
    check_zpc(zpc)
    zones = territory.zones.copy()
    zones["zpc"] = zpc
    note = f"Zone pédoclimatique imposée par l'utilisateur : {zpc}."
    notes = [n for n in territory.notes if not n.startswith("Zone pédoclimatique imposée")]
    return replace(territory, zones=zones, zpc_override=zpc, notes=[*notes, note])


def _close_matches(value: str, candidates, n: int = 3) -> str:
    unique = list(dict.fromkeys(candidates))  # a code listed in both COG tables once
    found = difflib.get_close_matches(value, unique, n=max(n, 10), cutoff=0.6)

    def differing(code: str) -> int:  # codes: fewest differing characters first
        return sum(a != b for a, b in zip(code, value, strict=True)) if len(code) == len(
            value) else len(value)

    found = sorted(found, key=differing)[:n]  # stable: difflib's order among ties
    return f" Codes proches : {', '.join(found)}." if found else ""


def _commune_zones(codes: list[str], label: str,
                   boundaries: gpd.GeoDataFrame | None = None) -> Territory:
    """Commune zones with attributes from the national tables; polygons from the shipped
    Nord/Pas-de-Calais layer, then from ``boundaries`` (see :func:`read_boundaries`); zones
    left without polygon make the territory tables-only."""
    codes = list(dict.fromkeys(codes))  # dedupe, keep order
    attrs = commune_attributes(codes)
    geoms = data.commune_geometries().set_index("code").geometry
    geometry = geoms.reindex(codes)
    if boundaries is not None:
        given = boundaries.drop_duplicates("code").set_index("code").geometry
        geometry = geometry.where(geometry.notna(), given.reindex(codes))
    zones = pd.DataFrame({
        "zone_id": codes, "zone_name": attrs["nom"].to_numpy(), "zpc": attrs["zpc"].to_numpy(),
        "departement": attrs["departement"].to_numpy(),
        "region_code": attrs["region_code"].to_numpy(), "epci": attrs["epci"].to_numpy()})
    zones = gpd.GeoDataFrame(zones, geometry=gpd.GeoSeries(geometry.to_numpy(), crs=LAMBERT93),
                             crs=LAMBERT93)[ZONE_COLUMNS]
    territory = Territory(zones=zones, label=label, kind="communes")
    no_geom = zones.geometry.isna()
    if no_geom.any():
        territory.tables_only = True
        outside = sorted(set(zones.loc[no_geom, "departement"]))
        note = TABLES_ONLY_NOTE
        if boundaries is not None:
            note = (f"Résultats par tableaux seulement pour {int(no_geom.sum())} commune(s) "
                    f"(départements {', '.join(outside)}) absente(s) du fichier de communes "
                    f"donné ({', '.join(zones.loc[no_geom, 'zone_id'].head(5))}"
                    f"{' …' if no_geom.sum() > 5 else ''}) : pas de carte pour elles ; donnez "
                    "une couche COMMUNE IGN Admin Express COG 2018 qui les contient.")
        territory.notes.append(note)
    _check_size(territory)
    return territory


def _field(fields: list[str], known: tuple[str, ...]) -> str | None:
    lower = {f.lower(): f for f in reversed(fields)}
    return next((lower[c.lower()] for c in known if c.lower() in lower), None)


def read_boundaries(boundaries: str | Path | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A commune boundary layer given by the user: ``code`` (INSEE, str), ``nom``, geometry in
    Lambert-93.

    IGN Admin Express ``COMMUNE`` layers are recognised by their fields (``INSEE_COM``, also
    ``code_insee``/``insee``; name ``NOM``/``NOM_COM``/``nom``); any CRS. An EPCI layer
    (``CODE_SIREN``/``CODE_EPCI`` without commune code) is refused with its remedy: give it as
    the territory itself (``--territory EPCI.shp``), whose zones then get the EPCI attributes.
    """
    source = "(GeoDataFrame)"
    if isinstance(boundaries, gpd.GeoDataFrame):
        gdf = _frame_in_lambert93(boundaries, "de limites (GeoDataFrame)")
    else:
        source = str(boundaries)
        gdf = read_vector(boundaries, "limites communales", polygons=True)
    fields = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    code = _field(fields, COMMUNE_CODE_FIELDS)
    if code is None:
        epci = _field(fields, EPCI_CODE_FIELDS)
        kind = (f"c'est une couche d'EPCI (champ {epci}) : donnez-la comme territoire "
                "(--territory) ou donnez la couche COMMUNE" if epci else
                f"aucun champ de code INSEE ({', '.join(COMMUNE_CODE_FIELDS)}) parmi "
                f"{', '.join(fields[:15]) or 'aucun'} : donnez la couche COMMUNE")
        raise InputFileError(f"fichier de limites communales « {source} » : {kind} d'IGN Admin "
                             "Express (champs INSEE_COM, NOM).")
    raw = gdf[code]
    if pd.api.types.is_float_dtype(raw) and raw.notna().all() and (raw % 1 == 0).all():
        raw = raw.astype("int64").astype(str).str.zfill(5)
    name = _field(fields, ("NOM", "NOM_COM", "nom", "name"))
    out = gpd.GeoDataFrame(
        {"code": raw.astype(str).str.strip().to_numpy(),
         "nom": (gdf[name] if name else raw).astype(str).to_numpy()},
        geometry=gdf.geometry.to_numpy(), crs=LAMBERT93)
    out = out[out.geometry.notna() & (out.geometry.area > 0)].reset_index(drop=True)
    known = set(data.communes_2018()["insee"])
    if not out["code"].isin(known).any():
        raise InputFileError(
            f"fichier de limites communales « {source} » : aucun des {len(out)} codes du champ "
            f"{code} ({', '.join(out['code'].head(3))}…) n'est une commune de France "
            "métropolitaine (COG 2018) : donnez la couche COMMUNE d'IGN Admin Express.")
    return out


def _check_size(territory: Territory) -> None:
    if len(territory.zones) == 0:
        raise EmptyTerritoryError(
            f"le territoire « {territory.label} » ne contient aucune zone : donnez au moins une "
            "commune ou un polygone de surface non nulle."
        )
    if territory.kind == "communes" and len(territory.zones) < SMALL_TERRITORY_COMMUNES:
        msg = (
            f"Territoire « {territory.label} » : {len(territory.zones)} commune(s) seulement. "
            f"ALDO prévient que ses résultats ne sont pas significatifs en dessous d'environ "
            f"{SMALL_TERRITORY_COMMUNES} communes ; interprétez-les avec prudence."
        )
        territory.notes.append(msg)
        warnings.warn(msg, SmallTerritoryWarning, stacklevel=3)


def _codes_2026_to_2018(code: str) -> list[str]:
    """A COG 2026 commune code -> the 2018 codes it covers (itself plus merged ones)."""
    c26 = data.communes_2026()
    row = c26[(c26["code"] == code) & (c26["type"] == "commune-actuelle")]
    if row.empty:
        return []
    codes = [code]
    olds = row.iloc[0].get("anciens_codes")
    if isinstance(olds, str) and olds.strip():
        codes += olds.split()
    known = set(data.communes_2018()["insee"])
    return [c for c in codes if c in known]


def communes_of_epci(siren: str) -> tuple[list[str], str]:
    """INSEE codes (COG 2018) of an EPCI given by its 2018 or 2026 SIREN, and its name."""
    com18 = data.communes_2018()
    members = com18.loc[com18["epci"] == siren, "insee"].tolist()
    if members:
        e18 = data.epci_2018().set_index("code")
        return members, str(e18.loc[siren, "nom"]) if siren in e18.index else siren
    e26 = data.epci_2026().set_index("siren")
    if siren in e26.index:
        c26 = data.communes_2026()
        codes26 = c26.loc[(c26["epci_siren"] == siren) & (c26["type"] == "commune-actuelle"), "code"]
        codes = [c for code in codes26 for c in _codes_2026_to_2018(code)]
        return codes, str(e26.loc[siren, "nom"])
    names = pd.concat([data.epci_2018()[["code", "nom"]].rename(columns={"code": "siren"}),
                       data.epci_2026()[["siren", "nom"]]])
    if siren in set(data.epci_2018()["code"]):  # in the 2018 list, no commune in the table
        raise TerritoryNotFoundError(
            f"EPCI « {siren} » de la liste 2018 sans aucune commune dans la table nationale des "
            "communes (ses communes y sont rattachées à un EPCI fusionné, voir "
            "boundaries/README.md) : donnez ses communes par leurs codes INSEE ou le SIREN de "
            "l'EPCI qui les contient.")
    raise TerritoryNotFoundError(
        f"SIREN d'EPCI « {siren} » introuvable dans les tables embarquées (EPCI 2018 de France "
        f"métropolitaine, EPCI 2026 du Nord et du Pas-de-Calais).{_close_matches(siren, names['siren'])} "
        "Vérifiez le SIREN (9 chiffres, epci:SIREN) ou donnez un fichier de zones."
    )


def _resolve_insee(codes: list[str], cog: int = 2018) -> list[str]:
    known = set(data.communes_2018()["insee"])
    out: list[str] = []
    for code in codes:
        if not _INSEE_RE.match(code):
            raise TerritoryNotFoundError(
                f"« {code} » n'est pas un code INSEE de commune (5 caractères, ex. 59183) ; "
                "gardez le zéro initial (01001, pas 1001) et séparez les codes par des virgules."
            )
        if code in known and cog == 2018:
            out.append(code)
            continue
        mapped = _codes_2026_to_2018(code)
        if mapped:
            out.extend(mapped)
            continue
        where = ("de France métropolitaine (COG 2018 : outre-mer non couvert)" if cog == 2018
                 else "COG 2026 du Nord et du Pas-de-Calais")
        raise TerritoryNotFoundError(
            f"code INSEE « {code} » absent des communes {where} embarquées dans espass_geo."
            f"{'' if code.startswith(('97', '98')) else _close_matches(code, known)} Vérifiez le "
            "code, ou "
            "donnez un fichier de zones (--territory chemin/zones.gpkg)."
        )
    return out


def _pick_field(fields: list[str], given: str | None, known: tuple[str, ...], path,
                option: str) -> str | None:
    """The field ``given`` by the user (checked), else the first recognised name, else None."""
    if given is not None:
        if given in fields:
            return given
        near = difflib.get_close_matches(given, fields, n=1, cutoff=0.6)
        match = next((f for f in fields if f.lower() == given.lower()), None) or \
            (near[0] if near else None)
        hint = f" ; vouliez-vous « {match} » ?" if match else ""
        raise InputFileError(
            f"champ « {given} » ({option}) absent du fichier de territoire « {path} » (champs : "
            f"{', '.join(fields) or 'aucun'}){hint} : choisissez l'un d'eux."
        )
    lower = {f.lower(): f for f in reversed(fields)}
    return next((lower[c.lower()] for c in known if c.lower() in lower), None)


def _frame_in_lambert93(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """A territory GeoDataFrame given by the API: CRS required, polygons, Lambert-93."""
    if gdf.crs is None:
        raise MissingCRSError(f"territoire {source} sans système de coordonnées : définissez-le "
                              "(gdf.set_crs(2154) si les coordonnées sont en Lambert-93).")
    poly = gdf.geometry.map(polygonal_part)
    if poly.isna().any():
        raise EmptyTerritoryError(
            f"territoire {source} : {int(poly.isna().sum())} entité(s) sur {len(gdf)} sans "
            "polygone ; une zone a une surface : donnez des polygones.")
    gdf = gdf.set_geometry(gpd.GeoSeries(poly.values, index=gdf.index, crs=gdf.crs))
    if gdf.crs.to_epsg() != 2154:
        gdf = gdf.to_crs(LAMBERT93)
    return repair_geometries(gdf, source)


def _polygon_zones(path, id_field: str | None, name_field: str | None) -> Territory:
    if isinstance(path, gpd.GeoDataFrame):
        gdf, path = _frame_in_lambert93(path, "(GeoDataFrame)"), "(GeoDataFrame)"
    else:
        gdf = read_vector(path, polygons=True)
    if gdf.empty:
        raise EmptyTerritoryError(
            f"fichier de territoire « {path} » sans aucun polygone : donnez une couche avec au "
            "moins un polygone."
        )
    fields = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    id_field = _pick_field(fields, id_field, ID_FIELDS, path, "--id-field, clé id_field")
    name_field = _pick_field(fields, name_field, NAME_FIELDS, path,
                             "--name-field, clé name_field")
    if id_field is None:
        shown = ", ".join(fields[:15]) if fields else "aucun"
        warnings.warn(
            f"Fichier de territoire « {path} » : aucun champ d'identifiant reconnu (champs : "
            f"{shown} ; reconnus : {', '.join(ID_FIELDS)}) : zones numérotées zone_1 à "
            f"zone_{len(gdf)}. Nommez le champ d'identifiant avec --id-field (clé id_field).",
            ZoneIdWarning, stacklevel=4)
    if id_field:
        raw_ids = gdf[id_field]
        if raw_ids.isna().any():
            rows = [int(i) + 1 for i in np.flatnonzero(raw_ids.isna().to_numpy())[:5]]
            raise InputFileError(
                f"fichier de territoire « {path} » : entité(s) n° {', '.join(map(str, rows))} "
                "sans identifiant dans "
                f"le champ « {id_field} » ; renseignez un identifiant unique pour chaque zone."
            )
        if pd.api.types.is_float_dtype(raw_ids) and (raw_ids % 1 == 0).all():
            raw_ids = raw_ids.astype("int64")  # 59183.0 -> "59183"
        ids = raw_ids.astype(str).str.strip()
    else:
        ids = pd.Series([f"zone_{i + 1}" for i in range(len(gdf))], index=gdf.index)
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].unique()[:5].tolist()
        raise InputFileError(
            f"fichier de territoire « {path} » : identifiants de zone en double dans le champ "
            f"« {id_field} » ({', '.join(dup)}) ; chaque zone doit avoir un identifiant unique : "
            "corrigez les doublons ou fusionnez les polygones d'une même zone."
        )
    names = gdf[name_field].astype(object).where(gdf[name_field].notna(), ids) if name_field \
        else ids
    zones = gpd.GeoDataFrame(
        {"zone_id": ids.values, "zone_name": names.astype(str).values},
        geometry=gdf.geometry.values, crs=LAMBERT93)
    flat = zones.geometry.area <= 0
    if flat.any() and not flat.all():
        warnings.warn(f"Zones sans surface ignorées dans « {path} » : "
                      f"{', '.join(zones.loc[flat, 'zone_id'].head(5))}.",
                      InvalidGeometryWarning, stacklevel=3)
    zones = zones[~flat].reset_index(drop=True)
    label = "zones" if path == "(GeoDataFrame)" else split_layer(path)[0].stem
    if id_field and id_field.lower() in {f.lower() for f in ADMIN_EXPRESS_COMMUNE_IDS}:
        zones.attrs["id_codes"] = "commune"  # ids are INSEE codes (Admin Express COMMUNE)
    elif id_field and id_field.lower() in {f.lower() for f in ADMIN_EXPRESS_EPCI_IDS}:
        zones.attrs["id_codes"] = "epci"  # ids are EPCI SIREN (Admin Express EPCI)
    territory = Territory(zones=zones, label=label, kind="polygons", cog_vintage=None,
                          spec=None if path == "(GeoDataFrame)" else str(path))
    _check_size(territory)
    msg = overlap_notice(zones, f"Les zones de « {path} »", "ces surfaces sont comptées dans "
                         "chaque zone", stacklevel=4)
    if msg:
        territory.notes.append(msg)
    return territory


def _is_file_spec(text: str) -> bool:
    p, _ = split_layer(text)
    return p.suffix.lower() in VECTOR_SUFFIXES or exists(Path(text))


def _split_codes(text: str, what: str, example: str) -> list[str]:
    """Comma-separated codes; semicolons and spaces between codes are refused with a hint."""
    if ";" in text or re.search(r"\w\s+\w", text):
        sep = "des points-virgules" if ";" in text else "des espaces"
        raise TerritoryNotFoundError(
            f"territoire « {text} » : {what} séparés par {sep} ; séparez-les par des virgules "
            f"(ex. {example})."
        )
    return [c.strip() for c in text.split(",") if c.strip()]


def _commune_codes(text: str, cog: int) -> tuple[list[str], str]:
    """INSEE codes (COG 2018) and label of a ``dep:``, ``epci:`` or INSEE-code specification."""
    if text.lower().startswith("dep:"):
        deps = [d.upper().zfill(2) for d in _split_codes(text[4:], "départements", "dep:59,62")]
        com = data.communes_2018()
        unknown = sorted(set(deps) - set(com["departement"]))
        if unknown or not deps:
            raise TerritoryNotFoundError(
                f"département(s) « {', '.join(unknown) or text} » non embarqué(s) : espass_geo "
                "contient les 96 départements de France métropolitaine (01 à 95, 2A, 2B ; "
                "outre-mer non couvert) ; écrivez par exemple dep:33, dep:2A ou dep:59,62, ou "
                "donnez un fichier de zones."
            )
        codes = com.loc[com["departement"].isin(deps), "insee"].tolist()
        return codes, "Départements " + ", ".join(deps)
    if text.lower().startswith("epci:"):
        sirens = _split_codes(text[5:], "SIREN", "epci:245900428,200040954")
        if not sirens:
            raise EmptyTerritoryError(f"« {text} » ne nomme aucun EPCI ; écrivez par exemple "
                                      "epci:245900428.")
        codes, names = [], []
        for siren in sirens:
            if not _SIREN_RE.match(siren):
                raise TerritoryNotFoundError(
                    f"« {siren} » n'est pas un SIREN d'EPCI (9 chiffres, ex. epci:245900428)."
                )
            members, name = communes_of_epci(siren)
            codes += members
            names.append(name)
        return codes, " + ".join(names)
    codes = _resolve_insee(_split_codes(text, "codes INSEE", "59183,59350"), cog)
    return codes, text if len(codes) <= 3 else f"{len(codes)} communes"


def _split_cog(spec: str) -> tuple[str, int | None]:
    if text_prefix := re.match(r"^\s*cog(\d+):", spec, re.IGNORECASE):
        return spec[text_prefix.end():], int(text_prefix.group(1))
    return spec, None


def territory_key(spec: str) -> tuple:
    """What a territory specification designates, to compare two of them without geometry:
    the set of COG 2018 communes for codes, the resolved file (and layer) for a file."""
    text, cog = _split_cog(str(spec))
    text = text.strip()
    if _is_file_spec(text):
        path, layer = split_layer(text)
        try:
            return ("file", str(path.resolve()), layer)
        except (OSError, ValueError):
            return ("file", str(path), layer)
    return ("communes", frozenset(_commune_codes(text, cog or 2018)[0]))


def check_territory_spec(spec: str) -> str | None:
    """French problem of a territory given by codes (``dep:``, ``epci:``, INSEE codes), or None.

    Only the embedded code tables are read (no geometry), so configuration loaders can report a
    wrong code with its line before any computation.
    """
    text, cog = _split_cog(str(spec))
    cog = cog or 2018
    try:
        if cog not in (2018, 2026):
            raise TerritoryNotFoundError(f"millésime COG {cog} non embarqué : écrivez cog2018: "
                                         "ou cog2026:")
        text = text.strip()
        if not text:
            raise EmptyTerritoryError("territoire vide : donnez un fichier de zones, des codes "
                                      "INSEE, epci:SIREN ou dep:59")
        if _is_file_spec(text):
            return None
        codes, _ = _commune_codes(text, cog)
        if not codes:
            raise EmptyTerritoryError(f"territoire « {text} » sans aucune commune")
    except (TerritoryNotFoundError, EmptyTerritoryError) as exc:
        return str(exc).rstrip(".")
    return None


def resolve_territory(
    spec: str | Path | gpd.GeoDataFrame | Territory,
    *,
    zpc: str | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    cog: int = 2018,
    boundaries: str | Path | gpd.GeoDataFrame | None = None,
    region: str | None = None,
) -> Territory:
    """Turn a territory specification into zones in Lambert-93.

    Parameters
    ----------
    spec
        A vector file path (GeoPackage, GeoJSON, shapefile, zipped shapefile; any CRS;
        ``zones.gpkg:layer`` selects a layer), comma-separated INSEE codes (``"59183,59350"``;
        COG 2018, or ``"cog2026:59006,59350"`` for COG 2026 codes), ``"epci:SIREN[,SIREN…]"``
        (COG 2018 SIREN of metropolitan France, or COG 2026 SIREN of Nord/Pas-de-Calais) or
        ``"dep:33,2A"`` (whole départements of metropolitan France).
        A ``GeoDataFrame`` of polygons (any CRS) is read like a file; a :class:`Territory`
        is returned as is (a copy with the ``zpc`` override if one is given).
        An IGN Admin Express ``COMMUNE`` layer (``INSEE_COM``) or ``EPCI`` layer
        (``CODE_SIREN``/``CODE_EPCI``) given as a file: its zones get the attributes of their
        code from the national tables.
    zpc
        Override of the ALDO pedoclimatic zone for every zone (e.g. ``"2_1"``), kept by the
        territory (``zpc_override``) and applied last wherever factors are looked up.
    id_field, name_field
        Fields of a zones file holding the zone ids and names; by default the first of
        :data:`ID_FIELDS` (``INSEE_COM``, ``insee``, ``code_insee``, ``SIREN``…) and of
        :data:`NAME_FIELDS` (``NOM``, ``nom``, ``name``, ``libelle``…) present.
    cog
        Vintage of the INSEE codes given (2018, the default, or 2026). Zones are always the
        2018 communes (the geometry and ALDO vintage): a 2026 code of a commune that absorbed
        others expands to all of its 2018 communes. EPCI SIREN of either vintage are accepted.
    boundaries
        A commune layer (IGN Admin Express ``COMMUNE``, any CRS; path or GeoDataFrame, read by
        :func:`read_boundaries`). Code territories take the polygons of their communes outside
        Nord/Pas-de-Calais from it (without it they are tables-only: ``tables_only=True`` and a
        French note); user polygons get the attributes of the communes of this layer they cover.
    region
        INSEE code of the region (e.g. ``"75"``) of polygon zones that cover no known commune,
        with ``zpc``: the explicit alternative to a commune layer. Never used for zones whose
        region is known.

    A polygon outside metropolitan France, or outside every known commune polygon without
    ``zpc`` and ``region``, is an error: no default ZPC or region is ever applied.
    """
    if region is not None:
        region = check_region(str(region).strip())
    if isinstance(spec, Territory):  # already resolved: never modified, the override applies
        return with_zpc(spec, zpc)
    layer = read_boundaries(boundaries) if boundaries is not None else None
    if isinstance(spec, gpd.GeoDataFrame):
        territory = _polygon_zones(spec, id_field, name_field)
        return _finish(territory, zpc, "(GeoDataFrame)", layer, region)
    text, prefix_cog = _split_cog(str(spec))
    cog = prefix_cog or cog  # "cog2026:59006,59350": INSEE codes of COG 2026
    if cog not in (2018, 2026):
        raise TerritoryNotFoundError(f"millésime COG {cog} non embarqué : utilisez 2018 ou 2026 "
                                     "(ex. cog2026:59006).")
    text = text.strip()
    if not text:
        raise EmptyTerritoryError(
            "territoire vide : donnez un fichier de zones, des codes INSEE (59183,59350), "
            "epci:SIREN ou dep:59."
        )
    if _is_file_spec(text):
        territory = _polygon_zones(text, id_field, name_field)
    else:
        codes, label = _commune_codes(text, cog)
        territory = replace(_commune_zones(codes, label, layer), spec=str(spec))
    return _finish(territory, zpc, text, layer, region)


def _code_attributes(z: gpd.GeoDataFrame) -> pd.DataFrame:
    """Attributes, from the national tables, of polygon zones whose ids are INSEE codes or
    EPCI SIREN (fields of an IGN Admin Express layer, see :data:`ADMIN_EXPRESS_COMMUNE_IDS`)."""
    cols = ["zpc", "departement", "region_code", "epci"]
    kind = z.attrs.get("id_codes")
    ids = z["zone_id"].astype(str)
    if kind == "commune":
        known = ids[ids.isin(set(data.communes_2018()["insee"]))].tolist()
        if known:
            return commune_attributes(known).set_index("insee")[cols]
    if kind == "epci":
        com = data.communes_2018()
        groups = {e: com.loc[com["epci"] == e, "insee"].tolist() for e in ids}
        groups = {e: m for e, m in groups.items() if m}
        if groups:
            mix = zpc_mix(groups, areas=commune_areas(
                [c for m in groups.values() for c in m]))
            major = mix.sort_values("zpc_weight").groupby("zone_id").tail(1).set_index("zone_id")
            major["epci"] = major.index
            return major[cols]
    return pd.DataFrame(columns=cols, index=pd.Index([], name="zone_id"))


def _finish(territory: Territory, zpc: str | None, text: str,
            layer: gpd.GeoDataFrame | None = None, region: str | None = None) -> Territory:
    """Attributes of polygon zones (their code in the national tables for an Admin Express
    layer, else the area-weighted majority over the communes they cover), the user's ZPC, and
    the check that every zone has a ZPC and a region: never a default."""
    z = territory.zones
    if territory.kind == "polygons":
        attrs = _code_attributes(z)
        rest = z[~z["zone_id"].isin(attrs.index)]
        if len(rest):
            attrs = pd.concat([attrs, majority_attrs(rest, layer)]) if len(attrs) else \
                majority_attrs(rest, layer)
        for col in ("zpc", "departement", "region_code", "epci"):
            z[col] = z["zone_id"].map(attrs[col]) if col in attrs else np.nan
        z.attrs.pop("id_codes", None)
        far = outside_metropolitan(z[z["region_code"].isna()])
        if far:
            raise TerritoryNotFoundError(
                f"zone(s) {', '.join(far[:5])}{' …' if len(far) > 5 else ''} de « {text} » hors "
                "de France métropolitaine : espass_geo ne couvre que la France métropolitaine "
                "et la Corse (facteurs ALDO) ; vérifiez le fichier (et son système de "
                "coordonnées) ou retirez ces zones.")
        if region is not None:
            z["region_code"] = z["region_code"].astype(object).where(z["region_code"].notna(),
                                                                     region)
    territory = with_zpc(territory, zpc)
    z = territory.zones
    where = ("elles ne recouvrent aucune commune du fichier de limites donné"
             if layer is not None else
             "elles sont hors des communes du Nord et du Pas-de-Calais, seules embarquées avec "
             "leurs limites")
    missing = z.loc[z["zpc"].isna(), "zone_id"].tolist()
    if missing:
        raise FactorError(
            f"pas de zone pédoclimatique (ZPC) pour la ou les zones "
            f"{', '.join(map(str, missing[:5]))}{' …' if len(missing) > 5 else ''} de « {text} » : "
            f"{where}. Donnez le fichier des communes (IGN Admin Express, couche COMMUNE : "
            "--boundaries) pour que chaque zone ait les facteurs des communes qu'elle recouvre, "
            "ou imposez --zpc (ex. --zpc 2_1) et --region (ex. --region 75)."
        )
    missing = z.loc[z["region_code"].isna(), "zone_id"].tolist()
    if missing and zpc is not None and ZPC_ALONE_DEFAULT_REGION is not None:
        fallback = check_region(ZPC_ALONE_DEFAULT_REGION)
        names = data.factor_table("region_interregion").set_index("region_code")["region_name"]
        z["region_code"] = z["region_code"].astype(object).where(z["region_code"].notna(),
                                                                 fallback)
        shown = f"{', '.join(map(str, missing[:5]))}{' …' if len(missing) > 5 else ''}"
        territory.notes.append(ZPC_ALONE_REGION_NOTE.format(
            zones=shown, region=fallback, name=names[fallback]))
        missing = []
    if missing:
        raise FactorError(
            f"pas de région pour la ou les zones {', '.join(map(str, missing[:5]))}"
            f"{' …' if len(missing) > 5 else ''} de « {text} » : {where}. --zpc ne fixe que la "
            "zone pédoclimatique ; les facteurs de biomasse et de forêt dépendent de la région : "
            "donnez --region (code INSEE, ex. --region 75 pour la Nouvelle-Aquitaine) ou le "
            "fichier des communes (--boundaries). Aucune région n'est supposée par défaut."
        )
    return territory


def epci_territory(spec: str, *, zpc: str | None = None,
                   boundaries: str | Path | gpd.GeoDataFrame | None = None) -> Territory:
    """The EPCI (COG 2018) of a commune territory as zones: ``epci_territory("dep:59,62")``.

    Each EPCI zone is the union of its communes, with its area-weighted majority ZPC (weighted
    by commune count where commune polygons are unknown: tables-only territory).
    """
    communes = resolve_territory(spec, zpc=zpc, boundaries=boundaries)
    z = communes.zones
    geo = z.dissolve(by="epci", as_index=False)[["epci", "geometry"]].rename(
        columns={"epci": "zone_id"})
    if communes.tables_only:
        geo.loc[geo.geometry.is_empty, "geometry"] = None
    names = data.epci_2018().set_index("code")["nom"]
    geo["zone_name"] = geo["zone_id"].map(names).fillna(geo["zone_id"])
    areas = commune_areas(z["zone_id"], z.rename(columns={"zone_id": "code"}))
    mix = zpc_mix({e: z.loc[z["epci"] == e, "zone_id"].tolist() for e in geo["zone_id"]},
                  areas=areas)
    major = mix.sort_values("zpc_weight").groupby("zone_id").tail(1).set_index("zone_id")
    geo["zpc"] = geo["zone_id"].map(major["zpc"])
    geo["departement"] = geo["zone_id"].map(major["departement"])
    geo["region_code"] = geo["zone_id"].map(major["region_code"])
    geo["epci"] = geo["zone_id"]
    if communes.zpc_override is not None:
        geo["zpc"] = communes.zpc_override
    zones = gpd.GeoDataFrame(geo[ZONE_COLUMNS], geometry="geometry", crs=LAMBERT93)
    return Territory(zones=zones, label=f"EPCI de {communes.label}", kind="epci",
                     notes=list(communes.notes), zpc_override=communes.zpc_override,
                     tables_only=communes.tables_only)
