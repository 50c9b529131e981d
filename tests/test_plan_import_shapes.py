"""Published-plan shapes, one quirk per test: headers by meaning, --map, units as written,
continuation rows, plan titles, numbered lists, deadlines and the 序时 basis."""
from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import UsageError
from toolkit.evaluate.judge import evaluate
from toolkit.model import Department, Plan, Settings, Task
from toolkit.plan.headers import field_of, parse_map
from toolkit.plan.published import import_plan
from toolkit.plan.pubtable import split_published_units
from toolkit.plan.timing import due_quarter, milestone_shown, schedule_basis, split_schedule
from toolkit.quarter import parse_quarter
from toolkit.returns import QuarterReturns, Return, TaskEntry

from .planimport_helpers import simple_docx


@pytest.mark.parametrize("header, field", [
    ("民生实事", "目标任务"), ("工作任务", "目标任务"), ("年度任务", "目标任务"), ("工作事项", "目标任务"),
    ("主要内容", "目标任务"), ("建设内容", "目标任务"), ("实施内容", "目标任务"), ("项目内容", "目标任务"),
    ("项目名称", "任务名称"), ("牵 头 单 位", "牵头单位"), ("责任单位", "牵头单位"), ("协办单位", "配合单位"),
    ("一季度目标", "第一季度"), ("1—3月", "第一季度"), ("４－６月", "第二季度"), ("上半年", "第二季度"),
    ("下半年", "第四季度"), ("9月", "第三季度"), ("完成时限", "完成时限"), ("时间节点", "进度安排"),
    ("进度安排", "进度安排"), ("序　号", "序号"), ("领域", "领域"), ("备注", "忽略"), ("说明文字", None),
])
def test_headers_by_meaning(header, field):
    assert field_of(header) == field


def test_map_option_is_checked():
    assert parse_map(["事由=目标任务", "截止=完成时限", "Q2=二季度"]) == {"事由": "目标任务", "截止": "完成时限", "q2": "第二季度"}
    with pytest.raises(UsageError) as exc:
        parse_map(["事由=内容"])
    assert exc.value.message.startswith("--map 事由=内容：字段“内容”无效。可用字段：序号、任务名称、目标任务")
    with pytest.raises(UsageError):
        parse_map(["事由"])


@pytest.mark.parametrize("text, units, leads", [
    ("县水务局\n县住建局\n县护城河指挥部", ["县水务局", "县住建局", "县护城河指挥部"], []),
    ("县教育局、县财政局，县人社局;县卫健局", ["县教育局", "县财政局", "县人社局", "县卫健局"], []),
    ("县水务局  县住建局", ["县水务局", "县住建局"], []),
    ("县交通运输局（牵头）、县财政局", ["县交通运输局", "县财政局"], ["县交通运输局"]),
    ("牵头单位：市民政局；配合单位：市消防救援支队", ["市民政局", "市消防救援支队"], ["市民政局"]),
])
def test_units_as_people_write_them(text, units, leads):
    assert split_published_units(text) == (units, leads)


def test_units_on_separate_lines_are_never_fused_and_are_listed(tmp_path):
    path = simple_docx(tmp_path / "方案.docx", [["序号", "工作任务", "责任单位"],
                                                ["1", "整治护城河2公里。", "县水务局\n县住建局\n县护城河指挥部"]],
                       title="附件1")
    result = import_plan(path, year=2021)
    assert result.plan.tasks[0].leads == ("县水务局", "县住建局", "县护城河指挥部")
    assert result.todo[0] == "“部门”表新增3个单位（取自原文，请核对名称，合并同一单位的不同写法）：县水务局、县住建局、县护城河指挥部"


def test_continuation_rows_join_with_a_semicolon(tmp_path):
    path = simple_docx(tmp_path / "方案.docx", [["序号", "工作任务", "责任单位", "一季度目标"],
                                                ["1", "新改扩建公办中小学校1所", "教体局", "开工"],
                                                ["", "新增学位810个", "", ""]])
    task = import_plan(path, year=2023).plan.tasks[0]
    assert task.target == "新改扩建公办中小学校1所；新增学位810个"
    assert task.milestones == ("开工", "", "", "")


def test_title_skips_annex_lines_and_document_numbers(tmp_path):
    import docx
    doc = docx.Document()
    for text in ("附件2", "某政办发〔2019〕8号", "某县2019年民生实事项目任务分解表"):
        doc.add_paragraph(text)
    table = doc.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "序号", "民生实事"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "1", "新建公厕3座。"
    doc.save(tmp_path / "附件.docx")
    settings = import_plan(tmp_path / "附件.docx").plan.settings
    assert (settings.title, settings.year) == ("某县2019年民生实事项目任务分解表", 2019)


