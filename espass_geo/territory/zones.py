"""Zone attributes: the pedoclimatic zone (ZPC), département, region and EPCI of each zone.

The attributes of every commune of metropolitan France (2018 grid) come from the national tables:
``boundaries/communes_epci_2018_france.csv.gz`` (département, région, EPCI) and
``factors/aldo_commune_zpc.csv`` (ZPC); the inter-region and the forest location of a region from
``factors/region_interregion.csv`` and ``factors/aldo_forest_location_by_region.csv``.

:func:`zone_attributes` is the one pure function factors are looked up with (the user's ZPC
override applied last); :func:`commune_attributes` gives the attributes of INSEE codes;
:func:`majority_attrs` gives user polygons the area-weighted majority attributes of the communes
they cover (shipped Nord/Pas-de-Calais polygons, or a commune layer given by the user);
:func:`zpc_mix` the ZPC shares of groups of communes (EPCI); :func:`region_attributes` the
inter-region and forest locations of a region.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.errors import FactorError, TerritoryNotFoundError
from espass_geo.reference import data

#: columns of :func:`zone_attributes` (one row per zone × ZPC, weights summing to 1 per zone)
ZONE_ATTRIBUTE_COLUMNS = ["zone_id", "zone_name", "zpc", "zpc_weight", "departement",
                          "region_code", "inter_region", "epci"]
#: forest compositions with a location per region (factors/aldo_forest_location_by_region.csv)
FOREST_COMPOSITIONS = ("feuillus", "coniferes", "mixtes", "peupleraies")
#: longitude / latitude box (WGS84) of metropolitan France and Corsica, with a small margin
METROPOLITAN_BOX = (-5.6, 41.2, 10.0, 51.2)


def check_zpc(zpc: str) -> str:
    """``zpc`` if it is a pedoclimatic zone of the ALDO soil table, else a French FactorError."""
    known = sorted(set(data.factor_table("aldo_soil_stock_ref")["zpc"]))
    if zpc not in known:
        raise FactorError(
            f"zone pédoclimatique --zpc « {zpc} » inconnue ; zones possibles : "
            f"{', '.join(known)}."
        )
    return zpc


def check_region(region_code: str) -> str:
    """``region_code`` if it is a metropolitan region of factors/region_interregion.csv, else a
    French FactorError listing the 13 codes."""
    table = data.factor_table("region_interregion")
    known = table["region_code"].astype(str).tolist()
    if str(region_code) not in known:
        names = ", ".join(f"{c} {n}" for c, n in zip(known, table["region_name"], strict=True))
        raise FactorError(
            f"code de région --region « {region_code} » inconnu : ce n'est pas une région "
            f"métropolitaine de factors/region_interregion.csv ; codes possibles : {names}."
        )
    return str(region_code)


def region_attributes(region_code: str) -> dict[str, str]:
    """Inter-region and IGN forest location (per composition) of a metropolitan region.

    ``{"region_code", "region_name", "inter_region", "forest_feuillus", "forest_coniferes",
    "forest_mixtes", "forest_peupleraies"}``; a forest location reads ``"rad13 NAQ"``,
    ``"greco B"``, ``"bassin_populicole Nord"`` or ``"France France"``. An unknown region is a
    FactorError (no default region).
    """
    region_code = check_region(region_code)
    ir = data.factor_table("region_interregion").set_index("region_code")
    out = {"region_code": region_code, "region_name": str(ir.loc[region_code, "region_name"]),
           "inter_region": str(ir.loc[region_code, "inter_region"])}
    loc = data.factor_table("aldo_forest_location_by_region")
    for comp in FOREST_COMPOSITIONS:
        row = loc[(loc["region_code"] == region_code) & (loc["composition"] == comp)]
        if row.empty:
            raise FactorError(
                f"pas de localisation forestière pour la région {region_code} et la composition "
                f"{comp} dans factors/aldo_forest_location_by_region.csv : ajoutez la ligne.")
        r = row.iloc[0]
        out[f"forest_{comp}"] = f"{r['location_type']} {r['location_code']}"
    return out


def _inter_region_map() -> pd.Series:
    return data.factor_table("region_interregion").set_index("region_code")["inter_region"]


def zone_attributes(zones: pd.DataFrame, *, zpc_override: str | None = None) -> pd.DataFrame:
    """The attributes factors are looked up with: one row per zone × ZPC.

    ``zones`` has ``zone_id`` and any of ``zone_name``, ``zpc``, ``zpc_weight`` (a zone over
    several pedoclimatic zones has one row per ZPC, see :func:`zpc_mix`), ``departement``,
    ``region_code``, ``epci`` (a geometry column is dropped). Returns
    :data:`ZONE_ATTRIBUTE_COLUMNS`: missing names are the ids, missing weights 1, the
    ``inter_region`` that of the region (factors/region_interregion.csv). A zone without region
    or with a region outside metropolitan France is a FactorError: there is no default region.
    The user's ``zpc_override`` is applied last: every zone then has that single ZPC with
    weight 1 (its ZPC mix is replaced). Pure: ``zones`` is not modified.
    """
    a = pd.DataFrame(zones.drop(columns="geometry", errors="ignore")).copy()
    for col in ZONE_ATTRIBUTE_COLUMNS:
        if col not in a:
            a[col] = np.nan
    a["zone_name"] = a["zone_name"].astype(object).where(a["zone_name"].notna(), a["zone_id"])
    a["zpc_weight"] = a["zpc_weight"].astype(float).fillna(1.0)
    missing = a.loc[a["region_code"].isna(), "zone_id"].astype(str).unique().tolist()
    if missing:
        raise FactorError(
            f"pas de région pour la ou les zones {', '.join(missing[:5])}"
            f"{' …' if len(missing) > 5 else ''} : les facteurs (biomasse hors forêt, forêt) "
            "dépendent de la région ; donnez une colonne region_code (code INSEE de région, "
            "ex. 32) ou l'option --region. Aucune région n'est supposée par défaut.")
    a["region_code"] = a["region_code"].astype(str)
    ir = _inter_region_map()
    unknown = sorted(set(a["region_code"]) - set(ir.index))
    if unknown:
        check_region(unknown[0])
    a["inter_region"] = a["region_code"].map(ir)
    if zpc_override is not None:
        check_zpc(zpc_override)
        a = a.drop_duplicates("zone_id").copy()
        a["zpc"] = zpc_override
        a["zpc_weight"] = 1.0
    return a[ZONE_ATTRIBUTE_COLUMNS].reset_index(drop=True)


def commune_attributes(codes) -> pd.DataFrame:
    """Attributes of INSEE codes (COG 2018, metropolitan France) from the national tables.

    Returns ``insee, nom, zpc, departement, region_code, inter_region, epci`` in the order of
    ``codes``; a code absent from the national commune table is a TerritoryNotFoundError (a
    commune outside metropolitan France, or not a 2018 code), a commune without ZPC a
    FactorError: never a default.
    """
    codes = [str(c) for c in codes]
    com = data.communes_2018().set_index("insee")
    unknown = [c for c in codes if c not in com.index]
    if unknown:
        raise TerritoryNotFoundError(
            f"commune(s) {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''} absente(s) de "
            "la table nationale des communes (COG 2018, France métropolitaine et Corse, "
            "boundaries/communes_epci_2018_france.csv.gz) : outre-mer et codes postérieurs à "
            "2018 ne sont pas couverts ; donnez les codes INSEE 2018 (cog2026: pour ceux de 2026 "
            "dans le Nord et le Pas-de-Calais).")
    zpc = data.factor_table("aldo_commune_zpc").set_index("insee")["zpc"]
    sub = com.loc[codes]
    out = pd.DataFrame({
        "insee": codes, "nom": sub["nom"].to_numpy(), "zpc": zpc.reindex(codes).to_numpy(),
        "departement": sub["departement"].to_numpy(), "region_code": sub["region"].to_numpy(),
        "epci": sub["epci"].to_numpy()})
    out["inter_region"] = out["region_code"].map(_inter_region_map())
    no_zpc = out.loc[out["zpc"].isna(), "insee"].tolist()
    if no_zpc:
        raise FactorError(
            f"commune(s) {', '.join(no_zpc[:5])} sans zone pédoclimatique dans "
            "factors/aldo_commune_zpc.csv : ajoutez-la (table amendée) ou imposez --zpc.")
    return out[["insee", "nom", "zpc", "departement", "region_code", "inter_region", "epci"]]


def outside_metropolitan(zones: gpd.GeoDataFrame) -> list[str]:
    """Ids of the zones whose representative point lies outside metropolitan France and Corsica
    (:data:`METROPOLITAN_BOX`, longitude/latitude): Berlin, Martinique… Zones without geometry
    are not listed."""
    z = zones[zones.geometry.notna() & ~zones.geometry.is_empty]
    if z.empty:
        return []
    pts = z.geometry.representative_point().to_crs(4326)
    x0, y0, x1, y1 = METROPOLITAN_BOX
    out = ~((pts.x >= x0) & (pts.x <= x1) & (pts.y >= y0) & (pts.y <= y1))
    return z.loc[out.to_numpy(), "zone_id"].astype(str).tolist()


def majority_attrs(zones: gpd.GeoDataFrame, communes: gpd.GeoDataFrame | None = None
                   ) -> pd.DataFrame:
    """Area-weighted majority ZPC, département, region and EPCI of each user polygon.

    ``communes`` (``code``, geometry in Lambert-93, e.g. an IGN Admin Express commune layer read
    by :func:`espass_geo.territory.resolve.read_boundaries`) is overlaid; by default the shipped
    Nord/Pas-de-Calais polygons. Communes unknown to the national tables are ignored. Zones
    covering no known commune are absent from the result.
    """
    com = (data.commune_geometries() if communes is None else communes)[["code", "geometry"]]
    known = set(data.communes_2018()["insee"])
    com = com[com["code"].isin(known)]
    cols = ["zpc", "departement", "region_code", "epci"]
    zones = zones[zones.geometry.notna() & ~zones.geometry.is_empty]
    if zones.empty or com.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="zone_id"))
    inter = gpd.overlay(
        zones[["zone_id", "geometry"]], com, how="intersection", keep_geom_type=True
    )
    if inter.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="zone_id"))
    inter["w"] = inter.geometry.area
    attrs = commune_attributes(inter["code"].unique()).set_index("insee")
    for col in cols:
        inter[col] = inter["code"].map(attrs[col])
    out = {}
    for col in cols:
        w = inter.groupby(["zone_id", col])["w"].sum().reset_index()
        out[col] = w.sort_values("w").groupby("zone_id").tail(1).set_index("zone_id")[col]
    return pd.DataFrame(out)


def commune_areas(codes, geometries: gpd.GeoDataFrame | None = None) -> pd.Series:
    """Polygon areas (m²) of INSEE codes: from ``geometries`` (``code``/``zone_id`` + geometry in
    Lambert-93), else the shipped Nord/Pas-de-Calais polygons; NaN where none is known."""
    codes = [str(c) for c in codes]
    area = pd.Series(np.nan, index=pd.Index(codes, name="insee"), dtype=float)
    shipped = data.commune_geometries().set_index("code").geometry.area
    area = area.fillna(shipped.reindex(codes))
    if geometries is not None and len(geometries):
        key = "code" if "code" in geometries else "zone_id"
        g = geometries[geometries.geometry.notna()]
        given = pd.Series(g.geometry.area.to_numpy(), index=g[key].astype(str).to_numpy())
        given = given[~given.index.duplicated()]
        area = given.reindex(codes).where(lambda s: s > 0).fillna(area)
    return area


def zpc_mix(groups: dict[str, list[str]], areas: Mapping[str, float] | pd.Series | None = None
            ) -> pd.DataFrame:
    """Area-weighted ZPC shares of groups of communes (e.g. EPCI -> member INSEE codes).

    Returns ``zone_id, zpc, zpc_weight, region_code, departement`` with weights summing to 1
    per zone: ALDO weights its per-EPCI reference stocks the same way over the communes'
    pedoclimatic zones. The weights are the commune polygon areas (``areas``: INSEE code ->
    m², else :func:`commune_areas` of the shipped polygons); a group with a commune of unknown
    area (no polygon shipped outside Nord/Pas-de-Calais, none given) counts each commune once,
    and the result's ``attrs["count_weighted"]`` lists those groups. Every code must be a
    commune of the national table (else TerritoryNotFoundError).
    """
    rows = []
    counted = []
    for zone_id, codes in groups.items():
        codes = list(dict.fromkeys(str(c) for c in codes))
        if not codes:
            continue
        attrs = commune_attributes(codes)
        area = (pd.Series(areas, dtype=float).reindex(codes) if areas is not None
                else commune_areas(codes))
        if area.isna().any() or (area <= 0).any():
            area = pd.Series(1.0, index=codes)
            counted.append(zone_id)
        df = pd.DataFrame({"zpc": attrs["zpc"].to_numpy(), "w": area.to_numpy(),
                           "dep": attrs["departement"].to_numpy(),
                           "reg": attrs["region_code"].to_numpy()})
        dep = df.groupby("dep")["w"].sum().idxmax()
        reg = df.groupby("reg")["w"].sum().idxmax()
        w = df.groupby("zpc")["w"].sum()
        for z, v in (w / w.sum()).items():
            rows.append((zone_id, z, float(v), reg, dep))
    out = pd.DataFrame(rows, columns=["zone_id", "zpc", "zpc_weight", "region_code",
                                      "departement"])
    out.attrs["count_weighted"] = counted
    return out
