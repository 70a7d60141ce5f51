"""Emissions map (espass_geo.present.maps.emissions_map): layers, French tooltips, estimate, offline.

No browser: the saved HTML is parsed as text, as in test_flux_map.py. folium writes the
GeoJSON and the layer names with ``json.dumps`` (``\\uXXXX`` escapes); our own HTML (title,
legends, notes) is written literally in UTF-8.

Expected strings are computed by hand (espass_geo.present.fmt rules: U+202F thousands separator,
U+00A0 before the unit, U+2212 minus, half-up rounding): GHG per inhabitant with one decimal,
pollutants per km² with 0/1/2 decimals for |x| ≥ 100 / ≥ 10 / < 10 and two significant digits
below 0,1; the land-use flow signed ("+" = sequestration).
"""
from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pytest
from matplotlib.colors import to_rgb
from shapely.geometry import box

from espass_geo.present.maps import emissions_map, remote_assets

X0, Y0 = 650_000.0, 7_090_000.0
NAMES = ["Téteghem-Coudekerque-Village", "Éringhem", "Saint-Pol-sur-Mer"]
NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
POSTS = ["alimentation", "biens_consommation", "deplacements", "residentiel", "services",
         "travaux"]
POLLUTANTS = ["NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3"]
ESTIMATE = ("Inventaire de démonstration : ESTIMATION (totaux Hauts-de-France répartis par des "
            "indicateurs ; grands sites industriels placés dans leur commune), pas un "
            "inventaire réel.")
LAYERS = [
    "Empreinte GES par habitant — total (tCO₂e/hab/an)",
    "Empreinte GES par habitant — Alimentation",
    "Empreinte GES par habitant — Biens de consommation",
    "Empreinte GES par habitant — Déplacements",
    "Empreinte GES par habitant — Résidentiel",
    "Empreinte GES par habitant — Services",
    "Empreinte GES par habitant — Travaux",
    "Émissions directes de GES par habitant (tCO₂e/hab/an)",
    "NOₓ (t/km²/an)",
    "PM₁₀ (t/km²/an)",
    "PM₂,₅ (t/km²/an)",
    "COVNM (t/km²/an)",
    "SO₂ (t/km²/an)",
    "NH₃ (t/km²/an)",
]


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
    # 2 km × 2 km boxes = 400 ha = 4 km² each
    geoms = [box(X0 + i * 2000, Y0, X0 + (i + 1) * 2000, Y0 + 2000) for i in range(3)]
    data = {
        "zone_id": ["59588", "59199", "59540"],
        "zone_name": NAMES,
        "area_ha": [400.0, 400.0, 400.0],
        "population": [12_345.0, 567.0, 20_100.0],
        "ges_hab_total_tCO2e": [9.24, 10.25, 8.0],
        "ges_direct_hab_tCO2e": [15.0, 3.96, 124.44],
        "utilisation_terres_tCO2e_an": [1234.5, -250.0, 0.0],
    }
    for k, post in enumerate(POSTS):
        data[f"ges_hab_{post}_tCO2e"] = [1.0 + k * 0.1, 2.25, 0.05]
    densities = {"NOx": [1.245, 12.34, 3.0], "PM10": [0.5, 0.25, 0.75],
                 "PM2.5": [0.3, 0.2, 0.1], "COVNM": [2.0, 1.0, 4.0],
                 "SO2": [0.0432, 123.4, 0.2], "NH3": [5.0, 0.0, 1.0]}
    for pollutant, values in densities.items():
        data[f"{pollutant}_t_km2"] = values
    return gpd.GeoDataFrame(data, geometry=geoms, crs=2154)


@pytest.fixture
def saved(tmp_path, zones):
    html_path = tmp_path / "cartes é" / "carte_emissions.html"
    m = emissions_map(
        zones, title="Émissions – Dunkerque & environs", subtitle="Démonstration",
        notes=["Valeurs inventées — pas une donnée réelle", "Balise <b>non interprétée</b>",
               "Inventaire de démonstration : ESTIMATION (note du pipeline, non répétée)"],
        html_path=html_path, estimate=True,
    )
    return m, html_path, html_path.read_text(encoding="utf-8")


def test_layers_one_shown_and_exclusive(saved):
    m, _, text = saved
    groups = {c.layer_name: c.show for c in m._children.values()
              if isinstance(c, folium.FeatureGroup) and c.overlay}
    assert list(groups) == LAYERS
    assert [name for name, show in groups.items() if show] == [LAYERS[0]]
    decoded = _unescape(text)
    for layer in ["Fond : OpenStreetMap (en ligne)", *LAYERS]:
        assert f'"{layer}" :' in decoded  # LayerControl entry
    # one legend per layer, switched with it; every zone layer replaces the others
    assert text.count('<div class="espass-legend-title">') == len(LAYERS)
    assert ('<div class="espass-legend-title">Empreinte GES par habitant — Travaux '
            "(tCO₂e/hab/an)</div>") in text
    assert '<div class="espass-legend-title">Émissions de PM₂,₅ (t/km²/an)</div>' in text
    exclusive = re.search(r"var exclusive = \[([^\]]*)\];", text)
    assert exclusive is not None and len(exclusive.group(1).split(",")) == len(LAYERS)