def test_numbered_list_pasted_from_a_web_page(tmp_path):
    path = tmp_path / "网页.txt"
    path.write_text("某市2022年十件民生实事\n一、教育\n1.新建幼儿园5所。（责任单位：市教育局）\n"
                    "2.新增学位3800位。\n完成时限：2022年9月底\n二、工作要求\n1.加强领导。\n", encoding="utf-8")
    result = import_plan(path)
    tasks = result.plan.tasks
    assert [(t.no, t.target, t.domain, t.leads, t.deadline) for t in tasks] == [
        (1, "新建幼儿园5所。", "教育", ("市教育局",), ""),
        (2, "新增学位3800位。", "教育", (), "2022年9月底")]
    assert result.plan.settings.year == 2022
    assert [(i.name, i.target, i.unit) for i in result.plan.indicators] == [("新建幼儿园", 5, "所"), ("新增学位", 3800, "位")]


@pytest.mark.parametrize("text, quarter", [("6月底前", 2), ("年底前", 4), ("2019年9月30日", 3), ("三季度", 3),
                                           ("上半年", 2), ("11月底前", 4), ("一季度", 1), ("持续推进", None)])
def test_due_quarter(text, quarter):
    assert due_quarter(text) == quarter


def test_schedule_cell_spreads_over_quarter_ends():
    assert split_schedule("3月底前完成招标；6月底前开工建设；主体施工；11月底前完工") == (
        ("3月底前完成招标", "6月底前开工建设；主体施工", "", "11月底前完工"), 4)


def test_schedule_clauses_before_the_first_time_lead_into_it():
    assert split_schedule("制定方案；3月底前完成招标；主体施工") == (("制定方案；3月底前完成招标；主体施工", "", "", ""), 1)


def _task(milestones=("", "", "", ""), deadline=""):
    return Task(1, "新建公厕", "新建公厕8座。", "城建", ("县城管局",), (), milestones, deadline)


@pytest.mark.parametrize("task, q, share, words", [
    (_task(("a", "b", "c", "d")), 2, 50.0, "按季度序时进度"),
    (_task(("a", "b", "", "")), 2, 100.0, "按季度安排（二季度末完成）"),
    (_task(deadline="9月底前"), 1, 33.3, "按完成时限“9月底前”（三季度末完成）"),
    (_task(deadline="9月底前"), 3, 100.0, "按完成时限“9月底前”（三季度末完成）"),
    (_task(), 3, 75.0, "按全年时间进度"),
])
def test_schedule_basis(task, q, share, words):
    got = schedule_basis(task, q)
    assert (got[0], got[2]) == (share, words)


def test_fill_in_shows_the_basis_instead_of_an_empty_milestone():
    assert milestone_shown(_task(deadline="6月底前"), 1) == "（方案无本季度安排）按完成时限“6月底前”（二季度末完成）：本季度末应完成50%"
    assert milestone_shown(_task(("a", "b", "c", "d")), 2) == "b"


def test_judge_uses_the_deadline_and_says_so():
    task = _task(deadline="6月底前")
    plan = Plan(Settings("2021年某县民生实事", 2021), [task], [], [Department("县城管局")])
    q = parse_quarter("2021Q1", 2021)
    entry = TaskEntry(task_no=1, department="县城管局", role="牵头", status="序时推进", percent=30.0)
    back = Return("县城管局", "2021Q1", datetime(2021, 4, 5), True, "0" * 64, "县城管局.xlsx", tasks=[entry])
    returns = QuarterReturns("2021Q1", ["县城管局"], {"县城管局": back})
    result = evaluate(plan, q, returns).tasks[0]
    assert (result.schedule, result.gap, result.status) == (50.0, -20.0, "滞后")
    assert result.basis == "自报完成进度（按完成时限“6月底前”（二季度末完成））"
    assert result.schedule_basis == "按完成时限“6月底前”（二季度末完成）"


def test_cli_map_fixes_a_table_that_was_not_understood(tmp_path):
    source = simple_docx(tmp_path / "方案.docx", [["序号", "事由", "负责单位", "截止"],
                                                  ["1", "新建幼儿园3所。", "县教育局", "年底前"]])
    out = tmp_path / "plan.xlsx"
    first = CliRunner().invoke(main, ["plan", "import", str(source), "-o", str(out)])
    assert first.exit_code == 2 and "--map 事由=目标任务" in first.output and not out.exists()
    second = CliRunner().invoke(main, ["plan", "import", str(source), "-o", str(out), "--map", "事由=目标任务",
                                       "--map", "负责单位=牵头单位", "--map", "截止=完成时限"])
    assert second.exit_code == 0, second.output
    from toolkit.plan.workbook import read_plan
    task = read_plan(out).plan.tasks[0]
    assert (task.target, task.leads, task.deadline) == ("新建幼儿园3所。", ("县教育局",), "年底前")


