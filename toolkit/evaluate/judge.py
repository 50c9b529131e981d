"""Judge every task against its 序时进度 for a quarter. Pure: no I/O.

CONTRACT (fixed; the report and the briefing both consume exactly this API —
add fields if needed, never rename): the dataclasses below, plus

    evaluate(plan, quarter, returns: QuarterReturns | None, previous: QuarterReturns | None = None) -> QuarterEvaluation
    evaluate_quarter(plan, quarter, out_dir) -> QuarterEvaluation
        loads via toolkit.store.db.load_quarter (current and previous quarter), tolerating a
        missing store (then everything is 未报送).

IndicatorResult.completion: % of the annual target reached (≤: 100 at or below target, else
target/actual*100); .schedule: % due by quarter end (序时进度); gap = completion - schedule.
At Q4 statuses and lights are the year-end ones (yearend.py); QuarterEvaluation.statuses says which.
TaskResult.flags: Chinese texts, e.g. "报告与数据不符：自报序时推进，但指标落后序时12.5个百分点".
QuarterEvaluation.lagging(): status 滞后, sorted by gap ascending (worst first).

Rules where the issue was silent (documented for users in docs/用户手册.md):
- completion, schedule and gap are rounded to one decimal, and thresholds apply to the
  rounded figures, so what a reader sees is what was judged;
- schedule is capped at 100 (nothing beyond the annual target is due) and is 100 at Q4
  even where the plan's Q4 figure misses the annual target (the figure stays in `planned`,
  the mismatch is explained in `note`);
- 序时推进 = within TOLERANCE points of 序时进度 either way; 超序时 above, 滞后 below;
- a task with indicators is judged by its most-behind reported indicator; 已完成 needs
  every indicator reported and at its annual target;
- lights come from the gap: behind by more than settings.yellow → yellow, more than
  settings.red → red; a 滞后 with no figures (self-report only) is yellow; 未报送 has none.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from pathlib import Path

from toolkit.model import STATUSES
from toolkit.model import LE, Indicator, Plan, Task
from toolkit.plan.timing import MILESTONE, schedule_basis
from toolkit.quarter import Quarter, as_quarter
from toolkit.returns import QuarterReturns, TaskEntry
from toolkit.values import is_empty_answer
from toolkit.evaluate import yearend as Y
from toolkit.evaluate.figures import _r1, completion_of, is_met, num, schedule_of  # noqa: F401 (API)
from toolkit.evaluate.rollup import rollup

STATUSES_EVAL = ("已完成", "超序时", "序时推进", "滞后", "未报送")  # order used everywhere
DONE, AHEAD, ON_TRACK, BEHIND, MISSING = STATUSES_EVAL
NOT_STARTED = STATUSES[-1]  # 未启动 (self-report only)
GREEN, YELLOW, RED, NONE = "green", "yellow", "red", "none"
LIGHT_NAMES = {GREEN: "绿灯", YELLOW: "黄灯", RED: "红灯", NONE: "—"}

UNANSWERED = "牵头单位已报送，但本任务"
TOLERANCE = 1.0  # points either side of 序时进度 that still count as 序时推进
_RANK = {s: i for i, s in enumerate(STATUSES_EVAL)}
# Texts that mean "no problem" when typed into 存在问题.


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    department: str          # the responsible unit (plan.indicator_owner)
    planned: float           # planned cumulative value at quarter end (Indicator.planned_at)
    planned_given: bool      # True when the plan states the figure, False = time share
    actual: float | None     # cumulative value reported (None = not reported)
    completion: float | None
    schedule: float
    gap: float | None
    light: str
    status: str = MISSING    # the indicator's own status (one of STATUSES_EVAL)
    met: bool = False        # annual target reached
    previous: float | None = None  # last quarter's value from the same unit
    note: str = ""           # the department's 数据说明
    plan_note: str = ""      # why schedule differs from planned/target (plan inconsistency)
    cell: str = ""
    coverage: str = ""       # a broken-down indicator's total: how many units reported (`5/6个单位`)


@dataclass(frozen=True)
class TaskResult:
    task: Task
    status: str              # one of STATUSES_EVAL
    percent: float | None    # % complete used for judging
    schedule: float          # time share or indicator-based 序时 %
    gap: float | None
    light: str
    lead_entry: TaskEntry | None
    co_entries: list[TaskEntry]
    indicators: list[IndicatorResult]
    flags: list[str]
    self_status: str = ""    # the lead's self-reported status as typed ("" = blank)
    figure_status: str | None = None  # the status the figures alone give (None = no figures)
    basis: str = ""          # what the gap refers to, e.g. "指标“新建幼儿园”" or "自报完成进度（按完成时限“6月底前”…）"
    schedule_basis: str = ""  # what 序时 means for this task: 按季度序时进度 / 按完成时限… / 按全年时间进度


@dataclass
class QuarterEvaluation:
    plan: Plan
    quarter: Quarter
    returns: QuarterReturns
    tasks: list[TaskResult]
    counts: dict[str, int]                   # status -> count, all five keys present
    by_domain: dict[str, dict[str, int]]
    by_lead: dict[str, dict[str, int]]
    expected: int                            # departments
    returned: int
    on_time: int
    statuses: tuple[str, ...] = STATUSES_EVAL  # the keys of counts, in order (year-end at Q4)

    @property
    def year_end(self) -> bool:
        return self.quarter.q == 4

    def unfinished(self) -> list[TaskResult]:
        """Year-end: 基本完成 and 未完成 tasks, least complete first (empty before Q4)."""
        if not self.year_end:
            return []
        words = self.statuses[1:3]
        return sorted((t for t in self.tasks if t.status in words),
                      key=lambda t: (t.percent if t.percent is not None else -1.0, t.task.no))

    @property
    def reporting_rate(self) -> float:
        return 100.0 * self.returned / self.expected if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return 100.0 * self.on_time / self.expected if self.expected else 0.0

    def lagging(self) -> list[TaskResult]:
        return sorted((t for t in self.tasks if t.status == "滞后"),
                      key=lambda t: (t.gap if t.gap is not None else 0.0))


# --- numbers ---------------------------------------------------------------------------

def status_of_gap(gap: float) -> str:
    if gap > TOLERANCE:
        return AHEAD
    return ON_TRACK if gap >= -TOLERANCE else BEHIND


def light_of(gap: float | None, status: str, yellow: float, red: float) -> str:
    if status == MISSING:
        return NONE
    if gap is None:
        return YELLOW if status == BEHIND else GREEN
    if -gap > red:
        return RED
    return YELLOW if -gap > yellow else GREEN


def worse(*statuses: str | None) -> str | None:
    given = [s for s in statuses if s]
    return max(given, key=_RANK.__getitem__) if given else None


# --- indicators ------------------------------------------------------------------------

def evaluate_indicator(plan: Plan, ind: Indicator, q: int, returns: QuarterReturns,
                       previous: QuarterReturns | None = None) -> IndicatorResult:
    owner = plan.indicator_owner(ind)
    entry = returns.indicator_value(ind.task_no, ind.name, owner)
    prev = previous.indicator_value(ind.task_no, ind.name, owner) if previous else None
    schedule, plan_note = schedule_of(ind, q)
    schedule = _r1(schedule)
    actual = entry.value if entry else None
    common: dict[str, Any] = dict(indicator=ind, department=owner, planned=ind.planned_at(q),
                                  planned_given=ind.planned_is_given(q), schedule=schedule,
                                  previous=prev.value if prev else None, note=entry.note if entry else "",
                                  plan_note=plan_note, cell=entry.cell if entry else "")
    roll = rollup(plan, ind, returns, previous)  # broken down by unit (分解): evaluate/rollup.py
    if roll is not None:
        common["coverage"] = roll.coverage
        if roll.sums:
            actual = roll.actual
            common.update(previous=roll.previous, note="", cell="")
    if actual is None:
        return IndicatorResult(actual=None, completion=None, gap=None, light=NONE,
                               status=MISSING, **common)
    met = is_met(ind, actual)
    completion = _r1(completion_of(ind, actual))
    if not met and completion >= 100:
        completion = 99.9  # rounding must not make an unmet target look met
    gap = _r1(completion - schedule)
    if q == 4:  # the year: done or not (yearend.py)
        status = Y.indicator_status(plan.settings, met, completion)
        light = Y.year_light(plan.settings, status)
    else:
        status = DONE if met else status_of_gap(gap)
        light = light_of(gap, status, plan.settings.yellow, plan.settings.red)
    return IndicatorResult(actual=actual, completion=completion, gap=gap, light=light,
                           status=status, met=met, **common)


# --- tasks -----------------------------------------------------------------------------

def _self_status(entry: TaskEntry | None, nothing_due: bool) -> str | None:
    """The lead's self-report on the evaluation scale (未启动 → 滞后 unless nothing is due)."""
    if entry is None or entry.status not in STATUSES:
        return None
    if entry.status == NOT_STARTED:
        return ON_TRACK if nothing_due else BEHIND
    return entry.status


