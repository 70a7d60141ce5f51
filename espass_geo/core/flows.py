"""Carbon flows: land-use change, forest growth, harvested wood products (ALDO method).

Pure functions: change tables and zone attributes in, one tidy long table of flow records out.

Sign convention (ALDO, ADR 0008): **positive = sequestration, negative = emission**. Every record
carries it in its ``convention`` column.

A change table has the columns ``zone_id, from_code, to_code, area_ha`` (CLC level-3 codes, hectares
changed over the period); flows are per year: ``area_ha_an = area_ha / years``.

ALDO rules reproduced (method.md §6):

* soil, kinetic transitions (cultures, prairies, forêts, vergers, vignes): the annual rate of
  ``factors/aldo_soil_flux.csv`` × 20 years, charged on the hectares converted each year;
* soil, instantaneous transitions (to artificial land, to or from wetlands): the one-off stock
  difference of the same table, in the year of change;
* litter: −9 tC/ha when forest becomes anything but forest or wooded artificial land, +9 back;
* non-forest biomass: ``factors/aldo_biomass_nonforest_flux.csv`` (gains over 20 years, losses at
  once); deforestation: −(live biomass + dead wood) of the forest + biomass of the new class;
  afforestation: no biomass flow (forest growth covers it);
* N2O from soil + litter carbon losses: C lost / 15 × (0.01 + 0.30 × 0.0075) × 44/28 × GWP;
* forest growth: forest area × net biomass balance (tC/ha/an) per composition;
* harvested wood products: harvest approach (local harvest × BO/BI shares × national sink per m³)
  or consumption approach (national sink × population share).

Worked example (method.md §10 C): 1 ha/an of prairies → cultures in ZPC 2_1: soil −0.72 × 20 =
−14.4 tC → −52.80 tCO2e/an; N2O 14.4 / 15 × 0.01225 × 44/28 × 273 = −5.05; total −57.85.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from espass_geo.constants import ARTIFICIAL_LAND_USES, C_TO_CO2, DEFAULT_GWP_N2O, FOREST_LAND_USES
from espass_geo.errors import FactorError
from espass_geo.reference import data
from espass_geo.reference.factors import (
    artificial_split_parameters,
    forest_factor,
    inter_region,
    land_use_classes,
    map_codes,
)

KINETIC_YEARS = 20
CONVENTION = "positif = séquestration, négatif = émission"
FLOW_COLUMNS = [
    "zone_id", "zone_name", "zpc", "cause", "from_land_use", "to_land_use", "pool", "gas", "mode",
    "area_ha_an", "unit_flux_tC_ha", "flux_tC_an", "flux_tCO2e_an", "method", "factor_source",
    "convention",
]
ARTIFICIAL = set(ARTIFICIAL_LAND_USES)
FORESTS = set(FOREST_LAND_USES)


# ------------------------------------------------------------------------- factors
@data.factor_cache
def _soil_flux_table() -> dict[tuple[str, str, str], tuple[float, str, str]]:
    t = data.factor_table("aldo_soil_flux")
    return {(r.zpc, r.from_class, r.to_class): (float(r.value), r.mode, r.source)
            for r in t.itertuples(index=False)}


@data.factor_cache
def _soil_stock(zpc: str, soil_class: str) -> float:
    t = data.factor_table("aldo_soil_stock_ref")
    r = t[(t["zpc"] == zpc) & (t["soil_class"] == soil_class)]
    if r.empty:
        raise FactorError(f"pas de stock de sol ALDO pour la ZPC {zpc} et la classe "
                          f"{soil_class} (factors/aldo_soil_stock_ref.csv) ; vérifiez la ZPC.")
    return float(r.iloc[0]["value"])


@data.factor_cache  # once per land use and factor set: 5 000+ calls a demo (#14 item 6)
def _soil_class(land_use: str) -> str:
    c = land_use_classes().loc[land_use, "soil_class"]
    return c if isinstance(c, str) else ""


# ALDO code special cases (method.md §6.4): a class borrows another class's transitions.
_SOIL_AS_FROM = {"art_impermeabilises": "cultures", "art_enherbes": "prairies",
                 "art_arbores": "forets", "vergers": "cultures", "vignes": "cultures"}
_ZERO_PAIRS = {frozenset(p) for p in (("cultures", "vergers"), ("cultures", "vignes"),
                                      ("vergers", "vignes"))}


@data.factor_cache
def soil_unit_flux(zpc: str, from_class: str, to_class: str) -> tuple[float, str, str]:
    """Soil carbon change per hectare converted (tC/ha, the whole change), its mode and source.

    ALDO kinetic transitions: annual rate × 20 (e.g. 2_1 prairies → cultures: −0.72 × 20 =
    −14.4 tC/ha). Instantaneous ones: the stock difference (2_1 cultures → sealed: −20 tC/ha).
    (IPCC Tier 1: see :func:`soil_unit_flux_ipcc`.)
    """
    if from_class == to_class or not from_class or not to_class:
        return 0.0, "none", "pas de changement de réservoir sol"
    if frozenset((from_class, to_class)) in _ZERO_PAIRS:
        return 0.0, "kinetic", "ALDO : cultures ↔ vergers/vignes sans flux de sol"
    table = _soil_flux_table()
    key = (zpc, from_class, to_class)
    if key in table:
        value, mode, source = table[key]
        return (value * KINETIC_YEARS if mode == "kinetic" else value), mode, source
    if from_class == "zones_humides" and to_class == "art_impermeabilises":
        v1, _, s1 = soil_unit_flux(zpc, "zones_humides", "cultures")
        v2, _, _ = soil_unit_flux(zpc, "cultures", "art_impermeabilises")
        return v1 + v2, "instant", f"{s1} (ALDO : zh → imperméabilisé = zh → cultures + cultures → imp.)"
    if from_class in _SOIL_AS_FROM and _SOIL_AS_FROM[from_class] != to_class:
        proxy = _SOIL_AS_FROM[from_class]
        if (zpc, proxy, to_class) in table:
            value, mode, source = soil_unit_flux(zpc, proxy, to_class)
            return value, mode, f"{source} (ALDO : {from_class} traité comme {proxy})"
    # any other pair: the one-off stock difference (e.g. grassed ↔ sealed artificial land)
    diff = _soil_stock(zpc, to_class) - _soil_stock(zpc, from_class)
    return diff, "instant", "différence des stocks de référence ALDO (aldo_soil_stock_ref.csv)"


def soil_unit_flux_ipcc(zpc: str, region: str, from_lu: str, to_lu: str) -> tuple[float, str, str]:
    """IPCC Tier 1: SOC_final − SOC_initial, reached linearly over 20 years. With a constant
    yearly conversion (the steady state of a change table) this equals charging the whole change
    in the year of conversion, as ALDO does."""
    from espass_geo.reference.factors import stock_densities

    keys = pd.DataFrame({"zpc": [zpc], "region_code": [region]})
    d = stock_densities(keys, [from_lu, to_lu], method="ipcc")
    soil = d[d["pool"] == "soil"].set_index("land_use")["density_tC_ha"]
    return (float(soil.get(to_lu, 0.0) - soil.get(from_lu, 0.0)), "kinetic",
            "GIEC 2006 Tier 1 : (SOC_final − SOC_initial), linéaire sur 20 ans")


@data.factor_cache
def _nonforest_stock(ir: str, biomass_class: str) -> float:
    t = data.factor_table("aldo_biomass_nonforest")
    r = t[(t["inter_region"] == ir) & (t["biomass_class"] == biomass_class)]
    return float(r.iloc[0]["value"]) if len(r) else 0.0


@data.factor_cache
def _nonforest_flux_table() -> dict[tuple[str, str, str], tuple[float, str, str]]:
    t = data.factor_table("aldo_biomass_nonforest_flux")
    return {(r.inter_region, r.from_class, r.to_class): (float(r.value), r.mode, r.source)
            for r in t.itertuples(index=False)}


@data.factor_cache
def _biomass_class(land_use: str) -> str:
    c = land_use_classes().loc[land_use, "biomass_class"]
    return c if isinstance(c, str) else ""


@data.factor_cache
def _composition(land_use: str) -> str:
    return str(land_use_classes().loc[land_use, "forest_composition"])


@data.factor_cache
def biomass_unit_flux(region: str, from_lu: str, to_lu: str) -> tuple[tuple, ...]:
    """Biomass pools' change per hectare converted: ((pool, tC/ha, mode, source), …)."""
    if from_lu == to_lu:
        return ()
    ir = inter_region(region)
    f_forest, t_forest = from_lu in FORESTS, to_lu in FORESTS
    if f_forest and t_forest:
        return ()
    if t_forest:  # afforestation: covered by forest growth (ALDO)
        return ()
    to_b = _biomass_class(to_lu)
    to_stock = _nonforest_stock(ir, to_b) if to_b and to_b != "forest" else 0.0
    if f_forest:  # deforestation: lose live biomass and dead wood, gain the new class's biomass
        comp = _composition(from_lu)
        live, src, _ = forest_factor(region, comp, "live_biomass")
        dead, _, _ = forest_factor(region, comp, "dead_wood")
        return (("live_biomass", to_stock - live, "instant", f"déforestation : {src}"),
                ("dead_wood", -dead, "instant", f"déforestation : {src}"))
    from_b = _biomass_class(from_lu)
    if not from_b or not to_b or from_b == to_b:
        return ()
    table = _nonforest_flux_table()
    if (ir, from_b, to_b) in table:
        value, mode, source = table[(ir, from_b, to_b)]
        total = value * KINETIC_YEARS if mode == "kinetic" else value
        return (("live_biomass", total, mode, source),) if total else ()
    diff = to_stock - _nonforest_stock(ir, from_b)
    if diff == 0:
        return ()
    return (("live_biomass", diff, "kinetic" if diff > 0 else "instant",
             "différence des stocks de biomasse hors forêt ALDO"),)


