"""The year-end (Q4) judgement, with figures computed by hand on tests.evaluate_helpers.tiny_plan.

tiny_plan: task 1 (甲局; 新建幼儿园 ≥18, 改造校舍 ≥30, 大班额比例 ≤5 %, co-unit 乙局),
task 2 (乙局, no indicators), task 3 (丙局; 建成项目 ≥2, nothing due before Q3).
"""
from __future__ import annotations

import dataclasses

import pytest

from tests.evaluate_helpers import CO, entry, ival, quarter_of, ret, tiny_plan
from toolkit.evaluate.judge import GREEN, NONE, RED, STATUSES_EVAL, YELLOW, evaluate
from toolkit.evaluate.yearend import status_text
from toolkit.quarter import Quarter

Q3, Q4 = Quarter(2019, 3), Quarter(2019, 4)
NAMES = ("新建幼儿园", "改造校舍", "大班额比例")


def task1(values, status="序时推进", issues="", plan=None, q=Q4):
    plan = plan or tiny_plan()
    inds = [ival(1, n, "甲局", v) for n, v in zip(NAMES, values) if v is not None]
    a = ret("甲局", q.code, [entry(1, "甲局", status=status, issues=issues)], inds)
    b = ret("乙局", q.code, [entry(1, "乙局", CO, status="")])
    return evaluate(plan, q, quarter_of(plan, q.code, [a, b])).tasks[0]


def test_task_finishing_in_q4_exactly_on_its_target():
    plan = tiny_plan()
    r = ret("丙局", "2019Q4", [entry(3, "丙局", status="已完成")], [ival(3, "建成项目", "丙局", 2)])
    t = evaluate(plan, Q4, quarter_of(plan, "2019Q4", [r])).tasks[2]
    # 2 of 2 = 100 %: met, and the lead reports done.
    assert (t.status, t.percent, t.schedule, t.gap, t.light, t.flags) == ("已完成", 100.0, 100.0, 0.0, GREEN, [])
    assert t.indicators[0].status == "已完成"
    # One short of the target: 1/2 = 50 %, below 90 → 未完成, and the self-report is flagged.
    r = ret("丙局", "2019Q4", [entry(3, "丙局", status="已完成")], [ival(3, "建成项目", "丙局", 1)])
    t = evaluate(plan, Q4, quarter_of(plan, "2019Q4", [r])).tasks[2]
    assert (t.status, t.percent, t.light) == ("未完成", 50.0, RED)
    assert t.flags == ["报告与数据不符：自报已完成，但指标“建成项目”仅完成全年目标的50%"]


@pytest.mark.parametrize("le_value, status, percent", [
    (5, "已完成", 100.0),        # at the ceiling: met
    (4.2, "已完成", 100.0),      # below the ceiling: met
    (5.5, "基本完成", 90.9),     # 5 / 5.5 = 90.909 → 90.9 ≥ 90
    (5.56, "未完成", 89.9),      # 5 / 5.56 = 89.928 → 89.9 < 90
    (8, "未完成", 62.5),         # 5 / 8
])
def test_le_indicator_at_year_end(le_value, status, percent):
    t = task1((18, 30, le_value), status="已完成")
    assert (t.status, t.percent) == (status, percent)
    assert t.indicators[2].status == status
    assert t.basis == "指标“大班额比例”" or status == "已完成"


def test_every_indicator_met_but_the_lead_does_not_report_done():
    t = task1((18, 30, 5), status="序时推进")
    assert (t.status, t.percent, t.light) == ("基本完成", 100.0, YELLOW)
    assert t.flags == ["报告与数据不符：指标均已达到全年目标，但牵头单位自报序时推进"]


def test_least_complete_indicator_decides_and_a_missing_figure_is_not_done():
    t = task1((17, 27.3, 5), status="已完成")  # 17/18 = 94.4, 27.3/30 = 91.0 → 91.0
    assert (t.status, t.percent, t.basis) == ("基本完成", 91.0, "指标“改造校舍”")
    t = task1((18, 30, None), status="已完成")  # 大班额 not reported: the year is not proven
    assert (t.status, t.percent) == ("未完成", 100.0)
    assert "指标未填报：大班额比例" in t.flags


