"""Resolve a territory (file, INSEE codes, EPCI SIREN) into zones in Lambert-93.

A territory is a GeoDataFrame of zones with the columns ``zone_id`` (str), ``zone_name``,
``zpc`` (ALDO pedoclimatic zone), ``departement``, ``region_code``, ``epci`` and a
geometry in EPSG:2154. Communes come from the embedded IGN Admin Express COG 2018 layer.
"""

from __future__ import annotations

import difflib
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import data
from .constants import COG_GEOMETRY_VINTAGE, LAMBERT93, SMALL_TERRITORY_COMMUNES
from .errors import (
    EmptyTerritoryError,
    FactorError,
    InputFileError,
    InvalidGeometryWarning,
    MissingCRSError,
    OverlappingZonesWarning,
    SmallTerritoryWarning,
    TerritoryNotFoundError,
)
from .fmt import fmt_area_ha

log = logging.getLogger(__name__)

ZONE_COLUMNS = ["zone_id", "zone_name", "zpc", "departement", "region_code", "epci", "geometry"]
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

    @property
    def area_ha(self) -> float:
        return float(self.zones.geometry.area.sum() * 1e-4)


def _close_matches(value: str, candidates, n: int = 3) -> str:
    found = difflib.get_close_matches(value, list(candidates), n=n, cutoff=0.6)
    return f" Close matches: {', '.join(found)}." if found else ""


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
            f"territory '{territory.label}' holds no zone; give at least one commune or polygon."
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
        f"EPCI SIREN '{siren}' not found in the embedded COG 2018 or 2026 tables (Nord, "
        f"Pas-de-Calais).{_close_matches(siren, names['siren'])} Use `espass-geo` with "
        "`--territory epci:SIREN` and a 9-digit SIREN, or give a boundary file for territories "
        "outside Nord/Pas-de-Calais."
    )


def _resolve_insee(codes: list[str], cog: int = 2018) -> list[str]:
    known = set(data.communes_2018()["insee"])
    out: list[str] = []
    for code in codes:
        if not _INSEE_RE.match(code):
            raise TerritoryNotFoundError(
                f"'{code}' is not an INSEE commune code (5 characters, e.g. '59183'); INSEE codes "
                "are strings, keep the leading zero."
            )
        if code in known and cog == 2018:
            out.append(code)
            continue
        mapped = _codes_2026_to_2018(code)
        if mapped:
            out.extend(mapped)
            continue
        raise TerritoryNotFoundError(
            f"INSEE code '{code}' not found among the communes (COG {cog}) of Nord and "
            f"Pas-de-Calais embedded in espass_geo.{_close_matches(code, known)} Check the code, "
            "or give a boundary file (--territory path/to/zones.gpkg)."
        )
    return out


