"""Scenario map (espass_geo.present.maps.scenario_map): DualMap baseline / scenario, offline.

No browser: the saved HTML is parsed as text, as in test_maps.py. folium writes the GeoJSON,
the layer names and the tooltip aliases with ``json.dumps`` (``\\uXXXX`` escapes); our own
HTML (header band, legends, notes) is written literally in UTF-8.
"""
from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pytest
from folium.plugins import DualMap
from shapely.geometry import LineString, box

from espass_geo.present.maps import (
    DELTA_CAPTION_FR,
    DELTA_LAYER_FR,
    SCENARIO_SIGN_NOTE_FR,
    localize_assets,
    remote_assets,
    save_map,
    scenario_map,
)

X0, Y0 = 650_000.0, 7_090_000.0
NAMES = ["Téteghem", "Éringhem", "Loon-Plage"]
NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
BASE_LAYER = "Tendanciel : variation du stock de carbone (tC/ha)"
SCEN_LAYER = "Sobriété foncière : variation du stock de carbone (tC/ha)"


def _unescape(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _collections(text: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"geo_json_\w+_add\((\{.*\})\);", text)]


def _aliases(text: str) -> list[list[str]]:
    return [json.loads(a) for a in re.findall(r"let aliases = (\[.*?\]);", _unescape(text))]


def _zones(values: list[float], **extra: list[float]) -> gpd.GeoDataFrame:
    geoms = [box(X0 + i * 2000, Y0, X0 + (i + 1) * 2000, Y0 + 2000) for i in range(3)]
    return gpd.GeoDataFrame(
        {"zone_id": ["59588", "59199", "59359"], "zone_name": NAMES,
         "area_ha": [400.0, 400.0, 400.0], "stock_change_tC_ha": values,
         "stock_change_tC": [v * 400.0 for v in values], **extra},
        geometry=geoms, crs=2154)


@pytest.fixture
def baseline() -> gpd.GeoDataFrame:
    return _zones([2.5, -4.0, 0.5])


@pytest.fixture
def scenario() -> gpd.GeoDataFrame:
    # zone 2 stores 1 tC/ha more than the baseline (+1 467 tCO₂e), zone 1 loses 3 tC/ha
    return _zones([2.5, -1.0, -2.5], delta_cum_tCO2e=[0.0, 4400.0, -4400.0])


@pytest.fixture
def actions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"action_id": ["A1", "A2"], "type": ["convert", "seal"],
         "label": ["Boisement du Mont Noir", "ZAE « Les Prés »"], "year": [2027, 2031]},
        geometry=[box(X0 + 2200, Y0 + 200, X0 + 2800, Y0 + 800),
                  box(X0 + 4200, Y0 + 1200, X0 + 4600, Y0 + 1600)],
        crs=2154)


@pytest.fixture
def saved(baseline, scenario, actions, tmp_path):
    html_path = tmp_path / "out" / "scenario.html"
    dual = scenario_map(baseline, scenario, title="Territoire test", actions=actions,
                        scenario_label="Sobriété foncière", horizon=2050,
                        notes=["Valeurs fictives."], html_path=html_path)
    return dual, html_path, html_path.read_text(encoding="utf-8")


def test_returns_a_dualmap_with_two_synced_maps(saved):
    dual, _, text = saved
    assert isinstance(dual, DualMap)
    assert isinstance(dual.m1, folium.Map) and isinstance(dual.m2, folium.Map)
    assert f"{dual.m1.get_name()}.sync({dual.m2.get_name()})" in text
    assert f"{dual.m2.get_name()}.sync({dual.m1.get_name()})" in text
    # two map containers, both below the header band
    assert text.count('class="folium-map"') == 2
    assert f"#{dual.m1.get_name()}, #{dual.m2.get_name()} {{ top: 64px !important;" in text


