"""Scenario charts (espass_geo.present.charts): files, sizes, French labels and numbers in the SVG.

Synthetic trajectories, 2025–2030: a baseline and two scenarios ("Sobriété", "Extension"),
three levers (trend, forest_growth, convert), one "total" row per scenario and year. The SVG
keeps its text as ``<text>`` (``svg.fonttype = "none"``): labels and tick numbers are searched
as plain UTF-8 strings (U+202F thousands separator, U+2212 minus, written as such).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib import image as mpimg
from matplotlib._pylab_helpers import Gcf

from espass_geo.present.charts import (
    DELTA_YLABEL_FR,
    FLUX_YLABEL_FR,
    french_formatter,
    scenario_charts,
)
from espass_geo.present.vocabulary import LEVER_LABELS_FR, lever_label

NNBSP, MINUS = "\u202f", "\u2212"
YEARS = list(range(2025, 2031))
LEVERS = ["trend", "forest_growth", "convert"]
STEMS = ("flux_annuels", "ecart_cumule", "stocks")


def _flux(scenario: str, lever: str, i: int) -> float:
    base = {"trend": -400.0, "forest_growth": 1600.0, "convert": 0.0}[lever]
    if scenario == "Sobriété" and lever == "convert":
        return base + 200.0 * (i + 1)  # reforestation growing to +1 200
    if scenario == "Extension" and lever == "trend":
        return base - 400.0 * (i + 1)  # more sealing: down to −2 800
    return base


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for scenario in ("baseline", "Sobriété", "Extension"):
        stock = 1_000_000.0
        for i, year in enumerate(YEARS):
            fluxes = [_flux(scenario, lv, i) for lv in LEVERS]
            stock += sum(fluxes) / (44 / 12)
            rows += [(scenario, year, lv, f, stock) for lv, f in zip(LEVERS, fluxes,
                                                                     strict=True)]
            rows.append((scenario, year, "total", sum(fluxes), stock))
    traj = pd.DataFrame(rows, columns=["scenario", "year", "lever", "flux_tCO2e_an",
                                       "stock_tC"])
    base = traj[traj["scenario"] == "baseline"].set_index(["year", "lever"])["flux_tCO2e_an"]
    d = traj[traj["scenario"] != "baseline"].copy()
    d["delta_tCO2e_an"] = (d["flux_tCO2e_an"].to_numpy()
                           - base.loc[list(zip(d["year"], d["lever"], strict=True))].to_numpy())
    d = d.sort_values(["scenario", "lever", "year"])
    d["cumulative_delta_tCO2e"] = d.groupby(["scenario", "lever"])["delta_tCO2e_an"].cumsum()
    delta = d[["scenario", "year", "lever", "delta_tCO2e_an", "cumulative_delta_tCO2e"]]
    return traj, delta.reset_index(drop=True)


def _svg_texts(path) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))


def test_files_sizes_and_no_pyplot_figure_left(tables, tmp_path):
    traj, delta = tables
    before = Gcf.get_num_fig_managers()
    paths = scenario_charts(traj, delta, tmp_path / "charts", title="Territoire test")
    assert set(paths) == {f"{s}.{e}" for s in STEMS for e in ("png", "svg")}
    for name, path in paths.items():
        assert path == tmp_path / "charts" / name
        assert path.is_file() and path.stat().st_size > 1000
    for stem in STEMS:
        img = mpimg.imread(paths[f"{stem}.png"])
        assert img.shape == (700, 1200, 4)  # 8 × 4,67 in at 150 dpi
    assert Gcf.get_num_fig_managers() == before  # no pyplot figure created or left open
    assert not list((tmp_path / "charts").glob(".*tmp*"))  # temporary files renamed


def test_flux_chart_french_labels_and_numbers(tables, tmp_path):
    traj, delta = tables
    paths = scenario_charts(traj, delta, tmp_path, title="Territoire test")
    texts = _svg_texts(paths["flux_annuels.svg"])
    assert FLUX_YLABEL_FR == "Flux net (tCO₂e/an) — positif = séquestration"
    assert FLUX_YLABEL_FR in texts
    assert "Territoire test" in texts
    assert {"Tendanciel", "Sobriété", "Extension"} <= set(texts)  # legend, baseline first
    # net flows from +1 200 (baseline) to −1 200 (Extension, 2030): French tick labels
    assert f"1{NNBSP}000" in texts
    assert f"{MINUS}1{NNBSP}000" in texts
    assert "1000" not in texts and "1,000" not in texts and "-1000" not in texts
    assert "2025" in texts and "2030" in texts  # years without separator
    assert f"2{NNBSP}025" not in " ".join(texts)


def test_delta_chart_levers_and_signs(tables, tmp_path):
    traj, delta = tables
    paths = scenario_charts(traj, delta, tmp_path, title="Territoire test")
    texts = _svg_texts(paths["ecart_cumule.svg"])
    assert DELTA_YLABEL_FR == "Écart cumulé au tendanciel (tCO₂e)"
    assert DELTA_YLABEL_FR in texts
    # one subplot per scenario, in the order of traj
    assert texts.index("Sobriété") < texts.index("Extension")
    # legend: levers that differ from the baseline, French labels; forest growth is identical
    # in every scenario, hence left out
    assert LEVER_LABELS_FR["convert"] in texts
    assert LEVER_LABELS_FR["trend"] in texts
    assert LEVER_LABELS_FR["forest_growth"] not in texts
    assert "Écart net (somme des leviers)" in texts
    # cumulated in 2030: Sobriété +4 200, Extension −8 400: French ticks of both signs
    assert any(re.fullmatch(f"{MINUS}\\d{{1,3}}({NNBSP}\\d{{3}})+", t) for t in texts)
    assert any(re.fullmatch(f"\\d{{1,3}}({NNBSP}\\d{{3}})+", t) for t in texts)


def test_stock_chart(tables, tmp_path):
    traj, delta = tables
    paths = scenario_charts(traj, delta, tmp_path, title="Territoire test")
    texts = _svg_texts(paths["stocks.svg"])
    assert "Stock de carbone (tC)" in texts
    last = traj[(traj["scenario"] == "baseline") & (traj["lever"] == "total")]["stock_tC"].iloc[-1]
    assert round(last) == 1_001_964  # 1 000 000 + 6 × 1 200 × 12/44
    assert f"Tendanciel\u00a0: 1{NNBSP}001{NNBSP}964\u00a0tC en 2030" in texts


def test_without_total_rows_levers_are_summed(tables, tmp_path):
    traj, delta = tables
    no_total = traj[traj["lever"] != "total"].assign(stock_tC=np.nan)
    paths = scenario_charts(no_total, delta, tmp_path, title="Sans total")
    assert f"1{NNBSP}000" in _svg_texts(paths["flux_annuels.svg"])
    # no stock at all: a message instead of an empty axis
    assert "Stocks non fournis par le calcul de scénario" in _svg_texts(paths["stocks.svg"])


def test_baseline_only(tables, tmp_path):
    traj, delta = tables
    paths = scenario_charts(traj[traj["scenario"] == "baseline"], delta.iloc[0:0], tmp_path,
                            title="Tendanciel seul")
    assert "Aucun scénario à comparer au tendanciel" in _svg_texts(paths["ecart_cumule.svg"])


def test_lever_labels():
    assert lever_label("trend") == "Tendance observée (changements d'occupation du sol)"
    assert lever_label("forest_growth") == "Croissance forestière"
    assert lever_label("convert") == "Conversions (boisement, prairie, zone humide)"
    assert lever_label("seal") == "Artificialisation (projets)"
    assert lever_label("hedges") == "Haies"
    assert lever_label("total") == "Total"
    # practices: label_fr of factors/practices_aldo.csv, else the id
    assert lever_label("practice:catchCrops") == "Cultures intermédiaires (CIPAN, couverts)"
    assert lever_label("practice:directSowingContinuous") == "Semis direct continu (non-labour)"
    assert lever_label("practice:unknownPractice") == "unknownPractice"
    assert lever_label("something_else") == "something_else"


def test_french_formatter_decimals_follow_ticks():
    f = french_formatter()
    f.set_locs([-5000.0, 0.0, 5000.0, 10000.0])
    assert [f(v) for v in (-5000.0, 0.0, 10000.0)] == [f"{MINUS}5{NNBSP}000", "0",
                                                       f"10{NNBSP}000"]
    f.set_locs([0.0, 2.5, 5.0])
    assert [f(v) for v in (0.0, 2.5, 5.0)] == ["0,0", "2,5", "5,0"]


def test_errors(tables, tmp_path):
    traj, delta = tables
    with pytest.raises(KeyError, match="flux_tCO2e_an"):
        scenario_charts(traj.drop(columns="flux_tCO2e_an"), delta, tmp_path, title="x")
    with pytest.raises(KeyError, match="cumulative_delta_tCO2e"):
        scenario_charts(traj, delta.drop(columns="cumulative_delta_tCO2e"), tmp_path,
                        title="x")
    with pytest.raises(ValueError, match="empty"):
        scenario_charts(traj.iloc[0:0], delta, tmp_path, title="x")
