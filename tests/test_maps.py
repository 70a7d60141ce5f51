"""Web maps (espass_geo.present.maps): offline assets, French labels, classes, raster overlay.

No browser here: the saved HTML is parsed as text. folium embeds data with ``json.dumps``
(ASCII only: "Téteghem" is written ``T\\u00e9teghem``), so the GeoJSON is read back with
``json.loads`` and other JS strings are compared after decoding the ``\\uXXXX`` escapes.
Our own HTML (title, legend, notes) is written literally in UTF-8.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import branca.colormap as bcm
import folium
import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from matplotlib import colormaps
from matplotlib import image as mpimg
from matplotlib.colors import Normalize
from pyproj import Transformer
from shapely.geometry import box

from espass_geo.constants import C_TO_CO2
from espass_geo.errors import MissingCRSError
from espass_geo.present import maps
from espass_geo.present.maps import (
    ColorClasses,
    RemoteAssetError,
    choropleth_layer,
    class_breaks,
    make_map,
    raster_to_png,
    remote_assets,
    save_map,
    stocks_map,
)

X0, Y0 = 650_000.0, 7_090_000.0
NAMES = ["Saint-Pol-sur-Mer", "Téteghem", "Coudekerque-Branche"]
# 2 km × 2 km boxes = 400 ha each
STOCKS_TC = [12_345.6, 30_000.0, 8_000.0]


def _unescape(text: str) -> str:
    """Decode the \\uXXXX escapes that json.dumps writes into folium's JS."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _collections(text: str) -> list[dict]:
    """The GeoJSON FeatureCollections embedded by folium.GeoJson (one per layer, in order)."""
    return [json.loads(m) for m in re.findall(r"geo_json_\w+_add\((\{.*\})\);", text)]


def _props_by(collection: dict, key: str) -> dict[str, dict]:
    return {f["properties"][key]: f["properties"] for f in collection["features"]}


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    geoms = [box(X0 + i * 2000, Y0, X0 + (i + 1) * 2000, Y0 + 2000) for i in range(3)]
    area = [400.0, 400.0, 400.0]
    return gpd.GeoDataFrame(
        {
            "zone_id": ["59540", "59588", "59155"],
            "zone_name": NAMES,
            "area_ha": area,
            "stock_tC": STOCKS_TC,
            "stock_tCO2e": [s * C_TO_CO2 for s in STOCKS_TC],
            "density_tC_ha": [s / a for s, a in zip(STOCKS_TC, area, strict=True)],
            "stock_soil_tC": [s * 0.7 for s in STOCKS_TC],
            "stock_live_biomass_tC": [s * 0.3 for s in STOCKS_TC],
        },
        geometry=geoms,
        crs=2154,
    )


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": ["P-001", "P-002"], "land_use_fr": ["Grandes cultures", "Prairie permanente"],
         "area_ha": [10.0, 5.0], "stock_tC": [500.0, 400.0], "density_tC_ha": [50.0, 80.0]},
        geometry=[box(X0 + 200, Y0 + 200, X0 + 600, Y0 + 450),
                  box(X0 + 2200, Y0 + 200, X0 + 2400, Y0 + 450)],
        crs=2154,
    )


def _write_tif(path: Path, data: np.ndarray, *, pixel: float = 100.0,
               nodata: float | None = -9999.0, crs: str | None = "EPSG:2154") -> None:
    rows, cols = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs=crs, nodata=nodata,
                       transform=Affine(pixel, 0.0, X0, 0.0, -pixel, Y0 + rows * pixel)) as dst:
        dst.write(data.astype("float32"), 1)


# ------------------------------------------------------------------------------ stock map


