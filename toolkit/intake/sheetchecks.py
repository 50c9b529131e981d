"""Checks of a returned workbook's sheets as a whole: copies of a table and merged input cells.

Found in the second hostile pass of issue 19: a copied 进展填报 with other answers (which one
counts cannot be told), and an input under a merged cell (only the top-left cell keeps a value).
"""
from __future__ import annotations

import re

from toolkit import problems as P
from toolkit.fillin import layout as L
from toolkit.intake import codes as RC
from toolkit.intake.grid import Book, Table, conflicting_copies
from toolkit.intake.cells import Context

# Headers that find (and tell apart) the two tables; missing input columns are reported later.
PROGRESS_HEADERS = (L.P_NO, L.P_NAME)
INDICATOR_HEADERS = (L.I_NO, L.I_NAME, L.I_UNIT)


def merged_inputs(problems: list, merged: dict[str, list[str]], name: str) -> list:
    """An input "not filled in" because it lies under a merged cell (only the top-left cell of a
    merge keeps a value): said so, naming the merge, instead of a bare 未填写."""
    if not merged:
        return problems
    out = []
    for p in problems:
        first = _merge_start(p.cell, merged.get(p.sheet, ())) if p.code == RC.MISSING_INPUT else None
        if first:
            p = P.make(RC.MERGED_INPUT, file=p.file or name, sheet=p.sheet, cell=p.cell, first=first)
        out.append(p)
    return out


def _merge_start(ref: str, ranges) -> str | None:
    """The top-left cell of the merged range holding `ref`, when `ref` is not that cell."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref or "")
    if not m:
        return None
    col, row = _col_number(m.group(1)), int(m.group(2))
    for rng in ranges:
        a, b = rng.split(":")
        ma, mb = re.fullmatch(r"([A-Z]+)(\d+)", a), re.fullmatch(r"([A-Z]+)(\d+)", b)
        if not ma or not mb:
            continue
        c1, r1, c2, r2 = _col_number(ma.group(1)), int(ma.group(2)), _col_number(mb.group(1)), int(mb.group(2))
        if c1 <= col <= c2 and r1 <= row <= r2 and (col, row) != (c1, r1):
            return a
    return None


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def copies(book: Book, layout, progress: Table | None, indicator: Table | None, ctx: Context) -> bool:
    """Report sheets that copy the progress or indicator table with other content (an error)."""
    known = set((layout.sheets if layout else {}).values()) | {L.PROGRESS_SHEET, L.INDICATOR_SHEET}
    if all(n in known or n.strip().lower() == L.META_SHEET for n in book.sheet_names):
        return False  # the usual workbook: only its own sheets, nothing to compare
    found = False
    for table, required, expected, skip in (
            (progress, PROGRESS_HEADERS, L.PROGRESS_SHEET, {indicator.grid.name} if indicator else set()),
            (indicator, INDICATOR_HEADERS, L.INDICATOR_SHEET, {progress.grid.name} if progress else set())):
        others = conflicting_copies(book, table, required, skip) if table else []
        if others:
            assert table is not None
            names = [table.grid.name, *others]
            ctx.add(RC.SHEET_COPIES, sheet=table.grid.name, count=len(names), expected=expected,
                    sheets="、".join(f"“{n}”" for n in names))
            found = True
    return found


def without_contradictions(problems: list) -> list:
    """Rows sorted without the key column (an error) are not also "reordered, 不影响汇总" (a
    warning that says the opposite) on the same sheet."""
    sorted_off = {p.sheet for p in problems if p.code == RC.SORTED_WITHOUT_KEY}
    if not sorted_off:
        return problems
    return [p for p in problems if not (p.code == RC.ROWS_REORDERED and p.sheet in sorted_off)]
