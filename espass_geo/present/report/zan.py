"""The ZAN section of the report (issue #12): consumption of natural, agricultural and forest
land (ENAF) against the 2021–2030 budget, its carbon cost, the trajectory chart and the
communes that exceed their share.

:func:`zan_section` returns a ``<section id="zan">`` of plain HTML built here (every text
HTML-escaped, every number through :mod:`espass_geo.present.fmt`), styled by the report's CSS
(``cards``, ``figure.table``, ``figure.chart``, ``callout``, ``note``). It is inserted in the
report by :func:`espass_geo.present.report.render_report` through ``meta["extra_sections"]``
(:func:`zan_report_section`; the HTML is trusted there because it is built, and escaped,
here).

Sign: a carbon cost is an emission, written positive (« coût = tCO₂e émises »), as in the rest
of the report (emissions +, sequestration −).
"""

from __future__ import annotations

import base64
import html as _html
import math
from pathlib import Path

import pandas as pd

from espass_geo.errors import OutputError
from espass_geo.present.charts.zan import ZAN_ESTIMATE_NOTE_FR
from espass_geo.present.fmt import MISSING, fmt_mass_t, fmt_number, fmt_percent, fmt_quantity
from espass_geo.present.maps.zan import fmt_cost_ha, fmt_ha, fmt_share

ZAN_SECTION_ID: str = "zan"
#: The sign of the carbon cost in the report: an emission, positive, as everywhere in it.
ZAN_COST_SIGN_REPORT_FR: str = ("Coût carbone : tCO₂e émises, comptées en positif comme toutes "
                                "les émissions du rapport.")
ZAN_SECTION_TITLE_FR: str = "Sobriété foncière (ZAN) et coût carbone"
ZAN_CHART_CAPTION_FR: str = ("Consommation d'espaces et coût carbone : observés, trajectoire "
                             "ZAN et tendance")
ACCOUNT_COLUMNS: tuple[str, ...] = ("zone_id", "zone_name", "reference_2011_2020_ha",
                                    "budget_2021_2030_ha", "consumed_since_2021_ha")


def _esc(value: object) -> str:
    return _html.escape(str(value), quote=True)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


def over_budget_communes(accounts: pd.DataFrame) -> pd.DataFrame:
    """The communes (zones) that consumed more than their 2021–2030 budget, the largest
    overshoot first (``overshoot_ha`` = consumed since 2021 − budget; ties by name).

    ``over_budget`` is used when present, else consumed > budget."""
    a = accounts.copy()
    a["overshoot_ha"] = _num(a["consumed_since_2021_ha"]) - _num(a["budget_2021_2030_ha"])
    over = (a["over_budget"].fillna(False).astype(bool) if "over_budget" in a.columns
            else a["overshoot_ha"] > 0)
    out = a[over].copy()
    out["_name"] = out["zone_name"].astype(str)
    out = out.sort_values(["overshoot_ha", "_name"], ascending=[False, True], kind="stable")
    return out.drop(columns="_name").reset_index(drop=True)


def _exhaustion_year(trajectory: pd.DataFrame, budget: float, col: str) -> int | None:
    """First year whose cumulative (since 2021) reaches ``budget``, or None."""
    if col not in trajectory.columns or not budget > 0:
        return None
    t = trajectory[["year", col]].copy()
    t[col] = _num(t[col])
    hit = t[t[col] >= budget - 1e-9]
    return int(hit["year"].min()) if len(hit) else None


def _ha_number(value: float) -> str:
    """Hectares without their unit (it is in the header), as :func:`fmt_ha`: « 3,5 »."""
    return fmt_ha(value).removesuffix("\u00a0ha")


def _card(label: str, value: str, hint: str, kind: str) -> str:
    return (f'<div class="card {kind}"><div class="label">{_esc(label)}</div>'
            f'<div class="value">{_esc(value)}</div><div class="hint">{_esc(hint)}</div></div>')


def _chart_html(chart_png: Path | None) -> str:
    if chart_png is None:
        return ""
    path = Path(chart_png)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OutputError(f"graphique ZAN « {path} » illisible ({exc.strerror}) : écrivez-le "
                          "(espass_geo.present.charts.zan.zan_trajectory_chart) avant le "
                          "rapport.") from exc
    src = "data:image/png;base64," + base64.b64encode(raw).decode("ascii")
    return (f'<figure class="chart" id="graphique-zan_trajectoire"><img src="{src}" '
            f'alt="{_esc(ZAN_CHART_CAPTION_FR)}"><figcaption>{_esc(ZAN_CHART_CAPTION_FR)}'
            '</figcaption></figure>')


