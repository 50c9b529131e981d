"""xlsxwriter with the fill-in workbooks' hot loops written directly (issue 17, national scale).

A national fill-in workbook is ~5,000 cells and ~1,400 shared strings; xlsxwriter spends about
half of its time on them in `Workbook.close`: one `_write_cell` call per cell (a list of
attribute tuples, escaping, a formatted write) and one `_write_si` per string. `FastWorkbook`
is xlsxwriter itself with those two loops replaced by string building over the same data
(`Worksheet.table`, `row_info`, the shared-string table), and the zip assembled here so that
parts whose bytes recur (theme, styles, the identity sheet of a national run, ...) are
deflated once per process and copied with their CRC.

Everything else — cell writes, formats and their xf indices, merges, validations, page setup,
defined names, properties — is xlsxwriter's own code. Each fast loop writes exactly what
xlsxwriter writes (tests/test_sheets_fast.py generates every unit of the bundled and of a
national plan both ways and compares the files part by part, byte for byte) and hands back
to xlsxwriter's own method for anything it does not handle: comments, rich strings, formulas
or other cell types, constant_memory, Excel 2010 row attributes, an xlsxwriter version the
comparison has not covered.
"""
from __future__ import annotations

import re
from math import isfinite

import xlsxwriter
from xlsxwriter.packager import Packager
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import CellBlankTuple as _Blank, CellNumberTuple as _Number, CellStringTuple as _String
from xlsxwriter.worksheet import Worksheet

# xlsxwriter versions whose output the fast loops reproduce (checked by tests/test_sheets_fast.py).
VERIFIED = ("3.1.", "3.2.", "3.3.")
ENABLED = xlsxwriter.__version__.startswith(VERIFIED)

_FAST_CELLS = frozenset(("Number", "Datetime", "String", "Blank"))
_ESCAPE = re.compile('["&<>\n]')
_CONTROL_1 = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL_2 = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_LEADING = re.compile(r"^\s")
_TRAILING = re.compile(r"\s$")
_COLUMNS: list[str] = []


def _letters(col: int) -> str:
    while len(_COLUMNS) <= col:
        _COLUMNS.append(xl_col_to_name(len(_COLUMNS)))
    return _COLUMNS[col]


