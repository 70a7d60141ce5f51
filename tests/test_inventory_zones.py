"""Zones of a user file bearing a commune's (or EPCI's) code get its inventory and population
only if they ARE that commune: their area must be the embedded commune's within 5 %.

The bug: a 4 ha polygon with ``INSEE_COM = 59183`` got the whole inventory of Dunkerque
(industry 159 390 tCO2e/an of the demo estimate) and its whole population.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

import espass_geo as eg
from espass_geo.cli import main
from espass_geo.errors import InconsistentAreasWarning, InventoryError, SmallTerritoryWarning
from espass_geo.reference import data
from espass_geo.runs.emissions import (
    AREA_TOLERANCE,
    demo_inventory,
    reference_areas_ha,
)

NNBSP, NBSP = "\u202f", "\xa0"  # French thousands separator, space before a unit


def _commune(code: str):
    g = data.commune_geometries()
    return g.loc[g["code"] == code].geometry.iloc[0]


@pytest.fixture
def small_polygon(tmp_path):
    """A 4 ha square inside Dunkerque whose zone id is Dunkerque's INSEE code."""
    p = _commune("59183").representative_point()
    path = tmp_path / "parcelle.geojson"
    gpd.GeoDataFrame({"INSEE_COM": ["59183"], "NOM": ["Ma parcelle"]},
                     geometry=[box(p.x - 100, p.y - 100, p.x + 100, p.y + 100)],
                     crs=2154).to_file(path, engine="pyogrio")
    return path


def test_reference_areas():
    ref = reference_areas_ha()
    assert ref["59183"] == pytest.approx(4300, abs=1)  # Dunkerque, embedded boundary
    members = data.communes_2018().query("epci == '245900428'")["insee"]
    assert ref["245900428"] == pytest.approx(ref[members].sum())  # EPCI = sum of communes
    assert AREA_TOLERANCE == 0.05


def test_emissions_refused_on_part_of_commune(small_polygon, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["emissions", "--territory", str(small_polygon),
                                  "--out", str(out), "--no-map"])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())  # the CLI wraps long messages
    assert "Erreur" in r.output and "Traceback" not in r.output
    assert "parcelle.geojson" in text and "59183" in text and "Dunkerque" in text
    assert f"4,00{NBSP}ha" in r.output  # the zone
    assert f"4{NNBSP}300{NBSP}ha" in r.output  # the commune
    assert "--territory 59183" in text and "--inventory" in text and "--population" in text
    assert not out.exists()


def test_emissions_api_refused(small_polygon):
    with pytest.raises(InventoryError, match=r"Ma parcelle.*59183.*4,00\s?ha.*4\s?300\s?ha"):
        eg.emissions(str(small_polygon))


def _bilan_toml(polygon) -> str:
    """bilan.toml on the polygon: demo land cover (no parcels: none in the 4 ha), demo
    inventory and embedded population (no [emissions] section)."""
    path = polygon.parent / "bilan.toml"
    path.write_text(f'title = "Parcelle"\nterritory = "{polygon.name}"\n'
                    '[landcover]\nafter = "demo"\n', encoding="utf-8")
    return str(path)


