"""CSV cells that a spreadsheet would run as formulas are neutralised; Excel workbooks hold text
as inline strings (never formulas) and numbers as numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.etree import ElementTree

import pytest

from libs.common.spreadsheet import SafeCsvRows, neutralise, xlsx_bytes


@pytest.mark.parametrize(
    "cell", ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", '=HYPERLINK("x")']
)
def test_formula_looking_text_is_quoted(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["基金", "a=b", "", "'=already quoted", 42, -3, None])
def test_other_cells_are_untouched(cell: object) -> None:
    assert neutralise(cell) == cell


def test_rows_render_one_line_each_and_parse_back() -> None:
    rows = SafeCsvRows()
    text = rows.render(["id", "name"]) + rows.render([1, "=cmd|' /C calc'!A0"])
    assert list(csv.reader(io.StringIO(text))) == [["id", "name"], ["1", "'=cmd|' /C calc'!A0"]]


NS = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_xlsx(data: bytes) -> list[list[tuple[str, str | None, str]]]:
    """Each row's cells as (reference, type, text) from the workbook's only sheet."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"} <= names
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iterfind("s:sheetData/s:row", NS):
        cells = []
        for cell in row.iterfind("s:c", NS):
            assert cell.find("s:f", NS) is None  # never a formula
            text = "".join(cell.itertext())
            cells.append((cell.get("r", ""), cell.get("t"), text))
        rows.append(cells)
    return rows


def test_a_workbook_holds_text_as_text_and_numbers_as_numbers() -> None:
    columns = [f"c{i}" for i in range(28)]
    data = xlsx_bytes(
        "report", [columns, ["=cmd|' /C calc'!A0", 42, 0.75, None, "a<b&c", True, "x\x01y"]]
    )
    header, row = read_xlsx(data)
    assert [ref for ref, _, _ in header][-3:] == ["Z1", "AA1", "AB1"]
    assert row == [
        ("A2", "inlineStr", "=cmd|' /C calc'!A0"),
        ("B2", None, "42"),
        ("C2", None, "0.75"),
        ("D2", "inlineStr", ""),
        ("E2", "inlineStr", "a<b&c"),
        ("F2", "inlineStr", "true"),
        ("G2", "inlineStr", "xy"),
    ]