def _over_table(over: pd.DataFrame) -> str:
    if over.empty:
        return ('<p class="lead">Aucune commune n\'a dépassé son budget 2021–2030 à la '
                'dernière année observée.</p>')
    has_cost = "cost_tCO2e" in over.columns
    headers = ["Commune", "Code", "Référence 2011–2020 (ha)", "Budget 2021–2030 (ha)",
               "Consommé depuis 2021 (ha)", "Dépassement (ha)", "Budget consommé"]
    if has_cost:
        headers.append("Coût carbone depuis 2021 (tCO₂e)")
    num = ' class="num"'
    head = "".join(f'<th scope="col"{"" if k == 0 else num}>{_esc(h)}</th>'
                   for k, h in enumerate(headers))
    rows = []
    for r in over.itertuples(index=False):
        d = r._asdict()
        share = d.get("budget_used_share")
        if share is None or (isinstance(share, float) and math.isnan(share)):
            b = d["budget_2021_2030_ha"]
            share = d["consumed_since_2021_ha"] / b if b else float("nan")
        cells = [str(d["zone_id"]), _ha_number(d["reference_2011_2020_ha"]),
                 _ha_number(d["budget_2021_2030_ha"]), _ha_number(d["consumed_since_2021_ha"]),
                 "+" + _ha_number(d["overshoot_ha"]), fmt_share(share)]
        if has_cost:
            cells.append(fmt_number(d["cost_tCO2e"], 0))
        tds = "".join(f'<td class="num">{_esc(c)}</td>' for c in cells)
        rows.append(f'<tr><th scope="row" style="font-weight:400;text-align:left">'
                    f'{_esc(d["zone_name"])}</th>{tds}</tr>')
    return (f'<figure class="table" id="zan-depassements"><figcaption>Communes au-delà de leur '
            f'budget 2021–2030 ({len(over)}), du plus grand dépassement au plus petit'
            f'</figcaption><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            '</tbody></table><p class="note">Dépassement = consommé depuis 2021 − budget '
            '2021–2030 (garantie communale comprise le cas échéant).</p></figure>')


def zan_section(accounts: pd.DataFrame, trajectory: pd.DataFrame, *,
                chart_png: Path | None, estimate: bool) -> str:
    """HTML of the ZAN section of the report (``<section id="zan">``, title
    :data:`ZAN_SECTION_TITLE_FR` in an ``<h2>``, then the body of :func:`zan_body`): for a
    page of its own. In the report, use :func:`zan_report_section` (numbered like the other
    parts)."""
    body = zan_body(accounts, trajectory, chart_png=chart_png, estimate=estimate)
    return (f'<section id="{ZAN_SECTION_ID}">\n<h2>{_esc(ZAN_SECTION_TITLE_FR)}</h2>\n{body}\n'
            "</section>")


def zan_report_section(accounts: pd.DataFrame, trajectory: pd.DataFrame, *,
                       chart_png: Path | None, estimate: bool) -> dict[str, str]:
    """The ZAN part for ``meta["extra_sections"]`` of
    :func:`espass_geo.present.report.render_report`: ``{"id": "zan", "title": …, "html":
    <body>}`` (the report writes the numbered title and the table of contents entry)."""
    return {"id": ZAN_SECTION_ID, "title": ZAN_SECTION_TITLE_FR,
            "html": zan_body(accounts, trajectory, chart_png=chart_png, estimate=estimate)}


