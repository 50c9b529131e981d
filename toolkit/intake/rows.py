"""Rows of a returned workbook: matched to the plan by their hidden key, then validated.

Rows are matched by the key in the hidden 行标识 column (or, when that was cleared,
by 序号 and name), so inserted, deleted or re-sorted rows are reported, never misread.
Locked plan columns are compared with the master plan (the plan always wins), and
every input cell goes through the one normaliser in values.py.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from toolkit.plan.timing import milestone_shown
from toolkit.fillin import layout as L
from toolkit import problems as P
from toolkit.intake import codes as RC
from toolkit.model import GE, Indicator, Plan, Task, status_choices, year_status_of
from toolkit.intake.planfacts import plan_facts
from toolkit.quarter import Quarter
from toolkit.returns import IndicatorEntry, QuarterReturns, TaskEntry, field_cells
from toolkit.fileio.xlsxmeta import col_letter
from toolkit.intake.filldate import implausible
from toolkit.intake.grid import Table, header_text
from toolkit.values import (MAX_TEXT, ValueIssue, check_text, compare_key, contact_text, excel_error, format_number,
    parse_amount, parse_date, parse_percent, parse_status)

NOT_CUMULATIVE_UNITS = ("%", "‰")  # rates can fall between quarters; only counts must not


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


def _short(text: object, limit: int = 40) -> str:
    text = str(text if text is not None else "")
    return text if len(text) <= limit else text[:limit] + "……"


def _input(ctx: Context, table: Table, r: int, header: str):
    """(value, cell ref, usable) of an input cell after the formula and error checks."""
    c = table.col(header)
    if c is None:
        return None, "", False
    value, ok = _checked(ctx, table, r, c)
    return value, table.grid.ref(r, c), ok


def _checked(ctx: Context, table: Table, r: int, c: int):
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
        ctx.add(RC.PICTURE_IN_CELL, table, ref, _short(info.formula, 30))
        return None, False
    if info and info.formula:
        if not info.cached:
            ctx.add(RC.FORMULA_NO_VALUE, table, ref, _formula(info.formula))
            return None, False
        ctx.add(RC.FORMULA_CACHED, table, ref, _formula(info.formula))
    return value, True


def _formula(text: str) -> str:
    text = text[3:] if text.startswith("of:") else text  # OpenDocument's namespace prefix
    return _short(text if text.startswith("=") else "=" + text, 30)


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
            ctx.add(RC.COLUMN_INSERTED, table, grid.ref(h, c), _short(text or "（空）", 20), letter=col_letter(c),
                    cells="、".join(filled[:3]) + ("等" if len(filled) > 3 else ""))
    return ok


def _require_columns(ctx: Context, table: Table, inputs: tuple[str, ...], locked: tuple[str, ...]) -> bool:
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
        raw = grid.value(r, key_col) if key_col is not None else None
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


def _sorted_without_key(ctx: Context, table: Table, matched: list[tuple[str, int]], no_header: str,
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
        found = (_int(grid.value(r, no_col)), compare_key(name))
        if found != (plan_rows[key][0], compare_key(plan_rows[key][1])) and by_row.get(found) not in (None, key):
            moved.append(grid.ref(r, name_col))
    if len(moved) < 2:
        return False
    ctx.add(RC.SORTED_WITHOUT_KEY, table, moved[0], len(moved), cells="、".join(moved[:5]) + ("等" if len(moved) > 5 else ""))
    return True


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
        ctx.add(RC.LOCKED_EDITED, table, grid.ref(r, c), _short(compare_key(found), 200),
                old=_short(_show(plan_value)), new=_short(_show(found)))


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


def _int(value: object) -> int | None:
    try:
        number, _ = parse_amount(value)
    except ValueIssue:
        return None
    return int(number) if number is not None and number.is_integer() else None


# ---------------------------------------------------------------- progress sheet

def read_progress(ctx: Context, table: Table) -> list[TaskEntry]:
    plan, q = ctx.plan, ctx.quarter.q
    facts = plan_facts(plan)
    mine = facts.tasks_for(ctx.department)
    known = facts.task_known
    if not _require_columns(ctx, table, L.PROGRESS_INPUTS, L.PROGRESS_LOCKED):
        return []
    no_col = table.col(L.P_NO)

    def derive(r: int) -> str | None:
        no = _int(table.grid.value(r, no_col)) if no_col is not None else None
        return L.task_key(no) if no is not None and L.task_key(no) in known else None

    roles = {L.task_key(t.no): (t, role) for t, role in mine}
    entries = []
    matched = match_rows(ctx, table, list(roles), known, derive, L.PROGRESS_INPUTS, facts.task_folded)
    sorted_off = _sorted_without_key(ctx, table, matched, L.P_NO, L.P_NAME,
                                     {k: (t.no, t.name) for k, (t, _) in roles.items()})
    for key, r in matched:
        task, role = roles[key]
        if not sorted_off:
            check_locked(ctx, table, r, [(L.P_NO, float(task.no)), (L.P_NAME, task.name), (L.P_TARGET, task.target),
                                         (L.P_ROLE, role), (L.P_MILESTONE, milestone_shown(task, q))])
        entries.append(_task_entry(ctx, table, r, task, role))
    return entries


# the input columns behind TaskEntry's fields (all present: read_progress checked)
TASK_INPUT_FIELDS = (("status", L.P_STATUS), ("percent", L.P_PERCENT), ("progress", L.P_PROGRESS),
                     ("issues", L.P_ISSUES), ("next_steps", L.P_NEXT))


def _task_entry(ctx: Context, table: Table, r: int, task: Task, role: str) -> TaskEntry:
    # read_progress checked every input column exists; refs are made only where used
    grid = table.grid
    c = table.col(L.P_STATUS)
    assert c is not None
    status_ref = grid.ref(r, c)
    value, ok = _checked(ctx, table, r, c)
    status = ""
    settings, year_end = ctx.plan.settings, ctx.quarter.q == 4
    choices = status_choices(settings, ctx.quarter.q)
    if ok:
        try:
            status = parse_status(value, choices)
        except ValueIssue:
            ctx.add(RC.BAD_STATUS, table, status_ref, _short(value), allowed="、".join(choices))
        if year_end and status:  # a quarterly word from an old template: mapped (model.year_status_of)
            typed, status = status, year_status_of(settings, status)
            if not status:
                ctx.add(RC.OLD_STATUS, table, status_ref, typed, allowed="、".join(choices))
        if value is None:
            ctx.add(RC.MISSING_INPUT, table, status_ref, column=L.P_STATUS)
    percent = None
    c = table.col(L.P_PERCENT)
    assert c is not None
    value, ok = _checked(ctx, table, r, c)
    if ok:
        info = grid.info(r, c)
        try:
            percent, ambiguous = parse_percent(value, percent_format=bool(info and info.percent))
            if ambiguous and percent is not None:
                ctx.add(RC.PERCENT_AMBIGUOUS, table, grid.ref(r, c), format_number(percent),
                        hundred=format_number(percent * 100))
        except ValueIssue as issue:
            code = RC.PERCENT_RANGE if issue.reason == "percent-range" else RC.PERCENT_BAD
            ctx.add(code, table, grid.ref(r, c), issue.detail or _short(value))
        if value is None:
            ctx.add(RC.MISSING_INPUT, table, grid.ref(r, c), column=L.P_PERCENT)
    progress = _text_at(ctx, table, r, L.P_PROGRESS, required=True)
    issues = _text_at(ctx, table, r, L.P_ISSUES)
    next_steps = _text_at(ctx, table, r, L.P_NEXT)
    done = settings.year_words[0] if year_end else "已完成"
    if percent is not None and ((status == done and percent < 100) or (status == "未启动" and percent > 0)):
        ctx.add(RC.STATUS_PERCENT, table, grid.ref(r, c), format_number(percent), status=status)
    if not issues and (status == "滞后" or (year_end and status == settings.year_words[2])):
        c = table.col(L.P_ISSUES)
        assert c is not None
        if status == "滞后":
            ctx.add(RC.LAG_NO_REASON, table, grid.ref(r, c))
        else:
            ctx.add(RC.UNDONE_NO_REASON, table, grid.ref(r, c), status=status)
    refs = {name: grid.ref(r, c) for name, header in TASK_INPUT_FIELDS if (c := table.col(header)) is not None}
    return TaskEntry(task.no, ctx.department, role, status, percent, progress, issues, next_steps,
                     cell=f"{grid.name}!{status_ref}", cells=field_cells(refs))


def _text(ctx: Context, table: Table, r: int, header: str, *, required: bool = False) -> str:
    """An input cell's text (checked), "" when it cannot be used; a missing column gives ""."""
    return "" if table.col(header) is None else _text_at(ctx, table, r, header, required=required)


