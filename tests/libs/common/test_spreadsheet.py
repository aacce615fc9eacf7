"""CSV cells that a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from libs.common.spreadsheet import SafeCsvRows, neutralise


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
