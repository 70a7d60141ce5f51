"""Validation of scenario files and bilan.toml: each rule, with the line it must name.

Every bad value is refused with a package error (ScenarioError / ConfigError) whose French
message gives ``file:line``, the value as written and the remedy; every problem of a file is
reported at once. Line numbers below are counted by hand in the texts of the tests.
"""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import pytest
from shapely.geometry import box

import espass_geo as eg
from espass_geo.errors import ConfigError, ScenarioError
from espass_geo.io.bilan_config import load_bilan_config
from espass_geo.io.scenario_config import load_scenario_config
from espass_geo.io.toml import TomlLines, show
from espass_geo.territory.resolve import resolve_territory

# line numbers:      1          2                             3                4
HEAD = 'title = "t"\nterritory = "epci:245900428"\nstart_year = 2025\nhorizon = 2050\n'
# 5 blank, 6 [data], 7 landcover, 8 parcels, 9 blank, 10 [[scenario]], 11 name, 12 blank
DATA = '\n[data]\nlandcover = "demo"\nparcels = "demo"\n\n[[scenario]]\nname = "s"\n\n'
# 13 [[scenario.action]], 14 type, 15 length_km, 16 year
HEDGES = '[[scenario.action]]\ntype = "hedges"\nlength_km = 30\nyear = 2030\n'


