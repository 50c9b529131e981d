"""The departments' annual assessment (年度考核), from the four quarters' evaluations alone.

Rules and points come from the plan (设置 rows “考核：…”, defaults in plan.format.ASSESSMENT_KEYS):

  按时报送     per quarter: on time → 按时 points, late → 逾期 points, not returned → 0
  牵头任务完成 满分 × mean credit of the tasks the unit leads at year-end (完成 1, 基本完成 the
               given %, else 0); a unit that leads nothing gets the full points
  配合报送     满分 × share of (quarter, co-task) pairs where the unit's return filled the row
               (a status, a % or any text); a unit without co-tasks gets the full points
  数据质量     满分 minus deductions, not below 0: each rejected file, each corrected version,
               each 报告与数据不符 flag on a task it leads, each blank indicator it answers for
               or blank task it leads in a return that came back

Every point is listed as an Item (rule, quarter, what, points) so a department can check it.
Nothing here reads files: `assess(plan, evaluations)`; `assess_year` loads them from the store.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from toolkit.evaluate.judge import QuarterEvaluation, evaluate, load_returns
from toolkit.model import Plan
from toolkit.plan.format import ASSESSMENT_KEYS
from toolkit.quarter import Quarter

ON_TIME, LEAD, CO, QUALITY = "按时报送", "牵头任务完成", "配合报送", "数据质量"
RULES = (ON_TIME, LEAD, CO, QUALITY)
QUARTER_SHORT = ("一季度", "二季度", "三季度", "四季度")


@dataclass(frozen=True)
class Item:
    rule: str
    quarter: str      # 一季度 … or "全年"
    what: str
    points: float     # points earned (positive) or deducted (negative, 数据质量)
    lost: bool = False  # a point lost here (late, missing, not done, blank, deducted)
    kind: str = ""      # what was lost, for the one-line summary: 逾期报送, 未完成, 退回 ...
    n: int = 1          # how many of `kind`


@dataclass
class DeptScore:
    unit: str
    scores: dict[str, float]
    items: list[Item] = field(default_factory=list)
    rank: int = 0

    @property
    def total(self) -> float:
        return round(sum(self.scores.values()), 1)

    def lost_summary(self) -> str:
        """`逾期报送1次；牵头任务未完成2项；退回1次` from the items that lost points."""
        counts: dict[str, int] = {}
        for i in self.items:
            if i.lost and i.kind:
                counts[i.kind] = counts.get(i.kind, 0) + i.n
        return "；".join(f"{k}{n}{'项' if k.startswith(('牵头', '配合', '报告', '未填')) else '次'}"
                        for k, n in counts.items())


@dataclass
class Assessment:
    year: int
    full: dict[str, float]                 # rule -> full points
    points: dict[str, float]               # 设置 key -> points in force
    departments: list[DeptScore]           # by rank
    merged: list[bool]                     # per quarter: anything merged

    @property
    def full_total(self) -> float:
        return round(sum(self.full.values()), 1)

    def rows(self) -> list[dict]:
        """Plain dicts for the briefing (rank order)."""
        return [{"rank": d.rank, "unit": d.unit, "total": d.total, "full": self.full_total,
                 **{k: round(v, 1) for k, v in d.scores.items()}} for d in self.departments]


def rule_points(plan: Plan) -> dict[str, float]:
    """设置 key -> points: the plan's value where given, else the default."""
    given = dict(plan.settings.assessment)
    return {k: float(given.get(k, default)) for k, (default, _) in ASSESSMENT_KEYS.items()}


def _filled(entry) -> bool:
    return bool(entry.status or entry.percent is not None or entry.progress.strip()
                or entry.issues.strip() or entry.next_steps.strip())


