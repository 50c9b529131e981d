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

import functools
import io
import os
import re
import struct
import zlib
from binascii import crc32
from math import isfinite
from typing import Any

import xlsxwriter
from xlsxwriter.packager import Packager
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import CellBlankTuple as _Blank, CellNumberTuple as _Number, CellStringTuple as _String
from xlsxwriter import worksheet as _worksheet
from xlsxwriter.worksheet import Worksheet

# xlsxwriter versions whose output the fast loops reproduce (checked by tests/test_sheets_fast.py).
VERIFIED = ("3.1.", "3.2.", "3.3.")
ENABLED = xlsxwriter.__version__.startswith(VERIFIED)

# set_row's row record, stored directly by write_cells for 3.3 (checked there); else set_row is called
_RowInfo = getattr(_worksheet, "RowInfo", None) if xlsxwriter.__version__.startswith("3.3.") else None
_new = tuple.__new__  # the namedtuple cells without their Python-level __new__ (the same objects)
_FAST_CELLS = frozenset(("Number", "Datetime", "String", "Blank"))
_ESCAPE = re.compile('["&<>\n]')
_CONTROL_1 = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL_2 = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_LEADING = re.compile(r"^\s")
_TRAILING = re.compile(r"\s$")


@functools.cache
def _letters(col: int) -> str:
    return xl_col_to_name(col)


def _extend(sheet: Any, row: int, first: int, last: int) -> None:
    """Worksheet._check_dimensions for cells stored in `row`, columns first..last (xlsxwriter
    leaves these attributes untyped)."""
    if sheet.dim_rowmin is None or row < sheet.dim_rowmin:
        sheet.dim_rowmin = row
    if sheet.dim_rowmax is None or row > sheet.dim_rowmax:
        sheet.dim_rowmax = row
    if sheet.dim_colmin is None or first < sheet.dim_colmin:
        sheet.dim_colmin = first
    if sheet.dim_colmax is None or last > sheet.dim_colmax:
        sheet.dim_colmax = last


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


class LeanWrites(Worksheet):
    """write_string/number/blank's short way for the usual call (integer row and column inside
    the sheet, a string under the length limit, a finite number): the table entry
    Worksheet._write_* makes; `_lean(row, col)` says whether the short way applies (and does
    that method's dimension and row bookkeeping), `_stored(text)` is what the table holds for a
    text. Anything else goes to xlsxwriter."""

    def _lean(self, row, col) -> bool:
        raise NotImplementedError

    def _stored(self, string: str):
        raise NotImplementedError

    def write_string(self, row, col, string, cell_format=None):
        if type(string) is not str or len(string) > self.xls_strmax // 2 or not self._lean(row, col):
            return super().write_string(row, col, string, cell_format)
        self.table[row][col] = _new(_String, (self._stored(string), cell_format))
        return 0

    def write_number(self, row, col, number, cell_format=None):
        if type(number) not in (int, float) or not isfinite(number) or not self._lean(row, col):
            return super().write_number(row, col, number, cell_format)
        self.table[row][col] = _new(_Number, (number, cell_format))
        return 0

    def write_blank(self, row, col, blank, cell_format=None):
        if cell_format is None or not self._lean(row, col):
            return super().write_blank(row, col, blank, cell_format)
        self.table[row][col] = _new(_Blank, (cell_format,))
        return 0


