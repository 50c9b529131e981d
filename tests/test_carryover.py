"""Carry-over (结转): next year's plan starts with the unfinished tasks and their remaining targets."""
from __future__ import annotations

from click.testing import CliRunner

from tests.evaluate_helpers import tiny_plan
from tests.test_assessment import year
from toolkit.cli import main
from toolkit.evaluate.carryover import carried_rows
from toolkit.plan.blank import write_blank
from toolkit.plan.workbook import read_plan


def test_unfinished_tasks_carried_with_remaining_targets_by_hand():
    plan = tiny_plan()
    q4 = year(plan)[-1]  # task 1 已完成, task 2 基本完成 (95 %), task 3 未完成 (建成项目 1 of 2)
    co = carried_rows(q4)
    assert (co.year, co.from_year) == (2020, 2019)
    assert [t.task.no for t in co.carried] == [2, 3] and co.not_reported == []
    t2, t3 = co.tasks
    assert t2[:6] == (1, "课后服务（结转）",
                      "（结转）2019年第2项基本完成（95%），完成2019年剩余约5%的工作量。原目标：课后服务全覆盖",
                      "教育", "乙局", "甲局")
    assert t3[1] == "年底项目（结转）" and t3[4:6] == ("丙局", "")
    assert t3[2].startswith("（结转）2019年第3项未完成（50%），建成项目再完成1个（2019年目标2个，完成1个）")
    assert t3[6:] == ("结转任务：累计完成剩余目标的25%。", "结转任务：累计完成剩余目标的50%。",
                      "结转任务：累计完成剩余目标的75%。", "结转任务：累计完成剩余目标的100%，年底前全部完成。")
    assert co.indicators == [(2, "建成项目", "个", "≥", 1.0, None, None, None, None, "",
                              "（结转）2019年第3项：全年目标≥2，年末完成1个")]
    assert [d[0] for d in co.departments] == ["乙局", "甲局", "丙局"]


def test_le_indicator_keeps_its_ceiling():
    from tests.evaluate_helpers import entry, ival, quarter_of, ret
    from toolkit.evaluate.judge import evaluate
    from toolkit.quarter import Quarter
    plan = tiny_plan()
    a = ret("甲局", "2019Q4", [entry(1, "甲局", status="滞后")],
            [ival(1, n, "甲局", v) for n, v in zip(("新建幼儿园", "改造校舍", "大班额比例"), (18, 30, 6))])
    co = carried_rows(evaluate(plan, Quarter(2019, 4), quarter_of(plan, "2019Q4", [a])), year=2021)
    assert co.year == 2021 and [t.task.no for t in co.carried] == [1]
    assert [(i[1], i[3], i[4]) for i in co.indicators] == [("新建幼儿园", "≥", 0.0), ("改造校舍", "≥", 0.0),
                                                          ("大班额比例", "≤", 5)]
    assert "大班额比例降至5%以内（2019年末6%）" in co.tasks[0][2]
    assert [t.task.no for t in co.not_reported] == [2, 3]


def test_carried_workbook_reads_back_as_a_valid_plan(tmp_path):
    plan = tiny_plan()
    co = carried_rows(year(plan)[-1])
    path = write_blank(tmp_path / "2020.xlsx", year=2020, title="2020年测试计划",
                       carried=(co.tasks, co.indicators, co.departments), settings={"编印单位": "测试办"})
    read = read_plan(path)
    assert [p.message for p in read.report.errors] == []
    new = read.plan
    assert [t.name for t in new.tasks] == ["课后服务（结转）", "年底项目（结转）"]
    assert [(i.task_no, i.name, i.unit, i.target) for i in new.indicators] == [(2, "建成项目", "个", 1.0)]
    assert (new.settings.year, new.settings.issuer, new.tasks[1].leads) == (2020, "测试办", ("丙局",))


def test_cli_refuses_without_q4_data(tmp_path):
    from toolkit.resources import bundled_plan
    source = bundled_plan()
    result = CliRunner().invoke(main, ["plan", "new", str(tmp_path / "2020.xlsx"), "--carry-over", str(source),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "2019年第四季度还没有汇总任何报送文件" in result.output
    assert "plankit merge -q Q4" in result.output
    assert not (tmp_path / "2020.xlsx").exists()


def test_carried_workbook_prints_whole_width_with_numbered_pages(tmp_path):
    """The 2020 结转 plan is printed to check and sign off: 填写说明 upright and narrow enough for
    the page (at 110 characters LibreOffice cut it at the right edge), every table one page
    wide with its header row repeated, a footer naming the sheet and plan with page numbers."""
    import openpyxl

    from toolkit.fileio.xlsxtext import text_lines
    from toolkit.plan.blank import GUIDE, GUIDE_WIDTH
    plan = tiny_plan()
    co = carried_rows(year(plan)[-1])
    path = write_blank(tmp_path / "2020.xlsx", year=2020, title="2020年测试计划",
                       carried=(co.tasks, co.indicators, co.departments))
    wb = openpyxl.load_workbook(path)
    for ws in wb:
        setup = ws.page_setup
        assert (setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == (9, 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.left.text == "&A　2020年测试计划" and ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        if ws.title == GUIDE:
            assert setup.orientation == "portrait" and ws.column_dimensions["A"].width <= 85
            assert ws.print_title_rows is None
        else:
            assert setup.orientation == "landscape", ws.title
            assert ws.print_title_rows.replace("$", "") == "1:1", ws.title
    guide = wb[GUIDE]
    for row in guide.iter_rows(min_row=2):  # wrapped lines have the height they need
        lines = text_lines(row[0].value, GUIDE_WIDTH)
        assert guide.row_dimensions[row[0].row].height >= 14 * lines, row[0].value
