"""« Écart avec ALDO, expliqué »: the reconciliation bridge (issue #13 item 2) as HTML.

:func:`reconciliation_report_section` gives the part for ``meta["extra_sections"]`` of
:func:`espass_geo.present.report.render_report` (``{"id", "title", "html"}``);
:func:`reconciliation_html` a standalone page (``ecart_aldo.html``). Every text is escaped
here; numbers are French (:mod:`espass_geo.present.fmt`).
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import pandas as pd

from espass_geo.present.fmt import (
    KILO_THRESHOLD_T,
    MINUS,
    NBSP,
    fmt_mass_t,
    fmt_number,
    fmt_percent,
)

SECTION_ID = "ecart-aldo"
SECTION_TITLE_FR = "Écart avec ALDO, expliqué"
TOTAL_ID = "TOTAL"

_SENTENCES_FR = {
    "hedges": "les haies, que le calcul par EPCI d'ALDO compte (surface de haies × densité de "
              "biomasse de la forêt mixte) et que le calcul par défaut ne compte que si une "
              "table de haies est donnée",
    "wood_products": "les produits bois : stock et puits des bois récoltés (part de la récolte "
                     "nationale), calculés différemment ou absents",
    "dead_wood": "le bois mort, réservoir du calcul par défaut qu'ALDO par EPCI n'a pas",
    "poplars": "les peupleraies de la BD Forêt, qu'ALDO par EPCI compte avec leur propre table "
               "IGN et que le calcul par défaut traite en feuillus (stocks) ou avec d'autres "
               "facteurs (croissance)",
    "forest_data": "les données forestières de l'IGN : densités et croissance par EPCI "
                   "(ALDO) contre moyennes GRECO ou régionales d'un autre millésime (défaut), "
                   "et le classement de la CLC 324",
    "soil_weighting": "les références de sol : par EPCI (Ref_Sols d'ALDO) contre pondérées "
                      "par les communes et leurs zones pédoclimatiques (défaut)",
    "artificial_split": "les sols artificiels : répartition imperméabilisés / enherbés et "
                        "transitions depuis l'artificiel, comptées autrement",
    "n2o": "le N₂O : rapport N→N₂O 44/25 et PRG 298 (ALDO) contre 44/28 et le PRG du calcul "
           "par défaut",
    "other": "le reste (biomasse hors forêt, classes que l'une des méthodes ne compte pas…)",
}


def _value(row: Any, unit: str, sign: float = 1.0) -> float:
    return sign * float(row["delta_tC"] if unit == "tC" else row["delta_tCO2e_an"])


def _table(bridge: pd.DataFrame, totals: pd.DataFrame, siren: str, unit: str,
           caption: str, sign: float = 1.0) -> str:
    """The bridge as a table; ``sign=-1`` shows flows in the report's convention
    (sequestration negative) instead of ALDO's (the shares of the gap are unchanged)."""
    b = bridge[bridge["siren"].astype(str) == siren].sort_values("step")
    tot = totals[totals["siren"].astype(str) == siren]
    if b.empty or tot.empty:
        return ""
    t = tot.iloc[0]
    u = "tCO₂e" if unit != "tC" else "tC"
    per = "/an" if unit != "tC" else ""
    deltas = [_value(r, unit, sign) for _, r in b.iterrows()]
    # one unit per table (t or kt, from the larger total), one precision per column: a
    # column never mixes « −28,4 ktC » and « −4 833 tC »
    kilo = max(abs(float(t["aldo_epci"])), abs(float(t["default"]))) >= KILO_THRESHOLD_T
    gap = _Column([*deltas, sign * float(t["gap"])], u, kilo, signed=True)
    cum = _Column([sign * float(t["aldo_epci"]), sign * float(t["default"])], u, kilo)
    rows = [f"<tr><th scope=\"row\">aldo-epci (ALDO par EPCI)</th><td></td>"
            f"<td class=\"num\">{escape(cum(sign * t['aldo_epci']))}{per}</td>"
            "<td></td></tr>"]
    running = sign * float(t["aldo_epci"])
    for (_, r), v in zip(b.iterrows(), deltas, strict=True):
        running += v
        share = r["share_of_gap"]
        share_txt = fmt_percent(share) if isinstance(share, float) and math.isfinite(
            share) else ""
        rows.append(f"<tr><td>{int(r['step'])}. {escape(str(r['cause_fr']))}</td>"
                    f"<td class=\"num\">{escape(gap(v))}{per}</td>"
                    f"<td class=\"num\">{escape(cum(running))}{per}</td>"
                    f"<td class=\"num\">{escape(share_txt)}</td></tr>")
    rows.append(f"<tr><th scope=\"row\">Méthode par défaut d'espass_geo</th><td class=\"num\">"
                f"{escape(gap(sign * float(t['gap'])))}{per}</td>"
                f"<td class=\"num\">{escape(cum(sign * t['default']))}{per}</td>"
                f"<td class=\"num\">{escape(fmt_percent(1.0))}</td></tr>")
    head = ("<thead><tr><th scope=\"col\">Étape (cause)</th><th scope=\"col\">Écart</th>"
            "<th scope=\"col\">Cumul</th><th scope=\"col\">Part de l'écart</th></tr></thead>")
    return (f"<table class=\"ecart-aldo\"><caption>{escape(caption)}</caption>{head}<tbody>"
            + "".join(rows) + "</tbody></table>")


