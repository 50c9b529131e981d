"""`plan new`: a blank master workbook with a guide, comments, validation and example rows."""
from __future__ import annotations

import json
from datetime import date

import openpyxl
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.plan.workbook import read_plan
from toolkit.plan.blank import default_year, write_blank


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_blank_workbook_sheets_guide_and_settings(tmp_path):
    path = write_blank(tmp_path / "new.xlsx", year=2020, title="2020年某市民生实事")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填写说明", "设置", "任务", "指标", "部门", "分解"]
    assert wb.active.title == "填写说明"
    guide = [c.value for c in wb["填写说明"]["A"] if c.value]
    assert guide[0] == "计划主表填写说明"
    assert "● 灰色斜体、序号为“示例”的行是示例，不会被读取，可以保留或删除。" in guide
    settings = {r[0].value: r[1].value for r in wb["设置"].iter_rows(min_row=2)}
    assert settings["年度"] == 2020 and settings["计划名称"] == "2020年某市民生实事"
    assert settings["黄灯阈值（落后序时百分点）"] == 10


def test_blank_workbook_reads_with_only_no_tasks_error(tmp_path):
    """Example rows are skipped; the only thing missing is the tasks themselves."""
    result = read_plan(write_blank(tmp_path / "new.xlsx", year=2020, title="t"))
    assert [p.code for p in result.report.problems] == ["plan-no-tasks"]
    assert result.plan.indicators == [] and result.plan.departments == []
    assert result.plan.settings.year == 2020


def test_header_comments_and_validation(tmp_path):
    wb = openpyxl.load_workbook(write_blank(tmp_path / "new.xlsx", year=2020))
    ind = wb["指标"]
    assert ind["D1"].value == "方向" and ind["D1"].comment.text.startswith("方向：必填。下拉选择：≥")
    assert all(c.comment is not None for c in wb["任务"][1])
    rules = {str(v.sqref): v for v in ind.data_validations.dataValidation}
    assert rules["D2:D501"].type == "list" and rules["D2:D501"].formula1 == '"≥,≤"'
    assert rules["E2:I501"].type == "decimal"
    assert rules["A4:A501"].type == "whole"
    assert any(v.type == "whole" for v in wb["设置"].data_validations.dataValidation)
    examples = [r[0].value for r in ind.iter_rows(min_row=2) if r[0].value]
    assert examples == ["示例（不会被读取）"] * 2 and ind["A2"].font.i


def test_filled_blank_checks_clean_with_examples_left_in(tmp_path):
    path = write_blank(tmp_path / "new.xlsx", year=2020, title="2020年测试")
    wb = openpyxl.load_workbook(path)
    wb["任务"].append([1, "", "办好一件事。新建公园5个。", "", "市住建局", "", "启动", "推进", "推进", "完成"])
    wb["指标"].append([1, "新建公园", "个", "≥", 5, None, None, None, 5, "", ""])
    wb["部门"].append(["市住建局"])
    wb.save(path)
    result = read_plan(path)
    assert result.report.problems == []
    assert [t.name for t in result.plan.tasks] == ["办好一件事"]
    assert [d.name for d in result.plan.departments] == ["市住建局"]


def test_example_rows_left_with_real_number_are_read(tmp_path):
    """Overwriting 示例 with a number turns the example into a real row: nothing is silently dropped."""
    path = write_blank(tmp_path / "new.xlsx", year=2020, title="t")
    wb = openpyxl.load_workbook(path)
    wb["任务"]["A2"] = 1
    wb["部门"]["A2"] = "市人社局"
    wb.save(path)
    result = read_plan(path)
    assert [t.target for t in result.plan.tasks] == ["增加就业机会。城镇新增就业6万人以上。"]
    assert [p.value for p in result.report.errors] == ["市总工会", "团市委"]  # co-units not yet listed


def test_cli_new_and_refuse_overwrite(tmp_path):
    path = tmp_path / "plans" / "2020.xlsx"
    result = run("plan", "new", path, "--year", "2020", "--title", "2020年某市民生实事")
    assert result.exit_code == 0, result.output
    assert f"已生成空白计划主表：{path}（2020年）" in result.output
    again = run("plan", "new", path)
    assert again.exit_code == 2
    assert f"错误：文件已存在：{path}。为免覆盖已填写的内容，未做任何修改。" in again.output
    forced = CliRunner().invoke(main, ["plan", "new", str(path), "--year", "2021", "--force", "--json"])
    assert forced.exit_code == 0
    assert json.loads(forced.stdout) == {"output": str(path), "year": 2021, "title": ""}
    assert read_plan(path).plan.settings.year == 2021


def test_cli_new_rejects_bad_year_and_suffix(tmp_path):
    assert run("plan", "new", tmp_path / "a.xlsx", "--year", "19").exit_code == 2
    bad = run("plan", "new", tmp_path / "a.xls")
    assert bad.exit_code == 2 and "输出文件应以.xlsx结尾" in bad.output


def test_default_year():
    assert default_year(date(2019, 11, 5)) == 2020
    assert default_year(date(2020, 1, 15)) == 2020