def scenario_file(tmp_path, text: str, name: str = "scénario.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        load_scenario_config(path)
    assert str(e.value).startswith("fichier de scénario")
    return e.value.problems


def one_problem(tmp_path, text: str, line: int, *parts: str) -> str:
    """The file holds exactly one problem, on ``line``, naming every ``part``."""
    probs = problems_of(scenario_file(tmp_path, text))
    assert len(probs) == 1, probs
    assert probs[0].startswith(f"scénario.toml:{line} : "), probs[0]
    for part in parts:
        assert part in probs[0], (part, probs[0])
    return probs[0]


def test_the_base_file_is_valid(tmp_path):
    cfg = load_scenario_config(scenario_file(tmp_path, HEAD + DATA + HEDGES))
    assert (cfg.start_year, cfg.horizon) == (2025, 2050)
    a = cfg.scenarios[0].actions[0]
    assert (a.type, a.year, a.params["length_km"], a.line) == ("hedges", 2030, 30, 13)


@pytest.mark.parametrize("key,line,value", [
    ("length_km", 15, "true"), ("year", 16, "true"), ("length_km", 15, "false")])
def test_booleans_are_not_numbers(tmp_path, key, line, value):
    text = HEAD + DATA + HEDGES.replace(f"{key} = {'30' if key == 'length_km' else '2030'}",
                                        f"{key} = {value}")
    one_problem(tmp_path, text, line, key, f"booléen {value}")


def test_boolean_share_gwp_and_sealed_share(tmp_path):
    geo = tmp_path / "z.geojson"
    gpd.GeoDataFrame(geometry=[box(650000, 7050000, 651000, 7051000)], crs=2154).to_file(geo)
    text = (HEAD + "gwp_n2o = true\n" + DATA  # gwp on line 5, data shifted by one line
            + '[[scenario.action]]\ntype = "practice"\npractice = "catchCrops"\n'
              'crop_groups = ["2"]\nshare = true\nyear = 2030\n\n'          # 14…19
            + '[[scenario.action]]\ntype = "seal"\ngeometry = "z.geojson"\n'
              'sealed_share = true\nyear = 2030\n')                           # 21…25
    probs = problems_of(scenario_file(tmp_path, text))
    assert [p.split(" : ")[0] for p in probs] == ["scénario.toml:5", "scénario.toml:18",
                                                 "scénario.toml:24"]
    assert all("booléen true" in p for p in probs)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_refused(tmp_path, value):
    one_problem(tmp_path, HEAD + DATA + HEDGES.replace("length_km = 30", f"length_km = {value}"),
                15, "non finie")


def test_every_problem_has_its_own_line(tmp_path):
    """Two actions with the same bad key: each problem names its own action's line."""
    text = (HEAD + DATA + HEDGES.replace("2030", "2060") + "\n"
            + HEDGES.replace("2030", "2070"))  # second action: 18 header, 21 year
    probs = problems_of(scenario_file(tmp_path, text))
    assert probs == [p for p in probs if "hors de l'horizon" in p]
    assert [p.split(" : ")[0] for p in probs] == ["scénario.toml:16", "scénario.toml:21"]
    assert "2060" in probs[0] and "2070" in probs[1]


def test_start_before_the_land_cover_refused(tmp_path):
    text = HEAD.replace("2025", "1995") + DATA + HEDGES
    one_problem(tmp_path, text, 3, "1995", "(2018, données de démonstration)",
                "start_year = 2018")


def test_start_before_the_trend_end_refused(tmp_path):
    text = (HEAD.replace("2025", "2015") + DATA.replace(
        'parcels = "demo"', 'parcels = "demo"\ntrend_landcover_before = "demo-2012"\n'
        'trend_years = [2012, 2018]') + HEDGES)
    one_problem(tmp_path, text, 3, "2015", "(2018, trend_years)")


def test_trend_years_must_match_the_demo_rasters(tmp_path):
    text = HEAD + DATA.replace(
        'parcels = "demo"', 'parcels = "demo"\ntrend_landcover_before = "demo-2012"\n'
        'trend_years = [2012, 2020]') + HEDGES
    probs = problems_of(scenario_file(tmp_path, text))
    assert len(probs) == 1 and probs[0].startswith("scénario.toml:10 : ")
    assert "2020" in probs[0] and "date de 2018" in probs[0]


def test_land_cover_date_from_its_name_or_landcover_year(tmp_path):
    from espass_geo.io.toml import landcover_date

    assert landcover_date("clc2018_l93.tif") == (2018, "année lue dans le nom du fichier")
    assert landcover_date("oso_2020_v2018.tif") is None  # two years: unknown
    assert landcover_date("export_20180512.tif") is None  # not a year on its own
    (tmp_path / "ocs_2021.tif").write_bytes(b"")
    text = HEAD.replace("2025", "2019") + DATA.replace('landcover = "demo"',
                                                       'landcover = "ocs_2021.tif"') + HEDGES
    one_problem(tmp_path, text, 3, "2019", "(2021, année lue dans le nom du fichier)")
    assert load_scenario_config(scenario_file(tmp_path, text.replace("2019", "2021")))
    text = HEAD.replace("2025", "2019") + DATA.replace(
        'landcover = "demo"', 'landcover = "ocs_2021.tif"\nlandcover_year = 2020') + HEDGES
    one_problem(tmp_path, text, 3, "2019", "(2020, data.landcover_year)")
    text = HEAD + DATA.replace('landcover = "demo"', 'landcover = "ocs_2021.tif"\n'
                               "landcover_year = true") + HEDGES
    one_problem(tmp_path, text, 8, "landcover_year", "booléen true")


@pytest.mark.parametrize("start,horizon,line,part", [
    (-5, 2050, 3, "pas le nombre -5"),
    (2025, 2020, 4, "l'horizon 2020 doit être après"),
    (2025, 2025, 4, "l'horizon 2025 doit être après"),
    (2025, 30000, 4, "entre 1990 et 2100"),
    ('"2025"', 2050, 3, "pas le texte « 2025 »"),
    (2025.0, 2050, 3, "pas le nombre 2025"),
])
def test_years_and_horizon(tmp_path, start, horizon, line, part):
    text = HEAD.replace("2025", str(start)).replace("2050", str(horizon)) + DATA + HEDGES
    probs = problems_of(scenario_file(tmp_path, text))
    mine = [p for p in probs if p.startswith(f"scénario.toml:{line} : ")]
    assert mine and part in mine[0], probs


def test_trend_years_out_of_range(tmp_path):
    text = HEAD + DATA.replace('parcels = "demo"', 'parcels = "demo"\n'
                               'trend_changes = "demo"\ntrend_years = [-2012, 2018]') + HEDGES
    one_problem(tmp_path, text, 10, "trend_years", "entre 1985")


@pytest.mark.parametrize("replace,line,parts", [
    (('length_km = 30', 'length_km = -3'), 15, ("length_km", "-3")),
    (('length_km = 30', 'length_km = "30 km"'), 15, ("texte « 30 km »",)),
    (('type = "hedges"', 'type = ["hedges"]'), 14, ("type d'action", "liste")),
    (('type = "hedges"', 'type = "haies"'), 14, ("haies", "convert")),
])
def test_action_values(tmp_path, replace, line, parts):
    one_problem(tmp_path, HEAD + DATA + HEDGES.replace(*replace), line, *parts)


def test_practice_values(tmp_path):
    text = (HEAD + DATA + '[[scenario.action]]\ntype = "practice"\npractice = ["catchCrops"]\n'
            'crop_groups = "2"\nshare = 1.5\nyear = 2030\n')  # 13 … 18
    probs = problems_of(scenario_file(tmp_path, text))
    assert [p.split(" : ")[0] for p in probs] == ["scénario.toml:15", "scénario.toml:16",
                                                 "scénario.toml:17"]
    assert "pratique la liste" in probs[0]
    assert 'crop_groups = ["1", "2"]' in probs[1]
    assert "]0, 1]" in probs[2] and "1.5" in probs[2]


def test_duplicate_action_ids(tmp_path):
    text = HEAD + DATA + HEDGES.replace("year", 'id = "h"\nyear') + "\n" + HEDGES.replace(
        "year", 'id = "h"\nyear')  # second action: header 19, id on 22
    one_problem(tmp_path, text, 22, "« h » en double")


@pytest.mark.parametrize("text,line,part", [
    ('baseline = "yes"\n', 5, "[baseline], pas le texte « yes »"),
    ('scenario = "x"\n', 5, "[[scenario]], pas le texte « x »"),
    ('data = 3\n', 5, "[data], pas le nombre 3"),
])
def test_keys_of_the_wrong_structural_type(tmp_path, text, line, part):
    probs = problems_of(scenario_file(tmp_path, HEAD + text))
    mine = [p for p in probs if p.startswith(f"scénario.toml:{line} : ")]
    assert mine and part in mine[0], probs


def test_single_brackets_instead_of_double(tmp_path):
    text = HEAD + DATA + HEDGES.replace("[[scenario.action]]", "[scenario.action]")
    one_problem(tmp_path, text, 13, "[[scenario.action]] (double crochets)")
    text = HEAD + DATA.replace("[[scenario]]", "[scenario]")
    one_problem(tmp_path, text, 10, "[[scenario]] (double crochets)")


def test_arrays_of_non_tables(tmp_path):
    text = HEAD + DATA + "action = [1, 2]\n"  # inside [[scenario]], line 13
    probs = problems_of(scenario_file(tmp_path, text))
    assert probs == [f"scénario.toml:13 : une action doit être une table [[scenario.action]], "
                     f"pas le nombre {i}" for i in (1, 2)]
    text = HEAD + DATA + 'action = "tout"\n'
    one_problem(tmp_path, text, 13, "« action » doit être une liste d'actions")
    text = HEAD + 'scenario = [1]\n\n[data]\nlandcover = "demo"\n'
    one_problem(tmp_path, text, 5, "un scénario doit être une table")


@pytest.mark.parametrize("spec,part", [
    ("59183;59350", "points-virgules"),
    ("59183 59350", "espaces"),
    ("5918", "zéro initial"),
    ("epci:245900429", "245900429"),
    ("epci:2459", "9 chiffres"),
    ("dep:971", "971"),
    ("cog2031:59183", "2031"),
    ("zones_absentes.gpkg", "introuvable"),
])
def test_territory_checked_at_load_time(tmp_path, spec, part):
    text = HEAD.replace("epci:245900428", spec) + DATA + HEDGES
    one_problem(tmp_path, text, 2, part)


def test_territory_file_relative_to_the_config(tmp_path):
    sub = tmp_path / "projet"
    sub.mkdir()
    gpd.GeoDataFrame({"zone_id": ["A"]}, geometry=[box(650000, 7050000, 651000, 7051000)],
                     crs=2154).to_file(sub / "zones.gpkg")
    cfg = load_scenario_config(scenario_file(
        sub, HEAD.replace("epci:245900428", "zones.gpkg") + DATA + HEDGES))
    assert cfg.territory == str(sub / "zones.gpkg")


def test_non_utf8_and_syntax_errors_give_the_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'title = "t"\nterritory = "x"\nlabel = "\xe9t\xe9"\n')
    probs = problems_of(path)
    assert probs == [p for p in probs if p.startswith("latin1.toml:3 : octet 0xe9 non UTF-8")]
    path.write_text('title = "t"\nstart_year = 2025\nhorizon = [\n', encoding="utf-8")
    probs = problems_of(path)
    assert len(probs) == 1 and re.match(r"latin1\.toml:\d+ : syntaxe TOML invalide", probs[0])
    path.write_text('title = "a"\ntitle = "b"\n', encoding="utf-8")
    assert problems_of(path)[0].startswith("latin1.toml:2 : syntaxe TOML invalide")
    with pytest.raises(ScenarioError, match="introuvable"):
        load_scenario_config(tmp_path / "absent.toml")
    with pytest.raises(ScenarioError, match="est un dossier"):
        load_scenario_config(tmp_path)  # a folder


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + DATA + HEDGES).encode("utf-8"))
    assert load_scenario_config(path).start_year == 2025


