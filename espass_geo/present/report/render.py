"""Rendering of the report: the jinja2 environment (``PackageLoader``, autoescape on,
``StrictUndefined``), the context built from the bilan and the run's metadata, the synthesis in
French sentences, and the atomic write of the single HTML file.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from espass_geo.constants import C_TO_CO2
from espass_geo.io.files import atomic_write
from espass_geo.present.fmt import (
    KILO_THRESHOLD_T,
    MINUS,
    MISSING,
    NBSP,
    fmt_mass_t,
    fmt_number,
    fmt_percent,
    fmt_quantity,
)
from espass_geo.present.report.annex import french_text, param_rows
from espass_geo.present.report.bilan import (
    synthesis_figures,
    territory_rows,
    validate_bilan,
    zone_order,
)
from espass_geo.present.report.chart_files import chart_entries
from espass_geo.present.report.levers import levers_for
from espass_geo.present.report.sources import report_sources
from espass_geo.present.report.tables import (
    DASH_ZERO_NOTE_FR,
    estimate_note,
    pivot_table,
    post_table,
    sector_table,
    zone_table,
)
from espass_geo.present.vocabulary import (
    CAUSE_LABELS_FR,
    LAND_USE_LABELS_FR,
    LEVER_LABELS_FR,
    POOL_LABELS_FR,
    SECTOR_LABELS_FR,
    SUBSTANCE_LABELS_FR,
)


def _gwp(substance: str) -> float:
    """GWP100 (IPCC AR6) of ``factors/substances.csv``, as used by :mod:`espass_geo.core.emissions`."""
    from espass_geo.core.emissions import gwp

    return gwp(substance, "ar6")



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


def _date_text(v: Any) -> str:
    if isinstance(v, _dt.datetime):
        return v.strftime("%d/%m/%Y à %H:%M")
    if isinstance(v, _dt.date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def _methods_used(bilan: pd.DataFrame) -> set[str]:
    m = bilan[bilan["theme"].isin(["stocks", "flux_carbone"])]["method"]
    return {str(x).lower() for x in m if str(x)}


#: The sentence under the synthesis when it carries 90 % intervals (issue #13 item 4).
INTERVALS_NOTE_FR = ("Intervalles à 90\u00a0% : erreurs des facteurs seulement (surfaces supposées "
                     "exactes), partagées entre zones ; Monte Carlo 2 000 tirages, graine fixe.")
#: Keys of :func:`espass_geo.core.uncertainty.synthesis_intervals` → synthesis figures.
_INTERVAL_KEYS = {"stock": "stock_tC", "sequestration": "flux_tCO2e_an",
                  "direct": "direct_tCO2e_an", "net": "footprint_tCO2e_an"}


def _bounds(intervals: Mapping[str, Any] | None, figure: str) -> tuple[float, float] | None:
    """(p05, p95) of a synthesis figure, None when absent or not finite."""
    if not intervals or _INTERVAL_KEYS[figure] not in intervals:
        return None
    try:
        lo, hi = (float(x) for x in intervals[_INTERVAL_KEYS[figure]])
    except (TypeError, ValueError):
        return None
    return (lo, hi) if lo == lo and hi == hi and abs(lo) != float("inf") \
        and abs(hi) != float("inf") else None


#: The sign convention of the whole report, stated once at its top (issue #15).
SIGN_CONVENTION_FR: str = (
    "Dans tout ce rapport, les émissions de gaz à effet de serre sont comptées en positif et la "
    "séquestration (le carbone que les sols et la végétation retirent de l'atmosphère) en "
    "négatif : bilan net = émissions − séquestration. Il en va de même dans les graphiques, "
    "les tableaux et la synthèse. Les fichiers de données (bilan.csv, bilan.xlsx) suivent la "
    "convention de la méthode ALDO de l'ADEME, où un flux de carbone positif est une "
    "séquestration : changez le signe des flux pour passer de l'une à l'autre.")

def _synthesis(fig: Mapping[str, float | None],
               intervals: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The synthesis cards and sentences, in the report's convention (emissions +,
    sequestration −): the carbon flow of soils and biomass (ALDO: + = séquestration) is shown
    with its sign changed; the stock in tC and in tCO₂e."""
    # one unit for every GHG figure of the synthesis, so that they compare at a glance:
    # kilotonnes as soon as one of them reaches 10 000 t (fmt_mass_t's threshold)
    ghg = [abs(v) for k, v in fig.items() if k != "stock" and v is not None]
    kilo = max(ghg, default=0.0) >= KILO_THRESHOLD_T
    ghg_scale = 1000.0 if kilo else 1.0
    ghg_unit = "ktCO₂e" if kilo else "tCO₂e"

    def flow(v: float | None, *, signed: bool = False) -> str:
        if v is None:
            return MISSING
        text = fmt_quantity(v / ghg_scale, ghg_unit) + "/an"
        return "+" + text if signed and v > 0 and not text.startswith(MINUS) else text

    def bracket(b: tuple[float, float] | None, scale: float) -> str:
        """« [p05 – p95] (intervalle à 90 %) » in the unit of the value beside it."""
        if b is None:
            return ""
        lo, hi = (fmt_quantity(x / scale, "x").removesuffix(NBSP + "x") for x in b)
        return f"[{lo} \u2013 {hi}] (intervalle à 90\u00a0%)"

    stock_scale = 1000.0 if fig["stock"] is not None and \
        abs(fig["stock"]) >= KILO_THRESHOLD_T else 1.0
    seq_raw = _bounds(intervals, "sequestration")
    seq_b = None
    if seq_raw is not None:  # shown in the report's convention: the interval of −flux
        seq_b = (-seq_raw[1], -seq_raw[0])
    iv = {"stock": bracket(_bounds(intervals, "stock"), stock_scale),
          "sequestration": bracket(seq_b, ghg_scale),
          # « en retirent X [a – b] »: the amount removed, so its interval as a positive amount
          "removed": bracket(seq_raw, ghg_scale),
          "net": bracket(_bounds(intervals, "net"), ghg_scale),
          "direct": bracket(_bounds(intervals, "direct"), ghg_scale)}

    def with_iv(text: str, key: str) -> str:
        return f"{text} {iv[key]}" if iv[key] else text

    c, s, n, d = fig["consumption"], fig["sequestration"], fig["net"], fig["direct"]
    land = -s if s is not None else None  # report convention: sequestration negative
    cards = []
    if d is not None:
        cards.append({"label": "Émissions directes", "value": flow(d),
                      "interval": iv["direct"],
                      "hint": "émises sur le territoire (inventaire par secteur PCAET)",
                      "kind": "emission"})
    if c is not None:
        cards.append({"label": "Émissions de consommation", "value": flow(c),
                      "hint": "empreinte des habitants, par poste ESPASS", "kind": "emission",
                      "interval": ""})
    if land is not None:
        cards.append({"label": "Séquestration des sols et forêts" if land <= 0
                      else "Perte de carbone des sols et forêts",
                      "value": flow(land, signed=True), "interval": iv["sequestration"],
                      "hint": "flux annuel ; négatif : retiré de l'atmosphère", "kind":
                      "sink" if land <= 0 else "emission"})
    if n is not None:
        cards.append({"label": "Bilan net", "value": flow(n), "interval": iv["net"],
                      "hint": "émissions de consommation − séquestration", "kind": "net"})
    if fig["stock"] is not None:
        co2 = fig["stock"] * C_TO_CO2
        cards.append({"label": "Carbone stocké", "value": fmt_mass_t(fig["stock"], "tC"),
                      "interval": iv["stock"],
                      "hint": f"soit {fmt_mass_t(co2, 'tCO₂e')} ; sols et biomasse (un stock, "
                              "pas un flux)", "kind": "stock"})
    sentences = []
    if c is not None:
        sentences.append("Par leur consommation (alimentation, biens, déplacements, logement, "
                         f"services, travaux), les habitants du territoire sont à l'origine de "
                         f"{flow(c)} de gaz à effet de serre.")
    if s is not None:
        if s >= 0:
            text = (f"Les sols, les forêts et la biomasse du territoire en retirent "
                    f"{with_iv(flow(s), 'removed')} de "
                    "l'atmosphère (séquestration nette, comptée en négatif dans le bilan)")
            if c:
                text += f", soit {fmt_percent(s / c, 1)} des émissions de consommation"
            sentences.append(text + ".")
        else:
            sentences.append(f"Les sols et la biomasse du territoire ne séquestrent pas : ils "
                             f"émettent en net {with_iv(flow(-s), 'sequestration')} "
                             "(artificialisation, retournement de prairies…).")
    if n is not None:
        sentences.append(f"Le bilan net du territoire est de {with_iv(flow(n), 'net')}.")
    if d is not None:
        sentences.append(f"Les émissions directes, produites sur le territoire (inventaire par "
                         f"secteur PCAET), s'élèvent à {with_iv(flow(d), 'direct')}.")
    if fig["stock"] is not None:
        sentences.append("Les sols et la biomasse du territoire stockent "
                         f"{with_iv(fmt_mass_t(fig['stock'], 'tC'), 'stock')} de carbone, soit "
                         f"{fmt_mass_t(fig['stock'] * C_TO_CO2, 'tCO₂e')} (un stock à "
                         "préserver, pas un flux annuel).")
    return {"cards": cards, "sentences": sentences,
            "net_text": flow(n) if n is not None else MISSING,
            "intervals_note": INTERVALS_NOTE_FR if any(iv.values()) else ""}


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
    chart_sections = chart_entries(charts, out_path)

    stocks = territory_rows(b, "stocks")
    flows = territory_rows(b, "flux_carbone")
    pools = list(POOL_LABELS_FR)
    stock_note = DASH_ZERO_NOTE_FR
    if fig["stock"] is not None:
        stock_note = (f"Total : {fmt_mass_t(fig['stock'], 'tC')} de carbone, soit "
                      f"{fmt_mass_t(fig['stock'] * C_TO_CO2, 'tCO₂e')} (1 tC = 44/12 tCO₂e). "
                      + DASH_ZERO_NOTE_FR)
    stock_table = pivot_table(stocks, "stocks", row_head="Occupation du sol", unit="tC",
                               row_order=list(LAND_USE_LABELS_FR), col_order=pools,
                               note=" ".join(x for x in (stock_note, estimate_note(stocks))
                                             if x))
    flow_table = pivot_table(flows, "flux_carbone", row_head="Cause", unit="tCO2e/an",
                              row_order=list(CAUSE_LABELS_FR), col_order=pools, signed=True,
                              negate=True,
                              note="Négatif = séquestration (carbone retiré de l'atmosphère), "
                                   "positif = émission, comme dans tout le rapport. "
                                   + DASH_ZERO_NOTE_FR + " " + estimate_note(flows))
    pol = territory_rows(b, "polluants")
    pol_order = [s for s in SUBSTANCE_LABELS_FR if s != "GES"]
    pol_table = pivot_table(pol, "polluants", row_head="Secteur PCAET", unit="t/an",
                             row_order=list(SECTOR_LABELS_FR), col_order=pol_order,
                             per_column_scale=True,
                             note=" ".join(x for x in (DASH_ZERO_NOTE_FR, estimate_note(pol))
                                           if x))
    scen = territory_rows(b, "scenario")
    params_in = dict(meta.get("params") or {})
    horizon = next((str(params_in[k]) for k in ("horizon", "horizon_year", "annee_horizon",
                                                "end_year") if params_in.get(k)), "") \
        or _scenario_horizon(b)
    at_horizon = f"en {horizon}" if horizon else "à l'horizon du scénario"
    scen_table = pivot_table(scen, "scenario", row_head="Levier", unit="tCO2e",
                              row_order=list(LEVER_LABELS_FR), signed=True, negate=True,
                              row_totals=False,  # scenarios are alternatives: never added
                              note=f"Écart cumulé au tendanciel {at_horizon}, sur le bilan "
                                   "net : négatif = le scénario retire plus de carbone de "
                                   "l'atmosphère (séquestration supplémentaire ou émissions "
                                   "évitées), positif = perte de carbone. " + DASH_ZERO_NOTE_FR)

    warnings, technical_notes = _split_notes([_report_note(str(w))
                                              for w in meta.get("warnings") or []])
    if bool(b["estimate"].any()):
        auto = ("Une partie des valeurs est estimée (inventaire de démonstration ou occupation "
                "du sol synthétique) : les chiffres marqués comme estimés donnent des ordres de "
                "grandeur, pas un bilan officiel.")
        if not any("estim" in w.lower() for w in warnings):
            warnings.append(auto)
    extra_sections = _extra_sections(meta.get("extra_sections") or ())
    sources = report_sources(themes, params_in, [s["id"] for s in extra_sections])
    params = param_rows(params_in)
    generated = meta.get("generated_at") or _dt.datetime.now().replace(microsecond=0)
    zones = zone_order(b)
    map_png = _map_image(meta.get("zones"))

    return {
        "title": str(meta["title"]),
        "territory_label": str(meta["territory_label"]),
        "version": str(meta.get("version") or __version__),
        "generated_at": _date_text(generated),
        "params": params,
        "warnings": warnings,
        "technical_notes": technical_notes,
        "sources": sources,
        "map_href": str(meta.get("map_href") or ""),
        "n_zones": len(zones),
        "zones_text": f"{len(zones)} zone{'s' if len(zones) > 1 else ''}",
        "sign_convention": SIGN_CONVENTION_FR,
        "dash_zero_note": DASH_ZERO_NOTE_FR,
        "levers": levers_for(b, meta, at_horizon),
        "map_image": map_png,
        "synthesis": _synthesis(fig, meta.get("intervals")),
        "zone_table": zone_table(b, fig),
        "sector_table": sector_table(b),
        "post_table": post_table(b),
        "pollutant_table": pol_table,
        "stock_table": stock_table,
        "flow_table": flow_table,
        "scenario_table": scen_table,
        "has_scenarios": "scenario" in themes,
        "extra_sections": extra_sections,
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


_RESERVED_IDS = frozenset({"synthese", "bilan", "methode", "emissions", "polluants", "carbone",
                           "scenarios", "graphiques", "avertissements", "sources",
                           "parametres", "convention"})


def _extra_sections(sections: Any) -> list[dict[str, str]]:
    """Optional parts (e.g. the ZAN part of :func:`espass_geo.present.report.zan.zan_report_section`):
    ``{"id", "title", "html"}``, placed before the warnings and numbered with the others. The
    ``html`` is written as it is: it must be built and escaped by its producer (never a
    user's text); ``id`` is a plain slug and ``title`` is escaped by the template."""
    import re

    out = []
    for s in sections:
        sid, title, body = (str(s.get(k, "")) for k in ("id", "title", "html"))
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", sid) or sid in _RESERVED_IDS:
            raise ValueError(f"meta['extra_sections']: id {sid!r} must be a lowercase slug other "
                             f"than {sorted(_RESERVED_IDS)}.")
        out.append({"id": sid, "title": title, "html": body})
    return out


def _scenario_horizon(b: pd.DataFrame) -> str:
    """The scenarios' horizon year from their rows' ``source`` (« scénarios 2025–2050 (…) »),
    or ""."""
    src = b.loc[b["theme"] == "scenario", "source"].astype(str)
    years = {m.group(1) for m in src.map(re.compile(r"(?:–|-)\s*(\d{4})\b").search) if m}
    return years.pop() if len(years) == 1 else ""


#: Phrases of other modules' notes that state the ALDO convention against the report's.
_NOTE_FIXES: tuple[tuple[str, str], ...] = (
    (" (à l'inverse des flux, où positif = séquestration)", ""),
)


#: References to the package's own tables in other modules' notes (for maintainers).
_TABLE_REFS = (re.compile(r"\s*\((?:voir )?factors/[\w.-]+\.csv\)"),
               re.compile(r"\s*:\s*factors/[\w.-]+\.csv"))
#: Notes on how an input file was read: the technical annex, not the warnings.
_TECHNICAL_NOTES = (re.compile(r"^Colonnes\b.*\bignorées"),
                    re.compile(r"^Fichier de consommation d'espaces au format"))


def _report_note(text: str) -> str:
    """A note of the run as the report shows it: French numbers (:func:`french_text`), no
    sentence contradicting the report's sign convention, no reference to the package's own
    factor tables."""
    for old, new in _NOTE_FIXES:
        text = text.replace(old, new)
    for pattern in _TABLE_REFS:
        text = pattern.sub("", text)
    return french_text(text)


def _split_notes(notes: list[str]) -> tuple[list[str], list[str]]:
    """(warnings for the reader, technical notes on how the inputs were read)."""
    warn, tech = [], []
    for n in notes:
        (tech if any(p.search(n) for p in _TECHNICAL_NOTES) else warn).append(n)
    return warn, tech


def _map_image(zones: Any) -> dict[str, str] | None:
    """``{"src", "caption"}`` of the synthesis map (a PNG in base64), or None."""
    import base64

    from espass_geo.present.report.map_image import synthesis_map_png

    if zones is None:
        return None
    made = synthesis_map_png(zones)
    if made is None:
        return None
    png, caption = made
    return {"src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            "caption": caption}


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
        datetime), ``params`` (dict of run parameters, shown in the technical annex: paths
        relative to ``params["path"]``, the configuration file), ``warnings`` (French
        sentences), ``sources`` (accepted, not shown: the sources annex is built from
        ``factors/sources_rapport.csv``), ``map_href`` (relative link to the interactive map,
        e.g. ``"index.html"``), ``zones`` (optional GeoDataFrame of the bilan's zones: the
        static map of the synthesis), ``scenario_labels`` (optional scenario name → label,
        for the levers), ``extra_sections`` (optional
        parts ``{"id", "title", "html"}`` placed before the warnings, e.g. the ZAN part of
        :func:`espass_geo.present.report.zan.zan_report_section`), ``intervals`` (optional
        90 % intervals of :func:`espass_geo.core.uncertainty.synthesis_intervals`, shown
        « valeur [p05 – p95] (intervalle à 90 %) » in the synthesis).
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
    return atomic_write(out, html, newline="\n")