def nothing_due(plan: Plan, task: Task, q: int) -> bool:
    """True when the plan asks nothing of the task by the end of quarter q.

    A milestone text up to q, or any indicator with something due (a ≤ level is due
    at every quarter), means something is due.
    """
    if any(m.strip() for m in task.milestones[:q]):
        return False
    if not any(m.strip() for m in task.milestones):
        return False  # judged by its deadline or the time share: something is due every quarter
    return all(ind.direction != LE and ind.planned_at(q) <= 0
               for ind in plan.indicators_for_task(task.no))


def has_issue(text: str) -> bool:
    """True when a 存在问题 text names a problem (not blank, 无, 暂无 ...)."""
    return not is_empty_answer(text)


def _lead_entry(task: Task, entries: list[TaskEntry]) -> TaskEntry | None:
    for lead in task.leads:
        for e in entries:
            if e.department == lead:
                return e
    return None


def _figures(task: Task, inds: list[IndicatorResult], lead: TaskEntry | None, q: int):
    """(figure status, percent, schedule, gap, basis) from indicators or the self-reported %."""
    reported = [r for r in inds if r.actual is not None]
    if reported:
        worst = min(reported, key=lambda r: r.gap or 0.0)
        assert worst.gap is not None  # a reported indicator has a gap
        if len(reported) == len(inds) and all(r.met for r in inds):
            status = DONE
        else:
            status = status_of_gap(worst.gap)
        return status, worst.completion, worst.schedule, worst.gap, f"指标“{worst.indicator.name}”"
    share, kind, words = schedule_basis(task, q)
    if lead is not None and lead.percent is not None:
        percent = _r1(lead.percent)
        gap = _r1(percent - share)
        status = DONE if percent >= 100 else status_of_gap(gap)
        plain = kind == MILESTONE and words == "按季度序时进度"
        return status, percent, share, gap, "自报完成进度" if plain else f"自报完成进度（{words}）"
    return None, None, share, None, ""


