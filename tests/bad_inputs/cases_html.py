"""Hostile text in everything a command publishes as HTML (issue #9, item 1).

Zone names and ids, RPG ``ID_PARCEL``, scenario and action labels, bilan and scenario titles
carry the four classic payloads: a Jinja2 expression ``{{7*7}}`` (must stay literal, never be
published as ``49``), an unclosed tag ``{% bis`` (must not crash the run), a script break-out
``</script><script>alert(1)</script>`` and an attribute break-out
``"><img src=x onerror=alert(1)>``. Every case must exit 0, and its ``check`` reads the
published pages:

* the raw page never contains the break-outs (``</script><script>alert``, ``<img src=x``);
* after decoding the JSON ``\\uXXXX`` escapes (what a script sees), no ``<img src=x`` is left:
  whatever Leaflet writes with ``innerHTML`` (tooltips, layer names) is HTML-escaped;
* after decoding the HTML entities too (what the reader sees), the hostile text is there,
  character for character;
* ``{{7*7}}`` is written between two markers (``Zone {{7*7}} fin``): ``Zone 49 fin`` must not
  appear anywhere.
"""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import box

from .common import TINY, X0, Y0, Case, write_raster, write_zones

#: The tiny raster with its two no-data pixels filled with forest (311): full coverage, so that
#: no coverage warning mixes with the point of these cases.
FULL = TINY.copy()
FULL[FULL == 0] = 311

EXPR = "Zone {{7*7}} fin"
EVALUATED = "Zone 49 fin"
BLOCK = "Lotissement {% bis"
SCRIPT = "</script><script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
#: Substrings that must never reach a page raw (they would run).
RAW_FORBIDDEN = ("</script><script>alert", "<img src=x")

# an inventory with GHG only (no pollutant): three sectors × 1 000 tCO2e per commune
GHG_ONLY = ("territory_code,territory_level,sector,substance,year,value,unit\n"
            + "".join(f"{c},commune,{s},GES,2021,1000,tCO2e\n"
                      for c in ("59183", "59350")
                      for s in ("residentiel", "transport_routier", "agriculture")))
#: Ids of the two 8 ha box zones when they get emissions: ids of their own (a box bearing the
#: INSEE code of Dunkerque would get the whole commune's inventory and population: refused),
#: with the GHG-only inventory and a population given for these zones.
BOX_IDS = ("Z1", "Z2")
BOX_GHG = GHG_ONLY.replace("59183", "Z1").replace("59350", "Z2")
BOX_POPULATION = "zone_id,population\nZ1,800\nZ2,1200\n"


def box_emission_inputs(tmp: Path) -> str:
    """Writes ``ges.csv`` and ``population.csv`` of :data:`BOX_IDS`; returns the TOML section."""
    (tmp / "ges.csv").write_text(BOX_GHG, encoding="utf-8")
    (tmp / "population.csv").write_text(BOX_POPULATION, encoding="utf-8")
    return "[emissions]\ninventory = \"ges.csv\"\npopulation = \"population.csv\"\n"


def tiny_raster(tmp: Path) -> Path:
    return write_raster(tmp / "occupation.tif", FULL)


def _json_decoded(text: str) -> str:
    """``text`` with the JSON escapes ``\\u003c``, ``\\"`` and ``\\\\`` decoded (the others,
    e.g. ``\\f``, are left: the same characters occur in plain HTML text, as in ``$\\frac``)."""
    return re.sub(r'\\(u[0-9a-fA-F]{4}|["\\])',
                  lambda m: (chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5
                             else m.group(1)), text)


def _pages(tmp: Path, out: str, names: tuple[str, ...]) -> dict[str, str]:
    pages = {}
    for name in names:
        path = tmp / out / name
        assert path.is_file(), f"{path} not written"
        pages[name] = path.read_text(encoding="utf-8")
    return pages


def literal_in(out: str, names: tuple[str, ...], *texts: str, where: str | None = None):
    """A ``check``: every page of ``names`` under ``tmp/out`` is safe (see the module doc),
    and each of ``texts`` is shown literally in page ``where`` (default: every page)."""

    def check(tmp: Path, result: Any) -> None:
        for name, raw in _pages(tmp, out, names).items():
            for bad in RAW_FORBIDDEN:
                assert bad not in raw, (name, bad)
            script_view = _json_decoded(raw)
            assert "<img src=x" not in script_view, name
            assert "</script><script>alert" not in script_view, name
            assert EVALUATED not in script_view, name  # {{7*7}} never evaluated
            if where is not None and name != where:
                continue
            shown = html.unescape(script_view)
            for text in texts:
                assert text in shown, (name, text)

    return check


