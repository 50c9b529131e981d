"""The report workbook: read back and compared with the evaluation; injection; CLI."""
from __future__ import annotations

import json
import re
import subprocess
import zipfile

from datetime import datetime

import openpyxl
import pytest
from click.testing import CliRunner

from tests.evaluate_helpers import entry, quarter_of, realistic_quarter, ret
from toolkit.cli import main
from toolkit.evaluate.judge import STATUSES_EVAL, evaluate
from toolkit.quarter import Quarter
from toolkit.render.report_sheets import GAP
from toolkit.render.report import report_filename, write_report
from toolkit.render.report_book import Book, ReportError

Q1, Q2 = Quarter(2019, 1), Quarter(2019, 2)
SHEETS = ["总览", "任务进展", "指标完成", "滞后事项", "报送情况", "季度趋势", "配合单位报送"]
HEADER = 3  # 1-based header row of the data sheets
# openpyxl drops the data-bar extension it cannot read; irrelevant to what is checked here.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


@pytest.fixture(scope="module")
def realistic(plan, tmp_path_factory):
    q1 = evaluate(plan, Q1, realistic_quarter(plan, 1))
    ev = evaluate(plan, Q2, realistic_quarter(plan, 2), realistic_quarter(plan, 1))
    path = write_report(ev, tmp_path_factory.mktemp("r") / "report.xlsx", [q1, ev])
    return ev, path, openpyxl.load_workbook(path)


def rows(ws, first=HEADER + 1):
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def column(ws, name):
    headers = [c.value for c in ws[HEADER]]
    return headers.index(name)


def test_file_name_comes_from_the_plan(plan):
    assert report_filename(plan, Q2) == "2019年第二季度民生实事进展汇总.xlsx"


def test_sheets_headers_and_print_setup(realistic):
    _, path, wb = realistic
    assert wb.sheetnames == SHEETS
    ws = wb["任务进展"]
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref.startswith("A3:")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$3:$3"
    assert "第 &P 页" in ws.oddFooter.center.text


def test_task_rows_match_the_evaluation(realistic):
    ev, _, wb = realistic
    ws = wb["任务进展"]
    data = rows(ws)
    assert len(data) == 50
    c = {n: column(ws, n) for n in ("序号", "进展状态", "预警", "完成进度", "序时进度", GAP,
                                    "主要工作进展", "提示")}
    for row, t in zip(data, ev.tasks):
        assert row[c["序号"]] == t.task.no
        assert row[c["进展状态"]] == t.status
        assert row[c["预警"]] == {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": "—"}[t.light]
        assert row[c["完成进度"]] == (None if t.percent is None else pytest.approx(t.percent / 100))
        assert row[c["序时进度"]] == pytest.approx(t.schedule / 100)
        assert row[c[GAP]] == t.gap
        assert (row[c["主要工作进展"]] or "") == (t.lead_entry.progress if t.lead_entry else "")
        assert (row[c["提示"]] or "") == "\n".join(t.flags)
    # The status is text and colour: the fill follows the light.
    red = next(i for i, t in enumerate(ev.tasks) if t.light == "red")
    fill = ws.cell(HEADER + 1 + red, c["进展状态"] + 1).fill.fgColor.rgb
    assert fill.endswith("FFC7CE")
    # A 滞后 inside the yellow threshold has a green light but is never shown green.
    mild = next(i for i, t in enumerate(ev.tasks) if t.status == "滞后" and t.light == "green")
    assert ws.cell(HEADER + 1 + mild, c["进展状态"] + 1).fill.fgColor.rgb.endswith("FCE4D6")
    assert ws.cell(HEADER + 1 + mild, c["预警"] + 1).fill.fgColor.rgb.endswith("C6EFCE")


def test_indicator_rows_match_the_evaluation(realistic):
    ev, _, wb = realistic
    ws = wb["指标完成"]
    data = rows(ws)
    results = [r for t in ev.tasks for r in t.indicators]
    assert len(data) == len(results) == 161
    c = {n: column(ws, n) for n in ("指标名称", "累计完成值", "本季度末计划数", "完成全年目标", GAP, "状态")}
    for row, r in zip(data, results):
        assert row[c["指标名称"]] == r.indicator.name
        assert row[c["累计完成值"]] == (None if r.actual is None else pytest.approx(r.actual))
        assert row[c["本季度末计划数"]] == pytest.approx(r.planned)
        assert row[c["完成全年目标"]] == (None if r.completion is None else pytest.approx(r.completion / 100))
        assert row[c[GAP]] == r.gap
        assert row[c["状态"]] == r.status
    assert ws.conditional_formatting, "data bars on 完成全年目标"


def test_overview_counts_and_rates(realistic):
    ev, _, wb = realistic
    ws = wb["总览"]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    counts = {r[0]: r[1] for r in values if r[0] in STATUSES_EVAL and isinstance(r[1], int)}
    assert counts == ev.counts
    submitted = {r[0]: r[1:3] for r in values if r[0] in ("应报送单位", "已报送", "其中按时报送", "未报送")}
    assert submitted["应报送单位"][0] == 26 and list(submitted["已报送"]) == [24, pytest.approx(0.9231, abs=1e-4)]
    assert submitted["未报送"][0] == 2
    assert len(ws._charts) == 2
    # 四、分牵头单位情况 starts a printed page (its table ran over the page end without headings),
    # and the per-unit chart stands beside it, not on the page before
    units = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "四、分牵头单位情况")
    assert [b.id for b in ws.row_breaks.brk] == [units - 1]
    assert sorted(c.anchor._from.row for c in ws._charts)[1] >= units - 1