@data.factor_cache
def _litter_table() -> dict[str, float]:
    t = data.factor_table("aldo_litter")
    return dict(zip(t["land_use"], t["value"].astype(float), strict=True))


def litter_unit_flux(from_lu: str, to_lu: str) -> float:
    """−9 tC/ha leaving forest (except to wooded artificial land), +9 entering (ALDO)."""
    litter = _litter_table()
    keep = FORESTS | {"artificial_wooded"}
    if from_lu in FORESTS and to_lu not in keep:
        return -float(litter[from_lu])
    if to_lu in FORESTS and from_lu not in keep:
        return float(litter[to_lu])
    return 0.0


@data.factor_cache
def n2o_factor(gwp_n2o: float = DEFAULT_GWP_N2O) -> float:
    """tCO2e of N2O per tC of soil/litter carbon lost (0.35 for GWP 273)."""
    p = data.factor_table("n2o_soil_loss").set_index("parameter")["value"].astype(float)
    return (1.0 / p["c_n_ratio"] * (p["ef1"] + p["frac_leach"] * p["ef5"])
            * p["n2o_n_to_n2o"] * gwp_n2o)


# ------------------------------------------------------------------------- changes
def _expand_artificial(tr: pd.DataFrame, shares: pd.Series | None) -> pd.DataFrame:
    """Split ``artificial_unsplit`` ends of transitions into sealed / grassed (ALDO 80/20)."""
    _, default_sealed = artificial_split_parameters()
    s = tr["zone_id"].map(shares).fillna(default_sealed) if shares is not None else \
        pd.Series(default_sealed, index=tr.index)
    out = []
    f_un = tr["from_land_use"] == "artificial_unsplit"
    t_un = tr["to_land_use"] == "artificial_unsplit"
    plain = tr[~f_un & ~t_un]
    out.append(plain)
    both = tr[f_un & t_un]
    for lu, w in (("artificial_sealed", s[both.index]), ("artificial_grassed", 1 - s[both.index])):
        out.append(both.assign(from_land_use=lu, to_land_use=lu, area_ha=both["area_ha"] * w))
    for mask, col in ((f_un & ~t_un, "from_land_use"), (~f_un & t_un, "to_land_use")):
        part = tr[mask]
        for lu, w in (("artificial_sealed", s[part.index]),
                      ("artificial_grassed", 1 - s[part.index])):
            out.append(part.assign(**{col: lu, "area_ha": part["area_ha"] * w}))
    res = pd.concat(out, ignore_index=True)
    return res[res["area_ha"] > 0]


