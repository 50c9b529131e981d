"""The corpus of published plans (fixtures/plans): import as published, cell by cell against a
hand-made table, suggestions by name against a gold list, and the whole cycle on plans without
quarterly milestones."""
from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.demo.simulate import fill_return
from toolkit.fillin import layout as L
from toolkit.plan.workbook import read_plan

from .corpus_helpers import CORPUS, by_name, fidelity, imported
from .fixtures.plans.expected import PLANS

# Measured on the corpus (see docs/ENGINEERING.md): cells that differ from the hand-made table.
KNOWN_DIFFERENCES: dict[str, int] = {}
MIN_PRECISION = MIN_RECALL = 0.95


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("file", sorted(PLANS))
def test_imports_as_published_cell_by_cell(file):
    same, total, diffs = fidelity(file)
    assert total - same == KNOWN_DIFFERENCES.get(file, 0), "\n".join(diffs)


@pytest.mark.parametrize("file", sorted(PLANS))
def test_cli_import_never_exits_2_and_invents_no_unit(tmp_path, file):
    out = tmp_path / "plan.xlsx"
    maps = [a for m in PLANS[file]["map"] for a in ("--map", m)]
    result = run("plan", "import", CORPUS / file, "-o", out, *maps)
    assert result.exit_code in (0, 1), result.output
    plan = read_plan(out).plan
    expected_units = {u for t in PLANS[file]["tasks"] for u in (*t["leads"], *t["cos"])} | set(PLANS[file].get("areas", ()))
    assert {d.name for d in plan.departments} == expected_units


def test_suggestions_by_name_on_the_corpus():
    matched = suggested = gold = 0
    for file in PLANS:
        m = by_name(file)
        matched, suggested, gold = matched + m["matched"], suggested + m["suggested"], gold + m["gold"]
    assert matched / suggested >= MIN_PRECISION and matched / gold >= MIN_RECALL, (matched, suggested, gold)


def test_a_column_not_in_the_synonym_table_is_named_with_map():
    """民盼实事 is not a known header: the plan imports, names come from the target until --map says."""
    plain = imported("qinxian-2025-deadline.xlsx", with_map=False).plan.tasks
    mapped = imported("qinxian-2025-deadline.xlsx").plan.tasks
    assert plain[0].name == "新增城镇就业1200人，培训农村劳动力2000人次"
    assert mapped[0].name == "城乡居民增收"
    assert [t.target for t in plain] == [t.target for t in mapped]


# --- the cycle on plans without quarterly milestones ------------------------------------------

def _imported_plan(tmp_path, file):
    out = tmp_path / "plans" / "plan.xlsx"
    maps = [a for m in PLANS[file]["map"] for a in ("--map", m)]
    assert run("plan", "import", CORPUS / file, "-o", out, *maps).exit_code in (0, 1)
    return out


def test_sheets_refuses_unreviewed_suggestions(tmp_path):
    plan = _imported_plan(tmp_path, "qinxian-2025-deadline.xlsx")
    result = run("sheets", "--plan", plan, "-q", "Q2", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert ("错误：计划主表中还有13个未核对的建议指标（说明以“【建议】”开头）：第1项“新增城镇就业”、第1项“培训农村劳动力”、"
            "第2项“新建幼儿园”、第2项“新增学位”、第3项“65岁以上老年人免费体检”等13个。未生成填报表。") in result.output
    assert "--allow-suggested" in result.output
    check = run("plan", "check", plan)
    assert check.output.count("是自动提取的建议（说明以“【建议】”开头），尚未核对") == 13


@pytest.mark.parametrize("file, quarter, basis", [
    ("qinxian-2025-deadline.xlsx", "Q2", "按完成时限“6月底前”（二季度末完成）"),
    ("zhonglou-2021-breakdown.docx", "Q2", "按全年时间进度"),
    ("chongchuan-2023-halfyear.csv", "Q3", "按季度序时进度"),
    ("luan-2021-monthly.docx", "Q2", "按季度安排（三季度末完成）"),
    ("dazhu-2016-cells.txt", "Q2", "按完成时限“9月投入使用”（三季度末完成）"),
    ("huzhou-2020-annex.txt", "Q2", "按全年时间进度"),  # third round: 附件 list, 责任单位 lines
])
def test_sheets_merge_report_brief_run_on_plans_without_quarterly_milestones(tmp_path, file, quarter, basis):
    plan_path = _imported_plan(tmp_path, file)
    out = tmp_path / "out"
    result = run("sheets", "--plan", plan_path, "-q", quarter, "--out", out, "--allow-suggested")
    assert result.exit_code == 0, result.output
    sheets = sorted(out.rglob("sheets/*.xlsx"))
    assert sheets
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for sheet in sheets:
        fill_return(sheet, fill_all=True, out=inbox / sheet.name)
    merged = run("merge", "--plan", plan_path, "-q", quarter, "--out", out, inbox)
    assert merged.exit_code in (0, 1), merged.output
    report = run("report", "--plan", plan_path, "-q", quarter, "--out", out, "--json")
    assert report.exit_code == 0, report.output
    book = openpyxl.load_workbook(next(out.rglob("*进展*.xlsx")) if list(out.rglob("*进展*.xlsx"))
                                  else json.loads(report.stdout)["output"])
    texts = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
    assert any(basis in t for t in texts), basis
    brief = run("brief", "--plan", plan_path, "-q", quarter, "--out", out, "--no-chart")
    assert brief.exit_code == 0, brief.output
    shown = [c.value for sheet in sheets for row in openpyxl.load_workbook(sheet)[L.PROGRESS_SHEET].iter_rows()
             for c in row if isinstance(c.value, str)]
    if basis != "按季度序时进度":
        assert any(basis in v for v in shown), "the fill-in sheet shows the basis instead of an empty milestone"
