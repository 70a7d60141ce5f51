"""Tables of the report (lists of strings for the template), built from the bilan itself so
that their totals reconcile with the exports and the charts; one display scale per table (t or
kt, decimals) and every number through :mod:`espass_geo.present.fmt`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from espass_geo.present.fmt import MISSING, fmt_number, fmt_percent
from espass_geo.present.report.bilan import TOTAL_ZONE, ghg_rows, territory_rows, zone_order
from espass_geo.present.vocabulary import (
    POST_LABELS_FR,
    SECTOR_LABELS_FR,
    category_label,
    item_label,
    unit_fr,
)


def _decimals_for(max_abs: float) -> int:
    return 0 if max_abs >= 100 else 1 if max_abs >= 10 else 2


class _Scale:
    """One display scale for a table: t or kt, and a number of decimals."""

    def __init__(self, values: Iterable[float | None], unit: str, *, kilo: bool = True) -> None:
        finite = [abs(float(v)) for v in values
                  if v is not None and not (isinstance(v, float) and math.isnan(v))]
        top = max(finite, default=0.0)
        base = unit_fr(unit)
        self.factor = 1.0
        self.unit = base
        if kilo and base.startswith("t") and top >= 10_000:
            self.factor = 1000.0
            self.unit = "k" + base
        self.decimals = _decimals_for(top / self.factor)

    def __call__(self, value: float | None, signed: bool = False) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return MISSING
        text = fmt_number(value / self.factor, self.decimals)
        if signed and value / self.factor > 0 and text.strip("0,") != "":
            text = "+" + text
        return text



def _table(headers: Sequence[str], rows: Sequence[Sequence[str]],
           total: Sequence[str] | None = None, *, unit: str = "",
           note: str = "") -> dict[str, Any]:
    return {"headers": list(headers), "rows": [list(r) for r in rows],
            "total": list(total) if total is not None else None, "unit": unit, "note": note}


def _order(ids: Iterable[str], reference: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(ids))
    return [i for i in reference if i in ids] + [i for i in ids if i not in reference]


def estimate_note(rows: pd.DataFrame) -> str:
    if len(rows) and bool(rows["estimate"].any()):
        return ("Valeurs estimées (inventaire de démonstration ou occupation du sol "
                "synthétique) : ordres de grandeur, à remplacer par les données du territoire.")
    return ""


#: The note under every table of the report: what « – » and « 0 » mean.
DASH_ZERO_NOTE_FR: str = ("« – » : sans objet ou sans donnée ; « 0 » : valeur calculée, nulle ou "
                          "inférieure à l'arrondi affiché.")


def zone_table(bilan: pd.DataFrame, fig: Mapping[str, float | None]) -> dict[str, Any] | None:
    """Results per zone, in tonnes (a commune's flows are often below one kilotonne), in the
    report's convention: emissions +, sequestration − (the carbon flow of soils and biomass is
    the ALDO flow with its sign changed); net = consumption + that flow; the stock in tC and in
    tCO₂e (× 44/12). A zone without rows in a theme the bilan has shows 0 (computed: nothing
    there), a theme the bilan lacks has no column."""
    from espass_geo.constants import C_TO_CO2

    zones = zone_order(bilan)
    if not zones:
        return None
    ids = [z for z, _ in zones]

    def per_zone(theme: str, *, ghg: bool = False,
                 exclude: str | None = None) -> dict[str, float]:
        t = bilan[(bilan["theme"] == theme) & (bilan["zone_id"] != TOTAL_ZONE)]
        if ghg:
            t = ghg_rows(t)
        if exclude:
            t = t[t["category"] != exclude]
        if t.empty:
            return {}
        by = {str(k): float(v) for k, v in t.groupby("zone_id")["value"].sum().items()}
        return {z: by.get(z, 0.0) for z in ids}

    direct = per_zone("emissions_secteur", ghg=True)
    conso = per_zone("emissions_poste", ghg=True, exclude="utilisation_terres")
    flux = per_zone("flux_carbone")
    stock = per_zone("stocks")
    if not flux:  # no carbon flows: the land-use post, sign flipped back to ALDO's
        land = ghg_rows(bilan[(bilan["theme"] == "emissions_poste")
                          & (bilan["zone_id"] != TOTAL_ZONE)
                          & (bilan["category"] == "utilisation_terres")])
        if len(land):
            by = land.groupby("zone_id")["value"].sum()
            flux = {z: -float(by.get(z, 0.0)) for z in ids}
    land = {z: -v for z, v in flux.items()}  # report convention: sequestration negative
    net = {z: conso[z] + land.get(z, 0.0) for z in conso}
    seq = fig["sequestration"]
    fig_land = -seq if seq is not None else None
    ghg_scale = _Scale([*direct.values(), *conso.values(), *land.values(), *net.values(),
                        fig["direct"], fig["consumption"], fig_land, fig["net"]],
                       "tCO2e/an", kilo=False)
    stock_co2 = {z: v * C_TO_CO2 for z, v in stock.items()}
    fig_stock_co2 = fig["stock"] * C_TO_CO2 if fig["stock"] is not None else None
    stock_scale = _Scale([*stock.values(), fig["stock"]], "tC", kilo=False)
    co2_scale = _Scale([*stock_co2.values(), fig_stock_co2], "tCO2e", kilo=False)
    u = ghg_scale.unit
    cols = []
    if direct:
        cols.append(("Émissions directes", direct, fig["direct"], ghg_scale, False))
    if conso:
        cols.append(("Émissions de consommation", conso, fig["consumption"], ghg_scale,
                     False))
    if land:
        cols.append(("Sols et forêts (négatif = séquestration)", land, fig_land,
                     ghg_scale, True))
    if conso:
        cols.append(("Bilan net", net, fig["net"], ghg_scale, False))
    if stock:
        cols.append((f"Stock ({stock_scale.unit})", stock, fig["stock"], stock_scale, False))
        cols.append((f"Stock ({co2_scale.unit})", stock_co2, fig_stock_co2, co2_scale,
                     False))
    if not cols:
        return None
    headers = ["Zone"] + [c[0] for c in cols]
    rows = [[name] + [c[3](c[1].get(zid), c[4]) for c in cols] for zid, name in zones]
    total = ["Territoire"] + [c[3](c[2], c[4]) for c in cols]
    note = ("Bilan net = émissions de consommation + sols et forêts (une séquestration, "
            "négative, le réduit). Le stock est du carbone en place, pas un flux annuel : "
            "1 tC = 44/12 ≈ 3,67 tCO₂e. " + DASH_ZERO_NOTE_FR)
    unit = f"émissions et flux en {u}" + (f", stocks en {stock_scale.unit} et en "
                                           f"{co2_scale.unit}" if stock else "")
    return _table(headers, rows, total, unit=unit, note=note)


def _share(value: float, total: float) -> str:
    return fmt_percent(value / total, 1) if total else MISSING


def sector_table(bilan: pd.DataFrame) -> dict[str, Any] | None:
    t = ghg_rows(territory_rows(bilan, "emissions_secteur"))
    if t.empty:
        return None
    by = t.groupby("category", sort=False)["value"].sum()
    total = float(by.sum())
    scale = _Scale([*by.values, total], "tCO2e/an")
    rows = [[category_label("emissions_secteur", c), scale(float(by[c])),
             _share(float(by[c]), total)]
            for c in _order(by.index, list(SECTOR_LABELS_FR))]
    return _table(["Secteur PCAET", f"Émissions directes ({scale.unit})", "Part"], rows,
                  ["Total", scale(total), _share(total, total)],
                  note=estimate_note(t))


def post_table(bilan: pd.DataFrame) -> dict[str, Any] | None:
    conso = ghg_rows(territory_rows(bilan, "emissions_poste"))
    direct = ghg_rows(territory_rows(bilan, "emissions_poste_direct"))
    if conso.empty and direct.empty:
        return None
    c = conso.groupby("category", sort=False)["value"].sum()
    d = direct.groupby("category", sort=False)["value"].sum()
    posts = _order([*c.index, *d.index], list(POST_LABELS_FR))
    has_c, has_d = not conso.empty, not direct.empty
    diff = {p: float(c.get(p, 0.0)) - float(d.get(p, 0.0)) for p in posts}
    # the land-use post has no direct counterpart: it is left out of the gap
    total_gap = sum(v for p, v in diff.items() if p != "utilisation_terres")
    scale = _Scale([*c.values, *d.values, c.sum(), d.sum(), *diff.values()], "tCO2e/an")
    headers = ["Poste ESPASS"]
    if has_c:
        headers.append(f"Empreinte de consommation ({scale.unit})")
    if has_d:
        headers.append(f"Émissions directes réparties ({scale.unit})")
    if has_c and has_d:
        headers.append("Écart : importées (+) / exportées (−)")
    rows = []
    for p in posts:
        row = [category_label("emissions_poste", p)]
        # a post without row in a theme that is present has no emission there: 0
        if has_c:
            row.append(scale(float(c.get(p, 0.0))))
        if has_d:
            row.append(scale(float(d.get(p, 0.0)))
                       if p != "utilisation_terres" or p in d.index else MISSING)
        if has_c and has_d:
            row.append(scale(diff[p], signed=True) if p != "utilisation_terres" else MISSING)
        rows.append(row)
    total = ["Total"]
    if has_c:
        total.append(scale(float(c.sum())))
    if has_d:
        total.append(scale(float(d.sum())))
    if has_c and has_d:
        total.append(scale(total_gap, signed=True))
    note = ("Le poste « Utilisation des terres » est le flux net de carbone des sols et de la "
            "biomasse : négatif quand le territoire séquestre (il réduit alors le total), "
            "positif quand il perd du carbone ; il n'a pas d'équivalent dans l'inventaire "
            "direct (« – »).")
    if has_c and has_d and "utilisation_terres" in c.index:
        # the gap's total leaves the land-use post out, the footprint's total keeps it: say
        # the arithmetic, so that the total row is read right (it does not close across)
        c_wo = float(c.sum()) - float(c["utilisation_terres"])
        note += (f" Écart total, hors utilisation des terres : empreinte sans ce poste "
                 f"({scale(c_wo)}) − émissions directes réparties ({scale(float(d.sum()))}) "
                 f"= {scale(total_gap, signed=True)}\u00a0{scale.unit}.")
    est = estimate_note(pd.concat([conso, direct]))
    return _table(headers, rows, total, note=" ".join(x for x in (note, est) if x))


def pivot_table(rows: pd.DataFrame, theme: str, *, row_head: str, unit: str,
                 row_order: Sequence[str] = (), col_order: Sequence[str] = (),
                 per_column_scale: bool = False, signed: bool = False,
                 row_totals: bool = True, note: str = "",
                 negate: bool = False) -> dict[str, Any] | None:
    """``category × item`` table of one theme (sums), one scale for the table (or per
    column); ``negate``: values shown with the opposite sign (the ALDO flows in the report's
    convention, sequestration negative). NaN cells (no row) are « – »."""
    if rows.empty:
        return None
    if negate:
        rows = rows.assign(value=-rows["value"])
    p = rows.pivot_table(index="category", columns="item", values="value", aggfunc="sum",
                         sort=False)
    r_ids = _order(p.index, row_order)
    c_ids = _order(p.columns, col_order)
    p = p.reindex(index=r_ids, columns=c_ids)
    multi = len(c_ids) > 1 and row_totals
    row_tot = p.sum(axis=1, min_count=1)
    col_tot = p.sum(axis=0, min_count=1)
    grand = float(p.sum().sum())
    if per_column_scale:
        scales = {c: _Scale([*p[c].tolist(), col_tot[c]], unit) for c in c_ids}
        headers = [row_head] + [f"{item_label(theme, c)} ({scales[c].unit})" for c in c_ids]
        body = [[category_label(theme, r)] + [scales[c](_nan_none(p.at[r, c]), signed)
                                              for c in c_ids] for r in r_ids]
        total = ["Total"] + [scales[c](_nan_none(col_tot[c]), signed) for c in c_ids]
        return _table(headers, body, total, unit="", note=note)
    scale = _Scale([*p.to_numpy().ravel().tolist(), *row_tot.tolist(), *col_tot.tolist(), grand],
                   unit)
    headers = [row_head] + [item_label(theme, c) for c in c_ids] + (["Total"] if multi else [])
    body = []
    for r in r_ids:
        line = [category_label(theme, r)] + [scale(_nan_none(p.at[r, c]), signed) for c in c_ids]
        if multi:
            line.append(scale(_nan_none(row_tot[r]), signed))
        body.append(line)
    total = (["Total"] + [scale(_nan_none(col_tot[c]), signed) for c in c_ids]
             + ([scale(grand, signed)] if multi else []))
    return _table(headers, body, total, unit=scale.unit, note=note)


def _nan_none(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


