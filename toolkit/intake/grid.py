"""A returned workbook's sheets as plain grids, and finding the tables in them.

Values come from python-calamine (one read of the checked bytes); per-cell facts that
calamine cannot see (formula, cached error, percent format) from xlsxmeta. Sheets and
header rows are found by content, so a renamed sheet or a row inserted above the
table still reads; columns are found by header text, never by position.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from toolkit.fillin import layout as L
from toolkit.errors import FILE_FAR_CELL, InputFileError
from toolkit.fileio.zipscan import FAR_CELL_HINT, MAX_REF_COLS, MAX_REF_ROW
from toolkit.values import clean_text
from toolkit.fileio.xlsxmeta import CellInfo, col_letter

HEADER_SCAN_ROWS = 30  # the header is row 4; allow rows inserted above it
MAX_SHEETS = 50


def header_text(value: object) -> str:
    """A header or label as compared: no spaces, full-width brackets folded."""
    if value is None or value == "":
        return ""
    return re.sub(r"\s+", "", clean_text(value)).replace("（", "(").replace("）", ")")


@dataclass
class Grid:
    """One sheet: rows of raw values from A1, plus cell facts keyed by `G5`."""
    name: str
    rows: list[list]
    cells: dict[str, CellInfo] = field(default_factory=dict)
    truncated: bool = False

    def value(self, r: int, c: int):
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            v = self.rows[r][c]
            return None if v == "" else v
        return None

    def info(self, r: int, c: int) -> CellInfo | None:
        if not self.cells:  # the usual case: no formula, error or percent cell on the sheet
            return None
        return self.cells.get(f"{col_letter(c)}{r + 1}")

    @staticmethod
    def ref(r: int, c: int) -> str:
        return f"{col_letter(c)}{r + 1}"


@dataclass
class Table:
    """A data table found on a grid: its header row and columns by header text."""
    grid: Grid
    header_row: int  # 0-based
    columns: dict[str, int]
    _cache: dict = field(default_factory=dict, repr=False)
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # header text -> every column with it
    texts: list[str] = field(default_factory=list)  # the header row's texts, by column

    def col(self, header: str) -> int | None:
        try:
            return self._cache[header]  # asked for ~10 times per row
        except KeyError:
            found = self._cache[header] = self.columns.get(header_text(header))
            return found


class Book:
    """The calamine workbook of a checked file, read lazily sheet by sheet."""

    def __init__(self, data: bytes, max_rows: int):
        from python_calamine import CalamineWorkbook
        self._wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        self.sheet_names: list[str] = list(self._wb.sheet_names)
        self.max_rows = max_rows
        self._grids: dict[str, Grid] = {}

    def grid(self, name: str) -> Grid:
        if name not in self._grids:
            sheet = self._wb.get_sheet_by_name(name)
            last_row, last_col = sheet.end or (0, 0)
            if last_row >= MAX_REF_ROW or last_col >= MAX_REF_COLS:
                # xlsx (zipscan) and .xls (safeio) are rejected before calamine; .ods reaches here
                # (its grid is cheap for calamine; turning it into Python lists would be the blow-up)
                raise InputFileError(
                    f"工作表“{name}”中有远离表格的内容（第{last_row + 1}行、第{last_col + 1}列），"
                    "无法安全读取，已拒收。",
                    hint=FAR_CELL_HINT, code=FILE_FAR_CELL)
            rows, truncated = [], False
            for i, row in enumerate(sheet.to_python(skip_empty_area=False)):
                if i >= self.max_rows:
                    truncated = True
                    break
                rows.append(row)
            self._grids[name] = Grid(name, rows, truncated=truncated)
        return self._grids[name]

    def find_name(self, wanted: str) -> str | None:
        """A sheet by name, ignoring case and surrounding spaces as Excel does."""
        key = wanted.strip().lower()
        return next((n for n in self.sheet_names if n.strip().lower() == key), None)

    def close(self) -> None:
        self._wb.close()


def find_header(grid: Grid, required: tuple[str, ...]) -> Table | None:
    """The first row (within HEADER_SCAN_ROWS) that carries every `required` header."""
    wanted = {header_text(h) for h in required}
    for r in range(min(len(grid.rows), HEADER_SCAN_ROWS)):
        texts = [header_text(v) for v in grid.rows[r]]
        if wanted <= set(texts):
            columns: dict[str, int] = {}
            duplicates: dict[str, list[int]] = {}
            for c, t in enumerate(texts):
                if t and t not in columns:
                    columns[t] = c
                elif t:
                    duplicates.setdefault(t, [columns[t]]).append(c)
            return Table(grid, r, columns, duplicates=duplicates, texts=texts)
    return None


def locate(book: Book, preferred: list[str], required: tuple[str, ...],
           skip: set[str]) -> tuple[Table | None, bool, str]:
    """Find a table by the sheet names it should have, else by content.

    Returns (table, renamed, headless): `headless` names a sheet found by name whose header
    row could not be found (so the caller can say "header changed" instead of "sheet missing").
    """
    headless = ""
    for name in preferred:
        found = book.find_name(name) if name else None
        if found and found not in skip:
            table = find_header(book.grid(found), required)
            if table:
                return table, False, ""
            headless = headless or found
    for name in book.sheet_names[:MAX_SHEETS]:
        if name in skip or name == headless or name.strip().lower() == L.META_SHEET:
            continue
        table = find_header(book.grid(name), required)
        if table:
            return table, True, ""
    return None, False, headless


def _data_rows(table: Table) -> list[list]:
    """The rows under the header, without trailing blanks (as compared between copies)."""
    rows = []
    for row in table.grid.rows[table.header_row + 1:]:
        row = list(row)
        while row and row[-1] in (None, ""):
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def conflicting_copies(book: Book, table: Table, required: tuple[str, ...], skip: set[str]) -> list[str]:
    """Other sheets holding the same table with other content under its header: a copied sheet
    (Excel 移动或复制→建立副本, or a sheet named like it) that was filled instead of, or as well as,
    the one read. An identical or empty copy is harmless and not listed."""
    mine = None
    found = []
    for name in book.sheet_names[:MAX_SHEETS]:
        if name == table.grid.name or name in skip or name.strip().lower() == L.META_SHEET:
            continue
        other = find_header(book.grid(name), required)
        if other is None:
            continue
        theirs = _data_rows(other)
        if not any(theirs):
            continue
        mine = _data_rows(table) if mine is None else mine
        if theirs != mine:
            found.append(name)
    return found


def above_header_text(table: Table) -> str:
    """All text above the header row: title, 填报单位/季度 line, contact block."""
    parts: list[str] = []
    for r in range(table.header_row):
        parts.extend(clean_text(v) for v in table.grid.rows[r] if v not in (None, ""))
    return "　".join(parts)
