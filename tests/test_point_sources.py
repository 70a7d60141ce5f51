"""Large point sources placed in their commune, the remainder of the regional totals spread by
proxy (espass_geo.core.inventory_build), the shipped demo table and ``--point-sources``.

The command-line refusals (missing column, site outside Nord / Pas-de-Calais, negative value,
unknown CRS, sites over the regional total, with ``--inventory``) are cases of the bad-input
suite: tests/bad_inputs/cases_point_sources.py.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from espass_geo.core.inventory_build import (
    allocate_point_sources,
    decimals_of,
    largest_remainder,
    locate_points,
)
from espass_geo.errors import InventoryError
from espass_geo.io.inventory import build_demo_inventory, read_point_sources, shipped_point_sources
from espass_geo.reference import data

X0, Y0 = 700_000.0, 7_000_000.0  # Lambert-93, inside Nord


def three_communes() -> gpd.GeoDataFrame:
    """Communes A, B, C: three 1 km squares side by side (EPSG:2154)."""
    return gpd.GeoDataFrame(
        {"code": ["A", "B", "C"]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(3)],
        crs="EPSG:2154")


def weights() -> dict[str, pd.Series]:
    return {"pop": pd.Series({"A": 0.5, "B": 0.3, "C": 0.2}),
            "clc121": pd.Series({"A": 0.1, "B": 0.6, "C": 0.3})}


def two_points() -> pd.DataFrame:
    """P1 in A given in Lambert-93; P2 in C given in WGS84 (the centre of C reprojected)."""
    c = gpd.GeoSeries(gpd.points_from_xy([X0 + 2500], [Y0 + 500]), crs=2154).to_crs(4326)
    return pd.DataFrame({
        "name": ["P1", "P2"], "x": [X0 + 500, c.x.iloc[0]], "y": [Y0 + 500, c.y.iloc[0]],
        "crs": ["EPSG:2154", "EPSG:4326"], "substance": ["GES", "GES"],
        "emission_t": [30.0, 10.0], "line": [2, 3]})


TOTALS = pd.DataFrame({"sector": ["industrie", "residentiel"], "substance": ["GES", "GES"],
                       "value": [100.0, 50.0]})


def by(out: pd.DataFrame, sector: str) -> dict[str, float]:
    t = out[out["sector"] == sector]
    return dict(zip(t["territory_code"], t["value"], strict=True))


def test_hand_case_points_in_their_commune_remainder_by_proxy():
    out = allocate_point_sources(TOTALS, two_points(), three_communes(), weights=weights())
    # industrie: remainder 100 − (30 + 10) = 60 by clc121 → A 6, B 36, C 18;
    # plus the points: A 6 + 30 = 36, B 36, C 18 + 10 = 28; total 100 = the regional total
    assert by(out, "industrie") == pytest.approx({"A": 36.0, "B": 36.0, "C": 28.0}, abs=1e-9)
    ind = out[out["sector"] == "industrie"].set_index("territory_code")
    assert ind["point_value"].to_dict() == {"A": 30.0, "B": 0.0, "C": 10.0}
    assert ind.loc["A", "proxy"] == "points+pop|clc18_121|area"
    assert ind.loc["B", "proxy"] == "pop|clc18_121|area"
    # residentiel has no point: 50 by population → A 25, B 15, C 10
    assert by(out, "residentiel") == pytest.approx({"A": 25.0, "B": 15.0, "C": 10.0}, abs=1e-9)
    # totals conserved exactly, in units of the rounding step (0.001 tCO2e)
    assert out.groupby("sector")["_units"].sum().to_dict() == {"industrie": 100_000,
                                                               "residentiel": 50_000}


def test_hand_case_share_of_the_region():
    out = allocate_point_sources(TOTALS, two_points(), three_communes(), weights=weights(),
                                 share=0.5)
    # the communes hold half of the region's diffuse industry: (100 − 40) × 0.5 = 30 →
    # A 3, B 18, C 9; with the points A 33, B 18, C 19; total 70 = 40 + 30
    assert by(out, "industrie") == pytest.approx({"A": 33.0, "B": 18.0, "C": 19.0}, abs=1e-9)
    assert out[out["sector"] == "industrie"]["_units"].sum() == 70_000
    # residentiel: 50 × 0.5 = 25 → A 12.5, B 7.5, C 5
    assert by(out, "residentiel") == pytest.approx({"A": 12.5, "B": 7.5, "C": 5.0}, abs=1e-9)


def test_sector_column_and_co2_alias():
    pts = two_points().assign(sector=["branche_energie", ""], substance=["CO2", "GES"])
    totals = pd.DataFrame({"sector": ["industrie", "branche_energie"],
                           "substance": ["GES", "GES"], "value": [100.0, 50.0]})
    out = allocate_point_sources(totals, pts, three_communes(), weights=weights())
    # P1 (CO2 = GES, branche_energie) in A: remainder 50 − 30 = 20 by clc121 → 2, 12, 6;
    # A 2 + 30 = 32. P2 (empty sector → industrie) in C: 90 by clc121 → 9, 54, 27; C 37
    assert by(out, "branche_energie") == pytest.approx({"A": 32.0, "B": 12.0, "C": 6.0})
    assert by(out, "industrie") == pytest.approx({"A": 9.0, "B": 54.0, "C": 37.0})


def test_rounding_exact_with_largest_remainder():
    # 100 units in thirds: floors 33, 33, 33, one unit left → the first position
    assert largest_remainder([1 / 3, 1 / 3, 1 / 3], 100).tolist() == [34, 33, 33]
    # pollutant (4 decimals): 10 t = 100 000 units with a 4.00006 t point in A, rounded to
    # 4.0001 t (40 001 units); the remainder 59 999 units by clc121: A 5 999.9, B 35 999.4,
    # C 17 999.7; floors 59 997, the 2 units left to the largest fractions (A .9, C .7):
    # A 6 000 + 40 001 = 46 001, B 35 999, C 18 000; total 100 000
    pts = two_points().iloc[:1].assign(substance="NOx", emission_t=4.00006)
    totals = pd.DataFrame({"sector": ["industrie"], "substance": ["NOx"], "value": [10.0]})
    out = allocate_point_sources(totals, pts, three_communes(), weights=weights())
    assert decimals_of("NOx") == 4
    assert out["_units"].tolist() == [46_001, 35_999, 18_000]
    assert out["_units"].sum() == 100_000


def test_points_over_the_regional_total_refused():
    pts = two_points().assign(emission_t=[80.0, 30.0])  # 110 > 100
    with pytest.raises(InventoryError, match=r"industrie × GES.*totalisent 110 tCO2e.*"
                                             r"total régional 100 tCO2e.*négatif"):
        allocate_point_sources(TOTALS, pts, three_communes(), weights=weights())


def test_point_outside_and_unknown_crs_refused():
    far = two_points().assign(x=[X0 + 10_000, X0 + 500], y=[Y0 + 500, Y0 + 500],
                              crs="EPSG:2154")  # P1 9 km east of C
    with pytest.raises(InventoryError, match=r"hors des communes.*ligne 2 « P1 »"):
        locate_points(far, three_communes())
    bad = two_points().assign(crs=["EPSG:2154", "Lambert II"])
    with pytest.raises(InventoryError, match=r"ligne 3 « P2 ».*« Lambert II » inconnu"):
        locate_points(bad, three_communes())
    # 300 m off the edge of C (a gap of simplified boundaries): the nearest commune, C
    near = two_points().assign(x=[X0 + 3300, X0 + 500], y=[Y0 + 500, Y0 + 500],
                               crs="EPSG:2154")
    assert locate_points(near, three_communes()).tolist() == ["C", "A"]


def test_read_point_sources_french_excel(tmp_path):
    p = tmp_path / "sites.csv"
    p.write_bytes("name;x;y;crs;substance;t_an;year;source;unit\n"
                  "Aciérie;2,3;51,043;EPSG:4326;GES;12,1;2022;CNDP;ktCO2e\n"
                  "Aciérie;2,3;51,043;EPSG:4326;NOx;4500;2009;DREAL;t\n".encode("cp1252"))
    df = read_point_sources(p)
    # 12,1 ktCO2e = 12 100 tCO2e; the sector defaults to industrie
    assert df["emission_t"].tolist() == pytest.approx([12_100.0, 4_500.0])
    assert df["sector"].tolist() == ["industrie", "industrie"]
    assert df["line"].tolist() == [2, 3]
    dup = tmp_path / "dup.csv"
    dup.write_text("name,x,y,crs,substance,emission_t,year,source\n"
                   "A,2.3,51.04,EPSG:4326,GES,1,2022,s\nA,2.3,51.04,EPSG:4326,CO2,2,2022,s\n",
                   encoding="utf-8")
    with pytest.raises(InventoryError, match=r"lignes 2, 3"):
        read_point_sources(dup)  # CO2 is GES: the same site counted twice


def demo_file() -> pd.DataFrame:
    return data.read_csv(data.data_path("factors", "demo_inventory_communes_59_62.csv.gz"),
                         dtype={"territory_code": str})


def test_shipped_demo_totals_and_point_sources():
    inv = demo_file()
    pts = shipped_point_sources()
    reg = data.factor_table("regional_inventory_hdf").set_index(["sector", "substance"])
    share = 4_077_886 / 6_009_976  # population 59/62 / Hauts-de-France (INSEE 2015)
    ges_ind = pts[(pts["substance"] == "GES") & (pts["sector"] == "industrie")]
    points = ges_ind["emission_t"].sum()
    # points + (17 800 000 − points) × share, to the rounding step 0.001 tCO2e
    expected = points + (reg.loc[("industrie", "GES"), "value"] - points) * share
    got = inv[(inv["sector"] == "industrie") & (inv["substance"] == "GES")]["value"].sum()
    assert got == pytest.approx(expected, abs=0.001)
    # every point source lies in its commune (point_value) and that commune holds at least it
    placed = inv.dropna(subset=["point_value"])
    assert placed["point_value"].sum() == pytest.approx(pts["emission_t"].sum())
    assert (placed["value"] >= placed["point_value"]).all()
    assert placed["proxy"].str.startswith("points+").all()
    # the estimate stays labelled as such
    assert set(inv["source"]) == {"espass_geo demo estimate, NOT an inventory "
                                  "(factors/README.md)"}
    assert set(pts["confidence"]) <= {"primary", "secondary", "derived", "unverified"}


def test_shipped_file_is_the_package_build():
    """The shipped file is what the package builds from the shipped point sources (the file
    was regenerated after the last change of the method or of the table)."""
    inv = demo_file()
    new = build_demo_inventory()
    assert inv["territory_code"].tolist() == new["territory_code"].tolist()
    scale = 10.0 ** new["_decimals"]
    assert ((inv["value"] * scale).round().astype("int64") == new["_units"]).all()


def test_cu_dunkerque_dominated_by_the_steelworks():
    inv = demo_file()
    c2e = data.communes_2018().set_index("insee")["epci"]
    cud = inv[(inv["territory_code"].map(c2e) == "245900428") & (inv["substance"] == "GES")]
    industry = cud[cud["sector"] == "industrie"]["value"].sum()
    # ArcelorMittal Dunkerque alone: 12 100 000 tCO2/an (ArcelorMittal France, CNDP 2022)
    assert industry >= 12_100_000
    assert industry > 0.5 * cud["value"].sum()
    steel = inv[(inv["territory_code"] == "59183") & (inv["sector"] == "industrie")
                & (inv["substance"] == "GES")]
    # Dunkerque, from the point: the steelworks + Imerys Aluminates (165 037 t, IREP 2019)
    assert steel["point_value"].iloc[0] == 12_100_000 + 165_037


@pytest.mark.filterwarnings("ignore::espass_geo.errors.SmallTerritoryWarning")
def test_emissions_run_with_user_point_sources(tmp_path):
    from espass_geo.runs.emissions import compute_territory_emissions

    p = tmp_path / "sites.csv"
    p.write_text("name,x,y,crs,substance,emission_t,year,source\n"
                 "Aciérie,2.3000,51.0430,EPSG:4326,GES,5000000,2022,essai\n", encoding="utf-8")
    r = compute_territory_emissions("59271", point_sources=p)
    t = r.table
    ind = t[(t["view"] == "sector") & (t["category"] == "industrie")
            & (t["substance"] == "GES")]["emission_tCO2e"].sum()
    # the user's 5 Mt replace the shipped 12.1 Mt in Grande-Synthe (plus its diffuse share)
    assert 5_000_000 <= ind < 5_100_000
    assert r.estimate and any("vos sources ponctuelles « sites.csv »" in n for n in r.notes)
    with pytest.raises(InventoryError, match="compterait deux fois"):
        compute_territory_emissions("59271", point_sources=p, inventory=p)


def test_bilan_toml_point_sources_key(tmp_path):
    from espass_geo.io.bilan_config import config_as_toml, load_bilan_config

    (tmp_path / "sites.csv").write_text("name,x,y,crs,substance,emission_t,year,source\n",
                                        encoding="utf-8")
    (tmp_path / "bilan.toml").write_text('territory = "epci:245900428"\n[landcover]\n'
                                         'after = "demo"\n[emissions]\n'
                                         'inventory = "demo"\npoint_sources = "sites.csv"\n',
                                         encoding="utf-8")
    cfg = load_bilan_config(tmp_path / "bilan.toml")
    assert cfg.inventory is None  # the demo estimate, rebuilt with these sites
    assert cfg.point_sources == tmp_path / "sites.csv"
    assert 'point_sources = "' in config_as_toml(cfg)  # the copy beside the results keeps it