# --- suggestions that say what is counted --------------------------------------------------

from toolkit.plan.suggest import find_quantities  # noqa: E402


@pytest.mark.parametrize("text, expected", [
    ("新增学位3800位", [(3800, "位", "新增学位")]),
    ("城区再新建3所中心幼儿园", [(3, "所", "新建中心幼儿园")]),
    ("建设376个村居广播室和1200个高音喇叭", [(376, "个", "建设村居广播室"), (1200, "个", "高音喇叭")]),
    ("新建公厕326座、改造64座", [(326, "座", "新建公厕"), (64, "座", "改造公厕")]),
    ("为全区23000名老年人提供居家上门服务", [(23000, "名", "老年人")]),
    ("改造中心城区老旧小区20个、2964户", [(20, "个", "改造中心城区老旧小区"), (2964, "户", "改造中心城区老旧小区（户）")]),
    ("新建充电桩3000根，加装电梯300台，更换车辆85辆", [(3000, "根", "新建充电桩"), (300, "台", "加装电梯"), (85, "辆", "更换车辆")]),
    ("改造老旧小区33.5万㎡", [(33.5, "万㎡", "改造老旧小区")]),
    ("推进一级幼儿园食堂智能“阳光厨房”等级创建50家", [(50, "家", "幼儿园食堂智能“阳光厨房”")]),
    ("完成全市126个乡村学校智慧教育示范校创建", [(126, "个", "乡村学校智慧教育示范校")]),
    ("建成区级以上“美丽庭院”示范户5000户", [(5000, "户", "“美丽庭院”示范户")]),
    ("新建城乡社区居家养老服务中心（站）8家", [(8, "家", "新建城乡社区居家养老服务中心（站）")]),
    ("新增城镇就业4.3万人，省级三公里充分就业社区数量达到城市社区的60%",
     [(4.3, "万人", "新增城镇就业"), (60, "%", "三公里充分就业社区数量")]),
])
def test_suggestion_names_say_what_is_counted(text, expected):
    assert [(q.value, q.unit, q.name) for q in find_quantities(text)] == expected


@pytest.mark.parametrize("text", ["实施二次供水设施改造", "县第十二小学", "五百人口规模以上自然村", "建立一户一档",
                                  "推行一件事一次办", "三位一体"])
def test_ordinals_and_names_are_not_counts(text):
    assert find_quantities(text) == []


@pytest.mark.parametrize("text", ["对公建公营敬老院按照平均每年每院5万元的标准给予补助", "按1500元/人的标准发放求职创业补贴"])
def test_the_rate_of_a_payment_is_not_a_target(text):
    """宣城 2024 (numbered notice): 按…标准 is how much is paid, not what is to be done."""
    assert find_quantities(text) == []


@pytest.mark.parametrize("text, value", [("农村低保标准提高到每人每月520元", 520), ("人均补助标准提高到89元/人", 89)])
def test_a_standard_raised_to_a_level_is_a_target(text, value):
    assert [q.value for q in find_quantities(text)] == [value]



@pytest.mark.parametrize("header, field", [
    ("责任单位及责任人", "牵头单位"), ("牵头单位（部门）", "牵头单位"), ("配合单位及联系人", "配合单位"),
    ("全年目标任务", "目标任务"), ("项目建设内容及规模", "目标任务"), ("计划完成时间节点", "完成时限"),
    ("牵头市领导", "忽略"), ("进展情况、存在问题及下一步打算", "忽略"), ("1-10月推进情况", "忽略"), ("总投资（万元）", "忽略"),
])
def test_headers_not_in_the_table_read_by_their_words(header, field):
    assert field_of(header) == field


def test_a_section_heading_that_names_the_lead_unit(tmp_path):
    path = tmp_path / "清单.txt"
    path.write_text("附件1\n2025年县政府工作报告任务清单\n一、县示范区管委会牵头工作（2项）\n1.建设3个劳动密集型产业园。\n"
                    "2.投资3000万元建设养殖基地。\n二、县教育局牵头工作（1项）\n1.新建幼儿园2所。\n", encoding="utf-8")
    tasks = import_plan(path).plan.tasks
    assert [(t.no, t.leads, t.domain) for t in tasks] == [(1, ("县示范区管委会",), "县示范区管委会牵头工作"),
                                                         (2, ("县示范区管委会",), "县示范区管委会牵头工作"),
                                                         (3, ("县教育局",), "县教育局牵头工作")]


def test_units_with_brackets_are_not_split_inside_them():
    assert split_published_units("各县（市、区）人民政府、市教育局（牵头）") == (["各县（市、区）人民政府", "市教育局"], ["市教育局"])


