"""The master workbook: bundled plan faithfulness, loader, checker codes, CLI."""
from __future__ import annotations

import json
import re
import shutil
import traceback
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import PlanError
from toolkit.model import GE, LE
from toolkit.plan.workbook import read_plan
from toolkit.plan.build import build_plan
from toolkit.plan.seed import parse_seed

from .conftest import PLAN_PATH, SOURCE_DIR
from .test_values import DATE_FORMS

SEED = next(SOURCE_DIR.glob("*-seed.txt"))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def codes(result) -> list[str]:
    return [p.code for p in result.report.problems]


def edited_plan(tmp_path: Path, edit) -> Path:
    """Copy the bundled plan, apply `edit(workbook)` with openpyxl, save and return the path."""
    wb = openpyxl.load_workbook(PLAN_PATH)
    edit(wb)
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    return path


# --- the bundled plan -------------------------------------------------------------

def test_bundled_plan_has_all_50_tasks_word_for_word(plan):
    """Target and quarter texts equal the seed's after whitespace normalisation."""
    raw = SEED.read_text(encoding="utf-8")
    _, seed_tasks = parse_seed(raw)
    assert [t.no for t in plan.tasks] == list(range(1, 51))
    cells = [squash(t.target) for t in seed_tasks] + [squash(m) for t in seed_tasks for m in t.milestones]
    assert [squash(t.target) for t in plan.tasks] == cells[:50]
    for task, seed_task in zip(plan.tasks, seed_tasks):
        assert tuple(squash(m) for m in task.milestones) == tuple(squash(m) for m in seed_task.milestones)
        assert squash(task.target) in squash(raw.replace(" \n", "").replace("\n", ""))


def test_bundled_plan_keeps_published_typos_and_no_pdf_spaces(plan):
    task1 = plan.task(1)
    assert task1.target == "改善办学条件。改造中小学校舍30万平方米，新改扩建中小学18所，新建幼儿园18所。"
    assert task1.name == "改善办学条件"
    assert task1.leads == ("市教育局", "市财政局", "市机关管理局")
    assert plan.task(2).leads == ("市教育局",)
    assert "90%以上" in plan.task(36).target  # the PDF wrote "90 %"
    # No space is left next to a Chinese character anywhere.
    for t in plan.tasks:
        for text in (t.target, *t.milestones):
            assert not re.search(r"[\u4e00-\u9fff] | [\u4e00-\u9fff]", text), (t.no, text)


def test_bundled_plan_indicators(plan):
    assert len(plan.indicators) >= 140
    assert len({i.task_no for i in plan.indicators}) >= 40
    by_key = {i.key: i for i in plan.indicators}
    big_class = next(i for i in plan.indicators_for_task(2) if "大班额" in i.name)
    assert big_class.direction == LE and big_class.target == 5
    jobs = next(i for i in plan.indicators_for_task(10) if i.name == "城镇新增就业")
    assert jobs.planned == (1.5, 3, 4.5, 6) and jobs.unit == "万人" and jobs.direction == GE
    video = next(i for i in plan.indicators_for_task(46) if "视频" in i.name and i.planned[0] is not None)
    assert video.planned == (2000, 5000, 8000, 10000)
    assert all(i.direction in (GE, LE) for i in by_key.values())


def test_bundled_plan_departments_cover_every_unit(plan):
    known = {d.name for d in plan.departments}
    assert set(plan.department_names()) <= known
    assert "推定" in plan.settings.dept_note


def test_bundled_plan_check_has_no_errors_and_warns_about_published_inconsistency(plan_path):
    result = read_plan(plan_path)
    assert result.report.errors == []
    q4 = [p for p in result.report.warnings if p.code == "plan-q4-misses-target"]
    assert any("城乡劳动者就业技能培训" in p.message and "1.9" in p.message and "2.4" in p.message for p in q4)


