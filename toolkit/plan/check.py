"""Cross-field checks on a loaded plan: numbering, units, indicator consistency."""
from __future__ import annotations

from toolkit import problems as P
from toolkit.model import GE, QUARTER_END_NAMES, Plan
from toolkit.plan.format import (DUPLICATE_INDICATOR, DUPLICATE_NO, MISSING_NO, NO_TASKS, OWNER_NOT_UNIT, Q4_MISSES,
                                 SUGGESTED, TASKS, UNKNOWN_TASK, UNKNOWN_UNIT, UNREVIEWED, WRONG_WAY)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _gaps(numbers: list[int]) -> list[tuple[int, int]]:
    """The runs of 1..max(numbers) missing from sorted `numbers`, as (first, last)."""
    gaps, expected = [], 1
    for n in numbers:
        if n > expected:
            gaps.append((expected, n - 1))
        expected = max(expected, n + 1)
    return gaps


def check_rules(plan: Plan, report: P.Report, where: dict, file: str, *, has_departments: bool = True) -> None:
    """Add every cross-field problem of `plan` to `report`; `where` maps rows to cells."""

    def at(kind, key, column):
        loc = where.get((kind, key))
        if not loc:
            return {}
        sheet_name, row, sheet = loc
        return {"sheet": sheet_name, "cell": sheet.cell(column, row)}

    if not plan.tasks and not any(p.sheet == TASKS for p in report.problems):
        report.add(P.make(NO_TASKS, file=file, sheet=TASKS))
    first_row: dict[int, int] = {}
    again: dict[int, int] = {}  # duplicates of each 序号 seen so far
    for t in plan.tasks:
        loc = where.get(("task", t.no))
        if t.no in first_row:
            rows = where.get(("task-again", t.no)) or []
            k = again[t.no] = again.get(t.no, 0) + 1
            cell = {"sheet": TASKS, "cell": loc[2].cell("序号", rows[k - 1])} if loc and k <= len(rows) else {}
            report.add(P.make(DUPLICATE_NO, file=file, value=t.no, other=first_row[t.no], **cell))
        elif loc:
            first_row[t.no] = loc[1]
    numbers = sorted(first_row)
    for start, end in _gaps(numbers):
        report.add(P.make(MISSING_NO, file=file, sheet=TASKS, value=start if start == end else f"{start}—{end}"))

    known = {d.name for d in plan.departments}
    if has_departments:
        for t in plan.tasks:
            for column, units in (("牵头单位", t.leads), ("配合单位", t.cos)):
                for u in units:
                    if u not in known:
                        report.add(P.make(UNKNOWN_UNIT, file=file, value=u, **at("task", t.no, column)))

    tasks = {t.no: t for t in plan.tasks}
    seen: set[str] = set()
    for ind in plan.indicators:
        task = tasks.get(ind.task_no)
        if task is None:
            report.add(P.make(UNKNOWN_TASK, file=file, value=ind.task_no, **at("indicator", ind.key, "序号")))
            continue
        if ind.key in seen:
            report.add(P.make(DUPLICATE_INDICATOR, file=file, value=ind.name, task=ind.task_no,
                              **at("indicator", ind.key, "指标名称")))
        seen.add(ind.key)
        if ind.note.startswith(SUGGESTED):
            report.add(P.make(UNREVIEWED, file=file, value=ind.name, task=ind.task_no, **at("indicator", ind.key, "说明")))
        if ind.owner and ind.owner not in task.units:
            report.add(P.make(OWNER_NOT_UNIT, file=file, value=ind.owner, task=ind.task_no,
                              **at("indicator", ind.key, "责任单位")))
        given = [(q, v) for q, v in enumerate(ind.planned) if v is not None]
        for (qa, a), (qb, b) in zip(given, given[1:]):
            if (b < a) if ind.direction == GE else (b > a):
                detail = (f"从{QUARTER_END_NAMES[qa]}的{_fmt(a)}{'减少' if b < a else '增加'}"
                          f"到{QUARTER_END_NAMES[qb]}的{_fmt(b)}")
                report.add(P.make(WRONG_WAY, file=file, name=f"第{ind.task_no}项 {ind.name}", detail=detail,
                                  direction=ind.direction, **at("indicator", ind.key, QUARTER_END_NAMES[qb])))
                break
        q4 = ind.planned[3]
        if q4 is not None and abs(q4 - ind.target) > 1e-9:
            report.add(P.make(Q4_MISSES, file=file, name=f"第{ind.task_no}项 {ind.name}", q4=_fmt(q4),
                              target=_fmt(ind.target), **at("indicator", ind.key, "四季度末")))


def summary(plan: Plan) -> dict:
    """Counts for `plan check`: tasks, departments, indicators, tasks per department."""
    per_dept = {}
    for name in plan.department_names():
        pairs = plan.tasks_for(name)
        per_dept[name] = {
            "lead": sum(1 for _, role in pairs if role == "牵头"),
            "co": sum(1 for _, role in pairs if role == "配合"),
            "indicators": len(plan.indicator_rows_for(name)),
        }
    return {
        "title": plan.settings.title,
        "year": plan.settings.year,
        "plan_id": plan.plan_id,
        "fingerprint": plan.fingerprint,
        "tasks": len(plan.tasks),
        "departments": len(plan.department_names()),
        "indicators": len(plan.indicators),
        "tasks_with_indicators": len({i.task_no for i in plan.indicators}),
        "per_department": per_dept,
    }
