"""Flow map (espass_geo.present.maps.flows_map): sign convention, French numbers, layers, offline.

No browser: the saved HTML is parsed as text, as in test_maps.py. folium writes the GeoJSON
and the layer names with ``json.dumps`` (``\\uXXXX`` escapes); our own HTML (title, legends,
notes, transitions panel) is written literally in UTF-8.

Expected strings are computed by hand below (espass_geo.present.fmt rules: U+202F thousands
separator, U+00A0 before the unit, U+2212 minus, half-up rounding, 0/1/2 decimals for
|x| ≥ 100 / ≥ 10 / < 10, kt from 10 000 t), plus a "+" for positive flows.
"""
from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from shapely.geometry import box

from espass_geo.present.maps import FLOW_SIGN_NOTE_FR, flows_map, remote_assets

X0, Y0 = 650_000.0, 7_090_000.0
NAMES = ["Téteghem", "Éringhem", "Loon-Plage-sur-Aa"]
# 2 km × 2 km boxes = 400 ha each; one sequestering, one emitting, one near 0
FLUX = [1234.5, -5000.0, 0.3]
NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
CAPTION = "Flux net (tCO₂e/ha/an) — positif = séquestration, négatif = émission"
SIGN_NOTE = "Convention ALDO : flux positif = séquestration, négatif = émission."
MATRIX_TITLE = "Matrice des changements d'occupation du sol (ha/an)"


def _unescape(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _collections(text: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"geo_json_\w+_add\((\{.*\})\);", text)]


def _props_by(collection: dict, key: str) -> dict[str, dict]:
    return {f["properties"][key]: f["properties"] for f in collection["features"]}


def _aliases(text: str) -> list[list[str]]:
    return [json.loads(a) for a in re.findall(r"let aliases = (\[.*?\]);", _unescape(text))]


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    geoms = [box(X0 + i * 2000, Y0, X0 + (i + 1) * 2000, Y0 + 2000) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "zone_id": ["59588", "59199", "59359"],
            "zone_name": NAMES,
            "area_ha": [400.0, 400.0, 400.0],
            "flux_tCO2e_an": FLUX,
            "flux_tCO2e_ha_an": [f / 400.0 for f in FLUX],
            # causes add up to the net flow; no wood-products column (absent from tooltip)
            "flux_land_use_change_tCO2e_an": [-265.5, -6000.0, -10.0],
            "flux_forest_growth_tCO2e_an": [1500.0, 1500.0, 10.3],
            "flux_n2o_tCO2e_an": [0.0, -500.0, 0.0],
            "sealed_ha_an": [0.5, 12.25, 0.0],
            "sealing_flux_tCO2e_an": [-120.0, -2940.0, 0.0],
        },
        geometry=geoms,
        crs=2154,
    )


@pytest.fixture
def hotspots() -> gpd.GeoDataFrame:
    # 4 cells of 500 m; one without sealing (left out of the layer)
    cells = [box(X0 + i * 500, Y0 + 500, X0 + (i + 1) * 500, Y0 + 1000) for i in range(4)]
    return gpd.GeoDataFrame(
        {"cell_id": ["M1", "M2", "M3", "M4"], "sealed_ha": [3.0, 0.0, 12.5, 0.75],
         "years": [6, 6, 6, 6]},
        geometry=cells, crs=2154,
    )


@pytest.fixture
def transitions() -> pd.DataFrame:
    cols = ["Cultures", "Prairies", "Sols artificialisés"]
    return pd.DataFrame(
        [[0.0, 12.0, 1234.5],
         [3.2, 0.0, 0.6],
         [np.nan, 0.0, 2.0]],  # NaN = pair absent from a pivot table → 0
        index=pd.Index(["Cultures", "Prairies", "Vergers & vignes"], name="de"),
        columns=pd.Index(cols, name="vers"),
    )