class FastWorksheet(LeanWrites):
    """A Worksheet whose <sheetData> is built as one string when it holds only plain cells,
    and whose write_string/number/blank take a short way for the usual call (integer row and
    column inside the sheet, a string under the length limit, a finite number): the same
    table entry and dimensions as Worksheet._write_*; anything else goes to xlsxwriter."""

    def _lean(self, row, col) -> bool:
        """Store (row, col) in the dimensions as _check_dimensions does, if the short way applies."""
        if (not ENABLED or type(row) is not int or type(col) is not int or self.constant_memory
                or not 0 <= row < self.xls_rowmax or not 0 <= col < self.xls_colmax):
            return False
        _extend(self, row, col, col)
        return True

    def _stored(self, string: str):
        return self.str_table._get_shared_string_index(string)

    def write_cells(self, row, cells, height=None) -> list[tuple[int, int]]:
        """One row at once (see the module function `write_cells`): the row checked and the
        dimensions updated once, each cell stored as write_string/number/blank would store it, in
        the given order (shared-string indices follow the call order); any other cell is handed
        to that method."""
        if not ENABLED or self.constant_memory or type(row) is not int or not 0 <= row < self.xls_rowmax:
            return _write_cells_plain(self, row, cells, height)
        line = self.table[row]
        index = self.str_table._get_shared_string_index
        strmax, colmax = self.xls_strmax // 2, self.xls_colmax
        lo = hi = -1
        failed: list[tuple[int, int]] = []
        for col, value, fmt in cells:
            kind: Any = type(value)
            if type(col) is not int or not 0 <= col < colmax:
                kind = None  # xlsxwriter's answer (-1, or its A1 handling)
            if kind is str and len(value) <= strmax:
                line[col] = _new(_String, (index(value), fmt))
            elif value is None and fmt is not None and kind is not None:
                line[col] = _new(_Blank, (fmt,))
            elif (kind is int or kind is float) and isfinite(value):
                line[col] = _new(_Number, (value, fmt))
            else:  # xlsxwriter's own method, as the plain loop would call it
                code = _write_one(self, row, col, value, fmt)
                if code:
                    failed.append((col, code))
                continue
            if lo < 0:
                lo = hi = col
            elif col < lo:
                lo = col
            elif col > hi:
                hi = col
        if lo >= 0:  # Worksheet._check_dimensions for the cells stored here
            _extend(self, row, lo, hi)
        if height is not None:
            pixels = int(height * 4.0 / 3.0 + 0.5)
            if pixels > 0 and _RowInfo is not None:  # set_row_pixels for a plain height (0 hides the row)
                self.row_info[row] = _RowInfo(height=pixels, row_format=None, hidden=False, level=0, collapsed=False)
                self.row_sizes[row] = [pixels, False]
            else:
                self.set_row(row, height)
        return failed

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
        letters = [_letters(c) for c in range(self.dim_colmax + 1)]
        styles: dict[int, str] = {}  # id(format) -> ' s="n"' ('' for none), kept alive by the table
        for row in range(first, last + 1):
            cells = table.get(row)
            info = row_info.get(row)
            if not cells and info is None:
                continue
            r = str(row + 1)
            append(row_tag(self, r, spans.get(row // 16), info, not cells))
            if not cells:
                continue
            row_format = info.row_format if info is not None else None
            for col in sorted(cells):
                cell = cells[col]
                fmt = cell.format or row_format or (col_info[col].column_format if col in col_info else None)
                s = styles.get(id(fmt))
                if s is None:  # first use: xlsxwriter assigns xf indices in this same order
                    s = styles[id(fmt)] = f' s="{fmt._get_xf_index()}"' if fmt else ""
                ref = letters[col] + r
                kind = cell.__class__
                if kind is _String:
                    append(f'<c r="{ref}"{s} t="s"><v>{cell.string}</v></c>')
                elif kind is _Blank:
                    append(f'<c r="{ref}"{s}/>')
                else:
                    append(f'<c r="{ref}"{s}><v>{cell.number:.16G}</v></c>')
            append("</row>")
        return "".join(out)

    def _spans(self, first: int, last: int) -> dict[int, str]:
        """Worksheet._calculate_spans: the columns used per block of 16 rows."""
        spans: dict[int, str] = {}
        lo: int | None = None
        hi = 0
        for row in range(first, last + 1):
            cells = self.table.get(row)
            if cells:
                a, b = min(cells), max(cells)
                lo, hi = (a, b) if lo is None else (min(lo, a), max(hi, b))
            if (row + 1) % 16 == 0 or row == last:
                if lo is not None:
                    spans[row // 16] = f"{lo + 1}:{hi + 1}"
                    lo = None
        return spans


def row_tag(sheet: Any, r: str, spans: str | None, info, empty: bool) -> str:
    """Worksheet._write_row's <row> tag (`spans` None: none, as constant_memory writes)."""
    tag = f'<row r="{r}"'
    if spans:
        tag += f' spans="{spans}"'
    height, row_format, hidden, level, collapsed = (
        (info.height, info.row_format, info.hidden, info.level, info.collapsed) if info is not None
        else (None, None, 0, 0, 0))
    if height is None:
        height = sheet.default_row_height
    if row_format:
        xf_index = row_format._get_xf_index()
        if xf_index:
            tag += f' s="{xf_index}"'
        tag += ' customFormat="1"'
    custom = height != sheet.original_row_height or height != sheet.default_row_height
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


def _write_one(ws, row, col, value, fmt) -> int:
    """The xlsxwriter call for one cell of `write_cells`: text, blank (None) or number."""
    if type(value) is str:
        return ws.write_string(row, col, value, fmt)
    if value is None:
        return ws.write_blank(row, col, None, fmt)
    return ws.write_number(row, col, value, fmt)


def _write_cells_plain(ws, row, cells, height) -> list[tuple[int, int]]:
    failed = []
    for col, value, fmt in cells:
        code = _write_one(ws, row, col, value, fmt)
        if code:
            failed.append((col, code))
    if height is not None:
        ws.set_row(row, height)
    return failed


def write_cells(ws, row: int, cells, height: float | None = None) -> list[tuple[int, int]]:
    """Write one row's cells — (column, value, format), value a str (write_string), None (a
    formatted blank) or a number (write_number) — in the given order, then set the row's height
    (points) if given; [(column, code)] for every write xlsxwriter refused (-1 out of range, -2
    truncated). Any worksheet: a FastWorksheet stores the row at once, any other is called cell
    by cell, so the two give the same workbook (tests/test_sheets_fast.py)."""
    if isinstance(ws, FastWorksheet):
        return ws.write_cells(row, cells, height)
    return _write_cells_plain(ws, row, cells, height)


@functools.lru_cache(maxsize=16384)  # the plan's texts recur in every workbook of a run
def _si(text: str) -> str:
    """SharedStrings._write_si for a plain string."""
    text = _escape_control(text)
    space = ' xml:space="preserve"' if _LEADING.search(text) or _TRAILING.search(text) else ""
    return f"<si><t{space}>{_escape_data(text)}</t></si>"


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
            append(_si(text))
        append("</sst>")
        target = self._filename("xl/sharedStrings.xml")
        if isinstance(target, str):  # not in_memory: a temp file
            with open(target, "w", encoding="utf-8") as fh:
                fh.write("".join(out))
        else:
            target.write("".join(out))


    def _create_package(self):
        """xlsxwriter's parts; with a FastWorkbook in memory, zipped here (`write_zip`) and none
        handed back, so xlsxwriter's own ZipFile (on a dummy target) stays empty."""
        parts = super()._create_package()
        workbook = self.workbook
        target = getattr(workbook, "_fast_target", None)
        if target is None:
            return parts
        files = [(name, data.getvalue() if binary else data.getvalue().encode("utf-8"))
                 for data, name, binary in parts]
        write_zip(target, files)
        return []


class FastWorkbook(Workbook):
    """xlsxwriter.Workbook with FastWorksheet and FastPackager (see the module docstring)."""

    worksheet_class = FastWorksheet

    def __init__(self, filename=None, options=None):
        options = dict(options or {})
        super().__init__(filename, options)
        # In memory (the fill-in workbooks always are): the parts are zipped by write_zip into the
        # real target; xlsxwriter's ZipFile writes an empty archive into a throw-away buffer.
        if ENABLED and self.in_memory and isinstance(filename, (str, os.PathLike)):
            self._fast_target = os.fspath(filename)
            self.filename = io.BytesIO()

    def _get_packager(self):
        return FastPackager()

    def close(self):
        """Workbook.close, then the one reference cycle cut (each worksheet holds the workbook's
        add_format), so the workbook and its ~50,000 cells are freed when the last name goes
        instead of waiting for the cyclic collector (generate pauses it: `_quiet_gc`)."""
        try:
            return super().close()
        finally:
            for sheet in self.worksheets_objs:
                sheet.workbook_add_format = None


# ---------------------------------------------------------------- the zip

_DEFLATED: dict[bytes, tuple[bytes, int]] = {}  # part bytes -> (deflated, crc32), per process
_DEFLATED_LIMIT = 32  # parts kept; a run repeats a handful (theme, styles, rels, identity sheet)
_DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01 00:00:00, xlsxwriter's part timestamp
_MADE_BY = 3 << 8 | 20  # what zipfile writes on Unix: system 3, version 2.0
_ATTRIBUTES = 0o600 << 16  # rw------- as zipfile.writestr gives a file entry


def _deflate(data: bytes) -> tuple[bytes, int]:
    """Raw deflate at zlib's default level (zipfile's, hence xlsxwriter's) and the CRC-32,
    remembered for bytes seen before: a part that recurs is compressed once per process."""
    hit = _DEFLATED.pop(data, None)
    if hit is not None:
        _DEFLATED[data] = hit  # most recently used last: the one-off parts are dropped first
        return hit
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    result = packer.compress(data) + packer.flush(), crc32(data)
    if len(_DEFLATED) >= _DEFLATED_LIMIT:
        _DEFLATED.pop(next(iter(_DEFLATED)))
    _DEFLATED[data] = result
    return result


def write_zip(path: str, files: list[tuple[str, bytes]]) -> None:
    """The archive zipfile.ZipFile(path, "w", ZIP_DEFLATED) + writestr(ZipInfo(name, 1980-01-01))
    makes (as xlsxwriter does), byte for byte; no zip64 (a fill-in workbook is far below 4 GB)."""
    local: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data in files:
        packed, crc = _deflate(data)
        raw = name.encode("ascii") if name.isascii() else name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        if max(len(data), len(packed), offset) >= 0xFFFFFFFF:
            raise ValueError("zip64 not supported here")
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, 0, _DOS_DATE, crc, len(packed),
                             len(data), len(raw), 0)
        local += (header, raw, packed)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", _MADE_BY, 20, flags, 8, 0, _DOS_DATE, crc,
                                   len(packed), len(data), len(raw), 0, 0, 0, 0, _ATTRIBUTES, offset) + raw)
        offset += len(header) + len(raw) + len(packed)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(files), len(files), len(directory), offset, 0)
    with open(path, "wb") as fh:
        fh.write(b"".join(local) + directory + end)
