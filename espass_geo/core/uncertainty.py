"""Uncertainty: 90 % intervals of stocks, flows and the bilan (issue #13, item 4).

Every factor table has a relative standard error in ``factors/uncertainty.csv`` (one row per
table × quantity, ``*`` for the whole table): a published one where it exists (IPCC 2006 Tier 1
error ranges), a documented default otherwise (``confidence = derived``; ALDO and the RMQS publish
no standard error for their reference values). Intervals come from a vectorised Monte Carlo
(fixed seed, no Python loop over draws) or, when every factor is normal, from the exact formula.

Model
-----
A result is a sum of components ``value_c`` (a stock of one zone × land use × pool × ZPC, a
flow record…). Each component is the product of an area taken as exact (land cover is not
propagated: see the ``land_cover_area`` row) and a factor; the factor's error is a multiplier
``m_f`` of mean 1 and standard deviation ``rel_se_f``::

    total(draw) = Σ_c value_c × m_{f(c)}(draw)

Correlation structure (documented in factors/README.md):

* **one draw per factor, shared by every zone**: a factor error is systematic, so two zones
  using the same factor move together (the territory interval of two identical zones is twice
  one zone's, not √2 times);
* a *factor* is one row of ``uncertainty.csv`` × one factor class: the ALDO soil class for soil
  stocks (``cultures``, ``prairies``…), the biomass class or forest composition for biomass, the
  from → to pair of classes for transition flows, the forest composition for growth. By default
  the same class shares one draw in every ZPC and region (the per-ZPC values come from one RMQS
  processing chain with common depth and bulk-density assumptions: their errors are treated as
  systematic, which is conservative); pass ``independent_by=("zpc",)`` to draw each ZPC apart;
* different factors are independent.

Distributions of the multiplier (mean 1, standard deviation ``s``): ``normal`` ``1 + s z``;
``lognormal`` ``exp(μ + σ z)`` with ``σ² = ln(1 + s²)``, ``μ = −σ²/2`` (positive, sign of the
value kept); ``uniform`` on ``1 ± s√3``.

Worked example (the test's hand case): two components of 100 and 200 tC with independent normal
errors of 10 % and 5 %: σ = √(10² + 10²) = 14.14 tC, the 90 % interval is 300 ± 1.645 × 14.14 =
[276.7, 323.3] tC; the Monte Carlo gives it within 2 %.

Pure functions: DataFrames in, DataFrames out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from espass_geo.errors import FactorError

DEFAULT_N = 2000
DEFAULT_SEED = 20261130
DEFAULT_LEVEL = 0.90
TOTAL = "TOTAL"
DISTRIBUTIONS = ("normal", "lognormal", "uniform")
UNCERTAINTY_TABLE = "uncertainty"
#: Upper bound of a dense factor × group matrix (floats); larger sums are done in group chunks.
_MAX_DENSE = 20_000_000
#: Keys of the components' draws (columns added by :func:`stock_components` and
#: :func:`flow_components`).
DRAW_KEYS = ("unc_table", "unc_quantity", "factor_class")


# ------------------------------------------------------------------------- the table
def uncertainty_table() -> pd.DataFrame:
    """``factors/uncertainty.csv`` of the active factor set (or the shipped file if the table
    is not registered in :mod:`espass_geo.reference.factor_set`)."""
    from espass_geo.reference import data
    from espass_geo.reference.factor_set import TABLES

    if UNCERTAINTY_TABLE in TABLES:
        t = data.factor_table(UNCERTAINTY_TABLE)
    else:  # pragma: no cover - until the table is registered
        t = data.read_csv(data.data_path("factors", "uncertainty.csv"))
    return check_uncertainty_table(t)


def check_uncertainty_table(t: pd.DataFrame, *, path: str = "factors/uncertainty.csv"
                            ) -> pd.DataFrame:
    """Check the columns, distributions and relative errors; raise :class:`FactorError`."""
    missing = [c for c in ("table", "quantity", "rel_se", "distribution") if c not in t.columns]
    if missing:
        raise FactorError(f"table d'incertitudes '{path}' : colonne(s) manquante(s) "
                          f"{', '.join(missing)} ; reprenez l'en-tête de factors/uncertainty.csv.")
    t = t.copy()
    t["table"] = t["table"].astype(str).str.strip()
    t["quantity"] = t["quantity"].astype(str).str.strip()
    t["distribution"] = t["distribution"].astype(str).str.strip()
    rse = pd.to_numeric(t["rel_se"], errors="coerce")
    problems = []
    for i in np.flatnonzero((rse.isna() | (rse < 0)).to_numpy()):
        problems.append(f"ligne {i + 2}, rel_se : {t['rel_se'].iloc[i]!r} n'est pas une erreur "
                        "relative positive (0,15 pour ±15 % à 1 écart-type)")
    for i in np.flatnonzero((~t["distribution"].isin(DISTRIBUTIONS)).to_numpy()):
        problems.append(f"ligne {i + 2}, distribution : {t['distribution'].iloc[i]!r} n'est pas "
                        f"l'une de {', '.join(DISTRIBUTIONS)}")
    if problems:
        raise FactorError(f"table d'incertitudes '{path}' invalide :\n"
                          + "\n".join(f"  - {p}" for p in problems)
                          + "\nCorrigez ces lignes.")
    t["rel_se"] = rse.astype(float)
    return t


def _lookup(t: pd.DataFrame) -> dict[tuple[str, str], tuple[float, str]]:
    return {(r.table, r.quantity): (float(r.rel_se), r.distribution)
            for r in t.itertuples(index=False)}


def _rse(lk: dict, table: str, quantity: str) -> tuple[float, str]:
    if (table, quantity) in lk:
        return lk[(table, quantity)]
    if (table, "*") in lk:
        return lk[(table, "*")]
    raise FactorError(f"pas d'incertitude pour la table « {table} » (grandeur « {quantity} ») "
                      "dans factors/uncertainty.csv ; ajoutez une ligne "
                      f"« {table},{quantity} » ou « {table},* ».")


# ------------------------------------------------------------------------- the engine
def _multipliers(rse: np.ndarray, dist: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n × F`` multipliers of mean 1 and standard deviations ``rse`` (one column per factor)."""
    rng = np.random.default_rng(seed)
    f = len(rse)
    z = rng.standard_normal((n, f))
    u = rng.random((n, f))
    m = np.ones((n, f))
    normal = dist == "normal"
    m[:, normal] = 1.0 + rse[normal] * z[:, normal]
    logn = dist == "lognormal"
    sig = np.sqrt(np.log1p(rse[logn] ** 2))
    m[:, logn] = np.exp(-0.5 * sig ** 2 + sig * z[:, logn])
    uni = dist == "uniform"
    m[:, uni] = 1.0 + rse[uni] * math.sqrt(3.0) * (2.0 * u[:, uni] - 1.0)
    return m