@pytest.fixture
def saved(tmp_path, zones, hotspots, transitions):
    html_path = tmp_path / "cartes é" / "carte_flux.html"
    m = flows_map(
        zones, title="Flux de carbone – Dunkerque & environs", subtitle="Démonstration",
        hotspots=hotspots, transitions=transitions,
        notes=["Flux inventés — pas une donnée réelle", "Balise <b>non interprétée</b>",
               SIGN_NOTE],  # the caller's copy of the sign sentence is not repeated
        html_path=html_path,
    )
    return m, html_path, html_path.read_text(encoding="utf-8")


def test_sign_convention_in_legend_and_notes(saved):
    _, _, text = saved
    assert FLOW_SIGN_NOTE_FR == SIGN_NOTE
    assert f'<div class="espass-legend-title">{CAPTION}</div>' in text
    assert "positif = séquestration" in text
    assert text.count(f"<li>{SIGN_NOTE}</li>") == 1
    assert text.index(SIGN_NOTE) < text.index("Flux inventés")  # written first
    assert "Balise &lt;b&gt;non interprétée&lt;/b&gt;" in text
    assert "<b>non" not in text
    assert ("Sources : Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO"
            in text)
    assert "<title>Flux de carbone – Dunkerque &amp; environs</title>" in text


def test_zone_tooltips_signed_french_numbers(saved):
    _, _, text = saved
    props = _props_by(_collections(text)[0], "zone_name_fr")
    assert set(props) == set(NAMES)
    a, b, c = (props[n] for n in NAMES)
    assert a["zone_id_fr"] == "59588"
    assert a["area_fr"] == f"400{NBSP}ha"
    # +1 234,5 t → 0 decimals (≥ 100), half-up → "+1 235"; per ha 3,08625 → "+3,09"
    assert a["flux_fr"] == f"+1{NNBSP}235{NBSP}tCO₂e/an"
    assert a["flux_ha_fr"] == f"+3,09{NBSP}tCO₂e/ha/an"
    # −5 000 t; per ha −12,5 (≥ 10: 1 decimal)
    assert b["flux_fr"] == f"{MINUS}5{NNBSP}000{NBSP}tCO₂e/an"
    assert b["flux_ha_fr"] == f"{MINUS}12,5{NBSP}tCO₂e/ha/an"
    # near 0: +0,30 t; 0,3 / 400 = 0,00075 → "0,00", no sign on a rounded zero
    assert c["flux_fr"] == f"+0,30{NBSP}tCO₂e/an"
    assert c["flux_ha_fr"] == f"0,00{NBSP}tCO₂e/ha/an"
    # causes, signed
    assert a["flux_land_use_change_tCO2e_an_fr"] == f"{MINUS}266{NBSP}tCO₂e/an"  # 265,5 half-up
    assert a["flux_forest_growth_tCO2e_an_fr"] == f"+1{NNBSP}500{NBSP}tCO₂e/an"
    assert b["flux_land_use_change_tCO2e_an_fr"] == f"{MINUS}6{NNBSP}000{NBSP}tCO₂e/an"
    assert b["flux_n2o_tCO2e_an_fr"] == f"{MINUS}500{NBSP}tCO₂e/an"
    assert c["flux_forest_growth_tCO2e_an_fr"] == f"+10,3{NBSP}tCO₂e/an"
    assert "flux_wood_products_tCO2e_an_fr" not in a
    # sealing: 12,25 ha/an → "12,3" (half-up); its flow −2 940 t
    assert a["sealed_fr"] == f"0,50{NBSP}ha/an"
    assert b["sealed_fr"] == f"12,3{NBSP}ha/an"
    assert b["sealing_flux_fr"] == f"{MINUS}2{NNBSP}940{NBSP}tCO₂e/an"
    # compact tooltip of the layer shown (its value first), every value in the popup
    assert _aliases(text)[0] == ["Commune", "Flux net par ha", "Flux net total",
                                 "Artificialisation", "Surface"]
    assert _aliases(text)[1] == [
        "Commune", "Code", "Surface", "Flux net total", "Flux net par ha",
        "dont changements d'occupation du sol", "dont croissance des forêts", "dont N₂O",
        "Artificialisation", "Flux de l'artificialisation",
    ]
    # accented names survive the JSON escaping
    assert "Éringhem" in _unescape(text)


