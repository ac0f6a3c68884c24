"""A CSV file a spreadsheet opens without running anything, Chinese included."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.spreadsheet import csv_bytes, inert


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1",
                                  '=HYPERLINK("http://evil.example")'])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell):
    assert inert(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "Who operates 198.51.100.7?", "天津", "'quoted", " =1"])
def test_other_cells_are_kept_as_they_are(cell):
    assert inert(cell) == cell


def test_the_file_starts_with_a_byte_order_mark_and_reads_back():
    data = csv_bytes(["Id", "Summary"], [["x-1", "天津服务器, \"logs\"\nline two"],
                                         ["x-2", "=cmd|' /C calc'!A0"]])
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["Id", "Summary"], ["x-1", "天津服务器, \"logs\"\nline two"],
                    ["x-2", "'=cmd|' /C calc'!A0"]]


@given(st.lists(st.lists(st.text(), min_size=1, max_size=4), max_size=5))
def test_no_cell_read_back_starts_a_formula(rows):
    header = ["a", "b", "c", "d"]
    back = list(csv.reader(io.StringIO(csv_bytes(header, rows).decode("utf-8-sig"),
                                       newline="")))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in back for cell in r)
