"""The evaluation against 序时进度, with figures computed by hand."""
from __future__ import annotations

import pytest

from tests.evaluate_helpers import CO, entry, ival, quarter_of, realistic_quarter, ret, tiny_plan
from toolkit.evaluate.judge import (GREEN, NONE, RED, STATUSES_EVAL, YELLOW, evaluate, evaluate_indicator,
    evaluate_quarter, nothing_due)
from toolkit.quarter import Quarter

Q1, Q2, Q3, Q4 = (Quarter(2019, q) for q in (1, 2, 3, 4))


def one_indicator(plan, task_no, name, value, q=2, dept=None):
    ind = next(i for i in plan.indicators if i.task_no == task_no and i.name == name)
    dept = dept or plan.indicator_owner(ind)
    code = f"2019Q{q}"
    returns = quarter_of(plan, code, [ret(dept, code, indicators=[ival(task_no, name, dept, value)])])
    return evaluate_indicator(plan, ind, q, returns)


# --- indicators --------------------------------------------------------------------------

@pytest.mark.parametrize("value, completion, gap, status, light", [
    (10, 55.6, 0.0, "序时推进", GREEN),     # the plan's own Q2 figure: 10 of 18
    (9, 50.0, -5.6, "滞后", GREEN),         # behind, but not more than 10 points
    (12, 66.7, 11.1, "超序时", GREEN),
    (18, 100.0, 44.4, "已完成", GREEN),
    (3, 16.7, -38.9, "滞后", RED),
])
def test_ge_indicator_with_plan_figure(value, completion, gap, status, light):
    r = one_indicator(tiny_plan(), 1, "新建幼儿园", value)
    assert (r.planned, r.planned_given, r.schedule) == (10, True, 55.6)
    assert (r.completion, r.gap, r.status, r.light) == (completion, gap, status, light)


@pytest.mark.parametrize("value, completion, gap, light", [
    (12, 40.0, -10.0, GREEN),     # exactly 10 points behind: not "more than" the yellow threshold
    (11.97, 39.9, -10.1, YELLOW),
    (6, 20.0, -30.0, YELLOW),
    (5.97, 19.9, -30.1, RED),
])
def test_time_share_fallback_and_light_boundaries(value, completion, gap, light):
    r = one_indicator(tiny_plan(), 1, "改造校舍", value)
    assert (r.planned, r.planned_given, r.schedule) == (15, False, 50.0)
    assert (r.completion, r.gap, r.light, r.status) == (completion, gap, light, "滞后")


def test_thresholds_come_from_the_plan():
    r = one_indicator(tiny_plan(yellow=5, red=20), 1, "改造校舍", 12)
    assert (r.gap, r.light) == (-10.0, YELLOW)
    assert one_indicator(tiny_plan(yellow=5, red=8), 1, "改造校舍", 12).light == RED


@pytest.mark.parametrize("value, completion, gap, status, met", [
    (4, 100.0, 0.0, "已完成", True),     # lower is better: below the ceiling = met
    (5, 100.0, 0.0, "已完成", True),
    (5.5, 90.9, -9.1, "滞后", False),    # 5 / 5.5
    (8, 62.5, -37.5, "滞后", False),     # 5 / 8
])
def test_le_indicator_lower_is_better(value, completion, gap, status, met):
    r = one_indicator(tiny_plan(), 1, "大班额比例", value)
    assert (r.planned, r.schedule) == (5, 100.0)
    assert (r.completion, r.gap, r.status, r.met) == (completion, gap, status, met)


def test_unmet_target_never_rounds_up_to_done():
    r = one_indicator(tiny_plan(), 1, "新建幼儿园", 17.995)
    assert (r.met, r.completion, r.status) == (False, 99.9, "超序时")


def test_unreported_indicator():
    plan = tiny_plan()
    r = evaluate_indicator(plan, plan.indicators[0], 2, quarter_of(plan, "2019Q2"))
    assert (r.actual, r.completion, r.gap, r.status, r.light) == (None, None, None, "未报送", NONE)