def simulate_groups(values: np.ndarray, factor: np.ndarray, group: np.ndarray, n_groups: int,
                    rse: np.ndarray, dist: np.ndarray, *, n: int = DEFAULT_N,
                    seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL,
                    method: str = "mc") -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of ``Σ_{c in g} values_c × m_{factor_c}`` for every group ``g``.

    ``factor`` and ``group`` are integer codes per component (``0..F-1``, ``0..n_groups-1``);
    ``rse`` and ``dist`` are per factor. A component may appear in several groups (repeat it).
    ``method="analytic"``: exact normal interval ``sum ± z σ`` with
    ``σ² = Σ_f (rse_f × Σ_{c in g, f} value_c)²`` (every factor must be normal).
    Vectorised: the sums per factor × group are aggregated first (``A``, F × G), then the
    draws are one matrix product ``M (n × F) @ A``; groups are chunked when ``A`` is large.
    """
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    values = np.asarray(values, dtype=float)
    values = np.where(np.isfinite(values), values, 0.0)
    factor = np.asarray(factor, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    rse = np.asarray(rse, dtype=float)
    dist = np.asarray(dist, dtype=object)
    n_f = len(rse)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    # sums per (factor, group): sparse triplets aggregated
    key = factor * n_groups + group
    uniq, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv, weights=values, minlength=len(uniq))
    f_of, g_of = uniq // n_groups, uniq % n_groups
    point = np.bincount(group, weights=values, minlength=n_groups)
    if method == "analytic":
        if n_f and not np.all(dist[np.unique(factor)] == "normal"):
            raise ValueError("analytic intervals need normal factors only")
        var = np.bincount(g_of, weights=(rse[f_of] * sums) ** 2, minlength=n_groups)
        zq = _norm_ppf(hi_q)
        sd = np.sqrt(var)
        return point - zq * sd, point + zq * sd
    if method != "mc":
        raise ValueError("method must be 'mc' or 'analytic'")
    m = _multipliers(rse, dist, n, seed)
    lo = np.empty(n_groups)
    hi = np.empty(n_groups)
    order = np.argsort(g_of, kind="stable")
    f_sorted, g_sorted, s_sorted = f_of[order], g_of[order], sums[order]
    gstart = np.searchsorted(g_sorted, np.arange(n_groups + 1))
    if len(uniq) * 20 < n_f * n_groups:
        # sparse (many independent factors): gather the columns of each (factor, group) pair
        # and add them per group; chunks of groups keep n × pairs below _MAX_DENSE
        per_chunk = max(1, _MAX_DENSE // max(n, 1))
        chunk_of = gstart[:-1] // per_chunk
        cuts = np.flatnonzero(np.diff(chunk_of)) + 1
        for gs in np.split(np.arange(n_groups), cuts):  # chunks of groups, not of draws
            g0, g1 = int(gs[0]), int(gs[-1]) + 1
            sl = slice(gstart[g0], gstart[g1])
            sims_pairs = m[:, f_sorted[sl]] * s_sorted[sl]
            sims = np.add.reduceat(sims_pairs, gstart[g0:g1] - gstart[g0], axis=1)
            q = np.quantile(sims, [lo_q, hi_q], axis=0)
            lo[g0:g1], hi[g0:g1] = q[0], q[1]
        return lo, hi
    chunk = max(1, min(_MAX_DENSE // max(n_f, 1), _MAX_DENSE // max(n, 1)))
    for g0 in range(0, n_groups, chunk):  # chunks of groups, never a loop over draws
        g1 = min(g0 + chunk, n_groups)
        sl = slice(gstart[g0], gstart[g1])
        a = np.zeros((n_f, g1 - g0))
        np.add.at(a, (f_sorted[sl], g_sorted[sl] - g0), s_sorted[sl])
        sims = m @ a
        q = np.quantile(sims, [lo_q, hi_q], axis=0)
        lo[g0:g1], hi[g0:g1] = q[0], q[1]
    return lo, hi


def _norm_ppf(p: float) -> float:
    """Standard normal quantile (bisection on erf; exact to 1e-12)."""
    a, b = -10.0, 10.0
    for _ in range(200):
        mid = (a + b) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            a = mid
        else:
            b = mid
    return (a + b) / 2


def _suffixes(level: float) -> tuple[str, str]:
    lo = round(100 * (1 - level) / 2, 6)
    hi = round(100 - lo, 6)

    def fmt(x: float) -> str:
        return f"{x:02.0f}" if float(x).is_integer() else f"{x:g}".replace(".", "_")

    return f"_p{fmt(lo)}", f"_p{fmt(hi)}"


def interval_of_sum(components: pd.DataFrame, value_col: str, key_cols: Sequence[str],
                    uncertainty_keys: Sequence[str], *, rel_se_col: str = "rel_se",
                    distribution_col: str = "distribution", n: int = DEFAULT_N,
                    seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL, total: bool = True,
                    method: str = "mc") -> pd.DataFrame:
    """Interval of the sum of ``value_col`` per ``key_cols`` (and a ``TOTAL`` row).

    Components with the same values in ``uncertainty_keys`` share one draw (one factor);
    ``rel_se_col`` and ``distribution_col`` give each factor's relative standard error and
    distribution (one value per factor). Returns ``key_cols, value_col, value_col_p05,
    value_col_p95`` (suffixes for ``level=0.90``); the point value is the plain sum; the
    ``TOTAL`` row has ``TOTAL`` in the first key column and empty strings in the others.
    """
    key_cols, ukeys = list(key_cols), list(uncertainty_keys)
    lo_s, hi_s = _suffixes(level)
    cols = [*key_cols, value_col, value_col + lo_s, value_col + hi_s]
    missing = [c for c in [value_col, *key_cols, *ukeys, rel_se_col, distribution_col]
               if c not in components.columns]
    if missing:
        raise ValueError(f"components lack columns {missing}")
    comp = components.reset_index(drop=True)
    if comp.empty:
        return pd.DataFrame(columns=cols)
    fcode = comp.groupby(ukeys, sort=True, dropna=False).ngroup().to_numpy()
    n_f = int(fcode.max()) + 1
    rse = np.zeros(n_f)
    dist = np.empty(n_f, dtype=object)
    first = pd.Series(np.arange(len(comp))).groupby(fcode).first().to_numpy()
    rse[:] = pd.to_numeric(comp[rel_se_col], errors="coerce").fillna(0.0).to_numpy()[first]
    dist[:] = comp[distribution_col].astype(str).to_numpy()[first]
    per_factor = comp.groupby(fcode)[[rel_se_col, distribution_col]].nunique(dropna=False)
    if (per_factor > 1).any(axis=None):
        raise ValueError("one factor (same uncertainty keys) has several rel_se or distributions")
    if key_cols:
        keys = comp[key_cols].astype(object).where(comp[key_cols].notna(), "")
        gcode = keys.groupby(key_cols, sort=True).ngroup().to_numpy()
        gkeys = keys.groupby(key_cols, sort=True).size().reset_index()[key_cols]
    else:
        gcode = np.zeros(len(comp), dtype=np.int64)
        gkeys = pd.DataFrame(index=[0])
    n_g = len(gkeys)
    values = pd.to_numeric(comp[value_col], errors="coerce").to_numpy(dtype=float)
    fc, gc, vals = fcode, gcode, values
    if total:
        fc = np.concatenate([fcode, fcode])
        gc = np.concatenate([gcode, np.full(len(comp), n_g)])
        vals = np.concatenate([values, values])
    n_out = n_g + (1 if total else 0)
    lo, hi = simulate_groups(vals, fc, gc, n_out, rse, dist, n=n, seed=seed, level=level,
                             method=method)
    point = np.bincount(gc, weights=np.where(np.isfinite(vals), vals, 0.0), minlength=n_out)
    out = gkeys.copy()
    if total:
        tot = {c: "" for c in key_cols}
        if key_cols:
            tot[key_cols[0]] = TOTAL
        out = pd.concat([out, pd.DataFrame([tot])], ignore_index=True)
    out[value_col] = point
    out[value_col + lo_s] = lo
    out[value_col + hi_s] = hi
    return out[cols] if key_cols else out[cols[len(key_cols):]]


# ------------------------------------------------------------------------- stocks
_F_RE = re.compile(r"(F_LU|F_MG|F_I) (\S+) ([0-9.]+)")


def _ipcc_rse(source: str, lk: dict) -> float:
    """Combined relative error of SOC_ref × F_LU × F_MG × F_I (reference levels, value 1, carry
    none): √(σ_ref² + Σ σ_F²)."""
    var = _rse(lk, "ipcc_soc_ref", "*")[0] ** 2
    for name, _level, value in _F_RE.findall(str(source)):
        if abs(float(value) - 1.0) > 1e-9:
            var += _rse(lk, "ipcc_stock_change_factors", name)[0] ** 2
    return math.sqrt(var)


def _classes() -> pd.DataFrame:
    from espass_geo.reference.factors import land_use_classes

    return land_use_classes()


def _cls(classes: pd.DataFrame, land_use, col: str) -> str:
    if land_use in classes.index:
        v = classes.loc[land_use, col]
        return v if isinstance(v, str) else ""
    return ""


def stock_components(stocks: pd.DataFrame, *, table: pd.DataFrame | None = None,
                     independent_by: Sequence[str] = ()) -> pd.DataFrame:
    """The stocks long table (:func:`espass_geo.core.stocks.compute_stocks`) with each row's
    factor: ``unc_table, unc_quantity, factor_class, rel_se, distribution``.

    soil → ``aldo_soil_stock_ref`` by soil class (methods ``aldo``, ``aldo-epci``…) or IPCC
    (``ipcc_soc_ref`` ⊕ non-reference ``ipcc_stock_change_factors`` read from the row's
    ``factor_source``); litter → ``aldo_litter``; forest live biomass / dead wood →
    ``ign_forest_carbon`` by composition; other live biomass → ``aldo_biomass_nonforest`` by
    biomass class; hedges → ``aldo_hedge_carbon``. ``independent_by`` columns (e.g. ``zpc``)
    are added to ``factor_class`` so that each of their values gets its own draw.
    """
    lk = _lookup(check_uncertainty_table(table) if table is not None else uncertainty_table())
    classes = _classes()
    out = stocks.copy()
    method = out["method"] if "method" in out else pd.Series("aldo", index=out.index)
    source = out["factor_source"] if "factor_source" in out else pd.Series("", index=out.index)
    recs = []
    for lu, pool, meth, src in zip(out["land_use"], out["pool"], method, source, strict=True):
        recs.append(_stock_factor(lk, classes, lu, pool, str(meth), str(src)))
    f = pd.DataFrame(recs, columns=[*DRAW_KEYS, "rel_se", "distribution"], index=out.index)
    out[list(f.columns)] = f
    for c in independent_by:
        out["factor_class"] = out["factor_class"] + "|" + out[c].astype(str)
    return out


def _stock_factor(lk, classes, lu, pool, method, source) -> tuple:
    if pool == "soil":
        sc = _cls(classes, lu, "soil_class")
        if method == "ipcc" and "ALDO" not in source:
            rse = _ipcc_rse(source, lk)
            return ("ipcc_soc_ref", "*", f"{lu}|{source}", rse, _rse(lk, "ipcc_soc_ref", "*")[1])
        return ("aldo_soil_stock_ref", sc or "*", sc or lu,
                *_rse(lk, "aldo_soil_stock_ref", sc or "*"))
    if pool == "litter":
        return ("aldo_litter", "*", "forest_litter", *_rse(lk, "aldo_litter", "*"))
    if pool in ("live_biomass", "dead_wood"):
        bc = _cls(classes, lu, "biomass_class")
        if bc == "forest" or pool == "dead_wood" or str(lu).startswith("forest"):
            comp = _cls(classes, lu, "forest_composition") or lu
            return ("ign_forest_carbon", pool, comp, *_rse(lk, "ign_forest_carbon", pool))
        return ("aldo_biomass_nonforest", bc or "*", bc or lu,
                *_rse(lk, "aldo_biomass_nonforest", bc or "*"))
    if pool == "hedges":
        return ("aldo_hedge_carbon", "*", "hedges", *_rse(lk, "aldo_hedge_carbon", "*"))
    if pool == "wood_products":  # aldo-epci stocks: the national stock shared by population
        return ("wood_products_france", "*", f"stock|{lu}", *_rse(lk, "wood_products_france", "*"))
    raise FactorError(f"réservoir « {pool} » sans incertitude connue ; ajoutez sa table dans "
                      "factors/uncertainty.csv et dans espass_geo/core/uncertainty.py.")


def stock_interval(stocks: pd.DataFrame, *, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
                   level: float = DEFAULT_LEVEL, method: str = "aldo",
                   by: Sequence[str] = ("zone_id",), independent_by: Sequence[str] = (),
                   table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per zone (``by``) and ``TOTAL``: ``stock_tC, stock_tC_p05, stock_tC_p95``.

    ``method`` is the default stock method of rows without a ``method`` column (the stocks
    table carries one per row). Areas are exact; factor errors are shared across zones (see
    the module docstring). ``zone_name`` is carried when present (``Territoire`` for TOTAL).
    """
    s = stocks if "method" in stocks else stocks.assign(method=method)
    comp = stock_components(s, table=table, independent_by=independent_by)
    out = interval_of_sum(comp, "stock_tC", list(by), DRAW_KEYS, n=n, seed=seed, level=level)
    return _with_names(out, stocks, list(by))


