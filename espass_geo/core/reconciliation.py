"""Reconciliation bridge between espass_geo's default method (« aldo », per commune) and the
method « aldo-epci » (ALDO's per-EPCI web app), issue #13 item 2. Pure: DataFrames in and out.

Both methods are run on the same inputs (ALDO's per-EPCI CLC 2018 areas, CLC 2012→2018
changes and BD Forêt areas); the gap is ``default − aldo-epci`` (tC for stocks, tCO2e/an for
flows, positive = the default method gives more stock / more sequestration).

Sequential (waterfall) attribution
----------------------------------
Starting from aldo-epci's figure, one ingredient at a time is switched to the default method's,
in the fixed order below; the delta of a cause is the change of the running total when its
ingredient is switched. Where an ingredient is a whole block of the calculation (forest
densities, soil references, the artificial-land transitions), the block's values are switched
from aldo-epci's to the default's. The last cause, « autres », is ``default − running total``:
the bridge sums **exactly** to the gap by construction (``other`` = gap − sum of the others).

Stocks (:data:`STOCK_CAUSES`, tC):

1. ``hedges``: aldo-epci's hedge stock (hedge area × mixed-forest biomass density) → the
   default's hedge pool (none unless a hedge table is given);
2. ``wood_products``: aldo-epci's harvested-wood stock → the default's (none);
3. ``dead_wood``: the default's dead-wood pool (aldo-epci has none);
4. ``poplars``: aldo-epci's forest re-run with its BD Forêt poplars priced as broadleaf (the
   default's stocks cannot take BD Forêt), forest pools only;
5. ``forest_data``: forest live biomass and litter: aldo-epci's per-EPCI IGN densities (after
   4) → the default's (IGN GRECO / regional densities, CLC 324 mapping);
6. ``soil_weighting``: soil stock of every land use except artificial: aldo-epci's per-EPCI
   references → the default's commune-weighted references;
7. ``artificial_split``: every pool of artificial land: aldo-epci's → the default's split;
8. ``other``: the rest (live biomass of non-forest land uses, land covers one method does not
   price…), so that the sum is the gap.

Flows (:data:`FLOW_CAUSES`, tCO2e/an, positive = sequestration):

1. ``n2o``: aldo-epci re-run with the usual N→N2O ratio 44/28 (ALDO: 44/25) and the default's
   GWP of N2O (ALDO: 298), N2O rows only;
2. ``poplars``: growth of the BD Forêt poplars: aldo-epci's per-EPCI poplar table → the
   default's;
3. ``forest_data``: growth of the other forest compositions: aldo-epci's per-EPCI IGN table →
   the default's (IGN GRECO averages);
4. ``wood_products``: aldo-epci's harvested-wood flows → the default's;
5. ``dead_wood``: the default's dead-wood flows (aldo-epci has none);
6. ``artificial_split``: land-use-change flows (soil, litter, biomass, N2O) of transitions
   from or to artificial land: aldo-epci's (after 1) → the default's;
7. ``soil_weighting``: soil, litter and N2O flows of the other transitions: aldo-epci's
   (after 1) → the default's;
8. ``other``: the rest (live-biomass flows of the other transitions, agricultural practices…).
"""

from __future__ import annotations

import math

import pandas as pd

TOTAL_ID = "TOTAL"

CAUSES_FR = {
    "hedges": "Haies (absentes du calcul par défaut)",
    "wood_products": "Produits bois (récolte)",
    "dead_wood": "Bois mort (absent d'ALDO par EPCI)",
    "poplars": "Peupleraies (BD Forêt)",
    "forest_data": "Données forestières IGN (millésime, densités, croissance)",
    "soil_weighting": "Références de sol (pondération par commune)",
    "artificial_split": "Sols artificiels (répartition 80/20)",
    "n2o": "N₂O (rapport 44/25 et PRG)",
    "other": "Autres",
}
STOCK_CAUSES = ("hedges", "wood_products", "dead_wood", "poplars", "forest_data",
                "soil_weighting", "artificial_split", "other")
FLOW_CAUSES = ("n2o", "poplars", "forest_data", "wood_products", "dead_wood",
               "artificial_split", "soil_weighting", "other")