def _text_at(ctx: Context, table: Table, r: int, header: str, *, required: bool = False) -> str:
    c = table.col(header)
    assert c is not None  # callers check the column exists
    value, ok = _checked(ctx, table, r, c)
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


# ---------------------------------------------------------------- indicator sheet

def read_indicators(ctx: Context, table: Table) -> list[IndicatorEntry]:
    plan, q = ctx.plan, ctx.quarter.q
    facts = plan_facts(plan)
    known = facts.indicator_known
    mine = {L.indicator_key(i.task_no, i.name): i for i in facts.indicators_for(ctx.department)}
    if not _require_columns(ctx, table, L.INDICATOR_INPUTS, L.INDICATOR_LOCKED):
        return []
    no_col, name_col = table.col(L.I_NO), table.col(L.I_NAME)
    folded = facts.indicator_folded  # names are compared NFKC, without spaces

    def derive(r: int) -> str | None:
        if no_col is None or name_col is None:
            return None
        no, name = _int(table.grid.value(r, no_col)), compare_key(table.grid.value(r, name_col))
        return folded.get(L.indicator_key(no, name)) if no is not None and name else None

    entries = []
    matched = match_rows(ctx, table, list(mine), known, derive, L.INDICATOR_INPUTS, folded)
    sorted_off = _sorted_without_key(ctx, table, matched, L.I_NO, L.I_NAME,
                                     {k: (i.task_no, i.name) for k, i in mine.items()})
    for key, r in matched:
        ind = mine[key]
        if not sorted_off:
            check_locked(ctx, table, r, [(L.I_NO, float(ind.task_no)), (L.I_NAME, ind.name), (L.I_UNIT, ind.unit),
                                         (L.I_TARGET, float(ind.target)), (L.I_PLANNED, round(ind.planned_at(q), 4))])
        entries.append(_indicator_entry(ctx, table, r, ind))
    return entries