# --- the bundled plan's own inconsistencies ------------------------------------------------

def test_q4_figure_below_annual_target_is_judged_against_the_target(plan):
    # Task 22: the plan's Q4 figure is 2.5 万名, the annual target 7 万名.
    r = one_indicator(plan, 22, "职工重大疾病及意外伤害保障计划", 2.5, q=4)
    assert (r.planned, r.schedule, r.completion, r.gap, r.light) == (2.5, 100.0, 35.7, -64.3, RED)
    assert r.plan_note == "计划四季度数（2.5）未达全年目标（7），年末按全年目标考核"
    # Q2 uses the plan's figure as given: 1.5 of 7.
    r2 = one_indicator(plan, 22, "职工重大疾病及意外伤害保障计划", 1.5, q=2)
    assert (r2.schedule, r2.completion, r2.gap, r2.status, r2.plan_note) == (21.4, 21.4, 0.0, "序时推进", "")


def test_film_screenings_q4_plan_figure_met_but_annual_target_missed(plan):
    r = one_indicator(plan, 39, "农村电影放映", 12000, q=4)
    assert (r.planned, r.completion, r.gap, r.status, r.light) == (12000, 75.0, -25.0, "滞后", YELLOW)


def test_plan_figure_above_target_is_capped(plan):
    # Task 26: Q3 names 20 shops, the target is 10; nothing beyond the annual target is due.
    r = one_indicator(plan, 26, "创建“示范平价商店”", 8, q=3)
    assert (r.planned, r.schedule, r.completion, r.gap, r.light) == (20, 100.0, 80.0, -20.0, YELLOW)
    assert "超过全年目标" in r.plan_note
    done = one_indicator(plan, 11, "新培育家庭农场", 110, q=4)  # Q4 plan 125, target 100
    assert (done.status, done.met, done.schedule) == ("已完成", True, 100.0)


# --- tasks -------------------------------------------------------------------------------

def task1_quarter(status="序时推进", values=(10, 15, 5), issues="", co_issues="", q=2, **kw):
    plan = tiny_plan()
    names = ("新建幼儿园", "改造校舍", "大班额比例")
    code = f"2019Q{q}"
    inds = [ival(1, n, "甲局", v) for n, v in zip(names, values) if v is not None]
    a = ret("甲局", code, [entry(1, "甲局", status=status, issues=issues, **kw)], inds)
    b = ret("乙局", code, [entry(1, "乙局", CO, status="", issues=co_issues)])
    return plan, quarter_of(plan, code, [a, b])


def test_task_judged_by_its_most_behind_indicator():
    plan, returns = task1_quarter(values=(12, 12, 5))  # 超序时, 10 points behind, met
    t = evaluate(plan, Q2, returns).tasks[0]
    assert (t.status, t.figure_status, t.percent, t.schedule, t.gap) == ("滞后", "滞后", 40.0, 50.0, -10.0)
    assert (t.basis, t.light) == ("指标“改造校舍”", GREEN)


def test_worse_of_self_report_and_figures_with_mismatch_flag():
    plan, returns = task1_quarter(status="超序时", values=(10, 10, 5))
    t = evaluate(plan, Q2, returns).tasks[0]
    assert t.status == "滞后"
    assert t.flags == ["报告与数据不符：自报超序时，但指标“改造校舍”落后序时16.7个百分点"]
    assert t.light == YELLOW