STOCK_COLUMNS = ["siren", "step", "cause", "cause_fr", "delta_tC", "share_of_gap"]
FLOW_COLUMNS = ["siren", "step", "cause", "cause_fr", "delta_tCO2e_an", "share_of_gap"]
TOTAL_COLUMNS = ["siren", "what", "aldo_epci", "default", "gap", "unit"]


def _family(land_use) -> str:
    lu = str(land_use) if isinstance(land_use, str) else ""
    lu = lu.split(":")[0]
    if lu.startswith("forest"):
        return "forest"
    if lu.startswith("artificial"):
        return "artificial"
    return lu


def _sum(df: pd.DataFrame, mask, col: str) -> float:
    return float(df.loc[mask, col].sum()) if len(df) else 0.0


def _zone(df: pd.DataFrame, siren: str) -> pd.DataFrame:
    return df[df["zone_id"].astype(str) == str(siren)]


def _stock_parts(df: pd.DataFrame) -> dict[str, float]:
    """Components of a stock table (``land_use, pool, stock_tC``)."""
    fam = df["land_use"].map(_family)
    pool = df["pool"]
    c = "stock_tC"
    return {
        "total": float(df[c].sum()),
        "hedges": _sum(df, pool == "hedges", c),
        "wood_products": _sum(df, pool == "wood_products", c),
        "dead_wood": _sum(df, pool == "dead_wood", c),
        "forest_all": _sum(df, (fam == "forest") & pool.isin(["soil", "litter", "live_biomass"]),
                           c),
        "forest_bio": _sum(df, (fam == "forest") & pool.isin(["litter", "live_biomass"]), c),
        "soil_natural": _sum(df, (fam != "artificial") & (pool == "soil"), c),
        "artificial": _sum(df, (fam == "artificial") & ~pool.isin(
            ["hedges", "wood_products", "dead_wood"]), c),
    }


def _rows(siren: str, deltas: dict[str, float], gap: float, causes, col: str) -> list[dict]:
    others = math.fsum(deltas[k] for k in causes if k != "other")
    deltas = {**deltas, "other": gap - others}
    return [{"siren": siren, "step": i + 1, "cause": k, "cause_fr": CAUSES_FR[k],
             col: deltas[k], "share_of_gap": deltas[k] / gap if gap else math.nan}
            for i, k in enumerate(causes)]