def test_bilan_keeps_carbon_without_emissions(small_polygon, tmp_path):
    out = tmp_path / "bilan"
    r = CliRunner().invoke(main, ["bilan", "--config", _bilan_toml(small_polygon),
                                  "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "Avertissement : Émissions non calculées" in text, r.output
    assert "59183" in text and f"4{NNBSP}300{NBSP}ha" in r.output
    t = pd.read_csv(out / "bilan.csv", dtype={"zone_id": str})
    assert (t["theme"] == "stocks").any()  # the carbon part is kept
    assert not t["theme"].astype(str).str.startswith(("emissions", "polluants")).any()
    assert not (out / "emissions").exists()
    assert "Émissions non calculées" in (out / "index.html").read_text(encoding="utf-8")


def test_bilan_api_warns(small_polygon):
    from espass_geo.io.bilan_config import load_bilan_config

    with pytest.warns(InconsistentAreasWarning, match=r"Ma parcelle.*59183"):
        res = eg.bilan(config=load_bilan_config(_bilan_toml(small_polygon)), quiet=True)
    assert res.emissions is None and res.stocks is not None


def test_whole_commune_from_a_file_accepted(tmp_path):
    """The embedded geometry of 59183 written to a file gives the emissions of --territory."""
    path = tmp_path / "dunkerque.gpkg"
    gpd.GeoDataFrame({"INSEE_COM": ["59183"], "NOM": ["Dunkerque"]},
                     geometry=[_commune("59183")], crs=2154).to_file(path, engine="pyogrio")
    with warnings.catch_warnings():  # ALDO's caution on one commune (SmallTerritoryWarning)
        warnings.simplefilter("ignore", SmallTerritoryWarning)
        ref = eg.emissions("59183")
    res = eg.emissions(str(path))
    for view in ("sector", "post_direct", "post"):
        assert res.total(view) == pytest.approx(ref.total(view), rel=1e-12)
    for sub in ("NOx", "PM10", "NH3"):
        assert res.total("sector", sub) == pytest.approx(ref.total("sector", sub), rel=1e-12)
    # hand comparison with the demo inventory rows of 59183 (GES, tCO2e/an)
    inv = demo_inventory()
    rows = inv[(inv["territory_code"] == "59183") & (inv["substance"] == "GES")]
    assert res.total("sector") == pytest.approx(rows["value_t"].sum())
    # since #15 the demo places the large industrial sites in their commune: 59183 holds the
    # ArcelorMittal steelworks (12 100 000 tCO2e) and Imerys Aluminates (165 037, geocoded in
    # Dunkerque), plus its share of the regional remainder spread by proxy (13 618.613):
    # industry 12 278 655.613 tCO2e; all sectors 12 630 975.1
    sec = res.table[(res.table["view"] == "sector") & (res.table["substance"] == "GES")]
    industry = sec.set_index("category")["emission_tCO2e"]["industrie"]
    assert industry == pytest.approx(12_100_000 + 165_037 + 13_618.613, abs=0.01)
    assert industry == sec["emission_tCO2e"].max()
    assert res.total("sector") == pytest.approx(12_630_975.1, abs=0.01)
    assert 175_608.438 in set(sec["emission_tCO2e"].round(3))  # road transport, as --territory
    pop = data.communes_2018().set_index("insee")["population"]
    assert res.population["population"].iloc[0] == pop["59183"]


def test_epci_part_refused_whole_epci_accepted():
    g = data.commune_geometries().merge(data.communes_2018()[["insee", "epci"]],
                                        left_on="code", right_on="insee")
    cud = g[g["epci"] == "245900428"].union_all()
    whole = gpd.GeoDataFrame({"SIREN": ["245900428"]}, geometry=[cud], crs=2154)
    res = eg.emissions(whole)
    assert res.total("sector") > 0
    half = gpd.GeoDataFrame({"SIREN": ["245900428"]},
                            geometry=[_commune("59183")], crs=2154)  # one commune of 17
    with pytest.raises(InventoryError, match=r"EPCI 245900428.*epci:245900428"):
        eg.emissions(half)


def test_code_outside_embedded_data_noted(tmp_path):
    """A commune code outside Nord/Pas-de-Calais: no reference area, a note says so."""
    inv = tmp_path / "inv.csv"
    inv.write_text("territory_code,territory_level,sector,substance,year,value,unit\n"
                   "75056,commune,residentiel,GES,2021,10,tCO2e\n", encoding="utf-8")
    pop = tmp_path / "pop.csv"
    pop.write_text("zone_id,population\n75056,2100000\n", encoding="utf-8")
    zones = gpd.GeoDataFrame({"INSEE_COM": ["75056"]},
                             geometry=[box(650000, 6860000, 651000, 6861000)], crs=2154)
    res = eg.emissions(zones, inventory=inv, population=pop, zpc="2_1")
    assert any("Surface non vérifiée" in n and "75056" in n for n in res.notes)
