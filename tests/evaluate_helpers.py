"""Hand-built quarters for the evaluation and report tests (no merge, no files).

`realistic_quarter(plan, q)` makes a deterministic quarter for the bundled plan: most
departments returned with statuses and indicator values spread around the 序时 targets,
MISSING did not return, LATE returned after the deadline. `tiny_plan()` is a two-task
plan whose figures are easy to compute by hand.
"""
from __future__ import annotations

from datetime import datetime

from toolkit.model import CO, GE, LE, LEAD, Indicator, Plan, Settings, Task
from toolkit.returns import IndicatorEntry, QuarterReturns, Rejection, Return, TaskEntry

MISSING = ("市政务办", "市水利局")
LATE = ("市公安局",)
# Indicator value = planned × factor; the factor depends on the task number's last digit:
# slightly behind (3), behind (7), badly behind (9), far ahead (0), else on track / ahead.
FACTORS = {3: 0.85, 7: 0.6, 9: 0.3, 0: 2.5}
SELF = {6: "已完成", 13: "未启动", 21: "滞后", 2: "超序时", 12: "超序时", 22: "超序时"}


def factor_for(task_no: int, k: int) -> float:
    return FACTORS.get(task_no % 10, 1.1 if k % 2 else 1.0)


def entry(task_no: int, dept: str, role: str = LEAD, status: str = "序时推进",
          percent: float | None = None, progress: str = "按计划推进。", issues: str = "",
          next_steps: str = "继续推进。") -> TaskEntry:
    return TaskEntry(task_no, dept, role, status, percent, progress, issues, next_steps,
                     cell="进展填报!F5")


def ival(task_no: int, name: str, dept: str, value: float | None, note: str = "") -> IndicatorEntry:
    return IndicatorEntry(task_no, name, dept, value, note, cell="指标填报!F5")


def ret(dept: str, quarter: str = "2019Q2", tasks=(), indicators=(), on_time: bool = True,
        received_at: datetime | None = None, versions: int = 1) -> Return:
    return Return(department=dept, quarter=quarter,
                  received_at=received_at or datetime(2019, 7, 5, 9, 30),
                  on_time=on_time, sha256="0" * 64, filename=f"{dept}_填报表.xlsx",
                  contact={"填报人": "张三", "联系电话": "0518-85000000"},
                  tasks=list(tasks), indicators=list(indicators), versions=versions)


def quarter_of(plan: Plan, code: str, returns=(), rejections=()) -> QuarterReturns:
    return QuarterReturns(quarter=code, expected=plan.department_names(),
                          returns={r.department: r for r in returns},
                          rejections=list(rejections))


def realistic_quarter(plan: Plan, q: int = 2, missing=MISSING, late=LATE) -> QuarterReturns:
    """A merged quarter for the bundled plan, deterministic."""
    code = f"{plan.settings.year}Q{q}"
    returns = []
    for d_index, dept in enumerate(plan.department_names()):
        if dept in missing:
            continue
        tasks = []
        for task, role in plan.tasks_for(dept):
            i = task.no + d_index
            status = SELF.get(task.no, "序时推进") if role == LEAD else ""
            tasks.append(entry(task.no, dept, role, status=status,
                               percent=float(min(100, 25 * q + (i % 5 - 2) * 5)),
                               progress=f"第{task.no}项：{dept}本季度按方案推进相关工作。",
                               issues="资金到位较慢。" if i % 4 == 0 else "",
                               next_steps="加快推进。"))
        values = []
        for k, ind in enumerate(plan.indicators_for(dept)):
            factor = factor_for(ind.task_no, k)
            planned = ind.planned_at(q)
            value = planned / factor if ind.direction == LE else planned * factor
            values.append(ival(ind.task_no, ind.name, dept, round(value, 3)))
        on_time = dept not in late
        received = datetime(2019 + q // 4, 3 * q % 12 + 1, 5 if on_time else 18, 10, 0)
        returns.append(ret(dept, code, tasks, values, on_time=on_time, received_at=received,
                           versions=2 if d_index == 0 else 1))
    month = (2019 + q // 4, 3 * q % 12 + 1)
    rejections = [Rejection("市水利局", "市水利局_旧版填报表.xlsx", datetime(*month, 8),
                            ["这是上一季度的填报表（2019年第一季度），请使用本季度的表重新填报。"]),
                  Rejection("", "新建 Microsoft Excel 工作表.xlsx", datetime(*month, 9),
                            ["无法识别报送单位：文件不是由plankit生成的填报表。"])]
    return quarter_of(plan, code, returns, rejections)


def tiny_plan(yellow: float = 10.0, red: float = 30.0) -> Plan:
    """Task 1 (two ≥ indicators, one ≤), task 2 (no indicators, a co-unit), task 3 (nothing due early)."""
    settings = Settings(title="测试计划", year=2019, plan_id="tiny-2019", yellow=yellow, red=red)
    tasks = [
        Task(1, "办学条件", "建幼儿园", "教育", ("甲局",), ("乙局",), ("一", "二", "三", "四")),
        Task(2, "课后服务", "课后服务全覆盖", "教育", ("乙局",), ("甲局",), ("一", "二", "三", "四")),
        Task(3, "年底项目", "年底建成", "城建", ("丙局",), (), ("", "", "开工", "建成")),
    ]
    indicators = [
        Indicator(1, "新建幼儿园", "所", GE, 18, (5, 10, 15, 18)),
        Indicator(1, "改造校舍", "万平方米", GE, 30, (None, None, None, None)),
        Indicator(1, "大班额比例", "%", LE, 5, (None, None, None, None)),
        Indicator(3, "建成项目", "个", GE, 2, (0, 0, None, 2)),
    ]
    return Plan(settings, tasks, indicators, departments=[])


__all__ = ["CO", "LEAD", "LATE", "MISSING", "entry", "ival", "quarter_of", "realistic_quarter",
           "ret", "tiny_plan"]