@pytest.fixture
def saved(tmp_path, zones):
    out_dir = tmp_path / "cartes é"  # non-ASCII folder (conventions §3.1 example 10)
    html_path = out_dir / "carte.html"
    m = stocks_map(
        zones,
        title="Stocks de carbone – Dunkerque & environs",
        subtitle="Démonstration",
        notes=["Occupation du sol : raster de démonstration synthétique calibré — "
               "pas une donnée réelle", "Balise <b>non interprétée</b>"],
        html_path=html_path,
    )
    return m, html_path, html_path.read_text(encoding="utf-8")


def test_zone_tooltips_are_preformatted_in_french(saved):
    _, _, text = saved
    zones_fc = _collections(text)[0]
    props = _props_by(zones_fc, "zone_name_fr")
    assert set(props) == set(NAMES)
    p = props["Saint-Pol-sur-Mer"]
    assert p["zone_id_fr"] == "59540"
    assert p["area_fr"] == "400\u00a0ha"
    # 12 345,6 tC ≥ 10 000 t → kt, 1 decimal; × 44/12 = 45 267,2 tCO2e → 45,3 ktCO₂e
    assert p["stock_fr"] == "12,3\u00a0ktC (45,3\u00a0ktCO₂e)"
    # 12 345,6 / 400 = 30,864 tC/ha
    assert p["density_fr"] == "30,9\u00a0tC/ha"
    # soil 70 % = 8 641,92 tC (< 10 000 t: stays in t, 0 decimals); biomass 30 % = 3 703,68
    assert p["stock_soil_tC_fr"] == "8\u202f642\u00a0tC (70\u00a0%)"
    assert p["stock_live_biomass_tC_fr"] == "3\u202f704\u00a0tC (30\u00a0%)"
    q = props["Coudekerque-Branche"]
    # 8 000 tC stays in t; 8 000 × 44/12 = 29 333,3 tCO2e → 29,3 ktCO₂e
    assert q["stock_fr"] == "8\u202f000\u00a0tC (29,3\u00a0ktCO₂e)"
    assert q["density_fr"] == "20,0\u00a0tC/ha"
    # no pool column absent from the input
    assert "stock_hedges_tC_fr" not in p


def test_html_contains_french_labels_and_names(saved):
    _, _, text = saved
    decoded = _unescape(text)
    for name in NAMES:
        assert name in decoded
    aliases = re.findall(r"let aliases = (\[.*?\]);", decoded)
    # compact tooltip (the name and four key figures), every value in the popup of a click
    assert json.loads(aliases[0]) == ["Commune", "Stock total", "Densité", "Sol", "Surface"]
    assert json.loads(aliases[1]) == ["Commune", "Code", "Surface", "Stock total", "Densité",
                                      "Sol", "Biomasse"]
    for layer in ("Fond : OpenStreetMap (en ligne)", "Stock moyen par commune (tC/ha)"):
        assert f'"{layer}" :' in decoded  # LayerControl entry
    assert '"collapsed": false' in text  # LayerControl(collapsed=False)


def test_legend_title_and_notes_are_literal_and_escaped(saved):
    _, _, text = saved
    assert "Stock de carbone moyen (tC/ha)" in text
    assert "tC/ha" in text
    # values 20 ; 30,864 ; 75 tC/ha → 3 classes (as many as values); step 5 (range 55 / 3 / 2
    # ≈ 9 → 5); quantiles 1/3 and 2/3 = 27,2 and 45,6 → 25 and 45; edges 20 and 75
    for label in ("20 à 25", "25 à 45", "45 à 75"):
        assert f"<span>{label}</span>" in text
    assert "Stocks de carbone – Dunkerque &amp; environs" in text
    assert "<title>Stocks de carbone – Dunkerque &amp; environs</title>" in text
    assert "Balise &lt;b&gt;non interprétée&lt;/b&gt;" in text
    assert "<b>non" not in text
    assert "pas une donnée réelle" in text
    assert ("Sources : Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO"
            in text)


