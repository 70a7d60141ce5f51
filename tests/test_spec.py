"""The one specification of the inputs (espass_geo/spec.py) drives the CLI options, the TOML
loaders, the API defaults and the README table; every default is defined there only."""

from __future__ import annotations

import ast
import inspect
import re
import shutil
import typing
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from espass_geo import api, spec
from espass_geo.cli import main
from espass_geo.errors import ConfigError, ScenarioError
from espass_geo.io import bilan_config, scenario_config
from espass_geo.reference import data

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "espass_geo"


def _readme_options_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = "## Options (all commands, bilan.toml, scenario files)\n"
    assert head in text, "README: section « Options (all commands, bilan.toml, scenario files) »"
    section = text[text.index(head):]
    section = section[:section.index("\n## ", 1)]
    return "".join(line + "\n" for line in section.splitlines() if line.startswith("|"))


def test_readme_options_table_is_generated_from_the_spec():
    assert _readme_options_table() == spec.options_markdown(), (
        "README « Options » table out of date: paste espass_geo.spec.options_markdown()")


def test_names_are_unique_and_toml_keys_shared():
    assert len(spec.BY_NAME) == len(spec.SPEC)
    for i in spec.SPEC:
        assert i.name.isidentifier() and i.name.isascii()
        assert i.help.strip() and i.type
        if i.bilan and i.scenario:
            assert i.bilan == i.scenario, i.name  # the same key in both files
        if i.default is not None and i.choices:
            assert i.default in i.choices
        if i.default is not None and i.range:
            assert i.range[0] <= i.default <= i.range[1]
        for c in i.commands:
            assert c in spec.COMMANDS


@pytest.mark.parametrize("command", spec.COMMANDS)
def test_click_options_come_from_the_spec(command):
    cmd = main.commands[command]
    options = [p for p in cmd.params if isinstance(p, click.Option)]
    names = {p.name for p in options}
    for i in spec.for_command(command):
        assert i.name in names, f"{command}: option {i.flag} missing"
    for p in options:
        if p.name == "help":
            continue
        assert p.name in spec.BY_NAME, f"{command}: {p.opts} is not in espass_geo/spec.py"
        i = spec.BY_NAME[p.name]
        want = i.default_for(command) if command in i.commands else i.default
        got = None if type(p.default).__name__ == "Sentinel" else p.default  # click's UNSET
        if p.is_flag:
            want, got = bool(want), bool(got)
        elif isinstance(got, list):
            got = tuple(got)
        assert got == want, f"{command} {p.opts}: default {got!r} ≠ spec {want!r}"
        if i.choices and command in i.commands:
            assert tuple(p.type.choices) == i.choices


def test_help_shows_the_spec_text():
    out = CliRunner().invoke(main, ["flows", "--help"], terminal_width=200).output
    for i in spec.for_command("flows"):
        assert i.flag in out
    assert "harvest|consumption|none" in out and "PRG du N2O" in out


def test_toml_keys_of_both_loaders_are_in_the_spec():
    tables = {"landcover", "emissions", "scenario", "zan"}
    assert bilan_config.CONFIG_KEYS - tables == spec.toml_keys("bilan", "")
    assert bilan_config.LANDCOVER_KEYS == spec.toml_keys("bilan", "landcover")
    assert bilan_config.EMISSION_KEYS == spec.toml_keys("bilan", "emissions")
    assert bilan_config.SCENARIO_KEYS == spec.toml_keys("bilan", "scenario")
    assert bilan_config.ZAN_KEYS == spec.toml_keys("bilan", "zan")
    # the scenario file's [zan] keys are those of bilan.toml
    assert scenario_config.ZAN_KEYS == spec.toml_keys("scenario", "zan")
    top = scenario_config.TOP_KEYS - {"landcover", "data", "baseline", "scenario"}
    assert top == spec.toml_keys("scenario", "")
    for section, keys in (("landcover", scenario_config.LANDCOVER_KEYS),
                          ("data", scenario_config.DATA_KEYS),
                          ("baseline", scenario_config.BASELINE_KEYS)):
        for key in keys:
            assert spec.toml_input("scenario", section, key) is not None, (section, key)
    # the scenario [landcover] keys are those of bilan.toml
    assert scenario_config.LANDCOVER_KEYS <= bilan_config.LANDCOVER_KEYS | {"landcover_year"}


def test_api_defaults_and_choices_come_from_the_spec():
    for fn in (api.stocks, api.flows, api.emissions, api.bilan):
        for name, p in inspect.signature(fn).parameters.items():
            # None: the file's value; flags (quiet) differ on purpose: a notebook call is quiet
            if (name in spec.BY_NAME and p.default not in (None, p.empty)
                    and not isinstance(spec.DEFAULTS[name], bool)):
                assert p.default == spec.DEFAULTS[name], (fn.__name__, name)
    assert typing.get_args(api.Method) == spec.BY_NAME["method"].choices
    assert typing.get_args(api.Engine) == spec.BY_NAME["engine"].choices
    assert typing.get_args(api.WoodProducts) == spec.BY_NAME["wood_products"].choices


