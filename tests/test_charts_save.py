"""Saving charts (espass_geo.present.charts.base.save): the PNG, and its SVG twin only when asked.

The constrained layout runs once, for the PNG; the SVG is written with that layout (#14 item 6:
laying the figure out again for the SVG was the costlier half of a save). Charts with
``svg=False`` (a bilan's ``emissions/`` and ``zan/`` folders) write the PNG only.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from espass_geo.present.charts import emissions_charts, pollutant_charts, synergy_chart
from espass_geo.present.charts.base import FIGSIZE_IN, new_figure, save
from espass_geo.present.charts.zan import zan_destination_chart, zan_trajectory_chart


def _figure():
    fig, axes = new_figure()
    ax = axes[0, 0]
    ax.bar(["Alimentation", "Déplacements"], [1200.0, -300.0])
    ax.set_title("Un titre assez long pour que la mise en page déplace les axes")
    ax.set_ylabel("tCO₂e/an")
    fig.legend(["flux"], loc="outside lower center")
    return fig, ax


def _svg_axes_box(path) -> tuple[float, float, float, float]:
    """Left, top, right, bottom (pt) of the axes background (``patch_2``) in the SVG."""
    text = path.read_text(encoding="utf-8")
    block = re.search(r'<g id="patch_2">\s*<path d="([^"]+)"', text).group(1)
    xy = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", block)]
    xs, ys = xy[0::2], xy[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def test_svg_twin_has_the_layout_of_the_png(tmp_path):
    fig, ax = _figure()
    engine = fig.get_layout_engine()
    png_only = save(fig, tmp_path / "a", "chart", svg=False)
    assert set(png_only) == {"chart.png"}
    assert not (tmp_path / "a" / "chart.svg").exists()
    x0, y0, x1, y1 = ax.get_position().extents  # the PNG's layout, in figure fraction
    paths = save(fig, tmp_path / "b", "chart")
    assert set(paths) == {"chart.png", "chart.svg"}
    assert fig.get_layout_engine() is engine  # the figure keeps its layout engine
    # the same PNG with or without its twin (the SVG is written after it)
    assert paths["chart.png"].read_bytes() == png_only["chart.png"].read_bytes()
    # the SVG is in points (72 per inch, y downwards): 8 in × 4.67 in = 576 × 336 pt; its axes
    # sit where the PNG's layout put them (laid out again for the SVG, they moved by ~1-3 pt)
    w_pt, h_pt = FIGSIZE_IN[0] * 72, FIGSIZE_IN[1] * 72
    left, top, right, bottom = _svg_axes_box(paths["chart.svg"])
    assert left == pytest.approx(x0 * w_pt, abs=0.01)
    assert right == pytest.approx(x1 * w_pt, abs=0.01)
    assert top == pytest.approx((1 - y1) * h_pt, abs=0.01)
    assert bottom == pytest.approx((1 - y0) * h_pt, abs=0.01)
    assert not list((tmp_path / "b").glob(".*tmp*"))  # temporary files renamed


def test_chart_functions_png_only_when_svg_false(tmp_path):
    by_sector = pd.DataFrame({"category": ["residentiel", "industrie"],
                              "emission_tCO2e": [400_000.0, 1_200_000.0]})
    by_post = pd.DataFrame({"category": ["residentiel", "biens_consommation"],
                            "emission_tCO2e": [500_000.0, 900_000.0]})
    pols = pd.DataFrame({"category": ["residentiel", "industrie"], "substance": ["NOx", "NOx"],
                         "emission_t": [10.0, 30.0]})
    syn = pd.DataFrame([("post", "residentiel", "Isolation", 1, 1, 1, 1, 1, 1, 0)],
                       columns=["scope", "item", "lever_fr", "ghg_effect", "NOx", "PM10",
                                "PM2.5", "COVNM", "SO2", "NH3"])
    traj = pd.DataFrame({"year": [2019, 2020, 2021, 2022], "observed_ha": [10.0, 10.0, 6.0, 6.0],
                         "zan_ha": [None, None, 5.0, 5.0], "trend_ha": [None, None, 6.0, 6.0]})
    carbon = pd.DataFrame({"year": [2019, 2020, 2021, 2022], "destination": "habitat",
                           "area_ha": [10.0, 10.0, 6.0, 6.0], "tCO2e": [500.0, 500.0, 300.0, 300.0]})
    out = tmp_path / "png"
    files = {**emissions_charts(by_sector, by_post, out, title="T", svg=False),
             **pollutant_charts(pols, out, title="T", svg=False),
             **synergy_chart(syn, out, title="T", svg=False),
             **zan_trajectory_chart(traj, carbon, out, title="T", svg=False),
             **zan_destination_chart(carbon, out, title="T", svg=False)}
    stems = {"emissions_secteurs_postes", "imports_exports", "polluants_secteurs",
             "synergies_ges_air", "zan_trajectoire", "zan_destinations"}
    assert set(files) == {f"{s}.png" for s in stems}
    assert sorted(p.name for p in out.iterdir()) == sorted(files)  # no SVG, nothing else
    # by default each chart has its SVG twin
    assert set(synergy_chart(syn, tmp_path / "both", title="T")) == {
        "synergies_ges_air.png", "synergies_ges_air.svg"}
