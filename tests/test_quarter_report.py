"""Issue 22 item 4: the 收件报告 shows the whole quarter (every file, with its run); each run
keeps its own receipt."""
from __future__ import annotations

import openpyxl
import pytest

from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
from toolkit.intake.merge import merge, undo
from toolkit.quarter import Quarter

Q2 = Quarter(2019, 2)


@pytest.fixture(autouse=True)
def fake_reader(monkeypatch):
    use_fake_reader(monkeypatch)


def rows(path, sheet="收件回执"):
    ws = openpyxl.load_workbook(path)[sheet]
    heads = [c.value for c in ws[1]]
    return [dict(zip(heads, r)) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] != "（无）"]


def test_quarter_report_keeps_every_run_and_each_run_has_its_receipt(tmp_path, plan):
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
