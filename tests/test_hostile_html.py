"""No user string is ever evaluated as a template or run as script in a published map.

Each map function of :mod:`espass_geo.present.maps` gets the four classic payloads in every string a
user controls (zone names and ids, parcel ids, hotspot cells, change-matrix labels, action
labels and types, scenario and baseline labels, titles, subtitles, notes, sources, synthesis
labels and values, link labels, zone label). Each string is tagged with its field
(``name:<payload>``), so that the test says which one leaked. On the saved page:

* no name runs code (``{{ cycler.__init__.__globals__.os.makedirs(…) }}`` creates no folder);
* no template compiler ever sees a payload: every source given to ``jinja2`` while building
  and saving the map is recorded, and none contains the marker ``§payload§``;
* ``{{7*7}}`` is never published as ``49`` and ``{% bis`` does not crash;
* the raw page never contains ``</script><script>alert`` nor ``<img src=x`` (break-outs);
* decoding the JSON escapes (what the scripts see and write with ``innerHTML``) leaves no
  ``<img src=x`` either: tooltip values, aliases and layer names are HTML-escaped;
* decoding the HTML entities too (what the reader sees), every tagged string is there,
  character for character.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import geopandas as gpd
import jinja2
import pandas as pd
import pytest
from shapely.geometry import box

from espass_geo.present import maps

X0, Y0 = 650_000.0, 7_050_000.0  # Lambert-93, near Dunkerque
MARK = "§payload§"
#: The folder that the "mkdir" payload creates in the working directory (each test runs in its
#: own ``tmp_path``) if a template engine ever evaluates it; no quote in the payload, so that
#: no escaping stops it before the engine does.
PWNED = "espass_geo_pwned"
PAYLOADS = {
    "mkdir": f"{MARK} {{{{ cycler.__init__.__globals__.os.makedirs(dict({PWNED}=1)|first) }}}}",
    "expr": f"{MARK} Zone {{{{7*7}}}} fin",
    "block": f"{MARK} Lotissement {{% bis",
    "script": f"{MARK} </script><script>alert(1)</script>",
    "img": f'{MARK} "><img src=x onerror=alert(1)>',
}
EVALUATED = "Zone 49 fin"


def _json_decoded(text: str) -> str:
    """``\\u003c``, ``\\"`` and ``\\\\`` decoded (what a script reads from the page)."""
    return re.sub(r'\\(u[0-9a-fA-F]{4}|["\\])',
                  lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5
                  else m.group(1), text)


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def compiled_sources(monkeypatch) -> list[str]:
    """Every template source compiled by jinja2 during the test."""
    sources: list[str] = []
    original = jinja2.Environment.compile

    def compile(self, source, *args, **kwargs):
        if isinstance(source, str):
            sources.append(source)
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    return sources


def _check_page(path: Path, tagged: dict[str, str], sources: list[str]) -> None:
    raw = path.read_text(encoding="utf-8")
    assert not (Path.cwd() / PWNED).exists(), "a name ran code: it created a folder"
    assert sources, "the compiler watch saw nothing: is jinja2 still used by folium?"
    leaked = [s for s in sources if MARK in s]
    assert leaked == [], f"a user string reached the template compiler: {leaked[0][:200]!r}"
    for bad in ("</script><script>alert", "<img src=x"):
        assert bad not in raw, bad
    script_view = _json_decoded(raw)
    assert "<img src=x" not in script_view
    assert "</script><script>alert" not in script_view
    assert EVALUATED not in script_view
    shown = html.unescape(script_view)
    missing = [field for field, text in tagged.items() if text not in shown]
    assert missing == [], missing


def _zones(payload: str, n: int = 3) -> gpd.GeoDataFrame:
    """``n`` 1 km² squares in a row; ids and names tagged."""
    return gpd.GeoDataFrame(
        {"zone_id": [f"id{k}:{payload}" for k in range(n)],
         "zone_name": [f"name{k}:{payload}" for k in range(n)],
         "area_ha": [100.0] * n},
        geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(n)],
        crs="EPSG:2154")


def _texts(payload: str) -> dict[str, str]:
    return {f: f"{f}:{payload}" for f in ("title", "subtitle", "note", "sources", "zone_label")}


def _tagged(zones: gpd.GeoDataFrame, texts: dict[str, str]) -> dict[str, str]:
    out = dict(texts)
    for k, (i, n) in enumerate(zip(zones["zone_id"], zones["zone_name"], strict=True)):
        out[f"zone_id{k}"] = i
        out[f"zone_name{k}"] = n
    return out


@pytest.fixture(params=list(PAYLOADS), ids=list(PAYLOADS))
def payload(request) -> str:
    return PAYLOADS[request.param]


