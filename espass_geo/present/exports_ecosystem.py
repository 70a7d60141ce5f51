"""Exports of the bilan for the tools a PCAET team already uses (issue #15 item 3).

* **ALDO-shaped export** (:func:`aldo_export`, files ``export_aldo.csv`` and
  ``export_aldo.xlsx``): the carbon stocks by ALDO category (ALDO's « tableau de bord »
  ground types: cultures, prairies, forêts, zones humides, vergers, vignes, sols artificiels
  imperméabilisés / enherbés et arbustifs / arborés, haies, produits bois) and by reservoir
  (sol, biomasse, litière…), in ktC and kteqCO₂, and the carbon flows by ALDO category of the
  *final* land use (as ALDO's flux summary: a change of land use is booked to the land use it
  leads to, forest growth to the forests, harvested wood to « produits bois »), in
  kteqCO₂/an, positive = sequestration (ALDO's sign). The workbook's first sheet, « Tableau de
  bord », follows the layout of ALDO's own Excel export (``front/handlers/excelExport.js``):
  stocks per ground type, flows per final ground type, then the four lines of the PCAET
  « cadre de dépôt » (forêt, sols agricoles, autres sols, produits bois).
* **Territoires en Transitions–ready table** (:func:`tet_indicators`, file
  ``export_territoires_en_transitions.csv``): one row per TeT indicator and year, identified as
  TeT identifies it (``cae_63.*`` net CO₂ sequestration by ALDO category, kteq CO2;
  ``cae_11.*`` annual artificialisation by destination, ha/an, from the ZAN part of the bilan;
  ``cae_1.*`` direct GHG emissions by PCAET sector, kteq CO2).

Both derive from the bilan's ``TOTAL`` rows (and the detailed flow and stock tables of the same
run), so their categories add up to the bilan's totals: stocks tC ÷ 1000 = ktC, tC × 44/12 ÷
1000 = kteqCO₂, flows tCO₂e/an ÷ 1000 = kteqCO₂/an. The correspondences are factor tables:
``factors/mapping_aldo_export.csv`` (espass_geo land use or pool → ALDO category or reservoir)
and ``factors/mapping_territoires_en_transitions.csv`` (ALDO category, ZAN destination or
PCAET sector → TeT indicator), both documented in ``factors/README.md``. Every CSV and sheet is
formula-safe (:mod:`espass_geo.present.exports`).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from espass_geo.constants import C_TO_CO2
from espass_geo.present.exports import (
    _save,
    _styled,
    _Styles,
    _write_pairs,
    _write_table,
    write_csv,
)
from espass_geo.present.report import TOTAL_ZONE, validate_bilan

__all__ = [
    "ALDO_COLUMNS",
    "ALDO_CONVENTION_FR",
    "TET_COLUMNS",
    "aldo_export",
    "aldo_mapping",
    "tet_indicators",
    "tet_mapping",
    "write_bilan_ecosystem_exports",
    "write_ecosystem_exports",
]

#: Columns of ``export_aldo.csv``.
ALDO_COLUMNS = ["section", "aldo_group", "aldo_category", "reservoir", "area_ha", "stock_tC",
                "stock_ktC", "stock_kteqCO2", "flux_tCO2e_an", "flux_kteqCO2_an", "convention",
                "estimate"]
#: Columns of ``export_territoires_en_transitions.csv``.
TET_COLUMNS = ["tet_id", "tet_title", "tet_unit", "year", "period", "value", "aggregate",
               "estimate", "source", "note"]
ALDO_CONVENTION_FR = "flux : positif = séquestration, négatif = émission (convention ALDO)"
STOCK_CONVENTION_FR = "stock : quantité présente (toujours positive)"
#: ALDO's parent ground types in the order of its « tableau de bord » (constants.js), then
#: the rows espass_geo adds.
ALDO_GROUP_ORDER = ["cultures", "prairies", "zones humides", "vergers", "vignes",
                    "sols artificiels", "forêts", "produits bois", "haies", "hors ALDO"]
UNSPLIT_FLOWS = "changements d'occupation des sols (non ventilés)"
_CAUSE_GROUP = {"forest_growth": "forêts", "wood_products": "produits bois"}
_RESERVOIR_ORDER = {"Sol": 0, "Litière": 1, "Biomasse": 2, "Bois mort (hors ALDO par EPCI)": 3,
                    "Sol et litière": 4, "Sol et litière (N₂O)": 5, "Produits bois": 6}


# ------------------------------------------------------------------------------ mappings
def _mapping_table(name: str) -> pd.DataFrame:
    """A mapping table of the active factor set when registered there, else the shipped CSV."""
    from espass_geo.reference import data
    from espass_geo.reference.factor_set import TABLES

    if name in TABLES:
        return data.factor_table(name)
    return pd.read_csv(data.data_path("factors", f"{name}.csv"), dtype=str,
                       keep_default_na=False, encoding="utf-8")


def aldo_mapping() -> pd.DataFrame:
    """``factors/mapping_aldo_export.csv``: ``dimension`` (``land_use`` | ``pool``),
    ``espass_id`` → ``aldo_id``, ``aldo_label``, ``aldo_parent_id``, ``aldo_parent_label``."""
    return _mapping_table("mapping_aldo_export")


def tet_mapping() -> pd.DataFrame:
    """``factors/mapping_territoires_en_transitions.csv``: TeT indicator (``tet_id``,
    ``tet_title``, ``tet_unit``, ``tet_parent``) ← ``espass_theme`` × ``espass_key`` (empty
    key: an aggregate of its children)."""
    return _mapping_table("mapping_territoires_en_transitions")


def _lookups() -> tuple[dict[str, tuple[str, str, str, str]], dict[str, str]]:
    m = aldo_mapping()
    lu = m[m["dimension"] == "land_use"]
    uses = {r.espass_id: (r.aldo_parent_id, r.aldo_parent_label, r.aldo_id, r.aldo_label)
            for r in lu.itertuples(index=False)}
    pools = {r.espass_id: r.aldo_label for r in m[m["dimension"] == "pool"].itertuples(
        index=False)}
    return uses, pools


def _category(uses: Mapping[str, tuple[str, str, str, str]], land_use: Any
              ) -> tuple[str, str, str, str]:
    key = str(land_use) if isinstance(land_use, str) else ""
    if key in uses:
        return uses[key]
    base = key.split(":")[0]
    if base in uses:
        return uses[base]
    other = uses.get("unmapped", ("hors ALDO", "Sans catégorie ALDO", "", ""))
    return (other[0], other[1], key or "inconnue", f"Autre ({key or '?'})")


# ------------------------------------------------------------------------------ ALDO
def aldo_export(bilan: pd.DataFrame, *, flows: pd.DataFrame | None = None,
                stocks: pd.DataFrame | None = None) -> pd.DataFrame:
    """The bilan in ALDO's categories (:data:`ALDO_COLUMNS`), one row per section × ALDO
    category × reservoir.

    ``section = "stocks"``: the bilan's ``TOTAL`` stock rows (land use × pool) mapped to ALDO's
    ground type and reservoir; ``stock_ktC = stock_tC / 1000``, ``stock_kteqCO2 = stock_tC ×
    44/12 / 1000``; ``area_ha`` from ``stocks`` (the stock table of the run, soil rows) when
    given. ``section = "flux"``: ``flows`` (the run's long flow table, ``to_land_use``,
    ``pool``, ``flux_tCO2e_an``) summed by the ALDO category of the final land use and the
    reservoir, ``flux_kteqCO2_an = flux_tCO2e_an / 1000``, positive = sequestration; without
    ``flows``, the bilan's flow causes (forest growth → forêts, wood products → produits bois,
    land-use changes in one row « non ventilés »). The stock and flow sums equal the bilan's
    stock and flow totals (the rows partition them).
    """
    b = validate_bilan(bilan)
    uses, pools = _lookups()
    order = {g: i for i, g in enumerate(ALDO_GROUP_ORDER)}
    t = b[b["zone_id"] == TOTAL_ZONE]
    rows: list[dict[str, Any]] = []
    area: dict[str, float] = {}
    st = t[t["theme"] == "stocks"]
    if len(st):
        if stocks is not None and len(stocks) and "area_ha" in stocks:
            soil = stocks[stocks["pool"] == "soil"]
            for lu, a in soil.groupby("land_use")["area_ha"].sum().items():
                cat = _category(uses, lu)[2]
                area[cat] = area.get(cat, 0.0) + float(a)
        g = st.groupby(["category", "item"], sort=False).agg(
            value=("value", "sum"), estimate=("estimate", "any")).reset_index()
        recs = []
        for r in g.itertuples(index=False):
            gid, glabel, cid, clabel = _category(uses, r.category)
            recs.append(dict(gid=gid, aldo_group=glabel, cid=cid, aldo_category=clabel,
                             reservoir=pools.get(str(r.item), str(r.item)), value=r.value,
                             estimate=bool(r.estimate)))
        s = (pd.DataFrame(recs).groupby(["gid", "aldo_group", "cid", "aldo_category",
                                         "reservoir"], sort=False)
             .agg(value=("value", "sum"), estimate=("estimate", "any")).reset_index())
        for r in s.itertuples(index=False):
            rows.append(dict(section="stocks", _gid=r.gid, _cid=r.cid, aldo_group=r.aldo_group,
                             aldo_category=r.aldo_category, reservoir=r.reservoir,
                             area_ha=math.nan,
                             stock_tC=r.value, stock_ktC=r.value / 1000.0,
                             stock_kteqCO2=r.value * C_TO_CO2 / 1000.0,
                             flux_tCO2e_an=math.nan, flux_kteqCO2_an=math.nan,
                             convention=STOCK_CONVENTION_FR, estimate=r.estimate))
    fl = t[t["theme"] == "flux_carbone"]
    if len(fl):
        estimate = bool(fl["estimate"].any())
        if flows is not None and len(flows):
            f = flows[flows["flux_tCO2e_an"].notna()]
            keys = f[["to_land_use", "pool"]].drop_duplicates()
            cat = {(r.to_land_use, r.pool): (*_category(uses, r.to_land_use),
                                             pools.get(str(r.pool), str(r.pool)))
                   for r in keys.itertuples(index=False)}
            grouped = f.groupby(["to_land_use", "pool"], sort=False, dropna=False)[
                "flux_tCO2e_an"].sum()
            recs = [dict(gid=cat[k][0], aldo_group=cat[k][1], cid=cat[k][2],
                         aldo_category=cat[k][3], reservoir=cat[k][4], value=float(v))
                    for k, v in grouped.items()]
        else:  # only the bilan table: by cause
            recs = []
            for r in fl.groupby(["category", "item"], sort=False)["value"].sum().reset_index(
                    ).itertuples(index=False):
                gid = _CAUSE_GROUP.get(str(r.category), UNSPLIT_FLOWS)
                label = {"forêts": "Forêts", "produits bois": "Produits bois"}.get(
                    gid, "Changements d'occupation des sols (non ventilés par occupation "
                         "finale)")
                recs.append(dict(gid=gid, aldo_group=label, cid=gid, aldo_category=label,
                                 reservoir=pools.get(str(r.item), str(r.item)),
                                 value=float(r.value)))
        s = (pd.DataFrame(recs).groupby(["gid", "aldo_group", "cid", "aldo_category",
                                         "reservoir"], sort=False)["value"].sum()
             .reset_index())
        for r in s.itertuples(index=False):
            rows.append(dict(section="flux", _gid=r.gid, aldo_group=r.aldo_group,
                             aldo_category=r.aldo_category, reservoir=r.reservoir,
                             area_ha=math.nan, stock_tC=math.nan, stock_ktC=math.nan,
                             stock_kteqCO2=math.nan, flux_tCO2e_an=r.value,
                             flux_kteqCO2_an=r.value / 1000.0, convention=ALDO_CONVENTION_FR,
                             estimate=estimate))
    out = pd.DataFrame(rows, columns=["_gid", "_cid", *ALDO_COLUMNS])
    if not len(out):
        return out.drop(columns=["_gid", "_cid"])
    out["_s"] = out["section"].map({"stocks": 0, "flux": 1})
    out["_o"] = out["_gid"].map(order).fillna(len(order))
    out["_r"] = out["reservoir"].map(_RESERVOIR_ORDER).fillna(len(_RESERVOIR_ORDER))
    out = out.sort_values(["_s", "_o", "aldo_category", "_r", "reservoir"], kind="stable")
    out = out.reset_index(drop=True)
    if area:  # the area of a category once, on its first stock row (not per reservoir)
        first = (out["section"] == "stocks") & ~out.duplicated(["section", "_cid"])
        out.loc[first, "area_ha"] = out.loc[first, "_cid"].map(area)
    return out.drop(columns=["_gid", "_cid", "_s", "_o", "_r"])


def _group_of_label(aldo: pd.DataFrame) -> pd.Series:
    """ALDO parent id of each row of an :func:`aldo_export` table (from its group label)."""
    m = aldo_mapping()
    by_label = dict(zip(m["aldo_parent_label"], m["aldo_parent_id"], strict=True))
    by_label.update({"Forêts": "forêts", "Produits bois": "produits bois"})
    return aldo["aldo_group"].map(by_label).fillna(aldo["aldo_group"])


# ------------------------------------------------------------------------------ TeT
def _period(years: tuple[int, int] | None) -> tuple[Any, str]:
    if not years:
        return None, ""
    y0, y1 = int(years[0]), int(years[1])
    return y1, f"moyenne annuelle {y0}–{y1}"


def tet_indicators(bilan: pd.DataFrame, *, aldo: pd.DataFrame | None = None,
                   flows: pd.DataFrame | None = None, zan: Any = None,
                   years: tuple[int, int] | None = None) -> pd.DataFrame:
    """The Territoires en Transitions indicators of the bilan (:data:`TET_COLUMNS`).

    * ``cae_63.*`` (kteq CO2, positive = sequestration, year = the last land-cover date, period
      = the flows' period): the ALDO flow categories of :func:`aldo_export` (given, or computed
      from ``bilan`` and ``flows``) ÷ 1000, per ``factors/mapping_territoires_en_transitions.csv``;
    * ``cae_11.*`` (ha/an, one row per year and destination) when ``zan`` (a
      :class:`~espass_geo.runs.zan.ZanResult`) is given: the hectares of its ``carbon`` table
      (commune × year × destination) summed per year and destination, 0 for a destination
      without consumption that year (years of its consumption file);
    * ``cae_1.*`` (kteq CO2): the bilan's direct emissions per PCAET sector ÷ 1000 (the year of
      the inventory is left empty: fill it in); a sector the inventory does not give is empty
      (NaN), not 0, and an aggregate sums the sectors given.

    An aggregate indicator (``aggregate = True``) is the sum of its children in the table, as TeT
    computes it; it is given for reading, TeT recomputes it from the children.
    """
    b = validate_bilan(bilan)
    m = tet_mapping()
    t = b[b["zone_id"] == TOTAL_ZONE]
    rows: list[dict[str, Any]] = []

    def emit(theme: str, values: Mapping[str, float], year: Any, period: str, estimate: bool,
             source: str, extra_note: str = "", *, absent_is_empty: bool = False) -> None:
        """``absent_is_empty``: an indicator none of whose keys is in ``values`` is left empty
        (NaN), not 0 (a sector the inventory does not give is unknown, not zero)."""
        mm = m[m["espass_theme"] == theme]
        direct: dict[str, float] = {}
        notes: dict[str, str] = {}
        for r in mm[mm["espass_key"] != ""].itertuples(index=False):
            if r.espass_key in values:
                prev = direct.get(r.tet_id, math.nan)
                direct[r.tet_id] = (0.0 if math.isnan(prev) else prev) + float(
                    values[r.espass_key])
            else:
                direct.setdefault(r.tet_id, math.nan if absent_is_empty else 0.0)
        unknown = set(values) - set(mm["espass_key"])
        if unknown:  # keys without an indicator: said in the note of the total
            top = mm[mm["tet_parent"] == ""]["tet_id"]
            if len(top):
                notes[top.iloc[0]] = ("sans indicateur TeT : " + ", ".join(sorted(unknown))
                                      + f" ({sum(values[k] for k in unknown):g})")
        info = mm.drop_duplicates("tet_id").set_index("tet_id")
        parents = info["tet_parent"]

        def value(tid: str) -> float:
            if tid in direct:
                return direct[tid]
            known = [v for v in (value(c) for c in parents.index[parents == tid])
                     if not math.isnan(v)]
            return math.fsum(known) if known else math.nan

        for tid, r in info.iterrows():
            v = value(str(tid)) + (sum(values[k] for k in unknown)
                                   if unknown and tid in notes else 0.0)
            empty = "absent des données du bilan : à renseigner" if math.isnan(v) else ""
            note = "; ".join(x for x in (notes.get(str(tid), ""), extra_note, empty) if x)
            rows.append(dict(tet_id=tid, tet_title=r["tet_title"], tet_unit=r["tet_unit"],
                             year=year, period=period, value=v,
                             aggregate=str(tid) not in direct, estimate=estimate,
                             source=source, note=note))

    fl = t[t["theme"] == "flux_carbone"]
    if len(fl):
        a = aldo if aldo is not None else aldo_export(bilan, flows=flows)
        af = a[a["section"] == "flux"]
        groups = _group_of_label(af)
        values = {str(k): float(v) / 1000.0
                  for k, v in af.groupby(groups)["flux_tCO2e_an"].sum().items()}
        year, period = _period(years)
        emit("flux_carbone", values, year, period, bool(fl["estimate"].any()),
             "espass_geo, bilan (flux de carbone, catégories ALDO)",
             "positif = séquestration")
    if zan is not None:
        carbon = zan.carbon
        table = getattr(getattr(zan, "consumption", None), "table", None)
        ids = set(carbon["zone_id"].astype(str))
        if table is not None and getattr(zan, "accounts", None) is not None:
            ids |= set(zan.accounts["zone_id"].astype(str))
        years_zan = sorted({int(y) for y in carbon["year"]})
        if table is not None:
            tab = table[table["commune_id"].astype(str).isin(ids)]
            years_zan = sorted({int(y) for y in tab["year"]} | set(years_zan))
        per = carbon.groupby(["year", "destination"])["area_ha"].sum()
        for y in years_zan:
            values = {str(d): float(v) for (yy, d), v in per.items() if int(yy) == y}
            emit("zan", values, y, "année civile", bool(getattr(zan, "estimate", False)),
                 "espass_geo, ZAN (consommation d'espaces, fichier du Cerema ou estimation)")
    em = t[t["theme"] == "emissions_secteur"]
    if len(em):
        values = {str(k): float(v) / 1000.0
                  for k, v in em.groupby("category")["value"].sum().items()}
        emit("emissions_secteur", values, None, "année de l'inventaire (à renseigner)",
             bool(em["estimate"].any()), "espass_geo, bilan (émissions directes)",
             absent_is_empty=True)
    return pd.DataFrame(rows, columns=TET_COLUMNS)


# ------------------------------------------------------------------------------ writers
def _all_groups(present: Any, *, with_hedges: bool) -> list[str]:
    """ALDO's parent ground types (labels) in its order, then any other group present."""
    m = aldo_mapping()
    labels = dict(zip(m["aldo_parent_id"], m["aldo_parent_label"], strict=False))
    out = [labels[g] for g in ALDO_GROUP_ORDER
           if g in labels and g != "hors ALDO" and (with_hedges or g != "haies")]
    return out + [str(p) for p in present if str(p) not in out]