def test_self_report_worse_than_figures_counts_without_mismatch_flag():
    plan, returns = task1_quarter(status="滞后", values=(12, 20, 6))
    t = evaluate(plan, Q2, returns).tasks[0]
    # 大班额 6% is 83.3 % of the ceiling, a ≤ level is due in full: 16.7 points behind.
    assert (t.figure_status, t.gap) == ("滞后", -16.7)
    plan, returns = task1_quarter(status="滞后", values=(12, 20, 4))
    t = evaluate(plan, Q2, returns).tasks[0]
    # A met ≤ ceiling sits exactly on schedule (gap 0), so the task is at best 序时推进.
    assert (t.status, t.figure_status, t.gap, t.flags) == ("滞后", "序时推进", 0.0, [])


def test_done_needs_every_indicator_met():
    plan, returns = task1_quarter(status="已完成", values=(18, 30, 4))
    assert evaluate(plan, Q2, returns).tasks[0].status == "已完成"
    plan, returns = task1_quarter(status="已完成", values=(18, 30, None))
    t = evaluate(plan, Q2, returns).tasks[0]
    assert t.status == "超序时"
    assert t.flags == ["报告与数据不符：自报已完成，但指标“新建幼儿园”未达全年目标", "指标未填报：大班额比例"]


@pytest.mark.parametrize("percent, status, gap", [
    (51, "序时推进", 1.0), (51.1, "超序时", 1.1), (49, "序时推进", -1.0), (48.9, "滞后", -1.1),
    (100, "已完成", 50.0),
])
def test_task_without_indicators_uses_percent_against_time_share(percent, status, gap):
    plan = tiny_plan()
    returns = quarter_of(plan, "2019Q2", [ret("乙局", tasks=[entry(2, "乙局", status="", percent=percent)])])
    t = evaluate(plan, Q2, returns).tasks[1]
    assert (t.status, t.schedule, t.gap, t.basis) == (status, 50.0, gap, "自报完成进度")


def test_self_report_only_lagging_is_yellow():
    plan = tiny_plan()
    returns = quarter_of(plan, "2019Q2", [ret("乙局", tasks=[entry(2, "乙局", status="滞后")])])
    t = evaluate(plan, Q2, returns).tasks[1]
    assert (t.status, t.gap, t.light, t.figure_status) == ("滞后", None, YELLOW, None)


def test_not_started_is_lagging_unless_nothing_is_due():
    plan = tiny_plan()
    assert nothing_due(plan, plan.tasks[2], 2) and not nothing_due(plan, plan.tasks[2], 3)
    assert not nothing_due(plan, plan.tasks[0], 1)
    for q, expected in ((Q2, "序时推进"), (Q3, "滞后")):
        returns = quarter_of(plan, q.code, [ret("丙局", q.code, [entry(3, "丙局", status="未启动")])])
        assert evaluate(plan, q, returns).tasks[2].status == expected
    plan, returns = task1_quarter(status="未启动", values=(10, 15, 5))
    assert evaluate(plan, Q2, returns).tasks[0].status == "滞后"


def test_missing_lead_return_is_not_reported_even_if_co_unit_returned():
    plan = tiny_plan()
    returns = quarter_of(plan, "2019Q2", [ret("乙局", tasks=[entry(1, "乙局", CO, status="")])])
    t = evaluate(plan, Q2, returns).tasks[0]
    assert (t.status, t.light, t.lead_entry, [e.department for e in t.co_entries]) == ("未报送", NONE, None, ["乙局"])


def test_blank_task_in_a_returned_file():
    plan = tiny_plan()
    returns = quarter_of(plan, "2019Q2", [ret("乙局", tasks=[entry(2, "乙局", status="", progress="", next_steps="")])])
    t = evaluate(plan, Q2, returns).tasks[1]
    assert (t.status, t.flags) == ("未报送", ["牵头单位已报送，但本任务未填写进展状态和数据"])
    # The row is missing altogether from a return that did come back: same verdict.
    returns = quarter_of(plan, "2019Q2", [ret("乙局", tasks=[])])
    t = evaluate(plan, Q2, returns).tasks[1]
    assert (t.status, t.lead_entry, t.flags) == ("未报送", None, ["牵头单位已报送，但本任务未填写进展状态和数据"])