def test_stocks_map(tmp_path, payload, compiled_sources):
    z = _zones(payload)
    # 5 000 tC on 100 ha each: 50 tC/ha; stock in tCO2e = 5 000 × 44/12
    z["stock_tC"] = [5000.0, 6000.0, 7000.0]
    z["stock_tCO2e"] = z["stock_tC"] * 44 / 12
    z["density_tC_ha"] = z["stock_tC"] / z["area_ha"]
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"parcel:{payload}"], "land_use_fr": [f"use:{payload}"],
         "area_ha": [1.0], "stock_tC": [50.0], "density_tC_ha": [50.0]},
        geometry=[box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)], crs="EPSG:2154")
    t = _texts(payload)
    out = tmp_path / "carte_stocks.html"
    maps.stocks_map(z, title=t["title"], subtitle=t["subtitle"], notes=[t["note"]],
                    sources=t["sources"], zone_label=t["zone_label"], parcels=parcels,
                    html_path=out, basemap=False)
    _check_page(out, {**_tagged(z, t), "parcel": f"parcel:{payload}",
                      "use": f"use:{payload}"}, compiled_sources)


def test_flows_map(tmp_path, payload, compiled_sources):
    z = _zones(payload)
    z["flux_tCO2e_an"] = [-120.0, 35.0, 0.0]
    z["flux_tCO2e_ha_an"] = z["flux_tCO2e_an"] / z["area_ha"]
    hotspots = gpd.GeoDataFrame(
        {"cell_id": [f"cell:{payload}"], "sealed_ha": [2.5], "years": [6]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:2154")
    transitions = pd.DataFrame([[0.0, 1.5], [0.5, 0.0]],
                               index=[f"from:{payload}", "Prairies"],
                               columns=[f"to:{payload}", "Forêts"])
    t = _texts(payload)
    out = tmp_path / "carte_flux.html"
    maps.flows_map(z, title=t["title"], subtitle=t["subtitle"], notes=[t["note"]],
                   sources=t["sources"], zone_label=t["zone_label"], hotspots=hotspots,
                   transitions=transitions, html_path=out, basemap=False)
    _check_page(out, {**_tagged(z, t), "cell": f"cell:{payload}", "from": f"from:{payload}",
                      "to": f"to:{payload}"}, compiled_sources)


def _emission_columns(z: gpd.GeoDataFrame, pollutants: tuple[str, ...]) -> gpd.GeoDataFrame:
    z = z.copy()
    z["population"] = [1000.0, 2500.0, 400.0]
    for k, post in enumerate(maps.EMISSION_POSTS):
        z[f"ges_hab_{post}_tCO2e"] = [1.0 + k, 1.5 + k, 0.5 + k]
    z["ges_hab_total_tCO2e"] = z[[f"ges_hab_{p}_tCO2e" for p in maps.EMISSION_POSTS]].sum(
        axis=1)
    z["ges_direct_hab_tCO2e"] = [4.0, 8.0, 2.0]
    for p in pollutants:
        z[f"{p}_t_km2"] = [0.5, 1.25, 3.0]
    return z


def test_emissions_map(tmp_path, payload, compiled_sources):
    z = _emission_columns(_zones(payload), ("NOx", "NH3"))
    t = _texts(payload)
    out = tmp_path / "carte_emissions.html"
    maps.emissions_map(z, title=t["title"], subtitle=t["subtitle"], notes=[t["note"]],
                       sources=t["sources"], zone_label=t["zone_label"], html_path=out,
                       basemap=False)
    _check_page(out, _tagged(z, t), compiled_sources)
    # only the pollutants present are drawn (a GHG-only inventory gives none)
    decoded = _json_decoded(out.read_text(encoding="utf-8"))
    assert "NOₓ (t/km²/an)" in decoded and "NH₃ (t/km²/an)" in decoded
    assert "PM₁₀ (t/km²/an)" not in decoded


def test_emissions_map_ghg_only(tmp_path):
    z = _emission_columns(_zones("x"), ())
    out = tmp_path / "carte_emissions.html"
    m = maps.emissions_map(z, title="GES seulement", html_path=out, basemap=False)
    import folium

    names = [c.layer_name for c in m._children.values()
             if isinstance(c, folium.FeatureGroup) and c.overlay]  # not the background
    # total footprint + one layer per post + direct GHG, no pollutant layer
    assert len(names) == 1 + len(maps.EMISSION_POSTS) + 1, names
    assert not any("t/km²/an" in n for n in names)
    assert maps.EMISSIONS_NOTES_FR[1] not in out.read_text(encoding="utf-8")


def _actions(payload: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"action_id": [f"aid:{payload}", "a2"], "type": ["convert", f"type:{payload}"],
         "label": [f"action:{payload}", "Haies"], "year": [2027, 2030]},
        geometry=[box(X0 + 200, Y0 + 200, X0 + 600, Y0 + 600),
                  box(X0 + 1200, Y0 + 200, X0 + 1600, Y0 + 600)], crs="EPSG:2154")


def test_scenario_map(tmp_path, payload, compiled_sources):
    base = _zones(payload)
    base["stock_change_tC_ha"] = [-0.5, 0.25, 1.0]
    scen = base.copy()
    scen["stock_change_tC_ha"] = [0.5, 0.75, 1.0]
    # delta = (0.5 − (−0.5)) × 100 ha × 44/12 tCO2e for zone 0, etc.
    scen["delta_cum_tCO2e"] = (scen["stock_change_tC_ha"] - base["stock_change_tC_ha"]) \
        * 100.0 * 44 / 12
    t = _texts(payload)
    t["scenario"] = f"scenario:{payload}"
    t["baseline"] = f"baseline:{payload}"
    out = tmp_path / "carte_scenarios.html"
    maps.scenario_map(base, scen, title=t["title"], subtitle=t["subtitle"], notes=[t["note"]],
                      sources=t["sources"], zone_label=t["zone_label"],
                      scenario_label=t["scenario"], baseline_label=t["baseline"],
                      horizon=f"horizon:{payload}", actions=_actions(payload),
                      html_path=out, basemap=False)
    _check_page(out, {**_tagged(base, t), "action": f"action:{payload}",
                      "type": f"type:{payload}"}, compiled_sources)
    # the scenario label is a layer name: escaped for Leaflet's innerHTML
    raw = out.read_text(encoding="utf-8")
    if "<" in payload:
        assert _json_decoded(raw).count(f"scenario:{html.escape(payload, quote=False)}") >= 1


def test_bilan_map(tmp_path, payload, compiled_sources):
    z = _emission_columns(_zones(payload), ("PM10",))
    z["stock_tC"] = [5000.0, 6000.0, 7000.0]
    z["flux_tCO2e_an"] = [-120.0, 35.0, 0.0]
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"parcel:{payload}"], "land_use_fr": ["Prairie"],
         "area_ha": [1.0], "stock_tC": [50.0], "density_tC_ha": [50.0]},
        geometry=[box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)], crs="EPSG:2154")
    t = _texts(payload)
    out = tmp_path / "index.html"
    maps.bilan_map(z, title=t["title"], subtitle=t["subtitle"], notes=[t["note"]],
                   sources=t["sources"], zone_label=t["zone_label"], parcels=parcels,
                   actions=_actions(payload),
                   synthesis={f"label:{payload}": f"value:{payload}"},
                   links=[(f"link:{payload}", "rapport.html")], html_path=out,
                   basemap=False)
    _check_page(out, {**_tagged(z, t), "parcel": f"parcel:{payload}",
                      "action": f"action:{payload}", "label": f"label:{payload}",
                      "value": f"value:{payload}", "link": f"link:{payload}"},
                compiled_sources)


