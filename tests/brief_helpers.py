"""A deterministic quarter for the briefing tests, evaluated with the real toolkit.evaluate.judge.

Most lead units returned with plausible Chinese narratives; MISSING did not return,
LATE returned after the deadline. Task HOSTILE_TASK carries hostile text (`规划&建设局`,
`<50%`, control characters, a typed jinja tag) in the lead unit's own words.
"""
from __future__ import annotations

from datetime import datetime

from toolkit.evaluate.judge import evaluate
from toolkit.model import LEAD
from toolkit.quarter import Quarter
from toolkit.returns import IndicatorEntry, QuarterReturns, Return, TaskEntry

MISSING = ("市政务办",)
LATE = ("市公安局",)
HOSTILE_TASK = 20
HOSTILE_PROGRESS = "规划&建设局牵头，完成率<50%，\x0b已协调\x07“{{ 7*7 }}”</w:t>"
HOSTILE_ISSUES = "资金&土地<未落实>\x00"
# Per task (task.no % 7): indicator value = planned × factor (None = the annual target,
# i.e. met) and the lead unit's self-reported status.
MODES = ((1.0, "序时推进"), (1.25, "超序时"), (0.8, "滞后"), (None, "已完成"),
         (1.0, "序时推进"), (0.4, "序时推进"), (1.0, "序时推进"))


def quarter_returns(plan, q: int = 2, missing=MISSING, late=LATE) -> QuarterReturns:
    code = f"{plan.settings.year}Q{q}"
    returns = {}
    for d_index, dept in enumerate(plan.department_names()):
        if dept in missing:
            continue
        tasks = []
        for task, role in plan.tasks_for(dept):
            i = task.no + d_index
            factor, status = MODES[task.no % len(MODES)]
            status = status if role == LEAD else ""
            percent = 100.0 if factor is None else min(100.0, 25.0 * q * factor)
            progress = f"{dept}已完成{task.name}年度任务的阶段性工作，正在推进招标和施工。"
            issues = "项目前期手续办理时间较长。" if i % 3 == 0 else ""
            if task.no == HOSTILE_TASK and role == LEAD:
                progress, issues = HOSTILE_PROGRESS, HOSTILE_ISSUES
            tasks.append(TaskEntry(task.no, dept, role, status, percent,
                                   progress, issues, "加快推进，确保按序时完成。", "进展填报!F5"))
        values = []
        for ind in plan.indicators_for(dept):
            factor = MODES[ind.task_no % len(MODES)][0]
            planned = ind.planned_at(q)
            if factor is None:
                value = ind.target
            else:
                value = planned / factor if ind.direction == "≤" else planned * factor
            values.append(IndicatorEntry(ind.task_no, ind.name, dept, round(value, 3), "", "指标填报!F5"))
        on_time = dept not in late
        returns[dept] = Return(dept, code, datetime(2019, 3 * q + 1, 5 if on_time else 20, 10),
                               on_time, "0" * 64, f"{dept}.xlsx", tasks=tasks, indicators=values)
    return QuarterReturns(quarter=code, expected=plan.department_names(), returns=returns)


def quarter_evaluation(plan, q: int = 2, **kwargs):
    return evaluate(plan, Quarter(plan.settings.year, q), quarter_returns(plan, q, **kwargs))


def docx_text(path) -> str:
    """All paragraph and table text of a .docx, in document order, one paragraph a line."""
    from docx import Document
    doc = Document(str(path))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append("|".join(c.text for c in row.cells))
    return "\n".join(lines)
