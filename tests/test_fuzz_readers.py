"""Fuzzing the table readers: whatever the bytes, only package errors come out.

Each reader of a user CSV gets random bytes, random CSV-like text and random tables with its own
header and cells drawn from the sloppy values planners' files contain (decimal commas,
thousands separators, NaN, inf, 1e400, text, empty cells, codes with leading zeros). A reader
may accept the table or raise an :class:`EspassGeoError` subclass; a ``KeyError``,
``ValueError``, ``UnicodeDecodeError`` or any other exception is a bug. Accepted tables are
checked for the invariant that matters most: every number is finite.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from espass_geo.errors import EspassGeoError
from espass_geo.io.area_tables import area_table_from_csv, read_forest_areas
from espass_geo.io.change_tables import change_table_from_csv
from espass_geo.io.inventory import (
    read_footprint_adjustments,
    read_inventory,
    read_land_flows,
    read_population,
)
from espass_geo.io.tables import read_hedges, read_table

pytestmark = pytest.mark.slow  # random tables, several seconds each: excluded by -m "not slow" (#14)

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ZONES = gpd.GeoDataFrame({"zone_id": ["A", "59183"]},
                         geometry=[box(0, 0, 200, 400), box(200, 0, 400, 400)], crs=2154)

CELLS = st.one_of(
    st.sampled_from(["", " ", "0", "1", "-1", "8", "2.5", "2,5", "1,234", "1.234", "1 234",
                     "1\u00a0234,5", "1.234,5", "NaN", "nan", "NA", "#N/A", "inf", "-inf",
                     "1e400", "-1e400", "1e-400", "1_000", "0x10", "beaucoup", "A", "B", "59183",
                     "01001", "211", "112", "311", "211.0", "feuillus", "coniferes", "*",
                     "deplacements", "residentiel", "GES", "NOx", "CO2", "t", "tCO2e", "kg",
                     "2021", "2019", "commune", "=1+1", '"', "'", ";", ",", "\t", "é", "\u2028"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.text(max_size=8),
)


def _run(reader, raw: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "table.csv"
        path.write_bytes(raw)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # warnings are allowed; exceptions are judged
                out = reader(path)
        except EspassGeoError as exc:
            assert str(exc).strip(), "an error must say something"
            return None
    return out


def _finite(df: pd.DataFrame, columns) -> None:
    for c in columns:
        if c in df:
            assert all(math.isfinite(float(v)) for v in df[c]), (c, df[c].tolist())


def _table(header: list[str]):
    """Random rows under ``header`` (sometimes a short or long row), joined with a random
    separator and encoded in a random encoding."""
    row = st.lists(CELLS, min_size=max(len(header) - 1, 0), max_size=len(header) + 1)
    return st.tuples(st.lists(row, min_size=0, max_size=6), st.sampled_from([",", ";", "\t"]),
                     st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))


def _encode(header, rows, sep, enc) -> bytes:
    def q(c: str) -> str:
        return f'"{c}"' if (sep in c or '"' in c) and not c.startswith('"') else c
    text = sep.join(header) + "\n" + "".join(sep.join(q(c) for c in r) + "\n" for r in rows)
    return text.encode(enc, errors="replace")


READERS = {
    "areas_long": (lambda p: area_table_from_csv(p).table, ["zone_id", "code", "area_ha"],
                   ["area_ha"]),
    "areas_wide": (lambda p: area_table_from_csv(p).table, ["siren", "211", "311"], ["area_ha"]),
    "changes": (lambda p: change_table_from_csv(p).table,
                ["zone_id", "from_code", "to_code", "area_ha"], ["area_ha"]),
    "changes_wide": (lambda p: change_table_from_csv(p).table, ["siren", "211-112", "311-324"],
                     ["area_ha"]),
    "forest": (read_forest_areas, ["zone_id", "composition", "area_ha"], ["area_ha"]),
    "forest_wide": (read_forest_areas, ["siren", "feuillus", "coniferes", "mixtes",
                                        "peupleraies"], ["area_ha"]),
    "inventory": (read_inventory, ["territory_code", "territory_level", "sector", "substance",
                                   "year", "value", "unit"], ["value_t"]),
    "population": (lambda p: read_population(p, pd.Series(["A", "59183"])),
                   ["insee", "population"], ["population"]),
    "land_flows": (lambda p: read_land_flows(p, ["A", "59183"]), ["zone_id", "flux_tCO2e_an"],
                   ["flux_tCO2e_an"]),
    "adjustments": (lambda p: read_footprint_adjustments(p, ["A", "59183"]),
                    ["zone_id", "post", "factor", "driver"], ["factor"]),
    "hedges": (lambda p: read_hedges(p, ZONES), ["zone_id", "length_km"], ["length_km"]),
    "read_table": (lambda p: read_table(p, "table").df, ["a", "b"], []),
}


@FUZZ
@given(raw=st.binary(max_size=400), name=st.sampled_from(sorted(READERS)))
def test_random_bytes(raw, name):
    reader, _, numeric = READERS[name]
    out = _run(reader, raw)
    if out is not None:
        _finite(out, numeric)


CSV_TEXT = st.text(alphabet=st.sampled_from(list("AB0123456789.,;\t\n\r \"'-+eE#é\u00a0")),
                   max_size=200)


@FUZZ
@given(text=CSV_TEXT, name=st.sampled_from(sorted(READERS)),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_random_csv_text(text, name, enc):
    reader, header, numeric = READERS[name]
    out = _run(reader, (",".join(header) + "\n" + text).encode(enc, errors="replace"))
    if out is not None:
        _finite(out, numeric)


def _structured_test(name):
    reader, header, numeric = READERS[name]

    @FUZZ
    @given(data=_table(header))
    def test(data):
        rows, sep, enc = data
        out = _run(reader, _encode(header, rows, sep, enc))
        if out is not None:
            _finite(out, numeric)
            if "area_ha" in numeric and len(out):
                assert (out["area_ha"] >= 0).all()

    test.__name__ = f"test_random_table_{name}"
    return test


for _name in READERS:
    globals()[f"test_random_table_{_name}"] = _structured_test(_name)


#: A valid table per reader (accepted as is); the mutation test changes one cell of it.
VALID = {
    "areas_long": [["A", "211", "6"], ["A", "112", "2"], ["59183", "311", "3"]],
    "areas_wide": [["A", "6", "2"], ["59183", "", "3"]],
    "changes": [["A", "211", "112", "1"], ["59183", "311", "324", "0.5"]],
    "changes_wide": [["A", "1", ""], ["59183", "0.5", "2"]],
    "forest": [["A", "feuillus", "2"], ["59183", "coniferes", "1"]],
    "forest_wide": [["A", "2", "0", "0", "1"], ["59183", "1", "", "0", "0"]],
    "inventory": [["59183", "commune", "residentiel", "GES", "2021", "10", "tCO2e"],
                  ["59183", "commune", "residentiel", "NOx", "2018", "1", "t"]],
    "population": [["A", "800"], ["59183", "86000"]],
    "land_flows": [["A", "-3"], ["59183", "12.5"]],
    "adjustments": [["*", "deplacements", "1.2", "motorisation"]],
    "hedges": [["A", "0.5"], ["59183", "0.2"]],
    "read_table": [["1", "2"]],
}


def test_valid_tables_are_accepted():
    for name, rows in VALID.items():
        reader, header, numeric = READERS[name]
        out = _run(reader, _encode(header, rows, ",", "utf-8"))
        assert out is not None, name
        _finite(out, numeric)


@FUZZ
@given(name=st.sampled_from(sorted(VALID)), data=st.data(), sep=st.sampled_from([",", ";", "\t"]),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_one_cell_mutated(name, data, sep, enc):
    """A valid table with one cell replaced by a sloppy value: accepted with finite numbers,
    or refused with a package error."""
    reader, header, numeric = READERS[name]
    rows = [list(r) for r in VALID[name]]
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, len(header) - 1))
    rows[i][j] = data.draw(CELLS)
    out = _run(reader, _encode(header, rows, sep, enc))
    if out is not None:
        _finite(out, numeric)