def test_plain_element_is_written_literally(tmp_path):
    """Even an ``Element(text)`` added to a page by hand (branca compiles its text as a
    template) is written as its source text by :func:`espass_geo.present.maps.save_map`."""
    from branca.element import Element

    m = maps.make_map(basemap=False)
    m.get_root().html.add_child(Element("<p>Zone {{7*7}} fin</p>"), name="hand_made")
    out = maps.save_map(m, tmp_path / "carte.html")
    text = out.read_text(encoding="utf-8")
    assert "<p>Zone {{7*7}} fin</p>" in text
    assert EVALUATED not in text


def test_link_scheme_refused():
    """A ``javascript:`` link in the synthesis panel is refused (it would run on click)."""
    with pytest.raises(ValueError, match="javascript"):
        maps.bilan._synthesis_html(None, [("Rapport", "javascript:alert(1)")])


def test_demo_index_page(tmp_path, payload, monkeypatch):
    """The index of the demo lists each bilan by its title (user text in a config file)."""
    from types import SimpleNamespace

    from espass_geo.runs import demo

    # the synthesis of a real bilan is not the point here: three round numbers
    monkeypatch.setattr(demo, "synthesis", lambda table: {
        "stock_tC": 1000.0, "flux_tCO2e_an": -20.0, "footprint_without_land_tCO2e_an": 500.0})
    results = {"a": SimpleNamespace(config=SimpleNamespace(title=f"title:{payload}"),
                                    table=None, scenario=object())}
    out = tmp_path / "index.html"
    out.write_text(demo._index_html(results), encoding="utf-8")
    _check_page(out, {"title": f"title:{payload}"}, ["(no template involved)"])
