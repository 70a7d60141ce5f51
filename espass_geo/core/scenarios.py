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


# --------------------------------------------------------------------------------------------
# ZAN trajectories (issue #12): hectares per year, their spread, their accounting
# --------------------------------------------------------------------------------------------

#: the ZAN reference period (consumption 2011-01-01 → 2020-12-31) and the law's decades
ZAN_REFERENCE_YEARS = (2011, 2020)
ZAN_FIRST_DECADE = (2021, 2030)
ZAN_NET_YEAR = 2050
ZAN_HECTARE_COLUMNS = ["scenario", "year", "artificialised_ha", "renatured_ha", "net_ha",
                       "cumulative_net_ha"]


def is_artificial(land_use) -> bool:
    return str(land_use).startswith("artificial")


def sealing_mask(tr: pd.DataFrame) -> pd.Series:
    """True for the transitions from non-artificial to artificial land."""
    if tr.empty:
        return pd.Series(False, index=tr.index, dtype=bool)
    return (~tr["from_land_use"].map(is_artificial).astype(bool)
            & tr["to_land_use"].map(is_artificial).astype(bool))


def split_sealing(tr: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transitions ``from_land_use, to_land_use, …`` split into (sealing: non-artificial →
    artificial, the rest)."""
    seal = sealing_mask(tr)
    return tr[seal].copy(), tr[~seal].copy()


def zan_law_path(years, pace_ha: float, *, first_decade_ha: dict[int, float] | None = None
                 ) -> pd.Series:
    """Hectares per year of the « loi » path (loi Climat et résilience, 2021).

    ``pace_ha``: the reference pace (ha/an, 2011–2020). Before 2021 the pace itself; then
    :func:`espass_geo.core.zan.zan_path` of the budget ``(1 − 0.5) × 10 × pace``: 2021–2030
    half the pace, 2031–2040 halved again, 2041–2050 linear from that to 0 in 2050 (net zero):
    year *y* gets ``pace/4 × (2050 − y)/10``; 0 after 2050 (parameters of
    ``factors/zan_parameters.csv``). ``first_decade_ha`` overrides years of 2021–2030
    (consumption observed, remaining budget spread).

    Example: a pace of 10 ha/an gives 5 ha/an in 2021–2030, 2.5 in 2031–2040, 2.25 in 2041,
    0.25 in 2049, 0 in 2050.
    """
    from espass_geo.core.zan import zan_parameters, zan_path

    p = zan_parameters()
    n = int(p["budget_last_year"]) - int(p["budget_first_year"]) + 1
    yrs = [int(y) for y in years]
    budget = (1.0 - float(p["reduction_2021_2030"])) * n * float(pace_ha)
    out = zan_path(budget, yrs).reindex(yrs).fillna(float(pace_ha)).astype(float)
    for y, v in (first_decade_ha or {}).items():
        if int(y) in out.index:
            out[int(y)] = float(v)
    return out.rename("area_ha").rename_axis("year")


def zan_variant_path(years, points: dict[int, float]) -> pd.Series:
    """Hectares per year of a user variant: linear between the given years, the first value
    before them and the last after them (``{2021: 12, 2031: 6}`` → 9 ha in 2026)."""
    xs = sorted(points)
    ys = [float(points[x]) for x in xs]
    yrs = list(years)
    return pd.Series(np.interp(yrs, xs, ys), index=pd.Index(yrs, name="year"),
                     name="area_ha", dtype=float)


def zan_decade(year: int) -> tuple[int, int]:
    """The accounting period of a year: its ZAN decade from 2021 (2021–2030, 2031–2040…),
    the year alone before 2021."""
    if year < ZAN_FIRST_DECADE[0]:
        return (year, year)
    first = ZAN_FIRST_DECADE[0] + 10 * ((year - ZAN_FIRST_DECADE[0]) // 10)
    return (first, first + 9)


def allocate_envelope(path: pd.Series, reserved: pd.Series) -> tuple[pd.Series, pd.DataFrame]:
    """Hectares of the envelope left to spread like past consumption, per year.

    ``path``: envelope ha/an by year; ``reserved``: hectares of the scenario's own
    urbanisation zones (seal actions) by year. The zones are taken from the envelope of their
    decade (the years of the decade inside the projection): what is left,
    ``E − A`` (never below 0), is spread over the decade's years in proportion to the path,
    so each year gets ``path × (E − A)/E``. Returns (the spread hectares by year, one row per
    decade ``period, envelope_ha, reserved_ha, spread_ha, over_ha``; ``over_ha`` > 0: the
    zones exceed the envelope).

    Example: a path of 5 ha/an over 2025–2030 (E = 30 ha) and a 12 ha zone in 2028: 18 ha
    left, 3 ha/an spread each year 2025–2030; 12 + 6 × 3 = 30 ha in the decade.
    """
    path = path.astype(float)
    reserved = reserved.reindex(path.index, fill_value=0.0).astype(float)
    periods = pd.Series([zan_decade(int(y)) for y in path.index], index=path.index)
    spread = pd.Series(0.0, index=path.index, name="area_ha")
    rows = []
    for period, years in periods.groupby(periods).groups.items():
        env = float(path.loc[years].sum())
        res = float(reserved.loc[years].sum())
        left = max(env - res, 0.0)
        if env > 0:
            spread.loc[years] = path.loc[years] * left / env
        rows.append({"period": f"{period[0]}–{period[1]}" if period[0] != period[1]
                     else str(period[0]), "first_year": int(min(years)),
                     "last_year": int(max(years)), "envelope_ha": env, "reserved_ha": res,
                     "spread_ha": float(spread.loc[years].sum()),
                     "over_ha": max(res - env, 0.0)})
    return spread, pd.DataFrame(rows)


def sealing_pattern(sealing: pd.DataFrame, start_land_use: pd.DataFrame, *,
                    zone_weights: pd.Series | None = None, sealed_share: float = 0.8
                    ) -> pd.DataFrame:
    """How one hectare of consumption is spread: ``zone_id, from_land_use, to_land_use,
    weight`` (weights sum to 1).

    ``sealing``: the trend's sealing transitions ``zone_id, from_land_use, to_land_use,
    area_ha`` (past consumption). Zone shares: ``zone_weights`` when given (e.g. the
    communes' 2011–2020 consumption), else the trend's. Within a zone, the mix of from/to land
    uses of its own past sealing, else the territory's, else (no observed sealing at all) the
    zone's non-artificial land but wetlands and waters (``start_land_use``: ``zone_id, land_use, area_ha``) going to
    ``sealed_share`` sealed and the rest grassed artificial land.
    """
    cols = ["zone_id", "from_land_use", "to_land_use", "weight"]
    s = sealing[sealing["area_ha"] > 0] if len(sealing) else sealing
    if len(s):
        mix = s.groupby(["zone_id", "from_land_use", "to_land_use"], as_index=False)[
            "area_ha"].sum()
    else:
        lu = start_land_use[~start_land_use["land_use"].map(is_artificial)
                            & ~start_land_use["land_use"].isin(["wetland", "unmapped"])
                            & (start_land_use["area_ha"] > 0)]
        lu = lu.groupby(["zone_id", "land_use"], as_index=False)["area_ha"].sum()
        mix = pd.concat([
            lu.assign(to_land_use="artificial_sealed", area_ha=lu["area_ha"] * sealed_share),
            lu.assign(to_land_use="artificial_grassed",
                      area_ha=lu["area_ha"] * (1 - sealed_share))], ignore_index=True)
        mix = mix.rename(columns={"land_use": "from_land_use"})
        mix = mix[mix["area_ha"] > 0]
    if mix.empty:
        return pd.DataFrame(columns=cols)
    own = mix.groupby("zone_id")["area_ha"].sum()
    if zone_weights is None:
        zw = own
    else:
        zw = zone_weights[zone_weights > 0].astype(float)
    if zw.sum() <= 0:
        return pd.DataFrame(columns=cols)
    zw = zw / zw.sum()
    terr = mix.groupby(["from_land_use", "to_land_use"], as_index=False)["area_ha"].sum()
    terr["share"] = terr["area_ha"] / terr["area_ha"].sum()
    parts = []
    for zone, w in zw.items():
        m = mix[mix["zone_id"] == zone]
        if len(m):
            shares = m["area_ha"] / m["area_ha"].sum()
            parts.append(pd.DataFrame({"zone_id": zone, "from_land_use": m["from_land_use"],
                                       "to_land_use": m["to_land_use"], "weight": w * shares}))
        else:  # a zone that consumed without sealing seen on the land cover: the territory's mix
            parts.append(pd.DataFrame({"zone_id": zone, "from_land_use": terr["from_land_use"],
                                       "to_land_use": terr["to_land_use"],
                                       "weight": w * terr["share"]}))
    return pd.concat(parts, ignore_index=True)[cols]


def spread_hectares(pattern: pd.DataFrame, hectares: pd.Series) -> pd.DataFrame:
    """Yearly transitions ``zone_id, from_land_use, to_land_use, area_ha, year`` of
    ``hectares`` (by year) spread by ``pattern`` (:func:`sealing_pattern`)."""
    cols = ["zone_id", "from_land_use", "to_land_use", "area_ha", "year"]
    rows = [pattern.assign(area_ha=pattern["weight"] * float(ha), year=int(y))
            for y, ha in hectares.items() if ha > 0]
    if not rows or pattern.empty:
        return pd.DataFrame(columns=cols)
    return pd.concat(rows, ignore_index=True)[cols]


def zan_hectares(transitions: pd.DataFrame, years, scenarios=None) -> pd.DataFrame:
    """Yearly hectares of ``transitions`` (``scenario, year, from_land_use, to_land_use,
    area_ha``): artificialised (non-artificial → artificial), renatured (artificial →
    non-artificial), net = artificialised − renatured, cumulated net from the first year.
    One row per scenario (``scenarios``, default those of the table) and year, zeros
    included."""
    t = transitions
    names = list(scenarios) if scenarios is not None else (
        list(dict.fromkeys(t["scenario"])) if len(t) else [])
    if len(t):
        fa = t["from_land_use"].map(is_artificial)
        ta = t["to_land_use"].map(is_artificial)
        t = t.assign(artificialised_ha=np.where(~fa & ta, t["area_ha"], 0.0),
                     renatured_ha=np.where(fa & ~ta, t["area_ha"], 0.0))
        g = t.groupby(["scenario", "year"])[["artificialised_ha", "renatured_ha"]].sum()
    else:
        g = pd.DataFrame(columns=["artificialised_ha", "renatured_ha"])
    idx = pd.MultiIndex.from_product([names, [int(y) for y in years]],
                                     names=["scenario", "year"])
    out = g.reindex(idx, fill_value=0.0).astype(float).reset_index()
    out["net_ha"] = out["artificialised_ha"] - out["renatured_ha"]
    out["cumulative_net_ha"] = out.groupby("scenario")["net_ha"].cumsum()
    return out[ZAN_HECTARE_COLUMNS]