def _escape_data(text: str) -> str:
    """xmlwriter._escape_data: & < > (double quotes stay)."""
    if not _ESCAPE.search(text):
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_control(text: str) -> str:
    """xmlwriter._escape_control_characters: _xHHHH_ for control characters, literal ones escaped."""
    if "_x" in text:
        text = _CONTROL_1.sub(r"_x005F\1", text)
    if _CONTROL_2.search(text):
        text = re.sub(r"[\x00-\x08\x0b-\x1f]", lambda m: f"_x{ord(m.group(0)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text


class FastWorksheet(Worksheet):
    """A Worksheet whose <sheetData> is built as one string when it holds only plain cells,
    and whose write_string/number/blank take a short way for the usual call (integer row and
    column inside the sheet, a string under the length limit, a finite number): the same
    table entry and dimensions as Worksheet._write_*; anything else goes to xlsxwriter."""

    def _lean(self, row, col) -> bool:
        """Store (row, col) in the dimensions as _check_dimensions does, if the short way applies."""
        if (not ENABLED or type(row) is not int or type(col) is not int or self.constant_memory
                or not 0 <= row < self.xls_rowmax or not 0 <= col < self.xls_colmax):
            return False
        if self.dim_rowmin is None or row < self.dim_rowmin:
            self.dim_rowmin = row
        if self.dim_rowmax is None or row > self.dim_rowmax:
            self.dim_rowmax = row
        if self.dim_colmin is None or col < self.dim_colmin:
            self.dim_colmin = col
        if self.dim_colmax is None or col > self.dim_colmax:
            self.dim_colmax = col
        return True

    def write_string(self, row, col, string, cell_format=None):  # type: ignore[override]
        if type(string) is not str or len(string) > self.xls_strmax // 2 or not self._lean(row, col):
            return super().write_string(row, col, string, cell_format)
        self.table[row][col] = _String(self.str_table._get_shared_string_index(string), cell_format)
        return 0

    def write_number(self, row, col, number, cell_format=None):  # type: ignore[override]
        if type(number) not in (int, float) or not isfinite(number) or not self._lean(row, col):
            return super().write_number(row, col, number, cell_format)
        self.table[row][col] = _Number(number, cell_format)
        return 0

    def write_blank(self, row, col, blank, cell_format=None):  # type: ignore[override]
        if cell_format is None or not self._lean(row, col):
            return super().write_blank(row, col, blank, cell_format)
        self.table[row][col] = _Blank(cell_format)
        return 0

    def _fast_ok(self) -> bool:
        if not ENABLED or self.constant_memory or self.excel_version != 2007 or any(self.comments.values()):
            return False
        return all(cell.__class__.__name__ in _FAST_CELLS for row in self.table.values() for cell in row.values())

    def _write_sheet_data(self) -> None:
        if self.dim_rowmin is None or not self._fast_ok():
            super()._write_sheet_data()
            return
        self.fh.write("<sheetData>" + self._sheet_rows() + "</sheetData>")

    def _sheet_rows(self) -> str:
        """Worksheet._write_rows (with _calculate_spans, _write_row, _write_cell), for plain cells."""
        table, row_info, col_info = self.table, self.row_info, self.col_info
        first, last = self.dim_rowmin, self.dim_rowmax
        spans = self._spans(first, last)
        out: list[str] = []
        append = out.append
        for row in range(first, last + 1):
            cells = table.get(row)
            info = row_info.get(row)
            if not cells and info is None:
                continue
            r = str(row + 1)
            append(self._row_tag(r, spans.get(row // 16), info, not cells))
            if not cells:
                continue
            row_format = info.row_format if info is not None else None
            for col in sorted(cells):
                cell = cells[col]
                fmt = cell.format
                if fmt:
                    s = f' s="{fmt._get_xf_index()}"'
                elif row_format:
                    s = f' s="{row_format._get_xf_index()}"'
                elif col in col_info and col_info[col].column_format is not None:
                    s = f' s="{col_info[col].column_format._get_xf_index()}"'
                else:
                    s = ""
                kind = cell.__class__.__name__
                if kind == "String":
                    append(f'<c r="{_letters(col)}{r}"{s} t="s"><v>{cell.string}</v></c>')
                elif kind == "Blank":
                    append(f'<c r="{_letters(col)}{r}"{s}/>')
                else:
                    append(f'<c r="{_letters(col)}{r}"{s}><v>{cell.number:.16G}</v></c>')
            append("</row>")
        return "".join(out)

    def _spans(self, first: int, last: int) -> dict[int, str]:
        """Worksheet._calculate_spans: the columns used per block of 16 rows."""
        spans: dict[int, str] = {}
        lo = hi = None
        for row in range(first, last + 1):
            cells = self.table.get(row)
            if cells:
                a, b = min(cells), max(cells)
                lo = a if lo is None else min(lo, a)
                hi = b if hi is None else max(hi, b)
            if (row + 1) % 16 == 0 or row == last:
                if lo is not None:
                    spans[row // 16] = f"{lo + 1}:{hi + 1}"
                    lo = hi = None
        return spans

    def _row_tag(self, r: str, spans: str | None, info, empty: bool) -> str:
        """Worksheet._write_row's <row> tag."""
        tag = f'<row r="{r}"'
        if spans:
            tag += f' spans="{spans}"'
        height, row_format, hidden, level, collapsed = (
            (info.height, info.row_format, info.hidden, info.level, info.collapsed) if info is not None
            else (None, None, 0, 0, 0))
        if height is None:
            height = self.default_row_height
        if row_format:
            xf_index = row_format._get_xf_index()
            if xf_index:
                tag += f' s="{xf_index}"'
            tag += ' customFormat="1"'
        custom = height != self.original_row_height or height != self.default_row_height
        if custom:
            tag += f' ht="{height * 0.75:.16g}"'
        if hidden:
            tag += ' hidden="1"'
        if custom:
            tag += ' customHeight="1"'
        if level:
            tag += f' outlineLevel="{level}"'
        if collapsed:
            tag += ' collapsed="1"'
        return tag + ("/>" if empty else ">")


class FastPackager(Packager):
    """The shared strings written as one string (SharedStrings._write_sst_strings)."""

    def _write_shared_strings_file(self) -> None:
        table = self.workbook.str_table
        strings = table.string_array
        if not ENABLED or not table.count or any(s.startswith("<r>") and s.endswith("</r>") for s in strings):
            super()._write_shared_strings_file()
            return
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               f'count="{table.count}" uniqueCount="{table.unique_count}">']
        append = out.append
        for text in strings:
            text = _escape_control(text)
            space = ' xml:space="preserve"' if _LEADING.search(text) or _TRAILING.search(text) else ""
            append(f"<si><t{space}>{_escape_data(text)}</t></si>")
        append("</sst>")
        target = self._filename("xl/sharedStrings.xml")
        if isinstance(target, str):  # not in_memory: a temp file
            with open(target, "w", encoding="utf-8") as fh:
                fh.write("".join(out))
        else:
            target.write("".join(out))


class FastWorkbook(Workbook):
    """xlsxwriter.Workbook with FastWorksheet, FastPackager and the zip written by `_store_parts`."""

    worksheet_class = FastWorksheet

    def _get_packager(self):
        return FastPackager()
