"""A synthetic province- or national-scale plan, and the answers its units return.

Shape (see docs/ENGINEERING.md (benchmarks)):
  * `tasks` tasks (default 100), each led by one unit (round robin) and co-owned by every
    other unit, so every unit's fill-in workbook has one progress row per task;
  * `indicators` indicators (default 300, three per task). The plan model gives each
    indicator exactly one answering unit (`Indicator.owner`), so they are dealt round robin
    over the units: at N=100 every unit answers 3, at N=300 1, at N=1000 300 units answer 1.
    Per-county figures for every indicator would need N×300 distinct indicators (row keys
    are `I<task>:<name>`), which is a different plan, not a bigger one;
  * the national shape (`national_plan`, issue 17): the same tasks, and every one of the 300
    indicators broken down over all N units (a 分解 row per unit and indicator, N×300 in all),
    so every return carries 100 task rows and 300 indicator rows of its own targets;
  * texts of realistic length (task names ~12 characters, targets ~60, milestones ~120)
    so shared strings and row heights cost what they cost on a real plan.
"""
from __future__ import annotations

from datetime import date

from toolkit.fillin import layout as L
import dataclasses

from toolkit.model import CO, GE, LE, Department, Indicator, Plan, Settings, Task, UnitTarget, sums_across_units

YEAR = 2019
DOMAINS = ("教育", "医疗卫生", "社会保障", "就业创业", "住房保障", "交通出行",
           "生态环境", "文化体育", "食品安全", "公共安全")
UNITS = (("个", GE), ("万元", GE), ("人", GE), ("公里", GE), ("%", GE), ("万平方米", GE), ("天", LE))
STATUS_CYCLE = ("序时推进", "超序时", "序时推进", "滞后", "序时推进", "已完成", "序时推进")
FILLER = ("统筹推进项目建设，加强资金保障和督查考核，确保按期完成年度目标任务，"
          "惠及城乡居民，提升群众获得感、幸福感和安全感。")


def unit_name(i: int) -> str:
    return f"县级单位{i + 1:04d}"


def _text(prefix: str, length: int) -> str:
    text = prefix
    while len(text) < length:
        text += FILLER
    return text[:length - 1] + "。"


def synth_plan(units: int, tasks: int = 100, indicators: int = 300) -> Plan:
    """A plan where every one of `units` units co-owns every task (see module docstring)."""
    names = [unit_name(i) for i in range(units)]
    task_list = []
    for no in range(1, tasks + 1):
        lead = names[(no - 1) % units]
        domain = DOMAINS[(no - 1) % len(DOMAINS)]
        milestones = tuple(_text(f"{q}.{domain}第{no}项：完成本季度序时进度安排，", 120) for q in range(1, 5))
        task_list.append(Task(no, f"{domain}民生实事第{no}项", _text(f"第{no}项目标：", 60), domain,
                              (lead,), tuple(n for n in names if n != lead), milestones))  # type: ignore[arg-type]
    ind_list = []
    for k in range(indicators):
        no = k % tasks + 1
        unit, direction = UNITS[k % len(UNITS)]
        target = float(10 + (k * 37) % 990) if unit != "%" else float(50 + k % 50)
        planned = (None, round(target * 0.4, 2) if k % 3 == 0 else None, None, None)
        ind_list.append(Indicator(no, f"第{no}项指标{k // tasks + 1}完成量", unit, direction, target,
                                  planned, owner=names[k % units]))  # type: ignore[arg-type]
    settings = Settings(title=f"{YEAR}年全省民生实事序时进度安排方案（基准测试，{units}个单位）", year=YEAR,
                        issuer="基准测试领导小组办公室", plan_id=f"bench-{units}u-{tasks}t")
    departments = [Department(n, contact="张三", phone="0518-85000000", email=f"u{i}@example.org")
                   for i, n in enumerate(names)]
    return Plan(settings, task_list, ind_list, departments)


def answers(plan: Plan, dept: str, q: int) -> tuple[dict, dict, dict]:
    """(tasks, indicators, contact) for `toolkit.demo.simulate.fill_return`: what a clerk types."""
    tasks = {}
    for task, role in plan.tasks_for(dept):
        status = STATUS_CYCLE[(task.no + len(dept)) % len(STATUS_CYCLE)] if role != CO else "序时推进"
        percent = {"已完成": 100, "超序时": min(25 * q + 10, 100), "滞后": max(25 * q - 15, 0)}.get(status, 25 * q)
        tasks[task.no] = {
            L.P_STATUS: status, L.P_PERCENT: percent,
            L.P_PROGRESS: _text(f"{dept}{role}第{task.no}项：", 90),
            L.P_ISSUES: "资金到位时间偏晚，部分项目前期手续办理较慢。" if status == "滞后" else "无",
            L.P_NEXT: _text("下一步：", 50)}
    inds = {ind.key: {L.I_VALUE: round(ind.planned_at(q) * (1.1 if ind.direction == GE else 0.9), 2),
                      L.I_NOTE: "数据来源：统计台账"} for ind in plan.indicator_rows_for(dept)}
    contact = {"填报人": "王晓明", "联系电话": "0518-85001234", "填报日期": date(YEAR, 7, 5), "审核人": "刘建国"}
    return tasks, inds, contact


def national_plan(units: int, tasks: int = 100, indicators: int = 300) -> Plan:
    """synth_plan's tasks with every indicator broken down over all units (分解, N×300 rows).

    An additive indicator's total is the sum of its units' targets (which differ a little from
    unit to unit); a rate or ≤ indicator gives every unit the total's level. Quarter figures
    are left to the time share, as most published breakdown tables give none.
    """
    plan = synth_plan(units, tasks, indicators)
    names = plan.department_names()
    blank = (None, None, None, None)
    inds, shares = [], []
    for k, ind in enumerate(plan.indicators):
        ind = dataclasses.replace(ind, owner="", planned=blank)
        sums = sums_across_units(ind)
        per_unit = [float(1 + (k + i) % 9) if sums else ind.target for i in range(units)]
        if sums:
            ind = dataclasses.replace(ind, target=float(sum(per_unit)))
        inds.append(ind)
        shares.extend(UnitTarget(ind.task_no, ind.name, n, t, blank) for n, t in zip(names, per_unit))
    settings = dataclasses.replace(plan.settings, plan_id=f"bench-national-{units}u-{tasks}t",
                                   title=f"{YEAR}年全国民生实事序时进度安排方案（基准测试，分解到{units}个单位）")
    return Plan(settings, plan.tasks, inds, plan.departments, breakdown=shares)