@pytest.mark.parametrize("self_status, percent, status, shown", [
    ("已完成", None, "已完成", 100.0),     # the lead's report decides
    ("序时推进", 100, "已完成", 100.0),
    ("序时推进", 90, "基本完成", 90.0),    # exactly on the threshold
    ("滞后", 89.9, "未完成", 89.9),
    ("滞后", None, "未完成", None),
])
def test_task_without_indicators_is_the_leads_report(self_status, percent, status, shown):
    plan = tiny_plan()
    r = ret("乙局", "2019Q4", [entry(2, "乙局", status=self_status, percent=percent,
                                     issues="资金未到位。")])
    t = evaluate(plan, Q4, quarter_of(plan, "2019Q4", [r])).tasks[1]
    assert (t.status, t.percent) == (status, shown)


def test_missing_lead_is_not_reported_even_when_the_co_unit_returned():
    plan = tiny_plan()
    b = ret("乙局", "2019Q4", [entry(1, "乙局", CO, status="", issues="用地未落实。")])
    ev = evaluate(plan, Q4, quarter_of(plan, "2019Q4", [b]))
    t = ev.tasks[0]
    assert (t.status, t.light, t.lead_entry, t.percent) == ("未报送", NONE, None, None)
    assert ev.tasks[2].status == "未报送"
    # A lead that returned the file but left the task blank has not reported it either.
    blank = ret("乙局", "2019Q4", [entry(2, "乙局", status="", progress="", next_steps="")])
    assert evaluate(plan, Q4, quarter_of(plan, "2019Q4", [blank])).tasks[1].status == "未报送"


def test_only_year_end_statuses_at_q4_and_earlier_quarters_unchanged():
    plan = tiny_plan()
    ev = evaluate(plan, Q4, None)
    assert ev.statuses == ("已完成", "基本完成", "未完成", "未报送") and ev.year_end
    assert ev.counts == {"已完成": 0, "基本完成": 0, "未完成": 0, "未报送": 3}
    assert all(set(g) == set(ev.statuses) for g in ev.by_domain.values())
    q3 = evaluate(plan, Q3, None)
    assert q3.statuses == STATUSES_EVAL and list(q3.counts) == list(STATUSES_EVAL)
    assert not q3.year_end and q3.unfinished() == []
    # Q3 keeps the quarterly scale: the met ≤ ceiling sits on schedule (gap 0) → 序时推进.
    t = task1((17, 30, 5), q=Q3, status="滞后")
    assert (t.status, t.figure_status, t.gap) == ("滞后", "序时推进", 0.0)


def test_threshold_and_words_come_from_the_plan():
    plan = tiny_plan()
    strict = dataclasses.replace(plan, settings=dataclasses.replace(
        plan.settings, basic_threshold=95.0, year_words=("全面完成", "基本完成", "未完成")))
    assert task1((18, 30, 5.5), status="已完成", plan=strict).status == "未完成"  # 90.9 < 95
    assert task1((18, 30, 5), status="已完成", plan=strict).status == "全面完成"
    ev = evaluate(strict, Q4, None)
    assert list(ev.counts) == ["全面完成", "基本完成", "未完成", "未报送"]


def test_unfinished_list_and_status_text():
    plan = tiny_plan()
    a = ret("甲局", "2019Q4", [entry(1, "甲局", status="滞后")],
            [ival(1, n, "甲局", v) for n, v in zip(NAMES, (17, 30, 5))])
    b = ret("乙局", "2019Q4", [entry(2, "乙局", status="滞后", percent=60, issues="资金未到位。")])
    c = ret("丙局", "2019Q4", [entry(3, "丙局", status="已完成")], [ival(3, "建成项目", "丙局", 2)])
    ev = evaluate(plan, Q4, quarter_of(plan, "2019Q4", [a, b, c]))
    assert [(t.task.no, t.status, t.percent) for t in ev.unfinished()] == [(2, "未完成", 60.0), (1, "基本完成", 94.4)]
    assert ev.counts == {"已完成": 1, "基本完成": 1, "未完成": 1, "未报送": 0}
    assert status_text(plan.settings, "基本完成", 94.4) == "基本完成（94.4%）"
    assert status_text(plan.settings, "未完成", 60.0) == "未完成（60%）"
    assert status_text(plan.settings, "已完成", 100.0) == "已完成"