class _Column:
    """One unit (t or kt) and one number of decimals for a column of the bridge table;
    ``signed``: a « + » before a positive value; a value that rounds to zero is « 0 »."""

    def __init__(self, values: list[float], unit: str, kilo: bool, *,
                 signed: bool = False) -> None:
        self.factor = 1000.0 if kilo else 1.0
        self.unit = ("k" + unit) if kilo else unit
        top = max((abs(float(v)) for v in values if math.isfinite(float(v))),
                  default=0.0) / self.factor
        self.decimals = 0 if top >= 100 else 1 if top >= 10 else 2
        self.signed = signed

    def __call__(self, v: float) -> str:
        x = float(v) / self.factor
        text = fmt_number(x, self.decimals)
        if text.lstrip(MINUS + "-").strip("0,") == "":  # rounds to zero: no sign
            text = fmt_number(0.0, self.decimals)
        elif self.signed and x > 0:
            text = "+" + text
        return f"{text}{NBSP}{self.unit}"


def _sentences(bridge: pd.DataFrame, siren: str, unit: str, sign: float = 1.0) -> str:
    b = bridge[bridge["siren"].astype(str) == siren].sort_values("step")
    u = "tCO₂e" if unit != "tC" else "tC"
    per = " par an" if unit != "tC" else ""
    items = []
    for _, r in b.iterrows():
        v = _value(r, unit, sign)
        if unit == "tC":
            what = "ajoute" if v >= 0 else "retire"
        elif sign < 0:  # the report's convention: a flow is added to the net balance
            what = "ajoute au bilan net" if v >= 0 else "retranche du bilan net"
        else:
            what = "ajoute" if v >= 0 else "retire"
        items.append(f"<li><strong>{escape(str(r['cause_fr']))}</strong> : la méthode par "
                     f"défaut {what} {escape(fmt_mass_t(abs(v), u))}{per} — "
                     f"{escape(_SENTENCES_FR.get(str(r['cause']), ''))}.</li>")
    return "<ul>" + "".join(items) + "</ul>"


def reconciliation_body(result: Any, *, report_convention: bool = False) -> str:
    """Body of the section (without its title): for the territory (the ``TOTAL`` rows when
    there are several EPCI, else the EPCI), the stock and flow waterfall tables and one
    sentence per cause; the notes of the result first. ``result``: a
    :class:`espass_geo.runs.aldo_epci.ReconciliationResult` (or any object with ``stocks``,
    ``flows``, ``totals``, ``notes``, ``label``). ``report_convention``: flows in the bilan
    report's convention (sequestration negative) rather than ALDO's (positive)."""
    sign = -1.0 if report_convention else 1.0
    sirens = list(dict.fromkeys(result.stocks["siren"].astype(str)))
    key = TOTAL_ID if TOTAL_ID in sirens else sirens[0]
    parts = [f"<p>{escape(n)}</p>" for n in result.notes]
    if report_convention:  # in the bilan report: its totals are not the bilan's
        parts.append("<p>Les deux calculs de cette partie portent sur les données d'ALDO par "
                     "EPCI, pas sur l'occupation du sol du bilan : leurs totaux diffèrent donc "
                     "de ceux de la synthèse et de la partie sur le carbone des sols ; seul "
                     "l'écart entre les deux méthodes est à lire ici.</p>")
    parts.append("<h3>Stocks</h3>")
    parts.append(_table(result.stocks, result.totals[result.totals["what"] == "stocks"], key,
                        "tC", f"Stock de carbone : d'aldo-epci à la méthode par défaut — "
                              f"{result.label}"))
    parts.append(_sentences(result.stocks, key, "tC"))
    parts.append("<h3>Flux (négatif = séquestration)</h3>" if report_convention
                 else "<h3>Flux (positif = séquestration)</h3>")
    parts.append(_table(result.flows, result.totals[result.totals["what"] == "flows"], key,
                        "tCO2e", f"Flux net de carbone : d'aldo-epci à la méthode par défaut "
                                 f"— {result.label}", sign))
    parts.append(_sentences(result.flows, key, "tCO2e", sign))
    if key == TOTAL_ID:
        parts.append(f"<p>Le détail par EPCI ({len(sirens) - 1} EPCI) est dans ecart_aldo.csv "
                     "et ecart_aldo.xlsx.</p>")
    return "\n".join(p for p in parts if p)


def reconciliation_report_section(result: Any) -> dict[str, str]:
    """The part for ``meta["extra_sections"]`` of the bilan report (flows in the report's
    convention: sequestration negative)."""
    return {"id": SECTION_ID, "title": SECTION_TITLE_FR,
            "html": reconciliation_body(result, report_convention=True)}


def reconciliation_html(result: Any, *, standalone: bool = True) -> str:
    """A standalone HTML page (``ecart_aldo.html``) holding the section."""
    body = reconciliation_body(result)
    if not standalone:
        return body
    title = f"{SECTION_TITLE_FR} — {result.label}"
    css = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
           "padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}"
           "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
           ".num{text-align:right;white-space:nowrap}caption{font-weight:bold;text-align:left}")
    return ("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{css}</style></head><body>"
            f"<h1>{escape(title)}</h1>\n{body}\n</body></html>\n")
