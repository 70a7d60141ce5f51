"""Exports of the bilan table: XLSX workbook with a "Lisez-moi" sheet, CSV (plain and French).

* :func:`write_xlsx`: a "Lisez-moi" sheet first (title, territory, version, date, units, sign
  conventions, column meanings, sources, run parameters, warnings), then one sheet per theme of
  the bilan ("Stocks", "Flux carbone", "Émissions secteurs"…), French column headers, frozen
  header row, autofilter, numbers stored as numbers (Excel shows them with the reader's
  separators). Each theme sheet holds exactly the bilan's rows of that theme, so its sum is the
  bilan's sum (totals reconcile with the report and the CSV files).
* :func:`write_csv_fr`: the French-Excel variant (``;``, decimal comma, UTF-8 with BOM);
  :func:`write_csv`: plain UTF-8 CSV (``,``, decimal point).

Spreadsheet safety (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading ``'`` in both CSV files and stored
as a string (never a formula) in the workbook; numbers stay numbers.

Every writer is atomic (:func:`espass_geo.io.files.atomic_write`): the file is written to a
temporary file in the target folder, then moved over the target, so a failed run never leaves a
truncated file.
(conventions §4.3.)
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from espass_geo.io.files import atomic_write
from espass_geo.present.report import THEMES, TOTAL_ZONE, validate_bilan
from espass_geo.present.vocabulary import THEME_LABELS_FR, category_label, item_label, unit_fr

__all__ = [
    "COLUMN_HEADERS_FR",
    "README_SHEET",
    "SHEET_NAMES_FR",
    "bilan_frame_fr",
    "write_csv",
    "write_csv_fr",
    "write_xlsx",
    "write_zan_xlsx",
]

#: Name of the first sheet of the workbook.
README_SHEET: str = "Lisez-moi"

#: Sheet name of each theme (≤ 31 characters, no ``[]:*?/\\``).
SHEET_NAMES_FR: dict[str, str] = {
    "stocks": "Stocks",
    "flux_carbone": "Flux carbone",
    "emissions_secteur": "Émissions secteurs",
    "emissions_poste": "Émissions postes",
    "emissions_poste_direct": "Émissions postes (direct)",
    "polluants": "Polluants",
    "scenario": "Scénarios",
}

#: What the ``category`` and ``item`` columns hold, per theme (headers of the label columns).
_CATEGORY_HEAD: dict[str, str] = {
    "stocks": "Occupation du sol",
    "flux_carbone": "Cause",
    "emissions_secteur": "Secteur PCAET",
    "emissions_poste": "Poste ESPASS",
    "emissions_poste_direct": "Poste ESPASS",
    "polluants": "Secteur PCAET",
    "scenario": "Levier",
}
_ITEM_HEAD: dict[str, str] = {
    "stocks": "Réservoir",
    "flux_carbone": "Réservoir",
    "emissions_secteur": "Substance",
    "emissions_poste": "Substance",
    "emissions_poste_direct": "Substance",
    "polluants": "Polluant",
    "scenario": "Scénario",
}

#: French headers of the bilan columns (the ``*_label`` columns are added by the export).
COLUMN_HEADERS_FR: dict[str, str] = {
    "zone_id": "Code zone",
    "zone_name": "Zone",
    "category": "Code catégorie",
    "category_label": "Catégorie",
    "item": "Code élément",
    "item_label": "Élément",
    "value": "Valeur",
    "value_p05": "Intervalle à 90 % : borne basse",
    "value_p95": "Intervalle à 90 % : borne haute",
    "unit": "Unité",
    "sign_convention": "Convention de signe",
    "method": "Méthode",
    "estimate": "Estimation",
    "source": "Source",
}
_COLUMN_ORDER = ("zone_id", "zone_name", "category", "category_label", "item", "item_label",
                 "value", "value_p05", "value_p95", "unit", "sign_convention", "method",
                 "estimate", "source")
_COLUMN_WIDTHS = {"zone_id": 12, "zone_name": 28, "category": 20, "category_label": 34,
                  "item": 16, "item_label": 22, "value": 16, "value_p05": 16, "value_p95": 16,
                  "unit": 11, "sign_convention": 40,
                  "method": 11, "estimate": 11, "source": 60}
_VALUE_FORMAT = "#,##0.00"

_DEFAULT_UNITS: dict[str, str] = {
    "stocks": "tC (tonnes de carbone)",
    "flux_carbone": "tCO2e/an (tonnes équivalent CO2 par an)",
    "emissions_secteur": "tCO2e/an",
    "emissions_poste": "tCO2e/an",
    "emissions_poste_direct": "tCO2e/an",
    "polluants": "t/an (tonnes par an)",
    "scenario": "tCO2e (cumulées à l'horizon du scénario)",
}


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

#: First characters that make a spreadsheet read a text cell as a formula (OWASP).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: Any) -> Any:
    """A text that starts like a formula gets a leading ``'``; anything else is unchanged.

    Only strings are touched: numbers (negative ones included) stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_text(value: Any) -> Any:
    value = neutralise_text(value)
    if isinstance(value, str) and "\r" in value:
        # the csv module quotes a field for "\n" but not for a bare "\r", which would split
        # the row in most readers: carriage returns become line feeds (the field is quoted)
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _needs_csv_fix(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or "\r" in value)


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and header neutralised (see :func:`neutralise_text`).

    Carriage returns inside text become line feeds (see :func:`_csv_text`). Numeric columns
    are returned as they are; the frame is copied only when a text column or header needs it.
    """
    out = df
    for j, col in enumerate(df.columns):
        s = df.iloc[:, j]
        if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)
                or isinstance(s.dtype, pd.CategoricalDtype)):
            continue
        values = s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
        if bool(values.map(_needs_csv_fix).any()):
            if out is df:
                out = df.copy()
            out.isetitem(j, values.map(_csv_text))
    names = [_csv_text(c) for c in out.columns]
    if names != list(out.columns):
        if out is df:
            out = df.copy()
        out.columns = names
    return out


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Plain CSV: UTF-8 without BOM, ``,`` separator, decimal point, full float precision.

    Text cells starting with ``= + - @``, tab or carriage return are neutralised
    (:func:`csv_safe`) so that no spreadsheet runs them as formulas.
    """
    safe = csv_safe(df)
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8"))