def _dashboard(ws: Any, aldo: pd.DataFrame, meta: Mapping[str, Any], st: _Styles) -> None:
    """ALDO's « Tableau de bord » layout (excelExport.js), in ktC / kteqCO₂."""
    for col, w in zip("ABCDEF", (46, 16, 18, 18, 12, 16), strict=True):
        ws.column_dimensions[col].width = w

    def line(*cells: Any) -> None:
        ws.append(list(cells))

    def head(*labels: str) -> None:
        line(*[_styled(ws, h, font=st.bold, fill=st.head_fill, alignment=st.wrap)
               for h in labels])

    def num(v: float, fmt: str = "#,##0.0") -> Any:
        return None if v is None or not math.isfinite(v) else _styled(ws, float(v),
                                                                       number_format=fmt)

    years = meta.get("years")
    period = f"Moyenne annuelle {years[0]}-{years[1]}" if years else "Moyenne annuelle"
    line(_styled(ws, "Tableau de bord au format ALDO", font=st.title))
    line(_styled(ws, "Nom", font=st.bold), _styled(ws, str(meta.get("territory_label", ""))))
    line(_styled(ws, "Date d'export", font=st.bold),
         _styled(ws, _dt.date.today().strftime("%d/%m/%Y")))
    line(_styled(ws, "Outil", font=st.bold),
         _styled(ws, f"espass_geo {meta.get('version', '')} (catégories et réservoirs d'ALDO, "
                     "ADEME ; correspondances : factors/mapping_aldo_export.csv)".strip()))
    line(_styled(ws, "Conventions", font=st.bold),
         _styled(ws, "Stocks : quantités présentes, en ktC (1 ktC = 1 000 tC) et en ktCO₂e "
                     "(× 44/12). Flux : ktCO₂e/an, positif = séquestration, négatif = émission "
                     "(convention ALDO).", alignment=st.wrap))
    if bool(aldo["estimate"].any()):
        line(_styled(ws, "Estimation", font=st.bold),
             _styled(ws, "valeurs calculées sur une occupation du sol de démonstration ou "
                         "estimée : à remplacer par vos données.", alignment=st.wrap))
    line()
    s = aldo[aldo["section"] == "stocks"]
    if len(s):
        line(_styled(ws, "Résultats stocks de carbone", font=st.subtitle))
        head("Occupation du sol", "Surface (ha)", "Stocks carbone (ktC)", "Stocks (ktCO₂e)",
             "Stocks (%)")
        g = s.groupby("aldo_group", sort=False).agg(area=("area_ha", lambda x: x.sum(
            min_count=1)), ktc=("stock_ktC", "sum"))
        total = float(g["ktc"].sum())
        for name in _all_groups(g.index, with_hedges=True):
            if name not in g.index:  # an ALDO category absent from the territory: empty
                line(_styled(ws, name))
                continue
            r = g.loc[name]
            line(_styled(ws, str(name)), num(r["area"], "#,##0"), num(r["ktc"]),
                 num(r["ktc"] * C_TO_CO2), _styled(ws, r["ktc"] / total, number_format="0.0%")
                 if total else None)
        line(_styled(ws, "Total", font=st.bold), num(float(g["area"].sum(min_count=1)),
                                                      "#,##0"),
             num(total), num(total * C_TO_CO2))
        line()
        line(_styled(ws, "Stocks par réservoir (ktC)", font=st.subtitle))
        piv = s.pivot_table(index="aldo_category", columns="reservoir", values="stock_ktC",
                            aggfunc="sum", sort=False)
        head("Occupation du sol", *[str(c) for c in piv.columns])
        for name, r in piv.iterrows():
            line(_styled(ws, str(name)), *[num(v) for v in r.tolist()])
        line()
    f = aldo[aldo["section"] == "flux"]
    if len(f):
        line(_styled(ws, "Résultats flux de carbone", font=st.subtitle))
        head("Occupation du sol finale", "Séquestration (ktCO₂e/an)", "Sens")
        g = f.groupby("aldo_group", sort=False)["flux_kteqCO2_an"].sum()
        for name in _all_groups(g.index, with_hedges=False):
            if name not in g.index:
                line(_styled(ws, name), num(0.0, "#,##0.000"))
                continue
            v = float(g[name])
            sens = "séquestration" if v > 0.0005 else "émission" if v < -0.0005 else ""
            line(_styled(ws, str(name)), num(float(v), "#,##0.000"),
                 _styled(ws, sens) if sens else None)
        line(_styled(ws, "Total", font=st.bold), num(float(g.sum()), "#,##0.000"))
        line()
        groups = _group_of_label(f)
        by = f.groupby(groups)["flux_kteqCO2_an"].sum()

        def part(*ids: str) -> float:
            return float(sum(by.get(i, 0.0) for i in ids))

        line(_styled(ws, "Résultats au format du cadre de dépôt PCAET", font=st.subtitle))
        line(_styled(ws, "Partie 2 - Données sur la séquestration de dioxyde de carbone ; "
                         "diagnostic en tenant compte des changements d'affectation des terres",
                     alignment=st.wrap))
        head("Estimation de la séquestration nette de dioxyde de carbone",
             "Séquestration nette (ktCO₂e/an)", "Année de référence")
        for label, ids in (("Forêt", ("forêts",)),
                           ("Sols agricoles (terres cultivées et prairies)",
                            ("cultures", "prairies", "vergers", "vignes")),
                           ("Autres sols", ("sols artificiels", "zones humides", "hors ALDO",
                                            UNSPLIT_FLOWS)),
                           ("Produits bois (facultatif pour le cadre de dépôt)",
                            ("produits bois",))):
            line(_styled(ws, label), num(part(*ids), "#,##0.000"), _styled(ws, period))


