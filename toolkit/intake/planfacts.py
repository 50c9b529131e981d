"""What validating a return asks of the plan, computed once per plan instead of once per file.

`Plan.department_names()` and `Plan.tasks_for()` walk every task's units (O(tasks × units)):
with 1,000 co-owning units that was a quarter of a file's reading time, and grew with N.
The merge builds these facts before forking its readers, which inherit them.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import is_

from toolkit.fillin import layout as L
from toolkit.model import CO, LEAD, Indicator, Plan, Task
from toolkit.values import compare_key


@dataclass
class PlanFacts:
    """What every file's validation asks of the plan (see the module docstring)."""
    departments: frozenset[str]
    task_known: dict[str, str]
    task_folded: dict[str, str]
    indicator_known: dict[str, str]
    indicator_folded: dict[str, str]
    _units: list[tuple[Task, frozenset[str], frozenset[str]]]
    _owned: dict[str, list[Indicator]]
    _plan: Plan | None = None  # set for a 分解 plan: rows are made per unit when asked

    def tasks_for(self, dept: str) -> list[tuple[Task, str]]:
        """Same as Plan.tasks_for."""
        return [(t, LEAD if dept in leads else CO) for t, leads, cos in self._units if dept in leads or dept in cos]

    def indicators_for(self, dept: str) -> list[Indicator]:
        """Same as Plan.indicator_rows_for (Plan.indicators_for without a 分解)."""
        if self._plan is not None:
            return self._plan.indicator_rows_for(dept)
        return list(self._owned.get(dept, ()))


_FACTS: list = []  # one entry [(plan, tasks, indicators), facts]: a merge reads many files of one plan


def plan_facts(plan: Plan) -> PlanFacts:
    """PlanFacts for `plan`, reused while the plan holds the same (frozen) tasks and indicators."""
    if _FACTS:
        (p, tasks, inds), facts = _FACTS
        if (p is plan and len(tasks) == len(plan.tasks) and len(inds) == len(plan.indicators)
                and all(map(is_, tasks, plan.tasks)) and all(map(is_, inds, plan.indicators))):
            return facts
    owned: dict[str, list[Indicator]] = {}
    for ind in plan.indicators if not plan.breakdown else ():  # a 分解 plan: rows per unit, see _plan
        owned.setdefault(plan.indicator_owner(ind), []).append(ind)
    indicator_known = {L.indicator_key(i.task_no, i.name): f"第{i.task_no}项指标“{i.name}”" for i in plan.indicators}
    task_known = {L.task_key(t.no): f"第{t.no}项 {t.name}" for t in plan.tasks}
    facts = PlanFacts(frozenset(plan.department_names()), task_known, {compare_key(k): k for k in task_known},
                      indicator_known, {compare_key(k): k for k in indicator_known},
                      [(t, frozenset(t.leads), frozenset(t.cos)) for t in plan.tasks], owned,
                      plan if plan.breakdown else None)
    _FACTS[:] = [(plan, tuple(plan.tasks), tuple(plan.indicators)), facts]
    return facts