def test_no_remote_scripts_or_stylesheets(saved):
    _, html_path, text = saved
    assert remote_assets(text) == []
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", text)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", text)
    # no asset URL with a scheme at all (protocol-relative "//host/..." included)
    assert not re.findall(r"(?:src|href)=\"(?!lib/)[^\"]*\.(?:js|css)\"", text)
    # every local script/stylesheet exists next to the HTML
    refs = re.findall(r"(?:src|href)=\"(lib/[^\"]+)\"", text)
    assert "lib/leaflet/leaflet.js" in refs
    assert len(refs) == 9
    for ref in refs:
        assert (html_path.parent / ref).is_file(), ref
    lib = html_path.parent / "lib"
    assert (lib / "leaflet" / "LICENSE").is_file()
    assert (lib / "leaflet" / "images" / "layers.png").is_file()
    assert (lib / "fontawesome" / "webfonts" / "fa-solid-900.woff2").is_file()
    assert (lib / "README.md").is_file()
    # only the HTML and lib/ in the folder: no temporary file left
    assert sorted(p.name for p in html_path.parent.iterdir()) == ["carte.html", "lib"]


def test_stylesheets_are_plain_css_written_as_they_are(saved):
    """The page CSS lives in templates/*.css (shipped with the package): plain CSS, never a
    template, and written into the page unchanged."""
    from espass_geo.present.maps.base import stylesheet

    for name in ("map.css", "dual.css", "bilan.css"):
        css = stylesheet(name)
        assert ".espass-" in css
        assert "{{" not in css and "{%" not in css, name
    _, _, text = saved
    assert stylesheet("map.css") in text


def test_vendored_css_resources_exist():
    for rel in list(maps.VENDORED_CSS.values()):
        css = maps.STATIC_DIR / rel
        for url in re.findall(r"url\(['\"]?([^'\")#?]+)", css.read_text(encoding="utf-8")):
            if url.startswith("data:") or url.endswith((".ttf", ".eot", ".woff", ".svg")):
                continue  # woff2 only is shipped; browsers pick it first
            assert (css.parent / url).resolve().is_file(), (rel, url)
    total = sum(p.stat().st_size for p in maps.STATIC_DIR.rglob("*") if p.is_file())
    assert total < 2_000_000


def test_folium_class_defaults_untouched(saved):
    assert folium.Map.default_js[0][1].startswith("https://")
    m, _, _ = saved
    assert m.default_js[0] == ("leaflet", "lib/leaflet/leaflet.js")


def test_layers_and_bounds(zones, parcels, tmp_path):
    tif = tmp_path / "densite.tif"
    _write_tif(tif, np.arange(16, dtype="float64").reshape(4, 4) * 10.0, pixel=500.0)
    png = raster_to_png(tif, tmp_path / "densite.png")
    m = stocks_map(zones, title="Carte", parcels=parcels, raster_png=png,
                   html_path=tmp_path / "out" / "carte.html")
    groups = {c.layer_name: c for c in m._children.values()
              if isinstance(c, folium.FeatureGroup) and c.overlay}
    assert list(groups) == ["Stock moyen par commune (tC/ha)", "Parcelles agricoles (RPG)",
                            "Densité par pixel (tC/ha)"]
    assert groups["Stock moyen par commune (tC/ha)"].show is True
    assert groups["Parcelles agricoles (RPG)"].show is False
    assert groups["Densité par pixel (tC/ha)"].show is False
    overlay = next(iter(groups["Densité par pixel (tC/ha)"]._children.values()))
    assert isinstance(overlay, folium.raster_layers.ImageOverlay)
    assert overlay.options["opacity"] == 0.7
    assert overlay.url.startswith("data:image/png;base64,")

    text = (tmp_path / "out" / "carte.html").read_text(encoding="utf-8")
    parcels_fc = _collections(text)[1]
    p = _props_by(parcels_fc, "parcel_id_fr")["P-001"]
    assert p["land_use_label_fr"] == "Grandes cultures"
    assert p["area_fr"] == "10,0\u00a0ha"
    assert p["stock_fr"] == "500\u00a0tC"
    assert p["density_fr"] == "50,0\u00a0tC/ha"
    assert "Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO ; " \
           "parcelles : RPG (IGN/ASP)" in text
    assert "Par pixel (tC/ha)" in text  # raster gradient in the legend
    assert remote_assets(text) == []

    # fit_bounds on the zones: lat ≈ 50.90–50.93, lon ≈ 2.29–2.38 (Dunkirk area)
    fit = next(c for c in m._children.values() if type(c).__name__ == "FitBounds")
    (south, west), (north, east) = fit.bounds
    assert 50.85 < south < north < 50.95
    assert 2.25 < west < east < 2.40


