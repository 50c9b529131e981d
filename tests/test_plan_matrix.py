"""A plan published as a matrix (地区 rows × indicator columns, 眉山 2021 责任分工表 shape): imported as
tasks from the column headers, the 全市 figure as each indicator's target and every area's figure as
a row of the 分解 sheet; a matrix whose columns cannot be read names `plankit plan breakdown`."""
from __future__ import annotations

import openpyxl
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.demo.simulate import fill_return
from toolkit.plan.published import import_plan
from toolkit.plan.workbook import read_plan


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _meishan_shape(path):
    """The layout of 《2021年眉山市30件民生实事责任分工表》 (first block), figures consistent."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2021年眉山市30件民生实事责任分工表"])
    ws.append(["地区", "组织技能培训"])
    ws.append([None, "建成投用市公共实训基地", "★组织开展各类补贴性职业技能培训（万人次）", "劳务品牌\n培训（人）",
               "妇女居家灵活就业培训（人）"])
    ws.append(["责任\n单位", "市人力资源社会保障局", None, None, "市妇联"])
    for row in (["全市", "完成年度\n目标任务", 2.2, 2400, 1000], ["市本级", None, None, None, None],
                ["眉山天府\n新区", None, 0.1, 150, 240], ["东坡区", None, 0.7, 1000, 200], ["彭山区", None, 1.4, 1250, 560]):
        ws.append(row)
    ws.merge_cells("A1:E1")
    ws.merge_cells("B2:E2")
    ws.merge_cells("A2:A3")
    ws.merge_cells("B4:D4")
    wb.save(path)
    return path


def test_a_matrix_becomes_tasks_indicators_and_the_breakdown(tmp_path):
    result = import_plan(_meishan_shape(tmp_path / "分工表.xlsx"))
    plan = result.plan
    assert plan.settings.title == "2021年眉山市30件民生实事责任分工表"
    assert [(t.name, t.target, t.leads, t.domain) for t in plan.tasks] == [
        ("建成投用市公共实训基地", "建成投用市公共实训基地：完成年度目标任务", ("市人力资源社会保障局",), "组织技能培训"),
        ("组织开展各类补贴性职业技能培训", "组织开展各类补贴性职业技能培训，全年目标2.2万人次", ("市人力资源社会保障局",), "组织技能培训"),
        ("劳务品牌培训", "劳务品牌培训，全年目标2400人", ("市人力资源社会保障局",), "组织技能培训"),
        ("妇女居家灵活就业培训", "妇女居家灵活就业培训，全年目标1000人", ("市妇联",), "组织技能培训")]
    assert [(i.task_no, i.name, i.target, i.unit) for i in plan.indicators] == [
        (2, "组织开展各类补贴性职业技能培训", 2.2, "万人次"), (3, "劳务品牌培训", 2400, "人"), (4, "妇女居家灵活就业培训", 1000, "人")]
    assert [(s.task_no, s.unit, s.target) for s in plan.breakdown if s.task_no == 3] == [
        (3, "眉山天府新区", 150), (3, "东坡区", 1000), (3, "彭山区", 1250)]
    assert {d.name for d in plan.departments} == {"市人力资源社会保障局", "市妇联", "眉山天府新区", "东坡区", "彭山区"}
    assert "原文是分解表（各地区 × 各指标）" in result.todo[0]


def test_a_matrix_imports_through_the_cli_and_runs_the_cycle(tmp_path):
    plan_path = tmp_path / "plans" / "plan.xlsx"
    result = run("plan", "import", _meishan_shape(tmp_path / "分工表.xlsx"), "-o", plan_path)
    assert result.exit_code in (0, 1), result.output
    assert not read_plan(plan_path).report.errors
    out = tmp_path / "out"
    assert run("sheets", "--plan", plan_path, "-q", "Q2", "--out", out, "--allow-suggested").exit_code == 0
    sheets = sorted(out.rglob("sheets/*.xlsx"))
    assert any("东坡区" in s.name for s in sheets)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for sheet in sheets:
        fill_return(sheet, fill_all=True, out=inbox / sheet.name)
    assert run("merge", "--plan", plan_path, "-q", "Q2", "--out", out, inbox).exit_code in (0, 1)
    assert run("report", "--plan", plan_path, "-q", "Q2", "--out", out).exit_code == 0


def test_a_matrix_with_target_progress_and_ratio_sub_columns(tmp_path):
    """眉山 2019 完成情况表: each indicator has 目标任务 / 进度 / 完成比例(%) under it; only 目标任务 is the plan."""
    path = tmp_path / "完成情况表.csv"
    path.write_text("2019年十大民生工程项目完成情况表\n地区,城镇新增就业（人）,城镇新增就业（人）,城镇新增就业（人）,"
                    "城镇登记失业率低于（%）,城镇登记失业率低于（%）,城镇登记失业率低于（%）\n"
                    ",目标任务,进度,完成比例（%）,目标任务,进度,完成比例（%）\n"
                    "全市,27800,52242,187.9,4.3,3.57,\n东坡区,8000,22921,286.5,4.3,3.48,\n彭山区,3800,6138,161.5,4.3,3.54,\n",
                    encoding="utf-8")
    plan = import_plan(path).plan
    assert [(i.name, i.target, i.unit, i.direction) for i in plan.indicators] == [
        ("城镇新增就业", 27800, "人", "≥"), ("城镇登记失业率", 4.3, "%", "≤")]
    assert [(s.unit, s.target) for s in plan.breakdown if s.task_no == 1] == [("东坡区", 8000), ("彭山区", 3800)]


def test_a_matrix_without_readable_columns_names_the_breakdown_command(tmp_path):
    path = tmp_path / "分解表.csv"
    path.write_text("地区\n全市\n东坡区\n彭山区\n", encoding="utf-8")
    result = run("plan", "import", path, "-o", tmp_path / "plan.xlsx")
    assert result.exit_code == 2
    assert ("分解表.csv是分解表（每个地区一行），但没有认出指标列。请先导入任务方案，再把分解表读入计划主表："
            "plankit plan breakdown 分解表.csv 计划主表.xlsx") in result.output


def test_a_matrix_with_the_areas_as_columns(tmp_path):
    """宁波 2014 公示 (a table inside the notice): one indicator per row, the districts as columns, 合计 and
    a 责任单位 column on the right."""
    path = tmp_path / "分解表.csv"
    path.write_text("2014年公交线路分解表\n指标,鄞州区,海曙区,江东区,江北区,合计,责任单位\n"
                    "新辟线路年度目标（条）,2,5,1,2,10,市交通委\n优化调整线路年度目标（条）,6,9,1,4,20,市交通委\n",
                    encoding="utf-8")
    plan = import_plan(path).plan
    assert [(t.name, t.leads) for t in plan.tasks] == [("新辟线路年度目标", ("市交通委",)), ("优化调整线路年度目标", ("市交通委",))]
    assert [(i.target, i.unit) for i in plan.indicators] == [(10, "条"), (20, "条")]
    assert [(s.unit, s.target) for s in plan.breakdown if s.task_no == 2] == [
        ("鄞州区", 6), ("海曙区", 9), ("江东区", 1), ("江北区", 4)]
