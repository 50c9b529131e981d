"""Per-unit judgement of indicators broken down by unit (分解), for the report and the briefing.

Each unit is judged against its own 序时 (its share's target and milestones, model.UnitTarget)
with the same rules as any indicator (judge.evaluate_indicator); the total is the indicator's
own result in the task (judge + rollup: the sum of the units' figures, or the owner's figure for
a rate). Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

from toolkit.evaluate.judge import BEHIND, MISSING, IndicatorResult, QuarterEvaluation, evaluate_indicator
from toolkit.model import LE, Indicator, Task
from toolkit.returns import QuarterReturns


@dataclass(frozen=True)
class BreakdownResult:
    """One broken-down indicator: its total and each unit's own judgement, in 分解 order."""
    indicator: Indicator
    total: IndicatorResult
    sums: bool
    units: list[IndicatorResult]

    @property
    def reported(self) -> list[IndicatorResult]:
        return [u for u in self.units if u.actual is not None]

    @property
    def lagging(self) -> list[IndicatorResult]:
        """Units behind their own 序时, worst first."""
        return sorted((u for u in self.units if u.status == BEHIND), key=lambda u: u.gap or 0.0)

    @property
    def missing(self) -> list[str]:
        return [u.department for u in self.units if u.status == MISSING]

    def ranking(self) -> list[IndicatorResult]:
        """Reporting units by completion of their own target, best first (a ≤ indicator: lowest value)."""
        if self.indicator.direction == LE:
            return sorted(self.reported, key=lambda u: (u.actual or 0.0))
        return sorted(self.reported, key=lambda u: -(u.completion or 0.0))


@dataclass(frozen=True)
class BreakdownGroup:
    """The broken-down indicators of one task: one 地区 × 指标 sheet in the report."""
    task: Task
    items: list[BreakdownResult]

    def units(self) -> list[str]:
        """Every unit of the group, in first-seen 分解 order."""
        seen: dict[str, None] = {}
        for item in self.items:
            for u in item.units:
                seen.setdefault(u.department, None)
        return list(seen)


def breakdown_groups(ev: QuarterEvaluation, previous: QuarterReturns | None = None) -> list[BreakdownGroup]:
    """The broken-down indicators of the evaluation, grouped by task (plan order); `previous`
    (last quarter's returns) fills each unit's `previous`."""
    return list(iter_breakdown_groups(ev, previous))


def iter_breakdown_groups(ev: QuarterEvaluation, previous: QuarterReturns | None = None):
    """breakdown_groups one group at a time: at national scale (N units × 300 indicators) the
    report and the briefing hold one task's unit results, not all of them."""
    plan, q = ev.plan, ev.quarter.q
    if not plan.breakdown:
        return
    for task_result in ev.tasks:
        items = []
        for total in task_result.indicators:
            ind = total.indicator
            shares = plan.unit_targets(ind)
            if not shares:
                continue
            units = [evaluate_indicator(plan, s.indicator(ind), q, ev.returns, previous) for s in shares]
            units = [_as_unit(u, s.unit) for u, s in zip(units, shares)]
            items.append(BreakdownResult(ind, total, plan.sums_units(ind), units))
        if items:
            yield BreakdownGroup(task_result.task, items)


def _as_unit(result: IndicatorResult, unit: str) -> IndicatorResult:
    # evaluate_indicator names the indicator's owner, which for a share is the unit itself
    return result if result.department == unit else IndicatorResult(**{**result.__dict__, "department": unit})


def lagging_units(groups: list[BreakdownGroup]) -> dict[str, list[BreakdownResult]]:
    """unit -> the broken-down indicators it lags on (for the briefing and --per-dept notices)."""
    result: dict[str, list[BreakdownResult]] = {}
    for group in groups:
        for item in group.items:
            for u in item.lagging:
                result.setdefault(u.department, []).append(item)
    return result
