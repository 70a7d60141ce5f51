"""Fuzzing of the configuration loaders: only package errors come out.

Hypothesis writes random TOML documents (keys and values drawn from the real schema of
scenario files and bilan.toml mixed with garbage: booleans, nan/inf, huge numbers, wrong
structures), random bytes and random edits of the shipped examples, and feeds them to
:func:`load_scenario_config` and :func:`load_bilan_config`. Whatever the input, the loader either
returns a configuration that satisfies the invariants of a valid one, or raises an
:class:`EspassGeoError` whose problems each start with ``file[:line] : ``.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from espass_geo.errors import ConfigError, EspassGeoError, ScenarioError
from espass_geo.io.bilan_config import (
    CONFIG_KEYS,
    EMISSION_KEYS,
    EXAMPLE_CONFIG,
    LANDCOVER_KEYS,
    BilanConfig,
    load_bilan_config,
)
from espass_geo.io.scenario_config import (
    ACTION_KEYS,
    BASELINE_KEYS,
    DATA_KEYS,
    SCENARIO_KEYS,
    TOP_KEYS,
    ScenarioConfig,
    load_scenario_config,
)
from espass_geo.reference import data

pytestmark = pytest.mark.slow  # random documents, several seconds each: excluded by -m "not slow" (#14)

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ALL_KEYS = sorted(TOP_KEYS | DATA_KEYS | BASELINE_KEYS | SCENARIO_KEYS | CONFIG_KEYS
                  | LANDCOVER_KEYS | EMISSION_KEYS | {"file"}
                  | set().union(*ACTION_KEYS.values()))
WORDS = ["demo", "demo-2012", "aldo", "ipcc", "convert", "seal", "practice", "hedges",
         "catchCrops", "directSowingContinuous", "cultures", "prairies", "epci:245900428",
         "59183", "59183;59350", "5918", "dep:59", "2_1", "forest_broadleaf", "311",
         "demo:fd_zae.geojson", "demo:fd_reboisement.geojson", "baseline", "zones.gpkg", "",
         "../", "/", "a\x00b", "x" * 300]
PROBLEM = re.compile(r"^[^\n]+? : ", re.S)

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-2**63, max_value=2**63 - 1),
    st.integers(min_value=1980, max_value=2110),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2, max_value=2),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(WORDS),
    st.dates(),
    st.datetimes(),
)
keys = st.one_of(st.sampled_from(ALL_KEYS), st.text(max_size=6))
values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                     st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12)


def schema_table(names) -> st.SearchStrategy[dict]:
    """A table whose keys are mostly those of the schema, with any values."""
    return st.dictionaries(st.one_of(st.sampled_from(sorted(names)), keys), values, max_size=7)


actions = st.one_of(
    st.builds(lambda t, rest: {"type": t, **rest},
              st.sampled_from([*ACTION_KEYS, "x"]),
              schema_table(set().union(*ACTION_KEYS.values()))),
    values)
scenarios = st.builds(lambda t, acts: {**t, "action": acts},
                      schema_table(SCENARIO_KEYS), st.one_of(st.lists(actions, max_size=3),
                                                             values))
scenario_docs = st.builds(
    lambda top, d, b, sc: {**top, "data": d, "baseline": b, "scenario": sc},
    schema_table(TOP_KEYS - {"data", "baseline", "scenario"}),
    st.one_of(schema_table(DATA_KEYS), values),
    st.one_of(schema_table(BASELINE_KEYS), values),
    st.one_of(st.lists(scenarios, max_size=3), values))
bilan_docs = st.builds(
    lambda top, lc, em, sc: {**top, "landcover": lc, "emissions": em, "scenario": sc},
    schema_table(CONFIG_KEYS - {"landcover", "emissions", "scenario"}),
    st.one_of(schema_table(LANDCOVER_KEYS), values),
    st.one_of(schema_table(EMISSION_KEYS), values),
    st.one_of(schema_table({"file"}), values))


# ------------------------------------------------------------------ a small TOML writer
def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _inline(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime.date):
        return value.isoformat()  # TOML local date or local date-time
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return "{" + ", ".join(f"{_string(k)} = {_inline(v)}" for k, v in value.items()) + "}"


def to_toml(doc: dict) -> str:
    """Top-level scalars, then ``[table]`` and ``[[array]]`` sections (nested values inline)."""
    lines, sections = [], []
    for k, v in doc.items():
        if isinstance(v, dict):
            sections.append(f"[{_string(k)}]")
            sections += [f"{_string(kk)} = {_inline(vv)}" for kk, vv in v.items()]
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for item in v:
                sections.append(f"[[{_string(k)}]]")
                sections += [f"{_string(kk)} = {_inline(vv)}" for kk, vv in item.items()]
        else:
            lines.append(f"{_string(k)} = {_inline(v)}")
    return "\n".join(lines + sections) + "\n"


# ------------------------------------------------------------------ the invariants
@pytest.fixture(scope="module")
def folder():
    path = Path(tempfile.mkdtemp(prefix="fuzz_config_"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def check_scenario(path: Path) -> None:
    try:
        cfg = load_scenario_config(path)
    except ScenarioError as exc:
        assert str(exc).startswith("fichier de scénario"), str(exc)
        assert exc.problems, str(exc)
        assert all(PROBLEM.match(p) for p in exc.problems), exc.problems
        return
    except EspassGeoError as exc:
        pytest.fail(f"scenario loader raised {type(exc).__name__}, not ScenarioError: {exc}")
    assert isinstance(cfg, ScenarioConfig)
    assert type(cfg.start_year) is int and type(cfg.horizon) is int
    assert cfg.start_year < cfg.horizon
    assert math.isfinite(cfg.gwp_n2o) and cfg.gwp_n2o > 0
    assert cfg.landcover is not None and cfg.landcover.exists()
    for sc in cfg.scenarios:
        for a in sc.actions:
            assert cfg.start_year <= a.year <= cfg.horizon
            for key in ("length_km", "share", "sealed_share"):
                if key in a.params:
                    v = a.params[key]
                    assert not isinstance(v, bool) and math.isfinite(v) and v >= 0, (key, v)


def check_bilan(path: Path) -> None:
    try:
        cfg = load_bilan_config(path)
    except ConfigError as exc:
        assert str(exc).startswith("fichier de configuration"), str(exc)
        assert exc.problems, str(exc)
        assert all(PROBLEM.match(p) for p in exc.problems), exc.problems
        return
    except EspassGeoError as exc:
        pytest.fail(f"bilan loader raised {type(exc).__name__}, not ConfigError: {exc}")
    assert isinstance(cfg, BilanConfig)
    assert all(type(y) is int for y in cfg.years) and cfg.years[0] < cfg.years[1]
    assert math.isfinite(cfg.gwp_n2o) and cfg.gwp_n2o > 0
    assert isinstance(cfg.territory, str) and cfg.territory
    assert cfg.landcover is not None or cfg.areas is not None


@FUZZ
@given(doc=scenario_docs)
def test_random_scenario_documents(folder, doc):
    path = folder / "scénario.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    check_scenario(path)


@FUZZ
@given(doc=bilan_docs)
def test_random_bilan_documents(folder, doc):
    path = folder / "bilan.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    check_bilan(path)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes(folder, raw):
    for name, check in (("octets.toml", check_scenario), ("octets_bilan.toml", check_bilan)):
        path = folder / name
        path.write_bytes(raw)
        check(path)


def _demo_scenario_text() -> str:
    text = data.data_path("landcover", "scenarios/flandre_dunkerque.toml").read_text(
        encoding="utf-8")
    return re.sub(r'geometry = "([^"]+)"', r'geometry = "demo:\1"', text)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["drop", "dup", "value"]),
                                scalars), min_size=1, max_size=4))
def test_edited_examples(folder, edits):
    """Line edits of the shipped examples: a line dropped or doubled, a value replaced."""
    for text, name, check in ((_demo_scenario_text(), "exemple.toml", check_scenario),
                              (EXAMPLE_CONFIG, "exemple_bilan.toml", check_bilan)):
        lines = text.splitlines()
        for index, op, value in edits:
            i = index % len(lines)
            if op == "drop":
                del lines[i]
            elif op == "dup":
                lines.insert(i, lines[i])
            elif "=" in lines[i] and not lines[i].lstrip().startswith("#"):
                key = lines[i].split("=", 1)[0]
                lines[i] = f"{key}= {_inline(value)}"
            if not lines:
                lines = ["# vide"]
        path = folder / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        check(path)


def test_the_writer_round_trips():
    """The fuzzer's TOML writer is itself right (else the tests above prove little)."""
    import tomllib

    doc = {"a": True, "b": [1, 2.5], "c": {"d": "é\x7f\n"}, "e": [{"f": 1}, {"g": [{"h": 2}]}],
           "t": datetime.datetime(2025, 1, 2, 3, 4, 5), "u": datetime.date(2025, 1, 2)}
    assert tomllib.loads(to_toml(doc)) == doc
    assert math.isnan(tomllib.loads(to_toml({"x": float("nan")}))["x"])


