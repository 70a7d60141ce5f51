"""bilan.toml ``[landcover]``: the keys of land cover in every form (issue #11).

``nomenclature``, ``code_field``, ``forest``, ``hedges`` and ``series`` are read into
:class:`~espass_geo.io.bilan_config.BilanConfig` (paths relative to the file), every bad value is
listed with its line in one :class:`~espass_geo.errors.ConfigError`, :func:`config_as_toml`
writes them back so that the copy loads to the same fields, and a bilan on the embedded
synthetic OCS GE layers runs end to end and says its land cover is synthetic. Line numbers are
counted by hand in the texts below.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from espass_geo.cli import main
from espass_geo.errors import ConfigError
from espass_geo.io.bilan_config import config_as_toml, load_bilan_config
from espass_geo.reference import data

DEMO_OCSGE = data.data_path("landcover", "demo_flandre_dunkerque_ocsge2018_synthetic.gpkg")
DEMO_OCSGE_2012 = data.data_path("landcover", "demo_flandre_dunkerque_ocsge2012_synthetic.gpkg")
FIELDS = ("landcover", "before", "years", "series", "nomenclature", "code_field", "forest",
          "forest_areas", "hedges", "parcels", "areas", "changes", "max_nodata_share")


def _files(tmp: Path, *names: str) -> None:
    """Empty files: the loader checks that they exist, the readers are not called."""
    for name in names:
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")


def _write(tmp: Path, text: str, name: str = "bilan.toml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_bilan_config(path)
    assert str(e.value).startswith(f"fichier de configuration « {path} »")
    return e.value.problems


def _at(problems: list[str], line: int, *parts: str, name: str = "bilan.toml") -> str:
    """The one problem on ``line`` naming every ``part``."""
    hits = [p for p in problems if p.startswith(f"{name}:{line} : ")
            and all(part in p for part in parts)]
    assert len(hits) == 1, (line, parts, problems)
    return hits[0]


HEAD = 'title = "t"\nterritory = "59067,59082"\n[landcover]\n'


# ----------------------------------------------------------------------------- good values
def test_series_sorted_gives_years_before_after(tmp_path):
    # written out of order, demo names and a relative file mixed: sorted 2012 < 2015 < 2018;
    # the bilan's state and last period come from the last two dates (2015 -> 2018)
    _files(tmp_path, "couches/occ2015.gpkg")
    cfg = load_bilan_config(_write(tmp_path, HEAD + (
        'series = ["2018=demo-ocsge", {year = 2012, file = "demo-ocsge-2012"}, '
        '"2015=couches/occ2015.gpkg"]\n')))
    assert cfg.series == ((2012, DEMO_OCSGE_2012), (2015, tmp_path / "couches/occ2015.gpkg"),
                          (2018, DEMO_OCSGE))
    assert cfg.years == (2015, 2018)
    assert cfg.before == tmp_path / "couches/occ2015.gpkg"
    assert cfg.landcover == DEMO_OCSGE


def test_two_date_series(tmp_path):
    cfg = load_bilan_config(_write(tmp_path, HEAD + (
        'series = ["2018=demo-ocsge", "2012=demo-ocsge-2012"]\n')))
    assert cfg.series == ((2012, DEMO_OCSGE_2012), (2018, DEMO_OCSGE))
    assert (cfg.years, cfg.before, cfg.landcover) == ((2012, 2018), DEMO_OCSGE_2012, DEMO_OCSGE)


@pytest.mark.parametrize("name", ["clc", "eea", "oso", "ocsge", "ocs2d"])
def test_nomenclature_names(tmp_path, name):
    cfg = load_bilan_config(_write(tmp_path, HEAD + f'after = "demo"\nnomenclature = "{name}"\n'))
    assert cfg.nomenclature == name


def test_nomenclature_csv_relative_to_the_file(tmp_path):
    _files(tmp_path, "tables/ma_table.csv")
    sub = tmp_path / "conf"
    sub.mkdir()
    # the file is in conf/, the table in tables/: "../tables/ma_table.csv" from the file
    cfg = load_bilan_config(_write(sub, HEAD + 'after = "demo"\n'
                                   'nomenclature = "../tables/ma_table.csv"\n'))
    assert cfg.nomenclature == sub / "../tables/ma_table.csv"
    assert Path(cfg.nomenclature).resolve() == (tmp_path / "tables/ma_table.csv").resolve()


def test_code_field_forest_hedges(tmp_path):
    _files(tmp_path, "bdforet.gpkg", "haies/bdhaie.gpkg")
    cfg = load_bilan_config(_write(tmp_path, HEAD + (
        'after = "demo-ocsge"\nbefore = "demo-ocsge-2012"\ncode_field = " CODE_CS+CODE_US "\n'
        'forest = "bdforet.gpkg"\nhedges = "haies/bdhaie.gpkg"\nnomenclature = "ocsge"\n')))
    assert cfg.code_field == "CODE_CS+CODE_US"  # spaces around dropped
    assert cfg.forest == tmp_path / "bdforet.gpkg"
    assert cfg.hedges == tmp_path / "haies/bdhaie.gpkg"
    assert (cfg.landcover, cfg.before, cfg.nomenclature) == (DEMO_OCSGE, DEMO_OCSGE_2012, "ocsge")
    assert cfg.forest_areas is None and cfg.series == ()


def test_hedges_csv(tmp_path):
    _files(tmp_path, "haies.csv")
    cfg = load_bilan_config(_write(tmp_path, HEAD + 'after = "demo"\nhedges = "haies.csv"\n'))
    assert cfg.hedges == tmp_path / "haies.csv"


# ----------------------------------------------------------------------------- bad values
def test_every_bad_value_listed_with_its_line(tmp_path):
    _files(tmp_path, "bdforet.gpkg", "foret.csv", "sans_date.gpkg")
    text = HEAD + (
        # 4: a bad item, a duplicated year, a year out of range
        'series = ["2018=demo-ocsge", "2018=sans_date.gpkg", "abc", "1800=demo"]\n'
        'before = "demo-2012"\n'          # 5: series and before
        'after = "demo"\n'                # 6: series and after
        'years = [2012, 2018]\n'          # 7: series and years
        'forest = "bdforet.gpkg"\n'       # 8: forest and forest_areas
        'forest_areas = "foret.csv"\n'    # 9
        'nomenclature = "corine"\n'       # 10: unknown
        'code_field = "  "\n')            # 11: empty
    probs = _problems(_write(tmp_path, text))
    _at(probs, 4, "abc", "ANNÉE=FICHIER")
    _at(probs, 4, "1800", "1985")
    _at(probs, 4, "2018", "en double")
    for line, key in ((5, "before"), (6, "after"), (7, "years")):
        _at(probs, line, "series", key, "s'excluent")
    _at(probs, 8, "forest", "forest_areas", "s'excluent")
    _at(probs, 10, "corine", "inconnue", "ocsge")
    _at(probs, 11, "code_field", "CODE_18")
    assert len(probs) == 9, probs
    # sorted by line: what the user reads top to bottom
    lines = [int(p.split(":")[1].split(" ")[0]) for p in probs]
    assert lines == sorted(lines)


@pytest.mark.parametrize("value, parts", [
    ('["2018=demo-ocsge"]', ("au moins deux",)),
    ('"2018=demo-ocsge"', ("au moins deux", "liste")),
    ('["2018=demo-ocsge", "2012"]', ("« 2012 »", "ANNÉE=FICHIER")),
    ('["2018=demo-ocsge", {year = 2012}]', ("year = 2018, file =",)),
    ('["2018=demo-ocsge", {year = "deux mille", file = "demo-ocsge-2012"}]', ("deux mille",)),
    ('["2018=demo-ocsge", "2012=absent.gpkg"]', ("absent.gpkg", "introuvable")),
    ('["2018=demo-ocsge", "2018=sans_date.gpkg"]', ("2018", "en double")),
    # the year of a demo layer, or the one year of a file name, must be the year given
    ('["2018=demo-ocsge", "2015=demo-ocsge-2012"]', ("demo-ocsge-2012", "date de 2012",
                                                    "pas de 2015")),
    ('["2018=demo-ocsge", "2015=ocsge2012.gpkg"]', ("ocsge2012.gpkg", "date de 2012",
                                                   "renommez le fichier")),
])
def test_bad_series(tmp_path, value, parts):
    _files(tmp_path, "sans_date.gpkg")
    probs = _problems(_write(tmp_path, HEAD + f"series = {value}\n"))
    _at(probs, 4, *parts)


def test_nomenclature_csv_missing_and_empty_names(tmp_path):
    probs = _problems(_write(tmp_path, HEAD + 'after = "demo"\nnomenclature = "absente.csv"\n'))
    _at(probs, 5, "absente.csv", "introuvable")
    probs = _problems(_write(tmp_path, HEAD + 'after = "demo"\nnomenclature = ""\n'))
    _at(probs, 5, "nomenclature", "ocs2d")
    probs = _problems(_write(tmp_path, HEAD + 'after = "demo"\ncode_field = 18\n'))
    _at(probs, 5, "code_field", "18")


def test_forest_needs_a_land_cover(tmp_path):
    # a BD Forêt refines the forest of a land cover; with an area table it would be ignored
    _files(tmp_path, "bdforet.gpkg", "surfaces.csv")
    probs = _problems(_write(tmp_path, HEAD + 'areas = "surfaces.csv"\nforest = "bdforet.gpkg"\n'))
    _at(probs, 5, "forest", "forest_areas")


# ----------------------------------------------------------------------------- round trip
def _same_fields(a, b) -> None:
    for name in FIELDS:
        va, vb = getattr(a, name), getattr(b, name)
        if isinstance(va, Path) or isinstance(vb, Path):
            va, vb = Path(va).resolve(), Path(vb).resolve()
        elif name == "series":
            va = tuple((y, Path(p).resolve()) for y, p in va)
            vb = tuple((y, Path(p).resolve()) for y, p in vb)
        assert va == vb, (name, va, vb)


@pytest.mark.parametrize("landcover", [
    'series = ["2018=demo-ocsge", "2012=demo-ocsge-2012", "2015=occ2015.gpkg"]\n'
    'nomenclature = "tables/ocs.csv"\ncode_field = "CS+US"\nforest = "bdforet.gpkg"\n'
    'hedges = "bdhaie.gpkg"\nmax_nodata_share = 0.7\n',
    'after = "demo-ocsge"\nbefore = "demo-ocsge-2012"\nyears = [2012, 2018]\n'
    'nomenclature = "ocsge"\ncode_field = "CODE_CS+CODE_US"\nforest = "bdforet.gpkg"\n'
    'hedges = "haies.csv"\nparcels = "demo"\n',
])
def test_config_as_toml_round_trip(tmp_path, landcover):
    _files(tmp_path, "occ2015.gpkg", "tables/ocs.csv", "bdforet.gpkg", "bdhaie.gpkg",
           "haies.csv")
    cfg = load_bilan_config(_write(tmp_path, HEAD + landcover))
    copy_dir = tmp_path / "sortie"
    copy_dir.mkdir()
    again = load_bilan_config(_write(copy_dir, config_as_toml(cfg)))
    _same_fields(cfg, again)


# ----------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_bilan_on_the_synthetic_ocsge_layers(tmp_path):
    """Two communes of the demo (Bergues 59067, Bierne 59082) on the synthetic OCS GE layers of
    2012 and 2018 and the demo parcels: the bilan runs, and says its land cover is synthetic
    (stock and flow rows marked as estimates, the synthetic note in the report)."""
    _write(tmp_path, HEAD + 'after = "demo-ocsge"\nbefore = "demo-ocsge-2012"\nparcels = "demo"\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bilan", "--config", str(tmp_path / "bilan.toml"),
                                       "--out", str(out), "-q"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output
    with (out / "bilan.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["zone_id"] for r in rows} >= {"59067", "59082"}
    for theme in ("stocks", "flux_carbone"):
        mine = [r for r in rows if r["theme"] == theme]
        assert mine, theme
        assert all(r["estimate"] == "True" for r in mine), theme
    report = (out / "rapport.html").read_text(encoding="utf-8")
    assert "SYNTHÉTIQUE" in report and "occupation du sol synthétique" in report
    # the copy of the configuration beside the results loads to the same land cover
    again = load_bilan_config(out / "bilan.toml")
    assert (again.landcover, again.before) == (DEMO_OCSGE, DEMO_OCSGE_2012)
