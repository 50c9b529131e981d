"""The total of an indicator broken down by unit (分解): what the 全市 row holds. Pure: no I/O.

For an indicator whose units' figures add up (model.Plan.sums_units), the total is the sum of
the values the units reported, and says how many of the units it covers (`5/6个单位`); a rate or
an average is never summed: its total stays the figure its own owner reports.
"""
from __future__ import annotations

from dataclasses import dataclass

from toolkit.model import Indicator, Plan
from toolkit.returns import QuarterReturns


@dataclass(frozen=True)
class Rollup:
    sums: bool                 # the total is the sum of the units' figures
    actual: float | None       # that sum over the units that reported (None: none did, or not summed)
    previous: float | None     # the same sum last quarter, over the units that reported then
    reported: int              # units with a figure this quarter
    units: int                 # units the indicator is broken down to

    @property
    def coverage(self) -> str:
        """`23/26个单位`."""
        return f"{self.reported}/{self.units}个单位"


def _sum(plan: Plan, ind: Indicator, returns: QuarterReturns | None) -> tuple[float | None, int]:
    total, count = 0.0, 0
    if returns is None:
        return None, 0
    for share in plan.unit_targets(ind):
        value = returns.indicator_figure(ind.task_no, ind.name, share.unit)
        if value is not None:
            total += value
            count += 1
    return (total if count else None), count


def rollup(plan: Plan, ind: Indicator, returns: QuarterReturns,
           previous: QuarterReturns | None = None) -> Rollup | None:
    """The roll-up of a broken-down `ind`, or None when `ind` is not broken down."""
    if not plan.breakdown or plan.is_unit_share(ind):
        return None  # no 分解, or one unit's own share (UnitTarget.indicator): O(1), asked N×300 times
    shares = plan.unit_targets(ind)
    if not shares:
        return None
    actual, reported = _sum(plan, ind, returns)
    sums = plan.sums_units(ind)
    before = _sum(plan, ind, previous)[0] if sums else None
    return Rollup(sums, actual if sums else None, before, reported, len(shares))
