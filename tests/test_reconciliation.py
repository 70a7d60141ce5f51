"""Reconciliation bridge default method ↔ aldo-epci (issue #13 item 2): the bridge sums exactly
to the gap for each of the 37 EPCI of Nord and Pas-de-Calais (stocks and flows) and for the
group; two causes checked by hand on the CU de Dunkerque; the pure bridge on a hand-made
table; ``espass-geo aldo`` writes ecart_aldo.csv / .xlsx / .html."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from espass_geo.cli import main
from espass_geo.core import reconciliation as rec
from espass_geo.core.aldo_epci import aldo_epci_flows
from espass_geo.reference.aldo_epci_tables import epci_rows
from espass_geo.runs.aldo_epci import reconcile_with_aldo

pytestmark = pytest.mark.slow  # 37-EPCI reconciliation fixture (~20 s): excluded by -m "not slow" (#14)

DUNKERQUE = "245900428"


def _sirens_59_62() -> list[str]:
    """The 37 EPCI of Nord and Pas-de-Calais (COG 2018 communes of départements 59 and 62)."""
    from espass_geo.reference import data

    com = data.communes_2018()
    return sorted(set(com.loc[com["departement"].astype(str).isin(["59", "62"]), "epci"]
                      .astype(str)))


@pytest.fixture(scope="module")
def regional():
    sirens = _sirens_59_62()
    assert len(sirens) == 37
    return reconcile_with_aldo("epci:" + ",".join(sirens))


def test_bridge_sums_exactly_to_the_gap_for_every_epci(regional):
    for bridge, col, what in ((regional.stocks, "delta_tC", "stocks"),
                              (regional.flows, "delta_tCO2e_an", "flows")):
        tot = regional.totals[regional.totals["what"] == what].set_index("siren")
        assert len(tot) == 38  # 37 EPCI + TOTAL
        for siren, b in bridge.groupby("siren"):
            assert list(b["cause"]) == list(rec.STOCK_CAUSES if what == "stocks"
                                            else rec.FLOW_CAUSES)
            gap = tot.loc[siren, "gap"]
            assert gap == pytest.approx(tot.loc[siren, "default"] - tot.loc[siren, "aldo_epci"],
                                        rel=1e-12)
            # exact by construction (« autres » = gap − the others), to float rounding
            assert abs(math.fsum(b[col]) - gap) <= 1e-9 * max(1.0, abs(gap))
            assert b["share_of_gap"].sum() == pytest.approx(1.0, rel=1e-9)


def test_regional_figures_match_the_measured_causes(regional):
    """The author of aldo-epci measured (37 EPCI): stocks 81.84 (default) vs 81.29 MtC
    (aldo-epci), flows 496 vs 635 ktCO2e/an; hedges −1.04 MtC, wood stock −0.21 MtC, dead wood
    +0.63 MtC / −0.58 ktCO2e/an, wood flows +6.96 ktCO2e/an, forest growth ≈ −148 ktCO2e/an.
    Since the default method prices the soil of whole EPCI with ALDO's per-EPCI references
    (#13 item 1), the default stock is 81.84 − 0.235 (soil weighting) − 0.020 (artificial
    split, its soil priced at the same references) = 81.58 MtC, and both causes are 0."""
    t = regional.totals.set_index(["what", "siren"])
    assert t.loc[("stocks", "TOTAL"), "default"] / 1e6 == pytest.approx(81.58, abs=0.005)
    assert t.loc[("stocks", "TOTAL"), "aldo_epci"] / 1e6 == pytest.approx(81.29, abs=0.005)
    assert t.loc[("flows", "TOTAL"), "default"] / 1e3 == pytest.approx(496, abs=0.5)
    assert t.loc[("flows", "TOTAL"), "aldo_epci"] / 1e3 == pytest.approx(635, abs=0.5)
    st = regional.stocks[regional.stocks["siren"] == "TOTAL"].set_index("cause")["delta_tC"]
    fl = regional.flows[regional.flows["siren"] == "TOTAL"].set_index("cause")["delta_tCO2e_an"]
    assert st["hedges"] / 1e6 == pytest.approx(-1.04, abs=0.005)
    assert st["wood_products"] / 1e6 == pytest.approx(-0.21, abs=0.005)
    assert st["dead_wood"] / 1e6 == pytest.approx(0.63, abs=0.005)
    # every EPCI: the soil of each land use is ALDO's per-EPCI reference × the same area
    per_epci = regional.stocks.set_index("cause").loc[["soil_weighting", "artificial_split"],
                                                      "delta_tC"]
    assert per_epci.abs().max() < 1e-3
    assert fl["wood_products"] / 1e3 == pytest.approx(6.96, abs=0.01)
    assert fl["dead_wood"] / 1e3 == pytest.approx(-0.58, abs=0.01)
    assert -150 < fl["forest_data"] / 1e3 < -140


def test_hedges_cause_is_the_aldo_hedge_stock():
    """The default method has no hedges without a hedge table: the cause is minus aldo-epci's
    hedge stock = hedge area × mixed-forest live biomass density of the EPCI, read in ALDO's
    tables (surface-haies.csv, biomass-forets.csv)."""
    r = reconcile_with_aldo(f"epci:{DUNKERQUE}")
    rows = epci_rows(DUNKERQUE)
    area = float(rows.hedges["area"])
    density = float(rows.forest["mixte"]["stock"])
    b = r.stocks.set_index("cause")["delta_tC"]
    assert b["hedges"] == pytest.approx(-area * density, rel=1e-12)


def test_n2o_cause_by_hand():
    """ALDO's N2O of a soil + litter loss x (tC/an, < 0): x/15 × (0.01 × 44/25 + 0.3 × 0.0075
    × 44/28) tN2O/an (direct + indirect), × GWP. Switching 44/25 → 44/28 with the same GWP
    (298) changes only the direct part: direct_25 = direct_28 × 28/25, so
    N_28 − N_25 = −direct_28 × (28/25 − 1) = N_25 × (0.01·44/28 − 0.01·44/25) /
    (0.01·44/25 + 0.00225·44/28)."""
    r = reconcile_with_aldo(f"epci:{DUNKERQUE}", gwp_n2o=298)
    fl = aldo_epci_flows(DUNKERQUE)
    n25 = fl.loc[fl["gas"] == "N2O", "flux_tCO2e_an"].sum()
    assert n25 < 0
    direct, indirect = 0.01 * 44 / 25, 0.3 * 0.0075 * 44 / 28
    direct_28_co2e = n25 * (0.01 * 44 / 28) / (direct + indirect)
    expected = -direct_28_co2e * (28 / 25 - 1)
    assert expected == pytest.approx(n25 * (0.01 * 44 / 28 - direct) / (direct + indirect))
    b = r.flows.set_index("cause")["delta_tCO2e_an"]
    assert b["n2o"] == pytest.approx(expected, rel=1e-12)
    assert b["n2o"] > 0  # less N2O emitted with 44/28


def test_pure_bridge_on_a_hand_made_table():
    """One zone, stocks: aldo-epci 100 soil cropland + 50 forest biomass + 10 hedges + 5 wood;
    with poplars as broadleaf the forest biomass is 60; default: 110 soil cropland + 70 forest
    biomass + 3 dead wood. Gap = 183 − 165 = 18 = hedges −10, wood −5, dead wood +3,
    poplars +10, forest data +10, soil +10, artificial 0, other 0."""
    def t(rows):
        return pd.DataFrame(rows, columns=["zone_id", "land_use", "pool", "stock_tC"])
    a = t([("Z", "cropland", "soil", 100.0), ("Z", "forest_broadleaf", "live_biomass", 50.0),
           ("Z", "hedges", "hedges", 10.0), ("Z", "wood_products", "wood_products", 5.0)])
    ap = t([("Z", "cropland", "soil", 100.0), ("Z", "forest_broadleaf", "live_biomass", 60.0),
            ("Z", "hedges", "hedges", 10.0), ("Z", "wood_products", "wood_products", 5.0)])
    d = t([("Z", "cropland", "soil", 110.0), ("Z", "forest_mixed", "live_biomass", 70.0),
           ("Z", "forest_mixed", "dead_wood", 3.0)])
    bridge, tot = rec.stock_bridge(d, a, ap)
    got = bridge.set_index("cause")["delta_tC"].to_dict()
    assert got == pytest.approx({"hedges": -10, "wood_products": -5, "dead_wood": 3,
                                 "poplars": 10, "forest_data": 10, "soil_weighting": 10,
                                 "artificial_split": 0, "other": 0})
    assert tot["gap"].iloc[0] == 18


def test_cli_aldo_writes_the_three_files(tmp_path):
    out = tmp_path / "ecart"
    run = CliRunner().invoke(main, ["aldo", "-t", f"epci:{DUNKERQUE}", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "écart" in run.output
    csv = pd.read_csv(out / "ecart_aldo.csv", dtype={"siren": str})
    assert set(csv["what"]) == {"stocks", "flows"} and len(csv) == 16
    wb = load_workbook(out / "ecart_aldo.xlsx")
    assert {"Écart stocks (tC)", "Totaux"} <= set(wb.sheetnames)
    html = (out / "ecart_aldo.html").read_text(encoding="utf-8")
    assert "Écart avec ALDO, expliqué" in html and "Haies" in html and "<script" not in html
    assert "\u202f" in html or "\xa0" in html or " " in html  # French number spacing


def test_report_section_shape_and_escaping():
    from espass_geo.present.report.reconciliation import reconciliation_report_section

    r = reconcile_with_aldo(f"epci:{DUNKERQUE}")
    r.label = "<b>Dunkerque</b>"
    sec = reconciliation_report_section(r)
    assert sec["id"] == "ecart-aldo" and sec["title"] == "Écart avec ALDO, expliqué"
    assert "<b>Dunkerque</b>" not in sec["html"] and "&lt;b&gt;Dunkerque" in sec["html"]


def test_non_epci_territory_is_refused():
    import warnings

    from espass_geo.errors import InputFileError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one commune: the small-territory warning
        with pytest.raises(InputFileError, match="EPCI incomplet"):
            reconcile_with_aldo("59183")


def test_api_aldo_and_write(tmp_path):
    from espass_geo import api

    r = api.aldo(f"epci:{DUNKERQUE}", label="=HYPERLINK(\"x\")")
    m = api.write(r, tmp_path / "out")
    assert {"ecart_aldo.csv", "ecart_aldo.xlsx", "ecart_aldo.html"} <= set(m.files)
    ws = load_workbook(tmp_path / "out" / "ecart_aldo.xlsx")["Lisez-moi"]
    cell = ws.cell(row=1, column=1)  # « Écart avec ALDO, expliqué — =HYPERLINK… »: text
    assert cell.data_type == "s"
    ws = load_workbook(tmp_path / "out" / "ecart_aldo.xlsx")["Totaux"]
    assert ws.cell(row=1, column=1).value == "siren"
    assert isinstance(ws.cell(row=2, column=5).value, float)  # numbers stay numbers


def test_bilan_section_only_for_whole_epci(tmp_path):
    """aldo_gap_sections: one section (and the two files) for a bilan on whole EPCI, none
    for a territory of communes that are not whole EPCI."""
    import warnings
    from types import SimpleNamespace

    from espass_geo.runs.aldo_epci import aldo_gap_sections
    from espass_geo.territory.resolve import resolve_territory

    bilan = SimpleNamespace(stocks=SimpleNamespace(territory=resolve_territory(
        f"epci:{DUNKERQUE}")), config=SimpleNamespace(gwp_n2o=273.0))
    secs = aldo_gap_sections(bilan, tmp_path / "ecart")
    assert [s["id"] for s in secs] == ["ecart-aldo"]
    assert (tmp_path / "ecart" / "ecart_aldo.csv").exists()
    assert (tmp_path / "ecart" / "ecart_aldo.xlsx").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        part = SimpleNamespace(stocks=SimpleNamespace(territory=resolve_territory("59183")),
                               config=None)
    assert aldo_gap_sections(part) == []
    assert aldo_gap_sections(SimpleNamespace(stocks=None)) == []


def test_html_shares_are_percentages():
    from espass_geo.present.report.reconciliation import reconciliation_body

    r = reconcile_with_aldo(f"epci:{DUNKERQUE}")
    html = reconciliation_body(r)
    # hedges: −5 532 tC of a +1 724 tC gap ≈ −320,8 % (shares of the bridge table; the gap
    # was +18,9 ktC before the soil of whole EPCI took ALDO's per-EPCI references, #13 item 1)
    share = r.stocks.set_index("cause").loc["hedges", "share_of_gap"]
    assert share == pytest.approx(-3.208, abs=0.001)
    assert "−320,8\xa0%" in html and "100,0\xa0%" in html


def test_tables_only_epci_outside_59_62(tmp_path):
    """Bordeaux Métropole (243300316) has no embedded polygons: the default method's flows
    come from the same calculation as compute_territory_flows (checked equal on Dunkerque,
    which has polygons), and the bridge sums to the gap."""
    from pathlib import Path

    from espass_geo.runs import aldo_epci as run
    from espass_geo.runs.flows import compute_territory_flows
    from espass_geo.territory.resolve import resolve_territory

    paths = run._aldo_input_tables([DUNKERQUE], Path(tmp_path))
    direct = run._default_flows_tables_only(resolve_territory(f"epci:{DUNKERQUE}"), paths,
                                            273.0)
    full = compute_territory_flows(f"epci:{DUNKERQUE}", changes=paths["changes"],
                                   forest_areas=paths["forest_areas"], method="aldo",
                                   gwp_n2o=273.0).flows
    pd.testing.assert_frame_equal(direct.reset_index(drop=True), full.reset_index(drop=True))
    r = reconcile_with_aldo("epci:243300316")
    for b, col, what in ((r.stocks, "delta_tC", "stocks"), (r.flows, "delta_tCO2e_an", "flows")):
        gap = r.totals.set_index("what").loc[what, "gap"]
        assert abs(math.fsum(b[col]) - gap) <= 1e-9 * abs(gap)
