"""Cell-level checks shared by the row readers of a return: the reading context (plan, unit,
quarter, problems found), input cells after the formula/error checks, locked plan cells compared
with the plan (the plan always wins), and checked text.

Every input cell goes through the one normaliser in values.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter

from toolkit import problems as P
from toolkit.intake import codes as RC
from toolkit.intake.grid import Table
from toolkit.model import Plan
from toolkit.quarter import Quarter
from toolkit.returns import QuarterReturns
from toolkit.values import MAX_TEXT, ValueIssue, check_text, compare_key, excel_error, format_number, parse_amount


@dataclass
class Context:
    plan: Plan
    department: str
    quarter: Quarter
    file: str
    check_locked: bool = True
    previous: QuarterReturns | None = None
    date1904: bool = False
    problems: list[P.Problem] = field(default_factory=list)

    def add(self, code: str, table: Table | None = None, cell: str = "", value: object = "", **fields) -> None:
        sheet = table.grid.name if table else fields.pop("sheet", "")
        self.problems.append(P.make(code, file=self.file, sheet=sheet, cell=cell, value=value, **fields))


def short(text: object, limit: int = 40) -> str:
    text = str(text if text is not None else "")
    return text if len(text) <= limit else text[:limit] + "……"


def input_cell(ctx: Context, table: Table, r: int, header: str):
    """(value, cell ref, usable) of an input cell after the formula and error checks."""
    c = table.col(header)
    if c is None:
        return None, "", False
    value, ok = checked(ctx, table, r, c)
    return value, table.grid.ref(r, c), ok


def checked(ctx: Context, table: Table, r: int, c: int):
    """(value, usable) of the input cell at row r, column c after the formula and error checks."""
    grid = table.grid
    # Grid.value, inline: ~1,000 cells a return, and the call cost 7 % of read_progress (0.05 ms)
    row = grid.rows[r] if r < len(grid.rows) else ()
    value = row[c] if c < len(row) else None
    if value == "":
        value = None
    if not grid.cells and (type(value) is not str or "#" not in value):
        return value, True  # the usual cell: no formula, error or percent cell on the sheet, no `#`
    ref = grid.ref(r, c)
    info = grid.info(r, c)
    error = (info.error if info else "") or (excel_error(value) if type(value) is not str or "#" in value else None)
    if error:
        ctx.add(RC.CELL_ERROR, table, ref, error)
        return None, False
    if info and "DISPIMG(" in info.formula.upper():
        ctx.add(RC.PICTURE_IN_CELL, table, ref, short(info.formula, 30))
        return None, False
    if info and info.formula:
        if not info.cached:
            ctx.add(RC.FORMULA_NO_VALUE, table, ref, _formula(info.formula))
            return None, False
        ctx.add(RC.FORMULA_CACHED, table, ref, _formula(info.formula))
    return value, True


def _formula(text: str) -> str:
    text = text[3:] if text.startswith("of:") else text  # OpenDocument's namespace prefix
    return short(text if text.startswith("=") else "=" + text, 30)


def locked_to_check(ctx: Context, table: Table, rows: list[int], columns: dict[str, list]
                    ) -> dict[int, list[tuple[str, object]]]:
    """The rows of `rows` that check_locked must look at, each with its expected (header, plan value)s;
    columns[header][k] is the plan's value for rows[k].

    Each locked column is compared whole with the plan's (one list comparison for an untouched
    return): only a row whose cell there may differ is left for check_locked, which the caller runs
    in its row loop, so the problems come out in the same order as before.
    """
    if not ctx.check_locked:
        return {}
    suspect = _suspect_rows(table, rows, columns)
    return {r: [(header, values[k]) for header, values in columns.items()] for k, r in enumerate(rows) if r in suspect}


def _suspect_rows(table: Table, rows: list[int], columns: dict[str, list]) -> set[int]:
    """Rows whose locked cells fail _same's first test (equal, and text or a number >= 0) somewhere."""
    grid, suspect = table.grid, set[int]()
    cells = [grid.rows[r] if r < len(grid.rows) else () for r in rows]
    width = min(map(len, cells), default=0)  # every row has the columns below it (calamine pads rows)
    for header, plan_values in columns.items():
        c = table.col(header)
        if c is None:
            continue
        found = list(map(itemgetter(c), cells)) if c < width else [row[c] if c < len(row) else None for row in cells]
        if found == plan_values:
            kinds = set(map(type, found))
            if kinds == {str} or (kinds == {float} and min(found) >= 0):
                continue
        suspect.update(r for r, f, p in zip(rows, found, plan_values)
                       if not (f == p and (type(f) is str or (type(f) is float and f >= 0))))
    return suspect


def check_locked(ctx: Context, table: Table, r: int, expected: list[tuple[str, object]]) -> None:
    if not ctx.check_locked:
        return
    grid = table.grid
    row = grid.rows[r] if r < len(grid.rows) else ()
    for header, plan_value in expected:
        c = table.col(header)
        if c is None:
            continue
        found = row[c] if c < len(row) else None
        if _same(found, plan_value):  # "" (an empty cell) is compared as None would be
            continue
        found = None if found == "" else found
        ctx.add(RC.LOCKED_EDITED, table, grid.ref(r, c), short(compare_key(found), 200),
                old=short(_show(plan_value)), new=short(_show(found)))


def _same(found: object, plan_value: object) -> bool:
    if found == plan_value and (type(found) is str or (type(found) is float and found >= 0)):
        return True  # unchanged plan text or number: what the slow paths below would also say
    if isinstance(plan_value, float):
        try:
            number, _ = parse_amount(found)
        except ValueIssue:
            return False
        return number is not None and abs(number - plan_value) <= 1e-6 * max(1.0, abs(plan_value))
    return compare_key(found) == compare_key(plan_value)


def _show(value: object) -> str:
    if isinstance(value, float):
        return format_number(value)
    return compare_key(value) if value not in (None, "") else "（空白）"


def int_of(value: object) -> int | None:
    try:
        number, _ = parse_amount(value)
    except ValueIssue:
        return None
    return int(number) if number is not None and number.is_integer() else None


def text_of(ctx: Context, table: Table, r: int, header: str, *, required: bool = False) -> str:
    """An input cell's text (checked), "" when it cannot be used; a missing column gives ""."""
    return "" if table.col(header) is None else text_at(ctx, table, r, header, required=required)


def text_at(ctx: Context, table: Table, r: int, header: str, *, required: bool = False) -> str:
    c = table.col(header)
    assert c is not None  # callers check the column exists
    value, ok = checked(ctx, table, r, c)
    if not ok:
        return ""
    if type(value) is str and len(value) == MAX_TEXT:
        # exactly Excel's limit: Excel, WPS, openpyxl and xlsxwriter all cut longer text to it
        # without a word, so the end of this text is most likely missing
        ctx.add(RC.TEXT_AT_LIMIT, table, table.grid.ref(r, c), MAX_TEXT)
        return ""
    try:
        text = check_text(value) if value is not None else ""
    except ValueIssue as issue:
        ctx.add(RC.TEXT_TOO_LONG, table, table.grid.ref(r, c), issue.detail)
        return ""
    if required and not text:
        ctx.add(RC.MISSING_INPUT, table, table.grid.ref(r, c), column=header)
    return text