def _majority_attrs(zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area-weighted majority ZPC, département, region and EPCI of each user polygon."""
    com = data.commune_geometries()[["code", "geometry"]]
    inter = gpd.overlay(
        zones[["zone_id", "geometry"]], com, how="intersection", keep_geom_type=True
    )
    cols = ["zpc", "departement", "region_code", "epci"]
    if inter.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="zone_id"))
    inter["w"] = inter.geometry.area
    c18 = data.communes_2018().set_index("insee")
    zpc = data.factor_table("aldo_commune_zpc").set_index("insee")["zpc"]
    inter["zpc"] = inter["code"].map(zpc)
    inter["departement"] = inter["code"].map(c18["departement"])
    inter["region_code"] = inter["code"].map(c18["region"])
    inter["epci"] = inter["code"].map(c18["epci"])
    out = {}
    for col in cols:
        w = inter.groupby(["zone_id", col])["w"].sum().reset_index()
        out[col] = w.sort_values("w").groupby("zone_id").tail(1).set_index("zone_id")[col]
    return pd.DataFrame(out)


def repair_geometries(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Repair invalid geometries with ``make_valid`` and warn (in French)."""
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = gdf.loc[invalid, "geometry"].make_valid()
        msg = (
            f"{int(invalid.sum())} géométrie(s) invalide(s) réparée(s) dans « {source} » "
            "(shapely make_valid)."
        )
        warnings.warn(msg, InvalidGeometryWarning, stacklevel=3)
    return gdf


def read_vector(path: str | Path, what: str = "territory") -> gpd.GeoDataFrame:
    """Read a vector file and return it in Lambert-93 (refuse files without CRS)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{what} file '{path}' not found; check the path.")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        raise InputFileError(
            f"{what} file '{path}' cannot be read as a vector layer ({exc}); give a GeoPackage, "
            "GeoJSON or shapefile."
        ) from exc
    if gdf.crs is None:
        raise MissingCRSError(
            f"{what} file '{path}' has no CRS; set it (e.g. `gdf.set_crs(2154)` or "
            "`ogr2ogr -a_srs EPSG:2154`) and try again."
        )
    if gdf.crs.to_epsg() != 2154:
        log.info("reprojecting %s from %s to EPSG:2154", path, gdf.crs)
        gdf = gdf.to_crs(LAMBERT93)
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]
    return repair_geometries(gdf, str(path))


def overlap_area_ha(gdf: gpd.GeoDataFrame) -> float:
    """Total area (ha) where polygons of ``gdf`` overlap each other (counted once per pair)."""
    if len(gdf) < 2:
        return 0.0
    geoms = gdf.geometry.values
    left, right = gdf.sindex.query(geoms, predicate="intersects")
    mask = left < right
    if not mask.any():
        return 0.0
    import shapely

    inter = shapely.intersection(geoms[left[mask]], geoms[right[mask]])
    return float(shapely.area(inter).sum() * 1e-4)


def overlap_notice(gdf: gpd.GeoDataFrame, what: str, consequence: str, *,
                   stacklevel: int = 3) -> str | None:
    """French note on overlapping polygons of ``gdf``; warns when the overlap is significant.

    Overlaps above 0.5 ha and 0.1 % of the layer's area are warned about
    (:class:`OverlappingZonesWarning`); slivers (digitising noise) are only noted.
    """
    overlap = overlap_area_ha(gdf)
    if overlap <= 0.01:
        return None
    msg = f"{what} se chevauchent sur {fmt_area_ha(overlap)} : {consequence}."
    if overlap > max(0.5, 1e-3 * float(gdf.geometry.area.sum()) * 1e-4):
        warnings.warn(msg, OverlappingZonesWarning, stacklevel=stacklevel)
    return msg


def _polygon_zones(path: str | Path, id_field: str | None, name_field: str | None) -> Territory:
    gdf = read_vector(path)
    if gdf.empty:
        raise EmptyTerritoryError(
            f"territory file '{path}' holds no polygon; give a layer with at least one polygon."
        )
    gdf = gdf[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])]
    if gdf.empty:
        raise EmptyTerritoryError(
            f"territory file '{path}' holds no polygon geometry; give polygons, not points or lines."
        )
    lower = {c.lower(): c for c in gdf.columns}
    if id_field is None:
        id_field = next((lower[c] for c in ("zone_id", "code", "insee", "code_insee", "siren", "id")
                         if c in lower), None)
    elif id_field not in gdf.columns:
        raise InputFileError(
            f"field '{id_field}' not in territory file '{path}'; available: {list(gdf.columns)}."
        )
    if name_field is None:
        name_field = next((lower[c] for c in ("zone_name", "nom", "name", "libelle") if c in lower),
                          None)
    ids = gdf[id_field].astype(str) if id_field else pd.Series(
        [f"zone_{i + 1}" for i in range(len(gdf))], index=gdf.index)
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].unique()[:5].tolist()
        raise InputFileError(
            f"territory file '{path}': zone ids in field '{id_field}' are not unique ({dup}); "
            "give a unique id field with --id-field."
        )
    zones = gpd.GeoDataFrame(
        {"zone_id": ids.values,
         "zone_name": (gdf[name_field].astype(str) if name_field else ids).values},
        geometry=gdf.geometry.values, crs=LAMBERT93)
    zones = zones[zones.geometry.area > 0].reset_index(drop=True)
    territory = Territory(zones=zones, label=Path(path).stem, kind="polygons", cog_vintage=None)
    _check_size(territory)
    msg = overlap_notice(zones, f"Les zones de « {path} »", "ces surfaces sont comptées dans "
                         "chaque zone", stacklevel=4)
    if msg:
        territory.notes.append(msg)
    return territory


def resolve_territory(
    spec: str | Path,
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
        A vector file path (GeoPackage, GeoJSON, shapefile; any CRS), comma-separated INSEE
        codes (``"59183,59350"``; COG 2018, or ``"cog2026:59006,59350"`` for COG 2026 codes),
        ``"epci:SIREN[,SIREN…]"`` (COG 2018 or 2026 SIREN) or ``"dep:59,62"`` (whole
        départements).
    zpc
        Override of the ALDO pedoclimatic zone for every zone (e.g. ``"2_1"``).
    cog
        Vintage of the INSEE codes given (2018, the default, or 2026). Zones are always the
        2018 communes (the geometry and ALDO vintage): a 2026 code of a commune that absorbed
        others expands to all of its 2018 communes. EPCI SIREN of either vintage are accepted.
    """
    if text_prefix := re.match(r"^\s*cog(\d{4}):", str(spec)):
        cog = int(text_prefix.group(1))  # "cog2026:59006,59350": INSEE codes of COG 2026
        spec = str(spec)[text_prefix.end():]
    if cog not in (2018, 2026):
        raise TerritoryNotFoundError(f"COG vintage {cog} not embedded; use 2018 or 2026.")
    text = str(spec).strip()
    if not text:
        raise EmptyTerritoryError(
            "empty territory specification; give a file, INSEE codes, epci:SIREN or dep:59."
        )
    if text.lower().startswith("dep:"):
        deps = [d.strip().zfill(2) for d in text[4:].split(",") if d.strip()]
        com = data.communes_2018()
        unknown = sorted(set(deps) - set(com["departement"]))
        if unknown or not deps:
            raise TerritoryNotFoundError(
                f"département(s) {unknown or text} not embedded; espass_geo ships Nord (59) and "
                "Pas-de-Calais (62): write dep:59,62 or give a boundary file."
            )
        codes = com.loc[com["departement"].isin(deps), "insee"].tolist()
        territory = _commune_zones(codes, "Départements " + ", ".join(deps))
    elif text.lower().startswith("epci:"):
        sirens = [s.strip() for s in text[5:].split(",") if s.strip()]
        if not sirens:
            raise EmptyTerritoryError(f"'{text}' names no EPCI; write epci:245900428.")
        codes, names = [], []
        for siren in sirens:
            if not _SIREN_RE.match(siren):
                raise TerritoryNotFoundError(
                    f"'{siren}' is not a SIREN (9 digits, e.g. 245900428); SIREN are strings."
                )
            members, name = communes_of_epci(siren)
            codes += members
            names.append(name)
        territory = _commune_zones(codes, " + ".join(names))
    elif Path(text).suffix.lower() in {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml",
                                       ".kml", ".sqlite"} or Path(text).exists():
        territory = _polygon_zones(text, id_field, name_field)
        attrs = _majority_attrs(territory.zones)
        z = territory.zones
        for col in ("zpc", "departement", "region_code", "epci"):
            z[col] = z["zone_id"].map(attrs[col]) if col in attrs else np.nan
    else:
        codes = _resolve_insee([c.strip() for c in text.split(",") if c.strip()], cog)
        territory = _commune_zones(codes, text if len(codes) <= 3 else f"{len(codes)} communes")
    z = territory.zones
    if zpc is not None:
        known = set(data.factor_table("aldo_soil_stock_ref")["zpc"])
        if zpc not in known:
            raise FactorError(
                f"pedoclimatic zone --zpc '{zpc}' unknown; expected one of {sorted(known)}."
            )
        z["zpc"] = zpc
        territory.notes.append(f"Zone pédoclimatique imposée par l'utilisateur : {zpc}.")
    missing = z.loc[z["zpc"].isna(), "zone_id"].tolist()
    if missing:
        raise FactorError(
            f"no pedoclimatic zone (ZPC) for zone(s) {missing[:5]} of '{text}': they lie outside "
            "the embedded communes of Nord/Pas-de-Calais. Give one with --zpc (e.g. --zpc 2_1)."
        )
    z["region_code"] = z["region_code"].astype(object).where(z["region_code"].notna(), "32")
    return territory


def zpc_mix(groups: dict[str, list[str]]) -> pd.DataFrame:
    """Area-weighted ZPC shares of groups of communes (e.g. EPCI -> member INSEE codes).

    Returns ``zone_id, zpc, zpc_weight, region_code, departement`` with weights (commune
    polygon areas) summing to 1 per zone: ALDO weights its per-EPCI reference stocks the same
    way over the communes' pedoclimatic zones.
    """
    geoms = data.commune_geometries().set_index("code")
    zpc = data.factor_table("aldo_commune_zpc").set_index("insee")["zpc"]
    c18 = data.communes_2018().set_index("insee")
    rows = []
    for zone_id, codes in groups.items():
        codes = [c for c in codes if c in geoms.index]
        if not codes:
            continue
        area = geoms.loc[codes].geometry.area
        df = pd.DataFrame({"zpc": zpc.reindex(codes).to_numpy(), "w": area.to_numpy(),
                           "dep": c18["departement"].reindex(codes).to_numpy(),
                           "reg": c18["region"].reindex(codes).to_numpy()})
        dep = df.groupby("dep")["w"].sum().idxmax()
        reg = df.groupby("reg")["w"].sum().idxmax()
        w = df.groupby("zpc")["w"].sum()
        for z, v in (w / w.sum()).items():
            rows.append((zone_id, z, float(v), reg, dep))
    return pd.DataFrame(rows, columns=["zone_id", "zpc", "zpc_weight", "region_code",
                                       "departement"])


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
    zones = gpd.GeoDataFrame(geo[ZONE_COLUMNS], geometry="geometry", crs=LAMBERT93)
    return Territory(zones=zones, label=f"EPCI de {communes.label}", kind="epci",
                     notes=list(communes.notes))
