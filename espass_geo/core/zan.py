"""ZAN accounting (zéro artificialisation nette) and the carbon of every hectare consumed.

Pure functions: DataFrames in, DataFrames out, no file I/O. The parameters (reference period,
reduction, communal guarantee, post-2031 path, sealed share per destination) are the rows of
``factors/zan_parameters.csv``.

Inputs
------
A **consumption table** is the tidy table of :mod:`espass_geo.io.consumption` (Cerema « fichiers
fonciers » ENAF consumption): ``commune_id`` (INSEE, str), ``commune_name``, ``year`` (the year
consumed: Cerema ``naf11art12`` = 2011), ``destination`` (``total``, ``habitat``, ``activite``,
``mixte``, ``route``, ``ferroviaire``, ``inconnu``), ``area_ha`` (≥ 0). The hectares of a
commune and a year are its ``total`` row, or the sum of its destination rows when it has no
``total`` row.

Law and conventions (loi Climat et Résilience n° 2021-1104, art. 191 and 194; Mon Diagnostic
Artificialisation)
------------------------------------------------------------------------------------------------
* reference = ENAF consumption of the ten years 2011–2020 (1 Jan 2011 – 31 Dec 2020), all ten
  years required;
* budget 2021–2030 = ½ × reference; with the optional communal guarantee (loi n° 2023-630,
  art. 4) a commune covered by a local plan keeps at least 1 ha;
* the consumption of the years 2021–2030 observed so far is counted against the budget;
* after 2030 the law sets only net zero in 2050; the default path (a choice, ``derived``) is −50 %
  again for 2031–2040 and a straight line to zero in 2050 over 2041–2050.

Carbon (issue #12 item 3)
-------------------------
The cost of one hectare consumed is the carbon change of turning one hectare of what was there
(a mix of land uses) into artificial land, ``sealed_share`` sealed and the rest grassed/shrubby,
with the ALDO rules of :func:`espass_geo.core.flows.transition_flows`: soil, litter and biomass
losses at once, gains (e.g. the biomass of the grassed part) over 20 years, N2O on soil and
litter losses. The cost is the **whole change over the transition**: ALDO's unit flows already
hold the full 20-year change of a kinetic transition (annual rate × 20), so the instantaneous
parts and the 20-year kinetic parts are simply added, undiscounted (``instant_tCO2e_per_ha`` +
``kinetic_tCO2e_per_ha`` = ``tCO2e_per_ha``).

Signs. The package's flows are positive for sequestration, negative for emission. A *cost*
is an emission, so the cost columns (``tCO2e_per_ha``, ``tC_per_ha``, ``tCO2e``, ``cost_tCO2e``)
are **positive = tCO2e (tC) emitted**, the opposite of a flow; a *gain* of renaturation is
positive = sequestered, as a flow. Every output says which in its ``convention`` column.

Worked example (method.md §10 B, ZPC 2_1, NORD-OUEST, GWP N2O 273): one hectare of cropland
consumed, 0.8 sealed + 0.2 grassed: soil 0.8 × (30 − 50) + 0.2 × 19 = −12.2 tC; biomass of the
grassed part 0.2 × 0.35 × 20 = +1.4 tC (over 20 years); N2O on the 16 tC lost by the sealed part
16 × 0.35036 = 5.61 tCO2e; cost = (12.2 − 1.4) × 44/12 + 5.61 = 45.21 tCO2e/ha.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from espass_geo.constants import ARTIFICIAL_LAND_USES, DEFAULT_GWP_N2O
from espass_geo.errors import AreaTableError, FactorError
from espass_geo.reference import data

#: Destinations of the Cerema consumption file (``total`` = the ``nafYYartZZ`` columns).
DESTINATIONS: tuple[str, ...] = ("total", "habitat", "activite", "mixte", "route",
                                 "ferroviaire", "inconnu")
DETAIL_DESTINATIONS: tuple[str, ...] = DESTINATIONS[1:]
#: ``destination`` of a cost computed with a single sealed share (any destination).
ALL_DESTINATIONS = "all"
#: ``land_use_from`` of the share-weighted cost of a zone's mix.
MIX = "mix"
KINETIC_YEARS = 20
COST_CONVENTION = ("coût positif = émission (tCO2e ou tC déstockés) ; "
                   "opposé de la convention des flux (positif = séquestration)")
GAIN_CONVENTION = "gain positif = séquestration (convention des flux)"
ACCOUNT_COLUMNS = [
    "zone_id", "zone_name", "reference_2011_2020_ha", "budget_2021_2030_ha", "guarantee_applied",
    "consumed_since_2021_ha", "last_year_observed", "remaining_budget_ha", "budget_used_share",
    "over_budget", "reference_years", "years_observed_since_2021", "n_communes",
]
TRAJECTORY_COLUMNS = [
    "year", "period", "observed_ha", "cumulative_observed_since_2021_ha", "zan_ha",
    "cumulative_zan_ha", "trend_ha", "cumulative_trend_ha",
]
_TOL_HA = 1e-9
_CONSUMPTION = "table de consommation d'espaces (ENAF, Cerema)"


# ------------------------------------------------------------------------- parameters
def zan_parameters() -> pd.Series:
    """``factors/zan_parameters.csv`` as a Series ``parameter -> value`` (floats)."""
    t = data.factor_table("zan_parameters")  # the active factor set (amendable)
    return t.set_index("parameter")["value"].astype(float)


def _years(p: pd.Series, first: str, last: str) -> list[int]:
    return list(range(int(p[first]), int(p[last]) + 1))


def sealed_shares() -> pd.Series:
    """Sealed share of a hectare consumed per Cerema destination (``zan_parameters.csv``)."""
    p = zan_parameters()
    return pd.Series({d: float(p[f"sealed_share_{d}"]) for d in DESTINATIONS}, name="sealed_share")


def _span(years: Iterable[int]) -> str:
    ys = sorted(int(y) for y in years)
    if not ys:
        return ""
    return str(ys[0]) if len(ys) == 1 else f"{ys[0]}–{ys[-1]}"


# ------------------------------------------------------------------------- consumption
def _check_consumption(consumption: pd.DataFrame) -> pd.DataFrame:
    need = ["commune_id", "year", "destination", "area_ha"]
    missing = [c for c in need if c not in consumption.columns]
    if missing:
        raise AreaTableError(
            f"{_CONSUMPTION} : colonne(s) {', '.join(missing)} absente(s) ; attendu "
            f"{', '.join(need)} (lisez le fichier Cerema avec espass_geo.io.consumption).")
    c = consumption.copy()
    c["commune_id"] = c["commune_id"].astype(str)
    problems = []
    year = pd.to_numeric(c["year"], errors="coerce")
    bad = c.loc[year.isna() | (year != year.round()), "year"]
    if len(bad):
        problems.append(f"année(s) non entière(s) : {', '.join(map(str, bad.unique()[:5]))}")
    area = pd.to_numeric(c["area_ha"], errors="coerce")
    bad = c.loc[area.isna() | ~np.isfinite(area) | (area < 0)]
    if len(bad):
        ex = ", ".join(f"{r.commune_id} {r.year} {r.destination} : {r.area_ha!r}"
                       for r in bad.head(5).itertuples(index=False))
        problems.append(f"surface(s) area_ha manquante(s), non numérique(s) ou négative(s) ({ex})")
    unknown = sorted(set(c["destination"].astype(str)) - set(DESTINATIONS))
    if unknown:
        problems.append(f"destination(s) inconnue(s) {', '.join(unknown)} (attendu "
                        f"{', '.join(DESTINATIONS)})")
    if problems:
        raise AreaTableError(f"{_CONSUMPTION} : " + " ; ".join(problems)
                             + ". Corrigez la table (surfaces en hectares ≥ 0, années entières).")
    c["year"] = year.astype(int)
    c["area_ha"] = area.astype(float)
    c["destination"] = c["destination"].astype(str)
    dup = c[c.duplicated(["commune_id", "year", "destination"], keep=False)]
    if len(dup):
        ex = ", ".join(f"{r.commune_id} {r.year} {r.destination}"
                       for r in dup.drop_duplicates(["commune_id", "year", "destination"])
                       .head(5).itertuples(index=False))
        raise AreaTableError(f"{_CONSUMPTION} : lignes en double pour ({ex}) ; gardez une seule "
                             "ligne par commune, année et destination.")
    return c


def yearly_consumption(consumption: pd.DataFrame) -> pd.DataFrame:
    """``commune_id, year, area_ha``: the ``total`` row of each commune and year, or the sum of
    its destination rows when there is no ``total`` row."""
    c = _check_consumption(consumption)
    tot = c[c["destination"] == "total"].groupby(["commune_id", "year"])["area_ha"].sum()
    det = c[c["destination"] != "total"].groupby(["commune_id", "year"])["area_ha"].sum()
    out = tot.combine_first(det).rename("area_ha").reset_index()
    return out.sort_values(["commune_id", "year"]).reset_index(drop=True)


def _zone_map(zones: pd.DataFrame | None, communes: pd.Index) -> pd.Series:
    """commune_id -> zone_id (identity without ``zones``); communes of ``zones`` absent from the
    consumption table raise."""
    if zones is None:
        return pd.Series(communes, index=communes)
    for col in ("commune_id", "zone_id"):
        if col not in zones.columns:
            raise AreaTableError(f"table des zones : colonne {col} absente ; donnez une ligne par "
                                 "commune avec commune_id et zone_id.")
    z = zones.assign(commune_id=zones["commune_id"].astype(str),
                     zone_id=zones["zone_id"].astype(str))
    dup = z[z["commune_id"].duplicated() & z.duplicated(["commune_id", "zone_id"]).eq(False)]
    if len(dup):
        raise AreaTableError(f"table des zones : commune(s) {', '.join(dup['commune_id'][:5])} "
                             "rattachée(s) à plusieurs zones ; gardez une zone par commune.")
    z = z.drop_duplicates("commune_id")
    absent = sorted(set(z["commune_id"]) - set(communes))
    if absent:
        raise AreaTableError(
            f"{_CONSUMPTION} : pas de consommation pour la/les commune(s) "
            f"{', '.join(absent[:10])}{' …' if len(absent) > 10 else ''} de la table des zones ; "
            "vérifiez les codes INSEE (5 caractères) et le millésime du fichier Cerema.")
    return z.set_index("commune_id")["zone_id"]


def _check_reference(wide: pd.DataFrame, ref_years: list[int]) -> None:
    absent = [y for y in ref_years if y not in wide.columns]
    if absent:
        raise AreaTableError(
            f"{_CONSUMPTION} : la période de référence {_span(ref_years)} demande les dix années "
            f"{', '.join(map(str, ref_years))} ; année(s) {', '.join(map(str, absent))} "
            "absente(s). Utilisez le fichier Cerema complet (colonnes naf11art12 à naf20art21).")
    holes = wide[ref_years].isna()
    if holes.any().any():
        ex = "; ".join(f"{cid} : {', '.join(str(y) for y in ref_years if holes.loc[cid, y])}"
                       for cid in holes.index[holes.any(axis=1)][:5])
        raise AreaTableError(
            f"{_CONSUMPTION} : année(s) de référence absente(s) pour des communes ({ex}) ; "
            f"chaque commune doit avoir les dix années {_span(ref_years)}. Utilisez le fichier "
            "Cerema complet.")


def _observed_since(wide: pd.DataFrame, first: int, last: int) -> list[int]:
    """Years first..last present in the table; a gap raises (it would undercount)."""
    years = sorted(y for y in wide.columns if first <= y <= last)
    if years and years != list(range(first, years[-1] + 1)):
        gaps = sorted(set(range(first, years[-1] + 1)) - set(years))
        raise AreaTableError(
            f"{_CONSUMPTION} : année(s) {', '.join(map(str, gaps))} absente(s) entre {first} et "
            f"{years[-1]} ; la consommation depuis {first} serait sous-estimée. Utilisez le "
            "fichier Cerema complet.")
    holes = wide[years].isna()
    if holes.any().any():
        ex = "; ".join(f"{cid} : {', '.join(str(y) for y in years if holes.loc[cid, y])}"
                       for cid in holes.index[holes.any(axis=1)][:5])
        raise AreaTableError(
            f"{_CONSUMPTION} : année(s) absente(s) depuis {first} pour des communes ({ex}) ; leur "
            "consommation serait sous-estimée. Utilisez le fichier Cerema complet.")
    return years


def _wide(consumption: pd.DataFrame) -> pd.DataFrame:
    y = yearly_consumption(consumption)
    return y.pivot(index="commune_id", columns="year", values="area_ha")


def _names(consumption: pd.DataFrame, zones: pd.DataFrame | None, names: dict | None,
           ids: pd.Index) -> pd.Series:
    out = pd.Series(ids, index=ids, dtype=object)
    if zones is not None:
        if "zone_name" in zones.columns:
            zn = zones.assign(zone_id=zones["zone_id"].astype(str)).drop_duplicates("zone_id")
            zn = zn.set_index("zone_id")["zone_name"].dropna()
            out.update(zn[zn.index.isin(ids)])
    elif "commune_name" in consumption.columns:
        cn = consumption.assign(commune_id=consumption["commune_id"].astype(str))
        cn = cn.dropna(subset=["commune_name"]).drop_duplicates("commune_id")
        cn = cn.set_index("commune_id")["commune_name"]
        out.update(cn[cn.index.isin(ids)])
    if names:
        nm = pd.Series({str(k): v for k, v in names.items()}, dtype=object)
        out.update(nm[nm.index.isin(ids)])
    return out


def zan_accounts(consumption: pd.DataFrame, *, zones: pd.DataFrame | None = None,
                 plu_communes: set[str] | None = None, guarantee: bool = False,
                 names: dict | None = None) -> pd.DataFrame:
    """ZAN accounts per commune, or per zone when ``zones`` (``commune_id, zone_id`` [+
    ``zone_name``]) groups communes (sums; communes of the table outside ``zones`` are left out).

    ``reference_2011_2020_ha`` = Σ consumption 2011–2020 (all ten years required, else
    :class:`AreaTableError`); ``budget_2021_2030_ha`` = (1 − 0.5) × reference, per commune; with
    ``guarantee`` a commune of ``plu_communes`` (``None`` = every commune) keeps at least the
    communal guarantee (1 ha): ``guarantee_applied`` is true where it raised the budget (per zone:
    for at least one of its communes). ``consumed_since_2021_ha`` = Σ of the years 2021–2030
    observed (``years_observed_since_2021``, e.g. « 2021–2022 »); ``remaining_budget_ha`` =
    budget − consumed (negative when over); ``budget_used_share`` = consumed / budget (NaN when
    the budget is 0); ``over_budget`` = consumed > budget.

    E.g. 1 ha/an 2011–2020 then 0.8 ha in 2021 and 0.6 in 2022: reference 10, budget 5, consumed
    1.4, remaining 3.6, used 0.28.
    """
    p = zan_parameters()
    ref_years = _years(p, "reference_first_year", "reference_last_year")
    b_first, b_last = int(p["budget_first_year"]), int(p["budget_last_year"])
    wide = _wide(consumption)
    zmap = _zone_map(zones, wide.index)
    wide = wide.loc[zmap.index]
    _check_reference(wide, ref_years)
    since = _observed_since(wide, b_first, b_last)
    reference = wide[ref_years].sum(axis=1)
    budget = (1.0 - float(p["reduction_2021_2030"])) * reference
    applied = pd.Series(False, index=wide.index)
    if guarantee:
        g = float(p["communal_guarantee_ha"])
        covered = pd.Series(True, index=wide.index) if plu_communes is None else \
            wide.index.to_series().isin({str(x) for x in plu_communes})
        applied = covered & (budget < g)
        budget = budget.where(~applied, g)
    consumed = wide[since].fillna(0.0).sum(axis=1) if since else pd.Series(0.0, index=wide.index)
    per = pd.DataFrame({"zone_id": zmap.values, "reference_2011_2020_ha": reference.values,
                        "budget_2021_2030_ha": budget.values, "guarantee_applied": applied.values,
                        "consumed_since_2021_ha": consumed.values, "n_communes": 1})
    agg = per.groupby("zone_id", sort=True).agg(
        reference_2011_2020_ha=("reference_2011_2020_ha", "sum"),
        budget_2021_2030_ha=("budget_2021_2030_ha", "sum"),
        guarantee_applied=("guarantee_applied", "any"),
        consumed_since_2021_ha=("consumed_since_2021_ha", "sum"),
        n_communes=("n_communes", "sum"),
    ).reset_index()
    agg["zone_name"] = agg["zone_id"].map(_names(consumption, zones, names,
                                                  pd.Index(agg["zone_id"])))
    agg["last_year_observed"] = since[-1] if since else ref_years[-1]
    agg["remaining_budget_ha"] = agg["budget_2021_2030_ha"] - agg["consumed_since_2021_ha"]
    b = agg["budget_2021_2030_ha"]
    agg["budget_used_share"] = (agg["consumed_since_2021_ha"] / b.where(b > 0)).astype(float)
    agg["over_budget"] = agg["consumed_since_2021_ha"] > b + _TOL_HA
    agg["reference_years"] = _span(ref_years)
    agg["years_observed_since_2021"] = _span(since) or "aucune"
    agg["guarantee_applied"] = agg["guarantee_applied"].astype(bool)
    return agg[ACCOUNT_COLUMNS]


# ------------------------------------------------------------------------- trajectory
def zan_path(budget_ha: float, years: Iterable[int]) -> pd.Series:
    """The ZAN path, hectares per year: 2021–2030 budget / 10; 2031–2040 (1 − 0.5) × that;
    2041–2050 linear to zero in 2050: pace_2031_2040 × (2050 − y) / 10; 0 after 2050; NaN
    before 2021. (Parameters of ``zan_parameters.csv``.)"""
    p = zan_parameters()
    b_first, b_last = int(p["budget_first_year"]), int(p["budget_last_year"])
    n = b_last - b_first + 1
    pace1 = budget_ha / n
    pace2 = (1.0 - float(p["reduction_2031_2040"])) * pace1
    p2_last = b_last + n
    zero = int(p["net_zero_year"])
    out = {}
    for y in years:
        if y < b_first:
            out[y] = np.nan
        elif y <= b_last:
            out[y] = pace1
        elif y <= p2_last:
            out[y] = pace2
        elif y <= zero:
            out[y] = pace2 * (zero - y) / (zero - p2_last)
        else:
            out[y] = 0.0
    return pd.Series(out, dtype=float)


def _period(y: int, p: pd.Series) -> str:
    r0, r1 = int(p["reference_first_year"]), int(p["reference_last_year"])
    b0, b1 = int(p["budget_first_year"]), int(p["budget_last_year"])
    zero = int(p["net_zero_year"])
    n = b1 - b0 + 1
    if r0 <= y <= r1:
        return f"référence {r0}–{r1}"
    if y < b0:
        return "avant la référence" if y < r0 else "hors période"
    if y <= b1:
        return f"{b0}–{b1}"
    if y <= b1 + n:
        return f"{b1 + 1}–{b1 + n}"
    if y <= zero:
        return f"{b1 + n + 1}–{zero}"
    return f"après {zero}"


def zan_trajectory(accounts: pd.DataFrame, consumption: pd.DataFrame, *, horizon: int = 2050,
                   trend: str = "reference", zones: pd.DataFrame | None = None,
                   first_year: int = 2021) -> pd.DataFrame:
    """Yearly trajectory of the whole territory of ``accounts`` (hectares).

    ``observed_ha``: the consumption of the year (NaN after the last year observed);
    ``cumulative_observed_since_2021_ha``; ``zan_ha``: the ZAN path (:func:`zan_path`) of the
    territory's budget Σ ``budget_2021_2030_ha`` (guarantees included); ``trend_ha``: the
    observed consumption while observed, then the chosen pace: ``trend="reference"`` (default:
    the 2011–2020 mean, reference / 10, the law's own baseline, insensitive to one exceptional
    year) or ``"recent"`` (mean of the last three years observed); ``cumulative_*`` from 2021.
    ``first_year=2011`` adds the reference years (observed only) for a chart.
    ``consumption`` is restricted to the communes of ``accounts`` (or of ``zones``, as given to
    :func:`zan_accounts`); its reference must equal the accounts' (else :class:`AreaTableError`).
    """
    if trend not in ("reference", "recent"):
        raise ValueError("trend must be 'reference' or 'recent'")
    p = zan_parameters()
    ref_years = _years(p, "reference_first_year", "reference_last_year")
    b_first, b_last = int(p["budget_first_year"]), int(p["budget_last_year"])
    if horizon < b_first:
        raise ValueError(f"horizon must be ≥ {b_first}")
    wide = _wide(consumption)
    if zones is None:
        ids = set(accounts["zone_id"].astype(str))
        wide = wide[wide.index.isin(ids)]
    else:
        wide = wide.loc[_zone_map(zones, wide.index).index]
    _check_reference(wide, ref_years)
    ref_total = float(wide[ref_years].sum().sum())
    acc_ref = float(accounts["reference_2011_2020_ha"].sum())
    if not math.isclose(ref_total, acc_ref, rel_tol=1e-9, abs_tol=1e-6):
        raise AreaTableError(
            f"{_CONSUMPTION} : la référence 2011–2020 de la table ({ref_total:.4f} ha) n'est pas "
            f"celle des comptes ZAN ({acc_ref:.4f} ha) ; donnez la même table (et les mêmes "
            "zones) qu'à zan_accounts.")
    since = _observed_since(wide, b_first, max(horizon, b_last))
    observed_total = wide.sum(axis=0, min_count=1)
    years = list(range(min(first_year, b_first), horizon + 1))
    out = pd.DataFrame({"year": years})
    out["period"] = [_period(y, p) for y in years]
    out["observed_ha"] = [float(observed_total[y]) if y in observed_total.index
                          and not pd.isna(observed_total[y]) else np.nan for y in years]
    after = out["year"] >= b_first
    obs_since = out["observed_ha"].where(after)
    out["cumulative_observed_since_2021_ha"] = obs_since.cumsum().where(obs_since.notna())
    budget = float(accounts["budget_2021_2030_ha"].sum())
    out["zan_ha"] = zan_path(budget, years).values
    out["cumulative_zan_ha"] = out["zan_ha"].where(after).cumsum().where(after)
    if trend == "reference":
        pace = ref_total / len(ref_years)
    else:
        observed_years = [y for y in observed_total.index if not pd.isna(observed_total[y])]
        last3 = sorted(observed_years)[-3:]
        pace = float(observed_total[last3].mean())
    last = since[-1] if since else b_first - 1
    t = np.where(out["year"] <= last, out["observed_ha"], pace)
    out["trend_ha"] = pd.Series(t, dtype=float).where(after)
    out["cumulative_trend_ha"] = out["trend_ha"].cumsum().where(after)
    out = out[out["year"] >= first_year].reset_index(drop=True)
    return out[TRAJECTORY_COLUMNS]


# ------------------------------------------------------------------------- territorialisation
def _close(values: pd.Series, total: float) -> pd.Series:
    """Put the rounding residual on the largest value so that fsum(values) == total."""
    v = values.astype(float).copy()
    if len(v) and total != 0:
        v.iloc[int(np.argmax(v.to_numpy()))] += total - math.fsum(v)
    return v


def territorialise(envelope_ha: float, consumption: pd.DataFrame | None = None, *,
                   by: str = "consumption", population: pd.DataFrame | None = None,
                   table: pd.DataFrame | None = None,
                   zones: pd.DataFrame | None = None) -> pd.DataFrame:
    """Split a SCoT's envelope of hectares among communes (or zones).

    ``by="consumption"``: pro rata of the reference consumption 2011–2020 (of ``consumption``,
    grouped by ``zones`` if given); ``"population"``: pro rata of ``population`` (``zone_id,
    population``); ``"table"``: the user's ``table`` (``zone_id`` and ``share`` summing to 1 ±
    1e-6, or ``envelope_ha`` summing to the envelope). Returns ``zone_id, share, envelope_ha,
    basis``; the shares sum to 1 and the hectares to the envelope (closure asserted: the rounding
    residual goes to the largest share).
    """
    if envelope_ha is None or not math.isfinite(float(envelope_ha)) or envelope_ha < 0:
        raise AreaTableError(f"enveloppe foncière {envelope_ha!r} ha invalide ; donnez un nombre "
                             "d'hectares positif ou nul.")
    envelope_ha = float(envelope_ha)
    if by == "consumption":
        if consumption is None:
            raise AreaTableError("répartition par consommation passée : donnez la table de "
                                 "consommation (Cerema).")
        p = zan_parameters()
        ref_years = _years(p, "reference_first_year", "reference_last_year")
        wide = _wide(consumption)
        zmap = _zone_map(zones, wide.index)
        wide = wide.loc[zmap.index]
        _check_reference(wide, ref_years)
        weights = wide[ref_years].sum(axis=1).groupby(zmap.values).sum()
        basis = f"consommation d'ENAF {_span(ref_years)}"
        if not weights.sum() > 0:
            raise AreaTableError(f"{_CONSUMPTION} : consommation {_span(ref_years)} nulle sur tout "
                                 "le territoire ; répartissez par population ou par table.")
    elif by == "population":
        if population is None or not {"zone_id", "population"} <= set(population.columns):
            raise AreaTableError("répartition par population : donnez une table zone_id, "
                                 "population.")
        pop = population.assign(zone_id=population["zone_id"].astype(str))
        _check_unique(pop, "table de population")
        v = pd.to_numeric(pop["population"], errors="coerce")
        if v.isna().any() or (v < 0).any() or not v.sum() > 0:
            raise AreaTableError("table de population : populations manquantes, négatives ou "
                                 "toutes nulles ; corrigez la colonne population.")
        weights = pd.Series(v.to_numpy(float), index=pop["zone_id"])
        basis = "population"
    elif by == "table":
        return _user_split(envelope_ha, table)
    else:
        raise ValueError("by must be 'consumption', 'population' or 'table'")
    shares = _close(weights / weights.sum(), 1.0)
    out = pd.DataFrame({"zone_id": weights.index.astype(str), "share": shares.to_numpy()})
    out["envelope_ha"] = _close(out["share"] * envelope_ha, envelope_ha).to_numpy()
    out["basis"] = basis
    return _assert_closed(out, envelope_ha)


def _check_unique(t: pd.DataFrame, what: str) -> None:
    dup = t.loc[t["zone_id"].duplicated(), "zone_id"]
    if len(dup):
        raise AreaTableError(f"{what} : zone(s) {', '.join(dup.unique()[:5])} en double ; gardez "
                             "une ligne par zone.")


def _user_split(envelope_ha: float, table: pd.DataFrame | None) -> pd.DataFrame:
    what = "table de répartition de l'enveloppe"
    if table is None or "zone_id" not in table.columns or not (
            {"share", "envelope_ha"} & set(table.columns)):
        raise AreaTableError(f"{what} : colonnes zone_id et share (parts) ou envelope_ha "
                             "(hectares) attendues.")
    t = table.assign(zone_id=table["zone_id"].astype(str))
    _check_unique(t, what)
    col = "share" if "share" in t.columns else "envelope_ha"
    v = pd.to_numeric(t[col], errors="coerce")
    if v.isna().any() or (v < 0).any():
        raise AreaTableError(f"{what} : valeurs de {col} manquantes ou négatives ; corrigez-les.")
    if col == "share":
        s = math.fsum(v)
        if abs(s - 1.0) > 1e-6:
            raise AreaTableError(f"{what} : les parts somment à {s:.6f}, pas à 1 ; corrigez-les "
                                 "(tolérance 1e-6).")
        shares = v / s
    else:
        s = math.fsum(v)
        if abs(s - envelope_ha) > 1e-6 * max(1.0, envelope_ha) or not s > 0:
            raise AreaTableError(f"{what} : les enveloppes somment à {s:.4f} ha, pas à "
                                 f"l'enveloppe de {envelope_ha:.4f} ha ; corrigez-les.")
        shares = v / s
    out = pd.DataFrame({"zone_id": t["zone_id"].to_numpy(),
                        "share": _close(pd.Series(shares.to_numpy(float)), 1.0).to_numpy()})
    out["envelope_ha"] = _close(out["share"] * envelope_ha, envelope_ha).to_numpy()
    out["basis"] = "table de l'utilisateur"
    return _assert_closed(out, envelope_ha)


def _assert_closed(out: pd.DataFrame, envelope_ha: float) -> pd.DataFrame:
    assert abs(math.fsum(out["share"]) - 1.0) <= 1e-12, "territorialise: shares do not close"
    assert abs(math.fsum(out["envelope_ha"]) - envelope_ha) <= 1e-9 * max(1.0, envelope_ha), \
        "territorialise: hectares do not close"
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------- carbon
_NON_ARTIFICIAL_EXCLUDED = set(ARTIFICIAL_LAND_USES) | {"unmapped"}


def _check_mix(from_mix: pd.DataFrame) -> pd.DataFrame:
    need = {"zone_id", "land_use", "share"}
    if not need <= set(from_mix.columns):
        raise AreaTableError("mélange d'occupation avant consommation (from_mix) : colonnes "
                             "zone_id, land_use, share attendues.")
    m = from_mix.assign(zone_id=from_mix["zone_id"].astype(str))
    m = m.groupby(["zone_id", "land_use"], as_index=False, sort=False)["share"].sum()
    art = sorted(set(m["land_use"]) & set(ARTIFICIAL_LAND_USES))
    if art:
        raise AreaTableError(f"from_mix : occupation(s) {', '.join(art)} déjà artificielle(s) ; "
                             "le mélange décrit ce qui était là avant la consommation (cultures, "
                             "prairies, forêts…).")
    s = m.groupby("zone_id")["share"].sum()
    bad = s[(s - 1.0).abs() > 1e-6]
    if len(bad):
        ex = ", ".join(f"{z} : {v:.6f}" for z, v in bad.head(5).items())
        raise AreaTableError(f"from_mix : les parts ne somment pas à 1 par zone ({ex}) ; "
                             "corrigez-les.")
    return m


def _unit_costs(keys: pd.DataFrame, land_uses: list[str], method: str,
                gwp_n2o: float) -> pd.DataFrame:
    """Per (zpc, region_code, land_use_from, to) the change of 1 ha, as flows (+ = gain):
    ``c_tC, c_tCO2e, c_instant, c_kinetic, c_n2o`` (tC for c_tC, tCO2e for the others)."""
    from espass_geo.core.flows import transition_flows

    keys = keys.reset_index(drop=True).assign(zone_id=lambda d: [f"k{i}" for i in d.index])
    attrs = keys.assign(zone_name=keys["zone_id"], zpc_weight=1.0)
    rows = [(k, lu, to) for k in attrs["zone_id"] for lu in land_uses
            for to in ("artificial_sealed", "artificial_grassed")]
    tr = pd.DataFrame(rows, columns=["zone_id", "from_land_use", "to_land_use"])
    tr["area_ha_an"] = 1.0
    fl = transition_flows(tr, attrs, method=method, gwp_n2o=gwp_n2o)
    base = tr[["zone_id", "from_land_use", "to_land_use"]].copy()
    if len(fl):
        fl = fl.assign(
            c_tC=fl["flux_tC_an"].fillna(0.0),
            c_n2o=np.where(fl["gas"] == "N2O", fl["flux_tCO2e_an"], 0.0),
            c_instant=np.where(fl["mode"] == "kinetic", 0.0, fl["flux_tCO2e_an"]),
            c_kinetic=np.where(fl["mode"] == "kinetic", fl["flux_tCO2e_an"], 0.0),
        ).rename(columns={"flux_tCO2e_an": "c_tCO2e"})
        s = fl.groupby(["zone_id", "from_land_use", "to_land_use"], as_index=False)[
            ["c_tC", "c_tCO2e", "c_instant", "c_kinetic", "c_n2o"]].sum()
        base = base.merge(s, on=["zone_id", "from_land_use", "to_land_use"], how="left")
    for c in ("c_tC", "c_tCO2e", "c_instant", "c_kinetic", "c_n2o"):
        base[c] = base[c].astype(float).fillna(0.0) if c in base else 0.0
    return base.merge(keys, on="zone_id").drop(columns="zone_id")


def carbon_cost_per_ha(from_mix: pd.DataFrame, attrs: pd.DataFrame, *,
                       to_sealed_share: float | pd.Series | None = None, method: str = "aldo",
                       gwp_n2o: float = DEFAULT_GWP_N2O, detail: bool = False,
                       zpc_override: str | None = None) -> pd.DataFrame:
    """Carbon released by consuming one hectare, per zone (and destination).

    ``from_mix``: ``zone_id, land_use, share`` (what was there; shares sum to 1 per zone; see
    :func:`from_mix_from_changes`); ``attrs``: zone attributes as :func:`compute_flows` takes them
    (``zone_id, zpc, region_code`` [+ ``zpc_weight``]); ``to_sealed_share``: the sealed share of
    the artificial land made (the rest grassed/shrubby): a float (one row per zone, ``destination
    = "all"``) or a Series indexed by Cerema destination; ``None`` = the shares of
    ``zan_parameters.csv`` per destination (0.8 each, ALDO's rule).

    One hectare = ``sealed_share`` ha of ``land_use → artificial_sealed`` + the rest of
    ``land_use → artificial_grassed``, priced with :func:`espass_geo.core.flows.transition_flows`
    (soil, litter, biomass, N2O). ``tCO2e_per_ha`` (positive = emitted) is the whole change:
    ``instant_tCO2e_per_ha`` (losses and one-off gains, N2O included) + ``kinetic_tCO2e_per_ha``
    (gains over 20 years, counted in full, negative as they are gains); ``tC_per_ha`` the carbon
    only (no N2O). Rows: ``land_use_from = "mix"`` (share-weighted) per zone and destination, and
    with ``detail`` also one row per land use of the mix.
    """
    from espass_geo.territory.zones import zone_attributes

    m = _check_mix(from_mix)
    a = zone_attributes(attrs.assign(zone_id=attrs["zone_id"].astype(str)),
                        zpc_override=zpc_override)
    missing = sorted(set(m["zone_id"]) - set(a["zone_id"]))
    if missing:
        raise FactorError(f"zone(s) {', '.join(missing[:5])} du mélange from_mix sans attributs "
                          "(zpc, region_code) ; donnez-les dans attrs ou donnez --zpc.")
    if to_sealed_share is None:
        shares = sealed_shares()
    elif isinstance(to_sealed_share, pd.Series):
        shares = to_sealed_share.astype(float)
    else:
        shares = pd.Series({ALL_DESTINATIONS: float(to_sealed_share)})
    if shares.isna().any() or (shares < 0).any() or (shares > 1).any():
        raise FactorError(f"part imperméabilisée hors de [0, 1] : {shares.to_dict()} ; donnez "
                          "une part entre 0 et 1.")
    a = a[a["zone_id"].isin(set(m["zone_id"]))]
    keys = a[["zpc", "region_code"]].drop_duplicates()
    unit = _unit_costs(keys, sorted(set(m["land_use"])), method, gwp_n2o)
    # per zone: weighted over its ZPC rows
    z = a[["zone_id", "zpc", "region_code", "zpc_weight"]].merge(unit, on=["zpc", "region_code"])
    cols = ["c_tC", "c_tCO2e", "c_instant", "c_kinetic", "c_n2o"]
    z[cols] = z[cols].mul(z["zpc_weight"], axis=0)
    z = z.groupby(["zone_id", "from_land_use", "to_land_use"], as_index=False)[cols].sum()
    seal = z[z["to_land_use"] == "artificial_sealed"].set_index(["zone_id", "from_land_use"])[cols]
    grass = z[z["to_land_use"] == "artificial_grassed"].set_index(
        ["zone_id", "from_land_use"])[cols]
    parts = []
    for dest, s in shares.items():
        per = (seal * s + grass * (1.0 - s)).reset_index()
        per["destination"] = dest
        per["sealed_share"] = s
        parts.append(per)
    per = pd.concat(parts, ignore_index=True).rename(columns={"from_land_use": "land_use_from"})
    per = per.merge(m.rename(columns={"land_use": "land_use_from"})[
        ["zone_id", "land_use_from", "share"]], on=["zone_id", "land_use_from"])
    # a cost is the opposite of the flow
    per["tC_per_ha"] = -per["c_tC"] + 0.0  # + 0.0: no « -0.0 » in the outputs
    per["tCO2e_per_ha"] = -per["c_tCO2e"] + 0.0
    per["instant_tCO2e_per_ha"] = -per["c_instant"] + 0.0
    per["kinetic_tCO2e_per_ha"] = -per["c_kinetic"] + 0.0
    per["n2o_tCO2e_per_ha"] = -per["c_n2o"] + 0.0
    vals = ["tC_per_ha", "tCO2e_per_ha", "instant_tCO2e_per_ha", "kinetic_tCO2e_per_ha",
            "n2o_tCO2e_per_ha"]
    mix = per[vals].mul(per["share"], axis=0).assign(
        zone_id=per["zone_id"], destination=per["destination"],
        sealed_share=per["sealed_share"]).groupby(
        ["zone_id", "destination", "sealed_share"], as_index=False, sort=False)[vals].sum()
    mix["land_use_from"] = MIX
    mix["share"] = 1.0
    out = pd.concat([mix, per] if detail else [mix], ignore_index=True)
    out["method"] = method
    out["gwp_n2o"] = float(gwp_n2o)
    out["convention"] = COST_CONVENTION
    out = out[["zone_id", "destination", "land_use_from", "share", "sealed_share", *vals,
               "method", "gwp_n2o", "convention"]]
    order = {d: i for i, d in enumerate([*DESTINATIONS, ALL_DESTINATIONS])}
    out = out.assign(_d=out["destination"].map(order).fillna(99),
                     _m=(out["land_use_from"] != MIX).astype(int))
    return out.sort_values(["zone_id", "_d", "_m", "land_use_from"]).drop(
        columns=["_d", "_m"]).reset_index(drop=True)


def renaturation_gain_per_ha(to_land_use: str | Iterable[str], attrs: pd.DataFrame, *,
                             from_land_use: str = "artificial_sealed", method: str = "aldo",
                             gwp_n2o: float = DEFAULT_GWP_N2O,
                             zpc_override: str | None = None) -> pd.DataFrame:
    """Carbon regained per hectare renatured (désartificialisé) from ``from_land_use`` (sealed
    by default) to ``to_land_use``, per zone (ALDO rules, :func:`transition_flows`).

    ``gain_tCO2e_per_ha`` (positive = sequestered, as a flow) is the whole change: instant parts
    + the full 20-year kinetic parts; ``gain_tCO2e_per_ha_per_year`` = gain / 20, the mean yearly
    gain over the 20 years ALDO spreads gains over. ALDO treats sealed land as cropland for
    transitions out of it (method.md §6.4): sealed → grassland in 2_1 = cropland → grassland,
    0.37 × 20 = 7.4 tC/ha (27.13 tCO2e/ha, 1.36 tCO2e/ha/an), not the full stock difference.
    """
    from espass_geo.core.flows import transition_flows
    from espass_geo.territory.zones import zone_attributes

    targets = [to_land_use] if isinstance(to_land_use, str) else list(to_land_use)
    a = zone_attributes(attrs.assign(zone_id=attrs["zone_id"].astype(str)),
                        zpc_override=zpc_override)
    ids = list(dict.fromkeys(a["zone_id"]))
    tr = pd.DataFrame([(z, from_land_use, t) for z in ids for t in targets],
                      columns=["zone_id", "from_land_use", "to_land_use"])
    tr["area_ha_an"] = 1.0
    fl = transition_flows(tr, a[["zone_id", "zone_name", "zpc", "region_code", "zpc_weight"]],
                          method=method, gwp_n2o=gwp_n2o)
    keys = ["zone_id", "from_land_use", "to_land_use"]
    out = tr[keys].copy()
    if len(fl):
        fl = fl.assign(
            gain_tC_per_ha=fl["flux_tC_an"].fillna(0.0),
            gain_tCO2e_per_ha=fl["flux_tCO2e_an"],
            instant_gain_tCO2e_per_ha=np.where(fl["mode"] == "kinetic", 0.0, fl["flux_tCO2e_an"]),
            kinetic_gain_tCO2e_per_ha=np.where(fl["mode"] == "kinetic", fl["flux_tCO2e_an"], 0.0))
        s = fl.groupby(keys, as_index=False)[["gain_tC_per_ha", "gain_tCO2e_per_ha",
                                              "instant_gain_tCO2e_per_ha",
                                              "kinetic_gain_tCO2e_per_ha"]].sum()
        out = out.merge(s, on=keys, how="left")
    for c in ("gain_tC_per_ha", "gain_tCO2e_per_ha", "instant_gain_tCO2e_per_ha",
              "kinetic_gain_tCO2e_per_ha"):
        out[c] = out[c].astype(float).fillna(0.0) if c in out else 0.0
    out["gain_tCO2e_per_ha_per_year"] = out["gain_tCO2e_per_ha"] / KINETIC_YEARS
    out["method"] = method
    out["convention"] = GAIN_CONVENTION
    return out.reset_index(drop=True)


def consumption_carbon(consumption: pd.DataFrame, cost_per_ha: pd.DataFrame, *,
                       zones: pd.DataFrame | None = None) -> pd.DataFrame:
    """Carbon cost of the hectares consumed: ``zone_id, year, destination, area_ha, tCO2e, tC,
    convention`` (positive = emitted).

    A commune-year is costed by its destination rows, each at the cost of its destination (or the
    ``"all"`` cost); the part of its ``total`` not broken down by destination (all of it when it
    has no destination row) keeps ``destination = "total"``, costed at the ``total`` (or
    ``"all"``) cost; so the hectares of each commune and year add up to its total. Costs
    (:func:`carbon_cost_per_ha`, ``land_use_from = "mix"``) are per commune, or per zone when
    ``zones`` groups the communes; results are summed per zone. Rows of zero hectares are left
    out (a commune that consumed nothing needs no cost).
    """
    c = _check_consumption(consumption)
    if zones is not None:
        zmap = _zone_map(zones, pd.Index(c["commune_id"].unique()))
        c = c[c["commune_id"].isin(zmap.index)]
    tot = c[c["destination"] == "total"].set_index(["commune_id", "year"])["area_ha"]
    det = c[c["destination"] != "total"]
    det_sum = det.groupby(["commune_id", "year"])["area_ha"].sum()
    rest = tot.sub(det_sum, fill_value=0.0)
    rest = rest[rest > _TOL_HA].rename("area_ha").reset_index().assign(destination="total")
    rows = pd.concat([det[["commune_id", "year", "destination", "area_ha"]], rest],
                     ignore_index=True)
    cost = cost_per_ha
    if "land_use_from" in cost.columns:
        cost = cost[cost["land_use_from"] == MIX]
    cost = cost.assign(zone_id=cost["zone_id"].astype(str))
    ids = set(cost["zone_id"])
    communes = set(rows["commune_id"])
    if communes <= ids:
        rows["cost_id"] = rows["commune_id"]
    elif zones is not None and set(zmap[list(communes)]) <= ids:
        rows["cost_id"] = rows["commune_id"].map(zmap)
    else:
        missing = sorted(communes - ids)
        raise FactorError(f"pas de coût carbone par hectare pour la/les commune(s) "
                          f"{', '.join(missing[:10])} ; calculez carbon_cost_per_ha pour toutes "
                          "les communes (ou toutes les zones) de la table de consommation.")
    byd = cost.set_index(["zone_id", "destination"])[["tCO2e_per_ha", "tC_per_ha"]]
    k = pd.MultiIndex.from_arrays([rows["cost_id"], rows["destination"]])
    k_all = pd.MultiIndex.from_arrays([rows["cost_id"], pd.Series(ALL_DESTINATIONS,
                                                                   index=rows.index)])
    for col in ("tCO2e_per_ha", "tC_per_ha"):
        v = pd.Series(byd[col].reindex(k).to_numpy(), index=rows.index)
        v = v.fillna(pd.Series(byd[col].reindex(k_all).to_numpy(), index=rows.index))
        rows[col] = v
    if rows["tCO2e_per_ha"].isna().any():
        bad = rows[rows["tCO2e_per_ha"].isna()][["cost_id", "destination"]].drop_duplicates()
        ex = ", ".join(f"{r.cost_id}/{r.destination}" for r in bad.head(5).itertuples())
        raise FactorError(f"pas de coût carbone par hectare pour ({ex}) ; calculez "
                          "carbon_cost_per_ha avec ces destinations ou une part imperméabilisée "
                          "unique (destination « all »).")
    rows["tCO2e"] = rows["area_ha"] * rows["tCO2e_per_ha"]
    rows["tC"] = rows["area_ha"] * rows["tC_per_ha"]
    rows["zone_id"] = rows["commune_id"] if zones is None else rows["commune_id"].map(zmap)
    out = rows.groupby(["zone_id", "year", "destination"], as_index=False, sort=True)[
        ["area_ha", "tCO2e", "tC"]].sum()
    out["convention"] = COST_CONVENTION
    return out


def carbon_cost_indicator(accounts: pd.DataFrame, consumption_carbon: pd.DataFrame
                          ) -> pd.DataFrame:
    """« Coût carbone de l'artificialisation » per zone of ``accounts``: ``zone_id, zone_name,
    consumed_since_2021_ha, cost_tCO2e`` (of the years 2021–2030 observed),
    ``cost_tCO2e_per_ha`` (NaN without consumption), ``reference_cost_tCO2e`` (of 2011–2020),
    ``convention`` (positive = emitted)."""
    p = zan_parameters()
    r0, r1 = int(p["reference_first_year"]), int(p["reference_last_year"])
    b0, b1 = int(p["budget_first_year"]), int(p["budget_last_year"])
    cc = consumption_carbon.assign(zone_id=consumption_carbon["zone_id"].astype(str))
    since = cc[cc["year"].between(b0, b1)].groupby("zone_id")["tCO2e"].sum()
    ref = cc[cc["year"].between(r0, r1)].groupby("zone_id")["tCO2e"].sum()
    out = accounts[["zone_id", "zone_name", "consumed_since_2021_ha"]].copy()
    out["zone_id"] = out["zone_id"].astype(str)
    out["cost_tCO2e"] = out["zone_id"].map(since).fillna(0.0)
    ha = out["consumed_since_2021_ha"]
    out["cost_tCO2e_per_ha"] = (out["cost_tCO2e"] / ha.where(ha > 0)).astype(float)
    out["reference_cost_tCO2e"] = out["zone_id"].map(ref).fillna(0.0)
    out["convention"] = COST_CONVENTION
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------- what was there
def from_mix_from_areas(areas: pd.DataFrame) -> pd.DataFrame:
    """The non-artificial land-use mix of each zone from an area table (``zone_id, land_use,
    area_ha`` or CLC ``zone_id, code, area_ha``): artificial land and land without an ALDO class
    (rocks, beaches: ``unmapped``) left out, and with CLC codes the water bodies (5xx) too.
    Returns ``zone_id, land_use, share, mix_source``."""
    t = areas.assign(zone_id=areas["zone_id"].astype(str))
    if "land_use" not in t.columns:
        if "code" not in t.columns:
            raise AreaTableError("table des surfaces : colonnes zone_id, land_use (ou code CLC), "
                                 "area_ha attendues.")
        from espass_geo.reference.factors import map_codes

        t = t[~t["code"].astype(str).str.startswith("5")]
        t = t.assign(land_use=map_codes(t["code"], source="table des surfaces"))
    t = t[~t["land_use"].isin(_NON_ARTIFICIAL_EXCLUDED) & (t["area_ha"] > 0)]
    g = t.groupby(["zone_id", "land_use"], as_index=False)["area_ha"].sum()
    g["share"] = g["area_ha"] / g.groupby("zone_id")["area_ha"].transform("sum")
    g["mix_source"] = "occupation du sol non artificielle de la zone"
    return g[["zone_id", "land_use", "share", "mix_source"]]


def _territory_mix(t: pd.DataFrame, source: str) -> pd.DataFrame:
    g = t.groupby("land_use", as_index=False)["area_ha"].sum()
    g["share"] = g["area_ha"] / g["area_ha"].sum()
    g["mix_source"] = source
    return g[["land_use", "share", "mix_source"]]


def from_mix_from_changes(transitions: pd.DataFrame, *, areas: pd.DataFrame | None = None,
                          zone_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """What was artificialised, per zone: ``zone_id, land_use, share, mix_source``.

    ``transitions``: ``zone_id, from_land_use, to_land_use, area_ha`` (from
    :func:`espass_geo.core.flows.land_use_transitions`; a CLC change table ``zone_id, from_code,
    to_code, area_ha`` is converted). The mix of a zone is the land it turned artificial
    (non-artificial → artificial rows). Fallbacks, in order, for a zone of ``zone_ids`` (default:
    the zones of both tables) without such rows: (1) its non-artificial land-use mix from
    ``areas`` (:func:`from_mix_from_areas`); (2) the mix the whole territory artificialised;
    (3) the territory's non-artificial mix from ``areas``. ``mix_source`` says which.
    """
    from espass_geo.core.flows import is_sealing, land_use_transitions

    tr = transitions
    if "from_land_use" not in tr.columns:
        tr = land_use_transitions(tr)
    tr = tr.assign(zone_id=tr["zone_id"].astype(str))
    seal = tr[is_sealing(tr["from_land_use"], tr["to_land_use"]) & (tr["area_ha"] > 0)
              & (tr["from_land_use"] != "unmapped")]
    seal = seal.rename(columns={"from_land_use": "land_use"})
    own = seal.groupby(["zone_id", "land_use"], as_index=False)["area_ha"].sum()
    own["share"] = own["area_ha"] / own.groupby("zone_id")["area_ha"].transform("sum")
    own["mix_source"] = "changements d'occupation observés vers l'artificiel (zone)"
    area_mix = from_mix_from_areas(areas) if areas is not None else None
    ids = list(dict.fromkeys(
        [str(z) for z in zone_ids] if zone_ids is not None else
        [*tr["zone_id"], *(area_mix["zone_id"] if area_mix is not None else [])]))
    parts = [own[own["zone_id"].isin(ids)][["zone_id", "land_use", "share", "mix_source"]]]
    todo = [z for z in ids if z not in set(own["zone_id"])]
    if todo and area_mix is not None:
        am = area_mix[area_mix["zone_id"].isin(todo)]
        parts.append(am)
        todo = [z for z in todo if z not in set(am["zone_id"])]
    if todo:
        if len(seal):
            terr = _territory_mix(seal, "changements vers l'artificiel observés sur le territoire")
        elif areas is not None and area_mix is not None and len(area_mix):
            t = areas.assign(zone_id=areas["zone_id"].astype(str))
            if "land_use" not in t.columns:
                from espass_geo.reference.factors import map_codes

                t = t[~t["code"].astype(str).str.startswith("5")]
                t = t.assign(land_use=map_codes(t["code"], source="table des surfaces"))
            t = t[~t["land_use"].isin(_NON_ARTIFICIAL_EXCLUDED) & (t["area_ha"] > 0)]
            terr = _territory_mix(t, "occupation du sol non artificielle du territoire")
        else:
            raise AreaTableError(
                f"zone(s) {', '.join(todo[:5])} : ni changement vers l'artificiel ni table des "
                "surfaces pour dire ce qui était là avant la consommation ; donnez une table de "
                "changements ou une table des surfaces (ou un mélange from_mix).")
        parts.append(pd.concat([terr.assign(zone_id=z) for z in todo], ignore_index=True))
    out = pd.concat(parts, ignore_index=True)[["zone_id", "land_use", "share", "mix_source"]]
    return out.sort_values(["zone_id", "land_use"]).reset_index(drop=True)
