"""Factor sets: validated on load, amendable from CSV, switched per run and per context."""

from __future__ import annotations

import contextvars
import shutil
import threading

import pytest

from espass_geo import constants
from espass_geo.core.areas import area_table_from_raster
from espass_geo.core.flows import n2o_factor
from espass_geo.core.stocks import compute_stocks, zone_totals
from espass_geo.errors import FactorError, PartialCoverageWarning
from espass_geo.reference import data
from espass_geo.reference.factor_set import (
    TABLES,
    FactorSet,
    active_factor_set,
    factor_set_fingerprint,
    use_factors,
)

SOIL_HEADER = "zpc,soil_class,value,unit,depth_cm,source,source_year,confidence\n"


def _soil_value(zpc: str, soil_class: str) -> float:
    t = data.factor_table("aldo_soil_stock_ref")
    return float(t[(t["zpc"] == zpc) & (t["soil_class"] == soil_class)]["value"].iloc[0])


def test_default_set_is_loaded_once_and_complete():
    fs = FactorSet.default()
    assert FactorSet.default() is fs
    assert set(fs.tables) == set(TABLES)
    # data.factor_table reads the active set, which is the shipped one by default
    assert active_factor_set() is fs
    assert data.factor_table("aldo_litter") is fs.table("aldo_litter")
    with pytest.raises(FactorError, match="table de facteurs inconnue « aldo_soil »"):
        fs.table("aldo_soil")


def test_amended_soil_reference_changes_the_hand_case_by_area_times_delta(
        tmp_path, tiny_raster, two_zones):
    with pytest.warns(PartialCoverageWarning):
        at = area_table_from_raster(two_zones, tiny_raster)
    before = zone_totals(compute_stocks(at.table, two_zones)).set_index("zone_id")["stock_tC"]
    shipped = _soil_value("2_1", "cultures")  # 50 tC/ha (ALDO, ZPC 2_1 cultures)
    new = shipped + 12.5
    csv = tmp_path / "mon_sol.csv"
    csv.write_text(SOIL_HEADER + f"2_1,cultures,{new},tC/ha,30,étude locale,2025,derived\n",
                   encoding="utf-8")
    fs = FactorSet.default().amend("aldo_soil_stock_ref", csv)
    assert fs.changes == (f"aldo_soil_stock_ref amendée par {csv} (1 ligne(s) remplacée(s), "
                          "0 ajoutée(s))",)
    with use_factors(fs):
        assert _soil_value("2_1", "cultures") == new
        after = zone_totals(compute_stocks(at.table, two_zones)).set_index("zone_id")["stock_tC"]
    # zone A holds the 4 cropland pixels of 1 ha (code 211): + 4 ha × 12.5 tC/ha = + 50 tC;
    # zone B has no cropland: unchanged
    assert after["A"] - before["A"] == pytest.approx(4 * 12.5)
    assert after["B"] == pytest.approx(before["B"])
    # the shipped set is untouched after the block
    assert active_factor_set() is FactorSet.default()
    assert _soil_value("2_1", "cultures") == shipped
    again = zone_totals(compute_stocks(at.table, two_zones)).set_index("zone_id")["stock_tC"]
    assert again.to_dict() == pytest.approx(before.to_dict())


def test_amendment_adds_new_keys_and_keeps_the_other_rows(tmp_path):
    csv = tmp_path / "sol.csv"
    csv.write_text(SOIL_HEADER + "9_9,cultures,41.5,tC/ha,30,test,2025,derived\n")
    base = FactorSet.default().table("aldo_soil_stock_ref")
    t = FactorSet.default().amend("aldo_soil_stock_ref", csv).table("aldo_soil_stock_ref")
    assert len(t) == len(base) + 1
    assert t[t["zpc"] == "9_9"]["value"].tolist() == [41.5]
    assert t[t["zpc"] != "9_9"].reset_index(drop=True)["value"].tolist() == \
        base["value"].astype(float).tolist()