def test_layer_names_of_both_panes(saved):
    dual, _, text = saved
    raw = _unescape(text)
    for name in (BASE_LAYER, SCEN_LAYER, DELTA_LAYER_FR, "Actions du scénario",
                 "Fond : OpenStreetMap (en ligne)"):
        assert json.dumps(name, ensure_ascii=False) in raw
    # each layer control lists its own map's layers
    controls = re.findall(r"var (layer_control_\w+)_layers = \{(.*?)\};", raw, re.S)
    assert len(controls) == 2
    left = next(body for _, body in controls if BASE_LAYER in body)
    right = next(body for _, body in controls if SCEN_LAYER in body)
    assert SCEN_LAYER not in left and DELTA_LAYER_FR not in left
    assert BASE_LAYER not in right
    assert DELTA_LAYER_FR in right and "Actions du scénario" in right


def test_header_legends_and_sign_convention(saved):
    _, _, text = saved
    assert "<h1>Territoire test</h1><span>À l&#x27;horizon 2050</span>" in text
    assert '<div class="espass-dual-pane espass-left"><span>Tendanciel</span></div>' in text
    assert ('<div class="espass-dual-pane espass-right"><span>Sobriété foncière</span></div>'
            in text)
    caption = ("Variation du stock de carbone à l&#x27;horizon 2050 (tC/ha) — positif = "
               "stockage / séquestration")
    # the same legend on both maps (same classes and colours)
    assert text.count(caption) == 2
    assert DELTA_CAPTION_FR == ("Écart au tendanciel (tCO₂e cumulés) — positif = séquestration "
                                "supplémentaire")
    assert DELTA_CAPTION_FR in text
    assert SCENARIO_SIGN_NOTE_FR in text
    assert "positif = stockage / séquestration" in SCENARIO_SIGN_NOTE_FR
    assert "<li>Valeurs fictives.</li>" in text
    assert "Sources : Limites communales : IGN Admin Express COG 2018" in text
    # legend of the actions, types present only
    assert "Conversion (boisement, prairie, zone humide)" in text
    assert "Artificialisation</span>" in text
    assert "Pratique agricole" not in text


def test_same_classes_on_both_maps(saved):
    _, _, text = saved
    base, scen, delta, acts = _collections(text)
    fills_b = {f["properties"]["zone_name_fr"]: f["properties"]["fill"] for f in base["features"]}
    fills_s = {f["properties"]["zone_name_fr"]: f["properties"]["fill"] for f in scen["features"]}
    # Téteghem: +2,5 tC/ha in both → same colour
    assert fills_b["Téteghem"] == fills_s["Téteghem"]
    # Éringhem −4 (baseline) and Loon-Plage −2,5 (scenario): emitting classes, not the same
    # as the storing ones
    assert fills_b["Éringhem"] != fills_b["Téteghem"]
    assert fills_s["Loon-Plage"] != fills_s["Téteghem"]
    # classes computed on both tables (−4 … +2,5), diverging and symmetric around 0: the
    # scenario alone (|x| ≤ 2,5) would end at ±2,5; both legends are identical
    labels = re.findall(r'<span class="espass-swatch" style="background:#[0-9a-f]{6}">'
                        r"</span><span>([^<]*)</span>", text)
    expected = ["2,5 à 4,0", "2,0 à 2,5", "0,0 à 2,0", f"{MINUS}2,0 à 0,0",
                f"{MINUS}2,5 à {MINUS}2,0", f"{MINUS}4,0 à {MINUS}2,5"]
    assert labels[:6] == expected  # baseline map
    assert labels[6:12] == expected  # scenario map
    # delta: diverging classes of its own
    assert {f["properties"]["value"] for f in delta["features"]} == {0.0, 4400.0, -4400.0}


def test_tooltips_french(saved):
    _, _, text = saved
    base, scen, delta, acts = _collections(text)
    s = {f["properties"]["zone_name_fr"]: f["properties"] for f in scen["features"]}
    assert s["Éringhem"]["value_fr"] == f"{MINUS}1,00{NBSP}tC/ha"
    assert s["Téteghem"]["value_fr"] == f"+2,50{NBSP}tC/ha"
    assert s["Éringhem"]["baseline_value_fr"] == f"{MINUS}4,00{NBSP}tC/ha"
    assert s["Éringhem"]["delta_fr"] == f"+4{NBSP}400{NBSP}tCO₂e".replace(
        f"4{NBSP}400", f"4{NNBSP}400")
    assert s["Loon-Plage"]["stock_change_fr"] == f"{MINUS}1{NNBSP}000{NBSP}tC"
    aliases = _aliases(text)
    assert ["Commune", "Code", "Surface", "Variation du stock de carbone (tC/ha)",
            "Variation du stock (total)"] in aliases
    assert ["Commune", "Code", "Surface", "Variation du stock de carbone (tC/ha)",
            "Variation du stock (total)", "Tendanciel (pour comparaison)",
            "Écart au tendanciel (cumulé)"] in aliases
    assert ["Action", "Type", "Année"] in aliases


