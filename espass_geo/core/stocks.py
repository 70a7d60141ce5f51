"""Carbon stocks per zone × land use × pool (ALDO method by default, IPCC Tier 1 for soil).

Pure functions: area tables and zone attributes in, tidy DataFrames out.

Worked example (ALDO, ZPC 2_1, inter-region NORD-OUEST): 10 ha of cropland hold
10 × 50 tC/ha = 500 tC of soil carbon and no biomass; × 44/12 = 1 833.3 tCO2e.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from espass_geo.constants import C_TO_CO2
from espass_geo.reference.factors import (
    artificial_split_parameters,
    canonical_method,
    hedge_factor,
    land_use_classes,
    map_codes,
    stock_densities,
)
from espass_geo.territory.zones import zone_attributes

STOCK_COLUMNS = ["zone_id", "zone_name", "zpc", "land_use", "land_use_fr", "pool", "area_ha",
                 "density_tC_ha", "stock_tC", "stock_tCO2e", "method", "factor_source",
                 "confidence"]


def split_artificial(lu: pd.DataFrame, *, min_vegetated_share: float | None = None,
                     sealed_share: float | None = None) -> pd.DataFrame:
    """ALDO's rule for artificial land (CLC vintage), per zone.

    Artificial land = CLC 111–133, 142 (``artificial_unsplit``) + 141 (``artificial_wooded``).
    If the wooded share is below ``min_vegetated_share`` (20 %), the total is rescaled to
    ``sealed_share`` (80 %) sealed and the rest grassed/shrubby minus the wooded part;
    otherwise the non-wooded land is all sealed. E.g. 100 ha unsplit + 5 ha wooded:
    5 < 0.2 × 105 = 21 → sealed 0.8 × 105 = 84 ha, grassed 21 − 5 = 16 ha, wooded 5 ha.
    """
    default_min, default_sealed = artificial_split_parameters()
    min_share = default_min if min_vegetated_share is None else min_vegetated_share
    sealed = default_sealed if sealed_share is None else sealed_share
    wide = lu.pivot_table(index="zone_id", columns="land_use", values="area_ha", aggfunc="sum",
                          fill_value=0.0)
    for col in ("artificial_unsplit", "artificial_wooded", "artificial_sealed",
                "artificial_grassed"):
        if col not in wide:
            wide[col] = 0.0
    non_wooded = wide["artificial_unsplit"] + wide["artificial_sealed"] + wide["artificial_grassed"]
    wooded = wide["artificial_wooded"]
    total = non_wooded + wooded
    rescale = (wooded < min_share * total) & (wide["artificial_unsplit"] > 0)
    new_sealed = np.where(rescale, sealed * total, non_wooded - wide["artificial_grassed"])
    new_grassed = np.where(rescale, total - sealed * total - wooded, wide["artificial_grassed"])
    wide["artificial_sealed"] = new_sealed
    wide["artificial_grassed"] = new_grassed
    wide = wide.drop(columns=["artificial_unsplit"])
    out = wide.reset_index().melt(id_vars="zone_id", var_name="land_use", value_name="area_ha")
    return out[out["area_ha"] > 0].reset_index(drop=True)


def land_use_areas(area_table: pd.DataFrame, *, split: bool = True, **split_kw) -> pd.DataFrame:
    """CLC area table (``zone_id, code, area_ha``) -> ``zone_id, land_use, area_ha``."""
    t = area_table.copy()
    t["land_use"] = map_codes(t["code"])
    lu = t.groupby(["zone_id", "land_use"], as_index=False)["area_ha"].sum()
    if split:
        lu = split_artificial(lu, **split_kw)
    return lu.sort_values(["zone_id", "land_use"]).reset_index(drop=True)


def compute_stocks(
    area_table: pd.DataFrame,
    zone_attrs: pd.DataFrame,
    *,
    method: str = "aldo",
    hedges: pd.DataFrame | None = None,
    min_vegetated_share: float | None = None,
    zpc_override: str | None = None,
    soil_densities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Carbon stocks per zone × land use × pool.

    Parameters
    ----------
    area_table
        ``zone_id, code, area_ha`` (CLC level-3 codes).
    zone_attrs
        ``zone_id, zpc, region_code`` (+ ``zone_name``, ``departement`` used if present). A zone
        spanning several pedoclimatic zones may have one row per ZPC with a ``zpc_weight``
        column (area shares summing to 1, see :func:`espass_geo.territory.zones.zpc_mix`); its areas
        are then split by those shares and the output has one row per ZPC.
    method
        ``"aldo"`` (default) or ``"ipcc"`` (IPCC Tier 1 for the soil pool; biomass, litter and
        dead wood stay ALDO/IGN).
    hedges
        Optional ``zone_id, length_km``: hedge biomass = km × tC/km of the département.
    zpc_override
        The user's pedoclimatic zone, applied last to every zone (its ZPC mix is replaced),
        see :func:`espass_geo.territory.zones.zone_attributes`.
    soil_densities
        Optional ``zone_id, land_use, density_tC_ha, factor_source, confidence``: soil
        reference stocks that replace the ZPC ones for those zones (method ``aldo`` only), e.g.
        ALDO's per-EPCI references (:func:`espass_geo.reference.factors.aldo_epci_soil_densities`)
        for whole EPCI: 100 ha of cropland at 50.88 tC/ha -> 5 088 tC, whatever the ZPC mix.

    Returns
    -------
    DataFrame with :data:`STOCK_COLUMNS`; ``area_ha`` is the land-use area and repeats on each
    pool row (sum areas on ``pool == "soil"`` only).
    """
    method = canonical_method(method)
    attrs = zone_attributes(zone_attrs, zpc_override=zpc_override)
    lu = land_use_areas(area_table, min_vegetated_share=min_vegetated_share)
    lu = lu.merge(attrs[["zone_id", "zone_name", "zpc", "region_code", "zpc_weight"]],
                  on="zone_id", how="left")
    lu["area_ha"] = lu["area_ha"] * lu["zpc_weight"].fillna(1.0)
    if lu["zpc"].isna().any():
        missing = lu.loc[lu["zpc"].isna(), "zone_id"].unique()[:5].tolist()
        from espass_geo.errors import FactorError

        raise FactorError(
            f"les zones {', '.join(map(str, missing))} de la table de surfaces n'ont pas de "
            "zone pédoclimatique "
            "(ZPC) ; donnez-la (attribut zpc des zones ou --zpc 2_1 par exemple) ou vérifiez "
            "que les identifiants de zone de la table sont ceux du territoire."
        )
    dens = stock_densities(lu[["zpc", "region_code"]], sorted(lu["land_use"].unique()),
                           method=method)
    out = lu.merge(dens, on=["zpc", "region_code", "land_use"], how="inner")
    if soil_densities is not None and len(soil_densities) and method == "aldo":
        ref = soil_densities.set_index(["zone_id", "land_use"])
        key = pd.MultiIndex.from_frame(out[["zone_id", "land_use"]])
        hit = (out["pool"] == "soil").to_numpy() & key.isin(ref.index)
        for col in ("density_tC_ha", "factor_source", "confidence"):
            out.loc[hit, col] = ref[col].reindex(key[hit]).to_numpy()
    out["stock_tC"] = out["area_ha"] * out["density_tC_ha"]
    if hedges is not None and len(hedges):
        out = pd.concat([out, _hedge_stocks(hedges, attrs)], ignore_index=True)
    out["stock_tCO2e"] = out["stock_tC"] * C_TO_CO2
    labels = land_use_classes()["label_fr"].to_dict()
    labels["hedges"] = "Haies"
    out["land_use_fr"] = out["land_use"].map(labels)
    out["method"] = np.where(out["pool"] == "soil", method, "aldo")
    pool_order = {p: i for i, p in enumerate(["soil", "litter", "live_biomass", "dead_wood",
                                              "hedges"])}
    out = out.sort_values(["zone_id", "land_use", "zpc", "pool"],
                          key=lambda s: s.map(pool_order) if s.name == "pool" else s)
    return out[STOCK_COLUMNS].reset_index(drop=True)