def land_use_transitions(changes: pd.DataFrame, *, sealed_share: pd.Series | None = None
                         ) -> pd.DataFrame:
    """CLC change table -> ``zone_id, from_land_use, to_land_use, area_ha`` (80/20 split done)."""
    tr = changes.copy()
    tr["from_land_use"] = map_codes(tr["from_code"], source="table de changements (classe de départ)")
    tr["to_land_use"] = map_codes(tr["to_code"], source="table de changements (classe d’arrivée)")
    tr = _expand_artificial(tr[["zone_id", "from_land_use", "to_land_use", "area_ha"]],
                            sealed_share)
    return tr.groupby(["zone_id", "from_land_use", "to_land_use"], as_index=False)["area_ha"].sum()


def compute_flows(
    changes: pd.DataFrame,
    zone_attrs: pd.DataFrame,
    *,
    years: float,
    forest_areas: pd.DataFrame | None = None,
    method: str = "aldo",
    gwp_n2o: float = DEFAULT_GWP_N2O,
    wood_products: str = "harvest",
    population: pd.DataFrame | None = None,
    sealed_share: pd.Series | None = None,
    zpc_override: str | None = None,
) -> pd.DataFrame:
    """Flow records (tCO2e/an, + = sequestration) of land-use change, forest growth and wood.

    Parameters
    ----------
    changes
        ``zone_id, from_code, to_code, area_ha`` over the period (CLC codes); unchanged pixels
        (``from_code == to_code``) may be present and give no flow.
    zone_attrs
        ``zone_id, zpc, region_code`` (+ ``zone_name``, ``zpc_weight`` for ZPC mixes).
    years
        Length of the period (2012 → 2018: 6).
    forest_areas
        ``zone_id, composition (feuillus|coniferes|mixtes|peupleraies), area_ha`` for forest growth
        and wood products (ALDO uses BD Forêt); ``None`` = no growth or wood-product records.
    method
        ``aldo`` or ``ipcc`` (soil pool only).
    wood_products
        ``harvest`` (default), ``consumption`` (needs ``population``: ``zone_id, population``) or
        ``none``.
    sealed_share
        Per zone, the sealed share of CLC artificial land other than 141 (default 0.8).
    zpc_override
        The user's pedoclimatic zone, applied last to every zone (see
        :func:`espass_geo.territory.zones.zone_attributes`).
    """
    if years is None or not years > 0:
        raise ValueError("years must be > 0")
    if method not in ("aldo", "ipcc"):
        raise ValueError(f"method must be 'aldo' or 'ipcc', not {method!r}")
    if wood_products not in ("harvest", "consumption", "none"):
        raise ValueError("wood_products must be 'harvest', 'consumption' or 'none'")
    from espass_geo.territory.zones import (
        zone_attributes,  # the one place zone attributes are normalised
    )

    attrs = zone_attributes(zone_attrs, zpc_override=zpc_override)
    attrs = attrs[["zone_id", "zone_name", "zpc", "region_code", "zpc_weight"]]
    tr = land_use_transitions(changes, sealed_share=sealed_share)
    tr["area_ha_an"] = tr["area_ha"] / years
    flows = transition_flows(tr, attrs, method=method, gwp_n2o=gwp_n2o)
    parts = [flows]
    if forest_areas is not None and len(forest_areas):
        parts.append(forest_growth(forest_areas, attrs))
        if wood_products == "harvest":
            parts.append(wood_products_harvest(forest_areas, attrs))
    if wood_products == "consumption":
        if population is None:
            raise FactorError("wood_products='consumption' demande une table de population "
                              "(zone_id, population).")
        parts.append(wood_products_consumption(population, attrs))
    parts = [p for p in parts if len(p)]
    # no change and no forest (two identical dates on a small polygon): no record, zero flows
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FLOW_COLUMNS)
    out["convention"] = CONVENTION
    out = out.reindex(columns=FLOW_COLUMNS)
    return out.reset_index(drop=True)