def write_ecosystem_exports(bilan: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                            flows: pd.DataFrame | None = None,
                            stocks: pd.DataFrame | None = None, zan: Any = None,
                            years: tuple[int, int] | None = None,
                            meta: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write ``export_aldo.csv``, ``export_aldo.xlsx`` and
    ``export_territoires_en_transitions.csv`` into ``out_dir`` (an existing folder, e.g. the
    bilan's temporary output folder). ``meta``: ``territory_label``, ``version``. Returns
    ``{file name: path}``."""
    from openpyxl import Workbook

    from espass_geo import __version__

    out = Path(out_dir)
    meta = {"version": __version__, **dict(meta or {}), "years": years}
    aldo = aldo_export(bilan, flows=flows, stocks=stocks)
    files: dict[str, Path] = {}
    files["export_aldo.csv"] = write_csv(aldo, out / "export_aldo.csv")
    wb = Workbook(write_only=True)
    st = _Styles()
    _dashboard(wb.create_sheet("Tableau de bord"), aldo, meta, st)
    headers = {"section": "Section", "aldo_group": "Catégorie ALDO",
               "aldo_category": "Sous-catégorie ALDO", "reservoir": "Réservoir",
               "area_ha": "Surface (ha)", "stock_tC": "Stock (tC)", "stock_ktC": "Stock (ktC)",
               "stock_kteqCO2": "Stock (ktCO₂e)", "flux_tCO2e_an": "Flux (tCO₂e/an)",
               "flux_kteqCO2_an": "Flux (ktCO₂e/an)", "convention": "Convention de signe",
               "estimate": "Estimation"}
    data = aldo.assign(estimate=aldo["estimate"].map({True: "oui", False: "non"}))
    ws = wb.create_sheet("Données")
    for j, w in enumerate((10, 26, 40, 22, 14, 16, 14, 16, 16, 16, 50, 11)):
        from openpyxl.utils import get_column_letter

        ws.column_dimensions[get_column_letter(j + 1)].width = w
    fmts = {headers[c]: "#,##0.000" for c in ALDO_COLUMNS if c.startswith(("stock", "flux",
                                                                          "area"))}
    _write_table(ws, data.rename(columns=headers), st, number_formats=fmts)
    mp = aldo_mapping()
    ws = wb.create_sheet("Correspondances")
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 40
    ws.column_dimensions["D"].width = 40
    _write_table(ws, mp[["dimension", "espass_id", "aldo_label", "aldo_parent_label",
                         "confidence", "note"]], st)
    _write_pairs(wb.create_sheet("Lisez-moi"), [
        ("Export au format ALDO", ""),
        ("Contenu", "Les stocks et les flux de carbone du bilan dans les catégories d'occupation "
                    "du sol et les réservoirs de l'outil ALDO (ADEME). « Tableau de bord » "
                    "reprend la présentation de l'export Excel d'ALDO ; « Données » donne chaque "
                    "catégorie et chaque réservoir ; « Correspondances » dit quelle occupation "
                    "du sol d'espass_geo va dans quelle catégorie d'ALDO."),
        ("Unités", "ktC = 1 000 tC ; ktCO₂e = 1 000 tCO₂e ; 1 tC = 44/12 tCO₂e."),
        ("Signe", ALDO_CONVENTION_FR + " ; " + STOCK_CONVENTION_FR + "."),
        ("Flux", "Chaque flux est rangé dans la catégorie de l'occupation du sol finale (comme "
                 "ALDO) : un changement d'usage dans celle qu'il crée, la croissance forestière "
                 "dans les forêts, la récolte de bois dans les produits bois."),
        ("Écarts avec ALDO", "Bois mort : réservoir d'espass_geo absent de l'outil ALDO par "
                             "EPCI, compté à part. Occupations du sol sans catégorie ALDO "
                             "(plages, roches) : ligne « Sans catégorie ALDO »."),
    ], st)
    files["export_aldo.xlsx"] = _save(wb, out / "export_aldo.xlsx")
    tet = tet_indicators(bilan, aldo=aldo, zan=zan, years=years)
    # float noise off (2.8975999999999997 → 2.8976): 6 decimals = 1 kgCO2e or 0,01 m²
    tet = tet.assign(value=tet["value"].round(6),
                     aggregate=tet["aggregate"].map({True: "oui", False: "non"}),
                     estimate=tet["estimate"].map({True: "oui", False: "non"}),
                     year=tet["year"].astype("Int64"))
    files["export_territoires_en_transitions.csv"] = write_csv(
        tet, out / "export_territoires_en_transitions.csv")
    return files


def write_bilan_ecosystem_exports(result: Any, out_dir: str | os.PathLike[str]
                                  ) -> dict[str, Path]:
    """:func:`write_ecosystem_exports` for a :class:`~espass_geo.runs.bilan.BilanResult`
    (its table, flows, stocks, ZAN accounts and land-cover years)."""
    fl = getattr(result, "flows", None)
    st = getattr(result, "stocks", None)
    cfg = getattr(result, "config", None)
    years = tuple(cfg.years) if fl is not None and cfg is not None and cfg.years else None
    label = getattr(getattr(st, "territory", None), "label", "") if st is not None else ""
    return write_ecosystem_exports(
        result.table, out_dir, flows=fl.flows if fl is not None else None,
        stocks=st.stocks if st is not None else None, zan=getattr(result, "zan", None),
        years=years, meta={"territory_label": label or getattr(cfg, "title", "")})
