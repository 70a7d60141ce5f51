"""One vocabulary (espass_geo.present.vocabulary): labels generated from the active factor set."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from espass_geo import constants
from espass_geo.present.charts import pollutant_charts
from espass_geo.present.exports import bilan_frame_fr
from espass_geo.present.report import THEMES, render_report
from espass_geo.present.vocabulary import (
    CAUSE_LABELS_FR,
    LAND_USE_LABELS_FR,
    LEVER_LABELS_FR,
    POOL_LABELS_FR,
    POST_LABELS_FR,
    PRACTICE_LABELS_FR,
    SECTOR_LABELS_FR,
    SUBSTANCE_LABELS_FR,
    SUBSTANCE_NAMES_FR,
    THEME_LABELS_FR,
    category_label,
    item_label,
    lever_label,
    substance_symbol,
)
from espass_geo.reference import data
from espass_geo.reference.factor_set import FactorSet, use_factors

NEW_CROPLAND = "Terres arables (étiquette modifiée)"
NEW_AGRICULTURE = "Agriculture et sylviculture"


@pytest.mark.parametrize(("table", "key", "labels"), [
    ("land_use_classes", "land_use", LAND_USE_LABELS_FR),
    ("pcaet_sectors", "sector", SECTOR_LABELS_FR),
    ("espass_posts", "post", POST_LABELS_FR),
    ("substances", "substance", SUBSTANCE_LABELS_FR),
    ("substances", "substance", SUBSTANCE_NAMES_FR),
    ("practices_aldo", "practice", PRACTICE_LABELS_FR),
])
def test_every_code_of_the_tables_has_a_label(table, key, labels):
    t = data.factor_table(table)
    for code in t[key].astype(str):
        assert isinstance(labels[code], str) and labels[code].strip(), (table, code)
    if "label_fr" in t.columns and labels is not SUBSTANCE_LABELS_FR:
        # the label is the table's own, in the table's order
        assert [labels[c] for c in t[key].astype(str)] == list(t["label_fr"].str.strip())


def test_fixed_vocabularies_cover_the_ids_of_the_engines():
    assert set(constants.POOLS) <= set(POOL_LABELS_FR)
    assert set(THEMES) == set(THEME_LABELS_FR)
    # causes of core/flows.py, levers of core/scenarios.py
    assert {"land_use_change", "forest_growth", "wood_products"} <= set(CAUSE_LABELS_FR)
    assert {"trend", "forest_growth", "convert", "seal", "hedges", "wood_products",
            "total"} <= set(LEVER_LABELS_FR)


def test_labels_in_table_order_and_substances_as_symbols():
    assert list(SECTOR_LABELS_FR)[:3] == ["residentiel", "tertiaire", "transport_routier"]
    assert list(SUBSTANCE_LABELS_FR) == ["GES", "NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3",
                                         "CO2", "CH4", "N2O"]
    assert [SUBSTANCE_LABELS_FR[s] for s in ("NOx", "PM2.5", "N2O", "COVNM")] == [
        "NOₓ", "PM₂,₅", "N₂O", "COVNM"]
    assert SUBSTANCE_NAMES_FR["NH3"] == "Ammoniac"
    assert substance_symbol("SO2") == "SO₂"
    # groups of land uses beside the classes of the table
    assert LAND_USE_LABELS_FR["forest"] == "Forêts"
    assert LAND_USE_LABELS_FR["forest_poplar"] == "Peupleraies"


def test_labels_are_read_only():
    with pytest.raises(TypeError):
        SECTOR_LABELS_FR["agriculture"] = "x"  # type: ignore[index]


def _amended_set(tmp_path) -> FactorSet:
    lu = data.factor_table("land_use_classes")
    row = lu[lu["land_use"] == "cropland"].assign(label_fr=NEW_CROPLAND)
    lu_csv = tmp_path / "land_use_classes.csv"
    row.to_csv(lu_csv, index=False)
    sec = data.factor_table("pcaet_sectors")
    row = sec[sec["sector"] == "agriculture"].assign(label_fr=NEW_AGRICULTURE)
    sec_csv = tmp_path / "pcaet_sectors.csv"
    row.to_csv(sec_csv, index=False)
    return (FactorSet.default().amend("land_use_classes", lu_csv)
            .amend("pcaet_sectors", sec_csv))


def _bilan() -> pd.DataFrame:
    rows = [("stocks", "cropland", "soil", 1200.0, "tC"),
            ("stocks", "forest_mixed", "live_biomass", 800.0, "tC"),
            ("polluants", "agriculture", "NH3", 40.0, "t/an"),
            ("polluants", "transport_routier", "NH3", 2.0, "t/an"),
            ("polluants", "transport_routier", "NOx", 90.0, "t/an")]
    return pd.DataFrame([{"zone_id": "TOTAL", "zone_name": "Territoire", "theme": th,
                          "category": c, "item": i, "value": v, "unit": u}
                         for th, c, i, v, u in rows])


def test_amended_labels_show_at_call_time_in_labels_report_exports_and_charts(tmp_path):
    fs = _amended_set(tmp_path)
    assert LAND_USE_LABELS_FR["cropland"] == "Cultures"
    with use_factors(fs):
        assert LAND_USE_LABELS_FR["cropland"] == NEW_CROPLAND
        assert category_label("stocks", "cropland") == NEW_CROPLAND
        assert category_label("polluants", "agriculture") == NEW_AGRICULTURE
        assert list(SECTOR_LABELS_FR).index("agriculture") == 4  # the row kept its place
        html = render_report(_bilan(), meta={"title": "Essai", "territory_label": "Essai"},
                             charts=None, out_path=tmp_path / "rapport.html").read_text(
            encoding="utf-8")
        frame = bilan_frame_fr(_bilan(), "stocks")
        paths = pollutant_charts(_bilan().rename(columns={"item": "substance",
                                                          "value": "emission_t"}),
                                 tmp_path / "graphiques", title="Essai")
    assert NEW_CROPLAND in html and NEW_AGRICULTURE in html
    assert NEW_CROPLAND in frame.iloc[:, 3].tolist()
    svg = paths["polluants_secteurs.svg"].read_text(encoding="utf-8")
    assert NEW_AGRICULTURE in re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    # back to the shipped set outside the block
    assert LAND_USE_LABELS_FR["cropland"] == "Cultures"
    assert category_label("polluants", "agriculture") == "Agriculture"


def test_levers_and_items():
    assert lever_label("practice:catchCrops") == PRACTICE_LABELS_FR["catchCrops"]
    assert lever_label("practice:inconnue") == "inconnue"
    assert item_label("scenario", "baseline") == "Tendanciel"
    assert item_label("stocks", "live_biomass") == "Biomasse vivante"
    assert item_label("polluants", "PM10") == "PM₁₀"