def transition_flows(tr: pd.DataFrame, attrs: pd.DataFrame, *, method: str = "aldo",
                     gwp_n2o: float = DEFAULT_GWP_N2O) -> pd.DataFrame:
    """Flow records of land-use transitions given in land uses and hectares per year.

    ``tr``: ``zone_id, from_land_use, to_land_use, area_ha_an`` (+ any extra columns, e.g. a
    year or a lever, carried to the records); ``attrs``: ``zone_id, zone_name, zpc,
    region_code, zpc_weight``. ``unit_flux_tC_ha`` is the whole change per hectare converted
    (kinetic: annual rate × 20).
    """
    tr = tr[tr["from_land_use"] != tr["to_land_use"]].drop(columns=["zone_name", "zpc",
                                                                     "region_code", "zpc_weight"],
                                                            errors="ignore")
    tr = tr.merge(attrs, on="zone_id", how="left")
    if tr["zpc"].isna().any():
        missing = tr.loc[tr["zpc"].isna(), "zone_id"].unique()[:5].tolist()
        raise FactorError(f"les zones {', '.join(map(str, missing))} de la table de changements "
                          "n'ont pas de zone "
                          "pédoclimatique ; vérifiez que leurs codes sont ceux du territoire ou "
                          "donnez --zpc.")
    tr["area_ha_an"] = tr["area_ha_an"] * tr["zpc_weight"]
    extra = [c for c in tr.columns if c not in {"zone_id", "zone_name", "zpc", "region_code",
                                                  "zpc_weight", "from_land_use", "to_land_use",
                                                  "area_ha", "area_ha_an"}]
    records = []
    k_n2o = n2o_factor(gwp_n2o)
    for r in tr.itertuples(index=False):
        base = dict(zone_id=r.zone_id, zone_name=r.zone_name, zpc=r.zpc, cause="land_use_change",
                    from_land_use=r.from_land_use, to_land_use=r.to_land_use,
                    area_ha_an=r.area_ha_an, **{c: getattr(r, c) for c in extra})
        fs, ts = _soil_class(r.from_land_use), _soil_class(r.to_land_use)
        if method == "ipcc" and fs and ts:
            soil, mode, src = soil_unit_flux_ipcc(r.zpc, r.region_code, r.from_land_use,
                                                  r.to_land_use)
        else:
            soil, mode, src = soil_unit_flux(r.zpc, fs, ts)
        if soil:
            records.append({**base, "pool": "soil", "gas": "CO2", "mode": mode,
                            "unit_flux_tC_ha": soil, "method": method, "factor_source": src})
        litter = litter_unit_flux(r.from_land_use, r.to_land_use)
        if litter:
            records.append({**base, "pool": "litter", "gas": "CO2", "mode": "instant",
                            "unit_flux_tC_ha": litter, "method": "aldo",
                            "factor_source": "ALDO : litière forestière 9 tC/ha (aldo_litter.csv)"})
        lost_total = min(soil + litter, 0.0)
        for pool, value, bmode, bsrc in biomass_unit_flux(r.region_code, r.from_land_use,
                                                           r.to_land_use):
            records.append({**base, "pool": pool, "gas": "CO2", "mode": bmode,
                            "unit_flux_tC_ha": value, "method": "aldo", "factor_source": bsrc})
        if lost_total < 0:
            records.append({**base, "pool": "soil_litter_n2o", "gas": "N2O", "mode": "instant",
                            "unit_flux_tC_ha": lost_total, "method": "aldo",
                            "factor_source": f"N2O : C perdu / 15 × (0,01 + 0,3 × 0,0075) × 44/28 "
                                             f"× PRG {gwp_n2o:g} (n2o_soil_loss.csv)",
                            "n2o": True})
    flows = pd.DataFrame(records)
    if flows.empty:
        flows = pd.DataFrame(columns=[*FLOW_COLUMNS, "n2o"])
    flows["flux_tC_an"] = flows["area_ha_an"] * flows["unit_flux_tC_ha"]
    is_n2o = flows.get("n2o", pd.Series(False, index=flows.index)).fillna(False).astype(bool)
    flows["flux_tCO2e_an"] = np.where(is_n2o, flows["flux_tC_an"] * k_n2o,
                                      flows["flux_tC_an"] * C_TO_CO2)
    flows.loc[is_n2o, "flux_tC_an"] = np.nan  # N2O is not a carbon flow
    return flows.drop(columns="n2o", errors="ignore")


