"""The bilan table: stocks, flows, emissions and scenarios joined in ONE tidy long table.

:func:`build_bilan_table` builds it (``BILAN_COLUMNS``, zone rows and ``TOTAL`` rows); every
output of the bilan (map, report, exports) is derived from it, so totals reconcile.
:func:`synthesis` reads the territory figures from its ``TOTAL`` rows. Pure: no I/O.
"""

from __future__ import annotations

import pandas as pd

BILAN_COLUMNS = ["zone_id", "zone_name", "theme", "category", "item", "value", "unit",
                 "sign_convention", "source", "method", "estimate"]
TOTAL = "TOTAL"
SIGN = {
    "stocks": "stock (toujours positif)",
    "flux_carbone": "positif = séquestration, négatif = émission (ALDO)",
    "emissions_secteur": "positif = émission",
    "emissions_poste": "positif = émission (utilisation des terres négative si séquestration)",
    "emissions_poste_direct": "positif = émission",
    "polluants": "positif = émission",
    "scenario": "positif = plus de séquestration que le tendanciel",
}
#: Themes in the order of the report and of the workbook.
THEMES: tuple[str, ...] = tuple(SIGN)


def _with_totals(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["theme", "category", "item", "unit", "sign_convention", "source", "method",
            "estimate"]
    tot = df.groupby(keys, as_index=False, dropna=False)["value"].sum()
    tot["zone_id"] = TOTAL
    tot["zone_name"] = "Territoire"
    return pd.concat([df, tot], ignore_index=True)


def build_bilan_table(*, stocks=None, flows=None, emissions=None, scenario=None,
                      synthetic: bool = False) -> pd.DataFrame:
    """One tidy long table (:data:`BILAN_COLUMNS`) with zone rows and ``TOTAL`` rows."""
    parts = []
    if stocks is not None:
        s = stocks.stocks
        parts.append(pd.DataFrame({
            "zone_id": s["zone_id"], "zone_name": s["zone_name"], "theme": "stocks",
            "category": s["land_use"], "item": s["pool"], "value": s["stock_tC"], "unit": "tC",
            "source": "ALDO (facteurs) × surfaces", "method": s["method"],
            "estimate": synthetic}))
    if flows is not None:
        f = flows.flows
        names = flows.zones.set_index("zone_id")["zone_name"]
        parts.append(pd.DataFrame({
            "zone_id": f["zone_id"], "zone_name": f["zone_id"].map(names), "theme":
            "flux_carbone", "category": f["cause"], "item": f["pool"],
            "value": f["flux_tCO2e_an"], "unit": "tCO2e/an",
            "source": "ALDO (flux) × changements d'occupation du sol", "method": f["method"],
            "estimate": synthetic}))
    if emissions is not None:
        e = emissions.table
        names = emissions.zones.set_index("zone_id")["zone_name"]
        ges = e[e["substance"] == "GES"]
        theme = ges["view"].map({"sector": "emissions_secteur", "post": "emissions_poste",
                                 "post_direct": "emissions_poste_direct"})
        parts.append(pd.DataFrame({
            "zone_id": ges["zone_id"], "zone_name": ges["zone_id"].map(names), "theme": theme,
            "category": ges["category"], "item": "GES", "value": ges["emission_tCO2e"],
            "unit": "tCO2e/an", "source": ges["source"],
            "method": ges["view"].map({"sector": "inventaire", "post": "empreinte",
                                       "post_direct": "inventaire réparti"}),
            "estimate": ges["estimate"] | ((ges["view"] == "post")
                                           & (ges["category"] == "utilisation_terres")
                                           & synthetic)}))
        pol = e[(e["view"] == "sector") & (e["substance"] != "GES")
                & ~e["substance"].isin(["CO2", "CH4", "N2O"])]
        parts.append(pd.DataFrame({
            "zone_id": pol["zone_id"], "zone_name": pol["zone_id"].map(names),
            "theme": "polluants", "category": pol["category"], "item": pol["substance"],
            "value": pol["emission_t"], "unit": "t/an", "source": pol["source"],
            "method": "inventaire", "estimate": pol["estimate"]}))
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BILAN_COLUMNS)
    df["sign_convention"] = df["theme"].map(SIGN)
    df = df[df["value"].notna()]
    df = _with_totals(df[BILAN_COLUMNS])
    if scenario is not None:
        d = scenario.delta
        # per lever only: the report, the sheets and the map compute the total themselves
        last = d[(d["year"] == scenario.config.horizon) & (d["lever"] != "total")]
        sc = pd.DataFrame({
            "zone_id": TOTAL, "zone_name": "Territoire", "theme": "scenario",
            "category": last["lever"], "item": last["scenario"],
            "value": last["cumulative_delta_tCO2e"], "unit": "tCO2e",
            "sign_convention": SIGN["scenario"],
            "source": f"scénarios {scenario.config.start_year}–{scenario.config.horizon} "
                      f"({scenario.config.path.name})",
            "method": scenario.config.method, "estimate": synthetic})
        df = pd.concat([df, sc], ignore_index=True)
    df["estimate"] = df["estimate"].astype(bool)
    df["value"] = df["value"].astype(float) + 0.0  # a sign-flipped zero (-0.0) is written 0.0
    return df[BILAN_COLUMNS].reset_index(drop=True)


def synthesis(bilan: pd.DataFrame) -> dict[str, float]:
    """Territory figures every output shows (read from the TOTAL rows of the bilan)."""
    t = bilan[bilan["zone_id"] == TOTAL]

    def total(theme: str, **kw) -> float:
        sel = t[t["theme"] == theme]
        for k, v in kw.items():
            sel = sel[sel[k] == v]
        return float(sel["value"].sum())

    footprint = total("emissions_poste")
    return {
        "stock_tC": total("stocks"),
        "flux_tCO2e_an": total("flux_carbone"),
        "direct_tCO2e_an": total("emissions_secteur"),
        "footprint_tCO2e_an": footprint,
        "footprint_without_land_tCO2e_an": footprint - total("emissions_poste",
                                                             category="utilisation_terres"),
    }