# ---------------------------------------------------------------- magnitudes (territory)
def test_hedges_longer_than_the_zones_allow(tmp_path):
    text = HEAD.replace("epci:245900428", "59183") + DATA + HEDGES.replace("length_km = 30", "length_km = 1e9")
    cfg = load_scenario_config(scenario_file(tmp_path, text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small territory
        area = resolve_territory("59183").area_ha
        with pytest.raises(ScenarioError) as e:
            eg.scenarios(cfg)
    (p,) = e.value.problems
    p = p.replace("\u202f", " ").replace("\xa0", " ")  # French thousands separators
    # 1e9 km at 60 m/ha on crops = 1e12 m / 60 = 1.67e10 ha, more than the commune's area;
    # at most area × 60 m/ha = area × 0.06 km
    assert p.startswith("scénario.toml:13 : 1 000 000 000 km de haies à 60 m/ha"), p
    assert f"au plus {area * 0.06:,.0f} km".replace(",", " ") in p


def test_action_mostly_outside_the_territory(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = resolve_territory("59183")
    x0, y0, x1, y1 = t.zones.total_bounds
    # a 10 km × 10 km square whose corner only touches the commune
    far = box(x1 - 100, y1 - 100, x1 + 9900, y1 + 9900)
    gpd.GeoDataFrame(geometry=[far], crs=2154).to_file(tmp_path / "zae.geojson")
    text = (HEAD.replace("epci:245900428", "59183") + DATA
            + '[[scenario.action]]\ntype = "seal"\ngeometry = "zae.geojson"\nyear = 2030\n')
    cfg = load_scenario_config(scenario_file(tmp_path, text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ScenarioError, match=r"scénario\.toml:13 : .*hors du territoire"):
            eg.scenarios(cfg)


# ---------------------------------------------------------------- bilan.toml
BILAN = ('title = "b"\nterritory = "epci:245900428"\nmethod = "aldo"\ngwp_n2o = 273\n\n'
         '[landcover]\nafter = "demo"\nbefore = "demo-2012"\nyears = [2012, 2018]\n\n'
         '[emissions]\ninventory = "demo"\n')
# lines: 1 title, 2 territory, 3 method, 4 gwp_n2o, 6 [landcover], 7 after, 8 before,
# 9 years, 11 [emissions], 12 inventory


def bilan_problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "bilan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_bilan_config(path)
    assert str(e.value).startswith("fichier de configuration")
    return e.value.problems


def test_bilan_base_is_valid(tmp_path):
    path = tmp_path / "bilan.toml"
    path.write_text(BILAN, encoding="utf-8")
    cfg = load_bilan_config(path)
    assert cfg.years == (2012, 2018) and cfg.gwp_n2o == 273.0


@pytest.mark.parametrize("old,new,line,part", [
    ("gwp_n2o = 273", "gwp_n2o = true", 4, "booléen true"),
    ("gwp_n2o = 273", "gwp_n2o = 2730", 4, "entre 200 et 400"),
    ("gwp_n2o = 273", "gwp_n2o = nan", 4, "non finie"),
    ("years = [2012, 2018]", "years = [true, 2018]", 9, "[true, 2018]"),
    ("years = [2012, 2018]", "years = [-2012, 2018]", 9, "entre 1985"),
    ("years = [2012, 2018]", "years = [2012, 2090]", 9, "entre 1985"),
    ("years = [2012, 2018]", "years = [2018, 2012]", 9, "inversées"),
    ("years = [2012, 2018]", "years = [2012, 2020]", 9, "date de 2018 (données de démonstration), pas de 2020"),
    ("years = [2012, 2018]", "years = [2010, 2018]", 9, "date de 2012 (données de démonstration), pas de 2010"),
    ('method = "aldo"', "method = true", 3, "booléen true"),
    ('territory = "epci:245900428"', 'territory = "59183;59350"', 2, "points-virgules"),
    ('territory = "epci:245900428"', "territory = 59183", 2, "pas le nombre 59183"),
    ('after = "demo"', "after = true", 7, "booléen true"),
    ('inventory = "demo"', "inventory = 42", 12, "pas le nombre 42"),
    ("gwp_n2o = 273", 'gwp_n2o = 273\nzpc = "9_9"', 5, "9_9"),
])
def test_bilan_rules(tmp_path, old, new, line, part):
    assert old in BILAN
    probs = bilan_problems(tmp_path, BILAN.replace(old, new))
    assert len(probs) == 1, probs
    assert probs[0].startswith(f"bilan.toml:{line} : ") and part in probs[0], probs[0]


@pytest.mark.parametrize("text,line,part", [
    ('landcover = "yes"\n', 3, "[landcover], pas le texte « yes »"),
    ("emissions = [1]\n", 3, "[emissions], pas la liste [1]"),
    ("scenario = 3\n", 3, "[scenario], pas le nombre 3"),
])
def test_bilan_tables_of_the_wrong_type(tmp_path, text, line, part):
    probs = bilan_problems(tmp_path, 'title = "b"\nterritory = "59183"\n' + text)
    mine = [p for p in probs if p.startswith(f"bilan.toml:{line} : ")]
    assert mine and part in mine[0], probs


def test_bilan_exclusive_inputs(tmp_path):
    text = BILAN.replace('before = "demo-2012"', 'before = "demo-2012"\nareas = "demo"\n'
                         'changes = "demo"')  # areas on 9, changes on 10
    probs = bilan_problems(tmp_path, text)
    assert [p.split(" : ")[0] for p in probs] == ["bilan.toml:9", "bilan.toml:10"]
    assert "s'excluent" in probs[0] and "s'excluent" in probs[1]


def test_bilan_reports_the_scenario_file_problems_at_load_time(tmp_path):
    scenario_file(tmp_path, HEAD.replace("2025", "1995") + DATA + HEDGES, "sc.toml")
    probs = bilan_problems(tmp_path, BILAN.replace("gwp_n2o = 273", "gwp_n2o = false")
                           + '\n[scenario]\nfile = "sc.toml"\n')
    assert probs[0].startswith("bilan.toml:4 : ")
    assert probs[1].startswith("sc.toml:3 : start_year 1995")
    assert len(probs) == 2


def test_bilan_non_utf8(tmp_path):
    path = tmp_path / "bilan.toml"
    path.write_bytes(b'title = "r\xe9gion"\n')
    with pytest.raises(ConfigError) as e:
        load_bilan_config(path)
    assert e.value.problems[0].startswith("bilan.toml:1 : octet 0xe9 non UTF-8")


# ---------------------------------------------------------------- helpers
def test_toml_lines_locates_nested_keys():
    text = ('a = 1\n[data]\nx = """\ny = 2\n"""\nz = 3\n[[s]]\nname = "p"\n[[s.act]]\n'
            'year = 1\n[[s.act]]\n"year" = 2\n[[s]]\n[[s.act]]\nyear = 3\ninl = {k = 1}\n')
    lines = TomlLines(text)
    assert lines.line("a") == 1
    assert lines.line("data", "z") == 6  # "y = 2" inside the multi-line string is skipped
    assert lines.line("data", "y") == 2  # absent: the table's line
    assert lines.line("s", 0, "act", 0, "year") == 10
    assert lines.line("s", 0, "act", 1, "year") == 12
    assert lines.line("s", 1, "act", 0, "year") == 15
    assert lines.line("s", 1, "act", 0, "inl", "k") == 16  # inline table: its key's line
    assert lines.line("s", 1) == 13
    assert lines.line("absent") is None


def test_show_names_the_type():
    assert show(True) == "le booléen true"
    assert show([True, "a"]) == 'la liste [true, "a"]'
    assert show(float("nan")) == "la valeur non finie nan"
    assert show(3) == "le nombre 3"
    assert show({"a": 1}) == "une table"


@pytest.mark.parametrize("text,line,part", [
    ("a = [1\n", 1, "liste non fermée"),
    ("a = 1\na = 2\n", 2, "une clé écrite deux fois"),
    ("a = oui\n", 1, "texte sans guillemets"),
    ('a = "x\n', 1, "guillemet manquant"),
    ("[t]\n[t]\n", 2, "déclarée deux fois"),
])
def test_syntax_errors_in_french_with_their_line(tmp_path, text, line, part):
    path = tmp_path / "syntaxe.toml"
    path.write_text(text, encoding="utf-8")
    (p,) = problems_of(path)
    assert p.startswith(f"syntaxe.toml:{line} : syntaxe TOML invalide") and part in p, p


def test_bilan_scenario_file_on_another_territory_is_read(tmp_path):
    scenario_file(tmp_path, HEAD + DATA + HEDGES, "sc.toml")  # epci:245900428
    text = BILAN + '\n[scenario]\nfile = "sc.toml"\n'  # [scenario] on 14, file on 15
    path = tmp_path / "bilan.toml"
    path.write_text(text, encoding="utf-8")
    assert load_bilan_config(path).scenario == tmp_path / "sc.toml"
    # the same communes written another way are the same territory
    from espass_geo.territory.resolve import communes_of_epci

    codes = ",".join(communes_of_epci("245900428")[0])
    path.write_text(text.replace('"epci:245900428"', f'"{codes}"'), encoding="utf-8")
    assert load_bilan_config(path).scenario == tmp_path / "sc.toml"
    # another territory: the bilan's zones apply to the scenario (noted, its actions outside
    # them refused when the bilan is computed: tests/test_bilan_consistency.py)
    path.write_text(text.replace('"epci:245900428"', '"59183"'), encoding="utf-8")
    assert load_bilan_config(path).scenario == tmp_path / "sc.toml"


def test_unreadable_action_geometries_listed_with_their_lines(tmp_path):
    (tmp_path / "texte.geojson").write_text("pas du GeoJSON", encoding="utf-8")
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1).centroid], crs=2154).to_file(
        tmp_path / "points.geojson")
    text = (HEAD.replace("epci:245900428", "59183") + DATA
            + '[[scenario.action]]\ntype = "seal"\ngeometry = "texte.geojson"\nyear = 2030\n\n'
            + '[[scenario.action]]\ntype = "practice"\npractice = "catchCrops"\n'
              'geometry = "points.geojson"\nyear = 2030\n')  # actions on lines 13 and 18
    cfg = load_scenario_config(scenario_file(tmp_path, text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ScenarioError) as e:
            eg.scenarios(cfg)
    p1, p2 = e.value.problems
    assert p1.startswith("scénario.toml:13 : ") and "texte.geojson" in p1 and "illisible" in p1
    assert p2.startswith("scénario.toml:18 : ") and "pas des polygones (Point)" in p2