def test_zone_label_inferred_from_codes(zones):
    epci = zones.assign(zone_id=["245900428", "200040954", "200093201"])
    m = stocks_map(epci, title="EPCI")
    groups = [c.layer_name for c in m._children.values()
              if isinstance(c, folium.FeatureGroup) and c.overlay]
    assert groups == ["Stock moyen par EPCI (tC/ha)"]
    text = _unescape(m.get_root().render())
    assert json.loads(re.findall(r"let aliases = (\[.*?\]);", text)[0])[0] == "EPCI"
    m = stocks_map(zones, title="Zones", zone_label="Secteur")
    assert "Stock moyen par secteur (tC/ha)" in _unescape(m.get_root().render())


def test_caller_sources_note_is_not_duplicated(zones):
    note = "Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO (détail)."
    text = stocks_map(zones, title="x", notes=[note]).get_root().render()
    assert text.count("Limites communales") == 1
    assert "Sources :" not in text
    assert "Sources :" not in stocks_map(zones, title="x", sources="").get_root().render()


def test_zones_in_another_crs_and_errors(zones):
    m = stocks_map(zones.to_crs(4326), title="WGS84 en entrée")  # reprojected to 2154 first
    assert isinstance(m, folium.Map)
    with pytest.raises(MissingCRSError, match="set_crs"):
        stocks_map(zones.set_crs(None, allow_override=True), title="x")
    with pytest.raises(KeyError, match="stock_tCO2e"):
        stocks_map(zones.drop(columns="stock_tCO2e"), title="x")


# ------------------------------------------------------------------------------ save_map


def test_save_map_leaves_no_partial_file(tmp_path, monkeypatch):
    m = make_map()

    def boom(_src, _dst):
        raise OSError("disque plein")

    monkeypatch.setattr(maps.base.os, "replace", boom)
    with pytest.raises(OSError, match="disque plein"):
        save_map(m, tmp_path / "carte.html")
    assert not (tmp_path / "carte.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []


def test_save_map_refuses_remote_assets(tmp_path):
    m = make_map()
    # a branca colormap added to the map loads d3 from a CDN for its legend
    bcm.LinearColormap(["#ffffff", "#000000"], vmin=0, vmax=1).add_to(m)
    with pytest.raises(RemoteAssetError, match="d3"):
        save_map(m, tmp_path / "a.html")
    assert not (tmp_path / "a.html").exists()
    save_map(m, tmp_path / "b.html", allow_remote=True)
    assert (tmp_path / "b.html").exists()


def test_make_map_has_no_tiles_argument():
    with pytest.raises(TypeError, match="basemap"):
        make_map(tiles="OpenStreetMap")
    m = make_map(basemap=False)
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())


# ------------------------------------------------------------------------------ classes


def test_class_breaks_sequential():
    rng = np.random.default_rng(42)
    values = rng.gamma(6, 9, 800)
    breaks = class_breaks(values, 6)
    assert 5 <= len(breaks) - 1 <= 7
    assert breaks[0] <= values.min() and breaks[-1] >= values.max()
    assert all(b2 > b1 for b1, b2 in zip(breaks, breaks[1:], strict=False))
    assert all(float(b).is_integer() for b in breaks)  # range ~150 → nice integer steps
    # hand-computable case: quantiles of 1..10 at 0.2..0.8 = 2.8, 4.6, 6.4, 8.2; step 0.5
    assert class_breaks(range(1, 11), 5) == [1.0, 3.0, 4.5, 6.5, 8.0, 10.0]
    assert class_breaks([5, 5, 5]) == [5.0, 5.5]


