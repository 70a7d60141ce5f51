"""The three largest levers of the synthesis, read from the bilan itself.

One lever per regard of the bilan, so that the synthesis points where the tonnes are:

1. the largest PCAET sector of the direct emissions (where the territory emits);
2. the largest ESPASS post of the consumption footprint (what its way of life makes emit);
3. the carbon of soils and biomass: with scenarios, the scenario lever of largest gain
   (cumulative gap to the baseline); without, the largest carbon flow (the main sink to keep,
   or the main loss to cut).

When a regard is missing (no inventory, no flows), the next largest sector or post takes its
place. Every figure is in the report's convention (emissions +, sequestration −) and French.

>>> import pandas as pd
>>> b = pd.DataFrame({"zone_id": "TOTAL", "theme": ["emissions_secteur", "emissions_secteur",
...                   "emissions_poste", "flux_carbone"],
...                   "category": ["industrie", "residentiel", "alimentation", "forest_growth"],
...                   "item": ["GES", "GES", "GES", "live_biomass"],
...                   "value": [600.0, 400.0, 300.0, 30.0], "unit": "tCO2e/an"})
>>> [lv["label"] for lv in main_levers(b)]
['Industrie hors branche énergie', 'Alimentation', 'Croissance forestière']
>>> main_levers(b)[2]["value"]
'−30,0\\xa0tCO₂e/an'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from espass_geo.present.fmt import MINUS, fmt_mass_t, fmt_percent
from espass_geo.present.report.bilan import ghg_rows, territory_rows, validate_bilan
from espass_geo.present.vocabulary import category_label, item_label

__all__ = ["main_levers"]


def _by_category(bilan: pd.DataFrame, theme: str, *, ghg: bool = True,
                 exclude: tuple[str, ...] = ()) -> pd.Series:
    t = territory_rows(bilan, theme)
    if ghg:
        t = ghg_rows(t)
    t = t[~t["category"].isin(exclude)]
    if t.empty:
        return pd.Series(dtype=float)
    return t.groupby("category", sort=False)["value"].sum().sort_values(ascending=False,
                                                                         kind="stable")


def _signed(value: float, unit: str) -> str:
    text = fmt_mass_t(value, unit)
    return text if text.startswith(MINUS) or value <= 0 else "+" + text


def main_levers(bilan: pd.DataFrame, *, horizon: str = "",
                scenario_labels: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """Up to three levers ``{"kind", "label", "value", "detail"}`` (French text).

    ``horizon``: the scenarios' horizon year as text (« en 2050 »); ``scenario_labels``:
    scenario name → label shown (the bilan's ``item`` otherwise).
    """
    b = validate_bilan(bilan)
    sectors = _by_category(b, "emissions_secteur")
    posts = _by_category(b, "emissions_poste", exclude=("utilisation_terres",))
    sectors = sectors[sectors > 0]
    posts = posts[posts > 0]
    levers: list[dict[str, str]] = []
    used: dict[str, int] = {"sector": 0, "post": 0}

    def sector(i: int) -> dict[str, str] | None:
        if i >= len(sectors):
            return None
        cat, v = sectors.index[i], float(sectors.iloc[i])
        return {"kind": "Premier secteur émetteur" if i == 0 else "Autre grand secteur émetteur",
                "label": category_label("emissions_secteur", cat),
                "value": fmt_mass_t(v, "tCO₂e") + "/an",
                "detail": f"{fmt_percent(v / float(sectors.sum()), 0)} des émissions directes "
                          "du territoire (inventaire par secteur PCAET)"}

    def post(i: int) -> dict[str, str] | None:
        if i >= len(posts):
            return None
        cat, v = posts.index[i], float(posts.iloc[i])
        return {"kind": "Premier poste de consommation" if i == 0
                else "Autre grand poste de consommation",
                "label": category_label("emissions_poste", cat),
                "value": fmt_mass_t(v, "tCO₂e") + "/an",
                "detail": f"{fmt_percent(v / float(posts.sum()), 0)} de l'empreinte de "
                          "consommation des habitants"}

    for kind, make in (("sector", sector), ("post", post)):
        lv = make(0)
        if lv is not None:
            levers.append(lv)
            used[kind] = 1
    carbon = _carbon_lever(b, horizon, scenario_labels or {})
    if carbon is not None:
        levers.append(carbon)
    while len(levers) < 3:  # a missing regard: the next largest sector or post
        nxt = [(float(sectors.iloc[used["sector"]]), "sector")] if used["sector"] < len(
            sectors) else []
        nxt += [(float(posts.iloc[used["post"]]), "post")] if used["post"] < len(posts) else []
        if not nxt:
            break
        _, kind = max(nxt)
        levers.append((sector if kind == "sector" else post)(used[kind]))
        used[kind] += 1
    return levers[:3]


def _carbon_lever(b: pd.DataFrame, horizon: str,
                  labels: Mapping[str, str]) -> dict[str, str] | None:
    scen = territory_rows(b, "scenario")
    scen = scen[~scen["category"].isin(("trend", "baseline"))] if len(scen) else scen
    if len(scen):
        best = scen.loc[scen["value"].idxmax()]
        if float(best["value"]) > 0:  # + = more sequestration (ALDO): shown negative
            name = str(best["item"])
            shown = labels.get(name) or item_label("scenario", name)
            when = f"cumulées {horizon}" if horizon else "cumulées à l'horizon du scénario"
            return {"kind": "Levier carbone le plus efficace des scénarios",
                    "label": category_label("scenario", str(best["category"])),
                    "value": _signed(-float(best["value"]), "tCO₂e") + f" {when}",
                    "detail": f"écart au tendanciel sur le bilan net, scénario « {shown} »"}
    flows = territory_rows(b, "flux_carbone")
    if flows.empty:
        return None
    by = flows.groupby("category", sort=False)["value"].sum()
    cat = by.abs().idxmax()
    v = -float(by[cat])  # report convention: sequestration negative
    if v < 0:
        return {"kind": "Premier puits de carbone, à préserver",
                "label": category_label("flux_carbone", cat),
                "value": _signed(v, "tCO₂e") + "/an",
                "detail": "carbone retiré chaque année de l'atmosphère par les sols et la "
                          "végétation"}
    return {"kind": "Première perte de carbone des sols, à réduire",
            "label": category_label("flux_carbone", cat),
            "value": _signed(v, "tCO₂e") + "/an",
            "detail": "carbone perdu chaque année par les sols et la végétation "
                      "(artificialisation, retournement de prairies…)"}


def levers_for(bilan: pd.DataFrame, meta: Mapping[str, Any], horizon: str) -> list[dict[str, str]]:
    """:func:`main_levers` with the scenario labels of ``meta["scenario_labels"]``."""
    return main_levers(bilan, horizon=horizon,
                       scenario_labels=dict(meta.get("scenario_labels") or {}))