def test_the_examples_are_valid(folder):
    path = folder / "exemple.toml"
    path.write_text(_demo_scenario_text(), encoding="utf-8")
    assert len(load_scenario_config(path).scenarios[0].actions) == 5
    path = folder / "exemple_bilan.toml"
    path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    assert load_bilan_config(path).years == (2012, 2018)


@FUZZ
@given(spec=st.one_of(
    st.text(alphabet="0123456789;, :epcidgo2AB", max_size=24),
    st.builds(lambda p, c: p + c, st.sampled_from(["", "epci:", "dep:", "cog2026:", "cog2018:"]),
              st.lists(st.sampled_from(["59183", "59350", "5918", "245900428", "200040954",
                                        "59", "62", "75", "2A001", "abc", ""]),
                       max_size=3).map(",".join))))
def test_territory_specifications(spec):
    """A territory written as codes either resolves to zones or gives a package error, and the
    loaders' early check (no geometry read) agrees with the full resolution."""
    import warnings

    from espass_geo.territory.resolve import check_territory_spec, resolve_territory

    early = check_territory_spec(spec)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # small territories are warned about
            t = resolve_territory(spec)
    except EspassGeoError as exc:
        assert str(exc)
        if type(exc).__name__ in ("TerritoryNotFoundError", "EmptyTerritoryError"):
            assert early is not None, (spec, str(exc))
        return
    assert early is None, (spec, early)
    assert len(t.zones) > 0 and t.zones["zone_id"].is_unique
    assert t.zones.crs.to_epsg() == 2154