def test_chinese_numbered_rows(tmp_path):
    sections = simple_docx(tmp_path / "a.docx", [["序号", "民生实事", "牵头单位"], ["一", "教育", ""],
                                                 ["1", "新建幼儿园2所。", "县教育局"], ["二", "卫生", ""],
                                                 ["2", "新建卫生院1所。", "县卫健局"]], title="2022年某县民生实事")
    assert [(t.no, t.domain) for t in import_plan(sections).plan.tasks] == [(1, "教育"), (2, "卫生")]
    numbered = simple_docx(tmp_path / "b.docx", [["序号", "民生实事", "牵头单位"], ["一", "新建幼儿园2所。", "县教育局"],
                                                 ["二", "新建卫生院1所。", "县卫健局"]], title="2022年某县民生实事")
    assert [(t.no, t.target) for t in import_plan(numbered).plan.tasks] == [(1, "新建幼儿园2所。"), (2, "新建卫生院1所。")]


def test_numbering_that_restarts_in_each_section_is_numbered_through(tmp_path):
    path = simple_docx(tmp_path / "a.docx", [["序号", "民生实事", "牵头单位"], ["一、教育", "一、教育", "一、教育"],
                                             ["1", "新建幼儿园2所。", "县教育局"], ["2", "新增学位540个。", "县教育局"],
                                             ["二、卫生", "二、卫生", "二、卫生"], ["1", "新建卫生院1所。", "县卫健局"]],
                       title="2022年某县民生实事")
    assert [(t.no, t.domain, t.target) for t in import_plan(path).plan.tasks] == [
        (1, "教育", "新建幼儿园2所。"), (2, "教育", "新增学位540个。"), (3, "卫生", "新建卫生院1所。")]


def test_a_word_notice_with_numbered_paragraphs_instead_of_a_table(tmp_path):
    import docx
    doc = docx.Document()
    for text in ("附件", "2021年市政府民生实事项目", "1.新建城乡公厕120座。", "责任单位：市城管局", "2.新增托位1000个。",
                 "责任单位：市卫生健康委"):
        doc.add_paragraph(text)
    doc.save(tmp_path / "通知.docx")
    result = import_plan(tmp_path / "通知.docx")
    assert [(t.no, t.target, t.leads) for t in result.plan.tasks] == [(1, "新建城乡公厕120座。", ("市城管局",)),
                                                                      (2, "新增托位1000个。", ("市卫生健康委",))]
    assert result.plan.settings.title == "2021年市政府民生实事项目"
    assert result.todo[0] == "原文是编号段落，已按编号读出2项任务，请核对任务的拆分。"


def test_suggestions_for_a_deadline_only_task_are_due_by_the_deadline():
    from toolkit.plan.suggest import suggest_task
    [ind] = suggest_task(_task(deadline="9月底前"))
    assert ind.planned == (8 / 3, 16 / 3, 8, 8) or [round(v, 4) for v in ind.planned] == [2.6667, 5.3333, 8, 8]
    assert "季度末数按完成时限“9月底前”推算（三季度末完成全年目标，此前按季度平均）" in ind.note


def test_report_basis_names_the_deadline_for_indicator_judged_tasks():
    from types import SimpleNamespace
    from toolkit.render.report_sheets import basis_text
    row = SimpleNamespace(basis="指标“新建公厕”", schedule_basis="按完成时限“6月底前”（二季度末完成）")
    assert basis_text(row) == "指标“新建公厕”；按完成时限“6月底前”（二季度末完成）"
    assert basis_text(SimpleNamespace(basis="指标“新建公厕”", schedule_basis="按季度序时进度")) == "指标“新建公厕”"
    assert basis_text(SimpleNamespace(basis="", schedule_basis="按全年时间进度")) == "按全年时间进度"


@pytest.mark.parametrize("header, row, expect", [
    ("序号,民生实事,责任单位,完成时限", "1,新建公厕3座。,县城管局,6月底前", ("新建公厕3座。", ("县城管局",), "6月底前")),
    ("序号,项目内容,当前进度,牵头单位,备注", "1,新建公厕3座。,已完成50%,县城管局,无", ("新建公厕3座。", ("县城管局",), "")),
    ("年度任务,本月进展,下月计划", "新建公厕3座。,完成选址,开工", ("新建公厕3座。", (), "")),
    ("工作事项,进度安排", "新建公厕3座。,3月底前选址；6月底前完工", ("新建公厕3座。", (), "")),
])
def test_shapes_from_the_field_notes(tmp_path, header, row, expect):
    path = tmp_path / "方案.csv"
    path.write_text(f"2021年某县民生实事\n{header}\n{row}\n", encoding="utf-8")
    task = import_plan(path).plan.tasks[0]
    assert (task.target, task.leads, task.deadline) == expect
    if "进度安排" in header:
        assert task.milestones == ("3月底前选址", "6月底前完工", "", "")