def _with_names(out: pd.DataFrame, src: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if by == ["zone_id"] and "zone_name" in src:
        names = src.drop_duplicates("zone_id").set_index("zone_id")["zone_name"]
        out.insert(1, "zone_name", out["zone_id"].map(names))
        out.loc[out["zone_id"] == TOTAL, "zone_name"] = "Territoire"
    return out


# ------------------------------------------------------------------------- flows
def flow_components(flows: pd.DataFrame, *, table: pd.DataFrame | None = None,
                    independent_by: Sequence[str] = ()) -> pd.DataFrame:
    """The flow records (:func:`espass_geo.core.flows.compute_flows`) with each record's factor.

    land-use change: soil → ``aldo_soil_flux`` (quantity = mode ``kinetic``/``instant``, class
    = from → to soil classes) or IPCC (``ipcc_soc_ref`` ⊕ F_LU); litter → ``aldo_litter``;
    live biomass → ``ign_forest_carbon`` (deforestation) or ``aldo_biomass_nonforest_flux``;
    dead wood → ``ign_forest_carbon``; N2O → ``n2o_soil_loss``. Forest growth →
    ``ign_forest_carbon`` ``net_growth`` by composition; wood products →
    ``wood_products_france`` by kind (BO, BI).
    """
    lk = _lookup(check_uncertainty_table(table) if table is not None else uncertainty_table())
    classes = _classes()
    out = flows.copy()
    if "cause" not in out and "category" in out:  # aldo-epci flows (core/aldo_epci.py)
        out["cause"] = out["category"].map(_EPCI_CAUSE).fillna(out["category"])
        out["from_land_use"] = out.get("land_use_from", "")
        out["to_land_use"] = out.get("land_use_to", "")
        if "ground_type_to" in out:  # wood products: the ALDO type « produits bois »
            wood = out["category"] == "wood_products"
            out.loc[wood, "to_land_use"] = out.loc[wood, "detail"].astype(str)
    get = lambda c, d="": out[c] if c in out else pd.Series(d, index=out.index)  # noqa: E731
    recs = [_flow_factor(lk, classes, *row) for row in zip(
        get("cause"), get("pool"), get("mode"), get("method", "aldo"), get("from_land_use"),
        get("to_land_use"), get("factor_source"), strict=True)]
    f = pd.DataFrame(recs, columns=[*DRAW_KEYS, "rel_se", "distribution"], index=out.index)
    out[list(f.columns)] = f
    for c in independent_by:
        out["factor_class"] = out["factor_class"] + "|" + out[c].astype(str)
    return out


_EPCI_CAUSE = {"soil": "land_use_change", "litter": "land_use_change",
               "biomass": "land_use_change", "n2o": "land_use_change"}


def _flow_factor(lk, classes, cause, pool, mode, method, from_lu, to_lu, source) -> tuple:
    cause, pool, mode = str(cause), str(pool), str(mode)
    pair = f"{from_lu}>{to_lu}"
    if cause == "agricultural_practice":
        return ("practices_aldo", "*", str(source) if pool == "" else f"{pool}|{to_lu}",
                *_rse(lk, "practices_aldo", "*"))
    if pool in ("soil_litter", "soil_litter_n2o"):
        return ("n2o_soil_loss", "*", "n2o", *_rse(lk, "n2o_soil_loss", "*"))
    if cause == "forest_growth":  # « forest:feuillus » (aldo) or a forest land use (aldo-epci)
        lu = str(from_lu) if isinstance(from_lu, str) and from_lu else str(to_lu)
        comp = _cls(classes, lu, "forest_composition") or lu.split(":")[-1]
        return ("ign_forest_carbon", "net_growth", comp,
                *_rse(lk, "ign_forest_carbon", "net_growth"))
    if cause == "wood_products":
        kind = str(to_lu).split(":")[-1]
        return ("wood_products_france", "*", kind, *_rse(lk, "wood_products_france", "*"))
    if pool == "soil":
        fs, ts = _cls(classes, from_lu, "soil_class"), _cls(classes, to_lu, "soil_class")
        if str(method) == "ipcc" and "GIEC" in str(source):
            var = _rse(lk, "ipcc_soc_ref", "*")[0] ** 2 + \
                _rse(lk, "ipcc_stock_change_factors", "F_LU")[0] ** 2
            return ("ipcc_soc_ref", "*", pair, math.sqrt(var), _rse(lk, "ipcc_soc_ref", "*")[1])
        # unknown mode (aldo-epci records carry none): the kinetic row, the larger error
        q = mode if mode in ("kinetic", "instant") else "kinetic"
        return ("aldo_soil_flux", q, f"{fs or from_lu}>{ts or to_lu}",
                *_rse(lk, "aldo_soil_flux", q))
    if pool == "litter":
        return ("aldo_litter", "*", "forest_litter", *_rse(lk, "aldo_litter", "*"))
    if pool == "dead_wood":
        comp = _cls(classes, from_lu, "forest_composition") or str(from_lu)
        return ("ign_forest_carbon", "dead_wood", comp, *_rse(lk, "ign_forest_carbon", "dead_wood"))
    if pool == "live_biomass":
        if _cls(classes, from_lu, "biomass_class") == "forest":
            comp = _cls(classes, from_lu, "forest_composition")
            return ("ign_forest_carbon", "live_biomass", comp or str(from_lu),
                    *_rse(lk, "ign_forest_carbon", "live_biomass"))
        fb, tb = _cls(classes, from_lu, "biomass_class"), _cls(classes, to_lu, "biomass_class")
        return ("aldo_biomass_nonforest_flux", "*", f"{fb or from_lu}>{tb or to_lu}",
                *_rse(lk, "aldo_biomass_nonforest_flux", "*"))
    if pool == "soil_litter_n2o":
        return ("n2o_soil_loss", "*", "n2o", *_rse(lk, "n2o_soil_loss", "*"))
    if pool == "wood_products":
        return ("wood_products_france", "*", str(to_lu), *_rse(lk, "wood_products_france", "*"))
    raise FactorError(f"flux « {cause} / {pool} » sans incertitude connue ; ajoutez sa table "
                      "dans factors/uncertainty.csv et dans espass_geo/core/uncertainty.py.")


def flow_interval(flows: pd.DataFrame, *, value_col: str = "flux_tCO2e_an", n: int = DEFAULT_N,
                  seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL,
                  by: Sequence[str] = ("zone_id",), independent_by: Sequence[str] = (),
                  table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per zone (``by``) and ``TOTAL``: ``flux_tCO2e_an, flux_tCO2e_an_p05, …_p95`` (sign
    convention of the flows: + = sequestration). ``value_col="flux_tC_an"`` leaves N2O out."""
    comp = flow_components(flows, table=table, independent_by=independent_by)
    out = interval_of_sum(comp, value_col, list(by), DRAW_KEYS, n=n, seed=seed, level=level)
    return _with_names(out, flows, list(by))


# ------------------------------------------------------------------------- bilan
_BILAN_KEYS = ["theme", "category", "item", "unit", "sign_convention", "source", "method",
               "estimate"]
_EMISSION_THEMES = {"emissions_secteur", "emissions_poste", "emissions_poste_direct",
                    "polluants"}


def _bilan_factor(lk, classes, theme, category, item, method, source, estimate) -> tuple:
    """(unc_table, unc_quantity, factor_class, rel_se, distribution) of one bilan row, or a
    zero-error factor when no uncertainty is known."""
    none = ("none", "*", "", 0.0, "normal")
    if theme == "stocks":
        return _stock_factor(lk, classes, category, item, str(method), str(source))
    if theme == "flux_carbone":
        # the bilan has no from/to land use: soil = the kinetic row (the larger), one draw per
        # cause × pool across zones
        if category == "land_use_change" and item == "soil":
            if str(method) == "ipcc":
                var = _rse(lk, "ipcc_soc_ref", "*")[0] ** 2 + \
                    _rse(lk, "ipcc_stock_change_factors", "F_LU")[0] ** 2
                return ("ipcc_soc_ref", "*", "soil", math.sqrt(var), "lognormal")
            return ("aldo_soil_flux", "kinetic", "soil", *_rse(lk, "aldo_soil_flux", "kinetic"))
        fake_from = {"live_biomass": "grassland_herbaceous"}.get(item, "")
        t = _flow_factor(lk, classes, category, item, "", method, fake_from, "", source)
        return (t[0], t[1], f"{category}|{item}", *t[3:])
    if theme in _EMISSION_THEMES:
        if bool(estimate) and ("demo_inventory_communes_59_62", "*") in lk:
            return ("demo_inventory_communes_59_62", "*", f"{theme}|{category}|{item}",
                    *_rse(lk, "demo_inventory_communes_59_62", "*"))
        # every figure has an interval (#13): the footprint posts carry the national
        # per-capita footprint's error, a published inventory a documented default
        key = ("consumption_per_capita" if theme == "emissions_poste" else "user_inventory")
        if (key, "*") in lk:
            return (key, "*", f"{theme}|{category}|{item}", *_rse(lk, key, "*"))
        return none
    if theme == "scenario":
        return ("scenarios", "*", f"{category}|{item}", *_rse(lk, "scenarios", "*"))
    return none


def _joined(df: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    """The values of ``cols`` as one string per row, joined by ``\\x1f`` (vectorised: a row-wise
    ``agg(join)`` costs most of :func:`bilan_intervals` on a few thousand rows)."""
    out = df[cols[0]].astype(str)
    for c in cols[1:]:
        out = out + "\x1f" + df[c].astype(str)
    return out


def bilan_intervals(bilan: pd.DataFrame, *, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
                    level: float = DEFAULT_LEVEL, table: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """The bilan table (:func:`espass_geo.core.bilan_table.build_bilan_table`) with
    ``value_p05, value_p95`` (for ``level=0.90``).

    Stocks and carbon flows always get an interval; emissions rows only when they are an
    estimate (``estimate`` true: the demo inventory, ±50 % at 90 %, « derived »); published
    inventory rows and rows without a known error get NaN. ``TOTAL`` rows are the sums of the
    zone rows with the same draws (errors shared across zones); scenario rows (TOTAL only)
    get one draw per lever × scenario.
    """
    lo_s, hi_s = _suffixes(level)
    out = bilan.copy().reset_index(drop=True)
    out["value" + lo_s] = np.nan
    out["value" + hi_s] = np.nan
    if out.empty:
        return out
    lk = _lookup(check_uncertainty_table(table) if table is not None else uncertainty_table())
    classes = _classes()
    recs = [_bilan_factor(lk, classes, *r) for r in zip(
        out["theme"], out["category"], out["item"], out["method"], out["source"],
        out["estimate"], strict=True)]
    f = pd.DataFrame(recs, columns=[*DRAW_KEYS, "rel_se", "distribution"], index=out.index)
    known = f["unc_table"] != "none"
    is_total = out["zone_id"].astype(str) == TOTAL
    # each zone row counts in its own group and in its TOTAL row's group
    keytext = _joined(out, _BILAN_KEYS)
    total_pos = pd.Series(np.flatnonzero(is_total.to_numpy()),
                          index=keytext[is_total].to_numpy())
    total_pos = total_pos[~total_pos.index.duplicated()]
    zone_idx = np.flatnonzero((~is_total & known).to_numpy())
    own_total_idx = np.flatnonzero((is_total & known).to_numpy())
    zone_total = keytext.iloc[zone_idx].map(total_pos).to_numpy(dtype=float)
    has_total = ~np.isnan(zone_total)
    # totals with zone rows are computed from them; TOTAL-only rows (scenario) from themselves
    covered = set(zone_total[has_total].astype(int).tolist())
    lone_totals = np.array([i for i in own_total_idx if i not in covered], dtype=np.int64)
    comp_row = np.concatenate([zone_idx, zone_idx[has_total], lone_totals])
    grp_row = np.concatenate([zone_idx, zone_total[has_total].astype(np.int64), lone_totals])
    if not len(comp_row):
        return out
    fkeys = _joined(f.iloc[comp_row], list(DRAW_KEYS))
    fcode, funiq = pd.factorize(fkeys)
    first = pd.Series(np.arange(len(fcode))).groupby(fcode).first().to_numpy()
    rse = f["rel_se"].to_numpy(dtype=float)[comp_row][first]
    dist = f["distribution"].to_numpy(dtype=object)[comp_row][first]
    gcode, guniq = pd.factorize(grp_row)
    values = out["value"].to_numpy(dtype=float)[comp_row]
    lo, hi = simulate_groups(values, fcode, gcode, len(guniq), rse, dist, n=n, seed=seed,
                             level=level)
    rows = np.asarray(guniq, dtype=np.int64)
    out.loc[rows, "value" + lo_s] = lo
    out.loc[rows, "value" + hi_s] = hi
    return out


def synthesis_intervals(bilan: pd.DataFrame, *, stocks: pd.DataFrame | None = None,
                        flows: pd.DataFrame | None = None, n: int = DEFAULT_N,
                        seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL,
                        table: pd.DataFrame | None = None) -> dict[str, tuple[float, float]]:
    """Intervals of the territory figures of :func:`espass_geo.core.bilan_table.synthesis`:
    ``stock_tC``, ``flux_tCO2e_an`` (and ``direct_tCO2e_an`` / ``footprint_tCO2e_an`` when the
    emissions rows are estimates, else NaN bounds), from the zone rows with shared draws.

    Give the long ``stocks`` / ``flows`` tables when you have them: their TOTAL intervals
    (:func:`stock_interval`, :func:`flow_interval`) then replace the bilan's, which lack the
    from → to land uses and the kinetic / instant mode of each flow (the bilan reading takes the
    kinetic error for every soil flow and one draw per cause × pool: a wider flux interval)."""
    res = _synthesis_from_bilan(bilan, n=n, seed=seed, level=level, table=table)
    lo_s, hi_s = _suffixes(level)
    if stocks is not None and len(stocks):
        t = stock_interval(stocks, n=n, seed=seed, level=level, table=table, by=("zone_id",))
        r = t[t["zone_id"] == TOTAL].iloc[0]
        res["stock_tC"] = (float(r["stock_tC" + lo_s]), float(r["stock_tC" + hi_s]))
    if flows is not None and len(flows):
        t = flow_interval(flows, n=n, seed=seed, level=level, table=table, by=("zone_id",))
        r = t[t["zone_id"] == TOTAL].iloc[0]
        res["flux_tCO2e_an"] = (float(r["flux_tCO2e_an" + lo_s]),
                                float(r["flux_tCO2e_an" + hi_s]))
    return res


def _synthesis_from_bilan(bilan: pd.DataFrame, *, n: int, seed: int, level: float,
                          table: pd.DataFrame | None) -> dict[str, tuple[float, float]]:
    lk = _lookup(check_uncertainty_table(table) if table is not None else uncertainty_table())
    classes = _classes()
    z = bilan[bilan["zone_id"].astype(str) != TOTAL].reset_index(drop=True)
    wanted = {"stock_tC": "stocks", "flux_tCO2e_an": "flux_carbone",
              "direct_tCO2e_an": "emissions_secteur", "footprint_tCO2e_an": "emissions_poste"}
    res: dict[str, tuple[float, float]] = {}
    for name, theme in wanted.items():
        sel = z[z["theme"] == theme]
        if sel.empty:
            res[name] = (float("nan"), float("nan"))
            continue
        recs = [_bilan_factor(lk, classes, *r) for r in zip(
            sel["theme"], sel["category"], sel["item"], sel["method"], sel["source"],
            sel["estimate"], strict=True)]
        f = pd.DataFrame(recs, columns=[*DRAW_KEYS, "rel_se", "distribution"])
        if theme in _EMISSION_THEMES and (f["unc_table"] == "none").any():
            res[name] = (float("nan"), float("nan"))
            continue
        comp = pd.concat([sel[["value"]].reset_index(drop=True), f], axis=1)
        iv = interval_of_sum(comp, "value", [], list(DRAW_KEYS), n=n, seed=seed, level=level,
                             total=False)
        lo_s, hi_s = _suffixes(level)
        res[name] = (float(iv["value" + lo_s].iloc[0]), float(iv["value" + hi_s].iloc[0]))
    return res


def scenario_intervals(delta: pd.DataFrame, *, value_col: str = "cumulative_delta_tCO2e",
                       by: Sequence[str] = ("scenario", "year"), n: int = DEFAULT_N,
                       seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL,
                       table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Interval of the scenario gap (scenario − baseline, summed over the levers) per
    ``scenario × year``: ``by, value_col, value_col_p05, value_col_p95`` (no TOTAL row).

    ``delta`` is the scenario run's ``scenario, year, lever, delta_tCO2e_an,
    cumulative_delta_tCO2e`` table (rows with ``lever == "total"`` are left out: they repeat
    the sum). One draw per lever (the ``scenarios`` row of ``uncertainty.csv``), the same in
    every scenario and year: a lever's factor error is systematic.
    """
    lk = _lookup(check_uncertainty_table(table) if table is not None else uncertainty_table())
    rse, dist = _rse(lk, "scenarios", "*")
    d = delta[delta["lever"].astype(str) != "total"].assign(
        unc_table="scenarios", unc_quantity="*", factor_class=lambda x: x["lever"].astype(str),
        rel_se=rse, distribution=dist)
    return interval_of_sum(d, value_col, list(by), DRAW_KEYS, n=n, seed=seed, level=level,
                           total=False)
