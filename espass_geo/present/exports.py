"""Exports of the bilan table: XLSX workbook (« Synthèse », « Lisez-moi », one sheet per theme),
CSV (plain and French).

* :func:`write_xlsx`: a « Synthèse » sheet first (headline figures with their unit and sign
  convention in words, per-post, per-sector, per-pool, per-land-use and per-cause summaries,
  native Excel bar charts), then « Lisez-moi » (title, territory, version, date, units, sign
  conventions, column meanings, warnings, the run parameters as French sentences with paths
  relative to the configuration file), then one sheet per theme of the bilan (« Stocks »,
  « Flux carbone », « Émissions secteurs »…): French column headers, frozen header row,
  autofilter, numbers stored as numbers (Excel shows them with the reader's separators). Each
  theme sheet holds exactly the bilan's rows of that theme, so its sum is the bilan's sum, and
  every figure of the synthesis is a sum of the bilan's ``TOTAL`` rows (totals reconcile with the
  report and the CSV files). Workbooks are written in openpyxl's *write-only* mode (rows
  streamed, one sanitising pass per column).
* :func:`write_csv_fr`: the French-Excel variant (``;``, decimal comma, UTF-8 with BOM,
  ``oui``/``non`` for booleans; with ``rounded=True``, as for the bilan's French CSV, numbers
  rounded by :func:`round_for_reading`);
  :func:`write_csv`: plain UTF-8 CSV (``,``, decimal point, full precision, unchanged values).

Rounding of the French CSV (:func:`round_for_reading`): each number keeps at least 3
significant digits, and at least 2 decimals for hectares, densities (per ha), kilometres and
shares, 1 decimal for masses (t, tC, tCO2e, per year or not), 2 for anything else; never more
than 6 decimals. The unit is read from the column name (``area_ha``, ``stock_tC``,
``flux_tCO2e_an``, ``budget_used_share``…) or, for the ``value`` columns of the bilan, from its
``unit`` column. Examples: 1 234,567 tC → 1 234,6; 0,125 t → 0,125; 12,3456 ha → 12,35;
0,0123 ha → 0,0123. Integers and text are unchanged. The plain CSV keeps full precision (use
it to recompute totals to the tonne).

Spreadsheet safety (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading ``'`` in both CSV files and stored
as a string (never a formula) in the workbook, with Excel's quote prefix; numbers stay numbers.

Every writer is atomic (:func:`espass_geo.io.files.atomic_write`): the file is written to a
temporary file in the target folder, then moved over the target, so a failed run never leaves a
truncated file.
(conventions §4.3.)
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Mapping, Sequence
from copy import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from espass_geo.constants import C_TO_CO2
from espass_geo.io.files import atomic_write
from espass_geo.present.report import THEMES, TOTAL_ZONE, validate_bilan
from espass_geo.present.vocabulary import THEME_LABELS_FR, category_label, item_label, unit_fr

__all__ = [
    "COLUMN_HEADERS_FR",
    "README_SHEET",
    "SHEET_NAMES_FR",
    "SYNTHESIS_SHEET",
    "bilan_frame_fr",
    "csv_fr_frame",
    "params_fr",
    "round_for_reading",
    "synthesis_figures",
    "write_csv",
    "write_csv_fr",
    "write_xlsx",
    "write_zan_xlsx",
]

#: Name of the first sheet of the workbook (headline figures and charts).
SYNTHESIS_SHEET: str = "Synthèse"
#: Name of the sheet that explains the workbook (second).
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
_TONNE_FORMAT = "#,##0"

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


def _is_text_dtype(dtype: Any) -> bool:
    return (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype))


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and header neutralised (see :func:`neutralise_text`).

    Carriage returns inside text become line feeds (see :func:`_csv_text`). Numeric columns
    are returned as they are; the frame is copied only when a text column or header needs it.
    """
    out = df
    for j, col in enumerate(df.columns):
        s = df.iloc[:, j]
        if not _is_text_dtype(s.dtype):
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


#: Minimum decimals per kind of unit (:func:`round_for_reading`).
_MIN_DECIMALS = {"area": 2, "density": 2, "length": 2, "share": 2, "mass": 1, "other": 2}
_SIGNIFICANT = 3
_MAX_DECIMALS = 6


def _unit_kind(unit: str) -> str:
    """``area``, ``density``, ``length``, ``share``, ``mass`` or ``other`` for a unit written
    in a column name (``stock_tC``, ``area_ha_an``) or in a unit cell (``tCO2e/an``)."""
    u = str(unit).strip().lower().replace("₂", "2").replace(" ", "")
    if not u:
        return "other"
    tokens = [t for t in u.replace("/", "_").split("_") if t]
    if "%" in u or any(t in ("share", "ratio", "fraction", "percent", "pct", "part", "parts")
                       for t in tokens):
        return "share"
    if "per_ha" in u or "/ha" in u or u.endswith(("_tc_ha", "_tco2e_ha", "tc_ha_an",
                                                    "tco2e_ha_an", "_ha_an_per")):
        return "density"
    if "ha" in tokens:
        return "area"
    if "km" in tokens or "m" in tokens:
        return "length"
    if any(t in ("t", "tc", "tco2e", "tco2", "tn2o", "kt", "ktc", "kteqco2", "ktco2e", "mtc",
                 "teqco2") for t in tokens) or u in ("t", "tc", "tco2e", "t/an"):
        return "mass"
    return "other"