def test_small_plan_overview_on_one_page_with_whole_task_ticks(tmp_path):
    # The page break before 四 is for long sheets only, and a count axis of a small plan counted
    # in whole tasks (it read 0, 0.2, … 1.2).
    from tests.evaluate_helpers import tiny_plan
    plan = tiny_plan()
    ev = evaluate(plan, Quarter(2019, 2), quarter_of(plan, "2019Q2", [ret("甲局", tasks=[entry(1, "甲局", status="滞后")])]))
    path = write_report(ev, tmp_path / "small.xlsx")
    ws = openpyxl.load_workbook(path)["总览"]
    assert ws.row_breaks.brk == [] and len(ws._charts) == 2
    with zipfile.ZipFile(path) as z:
        status = next(z.read(n).decode() for n in sorted(z.namelist())
                      if n.startswith("xl/charts/chart") and '<c:barDir val="col"/>' in z.read(n).decode())
    assert '<c:majorUnit val="1"/>' in status


def test_lagging_sheet_is_sorted_by_gap(realistic):
    ev, _, wb = realistic
    ws = wb["滞后事项"]
    data = rows(ws)
    assert [r[column(ws, "序号")] for r in data] == [t.task.no for t in ev.lagging()]
    gaps = [r[column(ws, GAP)] for r in data]
    assert gaps == sorted(gaps) and len(gaps) == ev.counts["滞后"] > 0


def test_submissions_sheet(realistic):
    _, _, wb = realistic
    ws = wb["报送情况"]
    state = {r[0]: r[column(ws, "报送情况")] for r in rows(ws)}
    assert state["市公安局"] == "逾期报送" and state["市水利局"] == "未报送" and state["市教育局"] == "按时报送"
    by_unit = {r[0]: r for r in rows(ws)}
    assert "上一季度的填报表" in by_unit["市水利局"][column(ws, "拒收原因")]
    assert by_unit["（无法识别单位的文件）"][column(ws, "被拒收文件")].startswith("新建 Microsoft Excel 工作表.xlsx")
    assert by_unit["市教育局"][column(ws, "版本")] == "第2版（已替换前1版）"


def test_trend_sheet(realistic, plan):
    ev, _, wb = realistic
    ws = wb["季度趋势"]
    assert [c.value for c in ws[HEADER]][4:] == ["一季度", "二季度", "较上季度"]
    q1 = evaluate(plan, Q1, realistic_quarter(plan, 1))
    for row, t1, t2 in zip(rows(ws), q1.tasks, ev.tasks):
        assert row[4:6] == (t1.status, t2.status)


FORMULAS = ['=HYPERLINK("http://x","点我")', "+86 0518", "-1", "@SUM(A1)", "====", "=1+1"]