def _code_files() -> list[Path]:
    return [PACKAGE / "cli.py", PACKAGE / "api.py", *sorted((PACKAGE / "io").glob("*.py"))]


@pytest.mark.parametrize("path", _code_files(), ids=lambda p: p.name)
def test_each_default_is_defined_once(path):
    """No signature, click option or keyword repeats a default of the spec as a literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    literal = {k: v for k, v in spec.DEFAULTS.items()
               if v is not None and not isinstance(v, bool)}

    def same(node, name) -> bool:
        try:
            value = ast.literal_eval(node)
        except ValueError:
            return False
        value = tuple(value) if isinstance(value, list) else value
        return name in literal and value == literal[name] and type(value) is type(literal[name])

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            args = node.args.args + node.args.kwonlyargs
            defaults = ([None] * (len(node.args.args) - len(node.args.defaults))
                        + node.args.defaults + node.args.kw_defaults)
            found += [f"{node.name}({a.arg}=…)" for a, d in zip(args, defaults, strict=True)
                      if d is not None and same(d, a.arg)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.value is not None and same(node.value, node.target.id):
                found.append(f"{node.target.id}: … = {ast.unparse(node.value)}")
        elif isinstance(node, ast.Call):
            found += [f"{k.arg}={ast.unparse(k.value)}" for k in node.keywords
                      if k.arg in literal and same(k.value, k.arg)]
            if (isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                    and same(node.args[1], node.args[0].value)):
                found.append(f".get({node.args[0].value!r}, {ast.unparse(node.args[1])})")
    assert not found, f"{path.name} repeats defaults of espass_geo/spec.py: {found}"
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"max_nodata_share[^\n]{0,40}[^.\d]0\.5\b", text)


def test_loaders_check_ranges_and_choices_from_the_spec(tmp_path):
    cfg = tmp_path / "bilan.toml"
    cfg.write_text('territory = "epci:245900428"\nmethod = "tier2"\ngwp_n2o = 500\n\n'
                   '[landcover]\nafter = "demo"\nmax_nodata_share = 1.5\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        bilan_config.load_bilan_config(cfg)
    msg = str(exc.value)
    assert ('bilan.toml:2 : méthode le texte « tier2 » inconnue : écrivez method = "aldo" ou '
            '"ipcc"') in msg
    assert "bilan.toml:3 : « gwp_n2o » doit être un nombre entre 200 et 400" in msg
    assert "bilan.toml:7 : « max_nodata_share » doit être un nombre entre 0 et 1" in msg
    default = bilan_config.BilanConfig(path=None, title="t", territory="x")
    assert default.max_nodata_share == spec.DEFAULTS["max_nodata_share"]
    assert default.years == spec.DEFAULTS["years"] and default.method == spec.DEFAULTS["method"]


def _scenario_with_bilan_names(tmp_path: Path) -> Path:
    demo = data.data_path("landcover", "scenarios/flandre_dunkerque.toml")
    for f in demo.parent.glob("*.geojson"):
        shutil.copy(f, tmp_path / f.name)
    text = demo.read_text(encoding="utf-8")
    for old, new in (("[data]", "[landcover]"), ("\nlandcover = ", "\nafter = "),
                     ("trend_landcover_before = ", "before = "), ("trend_years = ", "years = ")):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "sc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_file_reads_the_bilan_names_and_the_old_ones(tmp_path):
    demo = data.data_path("landcover", "scenarios/flandre_dunkerque.toml")
    old = scenario_config.load_scenario_config(demo)
    new = scenario_config.load_scenario_config(_scenario_with_bilan_names(tmp_path))
    assert new.landcover == old.landcover and new.parcels == old.parcels
    assert new.trend_before == old.trend_before and new.trend_years == old.trend_years
    assert new.horizon == old.horizon == spec.DEFAULTS["horizon"]
    assert [s.name for s in new.scenarios] == [s.name for s in old.scenarios]


def test_scenario_problem_under_a_new_name_has_its_line(tmp_path):
    path = _scenario_with_bilan_names(tmp_path)
    text = path.read_text(encoding="utf-8").replace("years = [2012, 2018]",
                                                    "years = [2018, 2012]")
    path.write_text(text, encoding="utf-8")
    line = next(n for n, s in enumerate(text.splitlines(), 1) if s.startswith("years ="))
    with pytest.raises(ScenarioError) as exc:
        scenario_config.load_scenario_config(path)
    assert f"sc.toml:{line} : years [2018, 2012] : dates inversées" in str(exc.value)
    both = text.replace("[landcover]", "[landcover]\ntrend_changes = \"x.csv\"\n", 1)
    path.write_text(both.replace("[landcover]", "[data]\ntrend_years = [2012, 2018]\n"
                                 "\n[landcover]", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match="son ancien nom"):
        scenario_config.load_scenario_config(path)
