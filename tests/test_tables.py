"""The validated table reader (espass_geo.io.tables) and the readers built on it, rule by rule."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import espass_geo as eg
from espass_geo.errors import (
    AreaTableError,
    EspassGeoWarning,
    InconsistentAreasWarning,
    InputFileError,
    InventoryError,
)
from espass_geo.io.area_tables import area_table_from_csv, read_forest_areas
from espass_geo.io.change_tables import change_table_from_csv
from espass_geo.io.inventory import read_inventory, read_land_flows, read_population
from espass_geo.io.tables import (
    Number,
    TableWarning,
    classify_number,
    numbers,
    parse_number,
    read_hedges,
    read_table,
)
from espass_geo.reference import data

X0, Y0 = 700000.0, 6600400.0


@pytest.mark.parametrize(("text", "decimal", "expected"), [
    ("1234.5", ".", 1234.5),
    ("  7 ", ".", 7.0),
    ("-0,5", ",", -0.5),
    ("1,5e3", ",", 1500.0),          # 1.5 × 10³
    ("1 234,5", ",", 1234.5),        # French grouping by spaces: unambiguous
    ("1\u00a0234,5", ",", 1234.5),   # no-break space, as Excel writes it
    ("1\u202f234", ",", 1234.0),     # narrow no-break space
    ("1,234", ",", 1.234),           # a French file: the comma is the decimal mark
    ("1.234", ".", 1.234),           # an English file: the point is the decimal mark
    ("2e3", ".", 2000.0),
])
def test_parse_number_accepts_unambiguous(text, decimal, expected):
    assert parse_number(text, decimal) == pytest.approx(expected, rel=0, abs=1e-12)


@pytest.mark.parametrize(("text", "decimal", "reason"), [
    ("1,234", ".", "ambigu"),             # thousands or decimal comma?
    ("1,234,567", ".", "ambigu"),
    ("1.234", ",", "ambigu"),             # a point of thousands in a French file?
    ("1.234,5", ",", "milliers"),         # both marks
    ("1,234.5", ".", "milliers"),
    ("1 234", ".", "milliers"),           # space grouping in an English file
    ("12 34", ",", "pas un nombre"),      # not a grouping of three digits
    ("1_000", ".", "pas un nombre"),      # Python's float() would read 1000
    ("0x10", ".", "pas un nombre"),
    ("inf", ".", "non fini"),
    ("-Infinity", ".", "non fini"),
    ("1e400", ".", "non fini"),           # overflows to inf
    ("NaN", ".", "manquante"),
    ("#N/A", ".", "manquante"),
    ("", ".", "vide"),
    ("2,5", ".", "virgule décimale"),
    ("2.5", ",", "une seule convention"),
    ("douze", ".", "pas un nombre"),
])
def test_parse_number_refuses_with_reason(text, decimal, reason):
    with pytest.raises(ValueError, match=reason):
        parse_number(text, decimal)


def test_classify_number_kinds():
    assert [classify_number(s) for s in ("12", "1.5", "1,5", "1.234", "1,234", "1 234",
                                         "1.234,5", "", "NA", "inf", "x")] == [
        "plain", "dot", "comma", "dot_groups", "comma_groups", "space_groups", "dot_comma",
        "empty", "missing", "infinite", "text"]


def test_french_excel_file_read_correctly(tmp_path):
    """« ; », decimal comma, Windows-1252, a BOM-less file as French Excel saves it."""
    p = tmp_path / "surfaces.csv"
    p.write_bytes("zone_id;code;area_ha;libellé\nA;211;1\u00a0234,5;Blé\nA;112;0,5;Bâti\n"
                  .encode("cp1252"))
    t = read_table(p, "table de surfaces")
    assert (t.sep, t.encoding) == (";", "cp1252")
    df = numbers(t, {"area_ha": Number(minimum=0)})
    assert t.decimal == ","
    assert df["area_ha"].tolist() == [1234.5, 0.5]
    assert df["libellé"].tolist() == ["Blé", "Bâti"]


def test_utf8_bom_and_utf16_files(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbfzone_id,area_ha\n01001,2.5\n")
    t = read_table(p, "t")
    assert list(t.df.columns) == ["zone_id", "area_ha"]  # no BOM glued to the first name
    assert t.df["zone_id"].tolist() == ["01001"]          # leading zero kept
    p16 = tmp_path / "u16.csv"
    p16.write_bytes("zone_id\tarea_ha\n01001\t2,5\n".encode("utf-16"))
    t = read_table(p16, "t")
    assert (t.sep, t.encoding) == ("\t", "utf-16")
    assert numbers(t, {"area_ha": Number()})["area_ha"].tolist() == [2.5]


def test_semicolon_file_without_decimal_comma_refuses_ambiguous_thousands(tmp_path):
    """« 1,234 » is ambiguous when no other cell of the file shows a decimal comma; with one
    (2,5) the file is French and « 1,234 » is 1.234."""
    p = tmp_path / "a.csv"
    p.write_text("zone_id;area_ha\nA;1,234\nB;7\n")
    with pytest.raises(InputFileError, match=r"ligne 2, colonne area_ha : « 1,234 ».*ambigu"):
        numbers(read_table(p, "t"), {"area_ha": Number()})
    p.write_text("zone_id;area_ha\nA;1,234\nB;2,5\n")
    assert numbers(read_table(p, "t"), {"area_ha": Number()})["area_ha"].tolist() == [1.234, 2.5]


def test_duplicate_row_named_with_file_lines(tmp_path):
    """Header = line 1; a blank line 3 is skipped but counted: the repeat is on line 4."""
    p = tmp_path / "dup.csv"
    p.write_text("zone_id,code,area_ha\nA,211,6\n\nA,211,6\nB,311,8\n")
    with pytest.raises(AreaTableError, match=r"dup\.csv.*lignes 2, 4 : lignes identiques"):
        area_table_from_csv(p)


def test_every_bad_cell_listed_in_one_error(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("zone_id,code,area_ha\nA,211,NaN\nA,112,-1\nB,311,inf\nB,231,beaucoup\n")
    with pytest.raises(AreaTableError) as e:
        area_table_from_csv(p)
    msg = str(e.value)
    assert "4 problème(s)" in msg
    for line, value in ((2, "NaN"), (3, "-1"), (4, "inf"), (5, "beaucoup")):
        assert f"ligne {line}, colonne area_ha : « {value} »" in msg


def test_wide_table_empty_cell_is_zero_but_nan_is_refused(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("siren,211,311\n245900428,10,\n")
    assert area_table_from_csv(p).table["area_ha"].tolist() == [10.0]  # empty 311 = 0, dropped
    p.write_text("siren,211,311\n245900428,10,NaN\n")
    with pytest.raises(AreaTableError, match="ligne 2, colonne 311"):
        area_table_from_csv(p)


def test_row_with_too_many_cells(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("zone_id,code,area_ha\nA,211,2,5\n")
    with pytest.raises(InputFileError, match=r"ligne 2 : 4 valeurs pour 3 colonnes"):
        read_table(p, "t")


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "vide"), (b"\n\n", "vide"), (b"a,b\n", "aucune ligne"),
    (b"\x00\x01\x02", "binaire"), (b"a,b\n1,\x81\x8d\n", "encodage"),
    (b"a,a\n1,2\n", "en double"), (b"a,,b\n1,2,3\n", "pas de nom"),
])
def test_unreadable_files(tmp_path, raw, reason):
    p = tmp_path / "f.csv"
    p.write_bytes(raw)
    with pytest.raises(InputFileError, match=reason):
        read_table(p, "t")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputFileError, match="introuvable"):
        read_table(tmp_path / "absent.csv", "t")
    with pytest.raises(InputFileError, match="dossier"):
        read_table(tmp_path, "t")


# ----------------------------------------------------------------------- territory checks
def _two_box_territory(tmp_path):
    from espass_geo.territory.resolve import resolve_territory

    z = gpd.GeoDataFrame({"zone_id": ["A", "B"], "zone_name": ["A", "B"]},
                         geometry=[box(X0, Y0 - 400, X0 + 200, Y0),
                                   box(X0 + 200, Y0 - 400, X0 + 400, Y0)], crs=2154)
    path = tmp_path / "zones.geojson"
    z.to_file(path, engine="pyogrio")
    return resolve_territory(str(path), zpc="2_1")


def test_closure_applied_to_csv_areas(tmp_path):
    """Zones are 200 m × 400 m = 8 ha. 8.04 ha (+0.5 %) passes, 8.05 ha (+0.625 %) is refused;
    4 ha in B (50 % covered) warns with the uncovered share."""
    t = _two_box_territory(tmp_path)
    p = tmp_path / "a.csv"
    p.write_text("zone_id,code,area_ha\nA,211,8.04\nB,311,8\n")
    r = eg.stocks(t, areas=p)
    assert r.areas.table["area_ha"].sum() == pytest.approx(16.04)
    p.write_text("zone_id,code,area_ha\nA,211,8.05\nB,311,8\n")
    with pytest.raises(AreaTableError, match=r"(?s)dépassent.*zone A : 8,05"):
        eg.stocks(t, areas=p)
    p.write_text("zone_id,code,area_ha\nA,211,8\nB,311,4\n")
    with pytest.warns(InconsistentAreasWarning, match=r"zone B n'est couverte qu'à 50,0"):
        r = eg.stocks(t, areas=p)
    s = r.areas.summary.set_index("zone_id")
    assert s.loc["B", "nodata_area_ha"] == pytest.approx(4.0)  # 8 − 4 ha
    p.write_text("zone_id,code,area_ha\nA,211,8\n")
    with pytest.raises(AreaTableError, match=r"1 zone\(s\) du territoire sans aucune surface : B"):
        eg.stocks(t, areas=p)


def test_hedge_density_bounds(tmp_path):
    """8 ha zones: 0.8 km = 100 m/ha (ALDO's grassland bocage) passes silently; 1.0 km =
    125 m/ha warns; 1.7 km = 212.5 m/ha (> 200) is refused."""
    t = _two_box_territory(tmp_path)
    p = tmp_path / "haies.csv"
    p.write_text("zone_id,length_km\nA,0.8\nB,0\n")
    assert read_hedges(p, t.zones)["length_km"].tolist() == [0.8, 0.0]
    p.write_text("zone_id,length_km\nA,1.0\nB,0\n")
    with pytest.warns(TableWarning, match="125 m de haie par hectare"):
        read_hedges(p, t.zones)
    p.write_text("zone_id,length_km\nA,1.7\nB,0\n")
    # 212.5 m/ha rounded half-up by fmt_quantity
    with pytest.raises(AreaTableError,
                       match="ligne 2 : zone A, 1,70\xa0km pour 8\xa0ha, soit 213\xa0m/ha"):
        read_hedges(p, t.zones)
    p.write_text("zone_id,length_km\nA,0.5\n")
    with pytest.warns(TableWarning, match=r"absente\(s\).*: B"):
        read_hedges(p, t.zones)


def test_population_rules(tmp_path):
    zones = pd.Series(["01001", "59183"])
    p = tmp_path / "pop.csv"
    p.write_text("insee,population\n01001,800\n59183,86000\n")
    assert read_population(p, zones)["population"].tolist() == [800.0, 86000.0]
    p.write_text("insee,population\n01001,0\n59183,86000\n")
    with pytest.raises(InventoryError, match=r"ligne 2, colonne population : « 0 ».*> 0"):
        read_population(p, zones)
    p.write_text("insee,population\n1001,800\n59183,86000\n")  # Excel dropped the zero
    with pytest.raises(InventoryError, match=r"01001.*zéro initial"):
        read_population(p, zones)


def test_land_flows_text_value_named(tmp_path):
    p = tmp_path / "flows_zones.csv"
    p.write_text("zone_id,zone_name,flux_tCO2e_an\n59183,Dunkerque,beaucoup\n")
    with pytest.raises(InputFileError, match=r"ligne 2, colonne flux_tCO2e_an : « beaucoup »"):
        read_land_flows(p, ["59183"])


def test_inventory_duplicate_and_years(tmp_path):
    head = "territory_code,territory_level,sector,substance,year,value,unit\n"
    row = "59183,commune,residentiel,GES,2021,10,tCO2e\n"
    p = tmp_path / "inv.csv"
    p.write_text(head + row + row)
    with pytest.raises(InventoryError, match=r"ligne\(s\) 2, 3 .*double"):
        read_inventory(p)
    p.write_text(head + row + row.replace("2021", "2019"))
    with pytest.raises(InventoryError, match=r"plusieurs années \(2019, 2021\)"):
        read_inventory(p)
    p.write_text(head + row + row.replace("residentiel", "aviation"))
    with pytest.raises(InventoryError, match=r"secteur\(s\) inconnu\(s\) \['aviation'\] \(ligne\(s\) 3\)"):
        read_inventory(p)
    p.write_text(head + row)
    assert read_inventory(p)["value_t"].tolist() == [10.0]


# ----------------------------------------------------------------------- embedded tables
def test_embedded_tables_still_read():
    """ALDO's own tables pass the reader unchanged: same totals as a plain read of the file."""
    at = area_table_from_csv(data.aldo_clc18_epci_path()).table
    raw = pd.read_csv(data.aldo_clc18_epci_path(), dtype={"siren": str}).set_index("siren")
    assert at["zone_id"].nunique() == len(raw) == 37
    assert at["area_ha"].sum() == pytest.approx(raw.sum().sum(), rel=1e-12)
    # BD Forêt: 39 lines, two EPCI repeated identically in ALDO's source -> 37 zones kept once
    fa = read_forest_areas(data.aldo_bdforet_epci_path())
    assert fa["zone_id"].nunique() == 37 and len(fa) == 37 * 4
    # per-commune change table: rows of the same commune and codes (one per polygon) are added,
    # never dropped or doubled: the total equals the file's column sum
    ct = change_table_from_csv(data.aldo_clc_change_communes_path())
    raw = pd.read_csv(data.aldo_clc_change_communes_path())
    assert ct.table["area_ha"].sum() == pytest.approx(raw["area"].sum(), rel=1e-12)
    assert any("additionnées" in n for n in ct.notes)


def test_forest_areas_duplicate_refused_in_user_file(tmp_path):
    p = tmp_path / "bdforet.csv"
    p.write_text("siren,feuillus,coniferes,mixtes,peupleraies\n245900428,1,0,0,0\n"
                 "245900428,1,0,0,0\n")
    with pytest.raises(AreaTableError, match="lignes 2, 3"):
        read_forest_areas(p)


def test_warning_classes_are_package_warnings():
    assert issubclass(TableWarning, EspassGeoWarning)


def test_per_epci_table_on_communes_closes_on_whole_epci(tmp_path):
    """ALDO's per-EPCI areas on two communes: the results cover whole EPCI, so the closure is
    against the whole EPCI (all its communes), not the two communes asked for. Five times the
    CU de Dunkerque row is refused."""
    from espass_geo.errors import SmallTerritoryWarning

    with pytest.warns(SmallTerritoryWarning):
        r = eg.stocks("59183,59350", areas=data.aldo_clc18_epci_path())
    s = r.areas.summary.set_index("zone_id")
    raw = pd.read_csv(data.aldo_clc18_epci_path(), dtype={"siren": str}).set_index("siren")
    for siren in s.index:  # table total within 5 % of the EPCI polygons
        assert s.loc[siren, "classified_area_ha"] == pytest.approx(raw.loc[siren].sum())
        assert abs(s.loc[siren, "classified_area_ha"] / s.loc[siren, "polygon_area_ha"] - 1) < 0.05
    row = raw.loc[["245900428"]] * 5
    p = tmp_path / "x5.csv"
    row.reset_index().to_csv(p, index=False)
    with pytest.warns(SmallTerritoryWarning), \
            pytest.raises(AreaTableError, match="(?s)dépassent.*zone 245900428"):
        eg.stocks("59183", areas=p)


def test_zones_without_change_rows_are_kept(tmp_path):
    """Two box zones, a change only in A: B stays in the results with a zero flow and a note
    says why (change tables list only the zones that changed)."""
    t = _two_box_territory(tmp_path)
    p = tmp_path / "changements.csv"
    p.write_text("zone_id,from_code,to_code,area_ha\nA,211,112,1\n")
    r = eg.flows(t, changes=p)
    z = r.zones.set_index("zone_id")
    assert list(z.index) == ["A", "B"]
    assert z.loc["B", "flux_tCO2e_an"] == 0.0
    assert z.loc["A", "flux_tCO2e_an"] < 0  # cropland sealed: an emission
    assert any("1 zone(s) sans ligne" in n and "B" in n for n in r.notes)


def test_forest_areas_per_epci_on_communes_warns(tmp_path):
    """BD Forêt per EPCI with a change table per commune: no forest growth could be counted;
    the warning says the table is per EPCI (it used to be silent)."""
    from espass_geo.errors import SmallTerritoryWarning

    p = tmp_path / "changements.csv"
    p.write_text("zone_id,from_code,to_code,area_ha\n59183,211,112,1\n")
    with pytest.warns(SmallTerritoryWarning), \
            pytest.warns(EspassGeoWarning, match="La table est par EPCI"):
        r = eg.flows("59183", changes=p,
                     forest_areas=data.aldo_bdforet_epci_path())
    assert "forest_growth" not in set(r.flows["cause"])