def _hedge_stocks(hedges: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    h = hedges.merge(attrs.drop_duplicates("zone_id"), on="zone_id", how="left")
    rows = []
    for r in h.itertuples(index=False):
        dep = getattr(r, "departement", "") if hasattr(r, "departement") else ""
        value, source, conf = hedge_factor(str(dep) if isinstance(dep, str) else "")
        rows.append({"zone_id": r.zone_id, "zone_name": r.zone_name, "zpc": r.zpc,
                     "land_use": "hedges",
                     "pool": "hedges", "area_ha": 0.0, "density_tC_ha": np.nan,
                     "stock_tC": float(r.length_km) * value,
                     "factor_source": f"{source} ({value:g} tC/km × {float(r.length_km):g} km)",
                     "confidence": conf})
    return pd.DataFrame(rows)


def zone_totals(stocks: pd.DataFrame) -> pd.DataFrame:
    """Per zone: area (ha), stock (tC, tCO2e) and mean density (tC/ha), plus per-pool columns."""
    area = stocks[stocks["pool"] == "soil"].groupby("zone_id")["area_ha"].sum()
    tot = stocks.groupby(["zone_id", "zone_name"], as_index=False)[["stock_tC", "stock_tCO2e"]].sum()
    tot["area_ha"] = tot["zone_id"].map(area).fillna(0.0)
    tot["density_tC_ha"] = tot["stock_tC"] / tot["area_ha"].where(tot["area_ha"] > 0)
    pools = stocks.pivot_table(index="zone_id", columns="pool", values="stock_tC", aggfunc="sum",
                               fill_value=0.0)
    pools.columns = [f"stock_{p}_tC" for p in pools.columns]
    return tot.merge(pools, left_on="zone_id", right_index=True, how="left")