def _indicator_entry(ctx: Context, table: Table, r: int, ind: Indicator) -> IndicatorEntry:
    value, ref, ok = _input(ctx, table, r, L.I_VALUE)
    number = None
    if ok:
        c = table.col(L.I_VALUE)
        assert c is not None  # ok: _input found the column
        info = table.grid.info(r, c)
        try:
            number, converted = parse_amount(value, ind.unit, percent_format=bool(info and info.percent))
            if converted and number is not None:
                ctx.add(RC.UNIT_CONVERTED, table, ref, _short(value), converted=format_number(number), unit=ind.unit)
            if number is not None and not _rate_ok(ctx, table, ref, ind, value, number, bool(info and info.percent)):
                number = None
            why = _absurd(number, ind) if number is not None else ""
            if why:
                ctx.add(RC.ABSURD_NUMBER, table, ref, _short(value), why=why, unit=ind.unit)
                number = None
        except ValueIssue as issue:
            if issue.reason == "wrong-unit":
                ctx.add(RC.WRONG_UNIT, table, ref, _short(value), typed=issue.detail, unit=ind.unit)
            elif issue.reason == "negative":
                ctx.add(RC.NEGATIVE, table, ref, _short(value))
            else:
                ctx.add(RC.BAD_NUMBER, table, ref, _short(value), unit=ind.unit)
        if value is None:
            ctx.add(RC.MISSING_INPUT, table, ref, column=L.I_VALUE)
    if number is not None:
        _check_previous(ctx, table, ref, ind, number)
    note = _text(ctx, table, r, L.I_NOTE)
    note_col = table.col(L.I_NOTE)
    refs = {"value": ref, "note": table.grid.ref(r, note_col) if note_col is not None else ""}
    return IndicatorEntry(ind.task_no, ind.name, ctx.department, number, note, cell=f"{table.grid.name}!{ref}",
                          cells=field_cells(refs))


RATE_CAPS = {"%": 100.0, "‰": 1000.0}