coordinate = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.floats(min_value=640_000, max_value=660_000),
                       st.floats(min_value=2.0, max_value=3.0))
geometries = st.one_of(
    st.builds(lambda ring: {"type": "Polygon", "coordinates": [ring]},
              st.lists(st.lists(coordinate, min_size=0, max_size=3), max_size=6)),
    st.builds(lambda xy: {"type": "Point", "coordinates": xy}, st.lists(coordinate, max_size=3)),
    st.builds(lambda gs: {"type": "GeometryCollection", "geometries": gs},
              st.lists(st.builds(lambda xy: {"type": "Point", "coordinates": xy},
                                 st.lists(coordinate, min_size=2, max_size=2)), max_size=2)),
    st.none(), values)


@FUZZ
@given(features=st.lists(st.fixed_dictionaries(
    {"properties": st.dictionaries(st.sampled_from(["zone_id", "code", "nom", "x"]), scalars,
                                   max_size=3),
     "geometry": geometries}), max_size=4),
    crs=st.sampled_from([None, "EPSG:2154", "EPSG:4326", "EPSG:3857", "garbage"]),
    raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_random_territory_files(folder, features, crs, raw):
    """A territory file of random features (any geometry, NaN/inf coordinates, random CRS
    member) or random bytes gives zones or a package error, never another exception."""
    import warnings

    from espass_geo.territory.resolve import resolve_territory

    path = folder / "zones.geojson"
    if raw is not None:
        path.write_bytes(raw)
    else:
        doc = {"type": "FeatureCollection",
               "features": [{"type": "Feature", **f} for f in features]}
        if crs is not None:
            doc["crs"] = {"type": "name", "properties": {"name": crs}}
        path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = resolve_territory(path, zpc="2_1")
    except EspassGeoError as exc:
        assert str(path.name) in str(exc) or "zone" in str(exc), str(exc)
        return
    assert len(t.zones) > 0 and t.zones["zone_id"].is_unique
    assert (t.zones.geometry.area > 0).all()
    assert t.zones.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