def assess(plan: Plan, evaluations: list[QuarterEvaluation | None]) -> Assessment:
    """Score every unit of the plan over the year; `evaluations` are Q1..Q4 (None = nothing merged)."""
    p = list(rule_points(plan).values())
    on_time_pts, late_pts, lead_full, basic_pct, co_full, quality_full, rej, corr, mismatch, blank = p
    quarters = (list(evaluations) + [None] * 4)[:4]
    year_ev = quarters[3]
    full = {ON_TIME: 4 * on_time_pts, LEAD: lead_full, CO: co_full, QUALITY: quality_full}
    result = []
    for unit in plan.department_names():
        items: list[Item] = []
        # 按时报送
        got = 0.0
        for q, ev in enumerate(quarters):
            ret = ev.returns.returns.get(unit) if ev else None
            pts = (on_time_pts if ret.on_time else late_pts) if ret else 0.0
            state = ("按时报送" if ret.on_time else f"逾期报送（{ret.received_at:%m月%d日}）") if ret else "未报送"
            items.append(Item(ON_TIME, QUARTER_SHORT[q], state, pts, pts < on_time_pts,
                              "" if ret and ret.on_time else "逾期报送" if ret else "未报送"))
            got += pts
        # 牵头任务完成
        led = [t for t in plan.tasks if unit in t.leads]
        if not led:
            lead_score = lead_full
            items.append(Item(LEAD, "全年", "无牵头任务，按满分计", lead_full))
        else:
            credits = 0.0
            for t in led:
                r = year_ev.tasks[plan.tasks.index(t)] if year_ev else None
                status = r.status if r else "未报送"
                words = year_ev.statuses if year_ev else ("", "", "")
                credit = 1.0 if status == words[0] else basic_pct / 100 if status == words[1] else 0.0
                credits += credit
                pct = (f"（{r.percent:g}%）" if r is not None and r.percent is not None
                       and status in words[1:3] else "")
                items.append(Item(LEAD, "全年", f"第{t.no}项{t.name}：{status}{pct}",
                                  round(lead_full * credit / len(led), 2), credit < 1, f"牵头任务{status}"))
            lead_score = lead_full * credits / len(led)
        # 配合报送
        co_tasks = [t for t in plan.tasks if unit in t.cos and unit not in t.leads]
        if not co_tasks:
            co_score = co_full
            items.append(Item(CO, "全年", "无配合任务，按满分计", co_full))
        else:
            pairs = filled = 0
            for q, ev in enumerate(quarters):
                ret = ev.returns.returns.get(unit) if ev else None
                rows = {e.task_no: e for e in ret.tasks} if ret else {}
                missed = [t for t in co_tasks if not (t.no in rows and _filled(rows[t.no]))]
                pairs += len(co_tasks)
                filled += len(co_tasks) - len(missed)
                what = (f"配合任务{len(co_tasks)}项，已填写{len(co_tasks) - len(missed)}项"
                        + (f"（未填：{'、'.join(f'第{t.no}项' for t in missed)}）" if missed and ret else "")
                        + ("" if ret else "（未报送）"))
                items.append(Item(CO, QUARTER_SHORT[q], what,
                                  round(co_full * (len(co_tasks) - len(missed)) / (4 * len(co_tasks)), 2),
                                  bool(missed), "配合任务未填", len(missed)))
            co_score = co_full * filled / pairs
        # 数据质量
        deductions = 0.0
        for q, ev in enumerate(quarters):
            if ev is None:
                continue
            qn = QUARTER_SHORT[q]
            for x in ev.returns.rejections:
                if x.department == unit:
                    items.append(Item(QUALITY, qn, f"报送文件被退回：{x.filename}", -rej, True, "退回"))
                    deductions += rej
            ret = ev.returns.returns.get(unit)
            if ret and ret.versions > 1:
                n = ret.versions - 1
                items.append(Item(QUALITY, qn, f"报送更正版{n}次", -corr * n, True, "更正", n))
                deductions += corr * n
            for r in ev.tasks:
                if r.task.lead != unit:
                    continue
                for f in r.flags:
                    if f.startswith("报告与数据不符"):
                        items.append(Item(QUALITY, qn, f"第{r.task.no}项：{f}", -mismatch, True, "报告与数据不符"))
                        deductions += mismatch
                    elif f.startswith("牵头单位已报送，但本任务未填写"):
                        items.append(Item(QUALITY, qn, f"第{r.task.no}项未填写进展", -blank, True, "未填报"))
                        deductions += blank
            if ret:
                for r in ev.tasks:
                    for i in r.indicators:
                        if i.department == unit and i.actual is None:
                            items.append(Item(QUALITY, qn, f"第{r.task.no}项指标“{i.indicator.name}”未填报", -blank, True, "未填报"))
                            deductions += blank
        quality = max(0.0, quality_full - deductions)
        if not deductions:
            items.append(Item(QUALITY, "全年", "无扣分事项", 0.0))
        scores = {ON_TIME: round(got, 2), LEAD: round(lead_score, 2), CO: round(co_score, 2),
                  QUALITY: round(quality, 2)}
        result.append(DeptScore(unit, scores, items))
    order = {u: i for i, u in enumerate(plan.department_names())}
    result.sort(key=lambda d: (-d.total, order[d.unit]))
    for n, d in enumerate(result):  # ties share a rank: 1, 2, 2, 4
        d.rank = result[n - 1].rank if n and d.total == result[n - 1].total else n + 1
    return Assessment(plan.settings.year, full, rule_points(plan), result,
                      [ev is not None for ev in quarters])


def year_evaluations(plan: Plan, year: int, out_dir: Path) -> list[QuarterEvaluation | None]:
    """Q1..Q4 evaluated from the store (None for a quarter with nothing merged)."""
    result: list[QuarterEvaluation | None] = []
    previous = None
    for q in range(1, 5):
        quarter = Quarter(year, q)
        merged = load_returns(plan, quarter, out_dir)
        result.append(evaluate(plan, quarter, merged, previous) if merged is not None else None)
        previous = merged
    return result


def assess_year(plan: Plan, out_dir: Path | str, *, store: str | None = None) -> Assessment:
    """The assessment from the store under `out_dir` (or `store`, a URL) alone."""
    from toolkit.store.location import use_store
    with use_store(store):
        return assess(plan, year_evaluations(plan, plan.settings.year, Path(out_dir)))
