"""Charts of the report: drawn from the bilan's territory rows, embedded as base64 PNG with a
link to their SVG twin."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from espass_geo.errors import OutputError
from espass_geo.present.charts import bilan_waterfall, emissions_charts, pollutant_charts
from espass_geo.present.report.bilan import (
    ghg_rows,
    synthesis_figures,
    territory_rows,
    validate_bilan,
)

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


def chart_entries(charts: Mapping[str, str | os.PathLike[str]] | None,
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

    The waterfall of the net balance (:func:`espass_geo.present.charts.bilan_waterfall`, when
    the bilan has consumption emissions or carbon flows), the emission charts
    (:func:`~espass_geo.present.charts.emissions_charts`, when it has GHG by sector or by post)
    and the pollutant chart (:func:`~espass_geo.present.charts.pollutant_charts`), all drawn
    from the bilan's territory rows.
    """
    b = validate_bilan(bilan)
    out = Path(out_dir)
    files: dict[str, Path] = {}
    fig = synthesis_figures(b)
    if fig["consumption"] is not None or fig["sequestration"] is not None:
        files.update(bilan_waterfall(b, out, title=title))
    sec = ghg_rows(territory_rows(b, "emissions_secteur"))
    post = ghg_rows(territory_rows(b, "emissions_poste"))
    if len(sec) or len(post):
        def prep(t: pd.DataFrame) -> pd.DataFrame:
            return (t.groupby("category", as_index=False, sort=False)["value"].sum()
                    .rename(columns={"value": "emission_tCO2e"}))
        est = bool(pd.concat([sec, post])["estimate"].any())
        files.update(emissions_charts(prep(sec), prep(post), out, title=title, estimate=est))
    pol = territory_rows(b, "polluants")
    if len(pol):
        pols = (pol.rename(columns={"item": "substance", "value": "emission_t"})
                [["category", "substance", "emission_t"]])
        files.update(pollutant_charts(pols, out, title=title))
    return {Path(k).stem: Path(v) for k, v in files.items() if Path(v).suffix == ".png"}