def _flags(task: Task, lead: TaskEntry | None, cos: list[TaskEntry], inds: list[IndicatorResult],
           self_status: str | None, figure_status: str | None, gap: float | None, basis: str,
           prev_lead: TaskEntry | None, unfilled: list[str], lead_returned: bool) -> list[str]:
    flags: list[str] = []
    if lead is not None and self_status and figure_status:
        if figure_status == BEHIND and gap is not None and _RANK[self_status] < _RANK[BEHIND]:
            flags.append(f"报告与数据不符：自报{lead.status}，但{basis}落后序时{num(-gap)}个百分点")
        elif self_status == DONE and figure_status != DONE:
            flags.append(f"报告与数据不符：自报已完成，但{basis}未达全年目标")
    if lead is not None and not has_issue(lead.issues):
        raised = [e.department for e in cos if has_issue(e.issues)]
        if raised:
            flags.append(f"配合单位反映问题，牵头单位未报：{'、'.join(dict.fromkeys(raised))}")
    if lead is not None and prev_lead is not None and _same_as_before(lead, prev_lead, inds):
        flags.append("与上季度报送内容完全相同，疑似照抄上季度")
    for r in inds:
        if (r.indicator.direction != LE and r.actual is not None and r.previous is not None
                and r.actual < r.previous):
            flags.append(f"累计数下降：{r.indicator.name}由{num(r.previous)}降至{num(r.actual)}"
                         f"{r.indicator.unit}")
    if unfilled:
        flags.append(f"指标未填报：{'、'.join(unfilled)}")
    if lead_returned and not self_status and figure_status is None:
        flags.append(UNANSWERED + "未填写进展状态和数据")
    return flags


def _same_as_before(now: TaskEntry, before: TaskEntry, inds: list[IndicatorResult]) -> bool:
    texts = (now.progress, now.issues, now.next_steps)
    if not any(t.strip() for t in texts):
        return False  # nothing written: not a copy, just empty
    if texts != (before.progress, before.issues, before.next_steps):
        return False
    if (now.status, now.percent) != (before.status, before.percent):
        return False
    own = [r for r in inds if r.department == now.department]
    return all(r.actual == r.previous for r in own)


def evaluate_task(plan: Plan, task: Task, q: int, returns: QuarterReturns,
                  previous: QuarterReturns | None = None) -> TaskResult:
    entries = returns.task_entries(task.no)
    lead = _lead_entry(task, entries)
    cos = [e for e in entries if e is not lead]
    inds = [evaluate_indicator(plan, i, q, returns, previous)
            for i in plan.indicators_for_task(task.no)]
    lead_returned = any(u in returns.returns for u in task.leads)
    figure_status, percent, schedule, gap, basis = _figures(task, inds, lead, q)
    self_status = _self_status(lead, nothing_due(plan, task, q))
    if not lead_returned:
        status = MISSING
    else:
        status = worse(figure_status, self_status) or MISSING
    prev_lead = None
    if previous is not None and lead is not None:
        prev_lead = next((e for e in previous.task_entries(task.no)
                          if e.department == lead.department), None)
    # Blank indicator rows in a return that did come back (a missing return shows elsewhere).
    unfilled = [r.indicator.name for r in inds if r.actual is None and r.department in returns.returns
                and not (r.coverage and plan.sums_units(r.indicator))]  # a sum nobody fills in
    flags = _flags(task, lead, cos, inds, self_status, figure_status, gap, basis, prev_lead,
                   unfilled, lead_returned)
    light = light_of(gap, status, plan.settings.yellow, plan.settings.red)
    if q == 4:
        status, percent, flags = _year_end(plan, inds, lead, lead_returned and (
            bool(lead and lead.status) or figure_status is not None), percent, basis, flags)
        light = Y.year_light(plan.settings, status)
    return TaskResult(task=task, status=status, percent=percent, schedule=schedule, gap=gap,
                      light=light, lead_entry=lead, co_entries=cos, indicators=inds, flags=flags,
                      self_status=lead.status if lead else "", figure_status=figure_status,
                      basis=basis, schedule_basis=schedule_basis(task, q)[2])


