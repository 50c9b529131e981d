"""The indicator sheet (指标完成情况) of a return: one IndicatorEntry per indicator row of the unit,
its value parsed in the indicator's unit and checked (rates, absurd amounts, below the previous quarter)."""
from __future__ import annotations

import functools
import re
import unicodedata

from toolkit.fillin import layout as L
from toolkit.intake import codes as RC
from toolkit.intake.cells import Context, check_locked, checked, locked_to_check, int_of, short, text_at
from toolkit.intake.planfacts import plan_facts
from toolkit.intake.grid import Table
from toolkit.intake.rowmatch import match_rows, require_columns, sorted_without_key
from toolkit.model import GE, Indicator
from toolkit.returns import IndicatorEntry
from toolkit.values import ValueIssue, compare_key, format_number, parse_amount

NOT_CUMULATIVE_UNITS = ("%", "‰")  # rates can fall between quarters; only counts must not

def read_indicators(ctx: Context, table: Table) -> list[IndicatorEntry]:
    plan, q = ctx.plan, ctx.quarter.q
    facts = plan_facts(plan)
    known = facts.indicator_known
    mine = {L.indicator_key(i.task_no, i.name): i for i in facts.indicators_for(ctx.department)}
    if not require_columns(ctx, table, L.INDICATOR_INPUTS, L.INDICATOR_LOCKED):
        return []
    no_col, name_col = table.col(L.I_NO), table.col(L.I_NAME)
    folded = facts.indicator_folded  # names are compared NFKC, without spaces

    def derive(r: int) -> str | None:
        if no_col is None or name_col is None:
            return None
        no, name = int_of(table.grid.value(r, no_col)), compare_key(table.grid.value(r, name_col))
        return folded.get(L.indicator_key(no, name)) if no is not None and name else None

    entries = []
    matched = match_rows(ctx, table, list(mine), known, derive, L.INDICATOR_INPUTS, folded)
    sorted_off = sorted_without_key(ctx, table, matched, L.I_NO, L.I_NAME,
                                     {k: (i.task_no, i.name) for k, i in mine.items()})
    inds = [mine[key] for key, _ in matched]
    to_check = {} if sorted_off else locked_to_check(ctx, table, [r for _, r in matched], {
        L.I_NO: [float(i.task_no) for i in inds], L.I_NAME: [i.name for i in inds], L.I_UNIT: [i.unit for i in inds],
        L.I_TARGET: [float(i.target) for i in inds], L.I_PLANNED: [round(i.planned_at(q), 4) for i in inds]})
    value_col, note_col = table.col(L.I_VALUE), table.col(L.I_NOTE)
    assert value_col is not None and note_col is not None  # require_columns checked the inputs
    for ind, (_, r) in zip(inds, matched):
        if r in to_check:
            check_locked(ctx, table, r, to_check[r])
        entries.append(_indicator_entry(ctx, table, r, ind, value_col, note_col))
    return entries


def _indicator_entry(ctx: Context, table: Table, r: int, ind: Indicator, c: int, note_col: int) -> IndicatorEntry:
    # the columns are looked up once per sheet (300 rows a national return, issue 17c)
    grid = table.grid
    value, ok = checked(ctx, table, r, c)
    ref = grid.ref(r, c)
    number = None
    if ok:
        info = grid.info(r, c)
        try:
            number, converted = parse_amount(value, ind.unit, percent_format=bool(info and info.percent))
            if converted and number is not None:
                ctx.add(RC.UNIT_CONVERTED, table, ref, short(value), converted=format_number(number), unit=ind.unit)
            if number is not None and not _rate_ok(ctx, table, ref, ind, value, number, bool(info and info.percent)):
                number = None
            why = _absurd(number, ind) if number is not None else ""
            if why:
                ctx.add(RC.ABSURD_NUMBER, table, ref, short(value), why=why, unit=ind.unit)
                number = None
        except ValueIssue as issue:
            if issue.reason == "wrong-unit":
                ctx.add(RC.WRONG_UNIT, table, ref, short(value), typed=issue.detail, unit=ind.unit)
            elif issue.reason == "negative":
                ctx.add(RC.NEGATIVE, table, ref, short(value))
            else:
                ctx.add(RC.BAD_NUMBER, table, ref, short(value), unit=ind.unit)
        if value is None:
            ctx.add(RC.MISSING_INPUT, table, ref, column=L.I_VALUE)
    if number is not None:
        _check_previous(ctx, table, ref, ind, number)
    note = text_at(ctx, table, r, L.I_NOTE)
    # field_cells({"value": ref, "note": ...}) with both refs present, written out
    return IndicatorEntry(ind.task_no, ind.name, ctx.department, number, note, cell=f"{grid.name}!{ref}",
                          cells=f"value={ref};note={grid.ref(r, note_col)}")


RATE_CAPS = {"%": 100.0, "‰": 1000.0}


@functools.lru_cache(maxsize=256)  # a plan has a few dozen units; asked for every indicator row
def _rate_unit(unit: str) -> str:
    return unicodedata.normalize("NFKC", unit or "").strip()


def _rate_ok(ctx: Context, table: Table, ref: str, ind: Indicator, value, number: float, percent_cell: bool) -> bool:
    """A percentage (or per-mille) indicator: no 万/亿, within 0..100 (unless its target is above),
    and a fraction such as 0.425 flagged (0.425 % or 42.5 %?)."""
    unit = _rate_unit(ind.unit)
    cap = RATE_CAPS.get(unit)
    if cap is None:
        return True
    if isinstance(value, str):
        mult = re.search(r"[万亿]", value)
        if mult:
            ctx.add(RC.RATE_MULTIPLIER, table, ref, short(value), mult=mult.group(0), unit=unit)
            return False
    if number > cap and (ind.target or 0) <= cap:
        if number > 2 * cap:  # 425 for 42.5 %: not a rate
            ctx.add(RC.RATE_RANGE, table, ref, short(value), unit=unit, cap=format_number(cap))
            return False
        ctx.add(RC.RATE_OVER, table, ref, short(value), unit=unit, cap=format_number(cap))  # 102 %: maybe
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