def _rate_ok(ctx: Context, table: Table, ref: str, ind: Indicator, value, number: float, percent_cell: bool) -> bool:
    """A percentage (or per-mille) indicator: no 万/亿, within 0..100 (unless its target is above),
    and a fraction such as 0.425 flagged (0.425 % or 42.5 %?)."""
    unit = unicodedata.normalize("NFKC", ind.unit or "").strip()
    cap = RATE_CAPS.get(unit)
    if cap is None:
        return True
    if isinstance(value, str):
        mult = re.search(r"[万亿]", value)
        if mult:
            ctx.add(RC.RATE_MULTIPLIER, table, ref, _short(value), mult=mult.group(0), unit=unit)
            return False
    if number > cap and (ind.target or 0) <= cap:
        if number > 2 * cap:  # 425 for 42.5 %: not a rate
            ctx.add(RC.RATE_RANGE, table, ref, _short(value), unit=unit, cap=format_number(cap))
            return False
        ctx.add(RC.RATE_OVER, table, ref, _short(value), unit=unit, cap=format_number(cap))  # 102 %: maybe
    if 0 < number < 1 and not percent_cell and (ind.target or 0) >= 10:
        ctx.add(RC.RATE_AMBIGUOUS, table, ref, format_number(number), unit=unit, target=format_number(ind.target),
                hundred=format_number(number * 100))
    return True


MAX_AMOUNT = 1e12  # a trillion of any unit: beyond any city's yearly plan (and exact in a float)
MAX_TIMES_TARGET = 1000  # three zeros too many


def _absurd(number: float, ind: Indicator) -> str:
    """Why a (finite, >= 0) value cannot be meant, or "": 1.7E+308 once crashed the report."""
    if number > MAX_AMOUNT:
        return "超过1万亿"
    if ind.target and ind.target > 0 and number > ind.target * MAX_TIMES_TARGET:
        return f"是全年目标{format_number(ind.target)}{ind.unit}的{MAX_TIMES_TARGET}倍以上"
    return ""


def _check_previous(ctx: Context, table: Table, ref: str, ind: Indicator, number: float) -> None:
    if ctx.previous is None or ind.direction != GE or ind.unit.strip() in NOT_CUMULATIVE_UNITS:
        return
    before = ctx.previous.indicator_value(ind.task_no, ind.name, ctx.department)
    if before is not None and before.value is not None and number < before.value - 1e-9:
        ctx.add(RC.BELOW_PREVIOUS, table, ref, format_number(number), unit=ind.unit,
                previous=format_number(before.value))


# ---------------------------------------------------------------- contact block

def read_contact(ctx: Context, table: Table, positions: dict[str, str]) -> dict[str, str]:
    """填报人/联系电话/填报日期/审核人: found by label above the header, else by the meta positions."""
    grid, found = table.grid, {}
    labels = {header_text(f): f for f in L.CONTACT_FIELDS}
    for r in range(table.header_row):
        row = grid.rows[r]
        for c, v in enumerate(row):
            name = labels.get(header_text(v).rstrip(":："))
            if not name or name in found:
                continue
            for c2 in range(c + 1, min(c + 6, len(row))):
                nxt = grid.value(r, c2)
                if nxt is not None and header_text(nxt).rstrip(":：") in labels:
                    break
                if nxt is not None:
                    found[name] = (r, c2)
                    break
            found.setdefault(name, (r, c + 1))
    for name, where in positions.items():
        if name in labels.values() and name not in found and "!" in where:
            sheet, ref = where.split("!", 1)
            if sheet == grid.name:
                found[name] = _parse_ref(ref)
    contact, missing = {}, []
    for name in L.CONTACT_FIELDS:
        r, c = found.get(name, (-1, -1))
        value = grid.value(r, c) if r >= 0 else None
        text = contact_text(value)
        if name == "填报日期" and value is not None:
            try:
                text = parse_date(value, date1904=ctx.date1904)
            except ValueIssue:
                ctx.add(RC.BAD_DATE, table, grid.ref(r, c), _short(value))
            if text and (why := implausible(text, ctx.quarter)):
                ctx.add(RC.ODD_DATE, table, grid.ref(r, c), text, reason=why)
        contact[name] = text
        if not text:
            missing.append(name)
    if missing:
        ctx.add(RC.MISSING_CONTACT, table, value="、".join(missing))
    return contact


def _parse_ref(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha()).upper()
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return (int(digits) - 1 if digits else -1), col - 1