def test_class_breaks_diverging_symmetric():
    values = [-40, -12, -3, 2, 9, 25]
    breaks = class_breaks(values, 4, diverging=True)
    assert breaks == [-40.0, -10.0, 0.0, 10.0, 40.0]
    rng = np.random.default_rng(0)
    b = class_breaks(rng.normal(5, 30, 300), 6, diverging=True)
    assert 0.0 in b
    assert b == [-x for x in reversed(b)]
    assert len(b) - 1 == 6


def test_choropleth_layer_diverging_for_flows(zones):
    flux = zones.assign(flux_tCO2e_an=[-120.0, 35.0, 480.0])
    group, classes = choropleth_layer(flux, "flux_tCO2e_an", name="Flux", palette="BrBG",
                                      caption="Flux net (tCO₂e/an)", diverging=True, n_classes=4)
    assert isinstance(group, folium.FeatureGroup)
    assert isinstance(classes, ColorClasses)
    assert classes.breaks[0] == -classes.breaks[-1]
    assert 0.0 in classes.breaks
    assert classes.color(-100.0) != classes.color(100.0)
    assert classes.color(float("nan")) == classes.nodata_color
    assert classes.labels[0].startswith("\u2212")  # French minus sign in the legend
    assert " à " in classes.labels[0]


def test_color_classes_labels_are_french():
    c = ColorClasses((0.0, 2.5, 1250.0), ("#ffffff", "#000000"), "x", decimals=1)
    assert c.labels == ("0,0 à 2,5", "2,5 à 1\u202f250,0")
    assert c.colormap.tick_labels == ["0,0", "2,5", "1\u202f250,0"]
    with pytest.raises(ValueError, match="one more break"):
        ColorClasses((0.0, 1.0), ("#fff", "#000"), "x")


# ------------------------------------------------------------------------------ raster


def test_raster_to_png_tiny_raster(tmp_path):
    data = np.arange(16, dtype="float64").reshape(4, 4) * 10.0  # 0 … 150 tC/ha
    data[0, 0] = -9999.0  # nodata
    data[3, 3] = np.nan  # NaN is transparent too
    tif = tmp_path / "dens.tif"
    _write_tif(tif, data)  # 100 m pixels, 400 m × 400 m, EPSG:2154
    out = raster_to_png(tif, tmp_path / "png" / "dens.png", cmap="YlGn")

    assert Path(out["path"]).is_file()
    assert out["vmin"] == 10.0 and out["vmax"] == 140.0  # valid min/max (0 is nodata's cell)
    rgba = (mpimg.imread(out["path"]) * 255).round().astype(np.uint8)
    assert rgba.ndim == 3 and rgba.shape[2] == 4
    assert max(rgba.shape[:2]) <= 2000
    alpha = rgba[..., 3]
    assert (alpha == 0).any() and (alpha == 255).any()
    # nearest resampling: every opaque pixel has the colour of one valid source value
    valid = [v for v in data.ravel() if np.isfinite(v) and v != -9999.0]
    norm = Normalize(10.0, 140.0)
    palette = {tuple(colormaps["YlGn"](norm(v), bytes=True)) for v in valid}
    opaque = {tuple(px) for px in rgba[alpha == 255]}
    assert opaque <= palette
    assert tuple(colormaps["YlGn"](1.0, bytes=True)) in opaque  # the 140 tC/ha pixel is drawn

    (south, west), (north, east) = out["bounds"]
    to_ll = Transformer.from_crs(2154, 4326, always_xy=True)
    for x, y in [(X0, Y0), (X0 + 400, Y0), (X0, Y0 + 400), (X0 + 400, Y0 + 400)]:
        lon, lat = to_ll.transform(x, y)
        assert south - 1e-9 <= lat <= north + 1e-9
        assert west - 1e-9 <= lon <= east + 1e-9
    assert math.isclose(north - south, 400 / 111_200, rel_tol=0.1)  # ≈ 0.0036° of latitude


