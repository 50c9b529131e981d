"""The progress sheet (进展情况) of a return: one TaskEntry per task row the unit owns or shares."""
from __future__ import annotations

from toolkit.plan.timing import milestone_shown
from toolkit.fillin import layout as L
from toolkit.intake import codes as RC
from toolkit.intake.cells import Context, check_locked, checked, int_of, locked_to_check, short, text_at
from toolkit.intake.planfacts import plan_facts
from toolkit.intake.grid import Table
from toolkit.intake.rowmatch import match_rows, require_columns, sorted_without_key
from toolkit.model import Task, status_choices, year_status_of
from toolkit.returns import TaskEntry, field_cells
from toolkit.values import ValueIssue, format_number, parse_percent, parse_status


def read_progress(ctx: Context, table: Table) -> list[TaskEntry]:
    plan, q = ctx.plan, ctx.quarter.q
    facts = plan_facts(plan)
    mine = facts.tasks_for(ctx.department)
    known = facts.task_known
    if not require_columns(ctx, table, L.PROGRESS_INPUTS, L.PROGRESS_LOCKED):
        return []
    no_col = table.col(L.P_NO)

    def derive(r: int) -> str | None:
        no = int_of(table.grid.value(r, no_col)) if no_col is not None else None
        return L.task_key(no) if no is not None and L.task_key(no) in known else None

    roles = {L.task_key(t.no): (t, role) for t, role in mine}
    entries = []
    matched = match_rows(ctx, table, list(roles), known, derive, L.PROGRESS_INPUTS, facts.task_folded)
    sorted_off = sorted_without_key(ctx, table, matched, L.P_NO, L.P_NAME,
                                     {k: (t.no, t.name) for k, (t, _) in roles.items()})
    owned = [roles[key] for key, _ in matched]
    to_check = {} if sorted_off else locked_to_check(ctx, table, [r for _, r in matched], {
        L.P_NO: [float(t.no) for t, _ in owned], L.P_NAME: [t.name for t, _ in owned],
        L.P_TARGET: [t.target for t, _ in owned], L.P_ROLE: [role for _, role in owned],
        L.P_MILESTONE: [milestone_shown(t, q) for t, _ in owned]})
    for (task, role), (_, r) in zip(owned, matched):
        if r in to_check:
            check_locked(ctx, table, r, to_check[r])
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
    value, ok = checked(ctx, table, r, c)
    status = ""
    settings, year_end = ctx.plan.settings, ctx.quarter.q == 4
    choices = status_choices(settings, ctx.quarter.q)
    if ok:
        try:
            status = parse_status(value, choices)
        except ValueIssue:
            ctx.add(RC.BAD_STATUS, table, status_ref, short(value), allowed="、".join(choices))
        if year_end and status:  # a quarterly word from an old template: mapped (model.year_status_of)
            typed, status = status, year_status_of(settings, status)
            if not status:
                ctx.add(RC.OLD_STATUS, table, status_ref, typed, allowed="、".join(choices))
        if value is None:
            ctx.add(RC.MISSING_INPUT, table, status_ref, column=L.P_STATUS)
    percent = None
    c = table.col(L.P_PERCENT)
    assert c is not None
    value, ok = checked(ctx, table, r, c)
    if ok:
        info = grid.info(r, c)
        try:
            percent, ambiguous = parse_percent(value, percent_format=bool(info and info.percent))
            if ambiguous and percent is not None:
                ctx.add(RC.PERCENT_AMBIGUOUS, table, grid.ref(r, c), format_number(percent),
                        hundred=format_number(percent * 100))
        except ValueIssue as issue:
            code = RC.PERCENT_RANGE if issue.reason == "percent-range" else RC.PERCENT_BAD
            ctx.add(code, table, grid.ref(r, c), issue.detail or short(value))
        if value is None:
            ctx.add(RC.MISSING_INPUT, table, grid.ref(r, c), column=L.P_PERCENT)
    progress = text_at(ctx, table, r, L.P_PROGRESS, required=True)
    issues = text_at(ctx, table, r, L.P_ISSUES)
    next_steps = text_at(ctx, table, r, L.P_NEXT)
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
