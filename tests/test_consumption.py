"""Reading the Cerema consumption file (« consommation d'espaces NAF », issue #12) and the demo
file built from ALDO CLC 2012→2018 changes."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from bad_inputs.cases_consumption import READER_CASES, cerema_file

from espass_geo.errors import InputFileError
from espass_geo.io.consumption import (
    DESTINATIONS,
    ConsumptionData,
    demo_consumption_path,
    read_consumption,
)
from espass_geo.reference.data import data_path

ALL_YEARS = {y: {} for y in range(2009, 2023)}


def three_communes(tmp_path, **kw):
    """Three communes in Cerema's layout, ``;``, Windows-1252 (French Excel).

    * 59183 Dunkerque: 2011 naf11art12 = 12 345 m² (hab 10 000 + act 2 000 + rou 345); every
      other year 20 000 m² (hab 15 000 + act 5 000).
    * 59359 Loon-Plage: 50 000 m² of activity in 2015 only.
    * 59588 Téteghem-Coudekerque-Village: 1 000 m² every year (inc); in 2012 Cerema's rounding
      adjustment: hab 1 001, inc −1 (total 1 000).
    """
    dk = {y: {"hab": 15_000, "act": 5_000} for y in range(2009, 2023)}
    dk[2011] = {"hab": 10_000, "act": 2_000, "rou": 345}
    tet = {y: {"inc": 1_000} for y in range(2009, 2023)}
    tet[2012] = {"naf": 1_000, "hab": 1_001, "inc": -1}
    return cerema_file(tmp_path / "conso_2009_2023.csv", [
        {"idcom": "59183", "name": "Dunkerque", "years": dk},
        {"idcom": "59359", "name": "Loon-Plage", "years": {2015: {"act": 50_000}}},
        {"idcom": "59588", "name": "Téteghem-Coudekerque-Village", "years": tet},
    ], **kw)


def value(data: ConsumptionData, commune: str, year: int, dest: str = "total") -> float:
    t = data.table
    row = t[(t.commune_id == commune) & (t.year == year) & (t.destination == dest)]
    assert len(row) == 1
    return float(row.area_ha.iloc[0])


def reference(data: ConsumptionData, commune: str) -> float:
    t = data.table
    sel = (t.commune_id == commune) & (t.destination == "total") & t.year.between(2011, 2020)
    return float(t.loc[sel, "area_ha"].sum())


def test_three_communes_by_hand(tmp_path):
    path = three_communes(tmp_path)
    assert path.read_bytes().count("Téteghem".encode("cp1252")) == 1  # really Windows-1252
    data = read_consumption(path)
    assert isinstance(data, ConsumptionData) and not data.estimate
    assert data.source == str(path)
    t = data.table
    assert list(t.columns) == ["commune_id", "commune_name", "year", "destination", "area_ha"]
    assert data.years == list(range(2009, 2023))  # naf09art10 = 2009 … naf22art23 = 2022
    assert data.communes == ["59183", "59359", "59588"]
    # 3 communes × 14 years × (total + 6 destinations)
    assert len(t) == 3 * 14 * 7
    assert set(t.destination) == {"total", *DESTINATIONS}
    assert t.commune_id.map(len).eq(5).all()
    assert t.loc[t.commune_id == "59588", "commune_name"].iloc[0] == \
        "Téteghem-Coudekerque-Village"
    # naf11art12 = 12 345 m² → 1.2345 ha; art11rou12 = 345 m² → 0.0345 ha
    assert value(data, "59183", 2011) == pytest.approx(1.2345)
    assert value(data, "59183", 2011, "habitat") == pytest.approx(1.0)
    assert value(data, "59183", 2011, "activite") == pytest.approx(0.2)
    assert value(data, "59183", 2011, "route") == pytest.approx(0.0345)
    assert value(data, "59183", 2012) == pytest.approx(2.0)
    # reference 2011–2020 = 12 345 + 9 × 20 000 = 192 345 m² = 19.2345 ha
    assert reference(data, "59183") == pytest.approx(19.2345)
    # Loon-Plage: 50 000 m² in 2015 → 5 ha; Téteghem: 10 × 1 000 m² = 1 ha
    assert reference(data, "59359") == pytest.approx(5.0)
    assert reference(data, "59588") == pytest.approx(1.0)
    # since 2021: Dunkerque 2 × 2 ha
    sel = (t.commune_id == "59183") & (t.destination == "total") & (t.year >= 2021)
    assert t.loc[sel, "area_ha"].sum() == pytest.approx(4.0)
    # the −1 m² rounding adjustment is counted 0 (with a note), hab 1 001 m² kept
    assert value(data, "59588", 2012, "inconnu") == 0.0
    assert value(data, "59588", 2012, "habitat") == pytest.approx(0.1001)
    assert any("légèrement négative" in n for n in data.notes)
    assert any("pluriannuelles ignorées" in n and "naf09art23" in n for n in data.notes)
    assert (t.area_ha >= 0).all()


def test_destinations_close_on_the_total(tmp_path):
    data = read_consumption(three_communes(tmp_path))
    t = data.table
    tot = t[t.destination == "total"].set_index(["commune_id", "year"]).area_ha
    parts = t[t.destination != "total"].groupby(["commune_id", "year"]).area_ha.sum()
    # within 1 m² (the −1 m² set to 0 gives +1 m² = 0.0001 ha in Téteghem 2012)
    assert (parts - tot).abs().max() <= 0.0001 + 1e-12


def test_separators_encodings_and_case(tmp_path):
    """Comma separator, UTF-8 with BOM, capitals (a shapefile export): same figures."""
    base = read_consumption(three_communes(tmp_path)).table
    (tmp_path / "b").mkdir()
    p = three_communes(tmp_path / "b", sep=",", encoding="utf-8-sig")
    upper = p.with_name("upper.csv")
    text = p.read_text(encoding="utf-8-sig")
    head, rest = text.split("\n", 1)
    upper.write_text(head.upper() + "\n" + rest, encoding="utf-8")
    for path in (p, upper):
        got = read_consumption(path).table
        pd.testing.assert_frame_equal(got, base)


def test_french_decimals(tmp_path):
    """A file resaved by French Excel with decimal commas: 1 234,5 m² → 0.12345 ha."""
    p = cerema_file(tmp_path / "fr.csv", [
        {"idcom": "59183", "name": "Dunkerque",
         "years": {2011: {"naf": "1234,5", "hab": "1000,5", "act": "234"}}}],
        encoding="cp1252")
    text = p.read_text(encoding="cp1252").replace(";0.43;", ";0,43;")
    p.write_text(text, encoding="cp1252")
    data = read_consumption(p)
    assert value(data, "59183", 2011) == pytest.approx(0.12345)
    assert value(data, "59183", 2011, "habitat") == pytest.approx(0.10005)


def test_communes_subset_and_padding(tmp_path):
    """``communes`` keeps the territory's rows; a 4-digit code (Excel dropped the zero of a
    département 01–09) is padded with a note; rows outside the territory are not checked."""
    p = cerema_file(tmp_path / "c.csv", [
        {"idcom": "1001", "name": "L'Abergement-Clémenciat", "years": {2011: {"hab": 8324}}},
        {"idcom": "59183", "name": "Dunkerque", "years": {2011: {"act": 100}}},
        {"idcom": "62001", "name": "Ablain", "years": {}, "cells": {"naf15art16": "abc"}},
    ])
    data = read_consumption(p, communes={"01001", "59183"})
    assert data.communes == ["01001", "59183"]
    assert value(data, "01001", 2011, "habitat") == pytest.approx(0.8324)
    assert any("1001" in n and "01001" in n for n in data.notes)
    with pytest.raises(InputFileError, match=r"naf15art16.*abc"):
        read_consumption(p)  # the whole file: the bad row of 62001 is refused


def test_tidy_table_accepted(tmp_path):
    rows = ["commune_id;year;destination;area_ha"]
    rows += [f"59183;{y};total;1,5" for y in range(2011, 2021)]
    rows += [f"59183;{y};habitat;1,5" for y in range(2011, 2021)]
    p = tmp_path / "tidy.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = read_consumption(p, communes=["59183"])
    assert reference(data, "59183") == pytest.approx(15.0)  # 10 × 1.5 ha
    assert value(data, "59183", 2014, "activite") == 0.0   # absent destination = 0
    assert len(data.table) == 10 * 7


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in READER_CASES])
def test_refused(case, tmp_path):
    path = case.build(tmp_path)
    with pytest.raises(InputFileError) as err:
        read_consumption(path, communes=case.communes)
    msg = str(err.value)
    assert str(path) in msg or path.name in msg
    for pattern in case.match:
        assert re.search(pattern, msg), (pattern, msg)


def test_closure_lists_worst_first(tmp_path):
    p = cerema_file(tmp_path / "c.csv", [
        {"idcom": "59183", "years": {2011: {"naf": 1000, "hab": 998}}},
        {"idcom": "59359", "years": {2013: {"naf": 5000, "act": 1000}}},
        {"idcom": "59588", "years": {2014: {"naf": 5001, "act": 5000}}},  # 1 m²: accepted
    ])
    with pytest.raises(InputFileError) as err:
        read_consumption(p)
    msg = str(err.value)
    assert "2 problème(s)" in msg
    assert msg.index("59359") < msg.index("59183")  # 4 000 m² gap before 2 m²
    assert "59588" not in msg


# ----------------------------------------------------------------------------- demo file
ALDO = data_path("landcover", "aldo/clc12_clc18_changements_ha_communes_59_62.csv")
COMMUNES_2018 = data_path("boundaries", "communes_epci_2018_59_62.csv")


def test_demo_file_is_an_estimate_covering_the_demo_territory():
    path = demo_consumption_path()
    assert path.stat().st_size < 600_000
    communes = pd.read_csv(COMMUNES_2018, dtype=str)
    territory = set(communes.loc[communes.epci.isin(["245900428", "200040954"]), "insee"])
    assert len(territory) == 57  # CU de Dunkerque + CC des Hauts de Flandre (COG 2018)
    data = read_consumption(path, communes=territory)
    assert data.estimate is True
    assert "ESTIMATION" in data.notes[0]
    assert set(data.communes) == territory
    # the whole file: every commune of 59/62 (COG 2018)
    full = read_consumption(path)
    assert set(full.communes) == set(communes.insee) and len(full.communes) == 1539
    t = full.table
    assert (t[t.destination.isin(["mixte", "ferroviaire"])].area_ha == 0).all()
    # the same yearly value every year 2009–2022
    per_year = t[t.destination == "total"].groupby("year").area_ha.sum()
    assert per_year.nunique() == 1 and per_year.index.tolist() == list(range(2009, 2023))


def test_demo_reference_by_hand_loon_plage():
    """Loon-Plage (59359), ALDO CLC 2012→2018 (ha over 6 years), non-artificial → artificial:
    231→112 5.8994 ha (habitat), 331→121 87.2614 ha + 423→121 36.1149 ha (activité); the
    133→112, 133→121, 142→123 rows were already artificial in 2012, 423→523 is not artificial.
    Total 129.2757 ha / 6 = 21.5459 ha a year; reference 2011–2020 = 10 × that = 215.459 ha."""
    aldo = pd.read_csv(ALDO, dtype=str)
    aldo["area"] = aldo["area"].astype(float)
    lp = aldo[aldo.commune == "59359"]
    art = lp[~lp.code12.str.startswith("1") & lp.code18.str.startswith("1")]
    assert sorted(zip(art.code12, art.code18)) == [("231", "112"), ("331", "121"),
                                                  ("423", "121")]
    ha_6y = art.area.sum()
    assert ha_6y == pytest.approx(129.2757, abs=1e-4)
    data = read_consumption(demo_consumption_path(), communes={"59359"})
    # m² are rounded per destination and year: ≤ 0.5 m² × 2 destinations × 10 years
    assert reference(data, "59359") == pytest.approx(10 * ha_6y / 6, abs=0.001)
    assert reference(data, "59359") == pytest.approx(215.459)  # 10 × 215 459 m²
    assert value(data, "59359", 2011, "habitat") == pytest.approx(0.9832)    # 9 832 m²
    assert value(data, "59359", 2011, "activite") == pytest.approx(20.5627)  # 205 627 m²
    assert value(data, "59359", 2022) == pytest.approx(21.5459)


def test_demo_file_is_rebuilt_identically(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_demo_consumption", data_path("landcover", "zan/build_demo_consumption.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "OUT", tmp_path / "rebuilt.csv")
    mod.build()
    assert (tmp_path / "rebuilt.csv").read_bytes() == demo_consumption_path().read_bytes()


def test_copy_named_estimation_is_flagged(tmp_path):
    copy = tmp_path / "ma_copie_ESTIMATION.csv"
    copy.write_bytes(demo_consumption_path().read_bytes())
    assert read_consumption(copy, communes={"59183"}).estimate
    plain = tmp_path / "conso.csv"
    plain.write_bytes(demo_consumption_path().read_bytes())
    assert not read_consumption(plain, communes={"59183"}).estimate


def test_published_form_quoted_names_and_other_columns(tmp_path):
    """As published: a name quoted with a doubled quote, descriptive columns with a decimal
    point (artcom0923 = 0.43 %) and negatives (population change) that are not read; the
    figures come from the yearly columns only (naf09art23 is not summed again)."""
    p = cerema_file(tmp_path / "c.csv", [
        {"idcom": "01001", "name": '"L""Abergement-Clémenciat"',
         "years": {2011: {"hab": 650}, 2020: {"hab": 15_955}},
         "cells": {"pop1420": "-41", "aav2020": "524 - Châtillon-sur-Chalaronne"}}])
    data = read_consumption(p)
    assert data.table.commune_name.iloc[0] == 'L"Abergement-Clémenciat'
    # reference = 650 + 15 955 = 16 605 m² = 1.6605 ha
    assert reference(data, "01001") == pytest.approx(1.6605)


def test_missing_commune_merged_since(tmp_path):
    """Bermeries 59070 was absorbed by L'Orée de Mormal 59006 (COG 2026 anciens_codes): a file
    on the newer COG lacks 59070; the message says where it went."""
    p = cerema_file(tmp_path / "c.csv", [{"idcom": "59006", "name": "L'Orée de Mormal",
                                          "years": {}}])
    with pytest.raises(InputFileError, match=r"59070 → 59006.*bon département"):
        read_consumption(p, communes={"59006", "59070"})