def _zone_region(attrs: pd.DataFrame) -> pd.DataFrame:
    return attrs.drop_duplicates("zone_id")[["zone_id", "zone_name", "region_code"]]


def forest_growth(forest_areas: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    """Forest area × net biomass balance (tC/ha/an) × 44/12, per composition (method.md §6.7)."""
    fa = forest_areas.merge(_zone_region(attrs), on="zone_id", how="left")
    rows = []
    for r in fa.itertuples(index=False):
        if r.area_ha <= 0:
            continue
        rate, src, _ = forest_factor(r.region_code, r.composition, "net_growth")
        rows.append(dict(zone_id=r.zone_id, zone_name=r.zone_name, zpc=None,
                         cause="forest_growth", from_land_use=f"forest:{r.composition}",
                         to_land_use=f"forest:{r.composition}", pool="live_biomass", gas="CO2",
                         mode="annual", area_ha_an=float(r.area_ha), unit_flux_tC_ha=rate,
                         flux_tC_an=rate * float(r.area_ha),
                         flux_tCO2e_an=rate * float(r.area_ha) * C_TO_CO2, method="aldo",
                         factor_source=f"accroissement net (production − mortalité − "
                                       f"prélèvements) : {src}"))
    return pd.DataFrame(rows)


@data.factor_cache  # read-only for its callers
def _wood_params() -> pd.Series:
    return data.factor_table("wood_products_france").set_index("parameter")["value"].astype(float)


def local_harvest_m3(region: str, composition: str, area_ha: float) -> float:
    """Local harvest m³/an = 0.9 × BFT + 0.5 × (VAT − BFT), BFT = harvest m³/ha/an × area."""
    p = _wood_params()
    bft = forest_factor(region, composition, "harvest_volume")[0] * area_ha
    vat = bft * p[f"vat_bft_ratio_{composition}"]
    return p["harvest_share_bft"] * bft + p["harvest_share_branches"] * (vat - bft)


@data.factor_cache  # read-only for its callers; once per region, not per zone
def _bo_bi_shares(region_code: str) -> pd.Series:
    shares = data.factor_table("wood_products_bo_bi_share")
    sh = shares[shares["region_code"] == region_code].set_index("quantity")["value"]
    if sh.empty:
        raise FactorError(f"pas de parts de récolte BO/BI pour la région {region_code} "
                          "(factors/wood_products_bo_bi_share.csv).")
    return sh


def wood_products_harvest(forest_areas: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    """Harvested wood products, harvest approach (ALDO default), per zone and composition."""
    p = _wood_params()
    fa = forest_areas.merge(_zone_region(attrs), on="zone_id", how="left")
    rows = []
    for r in fa.itertuples(index=False):
        if r.area_ha <= 0:
            continue
        sh = _bo_bi_shares(r.region_code)
        harvest = local_harvest_m3(r.region_code, r.composition, float(r.area_ha))
        for kind in ("bo", "bi"):
            m3 = harvest * float(sh[f"share_{kind}"])
            tco2 = p[f"sink_{kind}_tCO2_an"] * m3 / p[f"harvest_{kind}_m3_an"]
            rows.append(dict(zone_id=r.zone_id, zone_name=r.zone_name, zpc=None,
                             cause="wood_products", from_land_use=f"forest:{r.composition}",
                             to_land_use=f"wood_products:{kind}", pool="wood_products",
                             gas="CO2", mode="annual", area_ha_an=float(r.area_ha),
                             unit_flux_tC_ha=tco2 / C_TO_CO2 / float(r.area_ha),
                             flux_tC_an=tco2 / C_TO_CO2, flux_tCO2e_an=tco2, method="aldo",
                             factor_source=f"produits bois ({kind.upper()}), approche récolte : "
                                           f"{m3:.1f} m3/an × puits national / récolte nationale "
                                           "(wood_products_france.csv)"))
    return pd.DataFrame(rows)


def wood_products_consumption(population: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    """Harvested wood products, consumption approach: national sink × population share."""
    p = _wood_params()
    pop = population.merge(_zone_region(attrs), on="zone_id", how="inner")
    rows = []
    for r in pop.itertuples(index=False):
        share = float(r.population) / p["france_population"]
        for kind in ("bo", "bi"):
            tco2 = p[f"sink_{kind}_tCO2_an"] * share
            rows.append(dict(zone_id=r.zone_id, zone_name=r.zone_name, zpc=None,
                             cause="wood_products", from_land_use="consumption",
                             to_land_use=f"wood_products:{kind}", pool="wood_products",
                             gas="CO2", mode="annual", area_ha_an=np.nan,
                             unit_flux_tC_ha=np.nan, flux_tC_an=tco2 / C_TO_CO2,
                             flux_tCO2e_an=tco2, method="aldo",
                             factor_source="produits bois, approche consommation : puits national "
                                           "× part de population (wood_products_france.csv)"))
    return pd.DataFrame(rows)


def forest_areas_from_land_use(lu_areas: pd.DataFrame) -> pd.DataFrame:
    """``zone_id, land_use, area_ha`` -> forest areas per composition."""
    comp = land_use_classes()["forest_composition"]
    f = lu_areas[lu_areas["land_use"].isin(FORESTS)].copy()
    f["composition"] = f["land_use"].map(comp)
    return f.groupby(["zone_id", "composition"], as_index=False)["area_ha"].sum()


# ------------------------------------------------------------------------- summaries
def is_sealing(from_lu: pd.Series, to_lu: pd.Series) -> pd.Series:
    return to_lu.isin(ARTIFICIAL) & ~from_lu.isin(ARTIFICIAL)


def zone_flow_totals(flows: pd.DataFrame) -> pd.DataFrame:
    """Net flow per zone (tCO2e/an) and per cause, N2O and sealing columns."""
    g = flows.groupby("zone_id")
    out = g["flux_tCO2e_an"].sum().rename("flux_tCO2e_an").to_frame()
    for cause in ("land_use_change", "forest_growth", "wood_products"):
        out[f"flux_{cause}_tCO2e_an"] = flows[flows["cause"] == cause].groupby("zone_id")[
            "flux_tCO2e_an"].sum()
    out["flux_n2o_tCO2e_an"] = flows[flows["gas"] == "N2O"].groupby("zone_id")[
        "flux_tCO2e_an"].sum()
    seal = flows[(flows["cause"] == "land_use_change")
                 & is_sealing(flows["from_land_use"], flows["to_land_use"])]
    out["sealing_flux_tCO2e_an"] = seal.groupby("zone_id")["flux_tCO2e_an"].sum()
    return out.fillna(0.0).reset_index()


def sealing_summary(transitions: pd.DataFrame, years: float) -> pd.DataFrame:
    """Hectares artificialised per zone over the period and per year (non-artificial → artificial)."""
    t = transitions[is_sealing(transitions["from_land_use"], transitions["to_land_use"])]
    s = t.groupby("zone_id")["area_ha"].sum()
    out = pd.DataFrame({"zone_id": transitions["zone_id"].unique()})
    out["sealed_ha"] = out["zone_id"].map(s).fillna(0.0)
    out["sealed_ha_an"] = out["sealed_ha"] / years
    return out


def zan_view(sealing: pd.DataFrame, *, reference: pd.DataFrame | None = None,
             start: int = 2021, horizon: int = 2031) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ZAN view (loi Climat et Résilience, art. 191): 2021–2031 consumption ≤ ½ of 2011–2021.

    The legal reference is the ENAF consumption 2011–2021 (Cerema "fichiers fonciers"); when it is
    not given (``reference``: ``zone_id, conso_2011_2021_ha``) it is ESTIMATED as the observed
    yearly artificialisation × 10 years, and flagged ``reference_source = estimation``.
    Returns (per zone table, yearly trajectory of the whole territory).
    """
    z = sealing.copy()
    z["conso_2011_2021_ha"] = z["sealed_ha_an"] * 10.0
    z["reference_source"] = "estimation (rythme observé × 10 ans)"
    if reference is not None and len(reference):
        ref = reference.set_index("zone_id")["conso_2011_2021_ha"].astype(float)
        has = z["zone_id"].isin(ref.index)
        z.loc[has, "conso_2011_2021_ha"] = z.loc[has, "zone_id"].map(ref)
        z.loc[has, "reference_source"] = "fournie par l'utilisateur"
    n = horizon - start
    z["budget_2021_2031_ha"] = 0.5 * z["conso_2011_2021_ha"]
    z["trend_2021_2031_ha"] = z["sealed_ha_an"] * n
    z["gap_ha"] = z["trend_2021_2031_ha"] - z["budget_2021_2031_ha"]
    years = np.arange(start, horizon + 1)
    rate = float(z["sealed_ha_an"].sum())
    budget = float(z["budget_2021_2031_ha"].sum())
    traj = pd.DataFrame({"year": years,
                         "cumulative_trend_ha": rate * (years - start),
                         "cumulative_budget_ha": budget * (years - start) / n})
    return z, traj