def write_csv_fr(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """French-Excel CSV: ``;`` separator, decimal comma, UTF-8 with BOM (``utf-8-sig``).

    Opens with the right columns and numbers in a French Excel by double-click; read it back
    with ``pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")``.
    """
    safe = csv_safe(df)
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, sep=";", decimal=",", index=False,
                                                       encoding="utf-8-sig"))


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------

def _sheet_name(theme: str, used: set[str]) -> str:
    name = SHEET_NAMES_FR.get(theme, theme)
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    name = name.strip("'")[:31] or "Feuille"
    base, k = name, 2
    while name.lower() in used:
        suffix = f" ({k})"
        name = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(name.lower())
    return name


def bilan_frame_fr(bilan: pd.DataFrame, theme: str) -> pd.DataFrame:
    """Rows of one theme with French label columns and French headers (as in the workbook).

    Columns: Code zone, Zone, Code catégorie, <Catégorie>, Code élément, <Élément>, Valeur,
    Unité, Convention de signe, Méthode, Estimation ("oui"/"non"), Source; the two label
    headers name what the theme holds ("Secteur PCAET", "Réservoir"…). Territory rows
    (``zone_id == "TOTAL"``) come first.
    """
    b = validate_bilan(bilan)
    t = b[b["theme"] == theme].copy()
    t["category_label"] = [category_label(theme, c) for c in t["category"]]
    t["item_label"] = [item_label(theme, i) for i in t["item"]]
    t["estimate"] = t["estimate"].map({True: "oui", False: "non"})
    t["_total"] = (t["zone_id"] != TOTAL_ZONE).astype(int)
    t = t.sort_values("_total", kind="stable").drop(columns="_total")
    cols = [c for c in _COLUMN_ORDER if c in t.columns]
    headers = dict(COLUMN_HEADERS_FR)
    headers["category_label"] = _CATEGORY_HEAD.get(theme, "Catégorie")
    headers["item_label"] = _ITEM_HEAD.get(theme, "Élément")
    return t[cols].rename(columns=headers).reset_index(drop=True)


