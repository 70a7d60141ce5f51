"""Charts of a territory (matplotlib, PNG 1200 × 700 px at 150 dpi and SVG for the report).

One module per theme:

* :mod:`~espass_geo.present.charts.scenarios`: :func:`scenario_charts` (``flux_annuels``,
  ``ecart_cumule``, ``stocks``), from the scenario trajectories;
* :mod:`~espass_geo.present.charts.emissions`: :func:`emissions_charts`
  (``emissions_secteurs_postes``, ``imports_exports``), GHG by PCAET sector and ESPASS post;
* :mod:`~espass_geo.present.charts.air`: :func:`synergy_chart` (``synergies_ges_air``) and
  :func:`pollutant_charts` (``polluants_secteurs``);
* :mod:`~espass_geo.present.charts.bilan`: :func:`bilan_waterfall` (``bilan_cascade``);
* :mod:`~espass_geo.present.charts.base`: size, style, French tick formatting
  (:func:`french_formatter`), plain-text titles, atomic PNG + SVG writing.

Labels come from :mod:`espass_geo.present.vocabulary` (the active factor set).
"""

from espass_geo.present.charts.air import POLLUTANTS, pollutant_charts, synergy_chart
from espass_geo.present.charts.base import ESTIMATE_NOTE_FR, french_formatter
from espass_geo.present.charts.bilan import bilan_waterfall
from espass_geo.present.charts.emissions import emissions_charts
from espass_geo.present.charts.scenarios import (
    DELTA_YLABEL_FR,
    FLUX_YLABEL_FR,
    STOCK_YLABEL_FR,
    scenario_charts,
)

__all__ = [
    "DELTA_YLABEL_FR",
    "ESTIMATE_NOTE_FR",
    "FLUX_YLABEL_FR",
    "POLLUTANTS",
    "STOCK_YLABEL_FR",
    "bilan_waterfall",
    "emissions_charts",
    "french_formatter",
    "pollutant_charts",
    "scenario_charts",
    "synergy_chart",
]