def test_bundled_workbook_is_reproducible_from_source(plan):
    rebuilt = build_plan(SOURCE_DIR)
    assert rebuilt.tasks == plan.tasks
    assert rebuilt.indicators == plan.indicators
    assert rebuilt.departments == plan.departments
    assert rebuilt.settings == plan.settings
    assert rebuilt.fingerprint == plan.fingerprint


def test_fingerprint_survives_resave_but_not_edits(tmp_path, plan):
    same = read_plan(edited_plan(tmp_path, lambda wb: None)).plan
    assert same.fingerprint == plan.fingerprint

    def edit(wb):
        wb["任务"]["G2"] = wb["任务"]["G2"].value + "（修改）"
    assert read_plan(edited_plan(tmp_path, edit)).plan.fingerprint != plan.fingerprint


# --- checker problem codes -----------------------------------------------------------

def _cell_of(ws, header: str, row: int) -> str:
    col = next(c.column_letter for c in ws[1] if c.value == header)
    return f"{col}{row}"


CASES = {
    "plan-missing-sheet": (lambda wb: wb.remove(wb["部门"]), "部门", ""),
    "plan-missing-column": (lambda wb: wb["任务"].delete_cols(7), "任务", "1"),
    "plan-duplicate-no": (lambda wb: wb["任务"].cell(3, 1, 1), "任务", "A3"),
    "plan-missing-no": (lambda wb: wb["任务"].cell(6, 1, 99), "任务", ""),
    "plan-bad-no": (lambda wb: wb["任务"].cell(4, 1, "三"), "任务", "A4"),
    "plan-empty-milestone": (lambda wb: setattr(wb["任务"]["H5"], "value", None), "任务", "H5"),
    "plan-empty-field": (lambda wb: setattr(wb["任务"]["C5"], "value", None), "任务", "C5"),
    "plan-unknown-unit": (lambda wb: wb["任务"].cell(2, 5, "市教育厅"), "任务", "E2"),
    "plan-bad-number": (lambda wb: wb["指标"].cell(2, 5, "三十万"), "指标", "E2"),
    "plan-bad-direction": (lambda wb: wb["指标"].cell(2, 4, "大于"), "指标", "D2"),
    "plan-indicator-unknown-task": (lambda wb: wb["指标"].cell(2, 1, 77), "指标", "A2"),
    "plan-owner-not-unit": (lambda wb: wb["指标"].cell(2, 10, "市公安局"), "指标", "J2"),
    "plan-duplicate-indicator": (lambda wb: wb["指标"].cell(3, 2, wb["指标"].cell(2, 2).value), "指标", "B3"),
    "plan-duplicate-department": (lambda wb: wb["部门"].cell(3, 1, wb["部门"].cell(2, 1).value), "部门", "A3"),
    "plan-bad-setting": (lambda wb: wb["设置"].cell(4, 2, "二〇一九"), "设置", "B4"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_problem_code_names_sheet_and_cell(tmp_path, code):
    edit, sheet, cell = CASES[code]
    result = read_plan(edited_plan(tmp_path, edit))
    found = [p for p in result.report.problems if p.code == code]
    assert found, codes(result)
    assert found[0].sheet == sheet
    if cell:
        assert found[0].cell == cell
    assert found[0].severity == ("warning" if code == "plan-empty-milestone" else "error")
    assert re.search(r"[\u4e00-\u9fff]", found[0].message)


def test_cumulative_wrong_way_is_reported_at_the_quarter_cell(tmp_path):
    def edit(wb):
        ws = wb["指标"]
        for row in range(2, ws.max_row + 1):
            if ws.cell(row, 2).value == "城镇新增就业":
                ws.cell(row, 8, 2)  # 三季度末 below 二季度末
                edit.row = row
    path = edited_plan(tmp_path, edit)
    found = [p for p in read_plan(path).report.problems if p.code == "plan-cumulative-wrong-way"]
    assert len(found) == 1
    assert found[0].cell == f"H{edit.row}"
    assert "从二季度末的3减少到三季度末的2" in found[0].message


def test_problems_are_collected_not_stopped_at_first(tmp_path):
    def edit(wb):
        wb["任务"].cell(2, 5, "某某局")
        wb["任务"]["I10"].value = None
        wb["指标"].cell(2, 5, "abc")
    result = read_plan(edited_plan(tmp_path, edit))
    assert {"plan-unknown-unit", "plan-empty-milestone", "plan-bad-number"} <= set(codes(result))


def test_less_or_equal_indicator_may_fall(plan):
    """For a ≤ indicator, values going down is the right way (no problem)."""
    result = read_plan(PLAN_PATH)
    assert not [p for p in result.report.problems if p.code == "plan-cumulative-wrong-way"]


# --- files that are not plans -----------------------------------------------------------

def _not_plans(tmp_path: Path) -> dict[str, Path]:
    files = {}
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便一个表"
    files["random"] = tmp_path / "random.xlsx"
    wb.save(files["random"])
    files["csv"] = tmp_path / "csv.xlsx"
    files["csv"].write_text("序号,目标任务\n1,改善办学条件\n", encoding="utf-8")
    files["empty"] = tmp_path / "empty.xlsx"
    files["empty"].write_bytes(b"")
    files["truncated"] = tmp_path / "truncated.xlsx"
    files["truncated"].write_bytes(PLAN_PATH.read_bytes()[:3000])
    files["docx"] = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(files["docx"], "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    files["encrypted"] = tmp_path / "encrypted.xlsx"
    import msoffcrypto.format.ooxml as ooxml
    with open(PLAN_PATH, "rb") as src, open(files["encrypted"], "wb") as dst:
        ooxml.OOXMLFile(src).encrypt("secret", dst)
    return files


EXPECTED = {
    "random": "这不是plankit计划主表",
    "csv": "这不是Excel文件",
    "empty": "文件是空的",
    "truncated": "文件不完整或已损坏",
    "docx": "这是Word文档",
    "encrypted": "设置了打开密码",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_not_a_plan_is_one_clear_error_exit_2(tmp_path, kind):
    path = _not_plans(tmp_path)[kind]
    with pytest.raises(PlanError) as err:
        read_plan(path)
    assert EXPECTED[kind] in str(err.value)
    result = CliRunner().invoke(main, ["plan", "check", str(path)])
    assert result.exit_code == 2
    assert EXPECTED[kind] in result.output
    assert "Traceback" not in result.output


def test_entity_declaration_in_a_part_is_refused(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(PLAN_PATH) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>', 1)
            dst.writestr(item, data)
    with pytest.raises(PlanError, match="DTD"):
        read_plan(bomb)


# --- CLI ----------------------------------------------------------------------------

def test_cli_check_summary_and_exit_0(plan_path):
    result = CliRunner().invoke(main, ["plan", "check", str(plan_path)])
    assert result.exit_code == 0, result.output
    assert "任务 50 项，部门 26 个" in result.output
    assert "错误 0 个，警告 6 个。" in result.output


def test_cli_check_json(plan_path):
    result = CliRunner().invoke(main, ["plan", "check", str(plan_path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["tasks"] == 50 and data["departments"] == 26
    assert data["indicators"] == len(read_plan(plan_path).plan.indicators)
    assert data["per_department"]["市教育局"]["lead"] == 5
    assert {p["code"] for p in data["problems"]} == {"plan-q4-misses-target"}


def test_cli_check_errors_exit_1(tmp_path):
    path = edited_plan(tmp_path, lambda wb: wb["任务"].cell(2, 5, "市教育厅"))
    result = CliRunner().invoke(main, ["plan", "check", str(path)])
    assert result.exit_code == 1
    assert "[错误] edited.xlsx 任务!E2：单位“市教育厅”不在“部门”工作表中。" in result.output


def test_cli_default_plan_is_the_only_workbook_in_plans(tmp_path, monkeypatch):
    (tmp_path / "plans").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["plan", "check"])
    assert result.exit_code == 0  # no workbook in plans/: the bundled example plan, said so (tests/test_install.py)
    assert "plans/ 目录下没有 .xlsx 文件，使用随附的示例计划" in result.output
    shutil.copy(PLAN_PATH, tmp_path / "plans" / "a.xlsx")
    assert CliRunner().invoke(main, ["plan", "check"]).exit_code == 0
    shutil.copy(PLAN_PATH, tmp_path / "plans" / "b.xlsx")
    result = CliRunner().invoke(main, ["plan", "check"])
    assert result.exit_code == 2 and "有多个计划主表（a.xlsx、b.xlsx）" in result.output


def test_cli_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["plan", "check", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2
    assert "找不到计划主表" in result.output


def test_python_dash_m_toolkit_works(plan_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "toolkit", "plan", "check", str(plan_path), "--json"],
                          capture_output=True, text=True, cwd=PLAN_PATH.parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tasks"] == 50


def test_planned_at_time_share_stays_between_the_plans_own_figures():
    from toolkit.model import Indicator
    ind = Indicator(1, "两癌筛查", "万人", GE, 11, (None, 1.0, None, 11))
    assert ind.planned_at(1) == 1.0          # time share 2.75 capped by the plan's Q2 figure
    assert ind.planned_at(2) == 1.0
    assert ind.planned_at(3) == 8.25         # time share, between 1.0 and 11
    assert not ind.planned_is_given(3)
    late = Indicator(1, "x", "个", GE, 100, (60, None, None, None))
    assert late.planned_at(2) == 60          # never below an earlier figure
    assert Indicator(2, "大班额比例", "%", LE, 5, (None,) * 4).planned_at(1) == 5


def test_missing_setting_and_no_tasks_are_reported(tmp_path):
    def edit(wb):
        ws = wb["设置"]
        for row in range(ws.max_row, 1, -1):
            if ws.cell(row, 1).value == "计划名称":
                ws.delete_rows(row)
        wb["任务"].delete_rows(2, wb["任务"].max_row)
    result = read_plan(edited_plan(tmp_path, edit))
    found = {p.code: p for p in result.report.problems}
    assert found["plan-missing-setting"].message.startswith("设置中缺少“计划名称”。")
    assert found["plan-no-tasks"].sheet == "任务"


# --- fuzzing the reader: single-cell corruptions never crash `plan check` -----------------

def _set(sheet: str, cell: str, value):
    return lambda wb: setattr(wb[sheet][cell], "value", value)


def _swap_sheets(a: str, b: str):
    def edit(wb):
        wb[a].title, wb[b].title = "__tmp__", a
        wb["__tmp__"].title = b
    return edit


def _empty_sheet(name: str):
    def edit(wb):
        ws = wb[name]
        ws.delete_rows(1, ws.max_row)
    return edit


def _headers_only(name: str):
    return lambda wb: wb[name].delete_rows(2, wb[name].max_row)


CORRUPTIONS = {
    "duplicate-task-no": _set("任务", "A3", 1),
    "duplicate-task-no-far": _set("任务", "A40", 7),
    "task-no-0": _set("任务", "A5", 0),
    "task-no-1.5": _set("任务", "A5", 1.5),
    "task-no-negative": _set("任务", "A5", -3),
    "task-no-huge": _set("任务", "A5", 10 ** 12),
    "task-no-1e308": _set("任务", "A5", 1e308),
    "task-no-text": _set("任务", "A5", "五"),
    "task-no-blank": _set("任务", "A5", None),
    "task-no-date": _set("任务", "A5", datetime(2019, 1, 5)),
    "task-no-bool": _set("任务", "A5", True),
    "task-lead-blank": _set("任务", "E5", None),
    "task-target-number": _set("任务", "C5", 12345),
    "task-milestone-number": _set("任务", "G5", 3.5),
    "task-header-deleted": _set("任务", "A1", None),
    "task-header-renamed": _set("任务", "E1", "牵头"),
    "tasks-headers-only": _headers_only("任务"),
    "tasks-empty-sheet": _empty_sheet("任务"),
    "indicator-unknown-task": _set("指标", "A2", 999),
    "indicator-no-0": _set("指标", "A2", 0),
    "indicator-no-1.5": _set("指标", "A2", 1.5),
    "indicator-no-text": _set("指标", "A2", "十四"),
    "indicator-no-blank": _set("指标", "A2", None),
    "indicator-target-text": _set("指标", "E2", "很多"),
    "indicator-target-huge": _set("指标", "E2", 1e300),
    "indicator-target-negative": _set("指标", "E2", -5),
    "indicator-target-blank": _set("指标", "E2", None),
    "indicator-quarter-text": _set("指标", "G2", "过半"),
    "indicator-quarter-inf-text": _set("指标", "G2", "inf"),
    "indicator-quarter-nan-text": _set("指标", "G2", "nan"),
    "indicator-direction-blank": _set("指标", "D2", None),
    "indicator-name-blank": _set("指标", "B2", None),
    "indicator-owner-unknown": _set("指标", "J2", "不存在的单位"),
    "indicator-header-deleted": _set("指标", "E1", None),
    "indicators-headers-only": _headers_only("指标"),
    "indicators-empty-sheet": _empty_sheet("指标"),
    "department-blank": _set("部门", "A2", None),
    "department-duplicate": _set("部门", "A3", "市教育局"),
    "department-number": _set("部门", "A2", 42),
    "department-header-deleted": _set("部门", "A1", None),
    "departments-headers-only": _headers_only("部门"),
    "departments-empty-sheet": _empty_sheet("部门"),
    "departments-sheet-removed": lambda wb: wb.remove(wb["部门"]),
    "settings-year-text": _set("设置", "B4", "去年"),
    "settings-year-huge": _set("设置", "B4", 10 ** 20),
    "settings-year-negative": _set("设置", "B4", -2019),
    "settings-year-1.5": _set("设置", "B4", 2019.5),
    "settings-days-text": _set("设置", "B7", "十天"),
    "settings-days-huge": _set("设置", "B7", 1e300),
    "settings-days-negative": _set("设置", "B7", -10),
    "settings-deadline-text": _set("设置", "B8", "四月十日"),
    "settings-deadline-number": _set("设置", "B8", 43565),
    "settings-deadline-huge": _set("设置", "B8", 10 ** 9),
    "settings-threshold-text": _set("设置", "B12", "高"),
    "settings-threshold-negative": _set("设置", "B12", -1),
    "settings-header-deleted": _set("设置", "A1", None),
    "settings-empty-sheet": _empty_sheet("设置"),
    "settings-sheet-removed": lambda wb: wb.remove(wb["设置"]),
    "swap-tasks-indicators": _swap_sheets("任务", "指标"),
    "swap-settings-departments": _swap_sheets("设置", "部门"),
    "tasks-sheet-removed": lambda wb: wb.remove(wb["任务"]),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_plan_check_never_crashes_on_a_corrupted_cell(tmp_path, name):
    """One corruption of the bundled plan: exit 0/1 with every error located on its sheet,
    or exit 2 with one clear message; never a traceback."""
    path = edited_plan(tmp_path, CORRUPTIONS[name])
    result = CliRunner().invoke(main, ["plan", "check", str(path), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        "".join(traceback.format_exception(result.exception))
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    if result.exit_code == 2:
        assert data["error"]["code"].startswith("plan-") and re.search(r"[\u4e00-\u9fff]", data["error"]["message"])
        return
    assert result.exit_code in (0, 1), result.output
    for p in data["problems"]:
        assert p["sheet"] in ("设置", "任务", "指标", "部门"), p
        if p["severity"] == "error" and p["code"] not in ("plan-missing-sheet", "plan-missing-no", "plan-no-tasks",
                                                          "plan-missing-setting"):
            assert re.fullmatch(r"[A-Z]+\d+|\d+", p["cell"]), p


def test_cli_check_duplicate_no_is_listed_by_cell_not_a_crash(tmp_path):
    """Issue 15: a duplicate 序号 made `plan check` end in KeyError: 2 (model.Plan.task)."""
    def edit(wb):
        wb["任务"]["A3"] = 1
        wb["任务"]["A6"] = 1
    result = CliRunner().invoke(main, ["plan", "check", str(edited_plan(tmp_path, edit))])
    assert result.exit_code == 1, result.output
    assert "[错误] edited.xlsx 任务!A3：序号1重复出现（另见第2行）。每项任务的序号必须唯一。" in result.output
    assert "[错误] edited.xlsx 任务!A6：序号1重复出现（另见第2行）。每项任务的序号必须唯一。" in result.output
    assert "[错误] edited.xlsx 指标!A5：指标所属序号2在“任务”表中不存在。" in result.output


def test_cli_check_a_far_number_is_a_bad_no_not_a_million_gaps(tmp_path):
    result = read_plan(edited_plan(tmp_path, _set("任务", "A51", 10 ** 12)))
    assert [(p.code, p.cell) for p in result.report.errors if p.sheet == "任务"] == [("plan-bad-no", "A51")]
    result = read_plan(edited_plan(tmp_path, _set("任务", "A51", 9000)))
    assert [str(p.value) for p in result.report.errors if p.code == "plan-missing-no"] == ["50—8999"]


def test_cli_check_takes_plan_option(plan_path):
    result = CliRunner().invoke(main, ["plan", "check", "--plan", str(plan_path)])
    assert result.exit_code == 0, result.output
    assert "任务 50 项，部门 26 个" in result.output


def test_cli_check_positional_and_plan_option_must_agree(plan_path, tmp_path):
    same = CliRunner().invoke(main, ["plan", "check", str(plan_path), "--plan", str(plan_path)])
    assert same.exit_code == 0, same.output
    other = tmp_path / "other.xlsx"
    result = CliRunner().invoke(main, ["plan", "check", str(plan_path), "--plan", str(other)])
    assert result.exit_code == 2
    assert result.output == (f"错误：指定了两个不同的计划主表：{plan_path} 和 --plan {other}。请只指定其中一个。\n")
    result = CliRunner().invoke(main, ["plan", "check", str(plan_path), "--plan", str(other), "--json"])
    assert json.loads(result.stdout)["error"]["code"] == "usage-plan-conflict"


@pytest.mark.parametrize("typed, expected", DATE_FORMS)
def test_settings_deadline_reads_every_date_form(tmp_path, typed, expected):
    """The 设置 deadline is read by the same parser as a return's dates (issue 15: `2019年4月10日` was
    rejected here and accepted in a return)."""
    result = read_plan(edited_plan(tmp_path, _set("设置", "B8", typed)))
    assert not [p for p in result.report.problems if p.code == "plan-bad-setting"], codes(result)
    assert result.plan.settings.deadline_dates[0] == expected


def test_settings_deadline_not_a_date_is_located(tmp_path):
    result = read_plan(edited_plan(tmp_path, _set("设置", "B8", "四月十日")))
    bad = [p for p in result.report.problems if p.code == "plan-bad-setting"]
    assert [(p.sheet, p.cell) for p in bad] == [("设置", "B8")]
    assert bad[0].message == "设置“一季度报送截止日”的值“四月十日”无效：请填写日期，例如2019-04-10或2019年4月10日。"


def test_cli_suggest_takes_plan_option_too(plan_path, tmp_path):
    by_option = CliRunner().invoke(main, ["plan", "suggest", "--plan", str(plan_path), "--json"])
    by_argument = CliRunner().invoke(main, ["plan", "suggest", str(plan_path), "--json"])
    assert by_option.exit_code == by_argument.exit_code == 0, by_option.output
    assert json.loads(by_option.stdout) == json.loads(by_argument.stdout)
    result = CliRunner().invoke(main, ["plan", "suggest", str(plan_path), "--plan", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 2
    other = tmp_path / "b.xlsx"
    assert result.output == f"错误：指定了两个不同的计划主表：{plan_path} 和 --plan {other}。请只指定其中一个。\n"