def _zones_at_communes(tmp: Path, names: tuple[str, str]) -> Path:
    """The real communes 59183 (Dunkerque) and 59350 (Lille) under hostile names: a territory
    the emissions command can place (ZPC, population, inventory codes)."""
    from espass_geo.territory.resolve import resolve_territory

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "2 communes only": ALDO's caution, not the point
        z = resolve_territory("59183,59350").zones[["zone_id", "geometry"]].copy()
    z["zone_name"] = list(names)
    path = tmp / "communes.geojson"
    z.to_file(path, engine="pyogrio")
    return path


def stocks_case(names=("Zone A", "Zone B"), ids=("A", "B"), parcel_ids=None):
    def build(tmp: Path) -> list[str]:
        zones = write_zones(tmp, names=names, ids=ids)
        args = ["stocks", "--territory", str(zones), "--zpc", "2_1",
                "--landcover", str(tiny_raster(tmp)), "--out", str(tmp / "out")]
        if parcel_ids is not None:
            # two 1 ha parcels of wheat (RPG group 1) in zone A
            rpg = gpd.GeoDataFrame(
                {"ID_PARCEL": list(parcel_ids), "CODE_GROUP": ["1", "1"],
                 "CODE_CULTU": ["BTH", "BTH"]},
                geometry=[box(X0, Y0 - 100, X0 + 100, Y0), box(X0 + 100, Y0 - 100, X0 + 200, Y0)],
                crs="EPSG:2154")
            rpg.to_file(tmp / "rpg.gpkg", engine="pyogrio")
            args += ["--parcels", str(tmp / "rpg.gpkg")]
        return args
    return build


def file_names_case(tmp: Path) -> list[str]:
    """Hostile file and folder names: the territory's file name becomes the map title."""
    zones = write_zones(tmp, name=f"{EXPR} {IMG}.geojson")
    raster = write_raster(tmp / f"{BLOCK}.tif", FULL)
    return ["stocks", "--territory", str(zones), "--zpc", "2_1", "--landcover", str(raster),
            "--out", str(tmp / "out")]


def flows_case(names: tuple[str, str]):
    def build(tmp: Path) -> list[str]:
        zones = write_zones(tmp, names=names)
        before = FULL.copy()
        before[0, 0] = 311  # forest → crops in zone A, crops → forest in zone B
        before[1, 2] = 211
        write_raster(tmp / "avant.tif", before)
        return ["flows", "--territory", str(zones), "--zpc", "2_1",
                "--landcover-before", str(tmp / "avant.tif"),
                "--landcover-after", str(tiny_raster(tmp)), "--years", "2012", "2018",
                "--out", str(tmp / "out")]
    return build


# an inventory with NOx only (no GHG, no other pollutant): 10 t per sector and commune
NOX_ONLY = ("territory_code,territory_level,sector,substance,year,value,unit\n"
            + "".join(f"{c},commune,{s},NOx,2021,10,t\n"
                      for c in ("59183", "59350") for s in ("residentiel", "transport_routier")))


def emissions_case(names: tuple[str, str], ghg_only: bool = False, inventory: str | None = None):
    def build(tmp: Path) -> list[str]:
        args = ["emissions", "--territory", str(_zones_at_communes(tmp, names)),
                "--out", str(tmp / "out")]
        text = GHG_ONLY if ghg_only else inventory
        if text is not None:
            (tmp / "inventaire.csv").write_text(text, encoding="utf-8")
            args += ["--inventory", str(tmp / "inventaire.csv")]
        return args
    return build


def only_nox_layer(out: str, page: str):
    def check(tmp: Path, result: Any) -> None:
        text = _json_decoded((tmp / out / page).read_text(encoding="utf-8"))
        assert "NOₓ (t/km²/an)" in text
        for layer in ("PM₁₀ (t/km²/an)", "SO₂ (t/km²/an)", "NH₃ (t/km²/an)"):
            assert layer not in text, layer
    return check


