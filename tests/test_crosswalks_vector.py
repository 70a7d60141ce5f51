"""Crosswalks of VECTOR land-cover layers (issue #11 item 2): CLC/EEA code fields, OCS GE and
OCS2D cover × use rules (factors/crosswalk_ocsge.csv, factors/crosswalk_ocs2d.csv), field
detection, unknown and no-data codes.

The leaf codes below are copied here by hand (not read from the package, not from shared data):
- OCS GE: the 14 covers × 19 uses of the 266 pairs of Mon Diagnostic Artificialisation
  (MTES-MCT/sparte, seeds couverture.csv/usage.csv and macros is_artificial.sql /
  is_impermeable.sql @baa21373, MIT; nomenclature IGN), plus US2 (IGN lists it as a use; sparte
  nests US235 under it).
- OCS2D Hauts-de-France 2021: geo2france/ocs2d nomenclature/ @8f2d9bd5 (codes only).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from espass_geo.errors import UnknownLandCoverClassError
from espass_geo.reference import crosswalks as cw
from espass_geo.reference import data

GE_COVERS = ["CS1.1.1.1", "CS1.1.1.2", "CS1.1.2.1", "CS1.1.2.2", "CS1.2.1", "CS1.2.2", "CS1.2.3",
             "CS2.1.1.1", "CS2.1.1.2", "CS2.1.1.3", "CS2.1.2", "CS2.1.3", "CS2.2.1", "CS2.2.2"]
GE_USES_266 = ["US1.1", "US1.2", "US1.3", "US1.4", "US1.5", "US235", "US3", "US4.1.1", "US4.1.2",
               "US4.1.3", "US4.1.4", "US4.1.5", "US4.2", "US4.3", "US5", "US6.1", "US6.2", "US6.3",
               "US6.6"]
GE_USES = [*GE_USES_266, "US2"]
D2_COVERS = ["CS1.1.1", "CS1.1.2", "CS1.2.1", "CS1.2.2", "CS2.1.1", "CS2.1.2", "CS2.1.3", "CS2.2.1",
             "CS2.2.2", "CS3.1.1", "CS3.1.2", "CS3.2.1", "CS3.2.2", "CS4.1.1", "CS4.1.2", "CS4.1.3",
             "CS4.2.1", "CS4.2.2", "CS4.3.1", "CS4.3.2", "CS4.4.0", "CS5.1.1", "CS5.1.2", "CS5.1.3",
             "CS5.2.0", "CS6.1.1", "CS6.1.2", "CS6.2.0", "CS6.3.0", "CS6.4.1", "CS6.4.2", "CS6.5.0",
             "CS6.6.0"]
D2_USES = ([f"US1.1.{i}" for i in range(1, 8)] + [f"US1.2.{i}" for i in range(1, 5)]
           + ["US1.3.1", "US1.3.2", "US1.4.0"] + [f"US2.1.{i}" for i in range(1, 6)] + ["US2.2.0"]
           + [f"US3.1.{i}" for i in range(1, 7)] + [f"US3.2.{i}" for i in range(1, 6)]
           + ["US4.1.1", "US4.1.2", "US4.2.1", "US4.2.2", "US4.3.0", "US4.4.0", "US4.5.0"]
           + [f"US5.1.{i}" for i in range(1, 4)] + [f"US5.2.{i}" for i in range(1, 4)]
           + ["US5.3.1", "US5.3.2", "US5.4.0", "US6.1.1", "US6.1.2", "US6.2.1", "US6.2.2",
              "US6.2.3", "US7.0.0"])

# décret n° 2023-1096 as implemented by sparte (is_artificial.sql / is_impermeable.sql)
DECRET_ART_USES = {"US2", "US3", "US5", "US235", "US4.1.1", "US4.1.2", "US4.1.3", "US4.1.4",
                   "US4.1.5", "US4.2", "US4.3", "US6.1", "US6.2"}


def decret_artificialised(cs: str, us: str) -> bool:
    if cs in ("CS1.1.1.1", "CS1.1.1.2", "CS1.1.2.2"):
        return True
    if cs == "CS1.1.2.1":
        return us != "US1.3"
    return cs in ("CS2.2.1", "CS2.2.2") and us in DECRET_ART_USES


def recode(pairs, product, source="couche.gpkg"):
    df = pd.DataFrame(pairs, columns=["CODE_CS", "CODE_US"])
    codes, notes = cw.vector_codes(df, fields=("CODE_CS", "CODE_US"), product=product,
                                   source=source)
    return codes, notes


def land_use() -> dict[str, str]:
    t = data.factor_table("clc_to_land_use")
    return dict(zip(t["code_clc"].astype(str), t["land_use"], strict=True))


# ----------------------------------------------------------------- nomenclature coverage
def test_package_leaf_codes_are_the_nomenclatures():
    assert len(GE_COVERS) * len(GE_USES_266) == 266
    assert list(cw.OCSGE_COVERS) == GE_COVERS and sorted(cw.OCSGE_USES) == sorted(GE_USES)
    assert (len(D2_COVERS), len(D2_USES)) == (33, 53)
    assert list(cw.OCS2D_COVERS) == D2_COVERS and list(cw.OCS2D_USES) == D2_USES


@pytest.mark.parametrize(("product", "covers", "uses"), [("ocsge", GE_COVERS, GE_USES),
                                                         ("ocs2d", D2_COVERS, D2_USES)])
def test_every_leaf_pair_resolves_to_a_known_code(product, covers, uses):
    pairs = list(itertools.product(covers, uses))
    assert len(pairs) == {"ocsge": 14 * 20, "ocs2d": 33 * 53}[product]
    codes, notes = recode(pairs, product)
    assert codes.notna().all()
    assert set(codes) <= set(land_use())  # every target in clc_to_land_use.csv
    assert not any("sans code" in n for n in notes)
    assert f"factors/crosswalk_{product}.csv" in notes[-1]


def test_ocsge_rules_agree_with_the_decret_except_the_documented_choices():
    lu = land_use()
    codes, _ = recode(list(itertools.product(GE_COVERS, GE_USES_266)), "ocsge")
    pairs = list(itertools.product(GE_COVERS, GE_USES_266))
    exceptions = set()
    for (cs, us), code in zip(pairs, codes, strict=True):
        artificial = lu[code].startswith("artificial")
        if cs in ("CS1.1.1.1", "CS1.1.1.2"):  # impermeable in the décret
            assert code == "901", (cs, us)
        if decret_artificialised(cs, us):
            assert artificial, (cs, us, code)
        elif artificial:
            exceptions.add((cs, us, code))
    urban = ["US235", "US3", "US4.1.1", "US4.1.2", "US4.1.3", "US4.1.4", "US4.1.5", "US4.2",
             "US4.3", "US5"]
    expected = {("CS1.1.2.1", "US1.3", "131"), ("CS1.2.1", "US1.3", "131"),
                ("CS1.2.1", "US6.1", "133")}
    expected |= {("CS1.2.1", us, "133") for us in urban}              # bare soil: building site
    expected |= {(cs, us, "141") for cs in ("CS2.1.1.1", "CS2.1.1.2", "CS2.1.1.3")
                 for us in urban}                                       # urban trees (ALDO)
    expected |= {(cs, us, "902") for cs in ("CS2.1.2", "CS2.1.3") for us in urban}  # urban shrubs
    assert exceptions == expected


@pytest.mark.parametrize(("cs", "us", "code"), [
    ("CS1.1.1.1", "US1.1", "901"),    # impermeable whatever the use
    ("CS1.1.1.2", "US6.3", "901"),
    ("CS1.1.2.1", "US5", "901"),      # permeable mineral, no vegetation
    ("CS1.1.2.2", "US1.3", "131"),    # extraction
    ("CS1.2.1", "US235", "133"),      # bare soil under urban use: building site
    ("CS1.2.1", "US6.1", "133"),
    ("CS1.2.1", "US6.3", "333"),
    ("CS1.2.1", "US1.1", "211"),      # ploughed field
    ("CS1.2.1", "US1.2", "324"),      # clear-cut
    ("CS1.2.2", "US6.3", "512"),
    ("CS1.2.2", "US4.1.4", "511"),
    ("CS1.2.3", "US6.3", "335"),
    ("CS2.1.1.1", "US5", "141"),      # broadleaf under residential use
    ("CS2.1.1.1", "US1.2", "311"),
    ("CS2.1.1.1", "US1.1", "222"),    # orchards
    ("CS2.1.1.2", "US4.1.1", "141"),  # US4* prefix rule
    ("CS2.1.1.2", "US6.1", "312"),
    ("CS2.1.1.3", "US2", "141"),      # US2* covers US2 and US235
    ("CS2.1.1.3", "US1.1", "313"),
    ("CS2.1.2", "US1.1", "322"),
    ("CS2.1.2", "US3", "902"),
    ("CS2.1.2", "US1.2", "324"),
    ("CS2.1.3", "US1.1", "221"),
    ("CS2.1.3", "US5", "902"),
    ("CS2.2.1", "US1.1", "211"),      # herbaceous agricultural: cropland outside RPG
    ("CS2.2.1", "US1.2", "324"),
    ("CS2.2.1", "US235", "902"),
    ("CS2.2.1", "US6.2", "902"),
    ("CS2.2.1", "US6.3", "321"),
    ("CS2.2.1", "US6.6", "321"),
    ("CS2.2.2", "US6.3", "333"),
    ("CS2.2.2", "US4.3", "902"),
])
def test_ocsge_hand_picked_rules(cs, us, code):
    assert recode([(cs, us)], "ocsge")[0].iloc[0] == code


@pytest.mark.parametrize(("cs", "us", "code"), [
    ("CS1.1.1", "US1.1.1", "901"),
    ("CS1.2.1", "US1.3.1", "131"),    # US1.3* prefix
    ("CS1.2.1", "US6.1.2", "131"),
    ("CS1.2.2", "US5.4.0", "901"),
    ("CS2.1.1", "US7.0.0", "331"),
    ("CS2.1.3", "US7.0.0", "423"),    # mudflats: intertidal
    ("CS2.2.2", "US6.1.1", "133"),
    ("CS3.1.1", "US1.4.0", "512"),
    ("CS3.1.2", "US4.4.0", "511"),
    ("CS3.2.1", "US7.0.0", "522"),
    ("CS3.2.2", "US4.4.0", "523"),
    ("CS4.1.2", "US1.2.2", "903"),    # poplars
    ("CS4.1.2", "US3.2.1", "141"),    # park trees
    ("CS4.1.3", "US7.0.0", "311"),
    ("CS4.2.2", "US1.2.1", "312"),
    ("CS4.3.2", "US1.1.5", "222"),
    ("CS4.4.0", "US1.1.5", "222"),
    ("CS4.4.0", "US5.4.0", "141"),
    ("CS5.1.1", "US7.0.0", "322"),
    ("CS5.1.1", "US1.2.1", "324"),
    ("CS5.1.1", "US6.2.1", "322"),    # woody in an industrial wasteland stays natural
    ("CS5.1.2", "US2.1.1", "902"),
    ("CS5.2.0", "US1.1.5", "221"),
    ("CS6.1.1", "US1.1.1", "231"),
    ("CS6.1.1", "US1.1.3", "211"),    # temporary grassland in rotation
    ("CS6.1.2", "US6.2.3", "231"),
    ("CS6.2.0", "US3.2.1", "902"),
    ("CS6.2.0", "US6.2.2", "902"),
    ("CS6.3.0", "US1.1.3", "211"),
    ("CS6.3.0", "US1.1.7", "902"),    # farmyard
    ("CS6.4.1", "US5.2.3", "411"),    # wetland kept under every use
    ("CS6.4.2", "US7.0.0", "421"),
    ("CS6.5.0", "US7.0.0", "331"),
    ("CS6.6.0", "US1.2.2", "903"),    # exact use beats the US1.2* prefix
    ("CS6.6.0", "US1.2.3", "324"),
    ("CS6.6.0", "US4.5.0", "902"),
])
def test_ocs2d_hand_picked_rules(cs, us, code):
    assert recode([(cs, us)], "ocs2d")[0].iloc[0] == code


def test_codes_are_matched_without_case_or_spaces_and_fields_case_insensitively():
    df = pd.DataFrame({"code_cs": [" cs2.2.1", "CS1.1.1.1 "], "code_us": ["us1.1", "US5"]})
    codes, _ = cw.vector_codes(df, fields=("CODE_CS", "CODE_US"), product="ocsge", source="x")
    assert list(codes) == ["211", "901"]


def test_rule_matching_order():
    x = cw.VectorCrosswalk("t", "t.csv", 2, rules={"C": {"*": "321", "US4*": "902",
                                                         "US4.1*": "141", "US4.1.1": "901"}})
    assert x.rule("C", "US4.1.1") == "901"  # exact
    assert x.rule("C", "US4.1.2") == "141"  # longest prefix
    assert x.rule("C", "US4.2") == "902"
    assert x.rule("C", "US6") == "321"      # *
    assert x.rule("D", "US6") is None       # no rule for the cover


# ------------------------------------------------------------------------ detection
@pytest.mark.parametrize(("columns", "expected"), [
    (["ID", "CODE_12", "CODE_18", "AREA_HA", "geometry"], ("clc", ("CODE_18",))),  # SDES CLC
    (["ID", "Code_18", "Remark", "Area_Ha", "geometry"], ("clc", ("Code_18",))),   # EEA vector
    (["CODE_90", "CODE_00", "CODE_06"], ("clc", ("CODE_06",))),                    # 2006 > 2000 > 1990
    (["OBJECTID", "GRID_CODE", "geometry"], ("eea", ("GRID_CODE",))),
])
def test_detect_single_field_products(columns, expected):
    assert cw.detect_vector_product(columns) == expected


def test_detect_ocsge_from_its_codes():
    cols = ["ID", "CODE_CS", "CODE_US", "MILLESIME", "SOURCE", "OSSATURE", "geometry"]
    sample = pd.DataFrame({"CODE_CS": ["CS2.2.1", "CS1.1.1.1"], "CODE_US": ["US1.1", "US235"]})
    assert cw.detect_vector_product(cols, sample) == ("ocsge", ("CODE_CS", "CODE_US"))


def test_detect_ocs2d_takes_the_latest_year():
    cols = ["id", "cs_2015", "us_2015", "code_cs_2021", "code_us_2021"]
    sample = pd.DataFrame({"cs_2015": ["CS6.3.0"], "us_2015": ["US1.1.3"],
                           "code_cs_2021": ["CS6.3.0"], "code_us_2021": ["US1.1.3"]})
    assert cw.detect_vector_product(cols, sample) == ("ocs2d", ("code_cs_2021", "code_us_2021"))
    # the OCS2D regional base: cs05, us05 … cs21, us21 (geo2france/ocs2d calcul_4p_21p_2021.sql)
    base = ["gid", "cs05", "us05", "cs10", "us10", "cs15", "us15", "cs21", "us21", "p4_21"]
    sample = pd.DataFrame({c: ["CS4.4.0"] if c.startswith("cs") else ["US1.1.5"] for c in base})
    assert cw.detect_vector_product(base, sample) == ("ocs2d", ("cs21", "us21"))
    plain = pd.DataFrame({"cs": ["CS2.2.1"], "us": ["US5.4.0"]})  # US5.4.0: OCS2D only
    assert cw.detect_vector_product(["cs", "us"], plain) == ("ocs2d", ("cs", "us"))


@pytest.mark.parametrize("sample", [
    pd.DataFrame({"CODE_CS": ["CS2.2.1", "CS1.2.2"], "CODE_US": ["US4.1.1", "US4.1.2"]}),  # both
    pd.DataFrame({"CODE_CS": ["CS1.1.1.1", "CS6.3.0"], "CODE_US": ["US5", "US5"]}),        # mixed
    None,
])
def test_detect_ambiguous_cover_use_asks_for_the_nomenclature(sample):
    with pytest.raises(UnknownLandCoverClassError, match="--nomenclature ocsge ou"):
        cw.detect_vector_product(["CODE_CS", "CODE_US"], sample)


def test_detect_nothing_names_the_fields_and_the_remedy():
    with pytest.raises(UnknownLandCoverClassError) as e:
        cw.detect_vector_product(["ID", "NATURE", "geometry"])
    assert "ID, NATURE, geometry" in str(e.value) and "--code-field" in str(e.value)


def test_parse_code_field():
    assert cw.parse_code_field("CODE_18") == ("CODE_18",)
    assert cw.parse_code_field("CODE_CS+CODE_US") == ("CODE_CS", "CODE_US")
    assert cw.parse_code_field(" cs , us ") == ("cs", "us")
    for bad in ("", "A+", "A+B+C"):
        with pytest.raises(UnknownLandCoverClassError, match="--code-field"):
            cw.parse_code_field(bad)


# ------------------------------------------------------------- CLC / EEA single fields
def test_clc_codes_accept_ints_text_and_integral_floats():
    df = pd.DataFrame({"CODE_18": ["112", 211, "311.0", 231.0, " 523 "]})
    codes, notes = cw.vector_codes(df, fields=("CODE_18",), product="clc", source="clc.gpkg")
    assert list(codes) == ["112", "211", "311", "231", "523"]
    assert notes == []  # identity: nothing recoded, nothing dropped


def test_clc_no_data_rows_are_na_and_counted():
    df = pd.DataFrame({"CODE_18": ["112", "999", None, "", 990, "211"]})
    codes, notes = cw.vector_codes(df, fields=("CODE_18",), product="clc", source="clc.gpkg")
    assert codes.isna().tolist() == [False, True, True, True, True, False]
    # 4 rows without a class: 999, None, "" and 990
    assert "4 polygone(s) sur 6" in notes[0] and "clc.gpkg" in notes[0]


def test_eea_grid_code_goes_through_the_eea_crosswalk():
    df = pd.DataFrame({"GRID_CODE": [1, 12, 48, 44]})  # 1 → 111, 12 → 211, 48 no data, 44 → 523
    codes, notes = cw.vector_codes(df, fields=("GRID_CODE",), product="eea", source="aee.shp")
    assert codes.tolist()[:2] == ["111", "211"] and pd.isna(codes.iloc[2])
    assert codes.iloc[3] == "523"
    assert "1 polygone(s) sur 4" in notes[0] and "crosswalk_eea_clc.csv" in notes[1]


@pytest.mark.parametrize("junk", ["1.0e3", "1.12e2", "112a", "11 2", "-112", "112,0"])
def test_junk_codes_are_refused(junk):
    df = pd.DataFrame({"CODE_18": ["112", junk]})
    with pytest.raises(UnknownLandCoverClassError) as e:
        cw.vector_codes(df, fields=("CODE_18",), product="clc", source="clc.gpkg")
    assert junk.strip() in e.value.codes


def test_all_unknown_codes_are_listed_with_a_cap_of_20():
    vals = [str(c) for c in range(600, 625)]  # 25 unknown codes, 2 rows each
    df = pd.DataFrame({"CODE_18": [*vals, *vals, "112"]})
    with pytest.raises(UnknownLandCoverClassError) as e:
        cw.vector_codes(df, fields=("CODE_18",), product="clc", source="clc_2018.gpkg")
    msg = str(e.value)
    assert sorted(e.value.codes) == vals  # every one in .codes
    assert "clc_2018.gpkg" in msg and "600 (2 polygones)" in msg and "619" in msg
    assert "620" not in msg and "… et 5 autre(s) (25 valeurs)" in msg
    assert "--nomenclature" in msg


def test_unknown_and_non_leaf_cover_use_codes_are_listed():
    pairs = [("CS1.1", "US1.1"), ("CS9", "US1.1"), ("CS2.2.1", "US4"), ("CS2.2.1", "US9"),
             ("CS2.2.1", "US1.1")]
    with pytest.raises(UnknownLandCoverClassError) as e:
        recode(pairs, "ocsge", source="ocsge_59.gpkg")
    msg = str(e.value)
    assert sorted(e.value.codes) == ["CS1.1", "CS9", "US4", "US9"]
    assert "ocsge_59.gpkg" in msg and "non terminal" in msg and "CODE_CS" in msg


def test_empty_cover_or_use_is_no_data():
    codes, notes = recode([("CS2.2.1", None), (None, "US1.1"), ("", "US5"), ("CS2.2.1", "US1.1")],
                          "ocsge")
    assert codes.isna().tolist() == [True, True, True, False]
    assert "3 polygone(s) sur 4" in notes[0]


def test_wrong_number_of_fields():
    df = pd.DataFrame({"CODE_CS": ["CS2.2.1"], "CODE_US": ["US1.1"]})
    with pytest.raises(UnknownLandCoverClassError, match="CODE_CS\\+CODE_US"):
        cw.vector_codes(df, fields=("CODE_CS",), product="ocsge", source="x")
    with pytest.raises(UnknownLandCoverClassError, match="absent"):
        cw.vector_codes(df, fields=("CODE_18",), product="clc", source="x")


def test_vector_products_have_no_raster_crosswalk():
    for p in ("ocsge", "ocs2d"):
        with pytest.raises(UnknownLandCoverClassError, match="couche vecteur"):
            cw.resolve(p)
        with pytest.raises(UnknownLandCoverClassError, match="couche vecteur"):
            cw.crosswalk(p)
    assert cw.resolve("clc") is None and cw.resolve("eea") is not None  # rasters unchanged
    assert "ocsge" in cw.LABELS and "ocs2d" in cw.LABELS


# ------------------------------------------------------------------- user crosswalks
def test_user_crosswalk_with_text_codes(tmp_path):
    f = tmp_path / "ma_nomenclature.csv"
    f.write_text("code,code_clc\nforet,311\nprairie,231\n7,211\ninconnu,\n", encoding="utf-8")
    df = pd.DataFrame({"TYPE": ["foret", "prairie", 7.0, "inconnu", "foret"]})
    codes, notes = cw.vector_codes(df, fields=("TYPE",), product=f, source="x")
    assert codes.tolist()[:3] == ["311", "231", "211"] and pd.isna(codes.iloc[3])
    assert "ma_nomenclature.csv" in notes[-1]
    with pytest.raises(UnknownLandCoverClassError, match="lande"):
        cw.vector_codes(pd.DataFrame({"TYPE": ["lande"]}), fields=("TYPE",), product=f, source="x")


def test_user_cover_use_rules(tmp_path):
    f = tmp_path / "regles.csv"
    f.write_text("code_cs,code_us,code_clc\nA,*,321\nA,U1*,211\nB,*,901\n", encoding="utf-8")
    df = pd.DataFrame({"c": ["A", "A", "B"], "u": ["U1.2", "U2", "U9"]})
    codes, _ = cw.vector_codes(df, fields=("c", "u"), product=f, source="x")
    assert codes.tolist() == ["211", "321", "901"]
    with pytest.raises(UnknownLandCoverClassError, match="C × U1"):
        cw.vector_codes(pd.DataFrame({"c": ["C"], "u": ["U1"]}), fields=("c", "u"), product=f,
                        source="x")
    bad = tmp_path / "mauvaises.csv"
    bad.write_text("code_cs,code_us,code_clc\nA,*,999\n", encoding="utf-8")
    with pytest.raises(UnknownLandCoverClassError, match="ligne 2 : code_clc"):
        cw.vector_crosswalk(bad)


# ---------------------------------------------------------------------- performance
def test_a_million_polygons_are_recoded():
    rng = np.random.default_rng(0)
    n = 1_000_000
    df = pd.DataFrame({"CODE_CS": rng.choice(GE_COVERS, n), "CODE_US": rng.choice(GE_USES, n)})
    df.loc[::1000, "CODE_US"] = None  # 1 000 rows without use
    codes, notes = cw.vector_codes(df, fields=("CODE_CS", "CODE_US"), product="ocsge",
                                   source="big.gpkg")
    assert len(codes) == n and int(codes.isna().sum()) == 1000
    assert "1000 polygone(s) sur 1000000" in notes[0]
    one = pd.DataFrame({"CODE_18": rng.choice([112, 211, 311, 999], n)})
    codes, _ = cw.vector_codes(one, fields=("CODE_18",), product="clc", source="big.gpkg")
    assert codes.notna().sum() + (one["CODE_18"] == 999).sum() == n