def _round_array(values: np.ndarray, min_decimals: np.ndarray | int) -> np.ndarray:
    """Round each value to max(min_decimals, 3 significant digits) decimals, ≤ 6."""
    v = np.asarray(values, dtype=float)
    a = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(np.isfinite(a) & (a > 0), np.floor(np.log10(np.where(a > 0, a, 1.0))),
                       0.0)
    dec = np.clip(np.maximum(min_decimals, _SIGNIFICANT - 1 - mag), 0, _MAX_DECIMALS)
    scale = 10.0 ** dec
    out = np.round(v * scale) / scale
    return np.where(np.isfinite(v), out, v) + 0.0  # -0.0 → 0.0


def round_for_reading(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its float columns rounded for reading (rule in the module docstring).

    ``value``-like columns (``value``, ``value_p05``, ``value_p95``) take the unit of each row
    from a ``unit`` column when there is one; other columns take it from their name. Integer,
    boolean and text columns are unchanged. Returns a copy when something was rounded.
    """
    out = df
    row_dec = None
    if "unit" in df.columns:
        kinds = df["unit"].astype(object).map(lambda u: _unit_kind(u) if isinstance(u, str)
                                              else "other")
        row_dec = kinds.map(_MIN_DECIMALS).to_numpy(dtype=float)
    for j, col in enumerate(df.columns):
        s = df.iloc[:, j]
        if not pd.api.types.is_float_dtype(s.dtype):
            continue
        name = str(col)
        if row_dec is not None and name.split("_p")[0] in ("value",):
            dec: np.ndarray | int = row_dec
        else:
            dec = _MIN_DECIMALS[_unit_kind(name)]
        if out is df:
            out = df.copy()
        out.isetitem(j, pd.Series(_round_array(s.to_numpy(dtype=float), dec), index=s.index,
                                  name=col))
    return out


def _yes_no(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ``oui`` / ``non`` (bool columns, and text columns holding only booleans)."""
    out = df
    for j, col in enumerate(df.columns):
        s = df.iloc[:, j]
        if pd.api.types.is_bool_dtype(s.dtype):
            mapped = s.map({True: "oui", False: "non"})
        elif pd.api.types.is_object_dtype(s.dtype):
            vals = s.dropna()
            if not len(vals) or not vals.map(lambda v: isinstance(v, bool | np.bool_)).all():
                continue
            mapped = s.map(lambda v: None if v is None or v is pd.NA or
                           (isinstance(v, float) and math.isnan(v)) else ("oui" if v else "non"))
        else:
            continue
        if out is df:
            out = df.copy()
        out.isetitem(j, mapped.astype(object))
    return out


def csv_fr_frame(df: pd.DataFrame) -> pd.DataFrame:
    """What :func:`write_csv_fr` writes: ``oui``/``non`` for booleans, numbers rounded by
    :func:`round_for_reading`, text neutralised (:func:`csv_safe`)."""
    return csv_safe(_yes_no(round_for_reading(df)))


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Plain CSV: UTF-8 without BOM, ``,`` separator, decimal point, full float precision.

    Text cells starting with ``= + - @``, tab or carriage return are neutralised
    (:func:`csv_safe`) so that no spreadsheet runs them as formulas.
    """
    safe = csv_safe(df)
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8"))


def write_csv_fr(df: pd.DataFrame, path: str | os.PathLike[str], *,
                 rounded: bool = False) -> Path:
    """French-Excel CSV: ``;`` separator, decimal comma, UTF-8 with BOM (``utf-8-sig``),
    ``oui``/``non`` for booleans and, with ``rounded``, numbers rounded for reading
    (:func:`round_for_reading`: ≥ 3 significant digits, ≥ 2 decimals for hectares and
    densities, ≥ 1 for tonnes; the bilan's ``bilan_excel_fr.csv`` is written so). Without it,
    full precision (files whose readers recompute from them).

    Opens with the right columns and numbers in a French Excel by double-click; read it back
    with ``pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")``.
    """
    safe = csv_safe(_yes_no(round_for_reading(df) if rounded else df))
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, sep=";", decimal=",", index=False,
                                                       encoding="utf-8-sig"))


# --------------------------------------------------------------------------------------------
# XLSX: streamed sheets (openpyxl write-only), one sanitising pass per column
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
    cats = {c: category_label(theme, c) for c in t["category"].unique()}
    items = {i: item_label(theme, i) for i in t["item"].unique()}
    t["category_label"] = t["category"].map(cats)
    t["item_label"] = t["item"].map(items)
    t["estimate"] = t["estimate"].map({True: "oui", False: "non"})
    t["_total"] = (t["zone_id"] != TOTAL_ZONE).astype(int)
    t = t.sort_values("_total", kind="stable").drop(columns="_total")
    cols = [c for c in _COLUMN_ORDER if c in t.columns]
    headers = dict(COLUMN_HEADERS_FR)
    headers["category_label"] = _CATEGORY_HEAD.get(theme, "Catégorie")
    headers["item_label"] = _ITEM_HEAD.get(theme, "Élément")
    return t[cols].rename(columns=headers).reset_index(drop=True)


class _Styles:
    """The few cell styles of a workbook (built once per workbook)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.bold = Font(bold=True)
        self.title = Font(bold=True, size=14)
        self.subtitle = Font(bold=True, size=12)
        self.italic = Font(italic=True)
        self.head_fill = PatternFill("solid", fgColor="DCE6F0")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.center = Alignment(vertical="center")


def _clean_text(v: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)  # control characters XLSX cannot hold


def _text_cell(ws: Any, v: str, **style: Any) -> Any:
    """A write-only cell holding ``v`` as text (never a formula: OWASP), styled."""
    from openpyxl.cell import WriteOnlyCell

    c = WriteOnlyCell(ws)
    c.value = v
    c.data_type = "s"  # openpyxl makes "=…" a formula: back to a string
    if v.startswith(FORMULA_PREFIXES):
        c.quotePrefix = True  # Excel keeps it text when the cell is edited
    for k, val in style.items():
        setattr(c, k, val)
    return c


def _styled(ws: Any, v: Any, **style: Any) -> Any:
    """A write-only cell of any value (text through :func:`_text_cell`), styled."""
    from openpyxl.cell import WriteOnlyCell

    v = _cell(v)
    if isinstance(v, str):
        return _text_cell(ws, v, **style)
    c = WriteOnlyCell(ws, value=v)
    for k, val in style.items():
        setattr(c, k, val)
    return c


def _column_values(ws: Any, s: pd.Series, number_format: str | None = None) -> list[Any]:
    """One column as Python values ready to append: NaN → empty, numpy → Python, text
    cleaned of control characters and kept as text when it starts like a formula, numbers in
    ``number_format`` when given. One pass per column (no per-cell sheet lookups)."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype):
        return [bool(v) for v in s.to_numpy()]
    if pd.api.types.is_numeric_dtype(s.dtype):
        arr = s.to_numpy(dtype=float if pd.api.types.is_float_dtype(s.dtype) else object)
        values = [None if isinstance(v, float) and v != v else
                  (v.item() if hasattr(v, "item") else v) for v in arr.tolist()]
    else:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        values = s.tolist()
        missing = s.isna().to_numpy()
        texts = [v for v in values if isinstance(v, str)]
        if missing.any() or len(texts) < len(values):  # NaN, numpy scalars…: cell by cell
            values = [None if m else _cell(v) for v, m in zip(values, missing, strict=True)]
        elif ILLEGAL_CHARACTERS_RE.search("\n".join(texts)):  # one search per column
            values = [_clean_text(v) for v in values]
        for k, v in enumerate(values):
            if isinstance(v, str) and v.startswith(FORMULA_PREFIXES):
                values[k] = _text_cell(ws, v)
    if number_format is not None:
        template = WriteOnlyCell(ws)
        template.number_format = number_format
        style = template._style
        for k, v in enumerate(values):
            if isinstance(v, int | float) and not isinstance(v, bool):
                c = WriteOnlyCell(ws, value=v)
                c._style = copy(style)
                values[k] = c
    return values


def _write_table(ws: Any, df: pd.DataFrame, st: _Styles, *,
                 number_formats: Mapping[str, str] | None = None) -> int:
    """Header row (bold, shaded) then the rows of ``df``; returns the number of rows written
    (header included)."""
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"  # written with the sheet's head: before the first row
    ws.append([_styled(ws, str(h), font=st.bold, fill=st.head_fill, alignment=st.center)
               for h in df.columns])
    fmts = number_formats or {}
    cols = [_column_values(ws, df.iloc[:, j], fmts.get(str(c)))
            for j, c in enumerate(df.columns)]
    for row in zip(*cols, strict=True):
        ws.append(list(row))
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
    return len(df) + 1


def _cell(v: Any) -> Any:
    """Python scalars for openpyxl (numpy types converted, NaN as an empty cell)."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()
    if isinstance(v, float) and v != v:  # NaN
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str):
        v = _clean_text(v)
    return v


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Set a cell of a normal (not write-only) sheet; text is always stored as text, never as a
    formula (OWASP).

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


def _save(wb: Any, path: str | os.PathLike[str]) -> Path:
    """Save a write-only workbook atomically; on failure its sheets' streams are closed (no
    dangling temporary files or generators)."""
    try:
        return atomic_write(path, wb.save)
    except BaseException:
        for ws in wb.worksheets:
            if not ws.closed:
                try:
                    ws.close()
                except Exception:  # noqa: BLE001 - already failing: the first error is raised
                    pass
        raise


def _write_pairs(ws: Any, rows: Sequence[tuple[str, str]], st: _Styles, *,
                 widths: tuple[int, int] = (34, 110)) -> None:
    """A two-column text sheet (« Lisez-moi »): keys in bold, values wrapped; first row is
    the title."""
    ws.column_dimensions["A"].width = widths[0]
    ws.column_dimensions["B"].width = widths[1]
    for r, (key, value) in enumerate(rows, start=1):
        kstyle: dict[str, Any] = {"alignment": st.wrap}
        if r == 1:
            kstyle["font"] = st.title
        elif key and not key.startswith("  "):
            kstyle["font"] = st.bold
        ws.append([_styled(ws, key, **kstyle) if key else None,
                   _styled(ws, value, alignment=st.wrap) if value else None])


# --------------------------------------------------------------------------------------------
# The « Synthèse » sheet
# --------------------------------------------------------------------------------------------

#: Sign convention of the workbook's synthesis, said once in words.
SYNTHESIS_CONVENTION_FR = (
    "Convention de signe de cette feuille (la même que celle du rapport) : les émissions sont "
    "comptées en positif et la séquestration (carbone que les sols, les forêts et les produits "
    "bois retirent de l'atmosphère) en négatif ; bilan net = émissions + séquestration (donc "
    "émissions moins le carbone retiré). Les stocks sont des quantités de carbone présentes "
    "(toujours positives). Les feuilles de détail des flux (« Flux carbone », « Scénarios ») et "
    "les exports ALDO suivent la convention de la méthode ALDO, où un flux positif est une séquestration : "
    "changez le signe pour passer de l'une à l'autre.")


def synthesis_figures(bilan: pd.DataFrame) -> list[dict[str, Any]]:
    """The headline figures of the workbook's synthesis, each a sum of the bilan's ``TOTAL``
    rows: ``key``, ``label`` (French), ``value`` (None when the theme is absent), ``unit``,
    ``sign`` (the sign convention in words), ``interval`` (key of
    :attr:`BilanResult.intervals`, or None).

    The sheet's convention is the report's: emissions positive, sequestration negative.
    direct = Σ emissions_secteur; footprint without land = Σ emissions_poste − its
    « utilisation des terres » post; sequestration = −Σ flux_carbone (the bilan's flows are
    ALDO's, positive = sequestration); net footprint = Σ emissions_poste (its land-use post is
    that sequestration); net direct = direct + sequestration; stock tC = Σ stocks and tCO₂e =
    stock × 44/12. ``flip``: the interval is that of the flows, sign changed.
    """
    t = bilan[bilan["zone_id"] == TOTAL_ZONE]
    present = set(t["theme"])

    def total(theme: str, category: str | None = None) -> float | None:
        if theme not in present:
            return None
        sel = t[t["theme"] == theme]
        if category is not None:
            sel = sel[sel["category"] == category]
        return float(sel["value"].sum())

    direct = total("emissions_secteur")
    post = total("emissions_poste")
    land = total("emissions_poste", "utilisation_terres")
    flux = total("flux_carbone")
    seq = None if flux is None else -flux  # this sheet's convention: sequestration negative
    stock = total("stocks")
    pos = "positif = émission"
    return [
        dict(key="direct_tCO2e_an", label="Émissions directes de GES du territoire (inventaire, "
             "secteurs PCAET)", value=direct, unit="tCO₂e/an", sign=pos,
             interval="direct_tCO2e_an"),
        dict(key="footprint_without_land_tCO2e_an", label="Empreinte de consommation des "
             "habitants (postes ESPASS, hors utilisation des terres)",
             value=None if post is None else post - (land or 0.0), unit="tCO₂e/an", sign=pos,
             interval=None),
        dict(key="sequestration_tCO2e_an", label="Séquestration nette de carbone des sols, "
             "forêts et produits bois", value=seq, unit="tCO₂e/an",
             sign="négatif = séquestration (carbone retiré de l'atmosphère) ; positif = les "
                  "sols et forêts émettent plus qu'ils n'absorbent", interval="flux_tCO2e_an",
             flip=True),
        dict(key="footprint_tCO2e_an", label="Bilan net de l'empreinte (empreinte + "
             "séquestration nette)", value=post, unit="tCO₂e/an",
             sign="positif = émission nette", interval="footprint_tCO2e_an"),
        dict(key="direct_net_tCO2e_an", label="Émissions directes nettes (émissions directes + "
             "séquestration nette)",
             value=None if direct is None or seq is None else direct + seq, unit="tCO₂e/an",
             sign="positif = émission nette", interval=None),
        dict(key="stock_tC", label="Stock de carbone des sols et de la biomasse", value=stock,
             unit="tC", sign="quantité présente (toujours positive)", interval="stock_tC"),
        dict(key="stock_tCO2e", label="Le même stock en équivalent CO₂ (s'il était émis)",
             value=None if stock is None else stock * C_TO_CO2, unit="tCO₂e",
             sign="quantité présente (toujours positive) ; 1 tC = 44/12 tCO₂e",
             interval=None),
    ]


def _totals_by(bilan: pd.DataFrame, theme: str, by: str) -> pd.Series:
    t = bilan[(bilan["zone_id"] == TOTAL_ZONE) & (bilan["theme"] == theme)]
    return t.groupby(by, sort=False)["value"].sum()


def _write_synthesis(ws: Any, bilan: pd.DataFrame, meta: Mapping[str, Any],
                     st: _Styles) -> None:
    from openpyxl.chart import BarChart, Reference

    ws.column_dimensions["A"].width = 62
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 18
    ws.column_dimensions["D"].width = 18
    ws.column_dimensions["E"].width = 56
    row = 0

    def line(*cells: Any) -> int:
        nonlocal row
        ws.append(list(cells))
        row += 1
        return row

    def head(*labels: str) -> int:
        return line(*[_styled(ws, h, font=st.bold, fill=st.head_fill, alignment=st.wrap)
                      for h in labels])

    def num(v: float | None, fmt: str = _TONNE_FORMAT) -> Any:
        if v is None or not math.isfinite(float(v)):
            return _styled(ws, "non calculé", font=st.italic)
        return _styled(ws, float(v), number_format=fmt)

    title = str(meta.get("title") or "Bilan ESPASS")
    line(_styled(ws, f"Synthèse — {title}", font=st.title))
    line(_styled(ws, "Territoire", font=st.bold),
         _styled(ws, str(meta.get("territory_label", ""))))
    line(_styled(ws, SYNTHESIS_CONVENTION_FR, alignment=st.wrap))
    if bool(bilan["estimate"].astype(bool).any()):
        line(_styled(ws, "Certaines valeurs sont des estimations (inventaire de démonstration, "
                         "occupation du sol synthétique…) : colonne « Estimation » des "
                         "feuilles de détail, avertissements dans « Lisez-moi ».",
                     font=st.italic, alignment=st.wrap))
    line()

    # headline figures
    intervals = dict(meta.get("intervals") or {})
    has_iv = any(isinstance(v, list | tuple) and len(v) == 2 for v in intervals.values())
    line(_styled(ws, "Chiffres clés", font=st.subtitle))
    if has_iv:
        head("Indicateur", "Valeur", "Intervalle à 90 % : borne basse",
             "Intervalle à 90 % : borne haute", "Unité et sens du signe")
    else:
        head("Indicateur", "Valeur", "Unité", "", "Sens du signe")
    for f in synthesis_figures(bilan):
        iv = intervals.get(f["interval"]) if f["interval"] else None
        lo = hi = None
        if iv is not None and len(iv) == 2 and f["value"] is not None:
            lo, hi = float(iv[0]), float(iv[1])
            if f.get("flip"):
                lo, hi = -hi, -lo
        if has_iv:
            line(_styled(ws, f["label"], alignment=st.wrap), num(f["value"]),
                 num(lo) if lo is not None and math.isfinite(lo) else None,
                 num(hi) if hi is not None and math.isfinite(hi) else None,
                 _styled(ws, f"{f['unit']} ; {f['sign']}", alignment=st.wrap))
        else:
            line(_styled(ws, f["label"], alignment=st.wrap), num(f["value"]),
                 _styled(ws, f["unit"]), None, _styled(ws, f["sign"], alignment=st.wrap))
    if has_iv:
        line(_styled(ws, "Intervalles à 90 % : erreurs des facteurs seulement (surfaces "
                         "supposées exactes), partagées entre zones ; Monte Carlo 2 000 "
                         "tirages, graine fixe.", font=st.italic, alignment=st.wrap))
    line()
    charts: list[tuple[Any, int]] = []

    def bar(title_: str, y_title: str, first: int, last: int, n_series: int) -> None:
        ch = BarChart()
        ch.type = "bar"  # horizontal bars: long French labels stay readable
        ch.style = 10
        ch.title = title_
        ch.y_axis.title = y_title
        ch.height = max(6.0, 0.9 * (last - first + 1) + 3)
        ch.width = 18
        data = Reference(ws, min_col=2, max_col=1 + n_series, min_row=first - 1, max_row=last)
        cats = Reference(ws, min_col=1, min_row=first, max_row=last)
        ch.add_data(data, titles_from_data=True)
        ch.set_categories(cats)
        ch.x_axis.delete = False  # openpyxl 3.1 hides the axes unless told
        ch.y_axis.delete = False
        if n_series > 1:
            ch.legend.position = "b"
        else:
            ch.legend = None
        charts.append((ch, first - 2))

    # emissions per ESPASS post (consumption footprint and direct emissions allocated)
    post = _totals_by(bilan, "emissions_poste", "category")
    post_direct = _totals_by(bilan, "emissions_poste_direct", "category")
    if len(post) or len(post_direct):
        keys = list(dict.fromkeys([*post.index, *post_direct.index]))
        line(_styled(ws, "Émissions par poste ESPASS (tCO₂e/an, positif = émission)",
                     font=st.subtitle))
        head("Poste ESPASS", "Empreinte de consommation", "Émissions directes réparties")
        first = row + 1
        for k in keys:
            line(_styled(ws, category_label("emissions_poste", k)),
                 num(float(post[k])) if k in post.index else None,
                 num(float(post_direct[k])) if k in post_direct.index else None)
        bar("Émissions par poste ESPASS", "tCO₂e/an", first, row, 2)
        if "utilisation_terres" in post.index:
            line(_styled(ws, "« Utilisation des terres » : la séquestration nette, comptée en "
                             "négatif (elle réduit l'empreinte).",
                         font=st.italic, alignment=st.wrap))
        line()
    sector = _totals_by(bilan, "emissions_secteur", "category")
    if len(sector):
        line(_styled(ws, "Émissions directes par secteur PCAET (tCO₂e/an, positif = émission)",
                     font=st.subtitle))
        head("Secteur PCAET", "Émissions directes", "Part du total")
        first = row + 1
        tot = float(sector.sum())
        for k, v in sector.sort_values(ascending=False).items():
            line(_styled(ws, category_label("emissions_secteur", k)), num(float(v)),
                 _styled(ws, float(v) / tot, number_format="0.0%") if tot else None)
        bar("Émissions directes par secteur PCAET", "tCO₂e/an", first, row, 1)
        line()
    pools = _totals_by(bilan, "stocks", "item")
    if len(pools):
        line(_styled(ws, "Stocks de carbone par réservoir (quantités présentes)",
                     font=st.subtitle))
        head("Réservoir", "Stock (tC)", "Stock (tCO₂e)", "Part du stock")
        first = row + 1
        tot = float(pools.sum())
        for k, v in pools.sort_values(ascending=False).items():
            line(_styled(ws, item_label("stocks", k)), num(float(v)), num(float(v) * C_TO_CO2),
                 _styled(ws, float(v) / tot, number_format="0.0%") if tot else None)
        bar("Stocks de carbone par réservoir", "tC", first, row, 1)
        line()
        uses = _totals_by(bilan, "stocks", "category")
        line(_styled(ws, "Stocks de carbone par occupation du sol", font=st.subtitle))
        head("Occupation du sol", "Stock (tC)", "Stock (tCO₂e)", "Part du stock")
        for k, v in uses.sort_values(ascending=False).items():
            line(_styled(ws, category_label("stocks", k)), num(float(v)),
                 num(float(v) * C_TO_CO2),
                 _styled(ws, float(v) / tot, number_format="0.0%") if tot else None)
        line()
    causes = _totals_by(bilan, "flux_carbone", "category")
    if len(causes):
        line(_styled(ws, "Séquestration nette par cause (tCO₂e/an, négatif = séquestration, "
                         "positif = émission)", font=st.subtitle))
        head("Cause", "Contribution au bilan (tCO₂e/an)")
        first = row + 1
        for k, v in causes.items():
            line(_styled(ws, category_label("flux_carbone", k)), num(-float(v) + 0.0))
        bar("Séquestration nette par cause (négatif = séquestration)", "tCO₂e/an", first, row,
            1)
        line()
    pol = _totals_by(bilan, "polluants", "item")
    if len(pol):
        line(_styled(ws, "Polluants atmosphériques (t/an, positif = émission)",
                     font=st.subtitle))
        head("Polluant", "Émissions (t/an)")
        for k, v in pol.items():
            line(_styled(ws, item_label("polluants", k)), num(float(v), "#,##0.0"))
        line()
    sc = _totals_by(bilan, "scenario", "item")
    if len(sc):
        # the sheet's convention (the report's): an extra sequestration lowers the net
        # bilan, so it is negative here (bilan.csv, ALDO sign: positive)
        line(_styled(ws, "Scénarios : écart cumulé au tendanciel sur le bilan net, à l'horizon "
                         "(tCO₂e ; négatif = plus de séquestration ou moins d'émissions que le "
                         "tendanciel, positif = perte de carbone)",
                     font=st.subtitle, alignment=st.wrap))
        head("Scénario", "Écart cumulé (tCO₂e)")
        for k, v in sc.items():
            line(_styled(ws, str(k)), num(-float(v) + 0.0))
        line()
    line(_styled(ws, "Détail par zone et par catégorie : feuilles suivantes ; chaque chiffre "
                     "ci-dessus est la somme des lignes « TOTAL » de la feuille du thème.",
                 font=st.italic, alignment=st.wrap))
    free = 1  # charts stacked in column G, each beside its table when there is room
    for ch, anchor_row in charts:
        anchor = max(anchor_row, free, 1)
        ws.add_chart(ch, f"G{anchor}")
        free = anchor + math.ceil(ch.height / 0.53) + 1  # a default row is ~0,53 cm high


# --------------------------------------------------------------------------------------------
# The « Lisez-moi » sheet: plain French, run parameters as sentences
# --------------------------------------------------------------------------------------------

#: French label of each run parameter (keys of :class:`~espass_geo.io.bilan_config.BilanConfig`)
PARAM_LABELS_FR: dict[str, str] = {
    "path": "Fichier de configuration",
    "title": "Titre",
    "territory": "Territoire",
    "zpc": "Zone pédoclimatique imposée",
    "region": "Région imposée",
    "id_field": "Champ identifiant des zones",
    "name_field": "Champ nom des zones",
    "boundaries": "Limites des communes",
    "method": "Méthode de calcul du carbone",
    "gwp_n2o": "Pouvoir de réchauffement global du N₂O (100 ans)",
    "landcover": "Occupation du sol (date la plus récente)",
    "before": "Occupation du sol (date ancienne)",
    "years": "Années de l'occupation du sol",
    "series": "Série d'occupations du sol",
    "nomenclature": "Nomenclature de l'occupation du sol",
    "code_field": "Champ des codes d'occupation du sol",
    "parcels": "Parcelles agricoles (RPG)",
    "areas": "Table des surfaces",
    "changes": "Table des changements d'occupation du sol",
    "forest_areas": "Surfaces forestières",
    "forest": "Couche BD Forêt",
    "hedges": "Haies",
    "max_nodata_share": "Part maximale d'une zone sans donnée d'occupation du sol",
    "consumption": "Consommation d'espaces (ZAN)",
    "zan_guarantee": "Garantie communale d'un hectare (ZAN)",
    "territorialisation": "Répartition de l'enveloppe ZAN entre communes",
    "inventory": "Inventaire des émissions",
    "population": "Population",
    "footprint_adjustments": "Ajustements locaux de l'empreinte",
    "scenario": "Fichier de scénarios",
    "factors": "Facteurs d'émission et de stockage",
    "scheduler": "Calcul parallèle (dask)",
}
_METHODS_FR = {
    "aldo": "ALDO (ADEME), appliqué commune par commune à l'occupation du sol donnée",
    "ipcc": "GIEC 2006, niveau 1, pour le carbone des sols (ALDO pour le reste)",
    "aldo-epci": "ALDO (ADEME), calcul par EPCI de l'outil en ligne, à l'identique",
    "aldo-commune": "ALDO (ADEME), références de sol par EPCI appliquées aux communes",
}
_NOMENCLATURES_FR = {"clc": "Corine Land Cover", "eea": "Corine Land Cover (codes de l'AEE)",
                     "oso": "Theia OSO", "ocsge": "OCS GE (IGN)", "ocs2d": "OCS2D"}
_TERRITORIALISATION_FR = {"consumption": "au prorata de la consommation 2011–2020",
                          "population": "au prorata de la population"}
#: What a parameter left empty means, when it means something (else the row is left out).
_DEFAULT_FR = {
    "inventory": "inventaire de démonstration embarqué (estimation)",
    "population": "population embarquée (COG 2018)",
    "zpc": None, "region": None,
}


def _package_roots() -> list[Path]:
    import espass_geo

    pkg = Path(espass_geo.__file__).resolve().parent
    return [pkg.parent, pkg]


def _path_fr(value: Any, base: Path | None) -> str:
    """A path as a reader should see it: relative to the configuration file's folder when
    inside it, « fichier embarqué » for the package's own data, else the file name only (never
    an absolute installation path)."""
    p = Path(str(value))
    if not p.is_absolute():
        return p.as_posix()
    p = Path(os.path.normpath(p))
    if base is not None:
        try:
            return p.relative_to(base).as_posix()
        except ValueError:
            pass
    for root in _package_roots():
        try:
            p.relative_to(root)
        except ValueError:
            continue
        return f"{p.name} (fichier embarqué dans espass_geo)"
    return p.name


def _looks_like_path(key: str, value: Any) -> bool:
    if isinstance(value, Path):
        return True
    if not isinstance(value, str) or key in ("title", "territory", "method", "nomenclature",
                                             "territorialisation", "scheduler"):
        return False
    return os.path.isabs(value) or value.endswith((".csv", ".tif", ".tiff", ".gpkg", ".toml",
                                                   ".geojson", ".shp", ".zip", ".gz"))


def _number_fr(v: float | int) -> str:
    from espass_geo.present.fmt import fmt_number

    if isinstance(v, bool):
        return "oui" if v else "non"
    if isinstance(v, int) or float(v).is_integer() and abs(v) < 1e15:
        return str(int(v)) if 1000 <= abs(v) <= 2200 else fmt_number(v, 0)
    return fmt_number(v, 3).rstrip("0").rstrip(",")


def _value_fr(key: str, value: Any, base: Path | None) -> str | None:
    """A parameter value in plain French (None: nothing to say)."""
    if value is None or value == "" or (isinstance(value, list | tuple | dict) and not value):
        return _DEFAULT_FR.get(key)
    if key == "method":
        return _METHODS_FR.get(str(value), str(value))
    if key == "nomenclature" and not _looks_like_path(key, value):
        return _NOMENCLATURES_FR.get(str(value), str(value))
    if key == "territorialisation" and str(value) in _TERRITORIALISATION_FR:
        return _TERRITORIALISATION_FR[str(value)]
    if key == "consumption" and str(value) == "demo":
        return "estimation de démonstration embarquée (pas la mesure du Cerema)"
    if key == "gwp_n2o":
        v = float(value)
        note = {273.0: " (GIEC, 6e rapport)", 265.0: " (GIEC, 5e rapport)",
                298.0: " (GIEC, 4e rapport, valeur d'ALDO)"}.get(v, "")
        return _number_fr(v) + note
    if key == "max_nodata_share":
        from espass_geo.present.fmt import fmt_percent

        return fmt_percent(float(value), 0) + " (au-delà, la zone est refusée)"
    if key == "years" and isinstance(value, list | tuple):
        ys = [str(int(y)) for y in value]
        return " et ".join([", ".join(ys[:-1]), ys[-1]]) if len(ys) > 1 else "".join(ys)
    if key == "series" and isinstance(value, list | tuple):
        parts = []
        for item in value:
            if isinstance(item, list | tuple) and len(item) == 2:
                parts.append(f"{int(item[0])} : {_path_fr(item[1], base)}")
            else:
                parts.append(_value_fr("", item, base) or "")
        return " ; ".join(parts)
    if key == "factors" and isinstance(value, Mapping):
        name = str(value.get("name") or "tables embarquées")
        sha = str(value.get("sha256") or "")
        changes = list(value.get("changes") or [])
        text = name.replace("(factors/)", "").strip()
        if changes:
            text += f", {len(changes)} table(s) modifiée(s) : " + ", ".join(map(str, changes))
        if sha:
            text += f" (empreinte de contrôle {sha[:12]}…)"
        return text
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return _number_fr(value)
    if _looks_like_path(key, value):
        return _path_fr(value, base)
    if isinstance(value, Mapping):
        return " ; ".join(f"{k} : {_value_fr(str(k), v, base) or '–'}"
                          for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value_fr(key, v, base) or "–" for v in value)
    return str(value)


def params_fr(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The run parameters as ``(French label, French value)`` pairs: no ``null``, no Python or
    JSON literal, numbers in French, paths relative to the configuration file (``path``) or
    the file name alone; parameters left empty are left out (except those whose default says
    something: the demo inventory, the embedded population)."""
    base = None
    cfg_path = params.get("path")
    if cfg_path:
        base = Path(os.path.normpath(Path(str(cfg_path)).parent))
        if not base.is_absolute():
            base = None
    out = []
    for key, value in params.items():
        text = _value_fr(str(key), value, base)
        if text is None:
            continue
        out.append((PARAM_LABELS_FR.get(str(key), str(key)), text))
    return out


def _readme_rows(bilan: pd.DataFrame, themes: list[str], sheets: Mapping[str, str],
                 meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    from espass_geo import __version__
    from espass_geo.core.emissions import (
        gwp,  # GWPs of the active factor set (factors/substances.csv)
    )
    from espass_geo.present.fmt import fmt_number

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
        ("Contenu", f"La feuille « {SYNTHESIS_SHEET} » donne les chiffres clés du territoire et "
                    "leurs graphiques. Les feuilles suivantes donnent le détail, une feuille "
                    "par thème et une ligne par valeur. Les lignes dont le code zone est "
                    f"« {TOTAL_ZONE} » sont les totaux du territoire (en tête de feuille) ; les "
                    "autres lignes donnent le détail par zone. Pour un total, filtrez sur "
                    f"« {TOTAL_ZONE} » ou sur les zones, pas les deux."),
    ]
    rows.append((f"Feuille « {SYNTHESIS_SHEET} »", "Chiffres clés, résumés par poste, secteur, "
                 "réservoir, occupation du sol et cause, graphiques"))
    for theme in themes:
        rows.append((f"Feuille « {sheets[theme]} »", THEME_LABELS_FR.get(theme, theme)))
    rows.append(("", ""))
    rows.append(("Unités", ""))
    for theme in themes:
        units = sorted(set(bilan.loc[bilan["theme"] == theme, "unit"]))
        text = ", ".join(unit_fr(u) for u in units) or _DEFAULT_UNITS.get(theme, "")
        rows.append((f"  {sheets[theme]}", text))
    rows.append(("", ""))
    rows.append(("Conventions de signe", f"Feuille « {SYNTHESIS_SHEET} » (comme le rapport) : "
                 "émissions en positif, séquestration en négatif. Feuilles de détail : "
                 "émissions comptées en positif ; carbone des sols et de la biomasse "
                 "(convention ALDO) : positif = séquestration, négatif = émission ; poste "
                 "« Utilisation des terres » : signe inversé (négatif = séquestration) ; "
                 "scénarios : positif = séquestration supplémentaire par rapport au "
                 "tendanciel."))
    for theme in themes:
        conv = sorted({str(c) for c in bilan.loc[bilan["theme"] == theme, "sign_convention"]
                       if str(c).strip()})
        if conv:
            rows.append((f"  {sheets[theme]}", " ; ".join(conv)))
    rows.append(("Équivalences", "1 tC = 44/12 ≈ 3,67 tCO₂e ; pouvoirs de réchauffement global "
                 f"à 100 ans du GIEC (6e rapport) : CH₄ {fmt_number(gwp('CH4'), 1)}, N₂O "
                 f"{fmt_number(gwp('N2O'), 0)} ; 1 kt = 1 000 t."))
    rows.append(("Colonnes", "Code zone, Zone ; Code catégorie et son libellé (occupation du "
                 "sol, cause, secteur, poste ou levier) ; Code élément et son libellé "
                 "(réservoir, substance ou scénario) ; Valeur (nombre) ; Unité ; Convention de "
                 "signe ; Méthode ; Estimation (oui = valeur de l'inventaire de démonstration "
                 "ou d'une occupation du sol synthétique) ; Source."))
    if "value_p05" in bilan.columns:
        rows.append(("Intervalles à 90 %", "Colonnes « Intervalle à 90 % : borne basse / "
                     "haute » (stocks, flux de carbone, scénarios ; émissions estimées) : "
                     "erreurs des facteurs seulement (surfaces supposées exactes), partagées "
                     "entre zones ; Monte Carlo 2 000 tirages, graine fixe. Case vide : pas "
                     "d'erreur connue (inventaire publié)."))
    rows.append(("Cases vides et zéros", "Une case vide : valeur sans objet ou non calculée ; "
                 "0 : valeur calculée, nulle."))
    from espass_geo.present.report.annex import french_text  # notes of other modules

    warnings = [french_text(str(w)) for w in meta.get("warnings") or []]
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
        rows.append(("Paramètres du calcul", "Chemins relatifs au dossier du fichier de "
                     "configuration."))
        rows += [(f"  {k}", v) for k, v in params_fr(params)]
    return rows


def write_xlsx(bilan: pd.DataFrame, path: str | os.PathLike[str], *,
               meta: Mapping[str, Any]) -> Path:
    """Write the bilan as an XLSX workbook: « Synthèse » first, « Lisez-moi », then one sheet
    per theme.

    Parameters
    ----------
    bilan
        The tidy bilan table (see :mod:`espass_geo.present.report`).
    path
        Target ``.xlsx`` file (written atomically).
    meta
        As for :func:`espass_geo.present.report.render_report`: ``title``, ``territory_label``,
        ``version``, ``generated_at``, ``params``, ``warnings``, ``sources``; optional
        ``intervals`` (90 % intervals of the synthesis figures, as
        :attr:`espass_geo.runs.bilan.BilanResult.intervals`).

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook

    b = validate_bilan(bilan)
    present = list(dict.fromkeys(b["theme"]))
    themes = [t for t in THEMES if t in present] + [t for t in present if t not in THEMES]
    used: set[str] = {README_SHEET.lower(), SYNTHESIS_SHEET.lower()}
    sheets = {t: _sheet_name(t, used) for t in themes}

    wb = Workbook(write_only=True)
    st = _Styles()
    _write_synthesis(wb.create_sheet(SYNTHESIS_SHEET), b, meta, st)
    _write_pairs(wb.create_sheet(README_SHEET), _readme_rows(b, themes, sheets, meta), st)
    for theme in themes:
        frame = bilan_frame_fr(b, theme)
        wst = wb.create_sheet(sheets[theme])
        keys = [k for k in _COLUMN_ORDER if k in b.columns or k.endswith("_label")]
        for j, key in enumerate(keys[: len(frame.columns)], start=1):
            from openpyxl.utils import get_column_letter

            wst.column_dimensions[get_column_letter(j)].width = _COLUMN_WIDTHS.get(key, 16)
        fmts = {COLUMN_HEADERS_FR[k]: _VALUE_FORMAT for k in ("value", "value_p05", "value_p95")}
        _write_table(wst, frame, st, number_formats=fmts)
    return _save(wb, path)


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
    from openpyxl.utils import get_column_letter

    from espass_geo import __version__

    used: set[str] = {README_SHEET.lower()}
    sheets = {name: _sheet_name(str(name), used) for name in result_tables}
    wb = Workbook(write_only=True)
    st = _Styles()
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
    _write_pairs(wb.create_sheet(README_SHEET), rows, st, widths=(30, 110))
    for name, frame in result_tables.items():
        wst = wb.create_sheet(sheets[name])
        df = pd.DataFrame(frame)
        if "geometry" in df.columns:
            df = df.drop(columns="geometry")
        df.columns = [str(c) for c in df.columns]
        for j, head in enumerate(df.columns, start=1):
            wst.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(head) + 2))
        fmts = {c: _VALUE_FORMAT for c in df.columns if pd.api.types.is_float_dtype(df[c])}
        _write_table(wst, df, st, number_formats=fmts)
    return _save(wb, path)