def test_duplicate_key_in_amendment_names_the_line(tmp_path):
    csv = tmp_path / "sol.csv"
    csv.write_text(SOIL_HEADER + "2_1,cultures,55,tC/ha,30,a,2025,derived\n"
                   "2_1,prairies,70,tC/ha,30,a,2025,derived\n"
                   "2_1,cultures,60,tC/ha,30,b,2025,derived\n")
    with pytest.raises(FactorError) as err:
        FactorSet.default().amend("aldo_soil_stock_ref", csv)
    msg = str(err.value)
    assert str(csv) in msg
    assert "ligne 4 : clé en double (zpc=2_1, soil_class=cultures), déjà ligne 2" in msg


@pytest.mark.parametrize(("row", "expected"), [
    ("2_1,cultures,\"5,5\",tC/ha,30,a,2025,derived", "ligne 2, colonne value : '5,5' n'est pas un "
                                                     "nombre"),
    ("2_1,cultures,inf,tC/ha,30,a,2025,derived", "ligne 2, colonne value : 'inf' n'est pas un "
                                                 "nombre fini"),
    ("2_1,cultures,,tC/ha,30,a,2025,derived", "ligne 2, colonne value : valeur manquante"),
    ("2_1,cultures,183,tCO2e/ha,30,a,2025,derived", "unité 'tCO2e/ha' inconnue"),
    ("2_1,cultures,55,tC/ha,30,,2025,derived", "ligne 2, colonne source : valeur manquante"),
    ("2_1,cultures,55,tC/ha,30,a,2025,sûr", "colonne confidence : 'sûr'"),
])
def test_bad_amendment_rows_are_refused_with_line_and_value(tmp_path, row, expected):
    csv = tmp_path / "sol.csv"
    csv.write_text(SOIL_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(FactorError, match="invalide") as err:
        FactorSet.default().amend("aldo_soil_stock_ref", csv)
    assert expected in str(err.value)


def test_missing_and_unknown_columns_are_refused(tmp_path):
    csv = tmp_path / "sol.csv"
    csv.write_text("zpc,soil_class,valeur,unit,depth_cm,source,source_year,confidence\n")
    with pytest.raises(FactorError, match="colonne\\(s\\) manquante\\(s\\) : value") as err:
        FactorSet.default().amend("aldo_soil_stock_ref", csv)
    assert "colonne(s) inconnue(s) : valeur" in str(err.value)
    with pytest.raises(FactorError, match="table de facteurs inconnue"):
        FactorSet.default().amend("aldo_sol", csv)


def test_amended_parameters_reach_cached_factors(tmp_path):
    """n2o_factor is cached per factor set: doubling C/N halves it in the amended set only."""
    p = data.factor_table("n2o_soil_loss").set_index("parameter")
    c_n = float(p.loc["c_n_ratio", "value"])  # 15
    csv = tmp_path / "n2o.csv"
    csv.write_text("parameter,value,unit,source,source_year,confidence\n"
                   f"c_n_ratio,{2 * c_n},tC/tN,test,2025,derived\n")
    fs = FactorSet.default().amend("n2o_soil_loss", csv)
    shipped = n2o_factor(constants.GWP_N2O_AR6)
    with use_factors(fs):
        assert n2o_factor(constants.GWP_N2O_AR6) == pytest.approx(shipped / 2)
    assert n2o_factor(constants.GWP_N2O_AR6) == shipped


def test_each_context_sees_its_own_set(tmp_path):
    csv = tmp_path / "sol.csv"
    csv.write_text(SOIL_HEADER + "2_1,cultures,77,tC/ha,30,a,2025,derived\n")
    fs = FactorSet.default().amend("aldo_soil_stock_ref", csv)
    barrier = threading.Barrier(2, timeout=30)
    seen: dict[str, float] = {}

    def run(label: str, factors: FactorSet | None) -> None:
        with use_factors(factors):
            barrier.wait()  # both threads are inside their block at the same time
            seen[label] = _soil_value("2_1", "cultures")
            barrier.wait()

    threads = [threading.Thread(target=run, args=("amended", fs)),
               threading.Thread(target=run, args=("default", None))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"amended": 77.0, "default": 50.0}
    # a copied context keeps the set of the block it was copied in
    with use_factors(fs):
        ctx = contextvars.copy_context()
    assert _soil_value("2_1", "cultures") == 50.0
    assert ctx.run(_soil_value, "2_1", "cultures") == 77.0


def test_fingerprint_names_the_set_and_hashes_the_tables(tmp_path):
    default = factor_set_fingerprint()
    assert default["name"] == FactorSet.default().name and default["changes"] == []
    assert len(default["sha256"]) == 64
    csv = tmp_path / "sol.csv"
    csv.write_text(SOIL_HEADER + "2_1,cultures,51,tC/ha,30,a,2025,derived\n")
    fs = FactorSet.default().amend("aldo_soil_stock_ref", csv, name="variante locale")
    with use_factors(fs):
        fp = factor_set_fingerprint()
    assert fp["name"] == "variante locale" and fp["sha256"] != default["sha256"]
    assert fp["changes"] == list(fs.changes)
    # same content, same hash
    assert FactorSet.default().amend("aldo_soil_stock_ref", csv).sha256 == fp["sha256"]


def test_from_dir_reads_a_complete_copy(tmp_path):
    folder = tmp_path / "facteurs"
    folder.mkdir()
    for name in TABLES:
        shutil.copy(data.data_path("factors", f"{name}.csv"), folder)
    fs = FactorSet.from_dir(folder)
    assert fs.sha256 == FactorSet.default().sha256  # a plain copy is the shipped set
    (folder / "aldo_litter.csv").unlink()
    with pytest.raises(FactorError, match="incomplet : table\\(s\\) aldo_litter absente"):
        FactorSet.from_dir(folder)
    with pytest.raises(FactorError, match="introuvable"):
        FactorSet.from_dir(tmp_path / "nulle_part")


def test_constants_agree_with_the_tables():
    """Constants written once in constants.py are those of the factor tables."""
    n2o = data.factor_table("n2o_soil_loss").set_index("parameter")["value"]
    subst = data.factor_table("substances").set_index("substance")
    assert n2o["gwp_n2o_ar6"] == subst.loc["N2O", "gwp_ar6"] == constants.GWP_N2O_AR6
    assert n2o["gwp_n2o_ar5"] == subst.loc["N2O", "gwp_ar5"] == constants.GWP_N2O_AR5
    lu = data.factor_table("land_use_classes")
    forest = lu[lu["biomass_class"] == "forest"]
    assert dict(zip(forest["land_use"], forest["forest_composition"], strict=True)) == \
        constants.FOREST_COMPOSITIONS
    assert set(lu["land_use"][lu["land_use"].str.startswith("artificial_")]) == \
        set(constants.ARTIFICIAL_LAND_USES)
    regions = data.factor_table("region_interregion")["region_code"]
    assert constants.DEFAULT_REGION_CODE in set(regions)
    split = data.factor_table("aldo_artificial_split").set_index("parameter")["value"]
    # ALDO 80/20: sealed share and minimum vegetated share add up to the whole
    assert split["sealed_share"] + split["min_vegetated_share"] == pytest.approx(1.0)
    assert set(constants.POOLS) <= set(constants.POOL_LABELS_FR)


def test_a_copy_of_the_whole_factors_folder_is_accepted(tmp_path):
    """`cp -r factors/ mine/` then `--factors mine/`: the reference files shipped beside the
    factor tables (export mappings, the demo's point sources) are not « unknown files »."""
    from espass_geo.reference.factor_set import REFERENCE_FILES

    folder = tmp_path / "facteurs"
    shutil.copytree(data.data_dir("factors"), folder)
    assert {p.name for p in folder.glob("*.csv")} >= REFERENCE_FILES
    assert FactorSet.from_dir(folder).sha256 == FactorSet.default().sha256
    (folder / "mes_notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(FactorError, match="mes_notes.csv inconnu"):
        FactorSet.from_dir(folder)
