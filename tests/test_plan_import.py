"""`plan import`: Word tables, PDF text, xlsx/csv in any column order; bad tables; the CLI."""
from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.errors import InputFileError, PlanError
from toolkit.plan.workbook import read_plan
from toolkit.plan.published import canonical, import_plan
from toolkit.plan.suggest import SUGGESTED

from .conftest import SOURCE_DIR
from .planimport_helpers import plan_to_docx, simple_docx

SEED = next(SOURCE_DIR.glob("*-seed.txt"))
HEADER = ["序号", "目标任务", "第一季度", "第二季度", "第三季度", "第四季度"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# --- round trips ----------------------------------------------------------------------------

def test_docx_round_trip_equals_bundled_tasks(tmp_path, plan):
    """Page-split tables, repeated two-row headers, merged cells, line breaks: back to equal Tasks."""
    source = plan_to_docx(plan.tasks, tmp_path / "方案.docx", title=plan.settings.title)
    result = import_plan(source)
    assert result.kind == "docx"
    assert result.plan.tasks == plan.tasks
    assert result.plan.settings.title == plan.settings.title
    assert result.plan.settings.year == 2019
    assert [d.name for d in result.plan.departments] == plan.department_names()
    assert result.todo == ["“部门”表新增26个单位（取自原文，请核对名称，合并同一单位的不同写法）："
                           + "、".join(plan.department_names())]


def test_docx_without_units_or_banners_gives_blank_units_and_domain(tmp_path, plan):
    source = plan_to_docx(plan.tasks, tmp_path / "方案.docx", title="2021年某市民生实事", units=False,
                          banners=False, split_first=3, split_second=7)
    tasks = import_plan(source).plan.tasks
    assert [(t.no, t.name, t.target, t.milestones) for t in tasks] == \
        [(t.no, t.name, t.target, t.milestones) for t in plan.tasks]
    assert all(t.leads == () and t.cos == () and t.domain == "" for t in tasks)


def test_seed_text_imports_to_the_bundled_50_tasks(plan):
    result = import_plan(SEED)
    assert result.kind == "text"
    got = [(t.no, t.name, t.target, t.milestones) for t in result.plan.tasks]
    assert got == [(t.no, t.name, t.target, t.milestones) for t in plan.tasks]
    assert result.plan.settings.title == "2019年连云港市50件民生实事序时进度安排方案"
    assert result.todo == ["原文没有牵头单位：请在“任务”表填写牵头单位、配合单位，并在“部门”表登记各单位。"]


def test_xlsx_with_other_column_order_title_row_and_merged_units(tmp_path, plan):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附件"
    ws.append(["2020年某市民生实事序时进度安排"])
    ws.merge_cells("A1:H1")
    ws.append(["第四季度", "牵头单位", "序号", "第二季度", "目标任务", "第一季度", "第三季度", "备注"])
    for t in plan.tasks[5:9]:  # tasks 6-9 share 市卫健委
        q = t.milestones
        ws.append([q[3], "、".join(t.leads), t.no - 5, q[1], t.target, q[0], q[2], "无关列"])
    ws.merge_cells("B3:B6")
    ws.append(["第四季度", "牵头单位", "序号", "第二季度", "目标任务", "第一季度", "第三季度", "备注"])  # page break
    t = plan.tasks[9]
    ws.append([t.milestones[3], "市人社局", 5, t.milestones[1], t.target, t.milestones[0], t.milestones[2], ""])
    path = tmp_path / "表.xlsx"
    wb.save(path)
    result = import_plan(path)
    assert result.plan.settings.title == "2020年某市民生实事序时进度安排"
    assert result.plan.settings.year == 2020
    assert [t.target for t in result.plan.tasks] == [t.target for t in plan.tasks[5:10]]
    assert [t.milestones for t in result.plan.tasks] == [t.milestones for t in plan.tasks[5:10]]
    assert [t.leads for t in result.plan.tasks] == [("市卫健委",)] * 4 + [("市人社局",)]


def test_last_years_master_workbook_imports_as_a_start(plan, plan_path):
    result = import_plan(plan_path, suggest=False)
    assert result.plan.tasks == plan.tasks
    assert result.plan.settings.title == plan.settings.title and result.plan.settings.year == 2019
    assert result.plan.indicators == []


def test_csv_in_gbk_with_columns_in_another_order(tmp_path, plan):
    lines = ["任务名称,第一季度,第二季度,第三季度,第四季度,目标任务,序号,责任单位"]
    for t in plan.tasks[:3]:
        lines.append(",".join([t.name, *(f'"{m}"' for m in t.milestones), f'"{t.target}"', str(t.no),
                               '"' + "、".join(t.leads) + '"']))
    path = tmp_path / "方案.csv"
    path.write_bytes("\n".join(lines).encode("gb18030"))
    tasks = import_plan(path, year=2022).plan.tasks
    assert [(t.no, t.name, t.target, t.leads, t.milestones) for t in tasks] == \
        [(t.no, t.name, t.target, t.leads, t.milestones) for t in plan.tasks[:3]]
    no_year = import_plan(path)
    year = no_year.plan.settings.year
    assert no_year.plan.settings.title == "方案"
    assert no_year.todo[0] == f"未能从标题识别年度，已暂填{year}，请在“设置”表核对“年度”。"


def test_docx_with_word_automatic_numbering(tmp_path):
    """序号 typed by Word's list numbering has no text: the tasks are numbered in order."""
    import docx
    doc = docx.Document()
    table = doc.add_table(rows=1, cols=6)
    for cell, title in zip(table.rows[0].cells, HEADER):
        cell.text = title
    for i in range(3):
        cells = table.add_row().cells
        cells[0].paragraphs[0].style = doc.styles["List Number"]
        for cell in cells[1:]:
            cell.text = f"任务{i}。"
    doc.save(tmp_path / "自动编号.docx")
    tasks = import_plan(tmp_path / "自动编号.docx", year=2020).plan.tasks
    assert [(t.no, t.target) for t in tasks] == [(1, "任务0。"), (2, "任务1。"), (3, "任务2。")]


@pytest.mark.parametrize("text, column", [("序号", "序号"), ("第 一 季度", "第一季度"), ("二季度", "第二季度"),
                                          ("Q4", "第四季度"), ("3季度", "第三季度"), ("责任单位", "牵头单位"),
                                          ("第一季度\n（1-3月）", "第一季度"), ("备注", None)])
def test_header_names(text, column):
    assert canonical(text) == column


# --- bad input --------------------------------------------------------------------------------

def test_document_without_a_table(tmp_path):
    path = simple_docx(tmp_path / "通知.docx", [])
    with pytest.raises(PlanError) as exc:
        import_plan(path)
    assert exc.value.message == ("通知.docx：找不到方案表格：文件中没有含任务内容列（如“目标任务”“民生实事”“项目名称”“主要内容”）的表格。")
    assert "PDF" not in exc.value.hint


def test_table_whose_task_column_is_not_understood_names_columns_and_the_map_line(tmp_path):
    path = simple_docx(tmp_path / "方案.docx", [["序号", "事由", "负责单位", "截止"],
                                                ["1", "新建幼儿园3所，新增学位810个", "县教育局", "年底前"]])
    with pytest.raises(PlanError) as exc:
        import_plan(path)
    assert exc.value.message == ("方案.docx 表格1第1行是一个表格，但没有认出任务内容列。找到的列：序号、事由、负责单位、截止。"
                                 "请指明哪一列是任务内容，例如：plankit plan import 方案.docx --map 事由=目标任务")
    assert "PDF" not in (exc.value.hint or "")


def test_table_with_only_two_quarter_columns_imports_with_the_others_blank(tmp_path):
    path = simple_docx(tmp_path / "方案.docx", [HEADER[:4], ["1", "目标", "一", "二"]])
    assert import_plan(path).plan.tasks[0].milestones == ("一", "二", "", "")


def test_duplicate_and_bad_numbers_point_at_rows(tmp_path):
    rows = [HEADER, ["1", "甲。", "a", "b", "c", "d"], ["2", "乙。", "a", "b", "c", "d"],
            ["2", "丙。", "a", "b", "c", "d"], ["三", "丁。", "a", "b", "c", "d"]]
    with pytest.raises(PlanError) as exc:
        import_plan(simple_docx(tmp_path / "方案.docx", rows))
    assert exc.value.message == ("方案.docx：方案表格有2处无法导入，未生成计划主表：\n"
                                 "  表格1第4行：序号2重复（另见表格1第3行）。每项任务的序号必须唯一。\n"
                                 "  表格1第5行：序号“三”不是正整数。")


@pytest.mark.parametrize("name, message", [
    ("方案.doc", "方案.doc：不能直接导入.doc文件。请在Word/WPS中另存为.docx后再导入。"),
    ("方案.pdf", "方案.pdf：不能直接导入.pdf文件。PDF请先导出为文本（.txt）后再导入。"),
    ("方案.pptx", "方案.pptx：不支持的文件类型。可导入.docx、.txt（PDF导出的文本或网页复制的文字）、.xlsx、.csv。"),
])
def test_unsupported_files(tmp_path, name, message):
    path = tmp_path / name
    path.write_bytes(b"x")
    with pytest.raises(InputFileError) as exc:
        import_plan(path)
    assert exc.value.message == message


def test_docx_that_is_not_a_zip(tmp_path):
    path = tmp_path / "方案.docx"
    path.write_text("not a document", encoding="utf-8")
    with pytest.raises(InputFileError) as exc:
        import_plan(path)
    assert exc.value.message == "方案.docx：不是有效的.docx文件。如果是旧版.doc，请在Word中另存为“Word文档(*.docx)”。"


def test_text_that_is_not_a_plan(tmp_path):
    path = tmp_path / "随便.txt"
    path.write_text("会议纪要\n今天开会。\n", encoding="utf-8")
    with pytest.raises(PlanError) as exc:
        import_plan(path)
    assert exc.value.message == "随便.txt：找不到方案表格，也没有读到编号的任务（如“一、”“1.”“（一）”开头的段落）。"


# --- CLI --------------------------------------------------------------------------------------

def test_cli_import_seed_writes_checked_workbook_and_lists_todo(tmp_path):
    out = tmp_path / "plans" / "2019.xlsx"
    result = run("plan", "import", SEED, "-o", out)
    assert result.exit_code == 1, result.output
    assert "已导入：2019年连云港市50件民生实事序时进度安排方案（2019年）" in result.output
    assert "任务 50 项，建议指标 161 个（说明以“【建议】”开头，请逐条核对）" in result.output
    assert "  · 原文没有牵头单位：请在“任务”表填写牵头单位、配合单位，并在“部门”表登记各单位。" in result.output
    assert "  · [错误] 共50处，如 任务!E2、任务!E3、任务!E4……：“牵头单位”为空。请填写。" in result.output
    read = read_plan(out)
    assert {p.code for p in read.report.errors} == {"plan-empty-field"}
    assert len(read.plan.tasks) == 50 and all(t.domain == "其他" for t in read.plan.tasks)
    assert all(i.note.startswith(SUGGESTED) for i in read.plan.indicators)
    jobs = next(i for i in read.plan.indicators_for_task(10) if i.name == "城镇新增就业")
    assert jobs.planned == (1.5, 3, 4.5, 6) and jobs.unit == "万人"


def test_cli_import_docx_with_units_is_clean_and_json(tmp_path, plan):
    source = plan_to_docx(plan.tasks, tmp_path / "方案.docx", title=plan.settings.title)
    out = tmp_path / "new.xlsx"
    result = CliRunner().invoke(main, ["plan", "import", str(source), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "docx" and data["tasks"] == 50 and data["year"] == 2019
    assert [p["code"] for p in data["problems"] if p["severity"] == "error"] == []
    assert read_plan(out).plan.tasks == plan.tasks


def test_cli_bad_table_writes_nothing(tmp_path):
    source = simple_docx(tmp_path / "方案.docx", [HEADER, ["1", "甲", "a", "b", "c", "d"],
                                                ["1", "乙", "a", "b", "c", "d"]])
    out = tmp_path / "out.xlsx"
    result = run("plan", "import", source, "-o", out)
    assert result.exit_code == 2
    assert "错误：方案.docx：方案表格有1处无法导入，未生成计划主表：" in result.output
    assert "表格1第3行：序号1重复（另见表格1第2行）" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [source]


def test_cli_import_refuses_to_overwrite(tmp_path):
    out = tmp_path / "已有.xlsx"
    out.write_bytes(b"keep me")
    result = run("plan", "import", SEED, "-o", out)
    assert result.exit_code == 2
    assert f"错误：文件已存在：{out}。为免覆盖已填写的内容，未做任何修改。" in result.output
    assert out.read_bytes() == b"keep me"
    assert run("plan", "import", SEED, "-o", out, "--force", "--year", "2019").exit_code == 1
    assert read_plan(out).plan.settings.year == 2019
