"""Zone attributes: the pedoclimatic zone (ZPC), département, region and EPCI of each zone.

:func:`zone_attributes` is the one pure function factors are looked up with (the user's ZPC
override applied last); :func:`majority_attrs` gives user polygons the area-weighted majority
attributes of the embedded communes they cover; :func:`zpc_mix` the ZPC shares of groups of
communes (EPCI).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import DEFAULT_REGION_CODE
from espass_geo.errors import FactorError
from espass_geo.reference import data

#: columns of :func:`zone_attributes` (one row per zone × ZPC, weights summing to 1 per zone)
ZONE_ATTRIBUTE_COLUMNS = ["zone_id", "zone_name", "zpc", "zpc_weight", "departement",
                          "region_code", "epci"]


def check_zpc(zpc: str) -> str:
    """``zpc`` if it is a pedoclimatic zone of the ALDO soil table, else a French FactorError."""
    known = sorted(set(data.factor_table("aldo_soil_stock_ref")["zpc"]))
    if zpc not in known:
        raise FactorError(
            f"zone pédoclimatique --zpc « {zpc} » inconnue ; zones possibles : "
            f"{', '.join(known)}."
        )
    return zpc


def zone_attributes(zones: pd.DataFrame, *, zpc_override: str | None = None) -> pd.DataFrame:
    """The attributes factors are looked up with: one row per zone × ZPC.

    ``zones`` has ``zone_id`` and any of ``zone_name``, ``zpc``, ``zpc_weight`` (a zone over
    several pedoclimatic zones has one row per ZPC, see :func:`zpc_mix`), ``departement``,
    ``region_code``, ``epci`` (a geometry column is dropped). Returns
    :data:`ZONE_ATTRIBUTE_COLUMNS`: missing names are the ids, missing weights 1, a missing
    region the default one (:data:`DEFAULT_REGION_CODE`). The user's ``zpc_override`` is applied
    last: every zone then has that single ZPC with weight 1 (its ZPC mix is replaced). Pure:
    ``zones`` is not modified.
    """
    a = pd.DataFrame(zones.drop(columns="geometry", errors="ignore")).copy()
    for col in ZONE_ATTRIBUTE_COLUMNS:
        if col not in a:
            a[col] = np.nan
    a["zone_name"] = a["zone_name"].astype(object).where(a["zone_name"].notna(), a["zone_id"])
    a["zpc_weight"] = a["zpc_weight"].astype(float).fillna(1.0)
    a["region_code"] = a["region_code"].astype(object).where(a["region_code"].notna(),
                                                             DEFAULT_REGION_CODE)
    if zpc_override is not None:
        check_zpc(zpc_override)
        a = a.drop_duplicates("zone_id").copy()
        a["zpc"] = zpc_override
        a["zpc_weight"] = 1.0
    return a[ZONE_ATTRIBUTE_COLUMNS].reset_index(drop=True)


def majority_attrs(zones: gpd.GeoDataFrame) -> pd.DataFrame:
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