def test_tooltips_french_numbers(saved):
    _, _, text = saved
    collections = _collections(text)
    assert len(collections) == len(LAYERS)
    props = _props_by(collections[0], "zone_name_fr")
    assert set(props) == set(NAMES)
    a, b, c = (props[n] for n in NAMES)
    assert a["zone_id_fr"] == "59588"
    assert a["area_fr"] == f"400{NBSP}ha"
    assert a["population_fr"] == f"12{NNBSP}345{NBSP}hab."
    assert b["population_fr"] == f"567{NBSP}hab."
    # GHG per inhabitant, 1 decimal, half-up: 9,24 → 9,2; 10,25 → 10,3; 124,44 → 124,4
    assert a["ges_hab_total_fr"] == f"9,2{NBSP}tCO₂e/hab/an"
    assert b["ges_hab_total_fr"] == f"10,3{NBSP}tCO₂e/hab/an"
    assert c["ges_hab_total_fr"] == f"8,0{NBSP}tCO₂e/hab/an"
    assert a["ges_hab_travaux_fr"] == f"1,5{NBSP}tCO₂e/hab/an"
    assert b["ges_hab_alimentation_fr"] == f"2,3{NBSP}tCO₂e/hab/an"
    assert c["ges_hab_services_fr"] == f"0,1{NBSP}tCO₂e/hab/an"  # 0,05 half-up
    assert a["ges_direct_hab_fr"] == f"15,0{NBSP}tCO₂e/hab/an"
    assert c["ges_direct_hab_fr"] == f"124,4{NBSP}tCO₂e/hab/an"
    # pollutants per km²
    assert a["NOx_t_km2_fr"] == f"1,25{NBSP}t/km²/an"  # 1,245 half-up
    assert b["NOx_t_km2_fr"] == f"12,3{NBSP}t/km²/an"
    assert a["SO2_t_km2_fr"] == f"0,043{NBSP}t/km²/an"  # two significant digits
    assert b["SO2_t_km2_fr"] == f"123{NBSP}t/km²/an"
    assert c["PM2_5_t_km2_fr"] == f"0,10{NBSP}t/km²/an"
    assert b["NH3_t_km2_fr"] == f"0,00{NBSP}t/km²/an"
    # land-use flow, ALDO sign (+ = sequestration)
    assert a["utilisation_terres_fr"] == f"+1{NNBSP}235{NBSP}tCO₂e/an"
    assert b["utilisation_terres_fr"] == f"{MINUS}250{NBSP}tCO₂e/an"
    assert c["utilisation_terres_fr"] == f"0,00{NBSP}tCO₂e/an"
    # compact tooltip of the first layer (its value, then direct emissions, population, land
    # use), every value in the popup of a click
    assert _aliases(text)[0] == ["Commune", "Empreinte GES (total)", "Émissions directes de GES",
                                 "Population", "Utilisation des terres (+ = séquestration)"]
    assert _aliases(text)[1] == [
        "Commune", "Code", "Surface", "Population", "Empreinte GES (total)",
        "dont Alimentation", "dont Biens de consommation", "dont Déplacements",
        "dont Résidentiel", "dont Services", "dont Travaux", "Émissions directes de GES",
        "NOₓ", "PM₁₀", "PM₂,₅", "COVNM", "SO₂", "NH₃",
        "Utilisation des terres (+ = séquestration)",
    ]
    assert "Éringhem" in _unescape(text)  # accented names survive the JSON escaping


def test_sequential_palettes(saved):
    _, _, text = saved
    collections = _collections(text)
    ghg = _props_by(collections[0], "zone_name_fr")
    # oranges/reds for GHG: red channel dominates; the highest footprint is the darkest
    for p in ghg.values():
        r, g, b = to_rgb(p["fill"])
        assert r > g and r > b
    assert sum(to_rgb(ghg[NAMES[1]]["fill"])) < sum(to_rgb(ghg[NAMES[2]]["fill"]))
    pollutant = _props_by(collections[LAYERS.index("NOₓ (t/km²/an)")], "zone_name_fr")
    for p in pollutant.values():  # purples: blue > green
        _, g, b = to_rgb(p["fill"])
        assert b > g


