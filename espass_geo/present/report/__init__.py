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

What the reader sees follows one sign convention, stated once at the top of the report:
emissions positive, sequestration negative, net balance = emissions − sequestration (the ALDO
flows of the bilan, + = séquestration, are shown with their sign changed; the data files keep
ALDO's convention). The synthesis comes first (headline figures, the three largest levers of
:mod:`~espass_geo.present.report.levers`, a static map of
:mod:`~espass_geo.present.report.map_image`), the annexes last (data sources from
``factors/sources_rapport.csv``, run parameters of :mod:`~espass_geo.present.report.annex`).
:func:`~espass_geo.present.report.pdf.write_report_pdf` prints it to PDF with a headless
Chromium, offline.

Worked example of the synthesis: consumption emissions 400 000 tCO2e/an (posts, land use
excluded), net sequestration of soils and forests 50 000 tCO2e/an → net balance
400 000 − 50 000 = 350 000 tCO2e/an, shown as ``"350 ktCO₂e/an"``.

Modules: :mod:`~espass_geo.present.report.bilan` (the bilan table: columns, themes, validation,
territory rows, synthesis figures), :mod:`~espass_geo.present.report.tables` (the tables of the
report), :mod:`~espass_geo.present.report.chart_files` (charts drawn and embedded),
:mod:`~espass_geo.present.report.sources` (sources of the factor tables),
:mod:`~espass_geo.present.report.render` (jinja environment, context, atomic write); labels come
from :mod:`espass_geo.present.vocabulary`.
"""

from espass_geo.present.report.bilan import (
    BILAN_COLUMNS,
    THEMES,
    TOTAL_ZONE,
    synthesis_figures,
    territory_rows,
    validate_bilan,
)
from espass_geo.present.report.chart_files import CHART_INFO, report_charts
from espass_geo.present.report.levers import main_levers
from espass_geo.present.report.pdf import find_chromium, write_report_pdf
from espass_geo.present.report.render import render_report
from espass_geo.present.report.sources import collect_sources, report_sources

__all__ = [
    "BILAN_COLUMNS",
    "CHART_INFO",
    "THEMES",
    "TOTAL_ZONE",
    "collect_sources",
    "find_chromium",
    "main_levers",
    "render_report",
    "report_charts",
    "report_sources",
    "synthesis_figures",
    "territory_rows",
    "validate_bilan",
    "write_report_pdf",
]