def _toml(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_scenario(tmp: Path, *, title: str, label: str, action_label: str,
                    action_id: str = "a1") -> Path:
    # an 180 m × 180 m square in zone A converted to broadleaf forest in 2027
    gpd.GeoDataFrame({"nom": ["x"]}, geometry=[box(X0 + 10, Y0 - 190, X0 + 190, Y0 - 10)],
                     crs="EPSG:2154").to_file(tmp / "boisement.geojson", engine="pyogrio")
    path = tmp / "scenario.toml"
    path.write_text(f"""title = {_toml(title)}
territory = "zones.geojson"
zpc = "2_1"
start_year = 2025
horizon = 2030
[data]
landcover = "occupation.tif"
[baseline]
trend = false
[[scenario]]
name = "s1"
label = {_toml(label)}
[[scenario.action]]
id = {_toml(action_id)}
type = "convert"
to = "311"
label = {_toml(action_label)}
geometry = "boisement.geojson"
year = 2027
""", encoding="utf-8")
    return path


def scenario_case(*, title: str, label: str, action_label: str, names=("Zone A", "Zone B"),
                  action_id: str = "a1"):
    def build(tmp: Path) -> list[str]:
        write_zones(tmp, names=names)
        tiny_raster(tmp)
        cfg = _write_scenario(tmp, title=title, label=label, action_label=action_label,
                              action_id=action_id)
        return ["scenario", "--config", str(cfg), "--out", str(tmp / "out")]
    return build


def bilan_case(*, title: str, names=("Zone A", "Zone B"), ghg_only: bool = True,
               scenario: dict[str, str] | None = None):
    """A bilan of two box zones on the tiny raster (ids of their own, :data:`BOX_IDS`, with
    their inventory and population), with a GHG-only inventory and optionally a scenario
    file."""
    def build(tmp: Path) -> list[str]:
        write_zones(tmp, names=names, ids=BOX_IDS)
        tiny_raster(tmp)
        emissions = box_emission_inputs(tmp) if ghg_only else "[emissions]\ninventory = \"demo\"\n"
        text = (f"title = {_toml(title)}\nterritory = \"zones.geojson\"\nzpc = \"2_1\"\n"
                "[landcover]\nafter = \"occupation.tif\"\n" + emissions)
        if scenario is not None:
            _write_scenario(tmp, **scenario)
            text += "[scenario]\nfile = \"scenario.toml\"\n"
        (tmp / "bilan.toml").write_text(text, encoding="utf-8")
        return ["bilan", "--config", str(tmp / "bilan.toml"), "--out", str(tmp / "out"), "-q"]
    return build


def svg_charts_safe(out: str):
    """The SVG charts of a bilan (a browser runs the scripts of an SVG opened on its own)."""
    def check(tmp: Path, result: Any) -> None:
        svgs = sorted((tmp / out).rglob("*.svg"))
        assert svgs, "no SVG chart written"
        for svg in svgs:
            text = svg.read_text(encoding="utf-8")
            for bad in RAW_FORBIDDEN:
                assert bad not in text, (svg.name, bad)
    return check


def no_pollutant_layer(out: str, page: str):
    def check(tmp: Path, result: Any) -> None:
        text = _json_decoded((tmp / out / page).read_text(encoding="utf-8"))
        assert "Émissions directes de GES par habitant" in text
        for layer in ("NOₓ (t/km²/an)", "PM₁₀ (t/km²/an)", "NH₃ (t/km²/an)"):
            assert layer not in text, layer
    return check


def both(*checks):
    def check(tmp: Path, result: Any) -> None:
        for c in checks:
            c(tmp, result)
    return check


STOCKS = ("carte_stocks.html",)
FLOWS = ("carte_flux.html",)
EMISSIONS = ("carte_emissions.html",)
SCENARIO = ("carte_scenarios.html",)
BILAN = ("index.html", "rapport.html")
BILAN_SCENARIO = (*BILAN, "scenarios/carte_scenarios.html")

CASES = [
    # stocks: zone names, zone ids, parcel ids
    Case("html-stocks-name-expr", stocks_case(names=(EXPR, "Zone B")), "ok",
         check=literal_in("out", STOCKS, EXPR)),
    Case("html-stocks-name-block", stocks_case(names=(BLOCK, "Zone B")), "ok",
         check=literal_in("out", STOCKS, BLOCK)),
    Case("html-stocks-name-script", stocks_case(names=(SCRIPT, "Zone B")), "ok",
         check=literal_in("out", STOCKS, SCRIPT)),
    Case("html-stocks-name-img", stocks_case(names=("Zone A", IMG)), "ok",
         check=literal_in("out", STOCKS, IMG)),
    Case("html-stocks-id-expr-img", stocks_case(ids=(EXPR, IMG)), "ok",
         check=literal_in("out", STOCKS, EXPR, IMG)),
    Case("html-stocks-id-block-script", stocks_case(ids=(BLOCK, SCRIPT)), "ok",
         check=literal_in("out", STOCKS, BLOCK, SCRIPT)),
    Case("html-stocks-parcel-id-expr-img", stocks_case(parcel_ids=(EXPR, IMG)), "ok",
         check=literal_in("out", STOCKS, EXPR, IMG)),
    Case("html-stocks-parcel-id-block-script", stocks_case(parcel_ids=(BLOCK, SCRIPT)), "ok",
         check=literal_in("out", STOCKS, BLOCK, SCRIPT)),
    Case("html-stocks-file-names", file_names_case, "ok",
         check=literal_in("out", STOCKS, f"{EXPR} {IMG}")),
    # flows
    Case("html-flows-names-expr-img", flows_case((EXPR, IMG)), "ok",
         check=literal_in("out", FLOWS, EXPR, IMG)),
    Case("html-flows-names-block-script", flows_case((BLOCK, SCRIPT)), "ok",
         check=literal_in("out", FLOWS, BLOCK, SCRIPT)),
    # emissions (demo inventory, then a GHG-only one: no pollutant layer, no KeyError)
    Case("html-emissions-names-expr-img", emissions_case((EXPR, IMG)), "ok",
         check=literal_in("out", EMISSIONS, EXPR, IMG)),
    Case("html-emissions-names-block-script-ghg-only",
         emissions_case((BLOCK, SCRIPT), ghg_only=True), "ok",
         check=both(literal_in("out", EMISSIONS, BLOCK, SCRIPT),
                    no_pollutant_layer("out", "carte_emissions.html"))),
    Case("html-emissions-nox-only", emissions_case((EXPR, IMG), inventory=NOX_ONLY), "ok",
         check=both(literal_in("out", EMISSIONS, EXPR, IMG),
                    only_nox_layer("out", "carte_emissions.html"))),
    # scenario: title, scenario label, action label and id
    Case("html-scenario-expr", scenario_case(title=f"Titre {EXPR}", label=f"Plan {EXPR}",
                                             action_label=f"Action {EXPR}"), "ok",
         check=literal_in("out", SCENARIO, f"Titre {EXPR}", f"Plan {EXPR}", f"Action {EXPR}")),
    Case("html-scenario-block", scenario_case(title=BLOCK, label=f"Plan {BLOCK}",
                                              action_label=f"Action {BLOCK}",
                                              action_id=BLOCK), "ok",
         check=literal_in("out", SCENARIO, BLOCK, f"Plan {BLOCK}", f"Action {BLOCK}")),
    Case("html-scenario-script", scenario_case(title=f"Titre {SCRIPT}", label=f"Plan {SCRIPT}",
                                               action_label=f"Action {SCRIPT}"), "ok",
         check=literal_in("out", SCENARIO, f"Titre {SCRIPT}", f"Plan {SCRIPT}",
                          f"Action {SCRIPT}")),
    Case("html-scenario-img", scenario_case(title=f"Titre {IMG}", label=f"Plan {IMG}",
                                            action_label=f"Action {IMG}",
                                            names=(IMG, EXPR)), "ok",
         check=literal_in("out", SCENARIO, f"Titre {IMG}", f"Plan {IMG}", f"Action {IMG}",
                          EXPR)),
    # bilan: title and zone names in the map and the report; GHG-only inventory
    Case("html-bilan-expr-img", bilan_case(title=f"Bilan {EXPR}", names=(EXPR, IMG)), "ok",
         check=both(literal_in("out", BILAN, f"Bilan {EXPR}", EXPR, IMG),
                    no_pollutant_layer("out", "index.html"))),
    Case("html-bilan-block-script", bilan_case(title=f"Bilan {BLOCK} {SCRIPT}",
                                               names=(BLOCK, SCRIPT)), "ok",
         check=both(literal_in("out", BILAN, f"Bilan {BLOCK} {SCRIPT}", BLOCK, SCRIPT),
                    svg_charts_safe("out"))),
    # a "$…$" pair is no mathtext formula in the charts of the report (it crashed matplotlib)
    Case("html-bilan-dollar-title", bilan_case(title="Bilan $\\frac{$ fin"), "ok",
         check=literal_in("out", BILAN, "Bilan $\\frac{$ fin", where="rapport.html")),
    Case("html-bilan-scenario-labels", bilan_case(
        title=f"Bilan {EXPR}", scenario={"title": f"Titre {BLOCK}", "label": f"Plan {IMG}",
                                         "action_label": f"Action {SCRIPT} {EXPR}"}), "ok",
         check=both(literal_in("out", BILAN_SCENARIO, f"Bilan {EXPR}", where="index.html"),
                    literal_in("out", BILAN_SCENARIO, f"Bilan {EXPR}", where="rapport.html"),
                    literal_in("out", BILAN_SCENARIO, f"Plan {IMG}",
                               f"Action {SCRIPT} {EXPR}",
                               where="scenarios/carte_scenarios.html"),
                    literal_in("out", BILAN_SCENARIO, f"Action {SCRIPT} {EXPR}",
                               where="index.html"))),
]