def test_estimate_banner_notes_and_title(saved):
    _, _, text = saved
    # the notes box starts with the warning
    start = text.index('class="leaflet-control espass-box espass-notes">')
    box_html = text[start:].split(">", 1)[1].lstrip()
    assert box_html.startswith(f'<div class="espass-estimate" style="font-weight:600;'
                               f'color:#b2182b;margin-bottom:3px">{ESTIMATE}</div><ul>')
    assert text.count(ESTIMATE) == 1
    assert "note du pipeline" not in text  # the caller's copy of the warning is not repeated
    assert "Valeurs inventées — pas une donnée réelle" in text
    assert "Balise &lt;b&gt;non interprétée&lt;/b&gt;" in text
    assert "<b>non" not in text
    assert "convention ALDO : positif = séquestration" in text
    assert "Sources : Limites communales : IGN Admin Express COG 2018" in text
    assert "<title>Émissions – Dunkerque &amp; environs</title>" in text
    assert "<h1>Émissions – Dunkerque &amp; environs</h1><p>Démonstration</p>" in text


def test_no_estimate_banner_by_default(tmp_path, zones):
    html_path = tmp_path / "sans_estimation.html"
    emissions_map(zones.drop(columns="utilisation_terres_tCO2e_an"), title="Réel",
                  notes=["Inventaire de démonstration : gardé quand estimate=False"],
                  html_path=html_path, basemap=False)
    text = html_path.read_text(encoding="utf-8")
    assert ESTIMATE not in text
    assert 'class="espass-estimate"' not in text
    assert "Inventaire de démonstration : gardé quand estimate=False" in text
    assert "Utilisation des terres" not in _unescape(text)
    assert "Fond OpenStreetMap" not in _unescape(text)


def test_offline_assets(saved):
    _, html_path, text = saved
    assert remote_assets(text) == []
    lib = html_path.parent / "lib"
    assert (lib / "leaflet" / "leaflet.js").is_file()
    assert (lib / "leaflet" / "leaflet.css").is_file()
    assert (lib / "README.md").is_file()
    assert not list(html_path.parent.glob(".*.tmp"))  # temp file renamed, none left


def test_subset_of_posts_and_pollutants(zones):
    small = zones.drop(columns=["ges_hab_travaux_tCO2e", "SO2_t_km2"])
    m = emissions_map(small, title="Sous-ensemble", posts=("alimentation", "services"),
                      pollutants=("PM2.5",), basemap=False)
    names = [c.layer_name for c in m._children.values()
             if isinstance(c, folium.FeatureGroup) and c.overlay]
    assert names == [LAYERS[0], LAYERS[1], LAYERS[5], LAYERS[7], "PM₂,₅ (t/km²/an)"]
    with pytest.raises(KeyError, match="ges_hab_travaux_tCO2e"):
        emissions_map(small, title="Colonne manquante")


def test_uniform_footprint_one_class_and_note(zones):
    # a national per-capita footprint: the same value everywhere, up to float noise
    z = zones.copy()
    z["ges_hab_total_tCO2e"] = [9.2, 9.2 + 1e-15, 9.2 - 1e-15]
    m = emissions_map(z, title="Empreinte uniforme", basemap=False)
    text = m.get_root().render()
    assert "<span>9,0 à 9,5</span>" in text  # one class, no crash on the float noise
    assert f"Même valeur dans toutes les zones : 9,2{NBSP}tCO₂e/hab/an" in text
    assert text.count("Même valeur dans toutes les zones") == 1  # other layers vary


def test_opens_on_the_first_layer_that_varies(zones):
    """Issue #15: the demo's footprint per inhabitant is a national figure, the same in every
    commune; the map must not open on a flat layer."""
    from espass_geo.present.maps.page import first_varying

    flat = zones.copy()
    # footprint total and every post the same everywhere (9,2 t/hab: 1,0 + … from a national
    # table); direct emissions differ (15,0 / 3,96 / 124,44 t/hab): the first varying layer
    flat["ges_hab_total_tCO2e"] = 9.2
    for post in POSTS:
        flat[f"ges_hab_{post}_tCO2e"] = 1.5
    m = emissions_map(flat, title="Empreinte nationale", basemap=False)
    groups = {c.layer_name: c.show for c in m._children.values()
              if isinstance(c, folium.FeatureGroup) and c.overlay}
    assert [name for name, show in groups.items() if show] == [
        "Émissions directes de GES par habitant (tCO₂e/hab/an)"]
    # the layer order: total, 6 posts, direct → index 7
    cols = ["ges_hab_total_tCO2e", *(f"ges_hab_{p}_tCO2e" for p in POSTS),
            "ges_direct_hab_tCO2e"]
    assert first_varying(flat, cols) == 7
    # nothing varies: the first layer; a lone finite value is no variation either
    same = flat.assign(ges_direct_hab_tCO2e=4.0)
    assert first_varying(same, cols) == 0
    lone = flat.assign(ges_hab_total_tCO2e=[float("nan"), 3.0, float("nan")])
    assert first_varying(lone, cols) == 7
    # the footprint varies (fixture): it is shown first, as before
    m = emissions_map(zones, title="x", basemap=False)
    shown = [c.layer_name for c in m._children.values()
             if isinstance(c, folium.FeatureGroup) and c.overlay and c.show]
    assert shown == [LAYERS[0]]