def _year_end(plan: Plan, inds: list[IndicatorResult], lead: TaskEntry | None, answered: bool,
              percent: float | None, basis: str, flags: list[str]):
    """(status, percent, flags) of a task at year-end: see yearend.py."""
    self_done = lead is not None and lead.status in (DONE, plan.settings.year_words[0])
    if not inds and percent is None and self_done:
        percent = 100.0
    if percent is not None:
        percent = min(percent, 100.0)  # a task is at most complete; the indicators keep their own %
    all_met = all(r.met for r in inds)
    status = Y.task_status(plan.settings, lead_returned=answered, has_indicators=bool(inds),
                           all_reported=all(r.actual is not None for r in inds),
                           all_met=all_met, percent=percent, self_done=self_done)
    if status == Y.YEAR_MISSING:
        percent = None  # a co-unit's figure is not the lead's year result
    kept = [f for f in flags if not f.startswith("报告与数据不符")
            and not (lead is not None and lead.status and f.startswith(UNANSWERED))]
    if lead is not None and inds and lead.status and percent is not None:
        if self_done and not all_met:
            kept.insert(0, f"报告与数据不符：自报已完成，但{basis}仅完成全年目标的{num(percent)}%")
        elif all_met and all(r.actual is not None for r in inds) and not self_done:
            kept.insert(0, f"报告与数据不符：指标均已达到全年目标，但牵头单位自报{lead.status}")
    return status, percent, kept


# --- the quarter -----------------------------------------------------------------------

def _count(results: list[TaskResult], statuses=STATUSES_EVAL) -> dict[str, int]:
    counts = dict.fromkeys(statuses, 0)
    for r in results:
        counts[r.status] += 1
    return counts


def _grouped(results: list[TaskResult], key, statuses) -> dict[str, dict[str, int]]:
    groups: dict[str, list[TaskResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {k: _count(v, statuses) for k, v in groups.items()}


def evaluate(plan: Plan, quarter: Quarter, returns: QuarterReturns | None,
             previous: QuarterReturns | None = None) -> QuarterEvaluation:
    """Judge every task of `plan` for `quarter`; `returns` None means nothing was merged."""
    if returns is None:
        returns = QuarterReturns(quarter=quarter.code, expected=plan.department_names())
    results = [evaluate_task(plan, t, quarter.q, returns, previous) for t in plan.tasks]
    expected = returns.expected or plan.department_names()
    returned = [d for d in returns.returns if d in expected]
    statuses = Y.year_statuses(plan.settings) if quarter.q == 4 else STATUSES_EVAL
    return QuarterEvaluation(
        plan=plan, quarter=quarter, returns=returns, tasks=results,
        counts=_count(results, statuses),
        by_domain=_grouped(results, lambda r: r.task.domain, statuses),
        by_lead=_grouped(results, lambda r: r.task.lead, statuses),
        expected=len(expected), returned=len(returned),
        on_time=sum(1 for d in returned if returns.returns[d].on_time), statuses=statuses)


def load_returns(plan: Plan, quarter: Quarter, out_dir: Path | str) -> QuarterReturns | None:
    """The merged returns of a quarter, or None when the store (or the quarter) is absent."""
    try:
        from toolkit.store.db import load_quarter
    except ImportError:  # the merge step is absent: nothing can have been merged
        return None
    return load_quarter(plan, quarter, Path(out_dir))


def evaluate_quarter(plan: Plan, quarter: Quarter | str, out_dir: Path | str, *,
                     store: str | None = None) -> QuarterEvaluation:
    """Load the quarter (and the previous one, for copy/decrease flags) and evaluate it."""
    from toolkit.store.location import use_store
    quarter = as_quarter(quarter, plan.settings.year)
    with use_store(store):
        current = load_returns(plan, quarter, out_dir)
        prev_q = quarter.previous
        previous = load_returns(plan, prev_q, out_dir) if prev_q else None
    return evaluate(plan, quarter, current, previous)