def test_diverging_classes_and_colours(saved):
    _, _, text = saved
    # per ha: |3,09|, |−12,5|, |0,00075| → step 2: outer 14, quantiles 2,06 and 6,22 → 2 and 6
    for label in (f"{MINUS}14 à {MINUS}6", f"{MINUS}6 à {MINUS}2", f"{MINUS}2 à 0", "0 à 2",
                  "2 à 6", "6 à 14"):
        assert f"<span>{label}</span>" in text
    props = _props_by(_collections(text)[0], "zone_name_fr")
    r, g, _ = to_rgb(props["Éringhem"]["fill"])  # emission: brown/orange
    assert r > g
    r, g, _ = to_rgb(props["Téteghem"]["fill"])  # sequestration: green
    assert g > r


def test_layers_names_and_visibility(saved):
    m, _, text = saved
    groups = {c.layer_name: c.show for c in m._children.values()
              if isinstance(c, folium.FeatureGroup) and c.overlay}
    assert groups == {
        "Flux net par commune (tCO₂e/ha/an)": True,
        "Flux net total (tCO₂e/an)": False,
        "Artificialisation (ha/an)": False,
        "Points chauds d'artificialisation": True,
    }
    decoded = _unescape(text)
    for layer in ["Fond : OpenStreetMap (en ligne)", *groups]:
        assert f'"{layer}" :' in decoded  # LayerControl entry
    # a legend for each layer (those of hidden layers are hidden by the page script)
    assert "Flux net total (tCO₂e/an) — positif = séquestration, négatif = émission" in text
    assert '<div class="espass-legend-title">Artificialisation (ha/an)</div>' in text
    assert "Surface artificialisée par maille (ha sur la période)" in text


def test_hotspots_only_sealed_cells(saved):
    _, _, text = saved
    cells = _props_by(_collections(text)[-1], "cell_id_fr")
    assert set(cells) == {"M1", "M3", "M4"}  # M2 (0 ha) left out
    # 3 ha / 6 years = 0,5; 12,5 / 6 = 2,083…; 0,75 / 6 = 0,125 → 0,13 (half-up)
    assert cells["M1"]["sealed_fr"] == f"3,00{NBSP}ha sur la période (0,50{NBSP}ha/an)"
    assert cells["M3"]["sealed_fr"] == f"12,5{NBSP}ha sur la période (2,08{NBSP}ha/an)"
    assert cells["M4"]["sealed_fr"] == f"0,75{NBSP}ha sur la période (0,13{NBSP}ha/an)"
    assert _aliases(text)[-1] == ["Maille", "Surface artificialisée"]


def test_transitions_panel(saved):
    _, _, text = saved
    assert f"<summary>{MATRIX_TITLE}</summary>" in text
    assert '<details class="espass-details">' in text  # closed by default
    table = re.search(r'<table class="espass-matrix">(.*?)</table>', text, re.S)
    assert table is not None
    rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1))]
    assert rows == [
        ["de \u2193 / vers \u2192", "Cultures", "Prairies", "Sols artificialisés", "Total"],
        ["Cultures", "0", "12,0", f"1{NNBSP}234,5", f"1{NNBSP}246,5"],
        ["Prairies", "3,2", "0", "0,6", "3,8"],
        ["Vergers &amp; vignes", "0", "0", "2,0", "2,0"],
        ["Total", "3,2", "12,0", f"1{NNBSP}237,1", f"1{NNBSP}252,3"],
    ]
    assert '<td class="espass-zero">0</td>' in table.group(1)
    assert "<td></td>" not in table.group(1)