def test_actions_layer(saved):
    _, _, text = saved
    acts = _collections(text)[-1]
    props = {f["properties"]["label_fr"]: f["properties"] for f in acts["features"]}
    assert set(props) == {"Boisement du Mont Noir", "ZAE « Les Prés »"}
    assert props["Boisement du Mont Noir"]["type_fr"] == ("Conversion (boisement, prairie, "
                                                          "zone humide)")
    assert props["ZAE « Les Prés »"]["type_fr"] == "Artificialisation"
    assert props["ZAE « Les Prés »"]["year_fr"] == "2031"  # a year, no thousands separator
    assert props["Boisement du Mont Noir"]["stroke"] == "#1a9850"  # convert: green
    assert props["ZAE « Les Prés »"]["stroke"] == "#d7191c"  # seal: red
    assert '"pane": "espass_actions"' in text


def test_offline_no_remote_assets_and_lib(saved):
    _, html_path, text = saved
    assert remote_assets(text) == []
    assert not re.search(r'<script[^>]*src="http', text)
    assert not re.search(r'<link[^>]*href="http', text)
    assert '<script src="lib/leaflet-sync/L.Map.Sync.js"></script>' in text
    lib = html_path.parent / "lib"
    for rel in ("leaflet-sync/L.Map.Sync.js", "leaflet-sync/LICENSE", "leaflet/leaflet.js",
                "leaflet/leaflet.css", "jquery/jquery.min.js", "README.md"):
        assert (lib / rel).is_file(), rel
    assert "L.Map.include" in (lib / "leaflet-sync/L.Map.Sync.js").read_text(encoding="utf-8")
    # no temporary file left next to the page
    assert sorted(p.name for p in html_path.parent.iterdir()) == ["lib", "scenario.html"]
    # folium's class attributes are untouched (other maps of the process keep the CDN URLs)
    assert dict(DualMap.default_js)["Leaflet.Sync"].startswith("https://")
    assert dict(folium.Map.default_js)["leaflet"].startswith("https://")


def test_plain_dualmap_saved_offline(tmp_path):
    dual = DualMap(layout="horizontal", tiles=None)
    localize_assets(dual)
    assert dict(dual.default_js)["Leaflet.Sync"] == "lib/leaflet-sync/L.Map.Sync.js"
    assert dict(dual.m2.default_js)["leaflet"] == "lib/leaflet/leaflet.js"
    path = save_map(dual, tmp_path / "dual.html")
    assert remote_assets(path.read_text(encoding="utf-8")) == []
    assert (tmp_path / "lib" / "leaflet-sync" / "L.Map.Sync.js").is_file()


def test_options_lines_unknown_type_no_delta(baseline, scenario, tmp_path):
    acts = gpd.GeoDataFrame(
        {"action_id": ["H1", "X1"], "type": ["hedges", "other"], "label": ["Haie", "Autre"],
         "year": [2030, None]},
        geometry=[LineString([(X0 + 100, Y0 + 100), (X0 + 1900, Y0 + 100)]),
                  box(X0, Y0, X0 + 100, Y0 + 100)], crs=2154)
    dual = scenario_map(baseline, scenario.drop(columns="delta_cum_tCO2e"), title="T",
                        actions=acts, delta_col=None, basemap=False,
                        html_path=tmp_path / "m.html")
    text = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert DELTA_LAYER_FR not in _unescape(text)
    assert "Fond OpenStreetMap" not in _unescape(text)
    props = {f["properties"]["label_fr"]: f["properties"] for f in _collections(text)[-1]["features"]}
    assert props["Haie"]["stroke"] == "#8c510a" and props["Haie"]["type_fr"] == "Haies"
    assert props["Autre"]["type_fr"] == "other" and props["Autre"]["year_fr"] == "–"
    assert isinstance(dual, DualMap)


