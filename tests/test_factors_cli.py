"""Factor sets as run inputs: ``--factors DIR`` (CLI), ``factors`` (bilan.toml, API).

The 4×4 hand case (conftest): zone A holds 4 ha of CLC 211 (cropland, ZPC 2_1), so raising the
ZPC 2_1 cropland soil reference by Δ tC/ha raises A's soil stock by 4 ha × Δ, B's not at all.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import openpyxl
import pandas as pd
from click.testing import CliRunner

from espass_geo.cli import main
from espass_geo.core.bilan_table import build_bilan_table
from espass_geo.io.manifest import MANIFEST_NAME
from espass_geo.reference import data
from espass_geo.reference.factor_set import FactorSet

NEW_LABEL = "Grandes cultures (jeu local)"


def _amended_soil(folder, value: float):
    """A partial factor folder: the ZPC 2_1 cropland row of aldo_soil_stock_ref, changed."""
    folder.mkdir(exist_ok=True)
    ref = pd.read_csv(data.data_path("factors", "aldo_soil_stock_ref.csv"), dtype=str,
                      keep_default_na=False)
    row = ref[(ref["zpc"] == "2_1") & (ref["soil_class"] == "cultures")].copy()
    old = float(row["value"].iloc[0])
    row["value"] = str(value)
    row["source"] = "Étude sols locale (test)"
    row.to_csv(folder / "aldo_soil_stock_ref.csv", index=False)
    return old


def _amended_label(folder):
    folder.mkdir(exist_ok=True)
    lu = pd.read_csv(data.data_path("factors", "land_use_classes.csv"), dtype=str,
                     keep_default_na=False)
    row = lu[lu["land_use"] == "cropland"].copy()
    row["label_fr"] = NEW_LABEL
    row.to_csv(folder / "land_use_classes.csv", index=False)


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _soil(out, zone):
    s = pd.read_csv(out / "stocks.csv", dtype={"zone_id": str})
    return s[(s["zone_id"] == zone) & (s["pool"] == "soil")]["stock_tC"].sum()


def test_factors_folder_changes_the_stock_and_the_manifest(tmp_path, tiny_raster, zones_file):
    base = ["stocks", "--territory", zones_file, "--landcover", tiny_raster, "--zpc", "2_1",
            "--no-map"]
    r = _invoke(*base, "--out", tmp_path / "shipped")
    assert r.exit_code == 0, r.output
    old = _amended_soil(tmp_path / "facteurs", 61.5)
    r = _invoke(*base, "--factors", tmp_path / "facteurs", "--out", tmp_path / "local")
    assert r.exit_code == 0, r.output
    # hand arithmetic: 4 ha of cropland in A × (61.5 − 50) tC/ha; B has no cropland
    assert old == 50.0
    delta_a = _soil(tmp_path / "local", "A") - _soil(tmp_path / "shipped", "A")
    assert abs(delta_a - 4 * (61.5 - 50.0)) < 1e-6
    assert abs(_soil(tmp_path / "local", "B") - _soil(tmp_path / "shipped", "B")) < 1e-9
    shipped = json.loads((tmp_path / "shipped" / MANIFEST_NAME).read_text(encoding="utf-8"))
    local = json.loads((tmp_path / "local" / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert shipped["factors"]["sha256"] == FactorSet.default().sha256
    assert local["factors"]["sha256"] != shipped["factors"]["sha256"]
    assert any("aldo_soil_stock_ref" in c for c in local["factors"]["changes"])
    assert "--factors" in local["command"]


def test_factors_in_bilan_toml_reach_the_report_and_the_xlsx(tmp_path, tiny_raster, zones_file):
    folder = tmp_path / "facteurs"
    _amended_soil(folder, 61.5)
    _amended_label(folder)
    toml = tmp_path / "bilan.toml"
    toml.write_text(f'''title = "Bilan test"
territory = "{zones_file.as_posix()}"
zpc = "2_1"
factors = "facteurs"

[landcover]
after = "{tiny_raster.as_posix()}"
years = [2012, 2018]
''', encoding="utf-8")
    out = tmp_path / "bilan"
    r = _invoke("bilan", "--config", toml, "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    report = (out / "rapport.html").read_text(encoding="utf-8")
    assert NEW_LABEL in report
    wb = openpyxl.load_workbook(out / "bilan.xlsx", read_only=True)
    cells = {str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None}
    assert NEW_LABEL in cells
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["factors"]["sha256"] != FactorSet.default().sha256
    assert "land_use_classes" in " ".join(manifest["factors"]["changes"])
    readme = (out / "stocks" / "LISEZ-MOI_stocks.txt").read_text(encoding="utf-8")
    assert manifest["factors"]["sha256"] in readme  # the bilan's parameters record the set


def test_bad_factor_folder_is_an_error(tmp_path, tiny_raster, zones_file):
    folder = tmp_path / "facteurs"
    folder.mkdir()
    (folder / "sol.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    r = _invoke("stocks", "--territory", zones_file, "--landcover", tiny_raster, "--zpc", "2_1",
                "--factors", folder, "--out", tmp_path / "o")
    assert r.exit_code == 2
    assert "sol.csv" in r.output and not (tmp_path / "o").exists()


def test_zero_land_use_post_is_written_as_zero():
    """-(0.0) is -0.0: the land-use post of a zone without flows is 0.0 in the bilan table."""
    table = pd.DataFrame({"zone_id": ["A"], "view": ["post"], "category": ["utilisation_terres"],
                          "substance": ["GES"], "emission_t": [float("nan")],
                          "emission_tCO2e": [-0.0], "source": ["flux"], "estimate": [False]})
    em = SimpleNamespace(table=table, zones=pd.DataFrame({"zone_id": ["A"], "zone_name": ["A"]}))
    values = build_bilan_table(emissions=em)["value"]
    assert (values == 0).all()
    assert not any(str(v).startswith("-") for v in values)