def zan_body(accounts: pd.DataFrame, trajectory: pd.DataFrame, *,
             chart_png: Path | None, estimate: bool) -> str:
    """Body of the ZAN section (without its ``<section>`` and title), HTML-escaped.

    A summary (cards and sentences): the territory's reference 2011–2020, its 2021–2030
    budget, the ENAF consumed since 2021 and the share of the budget used, the carbon cost
    since 2021 (tCO₂e emitted, and per hectare), the year the budget runs out at the trend;
    then the chart ``chart_png`` (embedded as base64; e.g. ``zan_trajectoire.png`` of
    :func:`espass_geo.present.charts.zan.zan_trajectory_chart`), and the table of the
    communes over their budget, largest overshoot first (:func:`over_budget_communes`).
    With ``estimate`` the section opens with the estimate warning (demo consumption file).

    ``accounts``: :attr:`espass_geo.runs.zan.ZanResult.accounts` (columns of
    :func:`espass_geo.core.zan.zan_accounts`, + ``cost_tCO2e`` of
    :func:`~espass_geo.core.zan.carbon_cost_indicator` when known); ``trajectory``:
    :func:`espass_geo.core.zan.zan_trajectory`.

    Worked example: references 36 + 12 ha → budget 18 + 6 = 24 ha; consumed 7,2 + 8,5 =
    15,7 ha → 65 % of the budget used; the second commune is over by 8,5 − 6 = 2,5 ha.
    """
    missing = [c for c in ACCOUNT_COLUMNS if c not in accounts.columns]
    if missing:
        raise KeyError(f"accounts: missing column(s) {missing}; expected the ZAN accounts of "
                       "espass_geo.core.zan.zan_accounts.")
    ref = float(_num(accounts["reference_2011_2020_ha"]).sum())
    budget = float(_num(accounts["budget_2021_2030_ha"]).sum())
    consumed = float(_num(accounts["consumed_since_2021_ha"]).sum())
    share = consumed / budget if budget > 0 else None
    has_cost = "cost_tCO2e" in accounts.columns
    cost = float(_num(accounts["cost_tCO2e"]).sum()) if has_cost else None
    cost_ha = cost / consumed if cost is not None and consumed > 0 else None
    years = ""
    if "years_observed_since_2021" in accounts.columns and len(accounts):
        years = str(accounts["years_observed_since_2021"].iloc[0])
    elif "last_year_observed" in accounts.columns and len(accounts):
        last = _num(accounts["last_year_observed"]).max()
        years = f"2021–{int(last)}" if last == last else ""
    over = over_budget_communes(accounts)
    n = len(accounts)

    parts = []
    if estimate:
        parts.append(f'<p class="callout" style="color:#b2182b;font-weight:600">'
                     f"{_esc(ZAN_ESTIMATE_NOTE_FR)} Les chiffres de cette partie sont des "
                     "ordres de grandeur, pas la consommation d'espaces mesurée.</p>")
    cards = [
        _card("Référence 2011–2020", fmt_ha(ref), "ENAF consommés en dix ans", "stock"),
        _card("Budget 2021–2030", fmt_ha(budget), "moitié de la référence (loi Climat et "
              "Résilience)", "sink"),
        _card("Consommé depuis 2021", fmt_ha(consumed),
              f"{fmt_percent(share, 0) if share is not None else MISSING} du budget"
              + (f" ({years})" if years else ""), "emission"),
    ]
    if cost is not None:
        cards.append(_card("Coût carbone depuis 2021", fmt_mass_t(cost, "tCO₂e"),
                           f"{fmt_cost_ha(cost_ha)} consommé" if cost_ha is not None
                           else "tCO₂e émises", "net"))
    parts.append(f'<div class="cards">{"".join(cards)}</div>')

    sentences = [
        f"De 2011 à 2020, le territoire ({fmt_number(n)} commune{'s' if n > 1 else ''}) a "
        "consommé "
        f"{fmt_ha(ref)} d'espaces naturels, agricoles et forestiers ; son budget 2021–2030 "
        f"est de {fmt_ha(budget)}."]
    if share is not None:
        sentences.append(
            f"Depuis 2021{f' ({years})' if years else ''}, il en a consommé {fmt_ha(consumed)}, "
            f"soit {fmt_percent(share, 0)} de ce budget ; reste "
            f"{fmt_quantity(budget - consumed, 'ha', 1)}.")
    if cost is not None:
        text = (f"Ces hectares ont émis {fmt_mass_t(cost, 'tCO₂e')} (carbone des sols et de la "
                "biomasse perdu à l'artificialisation")
        text += f", soit {fmt_cost_ha(cost_ha)} en moyenne)." if cost_ha is not None else ")."
        sentences.append(text)
    year = _exhaustion_year(trajectory, budget, "cumulative_trend_ha")
    if year is not None and year <= 2030:
        sentences.append(f"Au rythme tendanciel, le budget 2021–2030 serait épuisé en {year}.")
    elif "cumulative_trend_ha" in trajectory.columns and budget > 0:
        at = trajectory.loc[trajectory["year"] == 2030, "cumulative_trend_ha"]
        if len(at) and pd.notna(at.iloc[0]):
            sentences.append("Au rythme tendanciel, le budget 2021–2030 serait tenu "
                             f"({fmt_ha(float(at.iloc[0]))} consommés de 2021 à 2030).")
    if len(over) == 1:
        sentences.append("Une commune a dépassé son budget (tableau ci-dessous).")
    elif len(over) > 1:
        sentences.append(f"{len(over)} communes ont dépassé leur budget (tableau ci-dessous, "
                         "du plus grand dépassement au plus petit).")
    parts += [f'<p class="lead">{_esc(s)}</p>' for s in sentences]
    parts.append(f'<p class="note">{_esc(ZAN_COST_SIGN_REPORT_FR)}</p>')
    parts.append(_chart_html(chart_png))
    parts.append(_over_table(over))
    return "\n".join(p for p in parts if p)