def stock_bridge(default: pd.DataFrame, aldo_epci: pd.DataFrame,
                 aldo_epci_poplars_as_broadleaf: pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stock bridge per EPCI (``zone_id`` = SIREN in the three tables, columns ``land_use,
    pool, stock_tC``): ``default`` is the default method's stock table, ``aldo_epci`` the
    aldo-epci one, ``aldo_epci_poplars_as_broadleaf`` aldo-epci re-run with the BD Forêt
    poplar area priced as broadleaf. Returns (bridge: :data:`STOCK_COLUMNS`, totals:
    :data:`TOTAL_COLUMNS`), with a ``TOTAL`` row per cause when there are several EPCI."""
    rows, totals = [], []
    sirens = list(dict.fromkeys(aldo_epci["zone_id"].astype(str)))
    for s in sirens:
        a = _stock_parts(_zone(aldo_epci, s))
        ap = _stock_parts(_zone(aldo_epci_poplars_as_broadleaf, s))
        d = _stock_parts(_zone(default, s))
        deltas = {
            "hedges": d["hedges"] - a["hedges"],
            "wood_products": d["wood_products"] - a["wood_products"],
            "dead_wood": d["dead_wood"] - a["dead_wood"],
            "poplars": ap["forest_all"] - a["forest_all"],
            "forest_data": d["forest_bio"] - ap["forest_bio"],
            # forest soil after step 4 is ap's (equal to a's: one density for all forests)
            "soil_weighting": d["soil_natural"] - (a["soil_natural"] + ap["forest_all"]
                                                   - ap["forest_bio"] - a["forest_all"]
                                                   + a["forest_bio"]),
            "artificial_split": d["artificial"] - a["artificial"],
        }
        gap = d["total"] - a["total"]
        rows += _rows(s, deltas, gap, STOCK_CAUSES, "delta_tC")
        totals.append({"siren": s, "what": "stocks", "aldo_epci": a["total"],
                       "default": d["total"], "gap": gap, "unit": "tC"})
    return _with_total(rows, totals, STOCK_CAUSES, STOCK_COLUMNS, "delta_tC", len(sirens))


def _flow_parts(df: pd.DataFrame) -> dict[str, float]:
    """Components of a flow table (``cause, from_land_use, to_land_use, pool, gas,
    flux_tCO2e_an``; aldo-epci's poplar growth has ``to_land_use`` forest_poplar, the
    default's ``from_land_use`` forest:peupleraies)."""
    c = "flux_tCO2e_an"
    cause, pool, gas = df["cause"], df["pool"], df["gas"]
    growth = cause == "forest_growth"
    poplar = growth & (df["to_land_use"].astype(str).eq("forest_poplar")
                       | df["from_land_use"].astype(str).str.contains("peupl", na=False))
    luc = (cause == "land_use_change") & (pool != "dead_wood")
    art = luc & (df["from_land_use"].map(_family).eq("artificial")
                 | df["to_land_use"].map(_family).eq("artificial"))
    soil_like = pool.isin(["soil", "litter", "soil_litter_n2o"]) | (gas == "N2O")
    return {
        "total": float(df[c].sum()),
        "n2o": _sum(df, gas == "N2O", c),
        "poplar_growth": _sum(df, poplar, c),
        "other_growth": _sum(df, growth & ~poplar, c),
        "wood_products": _sum(df, cause == "wood_products", c),
        "dead_wood": _sum(df, pool == "dead_wood", c),
        "artificial": _sum(df, art, c),
        "soil_natural": _sum(df, luc & ~art & soil_like, c),
    }


def flow_bridge(default: pd.DataFrame, aldo_epci: pd.DataFrame,
                aldo_epci_usual_n2o: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flow bridge per EPCI (``zone_id`` = SIREN): ``default`` the default method's flow table,
    ``aldo_epci`` the aldo-epci one, ``aldo_epci_usual_n2o`` aldo-epci re-run with N→N2O 44/28
    and the default's GWP. Returns (bridge: :data:`FLOW_COLUMNS`, totals)."""
    rows, totals = [], []
    sirens = list(dict.fromkeys(aldo_epci["zone_id"].astype(str)))
    for s in sirens:
        a = _flow_parts(_zone(aldo_epci, s))
        an = _flow_parts(_zone(aldo_epci_usual_n2o, s))
        d = _flow_parts(_zone(default, s))
        deltas = {
            "n2o": an["n2o"] - a["n2o"],
            "poplars": d["poplar_growth"] - a["poplar_growth"],
            "forest_data": d["other_growth"] - a["other_growth"],
            "wood_products": d["wood_products"] - a["wood_products"],
            "dead_wood": d["dead_wood"] - a["dead_wood"],
            "artificial_split": d["artificial"] - an["artificial"],
            "soil_weighting": d["soil_natural"] - an["soil_natural"],
        }
        gap = d["total"] - a["total"]
        rows += _rows(s, deltas, gap, FLOW_CAUSES, "delta_tCO2e_an")
        totals.append({"siren": s, "what": "flows", "aldo_epci": a["total"],
                       "default": d["total"], "gap": gap, "unit": "tCO2e/an"})
    return _with_total(rows, totals, FLOW_CAUSES, FLOW_COLUMNS, "delta_tCO2e_an", len(sirens))


def _with_total(rows: list[dict], totals: list[dict], causes, columns, col: str,
                n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    bridge = pd.DataFrame(rows, columns=columns)
    tot = pd.DataFrame(totals, columns=TOTAL_COLUMNS)
    if n > 1:
        gap = math.fsum(tot["gap"])
        sums = {k: math.fsum(bridge.loc[bridge["cause"] == k, col]) for k in causes}
        bridge = pd.concat([bridge, pd.DataFrame(_rows(TOTAL_ID, sums, gap, causes, col),
                                                 columns=columns)], ignore_index=True)
        tot = pd.concat([tot, pd.DataFrame([{
            "siren": TOTAL_ID, "what": tot["what"].iloc[0],
            "aldo_epci": math.fsum(tot["aldo_epci"]), "default": math.fsum(tot["default"]),
            "gap": gap, "unit": tot["unit"].iloc[0]}])], ignore_index=True)
    return bridge, tot