def test_typed_formulas_stay_visible_text(plan, tmp_path):
    tasks = [entry(2, "市教育局", progress=FORMULAS[0], issues=FORMULAS[1], next_steps=FORMULAS[2])]
    tasks += [entry(3, "市教育局", progress=FORMULAS[3], issues=FORMULAS[4], next_steps=FORMULAS[5])]
    ev = evaluate(plan, Q2, quarter_of(plan, "2019Q2", [ret("市教育局", tasks=tasks)]))
    path = write_report(ev, tmp_path / "r.xlsx")
    with zipfile.ZipFile(path) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in zf.read(n) for n in sheets)
    ws = openpyxl.load_workbook(path)["任务进展"]
    c = column(ws, "主要工作进展") + 1
    cells = [ws.cell(HEADER + 1 + no - 1, c + k) for no in (2, 3) for k in range(3)]
    assert [x.value for x in cells] == FORMULAS
    assert all(x.data_type == "s" and x.quotePrefix for x in cells)


def test_quarter_with_no_returns_renders(plan, tmp_path):
    ev = evaluate(plan, Q2, None)
    wb = openpyxl.load_workbook(write_report(ev, tmp_path / "r.xlsx"))
    ws = wb["任务进展"]
    assert {r[column(ws, "进展状态")] for r in rows(ws)} == {"未报送"}
    assert rows(wb["滞后事项"])[0][0] == "本季度没有滞后任务。"
    assert {r[column(wb["报送情况"], "报送情况")] for r in rows(wb["报送情况"])} == {"未报送"}


def test_text_over_the_cell_limit_is_cut_with_a_visible_marker(plan, tmp_path):
    """Issue 19 item 14: the report always renders (it used to refuse, advising a re-merge that could not help)."""
    tasks = [entry(2, "市教育局", progress="很长" * 20000)]
    ev = evaluate(plan, Q2, quarter_of(plan, "2019Q2", [ret("市教育局", tasks=tasks)]))
    wb = openpyxl.load_workbook(write_report(ev, tmp_path / "r.xlsx"))
    ws = wb["任务进展"]
    [cell] = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("很长很长")]
    assert len(cell.value) == 32767
    assert cell.value.endswith("字；全文见报送单位的填报表原件，可用 plankit status -q 2019Q2 -d 单位名 查到）")
    assert "……（全文40000字，此处只列前" in cell.value


def test_a_failed_write_is_an_error_not_a_silent_gap(plan, tmp_path):
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("甲")
    book = Book(wb, evaluate(plan, Q2, None), None)
    with pytest.raises(ReportError, match="甲.*A2000001"):
        book.number(ws, 2_000_000, 0, 1.0)  # beyond Excel's last row: xlsxwriter returns -1
    wb.close()


# --- CLI ----------------------------------------------------------------------------------