def test_raster_to_png_downsamples_and_fixed_range(tmp_path):
    tif = tmp_path / "big.tif"
    _write_tif(tif, np.linspace(0, 100, 300 * 500).reshape(300, 500), pixel=10.0)
    out = raster_to_png(tif, tmp_path / "big.png", vmin=0, vmax=200, max_size=50)
    assert max(out["shape"]) <= 50
    assert (out["vmin"], out["vmax"]) == (0.0, 200.0)


def test_raster_to_png_needs_a_crs(tmp_path):
    tif = tmp_path / "nocrs.tif"
    _write_tif(tif, np.ones((2, 2)), crs=None)
    with pytest.raises(MissingCRSError):
        raster_to_png(tif, tmp_path / "x.png")


# --------------------------------------------------------------------------------------------
# Issue #15 item 4: offline default, commune background, compact tooltips, public notes,
# print button (the browser side is in tests/test_browser_maps.py)
# --------------------------------------------------------------------------------------------

def _background_shapes(text: str) -> dict:
    """The GeoJSON of the commune background (``L.geoJSON`` of
    :mod:`espass_geo.present.maps.background`)."""
    found = re.findall(r"L\.geoJSON\((\{.*\}), \{\s*pane: \"espass_background\"", text)
    assert len(found) == 1
    return json.loads(found[0])


def test_offline_default_osm_offered_unticked_and_commune_background(zones):
    from espass_geo.present.maps.background import COMMUNE_BACKGROUND_FR, OSM_BACKGROUND_FR

    m = stocks_map(zones, title="Défaut hors ligne")
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    # the online tiles: a base layer (radio button), not on the map when it opens
    assert len(tiles) == 1 and tiles[0].layer_name == OSM_BACKGROUND_FR
    assert tiles[0].overlay is False and tiles[0].show is False
    bases = [c for c in m._children.values()
             if isinstance(c, folium.map.Layer) and not c.overlay]
    # the commune background first (ticked), then the tiles
    assert [b.layer_name for b in bases] == [COMMUNE_BACKGROUND_FR, OSM_BACKGROUND_FR]
    assert bases[0].show is True
    text = m.get_root().render()
    shapes = _background_shapes(text)
    # the three boxes lie in Dunkerque's communes: the shipped communes around them, and more
    # than the three zones (their neighbours give the context)
    assert len(shapes["features"]) > 3
    assert all(f["properties"] == {} for f in shapes["features"])  # geometry only
    # drawn under the data: pane z-index 250 < overlay pane (400)
    pane = re.search(r'var (pane_\w+) = map_\w+\.createPane\(\s*"espass_background"\);'
                     r'\s*\1\.style\.zIndex = (\d+);', text)
    assert pane is not None and int(pane.group(2)) == 250


def test_basemap_shown_on_request_and_bad_value(zones):
    m = stocks_map(zones, title="OSM", basemap="shown")
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert tiles[0].show is True
    none = stocks_map(zones, title="Sans OSM", basemap=False)
    assert not [c for c in none._children.values() if isinstance(c, folium.TileLayer)]
    with pytest.raises(ValueError, match="basemap"):
        stocks_map(zones, title="x", basemap="oui")


def test_background_outside_shipped_communes_is_the_zones_themselves(zones):
    from espass_geo.present.maps.background import background_geojson
    from espass_geo.present.maps.layers import to_web_geometries

    # moved 400 km south (Massif central): no shipped commune there
    far = zones.set_geometry(zones.geometry.translate(0.0, -400_000.0))
    shapes = background_geojson(to_web_geometries(far))
    assert len(shapes["features"]) == 3


