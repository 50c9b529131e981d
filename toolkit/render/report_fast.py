"""xlsxwriter in constant_memory mode with the per-cell hot path written directly (issue 17d).

The report is written with `constant_memory`: each row goes to disk as the next row starts,
through `Worksheet._write_single_row`, which writes every cell with `_write_cell` (a list of
attribute tuples, escaping, one formatted write per cell). At national N=1,000 the report has
~1.5 M cells and that loop, with the write_* wrappers in front of it, was the larger part of
the report's time. `RowWorksheet` keeps xlsxwriter's own code for everything else (formats and
their xf indices, merges, row heights, page setup, the package) and replaces:

1. `write_string/number/blank` for the usual call (int row/col inside the sheet, not above the
   row being written, a str under the length limit, a finite int/float, a blank with a format):
   the same dimensions, flush and table entry as `Worksheet._write_*`;
2. `_write_single_row`: the row as one string, for plain string/number/blank cells (inline
   strings: `_xHHHH_` escapes, `xml:space="preserve"`, `& < >`, as xlsxwriter writes them).

Anything else (rich strings, formulas, booleans, comments, Excel 2010 rows, shared strings,
an xlsxwriter version not verified) is handed to xlsxwriter. tests/test_report_fast.py writes
the bundled and a national report both ways and compares every part byte for byte.
"""
from __future__ import annotations

import functools
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import CellBlankTuple as _Blank, CellNumberTuple as _Number, CellStringTuple as _String

from toolkit.fillin.fastxlsx import (_LEADING, _TRAILING, ENABLED, LeanWrites, _escape_control, _escape_data, _extend,
                                     _letters, row_tag)

_new = tuple.__new__  # the namedtuple cells without their Python-level __new__ (the same objects)
_FAST_CELLS = (_String, _Number, _Blank)


def _inline(text: str) -> str:
    """Worksheet._write_cell's inline string after the attributes (plain text, not rich)."""
    return _short(text) if len(text) <= SHORT else _render(text)


def _render(text: str) -> str:
    text = _escape_control(text)
    space = ' xml:space="preserve"' if _LEADING.search(text) or _TRAILING.search(text) else ""
    return f' t="inlineStr"><is><t{space}>{_escape_data(text)}</t></is></c>'


# Short texts (status words, lights, unit and task names) recur on every sheet and are rendered
# once; the long ones (a unit's progress text) are mostly unique and would only hold memory.
SHORT = 40
_short = functools.lru_cache(maxsize=4096)(_render)


def _rich(text: str) -> bool:
    """Written by xlsxwriter as rich text. Tested on the text before its _xHHHH_ escapes, which
    change neither a leading "<r>" nor a trailing "</r>" nor create one."""
    return text.startswith("<r>") and text.endswith("</r>")


class RowWorksheet(LeanWrites):
    """A Worksheet whose constant_memory rows are written as one string (module docstring)."""

    def _lean(self, row, col) -> bool:
        """_check_dimensions + the previous row's flush of Worksheet._write_*, if the short way applies."""
        sheet: Any = self  # xlsxwriter leaves these attributes untyped
        if (not ENABLED or not sheet.constant_memory or type(row) is not int or type(col) is not int
                or not sheet.previous_row <= row < sheet.xls_rowmax or not 0 <= col < sheet.xls_colmax):
            return False
        _extend(sheet, row, col, col)
        if row > sheet.previous_row:
            self._write_single_row(row)
        return True

    def _stored(self, string: str):
        return string  # constant_memory writes strings inline

    def _write_single_row(self, current_row_num=0) -> None:
        """Worksheet._write_single_row (with _write_row and _write_cell) for plain cells."""
        sheet: Any = self
        row = sheet.previous_row
        cells = self.table.get(row)
        info = sheet.row_info.get(row)
        if (not ENABLED or not sheet.constant_memory or sheet.excel_version != 2007 or row in self.comments
                or (cells and not self._plain(cells))):
            super()._write_single_row(current_row_num)
            return
        sheet.previous_row = current_row_num
        if cells:
            r = str(row + 1)
            out = [row_tag(self, r, None, info, False)]
            append = out.append
            row_format = info.row_format if info is not None else None
            col_info = sheet.col_info
            for col in sorted(cells):
                cell = cells[col]
                fmt = cell.format or row_format or (col_info[col].column_format if col in col_info else None)
                head = f'<c r="{_letters(col)}{r}" s="{fmt._get_xf_index()}"' if fmt else f'<c r="{_letters(col)}{r}"'
                kind = cell.__class__
                if kind is _String:
                    append(head + _inline(cell.string))
                elif kind is _Blank:
                    append(head + "/>")
                else:
                    append(f"{head}><v>{cell.number:.16G}</v></c>")
            append("</row>")
            sheet.fh.write("".join(out))
        elif info is not None:
            sheet.fh.write(row_tag(self, str(row + 1), None, info, True))
        self.table.clear()

    @staticmethod
    def _plain(cells: dict) -> bool:
        for cell in cells.values():
            kind = cell.__class__
            if kind not in _FAST_CELLS or (kind is _String and (type(cell.string) is not str
                                                               or _rich(cell.string))):
                return False
        return True


class RowWorkbook(Workbook):
    """xlsxwriter.Workbook whose sheets are RowWorksheets."""

    worksheet_class = RowWorksheet
