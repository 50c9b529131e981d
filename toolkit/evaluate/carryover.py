"""Carry-over (结转): next year's master workbook starts with this year's unfinished tasks.

`carried_rows(ev)` turns a year-end evaluation into plain rows of the master workbook (tasks,
indicators, departments) for the tasks judged 基本完成 or 未完成: the task keeps its name
(marked （结转）), domain, lead and co units; each indicator keeps its unit and direction and
gets the remaining target — ≥: annual target minus the year result (the whole target when
nothing was reported); ≤: the same ceiling (a level still to reach). A task without
indicators states the share left from the lead's %. `start_carried_plan` reads the year from
the store and writes the workbook through plan.blank (plan/ writes, evaluate/ computes).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.evaluate.figures import num
from toolkit.evaluate.judge import QuarterEvaluation, TaskResult, evaluate_quarter
from toolkit.evaluate.yearend import status_text
from toolkit.model import LE, Plan
from toolkit.plan.blank import write_blank
from toolkit.plan.format import UNIT_SEP
from toolkit.quarter import Quarter

MARK = "（结转）"


@dataclass
class CarryOver:
    year: int                                  # the new plan's year
    from_year: int
    tasks: list[tuple] = field(default_factory=list)        # 任务 rows (TASK_COLUMNS order)
    indicators: list[tuple] = field(default_factory=list)   # 指标 rows (INDICATOR_COLUMNS order)
    departments: list[tuple] = field(default_factory=list)  # 部门 rows
    carried: list[TaskResult] = field(default_factory=list)
    not_reported: list[TaskResult] = field(default_factory=list)  # 未报送: not judged, not carried
    path: Path | None = None


def _remaining(r) -> float:
    ind = r.indicator
    if ind.direction == LE:
        return ind.target
    left = ind.target - (r.actual or 0.0)
    return float(f"{max(left, 0.0):.6g}")


def _milestones(task: TaskResult, q: int) -> str:
    return f"结转任务：累计完成剩余目标的{25 * q}%" + ("，年底前全部完成。" if q == 4 else "。")


def carried_rows(ev: QuarterEvaluation, year: int | None = None) -> CarryOver:
    """The rows of next year's plan for the unfinished tasks of a year-end evaluation."""
    plan, s = ev.plan, ev.plan.settings
    result = CarryOver(year or s.year + 1, s.year)
    result.carried = [t for t in ev.tasks if t.status in ev.statuses[1:3]]
    result.not_reported = [t for t in ev.tasks if t.status == ev.statuses[3]]
    units: dict[str, None] = {}
    for no, t in enumerate(result.carried, start=1):
        task = t.task
        parts = []
        for r in t.indicators:
            ind, left = r.indicator, _remaining(r)
            done = "未报送" if r.actual is None else f"{num(r.actual)}{ind.unit}"
            if ind.direction == LE:
                parts.append(f"{ind.name}降至{num(left)}{ind.unit}以内（{s.year}年末{done}）")
            else:
                parts.append(f"{ind.name}再完成{num(left)}{ind.unit}（{s.year}年目标{num(ind.target)}{ind.unit}，"
                             f"完成{done}）")
            note = f"{MARK}{s.year}年第{task.no}项：全年目标{ind.direction}{num(ind.target)}，年末完成{done}"
            result.indicators.append((no, ind.name, ind.unit, ind.direction, left, None, None, None, None,
                                      ind.owner, note))
        if not t.indicators:
            left = 100 - (t.percent or 0)
            parts.append(f"完成{s.year}年剩余约{num(round(left, 1))}%的工作量")
        target = (f"{MARK}{s.year}年第{task.no}项{status_text(s, t.status, t.percent)}，"
                  f"{'；'.join(parts)}。原目标：{task.target}")
        result.tasks.append((no, f"{task.name}{MARK}", target, task.domain, UNIT_SEP.join(task.leads),
                             UNIT_SEP.join(task.cos), *(_milestones(t, q) for q in (1, 2, 3, 4))))
        for u in task.units:
            units.setdefault(u, None)
    for u in units:
        d = plan.department(u)
        result.departments.append((u, d.contact, d.phone, d.email) if d else (u, "", "", ""))
    return result


def next_title(plan: Plan, year: int) -> str:
    """This year's plan title with the year moved on: `2020年连云港市50件民生实事…`."""
    title = plan.settings.title
    return re.sub(str(plan.settings.year), str(year), title) if str(plan.settings.year) in title else ""


def start_carried_plan(from_plan: Plan, out_dir: Path | str, path: Path | str, *, year: int | None = None,
                       title: str = "") -> CarryOver:
    """Evaluate the year end of `from_plan` from the store under `out_dir` and write next year's
    master workbook at `path` with the unfinished tasks carried over."""
    out_dir, path = Path(out_dir), Path(path)
    ev = evaluate_quarter(from_plan, Quarter(from_plan.settings.year, 4), Path(out_dir))
    if ev.returned == 0:
        raise UsageError(f"{from_plan.settings.year}年第四季度还没有汇总任何报送文件（{out_dir}），"
                         f"无法判断哪些任务需要结转。",
                         hint="请先运行 plankit merge -q Q4 收件箱/，或用 --out 指定存放数据的目录。")
    co = carried_rows(ev, year)
    s = from_plan.settings
    co.path = write_blank(path, year=co.year, title=title or next_title(from_plan, co.year),
                          carried=(co.tasks, co.indicators, co.departments),
                          settings={"编印单位": s.issuer, "简报名称": s.bulletin_name})
    return co
