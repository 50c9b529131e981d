"""Rows of a returned sheet matched to the plan by their hidden key, and its columns checked.

Rows are matched by the key in the hidden 行标识 column (or, when that was cleared,
by 序号 and name), so inserted, deleted or re-sorted rows are reported, never misread.
Columns are found by title: a missing input, a duplicated title and an inserted column holding
data are reported.
"""
from __future__ import annotations

from toolkit.fillin import layout as L
from toolkit.intake import codes as RC
from toolkit.intake.cells import Context, int_of, short
from toolkit.fileio.xlsxmeta import col_letter
from toolkit.intake.grid import Table, header_text
from toolkit.values import compare_key


_KNOWN_HEADERS = frozenset(header_text(h) for h in (
    *L.PROGRESS_LOCKED, *L.PROGRESS_INPUTS, L.P_PREVIOUS, *L.INDICATOR_LOCKED, *L.INDICATOR_INPUTS,
    L.I_PREVIOUS, L.ROW_KEY_HEADER))


def _check_columns(ctx: Context, table: Table, inputs: tuple[str, ...]) -> bool:
    """Two columns titled like one input (a column inserted with the same title): an error naming
    both; a column the layout does not have that holds data: a warning naming it."""
    ok, grid, h = True, table.grid, table.header_row
    for column in (*inputs, L.ROW_KEY_HEADER):
        cols = table.duplicates.get(header_text(column))
        if cols:
            ctx.add(RC.COLUMN_DUPLICATE, table, "、".join(grid.ref(h, c) for c in cols), value=column,
                    column=column, count=len(cols), cells="、".join(grid.ref(h, c) for c in cols))
            ok = False
    for c, text in enumerate(table.texts):
        if text in _KNOWN_HEADERS:
            continue
        filled = [grid.ref(r, c) for r in range(h + 1, len(grid.rows)) if grid.value(r, c) is not None]
        if filled:
            ctx.add(RC.COLUMN_INSERTED, table, grid.ref(h, c), short(text or "（空）", 20), letter=col_letter(c),
                    cells="、".join(filled[:3]) + ("等" if len(filled) > 3 else ""))
    return ok


def require_columns(ctx: Context, table: Table, inputs: tuple[str, ...], locked: tuple[str, ...]) -> bool:
    ok = _check_columns(ctx, table, inputs)
    for column in inputs:
        if table.col(column) is None:
            ctx.add(RC.COLUMN_MISSING, table, value=column, column=column)
            ok = False
    for column in locked:
        if table.col(column) is None:
            ctx.add(RC.LOCKED_COLUMN_MISSING, table, value=column, column=column)
    return ok


def match_rows(ctx: Context, table: Table, expected: list[str], known: dict[str, str], derive,
               inputs: tuple[str, ...], folded: dict[str, str] | None = None) -> list[tuple[str, int]]:
    """[(key, row index)] for the rows that belong to the department, in sheet order.

    `expected` are this department's keys in plan order, `known` every plan key -> label,
    `derive(r)` a key from 序号/name for a row whose key cell was cleared.
    """
    key_col = table.col(L.ROW_KEY_HEADER)
    if key_col is None:
        ctx.add(RC.KEYS_MISSING, table)
    input_cols = [c for c in (table.col(h) for h in inputs) if c is not None]
    wanted, matched = set(expected), []
    seen: dict[str, int] = {}  # key -> the row it was first seen on
    folded = folded if folded is not None else {compare_key(k): k for k in known}
    grid = table.grid

    def has_input(r: int) -> bool:
        return any(grid.value(r, c) is not None for c in input_cols)

    def where(r: int) -> str:
        return grid.ref(r, key_col) if key_col is not None else f"A{r + 1}"

    for r in range(table.header_row + 1, len(grid.rows)):
        if key_col is not None:  # grid.value, inline (a row of the sheet each)
            row = grid.rows[r]
            raw = row[key_col] if key_col < len(row) else None
            raw = None if raw == "" else raw
        else:
            raw = None
        if type(raw) is str and folded.get(raw) == raw:
            key = raw  # an untouched key: folded[compare_key(raw)] is raw, so the slow path gives raw
        else:
            key = compare_key(raw) if key_col is not None else ""
            key = key if not key or key in known else folded.get(key, key)
        if not key:
            key = derive(r) or ""
            if key and key_col is not None:
                ctx.add(RC.ROW_KEY_CLEARED, table, grid.ref(r, key_col), known.get(key, key))
            if not key:
                if has_input(r):
                    ctx.add(RC.ROW_EXTRA, table, f"A{r + 1}", row=r + 1)
                continue
        if key in seen:
            ctx.add(RC.ROW_DUPLICATE, table, where(r), known.get(key, key), other=where(seen[key]))
            continue
        seen[key] = r
        if key in wanted:
            matched.append((key, r))
        elif key in known:
            ctx.add(RC.ROW_NOT_OWNED, table, where(r), known[key], department=ctx.department)
        elif has_input(r):
            ctx.add(RC.ROW_UNKNOWN, table, where(r), key)
    for key in expected:
        if key not in seen:
            ctx.add(RC.ROW_DELETED, table, value=known.get(key, key))
    matched_keys = dict(matched)  # once, not once per expected key (was O(rows²))
    order = [k for k in expected if k in matched_keys]
    if [k for k, _ in matched] != order:
        ctx.add(RC.ROWS_REORDERED, table)
    return matched


def sorted_without_key(ctx: Context, table: Table, matched: list[tuple[str, int]], no_header: str,
                        name_header: str, plan_rows: dict[str, tuple[int, str]]) -> bool:
    """Rows sorted with the hidden 行标识 column left out: the keys stayed, the rows moved, so
    rows carry another row's 序号 and name. Said once, with how to undo, instead of as one
    "plan edit" per row. True when found (the file is then rejected)."""
    if not ctx.check_locked or len(matched) < 2:
        return False
    no_col, name_col = table.col(no_header), table.col(name_header)
    if no_col is None or name_col is None:
        return False
    grid, moved = table.grid, []
    by_row: dict[tuple[int | None, str], str] | None = None
    for key, r in matched:
        name = grid.value(r, name_col)
        if name == plan_rows[key][1]:
            continue  # the usual row, untouched: no normalising needed
        if by_row is None:
            by_row = {(no, compare_key(n)): k for k, (no, n) in plan_rows.items()}
        found = (int_of(grid.value(r, no_col)), compare_key(name))
        if found != (plan_rows[key][0], compare_key(plan_rows[key][1])) and by_row.get(found) not in (None, key):
            moved.append(grid.ref(r, name_col))
    if len(moved) < 2:
        return False
    ctx.add(RC.SORTED_WITHOUT_KEY, table, moved[0], len(moved), cells="、".join(moved[:5]) + ("等" if len(moved) > 5 else ""))
    return True