def _readme_rows(bilan: pd.DataFrame, themes: list[str], sheets: Mapping[str, str],
                 meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    from espass_geo import __version__

    gen = meta.get("generated_at") or _dt.datetime.now().replace(microsecond=0)
    if isinstance(gen, _dt.datetime):
        gen = gen.strftime("%d/%m/%Y %H:%M")
    elif isinstance(gen, _dt.date):
        gen = gen.strftime("%d/%m/%Y")
    rows: list[tuple[str, str]] = [
        (str(meta.get("title") or "Bilan ESPASS"), ""),
        ("Territoire", str(meta.get("territory_label", ""))),
        ("Version d'espass_geo", str(meta.get("version") or __version__)),
        ("Date du calcul", str(gen)),
        ("", ""),
        ("Contenu", "Une feuille par thème ; une ligne par valeur. Les lignes dont le code zone "
                    f"est « {TOTAL_ZONE} » sont les totaux du territoire (en tête de feuille) ; "
                    "les autres lignes donnent le détail par zone. Pour un total, filtrez sur "
                    f"« {TOTAL_ZONE} » ou sur les zones, pas les deux."),
    ]
    for theme in themes:
        rows.append((f"Feuille « {sheets[theme]} »", THEME_LABELS_FR.get(theme, theme)))
    rows.append(("", ""))
    rows.append(("Unités", ""))
    for theme in themes:
        units = sorted(set(bilan.loc[bilan["theme"] == theme, "unit"]))
        text = ", ".join(unit_fr(u) for u in units) or _DEFAULT_UNITS.get(theme, "")
        rows.append((f"  {sheets[theme]}", text))
    rows.append(("", ""))
    rows.append(("Conventions de signe", "Émissions comptées en positif. Carbone des sols et "
                 "de la biomasse (convention ALDO) : positif = séquestration, négatif = "
                 "émission. Poste « Utilisation des terres » : signe inversé (négatif = "
                 "séquestration). Scénarios : positif = séquestration supplémentaire par "
                 "rapport au tendanciel."))
    for theme in themes:
        conv = sorted({str(c) for c in bilan.loc[bilan["theme"] == theme, "sign_convention"]
                       if str(c).strip()})
        if conv:
            rows.append((f"  {sheets[theme]}", " ; ".join(conv)))
    from espass_geo.core.emissions import (
        gwp,  # GWPs of the active factor set (factors/substances.csv)
    )
    from espass_geo.present.fmt import fmt_number

    rows.append(("Équivalences", "1 tC = 44/12 ≈ 3,67 tCO2e ; PRG à 100 ans du GIEC AR6 "
                 f"(CH4 {fmt_number(gwp('CH4'), 1)} ; N2O {fmt_number(gwp('N2O'), 0)}) ; "
                 "1 kt = 1 000 t."))
    rows.append(("Colonnes", "Code zone, Zone ; Code catégorie et son libellé (occupation du "
                 "sol, cause, secteur, poste ou levier) ; Code élément et son libellé "
                 "(réservoir, substance ou scénario) ; Valeur (nombre) ; Unité ; Convention de "
                 "signe ; Méthode ; Estimation (oui = valeur de l'inventaire de démonstration "
                 "ou d'une occupation du sol synthétique) ; Source."))
    if "value_p05" in bilan.columns:
        rows.append(("Intervalles à 90 %", "Colonnes « Intervalle à 90 % : borne basse / "
                     "haute » (stocks, flux de carbone, scénarios ; émissions estimées) : "
                     "erreurs des facteurs seulement (surfaces supposées exactes), partagées "
                     "entre zones ; Monte Carlo 2 000 tirages, graine fixe. Vide : pas "
                     "d'erreur connue (inventaire publié)."))
    warnings = [str(w) for w in meta.get("warnings") or []]
    if warnings:
        rows.append(("", ""))
        rows.append(("Avertissements", ""))
        rows += [("  •", w) for w in warnings]
    sources = list(meta.get("sources") or [])
    if sources:
        rows.append(("", ""))
        rows.append(("Sources des facteurs", ""))
        for s in sources:
            details = ", ".join(x for x in (str(s.get("year", "") or ""),
                                            f"confiance : {s['confidence']}"
                                            if s.get("confidence") else "") if x)
            rows.append((f"  {s.get('name', '')}",
                         str(s.get("source", "")) + (f" ({details})" if details else "")))
    params = dict(meta.get("params") or {})
    if params:
        rows.append(("", ""))
        rows.append(("Paramètres du calcul", ""))
        for k, v in params.items():
            text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
            rows.append((f"  {k}", text))
    return rows


def write_xlsx(bilan: pd.DataFrame, path: str | os.PathLike[str], *,
               meta: Mapping[str, Any]) -> Path:
    """Write the bilan as an XLSX workbook: "Lisez-moi" first, then one sheet per theme.

    Parameters
    ----------
    bilan
        The tidy bilan table (see :mod:`espass_geo.present.report`).
    path
        Target ``.xlsx`` file (written atomically).
    meta
        As for :func:`espass_geo.present.report.render_report`: ``title``, ``territory_label``,
        ``version``, ``generated_at``, ``params``, ``warnings``, ``sources``.

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    b = validate_bilan(bilan)
    present = list(dict.fromkeys(b["theme"]))
    themes = [t for t in THEMES if t in present] + [t for t in present if t not in THEMES]
    used: set[str] = {README_SHEET.lower()}
    sheets = {t: _sheet_name(t, used) for t in themes}

    wb = Workbook()
    ws = wb.active
    ws.title = README_SHEET
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DCE6F0")
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, (key, value) in enumerate(_readme_rows(b, themes, sheets, meta), start=1):
        a = _put(ws, r, 1, key)
        c = _put(ws, r, 2, value)
        a.alignment = wrap
        c.alignment = wrap
        if key and not key.startswith("  "):
            a.font = bold
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 110

    for theme in themes:
        frame = bilan_frame_fr(b, theme)
        wst = wb.create_sheet(sheets[theme])
        keys = list(_COLUMN_ORDER)
        for j, head in enumerate(frame.columns, start=1):
            cell = _put(wst, 1, j, head)
            cell.font = bold
            cell.fill = head_fill
            cell.alignment = Alignment(vertical="center")
        value_cols = [list(frame.columns).index(COLUMN_HEADERS_FR[k]) + 1
                      for k in ("value", "value_p05", "value_p95")
                      if COLUMN_HEADERS_FR[k] in frame.columns]
        for i, rec in enumerate(frame.itertuples(index=False, name=None), start=2):
            for j, v in enumerate(rec, start=1):
                _put(wst, i, j, v)
        for value_col in value_cols:
            for row in wst.iter_rows(min_row=2, min_col=value_col, max_col=value_col):
                for cell in row:
                    cell.number_format = _VALUE_FORMAT
        keys = [k for k in keys if k in b.columns or k.endswith("_label")]
        for j, key in enumerate(keys[: len(frame.columns)], start=1):
            wst.column_dimensions[get_column_letter(j)].width = _COLUMN_WIDTHS.get(key, 16)
        wst.freeze_panes = "A2"
        wst.auto_filter.ref = wst.dimensions

    return atomic_write(path, wb.save)


def _cell(v: Any) -> Any:
    """Python scalars for openpyxl (numpy types converted, NaN as an empty cell)."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()
    if isinstance(v, float) and v != v:  # NaN
        return None
    if isinstance(v, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        v = ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)  # control characters XLSX cannot hold
    return v


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Set a cell; text is always stored as text, never as a formula (OWASP).

    openpyxl turns a string starting with ``=`` into a formula: the cell is set back to the
    string type, and every text that starts like a formula (``= + - @``, tab, carriage
    return) gets Excel's "quote prefix" so that editing it in Excel keeps it as text.
    """
    v = _cell(value)
    cell = ws.cell(row=row, column=column)
    cell.value = v
    if isinstance(v, str):
        cell.data_type = "s"
        if v.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
    return cell


# --------------------------------------------------------------------------------------------
# XLSX of the ZAN tables (issue #12)
# --------------------------------------------------------------------------------------------

#: What each table of :class:`espass_geo.runs.zan.ZanResult` holds (keys as the CSV names).
ZAN_SHEETS_FR: dict[str, str] = {
    "zan_communes": "Par commune : référence 2011-2020, budget 2021-2030, consommé depuis 2021, "
                    "reste, part du budget, coût carbone (tCO2e émises)",
    "zan_trajectoire": "Par année : consommation observée, trajectoire ZAN, tendance (ha)",
    "zan_carbone": "Par commune, année et destination : hectares et tCO2e émises",
    "zan_cout_par_ha": "tCO2e par hectare consommé, par commune et destination",
    "zan_territorialisation": "L'enveloppe 2021-2030 du territoire répartie entre communes",
    "zan_net_ocsge": "Artificialisation nette d'après l'OCS GE, et son carbone",
    "zan_net_trajectoire": "Artificialisation nette d'après l'OCS GE, par période",
}


def write_zan_xlsx(result_tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *,
                   title: str = "espass_geo — ZAN : consommation d'espaces et coût carbone",
                   notes: Sequence[str] = ()) -> Path:
    """Write the ZAN tables as one XLSX workbook: a "Lisez-moi" sheet (title, what each sheet
    holds, the sign of a carbon cost, ``notes`` — the estimate warning first when the
    consumption file is the demo one), then one sheet per table, in the order given.

    ``result_tables``: ``{name: DataFrame}``, e.g. ``{"zan_communes": result.accounts,
    "zan_trajectoire": result.trajectory, "zan_carbone": result.carbon}`` (names of
    :data:`ZAN_SHEETS_FR`; others are written too, under their own name). Headers are the
    column names (as in the CSV files); text is never a formula (OWASP), numbers stay
    numbers, NaN is an empty cell. Written atomically.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from espass_geo import __version__

    used: set[str] = {README_SHEET.lower()}
    sheets = {name: _sheet_name(str(name), used) for name in result_tables}
    wb = Workbook()
    ws = wb.active
    ws.title = README_SHEET
    bold = Font(bold=True)
    rows: list[tuple[str, str]] = [
        (title, ""), ("Version", __version__), ("", ""),
        ("Signe", "Coût carbone : tCO2e émises, compté positivement (à l'inverse des flux, où "
                  "positif = séquestration)."),
        ("Unités", "hectares (ha), tCO2e ; codes INSEE des communes."), ("", ""),
        ("Feuilles", ""),
    ]
    rows += [(f"  {sheets[name]}", ZAN_SHEETS_FR.get(str(name), "")) for name in result_tables]
    if notes:
        rows += [("", ""), ("Avertissements", "")] + [("  -", str(n)) for n in notes]
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, (key, value) in enumerate(rows, start=1):
        a = _put(ws, r, 1, key)
        c = _put(ws, r, 2, value)
        a.alignment = c.alignment = wrap
        if key and not key.startswith("  "):
            a.font = bold
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 110
    head_fill = PatternFill("solid", fgColor="DCE6F0")
    for name, frame in result_tables.items():
        wst = wb.create_sheet(sheets[name])
        df = pd.DataFrame(frame)
        if "geometry" in df.columns:
            df = df.drop(columns="geometry")
        for j, head in enumerate(df.columns, start=1):
            cell = _put(wst, 1, j, str(head))
            cell.font = bold
            cell.fill = head_fill
            wst.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(str(head))
                                                                          + 2))
        for i, rec in enumerate(df.itertuples(index=False, name=None), start=2):
            for j, v in enumerate(rec, start=1):
                cell = _put(wst, i, j, v)
                if isinstance(cell.value, float):
                    cell.number_format = _VALUE_FORMAT
        wst.freeze_panes = "A2"
        if len(df.columns):
            wst.auto_filter.ref = wst.dimensions
    return atomic_write(path, wb.save)