def test_offline_assets_and_lib(saved):
    _, html_path, text = saved
    assert remote_assets(text) == []
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", text)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", text)
    refs = re.findall(r"(?:src|href)=\"(lib/[^\"]+)\"", text)
    assert "lib/leaflet/leaflet.js" in refs
    for ref in refs:
        assert (html_path.parent / ref).is_file(), ref
    assert (html_path.parent / "lib" / "leaflet" / "LICENSE").is_file()
    assert sorted(p.name for p in html_path.parent.iterdir()) == ["carte_flux.html", "lib"]


def test_minimal_zones_without_options(zones):
    minimal = zones[["zone_id", "zone_name", "area_ha", "flux_tCO2e_an", "flux_tCO2e_ha_an",
                     "geometry"]]
    m = flows_map(minimal, title="Flux", basemap=False)
    groups = [c.layer_name for c in m._children.values()
              if isinstance(c, folium.FeatureGroup) and c.overlay]
    assert groups == ["Flux net par commune (tCO₂e/ha/an)", "Flux net total (tCO₂e/an)"]
    text = m.get_root().render()
    assert f"<li>{SIGN_NOTE}</li>" in text  # even without notes
    assert "<details" not in text
    assert _aliases(text)[0] == ["Commune", "Flux net par ha", "Flux net total", "Surface"]
    assert _aliases(text)[1] == ["Commune", "Code", "Surface", "Flux net total",
                                 "Flux net par ha"]


def test_hotspots_without_sealing_or_years(zones, hotspots):
    m = flows_map(zones, title="x", hotspots=hotspots.assign(sealed_ha=0.0))
    names = [c.layer_name for c in m._children.values()
             if isinstance(c, folium.FeatureGroup) and c.overlay]
    assert "Points chauds d'artificialisation" not in names
    text = flows_map(zones, title="x", hotspots=hotspots.drop(columns="years")).get_root().render()
    cells = _props_by(_collections(text)[-1], "cell_id_fr")
    assert cells["M1"]["sealed_fr"] == f"3,00{NBSP}ha sur la période"


def test_errors(zones, hotspots):
    with pytest.raises(KeyError, match="flux_tCO2e_ha_an"):
        flows_map(zones.drop(columns="flux_tCO2e_ha_an"), title="x")
    with pytest.raises(KeyError, match="sealed_ha"):
        flows_map(zones, title="x", hotspots=hotspots.drop(columns="sealed_ha"))
    with pytest.raises(TypeError, match="DataFrame"):
        flows_map(zones, title="x", transitions=[[1.0]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        flows_map(zones.iloc[:0], title="x")


def test_transitions_margins_given_by_the_caller_are_not_doubled(zones, transitions):
    with_margins = transitions.copy()
    with_margins["Total"] = with_margins.sum(axis=1)
    with_margins.loc["Total"] = with_margins.sum(axis=0)
    text = flows_map(zones, title="x", transitions=with_margins).get_root().render()
    table = re.search(r'<table class="espass-matrix">(.*?)</table>', text, re.S).group(1)
    rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table)]
    assert rows[0] == ["de \u2193 / vers \u2192", "Cultures", "Prairies", "Sols artificialisés",
                       "Total"]
    assert [r[0] for r in rows[1:]] == ["Cultures", "Prairies", "Vergers &amp; vignes", "Total"]
    assert rows[-1] == ["Total", "3,2", "12,0", f"1{NNBSP}237,1", f"1{NNBSP}252,3"]


def test_transitions_diagonal_is_greyed(zones):
    t = pd.DataFrame([[5.0, 1.0], [0.0, 2.0]], index=["Forêts", "Cultures"],
                     columns=["Forêts", "Cultures"])
    text = flows_map(zones, title="x", transitions=t).get_root().render()
    assert '<td class="espass-diag">5,0</td>' in text  # unchanged area
    assert "<td>1,0</td>" in text  # a change
    assert '<td class="espass-diag">2,0</td>' in text