def test_cli_json_with_merged_quarters(plan, plan_path, tmp_path, monkeypatch):
    merged = {1: realistic_quarter(plan, 1), 2: realistic_quarter(plan, 2)}
    monkeypatch.setattr("toolkit.store.db.load_quarter", lambda p, q, out: merged.get(q.q))
    result = CliRunner().invoke(main, ["report", "--plan", str(plan_path), "-q", "2019Q2",
                                       "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = evaluate(plan, Q2, merged[2], merged[1])
    assert data["counts"] == expected.counts
    assert data["path"].endswith("lianyungang-2019/2019Q2/report/2019年第二季度民生实事进展汇总.xlsx")
    wb = openpyxl.load_workbook(data["path"])
    assert [c.value for c in wb["季度趋势"][HEADER]][4:6] == ["一季度", "二季度"]


def test_cli_without_merged_data_prints_path_and_warns(plan_path, tmp_path, monkeypatch):
    monkeypatch.setattr("toolkit.store.db.load_quarter", lambda p, q, out: None)
    result = CliRunner().invoke(main, ["report", "--plan", str(plan_path), "-q", "Q2", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert ("2019年第二季度还没有已接收的报送文件（尚未合并，或文件均被拒收），所有任务均为“未报送”。"
            "请先运行 plankit merge -q 2019Q2 收件箱目录/") in result.stderr
    path = result.stdout.strip().splitlines()[-1]
    assert path.endswith("2019年第二季度民生实事进展汇总.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["季度趋势"]
    assert [c.value for c in ws[HEADER]][4:6] == ["一季度", "二季度"]
    assert {r[4] for r in rows(ws)} == {"未汇总"} and {r[5] for r in rows(ws)} == {"未报送"}


def test_cli_bad_quarter(plan_path, tmp_path):
    result = CliRunner().invoke(main, ["report", "--plan", str(plan_path), "-q", "2019Q9", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == "错误：季度“2019Q9”超出范围：季度只能是1到4。"
    assert not any(tmp_path.iterdir())


def test_pdf_render_reads_in_print(realistic, tmp_path, soffice_available):
    from toolkit.fileio.office import convert
    ev, path, _ = realistic
    pdf = convert(path, "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "2019年第二季度滞后事项督办清单" in text
    assert "任务进　2019年第二季度民生实事进展汇总" not in text  # footer starts with the sheet name
    assert re.search(r"任务进展\s+2019年第二季度民生实事进展汇总", text)
    assert "滞后" in text and "红灯" in text  # status and light are words, not only colours


def test_many_co_units_are_summarised_and_listed_on_their_own_sheet(plan, tmp_path):
    """A provincial plan's task can have hundreds of co-units: the cell stays within Excel's limit."""
    from dataclasses import replace

    from toolkit.evaluate.judge import evaluate
    from toolkit.model import Department
    from toolkit.render.report import write_report
    from toolkit.returns import QuarterReturns, Return, TaskEntry

    units = tuple(f"第{i}县" for i in range(300))
    task = replace(plan.tasks[1], cos=units)  # task 2 has a single lead unit
    big = replace(plan, tasks=[task], indicators=[], departments=[*plan.departments, *(Department(u) for u in units)])
    long_text = "按计划推进各项工作，" * 40
    returns = {u: Return(u, "2019Q2", datetime(2019, 7, 5), True, "0" * 64, f"{u}.xlsx",
                         tasks=[TaskEntry(task.no, u, "配合", "序时推进", 50, long_text,
                                          "资金未到位" if i % 50 == 0 else "无")])
               for i, u in enumerate(units[:280])}
    ev = evaluate(big, Q2, QuarterReturns("2019Q2", big.department_names(), returns))
    path = write_report(ev, tmp_path / "big.xlsx")
    wb = openpyxl.load_workbook(path)
    cell = wb["任务进展"].cell(4, column(wb["任务进展"], "配合单位报送") + 1).value
    assert cell.startswith("配合单位300个：已报送280个，其中反映问题6个；未报送20个。明细见“配合单位报送”工作表。")
    assert len(cell) < 32767
    detail = wb["配合单位报送"]
    assert detail.max_row - 3 == 300


def test_cli_report_of_what_is_merged_on_both_stores(plan, plan_path, tmp_path, monkeypatch, each_store):
    """The report read from the store (no stand-in load_quarter): what the evaluation of the stored
    quarters says, its trend sheet showing the quarter merged before."""
    from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
    from toolkit.intake.merge import merge
    from toolkit.store.db import load_quarter
    use_fake_reader(monkeypatch)
    out = tmp_path / "out"
    merge(plan, Q1, out, [write(tmp_path / "q1" / "jy.xlsx", fake_return("市教育局", "2019Q1", percent=5), ON_TIME)])
    merge(plan, Q2, out, [write(tmp_path / "q2" / "jy.xlsx", fake_return("市教育局", percent=90), ON_TIME),
                          write(tmp_path / "q2" / "cz.xlsx", fake_return("市财政局", percent=1), LATE),
                          write(tmp_path / "q2" / "bad.xlsx", fake_return("市公安局", errors=["坏"]), ON_TIME)])
    result = CliRunner().invoke(main, ["report", "--plan", str(plan_path), "-q", "2019Q2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = evaluate(plan, Q2, load_quarter(plan, Q2, out), load_quarter(plan, Q1, out))
    assert data["counts"] == expected.counts and expected.counts["滞后"] > 0
    wb = openpyxl.load_workbook(data["path"])
    state = {r[0]: r[column(wb["报送情况"], "报送情况")] for r in rows(wb["报送情况"])}
    assert (state["市教育局"], state["市财政局"], state["市公安局"]) == ("按时报送", "逾期报送", "未报送")
    trend = {r[0]: r[4:6] for r in rows(wb["季度趋势"])}
    jy = next(t.task.no for t in expected.tasks if t.task.lead == "市教育局")
    assert trend[jy] == (evaluate(plan, Q1, load_quarter(plan, Q1, out)).tasks[jy - 1].status, expected.tasks[jy - 1].status)
    assert trend[jy][0] != "未汇总"