def test_legend_switch_on_every_map_even_a_single_layer(zones):
    text = stocks_map(zones, title="x").get_root().render()
    # the stocks map has one zone layer: its legend follows it all the same
    assert text.count("var pairs = [") == 1
    assert 'map.on("layeradd layerremove", later);' in text


def test_public_notes_drop_internal_notes_and_write_french_numbers():
    from espass_geo.present.maps.page import public_note, public_notes

    # a shipped data file's ignored columns: a note for the run's author, not the map
    assert public_note("Colonnes ignorées dans clc12_clc18.csv : A, B (…)") is None
    assert public_note("prolongés chaque année (60.7 ha/an).") == \
        "prolongés chaque année (60,7 ha/an)."
    assert public_note("s'arrête en 2027 sur 1.1 ha convertis") == \
        "s'arrête en 2027 sur 1,1 ha convertis"
    assert public_note("sur 1 zones (méthode ALDO)") == "sur 1 zone (méthode ALDO)"
    # versions, file names and years are left alone
    for text in ("espass_geo v0.1", "clc12_clc18_changements.csv", "COG 2018.",
                 "méthode 3.2.1 appliquée", "sur 2 zones"):
        assert public_note(text) == text
    assert public_notes(["a", "Colonnes ignorées dans x", "b 2.5 ha"]) == ["a", "b 2,5 ha"]
    # how a file was read, and pointers to the package's files: not for the map's readers
    assert public_note("Colonnes pluriannuelles ignorées (recalculées) : naf09art23") is None
    assert public_note("80 % imperméabilisé par défaut (factors/zan_parameters.csv). Coût") \
        == "80 % imperméabilisé par défaut. Coût"
    assert public_note("remplacez-la par CLC 2018 (voir landcover/README.md).") == \
        "remplacez-la par CLC 2018."
    # hedged plurals agree with their number (31 → plural, 1 → singular)
    assert public_note("Parcelles : 31 parcelle(s) à cheval") == "Parcelles : 31 parcelles à cheval"
    assert public_note("sur les 1539 commune(s) demandée(s).") == \
        "sur les 1539 communes demandées."
    assert public_note("1 parcelle(s) à cheval") == "1 parcelle à cheval"


def test_internal_note_not_on_the_published_map(zones):
    text = stocks_map(zones, title="x", notes=[
        "Colonnes ignorées dans clc12_clc18_changements_ha_epci_59_62.csv : Déboisement",
        "Tendanciel : changements prolongés chaque année (60.7 ha/an)."]).get_root().render()
    assert "Colonnes ignorées" not in text
    assert "(60,7\u00a0ha/an)" in text or "(60,7 ha/an)" in text
    assert "60.7" not in text


def test_compact_tooltip_and_popup_of_every_value(zones):
    from espass_geo.present.maps.page import TOOLTIP_MAX_LINES, compact_tooltip

    full = [("name", "Commune"), ("code", "Code"), ("a", "A"), ("b", "B"), ("c", "C"),
            ("d", "D"), ("e", "E")]
    # the name first, then the keys asked for, in their order, absent ones skipped
    assert compact_tooltip(full, ["c", None, "zz", "a", "c"]) == [
        ("name", "Commune"), ("c", "C"), ("a", "A")]
    assert len(compact_tooltip(full, ["a", "b", "c", "d", "e"])) == TOOLTIP_MAX_LINES == 5
    text = stocks_map(zones, title="x").get_root().render()
    assert "espass-tooltip espass-tooltip-more" in text  # the hint « Cliquez pour le détail »
    assert "espass-popup" in text


def test_print_button_and_print_stylesheet(zones):
    text = stocks_map(zones, title="x").get_root().render()
    assert ('<button type="button" class="espass-print" onclick="window.print()"' in text)
    assert ">Imprimer / PDF</button>" in text
    assert "@media print" in text
