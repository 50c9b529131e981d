"""The departments' annual assessment (年度考核), computed by hand on tests.evaluate_helpers.tiny_plan.

甲局 leads task 1 (three indicators) and co-owns task 2; 乙局 leads task 2 (no indicators) and
co-owns task 1; 丙局 leads task 3 (建成项目 ≥2). Default points: 按时 10 / 逾期 5 per quarter,
牵头 30 (基本完成 80 %), 配合 15, 数据质量 15 minus 退回 2, 更正 1, 不符 2, 未填报 1.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

from tests.evaluate_helpers import CO, entry, ival, quarter_of, ret, tiny_plan
from toolkit.evaluate.assessment import CO as CO_RULE, LEAD, ON_TIME, QUALITY, assess
from toolkit.evaluate.judge import evaluate
from toolkit.quarter import Quarter
from toolkit.returns import Rejection

BLANK = dict(status="", progress="", issues="", next_steps="")


def year(plan):
    evs = []
    for q in (1, 2, 3, 4):
        code = f"2019Q{q}"
        t1 = (18, 30, 4) if q == 4 else (plan.indicators[0].planned_at(q), plan.indicators[1].planned_at(q), 4)
        a = ret("甲局", code, [entry(1, "甲局", status="已完成" if q == 4 else "序时推进"),
                              entry(2, "甲局", CO, status="", progress="配合开展课后服务。")],
                [ival(1, n, "甲局", v) for n, v in zip(("新建幼儿园", "改造校舍", "大班额比例"), t1)],
                on_time=q != 3)
        b = ret("乙局", code, [entry(2, "乙局", status="序时推进", percent=95 if q == 4 else 25 * q),
                              entry(1, "乙局", CO, **(BLANK if q == 1 else {"status": "", "progress": "配合。"}))])
        c = ret("丙局", code, [entry(3, "丙局", status={3: "滞后", 4: "已完成"}.get(q, "序时推进"))],
                [ival(3, "建成项目", "丙局", 1 if q == 4 else 0)], versions=2 if q == 4 else 1)
        rejections = [Rejection("丙局", "丙局_改了表.xlsx", datetime(2019, 4, 3))] if q == 1 else []
        returns = [a, c] if q == 2 else [a, b, c]
        evs.append(evaluate(plan, Quarter(2019, q), quarter_of(plan, code, returns, rejections)))
    return evs


def test_scores_per_rule_total_and_rank_by_hand():
    plan = tiny_plan()
    a = assess(plan, year(plan))
    got = {d.unit: (d.scores, d.total, d.rank) for d in a.departments}
    assert got["甲局"] == ({ON_TIME: 35.0, LEAD: 30.0, CO_RULE: 15.0, QUALITY: 15.0}, 95.0, 1)
    # 乙局: Q2 missing; task 2 基本完成 (95 %) → 30 × 0.8; task 1 co-row blank in Q1, missing in Q2 → 2/4.
    assert got["乙局"] == ({ON_TIME: 30.0, LEAD: 24.0, CO_RULE: 7.5, QUALITY: 15.0}, 76.5, 2)
    # 丙局: task 3 未完成 (1 of 2); no co-tasks → full; 退回 −2, 更正 −1, 自报已完成但未达目标 −2.
    assert got["丙局"] == ({ON_TIME: 40.0, LEAD: 0.0, CO_RULE: 15.0, QUALITY: 10.0}, 65.0, 3)
    assert [d.unit for d in a.departments] == ["甲局", "乙局", "丙局"]
    assert a.full_total == 100.0


def test_every_point_is_listed_for_the_department_to_check():
    plan = tiny_plan()
    c = next(d for d in assess(plan, year(plan)).departments if d.unit == "丙局")
    quality = [(i.quarter, i.what, i.points) for i in c.items if i.rule == QUALITY]
    assert quality == [("一季度", "报送文件被退回：丙局_改了表.xlsx", -2.0),
                       ("四季度", "报送更正版1次", -1.0),
                       ("四季度", "第3项：报告与数据不符：自报已完成，但指标“建成项目”仅完成全年目标的50%", -2.0)]
    assert c.lost_summary() == "牵头任务未完成1项；退回1次；更正1次；报告与数据不符1项"
    # The items add up to the scores (quality: full minus the deductions).
    for d in assess(plan, year(plan)).departments:
        for rule in (ON_TIME, LEAD, CO_RULE):
            assert round(sum(i.points for i in d.items if i.rule == rule), 2) == d.scores[rule]


def test_points_come_from_the_plan_and_ties_share_a_rank():
    plan = tiny_plan()
    given = (("考核：牵头任务完成（满分）", 0.0), ("考核：基本完成得分比例（%）", 50.0))
    flat = dataclasses.replace(plan, settings=dataclasses.replace(plan.settings, assessment=given))
    a = assess(flat, year(flat))
    assert a.full_total == 70.0
    assert {d.unit: d.scores[LEAD] for d in a.departments} == {"甲局": 0.0, "乙局": 0.0, "丙局": 0.0}
    nothing = assess(plan, [None, None, None, evaluate(plan, Quarter(2019, 4), None)])
    # Nothing merged: 丙局 keeps 配合 15 (it co-owns nothing) and 质量 15; 甲局 and 乙局 tie behind it.
    assert [(d.unit, d.total, d.rank) for d in nothing.departments] == [("丙局", 30.0, 1), ("甲局", 15.0, 2), ("乙局", 15.0, 2)]


def test_assessment_sheets_one_page_per_department(tmp_path):
    import openpyxl

    from toolkit.render.report import write_report
    from toolkit.render.report_assess import assessment_sheets
    plan = tiny_plan()
    evs = year(plan)
    path = write_report(evs[-1], tmp_path / "year.xlsx", evs, extra_sheets=assessment_sheets(assess(plan, evs)))
    wb = openpyxl.load_workbook(path)
    scores, detail = wb["年度考核"], wb["考核明细"]
    assert [c.value for c in scores[3]][:7] == ["排名", "单位", "按时报送\n（满分40）", "牵头任务完成\n（满分30）",
                                              "配合报送\n（满分15）", "数据质量\n（满分15）", "总分\n（满分100）"]
    assert [(r[0].value, r[1].value, r[6].value) for r in scores.iter_rows(min_row=4, max_row=6)] == [
        (1, "甲局", 95), (2, "乙局", 76.5), (3, "丙局", 65)]
    assert scores.cell(6, 8).value == "牵头任务未完成1项；退回1次；更正1次；报告与数据不符1项"
    titles = [c.value for c in detail["A"] if c.value and str(c.value).startswith("2019年度考核明细")]
    assert titles == ["2019年度考核明细：甲局", "2019年度考核明细：乙局", "2019年度考核明细：丙局"]
    assert len(detail.row_breaks.brk) == 2 and detail.page_setup.orientation == "portrait"
    # a few units print on one page (the demo's 26th unit stood alone on a second page)
    assert scores.sheet_properties.pageSetUpPr.fitToPage and scores.page_setup.fitToHeight in (None, 1)  # 1 is the default
    # the 小计 labels are not wider than column A (12 cut 牵头任务完成小计 to 牵头任务完成小)
    from toolkit.fileio.xlsxtext import text_lines
    labels = {c.value for c in detail["A"] if isinstance(c.value, str) and c.value.endswith("小计")}
    assert "牵头任务完成小计" in labels
    assert all(text_lines(v, detail.column_dimensions["A"].width, 1.8) == 1 for v in labels)