def test_errors(baseline, scenario, actions):
    with pytest.raises(KeyError, match="delta_cum_tCO2e"):
        scenario_map(baseline, scenario.drop(columns="delta_cum_tCO2e"), title="T")
    with pytest.raises(KeyError, match="stock_change_tC_ha"):
        scenario_map(baseline.drop(columns="stock_change_tC_ha"), scenario, title="T")
    with pytest.raises(KeyError, match="year"):
        scenario_map(baseline, scenario, title="T", actions=actions.drop(columns="year"))
    with pytest.raises(ValueError, match="empty"):
        scenario_map(baseline.iloc[0:0], scenario, title="T")


def test_every_scenario_selectable(baseline, scenario, actions, tmp_path):
    """Issue #15: the scenario map showed only the first scenario; with several, each has
    its layers on the right map and a selector above it switches between them."""
    second = _zones([0.0, 1.0, 3.0], delta_cum_tCO2e=[-9166.7, 7333.3, 3666.7])
    hostile = "Plan <img src=x onerror=alert(1)> {{7*7}}"
    path = tmp_path / "multi.html"
    dual = scenario_map(baseline, {"Sobriété foncière": scenario, hostile: second},
                        title="T", actions={"Sobriété foncière": actions, hostile: None},
                        horizon=2050, html_path=path)
    text = path.read_text(encoding="utf-8")
    raw = _unescape(text)
    right = [c for c in dual.m2._children.values()
             if isinstance(c, folium.FeatureGroup) and c.overlay]
    # per scenario: its layer, its difference layer; the actions of the first one
    assert [(g.layer_name, g.show) for g in right] == [
        (SCEN_LAYER, True),
        (f"{DELTA_LAYER_FR} — Sobriété foncière", False),
        ("Actions du scénario — Sobriété foncière", True),
        (f"{hostile} : variation du stock de carbone (tC/ha)", False),
        (f"{DELTA_LAYER_FR} — {hostile}", False),
    ]
    # the selector: one option per scenario, labels escaped (shown literally, never run)
    select = re.search(r'<select id="([^"]+)"[^>]*>(.*?)</select>', text)
    assert select is not None
    assert select.group(2) == ('<option value="0">Sobriété foncière</option>'
                               '<option value="1">Plan &lt;img src=x onerror=alert(1)&gt; '
                               '{{7*7}}</option>')
    assert "<img src=x" not in text.replace("\\u003cimg", "")
    assert "49" not in select.group(2)
    # its script knows the value, difference and actions layers of each scenario, in order
    script = re.search(r"var values = \[([^\]]*)\];\s*var deltas = \[([^\]]*)\];\s*"
                       r"var actions = \[([^\]]*)\];\s*var select = document.getElementById\("
                       r'"([^"]+)"\)', text)
    assert script is not None and script.group(4) == select.group(1)
    assert script.group(1).split(", ") == [right[0].get_name(), right[3].get_name()]
    assert script.group(2).split(", ") == [right[1].get_name(), right[4].get_name()]
    assert script.group(3).split(", ") == [right[2].get_name(), "null"]
    # one set of classes for both scenarios and the baseline (comparable colours): the
    # same legend text on each value layer
    legends = re.findall(r'<div class="espass-legend-title">([^<]*)</div>', raw)
    assert legends.count(legends[0]) >= 3
    # the notes say how to switch
    assert "choisit le scénario" in text


def test_one_scenario_keeps_its_name_and_no_selector(baseline, scenario, tmp_path):
    dual = scenario_map(baseline, {"Sobriété foncière": scenario}, title="T",
                        html_path=tmp_path / "one.html")
    text = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert "<select" not in text
    assert '<span>Sobriété foncière</span>' in text
    names = [c.layer_name for c in dual.m2._children.values()
             if isinstance(c, folium.FeatureGroup) and c.overlay]
    assert names == [SCEN_LAYER, DELTA_LAYER_FR]
    with pytest.raises(KeyError, match="unknown scenario"):
        scenario_map(baseline, {"A": scenario}, title="T", actions={"B": None})
