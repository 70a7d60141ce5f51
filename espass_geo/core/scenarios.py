"""Scenario projection: yearly carbon flows and stocks per zone, baseline vs scenarios, to 2050.

Pure functions. Every effect is a **cohort**: hectares that start doing something in a given year
(``zone_id, lever, year, area_ha, pool, gas, kind, rate``), with three kinds:

* ``instant``: ``rate`` tC/ha booked once, in ``year`` (instantaneous ALDO transitions, losses of
  biomass, N2O);
* ``kinetic``: ``rate`` tC/ha/an for ``duration`` years from ``year`` (20 years), then nothing
  (saturation): ALDO kinetic soil transitions (the annual rate of the ALDO table), biomass gains,
  agricultural practices;
* ``annual``: ``rate`` tC/ha/an every year from ``year`` on (forest growth, wood products).

The yearly flow of a zone is the sum of its active cohorts; the stock at the end of year *y* is the
start stock plus the cumulated carbon flows of the soil and biomass pools (harvested wood products
and N2O leave the territory's stock untouched). Sign convention (ALDO): positive = sequestration.

Worked example: 10 ha of continuous no-till from 2025 (ALDO 0.15 tC/ha/an for 20 years): +1.5 tC
every year 2025–2044, nothing from 2045 (saturation): 30 tC = 110 tCO2e in all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from espass_geo.constants import C_TO_CO2, DEFAULT_GWP_N2O, FOREST_COMPOSITIONS
from espass_geo.core.flows import KINETIC_YEARS, n2o_factor, transition_flows
from espass_geo.errors import ScenarioError
from espass_geo.reference import data
from espass_geo.reference.factors import forest_factor, land_use_classes

COHORT_COLUMNS = ["zone_id", "lever", "action_id", "year", "area_ha", "pool", "gas", "kind",
                  "rate", "duration"]
#: pools that make up the territory's stock (HWP and N2O do not)
STOCK_POOLS = {"soil", "litter", "live_biomass", "dead_wood"}


def practice_catalogue(method: str = "aldo") -> pd.DataFrame:
    if method == "aldo":
        return data.factor_table("practices_aldo").set_index("practice")
    return data.factor_table("practices_ipcc").set_index("practice")


def practice_host_groups() -> dict[str, str]:
    return data.factor_table("practices_aldo").set_index("practice")["host"].to_dict()


def ipcc_practice_rate(practice: str, zpc: str) -> float:
    """IPCC Tier 1 soil gain of a practice (tC/ha/an over 20 years) in a pedoclimatic zone.

    ``SOC_REF × F_LU × (F_new − F_old) / 20`` (other factors at their default level 1), e.g.
    no-till, cold temperate moist HAC (ZPC 2_3): 95 × 0.69 × (1.15 − 1.00) / 20 = 0.49 tC/ha/an.
    """
    ip = practice_catalogue("ipcc")
    if practice not in ip.index:
        raise ScenarioError(
            f"la pratique « {practice} » n'a pas d'équivalent GIEC Tier 1 "
            f"(factors/practices_ipcc.csv : {', '.join(ip.index)}) ; utilisez method = "
            "\"aldo\" pour elle.")
    p = ip.loc[practice]
    z = data.factor_table("zpc_to_ipcc").set_index("zpc").loc[zpc]
    ref = data.factor_table("ipcc_soc_ref")
    soc = float(ref[(ref["climate"] == z["ipcc_climate"])
                    & (ref["soil_type"] == z["ipcc_soil_type"])]["value"].iloc[0])
    f = data.factor_table("ipcc_stock_change_factors")

    def factor(name, level):
        r = f[(f["ipcc_land_use"] == p["ipcc_land_use"]) & (f["factor"] == name)
              & (f["level"] == level) & f["climate_group"].isin([z["ipcc_climate_group"], "all"])]
        return float(r["value"].iloc[0])

    f_lu = factor("F_LU", "long_term_cultivated") if p["ipcc_land_use"] == "cropland" else 1.0
    delta = factor(p["factor"], p["level_to"]) - factor(p["factor"], p["level_from"])
    return soc * f_lu * delta / KINETIC_YEARS


def transition_cohorts(tr: pd.DataFrame, attrs: pd.DataFrame, *, method: str = "aldo",
                       gwp_n2o: float = DEFAULT_GWP_N2O) -> pd.DataFrame:
    """Cohorts of land-use transitions ``zone_id, from_land_use, to_land_use, area_ha, year,
    lever, action_id`` (hectares converted in ``year``)."""
    if tr.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    t = tr.rename(columns={"area_ha": "area_ha_an"})
    fl = transition_flows(t, attrs, method=method, gwp_n2o=gwp_n2o)
    if fl.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    # In a year-by-year projection the litter of a new forest builds up over 20 years, like the
    # other gains; ALDO's annual balance books the +9 tC/ha at once (same 20-year total).
    kinetic = (fl["mode"] == "kinetic") | ((fl["pool"] == "litter") & (fl["unit_flux_tC_ha"] > 0))
    n2o = fl["gas"] == "N2O"
    rate = np.where(kinetic, fl["unit_flux_tC_ha"] / KINETIC_YEARS, fl["unit_flux_tC_ha"])
    rate = np.where(n2o, fl["unit_flux_tC_ha"] * n2o_factor(gwp_n2o) / C_TO_CO2, rate)
    out = pd.DataFrame({
        "zone_id": fl["zone_id"], "lever": fl["lever"], "action_id": fl["action_id"],
        "year": fl["year"].astype(int), "area_ha": fl["area_ha_an"], "pool": fl["pool"],
        "gas": fl["gas"], "kind": np.where(kinetic, "kinetic", "instant"),
        "rate": rate, "duration": np.where(kinetic, KINETIC_YEARS, 1)})
    # afforestation: new forest grows from its first year (ALDO: growth covers the biomass)
    new_forest = tr[tr["to_land_use"].isin(FOREST_COMPOSITION) & ~tr["from_land_use"].isin(
        FOREST_COMPOSITION)]
    lost_forest = tr[tr["from_land_use"].isin(FOREST_COMPOSITION) & ~tr["to_land_use"].isin(
        FOREST_COMPOSITION)]
    growth = [growth_cohorts(new_forest, attrs, "to_land_use", +1),
              growth_cohorts(lost_forest, attrs, "from_land_use", -1)]
    return pd.concat([out, *growth], ignore_index=True)


FOREST_COMPOSITION = FOREST_COMPOSITIONS


def growth_cohorts(tr: pd.DataFrame, attrs: pd.DataFrame, col: str, sign: int) -> pd.DataFrame:
    """Forest growth gained (sign +1) or lost (−1) from the year of a transition on."""
    if tr.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    region = attrs.drop_duplicates("zone_id").set_index("zone_id")["region_code"]
    rows = []
    for r in tr.itertuples(index=False):
        rate = forest_factor(region[r.zone_id], FOREST_COMPOSITION[getattr(r, col)],
                             "net_growth")[0]
        rows.append((r.zone_id, r.lever, r.action_id, int(r.year), sign * r.area_ha,
                     "live_biomass", "CO2", "annual", rate, 0))
    return pd.DataFrame(rows, columns=COHORT_COLUMNS)


def practice_cohorts(pr: pd.DataFrame, attrs: pd.DataFrame, *, method: str = "aldo"
                     ) -> pd.DataFrame:
    """Cohorts of practices ``zone_id, practice, area_ha, year, action_id[, end_year, lever]``.

    ALDO: soil and biomass rates of ``factors/practices_aldo.csv`` for 20 years. IPCC: the soil
    gain of :func:`ipcc_practice_rate` for 20 years (no biomass term).
    """
    if pr.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    cat = practice_catalogue("aldo")
    zpc = attrs.drop_duplicates("zone_id").set_index("zone_id")["zpc"]
    rows = []
    for r in pr.itertuples(index=False):
        dur = int(cat.loc[r.practice, "duration_years"])
        end = getattr(r, "end_year", None)
        if end is not None and not pd.isna(end):
            dur = max(0, min(dur, int(end) - int(r.year)))
        lever = getattr(r, "lever", None)
        if not isinstance(lever, str) or not lever:
            lever = f"practice:{r.practice}"
        if method == "aldo":
            pools = (("soil", float(cat.loc[r.practice, "soil_tC_ha_an"])),
                     ("live_biomass", float(cat.loc[r.practice, "biomass_tC_ha_an"])))
        else:
            pools = (("soil", ipcc_practice_rate(r.practice, zpc[r.zone_id])),)
        for pool, rate in pools:
            if rate:
                rows.append((r.zone_id, lever, r.action_id, int(r.year), r.area_ha, pool, "CO2",
                             "kinetic", rate, dur))
    return pd.DataFrame(rows, columns=COHORT_COLUMNS)


def project(cohorts: pd.DataFrame, years: range | list[int]) -> pd.DataFrame:
    """Yearly flows ``zone_id, lever, year, pool, gas, flux_tC_an, flux_tCO2e_an``.

    N2O cohorts carry their rate in tC-equivalent of CO2e / 44·12 so that ``× 44/12`` gives
    tCO2e; their ``flux_tC_an`` is NaN (N2O is not carbon).
    """
    yrs = np.asarray(list(years))
    if cohorts.empty:
        return pd.DataFrame(columns=["zone_id", "lever", "year", "pool", "gas", "flux_tC_an",
                                     "flux_tCO2e_an"])
    c = cohorts.reset_index(drop=True).astype({"year": int, "duration": int, "area_ha": float,
                                                "rate": float})
    start = c["year"].to_numpy()[:, None]
    dur = c["duration"].to_numpy()[:, None]
    kind = c["kind"].to_numpy()[:, None]
    y = yrs[None, :]
    active = np.where(kind == "instant", y == start,
                      np.where(kind == "kinetic", (y >= start) & (y < start + dur), y >= start))
    flux = active * (c["area_ha"].to_numpy() * c["rate"].to_numpy())[:, None]
    df = pd.DataFrame(flux, columns=yrs)
    df[["zone_id", "lever", "pool", "gas"]] = c[["zone_id", "lever", "pool", "gas"]]
    long = df.melt(id_vars=["zone_id", "lever", "pool", "gas"], var_name="year",
                   value_name="flux_tC_an")
    long = long.groupby(["zone_id", "lever", "year", "pool", "gas"], as_index=False)[
        "flux_tC_an"].sum()
    long["year"] = long["year"].astype(int)
    long["flux_tC_an"] = long["flux_tC_an"].astype(float)
    long["flux_tCO2e_an"] = long["flux_tC_an"] * C_TO_CO2
    long.loc[long["gas"] == "N2O", "flux_tC_an"] = np.nan
    return long


def stock_trajectory(flows: pd.DataFrame, start_stock: pd.Series, years) -> pd.DataFrame:
    """Stock (tC) at the end of each year per zone: start stock + cumulated carbon flows."""
    c = flows[flows["pool"].isin(STOCK_POOLS) & (flows["gas"] == "CO2")]
    yearly = c.groupby(["zone_id", "year"])["flux_tC_an"].sum().unstack(fill_value=0.0)
    yearly = yearly.reindex(index=start_stock.index, columns=list(years), fill_value=0.0)
    stock = yearly.cumsum(axis=1).add(start_stock, axis=0)
    out = stock.stack().rename("stock_tC").reset_index()
    out.columns = ["zone_id", "year", "stock_tC"]
    return out


def lever_from_land_use(to_land_use: pd.Series) -> pd.Series:
    art = to_land_use.str.startswith("artificial")
    return np.where(art, "seal", "convert")


def labels_fr() -> dict[str, str]:
    return land_use_classes()["label_fr"].to_dict()
