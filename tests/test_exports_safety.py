"""Spreadsheet-safe exports (issue #9, item 2; OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading ``'`` in every CSV and stored as a string (never a formula) in the workbook;
numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from espass_geo.present.exports import (
    csv_safe,
    neutralise_text,
    write_csv,
    write_csv_fr,
    write_xlsx,
)

HOSTILE = ["=HYPERLINK(\"http://x\",\"clic\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tTAB", "\rCR"]
SAFE = ["Saint-Omer", "Zone 1 = 2", "a@b", "", "’=apostrophe typographique"]


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralise_text_prefixes_a_quote(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("value", [*SAFE, -3, -2.5, 0, 1e-9, None, True])
def test_neutralise_text_leaves_other_values(value):
    assert neutralise_text(value) is value


def _frame() -> pd.DataFrame:
    names = HOSTILE + ["Saint-Omer", "Lille"]
    return pd.DataFrame({
        "zone_id": [f"Z{k}" for k in range(len(names))],
        "zone_name": names,
        "value": [-1.5 * k for k in range(len(names))],       # float, negative
        "count": list(range(-3, len(names) - 3)),            # int, negative
        "mixed": ["-4", -4, "=1", 2.5, None, "x", "+", "@"],  # object: only the text changes
    })


def test_csv_cells_are_neutralised_and_numbers_kept(tmp_path):
    df = _frame()
    path = write_csv(df, tmp_path / "t.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["zone_id", "zone_name", "value", "count", "mixed"]
    body = rows[1:]
    # a bare carriage return would split the row: it becomes a line feed (quoted field)
    expected = ["'" + t for t in HOSTILE[:-1]] + ["'\nCR"]
    assert [r[1] for r in body] == expected + ["Saint-Omer", "Lille"]
    # numbers are written as numbers: -0.0, -1.5, … and -3 … 4, no quote
    assert [r[2] for r in body] == ["-0.0", "-1.5", "-3.0", "-4.5", "-6.0", "-7.5", "-9.0",
                                    "-10.5"]
    assert [r[3] for r in body] == ["-3", "-2", "-1", "0", "1", "2", "3", "4"]
    assert [r[4] for r in body] == ["'-4", "-4", "'=1", "2.5", "", "x", "'+", "'@"]
    back = pd.read_csv(path)
    assert back["value"].dtype.kind == "f" and back["count"].dtype.kind == "i"
    assert back["value"].sum() == pytest.approx(-1.5 * sum(range(8)))
    # the frame given to the writer is not modified
    assert df["zone_name"].tolist()[0] == HOSTILE[0]


def test_every_hostile_cell_starts_with_a_quote(tmp_path):
    """Whatever column it is in, no CSV field starts like a formula (header included)."""
    df = _frame().rename(columns={"mixed": "=colonne"})
    for writer, kwargs in ((write_csv, {}), (write_csv_fr, {"delimiter": ";"})):
        path = writer(df, tmp_path / f"{writer.__name__}.csv")
        with open(path, encoding="utf-8-sig", newline="") as f:
            fields = [x for row in csv.reader(f, **kwargs) for x in row]
        text_fields = [x for x in fields if x and not _is_number(x)]
        assert not [x for x in text_fields if x[0] in "=+-@\t\r"], text_fields
        assert "'=colonne" in fields


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def test_french_csv_neutralised_with_decimal_comma(tmp_path):
    path = write_csv_fr(_frame(), tmp_path / "fr.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    body = rows[1:]
    assert [r[1] for r in body][:6] == ["'" + t for t in HOSTILE[:-1]] + ["'\nCR"]
    assert [r[2] for r in body][:3] == ["-0,0", "-1,5", "-3,0"]  # decimal comma, no quote
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert back["value"].dtype.kind == "f"
    assert back["value"].iloc[1] == -1.5


def test_csv_safe_copies_only_when_needed():
    clean = pd.DataFrame({"a": ["x", "y"], "b": [-1, 2]})
    assert csv_safe(clean) is clean
    cat = pd.DataFrame({"a": pd.Categorical(["=1", "y"])})
    assert csv_safe(cat)["a"].tolist() == ["'=1", "y"]


def _bilan_with(texts: list[str]) -> pd.DataFrame:
    rows = []
    for k, t in enumerate(texts):
        rows.append(dict(zone_id=f"Z{k}", zone_name=t, theme="stocks", category="cropland",
                         item="soil", value=-100.0 * (k + 1), unit="tC", sign_convention=t,
                         source=t, method="aldo", estimate=False))
    zones = pd.DataFrame(rows)
    total = pd.DataFrame([dict(zone_id="TOTAL", zone_name="Territoire", theme="stocks",
                               category="cropland", item="soil",
                               value=float(zones["value"].sum()), unit="tC",
                               sign_convention=texts[0], source=texts[0], method="aldo",
                               estimate=False)])
    return pd.concat([total, zones], ignore_index=True)


def test_xlsx_text_is_never_a_formula(tmp_path):
    b = _bilan_with(HOSTILE)
    meta = {"title": "=1+1", "territory_label": "@cmd", "generated_at": "29/11/2026 10:00",
            "params": {"zone": "=HYPERLINK(\"x\")", "-clé": "+x"}, "warnings": ["-attention"],
            "sources": []}
    path = write_xlsx(b, tmp_path / "b.xlsx", meta=meta)
    wb = openpyxl.load_workbook(path)  # formulas would come back as "=…" with data_type "f"
    formulas = [(ws.title, c.coordinate, c.value) for ws in wb.worksheets
                for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    readme = wb["Lisez-moi"]
    assert readme["A1"].value == "=1+1" and readme["A1"].data_type == "s"
    assert readme["A1"].quotePrefix  # Excel keeps it as text when the cell is edited
    values = {c.value for row in readme.iter_rows() for c in row}
    assert {"@cmd", "=HYPERLINK(\"x\")", "+x", "-attention"} <= values
    ws = wb["Stocks"]
    head = [c.value for c in ws[1]]
    zone_col = head.index("Zone") + 1
    value_col = head.index("Valeur") + 1
    names = [ws.cell(row=r, column=zone_col) for r in range(2, ws.max_row + 1)]
    # the literal text (XML reads a carriage return back as a line feed)
    assert [c.value for c in names] == ["Territoire", *HOSTILE[:-1], "\nCR"]
    assert all(c.data_type == "s" for c in names)
    nums = [ws.cell(row=r, column=value_col) for r in range(2, ws.max_row + 1)]
    # numbers stay numbers: TOTAL = -(100 + 200 + … + 600) = -2100, then -100 … -600
    assert [c.value for c in nums] == [-2100.0, -100.0, -200.0, -300.0, -400.0, -500.0, -600.0]
    assert all(c.data_type == "n" for c in nums)


def test_xlsx_control_characters_do_not_crash(tmp_path):
    b = _bilan_with(["Zone\x01bizarre", "=ok"])
    wb = openpyxl.load_workbook(write_xlsx(b, tmp_path / "c.xlsx", meta={}))
    names = [c.value for c in wb["Stocks"]["B"]][1:]
    assert names == ["Territoire", "Zone\ufffdbizarre", "=ok"]