ZAN_SCENARIO_SECTION_ID = "zan-scenarios"
ZAN_SCENARIO_SECTION_TITLE_FR = "Scénarios ZAN : hectares et carbone"


def zan_scenario_section(hectares: pd.DataFrame, *, chart_png: Path | None,
                         labels: dict[str, str] | None = None,
                         years: tuple[int, ...] = (2030, 2050)) -> dict[str, str]:
    """The part « Scénarios ZAN » of the report: the chart of the scenarios' hectares beside
    their carbon flows, and a table per scenario of the net hectares artificialised and the
    carbon flow at ``years`` (cumulative hectares; flows in tCO₂e/an in the report's
    convention: negative = sequestration, the ALDO flow with its sign changed). ``hectares``: ``ScenarioResult.zan_hectares`` (``scenario, year,
    artificialised_ha, renatured_ha, net_ha, cumulative_net_ha, flux_tCO2e_an``)."""
    from espass_geo.present.fmt import fmt_number
    from espass_geo.present.vocabulary import BASELINE, BASELINE_LABEL_FR

    labels = dict(labels or {})
    labels.setdefault(BASELINE, BASELINE_LABEL_FR)
    h = hectares.copy()
    rows = []
    for scen, t in h.groupby("scenario", sort=False):
        t = t.set_index("year")
        cells = [f"<td>{_esc(labels.get(str(scen), str(scen)))}</td>"]
        for y in years:
            if y in t.index:
                ha = float(t.loc[y, "cumulative_net_ha"])
                flux = float(t.loc[y, "flux_tCO2e_an"]) if "flux_tCO2e_an" in t.columns \
                    else float("nan")
                cells.append(f'<td class="num">{_esc(fmt_number(ha, 1))}</td>')
                # the report's convention: sequestration negative (ALDO's flow, sign changed)
                cells.append(f'<td class="num">{_esc(fmt_number(-flux, 0))}</td>')
            else:
                cells += ["<td>–</td>", "<td>–</td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>Artificialisation nette cumulée en {y} (ha)</th>"
                   f"<th>Sols et forêts {y} (tCO₂e/an, négatif = séquestration)</th>"
                   for y in years)
    html = (
        "<p>Chaque scénario remplace l'artificialisation tendancielle par sa trajectoire "
        "(« loi » : moitié de la référence en 2021-2030, encore moitié en 2031-2040, zéro "
        "artificialisation nette en 2050) ; les zones à urbaniser déclarées sont prises d'abord "
        "sur l'enveloppe de leur décennie. Flux des sols et forêts : négatif = séquestration, "
        "positif = émission, comme dans tout le rapport.</p>"
        + _figure(chart_png, "graphique-zan_scenarios", "Scénarios ZAN : artificialisation "
                  "(ha/an) et flux de carbone (tCO₂e/an) par scénario")
        + "<table class=\"data\"><thead><tr><th>Scénario</th>" + head + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>")
    return {"id": ZAN_SCENARIO_SECTION_ID, "title": ZAN_SCENARIO_SECTION_TITLE_FR, "html": html}


def _figure(chart_png: Path | None, fig_id: str, caption: str) -> str:
    if chart_png is None or not Path(chart_png).is_file():
        return ""
    src = "data:image/png;base64," + base64.b64encode(Path(chart_png).read_bytes()).decode(
        "ascii")
    return (f'<figure class="chart" id="{_esc(fig_id)}"><img src="{src}" alt="{_esc(caption)}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")