# --- flags -------------------------------------------------------------------------------

@pytest.mark.parametrize("lead_issues, co_issues, flagged", [
    ("", "用地手续未落实。", True), ("无", "用地手续未落实。", True),
    ("资金不足。", "用地手续未落实。", False), ("", "暂无", False),
])
def test_co_unit_problem_the_lead_does_not_report(lead_issues, co_issues, flagged):
    plan, returns = task1_quarter(issues=lead_issues, co_issues=co_issues)
    flags = evaluate(plan, Q2, returns).tasks[0].flags
    assert ("配合单位反映问题，牵头单位未报：乙局" in flags) is flagged


def test_unchanged_copy_of_last_quarter():
    plan, before = task1_quarter(q=1, values=(5, 7.5, 5))
    _, same = task1_quarter(q=2, values=(5, 7.5, 5))
    _, moved = task1_quarter(q=2, values=(10, 15, 5))
    copy_flag = "与上季度报送内容完全相同，疑似照抄上季度"
    assert copy_flag in evaluate(plan, Q2, same, before).tasks[0].flags
    assert copy_flag not in evaluate(plan, Q2, moved, before).tasks[0].flags
    assert copy_flag not in evaluate(plan, Q2, same).tasks[0].flags  # no previous quarter
    _, empty_before = task1_quarter(q=1, values=(5, 7.5, 5), progress="", next_steps="")
    _, empty_now = task1_quarter(q=2, values=(5, 7.5, 5), progress="", next_steps="")
    assert copy_flag not in evaluate(plan, Q2, empty_now, empty_before).tasks[0].flags


def test_cumulative_figure_went_down():
    plan, before = task1_quarter(q=1, values=(6, 7.5, 8))
    _, now = task1_quarter(q=2, values=(4, 15, 5))  # the ≤ 大班额 going down is good news
    flags = evaluate(plan, Q2, now, before).tasks[0].flags
    assert [f for f in flags if f.startswith("累计数下降")] == ["累计数下降：新建幼儿园由6降至4所"]


# --- the quarter -------------------------------------------------------------------------

def test_quarter_with_no_returns_is_all_not_reported(plan):
    ev = evaluate(plan, Q2, None)
    assert ev.counts == {"已完成": 0, "超序时": 0, "序时推进": 0, "滞后": 0, "未报送": 50}
    assert (ev.expected, ev.returned, ev.on_time, ev.reporting_rate) == (26, 0, 0, 0.0)
    assert all(t.light == NONE for t in ev.tasks)


def test_evaluate_quarter_without_anything_merged(tmp_path, plan):
    ev = evaluate_quarter(plan, Q2, tmp_path)
    assert ev.counts["未报送"] == 50 and ev.returns.quarter == "2019Q2"


def test_realistic_quarter_counts_and_rates(plan):
    ev = evaluate(plan, Q2, realistic_quarter(plan, 2), realistic_quarter(plan, 1))
    assert list(ev.counts) == list(STATUSES_EVAL) and sum(ev.counts.values()) == 50
    assert ev.counts["未报送"] == 2  # tasks 32 (市水利局) and 34 (市政务办)
    assert {t.task.no for t in ev.tasks if t.status == "未报送"} == {32, 34}
    assert (ev.expected, ev.returned, ev.on_time) == (26, 24, 23)
    assert round(ev.reporting_rate, 1) == 92.3 and round(ev.on_time_rate, 1) == 88.5
    for groups in (ev.by_domain, ev.by_lead):
        total = {s: sum(g[s] for g in groups.values()) for s in STATUSES_EVAL}
        assert total == ev.counts
    assert ev.by_lead["市水利局"]["未报送"] == 1
    gaps = [t.gap for t in ev.lagging()]
    assert gaps == sorted(gaps) and all(t.status == "滞后" for t in ev.lagging())
    assert len(ev.lagging()) == ev.counts["滞后"]