def test_q4_report_has_the_year_sheets_and_only_year_end_statuses(tmp_path, plan):
    import openpyxl

    from tests.evaluate_helpers import realistic_quarter
    from toolkit.render.report import write_report
    evs = [evaluate(plan, Quarter(2019, q), realistic_quarter(plan, q)) for q in (1, 2, 3, 4)]
    path = write_report(evs[-1], tmp_path / "year.xlsx", evs)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["总览", "全年完成情况", "季度轨迹"]
    assert "滞后事项" not in wb.sheetnames and "季度趋势" not in wb.sheetnames
    year = wb["全年完成情况"]
    statuses = [year.cell(r, 7).value for r in range(4, year.max_row + 1)]
    assert len(statuses) == 50
    assert {s.split("（")[0] for s in statuses} <= {"已完成", "基本完成", "未完成", "未报送"}
    assert all(str(c.value) not in ("超序时", "序时推进", "滞后") for c in wb["总览"]["A"])
    track = wb["季度轨迹"]
    assert track.cell(3, 5).value == "一季度\n序时计划" and track.cell(3, 13).value == "年末状态"
    assert year.page_setup.orientation == "landscape" and year.print_title_rows == "$3:$3"
    # every row is tall enough for its longest wrapped cell as LibreOffice prints it: 10 pt 宋体
    # falls back to a CJK font of ~14.5 pt a line (13.5 pt a line cut the last line of task 1)
    from toolkit.fileio.xlsxtext import text_lines
    from toolkit.render.report_year import YEAR_HEADERS
    for r in range(4, year.max_row + 1):
        lines = max(text_lines(str(year.cell(r, c + 1).value or ""), w, 1.8) for c, (_, w) in enumerate(YEAR_HEADERS))
        if lines > 1:
            assert year.row_dimensions[r].height >= lines * 14.5 + 2, (r, lines)
    # the 总览 chart's bars at Q4: done green, basic amber, undone red, missing grey (as the sheets)
    import re
    import zipfile
    with zipfile.ZipFile(path) as z:
        chart = next(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    fills = re.findall(r'<c:dPt>.*?<a:srgbClr val="(\w+)"', chart, re.S)
    assert fills[:4] == ["548235", "FFC000", "C00000", "A5A5A5"]
    # the second chart, per lead unit: 未完成 red and 基本完成 amber stacked (it was all amber, the
    # quarterly 滞后 colour, so a unit with only 未完成 tasks read as a warning, not as a failure)
    with zipfile.ZipFile(path) as z:
        units = next(z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")
                     and "<c:barDir val=\"bar\"/>" in z.read(n).decode())
    series = re.findall(r"<c:ser>.*?<c:v>(.*?)</c:v>.*?<a:srgbClr val=\"(\w+)\"", units, re.S)
    assert series == [("未完成", "C00000"), ("基本完成", "FFC000")] and '<c:grouping val="stacked"/>' in units
    ws = wb["总览"]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "未全部完成")
    assert [ws.cell(head, c).value for c in (3, 4)] == ["未完成", "基本完成"]  # the series' columns C, D


def _with_settings(tmp_path, plan, rows: dict):
    import openpyxl

    from toolkit.plan.workbook import read_plan, write_plan
    path = write_plan(plan, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value in rows:
            ws.cell(r, 2).value = rows.pop(ws.cell(r, 1).value)
    for key, value in rows.items():
        ws.append([key, value])
    wb.save(path)
    return read_plan(path)


def test_year_end_settings_read_from_the_plan_and_checked(tmp_path, plan):
    read = _with_settings(tmp_path, plan, {"基本完成阈值（%）": 95, "年末状态用语": "全面完成、基本完成、未完成",
                                           "考核：数据质量（满分）": 20})
    s = read.plan.settings
    assert (s.basic_threshold, s.year_words) == (95, ("全面完成", "基本完成", "未完成"))
    assert dict(s.assessment)["考核：数据质量（满分）"] == 20
    assert read.plan.fingerprint == plan.fingerprint  # fill-in workbooks already sent stay valid
    bad = _with_settings(tmp_path, plan, {"基本完成阈值（%）": 120, "年末状态用语": "已完成、滞后、未完成",
                                          "考核：加分": 5, "考核：退回扣分（每份）": -1})
    texts = [p.message for p in bad.report.errors]
    assert any("基本完成阈值（%）" in t and "0到100" in t for t in texts)
    assert any("“滞后”是季度判定用语" in t for t in texts)
    assert any("考核：加分" in t and "不是可识别的考核项目" in t for t in texts)
    assert any("考核：退回扣分（每份）" in t and "不能为负" in t for t in texts)
    assert bad.plan.settings.basic_threshold == 90.0
