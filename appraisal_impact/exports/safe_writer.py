"""The one way the app writes spreadsheets and CSV files: text can never become a formula.

Formula injection (OWASP "CSV injection"): text a person typed — a source, a name, a note — that begins
with = + - @, a tab, a carriage return or a line feed would be run as a formula by the spreadsheet that
opens the file (`=HYPERLINK(...)` becomes a live link; a `+` or `-` line starts a calculation). So:

- workbooks are xlsxwriter workbooks that never turn strings into formulas, URLs or numbers
  (`strings_to_formulas=False`, `strings_to_urls=False`, `strings_to_numbers=False`); `write()` of text
  is always a text cell, and a formula can only be written on purpose with `write_formula`;
- text that begins with one of those characters is prefixed with a single quote (`'`), in workbooks and
  in CSV, so that it stays inert even if someone later edits the cell and presses Enter;
- numbers stay numbers (a negative headroom must stay a number, and a number cannot hold a formula).

Use `workbook(buffer)` for every .xlsx and `csv_writer(out)` for every .csv.
"""

from __future__ import annotations

import csv
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
SAFE_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would take for a formula, made inert with a leading quote; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeWorksheet(Worksheet):
    """A worksheet whose text cells are neutralised, whichever `write*` method puts them there."""

    # write(), write_string() and write_row() all put text through _write_string (xlsxwriter 3.x)
    def _write_string(self, row, col, string, cell_format=None):
        return super()._write_string(row, col, neutralise(string), cell_format)

    def write_formula(self, *args, **kwargs):
        raise TypeError("the app writes no formulas: put the value in the cell")

    def write_array_formula(self, *args, **kwargs):
        raise TypeError("the app writes no formulas: put the value in the cell")

    def write_dynamic_array_formula(self, *args, **kwargs):
        raise TypeError("the app writes no formulas: put the value in the cell")

    def write_url(self, *args, **kwargs):
        raise TypeError("the app writes no links into files it exports")


class SafeWorkbook(xlsxwriter.Workbook):
    """An xlsxwriter workbook whose every sheet is a `SafeWorksheet` and whose strings stay strings."""

    def add_worksheet(self, name=None, worksheet_class=None):
        return super().add_worksheet(name, worksheet_class=SafeWorksheet)


def workbook(target, **options) -> SafeWorkbook:
    """A new workbook writing to `target` (a path or a BytesIO), in memory, with the safe options."""
    return SafeWorkbook(target, {"in_memory": True, **options, **SAFE_OPTIONS})


class SafeCsvWriter:
    """`csv.writer` whose text cells are neutralised."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row) -> None:
        self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> SafeCsvWriter:
    return SafeCsvWriter(out, **kwargs)
