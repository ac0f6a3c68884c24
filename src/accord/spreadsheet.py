"""A list as a CSV file a spreadsheet opens safely and in the right script. Pure.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return before one) as a
formula: a request's summary written by another party could then fetch a URL or run a command
on the reader's machine (OWASP, "CSV Injection"). Such cells are written with a leading
apostrophe, which shows the text as written. Excel reads a CSV as the system's code page unless
it starts with a UTF-8 byte-order mark: with it, Chinese reads as Chinese.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def inert(cell: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark, CRLF line ends (RFC 4180), every cell made inert."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([inert(cell) for cell in header])
    for row in rows:
        writer.writerow([inert(cell) for cell in row])
    return (BOM + out.getvalue()).encode("utf-8")
