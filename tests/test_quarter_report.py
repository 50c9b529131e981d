"""Issue 22 item 4: the 收件报告 shows the whole quarter (every file, with its run); each run
keeps its own receipt."""
from __future__ import annotations

import openpyxl
import pytest

from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
from toolkit.intake.merge import merge, undo
from toolkit.quarter import Quarter
from toolkit.intake.receipt import HEADER_ROW

Q2 = Quarter(2019, 2)


@pytest.fixture(autouse=True)
def fake_reader(monkeypatch):
    use_fake_reader(monkeypatch)


def rows(path, sheet="收件回执"):
    ws = openpyxl.load_workbook(path)[sheet]
    heads = [c.value for c in ws[HEADER_ROW]]
    return [dict(zip(heads, r)) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0] != "（无）"]


def test_quarter_report_keeps_every_run_and_each_run_has_its_receipt(tmp_path, plan, each_store):
    out = tmp_path / "out"
    first = merge(plan, Q2, out, [write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局", percent=40), ON_TIME),
                                  write(tmp_path / "a" / "bad.xlsx", fake_return("市公安局", errors=["坏"]), ON_TIME)])
    second = merge(plan, Q2, out, [write(tmp_path / "b" / "jy2.xlsx", fake_return("市教育局", percent=60), LATE),
                                   write(tmp_path / "b" / "说明.docx", b"PK")])
    third = merge(plan, Q2, out, [], prefer="jy.xlsx")  # a --prefer run records no file
    assert second.report_path == first.report_path == third.report_path
    whole = rows(third.report_path)
    assert [(r["合并编号"], r["文件"], r["结果"]) for r in whole] == [
        (first.run, "jy.xlsx", "采用"), (first.run, "bad.xlsx", "拒收"), (second.run, "jy2.xlsx", "旧版本（已有更新版本）")]
    assert ("bad.xlsx", "坏") in [(r["文件"], r["说明"]) for r in rows(third.report_path, "问题清单")]
    assert [(r["新文件"], r["原值"], r["新值"]) for r in rows(third.report_path, "版本变化")
            if r["内容"] == "完成进度(%)"][:1] == [("jy2.xlsx", 40, 60)]
    own = rows(second.run_report_path)
    assert [(r["文件"], r["结果"]) for r in own] == [("jy2.xlsx", "已合并"), ("说明.docx", "跳过")]
    assert second.run_report_path.name == f"{second.run}_收件回执.xlsx"
    assert sorted(r["文件"] for r in rows(first.run_report_path)) == ["bad.xlsx", "jy.xlsx"]
    done = undo(plan, out, second.run)
    assert done["reports"] == [str(first.report_path)]
    assert [r["文件"] for r in rows(first.report_path)] == ["jy.xlsx", "bad.xlsx"]


def test_every_receipt_sheet_has_a_title_and_prints_as_the_report_does(tmp_path, plan):
    """A coordinator prints or forwards these: each sheet says what it is (quarter, plan, run),
    fits the page width, repeats its header row and numbers its pages."""
    result = merge(plan, Q2, tmp_path / "out", [write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局"), ON_TIME)])
    for path, title, corner in ((result.report_path, "2019年第二季度汇总收件报告", "生成于 "),
                                (result.run_report_path, "2019年第二季度收件回执", f"合并编号 {result.run}")):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["收件回执", "问题清单", "未报与迟报", "版本变化", "发件人不符"]
        for ws in wb:
            assert ws["A1"].value in (title, f"{title}　{ws.title}"), (path.name, ws.title)
            assert ws["A1"].font.b and ws["A1"].font.sz == 14
            assert f"计划：{plan.settings.title}" in ws["A2"].value
            assert ("合并编号 " + result.run in ws["A2"].value) == (path == result.run_report_path)
            assert ws.cell(HEADER_ROW, 1).value in ("序号", "文件", "部门")
            assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
            assert ws.print_title_rows.replace("$", "") == f"{HEADER_ROW}:{HEADER_ROW}"
            setup = ws.page_setup
            assert (setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == (9, 1, 0)  # 1 is the default
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert setup.orientation == ("portrait" if ws.title == "未报与迟报" else "landscape"), ws.title
            assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
            assert ws.oddFooter.left.text == f"&A　{title}"
            assert ws.oddFooter.right.text.startswith(corner)
