"""Resolve a territory (file, INSEE codes, EPCI SIREN) into zones in Lambert-93.

A territory is a GeoDataFrame of zones with the columns ``zone_id`` (str), ``zone_name``,
``zpc`` (ALDO pedoclimatic zone), ``departement``, ``region_code``, ``epci`` and a
geometry in EPSG:2154. Communes come from the embedded IGN Admin Express COG 2018 layer;
zone files are read by :mod:`espass_geo.io.vectors`, the attributes of user polygons come from
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
    DEFAULT_REGION_CODE,
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
from espass_geo.territory.zones import check_zpc, majority_attrs, zpc_mix

log = logging.getLogger(__name__)

ZONE_COLUMNS = ["zone_id", "zone_name", "zpc", "departement", "region_code", "epci", "geometry"]
#: zone id fields recognised in a territory layer, in this order (case-insensitive)
ID_FIELDS = ("zone_id", "INSEE_COM", "code_insee", "insee", "SIREN", "siren_epci", "code_siren",
             "code", "id")
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

    def __str__(self) -> str:
        return self.spec or self.label

    @property
    def area_ha(self) -> float:
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
    found = difflib.get_close_matches(value, unique, n=n, cutoff=0.6)
    return f" Codes proches : {', '.join(found)}." if found else ""


def _commune_zones(codes: list[str], label: str) -> Territory:
    com = data.communes_2018().set_index("insee")
    zpc = data.factor_table("aldo_commune_zpc").set_index("insee")["zpc"]
    geoms = data.commune_geometries().set_index("code")
    codes = list(dict.fromkeys(codes))  # dedupe, keep order
    zones = geoms.loc[codes].reset_index().rename(columns={"code": "zone_id", "nom": "zone_name"})
    zones["zpc"] = zones["zone_id"].map(zpc)
    zones["departement"] = zones["zone_id"].map(com["departement"])
    zones["region_code"] = zones["zone_id"].map(com["region"])
    zones["epci"] = zones["zone_id"].map(com["epci"])
    zones = gpd.GeoDataFrame(zones[ZONE_COLUMNS], geometry="geometry", crs=LAMBERT93)
    territory = Territory(zones=zones, label=label, kind="communes")
    _check_size(territory)
    return territory


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
    raise TerritoryNotFoundError(
        f"SIREN d'EPCI « {siren} » introuvable dans les tables COG 2018 et 2026 embarquées (Nord, "
        f"Pas-de-Calais).{_close_matches(siren, names['siren'])} Vérifiez le SIREN (9 chiffres, "
        "epci:SIREN) ou, hors Nord/Pas-de-Calais, donnez un fichier de zones."
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
        raise TerritoryNotFoundError(
            f"code INSEE « {code} » absent des communes (COG {cog}) du Nord et du Pas-de-Calais "
            f"embarquées dans espass_geo.{_close_matches(code, known)} Vérifiez le code, ou "
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
        deps = [d.zfill(2) for d in _split_codes(text[4:], "départements", "dep:59,62")]
        com = data.communes_2018()
        unknown = sorted(set(deps) - set(com["departement"]))
        if unknown or not deps:
            raise TerritoryNotFoundError(
                f"département(s) « {', '.join(unknown) or text} » non embarqué(s) : espass_geo "
                "contient le Nord (59) et le Pas-de-Calais (62) ; écrivez dep:59,62 ou donnez "
                "un fichier de zones."
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
) -> Territory:
    """Turn a territory specification into zones in Lambert-93.

    Parameters
    ----------
    spec
        A vector file path (GeoPackage, GeoJSON, shapefile, zipped shapefile; any CRS;
        ``zones.gpkg:layer`` selects a layer), comma-separated INSEE codes (``"59183,59350"``;
        COG 2018, or ``"cog2026:59006,59350"`` for COG 2026 codes), ``"epci:SIREN[,SIREN…]"``
        (COG 2018 or 2026 SIREN) or ``"dep:59,62"`` (whole départements).
        A ``GeoDataFrame`` of polygons (any CRS) is read like a file; a :class:`Territory`
        is returned as is (a copy with the ``zpc`` override if one is given).
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
    """
    if isinstance(spec, Territory):  # already resolved: never modified, the override applies
        return with_zpc(spec, zpc)
    if isinstance(spec, gpd.GeoDataFrame):
        territory = _polygon_zones(spec, id_field, name_field)
        return _finish(territory, zpc, "(GeoDataFrame)")
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
        territory = replace(_commune_zones(codes, label), spec=str(spec))
    return _finish(territory, zpc, text)


def _finish(territory: Territory, zpc: str | None, text: str) -> Territory:
    """Attributes of polygon zones (area-weighted majority over the communes), the user's ZPC,
    the check that every zone has one, and the default region."""
    z = territory.zones
    if territory.kind == "polygons":
        attrs = majority_attrs(z)
        for col in ("zpc", "departement", "region_code", "epci"):
            z[col] = z["zone_id"].map(attrs[col]) if col in attrs else np.nan
    territory = with_zpc(territory, zpc)
    z = territory.zones
    missing = z.loc[z["zpc"].isna(), "zone_id"].tolist()
    if missing:
        raise FactorError(
            f"pas de zone pédoclimatique (ZPC) pour la ou les zones "
            f"{', '.join(map(str, missing[:5]))}{' …' if len(missing) > 5 else ''} de « {text} » : "
            "elles sont hors des communes embarquées du Nord et du Pas-de-Calais. Donnez-en une "
            "avec --zpc (ex. --zpc 2_1 ; clé zpc dans un fichier de configuration)."
        )
    z["region_code"] = z["region_code"].astype(object).where(z["region_code"].notna(),
                                                             DEFAULT_REGION_CODE)
    return territory


def epci_territory(spec: str, *, zpc: str | None = None) -> Territory:
    """The EPCI (COG 2018) of a commune territory as zones: ``epci_territory("dep:59,62")``.

    Each EPCI zone is the union of its communes, with its area-weighted majority ZPC.
    """
    communes = resolve_territory(spec, zpc=zpc)
    z = communes.zones
    geo = z.dissolve(by="epci", as_index=False)[["epci", "geometry"]].rename(
        columns={"epci": "zone_id"})
    names = data.epci_2018().set_index("code")["nom"]
    geo["zone_name"] = geo["zone_id"].map(names).fillna(geo["zone_id"])
    mix = zpc_mix({e: z.loc[z["epci"] == e, "zone_id"].tolist() for e in geo["zone_id"]})
    major = mix.sort_values("zpc_weight").groupby("zone_id").tail(1).set_index("zone_id")
    geo["zpc"] = geo["zone_id"].map(major["zpc"])
    geo["departement"] = geo["zone_id"].map(major["departement"])
    geo["region_code"] = geo["zone_id"].map(major["region_code"])
    geo["epci"] = geo["zone_id"]
    if communes.zpc_override is not None:
        geo["zpc"] = communes.zpc_override
    zones = gpd.GeoDataFrame(geo[ZONE_COLUMNS], geometry="geometry", crs=LAMBERT93)
    return Territory(zones=zones, label=f"EPCI de {communes.label}", kind="epci",
                     notes=list(communes.notes), zpc_override=communes.zpc_override)
