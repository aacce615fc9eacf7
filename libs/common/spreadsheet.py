"""CSV that is safe to open in a spreadsheet app (Excel, WPS, LibreOffice).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for a
formula by those apps, so text a user or a business system wrote (a display name, an audit
"after" value) could run as one on an operator's machine (CSV injection). Such text cells get a
leading apostrophe, which the apps show as plain text; numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The cell as a spreadsheet should receive it: formula-looking text is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


class SafeCsvRows:
    """Renders rows one at a time as CSV text with every cell neutralised (for streaming)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def render(self, row: Iterable[object]) -> str:
        """One CSV line (with its line ending)."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([neutralise(cell) for cell in row])
        return self._buffer.getvalue()
