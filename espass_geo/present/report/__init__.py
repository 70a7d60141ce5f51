"""HTML report of a territory's Bilan ESPASS (one self-contained file).

The report is a jinja2 template (``templates/rapport.html.j2``) filled from the tidy ``bilan``
table, separate from the computations (conventions §3.1 example 8, natcap/invest's reporter
pattern): ``PackageLoader``, autoescape on, ``StrictUndefined``. Every table is built from the
``bilan`` itself, so its totals reconcile with the CSV/XLSX exports and the charts, and every
number a reader sees goes through :mod:`espass_geo.present.fmt` (decimal comma, narrow no-break space
between thousands, U+2212 minus, kilotonnes from 10 000 t on).

The PNG charts are embedded as base64 ``data:`` URIs and the CSS is inlined, so the report is a
single file that can be mailed or printed (A4); the SVG twins of the charts, when they sit next
to the PNG files, are linked for print-quality copies.

Bilan table (input)
-------------------
One row per value: ``zone_id`` (``"TOTAL"`` for the territory), ``zone_name``, ``theme``,
``category``, ``item``, ``value``, ``unit``, ``sign_convention``, ``source``, ``method``,
``estimate``. Themes: ``stocks`` (tC), ``flux_carbone`` (tCO2e/an, + = séquestration),
``emissions_secteur`` / ``emissions_poste`` / ``emissions_poste_direct`` (tCO2e/an,
+ = émission), ``polluants`` (t/an), ``scenario`` (tCO2e cumulées, + = séquestration en plus).

Worked example of the synthesis: consumption emissions 400 000 tCO2e/an (posts, land use
excluded), net sequestration of soils and forests 50 000 tCO2e/an → net balance
400 000 − 50 000 = 350 000 tCO2e/an, shown as ``"350 ktCO₂e/an"``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from espass_geo.constants import C_TO_CO2
from espass_geo.constants import POOL_LABELS_FR as _POOL_LABELS_FR
from espass_geo.errors import OutputError
from espass_geo.present import charts as _charts
from espass_geo.present.fmt import (
    KILO_THRESHOLD_T,
    MISSING,
    NBSP,
    fmt_mass_t,
    fmt_number,
    fmt_percent,
    fmt_quantity,
)

__all__ = [
    "BILAN_COLUMNS",
    "CAUSE_LABELS_FR",
    "CONFIDENCE_LABELS_FR",
    "LAND_USE_LABELS_FR",
    "POOL_LABELS_FR",
    "POST_LABELS_FR",
    "SECTOR_LABELS_FR",
    "SUBSTANCE_LABELS_FR",
    "THEMES",
    "THEME_LABELS_FR",
    "TOTAL_ZONE",
    "category_label",
    "collect_sources",
    "item_label",
    "render_report",
    "report_charts",
    "synthesis_figures",
    "territory_rows",
    "unit_fr",
    "validate_bilan",
]

# --------------------------------------------------------------------------------------------
# Vocabulary: ids → French labels
# --------------------------------------------------------------------------------------------

#: zone_id of the territory totals.
TOTAL_ZONE: str = "TOTAL"

BILAN_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name", "theme", "category", "item", "value",
                                  "unit", "sign_convention", "source", "method", "estimate")

#: Themes in the order of the report and of the workbook.
THEMES: tuple[str, ...] = ("stocks", "flux_carbone", "emissions_secteur", "emissions_poste",
                           "emissions_poste_direct", "polluants", "scenario")

THEME_LABELS_FR: dict[str, str] = {
    "stocks": "Stocks de carbone des sols et de la biomasse",
    "flux_carbone": "Flux de carbone des sols et de la biomasse",
    "emissions_secteur": "Émissions directes de GES par secteur PCAET",
    "emissions_poste": "Émissions de GES de consommation par poste ESPASS",
    "emissions_poste_direct": "Émissions directes de GES réparties par poste ESPASS",
    "polluants": "Polluants atmosphériques par secteur PCAET",
    "scenario": "Scénarios : écart cumulé au tendanciel",
}

#: PCAET sectors, ESPASS posts and substances: the labels of the charts, one vocabulary.
SECTOR_LABELS_FR: dict[str, str] = dict(_charts.SECTOR_LABELS_FR)
POST_LABELS_FR: dict[str, str] = dict(_charts.POST_LABELS_FR)
SUBSTANCE_LABELS_FR: dict[str, str] = dict(_charts.SUBSTANCE_LABELS_FR)
#: Carbon pools (``item`` of the stocks and flows): :data:`espass_geo.constants.POOL_LABELS_FR`.
POOL_LABELS_FR: dict[str, str] = dict(_POOL_LABELS_FR)
#: Causes of the carbon flows (``category`` of ``flux_carbone``).
CAUSE_LABELS_FR: dict[str, str] = dict(_charts.CAUSE_LABELS_FR)
_LAND_USE_FALLBACK: dict[str, str] = {
    "cropland": "Cultures",
    "grassland": "Prairies",
    "forest": "Forêts",
    "wetland": "Zones humides et eau",
    "orchard": "Vergers",
    "vineyard": "Vignes",
    "artificial": "Sols artificiels",
    "hedges": "Haies",
    "wood_products": "Produits bois",
}


def _land_use_labels() -> dict[str, str]:
    from espass_geo.reference import data

    table = data.factor_table("land_use_classes")
    return {**_LAND_USE_FALLBACK, **dict(zip(table["land_use"], table["label_fr"], strict=True))}


#: Land uses (``category`` of the stocks): ``factors/land_use_classes.csv`` + a few groups.
LAND_USE_LABELS_FR: dict[str, str] = _land_use_labels()

def _gwp(substance: str) -> float:
    """GWP100 (IPCC AR6) of ``factors/substances.csv``, as used by :mod:`espass_geo.core.emissions`."""
    from espass_geo.core.emissions import gwp

    return gwp(substance, "ar6")


#: ``confidence`` column of the factor tables, in French.
CONFIDENCE_LABELS_FR: dict[str, str] = {
    "primary": "source primaire",
    "secondary": "source secondaire",
    "derived": "valeur dérivée",
    "unverified": "à vérifier",
    "estimate": "estimation",
    "default": "valeur par défaut",
}

_UNIT_FR = {"tCO2e/an": "tCO₂e/an", "tCO2e": "tCO₂e", "tC": "tC", "t/an": "t/an",
            "tCO2e/hab/an": "tCO₂e/hab/an"}


def unit_fr(unit: str) -> str:
    """Display form of a unit id: ``"tCO2e/an"`` → ``"tCO₂e/an"``."""
    unit = str(unit)
    return _UNIT_FR.get(unit, unit.replace("CO2", "CO₂"))


def category_label(theme: str, category: str) -> str:
    """French label of a ``category`` id (land use, cause, sector, post or lever)."""
    category = str(category)
    if theme in ("emissions_secteur", "polluants"):
        return SECTOR_LABELS_FR.get(category, category)
    if theme in ("emissions_poste", "emissions_poste_direct"):
        return POST_LABELS_FR.get(category, category)
    if theme == "stocks":
        return LAND_USE_LABELS_FR.get(category, category)
    if theme == "flux_carbone":
        return CAUSE_LABELS_FR.get(category, LAND_USE_LABELS_FR.get(category, category))
    if theme == "scenario":
        return _charts.lever_label(category)
    return category


def item_label(theme: str, item: str) -> str:
    """French label of an ``item`` id (pool, substance or scenario name)."""
    item = str(item)
    if theme in ("stocks", "flux_carbone"):
        return POOL_LABELS_FR.get(item, item)
    if theme == "scenario":
        return _charts.BASELINE_LABEL_FR if item == _charts.BASELINE else item
    return SUBSTANCE_LABELS_FR.get(item, item)


# --------------------------------------------------------------------------------------------
# Bilan helpers
# --------------------------------------------------------------------------------------------

def validate_bilan(bilan: pd.DataFrame) -> pd.DataFrame:
    """Check the columns of a bilan table; return it with clean dtypes (a copy).

    ``zone_id``, ``theme``, ``category``, ``item`` as strings, ``value`` as float, ``estimate``
    as bool. Raises ``TypeError``/``ValueError`` naming what is wrong.
    """
    if not isinstance(bilan, pd.DataFrame):
        raise TypeError(f"bilan must be a pandas DataFrame, got {type(bilan).__name__}")
    missing = [c for c in ("zone_id", "theme", "category", "item", "value", "unit")
               if c not in bilan.columns]
    if missing:
        raise ValueError(f"bilan: missing column(s) {missing}; expected {list(BILAN_COLUMNS)} "
                         "(one row per value, see espass_geo.present.report).")
    b = bilan.copy()
    for col in ("zone_id", "theme", "category", "item", "unit"):
        b[col] = b[col].astype(str)
    if "zone_name" not in b.columns:
        b["zone_name"] = b["zone_id"]
    b["zone_name"] = b["zone_name"].where(b["zone_name"].notna(), b["zone_id"]).astype(str)
    b["value"] = pd.to_numeric(b["value"], errors="raise").astype(float)
    if "estimate" not in b.columns:
        b["estimate"] = False
    b["estimate"] = b["estimate"].fillna(False).astype(bool)
    for col in ("sign_convention", "source", "method"):
        if col not in b.columns:
            b[col] = ""
        b[col] = b[col].fillna("").astype(str)
    return b


def _ghg(df: pd.DataFrame) -> pd.DataFrame:
    """GHG rows of an emissions theme: ``item == "GES"`` if present, else the tCO2e rows."""
    if (df["item"] == "GES").any():
        return df[df["item"] == "GES"]
    return df[df["unit"].str.startswith("tCO2e")]


def territory_rows(bilan: pd.DataFrame, theme: str) -> pd.DataFrame:
    """Territory rows of one theme: the ``TOTAL`` rows, else the zones summed.

    Returns ``category, item, value, unit, estimate`` (one row per category × item).
    """
    t = bilan[bilan["theme"] == theme]
    total = t[t["zone_id"] == TOTAL_ZONE]
    src = total if len(total) else t
    if src.empty:
        return pd.DataFrame(columns=["category", "item", "value", "unit", "estimate"])
    est = src["estimate"] if "estimate" in src.columns else pd.Series(False, index=src.index)
    src = src.assign(estimate=est.fillna(False).astype(bool))
    out = (src.groupby(["category", "item"], sort=False, as_index=False)
           .agg(value=("value", "sum"), unit=("unit", "first"), estimate=("estimate", "any")))
    return out


def _zone_order(bilan: pd.DataFrame) -> list[tuple[str, str]]:
    z = bilan[bilan["zone_id"] != TOTAL_ZONE][["zone_id", "zone_name"]].drop_duplicates("zone_id")
    return [(str(a), str(b)) for a, b in zip(z["zone_id"], z["zone_name"], strict=True)]


def _sum_or_none(values: pd.Series) -> float | None:
    return float(values.sum()) if len(values) else None


def synthesis_figures(bilan: pd.DataFrame) -> dict[str, float | None]:
    """Territory figures of the synthesis (tCO2e/an, tC), ``None`` when the theme is absent.

    * ``consumption``: consumption-based GHG, sum of the ESPASS posts except
      ``utilisation_terres`` (emission convention);
    * ``sequestration``: net carbon flow of soils and biomass (``flux_carbone``; ALDO convention,
      + = séquestration); without it, minus the ``utilisation_terres`` post;
    * ``net``: ``consumption − sequestration`` (+ = the territory emits more than it stores);
    * ``direct``: direct GHG of the PCAET sectors; ``stock``: carbon stock (tC).

    >>> import pandas as pd
    >>> b = pd.DataFrame({"zone_id": "TOTAL", "theme": ["emissions_poste", "flux_carbone"],
    ...                   "category": ["alimentation", "forest_growth"], "item": ["GES", "soil"],
    ...                   "value": [400_000.0, 50_000.0], "unit": ["tCO2e/an", "tCO2e/an"]})
    >>> synthesis_figures(validate_bilan(b))["net"]
    350000.0
    """
    posts = _ghg(territory_rows(bilan, "emissions_poste"))
    land_post = posts[posts["category"] == "utilisation_terres"]
    posts = posts[posts["category"] != "utilisation_terres"]
    consumption = _sum_or_none(posts["value"])
    flows = territory_rows(bilan, "flux_carbone")
    if len(flows):
        sequestration: float | None = float(flows["value"].sum())
    elif len(land_post):
        sequestration = -float(land_post["value"].sum())
    else:
        sequestration = None
    net = None
    if consumption is not None:
        net = consumption - (sequestration or 0.0)
    direct = _sum_or_none(_ghg(territory_rows(bilan, "emissions_secteur"))["value"])
    stock = _sum_or_none(territory_rows(bilan, "stocks")["value"])
    return {"consumption": consumption, "sequestration": sequestration, "net": net,
            "direct": direct, "stock": stock}


# --------------------------------------------------------------------------------------------
# Number display
# --------------------------------------------------------------------------------------------

def _decimals_for(max_abs: float) -> int:
    return 0 if max_abs >= 100 else 1 if max_abs >= 10 else 2


class _Scale:
    """One display scale for a table: t or kt, and a number of decimals."""

    def __init__(self, values: Iterable[float | None], unit: str) -> None:
        finite = [abs(float(v)) for v in values
                  if v is not None and not (isinstance(v, float) and math.isnan(v))]
        top = max(finite, default=0.0)
        base = unit_fr(unit)
        self.factor = 1.0
        self.unit = base
        if base.startswith("t") and top >= 10_000:
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


# --------------------------------------------------------------------------------------------
# Tables (lists of dicts of strings for the template)
# --------------------------------------------------------------------------------------------

def _table(headers: Sequence[str], rows: Sequence[Sequence[str]],
           total: Sequence[str] | None = None, *, unit: str = "",
           note: str = "") -> dict[str, Any]:
    return {"headers": list(headers), "rows": [list(r) for r in rows],
            "total": list(total) if total is not None else None, "unit": unit, "note": note}


def _order(ids: Iterable[str], reference: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(ids))
    return [i for i in reference if i in ids] + [i for i in ids if i not in reference]


def _estimate_note(rows: pd.DataFrame) -> str:
    if len(rows) and bool(rows["estimate"].any()):
        return ("Valeurs estimées (inventaire de démonstration ou occupation du sol "
                "synthétique) : ordres de grandeur, à remplacer par les données du territoire.")
    return ""


def _zone_table(bilan: pd.DataFrame, fig: Mapping[str, float | None]) -> dict[str, Any] | None:
    zones = _zone_order(bilan)
    if not zones:
        return None

    def per_zone(theme: str, *, ghg: bool = False,
                 exclude: str | None = None) -> dict[str, float]:
        t = bilan[(bilan["theme"] == theme) & (bilan["zone_id"] != TOTAL_ZONE)]
        if ghg:
            t = _ghg(t)
        if exclude:
            t = t[t["category"] != exclude]
        if t.empty:
            return {}
        return {str(k): float(v) for k, v in t.groupby("zone_id")["value"].sum().items()}

    direct = per_zone("emissions_secteur", ghg=True)
    conso = per_zone("emissions_poste", ghg=True, exclude="utilisation_terres")
    flux = per_zone("flux_carbone")
    stock = per_zone("stocks")
    if not flux:  # no carbon flows: the land-use post, sign flipped back to ALDO's
        land = _ghg(bilan[(bilan["theme"] == "emissions_poste")
                          & (bilan["zone_id"] != TOTAL_ZONE)
                          & (bilan["category"] == "utilisation_terres")])
        flux = {str(k): -float(v) for k, v in land.groupby("zone_id")["value"].sum().items()}
    net = {z: conso[z] - flux.get(z, 0.0) for z in conso}
    ghg_scale = _Scale([*direct.values(), *conso.values(), *flux.values(), *net.values(),
                        fig["direct"], fig["consumption"], fig["sequestration"], fig["net"]],
                       "tCO2e/an")
    stock_scale = _Scale([*stock.values(), fig["stock"]], "tC")
    cols = []
    if direct:
        cols.append(("Émissions directes", direct, fig["direct"], ghg_scale, False))
    if conso:
        cols.append(("Émissions de consommation", conso, fig["consumption"], ghg_scale, False))
    if flux:
        cols.append(("Séquestration nette (+) des sols et forêts", flux, fig["sequestration"],
                     ghg_scale, True))
    if conso:
        cols.append(("Bilan net", net, fig["net"], ghg_scale, False))
    if stock:
        cols.append((f"Stock de carbone ({stock_scale.unit})", stock, fig["stock"], stock_scale,
                     False))
    if not cols:
        return None
    headers = ["Zone"] + [c[0] for c in cols]
    rows = [[name] + [c[3](c[1].get(zid), c[4]) for c in cols] for zid, name in zones]
    total = ["Territoire"] + [c[3](c[2], c[4]) for c in cols]
    return _table(headers, rows, total, unit=f"Émissions et flux en {ghg_scale.unit}",
                  note="Séquestration : positif = le sol et la biomasse stockent du carbone ; "
                       "bilan net = émissions de consommation − séquestration nette.")


def _share(value: float, total: float) -> str:
    return fmt_percent(value / total, 1) if total else MISSING


def _sector_table(bilan: pd.DataFrame) -> dict[str, Any] | None:
    t = _ghg(territory_rows(bilan, "emissions_secteur"))
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
                  note=_estimate_note(t))


def _post_table(bilan: pd.DataFrame) -> dict[str, Any] | None:
    conso = _ghg(territory_rows(bilan, "emissions_poste"))
    direct = _ghg(territory_rows(bilan, "emissions_poste_direct"))
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
    note = ("Le poste « Utilisation des terres » est le flux de carbone des sols et de la "
            "biomasse, compté comme une émission : il est négatif quand le territoire "
            "séquestre.")
    est = _estimate_note(pd.concat([conso, direct]))
    return _table(headers, rows, total, note=" ".join(x for x in (note, est) if x))


def _pivot_table(rows: pd.DataFrame, theme: str, *, row_head: str, unit: str,
                 row_order: Sequence[str] = (), col_order: Sequence[str] = (),
                 per_column_scale: bool = False, signed: bool = False,
                 row_totals: bool = True, note: str = "") -> dict[str, Any] | None:
    if rows.empty:
        return None
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


# --------------------------------------------------------------------------------------------
# Sources of the factors
# --------------------------------------------------------------------------------------------

def _year_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def collect_sources(names: Iterable[str]) -> list[dict[str, str]]:
    """Sources of the factor tables ``factors/<name>.csv`` used by a run.

    One dict per distinct (``source``, ``source_year``, ``confidence``) of each table, in order:
    ``{"name": <table>, "source": ..., "year": ..., "confidence": ...}``. A table without a
    ``source_year`` or ``confidence`` column gives empty strings there.

    >>> collect_sources(["aldo_litter"])[0]["name"]
    'aldo_litter'
    """
    from espass_geo.reference import data

    out: list[dict[str, str]] = []
    for name in dict.fromkeys(str(n) for n in names):
        table = data.factor_table(name)
        if "source" not in table.columns:
            out.append({"name": name, "source": "(source non renseignée)", "year": "",
                        "confidence": ""})
            continue
        cols = [c for c in ("source", "source_year", "confidence") if c in table.columns]
        seen: set[tuple[str, str, str]] = set()
        for rec in table[cols].to_dict("records"):
            key = (str(rec.get("source") or "").strip(), _year_text(rec.get("source_year")),
                   str(rec.get("confidence") or "").strip()
                   if not (isinstance(rec.get("confidence"), float)
                           and math.isnan(rec["confidence"])) else "")
            if key in seen or not key[0] or key[0] == "nan":
                continue
            seen.add(key)
            out.append({"name": name, "source": key[0], "year": key[1], "confidence": key[2]})
    return out


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------

#: Captions of the known charts and the section they belong to.
CHART_INFO: dict[str, tuple[str, str]] = {
    "bilan_cascade": ("synthese", "Du total des émissions de consommation au bilan net"),
    "emissions_secteurs_postes": ("emissions", "Émissions par secteur PCAET et par poste ESPASS"),
    "imports_exports": ("emissions", "Émissions importées et exportées, par poste"),
    "polluants_secteurs": ("polluants", "Répartition de chaque polluant par secteur"),
    "synergies_ges_air": ("polluants", "Synergies et antagonismes climat – qualité de l'air"),
    "flux_annuels": ("scenarios", "Flux net annuel par scénario"),
    "ecart_cumule": ("scenarios", "Écart cumulé au tendanciel, par levier"),
    "stocks": ("scenarios", "Stock de carbone du territoire par scénario"),
}


def _chart_entries(charts: Mapping[str, str | os.PathLike[str]] | None,
                   out_path: Path) -> dict[str, list[dict[str, str]]]:
    by_section: dict[str, list[dict[str, str]]] = {}
    for name, path in (charts or {}).items():
        path = Path(path)
        if path.suffix.lower() != ".png":
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise OutputError(f"chart '{path}' cannot be read ({exc.strerror}); write the charts "
                              "before the report (espass_geo.present.report.report_charts).") from exc
        stem = Path(str(name)).stem if str(name).endswith(".png") else str(name)
        section, caption = CHART_INFO.get(stem, ("autres", stem.replace("_", " ").capitalize()))
        svg = path.with_suffix(".svg")
        svg_href = ""
        if svg.exists():
            try:
                svg_href = Path(os.path.relpath(svg.resolve(), out_path.resolve().parent)
                                ).as_posix()
            except ValueError:  # other drive (Windows)
                svg_href = svg.resolve().as_uri()
        by_section.setdefault(section, []).append({
            "name": stem,
            "caption": caption,
            "src": "data:image/png;base64," + base64.b64encode(raw).decode("ascii"),
            "svg_href": svg_href,
        })
    return by_section


def report_charts(bilan: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                  title: str) -> dict[str, Path]:
    """Draw the charts of the report into ``out_dir``; returns ``{name: png path}``.

    The waterfall of the net balance (:func:`espass_geo.present.charts.bilan_waterfall`, when the bilan
    has consumption emissions or carbon flows) and, when
    :mod:`espass_geo.present.charts` provides them, the emission and pollutant charts
    (``emissions_charts``, ``pollutant_charts``), all drawn from the bilan's territory rows.
    """
    b = validate_bilan(bilan)
    out = Path(out_dir)
    files: dict[str, Path] = {}
    waterfall = getattr(_charts, "bilan_waterfall", None)
    fig = synthesis_figures(b)
    if waterfall is not None and (fig["consumption"] is not None
                                  or fig["sequestration"] is not None):
        files.update(waterfall(b, out, title=title))
    emissions_charts = getattr(_charts, "emissions_charts", None)
    sec = _ghg(territory_rows(b, "emissions_secteur"))
    post = _ghg(territory_rows(b, "emissions_poste"))
    if emissions_charts is not None and (len(sec) or len(post)):
        def prep(t: pd.DataFrame) -> pd.DataFrame:
            return (t.groupby("category", as_index=False, sort=False)["value"].sum()
                    .rename(columns={"value": "emission_tCO2e"}))
        est = bool(pd.concat([sec, post])["estimate"].any())
        files.update(emissions_charts(prep(sec), prep(post), out, title=title, estimate=est))
    pollutant_charts = getattr(_charts, "pollutant_charts", None)
    pol = territory_rows(b, "polluants")
    if pollutant_charts is not None and len(pol):
        pols = (pol.rename(columns={"item": "substance", "value": "emission_t"})
                [["category", "substance", "emission_t"]])
        files.update(pollutant_charts(pols, out, title=title))
    return {Path(k).stem: Path(v) for k, v in files.items() if Path(v).suffix == ".png"}


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

def _environment() -> Environment:
    # select_autoescape() alone only matches names *ending* in .html/.htm/.xml: with the
    # defaults "rapport.html.j2" would NOT be escaped. ".html.j2" is listed explicitly.
    return Environment(
        loader=PackageLoader("espass_geo.present.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _param_text(v: Any) -> str:
    """A run parameter as written in a configuration file (integers, e.g. years, as is)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return {True: "oui", False: "non", None: "–"}[v]
    if isinstance(v, int):
        return str(v).replace("-", "\u2212")
    if isinstance(v, float):
        return repr(v).replace(".", ",").replace("-", "\u2212")
    try:
        return json.dumps(v, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(v)


def _date_text(v: Any) -> str:
    if isinstance(v, _dt.datetime):
        return v.strftime("%d/%m/%Y à %H:%M")
    if isinstance(v, _dt.date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def _methods_used(bilan: pd.DataFrame) -> set[str]:
    m = bilan[bilan["theme"].isin(["stocks", "flux_carbone"])]["method"]
    return {str(x).lower() for x in m if str(x)}


def _synthesis(fig: Mapping[str, float | None]) -> dict[str, Any]:
    # one unit for every GHG figure of the synthesis, so that they compare at a glance:
    # kilotonnes as soon as one of them reaches 10 000 t (fmt_mass_t's threshold)
    ghg = [abs(v) for k, v in fig.items() if k != "stock" and v is not None]
    if max(ghg, default=0.0) >= KILO_THRESHOLD_T:
        def flow(v: float | None) -> str:
            return MISSING if v is None else fmt_quantity(v / 1000.0, "ktCO₂e") + "/an"
    else:
        def flow(v: float | None) -> str:
            return MISSING if v is None else fmt_quantity(v, "tCO₂e") + "/an"
    cards = []
    if fig["consumption"] is not None:
        cards.append({"label": "Émissions de consommation", "value": flow(fig["consumption"]),
                      "hint": "empreinte des habitants, par poste ESPASS", "kind": "emission"})
    if fig["sequestration"] is not None:
        seq = fig["sequestration"]
        cards.append({"label": "Séquestration nette des sols et forêts" if seq >= 0
                      else "Émission nette des sols et forêts",
                      "value": flow(abs(seq)),
                      "hint": "flux de carbone des sols et de la biomasse", "kind": "sink" if seq >= 0
                      else "emission"})
    if fig["net"] is not None:
        cards.append({"label": "Bilan net", "value": flow(fig["net"]),
                      "hint": "consommation − séquestration", "kind": "net"})
    if fig["direct"] is not None:
        cards.append({"label": "Émissions directes", "value": flow(fig["direct"]),
                      "hint": "inventaire territorial, secteurs PCAET", "kind": "emission"})
    if fig["stock"] is not None:
        cards.append({"label": "Carbone stocké", "value": fmt_mass_t(fig["stock"], "tC"),
                      "hint": "sols et biomasse (stock, pas un flux)", "kind": "stock"})
    sentences = []
    c, s, n, d = fig["consumption"], fig["sequestration"], fig["net"], fig["direct"]
    if c is not None:
        text = (f"Par leur consommation (alimentation, biens, déplacements, logement, services, "
                f"travaux), les habitants du territoire sont à l'origine de {flow(c)} de gaz "
                "à effet de serre.")
        sentences.append(text)
    if s is not None:
        if s >= 0:
            text = (f"Les sols, les forêts et la biomasse du territoire en retirent de "
                    f"l'atmosphère {flow(s)} (séquestration nette)")
            if c:
                text += (f", soit {fmt_percent(s / c, 1)} des émissions de consommation")
            sentences.append(text + ".")
        else:
            sentences.append(f"Les sols et la biomasse du territoire ne séquestrent pas : ils "
                             f"émettent en net {flow(-s)} (artificialisation, "
                             "retournement de prairies…).")
    if n is not None:
        sentences.append(f"Le bilan net du territoire est de {flow(n)}.")
    if d is not None:
        sentences.append(f"Les émissions directes, produites sur le territoire (inventaire par "
                         f"secteur PCAET), s'élèvent à {flow(d)}.")
    return {"cards": cards, "sentences": sentences,
            "net_text": flow(n) if n is not None else MISSING}


def _build_context(bilan: pd.DataFrame, meta: Mapping[str, Any],
                   charts: Mapping[str, str | os.PathLike[str]] | None,
                   out_path: Path) -> dict[str, Any]:
    from espass_geo import __version__

    b = validate_bilan(bilan)
    for key in ("title", "territory_label"):
        if key not in meta:
            raise ValueError(f"meta: missing key {key!r}; expected title, territory_label, "
                             "version, generated_at, params, warnings, sources, map_href.")
    fig = synthesis_figures(b)
    themes = set(b["theme"])
    chart_sections = _chart_entries(charts, out_path)

    stocks = territory_rows(b, "stocks")
    flows = territory_rows(b, "flux_carbone")
    pools = list(POOL_LABELS_FR)
    stock_table = _pivot_table(stocks, "stocks", row_head="Occupation du sol", unit="tC",
                               row_order=list(LAND_USE_LABELS_FR), col_order=pools,
                               note=_estimate_note(stocks))
    flow_table = _pivot_table(flows, "flux_carbone", row_head="Cause", unit="tCO2e/an",
                              row_order=list(CAUSE_LABELS_FR), col_order=pools, signed=False,
                              note="Positif = séquestration (le carbone est stocké), négatif = "
                                   "émission. " + _estimate_note(flows))
    pol = territory_rows(b, "polluants")
    pol_order = [s for s in SUBSTANCE_LABELS_FR if s != "GES"]
    pol_table = _pivot_table(pol, "polluants", row_head="Secteur PCAET", unit="t/an",
                             row_order=list(SECTOR_LABELS_FR), col_order=pol_order,
                             per_column_scale=True, note=_estimate_note(pol))
    scen = territory_rows(b, "scenario")
    params_in = dict(meta.get("params") or {})
    horizon = next((str(params_in[k]) for k in ("horizon", "horizon_year", "annee_horizon",
                                                "end_year") if params_in.get(k)), "")
    at_horizon = f"en {horizon}" if horizon else "à l'horizon du scénario"
    scen_table = _pivot_table(scen, "scenario", row_head="Levier", unit="tCO2e",
                              row_order=list(_charts.LEVER_LABELS_FR), signed=True,
                              row_totals=False,  # scenarios are alternatives: never added
                              note=f"Écart cumulé au tendanciel {at_horizon} : "
                                   "positif = séquestration supplémentaire (ou émissions "
                                   "évitées), négatif = perte de carbone.")

    warnings = [str(w) for w in meta.get("warnings") or []]
    if bool(b["estimate"].any()):
        auto = ("Une partie des valeurs est estimée (inventaire de démonstration ou occupation "
                "du sol synthétique) : les chiffres marqués comme estimés donnent des ordres de "
                "grandeur, pas un bilan officiel.")
        if not any("estim" in w.lower() for w in warnings):
            warnings.append(auto)
    sources = []
    previous = None
    for src in meta.get("sources") or []:
        name = str(src.get("name", ""))
        conf = str(src.get("confidence", "") or "")
        sources.append({"name": name, "first": name != previous,
                        "source": str(src.get("source", "")),
                        "year": _year_text(src.get("year", "")),
                        "confidence": CONFIDENCE_LABELS_FR.get(conf, conf)})
        previous = name
    params = [{"key": str(k), "value": _param_text(v)}
              for k, v in dict(meta.get("params") or {}).items()]
    generated = meta.get("generated_at") or _dt.datetime.now().replace(microsecond=0)
    zones = _zone_order(b)

    return {
        "title": str(meta["title"]),
        "territory_label": str(meta["territory_label"]),
        "version": str(meta.get("version") or __version__),
        "generated_at": _date_text(generated),
        "params": params,
        "warnings": warnings,
        "sources": sources,
        "map_href": str(meta.get("map_href") or ""),
        "n_zones": len(zones),
        "synthesis": _synthesis(fig),
        "zone_table": _zone_table(b, fig),
        "sector_table": _sector_table(b),
        "post_table": _post_table(b),
        "pollutant_table": pol_table,
        "stock_table": stock_table,
        "flow_table": flow_table,
        "scenario_table": scen_table,
        "has_scenarios": "scenario" in themes,
        "at_horizon": at_horizon,
        "methods": sorted(_methods_used(b)),
        "charts": {k: chart_sections.get(k, []) for k in
                   ("synthese", "emissions", "polluants", "carbone", "scenarios", "autres")},
        "c_to_co2": fmt_number(C_TO_CO2, 2),
        "gwp_ch4": fmt_number(_gwp("CH4"), 1),
        "gwp_n2o": fmt_number(_gwp("N2O"), 0),
        "kt_threshold": fmt_quantity(KILO_THRESHOLD_T, "t"),
        "one_kt": fmt_quantity(1000, "t"),
        "css": _css(),
        "nbsp": NBSP,
    }


def _css() -> str:
    from importlib.resources import files

    return (files("espass_geo.present.report") / "templates" / "rapport.css").read_text(
        encoding="utf-8")


def render_report(bilan: pd.DataFrame, *, meta: Mapping[str, Any],
                  charts: Mapping[str, str | os.PathLike[str]] | None,
                  out_path: str | os.PathLike[str],
                  template: str = "rapport.html.j2") -> Path:
    """Write the HTML report of a bilan (one self-contained file) and return its path.

    Parameters
    ----------
    bilan
        The tidy bilan table (see the module docstring).
    meta
        ``title``, ``territory_label`` (required), ``version``, ``generated_at`` (str or
        datetime), ``params`` (dict of run parameters, shown in the footer), ``warnings``
        (French sentences), ``sources`` (see :func:`collect_sources`), ``map_href`` (relative
        link to the interactive map, e.g. ``"index.html"``).
    charts
        ``{name: png path}`` (e.g. from :func:`report_charts`); the PNGs are embedded in
        base64, the SVG next to each PNG (same stem) is linked when it exists.
    out_path
        The HTML file to write (atomically: temporary file in the same folder, then rename).
    template
        Template name in ``espass_geo/report/templates``.
    """
    out = Path(out_path)
    context = _build_context(bilan, meta, charts, out)
    html = _environment().get_template(template).render(**context)
    return _atomic_write_text(out, html)


def _default_permissions(path: Path) -> None:
    """mkstemp creates files 0600: give them the usual ``0666 & ~umask``."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _atomic_write_text(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write '{path}' ({exc.strerror}); choose a writable "
                          "folder.") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        _default_permissions(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
